/*
 * Fuzzes the S3 XML parsers of src/s3/xml.c, included to reach its tables
 * and to make XML__BATCH (the slice size expat sees) a variable.
 *
 * The first byte picks how the rest is fed: the size of the chunks handed to
 * s3_xml_feed() and the size of expat's slices (at least 4 KiB past 4 KiB of
 * input: see below). Every kind of parser reads the
 * input twice: whole in the default 64 KiB batches, then chunked. Both runs
 * must agree exactly, result code and answer field by field (a dump driven by
 * the parser's own tables), and every answer must keep the header's contract:
 * the kind is S3_XML_ERROR or the parser's, strings are present and UTF-8,
 * keys within max_key, lists within max_items. Small limits make the limit
 * paths reachable from small inputs. Any breach traps.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static size_t fuzz_s3_xml_batch = 64 * 1024;
#define XML__BATCH fuzz_s3_xml_batch

#include "../../src/s3/xml.c"

#include "core/buf.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct s3_xml_limits fuzz_s3_xml_limits = {
    .max_depth = 8,
    .max_text = 256,
    .max_key = 64,
    .max_items = 64,
};

static void fuzz_s3_xml_check(bool ok)
{
    if (!ok)
        __builtin_trap();
}

static void fuzz_s3_xml_str(const struct xml__node *n, const char *s, struct buf *o)
{
    fuzz_s3_xml_check(s != NULL);
    size_t len = strlen(s);
    fuzz_s3_xml_check(str_utf8_valid(s, len));
    fuzz_s3_xml_check(!(n->flags & XML__F_KEY) || len <= fuzz_s3_xml_limits.max_key);
    fuzz_s3_xml_check(!(n->flags & XML__F_REQ) || len > 0);
    buf_printf(o, "%s=%s\n", n->path, s);
}

/*
 * Dumps the fields of base that belong to the array at item_off (XML__NONE:
 * to the answer itself), each shared field once, recursing into arrays.
 */
static void fuzz_s3_xml_dump(const struct xml__shape *sh, const char *base, size_t item_off,
                             struct buf *o)
{
    for (size_t i = 0; i < sh->node_count; i++) {
        const struct xml__node *n = &sh->nodes[i];
        const struct xml__node *it = xml__item_of(sh, n);
        if ((it ? it->off : XML__NONE) != item_off || xml__visited(sh, i))
            continue;
        const char *p = base + n->off;
        switch (n->type) {
        case XML__T_NONE:
            break;
        case XML__T_ITEM: {
            const char *items = *(char *const *)(const void *)p;
            size_t count = *(const size_t *)(const void *)(base + n->count_off);
            fuzz_s3_xml_check(count <= fuzz_s3_xml_limits.max_items);
            fuzz_s3_xml_check((count == 0) == (items == NULL));
            for (size_t k = 0; k < count; k++) {
                const char *entry = items + k * n->item_size;
                buf_printf(o, "%s[%zu]\n", n->path, k);
                /* The flags set by the item element itself (DeleteMarker's). */
                for (size_t j = 0; j < sh->node_count; j++) {
                    const struct xml__node *m = &sh->nodes[j];
                    if (m->type == XML__T_ITEM && m->off == n->off && m->seen_off != XML__NONE)
                        buf_printf(o, "%s.seen=%d\n", m->path,
                                   *(const bool *)(const void *)(entry + m->seen_off));
                }
                fuzz_s3_xml_dump(sh, entry, n->off, o);
            }
            break;
        }
        case XML__T_STR:
            fuzz_s3_xml_str(n, *(const char *const *)(const void *)p, o);
            break;
        case XML__T_STRLIST: {
            const char *const *arr = *(const char *const *const *)(const void *)p;
            size_t count = *(const size_t *)(const void *)(base + n->count_off);
            fuzz_s3_xml_check(count <= fuzz_s3_xml_limits.max_items);
            for (size_t k = 0; k < count; k++)
                fuzz_s3_xml_str(n, arr[k], o);
            break;
        }
        case XML__T_INT:
        case XML__T_TIME: {
            int64_t v = *(const int64_t *)(const void *)p;
            fuzz_s3_xml_check(n->type == XML__T_TIME || v == 0 || (v >= n->min && v <= n->max));
            buf_printf(o, "%s=%lld\n", n->path, (long long)v);
            break;
        }
        case XML__T_BOOL:
            buf_printf(o, "%s=%d\n", n->path, *(const bool *)(const void *)p);
            break;
        case XML__T_ENUM:
            buf_printf(o, "%s=%d\n", n->path, *(const int *)(const void *)p);
            break;
        case XML__T_FIXSTR:
            fuzz_s3_xml_check(memchr(p, '\0', n->count_off) != NULL);
            fuzz_s3_xml_check(str_utf8_valid(p, strlen(p)));
            buf_printf(o, "%s=%s\n", n->path, p);
            break;
        }
        if (n->seen_off != XML__NONE && n->type != XML__T_ITEM)
            buf_printf(o, "%s.seen=%d\n", n->path,
                       *(const bool *)(const void *)(base + n->seen_off));
    }
}

