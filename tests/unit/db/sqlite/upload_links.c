/*
 * Tests of the store's upload links (src/db/sqlite/upload_links.c, and on
 * the PostgreSQL fixture src/db/postgres/upload_links.c): the limits on
 * files and bytes at and past them, by expiry and revocation, under
 * concurrent uploads; giving back; reads, listing, uniqueness, audit.
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
    snprintf(u.role, sizeof(u.role), "manager");
    snprintf(u.password_hash, sizeof(u.password_hash), "$argon2id$fake");
    u.created_at = 1;
    assert_int_equal(db_user_insert(db, &u, NULL), 0);
    return u.id;
}

static struct db_upload_link link_row(const char *id, unsigned char tag, int64_t by,
                                      int64_t expires, int64_t max_files, int64_t max_bytes)
{
    struct db_upload_link l;
    memset(&l, 0, sizeof(l));
    snprintf(l.id, sizeof(l.id), "%s", id);
    memset(l.token_hash, tag, sizeof(l.token_hash));
    snprintf(l.bucket, sizeof(l.bucket), "b");
    snprintf(l.prefix, sizeof(l.prefix), "in/%s/", id);
    snprintf(l.message, sizeof(l.message), "Send the report, s'il vous plaît");
    l.created_by = by;
    l.created_at = 10;
    l.expires_at = expires;
    l.max_files = max_files;
    l.max_bytes = max_bytes;
    return l;
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

static void test_limits(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t uid = make_user(t.db, "m@x.io");
    struct db_upload_link l = link_row("lim", 1, uid, 0, 2, 100);
    struct audit_actor a = {uid, "m@x.io", "127.0.0.1", "test"};
    struct db_audit_entry e;
    audit_entry_init(&e, &a, "uploadlink.create", "success", "{}", 10);
    assert_int_equal(db_upload_link_insert(t.db, &l, &e), 0);
    assert_true(l.seq > 0);
    assert_int_equal(audit_count(t.db, "uploadlink.create"), 1);
    /* Bytes up to the limit exactly, not one more. */
    assert_int_equal(db_upload_link_take(t.db, "lim", 20, 0, 60), 0);
    assert_int_equal(db_upload_link_take(t.db, "lim", 20, 0, 41), SEAU_E_GONE);
    assert_int_equal(db_upload_link_take(t.db, "lim", 20, 0, 40), 0);
    assert_int_equal(db_upload_link_take(t.db, "lim", 20, 0, 1), SEAU_E_GONE);
    /* Files up to the limit exactly. */
    assert_int_equal(db_upload_link_take(t.db, "lim", 21, 1, 0), 0);
    assert_int_equal(db_upload_link_take(t.db, "lim", 21, 1, 0), 0);
    assert_int_equal(db_upload_link_take(t.db, "lim", 21, 1, 0), SEAU_E_GONE);
    struct db_upload_link got;
    assert_int_equal(db_upload_link_get(t.db, "lim", &got), 0);
    assert_int_equal(got.files, 2);
    assert_int_equal(got.bytes, 100);
    assert_string_equal(got.created_by_email, "m@x.io");
    assert_string_equal(got.prefix, "in/lim/");
    assert_string_equal(got.message, "Send the report, s'il vous plaît");
    /* What did not arrive goes back, never below zero. */
    assert_int_equal(db_upload_link_give_back(t.db, "lim", 1, 30), 0);
    assert_int_equal(db_upload_link_take(t.db, "lim", 22, 1, 30), 0);
    assert_int_equal(db_upload_link_give_back(t.db, "lim", 50, 5000), 0);
    assert_int_equal(db_upload_link_get(t.db, "lim", &got), 0);
    assert_int_equal(got.files, 0);
    assert_int_equal(got.bytes, 0);
    assert_int_equal(db_upload_link_take(t.db, "nope", 20, 1, 0), SEAU_E_NOT_FOUND);
    assert_int_equal(db_upload_link_give_back(t.db, "nope", 1, 0), 0);
    test_db_close(&t);
}

