/* Line inputs: format names, per-stream state and dispatch (input.h). */
#include <string.h>

#include "base/str.h"
#include "base/vtime.h"
#include "sensor/input_impl.h"

static const struct {
    const char *name;
    enum input_format f;
} formats[] = {
    {"nfdump-csv", INPUT_NFDUMP_CSV}, {"nfdump", INPUT_NFDUMP_CSV}, {"eve", INPUT_EVE},
    {"firewall", INPUT_FIREWALL},     {"bind", INPUT_DNS_BIND},     {"unbound", INPUT_DNS_UNBOUND},
};

int input_format_parse(const char *name, enum input_format *ret)
{
    for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
        if (strcmp(name, formats[i].name) == 0) {
            *ret = formats[i].f;
            return 0;
        }
    }
    return -EINVAL;
}

const char *input_format_name(enum input_format f)
{
    for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
        if (formats[i].f == f)
            return formats[i].name;
    return "?";
}

void input_init(struct input *in, enum input_format f)
{
    memset(in, 0, sizeof(*in));
    in->format = f;
    in->tz_offset_s = 7 * 3600;
    /* nfdump 1.7 `-o csv` column order, for output without a header (-q) */
    static const int16_t nf_default[NFC__MAX] = {
        [NFC_TS] = 0,   [NFC_TE] = 1,   [NFC_SA] = 3,    [NFC_DA] = 4,    [NFC_SP] = 5,
        [NFC_DP] = 6,   [NFC_PR] = 7,   [NFC_IPKT] = 11, [NFC_IBYT] = 12, [NFC_XSA] = -1,
        [NFC_XDA] = -1, [NFC_XSP] = -1, [NFC_XDP] = -1,
    };
    memcpy(in->col, nf_default, sizeof(in->col));
}

int64_t input_ref_ms(const struct input *in)
{
    return in->ref_ms ? in->ref_ms : vtime_now_ms();
}

void input_line(struct input *in, const char *line, size_t len, uint64_t lineno, input_emit_fn emit,
                void *ctx, struct obs_counters *c)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > INPUT_LINE_MAX) {
        c->truncated++;
        return;
    }
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == len) {
        c->skipped++;
        return;
    }
    struct obs o = {.line = lineno};
    switch (in->format) {
    case INPUT_NFDUMP_CSV:
        input_nfdump_line(in, line, len, &o, emit, ctx, c);
        break;
    case INPUT_EVE:
        input_eve_line(in, line, len, &o, emit, ctx, c);
        break;
    case INPUT_FIREWALL:
        input_firewall_line(in, line, len, &o, emit, ctx, c);
        break;
    case INPUT_DNS_BIND:
        input_bind_line(in, line, len, &o, emit, ctx, c);
        break;
    case INPUT_DNS_UNBOUND:
        input_unbound_line(in, line, len, &o, emit, ctx, c);
        break;
    default:
        c->skipped++;
        break;
    }
}

static const struct {
    const char *name;
    uint8_t num;
} protos[] = {
    {"icmp", 1}, {"igmp", 2},   {"tcp", 6},        {"udp", 17},    {"gre", 47},   {"esp", 50},
    {"ah", 51},  {"icmp6", 58}, {"ipv6-icmp", 58}, {"icmpv6", 58}, {"sctp", 132}, {"udplite", 136},
};

int input_proto(const char *p, size_t len, uint8_t *ret)
{
    uint64_t v;
    if (str_to_u64(p, len, 255, &v) == 0) {
        *ret = (uint8_t)v;
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(protos); i++) {
        if (str_ieq(p, len, protos[i].name)) {
            *ret = protos[i].num;
            return 0;
        }
    }
    return -EINVAL;
}

bool input_addr(const char *p, size_t len, struct ip_addr *ret)
{
    if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
        p++;
        len -= 2;
    }
    return ip_parse(p, len, ret) == ADDR_OK;
}

bool input_port(const char *p, size_t len, uint16_t *ret)
{
    uint64_t v;
    if (str_to_u64(p, len, 65535, &v) < 0)
        return false;
    *ret = (uint16_t)v;
    return true;
}

bool input_name(char buf[static DOMAIN_MAX + 1], struct obs *o, const char *p, size_t len)
{
    size_t n;
    if (domain_normalize(p, len, buf, &n) != DOMAIN_OK)
        return false;
    o->qname = buf;
    o->qname_len = n;
    return true;
}

void input_set_rule(struct input *in, struct obs *o, const char *p, size_t len)
{
    if (len > sizeof(in->rule) - 1) {
        len = sizeof(in->rule) - 1;
        while (len > 0 && ((unsigned char)p[len] & 0xc0) == 0x80)
            len--; /* do not cut a UTF-8 sequence */
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];
        in->rule[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    in->rule[len] = '\0';
    o->rule = in->rule;
    o->rule_len = len;
}
