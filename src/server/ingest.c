/* vigild's agent listener: mutual TLS 1.3, frames, batches, tasks (ingest.h). */
#include "server/ingest.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/vec.h"
#include "base/vtime.h"
#include "server/ca.h"
#include "server/server.h"
#include "store/agent.h"
#include "store/event.h"
#include "store/malware.h"
#include "wire/msg.h"
#include "wire/proto.h"

#define PEER_MAX       64
#define TASKS_PER_KICK 64
#define IDLE_FACTOR    4 /* heartbeats missed before an idle connection is closed */
/*
 * Group commit on a writer thread: the loop decrypts and decodes batches
 * and queues them; a writer thread with its own database connection
 * stores every queued batch (from any connection, at most
 * GROUP_MAX_EVENTS events) in one transaction while the loop decodes the
 * next ones; then the loop ACKs each batch of the group. An idle writer
 * is handed the queue GROUP_WAIT_US after its first batch arrives. A
 * connection whose batch is on its way reads no further frame.
 */
#define GROUP_WAIT_US    1000
#define GROUP_MAX_EVENTS 20000

enum conn_state { CONN_TLS, CONN_HELLO, CONN_READY, CONN_CLOSING };

struct conn {
    LIST_ENTRY(conn) link;
    struct ingest *ing;
    struct bufferevent *bev;
    enum conn_state state;
    int64_t agent_id;
    char serial[41];
    char peer[PEER_MAX];    /* address:port, for the log */
    char peer_ip[PEER_MAX]; /* address alone, for the registry */
    char version[MSG_VERSION_MAX];
    int64_t bundle_v[2]; /* scan bundles the agent holds: rules, hashes */
    struct frame_hdr hdr;
    bool have_hdr;
    struct buf payload;
    struct item *item; /* its batch on the way to the store, or NULL */
};

/* A decoded batch on its way to the store; it owns the frame and the JSON
 * its events' strings point into. */
struct item {
    TAILQ_ENTRY(item) link;
    struct conn *c; /* NULL once the connection is gone */
    struct buf payload;
    VEC(struct event_in) evs;
    VEC(json_t *) objs;
    uint64_t last_seq;
    bool submitted;       /* in the writer's group */
    struct event_batch b; /* the writer's result */
};
TAILQ_HEAD(item_list, item);

/* The writer thread. The loop hands it a group (busy) and takes the group
 * back once it is done; flags under mu, the group itself is the writer's
 * between the two. */
struct writer {
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool busy, done, stop;
    struct store *store; /* the writer's own connection */
    struct item_list group;
    int rc;
    struct verr err;
    int efd; /* eventfd: the writer is done */
    struct event *done_ev;
};

struct ingest {
    struct server *srv;
    SSL_CTX *ctx;
    struct evconnlistener *listener;
    struct event *retention_timer;
    LIST_HEAD(, conn) conns;
    unsigned n_conns;
    struct item_list pending; /* decoded, not yet handed to the writer */
    struct event *commit_timer;
    struct writer w;
    uint16_t port;
    int days[6];
};

/* --- Connections. */

static void item_free(struct item *it)
{
    for (size_t i = 0; i < it->objs.n; i++)
        json_decref(it->objs.items[i]);
    VEC_FREE(&it->objs);
    VEC_FREE(&it->evs);
    buf_release(&it->payload);
    free(it);
}

static void conn_free(struct conn *c)
{
    if (c->item && c->item->submitted) {
        c->item->c = NULL; /* the writer's group frees it */
    } else if (c->item) {
        TAILQ_REMOVE(&c->ing->pending, c->item, link);
        item_free(c->item);
    }
    LIST_REMOVE(c, link);
    c->ing->n_conns--;
    bufferevent_free(c->bev);
    buf_release(&c->payload);
    free(c);
}

