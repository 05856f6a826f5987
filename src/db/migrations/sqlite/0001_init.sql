-- Seau schema, version 1: accounts, sessions, grants, the audit log and
-- login throttling. Times are milliseconds since the Unix epoch (UTC).

-- AUTOINCREMENT: a deleted account's id is never given to a new one, so
-- the audit log's user ids keep naming one person each.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'manager', 'user')),
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER
);

-- Only a hash of each session token is stored: a copy of the database
-- does not let anyone sign in.
CREATE TABLE sessions (
    token_hash   BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE grants (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    bucket  TEXT    NOT NULL,
    prefix  TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, bucket, prefix)
) WITHOUT ROWID;

-- Append-only and hash-chained: hash = SHA-256 over prev_hash and the
-- entry's fields (audit/audit.c). user_id is deliberately not a foreign
-- key: the record of what a deleted user did must survive the user.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    time       INTEGER NOT NULL,
    user_id    INTEGER,
    user_email TEXT,
    action     TEXT    NOT NULL,
    bucket     TEXT,
    key        TEXT,
    ip         TEXT,
    user_agent TEXT,
    status     TEXT    NOT NULL,
    details    TEXT    NOT NULL DEFAULT '{}',
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
);
CREATE INDEX audit_log_user ON audit_log (user_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_time ON audit_log (time);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TABLE login_throttle (
    key          TEXT    PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start INTEGER NOT NULL
) WITHOUT ROWID;
