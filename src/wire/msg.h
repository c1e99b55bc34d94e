/*
 * The payloads of the agent/sensor <-> vigild protocol (wire/proto.h): one
 * encoder and one decoder per message. Encoders append the payload JSON to
 * a struct buf (frame it with frame_encode()); decoders take the payload
 * produced by frame_payload() and check everything a peer controls before
 * use: JSON nesting (PROTO_MAX_DEPTH, checked before jansson sees the text),
 * duplicate keys, required fields and their types and ranges, string
 * lengths, the task verb (a fixed set), and for BATCH the header, the event
 * count (<= PROTO_MAX_EVENTS) and the contiguity of the event seqs.
 * Unknown extra keys are ignored (a newer peer may add fields).
 *
 * Decoders return 0, or -EPROTO with err naming the message and field.
 * Sequence numbers are 1 .. INT64_MAX (JSON integers as jansson reads them).
 *
 *   sending:   struct msg_ack a = {.seq = 42};
 *              msg_ack_encode(&payload, &a); frame_encode(&out, FRAME_ACK, ...)
 *   receiving: frame_hdr_parse(); frame_payload(); msg_ack_decode(...)
 */
#ifndef VIGIL_WIRE_MSG_H
#define VIGIL_WIRE_MSG_H

#include <jansson.h>

#include "base/buf.h"
#include "base/common.h"
#include "base/err.h"
#include "wire/proto.h"

#define MSG_ID_MAX       64  /* agent_id: 1..63 of [A-Za-z0-9._-] */
#define MSG_VERSION_MAX  64  /* software version: printable ASCII */
#define MSG_HOSTNAME_MAX 256 /* hostname: 1..255 printable ASCII */
#define MSG_TEXT_MAX     512 /* ERROR message: UTF-8, longer is cut when encoding */
#define MSG_SEQ_MAX      ((uint64_t)INT64_MAX)

/* agent -> server, first frame. */
struct msg_hello {
    char agent_id[MSG_ID_MAX];
    char version[MSG_VERSION_MAX];
    char hostname[MSG_HOSTNAME_MAX];
    int64_t time_ms; /* agent wall clock, ms since the epoch */
    /* The scan bundles the agent holds (store/malware.h), 0 none; optional
     * on the wire (absent: 0). vigild sends a newer bundle with the next
     * scan task. */
    int64_t rules_version, hashes_version;
};

/* server -> agent, answer to HELLO. */
struct msg_welcome {
    int64_t time_ms;      /* server wall clock */
    uint64_t acked_seq;   /* highest seq stored for this agent, 0 none */
    uint32_t heartbeat_s; /* 1 .. 3600 */
};

/* server -> agent: every seq <= seq is committed. */
struct msg_ack {
    uint64_t seq;
};

/* either way. */
struct msg_heartbeat {
    int64_t time_ms;
};

/* The fixed set of task verbs; the wire names are "inventory", "scan",
 * "collect". Anything else is refused by the decoder. */
enum msg_verb {
    MSG_VERB_INVENTORY = 1,
    MSG_VERB_SCAN = 2,
    MSG_VERB_COLLECT = 3,
};

/* server -> agent. args is a JSON object (owned by the struct after decode:
 * free with msg_task_release; borrowed when encoding, NULL means {}). */
struct msg_task {
    uint64_t task_id; /* 1 .. INT64_MAX */
    enum msg_verb verb;
    json_t *args;
};

/* Wire names "ok", "failed", "refused". */
enum msg_task_status {
    MSG_TASK_OK = 1,
    MSG_TASK_FAILED = 2,
    MSG_TASK_REFUSED = 3,
};

/* agent -> server. result is any JSON value (owned after decode: free with
 * msg_task_result_release; borrowed when encoding, NULL means null). */
struct msg_task_result {
    uint64_t task_id;
    enum msg_task_status status;
    json_t *result;
};

/* ERROR codes on the wire (integers; a decoder accepts any 1 .. 999 so
 * that newer codes still close the connection cleanly). */
enum msg_error_code {
    MSG_ERR_PROTOCOL = 1, /* malformed frame or message */
    MSG_ERR_VERSION = 2,  /* unsupported protocol version */
    MSG_ERR_TOO_BIG = 3,  /* a bound was exceeded */
    MSG_ERR_AUTH = 4,     /* identity refused (agent_id vs certificate, revoked) */
    MSG_ERR_INTERNAL = 5, /* the peer failed; retry later */
    MSG_ERR_SHUTDOWN = 6, /* the peer is going away; retry later */
};

struct msg_error {
    int code; /* enum msg_error_code or a newer code, 1 .. 999 */
    char message[MSG_TEXT_MAX];
};

/* Encoders: append the payload JSON to out. Return 0, -EINVAL (a field out
 * of its range, e.g. an agent_id with a bad character or verb unknown) or
 * -E2BIG (out's cap). */
int msg_hello_encode(struct buf *out, const struct msg_hello *m) WUR;
int msg_welcome_encode(struct buf *out, const struct msg_welcome *m) WUR;
int msg_ack_encode(struct buf *out, const struct msg_ack *m) WUR;
int msg_heartbeat_encode(struct buf *out, const struct msg_heartbeat *m) WUR;
int msg_task_encode(struct buf *out, const struct msg_task *m) WUR;
int msg_task_result_encode(struct buf *out, const struct msg_task_result *m) WUR;
int msg_error_encode(struct buf *out, const struct msg_error *m) WUR;

