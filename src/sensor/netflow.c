/*
 * NetFlow v5 / v9 / IPFIX decoding (see netflow.h).
 *
 * Templates are compiled when learnt: for a template whose fields all have
 * fixed lengths, a short list of (offset, length, action) operations names
 * only the fields Vigil uses, so decoding a record touches nothing else.
 * Templates with IPFIX variable-length fields are walked field by field.
 */
#include <string.h>
#include <sys/random.h>

#include "base/bytes.h"
#include "base/hashmap.h"
#include "sensor/netflow.h"

enum {
    NF_DEFAULT_EXPIRY = 1800,
    NF_DEFAULT_MAX_TEMPLATES = 16384,
    NF_DEFAULT_MAX_PER_EXP = 1024,
    NF_DEFAULT_MAX_STREAMS = 4096,
    NF_V5_HDR = 24,
    NF_V5_REC = 48,
    NF_V9_HDR = 20,
    NF_IPFIX_HDR = 16,
    NF_VARLEN = 65535,
};

/* What a field means to us. */
enum nf_act {
    A_NONE = 0,
    A_SRC4,
    A_DST4,
    A_SRC6,
    A_DST6,
    A_SPORT,
    A_DPORT,
    A_PROTO,
    A_BYTES,
    A_PKTS,
    A_LAST_UP,  /* IE 21: sysUptime ms */
    A_FIRST_UP, /* IE 22 */
    A_START_S,  /* IE 150 dateTimeSeconds */
    A_END_S,
    A_START_MS, /* IE 152 dateTimeMilliseconds */
    A_END_MS,
    A_START_US, /* IE 154 dateTimeMicroseconds (NTP format) */
    A_END_US,
    A_SYSINIT_MS, /* IE 160 systemInitTimeMilliseconds */
    A_XSRC4,
    A_XDST4,
    A_XSPORT,
    A_XDPORT,
    A_NATEV,
    A_XSRC6,
    A_XDST6,
    A_PB_START,
    A_PB_END,
    A_PB_STEP,
    A_PB_SIZE,
    A_COUNT,
};

/* Allowed field lengths per action: addresses exact, integers reduced-size
 * 1..max (RFC 7011 section 6.2). */
static const struct {
    uint8_t min, max;
} act_len[A_COUNT] = {
    [A_SRC4] = {4, 4},    [A_DST4] = {4, 4},       [A_SRC6] = {16, 16},   [A_DST6] = {16, 16},
    [A_SPORT] = {1, 2},   [A_DPORT] = {1, 2},      [A_PROTO] = {1, 1},    [A_BYTES] = {1, 8},
    [A_PKTS] = {1, 8},    [A_LAST_UP] = {1, 4},    [A_FIRST_UP] = {1, 4}, [A_START_S] = {4, 4},
    [A_END_S] = {4, 4},   [A_START_MS] = {8, 8},   [A_END_MS] = {8, 8},   [A_START_US] = {8, 8},
    [A_END_US] = {8, 8},  [A_SYSINIT_MS] = {8, 8}, [A_XSRC4] = {4, 4},    [A_XDST4] = {4, 4},
    [A_XSPORT] = {1, 2},  [A_XDPORT] = {1, 2},     [A_NATEV] = {1, 1},    [A_XSRC6] = {16, 16},
    [A_XDST6] = {16, 16}, [A_PB_START] = {1, 2},   [A_PB_END] = {1, 2},   [A_PB_STEP] = {1, 2},
    [A_PB_SIZE] = {1, 2},
};

static enum nf_act ie_action(uint16_t ie)
{
    switch (ie) {
    case 1:
        return A_BYTES;
    case 2:
        return A_PKTS;
    case 4:
        return A_PROTO;
    case 7:
        return A_SPORT;
    case 8:
        return A_SRC4;
    case 11:
        return A_DPORT;
    case 12:
        return A_DST4;
    case 21:
        return A_LAST_UP;
    case 22:
        return A_FIRST_UP;
    case 27:
        return A_SRC6;
    case 28:
        return A_DST6;
    case 150:
        return A_START_S;
    case 151:
        return A_END_S;
    case 152:
        return A_START_MS;
    case 153:
        return A_END_MS;
    case 154:
        return A_START_US;
    case 155:
        return A_END_US;
    case 160:
        return A_SYSINIT_MS;
    case 225:
        return A_XSRC4;
    case 226:
        return A_XDST4;
    case 227:
        return A_XSPORT;
    case 228:
        return A_XDPORT;
    case 230:
        return A_NATEV;
    case 281:
        return A_XSRC6;
    case 282:
        return A_XDST6;
    case 361:
        return A_PB_START;
    case 362:
        return A_PB_END;
    case 363:
        return A_PB_STEP;
    case 364:
        return A_PB_SIZE;
    default:
        return A_NONE;
    }
}

