/*
 * The SQLite store's accounts: users, their grants, their sessions, and the
 * login throttle (failure counters per account and per address).
 *
 * Every change here writes its audit entry through sqlite__audit_write()
 * inside its own transaction (a user's rename and its "user.update" entry
 * commit together), and the "one enabled admin remains" rule is checked in
 * the same transaction as the change that could break it.
 */
#include "core/err.h"
#include "db/sqlite/store.h"

#include <stdlib.h>
#include <string.h>

#define USER_COLS                                                                          \
    "id, email, name, role, password_hash, disabled, created_at, last_login_at, provider, " \
    "EXISTS (SELECT 1 FROM mfa m WHERE m.user_id = users.id AND m.enabled = 1), "          \
    "must_change_password"

#define ACCOUNTS_STATEMENTS(X)                                                                     \
    X(USER_COUNT, "SELECT count(*) FROM users")                                                    \
    X(ADMIN_COUNT, "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0")             \
    X(USER_INSERT, "INSERT INTO users (email, name, role, password_hash, disabled, created_at, "   \
                   "must_change_password) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")                     \
    X(USER_GET, "SELECT " USER_COLS " FROM users WHERE id = ?1")                                   \
    X(USER_GET_EMAIL, "SELECT " USER_COLS " FROM users WHERE email = ?1")                          \
    X(USER_LIST, "SELECT " USER_COLS " FROM users ORDER BY id")                                    \
    X(USER_UPDATE, "UPDATE users SET name = ?2, role = ?3, password_hash = ?4, disabled = ?5, "    \
                   "must_change_password = ?6 WHERE id = ?1")                                      \
    X(USER_LAST_LOGIN, "UPDATE users SET last_login_at = ?2 WHERE id = ?1")                        \
    X(USER_DELETE, "DELETE FROM users WHERE id = ?1")                                              \
    X(SESSION_INSERT, "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, "      \
                      "expires_at, id, ip, user_agent) "                                           \
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")                                \
    X(SESSION_GET, "SELECT s.user_id, s.created_at, s.last_seen_at, s.expires_at, u.id, u.email, " \
                   "u.name, u.role, u.password_hash, u.disabled, u.created_at, u.last_login_at, " \
                   "u.provider, "                                                               \
                   "EXISTS (SELECT 1 FROM mfa m WHERE m.user_id = u.id AND m.enabled = 1), "  \
                   "u.must_change_password, s.id, s.ip, s.user_agent "                                                  \
                   "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1")     \
    X(SESSION_TOUCH, "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1")                \
    X(SESSION_DELETE, "DELETE FROM sessions WHERE token_hash = ?1")                                \
    X(SESSION_DELETE_USER, "DELETE FROM sessions WHERE user_id = ?1")                              \
    X(SESSION_DELETE_OTHERS, "DELETE FROM sessions WHERE user_id = ?1 AND token_hash <> ?2")       \
    X(SESSION_PURGE, "DELETE FROM sessions WHERE last_seen_at < ?1 OR expires_at <= ?2")           \
    X(GRANTS_GET,                                                                                  \
      "SELECT bucket, prefix, level FROM grants WHERE user_id = ?1 ORDER BY bucket, prefix")       \
    X(GRANTS_DELETE, "DELETE FROM grants WHERE user_id = ?1")                                      \
    X(GRANTS_INSERT,                                                                               \
      "INSERT OR IGNORE INTO grants (user_id, bucket, prefix, level) VALUES (?1, ?2, ?3, ?4)")     \
    X(THROTTLE_GET, "SELECT failures, window_start FROM login_throttle WHERE key = ?1")            \
    X(THROTTLE_UPSERT,                                                                             \
      "INSERT INTO login_throttle (key, failures, window_start) VALUES (?1, 1, ?2) "               \
      "ON CONFLICT (key) DO UPDATE SET "                                                           \
      "failures = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE failures + 1 END, "                \
      "window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2 ELSE window_start END "            \
      "RETURNING failures, window_start")                                                          \
    X(THROTTLE_CLEAR, "DELETE FROM login_throttle WHERE key = ?1")                                 \
    X(THROTTLE_PURGE, "DELETE FROM login_throttle WHERE window_start <= ?1")                       \
    X(INVITATION_DELETE_USER, "DELETE FROM invitations WHERE user_id = ?1")                        \
    X(INVITATION_INSERT, "INSERT INTO invitations (token_hash, user_id, created_by, created_at, "  \
                         "expires_at) VALUES (?1, ?2, ?3, ?4, ?5)")                                \
    X(INVITATION_GET, "SELECT user_id, created_by, created_at, expires_at FROM invitations "       \
                      "WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2")             \
    /* The one statement that takes an invitation: a second taker finds used_at set. */            \
    X(INVITATION_TAKE, "UPDATE invitations SET used_at = ?2 "                                      \
                       "WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2 "            \
                       "RETURNING user_id")                                                        \
    X(USER_SET_PASSWORD, "UPDATE users SET password_hash = ?2, must_change_password = 0 "          \
                         "WHERE id = ?1 AND disabled = 0")

SQLITE__STATEMENTS(ACCOUNTS_STATEMENTS, SQLITE__ACCOUNTS)

static void read_user(sqlite3_stmt *st, int base, struct db_user *u)
{
    memset(u, 0, sizeof(*u));
    u->id = sqlite3_column_int64(st, base + 0);
    sqlite__copy_col(st, base + 1, u->email, sizeof(u->email));
    sqlite__copy_col(st, base + 2, u->name, sizeof(u->name));
    sqlite__copy_col(st, base + 3, u->role, sizeof(u->role));
    sqlite__copy_col(st, base + 4, u->password_hash, sizeof(u->password_hash));
    u->disabled = sqlite3_column_int(st, base + 5) != 0;
    u->created_at = sqlite3_column_int64(st, base + 6);
    u->last_login_at = sqlite3_column_int64(st, base + 7);
    sqlite__copy_col(st, base + 8, u->provider, sizeof(u->provider));
    u->mfa = sqlite3_column_int(st, base + 9) != 0;
    u->must_change_password = sqlite3_column_int(st, base + 10) != 0;
}

/* Refuses a change that would leave no enabled admin (checked inside the transaction). */
static int check_admin_remains(struct sqlite__conn *c)
{
    sqlite3_stmt *st = stmt(c, STMT_ADMIN_COUNT);
    if (!st)
        return SEAU_E_DB;
    int rc = sqlite3_step(st);
    int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (n < 0)
        return sqlite__map_rc(rc);
    return n > 0 ? 0 : SEAU_E_CONFLICT;
}

static int count_query(struct db *db, enum stmt_id id, int64_t *ret)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, id);
    int rc = SEAU_E_DB;
    if (st) {
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            *ret = sqlite3_column_int64(st, 0);
            rc = 0;
        } else {
            rc = sqlite__fail(r);
        }
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__user_count(struct db *db, int64_t *ret)
{
    return count_query(db, STMT_USER_COUNT, ret);
}

