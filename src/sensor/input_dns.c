/* DNS query logs (input.h): BIND's query log and Unbound's log-queries lines. */
#include <string.h>

#include "base/str.h"
#include "base/vtime.h"
#include "sensor/input_impl.h"

static const char *find(const char *p, size_t len, const char *needle)
{
    return memmem(p, len, needle, strlen(needle));
}

/* BIND's own "21-Nov-2026 10:00:00.123 " stamp (local time); returns the
 * bytes it used, 0 if the line does not start with one. */
static size_t bind_time(const struct input *in, const char *p, size_t len, int64_t *ret_ms)
{
    if (len < 21 || p[2] != '-' || p[6] != '-' || p[11] != ' ')
        return 0;
    unsigned mon = syslog_month(p + 3);
    if (mon == 0)
        return 0;
    char iso[32];
    size_t n; /* "yyyy-mm-dd hh:mm:ss" plus up to ".ffffff" */
    memcpy(iso, p + 7, 4);
    iso[4] = '-';
    iso[5] = (char)('0' + mon / 10);
    iso[6] = (char)('0' + mon % 10);
    iso[7] = '-';
    memcpy(iso + 8, p, 2);
    iso[10] = ' ';
    memcpy(iso + 11, p + 12, 8);
    size_t used = 20;
    if (used < len && p[used] == '.') {
        iso[19] = '.';
        size_t k = 0;
        while (used + 1 + k < len && k < 6 && p[used + 1 + k] >= '0' && p[used + 1 + k] <= '9') {
            iso[20 + k] = p[used + 1 + k];
            k++;
        }
        used += 1 + k;
        n = 20 + k;
    } else {
        n = 19;
    }
    if (vtime_parse_ms(iso, n, in->tz_offset_s, ret_ms) < 0)
        return 0;
    return used;
}

/* The line's time and message: a leading stamp of the program's own, else
 * syslog framing, else time 0 and the whole line. */
static struct span dns_message(const struct input *in, const char *line, size_t len, struct obs *o)
{
    struct span msg = {line, len};
    size_t used = in->format == INPUT_DNS_BIND ? bind_time(in, line, len, &o->ts_ms) : 0;
    if (used) {
        msg.p += used;
        msg.len -= used;
    } else if (in->format == INPUT_DNS_UNBOUND && len > 2 && line[0] == '[') {
        /* "[1700000000] unbound[123:0] info: ..." */
        const char *e = memchr(line, ']', MIN(len, 24));
        int64_t s;
        if (e && str_to_i64(line + 1, (size_t)(e - line - 1), 0, INT64_MAX / 1000, &s) == 0) {
            o->ts_ms = s * 1000;
            msg.p = e + 1;
            msg.len = len - (size_t)(e + 1 - line);
        }
    } else {
        syslog_frame(in, line, len, &o->ts_ms, &msg);
    }
    return msg;
}

/* "... client [@0x...] ADDR#PORT (NAME): query: NAME CLASS TYPE FLAGS (SERVER)" */
void input_bind_line(struct input *in, const char *line, size_t len, struct obs *o,
                     input_emit_fn emit, void *ctx, struct obs_counters *c)
{
    struct span msg = dns_message(in, line, len, o);
    const char *cl = find(msg.p, msg.len, "client ");
    const char *q = cl ? find(cl, msg.len - (size_t)(cl - msg.p), ": query: ") : NULL;
    if (!q) {
        c->skipped++;
        return;
    }
    o->kind = OBS_DNS;
    o->source = SRC_DNSLOG;
    size_t i = 7, n = (size_t)(q - cl);
    struct span t;
    if (!input_token(cl, n, &i, &t)) {
        c->malformed++;
        return;
    }
    if (t.p[0] == '@' && !input_token(cl, n, &i, &t)) {
        c->malformed++;
        return;
    }
    const char *hash = NULL;
    for (size_t k = t.len; k > 0; k--) {
        if (t.p[k - 1] == '#') {
            hash = t.p + k - 1;
            break;
        }
    }
    size_t alen = hash ? (size_t)(hash - t.p) : t.len;
    if (!input_addr(t.p, alen, &o->src) ||
        (hash && !input_port(hash + 1, t.len - alen - 1, &o->sport))) {
        c->malformed++;
        return;
    }
    const char *rest = q + 9;
    size_t rlen = msg.len - (size_t)(rest - msg.p);
    struct span name, cls, type, flags, server;
    i = 0;
    if (!input_token(rest, rlen, &i, &name) || !input_token(rest, rlen, &i, &cls) ||
        !input_token(rest, rlen, &i, &type)) {
        c->malformed++;
        return;
    }
    if (input_token(rest, rlen, &i, &flags)) {
        if (memchr(flags.p, 'T', flags.len))
            o->proto = 6;
        else
            o->proto = 17;
        if (input_token(rest, rlen, &i, &server) && server.len > 2 && server.p[0] == '(' &&
            server.p[server.len - 1] == ')' && !input_addr(server.p + 1, server.len - 2, &o->dst)) {
            c->malformed++;
            return;
        }
    }
    if (input_set_qname(in, o, name.p, name.len))
        input_emit(o, emit, ctx, c);
    else
        c->skipped++;
}

/* "... info: ADDR NAME. TYPE CLASS" (replies, with more fields, are skipped) */
void input_unbound_line(struct input *in, const char *line, size_t len, struct obs *o,
                        input_emit_fn emit, void *ctx, struct obs_counters *c)
{
    struct span msg = dns_message(in, line, len, o);
    const char *info = find(msg.p, msg.len, "info: ");
    if (!info) {
        c->skipped++;
        return;
    }
    const char *rest = info + 6;
    size_t rlen = msg.len - (size_t)(rest - msg.p), i = 0;
    struct span f[5];
    size_t n = 0;
    while (n < 5 && input_token(rest, rlen, &i, &f[n]))
        n++;
    if (n != 4 || !input_addr(f[0].p, f[0].len, &o->src)) {
        c->skipped++;
        return;
    }
    o->kind = OBS_DNS;
    o->source = SRC_DNSLOG;
    if (input_set_qname(in, o, f[1].p, f[1].len))
        input_emit(o, emit, ctx, c);
    else
        c->skipped++;
}
