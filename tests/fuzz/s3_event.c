/*
 * Fuzzes the reading of S3 event notifications (src/events/s3event.c): the
 * bodies of SQS messages and of the MinIO / Ceph webhook, which anyone who
 * can reach the queue or guess nothing else may shape.
 */
#include "core/str.h"
#include "events/s3event.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct events_s3_batch b;
    memset(&b, 0, sizeof(b));
    if (events_s3_parse((const char *)data, size, &b) != 0)
        return 0;
    if (b.count > EVENTS_S3_RECORDS_MAX || (b.test && b.count))
        __builtin_trap();
    for (size_t i = 0; i < b.count; i++) {
        const struct events_s3_record *r = &b.records[i];
        size_t n = strlen(r->key);
        /* What the rest of Seau relies on: a bucket, a key of 1 to 1024 bytes of UTF-8. */
        if (!r->bucket || n == 0 || n > 1024 || !str_utf8_valid(r->key, n) || r->size < -1)
            __builtin_trap();
        char d[4200], seq[EVENTS_SEQUENCER_LEN + 1];
        events_s3_dedupe(r, d, sizeof(d));
        if (events_s3_sequencer(r->sequencer, seq) && strlen(seq) != EVENTS_SEQUENCER_LEN)
            __builtin_trap();
    }
    events_s3_batch_done(&b);
    return 0;
}
