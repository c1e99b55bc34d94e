/* vigild's lifecycle: store, first admin token, TLS, listener, signals. */
#include "server/server.h"

#include <openssl/crypto.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/log.h"
#include "base/vtime.h"
#include "server/http.h"
#include "server/ingest.h"
#include "server/tls.h"

/* Milliseconds open requests get to finish after SIGTERM. */
#define STOP_GRACE_MS 500

/* First start: no token at all, so make the admin token and leave it in a
 * file only the service user can read. */
static int bootstrap_token(struct server *srv, struct verr *err)
{
    static const struct actor system_actor = {0, "system", "admin"};
    char secret[65], line[66];
    int64_t id = 0;
    char *path;
    int n = store_token_count(srv->store), rc;

    if (n < 0)
        return verr_set(err, n, "cannot count the API tokens");
    if (n > 0)
        return 0;
    rc = store_token_create(srv->store, &system_actor, "admin", "admin", secret, &id, err);
    if (rc < 0)
        return rc;
    path = path_join(srv->cfg->data_dir, "admin.token");
    memcpy(line, secret, 64);
    line[64] = '\n';
    line[65] = '\0';
    rc = file_write_atomic(path, line, 65, 0600);
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(line, sizeof(line));
    if (rc < 0) {
        struct verr ignore;
        verr_set(err, rc, "cannot write %s: %s", path, strerror(-rc));
        /* Nobody could use a token whose secret is lost: take it back so
         * the next start makes a new one. */
        verr_init(&ignore);
        if (store_token_revoke(srv->store, &system_actor, id, &ignore) < 0)
            log_kv(LOG_LVL_ERROR, "cannot revoke the unwritten admin token", "error", ignore.msg,
                   NULL);
        free(path);
        return rc;
    }
    log_kv(LOG_LVL_INFO, "admin token written", "path", path, NULL);
    free(path);
    return 0;
}

static void on_signal(evutil_socket_t sig, short what UNUSED, void *arg)
{
    struct server *srv = arg;
    struct evconnlistener *l;
    struct timeval grace = {0, STOP_GRACE_MS * 1000};

    log_kv(LOG_LVL_INFO, "stopping", "signal", sig == SIGTERM ? "TERM" : "INT", NULL);
    l = srv->bound ? evhttp_bound_socket_get_listener(srv->bound) : NULL;
    if (l)
        evconnlistener_disable(l);
    ingest_pause(srv->ingest);
    srv->paused = true;
    event_base_loopexit(srv->base, &grace);
}

int server_check_config(const struct config *cfg, struct verr *err)
{
    char *cert = NULL, *key = NULL;
    SSL_CTX *ctx = NULL;
    struct stat st;
    int rc;

    if (cfg->tls_cert) {
        cert = xstrdup(cfg->tls_cert);
        key = xstrdup(cfg->tls_key);
    } else {
        char *dir = path_join(cfg->data_dir, "tls");
        cert = path_join(dir, "vigild.crt");
        key = path_join(dir, "vigild.key");
        free(dir);
        if (stat(cert, &st) < 0 && stat(key, &st) < 0) {
            /* Made on first start. */
            free(cert);
            free(key);
            return 0;
        }
    }
    rc = tls_ctx_new(cert, key, &ctx, NULL, err);
    SSL_CTX_free(ctx);
    free(cert);
    free(key);
    return rc;
}

int server_open(struct server *srv, const struct config *cfg, struct verr *err)
{
    char host[CONFIG_HOST_MAX], fp[TLS_FINGERPRINT_LEN], portstr[8];
    char *cert = NULL, *key = NULL;
    bool generated = false;
    uint16_t port;
    int rc;

    memset(srv, 0, sizeof(*srv));
    srv->cfg = cfg;
    srv->lang = cfg->lang_set ? cfg->lang : i18n_get();
    metrics_init(&srv->metrics, vtime_now());

    if (config_parse_listen(cfg->listen, host, &port) < 0)
        return verr_set(err, -EINVAL, "listen: expected ADDRESS:PORT with an IP address, got '%s'",
                        cfg->listen);

    rc = store_open(cfg->data_dir, &srv->store, err);
    if (rc < 0)
        goto fail;
    rc = bootstrap_token(srv, err);
    if (rc < 0)
        goto fail;
    rc = ca_open(cfg->data_dir, &srv->ca, err);
    if (rc < 0 || (rc = ca_set_ingest_hostnames(srv->ca, (const char *const *)cfg->ingest_hostnames,
                                                cfg->n_ingest_hostnames, err)) < 0)
        goto fail;

    rc = tls_prepare(cfg->data_dir, cfg->tls_cert, cfg->tls_key, &cert, &key, &generated, err);
    if (rc < 0)
        goto fail;
    rc = tls_ctx_new(cert, key, &srv->ssl, fp, err);
    if (rc < 0)
        goto fail;
    log_kv(LOG_LVL_INFO, generated ? "self-signed certificate made" : "certificate loaded", "cert",
           cert, "sha256", fp, NULL);

    srv->base = event_base_new();
    if (!srv->base) {
        rc = verr_set(err, -ENOMEM, "cannot make the event loop");
        goto fail;
    }
    rc = http_start(srv, host, port, err);
    if (rc < 0)
        goto fail;
    srv->port = port;
    {
        int days[6];
        for (int l = 0; l <= 5; l++)
            days[l] = (int)cfg->retention_days[l];
        rc = ingest_start(srv, host, (uint16_t)cfg->ingest_port, days, &srv->ingest, err);
        if (rc < 0)
            goto fail;
    }

    srv->sig_term = evsignal_new(srv->base, SIGTERM, on_signal, srv);
    srv->sig_int = evsignal_new(srv->base, SIGINT, on_signal, srv);
    if (!srv->sig_term || !srv->sig_int || evsignal_add(srv->sig_term, NULL) < 0 ||
        evsignal_add(srv->sig_int, NULL) < 0) {
        rc = verr_set(err, -ENOMEM, "cannot set up signal handling");
        goto fail;
    }
    signal(SIGPIPE, SIG_IGN);
    snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
    log_kv(LOG_LVL_INFO, "listening", "addr", host, "port", portstr, "data_dir", cfg->data_dir,
           NULL);
    free(cert);
    free(key);
    return 0;
fail:
    free(cert);
    free(key);
    server_close(srv);
    return rc;
}

int server_run(struct server *srv)
{
    if (event_base_dispatch(srv->base) < 0)
        return -EIO;
    return 0;
}

void server_close(struct server *srv)
{
    if (srv->sig_term)
        event_free(srv->sig_term);
    if (srv->sig_int)
        event_free(srv->sig_int);
    srv->sig_term = srv->sig_int = NULL;
    ingest_free(srv->ingest);
    srv->ingest = NULL;
    http_stop(srv);
    if (srv->base)
        event_base_free(srv->base);
    srv->base = NULL;
    SSL_CTX_free(srv->ssl);
    srv->ssl = NULL;
    store_close(srv->store);
    srv->store = NULL;
    ca_free(srv->ca);
    srv->ca = NULL;
}
