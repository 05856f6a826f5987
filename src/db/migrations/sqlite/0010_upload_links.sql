-- Seau schema, version 10: upload links ("file requests": POST /api/upload-links,
-- GET /u/{token}, POST /u/{token}/upload). Times are milliseconds since the Unix epoch.
--
-- As for shares, the token is given to its creator once and stored only as
-- its SHA-256; the public id names a link in the API. A revoked link keeps
-- its row (revoked_at set) so its page answers 410 Gone rather than 404.
--
-- files and bytes only move through guarded UPDATEs
-- (... WHERE files + n <= max_files AND bytes + m <= max_bytes), so
-- concurrent uploads never pass the limits.
CREATE TABLE upload_links (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT    NOT NULL UNIQUE,
    token_hash    BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    bucket        TEXT    NOT NULL,
    prefix        TEXT    NOT NULL, -- "" or a folder ending with '/'
    created_by    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,          -- NULL: never
    password_hash TEXT,             -- argon2id; NULL: no password
    max_files     INTEGER CHECK (max_files IS NULL OR max_files >= 1),
    max_bytes     INTEGER CHECK (max_bytes IS NULL OR max_bytes >= 1),
    message       TEXT,
    files         INTEGER NOT NULL DEFAULT 0 CHECK (files >= 0),
    bytes         INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),
    revoked_at    INTEGER           -- NULL: live
);
CREATE INDEX upload_links_creator ON upload_links (created_by, seq);