static void conn_refuse(struct conn *c, enum ingest_refusal why, const char *detail)
{
    char id[24] = "";
    if (c->agent_id > 0)
        snprintf(id, sizeof(id), "%lld", (long long)c->agent_id);
    c->ing->srv->metrics.ingest_refused[why]++;
    log_kv(LOG_LVL_WARN, "agent connection refused", "reason", ingest_refusal_names[why], "peer",
           c->peer, "agent", id[0] ? id : "-", "detail", detail ? detail : "-", NULL);
}

/* Queue one frame; false when it could not be encoded. */
static bool conn_send(struct conn *c, enum frame_type type, const struct buf *payload)
{
    struct buf f = BUF_INIT(PROTO_MAX_WIRE + PROTO_HDR_LEN);
    bool ok = frame_encode(&f, type, payload->data, payload->len, payload->len > 4096) == 0 &&
              bufferevent_write(c->bev, f.data, f.len) == 0;
    buf_release(&f);
    return ok;
}

static void on_drained(struct bufferevent *bev, void *arg)
{
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        conn_free(arg);
}

static void on_event(struct bufferevent *bev, short what, void *arg);

/* Send ERROR and close once it is written (the connection reads no more). */
static void conn_close_error(struct conn *c, int code, const char *message)
{
    struct msg_error m = {.code = code};
    struct buf p = BUF_INIT(4096);
    bool sent = false;

    snprintf(m.message, sizeof(m.message), "%s", message);
    if (msg_error_encode(&p, &m) == 0)
        sent = conn_send(c, FRAME_ERROR, &p);
    buf_release(&p);
    if (!sent) {
        conn_free(c);
        return;
    }
    c->state = CONN_CLOSING;
    bufferevent_disable(c->bev, EV_READ);
    bufferevent_setcb(c->bev, NULL, on_drained, on_event, c);
}

static void conn_protocol_error(struct conn *c, const char *detail)
{
    conn_refuse(c, REFUSED_PROTOCOL, detail);
    conn_close_error(c, MSG_ERR_PROTOCOL, detail);
}

/* A scan task carries the scan bundles newer than those the agent holds
 * (store/malware.h): args + {"bundle": {"rules": {...}, "hashes": {...}}}.
 * Returns the args to send (a new reference). */
static json_t *with_bundles(struct conn *c, json_t *args, int64_t sent_v[2])
{
    static const char *const kinds[2] = {"rules", "hashes"};
    struct store *s = c->ing->srv->store;
    json_t *out = json_deep_copy(args), *bundle = json_object();

    for (int k = 0; k < 2; k++) {
        sent_v[k] = c->bundle_v[k];
        if (store_scan_bundle_version(s, kinds[k]) <= c->bundle_v[k])
            continue;
        json_t *b = store_scan_bundle_latest(s, kinds[k]);
        if (!b)
            continue;
        sent_v[k] = json_integer_value(json_object_get(b, "version"));
        json_object_set_new(bundle, kinds[k], b);
    }
    if (json_object_size(bundle))
        json_object_set_new(out, "bundle", bundle);
    else
        json_decref(bundle);
    return out;
}

/* Send the queued tasks; with_sent (a new connection): also those sent
 * before and not answered. */
static void send_tasks_ex(struct conn *c, bool with_sent)
{
    struct store *s = c->ing->srv->store;
    json_t *tasks = store_task_queued(s, c->agent_id, with_sent, TASKS_PER_KICK), *t;
    size_t i;

    json_array_foreach(tasks, i, t)
    {
        struct msg_task m = {0};
        struct buf p = BUF_INIT(PROTO_MAX_RAW);
        int64_t sent_v[2] = {c->bundle_v[0], c->bundle_v[1]};
        struct verr err;
        verr_init(&err);
        m.task_id = (uint64_t)json_integer_value(json_object_get(t, "task_id"));
        m.verb = msg_verb_parse(json_string_value(json_object_get(t, "verb")));
        m.args = m.verb == MSG_VERB_SCAN ? with_bundles(c, json_object_get(t, "args"), sent_v)
                                         : json_incref(json_object_get(t, "args"));
        if (msg_task_encode(&p, &m) == 0 && conn_send(c, FRAME_TASK, &p)) {
            c->bundle_v[0] = sent_v[0];
            c->bundle_v[1] = sent_v[1];
            if (store_task_mark_sent(s, (int64_t)m.task_id, &err) < 0)
                log_kv(LOG_LVL_ERROR, "cannot mark a task sent", "error", err.msg, NULL);
        }
        json_decref(m.args);
        buf_release(&p);
    }
    json_decref(tasks);
}

