#include "auth/mfa.h"

#include "auth/internal.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/str.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISSUER "Seau"

/* Appends an audit entry that records no change (a refused code, a reset of nothing). */
static void audit_note(struct db *db, const struct audit_actor *from, int64_t user_id,
                       const char *email, const char *action, const char *status,
                       const char *reason, int64_t now)
{
    char *details = reason ? auth__details(json_pack("{s:s}", "reason", reason)) : NULL;
    struct audit_actor a = *from;
    if (user_id) {
        a.user_id = user_id;
        a.email = email;
    }
    struct db_audit_entry e;
    audit_entry_init(&e, &a, action, status, details, now);
    /* Nothing changed: a store failure here cannot be reported to anyone useful. */
    (void)db_audit_append(db, &e);
    free(details);
}

bool auth_mfa_recovery_normalize(const char *in, char out[17])
{
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        char c = *p;
        if (c == '-' || c == ' ')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        bool ok = (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
        if (!ok || n == 16)
            return false;
        out[n++] = c;
    }
    out[n] = '\0';
    return n == 16;
}

/* SHA-256 over the user id and the canonical code: equal codes of two users hash apart. */
static void recovery_hash(int64_t user_id, const char canon[17], unsigned char out[32])
{
    char buf[64];
    int len = snprintf(buf, sizeof(buf), "seau-recovery:%lld:%s", (long long)user_id, canon);
    crypto_hash_sha256(out, (const unsigned char *)buf, (size_t)len);
    sodium_memzero(buf, sizeof(buf));
}

int auth_mfa_setup(struct db *db, const struct auth_principal *p, const struct audit_actor *from,
                   int64_t now, struct auth_mfa_setup_result *ret)
{
    if (p->via_pat)
        return SEAU_E_FORBIDDEN;
    if (p->user.mfa)
        return SEAU_E_CONFLICT;
    struct db_mfa m;
    memset(&m, 0, sizeof(m));
    m.user_id = p->user.id;
    m.secret_len = AUTH_TOTP_SECRET_LEN;
    m.created_at = now;
    randombytes_buf(m.secret, m.secret_len);
    struct auth_mfa_setup_result res;
    memset(&res, 0, sizeof(res));
    auth_base32_encode(m.secret, m.secret_len, res.secret);

    struct buf url;
    buf_init(&url, sizeof(res.otpauth_url) - 1);
    int rc = buf_append_str(&url, "otpauth://totp/" ISSUER ":");
    if (rc == 0)
        rc = codec_percent_encode(&url, slice_from_cstr(p->user.email), "@");
    if (rc == 0)
        rc = buf_printf(&url, "?secret=%s&issuer=" ISSUER "&algorithm=SHA1&digits=%d&period=%d",
                        res.secret, AUTH_TOTP_DIGITS, AUTH_TOTP_STEP_MS / 1000);
    if (rc == 0)
        snprintf(res.otpauth_url, sizeof(res.otpauth_url), "%.*s", (int)url.len, url.data);
    buf_done_secure(&url);

    if (rc == 0) {
        struct db_audit_entry e;
        audit_entry_init(&e, from, "mfa.setup", "success", NULL, now);
        rc = db_mfa_setup(db, &m, &e);
    }
    if (rc == 0)
        *ret = res;
    sodium_memzero(&m, sizeof(m));
    sodium_memzero(&res, sizeof(res));
    return rc;
}

