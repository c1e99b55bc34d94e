/*
 * Subscriber attribution (sensor/attrib.h). The hand-written scenarios in
 * tests/data/sensor/attrib/ have their expected holders written below by
 * hand (times from Python's datetime, not from the code under test); the
 * randomized tests compare attrib_lookup() with a brute-force reading of
 * the rules over seeded events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/i18n.h"
#include "sensor/attrib.h"

/* 2026-11-20 03:00:00 UTC = 10:00 in Asia/Ho_Chi_Minh. */
#define T0   1795143600LL
#define S(x) ((T0 + (x)) * 1000)

/* dhcpd.leases times (UTC), Unix seconds. */
#define D19_0000 1795046400LL
#define D19_0100 1795050000LL
#define D19_0200 1795053600LL
#define D19_0600 1795068000LL
#define D19_0800 1795075200LL
#define D19_1000 1795082400LL
#define D19_1200 1795089600LL
#define D19_1800 1795111200LL
#define D19_2000 1795118400LL
#define D19_2100 1795122000LL
#define D20_0400 1795147200LL
#define D20_0900 1795165200LL

static void check_at(const struct attrib *a, const char *ip, int64_t t_ms, const char *user,
                     int line)
{
    struct ip_addr addr;
    if (ip_parse(ip, strlen(ip), &addr) != ADDR_OK)
        fail_msg("line %d: bad test address %s", line, ip);
    struct subscriber s;
    memset(&s, 0, sizeof(s));
    bool found = attrib_lookup(a, &addr, t_ms, &s);
    if (!user) {
        if (found)
            fail_msg("line %d: %s at %lld: expected nobody, got %s", line, ip, (long long)t_ms,
                     s.user);
        return;
    }
    if (!found)
        fail_msg("line %d: %s at %lld: expected %s, got nobody", line, ip, (long long)t_ms, user);
    if (strcmp(s.user, user) != 0)
        fail_msg("line %d: %s at %lld: expected %s, got %s", line, ip, (long long)t_ms, user,
                 s.user);
    if (!(s.start_ms <= t_ms && t_ms < s.end_ms))
        fail_msg("line %d: %s at %lld: interval [%lld, %lld) does not hold the time", line, ip,
                 (long long)t_ms, (long long)s.start_ms, (long long)s.end_ms);
}
#define CHECK(a, ip, t, user) check_at(a, ip, t, user, __LINE__)

static struct attrib *load(int (*fn)(struct attrib *, const char *, struct verr *),
                           const char *path)
{
    struct attrib *a = attrib_new();
    struct verr err;
    verr_init(&err);
    int r = fn(a, path, &err);
    if (r < 0)
        fail_msg("%s: %s", path, err.msg);
    assert_int_equal(attrib_build(a), 0);
    return a;
}

