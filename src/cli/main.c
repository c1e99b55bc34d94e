/*
 * vigil: the command line. Global options, then `vigil <noun> <verb> [args]`;
 * each noun lives in cmd_<noun>.c. See docs/en/cli.md.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/i18n.h"
#include "cli/cli.h"
#include "cli/cmd_malware.h"
#include "cli/cmd_match.h"
#include "cli/cmd_scan.h"

static void usage(FILE *f)
{
    fputs(_("Usage: vigil [GLOBAL OPTIONS] NOUN VERB [ARGUMENTS] [--json]\n"
            "\n"
            "Commands:\n"
            "  unit      add, list, show, remove       units (organisations, departments)\n"
            "  system    add, list, show, remove       information systems and their addresses\n"
            "  feed      import, list, versions, diff  threat lists (the botnet IP list)\n"
            "  finding   list, show, update            findings: listed IPs in your systems\n"
            "  token     create, list, revoke          API tokens\n"
            "  agent     token, list, show, revoke     vigil-agent enrollment and registry\n"
            "  audit                                   the audit log\n"
            "  host      inventory                     what an agent's host runs and holds\n"
            "  event     search                        search the events agents sent\n"
            "  coverage  [--scans]                     which system addresses have an agent; "
            "last full scans\n"
            "  rules     import, list                  YARA rules and hash lists agents scan "
            "with\n"
            "  malware   list, show, verify, update, remove, restore  malware found by agents\n"
            "  scans     list, start                   agents' scans; start one on a host\n"
            "  match     --list FILE [FILE...]         offline: lines with an address in a list\n"
            "  scan      PATH... [--rules R] [--hashes H]  offline: scan files for malware\n"
            "  quarantine  list, restore, purge        files moved aside by scan --quarantine\n"
            "\n"
            "Global options:\n"
            "  --server URL        vigild's address (env VIGIL_SERVER; default "
            "https://127.0.0.1:8443)\n"
            "  --token-file FILE   file holding the API token (env VIGIL_TOKEN_FILE, or the "
            "token in VIGIL_TOKEN)\n"
            "  --cacert FILE       trust this certificate file (env VIGIL_CACERT), e.g. "
            "<data_dir>/tls/vigild.crt\n"
            "  --fingerprint SHA256:HEX  pin the server certificate (env VIGIL_FINGERPRINT)\n"
            "  --json              print the API's JSON\n"
            "  --lang vi|en        language (else VIGIL_LANG, LANG; Vietnamese by default)\n"
            "  --help, --version\n"
            "\n"
            "Exit status: 0 ok, 1 something found (match, scan), 2 usage or input error, 3 server, "
            "network or authentication error.\n"
            "Help on one command: vigil NOUN --help\n"),
          f);
}

struct noun {
    const char *name;
    int (*run)(struct cli *c, int argc, char **argv);
    void (*usage)(FILE *f);
    bool has_verbs;
};

static const struct noun nouns[] = {
    {"unit", cmd_unit, unit_usage, true},    {"system", cmd_system, system_usage, true},
    {"feed", cmd_feed, feed_usage, true},    {"finding", cmd_finding, finding_usage, true},
    {"token", cmd_token, token_usage, true}, {"audit", cmd_audit, audit_usage, false},
    {"agent", cmd_agent, agent_usage, true}, {"host", cmd_host, host_usage, true},
    {"event", cmd_event, event_usage, true}, {"coverage", cmd_coverage, coverage_usage, false},
    {"rules", cmd_rules, rules_usage, true}, {"malware", cmd_malware, malware_usage, true},
    {"scans", cmd_scans, scans_usage, true},
};

static const struct noun *find_noun(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(nouns); i++)
        if (strcmp(nouns[i].name, name) == 0)
            return &nouns[i];
    return NULL;
}

static bool is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0;
}

/* The language must be known before anything is printed: look for --lang
 * among the global options first. */
static void early_lang(int argc, char **argv)
{
    for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
            v = argv[i + 1];
        else if (strncmp(argv[i], "--lang=", 7) == 0)
            v = argv[i] + 7;
        if (v && (strcmp(v, "vi") == 0 || strcmp(v, "en") == 0))
            i18n_set(i18n_parse(v));
    }
}

int main(int argc, char **argv)
{
    /* A server closing the connection early must be an error, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    i18n_init();
    early_lang(argc, argv);

    struct cli c = {.lang = i18n_get()};
    struct arg_opt globals[] = {CLI_COMMON_OPTS(&c), {"--version", ARG_FLAG, NULL}};
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return CLI_EXIT_OK;
        }
        if (strcmp(a, "--version") == 0) {
            printf("vigil %s\n", VIGIL_VERSION);
            return CLI_EXIT_OK;
        }
        const char *eq = strchr(a, '=');
        size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
        const struct arg_opt *o = NULL;
        for (size_t k = 0; k + 1 < ARRAY_SIZE(globals); k++)
            if (strlen(globals[k].name) == name_len && memcmp(globals[k].name, a, name_len) == 0)
                o = &globals[k];
        if (!o) {
            cli_err(_("unknown option '%.*s'"), (int)name_len, a);
            fputs(_("Try 'vigil --help'.\n"), stderr);
            return CLI_EXIT_USAGE;
        }
        if (o->kind == ARG_FLAG) {
            *(bool *)o->ret = true;
            continue;
        }
        if (!eq && i + 1 >= argc) {
            cli_err(_("option %s needs a value"), o->name);
            return CLI_EXIT_USAGE;
        }
        *(const char **)o->ret = eq ? eq + 1 : argv[++i];
    }
    if (cli_apply_lang(&c) != 0)
        return CLI_EXIT_USAGE;
    if (i >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[i];
    if (strcmp(name, "help") == 0) {
        const struct noun *n = i + 1 < argc ? find_noun(argv[i + 1]) : NULL;
        if (n)
            n->usage(stdout);
        else
            usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "match") == 0)
        return cmd_match(argc - i, argv + i);
    if (strcmp(name, "scan") == 0)
        return cmd_scan(argc - i, argv + i);
    if (strcmp(name, "quarantine") == 0)
        return cmd_quarantine(argc - i, argv + i);
    const struct noun *n = find_noun(name);
    if (!n) {
        cli_err(_("unknown command '%s'"), name);
        fputs(_("Try 'vigil --help'.\n"), stderr);
        return CLI_EXIT_USAGE;
    }
    int r;
    if (!n->has_verbs) {
        r = n->run(&c, argc - i, argv + i);
    } else if (i + 1 >= argc) {
        n->usage(stderr);
        r = CLI_EXIT_USAGE;
    } else if (is_help(argv[i + 1])) {
        n->usage(stdout);
        r = CLI_EXIT_OK;
    } else {
        r = n->run(&c, argc - i - 1, argv + i + 1);
    }
    free(c.token);
    return r;
}
