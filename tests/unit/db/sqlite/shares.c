/*
 * Tests of src/db/sqlite/shares.c: download counting at and past the limit,
 * by expiry and revocation, under concurrent downloads, with an audit entry
 * only for what happened; reads, listings and uniqueness.
 */
#include "../../testutil.h"

#include "core/err.h"

#include <pthread.h>

static int64_t make_user(struct db *db, const char *email)
{
    struct db_user u;
    memset(&u, 0, sizeof(u));
    snprintf(u.email, sizeof(u.email), "%s", email);
    snprintf(u.name, sizeof(u.name), "Someone");
    snprintf(u.role, sizeof(u.role), "admin");
    snprintf(u.password_hash, sizeof(u.password_hash), "$argon2id$fake");
    u.created_at = 1;
    assert_int_equal(db_user_insert(db, &u, NULL), 0);
    return u.id;
}

static struct db_share share(const char *id, unsigned char tag, int64_t by, int64_t expires,
                             int64_t max)
{
    struct db_share s;
    memset(&s, 0, sizeof(s));
    snprintf(s.id, sizeof(s.id), "%s", id);
    memset(s.token_hash, tag, sizeof(s.token_hash));
    snprintf(s.bucket, sizeof(s.bucket), "b");
    snprintf(s.key, sizeof(s.key), "docs/%s.pdf", id);
    s.created_by = by;
    s.created_at = 10;
    s.expires_at = expires;
    s.max_downloads = max;
    return s;
}

static size_t audit_count(struct db *db, const char *action)
{
    struct db_audit_filter f = {.action = action, .limit = 1000};
    struct db_audit_entry *rows = NULL;
    size_t n = 0;
    assert_int_equal(db_audit_list(db, &f, &rows, &n), 0);
    db_audit_entries_free(rows, n);
    return n;
}

static int count(struct db *db, const char *id, int64_t now)
{
    struct audit_actor a = {0, "", "127.0.0.1", "test"};
    struct db_audit_entry e;
    audit_entry_init(&e, &a, "share.download", "success", "{}", now);
    return db_share_count_download(db, id, now, &e);
}

static void test_download_limit(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t uid = make_user(t.db, "a@x.io");
    struct db_share s = share("lim", 1, uid, 0, 2);
    assert_int_equal(db_share_insert(t.db, &s, NULL), 0);
    assert_true(s.seq > 0);
    /* Two downloads reach the limit; the third is refused and leaves no entry. */
    assert_int_equal(count(t.db, "lim", 20), 0);
    assert_int_equal(count(t.db, "lim", 21), 0);
    assert_int_equal(count(t.db, "lim", 22), SEAU_E_GONE);
    assert_int_equal(count(t.db, "lim", 23), SEAU_E_GONE);
    struct db_share got;
    assert_int_equal(db_share_get(t.db, "lim", &got), 0);
    assert_int_equal(got.downloads, 2);
    assert_int_equal(got.max_downloads, 2);
    assert_string_equal(got.created_by_email, "a@x.io");
    assert_int_equal(audit_count(t.db, "share.download"), 2);
    assert_int_equal(count(t.db, "nope", 20), SEAU_E_NOT_FOUND);
    assert_int_equal(audit_count(t.db, "share.download"), 2);
    test_db_close(&t);
}

