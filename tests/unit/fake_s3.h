/*
 * A stand-in S3 for unit tests of services that call it: an HTTP server on
 * 127.0.0.1 (a free port) that answers by method, the same for every key:
 * GET an empty ListObjectsV2 page, HEAD 404, PUT 200 with an ETag, DELETE
 * 204, POST an empty DeleteObjects result. One connection at a time, each
 * closed after its answer. It counts the requests it saw of each method.
 */
#ifndef SEAU_TESTS_FAKE_S3_H
#define SEAU_TESTS_FAKE_S3_H

#include "testutil.h"

#include "s3/client.h"
#include "s3/credentials.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

struct fake_s3 {
    int fd;
    pthread_t thread;
    atomic_int gets, heads, puts, deletes, posts;
    char endpoint[64];
    struct s3_cred_provider *creds;
    struct s3_client *client;
};

static void fake_s3__send(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Reads one request (headers and a Content-Length body); its method in method. */
static bool fake_s3__read(int fd, char *method, size_t n)
{
    char buf[16384];
    size_t len = 0;
    char *end = NULL;
    while (!end) {
        if (len + 1 >= sizeof(buf))
            return false;
        ssize_t r = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
        if (r <= 0)
            return false;
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    size_t head = (size_t)(end + 4 - buf), body = 0;
    const char *cl = strcasestr(buf, "\r\ncontent-length:");
    if (cl && cl < end)
        body = (size_t)strtoull(cl + 17, NULL, 10);
    size_t have = len - head;
    while (have < body) {
        char sink[4096];
        ssize_t r = recv(fd, sink, sizeof(sink), 0);
        if (r <= 0)
            return false;
        have += (size_t)r;
    }
    size_t m = strcspn(buf, " ");
    snprintf(method, n, "%.*s", (int)m, buf);
    return true;
}

static void fake_s3__answer(struct fake_s3 *s, int fd)
{
    char method[16];
    if (!fake_s3__read(fd, method, sizeof(method)))
        return;
    static const char list[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
        "<Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>"
        "<IsTruncated>false</IsTruncated></ListBucketResult>";
    static const char deleted[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></DeleteResult>";
    char out[1024];
    int n;
    if (strcmp(method, "GET") == 0) {
        atomic_fetch_add(&s->gets, 1);
        n = snprintf(out, sizeof(out),
                     "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     sizeof(list) - 1, list);
    } else if (strcmp(method, "HEAD") == 0) {
        atomic_fetch_add(&s->heads, 1);
        n = snprintf(out, sizeof(out),
                     "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    } else if (strcmp(method, "PUT") == 0) {
        atomic_fetch_add(&s->puts, 1);
        n = snprintf(out, sizeof(out),
                     "HTTP/1.1 200 OK\r\nETag: \"d41d8cd98f00b204e9800998ecf8427e\"\r\n"
                     "Content-Length: 0\r\nConnection: close\r\n\r\n");
    } else if (strcmp(method, "DELETE") == 0) {
        atomic_fetch_add(&s->deletes, 1);
        n = snprintf(out, sizeof(out), "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    } else {
        atomic_fetch_add(&s->posts, 1);
        n = snprintf(out, sizeof(out),
                     "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     sizeof(deleted) - 1, deleted);
    }
    fake_s3__send(fd, out, (size_t)n);
}

static void *fake_s3__serve(void *arg)
{
    struct fake_s3 *s = arg;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            return NULL; /* the listening socket was shut down */
        fake_s3__answer(s, c);
        close(c);
    }
}

/* Starts the server and an S3 client on it (path style, no retries). */
static inline void fake_s3_start(struct fake_s3 *s)
{
    memset(s, 0, sizeof(*s));
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    snprintf(s->endpoint, sizeof(s->endpoint), "http://127.0.0.1:%u", ntohs(a.sin_port));
    assert_int_equal(pthread_create(&s->thread, NULL, fake_s3__serve, s), 0);
    struct s3_cred_env env = {.access_key_id = "AKID", .secret_access_key = "secret"};
    assert_int_equal(s3_credentials_open(&env, &s->creds), 0);
    struct s3_config cfg = {.endpoint = s->endpoint,
                            .max_retries = S3_NO_RETRIES,
                            .connect_timeout_ms = 2000,
                            .request_timeout_ms = 5000};
    assert_int_equal(s3_client_new(&cfg, s->creds, &s->client), 0);
}

static inline void fake_s3_stop(struct fake_s3 *s)
{
    s3_client_free(s->client);
    s3_credentials_free(s->creds);
    shutdown(s->fd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->fd);
}

#endif
