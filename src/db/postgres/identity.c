/*
 * The PostgreSQL store's sessions (listed and ended by public id), second
 * factors and personal access tokens: migration 0008, as the SQLite
 * store's identity.c.
 *
 * Replicas share these rows, so every "only once" rule is one guarded
 * statement that PostgreSQL re-checks after taking the row lock: a TOTP
 * step (last_step < step), a recovery code (used_at IS NULL), the
 * confirmation of an enrolment (NOT enabled). The per-user token limit
 * takes a transaction-level advisory lock on the user, as uploads do.
 */
#include "core/err.h"
#include "db/postgres/store.h"

#include <stdlib.h>
#include <string.h>

#define XSTR(x)      STR(x)
#define STR(x)       #x
#define PG__LOCK_PAT 53656176 /* with the user id: one user's token count */

#define SESSION_COLS "token_hash, user_id, created_at, last_seen_at, expires_at, id, ip, user_agent"
#define PAT_COLS     "id, user_id, name, token_hash, created_at, expires_at, last_used_at"

#define IDENTITY_STATEMENTS(X)                                                                     \
    X(SESSION_LIST, "SELECT " SESSION_COLS " FROM sessions WHERE user_id = $1 "                    \
                    "AND last_seen_at >= $2 AND expires_at > $3 ORDER BY created_at DESC, id")     \
    X(SESSION_DELETE_ID, "DELETE FROM sessions WHERE user_id = $1 AND id = $2")                    \
    X(SESSION_DELETE_OTHERS, "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")       \
    X(MFA_GET, "SELECT user_id, secret, enabled, last_step, created_at, length(secret) "           \
               "FROM mfa WHERE user_id = $1")                                                      \
    X(MFA_SETUP, "INSERT INTO mfa AS m (user_id, secret, enabled, last_step, created_at) "         \
                 "VALUES ($1, $2, false, 0, $3) ON CONFLICT (user_id) DO UPDATE SET "              \
                 "secret = excluded.secret, last_step = 0, created_at = excluded.created_at "      \
                 "WHERE NOT m.enabled")                                                            \
    X(MFA_ENABLE, "UPDATE mfa SET enabled = true, last_step = $2 "                                 \
                  "WHERE user_id = $1 AND NOT enabled AND last_step < $2")                         \
    X(MFA_EXISTS, "SELECT count(*) FROM mfa WHERE user_id = $1")                                   \
    X(MFA_USE_STEP, "UPDATE mfa SET last_step = $2 WHERE user_id = $1 AND enabled "                \
                    "AND last_step < $2")                                                          \
    X(RECOVERY_CLEAR, "DELETE FROM mfa_recovery WHERE user_id = $1")                               \
    X(RECOVERY_INSERT, "INSERT INTO mfa_recovery (user_id, code_hash) VALUES ($1, $2)")            \
    X(RECOVERY_USE, "UPDATE mfa_recovery SET used_at = $3 "                                        \
                    "WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL")                   \
    X(RECOVERY_LEFT, "SELECT count(*) FROM mfa_recovery WHERE user_id = $1 AND used_at IS NULL")   \
    X(MFA_DELETE, "DELETE FROM mfa WHERE user_id = $1")                                            \
    X(CHALLENGE_PURGE, "DELETE FROM mfa_challenges WHERE expires_at <= $1")                        \
    X(CHALLENGE_INSERT,                                                                            \
      "INSERT INTO mfa_challenges (token_hash, user_id, created_at, expires_at) "                  \
      "VALUES ($1, $2, $3, $4)")                                                                   \
    X(CHALLENGE_GET,                                                                               \
      "SELECT user_id FROM mfa_challenges WHERE token_hash = $1 AND expires_at > $2")              \
    X(CHALLENGE_DELETE, "DELETE FROM mfa_challenges WHERE token_hash = $1")                        \
    X(PAT_LOCK, "SELECT pg_advisory_xact_lock(" XSTR(PG__LOCK_PAT) ", $1::int)")                   \
    X(PAT_COUNT, "SELECT count(*) FROM tokens WHERE user_id = $1")                                 \
    X(PAT_INSERT, "INSERT INTO tokens (" PAT_COLS ") VALUES ($1, $2, $3, $4, $5, $6, NULL)")       \
    X(PAT_LIST, "SELECT " PAT_COLS " FROM tokens WHERE user_id = $1 ORDER BY created_at DESC, id") \
    X(PAT_GET_HASH, "SELECT t.id, t.user_id, t.name, t.token_hash, t.created_at, t.expires_at, "   \
                    "t.last_used_at, u.id, u.email, u.name, u.role, u.password_hash, u.disabled, " \
                    "u.created_at, u.last_login_at, "                                              \
                    "EXISTS (SELECT 1 FROM mfa m WHERE m.user_id = u.id AND m.enabled) "           \
                    "FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1")      \
    X(PAT_TOUCH, "UPDATE tokens SET last_used_at = $2 WHERE id = $1")                              \
    X(PAT_DELETE, "DELETE FROM tokens WHERE user_id = $1 AND id = $2")

