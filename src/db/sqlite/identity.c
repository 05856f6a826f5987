/*
 * The SQLite store's sessions (listed and ended by public id), second
 * factors (TOTP enrolments, recovery codes, pending second-factor
 * sign-ins) and personal access tokens: migration 0008.
 *
 * A TOTP code is accepted once: db_mfa_use_step is one UPDATE guarded by
 * last_step < step, so of two requests with the same code only one changes
 * the row. Recovery codes are used the same way (used_at IS NULL).
 */
#include "core/err.h"
#include "db/sqlite/store.h"

#include <stdlib.h>
#include <string.h>

#define SESSION_COLS "token_hash, user_id, created_at, last_seen_at, expires_at, id, ip, user_agent"
#define PAT_COLS     "id, user_id, name, token_hash, created_at, expires_at, last_used_at"

#define IDENTITY_STATEMENTS(X)                                                                     \
    X(SESSION_LIST, "SELECT " SESSION_COLS " FROM sessions WHERE user_id = ?1 "                    \
                    "AND last_seen_at >= ?2 AND expires_at > ?3 ORDER BY created_at DESC, id")     \
    X(SESSION_DELETE_ID, "DELETE FROM sessions WHERE user_id = ?1 AND id = ?2")                    \
    X(SESSION_DELETE_OTHERS, "DELETE FROM sessions WHERE user_id = ?1 AND token_hash <> ?2")       \
    X(MFA_GET,                                                                                     \
      "SELECT user_id, secret, enabled, last_step, created_at FROM mfa WHERE user_id = ?1")        \
    X(MFA_SETUP, "INSERT INTO mfa (user_id, secret, enabled, last_step, created_at) "              \
                 "VALUES (?1, ?2, 0, 0, ?3) ON CONFLICT (user_id) DO UPDATE SET "                  \
                 "secret = excluded.secret, last_step = 0, created_at = excluded.created_at "      \
                 "WHERE mfa.enabled = 0")                                                          \
    X(MFA_ENABLE, "UPDATE mfa SET enabled = 1, last_step = ?2 "                                    \
                  "WHERE user_id = ?1 AND enabled = 0 AND last_step < ?2")                         \
    X(MFA_EXISTS, "SELECT 1 FROM mfa WHERE user_id = ?1")                                          \
    X(MFA_USE_STEP, "UPDATE mfa SET last_step = ?2 "                                               \
                    "WHERE user_id = ?1 AND enabled = 1 AND last_step < ?2")                       \
    X(RECOVERY_CLEAR, "DELETE FROM mfa_recovery WHERE user_id = ?1")                               \
    X(RECOVERY_INSERT, "INSERT INTO mfa_recovery (user_id, code_hash) VALUES (?1, ?2)")            \
    X(RECOVERY_USE, "UPDATE mfa_recovery SET used_at = ?3 "                                        \
                    "WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL")                   \
    X(RECOVERY_LEFT, "SELECT count(*) FROM mfa_recovery WHERE user_id = ?1 AND used_at IS NULL")   \
    X(MFA_DELETE, "DELETE FROM mfa WHERE user_id = ?1")                                            \
    X(CHALLENGE_PURGE, "DELETE FROM mfa_challenges WHERE expires_at <= ?1")                        \
    X(CHALLENGE_INSERT,                                                                            \
      "INSERT INTO mfa_challenges (token_hash, user_id, created_at, expires_at) "                  \
      "VALUES (?1, ?2, ?3, ?4)")                                                                   \
    X(CHALLENGE_GET,                                                                               \
      "SELECT user_id FROM mfa_challenges WHERE token_hash = ?1 AND expires_at > ?2")              \
    X(CHALLENGE_DELETE, "DELETE FROM mfa_challenges WHERE token_hash = ?1")                        \
    X(PAT_COUNT, "SELECT count(*) FROM tokens WHERE user_id = ?1")                                 \
    X(PAT_INSERT, "INSERT INTO tokens (" PAT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)")       \
    X(PAT_LIST, "SELECT " PAT_COLS " FROM tokens WHERE user_id = ?1 ORDER BY created_at DESC, id") \
    X(PAT_GET_HASH, "SELECT t.id, t.user_id, t.name, t.token_hash, t.created_at, t.expires_at, "   \
                    "t.last_used_at, u.id, u.email, u.name, u.role, u.password_hash, u.disabled, " \
                    "u.created_at, u.last_login_at, "                                              \
                    "EXISTS (SELECT 1 FROM mfa m WHERE m.user_id = u.id AND m.enabled = 1) "       \
                    "FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?1")      \
    X(PAT_TOUCH, "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1")                              \
    X(PAT_DELETE, "DELETE FROM tokens WHERE user_id = ?1 AND id = ?2")

