/* Following log files by glob, across rotation (see tail.h). */
#include "agent/tail.h"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/vec.h"

#define TAIL_CHUNK (64u << 10)
#define ANY_DEV    ((dev_t)-1) /* a position recovered from the spool (no device) */

struct tail_file {
    char *path;
    dev_t dev;
    ino_t ino;
    int fd;
    uint64_t off;       /* just past the last complete line handed out */
    struct buf partial; /* bytes after off read so far (no newline yet) */
    bool rotated;       /* the path names another file now: drain, then close */
    int64_t idle_since; /* monotonic s of the last read that returned data */
};

struct saved {
    char *path;
    dev_t dev;
    ino_t ino;
    uint64_t off;
};

struct tail {
    char **globs;
    size_t n_globs;
    size_t max_line;
    char *state_path;
    VEC(struct tail_file *) files;
    VEC(struct saved) saved; /* loaded state not yet matched to a file */
    uint64_t saved_seq;
    bool adopted;
    char *chunk;
};

static void file_free(struct tail_file *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    buf_release(&f->partial);
    free(f->path);
    free(f);
}

static struct tail_file *file_new(struct tail *t, const char *path, int fd, const struct stat *st,
                                  uint64_t off)
{
    struct tail_file *f = xcalloc(1, sizeof(*f));

    f->path = xstrdup(path);
    f->fd = fd;
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->off = (uint64_t)st->st_size < off ? 0 : off;
    buf_init(&f->partial, t->max_line + 1);
    return f;
}

/* Look in path's directory for the file (dev, ino): where a renamed log went. */
static int find_renamed(const char *path, dev_t dev, ino_t ino)
{
    const char *slash = strrchr(path, '/');
    char dir[4096], p[4096];
    struct dirent *de;
    DIR *d;
    int fd = -1;

    if (!slash || (size_t)(slash - path) >= sizeof(dir))
        return -1;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    if (!dir[0])
        memcpy(dir, "/", 2);
    if (!(d = opendir(dir)))
        return -1;
    while (fd < 0 && (de = readdir(d)) != NULL) {
        struct stat st;
        if (de->d_ino != ino)
            continue;
        if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
            continue;
        fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_dev != dev || st.st_ino != ino)) {
            close(fd);
            fd = -1;
        }
    }
    closedir(d);
    return fd;
}

static void load_state(struct tail *t)
{
    json_t *doc = NULL, *arr, *it;
    char *text = NULL;
    size_t len, i;

    if (file_read_all(t->state_path, TAIL_STATE_MAX, &text, &len) < 0)
        return;
    doc = json_loadb(text, len, 0, NULL);
    free(text);
    arr = json_object_get(doc, "files");
    if (json_integer_value(json_object_get(doc, "seq")) > 0)
        t->saved_seq = (uint64_t)json_integer_value(json_object_get(doc, "seq"));
    json_array_foreach(arr, i, it)
    {
        json_t *p = json_object_get(it, "path"), *dev = json_object_get(it, "dev"),
               *ino = json_object_get(it, "ino"), *off = json_object_get(it, "offset");
        struct saved s;
        if (!json_is_string(p) || !json_is_integer(dev) || !json_is_integer(ino) ||
            !json_is_integer(off) || json_integer_value(off) < 0 || i >= TAIL_MAX_FILES)
            continue;
        s.path = xstrdup(json_string_value(p));
        s.dev = (dev_t)json_integer_value(dev);
        s.ino = (ino_t)json_integer_value(ino);
        s.off = (uint64_t)json_integer_value(off);
        VEC_PUSH(&t->saved, s);
    }
    json_decref(doc);
}

/* Saved entries whose path now names another inode: the file was renamed
 * while the agent was down; follow it where it went, from the saved offset. */
static void adopt_renamed(struct tail *t)
{
    for (size_t i = 0; i < t->saved.n; i++) {
        struct saved *s = &t->saved.items[i];
        struct stat st;
        int fd;
        if (stat(s->path, &st) == 0 && (st.st_dev == s->dev || s->dev == ANY_DEV) &&
            st.st_ino == s->ino)
            continue;
        fd = s->dev == ANY_DEV ? -1 : find_renamed(s->path, s->dev, s->ino);
        if (fd >= 0 && fstat(fd, &st) == 0) {
            struct tail_file *f = file_new(t, s->path, fd, &st, s->off);
            f->rotated = true;
            VEC_PUSH(&t->files, f);
        } else if (fd >= 0) {
            close(fd);
        }
        free(s->path);
        t->saved.items[i--] = t->saved.items[--t->saved.n];
    }
}

int tail_open(char *const *globs, size_t n_globs, size_t max_line, const char *state_path,
              struct tail **ret, struct verr *err)
{
    struct tail *t;

