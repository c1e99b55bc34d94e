/*
 * UDP collector for NetFlow v5/v9 and IPFIX.
 *
 * N receive threads, each with its own UDP socket bound to the same address
 * with SO_REUSEPORT (the kernel hashes each exporter's 4-tuple to one
 * socket, so an exporter stays on one thread and its templates in that
 * thread's cache), a large SO_RCVBUF, recvmmsg batches, and SO_RXQ_OVFL for
 * the kernel's drop count. Each thread decodes with its own struct nf_cache
 * and calls the handler from that thread. Nothing is allocated per packet.
 */
#ifndef VIGIL_SENSOR_COLLECTOR_H
#define VIGIL_SENSOR_COLLECTOR_H

#include "base/common.h"
#include "base/err.h"
#include "sensor/flow.h"
#include "sensor/netflow.h"

#define COLLECTOR_MAX_THREADS 256

struct collector;

struct collector_config {
    const char *listen; /* address to bind: "0.0.0.0" (default), "::" (v4 and v6), ... */
    uint16_t port;      /* default 2055; 0 picks a free port (see collector_port) */
    unsigned n_threads; /* receive threads; 0 = one per online CPU */
    int rcvbuf;     /* SO_RCVBUF bytes per socket, default 32 MiB (SO_RCVBUFFORCE tried first) */
    unsigned batch; /* datagrams per recvmmsg, default 64, at most 1024 */
    struct nf_config nf; /* template expiry and limits, per thread */
};

/* What the threads call. on_obs: once per decoded flow, from the decoding
 * thread (thread = 0 .. n_threads-1); the obs is valid only during the call.
 * on_batch (optional, may be NULL): after each received batch and at least
 * every 200 ms when idle, from the same thread, so outputs can flush. */
struct collector_handler {
    void (*on_obs)(const struct obs *o, unsigned thread, void *arg);
    void (*on_batch)(unsigned thread, void *arg);
    void *arg;
};

/* Totals over all threads. */
struct collector_counters {
    struct nf_counters nf;     /* decoder counters (packets, records, malformed, ...) */
    uint64_t bytes;            /* UDP payload bytes received */
    uint64_t kernel_drops;     /* datagrams the kernel dropped (socket buffer full) */
    uint64_t truncated_dgrams; /* datagrams larger than the receive buffer (MSG_TRUNC) */
};

/* Defaults as documented above (nf via nf_config_init). */
void collector_config_init(struct collector_config *cfg);

/*
 * Bind the sockets and start the threads. The handler is copied. On error
 * nothing is left running, *ret is untouched, err says what failed, and a
 * negative errno is returned.
 */
int collector_start(const struct collector_config *cfg, const struct collector_handler *h,
                    struct collector **ret, struct verr *err) WUR;

/* The bound UDP port (useful with port 0). */
uint16_t collector_port(const struct collector *c);
/* Number of receive threads. */
unsigned collector_threads(const struct collector *c);

/* A snapshot of the counters (summed over threads, updated after every
 * batch); safe from any thread. */
void collector_counters(struct collector *c, struct collector_counters *ret);

/* Total CPU time (user+sys, nanoseconds) used by the receive threads so far. */
uint64_t collector_cpu_ns(struct collector *c);

/* Stop the threads (each finishes its current batch), join them, close the
 * sockets and free everything; accepts NULL. Counters are final once
 * collector_counters is called before this. */
void collector_stop(struct collector *c);

#endif
