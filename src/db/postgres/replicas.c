/*
 * The PostgreSQL store's facilities for several replicas (db.h,
 * "replicas"): the listener that wakes a replica when another stored
 * notifications, and the leader lock of the singletons. Each holds a
 * connection of its own (pg__connect), outside the pool: LISTEN and
 * session-level advisory locks belong to one session, and neither may wait
 * behind the pool's requests.
 */
#include "core/err.h"
#include "db/postgres/store.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the listener */

struct pg_listener {
    struct db_listener head; /* first: db.c dispatches through it */
    PGconn *conn;
};

static const struct db_ops *ops_of(struct db *db)
{
    return db->ops;
}

int pg__listen_open(struct db *db, struct db_listener **ret)
{
    struct pg_listener *l = calloc(1, sizeof(*l));
    if (!l)
        return SEAU_E_NOMEM;
    l->head.ops = ops_of(db);
    l->conn = pg__connect(db);
    int rc = l->conn ? 0 : SEAU_E_DB;
    if (rc == 0) {
        PGresult *r = PQexec(l->conn, "LISTEN " PG__CHANNEL_NEW "; LISTEN " PG__CHANNEL_AGAIN);
        rc = r && PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : SEAU_E_DB;
        PQclear(r);
    }
    if (rc == 0 && PQsetnonblocking(l->conn, 1) != 0)
        rc = SEAU_E_DB;
    if (rc) {
        pg__listen_close(&l->head);
        return rc;
    }
    *ret = &l->head;
    return 0;
}

/* Moves the notices libpq has parsed into ret; the payload is one id. */
static size_t take_notices(PGconn *conn, struct db_notice *ret, size_t max, size_t n)
{
    PGnotify *note;
    while (n < max && (note = PQnotifies(conn)) != NULL) {
        char *end = NULL;
        errno = 0;
        long long id = strtoll(note->extra, &end, 10);
        if (errno == 0 && end != note->extra && *end == '\0' && id > 0) {
            ret[n].kind =
                strcmp(note->relname, PG__CHANNEL_AGAIN) == 0 ? DB_NOTICE_AGAIN : DB_NOTICE_NEW;
            ret[n].id = (int64_t)id;
            n++;
        }
        PQfreemem(note);
    }
    return n;
}

int pg__listen_wait(struct db_listener *head, int wake_fd, int timeout_ms, struct db_notice *ret,
                    size_t max, size_t *ret_n)
{
    struct pg_listener *l = (struct pg_listener *)head;
    if (PQstatus(l->conn) != CONNECTION_OK)
        return SEAU_E_DB;
    /* Notices that arrived with an earlier read are already parsed. */
    size_t n = take_notices(l->conn, ret, max, 0);
    if (n == 0) {
        struct pollfd fds[2] = {{.fd = PQsocket(l->conn), .events = POLLIN},
                                {.fd = wake_fd, .events = POLLIN}};
        if (fds[0].fd < 0)
            return SEAU_E_DB;
        int r = poll(fds, wake_fd >= 0 ? 2 : 1, timeout_ms);
        if (r < 0 && errno != EINTR)
            return SEAU_E_DB;
        if (r > 0 && fds[0].revents) {
            /* A closed socket reads as input: PQconsumeInput fails, or the status turns bad. */
            if (!PQconsumeInput(l->conn) || PQstatus(l->conn) != CONNECTION_OK)
                return SEAU_E_DB;
            n = take_notices(l->conn, ret, max, 0);
        }
    }
    *ret_n = n;
    return 0;
}

void pg__listen_close(struct db_listener *head)
{
    struct pg_listener *l = (struct pg_listener *)head;
    if (!l)
        return;
    if (l->conn)
        PQfinish(l->conn);
    free(l);
}

/* ------------------------------------------------------------ the leader lock */

struct pg_leader {
    struct db_leader head; /* first: db.c dispatches through it */
    struct db *db;
    int64_t key;
    PGconn *conn;
    bool held;
};

int pg__leader_new(struct db *db, int64_t key, struct db_leader **ret)
{
    struct pg_leader *l = calloc(1, sizeof(*l));
    if (!l)
        return SEAU_E_NOMEM;
    l->head.ops = ops_of(db);
    l->db = db;
    l->key = key;
    *ret = &l->head;
    return 0;
}

/* Runs one query that returns one boolean; false on any failure. */
static bool query_bool(PGconn *conn, const char *sql, bool *ret)
{
    PGresult *r = PQexec(conn, sql);
    bool ok = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (ok)
        *ret = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return ok;
}

static void leader_drop(struct pg_leader *l)
{
    if (l->conn)
        PQfinish(l->conn);
    l->conn = NULL;
    l->held = false;
}

int pg__leader_try(struct db_leader *head, bool *ret_leader)
{
    struct pg_leader *l = (struct pg_leader *)head;
    char sql[96];
    bool got = false;
    if (l->conn && PQstatus(l->conn) != CONNECTION_OK)
        leader_drop(l);
    if (l->held) {
        /* The lock lives as long as the session: a live session still holds it. */
        if (!query_bool(l->conn, "SELECT true", &got))
            leader_drop(l);
    } else {
        if (!l->conn)
            l->conn = pg__connect(l->db);
        snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%lld)", (long long)l->key);
        if (l->conn && query_bool(l->conn, sql, &got))
            l->held = got;
        else
            leader_drop(l);
    }
    *ret_leader = l->held;
    return 0;
}

void pg__leader_free(struct db_leader *head)
{
    struct pg_leader *l = (struct pg_leader *)head;
    if (!l)
        return;
    /* Closing the session releases the lock. */
    leader_drop(l);
    free(l);
}