static bool act_len_ok(enum nf_act a, size_t len)
{
    return len >= act_len[a].min && len <= act_len[a].max;
}

/* Key of a stream (tid 0) or a template. Zero-filled before use: hashed as bytes. */
struct nf_key {
    uint64_t a_hi, a_lo;
    uint32_t domain;
    uint16_t tid;
    uint8_t version;
    uint8_t family;
};

struct nf_field {
    uint16_t len; /* NF_VARLEN: IPFIX variable length */
    uint8_t act;
};

struct nf_op {
    uint16_t off, len;
    uint8_t act;
};

struct nf_stream;

struct nf_tpl {
    struct nf_key key; /* first: the hash tables read keys at offset 0 */
    struct nf_stream *stream;
    struct nf_tpl *g_prev, *g_next; /* all templates, oldest (re)definition first */
    struct nf_tpl *s_prev, *s_next; /* the stream's templates, likewise */
    int64_t updated;
    bool options;
    bool variable; /* has a variable-length field */
    uint16_t n_fields, n_ops, cap;
    uint32_t rec_len; /* fixed record length; with variable: the minimum */
    struct nf_field *fields;
    struct nf_op *ops; /* fixed-length templates only */
};

struct nf_stream {
    struct nf_key key;
    struct nf_stream *lru_prev, *lru_next; /* least recently seen first */
    struct nf_tpl *t_head, *t_tail;
    uint32_t n_templates;
    bool seq_valid;
    uint32_t next_seq;
};

/* Open-addressing table of pointers to structs starting with struct nf_key;
 * linear probing, backward-shift deletion, never more than half full. */
struct nf_table {
    void **slots;
    size_t mask;
    uint64_t seed;
};

struct nf_cache {
    struct nf_config cfg;
    struct nf_counters cnt;
    struct nf_table streams, tpls;
    struct nf_stream *s_head, *s_tail;
    size_t n_streams;
    struct nf_tpl *g_head, *g_tail;
    struct nf_field scratch[NF_MAX_FIELDS];
};

/* Per-packet context for building records. */
struct nf_pkt {
    struct nf_cache *c;
    struct nf_stream *st;
    enum obs_source source;
    int64_t export_ms;
    uint32_t sysuptime; /* v9 header */
    bool has_uptime;
    uint32_t exporter_id, domain;
    uint64_t n_data;  /* data records (IPFIX sequence) */
    bool seq_unknown; /* some data records could not be counted */
    size_t n_flows;
    nf_obs_fn fn;
    void *arg;
};

/* Times found in one record. */
struct nf_times {
    int64_t start_ms, end_ms, sysinit_ms;
    uint32_t first_up, last_up;
    bool has_first, has_last;
    uint16_t pb_size;
};

static bool all_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i])
            return false;
    return true;
}

/* Unsigned big-endian integer of 1..8 bytes (reduced-size encoding). */
static inline uint64_t beuint(const uint8_t *p, size_t n)
{
    switch (n) {
    case 1:
        return p[0];
    case 2:
        return load_be16(p);
    case 4:
        return load_be32(p);
    case 8:
        return load_be64(p);
    default: {
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
            v = v << 8 | p[i];
        return v;
    }
    }
}

/* NTP-format timestamp (seconds since 1900, 2^-32 fractions) to Unix ms. */
static int64_t ntp_to_ms(uint64_t v)
{
    int64_t secs = (int64_t)(v >> 32) - 2208988800LL;
    return secs * 1000 + (int64_t)(((v & 0xffffffffULL) * 1000) >> 32);
}

