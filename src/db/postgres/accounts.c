/*
 * The PostgreSQL store's accounts: users, their grants, their sessions, and
 * the login throttle.
 *
 * Every change writes its audit entry through pg__audit_write() inside its
 * own transaction. The "one enabled admin remains" rule spans rows, so a
 * change that could break it first takes the admins' advisory lock: two
 * replicas demoting the last two admins at once run one after the other,
 * and the second counts what the first committed (READ COMMITTED reads a
 * fresh snapshot per statement) and is refused.
 */
#include "core/err.h"
#include "core/str.h"
#include "db/postgres/store.h"

#include <stdlib.h>
#include <string.h>

#define USER_COLS                                                                          \
    "id, email, name, role, password_hash, disabled, created_at, last_login_at, provider, " \
    "EXISTS (SELECT 1 FROM mfa m WHERE m.user_id = users.id AND m.enabled = true), "       \
    "must_change_password"
#define XSTR(x)   STR(x)
#define STR(x)    #x

#define ACCOUNTS_STATEMENTS(X)                                                                     \
    X(USER_COUNT, "SELECT count(*) FROM users")                                                    \
    X(ADMINS_LOCK, "SELECT pg_advisory_xact_lock(" XSTR(PG__LOCK_ADMINS) ")")                      \
    X(ADMIN_COUNT, "SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled")             \
    X(USER_INSERT, "INSERT INTO users (email, name, role, password_hash, disabled, created_at, "   \
                   "must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")       \
    X(USER_GET, "SELECT " USER_COLS " FROM users WHERE id = $1")                                   \
    X(USER_GET_EMAIL, "SELECT " USER_COLS                                                          \
                      " FROM users WHERE lower(email COLLATE \"C\") = lower($1 COLLATE \"C\")")    \
    X(USER_LIST, "SELECT " USER_COLS " FROM users ORDER BY id")                                    \
    X(USER_UPDATE, "UPDATE users SET name = $2, role = $3, password_hash = $4, disabled = $5, "    \
                   "must_change_password = $6 WHERE id = $1")                                      \
    X(USER_LAST_LOGIN, "UPDATE users SET last_login_at = $2 WHERE id = $1")                        \
    X(USER_DELETE, "DELETE FROM users WHERE id = $1")                                              \
    X(SESSION_INSERT, "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, "      \
                      "expires_at, id, ip, user_agent) "                                           \
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")                                \
    X(SESSION_GET, "SELECT s.user_id, s.created_at, s.last_seen_at, s.expires_at, u.id, u.email, " \
                   "u.name, u.role, u.password_hash, u.disabled, u.created_at, u.last_login_at, " \
                   "u.provider, "                                                               \
                   "EXISTS (SELECT 1 FROM mfa m WHERE m.user_id = u.id AND m.enabled = true), "  \
                   "u.must_change_password, s.id, s.ip, s.user_agent "                                                  \
                   "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1")     \
    X(SESSION_TOUCH, "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")                \
    X(SESSION_DELETE, "DELETE FROM sessions WHERE token_hash = $1")                                \
    X(SESSION_DELETE_USER, "DELETE FROM sessions WHERE user_id = $1")                              \
    X(SESSION_DELETE_OTHERS, "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")       \
    X(SESSION_PURGE, "DELETE FROM sessions WHERE last_seen_at < $1 OR expires_at <= $2")           \
    X(GRANTS_GET,                                                                                  \
      "SELECT bucket, prefix, level FROM grants WHERE user_id = $1 ORDER BY bucket, prefix")       \
    X(GRANTS_DELETE, "DELETE FROM grants WHERE user_id = $1")                                      \
    X(GRANTS_INSERT,                                                                               \
      "INSERT INTO grants (user_id, bucket, prefix, level) VALUES ($1, $2, $3, $4) "               \
      "ON CONFLICT DO NOTHING")                                                                    \
    X(THROTTLE_GET, "SELECT failures, window_start FROM login_throttle WHERE key = $1")            \
    /* One atomic statement: concurrent failures of one key on several replicas all count. */      \
    X(THROTTLE_UPSERT,                                                                             \
      "INSERT INTO login_throttle AS t (key, failures, window_start) VALUES ($1, 1, $2) "          \
      "ON CONFLICT (key) DO UPDATE SET "                                                           \
      "failures = CASE WHEN t.window_start <= $2::bigint - $3::bigint THEN 1 "                     \
      "ELSE t.failures + 1 END, "                                                                  \
      "window_start = CASE WHEN t.window_start <= $2::bigint - $3::bigint THEN $2::bigint "        \
      "ELSE t.window_start END "                                                                   \
      "RETURNING failures, window_start")                                                          \
    X(THROTTLE_CLEAR, "DELETE FROM login_throttle WHERE key = $1")                                 \
    X(THROTTLE_PURGE, "DELETE FROM login_throttle WHERE window_start <= $1 AND key <> $2")         \
    X(INVITATION_DELETE_USER, "DELETE FROM invitations WHERE user_id = $1")                        \
    X(INVITATION_INSERT, "INSERT INTO invitations (token_hash, user_id, created_by, created_at, "  \
                         "expires_at) VALUES ($1, $2, $3, $4, $5)")                                \
    X(INVITATION_GET, "SELECT user_id, coalesce(created_by, 0), created_at, expires_at "          \
                      "FROM invitations "                                                          \
                      "WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2")             \
    /* The one statement that takes an invitation: a second taker (any replica) finds used_at    \
     * set once the first commits, and updates nothing. */                                          \
    X(INVITATION_TAKE, "UPDATE invitations SET used_at = $2 "                                      \
                       "WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 "            \
                       "RETURNING user_id")                                                        \
    X(USER_SET_PASSWORD, "UPDATE users SET password_hash = $2, must_change_password = false "      \
                         "WHERE id = $1 AND NOT disabled")

PG__STATEMENTS(ACCOUNTS_STATEMENTS, PG__ACCOUNTS)

static void read_user(const PGresult *r, int row, int base, struct db_user *u)
{
    memset(u, 0, sizeof(*u));
    u->id = pg__i64(r, row, base + 0);
    pg__copy(r, row, base + 1, u->email, sizeof(u->email));
    pg__copy(r, row, base + 2, u->name, sizeof(u->name));
    pg__copy(r, row, base + 3, u->role, sizeof(u->role));
    pg__copy(r, row, base + 4, u->password_hash, sizeof(u->password_hash));
    u->disabled = pg__bool(r, row, base + 5);
    u->created_at = pg__i64(r, row, base + 6);
    u->last_login_at = pg__i64(r, row, base + 7);
    pg__copy(r, row, base + 8, u->provider, sizeof(u->provider));
    u->mfa = pg__bool(r, row, base + 9);
    u->must_change_password = pg__bool(r, row, base + 10);
}

/* Runs a statement and reads one int64 from its single row. */
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

/* Refuses a change that would leave no enabled admin; the caller holds the admins' lock. */
static int check_admin_remains(struct pg__conn *c)
{
    int64_t n = 0;
    int rc = query_i64(c, STMT_ADMIN_COUNT, NULL, &n);
    if (rc)
        return rc;
    return n > 0 ? 0 : SEAU_E_CONFLICT;
}

int pg__user_count(struct db *db, int64_t *ret)
{
    struct pg__conn *c = pg__acquire(db);
    int rc = query_i64(c, STMT_USER_COUNT, NULL, ret);
    pg__release(db, c);
    return rc;
}

struct user_change {
    struct db_user *u;
    const struct db_user *cu;
    int64_t id;
    enum db_revoke revoke;
    const unsigned char *keep;
    struct db_audit_entry *audit;
};

static int user_insert_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct user_change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, x->u->email);
    pg__p_text(&p, x->u->name);
    pg__p_text(&p, x->u->role);
    pg__p_text(&p, x->u->password_hash);
    pg__p_bool(&p, x->u->disabled);
    pg__p_i64(&p, x->u->created_at);
    pg__p_bool(&p, x->u->must_change_password);
    int64_t id = 0;
    int rc = query_i64(c, STMT_USER_INSERT, &p, &id);
    rc = pg__audit_write(db, c, rc, x->audit);
    if (rc == 0)
        x->id = id;
    return rc;
}

