/*
 * Findings: matching botnet lists against registered address space, the
 * lifecycle of each finding across versions, and the analysts' work on them.
 *
 * A finding is keyed by (kind, feed, system, listed value). On each new
 * version of a botnet feed:
 *   listed, no finding          -> new (open, streak 1)
 *   listed, open|in_progress    -> persisting (streak+1 when it was in the
 *                                  version just before, else 1)
 *   listed, resolved            -> reopened (open; streak as above)
 *   listed, false_positive      -> stays so (last_listed moves on)
 *   not listed, open|in_progress -> resolved by "system"
 * priority = 10 * level + min(streak - 1, 9).
 * A finding that becomes open (new, reopened by a list or by an analyst)
 * queues a priority malware scan of the agents inside its range.
 */
#include <string.h>

#include "base/buf.h"
#include "base/hashmap.h"
#include "base/i18n.h"
#include "base/vec.h"
#include "base/vtime.h"
#include "intel/ipset.h"
#include "store/malware_int.h"
#include "store/store_int.h"

#define SYSTEM_ACTOR "system"

static int priority_of(int level, int64_t streak)
{
    return 10 * level + (int)MIN(streak - 1, 9);
}

static bool is_host(const struct ip_prefix *p)
{
    return p->len == (p->addr.family == ADDR_V4 ? 32 : 128);
}

static void bytes_to_addr(int family, const uint8_t *b, struct ip_addr *ret)
{
    *ret = family == ADDR_V4 ? ip4_from_bytes(b) : ip6_from_bytes(b);
}

static int history_add(struct store *s, int64_t finding_id, const struct actor *who,
                       const char *from, const char *to, const char *comment, struct verr *err)
{
    sqlite3_stmt *st = st_get(s,
                              "INSERT INTO finding_history (finding_id, at, actor_token_id, actor,"
                              " from_status, to_status, comment) VALUES (?, ?, ?, ?, ?, ?, ?)",
                              err);
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, finding_id);
    sqlite3_bind_int64(st, 2, vtime_now());
    if (who && who->token_id > 0)
        sqlite3_bind_int64(st, 3, who->token_id);
    sqlite3_bind_text(st, 4, who ? actor_name(who) : SYSTEM_ACTOR, -1, SQLITE_TRANSIENT);
    st_bind_text(st, 5, from);
    sqlite3_bind_text(st, 6, to, -1, SQLITE_STATIC);
    st_bind_text(st, 7, comment);
    return st_done(s, st, err);
}

/* The last history row: findings opened after it get their hosts' priority
 * malware scans from malware_botnet_scan(), one statement for a whole
 * import or registration. */
static int64_t history_mark(struct store *s)
{
    return st_int(s, "SELECT coalesce(max(id), 0) FROM finding_history", -1, 0);
}

/* A new open finding and its first history row. */
struct new_finding {
    int64_t system_id;
    int level;
    int64_t feed_id;
    const char *value;
    int family;
    const uint8_t *first, *last; /* 4 or 16 bytes each */
    int64_t version_id;
    const char *details; /* JSON text */
    const char *comment;
};

static int finding_insert(struct store *s, const struct new_finding *nf, struct verr *err)
{
    sqlite3_stmt *st = st_get(
        s,
        "INSERT INTO findings (kind, system_id, feed_id, indicator, ip, ip_family, ip_first,"
        " ip_last, status, priority, streak, first_listed, last_listed, details, created_at,"
        " updated_at) VALUES ('botnet', ?1, ?2, ?3, ?3, ?4, ?5, ?6, 'open', ?7, 1, ?8, ?8, ?9,"
        " ?10, ?10)",
        err);
    if (!st)
        return -EIO;
    int alen = nf->family == ADDR_V4 ? 4 : 16;
    sqlite3_bind_int64(st, 1, nf->system_id);
    sqlite3_bind_int64(st, 2, nf->feed_id);
    sqlite3_bind_text(st, 3, nf->value, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, nf->family);
    sqlite3_bind_blob(st, 5, nf->first, alen, SQLITE_STATIC);
    sqlite3_bind_blob(st, 6, nf->last, alen, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, priority_of(nf->level, 1));
    sqlite3_bind_int64(st, 8, nf->version_id);
    sqlite3_bind_text(st, 9, nf->details, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, vtime_now());
    int r = st_done(s, st, err);
    if (r < 0)
        return r;
    return history_add(s, sqlite3_last_insert_rowid(s->db), NULL, NULL, "open", nf->comment, err);
}

