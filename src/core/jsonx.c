#include "core/jsonx.h"

#include "core/err.h"
#include "core/str.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static void *wiping_malloc(size_t n)
{
    return malloc(n);
}

static void wiping_free(void *p)
{
    if (p)
        str_wipe(p, malloc_usable_size(p));
    free(p);
}

void jsonx_use_wiping_allocator(void)
{
    json_set_alloc_funcs(wiping_malloc, wiping_free);
}

int jsonx_depth(const char *p, size_t n)
{
    int depth = 0, max = 0;
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_string) {
            if (c == '\\')
                i++; /* Skip the escaped character, whatever it is. */
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            break;
        case '{':
        case '[':
            if (++depth > max)
                max = depth;
            break;
        case '}':
        case ']':
            if (--depth < 0)
                return -1;
            break;
        default:
            break;
        }
    }
    return depth == 0 ? max : -1;
}

int jsonx_parse_object(const char *p, size_t n, int max_depth, json_t **ret)
{
    int depth = jsonx_depth(p, n);
    if (depth < 0)
        return SEAU_E_BAD_REQUEST;
    if (depth > max_depth)
        return SEAU_E_TOO_LARGE;
    json_error_t error;
    json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &error);
    if (!j)
        return SEAU_E_BAD_REQUEST;
    if (!json_is_object(j)) {
        json_decref(j);
        return SEAU_E_BAD_REQUEST;
    }
    *ret = j;
    return 0;
}

void jsonx_check_init(struct jsonx_check *c)
{
    c->fields = json_object();
}

void jsonx_check_done(struct jsonx_check *c)
{
    json_decref(c->fields);
    c->fields = NULL;
}

void jsonx_check_fail(struct jsonx_check *c, const char *field, const char *message)
{
    /* The first problem of a field is the one worth reporting. */
    if (c->fields && !json_object_get(c->fields, field))
        json_object_set_new(c->fields, field, json_string(message));
}

bool jsonx_check_ok(const struct jsonx_check *c)
{
    return !c->fields || json_object_size(c->fields) == 0;
}

json_t *jsonx_check_take_details(struct jsonx_check *c)
{
    json_t *details = json_object();
    if (details && c->fields)
        json_object_set(details, "fields", c->fields);
    jsonx_check_done(c);
    return details;
}

const char *jsonx_get_string(struct jsonx_check *c, json_t *obj, const char *field, bool required,
                             size_t max_len)
{
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v)) {
        if (required)
            jsonx_check_fail(c, field, "is required");
        return NULL;
    }
    if (!json_is_string(v)) {
        jsonx_check_fail(c, field, "must be a string");
        return NULL;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0) {
        jsonx_check_fail(c, field, "must not be empty");
        return NULL;
    }
    if (len > max_len) {
        jsonx_check_fail(c, field, "is too long");
        return NULL;
    }
    /* jansson allows \u0000 inside strings; C strings cannot hold it. */
    if (strlen(s) != len || str_has_control(s, len)) {
        jsonx_check_fail(c, field, "must not contain control characters");
        return NULL;
    }
    return s;
}

bool jsonx_get_bool(struct jsonx_check *c, json_t *obj, const char *field, bool *ret)
{
    json_t *v = json_object_get(obj, field);
    if (!v)
        return false;
    if (!json_is_boolean(v)) {
        jsonx_check_fail(c, field, "must be true or false");
        return false;
    }
    *ret = json_is_true(v);
    return true;
}

void jsonx_reject_unknown(struct jsonx_check *c, json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool known = false;
        for (const char *const *a = allowed; *a; a++)
            known = known || strcmp(*a, key) == 0;
        if (!known)
            jsonx_check_fail(c, key, "is not a known field");
    }
}