SQLITE__STATEMENTS(IDENTITY_STATEMENTS, SQLITE__IDENTITY)

/* Grows *arr (of elem bytes) to hold one more; false when out of memory. */
static bool grow(void **arr, size_t elem, size_t n, size_t *cap)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

static void read_session(sqlite3_stmt *st, struct db_session *s)
{
    memset(s, 0, sizeof(*s));
    if (sqlite3_column_bytes(st, 0) == DB_TOKEN_HASH_LEN)
        memcpy(s->token_hash, sqlite3_column_blob(st, 0), DB_TOKEN_HASH_LEN);
    s->user_id = sqlite3_column_int64(st, 1);
    s->created_at = sqlite3_column_int64(st, 2);
    s->last_seen_at = sqlite3_column_int64(st, 3);
    s->expires_at = sqlite3_column_int64(st, 4);
    sqlite__copy_col(st, 5, s->id, sizeof(s->id));
    sqlite__copy_col(st, 6, s->ip, sizeof(s->ip));
    sqlite__copy_col(st, 7, s->user_agent, sizeof(s->user_agent));
}

int sqlite__session_list(struct db *db, int64_t user_id, int64_t idle_before, int64_t now,
                         struct db_session **ret, size_t *ret_n)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_SESSION_LIST);
    struct db_session *rows = NULL;
    size_t n = 0, cap = 0;
    int rc = st ? 0 : SEAU_E_DB;
    if (st) {
        sqlite3_bind_int64(st, 1, user_id);
        sqlite3_bind_int64(st, 2, idle_before);
        sqlite3_bind_int64(st, 3, now);
    }
    while (rc == 0) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = sqlite__fail(r);
            break;
        }
        if (!grow((void **)&rows, sizeof(*rows), n, &cap)) {
            rc = SEAU_E_NOMEM;
            break;
        }
        read_session(st, &rows[n++]);
    }
    if (st)
        sqlite3_reset(st);
    sqlite__release(db, c);
    if (rc) {
        free(rows);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}

int sqlite__session_delete_id(struct db *db, int64_t user_id, const char *id,
                              struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_SESSION_DELETE_ID);
        if (st) {
            sqlite3_bind_int64(st, 1, user_id);
            sqlite__bind_text(st, 2, id);
        }
        rc = sqlite__exec(st);
        if (rc == 0 && sqlite3_changes(c->handle) == 0)
            rc = SEAU_E_NOT_FOUND;
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__session_delete_others(struct db *db, int64_t user_id, const unsigned char *keep,
                                  struct db_audit_entry *audit, int64_t *ret_n)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int64_t n = 0;
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_SESSION_DELETE_OTHERS);
        if (st) {
            sqlite3_bind_int64(st, 1, user_id);
            sqlite3_bind_blob(st, 2, keep, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
        }
        rc = sqlite__exec(st);
        if (rc == 0)
            n = sqlite3_changes(c->handle);
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    if (rc == 0 && ret_n)
        *ret_n = n;
    return rc;
}

int sqlite__mfa_get(struct db *db, int64_t user_id, struct db_mfa *ret)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_MFA_GET);
    int rc = SEAU_E_DB;
    if (st) {
        sqlite3_bind_int64(st, 1, user_id);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            struct db_mfa m;
            memset(&m, 0, sizeof(m));
            m.user_id = sqlite3_column_int64(st, 0);
            int len = sqlite3_column_bytes(st, 1);
            const void *blob = sqlite3_column_blob(st, 1);
            if (len <= 0 || len > DB_MFA_SECRET_MAX || !blob) {
                rc = SEAU_E_DB;
            } else {
                memcpy(m.secret, blob, (size_t)len);
                m.secret_len = (size_t)len;
                m.enabled = sqlite3_column_int(st, 2) != 0;
                m.last_step = sqlite3_column_int64(st, 3);
                m.created_at = sqlite3_column_int64(st, 4);
                *ret = m;
                rc = 0;
            }
            memset(&m, 0, sizeof(m));
        } else {
            rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__map_rc(r);
        }
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__mfa_setup(struct db *db, const struct db_mfa *m, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_MFA_SETUP);
        if (st) {
            sqlite3_bind_int64(st, 1, m->user_id);
            sqlite3_bind_blob(st, 2, m->secret, (int)m->secret_len, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, m->created_at);
        }
        rc = sqlite__exec(st);
        if (rc == 0 && sqlite3_changes(c->handle) == 0)
            rc = SEAU_E_CONFLICT;
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

