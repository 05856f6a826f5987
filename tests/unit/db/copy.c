/*
 * Tests of src/db/copy.c (`seau migrate --to`): a SQLite store filled
 * through the db_* API is copied into a new database of the PostgreSQL
 * fixture, and everything reads back the same there: users, grants,
 * sessions, the audit log (same ids and hashes, and the chain verifies),
 * the login throttle, the object index and its totals, upload sessions,
 * shares (revoked ones too), notifications and handled S3 events. New rows
 * on the copy take ids past the copied ones. A second copy into the
 * now non-empty database is refused and changes nothing.
 * Runs only on the `postgres` fixture (tests/CMakeLists.txt).
 */
#include "../testutil.h"

#include "core/err.h"

#include <sys/stat.h>

static struct db_audit_entry entry(const char *action, int64_t time, int64_t user)
{
    struct db_audit_entry a;
    memset(&a, 0, sizeof(a));
    a.time = time;
    a.user_id = user;
    a.user_email = user ? "admin@example.com" : NULL;
    a.action = (char *)action;
    a.bucket = user % 2 ? "photos" : NULL;
    a.key = user % 2 ? "a/b.jpg" : NULL;
    a.ip = "192.0.2.7";
    a.user_agent = "test/1";
    a.status = "success";
    a.details = "{\"n\":1}";
    return a;
}

static int64_t add_user(struct db *db, const char *email, const char *role, int64_t t)
{
    struct db_user u;
    memset(&u, 0, sizeof(u));
    snprintf(u.email, sizeof(u.email), "%s", email);
    snprintf(u.name, sizeof(u.name), "Name of %s", email);
    snprintf(u.role, sizeof(u.role), "%s", role);
    snprintf(u.password_hash, sizeof(u.password_hash), "$argon2id$v=19$fake$%s", email);
    u.created_at = t;
    struct db_audit_entry a = entry("user.create", t, 1);
    assert_int_equal(db_user_insert(db, &u, &a), 0);
    return u.id;
}

static void add_object(struct db *db, const char *bucket, const char *key, int64_t size,
                       const char *kind, int64_t day)
{
    struct db_object o;
    memset(&o, 0, sizeof(o));
    snprintf(o.bucket, sizeof(o.bucket), "%s", bucket);
    snprintf(o.key, sizeof(o.key), "%s", key);
    o.size = size;
    snprintf(o.etag, sizeof(o.etag), "\"etag-%s\"", key);
    o.last_modified = day * 86400000LL + 1234;
    snprintf(o.content_type, sizeof(o.content_type), "application/x-%s", kind);
    snprintf(o.kind, sizeof(o.kind), "%s", kind);
    o.uploaded_by = 1;
    o.indexed_at = 5000;
    assert_int_equal(db_object_upsert(db, &o), 0);
}

