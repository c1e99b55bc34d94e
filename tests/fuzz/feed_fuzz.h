/*
 * Shared body of the feed reader fuzz targets (fuzz_feed_*.c): parse the
 * input with one format forced (or detected) and check what must hold for
 * any input: counts are consistent, every error names a line that exists
 * and reads as UTF-8, and every indicator's canonical value parses back to
 * the same indicator.
 */
#ifndef VIGIL_FUZZ_FEED_FUZZ_H
#define VIGIL_FUZZ_FEED_FUZZ_H

#include <string.h>

#include "base/addr.h"
#include "base/str.h"
#include "intel/domainset.h"
#include "intel/feed.h"

#define FEED_CHECK(x)                                                                              \
    do {                                                                                           \
        if (!(x))                                                                                  \
            __builtin_trap();                                                                      \
    } while (0)

static void feed_fuzz_check_ind(const struct indicator *ind)
{
    char v[IND_VALUE_MAX];
    size_t n = indicator_value(ind, v);
    FEED_CHECK(n > 0 && n < IND_VALUE_MAX && strlen(v) == n);
    switch (ind->type) {
    case IND_IP: {
        struct ip_prefix p;
        FEED_CHECK(prefix_parse(v, n, true, &p) == ADDR_OK);
        FEED_CHECK(p.len == ind->ip.len && p.addr.family == ind->ip.addr.family);
        if (p.addr.family == ADDR_V4)
            FEED_CHECK(p.addr.v4 == ind->ip.addr.v4);
        else
            FEED_CHECK(p.addr.v6.hi == ind->ip.addr.v6.hi && p.addr.v6.lo == ind->ip.addr.v6.lo);
        break;
    }
    case IND_DOMAIN: {
        char norm[DOMAIN_MAX + 1];
        size_t nl;
        FEED_CHECK(domain_normalize(v, n, norm, &nl) == DOMAIN_OK);
        FEED_CHECK(nl == n && memcmp(norm, v, n) == 0 && memchr(v, '.', n));
        break;
    }
    case IND_MD5:
    case IND_SHA1:
    case IND_SHA256: {
        size_t hl = ind->type == IND_MD5 ? 16 : ind->type == IND_SHA1 ? 20 : 32;
        uint8_t h[32];
        FEED_CHECK(n == 2 * hl && hex_decode(v, n, h, hl) == 0);
        FEED_CHECK(memcmp(h, ind->hash, hl) == 0);
        break;
    }
    default:
        FEED_CHECK(0);
    }
    if (ind->malware)
        FEED_CHECK(str_valid_utf8(ind->malware, strlen(ind->malware)));
    if (ind->isp)
        FEED_CHECK(str_valid_utf8(ind->isp, strlen(ind->isp)));
}

static void feed_fuzz_one(const uint8_t *data, size_t size, enum feed_format format)
{
    struct feed_opts o;
    feed_opts_init(&o);
    o.format = format;
    o.max_line = 4096;
    struct feed f;
    feed_init(&f);
    struct verr err;
    int r = feed_parse(data, size, &o, &f, &err);
    FEED_CHECK(r <= 0);
    if (r < 0)
        FEED_CHECK(err.msg[0] != '\0' && strlen(err.msg) < sizeof(err.msg));
    if (format != FEED_AUTO)
        FEED_CHECK(f.format == format || f.format == FEED_AUTO);
    FEED_CHECK(f.n_data <= f.n_lines);
    FEED_CHECK(f.n_errors <= f.n_data);
    FEED_CHECK(f.errors.n <= f.n_errors && f.errors.n <= FEED_MAX_KEPT_ERRORS);
    for (size_t i = 0; i < f.errors.n; i++) {
        const struct feed_error *e = &f.errors.items[i];
        FEED_CHECK(e->line >= 1 && e->line <= f.n_lines);
        FEED_CHECK(memchr(e->reason, '\0', sizeof(e->reason)) && e->reason[0]);
        FEED_CHECK(str_valid_utf8(e->reason, strlen(e->reason)));
        FEED_CHECK(str_valid_utf8(e->field, strlen(e->field)));
    }
    for (size_t i = 0; i < f.items.n; i++) {
        FEED_CHECK(f.items.items[i].line >= 1 && f.items.items[i].line <= f.n_lines);
        feed_fuzz_check_ind(&f.items.items[i]);
    }
    feed_release(&f);
}

#endif