int auth_mfa_confirm(struct db *db, const struct auth_limits *lim, const struct auth_principal *p,
                     const struct audit_actor *from, const char *code, int64_t now,
                     char ret_codes[AUTH_MFA_RECOVERY_CODES][AUTH_MFA_RECOVERY_CODE_LEN + 1],
                     int64_t *ret_retry_s)
{
    if (p->via_pat)
        return SEAU_E_FORBIDDEN;
    int64_t retry = 0;
    int rc = auth__throttle_check(db, lim, p->user.email, from->ip, now, &retry);
    if (rc == SEAU_E_RATE_LIMITED)
        *ret_retry_s = retry;
    if (rc)
        return rc;
    struct db_mfa m;
    rc = db_mfa_get(db, p->user.id, &m);
    if (rc == SEAU_E_NOT_FOUND)
        return SEAU_E_CONFLICT;
    if (rc)
        return rc;
    if (m.enabled) {
        sodium_memzero(&m, sizeof(m));
        return SEAU_E_CONFLICT;
    }
    int64_t step = 0;
    rc = auth_totp_verify(m.secret, m.secret_len, code, now, m.last_step, &step);
    sodium_memzero(&m, sizeof(m));
    if (rc == SEAU_E_CONFLICT)
        rc = SEAU_E_INVALID_CODE;
    if (rc == SEAU_E_INVALID_CODE) {
        auth__throttle_fail(db, lim, p->user.email, from->ip, now);
        audit_note(db, from, 0, NULL, "mfa.enable", "failure", "wrong_code", now);
        return rc;
    }
    if (rc)
        return rc;

    char codes[AUTH_MFA_RECOVERY_CODES][AUTH_MFA_RECOVERY_CODE_LEN + 1];
    unsigned char hashes[AUTH_MFA_RECOVERY_CODES][DB_TOKEN_HASH_LEN];
    for (size_t i = 0; i < AUTH_MFA_RECOVERY_CODES; i++) {
        unsigned char raw[10]; /* 80 bits: 16 base32 characters */
        char canon[17];
        randombytes_buf(raw, sizeof(raw));
        auth_base32_encode(raw, sizeof(raw), canon);
        snprintf(codes[i], sizeof(codes[i]), "%.4s-%.4s-%.4s-%.4s", canon, canon + 4, canon + 8,
                 canon + 12);
        recovery_hash(p->user.id, canon, hashes[i]);
        sodium_memzero(raw, sizeof(raw));
        sodium_memzero(canon, sizeof(canon));
    }
    struct db_audit_entry e;
    audit_entry_init(&e, from, "mfa.enable", "success", NULL, now);
    rc = db_mfa_enable(db, p->user.id, step, (const unsigned char(*)[DB_TOKEN_HASH_LEN])hashes,
                       AUTH_MFA_RECOVERY_CODES, &e);
    if (rc == 0) {
        memcpy(ret_codes, codes, sizeof(codes));
        auth__throttle_clear(db, p->user.email, from->ip);
    }
    sodium_memzero(codes, sizeof(codes));
    return rc;
}

/*
 * Checks code (TOTP or recovery) for user u and uses it up. Returns 0 with
 * *ret_kind "totp" or "recovery", SEAU_E_INVALID_CODE with *ret_reason, or
 * a store error.
 */
static int use_code(struct db *db, const struct db_user *u, const char *code, int64_t now,
                    const char **ret_kind, const char **ret_reason)
{
    char canon[17];
    if (code && auth_mfa_recovery_normalize(code, canon)) {
        unsigned char h[DB_TOKEN_HASH_LEN];
        recovery_hash(u->id, canon, h);
        sodium_memzero(canon, sizeof(canon));
        int rc = db_mfa_use_recovery(db, u->id, h, now);
        if (rc == SEAU_E_NOT_FOUND) {
            *ret_reason = "wrong_recovery_code";
            return SEAU_E_INVALID_CODE;
        }
        *ret_kind = "recovery";
        return rc;
    }
    struct db_mfa m;
    int rc = db_mfa_get(db, u->id, &m);
    if (rc == 0 && !m.enabled)
        rc = SEAU_E_NOT_FOUND;
    if (rc == SEAU_E_NOT_FOUND) {
        *ret_reason = "no_factor";
        sodium_memzero(&m, sizeof(m));
        return SEAU_E_INVALID_CODE;
    }
    if (rc)
        return rc;
    int64_t step = 0;
    rc = auth_totp_verify(m.secret, m.secret_len, code, now, m.last_step, &step);
    sodium_memzero(&m, sizeof(m));
    /* The store accepts a step once, even when two replicas check the same code at once. */
    if (rc == 0)
        rc = db_mfa_use_step(db, u->id, step);
    if (rc == SEAU_E_CONFLICT) {
        *ret_reason = "replayed_code";
        return SEAU_E_INVALID_CODE;
    }
    if (rc == SEAU_E_INVALID_CODE) {
        *ret_reason = "wrong_code";
        return rc;
    }
    *ret_kind = "totp";
    return rc;
}

