#include "auth/session.h"

#include "core/err.h"
#include "core/str.h"

#include <sodium.h>
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