/* Decoders: parse a payload. On success fill *ret (which, for task and
 * task_result, then owns a JSON reference); on failure *ret is untouched. */
int msg_hello_decode(const void *p, size_t len, struct msg_hello *ret, struct verr *err) WUR;
int msg_welcome_decode(const void *p, size_t len, struct msg_welcome *ret, struct verr *err) WUR;
int msg_ack_decode(const void *p, size_t len, struct msg_ack *ret, struct verr *err) WUR;
int msg_heartbeat_decode(const void *p, size_t len, struct msg_heartbeat *ret,
                         struct verr *err) WUR;
int msg_task_decode(const void *p, size_t len, struct msg_task *ret, struct verr *err) WUR;
int msg_task_result_decode(const void *p, size_t len, struct msg_task_result *ret,
                           struct verr *err) WUR;
int msg_error_decode(const void *p, size_t len, struct msg_error *ret, struct verr *err) WUR;

/* Free the JSON a decoder handed over; the struct may be reused. */
void msg_task_release(struct msg_task *m);
void msg_task_result_release(struct msg_task_result *m);

/* Names <-> enums. Return NULL / 0 when unknown. */
const char *msg_verb_name(enum msg_verb v);
enum msg_verb msg_verb_parse(const char *s);
const char *msg_task_status_name(enum msg_task_status s);

/*
 * BATCH, sending side. Events are added one by one with their spool seq;
 * the writer inserts "seq" as the first key of each event, so an event's
 * text must be one JSON object without a "seq" key and without raw
 * newlines (compact JSON). seqs must be contiguous.
 *
 *   struct msg_batch_writer w;
 *   msg_batch_writer_init(&w, 4 << 20);
 *   while (more && (r = msg_batch_writer_add(&w, seq, text, len)) == 0) ...
 *   r == -ENOSPC: the batch is full, send it and start another;
 *   msg_batch_writer_finish(&w, &payload);   frame_encode(FRAME_BATCH ...)
 *   msg_batch_writer_release(&w);
 */
struct msg_batch_writer {
    struct buf body; /* event lines */
    size_t max_bytes;
    uint64_t first_seq, last_seq;
    uint32_t n;
};

/* max_bytes bounds the finished payload (at most PROTO_MAX_RAW; 0 means
 * PROTO_MAX_RAW). */
void msg_batch_writer_init(struct msg_batch_writer *w, size_t max_bytes);
void msg_batch_writer_release(struct msg_batch_writer *w);
/* Forget the events added; keep the allocation. */
void msg_batch_writer_reset(struct msg_batch_writer *w);
/* Add one event. Returns 0; -ENOSPC when it does not fit (PROTO_MAX_EVENTS
 * or max_bytes; the writer is unchanged, send what it has; an event too big
 * for an empty writer is -E2BIG); -EINVAL when seq is not last_seq + 1 (or
 * is 0 / over MSG_SEQ_MAX), or the text is not a JSON object within
 * PROTO_MAX_DEPTH, or has a "seq" key, or a raw newline. */
int msg_batch_writer_add(struct msg_batch_writer *w, uint64_t seq, const char *json,
                         size_t len) WUR;
/* Append the payload (header line, then the event lines) to out. Returns 0,
 * -EINVAL for an empty writer, -E2BIG (out's cap). */
int msg_batch_writer_finish(const struct msg_batch_writer *w, struct buf *out) WUR;

/*
 * BATCH, receiving side: an iterator, so the receiver can store events one
 * by one without building the whole batch in memory.
 *
 *   struct msg_batch_reader r;
 *   if (msg_batch_reader_open(&r, p, len, &err) < 0) -> protocol error
 *   BEGIN;
 *   while ((k = msg_batch_reader_next(&r, &ev, &err)) == 1) insert ev ...
 *   k < 0 -> ROLLBACK, protocol error; k == 0 -> COMMIT, ACK r.last_seq
 *   msg_batch_reader_release(&r);
 *
 * open checks the header ({"first_seq", "last_seq", "n"} with
 * n == last_seq - first_seq + 1, 1 <= n <= PROTO_MAX_EVENTS), that the
 * payload holds exactly n event lines and that each line's nesting is within
 * PROTO_MAX_DEPTH. next parses one event and checks it is an object whose
 * "seq" is the expected one (first_seq, first_seq + 1, ...); a failure
 * midway means the whole batch is bad: the caller discards what it did with
 * the earlier events (one transaction per batch).
 */
struct msg_event {
    uint64_t seq;
    json_t *obj;      /* the event object, "seq" included; owned by the reader,
                         valid until the next call (json_incref to keep) */
    const char *text; /* the event line in the payload, without its newline */
    size_t text_len;
};

struct msg_batch_reader {
    uint64_t first_seq, last_seq;
    uint32_t n;
    /* private */
    const char *p;
    size_t len, pos;
    uint32_t i;
    json_t *cur;
};

/* The reader borrows (p, len), which must stay valid while it is used. */
int msg_batch_reader_open(struct msg_batch_reader *r, const void *p, size_t len,
                          struct verr *err) WUR;
/* Returns 1 with *ret filled, 0 after the last event, or -EPROTO. */
int msg_batch_reader_next(struct msg_batch_reader *r, struct msg_event *ret, struct verr *err) WUR;
void msg_batch_reader_release(struct msg_batch_reader *r);

#endif
