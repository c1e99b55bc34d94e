/*
 * Shared body of the NetFlow/IPFIX fuzz targets (fuzz_netflow5.c,
 * fuzz_netflow9.c, fuzz_ipfix.c). The input is a sequence of export packets,
 * each prefixed by a 16-bit big-endian length, fed to one template cache
 * with small limits so that eviction, expiry and stream turnover happen.
 * The version field of each packet is forced to the target's version. Checks
 * what must hold for any input: counters agree with the records delivered,
 * the bounds are kept, every record is a flow of the right source.
 */
#ifndef VIGIL_FUZZ_NETFLOW_FUZZ_H
#define VIGIL_FUZZ_NETFLOW_FUZZ_H

#include <string.h>

#include "sensor/netflow.h"

#define NF_CHECK(x)                                                                                \
    do {                                                                                           \
        if (!(x))                                                                                  \
            __builtin_trap();                                                                      \
    } while (0)

struct nf_fuzz_state {
    enum obs_source source;
    uint64_t n;
};

static void nf_fuzz_obs(const struct obs *o, void *arg)
{
    struct nf_fuzz_state *st = arg;
    NF_CHECK(o->kind == OBS_FLOW && o->source == st->source);
    NF_CHECK(o->src.family == 0 || o->src.family == ADDR_V4 || o->src.family == ADDR_V6);
    NF_CHECK(o->xsrc.family == 0 || o->xsrc.family == ADDR_V4 || o->xsrc.family == ADDR_V6);
    st->n++;
}

static void nf_fuzz_one(const uint8_t *data, size_t size, uint16_t version, enum obs_source source)
{
    static uint8_t pkt[65536];
    struct nf_config cfg;
    nf_config_init(&cfg);
    cfg.template_expiry_s = 300;
    cfg.max_templates = 8;
    cfg.max_templates_per_exp = 4;
    cfg.max_streams = 3;
    struct nf_cache *c = nf_cache_new(&cfg);
    struct nf_fuzz_state st = {.source = source};
    const struct ip_addr exporters[2] = {{.family = ADDR_V4, .v4 = 0x0a000001},
                                         {.family = ADDR_V6, .v6 = {0x20010db800000000ULL, 1}}};
    int64_t now = 1700000000;
    uint64_t total = 0;
    for (unsigned i = 0; size >= 2; i++) {
        size_t len = (size_t)data[0] << 8 | data[1];
        data += 2;
        size -= 2;
        len = MIN(len, size);
        memcpy(pkt, data, len);
        if (len >= 2) {
            pkt[0] = (uint8_t)(version >> 8);
            pkt[1] = (uint8_t)version;
        }
        total += nf_decode(c, &exporters[i % 7 == 6], pkt, len, now, nf_fuzz_obs, &st);
        data += len;
        size -= len;
        now += 100;
    }
    const struct nf_counters *k = nf_cache_counters(c);
    NF_CHECK(total == st.n && k->obs.records == st.n);
    NF_CHECK(k->templates_active <= cfg.max_templates);
    NF_CHECK(k->templates_added >= k->templates_active);
    nf_cache_free(c);
}

#endif
