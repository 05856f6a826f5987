-- Seau schema for PostgreSQL, version 3: direct upload sessions (see the
-- SQLite store's 0003_upload_sessions.sql). user_id is deliberately not a
-- foreign key: a deleted account's unfinished uploads must still be aborted.
CREATE TABLE upload_sessions (
    id           text    PRIMARY KEY,
    user_id      bigint  NOT NULL,
    bucket       text COLLATE "C" NOT NULL,
    key          text COLLATE "C" NOT NULL,
    s3_upload_id text    NOT NULL,
    single       boolean NOT NULL,
    size         bigint  NOT NULL CHECK (size >= 0),
    content_type text    NOT NULL,
    part_size    bigint  NOT NULL CHECK (part_size >= 0), -- single: the size
    created_at   bigint  NOT NULL,
    busy_until   bigint  NOT NULL DEFAULT 0
);
CREATE INDEX upload_sessions_user ON upload_sessions (user_id);
CREATE INDEX upload_sessions_created ON upload_sessions (created_at);
