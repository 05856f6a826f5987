/*
 * Fuzzes the AWS shared-file parser (src/s3/ini.c) with both kinds of file,
 * then looks up the profiles and keys the credentials chain reads. The first
 * byte of the input picks the kind; the rest is the file.
 *
 * Invariants checked: a failure never returns a parsed file, a success never
 * reports a line past the end, and every value found is a NUL-terminated
 * string of at most S3_INI_MAX_LINE bytes.
 */
#include "s3/ini.h"

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    enum s3_ini_kind kind = (data[0] & 1) ? S3_INI_CONFIG : S3_INI_CREDENTIALS;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    struct s3_ini *ini = NULL;
    size_t line = 0;
    int rc = s3_ini_parse(text, len, kind, &ini, &line);
    if (rc != 0) {
        if (ini != NULL ||
            (rc != SEAU_E_VALIDATION && rc != SEAU_E_TOO_LARGE && rc != SEAU_E_NOMEM) ||
            line > len + 1)
            __builtin_trap();
        return 0;
    }
    static const char *const profiles[] = {"default", "dev", "profile dev", "a", ""};
    static const char *const keys[] = {
        "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "region", "k", ""};
    for (size_t p = 0; p < sizeof(profiles) / sizeof(profiles[0]); p++) {
        bool has = s3_ini_has_profile(ini, profiles[p]);
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            const char *v = s3_ini_get(ini, profiles[p], keys[k]);
            if (v && (!has || strlen(v) > S3_INI_MAX_LINE))
                __builtin_trap();
        }
    }
    s3_ini_free(ini);
    return 0;
}