static void test_radius(void **state)
{
    (void)state;
    struct attrib *a = load(attrib_load_radius_detail, "sensor/attrib/radius.detail");
    const struct attrib_counters *c = attrib_counters(a);
    assert_int_equal(c->records, 19);
    assert_int_equal(c->malformed, 2);

    /* A new Start (bob) before the old Stop (alice): bob from his start. */
    CHECK(a, "10.0.0.1", S(0) - 1, NULL);
    CHECK(a, "10.0.0.1", S(0), "alice");
    CHECK(a, "10.0.0.1", S(1000) - 1, "alice");
    CHECK(a, "10.0.0.1", S(1000), "bob");
    CHECK(a, "10.0.0.1", S(1999), "bob");
    CHECK(a, "10.0.0.1", S(2000), NULL);

    /* Never stopped: last update (T0+1200) plus 2 x the observed 600 s. */
    CHECK(a, "10.0.0.2", S(2400) - 1, "carol");
    CHECK(a, "10.0.0.2", S(2400), NULL);
    /* Never stopped, no interval seen: one hour after the Start. */
    CHECK(a, "10.0.0.3", S(3600) - 1, "dave");
    CHECK(a, "10.0.0.3", S(3600), NULL);

    /* Accounting-On of NAS 192.0.2.9 at T0+500 ends erin and frank. */
    CHECK(a, "10.0.0.4", S(499), "erin");
    CHECK(a, "10.0.0.4", S(500), NULL);
    CHECK(a, "10.0.0.5", S(99), NULL);
    CHECK(a, "10.0.0.5", S(100), "frank");
    CHECK(a, "10.0.0.5", S(500), NULL);

    /* IPv6 prefixes of gina's session index the whole prefix. */
    CHECK(a, "10.0.0.6", S(10), "gina");
    CHECK(a, "2001:db8:100:ff::1", S(10), "gina");
    CHECK(a, "2001:db8:100::", S(899), "gina");
    CHECK(a, "2001:db8:101::1", S(10), NULL);
    CHECK(a, "2001:db8:1:1::abcd", S(10), "gina");
    CHECK(a, "2001:db8:1:2::abcd", S(10), NULL);
    CHECK(a, "2001:db8:100:ff::1", S(900), NULL);

    /* A Stop without its Start: Acct-Session-Time tells the start. */
    CHECK(a, "10.0.0.7", S(4000) - 1, NULL);
    CHECK(a, "10.0.0.7", S(4000), "henry");
    CHECK(a, "10.0.0.7", S(5000), NULL);

    /* Malformed records gave nothing. */
    CHECK(a, "10.0.0.9", S(0), NULL);

    /* Date line (10:00 local = T0) minus Acct-Delay-Time 5; text stop time. */
    CHECK(a, "10.0.0.10", S(-5) - 1, NULL);
    CHECK(a, "10.0.0.10", S(-5), "ivan");
    CHECK(a, "10.0.0.10", S(1800) - 1, "ivan");
    CHECK(a, "10.0.0.10", S(1800), NULL);

    /* The other fields of a hit. */
    struct ip_addr ip = {.family = ADDR_V4, .v4 = 0x0a000001};
    struct subscriber s;
    assert_true(attrib_lookup(a, &ip, S(1500), &s));
    assert_string_equal(s.user, "bob");
    assert_string_equal(s.calling_id, "cs-bob");
    assert_string_equal(s.session_id, "s2");
    assert_string_equal(s.source, "radius");
    assert_int_equal(s.start_ms, S(1000));
    assert_int_equal(s.end_ms, S(2000));
    /* No such address at all. */
    ip.v4 = 0x0a0000ff;
    assert_false(attrib_lookup(a, &ip, S(0), &s));
    attrib_free(a);
}

static void test_radius_grace_setting(void **state)
{
    (void)state;
    const char *text = "Fri Nov 20 10:00:00 2026\n"
                       "\tAcct-Status-Type = Start\n"
                       "\tUser-Name = \"zed\"\n"
                       "\tFramed-IP-Address = 10.9.9.9\n"
                       "\n";
    struct attrib *a = attrib_new();
    attrib_set_radius_grace(a, 60 * 1000, 2);
    attrib_set_utc_offset(a, 0);
    assert_int_equal(attrib_load_radius_detail_mem(a, "m", text, strlen(text), NULL), 0);
    assert_int_equal(attrib_build(a), 0);
    /* 10:00 read as UTC is T0 + 7 h; grace 60 s. */
    CHECK(a, "10.9.9.9", S(7 * 3600), "zed");
    CHECK(a, "10.9.9.9", S(7 * 3600 + 60) - 1, "zed");
    CHECK(a, "10.9.9.9", S(7 * 3600 + 60), NULL);
    attrib_free(a);
}

