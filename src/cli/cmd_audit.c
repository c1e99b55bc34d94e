/* vigil audit [--limit N] [--offset N] */
#include <string.h>

#include "cli/cli.h"
#include "cli/table.h"

void audit_usage(FILE *f)
{
    fputs(_("Usage: vigil audit [--limit N] [--offset N]\n"
            "Shows the audit log, newest first: every change, with the token that made it.\n"),
          f);
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
    buf_init(&target, 0);
    if (buf_puts(&target, "/api/v1/audit") < 0)
        abort();
    url_query(&target, "limit", limit);
    url_query(&target, "offset", offset);
    struct api_call a;
    api_call_init(&a, "GET", buf_str(&target));
    json_t *res;
    r = api_do(c, &a, &res);
    buf_release(&target);
    if (r != 0)
        return r;
    if (c->json) {
        r = cli_print_json(res);
    } else {
        struct table t;
        table_init(&t, 6,
                   (const char *[]){cli_tr("col|ID"), cli_tr("col|Time"), cli_tr("col|Actor"),
                                    cli_tr("col|Action"), cli_tr("col|Object"),
                                    cli_tr("col|Detail")});
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(res, "items"), i, it)
        {
            char tm[64], obj[1100];
            const json_t *oid = json_object_get(it, "object_id");
            if (oid && !json_is_null(oid))
                snprintf(obj, sizeof(obj), "%s %s", jstr(it, "object"), jstr(it, "object_id"));
            else
                snprintf(obj, sizeof(obj), "%s", jstr(it, "object"));
            const char *cells[] = {
                jstr(it, "id"),    jtime(it, "at", tm), jstr(it, "actor"), jstr(it, "action"), obj,
                jstr(it, "detail")};
            table_add(&t, cells);
        }
        r = table_print(&t) < 0 ? CLI_EXIT_SERVER : CLI_EXIT_OK;
        table_release(&t);
    }
    json_decref(res);
    return r;
}
