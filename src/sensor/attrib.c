/*
 * Subscriber attribution index (attrib.h).
 *
 * While loading, readers add items in load order: intervals (key, start,
 * end, subscriber) and ends (key, time). Keys (an address or prefix),
 * subscribers and their strings are interned, so an item costs 24 bytes.
 * attrib_build() groups items by key in place (a counting sort that swaps
 * each item into its key's region), resolves each key's items by the rules
 * in attrib.h, and keeps per key a sorted array of non-overlapping
 * intervals: 20 bytes an interval (two int64 times and a subscriber id).
 * A lookup hashes the address (then its shorter prefixes, for the prefix
 * lengths present) and binary-searches the key's starts.
 */
#include <stdio.h>
#include <string.h>

#include "base/hashmap.h"
#include "base/i18n.h"
#include "base/str.h"
#include "base/vtime.h"
#include "sensor/attrib_impl.h"

#define LINES_BUF_SIZE (64 * 1024)

/* ---- id tables ---------------------------------------------------------- */

typedef uint64_t (*idtab_hash_fn)(const struct attrib *a, uint32_t id);
typedef bool (*idtab_eq_fn)(const struct attrib *a, uint32_t id, const void *key);

/* The slot for hash h: the one holding an id equal to key, or an empty one. */
static uint32_t *idtab_slot(const struct attrib_idtab *t, uint64_t h, idtab_eq_fn eq,
                            const struct attrib *a, const void *key)
{
    size_t mask = t->alloc - 1;
    for (size_t j = h & mask;; j = (j + 1) & mask) {
        uint32_t v = t->slots[j];
        if (!v || eq(a, v - 1, key))
            return &t->slots[j];
    }
}

/* The id equal to key, or new_id after inserting it (*ret_added set): the
 * caller then stores new_id's data. The table stays at most half full. */
static uint32_t idtab_intern(struct attrib *a, struct attrib_idtab *t, uint64_t h,
                             idtab_hash_fn hash, idtab_eq_fn eq, const void *key, uint32_t new_id,
                             bool *ret_added)
{
    if (2 * (t->n + 1) > t->alloc) {
        size_t alloc = t->alloc ? 2 * t->alloc : 1024;
        uint32_t *slots = xcalloc(alloc, sizeof(*slots));
        for (size_t i = 0; i < t->alloc; i++) {
            uint32_t v = t->slots[i];
            if (!v)
                continue;
            size_t j = hash(a, v - 1) & (alloc - 1);
            while (slots[j])
                j = (j + 1) & (alloc - 1);
            slots[j] = v;
        }
        free(t->slots);
        t->slots = slots;
        t->alloc = alloc;
    }
    uint32_t *slot = idtab_slot(t, h, eq, a, key);
    *ret_added = !*slot;
    if (*slot)
        return *slot - 1;
    *slot = new_id + 1;
    t->n++;
    return new_id;
}

static void idtab_release(struct attrib_idtab *t)
{
    free(t->slots);
    t->slots = NULL;
    t->alloc = t->n = 0;
}

/* ---- strings ------------------------------------------------------------ */

struct strkey {
    const char *p;
    size_t len;
};

static uint64_t str_hash(const struct attrib *a, uint32_t id)
{
    const char *s = a->strs.items + id;
    return hash_bytes(s, strlen(s), 0);
}

static bool str_eq(const struct attrib *a, uint32_t id, const void *key)
{
    const struct strkey *k = key;
    const char *s = a->strs.items + id;
    return strncmp(s, k->p, k->len) == 0 && s[k->len] == '\0';
}

uint32_t attrib_intern(struct attrib *a, const char *p, size_t len)
{
    const char *nul = memchr(p, '\0', len);
    if (nul)
        len = (size_t)(nul - p);
    if (len == 0)
        return 0;
    if (a->strs.n + len + 1 >= UINT32_MAX)
        return UINT32_MAX;
    struct strkey k = {p, len};
    bool added;
    uint32_t id = idtab_intern(a, &a->str_tab, hash_bytes(p, len, 0), str_hash, str_eq, &k,
                               (uint32_t)a->strs.n, &added);
    if (added) {
        VEC_RESERVE(&a->strs, len + 1);
        memcpy(a->strs.items + a->strs.n, p, len);
        a->strs.items[a->strs.n + len] = '\0';
        a->strs.n += len + 1;
    }
    return id;
}

