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

/* Use the widest SIMD the CPU has (linescan_set_simd). */
static bool linescan_simd = true;

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

/* An IPv6 field with this many colons, a "::" or not, a '.' or not, can
 * be an address: at most 8 colons, and without "::" exactly 7 (or 6 before
 * a dotted tail). */
static inline bool plausible6(unsigned colons, bool dbl, bool dot)
{
    return colons <= 8 && (dbl || colons == 7 || (colons == 6 && dot));
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
    *ret_plausible = plausible6(colons, dbl, dot);
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

/* The plausible IPv6 field of f bytes at c, parsed into *a if it is an
 * address. */
static inline bool take6(const unsigned char *p, size_t c, size_t f, struct linescan_addr *a)
{
    if (f < 3 || f > 45 || !parse6(p + c, f, &a->addr))
        return false;
    a->off = c;
    a->len = f;
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
            return ok && take6(p, c, f, a);
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
#define FAST_LINE  1024
#define MASK_WORDS (FAST_LINE / 64)

/* How far ahead of the line being cut to prefetch the input. */
#ifndef PREFETCH_AHEAD
#define PREFETCH_AHEAD 2048
#endif

/*
 * Byte classes of one line as bitmaps (bit k of word k / 64 is byte k),
 * built with SIMD when the line is cut, so that fields are measured with
 * bit operations instead of byte by byte. Bits at and past the line's
 * '\n' are clear, except in nf where they are set.
 */
struct line_masks {
    uint64_t sep[MASK_WORDS];  /* '.' or ':' */
    uint64_t col[MASK_WORDS];  /* ':' */
    uint64_t dcol[MASK_WORDS]; /* ':' just after a ':' */
    uint64_t nf[MASK_WORDS];   /* not in an IPv6 field: other than [0-9A-Za-z.:] */
    uint64_t dig[MASK_WORDS];  /* 0-9 */
};

/* Record one 64-byte chunk's masks (e: '\n' or NUL bytes) at word w; if e
 * holds a bit, the line ends there. Returns the line length with its '\n',
 * 0 if it ends at a NUL or passes max_len, or SIZE_MAX to go on. */
static inline __attribute__((always_inline)) size_t
put_chunk(struct line_masks *m, const unsigned char *l, size_t w, uint64_t e, uint64_t sep,
          uint64_t col, uint64_t nf, uint64_t dig, uint64_t *carry, size_t max_len)
{
    uint64_t keep = ~(uint64_t)0;
    size_t len = SIZE_MAX;
    if (e) {
        unsigned z = (unsigned)__builtin_ctzll(e);
        len = w * 64 + z + 1;
        if (l[len - 1] != '\n' || len > max_len)
            return 0;
        keep = ((uint64_t)1 << z) - 1;
    }
    m->sep[w] = sep & keep;
    m->col[w] = col & keep;
    m->dcol[w] = col & (col << 1 | *carry) & keep;
    m->nf[w] = nf | ~keep;
    m->dig[w] = dig & keep;
    *carry = col >> 63;
    return len;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_AVX512 1
#include <immintrin.h>

/* line_masks() with AVX-512BW: a 64-byte chunk per step; bytes past avail
 * are not read (masked loads) and count as NUL. */
__attribute__((target("avx512f,avx512bw,bmi"))) static size_t
line_masks_avx512(const unsigned char *l, size_t avail, size_t max_len, struct line_masks *m)
{
    const __m512i nl = _mm512_set1_epi8('\n'), dot = _mm512_set1_epi8('.');
    const __m512i colon = _mm512_set1_epi8(':'), zero = _mm512_set1_epi8('0');
    const __m512i a = _mm512_set1_epi8('a'), low = _mm512_set1_epi8(0x20);
    const __m512i ten = _mm512_set1_epi8(10), az = _mm512_set1_epi8(26);
    uint64_t carry = 0;

    for (size_t w = 0; w < MASK_WORDS && w * 64 < avail; w++) {
        size_t rest = avail - w * 64;
        __mmask64 in = rest >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << rest) - 1;
        __m512i v = _mm512_maskz_loadu_epi8(in, l + w * 64);
        uint64_t e = _mm512_cmpeq_epi8_mask(v, nl) | _mm512_testn_epi8_mask(v, v);
        /* The zeros loaded past avail are no line end to look at: when the
         * first end lies there, the line runs past avail and is the caller's
         * slow path (as in line_masks_sse2). */
        if (e && (uint64_t)__builtin_ctzll(e) >= rest)
            return 0;
        uint64_t d = _mm512_cmpeq_epi8_mask(v, dot), c = _mm512_cmpeq_epi8_mask(v, colon);
        uint64_t dig = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, zero), ten);
        uint64_t alp = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(_mm512_or_si512(v, low), a), az);
        size_t len = put_chunk(m, l, w, e, d | c, c, ~(d | c | dig | alp), dig, &carry, max_len);
        if (len != SIZE_MAX)
            return len;
    }
    return 0;
}
#endif

