-- Seau schema for SQLite, version 14: invitations, and passwords that must be
-- changed at the first sign-in. Times are milliseconds since the Unix epoch.

-- Set when an admin chose the account's password (POST /api/users with a
-- password, PATCH /api/users/{id} of someone else's password): the person
-- must choose their own before the session may do anything else. Cleared
-- when they change it themselves.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));

-- One-time links with which an invited person sets their own password. Only
-- the SHA-256 of the link's token is stored. A link is taken once: used_at is
-- set by one conditional UPDATE, so two replicas can never both accept it.
-- Issuing a new link for an account deletes its previous ones.
CREATE TABLE invitations (
    token_hash BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX invitations_user ON invitations (user_id);