static void send_tasks(struct conn *c)
{
    send_tasks_ex(c, false);
}

static void seen(struct conn *c, int64_t agent_time_ms)
{
    struct verr err;
    verr_init(&err);
    if (store_agent_seen(c->ing->srv->store, c->agent_id, c->version, c->peer_ip,
                         vtime_now_ms() - agent_time_ms, &err) < 0)
        log_kv(LOG_LVL_ERROR, "cannot record an agent as seen", "error", err.msg, NULL);
}

static void on_hello(struct conn *c, struct verr *err)
{
    struct msg_hello h;
    struct msg_welcome w = {0};
    struct buf p = BUF_INIT(4096);
    char want[32], want_cn[40];

    if (msg_hello_decode(c->payload.data, c->payload.len, &h, err) < 0) {
        conn_protocol_error(c, err->msg);
        return;
    }
    snprintf(want, sizeof(want), "%lld", (long long)c->agent_id);
    snprintf(want_cn, sizeof(want_cn), "agent-%lld", (long long)c->agent_id);
    if (strcmp(h.agent_id, want) != 0 && strcmp(h.agent_id, want_cn) != 0) {
        conn_refuse(c, REFUSED_PROTOCOL, "HELLO agent_id does not match the certificate");
        conn_close_error(c, MSG_ERR_AUTH, "agent_id does not match the certificate");
        return;
    }
    snprintf(c->version, sizeof(c->version), "%s", h.version);
    c->bundle_v[0] = h.rules_version;
    c->bundle_v[1] = h.hashes_version;
    seen(c, h.time_ms);
    w.time_ms = vtime_now_ms();
    w.acked_seq = (uint64_t)store_event_acked_seq(c->ing->srv->store, c->agent_id);
    w.heartbeat_s = INGEST_HEARTBEAT_S;
    if (msg_welcome_encode(&p, &w) < 0 || !conn_send(c, FRAME_WELCOME, &p)) {
        buf_release(&p);
        conn_protocol_error(c, "cannot send WELCOME");
        return;
    }
    buf_release(&p);
    c->state = CONN_READY;
    log_kv(LOG_LVL_INFO, "agent connected", "agent", want, "peer", c->peer, "version", c->version,
           NULL);
    send_tasks_ex(c, true);
}

static const char *obj_str(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (b)
        v = json_object_get(v, b);
    return json_string_value(v);
}

static void arm_commit(struct ingest *ing)
{
    struct timeval wait = {0, GROUP_WAIT_US};
    if (!TAILQ_EMPTY(&ing->pending) && !evtimer_pending(ing->commit_timer, NULL))
        evtimer_add(ing->commit_timer, &wait);
}

/* Decode a batch and queue it for the writer; false: c reads no further
 * frame for now, or is gone. */
static bool on_batch(struct conn *c, struct verr *err)
{
    struct msg_batch_reader r;
    struct msg_event ev;
    struct item *it;
    int k;

    if (msg_batch_reader_open(&r, c->payload.data, c->payload.len, err) < 0) {
        conn_protocol_error(c, err->msg);
        return false;
    }
    it = xcalloc(1, sizeof(*it));
    while ((k = msg_batch_reader_next(&r, &ev, err)) == 1) {
        struct event_in e = {0};
        const char *ts = obj_str(ev.obj, "@timestamp", NULL);
        e.seq = (int64_t)ev.seq;
        if (ts && vtime_parse_ms(ts, strlen(ts), 0, &e.ts_ms) < 0)
            e.ts_ms = 0; /* unreadable: the time it is stored */
        e.dataset = obj_str(ev.obj, "event", "dataset");
        e.host = obj_str(ev.obj, "host", "name");
        e.message = obj_str(ev.obj, "message", NULL);
        e.doc = ev.text;
        e.doc_len = ev.text_len;
        VEC_PUSH(&it->objs, json_incref(ev.obj));
        VEC_PUSH(&it->evs, e);
    }
    it->last_seq = r.last_seq;
    msg_batch_reader_release(&r);
    if (k < 0) {
        item_free(it);
        conn_protocol_error(c, err->msg);
        return false;
    }
    /* The item takes the frame; the connection's next frame gets a new buffer. */
    it->payload = c->payload;
    buf_init(&c->payload, PROTO_MAX_RAW);
    it->c = c;
    c->item = it;
    TAILQ_INSERT_TAIL(&c->ing->pending, it, link);
    if (!c->ing->w.busy)
        arm_commit(c->ing);
    return false;
}

