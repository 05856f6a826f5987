/*
 * The AWS credentials chain (see credentials.h for the behaviour).
 *
 * Shape. Each source is a struct cred__source: a fetch function that
 * produces fresh credentials and a destructor for its configuration. The
 * chain runs once, in s3_credentials_open(), and leaves one source in the
 * provider; s3_credentials_get() then knows nothing about sources: it only
 * caches what fetch returns and decides when to call it again (STYLE.md
 * rule 4). Long-term keys come back with expires_ms = 0 and are fetched once.
 *
 * Concurrency. The mutex guards the cache and the error state only. The
 * thread that decides to refresh sets `refreshing`, drops the lock for the
 * network round trip and takes it again to install the result; the others
 * keep using the cached credentials while those are valid, or wait on the
 * condition variable when nothing valid is left.
 *
 * Secrets. Every buffer that may hold a secret (answers, token files, request
 * bodies, header lines) is wiped before it is freed; the XML parser gets a
 * memory suite that wipes what it frees; the strings jansson holds for the
 * secret fields are wiped before the document is released. libcurl's own
 * transient copies of a request (its send buffer) and jansson's lexer buffer
 * are beyond reach: they are freed without wiping, which is the residual risk.
 * Diagnostics name variables, files, fields and HTTP statuses, never values.
 */
#include "s3/credentials.h"
#include "s3/internal.h"

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "s3/ini.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CRED__ECS_BASE         "http://169.254.170.2"
#define CRED__IMDS_ENDPOINT    "http://169.254.169.254"
#define CRED__IMDS_TOKEN_TTL   "21600"
#define CRED__IMDS_CREDS_PATH  "/latest/meta-data/iam/security-credentials/"
#define CRED__MAX_ACCESS_KEY   128
#define CRED__MAX_WEB_TOKEN    20000 /* STS's limit on WebIdentityToken */
#define CRED__MIN_WEB_TOKEN    4
#define CRED__MAX_HEADER_TOKEN 8192 /* an ECS authorization token or an IMDS token */
#define CRED__MAX_URL          2048
#define CRED__MAX_PROFILE      128
#define CRED__MAX_ROLE_ARN     2048
#define CRED__MAX_REGION       64
#define CRED__MAX_ROLE_NAME    128
#define CRED__MAX_SESSION_NAME 64
#define CRED__MAX_XML_DEPTH    16
#define CRED__MAX_BODY         (4 * CRED__MAX_WEB_TOKEN) /* STS form body, once encoded */
#define CRED__BACKOFF_MIN_MS   1000
#define CRED__BACKOFF_MAX_MS   60000
#define CRED__MIN_REFRESH_MS   10000 /* never refresh more often, even for short-lived keys */

/* ================================ small helpers ================================ */

static bool cred__set(const char *s)
{
    return s && *s;
}

/* Writes a diagnostic sentence; why may be NULL. */
__attribute__((format(printf, 2, 3))) static void cred__why(char *why, const char *fmt, ...)
{
    if (!why)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, S3_CRED_WHY_SIZE, fmt, ap);
    va_end(ap);
}

/* True when s[0..len) is made of visible ASCII (0x21..0x7E), and of spaces when allowed. */
static bool cred__visible(const char *s, size_t len, bool allow_space)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c > 0x20 && c < 0x7F) || (allow_space && c == ' ')))
            return false;
    }
    return true;
}

static bool cred__space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims ASCII white space (token files end with a newline). */
static struct slice cred__trim(struct slice s)
{
    while (s.len && cred__space(s.p[0]))
        s.p++, s.len--;
    while (s.len && cred__space(s.p[s.len - 1]))
        s.len--;
    return s;
}

/* Region names go into an STS host name: letters, digits, '-', '_' and '.' only. */
static bool cred__region_ok(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n > CRED__MAX_REGION)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = r[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* IAM role and session names: [A-Za-z0-9+=,.@_-]. */
static bool cred__iam_name_ok(const char *s, size_t len, size_t min, size_t max)
{
    if (len < min || len > max)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c != '\0' && strchr("+=,.@_-", c))))
            return false;
    }
    return true;
}

void s3_credentials_done(struct s3_credentials *c)
{
    if (!c)
        return;
    free(c->access_key_id);
    str_free_secret(c->secret_access_key);
    str_free_secret(c->session_token);
    *c = (struct s3_credentials){0};
}

struct sigv4_credentials s3_credentials_sigv4(const struct s3_credentials *c)
{
    return (struct sigv4_credentials){
        .access_key_id = slice_from_cstr(c->access_key_id),
        .secret_access_key = slice_from_cstr(c->secret_access_key),
        .session_token = c->session_token ? slice_from_cstr(c->session_token) : SLICE_LIT(""),
    };
}

/*
 * Checks and copies a set of credentials into *ret. The names say where each
 * value came from, for the diagnostic ("AWS_SECRET_ACCESS_KEY"); values are
 * never quoted. An empty token means none. Returns 0, SEAU_E_VALIDATION or
 * SEAU_E_NOMEM.
 */
static int cred__make(struct slice ak, struct slice sk, struct slice tok, int64_t expires_ms,
                      const char *const names[3], char *why, struct s3_credentials *ret)
{
    if (ak.len == 0 || ak.len > CRED__MAX_ACCESS_KEY || !cred__visible(ak.p, ak.len, false)) {
        cred__why(why, "%s must be 1 to %d visible ASCII characters", names[0],
                  CRED__MAX_ACCESS_KEY);
        return SEAU_E_VALIDATION;
    }
    if (sk.len == 0 || sk.len > SIGV4_MAX_SECRET || !cred__visible(sk.p, sk.len, false)) {
        cred__why(why, "%s must be 1 to %d visible ASCII characters", names[1], SIGV4_MAX_SECRET);
        return SEAU_E_VALIDATION;
    }
    if (tok.len > SIGV4_MAX_SESSION_TOKEN || !cred__visible(tok.p, tok.len, false)) {
        cred__why(why, "%s must be at most %d visible ASCII characters", names[2],
                  SIGV4_MAX_SESSION_TOKEN);
        return SEAU_E_VALIDATION;
    }
    struct s3_credentials c = {.expires_ms = expires_ms};
    c.access_key_id = slice_dup(ak);
    c.secret_access_key = slice_dup(sk);
    c.session_token = tok.len ? slice_dup(tok) : NULL;
    if (!c.access_key_id || !c.secret_access_key || (tok.len && !c.session_token)) {
        s3_credentials_done(&c);
        return SEAU_E_NOMEM;
    }
    *ret = c;
    return 0;
}

static int cred__copy(const struct s3_credentials *src, struct s3_credentials *ret)
{
    static const char *const names[3] = {"", "", ""};
    return cred__make(slice_from_cstr(src->access_key_id), slice_from_cstr(src->secret_access_key),
                      slice_from_cstr(src->session_token), src->expires_ms, names, NULL, ret);
}

/*
 * Reads a whole regular file of at most max bytes into ret (a buf whose
 * maximum is at least max; release it with buf_done_secure()). Returns 0,
 * SEAU_E_NOT_FOUND, SEAU_E_IO, SEAU_E_TOO_LARGE or SEAU_E_NOMEM.
 */
static int cred__read_file(const char *path, size_t max, struct buf *ret)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? SEAU_E_NOT_FOUND : SEAU_E_IO;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        rc = SEAU_E_IO;
    else if ((uintmax_t)st.st_size > max)
        rc = SEAU_E_TOO_LARGE;
    char chunk[4096];
    while (rc == 0) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = SEAU_E_IO;
        else if (n == 0)
            break;
        else if (ret->len + (size_t)n > max)
            rc = SEAU_E_TOO_LARGE;
        else
            rc = buf_append(ret, chunk, (size_t)n);
    }
    str_wipe(chunk, sizeof(chunk));
    close(fd);
    return rc;
}

