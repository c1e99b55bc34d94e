/* Talking to vigild's API and printing results (see cli.h). */
#include "cli/cli.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/str.h"
#include "base/vtime.h"
#include "wire/http_client.h"

#define MAX_ERROR_LINES 1000

void cli_err(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("vigil: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_apply_lang(struct cli *c)
{
    if (!c->lang_opt)
        return 0;
    if (strcmp(c->lang_opt, "vi") != 0 && strcmp(c->lang_opt, "en") != 0) {
        cli_err(_("--lang: '%s' is not one of: vi, en"), c->lang_opt);
        return CLI_EXIT_USAGE;
    }
    c->lang = i18n_parse(c->lang_opt);
    i18n_set(c->lang);
    return 0;
}

int cli_usage_error(const char *noun, const struct verr *e)
{
    cli_err("%s", e->msg);
    if (noun)
        fprintf(stderr, _("Try 'vigil %s --help'.\n"), noun);
    else
        fputs(_("Try 'vigil --help'.\n"), stderr);
    return CLI_EXIT_USAGE;
}

int cli_args(struct cli *c, const char *noun, void (*usage)(FILE *), int argc, char **argv,
             const struct arg_opt *opts, size_t n_opts, const char **pos, size_t min_pos,
             size_t max_pos, const char *pos_names)
{
    struct verr e;
    verr_init(&e);
    size_t n_pos = 0;
    int r = args_parse(argc - 1, argv + 1, opts, n_opts, pos, max_pos, &n_pos, &e);
    if (cli_apply_lang(c) != 0)
        return CLI_EXIT_USAGE;
    if (c->help) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (r < 0)
        return cli_usage_error(noun, &e);
    if (n_pos < min_pos) {
        /* Name the first missing positional: the n_pos-th word of pos_names. */
        const char *p = pos_names;
        for (size_t i = 0; i < n_pos && p; i++) {
            p = strchr(p, ' ');
            if (p)
                p++;
        }
        size_t len = p ? strcspn(p, " ") : 0;
        verr_set(&e, -EINVAL, "%s %s: missing argument %.*s", noun, argv[0], (int)len, p ? p : "");
        return cli_usage_error(noun, &e);
    }
    return CLI_GO;
}

void api_call_init(struct api_call *a, const char *method, const char *target)
{
    memset(a, 0, sizeof(*a));
    a->method = method;
    a->target = target;
    a->body_fd = -1;
}

static bool token_char_ok(unsigned char ch)
{
    return ch > 0x20 && ch < 0x7f;
}

/* Find the token: --token-file / VIGIL_TOKEN_FILE, else VIGIL_TOKEN. */
static int load_token(struct cli *c)
{
    if (c->token)
        return 0;
    const char *file = c->token_file;
    if (!file || !*file)
        file = getenv("VIGIL_TOKEN_FILE");
    char *text = NULL;
    size_t len = 0;
    if (file && *file) {
        int r = file_read_all(file, 64 * 1024, &text, &len);
        if (r < 0) {
            cli_err(_("cannot read token file '%s': %s"), file,
                    r == -EFBIG ? _("the token file is too large") : strerror(-r));
            return CLI_EXIT_SERVER;
        }
    } else {
        const char *env = getenv("VIGIL_TOKEN");
        if (!env || !*env) {
            cli_err("%s", _("no API token: give --token-file FILE or set VIGIL_TOKEN_FILE or "
                            "VIGIL_TOKEN (vigild writes the first admin token to "
                            "<data_dir>/admin.token)"));
            return CLI_EXIT_SERVER;
        }
        text = xstrdup(env);
        len = strlen(text);
    }
    const char *p = text;
    str_trim(&p, &len);
    bool ok = len > 0 && len <= CLI_MAX_TOKEN;
    for (size_t i = 0; ok && i < len; i++)
        ok = token_char_ok((unsigned char)p[i]);
    if (!ok) {
        free(text);
        cli_err("%s", _("the API token is empty or contains characters a token cannot have"));
        return CLI_EXIT_SERVER;
    }
    c->token = xstrndup(p, len);
    free(text);
    return 0;
}

static int make_client(const struct cli *c, struct http_client *hc)
{
    memset(hc, 0, sizeof(*hc));
    struct verr e;
    verr_init(&e);
    const char *server = c->server;
    if (!server || !*server)
        server = getenv("VIGIL_SERVER");
    if (!server || !*server)
        server = CLI_DEFAULT_SERVER;
    if (http_url_parse(server, &hc->url, &e) < 0) {
        cli_err("--server: %s", e.msg);
        return CLI_EXIT_USAGE;
    }
    const char *cacert = c->cacert;
    if (!cacert || !*cacert)
        cacert = getenv("VIGIL_CACERT");
    hc->cacert = cacert && *cacert ? cacert : NULL;
    const char *fp = c->fingerprint;
    if (!fp || !*fp)
        fp = getenv("VIGIL_FINGERPRINT");
    if (fp && *fp) {
        if (http_fingerprint_parse(fp, hc->fingerprint) < 0) {
            cli_err(_("--fingerprint: '%s' is not SHA256: followed by 64 hex digits"), fp);
            return CLI_EXIT_USAGE;
        }
        hc->have_fingerprint = true;
    }
    hc->connect_timeout_ms = CLI_TIMEOUT_MS;
    return 0;
}

/* Print a problem+json answer (or whatever the server sent) to stderr. */
static void print_problem(const struct http_parser *p, json_t *j, const char *errors_prefix)
{
    const char *detail = NULL;
    if (json_is_object(j)) {
        detail = json_string_value(json_object_get(j, "detail"));
        if (!detail || !*detail)
            detail = json_string_value(json_object_get(j, "title"));
    }
    if (detail && *detail)
        cli_err("%s", detail);
    else
        cli_err(_("the server answered HTTP %d"), p->status);

    json_t *errors = json_is_object(j) ? json_object_get(j, "errors") : NULL;
    size_t i;
    json_t *item;
    json_array_foreach(errors, i, item)
    {
        if (i >= MAX_ERROR_LINES)
            break;
        char line[32], field[256], reason[1024];
        const char *l = jtext(item, "line", line, sizeof(line));
        const char *f = jtext(item, "field", field, sizeof(field));
        const char *why = jtext(item, "reason", reason, sizeof(reason));
        bool has_line = json_object_get(item, "line") != NULL;
        /* "FILE:LINE: field: reason", the field left out when there is none. */
        const char *fsep = ": ";
        if (strcmp(f, "-") == 0 || !*f)
            f = fsep = "";
        if (errors_prefix && has_line)
            fprintf(stderr, "%s:%s: %s%s%s\n", errors_prefix, l, f, fsep, why);
        else if (has_line)
            fprintf(stderr, _("vigil: line %s: %s%s%s\n"), l, f, fsep, why);
        else
            fprintf(stderr, "vigil: %s%s%s\n", f, fsep, why);
    }
    if (p->status == 401)
        fputs(_("vigil: check the API token (--token-file, VIGIL_TOKEN_FILE or VIGIL_TOKEN)\n"),
              stderr);
}

int api_do(struct cli *c, const struct api_call *a, json_t **ret)
{
    *ret = NULL;
    struct http_client hc;
    int r = make_client(c, &hc);
    if (r != 0)
        return r;
    r = load_token(c);
    if (r != 0)
        return r;

    char *body = NULL;
    struct http_request req = {
        .method = a->method,
        .target = a->target,
        .accept_language = c->lang == LANG_EN ? "en" : "vi",
        .token = c->token,
        .body_fd = a->body_fd,
        .body_fd_len = a->body_fd_len,
        .timeout_ms = a->timeout_ms ? a->timeout_ms : CLI_TIMEOUT_MS,
    };
    if (a->body) {
        body = json_dumps(a->body, JSON_COMPACT);
        if (!body) {
            cli_err("%s", _("cannot encode the request"));
            return CLI_EXIT_USAGE;
        }
        req.body = body;
        req.body_len = strlen(body);
        req.content_type = "application/json";
    } else if (a->body_fd >= 0) {
        req.content_type = "application/octet-stream";
    }

    struct http_parser p;
    struct verr e;
    verr_init(&e);
    r = http_do(&hc, &req, &p, &e);
    free(body);
    if (r < 0) {
        cli_err("%s", e.msg);
        http_parser_release(&p);
        return CLI_EXIT_SERVER;
    }

    json_t *j = NULL;
    json_error_t jerr;
    bool is_json =
        p.content_type && (strncasecmp(p.content_type, "application/json", 16) == 0 ||
                           strncasecmp(p.content_type, "application/problem+json", 24) == 0);
    if (p.body.len > 0 && is_json)
        j = json_loadb(p.body.data, p.body.len, JSON_REJECT_DUPLICATES, &jerr);

    int code;
    if (p.status >= 200 && p.status < 300) {
        if (p.body.len > 0 && !j) {
            cli_err(_("the server sent an answer that is not valid JSON (HTTP %d)"), p.status);
            code = CLI_EXIT_SERVER;
        } else {
            *ret = j;
            j = NULL;
            code = CLI_EXIT_OK;
        }
    } else {
        print_problem(&p, j, a->errors_prefix);
        code = (p.status >= 400 && p.status < 500 && p.status != 401 && p.status != 403)
                   ? CLI_EXIT_USAGE
                   : CLI_EXIT_SERVER;
    }
    json_decref(j);
    http_parser_release(&p);
    return code;
}

void url_encode(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~';
        char enc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
        /* Targets are built from option values bounded by argv; the buffer is uncapped. */
        if (keep ? buf_putc(b, (char)ch) < 0 : buf_append(b, enc, 3) < 0)
            abort();
    }
}

void url_start(struct buf *b, const char *path)
{
    buf_init(b, 0);
    if (buf_puts(b, path) < 0)
        abort();
}

void url_query(struct buf *b, const char *key, const char *value)
{
    if (!value)
        return;
    bool first = memchr(buf_str(b), '?', b->len) == NULL;
    if (buf_printf(b, "%c%s=", first ? '?' : '&', key) < 0)
        abort();
    url_encode(b, value);
}

int cli_print_json(const json_t *j)
{
    if (json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY) < 0 || fputc('\n', stdout) == EOF ||
        fflush(stdout) == EOF) {
        cli_err("%s", _("cannot write to standard output"));
        return CLI_EXIT_SERVER;
    }
    return CLI_EXIT_OK;
}