/* ---- subscribers -------------------------------------------------------- */

static uint64_t sub_hash_of(const struct attrib_sub *s)
{
    return hash_bytes(s, sizeof(*s), 1);
}

static uint64_t sub_hash(const struct attrib *a, uint32_t id)
{
    return sub_hash_of(&a->subs.items[id]);
}

static bool sub_eq(const struct attrib *a, uint32_t id, const void *key)
{
    return memcmp(&a->subs.items[id], key, sizeof(struct attrib_sub)) == 0;
}

uint32_t attrib_sub_id(struct attrib *a, const struct attrib_sub *s)
{
    if (a->subs.n >= ATTRIB_ITEMS_MAX)
        return UINT32_MAX;
    bool added;
    uint32_t id = idtab_intern(a, &a->sub_tab, sub_hash_of(s), sub_hash, sub_eq, s,
                               (uint32_t)a->subs.n, &added);
    if (added)
        VEC_PUSH(&a->subs, *s);
    return id;
}

/* ---- keys --------------------------------------------------------------- */

static uint64_t key_hash_of(const struct attrib_key *k)
{
    return hash_u64(k->hi ^ hash_u64(k->lo + k->tag));
}

static uint64_t key_hash(const struct attrib *a, uint32_t id)
{
    return key_hash_of(&a->keys.items[id]);
}

static bool key_eq(const struct attrib *a, uint32_t id, const void *key)
{
    const struct attrib_key *x = &a->keys.items[id], *y = key;
    return x->lo == y->lo && x->hi == y->hi && x->tag == y->tag;
}

/* The key of the first len bits of addr. */
static void key_make(const struct ip_addr *addr, unsigned len, struct attrib_key *k)
{
    memset(k, 0, sizeof(*k));
    if (addr->family == ADDR_V4) {
        k->lo = addr->v4 & ip4_mask(len);
        k->tag = (uint8_t)(ATTRIB_TAG_V4 + len);
        return;
    }
    k->tag = (uint8_t)len;
    if (len <= 64) {
        k->hi = len == 0 ? 0 : addr->v6.hi & (~(uint64_t)0 << (64 - len));
        k->lo = 0;
    } else {
        k->hi = addr->v6.hi;
        k->lo = addr->v6.lo & (~(uint64_t)0 << (128 - len));
    }
}

/* ---- items -------------------------------------------------------------- */

static int items_reserve(struct attrib *a)
{
    if (a->n_items < a->alloc_items)
        return 0;
    if (a->n_items >= ATTRIB_ITEMS_MAX)
        return -E2BIG;
    size_t n = a->alloc_items ? 2 * a->alloc_items : 4096;
    n = MIN(n, (size_t)ATTRIB_ITEMS_MAX);
    a->start = xreallocarray(a->start, n, sizeof(*a->start));
    a->end = xreallocarray(a->end, n, sizeof(*a->end));
    a->sub = xreallocarray(a->sub, n, sizeof(*a->sub));
    a->key_of = xreallocarray(a->key_of, n, sizeof(*a->key_of));
    a->alloc_items = n;
    return 0;
}

int attrib_item(struct attrib *a, const struct ip_prefix *p, int64_t start_ms, int64_t end_ms,
                uint32_t sub)
{
    if (sub != ATTRIB_SUB_END && end_ms <= start_ms)
        return 0;
    if (items_reserve(a) < 0 || a->keys.n >= ATTRIB_ITEMS_MAX)
        return -E2BIG;
    struct attrib_key k;
    key_make(&p->addr, p->len, &k);
    bool added;
    uint32_t kid = idtab_intern(a, &a->key_tab, key_hash_of(&k), key_hash, key_eq, &k,
                                (uint32_t)a->keys.n, &added);
    if (added)
        VEC_PUSH(&a->keys, k);
    a->keys.items[kid].n++;
    size_t i = a->n_items++;
    a->start[i] = start_ms;
    a->end[i] = end_ms;
    a->sub[i] = sub;
    a->key_of[i] = kid;
    return 0;
}

/* ---- public: setup ------------------------------------------------------ */

struct attrib *attrib_new(void)
{
    struct attrib *a = xcalloc(1, sizeof(*a));
    VEC_PUSH(&a->strs, '\0'); /* offset 0: "" */
    a->grace_default_ms = 3600 * 1000;
    a->grace_multiple = 2;
    a->utc_offset = 7 * 3600;
    return a;
}

