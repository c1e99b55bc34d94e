/*
 * struct buf: a length-carrying byte buffer with a hard cap (curl's dynbuf,
 * git's strbuf). The contents are always NUL-terminated so they can be passed
 * to C string APIs, but the length is authoritative (contents may hold NULs).
 *
 *   struct buf b;
 *   buf_init(&b, 1 << 20);          // grows up to 1 MiB, never more
 *   if (buf_append(&b, p, n) < 0)   // -E2BIG when the cap would be passed
 *   ...
 *   buf_release(&b);
 */
#ifndef VIGIL_BASE_BUF_H
#define VIGIL_BASE_BUF_H

#include <stdarg.h>
#include "base/common.h"

struct buf {
    char *data;   /* NUL-terminated; NULL until the first append */
    size_t len;   /* bytes used, not counting the terminating NUL */
    size_t alloc; /* bytes allocated */
    size_t cap;   /* hard limit on len; 0 means SIZE_MAX/2 */
};

#define BUF_INIT(c) { NULL, 0, 0, (c) }

/* Initialise an empty buffer; no allocation. cap 0 means unlimited. */
void buf_init(struct buf *b, size_t cap);
/* Free the contents; the buffer is empty and reusable afterwards. */
void buf_release(struct buf *b);
/* Empty the buffer but keep its allocation. */
void buf_reset(struct buf *b);
/* Make room for n more bytes. Returns 0, or -E2BIG if len + n > cap. */
int buf_reserve(struct buf *b, size_t n) WUR;
/* Append n bytes. Returns 0 or -E2BIG (buffer unchanged). */
int buf_append(struct buf *b, const void *p, size_t n) WUR;
int buf_puts(struct buf *b, const char *s) WUR;
int buf_putc(struct buf *b, char c) WUR;
/* Append formatted text. Returns 0, -E2BIG (buffer unchanged) or -EINVAL. */
int buf_printf(struct buf *b, const char *fmt, ...) PRINTF(2, 3) WUR;
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) WUR;
/* Shorten to n bytes (n <= len). */
void buf_truncate(struct buf *b, size_t n);
/* Hand the contents to the caller (who frees them); the buffer becomes empty.
 * Never returns NULL: an empty buffer yields "". */
char *buf_detach(struct buf *b, size_t *ret_len);
/* Contents as a C string; "" when empty. */
static inline const char *buf_str(const struct buf *b)
{
    return b->data ? b->data : "";
}

#endif
