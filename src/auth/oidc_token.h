/*
 * ID tokens: a provider's signing keys (its JWKS) and the checks OpenID
 * Connect Core 3.1.3.7 asks of an ID token. The JOSE work (compact JWS
 * parsing, JWK import, signature verification) is cjose's; this module
 * picks the key, refuses algorithms it does not accept, and checks the
 * claims (parsed with jansson). Thread-safety: a key set is immutable and
 * reference-counted, so several threads may verify with one at once.
 */
#ifndef SEAU_AUTH_OIDC_TOKEN_H
#define SEAU_AUTH_OIDC_TOKEN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct auth_oidc_keys;

/*
 * Imports a JWKS document ({"keys":[...]}): RSA and EC signing keys
 * ("use" absent or "sig"); others are skipped. Returns 0 with a key set
 * holding one reference, SEAU_E_VALIDATION when the document is not a JWKS
 * or holds no usable key, or SEAU_E_NOMEM.
 */
int auth_oidc_keys_parse(const char *json, size_t len, struct auth_oidc_keys **ret);
struct auth_oidc_keys *auth_oidc_keys_ref(struct auth_oidc_keys *k);
void auth_oidc_keys_unref(struct auth_oidc_keys *k); /* accepts NULL */

/* Why a token was refused; the names go into audit entries. */
enum auth_oidc_token_problem {
    AUTH_OIDC_TOKEN_OK = 0,
    AUTH_OIDC_TOKEN_MALFORMED,   /* not a compact JWS, or its payload not a JSON object */
    AUTH_OIDC_TOKEN_ALG,         /* an algorithm we do not accept (none, HS*, ...) */
    AUTH_OIDC_TOKEN_UNKNOWN_KEY, /* no key of the set has its kid (or fits its alg) */
    AUTH_OIDC_TOKEN_SIGNATURE,
    AUTH_OIDC_TOKEN_ISSUER,
    AUTH_OIDC_TOKEN_AUDIENCE, /* aud lacks our client id, or azp names another client */
    AUTH_OIDC_TOKEN_EXPIRED,  /* exp missing or passed (with the skew) */
    AUTH_OIDC_TOKEN_IAT,      /* iat missing, or in the future beyond the skew */
    AUTH_OIDC_TOKEN_NONCE,
    AUTH_OIDC_TOKEN_SUBJECT, /* sub missing, empty or too long */
};
const char *auth_oidc_token_problem_name(enum auth_oidc_token_problem p);

struct auth_oidc_expect {
    const char *issuer;
    const char *client_id;
    const char *nonce;
    int64_t now_s;
    int64_t skew_s; /* allowed clock difference for exp and iat */
};

/*
 * Verifies the compact JWS jwt with keys and checks its claims against e
 * (nonce compared in constant time). Returns 0 with the claims (a new
 * reference) in *ret_claims, or SEAU_E_UNAUTHORIZED with *ret_problem set
 * (AUTH_OIDC_TOKEN_UNKNOWN_KEY tells the caller a fresher key set might
 * help), or SEAU_E_NOMEM.
 */
int auth_oidc_token_verify(const char *jwt, const struct auth_oidc_keys *keys,
                           const struct auth_oidc_expect *e, json_t **ret_claims,
                           enum auth_oidc_token_problem *ret_problem);

#endif
