/*
 * AWS Signature Version 4 (STYLE.md rule 17).
 *
 * The signer is a pipeline of pure functions: it reads no clock, no
 * environment and no global state, and it never logs. The caller describes a
 * request with borrowed slices (struct sigv4_request), names the credentials,
 * scope and time (struct sigv4_params), and receives what must be added to
 * the request in buffers it owns.
 *
 * Path rules. The path in a request is the path exactly as it goes on the
 * wire, already percent-encoded (build it with sigv4_uri_encode() and
 * keep_slash). For service "s3" that path is the canonical URI as it stands:
 * S3 neither normalises nor encodes it again. For every other service the
 * signer encodes the path once more ("double encoding": a '%' on the wire
 * becomes "%25"), after removing dot segments and empty segments when
 * SIGV4_NORMALIZE_PATH is set. Query parameters, in contrast, are given
 * decoded; the signer encodes them.
 *
 * Ownership. Nothing in a request or in the params is copied beyond the call
 * or freed by the signer. Outputs are appended to caller-owned buffers (whose
 * maximum the caller chose with buf_init()), only on success: on failure every
 * output buffer is left exactly as it was. Copies of the secret and every key
 * derived from it are wiped before the signer returns.
 *
 * Errors: SEAU_E_VALIDATION for malformed input (a missing Host header, a
 * header name that is not a token, a value with CR or LF, a bad payload
 * hash...), SEAU_E_RANGE for a time or expiry out of range, SEAU_E_TOO_LARGE
 * when a limit below or an output buffer's maximum would be exceeded,
 * SEAU_E_NOMEM, and SEAU_E_INTERNAL if OpenSSL fails.
 */
#ifndef SEAU_S3_SIGV4_H
#define SEAU_S3_SIGV4_H

#include "core/buf.h"
#include "core/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The literal payload hash for bodies that are not signed. */
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* Room for a payload hash: 64 hex digits (or UNSIGNED-PAYLOAD) and a NUL. */
#define SIGV4_PAYLOAD_HASH_SIZE 65

/* Hard limits (STYLE.md rule 15). Past any of them the signer returns SEAU_E_TOO_LARGE. */
#define SIGV4_MAX_CANONICAL_REQUEST (64 * 1024) /* also bounds each of its parts */
#define SIGV4_MAX_HEADERS           100         /* headers in a request, before the signer's own */
#define SIGV4_MAX_QUERY_PARAMS      100         /* query parameters in a request */
#define SIGV4_MAX_SECRET            128         /* bytes of a secret access key */
#define SIGV4_MAX_SESSION_TOKEN     8192        /* bytes of a session token */
#define SIGV4_MAX_EXPIRES           604800      /* seconds a presigned URL may live (7 days) */

/* A name and a value, both borrowed. */
struct sigv4_pair {
    struct slice name;
    struct slice value;
};

/*
 * The request to sign; every field is borrowed for the duration of the call.
 *
 * path:    the path as sent, already percent-encoded, starting with '/'.
 *          For s3 it must be well formed (unreserved bytes, '/' and %XX only).
 * query:   the query parameters, decoded (name "prefix", value "a b/"); an
 *          empty value stands for both "name=" and a bare "name".
 * headers: every header to sign, with any case and unnormalised values; names
 *          are tokens and values hold no CR, LF or NUL. Host must be among
 *          them, with the exact value sent (keep a non-default port, drop
 *          :80 and :443). For header signing, X-Amz-Date and
 *          X-Amz-Content-SHA256 may be present if they equal what the signer
 *          would add (it then does not add them); Authorization and
 *          X-Amz-Security-Token may not.
 */
struct sigv4_request {
    struct slice method;
    struct slice path;
    const struct sigv4_pair *query;
    size_t query_count;
    const struct sigv4_pair *headers;
    size_t header_count;
};

/* Borrowed credentials. An empty session_token means none. */
struct sigv4_credentials {
    struct slice access_key_id;
    struct slice secret_access_key;
    struct slice session_token;
};

