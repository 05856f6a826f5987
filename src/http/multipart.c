#include "http/multipart.h"

#include "core/codec.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum mp_state {
    MP_PREAMBLE, /* before the first boundary: ignored */
    MP_AFTER,    /* just after a boundary: "--" ends the body, CRLF starts a part */
    MP_HEADERS,  /* a part's headers, up to the empty line */
    MP_BODY,     /* a part's content, up to the next boundary */
    MP_EPILOGUE, /* after the closing boundary: ignored */
    MP_FAILED,
};

struct http_multipart {
    struct http_multipart_handler h;
    void *ctx;
    enum mp_state state;
    char delim[HTTP_MULTIPART_BOUNDARY_MAX + 5]; /* CRLF "--" boundary */
    size_t dlen;
    size_t match;     /* bytes of delim matched so far (held back, not yet emitted) */
    char after[2];    /* MP_AFTER: what follows the boundary */
    size_t nafter;
    char headers[HTTP_MULTIPART_HEADERS_MAX];
    size_t hlen;
    char name[HTTP_MULTIPART_NAME_MAX + 1];
    char filename[HTTP_MULTIPART_FILENAME_MAX + 1];
    bool has_filename;
    char type[HTTP_MULTIPART_TYPE_MAX + 1];
};

/* RFC 2046 bchars: a boundary is 1 to 70 of these, not ending with a space. */
static bool bchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("'()+_,-./:=? ", c) != NULL;
}

int http_multipart_boundary(const char *content_type, char *out, size_t n)
{
    if (!content_type)
        return SEAU_E_MEDIA_TYPE;
    static const char mt[] = "multipart/form-data";
    while (*content_type == ' ')
        content_type++;
    if (strncasecmp(content_type, mt, sizeof(mt) - 1) != 0)
        return SEAU_E_MEDIA_TYPE;
    const char *p = content_type + sizeof(mt) - 1;
    if (*p != ';' && *p != ' ' && *p != '\0')
        return SEAU_E_MEDIA_TYPE;
    /* Find boundary= among the parameters. */
    for (;;) {
        p += strspn(p, "; \t");
        if (*p == '\0')
            return SEAU_E_BAD_REQUEST;
        size_t key = strcspn(p, "=;");
        bool is_boundary = key == 8 && strncasecmp(p, "boundary", 8) == 0;
        p += key;
        if (*p != '=') {
            continue;
        }
        p++;
        const char *v = p;
        size_t vlen;
        if (*v == '"') {
            v++;
            const char *q = strchr(v, '"');
            if (!q)
                return SEAU_E_BAD_REQUEST;
            vlen = (size_t)(q - v);
            p = q + 1;
        } else {
            vlen = strcspn(v, "; \t");
            p = v + vlen;
        }
        if (!is_boundary)
            continue;
        if (vlen == 0 || vlen > HTTP_MULTIPART_BOUNDARY_MAX || vlen + 1 > n || v[vlen - 1] == ' ')
            return SEAU_E_BAD_REQUEST;
        for (size_t i = 0; i < vlen; i++)
            if (!bchar(v[i]))
                return SEAU_E_BAD_REQUEST;
        memcpy(out, v, vlen);
        out[vlen] = '\0';
        return 0;
    }
}

struct http_multipart *http_multipart_new(const char *boundary,
                                          const struct http_multipart_handler *h, void *ctx)
{
    size_t blen = strlen(boundary);
    if (blen == 0 || blen > HTTP_MULTIPART_BOUNDARY_MAX)
        return NULL;
    struct http_multipart *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->h = *h;
    m->ctx = ctx;
    memcpy(m->delim, "\r\n--", 4);
    memcpy(m->delim + 4, boundary, blen);
    m->dlen = 4 + blen;
    /* The body may start with the boundary itself: as if a CRLF had come before it. */
    m->match = 2;
    m->state = MP_PREAMBLE;
    return m;
}

void http_multipart_free(struct http_multipart *m)
{
    free(m);
}

static int fail(struct http_multipart *m, int rc)
{
    m->state = MP_FAILED;
    return rc;
}

