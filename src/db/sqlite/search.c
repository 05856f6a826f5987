/*
 * The SQLite store's object search (GET /api/search): a page of the object
 * index inside the caller's scopes, by key substring and filters, and its
 * count. Two plans: the trigram index (objects_fts) when the query's
 * trigrams are rare, else a walk of the scopes' key ranges testing each
 * folded key with seau_fold(), the SQL function this file registers.
 */
#include "core/err.h"
#include "db/sqlite/store.h"

#include <stdlib.h>
#include <string.h>

#define SEARCH_STATEMENTS(X)                                                                       \
    X(OBJECT_FTS_COUNT, "SELECT count(*) FROM (SELECT 1 FROM objects_fts "                         \
                        "WHERE objects_fts MATCH ?1 LIMIT ?2)")

SQLITE__STATEMENTS(SEARCH_STATEMENTS, SQLITE__SEARCH)

/*
 * Above this many trigram matches (over the whole index) a search walks the
 * scopes' key ranges in order and tests each key, because matches are then
 * dense enough that a page fills quickly; below it, the trigram index gives
 * the matching rows and only those are sorted. Either way a page costs
 * O(SPARSE_MAX) at worst rather than O(matches).
 */
#define SEARCH_SPARSE_MAX 20000
#define SEARCH_SQL_MAX    2048
#define SEARCH_BINDS_MAX  16

/*
 * Case folding for the key scans: the characters of ASCII, Latin-1, Latin
 * Extended-A and Additional, Greek and Cyrillic, which covers the keys people
 * type. The trigram index folds all of Unicode itself; this fold answers the
 * 2-character queries and the dense case, where no index helps.
 */
static uint32_t fold_cp(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if (c == 0x130)
        return 'i';
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c | 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return c & 1 ? c + 1 : c;
    if (c == 0x178)
        return 0xFF;
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2)
        return c + 32;
    if (c == 0x386)
        return 0x3AC;
    if (c >= 0x388 && c <= 0x38A)
        return c + 37;
    if (c == 0x38C)
        return 0x3CC;
    if (c == 0x38E || c == 0x38F)
        return c + 63;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF))
        return c | 1;
    return c;
}

/*
 * Folds UTF-8 text of n bytes into out (room for n bytes: folding never
 * lengthens the characters above). Bytes that are not valid UTF-8 are copied
 * as they are. Returns the length written.
 */
static size_t fold_utf8(const unsigned char *s, size_t n, unsigned char *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned char b = s[i];
        uint32_t c;
        size_t len;
        if (b < 0x80) {
            out[o++] = (unsigned char)fold_cp(b);
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0 && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
            c = ((uint32_t)(b & 0x1F) << 6) | (s[i + 1] & 0x3F);
            len = 2;
        } else if ((b & 0xF0) == 0xE0 && i + 2 < n && (s[i + 1] & 0xC0) == 0x80 &&
                   (s[i + 2] & 0xC0) == 0x80) {
            c = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) |
                (s[i + 2] & 0x3F);
            len = 3;
        } else {
            out[o++] = b;
            i++;
            continue;
        }
        uint32_t f = fold_cp(c);
        /* Every pair above keeps its UTF-8 length, except U+0130 -> 'i'. */
        if (f < 0x80) {
            out[o++] = (unsigned char)f;
        } else if (f < 0x800 && len == 2) {
            out[o++] = (unsigned char)(0xC0 | (f >> 6));
            out[o++] = (unsigned char)(0x80 | (f & 0x3F));
        } else if (len == 3 && f >= 0x800) {
            out[o++] = (unsigned char)(0xE0 | (f >> 12));
            out[o++] = (unsigned char)(0x80 | ((f >> 6) & 0x3F));
            out[o++] = (unsigned char)(0x80 | (f & 0x3F));
        } else {
            memcpy(out + o, s + i, len);
            o += len;
        }
        i += len;
    }
    return o;
}

/* SQL function seau_fold(text): the fold above, for the key scans. */
static void sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *s = sqlite3_value_text(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    if (!s) {
        sqlite3_result_null(ctx);
        return;
    }
    unsigned char stack[1100];
    unsigned char *out = (size_t)n <= sizeof(stack) ? stack : sqlite3_malloc(n ? n : 1);
    if (!out) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    size_t len = fold_utf8(s, (size_t)n, out);
    sqlite3_result_text(ctx, (const char *)out, (int)len, SQLITE_TRANSIENT);
    if (out != stack)
        sqlite3_free(out);
}

int sqlite__search_register(sqlite3 *h)
{
    return sqlite3_create_function_v2(h, "seau_fold", 1,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                      sql_fold, NULL, NULL, NULL);
}

