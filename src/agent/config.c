/* vigil-agent configuration: YAML (libfyaml) into struct agent_config. */
#include "agent/config.h"

#include <libfyaml.h>
#include <stdio.h>
#include <string.h>

#include "base/file.h"
#include "base/str.h"
#include "conf/yaml.h"

#define CONFIG_FILE_MAX (1u << 20)

enum key_kind { K_STR, K_PATH, K_BYTES, K_UINT, K_BOOL, K_LIST, K_LEVEL };

struct key {
    const char *name; /* dotted path */
    enum key_kind kind;
    size_t off;       /* into struct agent_config */
    size_t count_off; /* K_LIST: the size_t count */
    uint64_t min, max;
    uint8_t width;
};

#define CF(f)          offsetof(struct agent_config, f)
#define FIELD(f)       CF(f), 0, 0, 0, 0
#define LIST(f, n)     CF(f), CF(n), 0, 0, 0
#define INT(f, lo, hi) CF(f), 0, (lo), (hi), sizeof(((struct agent_config *)0)->f)

static const struct key keys[] = {
    {"server.host", K_STR, FIELD(server_host)},
    {"server.api_port", K_UINT, INT(api_port, 1, 65535)},
    {"server.ingest_port", K_UINT, INT(ingest_port, 1, 65535)},
    {"server.reconnect_max_seconds", K_UINT, INT(reconnect_max_s, 1, 3600)},
    {"data_dir", K_PATH, FIELD(data_dir)},
    {"spool.max_bytes", K_BYTES, INT(spool_max_bytes, 1 << 20, (uint64_t)1 << 40)},
    {"logs.files", K_LIST, LIST(log_files, n_log_files)},
    {"logs.max_line_bytes", K_BYTES, INT(max_line_bytes, 256, 1 << 20)},
    {"logs.poll_ms", K_UINT, INT(poll_ms, 10, 60000)},
    {"logs.journald", K_BOOL, FIELD(journald)},
    {"fim.paths", K_LIST, LIST(fim_paths, n_fim_paths)},
    {"fim.rescan_seconds", K_UINT, INT(fim_rescan_s, 1, 7 * 86400)},
    {"inventory.interval_seconds", K_UINT, INT(inventory_s, 10, 7 * 86400)},
    {"heartbeat_seconds", K_UINT, INT(heartbeat_s, 1, 3600)},
    {"batch_events", K_UINT, INT(batch_events, 1, 10000)},
    {"privsep.user", K_STR, FIELD(user)},
    {"privsep.seccomp", K_BOOL, FIELD(seccomp)},
    {"log.level", K_LEVEL, FIELD(log_level)},
    {"scan.enabled", K_BOOL, FIELD(scan_enabled)},
    {"scan.roots", K_LIST, LIST(scan_roots, n_scan_roots)},
    {"scan.exclude", K_LIST, LIST(scan_exclude, n_scan_exclude)},
    {"scan.max_file_bytes", K_BYTES, INT(scan_max_file_bytes, 4096, (uint64_t)1 << 30)},
    {"scan.threads", K_UINT, INT(scan_threads, 1, 64)},
    {"scan.one_file_system", K_BOOL, FIELD(scan_one_file_system)},
    {"scan.full_every_seconds", K_UINT, INT(scan_full_every_s, 0, 366 * 86400)},
    {"scan.quick_every_seconds", K_UINT, INT(scan_quick_every_s, 0, 366 * 86400)},
    {"scan.progress_seconds", K_UINT, INT(scan_progress_s, 1, 3600)},
    {"scan.quarantine_dir", K_PATH, FIELD(scan_quarantine_dir)},
    {"scan.quarantine_days", K_UINT, INT(scan_quarantine_days, 0, 3650)},
};

