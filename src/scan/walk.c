/*
 * The walk: one walking thread, n scanning threads, a bounded queue of
 * opened files between them.
 */
#include "scan/walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/i18n.h"
#include "base/vec.h"
#include "base/vtime.h"

#define PATH_CAP        ((size_t)1 << 20)
#define FD_RESERVE      64
#define DEFAULT_PROG_MS 250

static const char *const err_names[WALK_ERR_COUNT] = {
    "unreadable", "vanished", "changed",  "too_big", "special",    "symlink",
    "loop",       "too_deep", "other_fs", "timeout", "scan_error",
};

const char *walk_err_name(enum walk_err k)
{
    return (unsigned)k < WALK_ERR_COUNT ? err_names[k] : "?";
}

struct item {
    int fd;
    char *path;
    struct stat st;
};

typedef VEC(struct scan_cache_key) key_vec;

struct walk {
    const struct walk_opts *o;
    uint64_t max_size;
    struct walk_stats stats; /* updated with atomics */
    /* the queue */
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    struct item *q;
    size_t q_cap, q_head, q_n;
    bool closing;
    /* output: callbacks run under out_mu */
    pthread_mutex_t out_mu;
    uint64_t next_progress_ns;
};

struct worker {
    struct walk *w;
    struct scanner *sc;
    pthread_t tid;
    key_vec clean;
};

/* One open directory of the walk. */
struct level {
    int fd;
    dev_t dev;
    ino_t ino;
    char *names; /* NUL-separated */
    size_t names_len, pos;
    size_t path_len; /* length of this directory's path */
};

static void count(struct walk *w, uint64_t *field, uint64_t n)
{
    (void)w;
    __atomic_fetch_add(field, n, __ATOMIC_RELAXED);
}

static void report(struct walk *w, const char *path, enum walk_err k, int err)
{
    count(w, &w->stats.n_err[k], 1);
    if (w->o->on_error) {
        pthread_mutex_lock(&w->out_mu);
        w->o->on_error(path, k, err, w->o->ud);
        pthread_mutex_unlock(&w->out_mu);
    }
}

