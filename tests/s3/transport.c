/*
 * The transport against servers that misbehave on purpose (STYLE.md rule
 * 19): a tiny HTTP server thread on loopback that, per scenario, closes the
 * connection after reading a request, sends half a body, answers 503 SlowDown
 * twice before a 200, hides an <Error> in a "200 OK", stalls, or drops
 * keep-alive connections. The client's sleep is injected and recorded, so
 * retries cost no time and their backoff is checked.
 */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

enum t_mode {
    M_CLOSE,               /* read the request, close without answering */
    M_HALF_BODY,           /* 200 with Content-Length 1000, 500 bytes, close */
    M_HALF_XML,            /* a listing cut in the middle, close */
    M_SLOWDOWN_TWICE,      /* 503 SlowDown twice, then a listing */
    M_SLOWDOWN,            /* 503 SlowDown always */
    M_200_ERROR,           /* CompleteMultipartUpload: 200 + <Error>InternalError, then success */
    M_200_NO_UPLOAD,       /* CompleteMultipartUpload: 200 + <Error>NoSuchUpload */
    M_HTML_502,            /* 502 with an HTML page, then 200 */
    M_STALL,               /* read the request, never answer */
    M_OK,                  /* 200, keep-alive */
    M_OK_THEN_CLOSE,       /* 200 without "Connection: close", then close anyway */
    M_HEAD_404,            /* 404 without a body */
    M_HEAD_403,            /* 403 without a body */
    M_COPY_BARE_ETAG,      /* CopyObjectResult with an unquoted ETag (RGW) */
    M_COMPLETE_EMPTY_ETAG, /* CompleteMultipartUploadResult with <ETag></ETag>, then HEAD */
};

struct t_server {
    int fd;
    int port;
    pthread_t thread;
    atomic_bool stop;
    enum t_mode mode;
    atomic_int connections, requests;
    pthread_mutex_t lock;
    char last_request[16384]; /* request line and headers of the last request */
    uint64_t last_body_len;
};

static const char t_listing[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>b</Name><Prefix></Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>"
    "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
    "<Contents><Key>a%20b%2Bc</Key><LastModified>2024-01-15T12:34:56.000Z</LastModified>"
    "<ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>3</Size>"
    "<StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>caf%C3%A9</Key><LastModified>2024-01-15T12:34:56.000Z</LastModified>"
    "<ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>4</Size>"
    "<StorageClass>STANDARD</StorageClass></Contents>"
    "</ListBucketResult>";

static const char t_slowdown[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
    "<Message>Please reduce your request rate.</Message><RequestId>slow-1</RequestId></Error>";

static void t_send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        c += w;
        n -= (size_t)w;
    }
}

/* Sends a full answer with a body (none for HEAD). */
static void t_answer(int fd, int status, const char *reason, const char *ctype, const char *body,
                     bool head, const char *extra)
{
    char hdr[1024];
    size_t blen = body ? strlen(body) : 0;
    int n = snprintf(hdr, sizeof(hdr),
                     "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s%s%sx-amz-request-id: req-%d\r\n"
                     "%s\r\n",
                     status, reason, blen, ctype ? "Content-Type: " : "", ctype ? ctype : "",
                     ctype ? "\r\n" : "", status, extra ? extra : "");
    t_send_all(fd, hdr, (size_t)n);
    if (!head && blen)
        t_send_all(fd, body, blen);
}

