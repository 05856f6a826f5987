/*
 * AWS Signature Version 4, as a pipeline of small pure functions (STYLE.md
 * rule 17, after curl's http_aws_sigv4.c).
 *
 *   path ─────────── canonical path ────┐
 *   query ────────── canonical query ───┤
 *   headers ──────── canonical headers ─┼─ canonical request ─┐
 *   payload hash ───────────────────────┘                     │
 *   now ─ amz date ─ credential scope ──────── string to sign ┴─┐
 *   secret, date, region, service ─ signing key ────────────────┴─ signature
 *
 * Every step below is a static function with a contract of its own and a
 * table-driven test in tests/unit/s3/sigv4.c. Steps append to a struct buf
 * and, like the public functions, leave it untouched when they fail. Working
 * buffers are bounded by SIGV4_MAX_CANONICAL_REQUEST, since each of them ends
 * up inside the canonical request.
 *
 * Nothing here reads the clock, logs or prints. The secret is only ever read
 * from the caller's slice; the one copy made ("AWS4" + secret) and every HMAC
 * derived from it live on the stack and are wiped before the function that
 * made them returns.
 */
#include "s3/sigv4.h"

#include "core/codec.h"
#include "core/err.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGV4__ALGORITHM      "AWS4-HMAC-SHA256"
#define SIGV4__TERMINATOR     "aws4_request"
#define SIGV4__AMZ_DATE_SIZE  17 /* "20150830T123600Z" and a NUL */
#define SIGV4__DATE_LEN       8  /* the "20150830" that starts the scope */
#define SIGV4__KEY_SIZE       32 /* bytes of an HMAC-SHA256 */
#define SIGV4__HEX_SIZE       65 /* 64 hex digits and a NUL */
#define SIGV4__MAX_ACCESS_KEY 128
#define SIGV4__MAX_SCOPE_PART 64 /* bytes of a region or a service name */
#define SIGV4__MAX_METHOD     32
#define SIGV4__WORK_MAX       SIGV4_MAX_CANONICAL_REQUEST

/* How the canonical URI is derived from the path that is sent. */
enum sigv4__path_rule {
    SIGV4__PATH_S3,        /* the sent path as it stands: S3 encodes once, never normalises */
    SIGV4__PATH_ENCODE,    /* other services: the sent path encoded again */
    SIGV4__PATH_NORMALIZE, /* other services: dot and empty segments removed, then encoded */
};

/* ---- small helpers ------------------------------------------------------------------------ */

static bool sigv4__unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

