/*
 * seau s3 ls|put|get|rm|presign: check a configuration the way one would
 * with `aws s3`, through the very client the server uses. Also the shared
 * set-up of that client (cli__open_s3) for `serve` and `check`.
 */
#include "cli/cli.h"
#include "core/err.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "http/static.h"
#include "s3/client.h"
#include "s3/listing.h"
#include "s3/credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Objects up to this size move in one request; larger ones in parallel parts. */
#define SINGLE_MAX (64ull * 1024 * 1024)
#define PART_SIZE (16ull * 1024 * 1024)
#define TRANSFER_THREADS 4

int cli__s3_credentials(struct s3_cred_provider **ret)
{
    struct s3_cred_env env;
    s3_cred_env_from_process(&env);
    char why[S3_CRED_WHY_SIZE] = "";
    int rc = s3_credentials_open_why(&env, why, ret);
    if (rc)
        fprintf(stderr, "seau: no usable S3 credentials: %s\n", *why ? why : err_message(rc));
    return rc ? 1 : 0;
}

int cli__s3_client(const struct cfg *c, struct s3_cred_provider *p, bool probe,
                   struct s3_client **ret)
{
    const char *region = getenv("AWS_REGION");
    if (!region || !*region)
        region = getenv("AWS_DEFAULT_REGION");
    struct s3_config conf;
    memset(&conf, 0, sizeof(conf));
    conf.endpoint = c->s3_endpoint;
    conf.region = region && *region ? region : s3_credentials_region(p);
    conf.addressing = c->s3_force_path_style ? S3_ADDRESSING_PATH : S3_ADDRESSING_AUTO;
    conf.request_timeout_ms = c->s3_request_timeout_ms;
    if (probe) {
        /* Readiness must answer quickly, and say "no" rather than wait out retries. */
        conf.connect_timeout_ms = 2000;
        conf.request_timeout_ms = 3000;
        conf.max_retries = S3_NO_RETRIES;
    }
    int rc = s3_client_new(&conf, p, ret);
    if (rc)
        fprintf(stderr, "seau: the S3 settings are not usable: %s\n", err_message(rc));
    return rc ? 1 : 0;
}

int cli__open_s3(const struct cfg *c, struct s3_cred_provider **ret_p, struct s3_client **ret_c)
{
    struct s3_cred_provider *p = NULL;
    if (cli__s3_credentials(&p))
        return 1;
    if (cli__s3_client(c, p, false, ret_c)) {
        s3_credentials_free(p);
        return 1;
    }
    *ret_p = p;
    return 0;
}

bool cli__s3_configured(const struct cfg *c)
{
    return c->nbuckets > 0 || c->s3_endpoint != NULL;
}

static int fail_s3(const char *what, int rc, const struct s3_error *e)
{
    char text[768];
    if (e && (e->code[0] || e->http_status))
        fprintf(stderr, "seau s3 %s: %s\n", what, s3_error_describe(e, text, sizeof(text)));
    else
        fprintf(stderr, "seau s3 %s: %s\n", what, err_message(rc));
    return 1;
}

/* ---------------------------------------------------------------- ls */

static int cmd_ls(struct s3_client *s3, const char *bucket, const char *prefix)
{
    struct s3_listing it;
    s3_listing_init(&it, s3, bucket, &(struct s3_list_params){.prefix = prefix, .delimiter = "/"});
    int status = 0;
    for (;;) {
        const struct s3_object_list *l;
        struct s3_error e;
        memset(&e, 0, sizeof(e));
        int rc = s3_listing_next(&it, &l, &e);
        if (rc) {
            status = fail_s3("ls", rc, &e);
            break;
        }
        if (!l)
            break;
        for (size_t i = 0; i < l->common_prefix_count; i++)
            printf("%30s PRE %s\n", "", l->common_prefixes[i]);
        for (size_t i = 0; i < l->object_count; i++) {
            const struct s3_object *o = &l->objects[i];
            char t[TIME_RFC3339_LEN];
            time_rfc3339(o->last_modified_ms, t);
            printf("%s %12lld %s\n", t, (long long)o->size, o->key);
        }
    }
    s3_listing_done(&it);
    return status;
}

