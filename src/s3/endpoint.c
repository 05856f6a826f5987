/*
 * Where S3 requests go: endpoint URLs, bucket names, virtual-host or path
 * addressing, and the URL host and path of a request.
 */
#include "s3/internal.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

#include <stdio.h>
#include <string.h>

bool s3__alnum_lower(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* A region as it may appear in a host name and a signing scope. */
static bool s3__region_valid(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = r[i];
        if (!s3__alnum_lower(ch) && ch != '-' && !(ch >= 'A' && ch <= 'Z') && ch != '_')
            return false;
    }
    return true;
}

/*
 * Parses the configured endpoint of a service ("s3", "sqs"; NULL or "" for
 * AWS's https://SERVICE.REGION.amazonaws.com) into ret. Returns 0 or
 * SEAU_E_VALIDATION (not an http(s) URL with a host, or one with a path,
 * query, fragment or credentials; a bad region), SEAU_E_NOMEM.
 */
int s3__parse_service_endpoint(const char *service, const char *endpoint, const char *region,
                               enum s3_addressing addressing, struct s3__endpoint *ret)
{
    struct s3__endpoint ep;
    memset(&ep, 0, sizeof(ep));
    if (!region || !*region)
        region = S3_DEFAULT_REGION;
    if (!s3__region_valid(region) || strlen(region) >= sizeof(ep.region))
        return SEAU_E_VALIDATION;
    memcpy(ep.region, region, strlen(region) + 1);
    if (addressing != S3_ADDRESSING_AUTO && addressing != S3_ADDRESSING_PATH &&
        addressing != S3_ADDRESSING_VIRTUAL)
        return SEAU_E_VALIDATION;
    ep.addressing = addressing;

    if (!endpoint || !*endpoint) {
        ep.aws = true;
        ep.https = true;
        int n = snprintf(ep.host, sizeof(ep.host), "%s.%s.amazonaws.com", service, region);
        if (n < 0 || (size_t)n >= sizeof(ep.host))
            return SEAU_E_VALIDATION;
        *ret = ep;
        return 0;
    }

    CURLU *u = curl_url();
    if (!u)
        return SEAU_E_NOMEM;
    int rc = 0;
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL, *frag = NULL,
         *user = NULL, *password = NULL;
    if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        rc = SEAU_E_VALIDATION;
    if (rc == 0) {
        (void)curl_url_get(u, CURLUPART_PORT, &port, 0);
        (void)curl_url_get(u, CURLUPART_PATH, &path, 0);
        (void)curl_url_get(u, CURLUPART_QUERY, &query, 0);
        (void)curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
        (void)curl_url_get(u, CURLUPART_USER, &user, 0);
        (void)curl_url_get(u, CURLUPART_PASSWORD, &password, 0);
        if (strcmp(scheme, "https") == 0)
            ep.https = true;
        else if (strcmp(scheme, "http") != 0)
            rc = SEAU_E_VALIDATION;
        if (query || frag || user || password || (path && strcmp(path, "/") != 0 && *path))
            rc = SEAU_E_VALIDATION;
        if (!*host || strlen(host) >= sizeof(ep.host))
            rc = SEAU_E_VALIDATION;
    }
    if (rc == 0) {
        memcpy(ep.host, host, strlen(host) + 1);
        for (char *p = ep.host; *p; p++) /* host names are case-insensitive; sign them lowercase */
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        if (port) {
            int64_t v;
            if (str_to_int64(port, 1, 65535, &v) != 0)
                rc = SEAU_E_VALIDATION;
            else if (!((ep.https && v == 443) || (!ep.https && v == 80)))
                ep.port = (long)v;
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_free(frag);
    curl_free(user);
    curl_free(password);
    curl_url_cleanup(u);
    if (rc == 0)
        *ret = ep;
    return rc;
}

int s3__parse_endpoint(const char *endpoint, const char *region, enum s3_addressing addressing,
                       struct s3__endpoint *ret)
{
    return s3__parse_service_endpoint("s3", endpoint, region, addressing, ret);
}

/* A bucket name Seau accepts at all: 1 to 63 of [A-Za-z0-9._-] (so it can
 * never inject a path, query or host). */
bool s3__bucket_valid(const char *b)
{
    size_t n = b ? strlen(b) : 0;
    if (n == 0 || n > S3_MAX_BUCKET)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = b[i];
        if (!s3__alnum_lower(ch) && !(ch >= 'A' && ch <= 'Z') && ch != '.' && ch != '-' &&
            ch != '_')
            return false;
    }
    return true;
}

/*
 * True when the bucket can be the first label(s) of a virtual host name:
 * 3 to 63 of [a-z0-9.-], labels starting and ending with a letter or digit,
 * not an IPv4 address. With allow_dots false (AWS over https in AUTO mode)
 * a dot is refused too: "a.b.s3.amazonaws.com" does not match the wildcard
 * certificate, which is why the AWS SDKs send such buckets path style.
 */
static bool s3__bucket_dns_ok(const char *b, bool allow_dots)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return false;
    bool all_digits_dots = true;
    for (size_t i = 0; i < n; i++) {
        char ch = b[i];
        if (ch == '.') {
            if (!allow_dots || i == 0 || i == n - 1 || b[i - 1] == '.' || b[i - 1] == '-' ||
                b[i + 1] == '-')
                return false;
            continue;
        }
        if (ch == '-') {
            if (i == 0 || i == n - 1)
                return false;
            all_digits_dots = false;
            continue;
        }
        if (!s3__alnum_lower(ch))
            return false;
        if (!(ch >= '0' && ch <= '9'))
            all_digits_dots = false;
    }
    return !all_digits_dots;
}

/* Whether a request for this bucket goes virtual-hosted. */
static bool s3__virtual(const struct s3__endpoint *ep, const char *bucket)
{
    if (!bucket)
        return false;
    switch (ep->addressing) {
    case S3_ADDRESSING_PATH:
        return false;
    case S3_ADDRESSING_VIRTUAL:
        return s3__bucket_dns_ok(bucket, !ep->https);
    case S3_ADDRESSING_AUTO:
    default:
        return ep->aws && s3__bucket_dns_ok(bucket, false);
    }
}

/*
 * Appends to ret_host the Host header value (and URL authority) and to
 * ret_path the path as sent, percent-encoded once: "/bucket/key" path style,
 * "/key" virtual-hosted, "/bucket" or "/" for bucket-level requests, "/" for
 * the service. The key is raw; a key is never normalised ("a//b", "./x" and
 * a trailing '/' are kept as they are).
 */
int s3__target(const struct s3__endpoint *ep, const char *bucket, const char *key,
               struct buf *ret_host, struct buf *ret_path)
{
    bool virt = s3__virtual(ep, bucket);
    int rc = 0;
    if (virt)
        rc = buf_printf(ret_host, "%s.", bucket);
    if (rc == 0)
        rc = buf_append_str(ret_host, ep->host);
    if (rc == 0 && ep->port)
        rc = buf_printf(ret_host, ":%ld", ep->port);
    if (rc == 0)
        rc = buf_append_char(ret_path, '/');
    if (rc == 0 && bucket && !virt) {
        rc = buf_append_str(ret_path, bucket);
        if (rc == 0 && key)
            rc = buf_append_char(ret_path, '/');
    }
    if (rc == 0 && key)
        rc = sigv4_uri_encode(slice_from_cstr(key), true, ret_path);
    return rc;
}

/* Whether a libcurl failure may be retried: the connection failed or broke. */
