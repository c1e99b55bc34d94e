/* Unit tests for src/wire/spool.c: persistence, torn tails, kill -9, drops. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/file.h"
#include "wire/spool.h"

#define MIB (1u << 20)

static char dir[64];
static struct verr err;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/vigil-spool-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    char path[512];
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') {
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            unlink(path);
        }
    closedir(d);
    return rmdir(dir);
}

struct got {
    size_t n;
    uint64_t seq[4096];
    char text[4096][32];
};

static int collect(void *ctx, uint64_t seq, const void *p, size_t len)
{
    struct got *g = ctx;
    if (g->n == 4096)
        return 1;
    g->seq[g->n] = seq;
    size_t l = len < 31 ? len : 31;
    memcpy(g->text[g->n], p, l);
    g->text[g->n][l] = '\0';
    g->n++;
    return 0;
}

static struct spool *open_spool(uint64_t max, uint64_t seg)
{
    struct spool *s = NULL;
    verr_init(&err);
    int r = spool_open(dir, max, seg, &s, &err);
    if (r < 0)
        fail_msg("spool_open: %s", err.msg);
    return s;
}

static void append_str(struct spool *s, const char *text, uint64_t want_seq)
{
    uint64_t seq = 0;
    assert_int_equal(spool_append(s, text, strlen(text), &seq), 0);
    assert_true(seq == want_seq);
}

static struct spool_stats stats(const struct spool *s)
{
    struct spool_stats st;
    spool_stats(s, &st);
    return st;
}

static void test_append_read_ack(void **state)
{
    (void)state;
    static struct got g;
    struct spool *s = open_spool(MIB, 64 * 1024);
    append_str(s, "one", 1);
    append_str(s, "two", 2);
    append_str(s, "three", 3);
    assert_int_equal(spool_sync(s), 0);
    g.n = 0;
    assert_int_equal(spool_read(s, 1, 100, MIB, collect, &g), 3);
    assert_string_equal(g.text[0], "one");
    assert_string_equal(g.text[2], "three");
    assert_true(g.seq[0] == 1 && g.seq[1] == 2 && g.seq[2] == 3);
    /* from, max_records, max_bytes. */
    g.n = 0;
    assert_int_equal(spool_read(s, 2, 1, MIB, collect, &g), 1);
    assert_true(g.seq[0] == 2);
    g.n = 0;
    assert_int_equal(spool_read(s, 1, 100, 4, collect, &g), 1); /* "one" fits, "two" does not */
    g.n = 0;
    assert_int_equal(spool_read(s, 1, 100, 1, collect, &g), 1); /* always at least one */
    assert_string_equal(g.text[0], "one");
    g.n = 0;
    assert_int_equal(spool_read(s, 4, 100, MIB, collect, &g), 0);
    /* ack. */
    assert_int_equal(spool_ack(s, 2), 0);
    struct spool_stats st = stats(s);
    assert_true(st.acked_seq == 2 && st.n_pending == 1 && st.next_seq == 4);
    g.n = 0;
    assert_int_equal(spool_read(s, 1, 100, MIB, collect, &g), 1);
    assert_string_equal(g.text[0], "three");
    assert_int_equal(spool_ack(s, 4), -EINVAL);
    assert_int_equal(spool_ack(s, 1), 0); /* below: ignored */
    assert_true(stats(s).acked_seq == 2);
    /* Too big for a segment. */
    static char big[64 * 1024];
    uint64_t seq;
    assert_int_equal(spool_append(s, big, sizeof(big), &seq), -E2BIG);
    spool_close(s);
    spool_close(NULL);
}

