#include "auth/oidc_fetch.h"

#include "core/err.h"
#include "s3/curl_defaults.h"

#include <string.h>

#define CONNECT_TIMEOUT_MS 5000L
#define TIMEOUT_MS         10000L

struct sink {
    struct buf *b;
    int rc;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    struct sink *s = ctx;
    size_t len = size * n;
    int rc = buf_append(s->b, p, len);
    if (rc) {
        s->rc = rc;
        return 0;
    }
    return len;
}

static int perform(CURL *h, CURLcode cc, struct sink *s, long *ret_status)
{
    if (cc == CURLE_OK)
        cc = curl_easy_perform(h);
    long status = 0;
    if (cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (cc == CURLE_OK) {
        *ret_status = status;
        return 0;
    }
    if (s->rc == SEAU_E_TOO_LARGE || cc == CURLE_FILESIZE_EXCEEDED)
        return SEAU_E_TOO_LARGE;
    if (s->rc == SEAU_E_NOMEM || cc == CURLE_OUT_OF_MEMORY)
        return SEAU_E_NOMEM;
    return SEAU_E_UNAVAILABLE;
}

static CURLcode common(CURL *h, const char *url, struct sink *s)
{
    CURLcode cc = s3_curl_defaults(h, CONNECT_TIMEOUT_MS);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_URL, url);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, TIMEOUT_MS);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_USERAGENT, "seau");
    return cc;
}

int auth__oidc_get(const char *url, struct buf *body, long *ret_status)
{
    CURL *h = curl_easy_init();
    if (!h)
        return SEAU_E_NOMEM;
    struct sink s = {body, 0};
    return perform(h, common(h, url, &s), &s, ret_status);
}

int auth__oidc_post_form(const char *url, const char *form, const char *user, const char *password,
                         struct buf *body, long *ret_status)
{
    CURL *h = curl_easy_init();
    if (!h)
        return SEAU_E_NOMEM;
    struct sink s = {body, 0};
    struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");
    CURLcode cc = headers ? common(h, url, &s) : CURLE_OUT_OF_MEMORY;
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(form));
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
    if (cc == CURLE_OK && user) {
        cc = curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        if (cc == CURLE_OK)
            cc = curl_easy_setopt(h, CURLOPT_USERNAME, user);
        if (cc == CURLE_OK)
            cc = curl_easy_setopt(h, CURLOPT_PASSWORD, password);
    }
    int rc = perform(h, cc, &s, ret_status);
    curl_slist_free_all(headers);
    return rc;
}