/* --- Matching a new version against all registered address space. */

struct arow {
    int64_t system_id;
    int level;
    struct ip_prefix pfx;
};

struct agroup {
    struct ip_prefix pfx; /* distinct registered prefix */
    struct ip_addr first, last;
    uint32_t start, n; /* its rows in the sorted row array */
};

/* An existing finding of this feed, and whether this version listed it. */
struct exf {
    int64_t id;
    int64_t streak;
    int64_t last_listed;
    char status[16];
    bool seen;
};
struct exf_vec {
    struct exf *items;
    size_t n, alloc;
};

static int prefix_cmp(const struct ip_prefix *a, const struct ip_prefix *b)
{
    int c = ip_cmp(&a->addr, &b->addr);
    return c ? c : (int)a->len - (int)b->len;
}

static int arow_cmp(const void *pa, const void *pb)
{
    const struct arow *a = pa, *b = pb;
    int c = prefix_cmp(&a->pfx, &b->pfx);
    if (c)
        return c;
    return a->system_id < b->system_id ? -1 : a->system_id > b->system_id;
}

static int u32_cmp(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return a < b ? -1 : a > b;
}

struct matcher {
    VEC(struct arow) rows;
    VEC(struct agroup) groups;
    struct ipset *set;
    VEC(uint32_t) cand;
    uint32_t *buf;
    size_t buf_n;
};

static void matcher_release(struct matcher *m)
{
    VEC_FREE(&m->rows);
    VEC_FREE(&m->groups);
    VEC_FREE(&m->cand);
    ipset_free(m->set);
    free(m->buf);
}

static int matcher_load(struct store *s, struct matcher *m, struct verr *err)
{
    sqlite3_stmt *st = st_get(s,
                              "SELECT a.system_id, sy.level, a.family, a.first, a.prefix_len"
                              " FROM system_addrs a JOIN systems sy ON sy.id = a.system_id",
                              err);
    if (!st)
        return -EIO;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct arow row = {0};
        row.system_id = sqlite3_column_int64(st, 0);
        row.level = sqlite3_column_int(st, 1);
        int family = sqlite3_column_int(st, 2);
        const uint8_t *b = sqlite3_column_blob(st, 3);
        int blen = sqlite3_column_bytes(st, 3);
        if (!b || blen != (family == ADDR_V4 ? 4 : 16))
            continue;
        bytes_to_addr(family, b, &row.pfx.addr);
        row.pfx.len = (uint8_t)sqlite3_column_int(st, 4);
        VEC_PUSH(&m->rows, row);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return st_dberr(s, err);
    if (m->rows.n > UINT32_MAX / 2)
        return verr_set(err, -E2BIG, N_("too many registered address ranges (%zu)"), m->rows.n);
    if (m->rows.n == 0)
        return 0; /* nothing registered: nothing to match */
    qsort(m->rows.items, m->rows.n, sizeof(struct arow), arow_cmp);

    m->set = ipset_new();
    for (size_t i = 0; i < m->rows.n; i++) {
        if (m->groups.n == 0 ||
            prefix_cmp(&m->groups.items[m->groups.n - 1].pfx, &m->rows.items[i].pfx) != 0) {
            struct agroup g = {.pfx = m->rows.items[i].pfx, .start = (uint32_t)i, .n = 0};
            prefix_range(&g.pfx, &g.first, &g.last);
            VEC_PUSH(&m->groups, g);
            if (ipset_add(m->set, &g.pfx, (uint32_t)(m->groups.n - 1)) < 0)
                return verr_set(err, -ENOMEM, N_("cannot index the registered address ranges"));
        }
        m->groups.items[m->groups.n - 1].n++;
    }
    if (ipset_build(m->set) < 0)
        return verr_set(err, -ENOMEM, N_("cannot index the registered address ranges"));
    m->buf_n = 64;
    m->buf = xreallocarray(NULL, m->buf_n, sizeof(*m->buf));
    return 0;
}

/* Groups of registered prefixes containing address a. */
static void add_containing(struct matcher *m, const struct ip_addr *a, bool only_before)
{
    size_t n = ipset_lookup_all(m->set, a, m->buf, m->buf_n);
    if (n > m->buf_n) {
        m->buf_n = n;
        m->buf = xreallocarray(m->buf, m->buf_n, sizeof(*m->buf));
        n = ipset_lookup_all(m->set, a, m->buf, m->buf_n);
        n = MIN(n, m->buf_n);
    }
    for (size_t i = 0; i < n; i++) {
        if (m->buf[i] >= m->groups.n)
            continue;
        if (only_before && ip_cmp(&m->groups.items[m->buf[i]].first, a) >= 0)
            continue;
        VEC_PUSH(&m->cand, m->buf[i]);
    }
}

