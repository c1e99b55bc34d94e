/* vigil system add|list|show|remove */
#include <string.h>

#include "base/addr.h"
#include "cli/cli.h"
#include "cli/table.h"

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

static int show_system(const struct cli *c, const json_t *s)
{
    if (c->json)
        return cli_print_json(s);
    char tm[64], unit[1100];
    snprintf(unit, sizeof(unit), "%s (%s)", jstr(s, "unit_name"), jstr(s, "unit_id"));
    struct table t;
    table_init(&t, 2, NULL);
    table_add_kv(&t, cli_tr("col|ID"), jstr(s, "id"));
    table_add_kv(&t, cli_tr("col|Name"), jstr(s, "name"));
    table_add_kv(&t, cli_tr("col|Unit"), unit);
    table_add_kv(&t, cli_tr("col|Level"), jstr(s, "level"));
    table_add_kv(&t, cli_tr("col|Owner"), jstr(s, "owner"));
    table_add_kv(&t, cli_tr("col|Operator"), jstr(s, "operator"));
    table_add_kv(&t, cli_tr("col|Contacts"), jstr(s, "contacts"));
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
    table_add_kv(&t, cli_tr("col|Created"), jtime(s, "created_at", tm));
    int r = table_print(&t);
    table_release(&t);
    return r < 0 ? CLI_EXIT_SERVER : CLI_EXIT_OK;
}

static int system_add(struct cli *c, int argc, char **argv)
{
    const char *unit = NULL, *level = NULL, *owner = NULL, *operator= NULL, *contacts = NULL;
    struct arg_list addrs = {.n = 0};
    struct arg_opt opts[] = {CLI_COMMON_OPTS(c), {"--unit", ARG_STR, &unit},
                             {"--level", ARG_STR, &level}, {"--addr", ARG_MULTI, &addrs},
                             {"--owner", ARG_STR, &owner},
                             {
                                 "--operator",
                                 ARG_STR,
                                 &operator},
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
    if (operator)
        json_object_set_new(body, "operator", json_string(operator));
    if (contacts)
        json_object_set_new(body, "contacts", json_string(contacts));
    struct api_call a;
    api_call_init(&a, "POST", "/api/v1/systems");
    a.body = body;
    json_t *res;
    r = api_do(c, &a, &res);
    json_decref(body);
    if (r == 0) {
        r = show_system(c, res);
        json_decref(res);
    }
    return r;
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
    buf_init(&target, 0);
    if (buf_puts(&target, "/api/v1/systems") < 0)
        abort();
    url_query(&target, "unit_id", unit);
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
                   (const char *[]){cli_tr("col|ID"), cli_tr("col|Name"), cli_tr("col|Unit"),
                                    cli_tr("col|Level"), cli_tr("col|Open findings"),
                                    cli_tr("col|Addresses")});
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(res, "items"), i, s)
        {
            const char *cells[] = {
                jstr(s, "id"),    jstr(s, "name"),          jstr(s, "unit_name"),
                jstr(s, "level"), jstr(s, "open_findings"), jstr(s, "addresses")};
            table_add(&t, cells);
        }
        r = table_print(&t) < 0 ? CLI_EXIT_SERVER : CLI_EXIT_OK;
        table_release(&t);
    }
    json_decref(res);
    return r;
}

int cmd_system(struct cli *c, int argc, char **argv)
{
    const char *verb = argv[0];
    if (strcmp(verb, "add") == 0)
        return system_add(c, argc, argv);
    if (strcmp(verb, "list") == 0)
        return system_list(c, argc, argv);
    if (strcmp(verb, "show") == 0 || strcmp(verb, "remove") == 0) {
        bool remove = strcmp(verb, "remove") == 0;
        json_t *res = NULL;
        int r = cli_by_id(c, "system", system_usage, remove ? "DELETE" : "GET", argc, argv, &res);
        if (r == 0 && res && !remove)
            r = show_system(c, res);
        json_decref(res);
        return r;
    }
    cli_err(_("unknown command 'system %s'"), verb);
    system_usage(stderr);
    return CLI_EXIT_USAGE;
}