/* Reads one request; false when the client closed or it timed out. */
static bool t_read_request(struct t_server *s, int fd, bool *ret_head)
{
    char buf[16384];
    size_t len = 0;
    char *end = NULL;
    while (!end) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 5000) <= 0 || atomic_load(&s->stop))
            return false;
        ssize_t r = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
        if (r <= 0)
            return false;
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (!end && len == sizeof(buf) - 1)
            return false;
    }
    size_t hlen = (size_t)(end - buf) + 4;
    uint64_t clen = 0;
    for (char *h = buf; h && h < end; h = strstr(h, "\r\n") ? strstr(h, "\r\n") + 2 : NULL)
        if (strncasecmp(h, "Content-Length:", 15) == 0) {
            char *v = h + 15, *eol = strstr(v, "\r\n");
            while (*v == ' ')
                v++;
            int64_t n;
            if (slice_to_int64((struct slice){v, (size_t)(eol - v)}, 0, INT64_MAX, &n) == 0)
                clen = (uint64_t)n;
        }
    pthread_mutex_lock(&s->lock);
    memcpy(s->last_request, buf, hlen);
    s->last_request[hlen] = '\0';
    s->last_body_len = clen;
    pthread_mutex_unlock(&s->lock);
    *ret_head = strncmp(buf, "HEAD ", 5) == 0;
    uint64_t have = len - hlen;
    while (have < clen) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 5000) <= 0)
            return false;
        ssize_t r = recv(fd, buf, sizeof(buf), 0);
        if (r <= 0)
            return false;
        have += (uint64_t)r;
    }
    return true;
}

/* Answers request number i (0-based, over all connections); false closes. */
static bool t_handle(struct t_server *s, int fd, int i, bool head)
{
    switch (s->mode) {
    case M_CLOSE:
        return false;
    case M_HALF_BODY: {
        const char *hdr = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nETag: \"x\"\r\n\r\n";
        t_send_all(fd, hdr, strlen(hdr));
        char half[500];
        memset(half, 'h', sizeof(half));
        t_send_all(fd, half, sizeof(half));
        return false;
    }
    case M_HALF_XML: {
        char hdr[256];
        int n = snprintf(hdr, sizeof(hdr),
                         "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
                         "Content-Length: %zu\r\n\r\n",
                         strlen(t_listing));
        t_send_all(fd, hdr, (size_t)n);
        t_send_all(fd, t_listing, strlen(t_listing) / 2);
        return false;
    }
    case M_SLOWDOWN_TWICE:
        if (i < 2)
            t_answer(fd, 503, "Slow Down", "application/xml", t_slowdown, head, NULL);
        else
            t_answer(fd, 200, "OK", "application/xml", t_listing, head, NULL);
        return true;
    case M_SLOWDOWN:
        t_answer(fd, 503, "Slow Down", "application/xml", t_slowdown, head, NULL);
        return true;
    case M_200_ERROR:
        if (i == 0)
            t_answer(fd, 200, "OK", "application/xml",
                     "<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code>"
                     "<Message>We encountered an internal error. Please try again.</Message>"
                     "<RequestId>int-1</RequestId></Error>",
                     head, NULL);
        else
            t_answer(fd, 200, "OK", "application/xml",
                     "<CompleteMultipartUploadResult><Location>http://x/b/k</Location>"
                     "<Bucket>b</Bucket><Key>k</Key><ETag>\"abc-2\"</ETag>"
                     "</CompleteMultipartUploadResult>",
                     head, "x-amz-version-id: v2\r\n");
        return true;
    case M_200_NO_UPLOAD:
        t_answer(fd, 200, "OK", "application/xml",
                 "<Error><Code>NoSuchUpload</Code><Message>The upload does not exist"
                 "</Message></Error>",
                 head, NULL);
        return true;
    case M_HTML_502:
        if (i == 0)
            t_answer(fd, 502, "Bad Gateway", "text/html",
                     "<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>", head, NULL);
        else
            t_answer(fd, 200, "OK", "application/xml", t_listing, head, NULL);
        return true;
    case M_STALL:
        while (!atomic_load(&s->stop)) {
            struct pollfd pfd = {fd, POLLIN, 0};
            if (poll(&pfd, 1, 50) > 0) {
                char tmp[256];
                if (recv(fd, tmp, sizeof(tmp), 0) <= 0)
                    break;
            }
        }
        return false;
    case M_OK:
        t_answer(fd, 200, "OK", NULL, NULL, head, "ETag: \"0123\"\r\n");
        return true;
    case M_OK_THEN_CLOSE:
        t_answer(fd, 200, "OK", NULL, NULL, head, "ETag: \"0123\"\r\n");
        return false;
    case M_HEAD_404:
        t_answer(fd, 404, "Not Found", NULL, NULL, true, NULL);
        return true;
    case M_HEAD_403:
        t_answer(fd, 403, "Forbidden", NULL, NULL, true, NULL);
        return true;
    case M_COPY_BARE_ETAG:
        t_answer(fd, 200, "OK", "application/xml",
                 "<CopyObjectResult><LastModified>2024-01-15T12:34:56.000Z</LastModified>"
                 "<ETag>0123456789abcdef0123456789abcdef</ETag></CopyObjectResult>",
                 head, NULL);
        return true;
    case M_COMPLETE_EMPTY_ETAG:
        if (!head)
            t_answer(fd, 200, "OK", "application/xml",
                     "<CompleteMultipartUploadResult><Location>x</Location><Bucket>b</Bucket>"
                     "<Key>k</Key><ETag></ETag></CompleteMultipartUploadResult>",
                     head, NULL);
        else
            t_answer(fd, 200, "OK", NULL, NULL, head, "ETag: \"fromhead-3\"\r\n");
        return true;
    }
    return false;
}

