/* seau migrate, seau check, seau audit verify. */
#include "audit/audit.h"
#include "auth/oidc_cfg.h"
#include "cli/cli.h"
#include "core/err.h"
#include "s3/client.h"
#include "s3/credentials.h"
#include "s3/probe.h"

#include <stdio.h>
#include <string.h>

/*
 * seau migrate --to postgres://...: the configured SQLite store (migrated
 * first) copied into an empty PostgreSQL database (migrated to the same
 * version), in one transaction (db_copy).
 */
static int migrate_to(const struct cfg *c, const char *to)
{
    char from_shown[1024], to_shown[1024];
    cfg_database_url_display(c->database_url, from_shown, sizeof(from_shown));
    cfg_database_url_display(to, to_shown, sizeof(to_shown));
    if (strncmp(c->database_url, "sqlite:", 7) != 0) {
        fprintf(stderr,
                "seau migrate --to: the configured database %s is not SQLite: only a "
                "SQLite database can be copied.\n",
                from_shown);
        return 2;
    }
    if (strncmp(to, "postgres://", 11) != 0 && strncmp(to, "postgresql://", 13) != 0) {
        fprintf(stderr, "seau migrate --to: %s is not a PostgreSQL URL (postgres://...).\n",
                to_shown);
        return 2;
    }
    struct db *src = NULL, *dst = NULL;
    int applied = 0;
    int64_t rows = 0;
    int status = 1;
    int rc = 0;
    if (cli__open_db(c, 1, &src))
        goto out;
    rc = db_open(to, 1, audit_seal, &dst);
    if (rc == 0)
        rc = db_migrate(dst, &applied);
    if (rc) {
        fprintf(stderr, "seau migrate --to: cannot open and migrate %s: %s\n", to_shown,
                err_message(rc));
        goto out;
    }
    rc = db_copy(src, dst, &rows);
    if (rc == SEAU_E_CONFLICT) {
        fprintf(stderr,
                "seau migrate --to: %s is not empty, so nothing was copied: give an "
                "empty database.\n",
                to_shown);
        goto out;
    }
    if (rc) {
        fprintf(stderr, "seau migrate --to: copying %s into %s failed, nothing was copied: %s\n",
                from_shown, to_shown, err_message(rc));
        goto out;
    }
    printf("%s: %lld rows copied into %s (%d migration%s applied there first); set "
           "SEAU_DATABASE_URL to it to use it.\n",
           from_shown, (long long)rows, to_shown, applied, applied == 1 ? "" : "s");
    status = 0;
out:
    db_close(dst);
    db_close(src);
    return status;
}

int cli_migrate(int argc, char **argv)
{
    if (cli__wants_help(argc, argv)) {
        printf("Usage: seau migrate [--to postgres://...] [options]\n\nApplies the database "
               "migrations this version needs (also done at every start).\n"
               "With --to, then copies every row of the configured SQLite database (users,\n"
               "sessions, grants, the audit log with its hash chain, notifications, upload\n"
               "sessions, shares, the object index) into the given PostgreSQL database, which\n"
               "must be empty, in one transaction.\n\n");
        cfg_print_help(stdout);
        return 0;
    }
    const char *to = NULL;
    if (argc >= 1 && strncmp(argv[0], "--to=", 5) == 0) {
        to = argv[0] + 5;
        argv++;
        argc--;
    } else if (argc >= 2 && strcmp(argv[0], "--to") == 0) {
        to = argv[1];
        argv += 2;
        argc -= 2;
    } else if (argc == 1 && strcmp(argv[0], "--to") == 0) {
        fprintf(stderr, "seau migrate: --to needs a PostgreSQL URL.\n");
        return 2;
    }
    struct cfg c;
    if (cli__load_config(argc, argv, &c))
        return 2;
    if (to) {
        int status = migrate_to(&c, to);
        cfg_done(&c);
        return status;
    }
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
    /* The store: reachable with these credentials, and not newer than this binary. */
    char shown[1024], why[512];
    cfg_database_url_display(c.database_url, shown, sizeof(shown));
    if (db_probe(c.database_url, why, sizeof(why)) != 0) {
        fprintf(stderr, "seau: the database %s cannot be opened: %s\n", shown, why);
        status = 1;
    } else {
        printf("database: %s\n", why[0] ? why : "reachable");
    }
    /* Single sign-on: its own settings (SEAU_OIDC_<ID>_*, SEAU_PASSWORD_LOGIN), secrets redacted.
     */
    extern char **environ;
    struct auth_oidc_cfg oc;
    struct cfg_problems problems = {.len = 0};
    if (auth_oidc_cfg_load(environ, &oc, &problems) != 0) {
        fprintf(stderr, "seau: the single sign-on settings have %zu problem%s:\n", problems.len,
                problems.len == 1 ? "" : "s");
        for (size_t i = 0; i < problems.len; i++)
            fprintf(stderr, "  - %s\n", problems.items[i]);
        status = 2;
    } else {
        auth_oidc_cfg_print(&oc, stdout);
    }
    cfg_problems_done(&problems);
    auth_oidc_cfg_done(&oc);
    if (status == 0 && cli__s3_configured(&c)) {
        /* A valid configuration that cannot reach its storage is not a working one. */
        struct s3_cred_provider *p = NULL;
        struct s3_client *s3 = NULL;
        if (cli__s3_credentials(&p) || cli__s3_client(&c, p, true, &s3)) {
            status = 1;
        } else {
            printf("S3 credentials: %s\n", s3_credentials_source(p));
            why[0] = '\0';
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
