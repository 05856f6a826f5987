/*
 * Tests of src/api/routes.c: the route table and the OpenAPI document
 * (src/api/openapi.json, embedded in the binary) describe the same API,
 * and the router finds the right entry of the real table.
 */
#include "../testutil.h"

#include "api/api.h"
#include "core/embed.h"
#include "core/err.h"

#include <jansson.h>
#include <strings.h>

#define OPENAPI_PATH "src/api/openapi.json"

/* The methods an OpenAPI path item may hold as keys; any other key is not an operation. */
static const char *const openapi_methods[] = {"get",     "put",  "post",  "delete",
                                              "options", "head", "patch", "trace"};

static const char *const access_names[] = {[HTTP_PUBLIC] = "public",
                                           [HTTP_USER] = "user",
                                           [HTTP_MANAGER] = "manager",
                                           [HTTP_ADMIN] = "admin"};

/* Parses the embedded document once per test; the group fixture owns it. */
static int doc_setup(void **state)
{
    const struct embedded_file *f = embed_find(OPENAPI_PATH);
    if (!f)
        return -1;
    json_error_t error;
    json_t *doc = json_loadb(f->data, f->len, JSON_REJECT_DUPLICATES, &error);
    if (!doc) {
        fprintf(stderr, "%s:%d:%d: %s\n", OPENAPI_PATH, error.line, error.column, error.text);
        return -1;
    }
    *state = doc;
    return 0;
}

static int doc_teardown(void **state)
{
    json_decref(*state);
    return 0;
}

/* Lower-cases an HTTP method into out ("PATCH" -> "patch"). */
static void lower(const char *method, char *out, size_t n)
{
    size_t i = 0;
    for (; method[i] && i + 1 < n; i++) {
        char c = method[i];
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[i] = '\0';
}

/* The operation object for a route, or NULL when the document lacks it. */
static json_t *operation_of(json_t *doc, const struct http_route *r)
{
    char key[16];
    lower(r->method, key, sizeof(key));
    return json_object_get(json_object_get(json_object_get(doc, "paths"), r->pattern), key);
}

static bool is_openapi_method(const char *key)
{
    for (size_t i = 0; i < sizeof(openapi_methods) / sizeof(openapi_methods[0]); i++)
        if (strcmp(key, openapi_methods[i]) == 0)
            return true;
    return false;
}

static void test_version(void **state)
{
    json_t *doc = *state;
    const char *v = json_string_value(json_object_get(doc, "openapi"));
    assert_non_null(v);
    assert_int_equal(strncmp(v, "3.1", 3), 0);
    assert_true(json_is_object(json_object_get(doc, "paths")));
    assert_true(json_is_object(json_object_get(doc, "info")));
}

/* (a) Every route of the table is in the document, under its own method. */
static void test_every_route_documented(void **state)
{
    json_t *doc = *state;
    assert_true(api_nroutes > 0);
    for (size_t i = 0; i < api_nroutes; i++) {
        const struct http_route *r = &api_routes[i];
        json_t *op = operation_of(doc, r);
        if (!json_is_object(op))
            fail_msg("%s %s is in the route table but not in %s", r->method, r->pattern,
                     OPENAPI_PATH);
        assert_true(json_is_object(json_object_get(op, "responses")));
    }
}

/* (b) Every operation of the document is a route of the table. */
static void test_every_operation_routed(void **state)
{
    json_t *doc = *state;
    const char *path;
    json_t *item;
    size_t operations = 0;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        const char *key;
        json_t *op;
        json_object_foreach(item, key, op)
        {
            if (!is_openapi_method(key))
                continue;
            operations++;
            bool found = false;
            for (size_t i = 0; i < api_nroutes && !found; i++) {
                char m[16];
                lower(api_routes[i].method, m, sizeof(m));
                found = strcmp(api_routes[i].pattern, path) == 0 && strcmp(m, key) == 0;
            }
            if (!found)
                fail_msg("%s %s is in %s but not in the route table", key, path, OPENAPI_PATH);
        }
    }
    /* With (a), equal counts also rule out the same route listed twice in the table. */
    assert_int_equal(operations, api_nroutes);
}

/*
 * (c) Public routes say "security: []"; the others inherit the document's
 * non-empty default (cookie or bearer) or name schemes of their own.
 */
