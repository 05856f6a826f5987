/*
 * Cursors of the lists paged by a row id (activity, notifications, shares):
 * opaque to clients, base64url of one letter naming the list and the last id
 * shown, so a cursor from one list is refused by another.
 */
#include "api/api.h"

#include "core/err.h"
#include "core/str.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void api_id_cursor_encode(char list, int64_t id, char *out, size_t n)
{
    char raw[32];
    int len = snprintf(raw, sizeof(raw), "%c%lld", list, (long long)id);
    sodium_bin2base64(out, n, (const unsigned char *)raw, (size_t)len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int api_id_cursor_decode(char list, const char *s, int64_t *ret)
{
    unsigned char raw[32];
    size_t len = 0;
    if (strlen(s) > 40 ||
        sodium_base642bin(raw, sizeof(raw) - 1, s, strlen(s), NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len < 2 || raw[0] != (unsigned char)list)
        return SEAU_E_VALIDATION;
    raw[len] = '\0';
    return str_to_int64((const char *)raw + 1, 1, INT64_MAX, ret);
}
