/*
 * OpenTelemetry traces: W3C trace context, spans, and their export over
 * OTLP/HTTP with the JSON encoding, configured by the standard variables:
 *
 *   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  the URL spans are POSTed to, as is;
 *   OTEL_EXPORTER_OTLP_ENDPOINT         else this base URL + "/v1/traces";
 *                                       neither set: tracing is off
 *   OTEL_SDK_DISABLED=true              off whatever the rest says
 *   OTEL_SERVICE_NAME                   service.name (default "seau")
 *   OTEL_RESOURCE_ATTRIBUTES            more resource attributes, k=v,k=v
 *   OTEL_TRACES_SAMPLER                 always_on, always_off, traceidratio,
 *                                       parentbased_always_on (default),
 *                                       parentbased_always_off,
 *                                       parentbased_traceidratio
 *   OTEL_TRACES_SAMPLER_ARG             the ratio of the *traceidratio samplers
 *
 * Spans are made on the thread that does the work and handed, when they
 * end, to a bounded queue (TRACE_QUEUE_MAX) that a background thread
 * batches to the collector: ending a span never blocks; a full queue drops
 * the span and counts it. A span that is not sampled still carries its ids,
 * so the trace context propagates, but is never queued.
 *
 * Each thread has a current span context (trace_enter/trace_leave): new
 * spans without an explicit parent are its children, so the S3 client, the
 * store and the scanner make children of the request that called them
 * without being handed anything. A thread that works for another (a
 * pipeline's worker) adopts its creator's context.
 *
 * With tracing off every function is a cheap no-op and trace_span_start()
 * returns NULL, which every function accepts.
 */
#ifndef SEAU_CORE_TRACE_H
#define SEAU_CORE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_QUEUE_MAX 4096 /* spans waiting for export */
#define TRACE_BATCH_MAX 512  /* spans in one export request */

/* A span's identity and whether it is recorded (W3C trace context). */
struct trace_ctx {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    bool sampled;
    bool valid; /* false: no context */
};

enum trace_kind { TRACE_INTERNAL = 1, TRACE_SERVER = 2, TRACE_CLIENT = 3, TRACE_CONSUMER = 5 };

struct trace_span;

/*
 * Reads the environment and starts the export thread when an endpoint is
 * set. Returns 0 (tracing on or off), SEAU_E_VALIDATION for a setting that
 * makes no sense (with a sentence in why), or SEAU_E_NOMEM. Call once, before
 * other threads make spans.
 */
int trace_setup(char *why, size_t why_len);
/* Exports what is queued (bounded by timeout_ms) and stops the thread. */
void trace_shutdown(int64_t timeout_ms);
bool trace_enabled(void);

/* Parses a W3C traceparent header ("00-<32 hex>-<16 hex>-<2 hex>"); false when malformed. */
bool trace_parse_traceparent(const char *s, struct trace_ctx *ret);
/* Formats ctx as a traceparent header value into out (56 bytes with the NUL). */
void trace_format_traceparent(const struct trace_ctx *ctx, char out[56]);
/* The trace id of ctx in hex (33 bytes with the NUL). */
void trace_format_trace_id(const struct trace_ctx *ctx, char out[33]);

/*
 * Starts a span named name, the child of parent when it is valid, else of
 * the thread's current context, else the root of a new trace (sampled as
 * the sampler says). NULL with tracing off or out of memory.
 */
struct trace_span *trace_span_start(const char *name, enum trace_kind kind,
                                    const struct trace_ctx *parent);
/* The span's context (for children on other threads, propagation). ret invalid for NULL. */
void trace_span_ctx(const struct trace_span *s, struct trace_ctx *ret);
void trace_span_name(struct trace_span *s, const char *name);
void trace_span_str(struct trace_span *s, const char *key, const char *value);
void trace_span_int(struct trace_span *s, const char *key, int64_t value);
/* Marks the span failed (status ERROR) with a message (may be NULL). */
void trace_span_error(struct trace_span *s, const char *message);
/* Ends the span: queued for export when sampled, freed otherwise. Accepts NULL. */
void trace_span_end(struct trace_span *s);

/* The calling thread's current context (invalid when none). */
void trace_current(struct trace_ctx *ret);
/*
 * Makes ctx (NULL or invalid: none) the thread's current context and writes
 * the previous one into *ret_prev (may be NULL) for trace_leave().
 */
void trace_enter(const struct trace_ctx *ctx, struct trace_ctx *ret_prev);
void trace_leave(const struct trace_ctx *prev);

struct trace_stats {
    uint64_t exported, dropped, failed;
};
void trace_stats(struct trace_stats *ret);

#endif
