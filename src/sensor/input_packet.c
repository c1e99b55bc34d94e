/*
 * Captured frames (pcap_packet() in input.h): link layer, IPv4/IPv6,
 * TCP/UDP, plus the question names of DNS queries and the SNI of TLS
 * ClientHellos. Every length is checked against the captured bytes.
 */
#include <pcap/dlt.h>
#include <string.h>

#include "base/bytes.h"
#include "sensor/input_impl.h"

#define MAX_VLAN_TAGS     4
#define MAX_V6_EXT        8
#define DNS_MAX_QUESTIONS 4
#define DNS_MAX_HOPS      16
#define DNS_NAME_WIRE_MAX 255

/* Scratch for names found in a packet (valid during the emit call). */
struct pkt_ctx {
    char name[DOMAIN_MAX + 1];
    char text[DNS_NAME_WIRE_MAX + 1];
};

/*
 * Read the DNS name at *off in msg (len bytes) as dotted text into pc->text.
 * Pointers may only go backwards and at most DNS_MAX_HOPS times; labels are
 * at most 63 bytes, the name at most 255 on the wire. *off moves past the
 * name as it appears at its first position. Returns the text length, or -1.
 */
static int dns_name(const uint8_t *msg, size_t len, size_t *off, struct pkt_ctx *pc)
{
    size_t pos = *off, out = 0, wire = 0, end = 0;
    unsigned hops = 0;
    bool jumped = false;
    for (;;) {
        if (pos >= len)
            return -1;
        uint8_t l = msg[pos];
        if ((l & 0xc0) == 0xc0) {
            if (pos + 1 >= len || ++hops > DNS_MAX_HOPS)
                return -1;
            size_t to = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
            if (to >= pos)
                return -1; /* forward or self pointer: a loop or garbage */
            if (!jumped)
                end = pos + 2;
            jumped = true;
            pos = to;
            continue;
        }
        if (l & 0xc0)
            return -1; /* 0x40, 0x80: obsolete label types */
        wire += 1u + l;
        if (wire > DNS_NAME_WIRE_MAX || pos + 1 + l > len)
            return -1;
        if (l == 0) {
            *off = jumped ? end : pos + 1;
            return (int)out;
        }
        if (out > 0)
            pc->text[out++] = '.';
        for (size_t k = 0; k < l; k++) {
            char ch = (char)msg[pos + 1 + k];
            if (ch == '.')
                return -1;
            pc->text[out++] = ch;
        }
        pos += 1u + l;
    }
}

/* A UDP payload to port 53: emit OBS_DNS for each question of a query. */
static void dns_query(const uint8_t *p, size_t len, struct obs *o, struct pkt_ctx *pc,
                      input_emit_fn emit, void *ctx, struct obs_counters *c)
{
    if (len < 12) {
        c->truncated++;
        return;
    }
    if ((p[2] & 0x80) || (p[2] & 0x78) != 0) /* a response, or not a standard query */
        return;
    unsigned qd = load_be16(p + 4);
    size_t off = 12;
    for (unsigned i = 0; i < qd && i < DNS_MAX_QUESTIONS; i++) {
        int n = dns_name(p, len, &off, pc);
        if (n < 0 || off + 4 > len) {
            c->malformed++;
            return;
        }
        off += 4; /* QTYPE, QCLASS */
        struct obs q = *o;
        q.kind = OBS_DNS;
        q.packets = q.bytes = 0;
        if (input_name(pc->name, &q, pc->text, (size_t)n))
            input_emit(&q, emit, ctx, c);
    }
}

