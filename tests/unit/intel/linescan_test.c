#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "intel/ipset.h"
#include "intel/linescan.h"

static const char *const list4[] = {"1.2.3.4", "10.0.0.0/8", "234.1.2.3", NULL};
static const char *const list6[] = {"::1",       "2001:db8::/32", "::ffff:1.2.3.4",
                                    "fe80::/10", "::/128",        NULL};

static void add_all(struct ipset *s, const char *const *l)
{
    for (size_t i = 0; l[i]; i++) {
        struct ip_prefix p;
        assert_int_equal(prefix_parse(l[i], strlen(l[i]), false, &p), ADDR_OK);
        assert_int_equal(ipset_add(s, &p, (uint32_t)i), 0);
    }
}

static struct ipset *make(bool v4, bool v6)
{
    struct ipset *s = ipset_new();
    if (v4)
        add_all(s, list4);
    if (v6)
        add_all(s, list6);
    assert_int_equal(ipset_build(s), 0);
    return s;
}

/*
 * Expected outcome for the set holding list4 only, list6 only, both:
 * 'M' a match, 'N' addresses but none listed, '-' no address. Checked by
 * hand against grepcidr 2.0 (grepcidr -f, and -v for 'N').
 */
static const struct {
    const char *line;
    char v4, v6, both;
} cases[] = {
    {"x1.2.3.4", 'M', '-', 'M'},
    {"1234.1.2.3", 'M', '-', 'M'}, /* the field starts at "234." */
    {"1.2.3.4.5", '-', '-', '-'},
    {"1.2.3.4a", '-', '-', '-'},
    {"a1.2.3.4b", '-', '-', '-'},
    {"a:1.2.3.4", 'M', '-', '-'}, /* with IPv6 looked for, "a:1.2.3.4" is one field */
    {"::", '-', '-', '-'},
    {"::1", '-', 'M', 'M'},
    {":::1", '-', 'M', 'M'},
    {"x::1", '-', 'M', 'M'},
    {"g::1", '-', 'M', 'M'},
    {"::1.", '-', '-', '-'},
    {"fe80::1%eth0", '-', 'M', 'M'},
    {"1.2.3.4:80", 'M', '-', 'M'},
    {"[2001:db8::1]:443", '-', 'M', 'M'},
    {"2001:db8::1:443", '-', 'M', 'M'},
    {"::ffff:1.2.3.4", 'M', 'M', 'M'},
    {"2001:db8::1.2.3.4", 'M', 'M', 'M'},
    {"12345::1", '-', 'N', 'N'}, /* the field starts at "2345::1" */
    {"abcd::1", '-', 'N', 'N'},
    {"1:2:3:4:5:6:7:8:9", '-', '-', '-'},
    {"1::1::1 ::1", '-', 'M', 'M'},
    {"1.2.3.04", '-', '-', '-'},
    {"01.2.3.4", '-', '-', '-'},
    {"1.2.3.4.", '-', '-', '-'},
    {".1.2.3.4", 'M', '-', 'M'},
    {"1.2.3.4\r", 'M', '-', 'M'},
    {"1.2.3.4/24", 'M', '-', 'M'},
    {"10.0.0.1,10.0.0.2", 'M', '-', 'M'},
    {"1.2.3.4-1.2.3.5", 'M', '-', 'M'},
    {"SRC=10.1.2.3 DST=8.8.8.8", 'M', '-', 'M'},
    {"ab:cd:ef:01:23:45 10.1.1.1", 'M', '-', 'M'},
    {"1.1.1.1 ::1", 'N', 'M', 'M'},
    {"255.255.255.255 1.2.3.4", 'M', '-', 'M'},
    {"8.8.8.8", 'N', '-', 'N'},
    {"", '-', '-', '-'},
};

static char outcome(const struct ipset *s, const char *line)
{
    switch (linescan_line(s, line, strlen(line), LINESCAN_NO_LIMIT, NULL)) {
    case LINESCAN_MATCH:
        return 'M';
    case LINESCAN_NO_MATCH:
        return 'N';
    case LINESCAN_NO_ADDR:
        return '-';
    }
    return '?';
}

static void test_grepcidr_cases(void **state)
{
    (void)state;
    struct ipset *s4 = make(true, false), *s6 = make(false, true), *s46 = make(true, true);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char got[4] = {outcome(s4, cases[i].line), outcome(s6, cases[i].line),
                       outcome(s46, cases[i].line), 0};
        char want[4] = {cases[i].v4, cases[i].v6, cases[i].both, 0};
        if (strcmp(got, want) != 0)
            fail_msg("'%s': want %s got %s", cases[i].line, want, got);
    }
    ipset_free(s4);
    ipset_free(s6);
    ipset_free(s46);
}

/* linescan_lines() results, one char per line as outcome() writes them. */
struct lines_got {
    char r[512];
    size_t n;
};

static int on_lines(void *ctx, const char *line, size_t len, uint64_t idx, enum linescan_result r,
                    const struct linescan_hit *hit)
{
    struct lines_got *g = ctx;
    (void)line;
    (void)len;
    (void)hit;
    if (idx < sizeof(g->r) - 1)
        g->r[idx] = r == LINESCAN_MATCH ? 'M' : r == LINESCAN_NO_MATCH ? 'N' : '-';
    g->n++;
    return 0;
}

/*
 * The fast path (masks built 64 bytes at a time) gives the hand-checked
 * outcomes of every case, with the case placed at every offset in a 64-byte
 * word (leading spaces change nothing), several lines a buffer, with the
 * widest SIMD and with SSE2 only.
 */
