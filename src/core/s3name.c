#include "core/s3name.h"

#include "core/str.h"

#include <stdbool.h>
#include <string.h>

const char *s3name_bucket_problem(const char *bucket)
{
    /* S3's rules: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit, no "..". */
    size_t n = strlen(bucket);
    if (n < 3 || n > S3NAME_BUCKET_MAX)
        return "must be a bucket name of 3 to 63 characters";
    for (size_t i = 0; i < n; i++) {
        char c = bucket[i];
        bool edge = i == 0 || i == n - 1;
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (!edge && (c == '.' || c == '-'));
        if (!ok)
            return "must use lower-case letters, digits, dots and hyphens";
        if (c == '.' && bucket[i + 1] == '.')
            return "must not hold two dots in a row";
    }
    return NULL;
}

/* The rules keys and prefixes share. */
static const char *path_problem(const char *s, size_t n)
{
    if (n > S3NAME_KEY_MAX)
        return "must be at most 1024 bytes";
    if (!str_utf8_valid(s, n) || str_has_control(s, n))
        return "must be UTF-8 text without control characters";
    if (s[0] == '/')
        return "must not start with '/'";
    const char *seg = s;
    while (*seg) {
        size_t len = strcspn(seg, "/");
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return "must not contain '.' or '..' segments";
        seg += len;
        if (*seg == '/')
            seg++;
    }
    return NULL;
}

const char *s3name_key_problem(const char *key)
{
    size_t n = strlen(key);
    if (n == 0)
        return "must not be empty";
    return path_problem(key, n);
}

const char *s3name_prefix_problem(const char *prefix)
{
    size_t n = strlen(prefix);
    return n == 0 ? NULL : path_problem(prefix, n);
}
