/* seau uploads sweep: abort abandoned direct uploads now, as the server's janitor does. */
#include "cli/cli.h"
#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "files/upload_direct.h"
#include "s3/client.h"
#include "s3/credentials.h"

#include <stdio.h>
#include <string.h>

static void uploads_help(void)
{
    printf("Usage: seau uploads sweep [--older-than DURATION] [options]\n\n"
           "Aborts the direct upload sessions (POST /api/uploads) started more than DURATION\n"
           "ago (default: SEAU_UPLOAD_SESSION_MAX_AGE) that nobody is completing, in S3 and in\n"
           "the database, each with an audit entry by \"system\". `seau serve` does this by\n"
           "itself every minute; this is for operators and tests. DURATION: e.g. 0s, 90m, 2d.\n\n");
    cfg_print_help(stdout);
}

int cli_uploads(int argc, char **argv)
{
    if (argc < 1 || cli__wants_help(argc, argv) || strcmp(argv[0], "sweep") != 0) {
        uploads_help();
        return argc >= 1 && cli__wants_help(argc, argv) ? 0 : 2;
    }
    const char *older = NULL;
    char **rest = argv + 1;
    int nrest = argc - 1;
    if (nrest >= 2 && strcmp(rest[0], "--older-than") == 0) {
        older = rest[1];
        rest += 2;
        nrest -= 2;
    }
    struct cfg c;
    if (cli__load_config(nrest, rest, &c))
        return 2;
    int64_t older_ms = c.upload_session_max_age_ms;
    int status = 0;
    if (older && (str_to_duration_ms(older, &older_ms) || older_ms < 0)) {
        fprintf(stderr, "seau uploads sweep: --older-than '%s' is not a duration (e.g. 0s, 90m)\n",
                older);
        status = 2;
    }
    struct db *db = NULL;
    struct s3_cred_provider *p = NULL;
    struct s3_client *s3 = NULL;
    if (status == 0 && (cli__open_db(&c, 1, &db) || cli__open_s3(&c, &p, &s3)))
        status = 1;
    if (status == 0) {
        struct files_env env = {.s3 = s3, .db = db, .buckets = c.buckets, .nbuckets = c.nbuckets};
        struct files_upload_sweep_stats st;
        int rc = files_upload_sweep(&env, older_ms, time_now_ms(), NULL, &st);
        printf("%lld uploads aborted, %lld failed (kept for a later sweep)\n",
               (long long)st.aborted, (long long)st.failed);
        if (rc) {
            fprintf(stderr, "seau uploads sweep: %s\n", err_message(rc));
            status = 1;
        } else if (st.failed) {
            status = 1;
        }
    }
    s3_client_free(s3);
    s3_credentials_free(p);
    db_close(db);
    cfg_done(&c);
    return status;
}
