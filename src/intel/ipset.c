/*
 * struct ipset: host entries (/32, /128) in open-addressing hash tables;
 * shorter prefixes flattened into sorted, disjoint elementary intervals,
 * each labelled with the most specific prefix covering it. A lookup checks
 * a negative bitmap (IPv4: one bit per /24; IPv6: one bit per top 24 bits),
 * then the host table, then a binary search over the intervals narrowed by
 * a 64K-entry index on the top 16 bits.
 *
 * CIDR prefixes are laminar (two prefixes are nested or disjoint), so one
 * sweep with a stack builds the intervals, and each prefix records its
 * immediate parent for ipset_lookup_all().
 */
#include "intel/ipset.h"

#include <string.h>

#include "base/vec.h"

typedef unsigned __int128 u128;

#define LABEL_NONE  0u /* interval labels are prefix index + 1 */
#define BITMAP_BITS (1u << 24)
#define COARSE_BITS (1u << 20)
#define MAX_ENTRIES ((size_t)1 << 31)

struct pending {
    u128 start;   /* host bits clear; IPv4 in the low 32 bits */
    uint32_t seq; /* insertion order, for "the first value wins" */
    uint32_t value;
    uint8_t family;
    uint8_t len;
};

struct slot6 {
    uint64_t hi, lo;
    uint32_t value;
};

/* Non-host prefixes and elementary intervals of one family. */
struct lpm {
    size_t n_prefixes;
    uint32_t *values;  /* [n_prefixes] */
    uint32_t *parents; /* [n_prefixes], index + 1 of the enclosing prefix, 0 none */
    size_t n_iv;
    uint32_t *starts4; /* IPv4: interval starts */
    u128 *starts6;     /* IPv6: interval starts */
    uint32_t *labels;  /* [n_iv] */
    uint32_t *index;   /* [65537]: last interval starting at or before h << (w-16) */
};

struct ipset {
    VEC(struct pending) pending;
    bool built;

    /* IPv4 hosts: slots of key | value << 32, so that a hit reads one
     * cache line; key 0 marks an empty slot; 0.0.0.0 is kept aside. */
    uint64_t *h4;
    size_t h4_mask, h4_n;
    bool h4_zero;
    uint32_t h4_zero_value;

    /* IPv6 hosts: (0, 0) marks an empty slot; :: is kept aside. */
    struct slot6 *h6;
    size_t h6_mask, h6_n;
    bool h6_zero;
    uint32_t h6_zero_value;

    struct lpm l4, l6;
    uint64_t *bm4, *bm6; /* negative filters, BITMAP_BITS each; NULL when empty */
    uint64_t *bm4c;      /* coarse IPv4 filter, one bit per /20 (fits in L2 cache) */
    size_t memory;
};

struct ipset *ipset_new(void)
{
    return xcalloc(1, sizeof(struct ipset));
}

static void lpm_release(struct lpm *l)
{
    free(l->values);
    free(l->parents);
    free(l->starts4);
    free(l->starts6);
    free(l->labels);
    free(l->index);
    memset(l, 0, sizeof(*l));
}

void ipset_free(struct ipset *s)
{
    if (!s)
        return;
    VEC_FREE(&s->pending);
    free(s->h4);
    free(s->h6);
    lpm_release(&s->l4);
    lpm_release(&s->l6);
    free(s->bm4);
    free(s->bm4c);
    free(s->bm6);
    free(s);
}

static u128 u128_of(uint64_t hi, uint64_t lo)
{
    return (u128)hi << 64 | lo;
}

int ipset_add(struct ipset *s, const struct ip_prefix *p, uint32_t value)
{
    struct pending e;

    if (s->built)
        return -EBUSY;
    if (s->pending.n >= MAX_ENTRIES)
        return -E2BIG;
    memset(&e, 0, sizeof(e));
    e.family = p->addr.family;
    e.len = p->len;
    e.value = value;
    e.seq = (uint32_t)s->pending.n;
    if (e.family == ADDR_V4) {
        if (p->len > 32)
            return -EINVAL;
        e.start = p->addr.v4 & ip4_mask(p->len);
    } else if (e.family == ADDR_V6) {
        if (p->len > 128)
            return -EINVAL;
        u128 a = u128_of(p->addr.v6.hi, p->addr.v6.lo);
        e.start = p->len == 0 ? 0 : a & (~(u128)0 << (128 - p->len));
    } else {
        return -EINVAL;
    }
    VEC_PUSH(&s->pending, e);
    return 0;
}