/*
 * Runs worker on TRANSFER_THREADS threads over one job and waits for them;
 * when no thread can be started, runs it on this one. Workers take parts
 * from the job until none is left or one fails.
 */
static void run_workers(void *(*worker)(void *), void *job)
{
    pthread_t th[TRANSFER_THREADS];
    int started = 0;
    for (; started < TRANSFER_THREADS; started++)
        if (pthread_create(&th[started], NULL, worker, job) != 0)
            break;
    if (started == 0)
        worker(job);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
}

/* ---------------------------------------------------------------- put */

/* A window of a file read with pread, so parts can be read by several threads at once. */
struct file_window {
    int fd;
    uint64_t offset, length, done;
};

static int window_read(void *ctx, void *buf, size_t cap, size_t *ret_len)
{
    struct file_window *w = ctx;
    uint64_t left = w->length - w->done;
    size_t n = cap < left ? cap : (size_t)left;
    ssize_t got;
    do
        got = pread(w->fd, buf, n, (off_t)(w->offset + w->done));
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return SEAU_E_IO;
    w->done += (uint64_t)got;
    *ret_len = (size_t)got;
    return 0;
}

static int window_rewind(void *ctx)
{
    ((struct file_window *)ctx)->done = 0;
    return 0;
}

static struct s3_body window_body(struct file_window *w)
{
    struct s3_body b;
    memset(&b, 0, sizeof(b));
    b.read = window_read;
    b.rewind = window_rewind;
    b.ctx = w;
    b.length = w->length;
    return b;
}

struct put_job {
    struct s3_client *s3;
    const char *bucket, *key, *upload_id;
    int fd;
    uint64_t size;
    size_t nparts;
    atomic_size_t next;
    atomic_int failed;
    struct s3_completed_part *parts;
    char (*etags)[S3_ETAG_SIZE];
    int rc;
    struct s3_error err;
    pthread_mutex_t lock;
};

static void *put_worker(void *arg)
{
    struct put_job *j = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->nparts || atomic_load(&j->failed))
            return NULL;
        struct file_window w = {j->fd, i * PART_SIZE, 0, 0};
        w.length = j->size - w.offset < PART_SIZE ? j->size - w.offset : PART_SIZE;
        struct s3_body body = window_body(&w);
        struct s3_put_result res;
        struct s3_error e;
        memset(&e, 0, sizeof(e));
        int rc = s3_upload_part(j->s3, j->bucket, j->key, j->upload_id, (int)i + 1, &body, &res, &e);
        if (rc) {
            pthread_mutex_lock(&j->lock);
            if (!atomic_exchange(&j->failed, 1)) {
                j->rc = rc;
                j->err = e;
            }
            pthread_mutex_unlock(&j->lock);
            return NULL;
        }
        memcpy(j->etags[i], res.etag, sizeof(res.etag));
        j->parts[i].part_number = (int)i + 1;
        j->parts[i].etag = j->etags[i];
    }
}