int pg__user_insert(struct db *db, struct db_user *u, struct db_audit_entry *audit)
{
    struct user_change x = {.u = u, .audit = audit};
    int rc = pg__tx(db, user_insert_tx, &x);
    if (rc == 0)
        u->id = x.id;
    return rc;
}

static int get_user_by(struct db *db, enum stmt_id id, int64_t key_id, const char *key_email,
                       struct db_user *ret)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    if (key_email)
        pg__p_text(&p, key_email);
    else
        pg__p_i64(&p, key_id);
    PGresult *r = run(c, id, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 0)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0)
        read_user(r, 0, 0, ret);
    PQclear(r);
    pg__release(db, c);
    return rc;
}

int pg__user_get(struct db *db, int64_t id, struct db_user *ret)
{
    return get_user_by(db, STMT_USER_GET, id, NULL, ret);
}

int pg__user_get_by_email(struct db *db, const char *email, struct db_user *ret)
{
    return get_user_by(db, STMT_USER_GET_EMAIL, 0, email, ret);
}

int pg__user_list(struct db *db, struct db_user **ret, size_t *ret_n)
{
    struct pg__conn *c = pg__acquire(db);
    PGresult *r = run(c, STMT_USER_LIST, NULL);
    int rc = pg__status(c, r);
    size_t n = rc == 0 ? (size_t)PQntuples(r) : 0;
    struct db_user *users = NULL;
    if (rc == 0) {
        users = calloc(n ? n : 1, sizeof(*users));
        if (!users)
            rc = SEAU_E_NOMEM;
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        read_user(r, (int)i, 0, &users[i]);
    PQclear(r);
    pg__release(db, c);
    if (rc) {
        free(users);
        return rc;
    }
    *ret = users;
    *ret_n = n;
    return 0;
}

static int user_update_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct user_change *x = ctx;
    const struct db_user *u = x->cu;
    int rc = pg__done(c, run(c, STMT_ADMINS_LOCK, NULL), NULL);
    if (rc == 0) {
        struct pg__params p = {.n = 0};
        pg__p_i64(&p, u->id);
        pg__p_text(&p, u->name);
        pg__p_text(&p, u->role);
        pg__p_text(&p, u->password_hash);
        pg__p_bool(&p, u->disabled);
        pg__p_bool(&p, u->must_change_password);
        int64_t changed = 0;
        rc = pg__done(c, run(c, STMT_USER_UPDATE, &p), &changed);
        if (rc == 0 && changed == 0)
            rc = SEAU_E_NOT_FOUND;
    }
    if (rc == 0)
        rc = check_admin_remains(c);
    if (rc == 0 && x->revoke != DB_REVOKE_NONE) {
        struct pg__params p = {.n = 0};
        pg__p_i64(&p, u->id);
        if (x->revoke == DB_REVOKE_OTHERS)
            pg__p_bytes(&p, x->keep, DB_TOKEN_HASH_LEN);
        rc = pg__done(
            c,
            run(c,
                x->revoke == DB_REVOKE_ALL ? STMT_SESSION_DELETE_USER : STMT_SESSION_DELETE_OTHERS,
                &p),
            NULL);
    }
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__user_update(struct db *db, const struct db_user *u, enum db_revoke revoke,
                    const unsigned char *keep_token_hash, struct db_audit_entry *audit)
{
    struct user_change x = {.cu = u, .revoke = revoke, .keep = keep_token_hash, .audit = audit};
    return pg__tx(db, user_update_tx, &x);
}

static int user_delete_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct user_change *x = ctx;
    int rc = pg__done(c, run(c, STMT_ADMINS_LOCK, NULL), NULL);
    if (rc == 0) {
        struct pg__params p = {.n = 0};
        pg__p_i64(&p, x->id);
        int64_t changed = 0;
        rc = pg__done(c, run(c, STMT_USER_DELETE, &p), &changed);
        if (rc == 0 && changed == 0)
            rc = SEAU_E_NOT_FOUND;
    }
    if (rc == 0)
        rc = check_admin_remains(c);
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__user_delete(struct db *db, int64_t id, struct db_audit_entry *audit)
{
    struct user_change x = {.id = id, .audit = audit};
    return pg__tx(db, user_delete_tx, &x);
}

struct session_change {
    const struct db_session *s;
    const unsigned char *hash;
    struct db_audit_entry *audit;
};

static int session_create_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct session_change *x = ctx;
    const struct db_session *s = x->s;
    struct pg__params p = {.n = 0};
    pg__p_bytes(&p, s->token_hash, DB_TOKEN_HASH_LEN);
    pg__p_i64(&p, s->user_id);
    pg__p_i64(&p, s->created_at);
    pg__p_i64(&p, s->last_seen_at);
    pg__p_i64(&p, s->expires_at);
    pg__p_opt_text(&p, s->id); /* NULL: a session without a public id */
    pg__p_opt_text(&p, s->ip);
    pg__p_opt_text(&p, s->user_agent);
    int rc = pg__done(c, run(c, STMT_SESSION_INSERT, &p), NULL);
    if (rc == 0) {
        struct pg__params q = {.n = 0};
        pg__p_i64(&q, s->user_id);
        pg__p_i64(&q, s->created_at);
        rc = pg__done(c, run(c, STMT_USER_LAST_LOGIN, &q), NULL);
    }
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__session_create(struct db *db, const struct db_session *s, struct db_audit_entry *audit)
{
    struct session_change x = {.s = s, .audit = audit};
    return pg__tx(db, session_create_tx, &x);
}

int pg__session_get(struct db *db, const unsigned char *token_hash, struct db_session *ret_s,
                    struct db_user *ret_u)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_bytes(&p, token_hash, DB_TOKEN_HASH_LEN);
    PGresult *r = run(c, STMT_SESSION_GET, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 0)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0) {
        memcpy(ret_s->token_hash, token_hash, DB_TOKEN_HASH_LEN);
        ret_s->user_id = pg__i64(r, 0, 0);
        ret_s->created_at = pg__i64(r, 0, 1);
        ret_s->last_seen_at = pg__i64(r, 0, 2);
        ret_s->expires_at = pg__i64(r, 0, 3);
        read_user(r, 0, 4, ret_u);
        pg__copy(r, 0, 15, ret_s->id, sizeof(ret_s->id));
        pg__copy(r, 0, 16, ret_s->ip, sizeof(ret_s->ip));
        pg__copy(r, 0, 17, ret_s->user_agent, sizeof(ret_s->user_agent));
    }
    PQclear(r);
    pg__release(db, c);
    return rc;
}

