/* vigil token create|list|revoke */
#include <string.h>

#include "cli/cli.h"
#include "cli/table.h"

void token_usage(FILE *f)
{
    fputs(_("Usage: vigil token create NAME --role admin|analyst|viewer\n"
            "       vigil token list\n"
            "       vigil token revoke ID\n"
            "The secret of a new token is printed once; keep it in a file with mode 0600.\n"),
          f);
}

static const char *const roles[] = {"admin", "analyst", "viewer", NULL};

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
    struct api_call a;
    api_call_init(&a, "POST", "/api/v1/tokens");
    a.body = body;
    json_t *res;
    r = api_do(c, &a, &res);
    json_decref(body);
    if (r != 0)
        return r;
    if (c->json) {
        r = cli_print_json(res);
    } else {
        struct table t;
        table_init(&t, 2, NULL);
        table_add_kv(&t, cli_tr("col|ID"), jstr(res, "id"));
        table_add_kv(&t, cli_tr("col|Name"), jstr(res, "name"));
        table_add_kv(&t, cli_tr("col|Role"),
                     cli_word(json_string_value(json_object_get(res, "role"))));
        table_add_kv(&t, cli_tr("col|Token"), jstr(res, "token"));
        r = table_print(&t) < 0 ? CLI_EXIT_SERVER : CLI_EXIT_OK;
        table_release(&t);
        fputs(_("This is the only time the token is shown; store it now.\n"), stderr);
    }
    json_decref(res);
    return r;
}

static int token_list(struct cli *c, int argc, char **argv)
{
    struct arg_opt opts[] = {CLI_COMMON_OPTS(c)};
    const char *pos[1];
    int r = cli_args(c, "token", token_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 0, 0, "");
    if (r != CLI_GO)
        return r;
    struct api_call a;
    api_call_init(&a, "GET", "/api/v1/tokens");
    json_t *res;
    r = api_do(c, &a, &res);
    if (r != 0)
        return r;
    if (c->json) {
        r = cli_print_json(res);
    } else {
        struct table t;
        table_init(&t, 5,
                   (const char *[]){cli_tr("col|ID"), cli_tr("col|Name"), cli_tr("col|Role"),
                                    cli_tr("col|Created"), cli_tr("col|Revoked")});
        size_t i;
        json_t *k;
        json_array_foreach(json_object_get(res, "items"), i, k)
        {
            char tm[64];
            const char *cells[] = {jstr(k, "id"), jstr(k, "name"),
                                   cli_word(json_string_value(json_object_get(k, "role"))),
                                   jtime(k, "created_at", tm), jstr(k, "revoked")};
            table_add(&t, cells);
        }
        r = table_print(&t) < 0 ? CLI_EXIT_SERVER : CLI_EXIT_OK;
        table_release(&t);
    }
    json_decref(res);
    return r;
}

int cmd_token(struct cli *c, int argc, char **argv)
{
    const char *verb = argv[0];
    if (strcmp(verb, "create") == 0)
        return token_create(c, argc, argv);
    if (strcmp(verb, "list") == 0)
        return token_list(c, argc, argv);
    if (strcmp(verb, "revoke") == 0) {
        json_t *res = NULL;
        int r = cli_by_id(c, "token", token_usage, "DELETE", argc, argv, &res);
        json_decref(res);
        return r;
    }
    cli_err(_("unknown command 'token %s'"), verb);
    token_usage(stderr);
    return CLI_EXIT_USAGE;
}