/* A stored batch's fate: ACK it, or close the connection (false: c is
 * closing or gone). */
static bool batch_done(struct conn *c, int rc, const struct item *it)
{
    struct msg_ack a = {.seq = it->last_seq};
    struct buf p = BUF_INIT(256);

    c->item = NULL;
    if (rc < 0) {
        conn_close_error(c, MSG_ERR_INTERNAL, "cannot store the batch; retry later");
        return false;
    }
    if (it->b.rc < 0) {
        conn_protocol_error(c, it->b.err.msg);
        return false;
    }
    c->ing->srv->metrics.ingest_events += it->b.n_new;
    c->ing->srv->metrics.ingest_batches++;
    if (msg_ack_encode(&p, &a) < 0 || !conn_send(c, FRAME_ACK, &p))
        log_kv(LOG_LVL_ERROR, "cannot send an ACK", "peer", c->peer, NULL);
    buf_release(&p);
    return true;
}

static void on_read(struct bufferevent *bev, void *arg);

/* --- The writer thread. */

/* Store the group in one transaction (on the writer thread). */
static void writer_store(struct writer *w)
{
    VEC(struct event_batch) b = VEC_INIT;
    struct item *it;
    size_t i = 0;

    TAILQ_FOREACH(it, &w->group, link)
    {
        struct event_batch one = {.agent_id = it->b.agent_id, .ev = it->evs.items, .n = it->evs.n};
        VEC_PUSH(&b, one);
    }
    verr_init(&w->err);
    w->rc = store_event_insert_batches(w->store, b.items, b.n, &w->err);
    TAILQ_FOREACH(it, &w->group, link)
    it->b = b.items[i++];
    VEC_FREE(&b);
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    uint64_t one = 1;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && !(w->busy && !w->done))
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop)
            break;
        pthread_mutex_unlock(&w->mu);
        writer_store(w);
        pthread_mutex_lock(&w->mu);
        w->done = true;
        if (write(w->efd, &one, sizeof(one)) != sizeof(one))
            w->rc = -EIO; /* cannot happen with a counter below 2^64 - 1 */
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Hand the queued batches (at most GROUP_MAX_EVENTS events, at least one
 * batch) to an idle writer. */