static const char *cred__file_error(int rc)
{
    switch (rc) {
    case SEAU_E_NOT_FOUND:
        return "does not exist";
    case SEAU_E_TOO_LARGE:
        return "is too large";
    case SEAU_E_NOMEM:
        return "could not be read: out of memory";
    default:
        return "cannot be read";
    }
}

/*
 * Reads a token file (web identity, ECS authorization) into ret, trimmed.
 * what names the file's variable for the diagnostic; inner spaces are allowed
 * when allow_space is true ("Bearer x" is a header value, a JWT has none).
 * Returns 0, SEAU_E_VALIDATION for a token that is too short, too long or not
 * printable ASCII, or what cred__read_file() returns.
 */
static int cred__read_token(const char *path, const char *what, size_t min, size_t max,
                            bool allow_space, char *why, struct buf *ret)
{
    struct buf raw;
    buf_init(&raw, S3_CRED_MAX_TOKEN_FILE);
    int rc = cred__read_file(path, S3_CRED_MAX_TOKEN_FILE, &raw);
    if (rc) {
        cred__why(why, "the file named by %s %s", what, cred__file_error(rc));
    } else {
        struct slice t = cred__trim((struct slice){buf_cstr(&raw), raw.len});
        if (t.len < min || t.len > max || !cred__visible(t.p, t.len, allow_space)) {
            cred__why(why, "the file named by %s must hold %zu to %zu printable ASCII characters",
                      what, min, max);
            rc = SEAU_E_VALIDATION;
        } else {
            rc = buf_append(ret, t.p, t.len);
        }
    }
    buf_done_secure(&raw);
    return rc;
}

/* Expands a leading "~/" with home; NULL when it cannot (no home) or out of memory. */
static char *cred__expand_path(const char *path, const char *home)
{
    if (path[0] != '~' || path[1] != '/')
        return str_dup(path);
    if (!cred__set(home))
        return NULL;
    struct buf b;
    buf_init(&b, 4096);
    if (buf_printf(&b, "%s%s", home, path + 1) != 0) {
        buf_done(&b);
        return NULL;
    }
    return buf_take(&b);
}

/* ================================ HTTP through libcurl ================================ */

struct cred__request {
    const char *what;   /* "STS", "the ECS endpoint", "IMDS": for diagnostics */
    const char *method; /* "GET", "PUT" or "POST" */
    const char *url;
    struct curl_slist *headers;
    const char *body; /* PUT and POST; may be a secret */
    size_t body_len;
    bool direct; /* bypass proxies (link-local and loopback services) */
};

/* Where the answer goes: a bounded buffer, and why the write stopped. */
struct cred__sink {
    struct buf *body;
    int rc;
};

static size_t cred__write(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct cred__sink *sink = userdata;
    size_t n = size * nmemb;
    int rc = buf_append(sink->body, data, n);
    if (rc) {
        sink->rc = rc;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    return n;
}

/* Adds "name: value" to a header list; the line may hold a secret and is wiped here. */
static int cred__header(struct curl_slist **list, const char *name, const char *value)
{
    struct buf line;
    buf_init(&line, CRED__MAX_HEADER_TOKEN + 256);
    int rc = buf_printf(&line, "%s: %s", name, value);
    if (rc == 0) {
        struct curl_slist *l = curl_slist_append(*list, buf_cstr(&line));
        if (l)
            *list = l;
        else
            rc = SEAU_E_NOMEM;
    }
    buf_done_secure(&line);
    return rc;
}

/* Wipes every header line (the copies libcurl made) and frees the list. Accepts NULL. */
static void cred__headers_free(struct curl_slist *list)
{
    for (struct curl_slist *l = list; l; l = l->next)
        if (l->data)
            str_wipe(l->data, strlen(l->data));
    curl_slist_free_all(list);
}

/*
 * Performs one request and appends the answer to body (whose maximum bounds
 * it). Returns 0 and the HTTP status in *ret_status whatever that status is;
 * SEAU_E_TOO_LARGE when the answer exceeds the buffer, SEAU_E_UNAVAILABLE when
 * the server cannot be reached or does not answer in time, SEAU_E_NOMEM or
 * SEAU_E_INTERNAL.
 */
static int cred__http(const struct s3_cred_provider *p, const struct cred__request *rq,
                      long *ret_status, struct buf *body, char *why);

/* ================================ the provider ================================ */

struct cred__source {
    /*
     * Produces fresh credentials in *ret at now_ms. Returns 0, or an error
     * with a sentence in why. Called without the provider's lock, by one
     * thread at a time.
     */
    int (*fetch)(struct s3_cred_provider *p, int64_t now_ms, struct s3_credentials *ret, char *why);
    /* Frees (and wipes) the source's configuration. */
    void (*free_conf)(void *conf);
};

struct s3_cred_provider {
    const struct cred__source *source;
    void *conf; /* the source's configuration, owned */
    char name[CRED__MAX_PROFILE + 16];
    char *region;
    bool curl_initialised;
    /* Timeouts of each HTTP request, in ms; fixed at open (tests shorten them). */
    long connect_timeout_ms;
    long timeout_ms;

    pthread_mutex_t lock;
    pthread_cond_t refreshed;
    /* Guarded by lock. */
    struct s3_credentials cached;
    bool have;
    bool refreshing;
    int64_t refresh_at_ms; /* refresh from then on */
    int64_t retry_at_ms;   /* after a failure, do not ask the source before then */
    int64_t backoff_ms;    /* the next wait after a failure; 0 after a success */
    int last_err;
    char last_why[S3_CRED_WHY_SIZE];
};

static int cred__http(const struct s3_cred_provider *p, const struct cred__request *rq,
                      long *ret_status, struct buf *body, char *why)
{
    CURL *h = curl_easy_init();
    if (!h) {
        cred__why(why, "libcurl could not create a handle for %s", rq->what);
        return SEAU_E_INTERNAL;
    }
    struct cred__sink sink = {body, 0};
    CURLcode cc = s3__curl_defaults(h, p->connect_timeout_ms);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_URL, rq->url);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, p->timeout_ms);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)body->max);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cred__write);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_USERAGENT, "seau");
    if (cc == CURLE_OK && rq->headers)
        cc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, rq->headers);
    if (cc == CURLE_OK && rq->direct)
        cc = curl_easy_setopt(h, CURLOPT_PROXY, ""); /* "" disables proxies, environment included */
    if (cc == CURLE_OK && strcmp(rq->method, "GET") != 0) {
        /* POSTFIELDS is not copied: libcurl reads the caller's (wiped) buffer. */
        cc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
        if (cc == CURLE_OK)
            cc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
        if (cc == CURLE_OK && strcmp(rq->method, "POST") != 0)
            cc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    }
    if (cc != CURLE_OK) {
        curl_easy_cleanup(h);
        cred__why(why, "libcurl refused an option for %s: %s", rq->what, curl_easy_strerror(cc));
        return cc == CURLE_OUT_OF_MEMORY ? SEAU_E_NOMEM : SEAU_E_INTERNAL;
    }
    cc = curl_easy_perform(h);
    long status = 0;
    if (cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);

    if (cc == CURLE_OK) {
        *ret_status = status;
        return 0;
    }
    if (sink.rc == SEAU_E_NOMEM || cc == CURLE_OUT_OF_MEMORY) {
        cred__why(why, "out of memory reading the answer of %s", rq->what);
        return SEAU_E_NOMEM;
    }
    if (sink.rc == SEAU_E_TOO_LARGE || cc == CURLE_FILESIZE_EXCEEDED) {
        cred__why(why, "the answer of %s is larger than %zu bytes", rq->what, body->max);
        return SEAU_E_TOO_LARGE;
    }
    cred__why(why, "%s did not answer: %s", rq->what, curl_easy_strerror(cc));
    return SEAU_E_UNAVAILABLE;
}

/*
 * Checks that s is an http or https URL (and nothing libcurl would refuse)
 * and writes its lower-case scheme and host, as libcurl parsed them, into
 * the given arrays. Returns 0 or SEAU_E_VALIDATION.
 */