/* Candidate groups overlapping listed prefix p into m->cand (sorted, unique). */
static void match_prefix(struct matcher *m, const struct ip_prefix *p)
{
    m->cand.n = 0;
    if (is_host(p)) {
        add_containing(m, &p->addr, false);
        return;
    }
    struct ip_addr pf, pl;
    prefix_range(p, &pf, &pl);
    /* Registered ranges that start before p and overlap it contain p's first
     * address (prefixes nest or are disjoint). */
    add_containing(m, &pf, true);
    /* Registered ranges that start inside p: the first group at or after pf. */
    size_t lo = 0, hi = m->groups.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ip_cmp(&m->groups.items[mid].first, &pf) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t g = lo; g < m->groups.n && ip_cmp(&m->groups.items[g].first, &pl) <= 0; g++)
        VEC_PUSH(&m->cand, (uint32_t)g);
    if (m->cand.n > 1) {
        qsort(m->cand.items, m->cand.n, sizeof(uint32_t), u32_cmp);
        size_t w = 1;
        for (size_t i = 1; i < m->cand.n; i++)
            if (m->cand.items[i] != m->cand.items[w - 1])
                m->cand.items[w++] = m->cand.items[i];
        m->cand.n = w;
    }
}

static size_t finding_key(int64_t system_id, const char *value, size_t vlen, char *out)
{
    memcpy(out, &system_id, sizeof(system_id));
    memcpy(out + sizeof(system_id), value, vlen);
    return sizeof(system_id) + vlen;
}

static int load_existing(struct store *s, int64_t feed_id, struct strmap *map, struct exf_vec *ex,
                         struct verr *err)
{
    sqlite3_stmt *st = st_get(s,
                              "SELECT id, system_id, indicator, status, streak, last_listed"
                              " FROM findings WHERE kind = 'botnet' AND feed_id = ?",
                              err);
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, feed_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct exf e = {0};
        e.id = sqlite3_column_int64(st, 0);
        e.streak = sqlite3_column_int64(st, 4);
        e.last_listed = sqlite3_column_int64(st, 5);
        snprintf(e.status, sizeof(e.status), "%s", (const char *)sqlite3_column_text(st, 3));
        VEC_PUSH(ex, e);
        char key[8 + IND_VALUE_MAX];
        const char *v = (const char *)sqlite3_column_text(st, 2);
        size_t vlen = MIN((size_t)sqlite3_column_bytes(st, 2), (size_t)IND_VALUE_MAX);
        size_t klen = finding_key(sqlite3_column_int64(st, 1), v ? v : "", vlen, key);
        strmap_put(map, key, klen, (void *)(uintptr_t)ex->n, NULL);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return st_dberr(s, err);
    return 0;
}

struct listing {
    int64_t version_id, prev_version_id;
    const char *comment_listed;
    const char *comment_again;
};

/* Apply one (system, listed value) pair. */
static int apply_listed(struct store *s, const struct listing *L, struct exf *e, int level,
                        const char *details, struct match_counts *mc, struct verr *err)
{
    sqlite3_stmt *st;
    int64_t streak = e->last_listed == L->prev_version_id ? e->streak + 1 : 1;
    if (strcmp(e->status, "false_positive") == 0) {
        st = st_get(s, "UPDATE findings SET last_listed = ? WHERE id = ?", err);
        if (!st)
            return -EIO;
        sqlite3_bind_int64(st, 1, L->version_id);
        sqlite3_bind_int64(st, 2, e->id);
        return st_done(s, st, err);
    }
    bool reopen = strcmp(e->status, "resolved") == 0;
    st = st_get(s,
                "UPDATE findings SET status = ?, streak = ?, priority = ?, last_listed = ?,"
                " details = ?, updated_at = ? WHERE id = ?",
                err);
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, reopen ? "open" : e->status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, streak);
    sqlite3_bind_int(st, 3, priority_of(level, streak));
    sqlite3_bind_int64(st, 4, L->version_id);
    sqlite3_bind_text(st, 5, details, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, vtime_now());
    sqlite3_bind_int64(st, 7, e->id);
    int r = st_done(s, st, err);
    if (r < 0)
        return r;
    if (reopen) {
        mc->n_reopened++;
        return history_add(s, e->id, NULL, "resolved", "open", L->comment_again, err);
    }
    mc->n_persisting++;
    return 0;
}

