/*
 * Line scanner: no crash or overread on any bytes; every address reported
 * lies inside the line, in order, and parses back to itself; the set
 * matcher agrees with the addresses the iterator finds.
 */
#include <string.h>

#include "base/addr.h"
#include "intel/ipset.h"
#include "intel/linescan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ipset *set;

static const char *const entries[] = {
    "1.2.3.4", "10.0.0.0/8", "192.168.0.0/16", "::1", "2001:db8::/32", "::ffff:1.2.3.4", NULL};

struct check {
    const char *line;
    size_t len, last_end, n_listed, n;
};

static int visit(void *ctx, const struct linescan_addr *a)
{
    struct check *c = ctx;
    struct ip_addr b;
    if (a->off < c->last_end || a->off + a->len > c->len)
        __builtin_trap();
    if (ip_parse(c->line + a->off, a->len, &b) != ADDR_OK || ip_cmp(&a->addr, &b) != 0)
        __builtin_trap();
    c->last_end = a->off + a->len;
    c->n++;
    if (ipset_lookup(set, &a->addr, NULL))
        c->n_listed++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!set) {
        set = ipset_new();
        for (size_t i = 0; entries[i]; i++) {
            struct ip_prefix p;
            if (prefix_parse(entries[i], strlen(entries[i]), true, &p) != ADDR_OK ||
                ipset_add(set, &p, (uint32_t)i) < 0)
                __builtin_trap();
        }
        if (ipset_build(set) < 0)
            __builtin_trap();
    }
    const char *line = (const char *)data;
    struct check c = {line, size, 0, 0, 0};
    linescan_each(line, size, LINESCAN_NO_LIMIT, LINESCAN_V4 | LINESCAN_V6, visit, &c);
    struct linescan_hit hit;
    enum linescan_result r = linescan_line(set, line, size, LINESCAN_NO_LIMIT, &hit);
    if ((r == LINESCAN_MATCH) != (c.n_listed > 0) || (r == LINESCAN_NO_ADDR) != (c.n == 0))
        __builtin_trap();
    if (r == LINESCAN_MATCH &&
        (hit.a.off + hit.a.len > size || !ipset_lookup(set, &hit.a.addr, NULL)))
        __builtin_trap();
    /* With a start limit, only addresses starting before it are seen. */
    struct check c2 = {line, size, 0, 0, 0};
    size_t limit = size / 2;
    linescan_each(line, size, limit, LINESCAN_V4, visit, &c2);
    return 0;
}