/* Whether the user has an enrolment at all (inside the caller's transaction). */
static int mfa_exists(struct sqlite__conn *c, int64_t user_id)
{
    sqlite3_stmt *st = stmt(c, STMT_MFA_EXISTS);
    if (!st)
        return SEAU_E_DB;
    sqlite3_bind_int64(st, 1, user_id);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r == SQLITE_ROW)
        return 0;
    return r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__fail(r);
}

int sqlite__mfa_enable(struct db *db, int64_t user_id, int64_t step,
                       const unsigned char (*codes)[DB_TOKEN_HASH_LEN], size_t n,
                       struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_MFA_ENABLE);
        if (st) {
            sqlite3_bind_int64(st, 1, user_id);
            sqlite3_bind_int64(st, 2, step);
        }
        rc = sqlite__exec(st);
        if (rc == 0 && sqlite3_changes(c->handle) == 0) {
            rc = mfa_exists(c, user_id);
            if (rc == 0)
                rc = SEAU_E_CONFLICT;
        }
        if (rc == 0) {
            st = stmt(c, STMT_RECOVERY_CLEAR);
            if (st)
                sqlite3_bind_int64(st, 1, user_id);
            rc = sqlite__exec(st);
        }
        for (size_t i = 0; rc == 0 && i < n; i++) {
            st = stmt(c, STMT_RECOVERY_INSERT);
            if (st) {
                sqlite3_bind_int64(st, 1, user_id);
                sqlite3_bind_blob(st, 2, codes[i], DB_TOKEN_HASH_LEN, SQLITE_STATIC);
            }
            rc = sqlite__exec(st);
        }
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__mfa_use_step(struct db *db, int64_t user_id, int64_t step)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_MFA_USE_STEP);
    if (st) {
        sqlite3_bind_int64(st, 1, user_id);
        sqlite3_bind_int64(st, 2, step);
    }
    int rc = sqlite__exec(st);
    if (rc == 0 && sqlite3_changes(c->handle) == 0)
        rc = SEAU_E_CONFLICT;
    sqlite__release(db, c);
    return rc;
}

int sqlite__mfa_use_recovery(struct db *db, int64_t user_id, const unsigned char *code_hash,
                             int64_t now)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_RECOVERY_USE);
    if (st) {
        sqlite3_bind_int64(st, 1, user_id);
        sqlite3_bind_blob(st, 2, code_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, now);
    }
    int rc = sqlite__exec(st);
    if (rc == 0 && sqlite3_changes(c->handle) == 0)
        rc = SEAU_E_NOT_FOUND;
    sqlite__release(db, c);
    return rc;
}

int sqlite__mfa_recovery_left(struct db *db, int64_t user_id, int64_t *ret)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_RECOVERY_LEFT);
    int rc = SEAU_E_DB;
    if (st) {
        sqlite3_bind_int64(st, 1, user_id);
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

int sqlite__mfa_delete(struct db *db, int64_t user_id, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_MFA_DELETE);
        if (st)
            sqlite3_bind_int64(st, 1, user_id);
        rc = sqlite__exec(st);
        if (rc == 0 && sqlite3_changes(c->handle) == 0)
            rc = SEAU_E_NOT_FOUND;
        if (rc == 0) {
            st = stmt(c, STMT_RECOVERY_CLEAR);
            if (st)
                sqlite3_bind_int64(st, 1, user_id);
            rc = sqlite__exec(st);
        }
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__mfa_challenge_create(struct db *db, const unsigned char *token_hash, int64_t user_id,
                                 int64_t now, int64_t expires_at)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_CHALLENGE_PURGE);
        if (st)
            sqlite3_bind_int64(st, 1, now);
        rc = sqlite__exec(st);
        if (rc == 0) {
            st = stmt(c, STMT_CHALLENGE_INSERT);
            if (st) {
                sqlite3_bind_blob(st, 1, token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
                sqlite3_bind_int64(st, 2, user_id);
                sqlite3_bind_int64(st, 3, now);
                sqlite3_bind_int64(st, 4, expires_at);
            }
            rc = sqlite__exec(st);
        }
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__mfa_challenge_get(struct db *db, const unsigned char *token_hash, int64_t now,
                              int64_t *ret_user_id)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_CHALLENGE_GET);
    int rc = SEAU_E_DB;
    if (st) {
        sqlite3_bind_blob(st, 1, token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            *ret_user_id = sqlite3_column_int64(st, 0);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__map_rc(r);
        }
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__mfa_challenge_delete(struct db *db, const unsigned char *token_hash)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_CHALLENGE_DELETE);
    if (st)
        sqlite3_bind_blob(st, 1, token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
    int rc = sqlite__exec(st);
    sqlite__release(db, c);
    return rc;
}

