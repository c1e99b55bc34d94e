/*
 * vigil-agent's configuration: a YAML file parsed once into struct
 * agent_config. Every key is optional; unknown keys and bad values are
 * errors naming the file, the line and the key. docs/en/agent.md lists them.
 */
#ifndef VIGIL_AGENT_CONFIG_H
#define VIGIL_AGENT_CONFIG_H

#include "base/common.h"
#include "base/err.h"
#include "base/log.h"

#define AGENT_DEFAULT_DATA_DIR "/var/lib/vigil-agent"
#define AGENT_DEFAULT_CONFIG   "/etc/vigil/agent.yaml"
#define AGENT_MAX_LIST         256 /* entries in logs.files / fim.paths */

struct agent_config {
    char *server_host;        /* NULL: the host recorded at enrollment */
    unsigned api_port;        /* vigild's HTTPS API (enrollment) */
    unsigned ingest_port;     /* 0: the port vigild gave at enrollment */
    unsigned reconnect_max_s; /* longest wait between connection attempts */
    char *data_dir;           /* key, cert, ca, spool, state */
    uint64_t spool_max_bytes;
    char **log_files; /* glob patterns */
    size_t n_log_files;
    size_t max_line_bytes; /* longer lines are cut and marked truncated */
    bool journald;
    char **fim_paths;
    size_t n_fim_paths;
    unsigned fim_rescan_s;
    unsigned inventory_s;
    unsigned heartbeat_s;
    unsigned batch_events; /* events per BATCH frame */
    unsigned poll_ms;      /* how often log files are polled */
    char *user;            /* network process user; NULL: "nobody" as root, else unchanged */
    bool seccomp;          /* filter the network process's system calls */
    enum log_level log_level;
    /* Malware scans (agent/scanjob.h). */
    bool scan_enabled;
    char **scan_roots; /* none: "/" */
    size_t n_scan_roots;
    char **scan_exclude;
    size_t n_scan_exclude;
    uint64_t scan_max_file_bytes;
    unsigned scan_threads;
    bool scan_one_file_system;
    unsigned scan_full_every_s;  /* 0: no scheduled full scans */
    unsigned scan_quick_every_s; /* 0: no scheduled quick scans */
    unsigned scan_progress_s;
    char *scan_quarantine_dir; /* NULL: <data_dir>/quarantine */
    unsigned scan_quarantine_days;
};

/* Defaults; no allocation beyond the default data dir string. */
void agent_config_init(struct agent_config *c);
void agent_config_release(struct agent_config *c);

/* Apply the YAML file at path / an in-memory document over the current
 * values. Returns 0, or a negative code with err "<path>:<line>: <key>: ...". */
int agent_config_load_file(struct agent_config *c, const char *path, struct verr *err) WUR;
int agent_config_load_text(struct agent_config *c, const char *name, const char *text, size_t len,
                           struct verr *err) WUR;

/* Join data_dir and a file name into out. Returns 0 or -ENAMETOOLONG. */
int agent_path(const struct agent_config *c, const char *name, char *out, size_t out_size) WUR;

#endif
