#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/addr.h"
#include "intel/ipset.h"
#include "intel/linescan.h"
#include "intel/textscan.h"

static const char *const entries[] = {"1.2.3.4", "10.0.0.0/8", "::1", "2001:db8::/32", NULL};

static struct ipset *make_set(void)
{
    struct ipset *s = ipset_new();
    for (size_t i = 0; entries[i]; i++) {
        struct ip_prefix p;
        assert_int_equal(prefix_parse(entries[i], strlen(entries[i]), false, &p), ADDR_OK);
        assert_int_equal(ipset_add(s, &p, (uint32_t)i), 0);
    }
    assert_int_equal(ipset_build(s), 0);
    return s;
}

/* What a scan reported, flattened: one "line_no result value len:bytes"
 * record per selected line. */
struct got {
    char *text;
    size_t len, alloc;
    uint64_t n;
};

static void got_add(struct got *g, uint64_t line_no, int result, uint32_t value, const char *line,
                    size_t len)
{
    char head[64];
    int k = snprintf(head, sizeof(head), "%llu %d %u %zu:", (unsigned long long)line_no, result,
                     result == LINESCAN_MATCH ? value : 0u, len);
    assert_true(k > 0);
    size_t need = g->len + (size_t)k + len + 1;
    if (need > g->alloc) {
        g->alloc = need * 2;
        g->text = realloc(g->text, g->alloc);
        assert_non_null(g->text);
    }
    memcpy(g->text + g->len, head, (size_t)k);
    memcpy(g->text + g->len + k, line, len);
    g->len += (size_t)k + len;
    g->text[g->len++] = '|';
    g->n++;
}

static int on_line(void *ctx, const struct textscan_line *l)
{
    got_add(ctx, l->line_no, (int)l->result, l->hit.value, l->line, l->len);
    return 0;
}

/*
 * The reference: grepcidr 2.0's reading loop written out literally over a
 * memory stream (an fgets() that stops after '\n', strlen() on the
 * buffer, a buffer that starts at 512 bytes and doubles), each line
 * scanned with linescan_line() and the address limit bufsize - 5.
 */
static size_t mem_fgets(char *buf, size_t size, const char *d, size_t n, size_t *pos)
{
    size_t k = 0;
    while (k + 1 < size && *pos < n) {
        char c = d[(*pos)++];
        buf[k++] = c;
        if (c == '\n')
            break;
    }
    buf[k] = 0;
    return k;
}

static void reference(const struct ipset *s, const char *d, size_t n, unsigned select,
                      struct got *g, uint64_t *ret_selected)
{
    size_t S = 512, pos = 0;
    char *buf = malloc(S);
    uint64_t line_no = 0;

    assert_non_null(buf);
    *ret_selected = 0;
    for (;;) {
        size_t cur = 0, nl = 0;
        uint64_t first = line_no + 1;
        bool got_line = false;
        for (;;) {
            if (S - cur > INT_MAX)
                break;
            size_t k = mem_fgets(buf + cur, S - cur, d, n, &pos);
            if (k == 0)
                break;
            nl += buf[cur + k - 1] == '\n';
            size_t len = strlen(buf);
            if (len == 0 || buf[len - 1] == '\n' || pos == n) {
                got_line = true;
                cur = len;
                break;
            }
            S *= 2;
            buf = realloc(buf, S);
            assert_non_null(buf);
            cur = len;
        }
        line_no += nl;
        if (!got_line)
            break;
        struct linescan_hit hit;
        enum linescan_result r = linescan_line(s, buf, cur, S - 5, &hit);
        if ((select >> r) & 1) {
            got_add(g, first, (int)r, hit.value, buf, cur);
            (*ret_selected)++;
        }
    }
    free(buf);
}

/* Random text full of the cases that matter: addresses, near-addresses,
 * NUL bytes, long lines around the buffer sizes, a last line without '\n'. */