int pg__session_touch(struct db *db, const unsigned char *token_hash, int64_t now)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_bytes(&p, token_hash, DB_TOKEN_HASH_LEN);
    pg__p_i64(&p, now);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, STMT_SESSION_TOUCH, &p), &changed);
    if (rc == 0 && changed == 0)
        rc = SEAU_E_NOT_FOUND;
    pg__release(db, c);
    return rc;
}

static int session_delete_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct session_change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_bytes(&p, x->hash, DB_TOKEN_HASH_LEN);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, STMT_SESSION_DELETE, &p), &changed);
    if (rc == 0 && changed == 0)
        rc = SEAU_E_NOT_FOUND;
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__session_delete(struct db *db, const unsigned char *token_hash, struct db_audit_entry *audit)
{
    struct session_change x = {.hash = token_hash, .audit = audit};
    return pg__tx(db, session_delete_tx, &x);
}

int pg__session_purge(struct db *db, int64_t idle_before, int64_t now)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, idle_before);
    pg__p_i64(&p, now);
    int rc = pg__done(c, run(c, STMT_SESSION_PURGE, &p), NULL);
    pg__release(db, c);
    return rc;
}

int pg__grants_get(struct db *db, int64_t user_id, struct db_grant **ret, size_t *ret_n)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, user_id);
    PGresult *r = run(c, STMT_GRANTS_GET, &p);
    int rc = pg__status(c, r);
    size_t n = rc == 0 ? (size_t)PQntuples(r) : 0;
    struct db_grant *g = NULL;
    if (rc == 0) {
        g = calloc(n ? n : 1, sizeof(*g));
        if (!g)
            rc = SEAU_E_NOMEM;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        pg__copy(r, (int)i, 0, g[i].bucket, sizeof(g[i].bucket));
        pg__copy(r, (int)i, 1, g[i].prefix, sizeof(g[i].prefix));
        pg__copy(r, (int)i, 2, g[i].level, sizeof(g[i].level));
    }
    PQclear(r);
    pg__release(db, c);
    if (rc) {
        free(g);
        return rc;
    }
    *ret = g;
    *ret_n = n;
    return 0;
}