/* Fills the SQLite store: a bit of every table. */
static void fill(struct db *db)
{
    int64_t admin = add_user(db, "admin@example.com", "admin", 100);
    int64_t ann = add_user(db, "ann@example.com", "user", 101);
    int64_t bob = add_user(db, "bob@example.com", "manager", 102);
    int64_t gone = add_user(db, "gone@example.com", "user", 103);
    assert_true(admin == 1 && gone == 4);
    /* A deleted last user: SQLite's AUTOINCREMENT never gives 4 again, nor may PostgreSQL. */
    struct db_audit_entry a = entry("user.delete", 104, admin);
    assert_int_equal(db_user_delete(db, gone, &a), 0);
    struct db_user u;
    assert_int_equal(db_user_get(db, bob, &u), 0);
    u.disabled = true;
    u.last_login_at = 777;
    u.must_change_password = true;
    a = entry("user.update", 105, admin);
    assert_int_equal(db_user_update(db, &u, DB_REVOKE_NONE, NULL, &a), 0);
    /* An invitation waiting for ann (migration 0014). */
    struct db_invitation inv = {.user_id = ann, .created_by = admin, .created_at = 107,
                                .expires_at = 9000000000000LL};
    memset(inv.token_hash, 0x3C, sizeof(inv.token_hash));
    a = entry("user.invitation_created", 107, admin);
    assert_int_equal(db_invitation_put(db, &inv, &a), 0);

    struct db_grant g[2];
    memset(g, 0, sizeof(g));
    snprintf(g[0].bucket, sizeof(g[0].bucket), "photos");
    snprintf(g[1].bucket, sizeof(g[1].bucket), "docs");
    snprintf(g[1].prefix, sizeof(g[1].prefix), "team/");
    snprintf(g[1].level, sizeof(g[1].level), "read");
    a = entry("grants.set", 106, admin);
    assert_int_equal(db_grants_set(db, ann, g, 2, &a), 0);

    struct db_session s = {
        .user_id = ann, .created_at = 110, .last_seen_at = 111, .expires_at = 9000000000000LL};
    for (int i = 0; i < DB_TOKEN_HASH_LEN; i++)
        s.token_hash[i] = (unsigned char)(i * 7 + 1); /* bytes of every kind, 0x00 excepted */
    s.token_hash[5] = 0;
    a = entry("auth.login", 110, ann);
    assert_int_equal(db_session_create(db, &s, &a), 0);
    for (int i = 0; i < 20; i++) {
        a = entry(i % 2 ? "object.download" : "object.upload", 200 + i, i % 3 ? ann : 0);
        assert_int_equal(db_audit_append(db, &a), 0);
    }
    struct db_throttle th;
    assert_int_equal(db_throttle_fail(db, "ip:192.0.2.9", 300, 60000, &th), 0);
    assert_int_equal(db_throttle_fail(db, "ip:192.0.2.9", 301, 60000, &th), 0);

    add_object(db, "photos", "a/b.jpg", 1000, "image", 20000);
    add_object(db, "photos", "a/c.png", 2500, "image", 20001);
    add_object(db, "photos", "readme.txt", 12, "text", 20001);
    add_object(db, "docs", "team/plan.pdf", 40000, "pdf", 20002);
    add_object(db, "docs", "team/", 0, "other", 20002);
    add_object(db, "docs", "old.pdf", 5, "pdf", 20000);
    assert_int_equal(db_object_delete(db, "docs", "old.pdf"), 0); /* a rowid gap */

    struct db_upload up;
    memset(&up, 0, sizeof(up));
    snprintf(up.id, sizeof(up.id), "up-1");
    up.user_id = ann;
    snprintf(up.bucket, sizeof(up.bucket), "photos");
    snprintf(up.key, sizeof(up.key), "big.bin");
    snprintf(up.s3_upload_id, sizeof(up.s3_upload_id), "s3-upload-xyz");
    up.size = 123456789;
    snprintf(up.content_type, sizeof(up.content_type), "application/octet-stream");
    up.part_size = 8388608;
    up.created_at = 400;
    up.busy_until = 450;
    a = entry("upload.start", 400, ann);
    assert_int_equal(db_upload_insert(db, &up, 10, &a), 0);

    for (int i = 0; i < 2; i++) {
        struct db_share sh;
        memset(&sh, 0, sizeof(sh));
        snprintf(sh.id, sizeof(sh.id), "share-%d", i);
        memset(sh.token_hash, 0xA0 + i, sizeof(sh.token_hash));
        snprintf(sh.bucket, sizeof(sh.bucket), "photos");
        snprintf(sh.key, sizeof(sh.key), i ? "a/" : "a/b.jpg");
        sh.created_by = ann;
        sh.created_at = 500 + i;
        sh.expires_at = i ? 0 : 9000000000000LL;
        if (i)
            snprintf(sh.password_hash, sizeof(sh.password_hash), "$argon2id$share");
        sh.max_downloads = i ? 0 : 3;
        a = entry("share.create", 500 + i, ann);
        assert_int_equal(db_share_insert(db, &sh, &a), 0);
    }
    a = entry("share.download", 510, 0);
    assert_int_equal(db_share_count_download(db, "share-0", 510, &a), 0);
    a = entry("share.revoke", 511, ann);
    assert_int_equal(db_share_revoke(db, "share-1", 511, &a), 0);

    struct db_notification n[3];
    memset(n, 0, sizeof(n));
    for (int i = 0; i < 3; i++) {
        n[i].time = 600 + i;
        n[i].type = i == 2 ? "user" : "upload";
        n[i].source = "seau";
        n[i].bucket = i == 2 ? NULL : "photos";
        n[i].key = i == 2 ? NULL : "a/b.jpg";
        n[i].from_key = i == 1 ? "a/old.jpg" : NULL;
        n[i].size = i == 2 ? -1 : 1000;
        n[i].etag = i == 2 ? NULL : "etag-a/b.jpg";
        n[i].actor = "ann@example.com";
        n[i].actor_id = ann;
        n[i].target_user_id = i == 2 ? bob : 0;
        n[i].message = "something happened";
    }
    assert_int_equal(db_notifications_insert(db, n, 3, 0, NULL), 0);
    struct db_s3_event e = {.bucket = "photos",
                            .key = "zzz.txt",
                            .dedupe = "seq-1",
                            .sequencer = "0000000000000000000000000000000A",
                            .change = DB_S3_CREATED,
                            .etag = "e1",
                            .merge_since = 0,
                            .now = 700};
    struct db_notification s3n;
    memset(&s3n, 0, sizeof(s3n));
    s3n.time = 700;
    s3n.type = "upload";
    s3n.source = "s3";
    s3n.size = 3;
    s3n.message = "from S3";
    enum db_s3_outcome out;
    assert_int_equal(db_notification_s3_ingest(db, &e, &s3n, &out), 0);
    assert_int_equal(out, DB_S3_INSERTED);
}