int finding_match_version(struct store *s, int64_t feed_id, const char *feed_name,
                          int64_t version_id, int64_t prev_version_id, const char *list_date,
                          const struct feed *parsed, struct match_counts *ret, struct verr *err)
{
    struct matcher m = {0};
    struct strmap map;
    struct exf_vec ex = VEC_INIT;
    struct match_counts mc = {0};
    char c_listed[160], c_again[160], c_gone[160];
    snprintf(c_listed, sizeof(c_listed), "listed in %s %s", feed_name, list_date);
    snprintf(c_again, sizeof(c_again), "listed again in %s %s", feed_name, list_date);
    snprintf(c_gone, sizeof(c_gone), "not listed in %s %s", feed_name, list_date);
    struct listing L = {version_id, prev_version_id, c_listed, c_again};
    strmap_init(&map);

    int64_t mark = history_mark(s);
    int r = matcher_load(s, &m, err);
    if (r < 0)
        goto out;
    if ((r = load_existing(s, feed_id, &map, &ex, err)) < 0)
        goto out;

    for (size_t i = 0; i < parsed->items.n && m.groups.n > 0; i++) {
        const struct indicator *ind = &parsed->items.items[i];
        if (ind->type != IND_IP)
            continue;
        match_prefix(&m, &ind->ip);
        if (m.cand.n == 0)
            continue;
        char value[IND_VALUE_MAX];
        size_t vlen = indicator_value(ind, value);
        char *details = NULL;
        json_t *dj =
            details_json(ind->first_seen, ind->malware, ind->port, ind->asn, ind->isp, ind->ref);
        details = json_dumps(dj, JSON_COMPACT);
        json_decref(dj);
        struct ip_addr pf, pl;
        uint8_t fb[16], lb[16];
        prefix_range(&ind->ip, &pf, &pl);
        addr_to_bytes(&pf, fb);
        addr_to_bytes(&pl, lb);

        for (size_t c = 0; c < m.cand.n && r >= 0; c++) {
            const struct agroup *g = &m.groups.items[m.cand.items[c]];
            for (uint32_t k = 0; k < g->n && r >= 0; k++) {
                const struct arow *row = &m.rows.items[g->start + k];
                char key[8 + IND_VALUE_MAX];
                size_t klen = finding_key(row->system_id, value, vlen, key);
                uintptr_t idx = (uintptr_t)strmap_get(&map, key, klen);
                if (idx == 0) {
                    struct new_finding nf = {
                        .system_id = row->system_id,
                        .level = row->level,
                        .feed_id = feed_id,
                        .value = value,
                        .family = ind->ip.addr.family,
                        .first = fb,
                        .last = lb,
                        .version_id = version_id,
                        .details = details ? details : "{}",
                        .comment = c_listed,
                    };
                    if ((r = finding_insert(s, &nf, err)) < 0)
                        break;
                    struct exf e = {.id = sqlite3_last_insert_rowid(s->db), .seen = true};
                    VEC_PUSH(&ex, e);
                    strmap_put(&map, key, klen, (void *)(uintptr_t)ex.n, NULL);
                    mc.n_new++;
                    continue;
                }
                struct exf *e = &ex.items[idx - 1];
                if (e->seen) /* two ranges of one system, or a duplicate listing */
                    continue;
                e->seen = true;
                r = apply_listed(s, &L, e, row->level, details ? details : "{}", &mc, err);
            }
        }
        free(details);
        if (r < 0)
            goto out;
    }

    /* Open findings no longer listed resolve themselves. */
    for (size_t i = 0; i < ex.n; i++) {
        struct exf *e = &ex.items[i];
        if (e->seen || (strcmp(e->status, "open") != 0 && strcmp(e->status, "in_progress") != 0))
            continue;
        sqlite3_stmt *st =
            st_get(s, "UPDATE findings SET status = 'resolved', updated_at = ? WHERE id = ?", err);
        if (!st) {
            r = -EIO;
            goto out;
        }
        sqlite3_bind_int64(st, 1, vtime_now());
        sqlite3_bind_int64(st, 2, e->id);
        if ((r = st_done(s, st, err)) < 0 ||
            (r = history_add(s, e->id, NULL, e->status, "resolved", c_gone, err)) < 0)
            goto out;
        mc.n_resolved++;
    }
    if ((r = malware_botnet_scan(s, mark, NULL, err)) < 0)
        goto out;
    *ret = mc;
out:
    matcher_release(&m);
    strmap_release(&map);
    VEC_FREE(&ex);
    return r;
}