static bool sigv4__is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned char sigv4__lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* True for RFC 9110 token characters, which is what a header name or a method is made of. */
static bool sigv4__tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool sigv4__space(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* ASCII case-insensitive equality of a slice and a C string. */
static bool sigv4__slice_ieq(struct slice a, const char *b)
{
    size_t n = strlen(b);
    if (a.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (sigv4__lower((unsigned char)a.p[i]) != sigv4__lower((unsigned char)b[i]))
            return false;
    return true;
}

static bool sigv4__slice_eq(struct slice a, struct slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* The slice without leading and trailing spaces and tabs. */
static struct slice sigv4__trim(struct slice s)
{
    while (s.len > 0 && sigv4__space((unsigned char)s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && sigv4__space((unsigned char)s.p[s.len - 1]))
        s.len--;
    return s;
}

static struct slice sigv4__buf_slice(const struct buf *b)
{
    return (struct slice){buf_cstr(b), b->len};
}

/* Cuts b back to len bytes: the undo step of every "only on success" output. */
static void sigv4__truncate(struct buf *b, size_t len)
{
    b->len = len;
    if (b->data)
        b->data[len] = '\0';
}

/*
 * Appends src[i] to dst[i] for every i, all or nothing: if one append fails,
 * the ones already made are undone and the error is returned. This is how
 * a function with several outputs writes them only on success.
 */
static int sigv4__commit(struct buf *const dst[], const struct buf *const src[], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t mark = dst[i]->len;
        int rc = buf_append(dst[i], src[i]->data ? src[i]->data : "", src[i]->len);
        if (rc) {
            sigv4__truncate(dst[i], mark);
            while (i-- > 0)
                sigv4__truncate(dst[i], dst[i]->len - src[i]->len);
            return rc;
        }
    }
    return 0;
}

/* SHA-256 of p[0..n) into out. Returns 0 or SEAU_E_INTERNAL if OpenSSL fails. */
static int sigv4__sha256(const void *p, size_t n, unsigned char out[SIGV4__KEY_SIZE])
{
    unsigned int len = 0;
    if (EVP_Digest(n ? p : "", n, out, &len, EVP_sha256(), NULL) != 1 || len != SIGV4__KEY_SIZE)
        return SEAU_E_INTERNAL;
    return 0;
}

/*
 * HMAC-SHA256 of data under key into out. The caller owns and wipes both the
 * key and the result. Returns 0 or SEAU_E_INTERNAL.
 */
static int sigv4__hmac(const void *key, size_t key_len, const void *data, size_t n,
                       unsigned char out[SIGV4__KEY_SIZE])
{
    unsigned int len = 0;
    if (key_len > SIGV4_MAX_SECRET + 4)
        return SEAU_E_INTERNAL; /* unreachable: the secret is checked long before */
    if (!HMAC(EVP_sha256(), key, (int)key_len, n ? data : (const void *)"", n, out, &len) ||
        len != SIGV4__KEY_SIZE)
        return SEAU_E_INTERNAL;
    return 0;
}

/* ---- step: time and credential scope ------------------------------------------------------ */

/*
 * Formats now as the ISO 8601 basic time SigV4 uses, "20150830T123600Z", into
 * ret. The first 8 characters are also the scope date, so both always come
 * from the same instant (the date-boundary case). Returns SEAU_E_RANGE for a
 * time the calendar cannot express in four-digit years.
 */
static int sigv4__amz_date(time_t now, char ret[SIGV4__AMZ_DATE_SIZE])
{
    struct tm tm;
    char tmp[64];
    if (!gmtime_r(&now, &tm) || tm.tm_year < 0 - 1900 || tm.tm_year > 9999 - 1900)
        return SEAU_E_RANGE;
    int n = snprintf(tmp, sizeof(tmp), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n != SIGV4__AMZ_DATE_SIZE - 1)
        return SEAU_E_RANGE;
    memcpy(ret, tmp, SIGV4__AMZ_DATE_SIZE);
    return 0;
}

/*
 * Appends the credential scope, "20150830/us-east-1/service/aws4_request",
 * taking the date from the first 8 characters of amz_date. region and
 * service are assumed checked (sigv4__check_params).
 */
static int sigv4__credential_scope(const char *amz_date, struct slice region, struct slice service,
                                   struct buf *ret)
{
    size_t mark = ret->len;
    int rc = buf_printf(ret, "%.8s/%.*s/%.*s/" SIGV4__TERMINATOR, amz_date, (int)region.len,
                        region.p, (int)service.len, service.p);
    if (rc)
        sigv4__truncate(ret, mark);
    return rc;
}

/* ---- step: URI encoding and payload hash -------------------------------------------------- */

int sigv4_uri_encode(struct slice in, bool keep_slash, struct buf *ret)
{
    return codec_percent_encode(ret, in, keep_slash ? "/" : NULL);
}

int sigv4_payload_hash(const void *body, size_t len, bool sign_payload,
                       char ret[SIGV4_PAYLOAD_HASH_SIZE])
{
    unsigned char md[SIGV4__KEY_SIZE];
    if (!sign_payload) {
        memcpy(ret, SIGV4_UNSIGNED_PAYLOAD, sizeof(SIGV4_UNSIGNED_PAYLOAD));
        return 0;
    }
    if (!body && len > 0)
        return SEAU_E_VALIDATION;
    int rc = sigv4__sha256(body, len, md);
    if (rc == 0)
        str_hex(md, sizeof(md), ret);
    return rc;
}

/* True when h is "UNSIGNED-PAYLOAD" or 64 lowercase hex digits, the only hashes we send. */
static bool sigv4__payload_hash_valid(struct slice h)
{
    if (slice_eq_cstr(h, SIGV4_UNSIGNED_PAYLOAD))
        return true;
    if (h.len != SIGV4__HEX_SIZE - 1)
        return false;
    for (size_t i = 0; i < h.len; i++)
        if (!((h.p[i] >= '0' && h.p[i] <= '9') || (h.p[i] >= 'a' && h.p[i] <= 'f')))
            return false;
    return true;
}

/* ---- step: canonical path ----------------------------------------------------------------- */

/*
 * True when path is a well-formed encoded path: it starts with '/', and
 * holds only unreserved bytes, '/' and %XX escapes. For S3 the path that is
 * sent is signed as it stands, so anything else would be signing a request
 * that cannot be sent as such, most likely a key the caller forgot to encode.
 */
static bool sigv4__encoded_path_valid(struct slice path)
{
    if (path.len == 0 || path.p[0] != '/')
        return false;
    for (size_t i = 0; i < path.len; i++) {
        unsigned char c = (unsigned char)path.p[i];
        if (c == '%') {
            if (i + 2 >= path.len || !sigv4__is_hex((unsigned char)path.p[i + 1]) ||
                !sigv4__is_hex((unsigned char)path.p[i + 2]))
                return false;
            i += 2;
        } else if (!sigv4__unreserved(c) && c != '/') {
            return false;
        }
    }
    return true;
}

/*
 * Appends path with dot segments and empty segments removed (RFC 3986
 * section 5.2.4, plus collapsing "//"): "/a/./b/../c" gives "/a/c",
 * "//example//" gives "/example/", "/example/.." gives "/". A trailing '/'
 * survives, as does the one a final "." or ".." implies. Only for services
 * other than S3, whose keys may legitimately contain "//" and "..".
 * O(n) time and O(n) scratch space for the segment stack.
 */
static int sigv4__normalize_path(struct slice path, struct buf *ret)
{
    size_t mark = ret->len;
    size_t nseg = 0;
    bool trailing = path.len > 0 && path.p[path.len - 1] == '/';
    struct slice *seg = malloc((path.len / 2 + 1) * sizeof(*seg));
    if (!seg)
        return SEAU_E_NOMEM;
    for (size_t i = 0; i < path.len;) {
        while (i < path.len && path.p[i] == '/')
            i++;
        size_t start = i;
        while (i < path.len && path.p[i] != '/')
            i++;
        struct slice s = {path.p + start, i - start};
        if (s.len == 0)
            break;
        if (slice_eq_cstr(s, ".") || slice_eq_cstr(s, "..")) {
            if (s.len == 2 && nseg > 0)
                nseg--;
            trailing = true;
            continue;
        }
        seg[nseg++] = s;
        trailing = i < path.len; /* a '/' follows this segment */
    }
    int rc = buf_append_char(ret, '/');
    for (size_t k = 0; rc == 0 && k < nseg; k++) {
        rc = buf_append(ret, seg[k].p, seg[k].len);
        if (rc == 0 && (k + 1 < nseg || trailing))
            rc = buf_append_char(ret, '/');
    }
    free(seg);
    if (rc)
        sigv4__truncate(ret, mark);
    return rc;
}

/*
 * Appends the canonical URI for path under rule (see enum sigv4__path_rule).
 * Returns SEAU_E_VALIDATION for a path that does not start with '/', or, for
 * S3, one that is not a well-formed encoded path.
 */
static int sigv4__canonical_path(struct slice path, enum sigv4__path_rule rule, struct buf *ret)
{
    struct buf norm;
    int rc = 0;
    if (path.len == 0 || path.p[0] != '/')
        return SEAU_E_VALIDATION;
    if (path.len > SIGV4__WORK_MAX)
        return SEAU_E_TOO_LARGE;
    switch (rule) {
    case SIGV4__PATH_S3:
        if (!sigv4__encoded_path_valid(path))
            return SEAU_E_VALIDATION;
        return buf_append(ret, path.p, path.len);
    case SIGV4__PATH_ENCODE:
        return sigv4_uri_encode(path, true, ret);
    case SIGV4__PATH_NORMALIZE:
        buf_init(&norm, SIGV4__WORK_MAX);
        rc = sigv4__normalize_path(path, &norm);
        if (rc == 0)
            rc = sigv4_uri_encode(sigv4__buf_slice(&norm), true, ret);
        buf_done(&norm);
        return rc;
    }
    return SEAU_E_INTERNAL;
}

/* ---- step: canonical query ---------------------------------------------------------------- */

/* One encoded parameter; offsets into a scratch buffer until the pointers are stable. */
struct sigv4__qent {
    size_t name_off, name_len, value_off, value_len;
    const char *name, *value;
};

/* Orders two byte strings by unsigned byte value, a prefix first. */
static int sigv4__bytecmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int sigv4__qent_cmp(const void *pa, const void *pb)
{
    const struct sigv4__qent *a = pa, *b = pb;
    int c = sigv4__bytecmp(a->name, a->name_len, b->name, b->name_len);
    return c ? c : sigv4__bytecmp(a->value, a->value_len, b->value, b->value_len);
}

/*
 * Contract in sigv4.h. Encodes every name and value into one scratch buffer,
 * sorts pointers into it and joins them: O(n log n) over at most
 * SIGV4_MAX_QUERY_PARAMS parameters plus the six presigning adds.
 */
int sigv4_canonical_query(const struct sigv4_pair *query, size_t count, struct buf *ret)
{
    struct buf enc;
    struct sigv4__qent *ent = NULL;
    size_t mark = ret->len;
    int rc = 0;

    if (count > SIGV4_MAX_QUERY_PARAMS + 6) /* room for the X-Amz-* that presigning adds */
        return SEAU_E_TOO_LARGE;
    if (count == 0)
        return 0;
    buf_init(&enc, SIGV4__WORK_MAX);
    ent = calloc(count, sizeof(*ent));
    if (!ent)
        rc = SEAU_E_NOMEM;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        ent[i].name_off = enc.len;
        rc = sigv4_uri_encode(query[i].name, false, &enc);
        ent[i].name_len = enc.len - ent[i].name_off;
        ent[i].value_off = enc.len;
        if (rc == 0)
            rc = sigv4_uri_encode(query[i].value, false, &enc);
        ent[i].value_len = enc.len - ent[i].value_off;
    }
    if (rc == 0) {
        const char *base = buf_cstr(&enc);
        for (size_t i = 0; i < count; i++) {
            ent[i].name = base + ent[i].name_off;
            ent[i].value = base + ent[i].value_off;
        }
        qsort(ent, count, sizeof(*ent), sigv4__qent_cmp);
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (i > 0)
            rc = buf_append_char(ret, '&');
        if (rc == 0)
            rc = buf_append(ret, ent[i].name, ent[i].name_len);
        if (rc == 0)
            rc = buf_append_char(ret, '=');
        if (rc == 0)
            rc = buf_append(ret, ent[i].value, ent[i].value_len);
    }
    free(ent);
    buf_done(&enc);
    if (rc)
        sigv4__truncate(ret, mark);
    return rc;
}

/* ---- step: canonical headers and signed headers ------------------------------------------- */

struct sigv4__hent {
    struct slice name;
    struct slice value;
    size_t index; /* position in the request: repeated headers keep their order */
};

/* Orders by lower-cased name, which is the order of the canonical headers. */
static int sigv4__hent_cmp_name(const struct sigv4__hent *a, const struct sigv4__hent *b)
{
    size_t n = a->name.len < b->name.len ? a->name.len : b->name.len;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = sigv4__lower((unsigned char)a->name.p[i]);
        unsigned char y = sigv4__lower((unsigned char)b->name.p[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return a->name.len < b->name.len ? -1 : a->name.len > b->name.len;
}

/* qsort() is not stable, so the request position breaks ties between repeated names. */
static int sigv4__hent_cmp(const void *pa, const void *pb)
{
    const struct sigv4__hent *a = pa, *b = pb;
    int c = sigv4__hent_cmp_name(a, b);
    if (c != 0)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

/*
 * Appends value trimmed, with every internal run of spaces and tabs
 * collapsed to one space, even inside quotes (suite get-header-value-trim).
 */
static int sigv4__append_header_value(struct buf *b, struct slice value)
{
    struct slice v = sigv4__trim(value);
    int rc = 0;
    size_t i = 0;
    while (rc == 0 && i < v.len) {
        size_t start = i;
        while (i < v.len && !sigv4__space((unsigned char)v.p[i]))
            i++;
        rc = buf_append(b, v.p + start, i - start);
        if (rc == 0 && i < v.len) {
            while (i < v.len && sigv4__space((unsigned char)v.p[i]))
                i++;
            rc = buf_append_char(b, ' ');
        }
    }
    return rc;
}

static int sigv4__append_lower(struct buf *b, struct slice s)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s.len; i++)
        rc = buf_append_char(b, (char)sigv4__lower((unsigned char)s.p[i]));
    return rc;
}

/* A header name is a non-empty token; a value may hold anything but CR, LF and NUL. */
static bool sigv4__header_valid(const struct sigv4_pair *h)
{
    if (h->name.len == 0)
        return false;
    for (size_t i = 0; i < h->name.len; i++)
        if (!sigv4__tchar((unsigned char)h->name.p[i]))
            return false;
    for (size_t i = 0; i < h->value.len; i++)
        if (h->value.p[i] == '\r' || h->value.p[i] == '\n' || h->value.p[i] == '\0')
            return false;
    return true;
}

/*
 * Appends the canonical headers block to ret_canonical and the signed
 * headers list to ret_signed, both or neither. Names are lower-cased and
 * sorted; repeated names become one line whose values are joined with ','
 * in request order; every line ends with '\n' ("host:example.com\n"); the
 * signed list is the names joined with ';'. All n headers are signed: the
 * caller chooses which headers to pass. O(n log n), n ≤ SIGV4_MAX_HEADERS
 * plus the three the signer adds. Returns SEAU_E_VALIDATION for an invalid
 * name or value.
 */
static int sigv4__canonical_headers(const struct sigv4_pair *headers, size_t n,
                                    struct buf *ret_canonical, struct buf *ret_signed)
{
    struct buf canon, names;
    struct sigv4__hent *ent = NULL;
    int rc = 0;

    if (n > SIGV4_MAX_HEADERS + 3)
        return SEAU_E_TOO_LARGE;
    buf_init(&canon, SIGV4__WORK_MAX);
    buf_init(&names, SIGV4__WORK_MAX);
    ent = calloc(n ? n : 1, sizeof(*ent));
    if (!ent)
        rc = SEAU_E_NOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!sigv4__header_valid(&headers[i]))
            rc = SEAU_E_VALIDATION;
        ent[i] = (struct sigv4__hent){headers[i].name, headers[i].value, i};
    }
    if (rc == 0)
        qsort(ent, n, sizeof(*ent), sigv4__hent_cmp);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        /* Sorting put repeats next to each other; names differing only in case are one header. */
        if (i > 0 && sigv4__hent_cmp_name(&ent[i], &ent[i - 1]) == 0) {
            rc = buf_append_char(&canon, ',');
        } else {
            if (i > 0)
                rc = buf_append(&canon, "\n", 1);
            if (rc == 0 && i > 0)
                rc = buf_append_char(&names, ';');
            if (rc == 0)
                rc = sigv4__append_lower(&names, ent[i].name);
            if (rc == 0)
                rc = sigv4__append_lower(&canon, ent[i].name);
            if (rc == 0)
                rc = buf_append_char(&canon, ':');
        }
        if (rc == 0)
            rc = sigv4__append_header_value(&canon, ent[i].value);
    }
    if (rc == 0 && n > 0)
        rc = buf_append_char(&canon, '\n');
    if (rc == 0) {
        struct buf *dst[] = {ret_canonical, ret_signed};
        const struct buf *src[] = {&canon, &names};
        rc = sigv4__commit(dst, src, 2);
    }
    free(ent);
    buf_done(&canon);
    buf_done(&names);
    return rc;
}