static void writer_submit(struct ingest *ing)
{
    struct writer *w = &ing->w;
    size_t n_events = 0;
    struct item *it;

    if (w->busy || TAILQ_EMPTY(&ing->pending))
        return;
    while ((it = TAILQ_FIRST(&ing->pending)) != NULL) {
        if (!TAILQ_EMPTY(&w->group) && n_events + it->evs.n > GROUP_MAX_EVENTS)
            break;
        n_events += it->evs.n;
        TAILQ_REMOVE(&ing->pending, it, link);
        it->submitted = true;
        it->b.agent_id = it->c->agent_id;
        TAILQ_INSERT_TAIL(&w->group, it, link);
    }
    pthread_mutex_lock(&w->mu);
    w->busy = true;
    w->done = false;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void on_commit_timer(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
    writer_submit(arg);
}

/* The writer is done: ACK its group, let those connections read on, and
 * hand it what queued up meanwhile. */
static void on_writer_done(evutil_socket_t fd, short what UNUSED, void *arg)
{
    struct ingest *ing = arg;
    struct writer *w = &ing->w;
    struct item_list group = TAILQ_HEAD_INITIALIZER(group);
    struct item *it;
    uint64_t n;
    bool done;

    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        return;
    pthread_mutex_lock(&w->mu);
    done = w->busy && w->done;
    pthread_mutex_unlock(&w->mu);
    if (!done)
        return;
    TAILQ_CONCAT(&group, &w->group, link);
    if (w->rc < 0)
        log_kv(LOG_LVL_ERROR, "cannot store a batch", "error", w->err.msg, NULL);
    /* Reading on may queue a connection's next batch (or close it): that
     * touches no other item of the group. */
    while ((it = TAILQ_FIRST(&group)) != NULL) {
        struct conn *c = it->c;
        TAILQ_REMOVE(&group, it, link);
        if (c && batch_done(c, w->rc, it))
            on_read(c->bev, c);
        item_free(it);
    }
    pthread_mutex_lock(&w->mu);
    w->busy = false;
    pthread_mutex_unlock(&w->mu);
    writer_submit(ing);
}

static int writer_start(struct ingest *ing, struct verr *err)
{
    struct writer *w = &ing->w;
    int rc;

    if ((rc = store_open(ing->srv->cfg->data_dir, &w->store, err)) < 0)
        return rc;
    w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->efd < 0)
        return verr_set(err, -errno, "ingest: eventfd: %s", strerror(errno));
    w->done_ev = event_new(ing->srv->base, w->efd, EV_READ | EV_PERSIST, on_writer_done, ing);
    if (!w->done_ev || event_add(w->done_ev, NULL) < 0)
        return verr_set(err, -ENOMEM, "ingest: cannot watch the writer");
    if ((rc = pthread_create(&w->thread, NULL, writer_main, w)) != 0)
        return verr_set(err, -rc, "ingest: cannot start the writer thread: %s", strerror(rc));
    w->started = true;
    return 0;
}

/* Stop the writer (it finishes the group in hand) and free what it held. */
static void writer_stop(struct ingest *ing)
{
    struct writer *w = &ing->w;
    struct item *it;

    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->stop = true;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    while ((it = TAILQ_FIRST(&w->group)) != NULL) {
        TAILQ_REMOVE(&w->group, it, link);
        if (it->c)
            it->c->item = NULL;
        item_free(it);
    }
    if (w->done_ev)
        event_free(w->done_ev);
    if (w->efd >= 0)
        close(w->efd);
    store_close(w->store);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
}

static bool on_task_result(struct conn *c, struct verr *err)
{
    struct msg_task_result m;
    if (msg_task_result_decode(c->payload.data, c->payload.len, &m, err) < 0) {
        conn_protocol_error(c, err->msg);
        return false;
    }
    if (store_task_result(c->ing->srv->store, c->agent_id, (int64_t)m.task_id,
                          m.status == MSG_TASK_OK ? "done" : "failed", m.result, err) < 0)
        log_kv(LOG_LVL_WARN, "task result not stored", "peer", c->peer, "error", err->msg, NULL);
    msg_task_result_release(&m);
    return true;
}

