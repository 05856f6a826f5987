/*
 * What db_session_get found, kept for a short while (db_session_cache_enable).
 *
 * Every API request reads its session and user: on SQLite that read costs
 * about a quarter of a simple request's CPU (most of it the read
 * transaction's file locks), on PostgreSQL a round trip. A request within
 * the time to live of the same token's last lookup is answered from here.
 *
 * A copy is only used while nothing that could change it has been written
 * through this handle: every write of a session or a user (db.c, auth_bump)
 * moves the store's generation on, and a copy taken under an older one is
 * not used. The generation is read before the lookup, so a write that lands
 * while a lookup runs leaves a copy that is already stale, never one that
 * looks fresh. Writes made elsewhere (another replica, `seau user` in
 * another process) are seen once the copy's time to live has passed.
 *
 * The table is direct-mapped by the token's hash (SHA-256: evenly spread):
 * a slot holds the last token looked up there. The
 * user's password hash is never kept: nothing that authenticates by session
 * needs it.
 */
#include "db/backend.h"

#include "core/err.h"
#include "core/timeutil.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 512 /* a power of two */
#define CACHE_LOCKS 32  /* slots share locks, so that initialising them touches no slot */

struct cache_slot {
    bool used;
    unsigned char token_hash[DB_TOKEN_HASH_LEN];
    uint64_t generation; /* the store's when the lookup began */
    int64_t fetched_ns;  /* monotonic */
    struct db_session session;
    struct db_user user;
};

struct db__session_cache {
    int64_t ttl_ns;
    pthread_mutex_t locks[CACHE_LOCKS]; /* slot i is under locks[i % CACHE_LOCKS] */
    struct cache_slot slots[CACHE_SLOTS];
};

int db__session_cache_new(int64_t ttl_ms, struct db__session_cache **ret)
{
    /* calloc: the slots' pages (1.2 MiB) stay untouched, and out of RSS, until used. */
    struct db__session_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return SEAU_E_NOMEM;
    c->ttl_ns = ttl_ms * 1000000;
    for (size_t i = 0; i < CACHE_LOCKS; i++)
        pthread_mutex_init(&c->locks[i], NULL);
    *ret = c;
    return 0;
}

void db__session_cache_free(struct db__session_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < CACHE_LOCKS; i++)
        pthread_mutex_destroy(&c->locks[i]);
    sodium_memzero(c, sizeof(*c));
    free(c);
}

static size_t slot_index(const unsigned char *token_hash)
{
    return ((size_t)token_hash[0] << 8 | token_hash[1]) & (CACHE_SLOTS - 1);
}

bool db__session_cache_get(struct db__session_cache *c, const unsigned char *token_hash,
                           uint64_t generation, struct db_session *ret_s, struct db_user *ret_u)
{
    size_t i = slot_index(token_hash);
    struct cache_slot *s = &c->slots[i];
    int64_t now = time_mono_ns();
    pthread_mutex_lock(&c->locks[i % CACHE_LOCKS]);
    bool hit = s->used && s->generation == generation && now - s->fetched_ns < c->ttl_ns &&
               sodium_memcmp(s->token_hash, token_hash, DB_TOKEN_HASH_LEN) == 0;
    if (hit) {
        *ret_s = s->session;
        *ret_u = s->user;
    }
    pthread_mutex_unlock(&c->locks[i % CACHE_LOCKS]);
    return hit;
}

void db__session_cache_put(struct db__session_cache *c, const unsigned char *token_hash,
                           uint64_t generation, int64_t fetched_ns, const struct db_session *sess,
                           const struct db_user *user)
{
    size_t i = slot_index(token_hash);
    struct cache_slot *s = &c->slots[i];
    pthread_mutex_lock(&c->locks[i % CACHE_LOCKS]);
    /* A newer copy already there (a later lookup finished first) stays. */
    if (!s->used || s->generation <= generation ||
        sodium_memcmp(s->token_hash, token_hash, DB_TOKEN_HASH_LEN) != 0) {
        s->used = true;
        memcpy(s->token_hash, token_hash, DB_TOKEN_HASH_LEN);
        s->generation = generation;
        s->fetched_ns = fetched_ns;
        s->session = *sess;
        s->user = *user;
        sodium_memzero(s->user.password_hash, sizeof(s->user.password_hash));
    }
    pthread_mutex_unlock(&c->locks[i % CACHE_LOCKS]);
}