static void test_security(void **state)
{
    json_t *doc = *state;
    json_t *global = json_object_get(doc, "security");
    assert_true(json_is_array(global));
    assert_true(json_array_size(global) > 0);
    json_t *schemes = json_object_get(json_object_get(doc, "components"), "securitySchemes");
    json_t *cookie = json_object_get(schemes, "cookieAuth");
    assert_string_equal(json_string_value(json_object_get(cookie, "type")), "apiKey");
    assert_string_equal(json_string_value(json_object_get(cookie, "in")), "cookie");
    assert_string_equal(json_string_value(json_object_get(cookie, "name")), AUTH_COOKIE_NAME);
    json_t *bearer = json_object_get(schemes, "bearerAuth");
    assert_string_equal(json_string_value(json_object_get(bearer, "type")), "http");
    assert_string_equal(json_string_value(json_object_get(bearer, "scheme")), "bearer");

    for (size_t i = 0; i < api_nroutes; i++) {
        const struct http_route *r = &api_routes[i];
        json_t *sec = json_object_get(operation_of(doc, r), "security");
        if (r->access == HTTP_PUBLIC) {
            if (!json_is_array(sec) || json_array_size(sec) != 0)
                fail_msg("%s %s is public but lacks \"security\": []", r->method, r->pattern);
        } else if (sec && (!json_is_array(sec) || json_array_size(sec) == 0)) {
            fail_msg("%s %s needs a session but its \"security\" is empty", r->method, r->pattern);
        }
    }
}

/* The document's x-seau-access and x-seau-body-limit repeat the table's role and body limit. */
static void test_access_and_body_limit(void **state)
{
    json_t *doc = *state;
    for (size_t i = 0; i < api_nroutes; i++) {
        const struct http_route *r = &api_routes[i];
        json_t *op = operation_of(doc, r);
        const char *access = json_string_value(json_object_get(op, "x-seau-access"));
        if (!access || strcmp(access, access_names[r->access]) != 0)
            fail_msg("%s %s: x-seau-access is %s, the table says %s", r->method, r->pattern,
                     access ? access : "missing", access_names[r->access]);
        json_t *limit = json_object_get(op, "x-seau-body-limit");
        if (!json_is_integer(limit) || (size_t)json_integer_value(limit) != r->body_limit)
            fail_msg("%s %s: x-seau-body-limit is %lld, the table says %zu", r->method, r->pattern,
                     json_is_integer(limit) ? (long long)json_integer_value(limit) : -1,
                     r->body_limit);
        /* A route that takes no body documents none, and one that parses JSON documents it. */
        json_t *body = json_object_get(op, "requestBody");
        if (r->body_limit == 0 && body)
            fail_msg("%s %s accepts no body but documents one", r->method, r->pattern);
    }
}

/* Follows a local "$ref" to "#/components/parameters/NAME"; other objects as they are. */
static json_t *resolve_parameter(json_t *doc, json_t *p)
{
    const char *ref = json_string_value(json_object_get(p, "$ref"));
    static const char prefix[] = "#/components/parameters/";
    if (!ref)
        return p;
    if (strncmp(ref, prefix, sizeof(prefix) - 1) != 0)
        return NULL;
    return json_object_get(json_object_get(json_object_get(doc, "components"), "parameters"),
                           ref + sizeof(prefix) - 1);
}

static bool has_path_parameter(json_t *doc, json_t *list, const char *name, size_t len)
{
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        json_t *r = resolve_parameter(doc, p);
        const char *in = json_string_value(json_object_get(r, "in"));
        const char *n = json_string_value(json_object_get(r, "name"));
        if (in && n && strcmp(in, "path") == 0 && strlen(n) == len && memcmp(n, name, len) == 0 &&
            json_is_true(json_object_get(r, "required")))
            return true;
    }
    return false;
}

/* Every "{name}" of a pattern is a required path parameter of its operation. */
static void test_path_parameters(void **state)
{
    json_t *doc = *state;
    for (size_t i = 0; i < api_nroutes; i++) {
        const struct http_route *r = &api_routes[i];
        json_t *item = json_object_get(json_object_get(doc, "paths"), r->pattern);
        json_t *op = operation_of(doc, r);
        for (const char *p = strchr(r->pattern, '{'); p; p = strchr(p + 1, '{')) {
            const char *end = strchr(p, '}');
            assert_non_null(end);
            size_t len = (size_t)(end - p - 1);
            if (!has_path_parameter(doc, json_object_get(item, "parameters"), p + 1, len) &&
                !has_path_parameter(doc, json_object_get(op, "parameters"), p + 1, len))
                fail_msg("%s %s: path parameter %.*s is not documented", r->method, r->pattern,
                         (int)len, p + 1);
        }
    }
}

