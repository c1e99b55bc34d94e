/* Unit tests for src/cli/api.c helpers: URL building and cell text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"

static void test_url_encode_and_query(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_puts(&b, "/api/v1/feeds/"), 0);
    url_encode(&b, "ais botnet/2024?&=Đ");
    assert_string_equal(buf_str(&b), "/api/v1/feeds/ais%20botnet%2F2024%3F%26%3D%C4%90");
    buf_reset(&b);
    assert_int_equal(buf_puts(&b, "/api/v1/findings"), 0);
    url_query(&b, "status", "open");
    url_query(&b, "feed", NULL);
    url_query(&b, "ip", "10.0.0.0/8");
    assert_string_equal(buf_str(&b), "/api/v1/findings?status=open&ip=10.0.0.0%2F8");
    buf_release(&b);
}

static void test_cells(void **state)
{
    (void)state;
    json_t *o = json_loads("{\"s\":\"x\",\"i\":42,\"n\":null,\"b\":true,"
                           "\"a\":[\"10.0.0.0/24\",\"10.0.1.5\"],\"t\":\"2026-11-21T12:30:00Z\","
                           "\"bad\":\"yesterday\"}",
                           0, NULL);
    assert_non_null(o);
    char tmp[128], tm[64];
    assert_string_equal(jtext(o, "s", tmp, sizeof(tmp)), "x");
    assert_string_equal(jtext(o, "i", tmp, sizeof(tmp)), "42");
    assert_string_equal(jtext(o, "n", tmp, sizeof(tmp)), "-");
    assert_string_equal(jtext(o, "missing", tmp, sizeof(tmp)), "-");
    assert_string_equal(jtext(o, "b", tmp, sizeof(tmp)), "yes");
    assert_string_equal(jtext(o, "a", tmp, sizeof(tmp)), "10.0.0.0/24, 10.0.1.5");
    /* 12:30 UTC is 19:30 in Hanoi. */
    assert_string_equal(jtime(o, "t", tm), "2026-11-21 19:30:00 +07");
    assert_string_equal(jtime(o, "bad", tm), "yesterday");
    assert_string_equal(jtime(o, "missing", tm), "-");
    json_decref(o);
}

static void test_translation_contexts(void **state)
{
    (void)state;
    i18n_set(LANG_EN);
    assert_string_equal(cli_tr("col|Level"), "Level");
    assert_string_equal(cli_word("in_progress"), "in_progress");
    assert_string_equal(cli_word("something-else"), "something-else");
    i18n_set(LANG_VI);
    assert_string_equal(cli_tr("col|Level"), "Cấp độ");
    assert_string_equal(cli_word("open"), "mở");
    assert_string_equal(cli_word("false_positive"), "cảnh báo nhầm");
    i18n_set(LANG_EN);
}

int main(void)
{
    i18n_set(LANG_EN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_encode_and_query),
        cmocka_unit_test(test_cells),
        cmocka_unit_test(test_translation_contexts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
