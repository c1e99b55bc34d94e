/* NetFlow v5/v9 and IPFIX decoding: hand-built packets, hand-written expectations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "sensor/netflow.h"

/* ---- packet builder ---- */

struct pb {
    uint8_t b[4096];
    size_t n;
    size_t set_at; /* start of the open set */
};

static void u8(struct pb *p, unsigned v)
{
    p->b[p->n++] = (uint8_t)v;
}

static void u16(struct pb *p, unsigned v)
{
    u8(p, v >> 8);
    u8(p, v);
}

static void u32(struct pb *p, uint32_t v)
{
    u16(p, v >> 16);
    u16(p, v & 0xffff);
}

static void u64(struct pb *p, uint64_t v)
{
    u32(p, (uint32_t)(v >> 32));
    u32(p, (uint32_t)v);
}

static void ip4(struct pb *p, unsigned a, unsigned b, unsigned c, unsigned d)
{
    u8(p, a);
    u8(p, b);
    u8(p, c);
    u8(p, d);
}

static void patch16(struct pb *p, size_t at, size_t v)
{
    p->b[at] = (uint8_t)(v >> 8);
    p->b[at + 1] = (uint8_t)v;
}

static void set_begin(struct pb *p, unsigned id)
{
    p->set_at = p->n;
    u16(p, id);
    u16(p, 0);
}

static void set_end(struct pb *p)
{
    patch16(p, p->set_at + 2, p->n - p->set_at);
}

static void v9_hdr(struct pb *p, uint32_t uptime, uint32_t secs, uint32_t seq, uint32_t source)
{
    p->n = 0;
    u16(p, 9);
    u16(p, 1);
    u32(p, uptime);
    u32(p, secs);
    u32(p, seq);
    u32(p, source);
}

static void ipfix_hdr(struct pb *p, uint32_t secs, uint32_t seq, uint32_t domain)
{
    p->n = 0;
    u16(p, 10);
    u16(p, 0);
    u32(p, secs);
    u32(p, seq);
    u32(p, domain);
}

static void ipfix_end(struct pb *p)
{
    patch16(p, 2, p->n);
}

/* ---- decoding into a record list ---- */

#define MAXREC 64
static struct obs got[MAXREC];
static size_t n_got;

static void collect(const struct obs *o, void *arg)
{
    (void)arg;
    if (n_got < MAXREC)
        got[n_got] = *o;
    n_got++;
}

static const struct ip_addr exporter_a = {.family = ADDR_V4, .v4 = 0xc0a80001}; /* 192.168.0.1 */
static const struct ip_addr exporter_b = {.family = ADDR_V4, .v4 = 0xc0a80002};

static size_t feed(struct nf_cache *c, const struct ip_addr *e, struct pb *p, int64_t now)
{
    return nf_decode(c, e, p->b, p->n, now, collect, NULL);
}

static void reset(void)
{
    n_got = 0;
    memset(got, 0, sizeof got);
}

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* ---- NetFlow v5 ---- */

static void v5_hdr(struct pb *p, unsigned count, uint32_t seq)
{
    p->n = 0;
    u16(p, 5);
    u16(p, count);
    u32(p, 10000);      /* sysUptime ms */
    u32(p, 1700000000); /* unix secs */
    u32(p, 500000000);  /* unix nsecs: .5 s */
    u32(p, seq);
    u8(p, 1); /* engine type */
    u8(p, 2); /* engine id */
    u16(p, 0);
}

static void v5_rec(struct pb *p, unsigned last_octet, unsigned sport)
{
    ip4(p, 10, 0, 0, last_octet); /* src */
    ip4(p, 192, 0, 2, 5);         /* dst */
    ip4(p, 0, 0, 0, 0);           /* nexthop */
    u16(p, 1);
    u16(p, 2);
    u32(p, 3);    /* packets */
    u32(p, 180);  /* bytes */
    u32(p, 4000); /* first */
    u32(p, 9000); /* last */
    u16(p, sport);
    u16(p, 80);
    u8(p, 0);
    u8(p, 0x12); /* tcp flags */
    u8(p, 6);    /* proto */
    u8(p, 0);
    u16(p, 0);
    u16(p, 0);
    u8(p, 24);
    u8(p, 24);
    u16(p, 0);
}

