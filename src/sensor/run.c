/*
 * vigil-sensor run and match (run.h).
 *
 * Every input feeds a struct stream: it holds the engine's current set for
 * a batch (engine_begin/engine_end), formats the batch's hits into its own
 * buffer and hands them to the output when the batch ends. Plain text and
 * firewall logs go through intel/textscan (the lines `vigil match` prints;
 * a firewall line is then decoded for its fields); the other text formats
 * through the input.h decoders; NetFlow/IPFIX through the collector's
 * threads; pcap through input.h's capture.
 *
 * The main thread waits for signals (all others block them) and runs the
 * timers: list polling, posting hits to vigild, summaries.
 */
#include "sensor/run.h"

#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/i18n.h"
#include "base/log.h"
#include "base/vtime.h"
#include "intel/textscan.h"
#include "sensor/collector.h"
#include "sensor/config.h"
#include "sensor/engine.h"
#include "sensor/input.h"
#include "sensor/output.h"
#include "sensor/summary.h"
#include "sensor/upstream.h"

#define CHUNK_MAX      ((size_t)16 << 20) /* bytes of a text file handled under one lock */
#define BATCH_RECORDS  1024               /* records of a stream under one lock */
#define LIST_FILE_MAX  ((size_t)1 << 31)
#define POST_LINES_MAX 5000 /* hits in one POST (vigild takes 10000) */
#define POST_BYTES_MAX ((size_t)8 << 20)
#define FOLLOW_POLL_MS 200

struct sensor;

/* One input's batch state (owned by one thread). */
struct stream {
    struct sensor *s;
    const struct iset *set; /* held while `held` */
    bool held;
    unsigned n_batch;
    struct buf out;
    const char *path; /* text inputs */
    bool live;        /* following a file: a bare text line is "now" */
    int format;       /* FILE_FORMAT_TEXT or enum input_format */
    struct input in;
    struct obs_counters c;
    uint64_t lines;     /* text lines read, over every file the path held */
    uint64_t line_base; /* lines of the files before the current one (rotation) */
    /* the text line being decoded (textscan path) */
    uint32_t text_value;
    struct ip_addr text_addr;
    bool text_emitted;
    struct hit hits[ENGINE_MAX_HITS];
};

struct list_cache {
    int64_t version; /* vigild version id; 0 none yet */
    struct buf body;
};

struct sensor {
    struct sensor_config *cfg;
    struct engine eng;
    struct attrib *attrib;
    struct output out;
    struct summary sum;
    bool summarise;
    struct upstream *up;
    struct list_cache *cache; /* one per configured list */
    struct collector *coll;
    struct stream *nf_streams;
    unsigned n_nf;
    pthread_t *threads;
    struct stream **thread_streams;
    size_t n_threads;
    size_t n_joined; /* threads[0 .. n_joined) have been joined */
    volatile sig_atomic_t stop;
    struct buf retry; /* hits whose POST failed, sent again later */
    uint64_t post_ok, post_failed, post_dropped;
};

/* ---- streams ---- */

static void stream_init(struct stream *st, struct sensor *s, const char *path, int format)
{
    memset(st, 0, sizeof(*st));
    st->s = s;
    st->path = path;
    st->format = format;
    buf_init(&st->out, 0);
    if (format != FILE_FORMAT_TEXT) {
        input_init(&st->in, (enum input_format)format);
        st->in.tz_offset_s = s->cfg->input_utc_offset;
    }
}

static void stream_flush(struct stream *st)
{
    if (st->held) {
        engine_end(&st->s->eng);
        st->held = false;
    }
    st->n_batch = 0;
    output_write(&st->s->out, st->out.data, st->out.len);
    buf_reset(&st->out);
}

static void stream_release(struct stream *st)
{
    stream_flush(st);
    buf_release(&st->out);
}

static void stream_hold(struct stream *st)
{
    if (!st->held) {
        st->set = engine_begin(&st->s->eng);
        st->held = true;
    }
}

static void stream_hits(struct stream *st, size_t n, uint64_t line)
{
    for (size_t i = 0; i < n; i++) {
        if (output_format_hit(&st->out, st->set, &st->hits[i], st->path, line) < 0)
            continue;
        if (st->s->summarise)
            summary_add(&st->s->sum, st->set, &st->hits[i]);
    }
}

/* A decoded observation (any input). */
static void stream_obs(struct stream *st, const struct obs *o)
{
    stream_hold(st);
    if (st->set)
        stream_hits(st, engine_match_obs(&st->s->eng, st->set, o, st->hits, ENGINE_MAX_HITS),
                    o->line);
    else
        engine_match_obs(&st->s->eng, NULL, o, st->hits, 0);
    if (++st->n_batch >= BATCH_RECORDS && st->path == NULL)
        stream_flush(st);
}

