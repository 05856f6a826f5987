-- Seau schema for PostgreSQL, version 7: OpenID Connect single sign-on
-- (see the SQLite store's 0007_oidc.sql). The callback takes its pending
-- sign-in with DELETE ... RETURNING, which one transaction at most wins,
-- so a state is used once across replicas.
ALTER TABLE users ADD COLUMN provider text;
ALTER TABLE users ADD COLUMN subject text;
CREATE UNIQUE INDEX users_identity ON users (provider, subject) WHERE provider IS NOT NULL;

CREATE TABLE oidc_logins (
    key_hash   bytea  PRIMARY KEY CHECK (length(key_hash) = 32),
    provider   text   NOT NULL,
    state      text   NOT NULL,
    nonce      text   NOT NULL,
    verifier   text   NOT NULL,
    return_to  text   NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX oidc_logins_expiry ON oidc_logins (expires_at);