int sqlite__user_insert(struct db *db, struct db_user *u, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_USER_INSERT);
        if (!st) {
            rc = SEAU_E_DB;
        } else {
            sqlite__bind_text(st, 1, u->email);
            sqlite__bind_text(st, 2, u->name);
            sqlite__bind_text(st, 3, u->role);
            sqlite__bind_text(st, 4, u->password_hash);
            sqlite3_bind_int(st, 5, u->disabled);
            sqlite3_bind_int64(st, 6, u->created_at);
            sqlite3_bind_int(st, 7, u->must_change_password);
            rc = sqlite__exec(st);
            if (rc == 0)
                u->id = sqlite3_last_insert_rowid(c->handle);
        }
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

static int get_user_by(struct db *db, enum stmt_id id, int64_t key_id, const char *key_email,
                       struct db_user *ret)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, id);
    int rc = SEAU_E_DB;
    if (st) {
        if (key_email)
            sqlite__bind_text(st, 1, key_email);
        else
            sqlite3_bind_int64(st, 1, key_id);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            read_user(st, 0, ret);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__map_rc(r);
        }
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__user_get(struct db *db, int64_t id, struct db_user *ret)
{
    return get_user_by(db, STMT_USER_GET, id, NULL, ret);
}

int sqlite__user_get_by_email(struct db *db, const char *email, struct db_user *ret)
{
    return get_user_by(db, STMT_USER_GET_EMAIL, 0, email, ret);
}