/* ---- step: canonical request and string to sign ------------------------------------------- */

/*
 * Appends the canonical request: method, canonical URI, canonical query,
 * canonical headers (which end with '\n', hence the empty line), signed
 * headers and payload hash, joined by '\n' with no newline at the end.
 * Use a ret bounded by SIGV4_MAX_CANONICAL_REQUEST.
 */
static int sigv4__canonical_request(struct slice method, struct slice uri, struct slice query,
                                    struct slice headers, struct slice signed_headers,
                                    struct slice payload_hash, struct buf *ret)
{
    size_t mark = ret->len;
    int rc = buf_printf(ret, "%.*s\n%.*s\n%.*s\n%.*s\n%.*s\n%.*s", (int)method.len, method.p,
                        (int)uri.len, uri.p, (int)query.len, query.p, (int)headers.len, headers.p,
                        (int)signed_headers.len, signed_headers.p, (int)payload_hash.len,
                        payload_hash.p);
    if (rc)
        sigv4__truncate(ret, mark);
    return rc;
}

/*
 * Appends the string to sign: the algorithm, amz_date, the scope and the
 * hex SHA-256 of the canonical request, joined by '\n'. It is not secret,
 * but like the signature it is never logged (STYLE.md rule 16).
 */
static int sigv4__string_to_sign(const char *amz_date, struct slice scope,
                                 struct slice canonical_request, struct buf *ret)
{
    unsigned char md[SIGV4__KEY_SIZE];
    char hex[SIGV4__HEX_SIZE];
    size_t mark = ret->len;
    int rc = sigv4__sha256(canonical_request.p, canonical_request.len, md);
    if (rc)
        return rc;
    str_hex(md, sizeof(md), hex);
    rc = buf_printf(ret, SIGV4__ALGORITHM "\n%s\n%.*s\n%s", amz_date, (int)scope.len, scope.p, hex);
    if (rc)
        sigv4__truncate(ret, mark);
    return rc;
}

