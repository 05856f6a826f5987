#include "auth/oidc.h"

#include "auth/oidc_fetch.h"
#include "auth/oidc_token.h"
#include "auth/session.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/str.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define META_TTL_MS (60 * 60 * 1000) /* discovery and keys are fetched again after this */
#define RANDOM_LEN  43               /* base64url of 32 random bytes */

/* What one provider's discovery document and JWKS said, cached. */
struct oidc_rt {
    pthread_mutex_t lock;
    int64_t meta_at; /* 0: never fetched */
    char *authorization_endpoint;
    char *token_endpoint;
    char *jwks_uri;
    char *end_session_endpoint; /* NULL: no RP-initiated logout */
    bool secret_post;           /* client_secret_post rather than client_secret_basic */
    struct auth_oidc_keys *keys;
    int64_t keys_refreshed_at; /* the last refresh for an unknown key id */
};

struct auth_oidc {
    struct auth_oidc_cfg cfg;
    struct oidc_rt *rt; /* one per provider */
};

int auth_oidc_new(struct auth_oidc_cfg *cfg, struct auth_oidc **ret)
{
    struct auth_oidc *o = calloc(1, sizeof(*o));
    struct oidc_rt *rt = calloc(cfg->nproviders ? cfg->nproviders : 1, sizeof(*rt));
    if (!o || !rt) {
        free(o);
        free(rt);
        return SEAU_E_NOMEM;
    }
    for (size_t i = 0; i < cfg->nproviders; i++)
        pthread_mutex_init(&rt[i].lock, NULL);
    o->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    o->rt = rt;
    *ret = o;
    return 0;
}

static void rt_clear_meta(struct oidc_rt *rt)
{
    free(rt->authorization_endpoint);
    free(rt->token_endpoint);
    free(rt->jwks_uri);
    free(rt->end_session_endpoint);
    rt->authorization_endpoint = rt->token_endpoint = rt->jwks_uri = NULL;
    rt->end_session_endpoint = NULL;
}

void auth_oidc_free(struct auth_oidc *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->cfg.nproviders; i++) {
        rt_clear_meta(&o->rt[i]);
        auth_oidc_keys_unref(o->rt[i].keys);
        pthread_mutex_destroy(&o->rt[i].lock);
    }
    free(o->rt);
    auth_oidc_cfg_done(&o->cfg);
    free(o);
}

bool auth_oidc_password_login(const struct auth_oidc *o)
{
    return !o || o->cfg.password_login;
}

size_t auth_oidc_count(const struct auth_oidc *o)
{
    return o ? o->cfg.nproviders : 0;
}

const struct auth_oidc_provider_cfg *auth_oidc_provider(const struct auth_oidc *o, size_t i)
{
    return o && i < o->cfg.nproviders ? &o->cfg.providers[i] : NULL;
}

/* The index of provider id, or -1. */
static long find(const struct auth_oidc *o, const char *id)
{
    for (size_t i = 0; id && o && i < o->cfg.nproviders; i++)
        if (strcmp(o->cfg.providers[i].id, id) == 0)
            return (long)i;
    return -1;
}

/* ------------------------------------------------------------ fetching */

/* GETs url and parses a JSON object from a 200 answer. */
static int fetch_json(const char *url, json_t **ret)
{
    struct buf b;
    buf_init(&b, AUTH_OIDC_FETCH_MAX);
    long status = 0;
    int rc = auth__oidc_get(url, &b, &status);
    if (rc == 0 && status != 200)
        rc = SEAU_E_UNAVAILABLE;
    json_t *doc = NULL;
    if (rc == 0) {
        doc = json_loadb(b.data ? b.data : "", b.len, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(doc))
            rc = SEAU_E_UNAVAILABLE;
    }
    buf_done(&b);
    if (rc) {
        json_decref(doc);
        return rc == SEAU_E_NOMEM ? rc : SEAU_E_UNAVAILABLE;
    }
    *ret = doc;
    return 0;
}

