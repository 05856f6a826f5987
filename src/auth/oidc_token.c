#include "auth/oidc_token.h"

#include "core/err.h"
#include "core/str.h"

#include <cjose/cjose.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define KEYS_MAX    64 /* keys one JWKS may hold */
#define KID_MAX     255
#define JWT_MAX     (64 * 1024)
#define SUBJECT_MAX 255

struct oidc_key {
    char kid[KID_MAX + 1]; /* "" when the key has none */
    cjose_jwk_kty_t kty;
    cjose_jwk_t *jwk;
};

struct auth_oidc_keys {
    atomic_int refs;
    size_t n;
    struct oidc_key keys[];
};

struct auth_oidc_keys *auth_oidc_keys_ref(struct auth_oidc_keys *k)
{
    if (k)
        atomic_fetch_add(&k->refs, 1);
    return k;
}

void auth_oidc_keys_unref(struct auth_oidc_keys *k)
{
    if (!k || atomic_fetch_sub(&k->refs, 1) != 1)
        return;
    for (size_t i = 0; i < k->n; i++)
        cjose_jwk_release(k->keys[i].jwk);
    free(k);
}

int auth_oidc_keys_parse(const char *json, size_t len, struct auth_oidc_keys **ret)
{
    json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *arr = json_object_get(doc, "keys");
    if (!json_is_array(arr)) {
        json_decref(doc);
        return SEAU_E_VALIDATION;
    }
    size_t cap = json_array_size(arr) < KEYS_MAX ? json_array_size(arr) : KEYS_MAX;
    struct auth_oidc_keys *k = calloc(1, sizeof(*k) + (cap ? cap : 1) * sizeof(k->keys[0]));
    if (!k) {
        json_decref(doc);
        return SEAU_E_NOMEM;
    }
    atomic_init(&k->refs, 1);
    size_t i;
    json_t *jk;
    json_array_foreach(arr, i, jk)
    {
        if (k->n == cap)
            break;
        const char *kty = json_string_value(json_object_get(jk, "kty"));
        const char *use = json_string_value(json_object_get(jk, "use"));
        const char *kid = json_string_value(json_object_get(jk, "kid"));
        if (!kty || (strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0))
            continue;
        if (use && strcmp(use, "sig") != 0)
            continue;
        if (kid && strlen(kid) > KID_MAX)
            continue;
        char *text = json_dumps(jk, JSON_COMPACT);
        if (!text)
            continue;
        cjose_err err;
        cjose_jwk_t *jwk = cjose_jwk_import(text, strlen(text), &err);
        free(text);
        if (!jwk)
            continue;
        struct oidc_key *slot = &k->keys[k->n++];
        snprintf(slot->kid, sizeof(slot->kid), "%s", kid ? kid : "");
        slot->kty = cjose_jwk_get_kty(jwk, &err);
        slot->jwk = jwk;
    }
    json_decref(doc);
    if (k->n == 0) {
        auth_oidc_keys_unref(k);
        return SEAU_E_VALIDATION;
    }
    *ret = k;
    return 0;
}

const char *auth_oidc_token_problem_name(enum auth_oidc_token_problem p)
{
    switch (p) {
    case AUTH_OIDC_TOKEN_OK:
        return "ok";
    case AUTH_OIDC_TOKEN_MALFORMED:
        return "malformed_token";
    case AUTH_OIDC_TOKEN_ALG:
        return "algorithm_refused";
    case AUTH_OIDC_TOKEN_UNKNOWN_KEY:
        return "unknown_key";
    case AUTH_OIDC_TOKEN_SIGNATURE:
        return "bad_signature";
    case AUTH_OIDC_TOKEN_ISSUER:
        return "wrong_issuer";
    case AUTH_OIDC_TOKEN_AUDIENCE:
        return "wrong_audience";
    case AUTH_OIDC_TOKEN_EXPIRED:
        return "expired";
    case AUTH_OIDC_TOKEN_IAT:
        return "issued_in_future";
    case AUTH_OIDC_TOKEN_NONCE:
        return "nonce_mismatch";
    case AUTH_OIDC_TOKEN_SUBJECT:
        return "no_subject";
    }
    return "unknown";
}

/*
 * The key type an accepted algorithm needs, or 0 for an algorithm we refuse:
 * "none", HMAC (the public key must never become a shared secret) and
 * anything unknown.
 */
static cjose_jwk_kty_t alg_kty(const char *alg)
{
    static const char *const rsa[] = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"};
    static const char *const ec[] = {"ES256", "ES384", "ES512"};
    for (size_t i = 0; alg && i < sizeof(rsa) / sizeof(rsa[0]); i++)
        if (strcmp(alg, rsa[i]) == 0)
            return CJOSE_JWK_KTY_RSA;
    for (size_t i = 0; alg && i < sizeof(ec) / sizeof(ec[0]); i++)
        if (strcmp(alg, ec[i]) == 0)
            return CJOSE_JWK_KTY_EC;
    return 0;
}

/* A NumericDate claim in seconds; false when absent or not a number. */
static bool numeric_date(json_t *claims, const char *name, int64_t *ret)
{
    json_t *v = json_object_get(claims, name);
    if (json_is_integer(v)) {
        *ret = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d < -9e15 || d > 9e15)
            return false;
        *ret = (int64_t)d;
        return true;
    }
    return false;
}

