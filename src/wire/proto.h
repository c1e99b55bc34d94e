/*
 * The agent/sensor <-> vigild protocol (ARCHITECTURE.md, "Reliability
 * model"): framed messages over TLS 1.3 with mutual certificates.
 *
 * A frame is a 16-byte header, big-endian, then the payload:
 *
 *   0  uint32 magic      0x56474C31 ("VGL1")
 *   4  uint8  version    PROTO_VERSION (1); a peer refuses other versions
 *   5  uint8  type       enum frame_type
 *   6  uint8  flags      FRAME_F_ZSTD: payload is one zstd frame
 *   7  uint8  reserved   0
 *   8  uint32 length     payload bytes on the wire, <= PROTO_MAX_WIRE
 *  12  uint32 raw_length payload bytes after decompression, <= PROTO_MAX_RAW
 *                        (== length when not compressed)
 *
 * The payload of every frame is UTF-8 JSON: one object, except BATCH, which
 * is JSON lines: a header object, then one event object a line. JSON nesting
 * is bounded by PROTO_MAX_DEPTH; a BATCH holds at most PROTO_MAX_EVENTS.
 * Decompression is bounded by raw_length (a zstd bomb is an error, not an
 * allocation).
 *
 * Exchange:
 *   agent  -> HELLO   {"agent_id", "version", "hostname", "time_ms",
 *                      "rules_version", "hashes_version"}  (the last two
 *                      optional: the scan bundles the agent holds)
 *   server -> WELCOME {"time_ms", "acked_seq", "heartbeat_s"}  (acked_seq: the
 *                      highest seq vigild has stored for this agent, 0 none)
 *   agent  -> BATCH   {"first_seq", "last_seq", "n"}\n{event}\n{event}...
 *                      events carry "seq" (first_seq .. last_seq, contiguous)
 *   server -> ACK     {"seq"}   every seq <= this is committed in the store;
 *                      sent only after the batch's transaction commits
 *   either -> HEARTBEAT {"time_ms"}   (skew = server time - agent time,
 *                      reported by vigild per agent)
 *   server -> TASK    {"task_id", "verb", "args"}  verb in a fixed set
 *                      ("inventory", "scan", "collect"); the agent never runs
 *                      arbitrary commands
 *   agent  -> TASK_RESULT {"task_id", "status", "result"}
 *   either -> ERROR   {"code", "message"} and closes
 * The agent identity is its certificate (subject CN "agent-<id>"); "agent_id"
 * in HELLO must match it. vigild ignores events whose (agent_id, seq) it
 * already has: at-least-once transport, exactly-once storage.
 */
#ifndef VIGIL_WIRE_PROTO_H
#define VIGIL_WIRE_PROTO_H

#include "base/buf.h"
#include "base/common.h"
#include "base/err.h"

#define PROTO_MAGIC 0x56474C31u
#define PROTO_VERSION 1
#define PROTO_HDR_LEN 16
#define PROTO_MAX_WIRE (16u << 20) /* 16 MiB on the wire */
#define PROTO_MAX_RAW (64u << 20)  /* 64 MiB decompressed */
#define PROTO_MAX_DEPTH 32
#define PROTO_MAX_EVENTS 10000
#define PROTO_DEFAULT_PORT 8444 /* vigild's agent listener (ingest.port) */

enum frame_type {
    FRAME_HELLO = 1,
    FRAME_WELCOME = 2,
    FRAME_BATCH = 3,
    FRAME_ACK = 4,
    FRAME_HEARTBEAT = 5,
    FRAME_TASK = 6,
    FRAME_TASK_RESULT = 7,
    FRAME_ERROR = 8,
};

enum { FRAME_F_ZSTD = 1 };

struct frame_hdr {
    uint8_t version;
    uint8_t type;
    uint8_t flags;
    uint32_t length;
    uint32_t raw_length;
};

/* Encode a frame around payload (p, len), compressing with zstd when
 * compress is set and it helps. Appends to out. Returns 0, -E2BIG (payload
 * over PROTO_MAX_RAW or compressed over PROTO_MAX_WIRE), -EIO (zstd). */
int frame_encode(struct buf *out, enum frame_type type, const void *p, size_t len, bool compress)
    WUR;

/* Parse a header from at least PROTO_HDR_LEN bytes. Returns 0, or -EPROTO
 * (bad magic, reserved bits, unknown type), -EPROTONOSUPPORT (version),
 * -EMSGSIZE (length bounds), with err naming the field. */
int frame_hdr_parse(const uint8_t *p, struct frame_hdr *ret, struct verr *err) WUR;

/* Produce the payload of a frame whose header is h and whose wire bytes are
 * (p, h->length): copies or decompresses into out (reset first), checking
 * that the result is exactly h->raw_length bytes. -EPROTO / -EMSGSIZE. */
int frame_payload(const struct frame_hdr *h, const uint8_t *p, struct buf *out,
                  struct verr *err) WUR;

/* "hello", "batch", ... for logs; "unknown" for anything else. */
const char *frame_type_name(int type);

#endif
