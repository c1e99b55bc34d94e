/* The collector's protocol session over the spool (see session.h). */
#include "agent/session.h"

#include <stdio.h>
#include <string.h>

#include "agent/event.h"
#include "base/log.h"
#include "base/vtime.h"
#include "wire/proto.h"

#define BATCH_MAX_BYTES (4u << 20)

void session_init(struct session *s, struct spool *spool, int sp, const char *agent_id)
{
    memset(s, 0, sizeof(*s));
    s->spool = spool;
    s->sp = sp;
    if (snprintf(s->agent_id, sizeof(s->agent_id), "%s", agent_id) < 0)
        s->agent_id[0] = '\0';
    s->batch_events = 500;
    s->heartbeat_s = 30;
    s->window = 4000;
    buf_init(&s->frame, PSMSG_MAX_LEN);
    buf_init(&s->payload, PROTO_MAX_RAW);
    buf_init(&s->out, PROTO_MAX_RAW);
    msg_batch_writer_init(&s->w, BATCH_MAX_BYTES);
}

void session_release(struct session *s)
{
    buf_release(&s->frame);
    buf_release(&s->payload);
    buf_release(&s->out);
    msg_batch_writer_release(&s->w);
}

/* Frame s->out as type and hand it to the network process. */
static int send_frame(struct session *s, enum frame_type type, bool compress)
{
    int rc;

    buf_reset(&s->frame);
    if ((rc = buf_append(&s->frame, &s->conn_id, sizeof(s->conn_id))) < 0)
        return rc;
    if ((rc = frame_encode(&s->frame, type, s->out.data, s->out.len, compress)) < 0)
        return rc;
    return psmsg_send(s->sp, PSMSG_SEND, s->frame.data, s->frame.len);
}

static int send_hello(struct session *s)
{
    struct msg_hello h;
    int rc;

    memset(&h, 0, sizeof(h));
    if (snprintf(h.agent_id, sizeof(h.agent_id), "%s", s->agent_id) < 0 ||
        snprintf(h.version, sizeof(h.version), "%s", VIGIL_VERSION) < 0 ||
        snprintf(h.hostname, sizeof(h.hostname), "%s", agent_hostname()) < 0)
        return -EINVAL;
    h.time_ms = vtime_now_ms();
    if (s->bundle_versions)
        s->bundle_versions(s->task_ctx, &h.rules_version, &h.hashes_version);
    buf_reset(&s->out);
    if ((rc = msg_hello_encode(&s->out, &h)) < 0)
        return rc;
    return send_frame(s, FRAME_HELLO, false);
}

static int send_heartbeat(struct session *s, int64_t now_ms)
{
    struct msg_heartbeat h = {vtime_now_ms()};
    int rc;

    buf_reset(&s->out);
    if ((rc = msg_heartbeat_encode(&s->out, &h)) < 0)
        return rc;
    s->last_hb_ms = now_ms;
    return send_frame(s, FRAME_HEARTBEAT, false);
}

static int add_record(void *ctx, uint64_t seq, const void *p, size_t len)
{
    static const char unreadable[] = "{\"event\":{\"dataset\":\"agent\"},"
                                     "\"message\":\"spool record unreadable or too large\"}";
    struct session *s = ctx;
    int rc = msg_batch_writer_add(&s->w, seq, p, len);

    if ((rc == -EINVAL || (rc == -E2BIG && s->w.n == 0)) &&
        (s->w.n == 0 || seq == s->w.last_seq + 1))
        rc = msg_batch_writer_add(&s->w, seq, unreadable, sizeof(unreadable) - 1);
    return rc < 0 ? 1 : 0; /* full (or a gap after dropped records): send this batch */
}

/* Send one batch of pending records after s->sent. Returns 1 if sent, 0 if
 * nothing is pending, negative on error. */
static int send_batch(struct session *s)
{
    int rc;

    msg_batch_writer_reset(&s->w);
    rc = spool_read(s->spool, s->sent + 1, s->batch_events, BATCH_MAX_BYTES / 2, add_record, s);
    if (rc < 0)
        return rc;
    if (s->w.n == 0)
        return 0;
    buf_reset(&s->out);
    if ((rc = msg_batch_writer_finish(&s->w, &s->out)) < 0)
        return rc;
    if ((rc = send_frame(s, FRAME_BATCH, true)) < 0)
        return rc;
    s->sent = s->w.last_seq;
    s->n_batches++;
    return 1;
}

int session_pump(struct session *s, int64_t now_ms)
{
    struct spool_stats st;
    int rc;

    if (!s->up || !s->welcomed)
        return 0;
    spool_stats(s->spool, &st);
    if (s->sent < st.acked_seq)
        s->sent = st.acked_seq;
    while (s->sent - st.acked_seq < s->window && s->sent + 1 < st.next_seq) {
        if ((rc = send_batch(s)) < 0)
            return rc;
        if (rc == 0)
            break;
        if (!s->waiting_since)
            s->waiting_since = now_ms;
    }
    if (s->sent <= st.acked_seq)
        s->waiting_since = 0;
    else if (s->waiting_since && now_ms - s->waiting_since > SESSION_ACK_TIMEOUT_S * 1000) {
        log_kv(LOG_LVL_WARN, "no acknowledgement in time, reconnecting", NULL);
        s->welcomed = false;
        s->waiting_since = 0;
        return psmsg_send(s->sp, PSMSG_RESET, NULL, 0);
    }
    if (now_ms - s->last_hb_ms >= (int64_t)s->heartbeat_s * 1000)
        return send_heartbeat(s, now_ms);
    return 0;
}

