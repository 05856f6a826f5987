/*
 * Growable output buffers with a hard maximum (STYLE.md rule 13).
 *
 * A buf is embedded by value: buf_init() sets its limit, buf_done() frees
 * the storage. Exceeding the limit is an error (SEAU_E_TOO_LARGE), never a
 * bigger allocation. The content is always NUL-terminated once anything was
 * appended, so it can be handed to C APIs; the NUL is not counted in len
 * and not counted against max.
 */
#ifndef SEAU_CORE_BUF_H
#define SEAU_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};

void buf_init(struct buf *b, size_t max);
/* Frees the storage; the buf may be reused after buf_init(). Accepts NULL. */
void buf_done(struct buf *b);
/* Like buf_done(), but wipes the bytes first: for secrets (rule 16). */
void buf_done_secure(struct buf *b);
void buf_reset(struct buf *b);

/* Each returns 0, SEAU_E_TOO_LARGE past max, or SEAU_E_NOMEM. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_append_char(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* The content as a C string ("" when empty); owned by the buf. */
const char *buf_cstr(const struct buf *b);

/*
 * Hands the storage to the caller (free() it) and leaves the buf empty.
 * Returns NULL only for out of memory.
 */
char *buf_take(struct buf *b);

#endif