static const char *const sections[] = {"server",    "spool",   "logs", "fim",
                                       "inventory", "privsep", "log",  "scan"};

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

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void agent_config_release(struct agent_config *c)
{
    free(c->server_host);
    free(c->data_dir);
    free(c->user);
    free_list(c->log_files, c->n_log_files);
    free_list(c->fim_paths, c->n_fim_paths);
    free_list(c->scan_roots, c->n_scan_roots);
    free_list(c->scan_exclude, c->n_scan_exclude);
    free(c->scan_quarantine_dir);
    memset(c, 0, sizeof(*c));
}

int agent_path(const struct agent_config *c, const char *name, char *out, size_t out_size)
{
    int n = snprintf(out, out_size, "%s/%s", c->data_dir, name);
    return n < 0 || (size_t)n >= out_size ? -ENAMETOOLONG : 0;
}

/* The scalar text of n, bounded; NULL when n is not a plain value. */
static const char *scalar(struct fy_node *n, size_t *len)
{
    const char *v;

    if (!n || fy_node_get_type(n) != FYNT_SCALAR || fy_node_get_style(n) == FYNS_ALIAS ||
        fy_node_is_null(n))
        return NULL;
    v = fy_node_get_scalar(n, len);
    if (!v || *len == 0 || *len > 4096 || memchr(v, '\0', *len))
        return NULL;
    return v;
}

static int set_list(struct agent_config *c, const char *name, int line, const struct key *k,
                    struct fy_node *val, struct verr *err)
{
    char ***slot = (char ***)((char *)c + k->off);
    size_t *count = (size_t *)((char *)c + k->count_off);
    void *it = NULL;
    struct fy_node *item;
    char **v;
    size_t n = 0;

    if (!val || fy_node_get_type(val) != FYNT_SEQUENCE)
        return verr_set(err, -EINVAL, "%s:%d: %s: expected a list of absolute paths", name, line,
                        k->name);
    if (fy_node_sequence_item_count(val) > AGENT_MAX_LIST)
        return verr_set(err, -E2BIG, "%s:%d: %s: more than %u entries", name, line, k->name,
                        AGENT_MAX_LIST);
    v = xcalloc(AGENT_MAX_LIST, sizeof(*v));
    while ((item = fy_node_sequence_iterate(val, &it)) != NULL) {
        size_t len;
        const char *s = scalar(item, &len);
        if (!s || s[0] != '/') {
            free_list(v, n);
            return verr_set(err, -EINVAL, "%s:%d: %s: expected a list of absolute paths", name,
                            yaml_node_line(item), k->name);
        }
        v[n++] = xstrndup(s, len);
    }
    free_list(*slot, *count);
    *slot = v;
    *count = n;
    return 0;
}

static int set_value(struct agent_config *c, const char *name, const struct key *k,
                     struct fy_node *key, struct fy_node *val, struct verr *err)
{
    int line = yaml_node_line(key);
    void *field = (char *)c + k->off;
    const char *v;
    size_t len;
    uint64_t n;
    int rc;

    if (k->kind == K_LIST)
        return set_list(c, name, line, k, val, err);
    if (!(v = scalar(val, &len)))
        return verr_set(err, -EINVAL, "%s:%d: %s: expected a single value", name, line, k->name);