static void same_user(const struct db_user *a, const struct db_user *b)
{
    assert_true(a->id == b->id);
    assert_string_equal(a->email, b->email);
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->role, b->role);
    assert_string_equal(a->password_hash, b->password_hash);
    assert_int_equal(a->disabled, b->disabled);
    assert_true(a->created_at == b->created_at);
    assert_true(a->last_login_at == b->last_login_at);
    assert_int_equal(a->must_change_password, b->must_change_password);
}

static void same_str(const char *a, const char *b)
{
    if (!a || !b)
        assert_true(a == b || (!a && !*b) || (!b && !*a));
    else
        assert_string_equal(a, b);
}

static void all_audit(struct db *db, struct db_audit_entry **ret, size_t *ret_n)
{
    struct db_audit_filter f = {.limit = 1000};
    assert_int_equal(db_audit_list(db, &f, ret, ret_n), 0);
}

static void all_notifications(struct db *db, struct db_notification **ret, size_t *ret_n)
{
    struct db_object_scope sc[2] = {{"docs", ""}, {"photos", ""}};
    struct db_notification_query q = {.scopes = sc, .nscopes = 2, .unscoped = true, .limit = 1000};
    assert_int_equal(db_notification_list(db, &q, ret, ret_n), 0);
}

static void all_objects(struct db *db, struct db_object **ret, size_t *ret_n)
{
    struct db_object_scope sc[2] = {{"docs", ""}, {"photos", ""}};
    struct db_object_query q = {
        .scopes = sc, .nscopes = 2, .min_size = -1, .max_size = -1, .limit = 1000, .count_cap = 0};
    int64_t total = 0;
    assert_int_equal(db_object_search(db, &q, ret, ret_n, &total), 0);
}

