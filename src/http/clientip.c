#include "http/clientip.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* Copies one trimmed list element into out; false when it is not an IP address. */
static bool element_ip(const char *p, size_t n, char *out, size_t outlen)
{
    while (n > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= outlen || n >= INET6_ADDRSTRLEN)
        return false;
    char text[INET6_ADDRSTRLEN];
    memcpy(text, p, n);
    text[n] = '\0';
    unsigned char bin[16];
    if (inet_pton(AF_INET, text, bin) != 1 && inet_pton(AF_INET6, text, bin) != 1)
        return false;
    memcpy(out, text, n + 1);
    return true;
}

bool http_client_ip(const char *peer, const char *xff, const struct net_cidr_list *trusted,
                    char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", peer);
    bool peer_trusted = trusted && trusted->len > 0 && net_cidr_list_contains(trusted, peer);
    if (!peer_trusted || !xff)
        return peer_trusted;
    size_t end = strlen(xff);
    while (end > 0) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        char ip[INET6_ADDRSTRLEN];
        if (!element_ip(xff + start, end - start, ip, sizeof(ip)))
            break;
        snprintf(out, outlen, "%s", ip);
        if (!net_cidr_list_contains(trusted, ip))
            break;
        end = start > 0 ? start - 1 : 0;
    }
    return true;
}
