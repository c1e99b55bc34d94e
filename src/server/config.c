/* vigild configuration: YAML (libfyaml) into struct config. */
#include "server/config.h"

#include <libfyaml.h>
#include <string.h>

#include "base/addr.h"
#include "base/file.h"
#include "base/str.h"
#include "conf/yaml.h"

#define CONFIG_FILE_MAX (1u << 20)

enum key_kind { K_STR, K_PATH, K_LISTEN, K_BYTES, K_UINT, K_LEVEL, K_LANG, K_HOSTS };

struct key {
    const char *name; /* dotted path */
    enum key_kind kind;
    size_t off; /* into struct config */
    uint64_t min, max;
    uint8_t width; /* sizeof the integer field */
};

#define FIELD(f)       offsetof(struct config, f), 0, 0, 0
#define INT(f, lo, hi) offsetof(struct config, f), (lo), (hi), sizeof(((struct config *)0)->f)

static const struct key keys[] = {
    {"listen", K_LISTEN, FIELD(listen)},
    {"data_dir", K_PATH, FIELD(data_dir)},
    {"tls.cert", K_PATH, FIELD(tls_cert)},
    {"tls.key", K_PATH, FIELD(tls_key)},
    {"log.level", K_LEVEL, FIELD(log_level)},
    {"lang", K_LANG, FIELD(lang)},
    {"limits.max_body_bytes", K_BYTES, INT(max_body_bytes, 1024, (uint64_t)4 << 30)},
    {"limits.max_json_bytes", K_BYTES, INT(max_json_bytes, 1024, (uint64_t)64 << 20)},
    {"limits.max_header_bytes", K_BYTES, INT(max_header_bytes, 1024, 1 << 20)},
    {"limits.max_connections", K_UINT, INT(max_connections, 1, 100000)},
    {"limits.timeout_seconds", K_UINT, INT(timeout_seconds, 1, 86400)},
    {"import.max_errors", K_UINT, INT(import.max_errors, 0, 100000000)},
    {"import.max_error_pct", K_UINT, INT(import.max_error_pct, 0, 100)},
    {"import.max_line_bytes", K_BYTES, INT(import.max_line, 64, 16 << 20)},
    {"import.max_indicators", K_UINT, INT(import.max_indicators, 1, 1000000000)},
    {"ingest.port", K_UINT, INT(ingest_port, 1, 65535)},
    {"ingest.hostnames", K_HOSTS, FIELD(ingest_hostnames)},
    {"retention.level_days.1", K_UINT, INT(retention_days[1], 1, 36500)},
    {"retention.level_days.2", K_UINT, INT(retention_days[2], 1, 36500)},
    {"retention.level_days.3", K_UINT, INT(retention_days[3], 1, 36500)},
    {"retention.level_days.4", K_UINT, INT(retention_days[4], 1, 36500)},
    {"retention.level_days.5", K_UINT, INT(retention_days[5], 1, 36500)},
    {"retention.unassigned_days", K_UINT, INT(retention_days[0], 1, 36500)},
};

static const char *const sections[] = {
    "tls", "log", "limits", "import", "ingest", "retention", "retention.level_days"};

void config_init(struct config *c)
{
    memset(c, 0, sizeof(*c));
    c->listen = xstrdup(CONFIG_DEFAULT_LISTEN);
    c->data_dir = xstrdup(CONFIG_DEFAULT_DATA_DIR);
    c->log_level = LOG_LVL_INFO;
    c->lang = LANG_VI;
    c->max_body_bytes = (size_t)256 << 20;
    c->max_json_bytes = (size_t)1 << 20;
    c->max_header_bytes = 16384;
    c->max_connections = 256;
    c->timeout_seconds = 60;
    feed_opts_init(&c->import);
    c->ingest_port = CONFIG_DEFAULT_INGEST_PORT;
    /* 30 days below level 3, 90 from level 3; agents in no system: 90. */
    for (int l = 0; l <= 5; l++)
        c->retention_days[l] = l == 1 || l == 2 ? 30 : 90;
}

void config_release(struct config *c)
{
    free(c->listen);
    free(c->data_dir);
    free(c->tls_cert);
    free(c->tls_key);
    for (size_t i = 0; i < c->n_ingest_hostnames; i++)
        free(c->ingest_hostnames[i]);
    free(c->ingest_hostnames);
    memset(c, 0, sizeof(*c));
}

void config_set_str(char **slot, const char *value)
{
    free(*slot);
    *slot = value ? xstrdup(value) : NULL;
}