/* ---- step: signing key and signature ------------------------------------------------------ */

/*
 * Derives the signing key into ret:
 * kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request"), with date the first 8 characters of amz_date. The key is
 * as good as the secret for that day, region and service: the caller wipes
 * ret once done. Every intermediate value here is wiped, on failure too.
 * Returns SEAU_E_TOO_LARGE for a secret past SIGV4_MAX_SECRET.
 */
static int sigv4__signing_key(struct slice secret, const char *amz_date, struct slice region,
                              struct slice service, unsigned char ret[SIGV4__KEY_SIZE])
{
    unsigned char k_secret[4 + SIGV4_MAX_SECRET];
    unsigned char k_date[SIGV4__KEY_SIZE], k_region[SIGV4__KEY_SIZE];
    unsigned char k_service[SIGV4__KEY_SIZE], k_signing[SIGV4__KEY_SIZE];
    int rc;

    if (secret.len > SIGV4_MAX_SECRET)
        return SEAU_E_TOO_LARGE;
    memcpy(k_secret, "AWS4", 4);
    memcpy(k_secret + 4, secret.p, secret.len);
    rc = sigv4__hmac(k_secret, 4 + secret.len, amz_date, SIGV4__DATE_LEN, k_date);
    if (rc == 0)
        rc = sigv4__hmac(k_date, sizeof(k_date), region.p, region.len, k_region);
    if (rc == 0)
        rc = sigv4__hmac(k_region, sizeof(k_region), service.p, service.len, k_service);
    if (rc == 0)
        rc = sigv4__hmac(k_service, sizeof(k_service), SIGV4__TERMINATOR,
                         sizeof(SIGV4__TERMINATOR) - 1, k_signing);
    if (rc == 0)
        memcpy(ret, k_signing, SIGV4__KEY_SIZE);
    str_wipe(k_secret, sizeof(k_secret));
    str_wipe(k_date, sizeof(k_date));
    str_wipe(k_region, sizeof(k_region));
    str_wipe(k_service, sizeof(k_service));
    str_wipe(k_signing, sizeof(k_signing));
    return rc;
}

