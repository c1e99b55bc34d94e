/* Message payloads of the agent/sensor protocol (msg.h). */
#include <inttypes.h>
#include <string.h>

#include "base/str.h"
#include "wire/msg.h"

#define HEARTBEAT_MAX_S 3600
#define ERROR_CODE_MAX  999
/* Room for the BATCH header line: three 19-digit numbers and the keys. */
#define BATCH_HDR_MAX 128

/* ---- shared helpers ---------------------------------------------------- */

/* Parse (p, len) as one JSON object, checking nesting before jansson sees it. */
static json_t *parse_object(const void *p, size_t len, const char *what, struct verr *err)
{
    size_t at = 0;
    if (!str_json_depth_ok(p, len, PROTO_MAX_DEPTH, &at)) {
        verr_set(err, -EPROTO, "%s: JSON nested deeper than %d at offset %zu", what,
                 PROTO_MAX_DEPTH, at);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(p, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        verr_set(err, -EPROTO, "%s: bad JSON at offset %d: %s", what, je.position, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        verr_set(err, -EPROTO, "%s: not a JSON object", what);
        return NULL;
    }
    return j;
}

static int get_int(const json_t *o, const char *key, int64_t min, int64_t max, int64_t *ret,
                   const char *what, struct verr *err)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return verr_set(err, -EPROTO, "%s: missing \"%s\"", what, key);
    if (!json_is_integer(v))
        return verr_set(err, -EPROTO, "%s: \"%s\" is not an integer", what, key);
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return verr_set(err, -EPROTO, "%s: \"%s\" = %lld out of range", what, key, (long long)x);
    *ret = x;
    return 0;
}

static int get_seq(const json_t *o, const char *key, uint64_t min, uint64_t *ret, const char *what,
                   struct verr *err)
{
    int64_t v = 0; /* set by get_int on success; gcc -O3 cannot see that */
    int r = get_int(o, key, (int64_t)min, INT64_MAX, &v, what, err);
    if (r == 0)
        *ret = (uint64_t)v;
    return r;
}

static bool id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

static bool printable_char(unsigned char c)
{
    return c >= 0x20 && c < 0x7f;
}

/* True if s is 1 .. size-1 bytes, all accepted by ok. */
static bool text_ok(const char *s, size_t len, size_t size, bool (*ok)(unsigned char))
{
    if (len == 0 || len >= size)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!ok((unsigned char)s[i]))
            return false;
    return true;
}

static int get_text(const json_t *o, const char *key, char *dst, size_t size,
                    bool (*ok)(unsigned char), const char *what, struct verr *err)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return verr_set(err, -EPROTO, "%s: missing \"%s\"", what, key);
    if (!json_is_string(v))
        return verr_set(err, -EPROTO, "%s: \"%s\" is not a string", what, key);
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (!text_ok(s, len, size, ok))
        return verr_set(err, -EPROTO, "%s: bad \"%s\"", what, key);
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

/* Append j (stolen) as compact JSON to out. */
static int dump_to(struct buf *out, json_t *j)
{
    if (!j)
        return -EINVAL;
    int r = 0;
    size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT);
    if (n == 0)
        r = -EINVAL;
    else if ((r = buf_reserve(out, n)) == 0) {
        json_dumpb(j, out->data + out->len, n, JSON_COMPACT);
        out->len += n;
        out->data[out->len] = '\0';
    }
    json_decref(j);
    return r;
}

/* Decode wrapper: parse, run fill on the object, free. */
typedef int (*fill_fn)(const json_t *o, void *ret, const char *what, struct verr *err);

static int decode(const void *p, size_t len, const char *what, fill_fn fill, void *ret,
                  struct verr *err)
{
    json_t *o = parse_object(p, len, what, err);
    if (!o)
        return -EPROTO;
    int r = fill(o, ret, what, err);
    json_decref(o);
    return r;
}

/* ---- names ------------------------------------------------------------- */

static const char *const verb_names[] = {
    [MSG_VERB_INVENTORY] = "inventory",
    [MSG_VERB_SCAN] = "scan",
    [MSG_VERB_COLLECT] = "collect",
};

static const char *const status_names[] = {
    [MSG_TASK_OK] = "ok",
    [MSG_TASK_FAILED] = "failed",
    [MSG_TASK_REFUSED] = "refused",
};

static const char *name_of(const char *const *names, size_t n, int v)
{
    return v > 0 && (size_t)v < n ? names[v] : NULL;
}

static int parse_name(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 1; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return 0;
}