int config_parse_listen(const char *s, char host[static CONFIG_HOST_MAX], uint16_t *ret_port)
{
    const char *colon, *h;
    size_t hlen;
    struct ip_addr a;
    uint64_t port;

    if (!s)
        return -EINVAL;
    colon = strrchr(s, ':');
    if (!colon || colon == s)
        return -EINVAL;
    h = s;
    hlen = (size_t)(colon - s);
    if (h[0] == '[') {
        if (hlen < 3 || h[hlen - 1] != ']')
            return -EINVAL;
        h++;
        hlen -= 2;
        if (ip6_parse(h, hlen, &a) != ADDR_OK)
            return -EINVAL;
    } else if (ip4_parse(h, hlen, &a.v4) != ADDR_OK) {
        return -EINVAL;
    }
    if (hlen >= CONFIG_HOST_MAX)
        return -EINVAL;
    if (str_to_u64(colon + 1, strlen(colon + 1), 65535, &port) < 0 || port == 0)
        return -EINVAL;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *ret_port = (uint16_t)port;
    return 0;
}

/* "1048576", "64KiB", "256MiB", "1GiB". */
static int parse_bytes(const char *p, size_t len, uint64_t max, uint64_t *ret)
{
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {{"KiB", 10}, {"MiB", 20}, {"GiB", 30}};
    unsigned shift = 0;
    uint64_t v;

    for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
        size_t sl = strlen(units[i].suffix);
        if (len > sl && memcmp(p + len - sl, units[i].suffix, sl) == 0) {
            shift = units[i].shift;
            len -= sl;
            break;
        }
    }
    if (str_to_u64(p, len, max >> shift, &v) < 0)
        return -EINVAL;
    *ret = v << shift;
    return 0;
}

static void store_uint(void *field, uint8_t width, uint64_t v)
{
    if (width == sizeof(uint64_t)) {
        uint64_t x = v;
        memcpy(field, &x, sizeof(x));
    } else {
        unsigned x = (unsigned)v;
        memcpy(field, &x, sizeof(x));
    }
}

/* ingest.hostnames: a sequence of host names or addresses (or one). */
static int set_hosts(struct config *c, const char *name, const struct key *k, int line,
                     struct fy_node *val, struct verr *err)
{
    bool seq = val && fy_node_get_type(val) == FYNT_SEQUENCE;
    int n = seq ? fy_node_sequence_item_count(val) : 1;
    if (!val || (!seq && fy_node_get_type(val) != FYNT_SCALAR) || n < 0 ||
        n > CONFIG_INGEST_HOSTS_MAX)
        return verr_set(err, -EINVAL, "%s:%d: %s: expected a list of at most %d host names", name,
                        line, k->name, CONFIG_INGEST_HOSTS_MAX);
    char **hosts = n ? xcalloc((size_t)n, sizeof(*hosts)) : NULL;
    for (int i = 0; i < n; i++) {
        struct fy_node *item = seq ? fy_node_sequence_get_by_index(val, i) : val;
        size_t len = 0;
        const char *v =
            item && fy_node_get_type(item) == FYNT_SCALAR ? fy_node_get_scalar(item, &len) : NULL;
        if (!v || len == 0 || len > 253 || memchr(v, '\0', len) || memchr(v, ',', len)) {
            for (int j = 0; j < i; j++)
                free(hosts[j]);
            free(hosts);
            return verr_set(err, -EINVAL, "%s:%d: %s: item %d is not a host name or address", name,
                            line, k->name, i + 1);
        }
        hosts[i] = xstrndup(v, len);
    }
    for (size_t i = 0; i < c->n_ingest_hostnames; i++)
        free(c->ingest_hostnames[i]);
    free(c->ingest_hostnames);
    c->ingest_hostnames = hosts;
    c->n_ingest_hostnames = (size_t)n;
    return 0;
}

static int set_value(struct config *c, const char *name, const struct key *k, struct fy_node *key,
                     struct fy_node *val, struct verr *err)
{
    const char *v;
    size_t len;
    int line = yaml_node_line(key);
    void *field = (char *)c + k->off;
    char *s;

    if (k->kind == K_HOSTS)
        return set_hosts(c, name, k, line, val, err);
    if (!val || fy_node_get_type(val) != FYNT_SCALAR || fy_node_get_style(val) == FYNS_ALIAS)
        return verr_set(err, -EINVAL, "%s:%d: %s: expected a single value", name, line, k->name);
    v = fy_node_get_scalar(val, &len);
    if (!v || len == 0 || fy_node_is_null(val))
        return verr_set(err, -EINVAL, "%s:%d: %s: expected a single value", name, line, k->name);
    if (len > 4096 || memchr(v, '\0', len))
        return verr_set(err, -EINVAL, "%s:%d: %s: value too long or not text", name, line, k->name);

