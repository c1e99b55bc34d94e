/* Process memory scanning: what is never scanned (our own process, our
 * children, which may hold a copy of the rules), what is too big to scan
 * (more readable memory than MEMSCAN_MAX_READABLE), and a process that
 * has exited. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scan/memscan.h"

static struct scan_rules *rules;

static int setup(void **state)
{
    (void)state;
    struct scan_rule_text t = {"m.yar", "rule M { strings: $a = \"memscan-test-marker\" "
                                        "condition: $a }"};
    struct verr e;
    verr_init(&e);
    return scan_rules_load_mem(&t, 1, &rules, &e);
}

static int teardown(void **state)
{
    (void)state;
    scan_rules_free(rules);
    return 0;
}

static struct memscan_stats scan_pid(pid_t pid)
{
    struct memscan_stats st;
    struct verr e;
    verr_init(&e);
    assert_int_equal(memscan_run(rules, &pid, 1, 5, NULL, NULL, &st, &e), 0);
    return st;
}

static void test_self_and_child_skipped(void **state)
{
    (void)state;
    assert_int_equal(scan_pid(getpid()).n_skipped, 1);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        pause();
        _exit(0);
    }
    struct memscan_stats st = scan_pid(child);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    assert_int_equal(st.n_skipped, 1);
    assert_int_equal(st.n_procs, 0);
}

/* A process (not ours: a grandchild whose parent has exited) with 65 GiB
 * of readable address space is counted, not read. */
static void test_too_big(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        pid_t g = fork();
        if (g == 0) {
            void *m = mmap(NULL, (size_t)65 << 30, PROT_READ,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            pid_t self = m == MAP_FAILED ? -1 : getpid();
            if (write(p[1], &self, sizeof(self)) != sizeof(self))
                _exit(1);
            pause();
            _exit(0);
        }
        _exit(g > 0 ? 0 : 1);
    }
    pid_t g = 0;
    assert_int_equal(read(p[0], &g, sizeof(g)), (ssize_t)sizeof(g));
    waitpid(child, NULL, 0);
    assert_true(g > 0); /* the mapping was made */
    struct memscan_stats st = scan_pid(g);
    kill(g, SIGKILL);
    assert_int_equal(st.n_too_big, 1);
    assert_int_equal(st.n_procs, 0);
    close(p[0]);
    close(p[1]);
}

static void test_exited(void **state)
{
    (void)state;
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    struct memscan_stats st = scan_pid(child);
    assert_int_equal(st.n_procs + st.n_detected, 0);
    assert_int_equal(st.n_vanished, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_and_child_skipped),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_exited),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
