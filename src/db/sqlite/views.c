/*
 * The SQLite store's object views (migration 0004): the totals of
 * GET /api/stats (from the kept totals of whole buckets, or one pass over a
 * prefix's key range), one folder level sorted by size or date with keyset
 * pages, and the subfolders of a level, for the size and date sorts of
 * GET /api/list. Read-only: objects.c keeps the totals these read.
 */
#include "core/err.h"
#include "db/sqlite/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEVEL_SQL(order_col, cmp, dir)                                                             \
    "SELECT " SQLITE__OBJECT_COLS                                                                  \
    ", o.rowid FROM objects o WHERE o.bucket = ?1 AND o.parent = ?2 "                              \
    "AND o.key >= ?3 AND (?4 IS NULL OR o.key < ?4) AND o.key <> ?2 "                              \
    "AND (o." order_col ", o.rowid) " cmp " (?5, ?6) "                                             \
    "ORDER BY o." order_col " " dir ", o.rowid " dir " LIMIT ?7"
#define VIEW_STATEMENTS(X)                                                                         \
    X(TOTALS_BUCKET, "SELECT kind, objects, bytes FROM object_totals "                             \
                     "WHERE bucket = ?1 AND objects > 0")                                          \
    /* One pass over a prefix's range: by kind, and by day within the window (-1 outside). */      \
    X(TOTALS_RANGE, "SELECT kind, CASE WHEN last_modified >= ?4 AND last_modified < ?5 "           \
                    "THEN last_modified / 86400000 ELSE -1 END, count(*), coalesce(sum(size), 0) " \
                    "FROM objects WHERE bucket = ?1 AND key >= ?2 AND key < ?3 GROUP BY 1, 2")     \
    X(DAYS_BUCKET, "SELECT day, objects, bytes FROM object_days WHERE bucket = ?1 "                \
                   "AND day >= ?4 / 86400000 AND day < ?5 / 86400000 AND objects > 0")             \
    X(LEVEL_SIZE_ASC, LEVEL_SQL("size", ">", "ASC"))                                               \
    X(LEVEL_SIZE_DESC, LEVEL_SQL("size", "<", "DESC"))                                             \
    X(LEVEL_MODIFIED_ASC, LEVEL_SQL("last_modified", ">", "ASC"))                                  \
    X(LEVEL_MODIFIED_DESC, LEVEL_SQL("last_modified", "<", "DESC"))                                \
    /* The next parent in a range: the upper bound stays a plain term (no "?3 IS NULL OR"), so     \
     * the index range ends there and a level without subfolders costs one probe. */               \
    X(FOLDER_NEXT_GE, "SELECT parent FROM objects WHERE bucket = ?1 AND parent >= ?2 "             \
                      "AND parent < ?3 ORDER BY parent LIMIT 1")                                   \
    X(FOLDER_NEXT_GT, "SELECT parent FROM objects WHERE bucket = ?1 AND parent > ?2 "              \
                      "AND parent < ?3 ORDER BY parent LIMIT 1")                                   \
    X(FOLDER_NEXT_GE_OPEN, "SELECT parent FROM objects WHERE bucket = ?1 AND parent >= ?2 "        \
                           "ORDER BY parent LIMIT 1")                                              \
    X(FOLDER_NEXT_GT_OPEN, "SELECT parent FROM objects WHERE bucket = ?1 AND parent > ?2 "         \
                           "ORDER BY parent LIMIT 1")

SQLITE__STATEMENTS(VIEW_STATEMENTS, SQLITE__VIEWS)

#define DAY_MS 86400000LL

/* Adds a kind's counts; past DB_TOTALS_KINDS_MAX - 1 names, into "other". */
static void totals_add_kind(struct db_object_totals *t, const char *kind, int64_t objects,
                            int64_t bytes)
{
    if (!kind || !*kind)
        kind = "other";
    size_t i = 0;
    while (i < t->nkinds && strcmp(t->kinds[i].kind, kind) != 0)
        i++;
    if (i == t->nkinds && t->nkinds == DB_TOTALS_KINDS_MAX - 1 && strcmp(kind, "other") != 0) {
        totals_add_kind(t, "other", objects, bytes);
        return;
    }
    if (i == t->nkinds) {
        snprintf(t->kinds[i].kind, sizeof(t->kinds[i].kind), "%s", kind);
        t->nkinds++;
    }
    t->kinds[i].objects += objects;
    t->kinds[i].bytes += bytes;
}

/* Adds a day's counts, keeping the days ascending; the caller bounds the span. */
static void totals_add_day(struct db_object_totals *t, int64_t day, int64_t count, int64_t bytes)
{
    size_t i = 0;
    while (i < t->ndays && t->days[i].day < day)
        i++;
    if (i == t->ndays || t->days[i].day != day) {
        if (t->ndays == DB_TOTALS_DAYS_MAX)
            return;
        memmove(&t->days[i + 1], &t->days[i], (t->ndays - i) * sizeof(t->days[0]));
        t->days[i] = (struct db_day_total){.day = day};
        t->ndays++;
    }
    t->days[i].count += count;
    t->days[i].bytes += bytes;
}

