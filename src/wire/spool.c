/*
 * The sender's durable queue (spool.h).
 *
 * dir/seg-<first seq, 20 digits>.log   records, appended with write(2):
 *     u64 seq, u32 len, u32 crc32c (of the 12 bytes before it and the
 *     payload), all little-endian, then len bytes of payload. The records of
 *     a segment have contiguous seqs starting at the one in its name.
 * dir/state                            written atomically:
 *     "acked N\ndropped_seq N\ndropped_records N\ndropped_bytes N\n"
 *
 * next_seq after a restart is one past the highest of: the last record on
 * disk, acked, dropped_seq; so a seq is never handed out twice even when
 * every segment has been acknowledged and deleted.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/str.h"
#include "wire/spool.h"

#define REC_HDR          16
#define SPOOL_MIN_BYTES  (1u << 20)
#define SEG_MIN_BYTES    4096
#define SPOOL_MAX_RECORD (64u << 20) /* a record longer than this is damage */
#define SEG_PREFIX       "seg-"
#define SEG_SUFFIX       ".log"
#define SEG_NAME_LEN     (4 + 20 + 4)
#define STATE_NAME       "state"
#define STATE_MAX        4096

struct segment {
    uint64_t first; /* seq of its first record (from the name) */
    uint64_t n;     /* records */
    uint64_t bytes; /* file size */
};

struct spool {
    char *dir;
    int dirfd;
    uint64_t max_bytes, segment_bytes;
    struct segment *segs; /* oldest first */
    size_t n_segs;
    int wfd; /* append fd of the last segment, -1 when none is open */
    bool wfd_dirty, dir_dirty;
    uint64_t next_seq, acked, dropped_seq;
    uint64_t bytes, dropped_records, dropped_bytes, truncated_tail;
    struct buf wbuf, rbuf;
    /* Where the last spool_read stopped, to resume without rescanning. */
    uint64_t cur_seq, cur_seg_first, cur_off;
};

/* ---- CRC-32C (Castagnoli, reflected 0x82F63B78) ------------------------ */

static uint32_t crc_table[256];

