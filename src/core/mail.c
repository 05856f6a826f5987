#include "core/mail.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAIL_MESSAGE_MAX (64 * 1024) /* an invitation is a few hundred bytes */

static atomic_uint message_seq; /* tells apart the Message-IDs of one millisecond */

bool mail_address_ok(const char *addr)
{
    if (!addr)
        return false;
    size_t n = strlen(addr);
    const char *at = strchr(addr, '@');
    if (n < 3 || n > 254 || !at || at == addr || !at[1] || strchr(at + 1, '@'))
        return false;
    for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
        if (*p <= ' ' || *p == 0x7f || strchr("<>\"(),;:\\[]", *p))
            return false;
    return true;
}

static bool printable_ascii(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < ' ' || *p > '~')
            return false;
    return true;
}

char *mail_message_new(const char *from, const char *to, const char *subject, const char *body,
                       int64_t now)
{
    if (!mail_address_ok(from) || !mail_address_ok(to) || !subject || !printable_ascii(subject) ||
        !body)
        return NULL;
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(now / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return NULL;
    struct buf b;
    buf_init(&b, MAIL_MESSAGE_MAX);
    int rc = buf_printf(&b,
                        "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n"
                        "From: <%s>\r\n"
                        "To: <%s>\r\n"
                        "Subject: %s\r\n"
                        "Message-ID: <%lld.%08x@%s>\r\n"
                        "MIME-Version: 1.0\r\n"
                        "Content-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: 8bit\r\n"
                        "\r\n",
                        days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
                        tm.tm_hour, tm.tm_min, tm.tm_sec, from, to, subject, (long long)now,
                        (unsigned)atomic_fetch_add(&message_seq, 1), strchr(from, '@') + 1);
    /* Every line end becomes CRLF; a lone CR is dropped. */
    for (const char *p = body; rc == 0 && *p; p++) {
        if (*p == '\r')
            continue;
        rc = *p == '\n' ? buf_append(&b, "\r\n", 2) : buf_append_char(&b, *p);
    }
    if (rc == 0 && (b.len < 2 || memcmp(buf_cstr(&b) + b.len - 2, "\r\n", 2) != 0))
        rc = buf_append(&b, "\r\n", 2);
    if (rc) {
        buf_done(&b);
        return NULL;
    }
    return buf_take(&b);
}

struct reader {
    const char *p;
    size_t left;
};

static size_t read_message(char *out, size_t size, size_t nitems, void *ctx)
{
    struct reader *r = ctx;
    size_t n = size * nitems;
    if (n > r->left)
        n = r->left;
    memcpy(out, r->p, n);
    r->p += n;
    r->left -= n;
    return n;
}

int mail_send(const struct mail_server *s, const char *to, const char *message)
{
    if (!s || !s->url || !mail_address_ok(s->from) || !mail_address_ok(to) || !message)
        return SEAU_E_VALIDATION;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return SEAU_E_NOMEM;
    int rc = 0;
    char from[260], rcpt[260];
    snprintf(from, sizeof(from), "<%s>", s->from);
    snprintf(rcpt, sizeof(rcpt), "<%s>", to);
    CURL *h = curl_easy_init();
    struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
    if (!h || !rcpts)
        rc = SEAU_E_NOMEM;
    struct reader r = {.p = message, .left = strlen(message)};
    long timeout = s->timeout_ms > 0 ? (long)s->timeout_ms : 10000;
    if (rc == 0) {
        curl_easy_setopt(h, CURLOPT_URL, s->url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
        curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
        /* smtp://: STARTTLS when the server offers it; smtps:// is TLS from the start. */
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_message);
        curl_easy_setopt(h, CURLOPT_READDATA, &r);
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout / 2);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
        rc = curl_easy_perform(h) == CURLE_OK ? 0 : SEAU_E_UNAVAILABLE;
    }
    curl_slist_free_all(rcpts);
    if (h)
        curl_easy_cleanup(h);
    curl_global_cleanup();
    return rc;
}
