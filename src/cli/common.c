#include "audit/audit.h"
#include "cli/cli.h"
#include "core/err.h"
#include "files/recovery.h"

#include <stdio.h>
#include <string.h>

int cli__wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    return 0;
}

int cli__load_config(int argc, char **argv, struct cfg *c)
{
    struct cfg_problems problems = {.len = 0};
    int rc = cfg_load(c, argc, argv, &problems);
    if (rc == 0)
        rc = cfg_validate(c, &problems);
    if (rc) {
        fprintf(stderr, "seau: the configuration has %zu problem%s:\n", problems.len,
                problems.len == 1 ? "" : "s");
        for (size_t i = 0; i < problems.len; i++)
            fprintf(stderr, "  - %s\n", problems.items[i]);
        cfg_problems_done(&problems);
        cfg_done(c);
        return 2;
    }
    /* The recycle bin's prefixes, read by every service from now on (files/recovery.h). */
    files_trash_configure(c->trash, c->ntrash);
    return 0;
}

int cli__open_db(const struct cfg *c, int conns, struct db **ret)
{
    struct db *db = NULL;
    char shown[1024];
    cfg_database_url_display(c->database_url, shown, sizeof(shown));
    int rc = db_open(c->database_url, conns, audit_seal, &db);
    if (rc) {
        /* The store's own words say which: a refused connection, a password, a name. */
        char why[512];
        if (db_probe(c->database_url, why, sizeof(why)) == 0 || !why[0])
            snprintf(why, sizeof(why), "%s", err_message(rc));
        fprintf(stderr, "seau: cannot open the database %s: %s\n", shown, why);
        return 1;
    }
    int applied = 0;
    rc = db_migrate(db, &applied);
    if (rc) {
        fprintf(stderr, "seau: cannot migrate the database %s: %s\n", shown,
                err_message(rc));
        db_close(db);
        return 1;
    }
    *ret = db;
    return 0;
}