/* --- Matching one new system against the latest version of each botnet feed. */

static void last_of(const uint8_t *first, size_t alen, unsigned plen, uint8_t *out)
{
    for (size_t i = 0; i < alen; i++) {
        unsigned bit = (unsigned)i * 8;
        uint8_t host_mask = plen >= bit + 8 ? 0
                            : plen <= bit   ? 0xff
                                            : (uint8_t)(0xff >> (plen - bit));
        out[i] = first[i] | host_mask;
    }
}

static void mask_to(const uint8_t *a, size_t alen, unsigned plen, uint8_t *out)
{
    for (size_t i = 0; i < alen; i++) {
        unsigned bit = (unsigned)i * 8;
        uint8_t keep = plen >= bit + 8 ? 0xff
                       : plen <= bit   ? 0
                                       : (uint8_t)(0xff << (8 - (plen - bit)));
        out[i] = a[i] & keep;
    }
}

struct sys_match {
    int64_t system_id;
    int level;
    int64_t feed_id;
    int64_t version_id;
    char comment[160];
    struct strmap seen; /* values already made into findings for this feed */
    int64_t n;
};

/* Make the finding for the indicator row at st (key, value, first_seen,
 * malware, port, asn, isp, ref), once per value. */
static int sys_match_row(struct store *s, struct sys_match *sm, sqlite3_stmt *st, struct verr *err)
{
    const uint8_t *key = sqlite3_column_blob(st, 0);
    int klen = sqlite3_column_bytes(st, 0);
    const char *value = (const char *)sqlite3_column_text(st, 1);
    if (!key || !value || klen < 6)
        return 0;
    size_t vlen = (size_t)sqlite3_column_bytes(st, 1);
    if (strmap_get(&sm->seen, value, vlen))
        return 0;
    strmap_put(&sm->seen, value, vlen, (void *)1, NULL);
    int family = key[0] == KEY_V4 ? ADDR_V4 : ADDR_V6;
    size_t alen = family == ADDR_V4 ? 4 : 16;
    if ((size_t)klen != alen + 2)
        return 0;
    uint8_t last[16];
    last_of(key + 1, alen, key[1 + alen], last);
    json_t *dj = details_json(sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3),
                              sqlite3_column_int(st, 4), sqlite3_column_int64(st, 5),
                              (const char *)sqlite3_column_text(st, 6),
                              (const char *)sqlite3_column_text(st, 7));
    char *details = json_dumps(dj, JSON_COMPACT);
    json_decref(dj);
    struct new_finding nf = {
        .system_id = sm->system_id,
        .level = sm->level,
        .feed_id = sm->feed_id,
        .value = value,
        .family = family,
        .first = key + 1,
        .last = last,
        .version_id = sm->version_id,
        .details = details ? details : "{}",
        .comment = sm->comment,
    };
    int r = finding_insert(s, &nf, err);
    free(details);
    if (r == 0)
        sm->n++;
    return r;
}

#define IND_ROW_COLS "key, value, first_seen, malware, port, asn, isp, ref"

static int sys_match_range(struct store *s, struct sys_match *sm, int family, const uint8_t *first,
                           const uint8_t *last, unsigned plen, struct verr *err)
{
    size_t alen = family == ADDR_V4 ? 4 : 16;
    uint8_t cls = family == ADDR_V4 ? KEY_V4 : KEY_V6;
    uint8_t lo[18], hi[18];
    /* Listed values starting inside the range. */
    lo[0] = hi[0] = cls;
    memcpy(lo + 1, first, alen);
    memcpy(hi + 1, last, alen);
    lo[1 + alen] = 0;
    hi[1 + alen] = 0xff;
    sqlite3_stmt *st = st_get(s,
                              "SELECT " IND_ROW_COLS " FROM indicators WHERE version_id = ?"
                              " AND key >= ? AND key <= ?",
                              err);
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, sm->version_id);
    sqlite3_bind_blob(st, 2, lo, (int)alen + 2, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, hi, (int)alen + 2, SQLITE_STATIC);
    int rc, r = 0;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        r = sys_match_row(s, sm, st, err);
    sqlite3_reset(st);
    if (r < 0)
        return r;
    /* Listed prefixes that start before the range and contain it: one exact
     * key per shorter length. */
    for (unsigned len = 0; len < plen; len++) {
        uint8_t k[18];
        k[0] = cls;
        mask_to(first, alen, len, k + 1);
        if (memcmp(k + 1, first, alen) == 0)
            continue; /* starts at the range: found above */
        k[1 + alen] = (uint8_t)len;
        st = st_get(s, "SELECT " IND_ROW_COLS " FROM indicators WHERE version_id = ? AND key = ?",
                    err);
        if (!st)
            return -EIO;
        sqlite3_bind_int64(st, 1, sm->version_id);
        sqlite3_bind_blob(st, 2, k, (int)alen + 2, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            r = sys_match_row(s, sm, st, err);
        sqlite3_reset(st);
        if (r < 0)
            return r;
    }
    return 0;
}

