/*
 * Tests of src/files/zip_download.c: the selection's limits, its
 * deduplication, the common parent that entry names are relative to, the
 * archive's file name; and the job itself against an in-memory bucket (the
 * service's S3 table swapped for a fake): planning with grants, refusals and
 * their audit entries, the transfer slot, the archive the producer writes
 * (judged by Python's zipfile), and an S3 failure mid-archive. (The handler:
 * tests/integration/zip.test.ts.)
 */
#include "../testutil.h"

#include "../../../src/files/zip_download.c"

#include "core/jsonx.h"

#include <stdatomic.h>

/* What the handler's http_req_query_all gives: the first caps kept, every value counted. */
static const char *kbuf[FILES_ZIP_KEYS_MAX], *pbuf[FILES_ZIP_PREFIXES_MAX];

static void collect_all(struct files_zip_selection *s, const char *const *keys, size_t nk,
                        const char *const *prefixes, size_t np)
{
    memset(s, 0, sizeof(*s));
    s->keys = kbuf;
    s->prefixes = pbuf;
    for (size_t i = 0; i < nk; i++)
        if (s->keys_seen++ < FILES_ZIP_KEYS_MAX)
            kbuf[s->nkeys++] = keys[i];
    for (size_t i = 0; i < np; i++)
        if (s->prefixes_seen++ < FILES_ZIP_PREFIXES_MAX)
            pbuf[s->nprefixes++] = prefixes[i];
}

static void selection_done(struct files_zip_selection *s)
{
    memset(s, 0, sizeof(*s));
}

static void test_limits(void **state)
{
    (void)state;
    static char names[FILES_ZIP_KEYS_MAX + 1][16];
    const char *keys[FILES_ZIP_KEYS_MAX + 1];
    for (size_t i = 0; i <= FILES_ZIP_KEYS_MAX; i++) {
        snprintf(names[i], sizeof(names[i]), "k/%zu", i);
        keys[i] = names[i];
    }
    struct files_zip_selection s;
    struct jsonx_check check;

    /* At the limit: accepted. */
    collect_all(&s, keys, FILES_ZIP_KEYS_MAX, NULL, 0);
    assert_int_equal(s.nkeys, FILES_ZIP_KEYS_MAX);
    jsonx_check_init(&check);
    check_list(&check, "keys", s.keys, s.nkeys, s.keys_seen, FILES_ZIP_KEYS_MAX, s3name_key_problem);
    assert_true(jsonx_check_ok(&check));
    jsonx_check_done(&check);
    selection_done(&s);

    /* One past: refused, and only the first FILES_ZIP_KEYS_MAX were kept. */
    collect_all(&s, keys, FILES_ZIP_KEYS_MAX + 1, NULL, 0);
    assert_int_equal(s.nkeys, FILES_ZIP_KEYS_MAX);
    assert_int_equal(s.keys_seen, FILES_ZIP_KEYS_MAX + 1);
    jsonx_check_init(&check);
    check_list(&check, "keys", s.keys, s.nkeys, s.keys_seen, FILES_ZIP_KEYS_MAX, s3name_key_problem);
    assert_false(jsonx_check_ok(&check));
    jsonx_check_done(&check);
    selection_done(&s);

    /* Prefixes: 100 fine, 101 not; and each must be a folder. */
    const char *pre[FILES_ZIP_PREFIXES_MAX + 1];
    static char pnames[FILES_ZIP_PREFIXES_MAX + 1][16];
    for (size_t i = 0; i <= FILES_ZIP_PREFIXES_MAX; i++) {
        snprintf(pnames[i], sizeof(pnames[i]), "p%zu/", i);
        pre[i] = pnames[i];
    }
    collect_all(&s, NULL, 0, pre, FILES_ZIP_PREFIXES_MAX + 1);
    assert_int_equal(s.nprefixes, FILES_ZIP_PREFIXES_MAX);
    jsonx_check_init(&check);
    check_list(&check, "prefixes", s.prefixes, s.nprefixes, s.prefixes_seen, FILES_ZIP_PREFIXES_MAX,
               prefix_problem);
    assert_false(jsonx_check_ok(&check));
    jsonx_check_done(&check);
    selection_done(&s);

    assert_non_null(prefix_problem(""));
    assert_non_null(prefix_problem("a"));
    assert_non_null(prefix_problem("/a/"));
    assert_non_null(prefix_problem("a/../"));
    assert_null(prefix_problem("a/b/"));
}

