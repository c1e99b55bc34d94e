/* vigil-agent: options and configuration, then hand over. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/config.h"
#include "agent/enroll.h"
#include "base/i18n.h"
#include "base/log.h"

static void usage(FILE *f)
{
    fprintf(f, "%s",
            _("Usage: vigil-agent COMMAND [OPTIONS]\n"
              "\n"
              "Commands:\n"
              "  run [-c FILE] [--data-dir DIR]     run the agent (the default command)\n"
              "  enroll --server HOST:PORT --token TOKEN --fingerprint SHA256:HEX\n"
              "         [--data-dir DIR] [--hostname NAME] [-c FILE]\n"
              "                                     enroll this host with vigild\n"
              "  --check-config [-c FILE]           check the configuration and exit\n"
              "  --version, --help\n"
              "\n"
              "See docs/en/agent.md (vi: docs/vi/agent.md).\n"));
}

struct opts {
    const char *config;
    const char *data_dir;
    const char *server, *token, *fingerprint, *hostname;
    bool check;
    bool config_given;
};

static int parse(int argc, char **argv, int first, struct opts *o)
{
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            slot = &o->config;
            o->config_given = true;
        } else if (strcmp(a, "--data-dir") == 0)
            slot = &o->data_dir;
        else if (strcmp(a, "--server") == 0)
            slot = &o->server;
        else if (strcmp(a, "--token") == 0)
            slot = &o->token;
        else if (strcmp(a, "--fingerprint") == 0)
            slot = &o->fingerprint;
        else if (strcmp(a, "--hostname") == 0)
            slot = &o->hostname;
        else if (strcmp(a, "--check-config") == 0) {
            o->check = true;
            continue;
        } else {
            fprintf(stderr, "vigil-agent: %s: %s\n", _("unknown option"), a);
            return -1;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "vigil-agent: %s: %s\n", _("option needs a value"), a);
            return -1;
        }
        *slot = argv[++i];
    }
    return 0;
}

static int load_config(const struct opts *o, struct agent_config *c)
{
    struct verr err;

    verr_init(&err);
    if ((o->config_given || access(o->config, F_OK) == 0) &&
        agent_config_load_file(c, o->config, &err) < 0) {
        fprintf(stderr, "vigil-agent: %s\n", err.msg);
        return -1;
    }
    if (o->data_dir) {
        if (o->data_dir[0] != '/') {
            fprintf(stderr, "vigil-agent: %s\n", _("--data-dir must be an absolute path"));
            return -1;
        }
        free(c->data_dir);
        c->data_dir = xstrdup(o->data_dir);
    }
    log_set_level(c->log_level);
    return 0;
}

static int cmd_enroll(const struct opts *o, const struct agent_config *c)
{
    struct enroll_opts eo = {o->server, o->token, o->fingerprint, o->hostname};
    struct verr err;
    char id[64];

    if (!o->server || !o->token || !o->fingerprint) {
        fprintf(stderr, "vigil-agent: %s\n", _("enroll needs --server, --token and --fingerprint"));
        return 2;
    }
    verr_init(&err);
    if (agent_enroll(c, &eo, id, sizeof(id), &err) < 0) {
        fprintf(stderr, "vigil-agent: %s\n", err.msg);
        return 1;
    }
    printf(_("enrolled: agent %s, files in %s\n"), id, c->data_dir);
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = {.config = AGENT_DEFAULT_CONFIG};
    struct agent_config c;
    const char *cmd = argc > 1 ? argv[1] : "run";
    int first = 2, rc;

    i18n_init();
    if (strcmp(cmd, "--version") == 0) {
        printf("vigil-agent %s\n", VIGIL_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "run") != 0 && strcmp(cmd, "enroll") != 0) {
        cmd = "run"; /* options only: `vigil-agent --check-config -c FILE` */
        first = 1;
    }
    if (parse(argc, argv, first, &o) < 0) {
        usage(stderr);
        return 2;
    }
    agent_config_init(&c);
    if (load_config(&o, &c) < 0) {
        agent_config_release(&c);
        return 2;
    }
    if (o.check) {
        printf("%s\n", _("configuration OK"));
        rc = 0;
    } else if (strcmp(cmd, "enroll") == 0) {
        rc = cmd_enroll(&o, &c);
    } else {
        rc = agent_run(&c);
    }
    agent_config_release(&c);
    return rc;
}