/* Multipart upload in parallel parts; aborted on any failure so nothing half-written stays. */
static int put_multipart(struct s3_client *s3, const char *bucket, const char *key, int fd,
                         uint64_t size, const struct s3_put_options *opt)
{
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    char *upload_id = NULL;
    int rc = s3_create_multipart_upload(s3, bucket, key, opt, &upload_id, &e);
    if (rc)
        return fail_s3("put", rc, &e);
    struct put_job j;
    memset(&j, 0, sizeof(j));
    j.s3 = s3;
    j.bucket = bucket;
    j.key = key;
    j.upload_id = upload_id;
    j.fd = fd;
    j.size = size;
    j.nparts = (size_t)((size + PART_SIZE - 1) / PART_SIZE);
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, 0);
    pthread_mutex_init(&j.lock, NULL);
    j.parts = calloc(j.nparts, sizeof(*j.parts));
    j.etags = calloc(j.nparts, sizeof(*j.etags));
    int status = 0;
    if (!j.parts || !j.etags || j.nparts > S3_MAX_PARTS) {
        j.rc = j.nparts > S3_MAX_PARTS ? SEAU_E_TOO_LARGE : SEAU_E_NOMEM;
        atomic_store(&j.failed, 1);
    } else {
        run_workers(put_worker, &j);
    }
    if (!atomic_load(&j.failed)) {
        rc = s3_complete_multipart_upload(s3, bucket, key, upload_id, j.parts, j.nparts, NULL, &e);
        if (rc)
            status = fail_s3("put", rc, &e);
    } else {
        status = fail_s3("put", j.rc, &j.err);
    }
    if (status) {
        struct s3_error ae;
        (void)s3_abort_multipart_upload(s3, bucket, key, upload_id, &ae);
    }
    free(j.parts);
    free(j.etags);
    free(upload_id);
    pthread_mutex_destroy(&j.lock);
    return status;
}

static int cmd_put(struct s3_client *s3, const char *bucket, const char *file, const char *key)
{
    const char *why = s3name_key_problem(key);
    if (why) {
        fprintf(stderr, "seau s3 put: the key %s\n", why);
        return 2;
    }
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "seau s3 put: cannot read %s: %s\n", file,
                fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return 1;
    }
    uint64_t size = (uint64_t)st.st_size;
    struct s3_put_options opt = {.content_type = http_static_mime(file)};
    int status;
    if (size <= SINGLE_MAX) {
        struct file_window w = {fd, 0, size, 0};
        struct s3_body body = window_body(&w);
        struct s3_error e;
        memset(&e, 0, sizeof(e));
        struct s3_put_result res;
        int rc = s3_put_object(s3, bucket, key, &body, &opt, &res, &e);
        status = rc ? fail_s3("put", rc, &e) : 0;
    } else {
        status = put_multipart(s3, bucket, key, fd, size, &opt);
    }
    close(fd);
    if (status == 0)
        printf("upload: %s to s3://%s/%s (%llu bytes)\n", file, bucket, key,
               (unsigned long long)size);
    return status;
}

/* ---------------------------------------------------------------- get */

struct get_range_job {
    struct s3_client *s3;
    const char *bucket, *key, *etag;
    int fd;
    uint64_t size;
    size_t nparts;
    atomic_size_t next;
    atomic_int failed;
    int rc;
    struct s3_error err;
    pthread_mutex_t lock;
};

struct fd_sink {
    int fd;
    uint64_t offset;
};

static int fd_write(void *ctx, const void *data, size_t len)
{
    struct fd_sink *s = ctx;
    const char *p = data;
    while (len > 0) {
        ssize_t w = pwrite(s->fd, p, len, (off_t)s->offset);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return SEAU_E_IO;
        p += w;
        len -= (size_t)w;
        s->offset += (uint64_t)w;
    }
    return 0;
}

static void *get_worker(void *arg)
{
    struct get_range_job *j = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->nparts || atomic_load(&j->failed))
            return NULL;
        uint64_t first = i * PART_SIZE;
        uint64_t last = first + PART_SIZE - 1 < j->size - 1 ? first + PART_SIZE - 1 : j->size - 1;
        char range[64];
        snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)first,
                 (unsigned long long)last);
        /* If-Match: every range comes from the same version of the object. */
        struct s3_get_options opt = {.range = range, .if_match = j->etag};
        struct fd_sink sink_ctx = {j->fd, first};
        struct s3_sink sink = {NULL, fd_write, &sink_ctx};
        struct s3_object_head head;
        struct s3_error e;
        memset(&e, 0, sizeof(e));
        int rc = s3_get_object(j->s3, j->bucket, j->key, &opt, &sink, &head, &e);
        if (rc == 0) {
            if (sink_ctx.offset != last + 1)
                rc = SEAU_E_IO;
            s3_object_head_done(&head);
        }
        if (rc) {
            pthread_mutex_lock(&j->lock);
            if (!atomic_exchange(&j->failed, 1)) {
                j->rc = rc;
                j->err = e;
            }
            pthread_mutex_unlock(&j->lock);
            return NULL;
        }
    }
}

