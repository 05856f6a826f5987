/*
 * The PostgreSQL store's single sign-on (see the SQLite store's oidc.c).
 * A pending sign-in is taken with DELETE ... RETURNING: of two replicas
 * racing for one state, one gets the row and the other nothing. A sign-in
 * that may demote an admin takes the admins' lock, as accounts.c does.
 */
#include "core/err.h"
#include "db/postgres/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XSTR(x) STR(x)
#define STR(x)  #x

#define OIDC_STATEMENTS(X)                                                                         \
    X(LOGIN_PURGE, "DELETE FROM oidc_logins WHERE expires_at <= $1")                               \
    X(LOGIN_INSERT, "INSERT INTO oidc_logins (key_hash, provider, state, nonce, verifier, "        \
                    "return_to, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")  \
    X(LOGIN_TAKE, "DELETE FROM oidc_logins WHERE key_hash = $1 RETURNING provider, state, nonce, " \
                  "verifier, return_to, created_at, expires_at")                                   \
    X(USER_BY_IDENTITY, "SELECT id, email, name, role, disabled, created_at, last_login_at, "      \
                        "provider FROM users WHERE provider = $1 AND subject = $2 FOR UPDATE")     \
    X(USER_INSERT, "INSERT INTO users (email, name, role, password_hash, disabled, created_at, "   \
                   "provider, subject) VALUES ($1, $2, $3, '!', false, $4, $5, $6) RETURNING id")  \
    X(USER_UPDATE, "UPDATE users SET email = $2, name = $3, role = $4, last_login_at = $5 "        \
                   "WHERE id = $1")                                                                \
    X(ADMINS_LOCK, "SELECT pg_advisory_xact_lock(" XSTR(PG__LOCK_ADMINS) ")")                      \
    X(ADMIN_COUNT, "SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled")             \
    X(GRANTS_DELETE, "DELETE FROM grants WHERE user_id = $1")                                      \
    X(GRANTS_INSERT, "INSERT INTO grants (user_id, bucket, prefix) VALUES ($1, $2, $3) "           \
                     "ON CONFLICT DO NOTHING")                                                     \
    X(SESSION_INSERT, "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, "      \
                      "expires_at, id, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")

PG__STATEMENTS(OIDC_STATEMENTS, PG__OIDC)

struct login_put {
    const struct db_oidc_login *l;
    int64_t now;
};

static int login_put_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    (void)db;
    struct login_put *x = ctx;
    const struct db_oidc_login *l = x->l;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, x->now);
    int rc = pg__done(c, run(c, STMT_LOGIN_PURGE, &p), NULL);
    if (rc)
        return rc;
    struct pg__params q = {.n = 0};
    pg__p_bytes(&q, l->key_hash, DB_TOKEN_HASH_LEN);
    pg__p_text(&q, l->provider);
    pg__p_text(&q, l->state);
    pg__p_text(&q, l->nonce);
    pg__p_text(&q, l->verifier);
    pg__p_text(&q, l->return_to);
    pg__p_i64(&q, l->created_at);
    pg__p_i64(&q, l->expires_at);
    return pg__done(c, run(c, STMT_LOGIN_INSERT, &q), NULL);
}

int pg__oidc_login_put(struct db *db, const struct db_oidc_login *l, int64_t now)
{
    struct login_put x = {.l = l, .now = now};
    return pg__tx(db, login_put_tx, &x);
}

int pg__oidc_login_take(struct db *db, const unsigned char *key_hash, int64_t now,
                        struct db_oidc_login *ret)
{
    struct db_oidc_login l;
    memset(&l, 0, sizeof(l));
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_bytes(&p, key_hash, DB_TOKEN_HASH_LEN);
    PGresult *r = run(c, STMT_LOGIN_TAKE, &p); /* one statement: its own transaction */
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) != 1)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0) {
        memcpy(l.key_hash, key_hash, DB_TOKEN_HASH_LEN);
        pg__copy(r, 0, 0, l.provider, sizeof(l.provider));
        pg__copy(r, 0, 1, l.state, sizeof(l.state));
        pg__copy(r, 0, 2, l.nonce, sizeof(l.nonce));
        pg__copy(r, 0, 3, l.verifier, sizeof(l.verifier));
        pg__copy(r, 0, 4, l.return_to, sizeof(l.return_to));
        l.created_at = pg__i64(r, 0, 5);
        l.expires_at = pg__i64(r, 0, 6);
    }
    PQclear(r);
    pg__release(db, c);
    if (rc == 0 && l.expires_at <= now)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0)
        *ret = l;
    memset(&l, 0, sizeof(l));
    return rc;
}

struct sign_in {
    const struct db_oidc_identity *id;
    struct db_session *s;
    struct db_audit_entry *audit;
    struct db_user u;
};

