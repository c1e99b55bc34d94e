/* vigil finding list|show|update */
#include <string.h>

#include "base/addr.h"
#include "cli/view.h"

void finding_usage(FILE *f)
{
    fputs(_("Usage: vigil finding list [--status S] [--kind K] [--system ID] [--unit ID] "
            "[--feed NAME]\n"
            "                          [--ip ADDR|CIDR] [--min-level N] [--limit N] "
            "[--offset N]\n"
            "       vigil finding show ID\n"
            "       vigil finding update ID --status S [--comment TEXT]\n"
            "Statuses: open, in_progress, resolved, false_positive. Findings are listed by "
            "priority, highest first.\n"),
          f);
}

static const char *const statuses[] = {"open", "in_progress", "resolved", "false_positive", NULL};

static const struct view_field finding_fields[] = {
    {N_("col|ID"), "id"},
    {N_("col|Kind"), "kind", VIEW_WORD},
    {N_("col|Status"), "status", VIEW_WORD},
    {N_("col|Priority"), "priority"},
    {N_("col|Streak"), "streak"},
    {N_("col|IP"), "ip"},
    {N_("col|Indicator"), "indicator"},
    {N_("col|System"), "system_name", VIEW_NAMED, .id = "system_id"},
    {N_("col|Unit"), "unit_id"},
    {N_("col|Level"), "level"},
    {N_("col|Feed"), "feed"},
    {N_("col|First listed"), "first_listed"},
    {N_("col|Last listed"), "last_listed"},
    {N_("col|First seen"), "first_seen", VIEW_TIME, .in = "details"},
    {N_("col|Malware"), "malware", .in = "details"},
    {N_("col|Port"), "port", .in = "details"},
    {N_("col|ASN"), "asn", .in = "details"},
    {N_("col|ISP"), "isp", .in = "details"},
    {N_("col|Reference"), "ref", .in = "details"},
    {N_("col|Created"), "created_at", VIEW_TIME},
    {N_("col|Updated"), "updated_at", VIEW_TIME},
};

static const struct view_field history_cols[] = {
    {N_("col|Time"), "at", VIEW_TIME},   {N_("col|Actor"), "actor"},
    {N_("col|From"), "from", VIEW_WORD}, {N_("col|To"), "to", VIEW_WORD},
    {N_("col|Comment"), "comment"},
};

static const struct view_field finding_cols[] = {
    {N_("col|ID"), "id"},
    {N_("col|Priority"), "priority"},
    {N_("col|Status"), "status", VIEW_WORD},
    {N_("col|IP"), "ip"},
    {N_("col|System"), "system_name"},
    {N_("col|Level"), "level"},
    {N_("col|Streak"), "streak"},
    {N_("col|Last listed"), "last_listed"},
    {N_("col|Malware"), "malware", .in = "details"},
};

/* A finding and its history. */
static int print_finding(const json_t *f)
{
    int r = view_print_fields(f, finding_fields, ARRAY_SIZE(finding_fields));
    const json_t *history = json_object_get(f, "history");
    if (r != 0 || json_array_size(history) == 0)
        return r;
    printf("\n%s\n", cli_tr("msg|History:"));
    return view_print_items(history, history_cols, ARRAY_SIZE(history_cols), NULL);
}

/* A page of findings, and how many there are in all. */
static int print_findings(const json_t *res)
{
    const json_t *items = json_object_get(res, "items");
    int r = view_print_items(items, finding_cols, ARRAY_SIZE(finding_cols), NULL);
    json_int_t total = json_integer_value(json_object_get(res, "total"));
    if ((size_t)total > json_array_size(items))
        printf(_("(%zu of %lld findings shown; use --limit and --offset for more)\n"),
               json_array_size(items), (long long)total);
    return r;
}

