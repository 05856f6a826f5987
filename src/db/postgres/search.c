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
                     const struct db_object_scope *scope, const char *hi, const char *cursor_key)
{
    ss_text(s, " FROM objects o WHERE o.bucket = #", scope->bucket);
    if (*scope->prefix)
        ss_text(s, " AND o.key >= #", scope->prefix);
    if (hi)
        ss_text(s, " AND o.key < #", hi);
    if (cursor_key)
        ss_text(s, " AND o.key > #", cursor_key);
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

/* Appends up to `want` rows of one scope to rows[*n]. */
static int search_scope_rows(struct pg__conn *c, const struct db_object_query *q,
                             const struct db_object_scope *scope, const char *hi,
                             const char *cursor_key, size_t want, struct db_object *rows, size_t *n)
{
    struct search_sql s = {.len = 0};
    ss_add(&s, "SELECT " PG__OBJECT_COLS);
    ss_where(&s, q, scope, hi, cursor_key);
    ss_int(&s, " ORDER BY o.key LIMIT #", (int64_t)want);
    if (s.overflow)
        return SEAU_E_INTERNAL;
    PGresult *r = pg__run_text(c, s.sql, &s.p);
    int rc = pg__status(c, r);
    int nrows = rc == 0 ? PQntuples(r) : 0;
    for (int i = 0; i < nrows && (size_t)i < want; i++)
        pg__read_object(r, i, &rows[(*n)++]);
    PQclear(r);
    return rc;
}

/* Counts up to `cap` matches in one scope (the cursor does not apply). */
static int search_scope_count(struct pg__conn *c, const struct db_object_query *q,
                              const struct db_object_scope *scope, const char *hi, int64_t cap,
                              int64_t *ret)
{
    struct search_sql s = {.len = 0};
    ss_add(&s, "SELECT count(*) FROM (SELECT 1");
    ss_where(&s, q, scope, hi, NULL);
    ss_int(&s, " LIMIT #) m", cap);
    if (s.overflow)
        return SEAU_E_INTERNAL;
    PGresult *r = pg__run_text(c, s.sql, &s.p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) != 1)
        rc = SEAU_E_DB;
    if (rc == 0)
        *ret = pg__i64(r, 0, 0);
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
    /* One snapshot: the page and its count see the same state. */
    if (rc == 0)
        rc = pg__read_begin(c);
    bool in_tx = rc == 0;
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
        if (!before_cursor && n < q->limit)
            rc = search_scope_rows(c, q, sc, hip, cursor_key, q->limit - n, rows, &n);
        if (rc == 0 && q->count_cap > 0 && total <= q->count_cap) {
            int64_t part = 0;
            rc = search_scope_count(c, q, sc, hip, q->count_cap + 1 - total, &part);
            total += part;
        }
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
