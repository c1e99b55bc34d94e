/*
 * vigild's agent listener (docs/agent-protocol.md): TLS 1.3 only, mutual
 * certificates issued by vigild's CA, then the framed protocol of
 * wire/proto.h on the server's event loop. Batches are stored in one
 * transaction each and acknowledged only after the commit; tasks queued
 * through the API are sent down the agent's connection; a periodic job
 * applies event retention.
 *
 * Every refusal (no certificate, a certificate not from the CA, an unknown
 * or revoked agent, a TLS version below 1.3, a protocol violation) is
 * logged with the peer address and counted in srv->metrics; a bad frame
 * closes only the connection that sent it.
 */
#ifndef VIGIL_SERVER_INGEST_H
#define VIGIL_SERVER_INGEST_H

#include "base/common.h"
#include "base/err.h"

struct server;
struct ingest;

/* Seconds between heartbeats asked of agents (WELCOME heartbeat_s). */
#define INGEST_HEARTBEAT_S 30
/* Open agent connections at most. */
#define INGEST_MAX_CONNS 4096
/* Seconds between retention runs. */
#define INGEST_RETENTION_EVERY_S 3600

/*
 * Make the listener's context from srv->ca (the CA-signed ingest certificate, TLS 1.3 only, client
 * certificates required and verified against the CA) and listen on host:port on srv->base. days:
 * retention per level (copied). *ret is the caller's (ingest_free). Returns 0 or a negative code
 * with err set.
 */
int ingest_start(struct server *srv, const char *host, uint16_t port, const int days[6],
                 struct ingest **ret, struct verr *err) WUR;
/* The bound port (for port 0). */
uint16_t ingest_port(const struct ingest *ing);
/* Stop listening (connections stay until closed) - for a graceful stop. */
void ingest_pause(struct ingest *ing);
/* Close every connection and the listener. Accepts NULL. */
void ingest_free(struct ingest *ing);
/* Send agent_id's queued tasks now if it is connected (after a task is
 * queued through the API). */
void ingest_kick(struct ingest *ing, int64_t agent_id);
/* The same for every connected agent: after a change that may have queued
 * tasks for any of them (a botnet finding queues priority scans). Agents
 * also get their queued tasks with every heartbeat. */
void ingest_kick_all(struct ingest *ing);
/* Run retention once now; returns the number of events deleted or a
 * negative code. */
int64_t ingest_retention_run(struct ingest *ing);

#endif
