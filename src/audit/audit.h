/*
 * The audit log: who did what, from where, and whether it worked.
 *
 * Entries are appended by the store inside the transaction of the change
 * they record (db.h), and each is hash-chained to the one before it:
 * hash = SHA-256(previous hash || an unambiguous encoding of the entry).
 * Editing, inserting or deleting an entry in the middle breaks the chain at
 * that point, which audit_verify() reports.
 */
#ifndef SEAU_AUDIT_AUDIT_H
#define SEAU_AUDIT_AUDIT_H

#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The seal function the store calls for each new entry (db_audit_seal_fn). */
void audit_seal(const char *prev_hash, struct db_audit_entry *e);

struct audit_verify_result {
    int64_t entries;      /* entries checked */
    int64_t broken_id;    /* first entry that fails, 0 when the chain holds */
    const char *reason;   /* static text naming what failed, NULL when intact */
};

/*
 * Walks the whole log in order and checks every link. Returns 0 with the
 * result filled in (an intact or a broken chain), or a store error.
 */
int audit_verify(struct db *db, struct audit_verify_result *ret);

/* Who acted, and from where: the common part of every entry. Borrowed strings. */
struct audit_actor {
    int64_t user_id; /* 0: nobody signed in (a failed login, the system) */
    const char *email;
    const char *ip;
    const char *user_agent;
};

/*
 * Fills e for a new entry (id and hashes are set by the store). details is
 * a JSON object as text or NULL; all strings are borrowed and must outlive
 * the db_* call that appends e.
 */
void audit_entry_init(struct db_audit_entry *e, const struct audit_actor *actor,
                      const char *action, const char *status, const char *details, int64_t now);

/* One page of the log, newest first (GET /api/activity). */
struct audit_page {
    struct db_audit_entry *entries; /* owned */
    size_t n;                       /* at most the limit asked */
    bool more;                      /* older entries match the filter too */
    size_t held;                    /* entries allocated: n, or n + 1 */
};

/*
 * Reads up to limit entries (1 and above) matching f, newest first, below
 * f->before_id when it is not 0 (f->limit is ignored). Who may read the log
 * is the route's rule (managers and admins, API.md). Returns 0 with *ret
 * filled (release with audit_page_done, also on failure) or a store error.
 */
int audit_list(struct db *db, const struct db_audit_filter *f, size_t limit,
               struct audit_page *ret);
void audit_page_done(struct audit_page *p);

#endif
