/*
 * The `seau` commands. Each takes the arguments after its name and returns
 * the process exit status: 0 success, 1 failure, 2 usage or configuration
 * error. Commands print for people; only `serve` logs.
 */
#ifndef SEAU_CLI_CLI_H
#define SEAU_CLI_CLI_H

#include "core/cfg.h"
#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>

int cli_serve(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_audit(int argc, char **argv);
int cli_s3(int argc, char **argv);
int cli_index(int argc, char **argv);
int cli_uploads(int argc, char **argv);

/*
 * Loads and validates the configuration from the environment and argv
 * (configuration flags only). On problems prints each one to stderr and
 * returns 2; else 0 with c filled (free with cfg_done).
 */
int cli__load_config(int argc, char **argv, struct cfg *c);

/* Opens and migrates the configured store. Prints the problem and returns non-zero on failure. */
int cli__open_db(const struct cfg *c, int conns, struct db **ret);

/*
 * Builds the S3 client from the configuration and the AWS credentials
 * chain. Prints the problem and returns non-zero on failure; on success the
 * caller frees both (client first).
 */
struct s3_cred_provider;
struct s3_client;
int cli__open_s3(const struct cfg *c, struct s3_cred_provider **ret_p, struct s3_client **ret_c);
/* The two halves of cli__open_s3: the credentials chain, and a client on it
 * (probe: short timeouts and no retries, for readiness checks). */
int cli__s3_credentials(struct s3_cred_provider **ret);
int cli__s3_client(const struct cfg *c, struct s3_cred_provider *p, bool probe,
                   struct s3_client **ret);

/* True when S3 is configured at all (buckets or an endpoint). */
bool cli__s3_configured(const struct cfg *c);


/* True when argv holds -h or --help. */
int cli__wants_help(int argc, char **argv);

#endif
