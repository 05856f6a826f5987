#include "core/net.h"

#include "core/err.h"
#include "core/str.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int net_cidr_parse(const char *s, size_t len, struct net_cidr *ret)
{
    char text[INET6_ADDRSTRLEN + 8];
    if (len == 0 || len >= sizeof(text))
        return SEAU_E_VALIDATION;
    memcpy(text, s, len);
    text[len] = '\0';
    struct net_cidr c;
    memset(&c, 0, sizeof(c));
    char *slash = strchr(text, '/');
    int64_t bits = -1;
    if (slash) {
        *slash = '\0';
        if (str_to_int64(slash + 1, 0, 128, &bits))
            return SEAU_E_VALIDATION;
    }
    if (inet_pton(AF_INET, text, c.addr) == 1) {
        c.family = AF_INET;
        if (bits > 32)
            return SEAU_E_VALIDATION;
        c.bits = bits < 0 ? 32 : (int)bits;
    } else if (inet_pton(AF_INET6, text, c.addr) == 1) {
        c.family = AF_INET6;
        c.bits = bits < 0 ? 128 : (int)bits;
    } else {
        return SEAU_E_VALIDATION;
    }
    *ret = c;
    return 0;
}

int net_cidr_list_parse(const char *s, struct net_cidr_list *ret)
{
    struct net_cidr_list l = {.len = 0};
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != ',' && *end != ' ')
            end++;
        if (l.len == NET_MAX_CIDRS)
            return SEAU_E_RANGE;
        if (net_cidr_parse(p, (size_t)(end - p), &l.items[l.len]))
            return SEAU_E_VALIDATION;
        l.len++;
        p = end;
    }
    *ret = l;
    return 0;
}

static bool cidr_contains(const struct net_cidr *c, int family, const uint8_t *addr)
{
    if (c->family != family)
        return false;
    int full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->addr, addr, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return (c->addr[full] & mask) == (addr[full] & mask);
}

bool net_cidr_list_contains(const struct net_cidr_list *l, const char *text)
{
    uint8_t addr[16];
    int family;
    if (inet_pton(AF_INET, text, addr) == 1) {
        family = AF_INET;
    } else if (inet_pton(AF_INET6, text, addr) == 1) {
        family = AF_INET6;
        /* An IPv4-mapped IPv6 address matches IPv4 ranges too. */
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
        if (memcmp(addr, mapped, 12) == 0) {
            for (size_t i = 0; i < l->len; i++)
                if (cidr_contains(&l->items[i], AF_INET, addr + 12))
                    return true;
        }
    } else {
        return false;
    }
    for (size_t i = 0; i < l->len; i++)
        if (cidr_contains(&l->items[i], family, addr))
            return true;
    return false;
}

void net_addr_text(const struct sockaddr *sa, char *out, size_t outlen)
{
    const void *src = NULL;
    if (sa && sa->sa_family == AF_INET)
        src = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa && sa->sa_family == AF_INET6)
        src = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!src || !inet_ntop(sa->sa_family, src, out, (socklen_t)outlen))
        snprintf(out, outlen, "unknown");
}

int net_listen_parse(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return SEAU_E_VALIDATION;
    int64_t port;
    if (str_to_int64(colon + 1, 1, 65535, &port))
        return SEAU_E_VALIDATION;
    char host[INET6_ADDRSTRLEN];
    size_t hlen = (size_t)(colon - s);
    const char *h = s;
    if (h[0] == '[') {
        if (hlen < 2 || h[hlen - 1] != ']')
            return SEAU_E_VALIDATION;
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= sizeof(host))
        return SEAU_E_VALIDATION;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *ret_len = sizeof(*v4);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *ret_len = sizeof(*v6);
    } else {
        return SEAU_E_VALIDATION;
    }
    *ret = ss;
    return 0;
}
