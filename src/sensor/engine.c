/* The sensor's matching engine (engine.h). */
#include "sensor/engine.h"

#include <string.h>

#include "base/str.h"

#define ADD(field, n) __atomic_fetch_add(&(field), (n), __ATOMIC_RELAXED)
/* Records and lines are counted after their hits, with release order, and
 * engine_counters_get() reads them (first in the struct) with acquire order:
 * a reader that sees N records sees every hit of those N. */
#define COUNT_AFTER_HITS(field) __atomic_fetch_add(&(field), 1, __ATOMIC_RELEASE)

struct iset *iset_new(void)
{
    struct iset *s = xcalloc(1, sizeof(*s));
    s->ips = ipset_new();
    s->doms = domainset_new();
    arena_init(&s->arena, 0);
    return s;
}

void iset_free(struct iset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->lists.n; i++) {
        free(s->lists.items[i].name);
        free(s->lists.items[i].provider);
    }
    VEC_FREE(&s->lists);
    ipset_free(s->ips);
    domainset_free(s->doms);
    VEC_FREE(&s->ip_entries);
    VEC_FREE(&s->dom_entries);
    VEC_FREE(&s->list_refs);
    VEC_FREE(&s->pend_ips);
    VEC_FREE(&s->pend_doms);
    arena_release(&s->arena);
    free(s);
}

int iset_add_feed(struct iset *s, const char *name, const char *provider, const struct feed *f,
                  struct verr *err)
{
    struct ilist l = {0};
    uint16_t idx;

    if (s->built)
        return verr_set(err, -EBUSY, "list %s: the set is already built", name);
    if (s->lists.n >= ISET_MAX_LISTS)
        return verr_set(err, -E2BIG, "list %s: more than %d lists", name, ISET_MAX_LISTS);
    idx = (uint16_t)s->lists.n;
    for (size_t i = 0; i < f->items.n; i++) {
        const struct indicator *ind = &f->items.items[i];
        if (ind->type == IND_IP) {
            struct pend_ip p = {.prefix = ind->ip, .list = idx};
            VEC_PUSH(&s->pend_ips, p);
            l.n_ips++;
        } else if (ind->type == IND_DOMAIN) {
            struct pend_dom p = {.name = arena_strdup(&s->arena, ind->domain), .list = idx};
            if (!p.name)
                return verr_set(err, -ENOMEM, "list %s: out of memory", name);
            VEC_PUSH(&s->pend_doms, p);
            l.n_domains++;
        } else {
            s->n_other++;
        }
    }
    l.name = xstrdup(name);
    l.provider = xstrdup(provider && *provider ? provider : name);
    VEC_PUSH(&s->lists, l);
    return idx;
}

int iset_add_list(struct iset *s, const char *name, const char *provider, const uint8_t *doc,
                  size_t len, const struct feed_opts *o, struct verr *err)
{
    struct feed f;
    int rc;

    feed_init(&f);
    rc = feed_parse(doc, len, o, &f, err);
    if (rc < 0) {
        if (f.errors.n)
            verr_prefix(err, "list %s: line %u: %s", name, (unsigned)f.errors.items[0].line,
                        f.errors.items[0].reason);
        else
            verr_prefix(err, "list %s", name);
        feed_release(&f);
        return rc;
    }
    rc = iset_add_feed(s, name, provider, &f, err);
    feed_release(&f);
    return rc;
}

int iset_add_values(struct iset *s, const char *name, const char *provider, const char *text,
                    size_t len, size_t *ret_bad, struct verr *err)
{
    const char *p = text, *end = text + len;
    struct feed f;
    size_t bad = 0;
    int rc;

    feed_init(&f);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *q = p;
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        struct indicator ind = {.type = IND_IP};
        char norm[DOMAIN_MAX + 1];
        size_t nlen;

        p = nl ? nl + 1 : end;
        str_trim(&q, &n);
        if (n == 0)
            continue;
        if (prefix_parse(q, n, true, &ind.ip) != ADDR_OK) {
            if (domain_normalize(q, n, norm, &nlen) != DOMAIN_OK ||
                !(ind.domain = arena_strndup(&f.arena, norm, nlen))) {
                bad++;
                continue;
            }
            ind.type = IND_DOMAIN;
        }
        VEC_PUSH(&f.items, ind);
    }
    rc = iset_add_feed(s, name, provider, &f, err);
    feed_release(&f);
    if (ret_bad)
        *ret_bad = bad;
    return rc;
}

static int cmp_pend_ip(const void *a, const void *b)
{
    const struct pend_ip *x = a, *y = b;
    int c = ip_cmp(&x->prefix.addr, &y->prefix.addr);
    if (c)
        return c;
    if (x->prefix.len != y->prefix.len)
        return x->prefix.len < y->prefix.len ? -1 : 1;
    return (x->list > y->list) - (x->list < y->list);
}

static int cmp_pend_dom(const void *a, const void *b)
{
    const struct pend_dom *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return (x->list > y->list) - (x->list < y->list);
}

