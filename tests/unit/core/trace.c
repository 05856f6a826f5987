/*
 * Tests of src/core/trace.c: the W3C traceparent parser and formatter
 * (including the malformed forms the spec says to ignore), the sampler's
 * decision by trace id, parent-based sampling, the thread's current context
 * making children, and the bounded queue counting what it drops once
 * stopped. The export itself is tested against a receiver in
 * tests/integration/tracing.test.ts.
 */
#include "../testutil.h"

#include "core/trace.h"

#include "../../../src/core/trace.c"

static void test_traceparent(void **state)
{
    (void)state;
    struct trace_ctx c;
    assert_true(trace_parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &c));
    assert_true(c.valid && c.sampled);
    char out[56], id[33];
    trace_format_traceparent(&c, out);
    assert_string_equal(out, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    trace_format_trace_id(&c, id);
    assert_string_equal(id, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_true(trace_parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", &c));
    assert_false(c.sampled);
    /* A later version may add fields after a dash. */
    assert_true(trace_parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", &c));
    static const char *const bad[] = {
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", /* zero trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", /* zero span id */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", /* upper case */
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", /* version ff */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", /* extra on version 00 */
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(trace_parse_traceparent(bad[i], &c));
}

static void test_off_is_a_no_op(void **state)
{
    (void)state;
    assert_false(trace_enabled());
    struct trace_span *s = trace_span_start("x", TRACE_INTERNAL, NULL);
    assert_null(s);
    trace_span_str(s, "k", "v");
    trace_span_end(s);
    struct trace_ctx c;
    trace_span_ctx(s, &c);
    assert_false(c.valid);
}

static void test_sampler_and_parentage(void **state)
{
    (void)state;
    /* Turned on by hand, without the export thread: spans are only made here. */
    T.on = true;
    T.parent_based = false;
    T.sampler = RATIO;
    T.ratio = 0.5;
    uint8_t low[16] = {0}, high[16] = {0};
    low[8] = 0x10;  /* 0x10.. / 2^64 < 0.5 */
    high[8] = 0xf0; /* > 0.5 */
    assert_true(sample_root(low));
    assert_false(sample_root(high));
    T.ratio = 0;
    assert_false(sample_root(low));
    T.ratio = 1;
    assert_true(sample_root(high));

    /* Parent-based: the caller's flag wins over the root sampler. */
    T.parent_based = true;
    T.sampler = ALWAYS_OFF;
    struct trace_ctx parent;
    assert_true(trace_parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &parent));
    struct trace_span *s = trace_span_start("request", TRACE_SERVER, &parent);
    assert_non_null(s);
    assert_true(s->ctx.sampled);
    assert_memory_equal(s->ctx.trace_id, parent.trace_id, 16);
    assert_memory_equal(s->parent, parent.span_id, 8);
    /* The thread's current context makes children without being handed anything. */
    struct trace_ctx ctx, prev;
    trace_span_ctx(s, &ctx);
    trace_enter(&ctx, &prev);
    assert_false(prev.valid);
    struct trace_span *child = trace_span_start("s3", TRACE_CLIENT, NULL);
    assert_memory_equal(child->ctx.trace_id, parent.trace_id, 16);
    assert_memory_equal(child->parent, ctx.span_id, 8);
    assert_memory_not_equal(child->ctx.span_id, ctx.span_id, 8);
    trace_leave(&prev);
    struct trace_ctx now;
    trace_current(&now);
    assert_false(now.valid);
    /* A root span with the root sampler off is not sampled: ids, but no attributes kept. */
    struct trace_span *root = trace_span_start("poll", TRACE_CONSUMER, NULL);
    assert_false(root->ctx.sampled);
    assert_false(root->has_parent);
    trace_span_str(root, "k", "v");
    assert_int_equal(root->nattrs, 0);
    trace_span_end(root); /* freed, not queued */

    /* Attributes: replaced by key, bounded in number. */
    trace_span_str(child, "a", "1");
    trace_span_str(child, "a", "2");
    trace_span_int(child, "n", 7);
    assert_int_equal(child->nattrs, 2);
    assert_string_equal(child->attrs[0].str, "2");
    for (int i = 0; i < 40; i++)
        trace_span_int(child, i % 2 ? "odd" : "even", i);
    assert_true(child->nattrs <= TRACE__ATTRS_MAX);

    /* Stopped: a sampled span that ends is dropped and counted, never blocking. */
    T.stop = true;
    trace_span_end(child);
    trace_span_end(s);
    struct trace_stats st;
    trace_stats(&st);
    assert_int_equal(st.dropped, 2);
    assert_int_equal(T.queued, 0);
    T.on = false;
    T.stop = false;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traceparent),
        cmocka_unit_test(test_off_is_a_no_op),
        cmocka_unit_test(test_sampler_and_parentage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