static void test_expiry_revocation_listing(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t a = make_user(t.db, "a@x.io"), b = make_user(t.db, "b@x.io");
    struct db_upload_link l1 = link_row("l1", 1, a, 100, 0, 0), l2 = link_row("l2", 2, b, 0, 0, 0),
                          l3 = link_row("l3", 3, a, 0, 0, 0);
    assert_int_equal(db_upload_link_insert(t.db, &l1, NULL), 0);
    assert_int_equal(db_upload_link_insert(t.db, &l2, NULL), 0);
    assert_int_equal(db_upload_link_insert(t.db, &l3, NULL), 0);
    struct db_upload_link dup_id = link_row("l1", 9, a, 0, 0, 0),
                          dup_token = link_row("l9", 2, a, 0, 0, 0);
    assert_int_equal(db_upload_link_insert(t.db, &dup_id, NULL), SEAU_E_CONFLICT);
    assert_int_equal(db_upload_link_insert(t.db, &dup_token, NULL), SEAU_E_CONFLICT);
    /* No limits: anything goes while live; strictly before expires_at. */
    assert_int_equal(db_upload_link_take(t.db, "l1", 99, 1000, 1LL << 40), 0);
    assert_int_equal(db_upload_link_take(t.db, "l1", 100, 1, 0), SEAU_E_GONE);
    /* Revoked: read by token still, not listed, takes nothing. */
    struct audit_actor who = {a, "a@x.io", "127.0.0.1", "test"};
    struct db_audit_entry e;
    audit_entry_init(&e, &who, "uploadlink.revoke", "success", "{}", 60);
    assert_int_equal(db_upload_link_revoke(t.db, "l3", 60, &e), 0);
    audit_entry_init(&e, &who, "uploadlink.revoke", "success", "{}", 61);
    assert_int_equal(db_upload_link_revoke(t.db, "l3", 61, &e), SEAU_E_NOT_FOUND);
    assert_int_equal(audit_count(t.db, "uploadlink.revoke"), 1);
    assert_int_equal(db_upload_link_take(t.db, "l3", 70, 1, 0), SEAU_E_GONE);
    unsigned char hash[DB_TOKEN_HASH_LEN];
    memset(hash, 3, sizeof(hash));
    struct db_upload_link got;
    assert_int_equal(db_upload_link_get_by_token(t.db, hash, &got), 0);
    assert_string_equal(got.id, "l3");
    assert_true(got.revoked_at == 60);
    memset(hash, 7, sizeof(hash));
    assert_int_equal(db_upload_link_get_by_token(t.db, hash, &got), SEAU_E_NOT_FOUND);
    struct db_upload_link_filter f = {.limit = 10};
    struct db_upload_link *rows = NULL;
    size_t n = 0;
    assert_int_equal(db_upload_link_list(t.db, &f, &rows, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].id, "l2");
    assert_string_equal(rows[1].id, "l1");
    free(rows);
    struct db_upload_link_filter mine = {.created_by = a, .limit = 10};
    assert_int_equal(db_upload_link_list(t.db, &mine, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].id, "l1");
    free(rows);
    struct db_upload_link_filter paged = {.before_seq = l2.seq, .limit = 10};
    assert_int_equal(db_upload_link_list(t.db, &paged, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].id, "l1");
    free(rows);
    test_db_close(&t);
}

struct uploader {
    struct db *db;
    int ok, gone;
};

static void *upload_many(void *arg)
{
    struct uploader *u = arg;
    for (int i = 0; i < 20; i++) {
        int rc = db_upload_link_take(u->db, "hot", 20, 1, 10);
        if (rc == 0)
            u->ok++;
        else if (rc == SEAU_E_GONE)
            u->gone++;
    }
    return NULL;
}

/* The limits are checked in the UPDATE itself: concurrent uploads never pass them. */
static void test_concurrent_uploads_stop_at_the_limit(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t uid = make_user(t.db, "a@x.io");
    struct db_upload_link l = link_row("hot", 4, uid, 0, 9, 75);
    assert_int_equal(db_upload_link_insert(t.db, &l, NULL), 0);
    pthread_t th[4];
    struct uploader u[4];
    for (int i = 0; i < 4; i++) {
        u[i] = (struct uploader){t.db, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, upload_many, &u[i]), 0);
    }
    int ok = 0, gone = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ok += u[i].ok;
        gone += u[i].gone;
    }
    /* maxBytes 75 allows 7 files of 10 bytes, before maxFiles 9 is reached. */
    assert_int_equal(ok, 7);
    assert_int_equal(gone, 80 - 7);
    struct db_upload_link got;
    assert_int_equal(db_upload_link_get(t.db, "hot", &got), 0);
    assert_int_equal(got.files, 7);
    assert_int_equal(got.bytes, 70);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_expiry_revocation_listing),
        cmocka_unit_test(test_concurrent_uploads_stop_at_the_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
