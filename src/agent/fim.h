/*
 * struct fim: file integrity monitoring of configured paths (files or
 * directory trees): inotify for prompt notice plus a periodic full rescan
 * (inotify misses changes made while the agent was down and drops events
 * when its queue overflows). Each file's state is SHA-256, owner, group,
 * mode, size and mtime; a change in any of them is an event with
 * event.action "added", "removed" or "changed" and the file.* fields.
 * The first scan sets the baseline (it is persisted in the state file, so a
 * restart reports what changed while the agent was down).
 */
#ifndef VIGIL_AGENT_FIM_H
#define VIGIL_AGENT_FIM_H

#include "agent/event.h"
#include "base/common.h"
#include "base/err.h"

#define FIM_MAX_FILES 100000              /* files watched in all */
#define FIM_MAX_HASH  ((uint64_t)1 << 30) /* larger files are not hashed */
#define FIM_MAX_DEPTH 32

struct fim;

/* paths are copied; state_path keeps the baseline (may be NULL: memory). */
int fim_open(char *const *paths, size_t n_paths, const char *state_path, struct fim **ret,
             struct verr *err) WUR;
void fim_free(struct fim *f);

/* The inotify descriptor to poll for input (-1 if inotify is unavailable). */
int fim_fd(const struct fim *f);

/* Handle pending inotify events: re-check the files they name. Returns the
 * number of events emitted, or negative (from emit). */
int fim_poll(struct fim *f, agent_emit_fn emit, void *ctx) WUR;

/* Walk every path and compare with the baseline. The first call after open
 * without a saved baseline emits nothing (it records the baseline).
 * Returns events emitted or negative. */
int fim_rescan(struct fim *f, agent_emit_fn emit, void *ctx) WUR;

/* SHA-256 of the file at path, read through an fd opened O_NOFOLLOW,
 * refusing files over max bytes (-EFBIG). Returns 0 or -errno. */
int fim_sha256_file(const char *path, uint64_t max, uint8_t ret[32]) WUR;

/* Persist the baseline (call after the events are durable). */
int fim_save(struct fim *f) WUR;

#endif