    if (max_line < 16)
        return verr_set(err, -EINVAL, "line limit too small");
    t = xcalloc(1, sizeof(*t));
    t->globs = xcalloc(n_globs + 1, sizeof(char *));
    for (size_t i = 0; i < n_globs; i++)
        t->globs[i] = xstrdup(globs[i]);
    t->n_globs = n_globs;
    t->max_line = max_line;
    t->state_path = xstrdup(state_path);
    t->chunk = xmalloc(TAIL_CHUNK);
    load_state(t);
    *ret = t;
    return 0;
}

void tail_free(struct tail *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->files.n; i++)
        file_free(t->files.items[i]);
    VEC_FREE(&t->files);
    for (size_t i = 0; i < t->saved.n; i++)
        free(t->saved.items[i].path);
    VEC_FREE(&t->saved);
    for (size_t i = 0; i < t->n_globs; i++)
        free(t->globs[i]);
    free(t->globs);
    free(t->state_path);
    free(t->chunk);
    free(t);
}

static struct tail_file *find_active(struct tail *t, const char *path)
{
    for (size_t i = 0; i < t->files.n; i++)
        if (!t->files.items[i]->rotated && strcmp(t->files.items[i]->path, path) == 0)
            return t->files.items[i];
    return NULL;
}

/* Start following path (a new match of a glob). */
static void follow(struct tail *t, const char *path, int64_t now_s)
{
    struct stat st;
    uint64_t off = 0;
    int fd;

    if (t->files.n >= TAIL_MAX_FILES)
        return;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return;
    }
    for (size_t i = 0; i < t->saved.n; i++) {
        struct saved *s = &t->saved.items[i];
        if (strcmp(s->path, path) != 0)
            continue;
        if ((s->dev == st.st_dev || s->dev == ANY_DEV) && s->ino == st.st_ino)
            off = MAX(off, s->off);
        free(s->path);
        t->saved.items[i--] = t->saved.items[--t->saved.n];
    }
    struct tail_file *f = file_new(t, path, fd, &st, off);
    f->idle_since = now_s;
    VEC_PUSH(&t->files, f);
}

static void scan_globs(struct tail *t, int64_t now_s)
{
    for (size_t g = 0; g < t->n_globs; g++) {
        glob_t gl;
        if (glob(t->globs[g], GLOB_NOSORT, NULL, &gl) != 0)
            continue;
        for (size_t i = 0; i < gl.gl_pathc; i++) {
            const char *path = gl.gl_pathv[i];
            struct tail_file *f = find_active(t, path);
            struct stat st;
            if (f && stat(path, &st) == 0 && (st.st_dev != f->dev || st.st_ino != f->ino)) {
                f->rotated = true; /* renamed away; a new file took the name */
                f->idle_since = now_s;
                f = NULL;
            }
            if (!f)
                follow(t, path, now_s);
        }
        globfree(&gl);
    }
    /* active files whose name disappeared: drain them like rotated ones */
    for (size_t i = 0; i < t->files.n; i++) {
        struct tail_file *f = t->files.items[i];
        struct stat st;
        if (!f->rotated && (stat(f->path, &st) < 0 || st.st_ino != f->ino)) {
            f->rotated = true;
            f->idle_since = now_s;
        }
    }
}

/* Hand out one line that takes `used` bytes of the file (with its newline). */
static int emit(struct tail_file *f, const char *p, size_t len, size_t used, bool truncated,
                tail_line_fn fn, void *ctx)
{
    struct tail_line l = {f->path, p, len, f->off, f->off + used, (uint64_t)f->ino, truncated};
    return fn(ctx, &l);
}

/* Split (p, n) into lines after what f->partial holds. Returns lines handed
 * out or a negative error from fn (f is then rewound to its offset). */
static int feed(struct tail *t, struct tail_file *f, const char *p, size_t n, tail_line_fn fn,
                void *ctx)
{
    size_t i = 0;
    int count = 0, rc = 0;

    while (i < n && rc == 0) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t seg = nl ? (size_t)(nl - (p + i)) : n - i;
        size_t have = f->partial.len;

        if (have + seg > t->max_line) {
            size_t take = t->max_line - have;
            if ((rc = buf_append(&f->partial, p + i, take)) < 0)
                break;
            if ((rc = emit(f, f->partial.data, f->partial.len, f->partial.len, true, fn, ctx)) < 0)
                break;
            f->off += f->partial.len;
            buf_reset(&f->partial);
            i += take;
            count++;
            continue;
        }
        if (!nl) {
            rc = buf_append(&f->partial, p + i, seg);
            break;
        }
        if (have) {
            if ((rc = buf_append(&f->partial, p + i, seg)) < 0 ||
                (rc = emit(f, f->partial.data, f->partial.len, have + seg + 1, false, fn, ctx)) < 0)
                break;
        } else if ((rc = emit(f, p + i, seg, seg + 1, false, fn, ctx)) < 0) {
            break;
        }
        f->off += have + seg + 1;
        buf_reset(&f->partial);
        i += seg + 1;
        count++;
    }
    if (rc < 0) {
        buf_reset(&f->partial); /* read again from f->off next time */
        return rc;
    }
    return count;
}

