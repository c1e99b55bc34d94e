/* File integrity monitoring (see fim.h). */
#include "agent/fim.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/str.h"
#include "base/vec.h"
#include "base/vtime.h"

#define FIM_STATE_MAX (256u << 20)
#define WATCH_MASK                                                                                 \
    (IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO |            \
     IN_ATTRIB | IN_DELETE_SELF)

struct fentry {
    char *path;
    uint8_t sha256[32];
    bool hashed; /* false: larger than FIM_MAX_HASH or unreadable */
    uint32_t uid, gid, mode;
    uint64_t size, ino;
    int64_t mtime, ctime;
};

typedef VEC(struct fentry) fentry_vec;

struct fim {
    char **paths;
    size_t n_paths;
    char *state_path;
    fentry_vec base; /* sorted by path */
    bool have_base;
    bool dirty;
    int ifd;
    VEC(char *) watched; /* directories with an inotify watch */
};

int fim_sha256_file(const char *path, uint64_t max, uint8_t ret[32])
{
    EVP_MD_CTX *md;
    struct stat st;
    char buf[65536];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), rc = 0;
    unsigned int len = 0;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return -EFBIG;
    }
    if (!(md = EVP_MD_CTX_new()) || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        close(fd);
        return -ENOMEM;
    }
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        EVP_DigestUpdate(md, buf, (size_t)n);
    }
    if (rc == 0 && EVP_DigestFinal_ex(md, ret, &len) != 1)
        rc = -EIO;
    EVP_MD_CTX_free(md);
    close(fd);
    return rc;
}

static void entries_free(fentry_vec *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->items[i].path);
    VEC_FREE(v);
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct fentry *)a)->path, ((const struct fentry *)b)->path);
}

static const struct fentry *find(const fentry_vec *v, const char *path)
{
    struct fentry key = {.path = (char *)path};
    return v->n ? bsearch(&key, v->items, v->n, sizeof(key), cmp_entry) : NULL;
}

static void load_state(struct fim *f)
{
    char *text = NULL;
    size_t len, i;
    json_t *doc, *arr, *it;

    if (!f->state_path || file_read_all(f->state_path, FIM_STATE_MAX, &text, &len) < 0)
        return;
    doc = json_loadb(text, len, 0, NULL);
    free(text);
    arr = json_object_get(doc, "files");
    if (!json_is_array(arr)) {
        json_decref(doc);
        return;
    }
    json_array_foreach(arr, i, it)
    {
        struct fentry e = {0};
        const char *p = json_string_value(json_object_get(it, "path"));
        const char *h = json_string_value(json_object_get(it, "sha256"));
        if (!p || i >= FIM_MAX_FILES)
            continue;
        e.path = xstrdup(p);
        e.hashed = h && strlen(h) == 64 && hex_decode(h, 64, e.sha256, 32) == 0;
        e.uid = (uint32_t)json_integer_value(json_object_get(it, "uid"));
        e.gid = (uint32_t)json_integer_value(json_object_get(it, "gid"));
        e.mode = (uint32_t)json_integer_value(json_object_get(it, "mode"));
        e.size = (uint64_t)json_integer_value(json_object_get(it, "size"));
        e.mtime = json_integer_value(json_object_get(it, "mtime"));
        VEC_PUSH(&f->base, e);
    }
    json_decref(doc);
    if (f->base.n)
        qsort(f->base.items, f->base.n, sizeof(*f->base.items), cmp_entry);
    f->have_base = true;
}

int fim_open(char *const *paths, size_t n_paths, const char *state_path, struct fim **ret,
             struct verr *err)
{
    struct fim *f = xcalloc(1, sizeof(*f));

    (void)err;
    f->paths = xcalloc(n_paths + 1, sizeof(char *));
    for (size_t i = 0; i < n_paths; i++)
        f->paths[i] = xstrdup(paths[i]);
    f->n_paths = n_paths;
    f->state_path = state_path ? xstrdup(state_path) : NULL;
    f->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    load_state(f);
    *ret = f;
    return 0;
}

