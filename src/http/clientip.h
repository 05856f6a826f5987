/* Which address a request really comes from, given the proxies we trust. */
#ifndef SEAU_HTTP_CLIENTIP_H
#define SEAU_HTTP_CLIENTIP_H

#include "core/net.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Writes the client's address into out. X-Forwarded-For (xff, may be NULL)
 * is believed only when the peer is a trusted proxy; it is then read from
 * the right, skipping trusted proxies, and the first address that is not
 * one is the client. Malformed entries stop the walk at the last good
 * address. Returns true when the peer itself is a trusted proxy.
 */
bool http_client_ip(const char *peer, const char *xff, const struct net_cidr_list *trusted,
                    char *out, size_t outlen);

#endif
