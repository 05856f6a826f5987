/*
 * Tests of src/db/session_cache.c through db_session_get, on both stores:
 * a token's next lookups are answered from memory within the time to live,
 * every write of a session or a user through the same handle is seen at
 * once, a write made elsewhere (test_db_exec: another connection, as another
 * replica) once the time to live has passed, and the password hash is never
 * handed out.
 */
#include "../testutil.h"

#include "core/err.h"
#include "core/timeutil.h"
#include "db/backend.h"

#include <time.h>

static void make_user(struct db *db, const char *email, struct db_user *u)
{
    test_db_make_user(db, email, "user", u);
}

static void make_session(struct db *db, int64_t user_id, unsigned char fill, struct db_session *s)
{
    memset(s, 0, sizeof(*s));
    s->user_id = user_id;
    s->created_at = s->last_seen_at = 10;
    s->expires_at = INT64_MAX / 2;
    memset(s->token_hash, fill, sizeof(s->token_hash));
    snprintf(s->id, sizeof(s->id), "sess%02x", fill);
    assert_int_equal(db_session_create(db, s, NULL), 0);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_off_by_default_sees_every_write(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_user u, got;
    struct db_session s, gs;
    make_user(t.db, "a@x.io", &u);
    make_session(t.db, u.id, 3, &s);
    assert_int_equal(db_session_get(t.db, s.token_hash, &gs, &got), 0);
    assert_string_equal(got.password_hash, "");
    test_db_exec(&t, "DELETE FROM sessions");
    assert_int_equal(db_session_get(t.db, s.token_hash, &gs, &got), SEAU_E_NOT_FOUND);
    test_db_close(&t);
}

static void test_elsewhere_seen_after_ttl(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    assert_int_equal(db_session_cache_enable(t.db, 300), 0);
    struct db_user u, got;
    struct db_session s, gs;
    make_user(t.db, "a@x.io", &u);
    make_session(t.db, u.id, 3, &s);
    assert_int_equal(db_session_get(t.db, s.token_hash, &gs, &got), 0);
    assert_string_equal(got.email, "a@x.io");
    /* Another connection (another replica) ends it: this handle's copy still answers... */
    test_db_exec(&t, "DELETE FROM sessions");
    assert_int_equal(db_session_get(t.db, s.token_hash, &gs, &got), 0);
    assert_string_equal(gs.id, "sess03");
    assert_string_equal(got.password_hash, "");
    /* ...until its time to live has passed. */
    sleep_ms(350);
    assert_int_equal(db_session_get(t.db, s.token_hash, &gs, &got), SEAU_E_NOT_FOUND);
    test_db_close(&t);
}

static void test_own_writes_seen_at_once(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    assert_int_equal(db_session_cache_enable(t.db, 60000), 0);
    struct db_user admin, u, got;
    struct db_session s, s2, gs;
    test_db_make_user(t.db, "root@x.io", "admin", &admin); /* the store keeps one enabled admin */
    make_user(t.db, "a@x.io", &u);
    make_session(t.db, u.id, 3, &s);
    make_session(t.db, u.id, 4, &s2);
    assert_int_equal(db_session_get(t.db, s.token_hash, &gs, &got), 0);
    assert_int_equal(db_session_get(t.db, s2.token_hash, &gs, &got), 0);
    assert_false(got.disabled);

    /* Disabling the user through this handle: both sessions' copies go. */
    struct db_user off = u;
    off.disabled = true;
    assert_int_equal(db_user_update(t.db, &off, DB_REVOKE_NONE, NULL, NULL), 0);
    assert_int_equal(db_session_get(t.db, s.token_hash, &gs, &got), 0);
    assert_true(got.disabled);

    /* A touch moves last_seen_at in the copy too. */
    assert_int_equal(db_session_touch(t.db, s.token_hash, 77), 0);
    assert_int_equal(db_session_get(t.db, s.token_hash, &gs, &got), 0);
    assert_true(gs.last_seen_at == 77);

    /* Signing out through this handle is seen at once, whatever the time to live. */
    assert_int_equal(db_session_delete(t.db, s.token_hash, NULL), 0);
    assert_int_equal(db_session_get(t.db, s.token_hash, &gs, &got), SEAU_E_NOT_FOUND);
    assert_int_equal(db_session_delete_others(t.db, u.id, s.token_hash, NULL, NULL), 0);
    assert_int_equal(db_session_get(t.db, s2.token_hash, &gs, &got), SEAU_E_NOT_FOUND);
    test_db_close(&t);
}

static void test_write_during_lookup_leaves_stale_copy_unused(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    assert_int_equal(db_session_cache_enable(t.db, 60000), 0);
    struct db_user u, got;
    struct db_session s, gs;
    make_user(t.db, "a@x.io", &u);
    make_session(t.db, u.id, 5, &s);
    /*
     * A lookup that began before a write but stored its answer after it:
     * the copy carries the generation it began under, so it is not used.
     */
    uint64_t before = atomic_load(&t.db->auth_generation);
    struct db_session old_s = s;
    struct db_user old_u = u;
    assert_int_equal(db_session_delete(t.db, s.token_hash, NULL), 0);
    db__session_cache_put(t.db->session_cache, s.token_hash, before, time_mono_ns(), &old_s,
                          &old_u);
    assert_int_equal(db_session_get(t.db, s.token_hash, &gs, &got), SEAU_E_NOT_FOUND);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_by_default_sees_every_write),
        cmocka_unit_test(test_elsewhere_seen_after_ttl),
        cmocka_unit_test(test_own_writes_seen_at_once),
        cmocka_unit_test(test_write_during_lookup_leaves_stale_copy_unused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
