/* Aligned text tables (see table.h). */
#include "cli/table.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"

/* Decode one UTF-8 sequence at s; returns its length (1 for a bad byte)
 * and the code point in *cp (0xFFFD for a bad byte). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        v = c & 0x07;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = v << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
        (n == 4 && (v < 0x10000 || v > 0x10FFFF))) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return n;
}

size_t utf8_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0;
    while (*p) {
        uint32_t cp;
        p += utf8_next(p, &cp);
        if (!(cp >= 0x300 && cp <= 0x36F))
            w++;
    }
    return w;
}

/* Copy s with control characters (C0, DEL, C1) and malformed bytes shown
 * as '?'. */
static char *sanitise(const char *s)
{
    size_t len = strlen(s);
    char *out = xmalloc(len + 1);
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    while (*p) {
        uint32_t cp;
        size_t n = utf8_next(p, &cp);
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFD) {
            out[o++] = '?';
        } else {
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
    }
    out[o] = '\0';
    return out;
}

void table_init(struct table *t, size_t n_cols, const char *const *headers)
{
    memset(t, 0, sizeof(*t));
    if (n_cols == 0)
        n_cols = 1;
    if (n_cols > TABLE_MAX_COLS)
        n_cols = TABLE_MAX_COLS;
    t->n_cols = n_cols;
    t->sep = "  ";
    if (headers)
        for (size_t i = 0; i < n_cols; i++)
            t->headers[i] = sanitise(headers[i] ? headers[i] : "");
}

void table_add(struct table *t, const char *const *cells)
{
    if (t->n_rows == t->alloc_rows) {
        t->alloc_rows = t->alloc_rows ? t->alloc_rows * 2 : 16;
        t->cells = xreallocarray(t->cells, t->alloc_rows * t->n_cols, sizeof(char *));
    }
    char **row = t->cells + t->n_rows * t->n_cols;
    for (size_t i = 0; i < t->n_cols; i++)
        row[i] = sanitise(cells[i] ? cells[i] : "-");
    t->n_rows++;
}

void table_add_kv(struct table *t, const char *key, const char *value)
{
    size_t n = strlen(key);
    char *k = xmalloc(n + 2);
    memcpy(k, key, n);
    k[n] = n ? ':' : '\0'; /* an empty key continues the row above */
    k[n + 1] = '\0';
    const char *cells[TABLE_MAX_COLS] = {k, value};
    table_add(t, cells);
    free(k);
}

static int pad(struct buf *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (buf_putc(out, ' ') < 0)
            return -E2BIG;
    return 0;
}

static int render_row(const struct table *t, char *const *row, const size_t *widths,
                      struct buf *out)
{
    /* The last non-empty column is not padded: no trailing spaces. */
    size_t last = t->n_cols;
    while (last > 1 && row[last - 1][0] == '\0')
        last--;
    for (size_t i = 0; i < last; i++) {
        if (i > 0 && buf_puts(out, t->sep) < 0)
            return -E2BIG;
        if (buf_puts(out, row[i]) < 0)
            return -E2BIG;
        if (i + 1 < last && pad(out, widths[i] - utf8_width(row[i])) < 0)
            return -E2BIG;
    }
    return buf_putc(out, '\n');
}

int table_render(const struct table *t, struct buf *out)
{
    size_t widths[TABLE_MAX_COLS] = {0};
    bool has_header = t->headers[0] != NULL;
    for (size_t i = 0; i < t->n_cols; i++) {
        if (has_header)
            widths[i] = utf8_width(t->headers[i]);
        for (size_t r = 0; r < t->n_rows; r++)
            widths[i] = MAX(widths[i], utf8_width(t->cells[r * t->n_cols + i]));
    }
    if (has_header) {
        if (render_row(t, t->headers, widths, out) < 0)
            return -E2BIG;
        for (size_t i = 0; i < t->n_cols; i++) {
            if (i > 0 && buf_puts(out, t->sep) < 0)
                return -E2BIG;
            for (size_t k = 0; k < widths[i]; k++)
                if (buf_putc(out, '-') < 0)
                    return -E2BIG;
        }
        if (buf_putc(out, '\n') < 0)
            return -E2BIG;
    }
    for (size_t r = 0; r < t->n_rows; r++)
        if (render_row(t, t->cells + r * t->n_cols, widths, out) < 0)
            return -E2BIG;
    return 0;
}

int table_print(const struct table *t)
{
    struct buf out;
    buf_init(&out, 0);
    int r = table_render(t, &out);
    if (r == 0) {
        fflush(stdout);
        r = write_all(STDOUT_FILENO, out.data ? out.data : "", out.len);
    }
    buf_release(&out);
    return r;
}

void table_release(struct table *t)
{
    for (size_t i = 0; i < t->n_cols; i++)
        free(t->headers[i]);
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof(*t));
}