/* line_masks() without AVX-512: 16-byte SSE2 steps, or bytes one by one. */
static size_t line_masks_sse2(const unsigned char *l, size_t avail, size_t max_len,
                              struct line_masks *m)
{
    uint64_t carry = 0;
    for (size_t w = 0; w < MASK_WORDS && w * 64 + 64 <= avail; w++) {
        uint64_t e = 0, sep = 0, col = 0, fld = 0, num = 0;
        for (unsigned k = 0; k < 64; k += 16) {
            const unsigned char *q = l + w * 64 + k;
#ifdef __SSE2__
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
            __m128i d = _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));
            __m128i c = _mm_cmpeq_epi8(v, _mm_set1_epi8(':'));
            /* unsigned ranges by signed compares shifted by 128 */
            __m128i dig = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - '0'))),
                                         _mm_set1_epi8((char)(-128 + 10)));
            __m128i alp = _mm_cmplt_epi8(_mm_add_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)),
                                                      _mm_set1_epi8((char)(0x80 - 'a'))),
                                         _mm_set1_epi8((char)(-128 + 26)));
            __m128i ev = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')),
                                      _mm_cmpeq_epi8(v, _mm_setzero_si128()));
            e |= (uint64_t)(unsigned)_mm_movemask_epi8(ev) << k;
            sep |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(d, c)) << k;
            col |= (uint64_t)(unsigned)_mm_movemask_epi8(c) << k;
            num |= (uint64_t)(unsigned)_mm_movemask_epi8(dig) << k;
            fld |= (uint64_t)(unsigned)_mm_movemask_epi8(
                       _mm_or_si128(_mm_or_si128(d, c), _mm_or_si128(dig, alp)))
                   << k;
#else
            for (unsigned b = 0; b < 16; b++) {
                uint64_t bit = (uint64_t)1 << (k + b);
                e |= q[b] == '\n' || q[b] == 0 ? bit : 0;
                sep |= q[b] == '.' || q[b] == ':' ? bit : 0;
                col |= q[b] == ':' ? bit : 0;
                num |= cl(q[b]) & C_DIGIT ? bit : 0;
                fld |= cl(q[b]) & C_F6 ? bit : 0;
            }
#endif
        }
        size_t len = put_chunk(m, l, w, e, sep, col, ~fld, num, &carry, max_len);
        if (len != SIZE_MAX)
            return len;
    }
    return 0; /* too long, or less than a chunk left: the caller's slow path */
}

/* The first set bit at or after i (i < len) of a line bitmap, or len. */
static inline __attribute__((always_inline)) size_t bm_next(const uint64_t *bm, size_t i,
                                                            size_t len)
{
    size_t w = i / 64;
    uint64_t x = bm[w] & (~(uint64_t)0 << (i % 64));
    while (!x) {
        if (++w * 64 >= len)
            return len;
        x = bm[w];
    }
    size_t r = w * 64 + (size_t)__builtin_ctzll(x);
    return r < len ? r : len;
}

/* Set bits of a line bitmap in [a, b). */
static inline __attribute__((always_inline)) unsigned bm_count(const uint64_t *bm, size_t a,
                                                               size_t b)
{
    unsigned n = 0;
    while (a < b) {
        size_t w = a / 64, hi = MIN(b, w * 64 + 64);
        uint64_t x = bm[w] >> (a % 64);
        if (hi - a < 64)
            x &= ((uint64_t)1 << (hi - a)) - 1;
        n += (unsigned)__builtin_popcountll(x);
        a = hi;
    }
    return n;
}

