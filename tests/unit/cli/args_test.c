/* Unit tests for src/cli/args.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "base/i18n.h"
#include "cli/args.h"

struct parsed {
    bool json;
    const char *feed;
    const char *date;
    struct arg_list addrs;
    const char *pos[2];
    size_t n_pos;
};

static int parse(struct parsed *p, struct verr *e, int argc, char **argv)
{
    memset(p, 0, sizeof(*p));
    struct arg_opt opts[] = {
        {"--json", ARG_FLAG, &p->json},
        {"--feed", ARG_STR, &p->feed},
        {"--date", ARG_STR, &p->date},
        {"--addr", ARG_MULTI, &p->addrs},
    };
    verr_init(e);
    return args_parse(argc, argv, opts, sizeof(opts) / sizeof(opts[0]), p->pos, 2, &p->n_pos, e);
}

static void test_mixed(void **state)
{
    (void)state;
    char *argv[] = {"list.txt", "--feed",    "ais",        "--date=2024-01-15",
                    "--json",   "--addr",    "10.0.0.0/8", "--addr=192.168.1.1",
                    "--",       "--odd-name"};
    struct parsed p;
    struct verr e;
    assert_int_equal(parse(&p, &e, 10, argv), 0);
    assert_true(p.json);
    assert_string_equal(p.feed, "ais");
    assert_string_equal(p.date, "2024-01-15");
    assert_int_equal(p.addrs.n, 2);
    assert_string_equal(p.addrs.items[0], "10.0.0.0/8");
    assert_string_equal(p.addrs.items[1], "192.168.1.1");
    assert_int_equal(p.n_pos, 2);
    assert_string_equal(p.pos[0], "list.txt");
    assert_string_equal(p.pos[1], "--odd-name");
}

static void test_errors_name_the_option(void **state)
{
    (void)state;
    struct parsed p;
    struct verr e;

    char *a1[] = {"--fed", "x"};
    assert_int_equal(parse(&p, &e, 2, a1), -EINVAL);
    assert_non_null(strstr(e.msg, "--fed"));

    char *a2[] = {"--feed"};
    assert_int_equal(parse(&p, &e, 1, a2), -EINVAL);
    assert_non_null(strstr(e.msg, "--feed"));

    char *a3[] = {"--json=yes"};
    assert_int_equal(parse(&p, &e, 1, a3), -EINVAL);
    assert_non_null(strstr(e.msg, "--json"));

    char *a4[] = {"a", "b", "c"};
    assert_int_equal(parse(&p, &e, 3, a4), -EINVAL);
    assert_non_null(strstr(e.msg, "'c'"));

    char *a5[] = {"-x"};
    assert_int_equal(parse(&p, &e, 1, a5), -EINVAL);
    assert_non_null(strstr(e.msg, "-x"));

    /* "-" alone is an argument (standard input), not an option. */
    char *a6[] = {"-"};
    assert_int_equal(parse(&p, &e, 1, a6), 0);
    assert_int_equal(p.n_pos, 1);
}

static void test_numbers_dates_choices(void **state)
{
    (void)state;
    struct verr e;
    uint64_t n = 99;
    verr_init(&e);
    assert_int_equal(arg_number("--level", "3", 1, 5, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_int_equal(arg_number("--level", "7", 1, 5, &n, &e), -EINVAL);
    assert_non_null(strstr(e.msg, "--level"));
    assert_non_null(strstr(e.msg, "'7'"));
    assert_int_equal(arg_number("--level", "0", 1, 5, &n, &e), -EINVAL);
    assert_int_equal(arg_number("--level", "-1", 1, 5, &n, &e), -EINVAL);
    assert_int_equal(arg_number("--level", "3x", 1, 5, &n, &e), -EINVAL);
    assert_int_equal(arg_number("--level", "", 1, 5, &n, &e), -EINVAL);
    assert_int_equal(n, 3);

    assert_int_equal(arg_date("--date", "2024-02-29", &e), 0);
    assert_int_equal(arg_date("--date", "2023-02-29", &e), -EINVAL);
    assert_non_null(strstr(e.msg, "--date"));
    assert_int_equal(arg_date("--date", "15/01/2024", &e), -EINVAL);

    const char *const kinds[] = {"botnet", "threat", NULL};
    assert_int_equal(arg_choice("--kind", "threat", kinds, &e), 0);
    assert_int_equal(arg_choice("--kind", "malware", kinds, &e), -EINVAL);
    assert_non_null(strstr(e.msg, "botnet, threat"));
}

int main(void)
{
    i18n_set(LANG_EN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_errors_name_the_option),
        cmocka_unit_test(test_numbers_dates_choices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
