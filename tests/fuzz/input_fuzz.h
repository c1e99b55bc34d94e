/*
 * Shared body of the sensor input fuzz targets: feed the data as lines of
 * one format (or, for packets, as one frame) and check what comes out: every
 * name is a normalised host name, every string has its stated length, and
 * each line is accounted for.
 */
#ifndef VIGIL_FUZZ_INPUT_FUZZ_H
#define VIGIL_FUZZ_INPUT_FUZZ_H

#include <stdlib.h>
#include <string.h>

#include "sensor/input.h"

static inline void input_fuzz_check(const struct obs *o, void *ctx)
{
    (void)ctx;
    if (o->kind < OBS_FLOW || o->kind > OBS_ALERT)
        abort();
    if (o->qname) {
        if (o->qname_len == 0 || o->qname_len > DOMAIN_MAX || strlen(o->qname) != o->qname_len)
            abort();
        for (size_t i = 0; i < o->qname_len; i++)
            if (o->qname[i] >= 'A' && o->qname[i] <= 'Z')
                abort();
    }
    if (o->rule && strlen(o->rule) != o->rule_len)
        abort();
}

static inline void input_fuzz_lines(const uint8_t *data, size_t size, enum input_format f)
{
    struct input in;
    input_init(&in, f);
    in.ref_ms = 1795262400000LL;
    struct obs_counters c = {0};
    const char *p = (const char *)data, *end = p + size;
    uint64_t lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        input_line(&in, p, len, ++lineno, input_fuzz_check, NULL, &c);
        p += len + (nl != NULL);
    }
}

#endif
