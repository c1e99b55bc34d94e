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

static inline uint8_t cl(unsigned char c)
{
    return cls[c];
}

/* Byte at i, or NUL past the end (grepcidr's buffer holds a NUL there). */
static inline unsigned char at(const unsigned char *p, size_t len, size_t i)
{
    return i < len ? p[i] : 0;
}

static inline size_t span(const unsigned char *p, size_t len, size_t i, uint8_t mask)
{
    size_t j = i;
    while (j < len && (cl(p[j]) & mask))
        j++;
    return j - i;
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
 * The scanning loop, shared by the callback and the set-matching forms.
 * grepcidr tries the rules at every position not inside a consumed field;
 * a rule can fire at position c only if a '.' or ':' stands in c..c+4, so
 * only the positions from 4 before each separator up to it are tried.
 * VISIT runs for each address found (in a_), and may return.
 */
#define SCAN_LOOP(line, len, max_start, families, VISIT)                                           \
    do {                                                                                           \
        const unsigned char *p_ = (const unsigned char *)(line);                                   \
        size_t len_ = (len);                                                                       \
        size_t end_ = (max_start) < len_ ? (max_start) : len_;                                     \
        bool v4_ = (families)&LINESCAN_V4, v6_ = (families)&LINESCAN_V6;                           \
        size_t i_ = 0;                                                                             \
        while (i_ < end_) {                                                                        \
            size_t q_ = next_sep(p_, len_, i_);                                                    \
            if (q_ >= len_)                                                                        \
                break;                                                                             \
            size_t c_ = q_ >= i_ + 4 ? q_ - 4 : i_;                                                \
            size_t stop_ = q_ < end_ ? q_ + 1 : end_;                                              \
            size_t next_ = q_ + 1;                                                                 \
            for (; c_ < stop_; c_++) {                                                             \
                uint8_t k_ = cl(p_[c_]);                                                           \
                if (!(k_ & C_START))                                                               \
                    continue;                                                                      \
                if (v4_ && (k_ & C_DIGIT) && hint4(p_, len_, c_)) {                                \
                    size_t f_ = span(p_, len_, c_, C_F4);                                          \
                    struct linescan_addr a_;                                                       \
                    if (f_ >= 7 && f_ <= 15 &&                                                     \
                        ip4_parse((const char *)p_ + c_, f_, &a_.addr.v4) == ADDR_OK) {            \
                        a_.addr.family = ADDR_V4;                                                  \
                        a_.off = c_;                                                               \
                        a_.len = f_;                                                               \
                        VISIT                                                                      \
                    }                                                                              \
                    next_ = c_ + f_;                                                               \
                    break;                                                                         \
                }                                                                                  \
                if (v6_ && hint6(p_, len_, c_)) {                                                  \
                    bool ok_;                                                                      \
                    size_t f_ = span6(p_, len_, c_, &ok_);                                         \
                    struct linescan_addr a_;                                                       \
                    if (ok_ && f_ >= 3 && f_ <= 45 &&                                              \
                        ip6_parse((const char *)p_ + c_, f_, &a_.addr) == ADDR_OK) {               \
                        a_.off = c_;                                                               \
                        a_.len = f_;                                                               \
                        VISIT                                                                      \
                    }                                                                              \
                    next_ = c_ + f_;                                                               \
                    break;                                                                         \
                }                                                                                  \
            }                                                                                      \
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