/* Parses data with kind, fed in chunks of `chunk` bytes (0: whole); dumps the outcome. */
static void fuzz_s3_xml_run(enum s3_xml_kind kind, const uint8_t *data, size_t size, size_t chunk,
                            struct buf *o)
{
    struct s3_xml *x = s3_xml_new(kind, &fuzz_s3_xml_limits);
    if (!x)
        abort();
    int rc = 0;
    size_t step = chunk ? chunk : size;
    for (size_t off = 0; off < size && rc == 0; off += step)
        rc = s3_xml_feed(x, data + off, size - off < step ? size - off : step);
    struct s3_xml_answer a;
    if (rc == 0)
        rc = s3_xml_finish(x, &a);
    bool early_error = s3_xml_is_error(x);
    s3_xml_free(x);
    buf_printf(o, "rc=%d\n", rc);
    if (rc)
        return;
    fuzz_s3_xml_check(a.kind == S3_XML_ERROR || a.kind == kind);
    fuzz_s3_xml_check(early_error == (a.kind == S3_XML_ERROR));
    fuzz_s3_xml_dump(&xml__shapes[a.kind], (const char *)&a.error, XML__NONE, o);
    s3_xml_answer_done(&a);
    s3_xml_answer_done(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const size_t batches[] = {64 * 1024, 1, 3, 16};
    size_t chunk = 1 + (data[0] & 0x3F);
    size_t batch = batches[data[0] >> 6];
    data++;
    size--;
    /* Tiny slices make expat 2.5 re-parse a pending token on every byte: fine for small
     * inputs, quadratic for large ones, which production avoids with 64 KiB slices. */
    if (size > 4096 && batch < 4096)
        batch = 4096;
    struct buf whole, split;
    buf_init(&whole, 64u * 1024 * 1024);
    buf_init(&split, 64u * 1024 * 1024);
    for (int k = 0; k < S3_XML_KIND_COUNT; k++) {
        buf_reset(&whole);
        buf_reset(&split);
        fuzz_s3_xml_batch = 64 * 1024;
        fuzz_s3_xml_run((enum s3_xml_kind)k, data, size, 0, &whole);
        fuzz_s3_xml_batch = batch;
        fuzz_s3_xml_run((enum s3_xml_kind)k, data, size, chunk, &split);
        /* Past S3_XML_MAX_TOKEN, slicing may decide which of two errors comes first. */
        if (size <= S3_XML_MAX_TOKEN && strcmp(buf_cstr(&whole), buf_cstr(&split)) != 0) {
            fprintf(stderr, "kind %d, chunk %zu, batch %zu:\n--- whole\n%s--- split\n%s", k, chunk,
                    batch, buf_cstr(&whole), buf_cstr(&split));
            __builtin_trap();
        }
    }
    buf_done(&whole);
    buf_done(&split);
    return 0;
}