const char *msg_verb_name(enum msg_verb v)
{
    return name_of(verb_names, ARRAY_SIZE(verb_names), (int)v);
}

enum msg_verb msg_verb_parse(const char *s)
{
    return (enum msg_verb)parse_name(verb_names, ARRAY_SIZE(verb_names), s);
}

const char *msg_task_status_name(enum msg_task_status s)
{
    return name_of(status_names, ARRAY_SIZE(status_names), (int)s);
}

/* ---- hello ------------------------------------------------------------- */

int msg_hello_encode(struct buf *out, const struct msg_hello *m)
{
    if (!text_ok(m->agent_id, strlen(m->agent_id), MSG_ID_MAX, id_char) ||
        !text_ok(m->version, strlen(m->version), MSG_VERSION_MAX, printable_char) ||
        !text_ok(m->hostname, strlen(m->hostname), MSG_HOSTNAME_MAX, printable_char))
        return -EINVAL;
    if (m->rules_version < 0 || m->hashes_version < 0)
        return -EINVAL;
    return dump_to(out,
                   json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "agent_id", m->agent_id, "version",
                             m->version, "hostname", m->hostname, "time_ms", (json_int_t)m->time_ms,
                             "rules_version", (json_int_t)m->rules_version, "hashes_version",
                             (json_int_t)m->hashes_version));
}

/* An optional integer member: absent is 0 (an older peer). */
static int get_opt_int(const json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *ret,
                       const char *what, struct verr *err)
{
    *ret = 0;
    return json_object_get(o, key) ? get_int(o, key, lo, hi, ret, what, err) : 0;
}

static int hello_fill(const json_t *o, void *ret, const char *what, struct verr *err)
{
    struct msg_hello m;
    int r;
    if ((r = get_text(o, "agent_id", m.agent_id, sizeof(m.agent_id), id_char, what, err)) < 0 ||
        (r = get_text(o, "version", m.version, sizeof(m.version), printable_char, what, err)) < 0 ||
        (r = get_text(o, "hostname", m.hostname, sizeof(m.hostname), printable_char, what, err)) <
            0 ||
        (r = get_int(o, "time_ms", INT64_MIN, INT64_MAX, &m.time_ms, what, err)) < 0 ||
        (r = get_opt_int(o, "rules_version", 0, INT64_MAX, &m.rules_version, what, err)) < 0 ||
        (r = get_opt_int(o, "hashes_version", 0, INT64_MAX, &m.hashes_version, what, err)) < 0)
        return r;
    *(struct msg_hello *)ret = m;
    return 0;
}

int msg_hello_decode(const void *p, size_t len, struct msg_hello *ret, struct verr *err)
{
    return decode(p, len, "hello", hello_fill, ret, err);
}

/* ---- welcome ----------------------------------------------------------- */

int msg_welcome_encode(struct buf *out, const struct msg_welcome *m)
{
    if (m->acked_seq > MSG_SEQ_MAX || m->heartbeat_s < 1 || m->heartbeat_s > HEARTBEAT_MAX_S)
        return -EINVAL;
    return dump_to(out,
                   json_pack("{s:I, s:I, s:I}", "time_ms", (json_int_t)m->time_ms, "acked_seq",
                             (json_int_t)m->acked_seq, "heartbeat_s", (json_int_t)m->heartbeat_s));
}

static int welcome_fill(const json_t *o, void *ret, const char *what, struct verr *err)
{
    struct msg_welcome m;
    int64_t hb;
    int r;
    if ((r = get_int(o, "time_ms", INT64_MIN, INT64_MAX, &m.time_ms, what, err)) < 0 ||
        (r = get_seq(o, "acked_seq", 0, &m.acked_seq, what, err)) < 0 ||
        (r = get_int(o, "heartbeat_s", 1, HEARTBEAT_MAX_S, &hb, what, err)) < 0)
        return r;
    m.heartbeat_s = (uint32_t)hb;
    *(struct msg_welcome *)ret = m;
    return 0;
}

int msg_welcome_decode(const void *p, size_t len, struct msg_welcome *ret, struct verr *err)
{
    return decode(p, len, "welcome", welcome_fill, ret, err);
}

/* ---- ack, heartbeat ---------------------------------------------------- */

int msg_ack_encode(struct buf *out, const struct msg_ack *m)
{
    if (m->seq < 1 || m->seq > MSG_SEQ_MAX)
        return -EINVAL;
    return dump_to(out, json_pack("{s:I}", "seq", (json_int_t)m->seq));
}

static int ack_fill(const json_t *o, void *ret, const char *what, struct verr *err)
{
    return get_seq(o, "seq", 1, &((struct msg_ack *)ret)->seq, what, err);
}