const char *jvalue_text(const json_t *v, char *tmp, size_t n)
{
    if (!v || json_is_null(v))
        return "-";
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(tmp, n, "%lld", (long long)json_integer_value(v));
        return tmp;
    }
    if (json_is_real(v)) {
        snprintf(tmp, n, "%g", json_real_value(v));
        return tmp;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? cli_tr("word|yes") : cli_tr("word|no");
    if (json_is_array(v)) {
        size_t o = 0, i;
        const json_t *item;
        tmp[0] = '\0';
        json_array_foreach(v, i, item)
        {
            char one[64];
            const char *s = jvalue_text(item, one, sizeof(one));
            int w = snprintf(tmp + o, n - o, "%s%s", i ? ", " : "", s);
            if (w < 0 || (size_t)w >= n - o)
                break;
            o += (size_t)w;
        }
        return o ? tmp : "-";
    }
    if (json_is_object(v)) {
        char *s = json_dumps(v, JSON_COMPACT);
        snprintf(tmp, n, "%s", s ? s : "-");
        free(s);
        return tmp;
    }
    return "-";
}

const char *jtext(const json_t *obj, const char *key, char *tmp, size_t n)
{
    return jvalue_text(json_object_get(obj, key), tmp, n);
}

const char *jstr(const json_t *obj, const char *key)
{
    static char pool[16][1024];
    static unsigned next;
    char *tmp = pool[next++ % ARRAY_SIZE(pool)];
    return jtext(obj, key, tmp, sizeof(pool[0]));
}