/* Handle the frame in c->hdr / c->payload. Returns false when c is gone. */
static bool on_frame(struct conn *c)
{
    struct verr err;
    verr_init(&err);

    if (c->state == CONN_HELLO) {
        if (c->hdr.type != FRAME_HELLO) {
            conn_protocol_error(c, "the first frame must be HELLO");
            return false;
        }
        on_hello(c, &err);
        return c->state == CONN_READY;
    }
    switch (c->hdr.type) {
    case FRAME_BATCH:
        return on_batch(c, &err);
    case FRAME_HEARTBEAT: {
        struct msg_heartbeat h;
        if (msg_heartbeat_decode(c->payload.data, c->payload.len, &h, &err) < 0) {
            conn_protocol_error(c, err.msg);
            return false;
        }
        seen(c, h.time_ms);
        send_tasks(c); /* tasks queued by vigild itself (priority scans) */
        return true;
    }
    case FRAME_TASK_RESULT:
        return on_task_result(c, &err);
    case FRAME_ERROR:
        log_kv(LOG_LVL_INFO, "agent sent ERROR", "peer", c->peer, NULL);
        conn_free(c);
        return false;
    default:
        conn_protocol_error(c, "unexpected frame type");
        return false;
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    while (!c->item) {
        size_t have = evbuffer_get_length(in);
        struct verr err;
        verr_init(&err);
        if (!c->have_hdr) {
            uint8_t h[PROTO_HDR_LEN];
            int rc;
            if (have < PROTO_HDR_LEN)
                return;
            evbuffer_copyout(in, h, PROTO_HDR_LEN);
            rc = frame_hdr_parse(h, &c->hdr, &err);
            if (rc < 0) {
                conn_refuse(c, REFUSED_PROTOCOL, err.msg);
                conn_close_error(c,
                                 rc == -EPROTONOSUPPORT ? MSG_ERR_VERSION
                                 : rc == -EMSGSIZE      ? MSG_ERR_TOO_BIG
                                                        : MSG_ERR_PROTOCOL,
                                 err.msg);
                return;
            }
            c->have_hdr = true;
        }
        if (have < PROTO_HDR_LEN + (size_t)c->hdr.length)
            return;
        const uint8_t *wire = evbuffer_pullup(in, (ev_ssize_t)(PROTO_HDR_LEN + c->hdr.length));
        if (!wire || frame_payload(&c->hdr, wire + PROTO_HDR_LEN, &c->payload, &err) < 0) {
            conn_protocol_error(c, wire ? err.msg : "out of memory");
            return;
        }
        evbuffer_drain(in, PROTO_HDR_LEN + c->hdr.length);
        c->have_hdr = false;
        if (!on_frame(c))
            return;
    }
}

/* Classify a failed handshake from OpenSSL's error queue. */
static enum ingest_refusal tls_refusal(struct bufferevent *bev, char *detail, size_t detail_len)
{
    enum ingest_refusal why = REFUSED_PROTOCOL;
    unsigned long e;

    snprintf(detail, detail_len, "connection closed during the handshake");
    while ((e = bufferevent_get_openssl_error(bev)) != 0) {
        int reason = ERR_GET_REASON(e);
        ERR_error_string_n(e, detail, detail_len);
        if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
            why = REFUSED_NO_CERT;
        else if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
            why = REFUSED_BAD_CERT;
        else if (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_NO_PROTOCOLS_AVAILABLE ||
                 reason == SSL_R_VERSION_TOO_LOW || reason == SSL_R_WRONG_VERSION_NUMBER)
            why = REFUSED_TLS_VERSION;
    }
    return why;
}

/* The handshake finished: who is it, and may it connect? */
static bool on_handshake(struct conn *c)
{
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    X509 *cert = ssl ? SSL_get1_peer_certificate(ssl) : NULL;
    int rc;

    if (!cert) {
        conn_refuse(c, REFUSED_NO_CERT, "no client certificate");
        return false;
    }
    rc = ca_agent_id_from_cert(cert, &c->agent_id, c->serial);
    X509_free(cert);
    if (rc < 0) {
        conn_refuse(c, REFUSED_BAD_CERT, "the certificate names no agent");
        return false;
    }
    if (store_agent_check(c->ing->srv->store, c->agent_id, c->serial) < 0) {
        conn_refuse(c, REFUSED_REVOKED, "unknown or revoked agent, or a replaced certificate");
        return false;
    }
    c->state = CONN_HELLO;
    return true;
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    char detail[256];

    if (what & BEV_EVENT_CONNECTED) {
        if (!on_handshake(c))
            conn_close_error(c, MSG_ERR_AUTH, "refused");
        return;
    }
    if (c->state == CONN_TLS && (what & BEV_EVENT_ERROR)) {
        enum ingest_refusal why = tls_refusal(bev, detail, sizeof(detail));
        conn_refuse(c, why, detail);
    } else if (what & BEV_EVENT_TIMEOUT) {
        log_kv(LOG_LVL_INFO, "agent connection idle, closed", "peer", c->peer, NULL);
    } else if (c->state == CONN_TLS) {
        conn_refuse(c, tls_refusal(bev, detail, sizeof(detail)), detail);
    }
    conn_free(c);
}

static void peer_text(const struct sockaddr *sa, char peer[PEER_MAX], char ip[PEER_MAX])
{
    unsigned port = 0;
    snprintf(ip, PEER_MAX, "?");
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, ip, PEER_MAX);
        port = ntohs(s4->sin_port);
        snprintf(peer, PEER_MAX, "%.46s:%u", ip, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, PEER_MAX);
        port = ntohs(s6->sin6_port);
        snprintf(peer, PEER_MAX, "[%.46s]:%u", ip, port);
    } else {
        snprintf(peer, PEER_MAX, "?");
    }
}

