-- Seau schema for PostgreSQL, version 12: where the walk of each bucket into
-- the object index stands (see the SQLite store's 0012_index_sync.sql).
CREATE TABLE index_sync (
    bucket       text COLLATE "C" NOT NULL PRIMARY KEY,
    walk_started bigint NOT NULL DEFAULT 0,
    after_key    text COLLATE "C",
    listed       bigint NOT NULL DEFAULT 0,
    completed_at bigint NOT NULL DEFAULT 0
);