static void test_dhcpd(void **state)
{
    (void)state;
    struct attrib *a = load(attrib_load_dhcpd_leases, "sensor/attrib/dhcpd.leases");
    const struct attrib_counters *c = attrib_counters(a);
    assert_int_equal(c->records, 15);
    assert_int_equal(c->malformed, 2);

    /* Renewal joins pc-a's leases; released at 20:00; pc-b from 21:00. */
    CHECK(a, "10.1.0.5", D19_1000 * 1000 - 1, NULL);
    CHECK(a, "10.1.0.5", D19_1000 * 1000, "pc-a");
    CHECK(a, "10.1.0.5", D19_1800 * 1000, "pc-a");
    CHECK(a, "10.1.0.5", D19_2000 * 1000 - 1, "pc-a");
    CHECK(a, "10.1.0.5", D19_2000 * 1000, NULL);
    CHECK(a, "10.1.0.5", D19_2100 * 1000 - 1, NULL);
    CHECK(a, "10.1.0.5", D19_2100 * 1000, "pc-b");
    CHECK(a, "10.1.0.5", D20_0400 * 1000, "pc-b");
    CHECK(a, "10.1.0.5", D20_0900 * 1000 - 1, "pc-b");
    CHECK(a, "10.1.0.5", D20_0900 * 1000, NULL);
    struct ip_addr ip = {.family = ADDR_V4, .v4 = 0x0a010005};
    struct subscriber s;
    assert_true(attrib_lookup(a, &ip, D19_1200 * 1000, &s));
    assert_string_equal(s.calling_id, "00:11:22:33:44:55");
    assert_string_equal(s.source, "dhcp");
    assert_int_equal(s.start_ms, D19_1000 * 1000);
    assert_int_equal(s.end_ms, D19_2000 * 1000);

    /* Reassigned to dd at 12:00; cc does not come back after dd's end. */
    CHECK(a, "10.1.0.6", D19_0800 * 1000, "00:00:00:00:00:cc");
    CHECK(a, "10.1.0.6", D19_1200 * 1000 - 1, "00:00:00:00:00:cc");
    CHECK(a, "10.1.0.6", D19_1200 * 1000, "00:00:00:00:00:dd");
    CHECK(a, "10.1.0.6", D19_1800 * 1000, NULL);
    CHECK(a, "10.1.0.6", D19_2000 * 1000 - 1, NULL);

    /* Expired at its end. */
    CHECK(a, "10.1.0.7", D19_0100 * 1000, "00:00:00:00:00:ee");
    CHECK(a, "10.1.0.7", D19_0200 * 1000, NULL);
    /* epoch and never. */
    CHECK(a, "10.1.0.8", D19_0000 * 1000 - 1, NULL);
    CHECK(a, "10.1.0.8", D19_0000 * 1000, "00:00:00:00:00:08");
    CHECK(a, "10.1.0.8", INT64_MAX - 1, "00:00:00:00:00:08");
    /* A free entry naming no client ends ff's lease at its end (06:00). */
    CHECK(a, "10.1.0.9", D19_0600 * 1000 - 1, "00:00:00:00:00:ff");
    CHECK(a, "10.1.0.9", D19_0600 * 1000, NULL);
    /* Malformed leases gave nothing. */
    CHECK(a, "10.1.0.10", D19_1000 * 1000, NULL);

    /* DHCPv6: from cltt to ends; user is the DUID (after the 4-byte IAID). */
    CHECK(a, "2001:db8:2::10", D19_1000 * 1000, "000100011882188c000c29cbdb05");
    CHECK(a, "2001:db8:2::10", (D19_1000 + 864) * 1000, NULL);
    CHECK(a, "2001:db8:3300:ff::1", D19_1000 * 1000 + 5, "000100011882188c000c29cbdb06");
    CHECK(a, "2001:db8:3301::1", D19_1000 * 1000 + 5, NULL);
    attrib_free(a);
}

static void test_kea(void **state)
{
    (void)state;
    struct attrib *a = attrib_new();
    struct verr err;
    verr_init(&err);
    assert_int_equal(attrib_load_kea_csv(a, "sensor/attrib/kea4.csv", &err), 0);
    /* The last malformed row is named. */
    assert_non_null(strstr(err.msg, "sensor/attrib/kea4.csv, line 12"));
    assert_int_equal(attrib_load_kea_csv(a, "sensor/attrib/kea6.csv", &err), 0);
    assert_int_equal(attrib_build(a), 0);
    const struct attrib_counters *c = attrib_counters(a);
    assert_int_equal(c->records, 12);
    assert_int_equal(c->malformed, 2);

    /* Renewed by the same client, then another client exactly at the end. */
    CHECK(a, "10.2.0.1", S(0) - 1, NULL);
    CHECK(a, "10.2.0.1", S(0), "host,one");
    CHECK(a, "10.2.0.1", S(5400) - 1, "host,one");
    CHECK(a, "10.2.0.1", S(5400), "00:00:00:00:00:02");
    CHECK(a, "10.2.0.1", S(9000), NULL);
    struct ip_addr ip = {.family = ADDR_V4, .v4 = 0x0a020001};
    struct subscriber s;
    assert_true(attrib_lookup(a, &ip, S(10), &s));
    assert_int_equal(s.start_ms, S(0));
    assert_int_equal(s.end_ms, S(5400));
    assert_string_equal(s.session_id, "01:00:00:00:00:00:01");

    /* Expired-reclaimed keeps the interval it describes. */
    CHECK(a, "10.2.0.2", S(3599), "00:00:00:00:00:03");
    CHECK(a, "10.2.0.2", S(3600), NULL);
    /* Released (lifetime 0) at T0+600. */
    CHECK(a, "10.2.0.3", S(599), "00:00:00:00:00:04");
    CHECK(a, "10.2.0.3", S(600), NULL);
    /* Declined later does not touch an earlier, finished lease. */
    CHECK(a, "10.2.0.4", S(-1), "00:00:00:00:00:05");
    CHECK(a, "10.2.0.4", S(0), NULL);
    /* lease6: an address, and a delegated prefix. */
    CHECK(a, "2001:db8:5::1", S(0), "00:01:00:01:aa:aa");
    CHECK(a, "2001:db8:5::2", S(0), NULL);
    CHECK(a, "2001:db8:6600:ab::1", S(3599), "00:01:00:01:bb:bb");
    CHECK(a, "2001:db8:6600:ab::1", S(3600), NULL);
    attrib_free(a);
}