int sqlite__user_list(struct db *db, struct db_user **ret, size_t *ret_n)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_USER_LIST);
    struct db_user *users = NULL;
    size_t n = 0, cap = 0;
    int rc = st ? 0 : SEAU_E_DB;
    while (rc == 0) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = sqlite__fail(r);
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct db_user *p = realloc(users, ncap * sizeof(*p));
            if (!p) {
                rc = SEAU_E_NOMEM;
                break;
            }
            users = p;
            cap = ncap;
        }
        read_user(st, 0, &users[n++]);
    }
    if (st)
        sqlite3_reset(st);
    sqlite__release(db, c);
    if (rc) {
        free(users);
        return rc;
    }
    *ret = users;
    *ret_n = n;
    return 0;
}

int sqlite__user_update(struct db *db, const struct db_user *u, enum db_revoke revoke,
                        const unsigned char *keep_token_hash, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_USER_UPDATE);
        if (!st) {
            rc = SEAU_E_DB;
        } else {
            sqlite3_bind_int64(st, 1, u->id);
            sqlite__bind_text(st, 2, u->name);
            sqlite__bind_text(st, 3, u->role);
            sqlite__bind_text(st, 4, u->password_hash);
            sqlite3_bind_int(st, 5, u->disabled);
            sqlite3_bind_int(st, 6, u->must_change_password);
            rc = sqlite__exec(st);
            if (rc == 0 && sqlite3_changes(c->handle) == 0)
                rc = SEAU_E_NOT_FOUND;
        }
        if (rc == 0)
            rc = check_admin_remains(c);
        if (rc == 0 && revoke == DB_REVOKE_ALL) {
            st = stmt(c, STMT_SESSION_DELETE_USER);
            if (st)
                sqlite3_bind_int64(st, 1, u->id);
            rc = sqlite__exec(st);
        } else if (rc == 0 && revoke == DB_REVOKE_OTHERS) {
            st = stmt(c, STMT_SESSION_DELETE_OTHERS);
            if (st) {
                sqlite3_bind_int64(st, 1, u->id);
                sqlite3_bind_blob(st, 2, keep_token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
            }
            rc = sqlite__exec(st);
        }
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__user_delete(struct db *db, int64_t id, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_USER_DELETE);
        if (st)
            sqlite3_bind_int64(st, 1, id);
        rc = sqlite__exec(st);
        if (rc == 0 && sqlite3_changes(c->handle) == 0)
            rc = SEAU_E_NOT_FOUND;
        if (rc == 0)
            rc = check_admin_remains(c);
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__session_create(struct db *db, const struct db_session *s, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_SESSION_INSERT);
        if (st) {
            sqlite3_bind_blob(st, 1, s->token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, s->user_id);
            sqlite3_bind_int64(st, 3, s->created_at);
            sqlite3_bind_int64(st, 4, s->last_seen_at);
            sqlite3_bind_int64(st, 5, s->expires_at);
            sqlite__bind_opt_text(st, 6, s->id); /* NULL: a session without a public id */
            sqlite__bind_opt_text(st, 7, s->ip);
            sqlite__bind_opt_text(st, 8, s->user_agent);
        }
        rc = sqlite__exec(st);
        if (rc == 0) {
            st = stmt(c, STMT_USER_LAST_LOGIN);
            if (st) {
                sqlite3_bind_int64(st, 1, s->user_id);
                sqlite3_bind_int64(st, 2, s->created_at);
            }
            rc = sqlite__exec(st);
        }
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__session_get(struct db *db, const unsigned char *token_hash, struct db_session *ret_s,
                        struct db_user *ret_u)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_SESSION_GET);
    int rc = SEAU_E_DB;
    if (st) {
        sqlite3_bind_blob(st, 1, token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            memcpy(ret_s->token_hash, token_hash, DB_TOKEN_HASH_LEN);
            ret_s->user_id = sqlite3_column_int64(st, 0);
            ret_s->created_at = sqlite3_column_int64(st, 1);
            ret_s->last_seen_at = sqlite3_column_int64(st, 2);
            ret_s->expires_at = sqlite3_column_int64(st, 3);
            read_user(st, 4, ret_u);
            sqlite__copy_col(st, 15, ret_s->id, sizeof(ret_s->id));
            sqlite__copy_col(st, 16, ret_s->ip, sizeof(ret_s->ip));
            sqlite__copy_col(st, 17, ret_s->user_agent, sizeof(ret_s->user_agent));
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__map_rc(r);
        }
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    return rc;
}

