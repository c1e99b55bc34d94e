/* Unit tests for intel/domainset: normalisation, exact and suffix matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/i18n.h"
#include "intel/domainset.h"

static enum domain_err norm(const char *s, char out[static DOMAIN_MAX + 1])
{
    size_t n = 0;
    out[0] = '\0';
    enum domain_err e = domain_normalize(s, strlen(s), out, &n);
    if (e == DOMAIN_OK)
        assert_int_equal(n, strlen(out));
    return e;
}

static void test_normalize(void **state)
{
    (void)state;
    char out[DOMAIN_MAX + 1];
    assert_int_equal(norm("Evil.Example.COM.", out), DOMAIN_OK);
    assert_string_equal(out, "evil.example.com");
    assert_int_equal(norm("xn--d1acufc.xn--p1ai", out), DOMAIN_OK);
    assert_string_equal(out, "xn--d1acufc.xn--p1ai");
    assert_int_equal(norm("a-b.c0", out), DOMAIN_OK);
    assert_int_equal(norm("localhost", out), DOMAIN_OK);
    assert_int_equal(norm("", out), DOMAIN_E_EMPTY);
    assert_int_equal(norm(".", out), DOMAIN_E_EMPTY);
    assert_int_equal(norm("a..b", out), DOMAIN_E_LABEL);
    assert_int_equal(norm(".a.b", out), DOMAIN_E_LABEL);
    assert_int_equal(norm("-a.com", out), DOMAIN_E_HYPHEN);
    assert_int_equal(norm("a-.com", out), DOMAIN_E_HYPHEN);
    assert_int_equal(norm("a_b.com", out), DOMAIN_E_CHAR);
    assert_int_equal(norm("a b.com", out), DOMAIN_E_CHAR);
    assert_int_equal(norm("1.2.3.4", out), DOMAIN_E_NUMERIC);
    assert_int_equal(norm("bücher.de", out), DOMAIN_E_NONASCII);
    assert_int_equal(norm("tênmiền.vn", out), DOMAIN_E_NONASCII);

    /* label of 63 ok, 64 not */
    char name[300];
    memset(name, 'a', 63);
    memcpy(name + 63, ".com", 5);
    assert_int_equal(norm(name, out), DOMAIN_OK);
    memset(name, 'a', 64);
    memcpy(name + 64, ".com", 5);
    assert_int_equal(norm(name, out), DOMAIN_E_LABEL);
    /* 253 bytes ok (with a trailing dot: 254), 254 not */
    size_t o = 0;
    while (o < 253) {
        size_t l = MIN((size_t)49, 253 - o);
        memset(name + o, 'b', l);
        o += l;
        if (o < 253)
            name[o++] = '.';
    }
    name[253] = '\0';
    assert_int_equal(strlen(name), 253);
    if (name[252] == '.')
        name[252] = 'c';
    assert_int_equal(norm(name, out), DOMAIN_OK);
    name[253] = '.';
    name[254] = '\0';
    assert_int_equal(norm(name, out), DOMAIN_OK);
    name[253] = 'd';
    assert_int_equal(norm(name, out), DOMAIN_E_LONG);
}

static bool look(const struct domainset *s, const char *n, uint32_t *v)
{
    *v = 0xdead;
    return domainset_lookup(s, n, strlen(n), v);
}

static void test_match(void **state)
{
    (void)state;
    struct domainset *s = domainset_new();
    assert_int_equal(domainset_add(s, "evil.com", 8, DOMAINSET_SUFFIX, 1), 0);
    assert_int_equal(domainset_add(s, "exact.org", 9, DOMAINSET_EXACT, 2), 0);
    assert_int_equal(domainset_add(s, "Deep.Sub.Evil.COM", 17, DOMAINSET_EXACT, 3), 0);
    assert_int_equal(domainset_add(s, "bad name.com", 12, DOMAINSET_EXACT, 9), -EINVAL);
    /* the same name again keeps the first value */
    assert_int_equal(domainset_add(s, "evil.com", 8, DOMAINSET_SUFFIX, 7), 0);
    /* exact and suffix entries on one name are separate */
    assert_int_equal(domainset_add(s, "both.net", 8, DOMAINSET_SUFFIX, 4), 0);
    assert_int_equal(domainset_add(s, "both.net", 8, DOMAINSET_EXACT, 5), 0);
    assert_int_equal(domainset_count(s), 4);

    uint32_t v;
    assert_true(look(s, "evil.com", &v));
    assert_int_equal(v, 1);
    assert_true(look(s, "a.b.evil.com", &v));
    assert_int_equal(v, 1);
    assert_true(look(s, "A.B.EVIL.COM.", &v));
    assert_int_equal(v, 1);
    assert_false(look(s, "notevil.com", &v));
    assert_false(look(s, "evil.com.vn", &v));
    assert_false(look(s, "com", &v));
    /* the most specific entry wins */
    assert_true(look(s, "deep.sub.evil.com", &v));
    assert_int_equal(v, 3);
    assert_true(look(s, "x.deep.sub.evil.com", &v));
    assert_int_equal(v, 1);
    /* exact entries do not match below themselves */
    assert_true(look(s, "exact.org", &v));
    assert_int_equal(v, 2);
    assert_false(look(s, "www.exact.org", &v));
    assert_true(look(s, "both.net", &v));
    assert_int_equal(v, 5);
    assert_true(look(s, "x.both.net", &v));
    assert_int_equal(v, 4);
    /* invalid queries never match */
    assert_false(look(s, "a..evil.com", &v));
    assert_false(look(s, "", &v));
    assert_false(domainset_lookup(s, "evil.com", 3, NULL));
    domainset_free(s);
    domainset_free(NULL);
}

static void test_many(void **state)
{
    (void)state;
    struct domainset *s = domainset_new();
    char name[64];
    for (unsigned i = 0; i < 50000; i++) {
        int n = snprintf(name, sizeof(name), "host%u.example%u.vn", i, i % 97);
        assert_int_equal(
            domainset_add(s, name, (size_t)n, i % 2 ? DOMAINSET_SUFFIX : DOMAINSET_EXACT, i), 0);
    }
    assert_int_equal(domainset_count(s), 50000);
    for (unsigned i = 0; i < 50000; i += 7) {
        uint32_t v;
        int n = snprintf(name, sizeof(name), "www.host%u.example%u.vn", i, i % 97);
        bool hit = domainset_lookup(s, name, (size_t)n, &v);
        assert_int_equal(hit, i % 2 == 1);
        if (hit)
            assert_int_equal(v, i);
        n = snprintf(name, sizeof(name), "host%u.example%u.vn", i, i % 97);
        assert_true(domainset_lookup(s, name, (size_t)n, &v));
        assert_int_equal(v, i);
        n = snprintf(name, sizeof(name), "host%u.example%u.vn", i, (i + 1) % 97);
        assert_false(domainset_lookup(s, name, (size_t)n, &v));
    }
    domainset_free(s);
}

int main(void)
{
    i18n_set(LANG_EN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