static bool same_prefix(const struct ip_prefix *a, const struct ip_prefix *b)
{
    return a->len == b->len && ip_cmp(&a->addr, &b->addr) == 0;
}

/* Append list to the run of the entry being built unless it is already
 * its last list (a list repeating a value). */
static void ref_list(struct iset *s, uint32_t off, uint16_t *n_lists, uint16_t list)
{
    if (*n_lists && s->list_refs.items[off + *n_lists - 1] == list)
        return;
    VEC_PUSH(&s->list_refs, list);
    (*n_lists)++;
}

int iset_build(struct iset *s)
{
    if (s->built)
        return 0;
    if (s->pend_ips.n)
        qsort(s->pend_ips.items, s->pend_ips.n, sizeof(struct pend_ip), cmp_pend_ip);
    for (size_t i = 0; i < s->pend_ips.n; i++) {
        const struct pend_ip *p = &s->pend_ips.items[i];
        struct ip_entry *last = s->ip_entries.n ? &s->ip_entries.items[s->ip_entries.n - 1] : NULL;
        if (!last || !same_prefix(&last->prefix, &p->prefix)) {
            struct ip_entry e = {.prefix = p->prefix, .lists_off = (uint32_t)s->list_refs.n};
            if (ipset_add(s->ips, &p->prefix, (uint32_t)s->ip_entries.n) < 0)
                return -ENOMEM;
            VEC_PUSH(&s->ip_entries, e);
            last = &s->ip_entries.items[s->ip_entries.n - 1];
        }
        ref_list(s, last->lists_off, &last->n_lists, p->list);
    }
    if (s->pend_doms.n)
        qsort(s->pend_doms.items, s->pend_doms.n, sizeof(struct pend_dom), cmp_pend_dom);
    for (size_t i = 0; i < s->pend_doms.n; i++) {
        const struct pend_dom *p = &s->pend_doms.items[i];
        struct domain_entry *last =
            s->dom_entries.n ? &s->dom_entries.items[s->dom_entries.n - 1] : NULL;
        if (!last || strcmp(last->name, p->name) != 0) {
            struct domain_entry e = {.name = p->name, .lists_off = (uint32_t)s->list_refs.n};
            if (domainset_add(s->doms, p->name, strlen(p->name), DOMAINSET_SUFFIX,
                              (uint32_t)s->dom_entries.n) < 0)
                continue; /* feed_parse() validated it; a name it accepts is kept */
            VEC_PUSH(&s->dom_entries, e);
            last = &s->dom_entries.items[s->dom_entries.n - 1];
        }
        ref_list(s, last->lists_off, &last->n_lists, p->list);
    }
    VEC_FREE(&s->pend_ips);
    VEC_FREE(&s->pend_doms);
    if (ipset_build(s->ips) < 0)
        return -ENOMEM;
    s->built = true;
    return 0;
}

const char *hit_field_name(enum hit_field f, const struct obs *o)
{
    switch (f) {
    case HF_SRC:
        return "source.ip";
    case HF_DST:
        return "destination.ip";
    case HF_XSRC:
        return "source.nat.ip";
    case HF_XDST:
        return "destination.nat.ip";
    case HF_NAME:
        return o && o->kind == OBS_TLS ? "tls.client.server_name" : "dns.question.name";
    case HF_TEXT:
        break;
    }
    return "message";
}

void engine_init(struct engine *e, struct iset *s, const struct attrib *a)
{
    pthread_rwlockattr_t attr;

    memset(e, 0, sizeof(*e));
    /* A waiting reload must not starve behind a stream of overlapping batches. */
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&e->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    e->cur = s;
    e->attrib = a;
}

void engine_release(struct engine *e)
{
    iset_free(e->cur);
    pthread_rwlock_destroy(&e->lock);
    e->cur = NULL;
}

const struct iset *engine_begin(struct engine *e)
{
    pthread_rwlock_rdlock(&e->lock);
    return e->cur;
}

void engine_end(struct engine *e)
{
    pthread_rwlock_unlock(&e->lock);
}

void engine_swap(struct engine *e, struct iset *s)
{
    struct iset *old;

    pthread_rwlock_wrlock(&e->lock);
    old = e->cur;
    e->cur = s;
    e->generation++;
    pthread_rwlock_unlock(&e->lock);
    iset_free(old);
    ADD(e->c.reloads, 1);
}

static bool have(const struct ip_addr *a)
{
    return a->family == ADDR_V4 || a->family == ADDR_V6;
}

/* The inside address of a side: the pre-NAT address when there is one. */
static const struct ip_addr *inside(const struct obs *o, bool src_side)
{
    const struct ip_addr *pre = src_side ? &o->src : &o->dst;
    const struct ip_addr *post = src_side ? &o->xsrc : &o->xdst;
    return have(pre) ? pre : post;
}

/* Fill h's subscriber: the matched side's inside address first, then the
 * other side's; for a text line without fields, the address seen. */
