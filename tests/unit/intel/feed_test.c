/*
 * Data-driven feed reader tests: every tests/data/feeds/<case>.expect is one
 * test; its input is the file tests/data/feeds/<case>.<ext> (any other
 * extension). The .expect format is described in tests/data/feeds/README.md.
 * Adding a case needs no code.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/file.h"
#include "base/i18n.h"
#include "base/str.h"
#include "base/vec.h"
#include "intel/feed.h"

#define MAX_FILE ((size_t)64 << 20)
#define MAX_TOK  16

static char data_dir[512];

struct tcase {
    char name[256];
    char input[1024];  /* path, "" when the case has no input file */
    char expect[1024]; /* path */
};

/* Split an .expect line into tokens: white space separates, "..." groups
 * (also after key=). Returns the count. Modifies line. */
static int tokens(char *line, char *tok[MAX_TOK])
{
    int n = 0;
    char *p = line;
    while (*p && n < MAX_TOK) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        char *start = p, *w = p;
        bool q = false;
        while (*p && (q || (*p != ' ' && *p != '\t'))) {
            if (*p == '\\' && p[1]) {
                *w++ = p[1];
                p += 2;
                continue;
            }
            if (*p == '"')
                q = !q;
            else
                *w++ = *p;
            p++;
        }
        if (*p)
            p++;
        *w = '\0';
        tok[n++] = start;
    }
    return n;
}

static bool fail_note(bool *ok, const char *name, const char *fmt, ...) PRINTF(3, 4);
static bool fail_note(bool *ok, const char *name, const char *fmt, ...)
{
    va_list ap;
    char msg[1024];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    print_error("%s: %s\n", name, msg);
    *ok = false;
    return false;
}

static const char *opt_str(const char *s)
{
    return s ? s : "(null)";
}

/* Compare one indicator with an "ind VALUE key=value..." line. */
static void check_ind(bool *ok, const char *name, size_t idx, const struct indicator *ind,
                      char **tok, int nt)
{
    char v[IND_VALUE_MAX];
    indicator_value(ind, v);
    if (strcmp(v, tok[1]) != 0) {
        fail_note(ok, name, "indicator %zu: value %s, expected %s", idx + 1, v, tok[1]);
        return;
    }
    for (int i = 2; i < nt; i++) {
        char *eq = strchr(tok[i], '=');
        if (!eq) {
            fail_note(ok, name, "bad expect token %s", tok[i]);
            continue;
        }
        *eq = '\0';
        const char *k = tok[i], *want = eq + 1;
        char got[300];
        if (strcmp(k, "type") == 0)
            snprintf(got, sizeof(got), "%s", ind_type_name(ind->type));
        else if (strcmp(k, "malware") == 0)
            snprintf(got, sizeof(got), "%s", opt_str(ind->malware));
        else if (strcmp(k, "isp") == 0)
            snprintf(got, sizeof(got), "%s", opt_str(ind->isp));
        else if (strcmp(k, "ref") == 0)
            snprintf(got, sizeof(got), "%s", opt_str(ind->ref));
        else if (strcmp(k, "port") == 0)
            snprintf(got, sizeof(got), "%u", ind->port);
        else if (strcmp(k, "asn") == 0)
            snprintf(got, sizeof(got), "%u", ind->asn);
        else if (strcmp(k, "first_seen") == 0)
            snprintf(got, sizeof(got), "%lld", (long long)ind->first_seen);
        else if (strcmp(k, "last_seen") == 0)
            snprintf(got, sizeof(got), "%lld", (long long)ind->last_seen);
        else if (strcmp(k, "line") == 0)
            snprintf(got, sizeof(got), "%u", ind->line);
        else {
            fail_note(ok, name, "unknown key %s", k);
            continue;
        }
        if (strcmp(got, want) != 0)
            fail_note(ok, name, "indicator %zu (%s): %s is %s, expected %s", idx + 1, v, k, got,
                      want);
    }
}