static void test_v5_two_records(void **state)
{
    (void)state;
    struct nf_cache *c = nf_cache_new(NULL);
    struct pb p;
    reset();
    v5_hdr(&p, 2, 100);
    v5_rec(&p, 1, 1234);
    v5_rec(&p, 2, 1235);
    assert_int_equal(p.n, 24 + 2 * 48);
    assert_int_equal(feed(c, &exporter_a, &p, 1700000000), 2);
    assert_int_equal(n_got, 2);
    assert_int_equal(got[0].kind, OBS_FLOW);
    assert_int_equal(got[0].source, SRC_NETFLOW5);
    assert_int_equal(got[0].src.family, ADDR_V4);
    assert_int_equal(got[0].src.v4, IP4(10, 0, 0, 1));
    assert_int_equal(got[0].dst.v4, IP4(192, 0, 2, 5));
    assert_int_equal(got[1].src.v4, IP4(10, 0, 0, 2));
    assert_int_equal(got[0].sport, 1234);
    assert_int_equal(got[1].sport, 1235);
    assert_int_equal(got[0].dport, 80);
    assert_int_equal(got[0].proto, 6);
    assert_int_equal(got[0].packets, 3);
    assert_int_equal(got[0].bytes, 180);
    /* export 1700000000.500 s; first was 6000 ms before uptime 10000, last 1000 ms */
    assert_int_equal(got[0].ts_ms, 1699999994500LL);
    assert_int_equal(got[0].end_ms, 1699999999500LL);
    assert_int_equal(got[0].exporter, 0xc0a80001);
    assert_int_equal(got[0].domain, 0x0102);

    /* v5 sequence counts flows: next expected 102. */
    v5_hdr(&p, 1, 102);
    v5_rec(&p, 3, 1);
    assert_int_equal(feed(c, &exporter_a, &p, 1700000000), 1);
    assert_int_equal(nf_cache_counters(c)->obs.seq_gaps, 0);
    v5_hdr(&p, 1, 110); /* expected 103: 7 flows lost */
    v5_rec(&p, 4, 1);
    assert_int_equal(feed(c, &exporter_a, &p, 1700000000), 1);
    assert_int_equal(nf_cache_counters(c)->obs.seq_gaps, 1);
    assert_int_equal(nf_cache_counters(c)->obs.seq_lost, 7);
    /* A late packet is not a gap. */
    v5_hdr(&p, 1, 103);
    v5_rec(&p, 5, 1);
    feed(c, &exporter_a, &p, 1700000000);
    assert_int_equal(nf_cache_counters(c)->obs.seq_gaps, 1);

    /* Header count larger than the packet: the records present, counted truncated. */
    reset();
    v5_hdr(&p, 3, 111);
    v5_rec(&p, 6, 1);
    assert_int_equal(feed(c, &exporter_a, &p, 1700000000), 1);
    assert_int_equal(nf_cache_counters(c)->obs.truncated, 1);
    assert_int_equal(nf_cache_counters(c)->obs.records, 6);
    nf_cache_free(c);
}

/* ---- NetFlow v9 ---- */

/* Template 256: src4 dst4 sport dport proto bytes packets first last = 29 bytes. */
static void v9_template_256(struct pb *p)
{
    set_begin(p, 0);
    u16(p, 256);
    u16(p, 9);
    static const unsigned f[][2] = {{8, 4}, {12, 4}, {7, 2},  {11, 2}, {4, 1},
                                    {1, 4}, {2, 4},  {22, 4}, {21, 4}};
    for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
        u16(p, f[i][0]);
        u16(p, f[i][1]);
    }
    set_end(p);
}

static void v9_rec_256(struct pb *p, unsigned last_octet, uint32_t bytes)
{
    ip4(p, 100, 64, 0, last_octet);
    ip4(p, 203, 0, 113, 9);
    u16(p, 40000);
    u16(p, 443);
    u8(p, 6);
    u32(p, bytes);
    u32(p, 10);
    u32(p, 15000); /* first: 5 s before uptime 20000 */
    u32(p, 19000); /* last: 1 s before */
}

