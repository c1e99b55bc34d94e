/* Prometheus text exposition of vigild's counters and the store's gauges. */
#include "server/metrics.h"

#include <string.h>

static const char *const import_names[IMPORT__N] = {"ok", "rejected", "conflict", "error"};
const char *const ingest_refusal_names[REFUSED__N] = {"no_cert", "bad_cert", "revoked",
                                                      "tls_version", "protocol"};
static const char *const enroll_fail_names[ENROLL_FAIL__N] = {
    "bad_request", "token_unknown", "token_used", "token_expired", "csr", "internal"};

void metrics_init(struct metrics *m, int64_t start_time)
{
    memset(m, 0, sizeof(*m));
    m->start_time = start_time;
}

void metrics_count_request(struct metrics *m, int status)
{
    if (status >= 100 && status < (int)ARRAY_SIZE(m->requests))
        m->requests[status]++;
}

static int64_t stat_int(json_t *stats, const char *key)
{
    json_t *v = json_object_get(stats, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static int gauge(struct buf *out, const char *name, const char *help, json_t *stats,
                 const char *key)
{
    return buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name,
                      (long long)stat_int(stats, key));
}

int metrics_render(const struct metrics *m, json_t *stats, struct buf *out)
{
    static const char *const statuses[] = {"open", "in_progress", "resolved", "false_positive"};
    int rc = 0;

    rc |= buf_puts(out, "# HELP vigil_http_requests_total HTTP requests answered, by status.\n"
                        "# TYPE vigil_http_requests_total counter\n");
    for (size_t code = 100; code < ARRAY_SIZE(m->requests); code++)
        if (m->requests[code])
            rc |= buf_printf(out, "vigil_http_requests_total{code=\"%zu\"} %llu\n", code,
                             (unsigned long long)m->requests[code]);
    rc |= buf_printf(out,
                     "# HELP vigil_http_auth_failures_total API requests refused for a missing, "
                     "unknown or revoked token.\n"
                     "# TYPE vigil_http_auth_failures_total counter\n"
                     "vigil_http_auth_failures_total %llu\n",
                     (unsigned long long)m->auth_failures);
    rc |= buf_puts(out, "# HELP vigil_feed_imports_total Feed imports, by result.\n"
                        "# TYPE vigil_feed_imports_total counter\n");
    for (size_t i = 0; i < IMPORT__N; i++)
        rc |= buf_printf(out, "vigil_feed_imports_total{result=\"%s\"} %llu\n", import_names[i],
                         (unsigned long long)m->imports[i]);
    rc |= buf_puts(out, "# HELP vigil_enroll_failures_total Agent enrollments refused, by reason.\n"
                        "# TYPE vigil_enroll_failures_total counter\n");
    for (size_t i = 0; i < ENROLL_FAIL__N; i++)
        rc |= buf_printf(out, "vigil_enroll_failures_total{reason=\"%s\"} %llu\n",
                         enroll_fail_names[i], (unsigned long long)m->enroll_failures[i]);
    rc |= buf_puts(out, "# HELP vigil_ingest_refused_total Agent connections refused or closed, "
                        "by reason.\n# TYPE vigil_ingest_refused_total counter\n");
    for (size_t i = 0; i < REFUSED__N; i++)
        rc |= buf_printf(out, "vigil_ingest_refused_total{reason=\"%s\"} %llu\n",
                         ingest_refusal_names[i], (unsigned long long)m->ingest_refused[i]);
    rc |= buf_printf(out,
                     "# HELP vigil_ingest_events_total Events from agents newly stored.\n"
                     "# TYPE vigil_ingest_events_total counter\nvigil_ingest_events_total %llu\n"
                     "# HELP vigil_ingest_batches_total Agent batches committed and acknowledged.\n"
                     "# TYPE vigil_ingest_batches_total counter\nvigil_ingest_batches_total %llu\n",
                     (unsigned long long)m->ingest_events, (unsigned long long)m->ingest_batches);
    if (stats) {
        rc |= gauge(out, "vigil_units", "Registered units.", stats, "units");
        rc |= gauge(out, "vigil_systems", "Registered information systems.", stats, "systems");
        rc |= gauge(out, "vigil_feeds", "Feeds.", stats, "feeds");
        rc |= gauge(out, "vigil_feed_versions", "Stored feed versions.", stats, "versions");
        rc |=
            gauge(out, "vigil_indicators", "Stored indicators, all versions.", stats, "indicators");
        rc |= gauge(out, "vigil_tokens", "Live API tokens.", stats, "tokens");
        rc |= buf_puts(out, "# HELP vigil_findings Findings, by status.\n"
                            "# TYPE vigil_findings gauge\n");
        for (size_t i = 0; i < ARRAY_SIZE(statuses); i++) {
            char key[64];
            int n = snprintf(key, sizeof(key), "findings_%s", statuses[i]);
            if (n < 0 || (size_t)n >= sizeof(key))
                return -EINVAL;
            rc |= buf_printf(out, "vigil_findings{status=\"%s\"} %lld\n", statuses[i],
                             (long long)stat_int(stats, key));
        }
    }
    rc |= buf_printf(out,
                     "# HELP process_start_time_seconds Start time of the process since the "
                     "Unix epoch in seconds.\n"
                     "# TYPE process_start_time_seconds gauge\n"
                     "process_start_time_seconds %lld\n",
                     (long long)m->start_time);
    rc |= buf_printf(out,
                     "# HELP vigil_build_info Version of vigild.\n# TYPE vigil_build_info gauge\n"
                     "vigil_build_info{version=\"%s\"} 1\n",
                     VIGIL_VERSION);
    return rc ? -E2BIG : 0;
}