static void run_case(void **state)
{
    const struct tcase *tc = *state;
    char *input = NULL, *expect = NULL;
    size_t in_len = 0, ex_len = 0;
    if (tc->input[0])
        assert_int_equal(file_read_all(tc->input, MAX_FILE, &input, &in_len), 0);
    assert_int_equal(file_read_all(tc->expect, MAX_FILE, &expect, &ex_len), 0);

    struct feed_opts o;
    feed_opts_init(&o);
    const char *want_result = NULL, *want_detected = NULL;
    VEC(char *) want_msgs = VEC_INIT;
    VEC(char *) ind_lines = VEC_INIT;
    VEC(char *) err_lines = VEC_INIT;
    long long want_count[5] = {-1, -1, -1, -1, -1};
    static const char *const count_names[] = {"lines", "data", "errors", "duplicates",
                                              "indicators"};
    bool ok = true;

    for (char *line = expect, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[ll - 1] = '\0';
        char *copy = line;
        while (*copy == ' ' || *copy == '\t')
            copy++;
        if (*copy == '\0' || *copy == '#')
            continue;
        /* append keeps its text verbatim */
        if (strcmp(copy, "append") == 0) {
            input = xrealloc(input, in_len + 1);
            input[in_len++] = '\n';
            continue;
        }
        if (strncmp(copy, "append ", 7) == 0) {
            size_t tl = strlen(copy + 7);
            input = xrealloc(input, in_len + tl + 2);
            memcpy(input + in_len, copy + 7, tl);
            in_len += tl;
            input[in_len++] = '\n';
            continue;
        }
        char *tok[MAX_TOK];
        char *keep = xstrdup(copy); /* tokens() cuts copy up */
        int nt = tokens(copy, tok);
        const char *d = tok[0];
        if (strcmp(d, "ind") == 0 && nt >= 2) {
            VEC_PUSH(&ind_lines, keep);
            keep = NULL;
        } else if (strcmp(d, "err") == 0 && nt >= 3) {
            VEC_PUSH(&err_lines, keep);
            keep = NULL;
        } else if (strcmp(d, "format") == 0 && nt == 2) {
            assert_int_equal(feed_format_parse(tok[1], &o.format), 0);
        } else if (strcmp(d, "detected") == 0 && nt == 2) {
            want_detected = tok[1];
        } else if (strcmp(d, "result") == 0 && nt == 2) {
            want_result = tok[1];
        } else if (strcmp(d, "message") == 0 && nt >= 2) {
            VEC_PUSH(&want_msgs, tok[1]);
        } else if (strcmp(d, "opt") == 0 && nt == 3) {
            unsigned long long v = strtoull(tok[2], NULL, 10);
            if (strcmp(tok[1], "max_line") == 0)
                o.max_line = v;
            else if (strcmp(tok[1], "max_errors") == 0)
                o.max_errors = v;
            else if (strcmp(tok[1], "max_error_pct") == 0)
                o.max_error_pct = (unsigned)v;
            else if (strcmp(tok[1], "max_indicators") == 0)
                o.max_indicators = v;
            else if (strcmp(tok[1], "strict_hostbits") == 0)
                o.strict_hostbits = v != 0;
            else if (strcmp(tok[1], "max_json_depth") == 0)
                o.max_json_depth = (unsigned)v;
            else
                fail_msg("%s: unknown opt %s", tc->name, tok[1]);
        } else if (strcmp(d, "append-repeat") == 0 && nt == 3) {
            size_t count = strtoull(tok[2], NULL, 10);
            assert_true(count <= MAX_FILE);
            input = xrealloc(input, in_len + count + 1);
            memset(input + in_len, tok[1][0], count);
            in_len += count;
        } else {
            bool is_count = false;
            for (size_t k = 0; k < ARRAY_SIZE(count_names); k++) {
                if (strcmp(d, count_names[k]) == 0 && nt == 2) {
                    want_count[k] = strtoll(tok[1], NULL, 10);
                    is_count = true;
                }
            }
            if (!is_count)
                fail_msg("%s: bad expect line '%s'", tc->name, copy);
        }
        free(keep);
    }
    assert_non_null(want_result);

    struct feed f;
    feed_init(&f);
    struct verr err;
    verr_init(&err);
    int r = feed_parse((const uint8_t *)(input ? input : ""), in_len, &o, &f, &err);
    if (strcmp(want_result, "ok") == 0 && r != 0)
        fail_note(&ok, tc->name, "expected success, got %d: %s", r, err.msg);
    if (strcmp(want_result, "fail") == 0 && r == 0)
        fail_note(&ok, tc->name, "expected failure, got success");
    for (size_t i = 0; i < want_msgs.n; i++)
        if (!strstr(err.msg, want_msgs.items[i]))
            fail_note(&ok, tc->name, "message '%s' does not contain '%s'", err.msg,
                      want_msgs.items[i]);
    if (want_detected && strcmp(feed_format_name(f.format), want_detected) != 0)
        fail_note(&ok, tc->name, "detected %s, expected %s", feed_format_name(f.format),
                  want_detected);
    size_t got_count[5] = {f.n_lines, f.n_data, f.n_errors, f.n_duplicates, f.items.n};
    for (size_t k = 0; k < ARRAY_SIZE(count_names); k++)
        if (want_count[k] >= 0 && (long long)got_count[k] != want_count[k])
            fail_note(&ok, tc->name, "%s = %zu, expected %lld", count_names[k], got_count[k],
                      want_count[k]);

    /* Indicators: the list is exact when any is listed, or when the parse
     * succeeds and no "indicators N" count stands in for the list. */
    if (ind_lines.n > 0 || (r == 0 && want_count[4] < 0)) {
        if (f.items.n != ind_lines.n)
            fail_note(&ok, tc->name, "%zu indicators, expected %zu", f.items.n, ind_lines.n);
        for (size_t i = 0; i < MIN(f.items.n, ind_lines.n); i++) {
            char *tok[MAX_TOK];
            int nt = tokens(ind_lines.items[i], tok);
            check_ind(&ok, tc->name, i, &f.items.items[i], tok, nt);
        }
    }
    /* Errors: always exact. */
    if (f.errors.n != err_lines.n)
        fail_note(&ok, tc->name, "%zu errors, expected %zu", f.errors.n, err_lines.n);
    for (size_t i = 0; i < f.errors.n; i++) {
        const struct feed_error *e = &f.errors.items[i];
        print_message("  %s: line %u field '%s': %s\n", tc->name, e->line, e->field, e->reason);
        if (i >= err_lines.n)
            continue;
        char *tok[MAX_TOK];
        int nt = tokens(err_lines.items[i], tok);
        const char *field = strcmp(tok[2], "-") == 0 ? "" : tok[2];
        if (e->line != strtoul(tok[1], NULL, 10) || strcmp(e->field, field) != 0)
            fail_note(&ok, tc->name, "error %zu: line %u field '%s', expected line %s field '%s'",
                      i + 1, e->line, e->field, tok[1], field);
        for (int k = 3; k < nt; k++)
            if (!strstr(e->reason, tok[k]))
                fail_note(&ok, tc->name, "error %zu: reason '%s' lacks '%s'", i + 1, e->reason,
                          tok[k]);
    }
    if (r != 0)
        print_message("  %s: rejected: %s\n", tc->name, err.msg);
    feed_release(&f);
    VEC_FREE(&want_msgs);
    for (size_t i = 0; i < ind_lines.n; i++)
        free(ind_lines.items[i]);
    for (size_t i = 0; i < err_lines.n; i++)
        free(err_lines.items[i]);
    VEC_FREE(&ind_lines);
    VEC_FREE(&err_lines);
    free(input);
    free(expect);
    assert_true(ok);
}