/* Writes the signature, the lowercase hex HMAC of string_to_sign under key, into ret. */
static int sigv4__signature(const unsigned char key[SIGV4__KEY_SIZE], struct slice string_to_sign,
                            char ret[SIGV4__HEX_SIZE])
{
    unsigned char mac[SIGV4__KEY_SIZE];
    int rc = sigv4__hmac(key, SIGV4__KEY_SIZE, string_to_sign.p, string_to_sign.len, mac);
    if (rc == 0)
        str_hex(mac, sizeof(mac), ret);
    str_wipe(mac, sizeof(mac));
    return rc;
}

/* ---- checks shared by both entry points --------------------------------------------------- */

/* Region and service names: 1 to 64 of A-Z a-z 0-9 . _ -, so nothing can break the scope. */
static bool sigv4__scope_part_valid(struct slice s)
{
    if (s.len == 0 || s.len > SIGV4__MAX_SCOPE_PART)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (!sigv4__unreserved(c) || c == '~')
            return false;
    }
    return true;
}

/* Printable ASCII without space, and without the separators the scope and lists use. */
static bool sigv4__printable(struct slice s, const char *forbidden)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c <= 0x20 || c >= 0x7F || (forbidden && strchr(forbidden, c)))
            return false;
    }
    return true;
}

/*
 * Checks the params and tells whether S3 rules apply. Credentials, region
 * and service end up in headers and URLs, so control characters and the
 * separators '/' and ',' are refused there (SEAU_E_VALIDATION); overlong
 * secrets and tokens are SEAU_E_TOO_LARGE.
 */
static int sigv4__check_params(const struct sigv4_params *p, bool *ret_s3)
{
    const unsigned known = SIGV4_NORMALIZE_PATH | SIGV4_SIGN_BODY | SIGV4_OMIT_SESSION_TOKEN;
    if (!p || !p->credentials || (p->flags & ~known))
        return SEAU_E_VALIDATION;
    const struct sigv4_credentials *c = p->credentials;
    if (c->secret_access_key.len > SIGV4_MAX_SECRET ||
        c->session_token.len > SIGV4_MAX_SESSION_TOKEN ||
        c->access_key_id.len > SIGV4__MAX_ACCESS_KEY)
        return SEAU_E_TOO_LARGE;
    if (c->access_key_id.len == 0 || !sigv4__printable(c->access_key_id, "/,") ||
        c->secret_access_key.len == 0 || !c->secret_access_key.p ||
        !sigv4__printable(c->session_token, NULL))
        return SEAU_E_VALIDATION;
    if (!sigv4__scope_part_valid(p->region) || !sigv4__scope_part_valid(p->service) ||
        !sigv4__payload_hash_valid(p->payload_hash))
        return SEAU_E_VALIDATION;
    bool s3 = slice_eq_cstr(p->service, "s3");
    if (s3 && (p->flags & SIGV4_NORMALIZE_PATH))
        return SEAU_E_VALIDATION;
    *ret_s3 = s3;
    return 0;
}