static void on_welcome(struct session *s, const struct msg_welcome *w)
{
    struct spool_stats st;
    char a[24], b[24];

    spool_stats(s->spool, &st);
    if (w->acked_seq >= st.next_seq) {
        /* vigild has more than this spool ever held: the data dir was reset
         * while the identity was kept. New events would look like repeats. */
        if (snprintf(a, sizeof(a), "%llu", (unsigned long long)w->acked_seq) < 0 ||
            snprintf(b, sizeof(b), "%llu", (unsigned long long)st.next_seq) < 0)
            a[0] = b[0] = '\0';
        log_kv(LOG_LVL_ERROR, "server acknowledged more than this spool holds", "acked_seq", a,
               "next_seq", b, NULL);
    } else if (w->acked_seq > st.acked_seq && spool_ack(s->spool, w->acked_seq) < 0) {
        log_kv(LOG_LVL_WARN, "cannot record the acknowledgement", NULL);
    }
    spool_stats(s->spool, &st);
    s->sent = st.acked_seq; /* resend everything not yet acknowledged */
    s->welcomed = true;
    s->waiting_since = 0;
    s->skew_ms = w->time_ms - vtime_now_ms();
    if (w->heartbeat_s)
        s->heartbeat_s = w->heartbeat_s;
}

static int on_task(struct session *s, struct msg_task *t)
{
    struct msg_task_result r = {t->task_id, MSG_TASK_REFUSED, NULL};
    int rc;

    if (s->on_task)
        r.status = s->on_task(s->task_ctx, t, &r.result);
    else
        r.result = json_pack("{s:s}", "reason", "unsupported");
    if (r.status == SESSION_TASK_DEFERRED)
        return 0; /* the result travels later, in the events */
    buf_reset(&s->out);
    rc = msg_task_result_encode(&s->out, &r);
    json_decref(r.result);
    return rc < 0 ? rc : send_frame(s, FRAME_TASK_RESULT, true);
}

static int on_frame(struct session *s, const struct buf *payload)
{
    struct frame_hdr h;
    struct verr e;
    int rc = 0;

    verr_init(&e);
    if (payload->len < PROTO_HDR_LEN ||
        frame_hdr_parse((const uint8_t *)payload->data, &h, &e) < 0 ||
        payload->len != PROTO_HDR_LEN + (size_t)h.length ||
        frame_payload(&h, (const uint8_t *)payload->data + PROTO_HDR_LEN, &s->payload, &e) < 0)
        goto bad;
    switch (h.type) {
    case FRAME_WELCOME: {
        struct msg_welcome w;
        if (msg_welcome_decode(s->payload.data, s->payload.len, &w, &e) < 0)
            goto bad;
        on_welcome(s, &w);
        return 0;
    }
    case FRAME_ACK: {
        struct msg_ack a;
        struct spool_stats st;
        if (msg_ack_decode(s->payload.data, s->payload.len, &a, &e) < 0)
            goto bad;
        spool_stats(s->spool, &st);
        if (a.seq > st.acked_seq && a.seq < st.next_seq && (rc = spool_ack(s->spool, a.seq)) < 0)
            log_kv(LOG_LVL_WARN, "cannot record the acknowledgement", NULL);
        s->n_acks++;
        s->waiting_since = 0;
        return 0;
    }
    case FRAME_HEARTBEAT: {
        struct msg_heartbeat hb;
        if (msg_heartbeat_decode(s->payload.data, s->payload.len, &hb, &e) < 0)
            goto bad;
        s->skew_ms = hb.time_ms - vtime_now_ms();
        return 0;
    }
    case FRAME_TASK: {
        struct msg_task t;
        if (msg_task_decode(s->payload.data, s->payload.len, &t, &e) < 0)
            goto bad;
        rc = on_task(s, &t);
        msg_task_release(&t);
        return rc;
    }
    case FRAME_ERROR: {
        struct msg_error m;
        if (msg_error_decode(s->payload.data, s->payload.len, &m, &e) < 0)
            goto bad;
        log_kv(LOG_LVL_WARN, "server closed the session", "message", m.message, NULL);
        return 0;
    }
    default:
        verr_set(&e, -EPROTO, "unexpected frame type");
        goto bad;
    }
bad:
    log_kv(LOG_LVL_WARN, "bad frame from server, reconnecting", "error", e.msg, NULL);
    s->welcomed = false;
    return psmsg_send(s->sp, PSMSG_RESET, NULL, 0);
}

int session_on_msg(struct session *s, enum psmsg_type type, const struct buf *payload)
{
    switch (type) {
    case PSMSG_UP:
        if (payload->len < sizeof(s->conn_id))
            return -EPROTO;
        memcpy(&s->conn_id, payload->data, sizeof(s->conn_id));
        s->up = true;
        s->welcomed = false;
        s->last_hb_ms = 0;
        return send_hello(s);
    case PSMSG_DOWN:
        if (s->up)
            log_kv(LOG_LVL_INFO, "disconnected", "reason", buf_str(payload), NULL);
        s->up = false;
        s->welcomed = false;
        return 0;
    case PSMSG_FRAME:
        return s->up ? on_frame(s, payload) : 0;
    default:
        return -EPROTO;
    }
}
