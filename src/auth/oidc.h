/*
 * OpenID Connect single sign-on: the authorization code flow with PKCE
 * (S256) against the providers of auth/oidc_cfg.h, each provider's
 * discovery document and keys fetched and cached, ID tokens verified by
 * auth/oidc_token.h, accounts made just in time and brought up to date from
 * the claims at each sign-in, sessions as a password sign-in makes them.
 *
 * The sign-in under way lives in the store (db_oidc_login_*), bound to the
 * browser by a short-lived pre-login cookie; its state is compared in
 * constant time and used once. Every refusal is audited (auth.login,
 * failure, with the provider and the reason) and named by a short code for
 * the login page (/login?error=<code>). Nothing here logs or knows HTTP;
 * tokens and secrets never reach an audit entry.
 *
 * Thread-safety: every function may be called from any thread; a
 * provider's cache is guarded by its own lock.
 */
#ifndef SEAU_AUTH_OIDC_H
#define SEAU_AUTH_OIDC_H

#include "audit/audit.h"
#include "auth/accounts.h"
#include "auth/oidc_cfg.h"
#include "db/db.h"

#include <stdbool.h>
#include <stdint.h>

#define AUTH_OIDC_COOKIE       "seau_oidc"
#define AUTH_OIDC_LOGIN_TTL_MS (10 * 60 * 1000) /* a sign-in must come back within this */
#define AUTH_OIDC_SKEW_S       120              /* clock difference allowed for exp and iat */

struct auth_oidc;

/* Takes cfg's content (cfg is left empty). Returns 0 or SEAU_E_NOMEM. */
int auth_oidc_new(struct auth_oidc_cfg *cfg, struct auth_oidc **ret);
void auth_oidc_free(struct auth_oidc *o); /* accepts NULL */

/* Whether passwords are accepted (true without a service). */
bool auth_oidc_password_login(const struct auth_oidc *o);
size_t auth_oidc_count(const struct auth_oidc *o);
const struct auth_oidc_provider_cfg *auth_oidc_provider(const struct auth_oidc *o, size_t i);

struct auth_oidc_start {
    char cookie[AUTH_TOKEN_LEN + 1]; /* the pre-login cookie's value; secret */
    char *url;                       /* where to send the browser; free() */
};

/*
 * Begins a sign-in with provider: stores state, nonce and PKCE verifier
 * and builds the authorization URL (redirect_uri base_url + the callback's
 * path). return_to must pass auth_oidc_return_to_ok (NULL: "/"). Returns 0,
 * or an error with *ret_error set to the login page's code (sso_provider,
 * sso_return_to, sso_unavailable), the refusal audited.
 */
int auth_oidc_start(struct auth_oidc *o, struct db *db, const char *provider, const char *return_to,
                    const char *base_url, const struct audit_actor *from, int64_t now,
                    struct auth_oidc_start *ret, const char **ret_error);

/* What the provider sent back to the callback, and the pre-login cookie. */
struct auth_oidc_callback_in {
    const char *provider;
    const char *cookie; /* NULL when the browser sent none */
    const char *state;
    const char *code;
    const char *error; /* the provider's error parameter, or NULL */
    const char *base_url;
};

struct auth_oidc_done {
    struct auth_login_result login; /* the session: wipe after use */
    char return_to[DB_RETURN_TO_MAX + 1];
};

/*
 * Finishes a sign-in: takes the pending sign-in, checks the state,
 * exchanges the code, verifies the ID token (refreshing the provider's
 * keys once on an unknown key id, at most every AUTH_OIDC_JWKS_MIN_MS),
 * maps the claims, and signs the account in. Returns 0 with the session,
 * or an error with *ret_error set to the login page's code, the refusal
 * audited.
 */
#define AUTH_OIDC_JWKS_MIN_MS (30 * 1000)
int auth_oidc_callback(struct auth_oidc *o, struct db *db, const struct auth_session_cfg *sc,
                       const struct auth_oidc_callback_in *in, const struct audit_actor *from,
                       int64_t now, struct auth_oidc_done *ret, const char **ret_error);

/*
 * The provider's RP-initiated logout URL (its end_session_endpoint, with
 * client_id and post_logout_redirect_uri base_url + "/login") in *ret
 * (free()). Returns 0, SEAU_E_NOT_FOUND when the provider is unknown or
 * has no end_session_endpoint, or SEAU_E_UNAVAILABLE.
 */
int auth_oidc_logout_url(struct auth_oidc *o, const char *provider, const char *base_url,
                         int64_t now, char **ret);

#endif