void attrib_free(struct attrib *a)
{
    if (!a)
        return;
    attrib_radius_free(a);
    VEC_FREE(&a->strs);
    VEC_FREE(&a->subs);
    VEC_FREE(&a->keys);
    idtab_release(&a->str_tab);
    idtab_release(&a->sub_tab);
    idtab_release(&a->key_tab);
    free(a->start);
    free(a->end);
    free(a->sub);
    free(a->key_of);
    free(a);
}

void attrib_set_radius_grace(struct attrib *a, int64_t default_ms, unsigned multiple)
{
    a->grace_default_ms = default_ms;
    a->grace_multiple = multiple;
}

void attrib_set_utc_offset(struct attrib *a, int32_t seconds_east)
{
    a->utc_offset = seconds_east;
}

static int check_prefix(const struct ip_prefix *p)
{
    if (!p || (p->addr.family == ADDR_V4 && p->len > 32) ||
        (p->addr.family == ADDR_V6 && p->len > 128) ||
        (p->addr.family != ADDR_V4 && p->addr.family != ADDR_V6))
        return -EINVAL;
    return 0;
}

static uint32_t intern_opt(struct attrib *a, const char *s)
{
    return s ? attrib_intern(a, s, strnlen(s, ATTRIB_STR_MAX)) : 0;
}

int attrib_add(struct attrib *a, const struct ip_prefix *p, int64_t start_ms, int64_t end_ms,
               const struct subscriber *sub)
{
    if (a->built)
        return -EBUSY;
    if (check_prefix(p) < 0 || !sub || end_ms <= start_ms)
        return -EINVAL;
    struct attrib_sub s = {
        .user = intern_opt(a, sub->user),
        .calling = intern_opt(a, sub->calling_id),
        .session = intern_opt(a, sub->session_id),
        .source = attrib_intern(a, sub->source, strnlen(sub->source, sizeof(sub->source))),
    };
    if (s.user == UINT32_MAX || s.calling == UINT32_MAX || s.session == UINT32_MAX ||
        s.source == UINT32_MAX)
        return -E2BIG;
    uint32_t id = attrib_sub_id(a, &s);
    if (id == UINT32_MAX)
        return -E2BIG;
    a->counters.records++;
    return attrib_item(a, p, start_ms, end_ms, id);
}

int attrib_add_end(struct attrib *a, const struct ip_prefix *p, int64_t t_ms)
{
    if (a->built)
        return -EBUSY;
    if (check_prefix(p) < 0)
        return -EINVAL;
    a->counters.records++;
    return attrib_item(a, p, t_ms, t_ms, ATTRIB_SUB_END);
}

/* ---- build -------------------------------------------------------------- */

struct item {
    int64_t start, end;
    uint32_t sub, seq;
};

static int item_by_seq_desc(const void *x, const void *y)
{
    const struct item *a = x, *b = y;
    return a->seq < b->seq ? 1 : a->seq > b->seq ? -1 : 0;
}

static int item_by_start(const void *x, const void *y)
{
    const struct item *a = x, *b = y;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq ? 1 : 0;
}

