/* The collector loop and the start of the network process (agent.h). */
#include "agent/agent.h"

#include <jansson.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/event.h"
#include "agent/fim.h"
#include "agent/inventory.h"
#include "agent/journald.h"
#include "agent/privsep.h"
#include "agent/scanjob.h"
#include "agent/session.h"
#include "agent/tail.h"
#include "agent/uplink.h"
#include "base/file.h"
#include "base/log.h"
#include "base/str.h"
#include "base/vtime.h"
#include "wire/http_client.h"
#include "wire/spool.h"

#define IDENTITY_MAX   (64u << 10)
#define SEGMENT_BYTES  (8u << 20)
#define POLL_BUDGET    (4u << 20) /* log bytes read per poll */
#define JOURNAL_BUDGET 2000       /* journal entries per poll */

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

int agent_identity_load(const struct agent_config *c, struct agent_identity *ret, struct verr *err)
{
    char path[4096];
    char *text = NULL;
    size_t len;
    json_t *doc, *id, *server, *api, *ingest, *fp;
    struct agent_identity out;
    int rc;

    if (agent_path(c, "agent.json", path, sizeof(path)) < 0)
        return verr_set(err, -ENAMETOOLONG, "data directory path too long");
    if ((rc = file_read_all(path, IDENTITY_MAX, &text, &len)) < 0)
        return verr_set(err, rc, "%s: cannot read (is the agent enrolled?): %s", path,
                        strerror(-rc));
    doc = json_loadb(text, len, 0, NULL);
    free(text);
    memset(&out, 0, sizeof(out));
    id = json_object_get(doc, "agent_id");
    server = json_object_get(doc, "server");
    api = json_object_get(doc, "api_port");
    ingest = json_object_get(doc, "ingest_port");
    fp = json_object_get(doc, "fingerprint");
    if (!json_is_string(id) || !json_is_string(server) || !json_is_integer(ingest) ||
        json_string_length(id) >= sizeof(out.agent_id) ||
        json_string_length(server) >= sizeof(out.server) || json_integer_value(ingest) < 1 ||
        json_integer_value(ingest) > 65535) {
        json_decref(doc);
        return verr_set(err, -EINVAL, "%s: not a valid enrollment record", path);
    }
    memcpy(out.agent_id, json_string_value(id), json_string_length(id) + 1);
    memcpy(out.server, json_string_value(server), json_string_length(server) + 1);
    out.ingest_port = (unsigned)json_integer_value(ingest);
    out.api_port = json_is_integer(api) ? (unsigned)json_integer_value(api) : 0;
    if (json_is_string(fp) && http_fingerprint_parse(json_string_value(fp), out.fingerprint) == 0)
        out.have_fingerprint = true;
    json_decref(doc);
    *ret = out;
    return 0;
}

int agent_identity_save(const struct agent_config *c, const struct agent_identity *id)
{
    char path[4096], hex[65];
    json_t *doc;
    char *text;
    int rc;

    if (agent_path(c, "agent.json", path, sizeof(path)) < 0)
        return -ENAMETOOLONG;
    hex_encode(id->fingerprint, 32, hex);
    doc = json_pack("{s:s, s:s, s:i, s:i}", "agent_id", id->agent_id, "server", id->server,
                    "api_port", (int)id->api_port, "ingest_port", (int)id->ingest_port);
    if (!doc)
        return -ENOMEM;
    if (id->have_fingerprint) {
        char fp[80];
        if (snprintf(fp, sizeof(fp), "SHA256:%s", hex) < 0)
            fp[0] = '\0';
        json_object_set_new(doc, "fingerprint", json_string(fp));
    }
    text = json_dumps(doc, JSON_INDENT(2));
    json_decref(doc);
    if (!text)
        return -ENOMEM;
    rc = file_write_atomic(path, text, strlen(text), 0600);
    free(text);
    return rc;
}

struct agent {
    const struct agent_config *c;
    struct agent_identity id;
    struct spool *spool;
    struct session sess;
    struct tail *tail;
    struct fim *fim;
    struct journald *journal;
    struct inventory *inv;
    struct scanjobs *scans;
    struct uplink_opts up;
    char cert[4096], key[4096], ca[4096];
    pid_t net_pid;
    struct buf text;
    uint64_t n_appended; /* since the last sync */
    uint64_t dropped_reported;
    bool inventory_wanted;
};