static int cred__url_parts(const char *s, char scheme[8], char host[256])
{
    if (strlen(s) > CRED__MAX_URL || !cred__visible(s, strlen(s), false))
        return SEAU_E_VALIDATION;
    CURLU *u = curl_url();
    if (!u)
        return SEAU_E_NOMEM;
    char *sch = NULL, *hst = NULL;
    int rc = SEAU_E_VALIDATION;
    if (curl_url_set(u, CURLUPART_URL, s, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &sch, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &hst, 0) == CURLUE_OK &&
        (str_ieq(sch, "http") || str_ieq(sch, "https")) && strlen(hst) < 256) {
        snprintf(scheme, 8, "%s", sch);
        for (char *c = scheme; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        snprintf(host, 256, "%s", hst);
        rc = 0;
    }
    curl_free(sch);
    curl_free(hst);
    curl_url_cleanup(u);
    return rc;
}

/*
 * Whether an ECS full URI may be used over plain http: only to the loopback
 * interface or to the ECS and EKS Pod Identity agents, as the AWS SDKs
 * require (anything else must be https, so a token is never sent in clear
 * over a network).
 */
static bool cred__ecs_http_host_ok(const char *host)
{
    if (str_ieq(host, "localhost") || strcmp(host, "169.254.170.2") == 0 ||
        strcmp(host, "169.254.170.23") == 0 || strcmp(host, "[::1]") == 0 ||
        str_ieq(host, "[fd00:ec2::23]"))
        return true;
    struct in_addr a;
    return inet_pton(AF_INET, host, &a) == 1 && ((const unsigned char *)&a.s_addr)[0] == 127;
}

/* ================================ answers: JSON (ECS, IMDS) ================================ */

/* Wipes the bytes jansson keeps for a string member, before the document is released. */
static void cred__json_wipe(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_string(v))
        /* jansson owns a heap copy of the value: writing to it is safe. */
        str_wipe((char *)json_string_value(v), json_string_length(v));
}

/*
 * Parses {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"} (and an
 * optional "Code", which must be "Success") into *ret. what names the
 * service for the diagnostic. Returns 0, SEAU_E_VALIDATION for a malformed
 * answer, or SEAU_E_NOMEM.
 */
static int cred__parse_json(const struct buf *body, const char *what, char *why,
                            struct s3_credentials *ret)
{
    static const char *const names[3] = {"AccessKeyId", "SecretAccessKey", "Token"};
    json_error_t jerr;
    json_t *doc =
        json_loadb(body->data ? body->data : "", body->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(doc)) {
        json_decref(doc);
        cred__why(why, "the answer of %s is not a JSON object", what);
        return SEAU_E_VALIDATION;
    }
    int rc = 0;
    const char *code = json_string_value(json_object_get(doc, "Code"));
    const char *ak = json_string_value(json_object_get(doc, "AccessKeyId"));
    const char *sk = json_string_value(json_object_get(doc, "SecretAccessKey"));
    const char *tok = json_string_value(json_object_get(doc, "Token"));
    const char *exp = json_string_value(json_object_get(doc, "Expiration"));
    int64_t exp_ms = 0;
    if (json_object_get(doc, "Code") && (!code || strcmp(code, "Success") != 0)) {
        cred__why(why, "%s reported a failure instead of credentials", what);
        rc = SEAU_E_VALIDATION;
    } else if (!ak || !sk || !exp) {
        cred__why(why, "the answer of %s lacks AccessKeyId, SecretAccessKey or Expiration", what);
        rc = SEAU_E_VALIDATION;
    } else if (time_parse_rfc3339(exp, &exp_ms) != 0) {
        cred__why(why, "the Expiration in the answer of %s is not an RFC 3339 time", what);
        rc = SEAU_E_VALIDATION;
    } else {
        char local[S3_CRED_WHY_SIZE];
        rc = cred__make(slice_from_cstr(ak), slice_from_cstr(sk), slice_from_cstr(tok), exp_ms,
                        names, local, ret);
        if (rc == SEAU_E_VALIDATION)
            cred__why(why, "the answer of %s is malformed: %s", what, local);
    }
    cred__json_wipe(doc, "SecretAccessKey");
    cred__json_wipe(doc, "Token");
    json_decref(doc);
    return rc;
}

/* ================================ answers: XML (STS) ================================ */

/*
 * The XML parser's memory goes through these, so that the copies it makes
 * of character data (secrets among them) are wiped before they are freed.
 * malloc_usable_size() gives the size to wipe; realloc never leaves an
 * unwiped block behind.
 */
static void *cred__xml_malloc(size_t n)
{
    return malloc(n);
}

static void cred__xml_free(void *p)
{
    if (!p)
        return;
    str_wipe(p, malloc_usable_size(p));
    free(p);
}

static void *cred__xml_realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    size_t old = malloc_usable_size(p);
    void *q = malloc(n ? n : 1);
    if (!q)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    cred__xml_free(p);
    return q;
}

enum cred__xml_field {
    CRED__XML_ACCESS_KEY,
    CRED__XML_SECRET,
    CRED__XML_TOKEN,
    CRED__XML_EXPIRATION,
    CRED__XML_ERROR_CODE,
    CRED__XML_FIELDS,
    CRED__XML_NONE = -1,
};

/* Element paths: the success answer and the error answer of AssumeRoleWithWebIdentity. */
static const char *const cred__xml_ok_path[] = {"AssumeRoleWithWebIdentityResponse",
                                                "AssumeRoleWithWebIdentityResult", "Credentials"};
static const char *const cred__xml_ok_fields[] = {"AccessKeyId", "SecretAccessKey", "SessionToken",
                                                  "Expiration"};
static const char *const cred__xml_err_path[] = {"ErrorResponse", "Error"};

struct cred__xml {
    XML_Parser parser;
    int depth;    /* elements open */
    int ok_match; /* how many leading elements of the success path are open */
    int err_match;
    int field; /* enum cred__xml_field being read, or CRED__XML_NONE */
    bool seen[CRED__XML_FIELDS];
    struct buf text[CRED__XML_FIELDS];
    int rc; /* why the parser was stopped; 0 while fine */
};

static const char *cred__xml_local(const char *name)
{
    const char *colon = strrchr(name, ':');
    return colon ? colon + 1 : name;
}

static void cred__xml_stop(struct cred__xml *x, int rc)
{
    if (x->rc == 0)
        x->rc = rc;
    XML_StopParser(x->parser, XML_FALSE);
}

static void XMLCALL cred__xml_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    (void)attrs;
    struct cred__xml *x = ud;
    const char *local = cred__xml_local(name);
    int d = x->depth;
    if (++x->depth > CRED__MAX_XML_DEPTH) {
        cred__xml_stop(x, SEAU_E_TOO_LARGE);
        return;
    }
    if (d < 3 && x->ok_match == d && strcmp(local, cred__xml_ok_path[d]) == 0)
        x->ok_match++;
    if (d < 2 && x->err_match == d && strcmp(local, cred__xml_err_path[d]) == 0)
        x->err_match++;
    int field = CRED__XML_NONE;
    if (d == 3 && x->ok_match == 3) {
        for (int i = 0; i < 4; i++)
            if (strcmp(local, cred__xml_ok_fields[i]) == 0)
                field = i;
    } else if (d == 2 && x->err_match == 2 && strcmp(local, "Code") == 0) {
        field = CRED__XML_ERROR_CODE;
    }
    if (field != CRED__XML_NONE) {
        if (x->seen[field]) {
            cred__xml_stop(x, SEAU_E_VALIDATION); /* a field given twice */
            return;
        }
        x->seen[field] = true;
    }
    x->field = field;
}

static void XMLCALL cred__xml_end(void *ud, const XML_Char *name)
{
    (void)name;
    struct cred__xml *x = ud;
    x->depth--;
    x->field = CRED__XML_NONE;
    if (x->ok_match > x->depth)
        x->ok_match = x->depth;
    if (x->err_match > x->depth)
        x->err_match = x->depth;
}

