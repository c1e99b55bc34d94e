/*
 * Privilege separation (ARCHITECTURE.md, "Security model").
 *
 * vigil-agent runs as two processes joined by a socketpair:
 *  - the collector (root when started by systemd): reads logs, the journal,
 *    watched files and /proc, owns the data directory (spool, state, key)
 *    and speaks the protocol of wire/proto.h: it builds HELLO, BATCH,
 *    HEARTBEAT and TASK_RESULT frames and decodes what vigild sends;
 *  - the network process: forked at start, it loads the TLS key and
 *    certificates into memory, resolves the server, then drops to an
 *    unprivileged user (setresgid/setresuid, no supplementary groups),
 *    sets no_new_privs and installs a seccomp-bpf allow-list. From then on
 *    it can only use sockets it already has or makes with socket/connect,
 *    and memory. It owns the TLS connection and relays whole frames: it
 *    checks each frame header from vigild (frame_hdr_parse) before it
 *    reads the payload, so a hostile server reaches the collector only
 *    through a size-checked frame inside a size-checked message.
 * A compromise of the network side (OpenSSL, frame parsing) yields a
 * process that cannot open files or exec, holding only the agent's TLS key.
 *
 * Messages on the socketpair: an 8-byte header, host byte order (both ends
 * are the same binary), then the payload:
 *   uint16 type  (enum psmsg_type)    uint16 version (PSMSG_VERSION)
 *   uint32 len   (<= PSMSG_MAX_LEN)
 */
#ifndef VIGIL_AGENT_PRIVSEP_H
#define VIGIL_AGENT_PRIVSEP_H

#include "base/buf.h"
#include "base/common.h"
#include "wire/proto.h"

#define PSMSG_VERSION 1
#define PSMSG_HDR_LEN 8
#define PSMSG_MAX_LEN (PROTO_HDR_LEN + PROTO_MAX_WIRE)

enum psmsg_type {
    PSMSG_SEND = 1,  /* collector -> net: a whole frame to send */
    PSMSG_RESET = 2, /* collector -> net: drop the connection and reconnect */
    PSMSG_UP = 3,    /* net -> collector: connected (payload: "host:port") */
    PSMSG_DOWN = 4,  /* net -> collector: disconnected (payload: reason) */
    PSMSG_FRAME = 5, /* net -> collector: a whole frame from vigild */
};

/* Append a message to out. Returns 0, -EINVAL (unknown type), -E2BIG. */
int psmsg_encode(struct buf *out, enum psmsg_type type, const void *p, size_t len) WUR;

/* Check an 8-byte header. Returns 0 with the type and payload length, or
 * -EPROTO (unknown type, version) / -EMSGSIZE (len over the cap). */
int psmsg_hdr_parse(const uint8_t hdr[PSMSG_HDR_LEN], enum psmsg_type *ret_type,
                    uint32_t *ret_len) WUR;

/* Send one message on fd (blocking). Returns 0 or -errno. */
int psmsg_send(int fd, enum psmsg_type type, const void *p, size_t len) WUR;

/* Receive one message from fd (blocking once it has started) into payload
 * (reset first, cap PSMSG_MAX_LEN). Returns 0, -EPIPE at end of stream,
 * -EPROTO/-EMSGSIZE for a bad header, or -errno. */
int psmsg_recv(int fd, enum psmsg_type *ret_type, struct buf *payload) WUR;

/* Drop to user (name; NULL or "" keeps the current identity) and forbid
 * new privileges. Returns 0 or -errno. */
int privsep_drop(const char *user) WUR;

/* Install the network process's seccomp allow-list (kills the process on
 * any other system call). Returns 0 or -errno. */
int privsep_seccomp(void) WUR;

#endif
