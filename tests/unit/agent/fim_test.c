/* File integrity: baseline, then added / changed / removed, and a saved
 * baseline reporting what changed while the agent was away. */
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

#include "agent/fim.h"

struct seen {
    char action[8][16];
    char path[8][256];
    char sha[8][65];
    char changed[8][64];
    int n;
};

static int record(void *ctx, json_t *ev)
{
    struct seen *s = ctx;
    json_t *file = json_object_get(ev, "file");
    json_t *ch = json_object_get(json_object_get(ev, "fim"), "changed");
    char *c = ch ? json_dumps(ch, JSON_COMPACT) : NULL;

    assert_true(s->n < 8);
    assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "event"), "dataset")),
                        "fim");
    snprintf(s->action[s->n], 16, "%s",
             json_string_value(json_object_get(json_object_get(ev, "event"), "action")));
    snprintf(s->path[s->n], 256, "%s", json_string_value(json_object_get(file, "path")));
    const char *h = json_string_value(json_object_get(json_object_get(file, "hash"), "sha256"));
    snprintf(s->sha[s->n], 65, "%s", h ? h : "");
    snprintf(s->changed[s->n], 64, "%s", c ? c : "");
    free(c);
    s->n++;
    json_decref(ev);
    return 0;
}

static void put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* A fresh directory in dir (64 bytes), file name under it in a (128). */
static void make_dir(char *dir, char *a, const char *name)
{
    snprintf(dir, 64, "/tmp/vigil-fim-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(a, 128, "%s/%s", dir, name);
}

static void test_fim(void **state)
{
    char dir[64], a[128], b[128], st[128];
    char *paths[1];
    struct fim *f = NULL;
    struct seen s = {0};
    struct verr e;

    (void)state;
    make_dir(dir, a, "a.conf");
    snprintf(b, sizeof(b), "%s/b.conf", dir);
    snprintf(st, sizeof(st), "/tmp/vigil-fim-state-%d.json", (int)getpid());
    put(a, "alpha\n");
    paths[0] = dir;
    verr_init(&e);
    assert_int_equal(fim_open(paths, 1, st, &f, &e), 0);
    assert_int_equal(fim_rescan(f, record, &s), 0); /* baseline: silent */
    assert_int_equal(fim_save(f), 0);

    put(b, "abc"); /* added */
    assert_int_equal(chmod(a, 0600), 0);
    assert_int_equal(fim_rescan(f, record, &s), 2);
    assert_string_equal(s.action[0], "changed");
    assert_string_equal(s.path[0], a);
    assert_string_equal(s.changed[0], "[\"mode\"]");
    assert_string_equal(s.action[1], "added");
    assert_string_equal(s.path[1], b);
    /* SHA-256("abc"), FIPS 180-2 appendix B.1 */
    assert_string_equal(s.sha[1],
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(fim_rescan(f, record, &s), 0); /* nothing new */
    assert_int_equal(fim_save(f), 0);
    fim_free(f);

    /* while "the agent is down": b removed, a's content changed */
    unlink(b);
    put(a, "ALPHA\n");
    assert_int_equal(fim_open(paths, 1, st, &f, &e), 0);
    assert_int_equal(fim_rescan(f, record, &s), 2);
    assert_string_equal(s.action[2], "changed");
    assert_non_null(strstr(s.changed[2], "hash"));
    assert_string_equal(s.action[3], "removed");
    assert_string_equal(s.path[3], b);
    fim_free(f);
    unlink(a);
    unlink(st);
    rmdir(dir);
}

static void test_inotify_notices(void **state)
{
    char dir[64], a[128];
    char *paths[1];
    struct fim *f = NULL;
    struct seen s = {0};
    struct verr e;

    (void)state;
    make_dir(dir, a, "new.conf");
    paths[0] = dir;
    verr_init(&e);
    assert_int_equal(fim_open(paths, 1, NULL, &f, &e), 0);
    assert_true(fim_fd(f) >= 0);
    assert_int_equal(fim_rescan(f, record, &s), 0);
    assert_int_equal(fim_poll(f, record, &s), 0); /* no inotify event yet */
    put(a, "x");
    assert_int_equal(fim_poll(f, record, &s), 1);
    assert_string_equal(s.action[0], "added");
    fim_free(f);
    unlink(a);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fim),
        cmocka_unit_test(test_inotify_notices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
