/* The line scanner (rules in linescan.h). */
#include "intel/linescan.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum {
    C_DIGIT = 1,  /* 0-9 */
    C_XDIGIT = 2, /* 0-9 a-f A-F */
    C_F4 = 4,     /* IPv4 field: alphanumeric or '.' */
    C_F6 = 8,     /* IPv6 field: alphanumeric, ':' or '.' */
    C_START = 16, /* may start an address: hex digit or ':' */
};

/* Character classes, built at compile time. */
#define R2(c)         X(c) X((c) + 1)
#define R4(c)         R2(c) R2((c) + 2)
#define R8(c)         R4(c) R4((c) + 4)
#define R16(c)        R8(c) R8((c) + 8)
#define R64(c)        R16(c) R16((c) + 16) R16((c) + 32) R16((c) + 48)
#define IS_DIGIT_(c)  ((c) >= '0' && (c) <= '9')
#define IS_ALPHA_(c)  (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_XALPHA_(c) (((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))
#define X(c)                                                                                       \
    (uint8_t)((IS_DIGIT_(c) ? C_DIGIT : 0) |                                                       \
              (IS_DIGIT_(c) || IS_XALPHA_(c) ? C_XDIGIT | C_START : 0) |                           \
              (IS_DIGIT_(c) || IS_ALPHA_(c) || (c) == '.' ? C_F4 : 0) |                            \
              (IS_DIGIT_(c) || IS_ALPHA_(c) || (c) == '.' || (c) == ':' ? C_F6 : 0) |              \
              ((c) == ':' ? C_START : 0)),
static const uint8_t cls[256] = {R64(0) R64(64) R64(128) R64(192)};
#undef X

/* Hex digit values, -1 for other bytes. */
#define X(c)                                                                                       \
    (int8_t)(IS_DIGIT_(c)                 ? (c) - '0'                                              \
             : ((c) >= 'a' && (c) <= 'f') ? (c) - 'a' + 10                                         \
             : ((c) >= 'A' && (c) <= 'F') ? (c) - 'A' + 10                                         \
                                          : -1),
static const int8_t hexv[256] = {R64(0) R64(64) R64(128) R64(192)};
#undef X

static inline uint8_t cl(unsigned char c)
{
    return cls[c];
}

/* Byte at i, or NUL past the end (grepcidr's buffer holds a NUL there). */
static inline unsigned char at(const unsigned char *p, size_t len, size_t i)
{
    return i < len ? p[i] : 0;
}

/* Does the IPv4 rule fire at i (p[i] is known to be a digit)? */
static inline bool hint4(const unsigned char *p, size_t len, size_t i)
{
    return at(p, len, i + 1) == '.' || at(p, len, i + 2) == '.' || at(p, len, i + 3) == '.';
}

/* Does the IPv6 rule fire at i (p[i] is a hex digit or ':')? */
static inline bool hint6(const unsigned char *p, size_t len, size_t i)
{
    if (p[i] == ':')
        return at(p, len, i + 1) == ':' && (cl(at(p, len, i + 2)) & C_XDIGIT);
    for (size_t k = 1; k <= 4; k++) {
        unsigned char c = at(p, len, i + k);
        if (c == ':')
            return true;
        if (!(cl(c) & C_XDIGIT))
            return false;
    }
    return false;
}

/* IPv6 field span, counting what a valid address needs: at most 8 colons,
 * and without "::" exactly 7 (or 6 before a dotted tail). Fields that fail
 * this (MAC addresses, times) never reach the parser. */
static inline size_t span6(const unsigned char *p, size_t len, size_t i, bool *ret_plausible)
{
    size_t j = i;
    unsigned colons = 0;
    bool dbl = false, dot = false;
    while (j < len && (cl(p[j]) & C_F6)) {
        if (p[j] == ':') {
            colons++;
            dbl |= j > i && p[j - 1] == ':';
        } else if (p[j] == '.') {
            dot = true;
        }
        j++;
    }
    *ret_plausible = colons <= 8 && (dbl || colons == 7 || (colons == 6 && dot));
    return j - i;
}

/*
 * The IPv4 field at i (bytes of class C_F4) in one pass: its length, and
 * whether it is a strict dotted quad (as ip4_parse: four octets <= 255,
 * no leading zeros), with the value in *ret.
 */
