/*
 * Tests of the store's recycle bin and tag index (src/db/sqlite/recovery.c,
 * and src/db/postgres/recovery.c in the unit_db_postgres_recovery run):
 * rows with their audit entries in one transaction, marker lookups, listings
 * by owner, prefix, cursor and age, deletes that happen once, tags replaced
 * as a whole, and search filtered by tag and by uploader.
 */
#include "../../testutil.h"

#include "core/err.h"

static size_t audit_count(struct db *db, const char *action)
{
    struct db_audit_filter f = {.action = action, .limit = 1000};
    struct db_audit_entry *rows = NULL;
    size_t n = 0;
    assert_int_equal(db_audit_list(db, &f, &rows, &n), 0);
    db_audit_entries_free(rows, n);
    return n;
}

static struct db_audit_entry entry(const char *action)
{
    static struct audit_actor a = {7, "a@example.com", "127.0.0.1", "test"};
    struct db_audit_entry e;
    audit_entry_init(&e, &a, action, "success", "{}", 1000);
    return e;
}

static struct db_trash moved(const char *key, int64_t by, int64_t at)
{
    struct db_trash t;
    memset(&t, 0, sizeof(t));
    snprintf(t.bucket, sizeof(t.bucket), "b");
    snprintf(t.key, sizeof(t.key), "%s", key);
    snprintf(t.trash_key, sizeof(t.trash_key), ".trash/%s-%lld", key[0] == 'd' ? "d" : "o",
             (long long)at);
    t.size = 42;
    t.deleted_by = by;
    t.deleted_at = at;
    t.uploaded_by = by + 100;
    return t;
}