static void test_v9_template_and_data_one_packet(void **state)
{
    (void)state;
    struct nf_cache *c = nf_cache_new(NULL);
    struct pb p;
    reset();
    v9_hdr(&p, 20000, 1700000000, 1, 7);
    v9_template_256(&p);
    set_begin(&p, 256);
    v9_rec_256(&p, 1, 5000);
    v9_rec_256(&p, 2, 6000);
    u16(&p, 0); /* padding */
    set_end(&p);
    assert_int_equal(feed(c, &exporter_a, &p, 1700000000), 2);
    assert_int_equal(got[0].source, SRC_NETFLOW9);
    assert_int_equal(got[0].src.v4, IP4(100, 64, 0, 1));
    assert_int_equal(got[1].src.v4, IP4(100, 64, 0, 2));
    assert_int_equal(got[0].dst.v4, IP4(203, 0, 113, 9));
    assert_int_equal(got[0].sport, 40000);
    assert_int_equal(got[0].dport, 443);
    assert_int_equal(got[0].proto, 6);
    assert_int_equal(got[0].bytes, 5000);
    assert_int_equal(got[1].bytes, 6000);
    assert_int_equal(got[0].packets, 10);
    assert_int_equal(got[0].ts_ms, 1699999995000LL);
    assert_int_equal(got[0].end_ms, 1699999999000LL);
    assert_int_equal(got[0].domain, 7);
    const struct nf_counters *k = nf_cache_counters(c);
    assert_int_equal(k->templates_added, 1);
    assert_int_equal(k->templates_active, 1);
    assert_int_equal(k->obs.truncated, 0);
    assert_int_equal(k->obs.malformed, 0);
    nf_cache_free(c);
}

static void test_v9_across_packets_and_sequence(void **state)
{
    (void)state;
    struct nf_cache *c = nf_cache_new(NULL);
    struct pb p;
    reset();
    /* Data before its template: unknown, skipped. */
    v9_hdr(&p, 20000, 1700000000, 1, 7);
    set_begin(&p, 256);
    v9_rec_256(&p, 1, 1);
    set_end(&p);
    assert_int_equal(feed(c, &exporter_a, &p, 1700000000), 0);
    assert_int_equal(nf_cache_counters(c)->obs.unknown_template, 1);

    v9_hdr(&p, 20000, 1700000000, 2, 7);
    v9_template_256(&p);
    assert_int_equal(feed(c, &exporter_a, &p, 1700000000), 0);

    v9_hdr(&p, 20000, 1700000000, 3, 7);
    set_begin(&p, 256);
    v9_rec_256(&p, 3, 77);
    set_end(&p);
    assert_int_equal(feed(c, &exporter_a, &p, 1700000000), 1);
    assert_int_equal(got[0].bytes, 77);

    /* Same template id, other source id: a different template space. */
    v9_hdr(&p, 20000, 1700000000, 1, 8);
    set_begin(&p, 256);
    v9_rec_256(&p, 3, 77);
    set_end(&p);
    assert_int_equal(feed(c, &exporter_a, &p, 1700000000), 0);
    assert_int_equal(nf_cache_counters(c)->obs.unknown_template, 2);
    /* Other exporter, same source id: also unknown. */
    v9_hdr(&p, 20000, 1700000000, 1, 7);
    set_begin(&p, 256);
    v9_rec_256(&p, 3, 77);
    set_end(&p);
    assert_int_equal(feed(c, &exporter_b, &p, 1700000000), 0);
    assert_int_equal(nf_cache_counters(c)->obs.unknown_template, 3);

    /* v9 sequence counts packets: 1,2,3 then 6 = 2 lost. */
    assert_int_equal(nf_cache_counters(c)->obs.seq_gaps, 0);
    v9_hdr(&p, 20000, 1700000000, 6, 7);
    feed(c, &exporter_a, &p, 1700000000);
    assert_int_equal(nf_cache_counters(c)->obs.seq_gaps, 1);
    assert_int_equal(nf_cache_counters(c)->obs.seq_lost, 2);
    nf_cache_free(c);
}

