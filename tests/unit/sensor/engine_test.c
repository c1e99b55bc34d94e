/* The sensor's matching engine: sets from lists, matching records, NAT
 * mapping, attribution, reload. Expected values written by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "sensor/engine.h"

#define T_ALICE 1795132800000LL /* 2026-11-20T00:00:00Z, in alice's session */

static const char radius[] = "Fri Nov 20 00:00:00 2026\n"
                             "\tAcct-Status-Type = Start\n"
                             "\tUser-Name = \"alice\"\n"
                             "\tAcct-Session-Id = \"s1\"\n"
                             "\tFramed-IP-Address = 100.64.0.1\n"
                             "\tEvent-Timestamp = 1795129200\n"
                             "\n"
                             "Fri Nov 20 02:00:00 2026\n"
                             "\tAcct-Status-Type = Stop\n"
                             "\tUser-Name = \"alice\"\n"
                             "\tAcct-Session-Id = \"s1\"\n"
                             "\tFramed-IP-Address = 100.64.0.1\n"
                             "\tAcct-Session-Time = 7200\n"
                             "\tEvent-Timestamp = 1795136400\n"
                             "\n";

static struct ip_addr ip(const char *s)
{
    struct ip_addr a;
    assert_int_equal(ip_parse(s, strlen(s), &a), ADDR_OK);
    return a;
}

static struct iset *three_lists(void)
{
    struct iset *s = iset_new();
    struct verr err;
    static const char l1[] = "198.51.100.0/24\n203.0.113.7\n";
    static const char l2[] = "evil.example\n";
    static const char l3[] = "203.0.113.7\n2001:db8::/32\n";

    assert_int_equal(iset_add_list(s, "one", "AIS", (const uint8_t *)l1, strlen(l1), NULL, &err),
                     0);
    assert_int_equal(iset_add_list(s, "two", NULL, (const uint8_t *)l2, strlen(l2), NULL, &err), 1);
    assert_int_equal(iset_add_list(s, "three", NULL, (const uint8_t *)l3, strlen(l3), NULL, &err),
                     2);
    assert_int_equal(iset_build(s), 0);
    return s;
}

static void test_build(void **state)
{
    (void)state;
    struct iset *s = three_lists();
    /* 198.51.100.0/24, 203.0.113.7 (two lists), 2001:db8::/32 */
    assert_int_equal(s->ip_entries.n, 3);
    assert_int_equal(s->dom_entries.n, 1);
    assert_string_equal(s->lists.items[0].provider, "AIS");
    assert_string_equal(s->lists.items[1].provider, "two"); /* defaults to the name */
    iset_free(s);
}

static void test_match_dst_two_lists(void **state)
{
    (void)state;
    struct engine e;
    struct hit h[ENGINE_MAX_HITS];
    struct obs o = {
        .kind = OBS_FLOW, .src = ip("10.0.0.1"), .dst = ip("203.0.113.7"), .ts_ms = T_ALICE};

    engine_init(&e, three_lists(), NULL);
    const struct iset *s = engine_begin(&e);
    size_t n = engine_match_obs(&e, s, &o, h, ENGINE_MAX_HITS);
    assert_int_equal(n, 2);
    assert_int_equal(h[0].list, 0);
    assert_int_equal(h[1].list, 2);
    assert_int_equal(h[0].field, HF_DST);
    assert_int_equal(h[0].ip->prefix.len, 32);
    assert_false(h[0].attributed);

    o.dst = ip("198.51.100.9");
    n = engine_match_obs(&e, s, &o, h, ENGINE_MAX_HITS);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].ip->prefix.len, 24);
    assert_int_equal(ip_cmp(&h[0].addr, &o.dst), 0);

    o.dst = ip("8.8.8.8");
    assert_int_equal(engine_match_obs(&e, s, &o, h, ENGINE_MAX_HITS), 0);
    engine_end(&e);

    struct engine_counters c;
    engine_counters_get(&e, &c);
    assert_int_equal(c.records, 3);
    assert_int_equal(c.hits, 3);
    assert_int_equal(c.unattributed, 3);
    engine_release(&e);
}

static void test_match_name(void **state)
{
    (void)state;
    struct engine e;
    struct hit h[ENGINE_MAX_HITS];
    struct obs o = {.kind = OBS_TLS, .qname = "www.evil.example", .qname_len = 16};

    engine_init(&e, three_lists(), NULL);
    const struct iset *s = engine_begin(&e);
    assert_int_equal(engine_match_obs(&e, s, &o, h, ENGINE_MAX_HITS), 1);
    assert_int_equal(h[0].field, HF_NAME);
    assert_int_equal(h[0].list, 1);
    assert_string_equal(h[0].dom->name, "evil.example");
    assert_string_equal(hit_field_name(h[0].field, &o), "tls.client.server_name");
    o.qname = "notevil.example";
    o.qname_len = 15;
    assert_int_equal(engine_match_obs(&e, s, &o, h, ENGINE_MAX_HITS), 0);
    engine_end(&e);
    engine_release(&e);
}