/* Copies a parameter value into out, undoing the HTML form encoding of '"', CR and LF. */
static bool copy_value(const char *v, size_t vlen, bool form_escapes, char *out, size_t cap)
{
    size_t w = 0;
    for (size_t i = 0; i < vlen; i++) {
        char c = v[i];
        if (form_escapes && c == '%' && i + 2 < vlen) {
            if (strncasecmp(v + i, "%22", 3) == 0)
                c = '"';
            else if (strncasecmp(v + i, "%0D", 3) == 0)
                c = '\r';
            else if (strncasecmp(v + i, "%0A", 3) == 0)
                c = '\n';
            if (c != '%')
                i += 2;
        }
        if (w + 1 >= cap)
            return false;
        out[w++] = c;
    }
    out[w] = '\0';
    return true;
}

/* RFC 8187 ext-value: UTF-8''percent-encoded. */
static bool copy_ext_value(const char *v, size_t vlen, char *out, size_t cap)
{
    static const char charset[] = "UTF-8''";
    size_t skip = sizeof(charset) - 1, len;
    if (vlen < skip || strncasecmp(v, charset, skip) != 0 || memchr(v + skip, '\0', vlen - skip))
        return false;
    return codec_percent_decode((struct slice){v + skip, vlen - skip}, 0, out, cap, &len) == 0;
}