static void apply(struct obs *o, struct nf_times *tm, unsigned act, const uint8_t *p, size_t len)
{
    switch (act) {
    case A_SRC4:
        o->src = ip4_from_bytes(p);
        break;
    case A_DST4:
        o->dst = ip4_from_bytes(p);
        break;
    case A_SRC6:
        o->src = ip6_from_bytes(p);
        break;
    case A_DST6:
        o->dst = ip6_from_bytes(p);
        break;
    case A_SPORT:
        o->sport = (uint16_t)beuint(p, len);
        break;
    case A_DPORT:
        o->dport = (uint16_t)beuint(p, len);
        break;
    case A_PROTO:
        o->proto = p[0];
        break;
    case A_BYTES:
        o->bytes = beuint(p, len);
        break;
    case A_PKTS:
        o->packets = beuint(p, len);
        break;
    case A_LAST_UP:
        tm->last_up = (uint32_t)beuint(p, len);
        tm->has_last = true;
        break;
    case A_FIRST_UP:
        tm->first_up = (uint32_t)beuint(p, len);
        tm->has_first = true;
        break;
    case A_START_S:
        tm->start_ms = (int64_t)load_be32(p) * 1000;
        break;
    case A_END_S:
        tm->end_ms = (int64_t)load_be32(p) * 1000;
        break;
    case A_START_MS:
        tm->start_ms = (int64_t)load_be64(p);
        break;
    case A_END_MS:
        tm->end_ms = (int64_t)load_be64(p);
        break;
    case A_START_US:
        tm->start_ms = ntp_to_ms(load_be64(p));
        break;
    case A_END_US:
        tm->end_ms = ntp_to_ms(load_be64(p));
        break;
    case A_SYSINIT_MS:
        tm->sysinit_ms = (int64_t)load_be64(p);
        break;
    case A_XSRC4:
        o->xsrc = ip4_from_bytes(p);
        break;
    case A_XDST4:
        o->xdst = ip4_from_bytes(p);
        break;
    case A_XSPORT:
        o->xsport = (uint16_t)beuint(p, len);
        break;
    case A_XDPORT:
        o->xdport = (uint16_t)beuint(p, len);
        break;
    case A_NATEV:
        o->nat_event = p[0];
        break;
    case A_XSRC6:
        o->xsrc = ip6_from_bytes(p);
        break;
    case A_XDST6:
        o->xdst = ip6_from_bytes(p);
        break;
    case A_PB_START:
        o->port_range_start = (uint16_t)beuint(p, len);
        break;
    case A_PB_END:
        o->port_range_end = (uint16_t)beuint(p, len);
        break;
    case A_PB_SIZE:
        tm->pb_size = (uint16_t)beuint(p, len);
        break;
    default:
        break; /* A_PB_STEP: checked, not kept */
    }
}

/* ---- hash tables ---- */

static uint64_t key_hash(const struct nf_table *t, const struct nf_key *k)
{
    return hash_bytes(k, sizeof *k, t->seed);
}

static void table_init(struct nf_table *t, size_t n_max)
{
    size_t cap = 16;
    while (cap < 2 * n_max)
        cap <<= 1;
    t->slots = xcalloc(cap, sizeof *t->slots);
    t->mask = cap - 1;
    if (getrandom(&t->seed, sizeof t->seed, GRND_NONBLOCK) != (ssize_t)sizeof t->seed)
        t->seed = (uint64_t)(uintptr_t)t ^ 0x9e3779b97f4a7c15ULL;
}

static void *table_get(const struct nf_table *t, const struct nf_key *k)
{
    for (size_t i = key_hash(t, k) & t->mask;; i = (i + 1) & t->mask) {
        void *e = t->slots[i];
        if (!e)
            return NULL;
        if (memcmp(e, k, sizeof *k) == 0)
            return e;
    }
}

static void table_put(struct nf_table *t, void *e)
{
    size_t i = key_hash(t, e) & t->mask;
    while (t->slots[i])
        i = (i + 1) & t->mask;
    t->slots[i] = e;
}

static void table_del(struct nf_table *t, const void *e)
{
    size_t i = key_hash(t, e) & t->mask;
    while (t->slots[i] != e)
        i = (i + 1) & t->mask;
    /* Backward-shift: pull later entries of the run into the hole. */
    for (size_t j = (i + 1) & t->mask; t->slots[j]; j = (j + 1) & t->mask) {
        size_t home = key_hash(t, t->slots[j]) & t->mask;
        if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i] = NULL;
}

/* ---- cache ---- */

void nf_config_init(struct nf_config *cfg)
{
    cfg->template_expiry_s = NF_DEFAULT_EXPIRY;
    cfg->max_templates = NF_DEFAULT_MAX_TEMPLATES;
    cfg->max_templates_per_exp = NF_DEFAULT_MAX_PER_EXP;
    cfg->max_streams = NF_DEFAULT_MAX_STREAMS;
}

