/*
 * Tests for src/sensor/input*.c. The data-driven part runs every case in
 * tests/data/sensor/inputs/: <case>.<format> is decoded and the observations
 * and counters, written as text, must equal <case>.expect line for line
 * (README there describes the form). The rest checks bounds directly.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/vtime.h"
#include "sensor/input.h"

#define CASES "sensor/inputs"
/* Reference time for year inference: 2026-11-21T12:00:00Z. */
#define REF_MS 1795262400000LL

static const char *kind_name(enum obs_kind k)
{
    switch (k) {
    case OBS_FLOW:
        return "flow";
    case OBS_DNS:
        return "dns";
    case OBS_TLS:
        return "tls";
    case OBS_ALERT:
        return "alert";
    }
    return "?";
}

static const char *source_name(enum obs_source s)
{
    static const char *const names[] = {"?",   "netflow5", "netflow9", "ipfix", "nfdump",
                                        "eve", "firewall", "dnslog",   "pcap"};
    return (size_t)s < ARRAY_SIZE(names) ? names[s] : "?";
}

static void put_time(struct buf *b, const char *key, int64_t ms)
{
    char t[21];
    int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    vtime_format_utc(s, t);
    t[19] = '\0'; /* drop the Z */
    assert_int_equal(buf_printf(b, " %s=%s.%03dZ", key, t, (int)(ms - s * 1000)), 0);
}

static void put_addr(struct buf *b, const char *key, const struct ip_addr *a)
{
    char t[IP_ADDR_STRLEN];
    if (!a->family)
        return;
    ip_format(a, t);
    assert_int_equal(buf_printf(b, " %s=%s", key, t), 0);
}

static void put_u(struct buf *b, const char *key, uint64_t v)
{
    if (v)
        assert_int_equal(buf_printf(b, " %s=%llu", key, (unsigned long long)v), 0);
}

/* One observation as a line of the .expect form. */
static void emit_text(const struct obs *o, void *ctx)
{
    struct buf *b = ctx;
    assert_int_equal(buf_printf(b, "%s %s line=%llu", kind_name(o->kind), source_name(o->source),
                                (unsigned long long)o->line),
                     0);
    if (o->ts_ms)
        put_time(b, "ts", o->ts_ms);
    if (o->end_ms)
        put_time(b, "end", o->end_ms);
    put_addr(b, "src", &o->src);
    put_addr(b, "dst", &o->dst);
    put_u(b, "sport", o->sport);
    put_u(b, "dport", o->dport);
    put_u(b, "proto", o->proto);
    put_u(b, "packets", o->packets);
    put_u(b, "bytes", o->bytes);
    put_addr(b, "xsrc", &o->xsrc);
    put_addr(b, "xdst", &o->xdst);
    put_u(b, "xsport", o->xsport);
    put_u(b, "xdport", o->xdport);
    put_u(b, "nat", o->nat_event);
    if (o->qname) {
        assert_int_equal(strlen(o->qname), o->qname_len);
        assert_int_equal(buf_printf(b, " qname=%.*s", (int)o->qname_len, o->qname), 0);
    }
    if (o->rule)
        assert_int_equal(buf_printf(b, " rule=\"%.*s\"", (int)o->rule_len, o->rule), 0);
    assert_int_equal(buf_putc(b, '\n'), 0);
}

static void put_counters(struct buf *b, const struct obs_counters *c)
{
    assert_int_equal(
        buf_printf(b, "counters records=%llu malformed=%llu truncated=%llu skipped=%llu\n",
                   (unsigned long long)c->records, (unsigned long long)c->malformed,
                   (unsigned long long)c->truncated, (unsigned long long)c->skipped),
        0);
}

/* The expect file without comment lines. */
static void read_expect(const char *path, struct buf *out)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    while (fgets(line, sizeof(line), f))
        if (line[0] != '#')
            assert_int_equal(buf_puts(out, line), 0);
    fclose(f);
}