int auth_mfa_login(struct db *db, const struct auth_limits *lim, const char *mfa_token,
                   const char *code, const struct audit_actor *from, int64_t now,
                   struct auth_login_result *ret, int64_t *ret_retry_s)
{
    unsigned char hash[DB_TOKEN_HASH_LEN];
    int64_t user_id = 0;
    int rc = auth_token_hash(mfa_token, hash);
    if (rc == 0)
        rc = db_mfa_challenge_get(db, hash, now, &user_id);
    if (rc == SEAU_E_NOT_FOUND)
        rc = SEAU_E_UNAUTHORIZED;
    if (rc == SEAU_E_UNAUTHORIZED)
        audit_note(db, from, 0, NULL, "auth.mfa", "failure", "unknown_challenge", now);
    if (rc)
        return rc;
    struct db_user u;
    rc = db_user_get(db, user_id, &u);
    if (rc == 0 && u.disabled)
        rc = SEAU_E_NOT_FOUND;
    if (rc == SEAU_E_NOT_FOUND) {
        (void)db_mfa_challenge_delete(db, hash);
        return SEAU_E_UNAUTHORIZED;
    }
    if (rc)
        return rc;
    memset(u.password_hash, 0, sizeof(u.password_hash));

    int64_t retry = 0;
    rc = auth__throttle_check(db, lim, u.email, from->ip, now, &retry);
    if (rc == SEAU_E_RATE_LIMITED) {
        audit_note(db, from, u.id, u.email, "auth.mfa", "failure", "rate_limited", now);
        *ret_retry_s = retry;
    }
    if (rc)
        return rc;
    const char *kind = NULL, *reason = NULL;
    rc = use_code(db, &u, code, now, &kind, &reason);
    if (rc == SEAU_E_INVALID_CODE) {
        auth__throttle_fail(db, lim, u.email, from->ip, now);
        audit_note(db, from, u.id, u.email, "auth.mfa", "failure", reason, now);
        return rc;
    }
    if (rc)
        return rc;

    struct auth_login_result res;
    memset(&res, 0, sizeof(res));
    char *details = auth__details(json_pack("{s:s}", "mfa", kind));
    rc = auth_session_start(db, &lim->session, &u, from, details, now, res.token, &res.expires_at);
    free(details);
    if (rc)
        return rc;
    (void)db_mfa_challenge_delete(db, hash);
    auth__throttle_clear(db, u.email, from->ip);
    u.last_login_at = now;
    res.user = u;
    *ret = res;
    str_wipe(&res, sizeof(res));
    return 0;
}

int auth_mfa_disable(struct db *db, const struct auth_limits *lim, const struct auth_principal *p,
                     const struct audit_actor *from, const char *code, int64_t now,
                     int64_t *ret_retry_s)
{
    if (p->via_pat)
        return SEAU_E_FORBIDDEN;
    if (!p->user.mfa)
        return SEAU_E_NOT_FOUND;
    int64_t retry = 0;
    int rc = auth__throttle_check(db, lim, p->user.email, from->ip, now, &retry);
    if (rc == SEAU_E_RATE_LIMITED)
        *ret_retry_s = retry;
    if (rc)
        return rc;
    const char *kind = NULL, *reason = NULL;
    rc = use_code(db, &p->user, code, now, &kind, &reason);
    if (rc == SEAU_E_INVALID_CODE) {
        auth__throttle_fail(db, lim, p->user.email, from->ip, now);
        audit_note(db, from, 0, NULL, "mfa.disable", "failure", reason, now);
        return rc;
    }
    if (rc)
        return rc;
    char *details = auth__details(json_pack("{s:s}", "proof", kind));
    struct db_audit_entry e;
    audit_entry_init(&e, from, "mfa.disable", "success", details, now);
    rc = db_mfa_delete(db, p->user.id, &e);
    free(details);
    return rc;
}

int auth_mfa_reset(struct db *db, const struct audit_actor *from, int64_t target_id, int64_t now)
{
    struct db_user u;
    int rc = db_user_get(db, target_id, &u);
    if (rc)
        return rc;
    char *details = auth__details(
        json_pack("{s:I, s:s}", "targetId", (json_int_t)u.id, "targetEmail", u.email));
    struct db_audit_entry e;
    audit_entry_init(&e, from, "mfa.reset", "success", details, now);
    rc = db_mfa_delete(db, target_id, &e);
    if (rc == SEAU_E_NOT_FOUND) {
        /* Nothing to reset: the goal is reached; the attempt is still on record. */
        audit_entry_init(&e, from, "mfa.reset", "success", details, now);
        rc = db_audit_append(db, &e);
    }
    free(details);
    return rc;
}

int auth_mfa_recovery_left(struct db *db, const struct auth_principal *p, int64_t *ret)
{
    return db_mfa_recovery_left(db, p->user.id, ret);
}
