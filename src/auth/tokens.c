#include "auth/tokens.h"

#include "auth/accounts.h"
#include "core/err.h"
#include "core/str.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOUCH_INTERVAL_MS 60000

bool auth_pat_looks_like(const char *token)
{
    return token && strncmp(token, AUTH_PAT_PREFIX, sizeof(AUTH_PAT_PREFIX) - 1) == 0;
}

/* SHA-256 of a well-formed token; SEAU_E_UNAUTHORIZED for anything else. */
static int pat_hash(const char *token, unsigned char out[DB_TOKEN_HASH_LEN])
{
    if (!auth_pat_looks_like(token) || strlen(token) != AUTH_PAT_LEN)
        return SEAU_E_UNAUTHORIZED;
    for (const char *c = token + sizeof(AUTH_PAT_PREFIX) - 1; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '-' || *c == '_';
        if (!ok)
            return SEAU_E_UNAUTHORIZED;
    }
    crypto_hash_sha256(out, (const unsigned char *)token, AUTH_PAT_LEN);
    return 0;
}

static char *details_of(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return s;
}

int auth_pat_create(struct db *db, const struct auth_principal *p, const struct audit_actor *from,
                    const char *name, int64_t expires_in_s, int64_t now,
                    char ret_token[AUTH_PAT_LEN + 1], struct db_pat *ret)
{
    if (p->via_pat)
        return SEAU_E_FORBIDDEN;
    if (!name || auth_name_problem(name) || strlen(name) > AUTH_PAT_NAME_MAX || expires_in_s < 0 ||
        expires_in_s > AUTH_PAT_MAX_EXPIRY_S)
        return SEAU_E_VALIDATION;
    struct db_pat t;
    memset(&t, 0, sizeof(t));
    unsigned char raw[32], idraw[DB_PAT_ID_MAX / 2];
    char token[AUTH_PAT_LEN + 1];
    randombytes_buf(raw, sizeof(raw));
    memcpy(token, AUTH_PAT_PREFIX, sizeof(AUTH_PAT_PREFIX) - 1);
    sodium_bin2base64(token + sizeof(AUTH_PAT_PREFIX) - 1, AUTH_TOKEN_LEN + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    crypto_hash_sha256(t.token_hash, (const unsigned char *)token, AUTH_PAT_LEN);
    randombytes_buf(idraw, sizeof(idraw));
    sodium_bin2hex(t.id, sizeof(t.id), idraw, sizeof(idraw));
    t.user_id = p->user.id;
    snprintf(t.name, sizeof(t.name), "%s", name);
    t.created_at = now;
    t.expires_at = expires_in_s ? now + expires_in_s * 1000 : 0;
    char *details = details_of(json_pack("{s:s, s:s}", "tokenId", t.id, "name", t.name));
    struct db_audit_entry e;
    audit_entry_init(&e, from, "token.create", "success", details, now);
    int rc = db_pat_insert(db, &t, AUTH_PAT_MAX_PER_USER, &e);
    free(details);
    if (rc == 0) {
        memcpy(ret_token, token, sizeof(token));
        *ret = t;
    }
    str_wipe(token, sizeof(token));
    return rc;
}

int auth_pat_list(struct db *db, const struct auth_principal *p, struct db_pat **ret, size_t *ret_n)
{
    return db_pat_list(db, p->user.id, ret, ret_n);
}

int auth_pat_revoke(struct db *db, const struct auth_principal *p, const struct audit_actor *from,
                    const char *id, int64_t now)
{
    if (!id || strlen(id) > DB_PAT_ID_MAX)
        return SEAU_E_NOT_FOUND;
    char *details = details_of(json_pack("{s:s}", "tokenId", id));
    struct db_audit_entry e;
    audit_entry_init(&e, from, "token.revoke", "success", details, now);
    int rc = db_pat_delete(db, p->user.id, id, &e);
    free(details);
    return rc;
}

int auth_pat_authenticate(struct db *db, const struct auth_session_cfg *cfg, const char *token,
                          int64_t now, struct auth_principal *ret)
{
    unsigned char hash[DB_TOKEN_HASH_LEN];
    int rc = pat_hash(token, hash);
    if (rc)
        return rc;
    struct auth_principal p;
    memset(&p, 0, sizeof(p));
    struct db_pat t;
    rc = db_pat_get_by_hash(db, hash, &t, &p.user);
    if (rc == SEAU_E_NOT_FOUND)
        return SEAU_E_UNAUTHORIZED;
    if (rc)
        return rc;
    /* The index found the row by its hash; compare again without a data-dependent branch. */
    bool same = sodium_memcmp(t.token_hash, hash, DB_TOKEN_HASH_LEN) == 0;
    if (!same || (t.expires_at && now >= t.expires_at) || p.user.disabled)
        return SEAU_E_UNAUTHORIZED;
    p.role = auth_role_parse(p.user.role);
    if (p.role == AUTH_ROLE_NONE)
        return SEAU_E_UNAUTHORIZED;
    memset(p.user.password_hash, 0, sizeof(p.user.password_hash));
    p.mfa_enrolment_required = auth_mfa_enrolment_required(cfg, &p.user);
    p.via_pat = true;
    memcpy(p.pat_id, t.id, sizeof(p.pat_id));
    memcpy(p.token_hash, hash, sizeof(hash));
    /* Like sessions: a write at most once a minute, so reads stay reads. */
    if (now - t.last_used_at >= TOUCH_INTERVAL_MS)
        (void)db_pat_touch(db, t.id, now);
    *ret = p;
    return 0;
}
