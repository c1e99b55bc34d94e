/* vigil-sensor configuration: YAML (libfyaml) into struct sensor_config. */
#include "sensor/config.h"

#include <libfyaml.h>
#include <string.h>

#include "base/addr.h"
#include "base/file.h"
#include "base/str.h"
#include "conf/yaml.h"
#include "sensor/input.h"

#define SENSOR_CONFIG_MAX (1u << 20)
#define SEQ_MAX           4096 /* items in one sequence */
#define VALUE_MAX         4096

/* Where we are: the file name and the dotted key being read. */
struct ctx {
    struct sensor_config *c;
    const char *file;
    struct verr *err;
};

/* 1-based line of a node: of its scalar, or of its first scalar inside. */

static int fail(struct ctx *x, struct fy_node *n, const char *key, const char *why)
{
    return verr_set(x->err, -EINVAL, "%s:%d: %s: %s", x->file, yaml_node_line(n), key, why);
}

/* The node as text; NULL (and err set) unless a non-empty plain scalar. */
static const char *text_of(struct ctx *x, struct fy_node *n, const char *key, size_t *ret_len)
{
    const char *v;

    if (!n || fy_node_get_type(n) != FYNT_SCALAR || fy_node_is_null(n) ||
        !(v = fy_node_get_scalar(n, ret_len)) || *ret_len == 0) {
        fail(x, n, key, "expected a single value");
        return NULL;
    }
    if (*ret_len > VALUE_MAX || memchr(v, '\0', *ret_len)) {
        fail(x, n, key, "value too long or not text");
        return NULL;
    }
    return v;
}

static int get_str(struct ctx *x, struct fy_node *n, const char *key, char **slot)
{
    size_t len;
    const char *v = text_of(x, n, key, &len);
    if (!v)
        return -EINVAL;
    free(*slot);
    *slot = xstrndup(v, len);
    return 0;
}

static int get_path(struct ctx *x, struct fy_node *n, const char *key, char **slot, bool dash_ok)
{
    int rc = get_str(x, n, key, slot);
    if (rc == 0 && (*slot)[0] != '/' && !(dash_ok && strcmp(*slot, "-") == 0))
        return fail(x, n, key,
                    dash_ok ? "must be an absolute path or -" : "must be an absolute path");
    return rc;
}

static int get_uint(struct ctx *x, struct fy_node *n, const char *key, uint64_t lo, uint64_t hi,
                    uint64_t *ret)
{
    size_t len;
    const char *v = text_of(x, n, key, &len);
    uint64_t u;
    char why[96];

    if (!v)
        return -EINVAL;
    if (str_to_u64(v, len, hi, &u) < 0 || u < lo) {
        snprintf(why, sizeof(why), "expected a whole number from %llu to %llu",
                 (unsigned long long)lo, (unsigned long long)hi);
        return fail(x, n, key, why);
    }
    *ret = u;
    return 0;
}

static int get_unsigned(struct ctx *x, struct fy_node *n, const char *key, unsigned lo, unsigned hi,
                        unsigned *ret)
{
    uint64_t u;
    int rc = get_uint(x, n, key, lo, hi, &u);
    if (rc == 0)
        *ret = (unsigned)u;
    return rc;
}