static void test_v9_options_template(void **state)
{
    (void)state;
    struct nf_cache *c = nf_cache_new(NULL);
    struct pb p;
    reset();
    v9_hdr(&p, 20000, 1700000000, 1, 7);
    set_begin(&p, 1);
    u16(&p, 257);
    u16(&p, 4); /* scope: one field */
    u16(&p, 8); /* options: two fields */
    u16(&p, 1); /* scope: system */
    u16(&p, 4);
    u16(&p, 34); /* sampling interval */
    u16(&p, 4);
    u16(&p, 35); /* sampling algorithm */
    u16(&p, 1);
    u16(&p, 0); /* padding to 4 bytes */
    set_end(&p);
    set_begin(&p, 257);
    u32(&p, 0x0a000001);
    u32(&p, 1000);
    u8(&p, 2);
    u8(&p, 0); /* padding */
    set_end(&p);
    assert_int_equal(feed(c, &exporter_a, &p, 1700000000), 0);
    const struct nf_counters *k = nf_cache_counters(c);
    assert_int_equal(k->templates_added, 1);
    assert_int_equal(k->options_records, 1);
    assert_int_equal(k->obs.skipped, 1);
    assert_int_equal(k->obs.unknown_template, 0);
    assert_int_equal(k->obs.malformed, 0);
    nf_cache_free(c);
}

/* ---- IPFIX ---- */

static void test_ipfix_varlen_and_enterprise(void **state)
{
    (void)state;
    struct nf_cache *c = nf_cache_new(NULL);
    struct pb p;
    reset();
    ipfix_hdr(&p, 1700000000, 0, 42);
    set_begin(&p, 2);
    u16(&p, 300);
    u16(&p, 9);
    u16(&p, 8);
    u16(&p, 4);
    u16(&p, 12);
    u16(&p, 4);
    u16(&p, 0x8000 | 100); /* enterprise field: skipped */
    u16(&p, 4);
    u32(&p, 9999);
    u16(&p, 82); /* interfaceName, variable length */
    u16(&p, 65535);
    u16(&p, 7);
    u16(&p, 2);
    u16(&p, 11);
    u16(&p, 2);
    u16(&p, 4);
    u16(&p, 1);
    u16(&p, 152); /* flowStartMilliseconds */
    u16(&p, 8);
    u16(&p, 2); /* packetDeltaCount, reduced to 4 bytes */
    u16(&p, 4);
    set_end(&p);
    set_begin(&p, 300);
    /* record 1: short variable length */
    ip4(&p, 10, 1, 1, 1);
    ip4(&p, 198, 51, 100, 7);
    u32(&p, 0xdeadbeef);
    u8(&p, 3);
    u8(&p, 'e');
    u8(&p, 't');
    u8(&p, 'h');
    u16(&p, 5353);
    u16(&p, 53);
    u8(&p, 17);
    u64(&p, 1700000001234ULL);
    u32(&p, 2);
    /* record 2: the three-byte length form (255, then 16 bits) */
    ip4(&p, 10, 1, 1, 2);
    ip4(&p, 198, 51, 100, 8);
    u32(&p, 0);
    u8(&p, 255);
    u16(&p, 4);
    u32(&p, 0x65746830);
    u16(&p, 1);
    u16(&p, 2);
    u8(&p, 6);
    u64(&p, 1700000005000ULL);
    u32(&p, 9);
    u8(&p, 0); /* padding */
    set_end(&p);
    ipfix_end(&p);
    assert_int_equal(feed(c, &exporter_a, &p, 1700000000), 2);
    assert_int_equal(got[0].source, SRC_IPFIX);
    assert_int_equal(got[0].src.v4, IP4(10, 1, 1, 1));
    assert_int_equal(got[0].dst.v4, IP4(198, 51, 100, 7));
    assert_int_equal(got[0].sport, 5353);
    assert_int_equal(got[0].dport, 53);
    assert_int_equal(got[0].proto, 17);
    assert_int_equal(got[0].ts_ms, 1700000001234LL);
    assert_int_equal(got[0].packets, 2);
    assert_int_equal(got[0].domain, 42);
    assert_int_equal(got[1].src.v4, IP4(10, 1, 1, 2));
    assert_int_equal(got[1].sport, 1);
    assert_int_equal(got[1].proto, 6);
    assert_int_equal(got[1].ts_ms, 1700000005000LL);
    assert_int_equal(got[1].packets, 9);
    assert_int_equal(nf_cache_counters(c)->obs.truncated, 0);

    /* IPFIX sequence counts data records: 2 so far; next 2 ok, then 10 = 6 lost. */
    ipfix_hdr(&p, 1700000000, 2, 42);
    ipfix_end(&p);
    feed(c, &exporter_a, &p, 1700000000);
    assert_int_equal(nf_cache_counters(c)->obs.seq_gaps, 0);
    ipfix_hdr(&p, 1700000000, 8, 42);
    ipfix_end(&p);
    feed(c, &exporter_a, &p, 1700000000);
    assert_int_equal(nf_cache_counters(c)->obs.seq_gaps, 1);
    assert_int_equal(nf_cache_counters(c)->obs.seq_lost, 6);
    nf_cache_free(c);
}