static void snapshot(struct walk *w, struct walk_stats *s)
{
    const uint64_t *src = (const uint64_t *)&w->stats;
    uint64_t *dst = (uint64_t *)s;
    for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

static void progress(struct walk *w, bool done)
{
    if (!w->o->on_progress)
        return;
    uint64_t now = vtime_mono_ns();
    if (!done && now < w->next_progress_ns)
        return;
    unsigned ms = w->o->progress_ms ? w->o->progress_ms : DEFAULT_PROG_MS;
    w->next_progress_ns = now + (uint64_t)ms * 1000000;
    struct walk_stats s;
    snapshot(w, &s);
    pthread_mutex_lock(&w->out_mu);
    w->o->on_progress(&s, done, w->o->ud);
    pthread_mutex_unlock(&w->out_mu);
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_nsec += (long)(ms % 1000) * 1000000;
    ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000;
    ts->tv_nsec %= 1000000000;
}

/* ---- the queue ---- */

static void enqueue(struct walk *w, struct item it)
{
    pthread_mutex_lock(&w->mu);
    while (w->q_n == w->q_cap) {
        struct timespec ts;
        deadline_in(&ts, 100);
        pthread_cond_timedwait(&w->not_full, &w->mu, &ts);
        pthread_mutex_unlock(&w->mu);
        progress(w, false);
        pthread_mutex_lock(&w->mu);
    }
    w->q[(w->q_head + w->q_n) % w->q_cap] = it;
    w->q_n++;
    pthread_cond_signal(&w->not_empty);
    pthread_mutex_unlock(&w->mu);
}

static bool dequeue(struct walk *w, struct item *ret)
{
    pthread_mutex_lock(&w->mu);
    while (w->q_n == 0 && !w->closing)
        pthread_cond_wait(&w->not_empty, &w->mu);
    if (w->q_n == 0) {
        pthread_mutex_unlock(&w->mu);
        return false;
    }
    *ret = w->q[w->q_head];
    w->q_head = (w->q_head + 1) % w->q_cap;
    w->q_n--;
    pthread_cond_signal(&w->not_full);
    pthread_mutex_unlock(&w->mu);
    return true;
}

/* ---- scanning threads ---- */

static void scan_item(struct worker *wk, struct item *it)
{
    struct walk *w = wk->w;
    struct scan_result res;
    int r = scanner_scan_fd(wk->sc, it->fd, it->path, &it->st, &res);
    if (r == -EIO) {
        report(w, it->path, WALK_ERR_UNREADABLE, EIO);
        return;
    }
    if (r == -EFBIG) {
        report(w, it->path, WALK_ERR_TOO_BIG, EFBIG);
        return;
    }
    if (r < 0) {
        report(w, it->path, WALK_ERR_SCAN, -r);
        return;
    }
    count(w, &w->stats.n_files, 1);
    count(w, &w->stats.n_bytes, res.size);
    if (res.changed)
        report(w, it->path, WALK_ERR_CHANGED, 0);
    if (res.timeout)
        report(w, it->path, WALK_ERR_TIMEOUT, ETIMEDOUT);
    bool hit = scan_result_detected(&res);
    if (hit)
        count(w, &w->stats.n_detected, 1);
    if ((hit || w->o->report_clean) && w->o->on_result) {
        pthread_mutex_lock(&w->out_mu);
        w->o->on_result(&res, &it->st, w->o->ud);
        pthread_mutex_unlock(&w->out_mu);
    }
    if (!hit && !res.changed && !res.timeout && w->o->cache) {
        struct scan_cache_key k;
        scan_cache_key_from_stat(&it->st, &k);
        VEC_PUSH(&wk->clean, k);
    }
}

static void *worker_main(void *arg)
{
    struct worker *wk = arg;
    struct item it;
    while (dequeue(wk->w, &it)) {
        scan_item(wk, &it);
        close(it.fd);
        free(it.path);
    }
    return NULL;
}

/* ---- the walking thread ---- */

static bool walk_cancelled(const struct walk_opts *o)
{
    return o->cancel && atomic_load_explicit(o->cancel, memory_order_relaxed);
}

static bool excluded(const struct walk_opts *o, const char *path, const char *name)
{
    for (size_t i = 0; i < o->n_exclude; i++) {
        const char *g = o->exclude[i];
        if (fnmatch(g, strchr(g, '/') ? path : name, 0) == 0)
            return true;
    }
    return false;
}

static enum walk_err open_error_kind(int err)
{
    if (err == ENOENT)
        return WALK_ERR_VANISHED;
    if (err == ELOOP || err == ENOTDIR || err == ENXIO)
        return WALK_ERR_CHANGED;
    return WALK_ERR_UNREADABLE;
}

/* Open the regular file name in dirfd (whose fstatat is st) and queue it. */
static void visit_file(struct walk *w, int dirfd, const char *name, const char *path,
                       const struct stat *st)
{
    count(w, &w->stats.n_found, 1);
    count(w, &w->stats.bytes_found, (uint64_t)st->st_size);
    if ((uint64_t)st->st_size > w->max_size) {
        report(w, path, WALK_ERR_TOO_BIG, EFBIG);
        return;
    }
    if (w->o->count_only)
        return;
    if (w->o->cache) {
        struct scan_cache_key k;
        scan_cache_key_from_stat(st, &k);
        if (scan_cache_has(w->o->cache, &k)) {
            count(w, &w->stats.n_cached, 1);
            return;
        }
    }
    int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    int fd = openat(dirfd, name, flags | O_NOATIME);
    if (fd < 0 && errno == EPERM)
        fd = openat(dirfd, name, flags);
    if (fd < 0) {
        int err = errno;
        report(w, path, open_error_kind(err), err);
        return;
    }
    struct item it = {.fd = fd};
    if (fstat(fd, &it.st) != 0 || !S_ISREG(it.st.st_mode) || it.st.st_dev != st->st_dev ||
        it.st.st_ino != st->st_ino) {
        report(w, path, WALK_ERR_CHANGED, 0);
        close(fd);
        return;
    }
    it.path = xstrdup(path);
    enqueue(w, it);
}

/* Read all names of the directory open at fd (which stays open). */
static int list_dir(int fd, char **ret, size_t *ret_len)
{
    int dfd = dup(fd);
    if (dfd < 0)
        return -errno;
    DIR *d = fdopendir(dfd);
    if (!d) {
        int r = -errno;
        close(dfd);
        return r;
    }
    struct buf b = BUF_INIT(WALK_MAX_DIR_NAMES);
    struct dirent *de;
    int r = 0;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
            continue;
        if (buf_append(&b, n, strlen(n) + 1) < 0) {
            r = -E2BIG;
            break;
        }
    }
    if (r == 0 && errno != 0)
        r = -errno;
    closedir(d);
    *ret = buf_detach(&b, ret_len);
    return r;
}