static int cmd_get(struct s3_client *s3, const char *bucket, const char *key, const char *file)
{
    struct s3_object_head head;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int rc = s3_head_object(s3, bucket, key, NULL, &head, &e);
    if (rc)
        return fail_s3("get", rc, &e);
    uint64_t size = head.content_length < 0 ? 0 : (uint64_t)head.content_length;
    char etag[S3_ETAG_SIZE];
    memcpy(etag, head.etag, sizeof(etag));
    s3_object_head_done(&head);

    /* Written beside the target and renamed at the end: never a half-written file. */
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.seau-XXXXXX", file) >= (int)sizeof(tmp)) {
        fprintf(stderr, "seau s3 get: the file name is too long\n");
        return 2;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "seau s3 get: cannot write beside %s: %s\n", file, strerror(errno));
        return 1;
    }
    int status = 0;
    if (size <= SINGLE_MAX) {
        struct fd_sink sink_ctx = {fd, 0};
        struct s3_sink sink = {NULL, fd_write, &sink_ctx};
        struct s3_get_options opt = {.if_match = etag[0] ? etag : NULL};
        rc = s3_get_object(s3, bucket, key, &opt, &sink, &head, &e);
        if (rc == 0)
            s3_object_head_done(&head);
        status = rc ? fail_s3("get", rc, &e) : 0;
    } else {
        struct get_range_job j;
        memset(&j, 0, sizeof(j));
        j.s3 = s3;
        j.bucket = bucket;
        j.key = key;
        j.etag = etag[0] ? etag : NULL;
        j.fd = fd;
        j.size = size;
        j.nparts = (size_t)((size + PART_SIZE - 1) / PART_SIZE);
        atomic_init(&j.next, 0);
        atomic_init(&j.failed, 0);
        pthread_mutex_init(&j.lock, NULL);
        run_workers(get_worker, &j);
        if (atomic_load(&j.failed))
            status = fail_s3("get", j.rc, &j.err);
        pthread_mutex_destroy(&j.lock);
    }
    if (status == 0 && (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, file) != 0)) {
        fprintf(stderr, "seau s3 get: cannot write %s: %s\n", file, strerror(errno));
        unlink(tmp);
        return 1;
    }
    if (status) {
        close(fd);
        unlink(tmp);
        return status;
    }
    printf("download: s3://%s/%s to %s (%llu bytes)\n", bucket, key, file,
           (unsigned long long)size);
    return 0;
}

/* ---------------------------------------------------------------- rm, presign */

static int cmd_rm(struct s3_client *s3, const char *bucket, const char *key)
{
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int rc = s3_delete_object(s3, bucket, key, NULL, NULL, &e);
    if (rc)
        return fail_s3("rm", rc, &e);
    printf("delete: s3://%s/%s\n", bucket, key);
    return 0;
}

static int cmd_presign(struct s3_client *s3, const char *bucket, const char *key,
                       const char *method, int64_t expires)
{
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    char *url = NULL;
    int rc = strcmp(method, "PUT") == 0
                 ? s3_presign_put(s3, bucket, key, (uint32_t)expires, &url, &e)
                 : s3_presign_get(s3, bucket, key, (uint32_t)expires, NULL, &url, &e);
    if (rc)
        return fail_s3("presign", rc, &e);
    printf("%s\n", url);
    free(url);
    return 0;
}

/* ---------------------------------------------------------------- dispatch */