static void test_reopen(void **state)
{
    (void)state;
    static struct got g;
    struct spool *s = open_spool(MIB, 4096);
    char text[32];
    for (uint64_t i = 1; i <= 300; i++) {
        snprintf(text, sizeof(text), "rec-%" PRIu64, i);
        append_str(s, text, i);
    }
    assert_int_equal(spool_ack(s, 120), 0);
    spool_close(s);

    s = open_spool(MIB, 4096);
    struct spool_stats st = stats(s);
    assert_true(st.next_seq == 301);
    assert_true(st.acked_seq == 120);
    assert_true(st.n_pending == 180);
    assert_true(st.truncated_tail == 0);
    g.n = 0;
    assert_int_equal(spool_read(s, 1, 4096, MIB, collect, &g), 180);
    for (size_t i = 0; i < g.n; i++) {
        snprintf(text, sizeof(text), "rec-%zu", 121 + i);
        assert_true(g.seq[i] == 121 + i);
        assert_string_equal(g.text[i], text);
    }
    /* Reading in pieces resumes where it stopped. */
    g.n = 0;
    uint64_t from = 1;
    int k;
    while ((k = spool_read(s, from, 7, MIB, collect, &g)) > 0)
        from = g.seq[g.n - 1] + 1;
    assert_int_equal(k, 0);
    assert_int_equal(g.n, 180);
    assert_true(g.seq[179] == 300);
    append_str(s, "after", 301);
    /* Everything acknowledged: no segment left, seq still continues. */
    assert_int_equal(spool_ack(s, 301), 0);
    st = stats(s);
    assert_true(st.n_pending == 0 && st.bytes == 0);
    spool_close(s);
    s = open_spool(MIB, 4096);
    assert_true(stats(s).next_seq == 302);
    append_str(s, "x", 302);
    spool_close(s);
}

static void test_ack_file(void **state)
{
    (void)state;
    struct spool *s = open_spool(MIB, 4096);
    append_str(s, "a", 1);
    append_str(s, "b", 2);
    assert_int_equal(spool_ack(s, 1), 0);
    char path[128], *text;
    size_t len;
    snprintf(path, sizeof(path), "%s/state", dir);
    assert_int_equal(file_read_all(path, 4096, &text, &len), 0);
    assert_string_equal(text, "acked 1\ndropped_seq 0\ndropped_records 0\ndropped_bytes 0\n");
    free(text);
    /* advance past next_seq: the receiver has more than we do. */
    assert_int_equal(spool_advance(s, 50), 0);
    assert_true(stats(s).next_seq == 51 && stats(s).n_pending == 0);
    append_str(s, "c", 51);
    spool_close(s);
    s = open_spool(MIB, 4096);
    assert_true(stats(s).acked_seq == 50);
    assert_true(stats(s).next_seq == 52);
    spool_close(s);
    /* A damaged state file is an error, not a silent reset. */
    assert_int_equal(file_write_atomic(path, "acked x\n", 8, 0600), 0);
    struct spool *bad = NULL;
    assert_int_equal(spool_open(dir, MIB, 4096, &bad, &err), -EINVAL);
    assert_null(bad);
    assert_int_equal(file_write_atomic(path, "acked 50\n", 9, 0600), 0);
}

static void last_segment(char *path, size_t size, uint64_t first)
{
    snprintf(path, size, "%s/seg-%020" PRIu64 ".log", dir, first);
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

static void append_raw(const char *path, const void *p, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write_all(fd, p, len), 0);
    close(fd);
}