static void test_errors(void **state)
{
    (void)state;
    struct attrib *a = attrib_new();
    struct verr err;
    verr_init(&err);
    assert_int_equal(attrib_load_kea_csv(a, "sensor/attrib/no-such-file.csv", &err), -ENOENT);
    assert_non_null(strstr(err.msg, "no-such-file.csv"));

    const char *bad_header = "ip,mac\n10.0.0.1,aa\n";
    assert_int_equal(attrib_load_kea_csv_mem(a, "x.csv", bad_header, strlen(bad_header), &err),
                     -EINVAL);
    assert_non_null(strstr(err.msg, "x.csv, line 1"));

    /* Every record malformed: the load fails, naming the line. */
    const char *bad = "Fri Nov 20 10:00:00 2026\n\tUser-Name = x\n\n";
    assert_int_equal(attrib_load_radius_detail_mem(a, "r", bad, strlen(bad), &err), -EINVAL);
    assert_non_null(strstr(err.msg, "r, line 1"));

    /* A line past the bound is malformed, the next record still counts. */
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_puts(&b, "lease 10.3.0.1 {\n  client-hostname \""), 0);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(buf_putc(&b, 'x'), 0);
    assert_int_equal(
        buf_puts(&b, "\";\n  starts epoch 100;\n  ends epoch 200;\n}\n"
                     "lease 10.3.0.2 {\n  starts epoch 100;\n  ends epoch 200;\n"
                     "  binding state active;\n  hardware ethernet 00:00:00:00:00:01;\n}\n"),
        0);
    uint64_t bad0 = attrib_counters(a)->malformed;
    assert_int_equal(attrib_load_dhcpd_leases_mem(a, "big", b.data, b.len, &err), 0);
    assert_int_equal(attrib_counters(a)->malformed, bad0 + 1);
    buf_release(&b);

    assert_int_equal(attrib_build(a), 0);
    CHECK(a, "10.3.0.2", 150 * 1000, "00:00:00:00:00:01");
    CHECK(a, "10.3.0.1", 150 * 1000, NULL);
    assert_int_equal(attrib_build(a), -EBUSY);
    assert_int_equal(attrib_load_kea_csv_mem(a, "late", "", 0, &err), -EBUSY);
    attrib_free(a);
}

/* ---- randomized comparison with a brute-force reference ----------------- */

struct event {
    unsigned addr; /* index */
    bool end;      /* an end (attrib_add_end) */
    int64_t start, stop;
    unsigned user;
};

static uint64_t rng;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int64_t rand_in(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(next_rand() % (uint64_t)(hi - lo));
}

/* The rules, read literally: an interval's end is clipped by every end
 * added after it; of the intervals left (non-empty) that started by t, the
 * one that started last (ties: added last) holds t if t is before its end. */
static int ref_lookup(const struct event *ev, size_t n, unsigned addr, int64_t t)
{
    int best = -1;
    int64_t best_stop = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].addr != addr || ev[i].end)
            continue;
        int64_t stop = ev[i].stop;
        for (size_t j = i + 1; j < n; j++)
            if (ev[j].addr == addr && ev[j].end && ev[j].start < stop)
                stop = ev[j].start;
        if (stop <= ev[i].start || ev[i].start > t)
            continue;
        if (best < 0 || ev[i].start >= ev[best].start) {
            best = (int)i;
            best_stop = stop;
        }
    }
    return best >= 0 && t < best_stop ? (int)ev[best].user : -1;
}

static void addr_of(unsigned i, struct ip_addr *ret)
{
    if (i % 2) {
        ret->family = ADDR_V6;
        ret->v6.hi = 0x20010db800000000ULL;
        ret->v6.lo = i;
    } else {
        ret->family = ADDR_V4;
        ret->v4 = 0x0a000000u + i;
    }
}

