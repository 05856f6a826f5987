/*
 * Tests of src/files/ingest.c, the worker of proxied uploads, against an
 * in-memory S3 (the worker's S3 table swapped for a fake): the type sniffed
 * from the bytes, whatever the name says; a refused type stores nothing; a
 * file of several parts goes up as a multipart upload; and a failure in the
 * middle of a file aborts its multipart upload, so nothing of it is left.
 * With several parts in flight (sender threads): the parts go up at once,
 * no more than asked, in no more buffers than promised, completed in order;
 * a failure or a cancellation with parts on the wire aborts only once none
 * is left on it, and never completes.
 * (The handler: tests/integration/upload.test.ts.)
 */
/* Before cmocka: it defines a fail() macro, and ingest.c has a fail() of its own. */
#include "../../../src/files/ingest.c"

#include "../testutil.h"

#include <unistd.h>

/* ===================================== the fake S3 ================================== */

static struct {
    int creates, parts, completes, aborts, puts;
    int fail_part; /* UploadPart number that fails (0: none) */
    char put_key[256], put_type[S3_CONTENT_TYPE_SIZE], create_type[S3_CONTENT_TYPE_SIZE];
    size_t put_len, part_bytes;
    /* Sender threads call UploadPart at once: the counters above it and these are locked. */
    int part_delay_ms; /* each UploadPart takes this long */
    int active, active_max;
    int active_at_abort;
} fake;
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;

static int fake_create(struct s3_client *s3, const char *bucket, const char *key,
                       const struct s3_put_options *opt, char **ret_upload_id, struct s3_error *err)
{
    (void)s3, (void)bucket, (void)key, (void)err;
    fake.creates++;
    snprintf(fake.create_type, sizeof(fake.create_type), "%s", opt->content_type);
    *ret_upload_id = strdup("upload-1");
    return *ret_upload_id ? 0 : SEAU_E_NOMEM;
}

static int fake_part(struct s3_client *s3, const char *bucket, const char *key,
                     const char *upload_id, int part_number, const struct s3_body *body,
                     struct s3_put_result *ret, struct s3_error *err)
{
    (void)s3, (void)bucket, (void)key, (void)upload_id;
    pthread_mutex_lock(&fake_lock);
    int delay = fake.part_delay_ms;
    if (++fake.active > fake.active_max)
        fake.active_max = fake.active;
    pthread_mutex_unlock(&fake_lock);
    if (delay)
        usleep((useconds_t)delay * 1000);
    int rc = 0;
    pthread_mutex_lock(&fake_lock);
    fake.active--;
    if (part_number == fake.fail_part) {
        err->http_status = 500;
        snprintf(err->code, sizeof(err->code), "InternalError");
        rc = SEAU_E_UNAVAILABLE;
    } else {
        fake.parts++;
        fake.part_bytes += body->len;
        snprintf(ret->etag, sizeof(ret->etag), "\"p%d\"", part_number);
    }
    pthread_mutex_unlock(&fake_lock);
    return rc;
}

static int fake_complete(struct s3_client *s3, const char *bucket, const char *key,
                         const char *upload_id, const struct s3_completed_part *parts, size_t n,
                         struct s3_put_result *ret, struct s3_error *err)
{
    (void)s3, (void)bucket, (void)key, (void)upload_id, (void)err;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(parts[i].part_number, (int)i + 1);
        /* Each part's own ETag, whichever thread sent it. */
        char want[S3_ETAG_SIZE];
        snprintf(want, sizeof(want), "\"p%zu\"", i + 1);
        assert_string_equal(parts[i].etag, want);
    }
    pthread_mutex_lock(&fake_lock);
    assert_int_equal(fake.active, 0);
    pthread_mutex_unlock(&fake_lock);
    fake.completes++;
    snprintf(ret->etag, sizeof(ret->etag), "\"multi-%zu\"", n);
    return 0;
}

static int fake_abort(struct s3_client *s3, const char *bucket, const char *key,
                      const char *upload_id, struct s3_error *err)
{
    (void)s3, (void)bucket, (void)key, (void)err;
    assert_string_equal(upload_id, "upload-1");
    pthread_mutex_lock(&fake_lock);
    fake.active_at_abort = fake.active;
    pthread_mutex_unlock(&fake_lock);
    fake.aborts++;
    return 0;
}

static int fake_put(struct s3_client *s3, const char *bucket, const char *key,
                    const struct s3_body *body, const struct s3_put_options *opt,
                    struct s3_put_result *ret, struct s3_error *err)
{
    (void)s3, (void)bucket, (void)err;
    fake.puts++;
    fake.put_len = body->len;
    snprintf(fake.put_key, sizeof(fake.put_key), "%s", key);
    snprintf(fake.put_type, sizeof(fake.put_type), "%s", opt->content_type);
    snprintf(ret->etag, sizeof(ret->etag), "\"single\"");
    return 0;
}

static const struct ingest__s3_ops fake_ops = {fake_create, fake_part, fake_complete, fake_abort,
                                               fake_put};