static void test_nat_attribution(void **state)
{
    (void)state;
    struct attrib *a = attrib_new();
    struct verr err;
    struct engine e;
    struct hit h[ENGINE_MAX_HITS];
    /* alice holds 100.64.0.1 inside; its public CGNAT address is listed */
    struct obs o = {.kind = OBS_FLOW,
                    .src = ip("100.64.0.1"),
                    .xsrc = ip("203.0.113.7"),
                    .dst = ip("192.0.2.1"),
                    .nat_event = 1,
                    .ts_ms = T_ALICE};

    assert_int_equal(attrib_load_radius_detail_mem(a, "t", radius, strlen(radius), &err), 0);
    assert_int_equal(attrib_build(a), 0);
    engine_init(&e, three_lists(), a);
    const struct iset *s = engine_begin(&e);
    size_t n = engine_match_obs(&e, s, &o, h, ENGINE_MAX_HITS);
    assert_int_equal(n, 2); /* lists one and three */
    assert_int_equal(h[0].field, HF_XSRC);
    assert_true(h[0].attributed);
    assert_string_equal(h[0].sub.user, "alice");
    assert_int_equal(ip_cmp(&h[0].sub_addr, &o.src), 0);

    /* after the session stopped (01:00Z): nobody */
    o.ts_ms = T_ALICE + 3 * 3600 * 1000LL;
    n = engine_match_obs(&e, s, &o, h, ENGINE_MAX_HITS);
    assert_int_equal(n, 2);
    assert_false(h[0].attributed);

    /* a listed destination (C&C): the subscriber is the inside source */
    struct obs cc = {
        .kind = OBS_FLOW, .src = ip("100.64.0.1"), .dst = ip("198.51.100.77"), .ts_ms = T_ALICE};
    n = engine_match_obs(&e, s, &cc, h, ENGINE_MAX_HITS);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].field, HF_DST);
    assert_true(h[0].attributed);
    assert_string_equal(h[0].sub.user, "alice");
    engine_end(&e);

    struct engine_counters c;
    engine_counters_get(&e, &c);
    assert_int_equal(c.attributed, 3);
    assert_int_equal(c.unattributed, 2);
    assert_int_equal(c.nat_mapped, 2);
    engine_release(&e);
    attrib_free(a);
}

static void test_values_and_swap(void **state)
{
    (void)state;
    struct iset *s = iset_new();
    struct verr err;
    size_t bad = 0;
    static const char v[] = "10.0.0.0/8\nbad value!\nc2.example\n2001:db8::1\n";
    struct engine e;
    struct hit h[ENGINE_MAX_HITS];
    struct obs o = {.kind = OBS_DNS, .src = ip("10.1.2.3"), .qname = "c2.example", .qname_len = 10};

    assert_int_equal(iset_add_values(s, "pulled", NULL, v, strlen(v), &bad, &err), 0);
    assert_int_equal(bad, 1);
    assert_int_equal(iset_build(s), 0);
    assert_int_equal(s->lists.items[0].n_ips, 2);
    assert_int_equal(s->lists.items[0].n_domains, 1);

    engine_init(&e, three_lists(), NULL);
    const struct iset *cur = engine_begin(&e);
    assert_int_equal(engine_match_obs(&e, cur, &o, h, ENGINE_MAX_HITS), 0);
    engine_end(&e);
    engine_swap(&e, s);
    cur = engine_begin(&e);
    assert_ptr_equal(cur, s);
    assert_int_equal(engine_match_obs(&e, cur, &o, h, ENGINE_MAX_HITS), 2); /* src and name */
    engine_end(&e);
    assert_int_equal(e.generation, 1);
    engine_release(&e);
}

static void test_bad_list(void **state)
{
    (void)state;
    struct iset *s = iset_new();
    struct verr err;
    static const char junk[] = "\x01\x02\x03 not a list\n";

    verr_init(&err);
    assert_true(iset_add_list(s, "junk", NULL, (const uint8_t *)junk, strlen(junk), NULL, &err) <
                0);
    assert_non_null(strstr(err.msg, "junk"));
    assert_int_equal(s->lists.n, 0);
    iset_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build),           cmocka_unit_test(test_match_dst_two_lists),
        cmocka_unit_test(test_match_name),      cmocka_unit_test(test_nat_attribution),
        cmocka_unit_test(test_values_and_swap), cmocka_unit_test(test_bad_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
