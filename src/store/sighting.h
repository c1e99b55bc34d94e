/*
 * What vigil-sensor exchanges with the store: sightings (hits of listed
 * indicators the sensor saw in traffic, posted in batches) and the plain
 * indicator values of a feed version (what the sensor pulls).
 * Conventions as store.h.
 */
#ifndef VIGIL_STORE_SIGHTING_H
#define VIGIL_STORE_SIGHTING_H

#include "base/buf.h"
#include "store/store.h"

/* Most sightings accepted in one batch. */
#define SIGHTING_BATCH_MAX 10000

/* One hit, validated by the caller's parser; strings are NUL-terminated. */
struct sighting {
    int64_t at;                 /* Unix seconds of the hit */
    const char *feed;           /* threat.feed.name */
    const char *indicator_type; /* ipv4-addr | ipv6-addr | domain-name */
    const char *indicator;      /* the address or name seen */
    const char *source_ip;      /* may be NULL */
    const char *destination_ip; /* may be NULL */
    const char *user_id;        /* the subscriber; NULL none */
    const char *hit;            /* the JSON line as sent (compact) */
};

/* Store n sightings (n <= SIGHTING_BATCH_MAX) in one transaction with one
 * audit row ("sightings.add", detail {n, first_id}). *ret_first_id gets
 * the id of the first. Fields are checked (lengths, types): -EINVAL with
 * err naming the item and field; nothing is stored then. */
int store_sighting_add(struct store *s, const struct actor *who, const struct sighting *v, size_t n,
                       int64_t *ret_first_id, struct verr *err) WUR;

struct sighting_filter {
    const char *feed;      /* NULL any */
    const char *indicator; /* NULL any */
    const char *user_id;   /* NULL any */
    int64_t from, to;      /* Unix seconds [from, to); 0 open */
    size_t limit;          /* 0: 100; at most 10000 */
    size_t offset;
};
/* {total, items: [{id, at, received_at, sensor, feed, indicator_type,
 * indicator, source_ip, destination_ip, user_id, hit}]} newest first. */
int store_sighting_list(struct store *s, const struct sighting_filter *f, json_t **ret,
                        struct verr *err) WUR;

/* The indicator values of a version of feed (version_id 0: the latest),
 * one canonical value a line in key order, appended to out; of type
 * ("ip", "domain", or NULL for all). *ret_version gets the version's id.
 * -ENOENT if there is no such feed or version. */
int store_feed_indicator_values(struct store *s, const char *feed, int64_t version_id,
                                const char *type, int64_t *ret_version, struct buf *out,
                                struct verr *err) WUR;

#endif