/* The level stored for a grant: as given when it is one, else "full" (grants made before levels).
 */
static const char *grant_level(const struct db_grant *g)
{
    if (strcmp(g->level, "read") == 0 || strcmp(g->level, "upload") == 0)
        return g->level;
    return "full";
}

struct grants_change {
    int64_t user_id;
    const struct db_grant *g;
    size_t n;
    struct db_audit_entry *audit;
};

static int grants_set_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct grants_change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, x->user_id);
    int rc = pg__done(c, run(c, STMT_GRANTS_DELETE, &p), NULL);
    for (size_t i = 0; rc == 0 && i < x->n; i++) {
        struct pg__params q = {.n = 0};
        pg__p_i64(&q, x->user_id);
        pg__p_text(&q, x->g[i].bucket);
        pg__p_text(&q, x->g[i].prefix);
        pg__p_text(&q, grant_level(&x->g[i]));
        rc = pg__done(c, run(c, STMT_GRANTS_INSERT, &q), NULL);
    }
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__grants_set(struct db *db, int64_t user_id, const struct db_grant *g, size_t n,
                   struct db_audit_entry *audit)
{
    struct grants_change x = {.user_id = user_id, .g = g, .n = n, .audit = audit};
    return pg__tx(db, grants_set_tx, &x);
}