static inline size_t field4(const unsigned char *p, size_t len, size_t i, uint32_t *ret,
                            bool *ret_ok)
{
    size_t j = i;
    uint32_t v = 0;
    unsigned o = 0, nd = 0, dots = 0;
    bool ok = true;

    while (j < len) {
        unsigned char c = p[j];
        if (c >= '0' && c <= '9') {
            if (nd == 1 && o == 0)
                ok = false; /* leading zero */
            o = o * 10 + (unsigned)(c - '0');
            if (++nd > 3)
                break;
        } else if (c == '.') {
            if (nd == 0 || ++dots > 3)
                break;
            ok &= o <= 255;
            v = v << 8 | o;
            o = nd = 0;
        } else {
            break;
        }
        j++;
    }
    if (j < len && (cl(p[j]) & C_F4)) { /* not a quad: find where the field ends */
        ok = false;
        while (j < len && (cl(p[j]) & C_F4))
            j++;
    }
    *ret_ok = ok && dots == 3 && nd > 0 && o <= 255;
    *ret = v << 8 | o;
    return j - i;
}

/*
 * Strict IPv6 text (p, len), an IPv4 tail allowed: the rules of
 * ip6_parse() in base/addr.c, step for step, inlined for the scanner.
 */
static inline bool parse6(const unsigned char *p, size_t len, struct ip_addr *ret)
{
    uint16_t w[8];
    int n = 0, gap = -1;
    size_t i = 0;

    if (len == 0)
        return false;
    if (p[0] == ':') {
        if (len < 2 || p[1] != ':')
            return false;
        gap = 0;
        i = 2;
        if (i == len)
            goto done;
    }
    for (;;) {
        size_t start = i;
        unsigned v = 0;
        int h;
        while (i < len && (h = hexv[p[i]]) >= 0) {
            if (i - start == 4)
                return false;
            v = v << 4 | (unsigned)h;
            i++;
        }
        if (i < len && p[i] == '.') {
            uint32_t v4;
            bool ok;
            if (n > 6 || field4(p, len, start, &v4, &ok) != len - start || !ok)
                return false;
            w[n++] = (uint16_t)(v4 >> 16);
            w[n++] = (uint16_t)v4;
            break;
        }
        if (i == start || n == 8)
            return false;
        w[n++] = (uint16_t)v;
        if (i == len)
            break;
        if (p[i] != ':')
            return false;
        i++;
        if (i < len && p[i] == ':') {
            if (gap >= 0)
                return false;
            gap = n;
            i++;
            if (i == len)
                break;
        } else if (i == len) {
            return false; /* trailing single ':' */
        }
    }
done:
    if (gap >= 0) {
        if (n == 8)
            return false; /* "::" must stand for at least one group */
        int tail = n - gap;
        memmove(w + 8 - tail, w + gap, (size_t)tail * sizeof(w[0]));
        for (int k = gap; k < 8 - tail; k++)
            w[k] = 0;
    } else if (n != 8) {
        return false;
    }
    ret->family = ADDR_V6;
    ret->v6.hi = (uint64_t)w[0] << 48 | (uint64_t)w[1] << 32 | (uint64_t)w[2] << 16 | w[3];
    ret->v6.lo = (uint64_t)w[4] << 48 | (uint64_t)w[5] << 32 | (uint64_t)w[6] << 16 | w[7];
    return true;
}

/* The first '.' or ':' at or after i, or len. Every rule needs one within
 * four bytes of where an address starts, so the bytes before it are
 * skipped in blocks. */
static inline size_t next_sep(const unsigned char *p, size_t len, size_t i)
{
#ifdef __SSE2__
    const __m128i dot = _mm_set1_epi8('.'), colon = _mm_set1_epi8(':');
    while (i + 16 <= len) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, dot), _mm_cmpeq_epi8(v, colon)));
        if (m)
            return i + (size_t)__builtin_ctz((unsigned)m);
        i += 16;
    }
#endif
    for (; i < len; i++)
        if (p[i] == '.' || p[i] == ':')
            return i;
    return len;
}

/*
 * The rules at the positions a separator q (the first '.' or ':' at or
 * after i, the resume position) can serve: grepcidr tries every position
 * not inside a consumed field, and a rule can fire at c only if a '.' or
 * ':' stands in c..c+4, so only max(i, q - 4)..q are tried, and none at or
 * past end. Sets *ret_next to where scanning resumes; returns true with *a
 * filled when a consumed field is an address.
 */
static inline __attribute__((always_inline)) bool try_sep(const unsigned char *p, size_t len,
                                                          size_t end, size_t i, size_t q, bool v4,
                                                          bool v6, struct linescan_addr *a,
                                                          size_t *ret_next)
{
    size_t c = q >= i + 4 ? q - 4 : i;
    size_t stop = q < end ? q + 1 : end;

    *ret_next = q + 1;
    for (; c < stop; c++) {
        uint8_t k = cl(p[c]);
        if (!(k & C_START))
            continue;
        if (v4 && (k & C_DIGIT) && hint4(p, len, c)) {
            bool ok;
            size_t f = field4(p, len, c, &a->addr.v4, &ok);
            *ret_next = c + f;
            if (!ok)
                return false;
            a->addr.family = ADDR_V4;
            a->off = c;
            a->len = f;
            return true;
        }
        if (v6 && hint6(p, len, c)) {
            bool ok;
            size_t f = span6(p, len, c, &ok);
            *ret_next = c + f;
            if (!ok || f < 3 || f > 45 || !parse6(p + c, f, &a->addr))
                return false;
            a->off = c;
            a->len = f;
            return true;
        }
    }
    return false;
}

