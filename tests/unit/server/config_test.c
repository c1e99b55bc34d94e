/* Unit tests for src/server/config.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "base/i18n.h"
#include "server/config.h"

static int load(struct config *c, const char *text, struct verr *err)
{
    verr_init(err);
    return config_load_text(c, "test.yaml", text, strlen(text), err);
}

static void test_defaults(void **state)
{
    struct config c;
    (void)state;
    config_init(&c);
    assert_string_equal(c.listen, "127.0.0.1:8443");
    assert_string_equal(c.data_dir, "/var/lib/vigil");
    assert_int_equal(c.ingest_port, 8444); /* docs/agent-protocol.md */
    assert_null(c.tls_cert);
    assert_int_equal(c.max_body_bytes, 256u * 1024 * 1024);
    assert_int_equal(c.max_json_bytes, 1024u * 1024);
    assert_int_equal(c.import.max_errors, 1000);
    assert_int_equal(c.import.max_error_pct, 1);
    assert_false(c.lang_set);
    config_release(&c);
}

static void test_full(void **state)
{
    static const char text[] = "listen: \"[::1]:9443\"\n"
                               "data_dir: /srv/vigil\n"
                               "tls:\n"
                               "  cert: /etc/vigil/c.pem\n"
                               "  key: /etc/vigil/k.pem\n"
                               "log:\n"
                               "  level: debug\n"
                               "lang: en\n"
                               "limits:\n"
                               "  max_body_bytes: 64MiB\n"
                               "  max_json_bytes: 2048\n"
                               "  max_connections: 10\n"
                               "import:\n"
                               "  max_errors: 5\n"
                               "  max_error_pct: 20\n"
                               "  max_line_bytes: 1KiB\n"
                               "  max_indicators: 1000\n";
    struct config c;
    struct verr err;
    (void)state;
    config_init(&c);
    assert_int_equal(load(&c, text, &err), 0);
    assert_string_equal(c.listen, "[::1]:9443");
    assert_string_equal(c.data_dir, "/srv/vigil");
    assert_string_equal(c.tls_cert, "/etc/vigil/c.pem");
    assert_string_equal(c.tls_key, "/etc/vigil/k.pem");
    assert_int_equal(c.log_level, LOG_LVL_DEBUG);
    assert_true(c.lang_set);
    assert_int_equal(c.lang, LANG_EN);
    assert_int_equal(c.max_body_bytes, 64u * 1024 * 1024);
    assert_int_equal(c.max_json_bytes, 2048);
    assert_int_equal(c.max_connections, 10);
    assert_int_equal(c.import.max_errors, 5);
    assert_int_equal(c.import.max_error_pct, 20);
    assert_int_equal(c.import.max_line, 1024);
    assert_int_equal(c.import.max_indicators, 1000);
    config_release(&c);
}

static void test_empty_is_defaults(void **state)
{
    struct config c;
    struct verr err;
    (void)state;
    config_init(&c);
    assert_int_equal(load(&c, "", &err), 0);
    assert_int_equal(load(&c, "# only a comment\n", &err), 0);
    assert_string_equal(c.listen, "127.0.0.1:8443");
    config_release(&c);
}

/* Each bad document must fail with "test.yaml:<line>:" and name the key. */
static void test_errors_name_line_and_key(void **state)
{
    static const struct {
        const char *text;
        const char *want_prefix;
        const char *want_key;
    } cases[] = {
        {"listen: 127.0.0.1:1\nlimits:\n  max_bodi_bytes: 5\n",
         "test.yaml:3:", "limits.max_bodi_bytes"},
        {"color: blue\n", "test.yaml:1:", "color"},
        {"data_dir: /x\nlimits:\n  max_connections: 0\n", "test.yaml:3:", "limits.max_connections"},
        {"\n\nimport:\n  max_error_pct: 101\n", "test.yaml:4:", "import.max_error_pct"},
        {"lang: fr\n", "test.yaml:1:", "lang"},
        {"log:\n  level: loud\n", "test.yaml:2:", "log.level"},
        {"listen: localhost:80\n", "test.yaml:1:", "listen"},
        {"listen: 127.0.0.1:70000\n", "test.yaml:1:", "listen"},
        {"data_dir: relative/dir\n", "test.yaml:1:", "data_dir"},
        {"tls: yes\n", "test.yaml:1:", "tls"},
        {"limits:\n  max_json_bytes: [1, 2]\n", "test.yaml:2:", "limits.max_json_bytes"},
        {"limits:\n  max_body_bytes: 12abc\n", "test.yaml:2:", "limits.max_body_bytes"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct config c;
        struct verr err;
        config_init(&c);
        assert_int_equal(load(&c, cases[i].text, &err), -EINVAL);
        if (strncmp(err.msg, cases[i].want_prefix, strlen(cases[i].want_prefix)) != 0 ||
            !strstr(err.msg, cases[i].want_key))
            fail_msg("case %zu: got '%s'", i, err.msg);
        config_release(&c);
    }
}

static void test_syntax_error_has_line(void **state)
{
    struct config c;
    struct verr err;
    (void)state;
    config_init(&c);
    assert_int_equal(load(&c, "listen: 127.0.0.1:1\nlimits: [\n  a: b\n", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "test.yaml:"));
    /* a duplicate key is an error too */
    assert_int_equal(load(&c, "lang: vi\nlang: en\n", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "test.yaml:2"));
    config_release(&c);
}

static void test_tls_pair_and_json_cap(void **state)
{
    struct config c;
    struct verr err;
    (void)state;
    config_init(&c);
    assert_int_equal(load(&c, "tls:\n  cert: /a.pem\n", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "tls.key"));
    config_release(&c);
    config_init(&c);
    assert_int_equal(load(&c, "limits:\n  max_body_bytes: 2048\n  max_json_bytes: 4096\n", &err),
                     -EINVAL);
    config_release(&c);
}

static void test_parse_listen(void **state)
{
    char host[CONFIG_HOST_MAX];
    uint16_t port = 0;
    (void)state;
    assert_int_equal(config_parse_listen("127.0.0.1:8443", host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8443);
    assert_int_equal(config_parse_listen("[::1]:1", host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 1);
    assert_int_equal(config_parse_listen("0.0.0.0:65535", host, &port), 0);
    assert_int_equal(port, 65535);
    assert_int_equal(config_parse_listen("127.0.0.1:0", host, &port), -EINVAL);
    assert_int_equal(config_parse_listen("127.0.0.1:", host, &port), -EINVAL);
    assert_int_equal(config_parse_listen("127.0.0.1", host, &port), -EINVAL);
    assert_int_equal(config_parse_listen("::1:80", host, &port), -EINVAL);
    assert_int_equal(config_parse_listen("300.0.0.1:80", host, &port), -EINVAL);
    assert_int_equal(config_parse_listen("[::1:80", host, &port), -EINVAL);
    assert_int_equal(config_parse_listen("1.2.3.4:+80", host, &port), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_empty_is_defaults),
        cmocka_unit_test(test_errors_name_line_and_key),
        cmocka_unit_test(test_syntax_error_has_line),
        cmocka_unit_test(test_tls_pair_and_json_cap),
        cmocka_unit_test(test_parse_listen),
    };
    i18n_set(LANG_EN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