/* Runs dedupe and returns the selection as "k:...|p:..." for comparison. */
static void deduped(const char *const *keys, size_t nk, const char *const *prefixes, size_t np,
                    char *out, size_t n)
{
    struct files_zip_selection s;
    collect_all(&s, keys, nk, prefixes, np);
    dedupe(&s);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s.nkeys; i++)
        len += (size_t)snprintf(out + len, n - len, "k:%s|", s.keys[i]);
    for (size_t i = 0; i < s.nprefixes; i++)
        len += (size_t)snprintf(out + len, n - len, "p:%s|", s.prefixes[i]);
    selection_done(&s);
}

static void test_dedupe(void **state)
{
    (void)state;
    char out[512];
    const char *k1[] = {"a/x", "b/y", "a/x", "c/d/e", "c/z"};
    const char *p1[] = {"c/d/", "c/", "q/", "q/", "c/d/e/"};
    deduped(k1, 5, p1, 5, out, sizeof(out));
    /* c/d/ and c/d/e/ lie in c/; the second q/ repeats; keys under c/ go; a/x once. */
    assert_string_equal(out, "k:a/x|k:b/y|p:c/|p:q/|");

    const char *k2[] = {"x", "x/"};
    deduped(k2, 2, NULL, 0, out, sizeof(out));
    assert_string_equal(out, "k:x|k:x/|");

    /* "ab/" is not inside "a/": prefixes are folders, compared whole. */
    const char *k3[] = {"ab/c"};
    const char *p3[] = {"a/"};
    deduped(k3, 1, p3, 1, out, sizeof(out));
    assert_string_equal(out, "k:ab/c|p:a/|");
}

static size_t parent_of(const char *const *keys, size_t nk, const char *const *prefixes, size_t np)
{
    struct files_zip_selection s;
    collect_all(&s, keys, nk, prefixes, np);
    size_t n = common_parent(&s);
    selection_done(&s);
    return n;
}

static void test_common_parent(void **state)
{
    (void)state;
    const char *folder[] = {"a/b/"};
    assert_int_equal(parent_of(NULL, 0, folder, 1), 2); /* a/b/ zips as b/... */
    const char *one[] = {"a/b/c.txt"};
    assert_int_equal(parent_of(one, 1, NULL, 0), 4); /* c.txt */
    const char *two[] = {"a/b/c.txt", "a/bc/d"};
    assert_int_equal(parent_of(two, 2, NULL, 0), 2); /* b/c.txt, bc/d: not "a/b" cut mid-name */
    const char *mixed_k[] = {"a/b/c/x"};
    const char *mixed_p[] = {"a/b/d/"};
    assert_int_equal(parent_of(mixed_k, 1, mixed_p, 1), 4); /* c/x and d/... */
    const char *root[] = {"x", "a/y"};
    assert_int_equal(parent_of(root, 2, NULL, 0), 0);
    const char *top[] = {"a/"};
    assert_int_equal(parent_of(NULL, 0, top, 1), 0); /* a/ zips as a/... */
    const char *marker[] = {"a/b/"}; /* a folder marker named as a key: the folder itself */
    assert_int_equal(parent_of(marker, 1, NULL, 0), 2);
}