/* A TCP payload: the SNI of a TLS ClientHello wholly inside it. */
static void tls_sni(const uint8_t *p, size_t len, struct obs *o, struct pkt_ctx *pc,
                    input_emit_fn emit, void *ctx, struct obs_counters *c)
{
    /* A hello larger than the segment is read as far as it goes: the SNI is
     * found when it and every extension before it are in this segment. */
    if (len < 9 || p[0] != 22 || p[1] != 3 || p[5] != 1)
        return; /* not a handshake record holding a ClientHello */
    size_t end = MIN(len, 5 + (size_t)load_be16(p + 3));
    size_t hs_end = 9 + ((size_t)p[6] << 16 | (size_t)load_be16(p + 7));
    end = MIN(end, hs_end);
    size_t i = 9 + 2 + 32; /* client_version, random */
    if (i + 1 > end)
        return;
    i += 1u + p[i]; /* session_id */
    if (i + 2 > end)
        return;
    i += 2u + load_be16(p + i); /* cipher_suites */
    if (i + 1 > end)
        return;
    i += 1u + p[i]; /* compression_methods */
    if (i + 2 > end)
        return;
    size_t ext_end = MIN(end, i + 2 + load_be16(p + i));
    i += 2;
    while (i + 4 <= ext_end) {
        unsigned type = load_be16(p + i), elen = load_be16(p + i + 2);
        i += 4;
        if (i + elen > ext_end)
            break;
        if (type == 0 && elen >= 5) { /* server_name: list length, type, length, name */
            size_t nlen = load_be16(p + i + 3);
            if (p[i + 2] != 0 || 5 + nlen > elen)
                break;
            struct obs t = *o;
            t.kind = OBS_TLS;
            t.packets = t.bytes = 0;
            if (input_name(pc->name, &t, (const char *)p + i + 5, nlen))
                input_emit(&t, emit, ctx, c);
            return;
        }
        i += elen;
    }
}

/* The transport header at p: ports, then DNS or TLS payloads. */
static void transport(const uint8_t *p, size_t len, struct obs *o, struct pkt_ctx *pc,
                      input_emit_fn emit, void *ctx, struct obs_counters *c)
{
    const uint8_t *payload = NULL;
    size_t plen = 0;
    if (o->proto == 6) {
        if (len < 20 || (size_t)(p[12] >> 4) * 4 < 20) {
            c->truncated += len < 20;
            c->malformed += len >= 20;
            return;
        }
        size_t hl = (size_t)(p[12] >> 4) * 4;
        o->sport = load_be16(p);
        o->dport = load_be16(p + 2);
        if (hl <= len) {
            payload = p + hl;
            plen = len - hl;
        }
    } else if (o->proto == 17) {
        if (len < 8) {
            c->truncated++;
            return;
        }
        o->sport = load_be16(p);
        o->dport = load_be16(p + 2);
        size_t ulen = load_be16(p + 4);
        payload = p + 8;
        plen = ulen >= 8 ? MIN(len, ulen) - 8 : len - 8;
    }
    input_emit(o, emit, ctx, c);
    if (!payload || plen == 0)
        return;
    if (o->proto == 17 && o->dport == 53)
        dns_query(payload, plen, o, pc, emit, ctx, c);
    else if (o->proto == 6)
        tls_sni(payload, plen, o, pc, emit, ctx, c);
}

static void ipv4(const uint8_t *p, size_t len, struct obs *o, struct pkt_ctx *pc,
                 input_emit_fn emit, void *ctx, struct obs_counters *c)
{
    if (len < 20) {
        c->truncated++;
        return;
    }
    size_t hl = (size_t)(p[0] & 0x0f) * 4, tot = load_be16(p + 2);
    if ((p[0] >> 4) != 4 || hl < 20 || tot < hl) {
        c->malformed++;
        return;
    }
    if (hl > len) {
        c->truncated++;
        return;
    }
    o->src = ip4_from_bytes(p + 12);
    o->dst = ip4_from_bytes(p + 16);
    o->proto = p[9];
    bool first_fragment = (load_be16(p + 6) & 0x1fff) == 0;
    if (!first_fragment) {
        input_emit(o, emit, ctx, c);
        return;
    }
    transport(p + hl, MIN(len, tot) - hl, o, pc, emit, ctx, c);
}