static void s3_help(void)
{
    printf("Usage:\n"
           "  seau s3 ls [PREFIX]                    list keys and folders under PREFIX\n"
           "  seau s3 put FILE KEY                   upload a file (parallel parts above 64 MiB)\n"
           "  seau s3 get KEY FILE                   download an object to a file\n"
           "  seau s3 rm KEY                         delete an object\n"
           "  seau s3 presign KEY [--expires S] [--method GET|PUT]\n"
           "                                         print a presigned URL (default 3600 s, GET)\n"
           "Each takes --bucket B (default: the first of SEAU_BUCKETS) and the configuration\n"
           "options below. Credentials come from the standard AWS chain.\n\n");
    cfg_print_help(stdout);
}

int cli_s3(int argc, char **argv)
{
    if (argc < 1 || cli__wants_help(argc, argv)) {
        s3_help();
        return argc < 1 ? 2 : 0;
    }
    const char *cmd = argv[0];
    const char *bucket = NULL, *method = "GET", *expires_text = "3600";
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0;
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    int nrest = 0;
    if (!rest)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char **target = NULL;
        if (strcmp(argv[i], "--bucket") == 0)
            target = &bucket;
        else if (strcmp(argv[i], "--method") == 0)
            target = &method;
        else if (strcmp(argv[i], "--expires") == 0)
            target = &expires_text;
        else if (strncmp(argv[i], "--", 2) == 0)
            rest[nrest++] = argv[i];
        else if (nrest > 0 && cfg_is_flag(rest[nrest - 1]) && !strchr(rest[nrest - 1], '='))
            rest[nrest++] = argv[i]; /* the value of a configuration flag */
        else if (npos < 3)
            pos[npos++] = argv[i];
        else
            npos++;
        if (target) {
            if (i + 1 >= argc) {
                fprintf(stderr, "seau s3: %s needs a value\n", argv[i]);
                free(rest);
                return 2;
            }
            *target = argv[++i];
        }
    }
    static const struct {
        const char *name;
        int min, max;
    } shapes[] = {{"ls", 0, 1}, {"put", 2, 2}, {"get", 2, 2}, {"rm", 1, 1}, {"presign", 1, 1}};
    int shape = -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(cmd, shapes[i].name) == 0)
            shape = i;
    int64_t expires = 0;
    const char *problem = NULL;
    if (shape < 0)
        problem = "unknown command (see seau s3 --help)";
    else if (npos < shapes[shape].min || npos > shapes[shape].max)
        problem = "wrong number of arguments (see seau s3 --help)";
    else if (strcmp(method, "GET") != 0 && strcmp(method, "PUT") != 0)
        problem = "--method must be GET or PUT";
    else if (str_to_int64(expires_text, 1, S3_MAX_EXPIRES, &expires) != 0)
        problem = "--expires must be 1 to 604800 seconds";
    if (problem) {
        fprintf(stderr, "seau s3 %s: %s\n", cmd, problem);
        free(rest);
        return 2;
    }
    struct cfg c;
    int status = cli__load_config(nrest, rest, &c);
    free(rest);
    if (status)
        return status;
    if (!bucket)
        bucket = c.nbuckets ? c.buckets[0] : NULL;
    if (!bucket || s3name_bucket_problem(bucket)) {
        fprintf(stderr, "seau s3 %s: %s\n", cmd,
                bucket ? "--bucket is not a valid bucket name"
                       : "no bucket: give --bucket or set SEAU_BUCKETS");
        cfg_done(&c);
        return 2;
    }
    struct s3_cred_provider *p = NULL;
    struct s3_client *s3 = NULL;
    if (cli__open_s3(&c, &p, &s3)) {
        cfg_done(&c);
        return 1;
    }
    switch (shape) {
    case 0:
        status = cmd_ls(s3, bucket, pos[0]);
        break;
    case 1:
        status = cmd_put(s3, bucket, pos[0], pos[1]);
        break;
    case 2:
        status = cmd_get(s3, bucket, pos[0], pos[1]);
        break;
    case 3:
        status = cmd_rm(s3, bucket, pos[0]);
        break;
    default:
        status = cmd_presign(s3, bucket, pos[0], method, expires);
        break;
    }
    s3_client_free(s3);
    s3_credentials_free(p);
    cfg_done(&c);
    return status;
}
