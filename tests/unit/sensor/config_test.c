/* vigil-sensor configuration: the collector and attribution keys, their
 * ranges, and errors that name file, line and key. YAML written by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "sensor/config.h"

static int load(struct sensor_config *c, const char *text, struct verr *err)
{
    sensor_config_init(c);
    verr_init(err);
    return sensor_config_load_text(c, "s.yaml", text, strlen(text), err);
}

/* Load text that must fail; the message must contain want. */
static void expect_error(const char *text, const char *want)
{
    struct sensor_config c;
    struct verr err;

    assert_int_equal(load(&c, text, &err), -EINVAL);
    if (!strstr(err.msg, want))
        fail_msg("error \"%s\" does not contain \"%s\"", err.msg, want);
    sensor_config_release(&c);
}

static void test_defaults(void **state)
{
    (void)state;
    struct sensor_config c;
    struct verr err;

    assert_int_equal(load(&c, "", &err), 0);
    assert_false(c.netflow);
    assert_int_equal(c.netflow_port, 2055);
    assert_int_equal(c.netflow_rcvbuf, 0);
    assert_int_equal(c.netflow_batch, 0);
    assert_int_equal(c.template_expiry, -1);
    assert_int_equal(c.max_templates, 0);
    assert_int_equal(c.radius_grace_s, 3600);
    assert_int_equal(c.radius_grace_multiple, 2);
    assert_int_equal(c.attrib_utc_offset, 25200);
    assert_int_equal(c.input_utc_offset, 25200);
    sensor_config_release(&c);
}

static void test_netflow_keys(void **state)
{
    (void)state;
    struct sensor_config c;
    struct verr err;
    static const char y[] = "inputs:\n"
                            "  netflow:\n"
                            "    address: 127.0.0.1\n"
                            "    port: 9995\n"
                            "    threads: 3\n"
                            "    rcvbuf: 8388608\n"
                            "    batch: 128\n"
                            "    template_expiry: 0\n"
                            "    max_templates: 500\n"
                            "    max_templates_per_exporter: 20\n"
                            "    max_exporters: 7\n";

    assert_int_equal(load(&c, y, &err), 0);
    assert_true(c.netflow);
    assert_string_equal(c.netflow_address, "127.0.0.1");
    assert_int_equal(c.netflow_port, 9995);
    assert_int_equal(c.netflow_threads, 3);
    assert_int_equal(c.netflow_rcvbuf, 8388608);
    assert_int_equal(c.netflow_batch, 128);
    assert_int_equal(c.template_expiry, 0);
    assert_int_equal(c.max_templates, 500);
    assert_int_equal(c.max_templates_per_exporter, 20);
    assert_int_equal(c.max_exporters, 7);
    sensor_config_release(&c);

    /* An empty netflow section turns the collector on with the defaults. */
    assert_int_equal(load(&c, "inputs:\n  netflow:\n", &err), 0);
    assert_true(c.netflow);
    assert_int_equal(c.template_expiry, -1);
    sensor_config_release(&c);
}

static void test_netflow_ranges(void **state)
{
    (void)state;
    expect_error("inputs:\n  netflow:\n    batch: 1025\n",
                 "s.yaml:3: inputs.netflow.batch: expected a whole number from 1 to 1024");
    expect_error("inputs:\n  netflow:\n    batch: 0\n", "s.yaml:3: inputs.netflow.batch:");
    expect_error("inputs:\n  netflow:\n    rcvbuf: 4096\n", "s.yaml:3: inputs.netflow.rcvbuf:");
    expect_error("inputs:\n  netflow:\n    threads: 257\n", "s.yaml:3: inputs.netflow.threads:");
    expect_error("inputs:\n  netflow:\n    template_expiry: 2592001\n",
                 "s.yaml:3: inputs.netflow.template_expiry:");
    expect_error("inputs:\n  netflow:\n    max_templates: 0\n",
                 "s.yaml:3: inputs.netflow.max_templates:");
    expect_error("inputs:\n  netflow:\n    port: 2055\n    max_exporters: -1\n",
                 "s.yaml:4: inputs.netflow.max_exporters:");
    expect_error("inputs:\n  netflow:\n    max_templates_per_exporter: lots\n",
                 "s.yaml:3: inputs.netflow.max_templates_per_exporter:");
    expect_error("inputs:\n  netflow:\n    rcvbufs: 65536\n",
                 "s.yaml:3: unknown key 'inputs.netflow.rcvbufs'");
}

static void test_attribution_keys(void **state)
{
    (void)state;
    struct sensor_config c;
    struct verr err;
    static const char y[] = "attribution:\n"
                            "  radius: [/var/radacct/detail-1, /var/radacct/detail-2]\n"
                            "  radius_grace: 900\n"
                            "  radius_grace_multiple: 3\n"
                            "  utc_offset: \"-05:30\"\n"
                            "inputs:\n"
                            "  utc_offset: Z\n";

    assert_int_equal(load(&c, y, &err), 0);
    assert_int_equal(c.radius.n, 2);
    assert_string_equal(c.radius.items[1], "/var/radacct/detail-2");
    assert_int_equal(c.radius_grace_s, 900);
    assert_int_equal(c.radius_grace_multiple, 3);
    assert_int_equal(c.attrib_utc_offset, -(5 * 3600 + 30 * 60));
    assert_int_equal(c.input_utc_offset, 0);
    sensor_config_release(&c);

    expect_error("attribution:\n  radius_grace: 0\n", "s.yaml:2: attribution.radius_grace:");
    expect_error("attribution:\n  radius_grace: 2592001\n", "s.yaml:2: attribution.radius_grace:");
    expect_error("attribution:\n  radius_grace_multiple: 101\n",
                 "s.yaml:2: attribution.radius_grace_multiple:");
    expect_error("log:\n  level: info\nattribution:\n  utc_offset: +15:00\n",
                 "s.yaml:4: attribution.utc_offset: expected an offset from UTC");
    expect_error("inputs:\n  utc_offset: 7h\n", "s.yaml:2: inputs.utc_offset:");
}

static void test_utc_offset(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int32_t want; /* seconds east; INT32_MIN: refused */
    } cases[] = {
        {"+07:00", 25200},
        {"+0700", 25200},
        {"7", 25200},
        {"+7", 25200},
        {"-05:30", -19800},
        {"-0530", -19800},
        {"0", 0},
        {"Z", 0},
        {"utc", 0},
        {"+14:00", 50400},
        {"-12:00", -43200},
        {"+5:45", 20700},
        {"+14:01", INT32_MIN},
        {"-12:30", INT32_MIN},
        {"+07:60", INT32_MIN},
        {"", INT32_MIN},
        {"+", INT32_MIN},
        {"+07:0", INT32_MIN},
        {"700", INT32_MIN},
        {"+07:00x", INT32_MIN},
        {"25200", INT32_MIN},
        {"a", INT32_MIN},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int32_t got = 12345;
        int rc = sensor_parse_utc_offset(cases[i].s, strlen(cases[i].s), &got);
        if (cases[i].want == INT32_MIN) {
            if (rc != -EINVAL || got != 12345)
                fail_msg("'%s' should be refused", cases[i].s);
        } else if (rc != 0 || got != cases[i].want) {
            fail_msg("'%s': rc %d, got %d, want %d", cases[i].s, rc, got, cases[i].want);
        }
    }
}

int main(void)
{
    i18n_set(LANG_EN); /* messages compared in English */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),       cmocka_unit_test(test_netflow_keys),
        cmocka_unit_test(test_netflow_ranges), cmocka_unit_test(test_attribution_keys),
        cmocka_unit_test(test_utc_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