struct nf_cache *nf_cache_new(const struct nf_config *cfg)
{
    struct nf_cache *c = xcalloc(1, sizeof *c);
    struct nf_config def;
    nf_config_init(&def);
    c->cfg = cfg ? *cfg : def;
    if (!c->cfg.max_templates)
        c->cfg.max_templates = def.max_templates;
    if (!c->cfg.max_templates_per_exp)
        c->cfg.max_templates_per_exp = def.max_templates_per_exp;
    if (!c->cfg.max_streams)
        c->cfg.max_streams = def.max_streams;
    table_init(&c->streams, c->cfg.max_streams);
    table_init(&c->tpls, c->cfg.max_templates);
    return c;
}

static void tpl_unlink(struct nf_cache *c, struct nf_tpl *t)
{
    struct nf_stream *s = t->stream;
    if (t->g_prev)
        t->g_prev->g_next = t->g_next;
    else
        c->g_head = t->g_next;
    if (t->g_next)
        t->g_next->g_prev = t->g_prev;
    else
        c->g_tail = t->g_prev;
    if (t->s_prev)
        t->s_prev->s_next = t->s_next;
    else
        s->t_head = t->s_next;
    if (t->s_next)
        t->s_next->s_prev = t->s_prev;
    else
        s->t_tail = t->s_prev;
    t->g_prev = t->g_next = t->s_prev = t->s_next = NULL;
}

static void tpl_link_tail(struct nf_cache *c, struct nf_tpl *t)
{
    struct nf_stream *s = t->stream;
    t->g_prev = c->g_tail;
    t->g_next = NULL;
    if (c->g_tail)
        c->g_tail->g_next = t;
    else
        c->g_head = t;
    c->g_tail = t;
    t->s_prev = s->t_tail;
    t->s_next = NULL;
    if (s->t_tail)
        s->t_tail->s_next = t;
    else
        s->t_head = t;
    s->t_tail = t;
}

static void tpl_destroy(struct nf_cache *c, struct nf_tpl *t)
{
    table_del(&c->tpls, t);
    tpl_unlink(c, t);
    t->stream->n_templates--;
    c->cnt.templates_active--;
    free(t->fields);
    free(t);
}

static void tpl_evict(struct nf_cache *c, struct nf_tpl *t)
{
    c->cnt.obs.template_evicted++;
    tpl_destroy(c, t);
}

void nf_cache_expire(struct nf_cache *c, int64_t now_s)
{
    if (!c->cfg.template_expiry_s)
        return;
    while (c->g_head && now_s - c->g_head->updated > (int64_t)c->cfg.template_expiry_s) {
        c->cnt.templates_expired++;
        tpl_evict(c, c->g_head);
    }
}

static void stream_unlink(struct nf_cache *c, struct nf_stream *s)
{
    if (s->lru_prev)
        s->lru_prev->lru_next = s->lru_next;
    else
        c->s_head = s->lru_next;
    if (s->lru_next)
        s->lru_next->lru_prev = s->lru_prev;
    else
        c->s_tail = s->lru_prev;
}

static void stream_link_tail(struct nf_cache *c, struct nf_stream *s)
{
    s->lru_prev = c->s_tail;
    s->lru_next = NULL;
    if (c->s_tail)
        c->s_tail->lru_next = s;
    else
        c->s_head = s;
    c->s_tail = s;
}

/* The stream of (exporter, version, domain), created (evicting the least
 * recently seen one at the bound) if new; moved to the recent end. */
static struct nf_stream *stream_get(struct nf_cache *c, const struct ip_addr *exp, uint8_t version,
                                    uint32_t domain)
{
    struct nf_key k;
    memset(&k, 0, sizeof k);
    k.family = exp->family;
    if (exp->family == ADDR_V6) {
        k.a_hi = exp->v6.hi;
        k.a_lo = exp->v6.lo;
    } else {
        k.a_lo = exp->v4;
    }
    k.version = version;
    k.domain = domain;
    struct nf_stream *s = table_get(&c->streams, &k);
    if (s) {
        if (s != c->s_tail) {
            stream_unlink(c, s);
            stream_link_tail(c, s);
        }
        return s;
    }
    if (c->n_streams >= c->cfg.max_streams) {
        s = c->s_head;
        while (s->t_head)
            tpl_evict(c, s->t_head);
        table_del(&c->streams, s);
        stream_unlink(c, s);
        c->n_streams--;
    } else {
        s = xmalloc(sizeof *s);
    }
    memset(s, 0, sizeof *s);
    s->key = k;
    table_put(&c->streams, s);
    stream_link_tail(c, s);
    c->n_streams++;
    return s;
}

