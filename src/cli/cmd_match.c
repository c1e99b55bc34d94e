/*
 * `vigil match`: print the lines of text files that hold an address inside
 * an IP list, byte for byte what `grepcidr -f LIST FILE` prints.
 *
 * Input is mapped (or read in large blocks from pipes) and cut into lines
 * the way grepcidr 2.0 reads them (fgets into a buffer that starts at 512
 * bytes and doubles), including its corner cases, so the output is the
 * same on every input:
 *  - a line holding a NUL byte ends at the NUL and is joined with the next
 *    line; a line starting with a NUL is empty;
 *  - addresses may start only before grepcidr's buffer size minus 5;
 *  - a last line without '\n' whose length fills the buffer exactly is
 *    dropped;
 *  - the buffer doubles at each NUL join, and once it reaches 2 GiB
 *    (22 joins in one file) fgets() is given a negative size and the rest
 *    of the file is not read.
 * Each line is then scanned by intel/linescan.c against an intel/ipset.
 */
#include "cli/cmd_match.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "base/i18n.h"
#include "base/str.h"
#include "base/vec.h"
#include "intel/feed.h"
#include "intel/ipset.h"
#include "intel/linescan.h"

#define LIST_MAX           ((size_t)1 << 31) /* bytes of list file */
#define STREAM_BLOCK       ((size_t)1 << 20) /* read size for pipes */
#define STREAM_LINE_MAX    ((size_t)1 << 28) /* longest line read from a pipe */
#define OUT_BLOCK          ((size_t)1 << 20)
#define GREPCIDR_BUF0      512 /* grepcidr's first line buffer size */
#define GREPCIDR_LOOKAHEAD 5

/* The list: the set, and each value's prefix for --json. */
struct match_list {
    struct ipset *set;
    VEC(struct ip_prefix) prefixes;
};

struct out {
    char *data;
    size_t len;
    bool failed;
};

struct match_opts {
    bool count, invert, json, names;
};

struct match_state {
    const struct match_list *list;
    struct match_opts o;
    struct out out;
    uint64_t n_selected;
};

/* ---- output ---- */

static void out_flush(struct out *o)
{
    if (o->len && !o->failed && write_all(1, o->data, o->len) < 0) {
        fprintf(stderr, "vigil match: %s: %s\n", _("write error"), strerror(errno));
        o->failed = true;
    }
    o->len = 0;
}

static void out_put(struct out *o, const void *p, size_t n)
{
    if (o->len + n > OUT_BLOCK) {
        out_flush(o);
        if (n > OUT_BLOCK) {
            if (!o->failed && write_all(1, p, n) < 0) {
                fprintf(stderr, "vigil match: %s: %s\n", _("write error"), strerror(errno));
                o->failed = true;
            }
            return;
        }
    }
    memcpy(o->data + o->len, p, n);
    o->len += n;
}

static void out_str(struct out *o, const char *s)
{
    out_put(o, s, strlen(s));
}

/* A JSON string: escapes, and invalid UTF-8 bytes replaced by U+FFFD. */
static void out_json_str(struct out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    out_put(o, "\"", 1);
    while (i < n) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            out_put(o, e, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            out_put(o, e, 6);
            i++;
        } else if (c < 0x80) {
            size_t j = i + 1;
            while (j < n && p[j] >= 0x20 && p[j] < 0x7f && p[j] != '"' && p[j] != '\\')
                j++;
            out_put(o, p + i, j - i);
            i = j;
        } else {
            size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
            if (k && k <= 4 && i + k <= n && c <= 0xf4 && str_valid_utf8(p + i, k)) {
                out_put(o, p + i, k);
                i += k;
            } else {
                out_put(o, "\xef\xbf\xbd", 3);
                i++;
            }
        }
    }
    out_put(o, "\"", 1);
}

/* ---- the list ---- */

/* "a.b.c.d-e.f.g.h" (spaces allowed around '-'), grepcidr's range syntax:
 * add the smallest set of prefixes covering it. Returns false if the line
 * is not a range. */