struct walker {
    struct walk *w;
    VEC(struct level) stack;
    struct buf path;
    dev_t root_dev;
    unsigned max_depth;
};

static bool on_stack(const struct walker *wk, const struct stat *st)
{
    for (size_t i = 0; i < wk->stack.n; i++)
        if (wk->stack.items[i].dev == st->st_dev && wk->stack.items[i].ino == st->st_ino)
            return true;
    return false;
}

/* Enter the directory name of dirfd (at path wk->path). */
static void enter_dir(struct walker *wk, int dirfd, const char *name, const struct stat *st)
{
    struct walk *w = wk->w;
    const char *path = buf_str(&wk->path);
    if (wk->stack.n > 0 && w->o->one_file_system && st->st_dev != wk->root_dev) {
        report(w, path, WALK_ERR_OTHER_FS, 0);
        return;
    }
    if (wk->stack.n >= wk->max_depth) {
        report(w, path, WALK_ERR_TOO_DEEP, 0);
        return;
    }
    if (on_stack(wk, st)) {
        report(w, path, WALK_ERR_LOOP, ELOOP);
        return;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        report(w, path, open_error_kind(err), err);
        return;
    }
    struct stat now;
    if (fstat(fd, &now) != 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
        report(w, path, WALK_ERR_CHANGED, 0);
        close(fd);
        return;
    }
    struct level lv = {.fd = fd, .dev = st->st_dev, .ino = st->st_ino, .path_len = wk->path.len};
    int r = list_dir(fd, &lv.names, &lv.names_len);
    if (r < 0)
        report(w, path, r == -E2BIG ? WALK_ERR_TOO_BIG : WALK_ERR_UNREADABLE, -r);
    count(w, &w->stats.n_dirs, 1);
    VEC_PUSH(&wk->stack, lv);
}

/* One entry of the directory on top of the stack. */
static void visit_entry(struct walker *wk, const struct level *top, const char *name)
{
    struct walk *w = wk->w;
    buf_truncate(&wk->path, top->path_len);
    bool slash = top->path_len > 0 && wk->path.data[top->path_len - 1] == '/';
    if ((!slash && buf_putc(&wk->path, '/') < 0) || buf_puts(&wk->path, name) < 0) {
        report(w, buf_str(&wk->path), WALK_ERR_TOO_DEEP, ENAMETOOLONG);
        return;
    }
    const char *path = buf_str(&wk->path);
    if (excluded(w->o, path, name)) {
        count(w, &w->stats.n_excluded, 1);
        return;
    }
    struct stat st;
    if (fstatat(top->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        int err = errno;
        report(w, path, err == ENOENT ? WALK_ERR_VANISHED : WALK_ERR_UNREADABLE, err);
        return;
    }
    if (S_ISLNK(st.st_mode)) {
        struct stat target;
        bool loop = fstatat(top->fd, name, &target, 0) != 0 && errno == ELOOP;
        report(w, path, loop ? WALK_ERR_LOOP : WALK_ERR_SYMLINK, loop ? ELOOP : 0);
    } else if (S_ISDIR(st.st_mode)) {
        enter_dir(wk, top->fd, name, &st);
    } else if (S_ISREG(st.st_mode)) {
        visit_file(w, top->fd, name, path, &st);
    } else {
        report(w, path, WALK_ERR_SPECIAL, 0);
    }
}

static void walk_root(struct walker *wk, const char *root)
{
    struct walk *w = wk->w;
    struct stat st;
    buf_truncate(&wk->path, 0);
    if (buf_puts(&wk->path, root) < 0) {
        report(w, root, WALK_ERR_TOO_DEEP, ENAMETOOLONG);
        return;
    }
    if (stat(root, &st) != 0) {
        int err = errno;
        report(w, root, err == ENOENT ? WALK_ERR_VANISHED : WALK_ERR_UNREADABLE, err);
        return;
    }
    wk->root_dev = st.st_dev;
    if (S_ISREG(st.st_mode)) {
        visit_file(w, AT_FDCWD, root, root, &st);
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        report(w, root, WALK_ERR_SPECIAL, 0);
        return;
    }
    /* The root itself may be a symlink to a directory: open it following. */
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        report(w, root, open_error_kind(err), err);
        return;
    }
    if (fstat(fd, &st) != 0) {
        report(w, root, WALK_ERR_UNREADABLE, errno);
        close(fd);
        return;
    }
    enter_dir(wk, fd, ".", &st);
    close(fd);
    while (wk->stack.n > 0) {
        struct level *top = &wk->stack.items[wk->stack.n - 1];
        if (top->pos >= top->names_len || walk_cancelled(w->o)) {
            close(top->fd);
            free(top->names);
            wk->stack.n--;
            continue;
        }
        const char *name = top->names + top->pos;
        top->pos += strlen(name) + 1;
        struct level copy = *top; /* the stack may move when a level is pushed */
        visit_entry(wk, &copy, name);
        progress(w, false);
    }
}