/* Bits [c, c + f) of a line bitmap, f <= 15, as the low bits of a word. */
static inline __attribute__((always_inline)) uint64_t bm_bits(const uint64_t *bm, size_t c,
                                                              size_t f)
{
    size_t w = c / 64, b = c % 64;
    uint64_t x = bm[w] >> b;
    if (b + f > 64)
        x |= bm[w + 1] << (64 - b);
    return x & (((uint64_t)1 << f) - 1);
}

/* One octet of a dotted quad: n digits at s (n in 1..3 for a good one);
 * reads only s[0 .. n) and adds to *bad when it is not a strict octet. */
static inline __attribute__((always_inline)) uint32_t octet(const unsigned char *s, size_t n,
                                                            unsigned *bad)
{
    uint32_t a = (uint32_t)s[0] - '0', b = (uint32_t)s[n > 1] - '0';
    uint32_t c = (uint32_t)s[n > 2 ? 2 : 0] - '0';
    uint32_t v = n == 1 ? a : n == 2 ? a * 10 + b : a * 100 + b * 10 + c;
    *bad |= (n - 1 > 2) | (n > 1 && s[0] == '0') | (v > 255);
    return v;
}

/* The IPv4 field [c, e) (bytes of [0-9A-Za-z.]) is a strict dotted quad:
 * what field4() decides, read from the masks with few branches. */
static inline __attribute__((always_inline)) bool
quad_masks(const unsigned char *p, const struct line_masks *m, size_t c, size_t e, uint32_t *ret)
{
    size_t f = e - c;
    if (f < 7 || f > 15)
        return false;
    uint64_t dots = bm_bits(m->sep, c, f), digits = bm_bits(m->dig, c, f);
    if ((dots | digits) != (((uint64_t)1 << f) - 1) || __builtin_popcountll(dots) != 3)
        return false;
    size_t d1 = (size_t)__builtin_ctzll(dots);
    dots &= dots - 1;
    size_t d2 = (size_t)__builtin_ctzll(dots);
    dots &= dots - 1;
    size_t d3 = (size_t)__builtin_ctzll(dots);
    const unsigned char *q = p + c;
    unsigned bad = 0;
    uint32_t v = octet(q, d1, &bad) << 24;
    v |= octet(q + d1 + 1, d2 - d1 - 1, &bad) << 16;
    v |= octet(q + d2 + 1, d3 - d2 - 1, &bad) << 8;
    v |= octet(q + d3 + 1, f - d3 - 1, &bad);
    *ret = v;
    return !bad;
}

/*
 * try_sep() on a line with masks: the same rules, with fields measured on
 * the bitmaps (an IPv4 field ends at the first byte outside [0-9A-Za-z.],
 * an IPv6 field at the first outside [0-9A-Za-z.:]).
 */
static inline __attribute__((always_inline)) bool
try_sep_masks(const unsigned char *p, size_t len, const struct line_masks *m, size_t i, size_t q,
              bool v4, bool v6, struct linescan_addr *a, size_t *ret_next)
{
    size_t c = q >= i + 4 ? q - 4 : i;

    *ret_next = q + 1;
    for (; c <= q; c++) {
        uint8_t k = cl(p[c]);
        if (!(k & C_START))
            continue;
        if (v4 && (k & C_DIGIT) && hint4(p, len, c)) {
            /* the field ends at the first non-field byte or ':' */
            size_t e = MIN(bm_next(m->nf, c, len), bm_next(m->col, c, len));
            *ret_next = e;
            if (quad_masks(p, m, c, e, &a->addr.v4)) {
                a->addr.family = ADDR_V4;
                a->off = c;
                a->len = e - c;
                return true;
            }
            return false;
        }
        if (v6 && hint6(p, len, c)) {
            size_t e = bm_next(m->nf, c, len), f = e - c;
            unsigned colons = bm_count(m->col, c, e);
            bool dbl = c + 1 < e && bm_count(m->dcol, c + 1, e) > 0;
            bool dot = colons < f && bm_count(m->sep, c, e) > colons;
            *ret_next = e;
            return plausible6(colons, dbl, dot) && take6(p, c, f, a);
        }
    }
    return false;
}

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

/* Find the addresses of the line at l (len bytes, '\n' included) from its
 * masks. */
