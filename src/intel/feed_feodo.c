/*
 * abuse.ch Feodo Tracker IP blocklist (CSV): '#' comment lines, a quoted
 * header "first_seen_utc","dst_ip","dst_port","c2_status","last_online",
 * "malware" (commented out with '#' or not), then one quoted row per C2
 * server. Times in *_utc columns without a zone are UTC. Without a header
 * the standard column order is assumed.
 */
#include <string.h>

#include "base/str.h"
#include "intel/feed_impl.h"

static const char *const feodo_columns[] = {
    "first_seen_utc", "dst_ip", "dst_port", "c2_status", "last_online", "malware",
};

static bool is_header(const char *p, size_t len)
{
    return memmem(p, len, "dst_ip", 6) != NULL && memmem(p, len, "first_seen", 10) != NULL;
}

void feed_feodo_line(struct feed_ctx *c, uint32_t line, const char *p, size_t len)
{
    struct csv_state *s = c->reader;
    const char *q = p;
    size_t n = len;
    str_trim(&q, &n);
    if (n == 0)
        return;
    if (q[0] == '#') {
        q++;
        n--;
        str_trim(&q, &n);
        if (!s->have_header && is_header(q, n)) {
            s->sep = ',';
            if (!csv_header(c, s, q, n))
                csv_header_fixed(c, s, feodo_columns, ARRAY_SIZE(feodo_columns), ',');
        }
        return;
    }
    if (!s->have_header) {
        if (is_header(q, n)) {
            s->sep = ',';
            if (!csv_header(c, s, q, n))
                csv_header_fixed(c, s, feodo_columns, ARRAY_SIZE(feodo_columns), ',');
            return;
        }
        csv_header_fixed(c, s, feodo_columns, ARRAY_SIZE(feodo_columns), ',');
    }
    csv_row(c, s, line, p, len);
}
