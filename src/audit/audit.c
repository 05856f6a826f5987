#include "audit/audit.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

#include <inttypes.h>
#include <sodium.h>
#include <string.h>

/*
 * SHA-256 by libsodium, as the session and token hashes: the first use of
 * OpenSSL's EVP loads its configuration and registers every algorithm of
 * its default provider, about 2 MiB of touched pages that an idle server
 * without S3 traffic over TLS would keep only for this.
 */

static const char zero_hash[65] = "0000000000000000000000000000000000000000000000000000000000000000";

/* Length-prefixed so that no two different entries encode the same. */
static void encode_str(crypto_hash_sha256_state *md, const char *s)
{
    char head[32];
    if (!s) {
        crypto_hash_sha256_update(md, (const unsigned char *)"~", 1);
        return;
    }
    size_t n = strlen(s);
    int h = snprintf(head, sizeof(head), "%zu:", n);
    crypto_hash_sha256_update(md, (const unsigned char *)head, (unsigned long long)h);
    crypto_hash_sha256_update(md, (const unsigned char *)s, n);
}

static void encode_int(crypto_hash_sha256_state *md, int64_t v)
{
    char text[32];
    snprintf(text, sizeof(text), "%" PRId64, v);
    encode_str(md, text);
}

static void compute_hash(const char *prev_hash, const struct db_audit_entry *e, char out[65])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state md;
    crypto_hash_sha256_init(&md);
    encode_str(&md, "seau-audit-v1");
    encode_str(&md, prev_hash);
    encode_int(&md, e->id);
    encode_int(&md, e->time);
    encode_int(&md, e->user_id);
    encode_str(&md, e->user_email);
    encode_str(&md, e->action);
    encode_str(&md, e->bucket);
    encode_str(&md, e->key);
    encode_str(&md, e->ip);
    encode_str(&md, e->user_agent);
    encode_str(&md, e->status);
    encode_str(&md, e->details ? e->details : "{}");
    crypto_hash_sha256_final(&md, digest);
    str_hex(digest, sizeof(digest), out);
}

void audit_seal(const char *prev_hash, struct db_audit_entry *e)
{
    memcpy(e->prev_hash, prev_hash, 64);
    e->prev_hash[64] = '\0';
    compute_hash(prev_hash, e, e->hash);
}

struct verify_state {
    struct audit_verify_result *res;
    char prev_hash[65];
    int64_t prev_id;
};

static int verify_one(void *ctx, const struct db_audit_entry *e)
{
    struct verify_state *st = ctx;
    struct audit_verify_result *res = st->res;
    if (res->broken_id)
        return 0; /* The first break is the one to report; keep counting. */
    res->entries++;
    char expect[65];
    if (e->id != st->prev_id + 1)
        res->reason = "an entry before this one is missing";
    else if (strcmp(e->prev_hash, st->prev_hash) != 0)
        res->reason = "its link to the previous entry does not match";
    else {
        compute_hash(e->prev_hash, e, expect);
        if (!str_ct_equal(expect, 64, e->hash, strlen(e->hash)))
            res->reason = "its content does not match its hash";
    }
    if (res->reason) {
        res->broken_id = e->id;
        return 0;
    }
    memcpy(st->prev_hash, e->hash, sizeof(st->prev_hash));
    st->prev_id = e->id;
    return 0;
}

int audit_verify(struct db *db, struct audit_verify_result *ret)
{
    struct audit_verify_result res = {0, 0, NULL};
    struct verify_state st = {.res = &res, .prev_id = 0};
    memcpy(st.prev_hash, zero_hash, sizeof(st.prev_hash));
    int rc = db_audit_walk(db, verify_one, &st);
    if (rc)
        return rc;
    *ret = res;
    return 0;
}

void audit_entry_init(struct db_audit_entry *e, const struct audit_actor *actor,
                      const char *action, const char *status, const char *details, int64_t now)
{
    memset(e, 0, sizeof(*e));
    e->time = now;
    /* The store only reads these; the casts drop const for the shared struct's sake. */
    e->user_id = actor ? actor->user_id : 0;
    e->user_email = actor ? (char *)(uintptr_t)actor->email : NULL;
    e->ip = actor ? (char *)(uintptr_t)actor->ip : NULL;
    e->user_agent = actor ? (char *)(uintptr_t)actor->user_agent : NULL;
    e->action = (char *)(uintptr_t)action;
    e->status = (char *)(uintptr_t)status;
    e->details = (char *)(uintptr_t)details;
}

int audit_list(struct db *db, const struct db_audit_filter *f, size_t limit, struct audit_page *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (limit == 0)
        return SEAU_E_VALIDATION;
    struct db_audit_filter g = *f;
    g.limit = limit + 1; /* one more tells whether there is a next page */
    int rc = db_audit_list(db, &g, &ret->entries, &ret->held);
    if (rc)
        return rc;
    ret->more = ret->held > limit;
    ret->n = ret->more ? limit : ret->held;
    return 0;
}

void audit_page_done(struct audit_page *p)
{
    if (!p)
        return;
    db_audit_entries_free(p->entries, p->held);
    memset(p, 0, sizeof(*p));
}
