/*
 * Sending one plain-text mail through an SMTP server with libcurl (smtp://,
 * with STARTTLS when the server offers it, or smtps://; a user and password
 * in the URL are used for SMTP AUTH).
 *
 * mail_send blocks until the server accepted the message or the timeout
 * passed: call it where blocking is acceptable (Seau runs it on an offload
 * thread of the HTTP server, api/invitations.c). Nothing here logs; the URL
 * is a secret and is never part of an error.
 */
#ifndef SEAU_CORE_MAIL_H
#define SEAU_CORE_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mail_server {
    const char *url;    /* smtp://host:port, smtps://user:pass@host (a secret) */
    const char *from;   /* the sender's address */
    int64_t timeout_ms; /* the whole exchange; the connection gets at most half */
};

/*
 * Whether addr may be put in a header and an SMTP envelope as is: one '@',
 * no spaces, angle brackets, quotes, commas, semicolons, backslashes or
 * control characters, at most 254 bytes.
 */
bool mail_address_ok(const char *addr);

/*
 * The message (RFC 5322, CRLF line ends, UTF-8 body in 8bit) in a new
 * string (free()): From, To, Subject (ASCII), Date (time now, ms), a
 * Message-ID on from's domain, and body, whose line ends become CRLF.
 * Returns NULL when an address is not mail_address_ok, subject is not
 * printable ASCII, or memory runs out.
 */
char *mail_message_new(const char *from, const char *to, const char *subject, const char *body,
                       int64_t now);

/*
 * Sends message (from mail_message_new) to one recipient. Returns 0 once
 * the server accepted it, SEAU_E_VALIDATION for an address that is not
 * mail_address_ok, SEAU_E_UNAVAILABLE when the server could not be reached,
 * refused it or the timeout passed, SEAU_E_NOMEM.
 */
int mail_send(const struct mail_server *s, const char *to, const char *message);

#endif