/* Checks the request's shape: a token method, bounded lists, and a non-empty Host header. */
static int sigv4__check_request(const struct sigv4_request *req)
{
    bool host = false;
    if (!req || req->method.len == 0 || req->method.len > SIGV4__MAX_METHOD)
        return SEAU_E_VALIDATION;
    for (size_t i = 0; i < req->method.len; i++)
        if (!sigv4__tchar((unsigned char)req->method.p[i]))
            return SEAU_E_VALIDATION;
    if (req->header_count > SIGV4_MAX_HEADERS || req->query_count > SIGV4_MAX_QUERY_PARAMS)
        return SEAU_E_TOO_LARGE;
    if ((req->header_count && !req->headers) || (req->query_count && !req->query))
        return SEAU_E_VALIDATION;
    for (size_t i = 0; i < req->header_count; i++)
        if (sigv4__slice_ieq(req->headers[i].name, "host") &&
            sigv4__trim(req->headers[i].value).len > 0)
            host = true;
    return host ? 0 : SEAU_E_VALIDATION;
}

/*
 * Looks for header name in req. Writes whether it is present to *ret_found
 * and returns SEAU_E_VALIDATION if any occurrence's trimmed value differs
 * from want: a request may carry X-Amz-Date or X-Amz-Content-SHA256 itself,
 * but only with the values that the signature covers.
 */
static int sigv4__preset_header(const struct sigv4_request *req, const char *name,
                                struct slice want, bool *ret_found)
{
    bool found = false;
    for (size_t i = 0; i < req->header_count; i++) {
        if (!sigv4__slice_ieq(req->headers[i].name, name))
            continue;
        if (!sigv4__slice_eq(sigv4__trim(req->headers[i].value), want))
            return SEAU_E_VALIDATION;
        found = true;
    }
    *ret_found = found;
    return 0;
}

/* ---- the pipeline ------------------------------------------------------------------------- */

/*
 * Runs the steps both entry points share, from the already canonical
 * headers to the signature: canonical URI and query, canonical request,
 * string to sign, key, signature. Writes the signature into ret_signature
 * and, when the pointers are not NULL, appends the canonical query to
 * ret_query, and the canonical request and the string to sign to dbg_creq
 * and dbg_sts (tests only; never to be logged). The dbg_* outputs are
 * written here even if a later step of the caller fails, which is fine for
 * tests and the reason they are not part of the public API. The signing key
 * is wiped.
 */
static int sigv4__sign_core(const struct sigv4_request *req, const struct sigv4_params *p, bool s3,
                            struct slice canonical_headers, struct slice signed_headers,
                            const struct sigv4_pair *query, size_t query_count,
                            const char *amz_date, struct slice scope, struct buf *ret_query,
                            struct buf *dbg_creq, struct buf *dbg_sts,
                            char ret_signature[SIGV4__HEX_SIZE])
{
    struct buf uri, cq, creq, sts;
    unsigned char key[SIGV4__KEY_SIZE];
    char sig[SIGV4__HEX_SIZE];
    enum sigv4__path_rule rule = s3                                  ? SIGV4__PATH_S3
                                 : (p->flags & SIGV4_NORMALIZE_PATH) ? SIGV4__PATH_NORMALIZE
                                                                     : SIGV4__PATH_ENCODE;
    int rc;

    buf_init(&uri, SIGV4__WORK_MAX);
    buf_init(&cq, SIGV4__WORK_MAX);
    buf_init(&creq, SIGV4_MAX_CANONICAL_REQUEST);
    buf_init(&sts, SIGV4__WORK_MAX);

    rc = sigv4__canonical_path(req->path, rule, &uri);
    if (rc == 0)
        rc = sigv4_canonical_query(query, query_count, &cq);
    if (rc == 0)
        rc = sigv4__canonical_request(req->method, sigv4__buf_slice(&uri), sigv4__buf_slice(&cq),
                                      canonical_headers, signed_headers, p->payload_hash, &creq);
    if (rc == 0)
        rc = sigv4__string_to_sign(amz_date, scope, sigv4__buf_slice(&creq), &sts);
    if (rc == 0)
        rc = sigv4__signing_key(p->credentials->secret_access_key, amz_date, p->region, p->service,
                                key);
    if (rc == 0) {
        rc = sigv4__signature(key, sigv4__buf_slice(&sts), sig);
        str_wipe(key, sizeof(key));
    }
    if (rc == 0) {
        struct buf *dst[3];
        const struct buf *src[3];
        size_t n = 0;
        if (ret_query) {
            dst[n] = ret_query;
            src[n++] = &cq;
        }
        if (dbg_creq) {
            dst[n] = dbg_creq;
            src[n++] = &creq;
        }
        if (dbg_sts) {
            dst[n] = dbg_sts;
            src[n++] = &sts;
        }
        rc = sigv4__commit(dst, src, n);
    }
    if (rc == 0)
        memcpy(ret_signature, sig, SIGV4__HEX_SIZE);
    buf_done(&uri);
    buf_done(&cq);
    buf_done(&creq);
    buf_done(&sts);
    return rc;
}

