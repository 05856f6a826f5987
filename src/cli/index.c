/* seau index sync: converge the object index with what S3 holds. */
#include "cli/cli.h"
#include "core/err.h"
#include "core/s3name.h"
#include "files/index.h"
#include "s3/client.h"
#include "s3/credentials.h"

#include <stdio.h>
#include <string.h>

static void index_help(void)
{
    printf("Usage: seau index sync [--bucket B] [options]\n\n"
           "Walks each configured bucket (or only B) with ListObjectsV2 and brings the object\n"
           "index up to date: new keys are added, changed ones updated, vanished ones removed.\n"
           "Search and sorting by size or date read the index.\n\n");
    cfg_print_help(stdout);
}

int cli_index(int argc, char **argv)
{
    if (argc < 1 || cli__wants_help(argc, argv) || strcmp(argv[0], "sync") != 0) {
        index_help();
        return argc >= 1 && cli__wants_help(argc, argv) ? 0 : 2;
    }
    const char *only = NULL;
    char **rest = argv + 1;
    int nrest = argc - 1;
    if (nrest >= 2 && strcmp(rest[0], "--bucket") == 0) {
        only = rest[1];
        rest += 2;
        nrest -= 2;
    }
    struct cfg c;
    if (cli__load_config(nrest, rest, &c))
        return 2;
    int status = 0;
    if (only && s3name_bucket_problem(only)) {
        fprintf(stderr, "seau index sync: --bucket %s\n", s3name_bucket_problem(only));
        status = 2;
    } else if (!only && c.nbuckets == 0) {
        fprintf(stderr, "seau index sync: no bucket: give --bucket or set SEAU_BUCKETS\n");
        status = 2;
    }
    struct db *db = NULL;
    struct s3_cred_provider *p = NULL;
    struct s3_client *s3 = NULL;
    if (status == 0 && (cli__open_db(&c, 1, &db) || cli__open_s3(&c, &p, &s3)))
        status = 1;
    for (size_t i = 0; status == 0 && i < (only ? 1 : c.nbuckets); i++) {
        const char *bucket = only ? only : c.buckets[i];
        struct files_sync_stats st;
        struct s3_error e;
        memset(&e, 0, sizeof(e));
        int rc = files_index_sync(db, s3, bucket, &st, &e);
        if (rc) {
            char why[768];
            fprintf(stderr, "seau index sync: %s: %s\n", bucket,
                    e.http_status || e.code[0] ? s3_error_describe(&e, why, sizeof(why))
                                               : err_message(rc));
            status = 1;
            break;
        }
        printf("%s: %lld objects listed in %lld pages: %lld added, %lld changed, %lld "
               "unchanged, %lld removed\n",
               bucket, (long long)st.listed, (long long)st.pages, (long long)st.added,
               (long long)st.changed, (long long)st.unchanged, (long long)st.removed);
    }
    s3_client_free(s3);
    s3_credentials_free(p);
    db_close(db);
    cfg_done(&c);
    return status;
}
