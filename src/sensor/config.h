/*
 * vigil-sensor's configuration: a YAML file parsed once into struct
 * sensor_config. Unknown keys and bad values are errors naming the file,
 * the line and the key ("sensor.yaml:12: inputs.files[1].format: ...").
 * docs/en/sensor.md lists every key.
 */
#ifndef VIGIL_SENSOR_CONFIG_H
#define VIGIL_SENSOR_CONFIG_H

#include "base/common.h"
#include "base/err.h"
#include "base/i18n.h"
#include "base/log.h"
#include "base/vec.h"
#include "intel/feed.h"

/* A text file's format: plain text lines matched like `vigil match`, or
 * an input.h decoder (enum input_format values). */
#define FILE_FORMAT_TEXT 0

struct list_spec {
    char *name;     /* [a-z0-9._-]{1,64} */
    char *provider; /* NULL: the name */
    char *file;     /* one of file and feed */
    char *feed;     /* pulled from vigild's /feeds/{feed}/indicators */
    enum feed_format format;
};

struct file_spec {
    char *path;
    int format;  /* FILE_FORMAT_TEXT or an enum input_format */
    bool follow; /* keep reading as the file grows (and across rotation) */
};

struct sensor_config {
    enum log_level log_level;
    bool lang_set;
    enum lang lang;
    VEC(struct list_spec) lists;
    struct {
        char *url;             /* https://host:port */
        char *token_file;      /* file holding the API token */
        char *cacert;          /* PEM of the server certificate/CA, or NULL */
        char *fingerprint;     /* SHA256:... pin, or NULL */
        unsigned poll_seconds; /* check for new list versions */
        bool post_hits;
        unsigned post_seconds; /* post queued hits at least this often */
        size_t queue_bytes;    /* hits waiting for vigild, at most */
    } vigild;
    bool netflow;             /* run the NetFlow/IPFIX collector */
    char *netflow_address;    /* IP literal to bind; default 0.0.0.0 */
    unsigned netflow_port;    /* default 2055 */
    unsigned netflow_threads; /* 0: one per CPU */
    /* collector tuning; 0 (or -1 for the expiry) keeps collector.h's default */
    unsigned netflow_rcvbuf, netflow_batch;
    int64_t template_expiry; /* seconds, 0 never; -1 default */
    unsigned max_templates, max_templates_per_exporter, max_exporters;
    VEC(struct file_spec) files;
    char *pcap_file, *pcap_interface, *pcap_filter;
    VEC(char *) radius;
    VEC(char *) dhcpd_leases;
    VEC(char *) kea_csv;
    /* attribution.radius_grace (seconds) and .radius_grace_multiple:
     * attrib_set_radius_grace(); defaults 3600 and 2 */
    unsigned radius_grace_s, radius_grace_multiple;
    /* seconds east of UTC of times written without a zone: attribution
     * files (attribution.utc_offset) and text inputs (inputs.utc_offset);
     * default +07:00 (Asia/Ho_Chi_Minh) */
    int32_t attrib_utc_offset, input_utc_offset;
    char *output_path;  /* "-" stdout; NULL: none */
    char *summary_path; /* NULL: summaries go to the log */
    unsigned summary_seconds;
    size_t summary_max;
    struct feed_opts import;
};

void sensor_config_init(struct sensor_config *c);
void sensor_config_release(struct sensor_config *c);

/* Read and apply the YAML file at path. Returns 0, or a negative code with
 * err "<path>:<line>: <key>: <reason>". Also checks that what is
 * configured fits together (lists from vigild need vigild.url ...). */
int sensor_config_load_file(struct sensor_config *c, const char *path, struct verr *err) WUR;
/* Same for an in-memory document; name stands for the path. */
int sensor_config_load_text(struct sensor_config *c, const char *name, const char *text, size_t len,
                            struct verr *err) WUR;

/* Parse a UTC offset: "+07:00", "-0530", "+7", "7", "0", "Z" or "UTC",
 * from -12:00 to +14:00. Returns 0 and *ret (seconds east), or -EINVAL. */
int sensor_parse_utc_offset(const char *s, size_t len, int32_t *ret) WUR;

/* True for a list or set name: [A-Za-z0-9._-]{1,64}, not starting with '.'. */
bool sensor_name_ok(const char *s);

#endif