static inline uint32_t hash4(uint32_t a)
{
    uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h >> 32);
}

static inline uint64_t hash6(uint64_t hi, uint64_t lo)
{
    uint64_t h = (hi ^ (lo * 0xC2B2AE3D27D4EB4Full)) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

static size_t table_size(size_t n)
{
    size_t sz = 16;
    while (sz < n * 2)
        sz <<= 1;
    return sz;
}

static inline void bm_set(uint64_t *bm, uint32_t bit)
{
    bm[bit >> 6] |= (uint64_t)1 << (bit & 63);
}

static inline bool bm_test(const uint64_t *bm, uint32_t bit)
{
    return (bm[bit >> 6] >> (bit & 63)) & 1;
}

/* Set bits [first, last] of a bitmap. */
static void bm_set_range(uint64_t *bm, uint32_t first, uint32_t last)
{
    for (uint64_t b = first; b <= last;) {
        if ((b & 63) == 0 && last - b >= 63) {
            bm[b >> 6] = ~(uint64_t)0;
            b += 64;
        } else {
            bm_set(bm, (uint32_t)b);
            b++;
        }
    }
}

/* Mark the buckets (the top `bits` bits of the address) a prefix can
 * touch. width is 32 or 128. */
static void bm_mark(uint64_t *bm, u128 start, unsigned len, unsigned width, unsigned bits)
{
    uint32_t first = (uint32_t)(start >> (width - bits));
    if (len >= bits) {
        bm_set(bm, first);
        return;
    }
    uint32_t span = (uint32_t)1 << (bits - len);
    bm_set_range(bm, first, first + span - 1);
}

static int cmp_pending(const void *a, const void *b)
{
    const struct pending *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct iv_builder {
    VEC(u128) starts;
    VEC(uint32_t) labels;
};

/* Append an interval starting at pos; a second interval at the same start
 * replaces the first, and equal labels merge with the previous one. */
static void iv_emit(struct iv_builder *b, u128 pos, uint32_t label)
{
    if (b->starts.n && b->starts.items[b->starts.n - 1] == pos) {
        b->labels.items[b->labels.n - 1] = label;
        if (b->labels.n >= 2 && b->labels.items[b->labels.n - 2] == label) {
            b->starts.n--;
            b->labels.n--;
        }
        return;
    }
    if (b->labels.n && b->labels.items[b->labels.n - 1] == label)
        return;
    VEC_PUSH(&b->starts, pos);
    VEC_PUSH(&b->labels, label);
}

/*
 * Build the interval structure from non-host prefixes of one family, sorted
 * by (start, len, seq). width is 32 or 128.
 */
static void lpm_build(struct lpm *l, const struct pending *p, size_t n, unsigned width)
{
    struct iv_builder b = {VEC_INIT, VEC_INIT};
    size_t stack[130];
    u128 ends[130];
    size_t depth = 0;
    u128 top = width == 128 ? ~(u128)0 : (u128)UINT32_MAX;

    l->values = xmalloc((n ? n : 1) * sizeof(uint32_t));
    l->parents = xmalloc((n ? n : 1) * sizeof(uint32_t));
    iv_emit(&b, 0, LABEL_NONE);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && p[i].start == p[i - 1].start && p[i].len == p[i - 1].len)
            continue; /* duplicate: the first value wins */
        u128 end = p[i].start | (p[i].len == 0 ? top : (top >> p[i].len));
        while (depth && ends[depth - 1] < p[i].start) {
            u128 e = ends[--depth];
            if (e != top)
                iv_emit(&b, e + 1, depth ? (uint32_t)stack[depth - 1] + 1 : LABEL_NONE);
        }
        l->values[k] = p[i].value;
        l->parents[k] = depth ? (uint32_t)stack[depth - 1] + 1 : LABEL_NONE;
        stack[depth] = k;
        ends[depth] = end;
        depth++;
        iv_emit(&b, p[i].start, (uint32_t)k + 1);
        k++;
    }
    while (depth) {
        u128 e = ends[--depth];
        if (e != top)
            iv_emit(&b, e + 1, depth ? (uint32_t)stack[depth - 1] + 1 : LABEL_NONE);
    }
    l->n_prefixes = k;
    l->n_iv = b.starts.n;
    l->labels = b.labels.items;
    if (width == 32) {
        l->starts4 = xmalloc(b.starts.n * sizeof(uint32_t));
        for (size_t i = 0; i < b.starts.n; i++)
            l->starts4[i] = (uint32_t)b.starts.items[i];
        VEC_FREE(&b.starts);
    } else {
        l->starts6 = b.starts.items;
    }
    /* index[h]: the last interval whose start <= h << (width - 16). */
    l->index = xmalloc(65537 * sizeof(uint32_t));
    size_t j = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        u128 key = (u128)h << (width - 16);
        while (j + 1 < l->n_iv &&
               (width == 32 ? (u128)l->starts4[j + 1] : l->starts6[j + 1]) <= key)
            j++;
        l->index[h] = (uint32_t)j;
    }
    l->index[65536] = (uint32_t)(l->n_iv - 1);
}

