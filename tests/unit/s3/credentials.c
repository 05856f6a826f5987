/*
 * Tests for src/s3/credentials.c: the AWS credentials chain (STYLE.md rules
 * 15, 16, 18, 19).
 *
 * The chain is driven through struct s3_cred_env, never setenv() (except in
 * the one test of s3_cred_env_from_process()). Profiles come from files in a
 * temporary folder. Web identity, ECS and IMDS talk to a small HTTP server
 * run by the test in a thread on 127.0.0.1 (an ephemeral port): it answers
 * canned responses in order and records each request, so the tests can
 * assert the IMDSv2 token headers, the ECS Authorization header and the STS
 * form parameters. The clock is injected, so expiry and refresh are exact.
 *
 * Every secret used here contains "sekrit", and every diagnostic produced is
 * checked not to contain it (rule 16).
 *
 * Everything is static but main; helpers are prefixed ct_.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../../src/s3/credentials.c"

#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* 2024-01-15T12:34:56Z, and the expiries of the canned credentials. */
#define CT_T0       INT64_C(1705322096000)
#define CT_MIN      INT64_C(60000)
#define CT_EXP1     "2024-01-15T13:34:56Z" /* CT_T0 + 60 min */
#define CT_EXP2     "2024-01-15T14:34:56Z" /* CT_T0 + 120 min */
#define CT_EXPIRED  "2024-01-15T12:00:00Z"
#define CT_MARK     "sekrit"
#define CT_ROLE_ARN "arn:aws:iam::123456789012:role/seau-test"

/* ================================ the test HTTP server ================================ */

#define CT_MAX_EXCHANGES 16
#define CT_MAX_REQUEST   (256 * 1024)

struct ct_answer {
    int status;
    const char *body;  /* NULL: empty */
    size_t body_len;   /* 0: strlen(body) */
    const char *extra; /* more header lines, each ending in CRLF */
    int delay_ms;      /* wait this long before answering */
    bool no_length;    /* no Content-Length: the body ends when the connection closes */
};

struct ct_request {
    char method[16];
    char target[1024];
    char *head; /* the header lines, CRLF-separated */
    char *body;
    size_t body_len;
};

struct ct_server {
    int fd;
    int port;
    char url[64]; /* "http://127.0.0.1:PORT" */
    pthread_t thread;
    atomic_bool stop;
    pthread_mutex_t lock;
    struct ct_answer answers[CT_MAX_EXCHANGES];
    size_t answer_count, next_answer;
    struct ct_request requests[CT_MAX_EXCHANGES];
    size_t request_count;
};

static bool ct_sleep_unless_stopped(struct ct_server *s, int ms)
{
    for (int waited = 0; waited < ms; waited += 10) {
        if (atomic_load(&s->stop))
            return false;
        usleep(10 * 1000);
    }
    return true;
}

