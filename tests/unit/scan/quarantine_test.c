/* Unit tests for scan/quarantine: exact restore, neutralised storage, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "scan/quarantine.h"
#include "scan_test_util.h"

struct fixture {
    char *dir; /* the scanned root */
    char store[4200];
    struct quar_store *q;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->dir = make_tmpdir();
    snprintf(f->store, sizeof(f->store), "%s/store", f->dir);
    struct verr e;
    verr_init(&e);
    if (quar_open(f->store, &f->q, &e) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    quar_close(f->q);
    rm_rf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static char *read_all(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    struct stat st;
    fstat(fd, &st);
    char *p = malloc((size_t)st.st_size + 1);
    ssize_t n = read(fd, p, (size_t)st.st_size);
    close(fd);
    *len = n > 0 ? (size_t)n : 0;
    return p;
}

static void add_one(struct fixture *f, const char *path, struct quar_meta *m)
{
    const char *roots[] = {f->dir};
    struct quar_policy pol = {.roots = roots, .n_roots = 1};
    struct verr e;
    verr_init(&e);
    int r = quar_add(f->q, path, "Vigil_Test_EICAR", "scan-1", &pol, m, &e);
    if (r != 0)
        fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(r, 0);
}

static void test_roundtrip(void **state)
{
    struct fixture *f = *state;
    char path[4300];
    snprintf(path, sizeof(path), "%s/eicar.com", f->dir);
    char ei[69];
    eicar(ei);
    write_str(path, ei);
    assert_int_equal(chown(path, 1234, 5678), 0);
    assert_int_equal(chmod(path, 0751), 0);
    struct timespec ts[2] = {{1500000000, 123456789}, {1600000000, 987654321}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);

    struct quar_meta m;
    add_one(f, path, &m);
    struct stat st;
    assert_int_equal(lstat(path, &st), -1); /* gone from its place */
    assert_int_equal(m.uid, 1234);
    assert_int_equal(m.mode, 0751);
    assert_string_equal(m.md5, "44d88612fea8a8f36de82e1278abb02f"); /* EICAR's public MD5 */

    /* neutralised: store 0700, item 0600, ciphertext not holding the plaintext */
    assert_int_equal(stat(f->store, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char blob[4400];
    snprintf(blob, sizeof(blob), "%s/%s.vq", f->store, m.id);
    assert_int_equal(stat(blob, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    size_t len = 0;
    char *data = read_all(blob, &len);
    assert_int_equal(len, 4 + 12 + strlen(ei) + 16);
    assert_null(memmem(data, len, "EICAR", 5));
    free(data);
    /* an unprivileged user can neither read nor run it */
    if (geteuid() == 0) {
        assert_int_equal(seteuid(65534), 0);
        int fd = open(blob, O_RDONLY);
        int err = errno;
        assert_int_equal(seteuid(0), 0);
        assert_int_equal(fd, -1);
        assert_int_equal(err, EACCES);
    }

    struct verr e;
    verr_init(&e);
    assert_int_equal(quar_restore(f->q, m.id, &e), 0);
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_uid, 1234);
    assert_int_equal(st.st_gid, 5678);
    assert_int_equal(st.st_mode & 07777, 0751);
    assert_int_equal(st.st_mtim.tv_sec, 1600000000);
    assert_int_equal(st.st_mtim.tv_nsec, 987654321);
    data = read_all(path, &len);
    assert_int_equal(len, strlen(ei));
    assert_memory_equal(data, ei, len);
    free(data);
    /* the item left the store */
    assert_int_equal(stat(blob, &st), -1);
    assert_int_equal(quar_restore(f->q, m.id, &e), -ENOENT);
    quar_meta_release(&m);
}

static void test_restore_refusals(void **state)
{
    struct fixture *f = *state;
    char path[4300];
    snprintf(path, sizeof(path), "%s/victim.bin", f->dir);
    write_str(path, "malicious bytes");
    struct quar_meta m;
    add_one(f, path, &m);
    struct verr e;
    verr_init(&e);
    /* the destination became a symlink */
    assert_int_equal(symlink("/etc/passwd", path), 0);
    assert_int_equal(quar_restore(f->q, m.id, &e), -ELOOP);
    unlink(path);
    /* the destination is another file */
    write_str(path, "new file");
    assert_int_equal(quar_restore(f->q, m.id, &e), -EEXIST);
    size_t len;
    char *data = read_all(path, &len);
    assert_memory_equal(data, "new file", 8); /* untouched */
    free(data);
    unlink(path);
    /* a tampered item fails authentication and is kept */
    char blob[4400];
    snprintf(blob, sizeof(blob), "%s/%s.vq", f->store, m.id);
    int fd = open(blob, O_RDWR);
    char c;
    assert_int_equal(pread(fd, &c, 1, 20), 1);
    c ^= 1;
    assert_int_equal(pwrite(fd, &c, 1, 20), 1);
    assert_int_equal(quar_restore(f->q, m.id, &e), -EBADMSG);
    struct stat st;
    assert_int_equal(lstat(path, &st), -1);
    c ^= 1;
    assert_int_equal(pwrite(fd, &c, 1, 20), 1);
    close(fd);
    assert_int_equal(quar_restore(f->q, m.id, &e), 0);
    quar_meta_release(&m);
}

static void test_policy(void **state)
{
    struct fixture *f = *state;
    const char *roots[] = {f->dir};
    struct quar_policy pol = {.roots = roots, .n_roots = 1};
    struct verr e;
    verr_init(&e);
    assert_int_equal(quar_check_path("/etc/passwd", &pol, &e), -EPERM);
    assert_int_equal(quar_check_path("/usr/bin/env", &pol, &e), -EPERM);
    char *other = make_tmpdir();
    char p[4300];
    snprintf(p, sizeof(p), "%s/x", other);
    write_str(p, "x");
    assert_int_equal(quar_check_path(p, &pol, &e), -EPERM); /* outside the roots */
    assert_int_equal(quar_add(f->q, p, NULL, NULL, &pol, NULL, &e), -EPERM);
    struct stat st;
    assert_int_equal(stat(p, &st), 0); /* untouched */
    struct quar_policy forced = {.force = true};
    assert_int_equal(quar_check_path(p, &forced, &e), 0);
    assert_int_equal(quar_check_path("/etc/passwd", &forced, &e), 0);
    /* a symlink inside the root pointing out resolves out */
    char link[4300];
    snprintf(link, sizeof(link), "%s/sub", f->dir);
    assert_int_equal(symlink(other, link), 0);
    snprintf(p, sizeof(p), "%s/sub/x", f->dir);
    assert_int_equal(quar_check_path(p, &pol, &e), -EPERM);
    rm_rf(other);
    free(other);
}

static size_t n_listed;
static void count_item(const struct quar_meta *m, void *ud)
{
    (void)ud;
    assert_int_equal(strlen(m->id), QUAR_ID_LEN);
    n_listed++;
}

static void test_list_purge(void **state)
{
    struct fixture *f = *state;
    char p[4300];
    struct quar_meta m;
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/f%d", f->dir, i);
        write_str(p, "bad");
        add_one(f, p, &m);
        quar_meta_release(&m);
    }
    struct verr e;
    verr_init(&e);
    size_t bad = 9;
    n_listed = 0;
    assert_int_equal(quar_list(f->q, count_item, NULL, &bad, &e), 0);
    assert_int_equal(n_listed, 3);
    assert_int_equal(bad, 0);
    size_t n = 9;
    assert_int_equal(quar_purge(f->q, 3600, &n, &e), 0);
    assert_int_equal(n, 0); /* all younger than an hour */
    assert_int_equal(quar_purge(f->q, -10, &n, &e), 0);
    assert_int_equal(n, 3);
    n_listed = 0;
    assert_int_equal(quar_list(f->q, count_item, NULL, &bad, &e), 0);
    assert_int_equal(n_listed, 0);
}

static void test_meta_parse(void **state)
{
    (void)state;
    struct quar_meta m = {.path = "/srv/a b/é.exe",
                          .uid = 7,
                          .gid = 8,
                          .mode = 04755,
                          .atime_ns = -5,
                          .mtime_ns = 1600000000123456789,
                          .size = 42,
                          .detection = "Rule \"x\"",
                          .scan_id = "s1",
                          .time = 1700000000};
    memcpy(m.id, "0123456789abcdef0123456789abcdef", 33);
    memset(m.md5, 'a', 32);
    memset(m.sha1, 'b', 40);
    memset(m.sha256, 'c', 64);
    char *doc = quar_meta_encode(&m);
    struct quar_meta back;
    struct verr e;
    verr_init(&e);
    assert_int_equal(quar_meta_parse((const uint8_t *)doc, strlen(doc), &back, &e), 0);
    assert_string_equal(back.path, m.path);
    assert_string_equal(back.detection, m.detection);
    assert_int_equal(back.mode, 04755);
    assert_int_equal(back.mtime_ns, m.mtime_ns);
    assert_int_equal(back.atime_ns, -5);
    quar_meta_release(&back);
    free(doc);
    const char *bad[] = {
        "",
        "[]",
        "{\"id\":\"xyz\"}",
        "{\"id\":\"0123456789abcdef0123456789abcdef\",\"path\":\"relative\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(quar_meta_parse((const uint8_t *)bad[i], strlen(bad[i]), &back, &e),
                         -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_purge, setup, teardown),
        cmocka_unit_test(test_meta_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
