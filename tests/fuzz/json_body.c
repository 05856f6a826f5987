/*
 * Fuzzes request-body JSON handling: the depth pre-scan, jansson with our
 * flags, and the field validators handlers run on the parsed object.
 */
#include "core/jsonx.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    int depth = jsonx_depth(p, size);
    json_t *obj = NULL;
    int rc = jsonx_parse_object(p, size, 16, &obj);
    if (rc == 0) {
        /* A body that parsed must have passed the depth check. */
        if (depth < 1 || depth > 16)
            __builtin_trap();
        struct jsonx_check c;
        jsonx_check_init(&c);
        static const char *const allowed[] = {"email", "name", "password", "role", NULL};
        jsonx_reject_unknown(&c, obj, allowed);
        const char *s = jsonx_get_string(&c, obj, "email", true, 254);
        if (s && strlen(s) > 254)
            __builtin_trap();
        jsonx_get_string(&c, obj, "name", false, 200);
        bool b;
        jsonx_get_bool(&c, obj, "disabled", &b);
        json_decref(jsonx_check_take_details(&c));
        json_decref(obj);
    }
    return 0;
}
