/*
 * Tests of src/files/shares.c: the pure rules (expiry, state, keys inside a
 * folder share, the unlock proof), and the store-backed parts that need no
 * S3: the share rows and their race-free download count, listing by role,
 * revocation, resolving a token with its creator's rights, and the password
 * throttle.
 */
#include "../testutil.h"

#include "../../../src/files/shares.c"

#include <pthread.h>

#define MIN_MS (60LL * 1000)
#define HOUR_MS (60LL * MIN_MS)

static void test_expiry(void **state)
{
    (void)state;
    static const struct {
        bool given;
        int64_t in_s, default_ms, max_ms;
        int want_rc;
        int64_t want; /* expires_at - now; -1: never (0) */
    } cases[] = {
        {false, 0, 7 * 24 * HOUR_MS, 30 * 24 * HOUR_MS, 0, 7 * 24 * HOUR_MS},
        {false, 0, 0, 0, 0, -1},                 /* default unlimited */
        {true, 1, HOUR_MS, HOUR_MS, 0, 1000},
        {true, 3600, HOUR_MS, HOUR_MS, 0, HOUR_MS}, /* at the cap */
        {true, 3601, HOUR_MS, HOUR_MS, SEAU_E_RANGE, 0}, /* one past it */
        {true, 0, HOUR_MS, HOUR_MS, SEAU_E_RANGE, 0},    /* never, with a cap */
        {true, 0, 0, 0, 0, -1},                          /* never, without */
        {true, -1, 0, 0, SEAU_E_RANGE, 0},
        {true, FILES_SHARE_EXPIRES_IN_MAX, 0, 0, 0, FILES_SHARE_EXPIRES_IN_MAX * 1000},
        {true, FILES_SHARE_EXPIRES_IN_MAX + 1, 0, 0, SEAU_E_RANGE, 0},
        {true, INT64_MAX, 0, 0, SEAU_E_RANGE, 0},
    };
    const int64_t now = 1700000000000LL;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t got = 12345;
        int rc = files_share_expiry(now, cases[i].given, cases[i].in_s, cases[i].default_ms,
                                    cases[i].max_ms, &got);
        if (rc != cases[i].want_rc)
            fail_msg("case %zu: rc %s", i, err_name(rc));
        if (rc == 0)
            assert_int_equal(got, cases[i].want < 0 ? 0 : now + cases[i].want);
        else
            assert_int_equal(got, 12345); /* untouched on failure */
    }
}

static void test_state(void **state)
{
    (void)state;
    struct db_share s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(files_share_state(&s, 100), FILES_SHARE_LIVE);
    s.expires_at = 100;
    assert_int_equal(files_share_state(&s, 99), FILES_SHARE_LIVE);
    assert_int_equal(files_share_state(&s, 100), FILES_SHARE_EXPIRED);
    s.expires_at = 0;
    s.max_downloads = 2;
    s.downloads = 1;
    assert_int_equal(files_share_state(&s, 100), FILES_SHARE_LIVE);
    s.downloads = 2;
    assert_int_equal(files_share_state(&s, 100), FILES_SHARE_EXHAUSTED);
    s.revoked_at = 5; /* revocation wins over everything else */
    assert_int_equal(files_share_state(&s, 100), FILES_SHARE_REVOKED);
    assert_string_equal(files_share_state_name(FILES_SHARE_WITHDRAWN), "withdrawn");
    assert_string_equal(files_share_state_name(FILES_SHARE_LIVE), "live");
}