int finding_match_system(struct store *s, int64_t system_id, int level, struct verr *err,
                         int64_t *ret_n)
{
    /* The latest version of every botnet feed. */
    sqlite3_stmt *fst = st_get(s,
                               "SELECT fe.id, fe.name, v.id, v.list_date FROM feeds fe"
                               " JOIN feed_versions v ON v.feed_id = fe.id"
                               " WHERE fe.kind = 'botnet' AND v.list_date ="
                               " (SELECT MAX(list_date) FROM feed_versions WHERE feed_id = fe.id)",
                               err);
    if (!fst)
        return -EIO;
    int64_t total = 0, mark = history_mark(s);
    int r = 0;
    while (r == 0 && sqlite3_step(fst) == SQLITE_ROW) {
        struct sys_match sm = {
            .system_id = system_id,
            .level = level,
            .feed_id = sqlite3_column_int64(fst, 0),
            .version_id = sqlite3_column_int64(fst, 2),
        };
        snprintf(sm.comment, sizeof(sm.comment), "listed in %s %s when the system was registered",
                 (const char *)sqlite3_column_text(fst, 1),
                 (const char *)sqlite3_column_text(fst, 3));
        strmap_init(&sm.seen);
        sqlite3_stmt *ast = st_get(
            s, "SELECT family, first, last, prefix_len FROM system_addrs WHERE system_id = ?", err);
        if (!ast) {
            r = -EIO;
        } else {
            sqlite3_bind_int64(ast, 1, system_id);
            while (r == 0 && sqlite3_step(ast) == SQLITE_ROW) {
                int family = sqlite3_column_int(ast, 0);
                const uint8_t *first = sqlite3_column_blob(ast, 1);
                const uint8_t *last = sqlite3_column_blob(ast, 2);
                size_t alen = family == ADDR_V4 ? 4 : 16;
                if (!first || !last || (size_t)sqlite3_column_bytes(ast, 1) != alen ||
                    (size_t)sqlite3_column_bytes(ast, 2) != alen)
                    continue;
                uint8_t f[16], l[16];
                memcpy(f, first, alen);
                memcpy(l, last, alen);
                r = sys_match_range(s, &sm, family, f, l, (unsigned)sqlite3_column_int(ast, 3),
                                    err);
            }
            sqlite3_reset(ast);
        }
        strmap_release(&sm.seen);
        total += sm.n;
    }
    sqlite3_reset(fst);
    if (r == 0 && total > 0)
        r = malware_botnet_scan(s, mark, NULL, err);
    if (r == 0 && ret_n)
        *ret_n = total;
    return r;
}

/* --- Reading and working findings. */

static const struct col_spec finding_cols[] = {
    {"id", 0, COL_INT},
    {"kind", 1, COL_TEXT},
    {"status", 2, COL_TEXT},
    {"priority", 3, COL_INT},
    {"streak", 4, COL_INT},
    {"system_id", 5, COL_INT},
    {"system_name", 6, COL_TEXT},
    {"unit_id", 7, COL_INT},
    {"level", 8, COL_INT},
    {"feed", 9, COL_TEXT},
    {"indicator", 10, COL_TEXT},
    {"ip", 11, COL_TEXT},
    {"first_listed", 12, COL_TEXT},
    {"last_listed", 13, COL_TEXT},
    {"details", 14, COL_JSON},
    {"created_at", 15, COL_TIME},
    {"updated_at", 16, COL_TIME},
};

json_t *finding_row_json(sqlite3_stmt *st)
{
    return cols_json(st, finding_cols, ARRAY_SIZE(finding_cols));
}

enum { P_INT, P_TEXT, P_BLOB };
struct param {
    int type;
    int64_t i;
    const char *t;
    uint8_t b[16];
    int blen;
};