static void ct_send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Reads one request; returns false when the client went away. */
static bool ct_read_request(int fd, struct ct_request *rq)
{
    char *buf = malloc(CT_MAX_REQUEST + 1);
    size_t len = 0;
    char *end = NULL;
    while (!end && len < CT_MAX_REQUEST) {
        ssize_t n = recv(fd, buf + len, CT_MAX_REQUEST - len, 0);
        if (n <= 0) {
            free(buf);
            return false;
        }
        len += (size_t)n;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end) {
        free(buf);
        return false;
    }
    size_t head_len = (size_t)(end - buf) + 2;
    int64_t content_length = 0;
    for (char *line = strstr(buf, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "Content-Length:", 15) == 0) {
            char num[32];
            size_t k = 0;
            for (const char *c = line + 17; *c >= '0' && *c <= '9' && k < 31; c++)
                num[k++] = *c;
            num[k] = '\0';
            if (str_to_int64(num, 0, CT_MAX_REQUEST, &content_length) != 0)
                content_length = 0;
        }
    }
    size_t want = head_len + 2 + (size_t)content_length;
    while (len < want && len < CT_MAX_REQUEST) {
        ssize_t n = recv(fd, buf + len, CT_MAX_REQUEST - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    char *sp1 = memchr(buf, ' ', head_len);
    char *sp2 = sp1 ? memchr(sp1 + 1, ' ', head_len - (size_t)(sp1 + 1 - buf)) : NULL;
    if (sp1 && sp2) {
        snprintf(rq->method, sizeof(rq->method), "%.*s", (int)(sp1 - buf), buf);
        snprintf(rq->target, sizeof(rq->target), "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
    }
    rq->head = strndup(buf, head_len);
    rq->body_len = len > head_len + 2 ? len - head_len - 2 : 0;
    rq->body = malloc(rq->body_len + 1);
    memcpy(rq->body, buf + head_len + 2, rq->body_len);
    rq->body[rq->body_len] = '\0';
    free(buf);
    return true;
}

static void ct_answer(struct ct_server *s, int fd)
{
    struct ct_request rq = {0};
    if (!ct_read_request(fd, &rq))
        return;
    struct ct_answer a = {.status = 500, .body = "no canned answer left"};
    pthread_mutex_lock(&s->lock);
    if (s->request_count < CT_MAX_EXCHANGES)
        s->requests[s->request_count++] = rq;
    else
        free(rq.head), free(rq.body);
    if (s->next_answer < s->answer_count)
        a = s->answers[s->next_answer++];
    pthread_mutex_unlock(&s->lock);

    if (a.delay_ms && !ct_sleep_unless_stopped(s, a.delay_ms))
        return;
    size_t body_len = a.body ? (a.body_len ? a.body_len : strlen(a.body)) : 0;
    char head[512];
    if (a.no_length)
        snprintf(head, sizeof(head), "HTTP/1.1 %d Canned\r\nConnection: close\r\n%s\r\n", a.status,
                 a.extra ? a.extra : "");
    else
        snprintf(head, sizeof(head),
                 "HTTP/1.1 %d Canned\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
                 a.status, body_len, a.extra ? a.extra : "");
    ct_send_all(fd, head, strlen(head));
    if (body_len)
        ct_send_all(fd, a.body, body_len);
}

static void *ct_serve(void *arg)
{
    struct ct_server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        if (poll(&pfd, 1, 20) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        struct timeval tv = {.tv_sec = 2};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        ct_answer(s, c);
        shutdown(c, SHUT_WR);
        close(c);
    }
    return NULL;
}

/* Starts a server answering the given canned responses, in order. */
static struct ct_server *ct_server_start(const struct ct_answer *answers, size_t count)
{
    struct ct_server *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    assert_true(count <= CT_MAX_EXCHANGES);
    memcpy(s->answers, answers, count * sizeof(*answers));
    s->answer_count = count;
    pthread_mutex_init(&s->lock, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    socklen_t alen = sizeof(a);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
    s->port = ntohs(a.sin_port);
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
    assert_int_equal(pthread_create(&s->thread, NULL, ct_serve, s), 0);
    return s;
}

static size_t ct_server_requests(struct ct_server *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->request_count;
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void ct_server_stop(struct ct_server *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->fd);
    for (size_t i = 0; i < s->request_count; i++) {
        free(s->requests[i].head);
        free(s->requests[i].body);
    }
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* A URL on which nothing listens: a port that was bound, then released. */
static void ct_dead_url(char *out, size_t n, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t alen = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    snprintf(out, n, "http://127.0.0.1:%d%s", ntohs(a.sin_port), path);
}

/*
 * The value of header name in a recorded request, copied into out; false
 * when the request has no such header.
 */
static bool ct_header(const struct ct_request *rq, const char *name, char *out, size_t n)
{
    size_t nlen = strlen(name);
    for (const char *line = strstr(rq->head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        const char *l = line + 2;
        if (strncasecmp(l, name, nlen) == 0 && l[nlen] == ':') {
            const char *v = l + nlen + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            snprintf(out, n, "%.*s", (int)(e ? (size_t)(e - v) : strlen(v)), v);
            return true;
        }
    }
    return false;
}

static void ct_assert_header(const struct ct_request *rq, const char *name, const char *want)
{
    char got[16384];
    if (!ct_header(rq, name, got, sizeof(got)))
        fail_msg("request %s %s has no %s header", rq->method, rq->target, name);
    assert_string_equal(got, want);
}

static int ct_hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c - 'a' + 10;
}

/* The decoded value of a form parameter in body, or fails the test. */
static void ct_form(const char *body, const char *name, char *out, size_t n)
{
    size_t nlen = strlen(name);
    for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t k = 0;
            for (const char *v = p + nlen + 1; *v && *v != '&' && k + 1 < n; v++) {
                if (*v == '%' && v[1] && v[2]) {
                    out[k++] = (char)(ct_hex(v[1]) * 16 + ct_hex(v[2]));
                    v += 2;
                } else {
                    out[k++] = *v == '+' ? ' ' : *v;
                }
            }
            out[k] = '\0';
            return;
        }
    }
    fail_msg("form parameter %s missing in %s", name, body);
}

/* ================================ files and environments ================================ */

struct ct_dir {
    char path[64];
};

static void ct_dir_make(struct ct_dir *d)
{
    snprintf(d->path, sizeof(d->path), "/tmp/seau-cred-XXXXXX");
    assert_non_null(mkdtemp(d->path));
}

static void ct_dir_remove(struct ct_dir *d)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
    assert_int_equal(system(cmd), 0);
}

/* Writes text to dir/name (creating dir/.aws when named) and returns the path in out. */
static void ct_write(const struct ct_dir *d, const char *name, const char *text, char *out,
                     size_t n)
{
    char sub[128];
    snprintf(sub, sizeof(sub), "%s/.aws", d->path);
    mkdir(sub, 0700);
    snprintf(out, n, "%s/%s", d->path, name);
    FILE *f = fopen(out, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/*
 * An environment with nothing set, HOME pointing at an empty folder (so the
 * tester's own ~/.aws is never read) and IMDS disabled (so nothing tries
 * 169.254.169.254).
 */
static struct s3_cred_env ct_env(const struct ct_dir *home)
{
    return (struct s3_cred_env){.home = home->path, .ec2_metadata_disabled = "true"};
}

static void ct_assert_no_secret(const char *why)
{
    if (strstr(why, CT_MARK))
        fail_msg("a diagnostic holds a secret: %s", why);
}

/* Opens a provider, expecting success; fails the test with the reason otherwise. */
static struct s3_cred_provider *ct_open(const struct s3_cred_env *env)
{
    char why[S3_CRED_WHY_SIZE] = "untouched";
    struct s3_cred_provider *p = NULL;
    int rc = s3_credentials_open_why(env, why, &p);
    if (rc)
        fail_msg("open failed: %s: %s", err_name(rc), why);
    assert_string_equal(why, "");
    return p;
}

/* Expects open to fail with rc and a reason containing want (when not NULL). */
static void ct_open_fails(const struct s3_cred_env *env, int rc, const char *want)
{
    char why[S3_CRED_WHY_SIZE] = "";
    struct s3_cred_provider *p = (struct s3_cred_provider *)&why; /* must be left alone */
    int got = s3_credentials_open_why(env, why, &p);
    if (got != rc)
        fail_msg("open: want %s, got %s (%s)", err_name(rc), err_name(got), why);
    assert_ptr_equal(p, (struct s3_cred_provider *)&why);
    assert_true(why[0] != '\0');
    ct_assert_no_secret(why);
    if (want && !strstr(why, want))
        fail_msg("open: the reason \"%s\" does not mention \"%s\"", why, want);
}

/* get, expecting success and the given access key ID. */
static void ct_get_ok(struct s3_cred_provider *p, int64_t now, const char *want_ak,
                      struct s3_credentials *ret)
{
    struct s3_credentials c = {0};
    int rc = s3_credentials_get(p, now, &c);
    if (rc) {
        char why[S3_CRED_WHY_SIZE];
        s3_credentials_last_error(p, why);
        fail_msg("get failed: %s: %s", err_name(rc), why);
    }
    assert_string_equal(c.access_key_id, want_ak);
    if (ret)
        *ret = c;
    else
        s3_credentials_done(&c);
}

/* get, expecting rc, and a last error mentioning want. */
static void ct_get_fails(struct s3_cred_provider *p, int64_t now, int rc, const char *want)
{
    struct s3_credentials c = {.access_key_id = (char *)"untouched"};
    int got = s3_credentials_get(p, now, &c);
    char why[S3_CRED_WHY_SIZE];
    s3_credentials_last_error(p, why);
    if (got != rc)
        fail_msg("get: want %s, got %s (%s)", err_name(rc), err_name(got), why);
    assert_string_equal(c.access_key_id, "untouched");
    ct_assert_no_secret(why);
    if (want && !strstr(why, want))
        fail_msg("get: the reason \"%s\" does not mention \"%s\"", why, want);
}

/* The JSON answer of ECS and IMDS. */
static void ct_json(char *out, size_t n, const char *ak, const char *exp)
{
    snprintf(out, n,
             "{\"Code\":\"Success\",\"LastUpdated\":\"2024-01-15T12:30:00Z\",\"Type\":\"AWS-HMAC\","
             "\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"wJalr/%s+%s\",\"Token\":\"tok/%s+%s=\","
             "\"Expiration\":\"%s\"}",
             ak, CT_MARK, ak, CT_MARK, ak, exp);
}

/* The XML answer of STS AssumeRoleWithWebIdentity. */
static void ct_sts_xml(char *out, size_t n, const char *ak, const char *exp)
{
    snprintf(out, n,
             "<AssumeRoleWithWebIdentityResponse "
             "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
             "  <AssumeRoleWithWebIdentityResult>\n"
             "    <SubjectFromWebIdentityToken>system:serviceaccount:seau:seau</"
             "SubjectFromWebIdentityToken>\n"
             "    <AssumedRoleUser>\n"
             "      <Arn>arn:aws:sts::123456789012:assumed-role/seau-test/s</Arn>\n"
             "      <AssumedRoleId>AROA:s</AssumedRoleId>\n"
             "    </AssumedRoleUser>\n"
             "    <Credentials>\n"
             "      <SessionToken>sts/%s/%s=</SessionToken>\n"
             "      <SecretAccessKey>sts+%s+%s</SecretAccessKey>\n"
             "      <Expiration>%s</Expiration>\n"
             "      <AccessKeyId>%s</AccessKeyId>\n"
             "    </Credentials>\n"
             "    <Provider>oidc.eks.amazonaws.com</Provider>\n"
             "  </AssumeRoleWithWebIdentityResult>\n"
             "  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\n"
             "</AssumeRoleWithWebIdentityResponse>\n",
             CT_MARK, ak, CT_MARK, ak, exp, ak);
}

/* ================================ small pieces ================================ */

static void test_expiry_constants(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(time_parse_rfc3339(CT_EXP1, &ms), 0);
    assert_true(ms == CT_T0 + 60 * CT_MIN);
    assert_int_equal(time_parse_rfc3339(CT_EXP2, &ms), 0);
    assert_true(ms == CT_T0 + 120 * CT_MIN);
}

static void test_credentials_view(void **state)
{
    (void)state;
    struct s3_credentials c = {0};
    static const char *const names[3] = {"a", "b", "c"};
    assert_int_equal(
        cred__make(SLICE_LIT("AK"), SLICE_LIT("SK"), SLICE_LIT(""), 0, names, NULL, &c), 0);
    assert_null(c.session_token);
    struct sigv4_credentials v = s3_credentials_sigv4(&c);
    assert_true(slice_eq_cstr(v.access_key_id, "AK"));
    assert_true(slice_eq_cstr(v.secret_access_key, "SK"));
    assert_int_equal(v.session_token.len, 0);
    s3_credentials_done(&c);
    assert_null(c.access_key_id);
    s3_credentials_done(&c); /* a zeroed struct is fine */
    s3_credentials_done(NULL);

    assert_int_equal(
        cred__make(SLICE_LIT("AK"), SLICE_LIT("SK"), SLICE_LIT("TOK"), 5, names, NULL, &c), 0);
    v = s3_credentials_sigv4(&c);
    assert_true(slice_eq_cstr(v.session_token, "TOK"));
    assert_true(c.expires_ms == 5);
    s3_credentials_done(&c);
}

static void test_form_encoding(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(cred__form(&b, "RoleArn", "arn:aws:iam::1:role/x"), 0);
    assert_int_equal(cred__form(&b, "T", "a b+c/d=e~f_g.h-i"), 0);
    assert_string_equal(buf_cstr(&b), "RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx&"
                                      "T=a%20b%2Bc%2Fd%3De~f_g.h-i");
    buf_done(&b);
}

static void test_names_and_trimming(void **state)
{
    (void)state;
    assert_true(cred__iam_name_ok("seau-role+=,.@_", 15, 1, 64));
    assert_false(cred__iam_name_ok("a\0b", 3, 1, 64)); /* a NUL is not a name character */
    assert_false(cred__iam_name_ok("a/b", 3, 1, 64));
    assert_false(cred__iam_name_ok("", 0, 1, 64));
    assert_false(cred__iam_name_ok("abc", 3, 1, 2));
    struct slice t = cred__trim((struct slice){"\0 x \n\0", 6});
    assert_int_equal(t.len, 6); /* NULs are not white space: the token is refused later */
    t = cred__trim((struct slice){" \t x y\r\n", 8});
    assert_int_equal(t.len, 3);
    assert_memory_equal(t.p, "x y", 3);
    assert_true(cred__region_ok("eu-west-3"));
    assert_true(cred__region_ok("garage"));
    assert_false(cred__region_ok("eu west"));
    assert_false(cred__region_ok("a/b"));
    assert_false(cred__region_ok(""));
}

static void test_ecs_http_hosts(void **state)
{
    (void)state;
    static const struct {
        const char *host;
        bool ok;
    } cases[] = {
        {"127.0.0.1", true},
        {"127.1.2.3", true},
        {"localhost", true},
        {"LOCALHOST", true},
        {"[::1]", true},
        {"169.254.170.2", true},
        {"169.254.170.23", true},
        {"[fd00:ec2::23]", true},
        {"128.0.0.1", false},
        {"169.254.169.254", false},
        {"127.0.0.1.example.com", false},
        {"example.com", false},
        {"[::2]", false},
        {"", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (cred__ecs_http_host_ok(cases[i].host) != cases[i].ok)
            fail_msg("host %s: want %d", cases[i].host, cases[i].ok);
}

/* ================================ the chain, without network ================================ */

static void test_env_source(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char creds[128];
    ct_write(&home, ".aws/credentials",
             "[default]\naws_access_key_id = FROMFILE\n"
             "aws_secret_access_key = file-" CT_MARK "\n",
             creds, sizeof(creds));
    struct s3_cred_env env = ct_env(&home);
    env.access_key_id = "AKIDENV";
    env.secret_access_key = "env/" CT_MARK "+key";
    env.session_token = "env-token-" CT_MARK;
    /* Every later source is configured too: the environment wins. */
    env.web_identity_token_file = "/nonexistent";
    env.role_arn = CT_ROLE_ARN;
    env.container_full_uri = "http://127.0.0.1:1/creds";
    env.ec2_metadata_disabled = NULL;

    struct s3_cred_provider *p = ct_open(&env);
    assert_string_equal(s3_credentials_source(p), "environment");
    assert_null(s3_credentials_region(p));
    struct s3_credentials c;
    ct_get_ok(p, CT_T0, "AKIDENV", &c);
    assert_string_equal(c.secret_access_key, "env/" CT_MARK "+key");
    assert_string_equal(c.session_token, "env-token-" CT_MARK);
    assert_true(c.expires_ms == 0);
    s3_credentials_done(&c);
    /* Long-term keys never expire: any later time still gets them. */
    ct_get_ok(p, CT_T0 + 1000 * 24 * 60 * CT_MIN, "AKIDENV", NULL);
    char why[S3_CRED_WHY_SIZE];
    s3_credentials_last_error(p, why);
    assert_string_equal(why, "");
    s3_credentials_free(p);

    /* Without a token, and with the region from the environment. */
    env.session_token = "";
    env.region = "eu-west-3";
    p = ct_open(&env);
    ct_get_ok(p, CT_T0, "AKIDENV", &c);
    assert_null(c.session_token);
    assert_string_equal(s3_credentials_region(p), "eu-west-3");
    s3_credentials_done(&c);
    s3_credentials_free(p);
    s3_credentials_free(NULL);
    ct_dir_remove(&home);
}

static void test_env_invalid(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char long_key[CRED__MAX_ACCESS_KEY + 2];
    memset(long_key, 'A', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    char long_secret[SIGV4_MAX_SECRET + 2];
    memset(long_secret, 's', sizeof(long_secret) - 1);
    long_secret[sizeof(long_secret) - 1] = '\0';
    const struct {
        const char *ak, *sk, *tok, *want;
    } cases[] = {
        {"AKID", NULL, NULL, "AWS_SECRET_ACCESS_KEY is not"},
        {"AKID", "", NULL, "AWS_SECRET_ACCESS_KEY is not"},
        {NULL, "only-" CT_MARK, NULL, "AWS_ACCESS_KEY_ID is not"},
        {"AKID", "has space " CT_MARK, NULL, "AWS_SECRET_ACCESS_KEY"},
        {"AKID", "new\nline" CT_MARK, NULL, "AWS_SECRET_ACCESS_KEY"},
        {"AK ID", "s-" CT_MARK, NULL, "AWS_ACCESS_KEY_ID"},
        {long_key, "s-" CT_MARK, NULL, "AWS_ACCESS_KEY_ID"},
        {"AKID", long_secret, NULL, "AWS_SECRET_ACCESS_KEY"},
        {"AKID", "s-" CT_MARK, "tok\t" CT_MARK, "AWS_SESSION_TOKEN"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct s3_cred_env env = ct_env(&home);
        env.access_key_id = cases[i].ak;
        env.secret_access_key = cases[i].sk;
        env.session_token = cases[i].tok;
        ct_open_fails(&env, SEAU_E_VALIDATION, cases[i].want);
    }
    /* At the limits: 128-byte key ID and secret, 8192-byte token. */
    long_key[CRED__MAX_ACCESS_KEY] = '\0';
    long_secret[SIGV4_MAX_SECRET] = '\0';
    char *token = malloc(SIGV4_MAX_SESSION_TOKEN + 2);
    memset(token, 't', SIGV4_MAX_SESSION_TOKEN);
    token[SIGV4_MAX_SESSION_TOKEN] = '\0';
    struct s3_cred_env env = ct_env(&home);
    env.access_key_id = long_key;
    env.secret_access_key = long_secret;
    env.session_token = token;
    struct s3_cred_provider *p = ct_open(&env);
    s3_credentials_free(p);
    token[SIGV4_MAX_SESSION_TOKEN] = 't';
    token[SIGV4_MAX_SESSION_TOKEN + 1] = '\0';
    ct_open_fails(&env, SEAU_E_VALIDATION, "AWS_SESSION_TOKEN");
    free(token);
    ct_dir_remove(&home);
}

static const char ct_credentials_file[] = "# shared credentials\n"
                                          "[default]\n"
                                          "aws_access_key_id = AKIDDEFAULT\n"
                                          "aws_secret_access_key = default-" CT_MARK "\n"
                                          "\n"
                                          "[dev]\n"
                                          "aws_access_key_id=AKIDDEV\n"
                                          "aws_secret_access_key=dev-" CT_MARK " ; a comment\n"
                                          "aws_session_token=dev-token-" CT_MARK "\n"
                                          "[both]\n"
                                          "aws_access_key_id = FROMCREDENTIALS\n"
                                          "aws_secret_access_key = s1-" CT_MARK "\n"
                                          "[legacy]\n"
                                          "aws_access_key_id = AKIDLEGACY\n"
                                          "aws_secret_access_key = s-" CT_MARK "\n"
                                          "aws_security_token = legacy-token-" CT_MARK "\n";

static const char ct_config_file[] = "[default]\n"
                                     "region = eu-west-3\n"
                                     "[profile dev]\n"
                                     "region = us-east-2\n"
                                     "[profile cfgonly]\n"
                                     "aws_access_key_id = AKIDCFG\n"
                                     "aws_secret_access_key = cfg-" CT_MARK "\n"
                                     "region = ap-south-1\n"
                                     "[profile both]\n"
                                     "aws_access_key_id = FROMCONFIG\n"
                                     "aws_secret_access_key = s2-" CT_MARK "\n"
                                     "[profile half]\n"
                                     "aws_access_key_id = AKIDHALF\n"
                                     "[profile sso]\n"
                                     "sso_session = corp\n"
                                     "region = eu-north-1\n"
                                     "[profile badregion]\n"
                                     "aws_access_key_id = AKIDBAD\n"
                                     "aws_secret_access_key = s-" CT_MARK "\n"
                                     "region = eu west\n"
                                     "[sso-session corp]\n"
                                     "sso_region = us-east-1\n";

static void test_profiles(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char creds[128], config[128];
    ct_write(&home, "creds", ct_credentials_file, creds, sizeof(creds));
    ct_write(&home, "config", ct_config_file, config, sizeof(config));
    static const struct {
        const char *profile;
        const char *region; /* AWS_REGION */
        int rc;
        const char *source, *ak, *token, *want_region, *why;
    } cases[] = {
        {NULL, NULL, 0, "profile default", "AKIDDEFAULT", NULL, "eu-west-3", NULL},
        {"default", NULL, 0, "profile default", "AKIDDEFAULT", NULL, "eu-west-3", NULL},
        {"dev", NULL, 0, "profile dev", "AKIDDEV", "dev-token-" CT_MARK, "us-east-2", NULL},
        {"dev", "sa-east-1", 0, "profile dev", "AKIDDEV", "dev-token-" CT_MARK, "sa-east-1", NULL},
        {"cfgonly", NULL, 0, "profile cfgonly", "AKIDCFG", NULL, "ap-south-1", NULL},
        {"both", NULL, 0, "profile both", "FROMCREDENTIALS", NULL, NULL, NULL},
        {"legacy", NULL, 0, "profile legacy", "AKIDLEGACY", "legacy-token-" CT_MARK, NULL, NULL},
        {"half", NULL, SEAU_E_VALIDATION, NULL, NULL, NULL, NULL,
         "profile half: aws_access_key_id is set but aws_secret_access_key is not"},
        {"missing", NULL, SEAU_E_NOT_FOUND, NULL, NULL, NULL, NULL, "profile missing"},
        {"corp", NULL, SEAU_E_NOT_FOUND, NULL, NULL, NULL, NULL, "profile corp"},
        /* A profile without keys is skipped; with IMDS disabled, nothing is left. */
        {"sso", NULL, SEAU_E_NOT_FOUND, NULL, NULL, NULL, NULL, "no AWS credentials found"},
        {"badregion", NULL, SEAU_E_VALIDATION, NULL, NULL, NULL, NULL, "region"},
        {"bad\nname", NULL, SEAU_E_VALIDATION, NULL, NULL, NULL, NULL, "AWS_PROFILE"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct s3_cred_env env = ct_env(&home);
        env.profile = cases[i].profile;
        env.region = cases[i].region;
        env.shared_credentials_file = creds;
        env.config_file = config;
        if (cases[i].rc) {
            ct_open_fails(&env, cases[i].rc, cases[i].why);
            continue;
        }
        struct s3_cred_provider *p = ct_open(&env);
        assert_string_equal(s3_credentials_source(p), cases[i].source);
        if (cases[i].want_region)
            assert_string_equal(s3_credentials_region(p), cases[i].want_region);
        else
            assert_null(s3_credentials_region(p));
        struct s3_credentials c;
        ct_get_ok(p, CT_T0, cases[i].ak, &c);
        if (cases[i].token)
            assert_string_equal(c.session_token, cases[i].token);
        else
            assert_null(c.session_token);
        assert_true(c.expires_ms == 0);
        s3_credentials_done(&c);
        s3_credentials_free(p);
    }
    ct_dir_remove(&home);
}

static void test_profile_files(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char path[128], config[128];
    struct s3_cred_env env = ct_env(&home);

    /* No files at all: the chain goes on (to IMDS here). */
    env.ec2_metadata_disabled = "false";
    struct s3_cred_provider *p = ct_open(&env);
    assert_string_equal(s3_credentials_source(p), "imds");
    s3_credentials_free(p);
    /* No HOME and no paths: the same. */
    env.home = NULL;
    p = ct_open(&env);
    assert_string_equal(s3_credentials_source(p), "imds");
    s3_credentials_free(p);
    env.home = home.path;

    /* The default locations under HOME. */
    ct_write(&home, ".aws/credentials", ct_credentials_file, path, sizeof(path));
    ct_write(&home, ".aws/config", ct_config_file, config, sizeof(config));
    env.profile = "dev";
    p = ct_open(&env);
    assert_string_equal(s3_credentials_source(p), "profile dev");
    assert_string_equal(s3_credentials_region(p), "us-east-2");
    s3_credentials_free(p);

    /* "~/" in an explicit path. */
    env.shared_credentials_file = "~/.aws/credentials";
    env.config_file = "~/.aws/missing-config";
    p = ct_open(&env);
    assert_string_equal(s3_credentials_source(p), "profile dev");
    assert_null(s3_credentials_region(p));
    s3_credentials_free(p);
    env.home = NULL;
    ct_open_fails(&env, SEAU_E_VALIDATION, "HOME is not set");
    env.home = home.path;

    /* Malformed files name the file and the line. */
    env.shared_credentials_file = NULL;
    env.config_file = NULL;
    ct_write(&home, ".aws/credentials", "[default]\naws_access_key_id = A\nnot a property\n", path,
             sizeof(path));
    ct_open_fails(&env, SEAU_E_VALIDATION, "credentials, line 3");
    ct_write(&home, ".aws/credentials", "[default]\n", path, sizeof(path));
    ct_write(&home, ".aws/config", "[profile dev\n", config, sizeof(config));
    ct_open_fails(&env, SEAU_E_VALIDATION, "config, line 1");
    /* A file that cannot be read (a folder). */
    env.config_file = home.path;
    ct_open_fails(&env, SEAU_E_IO, "cannot be read");
    env.config_file = NULL;
    /* A file past the size limit. */
    struct buf big;
    buf_init(&big, S3_INI_MAX_FILE + 16);
    while (big.len <= S3_INI_MAX_FILE)
        assert_int_equal(buf_append_str(&big, "# padding\n"), 0);
    ct_write(&home, ".aws/config", buf_cstr(&big), config, sizeof(config));
    buf_done(&big);
    ct_open_fails(&env, SEAU_E_TOO_LARGE, "larger than");

    /* With keys in the environment and AWS_REGION set, the files are not even read. */
    env.access_key_id = "AKIDENV";
    env.secret_access_key = "s-" CT_MARK;
    env.region = "eu-west-1";
    p = ct_open(&env);
    assert_string_equal(s3_credentials_source(p), "environment");
    s3_credentials_free(p);
    ct_dir_remove(&home);
}

static void test_chain_order(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char creds[128], config[128];
    ct_write(&home, "creds", ct_credentials_file, creds, sizeof(creds));
    ct_write(&home, "config", ct_config_file, config, sizeof(config));

    struct s3_cred_env env = ct_env(&home);
    env.shared_credentials_file = creds;
    env.config_file = config;
    env.web_identity_token_file = "/var/run/token";
    env.role_arn = CT_ROLE_ARN;
    env.container_relative_uri = "/v2/credentials/abc";
    env.ec2_metadata_disabled = NULL;
    static const struct {
        const char *profile;
        bool web, ecs, imds;
        const char *want;
    } cases[] = {
        {NULL, true, true, true, "profile default"}, /* profile over web identity */
        {"sso", true, true, true, "web identity"},   /* a keyless profile is skipped */
        {"sso", false, true, true, "ecs"},           /* web identity over ECS */
        {"sso", false, false, true, "imds"},         /* ECS over IMDS */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct s3_cred_env e = env;
        e.profile = cases[i].profile;
        if (!cases[i].web)
            e.web_identity_token_file = e.role_arn = NULL;
        if (!cases[i].ecs)
            e.container_relative_uri = NULL;
        struct s3_cred_provider *p = ct_open(&e);
        assert_string_equal(s3_credentials_source(p), cases[i].want);
        /* The region comes from the profile whatever the source. */
        assert_string_equal(s3_credentials_region(p),
                            cases[i].profile ? "eu-north-1" : "eu-west-3");
        s3_credentials_free(p);
    }

    /* IMDS disabled (any case of "true") and nothing else: not found. */
    struct s3_cred_env e = ct_env(&home);
    e.ec2_metadata_disabled = "TRUE";
    ct_open_fails(&e, SEAU_E_NOT_FOUND, "no AWS credentials found");
    e.ec2_metadata_disabled = "false";
    struct s3_cred_provider *p = ct_open(&e);
    assert_string_equal(s3_credentials_source(p), "imds");
    s3_credentials_free(p);
    ct_dir_remove(&home);
}

static void test_source_settings(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    const struct s3_cred_env base = ct_env(&home);

    /* STS: the regional endpoint, the global one, or AWS_ENDPOINT_URL_STS. */
    struct s3_cred_env env = base;
    env.web_identity_token_file = "~/token";
    env.role_arn = CT_ROLE_ARN;
    env.region = "eu-west-3";
    struct s3_cred_provider *p = ct_open(&env);
    const struct cred__web_conf *wc = p->conf;
    assert_string_equal(wc->sts_url, "https://sts.eu-west-3.amazonaws.com/");
    char want[128];
    snprintf(want, sizeof(want), "%s/token", home.path);
    assert_string_equal(wc->token_file, want);
    assert_null(wc->session_name);
    s3_credentials_free(p);
    env.region = NULL;
    env.role_session_name = "my-session@seau";
    p = ct_open(&env);
    wc = p->conf;
    assert_string_equal(wc->sts_url, "https://sts.amazonaws.com/");
    assert_string_equal(wc->session_name, "my-session@seau");
    s3_credentials_free(p);
    env.endpoint_url_sts = "https://sts.internal.example:8443/";
    p = ct_open(&env);
    wc = p->conf;
    assert_string_equal(wc->sts_url, "https://sts.internal.example:8443/");
    s3_credentials_free(p);

    /* ECS: the relative URI goes to 169.254.170.2 and wins over the full URI. */
    env = base;
    env.container_relative_uri = "/v2/credentials/abc-123";
    env.container_full_uri = "http://127.0.0.1:9/ignored";
    p = ct_open(&env);
    const struct cred__ecs_conf *ec = p->conf;
    assert_string_equal(ec->url, "http://169.254.170.2/v2/credentials/abc-123");
    assert_null(ec->auth_token);
    assert_null(ec->auth_token_file);
    s3_credentials_free(p);
    /* The token file wins over the token. */
    env.container_auth_token = "Bearer " CT_MARK;
    env.container_auth_token_file = "/var/run/ecs-token";
    p = ct_open(&env);
    ec = p->conf;
    assert_null(ec->auth_token);
    assert_string_equal(ec->auth_token_file, "/var/run/ecs-token");
    s3_credentials_free(p);

    /* IMDS: the default endpoint, or the override without its trailing slashes. */
    env = base;
    env.ec2_metadata_disabled = NULL;
    p = ct_open(&env);
    assert_string_equal(((const struct cred__imds_conf *)p->conf)->endpoint,
                        "http://169.254.169.254");
    assert_true(p->connect_timeout_ms == 1000);
    s3_credentials_free(p);
    env.ec2_metadata_endpoint = "http://[fd00:ec2::254]//";
    p = ct_open(&env);
    assert_string_equal(((const struct cred__imds_conf *)p->conf)->endpoint,
                        "http://[fd00:ec2::254]");
    s3_credentials_free(p);
    ct_dir_remove(&home);
}

static void test_source_settings_invalid(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char long_arn[CRED__MAX_ROLE_ARN + 8];
    memset(long_arn, 'a', sizeof(long_arn) - 1);
    memcpy(long_arn, "arn:", 4);
    long_arn[sizeof(long_arn) - 1] = '\0';
    const struct {
        const char *token_file, *arn, *session, *sts;
        const char *rel, *full, *auth, *imds, *region;
        const char *want;
    } cases[] = {
        {"/t", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "AWS_ROLE_ARN is not"},
        {NULL, CT_ROLE_ARN, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         "AWS_WEB_IDENTITY_TOKEN_FILE is not"},
        {"/t", "role/x", NULL, NULL, NULL, NULL, NULL, NULL, NULL, "AWS_ROLE_ARN"},
        {"/t", long_arn, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "AWS_ROLE_ARN"},
        {"/t", CT_ROLE_ARN, "a b", NULL, NULL, NULL, NULL, NULL, NULL, "AWS_ROLE_SESSION_NAME"},
        {"/t", CT_ROLE_ARN, "x", NULL, NULL, NULL, NULL, NULL, NULL, "AWS_ROLE_SESSION_NAME"},
        {"/t", CT_ROLE_ARN, NULL, "ftp://sts.example/", NULL, NULL, NULL, NULL, NULL,
         "AWS_ENDPOINT_URL_STS"},
        {"/t", CT_ROLE_ARN, NULL, "not a url", NULL, NULL, NULL, NULL, NULL,
         "AWS_ENDPOINT_URL_STS"},
        {NULL, NULL, NULL, NULL, "v2/creds", NULL, NULL, NULL, NULL,
         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"},
        {NULL, NULL, NULL, NULL, "/v2/a b", NULL, NULL, NULL, NULL,
         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"},
        {NULL, NULL, NULL, NULL, NULL, "http://example.com/creds", NULL, NULL, NULL, "https"},
        {NULL, NULL, NULL, NULL, NULL, "http://169.254.169.254/creds", NULL, NULL, NULL, "https"},
        {NULL, NULL, NULL, NULL, NULL, "file:///etc/passwd", NULL, NULL, NULL,
         "AWS_CONTAINER_CREDENTIALS_FULL_URI"},
        {NULL, NULL, NULL, NULL, NULL, "http://127.0.0.1/x", "Bearer\r\n" CT_MARK, NULL, NULL,
         "AWS_CONTAINER_AUTHORIZATION_TOKEN"},
        {NULL, NULL, NULL, NULL, NULL, NULL, NULL, "169.254.169.254", NULL,
         "AWS_EC2_METADATA_SERVICE_ENDPOINT"},
        {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "us east", "AWS_REGION"},
        {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "us-east-1.evil/", "AWS_REGION"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct s3_cred_env env = ct_env(&home);
        env.ec2_metadata_disabled = NULL;
        env.web_identity_token_file = cases[i].token_file;
        env.role_arn = cases[i].arn;
        env.role_session_name = cases[i].session;
        env.endpoint_url_sts = cases[i].sts;
        env.container_relative_uri = cases[i].rel;
        env.container_full_uri = cases[i].full;
        env.container_auth_token = cases[i].auth;
        env.ec2_metadata_endpoint = cases[i].imds;
        env.region = cases[i].region;
        ct_open_fails(&env, SEAU_E_VALIDATION, cases[i].want);
    }
    /* Accepted ECS full URIs. */
    static const char *const ok[] = {"https://creds.example.com/v1", "http://127.0.0.1:8080/x",
                                     "http://[::1]:80/", "http://169.254.170.23/v1/credentials",
                                     "http://localhost/creds"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct s3_cred_env env = ct_env(&home);
        env.container_full_uri = ok[i];
        struct s3_cred_provider *p = ct_open(&env);
        assert_string_equal(s3_credentials_source(p), "ecs");
        s3_credentials_free(p);
    }
    ct_dir_remove(&home);
}

static void test_env_from_process(void **state)
{
    (void)state;
    static const char *const vars[] = {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_ROLE_SESSION_NAME",
        "AWS_ENDPOINT_URL_STS",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_EC2_METADATA_DISABLED",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    };
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        assert_int_equal(setenv(vars[i], vars[i], 1), 0);
    assert_int_equal(setenv("AWS_SESSION_TOKEN", "", 1), 0); /* empty counts as unset */
    struct s3_cred_env env;
    s3_cred_env_from_process(&env);
    assert_string_equal(env.access_key_id, "AWS_ACCESS_KEY_ID");
    assert_string_equal(env.secret_access_key, "AWS_SECRET_ACCESS_KEY");
    assert_null(env.session_token);
    assert_string_equal(env.profile, "AWS_PROFILE");
    assert_string_equal(env.shared_credentials_file, "AWS_SHARED_CREDENTIALS_FILE");
    assert_string_equal(env.config_file, "AWS_CONFIG_FILE");
    assert_string_equal(env.region, "AWS_REGION");
    assert_string_equal(env.web_identity_token_file, "AWS_WEB_IDENTITY_TOKEN_FILE");
    assert_string_equal(env.role_arn, "AWS_ROLE_ARN");
    assert_string_equal(env.role_session_name, "AWS_ROLE_SESSION_NAME");
    assert_string_equal(env.endpoint_url_sts, "AWS_ENDPOINT_URL_STS");
    assert_string_equal(env.container_relative_uri, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    assert_string_equal(env.container_full_uri, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    assert_string_equal(env.container_auth_token, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    assert_string_equal(env.container_auth_token_file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    assert_string_equal(env.ec2_metadata_disabled, "AWS_EC2_METADATA_DISABLED");
    assert_string_equal(env.ec2_metadata_endpoint, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    assert_string_equal(env.home, getenv("HOME"));
    unsetenv("AWS_REGION");
    s3_cred_env_from_process(&env);
    assert_string_equal(env.region, "AWS_DEFAULT_REGION");
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    s3_cred_env_from_process(&env);
    assert_null(env.access_key_id);
    assert_null(env.region);
}

/* ================================ answers, parsed alone ================================ */

static void test_sts_answers(void **state)
{
    (void)state;
    char ok[4096];
    ct_sts_xml(ok, sizeof(ok), "ASIAOK", CT_EXP1);
    char deep[64];
    for (int i = 0; i < 20; i++)
        memcpy(deep + 3 * i, "<a>", 3);
    deep[60] = '\0';
    char long_token[SIGV4_MAX_SESSION_TOKEN + 512];
    int n = snprintf(long_token, sizeof(long_token),
                     "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
                     "<Credentials><SessionToken>");
    memset(long_token + n, 't', SIGV4_MAX_SESSION_TOKEN + 1);
    n += SIGV4_MAX_SESSION_TOKEN + 1;
    snprintf(long_token + n, sizeof(long_token) - (size_t)n,
             "</SessionToken></Credentials></AssumeRoleWithWebIdentityResult>"
             "</AssumeRoleWithWebIdentityResponse>");
#define CT_CREDS(inner)                                                                            \
    "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>" inner      \
    "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"
#define CT_ALL                                                                                     \
    "<AccessKeyId>AK</AccessKeyId><SecretAccessKey>SK</SecretAccessKey>"                           \
    "<SessionToken>TOK</SessionToken><Expiration>" CT_EXP1 "</Expiration>"
    const struct {
        const char *name;
        const char *xml;
        int rc;
        const char *ak;   /* on success */
        const char *code; /* the error code extracted */
    } cases[] = {
        {"the real thing", ok, 0, "ASIAOK", ""},
        {"minimal", CT_CREDS(CT_ALL), 0, "AK", ""},
        {"namespace prefixes",
         "<sts:AssumeRoleWithWebIdentityResponse xmlns:sts=\"urn:x\">"
         "<sts:AssumeRoleWithWebIdentityResult><sts:Credentials>"
         "<sts:AccessKeyId>AKP</sts:AccessKeyId><sts:SecretAccessKey>SK</sts:SecretAccessKey>"
         "<sts:SessionToken>T</sts:SessionToken><sts:Expiration>" CT_EXP1 "</sts:Expiration>"
         "</sts:Credentials></sts:AssumeRoleWithWebIdentityResult>"
         "</sts:AssumeRoleWithWebIdentityResponse>",
         0, "AKP", ""},
        {"XML declaration and entities in text",
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" CT_CREDS(
             "<AccessKeyId>A&amp;K</AccessKeyId><SecretAccessKey>S&#75;</SecretAccessKey>"
             "<SessionToken>TOK</SessionToken><Expiration>" CT_EXP1 "</Expiration>"),
         0, "A&K", ""},
        {"no session token",
         CT_CREDS("<AccessKeyId>AK</AccessKeyId><SecretAccessKey>SK</SecretAccessKey>"
                  "<Expiration>" CT_EXP1 "</Expiration>"),
         SEAU_E_VALIDATION, NULL, ""},
        {"empty session token",
         CT_CREDS("<AccessKeyId>AK</AccessKeyId><SecretAccessKey>SK</SecretAccessKey>"
                  "<SessionToken> </SessionToken><Expiration>" CT_EXP1 "</Expiration>"),
         SEAU_E_VALIDATION, NULL, ""},
        {"no expiration",
         CT_CREDS("<AccessKeyId>AK</AccessKeyId><SecretAccessKey>SK</SecretAccessKey>"
                  "<SessionToken>T</SessionToken>"),
         SEAU_E_VALIDATION, NULL, ""},
        {"bad expiration",
         CT_CREDS("<AccessKeyId>AK</AccessKeyId><SecretAccessKey>SK</SecretAccessKey>"
                  "<SessionToken>T</SessionToken><Expiration>tomorrow</Expiration>"),
         SEAU_E_VALIDATION, NULL, ""},
        {"a field twice", CT_CREDS(CT_ALL "<AccessKeyId>AK2</AccessKeyId>"), SEAU_E_VALIDATION,
         NULL, ""},
        {"credentials elsewhere",
         "<AssumeRoleWithWebIdentityResponse><Other><Credentials>" CT_ALL
         "</Credentials></Other></AssumeRoleWithWebIdentityResponse>",
         SEAU_E_VALIDATION, NULL, ""},
        {"secret with a space",
         CT_CREDS("<AccessKeyId>AK</AccessKeyId><SecretAccessKey>S K</SecretAccessKey>"
                  "<SessionToken>T</SessionToken><Expiration>" CT_EXP1 "</Expiration>"),
         SEAU_E_VALIDATION, NULL, ""},
        {"DOCTYPE refused",
         "<!DOCTYPE r [<!ENTITY e \"AKX\">]>" CT_CREDS(
             "<AccessKeyId>&e;</AccessKeyId><SecretAccessKey>SK</SecretAccessKey>"
             "<SessionToken>T</SessionToken><Expiration>" CT_EXP1 "</Expiration>"),
         SEAU_E_VALIDATION, NULL, ""},
        {"billion laughs refused",
         "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
         "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><l>&c;</l>",
         SEAU_E_VALIDATION, NULL, ""},
        {"external entity refused", "<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r/>",
         SEAU_E_VALIDATION, NULL, ""},
        {"too deep", deep, SEAU_E_TOO_LARGE, NULL, ""},
        {"field too long", long_token, SEAU_E_TOO_LARGE, NULL, ""},
        {"not XML", "{\"AccessKeyId\": \"AK\"}", SEAU_E_VALIDATION, NULL, ""},
        {"truncated", "<AssumeRoleWithWebIdentityResponse><AssumeRole", SEAU_E_VALIDATION, NULL,
         ""},
        {"empty", "", SEAU_E_VALIDATION, NULL, ""},
        {"error answer",
         "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
         "<Type>Sender</Type><Code>InvalidIdentityToken</Code>"
         "<Message>No OpenIDConnect provider found</Message></Error>"
         "<RequestId>r</RequestId></ErrorResponse>",
         SEAU_E_VALIDATION, NULL, "InvalidIdentityToken"},
        {"error code with odd bytes",
         "<ErrorResponse><Error><Code>Bad Code&lt;</Code></Error></ErrorResponse>",
         SEAU_E_VALIDATION, NULL, ""},
    };
#undef CT_CREDS
#undef CT_ALL
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf body;
        buf_init(&body, S3_CRED_MAX_ANSWER);
        assert_int_equal(buf_append_str(&body, cases[i].xml), 0);
        struct s3_credentials c = {0};
        char why[S3_CRED_WHY_SIZE] = "";
        char code[64] = "junk";
        int rc = cred__parse_sts(&body, why, code, &c);
        if (rc != cases[i].rc)
            fail_msg("%s: want %s, got %s (%s)", cases[i].name, err_name(cases[i].rc), err_name(rc),
                     why);
        if (strcmp(code, cases[i].code) != 0)
            fail_msg("%s: want code \"%s\", got \"%s\"", cases[i].name, cases[i].code, code);
        if (rc == 0) {
            assert_string_equal(c.access_key_id, cases[i].ak);
            assert_true(c.expires_ms == CT_T0 + 60 * CT_MIN);
            assert_non_null(c.session_token);
        } else {
            assert_null(c.access_key_id);
            assert_true(why[0] != '\0');
            ct_assert_no_secret(why);
        }
        s3_credentials_done(&c);
        buf_done(&body);
    }
}

static void test_json_answers(void **state)
{
    (void)state;
    char ok[1024];
    ct_json(ok, sizeof(ok), "ASIAJSON", CT_EXP1);
    static const struct {
        const char *name;
        const char *json;
        int rc;
        bool token;
    } cases[] = {
        {"ECS, without Code",
         "{\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"SK\",\"Token\":\"T\",\"Expiration\":"
         "\"" CT_EXP1 "\",\"RoleArn\":\"arn:aws:iam::1:role/r\"}",
         0, true},
        {"no Token (a local ECS-like server)",
         "{\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"SK\",\"Expiration\":\"" CT_EXP1 "\"}", 0,
         false},
        {"Code is not Success",
         "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"AccessKeyId\":\"AK\","
         "\"SecretAccessKey\":\"SK\",\"Expiration\":\"" CT_EXP1 "\"}",
         SEAU_E_VALIDATION, false},
        {"Code is not a string",
         "{\"Code\":1,\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"SK\",\"Expiration\":\"" CT_EXP1
         "\"}",
         SEAU_E_VALIDATION, false},
        {"no Expiration", "{\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"SK\"}", SEAU_E_VALIDATION,
         false},
        {"bad Expiration",
         "{\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"SK\",\"Expiration\":\"soon\"}",
         SEAU_E_VALIDATION, false},
        {"AccessKeyId not a string",
         "{\"AccessKeyId\":5,\"SecretAccessKey\":\"SK\",\"Expiration\":\"" CT_EXP1 "\"}",
         SEAU_E_VALIDATION, false},
        {"secret with a control byte",
         "{\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"S\\nK\",\"Expiration\":\"" CT_EXP1 "\"}",
         SEAU_E_VALIDATION, false},
        {"duplicate keys",
         "{\"AccessKeyId\":\"AK\",\"AccessKeyId\":\"AK2\",\"SecretAccessKey\":\"SK\","
         "\"Expiration\":\"" CT_EXP1 "\"}",
         SEAU_E_VALIDATION, false},
        {"an array", "[]", SEAU_E_VALIDATION, false},
        {"not JSON", "<xml/>", SEAU_E_VALIDATION, false},
        {"empty", "", SEAU_E_VALIDATION, false},
    };
    for (size_t i = 0; i <= sizeof(cases) / sizeof(cases[0]); i++) {
        bool real = i == sizeof(cases) / sizeof(cases[0]);
        const char *name = real ? "IMDS" : cases[i].name;
        struct buf body;
        buf_init(&body, S3_CRED_MAX_ANSWER);
        assert_int_equal(buf_append_str(&body, real ? ok : cases[i].json), 0);
        struct s3_credentials c = {0};
        char why[S3_CRED_WHY_SIZE] = "";
        int rc = cred__parse_json(&body, "the test", why, &c);
        int want = real ? 0 : cases[i].rc;
        if (rc != want)
            fail_msg("%s: want %s, got %s (%s)", name, err_name(want), err_name(rc), why);
        if (rc == 0) {
            assert_true(c.expires_ms == CT_T0 + 60 * CT_MIN);
            if (real || cases[i].token)
                assert_non_null(c.session_token);
            else
                assert_null(c.session_token);
        } else {
            ct_assert_no_secret(why);
            assert_true(strstr(why, "the test") != NULL);
        }
        s3_credentials_done(&c);
        buf_done(&body);
    }
}

/* ================================ HTTP ================================ */

static struct s3_cred_provider *ct_open_ecs(struct ct_dir *home, const char *url, const char *auth)
{
    struct s3_cred_env env = ct_env(home);
    env.container_full_uri = url;
    env.container_auth_token = auth;
    return ct_open(&env);
}

static void test_http_limits(void **state)
{
    (void)state;
    char *big = malloc(S3_CRED_MAX_ANSWER + 2);
    memset(big, 'x', S3_CRED_MAX_ANSWER + 1);
    big[S3_CRED_MAX_ANSWER + 1] = '\0';
    const struct ct_answer answers[] = {
        {200, big, S3_CRED_MAX_ANSWER, NULL, 0, false},     /* at the limit */
        {200, big, S3_CRED_MAX_ANSWER + 1, NULL, 0, false}, /* past it, announced */
        {200, big, S3_CRED_MAX_ANSWER, NULL, 0, true},      /* at it, unannounced */
        {200, big, S3_CRED_MAX_ANSWER + 1, NULL, 0, true},  /* past it, unannounced */
        {302, "", 0, "Location: http://169.254.169.254/elsewhere\r\n", 0, false},
    };
    struct ct_server *s = ct_server_start(answers, 5);
    struct ct_dir home;
    ct_dir_make(&home);
    struct s3_cred_provider *p = ct_open_ecs(&home, s->url, NULL);
    const int want[] = {0, SEAU_E_TOO_LARGE, 0, SEAU_E_TOO_LARGE, 0};
    for (int i = 0; i < 5; i++) {
        struct buf body;
        buf_init(&body, S3_CRED_MAX_ANSWER);
        char why[S3_CRED_WHY_SIZE] = "";
        long status = 0;
        struct cred__request rq = {"the test server", "GET", s->url, NULL, NULL, 0, true};
        int rc = cred__http(p, &rq, &status, &body, why);
        if (rc != want[i])
            fail_msg("answer %d: want %s, got %s (%s)", i, err_name(want[i]), err_name(rc), why);
        if (rc == 0 && i < 4)
            assert_int_equal(body.len, S3_CRED_MAX_ANSWER);
        if (rc)
            assert_non_null(strstr(why, "larger than 65536 bytes"));
        if (i == 4)
            assert_int_equal(status, 302); /* returned, not followed */
        buf_done(&body);
    }
    assert_int_equal(ct_server_requests(s), 5);
    s3_credentials_free(p);
    ct_server_stop(s);
    free(big);
    ct_dir_remove(&home);
}

static void test_web_identity(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char token_path[128];
    /* A token with bytes that must be encoded, and a trailing newline that must not be sent. */
    ct_write(&home, "token", "eyJ." CT_MARK "+/=first\n", token_path, sizeof(token_path));
    char a1[4096], a2[4096];
    ct_sts_xml(a1, sizeof(a1), "ASIAONE", CT_EXP1);
    ct_sts_xml(a2, sizeof(a2), "ASIATWO", CT_EXP2);
    const struct ct_answer answers[] = {{200, a1, 0, NULL, 0, false}, {200, a2, 0, NULL, 0, false}};
    struct ct_server *s = ct_server_start(answers, 2);
    char sts[96];
    snprintf(sts, sizeof(sts), "%s/", s->url);
    struct s3_cred_env env = ct_env(&home);
    env.web_identity_token_file = token_path;
    env.role_arn = CT_ROLE_ARN;
    env.endpoint_url_sts = sts;
    env.region = "eu-west-3";
    struct s3_cred_provider *p = ct_open(&env);
    assert_string_equal(s3_credentials_source(p), "web identity");

    struct s3_credentials c;
    ct_get_ok(p, CT_T0, "ASIAONE", &c);
    assert_string_equal(c.secret_access_key, "sts+" CT_MARK "+ASIAONE");
    assert_string_equal(c.session_token, "sts/" CT_MARK "/ASIAONE=");
    assert_true(c.expires_ms == CT_T0 + 60 * CT_MIN);
    s3_credentials_done(&c);
    assert_int_equal(ct_server_requests(s), 1);
    const struct ct_request *rq = &s->requests[0];
    assert_string_equal(rq->method, "POST");
    assert_string_equal(rq->target, "/");
    ct_assert_header(rq, "Content-Type", "application/x-www-form-urlencoded");
    char got[512], session[32];
    assert_false(ct_header(rq, "Authorization", got, sizeof(got))); /* an unsigned request */
    ct_form(rq->body, "Action", got, sizeof(got));
    assert_string_equal(got, "AssumeRoleWithWebIdentity");
    ct_form(rq->body, "Version", got, sizeof(got));
    assert_string_equal(got, "2011-06-15");
    ct_form(rq->body, "RoleArn", got, sizeof(got));
    assert_string_equal(got, CT_ROLE_ARN);
    ct_form(rq->body, "RoleSessionName", got, sizeof(got));
    snprintf(session, sizeof(session), "seau-%lld", (long long)CT_T0);
    assert_string_equal(got, session);
    ct_form(rq->body, "WebIdentityToken", got, sizeof(got));
    assert_string_equal(got, "eyJ." CT_MARK "+/=first");

    /* Cached until 5 minutes before expiry. */
    ct_get_ok(p, CT_T0 + 30 * CT_MIN, "ASIAONE", NULL);
    ct_get_ok(p, CT_T0 + 55 * CT_MIN - 1, "ASIAONE", NULL);
    assert_int_equal(ct_server_requests(s), 1);
    /* Then refreshed, with the token file read again. */
    ct_write(&home, "token", "eyJ.second", token_path, sizeof(token_path));
    ct_get_ok(p, CT_T0 + 55 * CT_MIN, "ASIATWO", &c);
    assert_true(c.expires_ms == CT_T0 + 120 * CT_MIN);
    s3_credentials_done(&c);
    assert_int_equal(ct_server_requests(s), 2);
    ct_form(s->requests[1].body, "WebIdentityToken", got, sizeof(got));
    assert_string_equal(got, "eyJ.second");
    ct_form(s->requests[1].body, "RoleSessionName", got, sizeof(got));
    snprintf(session, sizeof(session), "seau-%lld", (long long)(CT_T0 + 55 * CT_MIN));
    assert_string_equal(got, session);
    s3_credentials_free(p);
    ct_server_stop(s);
    ct_dir_remove(&home);
}

static void test_web_identity_failures(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char token_path[128];
    ct_write(&home, "token", "jwt." CT_MARK, token_path, sizeof(token_path));
    char ok[4096];
    ct_sts_xml(ok, sizeof(ok), "ASIAOK", CT_EXP1);
    const struct ct_answer answers[] = {
        {403,
         "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
         "<Message>bad token jwt." CT_MARK "</Message></Error></ErrorResponse>",
         0, NULL, 0, false},
        {200, "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>", 0, NULL, 0,
         false},
        {503, "", 0, NULL, 0, false},
        {200, ok, 0, NULL, 0, false},
    };
    struct ct_server *s = ct_server_start(answers, 4);
    struct s3_cred_env env = ct_env(&home);
    env.web_identity_token_file = token_path;
    env.role_arn = CT_ROLE_ARN;
    env.role_session_name = "fixed-session";
    env.endpoint_url_sts = s->url;
    struct s3_cred_provider *p = ct_open(&env);

    int64_t now = CT_T0;
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "HTTP 403 (InvalidIdentityToken)");
    now += CT_MIN; /* past the back-off */
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "not acceptable XML");
    now += CT_MIN;
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "HTTP 503");
    now += CT_MIN;
    /* The token file disappears: no request is made. */
    unlink(token_path);
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "AWS_WEB_IDENTITY_TOKEN_FILE does not exist");
    assert_int_equal(ct_server_requests(s), 3);
    now += CT_MIN;
    ct_write(&home, "token", "x", token_path, sizeof(token_path)); /* shorter than STS allows */
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "AWS_WEB_IDENTITY_TOKEN_FILE must hold");
    now += CT_MIN;
    ct_write(&home, "token", "jwt." CT_MARK, token_path, sizeof(token_path));
    ct_get_ok(p, now, "ASIAOK", NULL);
    char why[S3_CRED_WHY_SIZE];
    ct_form(s->requests[3].body, "RoleSessionName", why, sizeof(why));
    assert_string_equal(why, "fixed-session");
    s3_credentials_last_error(p, why);
    assert_string_equal(why, ""); /* a success clears the last error */
    s3_credentials_free(p);
    ct_server_stop(s);
    ct_dir_remove(&home);
}

static void test_ecs(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char j1[1024], j2[1024], j3[1024];
    ct_json(j1, sizeof(j1), "ASIAECS1", CT_EXP1);
    ct_json(j2, sizeof(j2), "ASIAECS2", CT_EXP1);
    ct_json(j3, sizeof(j3), "ASIAECS3", CT_EXP2);
    const struct ct_answer answers[] = {
        {200, j1, 0, NULL, 0, false}, {200, j2, 0, NULL, 0, false}, {200, j3, 0, NULL, 0, false}};
    struct ct_server *s = ct_server_start(answers, 3);
    char url[128];
    snprintf(url, sizeof(url), "%s/v2/credentials?id=1", s->url);

    /* The token from the environment. */
    struct s3_cred_provider *p = ct_open_ecs(&home, url, "Bearer " CT_MARK);
    assert_string_equal(s3_credentials_source(p), "ecs");
    struct s3_credentials c;
    ct_get_ok(p, CT_T0, "ASIAECS1", &c);
    assert_string_equal(c.session_token, "tok/" CT_MARK "+ASIAECS1=");
    s3_credentials_done(&c);
    assert_string_equal(s->requests[0].method, "GET");
    assert_string_equal(s->requests[0].target, "/v2/credentials?id=1");
    ct_assert_header(&s->requests[0], "Authorization", "Bearer " CT_MARK);
    ct_assert_header(&s->requests[0], "Accept", "application/json");
    s3_credentials_free(p);

    /* The token file, read again at each refresh. */
    char token_path[128];
    ct_write(&home, "ecs-token", "Bearer file-" CT_MARK "-1\n", token_path, sizeof(token_path));
    struct s3_cred_env env = ct_env(&home);
    env.container_full_uri = url;
    env.container_auth_token = "ignored";
    env.container_auth_token_file = token_path;
    p = ct_open(&env);
    ct_get_ok(p, CT_T0, "ASIAECS2", NULL);
    ct_assert_header(&s->requests[1], "Authorization", "Bearer file-" CT_MARK "-1");
    ct_write(&home, "ecs-token", "file-" CT_MARK "-2", token_path, sizeof(token_path));
    ct_get_ok(p, CT_T0 + 54 * CT_MIN, "ASIAECS2", NULL);
    ct_get_ok(p, CT_T0 + 56 * CT_MIN, "ASIAECS3", NULL);
    ct_assert_header(&s->requests[2], "Authorization", "file-" CT_MARK "-2");
    assert_int_equal(ct_server_requests(s), 3);
    s3_credentials_free(p);
    ct_server_stop(s);

    /* Without any token, no Authorization header is sent. */
    const struct ct_answer one[] = {{200, j1, 0, NULL, 0, false}};
    s = ct_server_start(one, 1);
    p = ct_open_ecs(&home, s->url, NULL);
    ct_get_ok(p, CT_T0, "ASIAECS1", NULL);
    char got[64];
    assert_false(ct_header(&s->requests[0], "Authorization", got, sizeof(got)));
    s3_credentials_free(p);
    ct_server_stop(s);
    ct_dir_remove(&home);
}

static void test_ecs_failures(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char expired[1024], big[S3_CRED_MAX_ANSWER + 64];
    ct_json(expired, sizeof(expired), "ASIAOLD", CT_EXPIRED);
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[0] = '{'; /* a JSON object padded past the limit */
    big[sizeof(big) - 2] = '}';
    const struct ct_answer answers[] = {
        {200, expired, 0, NULL, 0, false},
        {200, big, 0, NULL, 0, false},
        {200, big, 0, NULL, 0, true},
        {302, "", 0, "Location: /elsewhere\r\n", 0, false},
        {404, "{\"message\":\"not found\"}", 0, NULL, 0, false},
        {200, "{\"AccessKeyId\":", 0, NULL, 0, false},
    };
    struct ct_server *s = ct_server_start(answers, 6);
    struct s3_cred_provider *p = ct_open_ecs(&home, s->url, "Bearer " CT_MARK);
    int64_t now = CT_T0;
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "already expired");
    now += CT_MIN;
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "larger than 65536 bytes");
    now += CT_MIN;
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "larger than 65536 bytes");
    now += CT_MIN;
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "HTTP 302");
    now += CT_MIN;
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "HTTP 404");
    now += CT_MIN;
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "not a JSON object");
    assert_int_equal(ct_server_requests(s), 6); /* the redirect was not followed */
    s3_credentials_free(p);
    ct_server_stop(s);

    /* An unreadable token file: no request. */
    const struct ct_answer none[] = {{200, "{}", 0, NULL, 0, false}};
    s = ct_server_start(none, 1);
    struct s3_cred_env env = ct_env(&home);
    env.container_full_uri = s->url;
    env.container_auth_token_file = home.path; /* a folder */
    p = ct_open(&env);
    ct_get_fails(p, CT_T0, SEAU_E_UNAVAILABLE, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    assert_int_equal(ct_server_requests(s), 0);
    s3_credentials_free(p);
    ct_server_stop(s);
    ct_dir_remove(&home);
}

static void test_imds(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char j1[1024], j2[1024];
    ct_json(j1, sizeof(j1), "ASIAIMDS1", CT_EXP1);
    ct_json(j2, sizeof(j2), "ASIAIMDS2", CT_EXP2);
    const struct ct_answer answers[] = {
        {200, "imds-" CT_MARK "-1", 0, NULL, 0, false},
        {200, "seau-role\n", 0, NULL, 0, false},
        {200, j1, 0, NULL, 0, false},
        {200, "imds-" CT_MARK "-2", 0, NULL, 0, false},
        {200, "seau-role", 0, NULL, 0, false},
        {200, j2, 0, NULL, 0, false},
    };
    struct ct_server *s = ct_server_start(answers, 6);
    char endpoint[96];
    snprintf(endpoint, sizeof(endpoint), "%s/", s->url);
    struct s3_cred_env env = ct_env(&home);
    env.ec2_metadata_disabled = "false";
    env.ec2_metadata_endpoint = endpoint;
    struct s3_cred_provider *p = ct_open(&env);
    assert_string_equal(s3_credentials_source(p), "imds");

    ct_get_ok(p, CT_T0, "ASIAIMDS1", NULL);
    assert_int_equal(ct_server_requests(s), 3);
    const struct ct_request *rq = s->requests;
    char got[128];
    assert_string_equal(rq[0].method, "PUT");
    assert_string_equal(rq[0].target, "/latest/api/token");
    ct_assert_header(&rq[0], "X-aws-ec2-metadata-token-ttl-seconds", "21600");
    ct_assert_header(&rq[0], "Content-Length", "0");
    assert_false(ct_header(&rq[0], "X-aws-ec2-metadata-token", got, sizeof(got)));
    assert_string_equal(rq[1].method, "GET");
    assert_string_equal(rq[1].target, "/latest/meta-data/iam/security-credentials/");
    ct_assert_header(&rq[1], "X-aws-ec2-metadata-token", "imds-" CT_MARK "-1");
    assert_string_equal(rq[2].method, "GET");
    assert_string_equal(rq[2].target, "/latest/meta-data/iam/security-credentials/seau-role");
    ct_assert_header(&rq[2], "X-aws-ec2-metadata-token", "imds-" CT_MARK "-1");

    /* Refresh: a new session token each time. */
    ct_get_ok(p, CT_T0 + 55 * CT_MIN, "ASIAIMDS2", NULL);
    assert_int_equal(ct_server_requests(s), 6);
    ct_assert_header(&rq[4], "X-aws-ec2-metadata-token", "imds-" CT_MARK "-2");
    ct_assert_header(&rq[5], "X-aws-ec2-metadata-token", "imds-" CT_MARK "-2");
    s3_credentials_free(p);
    ct_server_stop(s);
    ct_dir_remove(&home);
}

static void test_imds_failures(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    const struct ct_answer answers[] = {
        {403, "", 0, NULL, 0, false},                /* 1: the session token is refused */
        {200, "tok", 0, NULL, 0, false},             /* 2: a token, */
        {404, "", 0, NULL, 0, false},                /*    but no role */
        {200, "tok", 0, NULL, 0, false},             /* 3: a token, */
        {200, "../../user-data", 0, NULL, 0, false}, /*    and a role name that is a path */
        {200, "tok", 0, NULL, 0, false},             /* 4: a token, */
        {200, "role", 0, NULL, 0, false},            /*    a role, */
        {500, "", 0, NULL, 0, false},                /*    but no credentials */
        {200, "bad token\n", 0, NULL, 0, false},     /* 5: a token with a space */
    };
    struct ct_server *s = ct_server_start(answers, 9);
    struct s3_cred_env env = ct_env(&home);
    env.ec2_metadata_disabled = NULL;
    env.ec2_metadata_endpoint = s->url;
    struct s3_cred_provider *p = ct_open(&env);
    int64_t now = CT_T0;
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "IMDS refused a session token: HTTP 403");
    now += CT_MIN;
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "knows no IAM role");
    now += CT_MIN;
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "malformed IAM role name");
    now += CT_MIN;
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "HTTP 500 for the role's credentials");
    now += CT_MIN;
    ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "malformed session token");
    assert_int_equal(ct_server_requests(s), 9);
    s3_credentials_free(p);
    ct_server_stop(s);
    ct_dir_remove(&home);
}

