#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "intel/ipset.h"

static struct ip_prefix P(const char *s) {
    struct ip_prefix p;
    assert_int_equal(prefix_parse(s, strlen(s), false, &p), ADDR_OK);
    return p;
}

static struct ip_addr
A(const char *s) {
    struct ip_addr a;
    assert_int_equal(ip_parse(s, strlen(s), &a), ADDR_OK);
    return a;
}

static void
add(struct ipset *s, const char *p, uint32_t v)
{
    struct ip_prefix x = P(p);
    assert_int_equal(ipset_add(s, &x, v), 0);
}

/* The value of the longest-prefix match of s for addr, or -1. */
static long lpm(const struct ipset *s, const char *addr)
{
    struct ip_addr a = A(addr);
    uint32_t v;
    return ipset_lookup(s, &a, &v) ? (long)v : -1;
}

static void test_nested_v4(void **state)
{
    (void)state;
    struct ipset *s = ipset_new();
    add(s, "10.0.0.0/8", 1);
    add(s, "10.1.0.0/16", 2);
    add(s, "10.1.2.0/24", 3);
    add(s, "10.1.2.3", 4);
    add(s, "10.1.2.128/25", 5);
    add(s, "10.1.0.0/16", 99); /* duplicate: first value kept */
    add(s, "10.1.2.3/32", 98); /* duplicate host */
    add(s, "192.168.1.1", 6);
    assert_int_equal(ipset_build(s), 0);
    assert_int_equal(ipset_count(s), 6);
    assert_int_equal(ipset_count_family(s, ADDR_V4), 6);
    assert_int_equal(ipset_count_family(s, ADDR_V6), 0);

    assert_int_equal(lpm(s, "10.200.0.1"), 1);
    assert_int_equal(lpm(s, "10.1.9.9"), 2);
    assert_int_equal(lpm(s, "10.1.2.4"), 3);
    assert_int_equal(lpm(s, "10.1.2.3"), 4);
    assert_int_equal(lpm(s, "10.1.2.200"), 5);
    assert_int_equal(lpm(s, "10.1.3.0"), 2);
    assert_int_equal(lpm(s, "10.255.255.255"), 1);
    assert_int_equal(lpm(s, "11.0.0.0"), -1);
    assert_int_equal(lpm(s, "9.255.255.255"), -1);
    assert_int_equal(lpm(s, "192.168.1.1"), 6);
    assert_int_equal(lpm(s, "192.168.1.2"), -1);
    assert_int_equal(lpm(s, "::ffff:10.1.2.3"), -1); /* IPv6 is another family */

    uint32_t all[8];
    struct ip_addr a = A("10.1.2.3");
    assert_int_equal(ipset_lookup_all(s, &a, all, 8), 4);
    assert_int_equal(all[0], 4);
    assert_int_equal(all[1], 3);
    assert_int_equal(all[2], 2);
    assert_int_equal(all[3], 1);
    assert_int_equal(ipset_lookup_all(s, &a, all, 2), 4); /* count beyond max */
    a = A("10.1.2.129");
    assert_int_equal(ipset_lookup_all(s, &a, all, 8), 4);
    assert_int_equal(all[0], 5);
    assert_int_equal(all[3], 1);
    a = A("8.8.8.8");
    assert_int_equal(ipset_lookup_all(s, &a, all, 8), 0);

    struct ip_prefix late = P("1.1.1.1");
    assert_int_equal(ipset_add(s, &late, 1), -EBUSY);
    ipset_free(s);
}