static void *t_server_run(void *arg)
{
    struct t_server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd pfd = {s->fd, POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0)
            continue;
        atomic_fetch_add(&s->connections, 1);
        for (;;) {
            bool head = false;
            if (!t_read_request(s, fd, &head))
                break;
            int i = atomic_fetch_add(&s->requests, 1);
            if (!t_handle(s, fd, i, head))
                break;
        }
        close(fd);
    }
    return NULL;
}

static struct t_server *t_server_start(enum t_mode mode)
{
    struct t_server *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->mode = mode;
    pthread_mutex_init(&s->lock, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    socklen_t al = sizeof(a);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, t_server_run, s), 0);
    return s;
}

static void t_server_stop(struct t_server *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->fd);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* The injected sleep: records, never waits. */
struct t_sleeps {
    int count;
    int64_t ms[16];
};
static struct t_sleeps sleeps;

static void t_sleep(void *ctx, int64_t ms)
{
    (void)ctx;
    if (sleeps.count < 16)
        sleeps.ms[sleeps.count] = ms;
    sleeps.count++;
}

static struct s3_cred_provider *provider;

static struct s3_client *t_client(const struct t_server *s, int64_t request_timeout_ms)
{
    char endpoint[64];
    (void)snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", s->port);
    struct s3_config cfg = {.endpoint = endpoint,
                            .sleep_ms = t_sleep,
                            .request_timeout_ms = request_timeout_ms,
                            .low_speed_time_ms = 1000,
                            .low_speed_bytes = 1};
    struct s3_client *c = NULL;
    assert_int_equal(s3_client_new(&cfg, provider, &c), 0);
    memset(&sleeps, 0, sizeof(sleeps));
    return c;
}

/* Every recorded sleep is within full jitter's bounds for its retry. */
static void t_check_backoff(int retries)
{
    assert_int_equal(sleeps.count, retries);
    for (int i = 0; i < retries && i < 16; i++) {
        int64_t ceil = S3_DEFAULT_BACKOFF_BASE_MS << i;
        if (ceil > S3_DEFAULT_BACKOFF_CAP_MS)
            ceil = S3_DEFAULT_BACKOFF_CAP_MS;
        assert_in_range(sleeps.ms[i], 0, ceil);
    }
}

