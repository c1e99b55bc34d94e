/*
 * Periodic summaries of hits: per listed indicator (list and address or
 * name seen) and per subscriber, the number of hits and the first and last
 * time seen. Memory is bounded: at most max_entries keys a period; hits
 * for new keys past that are counted in `overflow`, never stored.
 *
 * Thread-safe (one mutex; hits are rare next to records).
 */
#ifndef VIGIL_SENSOR_SUMMARY_H
#define VIGIL_SENSOR_SUMMARY_H

#include <pthread.h>

#include "base/buf.h"
#include "base/common.h"
#include "base/hashmap.h"
#include "sensor/engine.h"

struct summary_entry {
    uint64_t count;
    int64_t first_ms, last_ms;
    bool subscriber; /* a per-subscriber entry, else per indicator */
};

struct summary {
    pthread_mutex_t lock;
    struct strmap map; /* key "i\tLIST\tVALUE" or "s\tUSER" -> entry */
    size_t max_entries;
    uint64_t overflow; /* hits not counted for lack of room, this period */
    int64_t period_start_ms;
};

/* max_entries 0 means 100000. */
void summary_init(struct summary *s, size_t max_entries, int64_t now_ms);
void summary_release(struct summary *s);

/* Count one hit (its list, indicator value seen and subscriber). */
void summary_add(struct summary *s, const struct iset *set, const struct hit *h);

/* Append the period's summary to b as JSON lines (one per entry, sorted
 * by key; then one line with the totals and overflow), and start a new
 * period at now_ms. Returns the number of entries written. */
size_t summary_flush(struct summary *s, struct buf *b, int64_t now_ms);

/* Entry for a key as summary_add() builds it, or NULL (for tests):
 * summary_get(s, "i", "ais-botnet", "198.51.100.9"), (s, "s", "alice", NULL). */
const struct summary_entry *summary_get(struct summary *s, const char *kind, const char *a,
                                        const char *b);

#endif
