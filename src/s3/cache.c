/*
 * The short-lived cache of listing pages and HEADs (client.h, "Cache").
 *
 * Entries live in a small chained hash table under one mutex, keyed by a
 * string naming the request whole ("L" or "H", bucket, every parameter).
 * A lookup that finds nothing fresh puts an entry "in flight" in the table
 * and performs the request without the lock; identical requests arriving
 * meanwhile wait on the entry's condition for its answer (one S3 call for
 * all of them). Successful answers are kept ttl_ms; failures are handed to
 * the waiters and never kept.
 *
 * Invalidation (a write through the client, or s3_client_invalidate())
 * takes matching entries out of the table at once, in flight or not: later
 * lookups start a fresh request, while the callers already waiting on an
 * entry get its answer. An entry is freed when neither the table nor any
 * caller holds it (refs).
 *
 * Answers are deep-copied in and out, so callers own what they get, exactly
 * as from the uncached calls. Memory: at most max_entries answers.
 */
#include "s3/internal.h"

#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"

#include <stdlib.h>
#include <string.h>

#define CACHE__SLOTS 256

enum cache__kind { CACHE__LIST, CACHE__HEAD };

struct s3__cache_entry {
    struct s3__cache_entry *next; /* in its slot's chain; NULL when out of the table */
    char *id;                     /* the request's identity */
    char *bucket;
    char *key; /* HEAD: the key; LIST: the prefix ("" for none) */
    enum cache__kind kind;
    uint64_t hash;
    bool in_table;
    bool in_flight;
    int64_t expires_ms;
    int refs; /* the table + each caller holding it */
    int rc;
    struct s3_error err;
    struct s3_xml_answer list;
    struct s3_object_head head;
    pthread_cond_t done;
};

struct s3__cache {
    pthread_mutex_t lock;
    int64_t ttl_ms;
    size_t max_entries, count;
    struct s3__cache_entry *slots[CACHE__SLOTS];
    atomic_uint_fast64_t hits, misses, coalesced, invalidations;
};

static uint64_t cache__hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void cache__entry_free(struct s3__cache_entry *e)
{
    if (!e)
        return;
    free(e->id);
    free(e->bucket);
    free(e->key);
    s3_xml_answer_done(&e->list);
    s3_object_head_done(&e->head);
    pthread_cond_destroy(&e->done);
    free(e);
}

static void cache__unref(struct s3__cache_entry *e)
{
    if (--e->refs == 0)
        cache__entry_free(e);
}

/* Takes e out of the table (its caller holds the lock). */
static void cache__detach(struct s3__cache *c, struct s3__cache_entry *e)
{
    struct s3__cache_entry **p = &c->slots[e->hash % CACHE__SLOTS];
    while (*p && *p != e)
        p = &(*p)->next;
    if (*p)
        *p = e->next;
    e->next = NULL;
    e->in_table = false;
    c->count--;
    cache__unref(e);
}

int s3__cache_new(int64_t ttl_ms, size_t max_entries, struct s3__cache **ret)
{
    struct s3__cache *c = calloc(1, sizeof(*c));
    if (!c)
        return SEAU_E_NOMEM;
    pthread_mutex_init(&c->lock, NULL);
    c->ttl_ms = ttl_ms;
    c->max_entries = max_entries ? max_entries : 4096;
    *ret = c;
    return 0;
}