static void test_member_key(void **state)
{
    (void)state;
    struct db_share folder, file;
    memset(&folder, 0, sizeof(folder));
    memset(&file, 0, sizeof(file));
    snprintf(folder.key, sizeof(folder.key), "team/docs/");
    snprintf(file.key, sizeof(file.key), "team/report.pdf");
    assert_true(files_share_is_folder(&folder));
    assert_false(files_share_is_folder(&file));

    static const struct {
        const char *rel;
        const char *want; /* NULL: refused */
    } cases[] = {
        {"a.txt", "team/docs/a.txt"},
        {"sub/b c é.txt", "team/docs/sub/b c é.txt"},
        {"<img src=x onerror=alert(1)>.png", "team/docs/<img src=x onerror=alert(1)>.png"},
        {"..", NULL},
        {"../", NULL},
        {"../x", NULL},
        {"sub/../../x", NULL},
        {"./a", NULL},
        {"/etc/passwd", NULL},
        {"", NULL},
        {NULL, NULL},
        {"a\x01" "b", NULL},
        {"a\xff", NULL}, /* not UTF-8 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[DB_KEY_MAX + 1] = "untouched";
        const char *why = NULL;
        int rc = files_share_member_key(&folder, cases[i].rel, out, &why);
        if (cases[i].want) {
            if (rc != 0)
                fail_msg("case %zu (%s): refused: %s", i, cases[i].rel, why);
            assert_string_equal(out, cases[i].want);
        } else {
            if (rc != SEAU_E_VALIDATION)
                fail_msg("case %zu: accepted as %s", i, out);
            assert_non_null(why);
            assert_string_equal(out, "untouched");
        }
    }
    /* At the length limit and one past it (prefix 10 bytes + rel). */
    char rel[DB_KEY_MAX + 2];
    memset(rel, 'r', sizeof(rel));
    rel[DB_KEY_MAX - 10] = '\0';
    char out[DB_KEY_MAX + 1];
    const char *why = NULL;
    assert_int_equal(files_share_member_key(&folder, rel, out, &why), 0);
    assert_int_equal(strlen(out), DB_KEY_MAX);
    rel[DB_KEY_MAX - 10] = 'r';
    rel[DB_KEY_MAX - 9] = '\0';
    assert_int_equal(files_share_member_key(&folder, rel, out, &why), SEAU_E_VALIDATION);
    /* A file share is its own key, whatever rel says. */
    assert_int_equal(files_share_member_key(&file, "../other", out, &why), 0);
    assert_string_equal(out, "team/report.pdf");
    assert_int_equal(files_share_member_key(&file, NULL, out, &why), 0);
}

static void test_unlock_proof(void **state)
{
    (void)state;
    struct db_share s;
    memset(&s, 0, sizeof(s));
    const char *token = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    char p[FILES_SHARE_UNLOCK_LEN + 1];
    /* No password: nothing to unlock, whatever is presented. */
    files_share_unlock_proof(&s, token, p);
    assert_false(files_share_unlocked(&s, token, p));
    snprintf(s.password_hash, sizeof(s.password_hash), "$argon2id$v=19$m=65536,t=2,p=1$one");
    files_share_unlock_proof(&s, token, p);
    assert_int_equal(strlen(p), FILES_SHARE_UNLOCK_LEN);
    assert_true(files_share_unlocked(&s, token, p));
    char again[FILES_SHARE_UNLOCK_LEN + 1];
    files_share_unlock_proof(&s, token, again);
    assert_string_equal(p, again); /* deterministic: survives a restart */
    /* Another token, another password hash, a changed or cut proof: refused. */
    assert_false(files_share_unlocked(&s, "BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", p));
    struct db_share t = s;
    snprintf(t.password_hash, sizeof(t.password_hash), "$argon2id$v=19$m=65536,t=2,p=1$two");
    assert_false(files_share_unlocked(&t, token, p));
    char bad[FILES_SHARE_UNLOCK_LEN + 1];
    memcpy(bad, p, sizeof(bad));
    bad[10] = bad[10] == '0' ? '1' : '0';
    assert_false(files_share_unlocked(&s, token, bad));
    bad[10] = p[10];
    bad[FILES_SHARE_UNLOCK_LEN - 1] = '\0';
    assert_false(files_share_unlocked(&s, token, bad));
    assert_false(files_share_unlocked(&s, token, NULL));
    assert_false(files_share_unlocked(&s, token, ""));
}

/* ===================================== with a store =================================== */

static int64_t make_user(struct db *db, const char *email, const char *role)
{
    struct db_user u;
    memset(&u, 0, sizeof(u));
    snprintf(u.email, sizeof(u.email), "%s", email);
    snprintf(u.name, sizeof(u.name), "x");
    snprintf(u.role, sizeof(u.role), "%s", role);
    snprintf(u.password_hash, sizeof(u.password_hash), "$argon2id$fake");
    u.created_at = 1;
    assert_int_equal(db_user_insert(db, &u, NULL), 0);
    return u.id;
}

static void make_share(struct db *db, const char *id, int64_t by, const char *bucket,
                       const char *key, int64_t max, int64_t expires_at, struct db_share *ret)
{
    struct db_share s;
    memset(&s, 0, sizeof(s));
    snprintf(s.id, sizeof(s.id), "%s", id);
    randombytes_buf(s.token_hash, sizeof(s.token_hash));
    snprintf(s.bucket, sizeof(s.bucket), "%s", bucket);
    snprintf(s.key, sizeof(s.key), "%s", key);
    s.created_by = by;
    s.created_at = 10;
    s.max_downloads = max;
    s.expires_at = expires_at;
    assert_int_equal(db_share_insert(db, &s, NULL), 0);
    assert_true(s.seq > 0);
    if (ret)
        *ret = s;
}

static int64_t audit_count(struct db *db, const char *action)
{
    struct db_audit_filter f = {.action = action, .limit = 1000};
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
    int64_t a = make_user(t.db, "a@x.io", "admin");
    struct db_share s, got;
    make_share(t.db, "s1", a, "bkt", "dir/", 2, 0, &s);
    /* Ids and token hashes are unique. */
    struct db_share dup = s;
    assert_int_equal(db_share_insert(t.db, &dup, NULL), SEAU_E_CONFLICT);
    snprintf(dup.id, sizeof(dup.id), "s1-other");
    assert_int_equal(db_share_insert(t.db, &dup, NULL), SEAU_E_CONFLICT);

    assert_int_equal(db_share_get_by_token(t.db, s.token_hash, &got), 0);
    assert_string_equal(got.id, "s1");
    assert_string_equal(got.key, "dir/");
    assert_string_equal(got.created_by_email, "a@x.io");
    assert_int_equal(got.max_downloads, 2);
    assert_int_equal(got.expires_at, 0);
    assert_string_equal(got.password_hash, "");
    unsigned char other[DB_TOKEN_HASH_LEN];
    memset(other, 9, sizeof(other));
    assert_int_equal(db_share_get_by_token(t.db, other, &got), SEAU_E_NOT_FOUND);
    assert_int_equal(db_share_get(t.db, "nope", &got), SEAU_E_NOT_FOUND);

    /* Counting: each with its audit entry, never past the limit, nothing written when refused. */
    struct db_audit_entry e;
    audit_entry_init(&e, NULL, "share.access", "success", NULL, 20);
    assert_int_equal(db_share_count_download(t.db, "s1", 20, &e), 0);
    assert_int_equal(db_share_count_download(t.db, "s1", 20, &e), 0);
    assert_int_equal(db_share_count_download(t.db, "s1", 20, &e), SEAU_E_GONE);
    assert_int_equal(db_share_count_download(t.db, "missing", 20, &e), SEAU_E_NOT_FOUND);
    assert_int_equal(audit_count(t.db, "share.access"), 2);
    assert_int_equal(db_share_get(t.db, "s1", &got), 0);
    assert_int_equal(got.downloads, 2);

    /* Expiry is checked in the same statement: at expires_at it is over. */
    make_share(t.db, "s2", a, "bkt", "f.txt", 0, 100, NULL);
    assert_int_equal(db_share_count_download(t.db, "s2", 99, NULL), 0);
    assert_int_equal(db_share_count_download(t.db, "s2", 100, NULL), SEAU_E_GONE);

    /* Revocation: once; a revoked share counts nothing and is not listed. */
    audit_entry_init(&e, NULL, "share.revoke", "success", NULL, 30);
    assert_int_equal(db_share_revoke(t.db, "s2", 30, &e), 0);
    assert_int_equal(db_share_revoke(t.db, "s2", 31, &e), SEAU_E_NOT_FOUND);
    assert_int_equal(db_share_revoke(t.db, "missing", 31, &e), SEAU_E_NOT_FOUND);
    assert_int_equal(audit_count(t.db, "share.revoke"), 1);
    assert_int_equal(db_share_count_download(t.db, "s2", 50, NULL), SEAU_E_GONE);
    assert_int_equal(db_share_get(t.db, "s2", &got), 0);
    assert_int_equal(got.revoked_at, 30);
    struct db_share_filter f = {.limit = 10};
    struct db_share *rows = NULL;
    size_t n = 0;
    assert_int_equal(db_share_list(t.db, &f, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].id, "s1");
    free(rows);

    /* A deleted account's links go with it. */
    int64_t m = make_user(t.db, "m@x.io", "manager");
    make_share(t.db, "s3", m, "bkt", "g.txt", 0, 0, NULL);
    assert_int_equal(db_user_delete(t.db, m, NULL), 0);
    assert_int_equal(db_share_get(t.db, "s3", &got), SEAU_E_NOT_FOUND);
    test_db_close(&t);
}

/* Many threads download through a share limited to 5: exactly 5 are counted. */
struct racer {
    struct db *db;
    int ok, gone;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    for (int i = 0; i < 10; i++) {
        int rc = db_share_count_download(r->db, "hot", 1, NULL);
        if (rc == 0)
            r->ok++;
        else if (rc == SEAU_E_GONE)
            r->gone++;
    }
    return NULL;
}

static void test_count_race(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t a = make_user(t.db, "a@x.io", "admin");
    make_share(t.db, "hot", a, "bkt", "f", 5, 0, NULL);
    pthread_t th[4];
    struct racer r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (struct racer){.db = t.db};
        assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
    }
    int ok = 0, gone = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ok += r[i].ok;
        gone += r[i].gone;
    }
    assert_int_equal(ok, 5);
    assert_int_equal(gone, 35);
    struct db_share got;
    assert_int_equal(db_share_get(t.db, "hot", &got), 0);
    assert_int_equal(got.downloads, 5);
    test_db_close(&t);
}