    switch (k->kind) {
    case K_STR:
    case K_PATH:
        if (k->kind == K_PATH && v[0] != '/')
            return verr_set(err, -EINVAL, "%s:%d: %s: must be an absolute path", name, line,
                            k->name);
        free(*(char **)field);
        *(char **)field = xstrndup(v, len);
        return 0;
    case K_BYTES:
    case K_UINT:
        rc = k->kind == K_BYTES ? str_to_bytes(v, len, k->max, &n) : str_to_u64(v, len, k->max, &n);
        if (rc < 0 || n < k->min || n > k->max)
            return verr_set(err, -EINVAL,
                            "%s:%d: %s: expected a whole number from %llu to %llu, got '%.*s'",
                            name, line, k->name, (unsigned long long)k->min,
                            (unsigned long long)k->max, (int)MIN(len, 64), v);
        if (k->width == sizeof(uint64_t))
            memcpy(field, &n, sizeof(n));
        else {
            unsigned u = (unsigned)n;
            memcpy(field, &u, sizeof(u));
        }
        return 0;
    case K_BOOL:
        if (str_ieq(v, len, "true") || str_ieq(v, len, "yes") || str_ieq(v, len, "on"))
            *(bool *)field = true;
        else if (str_ieq(v, len, "false") || str_ieq(v, len, "no") || str_ieq(v, len, "off"))
            *(bool *)field = false;
        else
            return verr_set(err, -EINVAL, "%s:%d: %s: expected true or false, got '%.*s'", name,
                            line, k->name, (int)MIN(len, 64), v);
        return 0;
    case K_LEVEL: {
        char *s = xstrndup(v, len);
        rc = log_parse_level(s, &c->log_level);
        free(s);
        if (rc < 0)
            return verr_set(err, -EINVAL,
                            "%s:%d: %s: expected debug, info, warn or error, got '%.*s'", name,
                            line, k->name, (int)MIN(len, 64), v);
        return 0;
    }
    case K_LIST:
        break;
    }
    return -EINVAL;
}

static int walk(struct agent_config *c, const char *name, struct fy_node *map, const char *prefix,
                struct verr *err)
{
    void *it = NULL;
    struct fy_node_pair *pair;

    while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
        struct fy_node *key = fy_node_pair_key(pair);
        struct fy_node *val = fy_node_pair_value(pair);
        const struct key *k = NULL;
        const char *ks;
        size_t klen;
        char full[128];
        int n, rc, line = yaml_node_line(key);
        bool is_section = false;

        if (!(ks = scalar(key, &klen)))
            return verr_set(err, -EINVAL, "%s:%d: keys must be plain names", name, line);
        n = snprintf(full, sizeof(full), "%s%s%.*s", prefix, *prefix ? "." : "", (int)klen, ks);
        if (n < 0 || (size_t)n >= sizeof(full) || klen > 64)
            return verr_set(err, -EINVAL, "%s:%d: key too long", name, line);
        for (size_t i = 0; !*prefix && i < ARRAY_SIZE(sections); i++)
            if (strcmp(full, sections[i]) == 0)
                is_section = true;
        if (is_section) {
            if (!val || fy_node_get_type(val) != FYNT_MAPPING)
                return verr_set(err, -EINVAL, "%s:%d: %s: expected a mapping of keys", name, line,
                                full);
            if ((rc = walk(c, name, val, full, err)) < 0)
                return rc;
            continue;
        }
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
            if (strcmp(full, keys[i].name) == 0)
                k = &keys[i];
        if (!k)
            return verr_set(err, -EINVAL, "%s:%d: unknown key '%s'", name, line, full);
        if ((rc = set_value(c, name, k, key, val, err)) < 0)
            return rc;
    }
    return 0;
}

int agent_config_load_text(struct agent_config *c, const char *name, const char *text, size_t len,
                           struct verr *err)
{
    struct fy_document *doc = NULL;
    int rc = yaml_parse(name, text, len, &doc, err);

    if (rc < 0 || !doc)
        return rc;
    struct fy_node *root = fy_document_root(doc);
    if (root && !fy_node_is_null(root)) {
        if (fy_node_get_type(root) != FYNT_MAPPING)
            rc = verr_set(err, -EINVAL, "%s:1: the configuration must be a mapping of keys", name);
        else
            rc = walk(c, name, root, "", err);
    }
    fy_document_destroy(doc);
    return rc;
}

int agent_config_load_file(struct agent_config *c, const char *path, struct verr *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = yaml_read_file(path, CONFIG_FILE_MAX, &text, &len, err);

    if (rc == 0)
        rc = agent_config_load_text(c, path, text, len, err);
    free(text);
    return rc;
}