static int emit(void *ctx, json_t *ev)
{
    struct agent *a = ctx;
    uint64_t seq;
    int rc = agent_event_text(ev, &a->text);

    json_decref(ev);
    if (rc < 0)
        return 0; /* an event too big for a spool record is skipped, not retried */
    rc = spool_append(a->spool, a->text.data, a->text.len, &seq);
    if (rc == -E2BIG)
        return 0;
    if (rc < 0)
        return rc;
    a->n_appended++;
    return 0;
}

/* jansson refuses invalid UTF-8; log lines may hold anything. */
static json_t *text_value(const char *p, size_t len)
{
    json_t *v;

    if (str_valid_utf8(p, len))
        return json_stringn(p, len);
    char *copy = xmalloc(len + 1);
    for (size_t i = 0; i < len; i++)
        copy[i] = (unsigned char)p[i] < 0x80 ? p[i] : '?';
    v = json_stringn(copy, len);
    free(copy);
    return v;
}

static int on_line(void *ctx, const struct tail_line *l)
{
    json_t *ev = agent_event_new("log", 0);

    agent_event_set(ev, "message", text_value(l->p, l->len));
    agent_event_set(ev, "log.file.path", json_string(l->path));
    agent_event_set(ev, "log.offset", json_integer((json_int_t)l->offset));
    agent_event_set(ev, "log.next_offset", json_integer((json_int_t)l->next_offset));
    agent_event_set(ev, "log.file.inode", json_integer((json_int_t)l->ino));
    if (l->truncated)
        agent_event_set(ev, "tags", json_pack("[s]", "truncated"));
    return emit(ctx, ev);
}

static enum msg_task_status on_task(void *ctx, const struct msg_task *t, json_t **ret_result)
{
    struct agent *a = ctx;

    if (t->verb == MSG_VERB_INVENTORY) {
        a->inventory_wanted = true;
        *ret_result = json_pack("{s:s}", "inventory", "snapshot queued");
        return MSG_TASK_OK;
    }
    if (t->verb == MSG_VERB_SCAN && a->scans)
        return scanjobs_task(a->scans, t, ret_result);
    /* "collect" belongs to forensics; "scan" is off in this agent's config. */
    *ret_result = json_pack("{s:s}", "reason", "unsupported");
    return MSG_TASK_REFUSED;
}

static void bundle_versions(void *ctx, int64_t *ret_rules, int64_t *ret_hashes)
{
    struct agent *a = ctx;
    *ret_rules = *ret_hashes = 0;
    if (a->scans)
        scanjobs_versions(a->scans, ret_rules, ret_hashes);
}

/* Start (or restart) the network process. Returns the collector's end. */
static int spawn_net(struct agent *a)
{
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return -errno;
    }
    if (pid == 0) {
        close(sv[0]);
        (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        _exit(uplink_run(sv[1], &a->up));
    }
    close(sv[1]);
    a->net_pid = pid;
    return sv[0];
}

static void report_drops(struct agent *a)
{
    struct spool_stats st;
    char n[24];

    spool_stats(a->spool, &st);
    if (st.dropped_records <= a->dropped_reported)
        return;
    if (snprintf(n, sizeof(n), "%llu",
                 (unsigned long long)(st.dropped_records - a->dropped_reported)) < 0)
        n[0] = '\0';
    log_kv(LOG_LVL_ERROR, "spool full: oldest events dropped", "n", n, NULL);
    json_t *ev = agent_event_new("agent", 0);
    agent_event_set(ev, "event.kind", json_string("alert"));
    agent_event_set(ev, "event.action", json_string("spool-dropped"));
    agent_event_set(ev, "message", json_string("spool full: oldest events dropped"));
    agent_event_set(ev, "vigil.dropped_records",
                    json_integer((json_int_t)(st.dropped_records - a->dropped_reported)));
    a->dropped_reported = st.dropped_records;
    if (emit(a, ev) < 0)
        log_kv(LOG_LVL_WARN, "cannot spool the drop alert", NULL);
}

