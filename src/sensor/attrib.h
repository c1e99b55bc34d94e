/*
 * Subscriber attribution: which subscriber held an address at a time.
 *
 * Sources: RADIUS accounting (FreeRADIUS `detail` files: Start,
 * Interim-Update, Stop with Framed-IP-Address, User-Name,
 * Calling-Station-Id, Acct-Session-Id, Event-Timestamp / Acct-Session-Time)
 * and DHCP leases (ISC dhcpd.leases, Kea lease CSV). Each yields intervals
 * address -> (subscriber, [start, end)). Build, then query from any thread.
 *
 * Interval rules (documented in docs/en/sensor.md):
 *  - RADIUS: a session opens at Start (or the first Interim-Update seen) and
 *    closes at Stop; a session never stopped ends at its last Interim-Update
 *    plus the interim interval grace (configurable, default 2 × the observed
 *    interval, or 1 hour), or at the next session for the same address,
 *    whichever is first.
 *  - DHCP: [starts, ends) of each lease; a later lease of the same address
 *    to another client cuts the earlier one short (reassignment); renewals
 *    of the same client extend it; expired/released/free states end it.
 *  - Where intervals still overlap for one address, the one that started
 *    last wins from its start on.
 *
 * Refined by the implementation (docs/en/sensor.md, "Subscriber attribution",
 * states them exactly): intervals are [start, end); a session first seen at
 * an Interim-Update or Stop started at its time minus Acct-Session-Time; the
 * observed interval is the one between the session's last two updates; an
 * Accounting-On/Off closes the NAS's sessions; an ended lease (or
 * attrib_add_end()) ends the intervals read before it at its end time; an
 * interval cut short by a later start does not resume; equal starts: the one
 * read later wins; adjacent intervals of one subscriber are joined. IPv6
 * prefixes (Framed-IPv6-Prefix, Delegated-IPv6-Prefix, Kea IA_PD) are indexed
 * as prefixes: a lookup tries the exact address, then shorter prefixes.
 *
 * A load that succeeds with malformed records leaves err (if not NULL)
 * describing the last one ("file, line N: reason").
 */
#ifndef VIGIL_SENSOR_ATTRIB_H
#define VIGIL_SENSOR_ATTRIB_H

#include "base/addr.h"
#include "base/common.h"
#include "base/err.h"

struct attrib;

struct attrib_counters {
    uint64_t records;   /* accounting records / leases read */
    uint64_t intervals; /* intervals in the index */
    uint64_t malformed; /* records skipped as malformed (counted, named in err of the last) */
};

struct attrib *attrib_new(void);
void attrib_free(struct attrib *a);

/* Load a source; may be called many times before attrib_build(). Errors in
 * single records are counted and skipped; a file that cannot be read or
 * parsed at all is an error naming file and line. */
int attrib_load_radius_detail(struct attrib *a, const char *path, struct verr *err) WUR;
int attrib_load_dhcpd_leases(struct attrib *a, const char *path, struct verr *err) WUR;
int attrib_load_kea_csv(struct attrib *a, const char *path, struct verr *err) WUR;
/* Same, from memory (for tests and fuzzing); name is used in messages. */
int attrib_load_radius_detail_mem(struct attrib *a, const char *name, const char *p, size_t len,
                                  struct verr *err) WUR;
int attrib_load_dhcpd_leases_mem(struct attrib *a, const char *name, const char *p, size_t len,
                                 struct verr *err) WUR;
int attrib_load_kea_csv_mem(struct attrib *a, const char *name, const char *p, size_t len,
                            struct verr *err) WUR;

/* Resolve overlaps and index. After this, only lookups. */
int attrib_build(struct attrib *a) WUR;

struct subscriber {
    const char *user;        /* User-Name or DHCP client hostname/hw address; never NULL */
    const char *calling_id;  /* Calling-Station-Id or hardware address; may be NULL */
    const char *session_id;  /* Acct-Session-Id or lease id; may be NULL */
    int64_t start_ms, end_ms; /* the interval that matched */
    char source[8];          /* "radius" or "dhcp" */
};

/* Who held addr at time t_ms: true and *ret filled (pointers valid until
 * attrib_free), or false if nobody did. */
bool attrib_lookup(const struct attrib *a, const struct ip_addr *addr, int64_t t_ms,
                   struct subscriber *ret);

const struct attrib_counters *attrib_counters(const struct attrib *a);
size_t attrib_memory(const struct attrib *a);

/*
 * Extensions (compatible additions to the contract above).
 */

/* RADIUS grace for sessions never stopped: the session ends at its last
 * update plus multiple x the interval observed between its updates (or its
 * Acct-Interim-Interval), or plus default_ms when no interval is known.
 * Defaults: 1 hour, 2. Set before loading. */
void attrib_set_radius_grace(struct attrib *a, int64_t default_ms, unsigned multiple);
/* Offset from UTC, in seconds, of times written without a zone (the
 * FreeRADIUS `detail` date line, a text Event-Timestamp without a zone).
 * Default +25200 (Asia/Ho_Chi_Minh). */
void attrib_set_utc_offset(struct attrib *a, int32_t seconds_east);

/* Add one interval directly: p held by sub over [start_ms, end_ms). The
 * strings are copied; sub->start_ms/end_ms are ignored. It takes part in
 * attrib_build()'s rules like a lease read from a file at this point.
 * Returns 0, -EINVAL (bad family or empty interval), -EBUSY after build,
 * -E2BIG past the limits. */
int attrib_add(struct attrib *a, const struct ip_prefix *p, int64_t start_ms, int64_t end_ms,
               const struct subscriber *sub) WUR;
/* Add an end: whoever held p by an interval added before this call holds it
 * no longer from t_ms on (a released or expired lease). Returns as
 * attrib_add(). */
int attrib_add_end(struct attrib *a, const struct ip_prefix *p, int64_t t_ms) WUR;

#endif