static int exec_hash_stmt(struct db *db, enum stmt_id id, const unsigned char *hash, int64_t n,
                          bool bind_n, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = audit ? sqlite__tx_begin(c) : 0;
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, id);
        if (st) {
            sqlite3_bind_blob(st, 1, hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
            if (bind_n)
                sqlite3_bind_int64(st, 2, n);
        }
        rc = sqlite__exec(st);
        if (rc == 0 && sqlite3_changes(c->handle) == 0)
            rc = SEAU_E_NOT_FOUND;
        if (audit) {
            rc = sqlite__audit_write(db, c, rc, audit);
            rc = sqlite__tx_end(c, rc);
        }
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__session_touch(struct db *db, const unsigned char *token_hash, int64_t now)
{
    return exec_hash_stmt(db, STMT_SESSION_TOUCH, token_hash, now, true, NULL);
}

int sqlite__session_delete(struct db *db, const unsigned char *token_hash,
                           struct db_audit_entry *audit)
{
    return exec_hash_stmt(db, STMT_SESSION_DELETE, token_hash, 0, false, audit);
}

int sqlite__session_purge(struct db *db, int64_t idle_before, int64_t now)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_SESSION_PURGE);
    if (st) {
        sqlite3_bind_int64(st, 1, idle_before);
        sqlite3_bind_int64(st, 2, now);
    }
    int rc = sqlite__exec(st);
    sqlite__release(db, c);
    return rc;
}

int sqlite__grants_get(struct db *db, int64_t user_id, struct db_grant **ret, size_t *ret_n)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_GRANTS_GET);
    struct db_grant *g = NULL;
    size_t n = 0, cap = 0;
    int rc = st ? 0 : SEAU_E_DB;
    if (st)
        sqlite3_bind_int64(st, 1, user_id);
    while (rc == 0) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = sqlite__fail(r);
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct db_grant *p = realloc(g, ncap * sizeof(*p));
            if (!p) {
                rc = SEAU_E_NOMEM;
                break;
            }
            g = p;
            cap = ncap;
        }
        sqlite__copy_col(st, 0, g[n].bucket, sizeof(g[n].bucket));
        sqlite__copy_col(st, 1, g[n].prefix, sizeof(g[n].prefix));
        sqlite__copy_col(st, 2, g[n].level, sizeof(g[n].level));
        n++;
    }
    if (st)
        sqlite3_reset(st);
    sqlite__release(db, c);
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

int sqlite__grants_set(struct db *db, int64_t user_id, const struct db_grant *g, size_t n,
                       struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_GRANTS_DELETE);
        if (st)
            sqlite3_bind_int64(st, 1, user_id);
        rc = sqlite__exec(st);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            st = stmt(c, STMT_GRANTS_INSERT);
            if (st) {
                sqlite3_bind_int64(st, 1, user_id);
                sqlite__bind_text(st, 2, g[i].bucket);
                sqlite__bind_text(st, 3, g[i].prefix);
                sqlite__bind_text(st, 4, grant_level(&g[i]));
            }
            rc = sqlite__exec(st);
        }
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__throttle_get(struct db *db, const char *key, struct db_throttle *ret)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_THROTTLE_GET);
    int rc = SEAU_E_DB;
    if (st) {
        sqlite__bind_text(st, 1, key);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            ret->failures = sqlite3_column_int64(st, 0);
            ret->window_start = sqlite3_column_int64(st, 1);
            rc = 0;
        } else if (r == SQLITE_DONE) {
            ret->failures = 0;
            ret->window_start = 0;
            rc = 0;
        } else {
            rc = sqlite__map_rc(r);
        }
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__throttle_fail(struct db *db, const char *key, int64_t now, int64_t window_ms,
                          struct db_throttle *ret)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        /* Old windows of other keys are dropped here so the table stays small. */
        sqlite3_stmt *st = stmt(c, STMT_THROTTLE_PURGE);
        if (st)
            sqlite3_bind_int64(st, 1, now - window_ms);
        rc = sqlite__exec(st);
        st = rc == 0 ? stmt(c, STMT_THROTTLE_UPSERT) : NULL;
        if (rc == 0 && !st)
            rc = SEAU_E_DB;
        if (rc == 0) {
            sqlite__bind_text(st, 1, key);
            sqlite3_bind_int64(st, 2, now);
            sqlite3_bind_int64(st, 3, window_ms);
            int r = sqlite3_step(st);
            if (r == SQLITE_ROW) {
                ret->failures = sqlite3_column_int64(st, 0);
                ret->window_start = sqlite3_column_int64(st, 1);
                rc = sqlite__exec(st);
            } else {
                rc = sqlite__fail(r);
                sqlite3_reset(st);
            }
        }
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__throttle_clear(struct db *db, const char *key)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_THROTTLE_CLEAR);
    if (st)
        sqlite__bind_text(st, 1, key);
    int rc = sqlite__exec(st);
    sqlite__release(db, c);
    return rc;
}

