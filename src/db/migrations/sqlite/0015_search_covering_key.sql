-- Seau schema for SQLite, version 15: nothing to do. PostgreSQL's version 15
-- puts the folded key into its primary key's index for index-only search
-- scans; SQLite's search reads its FTS5 trigram index (version 2). The
-- version exists here too so that both stores stay at the same schema
-- version (seau migrate --to copies only between equal versions).
SELECT 1;
