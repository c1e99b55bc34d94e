/* Unit tests for scan/walk: a generated tree and the hard cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <pthread.h>

#include "base/vtime.h"
#include "scan/walk.h"
#include "scan_test_util.h"

static struct scan_rules *rules;

static int setup(void **state)
{
    (void)state;
    char a[4096];
    snprintf(a, sizeof(a), "%s/scan/rules", test_data());
    const char *paths[] = {a};
    struct verr e;
    verr_init(&e);
    return scan_rules_load(paths, 1, &rules, &e);
}

static int teardown(void **state)
{
    (void)state;
    scan_rules_free(rules);
    return 0;
}

struct seen {
    char names[64][256];
    size_t n;
};

static void on_result(const struct scan_result *r, const struct stat *st, void *ud)
{
    (void)st;
    struct seen *s = ud;
    if (s && s->n < 64) {
        const char *b = strrchr(r->path, '/');
        snprintf(s->names[s->n++], 256, "%s", b ? b + 1 : r->path);
    }
}

static bool seen_has(const struct seen *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0)
            return true;
    return false;
}

static struct walk_stats run(const char *root, struct walk_opts *o)
{
    struct walk_stats st;
    struct verr e;
    verr_init(&e);
    const char *roots[] = {root};
    o->rules = rules;
    assert_int_equal(walk_run(roots, 1, o, &st, &e), 0);
    return st;
}

static void pathf(char *out, const char *dir, const char *name)
{
    snprintf(out, 4200, "%s/%s", dir, name);
}

/* A generated tree: detections, clean files, exclusions, FIFO, symlinks. */
static void test_tree(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char p[4200], q[4200];
    char ei[69];
    eicar(ei);
    pathf(p, dir, "sub");
    mkdir(p, 0755);
    pathf(p, dir, "sub/deeper");
    mkdir(p, 0755);
    pathf(p, dir, "eicar.com");
    write_str(p, ei);
    pathf(p, dir, "sub/deeper/marked.txt");
    write_str(p, "xx VIGIL-TEST-MALWARE-MARKER xx");
    pathf(p, dir, "sub/skipme.log");
    write_str(p, "VIGIL-TEST-MALWARE-MARKER in an excluded file");
    for (int i = 0; i < 50; i++) {
        char name[64];
        snprintf(name, sizeof(name), "sub/clean%02d.txt", i);
        pathf(p, dir, name);
        write_str(p, "harmless text\n");
    }
    pathf(p, dir, "fifo");
    assert_int_equal(mkfifo(p, 0644), 0);
    pathf(p, dir, "loop");
    assert_int_equal(symlink("loop", p), 0);
    /* a symlink out of the root to a file that would match: not followed */
    char *out = make_tmpdir();
    pathf(q, out, "outside.txt");
    write_str(q, "VIGIL-TEST-MALWARE-MARKER");
    pathf(p, dir, "to_outside");
    assert_int_equal(symlink(q, p), 0);
    pathf(p, dir, "to_outside_dir");
    assert_int_equal(symlink(out, p), 0);

    struct seen seen = {0};
    const char *ex[] = {"*.log"};
    struct walk_opts o = {
        .n_threads = 2, .on_result = on_result, .ud = &seen, .exclude = ex, .n_exclude = 1};
    struct walk_stats st = run(dir, &o);
    assert_int_equal(st.n_files, 52);
    assert_int_equal(st.n_detected, 2);
    assert_int_equal(seen.n, 2);
    assert_true(seen_has(&seen, "eicar.com"));
    assert_true(seen_has(&seen, "marked.txt"));
    assert_int_equal(st.n_excluded, 1);
    assert_int_equal(st.n_dirs, 3);
    assert_int_equal(st.n_err[WALK_ERR_SPECIAL], 1);
    assert_int_equal(st.n_err[WALK_ERR_LOOP], 1);
    assert_int_equal(st.n_err[WALK_ERR_SYMLINK], 2);

    /* a glob with '/' matches the whole path */
    char glob[4300];
    snprintf(glob, sizeof(glob), "%s/sub/*", dir);
    const char *ex2[] = {glob};
    memset(&seen, 0, sizeof(seen));
    struct walk_opts o2 = {
        .n_threads = 1, .on_result = on_result, .ud = &seen, .exclude = ex2, .n_exclude = 1};
    st = run(dir, &o2);
    assert_int_equal(st.n_files, 1); /* eicar.com; sub/deeper is excluded too */
    assert_int_equal(st.n_excluded, 52);
    rm_rf(out);
    free(out);
    rm_rf(dir);
    free(dir);
}