void nf_cache_free(struct nf_cache *c)
{
    if (!c)
        return;
    while (c->g_head)
        tpl_destroy(c, c->g_head);
    for (struct nf_stream *s = c->s_head, *next; s; s = next) {
        next = s->lru_next;
        free(s);
    }
    free(c->streams.slots);
    free(c->tpls.slots);
    free(c);
}

const struct nf_counters *nf_cache_counters(const struct nf_cache *c)
{
    return &c->cnt;
}

void nf_counters_add(struct nf_counters *sum, const struct nf_counters *a)
{
    /* Both structs are arrays of uint64_t. */
    uint64_t *d = (uint64_t *)sum;
    const uint64_t *s = (const uint64_t *)a;
    for (size_t i = 0; i < sizeof *sum / sizeof(uint64_t); i++)
        d[i] += s[i];
}

uint32_t nf_exporter_id(const struct ip_addr *exporter)
{
    if (exporter->family == ADDR_V6)
        return (uint32_t)hash_u64(exporter->v6.hi ^ hash_u64(exporter->v6.lo));
    return exporter->v4;
}

/* ---- templates ---- */

/* Learn (or refresh) template tid of the packet's stream from the fields in
 * c->scratch[0..n). */
static void tpl_define(struct nf_pkt *pk, uint16_t tid, uint16_t n, bool options, int64_t now_s)
{
    struct nf_cache *c = pk->c;
    struct nf_stream *s = pk->st;
    struct nf_key k = s->key;
    k.tid = tid;

    uint32_t rec_len = 0;
    bool variable = false, bad = false;
    for (uint16_t i = 0; i < n; i++) {
        struct nf_field *f = &c->scratch[i];
        if (f->len == NF_VARLEN && s->key.version == 10) {
            variable = true;
            rec_len += 1;
            continue;
        }
        rec_len += f->len;
        if (f->act && !act_len_ok(f->act, f->len)) {
            f->act = A_NONE;
            bad = true;
        }
    }
    if (bad)
        c->cnt.obs.malformed++;
    if (rec_len == 0) { /* a record of no bytes: nothing to decode, and loops would not end */
        c->cnt.obs.malformed++;
        return;
    }

    struct nf_tpl *t = table_get(&c->tpls, &k);
    if (t) {
        tpl_unlink(c, t);
        c->cnt.templates_refreshed++;
    } else {
        if (s->n_templates >= c->cfg.max_templates_per_exp)
            tpl_evict(c, s->t_head);
        if (c->cnt.templates_active >= c->cfg.max_templates)
            tpl_evict(c, c->g_head);
        t = xcalloc(1, sizeof *t);
        t->key = k;
        t->stream = s;
        table_put(&c->tpls, t);
        s->n_templates++;
        c->cnt.templates_active++;
        c->cnt.templates_added++;
    }
    if (t->cap < n) {
        free(t->fields);
        t->fields = xmalloc((size_t)n * (sizeof *t->fields + sizeof *t->ops));
        t->ops = (struct nf_op *)(void *)(t->fields + n);
        t->cap = n;
    }
    memcpy(t->fields, c->scratch, (size_t)n * sizeof *t->fields);
    t->n_fields = n;
    t->options = options;
    t->variable = variable;
    t->rec_len = rec_len;
    t->n_ops = 0;
    if (!variable && !options) {
        uint32_t off = 0;
        for (uint16_t i = 0; i < n; i++) {
            if (t->fields[i].act && off <= UINT16_MAX)
                t->ops[t->n_ops++] = (struct nf_op){
                    .off = (uint16_t)off, .len = t->fields[i].len, .act = t->fields[i].act};
            off += t->fields[i].len;
        }
    }
    t->updated = now_s;
    tpl_link_tail(c, t);
}

/* ---- records ---- */

