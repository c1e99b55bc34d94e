/* Unit tests for src/server/metrics.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "server/metrics.h"

static void test_render(void **state)
{
    struct metrics m;
    struct buf b = BUF_INIT(1 << 20);
    (void)state;

    metrics_init(&m, 1700000000);
    metrics_count_request(&m, 200);
    metrics_count_request(&m, 200);
    metrics_count_request(&m, 401);
    metrics_count_request(&m, 999); /* ignored */
    m.auth_failures = 1;
    m.imports[IMPORT_OK] = 3;
    m.imports[IMPORT_CONFLICT] = 1;
    json_t *stats =
        json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "units", 2, "systems", 5, "versions", 4,
                  "indicators", 1234, "findings_open", 7, "findings_resolved", 1, "tokens", 3);
    assert_int_equal(metrics_render(&m, stats, &b), 0);
    json_decref(stats);
    const char *t = buf_str(&b);
    static const char *const want[] = {
        "\nvigil_http_requests_total{code=\"200\"} 2\n",
        "\nvigil_http_requests_total{code=\"401\"} 1\n",
        "\nvigil_http_auth_failures_total 1\n",
        "\nvigil_feed_imports_total{result=\"ok\"} 3\n",
        "\nvigil_feed_imports_total{result=\"conflict\"} 1\n",
        "\nvigil_feed_imports_total{result=\"rejected\"} 0\n",
        "\nvigil_units 2\n",
        "\nvigil_systems 5\n",
        "\nvigil_feed_versions 4\n",
        "\nvigil_indicators 1234\n",
        "\nvigil_findings{status=\"open\"} 7\n",
        "\nvigil_findings{status=\"resolved\"} 1\n",
        "\nvigil_findings{status=\"in_progress\"} 0\n",
        "\nprocess_start_time_seconds 1700000000\n",
        "# TYPE vigil_http_requests_total counter\n",
        "# TYPE vigil_units gauge\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(t, want[i]))
            fail_msg("missing %s in:\n%s", want[i], t);
    assert_null(strstr(t, "code=\"999\""));
    assert_null(strstr(t, "code=\"404\""));
    /* every line is a comment or "name value" */
    for (const char *p = t; *p;) {
        const char *e = strchr(p, '\n');
        assert_non_null(e);
        if (*p != '#')
            assert_non_null(memchr(p, ' ', (size_t)(e - p)));
        p = e + 1;
    }
    buf_release(&b);

    /* without store stats the gauges are left out */
    assert_int_equal(metrics_render(&m, NULL, &b), 0);
    assert_null(strstr(buf_str(&b), "vigil_units"));
    assert_non_null(strstr(buf_str(&b), "process_start_time_seconds"));
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