/* The scanning loop over one line, shared by the callback and the
 * set-matching forms. VISIT runs for each address found (in a_), and may
 * return. */
#define SCAN_LOOP(line, len, max_start, families, VISIT)                                           \
    do {                                                                                           \
        const unsigned char *p_ = (const unsigned char *)(line);                                   \
        size_t len_ = (len);                                                                       \
        size_t end_ = (max_start) < len_ ? (max_start) : len_;                                     \
        bool v4_ = (families)&LINESCAN_V4, v6_ = (families)&LINESCAN_V6;                           \
        size_t i_ = 0;                                                                             \
        while (i_ < end_) {                                                                        \
            size_t q_ = next_sep(p_, len_, i_), next_;                                             \
            struct linescan_addr a_;                                                               \
            if (q_ >= len_)                                                                        \
                break;                                                                             \
            if (try_sep(p_, len_, end_, i_, q_, v4_, v6_, &a_, &next_))                            \
                VISIT                                                                              \
            i_ = next_;                                                                            \
        }                                                                                          \
    } while (0)

int linescan_each(const char *line, size_t len, size_t max_start, unsigned families, linescan_fn fn,
                  void *ctx)
{
    SCAN_LOOP(line, len, max_start, families, {
        int r = fn(ctx, &a_);
        if (r)
            return r;
    });
    return 0;
}

enum linescan_result linescan_line(const struct ipset *s, const char *line, size_t len,
                                   size_t max_start, struct linescan_hit *ret_hit)
{
    unsigned families = (ipset_count_family(s, ADDR_V4) ? LINESCAN_V4 : 0) |
                        (ipset_count_family(s, ADDR_V6) ? LINESCAN_V6 : 0);
    bool seen = false;

    if (!families)
        return LINESCAN_NO_ADDR;
    SCAN_LOOP(line, len, max_start, families, {
        uint32_t v;
        seen = true;
        if (ipset_lookup(s, &a_.addr, &v)) {
            if (ret_hit) {
                ret_hit->a = a_;
                ret_hit->value = v;
            }
            return LINESCAN_MATCH;
        }
    });
    return seen ? LINESCAN_NO_MATCH : LINESCAN_NO_ADDR;
}

bool linescan_match(const struct ipset *s, const char *line, size_t len)
{
    return linescan_line(s, line, len, LINESCAN_NO_LIMIT, NULL) == LINESCAN_MATCH;
}

/* Lines up to this long take the bitmap path of linescan_lines(). */
#define FAST_LINE 1024

/* How far ahead of the line being cut to prefetch the input. */
#ifndef PREFETCH_AHEAD
#define PREFETCH_AHEAD 2048
#endif

/*
 * A line of linescan_lines() whose addresses are found but not yet looked
 * up: lookups run one line later, after the set's memory for them has been
 * prefetched, so that their cache misses overlap the next line's scan.
 */
#define PEND_ADDRS 8
struct pending {
    const unsigned char *l;
    size_t len;
    uint64_t idx;
    unsigned n;
    bool more; /* more than PEND_ADDRS addresses: scan again to look up */
    struct linescan_addr a[PEND_ADDRS];
};

/* Find the addresses of the line at l (len bytes, '\n' included) whose
 * separator positions are in sep (16-bit words, bits past len clear). */
static void collect_by_bitmap(const struct ipset *s, const unsigned char *l, size_t len,
                              const uint16_t *sep, bool v4, bool v6, struct pending *pd)
{
    size_t i = 0;

    pd->n = 0;
    pd->more = false;
    for (size_t w = 0; w * 16 < len; w++) {
        unsigned bits = sep[w];
        while (bits) {
            size_t q = w * 16 + (size_t)__builtin_ctz(bits), next;
            if (q < i) {
                bits &= bits - 1;
                continue;
            }
            /* q stays the next separator until scanning resumes past it
             * (a field consumed before q, e.g. "4" in "4)1.2.3.4"). */
            if (try_sep(l, len, len, i, q, v4, v6, &pd->a[pd->n], &next)) {
                ipset_prefetch(s, &pd->a[pd->n].addr);
                if (++pd->n == PEND_ADDRS) {
                    pd->more = true;
                    return;
                }
            }
            i = next;
        }
    }
}