PG__STATEMENTS(IDENTITY_STATEMENTS, PG__IDENTITY)

/* Runs a one-row count query. */
static int query_i64(struct pg__conn *c, enum stmt_id id, const struct pg__params *p, int64_t *ret)
{
    PGresult *r = run(c, id, p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) != 1)
        rc = SEAU_E_DB;
    if (rc == 0)
        *ret = pg__i64(r, 0, 0);
    PQclear(r);
    return rc;
}

static void read_session(const PGresult *r, int row, struct db_session *s)
{
    memset(s, 0, sizeof(*s));
    pg__bytes(r, row, 0, s->token_hash, DB_TOKEN_HASH_LEN);
    s->user_id = pg__i64(r, row, 1);
    s->created_at = pg__i64(r, row, 2);
    s->last_seen_at = pg__i64(r, row, 3);
    s->expires_at = pg__i64(r, row, 4);
    pg__copy(r, row, 5, s->id, sizeof(s->id));
    pg__copy(r, row, 6, s->ip, sizeof(s->ip));
    pg__copy(r, row, 7, s->user_agent, sizeof(s->user_agent));
}

int pg__session_list(struct db *db, int64_t user_id, int64_t idle_before, int64_t now,
                     struct db_session **ret, size_t *ret_n)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, user_id);
    pg__p_i64(&p, idle_before);
    pg__p_i64(&p, now);
    PGresult *r = run(c, STMT_SESSION_LIST, &p);
    int rc = pg__status(c, r);
    size_t n = rc == 0 ? (size_t)PQntuples(r) : 0;
    struct db_session *rows = NULL;
    if (rc == 0) {
        rows = calloc(n ? n : 1, sizeof(*rows));
        if (!rows)
            rc = SEAU_E_NOMEM;
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        read_session(r, (int)i, &rows[i]);
    PQclear(r);
    pg__release(db, c);
    if (rc) {
        free(rows);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}

struct change {
    int64_t user_id;
    int64_t step;
    const char *id;
    const unsigned char *hash;
    const unsigned char (*codes)[DB_TOKEN_HASH_LEN];
    size_t n;
    const struct db_mfa *m;
    const struct db_pat *t;
    size_t max;
    struct db_audit_entry *audit;
    int64_t changed;
};

static int session_delete_id_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, x->user_id);
    pg__p_text(&p, x->id);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, STMT_SESSION_DELETE_ID, &p), &changed);
    if (rc == 0 && changed == 0)
        rc = SEAU_E_NOT_FOUND;
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__session_delete_id(struct db *db, int64_t user_id, const char *id,
                          struct db_audit_entry *audit)
{
    struct change x = {.user_id = user_id, .id = id, .audit = audit};
    return pg__tx(db, session_delete_id_tx, &x);
}

static int session_delete_others_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, x->user_id);
    pg__p_bytes(&p, x->hash, DB_TOKEN_HASH_LEN);
    int rc = pg__done(c, run(c, STMT_SESSION_DELETE_OTHERS, &p), &x->changed);
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__session_delete_others(struct db *db, int64_t user_id, const unsigned char *keep,
                              struct db_audit_entry *audit, int64_t *ret_n)
{
    struct change x = {.user_id = user_id, .hash = keep, .audit = audit};
    int rc = pg__tx(db, session_delete_others_tx, &x);
    if (rc == 0 && ret_n)
        *ret_n = x.changed;
    return rc;
}

int pg__mfa_get(struct db *db, int64_t user_id, struct db_mfa *ret)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, user_id);
    PGresult *r = run(c, STMT_MFA_GET, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 0)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0) {
        struct db_mfa m;
        memset(&m, 0, sizeof(m));
        int64_t len = pg__i64(r, 0, 5);
        m.user_id = pg__i64(r, 0, 0);
        if (len <= 0 || len > DB_MFA_SECRET_MAX || !pg__bytes(r, 0, 1, m.secret, (size_t)len)) {
            rc = SEAU_E_DB;
        } else {
            m.secret_len = (size_t)len;
            m.enabled = pg__bool(r, 0, 2);
            m.last_step = pg__i64(r, 0, 3);
            m.created_at = pg__i64(r, 0, 4);
            *ret = m;
        }
        memset(&m, 0, sizeof(m));
    }
    PQclear(r);
    pg__release(db, c);
    return rc;
}