void s3__cache_free(struct s3__cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < CACHE__SLOTS; i++) {
        while (c->slots[i])
            cache__detach(c, c->slots[i]);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Makes room for one entry: drops expired ones, then any settled one. */
static void cache__make_room(struct s3__cache *c, int64_t now)
{
    for (int pass = 0; pass < 2 && c->count >= c->max_entries; pass++) {
        for (size_t i = 0; i < CACHE__SLOTS && c->count >= c->max_entries; i++) {
            struct s3__cache_entry *e = c->slots[i];
            while (e && c->count >= c->max_entries) {
                struct s3__cache_entry *next = e->next;
                if (!e->in_flight && (pass == 1 || e->expires_ms <= now))
                    cache__detach(c, e);
                e = next;
            }
        }
    }
}

static int cache__copy_str(const char *s, const char **ret)
{
    char *d = str_dup(s ? s : "");
    if (!d)
        return SEAU_E_NOMEM;
    *ret = d;
    return 0;
}

/* A deep copy of a ListObjectsV2 answer; dst is zeroed on failure. */
static int cache__copy_list(const struct s3_xml_answer *src, struct s3_xml_answer *dst)
{
    memset(dst, 0, sizeof(*dst));
    dst->kind = S3_XML_LIST_OBJECTS_V2;
    const struct s3_object_list *s = &src->objects;
    struct s3_object_list *d = &dst->objects;
    d->key_count = s->key_count;
    d->max_keys = s->max_keys;
    d->is_truncated = s->is_truncated;
    int rc = 0;
    const char *const *from[] = {&s->name, &s->prefix, &s->delimiter, &s->start_after,
                                 &s->continuation_token, &s->next_continuation_token,
                                 &s->encoding_type};
    const char **to[] = {&d->name, &d->prefix, &d->delimiter, &d->start_after,
                         &d->continuation_token, &d->next_continuation_token, &d->encoding_type};
    for (size_t i = 0; rc == 0 && i < sizeof(from) / sizeof(from[0]); i++)
        rc = cache__copy_str(*from[i], to[i]);
    if (rc == 0 && s->object_count) {
        d->objects = calloc(s->object_count, sizeof(*d->objects));
        rc = d->objects ? 0 : SEAU_E_NOMEM;
        for (size_t i = 0; rc == 0 && i < s->object_count; i++) {
            const struct s3_object *so = &s->objects[i];
            struct s3_object *o = &d->objects[i];
            d->object_count = i + 1;
            o->last_modified_ms = so->last_modified_ms;
            o->size = so->size;
            rc = cache__copy_str(so->key, &o->key);
            if (rc == 0)
                rc = cache__copy_str(so->etag, &o->etag);
            if (rc == 0)
                rc = cache__copy_str(so->storage_class, &o->storage_class);
            if (rc == 0)
                rc = cache__copy_str(so->owner_id, &o->owner_id);
            if (rc == 0)
                rc = cache__copy_str(so->owner_name, &o->owner_name);
        }
    }
    if (rc == 0 && s->common_prefix_count) {
        d->common_prefixes = calloc(s->common_prefix_count, sizeof(*d->common_prefixes));
        rc = d->common_prefixes ? 0 : SEAU_E_NOMEM;
        for (size_t i = 0; rc == 0 && i < s->common_prefix_count; i++) {
            d->common_prefix_count = i + 1;
            rc = cache__copy_str(s->common_prefixes[i], &d->common_prefixes[i]);
        }
    }
    if (rc)
        s3_xml_answer_done(dst);
    return rc;
}

/* A deep copy of a HEAD answer; dst is zeroed on failure. */
static int cache__copy_head(const struct s3_object_head *src, struct s3_object_head *dst)
{
    *dst = *src;
    dst->meta = NULL;
    dst->meta_count = 0;
    if (!src->meta_count)
        return 0;
    dst->meta = calloc(src->meta_count, sizeof(*dst->meta));
    int rc = dst->meta ? 0 : SEAU_E_NOMEM;
    for (size_t i = 0; rc == 0 && i < src->meta_count; i++) {
        /* As the client stores them: name and value in one allocation, freed by name. */
        size_t nlen = strlen(src->meta[i].name), vlen = strlen(src->meta[i].value);
        char *p = malloc(nlen + vlen + 2);
        if (!p) {
            rc = SEAU_E_NOMEM;
            break;
        }
        memcpy(p, src->meta[i].name, nlen + 1);
        memcpy(p + nlen + 1, src->meta[i].value, vlen + 1);
        dst->meta[i] = (struct s3_meta){p, p + nlen + 1};
        dst->meta_count = i + 1;
    }
    if (rc)
        s3_object_head_done(dst);
    return rc;
}

/* The answer of a settled entry, copied out to the caller. */
static int cache__deliver(const struct s3__cache_entry *e, struct s3_xml_answer *ret_list,
                          struct s3_object_head *ret_head, struct s3_error *ret_err)
{
    if (e->rc) {
        if (ret_err)
            *ret_err = e->err;
        return e->rc;
    }
    int rc = e->kind == CACHE__LIST ? cache__copy_list(&e->list, ret_list)
                                    : cache__copy_head(&e->head, ret_head);
    if (rc && ret_err)
        s3__err(ret_err, 0, "InvalidInput", "cache: out of memory");
    return rc;
}

/*
 * The one path of both cached calls: id names the request, fetch performs
 * it. Returns what fetch returned (or a copy of it, for hits and waiters).
 */
static int cache__get(struct s3_client *cl, enum cache__kind kind, const char *id,
                      const char *bucket, const char *key,
                      int (*fetch)(struct s3_client *cl, void *ctx, struct s3_xml_answer *l,
                                   struct s3_object_head *h, struct s3_error *e),
                      void *ctx, struct s3_xml_answer *ret_list, struct s3_object_head *ret_head,
                      struct s3_error *ret_err)
{
    struct s3__cache *c = cl->cache;
    uint64_t hash = cache__hash(id);
    int64_t now = time_mono_ns() / 1000000;
    pthread_mutex_lock(&c->lock);
    struct s3__cache_entry *e = c->slots[hash % CACHE__SLOTS];
    while (e && (e->hash != hash || strcmp(e->id, id) != 0))
        e = e->next;
    if (e && !e->in_flight && e->expires_ms <= now) {
        cache__detach(c, e); /* stale */
        e = NULL;
    }
    if (e) {
        e->refs++;
        if (e->in_flight) {
            atomic_fetch_add(&c->coalesced, 1);
            while (e->in_flight)
                pthread_cond_wait(&e->done, &c->lock);
        } else {
            atomic_fetch_add(&c->hits, 1);
        }
        int rc = cache__deliver(e, ret_list, ret_head, ret_err);
        cache__unref(e);
        pthread_mutex_unlock(&c->lock);
        return rc;
    }
    atomic_fetch_add(&c->misses, 1);
    cache__make_room(c, now);
    e = calloc(1, sizeof(*e));
    if (e) {
        e->id = str_dup(id);
        e->bucket = str_dup(bucket);
        e->key = str_dup(key ? key : "");
        pthread_cond_init(&e->done, NULL);
        if (!e->id || !e->bucket || !e->key) {
            cache__entry_free(e);
            e = NULL;
        }
    }
    if (!e) { /* no memory to share it: fetch alone */
        pthread_mutex_unlock(&c->lock);
        return fetch(cl, ctx, ret_list, ret_head, ret_err);
    }
    e->kind = kind;
    e->hash = hash;
    e->in_flight = true;
    e->in_table = true;
    e->refs = 2; /* the table and this caller */
    e->next = c->slots[hash % CACHE__SLOTS];
    c->slots[hash % CACHE__SLOTS] = e;
    c->count++;
    pthread_mutex_unlock(&c->lock);

    struct s3_error err;
    memset(&err, 0, sizeof(err));
    int rc = fetch(cl, ctx, &e->list, &e->head, &err);

    pthread_mutex_lock(&c->lock);
    e->rc = rc;
    e->err = err;
    e->in_flight = false;
    e->expires_ms = time_mono_ns() / 1000000 + c->ttl_ms;
    pthread_cond_broadcast(&e->done);
    if (rc && e->in_table)
        cache__detach(c, e); /* failures are shared with the waiters, not kept */
    int out = cache__deliver(e, ret_list, ret_head, ret_err);
    cache__unref(e);
    pthread_mutex_unlock(&c->lock);
    return out;
}

void s3__cache_invalidate(struct s3__cache *c, const char *bucket, const char *key)
{
    if (!c || !bucket)
        return;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < CACHE__SLOTS; i++) {
        struct s3__cache_entry *e = c->slots[i];
        while (e) {
            struct s3__cache_entry *next = e->next;
            bool match = strcmp(e->bucket, bucket) == 0;
            if (match && key) {
                if (e->kind == CACHE__HEAD)
                    match = strcmp(e->key, key) == 0;
                else /* a listing under a prefix of the key may show it */
                    match = strncmp(key, e->key, strlen(e->key)) == 0;
            }
            if (match) {
                atomic_fetch_add(&c->invalidations, 1);
                cache__detach(c, e);
            }
            e = next;
        }
    }
    pthread_mutex_unlock(&c->lock);
}