static int setup(void **state)
{
    (void)state;
    memset(&fake, 0, sizeof(fake));
    ingest__s3 = &fake_ops;
    return 0;
}

/* ===================================== driving a worker ============================= */

static void noop_wake(void *arg)
{
    (void)arg;
}

static struct files_ingest *start_in_flight(struct test_db *t, const char *allowed,
                                            unsigned in_flight)
{
    struct files_ingest_opts o = {.db = t->db,
                                  .bucket = "b",
                                  .allowed_types = allowed,
                                  .uploaded_by = 7,
                                  .part_size = FILES_INGEST_PART_MIN,
                                  .parts_in_flight = in_flight,
                                  .wake = noop_wake};
    struct files_ingest *in = NULL;
    assert_int_equal(files_ingest_new(&o, &in), 0);
    return in;
}

static struct files_ingest *start(struct test_db *t, const char *allowed)
{
    return start_in_flight(t, allowed, 0);
}

/* Hands n bytes over, waiting for room; returns the first failure. */
static int feed(struct files_ingest *in, const unsigned char *data, size_t n)
{
    size_t chunk = 256 * 1024;
    for (size_t off = 0; off < n; off += chunk) {
        while (!files_ingest_has_room(in))
            usleep(1000);
        int rc = files_ingest_data(in, data + off, n - off < chunk ? n - off : chunk);
        if (rc)
            return rc;
    }
    return 0;
}

static int finish(struct files_ingest *in)
{
    int rc;
    while ((rc = files_ingest_finish(in)) == FILES_INGEST_BUSY)
        usleep(1000);
    return rc;
}

/* ===================================== tests ======================================== */

static void test_small_file_sniffed(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct files_ingest *in = start(&t, NULL);
    static const char text[] = "plain words, nothing else\nsecond line\n";
    /* The name says PNG; the bytes say text. */
    assert_int_equal(files_ingest_begin(in, "docs/a.png"), 0);
    assert_int_equal(feed(in, (const unsigned char *)text, sizeof(text) - 1), 0);
    assert_int_equal(files_ingest_end(in), 0);
    assert_int_equal(finish(in), 0);
    size_t n = 0;
    const struct files_ingested *r = files_ingest_results(in, &n);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].key, "docs/a.png");
    assert_int_equal(r[0].size, (int64_t)(sizeof(text) - 1));
    assert_string_equal(r[0].etag, "\"single\"");
    assert_non_null(strstr(r[0].content_type, "text/plain"));
    assert_int_equal(fake.puts, 1);
    assert_int_equal(fake.put_len, sizeof(text) - 1);
    assert_non_null(strstr(fake.put_type, "text/plain"));
    assert_int_equal(fake.creates + fake.parts + fake.completes + fake.aborts, 0);
    files_ingest_free(in);
    test_db_close(&t);
}

static void test_refused_type_stores_nothing(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct files_ingest *in = start(&t, "image/*");
    static const char text[] = "not an image at all\n";
    assert_int_equal(files_ingest_begin(in, "x.png"), 0);
    int rc = feed(in, (const unsigned char *)text, sizeof(text) - 1);
    if (rc == 0)
        rc = files_ingest_end(in);
    if (rc == 0)
        rc = finish(in);
    assert_int_equal(rc, SEAU_E_MEDIA_TYPE);
    char msg[FILES_INGEST_MESSAGE_MAX];
    files_ingest_message(in, msg, sizeof(msg));
    assert_non_null(strstr(msg, "not an accepted type"));
    size_t n = 9;
    (void)files_ingest_results(in, &n);
    assert_int_equal(n, 0);
    assert_int_equal(fake.puts + fake.creates + fake.parts + fake.completes, 0);
    files_ingest_free(in);
    test_db_close(&t);
}

static unsigned char *text_bytes(size_t n)
{
    unsigned char *b = malloc(n);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++)
        b[i] = (i % 64 == 63) ? '\n' : (unsigned char)('a' + i % 26);
    return b;
}

static void test_multipart(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct files_ingest *in = start(&t, NULL);
    size_t size = 2 * FILES_INGEST_PART_MIN + 12345;
    unsigned char *b = text_bytes(size);
    assert_int_equal(files_ingest_begin(in, "big.txt"), 0);
    assert_int_equal(feed(in, b, size), 0);
    assert_int_equal(files_ingest_end(in), 0);
    assert_int_equal(finish(in), 0);
    size_t n = 0;
    const struct files_ingested *r = files_ingest_results(in, &n);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].size, (int64_t)size);
    assert_string_equal(r[0].etag, "\"multi-3\"");
    assert_int_equal(fake.creates, 1);
    assert_int_equal(fake.parts, 3);
    assert_int_equal(fake.part_bytes, size);
    assert_int_equal(fake.completes, 1);
    assert_int_equal(fake.aborts + fake.puts, 0);
    assert_non_null(strstr(fake.create_type, "text/plain"));
    files_ingest_free(in);
    free(b);
    test_db_close(&t);
}

