/*
 * Logging: one record a line, key=value, to stderr (journald picks it up):
 *   ts=2026-11-21T19:30:00.123Z level=info msg="feed imported" feed=ais-botnet n=500000
 * Values with spaces, quotes, '=' or control characters are quoted and
 * escaped, so a peer cannot forge records. Library code does not log; the
 * programs and their daemons do.
 */
#ifndef VIGIL_BASE_LOG_H
#define VIGIL_BASE_LOG_H

#include "base/common.h"

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };

void log_set_level(enum log_level l);
int log_parse_level(const char *s, enum log_level *ret);
/* Where records go; default stderr. fd must stay open. */
void log_set_fd(int fd);

/* msg is the human text; then pairs of (key, value) C strings, ended by
 * NULL: log_kv(LOG_LVL_INFO, "listening", "addr", "127.0.0.1:8443", NULL); */
void log_kv(enum log_level l, const char *msg, ...) __attribute__((sentinel));

/* Escape one value the way log records do (quoted if needed) into out. */
struct buf;
int log_quote(struct buf *out, const char *v) WUR;

#endif