static void test_torn_tail(void **state)
{
    (void)state;
    static struct got g;
    char path[128];
    struct spool *s = open_spool(MIB, 64 * 1024);
    append_str(s, "one", 1);
    append_str(s, "two", 2);
    append_str(s, "three", 3);
    spool_close(s);
    last_segment(path, sizeof(path), 1);
    /* Three records of 16 + 3, 16 + 3, 16 + 5 bytes. */
    assert_int_equal(file_size(path), 59);

    /* A partial header. */
    append_raw(path, "\x04\0\0\0\0\0\0\0\x05\0", 10);
    s = open_spool(MIB, 64 * 1024);
    assert_true(stats(s).truncated_tail == 1);
    assert_true(stats(s).next_seq == 4);
    assert_int_equal(file_size(path), 59);
    g.n = 0;
    assert_int_equal(spool_read(s, 1, 10, MIB, collect, &g), 3);
    spool_close(s);

    /* A whole header whose payload is missing. */
    append_raw(path, "\x04\0\0\0\0\0\0\0\x05\0\0\0\0\0\0\0ab", 18);
    s = open_spool(MIB, 64 * 1024);
    assert_true(stats(s).truncated_tail == 1 && stats(s).next_seq == 4);
    assert_int_equal(file_size(path), 59);
    spool_close(s);

    /* The last record's payload damaged: CRC mismatch, the record goes. */
    int fd = open(path, O_WRONLY);
    assert_int_equal(pwrite(fd, "T", 1, 54), 1); /* "three" -> "Three" */
    close(fd);
    s = open_spool(MIB, 64 * 1024);
    assert_true(stats(s).truncated_tail == 1 && stats(s).next_seq == 3);
    assert_int_equal(file_size(path), 38);
    g.n = 0;
    assert_int_equal(spool_read(s, 1, 10, MIB, collect, &g), 2);
    assert_string_equal(g.text[1], "two");
    /* The seq is reused: the record was never handed out intact. */
    append_str(s, "new", 3);
    spool_close(s);
}

/* A segment written by hand (CRC-32C computed independently): the on-disk
 * format is what the header comment of spool.c says. */
static void test_hand_segment(void **state)
{
    (void)state;
    static struct got g;
    static const char rec1[] = "\x01\x00\x00\x00\x00\x00\x00\x00" /* seq 1 */
                               "\x03\x00\x00\x00"                 /* len 3 */
                               "\xda\x4d\x75\xc6"                 /* crc32c */
                               "one";
    char path[128];
    last_segment(path, sizeof(path), 1);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write_all(fd, rec1, sizeof(rec1) - 1), 0);
    close(fd);
    struct spool *s = open_spool(MIB, 4096);
    assert_true(stats(s).next_seq == 2 && stats(s).truncated_tail == 0);
    g.n = 0;
    assert_int_equal(spool_read(s, 1, 10, MIB, collect, &g), 1);
    assert_string_equal(g.text[0], "one");
    /* And the spool writes the same bytes. */
    assert_int_equal(spool_ack(s, 1), 0);
    append_str(s, "one", 2);
    spool_close(s);
    char *text;
    size_t len;
    last_segment(path, sizeof(path), 2);
    assert_int_equal(file_read_all(path, 4096, &text, &len), 0);
    assert_int_equal(len, 19);
    assert_memory_equal(text + 8, rec1 + 8, 4);
    assert_int_equal((uint8_t)text[0], 2);
    free(text);
}

/* The child appends "k-<seq>" records forever and reports each seq whose
 * append returned through the pipe. */
static NORETURN void child_appender(int wfd)
{
    struct spool *s = NULL;
    if (spool_open(dir, 64 * MIB, 8192, &s, NULL) < 0)
        _exit(2);
    char text[64];
    for (;;) {
        struct spool_stats st;
        spool_stats(s, &st);
        int n = snprintf(text, sizeof(text), "k-%" PRIu64 "-%.*s", st.next_seq,
                         (int)(st.next_seq % 23), "abcdefghijklmnopqrstuvwxyz");
        uint64_t seq;
        if (spool_append(s, text, (size_t)n, &seq) < 0)
            _exit(3);
        if (write(wfd, &seq, sizeof(seq)) != sizeof(seq))
            _exit(4);
    }
}

static int check_record(void *ctx, uint64_t seq, const void *p, size_t len)
{
    uint64_t *expect = ctx;
    char text[64];
    int n = snprintf(text, sizeof(text), "k-%" PRIu64 "-%.*s", seq, (int)(seq % 23),
                     "abcdefghijklmnopqrstuvwxyz");
    if (seq != *expect || len != (size_t)n || memcmp(p, text, len) != 0)
        return 1;
    (*expect)++;
    return 0;
}

