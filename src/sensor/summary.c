/* Periodic hit summaries per indicator and per subscriber (summary.h). */
#include "sensor/summary.h"

#include <stdio.h>
#include <string.h>

#include "sensor/output.h"

#define SUMMARY_DEFAULT_MAX 100000
#define KEY_MAX             (3 + 64 + IND_VALUE_MAX + 256)

void summary_init(struct summary *s, size_t max_entries, int64_t now_ms)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    strmap_init(&s->map);
    s->max_entries = max_entries ? max_entries : SUMMARY_DEFAULT_MAX;
    s->period_start_ms = now_ms;
}

static void clear(struct summary *s)
{
    const char *k;
    size_t kl;
    void *v;

    for (size_t it = 0; strmap_next(&s->map, &it, &k, &kl, &v);)
        free(v);
    strmap_release(&s->map);
    strmap_init(&s->map);
    s->overflow = 0;
}

void summary_release(struct summary *s)
{
    clear(s);
    strmap_release(&s->map);
    pthread_mutex_destroy(&s->lock);
}

/* "KIND\tA[\tB]" into key; returns the length, 0 if it does not fit. */
static size_t make_key(char key[static KEY_MAX], const char *kind, const char *a, size_t alen,
                       const char *b)
{
    int n = b ? snprintf(key, KEY_MAX, "%s\t%.*s\t%s", kind, (int)alen, a, b)
              : snprintf(key, KEY_MAX, "%s\t%.*s", kind, (int)alen, a);
    return n > 0 && n < KEY_MAX ? (size_t)n : 0;
}

static void count(struct summary *s, const char *key, size_t klen, bool subscriber, int64_t t)
{
    struct summary_entry *e;

    if (klen == 0)
        return;
    e = strmap_get(&s->map, key, klen);
    if (!e) {
        if (s->map.n >= s->max_entries) {
            s->overflow++;
            return;
        }
        e = xcalloc(1, sizeof(*e));
        e->first_ms = e->last_ms = t;
        e->subscriber = subscriber;
        strmap_put(&s->map, key, klen, e, NULL);
    }
    e->count++;
    if (t < e->first_ms)
        e->first_ms = t;
    if (t > e->last_ms)
        e->last_ms = t;
}

void summary_add(struct summary *s, const struct iset *set, const struct hit *h)
{
    char key[KEY_MAX], val[IND_VALUE_MAX];
    const char *list = set->lists.items[h->list].name;
    size_t klen;

    if (h->ip)
        ip_format(&h->addr, val);
    else if (h->dom)
        snprintf(val, sizeof(val), "%s", h->dom->name);
    else
        return;
    pthread_mutex_lock(&s->lock);
    klen = make_key(key, "i", list, strlen(list), val);
    count(s, key, klen, false, h->ts_ms);
    if (h->attributed) {
        klen = make_key(key, "s", h->sub.user, strlen(h->sub.user), NULL);
        count(s, key, klen, true, h->ts_ms);
    }
    pthread_mutex_unlock(&s->lock);
}

const struct summary_entry *summary_get(struct summary *s, const char *kind, const char *a,
                                        const char *b)
{
    char key[KEY_MAX];
    size_t klen = make_key(key, kind, a, strlen(a), b);
    return klen ? strmap_get(&s->map, key, klen) : NULL;
}

struct kv {
    const char *key;
    size_t len;
    const struct summary_entry *e;
};

static int cmp_kv(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    int c = memcmp(x->key, y->key, MIN(x->len, y->len));
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* One entry's line: the key's parts become ECS fields. */
static int entry_line(struct buf *b, const struct kv *kv, int64_t from, int64_t to)
{
    const char *k = kv->key + 2, *tab;
    size_t klen = kv->len - 2;
    char t0[25], t1[25], f0[25], f1[25];
    int rc;

    format_ts_ms(from, t0);
    format_ts_ms(to, t1);
    format_ts_ms(kv->e->first_ms, f0);
    format_ts_ms(kv->e->last_ms, f1);
    rc = buf_printf(b,
                    "{\"@timestamp\":\"%s\",\"event.kind\":\"metric\",\"event.start\":\"%s\","
                    "\"event.end\":\"%s\",\"vigil.summary\":\"%s\",",
                    t1, t0, t1, kv->e->subscriber ? "subscriber" : "indicator");
    if (rc == 0 && kv->e->subscriber) {
        rc = buf_puts(b, "\"user.id\":");
        if (rc == 0)
            rc = json_put_str(b, k, klen);
    } else if (rc == 0 && (tab = memchr(k, '\t', klen)) != NULL) {
        rc = buf_puts(b, "\"threat.feed.name\":");
        if (rc == 0)
            rc = json_put_str(b, k, (size_t)(tab - k));
        if (rc == 0)
            rc = buf_puts(b, ",\"vigil.indicator\":");
        if (rc == 0)
            rc = json_put_str(b, tab + 1, klen - (size_t)(tab + 1 - k));
    }
    if (rc == 0)
        rc = buf_printf(b,
                        ",\"vigil.count\":%llu,\"vigil.first_seen\":\"%s\",\"vigil.last_seen\":"
                        "\"%s\"}\n",
                        (unsigned long long)kv->e->count, f0, f1);
    return rc;
}

size_t summary_flush(struct summary *s, struct buf *b, int64_t now_ms)
{
    VEC(struct kv) all = VEC_INIT;
    const char *k;
    size_t kl, n = 0;
    void *v;
    char t0[25], t1[25];

    pthread_mutex_lock(&s->lock);
    for (size_t it = 0; strmap_next(&s->map, &it, &k, &kl, &v);) {
        struct kv e = {k, kl, v};
        VEC_PUSH(&all, e);
    }
    if (all.n)
        qsort(all.items, all.n, sizeof(struct kv), cmp_kv);
    for (size_t i = 0; i < all.n; i++)
        if (entry_line(b, &all.items[i], s->period_start_ms, now_ms) == 0)
            n++;
    format_ts_ms(s->period_start_ms, t0);
    format_ts_ms(now_ms, t1);
    (void)!buf_printf(b,
                      "{\"@timestamp\":\"%s\",\"event.kind\":\"metric\",\"event.start\":\"%s\","
                      "\"event.end\":\"%s\",\"vigil.summary\":\"period\",\"vigil.entries\":%zu,"
                      "\"vigil.overflow\":%llu}\n",
                      t1, t0, t1, all.n, (unsigned long long)s->overflow);
    VEC_FREE(&all);
    clear(s);
    s->period_start_ms = now_ms;
    pthread_mutex_unlock(&s->lock);
    return n;
}
