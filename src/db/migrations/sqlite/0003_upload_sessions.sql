-- Seau schema, version 3: direct upload sessions (POST /api/uploads). Times
-- are milliseconds since the Unix epoch.
--
-- A session is one S3 multipart upload a browser fills through presigned
-- URLs; a "single PUT" session is a one-part multipart upload, so that every
-- byte reaches the key only through Seau's CompleteMultipartUpload, after
-- which the object is checked (size, sniffed type). S3 is the truth for the
-- parts (ListParts); this row holds what S3 does not: who started it, the
-- declared size and type, the part size, and when.
--
-- id is a random opaque token. user_id is deliberately not a foreign key:
-- when an account is deleted, its unfinished uploads must still be found
-- and aborted in S3 by the janitor.
--
-- busy_until is a lease: an operation that talks to S3 on the session's
-- behalf (complete, abort, the janitor) first sets it to now + its longest
-- duration, so two of them never work on one session at once; it goes back
-- to 0 when the operation ends and leaves the session in place. A crash
-- leaves the lease to expire by itself.
CREATE TABLE upload_sessions (
    id           TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL,
    bucket       TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    s3_upload_id TEXT    NOT NULL,
    single       INTEGER NOT NULL CHECK (single IN (0, 1)),
    size         INTEGER NOT NULL CHECK (size >= 0),
    content_type TEXT    NOT NULL,
    part_size    INTEGER NOT NULL CHECK (part_size >= 0), -- single: the size
    created_at   INTEGER NOT NULL,
    busy_until   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX upload_sessions_user ON upload_sessions (user_id);
CREATE INDEX upload_sessions_created ON upload_sessions (created_at);