/* ------------------------------------------------------------ invitations */

int sqlite__invitation_put(struct db *db, const struct db_invitation *inv,
                           struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_INVITATION_DELETE_USER);
        if (st)
            sqlite3_bind_int64(st, 1, inv->user_id);
        rc = sqlite__exec(st);
        if (rc == 0) {
            st = stmt(c, STMT_INVITATION_INSERT);
            if (st) {
                sqlite3_bind_blob(st, 1, inv->token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
                sqlite3_bind_int64(st, 2, inv->user_id);
                if (inv->created_by)
                    sqlite3_bind_int64(st, 3, inv->created_by);
                sqlite3_bind_int64(st, 4, inv->created_at);
                sqlite3_bind_int64(st, 5, inv->expires_at);
            }
            rc = sqlite__exec(st);
            /* The account is gone (foreign key): nothing to invite. */
            if (rc == SEAU_E_CONFLICT)
                rc = SEAU_E_NOT_FOUND;
        }
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__invitation_get(struct db *db, const unsigned char *token_hash, int64_t now,
                           struct db_invitation *ret_inv, struct db_user *ret_u)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    struct db_invitation inv;
    memset(&inv, 0, sizeof(inv));
    sqlite3_stmt *st = stmt(c, STMT_INVITATION_GET);
    int rc = SEAU_E_DB;
    if (st) {
        sqlite3_bind_blob(st, 1, token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            memcpy(inv.token_hash, token_hash, DB_TOKEN_HASH_LEN);
            inv.user_id = sqlite3_column_int64(st, 0);
            inv.created_by = sqlite3_column_int64(st, 1);
            inv.created_at = sqlite3_column_int64(st, 2);
            inv.expires_at = sqlite3_column_int64(st, 3);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__map_rc(r);
        }
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    struct db_user u;
    if (rc == 0)
        rc = sqlite__user_get(db, inv.user_id, &u);
    if (rc == 0 && u.disabled)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0) {
        *ret_inv = inv;
        *ret_u = u;
    }
    return rc;
}

int sqlite__invitation_accept(struct db *db, const unsigned char *token_hash, int64_t now,
                              const char *password_hash, struct db_audit_entry *audit,
                              struct db_user *ret_u)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    struct db_user u;
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        int64_t user_id = 0;
        sqlite3_stmt *st = stmt(c, STMT_INVITATION_TAKE);
        rc = SEAU_E_DB;
        if (st) {
            sqlite3_bind_blob(st, 1, token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, now);
            int r = sqlite3_step(st);
            if (r == SQLITE_ROW) {
                user_id = sqlite3_column_int64(st, 0);
                r = sqlite3_step(st);
            }
            rc = user_id ? sqlite__map_rc(r) : r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__fail(r);
            sqlite3_reset(st);
        }
        if (rc == 0) {
            st = stmt(c, STMT_USER_SET_PASSWORD);
            if (st) {
                sqlite3_bind_int64(st, 1, user_id);
                sqlite__bind_text(st, 2, password_hash);
            }
            rc = sqlite__exec(st);
            /* Disabled since the link was made: the link does not revive the account. */
            if (rc == 0 && sqlite3_changes(c->handle) == 0)
                rc = SEAU_E_NOT_FOUND;
        }
        if (rc == 0) {
            st = stmt(c, STMT_USER_GET);
            rc = SEAU_E_DB;
            if (st) {
                sqlite3_bind_int64(st, 1, user_id);
                int r = sqlite3_step(st);
                if (r == SQLITE_ROW)
                    read_user(st, 0, &u);
                rc = r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__fail(r);
                sqlite3_reset(st);
            }
        }
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    if (rc == 0)
        *ret_u = u;
    return rc;
}