static void test_archive_name(void **state)
{
    (void)state;
    struct files_zip_selection s;
    char name[64];
    const char *p[] = {"photos/2024 été/"};
    collect_all(&s, NULL, 0, p, 1);
    archive_name(&s, name, sizeof(name));
    assert_string_equal(name, "2024 été.zip");
    selection_done(&s);
    const char *top[] = {"docs/"};
    collect_all(&s, NULL, 0, top, 1);
    archive_name(&s, name, sizeof(name));
    assert_string_equal(name, "docs.zip");
    selection_done(&s);
    const char *k[] = {"docs/a"};
    collect_all(&s, k, 1, top, 1);
    archive_name(&s, name, sizeof(name));
    assert_string_equal(name, "download.zip");
    selection_done(&s);
}

/* ===================================== the job ===================================== */

/* The in-memory bucket behind the fake S3 table. */
struct fake_obj {
    const char *key, *data;
};
static const struct fake_obj fake_bucket[] = {
    {"docs/a.txt", "alpha"},          {"docs/sub/b.txt", "bravo bravo"},
    {"docs/secret/c.txt", "charlie"}, {"docs/empty", ""},
    {"other/x.txt", "x-ray"},
};
#define NFAKE (sizeof(fake_bucket) / sizeof(fake_bucket[0]))
#define FAKE_MTIME 1714979290000LL

static const char *fail_key;   /* GetObject of this key fails mid-archive */
static atomic_int heads, walks, gets;
static atomic_int bad_if_match; /* GetObjects without the ETag the plan resolved */

static void fake_etag(const char *key, char *out, size_t n)
{
    snprintf(out, n, "\"etag-%zu\"", strlen(key));
}

static const struct fake_obj *fake_find(const char *key)
{
    for (size_t i = 0; i < NFAKE; i++)
        if (strcmp(fake_bucket[i].key, key) == 0)
            return &fake_bucket[i];
    return NULL;
}

static int fake_head(struct s3_client *s3, const char *bucket, const char *key,
                     struct s3_object_head *ret, struct s3_error *err)
{
    (void)s3;
    (void)bucket;
    (void)err;
    atomic_fetch_add(&heads, 1);
    const struct fake_obj *o = fake_find(key);
    if (!o)
        return SEAU_E_NOT_FOUND;
    ret->content_length = (int64_t)strlen(o->data);
    ret->last_modified_ms = FAKE_MTIME;
    fake_etag(key, ret->etag, sizeof(ret->etag));
    return 0;
}

static int fake_walk(struct s3_client *s3, const char *bucket, const char *prefix,
                     int (*each)(void *ctx, const struct s3_object *o), void *ctx,
                     struct s3_error *err)
{
    (void)s3;
    (void)bucket;
    (void)err;
    atomic_fetch_add(&walks, 1);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < NFAKE; i++) {
        if (strncmp(fake_bucket[i].key, prefix, strlen(prefix)) != 0)
            continue;
        char etag[64];
        fake_etag(fake_bucket[i].key, etag, sizeof(etag));
        struct s3_object o = {.key = fake_bucket[i].key,
                              .last_modified_ms = FAKE_MTIME,
                              .etag = etag,
                              .size = (int64_t)strlen(fake_bucket[i].data)};
        rc = each(ctx, &o);
    }
    return rc;
}

static int fake_get(struct s3_client *s3, const char *bucket, const char *key, const char *if_match,
                    const struct s3_sink *sink, struct s3_error *err)
{
    (void)s3;
    (void)bucket;
    atomic_fetch_add(&gets, 1);
    char etag[64];
    fake_etag(key, etag, sizeof(etag));
    if (!if_match || strcmp(if_match, etag) != 0)
        atomic_fetch_add(&bad_if_match, 1);
    const struct fake_obj *o = fake_find(key);
    if (!o)
        return SEAU_E_NOT_FOUND;
    size_t n = strlen(o->data);
    if (fail_key && strcmp(key, fail_key) == 0) {
        /* Half the bytes, then S3 gives up. */
        int rc = sink->write(sink->ctx, o->data, n / 2);
        err->http_status = 503;
        snprintf(err->code, sizeof(err->code), "SlowDown");
        return rc ? rc : SEAU_E_UNAVAILABLE;
    }
    return sink->write(sink->ctx, o->data, n);
}