/*
 * Every route is reachable: a concrete path made from its pattern (each
 * parameter "1") finds that very route, not an earlier one that shadows it.
 */
static void test_no_route_shadowed(void **state)
{
    (void)state;
    for (size_t i = 0; i < api_nroutes; i++) {
        const struct http_route *r = &api_routes[i];
        char path[256];
        size_t n = 0;
        for (const char *p = r->pattern; *p && n + 2 < sizeof(path);) {
            if (*p == '{') {
                const char *end = strchr(p, '}');
                assert_non_null(end);
                path[n++] = '1';
                p = end + 1;
            } else {
                path[n++] = *p++;
            }
        }
        path[n] = '\0';
        struct http_match m;
        int rc = http_router_match(api_routes, api_nroutes, r->method, path, &m);
        if (rc != 0 || m.route != r)
            fail_msg("%s %s does not reach %s (%s)", r->method, path, r->pattern, err_name(rc));
    }
}

/* http_router_match against the real table. */
static void test_router_match(void **state)
{
    (void)state;
    static const struct {
        const char *method, *path;
        int want_rc;
        const char *want_pattern; /* on success */
        const char *want_method;  /* of the route found */
        const char *want_param;   /* the first parameter, or NULL for none */
        const char *want_allow;   /* on SEAU_E_METHOD */
    } cases[] = {
        {"GET", "/api/users/12/grants", 0, "/api/users/{id}/grants", "GET", "12", NULL},
        {"PUT", "/api/users/12/grants", 0, "/api/users/{id}/grants", "PUT", "12", NULL},
        {"PATCH", "/api/users/7", 0, "/api/users/{id}", "PATCH", "7", NULL},
        {"DELETE", "/api/users/abc", 0, "/api/users/{id}", "DELETE", "abc", NULL},
        {"GET", "/api/users", 0, "/api/users", "GET", NULL, NULL},
        {"POST", "/api/users", 0, "/api/users", "POST", NULL, NULL},
        {"GET", "/api/health", 0, "/api/health", "GET", NULL, NULL},
        {"HEAD", "/api/health", 0, "/api/health", "GET", NULL, NULL}, /* GET answers HEAD */
        {"HEAD", "/api/users/3/grants", 0, "/api/users/{id}/grants", "GET", "3", NULL},
        {"GET", "/api/openapi.json", 0, "/api/openapi.json", "GET", NULL, NULL},
        {"GET", "/api/users/", SEAU_E_NOT_FOUND, NULL, NULL, NULL, NULL}, /* empty {id} */
        {"GET", "/api/users//grants", SEAU_E_NOT_FOUND, NULL, NULL, NULL, NULL},
        {"GET", "/api/users/1/grants/x", SEAU_E_NOT_FOUND, NULL, NULL, NULL, NULL},
        {"GET", "/api/users/1/grants/", SEAU_E_NOT_FOUND, NULL, NULL, NULL, NULL},
        {"GET", "/api/auth/me/", SEAU_E_NOT_FOUND, NULL, NULL, NULL, NULL},
        {"GET", "/api/health/", SEAU_E_NOT_FOUND, NULL, NULL, NULL, NULL},
        {"GET", "/API/health", SEAU_E_NOT_FOUND, NULL, NULL, NULL, NULL}, /* case-sensitive */
        {"GET", "/api", SEAU_E_NOT_FOUND, NULL, NULL, NULL, NULL},
        {"GET", "/", SEAU_E_NOT_FOUND, NULL, NULL, NULL, NULL},
        {"GET", "", SEAU_E_NOT_FOUND, NULL, NULL, NULL, NULL},
        {"GET", "api/health", SEAU_E_NOT_FOUND, NULL, NULL, NULL, NULL},
        {"DELETE", "/api/health", SEAU_E_METHOD, NULL, NULL, NULL, "GET, HEAD"},
        {"POST", "/api/auth/me", SEAU_E_METHOD, NULL, NULL, NULL, "GET, HEAD"},
        {"GET", "/api/auth/login", SEAU_E_METHOD, NULL, NULL, NULL, "POST"},
        {"HEAD", "/api/auth/logout", SEAU_E_METHOD, NULL, NULL, NULL, "POST"},
        {"PUT", "/api/users", SEAU_E_METHOD, NULL, NULL, NULL, "GET, HEAD, POST"},
        {"GET", "/api/users/7", SEAU_E_METHOD, NULL, NULL, NULL, "PATCH, DELETE"},
        {"DELETE", "/api/users/7/grants", SEAU_E_METHOD, NULL, NULL, NULL, "GET, HEAD, PUT"},
        {"get", "/api/health", SEAU_E_METHOD, NULL, NULL, NULL,
         "GET, HEAD"}, /* methods are case-sensitive */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_match m;
        memset(&m, 0xA5, sizeof(m)); /* whatever the caller had there must not leak through */
        int rc = http_router_match(api_routes, api_nroutes, cases[i].method, cases[i].path, &m);
        if (rc != cases[i].want_rc)
            fail_msg("case %zu: %s %s gave %s, want %s", i, cases[i].method, cases[i].path,
                     err_name(rc), err_name(cases[i].want_rc));
        if (rc == 0) {
            assert_non_null(m.route);
            assert_string_equal(m.route->pattern, cases[i].want_pattern);
            assert_string_equal(m.route->method, cases[i].want_method);
            assert_int_equal(m.nparams, cases[i].want_param ? 1 : 0);
            if (cases[i].want_param) {
                size_t len = strlen(cases[i].want_param);
                assert_int_equal(m.params[0].len, len);
                assert_memory_equal(m.params[0].p, cases[i].want_param, len);
            }
            assert_string_equal(m.allow, "");
        } else {
            assert_null(m.route);
            assert_int_equal(m.nparams, 0);
            assert_string_equal(m.allow, cases[i].want_allow ? cases[i].want_allow : "");
        }
    }
}