static void test_closed_before_answer(void **state)
{
    (void)state;
    struct t_server *s = t_server_start(M_CLOSE);
    struct s3_client *c = t_client(s, 0);
    struct s3_error e;
    struct s3_object_head h;
    assert_int_equal(s3_head_object(c, "b", "k", NULL, &h, &e), SEAU_E_UNAVAILABLE);
    assert_string_equal(e.code, "ConnectionFailed");
    assert_int_equal(e.http_status, 0);
    /* The first attempt and three retries, with backoff in bounds. */
    assert_int_equal(atomic_load(&s->requests), 1 + S3_DEFAULT_MAX_RETRIES);
    t_check_backoff(S3_DEFAULT_MAX_RETRIES);
    char why[512];
    printf("# %s\n", s3_error_describe(&e, why, sizeof(why)));
    struct s3_client_stats st;
    s3_client_stats(c, &st);
    assert_int_equal(st.retries, S3_DEFAULT_MAX_RETRIES);
    s3_client_free(c);
    t_server_stop(s);
}

static void test_half_body_get_not_retried(void **state)
{
    (void)state;
    struct t_server *s = t_server_start(M_HALF_BODY);
    struct s3_client *c = t_client(s, 0);
    struct s3_error e;
    struct s3_object_head h;
    struct t_mem_sink ms;
    struct s3_sink sink;
    t_sink_init(&ms, &sink);
    /* Bytes reached the caller: never retried, never a partial success. */
    assert_int_equal(s3_get_object(c, "b", "k", NULL, &sink, &h, &e), SEAU_E_UNAVAILABLE);
    assert_string_equal(e.code, "IncompleteBody");
    assert_int_equal(e.http_status, 200);
    assert_non_null(strstr(e.message, "500 bytes"));
    assert_int_equal(ms.data.len, 500);
    assert_int_equal(atomic_load(&s->requests), 1);
    assert_int_equal(sleeps.count, 0);
    buf_done(&ms.data);
    s3_client_free(c);
    t_server_stop(s);
}

static void test_half_listing_retried(void **state)
{
    (void)state;
    struct t_server *s = t_server_start(M_HALF_XML);
    struct s3_client *c = t_client(s, 0);
    struct s3_error e;
    struct s3_xml_answer a;
    memset(&a, 0x5a, sizeof(a)); /* untouched on failure */
    assert_int_equal(s3_list_objects_v2(c, "b", NULL, &a, &e), SEAU_E_UNAVAILABLE);
    assert_string_equal(e.code, "ConnectionFailed");
    assert_int_equal(atomic_load(&s->requests), 1 + S3_DEFAULT_MAX_RETRIES);
    assert_int_equal(a.kind, 0x5a5a5a5a);
    t_check_backoff(S3_DEFAULT_MAX_RETRIES);
    s3_client_free(c);
    t_server_stop(s);
}

