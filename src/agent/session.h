/*
 * struct session: the collector's side of the protocol (wire/proto.h) over
 * the spool. It never touches the network itself: frames go to and come
 * from the network process as socketpair messages (privsep.h, uplink.h).
 *
 * On connect it sends HELLO; on WELCOME{acked_seq} it acknowledges locally
 * everything <= acked_seq and resends pending records after it; it keeps at
 * most `window` unacknowledged events in flight, in BATCH frames of up to
 * batch_events events (zstd-compressed); each ACK{seq} is spool_ack(seq).
 * HEARTBEATs carry the agent's clock; vigild reports the skew. When sent
 * batches stay unacknowledged for SESSION_ACK_TIMEOUT_S it asks the
 * network process to reconnect (and resends from the acknowledged seq).
 */
#ifndef VIGIL_AGENT_SESSION_H
#define VIGIL_AGENT_SESSION_H

#include "agent/privsep.h"
#include "base/buf.h"
#include "base/common.h"
#include "wire/msg.h"
#include "wire/spool.h"

#define SESSION_ACK_TIMEOUT_S 60

/* A task from vigild: return the status and set *ret_result (owned by the
 * session afterwards; NULL means null), or return SESSION_TASK_DEFERRED
 * when the task was accepted and its outcome will reach vigild as events
 * (scans: docs/agent-protocol.md "Scanning"); no TASK_RESULT is sent. */
#define SESSION_TASK_DEFERRED ((enum msg_task_status)0)
typedef enum msg_task_status (*session_task_fn)(void *ctx, const struct msg_task *t,
                                                json_t **ret_result);
/* The scan bundle versions the agent holds, for HELLO (ctx is task_ctx). */
typedef void (*session_versions_fn)(void *ctx, int64_t *ret_rules, int64_t *ret_hashes);

struct session {
    struct spool *spool; /* borrowed */
    int sp;              /* socketpair to the network process */
    char agent_id[MSG_ID_MAX];
    unsigned batch_events;
    unsigned heartbeat_s;
    uint64_t window;
    session_task_fn on_task;
    session_versions_fn bundle_versions; /* may be NULL */
    void *task_ctx;
    /* state */
    bool up, welcomed;
    uint32_t conn_id;
    uint64_t sent;         /* highest seq sent on this connection */
    int64_t last_hb_ms;    /* when the last heartbeat went out */
    int64_t waiting_since; /* monotonic ms since unacked data was first sent */
    int64_t skew_ms;       /* server - agent, from the last WELCOME/HEARTBEAT */
    uint64_t n_batches, n_acks;
    struct buf frame, payload, out;
    struct msg_batch_writer w;
};

void session_init(struct session *s, struct spool *spool, int sp, const char *agent_id);
void session_release(struct session *s);

/* Handle one message from the network process. Returns 0, or a negative
 * errno when the socketpair failed (the agent stops). */
int session_on_msg(struct session *s, enum psmsg_type type, const struct buf *payload) WUR;

/* Send what is pending (batches, heartbeat) and check timeouts; call after
 * new events were spooled and periodically. now_ms: monotonic ms. */
int session_pump(struct session *s, int64_t now_ms) WUR;

#endif
