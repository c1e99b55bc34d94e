/*
 * Events from agents, their full-text index, host inventory, retention,
 * coverage and the per-agent task queue (docs/agent-protocol.md).
 *
 * Exactly-once storage: an event is keyed by (agent_id, seq); a batch is
 * inserted in one transaction with INSERT OR IGNORE, so a batch sent again
 * after a lost ACK stores nothing twice. The highest seq stored for an agent
 * is kept apart from the events (retention does not lower it).
 *
 * Agents themselves (the registry) are in store/agent.h; functions here that
 * need an agent's address or last-seen time take the registry's list
 * (store_agent_list()'s "items") as an argument.
 */
#ifndef VIGIL_STORE_EVENT_H
#define VIGIL_STORE_EVENT_H

#include <jansson.h>

#include "store/store.h"

#define EVENT_DATASET_MAX 128
#define EVENT_HOST_MAX    255
#define EVENT_MESSAGE_MAX 65536
#define EVENT_DOC_MAX     (1u << 20)

/* One event to store. doc is the ECS JSON text of the whole event. */
struct event_in {
    int64_t seq;         /* >= 1 */
    int64_t ts_ms;       /* @timestamp, Unix milliseconds (0: received time) */
    const char *dataset; /* event.dataset, may be NULL */
    const char *host;    /* host.name, may be NULL */
    const char *message; /* message, may be NULL */
    const char *doc;     /* required */
    size_t doc_len;      /* 0: doc is NUL-terminated */
};

/*
 * Store a batch from agent_id in one transaction: events whose (agent_id,
 * seq) is already stored are ignored; new "inventory.snapshot" and
 * "inventory.delta" events update the agent's inventory in the same
 * transaction; the agent's high-water seq becomes the batch's highest.
 * ret_n_new (may be NULL) gets the number of events newly stored.
 * Returns 0 once committed; -EINVAL (err names the event), -EIO.
 */
int store_event_insert(struct store *s, int64_t agent_id, const struct event_in *ev, size_t n,
                       size_t *ret_n_new, struct verr *err) WUR;

/* One agent's batch for store_event_insert_batches(). */
struct event_batch {
    int64_t agent_id;
    const struct event_in *ev;
    size_t n;
    /* Results. */
    int rc;          /* 0 stored, -EINVAL refused (err names the event) */
    size_t n_new;    /* events newly stored */
    struct verr err; /* why, for rc -EINVAL */
};

/*
 * Group commit: store several batches (from one or many agents, in order)
 * in ONE transaction, with the same exactly-once rules as
 * store_event_insert(). A batch that fails validation gets rc -EINVAL and
 * is skipped; the others are stored. Returns 0 once committed (then every
 * batch with rc 0 is durable as far as synchronous=NORMAL goes), or -EIO
 * with nothing stored. The new events are searchable once committed.
 */
int store_event_insert_batches(struct store *s, struct event_batch *b, size_t n_b,
                               struct verr *err) WUR;

/* The highest seq stored for agent_id (0 if none). */
int64_t store_event_acked_seq(struct store *s, int64_t agent_id);

struct event_filter {
    const char *q;          /* FTS5 query over message, dataset and host; NULL: all */
    int64_t agent_id;       /* 0 any */
    const char *dataset;    /* NULL any */
    int64_t from_ms, to_ms; /* 0: unbounded; from <= ts < to */
    size_t limit;           /* 0: 100; at most 10000 */
    size_t offset;
};
/* {total, items: [{id, agent_id, seq, "@timestamp", dataset, host, message,
 * event}]} newest first. A malformed FTS5 query is -EINVAL with err giving
 * SQLite's message (which names the offending token). */
int store_event_search(struct store *s, const struct event_filter *f, json_t **ret,
                       struct verr *err) WUR;

/* --- Inventory (docs/agent-protocol.md "Inventory"). */
/* Apply a snapshot (replaces the agent's inventory) or a delta ({"added":
 * {section: [item]}, "removed": {section: [item or key fields]}}) outside
 * of a batch. is_delta selects which. -EINVAL for a bad document. */
int store_inventory_apply(struct store *s, int64_t agent_id, json_t *doc, bool is_delta,
                          struct verr *err) WUR;
/* {agent_id, updated_at, inventory} or, with section, {agent_id,
 * updated_at, section, items}; -ENOENT no inventory, -EINVAL bad section. */
int store_inventory_get(struct store *s, int64_t agent_id, const char *section, json_t **ret,
                        struct verr *err) WUR;

/* --- Retention. days[l] for security level l (1..5); days[0] applies to
 * an agent inside no registered system. An agent's system: every system
 * one of whose CIDRs/hosts contains the agent's connection address or an
 * interface address of its inventory; with several, the longest retention
 * applies. agents: the registry's items (each {"id", "addr"}). Deletes
 * events with @timestamp older than now_ms - days * 86400000. */
int store_event_retention(struct store *s, const int days[6], json_t *agents, int64_t now_ms,
                          int64_t *ret_n_deleted, struct verr *err) WUR;

/* --- Coverage. For every registered system: {id, name, level, unit_id,
 * addrs: [{cidr, single: bool, agents: [id...], n_agents, covered}],
 * n_hosts_uncovered} where an agent counts when it is active, was seen
 * within 24 h of now (Unix seconds) and one of its addresses lies in the
 * entry. agents: the registry's items ({"id", "status", "addr",
 * "last_seen" RFC 3339 or Unix seconds}). Returns {"items": [...]}. */
int store_coverage(struct store *s, json_t *agents, int64_t now, json_t **ret,
                   struct verr *err) WUR;

/* --- Tasks for agents: verb in {"inventory", "scan", "collect"}, args a
 * JSON object (text, at most 64 KiB). Status: queued -> sent -> done |
 * failed. */
bool task_verb_valid(const char *verb);
int store_task_add(struct store *s, const struct actor *who, int64_t agent_id, const char *verb,
                   json_t *args, int64_t *ret_id, struct verr *err) WUR;
/* {"items": [task...]} newest first; task: {id, agent_id, verb, args,
 * status, created_at, sent_at, done_at, result}. */
json_t *store_task_list(struct store *s, int64_t agent_id);
/* Queued tasks of agent_id, priority scans first, then oldest first, as
 * {task_id, verb, args} objects (at most max); NULL on a database error.
 * with_sent: also the tasks sent and not answered yet (a new connection
 * resends them: the last one may have dropped a TASK frame; agents ignore
 * a task they already hold). */
json_t *store_task_queued(struct store *s, int64_t agent_id, bool with_sent, size_t max);
int store_task_mark_sent(struct store *s, int64_t task_id, struct verr *err) WUR;
/* Record a result (status "done" or "failed") of agent_id's task; -ENOENT
 * when the task is not that agent's. result is stored as JSON text. */
int store_task_result(struct store *s, int64_t agent_id, int64_t task_id, const char *status,
                      json_t *result, struct verr *err) WUR;

#endif
