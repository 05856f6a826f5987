/* seau: a web console for S3 buckets. This file only dispatches to the commands in cli/. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "Usage: seau <command> [options]\n\n"
               "Commands:\n"
               "  serve          run the server (the default of `make run`)\n"
               "  migrate        apply database migrations\n"
               "  user add       create an account\n"
               "  user list      list accounts\n"
               "  check          validate the configuration and name every problem\n"
               "  audit verify   check the audit log's hash chain\n"
               "  s3 ls|put|get|rm|presign   use the configured bucket as `aws s3` would\n"
               "  index sync     bring the object index (search) up to date with S3\n"
               "  uploads sweep  abort abandoned direct uploads now\n"
               "  version        print the version\n\n"
               "Run `seau <command> --help` for the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    int n = argc - 2;
    char **rest = argv + 2;
    if (strcmp(cmd, "serve") == 0)
        return cli_serve(n, rest);
    if (strcmp(cmd, "migrate") == 0)
        return cli_migrate(n, rest);
    if (strcmp(cmd, "check") == 0)
        return cli_check(n, rest);
    if (strcmp(cmd, "user") == 0)
        return cli_user(n, rest);
    if (strcmp(cmd, "audit") == 0)
        return cli_audit(n, rest);
    if (strcmp(cmd, "s3") == 0)
        return cli_s3(n, rest);
    if (strcmp(cmd, "index") == 0)
        return cli_index(n, rest);
    if (strcmp(cmd, "uploads") == 0)
        return cli_uploads(n, rest);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("seau %s\n", SEAU_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "seau: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
