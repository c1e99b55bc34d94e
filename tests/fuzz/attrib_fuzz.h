/* Shared body of the subscriber attribution fuzz targets (sensor/attrib.h):
 * load (data, size) with one reader, build, look up. Malformed records must
 * be counted, never crash; a hit must hold the time looked up. */
#ifndef VIGIL_FUZZ_ATTRIB_FUZZ_H
#define VIGIL_FUZZ_ATTRIB_FUZZ_H

#include <stdlib.h>

#include "sensor/attrib.h"

typedef int (*attrib_fuzz_load_fn)(struct attrib *a, const char *name, const char *p, size_t len,
                                   struct verr *err);

static inline void attrib_fuzz_one(const uint8_t *data, size_t size, attrib_fuzz_load_fn load)
{
    struct attrib *a = attrib_new();
    struct verr err;
    verr_init(&err);
    if (load(a, "fuzz", (const char *)data, size, &err) > 0)
        abort();
    if (attrib_counters(a)->malformed > attrib_counters(a)->records)
        abort();
    if (attrib_build(a) != 0)
        abort();
    struct ip_addr ip = {.family = ADDR_V4, .v4 = 0x0a000001};
    struct subscriber s;
    for (int64_t t = 0; t < 4000000000000LL; t += 1000000000000LL)
        if (attrib_lookup(a, &ip, t, &s) && !(s.start_ms <= t && t < s.end_ms))
            abort();
    ip.family = ADDR_V6;
    ip.v6.hi = 0x20010db800000000ULL;
    ip.v6.lo = 1;
    (void)attrib_lookup(a, &ip, 1795143600000LL, &s);
    attrib_free(a);
}

#endif