static void crc_init(void)
{
    if (crc_table[1])
        return;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32c(uint32_t crc, const void *p, size_t len)
{
    const uint8_t *b = p;
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = crc_table[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* ---- segments ---------------------------------------------------------- */

static void seg_name(char out[SEG_NAME_LEN + 1], uint64_t first)
{
    snprintf(out, SEG_NAME_LEN + 1, SEG_PREFIX "%020" PRIu64 SEG_SUFFIX, first);
}

static bool seg_parse_name(const char *name, uint64_t *ret)
{
    if (strlen(name) != SEG_NAME_LEN || !str_has_prefix(name, SEG_PREFIX) ||
        strcmp(name + SEG_NAME_LEN - 4, SEG_SUFFIX) != 0)
        return false;
    return str_to_u64(name + 4, 20, INT64_MAX, ret) == 0 && *ret > 0;
}

static uint64_t seg_last(const struct segment *g)
{
    return g->first + g->n - 1;
}

/* Records of g above seq. */
static uint64_t seg_pending(const struct segment *g, uint64_t seq)
{
    if (g->n == 0 || seg_last(g) <= seq)
        return 0;
    return seq < g->first ? g->n : seg_last(g) - seq;
}

/* Read the record at off of the open segment fd (file size size) whose
 * seq must be want, into s->rbuf. Returns its total length (header and
 * payload), 0 at the end of the file, or -EBADMSG for a torn or damaged
 * record, or -errno. */
static int64_t rec_read(struct spool *s, int fd, uint64_t off, uint64_t size, uint64_t want,
                        uint64_t *ret_seq)
{
    if (off == size)
        return 0;
    uint8_t h[REC_HDR];
    if (size - off < REC_HDR)
        return -EBADMSG;
    ssize_t n = pread(fd, h, REC_HDR, (off_t)off);
    if (n < 0)
        return -errno;
    if (n != REC_HDR)
        return -EBADMSG;
    uint64_t seq = get_le(h, 8);
    uint32_t len = (uint32_t)get_le(h + 8, 4), crc = (uint32_t)get_le(h + 12, 4);
    if (seq != want || len > SPOOL_MAX_RECORD || len > size - off - REC_HDR)
        return -EBADMSG;
    buf_reset(&s->rbuf);
    int r = buf_reserve(&s->rbuf, len);
    if (r < 0)
        return r;
    n = len ? pread(fd, s->rbuf.data, len, (off_t)(off + REC_HDR)) : 0;
    if (n < 0)
        return -errno;
    if ((size_t)n != len)
        return -EBADMSG;
    s->rbuf.len = len;
    s->rbuf.data[len] = '\0';
    if (crc32c(crc32c(0, h, 12), s->rbuf.data, len) != crc)
        return -EBADMSG;
    *ret_seq = seq;
    return REC_HDR + (int64_t)len;
}

static int seg_path_open(struct spool *s, uint64_t first, int flags)
{
    char name[SEG_NAME_LEN + 1];
    seg_name(name, first);
    int fd = openat(s->dirfd, name, flags | O_CLOEXEC, 0600);
    return fd < 0 ? -errno : fd;
}

static int seg_unlink(struct spool *s, uint64_t first)
{
    char name[SEG_NAME_LEN + 1];
    seg_name(name, first);
    if (unlinkat(s->dirfd, name, 0) < 0 && errno != ENOENT)
        return -errno;
    s->dir_dirty = true;
    return 0;
}

static int seg_err(struct verr *err, int code, uint64_t first)
{
    return verr_set(err, code, "spool: segment %llu: %s", (unsigned long long)first,
                    strerror(-code));
}

/* Scan a segment at open: count its good records, cut off a torn or damaged
 * tail. */
static int seg_scan(struct spool *s, struct segment *g, struct verr *err)
{
    int fd = seg_path_open(s, g->first, O_RDWR);
    if (fd < 0)
        return seg_err(err, fd, g->first);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int r = -errno;
        close(fd);
        return seg_err(err, r, g->first);
    }
    uint64_t size = (uint64_t)st.st_size, off = 0, seq;
    int64_t k;
    g->n = 0;
    while ((k = rec_read(s, fd, off, size, g->first + g->n, &seq)) > 0) {
        off += (uint64_t)k;
        g->n++;
    }
    int r = 0;
    if (k == -EBADMSG) {
        s->truncated_tail++;
        if (ftruncate(fd, (off_t)off) < 0 || fdatasync(fd) < 0)
            r = -errno;
    } else if (k < 0) {
        r = (int)k;
    }
    close(fd);
    g->bytes = off;
    if (r < 0)
        return seg_err(err, r, g->first);
    return 0;
}

static void segs_remove_first(struct spool *s)
{
    s->bytes -= s->segs[0].bytes;
    memmove(s->segs, s->segs + 1, (s->n_segs - 1) * sizeof(*s->segs));
    s->n_segs--;
}

/* ---- state file -------------------------------------------------------- */

static int state_write(struct spool *s)
{
    char text[256];
    int n = snprintf(text, sizeof(text),
                     "acked %" PRIu64 "\ndropped_seq %" PRIu64 "\ndropped_records %" PRIu64
                     "\ndropped_bytes %" PRIu64 "\n",
                     s->acked, s->dropped_seq, s->dropped_records, s->dropped_bytes);
    if (n < 0 || (size_t)n >= sizeof(text))
        return -EINVAL;
    char path[4096];
    int m = snprintf(path, sizeof(path), "%s/" STATE_NAME, s->dir);
    if (m < 0 || (size_t)m >= sizeof(path))
        return -ENAMETOOLONG;
    return file_write_atomic(path, text, (size_t)n, 0600);
}

static int state_read(struct spool *s, struct verr *err)
{
    char path[4096];
    int m = snprintf(path, sizeof(path), "%s/" STATE_NAME, s->dir);
    if (m < 0 || (size_t)m >= sizeof(path))
        return verr_set(err, -ENAMETOOLONG, "spool: directory name too long");
    char *text;
    size_t len;
    int r = file_read_all(path, STATE_MAX, &text, &len);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return verr_set(err, r, "spool: %s: %s", path, strerror(-r));
    struct {
        const char *key;
        uint64_t *val;
    } keys[] = {
        {"acked", &s->acked},
        {"dropped_seq", &s->dropped_seq},
        {"dropped_records", &s->dropped_records},
        {"dropped_bytes", &s->dropped_bytes},
    };
    const char *p = text, *end = text + len;
    int line = 0;
    while (p < end && r == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        const char *sp = memchr(p, ' ', (size_t)(eol - p));
        line++;
        r = -EINVAL;
        for (size_t i = 0; sp && i < ARRAY_SIZE(keys); i++)
            if ((size_t)(sp - p) == strlen(keys[i].key) &&
                memcmp(p, keys[i].key, (size_t)(sp - p)) == 0)
                r = str_to_u64(sp + 1, (size_t)(eol - sp - 1), INT64_MAX, keys[i].val);
        p = eol + 1;
    }
    free(text);
    if (r < 0)
        return verr_set(err, -EINVAL, "spool: %s: bad line %d", path, line);
    return 0;
}

/* ---- open, close ------------------------------------------------------- */

static int seg_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct segment *)a)->first, y = ((const struct segment *)b)->first;
    return x < y ? -1 : x > y;
}

