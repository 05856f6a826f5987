#include "http/webcsp.h"

#include "core/buf.h"
#include "core/err.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A CSP hash source for SHA-256: "sha256-" and 44 characters of base64. */
static bool hash_ok(const char *s)
{
    if (strncmp(s, "sha256-", 7) != 0)
        return false;
    const char *b = s + 7;
    size_t n = strlen(b);
    if (n != 44 || b[43] != '=')
        return false;
    for (size_t i = 0; i < 43; i++) {
        char c = b[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return false;
    }
    return true;
}

/* Appends " 'sha256-…'" for each hash of the JSON text; counts them in *n. */
static int append_hashes(const char *text, size_t len, struct buf *out, size_t *n)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *list = root ? json_object_get(root, "scriptHashes") : NULL;
    int rc = json_is_array(list) && json_array_size(list) <= HTTP_WEBCSP_HASHES_MAX
                 ? 0
                 : SEAU_E_VALIDATION;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (rc)
            break;
        const char *s = json_string_value(v);
        if (!s || !hash_ok(s))
            rc = SEAU_E_VALIDATION;
        else
            rc = buf_printf(out, " '%s'", s);
    }
    if (rc == 0)
        *n = json_array_size(list);
    json_decref(root);
    return rc;
}

/* Reads root/csp.json into *ret (malloc'd); SEAU_E_NOT_FOUND when there is none. */
static int read_csp_json(const char *root, char **ret, size_t *ret_len)
{
    char path[PATH_MAX];
    int w = snprintf(path, sizeof(path), "%s/csp.json", root);
    if (w < 0 || (size_t)w >= sizeof(path))
        return SEAU_E_IO;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? SEAU_E_NOT_FOUND : SEAU_E_IO;
    char *data = malloc(HTTP_WEBCSP_FILE_MAX + 1);
    size_t len = 0;
    int rc = data ? 0 : SEAU_E_NOMEM;
    while (rc == 0) {
        ssize_t r = read(fd, data + len, HTTP_WEBCSP_FILE_MAX + 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = SEAU_E_IO;
        else if (r == 0)
            break;
        else if ((len += (size_t)r) > HTTP_WEBCSP_FILE_MAX)
            rc = SEAU_E_VALIDATION;
    }
    close(fd);
    if (rc) {
        free(data);
        return rc;
    }
    *ret = data;
    *ret_len = len;
    return 0;
}

static bool is_ip_literal(const char *host, size_t n)
{
    if (n > 0 && host[0] == '[')
        return true;
    for (size_t i = 0; i < n && host[i] != ':'; i++)
        if (!(host[i] == '.' || (host[i] >= '0' && host[i] <= '9')))
            return false;
    return true;
}

/* " SCHEME://HOST[:PORT]" and, for virtual-hosted buckets, the same with a "*." before HOST. */
static int append_s3_origin(const char *endpoint, bool path_style, struct buf *out)
{
    if (!endpoint)
        return buf_append_str(out, " https://*.amazonaws.com");
    size_t scheme = strncmp(endpoint, "https://", 8) == 0 ? 8 : 7;
    const char *host = endpoint + scheme;
    size_t n = strcspn(host, "/?#@ ;,'\"");
    int rc = buf_printf(out, " %.*s", (int)(scheme + n), endpoint);
    if (rc == 0 && !path_style && !is_ip_literal(host, n))
        rc = buf_printf(out, " %.*s*.%.*s", (int)scheme, endpoint, (int)n, host);
    return rc;
}

int http_web_csp(const char *web_root, const char *s3_endpoint, bool path_style, char **ret_csp,
                 size_t *ret_hashes)
{
    struct buf csp, s3;
    buf_init(&csp, 64 * 1024);
    buf_init(&s3, 2048);
    char *json = NULL;
    size_t json_len = 0, n = 0;
    int rc = web_root ? read_csp_json(web_root, &json, &json_len) : SEAU_E_NOT_FOUND;
    if (rc == SEAU_E_NOT_FOUND)
        rc = 0;
    if (rc == 0)
        rc = buf_append_str(&csp, "default-src 'self'; script-src 'self'");
    if (rc == 0 && json)
        rc = append_hashes(json, json_len, &csp, &n);
    if (rc == 0)
        rc = append_s3_origin(s3_endpoint, path_style, &s3);
    if (rc == 0)
        rc = buf_printf(&csp,
                        "; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:%s; "
                        "media-src 'self' blob:%s; frame-src 'self' blob:%s; font-src 'self'; "
                        "connect-src 'self'%s; object-src 'none'; base-uri 'self'; "
                        "form-action 'self'; frame-ancestors 'none'",
                        buf_cstr(&s3), buf_cstr(&s3), buf_cstr(&s3), buf_cstr(&s3));
    char *out = rc == 0 ? buf_take(&csp) : NULL;
    if (rc == 0 && !out)
        rc = SEAU_E_NOMEM;
    if (rc == 0) {
        *ret_csp = out;
        *ret_hashes = n;
    }
    free(json);
    buf_done(&s3);
    buf_done(&csp);
    return rc;
}