/* A 20 GB sparse file: skipped by the size cap at once, whatever the cap. */
static void test_sparse(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char p[4200];
    pathf(p, dir, "sparse");
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    assert_int_equal(ftruncate(fd, (off_t)20 << 30), 0);
    close(fd);
    pathf(p, dir, "small_sparse");
    fd = open(p, O_WRONLY | O_CREAT, 0644);
    assert_int_equal(ftruncate(fd, (off_t)8 << 20), 0);
    assert_int_equal(pwrite(fd, "VIGIL-TEST-MALWARE-MARKER", 25, 5 << 20), 25);
    close(fd);
    uint64_t t0 = vtime_mono_ns();
    struct walk_opts o = {.n_threads = 1};
    struct walk_stats st = run(dir, &o);
    assert_int_equal(st.n_err[WALK_ERR_TOO_BIG], 1);
    assert_int_equal(st.n_files, 1);
    assert_int_equal(st.n_detected, 1);
    /* a cap above the largest file ever read is clamped: still skipped */
    struct walk_opts big = {.n_threads = 1, .max_size = UINT64_MAX};
    st = run(dir, &big);
    assert_int_equal(st.n_err[WALK_ERR_TOO_BIG], 1);
    assert_int_equal(st.n_files, 1);
    assert_int_equal(st.n_bytes, 8u << 20); /* the small one read exactly once */
    assert_true(vtime_mono_ns() - t0 < 30ull * 1000000000);
    rm_rf(dir);
    free(dir);
}

/* Remove a chain dir/d/d/d/... with O(1) descriptors and no long paths. */
static void rm_chain(const char *top)
{
    int tfd = open(top, O_RDONLY | O_DIRECTORY);
    assert_true(tfd >= 0);
    for (;;) {
        int dfd = openat(tfd, "d", O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
            break;
        bool child = renameat(dfd, "d", tfd, "x") == 0;
        unlinkat(dfd, "m.txt", 0);
        close(dfd);
        assert_int_equal(unlinkat(tfd, "d", AT_REMOVEDIR), 0);
        if (!child)
            break;
        assert_int_equal(renameat(tfd, "x", tfd, "d"), 0);
    }
    close(tfd);
}

/* 5,000 levels: no stack overflow, no descriptor exhaustion, counted. */
static void test_deep(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    for (int i = 0; i < 5000; i++) {
        assert_int_equal(mkdirat(fd, "d", 0755), 0);
        int nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY);
        close(fd);
        fd = nfd;
        if (i == 100) {
            int f = openat(fd, "m.txt", O_WRONLY | O_CREAT, 0644);
            assert_int_equal(write(f, "VIGIL-TEST-MALWARE-MARKER", 25), 25);
            close(f);
        }
    }
    close(fd);
    struct walk_opts o = {.n_threads = 2, .max_depth = 4096};
    struct walk_stats st = run(dir, &o);
    assert_int_equal(st.n_detected, 1);
    assert_int_equal(st.n_err[WALK_ERR_TOO_DEEP], 1);
    assert_true(st.n_dirs >= 500);
    struct walk_opts shallow = {.n_threads = 1, .max_depth = 50};
    st = run(dir, &shallow);
    assert_int_equal(st.n_detected, 0);
    assert_int_equal(st.n_dirs, 50);
    assert_int_equal(st.n_err[WALK_ERR_TOO_DEEP], 1);
    rm_chain(dir);
    rm_rf(dir);
    free(dir);
}

/* Unreadable files and directories are counted (as an unprivileged user
 * when the tests run as root). */