/* The cache: a refresh that fails while the old keys are valid, then back-off. */
static void test_refresh_failure(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char j1[1024], j2[1024], j3[1024];
    ct_json(j1, sizeof(j1), "ASIAFIRST", CT_EXP1);
    ct_json(j2, sizeof(j2), "ASIASECOND", CT_EXP2);
    ct_json(j3, sizeof(j3), "ASIASHORT", "2024-01-15T14:36:56Z"); /* CT_T0 + 122 min */
    const struct ct_answer answers[] = {
        {200, j1, 0, NULL, 0, false}, {500, "", 0, NULL, 0, false}, {500, "", 0, NULL, 0, false},
        {200, j2, 0, NULL, 0, false}, {200, j3, 0, NULL, 0, false}, {200, j3, 0, NULL, 0, false},
    };
    struct ct_server *s = ct_server_start(answers, 6);
    struct s3_cred_provider *p = ct_open_ecs(&home, s->url, NULL);
    const int64_t t = CT_T0;
    char why[S3_CRED_WHY_SIZE];

    ct_get_ok(p, t, "ASIAFIRST", NULL);
    assert_int_equal(ct_server_requests(s), 1);
    /* In the refresh window: the refresh fails, the valid keys are returned. */
    ct_get_ok(p, t + 56 * CT_MIN, "ASIAFIRST", NULL);
    assert_int_equal(ct_server_requests(s), 2);
    s3_credentials_last_error(p, why);
    assert_non_null(strstr(why, "ecs: the ECS credentials endpoint answered HTTP 500"));
    /* Backing off (1 s): no request, still the valid keys. */
    ct_get_ok(p, t + 56 * CT_MIN + 999, "ASIAFIRST", NULL);
    assert_int_equal(ct_server_requests(s), 2);
    /* Expired, and the source fails again: an error at last. */
    ct_get_fails(p, t + 61 * CT_MIN, SEAU_E_UNAVAILABLE, "HTTP 500");
    assert_int_equal(ct_server_requests(s), 3);
    /* Back-off doubled (2 s): the error comes at once, without a request. */
    ct_get_fails(p, t + 61 * CT_MIN + 1999, SEAU_E_UNAVAILABLE, "HTTP 500");
    assert_int_equal(ct_server_requests(s), 3);
    assert_true(p->backoff_ms == 2000);
    /* Then the source recovers. */
    ct_get_ok(p, t + 61 * CT_MIN + 2000, "ASIASECOND", NULL);
    assert_int_equal(ct_server_requests(s), 4);
    s3_credentials_last_error(p, why);
    assert_string_equal(why, "");
    assert_true(p->backoff_ms == 0);

    /* Keys that expire within the refresh window are refreshed at most every 10 s. */
    ct_get_ok(p, t + 116 * CT_MIN, "ASIASHORT", NULL); /* 6 min left */
    ct_get_ok(p, t + 118 * CT_MIN, "ASIASHORT", NULL); /* 4 min left: refreshed again */
    assert_int_equal(ct_server_requests(s), 6);
    ct_get_ok(p, t + 118 * CT_MIN + 9999, "ASIASHORT", NULL);
    assert_int_equal(ct_server_requests(s), 6);
    s3_credentials_free(p);
    ct_server_stop(s);
    ct_dir_remove(&home);
}