static size_t lpm_memory(const struct lpm *l, unsigned width)
{
    if (!l->index)
        return 0;
    return l->n_prefixes * 8 + l->n_iv * (4 + (width == 32 ? 4 : 16)) + 65537 * 4;
}

static void h4_insert(struct ipset *s, uint32_t key, uint32_t value)
{
    if (key == 0) {
        if (!s->h4_zero) {
            s->h4_zero = true;
            s->h4_zero_value = value;
            s->h4_n++;
        }
        return;
    }
    size_t i = hash4(key) & s->h4_mask;
    while ((uint32_t)s->h4[i]) {
        if ((uint32_t)s->h4[i] == key)
            return;
        i = (i + 1) & s->h4_mask;
    }
    s->h4[i] = key | (uint64_t)value << 32;
    s->h4_n++;
}

static void h6_insert(struct ipset *s, uint64_t hi, uint64_t lo, uint32_t value)
{
    if (hi == 0 && lo == 0) {
        if (!s->h6_zero) {
            s->h6_zero = true;
            s->h6_zero_value = value;
            s->h6_n++;
        }
        return;
    }
    size_t i = hash6(hi, lo) & s->h6_mask;
    while (s->h6[i].hi || s->h6[i].lo) {
        if (s->h6[i].hi == hi && s->h6[i].lo == lo)
            return;
        i = (i + 1) & s->h6_mask;
    }
    s->h6[i].hi = hi;
    s->h6[i].lo = lo;
    s->h6[i].value = value;
    s->h6_n++;
}