/* Sort: insertion sort for the usual handful of items, qsort beyond. */
static void items_sort(struct item *v, size_t n, int (*cmp)(const void *, const void *))
{
    if (n > 16) {
        qsort(v, n, sizeof(*v), cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        struct item x = v[i];
        size_t j = i;
        for (; j > 0 && cmp(&v[j - 1], &x) > 0; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/*
 * One key's items (in any order) to its intervals, in place; returns how
 * many. The rules of attrib.h: an end at t clips the intervals added before
 * it to end by t; then, by start (ties: the one added later), an interval
 * lasts until its own end or the next interval's start, whichever is
 * first; adjacent intervals of one subscriber are joined.
 */
static size_t resolve(struct item *v, size_t n, bool has_ends)
{
    if (has_ends) {
        items_sort(v, n, item_by_seq_desc);
        int64_t cut = ATTRIB_TIME_MAX;
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            if (v[i].sub == ATTRIB_SUB_END) {
                cut = MIN(cut, v[i].start);
                continue;
            }
            v[i].end = MIN(v[i].end, cut);
            if (v[i].end > v[i].start)
                v[o++] = v[i];
        }
        n = o;
    }
    items_sort(v, n, item_by_start);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        struct item it = v[i];
        if (i + 1 < n && v[i + 1].start < it.end)
            it.end = v[i + 1].start;
        if (it.end <= it.start)
            continue;
        if (o > 0 && v[o - 1].sub == it.sub && v[o - 1].end == it.start) {
            v[o - 1].end = it.end;
            continue;
        }
        v[o++] = it;
    }
    return o;
}

/* Group the items by key in place: each key's items end up in its region
 * [first, first + n), in no particular order within it. */
static void group_by_key(struct attrib *a, uint32_t *seq)
{
    size_t nk = a->keys.n;
    uint32_t *cur = xmalloc((nk + 1) * sizeof(*cur));
    size_t off = 0;
    for (size_t k = 0; k < nk; k++) {
        a->keys.items[k].first = (uint32_t)off;
        cur[k] = (uint32_t)off;
        off += a->keys.items[k].n;
    }
    for (size_t k = 0; k < nk; k++) {
        size_t end = (size_t)a->keys.items[k].first + a->keys.items[k].n;
        while (cur[k] < end) {
            size_t i = cur[k];
            uint32_t kk = a->key_of[i];
            if (kk == k) {
                cur[k]++;
                continue;
            }
            size_t j = cur[kk]++;
            int64_t t = a->start[i];
            a->start[i] = a->start[j];
            a->start[j] = t;
            t = a->end[i];
            a->end[i] = a->end[j];
            a->end[j] = t;
            uint32_t u = a->sub[i];
            a->sub[i] = a->sub[j];
            a->sub[j] = u;
            u = a->key_of[i];
            a->key_of[i] = a->key_of[j];
            a->key_of[j] = u;
            u = seq[i];
            seq[i] = seq[j];
            seq[j] = u;
        }
    }
    free(cur);
}

static void note_len(struct attrib *a, uint8_t tag)
{
    if (tag >= ATTRIB_TAG_V4)
        a->lens4[tag - ATTRIB_TAG_V4] = 1;
    else
        a->lens6[tag] = 1;
}

/* Turn the presence flags in lens4/lens6 into lists, longest first. */
static void lens_finish(uint8_t *lens, unsigned max, unsigned *ret_n)
{
    uint8_t present[129];
    memcpy(present, lens, max + 1);
    unsigned n = 0;
    for (unsigned l = max + 1; l-- > 0;)
        if (present[l])
            lens[n++] = (uint8_t)l;
    *ret_n = n;
}

int attrib_build(struct attrib *a)
{
    if (a->built)
        return -EBUSY;
    int r = attrib_radius_finish(a);
    if (r < 0)
        return r;
    size_t n = a->n_items;
    uint32_t *seq = xmalloc((n + 1) * sizeof(*seq));
    for (size_t i = 0; i < n; i++)
        seq[i] = (uint32_t)i;
    group_by_key(a, seq);

    VEC(struct item) tmp = VEC_INIT;
    size_t w = 0;
    for (size_t k = 0; k < a->keys.n; k++) {
        struct attrib_key *key = &a->keys.items[k];
        size_t first = key->first, m = key->n;
        tmp.n = 0;
        VEC_RESERVE(&tmp, m);
        bool has_ends = false;
        for (size_t i = 0; i < m; i++) {
            size_t j = first + i;
            tmp.items[i] = (struct item){a->start[j], a->end[j], a->sub[j], seq[j]};
            has_ends |= a->sub[j] == ATTRIB_SUB_END;
        }
        m = resolve(tmp.items, m, has_ends);
        key->first = (uint32_t)w;
        key->n = (uint32_t)m;
        for (size_t i = 0; i < m; i++, w++) {
            a->start[w] = tmp.items[i].start;
            a->end[w] = tmp.items[i].end;
            a->sub[w] = tmp.items[i].sub;
        }
        if (m)
            note_len(a, key->tag);
    }
    VEC_FREE(&tmp);
    free(seq);
    free(a->key_of);
    a->key_of = NULL;
    size_t keep = w ? w : 1;
    a->start = xreallocarray(a->start, keep, sizeof(*a->start));
    a->end = xreallocarray(a->end, keep, sizeof(*a->end));
    a->sub = xreallocarray(a->sub, keep, sizeof(*a->sub));
    a->n_items = a->alloc_items = w;
    lens_finish(a->lens4, 32, &a->n_lens4);
    lens_finish(a->lens6, 128, &a->n_lens6);
    /* Only the key table is needed from here on. */
    idtab_release(&a->str_tab);
    idtab_release(&a->sub_tab);
    a->counters.intervals = w;
    a->built = true;
    return 0;
}

/* ---- lookup ------------------------------------------------------------- */

/* The index of the interval of key k holding t, or SIZE_MAX. */
static size_t key_find(const struct attrib *a, const struct attrib_key *k, int64_t t)
{
    size_t lo = 0, hi = k->n;
    const int64_t *s = a->start + k->first;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return SIZE_MAX;
    size_t i = k->first + lo - 1;
    return t < a->end[i] ? i : SIZE_MAX;
}

bool attrib_lookup(const struct attrib *a, const struct ip_addr *addr, int64_t t_ms,
                   struct subscriber *ret)
{
    if (!a || !addr || !a->built || !a->key_tab.alloc)
        return false;
    const uint8_t *lens = addr->family == ADDR_V4 ? a->lens4 : a->lens6;
    unsigned n_lens = addr->family == ADDR_V4 ? a->n_lens4 : a->n_lens6;
    if (addr->family != ADDR_V4 && addr->family != ADDR_V6)
        return false;
    for (unsigned l = 0; l < n_lens; l++) {
        struct attrib_key k;
        key_make(addr, lens[l], &k);
        uint32_t *slot = idtab_slot(&a->key_tab, key_hash_of(&k), key_eq, a, &k);
        if (!*slot)
            continue;
        size_t i = key_find(a, &a->keys.items[*slot - 1], t_ms);
        if (i == SIZE_MAX)
            continue;
        if (ret) {
            const struct attrib_sub *s = &a->subs.items[a->sub[i]];
            const char *strs = a->strs.items;
            ret->user = strs + s->user;
            ret->calling_id = s->calling ? strs + s->calling : NULL;
            ret->session_id = s->session ? strs + s->session : NULL;
            ret->start_ms = a->start[i];
            ret->end_ms = a->end[i];
            size_t sl = strnlen(strs + s->source, sizeof(ret->source) - 1);
            memcpy(ret->source, strs + s->source, sl);
            ret->source[sl] = '\0';
        }
        return true;
    }
    return false;
}

const struct attrib_counters *attrib_counters(const struct attrib *a)
{
    return &a->counters;
}

size_t attrib_memory(const struct attrib *a)
{
    size_t per_item = 2 * sizeof(int64_t) + sizeof(uint32_t) + (a->key_of ? sizeof(uint32_t) : 0);
    return sizeof(*a) + a->strs.alloc + a->subs.alloc * sizeof(struct attrib_sub) +
           a->keys.alloc * sizeof(struct attrib_key) +
           (a->str_tab.alloc + a->sub_tab.alloc + a->key_tab.alloc) * sizeof(uint32_t) +
           a->alloc_items * per_item;
}

/* ---- reading ------------------------------------------------------------ */

int attrib_lines_next(struct attrib_lines *l, const char **ret, size_t *ret_len)
{
    for (;;) {
        const char *d = l->data + l->start;
        size_t avail = l->end - l->start;
        const char *nl = memchr(d, '\n', avail);
        if (nl || (l->eof && avail > 0)) {
            size_t len = nl ? (size_t)(nl - d) : avail;
            l->start += nl ? len + 1 : len;
            if (l->skipping) {
                l->skipping = false;
                continue;
            }
            l->line++;
            l->too_long = len > ATTRIB_LINE_MAX;
            if (l->too_long)
                len = ATTRIB_LINE_MAX;
            else if (len && d[len - 1] == '\r')
                len--;
            *ret = d;
            *ret_len = len;
            return 1;
        }
        if (l->eof)
            return 0;
        if (avail > ATTRIB_LINE_MAX) {
            /* A line longer than the bound with its end not yet read: hand
             * out its head, drop the rest up to the newline. */
            l->start = l->end;
            if (!l->skipping) {
                l->skipping = true;
                l->line++;
                l->too_long = true;
                *ret = d;
                *ret_len = ATTRIB_LINE_MAX;
                return 1;
            }
            avail = 0;
        }
        memmove(l->buf, l->buf + l->start, avail);
        l->start = 0;
        l->end = avail;
        size_t got = fread(l->buf + l->end, 1, l->alloc - l->end, l->f);
        if (got == 0) {
            if (ferror(l->f))
                return l->err = -EIO;
            l->eof = true;
        }
        l->end += got;
    }
}

void attrib_malformed(struct attrib *a, struct attrib_lines *l, unsigned line, const char *reason,
                      struct verr *err)
{
    a->counters.malformed++;
    verr_set(err, -EINVAL, N_("%s, line %u: %s"), l->name, line, _(reason));
}

int64_t attrib_civil(int64_t y, unsigned mon, unsigned d, unsigned h, unsigned mi, unsigned s)
{
    static const uint8_t mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 9999 || mon < 1 || mon > 12 || d < 1 || d > mdays[mon - 1] || h > 23 ||
        mi > 59 || s > 60)
        return -1;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mon == 2 && d == 29 && !leap)
        return -1;
    return vtime_days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + s;
}