static void test_backoff_cap(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char url[96];
    ct_dead_url(url, sizeof(url), "/creds");
    struct s3_cred_provider *p = ct_open_ecs(&home, url, NULL);
    int64_t now = CT_T0;
    const int64_t want[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ct_get_fails(p, now, SEAU_E_UNAVAILABLE, "did not answer");
        assert_true(p->backoff_ms == want[i]);
        now += p->backoff_ms;
    }
    s3_credentials_free(p);
    ct_dir_remove(&home);
}

static void test_down_and_slow(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char url[96];

    /* Nothing listens: each source fails fast, well under its connect timeout. */
    ct_dead_url(url, sizeof(url), "");
    struct s3_cred_env env = ct_env(&home);
    env.ec2_metadata_disabled = NULL;
    env.ec2_metadata_endpoint = url;
    struct s3_cred_provider *p = ct_open(&env);
    int64_t start = time_mono_ns();
    ct_get_fails(p, CT_T0, SEAU_E_UNAVAILABLE, "IMDS did not answer");
    assert_true(time_mono_ns() - start < INT64_C(900) * 1000 * 1000);
    s3_credentials_free(p);

    p = ct_open_ecs(&home, url, NULL);
    start = time_mono_ns();
    ct_get_fails(p, CT_T0, SEAU_E_UNAVAILABLE, "did not answer");
    assert_true(time_mono_ns() - start < INT64_C(900) * 1000 * 1000);
    s3_credentials_free(p);

    char token_path[128];
    ct_write(&home, "token", "jwt." CT_MARK, token_path, sizeof(token_path));
    env = ct_env(&home);
    env.web_identity_token_file = token_path;
    env.role_arn = CT_ROLE_ARN;
    env.endpoint_url_sts = url;
    p = ct_open(&env);
    start = time_mono_ns();
    ct_get_fails(p, CT_T0, SEAU_E_UNAVAILABLE, "STS did not answer");
    assert_true(time_mono_ns() - start < INT64_C(900) * 1000 * 1000);
    s3_credentials_free(p);

    /* A server that accepts but does not answer in time: the total timeout. */
    char j[1024];
    ct_json(j, sizeof(j), "ASIASLOW", CT_EXP1);
    const struct ct_answer slow[] = {{200, j, 0, NULL, 2000, false}};
    struct ct_server *s = ct_server_start(slow, 1);
    p = ct_open_ecs(&home, s->url, NULL);
    p->timeout_ms = 200;
    start = time_mono_ns();
    ct_get_fails(p, CT_T0, SEAU_E_UNAVAILABLE, "Timeout");
    int64_t took = time_mono_ns() - start;
    assert_true(took >= INT64_C(150) * 1000 * 1000 && took < INT64_C(1500) * 1000 * 1000);
    s3_credentials_free(p);
    ct_server_stop(s);
    ct_dir_remove(&home);
}

