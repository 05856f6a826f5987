/* Addresses and CIDR ranges (IPv4 and IPv6), for listen addresses and trusted proxies. */
#ifndef SEAU_CORE_NET_H
#define SEAU_CORE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct net_cidr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    int bits;
};

#define NET_MAX_CIDRS 64

struct net_cidr_list {
    struct net_cidr items[NET_MAX_CIDRS];
    size_t len;
};

/* Parses "10.0.0.0/8", "::1", "192.168.1.7" (a host is /32 or /128). */
int net_cidr_parse(const char *s, size_t len, struct net_cidr *ret);
/*
 * Parses a comma-separated list (spaces allowed). Returns 0,
 * SEAU_E_VALIDATION naming nothing (the caller reports the whole value),
 * or SEAU_E_RANGE for more than NET_MAX_CIDRS entries.
 */
int net_cidr_list_parse(const char *s, struct net_cidr_list *ret);

/* True when the textual address text is inside one of the ranges. */
bool net_cidr_list_contains(const struct net_cidr_list *l, const char *text);

/* Formats a socket address as text without port ("127.0.0.1", "::1"). */
void net_addr_text(const struct sockaddr *sa, char *out, size_t outlen);

/*
 * Parses a listen address "host:port" or "[v6]:port" into a socket
 * address. Host names other than "localhost" are refused: a listen
 * address is an IP. Returns 0 or SEAU_E_VALIDATION.
 */
int net_listen_parse(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len);

#endif
