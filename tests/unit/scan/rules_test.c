/* scan/rules.c: compiling rule sources held in memory (scan_rules_load_mem). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <yara.h>

#include "scan/rules.h"

static const char rule_a[] = "rule a_one { strings: $x = \"alpha\" condition: $x }\n";
static const char rule_b[] = "rule b_one { condition: filesize > 10 }\n"
                             "rule b_two { condition: filename == \"x\" and owner == \"root\" }\n";

/* Two files make one rule set; the external variables are defined. */
static void test_two_files(void **state)
{
    (void)state;
    struct scan_rule_text files[] = {{"dir/a.yar", rule_a}, {"b.yara", rule_b}};
    struct scan_rules *r = NULL;
    struct verr e;
    verr_init(&e);
    assert_int_equal(scan_rules_load_mem(files, 2, &r, &e), 0);
    assert_int_equal(scan_rules_n_files(r), 2);
    assert_int_equal(scan_rules_n_rules(r), 3);
    scan_rules_free(r);
}

/* A syntax error names the file it is in and its line. */
static void test_error_names_file_line(void **state)
{
    (void)state;
    struct scan_rule_text files[] = {
        {"ok.yar", rule_a},
        {"sub/bad.yar", "rule fine { condition: true }\n\nrule broken { condition: and }\n"},
    };
    struct scan_rules *r = NULL;
    struct verr e;
    verr_init(&e);
    assert_int_equal(scan_rules_load_mem(files, 2, &r, &e), -EINVAL);
    assert_null(r);
    assert_non_null(strstr(e.msg, "sub/bad.yar:3:"));
}

/* A rule defined twice across files is an error, as with files on disk. */
static void test_duplicate_rule(void **state)
{
    (void)state;
    struct scan_rule_text files[] = {{"a.yar", rule_a}, {"again.yar", rule_a}};
    struct scan_rules *r = NULL;
    struct verr e;
    verr_init(&e);
    assert_int_equal(scan_rules_load_mem(files, 2, &r, &e), -EINVAL);
    assert_non_null(strstr(e.msg, "again.yar:1:"));
}

/* include is refused: it would read the compiling host's files. */
static void test_include_refused(void **state)
{
    (void)state;
    struct scan_rule_text files[] = {{"inc.yar", "include \"/etc/hostname\"\n"}};
    struct scan_rules *r = NULL;
    struct verr e;
    verr_init(&e);
    assert_int_equal(scan_rules_load_mem(files, 1, &r, &e), -EINVAL);
    assert_non_null(strstr(e.msg, "inc.yar:1:"));
}

static void test_empty(void **state)
{
    (void)state;
    struct scan_rules *r = NULL;
    struct verr e;
    verr_init(&e);
    assert_int_equal(scan_rules_load_mem(NULL, 0, &r, &e), -ENODATA);
}

/* The version changes with a file's name or text, and equal input gives
 * an equal version. */
static void test_version(void **state)
{
    (void)state;
    struct scan_rule_text one[] = {{"a.yar", rule_a}};
    struct scan_rule_text renamed[] = {{"z.yar", rule_a}};
    struct scan_rules *r1 = NULL, *r2 = NULL, *r3 = NULL;
    struct verr e;
    verr_init(&e);
    assert_int_equal(scan_rules_load_mem(one, 1, &r1, &e), 0);
    assert_int_equal(scan_rules_load_mem(one, 1, &r2, &e), 0);
    assert_int_equal(scan_rules_load_mem(renamed, 1, &r3, &e), 0);
    assert_memory_equal(scan_rules_version(r1), scan_rules_version(r2), 32);
    assert_memory_not_equal(scan_rules_version(r1), scan_rules_version(r3), 32);
    scan_rules_free(r1);
    scan_rules_free(r2);
    scan_rules_free(r3);
}

/* The compiled rules match what they should. */
static int count_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *ud)
{
    (void)ctx;
    if (msg == CALLBACK_MSG_RULE_MATCHING &&
        strcmp(((const YR_RULE *)data)->identifier, "a_one") == 0)
        (*(int *)ud)++;
    return CALLBACK_CONTINUE;
}

static void test_matches(void **state)
{
    (void)state;
    struct scan_rule_text files[] = {{"a.yar", rule_a}};
    struct scan_rules *r = NULL;
    struct verr e;
    verr_init(&e);
    assert_int_equal(scan_rules_load_mem(files, 1, &r, &e), 0);
    int hits = 0;
    const uint8_t hit[] = "xx alpha yy", miss[] = "xx beta yy";
    assert_int_equal(
        yr_rules_scan_mem(scan_rules_yara(r), hit, sizeof(hit) - 1, 0, count_cb, &hits, 0),
        ERROR_SUCCESS);
    assert_int_equal(hits, 1);
    assert_int_equal(
        yr_rules_scan_mem(scan_rules_yara(r), miss, sizeof(miss) - 1, 0, count_cb, &hits, 0),
        ERROR_SUCCESS);
    assert_int_equal(hits, 1);
    scan_rules_free(r);
}

/* Bundle file names: what vigild accepts is what the agent may write. */
static void test_bundle_names(void **state)
{
    (void)state;
    static const char *const good[] = {"a.yar", "sub/dir/x_1-2.yara", ".hidden", "a..b"};
    static const char *const bad[] = {"",    "/etc/passwd", "../x",   "a/../b",     "a//b", "./a",
                                      "a/.", "a/",          "sp ace", "semi;colon", "tab\t"};
    char longname[300];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(scan_bundle_name_ok(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(scan_bundle_name_ok(bad[i], strlen(bad[i])));
    memset(longname, 'a', sizeof(longname));
    assert_true(scan_bundle_name_ok(longname, 255));
    assert_false(scan_bundle_name_ok(longname, 256));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_files),      cmocka_unit_test(test_error_names_file_line),
        cmocka_unit_test(test_duplicate_rule), cmocka_unit_test(test_include_refused),
        cmocka_unit_test(test_empty),          cmocka_unit_test(test_version),
        cmocka_unit_test(test_matches),        cmocka_unit_test(test_bundle_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
