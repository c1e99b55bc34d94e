/* vigil unit add|list|show|remove */
#include <string.h>

#include "cli/cli.h"
#include "cli/table.h"

void unit_usage(FILE *f)
{
    fputs(_("Usage: vigil unit add NAME [--code CODE] [--parent ID]\n"
            "       vigil unit list\n"
            "       vigil unit show ID\n"
            "       vigil unit remove ID\n"
            "Units (organisations and their departments) form a tree; systems belong to "
            "units.\n"),
          f);
}

static void unit_row(struct table *t, const json_t *u)
{
    char tm[64];
    const char *cells[] = {jstr(u, "id"), jstr(u, "name"), jstr(u, "code"), jstr(u, "parent_id"),
                           jtime(u, "created_at", tm)};
    table_add(t, cells);
}

static int show_unit(const struct cli *c, json_t *u)
{
    if (c->json)
        return cli_print_json(u);
    char tm[64];
    struct table t;
    table_init(&t, 2, NULL);
    table_add_kv(&t, cli_tr("col|ID"), jstr(u, "id"));
    table_add_kv(&t, cli_tr("col|Name"), jstr(u, "name"));
    table_add_kv(&t, cli_tr("col|Code"), jstr(u, "code"));
    table_add_kv(&t, cli_tr("col|Parent"), jstr(u, "parent_id"));
    table_add_kv(&t, cli_tr("col|Created"), jtime(u, "created_at", tm));
    int r = table_print(&t);
    table_release(&t);
    return r < 0 ? CLI_EXIT_SERVER : CLI_EXIT_OK;
}

static int unit_add(struct cli *c, int argc, char **argv)
{
    const char *code = NULL, *parent = NULL;
    struct arg_opt opts[] = {
        CLI_COMMON_OPTS(c), {"--code", ARG_STR, &code}, {"--parent", ARG_STR, &parent}};
    const char *pos[1];
    int r = cli_args(c, "unit", unit_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1, "NAME");
    if (r != CLI_GO)
        return r;
    struct verr e;
    verr_init(&e);
    uint64_t parent_id = 0;
    if (parent && arg_number("--parent", parent, 1, INT64_MAX, &parent_id, &e) < 0)
        return cli_usage_error("unit", &e);

    json_t *body = json_pack("{s:s}", "name", pos[0]);
    if (code)
        json_object_set_new(body, "code", json_string(code));
    if (parent)
        json_object_set_new(body, "parent_id", json_integer((json_int_t)parent_id));
    struct api_call a;
    api_call_init(&a, "POST", "/api/v1/units");
    a.body = body;
    json_t *res;
    r = api_do(c, &a, &res);
    json_decref(body);
    if (r == 0) {
        r = show_unit(c, res);
        json_decref(res);
    }
    return r;
}

static int unit_list(struct cli *c, int argc, char **argv)
{
    struct arg_opt opts[] = {CLI_COMMON_OPTS(c)};
    const char *pos[1];
    int r = cli_args(c, "unit", unit_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 0, 0, "");
    if (r != CLI_GO)
        return r;
    struct api_call a;
    api_call_init(&a, "GET", "/api/v1/units");
    json_t *res;
    r = api_do(c, &a, &res);
    if (r != 0)
        return r;
    if (c->json) {
        r = cli_print_json(res);
    } else {
        struct table t;
        table_init(&t, 5,
                   (const char *[]){cli_tr("col|ID"), cli_tr("col|Name"), cli_tr("col|Code"),
                                    cli_tr("col|Parent"), cli_tr("col|Created")});
        size_t i;
        json_t *u;
        json_array_foreach(json_object_get(res, "items"), i, u) unit_row(&t, u);
        r = table_print(&t) < 0 ? CLI_EXIT_SERVER : CLI_EXIT_OK;
        table_release(&t);
    }
    json_decref(res);
    return r;
}

int cmd_unit(struct cli *c, int argc, char **argv)
{
    const char *verb = argv[0];
    json_t *res = NULL;
    int r;
    if (strcmp(verb, "add") == 0)
        return unit_add(c, argc, argv);
    if (strcmp(verb, "list") == 0)
        return unit_list(c, argc, argv);
    if (strcmp(verb, "show") == 0 || strcmp(verb, "remove") == 0) {
        bool remove = strcmp(verb, "remove") == 0;
        r = cli_by_id(c, "unit", unit_usage, remove ? "DELETE" : "GET", argc, argv, &res);
        if (r == 0 && res && !remove)
            r = show_unit(c, res);
        json_decref(res);
        return r;
    }
    cli_err(_("unknown command 'unit %s'"), verb);
    unit_usage(stderr);
    return CLI_EXIT_USAGE;
}
