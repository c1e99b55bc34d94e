/*
 * Feed import benchmark: register the systems of systems.txt, then time
 * feed_parse() + store_feed_import() of botnet.csv (one version, matched
 * against all registered ranges), report wall time and peak RSS, and check
 * that the findings are exactly the pairs of expected.txt (computed by
 * gen.py, independently of Vigil).
 *
 *   import_bench DATADIR WORKDIR
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "base/file.h"
#include "base/i18n.h"
#include "base/vtime.h"
#include "intel/feed.h"
#include "store/store.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static double ms_since(uint64_t t0)
{
    return (double)(vtime_mono_ns() - t0) / 1e6;
}

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static long peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: import_bench DATADIR WORKDIR\n");
        return 2;
    }
    i18n_set(LANG_EN);
    char path[4096];
    struct verr err = {0};
    struct store *s = NULL;
    if (store_open(argv[2], &s, &err) < 0) {
        fprintf(stderr, "store_open: %s\n", err.msg);
        return 1;
    }
    struct actor who = {.token_id = 0, .name = "bench", .role = "admin"};
    int64_t unit = 0;
    if (store_unit_add(s, &who, "Bench", NULL, 0, &unit, &err) < 0) {
        fprintf(stderr, "unit: %s\n", err.msg);
        return 1;
    }

    /* Systems: "name level cidr" lines. */
    snprintf(path, sizeof(path), "%s/systems.txt", argv[1]);
    char *sys_text = NULL;
    size_t sys_len = 0;
    if (file_read_all(path, 64 << 20, &sys_text, &sys_len) < 0) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    uint64_t t0 = vtime_mono_ns();
    size_t n_systems = 0;
    char *save = NULL;
    for (char *line = strtok_r(sys_text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[64], cidr[64];
        int level = 0;
        if (sscanf(line, "%63s %d %63s", name, &level, cidr) != 3)
            continue;
        const char *addrs[] = {cidr};
        struct system_spec spec = {
            .name = name, .unit_id = unit, .level = level, .addrs = addrs, .n_addrs = 1};
        int64_t id;
        if (store_system_add(s, &who, &spec, &id, &err) < 0) {
            fprintf(stderr, "system %s: %s\n", name, err.msg);
            return 1;
        }
        n_systems++;
    }
    free(sys_text);
    printf("registered %zu systems in %.0f ms\n", n_systems, ms_since(t0));
    long rss_before = peak_rss_mb();

    /* The timed part: read, parse, import and match. */
    snprintf(path, sizeof(path), "%s/botnet.csv", argv[1]);
    t0 = vtime_mono_ns();
    double cpu0 = cpu_ms();
    char *doc = NULL;
    size_t doc_len = 0;
    if (file_read_all(path, 1 << 30, &doc, &doc_len) < 0) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    struct feed f;
    feed_init(&f);
    struct feed_opts o;
    feed_opts_init(&o);
    if (feed_parse((const uint8_t *)doc, doc_len, &o, &f, &err) < 0) {
        fprintf(stderr, "feed_parse: %s\n", err.msg);
        return 1;
    }
    double parse_ms = ms_since(t0);
    uint64_t t1 = vtime_mono_ns();
    struct import_spec spec = {.feed = "ais-botnet",
                               .kind = "botnet",
                               .list_date = "2024-01-15",
                               .source_name = "botnet.csv",
                               .parsed = &f,
                               .doc = (const uint8_t *)doc,
                               .doc_len = doc_len};
    json_t *res = NULL;
    if (store_feed_import(s, &who, &spec, &res, &err) < 0) {
        fprintf(stderr, "import: %s\n", err.msg);
        return 1;
    }
    double import_ms = ms_since(t1);
    double total_ms = ms_since(t0);
    double cpu = cpu_ms() - cpu0;
    long rss = peak_rss_mb();
    printf("parse %.0f ms (%zu indicators, %zu errors), import+match %.0f ms, total %.0f ms"
           " (CPU %.0f ms)\n",
           parse_ms, f.items.n, f.n_errors, import_ms, total_ms, cpu);
    printf("new findings %lld; peak RSS %ld MB (%ld MB before the import)\n",
           (long long)json_integer_value(json_object_get(json_object_get(res, "findings"), "new")),
           rss, rss_before);
    json_decref(res);
    feed_release(&f);
    free(doc);

    /* Every finding as "system ip", compared with expected.txt. */
    json_t *names = store_system_list(s, 0);
    size_t n_names = json_array_size(json_object_get(names, "items"));
    int64_t max_id = 0;
    for (size_t i = 0; i < n_names; i++)
        max_id = MAX(max_id, json_integer_value(json_object_get(
                                 json_array_get(json_object_get(names, "items"), i), "id")));
    const char **name_of = xcalloc((size_t)max_id + 1, sizeof(*name_of));
    for (size_t i = 0; i < n_names; i++) {
        json_t *it = json_array_get(json_object_get(names, "items"), i);
        name_of[json_integer_value(json_object_get(it, "id"))] =
            json_string_value(json_object_get(it, "name"));
    }
    char **got = NULL;
    size_t n_got = 0, alloc = 0;
    struct finding_filter ff = {.limit = 10000};
    for (;; ff.offset += ff.limit) {
        json_t *l = NULL;
        if (store_finding_list(s, &ff, &l, &err) < 0) {
            fprintf(stderr, "finding_list: %s\n", err.msg);
            return 1;
        }
        json_t *items = json_object_get(l, "items");
        for (size_t i = 0; i < json_array_size(items); i++) {
            json_t *it = json_array_get(items, i);
            int64_t sid = json_integer_value(json_object_get(it, "system_id"));
            char buf[160];
            snprintf(buf, sizeof(buf), "%s %s", sid <= max_id ? name_of[sid] : "?",
                     json_string_value(json_object_get(it, "ip")));
            if (n_got == alloc) {
                alloc = alloc ? alloc * 2 : 1024;
                got = xreallocarray(got, alloc, sizeof(*got));
            }
            got[n_got++] = xstrdup(buf);
        }
        size_t n_items = json_array_size(items);
        json_decref(l);
        if (n_items < ff.limit)
            break;
    }
    json_decref(names);
    free(name_of);
    qsort(got, n_got, sizeof(*got), cmp_str);

    snprintf(path, sizeof(path), "%s/expected.txt", argv[1]);
    char *exp_text = NULL;
    size_t exp_len = 0;
    if (file_read_all(path, 1 << 30, &exp_text, &exp_len) < 0) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    char **want = NULL;
    size_t n_want = 0;
    alloc = 0;
    for (char *line = strtok_r(exp_text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (n_want == alloc) {
            alloc = alloc ? alloc * 2 : 1024;
            want = xreallocarray(want, alloc, sizeof(*want));
        }
        want[n_want++] = line;
    }
    qsort(want, n_want, sizeof(*want), cmp_str); /* C order, not Python's */
    size_t diffs = 0;
    for (size_t i = 0, j = 0; i < n_got || j < n_want;) {
        int c = i == n_got ? 1 : j == n_want ? -1 : strcmp(got[i], want[j]);
        if (c == 0) {
            i++, j++;
            continue;
        }
        if (diffs++ < 10)
            fprintf(stderr, "%s %s\n",
                    c < 0 ? "unexpected:" : "missing:", c < 0 ? got[i] : want[j]);
        if (c < 0)
            i++;
        else
            j++;
    }
    printf("findings %zu, expected %zu, differences %zu: %s\n", n_got, n_want, diffs,
           diffs ? "MISMATCH" : "identical");
    for (size_t i = 0; i < n_got; i++)
        free(got[i]);
    free(got);
    free(want);
    free(exp_text);
    store_close(s);
    return diffs ? 1 : 0;
}