/* ------------------------------------------------------------- the calls */

static int fetch_list(struct s3_client *cl, void *ctx, struct s3_xml_answer *l,
                      struct s3_object_head *h, struct s3_error *e)
{
    (void)h;
    void **args = ctx;
    return s3_list_objects_v2(cl, args[0], args[1], l, e);
}

static int fetch_head(struct s3_client *cl, void *ctx, struct s3_xml_answer *l,
                      struct s3_object_head *h, struct s3_error *e)
{
    (void)l;
    void **args = ctx;
    return s3_head_object(cl, args[0], args[1], NULL, h, e);
}

/* Appends s to an identity, its length first: parameters may hold any character, so no
 * separator alone could keep two different requests apart. */
static int id_add(struct buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    int rc = buf_printf(b, "%zu:", n);
    if (rc == 0 && n)
        rc = buf_append(b, s, n);
    return rc;
}

int s3_list_objects_v2_cached(struct s3_client *c, const char *bucket,
                              const struct s3_list_params *p, struct s3_xml_answer *ret,
                              struct s3_error *ret_err)
{
    if (!c->cache || !bucket)
        return s3_list_objects_v2(c, bucket, p, ret, ret_err);
    static const struct s3_list_params none;
    if (!p)
        p = &none;
    struct buf id;
    buf_init(&id, 16 * 1024);
    int rc = buf_append(&id, "L", 1);
    if (rc == 0)
        rc = id_add(&id, bucket);
    if (rc == 0)
        rc = id_add(&id, p->prefix);
    if (rc == 0)
        rc = id_add(&id, p->delimiter);
    if (rc == 0)
        rc = id_add(&id, p->continuation_token);
    if (rc == 0)
        rc = id_add(&id, p->start_after);
    if (rc == 0)
        rc = buf_printf(&id, "%d:%d", p->max_keys, p->fetch_owner ? 1 : 0);
    if (rc == 0) {
        void *args[] = {(void *)bucket, (void *)p};
        rc = cache__get(c, CACHE__LIST, buf_cstr(&id), bucket, p->prefix, fetch_list, args, ret,
                        NULL, ret_err);
    } else {
        rc = s3_list_objects_v2(c, bucket, p, ret, ret_err);
    }
    buf_done(&id);
    return rc;
}