static bool add_range(struct match_list *l, const char *p, size_t n, bool *ret_bad)
{
    const char *dash = memchr(p, '-', n);
    uint32_t a, b;

    *ret_bad = false;
    if (!dash)
        return false;
    const char *p1 = p, *p2 = dash + 1;
    size_t n1 = (size_t)(dash - p), n2 = n - n1 - 1;
    str_trim(&p1, &n1);
    str_trim(&p2, &n2);
    if (ip4_parse(p1, n1, &a) != ADDR_OK || ip4_parse(p2, n2, &b) != ADDR_OK)
        return false;
    if (a > b) {
        *ret_bad = true;
        return true;
    }
    for (uint64_t lo = a; lo <= b;) {
        unsigned bits = lo ? (unsigned)__builtin_ctz((uint32_t)lo) : 32;
        while (bits > 0 && lo + ((uint64_t)1 << bits) - 1 > b)
            bits--;
        struct ip_prefix pf = {.addr = {.family = ADDR_V4, .v4 = (uint32_t)lo},
                               .len = (uint8_t)(32 - bits)};
        if (ipset_add(l->set, &pf, (uint32_t)l->prefixes.n) < 0)
            return false;
        VEC_PUSH(&l->prefixes, pf);
        lo += (uint64_t)1 << bits;
    }
    return true;
}

/* Line n (1-based) of (p, len), without its end of line. */
static void nth_line(const char *p, size_t len, uint32_t n, const char **ret, size_t *ret_len)
{
    const char *e = p + len;
    for (uint32_t k = 1; k < n && p < e; k++) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        p = nl ? nl + 1 : e;
    }
    const char *nl = memchr(p, '\n', (size_t)(e - p));
    size_t m = nl ? (size_t)(nl - p) : (size_t)(e - p);
    if (m && p[m - 1] == '\r')
        m--;
    *ret = p;
    *ret_len = m;
}

/* True if the document holds nothing but blank lines and comments. */
static bool list_is_blank(const char *p, size_t len)
{
    const char *e = p + len;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *le = nl ? nl : e;
        const char *q = p;
        size_t m = (size_t)(le - q);
        str_trim(&q, &m);
        if (m && q[0] != '#' && q[0] != ';')
            return false;
        p = nl ? nl + 1 : e;
    }
    return true;
}

/*
 * Load and index the list file: every IP indicator feed_parse() finds, plus
 * grepcidr's IPv4 ranges. Any other bad line is an error naming the file and
 * line. Returns 0 or -errno with err filled.
 */
static int load_list(const char *path, struct match_list *l, struct verr *err)
{
    _cleanup_free_ char *data = NULL;
    size_t len;
    struct feed_opts fo;
    struct feed f;
    int r;

    l->set = ipset_new();
    r = file_read_all(path, LIST_MAX, &data, &len);
    if (r < 0)
        return verr_set(err, r, "%s: %s", path, strerror(-r));
    if (list_is_blank(data, len))
        return ipset_build(l->set);

    feed_opts_init(&fo);
    fo.strict_hostbits = false; /* grepcidr masks 10.0.0.1/8 to 10.0.0.0/8 */
    fo.max_errors = SIZE_MAX;
    fo.max_error_pct = 100;
    feed_init(&f);
    r = feed_parse((const uint8_t *)data, len, &fo, &f, err);
    if (r < 0 && f.errors.n == 0) {
        verr_prefix(err, "%s", path);
        feed_release(&f);
        return r;
    }
    /* A document rejected only for its bad lines is judged below, line by
     * line: grepcidr's ranges are fine, anything else is named. */
    for (size_t i = 0; i < f.errors.n; i++) {
        const struct feed_error *fe = &f.errors.items[i];
        const char *lp;
        size_t ln;
        bool bad = false;
        nth_line(data, len, fe->line, &lp, &ln);
        if (fe->line && add_range(l, lp, ln, &bad) && !bad)
            continue;
        r = verr_set(err, -EINVAL, "%s, line %u: %s", path, (unsigned)fe->line,
                     bad ? _("range ends before it starts") : fe->reason);
        feed_release(&f);
        return r;
    }
    if (f.n_errors > f.errors.n) {
        r = verr_set(err, -EINVAL, "%s: %zu bad lines", path, f.n_errors);
        feed_release(&f);
        return r;
    }
    for (size_t i = 0; i < f.items.n; i++) {
        const struct indicator *ind = &f.items.items[i];
        if (ind->type != IND_IP)
            continue;
        r = ipset_add(l->set, &ind->ip, (uint32_t)l->prefixes.n);
        if (r < 0) {
            feed_release(&f);
            return verr_set(err, r, "%s: %s", path, strerror(-r));
        }
        VEC_PUSH(&l->prefixes, ind->ip);
    }
    feed_release(&f);
    if (l->prefixes.n == 0)
        return verr_set(err, -EINVAL, "%s: no IP addresses in the list", path);
    return ipset_build(l->set);
}

