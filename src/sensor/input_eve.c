/* Suricata EVE JSON lines: flow, netflow, alert, dns, tls (input.h). */
#include <jansson.h>
#include <string.h>

#include "base/str.h"
#include "base/vtime.h"
#include "sensor/input_impl.h"

/* Most DNS query names taken from one EVE dns event. */
#define EVE_MAX_QUERIES 16

static const char *jstr(const json_t *o, const char *key, size_t *ret_len)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return NULL;
    *ret_len = json_string_length(v);
    return json_string_value(v);
}

/* A non-negative integer member (absent counts as 0). False if of another type. */
static bool ju64(const json_t *o, const char *key, uint64_t *ret)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *ret += (uint64_t)json_integer_value(v);
    return true;
}

static bool jtime(const struct input *in, const json_t *o, const char *key, int64_t *ret)
{
    size_t n;
    const char *s = jstr(o, key, &n);
    return !s || vtime_parse_ms(s, n, in->tz_offset_s, ret) == 0;
}

static bool jaddr(const json_t *o, const char *key, struct ip_addr *ret)
{
    size_t n;
    const char *s = jstr(o, key, &n);
    return s && input_addr(s, n, ret);
}

static bool jport(const json_t *o, const char *key, uint16_t *ret)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535)
        return false;
    *ret = (uint16_t)json_integer_value(v);
    return true;
}

/* The common part: time, addresses, ports, protocol. */
static bool common(const struct input *in, const json_t *root, struct obs *o)
{
    const json_t *pv = json_object_get(root, "proto");
    if (json_is_string(pv)) {
        if (input_proto(json_string_value(pv), json_string_length(pv), &o->proto) < 0)
            return false;
    } else if (json_is_integer(pv) && json_integer_value(pv) >= 0 &&
               json_integer_value(pv) <= 255) {
        o->proto = (uint8_t)json_integer_value(pv);
    } else if (pv) {
        return false;
    }
    return jtime(in, root, "timestamp", &o->ts_ms) && jaddr(root, "src_ip", &o->src) &&
           jaddr(root, "dest_ip", &o->dst) && jport(root, "src_port", &o->sport) &&
           jport(root, "dest_port", &o->dport);
}

static bool flow(const struct input *in, const json_t *root, const char *type, struct obs *o)
{
    const json_t *f = json_object_get(root, type);
    o->kind = OBS_FLOW;
    if (!json_is_object(f))
        return f == NULL;
    if (strcmp(type, "netflow") == 0) {
        if (!ju64(f, "pkts", &o->packets) || !ju64(f, "bytes", &o->bytes))
            return false;
    } else if (!ju64(f, "pkts_toserver", &o->packets) || !ju64(f, "pkts_toclient", &o->packets) ||
               !ju64(f, "bytes_toserver", &o->bytes) || !ju64(f, "bytes_toclient", &o->bytes)) {
        return false;
    }
    return jtime(in, f, "start", &o->ts_ms) && jtime(in, f, "end", &o->end_ms);
}

/* Emit one OBS_DNS per query name of a request (v1/v2 "type":"query" with
 * "rrname"; v3 "type":"request" with "queries":[{"rrname"}]). Responses
 * are skipped. */
static void dns(struct input *in, const json_t *root, struct obs *o, input_emit_fn emit, void *ctx,
                struct obs_counters *c)
{
    const json_t *d = json_object_get(root, "dns");
    size_t n;
    const char *type = jstr(d, "type", &n);
    if (!type || (strcmp(type, "query") != 0 && strcmp(type, "request") != 0)) {
        c->skipped++;
        return;
    }
    o->kind = OBS_DNS;
    const char *name = jstr(d, "rrname", &n);
    if (name) {
        if (input_set_qname(in, o, name, n))
            input_emit(o, emit, ctx, c);
        else
            c->skipped++;
        return;
    }
    const json_t *qs = json_object_get(d, "queries");
    if (!json_is_array(qs)) {
        c->malformed++;
        return;
    }
    size_t emitted = 0;
    for (size_t i = 0; i < json_array_size(qs) && i < EVE_MAX_QUERIES; i++) {
        name = jstr(json_array_get(qs, i), "rrname", &n);
        if (name && input_set_qname(in, o, name, n)) {
            input_emit(o, emit, ctx, c);
            emitted++;
        }
    }
    if (emitted == 0)
        c->skipped++;
}

void input_eve_line(struct input *in, const char *line, size_t len, struct obs *o,
                    input_emit_fn emit, void *ctx, struct obs_counters *c)
{
    if (len >= 6 && memcmp(line, "@cee: ", 6) == 0) {
        line += 6;
        len -= 6;
    }
    if (len == 0 || line[0] != '{' || !str_json_depth_ok(line, len, INPUT_JSON_DEPTH, NULL)) {
        c->malformed++;
        return;
    }
    json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        c->malformed++;
        return;
    }
    o->source = SRC_EVE;
    size_t n;
    const char *type = jstr(root, "event_type", &n);
    if (!type) {
        c->malformed++;
    } else if (strcmp(type, "flow") != 0 && strcmp(type, "netflow") != 0 &&
               strcmp(type, "alert") != 0 && strcmp(type, "dns") != 0 && strcmp(type, "tls") != 0) {
        c->skipped++;
    } else if (!common(in, root, o)) {
        c->malformed++;
    } else if (strcmp(type, "flow") == 0 || strcmp(type, "netflow") == 0) {
        if (flow(in, root, type, o))
            input_emit(o, emit, ctx, c);
        else
            c->malformed++;
    } else if (strcmp(type, "alert") == 0) {
        const char *sig = jstr(json_object_get(root, "alert"), "signature", &n);
        o->kind = OBS_ALERT;
        if (sig)
            input_set_rule(in, o, sig, n);
        input_emit(o, emit, ctx, c);
    } else if (strcmp(type, "dns") == 0) {
        dns(in, root, o, emit, ctx, c);
    } else {
        const char *sni = jstr(json_object_get(root, "tls"), "sni", &n);
        o->kind = OBS_TLS;
        if (sni && input_set_qname(in, o, sni, n))
            input_emit(o, emit, ctx, c);
        else
            c->skipped++;
    }
    json_decref(root);
}
