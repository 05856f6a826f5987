#include "http/disposition.h"

#include <stdio.h>
#include <string.h>

#define NAME_MAX_BYTES 1024

/* RFC 8187 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~". */
static bool attr_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("!#$&+-.^_`|~", c) != NULL;
}

int http_content_disposition(char *out, size_t n, bool inline_, const char *name)
{
    if (!name || !*name)
        name = "download";
    size_t len = strlen(name);
    if (len > NAME_MAX_BYTES) {
        len = NAME_MAX_BYTES;
        /* Step back to a character boundary: continuation bytes are 10xxxxxx. */
        while (len > 0 && ((unsigned char)name[len] & 0xC0) == 0x80)
            len--;
    }
    /* 9 + 1024 fallback + 19 + 3 x 1024 encoded + terminators. */
    if (n < 32 + len * 4)
        return -1;
    size_t w = (size_t)snprintf(out, n, "%s; filename=\"", inline_ ? "inline" : "attachment");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        out[w++] = (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') ? '_' : (char)c;
    }
    static const char ext[] = "\"; filename*=UTF-8''";
    memcpy(out + w, ext, sizeof(ext) - 1);
    w += sizeof(ext) - 1;
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (attr_char(c)) {
            out[w++] = (char)c;
        } else {
            out[w++] = '%';
            out[w++] = hex[c >> 4];
            out[w++] = hex[c & 15];
        }
    }
    out[w] = '\0';
    return 0;
}
