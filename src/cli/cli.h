/*
 * The `vigil` command line: shared state of one run and the helpers every
 * command uses to talk to vigild's API and to print for people or --json.
 *
 * Exit codes: 0 ok; 1 something found (match/scan only); 2 usage or input
 * error (bad option, bad value, and the server's 400/404/409/413/422);
 * 3 server, network, TLS or authentication error (401, 403, 5xx).
 */
#ifndef VIGIL_CLI_CLI_H
#define VIGIL_CLI_CLI_H

#include <stdio.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/common.h"
#include "base/err.h"
#include "base/i18n.h"
#include "cli/args.h"

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FOUND = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_SERVER = 3,
};

#define CLI_DEFAULT_SERVER    "https://127.0.0.1:8443"
#define CLI_TIMEOUT_MS        (30 * 1000)
#define CLI_IMPORT_TIMEOUT_MS (300 * 1000)
#define CLI_MAX_TOKEN         1024

/* Returned by cli_args() when the command should go on. */
#define CLI_GO (-1)

struct cli {
    const char *server;      /* base URL of vigild */
    const char *token_file;  /* file holding the API token */
    const char *cacert;      /* PEM file to verify the server with */
    const char *fingerprint; /* "SHA256:<hex>" pin of the server certificate */
    bool json;               /* print the API's JSON */
    bool help;               /* --help after the command */
    const char *lang_opt;    /* --lang vi|en, NULL if not given */
    enum lang lang;
    char *token; /* loaded on first use */
};

/* Options every command accepts after its verb. */
/* Options every command accepts after its verb: --json, --help and the
 * global options, so that `vigil unit list --server URL` works too. */
#define CLI_COMMON_OPTS(c)                                                                         \
    {"--json", ARG_FLAG, &(c)->json}, {"--help", ARG_FLAG, &(c)->help},                            \
        {"--server", ARG_STR, &(c)->server}, {"--token-file", ARG_STR, &(c)->token_file},          \
        {"--cacert", ARG_STR, &(c)->cacert}, {"--fingerprint", ARG_STR, &(c)->fingerprint},        \
    {                                                                                              \
        "--lang", ARG_STR, &(c)->lang_opt                                                          \
    }

/* Apply --lang if it was given. Returns 0, or 2 after printing why. */
int cli_apply_lang(struct cli *c);

/* Print "vigil: <message>" to stderr. */
void cli_err(const char *fmt, ...) PRINTF(1, 2);

/* Parse a command's options (argv[0] is the verb, skipped). On --help print
 * usage and return 0; on a usage error print it with a pointer to --help and
 * return 2; with fewer than min_pos positionals name the first missing one
 * (pos_names: "ID", "NAME FILE"...) and return 2; else return CLI_GO. */
int cli_args(struct cli *c, const char *noun, void (*usage)(FILE *), int argc, char **argv,
             const struct arg_opt *opts, size_t n_opts, const char **pos, size_t min_pos,
             size_t max_pos, const char *pos_names);

/* Report a usage error e for noun and return 2. */
int cli_usage_error(const char *noun, const struct verr *e);

struct api_call {
    const char *method;
    const char *target; /* "/api/v1/units?..." */
    json_t *body;       /* JSON body, or NULL */
    int body_fd;        /* >= 0: upload this file as the raw body */
    uint64_t body_fd_len;
    const char *errors_prefix; /* prefix of each errors[] line: "FILE" gives FILE:LINE: */
    int timeout_ms;            /* 0: CLI_TIMEOUT_MS */
};

/* Initialise a call: method, target, no body. */
void api_call_init(struct api_call *a, const char *method, const char *target);

/* Make the call. On 2xx returns 0 with *ret the decoded JSON (NULL for an
 * empty body; the caller decrefs). Otherwise prints why to stderr (the
 * problem's detail and its errors lines) and returns the exit code (2 or 3). */
int api_do(struct cli *c, const struct api_call *a, json_t **ret);