int s3_head_object_cached(struct s3_client *c, const char *bucket, const char *key,
                          struct s3_object_head *ret, struct s3_error *ret_err)
{
    if (!c->cache || !bucket || !key)
        return s3_head_object(c, bucket, key, NULL, ret, ret_err);
    struct buf id;
    buf_init(&id, 4 * 1024);
    int rc = buf_append(&id, "H", 1);
    if (rc == 0)
        rc = id_add(&id, bucket);
    if (rc == 0)
        rc = id_add(&id, key);
    if (rc == 0) {
        void *args[] = {(void *)bucket, (void *)key};
        rc = cache__get(c, CACHE__HEAD, buf_cstr(&id), bucket, key, fetch_head, args, NULL, ret,
                        ret_err);
    } else {
        rc = s3_head_object(c, bucket, key, NULL, ret, ret_err);
    }
    buf_done(&id);
    return rc;
}

void s3_client_invalidate(struct s3_client *c, const char *bucket, const char *key)
{
    if (c)
        s3__cache_invalidate(c->cache, bucket, key);
}

void s3_client_cache_stats(struct s3_client *c, struct s3_cache_stats *ret)
{
    memset(ret, 0, sizeof(*ret));
    struct s3__cache *k = c ? c->cache : NULL;
    if (!k)
        return;
    ret->enabled = true;
    ret->hits = atomic_load(&k->hits);
    ret->misses = atomic_load(&k->misses);
    ret->coalesced = atomic_load(&k->coalesced);
    ret->invalidations = atomic_load(&k->invalidations);
    pthread_mutex_lock(&k->lock);
    ret->entries = k->count;
    pthread_mutex_unlock(&k->lock);
}