static bool audience_ok(json_t *claims, const char *client_id)
{
    json_t *aud = json_object_get(claims, "aud");
    size_t naud = 0;
    bool ours = false;
    if (json_is_string(aud)) {
        naud = 1;
        ours = strcmp(json_string_value(aud), client_id) == 0;
    } else if (json_is_array(aud)) {
        size_t i;
        json_t *v;
        json_array_foreach(aud, i, v)
        {
            naud++;
            if (json_is_string(v) && strcmp(json_string_value(v), client_id) == 0)
                ours = true;
        }
    }
    if (!ours)
        return false;
    /* Core 3.1.3.7 (4, 5): with several audiences azp should be there, and when present it
     * must be our client id. */
    json_t *azp = json_object_get(claims, "azp");
    if (azp)
        return json_is_string(azp) && strcmp(json_string_value(azp), client_id) == 0;
    return naud == 1;
}

static enum auth_oidc_token_problem check_claims(json_t *claims, const struct auth_oidc_expect *e)
{
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    if (!iss || strcmp(iss, e->issuer) != 0)
        return AUTH_OIDC_TOKEN_ISSUER;
    if (!audience_ok(claims, e->client_id))
        return AUTH_OIDC_TOKEN_AUDIENCE;
    int64_t exp, iat;
    if (!numeric_date(claims, "exp", &exp) || exp + e->skew_s <= e->now_s)
        return AUTH_OIDC_TOKEN_EXPIRED;
    if (!numeric_date(claims, "iat", &iat) || iat > e->now_s + e->skew_s)
        return AUTH_OIDC_TOKEN_IAT;
    const char *nonce = json_string_value(json_object_get(claims, "nonce"));
    if (!nonce || !e->nonce || !str_ct_equal(nonce, strlen(nonce), e->nonce, strlen(e->nonce)))
        return AUTH_OIDC_TOKEN_NONCE;
    const char *sub = json_string_value(json_object_get(claims, "sub"));
    if (!sub || !*sub || strlen(sub) > SUBJECT_MAX)
        return AUTH_OIDC_TOKEN_SUBJECT;
    return AUTH_OIDC_TOKEN_OK;
}

/* Verifies jws with the key of its kid (or, without a kid, any key of the right type). */
static enum auth_oidc_token_problem verify_signature(cjose_jws_t *jws,
                                                     const struct auth_oidc_keys *keys)
{
    cjose_err err;
    cjose_header_t *h = cjose_jws_get_protected(jws);
    const char *alg = h ? cjose_header_get(h, CJOSE_HDR_ALG, &err) : NULL;
    const char *kid = h ? cjose_header_get(h, CJOSE_HDR_KID, &err) : NULL;
    cjose_jwk_kty_t kty = alg_kty(alg);
    if (!kty)
        return AUTH_OIDC_TOKEN_ALG;
    bool tried = false;
    for (size_t i = 0; i < keys->n; i++) {
        const struct oidc_key *k = &keys->keys[i];
        if (k->kty != kty || (kid && strcmp(k->kid, kid) != 0))
            continue;
        tried = true;
        if (cjose_jws_verify(jws, k->jwk, &err))
            return AUTH_OIDC_TOKEN_OK;
    }
    return tried ? AUTH_OIDC_TOKEN_SIGNATURE : AUTH_OIDC_TOKEN_UNKNOWN_KEY;
}

int auth_oidc_token_verify(const char *jwt, const struct auth_oidc_keys *keys,
                           const struct auth_oidc_expect *e, json_t **ret_claims,
                           enum auth_oidc_token_problem *ret_problem)
{
    size_t len = jwt ? strlen(jwt) : 0;
    if (len == 0 || len > JWT_MAX || !keys) {
        *ret_problem = AUTH_OIDC_TOKEN_MALFORMED;
        return SEAU_E_UNAUTHORIZED;
    }
    cjose_err err;
    cjose_jws_t *jws = cjose_jws_import(jwt, len, &err);
    if (!jws) {
        *ret_problem = AUTH_OIDC_TOKEN_MALFORMED;
        return SEAU_E_UNAUTHORIZED;
    }
    enum auth_oidc_token_problem p = verify_signature(jws, keys);
    json_t *claims = NULL;
    if (p == AUTH_OIDC_TOKEN_OK) {
        uint8_t *payload = NULL;
        size_t plen = 0;
        if (cjose_jws_get_plaintext(jws, &payload, &plen, &err))
            claims = json_loadb((const char *)payload, plen, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(claims))
            p = AUTH_OIDC_TOKEN_MALFORMED;
    }
    cjose_jws_release(jws);
    if (p == AUTH_OIDC_TOKEN_OK)
        p = check_claims(claims, e);
    if (p != AUTH_OIDC_TOKEN_OK) {
        json_decref(claims);
        *ret_problem = p;
        return SEAU_E_UNAUTHORIZED;
    }
    *ret_claims = claims;
    *ret_problem = AUTH_OIDC_TOKEN_OK;
    return 0;
}
