/*
 * The PostgreSQL store's object search (GET /api/search): a page of the
 * object index inside the caller's scopes, by key substring and filters,
 * and its count — the semantics of the SQLite store's search.c.
 *
 * The substring test is key_folded LIKE '%q%' — key_folded being the
 * stored lower(key COLLATE "und-x-icu") of migration 0013 — with q folded
 * the same way in SQL and its LIKE metacharacters (\, %, _) escaped, so it
 * matches exactly the keys that contain q whatever the case (Unicode case
 * folding by ICU, done once per row written, not per row read). The pattern
 * is given key_folded's collation, "C": left with the ICU collation that
 * lower() needs, the comparison would not be in the index's collation and
 * the planner could not use the index at all (every search then read the
 * whole table). LIKE compares bytes under both, so the matches are the same.
 * The GIN trigram index on key_folded serves queries of 3 characters or
 * more; each scope is still a key range of the primary key, and the planner
 * picks whichever is cheaper.
 * Statements are built per request (the scopes vary) and run unprepared, so
 * each is planned with its actual values.
 */
#include "core/err.h"
#include "db/postgres/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_SQL_MAX 2048

#define FOLD_KEY "o.key_folded"

/* A search statement under construction: SQL text and its parameters, both bounded. */
struct search_sql {
    char sql[SEARCH_SQL_MAX];
    size_t len;
    bool overflow;
    struct pg__params p;
};

static void ss_add(struct search_sql *s, const char *text)
{
    size_t n = strlen(text);
    if (s->len + n >= sizeof(s->sql)) {
        s->overflow = true;
        return;
    }
    memcpy(s->sql + s->len, text, n + 1);
    s->len += n;
}

/*
 * Appends sql with every '#' replaced by "$N", N being the next parameter's
 * number, and reserves that parameter.
 */
static bool ss_param(struct search_sql *s, const char *sql)
{
    if (s->p.n >= PG__PARAMS_MAX) {
        s->overflow = true;
        return false;
    }
    char num[16];
    snprintf(num, sizeof(num), "$%d", s->p.n + 1);
    for (const char *h; (h = strchr(sql, '#')) != NULL; sql = h + 1) {
        char piece[256];
        size_t n = (size_t)(h - sql);
        if (n >= sizeof(piece)) {
            s->overflow = true;
            return false;
        }
        memcpy(piece, sql, n);
        piece[n] = '\0';
        ss_add(s, piece);
        ss_add(s, num);
    }
    ss_add(s, sql);
    return true;
}

static void ss_text(struct search_sql *s, const char *fmt, const char *t)
{
    if (ss_param(s, fmt))
        pg__p_text(&s->p, t);
}

static void ss_int(struct search_sql *s, const char *fmt, int64_t v)
{
    if (ss_param(s, fmt))
        pg__p_i64(&s->p, v);
}

/* Appends the conditions of one scope and the query's filters. */
static void ss_where(struct search_sql *s, const struct db_object_query *q,
                     const struct db_object_scope *scope, const char *hi)
{
    ss_text(s, " FROM objects o WHERE o.bucket = #", scope->bucket);
    if (*scope->prefix)
        ss_text(s, " AND o.key >= #", scope->prefix);
    if (hi)
        ss_text(s, " AND o.key < #", hi);
    if (q->q && *q->q)
        ss_text(s,
                " AND " FOLD_KEY " LIKE ('%' || replace(replace(replace(lower(# COLLATE "
                "\"und-x-icu\"), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%') "
                "COLLATE \"C\"",
                q->q);
    if (q->kind)
        ss_text(s, " AND o.kind = #", q->kind);
    if (q->min_size >= 0)
        ss_int(s, " AND o.size >= #", q->min_size);
    if (q->max_size >= 0)
        ss_int(s, " AND o.size <= #", q->max_size);
    if (q->modified_after)
        ss_int(s, " AND o.last_modified > #", q->modified_after);
    if (q->modified_before)
        ss_int(s, " AND o.last_modified < #", q->modified_before);
    if (q->uploaded_by)
        ss_int(s, " AND o.uploaded_by = #", q->uploaded_by);
    if (q->tag_name) {
        ss_text(s,
                " AND EXISTS (SELECT 1 FROM object_tags t WHERE t.bucket = o.bucket "
                "AND t.key = o.key AND t.name = #",
                q->tag_name);
        ss_text(s, " AND t.value = #)", q->tag_value ? q->tag_value : "");
    }
}

/* Appends the text s->sql[from, to) again (the same conditions, the same $N parameters). */
static void ss_repeat(struct search_sql *s, size_t from, size_t to)
{
    size_t n = to - from;
    if (s->overflow || s->len + n >= sizeof(s->sql)) {
        s->overflow = true;
        return;
    }
    memcpy(s->sql + s->len, s->sql + from, n); /* from..to lies before len: no overlap */
    s->len += n;
    s->sql[s->len] = '\0';
}

