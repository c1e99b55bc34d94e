/* vigil unit add|list|show|remove */
#include <string.h>

#include "cli/view.h"

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

/* The same fields make `unit show` and the columns of `unit list`. */
static const struct view_field unit_fields[] = {
    {N_("col|ID"), "id"},
    {N_("col|Name"), "name"},
    {N_("col|Code"), "code"},
    {N_("col|Parent"), "parent_id"},
    {N_("col|Created"), "created_at", VIEW_TIME},
};

static int print_unit(const json_t *u)
{
    return view_print_fields(u, unit_fields, ARRAY_SIZE(unit_fields));
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
    return cli_send(c, "POST", "/api/v1/units", body, print_unit);
}

int cmd_unit(struct cli *c, int argc, char **argv)
{
    const char *verb = argv[0];
    if (strcmp(verb, "add") == 0)
        return unit_add(c, argc, argv);
    if (strcmp(verb, "list") == 0)
        return view_list_cmd(c, "unit", unit_usage, argc, argv, "/api/v1/units", unit_fields,
                             ARRAY_SIZE(unit_fields));
    if (strcmp(verb, "show") == 0)
        return cli_show(c, "unit", unit_usage, argc, argv, print_unit);
    if (strcmp(verb, "remove") == 0)
        return cli_remove(c, "unit", unit_usage, argc, argv);
    cli_err(_("unknown command 'unit %s'"), verb);
    unit_usage(stderr);
    return CLI_EXIT_USAGE;
}
