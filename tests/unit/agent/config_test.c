/* Agent configuration: values, lists, and errors naming line and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "agent/config.h"

static int load(struct agent_config *c, const char *text, struct verr *e)
{
    verr_init(e);
    return agent_config_load_text(c, "agent.yaml", text, strlen(text), e);
}

static void test_values(void **state)
{
    struct agent_config c;
    struct verr e;

    (void)state;
    agent_config_init(&c);
    assert_string_equal(c.data_dir, "/var/lib/vigil-agent");
    assert_int_equal(load(&c,
                          "server:\n  host: vigil.example.vn\n  ingest_port: 9444\n"
                          "data_dir: /srv/agent\nspool:\n  max_bytes: 64MiB\n"
                          "logs:\n  files: [/var/log/*.log, /var/log/app/*.log]\n"
                          "  journald: yes\nfim:\n  paths: [/etc]\n  rescan_seconds: 600\n"
                          "privsep:\n  user: vigil\n  seccomp: false\n",
                          &e),
                     0);
    assert_string_equal(c.server_host, "vigil.example.vn");
    assert_int_equal(c.ingest_port, 9444);
    assert_string_equal(c.data_dir, "/srv/agent");
    assert_int_equal(c.spool_max_bytes, 64u << 20);
    assert_int_equal(c.n_log_files, 2);
    assert_string_equal(c.log_files[1], "/var/log/app/*.log");
    assert_true(c.journald);
    assert_int_equal(c.n_fim_paths, 1);
    assert_int_equal(c.fim_rescan_s, 600);
    assert_string_equal(c.user, "vigil");
    assert_false(c.seccomp);
    agent_config_release(&c);
}

static void test_errors(void **state)
{
    struct agent_config c;
    struct verr e;

    (void)state;
    agent_config_init(&c);
    assert_int_equal(load(&c, "server:\n  hots: x\n", &e), -EINVAL);
    assert_non_null(strstr(e.msg, "agent.yaml:2"));
    assert_non_null(strstr(e.msg, "server.hots"));
    assert_int_equal(load(&c, "logs:\n  files: [relative/*.log]\n", &e), -EINVAL);
    assert_non_null(strstr(e.msg, "logs.files"));
    assert_int_equal(load(&c, "spool:\n  max_bytes: 1KiB\n", &e), -EINVAL);
    assert_int_equal(load(&c, "logs:\n  journald: maybe\n", &e), -EINVAL);
    assert_int_equal(load(&c, "data_dir: [a]\n", &e), -EINVAL);
    agent_config_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