static int fetch_keys(const char *jwks_uri, struct auth_oidc_keys **ret)
{
    struct buf b;
    buf_init(&b, AUTH_OIDC_FETCH_MAX);
    long status = 0;
    int rc = auth__oidc_get(jwks_uri, &b, &status);
    if (rc == 0 && status != 200)
        rc = SEAU_E_UNAVAILABLE;
    if (rc == 0)
        rc = auth_oidc_keys_parse(b.data ? b.data : "", b.len, ret);
    buf_done(&b);
    return rc == 0 || rc == SEAU_E_NOMEM ? rc : SEAU_E_UNAVAILABLE;
}

/*
 * An endpoint URL of the discovery document: https:// for an https issuer
 * (the client secret and codes must never travel in clear); a loopback
 * issuer's (http://, tests and same-host providers) may be http:// too.
 */
static char *dup_url(json_t *doc, const char *field, bool https_only)
{
    const char *s = json_string_value(json_object_get(doc, field));
    if (!s || (strncmp(s, "https://", 8) != 0 && (https_only || strncmp(s, "http://", 7) != 0)))
        return NULL;
    return strdup(s);
}

/*
 * Makes sure rt holds the provider's endpoints and keys, fetching them when
 * missing or older than META_TTL_MS. Called with rt->lock held: sign-ins to
 * one provider wait for one fetch rather than each making its own.
 */
static int ensure_meta(const struct auth_oidc_provider_cfg *p, struct oidc_rt *rt, int64_t now)
{
    if (rt->meta_at && now - rt->meta_at < META_TTL_MS)
        return 0;
    char url[2048];
    size_t n = strlen(p->issuer);
    int w = snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration",
                     (int)(n && p->issuer[n - 1] == '/' ? n - 1 : n), p->issuer);
    if (w < 0 || (size_t)w >= sizeof(url))
        return SEAU_E_UNAVAILABLE;
    json_t *doc = NULL;
    int rc = fetch_json(url, &doc);
    if (rc)
        return rc;
    const char *iss = json_string_value(json_object_get(doc, "issuer"));
    struct oidc_rt fresh = {.meta_at = now};
    bool tls = strncmp(p->issuer, "https://", 8) == 0;
    fresh.authorization_endpoint = dup_url(doc, "authorization_endpoint", tls);
    fresh.token_endpoint = dup_url(doc, "token_endpoint", tls);
    fresh.jwks_uri = dup_url(doc, "jwks_uri", tls);
    fresh.end_session_endpoint = dup_url(doc, "end_session_endpoint", tls);
    json_t *methods = json_object_get(doc, "token_endpoint_auth_methods_supported");
    bool basic = !json_is_array(methods), post = false;
    size_t i;
    json_t *m;
    json_array_foreach(methods, i, m)
    {
        if (json_is_string(m) && strcmp(json_string_value(m), "client_secret_basic") == 0)
            basic = true;
        if (json_is_string(m) && strcmp(json_string_value(m), "client_secret_post") == 0)
            post = true;
    }
    fresh.secret_post = !basic && post;
    /* The document must be the configured issuer's own (Discovery 4.3). */
    if (!iss || strcmp(iss, p->issuer) != 0 || !fresh.authorization_endpoint ||
        !fresh.token_endpoint || !fresh.jwks_uri)
        rc = SEAU_E_UNAVAILABLE;
    json_decref(doc);
    if (rc == 0)
        rc = fetch_keys(fresh.jwks_uri, &fresh.keys);
    if (rc) {
        rt_clear_meta(&fresh);
        return rc;
    }
    rt_clear_meta(rt);
    auth_oidc_keys_unref(rt->keys);
    rt->meta_at = fresh.meta_at;
    rt->authorization_endpoint = fresh.authorization_endpoint;
    rt->token_endpoint = fresh.token_endpoint;
    rt->jwks_uri = fresh.jwks_uri;
    rt->end_session_endpoint = fresh.end_session_endpoint;
    rt->secret_post = fresh.secret_post;
    rt->keys = fresh.keys;
    return 0;
}