static void XMLCALL cred__xml_chars(void *ud, const XML_Char *s, int len)
{
    struct cred__xml *x = ud;
    if (x->field == CRED__XML_NONE || len <= 0)
        return;
    int rc = buf_append(&x->text[x->field], s, (size_t)len);
    if (rc)
        cred__xml_stop(x, rc);
}

static void XMLCALL cred__xml_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                                      const XML_Char *pubid, int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    cred__xml_stop(ud, SEAU_E_VALIDATION); /* no DTD, hence no entity expansion at all */
}

static void cred__xml_done(struct cred__xml *x)
{
    for (int i = 0; i < CRED__XML_FIELDS; i++)
        buf_done_secure(&x->text[i]);
    if (x->parser)
        XML_ParserFree(x->parser);
}

/* Parses a trimmed RFC 3339 time held in a buf. */
static int cred__parse_time(const struct buf *b, int64_t *ret_ms)
{
    struct slice t = cred__trim((struct slice){buf_cstr(b), b->len});
    char s[64];
    if (t.len >= sizeof(s))
        return SEAU_E_VALIDATION;
    memcpy(s, t.p, t.len);
    s[t.len] = '\0';
    return time_parse_rfc3339(s, ret_ms);
}

/*
 * Parses an STS answer. For a success answer, writes the credentials into
 * *ret and returns 0. For an error answer or a malformed one, returns
 * SEAU_E_VALIDATION (SEAU_E_TOO_LARGE for an answer nested too deep or a
 * field too long) and copies the error's Code, when there is a sane one, into
 * err_code[64] ("" otherwise).
 */
static int cred__parse_sts(const struct buf *body, char *why, char err_code[64],
                           struct s3_credentials *ret)
{
    static const XML_Memory_Handling_Suite suite = {cred__xml_malloc, cred__xml_realloc,
                                                    cred__xml_free};
    static const size_t limits[CRED__XML_FIELDS] = {CRED__MAX_ACCESS_KEY, SIGV4_MAX_SECRET,
                                                    SIGV4_MAX_SESSION_TOKEN, 64, 64};
    static const char *const names[3] = {"AccessKeyId", "SecretAccessKey", "SessionToken"};
    struct cred__xml x = {.field = CRED__XML_NONE};
    for (int i = 0; i < CRED__XML_FIELDS; i++)
        buf_init(&x.text[i], limits[i]);
    err_code[0] = '\0';
    x.parser = XML_ParserCreate_MM(NULL, &suite, NULL);
    if (!x.parser) {
        cred__xml_done(&x);
        return SEAU_E_NOMEM;
    }
    XML_SetUserData(x.parser, &x);
    XML_SetElementHandler(x.parser, cred__xml_start, cred__xml_end);
    XML_SetCharacterDataHandler(x.parser, cred__xml_chars);
    XML_SetStartDoctypeDeclHandler(x.parser, cred__xml_doctype);
    XML_SetParamEntityParsing(x.parser, XML_PARAM_ENTITY_PARSING_NEVER);

    int rc = 0;
    if (body->len > INT32_MAX)
        rc = SEAU_E_TOO_LARGE;
    else if (XML_Parse(x.parser, body->data ? body->data : "", (int)body->len, XML_TRUE) !=
             XML_STATUS_OK)
        rc = x.rc ? x.rc : SEAU_E_VALIDATION;

    const struct buf *code = &x.text[CRED__XML_ERROR_CODE];
    if (x.seen[CRED__XML_ERROR_CODE] && code->len > 0 && code->len < 64 &&
        cred__iam_name_ok(code->data, code->len, 1, 63))
        snprintf(err_code, 64, "%s", code->data);

    int64_t exp_ms = 0;
    if (rc) {
        cred__why(why, "the answer of STS is not acceptable XML%s",
                  rc == SEAU_E_TOO_LARGE ? " (too deep, or a field too long)" : "");
    } else if (!x.seen[CRED__XML_ACCESS_KEY] || !x.seen[CRED__XML_SECRET] ||
               !x.seen[CRED__XML_TOKEN] || !x.seen[CRED__XML_EXPIRATION]) {
        /* Unlike ECS-style answers, STS credentials are always temporary: a token is a must. */
        cred__why(why, "the answer of STS holds no credentials");
        rc = SEAU_E_VALIDATION;
    } else if (cred__parse_time(&x.text[CRED__XML_EXPIRATION], &exp_ms) != 0) {
        cred__why(why, "the Expiration in the answer of STS is not an RFC 3339 time");
        rc = SEAU_E_VALIDATION;
    } else {
        /* Pretty-printed XML may surround a value with white space. */
        struct slice v[3];
        for (int i = 0; i < 3; i++)
            v[i] = cred__trim((struct slice){buf_cstr(&x.text[i]), x.text[i].len});
        char local[S3_CRED_WHY_SIZE];
        if (v[2].len == 0) {
            cred__why(why, "the answer of STS holds no session token");
            rc = SEAU_E_VALIDATION;
        } else {
            rc = cred__make(v[0], v[1], v[2], exp_ms, names, local, ret);
            if (rc == SEAU_E_VALIDATION)
                cred__why(why, "the answer of STS is malformed: %s", local);
        }
    }
    cred__xml_done(&x);
    return rc;
}

/* ================================ sources ================================ */

/* ---- environment and profile: long-term keys, copied at open ---- */

struct cred__static_conf {
    struct s3_credentials creds;
};

static int cred__static_fetch(struct s3_cred_provider *p, int64_t now_ms,
                              struct s3_credentials *ret, char *why)
{
    (void)now_ms;
    const struct cred__static_conf *c = p->conf;
    int rc = cred__copy(&c->creds, ret);
    if (rc)
        cred__why(why, "out of memory copying the credentials");
    return rc;
}

static void cred__static_free(void *conf)
{
    struct cred__static_conf *c = conf;
    if (!c)
        return;
    s3_credentials_done(&c->creds);
    free(c);
}

static const struct cred__source cred__static_source = {cred__static_fetch, cred__static_free};

static int cred__use_static(struct s3_cred_provider *p, const char *ak, const char *sk,
                            const char *tok, const char *const names[3], char *why)
{
    struct cred__static_conf *c = calloc(1, sizeof(*c));
    if (!c)
        return SEAU_E_NOMEM;
    int rc = cred__make(slice_from_cstr(ak), slice_from_cstr(sk), slice_from_cstr(tok), 0, names,
                        why, &c->creds);
    if (rc) {
        free(c);
        return rc;
    }
    p->source = &cred__static_source;
    p->conf = c;
    return 0;
}

/* ---- web identity: STS AssumeRoleWithWebIdentity ---- */

struct cred__web_conf {
    char *token_file;
    char *role_arn;
    char *session_name; /* NULL: "seau-<ms>" at each refresh */
    char *sts_url;
};

static void cred__web_free(void *conf)
{
    struct cred__web_conf *c = conf;
    if (!c)
        return;
    free(c->token_file);
    free(c->role_arn);
    free(c->session_name);
    free(c->sts_url);
    free(c);
}

/* Appends "&name=value" (no '&' first) to a form body, value percent-encoded. */
static int cred__form(struct buf *b, const char *name, const char *value)
{
    int rc = 0;
    if (b->len)
        rc = buf_append_char(b, '&');
    if (rc == 0)
        rc = buf_printf(b, "%s=", name);
    if (rc == 0)
        rc = codec_percent_encode(b, slice_from_cstr(value), NULL);
    return rc;
}

