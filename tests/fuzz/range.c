/*
 * Fuzzes the headers a proxied download reads: Range, If-Range and
 * If-None-Match (http/range.c) and the file name written into
 * Content-Disposition (http/disposition.c). Input: range NUL if-range NUL
 * if-none-match NUL name.
 */
#include "http/disposition.h"
#include "http/range.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 4);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    memset(buf + size, 0, 4);
    const char *parts[4];
    const char *p = buf;
    for (int i = 0; i < 4; i++) {
        parts[i] = p <= buf + size ? p : "";
        p += strlen(p) + 1;
    }
    static const int64_t sizes[] = {0, 1, 100, INT64_MAX / 2};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct http_range r = http_range_decide(parts[0], parts[1], parts[2], sizes[i], "\"e\"");
        /* A partial answer always lies inside the object. */
        if (r.kind == HTTP_RANGE_PARTIAL && (r.first < 0 || r.last < r.first || r.last >= sizes[i]))
            __builtin_trap();
    }
    char out[HTTP_DISPOSITION_MAX];
    if (http_content_disposition(out, sizeof(out), false, parts[3]) == 0)
        for (const char *q = out; *q; q++)
            if (*q < 0x20 || *q >= 0x7F)
                __builtin_trap();
    free(buf);
    return 0;
}
