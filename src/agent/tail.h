/*
 * struct tail: follow log files named by glob patterns, line by line.
 *
 * Each followed file is identified by (device, inode); the position kept is
 * the offset just past the last complete line handed out. Rotation:
 *  - by rename: when the path names a new inode, the old file stays open and
 *    is read to its end (a writer may still append for a moment); it is
 *    closed once it has been idle at EOF for TAIL_ROTATED_GRACE_S seconds or
 *    was removed; the new file is read from offset 0;
 *  - by copytruncate: a file shorter than the kept offset starts again at 0.
 * A last line without its newline waits for it; a line longer than
 * max_line is handed out in pieces of max_line bytes, marked truncated.
 * Files with no saved state are read from their beginning.
 */
#ifndef VIGIL_AGENT_TAIL_H
#define VIGIL_AGENT_TAIL_H

#include <sys/types.h>

#include "base/common.h"
#include "base/err.h"

#define TAIL_ROTATED_GRACE_S 5
#define TAIL_MAX_FILES       1024 /* files followed at once */
#define TAIL_STATE_MAX       (4u << 20)

struct tail;

/* One line: (p, len) without the newline; offset is where it starts. */
struct tail_line {
    const char *path;
    const char *p;
    size_t len;
    uint64_t offset;
    uint64_t next_offset; /* where the next line starts */
    uint64_t ino;
    bool truncated;
};

/* Returns 0 to go on, negative to stop the poll (the line is not consumed:
 * the same line comes again next poll). */
typedef int (*tail_line_fn)(void *ctx, const struct tail_line *l);

/* globs are copied. max_line >= 16. state_path: where tail_save() writes;
 * the state there (if any) is loaded now. */
int tail_open(char *const *globs, size_t n_globs, size_t max_line, const char *state_path,
              struct tail **ret, struct verr *err) WUR;
void tail_free(struct tail *t);

/* Expand the globs, detect rotation and truncation, and hand out complete
 * lines, at most max_bytes of input in this call. Returns the number of
 * lines handed out or a negative errno (from fn). now_s is a monotonic
 * clock in seconds (for the rotation grace). */
int tail_poll(struct tail *t, size_t max_bytes, int64_t now_s, tail_line_fn fn, void *ctx) WUR;

/* Persist (path, dev, inode, offset) of every followed file atomically,
 * with seq (the spool's next seq at the time; tail_saved_seq() returns it
 * after a restart). Call only after the lines handed out are durable. */
int tail_save(struct tail *t, uint64_t seq) WUR;
uint64_t tail_saved_seq(const struct tail *t);

/* Lines of (path, ino) up to next_offset are known to be spooled already
 * (recovery after a crash between spooling and tail_save): never hand them
 * out again. Call after tail_open, before the first poll. */
void tail_advance(struct tail *t, const char *path, uint64_t ino, uint64_t next_offset);

#endif
