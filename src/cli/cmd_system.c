/* vigil system add|list|show|remove */
#include <string.h>

#include "base/addr.h"
#include "cli/view.h"

void system_usage(FILE *f)
{
    fputs(_("Usage: vigil system add NAME --unit ID --level N --addr CIDR [--addr CIDR ...]\n"
            "                        [--owner TEXT] [--operator TEXT] [--contacts TEXT]\n"
            "       vigil system list [--unit ID]\n"
            "       vigil system show ID\n"
            "       vigil system remove ID\n"
            "An information system belongs to a unit, has a security level from 1 to 5 and "
            "the addresses (CIDRs or single hosts) it uses.\n"),
          f);
}

static const struct view_field system_fields[] = {
    {N_("col|ID"), "id"},
    {N_("col|Name"), "name"},
    {N_("col|Unit"), "unit_name", VIEW_NAMED, .id = "unit_id"},
    {N_("col|Level"), "level"},
    {N_("col|Owner"), "owner"},
    {N_("col|Operator"), "operator"},
    {N_("col|Contacts"), "contacts"},
};

static const struct view_field system_cols[] = {
    {N_("col|ID"), "id"},
    {N_("col|Name"), "name"},
    {N_("col|Unit"), "unit_name"},
    {N_("col|Level"), "level"},
    {N_("col|Open findings"), "open_findings"},
    {N_("col|Addresses"), "addresses"},
};

static int print_system(const json_t *s)
{
    struct table t;
    table_init(&t, 2, NULL);
    view_add_fields(&t, s, system_fields, ARRAY_SIZE(system_fields));
    size_t i;
    json_t *addr;
    json_array_foreach(json_object_get(s, "addresses"), i, addr)
    {
        table_add_kv(&t, i == 0 ? cli_tr("col|Addresses") : "",
                     json_is_string(addr) ? json_string_value(addr) : "?");
    }
    table_add_kv(&t, cli_tr("col|Open findings"), jstr(s, "open_findings"));
    if (json_object_get(s, "findings_created"))
        table_add_kv(&t, cli_tr("col|Findings created"), jstr(s, "findings_created"));
    char tm[64];
    table_add_kv(&t, cli_tr("col|Created"), jtime(s, "created_at", tm));
    return view_table_done(&t);
}

static int system_add(struct cli *c, int argc, char **argv)
{
    const char *unit = NULL, *level = NULL, *owner = NULL, *oper = NULL, *contacts = NULL;
    struct arg_list addrs = {.n = 0};
    struct arg_opt opts[] = {
        CLI_COMMON_OPTS(c),
        {"--unit", ARG_STR, &unit},
        {"--level", ARG_STR, &level},
        {"--addr", ARG_MULTI, &addrs},
        {"--owner", ARG_STR, &owner},
        {"--operator", ARG_STR, &oper},
        {"--contacts", ARG_STR, &contacts},
    };
    const char *pos[1];
    int r =
        cli_args(c, "system", system_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1, "NAME");
    if (r != CLI_GO)
        return r;
    struct verr e;
    verr_init(&e);
    uint64_t unit_id, level_n;
    if (!unit)
        verr_set(&e, -EINVAL, "%s: missing required option %s", "system add", "--unit");
    else if (!level)
        verr_set(&e, -EINVAL, "%s: missing required option %s", "system add", "--level");
    else if (addrs.n == 0)
        verr_set(&e, -EINVAL, "%s: missing required option %s", "system add", "--addr");
    if (e.code)
        return cli_usage_error("system", &e);
    if (arg_number("--unit", unit, 1, INT64_MAX, &unit_id, &e) < 0 ||
        arg_number("--level", level, 1, 5, &level_n, &e) < 0)
        return cli_usage_error("system", &e);
    json_t *list = json_array();
    for (size_t i = 0; i < addrs.n; i++) {
        struct ip_prefix pfx;
        enum addr_err ae = prefix_parse(addrs.items[i], strlen(addrs.items[i]), false, &pfx);
        if (ae != ADDR_OK) {
            json_decref(list);
            verr_set(&e, -EINVAL, "--addr: '%s': %s", addrs.items[i], addr_strerror(ae));
            return cli_usage_error("system", &e);
        }
        json_array_append_new(list, json_string(addrs.items[i]));
    }
    json_t *body = json_pack("{s:s, s:I, s:I, s:o}", "name", pos[0], "unit_id", (json_int_t)unit_id,
                             "level", (json_int_t)level_n, "addresses", list);
    if (owner)
        json_object_set_new(body, "owner", json_string(owner));
    if (oper)
        json_object_set_new(body, "operator", json_string(oper));
    if (contacts)
        json_object_set_new(body, "contacts", json_string(contacts));
    return cli_send(c, "POST", "/api/v1/systems", body, print_system);
}

static int system_list(struct cli *c, int argc, char **argv)
{
    const char *unit = NULL;
    struct arg_opt opts[] = {CLI_COMMON_OPTS(c), {"--unit", ARG_STR, &unit}};
    const char *pos[1];
    int r = cli_args(c, "system", system_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 0, 0, "");
    if (r != CLI_GO)
        return r;
    struct verr e;
    verr_init(&e);
    uint64_t unit_id;
    if (unit && arg_number("--unit", unit, 1, INT64_MAX, &unit_id, &e) < 0)
        return cli_usage_error("system", &e);
    struct buf target;
    url_start(&target, "/api/v1/systems");
    url_query(&target, "unit_id", unit);
    r = view_list(c, buf_str(&target), system_cols, ARRAY_SIZE(system_cols), NULL);
    buf_release(&target);
    return r;
}

int cmd_system(struct cli *c, int argc, char **argv)
{
    const char *verb = argv[0];
    if (strcmp(verb, "add") == 0)
        return system_add(c, argc, argv);
    if (strcmp(verb, "list") == 0)
        return system_list(c, argc, argv);
    if (strcmp(verb, "show") == 0)
        return cli_show(c, "system", system_usage, argc, argv, print_system);
    if (strcmp(verb, "remove") == 0)
        return cli_remove(c, "system", system_usage, argc, argv);
    cli_err(_("unknown command 'system %s'"), verb);
    system_usage(stderr);
    return CLI_EXIT_USAGE;
}