/* List segment files (sorted) and remove leftovers of interrupted state
 * writes. */
static int segs_list(struct spool *s, struct verr *err)
{
    int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        int r = -errno;
        if (fd >= 0)
            close(fd);
        return verr_set(err, r, "spool: %s: %s", s->dir, strerror(-r));
    }
    size_t alloc = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        uint64_t first;
        if (str_has_prefix(de->d_name, STATE_NAME ".tmp")) {
            unlinkat(s->dirfd, de->d_name, 0);
            continue;
        }
        if (!seg_parse_name(de->d_name, &first))
            continue;
        if (s->n_segs == alloc) {
            alloc = alloc ? alloc * 2 : 16;
            s->segs = xreallocarray(s->segs, alloc, sizeof(*s->segs));
        }
        s->segs[s->n_segs++] = (struct segment){.first = first};
    }
    closedir(d);
    if (s->n_segs)
        qsort(s->segs, s->n_segs, sizeof(*s->segs), seg_cmp);
    return 0;
}

/* Scan every segment; drop empty ones, ones fully acknowledged, and ones
 * that overlap their predecessor (damage). */
static int segs_load(struct spool *s, struct verr *err)
{
    size_t kept = 0;
    uint64_t after = 0; /* last seq of the previous kept segment */
    for (size_t i = 0; i < s->n_segs; i++) {
        struct segment g = s->segs[i];
        int r = seg_scan(s, &g, err);
        if (r < 0)
            return r;
        if (g.n == 0 || g.first <= after || seg_last(&g) <= s->acked) {
            if ((r = seg_unlink(s, g.first)) < 0)
                return seg_err(err, r, g.first);
            continue;
        }
        after = seg_last(&g);
        s->segs[kept++] = g;
        s->bytes += g.bytes;
    }
    s->n_segs = kept;
    return 0;
}

int spool_open(const char *dir, uint64_t max_bytes, uint64_t segment_bytes, struct spool **ret,
               struct verr *err)
{
    crc_init();
    int r = mkdir_p(dir, 0700);
    if (r < 0)
        return verr_set(err, r, "spool: %s: %s", dir, strerror(-r));
    struct spool *s = xcalloc(1, sizeof(*s));
    s->dir = xstrdup(dir);
    s->wfd = -1;
    s->max_bytes = MAX(max_bytes, SPOOL_MIN_BYTES);
    s->segment_bytes = MIN(MAX(segment_bytes, SEG_MIN_BYTES), s->max_bytes / 2);
    buf_init(&s->wbuf, 0);
    buf_init(&s->rbuf, SPOOL_MAX_RECORD);
    s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        r = verr_set(err, -errno, "spool: %s: %s", dir, strerror(errno));
        goto fail;
    }
    if ((r = state_read(s, err)) < 0 || (r = segs_list(s, err)) < 0 || (r = segs_load(s, err)) < 0)
        goto fail;
    uint64_t top = MAX(s->acked, s->dropped_seq);
    if (s->n_segs)
        top = MAX(top, seg_last(&s->segs[s->n_segs - 1]));
    s->next_seq = top + 1;
    if (s->dir_dirty && fsync(s->dirfd) < 0) {
        r = verr_set(err, -errno, "spool: %s: %s", dir, strerror(errno));
        goto fail;
    }
    s->dir_dirty = false;
    *ret = s;
    return 0;