static int get_bool(struct ctx *x, struct fy_node *n, const char *key, bool *ret)
{
    size_t len;
    const char *v = text_of(x, n, key, &len);

    if (!v)
        return -EINVAL;
    if (str_ieq(v, len, "true") || str_ieq(v, len, "yes") || str_ieq(v, len, "on"))
        *ret = true;
    else if (str_ieq(v, len, "false") || str_ieq(v, len, "no") || str_ieq(v, len, "off"))
        *ret = false;
    else
        return fail(x, n, key, "expected true or false");
    return 0;
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

int sensor_parse_utc_offset(const char *s, size_t len, int32_t *ret)
{
    int sign = 1;
    uint64_t h = 0, m = 0;
    const char *colon;

    if (str_ieq(s, len, "Z") || str_ieq(s, len, "UTC")) {
        *ret = 0;
        return 0;
    }
    if (len && (s[0] == '+' || s[0] == '-')) {
        sign = s[0] == '-' ? -1 : 1;
        s++;
        len--;
    }
    colon = memchr(s, ':', len);
    if (colon) { /* H:MM or HH:MM */
        size_t hl = (size_t)(colon - s);
        if (hl < 1 || hl > 2 || len - hl - 1 != 2 || !digits(s, hl) || !digits(colon + 1, 2))
            return -EINVAL;
        (void)!str_to_u64(s, hl, 99, &h);
        (void)!str_to_u64(colon + 1, 2, 99, &m);
    } else if (len == 4 && digits(s, 4)) { /* HHMM */
        (void)!str_to_u64(s, 2, 99, &h);
        (void)!str_to_u64(s + 2, 2, 99, &m);
    } else if ((len == 1 || len == 2) && digits(s, len)) { /* whole hours */
        (void)!str_to_u64(s, len, 99, &h);
    } else {
        return -EINVAL;
    }
    if (m >= 60 || h * 60 + m > (sign < 0 ? 12u * 60 : 14u * 60))
        return -EINVAL;
    *ret = sign * (int32_t)(h * 3600 + m * 60);
    return 0;
}

static int get_offset(struct ctx *x, struct fy_node *n, const char *key, int32_t *ret)
{
    size_t len;
    const char *v = text_of(x, n, key, &len);

    if (!v)
        return -EINVAL;
    if (sensor_parse_utc_offset(v, len, ret) < 0)
        return fail(x, n, key, "expected an offset from UTC such as +07:00 (-12:00 to +14:00)");
    return 0;
}

/* Iterate a mapping: fn(x, key text, key node, value node). */
typedef int (*pair_fn)(struct ctx *x, const char *path, const char *k, struct fy_node *kn,
                       struct fy_node *v, void *arg);

static int each_pair(struct ctx *x, struct fy_node *map, const char *path, pair_fn fn, void *arg)
{
    void *it = NULL;
    struct fy_node_pair *pair;

    if (!map || fy_node_get_type(map) != FYNT_MAPPING)
        return fail(x, map, path, "expected a mapping of keys");
    while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
        struct fy_node *kn = fy_node_pair_key(pair);
        const char *ks;
        size_t kl;
        char full[160];
        int n;

        if (!kn || fy_node_get_type(kn) != FYNT_SCALAR || !(ks = fy_node_get_scalar(kn, &kl)) ||
            kl == 0 || kl > 64)
            return fail(x, kn, path, "keys must be plain names");
        n = snprintf(full, sizeof(full), "%s%s%.*s", path, *path ? "." : "", (int)kl, ks);
        if (n < 0 || (size_t)n >= sizeof(full))
            return fail(x, kn, path, "key too long");
        int rc = fn(x, full, full + strlen(full) - kl, kn, fy_node_pair_value(pair), arg);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int unknown(struct ctx *x, struct fy_node *kn, const char *full)
{
    return verr_set(x->err, -EINVAL, "%s:%d: unknown key '%s'", x->file, yaml_node_line(kn), full);
}

/* ---- lists[i] ---- */

static int list_pair(struct ctx *x, const char *full, const char *k, struct fy_node *kn,
                     struct fy_node *v, void *arg)
{
    struct list_spec *l = arg;

    if (strcmp(k, "name") == 0) {
        int rc = get_str(x, v, full, &l->name);
        if (rc == 0 && !sensor_name_ok(l->name))
            return fail(x, v, full, "expected a name of letters, digits, '.', '_' or '-'");
        return rc;
    }
    if (strcmp(k, "provider") == 0)
        return get_str(x, v, full, &l->provider);
    if (strcmp(k, "file") == 0)
        return get_path(x, v, full, &l->file, false);
    if (strcmp(k, "vigild_feed") == 0) {
        int rc = get_str(x, v, full, &l->feed);
        if (rc == 0 && !sensor_name_ok(l->feed))
            return fail(x, v, full, "expected a feed name");
        return rc;
    }
    if (strcmp(k, "format") == 0) {
        char *s = NULL;
        int rc = get_str(x, v, full, &s);
        if (rc == 0 && feed_format_parse(s, &l->format) < 0)
            rc = fail(x, v, full, "expected auto, text, csv, drop, feodo, stix, hashes or domains");
        free(s);
        return rc;
    }
    return unknown(x, kn, full);
}

/* ---- inputs.files[i] ---- */

static int file_pair(struct ctx *x, const char *full, const char *k, struct fy_node *kn,
                     struct fy_node *v, void *arg)
{
    struct file_spec *f = arg;

    if (strcmp(k, "path") == 0)
        return get_path(x, v, full, &f->path, false);
    if (strcmp(k, "follow") == 0)
        return get_bool(x, v, full, &f->follow);
    if (strcmp(k, "format") == 0) {
        char *s = NULL;
        enum input_format in;
        int rc = get_str(x, v, full, &s);
        if (rc == 0 && strcmp(s, "text") == 0)
            f->format = FILE_FORMAT_TEXT;
        else if (rc == 0 && input_format_parse(s, &in) == 0)
            f->format = (int)in;
        else if (rc == 0)
            rc = fail(x, v, full, "expected text, firewall, eve, nfdump-csv, bind or unbound");
        free(s);
        return rc;
    }
    return unknown(x, kn, full);
}

/* A sequence of mappings (lists, inputs.files), each read by fn into a
 * new zeroed item of item_size appended through push. */
static int each_item(struct ctx *x, struct fy_node *seq, const char *key, pair_fn fn,
                     void *(*push)(struct sensor_config *c))
{
    void *it = NULL;
    struct fy_node *n;
    int i = 0;

    if (!seq || fy_node_get_type(seq) != FYNT_SEQUENCE)
        return fail(x, seq, key, "expected a list");
    while ((n = fy_node_sequence_iterate(seq, &it)) != NULL) {
        char path[64];
        if (i >= SEQ_MAX)
            return fail(x, n, key, "too many items");
        snprintf(path, sizeof(path), "%s[%d]", key, i++);
        int rc = each_pair(x, n, path, fn, push(x->c));
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void *push_list(struct sensor_config *c)
{
    struct list_spec l = {.format = FEED_AUTO};
    VEC_PUSH(&c->lists, l);
    return &c->lists.items[c->lists.n - 1];
}

static void *push_file(struct sensor_config *c)
{
    struct file_spec f = {.format = FILE_FORMAT_TEXT};
    VEC_PUSH(&c->files, f);
    return &c->files.items[c->files.n - 1];
}

/* attribution.radius etc.: one path or a list of paths. */
static int paths(struct ctx *x, struct fy_node *v, const char *key, void *vec)
{
    VEC(char *) *out = vec;
    void *it = NULL;
    struct fy_node *n;

    if (v && fy_node_get_type(v) == FYNT_SCALAR) {
        char *s = NULL;
        if (get_path(x, v, key, &s, false) < 0) {
            free(s);
            return -EINVAL;
        }
        VEC_PUSH(out, s);
        return 0;
    }
    if (!v || fy_node_get_type(v) != FYNT_SEQUENCE)
        return fail(x, v, key, "expected a path or a list of paths");
    while ((n = fy_node_sequence_iterate(v, &it)) != NULL) {
        char *s = NULL;
        if (out->n >= SEQ_MAX || get_path(x, n, key, &s, false) < 0) {
            free(s);
            return out->n >= SEQ_MAX ? fail(x, n, key, "too many items") : -EINVAL;
        }
        VEC_PUSH(out, s);
    }
    return 0;
}

/* ---- the top level ---- */

static int top_pair(struct ctx *x, const char *full, const char *k, struct fy_node *kn,
                    struct fy_node *v, void *arg);

static int section(struct ctx *x, const char *full, struct fy_node *v)
{
    return each_pair(x, v, full, top_pair, NULL);
}

static int top_pair(struct ctx *x, const char *full, const char *k UNUSED, struct fy_node *kn,
                    struct fy_node *v, void *arg UNUSED)
{
    struct sensor_config *c = x->c;
    static const char *const sections[] = {"log",    "vigild",  "inputs", "inputs.pcap",
                                           "output", "summary", "import", "attribution"};
    uint64_t u;
    int rc;

    for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
        if (strcmp(full, sections[i]) == 0)
            return section(x, full, v);
    if (strcmp(full, "inputs.netflow") == 0) {
        c->netflow = true;
        return fy_node_is_null(v) ? 0 : section(x, full, v);
    }
    if (strcmp(full, "lists") == 0)
        return each_item(x, v, full, list_pair, push_list);
    if (strcmp(full, "inputs.files") == 0)
        return each_item(x, v, full, file_pair, push_file);
    if (strcmp(full, "attribution.radius") == 0)
        return paths(x, v, full, &c->radius);
    if (strcmp(full, "attribution.dhcpd_leases") == 0)
        return paths(x, v, full, &c->dhcpd_leases);
    if (strcmp(full, "attribution.kea_csv") == 0)
        return paths(x, v, full, &c->kea_csv);
    if (strcmp(full, "attribution.radius_grace") == 0)
        return get_unsigned(x, v, full, 1, 30 * 86400, &c->radius_grace_s);
    if (strcmp(full, "attribution.radius_grace_multiple") == 0)
        return get_unsigned(x, v, full, 1, 100, &c->radius_grace_multiple);
    if (strcmp(full, "attribution.utc_offset") == 0)
        return get_offset(x, v, full, &c->attrib_utc_offset);
    if (strcmp(full, "inputs.utc_offset") == 0)
        return get_offset(x, v, full, &c->input_utc_offset);
    if (strcmp(full, "log.level") == 0) {
        char *s = NULL;
        rc = get_str(x, v, full, &s);
        if (rc == 0 && log_parse_level(s, &c->log_level) < 0)
            rc = fail(x, v, full, "expected debug, info, warn or error");
        free(s);
        return rc;
    }
    if (strcmp(full, "lang") == 0) {
        size_t len;
        const char *s = text_of(x, v, full, &len);
        if (!s)
            return -EINVAL;
        if (!str_ieq(s, len, "vi") && !str_ieq(s, len, "en"))
            return fail(x, v, full, "expected vi or en");
        c->lang = str_ieq(s, len, "en") ? LANG_EN : LANG_VI;
        c->lang_set = true;
        return 0;
    }
    if (strcmp(full, "vigild.url") == 0) {
        rc = get_str(x, v, full, &c->vigild.url);
        if (rc == 0 && !str_has_prefix(c->vigild.url, "https://"))
            return fail(x, v, full, "expected an https:// URL");
        return rc;
    }
    if (strcmp(full, "vigild.token_file") == 0)
        return get_path(x, v, full, &c->vigild.token_file, false);
    if (strcmp(full, "vigild.cacert") == 0)
        return get_path(x, v, full, &c->vigild.cacert, false);
    if (strcmp(full, "vigild.fingerprint") == 0)
        return get_str(x, v, full, &c->vigild.fingerprint);
    if (strcmp(full, "vigild.poll_seconds") == 0)
        return get_unsigned(x, v, full, 1, 86400, &c->vigild.poll_seconds);
    if (strcmp(full, "vigild.post_seconds") == 0)
        return get_unsigned(x, v, full, 1, 3600, &c->vigild.post_seconds);
    if (strcmp(full, "vigild.post_hits") == 0)
        return get_bool(x, v, full, &c->vigild.post_hits);
    if (strcmp(full, "vigild.queue_bytes") == 0) {
        rc = get_uint(x, v, full, 4096, (uint64_t)1 << 32, &u);
        if (rc == 0)
            c->vigild.queue_bytes = (size_t)u;
        return rc;
    }
    if (strcmp(full, "inputs.netflow.address") == 0) {
        struct ip_addr a;
        size_t len;
        const char *s = text_of(x, v, full, &len);
        if (!s)
            return -EINVAL;
        if (ip_parse(s, len, &a) != ADDR_OK)
            return fail(x, v, full, "expected an IP address");
        free(c->netflow_address);
        c->netflow_address = xstrndup(s, len);
        return 0;
    }
    if (strcmp(full, "inputs.netflow.port") == 0)
        return get_unsigned(x, v, full, 0, 65535, &c->netflow_port);
    if (strcmp(full, "inputs.netflow.threads") == 0)
        return get_unsigned(x, v, full, 0, 256, &c->netflow_threads);
    if (strcmp(full, "inputs.netflow.rcvbuf") == 0)
        return get_unsigned(x, v, full, 65536, 1u << 30, &c->netflow_rcvbuf);
    if (strcmp(full, "inputs.netflow.batch") == 0)
        return get_unsigned(x, v, full, 1, 1024, &c->netflow_batch);
    if (strcmp(full, "inputs.netflow.template_expiry") == 0) {
        rc = get_uint(x, v, full, 0, 30 * 86400, &u);
        if (rc == 0)
            c->template_expiry = (int64_t)u;
        return rc;
    }
    if (strcmp(full, "inputs.netflow.max_templates") == 0)
        return get_unsigned(x, v, full, 1, 1u << 24, &c->max_templates);
    if (strcmp(full, "inputs.netflow.max_templates_per_exporter") == 0)
        return get_unsigned(x, v, full, 1, 1u << 20, &c->max_templates_per_exporter);
    if (strcmp(full, "inputs.netflow.max_exporters") == 0)
        return get_unsigned(x, v, full, 1, 1u << 20, &c->max_exporters);
    if (strcmp(full, "inputs.pcap.file") == 0)
        return get_path(x, v, full, &c->pcap_file, false);
    if (strcmp(full, "inputs.pcap.interface") == 0)
        return get_str(x, v, full, &c->pcap_interface);
    if (strcmp(full, "inputs.pcap.filter") == 0)
        return get_str(x, v, full, &c->pcap_filter);
    if (strcmp(full, "output.path") == 0)
        return get_path(x, v, full, &c->output_path, true);
    if (strcmp(full, "summary.path") == 0)
        return get_path(x, v, full, &c->summary_path, true);
    if (strcmp(full, "summary.interval_seconds") == 0)
        return get_unsigned(x, v, full, 1, 86400, &c->summary_seconds);
    if (strcmp(full, "summary.max_entries") == 0) {
        rc = get_uint(x, v, full, 1, 100000000, &u);
        if (rc == 0)
            c->summary_max = (size_t)u;
        return rc;
    }
    if (strcmp(full, "import.max_errors") == 0) {
        rc = get_uint(x, v, full, 0, 100000000, &u);
        if (rc == 0)
            c->import.max_errors = (size_t)u;
        return rc;
    }
    if (strcmp(full, "import.max_error_pct") == 0)
        return get_unsigned(x, v, full, 0, 100, &c->import.max_error_pct);
    return unknown(x, kn, full);
}

bool sensor_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > 64 || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

void sensor_config_init(struct sensor_config *c)
{
    memset(c, 0, sizeof(*c));
    c->log_level = LOG_LVL_INFO;
    c->lang = LANG_VI;
    c->vigild.poll_seconds = 60;
    c->vigild.post_seconds = 5;
    c->vigild.queue_bytes = (size_t)64 << 20;
    c->netflow_port = 2055;
    c->template_expiry = -1;
    c->radius_grace_s = 3600;
    c->radius_grace_multiple = 2;
    c->attrib_utc_offset = 7 * 3600;
    c->input_utc_offset = 7 * 3600;
    c->summary_seconds = 300;
    c->summary_max = 100000;
    feed_opts_init(&c->import);
}

static void free_strs(void *vec)
{
    VEC(char *) *v = vec;
    for (size_t i = 0; i < v->n; i++)
        free(v->items[i]);
    VEC_FREE(v);
}

void sensor_config_release(struct sensor_config *c)
{
    for (size_t i = 0; i < c->lists.n; i++) {
        free(c->lists.items[i].name);
        free(c->lists.items[i].provider);
        free(c->lists.items[i].file);
        free(c->lists.items[i].feed);
    }
    VEC_FREE(&c->lists);
    for (size_t i = 0; i < c->files.n; i++)
        free(c->files.items[i].path);
    VEC_FREE(&c->files);
    free_strs(&c->radius);
    free_strs(&c->dhcpd_leases);
    free_strs(&c->kea_csv);
    free(c->vigild.url);
    free(c->vigild.token_file);
    free(c->vigild.cacert);
    free(c->vigild.fingerprint);
    free(c->netflow_address);
    free(c->pcap_file);
    free(c->pcap_interface);
    free(c->pcap_filter);
    free(c->output_path);
    free(c->summary_path);
    memset(c, 0, sizeof(*c));
}

/* What the keys cannot check one by one. */
static int check_whole(struct ctx *x)
{
    struct sensor_config *c = x->c;

    for (size_t i = 0; i < c->lists.n; i++) {
        const struct list_spec *l = &c->lists.items[i];
        if (!l->name)
            return verr_set(x->err, -EINVAL, "%s: lists[%zu]: name is required", x->file, i);
        if (!l->file == !l->feed)
            return verr_set(x->err, -EINVAL, "%s: lists[%zu]: give one of file and vigild_feed",
                            x->file, i);
        if (l->feed && !c->vigild.url)
            return verr_set(x->err, -EINVAL, "%s: lists[%zu]: vigild_feed needs vigild.url",
                            x->file, i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->lists.items[j].name, l->name) == 0)
                return verr_set(x->err, -EINVAL, "%s: lists[%zu]: name '%s' is used twice", x->file,
                                i, l->name);
    }
    for (size_t i = 0; i < c->files.n; i++)
        if (!c->files.items[i].path)
            return verr_set(x->err, -EINVAL, "%s: inputs.files[%zu]: path is required", x->file, i);
    if (c->vigild.url && !c->vigild.token_file)
        return verr_set(x->err, -EINVAL, "%s: vigild.url needs vigild.token_file", x->file);
    if (c->vigild.post_hits && !c->vigild.url)
        return verr_set(x->err, -EINVAL, "%s: vigild.post_hits needs vigild.url", x->file);
    return 0;
}

int sensor_config_load_text(struct sensor_config *c, const char *name, const char *text, size_t len,
                            struct verr *err)
{
    struct fy_document *doc = NULL;
    struct ctx x = {c, name, err};
    int rc = yaml_parse(name, text, len, &doc, err);

    if (rc < 0 || !doc)
        return rc;
    struct fy_node *root = fy_document_root(doc);
    if (root && !fy_node_is_null(root))
        rc = each_pair(&x, root, "", top_pair, NULL);
    if (rc == 0)
        rc = check_whole(&x);
    fy_document_destroy(doc);
    return rc;
}

int sensor_config_load_file(struct sensor_config *c, const char *path, struct verr *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = yaml_read_file(path, SENSOR_CONFIG_MAX, &text, &len, err);

    if (rc == 0)
        rc = sensor_config_load_text(c, path, text, len, err);
    free(text);
    return rc;
}
