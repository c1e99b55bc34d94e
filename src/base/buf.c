/* Length-carrying byte buffer with a cap (buf.h). */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/vec.h"

#define BUF_UNLIMITED (SIZE_MAX / 2)

static size_t buf_cap(const struct buf *b)
{
    return b->cap ? b->cap : BUF_UNLIMITED;
}

void buf_init(struct buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
}

void buf_release(struct buf *b)
{
    free(b->data);
    buf_init(b, b->cap);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int buf_reserve(struct buf *b, size_t n)
{
    size_t cap = buf_cap(b);
    if (n > cap || b->len > cap - n)
        return -E2BIG;
    size_t need = b->len + n + 1;
    if (need <= b->alloc)
        return 0;
    size_t a = b->alloc ? b->alloc : 64;
    while (a < need)
        a = a < SIZE_MAX / 2 ? a * 2 : need;
    b->data = xrealloc(b->data, a);
    b->alloc = a;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    int r = buf_reserve(b, n);
    if (r < 0)
        return r;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, cp);
    va_end(cp);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n < sizeof(small))
        return buf_append(b, small, (size_t)n);
    int r = buf_reserve(b, (size_t)n);
    if (r < 0)
        return r;
    int m = vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    if (m != n) {
        b->data[b->len] = '\0';
        return -EINVAL;
    }
    b->len += (size_t)n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return r;
}

void buf_truncate(struct buf *b, size_t n)
{
    if (n < b->len) {
        b->len = n;
        b->data[n] = '\0';
    }
}

char *buf_detach(struct buf *b, size_t *ret_len)
{
    char *p = b->data ? b->data : xstrdup("");
    if (ret_len)
        *ret_len = b->len;
    buf_init(b, b->cap);
    return p;
}

void vec_grow_(void **items, size_t *alloc, size_t need, size_t elem_size)
{
    size_t a = *alloc ? *alloc : 8;
    while (a < need) {
        if (a > SIZE_MAX / 2 / elem_size)
            a = need;
        else
            a *= 2;
    }
    *items = xreallocarray(*items, a, elem_size);
    *alloc = a;
}
