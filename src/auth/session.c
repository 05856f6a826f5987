#include "auth/session.h"

#include "audit/audit.h"
#include "core/err.h"
#include "core/str.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Refreshing last_seen_at costs a write; at most once a minute is precise enough for idle expiry. */
#define TOUCH_INTERVAL_MS 60000

static void sha256(const void *p, size_t n, unsigned char out[DB_TOKEN_HASH_LEN])
{
    crypto_hash_sha256(out, p, n);
}

void auth_token_new(char token[AUTH_TOKEN_LEN + 1], unsigned char hash[DB_TOKEN_HASH_LEN])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(token, AUTH_TOKEN_LEN + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    str_wipe(raw, sizeof(raw));
    sha256(token, AUTH_TOKEN_LEN, hash);
}

int auth_token_hash(const char *token, unsigned char hash[DB_TOKEN_HASH_LEN])
{
    if (!token || strlen(token) != AUTH_TOKEN_LEN)
        return SEAU_E_UNAUTHORIZED;
    for (size_t i = 0; i < AUTH_TOKEN_LEN; i++) {
        char c = token[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (!ok)
            return SEAU_E_UNAUTHORIZED;
    }
    sha256(token, AUTH_TOKEN_LEN, hash);
    return 0;
}

int auth_session_authenticate(struct db *db, const struct auth_session_cfg *cfg,
                              const char *token, int64_t now, struct auth_principal *ret)
{
    unsigned char hash[DB_TOKEN_HASH_LEN];
    int rc = auth_token_hash(token, hash);
    if (rc)
        return rc;
    struct auth_principal p;
    memset(&p, 0, sizeof(p));
    rc = db_session_get(db, hash, &p.session, &p.user);
    if (rc == SEAU_E_NOT_FOUND)
        return SEAU_E_UNAUTHORIZED;
    if (rc)
        return rc;
    if (now >= p.session.expires_at || now - p.session.last_seen_at >= cfg->idle_ms ||
        p.user.disabled)
        return SEAU_E_UNAUTHORIZED;
    p.role = auth_role_parse(p.user.role);
    if (p.role == AUTH_ROLE_NONE)
        return SEAU_E_UNAUTHORIZED;
    p.mfa_enrolment_required = auth_mfa_enrolment_required(cfg, &p.user);
    memcpy(p.token_hash, hash, sizeof(hash));
    /* Short idle timeouts need fresher timestamps: refresh within a quarter of the timeout. */
    int64_t interval = cfg->idle_ms / 4 < TOUCH_INTERVAL_MS ? cfg->idle_ms / 4 : TOUCH_INTERVAL_MS;
    if (now - p.session.last_seen_at >= interval) {
        /* A failed refresh only shortens this session's idle window: not worth failing for. */
        if (db_session_touch(db, hash, now) == 0)
            p.session.last_seen_at = now;
    }
    *ret = p;
    return 0;
}

bool auth_mfa_enrolment_required(const struct auth_session_cfg *cfg, const struct db_user *u)
{
    enum auth_role r = auth_role_parse(u->role);
    return !u->mfa && r != AUTH_ROLE_NONE && (cfg->mfa_required_roles & (1u << r)) != 0;
}

void auth_session_describe(struct db_session *s, const struct audit_actor *from)
{
    /* The public id is random too: it must not lead back to the token. */
    unsigned char raw[DB_SESSION_ID_MAX / 2];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(s->id, sizeof(s->id), raw, sizeof(raw));
    if (from->ip)
        snprintf(s->ip, sizeof(s->ip), "%s", from->ip);
    if (from->user_agent)
        str_utf8_copy_lossy(s->user_agent, sizeof(s->user_agent), from->user_agent);
}

int auth_session_start(struct db *db, const struct auth_session_cfg *cfg, const struct db_user *u,
                       const struct audit_actor *from, const char *details, int64_t now,
                       char ret_token[AUTH_TOKEN_LEN + 1], int64_t *ret_expires_at)
{
    char token[AUTH_TOKEN_LEN + 1];
    struct db_session s;
    memset(&s, 0, sizeof(s));
    auth_token_new(token, s.token_hash);
    auth_session_describe(&s, from);
    s.user_id = u->id;
    s.created_at = s.last_seen_at = now;
    s.expires_at = now + cfg->max_age_ms;
    struct audit_actor a = *from;
    a.user_id = u->id;
    a.email = u->email;
    struct db_audit_entry e;
    audit_entry_init(&e, &a, "auth.login", "success", details, now);
    int rc = db_session_create(db, &s, &e);
    if (rc == 0) {
        memcpy(ret_token, token, sizeof(token));
        *ret_expires_at = s.expires_at;
    }
    str_wipe(token, sizeof(token));
    str_wipe(&s, sizeof(s));
    return rc;
}

int auth_sessions_list(struct db *db, const struct auth_session_cfg *cfg,
                       const struct auth_principal *p, int64_t now, struct db_session **ret,
                       size_t *ret_n)
{
    return db_session_list(db, p->user.id, now - cfg->idle_ms, now, ret, ret_n);
}

int auth_session_end(struct db *db, const struct auth_principal *p, const struct audit_actor *from,
                     const char *id, int64_t now)
{
    if (!id || strlen(id) > DB_SESSION_ID_MAX)
        return SEAU_E_NOT_FOUND;
    json_t *d = json_pack("{s:s}", "sessionId", id);
    char *details = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    struct db_audit_entry e;
    audit_entry_init(&e, from, "auth.session.end", "success", details, now);
    int rc = db_session_delete_id(db, p->user.id, id, &e);
    free(details);
    return rc;
}

int auth_sessions_end_others(struct db *db, const struct auth_principal *p,
                             const struct audit_actor *from, int64_t now, int64_t *ret_n)
{
    struct db_audit_entry e;
    audit_entry_init(&e, from, "auth.session.end_others", "success", NULL, now);
    return db_session_delete_others(db, p->user.id, p->token_hash, &e, ret_n);
}
