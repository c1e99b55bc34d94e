/*
 * Agent events as ECS JSON: every event carries @timestamp, event.dataset
 * ("log", "journald", "fim", "inventory.snapshot", "inventory.delta") and
 * host.name; collectors add their own fields. The text form is compact JSON
 * on one line without a "seq" key (the uplink adds it, wire/msg.h).
 */
#ifndef VIGIL_AGENT_EVENT_H
#define VIGIL_AGENT_EVENT_H

#include <jansson.h>

#include "base/buf.h"
#include "base/common.h"

/* A new event object with @timestamp (now, or t_ms when > 0),
 * event.dataset and host.name set. Never NULL. */
json_t *agent_event_new(const char *dataset, int64_t t_ms);

/* Set a dotted ECS field ("log.file.path") to v, creating the parent
 * objects; steals the reference to v. */
void agent_event_set(json_t *ev, const char *dotted, json_t *v);

/* Compact one-line text of ev into out (reset first). Returns 0 or -E2BIG. */
int agent_event_text(json_t *ev, struct buf *out) WUR;

/* The host name reported in host.name (cached uname nodename). */
const char *agent_hostname(void);

/* Something that takes finished events: the collector appends them to the
 * spool. Returns 0 or a negative errno (the collector stops and retries). */
typedef int (*agent_emit_fn)(void *ctx, json_t *ev);

#endif