static void bind_params(sqlite3_stmt *st, const struct param *p, int n)
{
    for (int i = 0; i < n; i++) {
        if (p[i].type == P_INT)
            sqlite3_bind_int64(st, i + 1, p[i].i);
        else if (p[i].type == P_TEXT)
            sqlite3_bind_text(st, i + 1, p[i].t, -1, SQLITE_STATIC);
        else
            sqlite3_bind_blob(st, i + 1, p[i].b, p[i].blen, SQLITE_STATIC);
    }
}

int store_finding_list(struct store *s, const struct finding_filter *f, json_t **ret,
                       struct verr *err)
{
    struct finding_filter none = {0};
    if (!f)
        f = &none;
    if (f->status && check_status(f->status, err) < 0)
        return -EINVAL;
    if (f->kind && strcmp(f->kind, "botnet") != 0)
        return verr_set(err, -EINVAL, N_("kind: '%.40s' is not a kind of finding (botnet)"),
                        f->kind);
    if (f->min_level < 0 || f->min_level > 5)
        return verr_set(err, -EINVAL, N_("min_level: must be 1 to 5 (got %d)"), f->min_level);
    if (f->limit > 10000)
        return verr_set(err, -EINVAL, N_("limit: at most 10000 (got %zu)"), f->limit);
    if (f->offset > INT32_MAX)
        return verr_set(err, -EINVAL, N_("offset: too large (%zu)"), f->offset);
    size_t limit = f->limit ? f->limit : 100;

    struct param p[12];
    int np = 0;
    struct buf where = BUF_INIT(4096);
    int r = buf_puts(&where, " WHERE 1");
    if (f->unit_id > 0) {
        r |= buf_puts(&where, " AND sy.unit_id IN (WITH RECURSIVE sub(id) AS (SELECT ?"
                              " UNION SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id)"
                              " SELECT id FROM sub)");
        p[np++] = (struct param){.type = P_INT, .i = f->unit_id};
    }
    if (f->status) {
        r |= buf_puts(&where, " AND f.status = ?");
        p[np++] = (struct param){.type = P_TEXT, .t = f->status};
    }
    if (f->kind) {
        r |= buf_puts(&where, " AND f.kind = ?");
        p[np++] = (struct param){.type = P_TEXT, .t = f->kind};
    }
    if (f->system_id > 0) {
        r |= buf_puts(&where, " AND f.system_id = ?");
        p[np++] = (struct param){.type = P_INT, .i = f->system_id};
    }
    if (f->feed) {
        r |= buf_puts(&where, " AND fe.name = ?");
        p[np++] = (struct param){.type = P_TEXT, .t = f->feed};
    }
    if (f->min_level > 0) {
        r |= buf_puts(&where, " AND sy.level >= ?");
        p[np++] = (struct param){.type = P_INT, .i = f->min_level};
    }
    if (f->ip) {
        struct ip_prefix q;
        enum addr_err e = prefix_parse(f->ip, strlen(f->ip), true, &q);
        if (e != ADDR_OK) {
            buf_release(&where);
            return verr_set(err, -EINVAL, N_("ip: '%.64s' is not a valid address: %s"), f->ip,
                            addr_strerror(e));
        }
        struct ip_addr first, last;
        prefix_range(&q, &first, &last);
        r |= buf_puts(&where, " AND f.ip_family = ? AND f.ip_first >= ? AND f.ip_last <= ?");
        p[np++] = (struct param){.type = P_INT, .i = q.addr.family};
        p[np] = (struct param){.type = P_BLOB};
        p[np].blen = (int)addr_to_bytes(&first, p[np].b);
        np++;
        p[np] = (struct param){.type = P_BLOB};
        p[np].blen = (int)addr_to_bytes(&last, p[np].b);
        np++;
    }
    struct buf sql = BUF_INIT(8192);
    r |= buf_printf(&sql, "SELECT COUNT(*)%s%s", FINDING_FROM, buf_str(&where));
    if (r < 0) {
        buf_release(&where);
        buf_release(&sql);
        return verr_set(err, -EIO, N_("database error: %s"), "query too long");
    }

    sqlite3_stmt *st = NULL;
    int64_t total = 0;
    if (sqlite3_prepare_v2(s->db, buf_str(&sql), -1, &st, NULL) != SQLITE_OK)
        goto dberr;
    bind_params(st, p, np);
    if (sqlite3_step(st) != SQLITE_ROW)
        goto dberr;
    total = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;

