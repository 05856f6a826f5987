/* seau migrate, seau check, seau audit verify. */
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/err.h"

#include <stdio.h>
#include <string.h>

int cli_migrate(int argc, char **argv)
{
    if (cli__wants_help(argc, argv)) {
        printf("Usage: seau migrate [options]\n\nApplies the database migrations this version "
               "needs (also done at every start).\n\n");
        cfg_print_help(stdout);
        return 0;
    }
    struct cfg c;
    if (cli__load_config(argc, argv, &c))
        return 2;
    struct db *db = NULL;
    int rc = db_open(c.database_url, 1, audit_seal, &db);
    int applied = 0;
    if (rc == 0)
        rc = db_migrate(db, &applied);
    if (rc)
        fprintf(stderr, "seau: migration failed on %s: %s\n", c.database_url, err_message(rc));
    else
        printf("%s: %d migration%s applied; the schema is current.\n", c.database_url, applied,
               applied == 1 ? "" : "s");
    db_close(db);
    cfg_done(&c);
    return rc ? 1 : 0;
}

int cli_check(int argc, char **argv)
{
    if (cli__wants_help(argc, argv)) {
        printf("Usage: seau check [options]\n\nValidates the configuration, names every "
               "problem, and prints the effective settings (secrets redacted).\n\n");
        cfg_print_help(stdout);
        return 0;
    }
    struct cfg c;
    if (cli__load_config(argc, argv, &c))
        return 2;
    cfg_print(&c, stdout);
    printf("The configuration is valid.\n");
    cfg_done(&c);
    return 0;
}

int cli_audit(int argc, char **argv)
{
    if (argc < 1 || cli__wants_help(argc, argv) || strcmp(argv[0], "verify") != 0) {
        printf("Usage: seau audit verify [options]\n\nChecks the hash chain of the whole audit "
               "log and names the first broken entry.\nExit status: 0 intact, 1 broken, 2 "
               "error.\n\n");
        cfg_print_help(stdout);
        return argc >= 1 && cli__wants_help(argc, argv) ? 0 : 2;
    }
    struct cfg c;
    if (cli__load_config(argc - 1, argv + 1, &c))
        return 2;
    struct db *db = NULL;
    if (cli__open_db(&c, 1, &db)) {
        cfg_done(&c);
        return 2;
    }
    struct audit_verify_result res;
    int rc = audit_verify(db, &res);
    int status;
    if (rc) {
        fprintf(stderr, "seau: cannot read the audit log: %s\n", err_message(rc));
        status = 2;
    } else if (res.broken_id) {
        printf("audit log BROKEN at entry %lld: %s (%lld entries checked)\n",
               (long long)res.broken_id, res.reason, (long long)res.entries);
        status = 1;
    } else {
        printf("audit log intact: %lld entries verified\n", (long long)res.entries);
        status = 0;
    }
    db_close(db);
    cfg_done(&c);
    return status;
}
