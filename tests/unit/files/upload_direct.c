/*
 * Tests of src/files/upload_direct.c without a real S3: the part size, the
 * session store operations (lease, per-user cap, stale listing), who may see
 * a session, and the sweep's retry rule when S3 is down (an endpoint that
 * refuses connections). The S3 side is in tests/integration/uploads.test.ts.
 */
#include "../testutil.h"

#include "core/cfg.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "files/upload_direct.h"
#include "s3/client.h"
#include "s3/credentials.h"

#define MiB (1024LL * 1024)

static void test_part_size(void **state)
{
    (void)state;
    static const struct {
        int64_t size, part;
    } cases[] = {
        {0, 8 * MiB},
        {1, 8 * MiB},
        {16 * MiB, 8 * MiB},
        {256 * MiB, 8 * MiB},               /* 32 parts of the smallest size */
        {256 * MiB + 1, 9 * MiB},           /* one byte more: the next MiB */
        {1024 * MiB, 32 * MiB},             /* 1 GiB: 32 parts */
        {2048 * MiB, 64 * MiB},             /* 2 GiB: 32 parts of the largest aimed-at size */
        {64 * MiB * 10000, 64 * MiB},       /* exactly 10,000 parts of 64 MiB */
        {64 * MiB * 10000 + 1, 65 * MiB},   /* one byte more: 10,000 parts need the next MiB */
        {5 * 1024 * 1024 * MiB, 525 * MiB}, /* 5 TiB: 524.3 MiB rounded up */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t p = files_upload_part_size(cases[i].size);
        assert_int_equal(p, cases[i].part);
        assert_int_equal(p % FILES_UPLOAD_PART_ALIGN, 0);
        assert_true((cases[i].size + p - 1) / p <= S3_MAX_PARTS);
    }
}

static void test_part_count(void **state)
{
    (void)state;
    struct db_upload u;
    memset(&u, 0, sizeof(u));
    u.part_size = 8 * MiB;
    u.size = 20 * MiB;
    assert_int_equal(files_upload_part_count(&u), 3);
    u.size = 16 * MiB;
    assert_int_equal(files_upload_part_count(&u), 2);
    u.size = 16 * MiB + 1;
    assert_int_equal(files_upload_part_count(&u), 3);
    u.single = true;
    assert_int_equal(files_upload_part_count(&u), 1);
    u.single = false;
    u.size = 0;
    assert_int_equal(files_upload_part_count(&u), 1);
}

static struct db_upload session(const char *id, int64_t user, int64_t created)
{
    struct db_upload u;
    memset(&u, 0, sizeof(u));
    snprintf(u.id, sizeof(u.id), "%s", id);
    u.user_id = user;
    snprintf(u.bucket, sizeof(u.bucket), "b1");
    snprintf(u.key, sizeof(u.key), "team-a/%s.bin", id);
    snprintf(u.s3_upload_id, sizeof(u.s3_upload_id), "s3-%s", id);
    u.size = 20 * MiB;
    snprintf(u.content_type, sizeof(u.content_type), "application/octet-stream");
    u.part_size = 8 * MiB;
    u.created_at = created;
    return u;
}

static int64_t audit_count(struct db *db, const char *action)
{
    struct db_audit_filter f = {.action = action, .limit = 100};
    struct db_audit_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(db_audit_list(db, &f, &e, &n), 0);
    db_audit_entries_free(e, n);
    return (int64_t)n;
}

