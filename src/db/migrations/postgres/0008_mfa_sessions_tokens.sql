-- Seau schema for PostgreSQL, version 8: the same tables as the SQLite
-- store's 0008_mfa_sessions_tokens.sql (second factors, the sessions'
-- public ids and devices, personal access tokens).

ALTER TABLE sessions ADD COLUMN id text;
ALTER TABLE sessions ADD COLUMN ip text;
ALTER TABLE sessions ADD COLUMN user_agent text;
UPDATE sessions SET id = md5(encode(token_hash, 'hex') || random()::text) WHERE id IS NULL;
CREATE UNIQUE INDEX sessions_id ON sessions (id);

-- The secret must be readable to check codes: never logged, never shown
-- again after set-up, never in the audit log. last_step: no code twice.
CREATE TABLE mfa (
    user_id    bigint  PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     bytea   NOT NULL,
    enabled    boolean NOT NULL DEFAULT false,
    last_step  bigint  NOT NULL DEFAULT 0,
    created_at bigint  NOT NULL
);

CREATE TABLE mfa_recovery (
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash bytea  NOT NULL CHECK (length(code_hash) = 32),
    used_at   bigint,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE mfa_challenges (
    token_hash bytea  PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);

CREATE TABLE tokens (
    id           text   PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text   NOT NULL,
    token_hash   bytea  NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at   bigint NOT NULL,
    expires_at   bigint,
    last_used_at bigint
);
CREATE INDEX tokens_user ON tokens (user_id, created_at);