static const struct zip__s3_ops fake_ops = {fake_head, fake_walk, fake_get};

static struct test_db tdb;

static int job_setup(void **state)
{
    (void)state;
    zip__s3 = &fake_ops;
    fail_key = NULL;
    atomic_store(&heads, 0);
    atomic_store(&walks, 0);
    atomic_store(&gets, 0);
    atomic_store(&bad_if_match, 0);
    test_db_open(&tdb);
    return 0;
}

static int job_teardown(void **state)
{
    (void)state;
    test_db_close(&tdb);
    zip__s3 = &zip__s3_real;
    assert_int_equal(files_transfers_running(), 0);
    return 0;
}

/* A user who may read docs/ except nothing else: grants on docs/a.txt's folder and docs/sub/. */
static struct db_grant user_grants[2];
static void user_who(struct files_who *who)
{
    memset(who, 0, sizeof(*who));
    memset(user_grants, 0, sizeof(user_grants));
    snprintf(user_grants[0].bucket, sizeof(user_grants[0].bucket), "b");
    snprintf(user_grants[0].prefix, sizeof(user_grants[0].prefix), "docs/sub/");
    snprintf(user_grants[1].bucket, sizeof(user_grants[1].bucket), "b");
    snprintf(user_grants[1].prefix, sizeof(user_grants[1].prefix), "docs/a.txt");
    who->subject = (struct auth_subject){
        .user_id = 7, .role = AUTH_ROLE_USER, .grants = user_grants, .ngrants = 2};
}

static void admin_who(struct files_who *who)
{
    memset(who, 0, sizeof(*who));
    who->subject = (struct auth_subject){.user_id = 1, .role = AUTH_ROLE_ADMIN};
}

static const struct audit_actor test_actor = {7, "u@example.org", "192.0.2.1", "unit"};

static int start(const struct files_who *who, const char *const *keys, size_t nk,
                 const char *const *prefixes, size_t np, size_t max_transfers,
                 struct files_zip_problem *pb, struct files_zip **ret)
{
    static char *const buckets[] = {"b"};
    struct files_env env = {.s3 = NULL, .db = tdb.db, .buckets = buckets, .nbuckets = 1};
    struct files_zip_selection sel;
    collect_all(&sel, keys, nk, prefixes, np);
    struct files_zip_request r = {
        .bucket = "b", .sel = &sel, .max_transfers = max_transfers, .audit = true,
        .actor = &test_actor};
    return files_zip_start(&env, who, &r, pb, ret);
}

/* Reads the whole archive (polling: the producer runs on its own thread). */
static ssize_t drain(struct files_zip *z, char *out, size_t cap)
{
    size_t len = 0;
    int64_t deadline = time_now_ms() + 10000;
    for (;;) {
        assert_true(time_now_ms() < deadline);
        assert_true(len < cap);
        ssize_t n = files_zip_read(z, out + len, cap - len);
        if (n == FILES_ZIP_END)
            return (ssize_t)len;
        if (n == FILES_ZIP_ERROR)
            return -1;
        if (n == 0)
            usleep(1000);
        else
            len += (size_t)n;
    }
}

/* Python's zipfile lists the archive as "name=content;" per entry, after testzip(). */
static void py_read(const char *bytes, size_t n, char *out, size_t cap)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/t.zip", tdb.dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "python3 -c \"import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); "
             "assert z.testzip() is None; "
             "sys.stdout.write(''.join(i.filename+'='+z.read(i).decode()+';' for i in "
             "z.infolist()))\" '%s'",
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t got = fread(out, 1, cap - 1, p);
    out[got] = '\0';
    assert_int_equal(pclose(p), 0);
}