static void test_trash_rows(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_audit_entry e = entry("trash.test");
    struct db_trash a = moved("docs/a.txt", 1, 100), b = moved("docs/b.txt", 2, 200),
                    c = moved("other/c.txt", 1, 300);
    assert_int_equal(db_trash_insert(t.db, &a, &e), 0);
    assert_int_equal(db_trash_insert(t.db, &b, NULL), 0);
    assert_int_equal(db_trash_insert(t.db, &c, NULL), 0);
    assert_true(a.id > 0 && b.id > a.id && c.id > b.id);
    assert_int_equal(audit_count(t.db, "trash.test"), 1);

    /* A delete marker: found by its version id, never listed as a moved object. */
    struct db_trash m;
    memset(&m, 0, sizeof(m));
    snprintf(m.bucket, sizeof(m.bucket), "b");
    snprintf(m.key, sizeof(m.key), "docs/a.txt");
    snprintf(m.version_id, sizeof(m.version_id), "marker-1");
    m.deleted_by = 2;
    m.deleted_at = 50;
    assert_int_equal(db_trash_insert(t.db, &m, NULL), 0);
    struct db_trash got;
    assert_int_equal(db_trash_find_marker(t.db, "b", "marker-1", &got), 0);
    assert_int_equal(got.id, m.id);
    assert_int_equal(got.deleted_by, 2);
    assert_string_equal(got.key, "docs/a.txt");
    assert_int_equal(db_trash_find_marker(t.db, "b", "marker-2", &got), SEAU_E_NOT_FOUND);
    assert_int_equal(db_trash_find_marker(t.db, "other", "marker-1", &got), SEAU_E_NOT_FOUND);
    assert_int_equal(db_trash_find_marker(t.db, "b", "", &got), SEAU_E_NOT_FOUND);

    struct db_trash *rows = NULL;
    size_t n = 0;
    struct db_trash_filter f = {.bucket = "b", .limit = 10};
    assert_int_equal(db_trash_list(t.db, &f, &rows, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0].key, "docs/a.txt");
    assert_string_equal(rows[2].key, "other/c.txt");
    assert_int_equal(rows[1].size, 42);
    free(rows);

    f.deleted_by = 1; /* one owner's */
    assert_int_equal(db_trash_list(t.db, &f, &rows, &n), 0);
    assert_int_equal(n, 2);
    free(rows);
    f.deleted_by = 0;
    f.prefix = "docs/"; /* one folder */
    assert_int_equal(db_trash_list(t.db, &f, &rows, &n), 0);
    assert_int_equal(n, 2);
    free(rows);
    f.prefix = NULL;
    f.after_id = a.id; /* the cursor */
    f.limit = 1;
    assert_int_equal(db_trash_list(t.db, &f, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, b.id);
    free(rows);
    f = (struct db_trash_filter){.bucket = "b", .before_time = 250, .limit = 10}; /* expiry */
    assert_int_equal(db_trash_list(t.db, &f, &rows, &n), 0);
    assert_int_equal(n, 2);
    free(rows);
    f = (struct db_trash_filter){.bucket = "nope", .limit = 10};
    assert_int_equal(db_trash_list(t.db, &f, &rows, &n), 0);
    assert_int_equal(n, 0);
    free(rows);

    assert_int_equal(db_trash_get(t.db, b.id, &got), 0);
    assert_string_equal(got.trash_key, b.trash_key);
    assert_int_equal(got.uploaded_by, 102);
    struct db_audit_entry d = entry("trash.gone");
    assert_int_equal(db_trash_delete(t.db, b.id, &d), 0);
    struct db_audit_entry d2 = entry("trash.gone");
    assert_int_equal(db_trash_delete(t.db, b.id, &d2), SEAU_E_NOT_FOUND);
    assert_int_equal(audit_count(t.db, "trash.gone"), 1); /* no entry for what did not happen */
    assert_int_equal(db_trash_get(t.db, b.id, &got), SEAU_E_NOT_FOUND);
    test_db_close(&t);
}

static void put_object(struct db *db, const char *key, int64_t by)
{
    struct db_object o;
    memset(&o, 0, sizeof(o));
    snprintf(o.bucket, sizeof(o.bucket), "b");
    snprintf(o.key, sizeof(o.key), "%s", key);
    o.size = 10;
    o.last_modified = 1000;
    o.uploaded_by = by;
    o.indexed_at = 1000;
    assert_int_equal(db_object_upsert(db, &o), 0);
}

static size_t search(struct db *db, int64_t by, const char *name, const char *value)
{
    struct db_object_scope scope = {.bucket = "b", .prefix = ""};
    struct db_object_query q = {.scopes = &scope,
                                .nscopes = 1,
                                .min_size = -1,
                                .max_size = -1,
                                .limit = 100,
                                .uploaded_by = by,
                                .tag_name = name,
                                .tag_value = value};
    struct db_object *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    assert_int_equal(db_object_search(db, &q, &rows, &n, &total), 0);
    free(rows);
    return n;
}

static void test_tags_and_search(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    put_object(t.db, "docs/one.pdf", 1);
    put_object(t.db, "docs/two.pdf", 2);
    put_object(t.db, "docs/three.pdf", 2);
    struct db_tag tags[2];
    memset(tags, 0, sizeof(tags));
    snprintf(tags[0].name, sizeof(tags[0].name), "project");
    snprintf(tags[0].value, sizeof(tags[0].value), "apollo");
    snprintf(tags[1].name, sizeof(tags[1].name), "status");
    snprintf(tags[1].value, sizeof(tags[1].value), "final é");
    struct db_audit_entry e = entry("object.tags");
    assert_int_equal(db_tags_set(t.db, "b", "docs/one.pdf", tags, 2, &e), 0);
    assert_int_equal(db_tags_set(t.db, "b", "docs/two.pdf", tags, 1, NULL), 0);
    assert_int_equal(audit_count(t.db, "object.tags"), 1);

    struct db_tag *got = NULL;
    size_t n = 0;
    assert_int_equal(db_tags_get(t.db, "b", "docs/one.pdf", &got, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(got[0].name, "project");
    assert_string_equal(got[1].value, "final é");
    free(got);
    assert_int_equal(db_tags_get(t.db, "b", "docs/three.pdf", &got, &n), 0);
    assert_int_equal(n, 0);
    assert_null(got);

    assert_int_equal(search(t.db, 0, "project", "apollo"), 2);
    assert_int_equal(search(t.db, 0, "status", "final é"), 1);
    assert_int_equal(search(t.db, 0, "status", "final"), 0);
    assert_int_equal(search(t.db, 2, NULL, NULL), 2);
    assert_int_equal(search(t.db, 2, "project", "apollo"), 1);
    assert_int_equal(search(t.db, 3, NULL, NULL), 0);

    /* Replaced as a whole; none forgets them. */
    assert_int_equal(db_tags_set(t.db, "b", "docs/one.pdf", &tags[1], 1, NULL), 0);
    assert_int_equal(search(t.db, 0, "project", "apollo"), 1);
    assert_int_equal(db_tags_set(t.db, "b", "docs/one.pdf", NULL, 0, NULL), 0);
    assert_int_equal(db_tags_get(t.db, "b", "docs/one.pdf", &got, &n), 0);
    assert_int_equal(n, 0);
    struct db_tag many[DB_TAGS_MAX + 1];
    memset(many, 0, sizeof(many));
    assert_int_equal(db_tags_set(t.db, "b", "docs/one.pdf", many, DB_TAGS_MAX + 1, NULL),
                     SEAU_E_VALIDATION);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trash_rows),
        cmocka_unit_test(test_tags_and_search),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