static inline __attribute__((always_inline)) void
collect_by_masks(const struct ipset *s, const unsigned char *l, size_t len,
                 const struct line_masks *m, bool v4, bool v6, struct pending *pd)
{
    size_t i = 0;

    pd->n = 0;
    pd->more = false;
    for (;;) {
        size_t q = bm_next(m->sep, i, len), next;
        if (q >= len)
            return;
        if (try_sep_masks(l, len, m, i, q, v4, v6, &pd->a[pd->n], &next)) {
            ipset_prefetch(s, &pd->a[pd->n].addr);
            if (++pd->n == PEND_ADDRS) {
                pd->more = true;
                return;
            }
        }
        i = next;
        if (i >= len)
            return;
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

/* Length (with '\n') of the line at l if it ends within avail bytes, holds
 * no NUL and is at most max_len long; 0 otherwise. */
static size_t line_extent(const unsigned char *l, size_t avail, size_t max_len)
{
    const unsigned char *e = memchr(l, '\n', MIN(avail, max_len));
    if (!e)
        return 0;
    size_t len = (size_t)(e - l) + 1;
    return memchr(l, 0, len) ? 0 : len;
}

/*
 * The loop of linescan_lines(), compiled once per SIMD level (wide: with
 * AVX-512BW and POPCNT) so that the bit operations it inlines use the
 * instructions the level has.
 */
static inline __attribute__((always_inline)) size_t
lines_loop(const struct ipset *s, const unsigned char *p, size_t n, size_t max_len, unsigned select,
           linescan_lines_fn fn, void *ctx, uint64_t *ret_n_lines, int *ret_stop, bool wide)
{
    bool v4 = ipset_count_family(s, ADDR_V4) > 0, v6 = ipset_count_family(s, ADDR_V6) > 0;
    struct line_masks m;
    struct pending pend[2];
    unsigned cur = 0;
    bool have_prev = false;
    size_t pos = 0, pf = 0;
    uint64_t lines = 0;
    int stop = 0;

    while (pos < n && !stop) {
        const unsigned char *l = p + pos;
        size_t avail = n - pos, len;
        /* Pages of a mapped file are apart in memory: the hardware
         * prefetcher stops at each page end, so load ahead by hand. */
        for (; pf < pos + PREFETCH_AHEAD && pf < n; pf += 64)
            __builtin_prefetch(p + pf, 0, 0);
#ifdef HAVE_AVX512
        len = wide ? line_masks_avx512(l, avail, max_len, &m)
                   : line_masks_sse2(l, avail, max_len, &m);
#else
        (void)wide;
        len = line_masks_sse2(l, avail, max_len, &m);
#endif
        bool masks = len > 0;
        if (!masks && (len = line_extent(l, avail, max_len)) == 0)
            break;
        struct pending *pd = &pend[cur];
        pd->l = l;
        pd->len = len;
        pd->idx = lines;
        pd->n = 0;
        pd->more = false;
        if (masks && (v4 || v6))
            collect_by_masks(s, l, len, &m, v4, v6, pd);
        else if (v4 || v6)
            pd->more = true; /* long line: scanned when resolved */
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

#ifdef HAVE_AVX512
__attribute__((target("avx512f,avx512bw,popcnt,bmi,bmi2"))) static size_t
lines_avx512(const struct ipset *s, const unsigned char *p, size_t n, size_t max_len,
             unsigned select, linescan_lines_fn fn, void *ctx, uint64_t *ret_n_lines, int *ret_stop)
{
    return lines_loop(s, p, n, max_len, select, fn, ctx, ret_n_lines, ret_stop, true);
}
#endif

size_t linescan_lines(const struct ipset *s, const char *text, size_t n, size_t max_len,
                      unsigned select, linescan_lines_fn fn, void *ctx, uint64_t *ret_n_lines,
                      int *ret_stop)
{
    const unsigned char *p = (const unsigned char *)text;
#ifdef HAVE_AVX512
    if (linescan_simd && __builtin_cpu_supports("avx512bw"))
        return lines_avx512(s, p, n, max_len, select, fn, ctx, ret_n_lines, ret_stop);
#endif
    return lines_loop(s, p, n, max_len, select, fn, ctx, ret_n_lines, ret_stop, false);
}

void linescan_set_simd(bool on)
{
    linescan_simd = on;
}