static void on_input_obs(const struct obs *o, void *ctx)
{
    stream_obs(ctx, o);
}

/* The firewall decoder's record for a selected text line. */
static void on_text_obs(const struct obs *o, void *ctx)
{
    struct stream *st = ctx;
    size_t n;

    if (st->text_emitted)
        return;
    st->text_emitted = true;
    n = engine_text_hits(&st->s->eng, st->set, st->text_value, &st->text_addr, o, o->ts_ms,
                         st->hits, ENGINE_MAX_HITS);
    stream_hits(st, n, o->line);
}

static int on_text_line(void *ctx, const struct textscan_line *l)
{
    struct stream *st = ctx;
    uint64_t line_no = st->lines - st->line_base + l->line_no;
    size_t len = l->len;

    if (l->result != LINESCAN_MATCH)
        return 0;
    st->text_value = l->hit.value;
    st->text_addr = l->hit.a.addr;
    st->text_emitted = false;
    if (st->format == INPUT_FIREWALL) {
        while (len && (l->line[len - 1] == '\n' || l->line[len - 1] == '\r'))
            len--;
        input_line(&st->in, l->line, len, line_no, on_text_obs, st, &st->c);
    }
    if (!st->text_emitted) {
        int64_t ts = st->live ? vtime_now_ms() : 0;
        size_t n = engine_text_hits(&st->s->eng, st->set, st->text_value, &st->text_addr, NULL, ts,
                                    st->hits, ENGINE_MAX_HITS);
        stream_hits(st, n, line_no);
    }
    return 0;
}

static uint64_t count_lines(const char *p, size_t n)
{
    uint64_t k = 0;
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(p + n - q))) != NULL; q++)
        k++;
    return k;
}

/* Whole lines (p, n) of the stream's file, under one hold of the set. */
static void stream_chunk(struct stream *st, const char *p, size_t n)
{
    stream_hold(st);
    if (st->format == FILE_FORMAT_TEXT || st->format == INPUT_FIREWALL) {
        struct textscan_opts o;
        struct textscan_stats ts = {0};
        textscan_opts_init(&o);
        if (st->set)
            (void)!textscan_buf(st->set->ips, &o, p, n, on_text_line, st, &ts);
        st->lines += count_lines(p, n) + (n && p[n - 1] != '\n');
    } else {
        const char *end = p + n;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
            input_line(&st->in, p, len, ++st->lines - st->line_base, on_input_obs, st, &st->c);
            p = nl ? nl + 1 : end;
        }
    }
    stream_flush(st);
}

/* Read fd from its offset to the end in chunks of whole lines; a last
 * line without '\n' is handled only at_eof. Returns bytes consumed. */
static off_t read_lines(struct stream *st, int fd, bool at_eof, struct buf *b)
{
    off_t used = 0;

    for (;;) {
        if (buf_reserve(b, CHUNK_MAX) < 0)
            return used;
        ssize_t r = read(fd, b->data + b->len, CHUNK_MAX);
        if (r < 0 && errno == EINTR)
            continue;
        if (r > 0)
            b->len += (size_t)r;
        const char *last = b->len ? memrchr(b->data, '\n', b->len) : NULL;
        size_t whole = last ? (size_t)(last - b->data) + 1 : 0;
        if (r <= 0 && at_eof)
            whole = b->len;
        if (whole == 0 && b->len >= CHUNK_MAX) /* a line longer than a chunk */
            whole = b->len;
        if (whole) {
            stream_chunk(st, b->data, whole);
            memmove(b->data, b->data + whole, b->len - whole);
            b->len -= whole;
            used += (off_t)whole;
        }
        if (r <= 0)
            return used;
    }
}

/* ---- file inputs ---- */

struct file_job {
    struct stream st;
    const struct file_spec *spec;
};