static void attribute(struct engine *e, struct hit *h)
{
    const struct ip_addr *cand[2] = {NULL, NULL};
    size_t n = 0;

    if (!e->attrib || h->ts_ms <= 0) {
        ADD(e->c.unattributed, 1);
        return;
    }
    if (h->obs && h->field != HF_TEXT) {
        bool src_side = h->field == HF_SRC || h->field == HF_XSRC || h->field == HF_NAME;
        cand[n++] = inside(h->obs, src_side);
        cand[n++] = inside(h->obs, !src_side);
    } else if (h->obs) {
        cand[n++] = inside(h->obs, true);
        cand[n++] = inside(h->obs, false);
    } else {
        cand[n++] = &h->addr;
    }
    for (size_t i = 0; i < n; i++) {
        if (!have(cand[i]))
            continue;
        if (attrib_lookup(e->attrib, cand[i], h->ts_ms, &h->sub)) {
            h->attributed = true;
            h->sub_addr = *cand[i];
            ADD(e->c.attributed, 1);
            if ((h->field == HF_XSRC && cand[i] == &h->obs->src) ||
                (h->field == HF_XDST && cand[i] == &h->obs->dst))
                ADD(e->c.nat_mapped, 1);
            return;
        }
    }
    ADD(e->c.unattributed, 1);
}

/* One hit per list holding the entry at lists_off/n_lists. */
static size_t emit_lists(struct engine *e, const struct iset *s, const struct hit *proto,
                         uint32_t lists_off, uint16_t n_lists, struct hit *ret, size_t max)
{
    size_t n = 0;
    for (uint16_t i = 0; i < n_lists && n < max; i++) {
        ret[n] = *proto;
        ret[n].list = s->list_refs.items[lists_off + i];
        attribute(e, &ret[n]);
        n++;
    }
    ADD(e->c.hits, n);
    return n;
}

static size_t match_addr(struct engine *e, const struct iset *s, const struct obs *o,
                         enum hit_field f, const struct ip_addr *a, struct hit *ret, size_t max)
{
    uint32_t v;

    if (!have(a) || max == 0 || !ipset_lookup(s->ips, a, &v) || v >= s->ip_entries.n)
        return 0;
    const struct ip_entry *ent = &s->ip_entries.items[v];
    struct hit h = {.obs = o, .field = f, .addr = *a, .ip = ent, .ts_ms = o->ts_ms};
    return emit_lists(e, s, &h, ent->lists_off, ent->n_lists, ret, max);
}

size_t engine_match_obs(struct engine *e, const struct iset *s, const struct obs *o,
                        struct hit *ret, size_t max)
{
    size_t n = 0;
    uint32_t v;

    if (!s)
        goto done;
    n += match_addr(e, s, o, HF_SRC, &o->src, ret + n, max - n);
    n += match_addr(e, s, o, HF_DST, &o->dst, ret + n, max - n);
    if (o->nat_event || have(&o->xsrc) || have(&o->xdst)) {
        if (ip_cmp(&o->xsrc, &o->src) != 0)
            n += match_addr(e, s, o, HF_XSRC, &o->xsrc, ret + n, max - n);
        if (ip_cmp(&o->xdst, &o->dst) != 0)
            n += match_addr(e, s, o, HF_XDST, &o->xdst, ret + n, max - n);
    }
    if (o->qname && o->qname_len && n < max &&
        domainset_lookup(s->doms, o->qname, o->qname_len, &v) && v < s->dom_entries.n) {
        const struct domain_entry *ent = &s->dom_entries.items[v];
        struct hit h = {.obs = o, .field = HF_NAME, .dom = ent, .ts_ms = o->ts_ms};
        n += emit_lists(e, s, &h, ent->lists_off, ent->n_lists, ret + n, max - n);
    }
done:
    COUNT_AFTER_HITS(e->c.records);
    return n;
}

size_t engine_text_hits(struct engine *e, const struct iset *s, uint32_t value,
                        const struct ip_addr *addr, const struct obs *o, int64_t ts_ms,
                        struct hit *ret, size_t max)
{
    size_t n = 0;

    if (!s || value >= s->ip_entries.n || max == 0)
        goto done;
    const struct ip_entry *ent = &s->ip_entries.items[value];
    struct hit h = {.obs = o, .field = HF_TEXT, .addr = *addr, .ip = ent, .ts_ms = ts_ms};
    if (o) {
        /* Name the decoded field holding the address when there is one. */
        if (ip_cmp(addr, &o->src) == 0)
            h.field = HF_SRC;
        else if (ip_cmp(addr, &o->dst) == 0)
            h.field = HF_DST;
        else if (ip_cmp(addr, &o->xsrc) == 0)
            h.field = HF_XSRC;
        else if (ip_cmp(addr, &o->xdst) == 0)
            h.field = HF_XDST;
    }
    n = emit_lists(e, s, &h, ent->lists_off, ent->n_lists, ret, max);
done:
    COUNT_AFTER_HITS(e->c.lines);
    return n;
}

void engine_counters_get(const struct engine *e, struct engine_counters *ret)
{
    const uint64_t *src = (const uint64_t *)&e->c;
    uint64_t *dst = (uint64_t *)ret;
    for (size_t i = 0; i < sizeof(*ret) / sizeof(uint64_t); i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_ACQUIRE);
}
