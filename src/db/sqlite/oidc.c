/*
 * The SQLite store's single sign-on (auth/oidc.c): pending sign-ins, taken
 * once, and the just-in-time account of an identity provider's subject,
 * brought up to date and given its session in one transaction.
 */
#include "core/err.h"
#include "db/sqlite/store.h"

#include <stdio.h>
#include <string.h>

#define OIDC_USER_COLS                                                                             \
    "id, email, name, role, password_hash, disabled, created_at, last_login_at, provider"

#define OIDC_STATEMENTS(X)                                                                         \
    X(LOGIN_PURGE, "DELETE FROM oidc_logins WHERE expires_at <= ?1")                               \
    X(LOGIN_INSERT, "INSERT INTO oidc_logins (key_hash, provider, state, nonce, verifier, "        \
                    "return_to, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")  \
    X(LOGIN_TAKE, "DELETE FROM oidc_logins WHERE key_hash = ?1 RETURNING provider, state, nonce, " \
                  "verifier, return_to, created_at, expires_at")                                   \
    X(USER_BY_IDENTITY,                                                                            \
      "SELECT " OIDC_USER_COLS " FROM users WHERE provider = ?1 AND subject = ?2")                 \
    X(USER_INSERT, "INSERT INTO users (email, name, role, password_hash, disabled, created_at, "   \
                   "provider, subject) VALUES (?1, ?2, ?3, '!', 0, ?4, ?5, ?6)")                   \
    X(USER_UPDATE, "UPDATE users SET email = ?2, name = ?3, role = ?4, last_login_at = ?5 "        \
                   "WHERE id = ?1")                                                                \
    X(ADMIN_COUNT, "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0")             \
    X(GRANTS_DELETE, "DELETE FROM grants WHERE user_id = ?1")                                      \
    X(GRANTS_INSERT, "INSERT OR IGNORE INTO grants (user_id, bucket, prefix) VALUES (?1, ?2, ?3)") \
    X(SESSION_INSERT, "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, "      \
                      "expires_at, id, ip, user_agent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")

SQLITE__STATEMENTS(OIDC_STATEMENTS, SQLITE__OIDC)

int sqlite__oidc_login_put(struct db *db, const struct db_oidc_login *l, int64_t now)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_LOGIN_PURGE);
        if (st)
            sqlite3_bind_int64(st, 1, now);
        rc = sqlite__exec(st);
        if (rc == 0) {
            st = stmt(c, STMT_LOGIN_INSERT);
            if (st) {
                sqlite3_bind_blob(st, 1, l->key_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
                sqlite__bind_text(st, 2, l->provider);
                sqlite__bind_text(st, 3, l->state);
                sqlite__bind_text(st, 4, l->nonce);
                sqlite__bind_text(st, 5, l->verifier);
                sqlite__bind_text(st, 6, l->return_to);
                sqlite3_bind_int64(st, 7, l->created_at);
                sqlite3_bind_int64(st, 8, l->expires_at);
            }
            rc = sqlite__exec(st);
        }
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__oidc_login_take(struct db *db, const unsigned char *key_hash, int64_t now,
                            struct db_oidc_login *ret)
{
    struct db_oidc_login l;
    memset(&l, 0, sizeof(l));
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_LOGIN_TAKE);
        if (!st) {
            rc = SEAU_E_DB;
        } else {
            sqlite3_bind_blob(st, 1, key_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
            int r = sqlite3_step(st);
            if (r == SQLITE_ROW) {
                memcpy(l.key_hash, key_hash, DB_TOKEN_HASH_LEN);
                sqlite__copy_col(st, 0, l.provider, sizeof(l.provider));
                sqlite__copy_col(st, 1, l.state, sizeof(l.state));
                sqlite__copy_col(st, 2, l.nonce, sizeof(l.nonce));
                sqlite__copy_col(st, 3, l.verifier, sizeof(l.verifier));
                sqlite__copy_col(st, 4, l.return_to, sizeof(l.return_to));
                l.created_at = sqlite3_column_int64(st, 5);
                l.expires_at = sqlite3_column_int64(st, 6);
                while (r == SQLITE_ROW)
                    r = sqlite3_step(st);
                rc = sqlite__map_rc(r);
            } else {
                rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__map_rc(r);
            }
            sqlite3_reset(st);
        }
        /* The row goes even when it expired: it can never be used again. */
        int end = sqlite__tx_end(c, rc == SEAU_E_NOT_FOUND ? 0 : rc);
        if (rc == 0)
            rc = end;
    }
    sqlite__release(db, c);
    if (rc == 0 && l.expires_at <= now)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0)
        *ret = l;
    memset(&l, 0, sizeof(l));
    return rc;
}

/* Reads the account of (provider, subject); SEAU_E_NOT_FOUND when there is none. */
static int user_by_identity(struct sqlite__conn *c, const struct db_oidc_identity *id,
                            struct db_user *u)
{
    sqlite3_stmt *st = stmt(c, STMT_USER_BY_IDENTITY);
    if (!st)
        return SEAU_E_DB;
    sqlite__bind_text(st, 1, id->provider);
    sqlite__bind_text(st, 2, id->subject);
    int r = sqlite3_step(st);
    int rc;
    if (r == SQLITE_ROW) {
        memset(u, 0, sizeof(*u));
        u->id = sqlite3_column_int64(st, 0);
        sqlite__copy_col(st, 1, u->email, sizeof(u->email));
        sqlite__copy_col(st, 2, u->name, sizeof(u->name));
        sqlite__copy_col(st, 3, u->role, sizeof(u->role));
        u->disabled = sqlite3_column_int(st, 5) != 0;
        u->created_at = sqlite3_column_int64(st, 6);
        u->last_login_at = sqlite3_column_int64(st, 7);
        sqlite__copy_col(st, 8, u->provider, sizeof(u->provider));
        rc = 0;
    } else {
        rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__map_rc(r);
    }
    sqlite3_reset(st);
    return rc;
}

