/*
 * Every API endpoint, in one table (STYLE.md rule 5). The server checks the
 * role and the body limit from here before a handler runs. Keep
 * openapi.json in step: a unit test compares the two.
 */
#include "api/api.h"

#define KiB 1024

const struct http_route api_routes[] = {
    /* method   pattern                   handler           least role    body limit */
    {"GET", "/api/health", api_health, HTTP_PUBLIC, 0},
    {"GET", "/api/ready", api_ready, HTTP_PUBLIC, 0},
    {"GET", "/api/metrics", api_metrics, HTTP_PUBLIC, 0},
    {"GET", "/api/openapi.json", api_openapi, HTTP_PUBLIC, 0},
    {"POST", "/api/auth/login", api_login, HTTP_PUBLIC, 4 * KiB},
    {"POST", "/api/auth/logout", api_logout, HTTP_USER, 1 * KiB},
    {"GET", "/api/auth/me", api_me, HTTP_USER, 0},
    {"GET", "/api/users", api_users_list, HTTP_MANAGER, 0},
    {"POST", "/api/users", api_users_create, HTTP_ADMIN, 8 * KiB},
    {"PATCH", "/api/users/{id}", api_users_update, HTTP_USER, 8 * KiB},
    {"DELETE", "/api/users/{id}", api_users_delete, HTTP_ADMIN, 0},
    {"GET", "/api/users/{id}/grants", api_grants_get, HTTP_ADMIN, 0},
    {"PUT", "/api/users/{id}/grants", api_grants_put, HTTP_ADMIN, 320 * KiB},
    {"GET", "/api/activity", api_activity, HTTP_MANAGER, 0},
    {"GET", "/api/search", api_search, HTTP_USER, 0},
    {"DELETE", "/api/delete/{key...}", api_delete_one, HTTP_USER, 0},
    {"POST", "/api/delete", api_delete_many, HTTP_USER, 256 * KiB},
    {"GET", "/api/buckets", api_buckets, HTTP_USER, 0},
    {"GET", "/api/list", api_list, HTTP_USER, 0},
    {"GET", "/api/object", api_object, HTTP_USER, 0},
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
