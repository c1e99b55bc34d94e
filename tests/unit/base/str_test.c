#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "base/err.h"
#include "base/i18n.h"
#include "base/str.h"
#include "base/vtime.h"

#define S(x) x, sizeof(x) - 1

static void test_numbers(void **state)
{
    (void)state;
    uint64_t u;
    int64_t i;
    assert_int_equal(str_to_u64(S("0"), 10, &u), 0);
    assert_int_equal(u, 0);
    assert_int_equal(str_to_u64(S("65535"), 65535, &u), 0);
    assert_int_equal(u, 65535);
    assert_int_equal(str_to_u64(S("65536"), 65535, &u), -ERANGE);
    assert_int_equal(str_to_u64(S("18446744073709551616"), UINT64_MAX, &u), -ERANGE);
    assert_int_equal(str_to_u64(S("18446744073709551615"), UINT64_MAX, &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(str_to_u64(S(""), 10, &u), -EINVAL);
    assert_int_equal(str_to_u64(S("+1"), 10, &u), -EINVAL);
    assert_int_equal(str_to_u64(S(" 1"), 10, &u), -EINVAL);
    assert_int_equal(str_to_u64(S("1x"), 10, &u), -EINVAL);
    assert_int_equal(str_to_i64(S("-5"), -10, 10, &i), 0);
    assert_int_equal(i, -5);
    assert_int_equal(str_to_i64(S("-11"), -10, 10, &i), -ERANGE);
    assert_int_equal(str_to_i64(S("-9223372036854775808"), INT64_MIN, INT64_MAX, &i), 0);
    assert_true(i == INT64_MIN);
    assert_int_equal(str_to_i64(S("9223372036854775808"), INT64_MIN, INT64_MAX, &i), -ERANGE);
}

static void test_trim_utf8_hex(void **state)
{
    (void)state;
    const char *p = "  \tab c\r\n";
    size_t n = strlen(p);
    str_trim(&p, &n);
    assert_int_equal(n, 4);
    assert_memory_equal(p, "ab c", 4);
    assert_true(str_ieq(S("Địa"), "Địa"));
    assert_true(str_ieq(S("IP"), "ip"));
    assert_false(str_ieq(S("ipx"), "ip"));

    assert_true(str_valid_utf8(S("Cục An toàn thông tin")));
    assert_false(str_valid_utf8(S("\xc0\xaf")));         /* overlong '/' */
    assert_false(str_valid_utf8(S("\xed\xa0\x80")));     /* surrogate */
    assert_false(str_valid_utf8(S("\xe1\xba")));         /* truncated */
    assert_false(str_valid_utf8(S("\xf4\x90\x80\x80"))); /* > U+10FFFF */
    assert_true(str_valid_utf8(S("\xf0\x9f\x98\x80")));  /* U+1F600 */

    uint8_t raw[3] = {0x00, 0xab, 0xff};
    char hex[7];
    hex_encode(raw, 3, hex);
    assert_string_equal(hex, "00abff");
    uint8_t back[3];
    assert_int_equal(hex_decode(S("00ABff"), back, 3), 0);
    assert_memory_equal(back, raw, 3);
    assert_int_equal(hex_decode(S("00abf"), back, 3), -EINVAL);
    assert_int_equal(hex_decode(S("00abfg"), back, 3), -EINVAL);
}

static void test_time(void **state)
{
    (void)state;
    int64_t t, d;
    /* 2024-01-15T00:00:00Z = 1705276800 (computed with `date -u -d`). */
    assert_int_equal(vtime_parse(S("2024-01-15T00:00:00Z"), &t), 0);
    assert_int_equal(t, 1705276800);
    /* Without a zone: Vietnam time, 7 hours ahead of UTC. */
    assert_int_equal(vtime_parse(S("2024-01-15 07:00:00"), &t), 0);
    assert_int_equal(t, 1705276800);
    assert_int_equal(vtime_parse(S("15/01/2024 07:00"), &t), 0);
    assert_int_equal(t, 1705276800);
    assert_int_equal(vtime_parse(S("2024-01-15T09:00:00+02:00"), &t), 0);
    assert_int_equal(t, 1705302000);
    assert_int_equal(vtime_parse(S("2024-01-15T00:00:00.123456Z"), &t), 0);
    assert_int_equal(t, 1705276800);
    assert_int_equal(vtime_parse(S("2024-01-15 00:00:00 UTC"), &t), 0);
    assert_int_equal(t, 1705276800);
    assert_int_equal(vtime_parse(S("2024-02-30"), &t), -EINVAL);
    assert_int_equal(vtime_parse(S("2023-02-29"), &t), -EINVAL);
    assert_int_equal(vtime_parse(S("2024-02-29"), &t), 0);
    assert_int_equal(vtime_parse(S("2024-01-15T24:00:00Z"), &t), -EINVAL);
    assert_int_equal(vtime_parse(S("2024-01-15Tjunk"), &t), -EINVAL);
    assert_int_equal(vtime_parse(S("2024-1-15"), &t), -EINVAL);
    assert_int_equal(vtime_parse_date(S("1970-01-02"), &d), 0);
    assert_int_equal(d, 1);
    assert_int_equal(vtime_parse_date(S("2024-01-15 "), &d), -EINVAL);

    char out[26];
    vtime_format_utc(1705276800, out);
    assert_string_equal(out, "2024-01-15T00:00:00Z");
    vtime_format_local(1705276800, out);
    assert_string_equal(out, "2024-01-15 07:00:00 +07");
    vtime_format_date(19737, out); /* 1705276800 / 86400 */
    assert_string_equal(out, "2024-01-15");
    vtime_format_utc(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59Z");
}

static void test_i18n_and_err(void **state)
{
    (void)state;
    i18n_set(LANG_VI);
    assert_string_equal(_("out of memory"), "hết bộ nhớ");
    assert_string_equal(_("no such message"), "no such message");
    struct verr e;
    verr_init(&e);
    assert_int_equal(verr_set(&e, -EINVAL, "%s", "x"), -EINVAL);
    assert_string_equal(e.msg, "x");
    verr_set(&e, -ENOMEM, "out of memory");
    assert_string_equal(e.msg, "hết bộ nhớ");
    i18n_set(LANG_EN);
    verr_set(&e, -ENOMEM, "out of memory");
    assert_string_equal(e.msg, "out of memory");
    verr_prefix(&e, "line %d", 42);
    assert_string_equal(e.msg, "line 42: out of memory");
    assert_int_equal(e.code, -ENOMEM);
    assert_int_equal(i18n_parse("en-US,en;q=0.9"), LANG_EN);
    assert_int_equal(i18n_parse("vi-VN"), LANG_VI);
    assert_int_equal(i18n_parse("english"), LANG_VI);
    assert_int_equal(i18n_parse(NULL), LANG_VI);
    /* A long prefix truncates instead of overflowing. */
    char longp[700];
    memset(longp, 'p', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    verr_prefix(&e, "%s", longp);
    assert_int_equal(strlen(e.msg), VERR_MSG_MAX - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_trim_utf8_hex),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_i18n_and_err),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
