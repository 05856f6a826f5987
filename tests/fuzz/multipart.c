/*
 * Fuzzes the multipart/form-data parser of proxied uploads: the input's
 * first byte picks where the body is split in two feeds; the rest is the body
 * under the boundary "bnd". Checks that content bytes never exceed the input
 * and that a part's data only comes between its begin and end.
 */
#include "http/multipart.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    size_t bytes;
    int open;
};

static int on_begin(void *ctx, const struct http_multipart_part *p)
{
    struct seen *s = ctx;
    if (s->open || strlen(p->name) > HTTP_MULTIPART_NAME_MAX ||
        (p->filename && strlen(p->filename) > HTTP_MULTIPART_FILENAME_MAX))
        __builtin_trap();
    s->open = 1;
    return 0;
}

static int on_data(void *ctx, const char *d, size_t n)
{
    struct seen *s = ctx;
    (void)d;
    if (!s->open)
        __builtin_trap();
    s->bytes += n;
    return 0;
}

static int on_end(void *ctx)
{
    struct seen *s = ctx;
    if (!s->open)
        __builtin_trap();
    s->open = 0;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t cut = data[0] % size;
    const char *body = (const char *)data + 1;
    size_t n = size - 1;
    if (cut > n)
        cut = n;
    static const struct http_multipart_handler h = {on_begin, on_data, on_end};
    struct seen s = {0, 0};
    struct http_multipart *m = http_multipart_new("bnd", &h, &s);
    if (!m)
        return 0;
    if (http_multipart_feed(m, body, cut) == 0 && http_multipart_feed(m, body + cut, n - cut) == 0)
        (void)http_multipart_finish(m);
    if (s.bytes > n)
        __builtin_trap();
    http_multipart_free(m);
    char b[HTTP_MULTIPART_BOUNDARY_MAX + 1];
    char ct[256];
    size_t cn = n < sizeof(ct) - 1 ? n : sizeof(ct) - 1;
    memcpy(ct, body, cn);
    ct[cn] = '\0';
    (void)http_multipart_boundary(ct, b, sizeof(b));
    return 0;
}