fail:
    spool_close(s);
    return r;
}

void spool_close(struct spool *s)
{
    if (!s)
        return;
    if (s->wfd >= 0)
        close(s->wfd);
    if (s->dirfd >= 0)
        close(s->dirfd);
    buf_release(&s->wbuf);
    buf_release(&s->rbuf);
    free(s->segs);
    free(s->dir);
    free(s);
}

/* ---- append ------------------------------------------------------------ */

/* Start a new segment whose first record will be next_seq. The previous
 * one is synced first, so only the last segment can have a torn tail. */
static int seg_start(struct spool *s)
{
    if (s->wfd >= 0) {
        if (s->wfd_dirty && fdatasync(s->wfd) < 0)
            return -errno;
        close(s->wfd);
        s->wfd = -1;
        s->wfd_dirty = false;
    }
    int fd = seg_path_open(s, s->next_seq, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC);
    if (fd < 0)
        return fd;
    s->segs = xreallocarray(s->segs, s->n_segs + 1, sizeof(*s->segs));
    s->segs[s->n_segs++] = (struct segment){.first = s->next_seq};
    s->wfd = fd;
    s->dir_dirty = true;
    return 0;
}

/* Drop the oldest segment, counting its unacknowledged records. */
static int seg_drop_oldest(struct spool *s)
{
    struct segment *g = &s->segs[0];
    uint64_t pending = seg_pending(g, s->acked);
    uint64_t bytes = g->bytes;
    if (pending && pending < g->n) {
        /* Partly acknowledged: count only the bytes of the pending records. */
        int fd = seg_path_open(s, g->first, O_RDONLY);
        if (fd < 0)
            return fd;
        uint64_t off = 0, seq;
        for (uint64_t i = 0; i < g->n - pending; i++) {
            int64_t k = rec_read(s, fd, off, g->bytes, g->first + i, &seq);
            if (k <= 0) {
                close(fd);
                return k < 0 ? (int)k : -EIO;
            }
            off += (uint64_t)k;
        }
        close(fd);
        bytes -= off;
    } else if (!pending) {
        bytes = 0;
    }
    int r = seg_unlink(s, g->first);
    if (r < 0)
        return r;
    s->dropped_records += pending;
    s->dropped_bytes += bytes;
    s->dropped_seq = MAX(s->dropped_seq, seg_last(g));
    segs_remove_first(s);
    return 0;
}

/* Make room for a record of need bytes: roll the segment when it is full,
 * then drop the oldest segments while the spool would pass max_bytes. */
static int make_room(struct spool *s, uint64_t need)
{
    struct segment *cur = s->n_segs && s->wfd >= 0 ? &s->segs[s->n_segs - 1] : NULL;
    int r;
    if (!cur || cur->bytes + need > s->segment_bytes) {
        if ((r = seg_start(s)) < 0)
            return r;
    }
    bool dropped = false;
    while (s->bytes + need > s->max_bytes && s->n_segs > 1) {
        if ((r = seg_drop_oldest(s)) < 0)
            return r;
        dropped = true;
    }
    return dropped ? state_write(s) : 0;
}

int spool_append(struct spool *s, const void *p, size_t len, uint64_t *ret_seq)
{
    if (len > s->segment_bytes - REC_HDR || len > SPOOL_MAX_RECORD)
        return -E2BIG;
    if (s->next_seq > INT64_MAX)
        return -EOVERFLOW;
    uint64_t need = REC_HDR + len;
    int r = make_room(s, need);
    if (r < 0)
        return r;
    uint8_t h[REC_HDR];
    put_le(h, s->next_seq, 8);
    put_le(h + 8, len, 4);
    put_le(h + 12, crc32c(crc32c(0, h, 12), p, len), 4);
    buf_reset(&s->wbuf);
    if ((r = buf_append(&s->wbuf, h, REC_HDR)) < 0 || (r = buf_append(&s->wbuf, p, len)) < 0)
        return r;
    struct segment *cur = &s->segs[s->n_segs - 1];
    r = write_all(s->wfd, s->wbuf.data, s->wbuf.len);
    if (r < 0) {
        /* Leave no partial record behind. */
        if (ftruncate(s->wfd, (off_t)cur->bytes) < 0)
            return -errno;
        return r;
    }
    cur->n++;
    cur->bytes += need;
    s->bytes += need;
    s->wfd_dirty = true;
    *ret_seq = s->next_seq++;
    return 0;
}

