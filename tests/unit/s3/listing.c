/*
 * Tests of src/s3/listing.c, the ListObjectsV2 walk. As in
 * tests/unit/s3/client.c, nothing goes on the network: the pages are S3's
 * XML answers parsed by s3/xml.c, served by a stand-in for
 * s3_list_objects_v2() that records what each request asked for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../../src/s3/listing.c"

#include <stdio.h>

#define MAX_CALLS 8

/* The stand-in's script: the answers to serve, in order, and what it saw. */
static struct {
    const char *const *pages; /* XML bodies; NULL entry: fail that request */
    size_t npages, calls;
    int fail_rc;
    char sent_token[MAX_CALLS][64]; /* "-" for none */
    char sent_prefix[MAX_CALLS][64];
    char sent_delimiter[MAX_CALLS][64];
    char sent_start_after[MAX_CALLS][64];
    int sent_max_keys[MAX_CALLS];
} fake;

static void fake_reset(const char *const *pages, size_t npages)
{
    memset(&fake, 0, sizeof(fake));
    fake.pages = pages;
    fake.npages = npages;
    fake.fail_rc = SEAU_E_UNAVAILABLE;
}

static void copy_or_dash(char *dst, const char *s)
{
    snprintf(dst, 64, "%s", s ? s : "-");
}

int s3_list_objects_v2(struct s3_client *c, const char *bucket, const struct s3_list_params *p,
                       struct s3_xml_answer *ret, struct s3_error *ret_err)
{
    (void)c;
    assert_string_equal(bucket, "bkt");
    assert_true(fake.calls < fake.npages && fake.calls < MAX_CALLS);
    size_t i = fake.calls++;
    copy_or_dash(fake.sent_token[i], p->continuation_token);
    copy_or_dash(fake.sent_prefix[i], p->prefix);
    copy_or_dash(fake.sent_delimiter[i], p->delimiter);
    copy_or_dash(fake.sent_start_after[i], p->start_after);
    fake.sent_max_keys[i] = p->max_keys;
    const char *doc = fake.pages[i];
    if (!doc) {
        if (ret_err) {
            ret_err->http_status = 403;
            snprintf(ret_err->code, sizeof(ret_err->code), "AccessDenied");
        }
        return fake.fail_rc;
    }
    return s3_xml_parse(S3_XML_LIST_OBJECTS_V2, NULL, doc, strlen(doc), ret);
}

/* The cached call (s3/cache.c) is the client's business, not the walk's: here it is the
 * uncached one, so that the walk's cached flag needs no client. */
int s3_list_objects_v2_cached(struct s3_client *c, const char *bucket,
                              const struct s3_list_params *p, struct s3_xml_answer *ret,
                              struct s3_error *ret_err)
{
    return s3_list_objects_v2(c, bucket, p, ret, ret_err);
}

#define PAGE(keys, prefixes, truncated, next)                                                      \
    "<ListBucketResult><Name>bkt</Name>" keys prefixes "<IsTruncated>" truncated                   \
    "</IsTruncated>" next "</ListBucketResult>"
#define KEY(k)  "<Contents><Key>" k "</Key><Size>1</Size></Contents>"
#define CP(p)   "<CommonPrefixes><Prefix>" p "</Prefix></CommonPrefixes>"
#define NEXT(t) "<NextContinuationToken>" t "</NextContinuationToken>"

/* Walks to the end and writes every key and common prefix seen, "|"-joined. */
static int walk_all(const struct s3_list_params *params, char *out, size_t n, size_t *ret_pages,
                    struct s3_error *err)
{
    struct s3_listing it;
    s3_listing_init(&it, NULL, "bkt", params);
    const struct s3_object_list *page;
    int rc;
    size_t pages = 0, w = 0;
    out[0] = '\0';
    while ((rc = s3_listing_next(&it, &page, err)) == 0 && page) {
        pages++;
        for (size_t i = 0; i < page->common_prefix_count; i++)
            w += (size_t)snprintf(out + w, n - w, "%s|", page->common_prefixes[i]);
        for (size_t i = 0; i < page->object_count; i++)
            w += (size_t)snprintf(out + w, n - w, "%s|", page->objects[i].key);
    }
    s3_listing_done(&it);
    *ret_pages = pages;
    return rc;
}

