/* Inventory parsers on hand-written samples (tests/data/agent/), and the
 * delta by natural key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "agent/inventory.h"
#include "base/file.h"

static char *load(const char *name, size_t *len)
{
    char *text = NULL;
    assert_int_equal(file_read_all(name, 1 << 20, &text, len), 0);
    return text;
}

static const char *sget(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static json_int_t iget(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static void test_dpkg(void **state)
{
    size_t len;
    char *t = load("agent/dpkg_status", &len);
    json_t *a = inv_parse_dpkg(t, len);

    (void)state;
    /* openssl (installed) and tzdata (held, installed); not the removed or
     * half-installed ones */
    assert_int_equal(json_array_size(a), 2);
    assert_string_equal(sget(json_array_get(a, 0), "name"), "openssl");
    assert_string_equal(sget(json_array_get(a, 0), "version"), "3.0.11-1~deb12u2");
    assert_string_equal(sget(json_array_get(a, 0), "arch"), "amd64");
    assert_string_equal(sget(json_array_get(a, 0), "source"), "dpkg");
    assert_string_equal(sget(json_array_get(a, 1), "name"), "tzdata");
    assert_string_equal(sget(json_array_get(a, 1), "arch"), "all");
    json_decref(a);
    free(t);
}

static void test_passwd_group(void **state)
{
    size_t len;
    char *t = load("agent/passwd", &len);
    json_t *a = inv_parse_passwd(t, len), *g;

    (void)state;
    assert_int_equal(json_array_size(a), 3);
    assert_string_equal(sget(json_array_get(a, 0), "name"), "root");
    assert_int_equal(iget(json_array_get(a, 0), "uid"), 0);
    assert_string_equal(sget(json_array_get(a, 0), "shell"), "/bin/bash");
    assert_string_equal(sget(json_array_get(a, 2), "name"), "nobody");
    assert_int_equal(iget(json_array_get(a, 2), "uid"), 65534);
    assert_string_equal(sget(json_array_get(a, 2), "home"), "/nonexistent");
    json_decref(a);
    free(t);

    t = load("agent/group", &len);
    a = inv_parse_group(t, len);
    assert_int_equal(json_array_size(a), 3);
    g = json_array_get(a, 1);
    assert_string_equal(sget(g, "name"), "sudo");
    assert_int_equal(iget(g, "gid"), 27);
    assert_int_equal(json_array_size(json_object_get(g, "members")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(g, "members"), 1)), "bob");
    assert_int_equal(json_array_size(json_object_get(json_array_get(a, 0), "members")), 0);
    json_decref(a);
    free(t);
}

static void test_proc_net(void **state)
{
    size_t len;
    char *t = load("agent/proc_net_tcp", &len);
    json_t *lis = json_array(), *con = json_array(), *o;

    (void)state;
    inv_parse_proc_net(t, len, "tcp", false, lis, con);
    free(t);
    t = load("agent/proc_net_tcp6", &len);
    inv_parse_proc_net(t, len, "tcp", true, lis, con);
    free(t);

    assert_int_equal(json_array_size(lis), 2);
    o = json_array_get(lis, 0);
    assert_string_equal(sget(o, "addr"), "127.0.0.1");
    assert_int_equal(iget(o, "port"), 22);
    assert_int_equal(iget(o, "inode"), 12345);
    o = json_array_get(lis, 1);
    assert_string_equal(sget(o, "addr"), "::1");
    assert_int_equal(iget(o, "port"), 443);

    /* the TIME_WAIT socket is neither */
    assert_int_equal(json_array_size(con), 1);
    o = json_array_get(con, 0);
    assert_string_equal(sget(o, "local_addr"), "10.0.2.15");
    assert_int_equal(iget(o, "local_port"), 80);
    assert_string_equal(sget(o, "remote_addr"), "10.0.2.100");
    assert_int_equal(iget(o, "remote_port"), 50000);
    json_decref(lis);
    json_decref(con);
}

static void test_crontab_os_release(void **state)
{
    size_t len;
    char *t = load("agent/crontab", &len);
    json_t *a = json_array(), *o;

    (void)state;
    inv_parse_crontab(t, len, "/etc/crontab", true, a);
    free(t);
    assert_int_equal(json_array_size(a), 2);
    o = json_array_get(a, 0);
    assert_string_equal(sget(o, "schedule"), "17 *\t* * *");
    assert_string_equal(sget(o, "user"), "root");
    assert_string_equal(sget(o, "command"), "cd / && run-parts --report /etc/cron.hourly");
    o = json_array_get(a, 1);
    assert_string_equal(sget(o, "schedule"), "@reboot");
    assert_string_equal(sget(o, "command"), "/usr/local/bin/at-boot");
    json_decref(a);

    t = load("agent/os-release", &len);
    o = inv_parse_os_release(t, len);
    free(t);
    assert_string_equal(sget(o, "id"), "debian");
    assert_string_equal(sget(o, "version_id"), "12");
    assert_string_equal(sget(o, "pretty_name"), "Debian GNU/Linux 12 (bookworm)");
    assert_string_equal(sget(o, "codename"), "bookworm");
    json_decref(o);
}

static void test_delta(void **state)
{
    json_t *old =
        json_loads("{\"hostname\":\"a\",\"packages\":["
                   "{\"name\":\"x\",\"arch\":\"amd64\",\"source\":\"dpkg\",\"version\":\"1\"},"
                   "{\"name\":\"y\",\"arch\":\"amd64\",\"source\":\"dpkg\",\"version\":\"1\"}],"
                   "\"users\":[{\"name\":\"root\",\"uid\":0}]}",
                   0, NULL);
    json_t *now =
        json_loads("{\"hostname\":\"a\",\"packages\":["
                   "{\"name\":\"x\",\"arch\":\"amd64\",\"source\":\"dpkg\",\"version\":\"2\"},"
                   "{\"name\":\"z\",\"arch\":\"all\",\"source\":\"dpkg\",\"version\":\"1\"}],"
                   "\"users\":[{\"name\":\"root\",\"uid\":0}]}",
                   0, NULL);
    json_t *d, *added, *removed;

    (void)state;
    assert_null(inventory_delta(old, old));
    d = inventory_delta(old, now);
    assert_non_null(d);
    added = json_object_get(d, "added");
    removed = json_object_get(d, "removed");
    /* x changed (version), z added, y removed; users and hostname unchanged */
    assert_int_equal(json_array_size(json_object_get(added, "packages")), 2);
    assert_null(json_object_get(added, "users"));
    assert_null(json_object_get(added, "hostname"));
    assert_int_equal(json_array_size(json_object_get(removed, "packages")), 1);
    assert_string_equal(sget(json_array_get(json_object_get(removed, "packages"), 0), "name"), "y");
    json_decref(d);
    json_decref(old);
    json_decref(now);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dpkg),     cmocka_unit_test(test_passwd_group),
        cmocka_unit_test(test_proc_net), cmocka_unit_test(test_crontab_os_release),
        cmocka_unit_test(test_delta),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