static int cred__web_fetch(struct s3_cred_provider *p, int64_t now_ms, struct s3_credentials *ret,
                           char *why)
{
    const struct cred__web_conf *c = p->conf;
    struct buf token, body, answer;
    buf_init(&token, CRED__MAX_WEB_TOKEN);
    buf_init(&body, CRED__MAX_BODY);
    buf_init(&answer, S3_CRED_MAX_ANSWER);
    struct curl_slist *headers = NULL;
    char session[32];
    const char *session_name = c->session_name;
    if (!session_name) {
        snprintf(session, sizeof(session), "seau-%lld", (long long)now_ms);
        session_name = session;
    }

    int rc = cred__read_token(c->token_file, "AWS_WEB_IDENTITY_TOKEN_FILE", CRED__MIN_WEB_TOKEN,
                              CRED__MAX_WEB_TOKEN, false, why, &token);
    if (rc == 0)
        rc = cred__form(&body, "Action", "AssumeRoleWithWebIdentity");
    if (rc == 0)
        rc = cred__form(&body, "Version", "2011-06-15");
    if (rc == 0)
        rc = cred__form(&body, "RoleArn", c->role_arn);
    if (rc == 0)
        rc = cred__form(&body, "RoleSessionName", session_name);
    if (rc == 0)
        rc = cred__form(&body, "WebIdentityToken", buf_cstr(&token));
    if (rc == 0)
        rc = cred__header(&headers, "Content-Type", "application/x-www-form-urlencoded");
    if (rc == 0)
        rc = cred__header(&headers, "Accept", "text/xml");
    if (rc == 0) {
        /* No "Expect: 100-continue" wait for bodies over 1 KiB. */
        struct curl_slist *l = curl_slist_append(headers, "Expect:");
        if (l)
            headers = l;
        else
            rc = SEAU_E_NOMEM;
    }
    long status = 0;
    if (rc == 0) {
        struct cred__request rq = {.what = "STS",
                                   .method = "POST",
                                   .url = c->sts_url,
                                   .headers = headers,
                                   .body = buf_cstr(&body),
                                   .body_len = body.len};
        rc = cred__http(p, &rq, &status, &answer, why);
    }
    if (rc == 0) {
        char code[64];
        rc = cred__parse_sts(&answer, why, code, ret);
        if (status != 200) {
            if (rc == 0)
                s3_credentials_done(ret);
            cred__why(why, "STS refused AssumeRoleWithWebIdentity: HTTP %ld%s%s%s", status,
                      code[0] ? " (" : "", code, code[0] ? ")" : "");
            rc = SEAU_E_UNAVAILABLE;
        }
    } else if (rc == SEAU_E_NOMEM && !why[0]) {
        cred__why(why, "out of memory preparing the STS request");
    }
    cred__headers_free(headers);
    buf_done_secure(&token);
    buf_done_secure(&body);
    buf_done_secure(&answer);
    return rc;
}

static const struct cred__source cred__web_source = {cred__web_fetch, cred__web_free};

/* ---- ECS container credentials ---- */

struct cred__ecs_conf {
    char *url;
    char *auth_token;      /* secret; NULL when none or when read from the file */
    char *auth_token_file; /* read at every refresh; wins over auth_token */
};

static void cred__ecs_free(void *conf)
{
    struct cred__ecs_conf *c = conf;
    if (!c)
        return;
    free(c->url);
    str_free_secret(c->auth_token);
    free(c->auth_token_file);
    free(c);
}

static int cred__ecs_fetch(struct s3_cred_provider *p, int64_t now_ms, struct s3_credentials *ret,
                           char *why)
{
    (void)now_ms;
    const struct cred__ecs_conf *c = p->conf;
    struct buf token, answer;
    buf_init(&token, CRED__MAX_HEADER_TOKEN);
    buf_init(&answer, S3_CRED_MAX_ANSWER);
    struct curl_slist *headers = NULL;
    int rc = 0;
    if (c->auth_token_file)
        rc = cred__read_token(c->auth_token_file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", 1,
                              CRED__MAX_HEADER_TOKEN, true, why, &token);
    else if (c->auth_token)
        rc = buf_append_str(&token, c->auth_token);
    if (rc == 0 && token.len)
        rc = cred__header(&headers, "Authorization", buf_cstr(&token));
    if (rc == 0)
        rc = cred__header(&headers, "Accept", "application/json");
    long status = 0;
    if (rc == 0) {
        struct cred__request rq = {.what = "the ECS credentials endpoint",
                                   .method = "GET",
                                   .url = c->url,
                                   .headers = headers,
                                   .direct = true};
        rc = cred__http(p, &rq, &status, &answer, why);
    } else if (rc == SEAU_E_NOMEM && !why[0]) {
        cred__why(why, "out of memory preparing the ECS request");
    }
    if (rc == 0 && status != 200) {
        cred__why(why, "the ECS credentials endpoint answered HTTP %ld", status);
        rc = SEAU_E_UNAVAILABLE;
    }
    if (rc == 0)
        rc = cred__parse_json(&answer, "the ECS credentials endpoint", why, ret);
    cred__headers_free(headers);
    buf_done_secure(&token);
    buf_done_secure(&answer);
    return rc;
}

static const struct cred__source cred__ecs_source = {cred__ecs_fetch, cred__ecs_free};

/* ---- EC2 instance metadata, IMDSv2 ---- */

struct cred__imds_conf {
    char *endpoint; /* "http://169.254.169.254", no trailing '/' */
};

static void cred__imds_free(void *conf)
{
    struct cred__imds_conf *c = conf;
    if (!c)
        return;
    free(c->endpoint);
    free(c);
}

/* One IMDS request: method and path on the endpoint, with a header; the answer must be 200. */
static int cred__imds_call(struct s3_cred_provider *p, const char *method, const char *path,
                           const char *header, const char *value, struct buf *answer, char *why,
                           long *ret_status)
{
    const struct cred__imds_conf *c = p->conf;
    struct buf url;
    buf_init(&url, CRED__MAX_URL + 256);
    struct curl_slist *headers = NULL;
    int rc = buf_printf(&url, "%s%s", c->endpoint, path);
    if (rc == 0)
        rc = cred__header(&headers, header, value);
    if (rc == 0 && strcmp(method, "PUT") == 0) {
        /* Content-Length: 0 is sent; the form content type libcurl would add is not. */
        struct curl_slist *l = curl_slist_append(headers, "Content-Type:");
        if (l)
            headers = l;
        else
            rc = SEAU_E_NOMEM;
    }
    long status = 0;
    if (rc == 0) {
        struct cred__request rq = {.what = "IMDS",
                                   .method = method,
                                   .url = buf_cstr(&url),
                                   .headers = headers,
                                   .body = "",
                                   .direct = true};
        rc = cred__http(p, &rq, &status, answer, why);
    } else {
        cred__why(why, "out of memory preparing an IMDS request");
    }
    if (rc == 0)
        *ret_status = status;
    cred__headers_free(headers);
    buf_done(&url);
    return rc;
}

static int cred__imds_fetch(struct s3_cred_provider *p, int64_t now_ms, struct s3_credentials *ret,
                            char *why)
{
    (void)now_ms;
    struct buf token, roles, answer;
    buf_init(&token, CRED__MAX_HEADER_TOKEN);
    buf_init(&roles, S3_CRED_MAX_ANSWER);
    buf_init(&answer, S3_CRED_MAX_ANSWER);
    char path[sizeof(CRED__IMDS_CREDS_PATH) + CRED__MAX_ROLE_NAME];
    long status = 0;

    int rc = cred__imds_call(p, "PUT", "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds",
                             CRED__IMDS_TOKEN_TTL, &token, why, &status);
    if (rc == 0 && status != 200) {
        cred__why(why, "IMDS refused a session token: HTTP %ld", status);
        rc = SEAU_E_UNAVAILABLE;
    }
    if (rc == 0 && (token.len == 0 || !cred__visible(token.data, token.len, false))) {
        cred__why(why, "IMDS answered a malformed session token");
        rc = SEAU_E_VALIDATION;
    }
    if (rc == 0)
        rc = cred__imds_call(p, "GET", CRED__IMDS_CREDS_PATH, "X-aws-ec2-metadata-token",
                             buf_cstr(&token), &roles, why, &status);
    if (rc == 0 && status == 404) {
        cred__why(why, "IMDS knows no IAM role: attach an instance profile to this instance");
        rc = SEAU_E_UNAVAILABLE;
    } else if (rc == 0 && status != 200) {
        cred__why(why, "IMDS answered HTTP %ld for the IAM role", status);
        rc = SEAU_E_UNAVAILABLE;
    }
    if (rc == 0) {
        /* One role per line; an instance profile has exactly one. */
        struct slice all = {buf_cstr(&roles), roles.len};
        const char *nl = memchr(all.p, '\n', all.len);
        struct slice role = cred__trim((struct slice){all.p, nl ? (size_t)(nl - all.p) : all.len});
        if (!cred__iam_name_ok(role.p, role.len, 1, CRED__MAX_ROLE_NAME)) {
            cred__why(why, "IMDS answered a malformed IAM role name");
            rc = SEAU_E_VALIDATION;
        } else {
            snprintf(path, sizeof(path), "%s%.*s", CRED__IMDS_CREDS_PATH, (int)role.len, role.p);
        }
    }
    if (rc == 0)
        rc = cred__imds_call(p, "GET", path, "X-aws-ec2-metadata-token", buf_cstr(&token), &answer,
                             why, &status);
    if (rc == 0 && status != 200) {
        cred__why(why, "IMDS answered HTTP %ld for the role's credentials", status);
        rc = SEAU_E_UNAVAILABLE;
    }
    if (rc == 0)
        rc = cred__parse_json(&answer, "IMDS", why, ret);
    buf_done_secure(&token);
    buf_done(&roles);
    buf_done_secure(&answer);
    return rc;
}