static void ipv6(const uint8_t *p, size_t len, struct obs *o, struct pkt_ctx *pc,
                 input_emit_fn emit, void *ctx, struct obs_counters *c)
{
    if (len < 40) {
        c->truncated++;
        return;
    }
    if ((p[0] >> 4) != 6) {
        c->malformed++;
        return;
    }
    o->src = ip6_from_bytes(p + 8);
    o->dst = ip6_from_bytes(p + 24);
    size_t end = MIN(len, 40 + (size_t)load_be16(p + 4)), off = 40;
    uint8_t nh = p[6];
    for (unsigned k = 0; k < MAX_V6_EXT; k++) {
        if (nh != 0 && nh != 43 && nh != 60 && nh != 44 && nh != 51)
            break;
        if (off + 8 > end) {
            c->truncated++;
            return;
        }
        size_t elen = nh == 44   ? 8
                      : nh == 51 ? ((size_t)p[off + 1] + 2) * 4
                                 : ((size_t)p[off + 1] + 1) * 8;
        if (nh == 44 && (load_be16(p + off + 2) & 0xfff8) != 0) { /* a later fragment */
            o->proto = p[off];
            input_emit(o, emit, ctx, c);
            return;
        }
        nh = p[off];
        off += elen;
    }
    if (off > end) {
        c->truncated++;
        return;
    }
    o->proto = nh;
    transport(p + off, end - off, o, pc, emit, ctx, c);
}

/* Link layers: header length, where the ethertype is (-1: derived). */
static const struct {
    int linktype;
    size_t hdr;
    int type_at;
} links[] = {
    {DLT_EN10MB, 14, 12},    {DLT_LINUX_SLL, 16, 14},
    {DLT_LINUX_SLL2, 20, 0}, {DLT_NULL, 4, -1},
    {DLT_RAW, 0, -1},        {DLT_IPV4, 0, -1},
    {DLT_IPV6, 0, -1},       {101 /* LINKTYPE_RAW as stored in files */, 0, -1},
};

/* DLT_NULL: the writer's AF_ value in its own byte order. */
static unsigned null_ethertype(const uint8_t *p)
{
    uint32_t le =
        (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    uint32_t be = load_be32(p);
    if (le == 2 || be == 2)
        return 0x0800;
    static const uint32_t inet6[] = {10, 24, 28, 30}; /* Linux, BSDs, macOS */
    for (size_t i = 0; i < ARRAY_SIZE(inet6); i++)
        if (le == inet6[i] || be == inet6[i])
            return 0x86dd;
    return 0;
}

void pcap_packet(int linktype, const uint8_t *p, size_t caplen, size_t wire_len, int64_t ts_ms,
                 uint64_t index, input_emit_fn emit, void *ctx, struct obs_counters *c)
{
    struct obs o = {.source = SRC_PCAP,
                    .kind = OBS_FLOW,
                    .ts_ms = ts_ms,
                    .packets = 1,
                    .bytes = wire_len,
                    .line = index};
    size_t k = 0;
    while (k < ARRAY_SIZE(links) && links[k].linktype != linktype)
        k++;
    if (k == ARRAY_SIZE(links)) {
        c->skipped++;
        return;
    }
    size_t off = links[k].hdr;
    if (caplen < off + 1) {
        c->truncated++;
        return;
    }
    unsigned ethertype;
    if (links[k].type_at >= 0)
        ethertype = load_be16(p + links[k].type_at);
    else if (linktype == DLT_NULL)
        ethertype = null_ethertype(p);
    else
        ethertype = (p[0] >> 4) == 4 ? 0x0800 : (p[0] >> 4) == 6 ? 0x86dd : 0;
    for (unsigned v = 0; linktype == DLT_EN10MB && v < MAX_VLAN_TAGS &&
                         (ethertype == 0x8100 || ethertype == 0x88a8 || ethertype == 0x9100);
         v++) {
        if (off + 4 > caplen) {
            c->truncated++;
            return;
        }
        ethertype = load_be16(p + off + 2);
        off += 4;
    }
    struct pkt_ctx pc;
    if (ethertype == 0x0800)
        ipv4(p + off, caplen - off, &o, &pc, emit, ctx, c);
    else if (ethertype == 0x86dd)
        ipv6(p + off, caplen - off, &o, &pc, emit, ctx, c);
    else
        c->skipped++;
}