static void decode_lines(enum input_format fmt, const char *path, struct buf *got,
                         struct obs_counters *c)
{
    struct input in;
    input_init(&in, fmt);
    in.ref_ms = REF_MS;
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t lineno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        size_t len = (size_t)n;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        input_line(&in, line, len, ++lineno, emit_text, got, c);
    }
    free(line);
    fclose(f);
}

static void test_cases(void **state)
{
    (void)state;
    DIR *d = opendir(CASES);
    assert_non_null(d);
    struct dirent *de;
    unsigned n_cases = 0, n_failed = 0;
    while ((de = readdir(d)) != NULL) {
        const char *dot = strrchr(de->d_name, '.');
        if (!dot || strcmp(dot, ".expect") == 0 || strcmp(dot, ".py") == 0 ||
            strcmp(de->d_name, "README.md") == 0 || de->d_name[0] == '.')
            continue;
        char path[512], expect_path[512];
        assert_true(snprintf(path, sizeof(path), CASES "/%s", de->d_name) < (int)sizeof(path));
        assert_true(snprintf(expect_path, sizeof(expect_path), CASES "/%.*s.expect",
                             (int)(dot - de->d_name), de->d_name) < (int)sizeof(expect_path));
        struct buf got = BUF_INIT(0), want = BUF_INIT(0);
        struct obs_counters c = {0};
        enum input_format fmt;
        if (strcmp(dot, ".pcap") == 0) {
            struct verr e;
            verr_init(&e);
            assert_int_equal(pcap_input_file(path, emit_text, &got, &c, &e), 0);
        } else {
            assert_int_equal(input_format_parse(dot + 1, &fmt), 0);
            decode_lines(fmt, path, &got, &c);
        }
        put_counters(&got, &c);
        read_expect(expect_path, &want);
        n_cases++;
        if (strcmp(buf_str(&got), buf_str(&want)) != 0) {
            n_failed++;
            print_error("case %s\n--- expected\n%s--- got\n%s", de->d_name, buf_str(&want),
                        buf_str(&got));
        }
        buf_release(&got);
        buf_release(&want);
    }
    closedir(d);
    assert_true(n_cases >= 8);
    assert_int_equal(n_failed, 0);
}

static void count_emit(const struct obs *o, void *ctx)
{
    (void)o;
    (*(unsigned *)ctx)++;
}

static void test_format_names(void **state)
{
    (void)state;
    enum input_format f = INPUT_EVE;
    assert_int_equal(input_format_parse("nfdump", &f), 0);
    assert_int_equal(f, INPUT_NFDUMP_CSV);
    assert_int_equal(input_format_parse("unbound", &f), 0);
    assert_int_equal(f, INPUT_DNS_UNBOUND);
    assert_int_equal(input_format_parse("EVE", &f), -EINVAL);
    assert_int_equal(f, INPUT_DNS_UNBOUND);
    assert_string_equal(input_format_name(INPUT_FIREWALL), "firewall");
    assert_int_equal(input_format_parse(input_format_name(INPUT_DNS_BIND), &f), 0);
    assert_int_equal(f, INPUT_DNS_BIND);
}

/* A line one byte over the bound is counted as truncated, the bound itself is read. */
static void test_line_bound(void **state)
{
    (void)state;
    static char line[INPUT_LINE_MAX + 1];
    const char *head = "srcip=10.0.0.1 dstip=10.0.0.2 x=";
    memset(line, 'a', sizeof(line));
    memcpy(line, head, strlen(head));
    struct input in;
    input_init(&in, INPUT_FIREWALL);
    struct obs_counters c = {0};
    unsigned n = 0;
    input_line(&in, line, INPUT_LINE_MAX + 1, 1, count_emit, &n, &c);
    assert_int_equal(c.truncated, 1);
    assert_int_equal(n, 0);
    input_line(&in, line, INPUT_LINE_MAX, 2, count_emit, &n, &c);
    assert_int_equal(n, 1);
    assert_int_equal(c.records, 1);
}