/*
 * sigv4_sign_headers() with two extra outputs for tests, dbg_creq and
 * dbg_sts (may be NULL), which receive the canonical request and the string
 * to sign. Header signing signs the request's headers plus X-Amz-Date,
 * X-Amz-Content-SHA256 (s3 or SIGV4_SIGN_BODY) and X-Amz-Security-Token
 * (unless SIGV4_OMIT_SESSION_TOKEN), and puts the payload hash only in the
 * canonical request otherwise.
 */
static int sigv4__sign_headers_ex(const struct sigv4_request *req, const struct sigv4_params *p,
                                  struct buf *dbg_creq, struct buf *dbg_sts,
                                  struct buf *ret_authorization, struct buf *ret_headers)
{
    struct buf scope, ch, sh, auth, lines;
    struct sigv4_pair *all = NULL;
    const struct sigv4_credentials *c = NULL;
    char amz_date[SIGV4__AMZ_DATE_SIZE], sig[SIGV4__HEX_SIZE];
    bool s3 = false, has_date = false, has_sha = false, add_sha, token, sign_token;
    size_t n = 0;
    int rc;

    buf_init(&scope, SIGV4__WORK_MAX);
    buf_init(&ch, SIGV4__WORK_MAX);
    buf_init(&sh, SIGV4__WORK_MAX);
    buf_init(&auth, SIGV4__WORK_MAX);
    buf_init(&lines, SIGV4__WORK_MAX);

    rc = sigv4__check_params(p, &s3);
    if (rc == 0)
        rc = sigv4__check_request(req);
    if (rc == 0)
        rc = sigv4__amz_date(p->now, amz_date);
    if (rc == 0)
        rc = sigv4__preset_header(req, "x-amz-date", slice_from_cstr(amz_date), &has_date);
    if (rc == 0)
        rc = sigv4__preset_header(req, "x-amz-content-sha256", p->payload_hash, &has_sha);
    /* The signer owns these two: one passed in could contradict what it signs. */
    for (size_t i = 0; rc == 0 && i < req->header_count; i++)
        if (sigv4__slice_ieq(req->headers[i].name, "x-amz-security-token") ||
            sigv4__slice_ieq(req->headers[i].name, "authorization"))
            rc = SEAU_E_VALIDATION;
    if (rc == 0)
        rc = sigv4__credential_scope(amz_date, p->region, p->service, &scope);
    if (rc)
        goto done;
    c = p->credentials;
    add_sha = (s3 || (p->flags & SIGV4_SIGN_BODY)) && !has_sha;
    token = c->session_token.len > 0;
    sign_token = token && !(p->flags & SIGV4_OMIT_SESSION_TOKEN);

    all = calloc(req->header_count + 3, sizeof(*all));
    if (!all) {
        rc = SEAU_E_NOMEM;
        goto done;
    }
    for (n = 0; n < req->header_count; n++)
        all[n] = req->headers[n];
    if (!has_date)
        all[n++] = (struct sigv4_pair){SLICE_LIT("x-amz-date"), slice_from_cstr(amz_date)};
    if (add_sha)
        all[n++] = (struct sigv4_pair){SLICE_LIT("x-amz-content-sha256"), p->payload_hash};
    if (sign_token)
        all[n++] = (struct sigv4_pair){SLICE_LIT("x-amz-security-token"), c->session_token};

    rc = sigv4__canonical_headers(all, n, &ch, &sh);
    if (rc == 0)
        rc = sigv4__sign_core(req, p, s3, sigv4__buf_slice(&ch), sigv4__buf_slice(&sh), req->query,
                              req->query_count, amz_date, sigv4__buf_slice(&scope), NULL, dbg_creq,
                              dbg_sts, sig);
    if (rc == 0)
        rc = buf_printf(
            &auth, SIGV4__ALGORITHM " Credential=%.*s/%s, SignedHeaders=%s, Signature=%s",
            (int)c->access_key_id.len, c->access_key_id.p, buf_cstr(&scope), buf_cstr(&sh), sig);
    if (rc == 0 && !has_date)
        rc = buf_printf(&lines, "X-Amz-Date: %s\r\n", amz_date);
    if (rc == 0 && add_sha)
        rc = buf_printf(&lines, "X-Amz-Content-SHA256: %.*s\r\n", (int)p->payload_hash.len,
                        p->payload_hash.p);
    if (rc == 0 && token)
        rc = buf_printf(&lines, "X-Amz-Security-Token: %.*s\r\n", (int)c->session_token.len,
                        c->session_token.p);
    if (rc == 0) {
        struct buf *dst[] = {ret_authorization, ret_headers};
        const struct buf *src[] = {&auth, &lines};
        rc = sigv4__commit(dst, src, 2);
    }
done:
    free(all);
    buf_done(&scope);
    buf_done(&ch);
    buf_done(&sh);
    buf_done(&auth);
    buf_done(&lines);
    return rc;
}

int sigv4_sign_headers(const struct sigv4_request *req, const struct sigv4_params *params,
                       struct buf *ret_authorization, struct buf *ret_headers)
{
    return sigv4__sign_headers_ex(req, params, NULL, NULL, ret_authorization, ret_headers);
}

/* The query parameters presigning owns; a request may not bring its own. */
static const char *const sigv4__auth_params[] = {
    "X-Amz-Algorithm",     "X-Amz-Credential",     "X-Amz-Date",      "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature",
};
#define SIGV4__AUTH_PARAM_COUNT (sizeof(sigv4__auth_params) / sizeof(*sigv4__auth_params))

