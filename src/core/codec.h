/*
 * Hex digits and percent-encoding, once for every module (URLs, S3's
 * encoding-type=url answers, form bodies, RFC 8187 parameters).
 *
 * Decoding never yields a NUL byte: every caller hands the result on as a C
 * string, so "%00" is refused like a malformed escape.
 */
#ifndef SEAU_CORE_CODEC_H
#define SEAU_CORE_CODEC_H

#include <stddef.h>

#include "core/buf.h"
#include "core/str.h"

/* The value of one hex digit (either case), or -1 for any other byte. */
int codec_hex_value(char c);

/* Reads "+" as a space (application/x-www-form-urlencoded, and S3's
 * encoding-type=url as botocore reads it; see s3/xml.c). */
#define CODEC_PLUS_SPACE 1u

/*
 * Percent-decodes in into out, a buffer of cap bytes that receives the
 * result and a NUL; out may be in.p (decoding only shrinks). Returns 0 and
 * writes the decoded length (NUL not counted) to *ret_len;
 * SEAU_E_VALIDATION for a "%" not followed by two hex digits or one that
 * decodes to NUL; SEAU_E_TOO_LARGE when out is too small. A literal NUL in
 * the input is copied as it is (callers that refuse it check first).
 * O(in.len).
 */
int codec_percent_decode(struct slice in, unsigned flags, char *out, size_t cap, size_t *ret_len);

/*
 * Appends in to b percent-encoded as RFC 3986 (and SigV4) want it: the
 * unreserved bytes A-Z a-z 0-9 - . _ ~ and those in keep (NULL: none) stay,
 * every other byte becomes "%XX" in uppercase hex. Returns 0 or the buf's
 * error; on error b is left as it was.
 */
int codec_percent_encode(struct buf *b, struct slice in, const char *keep);

#endif