static void test_failure_mid_file_aborts(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    fake.fail_part = 2;
    struct files_ingest *in = start(&t, NULL);
    size_t size = 3 * FILES_INGEST_PART_MIN;
    unsigned char *b = text_bytes(size);
    assert_int_equal(files_ingest_begin(in, "big.txt"), 0);
    int rc = feed(in, b, size);
    if (rc == 0)
        rc = files_ingest_end(in);
    if (rc == 0)
        rc = finish(in);
    assert_int_equal(rc, SEAU_E_UNAVAILABLE);
    files_ingest_stop(in);
    size_t n = 9;
    (void)files_ingest_results(in, &n);
    assert_int_equal(n, 0);
    /* The part that went up is not left behind: the upload was aborted, never completed. */
    assert_int_equal(fake.creates, 1);
    assert_int_equal(fake.parts, 1);
    assert_int_equal(fake.completes, 0);
    assert_int_equal(fake.aborts, 1);
    files_ingest_free(in);
    free(b);
    test_db_close(&t);
}

static void test_parts_in_flight(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    fake.part_delay_ms = 40;
    struct files_ingest *in = start_in_flight(&t, NULL, 3);
    size_t size = 9 * FILES_INGEST_PART_MIN + 777;
    unsigned char *b = text_bytes(size);
    assert_int_equal(files_ingest_begin(in, "big.txt"), 0);
    assert_int_equal(feed(in, b, size), 0);
    assert_int_equal(files_ingest_end(in), 0);
    assert_int_equal(finish(in), 0);
    size_t n = 0;
    const struct files_ingested *r = files_ingest_results(in, &n);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].size, (int64_t)size);
    assert_string_equal(r[0].etag, "\"multi-10\"");
    assert_int_equal(fake.creates, 1);
    assert_int_equal(fake.parts, 10);
    assert_int_equal(fake.part_bytes, size);
    assert_int_equal(fake.completes, 1);
    assert_int_equal(fake.aborts + fake.puts, 0);
    /* Parts overlapped, never more than asked; the memory stayed at the promised buffers. */
    assert_true(fake.active_max >= 2);
    assert_true(fake.active_max <= 3);
    assert_true(in->buffers_peak <= 3 + 1);
    files_ingest_free(in);
    free(b);
    test_db_close(&t);
}

static void test_failure_in_flight_aborts_after_parts(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    fake.part_delay_ms = 30;
    fake.fail_part = 3;
    struct files_ingest *in = start_in_flight(&t, NULL, 3);
    size_t size = 12 * FILES_INGEST_PART_MIN;
    unsigned char *b = text_bytes(size);
    assert_int_equal(files_ingest_begin(in, "big.txt"), 0);
    int rc = feed(in, b, size);
    if (rc == 0)
        rc = files_ingest_end(in);
    if (rc == 0)
        rc = finish(in);
    assert_int_equal(rc, SEAU_E_UNAVAILABLE);
    files_ingest_stop(in);
    size_t n = 9;
    (void)files_ingest_results(in, &n);
    assert_int_equal(n, 0);
    /* Aborted once, never completed, and only when no part was on the wire any more. */
    assert_int_equal(fake.creates, 1);
    assert_int_equal(fake.completes, 0);
    assert_int_equal(fake.aborts, 1);
    assert_int_equal(fake.active_at_abort, 0);
    /* The parts queued behind the failure were not sent. */
    assert_true(fake.parts < 11);
    assert_true(in->buffers_peak <= 3 + 1);
    files_ingest_free(in);
    free(b);
    test_db_close(&t);
}

static void test_cancel_in_flight_aborts(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    fake.part_delay_ms = 50;
    struct files_ingest *in = start_in_flight(&t, NULL, 3);
    size_t size = 3 * FILES_INGEST_PART_MIN;
    unsigned char *b = text_bytes(size);
    assert_int_equal(files_ingest_begin(in, "gone.txt"), 0);
    assert_int_equal(feed(in, b, size), 0);
    for (int i = 0; i < 5000; i++) {
        pthread_mutex_lock(&fake_lock);
        int active = fake.active;
        pthread_mutex_unlock(&fake_lock);
        if (active > 0)
            break;
        usleep(1000);
    }
    /* The client goes away with parts on the wire: no end, no finish. */
    files_ingest_stop(in);
    assert_int_equal(fake.creates, 1);
    assert_int_equal(fake.completes, 0);
    assert_int_equal(fake.aborts, 1);
    assert_int_equal(fake.active_at_abort, 0);
    files_ingest_free(in);
    free(b);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_small_file_sniffed, setup),
        cmocka_unit_test_setup(test_refused_type_stores_nothing, setup),
        cmocka_unit_test_setup(test_multipart, setup),
        cmocka_unit_test_setup(test_failure_mid_file_aborts, setup),
        cmocka_unit_test_setup(test_parts_in_flight, setup),
        cmocka_unit_test_setup(test_failure_in_flight_aborts_after_parts, setup),
        cmocka_unit_test_setup(test_cancel_in_flight_aborts, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