static void test_walks(void **state)
{
    (void)state;
    static const char *const one[] = {PAGE(KEY("a") KEY("b"), "", "false", "")};
    static const char *const three[] = {
        PAGE(KEY("a"), CP("d/"), "true", NEXT("t1")),
        PAGE(KEY("b"), "", "true", NEXT("t+2/=")),
        PAGE(KEY("c"), "", "false", NEXT("ignored")),
    };
    /* Truncated but no token: the walk ends rather than loop on page one. */
    static const char *const no_token[] = {PAGE(KEY("a"), "", "true", "")};
    static const char *const empty_token[] = {PAGE(KEY("a"), "", "true", NEXT(""))};
    static const char *const empty[] = {PAGE("", "", "false", "")};
    static const struct {
        const char *name;
        const char *const *pages;
        size_t npages;
        const char *want;
        size_t want_pages;
        const char *want_tokens[3];
    } cases[] = {
        {"one page", one, 1, "a|b|", 1, {"-"}},
        {"three pages", three, 3, "d/|a|b|c|", 3, {"-", "t1", "t+2/="}},
        {"truncated without a token", no_token, 1, "a|", 1, {"-"}},
        {"truncated with an empty token", empty_token, 1, "a|", 1, {"-"}},
        {"nothing", empty, 1, "", 1, {"-"}},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        fake_reset(cases[c].pages, cases[c].npages);
        struct s3_list_params params = {.prefix = "p/", .delimiter = "/", .max_keys = 2};
        char out[256];
        size_t pages;
        struct s3_error err;
        memset(&err, 0, sizeof(err));
        int rc = walk_all(&params, out, sizeof(out), &pages, &err);
        if (rc != 0 || strcmp(out, cases[c].want) != 0 || pages != cases[c].want_pages)
            fail_msg("%s: rc %d, got \"%s\" in %zu pages", cases[c].name, rc, out, pages);
        assert_int_equal(fake.calls, cases[c].want_pages); /* no request past the last page */
        for (size_t i = 0; i < fake.calls; i++) {
            assert_string_equal(fake.sent_token[i], cases[c].want_tokens[i]);
            /* Every request carries the caller's parameters. */
            assert_string_equal(fake.sent_prefix[i], "p/");
            assert_string_equal(fake.sent_delimiter[i], "/");
            assert_int_equal(fake.sent_max_keys[i], 2);
        }
    }
}

static void test_resume_and_start_after(void **state)
{
    (void)state;
    static const char *const pages[] = {
        PAGE(KEY("m"), "", "true", NEXT("t9")),
        PAGE(KEY("n"), "", "false", ""),
    };
    fake_reset(pages, 2);
    struct s3_list_params params = {.continuation_token = "t8", .start_after = "l"};
    char out[64];
    size_t n;
    assert_int_equal(walk_all(&params, out, sizeof(out), &n, NULL), 0);
    assert_string_equal(out, "m|n|");
    assert_string_equal(fake.sent_token[0], "t8"); /* the caller's token starts the walk */
    assert_string_equal(fake.sent_token[1], "t9");
    assert_string_equal(fake.sent_start_after[0], "l");
    assert_string_equal(fake.sent_prefix[0], "-");
    assert_string_equal(fake.sent_delimiter[0], "-");
}

static void test_one_page_at_a_time(void **state)
{
    (void)state;
    static const char *const pages[] = {
        PAGE(KEY("a"), "", "true", NEXT("cursor-1")),
        PAGE(KEY("b"), "", "false", ""),
    };
    fake_reset(pages, 2);
    struct s3_listing it;
    s3_listing_init(&it, NULL, "bkt", NULL);
    assert_null(s3_listing_next_token(&it)); /* nothing fetched yet */
    const struct s3_object_list *page;
    assert_int_equal(s3_listing_next(&it, &page, NULL), 0);
    assert_non_null(page);
    assert_string_equal(s3_listing_next_token(&it), "cursor-1");
    /* Ending early: one request, and done frees the page held. */
    s3_listing_done(&it);
    assert_int_equal(fake.calls, 1);
    s3_listing_done(&it); /* twice is harmless */

    fake_reset(pages, 2);
    s3_listing_init(&it, NULL, "bkt", NULL);
    assert_int_equal(s3_listing_next(&it, &page, NULL), 0);
    assert_int_equal(s3_listing_next(&it, &page, NULL), 0);
    assert_string_equal(page->objects[0].key, "b");
    assert_null(s3_listing_next_token(&it)); /* the last page */
    assert_int_equal(s3_listing_next(&it, &page, NULL), 0);
    assert_null(page);
    assert_int_equal(s3_listing_next(&it, &page, NULL), 0); /* stays over */
    assert_null(page);
    assert_int_equal(fake.calls, 2);
    s3_listing_done(&it);

    /* Never started. */
    s3_listing_init(&it, NULL, "bkt", NULL);
    s3_listing_done(&it);
}

static void test_errors(void **state)
{
    (void)state;
    /* The second request fails: the first page was handed out, the error
     * comes back with S3's answer in err, and the walk is then over. */
    static const char *const pages[] = {PAGE(KEY("a"), "", "true", NEXT("t1")), NULL};
    fake_reset(pages, 2);
    struct s3_error err;
    memset(&err, 0, sizeof(err));
    char out[64];
    size_t n;
    assert_int_equal(walk_all(NULL, out, sizeof(out), &n, &err), SEAU_E_UNAVAILABLE);
    assert_string_equal(out, "a|");
    assert_int_equal(n, 1);
    assert_int_equal(err.http_status, 403);
    assert_string_equal(err.code, "AccessDenied");

    fake_reset(pages + 1, 1);
    struct s3_listing it;
    s3_listing_init(&it, NULL, "bkt", NULL);
    const struct s3_object_list *page = (const void *)&it; /* not written on failure */
    assert_int_equal(s3_listing_next(&it, &page, NULL), SEAU_E_UNAVAILABLE);
    assert_ptr_equal(page, (const void *)&it);
    assert_int_equal(s3_listing_next(&it, &page, NULL), 0);
    assert_null(page);
    assert_int_equal(fake.calls, 1);
    s3_listing_done(&it);

    /* An answer that is not a listing fails as the parser says. */
    static const char *const junk[] = {"<ListBucketResult><IsTruncated>maybe</IsTruncated>"};
    fake_reset(junk, 1);
    assert_true(walk_all(NULL, out, sizeof(out), &n, NULL) < 0);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walks),
        cmocka_unit_test(test_resume_and_start_after),
        cmocka_unit_test(test_one_page_at_a_time),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