static int finding_list(struct cli *c, int argc, char **argv)
{
    const char *status = NULL, *kind = NULL, *system = NULL, *unit = NULL, *feed = NULL, *ip = NULL,
               *min_level = NULL, *limit = NULL, *offset = NULL;
    struct arg_opt opts[] = {
        CLI_COMMON_OPTS(c),           {"--status", ARG_STR, &status},
        {"--kind", ARG_STR, &kind},   {"--system", ARG_STR, &system},
        {"--unit", ARG_STR, &unit},   {"--feed", ARG_STR, &feed},
        {"--ip", ARG_STR, &ip},       {"--min-level", ARG_STR, &min_level},
        {"--limit", ARG_STR, &limit}, {"--offset", ARG_STR, &offset},
    };
    const char *pos[1];
    int r =
        cli_args(c, "finding", finding_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 0, 0, "");
    if (r != CLI_GO)
        return r;
    struct verr e;
    verr_init(&e);
    uint64_t n;
    struct ip_prefix pfx;
    if ((status && arg_choice("--status", status, statuses, &e) < 0) ||
        (system && arg_number("--system", system, 1, INT64_MAX, &n, &e) < 0) ||
        (unit && arg_number("--unit", unit, 1, INT64_MAX, &n, &e) < 0) ||
        (min_level && arg_number("--min-level", min_level, 1, 5, &n, &e) < 0) ||
        (limit && arg_number("--limit", limit, 1, 100000, &n, &e) < 0) ||
        (offset && arg_number("--offset", offset, 0, INT64_MAX, &n, &e) < 0))
        return cli_usage_error("finding", &e);
    if (ip) {
        enum addr_err ae = prefix_parse(ip, strlen(ip), false, &pfx);
        if (ae != ADDR_OK) {
            verr_set(&e, -EINVAL, "--ip: '%s': %s", ip, addr_strerror(ae));
            return cli_usage_error("finding", &e);
        }
    }
    struct buf target;
    url_start(&target, "/api/v1/findings");
    url_query(&target, "status", status);
    url_query(&target, "kind", kind);
    url_query(&target, "system_id", system);
    url_query(&target, "unit_id", unit);
    url_query(&target, "feed", feed);
    url_query(&target, "ip", ip);
    url_query(&target, "min_level", min_level);
    url_query(&target, "limit", limit);
    url_query(&target, "offset", offset);
    r = cli_send(c, "GET", buf_str(&target), NULL, print_findings);
    buf_release(&target);
    return r;
}

static int finding_update(struct cli *c, int argc, char **argv)
{
    const char *status = NULL, *comment = NULL;
    struct arg_opt opts[] = {
        CLI_COMMON_OPTS(c), {"--status", ARG_STR, &status}, {"--comment", ARG_STR, &comment}};
    const char *pos[1];
    int r =
        cli_args(c, "finding", finding_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1, "ID");
    if (r != CLI_GO)
        return r;
    struct verr e;
    verr_init(&e);
    uint64_t id;
    if (!status) {
        verr_set(&e, -EINVAL, "%s: missing required option %s", "finding update", "--status");
        return cli_usage_error("finding", &e);
    }
    if (arg_number("ID", pos[0], 1, INT64_MAX, &id, &e) < 0 ||
        arg_choice("--status", status, statuses, &e) < 0)
        return cli_usage_error("finding", &e);
    json_t *body = json_pack("{s:s}", "status", status);
    if (comment)
        json_object_set_new(body, "comment", json_string(comment));
    char target[64];
    snprintf(target, sizeof(target), "/api/v1/findings/%llu", (unsigned long long)id);
    return cli_send(c, "PATCH", target, body, print_finding);
}

int cmd_finding(struct cli *c, int argc, char **argv)
{
    const char *verb = argv[0];
    if (strcmp(verb, "list") == 0)
        return finding_list(c, argc, argv);
    if (strcmp(verb, "update") == 0)
        return finding_update(c, argc, argv);
    if (strcmp(verb, "show") == 0)
        return cli_show(c, "finding", finding_usage, argc, argv, print_finding);
    cli_err(_("unknown command 'finding %s'"), verb);
    finding_usage(stderr);
    return CLI_EXIT_USAGE;
}