/* Everything the API reads back is the same in both stores. */
static void compare(struct db *src, struct db *dst)
{
    struct db_user *ua = NULL, *ub = NULL;
    size_t na = 0, nb = 0;
    assert_int_equal(db_user_list(src, &ua, &na), 0);
    assert_int_equal(db_user_list(dst, &ub, &nb), 0);
    assert_int_equal(na, 3);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        same_user(&ua[i], &ub[i]);
        struct db_grant *ga = NULL, *gb = NULL;
        size_t nga = 0, ngb = 0;
        assert_int_equal(db_grants_get(src, ua[i].id, &ga, &nga), 0);
        assert_int_equal(db_grants_get(dst, ua[i].id, &gb, &ngb), 0);
        assert_int_equal(nga, ngb);
        for (size_t j = 0; j < nga; j++) {
            assert_string_equal(ga[j].bucket, gb[j].bucket);
            assert_string_equal(ga[j].prefix, gb[j].prefix);
            assert_string_equal(ga[j].level, gb[j].level);
        }
        free(ga);
        free(gb);
    }
    free(ua);
    free(ub);

    unsigned char tok[DB_TOKEN_HASH_LEN];
    for (int i = 0; i < DB_TOKEN_HASH_LEN; i++)
        tok[i] = (unsigned char)(i * 7 + 1);
    tok[5] = 0;
    struct db_session sa, sb;
    struct db_user su;
    assert_int_equal(db_session_get(src, tok, &sa, &su), 0);
    assert_int_equal(db_session_get(dst, tok, &sb, &su), 0);
    assert_true(sa.user_id == sb.user_id && sa.created_at == sb.created_at &&
                sa.last_seen_at == sb.last_seen_at && sa.expires_at == sb.expires_at);
    assert_string_equal(su.email, "ann@example.com");
    assert_int_equal(db_user_get(dst, 3, &su), 0);
    assert_true(su.must_change_password);
    unsigned char inv_hash[DB_TOKEN_HASH_LEN];
    memset(inv_hash, 0x3C, sizeof(inv_hash));
    struct db_invitation inv;
    assert_int_equal(db_invitation_get(dst, inv_hash, 1000, &inv, &su), 0);
    assert_string_equal(su.email, "ann@example.com");
    assert_true(inv.created_by == 1 && inv.created_at == 107 && inv.expires_at == 9000000000000LL);

    struct db_audit_entry *aa = NULL, *ab = NULL;
    all_audit(src, &aa, &na);
    all_audit(dst, &ab, &nb);
    assert_true(na > 25);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_true(aa[i].id == ab[i].id && aa[i].time == ab[i].time &&
                    aa[i].user_id == ab[i].user_id);
        same_str(aa[i].user_email, ab[i].user_email);
        same_str(aa[i].action, ab[i].action);
        same_str(aa[i].bucket, ab[i].bucket);
        same_str(aa[i].key, ab[i].key);
        same_str(aa[i].ip, ab[i].ip);
        same_str(aa[i].user_agent, ab[i].user_agent);
        same_str(aa[i].status, ab[i].status);
        same_str(aa[i].details, ab[i].details);
        assert_string_equal(aa[i].prev_hash, ab[i].prev_hash);
        assert_string_equal(aa[i].hash, ab[i].hash);
    }
    db_audit_entries_free(aa, na);
    db_audit_entries_free(ab, nb);

    struct db_throttle ta, tb;
    assert_int_equal(db_throttle_get(src, "ip:192.0.2.9", &ta), 0);
    assert_int_equal(db_throttle_get(dst, "ip:192.0.2.9", &tb), 0);
    assert_true(ta.failures == 2 && tb.failures == 2 && ta.window_start == tb.window_start);

    struct db_object *oa = NULL, *ob = NULL;
    all_objects(src, &oa, &na);
    all_objects(dst, &ob, &nb);
    assert_int_equal(na, 5);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_string_equal(oa[i].bucket, ob[i].bucket);
        assert_string_equal(oa[i].key, ob[i].key);
        assert_true(oa[i].size == ob[i].size && oa[i].last_modified == ob[i].last_modified &&
                    oa[i].uploaded_by == ob[i].uploaded_by && oa[i].indexed_at == ob[i].indexed_at);
        assert_string_equal(oa[i].etag, ob[i].etag);
        assert_string_equal(oa[i].content_type, ob[i].content_type);
        assert_string_equal(oa[i].kind, ob[i].kind);
    }
    free(oa);
    free(ob);
    /* Search through PostgreSQL's own trigram index finds the copied keys. */
    struct db_object_scope sc[2] = {{"docs", ""}, {"photos", ""}};
    struct db_object_query q = {
        .scopes = sc, .nscopes = 2, .q = "PLAN", .min_size = -1, .max_size = -1, .limit = 10};
    assert_int_equal(db_object_search(dst, &q, &ob, &nb, NULL), 0);
    assert_int_equal(nb, 1);
    assert_string_equal(ob[0].key, "team/plan.pdf");
    free(ob);
    /* The kept totals, rebuilt on PostgreSQL, say the same. */
    struct db_object_totals xa, xb;
    assert_int_equal(db_object_totals(src, sc, 2, 19999, 20003, &xa), 0);
    assert_int_equal(db_object_totals(dst, sc, 2, 19999, 20003, &xb), 0);
    assert_int_equal(xa.nkinds, 4);
    assert_int_equal(xa.nkinds, xb.nkinds);
    for (size_t i = 0; i < xa.nkinds; i++) { /* the same kinds, in whatever order */
        size_t j = 0;
        while (j < xb.nkinds && strcmp(xa.kinds[i].kind, xb.kinds[j].kind) != 0)
            j++;
        assert_true(j < xb.nkinds);
        assert_true(xa.kinds[i].objects == xb.kinds[j].objects &&
                    xa.kinds[i].bytes == xb.kinds[j].bytes);
    }
    assert_int_equal(xa.ndays, 3);
    assert_int_equal(xa.ndays, xb.ndays);
    for (size_t i = 0; i < xa.ndays; i++)
        assert_true(xa.days[i].day == xb.days[i].day && xa.days[i].count == xb.days[i].count &&
                    xa.days[i].bytes == xb.days[i].bytes);

    struct db_upload pa, pb;
    assert_int_equal(db_upload_get(src, "up-1", &pa), 0);
    assert_int_equal(db_upload_get(dst, "up-1", &pb), 0);
    assert_true(pa.user_id == pb.user_id && pa.single == pb.single && pa.size == pb.size &&
                pa.part_size == pb.part_size && pa.created_at == pb.created_at &&
                pa.busy_until == pb.busy_until);
    assert_string_equal(pa.s3_upload_id, pb.s3_upload_id);
    assert_string_equal(pa.key, pb.key);
    assert_string_equal(pa.content_type, pb.content_type);

    for (int i = 0; i < 2; i++) {
        char id[16];
        snprintf(id, sizeof(id), "share-%d", i);
        struct db_share ha, hb;
        assert_int_equal(db_share_get(src, id, &ha), 0);
        assert_int_equal(db_share_get(dst, id, &hb), 0);
        assert_true(ha.seq == hb.seq && ha.created_by == hb.created_by &&
                    ha.created_at == hb.created_at && ha.expires_at == hb.expires_at &&
                    ha.max_downloads == hb.max_downloads && ha.downloads == hb.downloads &&
                    ha.revoked_at == hb.revoked_at);
        assert_memory_equal(ha.token_hash, hb.token_hash, DB_TOKEN_HASH_LEN);
        assert_string_equal(ha.key, hb.key);
        assert_string_equal(ha.password_hash, hb.password_hash);
        assert_string_equal(ha.created_by_email, hb.created_by_email);
        assert_int_equal(db_share_get_by_token(dst, ha.token_hash, &hb), 0);
        assert_string_equal(hb.id, id);
    }

    struct db_notification *na_ = NULL, *nb_ = NULL;
    all_notifications(src, &na_, &na);
    all_notifications(dst, &nb_, &nb);
    assert_int_equal(na, 4);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_true(na_[i].id == nb_[i].id && na_[i].time == nb_[i].time &&
                    na_[i].size == nb_[i].size && na_[i].actor_id == nb_[i].actor_id &&
                    na_[i].target_user_id == nb_[i].target_user_id);
        same_str(na_[i].type, nb_[i].type);
        same_str(na_[i].source, nb_[i].source);
        same_str(na_[i].bucket, nb_[i].bucket);
        same_str(na_[i].key, nb_[i].key);
        same_str(na_[i].from_key, nb_[i].from_key);
        same_str(na_[i].etag, nb_[i].etag);
        same_str(na_[i].actor, nb_[i].actor);
        same_str(na_[i].message, nb_[i].message);
    }
    db_notifications_free(na_, na);
    db_notifications_free(nb_, nb);

    /* The S3 event handled before is a duplicate on the copy too. */
    struct db_s3_event e = {.bucket = "photos",
                            .key = "zzz.txt",
                            .dedupe = "seq-1",
                            .sequencer = "0000000000000000000000000000000A",
                            .change = DB_S3_CREATED,
                            .etag = "e1",
                            .now = 800};
    struct db_s3_check ck;
    assert_int_equal(db_notification_s3_check(dst, &e, &ck), 0);
    assert_true(ck.seen);
}