static void test_ipfix_nat_fields(void **state)
{
    (void)state;
    struct nf_cache *c = nf_cache_new(NULL);
    struct pb p;
    reset();
    ipfix_hdr(&p, 1700000000, 0, 1);
    set_begin(&p, 2);
    u16(&p, 400);
    static const unsigned f[][2] = {{8, 4},   {12, 4},  {7, 2},   {11, 2},  {4, 1},
                                    {225, 4}, {226, 4}, {227, 2}, {228, 2}, {230, 1},
                                    {361, 2}, {364, 2}, {150, 4}, {151, 4}};
    u16(&p, ARRAY_SIZE(f));
    for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
        u16(&p, f[i][0]);
        u16(&p, f[i][1]);
    }
    u16(&p, 401); /* IPv6 with NAT66 */
    u16(&p, 4);
    u16(&p, 27);
    u16(&p, 16);
    u16(&p, 28);
    u16(&p, 16);
    u16(&p, 281);
    u16(&p, 16);
    u16(&p, 362);
    u16(&p, 2);
    set_end(&p);
    set_begin(&p, 400);
    ip4(&p, 100, 64, 1, 10); /* inside */
    ip4(&p, 8, 8, 8, 8);
    u16(&p, 5000);
    u16(&p, 53);
    u8(&p, 17);
    ip4(&p, 203, 0, 113, 1); /* outside */
    ip4(&p, 8, 8, 8, 8);
    u16(&p, 61000);
    u16(&p, 53);
    u8(&p, 1); /* natEvent: create */
    u16(&p, 60928);
    u16(&p, 512); /* block size: ends at 61439 */
    u32(&p, 1700000100);
    u32(&p, 1700000160);
    set_end(&p);
    set_begin(&p, 401);
    u64(&p, 0x20010db800000000ULL); /* 2001:db8::1 */
    u64(&p, 1);
    u64(&p, 0x20010db800000000ULL); /* 2001:db8::2 */
    u64(&p, 2);
    u64(&p, 0x20010db8ffff0000ULL); /* 2001:db8:ffff::9 */
    u64(&p, 9);
    u16(&p, 1024);
    set_end(&p);
    ipfix_end(&p);
    assert_int_equal(feed(c, &exporter_a, &p, 1700000000), 2);
    assert_int_equal(got[0].src.v4, IP4(100, 64, 1, 10));
    assert_int_equal(got[0].xsrc.family, ADDR_V4);
    assert_int_equal(got[0].xsrc.v4, IP4(203, 0, 113, 1));
    assert_int_equal(got[0].xdst.v4, IP4(8, 8, 8, 8));
    assert_int_equal(got[0].xsport, 61000);
    assert_int_equal(got[0].xdport, 53);
    assert_int_equal(got[0].nat_event, 1);
    assert_int_equal(got[0].port_range_start, 60928);
    assert_int_equal(got[0].port_range_end, 61439);
    assert_int_equal(got[0].ts_ms, 1700000100000LL);
    assert_int_equal(got[0].end_ms, 1700000160000LL);
    assert_int_equal(got[1].src.family, ADDR_V6);
    assert_true(got[1].src.v6.hi == 0x20010db800000000ULL && got[1].src.v6.lo == 1);
    assert_true(got[1].dst.v6.lo == 2);
    assert_int_equal(got[1].xsrc.family, ADDR_V6);
    assert_true(got[1].xsrc.v6.hi == 0x20010db8ffff0000ULL && got[1].xsrc.v6.lo == 9);
    assert_int_equal(got[1].port_range_end, 1024);
    /* No time in the record: the export time. */
    assert_int_equal(got[1].ts_ms, 1700000000000LL);
    nf_cache_free(c);
}

/* A one-field IPFIX template tid (sourceIPv4Address) and a data set. */
static void ipfix_tpl1(struct pb *p, unsigned tid, unsigned ie, unsigned len)
{
    set_begin(p, 2);
    u16(p, tid);
    u16(p, 1);
    u16(p, ie);
    u16(p, len);
    set_end(p);
}

