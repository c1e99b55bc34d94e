/*
 * Firewall and NAT logs (input.h): iptables/nftables LOG lines ("PREFIX
 * IN=eth0 OUT= SRC=... DST=... LEN=... PROTO=TCP SPT=... DPT=...") and
 * key=value logs such as FortiGate's (srcip= dstip= srcport= dstport=
 * proto= action= transip= transport=, values optionally "quoted"), bare or
 * inside syslog framing.
 */
#include <string.h>

#include "base/str.h"
#include "base/vtime.h"
#include "sensor/input_impl.h"

/* Most key=value pairs looked at in one line. */
#define FW_MAX_PAIRS 512

enum fw_key {
    K_SRC,
    K_DST,
    K_SPORT,
    K_DPORT,
    K_PROTO,
    K_ACTION,
    K_XSRC,
    K_XSPORT,
    K_XDST,
    K_XDPORT,
    K_LEN,
    K_BYTES_OUT,
    K_BYTES_IN,
    K_PKTS_OUT,
    K_PKTS_IN,
    K_EVENTTIME,
    K_DATE,
    K_TIME,
    K_TZ,
    K_IN,
    K__MAX,
};

static const struct {
    const char *name;
    enum fw_key key;
} keys[] = {
    {"src", K_SRC},
    {"srcip", K_SRC},
    {"src_ip", K_SRC},
    {"dst", K_DST},
    {"dstip", K_DST},
    {"dst_ip", K_DST},
    {"spt", K_SPORT},
    {"srcport", K_SPORT},
    {"sport", K_SPORT},
    {"src_port", K_SPORT},
    {"dpt", K_DPORT},
    {"dstport", K_DPORT},
    {"dport", K_DPORT},
    {"dst_port", K_DPORT},
    {"proto", K_PROTO},
    {"action", K_ACTION},
    {"transip", K_XSRC},
    {"xlatesrc", K_XSRC},
    {"transport", K_XSPORT},
    {"xlatesport", K_XSPORT},
    {"tranip", K_XDST},
    {"xlatedst", K_XDST},
    {"tranport", K_XDPORT},
    {"xlatedport", K_XDPORT},
    {"len", K_LEN},
    {"sentbyte", K_BYTES_OUT},
    {"rcvdbyte", K_BYTES_IN},
    {"sentpkt", K_PKTS_OUT},
    {"rcvdpkt", K_PKTS_IN},
    {"eventtime", K_EVENTTIME},
    {"date", K_DATE},
    {"time", K_TIME},
    {"tz", K_TZ},
    {"in", K_IN},
};

static bool key_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || ch == '.';
}

/* The values of the known keys (first occurrence wins) and where the first
 * key=value pair starts. */
struct fw_fields {
    struct span v[K__MAX];
    bool has[K__MAX];
    size_t first_pair;
    bool any_pair;
};

static void scan_pairs(const char *m, size_t len, struct fw_fields *ff)
{
    size_t i = 0;
    for (unsigned n = 0; i < len && n < FW_MAX_PAIRS; n++) {
        while (i < len && m[i] == ' ')
            i++;
        size_t kb = i;
        while (i < len && key_char(m[i]))
            i++;
        if (i == kb || i >= len || m[i] != '=') { /* not a pair: skip the word */
            while (i < len && m[i] != ' ')
                i++;
            continue;
        }
        struct span k = {m + kb, i - kb}, v;
        i++;
        if (i < len && m[i] == '"') {
            size_t vb = ++i;
            while (i < len && m[i] != '"')
                i += m[i] == '\\' && i + 1 < len ? 2 : 1;
            v = (struct span){m + vb, MIN(i, len) - vb};
            if (i < len)
                i++;
        } else {
            size_t vb = i;
            while (i < len && m[i] != ' ')
                i++;
            v = (struct span){m + vb, i - vb};
        }
        if (!ff->any_pair) {
            ff->any_pair = true;
            ff->first_pair = kb;
        }
        for (size_t j = 0; j < ARRAY_SIZE(keys); j++) {
            if (str_ieq(k.p, k.len, keys[j].name)) {
                if (!ff->has[keys[j].key]) {
                    ff->has[keys[j].key] = true;
                    ff->v[keys[j].key] = v;
                }
                break;
            }
        }
    }
}

/* eventtime: seconds, milliseconds, microseconds or nanoseconds by size. */
static bool event_time(const struct span *s, int64_t *ret_ms)
{
    uint64_t v;
    if (str_to_u64(s->p, s->len, UINT64_MAX, &v) < 0)
        return false;
    if (v >= 100000000000000000ull)
        v /= 1000000;
    else if (v >= 100000000000000ull)
        v /= 1000;
    else if (v < 100000000000ull)
        v *= 1000;
    *ret_ms = (int64_t)v;
    return true;
}