int pg__throttle_get(struct db *db, const char *key, struct db_throttle *ret)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_text(&p, key);
    PGresult *r = run(c, STMT_THROTTLE_GET, &p);
    int rc = pg__status(c, r);
    if (rc == 0) {
        bool found = PQntuples(r) > 0;
        ret->failures = found ? pg__i64(r, 0, 0) : 0;
        ret->window_start = found ? pg__i64(r, 0, 1) : 0;
    }
    PQclear(r);
    pg__release(db, c);
    return rc;
}

struct throttle_change {
    const char *key;
    int64_t now, window_ms;
    struct db_throttle out;
};

static int throttle_fail_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    (void)db;
    struct throttle_change *x = ctx;
    /* Old windows of other keys are dropped here so the table stays small. */
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, x->now - x->window_ms);
    pg__p_text(&p, x->key);
    int rc = pg__done(c, run(c, STMT_THROTTLE_PURGE, &p), NULL);
    if (rc == 0) {
        struct pg__params q = {.n = 0};
        pg__p_text(&q, x->key);
        pg__p_i64(&q, x->now);
        pg__p_i64(&q, x->window_ms);
        PGresult *r = run(c, STMT_THROTTLE_UPSERT, &q);
        rc = pg__status(c, r);
        if (rc == 0 && PQntuples(r) != 1)
            rc = SEAU_E_DB;
        if (rc == 0) {
            x->out.failures = pg__i64(r, 0, 0);
            x->out.window_start = pg__i64(r, 0, 1);
        }
        PQclear(r);
    }
    return rc;
}

int pg__throttle_fail(struct db *db, const char *key, int64_t now, int64_t window_ms,
                      struct db_throttle *ret)
{
    struct throttle_change x = {.key = key, .now = now, .window_ms = window_ms};
    int rc = pg__tx(db, throttle_fail_tx, &x);
    if (rc == 0)
        *ret = x.out;
    return rc;
}

int pg__throttle_clear(struct db *db, const char *key)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_text(&p, key);
    int rc = pg__done(c, run(c, STMT_THROTTLE_CLEAR, &p), NULL);
    pg__release(db, c);
    return rc;
}

/* ------------------------------------------------------------ invitations */

struct invitation_change {
    const struct db_invitation *inv;
    const unsigned char *token_hash;
    int64_t now;
    const char *password_hash;
    struct db_audit_entry *audit;
    struct db_user u;
};

