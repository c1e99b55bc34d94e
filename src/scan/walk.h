/*
 * The multithreaded file walk: the calling thread walks the roots
 * iteratively (openat/fstatat relative to open directories, never
 * following a symlink below a root) and hands each regular file, already
 * opened with O_NOFOLLOW, through a bounded queue to n_threads scanning
 * threads (scan/scanner.h). Open directories are bounded by max_depth,
 * queued files by the queue size, so any tree shape is walked in bounded
 * memory and file descriptors.
 *
 * Everything skipped is counted by kind (enum walk_err) and reported to
 * on_error; nothing makes the walk fail once it has started.
 */
#ifndef VIGIL_SCAN_WALK_H
#define VIGIL_SCAN_WALK_H

#include <stdatomic.h>
#include <sys/stat.h>

#include "base/common.h"
#include "base/err.h"
#include "scan/cache.h"
#include "scan/scanner.h"

#define WALK_DEFAULT_DEPTH 256
#define WALK_MAX_DEPTH     4096
#define WALK_MAX_THREADS   256
#define WALK_MAX_DIR_NAMES ((size_t)64 << 20) /* bytes of names in one directory */

enum walk_err {
    WALK_ERR_UNREADABLE, /* open or read refused (EACCES, EPERM) or failed (EIO) */
    WALK_ERR_VANISHED,   /* gone between listing and opening */
    WALK_ERR_CHANGED,    /* replaced, or its size changed while read */
    WALK_ERR_TOO_BIG,    /* over max_size */
    WALK_ERR_SPECIAL,    /* device, FIFO or socket */
    WALK_ERR_SYMLINK,    /* a symlink (never followed) */
    WALK_ERR_LOOP,       /* a symlink loop, or a directory that is its own ancestor */
    WALK_ERR_TOO_DEEP,   /* a directory deeper than max_depth */
    WALK_ERR_OTHER_FS,   /* a mount point, with one_file_system */
    WALK_ERR_TIMEOUT,    /* the rules timed out (the file counts as scanned) */
    WALK_ERR_SCAN,       /* the scanner failed on the file (out of memory, libyara) */
    WALK_ERR_COUNT,
};

/* "unreadable", "vanished", "changed", "too_big", ... for JSON and logs. */
const char *walk_err_name(enum walk_err k);

struct walk_stats {
    uint64_t n_files;    /* regular files scanned */
    uint64_t n_bytes;    /* bytes scanned */
    uint64_t n_cached;   /* skipped: unchanged since found clean */
    uint64_t n_detected; /* files detected */
    uint64_t n_dirs;     /* directories walked */
    uint64_t n_excluded; /* matched an exclusion */
    uint64_t n_found;    /* regular files found (scanned, cached or failed) */
    uint64_t bytes_found;
    uint64_t n_err[WALK_ERR_COUNT];
};

struct walk_opts {
    const struct scan_rules *rules;   /* may be NULL */
    const struct scan_hashes *hashes; /* may be NULL */
    unsigned n_threads;               /* scanning threads; 0 means 1 */
    uint64_t max_size;                /* 0: SCAN_DEFAULT_FILE_SIZE; capped at SCAN_MAX_FILE_SIZE */
    const char *const *exclude; /* fnmatch globs: with a '/' against the path, else the name */
    size_t n_exclude;
    bool one_file_system;
    unsigned max_depth; /* 0: WALK_DEFAULT_DEPTH; capped at WALK_MAX_DEPTH */
    int timeout_s;      /* per file, for the rules; 0: 60 */
    struct scan_cache
        *cache;           /* may be NULL: looked up while walking, clean files added at the end */
    bool report_clean;    /* call on_result for clean files too */
    bool count_only;      /* only count files and bytes found: nothing is opened or scanned */
    unsigned progress_ms; /* 0: 250 */
    /* May be NULL. Once it reads true the walk stops listing (files
     * already queued are still scanned) and walk_run returns 0. */
    const atomic_bool *cancel;
    /* Called one at a time (never concurrently) from any thread. */
    void (*on_result)(const struct scan_result *r, const struct stat *st, void *ud);
    void (*on_error)(const char *path, enum walk_err kind, int err, void *ud);
    /* Called from the walking thread every progress_ms, and once at the end. */
    void (*on_progress)(const struct walk_stats *s, bool done, void *ud);
    void *ud;
};

/*
 * Walk and scan the roots (files or directories; a root itself may be a
 * symlink). Fills *ret with the counts. Returns 0 when the walk ran
 * (skips and errors are counted, not returned), or -EINVAL/-ENOMEM with e
 * set if it could not start (a scanner could not be created, threads).
 */
int walk_run(const char *const *roots, size_t n_roots, const struct walk_opts *o,
             struct walk_stats *ret, struct verr *e) WUR;

#endif