static size_t ipfix_data4(struct nf_cache *c, const struct ip_addr *e, unsigned tid, int64_t now)
{
    struct pb p;
    ipfix_hdr(&p, 1700000000, 0, 1);
    set_begin(&p, tid);
    ip4(&p, 1, 2, 3, 4);
    set_end(&p);
    ipfix_end(&p);
    return feed(c, e, &p, now);
}

static void test_template_expiry_and_refresh(void **state)
{
    (void)state;
    struct nf_config cfg;
    nf_config_init(&cfg);
    assert_int_equal(cfg.template_expiry_s, 1800);
    cfg.template_expiry_s = 60;
    struct nf_cache *c = nf_cache_new(&cfg);
    struct pb p;
    reset();
    ipfix_hdr(&p, 1700000000, 0, 1);
    ipfix_tpl1(&p, 256, 8, 4);
    ipfix_end(&p);
    feed(c, &exporter_a, &p, 1000);
    assert_int_equal(ipfix_data4(c, &exporter_a, 256, 1060), 1);
    assert_int_equal(got[0].src.v4, IP4(1, 2, 3, 4));
    assert_int_equal(ipfix_data4(c, &exporter_a, 256, 1061), 0);
    const struct nf_counters *k = nf_cache_counters(c);
    assert_int_equal(k->templates_expired, 1);
    assert_int_equal(k->obs.template_evicted, 1);
    assert_int_equal(k->obs.unknown_template, 1);
    assert_int_equal(k->templates_active, 0);

    /* Refresh: the same id re-sent with another layout replaces it and restarts its age. */
    ipfix_hdr(&p, 1700000000, 0, 1);
    ipfix_tpl1(&p, 256, 8, 4);
    ipfix_end(&p);
    feed(c, &exporter_a, &p, 2000);
    ipfix_hdr(&p, 1700000000, 0, 1);
    ipfix_tpl1(&p, 256, 12, 4); /* now the 4 bytes are the destination */
    ipfix_end(&p);
    feed(c, &exporter_a, &p, 2050);
    assert_int_equal(k->templates_refreshed, 1);
    assert_int_equal(k->templates_active, 1);
    reset();
    assert_int_equal(ipfix_data4(c, &exporter_a, 256, 2100), 1);
    assert_int_equal(got[0].src.family, 0);
    assert_int_equal(got[0].dst.v4, IP4(1, 2, 3, 4));

    /* Withdrawal (field count 0) removes it. */
    ipfix_hdr(&p, 1700000000, 0, 1);
    set_begin(&p, 2);
    u16(&p, 256);
    u16(&p, 0);
    set_end(&p);
    ipfix_end(&p);
    feed(c, &exporter_a, &p, 2100);
    assert_int_equal(k->templates_active, 0);
    assert_int_equal(ipfix_data4(c, &exporter_a, 256, 2100), 0);
    nf_cache_free(c);
}

static void test_template_flood(void **state)
{
    (void)state;
    struct nf_config cfg;
    nf_config_init(&cfg);
    cfg.max_templates_per_exp = 4;
    cfg.max_templates = 6;
    struct nf_cache *c = nf_cache_new(&cfg);
    struct pb p;
    reset();
    /* Ten templates from one exporter: the six oldest go. */
    ipfix_hdr(&p, 1700000000, 0, 1);
    for (unsigned t = 256; t < 266; t++)
        ipfix_tpl1(&p, t, 8, 4);
    ipfix_end(&p);
    feed(c, &exporter_a, &p, 1000);
    const struct nf_counters *k = nf_cache_counters(c);
    assert_int_equal(k->templates_added, 10);
    assert_int_equal(k->templates_active, 4);
    assert_int_equal(k->obs.template_evicted, 6);
    assert_int_equal(ipfix_data4(c, &exporter_a, 261, 1000), 0);
    assert_int_equal(ipfix_data4(c, &exporter_a, 262, 1000), 1);
    assert_int_equal(ipfix_data4(c, &exporter_a, 265, 1000), 1);
    /* Four from another exporter: the total bound (6) evicts A's two oldest. */
    ipfix_hdr(&p, 1700000000, 0, 1);
    for (unsigned t = 256; t < 260; t++)
        ipfix_tpl1(&p, t, 8, 4);
    ipfix_end(&p);
    feed(c, &exporter_b, &p, 1001);
    assert_int_equal(k->templates_active, 6);
    assert_int_equal(k->obs.template_evicted, 8);
    assert_int_equal(ipfix_data4(c, &exporter_a, 263, 1001), 0);
    assert_int_equal(ipfix_data4(c, &exporter_a, 264, 1001), 1);
    assert_int_equal(ipfix_data4(c, &exporter_b, 256, 1001), 1);
    nf_cache_free(c);
}