static void test_edges(void **state)
{
    (void)state;
    struct ipset *s = ipset_new();
    add(s, "0.0.0.0/0", 1);
    add(s, "255.255.255.255", 2);
    add(s, "0.0.0.0", 3);
    add(s, "255.255.255.0/24", 4);
    add(s, "::/0", 5);
    add(s, "::", 6);
    add(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 7);
    add(s, "2001:db8::/32", 8);
    add(s, "2001:db8:1::/48", 9);
    add(s, "2001:db8:1::/127", 10);
    assert_int_equal(ipset_build(s), 0);
    assert_int_equal(lpm(s, "1.2.3.4"), 1);
    assert_int_equal(lpm(s, "255.255.255.255"), 2);
    assert_int_equal(lpm(s, "255.255.255.254"), 4);
    assert_int_equal(lpm(s, "0.0.0.0"), 3);
    assert_int_equal(lpm(s, "0.0.0.1"), 1);
    assert_int_equal(lpm(s, "::"), 6);
    assert_int_equal(lpm(s, "::1"), 5);
    assert_int_equal(lpm(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 7);
    assert_int_equal(lpm(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), 5);
    assert_int_equal(lpm(s, "2001:db8:2::1"), 8);
    assert_int_equal(lpm(s, "2001:db8:1::1"), 10);
    assert_int_equal(lpm(s, "2001:db8:1::2"), 9);
    assert_int_equal(lpm(s, "2001:db9::"), 5);
    uint32_t all[8];
    struct ip_addr a = A("2001:db8:1::");
    assert_int_equal(ipset_lookup_all(s, &a, all, 8), 4);
    assert_int_equal(all[0], 10);
    assert_int_equal(all[1], 9);
    assert_int_equal(all[2], 8);
    assert_int_equal(all[3], 5);
    ipset_free(s);

    /* An empty set matches nothing. */
    s = ipset_new();
    assert_int_equal(ipset_build(s), 0);
    assert_int_equal(lpm(s, "1.2.3.4"), -1);
    assert_int_equal(lpm(s, "::1"), -1);
    assert_int_equal(ipset_count(s), 0);
    ipset_free(s);
    ipset_free(NULL);
}

/* ---- random sets against a linear scan ---- */

struct ref {
    struct ip_prefix p;
    uint32_t value;
};

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Reference answer: most specific containing prefix, first added on a tie. */
static long ref_lpm(const struct ref *r, size_t n, const struct ip_addr *a)
{
    long best = -1;
    int best_len = -1;
    for (size_t i = 0; i < n; i++) {
        if (prefix_contains(&r[i].p, a) && r[i].p.len > best_len) {
            best = r[i].value;
            best_len = r[i].p.len;
        }
    }
    return best;
}

static size_t ref_all(const struct ref *r, size_t n, const struct ip_addr *a)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        if (!prefix_contains(&r[i].p, a))
            continue;
        for (size_t j = 0; j < i && !dup; j++)
            dup = r[j].p.len == r[i].p.len && ip_cmp(&r[j].p.addr, &r[i].p.addr) == 0;
        if (!dup)
            k++;
    }
    return k;
}

/* Addresses clustered in a few regions so prefixes nest and overlap. */
static struct ip_addr rand_addr(int family)
{
    struct ip_addr a = {.family = (uint8_t)family};
    uint64_t x = rnd();
    if (family == ADDR_V4) {
        a.v4 = (uint32_t)((x % 4) << 30 | (x >> 8 & 0x3) << 24 | (uint32_t)(rnd() & 0xffffff));
        if (x % 5 == 0)
            a.v4 &= 0xff00ffffu;
    } else {
        a.v6.hi = 0x2001000000000000ull | ((x >> 4) % 3) << 32 | (rnd() & 0xffff);
        a.v6.lo = x % 3 == 0 ? rnd() : rnd() & 0xff;
    }
    return a;
}

static struct ip_prefix rand_prefix(int family)
{
    struct ip_prefix p;
    struct ip_addr a = rand_addr(family);
    unsigned max = family == ADDR_V4 ? 32 : 128;
    unsigned len = (unsigned)(rnd() % (max + 1));
    if (rnd() % 3 == 0)
        len = max; /* many hosts */
    char text[IP_PREFIX_STRLEN + 8];
    char at[IP_ADDR_STRLEN];
    ip_format(&a, at);
    snprintf(text, sizeof(text), "%s/%u", at, len);
    assert_int_equal(prefix_parse(text, strlen(text), false, &p), ADDR_OK);
    return p;
}