int ipset_build(struct ipset *s)
{
    size_t n4h = 0, n6h = 0;
    struct pending *p = s->pending.items;
    size_t n = s->pending.n;

    if (s->built)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i].family == ADDR_V4 && p[i].len == 32)
            n4h++;
        else if (p[i].family == ADDR_V6 && p[i].len == 128)
            n6h++;
    }
    size_t sz4 = table_size(n4h), sz6 = table_size(n6h);
    s->h4 = xcalloc(sz4, sizeof(uint64_t));
    s->h4_mask = sz4 - 1;
    s->h6 = xcalloc(sz6, sizeof(struct slot6));
    s->h6_mask = sz6 - 1;

    bool any4 = false, any6 = false;
    for (size_t i = 0; i < n; i++) {
        if (p[i].family == ADDR_V4)
            any4 = true;
        else
            any6 = true;
    }
    if (any4) {
        s->bm4 = xcalloc(BITMAP_BITS / 64, sizeof(uint64_t));
        s->bm4c = xcalloc(COARSE_BITS / 64, sizeof(uint64_t));
    }
    if (any6)
        s->bm6 = xcalloc(BITMAP_BITS / 64, sizeof(uint64_t));

    /* Hosts in insertion order (the first value wins); the rest moves to
     * the front of the array for sorting. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        struct pending e = p[i];
        if (e.family == ADDR_V4) {
            bm_mark(s->bm4, e.start, e.len, 32, 24);
            bm_mark(s->bm4c, e.start, e.len, 32, 20);
            if (e.len == 32) {
                h4_insert(s, (uint32_t)e.start, e.value);
                continue;
            }
        } else {
            bm_mark(s->bm6, e.start, e.len, 128, 24);
            if (e.len == 128) {
                h6_insert(s, (uint64_t)(e.start >> 64), (uint64_t)e.start, e.value);
                continue;
            }
        }
        p[m++] = e;
    }
    qsort(p, m, sizeof(*p), cmp_pending);
    /* Split by family, keeping the order. */
    struct pending *v4 = xmalloc((m ? m : 1) * sizeof(*v4));
    struct pending *v6 = xmalloc((m ? m : 1) * sizeof(*v6));
    size_t a = 0, b = 0;
    for (size_t i = 0; i < m; i++) {
        if (p[i].family == ADDR_V4)
            v4[a++] = p[i];
        else
            v6[b++] = p[i];
    }
    VEC_FREE(&s->pending);
    lpm_build(&s->l4, v4, a, 32);
    lpm_build(&s->l6, v6, b, 128);
    free(v4);
    free(v6);

    s->built = true;
    s->memory = sizeof(*s) + sz4 * 8 + sz6 * sizeof(struct slot6) + lpm_memory(&s->l4, 32) +
                lpm_memory(&s->l6, 128) + (s->bm4 ? (BITMAP_BITS + COARSE_BITS) / 8 : 0) +
                (s->bm6 ? BITMAP_BITS / 8 : 0);
    return 0;
}

static inline bool h4_find(const struct ipset *s, uint32_t a, uint32_t *ret)
{
    if (a == 0) {
        if (s->h4_zero)
            *ret = s->h4_zero_value;
        return s->h4_zero;
    }
    size_t i = hash4(a) & s->h4_mask;
    for (;;) {
        uint64_t slot = s->h4[i];
        uint32_t k = (uint32_t)slot;
        if (k == a) {
            *ret = (uint32_t)(slot >> 32);
            return true;
        }
        if (k == 0)
            return false;
        i = (i + 1) & s->h4_mask;
    }
}

static inline bool h6_find(const struct ipset *s, uint64_t hi, uint64_t lo, uint32_t *ret)
{
    if (hi == 0 && lo == 0) {
        if (s->h6_zero)
            *ret = s->h6_zero_value;
        return s->h6_zero;
    }
    size_t i = hash6(hi, lo) & s->h6_mask;
    for (;;) {
        const struct slot6 *e = &s->h6[i];
        if (e->hi == hi && e->lo == lo) {
            *ret = e->value;
            return true;
        }
        if (e->hi == 0 && e->lo == 0)
            return false;
        i = (i + 1) & s->h6_mask;
    }
}

