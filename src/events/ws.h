/*
 * The WebSocket opening handshake (RFC 6455 section 4.2), server side: the
 * checks on the client's request and the Sec-WebSocket-Accept answer. The
 * framing itself is wslay's (events/hub.c).
 */
#ifndef SEAU_EVENTS_WS_H
#define SEAU_EVENTS_WS_H

#include <stdbool.h>

#define WS_ACCEPT_LEN 28 /* base64 of a SHA-1 */

/*
 * Sec-WebSocket-Accept for the client's Sec-WebSocket-Key: base64(SHA-1(key
 * + the RFC's GUID)), into out. Returns 0, or SEAU_E_BAD_REQUEST when key is
 * not the base64 of 16 bytes (the RFC's nonce), SEAU_E_INTERNAL when
 * OpenSSL fails.
 */
int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1]);

/*
 * True when the comma-separated header value holds token, compared without
 * regard to case and surrounding blanks ("keep-alive, Upgrade" holds
 * "upgrade"). NULL holds nothing.
 */
bool ws_header_has_token(const char *value, const char *token);

#endif
