/*
 * textscan: grepcidr's line reading, emulated, over blocks on threads.
 *
 * grepcidr 2.0 reads a line with fgets() into a buffer that starts at 512
 * bytes and doubles, and keeps the text up to the first NUL of each
 * fgets() piece, joining pieces until one ends in '\n'. So:
 *  - a line holding a NUL byte ends at the NUL and is joined with the next
 *    line; a line starting with a NUL is empty;
 *  - addresses may start only before the buffer size minus 5;
 *  - a last line without '\n' whose length fills the buffer exactly is
 *    dropped;
 *  - the buffer doubles at each NUL join and for long lines, and once it
 *    reaches 2 GiB fgets() is given a negative size and the rest of the
 *    input is not read.
 * The one piece of state carried from line to line is the buffer size.
 *
 * Blocks. A block ends just after a '\n' whose physical line holds no NUL:
 * whatever the state, a line ends there. Workers scan blocks assuming the
 * first buffer size (512); a block whose result could depend on a larger
 * one (a NUL, a line within 5 bytes of the buffer size, a lost last line,
 * a huge buffer) is marked sensitive. Blocks are committed in order on the
 * calling thread, which knows the true buffer size: a sensitive block
 * scanned with the wrong size is scanned again, otherwise the size after
 * it is the larger of the two (lines without NUL only ever raise it to fit
 * themselves).
 */
#include "intel/textscan.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/vec.h"

#define BUF0              ((size_t)512) /* grepcidr's first line buffer size */
#define LOOKAHEAD         ((size_t)5)   /* addresses start before bufsize - 5 */
#define BLOCK_DEFAULT     ((size_t)1 << 20)
#define HUGE_BUF          ((size_t)1 << 30) /* near where grepcidr stops reading */
#define JOINED_MAX        ((size_t)1 << 31)
#define STREAM_CHUNK      ((size_t)8 << 20)
#define STREAM_MAX        ((size_t)256 << 20)
#define WINDOW_PER_THREAD 4

/* ---- grepcidr's line reader ---- */

struct reader {
    size_t bufsize;    /* grepcidr's line buffer size: 512, doubling */
    struct buf joined; /* a line joined across a NUL byte */
    uint64_t line_no;  /* '\n' bytes consumed */
    bool nul;          /* a NUL byte was met */
    bool lost;         /* a last line was dropped */
    bool dead;         /* the buffer passed 2 GiB: nothing more is read */
};

enum rd { RD_LINE, RD_EOF, RD_MORE };

/*
 * The next line of data[*pos, n) as grepcidr's fgets_whole_line() returns
 * it: the text up to the first NUL of each fgets() piece, pieces joined
 * until one ends in '\n' or end of input. eof says nothing follows n;
 * without it RD_MORE asks for more data (nothing consumed). *ret_joined
 * says the line was copied into r->joined.
 */