/* Threads calling get at once: one refresh, everyone served. */
struct ct_worker {
    struct s3_cred_provider *p;
    int64_t now;
    int rc;
    char ak[32];
};

static void *ct_worker_run(void *arg)
{
    struct ct_worker *w = arg;
    struct s3_credentials c = {0};
    w->rc = s3_credentials_get(w->p, w->now, &c);
    if (w->rc == 0)
        snprintf(w->ak, sizeof(w->ak), "%s", c.access_key_id);
    s3_credentials_done(&c);
    return NULL;
}

static void test_concurrent(void **state)
{
    (void)state;
    struct ct_dir home;
    ct_dir_make(&home);
    char j1[1024], j2[1024];
    ct_json(j1, sizeof(j1), "ASIACONC1", CT_EXP1);
    ct_json(j2, sizeof(j2), "ASIACONC2", CT_EXP2);
    const struct ct_answer answers[] = {{200, j1, 0, NULL, 200, false},
                                        {200, j2, 0, NULL, 300, false}};
    struct ct_server *s = ct_server_start(answers, 2);
    struct s3_cred_provider *p = ct_open_ecs(&home, s->url, NULL);
    enum { N = 8 };
    struct ct_worker w[N];
    pthread_t th[N];

    /* Nothing cached: one thread fetches, the others wait for it. */
    for (int i = 0; i < N; i++) {
        w[i] = (struct ct_worker){.p = p, .now = CT_T0};
        assert_int_equal(pthread_create(&th[i], NULL, ct_worker_run, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].rc, 0);
        assert_string_equal(w[i].ak, "ASIACONC1");
    }
    assert_int_equal(ct_server_requests(s), 1);

    /*
     * In the refresh window: one thread refreshes, slowly (the server waits 300 ms before it
     * answers). Once its request is in, the others get the valid keys at once.
     */
    w[0] = (struct ct_worker){.p = p, .now = CT_T0 + 56 * CT_MIN};
    assert_int_equal(pthread_create(&th[0], NULL, ct_worker_run, &w[0]), 0);
    while (ct_server_requests(s) < 2)
        usleep(1000);
    int64_t start = time_mono_ns();
    for (int i = 1; i < N; i++) {
        w[i] = (struct ct_worker){.p = p, .now = CT_T0 + 56 * CT_MIN};
        assert_int_equal(pthread_create(&th[i], NULL, ct_worker_run, &w[i]), 0);
    }
    for (int i = 1; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].rc, 0);
        assert_string_equal(w[i].ak, "ASIACONC1");
    }
    assert_true(time_mono_ns() - start < INT64_C(250) * 1000 * 1000);
    pthread_join(th[0], NULL);
    assert_int_equal(w[0].rc, 0);
    assert_string_equal(w[0].ak, "ASIACONC2");
    assert_int_equal(ct_server_requests(s), 2);
    ct_get_ok(p, CT_T0 + 57 * CT_MIN, "ASIACONC2", NULL);
    s3_credentials_free(p);
    ct_server_stop(s);
    ct_dir_remove(&home);
}