const char *jtime(const json_t *obj, const char *key, char out[static 64])
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s || !*s)
        return "-";
    int64_t t;
    if (vtime_parse(s, strlen(s), &t) < 0) {
        snprintf(out, 64, "%s", s);
        return out;
    }
    vtime_format_local(t, out);
    return out;
}

const char *cli_tr(const char *msgid)
{
    const char *t = _(msgid);
    if (t != msgid)
        return t;
    const char *bar = strchr(msgid, '|');
    return bar ? bar + 1 : msgid;
}

const char *cli_word(const char *w)
{
    static const char *const words[] = {
        N_("word|open"),           N_("word|in_progress"), N_("word|resolved"),
        N_("word|false_positive"), N_("word|botnet"),      N_("word|threat"),
        N_("word|admin"),          N_("word|analyst"),     N_("word|viewer"),
    };
    if (!w)
        return "-";
    for (size_t i = 0; i < ARRAY_SIZE(words); i++)
        if (strcmp(w, words[i] + 5) == 0)
            return cli_tr(words[i]);
    return w;
}

int cli_by_id(struct cli *c, const char *noun, void (*usage)(FILE *), const char *method, int argc,
              char **argv, json_t **ret)
{
    struct arg_opt opts[] = {CLI_COMMON_OPTS(c)};
    const char *pos[1];
    *ret = NULL;
    int r = cli_args(c, noun, usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1, "ID");
    if (r != CLI_GO)
        return r;
    struct verr e;
    verr_init(&e);
    uint64_t id;
    if (arg_number("ID", pos[0], 1, INT64_MAX, &id, &e) < 0)
        return cli_usage_error(noun, &e);
    char target[128];
    snprintf(target, sizeof(target), "/api/v1/%ss/%llu", noun, (unsigned long long)id);
    struct api_call a;
    api_call_init(&a, method, target);
    r = api_do(c, &a, ret);
    if (r == 0 && strcmp(method, "DELETE") == 0 && !c->json)
        printf("%s\n", cli_tr("msg|Removed."));
    return r;
}

int cli_output(const struct cli *c, json_t *obj, int (*print)(const json_t *obj))
{
    int r = c->json ? cli_print_json(obj) : print(obj);
    json_decref(obj);
    return r;
}

int cli_send(struct cli *c, const char *method, const char *target, json_t *body,
             int (*print)(const json_t *obj))
{
    struct api_call a;
    api_call_init(&a, method, target);
    a.body = body;
    json_t *res;
    int r = api_do(c, &a, &res);
    json_decref(body);
    return r != 0 ? r : cli_output(c, res, print);
}

int cli_show(struct cli *c, const char *noun, void (*usage)(FILE *), int argc, char **argv,
             int (*print)(const json_t *obj))
{
    json_t *res = NULL;
    int r = cli_by_id(c, noun, usage, "GET", argc, argv, &res);
    if (r != 0 || !res)
        return r;
    return cli_output(c, res, print);
}

int cli_remove(struct cli *c, const char *noun, void (*usage)(FILE *), int argc, char **argv)
{
    json_t *res = NULL;
    int r = cli_by_id(c, noun, usage, "DELETE", argc, argv, &res);
    json_decref(res);
    return r;
}