static int mfa_setup_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, x->m->user_id);
    pg__p_bytes(&p, x->m->secret, x->m->secret_len);
    pg__p_i64(&p, x->m->created_at);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, STMT_MFA_SETUP, &p), &changed);
    if (rc == 0 && changed == 0)
        rc = SEAU_E_CONFLICT;
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__mfa_setup(struct db *db, const struct db_mfa *m, struct db_audit_entry *audit)
{
    struct change x = {.m = m, .audit = audit};
    return pg__tx(db, mfa_setup_tx, &x);
}

static int mfa_enable_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, x->user_id);
    pg__p_i64(&p, x->step);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, STMT_MFA_ENABLE, &p), &changed);
    if (rc == 0 && changed == 0) {
        struct pg__params q = {.n = 0};
        pg__p_i64(&q, x->user_id);
        int64_t exists = 0;
        rc = query_i64(c, STMT_MFA_EXISTS, &q, &exists);
        if (rc == 0)
            rc = exists ? SEAU_E_CONFLICT : SEAU_E_NOT_FOUND;
    }
    if (rc == 0) {
        struct pg__params q = {.n = 0};
        pg__p_i64(&q, x->user_id);
        rc = pg__done(c, run(c, STMT_RECOVERY_CLEAR, &q), NULL);
    }
    for (size_t i = 0; rc == 0 && i < x->n; i++) {
        struct pg__params q = {.n = 0};
        pg__p_i64(&q, x->user_id);
        pg__p_bytes(&q, x->codes[i], DB_TOKEN_HASH_LEN);
        rc = pg__done(c, run(c, STMT_RECOVERY_INSERT, &q), NULL);
    }
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__mfa_enable(struct db *db, int64_t user_id, int64_t step,
                   const unsigned char (*codes)[DB_TOKEN_HASH_LEN], size_t n,
                   struct db_audit_entry *audit)
{
    struct change x = {.user_id = user_id, .step = step, .codes = codes, .n = n, .audit = audit};
    return pg__tx(db, mfa_enable_tx, &x);
}

int pg__mfa_use_step(struct db *db, int64_t user_id, int64_t step)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, user_id);
    pg__p_i64(&p, step);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, STMT_MFA_USE_STEP, &p), &changed);
    if (rc == 0 && changed == 0)
        rc = SEAU_E_CONFLICT;
    pg__release(db, c);
    return rc;
}

int pg__mfa_use_recovery(struct db *db, int64_t user_id, const unsigned char *code_hash,
                         int64_t now)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, user_id);
    pg__p_bytes(&p, code_hash, DB_TOKEN_HASH_LEN);
    pg__p_i64(&p, now);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, STMT_RECOVERY_USE, &p), &changed);
    if (rc == 0 && changed == 0)
        rc = SEAU_E_NOT_FOUND;
    pg__release(db, c);
    return rc;
}

int pg__mfa_recovery_left(struct db *db, int64_t user_id, int64_t *ret)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, user_id);
    int rc = query_i64(c, STMT_RECOVERY_LEFT, &p, ret);
    pg__release(db, c);
    return rc;
}

static int mfa_delete_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, x->user_id);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, STMT_MFA_DELETE, &p), &changed);
    if (rc == 0 && changed == 0)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0)
        rc = pg__done(c, run(c, STMT_RECOVERY_CLEAR, &p), NULL);
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__mfa_delete(struct db *db, int64_t user_id, struct db_audit_entry *audit)
{
    struct change x = {.user_id = user_id, .audit = audit};
    return pg__tx(db, mfa_delete_tx, &x);
}

static int challenge_create_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    (void)db;
    struct change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, x->changed); /* now */
    int rc = pg__done(c, run(c, STMT_CHALLENGE_PURGE, &p), NULL);
    if (rc == 0) {
        struct pg__params q = {.n = 0};
        pg__p_bytes(&q, x->hash, DB_TOKEN_HASH_LEN);
        pg__p_i64(&q, x->user_id);
        pg__p_i64(&q, x->changed);
        pg__p_i64(&q, x->step); /* expires_at */
        rc = pg__done(c, run(c, STMT_CHALLENGE_INSERT, &q), NULL);
    }
    return rc;
}

int pg__mfa_challenge_create(struct db *db, const unsigned char *token_hash, int64_t user_id,
                             int64_t now, int64_t expires_at)
{
    struct change x = {.user_id = user_id, .hash = token_hash, .changed = now, .step = expires_at};
    return pg__tx(db, challenge_create_tx, &x);
}

int pg__mfa_challenge_get(struct db *db, const unsigned char *token_hash, int64_t now,
                          int64_t *ret_user_id)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_bytes(&p, token_hash, DB_TOKEN_HASH_LEN);
    pg__p_i64(&p, now);
    PGresult *r = run(c, STMT_CHALLENGE_GET, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 0)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0)
        *ret_user_id = pg__i64(r, 0, 0);
    PQclear(r);
    pg__release(db, c);
    return rc;
}

