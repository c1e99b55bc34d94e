/* vigil token create|list|revoke */
#include <string.h>

#include "cli/view.h"

void token_usage(FILE *f)
{
    fputs(_("Usage: vigil token create NAME --role admin|analyst|viewer\n"
            "       vigil token list\n"
            "       vigil token revoke ID\n"
            "The secret of a new token is printed once; keep it in a file with mode 0600.\n"),
          f);
}

static const char *const roles[] = {"admin", "analyst", "viewer", NULL};

static const struct view_field secret_fields[] = {
    {N_("col|ID"), "id"},
    {N_("col|Name"), "name"},
    {N_("col|Role"), "role", VIEW_WORD},
    {N_("col|Token"), "token"},
};

static const struct view_field token_cols[] = {
    {N_("col|ID"), "id"},
    {N_("col|Name"), "name"},
    {N_("col|Role"), "role", VIEW_WORD},
    {N_("col|Created"), "created_at", VIEW_TIME},
    {N_("col|Revoked"), "revoked"},
};

/* A new token with its secret, which is never shown again. */
static int print_secret(const json_t *k)
{
    int r = view_print_fields(k, secret_fields, ARRAY_SIZE(secret_fields));
    fputs(_("This is the only time the token is shown; store it now.\n"), stderr);
    return r;
}

static int token_create(struct cli *c, int argc, char **argv)
{
    const char *role = NULL;
    struct arg_opt opts[] = {CLI_COMMON_OPTS(c), {"--role", ARG_STR, &role}};
    const char *pos[1];
    int r =
        cli_args(c, "token", token_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1, "NAME");
    if (r != CLI_GO)
        return r;
    struct verr e;
    verr_init(&e);
    if (!role) {
        verr_set(&e, -EINVAL, "%s: missing required option %s", "token create", "--role");
        return cli_usage_error("token", &e);
    }
    if (arg_choice("--role", role, roles, &e) < 0)
        return cli_usage_error("token", &e);
    json_t *body = json_pack("{s:s, s:s}", "name", pos[0], "role", role);
    return cli_send(c, "POST", "/api/v1/tokens", body, print_secret);
}

int cmd_token(struct cli *c, int argc, char **argv)
{
    const char *verb = argv[0];
    if (strcmp(verb, "create") == 0)
        return token_create(c, argc, argv);
    if (strcmp(verb, "list") == 0)
        return view_list_cmd(c, "token", token_usage, argc, argv, "/api/v1/tokens", token_cols,
                             ARRAY_SIZE(token_cols));
    if (strcmp(verb, "revoke") == 0)
        return cli_remove(c, "token", token_usage, argc, argv);
    cli_err(_("unknown command 'token %s'"), verb);
    token_usage(stderr);
    return CLI_EXIT_USAGE;
}