int msg_ack_decode(const void *p, size_t len, struct msg_ack *ret, struct verr *err)
{
    return decode(p, len, "ack", ack_fill, ret, err);
}

int msg_heartbeat_encode(struct buf *out, const struct msg_heartbeat *m)
{
    return dump_to(out, json_pack("{s:I}", "time_ms", (json_int_t)m->time_ms));
}

static int heartbeat_fill(const json_t *o, void *ret, const char *what, struct verr *err)
{
    return get_int(o, "time_ms", INT64_MIN, INT64_MAX, &((struct msg_heartbeat *)ret)->time_ms,
                   what, err);
}

int msg_heartbeat_decode(const void *p, size_t len, struct msg_heartbeat *ret, struct verr *err)
{
    return decode(p, len, "heartbeat", heartbeat_fill, ret, err);
}

/* ---- task, task_result ------------------------------------------------- */

/* TASK and TASK_RESULT share a shape: {"task_id": n, nkey: a name from a
 * fixed table, jkey: JSON}. */
static int task_like_encode(struct buf *out, uint64_t task_id, const char *nkey, const char *name,
                            const char *jkey, json_t *j)
{
    if (!name || task_id < 1 || task_id > MSG_SEQ_MAX) {
        json_decref(j);
        return -EINVAL;
    }
    return dump_to(
        out, json_pack("{s:I, s:s, s:o}", "task_id", (json_int_t)task_id, nkey, name, jkey, j));
}

/* Fill *ret_id, *ret_name (index in names) and *ret_json (a new reference,
 * NULL when jkey is absent; an object when want_object). Nothing is
 * written on failure. */
static int task_like_fill(const json_t *o, const char *nkey, const char *const *names,
                          size_t n_names, const char *jkey, bool want_object, uint64_t *ret_id,
                          int *ret_name, json_t **ret_json, const char *what, struct verr *err)
{
    uint64_t id = 0;
    int r = get_seq(o, "task_id", 1, &id, what, err);
    if (r < 0)
        return r;
    int name = parse_name(names, n_names, json_string_value(json_object_get(o, nkey)));
    if (!name)
        return verr_set(err, -EPROTO, "%s: unknown \"%s\"", what, nkey);
    json_t *j = json_object_get(o, jkey);
    if (j && want_object && !json_is_object(j))
        return verr_set(err, -EPROTO, "%s: \"%s\" is not an object", what, jkey);
    *ret_id = id;
    *ret_name = name;
    *ret_json = j ? json_incref(j) : NULL;
    return 0;
}

int msg_task_encode(struct buf *out, const struct msg_task *m)
{
    if (m->args && !json_is_object(m->args))
        return -EINVAL;
    return task_like_encode(out, m->task_id, "verb", msg_verb_name(m->verb), "args",
                            m->args ? json_incref(m->args) : json_object());
}

static int task_fill(const json_t *o, void *ret, const char *what, struct verr *err)
{
    struct msg_task *m = ret;
    int verb;
    int r = task_like_fill(o, "verb", verb_names, ARRAY_SIZE(verb_names), "args", true, &m->task_id,
                           &verb, &m->args, what, err);
    if (r == 0) {
        m->verb = (enum msg_verb)verb;
        if (!m->args)
            m->args = json_object();
    }
    return r;
}

int msg_task_decode(const void *p, size_t len, struct msg_task *ret, struct verr *err)
{
    return decode(p, len, "task", task_fill, ret, err);
}

void msg_task_release(struct msg_task *m)
{
    json_decref(m->args);
    m->args = NULL;
}

int msg_task_result_encode(struct buf *out, const struct msg_task_result *m)
{
    return task_like_encode(out, m->task_id, "status", msg_task_status_name(m->status), "result",
                            m->result ? json_incref(m->result) : json_null());
}

static int task_result_fill(const json_t *o, void *ret, const char *what, struct verr *err)
{
    struct msg_task_result *m = ret;
    int status;
    int r = task_like_fill(o, "status", status_names, ARRAY_SIZE(status_names), "result", false,
                           &m->task_id, &status, &m->result, what, err);
    if (r == 0) {
        m->status = (enum msg_task_status)status;
        if (!m->result)
            m->result = json_null();
    }
    return r;
}

int msg_task_result_decode(const void *p, size_t len, struct msg_task_result *ret, struct verr *err)
{
    return decode(p, len, "task_result", task_result_fill, ret, err);
}

void msg_task_result_release(struct msg_task_result *m)
{
    json_decref(m->result);
    m->result = NULL;
}

