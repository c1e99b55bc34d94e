/* vigil coverage [--scans [--days N]] */
#include "cli/cmd_malware.h"
#include "cli/view.h"

void coverage_usage(FILE *f)
{
    fputs(_("Usage: vigil coverage\n"
            "For each registered system, which of its addresses have a reporting agent (active, "
            "seen\n"
            "within 24 hours): for a CIDR the number of agents inside it, for a single host "
            "whether it has one.\n"),
          f);
    fputs(_("       vigil coverage --scans [--days N]\n"
            "For each active agent, its last full malware scan; hosts without a good one within\n"
            "N days (default 7) are overdue and listed first.\n"),
          f);
}

static const struct view_field coverage_cols[] = {
    {N_("col|System"), "system"},   {N_("col|Level"), "level"},     {N_("col|Address"), "cidr"},
    {N_("col|Agents"), "n_agents"}, {N_("col|Covered"), "covered"}, {N_("col|Agent IDs"), "agents"},
};

/* One row per address of every system. */
static int print_coverage(const json_t *res)
{
    json_t *rows = json_array();
    const json_t *sys, *a;
    size_t i, j;
    int64_t uncovered = 0;
    int r;

    json_array_foreach(json_object_get(res, "items"), i, sys)
    {
        uncovered += json_integer_value(json_object_get(sys, "n_hosts_uncovered"));
        json_array_foreach(json_object_get(sys, "addrs"), j, a)
        {
            json_t *row = json_deep_copy(a);
            json_object_set(row, "system", json_object_get(sys, "name"));
            json_object_set(row, "level", json_object_get(sys, "level"));
            json_array_append_new(rows, row);
        }
    }
    r = view_print_items(rows, coverage_cols, ARRAY_SIZE(coverage_cols), NULL);
    json_decref(rows);
    if (r == 0)
        printf(_("Single hosts without a reporting agent: %lld\n"), (long long)uncovered);
    return r;
}

int cmd_coverage(struct cli *c, int argc, char **argv)
{
    bool scans = false;
    const char *days = NULL;
    struct arg_opt opts[] = {
        CLI_COMMON_OPTS(c), {"--scans", ARG_FLAG, &scans}, {"--days", ARG_STR, &days}};
    const char *pos[1];
    int r =
        cli_args(c, "coverage", coverage_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 0, 0, "");
    if (r != CLI_GO)
        return r;
    if (scans || days)
        return coverage_scans(c, days);
    return cli_send(c, "GET", "/api/v1/coverage", NULL, print_coverage);
}