/* 32 levels of JSON nesting are read, 33 are refused before jansson sees them. */
static void test_json_depth(void **state)
{
    (void)state;
    char line[256];
    for (int depth = 32; depth <= 33; depth++) {
        int n = snprintf(line, sizeof(line), "{\"event_type\":\"x\",\"a\":");
        for (int i = 1; i < depth; i++)
            line[n++] = '[';
        for (int i = 1; i < depth; i++)
            line[n++] = ']';
        line[n++] = '}';
        struct input in;
        input_init(&in, INPUT_EVE);
        struct obs_counters c = {0};
        unsigned k = 0;
        input_line(&in, line, (size_t)n, 1, count_emit, &k, &c);
        assert_int_equal(c.skipped, depth == 32);
        assert_int_equal(c.malformed, depth == 33);
    }
}

/* RFC 3164 stamps: a January log read on 2 Jan is this year, a 31 Dec stamp
 * read on 2 Jan is last year. */
static void test_year_inference(void **state)
{
    (void)state;
    struct input in;
    input_init(&in, INPUT_FIREWALL);
    in.tz_offset_s = 0;
    in.ref_ms = 1798848000000LL; /* 2027-01-02T00:00:00Z */
    struct buf got = BUF_INIT(0);
    struct obs_counters c = {0};
    const char *a = "Jan  1 10:00:00 h k: srcip=10.0.0.1 dstip=10.0.0.2";
    const char *b = "Dec 31 23:00:00 h k: srcip=10.0.0.1 dstip=10.0.0.2";
    input_line(&in, a, strlen(a), 1, emit_text, &got, &c);
    input_line(&in, b, strlen(b), 2, emit_text, &got, &c);
    assert_string_equal(
        buf_str(&got),
        "flow firewall line=1 ts=2027-01-01T10:00:00.000Z src=10.0.0.1 dst=10.0.0.2\n"
        "flow firewall line=2 ts=2026-12-31T23:00:00.000Z src=10.0.0.1 dst=10.0.0.2\n");
    buf_release(&got);
}

/* Linux cooked capture (SLL) carrying a UDP DNS query for a 63-byte label;
 * a 64-byte label is refused. */
static void test_sll_dns_label(void **state)
{
    (void)state;
    for (int label = 63; label <= 64; label++) {
        uint8_t f[256] = {0};
        size_t n = 16;
        f[14] = 0x08; /* protocol 0x0800 */
        uint8_t *ip = f + n;
        size_t dns_len = 12 + 1 + (size_t)label + 4 + 1 + 4;
        size_t tot = 20 + 8 + dns_len;
        ip[0] = 0x45;
        ip[2] = (uint8_t)(tot >> 8);
        ip[3] = (uint8_t)tot;
        ip[9] = 17;
        memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
        uint8_t *udp = ip + 20;
        udp[0] = 0x10, udp[1] = 0x00, udp[3] = 53;
        udp[4] = (uint8_t)((8 + dns_len) >> 8);
        udp[5] = (uint8_t)(8 + dns_len);
        uint8_t *dns = udp + 8;
        dns[5] = 1; /* one question */
        dns[12] = (uint8_t)label;
        memset(dns + 13, 'a', (size_t)label);
        memcpy(dns + 13 + label,
               "\x03"
               "com"
               "\x00\x00\x01\x00\x01",
               9);
        n += tot;
        struct obs_counters c = {0};
        unsigned k = 0;
        pcap_packet(113 /* DLT_LINUX_SLL */, f, n, n, 0, 1, count_emit, &k, &c);
        assert_int_equal(k, label == 63 ? 2 : 1);
        assert_int_equal(c.malformed, label == 64);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),          cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_line_bound),     cmocka_unit_test(test_json_depth),
        cmocka_unit_test(test_year_inference), cmocka_unit_test(test_sll_dns_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