int64_t attrib_hms(const char *p, size_t len)
{
    if (len != 8 || p[2] != ':' || p[5] != ':')
        return -1;
    uint64_t h, m, s;
    if (str_to_u64(p, 2, 23, &h) < 0 || str_to_u64(p + 3, 2, 59, &m) < 0 ||
        str_to_u64(p + 6, 2, 60, &s) < 0)
        return -1;
    return (int64_t)(h * 3600 + m * 60 + s);
}

/* Run a reader; on failure take back the items it added. A source whose
 * every record was malformed is a failure. */
static int load_run(struct attrib *a, struct attrib_lines *l, attrib_reader_fn fn, struct verr *err)
{
    if (a->built)
        return verr_set(err, -EBUSY, N_("%s: the attribution index is already built"), l->name);
    size_t mark = a->n_items;
    uint64_t records = a->counters.records, bad = a->counters.malformed;
    int r = fn(a, l, err);
    if (r < 0 && l->err)
        r = verr_set(err, l->err, N_("%s, line %u: read error"), l->name, l->line);
    else if (r == 0 && a->counters.malformed > bad &&
             a->counters.records - records == a->counters.malformed - bad)
        r = -EINVAL;
    if (r < 0) {
        for (size_t i = mark; i < a->n_items; i++)
            a->keys.items[a->key_of[i]].n--;
        a->n_items = mark;
    }
    return r;
}

