/*
 * The network process (privsep.h): one TLS 1.3 connection to vigild's
 * ingest listener with the agent's certificate, relaying whole frames
 * between it and the collector over the socketpair.
 *
 * The server is trusted when its certificate chains to the CA vigild gave
 * at enrollment and names the host dialled, or when its SHA-256 equals the
 * fingerprint pinned at enrollment. When the connection fails or drops it reconnects with
 * exponential backoff (0.5 s doubling to backoff_max_ms) and +-50 % jitter.
 *
 * Socketpair payloads: PSMSG_UP and PSMSG_SEND start with a uint32
 * connection number (host order); a SEND for an older connection is
 * dropped, so frames meant for a dead connection never reach a new one
 * before its HELLO.
 */
#ifndef VIGIL_AGENT_UPLINK_H
#define VIGIL_AGENT_UPLINK_H

#include "base/common.h"

struct uplink_opts {
    const char *host;
    unsigned port;
    const char *cert_path; /* agent certificate (PEM) */
    const char *key_path;  /* agent key (PEM) */
    const char *ca_path;   /* vigild's CA (PEM) */
    bool have_fingerprint;
    uint8_t fingerprint[32];
    unsigned backoff_max_ms; /* longest wait between attempts */
    const char *user;        /* drop to this user ("" / NULL: stay) */
    bool seccomp;
};

/* Run the network process on socketpair end sp until the collector goes
 * away. Loads credentials, resolves the host, drops privileges, installs
 * the filter, then loops. Returns the process exit status. */
int uplink_run(int sp, const struct uplink_opts *o);

#endif
