/*
 * The sensor's matching engine: indicator lists built into one immutable
 * struct iset (all IPs in one intel/ipset, all domains in one
 * intel/domainset, each entry naming every list that holds it), matched
 * against observations (struct obs) and text lines, with subscriber
 * attribution of each hit.
 *
 * Reload without losing records: workers take the current set for a whole
 * batch with engine_begin() / engine_end() (a read lock); engine_swap()
 * installs a newly built set under the write lock, which waits only for
 * the batches in flight, and frees the old one after. A set that fails to
 * build changes nothing.
 */
#ifndef VIGIL_SENSOR_ENGINE_H
#define VIGIL_SENSOR_ENGINE_H

#include <pthread.h>

#include "base/addr.h"
#include "base/arena.h"
#include "base/common.h"
#include "base/err.h"
#include "base/vec.h"
#include "intel/domainset.h"
#include "intel/feed.h"
#include "intel/ipset.h"
#include "sensor/attrib.h"
#include "sensor/flow.h"

/* Most lists in one set (list indexes are uint16). */
#define ISET_MAX_LISTS 256
/* Most hits reported for one observation (src, dst, NAT fields, name,
 * times the lists holding each). */
#define ENGINE_MAX_HITS 16

struct ilist {
    char *name;       /* "ais-botnet" */
    char *provider;   /* who publishes it; the name when not given */
    char version[64]; /* vigild version id, or "" for files */
    size_t n_ips, n_domains;
};

struct ip_entry {
    struct ip_prefix prefix;
    uint32_t lists_off; /* into iset.list_refs */
    uint16_t n_lists;
};

struct domain_entry {
    const char *name; /* in iset.arena */
    uint32_t lists_off;
    uint16_t n_lists;
};

/* (prefix or name, list) pairs gathered before iset_build(). */
struct pend_ip {
    struct ip_prefix prefix;
    uint16_t list;
};
struct pend_dom {
    const char *name; /* in iset.arena */
    uint16_t list;
};

/* One built set of lists: read-only after iset_build(). */
struct iset {
    VEC(struct ilist) lists;
    struct ipset *ips;      /* value: index into ip_entries */
    struct domainset *doms; /* value: index into dom_entries */
    VEC(struct ip_entry) ip_entries;
    VEC(struct domain_entry) dom_entries;
    VEC(uint16_t) list_refs; /* runs of list indexes per entry */
    struct arena arena;
    VEC(struct pend_ip) pend_ips; /* emptied by iset_build() */
    VEC(struct pend_dom) pend_doms;
    size_t n_other; /* indicators of other types (hashes) ignored */
    bool built;
};

struct iset *iset_new(void);
/* Accepts NULL. */
void iset_free(struct iset *s);

/* Parse doc (any intel/feed format; o may be NULL) as the list `name` and
 * add its IPs and domains. Returns the list's index, or a negative code
 * with err naming the list and the reason (nothing is added then). */
int iset_add_list(struct iset *s, const char *name, const char *provider, const uint8_t *doc,
                  size_t len, const struct feed_opts *o, struct verr *err) WUR;
/* Same from an already parsed feed. */
int iset_add_feed(struct iset *s, const char *name, const char *provider, const struct feed *f,
                  struct verr *err) WUR;
/* Add the list `name` from text with one canonical value a line (an
 * address, a CIDR or a domain; what vigild's /feeds/{name}/indicators
 * serves). Lines that are neither are counted in *ret_bad (may be NULL).
 * Returns the list's index or a negative code with err set. */
int iset_add_values(struct iset *s, const char *name, const char *provider, const char *text,
                    size_t len, size_t *ret_bad, struct verr *err) WUR;
/* Freeze and index. Returns 0 or -ENOMEM. */
int iset_build(struct iset *s) WUR;

/* Which observation field matched. */
enum hit_field { HF_SRC = 1, HF_DST, HF_XSRC, HF_XDST, HF_NAME, HF_TEXT };
/* "source.ip", "destination.ip", "source.nat.ip", "destination.nat.ip",
 * "dns.question.name" / "tls.client.server_name", "message". */
const char *hit_field_name(enum hit_field f, const struct obs *o);

struct hit {
    const struct obs *obs; /* NULL for a text line without decoded fields */
    uint16_t list;         /* index into iset.lists */
    enum hit_field field;
    struct ip_addr addr;            /* the address seen (IP hits) */
    const struct ip_entry *ip;      /* the listed entry (IP hits) or NULL */
    const struct domain_entry *dom; /* the listed entry (name hits) or NULL */
    int64_t ts_ms;
    bool attributed;         /* sub and sub_addr are set */
    struct ip_addr sub_addr; /* the inside address the subscriber held */
    struct subscriber sub;
};

/* Atomic counters, updated from any thread (see COUNT_AFTER_HITS in engine.c). */
struct engine_counters {
    uint64_t records; /* observations matched; counted after their hits */
    uint64_t lines;   /* text lines matched; counted after their hits */
    uint64_t hits;
    uint64_t attributed;   /* hits with a subscriber */
    uint64_t unattributed; /* hits without one */
    uint64_t nat_mapped;   /* hits whose subscriber was found through NAT fields */
    uint64_t reloads;
    uint64_t reload_failures;
};

struct engine {
    pthread_rwlock_t lock;
    struct iset *cur;
    const struct attrib *attrib; /* may be NULL: no attribution */
    struct engine_counters c;
    uint64_t generation; /* bumped by each swap */
};

/* Take ownership of the built set s (may be NULL: matches nothing). */
void engine_init(struct engine *e, struct iset *s, const struct attrib *a);
void engine_release(struct engine *e);

/* The current set, held for a batch; pair with engine_end(). */
const struct iset *engine_begin(struct engine *e);
void engine_end(struct engine *e);
/* Install the built set s (owned by the engine now) and free the old one
 * once no batch uses it. */
void engine_swap(struct engine *e, struct iset *s);

/*
 * Match one observation against s (from engine_begin): source and
 * destination, the post-NAT addresses, and the DNS/TLS name. Each hit is
 * attributed: the inside address on the side that matched (for a NAT
 * address, the pre-NAT address of that side), then the other side's, at
 * the record's time. Returns the number of hits written (at most max).
 */
size_t engine_match_obs(struct engine *e, const struct iset *s, const struct obs *o,
                        struct hit *ret, size_t max);

/* Hits for a text line in which the scanner found addr, listed as entry
 * value (an index into s->ip_entries); o is the decoded line or NULL.
 * Returns the number of hits written. */
size_t engine_text_hits(struct engine *e, const struct iset *s, uint32_t value,
                        const struct ip_addr *addr, const struct obs *o, int64_t ts_ms,
                        struct hit *ret, size_t max);

/* A copy of the counters. */
void engine_counters_get(const struct engine *e, struct engine_counters *ret);

#endif