static void test_kill9(void **state)
{
    (void)state;
    uint64_t acked_by_child = 0;
    for (int round = 0; round < 3; round++) {
        int pfd[2];
        assert_int_equal(pipe(pfd), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(pfd[0]);
            child_appender(pfd[1]);
        }
        close(pfd[1]);
        /* Let it append a while (rolling segments), then kill it. */
        uint64_t seq;
        size_t n = 0;
        while (n < 2000 + 500 * (size_t)round && read(pfd[0], &seq, sizeof(seq)) == sizeof(seq)) {
            assert_true(seq > acked_by_child);
            acked_by_child = seq;
            n++;
        }
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        while (read(pfd[0], &seq, sizeof(seq)) == sizeof(seq))
            acked_by_child = seq;
        close(pfd[0]);

        struct spool *s = open_spool(64 * MIB, 8192);
        struct spool_stats st = stats(s);
        /* Every acknowledged append is there, in order, intact. */
        assert_true(st.next_seq > acked_by_child);
        uint64_t expect = 1;
        int k = spool_read(s, 1, SIZE_MAX, SIZE_MAX, check_record, &expect);
        assert_true(k > 0);
        assert_true(expect == st.next_seq);
        assert_true((uint64_t)k == st.next_seq - 1);
        spool_close(s);
    }
}

static void test_full_drops_oldest(void **state)
{
    (void)state;
    static struct got g;
    /* 1 MiB spool, 64 KiB segments, records of 16 + 1000 bytes: 64 records
     * (65024 bytes) a segment. Records 1..1024 fill 16 segments (1040384
     * bytes); 1025..1032 go to the 17th (1048512 bytes in all); record 1033
     * would pass 1048576, so segment 1 (records 1..64) is dropped. */
    struct spool *s = open_spool(MIB, 64 * 1024);
    static char rec[1000];
    uint64_t seq;
    for (uint64_t i = 1; i <= 1032; i++) {
        memcpy(rec, &i, sizeof(i));
        assert_int_equal(spool_append(s, rec, sizeof(rec), &seq), 0);
    }
    struct spool_stats st = stats(s);
    assert_true(st.dropped_records == 0 && st.bytes == 1048512);
    assert_int_equal(spool_append(s, rec, sizeof(rec), &seq), 0);
    st = stats(s);
    assert_true(seq == 1033);
    assert_true(st.dropped_records == 64);
    assert_true(st.dropped_bytes == 65024);
    assert_true(st.n_pending == 1033 - 64);
    assert_true(st.bytes <= MIB);
    g.n = 0;
    assert_int_equal(spool_read(s, 1, 1, MIB, collect, &g), 1);
    assert_true(g.seq[0] == 65);
    /* Part of the next oldest segment (65..128) is acknowledged: when it
     * goes, only 101..128 count. After 1033 the spool holds 984504 bytes;
     * 63 more records fit (1048512), the 64th (seq 1097) drops it. */
    assert_int_equal(spool_ack(s, 100), 0);
    for (uint64_t i = 1034; i <= 1096; i++)
        assert_int_equal(spool_append(s, rec, sizeof(rec), &seq), 0);
    assert_true(stats(s).dropped_records == 64);
    assert_int_equal(spool_append(s, rec, sizeof(rec), &seq), 0);
    st = stats(s);
    assert_true(st.dropped_records == 64 + 28);
    assert_true(st.dropped_bytes == 65024 + 28 * 1016);
    spool_close(s);
    /* The counts survive a restart. */
    s = open_spool(MIB, 64 * 1024);
    st = stats(s);
    assert_true(st.dropped_records == 92 && st.next_seq == 1098 && st.acked_seq == 100);
    assert_true(st.n_pending == 1097 - 128);
    spool_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_read_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hand_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_drops_oldest, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
