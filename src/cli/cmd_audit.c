/* vigil audit [--limit N] [--offset N] */
#include <string.h>

#include "cli/view.h"

void audit_usage(FILE *f)
{
    fputs(_("Usage: vigil audit [--limit N] [--offset N]\n"
            "Shows the audit log, newest first: every change, with the token that made it.\n"),
          f);
}

static const struct view_field audit_cols[] = {
    {N_("col|ID"), "id"},         {N_("col|Time"), "at", VIEW_TIME}, {N_("col|Actor"), "actor"},
    {N_("col|Action"), "action"}, {N_("col|Object"), "object"},      {N_("col|Detail"), "detail"},
};

/* A row of audit_cols; the object reads "system 7", or "token" alone. */
static void audit_row(struct table *t, const json_t *it)
{
    char tm[64], obj[VIEW_CELL_MAX];
    const json_t *oid = json_object_get(it, "object_id");
    if (oid && !json_is_null(oid))
        snprintf(obj, sizeof(obj), "%s %s", jstr(it, "object"), jstr(it, "object_id"));
    else
        snprintf(obj, sizeof(obj), "%s", jstr(it, "object"));
    const char *cells[] = {
        jstr(it, "id"),    jtime(it, "at", tm), jstr(it, "actor"), jstr(it, "action"), obj,
        jstr(it, "detail")};
    table_add(t, cells);
}

int cmd_audit(struct cli *c, int argc, char **argv)
{
    const char *limit = NULL, *offset = NULL;
    struct arg_opt opts[] = {
        CLI_COMMON_OPTS(c), {"--limit", ARG_STR, &limit}, {"--offset", ARG_STR, &offset}};
    const char *pos[1];
    int r = cli_args(c, "audit", audit_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 0, 0, "");
    if (r != CLI_GO)
        return r;
    struct verr e;
    verr_init(&e);
    uint64_t n;
    if ((limit && arg_number("--limit", limit, 1, 100000, &n, &e) < 0) ||
        (offset && arg_number("--offset", offset, 0, INT64_MAX, &n, &e) < 0))
        return cli_usage_error("audit", &e);
    struct buf target;
    url_start(&target, "/api/v1/audit");
    url_query(&target, "limit", limit);
    url_query(&target, "offset", offset);
    r = view_list(c, buf_str(&target), audit_cols, ARRAY_SIZE(audit_cols), audit_row);
    buf_release(&target);
    return r;
}