    switch (k->kind) {
    case K_STR:
    case K_PATH:
        s = xstrndup(v, len);
        if (k->kind == K_PATH && s[0] != '/') {
            free(s);
            return verr_set(err, -EINVAL, "%s:%d: %s: must be an absolute path", name, line,
                            k->name);
        }
        free(*(char **)field);
        *(char **)field = s;
        return 0;
    case K_LISTEN: {
        char host[CONFIG_HOST_MAX];
        uint16_t port;
        s = xstrndup(v, len);
        if (config_parse_listen(s, host, &port) < 0) {
            int rc = verr_set(err, -EINVAL,
                              "%s:%d: %s: expected ADDRESS:PORT with an IP address, got '%s'", name,
                              line, k->name, s);
            free(s);
            return rc;
        }
        free(*(char **)field);
        *(char **)field = s;
        return 0;
    }
    case K_BYTES:
    case K_UINT: {
        uint64_t n;
        int rc =
            k->kind == K_BYTES ? parse_bytes(v, len, k->max, &n) : str_to_u64(v, len, k->max, &n);
        if (rc < 0 || n < k->min || n > k->max)
            return verr_set(err, -EINVAL,
                            "%s:%d: %s: expected a whole number from %llu to %llu, got '%.*s'",
                            name, line, k->name, (unsigned long long)k->min,
                            (unsigned long long)k->max, (int)MIN(len, 64), v);
        store_uint(field, k->width, n);
        return 0;
    }
    case K_LEVEL: {
        enum log_level l;
        s = xstrndup(v, len);
        if (log_parse_level(s, &l) < 0) {
            int rc =
                verr_set(err, -EINVAL, "%s:%d: %s: expected debug, info, warn or error, got '%s'",
                         name, line, k->name, s);
            free(s);
            return rc;
        }
        free(s);
        c->log_level = l;
        return 0;
    }
    case K_LANG:
        if (len == 2 && memcmp(v, "vi", 2) == 0)
            c->lang = LANG_VI;
        else if (len == 2 && memcmp(v, "en", 2) == 0)
            c->lang = LANG_EN;
        else
            return verr_set(err, -EINVAL, "%s:%d: %s: expected vi or en, got '%.*s'", name, line,
                            k->name, (int)MIN(len, 64), v);
        c->lang_set = true;
        return 0;
    case K_HOSTS:
        break;
    }
    return -EINVAL;
}

static int walk(struct config *c, const char *name, struct fy_node *map, const char *prefix,
                struct verr *err)
{
    void *it = NULL;
    struct fy_node_pair *pair;

    while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
        struct fy_node *key = fy_node_pair_key(pair);
        struct fy_node *val = fy_node_pair_value(pair);
        const char *ks;
        size_t klen;
        char full[128];
        int n, line = yaml_node_line(key);
        bool is_section = false;

        if (!key || fy_node_get_type(key) != FYNT_SCALAR || !(ks = fy_node_get_scalar(key, &klen)))
            return verr_set(err, -EINVAL, "%s:%d: keys must be plain names", name, line);
        n = snprintf(full, sizeof(full), "%s%s%.*s", prefix, *prefix ? "." : "", (int)klen, ks);
        if (n < 0 || (size_t)n >= sizeof(full) || klen > 64)
            return verr_set(err, -EINVAL, "%s:%d: key too long", name, line);

        for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
            if (strcmp(full, sections[i]) == 0)
                is_section = true;
        if (is_section) {
            if (!val || fy_node_get_type(val) != FYNT_MAPPING)
                return verr_set(err, -EINVAL, "%s:%d: %s: expected a mapping of keys", name, line,
                                full);
            int rc = walk(c, name, val, full, err);
            if (rc < 0)
                return rc;
            continue;
        }
        const struct key *k = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
            if (strcmp(full, keys[i].name) == 0)
                k = &keys[i];
        if (!k)
            return verr_set(err, -EINVAL, "%s:%d: unknown key '%s'", name, line, full);
        int rc = set_value(c, name, k, key, val, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The first error libfyaml reports: "<input>:LINE:COL: error: MESSAGE". */

int config_load_text(struct config *c, const char *name, const char *text, size_t len,
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
    if (rc == 0 && ((c->tls_cert == NULL) != (c->tls_key == NULL)))
        rc = verr_set(err, -EINVAL, "%s: tls.cert and tls.key must be given together", name);
    if (rc == 0 && c->max_json_bytes > c->max_body_bytes)
        rc = verr_set(err, -EINVAL,
                      "%s: limits.max_json_bytes must not exceed limits.max_body_bytes", name);
    fy_document_destroy(doc);
    return rc;
}

int config_load_file(struct config *c, const char *path, struct verr *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = yaml_read_file(path, CONFIG_FILE_MAX, &text, &len, err);

    if (rc == 0)
        rc = config_load_text(c, path, text, len, err);
    free(text);
    return rc;
}
