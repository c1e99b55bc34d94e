/* vigil-agent configuration: YAML (libfyaml) into struct agent_config. */
#include "agent/config.h"

#include <libfyaml.h>
#include <stdio.h>
#include <string.h>

#include "base/file.h"
#include "base/str.h"
#include "conf/keys.h"

#define K(f)           CONF_FIELD(struct agent_config, f)
#define INT(f, lo, hi) CONF_INT(struct agent_config, f, lo, hi)
#define LIST(f, n)     CONF_LIST(struct agent_config, f, n, AGENT_MAX_LIST)

static const struct conf_key keys[] = {
    {"server.host", CONF_STR, K(server_host)},
    {"server.api_port", CONF_UINT, INT(api_port, 1, 65535)},
    {"server.ingest_port", CONF_UINT, INT(ingest_port, 1, 65535)},
    {"server.reconnect_max_seconds", CONF_UINT, INT(reconnect_max_s, 1, 3600)},
    {"data_dir", CONF_PATH, K(data_dir)},
    {"spool.max_bytes", CONF_BYTES, INT(spool_max_bytes, 1 << 20, (uint64_t)1 << 40)},
    {"logs.files", CONF_PATHS, LIST(log_files, n_log_files)},
    {"logs.max_line_bytes", CONF_BYTES, INT(max_line_bytes, 256, 1 << 20)},
    {"logs.poll_ms", CONF_UINT, INT(poll_ms, 10, 60000)},
    {"logs.journald", CONF_BOOL, K(journald)},
    {"fim.paths", CONF_PATHS, LIST(fim_paths, n_fim_paths)},
    {"fim.rescan_seconds", CONF_UINT, INT(fim_rescan_s, 1, 7 * 86400)},
    {"inventory.interval_seconds", CONF_UINT, INT(inventory_s, 10, 7 * 86400)},
    {"heartbeat_seconds", CONF_UINT, INT(heartbeat_s, 1, 3600)},
    {"batch_events", CONF_UINT, INT(batch_events, 1, 10000)},
    {"privsep.user", CONF_STR, K(user)},
    {"privsep.seccomp", CONF_BOOL, K(seccomp)},
    {"log.level", CONF_LEVEL, K(log_level)},
    {"scan.enabled", CONF_BOOL, K(scan_enabled)},
    {"scan.roots", CONF_PATHS, LIST(scan_roots, n_scan_roots)},
    {"scan.exclude", CONF_PATHS, LIST(scan_exclude, n_scan_exclude)},
    {"scan.max_file_bytes", CONF_BYTES, INT(scan_max_file_bytes, 4096, (uint64_t)1 << 30)},
    {"scan.threads", CONF_UINT, INT(scan_threads, 1, 64)},
    {"scan.one_file_system", CONF_BOOL, K(scan_one_file_system)},
    {"scan.full_every_seconds", CONF_UINT, INT(scan_full_every_s, 0, 366 * 86400)},
    {"scan.quick_every_seconds", CONF_UINT, INT(scan_quick_every_s, 0, 366 * 86400)},
    {"scan.progress_seconds", CONF_UINT, INT(scan_progress_s, 1, 3600)},
    {"scan.quarantine_dir", CONF_PATH, K(scan_quarantine_dir)},
    {"scan.quarantine_days", CONF_UINT, INT(scan_quarantine_days, 0, 3650)},
};

static const char *const sections[] = {"server",    "spool",   "logs", "fim",
                                       "inventory", "privsep", "log",  "scan"};

static const struct conf_table table = {keys, ARRAY_SIZE(keys), sections, ARRAY_SIZE(sections)};

void agent_config_init(struct agent_config *c)
{
    memset(c, 0, sizeof(*c));
    c->api_port = 8443;
    c->reconnect_max_s = 30;
    c->data_dir = xstrdup(AGENT_DEFAULT_DATA_DIR);
    c->spool_max_bytes = (uint64_t)256 << 20;
    c->max_line_bytes = 64 << 10;
    c->poll_ms = 250;
    c->journald = false;
    c->fim_rescan_s = 3600;
    c->inventory_s = 3600;
    c->heartbeat_s = 30;
    c->batch_events = 500;
    c->seccomp = true;
    c->log_level = LOG_LVL_INFO;
    c->scan_enabled = true;
    c->scan_max_file_bytes = (uint64_t)128 << 20;
    c->scan_threads = 1;
    c->scan_full_every_s = 7 * 86400;
    c->scan_quick_every_s = 86400;
    c->scan_progress_s = 30;
    c->scan_quarantine_days = 30;
}

void agent_config_release(struct agent_config *c)
{
    free(c->server_host);
    free(c->data_dir);
    free(c->user);
    conf_free_strs(c->log_files, c->n_log_files);
    conf_free_strs(c->fim_paths, c->n_fim_paths);
    conf_free_strs(c->scan_roots, c->n_scan_roots);
    conf_free_strs(c->scan_exclude, c->n_scan_exclude);
    free(c->scan_quarantine_dir);
    memset(c, 0, sizeof(*c));
}

int agent_path(const struct agent_config *c, const char *name, char *out, size_t out_size)
{
    int n = snprintf(out, out_size, "%s/%s", c->data_dir, name);
    return n < 0 || (size_t)n >= out_size ? -ENAMETOOLONG : 0;
}

int agent_config_load_text(struct agent_config *c, const char *name, const char *text, size_t len,
                           struct verr *err)
{
    return conf_load_text(c, &table, name, text, len, err);
}

int agent_config_load_file(struct agent_config *c, const char *path, struct verr *err)
{
    return conf_load_file(c, &table, path, err);
}