static char *random_text(uint64_t *seed, size_t *ret_len, bool nul)
{
    static const char *const tokens[] = {
        "1.2.3.4",     "10.9.8.7", "8.8.8.8",   "::1",      "2001:db8::5", "fe80::1",
        "1.2.3.4.5",   "x1.2.3.4", "a:1.2.3.4", "12:34:56", "IN=eth0",     " ",
        " ",           "=",        ".",         ":",        "\r",          "SRC=10.1.1.1",
        "2001:db9::1", "99.1.2.3", "::",        "1.2.3.04"};
    size_t alloc = 1 << 16, len = 0;
    char *t = malloc(alloc);
    size_t n_lines = 20 + (*seed >> 40) % 200;

    assert_non_null(t);
    for (size_t i = 0; i < n_lines; i++) {
        *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
        unsigned k = (unsigned)(*seed >> 33);
        size_t target = k % 23 == 0 ? 490 + k % 1200 : k % 90;
        size_t start = len;
        while (len - start < target) {
            *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
            unsigned r = (unsigned)(*seed >> 33);
            const char *tok = tokens[r % ARRAY_SIZE(tokens)];
            size_t tl = strlen(tok);
            if (r % 7 == 0 && (target > 400)) {
                tok = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
                tl = 64;
            }
            if (len + tl + 2 > alloc) {
                alloc *= 2;
                t = realloc(t, alloc);
                assert_non_null(t);
            }
            memcpy(t + len, tok, tl);
            len += tl;
            if (nul && r % 61 == 0)
                t[len++] = 0;
        }
        t[len++] = '\n';
    }
    if (len && (*seed >> 20) % 3 == 0)
        len--; /* last line without '\n' */
    *ret_len = len;
    return t;
}

static void check_same(const struct ipset *s, const char *d, size_t n, unsigned select)
{
    struct got want = {0};
    uint64_t want_selected;
    static const size_t blocks[] = {1, 2, 7, 64, 513, 4096, 0};

    reference(s, d, n, select, &want, &want_selected);
    for (unsigned threads = 1; threads <= 8; threads++) {
        for (size_t b = 0; b < ARRAY_SIZE(blocks); b++) {
            struct textscan_opts o;
            struct got g = {0};
            struct textscan_stats st = {0, 0};
            textscan_opts_init(&o);
            o.n_threads = threads;
            o.block_size = blocks[b];
            o.select = select;
            assert_int_equal(textscan_buf(s, &o, d, n, on_line, &g, &st), 0);
            if (g.len != want.len || (g.len && memcmp(g.text, want.text, g.len) != 0))
                fail_msg("threads %u block %zu: %llu lines selected, reference %llu", threads,
                         blocks[b], (unsigned long long)g.n, (unsigned long long)want.n);
            assert_int_equal(st.n_selected, want_selected);
            /* count_only agrees */
            struct textscan_stats cs = {0, 0};
            o.count_only = true;
            assert_int_equal(textscan_buf(s, &o, d, n, NULL, NULL, &cs), 0);
            assert_int_equal(cs.n_selected, want_selected);
            assert_int_equal(cs.n_lines, st.n_lines);
            free(g.text);
        }
    }
    free(want.text);
}

static void test_random_against_reference(void **state)
{
    (void)state;
    struct ipset *s = make_set();
    uint64_t seed = 0x5eed;
    for (int round = 0; round < 24; round++) {
        size_t n;
        char *t = random_text(&seed, &n, round % 3 == 2);
        check_same(s, t, n, TEXTSCAN_SELECT_MATCH);
        check_same(s, t, n, TEXTSCAN_SELECT_NO_MATCH);
        free(t);
    }
    ipset_free(s);
}

/* Scan (d, n) with threads and block size into *g (selected lines) and
 * *st; textscan_buf() must succeed. */
static void scan(const struct ipset *s, const char *d, size_t n, unsigned threads, size_t block,
                 struct got *g, struct textscan_stats *st)
{
    struct textscan_opts o;
    textscan_opts_init(&o);
    o.n_threads = threads;
    o.block_size = block;
    memset(g, 0, sizeof(*g));
    memset(st, 0, sizeof(*st));
    assert_int_equal(textscan_buf(s, &o, d, n, on_line, g, st), 0);
}