static enum rd next_line(struct reader *r, const char *data, size_t n, bool eof, size_t *pos,
                         const char **ret_line, size_t *ret_len, bool *ret_joined)
{
    size_t S = r->bufsize, p = *pos, cur = 0, newlines = 0;
    bool joined = false;

    for (;;) {
        /* grepcidr passes the room to fgets() as an int: from 2 GiB on it
         * is not positive, fgets() fails and the input ends there. */
        if (S - cur > INT_MAX) {
            r->dead = true;
            *pos = n;
            return RD_EOF;
        }
        if (p >= n) {
            if (!eof)
                return RD_MORE;
            r->lost |= cur > 0; /* fgets read nothing: the pending text is lost */
            *pos = n;
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
        const char *z = memchr(data + p, 0, k);
        size_t c = z ? (size_t)(z - (data + p)) : k;
        r->nul |= z != NULL;
        if (joined && buf_append(&r->joined, data + p, c) < 0) {
            r->dead = true;
            return RD_EOF;
        }
        size_t len = cur + c;
        p += k;
        const char *line = joined ? r->joined.data : data + *pos;
        if (len == 0 || line[len - 1] == '\n' || at_eof) {
            r->bufsize = S;
            r->line_no += newlines;
            *pos = p;
            *ret_line = len ? line : "";
            *ret_len = len;
            *ret_joined = joined && len;
            return RD_LINE;
        }
        if (!joined && c < k) {
            buf_reset(&r->joined);
            if (buf_append(&r->joined, data + *pos, len) < 0) {
                r->dead = true;
                return RD_EOF;
            }
            joined = true;
        }
        S *= 2;
        cur = len;
    }
}

/* ---- blocks ---- */

struct rec {
    size_t off, len; /* in the block's data, or in its side buffer */
    uint64_t line_rel;
    struct linescan_hit hit;
    uint8_t result;
    bool side;
};

struct block {
    size_t start, end; /* in the range */
    bool last;         /* ends the input */
    bool done;
    /* results */
    VEC(struct rec) recs;
    struct buf side; /* lines joined across NUL bytes */
    struct buf joined;
    uint64_t n_lines, n_selected;
    size_t bufsize_in, bufsize_out;
    bool sensitive, dead;
};

/* One scan over one range of one input. */
struct engine {
    const struct ipset *set;
    const struct textscan_opts *o;
    const char *data;
    size_t n;
    bool eof;

    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct block *slots;
    size_t n_slots;
    size_t next_start;    /* where the next block starts */
    uint64_t n_claimed;   /* blocks handed out */
    uint64_t n_committed; /* blocks committed */
    bool stop;
};

/* The state carried along one input. */
struct tstate {
    size_t bufsize;
    uint64_t line_no;
    bool dead;
};

static int add_rec(struct block *b, const char *blk, const char *line, size_t len,
                   uint64_t line_rel, enum linescan_result r, const struct linescan_hit *hit,
                   bool joined)
{
    struct rec x = {.len = len, .line_rel = line_rel, .result = (uint8_t)r, .side = joined};
    b->n_selected++;
    if (hit && r == LINESCAN_MATCH)
        x.hit = *hit;
    if (joined) {
        x.off = b->side.len;
        if (buf_append(&b->side, line, len) < 0)
            return -E2BIG;
    } else {
        x.off = (size_t)(line - blk);
    }
    VEC_PUSH(&b->recs, x);
    return 0;
}

struct fast_ctx {
    struct block *b;
    const char *blk;
    uint64_t line_base;
    bool count_only;
};

static int on_fast_line(void *ctx, const char *line, size_t len, uint64_t idx,
                        enum linescan_result r, const struct linescan_hit *hit)
{
    struct fast_ctx *f = ctx;
    if (f->count_only) {
        f->b->n_selected++;
        return 0;
    }
    return add_rec(f->b, f->blk, line, len, f->line_base + idx, r, hit, false);
}

/* Scan block b starting with grepcidr's buffer at bufsize. */
static void block_scan(const struct engine *e, struct block *b, size_t bufsize)
{
    const char *d = e->data + b->start;
    size_t n = b->end - b->start, pos = 0;
    unsigned select = e->o->select;
    struct reader r = {.bufsize = bufsize, .joined = b->joined};

    b->recs.n = 0;
    buf_reset(&b->side);
    b->n_selected = 0;
    b->sensitive = false;
    b->bufsize_in = bufsize;
    while (pos < n) {
        if (r.bufsize > INT_MAX) { /* as next_line(): nothing more is read */
            r.dead = true;
            break;
        }
        struct fast_ctx fc = {b, d, r.line_no, e->o->count_only};
        uint64_t n_fast;
        int stop;
        pos += linescan_lines(e->set, d + pos, n - pos, r.bufsize - LOOKAHEAD, select, on_fast_line,
                              &fc, &n_fast, &stop);
        r.line_no += n_fast;
        if (stop) { /* the side buffer is full */
            b->sensitive = r.dead = true;
            break;
        }
        if (pos >= n)
            break;
        /* A line the fast path leaves: NUL, long, or last without '\n'. */
        const char *line;
        size_t len;
        bool joined;
        uint64_t line_rel = r.line_no;
        if (next_line(&r, d, n, b->last && e->eof, &pos, &line, &len, &joined) != RD_LINE)
            break;
        struct linescan_hit hit;
        enum linescan_result m = linescan_line(e->set, line, len, r.bufsize - LOOKAHEAD, &hit);
        b->sensitive |= len + LOOKAHEAD > r.bufsize;
        if (!((select >> m) & 1))
            continue;
        if (e->o->count_only)
            b->n_selected++;
        else if (add_rec(b, d, line, len, line_rel, m, &hit, joined) < 0)
            r.dead = true;
    }
    b->joined = r.joined;
    b->n_lines = r.line_no;
    b->bufsize_out = r.bufsize;
    b->dead = r.dead;
    b->sensitive |= r.nul || r.lost || r.dead || r.bufsize >= HUGE_BUF;
}

/* The end of the block starting at start: just after the first '\n' at or
 * past start + size - 1 whose line holds no NUL, or the end of data. */
static size_t block_end(const char *data, size_t n, size_t start, size_t size)
{
    size_t from = start + size - 1 < n ? start + size - 1 : n;
    while (from < n) {
        const char *nl = memchr(data + from, '\n', n - from);
        if (!nl)
            return n;
        size_t j = (size_t)(nl - data);
        const char *prev = j > start ? memrchr(data + start, '\n', j - start) : NULL;
        size_t ls = prev ? (size_t)(prev - data) + 1 : start;
        if (!memchr(data + ls, 0, j - ls))
            return j + 1;
        from = j + 1;
    }
    return n;
}

/* Hand a committed block's lines to fn and carry the state past it.
 * Returns fn's stop value or 0. */
static int block_commit(struct engine *e, struct block *b, struct tstate *st, textscan_fn fn,
                        void *ctx, struct textscan_stats *stats)
{
    if (st->dead || st->bufsize > INT_MAX) {
        st->dead = true;
        return 0;
    }
    if (b->sensitive && b->bufsize_in != st->bufsize)
        block_scan(e, b, st->bufsize);
    stats->n_lines += b->n_lines;
    stats->n_selected += b->n_selected;
    if (!e->o->count_only) {
        const char *blk = e->data + b->start;
        for (size_t i = 0; i < b->recs.n; i++) {
            const struct rec *x = &b->recs.items[i];
            struct textscan_line l = {
                .line = x->side ? b->side.data + x->off : blk + x->off,
                .len = x->len,
                .line_no = st->line_no + x->line_rel + 1,
                .result = (enum linescan_result)x->result,
                .hit = x->hit,
            };
            int r = fn(ctx, &l);
            if (r)
                return r;
        }
    }
    st->line_no += b->n_lines;
    st->bufsize = MAX(st->bufsize, b->bufsize_out);
    st->dead = b->dead;
    return 0;
}

static void *worker(void *arg)
{
    struct engine *e = arg;

    pthread_mutex_lock(&e->mu);
    for (;;) {
        if (e->stop || e->next_start >= e->n)
            break;
        if (e->n_claimed >= e->n_committed + e->n_slots) {
            pthread_cond_wait(&e->cond, &e->mu);
            continue;
        }
        struct block *b = &e->slots[e->n_claimed % e->n_slots];
        b->start = e->next_start;
        b->end = block_end(e->data, e->n, b->start, e->o->block_size);
        b->last = b->end == e->n;
        b->done = false;
        e->next_start = b->end;
        e->n_claimed++;
        pthread_mutex_unlock(&e->mu);
        block_scan(e, b, BUF0);
        pthread_mutex_lock(&e->mu);
        b->done = true;
        pthread_cond_broadcast(&e->cond);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

static unsigned thread_count(const struct textscan_opts *o)
{
    long n = o->n_threads ? (long)o->n_threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > TEXTSCAN_MAX_THREADS ? TEXTSCAN_MAX_THREADS : (unsigned)n;
}

static void blocks_free(struct block *slots, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        VEC_FREE(&slots[i].recs);
        buf_release(&slots[i].side);
        buf_release(&slots[i].joined);
    }
    free(slots);
}

static struct block *blocks_new(size_t n)
{
    struct block *slots = xcalloc(n, sizeof(*slots));
    for (size_t i = 0; i < n; i++) {
        buf_init(&slots[i].side, JOINED_MAX);
        buf_init(&slots[i].joined, JOINED_MAX);
    }
    return slots;
}

/* Scan data[0, n) (eof: the input ends there; otherwise n is just after
 * a '\n' whose line holds no NUL) with the state st. */
static int scan_range(const struct ipset *s, const struct textscan_opts *o, const char *data,
                      size_t n, bool eof, struct tstate *st, textscan_fn fn, void *ctx,
                      struct textscan_stats *stats)
{
    struct engine e = {.set = s, .o = o, .data = data, .n = n, .eof = eof};
    unsigned nt = thread_count(o);
    int ret = 0;

    if (nt == 1 || n <= o->block_size) {
        /* One thread: blocks in order, each scanned with the true state. */
        struct block *b = blocks_new(1);
        e.slots = b;
        for (size_t start = 0; start < n && !ret && !st->dead;) {
            b->start = start;
            b->end = block_end(data, n, start, o->block_size);
            b->last = b->end == n;
            block_scan(&e, b, st->bufsize);
            ret = block_commit(&e, b, st, fn, ctx, stats);
            start = b->end;
        }
        blocks_free(b, 1);
        return ret;
    }

    pthread_t th[TEXTSCAN_MAX_THREADS];
    unsigned started = 0;
    e.n_slots = (size_t)nt * WINDOW_PER_THREAD;
    e.slots = blocks_new(e.n_slots);
    pthread_mutex_init(&e.mu, NULL);
    pthread_cond_init(&e.cond, NULL);
    for (; started < nt; started++) {
        int r = pthread_create(&th[started], NULL, worker, &e);
        if (r) {
            ret = -r;
            break;
        }
    }
    if (started == 0)
        goto out;
    ret = 0;
    for (;;) {
        pthread_mutex_lock(&e.mu);
        struct block *b = &e.slots[e.n_committed % e.n_slots];
        while (e.n_committed < e.n_claimed ? !b->done : e.next_start < e.n && !e.stop)
            pthread_cond_wait(&e.cond, &e.mu);
        bool more = e.n_committed < e.n_claimed;
        pthread_mutex_unlock(&e.mu);
        if (!more)
            break;
        if (!ret)
            ret = block_commit(&e, b, st, fn, ctx, stats);
        pthread_mutex_lock(&e.mu);
        e.n_committed++;
        if (ret || st->dead)
            e.stop = true;
        pthread_cond_broadcast(&e.cond);
        pthread_mutex_unlock(&e.mu);
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
out:
    pthread_cond_destroy(&e.cond);
    pthread_mutex_destroy(&e.mu);
    blocks_free(e.slots, e.n_slots);
    return ret;
}

void textscan_opts_init(struct textscan_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->select = TEXTSCAN_SELECT_MATCH;
}

static void opts_fill(const struct textscan_opts *in, struct textscan_opts *o)
{
    *o = *in;
    if (!o->block_size)
        o->block_size = BLOCK_DEFAULT;
}

int textscan_buf(const struct ipset *s, const struct textscan_opts *o, const char *data, size_t len,
                 textscan_fn fn, void *ctx, struct textscan_stats *stats)
{
    struct textscan_opts oo;
    struct tstate st = {.bufsize = BUF0};

    opts_fill(o, &oo);
    return scan_range(s, &oo, data, len, true, &st, fn, ctx, stats);
}

/* The end of the last block boundary in data[0, n), or 0. */
static size_t last_boundary(const char *data, size_t n)
{
    while (n) {
        const char *nl = memrchr(data, '\n', n);
        if (!nl)
            return 0;
        size_t j = (size_t)(nl - data);
        const char *prev = j ? memrchr(data, '\n', j) : NULL;
        size_t ls = prev ? (size_t)(prev - data) + 1 : 0;
        if (!memchr(data + ls, 0, j - ls))
            return j + 1;
        n = ls;
    }
    return 0;
}

int textscan_fd(const struct ipset *s, const struct textscan_opts *o, int fd, textscan_fn fn,
                void *ctx, struct textscan_stats *stats, struct verr *err)
{
    struct textscan_opts oo;
    struct tstate st = {.bufsize = BUF0};
    struct stat sb;
    int ret = 0;

    opts_fill(o, &oo);
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
        (uint64_t)sb.st_size <= SIZE_MAX) {
        size_t n = (size_t)sb.st_size;
        void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            (void)madvise(m, n, MADV_WILLNEED);
            ret = scan_range(s, &oo, m, n, true, &st, fn, ctx, stats);
            munmap(m, n);
            return ret;
        }
    }
    /* Pipes, terminals and files that cannot be mapped: chunks that end
     * at a block boundary. */
    size_t alloc = STREAM_CHUNK * 2, have = 0;
    char *b = xmalloc(alloc);
    bool eof = false;
    while (!eof && !ret && !st.dead) {
        if (alloc - have < STREAM_CHUNK) {
            if (alloc >= STREAM_MAX) {
                ret = verr_set(err, -E2BIG, "line too long");
                break;
            }
            alloc *= 2;
            b = xrealloc(b, alloc);
        }
        ssize_t k = read(fd, b + have, alloc - have);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            ret = verr_set(err, -errno, "%s", strerror(errno));
            break;
        }
        eof = k == 0;
        have += (size_t)k;
        if (!eof && have < STREAM_CHUNK)
            continue;
        size_t used = eof ? have : last_boundary(b, have);
        if (used) {
            ret = scan_range(s, &oo, b, used, eof, &st, fn, ctx, stats);
            memmove(b, b + used, have - used);
            have -= used;
        }
    }
    free(b);
    return ret;
}