void fim_free(struct fim *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_paths; i++)
        free(f->paths[i]);
    free(f->paths);
    free(f->state_path);
    entries_free(&f->base);
    for (size_t i = 0; i < f->watched.n; i++)
        free(f->watched.items[i]);
    VEC_FREE(&f->watched);
    if (f->ifd >= 0)
        close(f->ifd);
    free(f);
}

int fim_fd(const struct fim *f)
{
    return f->ifd;
}

static void watch_dir(struct fim *f, const char *dir)
{
    if (f->ifd < 0)
        return;
    for (size_t i = 0; i < f->watched.n; i++)
        if (strcmp(f->watched.items[i], dir) == 0)
            return;
    if (inotify_add_watch(f->ifd, dir, WATCH_MASK) >= 0)
        VEC_PUSH(&f->watched, xstrdup(dir));
}

/* Record path (not following symlinks) into v; recurse into directories. */
static void walk(struct fim *f, const char *path, unsigned depth, fentry_vec *v)
{
    struct stat st;

    if (v->n >= FIM_MAX_FILES || lstat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d;
        struct dirent *de;
        if (depth >= FIM_MAX_DEPTH || !(d = opendir(path)))
            return;
        watch_dir(f, path);
        while ((de = readdir(d)) != NULL) {
            char child[4096];
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            if (snprintf(child, sizeof(child), "%s/%s", strcmp(path, "/") ? path : "",
                         de->d_name) >= (int)sizeof(child))
                continue;
            walk(f, child, depth + 1, v);
        }
        closedir(d);
        return;
    }
    if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
        return;
    struct fentry e = {0};
    const struct fentry *old = find(&f->base, path);
    e.path = xstrdup(path);
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    e.mode = st.st_mode & 07777;
    e.size = (uint64_t)st.st_size;
    e.ino = st.st_ino;
    e.mtime = st.st_mtim.tv_sec;
    e.ctime = st.st_ctim.tv_sec;
    if (old && old->hashed && old->ino == e.ino && old->size == e.size && old->mtime == e.mtime &&
        old->ctime == e.ctime) {
        memcpy(e.sha256, old->sha256, 32); /* unchanged since it was hashed */
        e.hashed = true;
    } else if (S_ISREG(st.st_mode)) {
        e.hashed = fim_sha256_file(path, FIM_MAX_HASH, e.sha256) == 0;
    }
    VEC_PUSH(v, e);
}

static int emit_change(const struct fentry *e, const char *action, json_t *changed,
                       agent_emit_fn emit, void *ctx)
{
    json_t *ev = agent_event_new("fim", 0);
    char mode[8], hex[65], ts[21];

    agent_event_set(ev, "event.action", json_string(action));
    agent_event_set(ev, "file.path", json_string(e->path));
    if (strcmp(action, "removed") != 0) {
        if (snprintf(mode, sizeof(mode), "%04o", (unsigned)e->mode) < 0)
            mode[0] = '\0';
        agent_event_set(ev, "file.mode", json_string(mode));
        agent_event_set(ev, "file.uid", json_integer(e->uid));
        agent_event_set(ev, "file.gid", json_integer(e->gid));
        agent_event_set(ev, "file.size", json_integer((json_int_t)e->size));
        vtime_format_utc(e->mtime, ts);
        agent_event_set(ev, "file.mtime", json_string(ts));
        if (e->hashed) {
            hex_encode(e->sha256, 32, hex);
            agent_event_set(ev, "file.hash.sha256", json_string(hex));
        }
    }
    if (changed)
        agent_event_set(ev, "fim.changed", changed);
    return emit(ctx, ev);
}