static int load_mem(struct attrib *a, const char *name, const char *p, size_t len,
                    attrib_reader_fn fn, struct verr *err)
{
    struct attrib_lines l = {.name = name, .data = p ? p : "", .end = p ? len : 0, .eof = true};
    return load_run(a, &l, fn, err);
}

static int load_file(struct attrib *a, const char *path, attrib_reader_fn fn, struct verr *err)
{
    struct attrib_lines l = {.name = path, .alloc = LINES_BUF_SIZE};
    l.f = fopen(path, "re");
    if (!l.f) {
        int e = errno;
        return verr_set(err, -e, N_("%s: cannot open: %s"), path, strerror(e));
    }
    l.buf = xmalloc(l.alloc);
    l.data = l.buf;
    int r = load_run(a, &l, fn, err);
    free(l.buf);
    fclose(l.f);
    return r;
}

int attrib_load_radius_detail(struct attrib *a, const char *path, struct verr *err)
{
    return load_file(a, path, attrib_read_radius, err);
}

int attrib_load_dhcpd_leases(struct attrib *a, const char *path, struct verr *err)
{
    return load_file(a, path, attrib_read_dhcpd, err);
}

int attrib_load_kea_csv(struct attrib *a, const char *path, struct verr *err)
{
    return load_file(a, path, attrib_read_kea, err);
}

int attrib_load_radius_detail_mem(struct attrib *a, const char *name, const char *p, size_t len,
                                  struct verr *err)
{
    return load_mem(a, name, p, len, attrib_read_radius, err);
}

int attrib_load_dhcpd_leases_mem(struct attrib *a, const char *name, const char *p, size_t len,
                                 struct verr *err)
{
    return load_mem(a, name, p, len, attrib_read_dhcpd, err);
}

int attrib_load_kea_csv_mem(struct attrib *a, const char *name, const char *p, size_t len,
                            struct verr *err)
{
    return load_mem(a, name, p, len, attrib_read_kea, err);
}