static struct files_who subject(int64_t id, enum auth_role role, struct db_grant *g, size_t n)
{
    struct files_who w;
    memset(&w, 0, sizeof(w));
    w.subject = (struct auth_subject){.user_id = id, .role = role, .grants = g, .ngrants = n};
    return w;
}

/* Collects every id of a listing, page after page. */
static size_t list_all(const struct files_env *env, const struct files_who *who, size_t limit,
                       char ids[][DB_SHARE_ID_MAX + 1], size_t max, size_t *ret_pages)
{
    struct files_share_query q = {.limit = limit};
    size_t n = 0, pages = 0;
    for (;;) {
        struct files_share_page p;
        assert_int_equal(files_share_list(env, who, &q, &p), 0);
        pages++;
        assert_true(p.n <= limit);
        for (size_t i = 0; i < p.n && n < max; i++)
            snprintf(ids[n++], DB_SHARE_ID_MAX + 1, "%s", p.rows[i].id);
        free(p.rows);
        if (!p.next_before)
            break;
        q.before_seq = p.next_before;
    }
    *ret_pages = pages;
    return n;
}

static void test_list_by_role(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t a = make_user(t.db, "a@x.io", "admin");
    int64_t m = make_user(t.db, "m@x.io", "manager");
    int64_t u = make_user(t.db, "u@x.io", "user");
    /* Newest last: seq order. */
    make_share(t.db, "a-team", a, "bkt", "team/x", 0, 0, NULL);
    make_share(t.db, "a-other", a, "bkt", "other/y", 0, 0, NULL);
    make_share(t.db, "m-own", m, "bkt", "team/z", 0, 0, NULL);
    make_share(t.db, "a-b2", a, "b2", "team/w", 0, 0, NULL);
    char *buckets[] = {"bkt", "b2", NULL};
    struct files_env env = {.s3 = NULL, .db = t.db, .buckets = buckets, .nbuckets = 2};
    char ids[16][DB_SHARE_ID_MAX + 1];
    size_t pages = 0;

    struct files_who admin = subject(a, AUTH_ROLE_ADMIN, NULL, 0);
    assert_int_equal(list_all(&env, &admin, 1000, ids, 16, &pages), 4);
    assert_string_equal(ids[0], "a-b2"); /* newest first */
    assert_string_equal(ids[3], "a-team");
    assert_int_equal(list_all(&env, &admin, 1, ids, 16, &pages), 4);
    assert_int_equal(pages, 4);

    struct db_grant g = {.bucket = "bkt", .prefix = "team/"};
    struct files_who manager = subject(m, AUTH_ROLE_MANAGER, &g, 1);
    assert_int_equal(list_all(&env, &manager, 1000, ids, 16, &pages), 2);
    assert_string_equal(ids[0], "m-own");
    assert_string_equal(ids[1], "a-team");
    assert_int_equal(list_all(&env, &manager, 1, ids, 16, &pages), 2);

    struct files_who user = subject(u, AUTH_ROLE_USER, &g, 1);
    assert_int_equal(list_all(&env, &user, 1000, ids, 16, &pages), 0);

    struct files_share_query q = {.limit = 10, .bucket = "b2"};
    struct files_share_page p;
    assert_int_equal(files_share_list(&env, &admin, &q, &p), 0);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.rows[0].id, "a-b2");
    free(p.rows);

    /* Revoke: the owner; a manager within its grants; never a foreign or hidden one. */
    struct audit_actor actor = {.user_id = m, .email = "m@x.io", .ip = "10.0.0.1"};
    assert_int_equal(files_share_revoke(&env, &manager, &actor, "a-other", 5), SEAU_E_NOT_FOUND);
    assert_int_equal(files_share_revoke(&env, &user, &actor, "m-own", 5), SEAU_E_NOT_FOUND);
    assert_int_equal(files_share_revoke(&env, &manager, &actor, "a-team", 5), 0);
    assert_int_equal(files_share_revoke(&env, &manager, &actor, "a-team", 6), SEAU_E_NOT_FOUND);
    assert_int_equal(files_share_revoke(&env, &admin, &actor, "m-own", 6), 0);
    assert_int_equal(files_share_revoke(&env, &admin, &actor, "", 6), SEAU_E_NOT_FOUND);
    assert_int_equal(audit_count(t.db, "share.revoke"), 2);
    assert_int_equal(list_all(&env, &admin, 1000, ids, 16, &pages), 2);
    test_db_close(&t);
}

