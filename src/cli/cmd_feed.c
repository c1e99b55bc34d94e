/* vigil feed import|list|versions|diff */
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/table.h"

#define MAX_WARNING_LINES 100

void feed_usage(FILE *f)
{
    fputs(_("Usage: vigil feed import FILE --feed NAME --date YYYY-MM-DD [--kind botnet|threat]\n"
            "                         [--format F] [--max-errors N] [--max-error-pct P]\n"
            "       vigil feed list\n"
            "       vigil feed versions NAME\n"
            "       vigil feed diff NAME [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--limit N]\n"
            "Formats: auto (default), text, csv, drop, feodo, stix, hashes, domains.\n"
            "Each import is a new dated version of the named feed; a botnet feed is matched "
            "against all registered systems.\n"),
          f);
}

static const char *const kinds[] = {"botnet", "threat", NULL};
static const char *const formats[] = {"auto", "text",   "csv",     "drop", "feodo",
                                      "stix", "hashes", "domains", NULL};

static int check_pct(const char *v, struct verr *e)
{
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (!*v || errno || !end || *end || !isfinite(d) || d < 0 || d > 100)
        return verr_set(e, -EINVAL, "%s: '%s' is not a number from 0 to 100", "--max-error-pct", v);
    return 0;
}

static void print_import(const json_t *res)
{
    const json_t *f = json_object_get(res, "findings");
    struct table t;
    table_init(&t, 2, NULL);
    table_add_kv(&t, cli_tr("col|Feed"), jstr(res, "feed"));
    table_add_kv(&t, cli_tr("col|Version"), jstr(res, "version_id"));
    table_add_kv(&t, cli_tr("col|List date"), jstr(res, "list_date"));
    table_add_kv(&t, cli_tr("col|Format"), jstr(res, "format"));
    table_add_kv(&t, cli_tr("col|Lines"), jstr(res, "n_lines"));
    table_add_kv(&t, cli_tr("col|Indicators"), jstr(res, "n_indicators"));
    table_add_kv(&t, cli_tr("col|Bad lines"), jstr(res, "n_errors"));
    table_add_kv(&t, cli_tr("col|New findings"), jstr(f, "new"));
    table_add_kv(&t, cli_tr("col|Persisting findings"), jstr(f, "persisting"));
    table_add_kv(&t, cli_tr("col|Reopened findings"), jstr(f, "reopened"));
    table_add_kv(&t, cli_tr("col|Resolved findings"), jstr(f, "resolved"));
    if (table_print(&t) < 0)
        cli_err("%s", _("cannot write to standard output"));
    table_release(&t);
}

/* Lines skipped in an import that was accepted: warnings on stderr. */
static void print_skipped(const char *file, const json_t *res)
{
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(res, "errors"), i, item)
    {
        if (i >= MAX_WARNING_LINES)
            break;
        const char *field = jstr(item, "field");
        bool no_field = strcmp(field, "-") == 0 || !*field;
        fprintf(stderr, "%s:%s: %s%s%s\n", file, jstr(item, "line"), no_field ? "" : field,
                no_field ? "" : ": ", jstr(item, "reason"));
    }
}