/* Bound the directories held open by the file descriptor limit. */
static unsigned depth_limit(unsigned want, size_t queued)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        uint64_t room = rl.rlim_cur > FD_RESERVE + queued ? rl.rlim_cur - FD_RESERVE - queued : 1;
        if (want > room)
            want = (unsigned)room;
    }
    return want;
}

int walk_run(const char *const *roots, size_t n_roots, const struct walk_opts *o,
             struct walk_stats *ret, struct verr *e)
{
    unsigned n_threads = o->n_threads ? MIN(o->n_threads, WALK_MAX_THREADS) : 1;
    if (o->count_only)
        n_threads = 0;
    struct walk w = {.o = o};
    w.max_size = o->max_size ? MIN(o->max_size, SCAN_MAX_FILE_SIZE) : SCAN_DEFAULT_FILE_SIZE;
    w.q_cap = 4 * (size_t)n_threads + 4;
    w.q = xcalloc(w.q_cap, sizeof(*w.q));
    pthread_mutex_init(&w.mu, NULL);
    pthread_mutex_init(&w.out_mu, NULL);
    pthread_cond_init(&w.not_empty, NULL);
    pthread_cond_init(&w.not_full, NULL);

    struct worker *wks = xcalloc(MAX(n_threads, 1u), sizeof(*wks));
    unsigned started = 0;
    int r = 0;
    for (unsigned i = 0; i < n_threads && r == 0; i++) {
        wks[i].w = &w;
        wks[i].sc = scanner_new(o->rules, o->hashes, o->timeout_s, e);
        if (!wks[i].sc)
            r = -ENOMEM;
        else if (pthread_create(&wks[i].tid, NULL, worker_main, &wks[i]) != 0)
            r = verr_set(e, -EAGAIN, N_("cannot start scanning threads"));
        else
            started++;
    }
    if (r == 0) {
        struct walker wk = {.w = &w, .path = BUF_INIT(PATH_CAP)};
        unsigned want = o->max_depth ? MIN(o->max_depth, WALK_MAX_DEPTH) : WALK_DEFAULT_DEPTH;
        wk.max_depth = depth_limit(want, w.q_cap + n_threads);
        for (size_t i = 0; i < n_roots && !walk_cancelled(o); i++)
            walk_root(&wk, roots[i]);
        VEC_FREE(&wk.stack);
        buf_release(&wk.path);
    }
    pthread_mutex_lock(&w.mu);
    w.closing = true;
    pthread_cond_broadcast(&w.not_empty);
    /* Report progress while the threads drain the queue. */
    while (w.q_n > 0) {
        struct timespec ts;
        deadline_in(&ts, 100);
        pthread_cond_timedwait(&w.not_full, &w.mu, &ts);
        pthread_mutex_unlock(&w.mu);
        progress(&w, false);
        pthread_mutex_lock(&w.mu);
    }
    pthread_mutex_unlock(&w.mu);
    for (unsigned i = 0; i < n_threads; i++) {
        if (i < started)
            pthread_join(wks[i].tid, NULL);
        for (size_t j = 0; o->cache && j < wks[i].clean.n; j++)
            scan_cache_add(o->cache, &wks[i].clean.items[j]);
        VEC_FREE(&wks[i].clean);
        scanner_free(wks[i].sc);
    }
    free(wks);
    if (r == 0)
        progress(&w, true);
    snapshot(&w, ret);
    free(w.q);
    pthread_mutex_destroy(&w.mu);
    pthread_mutex_destroy(&w.out_mu);
    pthread_cond_destroy(&w.not_empty);
    pthread_cond_destroy(&w.not_full);
    return r;
}
