/*
 * NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) decoders.
 *
 * One struct nf_cache holds the state a stream of export packets needs:
 * templates and options templates per (exporter address, source id /
 * observation domain), and sequence numbers per (exporter, domain, version).
 * A cache belongs to one thread (the collector keeps one per receive thread;
 * the kernel's SO_REUSEPORT hash keeps an exporter on one thread).
 *
 * Every decoded flow record becomes a struct obs (kind OBS_FLOW, source
 * SRC_NETFLOW5 / SRC_NETFLOW9 / SRC_IPFIX) handed to a callback; the obs is
 * valid only during the call. Malformed, truncated and unknown input is
 * counted in the cache's counters and skipped, never fatal.
 *
 * Limits (all bound what a peer controls): templates per exporter stream
 * (exporter address + domain) and in total (the oldest is evicted, counted
 * in template_evicted), exporter streams tracked (least recently seen
 * evicted), fields per template, and template age (expiry, default 30 min;
 * a re-sent template replaces the old one and restarts its age).
 *
 * Decoding allocates nothing per packet or per record; memory is allocated
 * only when a new template or exporter stream is first seen.
 */
#ifndef VIGIL_SENSOR_NETFLOW_H
#define VIGIL_SENSOR_NETFLOW_H

#include "base/addr.h"
#include "base/common.h"
#include "sensor/flow.h"

/* Hard cap on fields in one template; a larger template is malformed. */
#define NF_MAX_FIELDS 256

struct nf_cache;

struct nf_config {
    uint32_t template_expiry_s;     /* default 1800; 0 never expires */
    uint32_t max_templates;         /* in the cache, default 16384 */
    uint32_t max_templates_per_exp; /* per exporter stream, default 1024 */
    uint32_t max_streams;           /* exporter streams tracked, default 4096 */
};

/* Counters of one cache: the input counters plus NetFlow specifics. */
struct nf_counters {
    struct obs_counters obs;
    uint64_t packets;             /* export packets seen (any outcome) */
    uint64_t bad_version;         /* packets of no known version (in obs.malformed too) */
    uint64_t templates_added;     /* new templates learnt */
    uint64_t templates_refreshed; /* re-sent templates that replaced one */
    uint64_t templates_expired;   /* of template_evicted: by age */
    uint64_t templates_active;    /* templates in the cache now */
    uint64_t options_records;     /* options data records (skipped, also in obs.skipped) */
};

/* Called once per decoded flow. The obs and anything it points to are valid
 * only during the call. */
typedef void (*nf_obs_fn)(const struct obs *o, void *arg);

/* Defaults as documented above. */
void nf_config_init(struct nf_config *cfg);

/* A new, empty cache (zero counters). Limits of 0 take the defaults.
 * Aborts only on out-of-memory (xmalloc). */
struct nf_cache *nf_cache_new(const struct nf_config *cfg);
/* Free the cache and its templates; accepts NULL. */
void nf_cache_free(struct nf_cache *c);

/*
 * Decode one export packet (p, len) received from exporter at now_s (Unix
 * seconds; drives template expiry). The version field picks the decoder
 * (5, 9 or 10 = IPFIX). Calls fn once per flow record, from this thread.
 * Returns the number of flows produced (>= 0); problems are counted, not
 * returned.
 */
size_t nf_decode(struct nf_cache *c, const struct ip_addr *exporter, const uint8_t *p, size_t len,
                 int64_t now_s, nf_obs_fn fn, void *arg);

/* Drop templates older than the expiry at now_s (nf_decode does this too,
 * so a caller only needs it when idle). */
void nf_cache_expire(struct nf_cache *c, int64_t now_s);

/* The cache's counters (owned by the cache, updated by nf_decode). */
const struct nf_counters *nf_cache_counters(const struct nf_cache *c);

/* Add counters a into *sum, field by field (templates_active too). */
void nf_counters_add(struct nf_counters *sum, const struct nf_counters *a);

/* 32-bit exporter id as put in obs.exporter: the IPv4 address, or a hash
 * of an IPv6 address. */
uint32_t nf_exporter_id(const struct ip_addr *exporter);

#endif
