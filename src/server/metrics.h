/*
 * Counters for /metrics (Prometheus text format 0.0.4). One struct per
 * process, touched only from the event loop thread.
 */
#ifndef VIGIL_SERVER_METRICS_H
#define VIGIL_SERVER_METRICS_H

#include <jansson.h>

#include "base/buf.h"
#include "base/common.h"

enum import_result { IMPORT_OK, IMPORT_REJECTED, IMPORT_CONFLICT, IMPORT_ERROR, IMPORT__N };

struct metrics {
    uint64_t requests[600]; /* by status code 100..599 */
    uint64_t auth_failures;
    uint64_t imports[IMPORT__N];
    int64_t start_time; /* Unix seconds */
};

void metrics_init(struct metrics *m, int64_t start_time);
void metrics_count_request(struct metrics *m, int status);
/* Append the exposition text to out: the counters, and the store's gauges
 * from stats (store_stats(); NULL leaves them out). Returns 0 or -E2BIG. */
int metrics_render(const struct metrics *m, json_t *stats, struct buf *out) WUR;

#endif