static void random_round(size_t n, size_t queries)
{
    struct ref *r = calloc(n, sizeof(*r));
    struct ipset *s = ipset_new();
    for (size_t i = 0; i < n; i++) {
        int fam = rnd() % 3 == 0 ? ADDR_V6 : ADDR_V4;
        r[i].p = rand_prefix(fam);
        if (i > 0 && rnd() % 10 == 0)
            r[i].p = r[rnd() % i].p; /* exact duplicate, other value */
        /* Long prefixes only: /0../7 would swallow the whole space. */
        if (r[i].p.len < 8) {
            r[i].p.len = (uint8_t)(r[i].p.addr.family == ADDR_V4 ? 32 : 128);
            r[i].p.addr = rand_addr(r[i].p.addr.family);
        }
        r[i].value = (uint32_t)i;
        assert_int_equal(ipset_add(s, &r[i].p, r[i].value), 0);
    }
    assert_int_equal(ipset_build(s), 0);
    for (size_t q = 0; q < queries; q++) {
        struct ip_addr a;
        if (q % 2 == 0) {
            a = rand_addr(rnd() % 3 == 0 ? ADDR_V6 : ADDR_V4);
        } else {
            /* near a stored prefix: its first or last address, or one off */
            const struct ref *e = &r[rnd() % n];
            struct ip_addr f, l;
            prefix_range(&e->p, &f, &l);
            a = rnd() % 2 ? f : l;
            if (rnd() % 2) {
                if (a.family == ADDR_V4)
                    a.v4 += rnd() % 2 ? 1 : (uint32_t)-1;
                else
                    a.v6.lo += rnd() % 2 ? 1 : (uint64_t)-1;
            }
        }
        uint32_t v;
        long want = ref_lpm(r, n, &a);
        long got = ipset_lookup(s, &a, &v) ? (long)v : -1;
        if (want != got) {
            char t[IP_ADDR_STRLEN];
            ip_format(&a, t);
            fail_msg("%s: want %ld got %ld", t, want, got);
        }
        if (q % 16 == 0) {
            uint32_t all[160];
            size_t k = ipset_lookup_all(s, &a, all, 160);
            assert_int_equal(k, ref_all(r, n, &a));
            if (k)
                assert_int_equal((long)all[0], want);
            for (size_t i = 0; i < k && i < 160; i++) {
                assert_true(all[i] < n);
                assert_true(prefix_contains(&r[all[i]].p, &a));
                if (i)
                    assert_true(r[all[i]].p.len < r[all[i - 1]].p.len);
            }
        }
    }
    ipset_free(s);
    free(r);
}

static void test_random_vs_linear(void **state)
{
    (void)state;
    for (int round = 0; round < 20; round++)
        random_round(50, 2000);
    random_round(2000, 20000);
}

static void test_memory_1m(void **state)
{
    (void)state;
    struct ipset *s = ipset_new();
    for (uint32_t i = 0; i < 1000000; i++) {
        struct ip_prefix p = {.addr = {.family = ADDR_V4}};
        uint64_t x = rnd();
        if (i % 4 == 0) {
            p.len = (uint8_t)(16 + x % 16);
            p.addr.v4 = (uint32_t)(x >> 32) & ip4_mask(p.len);
        } else {
            p.len = 32;
            p.addr.v4 = (uint32_t)(x >> 32);
        }
        assert_int_equal(ipset_add(s, &p, i), 0);
    }
    assert_int_equal(ipset_build(s), 0);
    assert_true(ipset_memory(s) < 64u << 20);
    assert_true(ipset_count(s) > 900000);
    ipset_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_v4),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_random_vs_linear),
        cmocka_unit_test(test_memory_1m),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
