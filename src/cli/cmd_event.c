/* vigil event search QUERY [--agent ID] [--dataset D] [--since T] [--limit N] */
#include <string.h>

#include "cli/view.h"

void event_usage(FILE *f)
{
    fputs(_("Usage: vigil event search QUERY [--agent ID] [--dataset D] [--since T] [--limit N]\n"
            "Searches the events agents sent, newest first. QUERY is an FTS5 query over the "
            "message,\n"
            "the dataset and the host name: words, \"a phrase\", AND, OR, NOT, prefix*, "
            "host:web1.\n"
            "T is a date (2026-11-01) or a time (2026-11-01T08:00:00+07:00).\n"),
          f);
}

static const struct view_field event_cols[] = {
    {N_("col|Time"), "@timestamp", VIEW_TIME},
    {N_("col|Agent"), "agent_id"},
    {N_("col|Dataset"), "dataset"},
    {N_("col|Host"), "host"},
    {N_("col|Message"), "message"},
};

static int print_events(const json_t *res)
{
    const json_t *items = json_object_get(res, "items");
    int r = view_print_items(items, event_cols, ARRAY_SIZE(event_cols), NULL);
    json_int_t total = json_integer_value(json_object_get(res, "total"));
    if ((size_t)total > json_array_size(items))
        printf(_("(%zu of %lld events shown; use --limit for more)\n"), json_array_size(items),
               (long long)total);
    return r;
}

int cmd_event(struct cli *c, int argc, char **argv)
{
    const char *agent = NULL, *dataset = NULL, *since = NULL, *limit = NULL;
    struct arg_opt opts[] = {
        CLI_COMMON_OPTS(c),
        {"--agent", ARG_STR, &agent},
        {"--dataset", ARG_STR, &dataset},
        {"--since", ARG_STR, &since},
        {"--limit", ARG_STR, &limit},
    };
    const char *pos[1];
    struct verr e;
    uint64_t n;
    struct buf target;
    int r;

    if (argc < 1 || strcmp(argv[0], "search") != 0) {
        event_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    r = cli_args(c, "event", event_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1, "QUERY");
    if (r != CLI_GO)
        return r;
    verr_init(&e);
    if ((agent && arg_number("--agent", agent, 1, INT64_MAX, &n, &e) < 0) ||
        (limit && arg_number("--limit", limit, 1, 10000, &n, &e) < 0))
        return cli_usage_error("event", &e);
    url_start(&target, "/api/v1/events");
    url_query(&target, "q", pos[0]);
    url_query(&target, "agent_id", agent);
    url_query(&target, "dataset", dataset);
    url_query(&target, "from", since);
    url_query(&target, "limit", limit);
    r = cli_send(c, "GET", buf_str(&target), NULL, print_events);
    buf_release(&target);
    return r;
}