static void test_store(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_upload a = session("aaa", 7, 1000), b = session("bbb", 7, 2000),
                     c = session("ccc", 8, 500);
    struct audit_actor actor = {7, "u@example.com", "127.0.0.1", "test"};
    struct db_audit_entry e;
    audit_entry_init(&e, &actor, "upload.start", "success", NULL, 1000);
    assert_int_equal(db_upload_insert(t.db, &a, 2, &e), 0);
    assert_int_equal(db_upload_insert(t.db, &b, 2, NULL), 0);
    /* The per-user cap, and nothing of a refused insert is stored or audited. */
    struct db_upload d = session("ddd", 7, 3000);
    audit_entry_init(&e, &actor, "upload.start", "success", NULL, 3000);
    assert_int_equal(db_upload_insert(t.db, &d, 2, &e), SEAU_E_CONFLICT);
    assert_int_equal(audit_count(t.db, "upload.start"), 1);
    struct db_upload got;
    assert_int_equal(db_upload_get(t.db, "ddd", &got), SEAU_E_NOT_FOUND);
    assert_int_equal(db_upload_insert(t.db, &c, 2, NULL), 0); /* another user's own cap */
    assert_int_equal(db_upload_insert(t.db, &c, 5, NULL), SEAU_E_CONFLICT); /* same id */

    assert_int_equal(db_upload_get(t.db, "aaa", &got), 0);
    assert_string_equal(got.key, "team-a/aaa.bin");
    assert_string_equal(got.s3_upload_id, "s3-aaa");
    assert_int_equal(got.size, 20 * MiB);
    assert_int_equal(got.part_size, 8 * MiB);
    assert_int_equal(got.user_id, 7);
    assert_false(got.single);
    assert_int_equal(got.busy_until, 0);

    /* The lease: one holder at a time, until it expires or is given back. */
    assert_int_equal(db_upload_claim(t.db, "aaa", 5000, 6000), 0);
    assert_int_equal(db_upload_claim(t.db, "aaa", 5500, 9000), SEAU_E_CONFLICT);
    assert_int_equal(db_upload_claim(t.db, "nope", 5500, 9000), SEAU_E_NOT_FOUND);
    assert_int_equal(db_upload_claim(t.db, "aaa", 6000, 9000), 0); /* expired: taken over */
    assert_int_equal(db_upload_release(t.db, "aaa"), 0);
    assert_int_equal(db_upload_claim(t.db, "aaa", 6100, 9000), 0);
    assert_int_equal(db_upload_release(t.db, "gone"), 0);

    /* Stale: created before the bound and free now; oldest first. */
    struct db_upload *rows = NULL;
    size_t n = 0;
    assert_int_equal(db_upload_list_stale(t.db, 2500, 7000, 10, &rows, &n), 0);
    assert_int_equal(n, 2); /* aaa is held until 9000 */
    assert_string_equal(rows[0].id, "ccc");
    assert_string_equal(rows[1].id, "bbb");
    free(rows);
    assert_int_equal(db_upload_list_stale(t.db, 2500, 9000, 1, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].id, "ccc");
    free(rows);
    assert_int_equal(db_upload_list_stale(t.db, 1000, 9000, 10, &rows, &n), 0);
    assert_int_equal(n, 1); /* strictly before: aaa (1000) is not */
    free(rows);

    audit_entry_init(&e, &actor, "upload.abort", "success", "{}", 7000);
    assert_int_equal(db_upload_delete(t.db, "bbb", &e), 0);
    assert_int_equal(audit_count(t.db, "upload.abort"), 1);
    audit_entry_init(&e, &actor, "upload.abort", "success", "{}", 7000);
    assert_int_equal(db_upload_delete(t.db, "bbb", &e), SEAU_E_NOT_FOUND);
    assert_int_equal(audit_count(t.db, "upload.abort"), 1);
    test_db_close(&t);
}