/* A search statement under construction: SQL text and its bindings, both bounded. */
struct search_sql {
    char sql[SEARCH_SQL_MAX];
    size_t len;
    bool overflow;
    struct {
        bool is_text;
        int64_t i;
        const char *t;
        int tlen;
    } binds[SEARCH_BINDS_MAX];
    int nbinds;
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

static void ss_text(struct search_sql *s, const char *sql, const char *t, int tlen)
{
    if (s->nbinds == SEARCH_BINDS_MAX) {
        s->overflow = true;
        return;
    }
    ss_add(s, sql);
    s->binds[s->nbinds].is_text = true;
    s->binds[s->nbinds].t = t;
    s->binds[s->nbinds].tlen = tlen;
    s->nbinds++;
}

static void ss_int(struct search_sql *s, const char *sql, int64_t v)
{
    if (s->nbinds == SEARCH_BINDS_MAX) {
        s->overflow = true;
        return;
    }
    ss_add(s, sql);
    s->binds[s->nbinds].is_text = false;
    s->binds[s->nbinds].i = v;
    s->nbinds++;
}

enum search_mode {
    SEARCH_ALL,  /* no q: the key ranges in order */
    SEARCH_SCAN, /* the key ranges in order, each key folded and tested */
    SEARCH_FTS,  /* the trigram index's matches, sorted */
};

/* What every search statement of one request shares. */
struct search_plan {
    const struct db_object_query *q;
    enum search_mode mode;
    char *match;  /* the FTS5 phrase: q in double quotes, quotes doubled */
    char *folded; /* q folded, for SEARCH_SCAN */
    int folded_len;
};

/*
 * Appends the conditions of one scope and the query's filters. cursor_key is
 * the key to continue after within this scope's bucket, or NULL.
 */
static void ss_where(struct search_sql *s, const struct search_plan *p,
                     const struct db_object_scope *scope, const char *hi, const char *cursor_key)
{
    const struct db_object_query *q = p->q;
    /*
     * With the trigram index, the few matching rowids drive the query and
     * the unary + keeps the planner from walking the key range instead
     * (which would probe every key of the scope).
     */
    bool fts = p->mode == SEARCH_FTS;
    ss_text(s, fts ? " FROM objects o WHERE +o.bucket = ?" : " FROM objects o WHERE o.bucket = ?",
            scope->bucket, -1);
    if (*scope->prefix)
        ss_text(s, fts ? " AND +o.key >= ?" : " AND o.key >= ?", scope->prefix, -1);
    if (hi)
        ss_text(s, fts ? " AND +o.key < ?" : " AND o.key < ?", hi, -1);
    if (cursor_key)
        ss_text(s, fts ? " AND +o.key > ?" : " AND o.key > ?", cursor_key, -1);
    if (p->mode == SEARCH_FTS)
        ss_text(s, " AND o.rowid IN (SELECT rowid FROM objects_fts WHERE objects_fts MATCH ?)",
                p->match, -1);
    else if (p->mode == SEARCH_SCAN)
        ss_text(s, " AND instr(seau_fold(o.key), ?) > 0", p->folded, p->folded_len);
    if (q->kind)
        ss_text(s, " AND o.kind = ?", q->kind, -1);
    if (q->min_size >= 0)
        ss_int(s, " AND o.size >= ?", q->min_size);
    if (q->max_size >= 0)
        ss_int(s, " AND o.size <= ?", q->max_size);
    if (q->modified_after)
        ss_int(s, " AND o.last_modified > ?", q->modified_after);
    if (q->modified_before)
        ss_int(s, " AND o.last_modified < ?", q->modified_before);
    if (q->uploaded_by)
        ss_int(s, " AND o.uploaded_by = ?", q->uploaded_by);
    if (q->tag_name) {
        ss_text(s,
                " AND EXISTS (SELECT 1 FROM object_tags t WHERE t.bucket = o.bucket "
                "AND t.key = o.key AND t.name = ?",
                q->tag_name, -1);
        ss_text(s, " AND t.value = ?)", q->tag_value ? q->tag_value : "", -1);
    }
}

static int ss_prepare(struct sqlite__conn *c, struct search_sql *s, sqlite3_stmt **ret)
{
    if (s->overflow)
        return SEAU_E_INTERNAL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->handle, s->sql, (int)s->len, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return SEAU_E_DB;
    }
    for (int i = 0; i < s->nbinds; i++) {
        if (s->binds[i].is_text)
            sqlite3_bind_text(st, i + 1, s->binds[i].t, s->binds[i].tlen, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, i + 1, s->binds[i].i);
    }
    *ret = st;
    return 0;
}