/*
 * Durability order. Events are appended to the spool, the spool is synced,
 * and only then are the tail offsets, the journal cursor and the FIM
 * baseline saved (with the spool's next seq at that moment). For an agent
 * with a disk spool this is as good as saving "after acknowledgement": a
 * line durably in the spool is delivered -- resent after any crash or
 * outage until vigild acknowledges it -- so a saved position never runs
 * ahead of data that could still be lost. Saving after ACK instead would
 * make a restart read again, and spool again under new seqs, lines that
 * were already queued: duplicates in the store.
 *
 * The one window left is a crash between the sync and the save: the lines
 * are spooled but the position is old. recover() closes it at start: it
 * reads the records spooled after the saved seq (they cannot have been sent
 * yet: sending happens after this save in the loop) and moves each file's
 * position past the lines they hold (log.file.inode, log.next_offset), and
 * the journal cursor to the last entry they hold.
 */
static int commit(struct agent *a)
{
    struct spool_stats st;
    int rc;

    if (a->fim && (rc = fim_save(a->fim)) < 0) /* only when the baseline changed */
        log_kv(LOG_LVL_WARN, "cannot save the file baseline", "error", strerror(-rc), NULL);
    if (a->n_appended == 0) {
        if (a->scans && (rc = scanjobs_save(a->scans)) < 0)
            log_kv(LOG_LVL_WARN, "cannot save the scan state", "error", strerror(-rc), NULL);
        return 0;
    }
    if ((rc = spool_sync(a->spool)) < 0)
        return rc;
    a->n_appended = 0;
    spool_stats(a->spool, &st);
    if (a->tail && (rc = tail_save(a->tail, st.next_seq)) < 0)
        log_kv(LOG_LVL_WARN, "cannot save the log positions", "error", strerror(-rc), NULL);
    if (a->journal && (rc = journald_save(a->journal)) < 0)
        log_kv(LOG_LVL_WARN, "cannot save the journal cursor", "error", strerror(-rc), NULL);
    /* Finished scans leave the job list only now that their last event is
     * durable in the spool. */
    if (a->scans && (rc = scanjobs_save(a->scans)) < 0)
        log_kv(LOG_LVL_WARN, "cannot save the scan state", "error", strerror(-rc), NULL);
    return 0;
}

static int recover_one(void *ctx, uint64_t seq, const void *p, size_t len)
{
    struct agent *a = ctx;
    json_t *ev = json_loadb(p, len, 0, NULL);
    json_t *log = json_object_get(ev, "log"), *file = json_object_get(log, "file");
    json_t *path = json_object_get(file, "path"), *ino = json_object_get(file, "inode");
    json_t *next = json_object_get(log, "next_offset");
    json_t *cursor = json_object_get(json_object_get(ev, "journald"), "cursor");

    (void)seq;
    if (a->tail && json_is_string(path) && json_is_integer(ino) && json_is_integer(next))
        tail_advance(a->tail, json_string_value(path), (uint64_t)json_integer_value(ino),
                     (uint64_t)json_integer_value(next));
    if (a->journal && json_is_string(cursor))
        journald_advance(a->journal, json_string_value(cursor));
    json_decref(ev);
    return 0;
}

static void recover(struct agent *a)
{
    struct spool_stats st;
    uint64_t from = a->tail ? tail_saved_seq(a->tail) : 0;

    spool_stats(a->spool, &st);
    if (from <= st.acked_seq)
        from = st.acked_seq + 1;
    while (from < st.next_seq) {
        int n = spool_read(a->spool, from, 1000, 16u << 20, recover_one, a);
        if (n <= 0)
            break;
        from += (uint64_t)n; /* records are contiguous after the ack point */
    }
}

static void on_net_msg(struct agent *a, int *sp, struct buf *msg)
{
    enum psmsg_type type;
    int rc = psmsg_recv(*sp, &type, msg);

    if (rc == 0 && (rc = session_on_msg(&a->sess, type, msg)) == 0)
        return;
    /* The network process died or spoke nonsense: restart it. */
    log_kv(LOG_LVL_WARN, "network process lost, restarting it", "error", strerror(-rc), NULL);
    close(*sp);
    if (a->net_pid > 0) {
        kill(a->net_pid, SIGTERM);
        (void)waitpid(a->net_pid, NULL, 0);
    }
    a->sess.up = a->sess.welcomed = false;
    sleep(1);
    *sp = spawn_net(a);
    a->sess.sp = *sp;
}

