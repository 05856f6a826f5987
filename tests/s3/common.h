/*
 * Helpers shared by the S3 integration tests (the programs in tests/s3/): the peer named
 * by the environment that tests/peers/with-env.sh sets (S3_PEER, S3_ENDPOINT,
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION), a client on it,
 * bucket names, memory sinks and sources, and the skips the peers README
 * allows. Header-only: each test program is one translation unit.
 */
#ifndef SEAU_TESTS_S3_COMMON_H
#define SEAU_TESTS_S3_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "s3/client.h"
#include "s3/sqs.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct t_peer {
    const char *name; /* "rgw" or "s3rver" */
    const char *endpoint, *access_key, *secret_key, *region;
    bool rgw;
};

static inline struct t_peer t_peer_from_env(void)
{
    struct t_peer p = {
        .name = getenv("S3_PEER"),
        .endpoint = getenv("S3_ENDPOINT"),
        .access_key = getenv("AWS_ACCESS_KEY_ID"),
        .secret_key = getenv("AWS_SECRET_ACCESS_KEY"),
        .region = getenv("AWS_REGION"),
    };
    if (!p.name || !p.endpoint || !p.access_key || !p.secret_key) {
        fprintf(stderr, "S3_PEER, S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must "
                        "be set: run through tests/peers/with-env.sh (the s3_peers_up fixture)\n");
        exit(1);
    }
    p.rgw = strcmp(p.name, "rgw") == 0;
    return p;
}

/* Says, in the test output, why a step is skipped on this peer, then skips. */
#define T_SKIP_ON_S3RVER(peer, what)                                                               \
    do {                                                                                           \
        if (!(peer)->rgw) {                                                                        \
            printf("[ SKIP     ] s3rver: %s (not implemented by s3rver 3.7, see "                  \
                   "../shared/peers/README.md)\n",                                                 \
                   what);                                                                          \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* A step s3rver gets wrong, measured here and not (yet) in the peers README:
 * say so in the output, and let the caller leave that step out. */
static inline bool t_s3rver_lacks(const struct t_peer *peer, const char *what)
{
    if (peer->rgw)
        return false;
    printf("[ SKIP     ] s3rver: %s (an s3rver 3.7 bug, measured; RGW is tested on it)\n", what);
    return true;
}

/* Prints what a failed call said, then fails. */
#define T_OK(call, err)                                                                            \
    do {                                                                                           \
        int t_rc_ = (call);                                                                        \
        if (t_rc_ != 0) {                                                                          \
            char t_why_[1024];                                                                     \
            fail_msg("%s: %s — %s", #call, err_name(t_rc_),                                        \
                     s3_error_describe(&(err), t_why_, sizeof(t_why_)));                           \
        }                                                                                          \
    } while (0)

static inline struct s3_cred_provider *t_provider(const char *ak, const char *sk)
{
    struct s3_cred_env env = {.access_key_id = ak, .secret_access_key = sk};
    struct s3_cred_provider *p = NULL;
    assert_int_equal(s3_credentials_open(&env, &p), 0);
    return p;
}

/* A bucket name unique to this process and call. */
static inline void t_bucket_name(const char *tag, char out[64])
{
    static int n;
    (void)snprintf(out, 64, "seau-%s-%d-%lld-%d", tag, (int)getpid(),
                   (long long)(time_now_ms() % 100000000), n++);
}

/* A sink that collects the object in memory. */
struct t_mem_sink {
    struct buf data;
    int heads;
    int64_t head_length;
    int fail_after; /* > 0: fail once this many bytes arrived */
};

static inline int t_sink_head(void *ctx, const struct s3_object_head *h)
{
    struct t_mem_sink *s = ctx;
    s->heads++;
    s->head_length = h->content_length;
    return 0;
}

static inline int t_sink_write(void *ctx, const void *p, size_t n)
{
    struct t_mem_sink *s = ctx;
    if (buf_append(&s->data, p, n) != 0)
        return SEAU_E_TOO_LARGE;
    if (s->fail_after > 0 && s->data.len >= (size_t)s->fail_after)
        return SEAU_E_IO;
    return 0;
}

static inline void t_sink_init(struct t_mem_sink *s, struct s3_sink *ret)
{
    memset(s, 0, sizeof(*s));
    buf_init(&s->data, 64u * 1024 * 1024);
    *ret = (struct s3_sink){.on_head = t_sink_head, .write = t_sink_write, .ctx = s};
}

/* A streamed source of `length` pseudo-random bytes from a seed. */
struct t_source {
    uint64_t seed, length, pos;
    uint64_t offset; /* the stream gives bytes offset.. of the seed's sequence */
    int rewinds;
    uint64_t short_at; /* > 0: pretend the source ends here */
};

static inline unsigned char t_byte(uint64_t seed, uint64_t i)
{
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 32;
    return (unsigned char)x;
}

static inline int t_source_read(void *ctx, void *buf, size_t cap, size_t *ret_len)
{
    struct t_source *s = ctx;
    uint64_t end = s->short_at ? s->short_at : s->length;
    size_t n = 0;
    unsigned char *p = buf;
    while (n < cap && s->pos < end)
        p[n++] = t_byte(s->seed, s->offset + s->pos++);
    *ret_len = n;
    return 0;
}

static inline int t_source_rewind(void *ctx)
{
    struct t_source *s = ctx;
    s->pos = 0;
    s->rewinds++;
    return 0;
}

/* Fills a buffer with the same bytes a t_source of that seed gives. */
static inline unsigned char *t_bytes(uint64_t seed, uint64_t offset, size_t n)
{
    unsigned char *p = malloc(n ? n : 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = t_byte(seed, offset + i);
    return p;
}

/* Deletes every version and object of a bucket, every upload, then the bucket. */
static inline void t_bucket_purge(struct s3_client *c, const char *bucket, bool versions,
                                  bool uploads)
{
    struct s3_error e;
    for (int round = 0; round < 100; round++) {
        struct s3_xml_answer a;
        struct s3_object_id ids[1000];
        size_t n = 0;
        int rc;
        if (versions) {
            rc = s3_list_object_versions(c, bucket, NULL, &a, &e);
            if (rc != 0)
                break;
            for (size_t i = 0; i < a.versions.version_count && n < 1000; i++)
                ids[n++] = (struct s3_object_id){a.versions.versions[i].key,
                                                 a.versions.versions[i].version_id};
        } else {
            rc = s3_list_objects_v2(c, bucket, NULL, &a, &e);
            if (rc != 0)
                break;
            for (size_t i = 0; i < a.objects.object_count && n < 1000; i++)
                ids[n++] = (struct s3_object_id){a.objects.objects[i].key, NULL};
        }
        if (n > 0) {
            struct s3_xml_answer d;
            if (s3_delete_objects(c, bucket, ids, n, true, &d, &e) == 0)
                s3_xml_answer_done(&d);
        }
        s3_xml_answer_done(&a);
        if (n == 0)
            break;
    }
    if (uploads) {
        struct s3_xml_answer a;
        if (s3_list_multipart_uploads(c, bucket, NULL, &a, &e) == 0) {
            for (size_t i = 0; i < a.uploads.count; i++)
                (void)s3_abort_multipart_upload(c, bucket, a.uploads.uploads[i].key,
                                                a.uploads.uploads[i].upload_id, NULL);
            s3_xml_answer_done(&a);
        }
    }
    (void)s3_delete_bucket(c, bucket, NULL);
}

#endif
