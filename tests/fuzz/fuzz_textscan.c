/*
 * Text engine: any bytes, cut into blocks of any size on 1-3 threads,
 * give exactly what one single-threaded pass over one block gives (the
 * selected lines, their numbers, results and hits, and the counts), for
 * listed and for unlisted (-v) selection. And the scanner's own IPv6
 * parser agrees with ip_parse(): input that is IPv6 text (other than "::",
 * which grepcidr never finds) made of hex digits, ':' and '.' is found
 * whole.
 */
#include <string.h>

#include "base/addr.h"
#include "intel/ipset.h"
#include "intel/linescan.h"
#include "intel/textscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ipset *set;

static const char *const entries[] = {"1.2.3.4", "10.0.0.0/8", "::1", "2001:db8::/32", NULL};

/* The selected lines as one byte string: line number, result, value,
 * length and bytes of each. */
struct rec {
    uint8_t *p;
    size_t len, alloc;
};

static void put(struct rec *r, const void *p, size_t n)
{
    if (r->len + n > r->alloc) {
        r->alloc = (r->len + n) * 2;
        r->p = xrealloc(r->p, r->alloc);
    }
    memcpy(r->p + r->len, p, n);
    r->len += n;
}

static int on_line(void *ctx, const struct textscan_line *l)
{
    struct rec *r = ctx;
    uint64_t head[4] = {l->line_no, (uint64_t)l->result,
                        l->result == LINESCAN_MATCH ? l->hit.value : 0, l->len};
    if (l->result == LINESCAN_MATCH && l->hit.a.off + l->hit.a.len > l->len)
        __builtin_trap();
    put(r, head, sizeof(head));
    put(r, l->line, l->len);
    return 0;
}

static int one_addr(void *ctx, const struct linescan_addr *a)
{
    const struct ip_addr *want = ctx;
    if (a->off != 0 || ip_cmp(&a->addr, want) != 0)
        __builtin_trap();
    return 1;
}

static void check_parse6(const uint8_t *d, size_t n)
{
    struct ip_addr want;
    if (n < 3 || n > 45 || strspn((const char *)d, "0123456789abcdefABCDEF:.") < n ||
        ip_parse((const char *)d, n, &want) != ADDR_OK || want.family != ADDR_V6)
        return;
    if (linescan_each((const char *)d, n, LINESCAN_NO_LIMIT, LINESCAN_V6, one_addr, &want) != 1)
        __builtin_trap();
}

static void run(const uint8_t *d, size_t n, unsigned threads, size_t block, unsigned select,
                struct rec *r, struct textscan_stats *st)
{
    struct textscan_opts o;
    textscan_opts_init(&o);
    o.n_threads = threads;
    o.block_size = block;
    o.select = select;
    if (textscan_buf(set, &o, (const char *)d, n, on_line, r, st) != 0)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!set) {
        set = ipset_new();
        for (size_t i = 0; entries[i]; i++) {
            struct ip_prefix p;
            if (prefix_parse(entries[i], strlen(entries[i]), false, &p) != ADDR_OK ||
                ipset_add(set, &p, (uint32_t)i) < 0)
                __builtin_trap();
        }
        if (ipset_build(set) < 0)
            __builtin_trap();
    }
    if (size < 1)
        return 0;
    char text[46];
    if (size <= 45) {
        memcpy(text, data, size);
        text[size] = 0;
        check_parse6((const uint8_t *)text, size);
    }
    /* The first byte picks the block size and thread count. */
    size_t block = 1 + (data[0] & 31) * (data[0] & 31);
    unsigned threads = 1 + (data[0] >> 5) % 3;
    unsigned select = data[0] & 128 ? TEXTSCAN_SELECT_NO_MATCH : TEXTSCAN_SELECT_MATCH;
    data++;
    size--;

    struct rec one = {0}, many = {0};
    struct textscan_stats s1 = {0, 0}, s2 = {0, 0};
    run(data, size, 1, SIZE_MAX / 2, select, &one, &s1);
    run(data, size, threads, block, select, &many, &s2);
    if (one.len != many.len || (one.len && memcmp(one.p, many.p, one.len) != 0) ||
        s1.n_lines != s2.n_lines || s1.n_selected != s2.n_selected)
        __builtin_trap();
    free(one.p);
    free(many.p);
    return 0;
}
