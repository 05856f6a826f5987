-- Seau schema, version 8: second factors (TOTP), the sessions' public ids
-- and devices, and personal access tokens. Times are milliseconds since the
-- Unix epoch.

-- A session gets a public, non-secret id (GET/DELETE /api/auth/sessions),
-- and the address and user agent it was created from.
ALTER TABLE sessions ADD COLUMN id TEXT;
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
UPDATE sessions SET id = lower(hex(randomblob(16))) WHERE id IS NULL;
CREATE UNIQUE INDEX sessions_id ON sessions (id);

-- One TOTP secret per account (RFC 6238). A row with enabled = 0 is an
-- enrolment that was not confirmed yet. The secret must be readable to
-- check codes, so it cannot be hashed: it is never logged, never shown
-- again after set-up, and never put in the audit log. last_step is the
-- last time step accepted, so a code is never accepted twice.
CREATE TABLE mfa (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     BLOB    NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    last_step  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- Recovery codes, stored only as SHA-256 hashes; each works once.
CREATE TABLE mfa_recovery (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB    NOT NULL CHECK (length(code_hash) = 32),
    used_at   INTEGER,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;

-- A password checked, a second factor awaited: the mfaToken of
-- POST /api/auth/login, stored as its SHA-256, short-lived.
CREATE TABLE mfa_challenges (
    token_hash BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Personal access tokens: shown once, stored as their SHA-256, looked up
-- by it; they die with their owner.
CREATE TABLE tokens (
    id           TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER
);
CREATE INDEX tokens_user ON tokens (user_id, created_at);