static void test_stream_bound(void **state)
{
    (void)state;
    struct nf_config cfg;
    nf_config_init(&cfg);
    cfg.max_streams = 2;
    struct nf_cache *c = nf_cache_new(&cfg);
    struct pb p;
    /* Three domains of one exporter: the least recently seen goes with its template. */
    for (uint32_t d = 1; d <= 3; d++) {
        ipfix_hdr(&p, 1700000000, 0, d);
        ipfix_tpl1(&p, 256, 8, 4);
        ipfix_end(&p);
        feed(c, &exporter_a, &p, 1000);
    }
    assert_int_equal(nf_cache_counters(c)->templates_active, 2);
    assert_int_equal(nf_cache_counters(c)->obs.template_evicted, 1);
    nf_cache_free(c);
}

static void test_truncated_and_malformed(void **state)
{
    (void)state;
    struct nf_cache *c = nf_cache_new(NULL);
    const struct nf_counters *k = nf_cache_counters(c);
    struct pb p;
    reset();
    static const uint8_t v5short[10] = {0, 5, 0, 1};
    static const uint8_t v9short[19] = {0, 9, 0, 1};
    static const uint8_t ipfixshort[15] = {0, 10, 0, 15};
    static const uint8_t one[1] = {0};
    static const uint8_t v7[24] = {0, 7};
    assert_int_equal(nf_decode(c, &exporter_a, v5short, sizeof v5short, 1, collect, NULL), 0);
    assert_int_equal(nf_decode(c, &exporter_a, v9short, sizeof v9short, 1, collect, NULL), 0);
    assert_int_equal(nf_decode(c, &exporter_a, ipfixshort, sizeof ipfixshort, 1, collect, NULL), 0);
    assert_int_equal(nf_decode(c, &exporter_a, one, 0, 1, collect, NULL), 0);
    assert_int_equal(nf_decode(c, &exporter_a, one, 1, 1, collect, NULL), 0);
    assert_int_equal(k->obs.truncated, 5);
    assert_int_equal(nf_decode(c, &exporter_a, v7, sizeof v7, 1, collect, NULL), 0);
    assert_int_equal(k->bad_version, 1);
    assert_int_equal(k->obs.malformed, 1);

    /* IPFIX message length past the datagram. */
    ipfix_hdr(&p, 1700000000, 0, 1);
    ipfix_tpl1(&p, 256, 8, 4);
    patch16(&p, 2, p.n + 1);
    feed(c, &exporter_a, &p, 1);
    assert_int_equal(k->obs.truncated, 6);
    assert_int_equal(k->templates_added, 0);

    /* Set length past the packet. */
    ipfix_hdr(&p, 1700000000, 0, 1);
    ipfix_tpl1(&p, 256, 8, 4);
    patch16(&p, 18, 200);
    ipfix_end(&p);
    feed(c, &exporter_a, &p, 1);
    assert_int_equal(k->obs.truncated, 7);
    assert_int_equal(k->templates_added, 0);

    /* Zero-length set: counted, and decoding stops (no endless loop). */
    v9_hdr(&p, 1, 1700000000, 1, 1);
    set_begin(&p, 256);
    set_end(&p);
    patch16(&p, p.n - 2, 0);
    v9_template_256(&p);
    feed(c, &exporter_a, &p, 1);
    assert_int_equal(k->obs.malformed, 2);
    assert_int_equal(k->templates_added, 0);

    /* Unknown template id in a data set. */
    v9_hdr(&p, 1, 1700000000, 2, 1);
    set_begin(&p, 999);
    u32(&p, 1);
    set_end(&p);
    feed(c, &exporter_a, &p, 1);
    assert_int_equal(k->obs.unknown_template, 1);

    /* Template whose field list runs past its set. */
    v9_hdr(&p, 1, 1700000000, 3, 1);
    set_begin(&p, 0);
    u16(&p, 256);
    u16(&p, 5);
    u16(&p, 8);
    u16(&p, 4);
    set_end(&p);
    feed(c, &exporter_a, &p, 1);
    assert_int_equal(k->obs.truncated, 8);
    assert_int_equal(k->templates_added, 0);

    /* Template ids below 256 are reserved. */
    v9_hdr(&p, 1, 1700000000, 4, 1);
    set_begin(&p, 0);
    u16(&p, 100);
    u16(&p, 1);
    u16(&p, 8);
    u16(&p, 4);
    set_end(&p);
    feed(c, &exporter_a, &p, 1);
    assert_int_equal(k->obs.malformed, 3);
    assert_int_equal(n_got, 0);
    nf_cache_free(c);
}

