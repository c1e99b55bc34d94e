/*
 * Plain text feeds and FireHOL netsets: one IPv4/IPv6 address or CIDR a
 * line, '#' and ';' comments (at the start of a line or after white space),
 * and grepcidr-style IPv4 ranges "a.b.c.d-e.f.g.h", which are expanded to
 * the fewest CIDRs covering them (at most 62).
 */
#include <string.h>

#include "base/i18n.h"
#include "base/str.h"
#include "intel/feed_impl.h"

/* The line up to a comment: '#' or ';' at the start or after white space. */
static size_t strip_comment(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if ((p[i] == '#' || p[i] == ';') && (i == 0 || p[i - 1] == ' ' || p[i - 1] == '\t'))
            return i;
    }
    return len;
}

void feed_text_expand_range(struct feed_ctx *c, uint32_t line, uint32_t first, uint32_t last)
{
    uint64_t a = first, b = last;
    while (a <= b && !c->fatal) {
        /* The largest aligned block starting at a that ends at or before b. */
        unsigned len = a == 0 ? 0 : 32 - (unsigned)__builtin_ctz((uint32_t)a);
        while (a + ((uint64_t)1 << (32 - len)) - 1 > b)
            len++;
        struct indicator ind = {.type = IND_IP, .line = line};
        ind.ip.addr.family = ADDR_V4;
        ind.ip.addr.v4 = (uint32_t)a;
        ind.ip.len = (uint8_t)len;
        feed_add(c, &ind);
        a += (uint64_t)1 << (32 - len);
    }
}

static void range_line(struct feed_ctx *c, uint32_t line, const char *p, size_t len,
                       const char *dash)
{
    char q[FEED_QUOTE_MAX];
    uint32_t a, b;
    size_t al = (size_t)(dash - p);
    enum addr_err e = ip4_parse(p, al, &a);
    if (e == ADDR_OK)
        e = ip4_parse(dash + 1, len - al - 1, &b);
    if (e != ADDR_OK) {
        feed_error_add(c, line, "", _("bad address range '%s': %s (only IPv4 ranges a-b)"),
                       feed_quote(p, len, q), addr_strerror(e));
        return;
    }
    if (a > b) {
        feed_error_add(c, line, "", _("bad address range '%s': the end is before the start"),
                       feed_quote(p, len, q));
        return;
    }
    feed_text_expand_range(c, line, a, b);
}

void feed_text_line(struct feed_ctx *c, uint32_t line, const char *p, size_t len)
{
    len = strip_comment(p, len);
    str_trim(&p, &len);
    if (len == 0)
        return;
    c->f->n_data++;
    size_t t = 0;
    while (t < len && p[t] != ' ' && p[t] != '\t')
        t++;
    if (t < len) {
        char q[FEED_QUOTE_MAX];
        feed_error_add(c, line, "", _("unexpected text after the address: '%s'"),
                       feed_quote(p + t, len - t, q));
        return;
    }
    const char *dash = memchr(p, '-', len);
    if (dash) {
        range_line(c, line, p, len, dash);
        return;
    }
    struct indicator ind = {.line = line};
    if (feed_ip_value(c, line, "", p, len, &ind))
        feed_add(c, &ind);
}
