/* Hex digits and percent-encoding (see codec.h). */
#include "core/codec.h"

#include "core/err.h"

#include <stdbool.h>
#include <string.h>

int codec_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int codec_percent_decode(struct slice in, unsigned flags, char *out, size_t cap, size_t *ret_len)
{
    size_t w = 0;
    for (size_t r = 0; r < in.len; r++) {
        char c = in.p[r];
        if (c == '%') {
            int hi = r + 2 < in.len ? codec_hex_value(in.p[r + 1]) : -1;
            int lo = hi < 0 ? -1 : codec_hex_value(in.p[r + 2]);
            if (lo < 0 || (hi == 0 && lo == 0))
                return SEAU_E_VALIDATION;
            c = (char)(hi << 4 | lo);
            r += 2;
        } else if (c == '+' && (flags & CODEC_PLUS_SPACE)) {
            c = ' ';
        }
        if (w + 1 >= cap)
            return SEAU_E_TOO_LARGE;
        out[w++] = c;
    }
    if (cap == 0)
        return SEAU_E_TOO_LARGE;
    out[w] = '\0';
    *ret_len = w;
    return 0;
}

static bool codec__unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int codec_percent_encode(struct buf *b, struct slice in, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t mark = b->len;
    size_t i = 0;
    int rc = 0;
    while (rc == 0 && i < in.len) {
        /* Copy the longest run of bytes that stay as they are in one append. */
        size_t run = i;
        while (run < in.len && (codec__unreserved((unsigned char)in.p[run]) ||
                                (keep && in.p[run] && strchr(keep, in.p[run]))))
            run++;
        if (run > i) {
            rc = buf_append(b, in.p + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = (unsigned char)in.p[i++];
        char esc[3] = {'%', hex[c >> 4], hex[c & 0x0F]};
        rc = buf_append(b, esc, sizeof(esc));
    }
    if (rc) {
        b->len = mark;
        if (b->data)
            b->data[mark] = '\0';
    }
    return rc;
}
