#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "base/addr.h"
#include "base/i18n.h"

#define S(x) x, sizeof(x) - 1

static enum addr_err p4(const char *s, uint32_t *v)
{
    return ip4_parse(s, strlen(s), v);
}

static enum addr_err pa(const char *s, struct ip_addr *a)
{
    return ip_parse(s, strlen(s), a);
}

/* Parse s and format it again; compare with want. */
static void roundtrip(const char *s, const char *want)
{
    struct ip_addr a;
    char out[IP_ADDR_STRLEN];
    assert_int_equal(pa(s, &a), ADDR_OK);
    size_t n = ip_format(&a, out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_ipv4(void **state)
{
    (void)state;
    uint32_t v;
    assert_int_equal(p4("1.2.3.4", &v), ADDR_OK);
    assert_int_equal(v, 0x01020304);
    assert_int_equal(p4("255.255.255.255", &v), ADDR_OK);
    assert_int_equal(v, 0xffffffffu);
    assert_int_equal(p4("0.0.0.0", &v), ADDR_OK);
    assert_int_equal(v, 0);
    assert_int_equal(p4("10.0.0.1", &v), ADDR_OK);
    assert_int_equal(v, 0x0a000001);
    assert_int_equal(p4("300.1.1.1", &v), ADDR_E_OCTET);
    assert_int_equal(p4("1.2.3.256", &v), ADDR_E_OCTET);
    assert_int_equal(p4("010.1.1.1", &v), ADDR_E_LEADZERO);
    assert_int_equal(p4("1.2.3.00", &v), ADDR_E_LEADZERO);
    assert_int_equal(p4("1.2.3.4x", &v), ADDR_E_TRAILING);
    assert_int_equal(p4("1.2.3.4.5", &v), ADDR_E_TRAILING);
    assert_int_equal(p4("1.2.3.4 ", &v), ADDR_E_TRAILING);
    assert_int_equal(p4(" 1.2.3.4", &v), ADDR_E_SYNTAX);
    assert_int_equal(p4("1.2.3", &v), ADDR_E_SYNTAX);
    assert_int_equal(p4("1..2.3", &v), ADDR_E_SYNTAX);
    assert_int_equal(p4("1.2.3.", &v), ADDR_E_SYNTAX);
    assert_int_equal(p4("+1.2.3.4", &v), ADDR_E_SYNTAX);
    assert_int_equal(p4("", &v), ADDR_E_EMPTY);
    /* Not NUL-terminated: only len bytes count. */
    assert_int_equal(ip4_parse("1.2.3.45", 7, &v), ADDR_OK);
    assert_int_equal(v, 0x01020304);
}

static void test_ipv6(void **state)
{
    (void)state;
    struct ip_addr a;
    assert_int_equal(pa("::", &a), ADDR_OK);
    assert_int_equal(a.family, ADDR_V6);
    assert_true(a.v6.hi == 0 && a.v6.lo == 0);
    assert_int_equal(pa("::1", &a), ADDR_OK);
    assert_true(a.v6.hi == 0 && a.v6.lo == 1);
    assert_int_equal(pa("1::", &a), ADDR_OK);
    assert_true(a.v6.hi == 0x0001000000000000ull && a.v6.lo == 0);
    assert_int_equal(pa("2001:DB8::A:b", &a), ADDR_OK);
    assert_true(a.v6.hi == 0x20010db800000000ull && a.v6.lo == 0x00000000000a000bull);
    assert_int_equal(pa("1:2:3:4:5:6:7:8", &a), ADDR_OK);
    assert_true(a.v6.hi == 0x0001000200030004ull && a.v6.lo == 0x0005000600070008ull);
    assert_int_equal(pa("::ffff:1.2.3.4", &a), ADDR_OK);
    assert_true(a.v6.hi == 0 && a.v6.lo == 0x0000ffff01020304ull);
    assert_int_equal(pa("1:2:3:4:5:6:1.2.3.4", &a), ADDR_OK);
    assert_true(a.v6.lo == 0x0005000601020304ull);

    assert_int_equal(pa("1:2:3:4:5:6:7:8:9", &a), ADDR_E_V6GROUP);
    assert_int_equal(pa("1:2:3:4:5:6:7", &a), ADDR_E_V6GROUP);
    assert_int_equal(pa("12345::", &a), ADDR_E_V6GROUP);
    assert_int_equal(pa("1::2::3", &a), ADDR_E_V6GROUP);
    assert_int_equal(pa("1:2:3:4::5:6:7:8", &a), ADDR_E_V6GROUP);
    assert_int_equal(pa(":1::", &a), ADDR_E_SYNTAX);
    assert_int_equal(pa("1::2:", &a), ADDR_E_SYNTAX);
    assert_int_equal(pa(":::", &a), ADDR_E_SYNTAX);
    assert_int_equal(pa("::g", &a), ADDR_E_SYNTAX);
    assert_int_equal(pa("fe80::1%eth0", &a), ADDR_E_SYNTAX);
    assert_int_equal(pa("::ffff:300.1.1.1", &a), ADDR_E_OCTET);
    assert_int_equal(pa("::ffff:01.1.1.1", &a), ADDR_E_LEADZERO);
    assert_int_equal(pa("1:2:3:4:5:6:7:1.2.3.4", &a), ADDR_E_SYNTAX);
    assert_int_equal(pa("1.2.3.4::", &a), ADDR_E_TRAILING);
}

static void test_format(void **state)
{
    (void)state;
    roundtrip("::", "::");
    roundtrip("::1", "::1");
    roundtrip("1::", "1::");
    roundtrip("2001:db8::1:0:0:1", "2001:db8::1:0:0:1");       /* first of two equal runs */
    roundtrip("2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");   /* leading zeros dropped */
    roundtrip("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"); /* one zero group stays */
    roundtrip("2001:db8:0:0:0:0:2:1", "2001:db8::2:1");
    roundtrip("2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"); /* longest run wins */
    roundtrip("2001:DB8::ABCD", "2001:db8::abcd");
    roundtrip("::ffff:1.2.3.4", "::ffff:1.2.3.4");
    roundtrip("::ffff:102:304", "::ffff:1.2.3.4");
    roundtrip("0:0:0:0:0:0:0:0", "::");
    roundtrip("1:0:0:0:0:0:0:0", "1::");
    roundtrip("0:1:0:1:0:1:0:1", "0:1:0:1:0:1:0:1");
    roundtrip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    roundtrip("1.2.3.4", "1.2.3.4");
    roundtrip("0.0.0.0", "0.0.0.0");
    roundtrip("255.10.100.9", "255.10.100.9");
}

static void test_prefix(void **state)
{
    (void)state;
    struct ip_prefix p;
    char out[IP_PREFIX_STRLEN];

    assert_int_equal(prefix_parse(S("10.0.0.0/8"), true, &p), ADDR_OK);
    assert_int_equal(p.len, 8);
    assert_int_equal(p.addr.v4, 0x0a000000);
    assert_int_equal(prefix_parse(S("10.0.0.1/8"), true, &p), ADDR_E_HOSTBITS);
    assert_int_equal(prefix_parse(S("10.0.0.1/8"), false, &p), ADDR_OK);
    assert_int_equal(p.addr.v4, 0x0a000000);
    assert_int_equal(prefix_parse(S("1.2.3.4/33"), false, &p), ADDR_E_PREFIXLEN);
    assert_int_equal(prefix_parse(S("1.2.3.4/08"), false, &p), ADDR_E_PREFIXLEN);
    assert_int_equal(prefix_parse(S("1.2.3.4/"), false, &p), ADDR_E_PREFIXLEN);
    assert_int_equal(prefix_parse(S("1.2.3.4/-1"), false, &p), ADDR_E_PREFIXLEN);
    assert_int_equal(prefix_parse(S("1.2.3.4/3 "), false, &p), ADDR_E_PREFIXLEN);
    assert_int_equal(prefix_parse(S("300.2.3.4/8"), false, &p), ADDR_E_OCTET);
    assert_int_equal(prefix_parse(S("0.0.0.0/0"), true, &p), ADDR_OK);
    assert_int_equal(p.len, 0);
    assert_int_equal(prefix_parse(S("1.2.3.4"), true, &p), ADDR_OK);
    assert_int_equal(p.len, 32);
    prefix_format(&p, out);
    assert_string_equal(out, "1.2.3.4/32");

    assert_int_equal(prefix_parse(S("2001:db8::/32"), true, &p), ADDR_OK);
    assert_int_equal(p.len, 32);
    assert_true(p.addr.v6.hi == 0x20010db800000000ull);
    assert_int_equal(prefix_parse(S("2001:db8::1/64"), true, &p), ADDR_E_HOSTBITS);
    assert_int_equal(prefix_parse(S("2001:db8::1/127"), true, &p), ADDR_E_HOSTBITS);
    assert_int_equal(prefix_parse(S("2001:db8::1/127"), false, &p), ADDR_OK);
    assert_true(p.addr.v6.lo == 0);
    assert_int_equal(prefix_parse(S("2001:db8::1234:5678:9abc:def0/100"), false, &p), ADDR_OK);
    assert_true(p.addr.v6.hi == 0x20010db800000000ull);
    assert_true(p.addr.v6.lo == 0x1234567890000000ull);
    assert_int_equal(prefix_parse(S("::/129"), false, &p), ADDR_E_PREFIXLEN);
    assert_int_equal(prefix_parse(S("::/128"), true, &p), ADDR_OK);
    assert_int_equal(prefix_parse(S("ffff::/1"), false, &p), ADDR_OK);
    assert_true(p.addr.v6.hi == 0x8000000000000000ull && p.addr.v6.lo == 0);
    prefix_format(&p, out);
    assert_string_equal(out, "8000::/1");
    assert_int_equal(prefix_parse(S(""), true, &p), ADDR_E_EMPTY);
}

static void test_contains_cmp_range(void **state)
{
    (void)state;
    struct ip_prefix p;
    struct ip_addr a, f, l;
    char out[IP_ADDR_STRLEN];

    assert_int_equal(prefix_parse(S("192.168.0.0/16"), true, &p), ADDR_OK);
    assert_int_equal(pa("192.168.255.1", &a), ADDR_OK);
    assert_true(prefix_contains(&p, &a));
    assert_int_equal(pa("192.169.0.0", &a), ADDR_OK);
    assert_false(prefix_contains(&p, &a));
    assert_int_equal(pa("::ffff:192.168.0.1", &a), ADDR_OK);
    assert_false(prefix_contains(&p, &a)); /* other family */
    prefix_range(&p, &f, &l);
    ip_format(&f, out);
    assert_string_equal(out, "192.168.0.0");
    ip_format(&l, out);
    assert_string_equal(out, "192.168.255.255");

    assert_int_equal(prefix_parse(S("2001:db8::/120"), true, &p), ADDR_OK);
    prefix_range(&p, &f, &l);
    ip_format(&l, out);
    assert_string_equal(out, "2001:db8::ff");
    assert_int_equal(pa("2001:db8::1ff", &a), ADDR_OK);
    assert_false(prefix_contains(&p, &a));
    assert_int_equal(prefix_parse(S("::/0"), true, &p), ADDR_OK);
    assert_true(prefix_contains(&p, &a));
    prefix_range(&p, &f, &l);
    ip_format(&l, out);
    assert_string_equal(out, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

    struct ip_addr x, y;
    assert_int_equal(pa("255.255.255.255", &x), ADDR_OK);
    assert_int_equal(pa("::", &y), ADDR_OK);
    assert_int_equal(ip_cmp(&x, &y), -1); /* IPv4 before IPv6 */
    assert_int_equal(ip_cmp(&y, &x), 1);
    assert_int_equal(pa("::1:0:0:0:0", &x), ADDR_OK);
    assert_int_equal(pa("::ffff:ffff:ffff:ffff", &y), ADDR_OK);
    assert_int_equal(ip_cmp(&x, &y), 1);
    assert_int_equal(ip_cmp(&x, &x), 0);
}

static void test_strerror(void **state)
{
    (void)state;
    i18n_set(LANG_EN);
    assert_string_equal(addr_strerror(ADDR_E_OCTET), "IPv4 octet greater than 255");
    i18n_set(LANG_VI);
    assert_string_equal(addr_strerror(ADDR_E_OCTET), "octet IPv4 lớn hơn 255");
    i18n_set(LANG_EN);
}

/* Against the C library's inet_pton on random strings over the address
 * alphabet: same verdict, same value. */
static void test_vs_inet_pton(void **state)
{
    (void)state;
    static const char alpha[] = "0123456789abcdefABCDEF:.::..x";
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int agree_ok = 0;
    for (int iter = 0; iter < 300000; iter++) {
        char s[48];
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        size_t n = 1 + seed % 40;
        uint64_t r = seed;
        for (size_t i = 0; i < n; i++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            /* mostly digits and separators, to hit valid forms often */
            unsigned k = (unsigned)(r >> 33);
            s[i] = (k % 4 == 0) ? ':' : (k % 7 == 0) ? '.' : alpha[(k >> 3) % 16];
        }
        s[n] = '\0';
        struct ip_addr a;
        unsigned char want[16];
        bool is6 = memchr(s, ':', n) != NULL;
        int ok = inet_pton(is6 ? AF_INET6 : AF_INET, s, want) == 1;
        enum addr_err e = ip_parse(s, n, &a);
        if (ok != (e == ADDR_OK))
            fail_msg("'%s': inet_pton %d, ip_parse %d", s, ok, (int)e);
        if (!ok)
            continue;
        agree_ok++;
        unsigned char got[16];
        if (is6) {
            for (int i = 0; i < 8; i++) {
                got[i] = (unsigned char)(a.v6.hi >> (56 - 8 * i));
                got[8 + i] = (unsigned char)(a.v6.lo >> (56 - 8 * i));
            }
            assert_memory_equal(got, want, 16);
            /* format, and parse again */
            char out[IP_ADDR_STRLEN];
            struct ip_addr b;
            size_t m = ip_format(&a, out);
            assert_int_equal(ip_parse(out, m, &b), ADDR_OK);
            assert_int_equal(ip_cmp(&a, &b), 0);
        } else {
            for (int i = 0; i < 4; i++)
                got[i] = (unsigned char)(a.v4 >> (24 - 8 * i));
            assert_memory_equal(got, want, 4);
        }
    }
    assert_true(agree_ok > 100); /* the generator does reach valid addresses */
}

/* ip_format against inet_ntop for random IPv6 values with zero runs; glibc
 * differs only for ::a.b.c.d (IPv4-compatible), which it prints dotted. */
static void test_format_vs_ntop(void **state)
{
    (void)state;
    uint64_t seed = 12345;
    for (int iter = 0; iter < 100000; iter++) {
        struct ip_addr a = {.family = ADDR_V6};
        uint16_t w[8];
        for (int i = 0; i < 8; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            unsigned k = (unsigned)(seed >> 40);
            w[i] = (k & 3) ? 0 : (uint16_t)(k >> 4);
        }
        a.v6.hi = (uint64_t)w[0] << 48 | (uint64_t)w[1] << 32 | (uint64_t)w[2] << 16 | w[3];
        a.v6.lo = (uint64_t)w[4] << 48 | (uint64_t)w[5] << 32 | (uint64_t)w[6] << 16 | w[7];
        unsigned char bytes[16];
        for (int i = 0; i < 8; i++) {
            bytes[2 * i] = (unsigned char)(w[i] >> 8);
            bytes[2 * i + 1] = (unsigned char)w[i];
        }
        char want[INET6_ADDRSTRLEN], got[IP_ADDR_STRLEN];
        assert_non_null(inet_ntop(AF_INET6, bytes, want, sizeof(want)));
        ip_format(&a, got);
        bool compat = a.v6.hi == 0 && (a.v6.lo >> 32) == 0 && (a.v6.lo >> 16) != 0;
        if (!compat)
            assert_string_equal(got, want);
    }
}

/* Network-order bytes to integers and addresses; expected values by hand. */
static void test_from_bytes(void **state)
{
    (void)state;
    const uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xfe};
    uint8_t out[4];

    assert_int_equal(load_be16(b), 0x2001);
    assert_int_equal(load_be32(b), 0x20010db8u);
    assert_true(load_be64(b) == 0x20010db800000000ull);
    store_be32(out, 0xc0a80a01u);
    assert_memory_equal(out, ((const uint8_t[]){192, 168, 10, 1}), 4);

    struct ip_addr a = ip4_from_bytes(out), want;
    assert_int_equal(ip_parse("192.168.10.1", 12, &want), ADDR_OK);
    assert_int_equal(ip_cmp(&a, &want), 0);
    a = ip6_from_bytes(b);
    assert_int_equal(ip_parse("2001:db8::1fe", 13, &want), ADDR_OK);
    assert_int_equal(ip_cmp(&a, &want), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_prefix),
        cmocka_unit_test(test_contains_cmp_range),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_vs_inet_pton),
        cmocka_unit_test(test_format_vs_ntop),
        cmocka_unit_test(test_from_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