/*
 * The preamble flags are well formed: only known bits; a caller is loaded
 * only where there is one (not on public routes); a JSON body only where the
 * route accepts a buffered body; and the handlers that read what a flag
 * prepares (api_who, api_json) sit on routes that carry it.
 */
static void test_preamble_flags(void **state)
{
    (void)state;
    const unsigned known =
        HTTP_SAME_ORIGIN | HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER | HTTP_OFFLOAD;
    for (size_t i = 0; i < api_nroutes; i++) {
        const struct http_route *r = &api_routes[i];
        assert_int_equal(r->flags & ~known, 0);
        if (r->flags & HTTP_LOADS_CALLER)
            assert_int_not_equal(r->access, HTTP_PUBLIC);
        if (r->flags & HTTP_JSON_BODY) {
            assert_true(r->body_limit > 0);
            assert_true(r->body_limit != HTTP_BODY_STREAMED);
        }
    }
    static const struct {
        http_handler h;
        unsigned flags;
    } need[] = {
        {api_buckets, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
        {api_list, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
        {api_object, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
        {api_search, HTTP_LOADS_CALLER},
        {api_stats, HTTP_LOADS_CALLER},
        {api_delete_one, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
        {api_delete_many, HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
        {api_copy, HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
        {api_rename, HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
        {api_folders_create, HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
        {api_upload, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
        {api_uploads_create, HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
        {api_uploads_get, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
        {api_uploads_parts, HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
        {api_uploads_complete, HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
        {api_uploads_abort, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
        {api_shares_create, HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
        {api_shares_list, HTTP_LOADS_CALLER},
        {api_shares_revoke, HTTP_LOADS_CALLER},
        {api_login, HTTP_SAME_ORIGIN | HTTP_JSON_BODY},
        {api_users_create, HTTP_JSON_BODY},
    };
    for (size_t k = 0; k < sizeof(need) / sizeof(need[0]); k++) {
        bool found = false;
        for (size_t i = 0; i < api_nroutes; i++) {
            if (api_routes[i].handler != need[k].h)
                continue;
            found = true;
            assert_int_equal(api_routes[i].flags & need[k].flags, need[k].flags);
        }
        assert_true(found);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_every_route_documented),
        cmocka_unit_test(test_every_operation_routed),
        cmocka_unit_test(test_security),
        cmocka_unit_test(test_access_and_body_limit),
        cmocka_unit_test(test_path_parameters),
        cmocka_unit_test(test_no_route_shadowed),
        cmocka_unit_test(test_router_match),
        cmocka_unit_test(test_preamble_flags),
    };
    return cmocka_run_group_tests(tests, doc_setup, doc_teardown);
}