/* ---- error ------------------------------------------------------------- */

/* Copy at most size-1 bytes of UTF-8 s, cutting on a character boundary
 * and replacing control characters (the text ends up in logs). */
static void copy_text(char *dst, size_t size, const char *s, size_t len)
{
    if (len >= size) {
        len = size - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    for (size_t i = 0; i < len; i++)
        dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    dst[len] = '\0';
}

int msg_error_encode(struct buf *out, const struct msg_error *m)
{
    if (m->code < 1 || m->code > ERROR_CODE_MAX)
        return -EINVAL;
    char text[MSG_TEXT_MAX];
    size_t len = strnlen(m->message, sizeof(m->message));
    if (!str_valid_utf8(m->message, len))
        return -EINVAL;
    copy_text(text, sizeof(text), m->message, len);
    return dump_to(out, json_pack("{s:i, s:s}", "code", m->code, "message", text));
}

static int error_fill(const json_t *o, void *ret, const char *what, struct verr *err)
{
    int64_t code;
    int r = get_int(o, "code", 1, ERROR_CODE_MAX, &code, what, err);
    if (r < 0)
        return r;
    struct msg_error *m = ret;
    const json_t *v = json_object_get(o, "message");
    if (v && !json_is_string(v))
        return verr_set(err, -EPROTO, "%s: \"message\" is not a string", what);
    m->code = (int)code;
    copy_text(m->message, sizeof(m->message), v ? json_string_value(v) : "",
              v ? json_string_length(v) : 0);
    return 0;
}

int msg_error_decode(const void *p, size_t len, struct msg_error *ret, struct verr *err)
{
    return decode(p, len, "error", error_fill, ret, err);
}

/* ---- batch writer ------------------------------------------------------ */

void msg_batch_writer_init(struct msg_batch_writer *w, size_t max_bytes)
{
    if (max_bytes == 0 || max_bytes > PROTO_MAX_RAW)
        max_bytes = PROTO_MAX_RAW;
    w->max_bytes = max_bytes;
    buf_init(&w->body, max_bytes);
    w->first_seq = w->last_seq = 0;
    w->n = 0;
}

void msg_batch_writer_release(struct msg_batch_writer *w)
{
    buf_release(&w->body);
    msg_batch_writer_reset(w);
}

void msg_batch_writer_reset(struct msg_batch_writer *w)
{
    buf_reset(&w->body);
    w->first_seq = w->last_seq = 0;
    w->n = 0;
}

/* Check one event's text: a JSON object, nesting bounded, no "seq", no raw
 * newline. On success *ret_body points just past its '{' and *ret_empty
 * tells whether the object has no members. */
static int event_check(const char *json, size_t len, const char **ret_body, bool *ret_empty)
{
    if (memchr(json, '\n', len) || memchr(json, '\r', len))
        return -EINVAL;
    json_t *o = parse_object(json, len, "event", NULL);
    if (!o)
        return -EINVAL;
    bool has_seq = json_object_get(o, "seq") != NULL;
    bool empty = json_object_size(o) == 0;
    json_decref(o);
    if (has_seq)
        return -EINVAL;
    const char *brace = memchr(json, '{', len);
    *ret_body = brace + 1; /* an object has one */
    *ret_empty = empty;
    return 0;
}

int msg_batch_writer_add(struct msg_batch_writer *w, uint64_t seq, const char *json, size_t len)
{
    if (seq < 1 || seq > MSG_SEQ_MAX || (w->n > 0 && seq != w->last_seq + 1))
        return -EINVAL;
    const char *body;
    bool empty;
    int r = event_check(json, len, &body, &empty);
    if (r < 0)
        return r;
    char head[40];
    int hn = snprintf(head, sizeof(head), "{\"seq\":%" PRIu64 "%s", seq, empty ? "" : ",");
    if (hn < 0 || (size_t)hn >= sizeof(head))
        return -EINVAL;
    /* Everything after '{', trimmed of trailing blanks when empty. */
    size_t rest = len - (size_t)(body - json);
    if (empty) {
        body = "}";
        rest = 1;
    }
    size_t line = (size_t)hn + rest + 1;
    if (line + BATCH_HDR_MAX > w->max_bytes)
        return w->n == 0 ? -E2BIG : -ENOSPC;
    if (w->n >= PROTO_MAX_EVENTS || w->body.len + line + BATCH_HDR_MAX > w->max_bytes)
        return -ENOSPC;
    size_t old = w->body.len;
    if (buf_append(&w->body, head, (size_t)hn) < 0 || buf_append(&w->body, body, rest) < 0 ||
        buf_putc(&w->body, '\n') < 0) {
        buf_truncate(&w->body, old);
        return -ENOSPC;
    }
    if (w->n == 0)
        w->first_seq = seq;
    w->last_seq = seq;
    w->n++;
    return 0;
}

int msg_batch_writer_finish(const struct msg_batch_writer *w, struct buf *out)
{
    if (w->n == 0)
        return -EINVAL;
    size_t old = out->len;
    int r =
        buf_printf(out, "{\"first_seq\":%" PRIu64 ",\"last_seq\":%" PRIu64 ",\"n\":%" PRIu32 "}\n",
                   w->first_seq, w->last_seq, w->n);
    if (r == 0)
        r = buf_append(out, w->body.data, w->body.len);
    if (r < 0)
        buf_truncate(out, old);
    return r;
}

/* ---- batch reader ------------------------------------------------------ */

static int batch_hdr_fill(const json_t *o, void *ret, const char *what, struct verr *err)
{
    struct msg_batch_reader *r = ret;
    int64_t n;
    int e;
    if ((e = get_seq(o, "first_seq", 1, &r->first_seq, what, err)) < 0 ||
        (e = get_seq(o, "last_seq", 1, &r->last_seq, what, err)) < 0 ||
        (e = get_int(o, "n", 1, PROTO_MAX_EVENTS, &n, what, err)) < 0)
        return e;
    if (r->last_seq < r->first_seq || r->last_seq - r->first_seq + 1 != (uint64_t)n)
        return verr_set(err, -EPROTO, "%s: seqs %llu..%llu do not hold n = %lld events", what,
                        (unsigned long long)r->first_seq, (unsigned long long)r->last_seq,
                        (long long)n);
    r->n = (uint32_t)n;
    return 0;
}

/* The line starting at pos: its length, and where the next one starts. */
static size_t line_at(const char *p, size_t len, size_t pos, size_t *ret_next)
{
    const char *nl = memchr(p + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - p) : len;
    *ret_next = nl ? end + 1 : len;
    return end - pos;
}

int msg_batch_reader_open(struct msg_batch_reader *r, const void *p, size_t len, struct verr *err)
{
    memset(r, 0, sizeof(*r));
    const char *s = p;
    size_t pos;
    size_t hlen = line_at(s, len, 0, &pos);
    int e = decode(s, hlen, "batch header", batch_hdr_fill, r, err);
    if (e < 0)
        return e;
    uint32_t lines = 0;
    for (size_t at = pos, next; at < len; at = next) {
        size_t l = line_at(s, len, at, &next);
        size_t deep = 0;
        if (l == 0)
            return verr_set(err, -EPROTO, "batch: empty line at offset %zu", at);
        if (++lines > r->n)
            return verr_set(err, -EPROTO, "batch: more than %u event lines", r->n);
        if (!str_json_depth_ok(s + at, l, PROTO_MAX_DEPTH, &deep))
            return verr_set(err, -EPROTO, "batch: event %u nested deeper than %d", lines,
                            PROTO_MAX_DEPTH);
    }
    if (lines != r->n)
        return verr_set(err, -EPROTO, "batch: %u event lines, header says %u", lines, r->n);
    r->p = s;
    r->len = len;
    r->pos = pos;
    return 0;
}

int msg_batch_reader_next(struct msg_batch_reader *r, struct msg_event *ret, struct verr *err)
{
    json_decref(r->cur);
    r->cur = NULL;
    if (r->i >= r->n)
        return 0;
    size_t next;
    size_t l = line_at(r->p, r->len, r->pos, &next);
    char what[32];
    snprintf(what, sizeof(what), "batch event %u", r->i + 1);
    json_t *o = parse_object(r->p + r->pos, l, what, err);
    if (!o)
        return -EPROTO;
    uint64_t want = r->first_seq + r->i, seq = 0;
    int e = get_seq(o, "seq", 1, &seq, what, err);
    if (e == 0 && seq != want)
        e = verr_set(err, -EPROTO, "%s: seq %llu, expected %llu", what, (unsigned long long)seq,
                     (unsigned long long)want);
    if (e < 0) {
        json_decref(o);
        return e;
    }
    r->cur = o;
    ret->seq = seq;
    ret->obj = o;
    ret->text = r->p + r->pos;
    ret->text_len = l;
    r->pos = next;
    r->i++;
    return 1;
}

void msg_batch_reader_release(struct msg_batch_reader *r)
{
    json_decref(r->cur);
    r->cur = NULL;
}
