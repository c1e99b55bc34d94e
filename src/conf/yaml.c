/* YAML configuration reading (yaml.h). */
#include <string.h>

#include "base/file.h"
#include "base/str.h"
#include "conf/yaml.h"

int yaml_read_file(const char *path, size_t max, char **ret, size_t *ret_len, struct verr *err)
{
    int rc = file_read_all(path, max, ret, ret_len);
    if (rc == -EFBIG)
        return verr_set(err, rc, "%s: file larger than %zu bytes", path, max);
    if (rc < 0)
        return verr_set(err, rc, "%s: cannot read: %s", path, strerror(-rc));
    return 0;
}

int yaml_parse(const char *name, const char *text, size_t len, struct fy_document **ret_doc,
               struct verr *err)
{
    struct fy_diag_cfg dcfg;
    struct fy_parse_cfg pcfg;
    struct fy_diag *diag;
    struct fy_document *doc;
    int rc = 0;

    if (!str_valid_utf8(text, len) || memchr(text, '\0', len))
        return verr_set(err, -EINVAL, "%s: not UTF-8 text", name);
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.colorize = false;
    diag = fy_diag_create(&dcfg);
    if (!diag)
        return verr_set(err, -ENOMEM, "%s: cannot parse YAML", name);
    fy_diag_set_collect_errors(diag, true);
    memset(&pcfg, 0, sizeof(pcfg));
    pcfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_AUTO | FYPCF_JSON_NONE;
    pcfg.diag = diag;
    doc = fy_document_build_from_string(&pcfg, text, len);
    if (!doc) {
        /* No document and no error: the text is empty or only comments. */
        void *it = NULL;
        struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
        if (de)
            /* de->line is already 1-based (the sensor's copy added one). */
            rc = verr_set(err, -EINVAL, "%s:%d: YAML syntax: %s", name, de->line,
                          de->msg ? de->msg : "error");
    }
    fy_diag_destroy(diag);
    if (rc == 0)
        *ret_doc = doc;
    return rc;
}

int yaml_node_line(struct fy_node *n)
{
    for (int depth = 0; n && depth < 16; depth++) {
        if (fy_node_get_type(n) == FYNT_SCALAR) {
            struct fy_token *t = fy_node_get_scalar_token(n);
            const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
            return m ? m->line + 1 : 0;
        }
        n = fy_node_get_type(n) == FYNT_MAPPING
                ? fy_node_pair_key(fy_node_mapping_get_by_index(n, 0))
                : fy_node_sequence_get_by_index(n, 0);
    }
    return 0;
}