/* Appends up to `want` rows of one scope to rows[*n]. */
static int search_scope_rows(struct sqlite__conn *c, const struct search_plan *p,
                             const struct db_object_scope *scope, const char *hi,
                             const char *cursor_key, size_t want, struct db_object *rows, size_t *n)
{
    struct search_sql s = {.len = 0};
    ss_add(&s, "SELECT " SQLITE__OBJECT_COLS);
    ss_where(&s, p, scope, hi, cursor_key);
    ss_int(&s, " ORDER BY o.key LIMIT ?", (int64_t)want);
    sqlite3_stmt *st = NULL;
    int rc = ss_prepare(c, &s, &st);
    while (rc == 0) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = sqlite__fail(r);
            break;
        }
        sqlite__read_object(st, &rows[(*n)++]);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Counts up to `cap` matches in one scope (the cursor does not apply). */
static int search_scope_count(struct sqlite__conn *c, const struct search_plan *p,
                              const struct db_object_scope *scope, const char *hi, int64_t cap,
                              int64_t *ret)
{
    struct search_sql s = {.len = 0};
    ss_add(&s, "SELECT count(*) FROM (SELECT 1");
    ss_where(&s, p, scope, hi, NULL);
    ss_int(&s, " LIMIT ?)", cap);
    sqlite3_stmt *st = NULL;
    int rc = ss_prepare(c, &s, &st);
    if (rc == 0) {
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            *ret = sqlite3_column_int64(st, 0);
        else
            rc = sqlite__fail(r);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Chooses between the trigram index and a scan, from how many keys hold q's trigrams. */
static int search_choose(struct sqlite__conn *c, struct search_plan *p)
{
    const struct db_object_query *q = p->q;
    p->mode = SEARCH_ALL;
    if (!q->q || !*q->q)
        return 0;
    size_t qlen = strlen(q->q), chars = 0;
    for (size_t i = 0; i < qlen; i++)
        chars += ((unsigned char)q->q[i] & 0xC0) != 0x80;
    p->folded = malloc(qlen + 1);
    p->match = malloc(2 * qlen + 3);
    if (!p->folded || !p->match)
        return SEAU_E_NOMEM;
    p->folded_len = (int)fold_utf8((const unsigned char *)q->q, qlen, (unsigned char *)p->folded);
    p->folded[p->folded_len] = '\0';
    size_t m = 0;
    p->match[m++] = '"';
    for (size_t i = 0; i < qlen; i++) {
        if (q->q[i] == '"')
            p->match[m++] = '"';
        p->match[m++] = q->q[i];
    }
    p->match[m++] = '"';
    p->match[m] = '\0';
    p->mode = SEARCH_SCAN;
    if (chars < 3)
        return 0;
    sqlite3_stmt *st = stmt(c, STMT_OBJECT_FTS_COUNT);
    if (!st)
        return SEAU_E_DB;
    sqlite__bind_text(st, 1, p->match);
    sqlite3_bind_int64(st, 2, SEARCH_SPARSE_MAX + 1);
    int r = sqlite3_step(st);
    int64_t n = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (n < 0)
        return sqlite__fail(r);
    if (n <= SEARCH_SPARSE_MAX)
        p->mode = SEARCH_FTS;
    return 0;
}

int sqlite__object_search(struct db *db, const struct db_object_query *q, struct db_object **ret,
                          size_t *ret_n, int64_t *ret_total)
{
    if (q->limit == 0 || q->limit > 1001 || q->nscopes > DB_SEARCH_SCOPES_MAX)
        return SEAU_E_VALIDATION;
    struct db_object *rows = calloc(q->limit, sizeof(*rows));
    struct db_object_scope *scopes = calloc(q->nscopes ? q->nscopes : 1, sizeof(*scopes));
    struct search_plan plan = {.q = q};
    size_t n = 0, nscopes = q->nscopes;
    int64_t total = 0;
    int rc = rows && scopes ? 0 : SEAU_E_NOMEM;
    if (rc == 0) {
        if (nscopes)
            memcpy(scopes, q->scopes, nscopes * sizeof(*scopes));
        nscopes = db__scopes_normalize(scopes, nscopes);
    }
    struct sqlite__conn *c = sqlite__acquire(db);
    /* One read transaction: the page and its count see the same snapshot. */
    if (rc == 0)
        rc = sqlite__read_begin(c);
    bool in_tx = rc == 0;
    if (rc == 0 && nscopes > 0)
        rc = search_choose(c, &plan);
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
            rc = search_scope_rows(c, &plan, sc, hip, cursor_key, q->limit - n, rows, &n);
        if (rc == 0 && q->count_cap > 0 && total <= q->count_cap) {
            int64_t part = 0;
            rc = search_scope_count(c, &plan, sc, hip, q->count_cap + 1 - total, &part);
            total += part;
        }
    }
    if (in_tx)
        sqlite__read_end(c);
    sqlite__release(db, c);
    free(plan.match);
    free(plan.folded);
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