int sqlite__pat_insert(struct db *db, const struct db_pat *t, size_t max_per_user,
                       struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_PAT_COUNT);
        if (!st) {
            rc = SEAU_E_DB;
        } else {
            sqlite3_bind_int64(st, 1, t->user_id);
            int r = sqlite3_step(st);
            if (r != SQLITE_ROW)
                rc = sqlite__fail(r);
            else if ((size_t)sqlite3_column_int64(st, 0) >= max_per_user)
                rc = SEAU_E_CONFLICT;
            sqlite3_reset(st);
        }
        if (rc == 0) {
            st = stmt(c, STMT_PAT_INSERT);
            if (st) {
                sqlite__bind_text(st, 1, t->id);
                sqlite3_bind_int64(st, 2, t->user_id);
                sqlite__bind_text(st, 3, t->name);
                sqlite3_bind_blob(st, 4, t->token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
                sqlite3_bind_int64(st, 5, t->created_at);
                if (t->expires_at)
                    sqlite3_bind_int64(st, 6, t->expires_at);
                else
                    sqlite3_bind_null(st, 6);
            }
            rc = sqlite__exec(st);
        }
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

static void read_pat(sqlite3_stmt *st, struct db_pat *t)
{
    memset(t, 0, sizeof(*t));
    sqlite__copy_col(st, 0, t->id, sizeof(t->id));
    t->user_id = sqlite3_column_int64(st, 1);
    sqlite__copy_col(st, 2, t->name, sizeof(t->name));
    if (sqlite3_column_bytes(st, 3) == DB_TOKEN_HASH_LEN)
        memcpy(t->token_hash, sqlite3_column_blob(st, 3), DB_TOKEN_HASH_LEN);
    t->created_at = sqlite3_column_int64(st, 4);
    t->expires_at = sqlite3_column_int64(st, 5);
    t->last_used_at = sqlite3_column_int64(st, 6);
}

int sqlite__pat_list(struct db *db, int64_t user_id, struct db_pat **ret, size_t *ret_n)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_PAT_LIST);
    struct db_pat *rows = NULL;
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
        if (!grow((void **)&rows, sizeof(*rows), n, &cap)) {
            rc = SEAU_E_NOMEM;
            break;
        }
        read_pat(st, &rows[n++]);
    }
    if (st)
        sqlite3_reset(st);
    sqlite__release(db, c);
    if (rc) {
        free(rows);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}

int sqlite__pat_get_by_hash(struct db *db, const unsigned char *token_hash, struct db_pat *ret_t,
                            struct db_user *ret_u)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_PAT_GET_HASH);
    int rc = SEAU_E_DB;
    if (st) {
        sqlite3_bind_blob(st, 1, token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            read_pat(st, ret_t);
            struct db_user *u = ret_u;
            memset(u, 0, sizeof(*u));
            u->id = sqlite3_column_int64(st, 7);
            sqlite__copy_col(st, 8, u->email, sizeof(u->email));
            sqlite__copy_col(st, 9, u->name, sizeof(u->name));
            sqlite__copy_col(st, 10, u->role, sizeof(u->role));
            sqlite__copy_col(st, 11, u->password_hash, sizeof(u->password_hash));
            u->disabled = sqlite3_column_int(st, 12) != 0;
            u->created_at = sqlite3_column_int64(st, 13);
            u->last_login_at = sqlite3_column_int64(st, 14);
            u->mfa = sqlite3_column_int(st, 15) != 0;
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__map_rc(r);
        }
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__pat_touch(struct db *db, const char *id, int64_t now)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_PAT_TOUCH);
    if (st) {
        sqlite__bind_text(st, 1, id);
        sqlite3_bind_int64(st, 2, now);
    }
    int rc = sqlite__exec(st);
    sqlite__release(db, c);
    return rc;
}

int sqlite__pat_delete(struct db *db, int64_t user_id, const char *id, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_PAT_DELETE);
        if (st) {
            sqlite3_bind_int64(st, 1, user_id);
            sqlite__bind_text(st, 2, id);
        }
        rc = sqlite__exec(st);
        if (rc == 0 && sqlite3_changes(c->handle) == 0)
            rc = SEAU_E_NOT_FOUND;
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}