/* A manager's filtered listing stops after FILES_SHARE_LIST_SCAN_MAX rows and says where. */
static void test_list_scan_bound(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t a = make_user(t.db, "a@x.io", "admin");
    int64_t m = make_user(t.db, "m@x.io", "manager");
    make_share(t.db, "visible-old", a, "bkt", "team/old", 0, 0, NULL);
    /* Hidden rows in between: more than the bound plus the batches that overshoot it. */
    for (int i = 0; i < FILES_SHARE_LIST_SCAN_MAX + 300; i++) {
        char id[32];
        snprintf(id, sizeof(id), "hidden-%d", i);
        make_share(t.db, id, a, "bkt", "other/x", 0, 0, NULL);
    }
    make_share(t.db, "visible-new", a, "bkt", "team/new", 0, 0, NULL);
    char *buckets[] = {"bkt", NULL};
    struct files_env env = {.db = t.db, .buckets = buckets, .nbuckets = 1};
    struct db_grant g = {.bucket = "bkt", .prefix = "team/"};
    struct files_who manager = subject(m, AUTH_ROLE_MANAGER, &g, 1);
    struct files_share_query q = {.limit = 100};
    struct files_share_page p;
    assert_int_equal(files_share_list(&env, &manager, &q, &p), 0);
    assert_int_equal(p.n, 1); /* a short page ... */
    assert_string_equal(p.rows[0].id, "visible-new");
    assert_true(p.next_before > 0); /* ... that still goes on */
    free(p.rows);
    q.before_seq = p.next_before;
    assert_int_equal(files_share_list(&env, &manager, &q, &p), 0);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.rows[0].id, "visible-old");
    assert_int_equal(p.next_before, 0);
    free(p.rows);
    test_db_close(&t);
}

