/* vigil finding list|show|update */
#include <string.h>

#include "base/addr.h"
#include "cli/cli.h"
#include "cli/table.h"

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

static void print_finding(const json_t *f)
{
    const json_t *d = json_object_get(f, "details");
    char t1[64], t2[64], t3[64], t4[64];
    char sys[1100];
    snprintf(sys, sizeof(sys), "%s (%s)", jstr(f, "system_name"), jstr(f, "system_id"));
    struct table t;
    table_init(&t, 2, NULL);
    table_add_kv(&t, cli_tr("col|ID"), jstr(f, "id"));
    table_add_kv(&t, cli_tr("col|Kind"), cli_word(json_string_value(json_object_get(f, "kind"))));
    table_add_kv(&t, cli_tr("col|Status"),
                 cli_word(json_string_value(json_object_get(f, "status"))));
    table_add_kv(&t, cli_tr("col|Priority"), jstr(f, "priority"));
    table_add_kv(&t, cli_tr("col|Streak"), jstr(f, "streak"));
    table_add_kv(&t, cli_tr("col|IP"), jstr(f, "ip"));
    table_add_kv(&t, cli_tr("col|Indicator"), jstr(f, "indicator"));
    table_add_kv(&t, cli_tr("col|System"), sys);
    table_add_kv(&t, cli_tr("col|Unit"), jstr(f, "unit_id"));
    table_add_kv(&t, cli_tr("col|Level"), jstr(f, "level"));
    table_add_kv(&t, cli_tr("col|Feed"), jstr(f, "feed"));
    table_add_kv(&t, cli_tr("col|First listed"), jstr(f, "first_listed"));
    table_add_kv(&t, cli_tr("col|Last listed"), jstr(f, "last_listed"));
    table_add_kv(&t, cli_tr("col|First seen"), jtime(d, "first_seen", t1));
    table_add_kv(&t, cli_tr("col|Malware"), jstr(d, "malware"));
    table_add_kv(&t, cli_tr("col|Port"), jstr(d, "port"));
    table_add_kv(&t, cli_tr("col|ASN"), jstr(d, "asn"));
    table_add_kv(&t, cli_tr("col|ISP"), jstr(d, "isp"));
    table_add_kv(&t, cli_tr("col|Reference"), jstr(d, "ref"));
    table_add_kv(&t, cli_tr("col|Created"), jtime(f, "created_at", t2));
    table_add_kv(&t, cli_tr("col|Updated"), jtime(f, "updated_at", t3));
    if (table_print(&t) < 0)
        cli_err("%s", _("cannot write to standard output"));
    table_release(&t);

    const json_t *history = json_object_get(f, "history");
    if (json_array_size(history) == 0)
        return;
    printf("\n%s\n", cli_tr("msg|History:"));
    table_init(&t, 5,
               (const char *[]){cli_tr("col|Time"), cli_tr("col|Actor"), cli_tr("col|From"),
                                cli_tr("col|To"), cli_tr("col|Comment")});
    size_t i;
    json_t *h;
    json_array_foreach(history, i, h)
    {
        const char *cells[] = {jtime(h, "at", t4), jstr(h, "actor"),
                               cli_word(json_string_value(json_object_get(h, "from"))),
                               cli_word(json_string_value(json_object_get(h, "to"))),
                               jstr(h, "comment")};
        table_add(&t, cells);
    }
    if (table_print(&t) < 0)
        cli_err("%s", _("cannot write to standard output"));
    table_release(&t);
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
    buf_init(&target, 0);
    if (buf_puts(&target, "/api/v1/findings") < 0)
        abort();
    url_query(&target, "status", status);
    url_query(&target, "kind", kind);
    url_query(&target, "system_id", system);
    url_query(&target, "unit_id", unit);
    url_query(&target, "feed", feed);
    url_query(&target, "ip", ip);
    url_query(&target, "min_level", min_level);
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
        json_decref(res);
        return r;
    }
    struct table t;
    table_init(&t, 9,
               (const char *[]){cli_tr("col|ID"), cli_tr("col|Priority"), cli_tr("col|Status"),
                                cli_tr("col|IP"), cli_tr("col|System"), cli_tr("col|Level"),
                                cli_tr("col|Streak"), cli_tr("col|Last listed"),
                                cli_tr("col|Malware")});
    const json_t *items = json_object_get(res, "items");
    size_t i;
    json_t *f;
    json_array_foreach(items, i, f)
    {
        const char *cells[] = {jstr(f, "id"),
                               jstr(f, "priority"),
                               cli_word(json_string_value(json_object_get(f, "status"))),
                               jstr(f, "ip"),
                               jstr(f, "system_name"),
                               jstr(f, "level"),
                               jstr(f, "streak"),
                               jstr(f, "last_listed"),
                               jstr(json_object_get(f, "details"), "malware")};
        table_add(&t, cells);
    }
    r = table_print(&t) < 0 ? CLI_EXIT_SERVER : CLI_EXIT_OK;
    table_release(&t);
    json_int_t total = json_integer_value(json_object_get(res, "total"));
    if ((size_t)total > json_array_size(items))
        printf(_("(%zu of %lld findings shown; use --limit and --offset for more)\n"),
               json_array_size(items), (long long)total);
    json_decref(res);
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
    struct api_call a;
    api_call_init(&a, "PATCH", target);
    a.body = body;
    json_t *res;
    r = api_do(c, &a, &res);
    json_decref(body);
    if (r != 0)
        return r;
    if (c->json)
        r = cli_print_json(res);
    else
        print_finding(res);
    json_decref(res);
    return r;
}

int cmd_finding(struct cli *c, int argc, char **argv)
{
    const char *verb = argv[0];
    if (strcmp(verb, "list") == 0)
        return finding_list(c, argc, argv);
    if (strcmp(verb, "update") == 0)
        return finding_update(c, argc, argv);
    if (strcmp(verb, "show") == 0) {
        json_t *res = NULL;
        int r = cli_by_id(c, "finding", finding_usage, "GET", argc, argv, &res);
        if (r == 0 && res) {
            if (c->json)
                r = cli_print_json(res);
            else
                print_finding(res);
        }
        json_decref(res);
        return r;
    }
    cli_err(_("unknown command 'finding %s'"), verb);
    finding_usage(stderr);
    return CLI_EXIT_USAGE;
}
