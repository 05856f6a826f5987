/*
 * Fuzzes everything that reads a request line before a handler runs: the
 * route matcher over the real route table, the static-file path check and
 * the client address logic. Input: method NUL path NUL x-forwarded-for.
 */
#include "api/api.h"
#include "core/net.h"
#include "http/clientip.h"
#include "http/router.h"
#include "http/static.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 3);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = buf[size + 2] = '\0';
    const char *method = buf;
    const char *path = method + strlen(method) + 1;
    const char *xff = path + strlen(path) + 1;
    if (path > buf + size)
        path = "";
    if (xff > buf + size)
        xff = "";

    struct http_match m;
    int rc = http_router_match(api_routes, api_nroutes, method, path, &m);
    if (rc == 0) {
        /* Parameters must point inside the path. */
        for (size_t i = 0; i < m.nparams; i++)
            if (m.params[i].p < path || m.params[i].p + m.params[i].len > path + strlen(path))
                __builtin_trap();
    }
    if (http_static_path_ok(path) && strstr(path, "/../"))
        __builtin_trap();
    static struct net_cidr_list trusted;
    if (trusted.len == 0)
        net_cidr_list_parse("127.0.0.0/8, 10.0.0.0/8, ::1", &trusted);
    char ip[64];
    http_client_ip("127.0.0.1", xff, &trusted, ip, sizeof(ip));
    free(buf);
    return 0;
}