/* Parses `form-data; name="x"; filename="y"` into the part's fields. */
static bool parse_disposition(struct http_multipart *m, const char *v, size_t len)
{
    static const char fd[] = "form-data";
    while (len > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    if (len < sizeof(fd) - 1 || strncasecmp(v, fd, sizeof(fd) - 1) != 0)
        return false;
    size_t i = sizeof(fd) - 1;
    bool have_ext = false;
    while (i < len) {
        while (i < len && (v[i] == ';' || v[i] == ' ' || v[i] == '\t'))
            i++;
        size_t k = i;
        while (i < len && v[i] != '=' && v[i] != ';')
            i++;
        size_t klen = i - k;
        if (i >= len || v[i] != '=')
            continue; /* a parameter without a value: ignored */
        i++;
        const char *val;
        size_t vlen;
        bool quoted = i < len && v[i] == '"';
        if (quoted) {
            i++;
            val = v + i;
            while (i < len && v[i] != '"')
                i++;
            if (i >= len)
                return false; /* unterminated quoted string */
            vlen = (size_t)(v + i - val);
            i++;
        } else {
            val = v + i;
            while (i < len && v[i] != ';' && v[i] != ' ' && v[i] != '\t')
                i++;
            vlen = (size_t)(v + i - val);
        }
        if (klen == 4 && strncasecmp(v + k, "name", 4) == 0) {
            if (!copy_value(val, vlen, true, m->name, sizeof(m->name)))
                return false;
        } else if (klen == 8 && strncasecmp(v + k, "filename", 8) == 0 && !have_ext) {
            if (!copy_value(val, vlen, true, m->filename, sizeof(m->filename)))
                return false;
            m->has_filename = true;
        } else if (klen == 9 && strncasecmp(v + k, "filename*", 9) == 0 && !quoted) {
            if (!copy_ext_value(val, vlen, m->filename, sizeof(m->filename)))
                return false;
            m->has_filename = true;
            have_ext = true;
        }
    }
    return true;
}

/* The headers are complete (m->headers holds them, ending with an empty line). */
static int begin_part(struct http_multipart *m)
{
    m->name[0] = m->filename[0] = m->type[0] = '\0';
    m->has_filename = false;
    bool disposition = false;
    size_t pos = 0;
    while (pos + 1 < m->hlen) {
        const char *line = m->headers + pos;
        const char *eol = memchr(line, '\r', m->hlen - pos);
        if (!eol)
            break;
        size_t llen = (size_t)(eol - line);
        pos += llen + 2;
        if (llen == 0)
            break; /* the empty line */
        const char *colon = memchr(line, ':', llen);
        if (!colon)
            return SEAU_E_BAD_REQUEST;
        size_t nlen = (size_t)(colon - line);
        const char *val = colon + 1;
        size_t vlen = llen - nlen - 1;
        if (nlen == 19 && strncasecmp(line, "Content-Disposition", 19) == 0) {
            if (disposition || !parse_disposition(m, val, vlen))
                return SEAU_E_BAD_REQUEST;
            disposition = true;
        } else if (nlen == 12 && strncasecmp(line, "Content-Type", 12) == 0) {
            while (vlen > 0 && (*val == ' ' || *val == '\t')) {
                val++;
                vlen--;
            }
            if (!copy_value(val, vlen, false, m->type, sizeof(m->type)))
                return SEAU_E_BAD_REQUEST;
        }
    }
    if (!disposition)
        return SEAU_E_BAD_REQUEST;
    struct http_multipart_part part = {
        .name = m->name,
        .filename = m->has_filename ? m->filename : NULL,
        .content_type = m->type,
    };
    return m->h.begin(m->ctx, &part);
}

/*
 * Scans for the delimiter from data[*i], emitting content (MP_BODY) or
 * dropping it (MP_PREAMBLE). Returns 1 when the delimiter was found (*i past
 * it), 0 at the end of the input, or a callback's failure.
 */
static int scan(struct http_multipart *m, const char *data, size_t n, size_t *i)
{
    bool emit = m->state == MP_BODY;
    while (*i < n) {
        if (m->match == 0) {
            const char *cr = memchr(data + *i, '\r', n - *i);
            size_t run = cr ? (size_t)(cr - (data + *i)) : n - *i;
            if (run && emit) {
                int rc = m->h.data(m->ctx, data + *i, run);
                if (rc)
                    return rc;
            }
            *i += run;
            if (!cr)
                return 0;
            m->match = 1;
            (*i)++;
            continue;
        }
        if (data[*i] == m->delim[m->match]) {
            m->match++;
            (*i)++;
            if (m->match == m->dlen) {
                m->match = 0;
                return 1;
            }
            continue;
        }
        /* Not the delimiter after all: what was held back is content. CR appears in the
         * delimiter only first, so no suffix of it can start another match. */
        if (emit) {
            int rc = m->h.data(m->ctx, m->delim, m->match);
            if (rc)
                return rc;
        }
        m->match = 0;
    }
    return 0;
}

int http_multipart_feed(struct http_multipart *m, const char *data, size_t n)
{
    size_t i = 0;
    while (i < n) {
        int rc;
        switch (m->state) {
        case MP_FAILED:
            return SEAU_E_BAD_REQUEST;
        case MP_EPILOGUE:
            return 0;
        case MP_PREAMBLE:
        case MP_BODY:
            rc = scan(m, data, n, &i);
            if (rc < 0)
                return fail(m, rc);
            if (rc == 1) {
                if (m->state == MP_BODY && (rc = m->h.end(m->ctx)))
                    return fail(m, rc);
                m->state = MP_AFTER;
                m->nafter = 0;
            }
            break;
        case MP_AFTER: {
            char c = data[i++];
            if (m->nafter == 0 && (c == ' ' || c == '\t'))
                break; /* transport padding */
            m->after[m->nafter++] = c;
            if (m->nafter < 2)
                break;
            if (m->after[0] == '-' && m->after[1] == '-') {
                m->state = MP_EPILOGUE;
            } else if (m->after[0] == '\r' && m->after[1] == '\n') {
                m->state = MP_HEADERS;
                m->hlen = 0;
            } else {
                return fail(m, SEAU_E_BAD_REQUEST);
            }
            break;
        }
        case MP_HEADERS: {
            if (m->hlen == sizeof(m->headers))
                return fail(m, SEAU_E_BAD_REQUEST);
            m->headers[m->hlen++] = data[i++];
            bool empty = m->hlen == 2 && memcmp(m->headers, "\r\n", 2) == 0;
            bool done = m->hlen >= 4 && memcmp(m->headers + m->hlen - 4, "\r\n\r\n", 4) == 0;
            if (empty || done) {
                if ((rc = begin_part(m)))
                    return fail(m, rc);
                m->state = MP_BODY;
                m->match = 0;
            }
            break;
        }
        }
    }
    return m->state == MP_FAILED ? SEAU_E_BAD_REQUEST : 0;
}

int http_multipart_finish(struct http_multipart *m)
{
    return m->state == MP_EPILOGUE ? 0 : SEAU_E_BAD_REQUEST;
}