static void test_resolve_checks_the_creator(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    (void)make_user(t.db, "a@x.io", "admin"); /* the store keeps one enabled admin */
    int64_t m = make_user(t.db, "m@x.io", "manager");
    struct db_grant g = {.bucket = "bkt", .prefix = "team/"};
    assert_int_equal(db_grants_set(t.db, m, &g, 1, NULL), 0);
    char token[AUTH_TOKEN_LEN + 1];
    struct db_share s;
    memset(&s, 0, sizeof(s));
    snprintf(s.id, sizeof(s.id), "r1");
    auth_token_new(token, s.token_hash);
    snprintf(s.bucket, sizeof(s.bucket), "bkt");
    snprintf(s.key, sizeof(s.key), "team/a.txt");
    s.created_by = m;
    s.created_at = 1;
    assert_int_equal(db_share_insert(t.db, &s, NULL), 0);
    char *buckets[] = {"bkt", NULL};
    struct files_env env = {.db = t.db, .buckets = buckets, .nbuckets = 1};

    struct files_share_access acc;
    assert_int_equal(files_share_resolve(&env, token, 5, &acc), 0);
    assert_int_equal(acc.state, FILES_SHARE_LIVE);
    assert_string_equal(acc.share.id, "r1");
    /* Malformed and unknown tokens look alike. */
    assert_int_equal(files_share_resolve(&env, "short", 5, &acc), SEAU_E_NOT_FOUND);
    char unknown[AUTH_TOKEN_LEN + 1];
    unsigned char h[DB_TOKEN_HASH_LEN];
    auth_token_new(unknown, h);
    assert_int_equal(files_share_resolve(&env, unknown, 5, &acc), SEAU_E_NOT_FOUND);

    /* The grant moves away: withdrawn; back: live again. */
    struct db_grant elsewhere = {.bucket = "bkt", .prefix = "other/"};
    assert_int_equal(db_grants_set(t.db, m, &elsewhere, 1, NULL), 0);
    assert_int_equal(files_share_resolve(&env, token, 5, &acc), 0);
    assert_int_equal(acc.state, FILES_SHARE_WITHDRAWN);
    assert_int_equal(db_grants_set(t.db, m, &g, 1, NULL), 0);
    assert_int_equal(files_share_resolve(&env, token, 5, &acc), 0);
    assert_int_equal(acc.state, FILES_SHARE_LIVE);
    /* Demoted to user, or disabled: withdrawn. */
    struct db_user u;
    assert_int_equal(db_user_get(t.db, m, &u), 0);
    snprintf(u.role, sizeof(u.role), "user");
    assert_int_equal(db_user_update(t.db, &u, DB_REVOKE_NONE, NULL, NULL), 0);
    assert_int_equal(files_share_resolve(&env, token, 5, &acc), 0);
    assert_int_equal(acc.state, FILES_SHARE_WITHDRAWN);
    snprintf(u.role, sizeof(u.role), "manager");
    u.disabled = true;
    assert_int_equal(db_user_update(t.db, &u, DB_REVOKE_NONE, NULL, NULL), 0);
    assert_int_equal(files_share_resolve(&env, token, 5, &acc), 0);
    assert_int_equal(acc.state, FILES_SHARE_WITHDRAWN);
    u.disabled = false;
    assert_int_equal(db_user_update(t.db, &u, DB_REVOKE_NONE, NULL, NULL), 0);
    /* The bucket is no longer configured: withdrawn. */
    char *other_buckets[] = {"b2", NULL};
    struct files_env env2 = {.db = t.db, .buckets = other_buckets, .nbuckets = 1};
    assert_int_equal(files_share_resolve(&env2, token, 5, &acc), 0);
    assert_int_equal(acc.state, FILES_SHARE_WITHDRAWN);
    /* The row's own state comes first. */
    assert_int_equal(db_share_revoke(t.db, "r1", 6, NULL), 0);
    assert_int_equal(files_share_resolve(&env, token, 7, &acc), 0);
    assert_int_equal(acc.state, FILES_SHARE_REVOKED);
    test_db_close(&t);
}