/* Hand-checked against grepcidr 2.0: what it prints for each input. */
static void test_grepcidr_cases(void **state)
{
    (void)state;
    struct ipset *s = make_set();
    static const struct {
        const char *in;
        size_t len;
        const char *want; /* records as got_add() writes them */
    } cases[] = {
        {"", 0, ""},
        {"1.2.3.4", 7, "1 2 0 7:1.2.3.4|"},
        {"x\n1.2.3.4\n", 10, "2 2 0 8:1.2.3.4\n|"},
        /* a NUL ends the line's text and joins it with the next line */
        {"a\0b\nc 1.2.3.4\n", 14, "1 2 0 11:ac 1.2.3.4\n|"},
        /* a line starting with a NUL is empty */
        {"\0 1.2.3.4\n1.2.3.4\0x\n\nq\n", 23, "2 2 0 8:1.2.3.4\n|"},
        {"10.1.1.1 ::1\n8.8.8.8\n::1", 24, "1 2 1 13:10.1.1.1 ::1\n|3 2 2 3:::1|"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        for (unsigned threads = 1; threads <= 4; threads++) {
            struct got g;
            struct textscan_stats st;
            scan(s, cases[i].in, cases[i].len, threads, 1, &g, &st);
            size_t wl = strlen(cases[i].want);
            if (g.len != wl || memcmp(g.text, cases[i].want, wl) != 0)
                fail_msg("case %zu, %u threads: got '%.*s'", i, threads, (int)g.len,
                         g.text ? g.text : "");
            free(g.text);
        }
    }
    ipset_free(s);
}

/* The address limit: grepcidr's buffer is 512 bytes, so an address must
 * start before byte 507 of a line that fits it; a longer line earlier in
 * the input makes the buffer (and the limit) larger for every later line. */
static void test_buffer_limit(void **state)
{
    (void)state;
    struct ipset *s = make_set();
    char line[512], text[4096];
    memset(line, 'x', sizeof(line));
    memcpy(line + 507, "::1\n", 4); /* 511 bytes, "::1" at 507: not seen */
    size_t n = 0;
    memcpy(text + n, line, 511);
    n += 511;
    memset(text + n, 'y', 700);
    n += 700;
    text[n++] = '\n';
    memcpy(text + n, line, 511); /* the same line after a long one: seen */
    n += 511;
    for (unsigned threads = 1; threads <= 3; threads++) {
        struct got g;
        struct textscan_stats st;
        scan(s, text, n, threads, 100, &g, &st);
        assert_int_equal(st.n_selected, 1);
        assert_int_equal(st.n_lines, 3);
        assert_true(g.len > 6 && memcmp(g.text, "3 2 2 ", 6) == 0);
        free(g.text);
    }
    ipset_free(s);
}

static int stop_at_second(void *ctx, const struct textscan_line *l)
{
    (void)l;
    return ++*(int *)ctx == 2 ? 42 : 0;
}

static void test_stop(void **state)
{
    (void)state;
    struct ipset *s = make_set();
    const char *t = "1.2.3.4\n::1\n10.0.0.1\n";
    for (unsigned threads = 1; threads <= 3; threads++) {
        struct textscan_opts o;
        struct textscan_stats st = {0, 0};
        int calls = 0;
        textscan_opts_init(&o);
        o.n_threads = threads;
        o.block_size = 1;
        assert_int_equal(textscan_buf(s, &o, t, strlen(t), stop_at_second, &calls, &st), 42);
        assert_int_equal(calls, 2);
    }
    ipset_free(s);
}

struct writer {
    int fd;
    const char *d;
    size_t n;
};

static void *write_all_thread(void *arg)
{
    struct writer *w = arg;
    size_t off = 0;
    while (off < w->n) {
        ssize_t k = write(w->fd, w->d + off, w->n - off);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    close(w->fd);
    return NULL;
}

/* A file and a pipe give what the buffer gives. */
static void test_fd(void **state)
{
    (void)state;
    struct ipset *s = make_set();
    uint64_t seed = 77;
    size_t n;
    char *t = random_text(&seed, &n, true);
    struct got want = {0};
    uint64_t want_selected;
    reference(s, t, n, TEXTSCAN_SELECT_MATCH, &want, &want_selected);

    struct textscan_opts o;
    textscan_opts_init(&o);
    o.n_threads = 2;
    o.block_size = 256;

    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(fwrite(t, 1, n, f), n);
    assert_int_equal(fflush(f), 0);
    struct got g = {0};
    struct textscan_stats st = {0, 0};
    struct verr err;
    verr_init(&err);
    assert_int_equal(textscan_fd(s, &o, fileno(f), on_line, &g, &st, &err), 0);
    assert_int_equal(g.len, want.len);
    assert_memory_equal(g.text, want.text, want.len);
    fclose(f);
    free(g.text);

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    struct writer w = {fds[1], t, n};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, write_all_thread, &w), 0);
    memset(&g, 0, sizeof(g));
    assert_int_equal(textscan_fd(s, &o, fds[0], on_line, &g, &st, &err), 0);
    pthread_join(th, NULL);
    close(fds[0]);
    assert_int_equal(g.len, want.len);
    assert_memory_equal(g.text, want.text, want.len);
    free(g.text);
    free(want.text);
    free(t);
    ipset_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_reference),
        cmocka_unit_test(test_grepcidr_cases),
        cmocka_unit_test(test_buffer_limit),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