/*
 * Fetches the keys again after a token named an unknown key id (a
 * rotation), at most once every AUTH_OIDC_JWKS_MIN_MS per provider so that
 * forged key ids cannot make Seau hammer the provider. Returns 0 when a
 * new set was fetched, SEAU_E_RATE_LIMITED when it was too soon.
 */
static int refresh_keys(struct oidc_rt *rt, int64_t now)
{
    if (rt->keys_refreshed_at && now - rt->keys_refreshed_at < AUTH_OIDC_JWKS_MIN_MS)
        return SEAU_E_RATE_LIMITED;
    rt->keys_refreshed_at = now;
    struct auth_oidc_keys *k = NULL;
    int rc = fetch_keys(rt->jwks_uri, &k);
    if (rc)
        return rc;
    auth_oidc_keys_unref(rt->keys);
    rt->keys = k;
    return 0;
}

/* ------------------------------------------------------------ helpers */

static void random_text(char out[RANDOM_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, RANDOM_LEN + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

/* RFC 7636 S256: BASE64URL(SHA256(verifier)). */
static void pkce_challenge(const char *verifier, char out[RANDOM_LEN + 1])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)verifier, strlen(verifier));
    sodium_bin2base64(out, RANDOM_LEN + 1, h, sizeof(h), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Appends "&name=value" (or "?" first) with value percent-encoded. */
static int add_param(struct buf *b, bool *first, const char *name, const char *value)
{
    int rc = buf_append_char(b, *first ? '?' : '&');
    *first = false;
    if (rc == 0)
        rc = buf_append_str(b, name);
    if (rc == 0)
        rc = buf_append_char(b, '=');
    if (rc == 0)
        rc = codec_percent_encode(b, slice_from_cstr(value), NULL);
    return rc;
}

static int redirect_uri(const char *base_url, const char *id, char *out, size_t n)
{
    int w = snprintf(out, n, "%s/api/auth/oidc/%s/callback", base_url, id);
    return w < 0 || (size_t)w >= n ? SEAU_E_VALIDATION : 0;
}

/* Records a refused sign-in; reason is a fixed word, never a token or secret. */
static void audit_failure(struct db *db, const struct audit_actor *from, const char *provider,
                          const char *reason, const char *email, int64_t now)
{
    json_t *d = json_pack("{s:s, s:s}", "provider", provider ? provider : "", "reason", reason);
    char *details = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    struct audit_actor a = *from;
    a.user_id = 0;
    a.email = email;
    struct db_audit_entry e;
    audit_entry_init(&e, &a, "auth.login", "failure", details, now);
    (void)db_audit_append(db, &e); /* the browser is refused either way */
    free(details);
}

/* ------------------------------------------------------------ start */

int auth_oidc_start(struct auth_oidc *o, struct db *db, const char *provider, const char *return_to,
                    const char *base_url, const struct audit_actor *from, int64_t now,
                    struct auth_oidc_start *ret, const char **ret_error)
{
    long i = find(o, provider);
    if (i < 0) {
        audit_failure(db, from, NULL, "unknown_provider", NULL, now);
        *ret_error = "sso_provider";
        return SEAU_E_NOT_FOUND;
    }
    const struct auth_oidc_provider_cfg *p = &o->cfg.providers[i];
    if (!return_to || !*return_to)
        return_to = "/";
    if (!auth_oidc_return_to_ok(return_to)) {
        audit_failure(db, from, p->id, "bad_return_to", NULL, now);
        *ret_error = "sso_return_to";
        return SEAU_E_VALIDATION;
    }
    struct oidc_rt *rt = &o->rt[i];
    pthread_mutex_lock(&rt->lock);
    int rc = ensure_meta(p, rt, now);
    char *authz = rc == 0 ? strdup(rt->authorization_endpoint) : NULL;
    pthread_mutex_unlock(&rt->lock);
    if (rc == 0 && !authz)
        rc = SEAU_E_NOMEM;
    if (rc) {
        audit_failure(db, from, p->id, "provider_unreachable", NULL, now);
        *ret_error = "sso_unavailable";
        return rc;
    }

    struct db_oidc_login l;
    memset(&l, 0, sizeof(l));
    struct auth_oidc_start s;
    memset(&s, 0, sizeof(s));
    auth_token_new(s.cookie, l.key_hash);
    snprintf(l.provider, sizeof(l.provider), "%s", p->id);
    random_text(l.state);
    random_text(l.nonce);
    random_text(l.verifier);
    snprintf(l.return_to, sizeof(l.return_to), "%s", return_to);
    l.created_at = now;
    l.expires_at = now + AUTH_OIDC_LOGIN_TTL_MS;
    char challenge[RANDOM_LEN + 1], redirect[2048];
    pkce_challenge(l.verifier, challenge);
    rc = redirect_uri(base_url, p->id, redirect, sizeof(redirect));

    struct buf b;
    buf_init(&b, 16 * 1024);
    bool first = strchr(authz, '?') == NULL;
    if (rc == 0)
        rc = buf_append_str(&b, authz);
    if (rc == 0)
        rc = add_param(&b, &first, "response_type", "code");
    if (rc == 0)
        rc = add_param(&b, &first, "client_id", p->client_id);
    if (rc == 0)
        rc = add_param(&b, &first, "redirect_uri", redirect);
    if (rc == 0)
        rc = add_param(&b, &first, "scope", p->scopes);
    if (rc == 0)
        rc = add_param(&b, &first, "state", l.state);
    if (rc == 0)
        rc = add_param(&b, &first, "nonce", l.nonce);
    if (rc == 0)
        rc = add_param(&b, &first, "code_challenge", challenge);
    if (rc == 0)
        rc = add_param(&b, &first, "code_challenge_method", "S256");
    free(authz);
    if (rc == 0)
        rc = db_oidc_login_put(db, &l, now);
    sodium_memzero(&l, sizeof(l));
    if (rc == 0) {
        s.url = buf_take(&b);
        if (!s.url)
            rc = SEAU_E_NOMEM;
    }
    buf_done(&b);
    if (rc) {
        sodium_memzero(&s, sizeof(s));
        audit_failure(db, from, p->id, "start_failed", NULL, now);
        *ret_error = "sso_unavailable";
        return rc;
    }
    *ret = s;
    sodium_memzero(&s, sizeof(s));
    return 0;
}

/* ------------------------------------------------------------ callback */

/* Exchanges code at the token endpoint; the ID token in *ret (free()). */
static int exchange(const struct auth_oidc_provider_cfg *p, const char *token_endpoint,
                    bool secret_post, const char *code, const char *verifier, const char *redirect,
                    char **ret)
{
    struct buf form, user, pass, answer;
    buf_init(&form, 16 * 1024);
    buf_init(&user, 2048);
    buf_init(&pass, 8192);
    buf_init(&answer, AUTH_OIDC_FETCH_MAX);
    bool first = true;
    int rc = add_param(&form, &first, "grant_type", "authorization_code");
    if (rc == 0)
        rc = add_param(&form, &first, "code", code);
    if (rc == 0)
        rc = add_param(&form, &first, "redirect_uri", redirect);
    if (rc == 0)
        rc = add_param(&form, &first, "code_verifier", verifier);
    if (rc == 0 && secret_post) {
        rc = add_param(&form, &first, "client_id", p->client_id);
        if (rc == 0)
            rc = add_param(&form, &first, "client_secret", p->client_secret);
    }
    /* RFC 6749 2.3.1: Basic credentials are form-encoded first. */
    if (rc == 0 && !secret_post) {
        rc = codec_percent_encode(&user, slice_from_cstr(p->client_id), NULL);
        if (rc == 0)
            rc = codec_percent_encode(&pass, slice_from_cstr(p->client_secret), NULL);
    }
    long status = 0;
    if (rc == 0)
        rc = auth__oidc_post_form(token_endpoint, buf_cstr(&form) + 1 /* the leading '?' */,
                                  secret_post ? NULL : buf_cstr(&user),
                                  secret_post ? NULL : buf_cstr(&pass), &answer, &status);
    char *id_token = NULL;
    if (rc == 0) {
        json_t *doc = json_loadb(answer.data ? answer.data : "", answer.len, 0, NULL);
        const char *t = json_string_value(json_object_get(doc, "id_token"));
        if (status != 200 || !t)
            rc = SEAU_E_UNAUTHORIZED;
        else if (!(id_token = strdup(t)))
            rc = SEAU_E_NOMEM;
        json_decref(doc);
    }
    buf_done_secure(&form);
    buf_done(&user);
    buf_done_secure(&pass);
    buf_done_secure(&answer);
    if (rc)
        return rc;
    *ret = id_token;
    return 0;
}

/* Verifies the ID token, fetching the keys once more when it names an unknown one. */
static int verify(struct oidc_rt *rt, const char *id_token, const struct auth_oidc_expect *e,
                  int64_t now, json_t **ret, enum auth_oidc_token_problem *ret_problem)
{
    pthread_mutex_lock(&rt->lock);
    struct auth_oidc_keys *k = auth_oidc_keys_ref(rt->keys);
    pthread_mutex_unlock(&rt->lock);
    int rc = auth_oidc_token_verify(id_token, k, e, ret, ret_problem);
    auth_oidc_keys_unref(k);
    if (rc != SEAU_E_UNAUTHORIZED || *ret_problem != AUTH_OIDC_TOKEN_UNKNOWN_KEY)
        return rc;
    pthread_mutex_lock(&rt->lock);
    int fresh = refresh_keys(rt, now);
    k = fresh == 0 ? auth_oidc_keys_ref(rt->keys) : NULL;
    pthread_mutex_unlock(&rt->lock);
    if (!k)
        return rc;
    rc = auth_oidc_token_verify(id_token, k, e, ret, ret_problem);
    auth_oidc_keys_unref(k);
    return rc;
}

struct fail {
    const char *code;   /* for /login?error= */
    const char *reason; /* for the audit entry */
};

static int callback_steps(struct auth_oidc *o, struct db *db, const struct auth_session_cfg *sc,
                          const struct auth_oidc_callback_in *in, const struct audit_actor *from,
                          int64_t now, struct auth_oidc_done *ret, struct fail *f, char *email_seen,
                          size_t email_len)
{
    long i = find(o, in->provider);
    if (i < 0) {
        *f = (struct fail){"sso_provider", "unknown_provider"};
        return SEAU_E_NOT_FOUND;
    }
    const struct auth_oidc_provider_cfg *p = &o->cfg.providers[i];
    struct oidc_rt *rt = &o->rt[i];
    unsigned char key_hash[DB_TOKEN_HASH_LEN];
    if (!in->cookie || auth_token_hash(in->cookie, key_hash) != 0) {
        *f = (struct fail){"sso_state", "no_prelogin_cookie"};
        return SEAU_E_UNAUTHORIZED;
    }
    struct db_oidc_login l;
    int rc = db_oidc_login_take(db, key_hash, now, &l);
    if (rc == SEAU_E_NOT_FOUND) {
        *f = (struct fail){"sso_state", "unknown_or_used_state"};
        return SEAU_E_UNAUTHORIZED;
    }
    if (rc) {
        *f = (struct fail){"sso_unavailable", "store_failed"};
        return rc;
    }
    rc = SEAU_E_UNAUTHORIZED;
    if (strcmp(l.provider, p->id) != 0) {
        *f = (struct fail){"sso_state", "provider_mismatch"};
    } else if (!in->state ||
               !str_ct_equal(in->state, strlen(in->state), l.state, strlen(l.state))) {
        *f = (struct fail){"sso_state", "state_mismatch"};
    } else if (in->error) {
        *f = (struct fail){"sso_denied", "provider_refused"};
    } else if (!in->code || !*in->code) {
        *f = (struct fail){"sso_denied", "no_code"};
    } else {
        rc = 0;
    }
    char redirect[2048];
    if (rc == 0 && redirect_uri(in->base_url, p->id, redirect, sizeof(redirect)) != 0) {
        rc = SEAU_E_VALIDATION;
        *f = (struct fail){"sso_state", "bad_redirect_uri"};
    }
    char *token_endpoint = NULL;
    bool secret_post = false;
    if (rc == 0) {
        pthread_mutex_lock(&rt->lock);
        rc = ensure_meta(p, rt, now);
        if (rc == 0) {
            token_endpoint = strdup(rt->token_endpoint);
            secret_post = rt->secret_post;
        }
        pthread_mutex_unlock(&rt->lock);
        if (rc == 0 && !token_endpoint)
            rc = SEAU_E_NOMEM;
        if (rc)
            *f = (struct fail){"sso_unavailable", "provider_unreachable"};
    }
    char *id_token = NULL;
    if (rc == 0) {
        rc = exchange(p, token_endpoint, secret_post, in->code, l.verifier, redirect, &id_token);
        if (rc)
            *f = (struct fail){"sso_exchange", rc == SEAU_E_UNAUTHORIZED ? "code_refused"
                                                                         : "token_endpoint_failed"};
    }
    free(token_endpoint);
    json_t *claims = NULL;
    if (rc == 0) {
        struct auth_oidc_expect e = {.issuer = p->issuer,
                                     .client_id = p->client_id,
                                     .nonce = l.nonce,
                                     .now_s = now / 1000,
                                     .skew_s = AUTH_OIDC_SKEW_S};
        enum auth_oidc_token_problem problem = AUTH_OIDC_TOKEN_OK;
        rc = verify(rt, id_token, &e, now, &claims, &problem);
        if (rc)
            *f = (struct fail){"sso_token", auth_oidc_token_problem_name(problem)};
    }
    if (id_token) {
        sodium_memzero(id_token, strlen(id_token));
        free(id_token);
    }
    char return_to[DB_RETURN_TO_MAX + 1];
    snprintf(return_to, sizeof(return_to), "%s", l.return_to);
    sodium_memzero(&l, sizeof(l));
    if (rc)
        return rc;

    /* The token is genuine: now what it says. */
    const char *email_c = json_string_value(json_object_get(claims, "email"));
    json_t *verified = json_object_get(claims, "email_verified");
    char email[DB_EMAIL_MAX + 1] = "";
    if (email_c && strlen(email_c) <= DB_EMAIL_MAX) {
        snprintf(email, sizeof(email), "%s", email_c);
        auth_email_normalize(email);
        snprintf(email_seen, email_len, "%s", email);
    }
    struct auth_oidc_mapping m = {.role = AUTH_ROLE_NONE};
    rc = SEAU_E_FORBIDDEN;
    if (!*email || auth_email_problem(email)) {
        *f = (struct fail){"sso_email", "no_email"};
    } else if (json_is_false(verified)) {
        *f = (struct fail){"sso_email", "email_unverified"};
    } else if (!auth_oidc_domain_allowed(p, email)) {
        *f = (struct fail){"sso_domain", "domain_not_allowed"};
    } else if ((rc = auth_oidc_map_claims(p, claims, &m)) != 0) {
        *f = (struct fail){"sso_role", rc == SEAU_E_FORBIDDEN ? "no_role" : "internal"};
    }
    if (rc) {
        json_decref(claims);
        return rc;
    }
    const char *name = json_string_value(json_object_get(claims, "name"));
    if (!name || auth_name_problem(name))
        name = json_string_value(json_object_get(claims, "preferred_username"));
    if (!name || auth_name_problem(name))
        name = email;
    struct db_oidc_identity id = {
        .provider = p->id,
        .subject = json_string_value(json_object_get(claims, "sub")),
        .email = email,
        .name = name,
        .role = m.role == AUTH_ROLE_NONE ? NULL : auth_role_name(m.role),
        .set_grants = m.set_grants,
        .grants = m.grants,
        .ngrants = m.ngrants,
    };
    struct auth_login_result res;
    memset(&res, 0, sizeof(res));
    struct db_session s;
    memset(&s, 0, sizeof(s));
    auth_token_new(res.token, s.token_hash);
    auth_session_describe(&s, from);
    s.created_at = s.last_seen_at = now;
    s.expires_at = now + sc->max_age_ms;
    char *details = NULL;
    json_t *d = json_pack("{s:s}", "provider", p->id);
    details = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    struct db_audit_entry e;
    audit_entry_init(&e, from, "auth.login", "success", details, now);
    rc = db_oidc_sign_in(db, &id, &s, &e, &res.user);
    free(details);
    auth_oidc_mapping_done(&m);
    json_decref(claims);
    if (rc) {
        sodium_memzero(&res, sizeof(res));
        *f = rc == SEAU_E_FORBIDDEN  ? (struct fail){"sso_account", "account_disabled"}
             : rc == SEAU_E_CONFLICT ? (struct fail){"sso_account", "account_conflict"}
                                     : (struct fail){"sso_unavailable", "store_failed"};
        return rc;
    }
    (void)db_session_purge(db, now - sc->idle_ms, now);
    memset(res.user.password_hash, 0, sizeof(res.user.password_hash));
    res.expires_at = s.expires_at;
    ret->login = res;
    snprintf(ret->return_to, sizeof(ret->return_to), "%s", return_to);
    sodium_memzero(&res, sizeof(res));
    return 0;
}

int auth_oidc_callback(struct auth_oidc *o, struct db *db, const struct auth_session_cfg *sc,
                       const struct auth_oidc_callback_in *in, const struct audit_actor *from,
                       int64_t now, struct auth_oidc_done *ret, const char **ret_error)
{
    struct fail f = {"sso_failed", "internal"};
    char email[DB_EMAIL_MAX + 1] = "";
    int rc = callback_steps(o, db, sc, in, from, now, ret, &f, email, sizeof(email));
    if (rc) {
        long i = find(o, in->provider);
        audit_failure(db, from, i >= 0 ? o->cfg.providers[i].id : NULL, f.reason,
                      *email ? email : NULL, now);
        *ret_error = f.code;
    }
    return rc;
}

/* ------------------------------------------------------------ logout */

int auth_oidc_logout_url(struct auth_oidc *o, const char *provider, const char *base_url,
                         int64_t now, char **ret)
{
    long i = find(o, provider);
    if (i < 0)
        return SEAU_E_NOT_FOUND;
    const struct auth_oidc_provider_cfg *p = &o->cfg.providers[i];
    struct oidc_rt *rt = &o->rt[i];
    pthread_mutex_lock(&rt->lock);
    int rc = ensure_meta(p, rt, now);
    char *end = rc == 0 && rt->end_session_endpoint ? strdup(rt->end_session_endpoint) : NULL;
    pthread_mutex_unlock(&rt->lock);
    if (rc)
        return rc;
    if (!end)
        return SEAU_E_NOT_FOUND;
    char after[2048];
    int w = snprintf(after, sizeof(after), "%s/login", base_url);
    struct buf b;
    buf_init(&b, 8192);
    bool first = strchr(end, '?') == NULL;
    rc = w < 0 || (size_t)w >= sizeof(after) ? SEAU_E_VALIDATION : buf_append_str(&b, end);
    if (rc == 0)
        rc = add_param(&b, &first, "client_id", p->client_id);
    if (rc == 0)
        rc = add_param(&b, &first, "post_logout_redirect_uri", after);
    free(end);
    char *url = rc == 0 ? buf_take(&b) : NULL;
    buf_done(&b);
    if (rc == 0 && !url)
        rc = SEAU_E_NOMEM;
    if (rc)
        return rc;
    *ret = url;
    return 0;
}
