-- Seau schema, version 5: managed share links (POST /api/shares, GET /s/{token}).
-- Times are milliseconds since the Unix epoch.
--
-- The link's token is given to its creator once and stored only as its
-- SHA-256, like a session token: a copy of the database opens no link. The
-- public id names a share in the API (list, revoke) and reveals nothing.
--
-- seq orders shares newest first for listing and paging (AUTOINCREMENT: a
-- number is never reused). A revoked share keeps its row (revoked_at set) so
-- its link answers 410 Gone rather than 404; the list leaves it out.
--
-- created_by cascades: a deleted account's links die with it, as its
-- sessions do. downloads only grows, and only through
-- UPDATE ... WHERE downloads < max_downloads, so the limit holds under
-- concurrent downloads.
CREATE TABLE shares (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT    NOT NULL UNIQUE,
    token_hash    BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    bucket        TEXT    NOT NULL,
    key           TEXT    NOT NULL, -- an object key, or a folder's prefix ending with '/'
    created_by    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,          -- NULL: never
    password_hash TEXT,             -- argon2id; NULL: no password
    max_downloads INTEGER CHECK (max_downloads IS NULL OR max_downloads >= 1),
    downloads     INTEGER NOT NULL DEFAULT 0 CHECK (downloads >= 0),
    revoked_at    INTEGER           -- NULL: live
);
CREATE INDEX shares_creator ON shares (created_by, seq);
CREATE INDEX shares_bucket ON shares (bucket, seq);
