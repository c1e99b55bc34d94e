/*
 * textscan: the text matching engine shared by `vigil match` and the
 * sensor's text-log path. It cuts a file or buffer into lines exactly as
 * grepcidr 2.0 reads them (quirks in textscan.c), scans each line with
 * intel/linescan against an intel/ipset, and reports the selected lines in
 * input order.
 *
 * Large inputs are cut into blocks that start at a line boundary and are
 * scanned on several threads; each block's selected lines are kept until
 * every block before it is done, then handed to the callback on the calling
 * thread, in input order, with their line numbers. The set is only read.
 *
 *   struct textscan_opts o;
 *   textscan_opts_init(&o);          // select listed lines, all CPUs
 *   o.n_threads = 2;
 *   r = textscan_fd(set, &o, fd, on_line, ctx, &stats, &err);
 */
#ifndef VIGIL_INTEL_TEXTSCAN_H
#define VIGIL_INTEL_TEXTSCAN_H

#include "base/common.h"
#include "base/err.h"
#include "intel/ipset.h"
#include "intel/linescan.h"

/* Which lines to report (a mask of 1u << enum linescan_result). */
#define TEXTSCAN_SELECT_MATCH    (1u << LINESCAN_MATCH)    /* grepcidr */
#define TEXTSCAN_SELECT_NO_MATCH (1u << LINESCAN_NO_MATCH) /* grepcidr -v */

/* Most threads textscan will start. */
#define TEXTSCAN_MAX_THREADS 256

struct textscan_opts {
    unsigned n_threads; /* 0: the number of online CPUs */
    size_t block_size;  /* bytes a block aims at; 0: default (1 MiB). Tests use tiny ones. */
    unsigned select;    /* TEXTSCAN_SELECT_*; default TEXTSCAN_SELECT_MATCH */
    bool count_only;    /* only count selected lines: the callback is not called */
};

/* A selected line. line/len are valid only during the callback. */
struct textscan_line {
    const char *line; /* as grepcidr prints it: with its '\n' if it has one */
    size_t len;       /* (a line joined across a NUL byte is copied) */
    uint64_t line_no; /* 1-based number of the physical line it starts on */
    enum linescan_result result;
    struct linescan_hit hit; /* the first listed address and the set's value for
                                it, when result is LINESCAN_MATCH */
};

/* Called on the calling thread, in input order; return non-zero to stop
 * (textscan returns that value). */
typedef int (*textscan_fn)(void *ctx, const struct textscan_line *l);

struct textscan_stats {
    uint64_t n_lines;    /* physical lines read */
    uint64_t n_selected; /* lines selected (also counted with count_only) */
};

/* Defaults: all CPUs, default block size, select listed lines. */
void textscan_opts_init(struct textscan_opts *o);

/*
 * Scan (data, len), the whole of one input, against the built set s.
 * Calls fn for each selected line (unless count_only) and adds to *stats
 * (which the caller zeroes). Returns 0, the first non-zero value fn
 * returned, or -ENOMEM/-EAGAIN if threads cannot be made (nothing reported
 * then).
 */
int textscan_buf(const struct ipset *s, const struct textscan_opts *o, const char *data, size_t len,
                 textscan_fn fn, void *ctx, struct textscan_stats *stats) WUR;

/*
 * Scan an open file or stream to its end: regular files are mapped and
 * scanned as with textscan_buf(); pipes and terminals are read in large
 * chunks, each scanned the same way. Returns as textscan_buf(), or -errno
 * with err filled on a read error or a line longer than 256 MiB in a
 * stream (lines before it were reported).
 */
int textscan_fd(const struct ipset *s, const struct textscan_opts *o, int fd, textscan_fn fn,
                void *ctx, struct textscan_stats *stats, struct verr *err) WUR;

#endif
