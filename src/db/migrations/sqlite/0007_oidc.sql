-- Seau schema, version 7: OpenID Connect single sign-on (auth/oidc.c).
-- Times are milliseconds since the Unix epoch.
--
-- An account made by a sign-in through an identity provider names it
-- (provider: the id of SEAU_OIDC_<ID>_*, lower-case) and the subject the
-- provider knows it by (the ID token's sub). The pair is unique: it is how
-- the next sign-in finds the account, whatever its e-mail became. Password
-- accounts keep both NULL. An SSO account's password_hash is "!", which no
-- password verifies.
ALTER TABLE users ADD COLUMN provider TEXT;
ALTER TABLE users ADD COLUMN subject TEXT;
CREATE UNIQUE INDEX users_identity ON users (provider, subject) WHERE provider IS NOT NULL;

-- A sign-in under way, between /api/auth/oidc/{provider}/start and its
-- callback: bound to the browser by the pre-login cookie, of which only
-- the SHA-256 is kept. The callback takes the row (deletes it) before it
-- looks at anything else, so a state, and the code that came with it, is
-- used at most once, on any replica. The PKCE verifier and the nonce are
-- short-lived secrets; expired rows are purged by the next start.
CREATE TABLE oidc_logins (
    key_hash   BLOB    PRIMARY KEY CHECK (length(key_hash) = 32),
    provider   TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    nonce      TEXT    NOT NULL,
    verifier   TEXT    NOT NULL,
    return_to  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX oidc_logins_expiry ON oidc_logins (expires_at);