static void test_slowdown_twice_then_ok(void **state)
{
    (void)state;
    struct t_server *s = t_server_start(M_SLOWDOWN_TWICE);
    struct s3_client *c = t_client(s, 0);
    struct s3_error e;
    struct s3_xml_answer a;
    struct s3_list_params lp = {.prefix = "a b+c/", .max_keys = 2};
    T_OK(s3_list_objects_v2(c, "b", &lp, &a, &e), e);
    assert_int_equal(a.objects.object_count, 2);
    assert_string_equal(a.objects.objects[0].key, "a b+c");
    assert_string_equal(a.objects.objects[1].key, "caf\xC3\xA9");
    s3_xml_answer_done(&a);
    assert_int_equal(atomic_load(&s->requests), 3);
    t_check_backoff(2);
    /* Connections were kept across the 503s. */
    assert_int_equal(atomic_load(&s->connections), 1);
    /* What went on the wire: query encoded once and sorted, signed headers. */
    const char *rq = s->last_request;
    assert_non_null(strstr(rq, "GET /b?encoding-type=url&list-type=2&max-keys=2"
                               "&prefix=a%20b%2Bc%2F HTTP/1.1\r\n"));
    assert_non_null(strstr(rq, "Host: 127.0.0.1:"));
    assert_non_null(strstr(rq, "X-Amz-Content-SHA256: "
                               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    assert_non_null(strstr(rq, "X-Amz-Date: "));
    assert_non_null(strstr(rq, "Authorization: AWS4-HMAC-SHA256 Credential=AKID/"));
    assert_non_null(strstr(rq, "/us-east-1/s3/aws4_request, SignedHeaders=host;"
                               "x-amz-content-sha256;x-amz-date, Signature="));
    assert_null(strstr(rq, "Expect:"));
    s3_client_free(c);
    t_server_stop(s);
}

static void test_slowdown_exhausted(void **state)
{
    (void)state;
    struct t_server *s = t_server_start(M_SLOWDOWN);
    struct s3_client *c = t_client(s, 0);
    struct s3_error e;
    struct s3_xml_answer a;
    assert_int_equal(s3_list_objects_v2(c, "b", NULL, &a, &e), SEAU_E_UNAVAILABLE);
    assert_int_equal(e.http_status, 503);
    assert_string_equal(e.code, "SlowDown");
    assert_string_equal(e.request_id, "slow-1");
    assert_int_equal(atomic_load(&s->requests), 1 + S3_DEFAULT_MAX_RETRIES);
    s3_client_free(c);
    t_server_stop(s);
}

static void test_streamed_body_replay(void **state)
{
    (void)state;
    struct t_server *s = t_server_start(M_SLOWDOWN);
    struct s3_client *c = t_client(s, 0);
    struct s3_error e;
    /* A stream that cannot rewind is sent once. */
    struct t_source src = {.seed = 1, .length = 200000};
    struct s3_body b = {.read = t_source_read, .ctx = &src, .length = 200000};
    assert_int_equal(s3_put_object(c, "b", "k", &b, NULL, NULL, &e), SEAU_E_UNAVAILABLE);
    assert_string_equal(e.code, "SlowDown");
    assert_int_equal(atomic_load(&s->requests), 1);
    assert_int_equal(s->last_body_len, 200000);
    assert_non_null(strstr(s->last_request, "X-Amz-Content-SHA256: UNSIGNED-PAYLOAD\r\n"));
    s3_client_free(c);
    t_server_stop(s);

    /* One that can is rewound for each retry. */
    s = t_server_start(M_SLOWDOWN_TWICE);
    c = t_client(s, 0);
    src = (struct t_source){.seed = 1, .length = 200000};
    b.rewind = t_source_rewind;
    struct s3_put_result pr;
    T_OK(s3_put_object(c, "b", "k", &b, NULL, &pr, &e), e);
    assert_int_equal(src.rewinds, 2);
    assert_int_equal(atomic_load(&s->requests), 3);
    /* A buffer is signed with its hash. */
    struct s3_body buf = s3_body_buffer("abc", 3);
    T_OK(s3_put_object(c, "b", "dir/a b", &buf, NULL, &pr, &e), e);
    assert_non_null(strstr(s->last_request, "PUT /b/dir/a%20b HTTP/1.1\r\n"));
    assert_non_null(strstr(s->last_request,
                           "X-Amz-Content-SHA256: "
                           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    s3_client_free(c);
    t_server_stop(s);
}

static void test_200_with_error(void **state)
{
    (void)state;
    struct t_server *s = t_server_start(M_200_ERROR);
    struct s3_client *c = t_client(s, 0);
    struct s3_error e;
    struct s3_completed_part parts[] = {{1, "\"p1\""}, {2, "\"p2\""}};
    struct s3_put_result r;
    T_OK(s3_complete_multipart_upload(c, "b", "k", "up-1", parts, 2, &r, &e), e);
    assert_string_equal(r.etag, "\"abc-2\"");
    assert_string_equal(r.version_id, "v2");
    assert_int_equal(atomic_load(&s->requests), 2);
    assert_int_equal(sleeps.count, 1);
    assert_non_null(strstr(s->last_request, "POST /b/k?uploadId=up-1 HTTP/1.1\r\n"));
    assert_non_null(strstr(s->last_request, "Content-Type: application/xml\r\n"));
    s3_client_free(c);
    t_server_stop(s);

    s = t_server_start(M_200_NO_UPLOAD);
    c = t_client(s, 0);
    assert_int_equal(s3_complete_multipart_upload(c, "b", "k", "up-1", parts, 2, &r, &e),
                     SEAU_E_NOT_FOUND);
    assert_string_equal(e.code, "NoSuchUpload");
    assert_int_equal(e.http_status, 200);
    assert_int_equal(atomic_load(&s->requests), 1);
    s3_client_free(c);
    t_server_stop(s);
}

static void test_quirks_etags(void **state)
{
    (void)state;
    /* RGW's bare ETag in CopyObjectResult comes out quoted. */
    struct t_server *s = t_server_start(M_COPY_BARE_ETAG);
    struct s3_client *c = t_client(s, 0);
    struct s3_error e;
    struct s3_put_result r;
    T_OK(s3_copy_object(c, "src", "a b+", "dst", "k", NULL, &r, &e), e);
    assert_string_equal(r.etag, "\"0123456789abcdef0123456789abcdef\"");
    assert_int_equal(r.last_modified_ms, INT64_C(1705322096000));
    assert_non_null(strstr(s->last_request, "x-amz-copy-source: /src/a%20b%2B\r\n"));
    s3_client_free(c);
    t_server_stop(s);

    /* RGW's empty ETag in CompleteMultipartUploadResult: HEAD for it. */
    s = t_server_start(M_COMPLETE_EMPTY_ETAG);
    c = t_client(s, 0);
    struct s3_completed_part parts[] = {{1, "\"p1\""}};
    T_OK(s3_complete_multipart_upload(c, "b", "k", "up", parts, 1, &r, &e), e);
    assert_string_equal(r.etag, "\"fromhead-3\"");
    assert_int_equal(atomic_load(&s->requests), 2);
    assert_non_null(strstr(s->last_request, "HEAD /b/k HTTP/1.1\r\n"));
    s3_client_free(c);
    t_server_stop(s);
}

static void test_html_error_page(void **state)
{
    (void)state;
    struct t_server *s = t_server_start(M_HTML_502);
    struct s3_client *c = t_client(s, 0);
    struct s3_error e;
    struct s3_xml_answer a;
    T_OK(s3_list_objects_v2(c, "b", NULL, &a, &e), e);
    s3_xml_answer_done(&a);
    assert_int_equal(atomic_load(&s->requests), 2);
    s3_client_free(c);
    t_server_stop(s);
}

static void test_head_errors(void **state)
{
    (void)state;
    struct t_server *s = t_server_start(M_HEAD_404);
    struct s3_client *c = t_client(s, 0);
    struct s3_error e;
    struct s3_object_head h;
    assert_int_equal(s3_head_object(c, "b", "k", NULL, &h, &e), SEAU_E_NOT_FOUND);
    assert_string_equal(e.code, "NotFound");
    assert_string_equal(e.request_id, "req-404");
    assert_int_equal(s3_head_bucket(c, "b", &e), SEAU_E_NOT_FOUND);
    s3_client_free(c);
    t_server_stop(s);
    s = t_server_start(M_HEAD_403);
    c = t_client(s, 0);
    assert_int_equal(s3_head_object(c, "b", "k", NULL, &h, &e), SEAU_E_UNAVAILABLE);
    assert_string_equal(e.code, "Forbidden");
    assert_int_equal(atomic_load(&s->requests), 1);
    s3_client_free(c);
    t_server_stop(s);
}

static void test_timeout(void **state)
{
    (void)state;
    struct t_server *s = t_server_start(M_STALL);
    struct s3_client *c = t_client(s, 300);
    struct s3_error e;
    struct s3_object_head h;
    int64_t t0 = time_mono_ns();
    assert_int_equal(s3_head_object(c, "b", "k", NULL, &h, &e), SEAU_E_UNAVAILABLE);
    int64_t ms = (time_mono_ns() - t0) / 1000000;
    assert_string_equal(e.code, "Timeout");
    assert_int_equal(sleeps.count, S3_DEFAULT_MAX_RETRIES);
    assert_in_range(ms, 4 * 300 - 50, 4 * 300 + 2000);
    /* A streamed GET has no total timeout, but the low-speed rule (1 s here). */
    struct t_mem_sink ms_;
    struct s3_sink sink;
    t_sink_init(&ms_, &sink);
    t0 = time_mono_ns();
    struct s3_client *c2;
    char endpoint[64];
    (void)snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", s->port);
    struct s3_config cfg = {.endpoint = endpoint,
                            .sleep_ms = t_sleep,
                            .max_retries = S3_NO_RETRIES,
                            .low_speed_time_ms = 1000,
                            .low_speed_bytes = 1};
    assert_int_equal(s3_client_new(&cfg, provider, &c2), 0);
    assert_int_equal(s3_get_object(c2, "b", "k", NULL, &sink, &h, &e), SEAU_E_UNAVAILABLE);
    assert_string_equal(e.code, "Timeout");
    ms = (time_mono_ns() - t0) / 1000000;
    assert_in_range(ms, 900, 4000);
    buf_done(&ms_.data);
    s3_client_free(c2);
    s3_client_free(c);
    t_server_stop(s);
}

static void test_keepalive_and_dropped_connections(void **state)
{
    (void)state;
    struct t_server *s = t_server_start(M_OK);
    struct s3_client *c = t_client(s, 0);
    struct s3_error e;
    for (int i = 0; i < 10; i++)
        T_OK(s3_head_bucket(c, "b", &e), e);
    assert_int_equal(atomic_load(&s->connections), 1);
    struct s3_client_stats st;
    s3_client_stats(c, &st);
    assert_int_equal(st.requests, 10);
    assert_int_equal(st.connections, 1);
    s3_client_free(c);
    t_server_stop(s);

    /* A server that drops every connection after answering: each request
     * still succeeds (libcurl sees the dead connection, or we retry). */
    s = t_server_start(M_OK_THEN_CLOSE);
    c = t_client(s, 0);
    for (int i = 0; i < 5; i++) {
        struct s3_body b = s3_body_buffer("data", 4);
        T_OK(s3_put_object(c, "b", "k", &b, NULL, NULL, &e), e);
    }
    assert_int_equal(atomic_load(&s->connections), atomic_load(&s->requests));
    s3_client_free(c);
    t_server_stop(s);
}

static void test_connection_refused(void **state)
{
    (void)state;
    /* A port nobody listens on: bind, note the port, close. */
    struct t_server *s = t_server_start(M_OK);
    int port = s->port;
    t_server_stop(s);
    struct t_server fake = {.port = port};
    struct s3_client *c = t_client(&fake, 0);
    struct s3_error e;
    assert_int_equal(s3_head_bucket(c, "b", &e), SEAU_E_UNAVAILABLE);
    assert_string_equal(e.code, "ConnectionFailed");
    assert_int_equal(sleeps.count, S3_DEFAULT_MAX_RETRIES);
    char why[512];
    assert_non_null(strstr(s3_error_describe(&e, why, sizeof(why)), "SEAU_S3_ENDPOINT"));
    s3_client_free(c);
}

static int group_setup(void **state)
{
    (void)state;
    provider = t_provider("AKID", "SECRET");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    s3_credentials_free(provider);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_before_answer),
        cmocka_unit_test(test_half_body_get_not_retried),
        cmocka_unit_test(test_half_listing_retried),
        cmocka_unit_test(test_slowdown_twice_then_ok),
        cmocka_unit_test(test_slowdown_exhausted),
        cmocka_unit_test(test_streamed_body_replay),
        cmocka_unit_test(test_200_with_error),
        cmocka_unit_test(test_quirks_etags),
        cmocka_unit_test(test_html_error_page),
        cmocka_unit_test(test_head_errors),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_keepalive_and_dropped_connections),
        cmocka_unit_test(test_connection_refused),
    };
    return cmocka_run_group_tests_name("s3_transport", tests, group_setup, group_teardown);
}
