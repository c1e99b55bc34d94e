/* vigil feed import|list|versions|diff */
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/view.h"

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

static const struct view_field import_fields[] = {
    {N_("col|Feed"), "feed"},
    {N_("col|Version"), "version_id"},
    {N_("col|List date"), "list_date"},
    {N_("col|Format"), "format"},
    {N_("col|Lines"), "n_lines"},
    {N_("col|Indicators"), "n_indicators"},
    {N_("col|Bad lines"), "n_errors"},
    {N_("col|New findings"), "new", .in = "findings"},
    {N_("col|Persisting findings"), "persisting", .in = "findings"},
    {N_("col|Reopened findings"), "reopened", .in = "findings"},
    {N_("col|Resolved findings"), "resolved", .in = "findings"},
};

static const struct view_field feed_cols[] = {
    {N_("col|Name"), "name"},
    {N_("col|Kind"), "kind", VIEW_WORD},
    {N_("col|Versions"), "n_versions"},
    {N_("col|Latest list"), "list_date", .in = "latest"},
    {N_("col|Indicators"), "n_indicators", .in = "latest"},
    {N_("col|Imported"), "imported_at", VIEW_TIME, .in = "latest"},
};

static const struct view_field version_cols[] = {
    {N_("col|ID"), "id"},
    {N_("col|List date"), "list_date"},
    {N_("col|Imported"), "imported_at", VIEW_TIME},
    {N_("col|Format"), "format"},
    {N_("col|Indicators"), "n_indicators"},
    {N_("col|Lines"), "n_lines"},
    {N_("col|Bad lines"), "n_errors"},
    {N_("col|Source"), "source"},
};

static const struct view_field diff_fields[] = {
    {N_("col|Feed"), "feed"},
    {N_("col|From"), "from"},
    {N_("col|To"), "to"},
    {N_("col|New"), "new", .in = "counts"},
    {N_("col|Persisting"), "persisting", .in = "counts"},
    {N_("col|Removed"), "removed", .in = "counts"},
};

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

/* The target /api/v1/feeds/NAME<what>, in b (initialised here). */
static void feed_target(struct buf *b, const char *name, const char *what)
{
    url_start(b, "/api/v1/feeds/");
    url_encode(b, name);
    if (buf_puts(b, what) < 0)
        abort();
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
    feed_target(&target, feed, "/versions");
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
        r = view_print_fields(res, import_fields, ARRAY_SIZE(import_fields));
        print_skipped(file, res);
    }
    json_decref(res);
    return r;
}

static int feed_versions(struct cli *c, int argc, char **argv)
{
    struct arg_opt opts[] = {CLI_COMMON_OPTS(c)};
    const char *pos[1];
    int r = cli_args(c, "feed", feed_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1, "NAME");
    if (r != CLI_GO)
        return r;
    struct buf target;
    feed_target(&target, pos[0], "/versions");
    r = view_list(c, buf_str(&target), version_cols, ARRAY_SIZE(version_cols), NULL);
    buf_release(&target);
    return r;
}

/* The counts of a diff, then the values themselves ("+" new, "-" removed),
 * sanitised like any table cell. */
static int print_diff(const json_t *res)
{
    int r = view_print_fields(res, diff_fields, ARRAY_SIZE(diff_fields));
    struct table t;
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
    feed_target(&target, pos[0], "/diff");
    url_query(&target, "from", from);
    url_query(&target, "to", to);
    url_query(&target, "limit", limit);
    r = cli_send(c, "GET", buf_str(&target), NULL, print_diff);
    buf_release(&target);
    return r;
}

int cmd_feed(struct cli *c, int argc, char **argv)
{
    const char *verb = argv[0];
    if (strcmp(verb, "import") == 0)
        return feed_import(c, argc, argv);
    if (strcmp(verb, "list") == 0)
        return view_list_cmd(c, "feed", feed_usage, argc, argv, "/api/v1/feeds", feed_cols,
                             ARRAY_SIZE(feed_cols));
    if (strcmp(verb, "versions") == 0)
        return feed_versions(c, argc, argv);
    if (strcmp(verb, "diff") == 0)
        return feed_diff(c, argc, argv);
    cli_err(_("unknown command 'feed %s'"), verb);
    feed_usage(stderr);
    return CLI_EXIT_USAGE;
}