static int open_sources(struct agent *a, struct verr *err)
{
    const struct agent_config *c = a->c;
    char path[4096];
    int rc;

    if (c->n_log_files) {
        if (agent_path(c, "tail.json", path, sizeof(path)) < 0)
            return verr_set(err, -ENAMETOOLONG, "data directory path too long");
        if ((rc = tail_open(c->log_files, c->n_log_files, c->max_line_bytes, path, &a->tail, err)) <
            0)
            return rc;
    }
    if (c->journald) {
        int jerr = 0;
        if (agent_path(c, "journal.cursor", path, sizeof(path)) < 0)
            return verr_set(err, -ENAMETOOLONG, "data directory path too long");
        if (!(a->journal = journald_open(path, &jerr)))
            log_kv(LOG_LVL_WARN, "journal not available, going on without it", "error",
                   strerror(jerr), NULL);
    }
    if (c->n_fim_paths) {
        if (agent_path(c, "fim.json", path, sizeof(path)) < 0)
            return verr_set(err, -ENAMETOOLONG, "data directory path too long");
        if ((rc = fim_open(c->fim_paths, c->n_fim_paths, path, &a->fim, err)) < 0)
            return rc;
    }
    if (c->inventory_s)
        a->inv = inventory_new("/");
    if (c->scan_enabled) {
        struct scanjob_opts so = {
            .data_dir = c->data_dir,
            .quarantine_dir = c->scan_quarantine_dir,
            .roots = (const char *const *)c->scan_roots,
            .n_roots = c->n_scan_roots,
            .exclude = (const char *const *)c->scan_exclude,
            .n_exclude = c->n_scan_exclude,
            .max_file_bytes = c->scan_max_file_bytes,
            .threads = c->scan_threads,
            .one_file_system = c->scan_one_file_system,
            .full_every_s = c->scan_full_every_s,
            .quick_every_s = c->scan_quick_every_s,
            .progress_s = c->scan_progress_s,
            .quarantine_days = c->scan_quarantine_days,
        };
        if ((rc = scanjobs_open(&so, &a->scans, err)) < 0)
            return rc;
    }
    return 0;
}

static int setup(struct agent *a, struct verr *err)
{
    const struct agent_config *c = a->c;
    char path[4096];
    int rc;

    if ((rc = agent_identity_load(c, &a->id, err)) < 0)
        return rc;
    if (agent_path(c, "cert.pem", a->cert, sizeof(a->cert)) < 0 ||
        agent_path(c, "key.pem", a->key, sizeof(a->key)) < 0 ||
        agent_path(c, "ca.pem", a->ca, sizeof(a->ca)) < 0 ||
        agent_path(c, "spool", path, sizeof(path)) < 0)
        return verr_set(err, -ENAMETOOLONG, "data directory path too long");
    a->up.host = c->server_host ? c->server_host : a->id.server;
    a->up.port = c->ingest_port ? c->ingest_port : a->id.ingest_port;
    a->up.cert_path = a->cert;
    a->up.key_path = a->key;
    a->up.ca_path = a->ca;
    a->up.have_fingerprint = a->id.have_fingerprint;
    memcpy(a->up.fingerprint, a->id.fingerprint, 32);
    a->up.user = c->user ? c->user : (geteuid() == 0 ? "nobody" : NULL);
    a->up.seccomp = c->seccomp;
    a->up.backoff_max_ms = MAX(c->reconnect_max_s * 1000u, 1000u);
    if ((rc = spool_open(path, c->spool_max_bytes, SEGMENT_BYTES, &a->spool, err)) < 0)
        return verr_prefix(err, "spool %s", path);
    return open_sources(a, err);
}

static void teardown(struct agent *a)
{
    if (a->net_pid > 0) {
        kill(a->net_pid, SIGTERM);
        (void)waitpid(a->net_pid, NULL, 0);
    }
    session_release(&a->sess);
    tail_free(a->tail);
    fim_free(a->fim);
    journald_free(a->journal);
    inventory_free(a->inv);
    scanjobs_free(a->scans);
    spool_close(a->spool);
    buf_release(&a->text);
}

