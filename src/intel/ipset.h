/*
 * struct ipset: a set of IPv4 and IPv6 prefixes (single addresses are host
 * prefixes) with a caller-chosen uint32 value each, answering "which
 * prefixes contain this address" fast.
 *
 * Build, then query: ipset_add() any number of prefixes, ipset_build() once
 * (sorts, merges, builds the lookup tables), then ipset_lookup*() from any
 * number of threads (the built set is read-only). Lookups check an exact
 * hash of host entries before the longest-prefix structure.
 *
 * Used by `vigil match`, the sensor (line rate) and vigild (listed addresses
 * against registered system ranges).
 */
#ifndef VIGIL_INTEL_IPSET_H
#define VIGIL_INTEL_IPSET_H

#include "base/addr.h"
#include "base/common.h"

struct ipset;

struct ipset *ipset_new(void);
/* Accepts NULL. */
void ipset_free(struct ipset *s);

/* Add a prefix with its value. Adding the same prefix twice keeps the first
 * value. Returns 0, -EBUSY after ipset_build(), -E2BIG past 2^31 entries. */
int ipset_add(struct ipset *s, const struct ip_prefix *p, uint32_t value) WUR;
/* Freeze and index. Returns 0 or -ENOMEM. */
int ipset_build(struct ipset *s) WUR;

/* Longest-prefix match. Returns true and sets *ret_value (if not NULL) to
 * the value of the most specific prefix containing a. */
bool ipset_lookup(const struct ipset *s, const struct ip_addr *a, uint32_t *ret_value);
bool ipset_lookup4(const struct ipset *s, uint32_t a, uint32_t *ret_value);
bool ipset_lookup6(const struct ipset *s, uint64_t hi, uint64_t lo, uint32_t *ret_value);

/* Hint that a will be looked up soon: start loading the memory its lookup
 * reads first. No effect on results. */
void ipset_prefetch(const struct ipset *s, const struct ip_addr *a);

/* Every prefix containing a (overlapping registrations), most specific
 * first. Writes at most max values; returns how many prefixes contain a (may
 * exceed max). */
size_t ipset_lookup_all(const struct ipset *s, const struct ip_addr *a, uint32_t *ret_values,
                        size_t max);

/* Distinct prefixes stored, and bytes of memory used after build. */
size_t ipset_count(const struct ipset *s);
size_t ipset_memory(const struct ipset *s);
/* Distinct prefixes of one family (ADDR_V4 or ADDR_V6) after build. */
size_t ipset_count_family(const struct ipset *s, int family);

#endif