static int cmp_case(const void *a, const void *b)
{
    return strcmp(((const struct tcase *)a)->name, ((const struct tcase *)b)->name);
}

int main(void)
{
    i18n_set(LANG_EN);
    const char *base = getenv("VIGIL_TEST_DATA");
    snprintf(data_dir, sizeof(data_dir), "%s/feeds", base ? base : ".");
    DIR *dir = opendir(data_dir);
    if (!dir) {
        fprintf(stderr, "cannot open %s\n", data_dir);
        return 1;
    }
    VEC(struct tcase) cases = VEC_INIT;
    VEC(char *) files = VEC_INIT;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] != '.')
            VEC_PUSH(&files, xstrdup(de->d_name));
    }
    closedir(dir);
    for (size_t i = 0; i < files.n; i++) {
        const char *fn = files.items[i];
        size_t l = strlen(fn);
        if (l <= 7 || strcmp(fn + l - 7, ".expect") != 0)
            continue;
        struct tcase tc = {0};
        snprintf(tc.name, sizeof(tc.name), "%.*s", (int)(l - 7), fn);
        snprintf(tc.expect, sizeof(tc.expect), "%s/%s", data_dir, fn);
        for (size_t j = 0; j < files.n; j++) {
            const char *g = files.items[j];
            size_t nl = l - 7;
            if (j != i && strncmp(g, fn, nl) == 0 && g[nl] == '.' && strcmp(g + nl, ".expect") != 0)
                snprintf(tc.input, sizeof(tc.input), "%s/%s", data_dir, g);
        }
        VEC_PUSH(&cases, tc);
    }
    qsort(cases.items, cases.n, sizeof(*cases.items), cmp_case);
    if (cases.n == 0) {
        fprintf(stderr, "no cases in %s\n", data_dir);
        return 1;
    }
    struct CMUnitTest *tests = xcalloc(cases.n, sizeof(*tests));
    for (size_t i = 0; i < cases.n; i++) {
        tests[i] = (struct CMUnitTest){
            .name = cases.items[i].name, .test_func = run_case, .initial_state = &cases.items[i]};
    }
    int r = _cmocka_run_group_tests("feeds", tests, cases.n, NULL, NULL);
    free(tests);
    for (size_t i = 0; i < files.n; i++)
        free(files.items[i]);
    VEC_FREE(&files);
    VEC_FREE(&cases);
    return r;
}
