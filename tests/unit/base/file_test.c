#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/log.h"

static char dir[] = "/tmp/vigil-file-test-XXXXXX";

static void test_write_read(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof(path), "%s/a/b/c", dir);
    assert_int_equal(mkdir_p(path, 0700), 0);
    assert_int_equal(mkdir_p(path, 0700), 0); /* existing is fine */
    snprintf(path, sizeof(path), "%s/a/b/c/token", dir);
    assert_int_equal(file_write_atomic(path, "secret\n", 7, 0600), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *data;
    size_t n;
    assert_int_equal(file_read_all(path, 100, &data, &n), 0);
    assert_int_equal(n, 7);
    assert_string_equal(data, "secret\n");
    free(data);
    assert_int_equal(file_read_all(path, 6, &data, &n), -EFBIG);
    /* Overwrite replaces whole content. */
    assert_int_equal(file_write_atomic(path, "x", 1, 0600), 0);
    assert_int_equal(file_read_all(path, 100, &data, &n), 0);
    assert_string_equal(data, "x");
    free(data);
    snprintf(path, sizeof(path), "%s/missing", dir);
    assert_int_equal(file_read_all(path, 100, &data, &n), -ENOENT);
    snprintf(path, sizeof(path), "%s/a", dir);
    assert_int_equal(file_read_all(path, 100, &data, &n), -EISDIR);
}

static void test_log_format(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof(path), "%s/log", dir);
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    assert_true(fd >= 0);
    log_set_fd(fd);
    log_set_level(LOG_LVL_INFO);
    log_kv(LOG_LVL_DEBUG, "hidden", NULL);
    log_kv(LOG_LVL_INFO, "feed imported", "feed", "ais-botnet", "evil", "a\nlevel=error x=\"y\"",
           NULL);
    log_set_fd(2);
    close(fd);
    char *data;
    size_t n;
    assert_int_equal(file_read_all(path, 4096, &data, &n), 0);
    /* One line only: the newline in a value cannot forge a second record. */
    assert_non_null(strchr(data, '\n'));
    assert_ptr_equal(strchr(data, '\n'), data + n - 1);
    assert_null(strstr(data, "hidden"));
    assert_non_null(strstr(data, " level=info msg=\"feed imported\" feed=ais-botnet "
                                 "evil=\"a\\nlevel=error x=\\\"y\\\"\"\n"));
    assert_true(strncmp(data, "ts=", 3) == 0);
    free(data);
    enum log_level l;
    assert_int_equal(log_parse_level("warn", &l), 0);
    assert_int_equal(l, LOG_LVL_WARN);
    assert_int_equal(log_parse_level("loud", &l), -EINVAL);
}

static void test_path_join(void **state)
{
    (void)state;
    char *p = path_join("/var/lib/vigil", "admin.token");
    assert_string_equal(p, "/var/lib/vigil/admin.token");
    free(p);
    p = path_join("", "rules.yar");
    assert_string_equal(p, "rules.yar");
    free(p);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_read),
        cmocka_unit_test(test_log_format),
        cmocka_unit_test(test_path_join),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "%s", dir);
    /* best-effort cleanup of the temp tree */
    char p1[300];
    snprintf(p1, sizeof(p1), "%s/a/b/c/token", dir); unlink(p1);
    snprintf(p1, sizeof(p1), "%s/a/b/c", dir); rmdir(p1);
    snprintf(p1, sizeof(p1), "%s/a/b", dir); rmdir(p1);
    snprintf(p1, sizeof(p1), "%s/a", dir); rmdir(p1);
    snprintf(p1, sizeof(p1), "%s/log", dir); unlink(p1);
    rmdir(cmd);
    return r;
}
