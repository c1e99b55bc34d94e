/* Hit summaries: counts, first and last seen, the cap and its overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "sensor/summary.h"

static struct iset *one_list(void)
{
    struct iset *s = iset_new();
    struct verr err;
    static const char l[] = "198.51.100.0/24\n";
    assert_int_equal(iset_add_list(s, "bn", NULL, (const uint8_t *)l, strlen(l), NULL, &err), 0);
    assert_int_equal(iset_build(s), 0);
    return s;
}

static struct hit mk(const struct iset *s, const char *addr, const char *user, int64_t t)
{
    struct hit h = {.list = 0, .field = HF_DST, .ip = &s->ip_entries.items[0], .ts_ms = t};
    assert_int_equal(ip_parse(addr, strlen(addr), &h.addr), ADDR_OK);
    if (user) {
        h.attributed = true;
        h.sub.user = user;
    }
    return h;
}

static void test_counts(void **state)
{
    (void)state;
    struct iset *set = one_list();
    struct summary s;
    struct hit h;
    const struct summary_entry *e;

    summary_init(&s, 0, 0);
    h = mk(set, "198.51.100.9", "alice", 3000);
    summary_add(&s, set, &h);
    h = mk(set, "198.51.100.9", "bob", 1000);
    summary_add(&s, set, &h);
    h = mk(set, "198.51.100.9", NULL, 5000);
    summary_add(&s, set, &h);
    h = mk(set, "198.51.100.10", "alice", 2000);
    summary_add(&s, set, &h);

    e = summary_get(&s, "i", "bn", "198.51.100.9");
    assert_non_null(e);
    assert_int_equal(e->count, 3);
    assert_int_equal(e->first_ms, 1000);
    assert_int_equal(e->last_ms, 5000);
    e = summary_get(&s, "s", "alice", NULL);
    assert_non_null(e);
    assert_int_equal(e->count, 2);
    assert_int_equal(e->first_ms, 2000);
    assert_int_equal(e->last_ms, 3000);
    assert_null(summary_get(&s, "s", "carol", NULL));

    struct buf b;
    buf_init(&b, 0);
    /* 2 indicators + 2 subscribers, then the period line */
    assert_int_equal(summary_flush(&s, &b, 10000), 4);
    assert_non_null(strstr(buf_str(&b), "\"user.id\":\"alice\",\"vigil.count\":2"));
    assert_non_null(strstr(buf_str(&b), "\"vigil.summary\":\"period\",\"vigil.entries\":4,"
                                        "\"vigil.overflow\":0"));
    /* a new period starts empty */
    assert_null(summary_get(&s, "s", "alice", NULL));
    buf_release(&b);
    summary_release(&s);
    iset_free(set);
}

static void test_cap(void **state)
{
    (void)state;
    struct iset *set = one_list();
    struct summary s;
    struct hit h;
    char a[32];

    summary_init(&s, 3, 0);
    for (int i = 1; i <= 5; i++) {
        snprintf(a, sizeof(a), "198.51.100.%d", i);
        h = mk(set, a, NULL, i);
        summary_add(&s, set, &h);
    }
    assert_int_equal(s.map.n, 3);
    assert_int_equal(s.overflow, 2);
    /* a key already there still counts */
    h = mk(set, "198.51.100.1", NULL, 9);
    summary_add(&s, set, &h);
    assert_int_equal(summary_get(&s, "i", "bn", "198.51.100.1")->count, 2);
    assert_int_equal(s.overflow, 2);
    summary_release(&s);
    iset_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