/* Look up a pending line's addresses, in order. */
static enum linescan_result resolve(const struct ipset *s, const struct pending *pd,
                                    struct linescan_hit *ret_hit)
{
    if (pd->more)
        return linescan_line(s, (const char *)pd->l, pd->len, LINESCAN_NO_LIMIT, ret_hit);
    for (unsigned k = 0; k < pd->n; k++) {
        const struct linescan_addr *a = &pd->a[k];
        uint32_t v;
        if (a->addr.family == ADDR_V4 ? ipset_lookup4(s, a->addr.v4, &v)
                                      : ipset_lookup6(s, a->addr.v6.hi, a->addr.v6.lo, &v)) {
            ret_hit->a = *a;
            ret_hit->value = v;
            return LINESCAN_MATCH;
        }
    }
    return pd->n ? LINESCAN_NO_MATCH : LINESCAN_NO_ADDR;
}

/* Look a pending line up and hand it to fn if selected; returns fn's
 * value or 0. */
static int report(const struct ipset *s, const struct pending *pd, unsigned select,
                  linescan_lines_fn fn, void *ctx)
{
    struct linescan_hit hit;
    enum linescan_result r = resolve(s, pd, &hit);
    if ((select >> r) & 1)
        return fn(ctx, (const char *)pd->l, pd->len, pd->idx, r, &hit);
    return 0;
}

/* Length (with '\n') of the line at l if it ends within avail bytes,
 * holds no NUL and is at most max_len long; 0 otherwise. For lines up to
 * FAST_LINE bytes *ret_bitmap says sep[] holds its separator bitmap. */
static size_t line_extent(const unsigned char *l, size_t avail, size_t max_len, uint16_t *sep,
                          bool *ret_bitmap)
{
    *ret_bitmap = false;
    /* Pages of a mapped file are apart in memory: the hardware prefetcher
     * stops at each page end, so load ahead by hand. */
    __builtin_prefetch(l + PREFETCH_AHEAD);
#ifdef __SSE2__
    const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    const __m128i dot = _mm_set1_epi8('.'), colon = _mm_set1_epi8(':');
    for (size_t k = 0; k + 16 <= avail && k < FAST_LINE; k += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(l + k));
        unsigned e = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, nl), _mm_cmpeq_epi8(v, zero)));
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, dot), _mm_cmpeq_epi8(v, colon)));
        if (e) {
            unsigned z = (unsigned)__builtin_ctz(e);
            size_t len = k + z + 1;
            if (l[k + z] != '\n' || len > max_len)
                return 0;
            sep[k / 16] = (uint16_t)(m & ((1u << z) - 1));
            *ret_bitmap = true;
            return len;
        }
        sep[k / 16] = (uint16_t)m;
    }
#else
    (void)sep;
#endif
    const unsigned char *e = memchr(l, '\n', MIN(avail, max_len));
    if (!e)
        return 0;
    size_t len = (size_t)(e - l) + 1;
    return memchr(l, 0, len) ? 0 : len;
}

size_t linescan_lines(const struct ipset *s, const char *text, size_t n, size_t max_len,
                      unsigned select, linescan_lines_fn fn, void *ctx, uint64_t *ret_n_lines,
                      int *ret_stop)
{
    bool v4 = ipset_count_family(s, ADDR_V4) > 0, v6 = ipset_count_family(s, ADDR_V6) > 0;
    const unsigned char *p = (const unsigned char *)text;
    uint16_t sep[FAST_LINE / 16];
    struct pending pend[2];
    unsigned cur = 0;
    bool have_prev = false;
    size_t pos = 0;
    uint64_t lines = 0;
    int stop = 0;

    while (pos < n && !stop) {
        const unsigned char *l = p + pos;
        bool bitmap;
        size_t len = line_extent(l, n - pos, max_len, sep, &bitmap);
        if (!len)
            break;
        struct pending *pd = &pend[cur];
        pd->l = l;
        pd->len = len;
        pd->idx = lines;
        if (bitmap && (v4 || v6)) {
            collect_by_bitmap(s, l, len, sep, v4, v6, pd);
        } else if (v4 || v6) {
            pd->n = 0;
            pd->more = true; /* long line: scanned when resolved */
        } else {
            pd->n = 0;
            pd->more = false;
        }
        if (have_prev && (stop = report(s, &pend[cur ^ 1], select, fn, ctx)) != 0)
            break; /* this line is not counted */
        pos += len;
        lines++;
        have_prev = true;
        cur ^= 1;
    }
    if (have_prev && !stop)
        stop = report(s, &pend[cur ^ 1], select, fn, ctx);
    *ret_n_lines = lines;
    *ret_stop = stop;
    return pos;
}
