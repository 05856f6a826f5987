/*
 * Tests of src/core/log.c: the access-log line equals the general path's,
 * the background writer keeps every thread's lines in order and writes all
 * of them at stop, and a full buffer drops and counts instead of blocking.
 */
#include "../testutil.h"

#include "core/log.h"
#include "core/timeutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads everything from fd (non-blocking pipe or file from its start). */
static char *slurp(int fd, size_t *ret_len)
{
    size_t cap = 1 << 16, len = 0;
    char *p = malloc(cap + 1);
    assert_non_null(p);
    for (;;) {
        if (len == cap) {
            cap *= 2;
            p = realloc(p, cap + 1);
            assert_non_null(p);
        }
        ssize_t n = read(fd, p + len, cap - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    p[len] = '\0';
    *ret_len = len;
    return p;
}

/* Drops the "time" member, the one thing two lines written apart may differ in. */
static const char *after_time(const char *line)
{
    const char *p = strstr(line, "\"level\"");
    assert_non_null(p);
    return p;
}

static void test_request_line_matches_general_path(void **state)
{
    (void)state;
    const struct log_request cases[] = {
        {"0123456789abcdef01234567", "GET", "/api/auth/me", 200, 0.123456789, 512, "127.0.0.1",
         "/api/auth/me", "admin@example.com"},
        {"req-1", "POST", "/api/files/\"quoted\"\\back\tslash\n\x01\x1f/é/日本", 404, 12.0, 0,
         "::1", "unmatched", NULL},
        {"x", "HEAD", "/", 499, 1e-5, 0, "10.0.0.1", "static", NULL},
        {"y", "GET", "/big", 200, 123456789.5, 5LL * 1024 * 1024 * 1024 * 1024, "10.0.0.2",
         "/api/download", "u@ex.org"},
        {"z", "GET", "/z", 500, 0.0, 1, "1.2.3.4", "static", NULL},
        {"w", "GET", "/w", 200, 2.5e17, 1, "1.2.3.4", "static", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct log_request *r = &cases[i];
        int p[2];
        assert_int_equal(pipe(p), 0);
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        log_setup(LOG_INFO, LOG_FORMAT_JSON, p[1]);
        log_request_line(r);
        json_t *f = json_pack("{s:s, s:s, s:s, s:i, s:f, s:I, s:s, s:s}", "requestId",
                              r->request_id, "method", r->method, "path", r->path, "status",
                              r->status, "durationMs", r->duration_ms, "bytes",
                              (json_int_t)r->bytes, "ip", r->ip, "route", r->route);
        assert_non_null(f);
        if (r->user)
            json_object_set_new(f, "user", json_string(r->user));
        log_event(LOG_INFO, "request", f);
        size_t len;
        char *out = slurp(p[0], &len);
        char *nl = strchr(out, '\n');
        assert_non_null(nl);
        *nl = '\0';
        char *second = nl + 1;
        char *nl2 = strchr(second, '\n');
        assert_non_null(nl2);
        *nl2 = '\0';
        assert_string_equal(after_time(out), after_time(second));
        assert_int_equal(strncmp(out, "{\"time\":\"", 9), 0);
        free(out);
        close(p[0]);
        close(p[1]);
    }
    /* Below the level: nothing. */
    int p[2];
    assert_int_equal(pipe(p), 0);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    log_setup(LOG_WARN, LOG_FORMAT_JSON, p[1]);
    log_request_line(&cases[0]);
    size_t len;
    char *out = slurp(p[0], &len);
    assert_int_equal(len, 0);
    free(out);
    close(p[0]);
    close(p[1]);
}

#define THREADS    4
#define PER_THREAD 20000

static void *log_many(void *arg)
{
    long t = (long)arg;
    for (long i = 0; i < PER_THREAD; i++) {
        char id[32];
        snprintf(id, sizeof(id), "t%ld-%ld", t, i);
        struct log_request r = {id, "GET",       "/api/health", 200, 0.5,
                                33, "127.0.0.1", "/api/health", NULL};
        log_request_line(&r);
    }
    return NULL;
}

static void test_async_keeps_every_line_in_order(void **state)
{
    (void)state;
    char path[] = "/tmp/seau-log-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    log_setup(LOG_INFO, LOG_FORMAT_JSON, fd);
    uint64_t dropped0 = log_dropped();
    assert_int_equal(log_async_start(), 0);
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, log_many, (void *)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL); /* exited threads: their buffers are drained, then freed */
    log_event(LOG_INFO, "last", NULL);
    log_async_stop(); /* no wait for the timer: everything queued is written now */
    uint64_t dropped = log_dropped() - dropped0;

    lseek(fd, 0, SEEK_SET);
    size_t len;
    char *out = slurp(fd, &len);
    long next[THREADS] = {0};
    size_t lines = 0;
    bool saw_last = false;
    for (char *line = out, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        *nl = '\0';
        lines++;
        if (strstr(line, "\"msg\":\"last\"")) {
            saw_last = true;
            continue;
        }
        const char *id = strstr(line, "\"requestId\":\"t");
        assert_non_null(id);
        long t = strtol(id + 14, NULL, 10);
        long i = strtol(strchr(id + 14, '-') + 1, NULL, 10);
        assert_true(t >= 0 && t < THREADS);
        assert_true(i >= next[t]); /* in order within a thread (gaps only where dropped) */
        next[t] = i + 1;
    }
    assert_true(saw_last);
    assert_int_equal(lines + dropped, (size_t)THREADS * PER_THREAD + 1);
    free(out);
    close(fd);
    /* After stop, lines are written at once again. */
    int p[2];
    assert_int_equal(pipe(p), 0);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    log_setup(LOG_INFO, LOG_FORMAT_JSON, p[1]);
    log_event(LOG_INFO, "sync again", NULL);
    out = slurp(p[0], &len);
    assert_non_null(strstr(out, "sync again"));
    free(out);
    close(p[0]);
    close(p[1]);
}

static void *stop_writer(void *arg)
{
    (void)arg;
    log_async_stop();
    return NULL;
}

static void test_full_buffer_drops_instead_of_blocking(void **state)
{
    (void)state;
    /* A pipe nobody reads: the writer blocks in write() once the pipe is full. */
    int p[2];
    assert_int_equal(pipe(p), 0);
    log_setup(LOG_INFO, LOG_FORMAT_JSON, p[1]);
    uint64_t dropped0 = log_dropped();
    assert_int_equal(log_async_start(), 0);
    const long total = 40000; /* ~7 MB of lines: far past the pipe and both buffers */
    int64_t t0 = time_mono_ns();
    for (long i = 0; i < total; i++) {
        char id[32];
        snprintf(id, sizeof(id), "d-%ld", i);
        struct log_request r = {id,          "GET",          "/api/auth/me",       200, 1.25, 100,
                                "127.0.0.1", "/api/auth/me", "someone@example.com"};
        log_request_line(&r);
    }
    double secs = (double)(time_mono_ns() - t0) / 1e9;
    uint64_t dropped = log_dropped() - dropped0;
    assert_true(dropped > 0);
    assert_true(secs < 5.0); /* never waited on the stuck writer */

    /* Unstick the writer by reading, then stop: the rest is written. */
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    size_t got = 0;
    pthread_t stopper;
    assert_int_equal(pthread_create(&stopper, NULL, stop_writer, NULL), 0);
    int idle = 0;
    char buf[65536];
    while (idle < 200) {
        ssize_t n = read(p[0], buf, sizeof(buf));
        if (n > 0) {
            for (ssize_t k = 0; k < n; k++)
                got += buf[k] == '\n';
            idle = 0;
        } else {
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
            idle++;
        }
    }
    pthread_join(stopper, NULL);
    assert_int_equal(got + dropped, (size_t)total);
    close(p[0]);
    close(p[1]);
    log_setup(LOG_INFO, LOG_FORMAT_JSON, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_line_matches_general_path),
        cmocka_unit_test(test_async_keeps_every_line_in_order),
        cmocka_unit_test(test_full_buffer_drops_instead_of_blocking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