static void test_field_length_0_and_65535(void **state)
{
    (void)state;
    struct nf_cache *c = nf_cache_new(NULL);
    const struct nf_counters *k = nf_cache_counters(c);
    struct pb p;
    reset();
    /* v9: a template of only zero-length fields has no records: rejected. */
    v9_hdr(&p, 1, 1700000000, 1, 1);
    set_begin(&p, 0);
    u16(&p, 256);
    u16(&p, 2);
    u16(&p, 8);
    u16(&p, 0);
    u16(&p, 12);
    u16(&p, 0);
    set_end(&p);
    feed(c, &exporter_a, &p, 1);
    assert_int_equal(k->templates_added, 0);
    assert_int_equal(k->obs.malformed, 2); /* bad src length, then an empty record */

    /* v9: sourceIPv4Address of length 0 beside a good field: learnt, field ignored. */
    v9_hdr(&p, 1, 1700000000, 2, 1);
    set_begin(&p, 0);
    u16(&p, 257);
    u16(&p, 2);
    u16(&p, 8);
    u16(&p, 0);
    u16(&p, 12);
    u16(&p, 4);
    set_end(&p);
    set_begin(&p, 257);
    ip4(&p, 9, 9, 9, 9);
    set_end(&p);
    assert_int_equal(feed(c, &exporter_a, &p, 1), 1);
    assert_int_equal(got[0].src.family, 0);
    assert_int_equal(got[0].dst.v4, IP4(9, 9, 9, 9));
    assert_int_equal(k->obs.malformed, 3);

    /* v9: length 65535 is a fixed length no packet can hold: data is truncated. */
    v9_hdr(&p, 1, 1700000000, 3, 1);
    set_begin(&p, 0);
    u16(&p, 258);
    u16(&p, 1);
    u16(&p, 8);
    u16(&p, 65535);
    set_end(&p);
    set_begin(&p, 258);
    ip4(&p, 9, 9, 9, 9);
    set_end(&p);
    reset();
    assert_int_equal(feed(c, &exporter_a, &p, 1), 0);
    assert_int_equal(k->obs.truncated, 1);

    /* IPFIX: 65535 is variable length; a length byte past the set is truncated. */
    ipfix_hdr(&p, 1700000000, 0, 1);
    set_begin(&p, 2);
    u16(&p, 256);
    u16(&p, 2);
    u16(&p, 12);
    u16(&p, 4);
    u16(&p, 8); /* variable-length source address: valid only if 4 bytes arrive */
    u16(&p, 65535);
    set_end(&p);
    set_begin(&p, 256);
    ip4(&p, 5, 5, 5, 5);
    u8(&p, 4);
    ip4(&p, 6, 6, 6, 6);
    ip4(&p, 5, 5, 5, 6);
    u8(&p, 255);
    u16(&p, 40); /* runs past the set */
    set_end(&p);
    ipfix_end(&p);
    assert_int_equal(feed(c, &exporter_a, &p, 1), 1);
    assert_int_equal(got[0].src.v4, IP4(6, 6, 6, 6));
    assert_int_equal(got[0].dst.v4, IP4(5, 5, 5, 5));
    assert_int_equal(k->obs.truncated, 2);
    nf_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v5_two_records),
        cmocka_unit_test(test_v9_template_and_data_one_packet),
        cmocka_unit_test(test_v9_across_packets_and_sequence),
        cmocka_unit_test(test_v9_options_template),
        cmocka_unit_test(test_ipfix_varlen_and_enterprise),
        cmocka_unit_test(test_ipfix_nat_fields),
        cmocka_unit_test(test_template_expiry_and_refresh),
        cmocka_unit_test(test_template_flood),
        cmocka_unit_test(test_stream_bound),
        cmocka_unit_test(test_truncated_and_malformed),
        cmocka_unit_test(test_field_length_0_and_65535),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