static void test_find(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_upload a = session("own-1", 7, 1000);
    assert_int_equal(db_upload_insert(t.db, &a, 10, NULL), 0);
    struct db_upload x = session("gone-bucket", 7, 1000);
    snprintf(x.bucket, sizeof(x.bucket), "old");
    assert_int_equal(db_upload_insert(t.db, &x, 10, NULL), 0);
    char *buckets[] = {"b1", NULL};
    struct files_env env = {.s3 = NULL, .db = t.db, .buckets = buckets, .nbuckets = 1};
    struct db_grant team_a[] = {{"b1", "team-a/", "full"}};
    struct db_grant team_b[] = {{"b1", "team-b/", "full"}};
    struct files_who owner = {.subject = {7, AUTH_ROLE_USER, team_a, 1}};
    struct files_who moved = {.subject = {7, AUTH_ROLE_USER, team_b, 1}};
    struct files_who other = {.subject = {8, AUTH_ROLE_USER, team_a, 1}};
    struct files_who manager = {.subject = {9, AUTH_ROLE_MANAGER, team_a, 1}};
    struct files_who admin = {.subject = {1, AUTH_ROLE_ADMIN, NULL, 0}};
    struct db_upload got;
    assert_int_equal(files_upload_find(&env, &owner, "own-1", &got), 0);
    assert_string_equal(got.s3_upload_id, "s3-own-1");
    assert_int_equal(files_upload_find(&env, &admin, "own-1", &got), 0);
    assert_int_equal(files_upload_find(&env, &other, "own-1", &got), SEAU_E_NOT_FOUND);
    assert_int_equal(files_upload_find(&env, &manager, "own-1", &got), SEAU_E_NOT_FOUND);
    /* The owner whose grant no longer covers the key. */
    assert_int_equal(files_upload_find(&env, &moved, "own-1", &got), SEAU_E_NOT_FOUND);
    /* A bucket no longer configured: not even admins. */
    assert_int_equal(files_upload_find(&env, &admin, "gone-bucket", &got), SEAU_E_NOT_FOUND);
    const char *bad[] = {"", "own-1'", "../own-1", "own 1",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(files_upload_find(&env, &admin, bad[i], &got), SEAU_E_NOT_FOUND);
    assert_int_equal(files_upload_find(&env, &admin, NULL, &got), SEAU_E_NOT_FOUND);
    test_db_close(&t);
}

/* An S3 that refuses connections: every abort fails. */
static struct s3_client *dead_s3(struct s3_cred_provider **ret_p)
{
    struct s3_cred_env env = {.access_key_id = "AKID", .secret_access_key = "secret"};
    assert_int_equal(s3_credentials_open(&env, ret_p), 0);
    struct s3_config cfg = {.endpoint = "http://127.0.0.1:1",
                            .max_retries = S3_NO_RETRIES,
                            .connect_timeout_ms = 500,
                            .request_timeout_ms = 500};
    struct s3_client *c = NULL;
    assert_int_equal(s3_client_new(&cfg, *ret_p, &c), 0);
    return c;
}

static void test_sweep_keeps_what_s3_refuses(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct s3_cred_provider *p = NULL;
    struct s3_client *s3 = dead_s3(&p);
    char *buckets[] = {"b1", NULL};
    struct files_env env = {.s3 = s3, .db = t.db, .buckets = buckets, .nbuckets = 1};
    struct db_upload a = session("old-1", 7, 1000), b = session("young", 7, 1000000000000LL);
    assert_int_equal(db_upload_insert(t.db, &a, 10, NULL), 0);
    assert_int_equal(db_upload_insert(t.db, &b, 10, NULL), 0);
    struct files_upload_sweep_stats st;
    int64_t now = 60000;
    assert_int_equal(files_upload_sweep(&env, 50000, now, NULL, &st), 0);
    assert_int_equal(st.aborted, 0);
    assert_int_equal(st.failed, 1); /* only the old one was tried */
    struct db_upload got;
    assert_int_equal(db_upload_get(t.db, "old-1", &got), 0);
    assert_int_equal(got.busy_until, now + FILES_UPLOAD_SWEEP_RETRY_MS);
    assert_int_equal(audit_count(t.db, "upload.abort"), 0);
    /* Not retried before its time, then retried. */
    assert_int_equal(files_upload_sweep(&env, 50000, now + 1000, NULL, &st), 0);
    assert_int_equal(st.failed, 0);
    assert_int_equal(files_upload_sweep(&env, 50000, now + FILES_UPLOAD_SWEEP_RETRY_MS, NULL, &st),
                     0);
    assert_int_equal(st.failed, 1);
    /* A cancelled sweep touches nothing. */
    atomic_bool cancel;
    atomic_init(&cancel, true);
    assert_int_equal(
        files_upload_sweep(&env, 0, now + 10 * FILES_UPLOAD_SWEEP_RETRY_MS, &cancel, &st), 0);
    assert_int_equal(st.failed + st.aborted, 0);
    /* Without S3, nothing is swept. */
    struct files_env none = env;
    none.s3 = NULL;
    assert_int_equal(files_upload_sweep(&none, 0, now, NULL, &st), SEAU_E_UNAVAILABLE);
    s3_client_free(s3);
    s3_credentials_free(p);
    test_db_close(&t);
}

/* The janitor thread starts, sweeps, and stops promptly even with a long interval. */
static void test_janitor_stops(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct s3_cred_provider *p = NULL;
    struct s3_client *s3 = dead_s3(&p);
    char *buckets[] = {"b1", NULL};
    struct files_env env = {.s3 = s3, .db = t.db, .buckets = buckets, .nbuckets = 1};
    struct cfg c;
    memset(&c, 0, sizeof(c));
    c.upload_session_max_age_ms = 24LL * 3600 * 1000;
    struct files_upload_janitor *j = NULL;
    int64_t t0 = time_mono_ns();
    assert_int_equal(files_upload_janitor_start(&env, &c, NULL, NULL, &j), 0);
    files_upload_janitor_stop(j);
    assert_true(time_mono_ns() - t0 < 5000000000LL);
    files_upload_janitor_stop(NULL);
    s3_client_free(s3);
    s3_credentials_free(p);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_part_size),
        cmocka_unit_test(test_part_count),
        cmocka_unit_test(test_store),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_sweep_keeps_what_s3_refuses),
        cmocka_unit_test(test_janitor_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
