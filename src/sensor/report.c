/*
 * `vigil-sensor report --hits FILE... [--from T] [--to T] [--top N]
 * [--json]`: from hit files (JSON lines as the sensor writes them), for a
 * period: per list, how many distinct listed addresses (or names) and
 * distinct subscribers were seen, and the top ones by hits.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/file.h"
#include "base/hashmap.h"
#include "base/i18n.h"
#include "base/vec.h"
#include "base/vtime.h"
#include "sensor/run.h"

#define HITS_FILE_MAX ((size_t)1 << 34)
#define REPORT_LISTS  256

struct tally {
    char *name;
    struct strmap values; /* value -> hits (as uintptr_t) */
    struct strmap users;
    uint64_t hits, unattributed;
};

struct report {
    VEC(struct tally) lists;
    struct tally all;
    int64_t from, to; /* Unix seconds; 0 open */
    uint64_t bad_lines;
};

static void tally_init(struct tally *t, const char *name)
{
    memset(t, 0, sizeof(*t));
    t->name = xstrdup(name);
    strmap_init(&t->values);
    strmap_init(&t->users);
}

static void tally_release(struct tally *t)
{
    free(t->name);
    strmap_release(&t->values);
    strmap_release(&t->users);
}

static void bump(struct strmap *m, const char *k)
{
    uintptr_t n = (uintptr_t)strmap_get(m, k, strlen(k));
    strmap_put(m, k, strlen(k), (void *)(n + 1), NULL);
}

static void tally_add(struct tally *t, const char *value, const char *user)
{
    t->hits++;
    bump(&t->values, value);
    if (user)
        bump(&t->users, user);
    else
        t->unattributed++;
}

static struct tally *list_of(struct report *r, const char *name)
{
    for (size_t i = 0; i < r->lists.n; i++)
        if (strcmp(r->lists.items[i].name, name) == 0)
            return &r->lists.items[i];
    if (r->lists.n >= REPORT_LISTS)
        return NULL;
    struct tally t;
    tally_init(&t, name);
    VEC_PUSH(&r->lists, t);
    return &r->lists.items[r->lists.n - 1];
}

static void one_line(struct report *r, const char *p, size_t n)
{
    json_t *o = json_loadb(p, n, 0, NULL);
    const char *ts = json_string_value(json_object_get(o, "@timestamp"));
    const char *kind = json_string_value(json_object_get(o, "event.kind"));
    const char *list = json_string_value(json_object_get(o, "threat.feed.name"));
    const char *value = json_string_value(json_object_get(o, "threat.indicator.ip"));
    const char *user = json_string_value(json_object_get(o, "user.id"));
    int64_t t;
    struct tally *tl;

    if (!value)
        value = json_string_value(json_object_get(o, "threat.indicator.url.domain"));
    if (kind && strcmp(kind, "enrichment") != 0) {
        json_decref(o); /* summaries and other records */
        return;
    }
    if (!ts || !list || !value || vtime_parse(ts, strlen(ts), &t) < 0) {
        r->bad_lines++;
    } else if ((!r->from || t >= r->from) && (!r->to || t < r->to)) {
        if ((tl = list_of(r, list)) != NULL)
            tally_add(tl, value, user);
        tally_add(&r->all, value, user);
    }
    json_decref(o);
}

static int read_hits(struct report *r, const char *path)
{
    char *doc = NULL;
    size_t len = 0;
    int rc = file_read_all(path, HITS_FILE_MAX, &doc, &len);

    if (rc < 0)
        return rc;
    for (const char *p = doc, *end = doc + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n)
            one_line(r, p, n);
        p = nl ? nl + 1 : end;
    }
    free(doc);
    return 0;
}

struct kc {
    const char *key;
    uint64_t count;
};

static int cmp_kc(const void *a, const void *b)
{
    const struct kc *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->key, y->key);
}

/* The top n of m as [{value, hits}], most hits first. */
static json_t *top(const struct strmap *m, size_t n)
{
    VEC(struct kc) all = VEC_INIT;
    const char *k;
    size_t kl;
    void *v;
    json_t *a = json_array();

    for (size_t it = 0; strmap_next(m, &it, &k, &kl, &v);) {
        struct kc e = {k, (uintptr_t)v};
        VEC_PUSH(&all, e);
    }
    if (all.n)
        qsort(all.items, all.n, sizeof(struct kc), cmp_kc);
    for (size_t i = 0; i < all.n && i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:I}", "value", all.items[i].key, "hits",
                                           (json_int_t)all.items[i].count));
    VEC_FREE(&all);
    return a;
}