/* ---- grepcidr's line reading, emulated ---- */

struct reader {
    size_t bufsize;    /* grepcidr's line buffer size: 512, doubling */
    struct buf joined; /* a line joined across a NUL byte */
    uint64_t line_no;  /* physical lines consumed */
};

enum rd { RD_LINE, RD_EOF, RD_MORE };

/*
 * The next line of data[*pos, n) as grepcidr's fgets_whole_line() returns
 * it: the text up to the first NUL of each fgets() piece, pieces joined
 * until one ends in '\n' or end of file. eof says nothing follows n;
 * without it RD_MORE asks for more data (nothing consumed). has_nul says
 * whether data may hold a NUL byte (the common case is checked once).
 */
static enum rd next_line(struct reader *r, const char *data, size_t n, bool eof, bool has_nul,
                         size_t *pos, const char **ret_line, size_t *ret_len)
{
    size_t S = r->bufsize, p = *pos, cur = 0, newlines = 0;
    bool joined = false;

    for (;;) {
        /* grepcidr passes the room to fgets() as an int: from 2 GiB on it
         * is not positive, fgets() fails and the file ends there. */
        if (S - cur > INT_MAX) {
            *pos = n;
            return RD_EOF;
        }
        if (p >= n) {
            if (!eof)
                return RD_MORE;
            *pos = n; /* fgets read nothing: the pending text is lost */
            return RD_EOF;
        }
        size_t room = S - 1 - cur, avail = n - p, k;
        bool at_eof = false;
        const char *nl = memchr(data + p, '\n', MIN(room, avail));
        if (nl) {
            k = (size_t)(nl - (data + p)) + 1;
            newlines++;
        } else if (avail >= room) {
            k = room;
        } else {
            if (!eof)
                return RD_MORE;
            k = avail;
            at_eof = true;
        }
        const char *z = has_nul ? memchr(data + p, 0, k) : NULL;
        size_t c = z ? (size_t)(z - (data + p)) : k;
        if (joined && buf_append(&r->joined, data + p, c) < 0)
            return RD_EOF;
        size_t len = cur + c;
        p += k;
        const char *line = joined ? r->joined.data : data + *pos;
        if (len == 0 || line[len - 1] == '\n' || at_eof) {
            r->bufsize = S;
            r->line_no += newlines;
            *pos = p;
            *ret_line = len ? line : "";
            *ret_len = len;
            return RD_LINE;
        }
        if (!joined && c < k) {
            buf_reset(&r->joined);
            if (buf_append(&r->joined, data + *pos, len) < 0)
                return RD_EOF;
            joined = true;
        }
        S *= 2;
        cur = len;
    }
}

/* ---- matching ---- */