/* Label (prefix index + 1, or 0) of the interval holding a. */
static inline uint32_t lpm_label4(const struct lpm *l, uint32_t a)
{
    uint32_t h = a >> 16;
    size_t lo = l->index[h], hi = l->index[h + 1];
    /* The answer is the last start <= a within [lo, hi]. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (l->starts4[mid] <= a)
            lo = mid;
        else
            hi = mid - 1;
    }
    return l->labels[lo];
}

static inline uint32_t lpm_label6(const struct lpm *l, u128 a)
{
    uint32_t h = (uint32_t)(a >> 112);
    size_t lo = l->index[h], hi = l->index[h + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (l->starts6[mid] <= a)
            lo = mid;
        else
            hi = mid - 1;
    }
    return l->labels[lo];
}

bool ipset_lookup4(const struct ipset *s, uint32_t a, uint32_t *ret_value)
{
    uint32_t v;

    if (!s->bm4 || !bm_test(s->bm4c, a >> 12) || !bm_test(s->bm4, a >> 8))
        return false;
    if (s->h4_n && h4_find(s, a, &v)) {
        if (ret_value)
            *ret_value = v;
        return true;
    }
    if (!s->l4.n_prefixes)
        return false;
    uint32_t label = lpm_label4(&s->l4, a);
    if (label == LABEL_NONE)
        return false;
    if (ret_value)
        *ret_value = s->l4.values[label - 1];
    return true;
}

bool ipset_lookup6(const struct ipset *s, uint64_t hi, uint64_t lo, uint32_t *ret_value)
{
    uint32_t v;

    if (!s->bm6 || !bm_test(s->bm6, (uint32_t)(hi >> 40)))
        return false;
    if (s->h6_n && h6_find(s, hi, lo, &v)) {
        if (ret_value)
            *ret_value = v;
        return true;
    }
    if (!s->l6.n_prefixes)
        return false;
    uint32_t label = lpm_label6(&s->l6, u128_of(hi, lo));
    if (label == LABEL_NONE)
        return false;
    if (ret_value)
        *ret_value = s->l6.values[label - 1];
    return true;
}

void ipset_prefetch(const struct ipset *s, const struct ip_addr *a)
{
    /* The coarse IPv4 filter stays in cache: test it here, and load what
     * the lookup reads next only for addresses it lets through. */
    if (a->family == ADDR_V4 && s->bm4 && bm_test(s->bm4c, a->v4 >> 12)) {
        __builtin_prefetch(&s->bm4[a->v4 >> 14]);
        if (s->h4_n)
            __builtin_prefetch(&s->h4[hash4(a->v4) & s->h4_mask]);
    } else if (a->family == ADDR_V6 && s->bm6) {
        __builtin_prefetch(&s->bm6[a->v6.hi >> 46]);
        if (s->h6_n)
            __builtin_prefetch(&s->h6[hash6(a->v6.hi, a->v6.lo) & s->h6_mask]);
    }
}

bool ipset_lookup(const struct ipset *s, const struct ip_addr *a, uint32_t *ret_value)
{
    if (a->family == ADDR_V4)
        return ipset_lookup4(s, a->v4, ret_value);
    if (a->family == ADDR_V6)
        return ipset_lookup6(s, a->v6.hi, a->v6.lo, ret_value);
    return false;
}

size_t ipset_lookup_all(const struct ipset *s, const struct ip_addr *a, uint32_t *ret_values,
                        size_t max)
{
    size_t n = 0;
    uint32_t v, label;
    const struct lpm *l;

    if (!s->built)
        return 0;
    if (a->family == ADDR_V4) {
        if (!s->bm4 || !bm_test(s->bm4, a->v4 >> 8))
            return 0;
        if (s->h4_n && h4_find(s, a->v4, &v)) {
            if (n < max)
                ret_values[n] = v;
            n++;
        }
        l = &s->l4;
        label = l->n_prefixes ? lpm_label4(l, a->v4) : LABEL_NONE;
    } else if (a->family == ADDR_V6) {
        if (!s->bm6 || !bm_test(s->bm6, (uint32_t)(a->v6.hi >> 40)))
            return 0;
        if (s->h6_n && h6_find(s, a->v6.hi, a->v6.lo, &v)) {
            if (n < max)
                ret_values[n] = v;
            n++;
        }
        l = &s->l6;
        label = l->n_prefixes ? lpm_label6(l, u128_of(a->v6.hi, a->v6.lo)) : LABEL_NONE;
    } else {
        return 0;
    }
    while (label != LABEL_NONE) {
        if (n < max)
            ret_values[n] = l->values[label - 1];
        n++;
        label = l->parents[label - 1];
    }
    return n;
}

size_t ipset_count(const struct ipset *s)
{
    if (!s->built)
        return s->pending.n;
    return s->h4_n + s->h6_n + s->l4.n_prefixes + s->l6.n_prefixes;
}

size_t ipset_count_family(const struct ipset *s, int family)
{
    if (!s->built) {
        size_t n = 0;
        for (size_t i = 0; i < s->pending.n; i++)
            n += s->pending.items[i].family == family;
        return n;
    }
    if (family == ADDR_V4)
        return s->h4_n + s->l4.n_prefixes;
    if (family == ADDR_V6)
        return s->h6_n + s->l6.n_prefixes;
    return 0;
}

size_t ipset_memory(const struct ipset *s)
{
    if (!s->built)
        return sizeof(*s) + s->pending.alloc * sizeof(struct pending);
    return s->memory;
}