static void compare(const struct attrib *a, const struct event *ev, size_t n, unsigned n_addr,
                    int64_t t_max, const char *const *names)
{
    for (int q = 0; q < 20000; q++) {
        unsigned ai = (unsigned)rand_in(0, n_addr);
        int64_t t;
        if (q % 2) {
            t = rand_in(-100, t_max);
        } else {
            const struct event *e = &ev[rand_in(0, (int64_t)n)];
            ai = e->addr;
            t = (q % 4 ? e->start : e->stop) + rand_in(-1, 2);
        }
        struct ip_addr ip;
        addr_of(ai, &ip);
        int want = ref_lookup(ev, n, ai, t);
        struct subscriber s;
        bool got = attrib_lookup(a, &ip, t, &s);
        if (want < 0 && got)
            fail_msg("addr %u at %lld: expected nobody, got %s", ai, (long long)t, s.user);
        if (want >= 0 && !got)
            fail_msg("addr %u at %lld: expected %s, got nobody", ai, (long long)t, names[want]);
        if (want >= 0 && (strcmp(s.user, names[want]) != 0 || s.start_ms > t || t >= s.end_ms))
            fail_msg("addr %u at %lld: expected %s, got %s [%lld, %lld)", ai, (long long)t,
                     names[want], s.user, (long long)s.start_ms, (long long)s.end_ms);
    }
}

static const char *const users[] = {"u0", "u1", "u2", "u3", "u4"};
#define N_ADDR   12
#define N_EVENTS 1500

static size_t gen_events(struct event *ev, bool with_ends)
{
    for (size_t i = 0; i < N_EVENTS; i++) {
        ev[i].addr = (unsigned)rand_in(0, N_ADDR);
        ev[i].end = with_ends && rand_in(0, 10) < 3;
        ev[i].start = rand_in(0, 10000);
        ev[i].stop = ev[i].end ? ev[i].start : ev[i].start + rand_in(1, 3000);
        ev[i].user = (unsigned)rand_in(0, ARRAY_SIZE(users));
    }
    return N_EVENTS;
}

static void test_random_api(void **state)
{
    (void)state;
    static struct event ev[N_EVENTS];
    for (uint64_t seed = 1; seed <= 4; seed++) {
        rng = 0x9e3779b97f4a7c15ULL * seed;
        size_t n = gen_events(ev, seed != 1);
        struct attrib *a = attrib_new();
        for (size_t i = 0; i < n; i++) {
            struct ip_prefix p = {.len = 128};
            addr_of(ev[i].addr, &p.addr);
            if (p.addr.family == ADDR_V4)
                p.len = 32;
            if (ev[i].end) {
                assert_int_equal(attrib_add_end(a, &p, ev[i].start), 0);
                continue;
            }
            struct subscriber s = {.user = users[ev[i].user], .source = "test"};
            assert_int_equal(attrib_add(a, &p, ev[i].start, ev[i].stop, &s), 0);
        }
        assert_int_equal(attrib_build(a), 0);
        compare(a, ev, n, N_ADDR, 14000, users);
        attrib_free(a);
    }
}

/* The same through Kea CSV rows: state 0 gives [expire - lifetime, expire);
 * state 1 (declined) ends the address at expire - lifetime. */
static void test_random_kea(void **state)
{
    (void)state;
    static struct event ev[N_EVENTS];
    rng = 0x1234567ULL;
    size_t n = gen_events(ev, true);
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_puts(&b, "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,"
                                  "fqdn_fwd,fqdn_rev,hostname,state,user_context\n"),
                     0);
    for (size_t i = 0; i < n; i++) {
        /* Kea times are seconds: scale events to whole seconds. */
        ev[i].start *= 1000;
        ev[i].stop *= 1000;
        /* IPv4 only: event address 2k is 10.0.0.2k (see addr_of()). */
        ev[i].addr *= 2;
        unsigned ip = 0x0a000000u + ev[i].addr;
        int64_t life = ev[i].end ? 60 : (ev[i].stop - ev[i].start) / 1000;
        int64_t expire = ev[i].start / 1000 + life;
        assert_int_equal(buf_printf(&b, "%u.%u.%u.%u,,,%lld,%lld,1,0,0,%s,%d,\n", ip >> 24,
                                    (ip >> 16) & 255, (ip >> 8) & 255, ip & 255, (long long)life,
                                    (long long)expire, users[ev[i].user], ev[i].end ? 1 : 0),
                         0);
    }
    struct attrib *a = attrib_new();
    struct verr err;
    verr_init(&err);
    assert_int_equal(attrib_load_kea_csv_mem(a, "gen.csv", b.data, b.len, &err), 0);
    assert_int_equal(attrib_counters(a)->malformed, 0);
    assert_int_equal(attrib_build(a), 0);
    buf_release(&b);
    compare(a, ev, n, 2 * N_ADDR, 14000 * 1000, users);
    attrib_free(a);
}

int main(void)
{
    i18n_set(LANG_EN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_radius),     cmocka_unit_test(test_radius_grace_setting),
        cmocka_unit_test(test_dhcpd),      cmocka_unit_test(test_kea),
        cmocka_unit_test(test_errors),     cmocka_unit_test(test_random_api),
        cmocka_unit_test(test_random_kea),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
