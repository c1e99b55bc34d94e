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
/* Why the agent listener refused or closed a connection. */
enum ingest_refusal {
    REFUSED_NO_CERT,
    REFUSED_BAD_CERT,
    REFUSED_REVOKED,
    REFUSED_TLS_VERSION,
    REFUSED_PROTOCOL,
    REFUSED__N
};
extern const char *const ingest_refusal_names[REFUSED__N];
/* Why an agent enrollment was refused (vigil_enroll_failures_total{reason}). */
enum enroll_fail {
    ENROLL_FAIL_BAD_REQUEST,
    ENROLL_FAIL_TOKEN_UNKNOWN,
    ENROLL_FAIL_TOKEN_USED,
    ENROLL_FAIL_TOKEN_EXPIRED,
    ENROLL_FAIL_CSR,
    ENROLL_FAIL_INTERNAL,
    ENROLL_FAIL__N
};

struct metrics {
    uint64_t requests[600]; /* by status code 100..599 */
    uint64_t auth_failures;
    uint64_t imports[IMPORT__N];
    uint64_t ingest_refused[REFUSED__N];
    uint64_t ingest_events;  /* events newly stored from agents */
    uint64_t ingest_batches; /* batches committed and acknowledged */
    uint64_t enroll_failures[ENROLL_FAIL__N];
    int64_t start_time; /* Unix seconds */
};

void metrics_init(struct metrics *m, int64_t start_time);
void metrics_count_request(struct metrics *m, int status);
/* Append the exposition text to out: the counters, and the store's gauges
 * from stats (store_stats(); NULL leaves them out). Returns 0 or -E2BIG. */
int metrics_render(const struct metrics *m, json_t *stats, struct buf *out) WUR;

#endif
