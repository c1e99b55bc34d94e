/*
 * `vigil match`: print the lines of text files that hold an address inside
 * an IP list, byte for byte what `grepcidr -f LIST FILE` prints.
 *
 * Input is read and cut into lines exactly as grepcidr 2.0 reads them (its
 * corner cases are listed in intel/textscan.c), on several threads
 * (-j N), and each line is scanned by intel/linescan.c against an
 * intel/ipset: the same engine the sensor's text-log path uses.
 */
#include "cli/cmd_match.h"

#include <fcntl.h>
#include <pthread.h>
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
#include "intel/textscan.h"

#define LIST_MAX  ((size_t)1 << 31) /* bytes of list file */
#define OUT_BLOCK ((size_t)1 << 20)

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
    struct textscan_opts ts;
    struct out out;
    const char *name; /* of the input being scanned */
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
 * The common list, one address or CIDR a line (blank lines and '#' or ';'
 * comments allowed), added straight to the set: what feed_parse() would
 * find in it, without its general machinery. Returns 1, 0 (nothing
 * added) if some line is something else or there is no address, or a
 * negative errno from ipset_add().
 */
static int load_plain_list(const char *data, size_t len, struct match_list *l)
{
    const char *p = data, *e = data + len;

    VEC_RESERVE(&l->prefixes, len / 16);
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *q = p;
        size_t m = (size_t)((nl ? nl : e) - p);
        struct ip_prefix pf;
        p = nl ? nl + 1 : e;
        str_trim(&q, &m);
        if (m == 0 || q[0] == '#' || q[0] == ';')
            continue;
        if (prefix_parse(q, m, false, &pf) != ADDR_OK) {
            l->prefixes.n = 0;
            return 0;
        }
        VEC_PUSH(&l->prefixes, pf);
    }
    for (size_t i = 0; i < l->prefixes.n; i++) {
        int r = ipset_add(l->set, &l->prefixes.items[i], (uint32_t)i);
        if (r < 0)
            return r;
    }
    return l->prefixes.n > 0;
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
    r = load_plain_list(data, len, l);
    if (r < 0)
        return verr_set(err, r, "%s: %s", path, strerror(-r));
    if (r > 0)
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

/* ---- mapping the first input while the list loads ---- */

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#define PREMAP_STEP ((size_t)64 << 20)

/*
 * The first input, when it is a regular file: mapped, and its page tables
 * filled (MADV_POPULATE_READ) on a second thread while the list loads, so
 * that scanning starts without page faults. Filling goes in steps and
 * stops as soon as the list is loaded.
 */
struct premap {
    const char *path;
    pthread_t th;
    bool started;
    int fd; /* -1 until mapped */
    char *map;
    size_t len;
    pthread_mutex_t mu;
    bool stop;
};

static void *premap_run(void *arg)
{
    struct premap *pm = arg;
    struct stat sb;
    int fd = open(pm->path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return NULL;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
        (uint64_t)sb.st_size > SIZE_MAX) {
        close(fd);
        return NULL;
    }
    size_t n = (size_t)sb.st_size;
    void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        close(fd);
        return NULL;
    }
    pm->fd = fd;
    pm->map = m;
    pm->len = n;
    for (size_t off = 0; off < n; off += PREMAP_STEP) {
        pthread_mutex_lock(&pm->mu);
        bool stop = pm->stop;
        pthread_mutex_unlock(&pm->mu);
        if (stop || madvise(pm->map + off, MIN(PREMAP_STEP, n - off), MADV_POPULATE_READ) < 0)
            break;
    }
    return NULL;
}

static void premap_start(struct premap *pm, const char *path)
{
    memset(pm, 0, sizeof(*pm));
    pm->fd = -1;
    pm->path = path;
    pthread_mutex_init(&pm->mu, NULL);
    pm->started = pthread_create(&pm->th, NULL, premap_run, pm) == 0;
}

/* Stop filling and wait for the thread; pm->map is then usable. */
static void premap_join(struct premap *pm)
{
    pthread_mutex_lock(&pm->mu);
    pm->stop = true;
    pthread_mutex_unlock(&pm->mu);
    if (pm->started)
        pthread_join(pm->th, NULL);
    pm->started = false;
}