static void emit_json(struct match_state *st, const char *name, uint64_t line_no, const char *line,
                      size_t len, const struct linescan_hit *hit)
{
    struct out *o = &st->out;
    char num[32];
    size_t n = len;

    if (n && line[n - 1] == '\n')
        n--;
    out_str(o, "{\"file\":");
    out_json_str(o, name, strlen(name));
    int k =
        snprintf(num, sizeof(num), ",\"line_number\":%llu,\"line\":", (unsigned long long)line_no);
    out_put(o, num, k > 0 ? (size_t)k : 0);
    out_json_str(o, line, n);
    if (hit) {
        char a[IP_PREFIX_STRLEN];
        size_t an = ip_format(&hit->a.addr, a);
        out_str(o, ",\"match\":");
        out_json_str(o, a, an);
        const struct ip_prefix *pf = &st->list->prefixes.items[hit->value];
        bool host = pf->len == (pf->addr.family == ADDR_V4 ? 32 : 128);
        an = host ? ip_format(&pf->addr, a) : prefix_format(pf, a);
        out_str(o, ",\"indicator\":");
        out_json_str(o, a, an);
    } else {
        out_str(o, ",\"match\":null,\"indicator\":null");
    }
    out_str(o, "}\n");
}

/* Match every line of data[0, n); returns the bytes consumed (whole lines;
 * all of it at eof). */
static size_t match_block(struct match_state *st, struct reader *r, const char *name,
                          const char *data, size_t n, bool eof)
{
    bool has_nul = memchr(data, 0, n) != NULL;
    size_t pos = 0;

    for (;;) {
        const char *line;
        size_t len;
        uint64_t line_no = r->line_no + 1;
        enum rd k = next_line(r, data, n, eof, has_nul, &pos, &line, &len);
        if (k != RD_LINE)
            return k == RD_EOF ? n : pos;
        struct linescan_hit hit;
        enum linescan_result m =
            linescan_line(st->list->set, line, len, r->bufsize - GREPCIDR_LOOKAHEAD, &hit);
        bool selected = st->o.invert ? m == LINESCAN_NO_MATCH : m == LINESCAN_MATCH;
        if (!selected)
            continue;
        st->n_selected++;
        if (st->o.count)
            continue;
        if (st->o.json) {
            emit_json(st, name, line_no, line, len, m == LINESCAN_MATCH ? &hit : NULL);
            continue;
        }
        if (st->o.names) {
            out_str(&st->out, name);
            out_put(&st->out, ":", 1);
        }
        out_put(&st->out, line, len);
    }
}

/* Match one input; returns 0 or -errno (reported). */
static int match_fd(struct match_state *st, int fd, const char *name)
{
    struct reader r = {.bufsize = GREPCIDR_BUF0, .joined = BUF_INIT(STREAM_LINE_MAX)};
    struct stat sb;
    int ret = 0;

    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
        size_t n = (size_t)sb.st_size;
        void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m != MAP_FAILED) {
            (void)madvise(m, n, MADV_SEQUENTIAL);
            match_block(st, &r, name, m, n, true);
            munmap(m, n);
            buf_release(&r.joined);
            return 0;
        }
    }
    /* Pipes, terminals and files that cannot be mapped: blocks. */
    size_t alloc = STREAM_BLOCK * 2, have = 0;
    char *b = xmalloc(alloc);
    bool eof = false;
    while (!eof) {
        if (alloc - have < STREAM_BLOCK) {
            if (alloc >= STREAM_LINE_MAX) {
                fprintf(stderr, "vigil match: %s: %s\n", name, _("line too long"));
                ret = -E2BIG;
                break;
            }
            alloc *= 2;
            b = xrealloc(b, alloc);
        }
        ssize_t k = read(fd, b + have, alloc - have);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            ret = -errno;
            fprintf(stderr, "vigil match: %s: %s\n", name, strerror(errno));
            break;
        }
        if (k == 0)
            eof = true;
        have += (size_t)k;
        size_t used = match_block(st, &r, name, b, have, eof);
        memmove(b, b + used, have - used);
        have -= used;
    }
    free(b);
    buf_release(&r.joined);
    return ret;
}