/* Read what is new in f. Returns lines handed out, or negative. */
static int drain(struct tail *t, struct tail_file *f, size_t *budget, int64_t now_s,
                 tail_line_fn fn, void *ctx)
{
    struct stat st;
    int total = 0;

    if (fstat(f->fd, &st) < 0)
        return -errno;
    if ((uint64_t)st.st_size < f->off + f->partial.len) {
        f->off = 0; /* copytruncate: the file was cut, start again */
        buf_reset(&f->partial);
    }
    while (*budget > 0) {
        size_t want = MIN(TAIL_CHUNK, *budget);
        ssize_t n = pread(f->fd, t->chunk, want, (off_t)(f->off + f->partial.len));
        int rc;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        f->idle_since = now_s;
        *budget -= (size_t)n;
        if ((rc = feed(t, f, t->chunk, (size_t)n, fn, ctx)) < 0)
            return rc;
        total += rc;
    }
    return total;
}

int tail_poll(struct tail *t, size_t max_bytes, int64_t now_s, tail_line_fn fn, void *ctx)
{
    size_t budget = max_bytes;
    int total = 0;

    if (!t->adopted) {
        adopt_renamed(t);
        t->adopted = true;
    }
    scan_globs(t, now_s);
    for (size_t i = 0; i < t->files.n; i++) {
        struct tail_file *f = t->files.items[i];
        int rc = drain(t, f, &budget, now_s, fn, ctx);
        if (rc < 0 && rc != -EIO && rc != -ENOENT)
            return rc;
        if (rc > 0)
            total += rc;
        if (f->rotated && budget > 0 && now_s - f->idle_since >= TAIL_ROTATED_GRACE_S) {
            /* the last line of a rotated file will never get its newline */
            if (f->partial.len) {
                if ((rc = emit(f, f->partial.data, f->partial.len, f->partial.len, false, fn,
                               ctx)) < 0) {
                    buf_reset(&f->partial);
                    return rc;
                }
                f->off += f->partial.len;
                total++;
            }
            file_free(f);
            t->files.items[i] = t->files.items[--t->files.n];
            i--;
        }
    }
    return total;
}

int tail_save(struct tail *t, uint64_t seq)
{
    json_t *arr = json_array(), *doc = json_object();
    char *text;
    int rc;

    for (size_t i = 0; i < t->files.n; i++) {
        struct tail_file *f = t->files.items[i];
        json_t *o = json_object();
        json_object_set_new(o, "path", json_string(f->path));
        json_object_set_new(o, "dev", json_integer((json_int_t)f->dev));
        json_object_set_new(o, "ino", json_integer((json_int_t)f->ino));
        json_object_set_new(o, "offset", json_integer((json_int_t)f->off));
        json_array_append_new(arr, o);
    }
    json_object_set_new(doc, "files", arr);
    json_object_set_new(doc, "seq", json_integer((json_int_t)seq));
    t->saved_seq = seq;
    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return -ENOMEM;
    rc = file_write_atomic(t->state_path, text, strlen(text), 0600);
    free(text);
    return rc;
}

uint64_t tail_saved_seq(const struct tail *t)
{
    return t->saved_seq;
}

void tail_advance(struct tail *t, const char *path, uint64_t ino, uint64_t next_offset)
{
    struct saved s;

    for (size_t i = 0; i < t->files.n; i++) {
        struct tail_file *f = t->files.items[i];
        if ((uint64_t)f->ino == ino && strcmp(f->path, path) == 0) {
            f->off = MAX(f->off, next_offset);
            return;
        }
    }
    for (size_t i = 0; i < t->saved.n; i++) {
        struct saved *sv = &t->saved.items[i];
        if ((uint64_t)sv->ino == ino && strcmp(sv->path, path) == 0) {
            sv->off = MAX(sv->off, next_offset);
            return;
        }
    }
    if (t->saved.n >= TAIL_MAX_FILES)
        return;
    s.path = xstrdup(path);
    s.dev = ANY_DEV;
    s.ino = (ino_t)ino;
    s.off = next_offset;
    VEC_PUSH(&t->saved, s);
}
