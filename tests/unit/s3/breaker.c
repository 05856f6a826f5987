/*
 * Tests of src/s3/breaker.c: the circuit breaker's state machine, driven
 * with an explicit clock (closed → open on consecutive failures or on the
 * failure ratio, open → half-open after open_ms, the single probe, its
 * outcomes), then the breaker in the client against a scripted S3 that
 * answers 503: calls stop reaching it once the breaker opens, and resume
 * after a successful probe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../../src/s3/breaker.c"
#include "core/err.h"
#include "scripted_s3.h"

#include <stdlib.h>

static void test_off_by_default(void **state)
{
    (void)state;
    struct s3__breaker b;
    s3__breaker_init(&b);
    bool probe = true;
    int64_t wait = -1;
    for (int i = 0; i < 100; i++)
        s3__breaker_record(&b, i, false, S3__OUTCOME_FAILED);
    assert_int_equal(s3__breaker_allow(&b, 100, &probe, &wait), 0);
    assert_false(probe);
    struct s3_circuit_info info;
    s3__breaker_info(&b, 100, &info);
    assert_false(info.enabled);
    assert_int_equal(info.state, S3_CIRCUIT_CLOSED);
    s3__breaker_done(&b);
}

static void test_consecutive_failures_open_then_probe_closes(void **state)
{
    (void)state;
    struct s3__breaker b;
    s3__breaker_init(&b);
    s3__breaker_configure(&b, &(struct s3_breaker_config){.failures = 3, .open_ms = 1000});
    bool probe;
    int64_t wait;
    /* Two failures, a success: the count starts again. */
    s3__breaker_record(&b, 10, false, S3__OUTCOME_FAILED);
    s3__breaker_record(&b, 11, false, S3__OUTCOME_FAILED);
    s3__breaker_record(&b, 12, false, S3__OUTCOME_OK);
    s3__breaker_record(&b, 13, false, S3__OUTCOME_FAILED);
    s3__breaker_record(&b, 14, false, S3__OUTCOME_FAILED);
    /* Neutral outcomes (cancelled calls) neither count nor reset. */
    s3__breaker_record(&b, 15, false, S3__OUTCOME_NEUTRAL);
    assert_int_equal(s3__breaker_allow(&b, 16, &probe, &wait), 0);
    s3__breaker_record(&b, 17, false, S3__OUTCOME_FAILED); /* the third in a row */
    struct s3_circuit_info info;
    s3__breaker_info(&b, 17, &info);
    assert_int_equal(info.state, S3_CIRCUIT_OPEN);
    assert_int_equal(info.opened_total, 1);

    /* Open: refused at once, with the time left. */
    assert_int_equal(s3__breaker_allow(&b, 517, &probe, &wait), SEAU_E_UNAVAILABLE);
    assert_int_equal(wait, 500);
    /* After open_ms: one probe, the others refused while it runs. */
    assert_int_equal(s3__breaker_allow(&b, 1017, &probe, &wait), 0);
    assert_true(probe);
    bool probe2;
    assert_int_equal(s3__breaker_allow(&b, 1018, &probe2, &wait), SEAU_E_UNAVAILABLE);
    s3__breaker_info(&b, 1018, &info);
    assert_int_equal(info.state, S3_CIRCUIT_HALF_OPEN);
    assert_int_equal(info.rejected_total, 2);
    /* Its success closes the breaker. */
    s3__breaker_record(&b, 1020, true, S3__OUTCOME_OK);
    s3__breaker_info(&b, 1020, &info);
    assert_int_equal(info.state, S3_CIRCUIT_CLOSED);
    assert_int_equal(s3__breaker_allow(&b, 1021, &probe, &wait), 0);
    assert_false(probe);
    s3__breaker_done(&b);
}