static int feed_import(struct cli *c, int argc, char **argv)
{
    const char *feed = NULL, *date = NULL, *kind = NULL, *format = NULL, *max_errors = NULL,
               *max_pct = NULL;
    struct arg_opt opts[] = {
        CLI_COMMON_OPTS(c),
        {"--feed", ARG_STR, &feed},
        {"--date", ARG_STR, &date},
        {"--kind", ARG_STR, &kind},
        {"--format", ARG_STR, &format},
        {"--max-errors", ARG_STR, &max_errors},
        {"--max-error-pct", ARG_STR, &max_pct},
    };
    const char *pos[1];
    int r = cli_args(c, "feed", feed_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1, "FILE");
    if (r != CLI_GO)
        return r;
    struct verr e;
    verr_init(&e);
    uint64_t n;
    if (!feed)
        verr_set(&e, -EINVAL, "%s: missing required option %s", "feed import", "--feed");
    else if (!date)
        verr_set(&e, -EINVAL, "%s: missing required option %s", "feed import", "--date");
    else if (!*feed)
        verr_set(&e, -EINVAL, "%s: empty value", "--feed");
    if (e.code || arg_date("--date", date, &e) < 0 ||
        (kind && arg_choice("--kind", kind, kinds, &e) < 0) ||
        (format && arg_choice("--format", format, formats, &e) < 0) ||
        (max_errors && arg_number("--max-errors", max_errors, 0, UINT32_MAX, &n, &e) < 0) ||
        (max_pct && check_pct(max_pct, &e) < 0))
        return cli_usage_error("feed", &e);

    const char *file = pos[0];
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        int err = fd < 0 ? errno : EINVAL;
        if (fd >= 0)
            close(fd);
        cli_err(_("cannot read feed file '%s': %s"), file,
                err == EINVAL ? _("not a regular file") : strerror(err));
        return CLI_EXIT_USAGE;
    }
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;

    struct buf target;
    buf_init(&target, 0);
    if (buf_puts(&target, "/api/v1/feeds/") < 0)
        abort();
    url_encode(&target, feed);
    if (buf_puts(&target, "/versions") < 0)
        abort();
    url_query(&target, "date", date);
    url_query(&target, "kind", kind);
    url_query(&target, "format", format);
    url_query(&target, "source", base);
    url_query(&target, "max_errors", max_errors);
    url_query(&target, "max_error_pct", max_pct);

    struct api_call a;
    api_call_init(&a, "POST", buf_str(&target));
    a.body_fd = fd;
    a.body_fd_len = (uint64_t)st.st_size;
    a.errors_prefix = file;
    a.timeout_ms = CLI_IMPORT_TIMEOUT_MS;
    json_t *res;
    r = api_do(c, &a, &res);
    close(fd);
    buf_release(&target);
    if (r != 0)
        return r;
    if (c->json) {
        r = cli_print_json(res);
    } else {
        print_import(res);
        print_skipped(file, res);
    }
    json_decref(res);
    return r;
}

static int feed_list(struct cli *c, int argc, char **argv)
{
    struct arg_opt opts[] = {CLI_COMMON_OPTS(c)};
    const char *pos[1];
    int r = cli_args(c, "feed", feed_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 0, 0, "");
    if (r != CLI_GO)
        return r;
    struct api_call a;
    api_call_init(&a, "GET", "/api/v1/feeds");
    json_t *res;
    r = api_do(c, &a, &res);
    if (r != 0)
        return r;
    if (c->json) {
        r = cli_print_json(res);
    } else {
        struct table t;
        table_init(&t, 6,
                   (const char *[]){cli_tr("col|Name"), cli_tr("col|Kind"), cli_tr("col|Versions"),
                                    cli_tr("col|Latest list"), cli_tr("col|Indicators"),
                                    cli_tr("col|Imported")});
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(res, "items"), i, f)
        {
            const json_t *latest = json_object_get(f, "latest");
            char tm[64];
            const char *cells[] = {jstr(f, "name"),
                                   cli_word(json_string_value(json_object_get(f, "kind"))),
                                   jstr(f, "n_versions"),
                                   jstr(latest, "list_date"),
                                   jstr(latest, "n_indicators"),
                                   jtime(latest, "imported_at", tm)};
            table_add(&t, cells);
        }
        r = table_print(&t) < 0 ? CLI_EXIT_SERVER : CLI_EXIT_OK;
        table_release(&t);
    }
    json_decref(res);
    return r;
}

static void feed_target(struct buf *b, const char *name, const char *what)
{
    if (buf_puts(b, "/api/v1/feeds/") < 0)
        abort();
    url_encode(b, name);
    if (buf_puts(b, what) < 0)
        abort();
}