/* The newest object.download_zip entry: its status and details. */
static void last_audit(char *status, size_t ns, char *details, size_t nd)
{
    struct db_audit_filter f = {.action = "object.download_zip", .limit = 1};
    struct db_audit_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(db_audit_list(tdb.db, &f, &e, &n), 0);
    assert_int_equal(n, 1);
    snprintf(status, ns, "%s", e[0].status);
    snprintf(details, nd, "%s", e[0].details ? e[0].details : "");
    db_audit_entries_free(e, n);
}

static char archive[1 << 16];

/* A folder and a key: entries relative to the common parent, hidden objects left out. */
static void test_job_archive(void **state)
{
    (void)state;
    struct files_who who;
    user_who(&who);
    const char *keys[] = {"docs/a.txt"};
    const char *prefixes[] = {"docs/sub/"};
    struct files_zip_problem pb;
    struct files_zip *z = NULL;
    assert_int_equal(start(&who, keys, 1, prefixes, 1, 4, &pb, &z), 0);
    assert_int_equal(files_transfers_running(), 1);
    assert_string_equal(files_zip_filename(z), "download.zip");
    ssize_t n = drain(z, archive, sizeof(archive));
    assert_true(n > 0);
    files_zip_free(z);
    assert_int_equal(files_transfers_running(), 0);
    char listing[512];
    py_read(archive, (size_t)n, listing, sizeof(listing));
    assert_string_equal(listing, "a.txt=alpha;sub/b.txt=bravo bravo;");
    assert_int_equal(atomic_load(&heads), 1);
    assert_int_equal(atomic_load(&walks), 1);
    assert_int_equal(atomic_load(&gets), 2);
    assert_int_equal(atomic_load(&bad_if_match), 0);
    char status[32], details[512];
    last_audit(status, sizeof(status), details, sizeof(details));
    assert_string_equal(status, "success");
    assert_non_null(strstr(details, "\"entries\":2"));
    assert_non_null(strstr(details, "\"written\":2"));

    /* An admin zipping the folder sees everything in it, the empty file too. */
    admin_who(&who);
    const char *folder[] = {"docs/"};
    assert_int_equal(start(&who, NULL, 0, folder, 1, 4, &pb, &z), 0);
    assert_string_equal(files_zip_filename(z), "docs.zip");
    n = drain(z, archive, sizeof(archive));
    assert_true(n > 0);
    files_zip_free(z);
    py_read(archive, (size_t)n, listing, sizeof(listing));
    assert_string_equal(listing, "docs/a.txt=alpha;docs/sub/b.txt=bravo bravo;"
                                 "docs/secret/c.txt=charlie;docs/empty=;");
}

/* Refusals keep their status, are audited, and take no transfer slot. */
static void test_job_refusals(void **state)
{
    (void)state;
    struct files_who who;
    user_who(&who);
    struct files_zip_problem pb;
    struct files_zip *z = NULL;
    char status[32], details[512];

    /* A hidden key hides the whole request, before any S3 call. */
    const char *hidden[] = {"docs/a.txt", "docs/secret/c.txt"};
    assert_int_equal(start(&who, hidden, 2, NULL, 0, 4, &pb, &z), SEAU_E_NOT_FOUND);
    assert_int_equal(atomic_load(&heads), 0);
    last_audit(status, sizeof(status), details, sizeof(details));
    assert_string_equal(status, "failure");
    assert_non_null(strstr(details, "\"error\":\"not_found\""));

    /* A missing key is 404 too, found by the HeadObject. */
    admin_who(&who);
    const char *missing[] = {"docs/nope"};
    assert_int_equal(start(&who, missing, 1, NULL, 0, 4, &pb, &z), SEAU_E_NOT_FOUND);
    assert_int_equal(atomic_load(&heads), 1);

    /* A folder with nothing in it. */
    const char *empty[] = {"nothing/"};
    assert_int_equal(start(&who, NULL, 0, empty, 1, 4, &pb, &z), SEAU_E_NOT_FOUND);

    /* Every slot taken: busy, without a plan or an audit entry of its own. */
    for (int i = 0; i < 2; i++)
        assert_int_equal(files_transfer_acquire(2), 0);
    int before = atomic_load(&heads);
    const char *ok[] = {"docs/a.txt"};
    assert_int_equal(start(&who, ok, 1, NULL, 0, 2, &pb, &z), SEAU_E_UNAVAILABLE);
    assert_true(pb.busy);
    assert_int_equal(atomic_load(&heads), before);
    files_transfer_release();
    /* At the limit (one slot left): it runs. */
    assert_int_equal(start(&who, ok, 1, NULL, 0, 2, &pb, &z), 0);
    assert_int_equal(files_transfers_running(), 2);
    files_zip_free(z); /* never read: audited as a client gone away */
    files_transfer_release();
    last_audit(status, sizeof(status), details, sizeof(details));
    assert_string_equal(status, "failure");
    assert_non_null(strstr(details, "the client went away"));
}