static int ct_setup(void **state)
{
    (void)state;
    /* The tests talk to 127.0.0.1: keep any proxy of the tester's shell out of it. */
    static const char *const proxies[] = {"http_proxy",  "https_proxy", "HTTP_PROXY",
                                          "HTTPS_PROXY", "ALL_PROXY",   "all_proxy"};
    for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
        unsetenv(proxies[i]);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expiry_constants),
        cmocka_unit_test(test_credentials_view),
        cmocka_unit_test(test_form_encoding),
        cmocka_unit_test(test_names_and_trimming),
        cmocka_unit_test(test_ecs_http_hosts),
        cmocka_unit_test(test_env_source),
        cmocka_unit_test(test_env_invalid),
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_profile_files),
        cmocka_unit_test(test_chain_order),
        cmocka_unit_test(test_source_settings),
        cmocka_unit_test(test_source_settings_invalid),
        cmocka_unit_test(test_env_from_process),
        cmocka_unit_test(test_sts_answers),
        cmocka_unit_test(test_json_answers),
        cmocka_unit_test(test_http_limits),
        cmocka_unit_test(test_web_identity),
        cmocka_unit_test(test_web_identity_failures),
        cmocka_unit_test(test_ecs),
        cmocka_unit_test(test_ecs_failures),
        cmocka_unit_test(test_imds),
        cmocka_unit_test(test_imds_failures),
        cmocka_unit_test(test_refresh_failure),
        cmocka_unit_test(test_backoff_cap),
        cmocka_unit_test(test_down_and_slow),
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, ct_setup, NULL);
}