static void test_expiry_and_revocation(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t uid = make_user(t.db, "a@x.io");
    struct db_share s = share("exp", 2, uid, 100, 0);
    assert_int_equal(db_share_insert(t.db, &s, NULL), 0);
    /* Live strictly before expires_at; no limit without max_downloads. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(count(t.db, "exp", 99), 0);
    assert_int_equal(count(t.db, "exp", 100), SEAU_E_GONE);

    struct db_share r = share("rev", 3, uid, 0, 0);
    assert_int_equal(db_share_insert(t.db, &r, NULL), 0);
    assert_int_equal(count(t.db, "rev", 50), 0);
    struct audit_actor a = {uid, "a@x.io", "127.0.0.1", "test"};
    struct db_audit_entry e;
    audit_entry_init(&e, &a, "share.revoke", "success", "{}", 60);
    assert_int_equal(db_share_revoke(t.db, "rev", 60, &e), 0);
    audit_entry_init(&e, &a, "share.revoke", "success", "{}", 61);
    assert_int_equal(db_share_revoke(t.db, "rev", 61, &e), SEAU_E_NOT_FOUND);
    assert_int_equal(db_share_revoke(t.db, "none", 61, NULL), SEAU_E_NOT_FOUND);
    assert_int_equal(audit_count(t.db, "share.revoke"), 1);
    assert_int_equal(count(t.db, "rev", 70), SEAU_E_GONE);
    /* A revoked share is still read (by id and by token), but no longer listed. */
    struct db_share got;
    unsigned char hash[DB_TOKEN_HASH_LEN];
    memset(hash, 3, sizeof(hash));
    assert_int_equal(db_share_get_by_token(t.db, hash, &got), 0);
    assert_string_equal(got.id, "rev");
    assert_true(got.revoked_at == 60);
    assert_int_equal(got.downloads, 1);
    struct db_share_filter f = {.limit = 10};
    struct db_share *rows = NULL;
    size_t n = 0;
    assert_int_equal(db_share_list(t.db, &f, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].id, "exp");
    free(rows);
    test_db_close(&t);
}

static void test_uniqueness_and_listing(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t a = make_user(t.db, "a@x.io"), b = make_user(t.db, "b@x.io");
    struct db_share s1 = share("s1", 1, a, 0, 0), s2 = share("s2", 2, b, 0, 0),
                    s3 = share("s3", 3, a, 0, 0);
    assert_int_equal(db_share_insert(t.db, &s1, NULL), 0);
    assert_int_equal(db_share_insert(t.db, &s2, NULL), 0);
    assert_int_equal(db_share_insert(t.db, &s3, NULL), 0);
    struct db_share dup_id = share("s1", 9, a, 0, 0), dup_token = share("s9", 2, a, 0, 0);
    assert_int_equal(db_share_insert(t.db, &dup_id, NULL), SEAU_E_CONFLICT);
    assert_int_equal(db_share_insert(t.db, &dup_token, NULL), SEAU_E_CONFLICT);
    /* Newest first, one creator's or everyone's, paged by seq. */
    struct db_share_filter f = {.created_by = a, .limit = 10};
    struct db_share *rows = NULL;
    size_t n = 0;
    assert_int_equal(db_share_list(t.db, &f, &rows, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].id, "s3");
    assert_string_equal(rows[1].id, "s1");
    free(rows);
    struct db_share_filter all = {.before_seq = s3.seq, .limit = 1};
    assert_int_equal(db_share_list(t.db, &all, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].id, "s2");
    free(rows);
    test_db_close(&t);
}

struct downloader {
    struct db *db;
    int ok, gone;
};

static void *download_many(void *arg)
{
    struct downloader *d = arg;
    for (int i = 0; i < 20; i++) {
        int rc = db_share_count_download(d->db, "hot", 20, NULL);
        if (rc == 0)
            d->ok++;
        else if (rc == SEAU_E_GONE)
            d->gone++;
    }
    return NULL;
}

/* The limit is checked in the UPDATE itself: concurrent downloads never pass it. */
static void test_concurrent_downloads_stop_at_the_limit(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t uid = make_user(t.db, "a@x.io");
    struct db_share s = share("hot", 4, uid, 0, 7);
    assert_int_equal(db_share_insert(t.db, &s, NULL), 0);
    pthread_t th[4];
    struct downloader d[4];
    for (int i = 0; i < 4; i++) {
        d[i] = (struct downloader){t.db, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, download_many, &d[i]), 0);
    }
    int ok = 0, gone = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ok += d[i].ok;
        gone += d[i].gone;
    }
    assert_int_equal(ok, 7);
    assert_int_equal(gone, 80 - 7);
    struct db_share got;
    assert_int_equal(db_share_get(t.db, "hot", &got), 0);
    assert_int_equal(got.downloads, 7);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_download_limit),
        cmocka_unit_test(test_expiry_and_revocation),
        cmocka_unit_test(test_uniqueness_and_listing),
        cmocka_unit_test(test_concurrent_downloads_stop_at_the_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
