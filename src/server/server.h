/*
 * vigild: the store, the TLS context and the HTTP server on one event loop.
 *
 *   server_open()  open the store, first-start admin token, TLS, bind
 *   server_run()   serve until SIGTERM/SIGINT
 *   server_close() stop listening, close connections and the store
 */
#ifndef VIGIL_SERVER_SERVER_H
#define VIGIL_SERVER_SERVER_H

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "base/common.h"
#include "base/err.h"
#include "base/i18n.h"
#include "server/ca.h"
#include "server/config.h"
#include "server/metrics.h"
#include "store/store.h"

struct server {
    const struct config *cfg;
    struct store *store;
    struct ca *ca; /* the agent CA (server/ca.h) */
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    SSL_CTX *ssl;
    struct event *sig_term, *sig_int;
    struct metrics metrics;
    struct ingest *ingest; /* the agents' listener (server/ingest.h) */
    enum lang lang;   /* default language of messages */
    unsigned n_conns; /* open client connections */
    bool paused;      /* accepting stopped at max_connections */
    uint16_t port;    /* bound port */
};

/*
 * Open the store under cfg->data_dir (creating the first admin token when
 * there is none and writing it to <data_dir>/admin.token, mode 0600), make
 * or load the certificate and bind the listener. cfg must outlive srv.
 * Returns 0 or a negative code with err set; srv is then released.
 */
int server_open(struct server *srv, const struct config *cfg, struct verr *err) WUR;
/* Run the event loop until SIGTERM or SIGINT. Returns 0 or -EIO. */
int server_run(struct server *srv) WUR;
/* Stop and release everything; accepts a zeroed or failed srv. */
void server_close(struct server *srv);

/* Validate what --check-config checks beyond parsing: the configured TLS
 * pair loads (a generated pair is checked when it already exists). */
int server_check_config(const struct config *cfg, struct verr *err) WUR;

#endif