/* Fill o's times from tm and the packet header, then hand o over. */
static void emit(struct nf_pkt *pk, struct obs *o, const struct nf_times *tm)
{
    if (tm->start_ms) {
        o->ts_ms = tm->start_ms;
    } else if (tm->has_first && pk->has_uptime) {
        o->ts_ms = pk->export_ms - (int32_t)(pk->sysuptime - tm->first_up);
    } else if (tm->has_first && tm->sysinit_ms) {
        o->ts_ms = tm->sysinit_ms + tm->first_up;
    } else {
        o->ts_ms = pk->export_ms;
    }
    if (tm->end_ms)
        o->end_ms = tm->end_ms;
    else if (tm->has_last && pk->has_uptime)
        o->end_ms = pk->export_ms - (int32_t)(pk->sysuptime - tm->last_up);
    else if (tm->has_last && tm->sysinit_ms)
        o->end_ms = tm->sysinit_ms + tm->last_up;
    if (tm->pb_size && !o->port_range_end && o->port_range_start)
        o->port_range_end = (uint16_t)(o->port_range_start + tm->pb_size - 1);
    pk->c->cnt.obs.records++;
    o->line = pk->c->cnt.obs.records;
    pk->n_flows++;
    pk->fn(o, pk->arg);
}

static void obs_start(const struct nf_pkt *pk, struct obs *o, struct nf_times *tm)
{
    memset(o, 0, sizeof *o);
    memset(tm, 0, sizeof *tm);
    o->kind = OBS_FLOW;
    o->source = pk->source;
    o->exporter = pk->exporter_id;
    o->domain = pk->domain;
}

/* Walk one record of a variable-length template at p (at most len bytes).
 * Returns its length, or 0 if it runs past len. With o NULL, only measures. */
static size_t rec_walk(const struct nf_tpl *t, const uint8_t *p, size_t len, struct obs *o,
                       struct nf_times *tm)
{
    size_t off = 0;
    for (uint16_t i = 0; i < t->n_fields; i++) {
        size_t flen = t->fields[i].len;
        if (flen == NF_VARLEN) {
            if (off + 1 > len)
                return 0;
            flen = p[off++];
            if (flen == 255) {
                if (off + 2 > len)
                    return 0;
                flen = load_be16(p + off);
                off += 2;
            }
        }
        if (flen > len - off)
            return 0;
        unsigned act = t->fields[i].act;
        if (o && act && act_len_ok(act, flen))
            apply(o, tm, act, p + off, flen);
        off += flen;
    }
    return off;
}

static void data_set(struct nf_pkt *pk, const struct nf_tpl *t, const uint8_t *p, size_t len)
{
    struct nf_cache *c = pk->c;
    struct obs o;
    struct nf_times tm;

    if (!t->variable) {
        size_t n = len / t->rec_len;
        pk->n_data += n;
        if (t->options) {
            c->cnt.obs.skipped += n;
            c->cnt.options_records += n;
            return;
        }
        if (n == 0 && len >= 4) /* more than padding, less than a record */
            c->cnt.obs.truncated++;
        for (size_t r = 0; r < n; r++, p += t->rec_len) {
            obs_start(pk, &o, &tm);
            for (uint16_t i = 0; i < t->n_ops; i++)
                apply(&o, &tm, t->ops[i].act, p + t->ops[i].off, t->ops[i].len);
            emit(pk, &o, &tm);
        }
        return;
    }
    while (len >= t->rec_len) {
        obs_start(pk, &o, &tm);
        size_t used = rec_walk(t, p, len, t->options ? NULL : &o, &tm);
        if (used == 0) {
            /* Trailing padding is zeros; anything else ran past the set. */
            if (!all_zero(p, len)) {
                c->cnt.obs.truncated++;
                pk->seq_unknown = true;
            }
            return;
        }
        pk->n_data++;
        if (t->options) {
            c->cnt.obs.skipped++;
            c->cnt.options_records++;
        } else {
            emit(pk, &o, &tm);
        }
        p += used;
        len -= used;
    }
}

static void data_set_lookup(struct nf_pkt *pk, uint16_t tid, const uint8_t *p, size_t len)
{
    struct nf_key k = pk->st->key;
    k.tid = tid;
    const struct nf_tpl *t = table_get(&pk->c->tpls, &k);
    if (!t) {
        pk->c->cnt.obs.unknown_template++;
        pk->seq_unknown = true;
        return;
    }
    data_set(pk, t, p, len);
}

/* Read n field specifiers into c->scratch. Returns bytes used, 0 if they
 * run past len (truncated). IPFIX specifiers may carry an enterprise
 * number; those fields are kept for their length only. */
