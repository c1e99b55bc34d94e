/*
 * struct journald: read the systemd journal (libsystemd sd_journal) from
 * the cursor saved in the data directory. The cursor is saved only after
 * the entries are durably in the spool (like the tail state). When the
 * journal is absent the reader counts the failure and the agent goes on.
 */
#ifndef VIGIL_AGENT_JOURNALD_H
#define VIGIL_AGENT_JOURNALD_H

#include "agent/event.h"
#include "base/common.h"

#define JOURNALD_MAX_MESSAGE (64u << 10)

struct journald;

/* Open the local journal; NULL when it cannot be opened (*ret_err = errno). */
struct journald *journald_open(const char *cursor_path, int *ret_err);
void journald_free(struct journald *j);
/* Emit up to max entries after the cursor. Returns entries emitted or negative. */
int journald_poll(struct journald *j, unsigned max, agent_emit_fn emit, void *ctx) WUR;
/* An entry up to cursor is already spooled (recovery): seek past it. */
void journald_advance(struct journald *j, const char *cursor);
/* Persist the cursor of the last entry emitted. */
int journald_save(struct journald *j) WUR;

#endif