/* Append s percent-encoded (RFC 3986 unreserved characters kept). */
void url_encode(struct buf *b, const char *s);
/* Initialise b holding path: the start of a target for url_encode and url_query. */
void url_start(struct buf *b, const char *path);
/* Append "?key=value" or "&key=value" (value encoded); nothing if value is NULL. */
void url_query(struct buf *b, const char *key, const char *value);

/* Print j to stdout, indented, with a final newline. Returns 0 or 3. */
int cli_print_json(const json_t *j);

/* Text of obj[key] for a table cell: strings as they are, numbers in
 * decimal, booleans as yes/no, arrays of scalars joined by ", ", null or
 * missing as "-". The result may live in tmp (n bytes). */
const char *jtext(const json_t *obj, const char *key, char *tmp, size_t n);
/* jtext with a scratch buffer of its own: the result stays valid for the
 * next 15 calls (enough for one table row). */
const char *jstr(const json_t *obj, const char *key);
/* obj[key], an RFC 3339 time, shown in Asia/Ho_Chi_Minh; the raw text if
 * it does not parse, "-" if missing. out must hold 64 bytes. */
const char *jtime(const json_t *obj, const char *key, char out[static 64]);
/* A string for a JSON value (not a member); same rules as jtext. */
const char *jvalue_text(const json_t *v, char *tmp, size_t n);

/* Translate msgid "context|Text": the Vietnamese entry when there is one,
 * else "Text". The context keeps short words apart from other catalogs. */
const char *cli_tr(const char *msgid);
/* Translate a status, role, kind or similar API word for people ("open" ->
 * "mở"). Unknown words come back unchanged. */
const char *cli_word(const char *api_word);

/* `vigil NOUN show|remove ID`: GET or DELETE /api/v1/NOUNs/ID. On success
 * returns 0 with *ret the object (NULL after a removal; "Removed." has been
 * printed unless --json). Otherwise an exit code, the error printed. */
int cli_by_id(struct cli *c, const char *noun, void (*usage)(FILE *), const char *method, int argc,
              char **argv, json_t **ret);

/* Print obj: as JSON with --json, else with print (which returns an exit
 * code). obj is released. Returns the exit code. */
int cli_output(const struct cli *c, json_t *obj, int (*print)(const json_t *obj));
/* Send body (JSON, released here; NULL for none) with method to target
 * and print the answer with cli_output. Returns the exit code. */
int cli_send(struct cli *c, const char *method, const char *target, json_t *body,
             int (*print)(const json_t *obj));
/* `vigil NOUN show ID`: cli_by_id with GET, the object printed with
 * cli_output (nothing for an empty answer). Returns the exit code. */
int cli_show(struct cli *c, const char *noun, void (*usage)(FILE *), int argc, char **argv,
             int (*print)(const json_t *obj));
/* `vigil NOUN remove ID`: cli_by_id with DELETE. Returns the exit code. */
int cli_remove(struct cli *c, const char *noun, void (*usage)(FILE *), int argc, char **argv);

/* The commands; argv[0] is the verb. */
int cmd_unit(struct cli *c, int argc, char **argv);
int cmd_system(struct cli *c, int argc, char **argv);
int cmd_feed(struct cli *c, int argc, char **argv);
int cmd_finding(struct cli *c, int argc, char **argv);
int cmd_token(struct cli *c, int argc, char **argv);
int cmd_agent(struct cli *c, int argc, char **argv);
int cmd_host(struct cli *c, int argc, char **argv);
int cmd_event(struct cli *c, int argc, char **argv);
/* `vigil coverage`: argv[0] is "coverage". */
int cmd_coverage(struct cli *c, int argc, char **argv);
/* `vigil audit [--limit N]`: argv[0] is "audit". */
int cmd_audit(struct cli *c, int argc, char **argv);

void unit_usage(FILE *f);
void system_usage(FILE *f);
void feed_usage(FILE *f);
void finding_usage(FILE *f);
void token_usage(FILE *f);
void agent_usage(FILE *f);
void host_usage(FILE *f);
void event_usage(FILE *f);
void coverage_usage(FILE *f);
void audit_usage(FILE *f);

#endif