enum sigv4_flags {
    /* Generic services only: remove "." and ".." segments and empty segments
     * ("//") from the path before encoding it. Rejected for s3. */
    SIGV4_NORMALIZE_PATH = 1u << 0,
    /* Header signing: add and sign x-amz-content-sha256. Always on for s3;
     * presigning ignores it, as the payload hash is not sent there. */
    SIGV4_SIGN_BODY = 1u << 1,
    /* Send the session token but leave it out of the signature (the
     * "token added after signing" variant some services expect). */
    SIGV4_OMIT_SESSION_TOKEN = 1u << 2,
};

/*
 * What to sign with. payload_hash is the value from sigv4_payload_hash(),
 * SIGV4_UNSIGNED_PAYLOAD included (S3 presigned URLs always use it).
 * now is the injected clock: the signer never reads the time itself.
 * expires is used by sigv4_presign() only (1 to SIGV4_MAX_EXPIRES seconds).
 */
struct sigv4_params {
    const struct sigv4_credentials *credentials;
    struct slice region;
    struct slice service;
    time_t now;
    struct slice payload_hash;
    unsigned flags; /* enum sigv4_flags */
    uint32_t expires;
};

/*
 * Appends in, percent-encoded for SigV4: A-Z a-z 0-9 - _ . ~ stay, '/' stays
 * when keep_slash is true (paths), and every other byte becomes %XX with
 * uppercase hex (a space is %20, never '+'). Use it to build the path that is
 * sent, from an object key. O(n); the output is at most 3n bytes.
 */
int sigv4_uri_encode(struct slice in, bool keep_slash, struct buf *ret);

/*
 * Writes the payload hash into ret: the lowercase hex SHA-256 of body[0..len)
 * when sign_payload is true, or SIGV4_UNSIGNED_PAYLOAD when it is false (body
 * is then not read). The whole body is hashed in memory; stream large uploads
 * with UNSIGNED-PAYLOAD instead.
 */
int sigv4_payload_hash(const void *body, size_t len, bool sign_payload,
                       char ret[SIGV4_PAYLOAD_HASH_SIZE]);

/*
 * Appends the canonical query string: each name and value encoded, sorted by
 * encoded name and then encoded value, joined with '=' and '&' ("acl=" for a
 * parameter without a value). It is also a valid query string to send, which
 * guarantees that what is sent is what was signed. Takes at most
 * SIGV4_MAX_QUERY_PARAMS + 6 parameters (room for what presigning adds).
 */
int sigv4_canonical_query(const struct sigv4_pair *query, size_t count, struct buf *ret);

/*
 * Signs req for the Authorization header.
 *
 * On success appends the Authorization value
 * ("AWS4-HMAC-SHA256 Credential=AK/20240115/us-east-1/s3/aws4_request,
 * SignedHeaders=host;x-amz-date, Signature=<hex>") to ret_authorization, and
 * to ret_headers the headers the caller must add to the request, one
 * "Name: value\r\n" line each: X-Amz-Date, X-Amz-Content-SHA256 (s3 or
 * SIGV4_SIGN_BODY, unless the request already carries them) and
 * X-Amz-Security-Token when the credentials have a token. Authorization itself
 * is not among those lines.
 */
int sigv4_sign_headers(const struct sigv4_request *req, const struct sigv4_params *params,
                       struct buf *ret_authorization, struct buf *ret_headers);

/*
 * Presigns req for a query-string authenticated URL.
 *
 * On success appends to ret_query the full query string to send after '?':
 * the request's own parameters and X-Amz-Algorithm, X-Amz-Credential,
 * X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and, with a token,
 * X-Amz-Security-Token, all encoded and sorted, then X-Amz-Signature last.
 * Every request header is signed, so the caller of the URL must send the same
 * headers (Host at least). The request's query may not contain X-Amz-*
 * authentication parameters, and for s3 the payload hash must be
 * SIGV4_UNSIGNED_PAYLOAD.
 */
int sigv4_presign(const struct sigv4_request *req, const struct sigv4_params *params,
                  struct buf *ret_query);

#endif