static json_t *tally_json(const struct tally *t, size_t n_top)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "name", t->name, "hits",
                     (json_int_t)t->hits, "addresses", (json_int_t)t->values.n, "subscribers",
                     (json_int_t)t->users.n, "unattributed_hits", (json_int_t)t->unattributed,
                     "top_addresses", top(&t->values, n_top), "top_subscribers",
                     top(&t->users, n_top));
}

static void print_top(const char *title, json_t *a)
{
    size_t i;
    json_t *e;

    if (json_array_size(a) == 0)
        return;
    printf("  %s\n", title);
    json_array_foreach(a, i, e)
    {
        printf("    %-40s %lld\n", json_string_value(json_object_get(e, "value")),
               (long long)json_integer_value(json_object_get(e, "hits")));
    }
}

static void print_tally(json_t *t)
{
    printf(_("%s: %lld listed addresses, %lld subscribers, %lld hits (%lld without a "
             "subscriber)\n"),
           json_string_value(json_object_get(t, "name")),
           (long long)json_integer_value(json_object_get(t, "addresses")),
           (long long)json_integer_value(json_object_get(t, "subscribers")),
           (long long)json_integer_value(json_object_get(t, "hits")),
           (long long)json_integer_value(json_object_get(t, "unattributed_hits")));
    print_top(_("top listed addresses (hits):"), json_object_get(t, "top_addresses"));
    print_top(_("top subscribers (hits):"), json_object_get(t, "top_subscribers"));
}

static bool parse_time_opt(const char *s, int64_t *ret)
{
    if (vtime_parse(s, strlen(s), ret) < 0) {
        fprintf(stderr, "vigil-sensor report: %s: %s\n", _("expected a date or time"), s);
        return false;
    }
    return true;
}

int sensor_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"hits", required_argument, NULL, 'H'},
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"top", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct report r = {0};
    VEC(const char *) files = VEC_INIT;
    bool as_json = false;
    size_t n_top = 10;
    int c, status = 0;
    json_t *out, *lists;

    tally_init(&r.all, "all");
    optind = 1;
    while (status == 0 && (c = getopt_long(argc, argv, "H:f:t:n:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'H':
            VEC_PUSH(&files, optarg);
            break;
        case 'f':
            status = parse_time_opt(optarg, &r.from) ? 0 : 2;
            break;
        case 't':
            status = parse_time_opt(optarg, &r.to) ? 0 : 2;
            break;
        case 'n': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || v == 0 || v > 100000)
                status = 2;
            n_top = (size_t)v;
            break;
        }
        case 'j':
            as_json = true;
            break;
        case 'h':
            printf("%s", _("Usage: vigil-sensor report --hits FILE... [--from T] [--to T] "
                           "[--top N] [--json]\n"));
            goto out;
        default:
            status = 2;
        }
    }
    for (int i = optind; i < argc; i++) /* hit files may also follow the options */
        VEC_PUSH(&files, argv[i]);
    if (status == 0 && files.n == 0) {
        fprintf(stderr, "%s",
                _("Usage: vigil-sensor report --hits FILE... [--from T] [--to T] "
                  "[--top N] [--json]\n"));
        status = 2;
    }
    for (size_t i = 0; status == 0 && i < files.n; i++) {
        int rc = read_hits(&r, files.items[i]);
        if (rc < 0) {
            fprintf(stderr, "vigil-sensor report: %s: %s\n", files.items[i], strerror(-rc));
            status = 2;
        }
    }
    if (status != 0)
        goto out;
    lists = json_array();
    for (size_t i = 0; i < r.lists.n; i++)
        json_array_append_new(lists, tally_json(&r.lists.items[i], n_top));
    out = json_pack("{s:o, s:o, s:I}", "lists", lists, "total", tally_json(&r.all, n_top),
                    "bad_lines", (json_int_t)r.bad_lines);
    if (r.from)
        json_object_set_new(out, "from", json_integer(r.from));
    if (r.to)
        json_object_set_new(out, "to", json_integer(r.to));
    if (as_json) {
        char *s = json_dumps(out, JSON_INDENT(2));
        printf("%s\n", s ? s : "{}");
        free(s);
    } else {
        size_t i;
        json_t *t;
        json_array_foreach(lists, i, t) print_tally(t);
        if (r.lists.n > 1)
            print_tally(json_object_get(out, "total"));
        if (r.bad_lines)
            fprintf(stderr, "vigil-sensor report: %llu %s\n", (unsigned long long)r.bad_lines,
                    _("lines were not hits and were skipped"));
    }
    json_decref(out);
out:
    for (size_t i = 0; i < r.lists.n; i++)
        tally_release(&r.lists.items[i]);
    VEC_FREE(&r.lists);
    tally_release(&r.all);
    VEC_FREE(&files);
    return status;
}