static int admin_remains(struct sqlite__conn *c)
{
    sqlite3_stmt *st = stmt(c, STMT_ADMIN_COUNT);
    if (!st)
        return SEAU_E_DB;
    int r = sqlite3_step(st);
    int64_t n = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (n < 0)
        return sqlite__map_rc(r);
    return n > 0 ? 0 : SEAU_E_CONFLICT;
}

static int set_grants(struct sqlite__conn *c, int64_t user_id, const struct db_oidc_identity *id)
{
    sqlite3_stmt *st = stmt(c, STMT_GRANTS_DELETE);
    if (st)
        sqlite3_bind_int64(st, 1, user_id);
    int rc = sqlite__exec(st);
    for (size_t i = 0; rc == 0 && i < id->ngrants; i++) {
        st = stmt(c, STMT_GRANTS_INSERT);
        if (st) {
            sqlite3_bind_int64(st, 1, user_id);
            sqlite__bind_text(st, 2, id->grants[i].bucket);
            sqlite__bind_text(st, 3, id->grants[i].prefix);
        }
        rc = sqlite__exec(st);
    }
    return rc;
}

/* The body of db_oidc_sign_in inside its transaction; fills *u. */
static int sign_in_tx(struct sqlite__conn *c, const struct db_oidc_identity *id,
                      struct db_session *s, struct db_user *u)
{
    int64_t now = s->created_at;
    int rc = user_by_identity(c, id, u);
    bool was_admin = false;
    if (rc == SEAU_E_NOT_FOUND) {
        memset(u, 0, sizeof(*u));
        snprintf(u->email, sizeof(u->email), "%s", id->email);
        snprintf(u->name, sizeof(u->name), "%s", id->name);
        snprintf(u->role, sizeof(u->role), "%s", id->role ? id->role : "user");
        snprintf(u->provider, sizeof(u->provider), "%s", id->provider);
        u->created_at = now;
        sqlite3_stmt *st = stmt(c, STMT_USER_INSERT);
        if (st) {
            sqlite__bind_text(st, 1, u->email);
            sqlite__bind_text(st, 2, u->name);
            sqlite__bind_text(st, 3, u->role);
            sqlite3_bind_int64(st, 4, now);
            sqlite__bind_text(st, 5, id->provider);
            sqlite__bind_text(st, 6, id->subject);
        }
        rc = sqlite__exec(st);
        if (rc == 0)
            u->id = sqlite3_last_insert_rowid(c->handle);
    } else if (rc == 0) {
        if (u->disabled)
            return SEAU_E_FORBIDDEN;
        was_admin = strcmp(u->role, "admin") == 0;
        snprintf(u->email, sizeof(u->email), "%s", id->email);
        snprintf(u->name, sizeof(u->name), "%s", id->name);
        if (id->role)
            snprintf(u->role, sizeof(u->role), "%s", id->role);
    }
    if (rc)
        return rc;
    u->last_login_at = now;
    sqlite3_stmt *st = stmt(c, STMT_USER_UPDATE);
    if (st) {
        sqlite3_bind_int64(st, 1, u->id);
        sqlite__bind_text(st, 2, u->email);
        sqlite__bind_text(st, 3, u->name);
        sqlite__bind_text(st, 4, u->role);
        sqlite3_bind_int64(st, 5, now);
    }
    rc = sqlite__exec(st);
    if (rc == 0 && was_admin && strcmp(u->role, "admin") != 0)
        rc = admin_remains(c);
    if (rc == 0 && id->set_grants)
        rc = set_grants(c, u->id, id);
    if (rc == 0) {
        s->user_id = u->id;
        st = stmt(c, STMT_SESSION_INSERT);
        if (st) {
            sqlite3_bind_blob(st, 1, s->token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, s->user_id);
            sqlite3_bind_int64(st, 3, s->created_at);
            sqlite3_bind_int64(st, 4, s->last_seen_at);
            sqlite3_bind_int64(st, 5, s->expires_at);
            sqlite__bind_opt_text(st, 6, s->id);
            sqlite__bind_opt_text(st, 7, s->ip);
            sqlite__bind_opt_text(st, 8, s->user_agent);
        }
        rc = sqlite__exec(st);
    }
    return rc;
}

int sqlite__oidc_sign_in(struct db *db, const struct db_oidc_identity *id, struct db_session *s,
                         struct db_audit_entry *audit, struct db_user *ret)
{
    struct db_user u;
    memset(&u, 0, sizeof(u));
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        rc = sign_in_tx(c, id, s, &u);
        if (rc == 0 && audit) {
            audit->user_id = u.id;
            audit->user_email = u.email;
        }
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    if (audit && audit->user_email == u.email)
        audit->user_email = NULL; /* borrowed from u, which dies here */
    if (rc == 0)
        *ret = u;
    return rc;
}