/* Past the entry limit: too large, before any GetObject. */
static void test_job_too_large(void **state)
{
    (void)state;
    struct plan p;
    memset(&p, 0, sizeof(p));
    char key[32];
    for (size_t i = 0; i < FILES_ZIP_ENTRIES_MAX; i++) {
        snprintf(key, sizeof(key), "k/%zu", i);
        assert_int_equal(plan_add(&p, key, "\"e\"", 1, 0), 0);
    }
    /* At the limit every entry fit; one past is refused. */
    assert_int_equal(p.n, FILES_ZIP_ENTRIES_MAX);
    assert_int_equal(plan_add(&p, "k/last", "\"e\"", 1, 0), SEAU_E_TOO_LARGE);
    plan_done(&p);
}

/* S3 failing mid-archive ends the read with an error, never a well-formed short archive. */
static void test_job_s3_failure(void **state)
{
    (void)state;
    struct files_who who;
    admin_who(&who);
    fail_key = "docs/sub/b.txt";
    const char *folder[] = {"docs/"};
    struct files_zip_problem pb;
    struct files_zip *z = NULL;
    assert_int_equal(start(&who, NULL, 0, folder, 1, 4, &pb, &z), 0);
    assert_int_equal(drain(z, archive, sizeof(archive)), -1);
    files_zip_free(z);
    char status[32], details[512];
    last_audit(status, sizeof(status), details, sizeof(details));
    assert_string_equal(status, "failure");
    assert_non_null(strstr(details, "\"written\":1"));
    assert_non_null(strstr(details, "503"));
}

/* The shape checks: an empty selection and a key Seau refuses. */
static void test_check(void **state)
{
    (void)state;
    struct files_zip_selection s;
    struct jsonx_check check;
    collect_all(&s, NULL, 0, NULL, 0);
    jsonx_check_init(&check);
    files_zip_check(&s, &check);
    assert_false(jsonx_check_ok(&check));
    jsonx_check_done(&check);
    const char *k[] = {"a/../b"};
    collect_all(&s, k, 1, NULL, 0);
    jsonx_check_init(&check);
    files_zip_check(&s, &check);
    assert_false(jsonx_check_ok(&check));
    jsonx_check_done(&check);
    const char *fine[] = {"a/b"};
    collect_all(&s, fine, 1, NULL, 0);
    jsonx_check_init(&check);
    files_zip_check(&s, &check);
    assert_true(jsonx_check_ok(&check));
    jsonx_check_done(&check);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_dedupe),
        cmocka_unit_test(test_common_parent),
        cmocka_unit_test(test_archive_name),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_job_too_large),
        cmocka_unit_test_setup_teardown(test_job_archive, job_setup, job_teardown),
        cmocka_unit_test_setup_teardown(test_job_refusals, job_setup, job_teardown),
        cmocka_unit_test_setup_teardown(test_job_s3_failure, job_setup, job_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
