/*
 * vigild's configuration: a YAML file parsed once into struct config.
 *
 * Every key is optional; unknown keys and bad values are errors naming the
 * file, the line and the key. docs/en/config.md lists every key.
 */
#ifndef VIGIL_SERVER_CONFIG_H
#define VIGIL_SERVER_CONFIG_H

#include "base/common.h"
#include "base/err.h"
#include "base/i18n.h"
#include "base/log.h"
#include "intel/feed.h"

#define CONFIG_DEFAULT_LISTEN      "127.0.0.1:8443"
#define CONFIG_DEFAULT_DATA_DIR    "/var/lib/vigil"
#define CONFIG_HOST_MAX            64
#define CONFIG_INGEST_HOSTS_MAX    32

struct config {
    char *listen; /* "ADDR:PORT", "[v6]:PORT" */
    char *data_dir;
    char *tls_cert; /* NULL: generated under <data_dir>/tls/ */
    char *tls_key;
    enum log_level log_level;
    bool lang_set; /* lang given in the file; otherwise the environment decides */
    enum lang lang;
    size_t max_body_bytes;    /* any request body (feed uploads) */
    size_t max_json_bytes;    /* JSON request bodies */
    size_t max_header_bytes;  /* request line and headers */
    unsigned max_connections; /* open client connections */
    unsigned timeout_seconds; /* idle read/write timeout of a connection */
    struct feed_opts import;  /* defaults for feed imports */
    unsigned ingest_port;     /* agents' mutual-TLS listener (ingest.port) */
    char **ingest_hostnames;  /* extra names in its certificate (ingest.hostnames) */
    size_t n_ingest_hostnames;
    unsigned retention_days[6]; /* events kept per system level 1..5; [0] in no system */
};

/* Defaults (CONFIG_DEFAULT_*, limits, feed_opts_init). No allocation beyond
 * the two default strings. */
void config_init(struct config *c);
void config_release(struct config *c);

/* Read and apply the YAML file at path over the current values. Returns 0,
 * or a negative code with err "<path>:<line>: <key>: <reason>". */
int config_load_file(struct config *c, const char *path, struct verr *err) WUR;
/* Same for an in-memory document; name stands for the path in messages. */
int config_load_text(struct config *c, const char *name, const char *text, size_t len,
                     struct verr *err) WUR;

/* Replace a string setting (command-line overrides). */
void config_set_str(char **slot, const char *value);

/* Split "127.0.0.1:8443" or "[::1]:8443" into an address literal and a port
 * (1..65535). The address must be an IP literal. Returns 0 or -EINVAL. */
int config_parse_listen(const char *s, char host[static CONFIG_HOST_MAX], uint16_t *ret_port) WUR;

#endif
