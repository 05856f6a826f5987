/* seau migrate, seau check, seau audit verify. */
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/err.h"
#include "s3/client.h"
#include "s3/credentials.h"
#include "s3/probe.h"

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
    char shown[1024];
    cfg_database_url_display(c.database_url, shown, sizeof(shown));
    if (rc == 0)
        rc = db_migrate(db, &applied);
    if (rc)
        fprintf(stderr, "seau: migration failed on %s: %s\n", shown, err_message(rc));
    else
        printf("%s: %d migration%s applied; the schema is current.\n", shown, applied,
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
    int status = 0;
    if (cli__s3_configured(&c)) {
        /* A valid configuration that cannot reach its storage is not a working one. */
        struct s3_cred_provider *p = NULL;
        struct s3_client *s3 = NULL;
        if (cli__s3_credentials(&p) || cli__s3_client(&c, p, true, &s3)) {
            status = 1;
        } else {
            printf("S3 credentials: %s\n", s3_credentials_source(p));
            char why[512] = "";
            if (s3_probe(s3, c.buckets, c.nbuckets, why, sizeof(why)) != 0) {
                fprintf(stderr, "seau: S3 is not reachable as configured: %s\n", why);
                status = 1;
            } else {
                for (size_t i = 0; i < c.nbuckets; i++)
                    printf("bucket %s: reachable\n", c.buckets[i]);
                if (c.nbuckets == 0)
                    printf("S3: reachable (ListBuckets); set SEAU_BUCKETS to choose buckets\n");
            }
        }
        s3_client_free(s3);
        s3_credentials_free(p);
    }
    if (status == 0)
        printf("The configuration is valid.\n");
    cfg_done(&c);
    return status;
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