static int64_t audit_count(struct db *db)
{
    struct db_audit_entry *a = NULL;
    size_t n = 0;
    all_audit(db, &a, &n);
    db_audit_entries_free(a, n);
    return (int64_t)n;
}

static void test_copy_into_empty_postgres(void **state)
{
    (void)state;
    const char *server = test_db_server();
    assert_non_null(server); /* the fixture's server: this test runs nowhere else */

    char dir[] = "/tmp/seau-unit-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char surl[128];
    snprintf(surl, sizeof(surl), "sqlite:%s/seau.db", dir);
    struct db *src = NULL;
    int applied = 0;
    assert_int_equal(db_open(surl, 2, audit_seal, &src), 0);
    assert_int_equal(db_migrate(src, &applied), 0);
    fill(src);

    char name[64], sql[128], durl[512];
    snprintf(name, sizeof(name), "seau_copy_%ld", (long)getpid());
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
    test_db_admin(server, sql);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    test_db_admin(server, sql);
    test_db_url_with(server, name, durl, sizeof(durl));
    struct db *dst = NULL;
    assert_int_equal(db_open(durl, 2, audit_seal, &dst), 0);
    assert_int_equal(db_migrate(dst, &applied), 0);

    /* Only SQLite into PostgreSQL. */
    assert_int_equal(db_copy(dst, src, NULL), SEAU_E_VALIDATION);
    assert_int_equal(db_copy(src, src, NULL), SEAU_E_VALIDATION);

    int64_t rows = 0;
    assert_int_equal(db_copy(src, dst, &rows), 0);
    /* 3 users, 1 session, 2 grants, the audit entries, 1 throttle row, 5 objects, 1 upload,
     * 2 shares, 4 notifications, 1 handled S3 event, 1 invitation. */
    int64_t entries = audit_count(src);
    assert_true(rows == 3 + 1 + 2 + entries + 1 + 5 + 1 + 2 + 4 + 1 + 1);
    compare(src, dst);

    /* The chain was copied, not sealed again: it verifies, and goes on from the copied head. */
    struct audit_verify_result v;
    assert_int_equal(audit_verify(dst, &v), 0);
    assert_true(v.entries == entries);
    assert_true(v.broken_id == 0);
    struct db_audit_entry a = entry("auth.login", 900, 1);
    assert_int_equal(db_audit_append(dst, &a), 0);
    assert_true(a.id == entries + 1);
    assert_int_equal(audit_verify(dst, &v), 0);
    assert_true(v.entries == entries + 1 && v.broken_id == 0);

    /* Identities continue past the copied ids (4, deleted on SQLite, is not given again). */
    int64_t carl = add_user(dst, "carl@example.com", "user", 901);
    assert_true(carl == 5);
    struct db_notification n;
    memset(&n, 0, sizeof(n));
    n.time = 902;
    n.type = "user";
    n.source = "seau";
    n.size = -1;
    n.message = "new";
    assert_int_equal(db_notifications_insert(dst, &n, 1, 0, NULL), 0);
    assert_true(n.id == 5);
    struct db_share sh;
    memset(&sh, 0, sizeof(sh));
    snprintf(sh.id, sizeof(sh.id), "share-new");
    memset(sh.token_hash, 0x11, sizeof(sh.token_hash));
    snprintf(sh.bucket, sizeof(sh.bucket), "photos");
    snprintf(sh.key, sizeof(sh.key), "a/c.png");
    sh.created_by = carl;
    sh.created_at = 903;
    assert_int_equal(db_share_insert(dst, &sh, NULL), 0);
    assert_true(sh.seq == 3);
    add_object(dst, "photos", "new.jpg", 1, "image", 20003);
    struct db_level_row *lv = NULL;
    size_t nlv = 0;
    struct db_level_query lq = {
        .bucket = "photos", .prefix = "", .order = DB_LEVEL_BY_SIZE, .limit = 10};
    assert_int_equal(db_object_level(dst, &lq, &lv, &nlv), 0);
    assert_int_equal(nlv, 2); /* new.jpg (1 byte), readme.txt */
    assert_string_equal(lv[0].o.key, "new.jpg");
    assert_true(lv[0].id > lv[1].id); /* the new row's id is past every copied one */
    free(lv);

    /* A second copy into the now non-empty database is refused and changes nothing. */
    int64_t before = audit_count(dst);
    int64_t users = 0;
    assert_int_equal(db_user_count(dst, &users), 0);
    rows = -1;
    assert_int_equal(db_copy(src, dst, &rows), SEAU_E_CONFLICT);
    assert_true(rows == -1);
    assert_true(audit_count(dst) == before);
    int64_t users_after = 0;
    assert_int_equal(db_user_count(dst, &users_after), 0);
    assert_true(users_after == users && users == 4);

    db_close(dst);
    db_close(src);
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    test_db_admin(server, sql);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* The recycle bin and the tag index (migration 0009) cross too, ids and all. */
static void test_copy_recycle_bin_and_tags(void **state)
{
    (void)state;
    const char *server = test_db_server();
    assert_non_null(server);
    char dir[] = "/tmp/seau-unit-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char surl[128];
    snprintf(surl, sizeof(surl), "sqlite:%s/seau.db", dir);
    struct db *src = NULL;
    int applied = 0;
    assert_int_equal(db_open(surl, 2, audit_seal, &src), 0);
    assert_int_equal(db_migrate(src, &applied), 0);
    int64_t alice = add_user(src, "alice@example.com", "user", 10);
    struct db_trash moved, marker;
    memset(&moved, 0, sizeof(moved));
    snprintf(moved.bucket, sizeof(moved.bucket), "docs");
    snprintf(moved.key, sizeof(moved.key), "team/a.txt");
    snprintf(moved.trash_key, sizeof(moved.trash_key), ".trash/0123");
    moved.size = 5;
    moved.deleted_by = alice;
    moved.deleted_at = 11;
    marker = moved;
    marker.trash_key[0] = '\0';
    snprintf(marker.version_id, sizeof(marker.version_id), "m-1");
    assert_int_equal(db_trash_insert(src, &moved, NULL), 0);
    assert_int_equal(db_trash_insert(src, &marker, NULL), 0);
    struct db_tag tag;
    memset(&tag, 0, sizeof(tag));
    snprintf(tag.name, sizeof(tag.name), "project");
    snprintf(tag.value, sizeof(tag.value), "apollo");
    assert_int_equal(db_tags_set(src, "docs", "team/a.txt", &tag, 1, NULL), 0);

    char name[64], sql[128], durl[512];
    snprintf(name, sizeof(name), "seau_copy_bin_%ld", (long)getpid());
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
    test_db_admin(server, sql);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    test_db_admin(server, sql);
    test_db_url_with(server, name, durl, sizeof(durl));
    struct db *dst = NULL;
    assert_int_equal(db_open(durl, 2, audit_seal, &dst), 0);
    assert_int_equal(db_migrate(dst, &applied), 0);
    int64_t rows = 0;
    assert_int_equal(db_copy(src, dst, &rows), 0);

    struct db_trash got;
    assert_int_equal(db_trash_get(dst, moved.id, &got), 0);
    assert_string_equal(got.trash_key, ".trash/0123");
    assert_string_equal(got.deleted_by_email, "alice@example.com");
    assert_int_equal(db_trash_find_marker(dst, "docs", "m-1", &got), 0);
    assert_int_equal(got.id, marker.id);
    struct db_tag *tags = NULL;
    size_t n = 0;
    assert_int_equal(db_tags_get(dst, "docs", "team/a.txt", &tags, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(tags[0].value, "apollo");
    free(tags);
    /* New rows continue past the copied ids. */
    struct db_trash next = moved;
    assert_int_equal(db_trash_insert(dst, &next, NULL), 0);
    assert_true(next.id > marker.id);

    db_close(dst);
    db_close(src);
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    test_db_admin(server, sql);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_into_empty_postgres),
        cmocka_unit_test(test_copy_recycle_bin_and_tags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
