/* vigil host inventory AGENT_ID [--section S] */
#include <string.h>

#include "cli/view.h"

void host_usage(FILE *f)
{
    fputs(_("Usage: vigil host inventory AGENT_ID [--section S]\n"
            "Shows the inventory an agent reported: a summary, or one section (os, kernel, "
            "hostname,\n"
            "interfaces, packages, listening, connections, users, groups, processes, units, "
            "cron), one item a line.\n"),
          f);
}

static const char *const list_sections[] = {"interfaces",  "packages", "listening",
                                            "connections", "users",    "groups",
                                            "processes",   "units",    "cron"};

/* The summary: who, when, and how many items each section holds. */
static int print_inventory(const json_t *res)
{
    const json_t *inv = json_object_get(res, "inventory");
    const json_t *os = json_object_get(inv, "os");
    char tm[64];

    printf("%s: %s\n", cli_tr("col|Agent"), jstr(res, "agent_id"));
    printf("%s: %s\n", cli_tr("col|Updated"), jtime(res, "updated_at", tm));
    printf("%s: %s\n", cli_tr("col|Hostname"), jstr(inv, "hostname"));
    printf("%s: %s\n", cli_tr("col|Kernel"), jstr(inv, "kernel"));
    printf("%s: %s\n", cli_tr("col|OS"),
           json_is_object(os)
               ? jstr(os, json_object_get(os, "pretty_name") ? "pretty_name" : "name")
               : jstr(inv, "os"));
    for (size_t i = 0; i < ARRAY_SIZE(list_sections); i++)
        printf("%s: %zu\n", list_sections[i],
               json_array_size(json_object_get(inv, list_sections[i])));
    return ferror(stdout) ? CLI_EXIT_SERVER : 0;
}

/* One section: a list, one compact JSON item a line; a scalar as it is. */
static int print_section(const json_t *res)
{
    const json_t *items = json_object_get(res, "items"), *it;
    size_t i;

    if (!json_is_array(items)) {
        char *s = json_dumps(items, JSON_ENCODE_ANY | JSON_COMPACT);
        printf("%s\n", s ? s : "-");
        free(s);
        return 0;
    }
    json_array_foreach(items, i, it)
    {
        char *s = json_dumps(it, JSON_COMPACT | JSON_SORT_KEYS);
        printf("%s\n", s ? s : "-");
        free(s);
    }
    return ferror(stdout) ? CLI_EXIT_SERVER : 0;
}

int cmd_host(struct cli *c, int argc, char **argv)
{
    const char *section = NULL;
    struct arg_opt opts[] = {CLI_COMMON_OPTS(c), {"--section", ARG_STR, &section}};
    const char *pos[1];
    struct verr e;
    uint64_t id;
    struct buf target;
    int r;

    if (argc < 1 || strcmp(argv[0], "inventory") != 0) {
        host_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    r = cli_args(c, "host", host_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1, "AGENT_ID");
    if (r != CLI_GO)
        return r;
    verr_init(&e);
    if (arg_number("AGENT_ID", pos[0], 1, INT64_MAX, &id, &e) < 0)
        return cli_usage_error("host", &e);
    buf_init(&target, 0);
    if (buf_printf(&target, "/api/v1/hosts/%llu/inventory", (unsigned long long)id) < 0)
        return CLI_EXIT_USAGE;
    url_query(&target, "section", section);
    r = cli_send(c, "GET", buf_str(&target), NULL, section ? print_section : print_inventory);
    buf_release(&target);
    return r;
}
