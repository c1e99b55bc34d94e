/* Blocklist export: exact expected text written by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "sensor/export.h"

static void parse(struct feed *f, const char *doc)
{
    struct verr err;
    feed_init(f);
    assert_int_equal(feed_parse((const uint8_t *)doc, strlen(doc), NULL, f, &err), 0);
}

static const char ips[] = "10.0.0.0/8\n"
                          "10.1.0.0/16\n" /* inside 10.0.0.0/8: dropped */
                          "203.0.113.7\n"
                          "2001:db8::/32\n"
                          "192.0.2.1\n";

/* Export doc in fmt and compare with the text expected by hand. */
static struct export_stats check(const char *doc, enum export_format fmt, const char *name,
                                 uint32_t serial, const char *want)
{
    struct feed f;
    struct buf b;
    struct export_stats st;

    parse(&f, doc);
    buf_init(&b, 0);
    assert_int_equal(export_write(&f, fmt, name, serial, &b, &st), 0);
    assert_string_equal(buf_str(&b), want);
    buf_release(&b);
    feed_release(&f);
    return st;
}

static void test_nft(void **state)
{
    (void)state;
    struct export_stats st =
        check(ips, EXPORT_NFT, "botnet", 1,
              "add table inet vigil\n"
              "add set inet vigil botnet4 { type ipv4_addr; flags interval; auto-merge; }\n"
              "add set inet vigil botnet6 { type ipv6_addr; flags interval; auto-merge; }\n"
              "flush set inet vigil botnet4\n"
              "flush set inet vigil botnet6\n"
              "add element inet vigil botnet4 { 10.0.0.0/8, 192.0.2.1, 203.0.113.7 }\n"
              "add element inet vigil botnet6 { 2001:db8::/32 }\n");
    assert_int_equal(st.n_v4, 3);
    assert_int_equal(st.n_v6, 1);
    assert_int_equal(st.n_covered, 1);
}

static void test_ipset(void **state)
{
    (void)state;
    check(ips, EXPORT_IPSET, "bn", 1,
          "create bn4 hash:net family inet hashsize 1024 maxelem 65536 -exist\n"
          "flush bn4\n"
          "add bn4 10.0.0.0/8\n"
          "add bn4 192.0.2.1\n"
          "add bn4 203.0.113.7\n"
          "create bn6 hash:net family inet6 hashsize 1024 maxelem 65536 -exist\n"
          "flush bn6\n"
          "add bn6 2001:db8::/32\n");
}

static void test_rpz(void **state)
{
    (void)state;
    struct export_stats st =
        check("zeta.example\nEvil.Example.\nc2.test\n", EXPORT_RPZ, "x", 2026112001,
              "$TTL 300\n"
              "@ IN SOA localhost. hostmaster.localhost. 2026112001 3600 "
              "600 604800 300\n"
              "@ IN NS localhost.\n"
              "c2.test CNAME .\n*.c2.test CNAME .\n"
              "evil.example CNAME .\n*.evil.example CNAME .\n"
              "zeta.example CNAME .\n*.zeta.example CNAME .\n");
    assert_int_equal(st.n_domains, 3);
}

static void test_names(void **state)
{
    (void)state;
    enum export_format f;
    assert_true(export_set_name_ok("botnet"));
    assert_true(export_set_name_ok("ais_botnet-2"));
    assert_false(export_set_name_ok("2bad"));
    assert_false(export_set_name_ok("a;b"));
    assert_false(export_set_name_ok("abcdefghijklmnopqrstuvwxyz123")); /* 29 */
    assert_int_equal(export_format_parse("rpz", &f), 0);
    assert_int_equal(f, EXPORT_RPZ);
    assert_int_equal(export_format_parse("pf", &f), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nft),
        cmocka_unit_test(test_ipset),
        cmocka_unit_test(test_rpz),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
