/* vigil agent token create|list, vigil agent list|show|revoke */
#include <string.h>

#include "base/buf.h"
#include "base/str.h"
#include "cli/view.h"

#define TTL_MAX (30 * 86400)

void agent_usage(FILE *f)
{
    fputs(_("Usage: vigil agent token create [--ttl SECONDS] [--note TEXT]\n"
            "       vigil agent token list\n"
            "       vigil agent list\n"
            "       vigil agent show ID\n"
            "       vigil agent revoke ID\n"
            "An enrollment token is used once by vigil-agent enroll; it is printed once and\n"
            "expires after --ttl seconds (default 86400, at most 30 days).\n"),
          f);
}

/* The API's status words of agents and enrollment tokens, for people. */
static const char *const status_words[] = {
    N_("word|active"), N_("word|revoked"), N_("word|unused"), N_("word|used"), N_("word|expired"),
};

static const char *status_text(const json_t *o)
{
    const char *s = json_string_value(json_object_get(o, "status"));
    if (!s)
        return "-";
    for (size_t i = 0; i < ARRAY_SIZE(status_words); i++)
        if (strcmp(status_words[i] + 5, s) == 0)
            return cli_tr(status_words[i]);
    return s;
}

static const struct view_field new_token_fields[] = {
    {N_("col|ID"), "id"},
    {N_("col|Expires"), "expires_at", VIEW_TIME},
    {N_("col|Token"), "token"},
};

static const struct view_field token_cols[] = {
    {N_("col|ID"), "id"},
    {N_("col|Status"), "status"},
    {N_("col|Expires"), "expires_at", VIEW_TIME},
    {N_("col|Agent"), "agent_id"},
    {N_("col|Note"), "note"},
};

static const struct view_field agent_fields[] = {
    {N_("col|ID"), "id"},
    {N_("col|Host name"), "hostname"},
    {N_("col|Status"), "status"},
    {N_("col|Version"), "version"},
    {N_("col|Address"), "addr"},
    {N_("col|Last seen"), "last_seen", VIEW_TIME},
    {N_("col|Clock skew (ms)"), "skew_ms"},
    {N_("col|Enrolled"), "enrolled_at", VIEW_TIME},
    {N_("col|Certificate expires"), "cert_not_after", VIEW_TIME},
    {N_("col|Certificate serial"), "cert_serial"},
    {N_("col|Revoked"), "revoked_at", VIEW_TIME},
};

/* The columns of `agent list`: the first six fields. */
#define AGENT_LIST_COLS 6

/* A table row of cols for item, with its status word translated. */
static void status_row(struct table *t, const json_t *item, const struct view_field *cols, size_t n)
{
    char cells[TABLE_MAX_COLS][VIEW_CELL_MAX];
    const char *row[TABLE_MAX_COLS];
    for (size_t i = 0; i < n && i < TABLE_MAX_COLS; i++)
        row[i] = strcmp(cols[i].key, "status") == 0 ? status_text(item)
                                                    : view_text(item, &cols[i], cells[i]);
    table_add(t, row);
}

static void token_row(struct table *t, const json_t *item)
{
    status_row(t, item, token_cols, ARRAY_SIZE(token_cols));
}

static void agent_row(struct table *t, const json_t *item)
{
    status_row(t, item, agent_fields, AGENT_LIST_COLS);
}

static int print_new_token(const json_t *k)
{
    int r = view_print_fields(k, new_token_fields, ARRAY_SIZE(new_token_fields));
    fputs(_("This is the only time the token is shown; store it now.\n"), stderr);
    return r;
}

static int print_agent(const json_t *a)
{
    json_t *copy = json_deep_copy(a);
    if (!copy)
        return CLI_EXIT_SERVER;
    json_object_set_new(copy, "status", json_string(status_text(a)));
    int r = view_print_fields(copy, agent_fields, ARRAY_SIZE(agent_fields));
    json_decref(copy);
    return r;
}

static int token_create(struct cli *c, int argc, char **argv)
{
    const char *ttl = NULL, *note = NULL;
    struct arg_opt opts[] = {
        CLI_COMMON_OPTS(c), {"--ttl", ARG_STR, &ttl}, {"--note", ARG_STR, &note}};
    const char *pos[1];
    int r = cli_args(c, "agent", agent_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 0, 0, "");
    if (r != CLI_GO)
        return r;
    uint64_t secs = 86400;
    if (ttl && (str_to_u64(ttl, strlen(ttl), TTL_MAX, &secs) < 0 || secs == 0)) {
        struct verr e;
        verr_init(&e);
        verr_set(&e, -EINVAL, N_("--ttl: expected a number of seconds from 1 to %d, got '%.32s'"),
                 TTL_MAX, ttl);
        return cli_usage_error("agent", &e);
    }
    json_t *body = json_pack("{s:I}", "ttl_seconds", (json_int_t)secs);
    if (note)
        json_object_set_new(body, "note", json_string(note));
    return cli_send(c, "POST", "/api/v1/agent-tokens", body, print_new_token);
}

/* A list with only the common options, its status words translated. */
static int list_cmd(struct cli *c, int argc, char **argv, const char *target,
                    const struct view_field *cols, size_t n_cols,
                    void (*row)(struct table *t, const json_t *item))
{
    struct arg_opt opts[] = {CLI_COMMON_OPTS(c)};
    const char *pos[1];
    int r = cli_args(c, "agent", agent_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 0, 0, "");
    if (r != CLI_GO)
        return r;
    return view_list(c, target, cols, n_cols, row);
}

static int cmd_agent_token(struct cli *c, int argc, char **argv)
{
    const char *verb = argc > 1 ? argv[1] : "";
    if (strcmp(verb, "create") == 0)
        return token_create(c, argc - 1, argv + 1);
    if (strcmp(verb, "list") == 0)
        return list_cmd(c, argc - 1, argv + 1, "/api/v1/agent-tokens", token_cols,
                        ARRAY_SIZE(token_cols), token_row);
    cli_err(_("unknown command 'agent token %s'"), verb);
    agent_usage(stderr);
    return CLI_EXIT_USAGE;
}

static int agent_revoke(struct cli *c, int argc, char **argv)
{
    struct arg_opt opts[] = {CLI_COMMON_OPTS(c)};
    const char *pos[1];
    int r = cli_args(c, "agent", agent_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1, "ID");
    if (r != CLI_GO)
        return r;
    uint64_t id;
    if (str_to_u64(pos[0], strlen(pos[0]), INT64_MAX, &id) < 0 || id == 0) {
        struct verr e;
        verr_init(&e);
        verr_set(&e, -EINVAL, N_("ID: expected a positive whole number, got '%.32s'"), pos[0]);
        return cli_usage_error("agent", &e);
    }
    char target[64];
    snprintf(target, sizeof(target), "/api/v1/agents/%llu/revoke", (unsigned long long)id);
    return cli_send(c, "POST", target, NULL, print_agent);
}

int cmd_agent(struct cli *c, int argc, char **argv)
{
    const char *verb = argv[0];
    if (strcmp(verb, "token") == 0)
        return cmd_agent_token(c, argc, argv);
    if (strcmp(verb, "list") == 0)
        return list_cmd(c, argc, argv, "/api/v1/agents", agent_fields, AGENT_LIST_COLS, agent_row);
    if (strcmp(verb, "show") == 0)
        return cli_show(c, "agent", agent_usage, argc, argv, print_agent);
    if (strcmp(verb, "revoke") == 0)
        return agent_revoke(c, argc, argv);
    cli_err(_("unknown command 'agent %s'"), verb);
    agent_usage(stderr);
    return CLI_EXIT_USAGE;
}