int spool_sync(struct spool *s)
{
    if (s->wfd >= 0 && s->wfd_dirty) {
        if (fdatasync(s->wfd) < 0)
            return -errno;
        s->wfd_dirty = false;
    }
    if (s->dir_dirty) {
        if (fsync(s->dirfd) < 0)
            return -errno;
        s->dir_dirty = false;
    }
    return 0;
}

/* ---- read -------------------------------------------------------------- */

int spool_read(struct spool *s, uint64_t from, size_t max_records, size_t max_bytes,
               spool_read_fn fn, void *ctx)
{
    from = MAX(from, s->acked + 1);
    size_t passed = 0, bytes = 0;
    bool stop = false;
    for (size_t i = 0; i < s->n_segs && !stop && passed < max_records; i++) {
        struct segment *g = &s->segs[i];
        if (seg_last(g) < from)
            continue;
        uint64_t off = 0, want = g->first, seq;
        if (s->cur_seg_first == g->first && s->cur_seq <= from && s->cur_seq > g->first) {
            off = s->cur_off;
            want = s->cur_seq;
        }
        int fd = seg_path_open(s, g->first, O_RDONLY);
        if (fd < 0)
            return fd;
        while (want <= seg_last(g) && passed < max_records) {
            int64_t k = rec_read(s, fd, off, g->bytes, want, &seq);
            if (k <= 0) {
                close(fd);
                return k < 0 ? (k == -EBADMSG ? -EIO : (int)k) : -EIO;
            }
            if (seq >= from) {
                if (passed > 0 && bytes + s->rbuf.len > max_bytes) {
                    stop = true;
                    break;
                }
                bytes += s->rbuf.len;
                passed++;
                if (fn(ctx, seq, s->rbuf.data, s->rbuf.len) != 0)
                    stop = true;
            }
            off += (uint64_t)k;
            want++;
            s->cur_seg_first = g->first;
            s->cur_seq = want;
            s->cur_off = off;
            if (stop)
                break;
        }
        close(fd);
    }
    return (int)MIN(passed, (size_t)INT32_MAX);
}

/* ---- ack, stats -------------------------------------------------------- */

static int ack_to(struct spool *s, uint64_t seq)
{
    if (seq <= s->acked)
        return 0;
    uint64_t old = s->acked;
    s->acked = seq;
    int r = state_write(s);
    if (r < 0) {
        s->acked = old;
        return r;
    }
    while (s->n_segs && seg_last(&s->segs[0]) <= seq) {
        if (s->n_segs == 1 && s->wfd >= 0) {
            close(s->wfd);
            s->wfd = -1;
            s->wfd_dirty = false;
        }
        if ((r = seg_unlink(s, s->segs[0].first)) < 0)
            return r;
        segs_remove_first(s);
    }
    return 0;
}

int spool_ack(struct spool *s, uint64_t seq)
{
    if (seq >= s->next_seq)
        return -EINVAL;
    return ack_to(s, seq);
}

int spool_advance(struct spool *s, uint64_t seq)
{
    if (seq > INT64_MAX)
        return -EINVAL;
    int r = ack_to(s, seq);
    if (r == 0 && seq >= s->next_seq)
        s->next_seq = seq + 1;
    return r;
}

void spool_stats(const struct spool *s, struct spool_stats *ret)
{
    uint64_t pending = 0;
    for (size_t i = 0; i < s->n_segs; i++)
        pending += seg_pending(&s->segs[i], s->acked);
    *ret = (struct spool_stats){
        .next_seq = s->next_seq,
        .acked_seq = s->acked,
        .n_pending = pending,
        .bytes = s->bytes,
        .dropped_records = s->dropped_records,
        .dropped_bytes = s->dropped_bytes,
        .truncated_tail = s->truncated_tail,
    };
}