static void test_password_throttle(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    assert_int_equal(auth_password_init(), 0);
    struct db_share s;
    memset(&s, 0, sizeof(s));
    snprintf(s.id, sizeof(s.id), "pw");
    int64_t retry = -1;
    /* No password: always open. */
    assert_int_equal(files_share_password(t.db, &s, "1.2.3.4", NULL, 1000, MIN_MS, &retry), 0);
    assert_int_equal(auth_password_hash("right password", s.password_hash), 0);
    assert_int_equal(files_share_password(t.db, &s, "1.2.3.4", NULL, 1000, MIN_MS, &retry),
                     SEAU_E_UNAUTHORIZED);
    assert_int_equal(files_share_password(t.db, &s, "1.2.3.4", "", 1000, MIN_MS, &retry),
                     SEAU_E_UNAUTHORIZED);
    assert_int_equal(files_share_password(t.db, &s, "1.2.3.4", "right password", 1000, MIN_MS,
                                          &retry),
                     0);
    assert_int_equal(files_share_password(t.db, &s, "1.2.3.4", "wrong password", 1000, MIN_MS,
                                          &retry),
                     SEAU_E_UNAUTHORIZED);
    /* Nine more failures on the books (as files_share_password records them) reach the limit. */
    struct db_throttle th;
    for (int i = 0; i < FILES_SHARE_PASSWORD_FAILURES - 1; i++)
        assert_int_equal(db_throttle_fail(t.db, "share:pw:1.2.3.4", 1000, MIN_MS, &th), 0);
    assert_int_equal(files_share_password(t.db, &s, "1.2.3.4", "right password", 2000, MIN_MS,
                                          &retry),
                     SEAU_E_RATE_LIMITED);
    assert_int_equal(retry, 59);
    /* Another address is not affected; the window passes. */
    assert_int_equal(files_share_password(t.db, &s, "5.6.7.8", "right password", 2000, MIN_MS,
                                          &retry),
                     0);
    assert_int_equal(files_share_password(t.db, &s, "1.2.3.4", "right password",
                                          1000 + MIN_MS, MIN_MS, &retry),
                     0);
    test_db_close(&t);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_state),
        cmocka_unit_test(test_member_key),
        cmocka_unit_test(test_unlock_proof),
        cmocka_unit_test(test_store),
        cmocka_unit_test(test_count_race),
        cmocka_unit_test(test_list_by_role),
        cmocka_unit_test(test_list_scan_bound),
        cmocka_unit_test(test_resolve_checks_the_creator),
        cmocka_unit_test(test_password_throttle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