int pg__mfa_challenge_delete(struct db *db, const unsigned char *token_hash)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_bytes(&p, token_hash, DB_TOKEN_HASH_LEN);
    int rc = pg__done(c, run(c, STMT_CHALLENGE_DELETE, &p), NULL);
    pg__release(db, c);
    return rc;
}

static int pat_insert_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct change *x = ctx;
    const struct db_pat *t = x->t;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, t->user_id);
    int rc = pg__done(c, run(c, STMT_PAT_LOCK, &p), NULL);
    int64_t count = 0;
    if (rc == 0)
        rc = query_i64(c, STMT_PAT_COUNT, &p, &count);
    if (rc == 0 && (size_t)count >= x->max)
        rc = SEAU_E_CONFLICT;
    if (rc == 0) {
        struct pg__params q = {.n = 0};
        pg__p_text(&q, t->id);
        pg__p_i64(&q, t->user_id);
        pg__p_text(&q, t->name);
        pg__p_bytes(&q, t->token_hash, DB_TOKEN_HASH_LEN);
        pg__p_i64(&q, t->created_at);
        pg__p_opt_i64(&q, t->expires_at, 0);
        rc = pg__done(c, run(c, STMT_PAT_INSERT, &q), NULL);
    }
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__pat_insert(struct db *db, const struct db_pat *t, size_t max_per_user,
                   struct db_audit_entry *audit)
{
    struct change x = {.t = t, .max = max_per_user, .audit = audit};
    return pg__tx(db, pat_insert_tx, &x);
}

static void read_pat(const PGresult *r, int row, struct db_pat *t)
{
    memset(t, 0, sizeof(*t));
    pg__copy(r, row, 0, t->id, sizeof(t->id));
    t->user_id = pg__i64(r, row, 1);
    pg__copy(r, row, 2, t->name, sizeof(t->name));
    pg__bytes(r, row, 3, t->token_hash, DB_TOKEN_HASH_LEN);
    t->created_at = pg__i64(r, row, 4);
    t->expires_at = pg__i64(r, row, 5);
    t->last_used_at = pg__i64(r, row, 6);
}

int pg__pat_list(struct db *db, int64_t user_id, struct db_pat **ret, size_t *ret_n)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, user_id);
    PGresult *r = run(c, STMT_PAT_LIST, &p);
    int rc = pg__status(c, r);
    size_t n = rc == 0 ? (size_t)PQntuples(r) : 0;
    struct db_pat *rows = NULL;
    if (rc == 0) {
        rows = calloc(n ? n : 1, sizeof(*rows));
        if (!rows)
            rc = SEAU_E_NOMEM;
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        read_pat(r, (int)i, &rows[i]);
    PQclear(r);
    pg__release(db, c);
    if (rc) {
        free(rows);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}

int pg__pat_get_by_hash(struct db *db, const unsigned char *token_hash, struct db_pat *ret_t,
                        struct db_user *ret_u)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_bytes(&p, token_hash, DB_TOKEN_HASH_LEN);
    PGresult *r = run(c, STMT_PAT_GET_HASH, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 0)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0) {
        read_pat(r, 0, ret_t);
        struct db_user *u = ret_u;
        memset(u, 0, sizeof(*u));
        u->id = pg__i64(r, 0, 7);
        pg__copy(r, 0, 8, u->email, sizeof(u->email));
        pg__copy(r, 0, 9, u->name, sizeof(u->name));
        pg__copy(r, 0, 10, u->role, sizeof(u->role));
        pg__copy(r, 0, 11, u->password_hash, sizeof(u->password_hash));
        u->disabled = pg__bool(r, 0, 12);
        u->created_at = pg__i64(r, 0, 13);
        u->last_login_at = pg__i64(r, 0, 14);
        u->mfa = pg__bool(r, 0, 15);
    }
    PQclear(r);
    pg__release(db, c);
    return rc;
}

int pg__pat_touch(struct db *db, const char *id, int64_t now)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_text(&p, id);
    pg__p_i64(&p, now);
    int rc = pg__done(c, run(c, STMT_PAT_TOUCH, &p), NULL);
    pg__release(db, c);
    return rc;
}

static int pat_delete_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, x->user_id);
    pg__p_text(&p, x->id);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, STMT_PAT_DELETE, &p), &changed);
    if (rc == 0 && changed == 0)
        rc = SEAU_E_NOT_FOUND;
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__pat_delete(struct db *db, int64_t user_id, const char *id, struct db_audit_entry *audit)
{
    struct change x = {.user_id = user_id, .id = id, .audit = audit};
    return pg__tx(db, pat_delete_tx, &x);
}