    buf_reset(&sql);
    if (buf_printf(&sql,
                   "SELECT " FINDING_COLS "%s%s ORDER BY f.priority DESC, f.id LIMIT %zu"
                   " OFFSET %zu",
                   FINDING_FROM, buf_str(&where), limit, f->offset) < 0)
        goto dberr;
    if (sqlite3_prepare_v2(s->db, buf_str(&sql), -1, &st, NULL) != SQLITE_OK)
        goto dberr;
    bind_params(st, p, np);
    json_t *items = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(items, finding_row_json(st));
    if (rc != SQLITE_DONE) {
        json_decref(items);
        goto dberr;
    }
    sqlite3_finalize(st);
    buf_release(&where);
    buf_release(&sql);
    json_t *o = json_object();
    json_object_set_new(o, "total", json_integer(total));
    json_object_set_new(o, "items", items);
    *ret = o;
    return 0;
dberr:
    r = st_dberr(s, err);
    sqlite3_finalize(st);
    buf_release(&where);
    buf_release(&sql);
    return r;
}

static const struct col_spec history_cols[] = {
    {"at", 0, COL_TIME}, {"actor", 1, COL_TEXT},   {"from", 2, COL_TEXT},
    {"to", 3, COL_TEXT}, {"comment", 4, COL_TEXT},
};

json_t *store_finding_get(struct store *s, int64_t id)
{
    sqlite3_stmt *st = st_get(s, "SELECT " FINDING_COLS FINDING_FROM " WHERE f.id = ?", NULL);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    json_t *o = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        o = finding_row_json(st);
    sqlite3_reset(st);
    if (!o)
        return NULL;
    json_t *hist = json_array();
    st = st_get(s,
                "SELECT at, actor, from_status, to_status, comment FROM finding_history"
                " WHERE finding_id = ? ORDER BY id",
                NULL);
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        while (sqlite3_step(st) == SQLITE_ROW)
            json_array_append_new(hist, cols_json(st, history_cols, ARRAY_SIZE(history_cols)));
        sqlite3_reset(st);
    }
    json_object_set_new(o, "history", hist);
    return o;
}

static bool transition_ok(const char *from, const char *to)
{
    static const struct {
        const char *from, *to;
    } ok[] = {
        {"open", "in_progress"},           {"open", "resolved"},
        {"open", "false_positive"},        {"in_progress", "resolved"},
        {"in_progress", "false_positive"}, {"resolved", "open"},
        {"false_positive", "open"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
        if (strcmp(from, ok[i].from) == 0 && strcmp(to, ok[i].to) == 0)
            return true;
    return false;
}

int store_finding_update(struct store *s, const struct actor *who, int64_t id, const char *status,
                         const char *comment, struct verr *err)
{
    int r;
    if ((r = check_status(status, err)) < 0)
        return r;
    bool need_comment = strcmp(status, "false_positive") == 0;
    if ((r = check_text("comment", comment, need_comment ? 1 : 0, 2000, need_comment, err)) < 0) {
        if (need_comment && (!comment || !*comment))
            return verr_set(err, -EINVAL,
                            N_("comment: a comment is required to mark a finding a false "
                               "positive"));
        return r;
    }
    if ((r = st_begin(s, err)) < 0)
        return r;
    sqlite3_stmt *st;
    if ((r = st_row(s, &st, "SELECT status FROM findings WHERE id = ?", id, err,
                    N_("finding %lld does not exist"), (long long)id)) < 0)
        goto fail;
    char from[16];
    snprintf(from, sizeof(from), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (!transition_ok(from, status)) {
        r = verr_set(err, -EINVAL, N_("status: a finding cannot go from %s to %s"), from, status);
        goto fail;
    }
    st = st_get(s, "UPDATE findings SET status = ?, updated_at = ? WHERE id = ?", err);
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_text(st, 1, status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, vtime_now());
    sqlite3_bind_int64(st, 3, id);
    if ((r = st_done(s, st, err)) < 0)
        goto fail;
    struct actor sys = {0};
    snprintf(sys.name, sizeof(sys.name), SYSTEM_ACTOR);
    int64_t mark = history_mark(s);
    if ((r = history_add(s, id, who ? who : &sys, from, status, comment, err)) < 0 ||
        (strcmp(status, "open") == 0 && (r = malware_botnet_scan(s, mark, NULL, err)) < 0))
        goto fail;
    json_t *detail = json_pack("{s:s, s:s, s:s?}", "from", from, "to", status, "comment",
                               comment && *comment ? comment : NULL);
    return st_audit_commit(s, who, "finding.update", "finding", id, detail, err);
fail:
    st_rollback(s);
    return r;
}