static void test_failed_probe_opens_again(void **state)
{
    (void)state;
    struct s3__breaker b;
    s3__breaker_init(&b);
    s3__breaker_configure(&b, &(struct s3_breaker_config){.failures = 1, .open_ms = 100});
    bool probe;
    int64_t wait;
    s3__breaker_record(&b, 0, false, S3__OUTCOME_FAILED);
    assert_int_equal(s3__breaker_allow(&b, 100, &probe, &wait), 0);
    assert_true(probe);
    s3__breaker_record(&b, 150, true, S3__OUTCOME_FAILED);
    /* Opened again at 150: refused until 250. */
    assert_int_equal(s3__breaker_allow(&b, 200, &probe, &wait), SEAU_E_UNAVAILABLE);
    assert_int_equal(wait, 50);
    /* A probe that ends neutral hands the probe to the next call. */
    assert_int_equal(s3__breaker_allow(&b, 250, &probe, &wait), 0);
    assert_true(probe);
    s3__breaker_record(&b, 251, true, S3__OUTCOME_NEUTRAL);
    assert_int_equal(s3__breaker_allow(&b, 252, &probe, &wait), 0);
    assert_true(probe);
    /* A late non-probe success while half-open changes nothing. */
    s3__breaker_record(&b, 253, false, S3__OUTCOME_OK);
    struct s3_circuit_info info;
    s3__breaker_info(&b, 253, &info);
    assert_int_equal(info.state, S3_CIRCUIT_HALF_OPEN);
    s3__breaker_record(&b, 254, true, S3__OUTCOME_OK);
    s3__breaker_info(&b, 254, &info);
    assert_int_equal(info.state, S3_CIRCUIT_CLOSED);
    assert_int_equal(info.opened_total, 2);
    s3__breaker_done(&b);
}

static void test_failure_ratio(void **state)
{
    (void)state;
    struct s3__breaker b;
    s3__breaker_init(&b);
    s3__breaker_configure(&b, &(struct s3_breaker_config){
                                  .ratio = 0.5, .min_calls = 10, .window_ms = 1000});
    struct s3_circuit_info info;
    /* Alternating: never two failures in a row, but half of the calls fail. */
    for (int i = 0; i < 9; i++)
        s3__breaker_record(&b, i, false, i % 2 ? S3__OUTCOME_OK : S3__OUTCOME_FAILED);
    s3__breaker_info(&b, 9, &info);
    assert_int_equal(info.state, S3_CIRCUIT_CLOSED); /* 9 calls: below min_calls */
    s3__breaker_record(&b, 9, false, S3__OUTCOME_OK);  /* 10 calls, 5 failed */
    s3__breaker_info(&b, 9, &info);
    assert_int_equal(info.state, S3_CIRCUIT_OPEN);
    s3__breaker_done(&b);

    /* Old calls leave the window: 5 failures long ago, then 10 successes and 4 failures. */
    s3__breaker_init(&b);
    s3__breaker_configure(&b, &(struct s3_breaker_config){
                                  .ratio = 0.5, .min_calls = 10, .window_ms = 1000});
    for (int i = 0; i < 5; i++)
        s3__breaker_record(&b, i, false, S3__OUTCOME_FAILED);
    for (int i = 0; i < 10; i++)
        s3__breaker_record(&b, 5000 + i, false, S3__OUTCOME_OK);
    for (int i = 0; i < 4; i++) {
        s3__breaker_record(&b, 6000 + i, false, S3__OUTCOME_FAILED);
        s3__breaker_record(&b, 6000 + i, false, S3__OUTCOME_OK);
    }
    s3__breaker_info(&b, 6010, &info);
    assert_int_equal(info.state, S3_CIRCUIT_CLOSED);
    s3__breaker_done(&b);
}