static void sleep_ms(unsigned ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Finish the file fd held (its last line even without '\n') and close it;
 * the next file at the path numbers its lines from 1. */
static void end_file(struct stream *st, int fd, struct buf *b)
{
    (void)read_lines(st, fd, true, b);
    close(fd);
    buf_reset(b);
    st->line_base = st->lines;
}

/*
 * Read a file once, or follow it: read to the end, then poll every
 * FOLLOW_POLL_MS for growth and rotation. Rotation by rename (a new file at
 * the path): the old file is read until it stops growing for one poll (the
 * writer may still be appending before it reopens), then the new one from
 * its start. Truncation in place (copytruncate): the file is read again
 * from offset 0. Either way log.file.line counts from 1 in the new file.
 */
static void *file_thread(void *arg)
{
    struct file_job *j = arg;
    struct stream *st = &j->st;
    struct sensor *s = st->s;
    struct buf b;
    struct stat sb, now;
    off_t off = 0;
    int fd = -1;

    buf_init(&b, CHUNK_MAX * 2);
    st->live = j->spec->follow;
    while (!s->stop) {
        if (fd < 0) {
            fd = open(j->spec->path, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || fstat(fd, &sb) < 0) {
                if (!j->spec->follow) {
                    log_kv(LOG_LVL_ERROR, "cannot open input", "path", j->spec->path, "error",
                           strerror(errno), NULL);
                    break;
                }
                if (fd >= 0)
                    close(fd);
                fd = -1;
                sleep_ms(1000);
                continue;
            }
            off = 0;
        }
        off += read_lines(st, fd, !j->spec->follow, &b);
        if (!j->spec->follow)
            break;
        sleep_ms(FOLLOW_POLL_MS);
        if (stat(j->spec->path, &now) < 0)
            continue; /* renamed away, the new one not there yet: keep reading the old */
        if (now.st_ino != sb.st_ino || now.st_dev != sb.st_dev) {
            off_t more = read_lines(st, fd, false, &b);
            off += more;
            if (more > 0)
                continue; /* the old file still grows: stay with it one more poll */
            end_file(st, fd, &b);
            fd = -1;
            log_kv(LOG_LVL_INFO, "input rotated", "path", j->spec->path, "how", "new file", NULL);
        } else if (now.st_size < off) {
            end_file(st, fd, &b);
            fd = -1;
            log_kv(LOG_LVL_INFO, "input rotated", "path", j->spec->path, "how", "truncated", NULL);
        }
    }
    if (fd >= 0)
        close(fd);
    buf_release(&b);
    stream_flush(st);
    return NULL;
}

struct pcap_job {
    struct stream st;
};

static void *pcap_thread(void *arg)
{
    struct pcap_job *j = arg;
    struct sensor *s = j->st.s;
    struct verr err;
    int rc;

    verr_init(&err);
    if (s->cfg->pcap_file)
        rc = pcap_input_file(s->cfg->pcap_file, on_input_obs, &j->st, &j->st.c, &err);
    else
        rc = pcap_input_live(s->cfg->pcap_interface, s->cfg->pcap_filter, &s->stop, on_input_obs,
                             &j->st, &j->st.c, &err);
    stream_flush(&j->st);
    if (rc < 0)
        log_kv(LOG_LVL_ERROR, "pcap input failed", "error", err.msg, NULL);
    return NULL;
}

/* ---- collector callbacks ---- */

static void nf_obs(const struct obs *o, unsigned thread, void *arg)
{
    struct sensor *s = arg;
    if (thread < s->n_nf)
        stream_obs(&s->nf_streams[thread], o);
}

static void nf_batch(unsigned thread, void *arg)
{
    struct sensor *s = arg;
    if (thread < s->n_nf)
        stream_flush(&s->nf_streams[thread]);
}

/* ---- lists ---- */

/* Build a new set from the configured lists (files re-read, vigild lists
 * from the cache, pulled when empty). */
static int build_set(struct sensor *s, struct iset **ret, struct verr *err)
{
    const struct sensor_config *c = s->cfg;
    struct iset *set = iset_new();
    int rc = 0;

    for (size_t i = 0; rc >= 0 && i < c->lists.n; i++) {
        const struct list_spec *l = &c->lists.items[i];
        struct feed_opts o = c->import;
        o.format = l->format;
        if (l->file) {
            char *doc = NULL;
            size_t len = 0;
            rc = file_read_all(l->file, LIST_FILE_MAX, &doc, &len);
            if (rc < 0)
                rc = verr_set(err, rc, "list %s: %s: %s", l->name, l->file, strerror(-rc));
            else
                rc = iset_add_list(set, l->name, l->provider, (const uint8_t *)doc, len, &o, err);
            free(doc);
        } else {
            struct list_cache *lc = &s->cache[i];
            if (lc->version == 0 && s->up)
                rc = upstream_pull(s->up, l->feed, &lc->version, &lc->body, err);
            if (rc >= 0)
                rc = iset_add_values(set, l->name, l->provider, buf_str(&lc->body), lc->body.len,
                                     NULL, err);
            if (rc >= 0)
                snprintf(set->lists.items[rc].version, sizeof(set->lists.items[rc].version), "%lld",
                         (long long)lc->version);
        }
    }
    if (rc >= 0)
        rc = iset_build(set);
    if (rc < 0) {
        iset_free(set);
        return rc;
    }
    *ret = set;
    return 0;
}

static void log_set(const char *msg, const struct iset *set)
{
    char n_ip[24], n_dom[24], n_lists[24];
    snprintf(n_ip, sizeof(n_ip), "%zu", set->ip_entries.n);
    snprintf(n_dom, sizeof(n_dom), "%zu", set->dom_entries.n);
    snprintf(n_lists, sizeof(n_lists), "%zu", set->lists.n);
    log_kv(LOG_LVL_INFO, msg, "lists", n_lists, "ips", n_ip, "domains", n_dom, NULL);
}

static void reload(struct sensor *s, const char *why)
{
    struct iset *set = NULL;
    struct verr err;

    verr_init(&err);
    if (build_set(s, &set, &err) < 0) {
        __atomic_fetch_add(&s->eng.c.reload_failures, 1, __ATOMIC_RELAXED);
        log_kv(LOG_LVL_ERROR, "reload failed, keeping the current lists", "why", why, "error",
               err.msg, NULL);
        return;
    }
    log_set("lists reloaded", set);
    engine_swap(&s->eng, set);
}

/* Pull every vigild list; reload when one has a new version. */
static void poll_vigild(struct sensor *s)
{
    bool changed = false;

    for (size_t i = 0; i < s->cfg->lists.n; i++) {
        const struct list_spec *l = &s->cfg->lists.items[i];
        struct verr err;
        verr_init(&err);
        if (!l->feed)
            continue;
        int rc = upstream_pull(s->up, l->feed, &s->cache[i].version, &s->cache[i].body, &err);
        if (rc < 0)
            log_kv(LOG_LVL_WARN, "cannot poll vigild", "feed", l->feed, "error", err.msg, NULL);
        changed |= rc == 1;
    }
    if (changed)
        reload(s, "new version in vigild");
}

/* ---- posting hits ---- */

static void post_hits(struct sensor *s)
{
    struct buf q;
    size_t off = 0;

    buf_init(&q, s->cfg->vigild.queue_bytes);
    output_take_queue(&s->out, &q);
    if (buf_append(&s->retry, buf_str(&q), q.len) < 0)
        s->post_dropped += count_lines(buf_str(&q), q.len);
    buf_release(&q);
    while (off < s->retry.len) {
        const char *p = s->retry.data + off;
        size_t n = 0, lines = 0, rest = s->retry.len - off;
        while (n < rest && lines < POST_LINES_MAX && n < POST_BYTES_MAX) {
            const char *nl = memchr(p + n, '\n', rest - n);
            n = nl ? (size_t)(nl - p) + 1 : rest;
            lines++;
        }
        struct verr err;
        verr_init(&err);
        if (upstream_post(s->up, p, n, &err) < 0) {
            s->post_failed++;
            log_kv(LOG_LVL_WARN, "cannot post hits to vigild", "error", err.msg, NULL);
            break;
        }
        s->post_ok += lines;
        off += n;
    }
    memmove(s->retry.data ? s->retry.data : (char *)"", s->retry.data + off, s->retry.len - off);
    buf_truncate(&s->retry, s->retry.len - off);
}

/* ---- counters ---- */

static void add_counters(struct obs_counters *sum, const struct obs_counters *a)
{
    sum->records += a->records;
    sum->malformed += a->malformed;
    sum->truncated += a->truncated;
    sum->skipped += a->skipped;
}

static uint64_t load_u64(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* One line per file or capture input: what it read and what it skipped. */
static void log_input_counters(const struct stream *st)
{
    char v[5][24];
    const uint64_t vals[] = {load_u64(&st->lines), load_u64(&st->c.records),
                             load_u64(&st->c.malformed), load_u64(&st->c.truncated),
                             load_u64(&st->c.skipped)};
    for (size_t i = 0; i < ARRAY_SIZE(vals); i++)
        snprintf(v[i], sizeof(v[i]), "%llu", (unsigned long long)vals[i]);
    const char *format = !st->path ? "pcap"
                         : st->format == FILE_FORMAT_TEXT
                             ? "text"
                             : input_format_name((enum input_format)st->format);
    log_kv(LOG_LVL_INFO, "input counters", "input", st->path ? st->path : "pcap", "format", format,
           "lines_read", v[0], "input_records", v[1], "input_malformed", v[2], "input_truncated",
           v[3], "input_skipped", v[4], NULL);
}

/* The counters as one key=value line (docs/en/sensor.md lists the keys),
 * after one line per file or capture input. */
static void log_counters(struct sensor *s, const char *msg)
{
    struct engine_counters e;
    struct output_counters o;
    struct obs_counters in = {0};
    struct collector_counters cc = {0};
    uint64_t lines = 0;
    char v[32][24];

    engine_counters_get(&s->eng, &e);
    output_counters_get(&s->out, &o);
    for (size_t i = 0; i < s->n_threads; i++) {
        const struct stream *st = s->thread_streams[i];
        struct obs_counters c = {load_u64(&st->c.records),
                                 load_u64(&st->c.malformed),
                                 load_u64(&st->c.truncated),
                                 0,
                                 0,
                                 0,
                                 0,
                                 load_u64(&st->c.skipped)};
        add_counters(&in, &c);
        lines += load_u64(&st->lines);
        log_input_counters(st);
    }
    if (s->coll)
        collector_counters(s->coll, &cc);
    const uint64_t vals[] = {e.records,
                             e.lines,
                             e.hits,
                             e.attributed,
                             e.unattributed,
                             e.nat_mapped,
                             e.reloads,
                             e.reload_failures,
                             o.lines,
                             o.write_errors,
                             o.queue_dropped,
                             s->post_ok,
                             s->post_failed,
                             lines,
                             in.records,
                             in.malformed,
                             in.truncated,
                             in.skipped,
                             cc.nf.packets,
                             cc.bytes,
                             cc.nf.obs.records,
                             cc.nf.obs.malformed,
                             cc.nf.obs.truncated,
                             cc.truncated_dgrams,
                             cc.kernel_drops,
                             cc.nf.obs.seq_gaps,
                             cc.nf.obs.seq_lost,
                             cc.nf.obs.unknown_template,
                             cc.nf.templates_added,
                             cc.nf.templates_refreshed,
                             cc.nf.obs.template_evicted,
                             cc.nf.templates_active};
    for (size_t i = 0; i < ARRAY_SIZE(vals); i++)
        snprintf(v[i], sizeof(v[i]), "%llu", (unsigned long long)vals[i]);
    log_kv(LOG_LVL_INFO, msg, "records", v[0], "text_hit_lines", v[1], "hits", v[2], "attributed",
           v[3], "unattributed", v[4], "nat_mapped", v[5], "reloads", v[6], "reload_failures", v[7],
           "hits_written", v[8], "write_errors", v[9], "queue_dropped", v[10], "posted", v[11],
           "post_failures", v[12], "lines_read", v[13], "input_records", v[14], "input_malformed",
           v[15], "input_truncated", v[16], "input_skipped", v[17], "nf_packets", v[18], "nf_bytes",
           v[19], "nf_records", v[20], "nf_malformed", v[21], "nf_truncated", v[22],
           "nf_truncated_dgrams", v[23], "kernel_drops", v[24], "nf_seq_gaps", v[25], "nf_seq_lost",
           v[26], "nf_unknown_template", v[27], "nf_templates_added", v[28],
           "nf_templates_refreshed", v[29], "nf_templates_evicted", v[30], "nf_templates_active",
           v[31], NULL);
}

/* ---- summaries ---- */

static void write_summary(struct sensor *s)
{
    struct buf b;
    size_t n;

    buf_init(&b, 0);
    n = summary_flush(&s->sum, &b, vtime_now_ms());
    if (s->cfg->summary_path && strcmp(s->cfg->summary_path, "-") != 0) {
        int fd = open(s->cfg->summary_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0 || write_all(fd, b.data, b.len) < 0)
            log_kv(LOG_LVL_WARN, "cannot write the summary", "path", s->cfg->summary_path, "error",
                   strerror(errno), NULL);
        if (fd >= 0)
            close(fd);
    } else if (s->cfg->summary_path) {
        (void)!write_all(1, buf_str(&b), b.len);
    } else {
        char t[24];
        snprintf(t, sizeof(t), "%zu", n);
        log_kv(LOG_LVL_INFO, "summary", "entries", t, NULL);
    }
    buf_release(&b);
}

/* ---- start and stop ---- */

static int load_attrib(struct sensor *s, struct verr *err)
{
    const struct sensor_config *c = s->cfg;
    int rc = 0;

    if (!c->radius.n && !c->dhcpd_leases.n && !c->kea_csv.n)
        return 0;
    s->attrib = attrib_new();
    attrib_set_radius_grace(s->attrib, (int64_t)c->radius_grace_s * 1000, c->radius_grace_multiple);
    attrib_set_utc_offset(s->attrib, c->attrib_utc_offset);
    for (size_t i = 0; rc == 0 && i < c->radius.n; i++)
        rc = attrib_load_radius_detail(s->attrib, c->radius.items[i], err);
    for (size_t i = 0; rc == 0 && i < c->dhcpd_leases.n; i++)
        rc = attrib_load_dhcpd_leases(s->attrib, c->dhcpd_leases.items[i], err);
    for (size_t i = 0; rc == 0 && i < c->kea_csv.n; i++)
        rc = attrib_load_kea_csv(s->attrib, c->kea_csv.items[i], err);
    if (rc == 0 && (rc = attrib_build(s->attrib)) < 0)
        verr_set(err, rc, "cannot index the attribution records");
    return rc;
}

static struct stream *add_thread_stream(struct sensor *s, struct stream *st)
{
    s->thread_streams = xreallocarray(s->thread_streams, s->n_threads + 1, sizeof(*st));
    s->threads = xreallocarray(s->threads, s->n_threads + 1, sizeof(pthread_t));
    s->thread_streams[s->n_threads] = st;
    return st;
}

static int start_inputs(struct sensor *s, struct verr *err)
{
    const struct sensor_config *c = s->cfg;
    sigset_t all, old;
    int rc = 0;

    /* Threads inherit the mask: only the main thread takes signals. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (size_t i = 0; i < c->files.n; i++) {
        struct file_job *j = xcalloc(1, sizeof(*j));
        j->spec = &c->files.items[i];
        stream_init(&j->st, s, j->spec->path, j->spec->format);
        add_thread_stream(s, &j->st);
        if (pthread_create(&s->threads[s->n_threads], NULL, file_thread, j) != 0) {
            stream_release(&j->st);
            free(j);
            return verr_set(err, -EAGAIN, "cannot start a thread");
        }
        s->n_threads++;
    }
    if (c->pcap_file || c->pcap_interface) {
        struct pcap_job *j = xcalloc(1, sizeof(*j));
        stream_init(&j->st, s, NULL, INPUT_EVE);
        add_thread_stream(s, &j->st);
        if (pthread_create(&s->threads[s->n_threads], NULL, pcap_thread, j) != 0) {
            stream_release(&j->st);
            free(j);
            return verr_set(err, -EAGAIN, "cannot start a thread");
        }
        s->n_threads++;
    }
    if (c->netflow) {
        struct collector_config cc;
        struct collector_handler h = {nf_obs, nf_batch, s};
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        collector_config_init(&cc);
        cc.listen = c->netflow_address ? c->netflow_address : "0.0.0.0";
        cc.port = (uint16_t)c->netflow_port;
        cc.n_threads = c->netflow_threads ? c->netflow_threads
                                          : (unsigned)MAX(1, MIN(cpus, COLLECTOR_MAX_THREADS));
        if (c->netflow_rcvbuf)
            cc.rcvbuf = (int)c->netflow_rcvbuf;
        if (c->netflow_batch)
            cc.batch = c->netflow_batch;
        if (c->template_expiry >= 0)
            cc.nf.template_expiry_s = (uint32_t)c->template_expiry;
        if (c->max_templates)
            cc.nf.max_templates = c->max_templates;
        if (c->max_templates_per_exporter)
            cc.nf.max_templates_per_exp = c->max_templates_per_exporter;
        if (c->max_exporters)
            cc.nf.max_streams = c->max_exporters;
        s->n_nf = cc.n_threads;
        s->nf_streams = xcalloc(s->n_nf, sizeof(struct stream));
        for (unsigned i = 0; i < s->n_nf; i++)
            stream_init(&s->nf_streams[i], s, NULL, INPUT_EVE);
        rc = collector_start(&cc, &h, &s->coll, err);
        if (rc == 0) {
            char port[8];
            snprintf(port, sizeof(port), "%u", collector_port(s->coll));
            log_kv(LOG_LVL_INFO, "netflow collector listening", "address", cc.listen, "port", port,
                   NULL);
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static void stop_inputs(struct sensor *s)
{
    s->stop = 1;
    if (s->coll)
        collector_stop(s->coll);
    s->coll = NULL;
    for (unsigned i = 0; i < s->n_nf; i++)
        stream_release(&s->nf_streams[i]);
    free(s->nf_streams);
    s->nf_streams = NULL;
    s->n_nf = 0;
    for (; s->n_joined < s->n_threads; s->n_joined++)
        pthread_join(s->threads[s->n_joined], NULL);
}

static void sensor_free(struct sensor *s)
{
    for (size_t i = 0; i < s->n_threads; i++) {
        stream_release(s->thread_streams[i]);
        free(s->thread_streams[i]); /* the stream is the first member of its job */
    }
    free(s->thread_streams);
    free(s->threads);
    for (size_t i = 0; s->cache && i < s->cfg->lists.n; i++)
        buf_release(&s->cache[i].body);
    free(s->cache);
    engine_release(&s->eng);
    attrib_free(s->attrib);
    output_close(&s->out);
    summary_release(&s->sum);
    upstream_close(s->up);
    buf_release(&s->retry);
}

/* Every thread finished its files (nothing is followed or listened to). */
static bool inputs_done(struct sensor *s)
{
    const struct sensor_config *c = s->cfg;
    bool follow = false;
    for (size_t i = 0; i < c->files.n; i++)
        follow |= c->files.items[i].follow;
    if (c->netflow || c->pcap_interface || follow)
        return false;
    while (s->n_joined < s->n_threads && pthread_tryjoin_np(s->threads[s->n_joined], NULL) == 0)
        s->n_joined++;
    return s->n_joined == s->n_threads;
}

/* Until a stop signal, or until every input has been read (nothing is
 * followed or listened to). */
static int run_loop(struct sensor *s)
{
    const struct sensor_config *c = s->cfg;
    sigset_t set;
    int64_t now = vtime_now(), next_poll = now + c->vigild.poll_seconds,
            next_post = now + c->vigild.post_seconds, next_sum = now + c->summary_seconds;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    for (;;) {
        struct timespec t = {0, 200 * 1000000L};
        int sig = sigtimedwait(&set, NULL, &t);
        if (sig == SIGTERM || sig == SIGINT)
            break;
        if (sig == SIGHUP)
            reload(s, "SIGHUP");
        else if (sig == SIGUSR1)
            log_counters(s, "counters");
        now = vtime_now();
        if (s->up && now >= next_poll) {
            poll_vigild(s);
            next_poll = now + c->vigild.poll_seconds;
        }
        if (s->up && c->vigild.post_hits && now >= next_post) {
            post_hits(s);
            next_post = now + c->vigild.post_seconds;
        }
        if (s->summarise && now >= next_sum) {
            write_summary(s);
            next_sum = now + c->summary_seconds;
        }
        if (inputs_done(s))
            break;
    }
    return 0;
}

/* Everything but the inputs: output, vigild link, lists, attribution.
 * On failure prints why and leaves s to sensor_free(). */
static int sensor_setup(struct sensor *s, struct sensor_config *cfg, const char *output_path)
{
    struct iset *set = NULL;
    struct verr err;
    int rc;

    verr_init(&err);
    s->cfg = cfg;
    s->cache = xcalloc(cfg->lists.n ? cfg->lists.n : 1, sizeof(struct list_cache));
    for (size_t i = 0; i < cfg->lists.n; i++)
        buf_init(&s->cache[i].body, (size_t)1 << 30);
    buf_init(&s->retry, cfg->vigild.queue_bytes);
    summary_init(&s->sum, cfg->summary_max, vtime_now_ms());
    engine_init(&s->eng, NULL, NULL);
    rc = output_open(&s->out, output_path, cfg->vigild.post_hits, cfg->vigild.queue_bytes, &err);
    if (rc == 0 && cfg->vigild.url)
        rc = upstream_open(cfg, &s->up, &err);
    if (rc == 0)
        rc = build_set(s, &set, &err);
    if (rc == 0)
        rc = load_attrib(s, &err);
    if (rc < 0) {
        fprintf(stderr, "vigil-sensor: %s\n", err.msg);
        return rc;
    }
    engine_swap(&s->eng, set);
    s->eng.c.reloads = 0;
    s->eng.attrib = s->attrib;
    return 0;
}

int sensor_cmd_run(const char *config_path, bool check_only)
{
    struct sensor_config cfg;
    struct sensor s = {0};
    struct verr err;
    int status = 0;

    verr_init(&err);
    sensor_config_init(&cfg);
    if (sensor_config_load_file(&cfg, config_path, &err) < 0) {
        fprintf(stderr, "vigil-sensor: %s\n", err.msg);
        sensor_config_release(&cfg);
        return 2;
    }
    if (cfg.lang_set)
        i18n_set(cfg.lang);
    log_set_level(cfg.log_level);
    s.summarise = true;
    if (sensor_setup(&s, &cfg, check_only ? NULL : cfg.output_path) < 0) {
        sensor_free(&s);
        sensor_config_release(&cfg);
        return 2;
    }
    if (check_only) {
        printf("%s: %s\n", config_path, _("configuration OK"));
        sensor_free(&s);
        sensor_config_release(&cfg);
        return 0;
    }
    log_set("lists loaded", s.eng.cur);
    /* Block the signals the loop waits for before any thread starts. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGUSR1);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if (start_inputs(&s, &err) < 0) {
        fprintf(stderr, "vigil-sensor: %s\n", err.msg);
        status = 2;
    } else {
        log_kv(LOG_LVL_INFO, "vigil-sensor running", "version", VIGIL_VERSION, NULL);
        (void)run_loop(&s);
    }
    stop_inputs(&s);
    if (s.up && cfg.vigild.post_hits)
        post_hits(&s);
    write_summary(&s);
    log_counters(&s, "final counters");
    sensor_free(&s);
    sensor_config_release(&cfg);
    return status;
}

/* ---- match ---- */

static void match_usage(FILE *f)
{
    fprintf(f, "%s",
            _("Usage: vigil-sensor match --list [NAME=]FILE [--list ...] [--format "
              "text|firewall|eve|nfdump-csv|bind|unbound] [--radius FILE] [--dhcpd FILE] "
              "[--kea FILE] [--list-format F] [--utc-offset +HH:MM] FILE... (- for stdin)\n"));
}

int sensor_cmd_match(int argc, char **argv)
{
    static const struct option opts[] = {
        {"list", required_argument, NULL, 'l'},
        {"format", required_argument, NULL, 'f'},
        {"radius", required_argument, NULL, 'r'},
        {"dhcpd", required_argument, NULL, 'd'},
        {"kea", required_argument, NULL, 'k'},
        {"list-format", required_argument, NULL, 'F'},
        {"utc-offset", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct sensor_config cfg;
    struct sensor s = {0};
    enum feed_format lf = FEED_AUTO;
    enum input_format in;
    int format = FILE_FORMAT_TEXT, c, status = 0;
    struct engine_counters ec;

    sensor_config_init(&cfg);
    optind = 1;
    while ((c = getopt_long(argc, argv, "l:f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': { /* FILE, or NAME=FILE to name the list */
            const char *eq = strchr(optarg, '='), *file = optarg;
            char *name = eq ? xstrndup(optarg, (size_t)(eq - optarg)) : NULL;
            if (name && sensor_name_ok(name)) {
                file = eq + 1;
            } else {
                free(name);
                name = xstrdup(strrchr(optarg, '/') ? strrchr(optarg, '/') + 1 : optarg);
            }
            struct list_spec l = {.name = name, .file = xstrdup(file)};
            VEC_PUSH(&cfg.lists, l);
            break;
        }
        case 'f':
            if (strcmp(optarg, "text") == 0) {
                format = FILE_FORMAT_TEXT;
            } else if (input_format_parse(optarg, &in) == 0) {
                format = (int)in;
            } else {
                fprintf(stderr, "vigil-sensor match: %s: %s\n", _("unknown input format"), optarg);
                status = 2;
            }
            break;
        case 'r':
            VEC_PUSH(&cfg.radius, xstrdup(optarg));
            break;
        case 'd':
            VEC_PUSH(&cfg.dhcpd_leases, xstrdup(optarg));
            break;
        case 'k':
            VEC_PUSH(&cfg.kea_csv, xstrdup(optarg));
            break;
        case 'F':
            if (feed_format_parse(optarg, &lf) < 0) {
                fprintf(stderr, "vigil-sensor match: %s: %s\n", _("unknown list format"), optarg);
                status = 2;
            }
            break;
        case 'u': /* local times without a zone, in the files and in attribution */
            if (sensor_parse_utc_offset(optarg, strlen(optarg), &cfg.input_utc_offset) < 0) {
                fprintf(stderr, "vigil-sensor match: %s: %s\n", _("bad UTC offset"), optarg);
                status = 2;
            }
            cfg.attrib_utc_offset = cfg.input_utc_offset;
            break;
        case 'h':
            match_usage(stdout);
            sensor_config_release(&cfg);
            return 0;
        default:
            status = 2;
        }
    }
    if (status == 0 && (cfg.lists.n == 0 || optind >= argc)) {
        match_usage(stderr);
        status = 2;
    }
    for (size_t i = 0; i < cfg.lists.n; i++)
        cfg.lists.items[i].format = lf;
    if (status == 0 && sensor_setup(&s, &cfg, "-") < 0)
        status = 2;
    for (int i = optind; status == 0 && i < argc; i++) {
        struct stream st;
        struct buf b;
        int fd = strcmp(argv[i], "-") == 0 ? 0 : open(argv[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "vigil-sensor match: %s: %s\n", argv[i], strerror(errno));
            status = 2;
            break;
        }
        stream_init(&st, &s, argv[i], format);
        buf_init(&b, CHUNK_MAX * 2);
        (void)read_lines(&st, fd, true, &b);
        buf_release(&b);
        stream_release(&st);
        if (fd > 0)
            close(fd);
    }
    if (status == 0) {
        engine_counters_get(&s.eng, &ec);
        status = ec.hits ? 0 : 1;
    }
    if (s.cfg)
        sensor_free(&s);
    sensor_config_release(&cfg);
    return status;
}