/*
 * Steps a totals statement, adding each row: TOTALS_BUCKET (kind, objects,
 * bytes), DAYS_BUCKET (day, objects, bytes) or TOTALS_RANGE (kind, day or -1,
 * objects, bytes).
 */
static int totals_read(sqlite3_stmt *st, struct db_object_totals *t, enum stmt_id id)
{
    int rc = 0;
    for (;;) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = sqlite__fail(r);
            break;
        }
        if (id == STMT_DAYS_BUCKET) {
            totals_add_day(t, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                           sqlite3_column_int64(st, 2));
        } else if (id == STMT_TOTALS_BUCKET) {
            totals_add_kind(t, (const char *)sqlite3_column_text(st, 0),
                            sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
        } else {
            int64_t n = sqlite3_column_int64(st, 2), b = sqlite3_column_int64(st, 3);
            totals_add_kind(t, (const char *)sqlite3_column_text(st, 0), n, b);
            if (sqlite3_column_int64(st, 1) >= 0)
                totals_add_day(t, sqlite3_column_int64(st, 1), n, b);
        }
    }
    sqlite3_reset(st);
    return rc;
}

/* One scope: the kept totals of a whole bucket, or one pass over a prefix's key range. */
static int totals_scope(struct sqlite__conn *c, const struct db_object_scope *sc, int64_t from_ms,
                        int64_t to_ms, struct db_object_totals *t)
{
    char hi[DB_PREFIX_MAX + 2];
    bool whole = !db__prefix_successor(sc->prefix, hi, sizeof(hi));
    static const enum stmt_id whole_ids[] = {STMT_TOTALS_BUCKET, STMT_DAYS_BUCKET};
    static const enum stmt_id range_ids[] = {STMT_TOTALS_RANGE};
    const enum stmt_id *ids = whole ? whole_ids : range_ids;
    size_t nids = whole ? 2 : 1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nids; i++) {
        sqlite3_stmt *st = stmt(c, ids[i]);
        if (!st)
            return SEAU_E_DB;
        sqlite__bind_text(st, 1, sc->bucket);
        if (!whole) {
            sqlite__bind_text(st, 2, sc->prefix);
            sqlite__bind_text(st, 3, hi);
        }
        sqlite3_bind_int64(st, 4, from_ms);
        sqlite3_bind_int64(st, 5, to_ms);
        rc = totals_read(st, t, ids[i]);
    }
    return rc;
}

int sqlite__object_totals(struct db *db, const struct db_object_scope *scopes, size_t nscopes,
                          int64_t day_from, int64_t day_to, struct db_object_totals *ret)
{
    if (nscopes > DB_SEARCH_SCOPES_MAX || day_from < 0 || day_to < day_from ||
        day_to - day_from >= DB_TOTALS_DAYS_MAX)
        return SEAU_E_VALIDATION;
    struct db_object_totals *t = calloc(1, sizeof(*t));
    struct db_object_scope *s = calloc(nscopes ? nscopes : 1, sizeof(*s));
    int rc = t && s ? 0 : SEAU_E_NOMEM;
    if (rc == 0) {
        if (nscopes)
            memcpy(s, scopes, nscopes * sizeof(*s));
        nscopes = db__scopes_normalize(s, nscopes);
        struct sqlite__conn *c = sqlite__acquire(db);
        /* One read transaction: every scope is counted in the same snapshot. */
        rc = sqlite__read_begin(c);
        bool in_tx = rc == 0;
        for (size_t i = 0; rc == 0 && i < nscopes; i++)
            rc = totals_scope(c, &s[i], day_from * DAY_MS, (day_to + 1) * DAY_MS, t);
        if (in_tx)
            sqlite__read_end(c);
        sqlite__release(db, c);
    }
    if (rc == 0)
        *ret = *t;
    free(t);
    free(s);
    return rc;
}

