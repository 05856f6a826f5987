/* Rendering of the resilience and observability figures (see obs.h). */
#include "metrics/obs.h"

static int render_circuits(const struct metrics_obs *o, struct buf *out)
{
    if (!o->ncircuits)
        return 0;
    int rc = buf_printf(out, "# HELP seau_s3_circuit_state State of the circuit breaker of an "
                             "endpoint: 0 closed, 1 open, 2 half-open (probing).\n"
                             "# TYPE seau_s3_circuit_state gauge\n");
    for (size_t i = 0; rc == 0 && i < o->ncircuits; i++)
        rc = buf_printf(out, "seau_s3_circuit_state{endpoint=\"%s\"} %d\n", o->circuits[i].endpoint,
                        o->circuits[i].state);
    if (rc == 0)
        rc = buf_printf(out, "# HELP seau_s3_circuit_opened_total Times the circuit breaker "
                             "opened.\n# TYPE seau_s3_circuit_opened_total counter\n");
    for (size_t i = 0; rc == 0 && i < o->ncircuits; i++)
        rc = buf_printf(out, "seau_s3_circuit_opened_total{endpoint=\"%s\"} %llu\n",
                        o->circuits[i].endpoint, (unsigned long long)o->circuits[i].opened);
    if (rc == 0)
        rc = buf_printf(out, "# HELP seau_s3_circuit_rejected_total Calls failed at once by an "
                             "open circuit breaker, without reaching the endpoint.\n"
                             "# TYPE seau_s3_circuit_rejected_total counter\n");
    for (size_t i = 0; rc == 0 && i < o->ncircuits; i++)
        rc = buf_printf(out, "seau_s3_circuit_rejected_total{endpoint=\"%s\"} %llu\n",
                        o->circuits[i].endpoint, (unsigned long long)o->circuits[i].rejected);
    return rc;
}

int metrics_render_obs(const struct metrics_obs *o, struct buf *out)
{
    int rc = render_circuits(o, out);
    if (rc == 0 && o->cache)
        rc = buf_printf(
            out,
            "# HELP seau_s3_cache_hits_total Listing pages and HEADs answered from the cache.\n"
            "# TYPE seau_s3_cache_hits_total counter\n"
            "seau_s3_cache_hits_total %llu\n"
            "# HELP seau_s3_cache_misses_total Listing pages and HEADs that called S3.\n"
            "# TYPE seau_s3_cache_misses_total counter\n"
            "seau_s3_cache_misses_total %llu\n"
            "# HELP seau_s3_cache_coalesced_total Calls that waited for an identical call in "
            "flight instead of sending their own.\n"
            "# TYPE seau_s3_cache_coalesced_total counter\n"
            "seau_s3_cache_coalesced_total %llu\n"
            "# HELP seau_s3_cache_invalidations_total Cache entries dropped by a write or an "
            "event.\n"
            "# TYPE seau_s3_cache_invalidations_total counter\n"
            "seau_s3_cache_invalidations_total %llu\n"
            "# HELP seau_s3_cache_entries Entries in the S3 cache.\n"
            "# TYPE seau_s3_cache_entries gauge\n"
            "seau_s3_cache_entries %llu\n",
            (unsigned long long)o->cache_hits, (unsigned long long)o->cache_misses,
            (unsigned long long)o->cache_coalesced, (unsigned long long)o->cache_invalidations,
            (unsigned long long)o->cache_entries);
    if (rc == 0 && o->index)
        rc = buf_printf(out,
                        "# HELP seau_index_sync_running Whether a walk of the buckets into the "
                        "object index runs now.\n"
                        "# TYPE seau_index_sync_running gauge\n"
                        "seau_index_sync_running %d\n"
                        "# HELP seau_index_sync_objects Objects listed by the current (else the "
                        "last) walk.\n"
                        "# TYPE seau_index_sync_objects gauge\n"
                        "seau_index_sync_objects %llu\n"
                        "# HELP seau_index_sync_last_success_timestamp_seconds When a walk last "
                        "ended without error.\n"
                        "# TYPE seau_index_sync_last_success_timestamp_seconds gauge\n"
                        "seau_index_sync_last_success_timestamp_seconds %.3f\n",
                        o->index_running, (unsigned long long)o->index_listed,
                        o->index_last_success);
    if (rc == 0 && o->tracing)
        rc = buf_printf(out,
                        "# HELP seau_trace_spans_exported_total Spans sent to the OTLP "
                        "collector.\n"
                        "# TYPE seau_trace_spans_exported_total counter\n"
                        "seau_trace_spans_exported_total %llu\n"
                        "# HELP seau_trace_spans_dropped_total Spans dropped because the export "
                        "queue was full.\n"
                        "# TYPE seau_trace_spans_dropped_total counter\n"
                        "seau_trace_spans_dropped_total %llu\n"
                        "# HELP seau_trace_spans_failed_total Spans lost because the collector "
                        "refused them or could not be reached.\n"
                        "# TYPE seau_trace_spans_failed_total counter\n"
                        "seau_trace_spans_failed_total %llu\n",
                        (unsigned long long)o->spans_exported, (unsigned long long)o->spans_dropped,
                        (unsigned long long)o->spans_failed);
    return rc;
}