static void premap_release(struct premap *pm)
{
    premap_join(pm);
    if (pm->map)
        munmap(pm->map, pm->len);
    if (pm->fd >= 0)
        close(pm->fd);
    pm->map = NULL;
    pm->fd = -1;
    pthread_mutex_destroy(&pm->mu);
}

/* ---- matching ---- */

static void emit_json(struct match_state *st, uint64_t line_no, const char *line, size_t len,
                      const struct linescan_hit *hit)
{
    const char *name = st->name;
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

/* A selected line, in input order. */
static int on_line(void *ctx, const struct textscan_line *l)
{
    struct match_state *st = ctx;

    if (st->o.json) {
        emit_json(st, l->line_no, l->line, l->len, l->result == LINESCAN_MATCH ? &l->hit : NULL);
    } else {
        if (st->o.names) {
            out_str(&st->out, st->name);
            out_put(&st->out, ":", 1);
        }
        out_put(&st->out, l->line, l->len);
    }
    return st->out.failed ? -EIO : 0;
}

/* Match one input (a mapped one when map is not NULL: what textscan_fd()
 * does with a regular file); returns 0 or -errno (reported). */
static int match_fd(struct match_state *st, int fd, const char *map, size_t map_len,
                    const char *name)
{
    struct textscan_stats stats = {0, 0};
    struct verr err;

    verr_init(&err);
    st->name = name;
    int r = map ? textscan_buf(st->list->set, &st->ts, map, map_len, on_line, st, &stats)
                : textscan_fd(st->list->set, &st->ts, fd, on_line, st, &stats, &err);
    st->n_selected += stats.n_selected;
    if (r < 0 && r != -EIO)
        fprintf(stderr, "vigil match: %s: %s\n", name, err.code ? err.msg : strerror(-r));
    return r;
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
    fputs(_("  -j, --threads N  scan on N threads (default: one per CPU)\n"), f);
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
    textscan_opts_init(&st.ts);
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
        } else if (strcmp(a, "-j") == 0 || strcmp(a, "--threads") == 0 ||
                   strncmp(a, "--threads=", 10) == 0 || (strncmp(a, "-j", 2) == 0 && a[2])) {
            const char *v = a[1] == 'j' ? a + 2 : a[9] == '=' ? a + 10 : NULL;
            uint64_t n;
            if (!v || !*v) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "vigil match: %s '%s'\n", _("option needs a value:"), a);
                    VEC_FREE(&files);
                    return 2;
                }
                v = argv[++i];
            }
            if (str_to_u64(v, strlen(v), TEXTSCAN_MAX_THREADS, &n) < 0 || n < 1) {
                fprintf(stderr, "vigil match: %s '%s'\n", _("bad thread count:"), v);
                VEC_FREE(&files);
                return 2;
            }
            st.ts.n_threads = (unsigned)n;
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
    struct premap pm;
    bool premapped = files.n > 0 && strcmp(files.items[0], "-") != 0;
    if (premapped)
        premap_start(&pm, files.items[0]);
    verr_init(&err);
    int lr = load_list(list_path, &list, &err);
    if (premapped)
        premap_join(&pm);
    if (lr < 0) {
        if (premapped)
            premap_release(&pm);
        fprintf(stderr, "vigil match: %s\n", err.msg);
        ipset_free(list.set);
        VEC_FREE(&list.prefixes);
        VEC_FREE(&files);
        return 2;
    }

    st.list = &list;
    st.o.names = files.n > 1;
    st.ts.select = st.o.invert ? TEXTSCAN_SELECT_NO_MATCH : TEXTSCAN_SELECT_MATCH;
    st.ts.count_only = st.o.count;
    st.out.data = xmalloc(OUT_BLOCK);
    if (files.n == 0)
        VEC_PUSH(&files, "-");
    for (size_t i = 0; i < files.n; i++) {
        const char *path = files.items[i];
        bool is_stdin = strcmp(path, "-") == 0;
        const char *name = is_stdin ? (st.o.json ? "-" : _("(standard input)")) : path;
        if (i == 0 && premapped && pm.map) {
            if (match_fd(&st, -1, pm.map, pm.len, name) < 0)
                status = 2;
            continue;
        }
        int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            out_flush(&st.out);
            fprintf(stderr, "vigil match: %s: %s\n", path, strerror(errno));
            status = 2;
            continue;
        }
        if (match_fd(&st, fd, NULL, 0, name) < 0)
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
    if (premapped)
        premap_release(&pm);
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
