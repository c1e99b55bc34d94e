/* IPv4/IPv6 addresses and prefixes: strict parsing (the same language as
 * glibc's inet_pton) and canonical formatting (RFC 5952). */
#include "base/addr.h"

#include <string.h>

#include "base/i18n.h"

const char *addr_strerror(enum addr_err e)
{
    switch (e) {
    case ADDR_OK:
        return "OK";
    case ADDR_E_EMPTY:
        return _("empty address");
    case ADDR_E_SYNTAX:
        return _("not an IP address");
    case ADDR_E_OCTET:
        return _("IPv4 octet greater than 255");
    case ADDR_E_LEADZERO:
        return _("IPv4 octet with a leading zero (octal or decimal is ambiguous)");
    case ADDR_E_V6GROUP:
        return _("bad IPv6 group or '::'");
    case ADDR_E_PREFIXLEN:
        return _("bad prefix length");
    case ADDR_E_HOSTBITS:
        return _("host bits set beyond the prefix length");
    case ADDR_E_TRAILING:
        return _("unexpected text after the address");
    }
    return _("unknown error");
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Parse a dotted quad at the start of (p, len). Returns ADDR_OK with *used
 * set to the bytes consumed (what follows is the caller's business), or the
 * reason it is not a dotted quad.
 */
static enum addr_err ip4_prefix_of(const char *p, size_t len, uint32_t *ret, size_t *used)
{
    uint32_t v = 0;
    size_t i = 0;

    if (len == 0)
        return ADDR_E_EMPTY;
    for (int octet = 0; octet < 4; octet++) {
        if (octet > 0) {
            if (i >= len || p[i] != '.')
                return ADDR_E_SYNTAX;
            i++;
        }
        if (i >= len || !is_digit(p[i]))
            return ADDR_E_SYNTAX;
        unsigned o = 0;
        size_t start = i;
        while (i < len && is_digit(p[i])) {
            o = o * 10 + (unsigned)(p[i] - '0');
            if (o > 255)
                return ADDR_E_OCTET;
            i++;
        }
        if (i - start > 1 && p[start] == '0')
            return ADDR_E_LEADZERO;
        v = v << 8 | o;
    }
    *ret = v;
    *used = i;
    return ADDR_OK;
}

enum addr_err ip4_parse(const char *p, size_t len, uint32_t *ret)
{
    uint32_t v;
    size_t used;
    enum addr_err e = ip4_prefix_of(p, len, &v, &used);

    if (e != ADDR_OK)
        return e;
    if (used != len)
        return ADDR_E_TRAILING;
    *ret = v;
    return ADDR_OK;
}

enum addr_err ip6_parse(const char *p, size_t len, struct ip_addr *ret)
{
    uint16_t w[8];
    int n = 0;    /* groups written */
    int gap = -1; /* group index where "::" stands */
    size_t i = 0;

    if (len == 0)
        return ADDR_E_EMPTY;
    if (p[0] == ':') {
        if (len < 2 || p[1] != ':')
            return ADDR_E_SYNTAX;
        gap = 0;
        i = 2;
        if (i == len)
            goto done;
    }
    for (;;) {
        /* A group (or a dotted IPv4 tail) starts at i. */
        size_t start = i;
        unsigned v = 0;
        while (i < len && hex_val(p[i]) >= 0) {
            if (i - start == 4)
                return ADDR_E_V6GROUP;
            v = v << 4 | (unsigned)hex_val(p[i]);
            i++;
        }
        if (i < len && p[i] == '.') {
            uint32_t v4;
            size_t used;
            if (n > 6)
                return ADDR_E_SYNTAX;
            enum addr_err e = ip4_prefix_of(p + start, len - start, &v4, &used);
            if (e != ADDR_OK)
                return e == ADDR_E_EMPTY ? ADDR_E_SYNTAX : e;
            if (start + used != len)
                return ADDR_E_TRAILING;
            w[n++] = (uint16_t)(v4 >> 16);
            w[n++] = (uint16_t)v4;
            break;
        }
        if (i == start)
            return ADDR_E_SYNTAX;
        if (n == 8)
            return ADDR_E_V6GROUP;
        w[n++] = (uint16_t)v;
        if (i == len)
            break;
        if (p[i] != ':')
            return ADDR_E_SYNTAX;
        i++;
        if (i < len && p[i] == ':') {
            if (gap >= 0)
                return ADDR_E_V6GROUP;
            gap = n;
            i++;
            if (i == len)
                break;
        } else if (i == len) {
            return ADDR_E_SYNTAX; /* trailing single ':' */
        }
    }
done:
    if (gap >= 0) {
        if (n == 8)
            return ADDR_E_V6GROUP; /* "::" must stand for at least one group */
        int tail = n - gap;
        memmove(w + 8 - tail, w + gap, (size_t)tail * sizeof(w[0]));
        for (int k = gap; k < 8 - tail; k++)
            w[k] = 0;
    } else if (n != 8) {
        return ADDR_E_V6GROUP;
    }
    ret->family = ADDR_V6;
    ret->v6.hi = (uint64_t)w[0] << 48 | (uint64_t)w[1] << 32 | (uint64_t)w[2] << 16 | w[3];
    ret->v6.lo = (uint64_t)w[4] << 48 | (uint64_t)w[5] << 32 | (uint64_t)w[6] << 16 | w[7];
    return ADDR_OK;
}

enum addr_err ip_parse(const char *p, size_t len, struct ip_addr *ret)
{
    if (len == 0)
        return ADDR_E_EMPTY;
    if (memchr(p, ':', len))
        return ip6_parse(p, len, ret);
    uint32_t v;
    enum addr_err e = ip4_parse(p, len, &v);
    if (e != ADDR_OK)
        return e;
    ret->family = ADDR_V4;
    ret->v4 = v;
    return ADDR_OK;
}

static void v6_mask(unsigned len, uint64_t *hi, uint64_t *lo)
{
    if (len == 0) {
        *hi = *lo = 0;
    } else if (len <= 64) {
        *hi = ~(uint64_t)0 << (64 - len);
        *lo = 0;
    } else {
        *hi = ~(uint64_t)0;
        *lo = len == 128 ? ~(uint64_t)0 : ~(uint64_t)0 << (128 - len);
    }
}

enum addr_err prefix_parse(const char *p, size_t len, bool strict, struct ip_prefix *ret)
{
    struct ip_addr a;
    const char *slash = len ? memchr(p, '/', len) : NULL;
    size_t alen = slash ? (size_t)(slash - p) : len;
    enum addr_err e = ip_parse(p, alen, &a);
    unsigned max = 32, plen;

    if (e != ADDR_OK)
        return e;
    if (a.family == ADDR_V6)
        max = 128;
    if (!slash) {
        plen = max;
    } else {
        const char *d = slash + 1;
        size_t dlen = len - alen - 1;
        if (dlen == 0 || dlen > 3 || (dlen > 1 && d[0] == '0'))
            return ADDR_E_PREFIXLEN;
        plen = 0;
        for (size_t i = 0; i < dlen; i++) {
            if (!is_digit(d[i]))
                return ADDR_E_PREFIXLEN;
            plen = plen * 10 + (unsigned)(d[i] - '0');
        }
        if (plen > max)
            return ADDR_E_PREFIXLEN;
    }
    if (a.family == ADDR_V4) {
        uint32_t m = ip4_mask(plen);
        if (strict && (a.v4 & ~m))
            return ADDR_E_HOSTBITS;
        a.v4 &= m;
    } else {
        uint64_t mh, ml;
        v6_mask(plen, &mh, &ml);
        if (strict && ((a.v6.hi & ~mh) || (a.v6.lo & ~ml)))
            return ADDR_E_HOSTBITS;
        a.v6.hi &= mh;
        a.v6.lo &= ml;
    }
    ret->addr = a;
    ret->len = (uint8_t)plen;
    return ADDR_OK;
}

static size_t put_u8dec(char *out, unsigned v)
{
    size_t n = 0;
    if (v >= 100)
        out[n++] = (char)('0' + v / 100);
    if (v >= 10)
        out[n++] = (char)('0' + v / 10 % 10);
    out[n++] = (char)('0' + v % 10);
    return n;
}

static size_t format4(uint32_t v, char *out)
{
    size_t n = 0;
    for (int s = 24; s >= 0; s -= 8) {
        n += put_u8dec(out + n, (v >> s) & 0xff);
        if (s)
            out[n++] = '.';
    }
    return n;
}

static size_t put_hex16(char *out, unsigned v)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    bool started = false;
    for (int s = 12; s >= 0; s -= 4) {
        unsigned d = (v >> s) & 0xf;
        if (d || started || s == 0) {
            out[n++] = hex[d];
            started = true;
        }
    }
    return n;
}

size_t ip_format(const struct ip_addr *a, char out[static IP_ADDR_STRLEN])
{
    size_t n;

    if (a->family == ADDR_V4) {
        n = format4(a->v4, out);
        out[n] = '\0';
        return n;
    }
    uint16_t w[8];
    for (int k = 0; k < 4; k++) {
        w[k] = (uint16_t)(a->v6.hi >> (48 - 16 * k));
        w[4 + k] = (uint16_t)(a->v6.lo >> (48 - 16 * k));
    }
    /* IPv4-mapped: ::ffff:a.b.c.d */
    if (a->v6.hi == 0 && (a->v6.lo >> 32) == 0xffff) {
        memcpy(out, "::ffff:", 7);
        n = 7 + format4((uint32_t)a->v6.lo, out + 7);
        out[n] = '\0';
        return n;
    }
    /* Longest run of two or more zero groups; the first on a tie. */
    int best = -1, best_len = 1;
    for (int k = 0; k < 8;) {
        if (w[k] != 0) {
            k++;
            continue;
        }
        int j = k;
        while (j < 8 && w[j] == 0)
            j++;
        if (j - k > best_len) {
            best = k;
            best_len = j - k;
        }
        k = j;
    }
    n = 0;
    for (int k = 0; k < 8; k++) {
        if (k == best) {
            out[n++] = ':';
            if (k == 0)
                out[n++] = ':';
            k += best_len - 1;
            continue;
        }
        n += put_hex16(out + n, w[k]);
        if (k < 7)
            out[n++] = ':';
    }
    out[n] = '\0';
    return n;
}

size_t prefix_format(const struct ip_prefix *p, char out[static IP_PREFIX_STRLEN])
{
    size_t n = ip_format(&p->addr, out);
    out[n++] = '/';
    n += put_u8dec(out + n, p->len);
    out[n] = '\0';
    return n;
}

bool prefix_contains(const struct ip_prefix *p, const struct ip_addr *a)
{
    if (p->addr.family != a->family)
        return false;
    if (a->family == ADDR_V4)
        return ((a->v4 ^ p->addr.v4) & ip4_mask(p->len)) == 0;
    uint64_t mh, ml;
    v6_mask(p->len, &mh, &ml);
    return ((a->v6.hi ^ p->addr.v6.hi) & mh) == 0 && ((a->v6.lo ^ p->addr.v6.lo) & ml) == 0;
}

int ip_cmp(const struct ip_addr *a, const struct ip_addr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    if (a->family == ADDR_V4)
        return a->v4 < b->v4 ? -1 : a->v4 > b->v4;
    if (a->v6.hi != b->v6.hi)
        return a->v6.hi < b->v6.hi ? -1 : 1;
    return a->v6.lo < b->v6.lo ? -1 : a->v6.lo > b->v6.lo;
}

void prefix_range(const struct ip_prefix *p, struct ip_addr *ret_first, struct ip_addr *ret_last)
{
    struct ip_addr f = p->addr, l = p->addr;

    if (f.family == ADDR_V4) {
        uint32_t m = ip4_mask(p->len);
        f.v4 &= m;
        l.v4 = f.v4 | ~m;
    } else {
        uint64_t mh, ml;
        v6_mask(p->len, &mh, &ml);
        f.v6.hi &= mh;
        f.v6.lo &= ml;
        l.v6.hi = f.v6.hi | ~mh;
        l.v6.lo = f.v6.lo | ~ml;
    }
    *ret_first = f;
    *ret_last = l;
}
