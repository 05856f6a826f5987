/*
 * A scriptable stand-in S3 for the circuit breaker and cache tests: an HTTP
 * server on 127.0.0.1 (a free port) that answers every request with the
 * status the test set (200: GET a ListObjectsV2 page of one object, HEAD an
 * object's headers, other methods an empty 200), after delay_ms, counting
 * what it saw. Connections are served one at a time on a thread each, so
 * that slow answers overlap as they would on S3.
 */
#ifndef SEAU_TESTS_SCRIPTED_S3_H
#define SEAU_TESTS_SCRIPTED_S3_H

#include "s3/client.h"
#include "s3/credentials.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct scripted_s3 {
    int fd;
    pthread_t thread;
    atomic_int status;   /* what to answer */
    atomic_int delay_ms; /* before answering */
    atomic_int gets, heads, others;
    char endpoint[64];
    struct s3_cred_provider *creds;
    struct s3_client *client;
};

struct scripted_s3__conn {
    struct scripted_s3 *s;
    int fd;
};

static void scripted_s3__send(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void *scripted_s3__conn_main(void *arg)
{
    struct scripted_s3__conn *cn = arg;
    struct scripted_s3 *s = cn->s;
    char buf[16384];
    size_t len = 0;
    while (len + 1 < sizeof(buf)) {
        ssize_t r = recv(cn->fd, buf + len, sizeof(buf) - 1 - len, 0);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            break;
    }
    buf[len] = '\0';
    bool get = strncmp(buf, "GET ", 4) == 0, head = strncmp(buf, "HEAD ", 5) == 0;
    atomic_fetch_add(get ? &s->gets : head ? &s->heads : &s->others, 1);
    int delay = atomic_load(&s->delay_ms);
    if (delay > 0) {
        struct timespec ts = {delay / 1000, (long)(delay % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    int status = atomic_load(&s->status);
    static const char list[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
        "<Prefix>p/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>"
        "<IsTruncated>false</IsTruncated><Contents><Key>p/a.txt</Key>"
        "<LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>\"e1\"</ETag>"
        "<Size>5</Size><StorageClass>STANDARD</StorageClass></Contents>"
        "<CommonPrefixes><Prefix>p/sub/</Prefix></CommonPrefixes></ListBucketResult>";
    char out[2048];
    int n;
    if (status != 200)
        n = snprintf(out, sizeof(out),
                     "HTTP/1.1 %d Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
    else if (get)
        n = snprintf(out, sizeof(out),
                     "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     sizeof(list) - 1, list);
    else if (head)
        n = snprintf(out, sizeof(out),
                     "HTTP/1.1 200 OK\r\nETag: \"e1\"\r\nContent-Length: 5\r\n"
                     "Content-Type: text/plain\r\nx-amz-meta-owner: ann\r\nConnection: close\r\n\r\n");
    else
        n = snprintf(out, sizeof(out),
                     "HTTP/1.1 200 OK\r\nETag: \"e2\"\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n");
    scripted_s3__send(cn->fd, out, (size_t)n);
    close(cn->fd);
    free(cn);
    return NULL;
}

static void *scripted_s3__serve(void *arg)
{
    struct scripted_s3 *s = arg;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        struct scripted_s3__conn *cn = malloc(sizeof(*cn));
        cn->s = s;
        cn->fd = c;
        pthread_t t;
        if (pthread_create(&t, NULL, scripted_s3__conn_main, cn) == 0)
            pthread_detach(t);
        else {
            close(c);
            free(cn);
        }
    }
}

static inline void scripted_s3_start(struct scripted_s3 *s)
{
    memset(s, 0, sizeof(*s));
    atomic_store(&s->status, 200);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(listen(s->fd, 64), 0);
    snprintf(s->endpoint, sizeof(s->endpoint), "http://127.0.0.1:%u", ntohs(a.sin_port));
    assert_int_equal(pthread_create(&s->thread, NULL, scripted_s3__serve, s), 0);
    struct s3_cred_env env = {.access_key_id = "AKID", .secret_access_key = "secret"};
    assert_int_equal(s3_credentials_open(&env, &s->creds), 0);
    struct s3_config cfg = {.endpoint = s->endpoint,
                            .max_retries = S3_NO_RETRIES,
                            .connect_timeout_ms = 2000,
                            .request_timeout_ms = 5000};
    assert_int_equal(s3_client_new(&cfg, s->creds, &s->client), 0);
}

static inline void scripted_s3_stop(struct scripted_s3 *s)
{
    s3_client_free(s->client);
    s3_credentials_free(s->creds);
    shutdown(s->fd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->fd);
    usleep(50 * 1000); /* detached answer threads finish */
}

#endif