/* What differs between a and b, as a JSON array of names (NULL if nothing). */
static json_t *diff(const struct fentry *a, const struct fentry *b)
{
    json_t *c = json_array();

    if (a->hashed != b->hashed || (a->hashed && memcmp(a->sha256, b->sha256, 32) != 0))
        json_array_append_new(c, json_string("hash"));
    if (a->uid != b->uid || a->gid != b->gid)
        json_array_append_new(c, json_string("owner"));
    if (a->mode != b->mode)
        json_array_append_new(c, json_string("mode"));
    if (a->size != b->size)
        json_array_append_new(c, json_string("size"));
    if (a->mtime != b->mtime)
        json_array_append_new(c, json_string("mtime"));
    if (json_array_size(c) == 0) {
        json_decref(c);
        return NULL;
    }
    return c;
}

int fim_rescan(struct fim *f, agent_emit_fn emit, void *ctx)
{
    fentry_vec now = VEC_INIT;
    size_t i = 0, j = 0;
    int n = 0, rc = 0;

    for (size_t k = 0; k < f->n_paths; k++)
        walk(f, f->paths[k], 0, &now);
    if (now.n)
        qsort(now.items, now.n, sizeof(*now.items), cmp_entry);
    /* drop duplicates (overlapping configured paths) */
    for (size_t k = 1; k < now.n; k++)
        if (strcmp(now.items[k].path, now.items[k - 1].path) == 0) {
            free(now.items[k].path);
            memmove(&now.items[k], &now.items[k + 1], (now.n - k - 1) * sizeof(*now.items));
            now.n--;
            k--;
        }
    while (f->have_base && rc == 0 && (i < f->base.n || j < now.n)) {
        int c = i >= f->base.n ? 1
                : j >= now.n   ? -1
                               : strcmp(f->base.items[i].path, now.items[j].path);
        if (c < 0) {
            rc = emit_change(&f->base.items[i++], "removed", NULL, emit, ctx);
        } else if (c > 0) {
            rc = emit_change(&now.items[j++], "added", NULL, emit, ctx);
        } else {
            json_t *d = diff(&f->base.items[i++], &now.items[j]);
            rc = d ? emit_change(&now.items[j], "changed", d, emit, ctx) : 0;
            if (!d)
                n--;
            j++;
        }
        n++;
    }
    if (rc < 0) {
        entries_free(&now);
        return rc;
    }
    entries_free(&f->base);
    f->base = now;
    if (n > 0 || !f->have_base)
        f->dirty = true;
    f->have_base = true;
    return n;
}

int fim_poll(struct fim *f, agent_emit_fn emit, void *ctx)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool any = false;
    ssize_t n;

    if (f->ifd < 0)
        return 0;
    while ((n = read(f->ifd, buf, sizeof(buf))) > 0)
        any = true;
    /* Any change (or a queue overflow) re-checks the trees; unchanged files
     * cost a stat, not a hash. */
    return any ? fim_rescan(f, emit, ctx) : 0;
}

int fim_save(struct fim *f)
{
    json_t *arr, *doc;
    char *text, hex[65];
    int rc;

    if (!f->dirty || !f->state_path)
        return 0;
    arr = json_array();
    for (size_t i = 0; i < f->base.n; i++) {
        const struct fentry *e = &f->base.items[i];
        json_t *o = json_pack("{s:s, s:i, s:i, s:i, s:I, s:I}", "path", e->path, "uid", (int)e->uid,
                              "gid", (int)e->gid, "mode", (int)e->mode, "size", (json_int_t)e->size,
                              "mtime", (json_int_t)e->mtime);
        if (!o)
            continue;
        if (e->hashed) {
            hex_encode(e->sha256, 32, hex);
            json_object_set_new(o, "sha256", json_string(hex));
        }
        json_array_append_new(arr, o);
    }
    doc = json_pack("{s:o}", "files", arr);
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text)
        return -ENOMEM;
    rc = file_write_atomic(f->state_path, text, strlen(text), 0600);
    free(text);
    if (rc == 0)
        f->dirty = false;
    return rc;
}
