#include "core/log.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"

#include <string.h>
#include <unistd.h>

static enum log_level log_min = LOG_INFO;
static enum log_format log_fmt = LOG_FORMAT_JSON;
static int log_fd = 2;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_level_parse(const char *s, enum log_level *ret)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *ret = (enum log_level)i;
            return 0;
        }
    }
    return SEAU_E_VALIDATION;
}

int log_format_parse(const char *s, enum log_format *ret)
{
    if (strcmp(s, "json") == 0)
        *ret = LOG_FORMAT_JSON;
    else if (strcmp(s, "text") == 0)
        *ret = LOG_FORMAT_TEXT;
    else
        return SEAU_E_VALIDATION;
    return 0;
}

void log_setup(enum log_level level, enum log_format format, int fd)
{
    log_min = level;
    log_fmt = format;
    log_fd = fd;
}

bool log_enabled(enum log_level level)
{
    return level >= log_min;
}

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(log_fd, p, n);
        if (w <= 0)
            return; /* Nowhere left to report a logging failure. */
        p += w;
        n -= (size_t)w;
    }
}

/* True when s can be printed bare in a key=value line without being misread. */
static bool is_plain(const char *s)
{
    if (!*s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == 0x7F)
            return false;
    return true;
}

static void format_text(struct buf *b, const char *ts, enum log_level level, const char *msg,
                        json_t *fields)
{
    buf_printf(b, "%s %-5s %s", ts, level_names[level], msg);
    const char *key;
    json_t *v;
    json_object_foreach(fields, key, v)
    {
        /* Anything a client may have sent is quoted and escaped: no forged log lines. */
        const char *plain = json_is_string(v) && is_plain(json_string_value(v))
                                ? json_string_value(v)
                                : NULL;
        char *s = plain ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6));
        buf_printf(b, " %s=%s", key, plain ? plain : s ? s : "?");
        free(s);
    }
    buf_append_char(b, '\n');
}

void log_event(enum log_level level, const char *msg, json_t *fields)
{
    if (!log_enabled(level)) {
        json_decref(fields);
        return;
    }
    if (!fields)
        fields = json_object();
    if (!fields)
        return;
    char ts[TIME_RFC3339_LEN];
    time_rfc3339(time_now_ms(), ts);
    struct buf b;
    buf_init(&b, 64 * 1024);
    if (log_fmt == LOG_FORMAT_TEXT) {
        format_text(&b, ts, level, msg, fields);
    } else {
        json_t *line = json_pack("{s:s, s:s, s:s}", "time", ts, "level", level_names[level],
                                 "msg", msg);
        if (line) {
            json_object_update(line, fields);
            char *s = json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6));
            if (s) {
                buf_append_str(&b, s);
                buf_append_char(&b, '\n');
                free(s);
            }
            json_decref(line);
        }
    }
    write_all(buf_cstr(&b), b.len);
    buf_done(&b);
    json_decref(fields);
}