static void usage(FILE *f)
{
    fputs(_("Usage: vigil match --list LISTFILE [-c] [-v] [--json] [FILE...]\n"
            "Print the lines of each FILE (standard input when none, or \"-\") that hold an\n"
            "IPv4 or IPv6 address inside the list, as grepcidr -f does.\n"
            "  --list LISTFILE  the list: addresses, CIDRs, ranges a.b.c.d-e.f.g.h, or any\n"
            "                   feed format vigil reads\n"
            "  -c, --count      print only the number of selected lines\n"
            "  -v, --invert     select lines with addresses, none of them in the list\n"
            "  --json           one JSON object a selected line\n"
            "Exit status: 0 lines selected, 1 none, 2 error.\n"),
          f);
}

int cmd_match(int argc, char **argv)
{
    struct match_state st = {0};
    struct match_list list = {NULL, VEC_INIT};
    const char *list_path = NULL;
    VEC(const char *) files = VEC_INIT;
    bool opts_done = false;
    int status = 0;

    i18n_init();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (opts_done || a[0] != '-' || strcmp(a, "-") == 0) {
            VEC_PUSH(&files, a);
        } else if (strcmp(a, "--") == 0) {
            opts_done = true;
        } else if (strcmp(a, "--list") == 0 || strcmp(a, "-f") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "vigil match: %s '%s'\n", _("option needs a value:"), a);
                VEC_FREE(&files);
                return 2;
            }
            list_path = argv[++i];
        } else if (strncmp(a, "--list=", 7) == 0) {
            list_path = a + 7;
        } else if (strcmp(a, "--count") == 0) {
            st.o.count = true;
        } else if (strcmp(a, "--invert") == 0) {
            st.o.invert = true;
        } else if (strcmp(a, "--json") == 0) {
            st.o.json = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            VEC_FREE(&files);
            return 0;
        } else if (a[1] != '-' && strspn(a + 1, "cv") == strlen(a + 1)) {
            st.o.count |= strchr(a + 1, 'c') != NULL;
            st.o.invert |= strchr(a + 1, 'v') != NULL;
        } else {
            fprintf(stderr, "vigil match: %s '%s'\n", _("unknown option:"), a);
            usage(stderr);
            VEC_FREE(&files);
            return 2;
        }
    }
    if (!list_path) {
        fprintf(stderr, "vigil match: %s\n", _("--list LISTFILE is required"));
        usage(stderr);
        VEC_FREE(&files);
        return 2;
    }

    struct verr err;
    verr_init(&err);
    if (load_list(list_path, &list, &err) < 0) {
        fprintf(stderr, "vigil match: %s\n", err.msg);
        ipset_free(list.set);
        VEC_FREE(&list.prefixes);
        VEC_FREE(&files);
        return 2;
    }

    st.list = &list;
    st.o.names = files.n > 1;
    st.out.data = xmalloc(OUT_BLOCK);
    if (files.n == 0)
        VEC_PUSH(&files, "-");
    for (size_t i = 0; i < files.n; i++) {
        const char *path = files.items[i];
        bool is_stdin = strcmp(path, "-") == 0;
        const char *name = is_stdin ? (st.o.json ? "-" : _("(standard input)")) : path;
        int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            out_flush(&st.out);
            fprintf(stderr, "vigil match: %s: %s\n", path, strerror(errno));
            status = 2;
            continue;
        }
        if (match_fd(&st, fd, name) < 0)
            status = 2;
        if (!is_stdin)
            close(fd);
    }
    if (st.o.count) {
        char num[48];
        int k = st.o.json ? snprintf(num, sizeof(num), "{\"count\":%llu}\n",
                                     (unsigned long long)st.n_selected)
                          : snprintf(num, sizeof(num), "%llu\n", (unsigned long long)st.n_selected);
        out_put(&st.out, num, k > 0 ? (size_t)k : 0);
    }
    out_flush(&st.out);
    if (st.out.failed)
        status = 2;
    free(st.out.data);
    ipset_free(list.set);
    VEC_FREE(&list.prefixes);
    VEC_FREE(&files);
    if (status)
        return status;
    return st.n_selected ? 0 : 1;
}