static size_t read_fields(struct nf_pkt *pk, const uint8_t *p, size_t len, uint16_t n, bool ipfix)
{
    size_t off = 0;
    for (uint16_t i = 0; i < n; i++) {
        if (off + 4 > len)
            return 0;
        uint16_t ie = load_be16(p + off), flen = load_be16(p + off + 2);
        off += 4;
        struct nf_field *f = &pk->c->scratch[i];
        f->len = flen;
        f->act = A_NONE;
        if (ipfix && (ie & 0x8000)) {
            if (off + 4 > len)
                return 0;
            off += 4;
        } else {
            f->act = (uint8_t)ie_action(ie);
        }
    }
    return off;
}

/* Remove template tid of the stream, or all its templates (IPFIX
 * withdrawal, RFC 7011 section 8.1). */
static void tpl_withdraw(struct nf_pkt *pk, uint16_t tid, bool all)
{
    struct nf_stream *s = pk->st;
    if (all) {
        while (s->t_head)
            tpl_destroy(pk->c, s->t_head);
        return;
    }
    struct nf_key k = s->key;
    k.tid = tid;
    struct nf_tpl *t = table_get(&pk->c->tpls, &k);
    if (t)
        tpl_destroy(pk->c, t);
}

/* A template set (options: options template set) of v9 or IPFIX. */
static void template_set(struct nf_pkt *pk, const uint8_t *p, size_t len, bool options, bool ipfix,
                         int64_t now_s)
{
    struct nf_cache *c = pk->c;
    uint16_t set_id = ipfix ? (options ? 3 : 2) : (options ? 1 : 0);
    while (len >= 4) {
        uint16_t tid = load_be16(p), n, n_scope = 0;
        size_t hdr = 4;
        if (tid == 0) /* padding */
            return;
        if (options && !ipfix) {
            if (len < 6)
                break;
            uint16_t scope_len = load_be16(p + 2), opt_len = load_be16(p + 4);
            hdr = 6;
            if (scope_len % 4 || opt_len % 4) {
                c->cnt.obs.malformed++;
                return;
            }
            n = (uint16_t)((scope_len + opt_len) / 4);
            n_scope = (uint16_t)(scope_len / 4);
        } else {
            n = load_be16(p + 2);
            if (ipfix && n == 0) {
                if (tid >= 256 || tid == set_id)
                    tpl_withdraw(pk, tid, tid == set_id);
                else
                    c->cnt.obs.malformed++;
                p += 4;
                len -= 4;
                continue;
            }
            if (options) {
                if (len < 6)
                    break;
                n_scope = load_be16(p + 4);
                hdr = 6;
            }
        }
        if (tid < 256 || n == 0 || n > NF_MAX_FIELDS ||
            (options && (n_scope == 0 || n_scope > n))) {
            c->cnt.obs.malformed++;
            return;
        }
        size_t used = read_fields(pk, p + hdr, len - hdr, n, ipfix);
        if (used == 0) {
            c->cnt.obs.truncated++;
            return;
        }
        tpl_define(pk, tid, n, options, now_s);
        p += hdr + used;
        len -= hdr + used;
    }
    if (!all_zero(p, len)) /* a partial template, not padding */
        c->cnt.obs.truncated++;
}

/* Sequence check: seq is this packet's number, n how far it advances. A
 * number behind the expected one (reordered or duplicate) is not a gap. */
static void seq_update(struct nf_pkt *pk, uint32_t seq, uint64_t n, bool known)
{
    struct nf_stream *s = pk->st;
    if (s->seq_valid && seq != s->next_seq) {
        uint32_t d = seq - s->next_seq;
        if (d >= 0x80000000u)
            return; /* late packet: keep expecting the newer number */
        pk->c->cnt.obs.seq_gaps++;
        pk->c->cnt.obs.seq_lost += d;
    }
    s->seq_valid = known;
    s->next_seq = seq + (uint32_t)n;
}

