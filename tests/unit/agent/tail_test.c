/* tail: rotation by rename and copytruncate, partial lines, long lines,
 * and state persistence, on hand-made files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/tail.h"

#define MAX_LINES 64

struct got {
    char lines[MAX_LINES][128];
    uint64_t offsets[MAX_LINES];
    bool truncated[MAX_LINES];
    int n;
    int fail_after; /* fail the call after this many lines; -1 never */
};

static int collect(void *ctx, const struct tail_line *l)
{
    struct got *g = ctx;

    if (g->fail_after >= 0 && g->n >= g->fail_after)
        return -EAGAIN;
    assert_true(g->n < MAX_LINES);
    snprintf(g->lines[g->n], sizeof(g->lines[0]), "%.*s", (int)l->len, l->p);
    g->offsets[g->n] = l->offset;
    g->truncated[g->n] = l->truncated;
    g->n++;
    return 0;
}

struct fx {
    char dir[64];
    char log[128];
    char state[128];
    char glob[128];
};

static void append(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-tail-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->log, sizeof(f->log), "%s/app.log", f->dir);
    snprintf(f->state, sizeof(f->state), "%s/tail.json", f->dir);
    snprintf(f->glob, sizeof(f->glob), "%s/*.log", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "%s/app.log.1", f->dir);
    unlink(cmd);
    unlink(f->log);
    unlink(f->state);
    rmdir(f->dir);
    free(f);
    return 0;
}

static struct tail *open_tail(struct fx *f, size_t max_line)
{
    struct tail *t = NULL;
    char *globs[] = {f->glob};
    struct verr e;
    verr_init(&e);
    assert_int_equal(tail_open(globs, 1, max_line, f->state, &t, &e), 0);
    return t;
}

static void test_partial_lines(void **state)
{
    struct fx *f = *state;
    struct got g = {.fail_after = -1};
    struct tail *t = open_tail(f, 1024);

    append(f->log, "one\ntw");
    assert_int_equal(tail_poll(t, 1 << 20, 0, collect, &g), 1);
    assert_string_equal(g.lines[0], "one");
    append(f->log, "o\nthree");
    assert_int_equal(tail_poll(t, 1 << 20, 0, collect, &g), 1);
    assert_string_equal(g.lines[1], "two");
    assert_int_equal(g.offsets[1], 4);
    append(f->log, "\n");
    assert_int_equal(tail_poll(t, 1 << 20, 0, collect, &g), 1);
    assert_string_equal(g.lines[2], "three");
    assert_int_equal(g.offsets[2], 8);
    tail_free(t);
}

static void test_long_line_cut(void **state)
{
    struct fx *f = *state;
    struct got g = {.fail_after = -1};
    struct tail *t = open_tail(f, 16);

    append(f->log, "0123456789abcdefXYZ\nok\n");
    assert_int_equal(tail_poll(t, 1 << 20, 0, collect, &g), 3);
    assert_string_equal(g.lines[0], "0123456789abcdef");
    assert_true(g.truncated[0]);
    assert_string_equal(g.lines[1], "XYZ");
    assert_false(g.truncated[1]);
    assert_string_equal(g.lines[2], "ok");
    assert_int_equal(g.offsets[2], 20);
    tail_free(t);
}

static void test_rotate_rename(void **state)
{
    struct fx *f = *state;
    struct got g = {.fail_after = -1};
    struct tail *t = open_tail(f, 1024);
    char old[160];

    snprintf(old, sizeof(old), "%s.1", f->log);
    append(f->log, "a1\na2\n");
    assert_int_equal(tail_poll(t, 1 << 20, 0, collect, &g), 2);
    append(f->log, "a3\n"); /* written, not yet read, when the log is renamed */
    assert_int_equal(rename(f->log, old), 0);
    append(old, "a4\n"); /* the writer has not reopened yet */
    append(f->log, "b1\n");
    assert_int_equal(tail_poll(t, 1 << 20, 1, collect, &g), 3);
    assert_string_equal(g.lines[2], "a3");
    assert_string_equal(g.lines[3], "a4");
    assert_string_equal(g.lines[4], "b1");
    assert_int_equal(g.offsets[4], 0);
    /* after the grace period the old file is let go; nothing repeats */
    append(f->log, "b2\n");
    assert_int_equal(tail_poll(t, 1 << 20, 1 + TAIL_ROTATED_GRACE_S, collect, &g), 1);
    assert_int_equal(tail_poll(t, 1 << 20, 10 + TAIL_ROTATED_GRACE_S, collect, &g), 0);
    assert_string_equal(g.lines[5], "b2");
    tail_free(t);
}

static void test_copytruncate(void **state)
{
    struct fx *f = *state;
    struct got g = {.fail_after = -1};
    struct tail *t = open_tail(f, 1024);

    append(f->log, "first line\nsecond line\n");
    assert_int_equal(tail_poll(t, 1 << 20, 0, collect, &g), 2);
    assert_int_equal(truncate(f->log, 0), 0);
    append(f->log, "new\n");
    assert_int_equal(tail_poll(t, 1 << 20, 0, collect, &g), 1);
    assert_string_equal(g.lines[2], "new");
    assert_int_equal(g.offsets[2], 0);
    tail_free(t);
}

static void test_state_persists(void **state)
{
    struct fx *f = *state;
    struct got g = {.fail_after = -1};
    struct tail *t = open_tail(f, 1024);

    append(f->log, "l1\nl2\n");
    assert_int_equal(tail_poll(t, 1 << 20, 0, collect, &g), 2);
    assert_int_equal(tail_save(t, 3), 0);
    tail_free(t);

    append(f->log, "l3\n");
    t = open_tail(f, 1024);
    assert_int_equal(tail_saved_seq(t), 3);
    assert_int_equal(tail_poll(t, 1 << 20, 0, collect, &g), 1);
    assert_string_equal(g.lines[2], "l3");
    assert_int_equal(g.offsets[2], 6);
    tail_free(t);
}

static void test_advance_skips_spooled(void **state)
{
    struct fx *f = *state;
    struct got g = {.fail_after = -1};
    struct tail *t = open_tail(f, 1024);
    struct stat st;

    append(f->log, "x1\nx2\nx3\n");
    assert_int_equal(stat(f->log, &st), 0);
    tail_advance(t, f->log, st.st_ino, 6); /* x1, x2 already spooled */
    assert_int_equal(tail_poll(t, 1 << 20, 0, collect, &g), 1);
    assert_string_equal(g.lines[0], "x3");
    tail_free(t);
}

static void test_failed_emit_rereads(void **state)
{
    struct fx *f = *state;
    struct got g = {.fail_after = 1};
    struct tail *t = open_tail(f, 1024);

    append(f->log, "p1\np2\np3\n");
    assert_true(tail_poll(t, 1 << 20, 0, collect, &g) < 0);
    assert_int_equal(g.n, 1);
    g.fail_after = -1;
    assert_int_equal(tail_poll(t, 1 << 20, 0, collect, &g), 2);
    assert_string_equal(g.lines[1], "p2");
    assert_string_equal(g.lines[2], "p3");
    tail_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_partial_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_line_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copytruncate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_persists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_advance_skips_spooled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_emit_rereads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