static void on_accept(struct evconnlistener *l UNUSED, evutil_socket_t fd, struct sockaddr *sa,
                      int salen UNUSED, void *arg)
{
    struct ingest *ing = arg;
    struct timeval idle = {INGEST_HEARTBEAT_S * IDLE_FACTOR, 0};
    struct conn *c;
    SSL *ssl;

    if (ing->n_conns >= INGEST_MAX_CONNS) {
        log_kv(LOG_LVL_WARN, "agent connection refused", "reason", "too_many_connections", NULL);
        evutil_closesocket(fd);
        return;
    }
    ssl = SSL_new(ing->ctx);
    if (!ssl) {
        evutil_closesocket(fd);
        return;
    }
    c = xcalloc(1, sizeof(*c));
    c->ing = ing;
    peer_text(sa, c->peer, c->peer_ip);
    buf_init(&c->payload, PROTO_MAX_RAW);
    c->bev = bufferevent_openssl_socket_new(ing->srv->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                            BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        SSL_free(ssl);
        evutil_closesocket(fd);
        buf_release(&c->payload);
        free(c);
        return;
    }
    LIST_INSERT_HEAD(&ing->conns, c, link);
    ing->n_conns++;
    /* Stop reading once a whole largest frame is buffered. */
    bufferevent_setwatermark(c->bev, EV_READ, 0, PROTO_HDR_LEN + PROTO_MAX_WIRE);
    bufferevent_set_timeouts(c->bev, &idle, NULL);
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* --- Retention. */

int64_t ingest_retention_run(struct ingest *ing)
{
    json_t *list = store_agent_list(ing->srv->store);
    int64_t n = 0;
    struct verr err;
    int rc;

    verr_init(&err);
    rc = store_event_retention(ing->srv->store, ing->days, json_object_get(list, "items"),
                               vtime_now_ms(), &n, &err);
    json_decref(list);
    if (rc < 0) {
        log_kv(LOG_LVL_ERROR, "retention failed", "error", err.msg, NULL);
        return rc;
    }
    if (n > 0) {
        char text[24];
        snprintf(text, sizeof(text), "%lld", (long long)n);
        log_kv(LOG_LVL_INFO, "retention deleted events", "n", text, NULL);
    }
    return n;
}

static void on_retention(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
    (void)ingest_retention_run(arg);
}

/* --- Lifecycle. */

static int make_ctx(struct ingest *ing, struct verr *err)
{
    const struct config *cfg = ing->srv->cfg;
    char *cert = NULL, *key = NULL;
    int rc;

    rc = ca_ingest_cert(ing->srv->ca, cfg->data_dir, &cert, &key, err);
    if (rc < 0)
        return rc;
    ing->ctx = SSL_CTX_new(TLS_server_method());
    if (!ing->ctx || !SSL_CTX_set_min_proto_version(ing->ctx, TLS1_3_VERSION) ||
        SSL_CTX_use_certificate_chain_file(ing->ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ing->ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ing->ctx) != 1 ||
        SSL_CTX_load_verify_locations(ing->ctx, ca_cert_path(ing->srv->ca), NULL) != 1)
        rc = verr_set(err, -EIO, "ingest TLS context: %s", ERR_error_string(ERR_get_error(), NULL));
    else {
        SSL_CTX_set_verify(ing->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        SSL_CTX_set_verify_depth(ing->ctx, 2);
        SSL_CTX_set_options(ing->ctx,
                            SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
        SSL_CTX_set_session_cache_mode(ing->ctx, SSL_SESS_CACHE_OFF);
    }
    free(cert);
    free(key);
    return rc;
}

int ingest_start(struct server *srv, const char *host, uint16_t port, const int days[6],
                 struct ingest **ret, struct verr *err)
{
    struct ingest *ing = xcalloc(1, sizeof(*ing));
    struct sockaddr_storage ss;
    int sslen = sizeof(ss);
    char addr[CONFIG_HOST_MAX + 16];
    struct timeval every = {INGEST_RETENTION_EVERY_S, 0};
    int rc;

    ing->srv = srv;
    LIST_INIT(&ing->conns);
    TAILQ_INIT(&ing->pending);
    TAILQ_INIT(&ing->w.group);
    ing->w.efd = -1;
    pthread_mutex_init(&ing->w.mu, NULL);
    pthread_cond_init(&ing->w.cv, NULL);
    memcpy(ing->days, days, sizeof(ing->days));
    if ((rc = make_ctx(ing, err)) < 0 || (rc = writer_start(ing, err)) < 0)
        goto fail;
    snprintf(addr, sizeof(addr), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, (unsigned)port);
    memset(&ss, 0, sizeof(ss));
    if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen) < 0) {
        rc = verr_set(err, -EINVAL, "ingest: bad address %s", addr);
        goto fail;
    }
    ing->listener = evconnlistener_new_bind(srv->base, on_accept, ing,
                                            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
                                            (struct sockaddr *)&ss, sslen);
    if (!ing->listener) {
        rc = verr_set(err, -EADDRINUSE, "ingest: cannot listen on %s: %s", addr, strerror(errno));
        goto fail;
    }
    sslen = sizeof(ss);
    if (getsockname(evconnlistener_get_fd(ing->listener), (struct sockaddr *)&ss,
                    (socklen_t *)&sslen) == 0)
        ing->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    ing->retention_timer = event_new(srv->base, -1, EV_PERSIST, on_retention, ing);
    ing->commit_timer = evtimer_new(srv->base, on_commit_timer, ing);
    if (!ing->retention_timer || !ing->commit_timer ||
        evtimer_add(ing->retention_timer, &every) < 0) {
        rc = verr_set(err, -ENOMEM, "ingest: cannot set the retention timer");
        goto fail;
    }
    *ret = ing;
    return 0;
fail:
    ingest_free(ing);
    return rc;
}

uint16_t ingest_port(const struct ingest *ing)
{
    return ing->port;
}

void ingest_pause(struct ingest *ing)
{
    if (ing && ing->listener)
        evconnlistener_disable(ing->listener);
}

void ingest_free(struct ingest *ing)
{
    if (!ing)
        return;
    while (!LIST_EMPTY(&ing->conns))
        conn_free(LIST_FIRST(&ing->conns));
    if (ing->retention_timer)
        event_free(ing->retention_timer);
    if (ing->commit_timer)
        event_free(ing->commit_timer);
    writer_stop(ing);
    if (ing->listener)
        evconnlistener_free(ing->listener);
    SSL_CTX_free(ing->ctx);
    free(ing);
}

void ingest_kick_all(struct ingest *ing)
{
    struct conn *c;
    if (!ing)
        return;
    LIST_FOREACH(c, &ing->conns, link)
    if (c->state == CONN_READY)
        send_tasks(c);
}

void ingest_kick(struct ingest *ing, int64_t agent_id)
{
    struct conn *c;
    if (!ing)
        return;
    LIST_FOREACH(c, &ing->conns, link)
    if (c->state == CONN_READY && c->agent_id == agent_id) {
        send_tasks(c);
        return;
    }
}