int sqlite__object_level(struct db *db, const struct db_level_query *q, struct db_level_row **ret,
                         size_t *ret_n)
{
    if (q->limit == 0 || q->limit > 1001 || strlen(q->prefix) > DB_PREFIX_MAX)
        return SEAU_E_VALIDATION;
    /* The level's folder: the prefix up to and including its last '/'. */
    char parent[DB_PREFIX_MAX + 1];
    const char *slash = strrchr(q->prefix, '/');
    size_t plen = slash ? (size_t)(slash - q->prefix) + 1 : 0;
    memcpy(parent, q->prefix, plen);
    parent[plen] = '\0';
    char hi[DB_PREFIX_MAX + 2];
    bool bounded = db__prefix_successor(q->prefix, hi, sizeof(hi));
    enum stmt_id id = q->order == DB_LEVEL_BY_SIZE
                          ? (q->desc ? STMT_LEVEL_SIZE_DESC : STMT_LEVEL_SIZE_ASC)
                          : (q->desc ? STMT_LEVEL_MODIFIED_DESC : STMT_LEVEL_MODIFIED_ASC);
    struct db_level_row *rows = calloc(q->limit, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, id);
    size_t n = 0;
    int rc = st ? 0 : SEAU_E_DB;
    if (st) {
        sqlite__bind_text(st, 1, q->bucket);
        sqlite__bind_text(st, 2, parent);
        sqlite__bind_text(st, 3, q->prefix);
        sqlite__bind_text(st, 4, bounded ? hi : NULL);
        /* Without a cursor, start before every row of the order. */
        sqlite3_bind_int64(st, 5, q->after ? q->after_value : q->desc ? INT64_MAX : INT64_MIN);
        sqlite3_bind_int64(st, 6, q->after ? q->after_id : q->desc ? INT64_MAX : INT64_MIN);
        sqlite3_bind_int64(st, 7, (int64_t)q->limit);
        int r = SQLITE_DONE;
        while (n < q->limit && (r = sqlite3_step(st)) == SQLITE_ROW) {
            sqlite__read_object(st, &rows[n].o);
            rows[n].id = sqlite3_column_int64(st, 9);
            n++;
        }
        if (n < q->limit && r != SQLITE_DONE)
            rc = sqlite__fail(r);
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    if (rc) {
        free(rows);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int sqlite__object_folders(struct db *db, const char *bucket, const char *prefix, const char *after,
                           size_t limit, char ***ret, size_t *ret_n)
{
    size_t plen = strlen(prefix);
    if (limit == 0 || limit > 1001 || plen > DB_PREFIX_MAX ||
        (after && (strlen(after) > DB_PREFIX_MAX || strncmp(after, prefix, plen) != 0)))
        return SEAU_E_VALIDATION;
    const char *slash = strrchr(prefix, '/');
    size_t level_len = slash ? (size_t)(slash - prefix) + 1 : 0;
    char hi[DB_PREFIX_MAX + 2];
    bool bounded = db__prefix_successor(prefix, hi, sizeof(hi));
    /*
     * from: where the next folder may start. Parents equal to the level's own
     * folder are its files, so the first seek is strictly above it; after a
     * folder F, every parent starting with F is skipped by seeking from F's
     * successor.
     */
    char from[DB_PREFIX_MAX + 2];
    bool strict = true;
    if (after) {
        strict = !db__prefix_successor(after, from, sizeof(from));
    } else if (plen > level_len) {
        memcpy(from, prefix, plen + 1);
        strict = false;
    } else {
        memcpy(from, prefix, level_len);
        from[level_len] = '\0';
    }
    char **out = calloc(limit, sizeof(*out));
    if (!out)
        return SEAU_E_NOMEM;
    size_t n = 0;
    int rc = 0;
    struct sqlite__conn *c = sqlite__acquire(db);
    rc = sqlite__read_begin(c);
    bool in_tx = rc == 0;
    while (rc == 0 && n < limit) {
        enum stmt_id id = bounded ? (strict ? STMT_FOLDER_NEXT_GT : STMT_FOLDER_NEXT_GE)
                                  : (strict ? STMT_FOLDER_NEXT_GT_OPEN : STMT_FOLDER_NEXT_GE_OPEN);
        sqlite3_stmt *st = stmt(c, id);
        if (!st) {
            rc = SEAU_E_DB;
            break;
        }
        sqlite__bind_text(st, 1, bucket);
        sqlite__bind_text(st, 2, from);
        if (bounded)
            sqlite__bind_text(st, 3, hi);
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW) {
            rc = r == SQLITE_DONE ? 0 : sqlite__fail(r);
            sqlite3_reset(st);
            break;
        }
        /* The folder: the prefix and the parent's next name, with its '/'. */
        const char *parent = (const char *)sqlite3_column_text(st, 0);
        const char *end = parent && strlen(parent) > plen ? strchr(parent + plen, '/') : NULL;
        if (!end) {
            /* Cannot happen: every parent in range is longer than the prefix and ends in '/'. */
            rc = SEAU_E_INTERNAL;
            sqlite3_reset(st);
            break;
        }
        size_t flen = (size_t)(end - parent) + 1;
        out[n] = malloc(flen + 1);
        if (!out[n]) {
            rc = SEAU_E_NOMEM;
            sqlite3_reset(st);
            break;
        }
        memcpy(out[n], parent, flen);
        out[n][flen] = '\0';
        sqlite3_reset(st);
        strict = !db__prefix_successor(out[n], from, sizeof(from));
        n++;
    }
    if (in_tx)
        sqlite__read_end(c);
    sqlite__release(db, c);
    if (rc) {
        free_strings(out, n);
        return rc;
    }
    *ret = out;
    *ret_n = n;
    return 0;
}
