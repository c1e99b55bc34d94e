#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/hashmap.h"
#include "base/vec.h"

static void test_buf_append_and_cap(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 10);
    assert_string_equal(buf_str(&b), "");
    assert_int_equal(buf_puts(&b, "hello"), 0);
    assert_int_equal(buf_printf(&b, "%d", 1234), 0);
    assert_int_equal(b.len, 9);
    assert_string_equal(b.data, "hello1234");
    /* One more byte fits (10), two do not; a failed append changes nothing. */
    assert_int_equal(buf_puts(&b, "xy"), -E2BIG);
    assert_int_equal(b.len, 9);
    assert_string_equal(b.data, "hello1234");
    assert_int_equal(buf_putc(&b, '!'), 0);
    assert_int_equal(buf_printf(&b, "%s", "z"), -E2BIG);
    assert_string_equal(b.data, "hello1234!");
    buf_truncate(&b, 5);
    assert_string_equal(b.data, "hello");
    size_t n;
    char *s = buf_detach(&b, &n);
    assert_int_equal(n, 5);
    assert_string_equal(s, "hello");
    free(s);
    assert_int_equal(b.len, 0);
    assert_null(b.data);
    buf_release(&b);
}

static void test_buf_long_printf(void **state)
{
    (void)state;
    struct buf b = BUF_INIT(0);
    char big[1000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(buf_printf(&b, "[%s]", big), 0);
    assert_int_equal(b.len, 1001);
    assert_int_equal(b.data[0], '[');
    assert_int_equal(b.data[1000], ']');
    assert_int_equal(b.data[1001], '\0');
    /* Binary contents with NULs keep their length. */
    buf_reset(&b);
    assert_int_equal(buf_append(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 3);
    buf_release(&b);
}

static void test_arena(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    char *s = arena_strdup(&a, "xin chào");
    assert_string_equal(s, "xin chào");
    for (int i = 0; i < 10000; i++) {
        uint64_t *p = arena_alloc(&a, sizeof(uint64_t) * 3);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        p[0] = p[1] = p[2] = (uint64_t)i;
    }
    void *big = arena_alloc(&a, 5 * 1024 * 1024);
    assert_non_null(big);
    memset(big, 1, 5 * 1024 * 1024);
    assert_string_equal(s, "xin chào");
    arena_release(&a);

    /* A capped arena refuses past its cap instead of growing. */
    arena_init(&a, 100 * 1024);
    assert_non_null(arena_alloc(&a, 1000));
    assert_null(arena_alloc(&a, 200 * 1024));
    arena_release(&a);
}

static void test_vec(void **state)
{
    (void)state;
    VEC(int) v = VEC_INIT;
    for (int i = 0; i < 1000; i++)
        VEC_PUSH(&v, i * 3);
    assert_int_equal(v.n, 1000);
    long sum = 0;
    for (size_t i = 0; i < v.n; i++)
        sum += v.items[i];
    assert_int_equal(sum, 3L * 999 * 1000 / 2);
    VEC_FREE(&v);
    assert_int_equal(v.n, 0);
}

static void test_strmap(void **state)
{
    (void)state;
    struct strmap m;
    strmap_init(&m);
    assert_null(strmap_get(&m, "x", 1));
    char keys[2000][12];
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(keys[i], sizeof(keys[i]), "k%d", i);
        assert_int_equal(strmap_put(&m, keys[i], (size_t)n, (void *)(intptr_t)(i + 1), NULL), 1);
    }
    assert_int_equal(m.n, 2000);
    assert_ptr_equal(strmap_get(&m, "k1234", 5), (void *)(intptr_t)1235);
    void *old = NULL;
    assert_int_equal(strmap_put(&m, "k7", 2, (void *)(intptr_t)99, &old), 0);
    assert_ptr_equal(old, (void *)(intptr_t)8);
    assert_ptr_equal(strmap_del(&m, "k7", 2), (void *)(intptr_t)99);
    assert_null(strmap_get(&m, "k7", 2));
    assert_int_equal(m.n, 1999);
    /* Deleting and re-adding many keys must not lose others (tombstones). */
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 1000; i++)
            strmap_del(&m, keys[i], strlen(keys[i]));
        for (int i = 0; i < 1000; i++)
            strmap_put(&m, keys[i], strlen(keys[i]), (void *)(intptr_t)(i + 1), NULL);
    }
    assert_int_equal(m.n, 2000);
    size_t it = 0, seen = 0;
    const char *k;
    size_t kl;
    void *v;
    while (strmap_next(&m, &it, &k, &kl, &v)) {
        int64_t idx = (intptr_t)v - 1;
        assert_true(idx >= 0 && idx < 2000);
        assert_memory_equal(k, keys[idx], kl);
        seen++;
    }
    assert_int_equal(seen, 2000);
    /* Binary keys with NUL bytes are distinct keys. */
    assert_int_equal(strmap_put(&m, "a\0b", 3, (void *)1, NULL), 1);
    assert_int_equal(strmap_put(&m, "a\0c", 3, (void *)2, NULL), 1);
    assert_ptr_equal(strmap_get(&m, "a\0c", 3), (void *)2);
    strmap_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_append_and_cap), cmocka_unit_test(test_buf_long_printf),
        cmocka_unit_test(test_arena),             cmocka_unit_test(test_vec),
        cmocka_unit_test(test_strmap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