static void test_lines_fast_path(void **state)
{
    (void)state;
    struct ipset *sets[3] = {make(true, false), make(false, true), make(true, true)};
    size_t n_cases = sizeof(cases) / sizeof(cases[0]);
    static char text[64 * 1024];

    for (int simd = 0; simd < 2; simd++) {
        linescan_set_simd(simd == 1);
        for (size_t shift = 0; shift < 70; shift++) {
            size_t len = 0;
            for (size_t i = 0; i < n_cases; i++) {
                size_t k = strlen(cases[i].line), pad = (shift + i * 7) % 70;
                assert_true(len + pad + k + 1 < sizeof(text));
                memset(text + len, ' ', pad);
                memcpy(text + len + pad, cases[i].line, k);
                len += pad + k;
                text[len++] = '\n';
            }
            for (int w = 0; w < 3; w++) {
                struct lines_got g = {.n = 0};
                uint64_t n_lines;
                int stop;
                size_t used =
                    linescan_lines(sets[w], text, len, SIZE_MAX, 7, on_lines, &g, &n_lines, &stop);
                assert_int_equal(used, len);
                assert_int_equal(n_lines, n_cases);
                assert_int_equal(g.n, n_cases);
                for (size_t i = 0; i < n_cases; i++) {
                    char want = w == 0 ? cases[i].v4 : w == 1 ? cases[i].v6 : cases[i].both;
                    if (g.r[i] != want)
                        fail_msg("simd %d shift %zu set %d '%s': want %c got %c", simd, shift, w,
                                 cases[i].line, want, g.r[i]);
                }
            }
        }
    }
    linescan_set_simd(true);
    for (int w = 0; w < 3; w++)
        ipset_free(sets[w]);
}

struct collected {
    char text[8][IP_ADDR_STRLEN];
    size_t off[8];
    size_t n;
    size_t stop_after;
};

static int collect(void *ctx, const struct linescan_addr *a)
{
    struct collected *c = ctx;
    if (c->n < 8) {
        ip_format(&a->addr, c->text[c->n]);
        c->off[c->n] = a->off;
    }
    c->n++;
    return c->n == c->stop_after ? 7 : 0;
}

static void test_each(void **state)
{
    (void)state;
    const char *line = "Jan 1 00:00:01 fw kernel: IN=eth0 SRC=192.0.2.1 DST=2001:DB8::0:1 "
                       "x1.2.3.4 1.2.3.4.5 ::ffff:10.0.0.1";
    struct collected c = {.stop_after = 0};
    assert_int_equal(linescan_each(line, strlen(line), LINESCAN_NO_LIMIT, LINESCAN_V4 | LINESCAN_V6,
                                   collect, &c),
                     0);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.text[0], "192.0.2.1");
    assert_int_equal(c.off[0], 38);
    assert_string_equal(c.text[1], "2001:db8::1");
    assert_int_equal(c.off[1], 52);
    assert_string_equal(c.text[2], "1.2.3.4");
    assert_int_equal(c.off[2], 67);
    assert_string_equal(c.text[3], "::ffff:10.0.0.1");

    /* IPv4 only: the IPv6 text is not looked at, but the dotted tail is. */
    memset(&c, 0, sizeof(c));
    assert_int_equal(linescan_each(line, strlen(line), LINESCAN_NO_LIMIT, LINESCAN_V4, collect, &c),
                     0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.text[2], "10.0.0.1");

    /* Stopping early returns the callback's value. */
    memset(&c, 0, sizeof(c));
    c.stop_after = 2;
    assert_int_equal(linescan_each(line, strlen(line), LINESCAN_NO_LIMIT, LINESCAN_V4 | LINESCAN_V6,
                                   collect, &c),
                     7);
    assert_int_equal(c.n, 2);

    /* Start limit: an address starting at or past max_start is not seen. */
    memset(&c, 0, sizeof(c));
    assert_int_equal(linescan_each("ab 1.2.3.4", 10, 3, LINESCAN_V4, collect, &c), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(linescan_each("ab 1.2.3.4", 10, 4, LINESCAN_V4, collect, &c), 0);
    assert_int_equal(c.n, 1);

    /* Only len bytes are read: the address is cut short here. */
    memset(&c, 0, sizeof(c));
    assert_int_equal(linescan_each("1.2.3.45", 7, LINESCAN_NO_LIMIT, LINESCAN_V4, collect, &c), 0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.text[0], "1.2.3.4");
    /* A NUL byte separates like a space. */
    memset(&c, 0, sizeof(c));
    assert_int_equal(linescan_each("1.2.3.4\0"
                                   "5.6.7.8",
                                   15, LINESCAN_NO_LIMIT, LINESCAN_V4, collect, &c),
                     0);
    assert_int_equal(c.n, 2);
}

static void test_match_and_hit(void **state)
{
    (void)state;
    struct ipset *s = make(true, true);
    struct linescan_hit hit;
    const char *line = "a 8.8.8.8 b 10.9.8.7 c 1.2.3.4";
    assert_true(linescan_match(s, line, strlen(line)));
    assert_int_equal(linescan_line(s, line, strlen(line), LINESCAN_NO_LIMIT, &hit), LINESCAN_MATCH);
    assert_int_equal(hit.a.off, 12); /* the first listed address */
    assert_int_equal(hit.a.len, 8);
    assert_int_equal(hit.value, 1); /* 10.0.0.0/8 is list4[1] */
    assert_false(linescan_match(s, "no addresses", 12));
    ipset_free(s);

    /* A set with no prefixes looks for nothing. */
    s = make(false, false);
    assert_int_equal(linescan_line(s, "1.2.3.4", 7, LINESCAN_NO_LIMIT, NULL), LINESCAN_NO_ADDR);
    ipset_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grepcidr_cases),
        cmocka_unit_test(test_lines_fast_path),
        cmocka_unit_test(test_each),
        cmocka_unit_test(test_match_and_hit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