/*
 * sigv4_presign() with the test-only outputs dbg_creq and dbg_sts (may be
 * NULL). Presigning signs exactly the request's headers, puts the
 * authentication parameters into the canonical query (X-Amz-Signature
 * excepted), and appends the token after signing under
 * SIGV4_OMIT_SESSION_TOKEN.
 */
static int sigv4__presign_ex(const struct sigv4_request *req, const struct sigv4_params *p,
                             struct buf *dbg_creq, struct buf *dbg_sts, struct buf *ret_query)
{
    struct buf scope, credential, ch, sh, out;
    struct sigv4_pair *all = NULL;
    const struct sigv4_credentials *c = NULL;
    char amz_date[SIGV4__AMZ_DATE_SIZE], sig[SIGV4__HEX_SIZE], expires[16];
    bool s3 = false, token, sign_token;
    size_t n = 0;
    int rc;

    buf_init(&scope, SIGV4__WORK_MAX);
    buf_init(&credential, SIGV4__WORK_MAX);
    buf_init(&ch, SIGV4__WORK_MAX);
    buf_init(&sh, SIGV4__WORK_MAX);
    buf_init(&out, SIGV4__WORK_MAX);

    rc = sigv4__check_params(p, &s3);
    if (rc == 0)
        rc = sigv4__check_request(req);
    if (rc == 0 && (p->expires < 1 || p->expires > SIGV4_MAX_EXPIRES))
        rc = SEAU_E_RANGE;
    /* S3 verifies presigned URLs over UNSIGNED-PAYLOAD: the body is unknown when they are made. */
    if (rc == 0 && s3 && !slice_eq_cstr(p->payload_hash, SIGV4_UNSIGNED_PAYLOAD))
        rc = SEAU_E_VALIDATION;
    for (size_t i = 0; rc == 0 && i < req->query_count; i++)
        for (size_t k = 0; k < SIGV4__AUTH_PARAM_COUNT; k++)
            if (sigv4__slice_ieq(req->query[i].name, sigv4__auth_params[k]))
                rc = SEAU_E_VALIDATION;
    if (rc == 0)
        rc = sigv4__amz_date(p->now, amz_date);
    if (rc == 0)
        rc = sigv4__credential_scope(amz_date, p->region, p->service, &scope);
    if (rc)
        goto done;
    c = p->credentials;
    token = c->session_token.len > 0;
    sign_token = token && !(p->flags & SIGV4_OMIT_SESSION_TOKEN);

    rc = buf_printf(&credential, "%.*s/%s", (int)c->access_key_id.len, c->access_key_id.p,
                    buf_cstr(&scope));
    if (rc == 0)
        rc = sigv4__canonical_headers(req->headers, req->header_count, &ch, &sh);
    if (rc)
        goto done;
    snprintf(expires, sizeof(expires), "%u", (unsigned)p->expires);

    /* The request's parameters, then the ones presigning adds (X-Amz-Signature excepted). */
    all = calloc(req->query_count + SIGV4__AUTH_PARAM_COUNT, sizeof(*all));
    if (!all) {
        rc = SEAU_E_NOMEM;
        goto done;
    }
    for (n = 0; n < req->query_count; n++)
        all[n] = req->query[n];
    all[n++] = (struct sigv4_pair){SLICE_LIT("X-Amz-Algorithm"), SLICE_LIT(SIGV4__ALGORITHM)};
    all[n++] = (struct sigv4_pair){SLICE_LIT("X-Amz-Credential"), sigv4__buf_slice(&credential)};
    all[n++] = (struct sigv4_pair){SLICE_LIT("X-Amz-Date"), slice_from_cstr(amz_date)};
    all[n++] = (struct sigv4_pair){SLICE_LIT("X-Amz-Expires"), slice_from_cstr(expires)};
    all[n++] = (struct sigv4_pair){SLICE_LIT("X-Amz-SignedHeaders"), sigv4__buf_slice(&sh)};
    if (sign_token)
        all[n++] = (struct sigv4_pair){SLICE_LIT("X-Amz-Security-Token"), c->session_token};

    /* The canonical query doubles as the query that is sent. */
    rc = sigv4__sign_core(req, p, s3, sigv4__buf_slice(&ch), sigv4__buf_slice(&sh), all, n,
                          amz_date, sigv4__buf_slice(&scope), &out, dbg_creq, dbg_sts, sig);
    if (rc == 0 && token && !sign_token) {
        rc = buf_append_str(&out, "&X-Amz-Security-Token=");
        if (rc == 0)
            rc = sigv4_uri_encode(c->session_token, false, &out);
    }
    if (rc == 0)
        rc = buf_printf(&out, "&X-Amz-Signature=%s", sig);
    if (rc == 0) {
        struct buf *dst[] = {ret_query};
        const struct buf *src[] = {&out};
        rc = sigv4__commit(dst, src, 1);
    }
done:
    free(all);
    buf_done(&scope);
    buf_done(&credential);
    buf_done(&ch);
    buf_done(&sh);
    buf_done(&out);
    return rc;
}

int sigv4_presign(const struct sigv4_request *req, const struct sigv4_params *params,
                  struct buf *ret_query)
{
    return sigv4__presign_ex(req, params, NULL, NULL, ret_query);
}