/* The breaker in the client: a 503-answering endpoint stops being called. */
static void test_client_stops_calling_a_failing_endpoint(void **state)
{
    (void)state;
    struct scripted_s3 s;
    scripted_s3_start(&s);
    s3_client_set_breaker(s.client, false,
                          &(struct s3_breaker_config){.failures = 3, .open_ms = 300});
    atomic_store(&s.status, 503);
    struct s3_error err;
    struct s3_object_head h;
    for (int i = 0; i < 3; i++) {
        memset(&h, 0, sizeof(h));
        assert_int_equal(s3_head_object(s.client, "b", "k", NULL, &h, &err), SEAU_E_UNAVAILABLE);
        assert_int_equal(err.http_status, 503);
    }
    assert_int_equal(atomic_load(&s.heads), 3);
    struct s3_circuit_info info;
    s3_client_circuit(s.client, false, &info);
    assert_int_equal(info.state, S3_CIRCUIT_OPEN);
    /* Open: answered at once, nothing sent. */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(s3_head_object(s.client, "b", "k", NULL, &h, &err), SEAU_E_UNAVAILABLE);
        assert_string_equal(err.code, "CircuitOpen");
    }
    assert_int_equal(atomic_load(&s.heads), 3);
    /* The SQS endpoint has its own breaker, untouched. */
    s3_client_circuit(s.client, true, &info);
    assert_int_equal(info.state, S3_CIRCUIT_CLOSED);
    /* S3 recovers; after open_ms the probe goes through and closes the breaker. */
    atomic_store(&s.status, 200);
    usleep(350 * 1000);
    memset(&h, 0, sizeof(h));
    assert_int_equal(s3_head_object(s.client, "b", "k", NULL, &h, &err), 0);
    s3_object_head_done(&h);
    assert_int_equal(atomic_load(&s.heads), 4);
    s3_client_circuit(s.client, false, &info);
    assert_int_equal(info.state, S3_CIRCUIT_CLOSED);
    assert_int_equal(info.rejected_total, 5);
    /* A 404 or 403 is an answer: it does not open the breaker. */
    atomic_store(&s.status, 404);
    for (int i = 0; i < 5; i++)
        assert_int_equal(s3_head_object(s.client, "b", "k", NULL, &h, &err), SEAU_E_NOT_FOUND);
    /* Nor is a 501: an S3 without the feature (s3rver's GetBucketVersioning) is up. */
    atomic_store(&s.status, 501);
    for (int i = 0; i < 5; i++)
        assert_int_equal(s3_head_object(s.client, "b", "k", NULL, &h, &err), SEAU_E_UNAVAILABLE);
    s3_client_circuit(s.client, false, &info);
    assert_int_equal(info.state, S3_CIRCUIT_CLOSED);
    scripted_s3_stop(&s);
}

/* A stopped endpoint (connection refused) opens it too. */
static void test_client_refused_connections(void **state)
{
    (void)state;
    struct scripted_s3 s;
    scripted_s3_start(&s);
    s3_client_set_breaker(s.client, false,
                          &(struct s3_breaker_config){.failures = 2, .open_ms = 10000});
    shutdown(s.fd, SHUT_RDWR); /* nothing listens any more */
    struct s3_error err;
    struct s3_xml_answer a;
    for (int i = 0; i < 2; i++) {
        memset(&a, 0, sizeof(a));
        assert_int_equal(s3_list_objects_v2(s.client, "b", NULL, &a, &err), SEAU_E_UNAVAILABLE);
        assert_string_equal(err.code, "ConnectionFailed");
    }
    assert_int_equal(s3_list_objects_v2(s.client, "b", NULL, &a, &err), SEAU_E_UNAVAILABLE);
    assert_string_equal(err.code, "CircuitOpen");
    struct s3_circuit_info info;
    s3_client_circuit(s.client, false, &info);
    assert_true(info.retry_after_ms > 9000 && info.retry_after_ms <= 10000);
    scripted_s3_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_by_default),
        cmocka_unit_test(test_consecutive_failures_open_then_probe_closes),
        cmocka_unit_test(test_failed_probe_opens_again),
        cmocka_unit_test(test_failure_ratio),
        cmocka_unit_test(test_client_stops_calling_a_failing_endpoint),
        cmocka_unit_test(test_client_refused_connections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