static void test_unreadable(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char p[4200];
    pathf(p, dir, "secret.txt");
    write_str(p, "VIGIL-TEST-MALWARE-MARKER");
    chmod(p, 0);
    pathf(p, dir, "closed");
    mkdir(p, 0);
    pathf(p, dir, "open.txt");
    write_str(p, "fine");
    bool root = geteuid() == 0;
    if (root)
        assert_int_equal(seteuid(65534), 0);
    struct walk_opts o = {.n_threads = 1};
    struct walk_stats st = run(dir, &o);
    if (root)
        assert_int_equal(seteuid(0), 0);
    assert_int_equal(st.n_err[WALK_ERR_UNREADABLE], 2);
    assert_int_equal(st.n_files, 1);
    assert_int_equal(st.n_detected, 0);
    rm_rf(dir);
    free(dir);
}

/* Files vanishing, shrinking and being replaced during the scan. */
struct mutator {
    const char *dir;
    volatile bool stop;
};

static void *mutate(void *arg)
{
    struct mutator *m = arg;
    char p[4200];
    unsigned i = 0;
    while (!m->stop) {
        snprintf(p, sizeof(p), "%s/f%03u", m->dir, i % 200);
        switch (i % 3) {
        case 0:
            unlink(p);
            break;
        case 1:
            if (truncate(p, 3) != 0 && errno != ENOENT)
                break;
            break;
        default:
            write_str(p, "regrown VIGIL-TEST-MALWARE-MARKER and more bytes here\n");
        }
        i++;
    }
    return NULL;
}

static void test_vanish_shrink(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char p[4200];
    uint64_t troubled = 0;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 200; i++) {
            snprintf(p, sizeof(p), "%s/f%03d", dir, i);
            char big[4096];
            memset(big, 'a', sizeof(big));
            write_file(p, big, sizeof(big));
        }
        struct mutator m = {.dir = dir};
        pthread_t t;
        pthread_create(&t, NULL, mutate, &m);
        struct walk_opts o = {.n_threads = 2};
        struct walk_stats st = run(dir, &o);
        m.stop = true;
        pthread_join(t, NULL);
        /* every file listed is scanned or counted */
        assert_true(st.n_files + st.n_err[WALK_ERR_VANISHED] + st.n_err[WALK_ERR_CHANGED] >= 1);
        assert_true(st.n_files + st.n_err[WALK_ERR_VANISHED] <= 200 + st.n_err[WALK_ERR_CHANGED]);
        troubled += st.n_err[WALK_ERR_VANISHED] + st.n_err[WALK_ERR_CHANGED];
    }
    /* a missing root is a counted vanish, not a failure */
    char gone[4300];
    snprintf(gone, sizeof(gone), "%s/not-there", dir);
    struct walk_opts o = {.n_threads = 1};
    struct walk_stats st = run(gone, &o);
    assert_int_equal(st.n_err[WALK_ERR_VANISHED], 1);
    fprintf(stderr, "vanished or changed over 20 rounds: %llu\n", (unsigned long long)troubled);
    rm_rf(dir);
    free(dir);
}

/* The cache: a second run over an unchanged tree reads nothing. */
static void test_cache(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char p[4200];
    for (int i = 0; i < 100; i++) {
        snprintf(p, sizeof(p), "%s/c%03d", dir, i);
        write_str(p, "clean content\n");
    }
    pathf(p, dir, "bad");
    write_str(p, "VIGIL-TEST-MALWARE-MARKER");
    struct scan_cache *c = scan_cache_new(scan_rules_version(rules));
    struct walk_opts o = {.n_threads = 2, .cache = c};
    struct walk_stats st = run(dir, &o);
    assert_int_equal(st.n_files, 101);
    assert_int_equal(scan_cache_count(c), 100); /* detections are never cached */
    st = run(dir, &o);
    assert_int_equal(st.n_cached, 100);
    assert_int_equal(st.n_files, 1);
    assert_int_equal(st.n_detected, 1);
    /* a changed file is read again */
    snprintf(p, sizeof(p), "%s/c007", dir);
    write_str(p, "changed content, longer\n");
    st = run(dir, &o);
    assert_int_equal(st.n_cached, 99);
    assert_int_equal(st.n_files, 2);
    scan_cache_free(c);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree),          cmocka_unit_test(test_sparse),
        cmocka_unit_test(test_deep),          cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_vanish_shrink), cmocka_unit_test(test_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
