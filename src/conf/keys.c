/* Configuration documents applied through key tables (keys.h). */
#include "conf/keys.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/str.h"
#include "conf/yaml.h"

#define KEY_MAX 64 /* bytes of one key component */

const char *conf_scalar(struct fy_node *n, size_t *ret_len)
{
    const char *v;

    if (!n || fy_node_get_type(n) != FYNT_SCALAR || fy_node_get_style(n) == FYNS_ALIAS ||
        fy_node_is_null(n))
        return NULL;
    v = fy_node_get_scalar(n, ret_len);
    if (!v || *ret_len == 0 || *ret_len > CONF_VALUE_MAX || memchr(v, '\0', *ret_len))
        return NULL;
    return v;
}

void conf_free_strs(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static int set_paths(void *obj, const struct conf_key *k, const char *file, int line,
                     struct fy_node *val, struct verr *err)
{
    char ***slot = (char ***)((char *)obj + k->off);
    size_t *count = (size_t *)((char *)obj + k->count_off);
    void *it = NULL;
    struct fy_node *item;
    char **v;
    size_t n = 0;

    if (!val || fy_node_get_type(val) != FYNT_SEQUENCE)
        return verr_set(err, -EINVAL, "%s:%d: %s: expected a list of absolute paths", file, line,
                        k->name);
    if ((uint64_t)fy_node_sequence_item_count(val) > k->max)
        return verr_set(err, -E2BIG, "%s:%d: %s: more than %llu entries", file, line, k->name,
                        (unsigned long long)k->max);
    v = xcalloc((size_t)k->max + 1, sizeof(*v));
    while ((item = fy_node_sequence_iterate(val, &it)) != NULL) {
        size_t len;
        const char *s = conf_scalar(item, &len);
        if (!s || s[0] != '/') {
            conf_free_strs(v, n);
            return verr_set(err, -EINVAL, "%s:%d: %s: expected a list of absolute paths", file,
                            yaml_node_line(item), k->name);
        }
        v[n++] = xstrndup(s, len);
    }
    conf_free_strs(*slot, *count);
    *slot = v;
    *count = n;
    return 0;
}

static int set_value(void *obj, const struct conf_key *k, const char *file, int line,
                     struct fy_node *val, struct verr *err)
{
    void *field = (char *)obj + k->off;
    const char *v;
    size_t len;
    uint64_t n;
    int rc;

    if (k->kind == CONF_CUSTOM)
        return k->set(obj, k, file, line, val, err);
    if (k->kind == CONF_PATHS)
        return set_paths(obj, k, file, line, val, err);
    if (!(v = conf_scalar(val, &len)))
        return verr_set(err, -EINVAL, "%s:%d: %s: expected a single value", file, line, k->name);

    switch (k->kind) {
    case CONF_STR:
    case CONF_PATH:
        if (k->kind == CONF_PATH && v[0] != '/')
            return verr_set(err, -EINVAL, "%s:%d: %s: must be an absolute path", file, line,
                            k->name);
        free(*(char **)field);
        *(char **)field = xstrndup(v, len);
        return 0;
    case CONF_BYTES:
    case CONF_UINT:
        rc = k->kind == CONF_BYTES ? str_to_bytes(v, len, k->max, &n)
                                   : str_to_u64(v, len, k->max, &n);
        if (rc < 0 || n < k->min || n > k->max)
            return verr_set(err, -EINVAL,
                            "%s:%d: %s: expected a whole number from %llu to %llu, got '%.*s'",
                            file, line, k->name, (unsigned long long)k->min,
                            (unsigned long long)k->max, (int)MIN(len, 64), v);
        if (k->width == sizeof(uint64_t)) {
            memcpy(field, &n, sizeof(n));
        } else {
            unsigned u = (unsigned)n;
            memcpy(field, &u, sizeof(u));
        }
        return 0;
    case CONF_BOOL:
        if (str_ieq(v, len, "true") || str_ieq(v, len, "yes") || str_ieq(v, len, "on"))
            *(bool *)field = true;
        else if (str_ieq(v, len, "false") || str_ieq(v, len, "no") || str_ieq(v, len, "off"))
            *(bool *)field = false;
        else
            return verr_set(err, -EINVAL, "%s:%d: %s: expected true or false, got '%.*s'", file,
                            line, k->name, (int)MIN(len, 64), v);
        return 0;
    case CONF_LEVEL: {
        char *s = xstrndup(v, len);
        rc = log_parse_level(s, (enum log_level *)field);
        free(s);
        if (rc < 0)
            return verr_set(err, -EINVAL,
                            "%s:%d: %s: expected debug, info, warn or error, got '%.*s'", file,
                            line, k->name, (int)MIN(len, 64), v);
        return 0;
    }
    case CONF_PATHS:
    case CONF_CUSTOM:
        break;
    }
    return -EINVAL;
}

static bool in_list(const char *s, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, v[i]) == 0)
            return true;
    return false;
}

static int walk(void *obj, const struct conf_table *t, const char *file, struct fy_node *map,
                const char *prefix, struct verr *err)
{
    void *it = NULL;
    struct fy_node_pair *pair;

    while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
        struct fy_node *key = fy_node_pair_key(pair);
        struct fy_node *val = fy_node_pair_value(pair);
        const struct conf_key *k = NULL;
        const char *ks;
        size_t klen;
        char full[128];
        int n, rc, line = yaml_node_line(key);

        if (!(ks = conf_scalar(key, &klen)))
            return verr_set(err, -EINVAL, "%s:%d: keys must be plain names", file, line);
        n = snprintf(full, sizeof(full), "%s%s%.*s", prefix, *prefix ? "." : "", (int)klen, ks);
        if (n < 0 || (size_t)n >= sizeof(full) || klen > KEY_MAX)
            return verr_set(err, -EINVAL, "%s:%d: key too long", file, line);
        if (in_list(full, t->sections, t->n_sections)) {
            if (!val || fy_node_get_type(val) != FYNT_MAPPING)
                return verr_set(err, -EINVAL, "%s:%d: %s: expected a mapping of keys", file, line,
                                full);
            if ((rc = walk(obj, t, file, val, full, err)) < 0)
                return rc;
            continue;
        }
        for (size_t i = 0; i < t->n_keys && !k; i++)
            if (strcmp(full, t->keys[i].name) == 0)
                k = &t->keys[i];
        if (!k)
            return verr_set(err, -EINVAL, "%s:%d: unknown key '%s'", file, line, full);
        if ((rc = set_value(obj, k, file, line, val, err)) < 0)
            return rc;
    }
    return 0;
}

int conf_load_text(void *obj, const struct conf_table *t, const char *name, const char *text,
                   size_t len, struct verr *err)
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
            rc = walk(obj, t, name, root, "", err);
    }
    fy_document_destroy(doc);
    return rc;
}

int conf_load_file(void *obj, const struct conf_table *t, const char *path, struct verr *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = yaml_read_file(path, CONF_FILE_MAX, &text, &len, err);

    if (rc == 0)
        rc = conf_load_text(obj, t, path, text, len, err);
    free(text);
    return rc;
}
