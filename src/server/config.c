/* vigild configuration: YAML (libfyaml) into struct config. */
#include "server/config.h"

#include <libfyaml.h>
#include <string.h>

#include "base/addr.h"
#include "base/file.h"
#include "base/str.h"
#include "conf/keys.h"
#include "conf/yaml.h"
#include "wire/proto.h"

static int set_listen(void *obj, const struct conf_key *k, const char *file, int line,
                      struct fy_node *val, struct verr *err);
static int set_lang(void *obj, const struct conf_key *k, const char *file, int line,
                    struct fy_node *val, struct verr *err);
static int set_hosts(void *obj, const struct conf_key *k, const char *file, int line,
                     struct fy_node *val, struct verr *err);

#define K(f)           CONF_FIELD(struct config, f)
#define INT(f, lo, hi) CONF_INT(struct config, f, lo, hi)
#define SET(f, fn)     CONF_SET(struct config, f, fn)

static const struct conf_key keys[] = {
    {"listen", CONF_CUSTOM, SET(listen, set_listen)},
    {"data_dir", CONF_PATH, K(data_dir)},
    {"tls.cert", CONF_PATH, K(tls_cert)},
    {"tls.key", CONF_PATH, K(tls_key)},
    {"log.level", CONF_LEVEL, K(log_level)},
    {"lang", CONF_CUSTOM, SET(lang, set_lang)},
    {"limits.max_body_bytes", CONF_BYTES, INT(max_body_bytes, 1024, (uint64_t)4 << 30)},
    {"limits.max_json_bytes", CONF_BYTES, INT(max_json_bytes, 1024, (uint64_t)64 << 20)},
    {"limits.max_header_bytes", CONF_BYTES, INT(max_header_bytes, 1024, 1 << 20)},
    {"limits.max_connections", CONF_UINT, INT(max_connections, 1, 100000)},
    {"limits.timeout_seconds", CONF_UINT, INT(timeout_seconds, 1, 86400)},
    {"import.max_errors", CONF_UINT, INT(import.max_errors, 0, 100000000)},
    {"import.max_error_pct", CONF_UINT, INT(import.max_error_pct, 0, 100)},
    {"import.max_line_bytes", CONF_BYTES, INT(import.max_line, 64, 16 << 20)},
    {"import.max_indicators", CONF_UINT, INT(import.max_indicators, 1, 1000000000)},
    {"ingest.port", CONF_UINT, INT(ingest_port, 1, 65535)},
    {"ingest.hostnames", CONF_CUSTOM, SET(ingest_hostnames, set_hosts)},
    {"retention.level_days.1", CONF_UINT, INT(retention_days[1], 1, 36500)},
    {"retention.level_days.2", CONF_UINT, INT(retention_days[2], 1, 36500)},
    {"retention.level_days.3", CONF_UINT, INT(retention_days[3], 1, 36500)},
    {"retention.level_days.4", CONF_UINT, INT(retention_days[4], 1, 36500)},
    {"retention.level_days.5", CONF_UINT, INT(retention_days[5], 1, 36500)},
    {"retention.unassigned_days", CONF_UINT, INT(retention_days[0], 1, 36500)},
};

static const char *const sections[] = {
    "tls", "log", "limits", "import", "ingest", "retention", "retention.level_days"};

static const struct conf_table table = {keys, ARRAY_SIZE(keys), sections, ARRAY_SIZE(sections)};

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
    c->ingest_port = PROTO_DEFAULT_PORT;
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
    conf_free_strs(c->ingest_hostnames, c->n_ingest_hostnames);
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

static int set_listen(void *obj, const struct conf_key *k, const char *file, int line,
                      struct fy_node *val, struct verr *err)
{
    struct config *c = obj;
    char host[CONFIG_HOST_MAX];
    uint16_t port;
    size_t len;
    const char *v = conf_scalar(val, &len);

    if (!v)
        return verr_set(err, -EINVAL, "%s:%d: %s: expected a single value", file, line, k->name);
    char *s = xstrndup(v, len);
    if (config_parse_listen(s, host, &port) < 0) {
        int rc =
            verr_set(err, -EINVAL, "%s:%d: %s: expected ADDRESS:PORT with an IP address, got '%s'",
                     file, line, k->name, s);
        free(s);
        return rc;
    }
    free(c->listen);
    c->listen = s;
    return 0;
}

static int set_lang(void *obj, const struct conf_key *k, const char *file, int line,
                    struct fy_node *val, struct verr *err)
{
    struct config *c = obj;
    size_t len;
    const char *v = conf_scalar(val, &len);

    if (v && len == 2 && memcmp(v, "vi", 2) == 0)
        c->lang = LANG_VI;
    else if (v && len == 2 && memcmp(v, "en", 2) == 0)
        c->lang = LANG_EN;
    else
        return verr_set(err, -EINVAL, "%s:%d: %s: expected vi or en, got '%.*s'", file, line,
                        k->name, v ? (int)MIN(len, 64) : 0, v ? v : "");
    c->lang_set = true;
    return 0;
}

/* ingest.hostnames: a sequence of host names or addresses (or one). */
static int set_hosts(void *obj, const struct conf_key *k, const char *file, int line,
                     struct fy_node *val, struct verr *err)
{
    struct config *c = obj;
    bool seq = val && fy_node_get_type(val) == FYNT_SEQUENCE;
    int n = seq ? fy_node_sequence_item_count(val) : 1;
    if (!val || (!seq && fy_node_get_type(val) != FYNT_SCALAR) || n < 0 ||
        n > CONFIG_INGEST_HOSTS_MAX)
        return verr_set(err, -EINVAL, "%s:%d: %s: expected a list of at most %d host names", file,
                        line, k->name, CONFIG_INGEST_HOSTS_MAX);
    char **hosts = n ? xcalloc((size_t)n, sizeof(*hosts)) : NULL;
    for (int i = 0; i < n; i++) {
        struct fy_node *item = seq ? fy_node_sequence_get_by_index(val, i) : val;
        size_t len = 0;
        const char *v = conf_scalar(item, &len);
        if (!v || len > 253 || memchr(v, ',', len)) {
            conf_free_strs(hosts, (size_t)i);
            return verr_set(err, -EINVAL, "%s:%d: %s: item %d is not a host name or address", file,
                            line, k->name, i + 1);
        }
        hosts[i] = xstrndup(v, len);
    }
    conf_free_strs(c->ingest_hostnames, c->n_ingest_hostnames);
    c->ingest_hostnames = hosts;
    c->n_ingest_hostnames = (size_t)n;
    return 0;
}

int config_load_text(struct config *c, const char *name, const char *text, size_t len,
                     struct verr *err)
{
    int rc = conf_load_text(c, &table, name, text, len, err);

    if (rc == 0 && ((c->tls_cert == NULL) != (c->tls_key == NULL)))
        rc = verr_set(err, -EINVAL, "%s: tls.cert and tls.key must be given together", name);
    if (rc == 0 && c->max_json_bytes > c->max_body_bytes)
        rc = verr_set(err, -EINVAL,
                      "%s: limits.max_json_bytes must not exceed limits.max_body_bytes", name);
    return rc;
}

int config_load_file(struct config *c, const char *path, struct verr *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = yaml_read_file(path, CONF_FILE_MAX, &text, &len, err);

    if (rc == 0)
        rc = config_load_text(c, path, text, len, err);
    free(text);
    return rc;
}