static int sign_in_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct sign_in *x = ctx;
    const struct db_oidc_identity *id = x->id;
    struct db_user *u = &x->u;
    int64_t now = x->s->created_at;
    /* A demotion may remove the last admin: take the admins' lock first, as accounts.c does. */
    int rc = pg__done(c, run(c, STMT_ADMINS_LOCK, NULL), NULL);
    if (rc)
        return rc;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, id->provider);
    pg__p_text(&p, id->subject);
    PGresult *r = run(c, STMT_USER_BY_IDENTITY, &p);
    rc = pg__status(c, r);
    bool found = rc == 0 && PQntuples(r) == 1;
    bool was_admin = false;
    memset(u, 0, sizeof(*u));
    if (found) {
        u->id = pg__i64(r, 0, 0);
        pg__copy(r, 0, 3, u->role, sizeof(u->role));
        u->disabled = pg__bool(r, 0, 4);
        u->created_at = pg__i64(r, 0, 5);
        pg__copy(r, 0, 7, u->provider, sizeof(u->provider));
    }
    PQclear(r);
    if (rc)
        return rc;
    snprintf(u->email, sizeof(u->email), "%s", id->email);
    snprintf(u->name, sizeof(u->name), "%s", id->name);
    if (found) {
        if (u->disabled)
            return SEAU_E_FORBIDDEN;
        was_admin = strcmp(u->role, "admin") == 0;
        if (id->role)
            snprintf(u->role, sizeof(u->role), "%s", id->role);
    } else {
        snprintf(u->role, sizeof(u->role), "%s", id->role ? id->role : "user");
        snprintf(u->provider, sizeof(u->provider), "%s", id->provider);
        u->created_at = now;
        struct pg__params q = {.n = 0};
        pg__p_text(&q, u->email);
        pg__p_text(&q, u->name);
        pg__p_text(&q, u->role);
        pg__p_i64(&q, now);
        pg__p_text(&q, id->provider);
        pg__p_text(&q, id->subject);
        r = run(c, STMT_USER_INSERT, &q);
        rc = pg__status(c, r);
        if (rc == 0 && PQntuples(r) == 1)
            u->id = pg__i64(r, 0, 0);
        else if (rc == 0)
            rc = SEAU_E_DB;
        PQclear(r);
        if (rc)
            return rc;
    }
    u->last_login_at = now;
    struct pg__params q = {.n = 0};
    pg__p_i64(&q, u->id);
    pg__p_text(&q, u->email);
    pg__p_text(&q, u->name);
    pg__p_text(&q, u->role);
    pg__p_i64(&q, now);
    rc = pg__done(c, run(c, STMT_USER_UPDATE, &q), NULL);
    if (rc == 0 && was_admin && strcmp(u->role, "admin") != 0) {
        r = run(c, STMT_ADMIN_COUNT, NULL);
        rc = pg__status(c, r);
        if (rc == 0 && (PQntuples(r) != 1 || pg__i64(r, 0, 0) < 1))
            rc = SEAU_E_CONFLICT;
        PQclear(r);
    }
    if (rc == 0 && id->set_grants) {
        struct pg__params g = {.n = 0};
        pg__p_i64(&g, u->id);
        rc = pg__done(c, run(c, STMT_GRANTS_DELETE, &g), NULL);
        for (size_t i = 0; rc == 0 && i < id->ngrants; i++) {
            struct pg__params gi = {.n = 0};
            pg__p_i64(&gi, u->id);
            pg__p_text(&gi, id->grants[i].bucket);
            pg__p_text(&gi, id->grants[i].prefix);
            rc = pg__done(c, run(c, STMT_GRANTS_INSERT, &gi), NULL);
        }
    }
    if (rc == 0) {
        x->s->user_id = u->id;
        struct pg__params sp = {.n = 0};
        pg__p_bytes(&sp, x->s->token_hash, DB_TOKEN_HASH_LEN);
        pg__p_i64(&sp, x->s->user_id);
        pg__p_i64(&sp, x->s->created_at);
        pg__p_i64(&sp, x->s->last_seen_at);
        pg__p_i64(&sp, x->s->expires_at);
        pg__p_opt_text(&sp, x->s->id);
        pg__p_opt_text(&sp, x->s->ip);
        pg__p_opt_text(&sp, x->s->user_agent);
        rc = pg__done(c, run(c, STMT_SESSION_INSERT, &sp), NULL);
    }
    if (rc == 0 && x->audit) {
        x->audit->user_id = u->id;
        x->audit->user_email = u->email;
    }
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__oidc_sign_in(struct db *db, const struct db_oidc_identity *id, struct db_session *s,
                     struct db_audit_entry *audit, struct db_user *ret)
{
    struct sign_in *x = calloc(1, sizeof(*x));
    if (!x)
        return SEAU_E_NOMEM;
    x->id = id;
    x->s = s;
    x->audit = audit;
    int rc = pg__tx(db, sign_in_tx, x);
    if (audit && audit->user_email == x->u.email)
        audit->user_email = NULL; /* borrowed from x, which dies here */
    if (rc == 0)
        *ret = x->u;
    free(x);
    return rc;
}