static const struct cred__source cred__imds_source = {cred__imds_fetch, cred__imds_free};

/* ================================ the chain ================================ */

/* The shared files, loaded when needed; NULL when absent. */
struct cred__files {
    char *credentials_path;
    char *config_path;
    struct s3_ini *credentials;
    struct s3_ini *config;
};

static void cred__files_done(struct cred__files *f)
{
    free(f->credentials_path);
    free(f->config_path);
    s3_ini_free(f->credentials);
    s3_ini_free(f->config);
}

/*
 * Loads one shared file: an explicit path (with "~/" expanded) or home +
 * fallback. A missing file, or no path at all, leaves *ret NULL and is fine.
 */
static int cred__load(const char *explicit_path, const char *home, const char *fallback,
                      enum s3_ini_kind kind, char **ret_path, struct s3_ini **ret, char *why)
{
    char *path = NULL;
    if (cred__set(explicit_path)) {
        path = cred__expand_path(explicit_path, home);
        if (!path && explicit_path[0] == '~' && !cred__set(home)) {
            cred__why(why, "%s starts with ~/ but HOME is not set",
                      kind == S3_INI_CONFIG ? "AWS_CONFIG_FILE" : "AWS_SHARED_CREDENTIALS_FILE");
            return SEAU_E_VALIDATION;
        }
    } else if (cred__set(home)) {
        path = cred__expand_path(fallback, home);
    } else {
        return 0;
    }
    if (!path)
        return SEAU_E_NOMEM;
    size_t line = 0;
    int rc = s3_ini_load(path, kind, ret, &line);
    if (rc == SEAU_E_NOT_FOUND) {
        rc = 0;
    } else if (rc == SEAU_E_VALIDATION) {
        cred__why(why, "%s, line %zu: expected [section], key = value, or a comment", path, line);
    } else if (rc == SEAU_E_TOO_LARGE) {
        if (line)
            cred__why(why, "%s, line %zu: the line or the value is longer than %d bytes", path,
                      line, S3_INI_MAX_LINE);
        else
            cred__why(why, "%s is larger than %d bytes, or has too many sections or keys", path,
                      S3_INI_MAX_FILE);
    } else if (rc) {
        cred__why(why, "%s %s", path, cred__file_error(rc));
    }
    *ret_path = path;
    return rc;
}

/*
 * Looks for keys in the profile's section of one file. No keys at all leaves
 * the provider without a source and returns 0; half of them is an error.
 */
static int cred__profile_keys(struct s3_cred_provider *p, const struct s3_ini *ini,
                              const char *path, const char *profile, char *why)
{
    const char *ak = s3_ini_get(ini, profile, "aws_access_key_id");
    const char *sk = s3_ini_get(ini, profile, "aws_secret_access_key");
    const char *tok = s3_ini_get(ini, profile, "aws_session_token");
    if (!cred__set(tok))
        tok = s3_ini_get(ini, profile, "aws_security_token"); /* the older name */
    if (!cred__set(ak) && !cred__set(sk))
        return 0;
    if (!cred__set(ak) || !cred__set(sk)) {
        cred__why(why, "%s, profile %s: %s is set but %s is not", path, profile,
                  cred__set(ak) ? "aws_access_key_id" : "aws_secret_access_key",
                  cred__set(ak) ? "aws_secret_access_key" : "aws_access_key_id");
        return SEAU_E_VALIDATION;
    }
    char local[S3_CRED_WHY_SIZE];
    static const char *const names[3] = {"aws_access_key_id", "aws_secret_access_key",
                                         "aws_session_token"};
    int rc = cred__use_static(p, ak, sk, tok, names, local);
    if (rc == SEAU_E_VALIDATION)
        cred__why(why, "%s, profile %s: %s", path, profile, local);
    if (rc == 0)
        snprintf(p->name, sizeof(p->name), "profile %s", profile);
    return rc;
}