static int invitation_put_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct invitation_change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, x->inv->user_id);
    int rc = pg__done(c, run(c, STMT_INVITATION_DELETE_USER, &p), NULL);
    if (rc == 0) {
        struct pg__params q = {.n = 0};
        pg__p_bytes(&q, x->inv->token_hash, DB_TOKEN_HASH_LEN);
        pg__p_i64(&q, x->inv->user_id);
        pg__p_opt_i64(&q, x->inv->created_by, 0);
        pg__p_i64(&q, x->inv->created_at);
        pg__p_i64(&q, x->inv->expires_at);
        rc = pg__done(c, run(c, STMT_INVITATION_INSERT, &q), NULL);
        /* The account is gone (foreign key): nothing to invite. */
        if (rc == SEAU_E_CONFLICT)
            rc = SEAU_E_NOT_FOUND;
    }
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__invitation_put(struct db *db, const struct db_invitation *inv,
                       struct db_audit_entry *audit)
{
    struct invitation_change x = {.inv = inv, .audit = audit};
    return pg__tx(db, invitation_put_tx, &x);
}

int pg__invitation_get(struct db *db, const unsigned char *token_hash, int64_t now,
                       struct db_invitation *ret_inv, struct db_user *ret_u)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_bytes(&p, token_hash, DB_TOKEN_HASH_LEN);
    pg__p_i64(&p, now);
    PGresult *r = run(c, STMT_INVITATION_GET, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 0)
        rc = SEAU_E_NOT_FOUND;
    struct db_invitation inv;
    memset(&inv, 0, sizeof(inv));
    if (rc == 0) {
        memcpy(inv.token_hash, token_hash, DB_TOKEN_HASH_LEN);
        inv.user_id = pg__i64(r, 0, 0);
        inv.created_by = pg__i64(r, 0, 1);
        inv.created_at = pg__i64(r, 0, 2);
        inv.expires_at = pg__i64(r, 0, 3);
    }
    PQclear(r);
    pg__release(db, c);
    struct db_user u;
    if (rc == 0)
        rc = pg__user_get(db, inv.user_id, &u);
    if (rc == 0 && u.disabled)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0) {
        *ret_inv = inv;
        *ret_u = u;
    }
    return rc;
}

static int invitation_accept_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct invitation_change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_bytes(&p, x->token_hash, DB_TOKEN_HASH_LEN);
    pg__p_i64(&p, x->now);
    PGresult *r = run(c, STMT_INVITATION_TAKE, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) != 1)
        rc = SEAU_E_NOT_FOUND;
    int64_t user_id = rc == 0 ? pg__i64(r, 0, 0) : 0;
    PQclear(r);
    if (rc == 0) {
        struct pg__params q = {.n = 0};
        pg__p_i64(&q, user_id);
        pg__p_text(&q, x->password_hash);
        int64_t changed = 0;
        rc = pg__done(c, run(c, STMT_USER_SET_PASSWORD, &q), &changed);
        /* Disabled since the link was made: the link does not revive the account. */
        if (rc == 0 && changed == 0)
            rc = SEAU_E_NOT_FOUND;
    }
    if (rc == 0) {
        struct pg__params q = {.n = 0};
        pg__p_i64(&q, user_id);
        r = run(c, STMT_USER_GET, &q);
        rc = pg__status(c, r);
        if (rc == 0 && PQntuples(r) != 1)
            rc = SEAU_E_NOT_FOUND;
        if (rc == 0)
            read_user(r, 0, 0, &x->u);
        PQclear(r);
    }
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__invitation_accept(struct db *db, const unsigned char *token_hash, int64_t now,
                          const char *password_hash, struct db_audit_entry *audit,
                          struct db_user *ret_u)
{
    struct invitation_change x = {
        .token_hash = token_hash, .now = now, .password_hash = password_hash, .audit = audit};
    int rc = pg__tx(db, invitation_accept_tx, &x);
    if (rc == 0)
        *ret_u = x.u;
    str_wipe(x.u.password_hash, sizeof(x.u.password_hash));
    return rc;
}
