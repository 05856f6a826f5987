/* Tests of src/core/bytepipe.c: bounded, ordered, never blocking the reader, cancellable. */
#include "../testutil.h"

#include "core/bytepipe.h"
#include "core/err.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define TOTAL (3 * 1024 * 1024 + 17)

struct producer {
    struct bytepipe *pipe;
    int rc;
    size_t written;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    unsigned char chunk[4093]; /* odd size: writes straddle the ring's end */
    size_t off = 0;
    while (off < TOTAL) {
        size_t n = TOTAL - off < sizeof(chunk) ? TOTAL - off : sizeof(chunk);
        for (size_t i = 0; i < n; i++)
            chunk[i] = (unsigned char)((off + i) * 31 % 251);
        p->rc = bytepipe_write(p->pipe, chunk, n);
        if (p->rc)
            return NULL;
        off += n;
        p->written = off;
    }
    bytepipe_close(p->pipe, 0);
    return NULL;
}

static atomic_int notified;
static void on_notify(void *arg)
{
    (void)arg;
    atomic_fetch_add(&notified, 1);
}

static void test_stream_in_order(void **state)
{
    (void)state;
    struct bytepipe *pipe = bytepipe_new(64 * 1024);
    assert_non_null(pipe);
    bytepipe_set_notify(pipe, on_notify, NULL);
    struct producer p = {.pipe = pipe};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
    size_t got = 0;
    unsigned char buf[7001];
    int zeros = 0;
    for (;;) {
        ssize_t n = bytepipe_read(pipe, buf, sizeof(buf));
        if (n == BYTEPIPE_END)
            break;
        assert_true(n >= 0);
        if (n == 0) {
            zeros++;
            sched_yield();
            continue;
        }
        for (ssize_t i = 0; i < n; i++)
            assert_int_equal(buf[i], (unsigned char)((got + (size_t)i) * 31 % 251));
        got += (size_t)n;
    }
    pthread_join(t, NULL);
    assert_int_equal(p.rc, 0);
    assert_int_equal(got, TOTAL);
    assert_int_equal(bytepipe_status(pipe), 0);
    /* Every empty read armed a notification; at most one per empty read arrived. */
    assert_true(atomic_load(&notified) <= zeros);
    bytepipe_free(pipe);
}

static void test_cancel_wakes_producer(void **state)
{
    (void)state;
    struct bytepipe *pipe = bytepipe_new(1024);
    struct producer p = {.pipe = pipe};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
    /* Let the producer fill the pipe and block (its first 4093-byte write cannot fit), then go
     * away: the blocked write must return. */
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    bytepipe_cancel(pipe);
    pthread_join(t, NULL);
    assert_int_equal(p.rc, SEAU_E_CANCELLED);
    assert_true(p.written < TOTAL);
    bytepipe_free(pipe);
}

static void test_failure_and_empty(void **state)
{
    (void)state;
    struct bytepipe *pipe = bytepipe_new(16);
    char buf[8];
    assert_int_equal(bytepipe_read(pipe, buf, sizeof(buf)), 0); /* nothing yet, never blocks */
    assert_int_equal(bytepipe_status(pipe), SEAU_E_AGAIN);
    assert_int_equal(bytepipe_write(pipe, "abc", 3), 0);
    bytepipe_close(pipe, SEAU_E_UNAVAILABLE);
    assert_int_equal(bytepipe_read(pipe, buf, sizeof(buf)), 3); /* bytes before the failure */
    assert_int_equal(bytepipe_read(pipe, buf, sizeof(buf)), BYTEPIPE_ERROR);
    assert_int_equal(bytepipe_status(pipe), SEAU_E_UNAVAILABLE);
    bytepipe_free(pipe);
    assert_null(bytepipe_new(0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_stream_in_order),
                                       cmocka_unit_test(test_cancel_wakes_producer),
                                       cmocka_unit_test(test_failure_and_empty)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