/* date=YYYY-MM-DD time=hh:mm:ss [tz="+0700"] */
static bool date_time(const struct input *in, const struct fw_fields *ff, int64_t *ret_ms)
{
    char buf[64];
    const struct span *d = &ff->v[K_DATE], *t = &ff->v[K_TIME], *z = &ff->v[K_TZ];
    size_t zl = ff->has[K_TZ] ? z->len : 0;
    if (d->len + t->len + zl + 2 > sizeof(buf))
        return false;
    size_t n = 0;
    memcpy(buf + n, d->p, d->len);
    n += d->len;
    buf[n++] = ' ';
    memcpy(buf + n, t->p, t->len);
    n += t->len;
    if (zl) {
        memcpy(buf + n, z->p, zl);
        n += zl;
    }
    return vtime_parse_ms(buf, n, in->tz_offset_s, ret_ms) == 0;
}

/* An iptables/nftables log prefix: the text before "IN=", without the
 * "kernel:" tag and the "[ 1234.5678]" uptime stamp. */
static void log_prefix(struct input *in, struct obs *o, const char *m, size_t len)
{
    const char *p = m;
    size_t n = len;
    str_trim(&p, &n);
    if (n >= 7 && memcmp(p, "kernel:", 7) == 0) {
        p += 7;
        n -= 7;
        str_trim(&p, &n);
    }
    if (n > 0 && p[0] == '[') {
        const char *e = memchr(p, ']', n);
        if (e) {
            n -= (size_t)(e + 1 - p);
            p = e + 1;
            str_trim(&p, &n);
        }
    }
    if (n > 0)
        input_set_rule(in, o, p, n);
}

static bool opt_addr(const struct fw_fields *ff, enum fw_key k, struct ip_addr *ret)
{
    return !ff->has[k] || ff->v[k].len == 0 || input_addr(ff->v[k].p, ff->v[k].len, ret);
}

static bool opt_port(const struct fw_fields *ff, enum fw_key k, uint16_t *ret)
{
    return !ff->has[k] || ff->v[k].len == 0 || input_port(ff->v[k].p, ff->v[k].len, ret);
}

static bool add_u64(const struct fw_fields *ff, enum fw_key k, uint64_t *acc)
{
    uint64_t v;
    if (!ff->has[k])
        return true;
    if (str_to_u64(ff->v[k].p, ff->v[k].len, UINT64_MAX / 2, &v) < 0)
        return false;
    *acc += v;
    return true;
}

void input_firewall_line(struct input *in, const char *line, size_t len, struct obs *o,
                         input_emit_fn emit, void *ctx, struct obs_counters *c)
{
    struct span msg = {line, len};
    int64_t ts = 0;
    syslog_frame(in, line, len, &ts, &msg);
    struct fw_fields ff;
    memset(&ff, 0, sizeof(ff));
    scan_pairs(msg.p, msg.len, &ff);
    if (!ff.has[K_SRC] && !ff.has[K_DST]) {
        c->skipped++;
        return;
    }
    o->kind = OBS_FLOW;
    o->source = SRC_FIREWALL;
    o->ts_ms = ts;
    if (!ff.has[K_SRC] || !ff.has[K_DST] || !input_addr(ff.v[K_SRC].p, ff.v[K_SRC].len, &o->src) ||
        !input_addr(ff.v[K_DST].p, ff.v[K_DST].len, &o->dst) ||
        (ff.has[K_PROTO] && input_proto(ff.v[K_PROTO].p, ff.v[K_PROTO].len, &o->proto) < 0) ||
        !opt_port(&ff, K_SPORT, &o->sport) || !opt_port(&ff, K_DPORT, &o->dport) ||
        !opt_addr(&ff, K_XSRC, &o->xsrc) || !opt_port(&ff, K_XSPORT, &o->xsport) ||
        !opt_addr(&ff, K_XDST, &o->xdst) || !opt_port(&ff, K_XDPORT, &o->xdport) ||
        !add_u64(&ff, K_BYTES_OUT, &o->bytes) || !add_u64(&ff, K_BYTES_IN, &o->bytes) ||
        !add_u64(&ff, K_PKTS_OUT, &o->packets) || !add_u64(&ff, K_PKTS_IN, &o->packets) ||
        (ff.has[K_EVENTTIME] && !event_time(&ff.v[K_EVENTTIME], &o->ts_ms)) ||
        (!ff.has[K_EVENTTIME] && ff.has[K_DATE] && ff.has[K_TIME] &&
         !date_time(in, &ff, &o->ts_ms))) {
        c->malformed++;
        return;
    }
    if (ff.has[K_IN] && !ff.has[K_BYTES_OUT]) { /* iptables: one packet of LEN bytes */
        o->packets = 1;
        if (!add_u64(&ff, K_LEN, &o->bytes)) {
            c->malformed++;
            return;
        }
    }
    if (o->xsrc.family || o->xdst.family)
        o->nat_event = 1;
    if (ff.has[K_ACTION] && ff.v[K_ACTION].len > 0)
        input_set_rule(in, o, ff.v[K_ACTION].p, ff.v[K_ACTION].len);
    else if (ff.has[K_IN])
        log_prefix(in, o, msg.p, ff.first_pair);
    input_emit(o, emit, ctx, c);
}