static int cred__choose_web(struct s3_cred_provider *p, const struct s3_cred_env *env, char *why)
{
    if (!cred__set(env->role_arn)) {
        cred__why(why, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
        return SEAU_E_VALIDATION;
    }
    if (!cred__set(env->web_identity_token_file)) {
        cred__why(why, "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not");
        return SEAU_E_VALIDATION;
    }
    size_t arn_len = strlen(env->role_arn);
    if (arn_len > CRED__MAX_ROLE_ARN || strncmp(env->role_arn, "arn:", 4) != 0 ||
        !cred__visible(env->role_arn, arn_len, false)) {
        cred__why(why, "AWS_ROLE_ARN must be an ARN (arn:aws:iam::ACCOUNT:role/NAME)");
        return SEAU_E_VALIDATION;
    }
    if (cred__set(env->role_session_name) &&
        !cred__iam_name_ok(env->role_session_name, strlen(env->role_session_name), 2,
                           CRED__MAX_SESSION_NAME)) {
        cred__why(why, "AWS_ROLE_SESSION_NAME must be 2 to 64 of A-Z a-z 0-9 + = , . @ _ -");
        return SEAU_E_VALIDATION;
    }
    char scheme[8], host[256];
    if (cred__set(env->endpoint_url_sts) &&
        cred__url_parts(env->endpoint_url_sts, scheme, host) != 0) {
        cred__why(why, "AWS_ENDPOINT_URL_STS must be an http or https URL");
        return SEAU_E_VALIDATION;
    }
    struct cred__web_conf *c = calloc(1, sizeof(*c));
    if (!c)
        return SEAU_E_NOMEM;
    struct buf url;
    buf_init(&url, CRED__MAX_URL + 128);
    int rc;
    if (cred__set(env->endpoint_url_sts))
        rc = buf_append_str(&url, env->endpoint_url_sts);
    else if (p->region)
        rc = buf_printf(&url, "https://sts.%s.amazonaws.com/", p->region);
    else
        rc = buf_append_str(&url, "https://sts.amazonaws.com/");
    c->sts_url = rc == 0 ? buf_take(&url) : NULL;
    buf_done(&url);
    c->token_file = cred__expand_path(env->web_identity_token_file, env->home);
    c->role_arn = str_dup(env->role_arn);
    c->session_name = cred__set(env->role_session_name) ? str_dup(env->role_session_name) : NULL;
    if (!c->sts_url || !c->token_file || !c->role_arn ||
        (cred__set(env->role_session_name) && !c->session_name)) {
        bool no_home = !c->token_file && env->web_identity_token_file[0] == '~';
        cred__web_free(c);
        if (no_home) {
            cred__why(why, "AWS_WEB_IDENTITY_TOKEN_FILE starts with ~/ but HOME is not set");
            return SEAU_E_VALIDATION;
        }
        return SEAU_E_NOMEM;
    }
    p->source = &cred__web_source;
    p->conf = c;
    snprintf(p->name, sizeof(p->name), "web identity");
    return 0;
}

static int cred__choose_ecs(struct s3_cred_provider *p, const struct s3_cred_env *env, char *why)
{
    struct buf url;
    buf_init(&url, CRED__MAX_URL + 64);
    int rc = 0;
    if (cred__set(env->container_relative_uri)) {
        const char *rel = env->container_relative_uri;
        if (rel[0] != '/' || strlen(rel) > CRED__MAX_URL ||
            !cred__visible(rel, strlen(rel), false)) {
            cred__why(why, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path starting with /");
            return SEAU_E_VALIDATION;
        }
        rc = buf_printf(&url, "%s%s", CRED__ECS_BASE, rel);
    } else {
        char scheme[8], host[256];
        if (cred__url_parts(env->container_full_uri, scheme, host) != 0) {
            cred__why(why, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http or https URL");
            return SEAU_E_VALIDATION;
        }
        if (strcmp(scheme, "http") == 0 && !cred__ecs_http_host_ok(host)) {
            cred__why(why, "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https unless its host is "
                           "a loopback address, 169.254.170.2 or 169.254.170.23");
            return SEAU_E_VALIDATION;
        }
        rc = buf_append_str(&url, env->container_full_uri);
    }
    const char *tok = env->container_auth_token;
    if (!cred__set(env->container_auth_token_file) && cred__set(tok) &&
        (strlen(tok) > CRED__MAX_HEADER_TOKEN || !cred__visible(tok, strlen(tok), true))) {
        buf_done(&url);
        cred__why(why,
                  "AWS_CONTAINER_AUTHORIZATION_TOKEN must be at most %d printable ASCII "
                  "characters",
                  CRED__MAX_HEADER_TOKEN);
        return SEAU_E_VALIDATION;
    }
    struct cred__ecs_conf *c = calloc(1, sizeof(*c));
    if (!c || rc) {
        free(c);
        buf_done(&url);
        return SEAU_E_NOMEM;
    }
    c->url = buf_take(&url);
    buf_done(&url);
    bool want_file = cred__set(env->container_auth_token_file);
    bool want_token = !want_file && cred__set(tok);
    if (want_file)
        c->auth_token_file = cred__expand_path(env->container_auth_token_file, env->home);
    if (want_token)
        c->auth_token = str_dup(tok);
    if (!c->url || (want_file && !c->auth_token_file) || (want_token && !c->auth_token)) {
        bool no_home = want_file && !c->auth_token_file && env->container_auth_token_file[0] == '~';
        cred__ecs_free(c);
        if (no_home) {
            cred__why(why, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE starts with ~/ but HOME is "
                           "not set");
            return SEAU_E_VALIDATION;
        }
        return SEAU_E_NOMEM;
    }
    p->source = &cred__ecs_source;
    p->conf = c;
    snprintf(p->name, sizeof(p->name), "ecs");
    return 0;
}

static int cred__choose_imds(struct s3_cred_provider *p, const struct s3_cred_env *env, char *why)
{
    const char *endpoint = CRED__IMDS_ENDPOINT;
    char scheme[8], host[256];
    if (cred__set(env->ec2_metadata_endpoint)) {
        endpoint = env->ec2_metadata_endpoint;
        if (cred__url_parts(endpoint, scheme, host) != 0) {
            cred__why(why, "AWS_EC2_METADATA_SERVICE_ENDPOINT must be an http or https URL");
            return SEAU_E_VALIDATION;
        }
    }
    struct cred__imds_conf *c = calloc(1, sizeof(*c));
    if (!c)
        return SEAU_E_NOMEM;
    size_t n = strlen(endpoint);
    while (n && endpoint[n - 1] == '/')
        n--;
    c->endpoint = slice_dup((struct slice){endpoint, n});
    if (!c->endpoint) {
        free(c);
        return SEAU_E_NOMEM;
    }
    p->source = &cred__imds_source;
    p->conf = c;
    snprintf(p->name, sizeof(p->name), "imds");
    return 0;
}

/* Runs the chain: on success p has a source, a name and maybe a region. */
static int cred__choose(struct s3_cred_provider *p, const struct s3_cred_env *env, char *why)
{
    static const char *const env_names[3] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                             "AWS_SESSION_TOKEN"};
    int rc = 0;

    /* 1. The environment. */
    bool ak = cred__set(env->access_key_id), sk = cred__set(env->secret_access_key);
    if (ak != sk) {
        cred__why(why, "%s is set but %s is not", ak ? env_names[0] : env_names[1],
                  ak ? env_names[1] : env_names[0]);
        return SEAU_E_VALIDATION;
    }
    if (ak) {
        rc = cred__use_static(p, env->access_key_id, env->secret_access_key, env->session_token,
                              env_names, why);
        if (rc)
            return rc;
        snprintf(p->name, sizeof(p->name), "environment");
    }

    if (cred__set(env->region)) {
        if (!cred__region_ok(env->region)) {
            cred__why(why, "AWS_REGION must be a region name such as eu-west-3");
            return SEAU_E_VALIDATION;
        }
        p->region = str_dup(env->region);
        if (!p->region)
            return SEAU_E_NOMEM;
    }
    if (p->source && p->region)
        return 0; /* the shared files have nothing more to give */

    /* 2. The profile, in the shared files; the config file also gives the region. */
    const char *profile = cred__set(env->profile) ? env->profile : "default";
    if (strlen(profile) > CRED__MAX_PROFILE || !cred__visible(profile, strlen(profile), true)) {
        cred__why(why, "AWS_PROFILE must be at most %d printable ASCII characters",
                  CRED__MAX_PROFILE);
        return SEAU_E_VALIDATION;
    }
    struct cred__files f = {0};
    if (!p->source)
        rc = cred__load(env->shared_credentials_file, env->home, "~/.aws/credentials",
                        S3_INI_CREDENTIALS, &f.credentials_path, &f.credentials, why);
    if (rc == 0)
        rc = cred__load(env->config_file, env->home, "~/.aws/config", S3_INI_CONFIG, &f.config_path,
                        &f.config, why);
    if (rc == 0 && !p->source && f.credentials)
        rc = cred__profile_keys(p, f.credentials, f.credentials_path, profile, why);
    if (rc == 0 && !p->source && f.config)
        rc = cred__profile_keys(p, f.config, f.config_path, profile, why);
    if (rc == 0 && !p->region && f.config) {
        const char *region = s3_ini_get(f.config, profile, "region");
        if (cred__set(region) && !cred__region_ok(region)) {
            cred__why(why, "%s, profile %s: region must be a region name such as eu-west-3",
                      f.config_path, profile);
            rc = SEAU_E_VALIDATION;
        } else if (cred__set(region) && !(p->region = str_dup(region))) {
            rc = SEAU_E_NOMEM;
        }
    }
    if (rc == 0 && !p->source && cred__set(env->profile) &&
        !s3_ini_has_profile(f.credentials, profile) && !s3_ini_has_profile(f.config, profile)) {
        cred__why(why, "AWS_PROFILE names profile %s, which is in neither %s nor %s", profile,
                  f.credentials_path ? f.credentials_path : "the credentials file",
                  f.config_path ? f.config_path : "the config file");
        rc = SEAU_E_NOT_FOUND;
    }
    cred__files_done(&f);
    if (rc || p->source)
        return rc;

    /* 3. Web identity. */
    if (cred__set(env->web_identity_token_file) || cred__set(env->role_arn))
        return cred__choose_web(p, env, why);
    /* 4. ECS; the relative URI wins over the full one, as in the SDKs. */
    if (cred__set(env->container_relative_uri) || cred__set(env->container_full_uri))
        return cred__choose_ecs(p, env, why);
    /* 5. IMDS, unless disabled. */
    if (!(env->ec2_metadata_disabled && str_ieq(env->ec2_metadata_disabled, "true")))
        return cred__choose_imds(p, env, why);
    cred__why(why, "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                   "AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE or an ECS variable (IMDS is "
                   "disabled)");
    return SEAU_E_NOT_FOUND;
}

/* ================================ public ================================ */

static const char *cred__getenv(const char *name)
{
    const char *v = getenv(name);
    return cred__set(v) ? v : NULL;
}

void s3_cred_env_from_process(struct s3_cred_env *ret)
{
    const char *region = cred__getenv("AWS_REGION");
    *ret = (struct s3_cred_env){
        .access_key_id = cred__getenv("AWS_ACCESS_KEY_ID"),
        .secret_access_key = cred__getenv("AWS_SECRET_ACCESS_KEY"),
        .session_token = cred__getenv("AWS_SESSION_TOKEN"),
        .profile = cred__getenv("AWS_PROFILE"),
        .shared_credentials_file = cred__getenv("AWS_SHARED_CREDENTIALS_FILE"),
        .config_file = cred__getenv("AWS_CONFIG_FILE"),
        .home = cred__getenv("HOME"),
        .region = region ? region : cred__getenv("AWS_DEFAULT_REGION"),
        .web_identity_token_file = cred__getenv("AWS_WEB_IDENTITY_TOKEN_FILE"),
        .role_arn = cred__getenv("AWS_ROLE_ARN"),
        .role_session_name = cred__getenv("AWS_ROLE_SESSION_NAME"),
        .endpoint_url_sts = cred__getenv("AWS_ENDPOINT_URL_STS"),
        .container_relative_uri = cred__getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
        .container_full_uri = cred__getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        .container_auth_token = cred__getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
        .container_auth_token_file = cred__getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
        .ec2_metadata_disabled = cred__getenv("AWS_EC2_METADATA_DISABLED"),
        .ec2_metadata_endpoint = cred__getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"),
    };
}

void s3_credentials_free(struct s3_cred_provider *p)
{
    if (!p)
        return;
    if (p->source)
        p->source->free_conf(p->conf);
    s3_credentials_done(&p->cached);
    free(p->region);
    pthread_cond_destroy(&p->refreshed);
    pthread_mutex_destroy(&p->lock);
    if (p->curl_initialised)
        curl_global_cleanup();
    free(p);
}

int s3_credentials_open_why(const struct s3_cred_env *env, char why[S3_CRED_WHY_SIZE],
                            struct s3_cred_provider **ret)
{
    char local[S3_CRED_WHY_SIZE];
    if (!why)
        why = local;
    why[0] = '\0';
    struct s3_cred_provider *p = calloc(1, sizeof(*p));
    if (!p)
        return SEAU_E_NOMEM;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return SEAU_E_NOMEM;
    }
    if (pthread_cond_init(&p->refreshed, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        return SEAU_E_NOMEM;
    }
    int rc = cred__choose(p, env, why);
    if (rc == 0 && p->source != &cred__static_source) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) {
            p->curl_initialised = true;
        } else {
            cred__why(why, "libcurl could not be initialised");
            rc = SEAU_E_INTERNAL;
        }
    }
    if (p->source == &cred__imds_source) {
        p->connect_timeout_ms = 1000; /* fail fast where there is no IMDS */
        p->timeout_ms = 3000;
    } else if (p->source == &cred__ecs_source) {
        p->connect_timeout_ms = 2000;
        p->timeout_ms = 10000;
    } else {
        p->connect_timeout_ms = 5000;
        p->timeout_ms = 15000;
    }
    if (rc) {
        if (rc == SEAU_E_NOMEM)
            cred__why(why, "out of memory reading the AWS configuration");
        s3_credentials_free(p);
        return rc;
    }
    why[0] = '\0';
    *ret = p;
    return 0;
}

int s3_credentials_open(const struct s3_cred_env *env, struct s3_cred_provider **ret)
{
    return s3_credentials_open_why(env, NULL, ret);
}

const char *s3_credentials_source(const struct s3_cred_provider *p)
{
    return p->name;
}

const char *s3_credentials_region(const struct s3_cred_provider *p)
{
    return p->region;
}

void s3_credentials_last_error(struct s3_cred_provider *p, char why[S3_CRED_WHY_SIZE])
{
    pthread_mutex_lock(&p->lock);
    snprintf(why, S3_CRED_WHY_SIZE, "%s", p->last_why);
    pthread_mutex_unlock(&p->lock);
}

/* The cache's predicates; both need the lock. */
static bool cred__valid(const struct s3_cred_provider *p, int64_t now_ms)
{
    return p->have && (p->cached.expires_ms == 0 || now_ms < p->cached.expires_ms);
}

static bool cred__fresh(const struct s3_cred_provider *p, int64_t now_ms)
{
    return cred__valid(p, now_ms) && (p->cached.expires_ms == 0 || now_ms < p->refresh_at_ms);
}

/* Installs the outcome of a fetch; called with the lock held. */
static void cred__settle(struct s3_cred_provider *p, int64_t now_ms, int rc,
                         struct s3_credentials *fresh, const char *why)
{
    if (rc == 0 && fresh->expires_ms != 0 && fresh->expires_ms <= now_ms) {
        s3_credentials_done(fresh);
        why = "the source answered credentials that have already expired";
        rc = SEAU_E_UNAVAILABLE;
    }
    if (rc == 0) {
        s3_credentials_done(&p->cached);
        p->cached = *fresh;
        *fresh = (struct s3_credentials){0};
        p->have = true;
        int64_t at = INT64_MAX;
        if (p->cached.expires_ms != 0) {
            at = p->cached.expires_ms - S3_CRED_REFRESH_EARLY_MS;
            if (at < now_ms + CRED__MIN_REFRESH_MS)
                at = now_ms + CRED__MIN_REFRESH_MS; /* short-lived keys: do not hammer the source */
        }
        p->refresh_at_ms = at;
        p->retry_at_ms = 0;
        p->backoff_ms = 0;
        p->last_err = 0;
        p->last_why[0] = '\0';
        return;
    }
    /* Callers see UNAVAILABLE for any failure of the source: to them, S3 is out of reach. */
    p->last_err = rc == SEAU_E_NOMEM ? SEAU_E_NOMEM : SEAU_E_UNAVAILABLE;
    snprintf(p->last_why, sizeof(p->last_why), "%s: %s", p->name,
             why[0] ? why : "the source failed");
    p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : CRED__BACKOFF_MIN_MS;
    if (p->backoff_ms > CRED__BACKOFF_MAX_MS)
        p->backoff_ms = CRED__BACKOFF_MAX_MS;
    p->retry_at_ms = now_ms + p->backoff_ms;
}

int s3_credentials_get(struct s3_cred_provider *p, int64_t now_ms, struct s3_credentials *ret)
{
    int rc;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (cred__fresh(p, now_ms) || (p->refreshing && cred__valid(p, now_ms)) ||
            (now_ms < p->retry_at_ms && cred__valid(p, now_ms))) {
            rc = cred__copy(&p->cached, ret);
            pthread_mutex_unlock(&p->lock);
            return rc;
        }
        if (p->refreshing) {
            pthread_cond_wait(&p->refreshed, &p->lock);
            continue;
        }
        if (now_ms < p->retry_at_ms) {
            rc = p->last_err; /* backing off, and nothing valid: fail fast */
            pthread_mutex_unlock(&p->lock);
            return rc;
        }
        break;
    }
    p->refreshing = true;
    pthread_mutex_unlock(&p->lock);

    struct s3_credentials fresh = {0};
    char why[S3_CRED_WHY_SIZE] = "";
    int frc = p->source->fetch(p, now_ms, &fresh, why);

    pthread_mutex_lock(&p->lock);
    p->refreshing = false;
    cred__settle(p, now_ms, frc, &fresh, why);
    pthread_cond_broadcast(&p->refreshed);
    rc = cred__valid(p, now_ms) ? cred__copy(&p->cached, ret) : p->last_err;
    pthread_mutex_unlock(&p->lock);
    s3_credentials_done(&fresh);
    return rc;
}
