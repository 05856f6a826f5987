-- Seau schema for SQLite, version 13: nothing to do. PostgreSQL's version 13
-- stores the key folded to lower case for its trigram search; SQLite's FTS5
-- trigram index (version 2) folds case itself. The version exists here too
-- so that both stores stay at the same schema version (seau migrate --to
-- copies only between equal versions).
SELECT 1;