/*
 * One scope's part of a search, in one statement: up to `want` rows after
 * cursor_key appended to rows[*n] (want 0: none), and the count of its
 * matches up to `cap` into *ret_count (cap 0: not counted; the cursor does
 * not apply). With both, the count is a one-row subquery the page is
 * left-joined to, so an empty page still brings the count (one row whose
 * page columns are NULL), and both see the statement's one snapshot. The
 * conditions are written once and referenced twice by the same $N.
 */
static int search_scope(struct pg__conn *c, const struct db_object_query *q,
                        const struct db_object_scope *scope, const char *hi,
                        const char *cursor_key, size_t want, int64_t cap,
                        struct db_object *rows, size_t *n, int64_t *ret_count)
{
    struct search_sql s = {.len = 0};
    size_t where_from = 0, where_to = 0;
    if (cap > 0) {
        ss_add(&s, want ? "SELECT p.*, c.total FROM (" : "");
        ss_add(&s, "SELECT count(*) AS total FROM (SELECT 1");
        where_from = s.len;
        ss_where(&s, q, scope, hi);
        where_to = s.len;
        ss_int(&s, " LIMIT #) m", cap);
    }
    if (want) {
        ss_add(&s, cap > 0 ? ") c LEFT JOIN (SELECT " PG__OBJECT_COLS : "SELECT " PG__OBJECT_COLS);
        if (cap > 0)
            ss_repeat(&s, where_from, where_to);
        else
            ss_where(&s, q, scope, hi);
        if (cursor_key)
            ss_text(&s, " AND o.key > #", cursor_key);
        ss_int(&s, " ORDER BY o.key LIMIT #", (int64_t)want);
        if (cap > 0)
            ss_add(&s, ") p ON true ORDER BY p.key");
    }
    if (s.overflow)
        return SEAU_E_INTERNAL;
    PGresult *r = pg__run_text(c, s.sql, &s.p);
    int rc = pg__status(c, r);
    int nrows = rc == 0 ? PQntuples(r) : 0;
    int count_col = want ? PG__OBJECT_NCOLS : 0;
    if (rc == 0 && cap > 0 && (nrows < 1 || PQnfields(r) != count_col + 1))
        rc = SEAU_E_DB;
    for (int i = 0; rc == 0 && want && i < nrows && (size_t)i < want; i++) {
        if (PQgetisnull(r, i, 0))
            break; /* the count's row with an empty page */
        pg__read_object(r, i, &rows[(*n)++]);
    }
    if (rc == 0 && cap > 0)
        *ret_count = pg__i64(r, 0, count_col);
    PQclear(r);
    return rc;
}

int pg__object_search(struct db *db, const struct db_object_query *q, struct db_object **ret,
                      size_t *ret_n, int64_t *ret_total)
{
    if (q->limit == 0 || q->limit > 1001 || q->nscopes > DB_SEARCH_SCOPES_MAX)
        return SEAU_E_VALIDATION;
    struct db_object *rows = calloc(q->limit, sizeof(*rows));
    struct db_object_scope *scopes = calloc(q->nscopes ? q->nscopes : 1, sizeof(*scopes));
    size_t n = 0, nscopes = q->nscopes;
    int64_t total = 0;
    int rc = rows && scopes ? 0 : SEAU_E_NOMEM;
    if (rc == 0) {
        if (nscopes)
            memcpy(scopes, q->scopes, nscopes * sizeof(*scopes));
        nscopes = db__scopes_normalize(scopes, nscopes);
    }
    struct pg__conn *c = pg__acquire(db);
    /*
     * One snapshot: the pages and counts of every scope see the same state.
     * A single scope is a single statement, which has one by itself, so it
     * needs no transaction (and saves two round trips).
     */
    if (rc == 0 && nscopes > 1)
        rc = pg__read_begin(c);
    bool in_tx = rc == 0 && nscopes > 1;
    for (size_t i = 0; rc == 0 && i < nscopes; i++) {
        const struct db_object_scope *sc = &scopes[i];
        char hi[DB_PREFIX_MAX + 2];
        const char *hip = db__prefix_successor(sc->prefix, hi, sizeof(hi)) ? hi : NULL;
        const char *cursor_key = NULL;
        bool before_cursor = false;
        if (q->after_bucket) {
            int d = strcmp(sc->bucket, q->after_bucket);
            before_cursor = d < 0;
            if (d == 0)
                cursor_key = q->after_key ? q->after_key : "";
        }
        size_t want = !before_cursor && n < q->limit ? q->limit - n : 0;
        int64_t cap = q->count_cap > 0 && total <= q->count_cap ? q->count_cap + 1 - total : 0;
        int64_t part = 0;
        if (want || cap)
            rc = search_scope(c, q, sc, hip, cursor_key, want, cap, rows, &n, &part);
        total += part;
    }
    if (in_tx)
        pg__read_end(c);
    pg__release(db, c);
    free(scopes);
    if (rc) {
        free(rows);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    if (ret_total)
        *ret_total = q->count_cap > 0 ? total : -1;
    return 0;
}
