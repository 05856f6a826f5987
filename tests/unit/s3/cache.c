/*
 * Tests of src/s3/cache.c against a scripted S3: listing pages and HEADs are
 * answered from the cache within the TTL and fetched again after it; writes
 * through the client and s3_client_invalidate() drop what they may change
 * (listings under a prefix of the key, the key's HEAD), nothing else;
 * failures are not kept; identical calls in flight coalesce into one; the
 * answers handed out are the callers' own (freed by them, under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/err.h"
#include "s3/listing.h"
#include "scripted_s3.h"

#include <stdlib.h>

static int list(struct s3_client *c, const char *prefix)
{
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    struct s3_error err;
    int rc = s3_list_objects_v2_cached(c, "b", &(struct s3_list_params){.prefix = prefix,
                                                                        .delimiter = "/"},
                                       &a, &err);
    if (rc == 0) {
        assert_int_equal(a.objects.object_count, 1);
        assert_string_equal(a.objects.objects[0].key, "p/a.txt");
        assert_string_equal(a.objects.objects[0].etag, "\"e1\"");
        assert_int_equal(a.objects.objects[0].size, 5);
        assert_int_equal(a.objects.common_prefix_count, 1);
        assert_string_equal(a.objects.common_prefixes[0], "p/sub/");
    }
    s3_xml_answer_done(&a);
    return rc;
}

static int head(struct s3_client *c, const char *key)
{
    struct s3_object_head h;
    memset(&h, 0, sizeof(h));
    struct s3_error err;
    int rc = s3_head_object_cached(c, "b", key, &h, &err);
    if (rc == 0) {
        assert_string_equal(h.etag, "\"e1\"");
        assert_int_equal(h.content_length, 5);
        assert_int_equal(h.meta_count, 1);
        assert_string_equal(h.meta[0].name, "owner");
        assert_string_equal(h.meta[0].value, "ann");
    }
    s3_object_head_done(&h);
    return rc;
}

static void test_off_passes_through(void **state)
{
    (void)state;
    struct scripted_s3 s;
    scripted_s3_start(&s);
    assert_int_equal(list(s.client, "p/"), 0);
    assert_int_equal(list(s.client, "p/"), 0);
    assert_int_equal(atomic_load(&s.gets), 2);
    struct s3_cache_stats st;
    s3_client_cache_stats(s.client, &st);
    assert_false(st.enabled);
    scripted_s3_stop(&s);
}

static void test_hits_ttl_and_invalidation(void **state)
{
    (void)state;
    struct scripted_s3 s;
    scripted_s3_start(&s);
    assert_int_equal(s3_client_set_cache(s.client, 300, 0), 0);
    assert_int_equal(list(s.client, "p/"), 0);
    assert_int_equal(list(s.client, "p/"), 0);
    assert_int_equal(list(s.client, "q/"), 0); /* another prefix: its own entry */
    assert_int_equal(atomic_load(&s.gets), 2);
    assert_int_equal(head(s.client, "p/a.txt"), 0);
    assert_int_equal(head(s.client, "p/a.txt"), 0);
    assert_int_equal(atomic_load(&s.heads), 1);

    /* A write through the client under p/ drops p/'s listing and the key's HEAD, not q/. */
    struct s3_error err;
    struct s3_body body = s3_body_buffer("hello", 5);
    assert_int_equal(s3_put_object(s.client, "b", "p/a.txt", &body, NULL, NULL, &err), 0);
    assert_int_equal(list(s.client, "p/"), 0);
    assert_int_equal(list(s.client, "q/"), 0);
    assert_int_equal(atomic_load(&s.gets), 3);
    assert_int_equal(head(s.client, "p/a.txt"), 0);
    assert_int_equal(atomic_load(&s.heads), 2);

    /* A change seen around the client (an S3 event). */
    s3_client_invalidate(s.client, "b", "q/new.txt");
    assert_int_equal(list(s.client, "q/"), 0);
    assert_int_equal(list(s.client, "p/"), 0);
    assert_int_equal(atomic_load(&s.gets), 4);
    /* Another bucket's change drops nothing here. */
    s3_client_invalidate(s.client, "other", NULL);
    assert_int_equal(list(s.client, "q/"), 0);
    assert_int_equal(atomic_load(&s.gets), 4);

    /* After the TTL, S3 again. */
    usleep(350 * 1000);
    assert_int_equal(list(s.client, "p/"), 0);
    assert_int_equal(atomic_load(&s.gets), 5);

    struct s3_cache_stats st;
    s3_client_cache_stats(s.client, &st);
    assert_true(st.enabled);
    assert_int_equal(st.misses, 7);
    assert_int_equal(st.hits, 5);
    assert_true(st.invalidations >= 3);
    scripted_s3_stop(&s);
}

static void test_failures_not_kept(void **state)
{
    (void)state;
    struct scripted_s3 s;
    scripted_s3_start(&s);
    assert_int_equal(s3_client_set_cache(s.client, 10000, 0), 0);
    atomic_store(&s.status, 404);
    assert_int_equal(head(s.client, "gone"), SEAU_E_NOT_FOUND);
    atomic_store(&s.status, 200);
    assert_int_equal(head(s.client, "gone"), 0);
    assert_int_equal(atomic_load(&s.heads), 2);
    scripted_s3_stop(&s);
}

static void *list_thread(void *arg)
{
    struct s3_client *c = arg;
    return (void *)(intptr_t)list(c, "p/");
}

static void test_concurrent_identical_calls_coalesce(void **state)
{
    (void)state;
    struct scripted_s3 s;
    scripted_s3_start(&s);
    assert_int_equal(s3_client_set_cache(s.client, 10000, 0), 0);
    atomic_store(&s.delay_ms, 400);
    enum { N = 12 };
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&t[i], NULL, list_thread, s.client), 0);
    for (int i = 0; i < N; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        assert_int_equal((intptr_t)rc, 0);
    }
    assert_int_equal(atomic_load(&s.gets), 1);
    struct s3_cache_stats st;
    s3_client_cache_stats(s.client, &st);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.coalesced + st.hits, N - 1);
    scripted_s3_stop(&s);
}

/* The listing walk uses the cache only when asked. */
static void test_listing_walk_opt_in(void **state)
{
    (void)state;
    struct scripted_s3 s;
    scripted_s3_start(&s);
    assert_int_equal(s3_client_set_cache(s.client, 10000, 0), 0);
    for (int cached = 0; cached < 2; cached++) {
        for (int i = 0; i < 2; i++) {
            struct s3_listing it;
            s3_listing_init(&it, s.client, "b", &(struct s3_list_params){.prefix = "p/"});
            it.cached = cached;
            const struct s3_object_list *page;
            struct s3_error err;
            assert_int_equal(s3_listing_next(&it, &page, &err), 0);
            assert_non_null(page);
            assert_int_equal(page->object_count, 1);
            s3_listing_done(&it);
        }
    }
    assert_int_equal(atomic_load(&s.gets), 3); /* 2 uncached, then 1 for both cached walks */
    scripted_s3_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_passes_through),
        cmocka_unit_test(test_hits_ttl_and_invalidation),
        cmocka_unit_test(test_failures_not_kept),
        cmocka_unit_test(test_concurrent_identical_calls_coalesce),
        cmocka_unit_test(test_listing_walk_opt_in),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
