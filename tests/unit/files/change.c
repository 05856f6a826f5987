/*
 * Tests of src/files/change.c without S3: the naming of destinations, the
 * request-level refusals, the per-object checks, the part size, and every
 * refusal that must come before the first S3 call (the S3 client given is a
 * poisoned pointer: any call through it would crash the test), and the
 * audited functions the handlers call: the audit entry each writes, on
 * failure and on success (the latter against tests/unit/fake_s3.h).
 */
#include "../fake_s3.h"
#include "../testutil.h"

#include "../../../src/files/change.c"

static struct s3_client *const POISON = (struct s3_client *)16;

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(name_of("a/b.txt"), "b.txt");
    assert_string_equal(name_of("b.txt"), "b.txt");
    assert_string_equal(name_of("a/b/"), "b/");
    assert_string_equal(name_of("b/"), "b/");
    assert_string_equal(name_of("a/b c/d é/"), "d é/");
    assert_true(is_folder("a/"));
    assert_false(is_folder("a"));
    assert_int_equal(copy_part_size(0), S3_MIN_PART_SIZE);
    assert_int_equal(copy_part_size(5ull << 20), 5ull << 20);
    assert_int_equal(copy_part_size(64ull << 20), 64ull << 20);
    assert_int_equal(copy_part_size(5ull << 30), FILES_COPY_PART_MAX);
    char f[4];
    set_field(f, sizeof(f), "abc");
    assert_string_equal(f, "abc");
    set_field(f, sizeof(f), "abcd");
    assert_string_equal(f, "");
    set_field(f, sizeof(f), NULL);
    assert_string_equal(f, "");
}

