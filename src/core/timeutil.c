#include "core/timeutil.h"

#include "core/err.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Writes v's last `digits` decimal digits at p. */
static void put_digits(char *p, unsigned v, int digits)
{
    for (int i = digits - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
}

/*
 * Pure arithmetic, no gmtime_r: glibc's takes the time-zone lock even for
 * UTC, and this runs for every access-log line and every date of a listing,
 * from every worker thread at once. The civil date of a day count is the
 * proleptic Gregorian calendar's, counted in 400-year eras (H. Hinnant's
 * days-to-civil method); the unit test holds it to gmtime_r.
 */
void time_rfc3339(int64_t ms, char out[TIME_RFC3339_LEN])
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    unsigned millis = (unsigned)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    unsigned sod = (unsigned)(secs - days * 86400);
    int64_t z = days + 719468; /* days since 0000-03-01 */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);                            /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                     /* March is 0 */
    unsigned day = doy - (153 * mp + 2) / 5 + 1;
    unsigned month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = (int64_t)yoe + era * 400 + (month <= 2);
    /* Years past 9999 do not fit RFC 3339's four digits: clamp rather than overflow. */
    year = year < 0 ? 0 : year > 9999 ? 9999 : year;
    memcpy(out, "0000-00-00T00:00:00.000Z", TIME_RFC3339_LEN);
    put_digits(out, (unsigned)year, 4);
    put_digits(out + 5, month, 2);
    put_digits(out + 8, day, 2);
    put_digits(out + 11, sod / 3600, 2);
    put_digits(out + 14, sod / 60 % 60, 2);
    put_digits(out + 17, sod % 60, 2);
    put_digits(out + 20, millis, 3);
}

/* Reads exactly n digits at *p, advancing it. */
static int read_digits(const char **p, int n, int *ret)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return SEAU_E_VALIDATION;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *ret = v;
    return 0;
}

static int expect(const char **p, char c)
{
    if (**p != c)
        return SEAU_E_VALIDATION;
    (*p)++;
    return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int time_parse_rfc3339(const char *s, int64_t *ret_ms)
{
    const char *p = s;
    int y, mo, d, h, mi, se, ms = 0;
    int rc = read_digits(&p, 4, &y);
    if (!rc) rc = expect(&p, '-');
    if (!rc) rc = read_digits(&p, 2, &mo);
    if (!rc) rc = expect(&p, '-');
    if (!rc) rc = read_digits(&p, 2, &d);
    if (!rc && *p != 'T' && *p != 't' && *p != ' ')
        rc = SEAU_E_VALIDATION;
    if (!rc) p++;
    if (!rc) rc = read_digits(&p, 2, &h);
    if (!rc) rc = expect(&p, ':');
    if (!rc) rc = read_digits(&p, 2, &mi);
    if (!rc) rc = expect(&p, ':');
    if (!rc) rc = read_digits(&p, 2, &se);
    if (rc)
        return rc;
    if (*p == '.') {
        p++;
        int scale = 100, digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (digits < 3)
                ms += (*p - '0') * scale;
            scale /= 10;
            digits++;
            p++;
        }
        if (digits == 0)
            return SEAU_E_VALIDATION;
    }
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        rc = read_digits(&p, 2, &oh);
        if (!rc) rc = expect(&p, ':');
        if (!rc) rc = read_digits(&p, 2, &om);
        if (rc || oh > 23 || om > 59)
            return SEAU_E_VALIDATION;
        offset_min = sign * (oh * 60 + om);
    } else {
        return SEAU_E_VALIDATION;
    }
    if (*p != '\0')
        return SEAU_E_VALIDATION;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
        return SEAU_E_VALIDATION;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return SEAU_E_VALIDATION;
    int64_t days = days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + (se == 60 ? 59 : se) - offset_min * 60;
    *ret_ms = secs * 1000 + ms;
    return 0;
}

void time_http_date(int64_t ms, char out[TIME_HTTP_DATE_LEN])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, TIME_HTTP_DATE_LEN, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
             tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
             tm.tm_sec);
}
