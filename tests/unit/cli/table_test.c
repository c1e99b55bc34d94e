/* Unit tests for src/cli/table.c: widths of Vietnamese UTF-8 text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cli/table.h"

static void test_utf8_width(void **state)
{
    (void)state;
    assert_int_equal(utf8_width(""), 0);
    assert_int_equal(utf8_width("abc"), 3);
    /* "Tên" is 3 letters, 4 bytes; "Đơn vị" 6 letters. */
    assert_int_equal(strlen("Tên"), 4);
    assert_int_equal(utf8_width("Tên"), 3);
    assert_int_equal(strlen("Đơn vị"), 10); /* Đ ơ 2 bytes, ị 3 */
    assert_int_equal(utf8_width("Đơn vị"), 6);
    /* "Trạng thái": 10 columns. */
    assert_int_equal(utf8_width("Tr\xe1\xba\xa1ng th\xc3\xa1i"), 10);
    /* Decomposed: 'e' + U+0302 (circumflex) + U+0301 (acute) is one column. */
    assert_int_equal(utf8_width("e\xcc\x82\xcc\x81"), 1);
    /* A stray continuation byte counts as one column. */
    assert_int_equal(utf8_width("a\x80"), 2);
}

static void test_render_aligned(void **state)
{
    (void)state;
    struct table t;
    table_init(&t, 3, (const char *[]){"ID", "Tên", "Cấp độ"});
    table_add(&t, (const char *[]){"1", "Cổng thông tin", "3"});
    table_add(&t, (const char *[]){"12", "Mail", NULL});
    struct buf out;
    buf_init(&out, 0);
    assert_int_equal(table_render(&t, &out), 0);
    /* Column widths: 2, 14 ("Cổng thông tin"), 6 ("Cấp độ"). */
    const char *want = "ID  Tên             Cấp độ\n"
                       "--  --------------  ------\n"
                       "1   Cổng thông tin  3\n"
                       "12  Mail            -\n";
    assert_string_equal(buf_str(&out), want);
    buf_release(&out);
    table_release(&t);
}

static void test_render_kv_and_sanitise(void **state)
{
    (void)state;
    struct table t;
    table_init(&t, 2, NULL);
    table_add_kv(&t, "Tên", "a\x1b[31mred\nx");
    table_add_kv(&t, "Địa chỉ", "10.0.0.0/24");
    table_add_kv(&t, "", "10.0.1.0/24");
    table_add_kv(&t, "ID", "");
    struct buf out;
    buf_init(&out, 0);
    assert_int_equal(table_render(&t, &out), 0);
    /* Keys padded to "Địa chỉ:" (8 columns); ESC and newline shown as '?';
     * an empty last cell leaves no trailing spaces. */
    const char *want = "Tên:      a?[31mred?x\n"
                       "Địa chỉ:  10.0.0.0/24\n"
                       "          10.0.1.0/24\n"
                       "ID:\n";
    assert_string_equal(buf_str(&out), want);
    buf_release(&out);
    table_release(&t);
}

static void test_c1_controls(void **state)
{
    (void)state;
    struct table t;
    table_init(&t, 1, NULL);
    /* U+009B (CSI as a C1 control) must not reach the terminal. */
    table_add(&t, (const char *[]){"x\xc2\x9b"
                                   "1m"});
    struct buf out;
    buf_init(&out, 0);
    assert_int_equal(table_render(&t, &out), 0);
    assert_string_equal(buf_str(&out), "x?1m\n");
    buf_release(&out);
    table_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_width),
        cmocka_unit_test(test_render_aligned),
        cmocka_unit_test(test_render_kv_and_sanitise),
        cmocka_unit_test(test_c1_controls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