/* One pass over the sources: read what is new into the spool. */
static int collect(struct agent *a, int64_t now_ms, int64_t *next_inv, int64_t *next_fim)
{
    int rc = 0;

    if (a->tail && (rc = tail_poll(a->tail, POLL_BUDGET, now_ms / 1000, on_line, a)) < 0)
        return rc;
    if (a->journal && (rc = journald_poll(a->journal, JOURNAL_BUDGET, emit, a)) < 0)
        return rc;
    if (a->fim && (rc = fim_poll(a->fim, emit, a)) < 0)
        return rc;
    if (a->fim && now_ms >= *next_fim) {
        if ((rc = fim_rescan(a->fim, emit, a)) < 0)
            return rc;
        *next_fim = now_ms + (int64_t)a->c->fim_rescan_s * 1000;
    }
    if (a->inv && (now_ms >= *next_inv || a->inventory_wanted)) {
        if ((rc = inventory_run(a->inv, a->inventory_wanted, emit, a)) < 0)
            return rc;
        a->inventory_wanted = false;
        *next_inv = now_ms + (int64_t)a->c->inventory_s * 1000;
        malloc_trim(0); /* the collection's transient memory goes back to the system */
    }
    if (a->scans && (rc = scanjobs_poll(a->scans, vtime_now(), emit, a)) < 0)
        return rc;
    report_drops(a);
    return commit(a);
}

int agent_run(const struct agent_config *c)
{
    struct agent a;
    struct verr err;
    struct buf msg = BUF_INIT(PSMSG_MAX_LEN);
    struct sigaction sa;
    int64_t next_inv = 0, next_fim = 0, next_collect = 0;
    int sp, rc = 0;

    memset(&a, 0, sizeof(a));
    a.c = c;
    buf_init(&a.text, PROTO_MAX_RAW);
    verr_init(&err);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (setup(&a, &err) < 0) {
        log_kv(LOG_LVL_ERROR, "cannot start", "error", err.msg, NULL);
        teardown(&a);
        return 1;
    }
    recover(&a);
    if ((sp = spawn_net(&a)) < 0) {
        log_kv(LOG_LVL_ERROR, "cannot start the network process", "error", strerror(-sp), NULL);
        teardown(&a);
        return 1;
    }
    session_init(&a.sess, a.spool, sp, a.id.agent_id);
    a.sess.batch_events = c->batch_events;
    a.sess.heartbeat_s = c->heartbeat_s;
    a.sess.window = (uint64_t)c->batch_events * 8;
    a.sess.on_task = on_task;
    a.sess.bundle_versions = bundle_versions;
    a.sess.task_ctx = &a;
    log_kv(LOG_LVL_INFO, "agent started", "agent_id", a.id.agent_id, "server", a.up.host, NULL);

    while (!stop_requested) {
        int64_t now = (int64_t)(vtime_mono_ns() / 1000000u);
        struct pollfd p[3] = {{sp, POLLIN, 0},
                              {a.fim ? fim_fd(a.fim) : -1, POLLIN, 0},
                              {a.scans ? scanjobs_fd(a.scans) : -1, POLLIN, 0}};
        int timeout = (int)MAX(0, MIN(next_collect - now, (int64_t)c->poll_ms));
        int r = poll(p, 3, timeout);

        if (r < 0 && errno != EINTR) {
            rc = 1;
            break;
        }
        if (r > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            on_net_msg(&a, &sp, &msg);
        now = (int64_t)(vtime_mono_ns() / 1000000u);
        if (now >= next_collect || (r > 0 && ((p[1].revents | p[2].revents) & POLLIN))) {
            if ((r = collect(&a, now, &next_inv, &next_fim)) < 0) {
                log_kv(LOG_LVL_ERROR, "cannot spool events", "error", strerror(-r), NULL);
                rc = 1;
                break;
            }
            next_collect = now + c->poll_ms;
        }
        if (sp >= 0 && (r = session_pump(&a.sess, now)) < 0)
            log_kv(LOG_LVL_WARN, "cannot reach the network process", "error", strerror(-r), NULL);
    }
    log_kv(LOG_LVL_INFO, "agent stopping", NULL);
    (void)commit(&a);
    close(sp);
    teardown(&a);
    buf_release(&msg);
    return rc;
}