static void test_onto_itself(void **state)
{
    (void)state;
    static const struct {
        const char *bucket, *dst_bucket, *source, *dst_prefix;
        bool refused;
    } cases[] = {
        {"b", "b", "a/x.txt", "a/", true}, /* onto itself */
        {"b", "b", "x.txt", "", true},
        {"b", "c", "x.txt", "", false}, /* another bucket */
        {"b", "b", "a/x.txt", "a/y/", false},
        {"b", "b", "a/", "a/sub/", true}, /* a folder into itself */
        {"b", "b", "a/", "a/", true},     /* a/ -> a/a/: inside itself too */
        {"b", "b", "a/b/", "a/", true},   /* a/b/ -> a/b/: onto itself */
        {"b", "b", "a/", "", true},       /* a/ -> a/ */
        {"b", "b", "a/", "ab/", false},
        {"b", "b", "ab/", "a/", false},
        {"b", "c", "a/", "a/sub/", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *sources[] = {"z.txt", cases[i].source};
        struct files_copy_request q = {.bucket = cases[i].bucket,
                                       .sources = sources,
                                       .nsources = 2,
                                       .dst_bucket = cases[i].dst_bucket,
                                       .dst_prefix = cases[i].dst_prefix};
        struct jsonx_check check;
        jsonx_check_init(&check);
        bool refused = copy_onto_itself(&q, &check);
        if (refused != cases[i].refused)
            fail_msg("case %zu (%s -> %s): refused %d", i, cases[i].source, cases[i].dst_prefix,
                     refused);
        assert_int_equal(jsonx_check_ok(&check), !refused);
        jsonx_check_done(&check);
    }
}

static void test_plan_limit(void **state)
{
    (void)state;
    struct plan p;
    memset(&p, 0, sizeof(p));
    for (int i = 0; i < FILES_COPY_OBJECTS_MAX; i++)
        assert_int_equal(plan_add(&p, "src/k", "dst/", "k", 1), 0);
    assert_int_equal(plan_add(&p, "src/k", "dst/", "k", 1), SEAU_E_RANGE);
    assert_int_equal(p.n, FILES_COPY_OBJECTS_MAX);
    assert_string_equal(p.items[0].dst, "dst/k");
    plan_done(&p);
}

/* Objects of one request that would meet: same new key, a new key another reads, a source twice. */
static void test_clashes(void **state)
{
    (void)state;
    struct plan p;
    memset(&p, 0, sizeof(p));
    assert_int_equal(plan_add(&p, "p/x", "r/", "x", 1), 0);     /* 0: r/x */
    assert_int_equal(plan_add(&p, "q/x", "r/", "x", 1), 0);     /* 1: r/x again */
    assert_int_equal(plan_add(&p, "q/f/z", "P/f/", "z", 1), 0); /* 2: P/f/z, read by 3 */
    assert_int_equal(plan_add(&p, "P/f/z", "P/", "z", 1), 0);   /* 3: P/z */
    assert_int_equal(plan_add(&p, "P/f/z", "P/", "z2", 1), 0);  /* 4: the same source again */
    assert_int_equal(plan_add(&p, "ok/a", "new/", "a", 1), 0);  /* 5 */
    assert_int_equal(plan_clashes(&p, true, true), 0);
    assert_null(p.items[0].clash);
    assert_non_null(p.items[1].clash);
    assert_non_null(p.items[2].clash);
    assert_null(p.items[3].clash);
    assert_non_null(p.items[4].clash);
    assert_null(p.items[5].clash);
    for (size_t i = 0; i < p.n; i++)
        p.items[i].clash = NULL;
    /* A copy to another bucket reads nothing it writes; a copy may name a source twice. */
    assert_int_equal(plan_clashes(&p, false, false), 0);
    assert_null(p.items[0].clash);
    assert_non_null(p.items[1].clash);
    assert_null(p.items[2].clash);
    assert_null(p.items[4].clash);
    plan_done(&p);
}

/* The checks of one object before its copy: key rules, onto itself, rights. */
static void test_check_item(void **state)
{
    (void)state;
    struct db_grant g[] = {{"b", "team-a/", "full"}};
    struct files_who user = {
        .subject = {.user_id = 7, .role = AUTH_ROLE_USER, .grants = g, .ngrants = 1}};
    struct db_object mine, theirs;
    memset(&mine, 0, sizeof(mine));
    memset(&theirs, 0, sizeof(theirs));
    mine.uploaded_by = 7;
    theirs.uploaded_by = 8;
    struct run r = {.who = &user, .bucket = "b", .dst_bucket = "b"};
    char msg[1200];
    char longkey[1100];
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    static const struct {
        const char *src, *dst;
        bool move, own;
        int rc;
    } cases[] = {
        {"team-a/x", "team-a/y/x", false, false, 0},
        {"team-a/x", "team-a/y/x", true, true, 0},
        {"team-a/x", "team-a/y/x", true, false, SEAU_E_FORBIDDEN},
        {"other/x", "team-a/x", false, false, SEAU_E_NOT_FOUND},
        {"team-a/x", "other/x", false, false, SEAU_E_NOT_FOUND},
        {"team-a/x", "team-a/x", false, false, SEAU_E_CONFLICT},
        {"a/../b", "team-a/b", false, false, SEAU_E_VALIDATION},
        {"team-a/x", "team-a/./x", false, false, SEAU_E_VALIDATION},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct item it = {.src = (char *)cases[i].src, .dst = (char *)cases[i].dst, .size = 1};
        r.move = cases[i].move;
        int rc = check_item(&r, &it, cases[i].own ? &mine : &theirs, msg, sizeof(msg));
        if (rc != cases[i].rc)
            fail_msg("case %zu: %s, want %s", i, err_name(rc), err_name(cases[i].rc));
        if (rc)
            assert_true(strlen(msg) > 0);
    }
    struct item it = {.src = "team-a/x", .dst = longkey, .size = 1};
    assert_int_equal(check_item(&r, &it, NULL, msg, sizeof(msg)), SEAU_E_VALIDATION);
    assert_non_null(strstr(msg, "new key"));
    /* Unknown uploader: a user may copy but not move. */
    it.dst = "team-a/z";
    r.move = true;
    assert_int_equal(check_item(&r, &it, NULL, msg, sizeof(msg)), SEAU_E_FORBIDDEN);
}

/* Everything refused before the first S3 call. */
static void test_refused_early(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    char *buckets[] = {"b", "c", NULL};
    struct files_env env = {.s3 = POISON, .db = t.db, .buckets = buckets, .nbuckets = 2};
    struct db_grant g[] = {{"b", "team-a/", "full"}};
    struct files_who user = {
        .subject = {.user_id = 7, .role = AUTH_ROLE_USER, .grants = g, .ngrants = 1}};
    struct files_who manager = {
        .subject = {.user_id = 8, .role = AUTH_ROLE_MANAGER, .grants = g, .ngrants = 1}};
    struct jsonx_check check;
    jsonx_check_init(&check);
    const char *src[] = {"team-a/x"};
    struct files_copy_request q = {
        .bucket = "b", .sources = src, .nsources = 1, .dst_bucket = "c", .dst_prefix = ""};
    struct files_copy_outcome out;
    assert_int_equal(files_copy(&env, &user, &q, &check, &out), SEAU_E_NOT_FOUND);
    files_copy_outcome_done(&out);
    q.dst_bucket = "b";
    q.dst_prefix = "team-a/";
    assert_int_equal(files_copy(&env, &user, &q, &check, &out), SEAU_E_VALIDATION);
    assert_false(jsonx_check_ok(&check));
    files_copy_outcome_done(&out);
    jsonx_check_done(&check);

    struct files_renamed rn;
    struct s3_error e;
    jsonx_check_init(&check);
    assert_int_equal(files_rename(&env, &user, "b", "team-a/d/", "team-a/f", 7, 1, &check, &rn, &e),
                     SEAU_E_VALIDATION);
    files_renamed_done(&rn);
    jsonx_check_done(&check);
    jsonx_check_init(&check);
    assert_int_equal(files_rename(&env, &user, "b", "other/x", "team-a/x", 7, 1, &check, &rn, &e),
                     SEAU_E_NOT_FOUND);
    files_renamed_done(&rn);
    assert_int_equal(files_rename(&env, &user, "b", "team-a/x", "other/x", 7, 1, &check, &rn, &e),
                     SEAU_E_NOT_FOUND);
    files_renamed_done(&rn);
    /* Its own upload may be renamed (S3 would be asked next); another's may not. */
    assert_int_equal(files_index_record(t.db, "b", "team-a/x", 1, "\"e\"", 1, NULL, 8, 1), 0);
    assert_int_equal(files_rename(&env, &user, "b", "team-a/x", "team-a/y", 7, 1, &check, &rn, &e),
                     SEAU_E_FORBIDDEN);
    files_renamed_done(&rn);
    assert_int_equal(
        files_rename(&env, &user, "b", "team-a/d/", "team-a/d/in/", 7, 1, &check, &rn, &e),
        SEAU_E_VALIDATION);
    files_renamed_done(&rn);
    jsonx_check_done(&check);

    assert_int_equal(files_folder_create(&env, &user, "b", "team-a/new/", 7, &e), SEAU_E_FORBIDDEN);
    assert_int_equal(files_folder_create(&env, &manager, "b", "other/new/", 8, &e),
                     SEAU_E_NOT_FOUND);
    env.s3 = NULL;
    assert_int_equal(files_folder_create(&env, &manager, "b", "team-a/new/", 8, &e),
                     SEAU_E_UNAVAILABLE);
    assert_int_equal(files_copy(&env, &user, &q, &check, &out), SEAU_E_UNAVAILABLE);
    files_copy_outcome_done(&out);
    test_db_close(&t);
}

/* The newest audit entry, which must exist; release with db_audit_entries_free(*ret, 1). */
static void newest_entry(struct db *db, struct db_audit_entry **ret)
{
    struct db_audit_filter f = {.limit = 1};
    size_t n = 0;
    assert_int_equal(db_audit_list(db, &f, ret, &n), 0);
    assert_int_equal(n, 1);
}

static size_t entries(struct db *db)
{
    struct db_audit_filter f = {.limit = 1000};
    struct db_audit_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(db_audit_list(db, &f, &e, &n), 0);
    db_audit_entries_free(e, n);
    return n;
}

static void assert_entry(struct db *db, const char *action, const char *status, const char *bucket,
                         const char *key, const char *details)
{
    struct db_audit_entry *e = NULL;
    newest_entry(db, &e);
    assert_string_equal(e->action, action);
    assert_string_equal(e->status, status);
    assert_string_equal(e->bucket, bucket);
    assert_string_equal(e->key, key);
    assert_int_equal(e->user_id, 7);
    assert_string_equal(e->user_email, "u@example.com");
    assert_string_equal(e->ip, "192.0.2.1");
    assert_string_equal(e->details, details);
    db_audit_entries_free(e, 1);
}

/* The audited functions write their entry on refusals, not on malformed requests. */
static void test_audited_refusals(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    char *buckets[] = {"b", "c", NULL};
    struct files_env env = {.s3 = POISON, .db = t.db, .buckets = buckets, .nbuckets = 2};
    struct db_grant g[] = {{"b", "team-a/", "full"}};
    struct files_who user = {
        .subject = {.user_id = 7, .role = AUTH_ROLE_USER, .grants = g, .ngrants = 1}};
    struct audit_actor actor = {7, "u@example.com", "192.0.2.1", "test"};
    struct s3_error e;

    assert_int_equal(files_folder_create_audited(&env, &user, &actor, "b", "team-a/new/", &e),
                     SEAU_E_FORBIDDEN);
    assert_entry(t.db, "folder.create", "failure", "b", "team-a/new/", "{\"error\":\"forbidden\"}");

    struct jsonx_check check;
    jsonx_check_init(&check);
    struct files_renamed rn;
    assert_int_equal(
        files_rename_audited(&env, &user, &actor, "b", "other/x", "team-a/x", 1, &check, &rn, &e),
        SEAU_E_NOT_FOUND);
    files_renamed_done(&rn);
    assert_entry(t.db, "object.rename", "failure", "b", "other/x",
                 "{\"count\":0,\"error\":\"not_found\",\"errors\":0,\"newKey\":\"team-a/x\"}");
    size_t before = entries(t.db);
    /* Malformed (a folder renamed to a file): answered as such, not recorded. */
    assert_int_equal(
        files_rename_audited(&env, &user, &actor, "b", "team-a/d/", "team-a/f", 1, &check, &rn, &e),
        SEAU_E_VALIDATION);
    files_renamed_done(&rn);
    jsonx_check_done(&check);
    assert_int_equal(entries(t.db), before);

    /* A copy refused as a whole writes nothing either. */
    jsonx_check_init(&check);
    const char *src[] = {"team-a/x"};
    struct files_copy_request q = {.bucket = "b",
                                   .sources = src,
                                   .nsources = 1,
                                   .dst_bucket = "c",
                                   .dst_prefix = "",
                                   .actor = 7};
    struct files_copy_outcome out;
    assert_int_equal(files_copy_audited(&env, &user, &actor, &q, &check, &out), SEAU_E_NOT_FOUND);
    files_copy_outcome_done(&out);
    jsonx_check_done(&check);
    assert_int_equal(entries(t.db), before);
    test_db_close(&t);
}

/* A folder made through S3: the entry says success, the index knows the marker's maker. */
static void test_audited_success(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct fake_s3 s3;
    fake_s3_start(&s3);
    char *buckets[] = {"b", NULL};
    struct files_env env = {.s3 = s3.client, .db = t.db, .buckets = buckets, .nbuckets = 1};
    struct db_grant g[] = {{"b", "team-a/", "full"}};
    struct files_who manager = {
        .subject = {.user_id = 7, .role = AUTH_ROLE_MANAGER, .grants = g, .ngrants = 1}};
    struct audit_actor actor = {7, "u@example.com", "192.0.2.1", "test"};
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    assert_int_equal(files_folder_create_audited(&env, &manager, &actor, "b", "team-a/new/", &e),
                     0);
    assert_int_equal(atomic_load(&s3.puts), 1);
    assert_entry(t.db, "folder.create", "success", "b", "team-a/new/", "{}");
    struct db_object o;
    assert_int_equal(db_object_get(t.db, "b", "team-a/new/", &o), 0);
    assert_int_equal(o.uploaded_by, 7);
    fake_s3_stop(&s3);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_onto_itself),
        cmocka_unit_test(test_plan_limit),
        cmocka_unit_test(test_clashes),
        cmocka_unit_test(test_check_item),
        cmocka_unit_test(test_refused_early),
        cmocka_unit_test(test_audited_refusals),
        cmocka_unit_test(test_audited_success),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