static int feed_versions(struct cli *c, int argc, char **argv)
{
    struct arg_opt opts[] = {CLI_COMMON_OPTS(c)};
    const char *pos[1];
    int r = cli_args(c, "feed", feed_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1, "NAME");
    if (r != CLI_GO)
        return r;
    struct buf target;
    buf_init(&target, 0);
    feed_target(&target, pos[0], "/versions");
    struct api_call a;
    api_call_init(&a, "GET", buf_str(&target));
    json_t *res;
    r = api_do(c, &a, &res);
    buf_release(&target);
    if (r != 0)
        return r;
    if (c->json) {
        r = cli_print_json(res);
    } else {
        struct table t;
        table_init(&t, 8,
                   (const char *[]){cli_tr("col|ID"), cli_tr("col|List date"),
                                    cli_tr("col|Imported"), cli_tr("col|Format"),
                                    cli_tr("col|Indicators"), cli_tr("col|Lines"),
                                    cli_tr("col|Bad lines"), cli_tr("col|Source")});
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(res, "items"), i, v)
        {
            char tm[64];
            const char *cells[] = {
                jstr(v, "id"),       jstr(v, "list_date"),    jtime(v, "imported_at", tm),
                jstr(v, "format"),   jstr(v, "n_indicators"), jstr(v, "n_lines"),
                jstr(v, "n_errors"), jstr(v, "source")};
            table_add(&t, cells);
        }
        r = table_print(&t) < 0 ? CLI_EXIT_SERVER : CLI_EXIT_OK;
        table_release(&t);
    }
    json_decref(res);
    return r;
}

static int feed_diff(struct cli *c, int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *limit = NULL;
    struct arg_opt opts[] = {CLI_COMMON_OPTS(c),
                             {"--from", ARG_STR, &from},
                             {"--to", ARG_STR, &to},
                             {"--limit", ARG_STR, &limit}};
    const char *pos[1];
    int r = cli_args(c, "feed", feed_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1, "NAME");
    if (r != CLI_GO)
        return r;
    struct verr e;
    verr_init(&e);
    uint64_t n;
    if ((from && arg_date("--from", from, &e) < 0) || (to && arg_date("--to", to, &e) < 0) ||
        (limit && arg_number("--limit", limit, 1, 1000000, &n, &e) < 0))
        return cli_usage_error("feed", &e);
    struct buf target;
    buf_init(&target, 0);
    feed_target(&target, pos[0], "/diff");
    url_query(&target, "from", from);
    url_query(&target, "to", to);
    url_query(&target, "limit", limit);
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
    const json_t *counts = json_object_get(res, "counts");
    struct table t;
    table_init(&t, 2, NULL);
    table_add_kv(&t, cli_tr("col|Feed"), jstr(res, "feed"));
    table_add_kv(&t, cli_tr("col|From"), jstr(res, "from"));
    table_add_kv(&t, cli_tr("col|To"), jstr(res, "to"));
    table_add_kv(&t, cli_tr("col|New"), jstr(counts, "new"));
    table_add_kv(&t, cli_tr("col|Persisting"), jstr(counts, "persisting"));
    table_add_kv(&t, cli_tr("col|Removed"), jstr(counts, "removed"));
    r = table_print(&t) < 0 ? CLI_EXIT_SERVER : CLI_EXIT_OK;
    table_release(&t);
    /* The values themselves, sanitised like any table cell. */
    table_init(&t, 2, NULL);
    t.sep = " ";
    size_t i;
    json_t *v;
    char tmp[256];
    json_array_foreach(json_object_get(res, "new"), i, v)
    {
        table_add(&t, (const char *[]){"+", jvalue_text(v, tmp, sizeof(tmp))});
    }
    json_array_foreach(json_object_get(res, "removed"), i, v)
    {
        table_add(&t, (const char *[]){"-", jvalue_text(v, tmp, sizeof(tmp))});
    }
    if (t.n_rows > 0 && (putchar('\n') == EOF || table_print(&t) < 0))
        r = CLI_EXIT_SERVER;
    table_release(&t);
    json_decref(res);
    return r;
}

int cmd_feed(struct cli *c, int argc, char **argv)
{
    const char *verb = argv[0];
    if (strcmp(verb, "import") == 0)
        return feed_import(c, argc, argv);
    if (strcmp(verb, "list") == 0)
        return feed_list(c, argc, argv);
    if (strcmp(verb, "versions") == 0)
        return feed_versions(c, argc, argv);
    if (strcmp(verb, "diff") == 0)
        return feed_diff(c, argc, argv);
    cli_err(_("unknown command 'feed %s'"), verb);
    feed_usage(stderr);
    return CLI_EXIT_USAGE;
}