static void decode_v5(struct nf_pkt *pk, const struct ip_addr *exp, const uint8_t *p, size_t len)
{
    struct nf_cache *c = pk->c;
    if (len < NF_V5_HDR) {
        c->cnt.obs.truncated++;
        return;
    }
    uint16_t count = load_be16(p + 2);
    uint32_t up = load_be32(p + 4);
    pk->export_ms = (int64_t)load_be32(p + 8) * 1000 + load_be32(p + 12) / 1000000;
    uint32_t seq = load_be32(p + 16);
    pk->domain = (uint32_t)p[20] << 8 | p[21];
    pk->source = SRC_NETFLOW5;
    pk->st = stream_get(c, exp, 5, pk->domain);
    size_t fit = (len - NF_V5_HDR) / NF_V5_REC;
    if (count == 0 || count > fit) {
        if (count == 0)
            c->cnt.obs.malformed++;
        else
            c->cnt.obs.truncated++;
        count = (uint16_t)MIN(count, fit);
    }
    seq_update(pk, seq, load_be16(p + 2), true);
    p += NF_V5_HDR;
    for (uint16_t r = 0; r < count; r++, p += NF_V5_REC) {
        struct obs o;
        struct nf_times tm;
        obs_start(pk, &o, &tm);
        o.src = ip4_from_bytes(p);
        o.dst = ip4_from_bytes(p + 4);
        o.packets = load_be32(p + 16);
        o.bytes = load_be32(p + 20);
        o.ts_ms = pk->export_ms - (int32_t)(up - load_be32(p + 24));
        o.end_ms = pk->export_ms - (int32_t)(up - load_be32(p + 28));
        o.sport = load_be16(p + 32);
        o.dport = load_be16(p + 34);
        o.proto = p[38];
        c->cnt.obs.records++;
        o.line = c->cnt.obs.records;
        pk->n_flows++;
        pk->fn(&o, pk->arg);
    }
}

/* The sets of a v9 or IPFIX packet after its header. */
static void sets(struct nf_pkt *pk, const uint8_t *p, size_t len, bool ipfix, int64_t now_s)
{
    struct nf_cache *c = pk->c;
    uint16_t tpl_id = ipfix ? 2 : 0, opt_id = ipfix ? 3 : 1;
    while (len >= 4) {
        uint16_t id = load_be16(p), slen = load_be16(p + 2);
        if (slen < 4) { /* zero-length set: cannot advance */
            c->cnt.obs.malformed++;
            pk->seq_unknown = true;
            return;
        }
        if (slen > len) {
            c->cnt.obs.truncated++;
            pk->seq_unknown = true;
            return;
        }
        if (id == tpl_id || id == opt_id)
            template_set(pk, p + 4, slen - 4u, id == opt_id, ipfix, now_s);
        else if (id >= 256)
            data_set_lookup(pk, id, p + 4, slen - 4u);
        else
            c->cnt.obs.skipped++;
        p += slen;
        len -= slen;
    }
}

size_t nf_decode(struct nf_cache *c, const struct ip_addr *exporter, const uint8_t *p, size_t len,
                 int64_t now_s, nf_obs_fn fn, void *arg)
{
    c->cnt.packets++;
    nf_cache_expire(c, now_s);
    if (len < 2) {
        c->cnt.obs.truncated++;
        return 0;
    }
    struct nf_pkt pk = {.c = c, .fn = fn, .arg = arg, .exporter_id = nf_exporter_id(exporter)};
    uint16_t version = load_be16(p);
    if (version == 5) {
        decode_v5(&pk, exporter, p, len);
        return pk.n_flows;
    }
    if (version == 9) {
        if (len < NF_V9_HDR) {
            c->cnt.obs.truncated++;
            return 0;
        }
        pk.source = SRC_NETFLOW9;
        pk.sysuptime = load_be32(p + 4);
        pk.has_uptime = true;
        pk.export_ms = (int64_t)load_be32(p + 8) * 1000;
        pk.domain = load_be32(p + 16);
        pk.st = stream_get(c, exporter, 9, pk.domain);
        seq_update(&pk, load_be32(p + 12), 1, true);
        sets(&pk, p + NF_V9_HDR, len - NF_V9_HDR, false, now_s);
        return pk.n_flows;
    }
    if (version == 10) {
        if (len < NF_IPFIX_HDR) {
            c->cnt.obs.truncated++;
            return 0;
        }
        size_t mlen = load_be16(p + 2);
        if (mlen < NF_IPFIX_HDR) {
            c->cnt.obs.malformed++;
            return 0;
        }
        if (mlen > len) {
            c->cnt.obs.truncated++;
            return 0;
        }
        pk.source = SRC_IPFIX;
        pk.export_ms = (int64_t)load_be32(p + 4) * 1000;
        pk.domain = load_be32(p + 12);
        pk.st = stream_get(c, exporter, 10, pk.domain);
        uint32_t seq = load_be32(p + 8);
        /* The number counts data records, known only after decoding. */
        sets(&pk, p + NF_IPFIX_HDR, mlen - NF_IPFIX_HDR, true, now_s);
        seq_update(&pk, seq, pk.n_data, !pk.seq_unknown);
        return pk.n_flows;
    }
    c->cnt.bad_version++;
    c->cnt.obs.malformed++;
    return 0;
}
