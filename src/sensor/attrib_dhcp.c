/*
 * DHCP leases for subscriber attribution (attrib.h): ISC dhcpd.leases
 * (DHCPv4 `lease` blocks and DHCPv6 `ia-na` / `ia-ta` / `ia-pd` blocks) and
 * Kea's lease memfile CSV (lease4 and lease6).
 *
 * Every entry of a file is read in order (a later entry for an address is
 * newer). An active entry gives its client [start, end); an entry that ended
 * (free, expired, released, abandoned, reset, backup; Kea declined,
 * expired-reclaimed or a lifetime of 0) gives its client the interval it
 * describes, if it names a client, and then ends whoever held the address
 * by the entries read before it at its end time (attrib_add_end()).
 *
 * The subscriber of a lease: user = client hostname, else hardware address,
 * else client id (DUID for DHCPv6); calling id = hardware address; session
 * id = client id (uid, DUID).
 */
#include <string.h>

#include "base/i18n.h"
#include "base/str.h"
#include "sensor/attrib_impl.h"

#define STMT_TOKENS 8
#define DEPTH_MAX   64

struct field {
    char s[ATTRIB_STR_MAX + 1];
    size_t len;
};

/* One lease entry being read, from either format. */
struct lease {
    unsigned line;
    const char *bad; /* first reason it is malformed (N_()), or NULL */
    unsigned bad_line;
    struct ip_prefix addr;
    bool has_start, has_end, active, ended;
    int64_t start, end; /* Unix seconds; end ATTRIB_TIME_MAX: never */
    int64_t max_life;   /* DHCPv6 valid lifetime, -1 unknown */
    struct field host, hw, id;
};

static void lease_bad(struct lease *ls, unsigned line, const char *reason)
{
    if (!ls->bad) {
        ls->bad = reason;
        ls->bad_line = line;
    }
}

static bool field_set(struct field *f, const char *p, size_t len)
{
    if (len > ATTRIB_STR_MAX)
        return false;
    memcpy(f->s, p, len);
    f->s[len] = '\0';
    f->len = len;
    return true;
}

static int64_t ms(int64_t secs)
{
    return secs == ATTRIB_TIME_MAX ? ATTRIB_TIME_MAX : secs * 1000;
}

/* Apply a complete entry: count it, then add its interval and end. */
static int lease_finish(struct attrib *a, struct attrib_lines *l, struct lease *ls,
                        struct verr *err)
{
    a->counters.records++;
    if (!ls->bad && ls->active && !ls->has_start)
        lease_bad(ls, ls->line, N_("active lease without a start time"));
    if (ls->bad) {
        attrib_malformed(a, l, ls->bad_line, ls->bad, err);
        return 0;
    }
    int64_t end = ls->has_end ? ls->end : ATTRIB_TIME_MAX;
    const struct field *user = ls->host.len ? &ls->host : ls->hw.len ? &ls->hw : &ls->id;
    int r = 0;
    bool client = user->len > 0;
    if (ls->has_start && (ls->active || (client && end != ATTRIB_TIME_MAX))) {
        struct attrib_sub sub = {
            .user = attrib_intern(a, user->s, user->len),
            .calling = attrib_intern(a, ls->hw.s, ls->hw.len),
            .session = attrib_intern(a, ls->id.s, ls->id.len),
            .source = attrib_intern(a, "dhcp", 4),
        };
        uint32_t id = UINT32_MAX;
        if (sub.user != UINT32_MAX && sub.calling != UINT32_MAX && sub.session != UINT32_MAX &&
            sub.source != UINT32_MAX)
            id = attrib_sub_id(a, &sub);
        r = id == UINT32_MAX ? -E2BIG : attrib_item(a, &ls->addr, ms(ls->start), ms(end), id);
    }
    if (r == 0 && ls->ended && (end != ATTRIB_TIME_MAX || ls->has_start)) {
        int64_t at = end != ATTRIB_TIME_MAX ? end : ls->start;
        r = attrib_item(a, &ls->addr, ms(at), ms(at), ATTRIB_SUB_END);
    }
    if (r < 0)
        return verr_set(err, r, N_("%s, line %u: more intervals than the limit"), l->name,
                        ls->line);
    return 0;
}

/* ---- ISC dhcpd.leases --------------------------------------------------- */

enum tk { TK_END, TK_WORD, TK_STRING, TK_LBRACE, TK_RBRACE, TK_SEMI, TK_BAD };

struct lexer {
    struct attrib_lines *l;
    const char *p;
    size_t len, pos;
    bool have;
    int err;
};

/* The next token (text in *ret_p, valid until the next call). */
static enum tk lex(struct lexer *x, const char **ret_p, size_t *ret_len)
{
    for (;;) {
        if (!x->have) {
            int r = attrib_lines_next(x->l, &x->p, &x->len);
            if (r <= 0) {
                x->err = r;
                return TK_END;
            }
            x->pos = 0;
            x->have = true;
            if (x->l->too_long) {
                x->have = false;
                return TK_BAD;
            }
        }
        while (x->pos < x->len && (x->p[x->pos] == ' ' || x->p[x->pos] == '\t'))
            x->pos++;
        if (x->pos == x->len || x->p[x->pos] == '#') {
            x->have = false;
            continue;
        }
        const char *s = x->p + x->pos;
        char c = *s;
        if (c == '{' || c == '}' || c == ';') {
            x->pos++;
            return c == '{' ? TK_LBRACE : c == '}' ? TK_RBRACE : TK_SEMI;
        }
        if (c == '"') {
            size_t i = x->pos + 1;
            while (i < x->len && x->p[i] != '"')
                i += x->p[i] == '\\' ? 2 : 1;
            if (i >= x->len) {
                x->have = false;
                return TK_BAD;
            }
            *ret_p = s + 1;
            *ret_len = i - x->pos - 1;
            x->pos = i + 1;
            return TK_STRING;
        }
        size_t i = x->pos;
        while (i < x->len && (x->p[i] == '\0' || !strchr(" \t{};\"#", x->p[i])))
            i++;
        *ret_p = s;
        *ret_len = i - x->pos;
        x->pos = i;
        return TK_WORD;
    }
}

/* A statement: its first tokens, copied. */
struct stmt {
    struct field t[STMT_TOKENS];
    unsigned n;
    bool overflow;
    unsigned line;
};

static bool tok_is(const struct stmt *st, unsigned i, const char *s)
{
    return i < st->n && str_ieq(st->t[i].s, st->t[i].len, s);
}

/* "W YYYY/MM/DD HH:MM:SS" (UTC), "epoch N" or "never" from token i on. */
static bool stmt_time(const struct stmt *st, unsigned i, int64_t *ret)
{
    uint64_t u;
    if (st->n == i + 1 && tok_is(st, i, "never")) {
        *ret = ATTRIB_TIME_MAX;
        return true;
    }
    if (st->n == i + 2 && tok_is(st, i, "epoch")) {
        if (str_to_u64(st->t[i + 1].s, st->t[i + 1].len, 253402300799ULL, &u) < 0)
            return false;
        *ret = (int64_t)u;
        return true;
    }
    if (st->n != i + 3)
        return false;
    const struct field *d = &st->t[i + 1];
    uint64_t y, m, day;
    if (d->len != 10 || d->s[4] != '/' || d->s[7] != '/' || str_to_u64(d->s, 4, 9999, &y) < 0 ||
        str_to_u64(d->s + 5, 2, 12, &m) < 0 || str_to_u64(d->s + 8, 2, 31, &day) < 0)
        return false;
    int64_t t = attrib_civil((int64_t)y, (unsigned)m, (unsigned)day, 0, 0, 0);
    int64_t secs = attrib_hms(st->t[i + 2].s, st->t[i + 2].len);
    if (t < 0 || secs < 0)
        return false;
    *ret = t + secs;
    return true;
}

static void lease_state(struct lease *ls, const struct stmt *st)
{
    static const char *const active[] = {"active", "bootp"};
    static const char *const ended[] = {"free",      "expired", "released",
                                        "abandoned", "reset",   "backup"};
    for (size_t i = 0; i < ARRAY_SIZE(active); i++)
        if (tok_is(st, 2, active[i]))
            ls->active = true;
    for (size_t i = 0; i < ARRAY_SIZE(ended); i++)
        if (tok_is(st, 2, ended[i]))
            ls->ended = true;
    if (st->n != 3 || (!ls->active && !ls->ended))
        lease_bad(ls, st->line, N_("unknown binding state"));
}

/* A statement inside a lease (or an iaaddr / iaprefix) block. */
static void lease_stmt(struct lease *ls, const struct stmt *st)
{
    bool ok = true;
    if (tok_is(st, 0, "starts") || tok_is(st, 0, "ends")) {
        bool starts = tok_is(st, 0, "starts");
        ok = !st->overflow && stmt_time(st, 1, starts ? &ls->start : &ls->end);
        if (starts)
            ls->has_start = ok && ls->start != ATTRIB_TIME_MAX;
        else
            ls->has_end = ok;
    } else if (tok_is(st, 0, "binding") && tok_is(st, 1, "state")) {
        lease_state(ls, st);
    } else if (tok_is(st, 0, "hardware")) {
        ok = st->n == 3 && !st->overflow && field_set(&ls->hw, st->t[2].s, st->t[2].len);
    } else if (tok_is(st, 0, "client-hostname")) {
        ok = st->n == 2 && !st->overflow && field_set(&ls->host, st->t[1].s, st->t[1].len);
    } else if (tok_is(st, 0, "uid")) {
        ok = st->n == 2 && !st->overflow && field_set(&ls->id, st->t[1].s, st->t[1].len);
    } else if (tok_is(st, 0, "max-life")) {
        uint64_t u;
        ok = st->n == 2 && str_to_u64(st->t[1].s, st->t[1].len, UINT32_MAX, &u) == 0;
        ls->max_life = ok ? (int64_t)u : -1;
    }
    if (!ok)
        lease_bad(ls, st->line, N_("bad lease statement"));
}

static bool octal(char c)
{
    return c >= '0' && c <= '7';
}

/* The DUID of an ISC ia-* identifier (4 bytes IAID, then the DUID), as hex. */
static void ia_duid(const struct field *id, struct field *ret)
{
    uint8_t raw[ATTRIB_STR_MAX];
    size_t n = 0;
    for (size_t i = 0; i < id->len && n < sizeof(raw); i++) {
        unsigned c = (unsigned char)id->s[i];
        if (c == '\\' && i + 3 < id->len && octal(id->s[i + 1]) && octal(id->s[i + 2]) &&
            octal(id->s[i + 3])) {
            c = (unsigned)((id->s[i + 1] - '0') << 6 | (id->s[i + 2] - '0') << 3 |
                           (id->s[i + 3] - '0')) &
                255;
            i += 3;
        } else if (c == '\\' && i + 1 < id->len) {
            c = (unsigned char)id->s[++i];
        }
        raw[n++] = (uint8_t)c;
    }
    ret->len = 0;
    ret->s[0] = '\0';
    if (n <= 4 || 2 * (n - 4) > ATTRIB_STR_MAX)
        return;
    hex_encode(raw + 4, n - 4, ret->s);
    ret->len = 2 * (n - 4);
}

struct isc {
    struct lease ls;
    bool in_lease;
    unsigned lease_depth; /* depth inside the lease block */
    bool in_ia;
    unsigned ia_depth;
    bool ia_pd;
    struct field ia_id;
    bool has_cltt;
    int64_t cltt;
    unsigned depth;
};

/* A block opens with statement st. */
static void isc_open(struct isc *s, const struct stmt *st)
{
    s->depth++;
    bool v4 = s->depth == 1 && tok_is(st, 0, "lease") && st->n == 2;
    bool v6 = s->in_ia && s->depth == s->ia_depth + 1 && st->n == 2 &&
              (tok_is(st, 0, "iaaddr") || tok_is(st, 0, "iaprefix"));
    if (s->depth == 1 && st->n == 2 &&
        (tok_is(st, 0, "ia-na") || tok_is(st, 0, "ia-ta") || tok_is(st, 0, "ia-pd"))) {
        s->in_ia = true;
        s->ia_depth = s->depth;
        s->has_cltt = false;
        if (!field_set(&s->ia_id, st->t[1].s, st->t[1].len))
            s->ia_id.len = 0;
        return;
    }
    if (!v4 && !v6)
        return;
    memset(&s->ls, 0, sizeof(s->ls));
    s->ls.line = st->line;
    s->ls.max_life = -1;
    s->in_lease = true;
    s->lease_depth = s->depth;
    if (prefix_parse(st->t[1].s, st->t[1].len, false, &s->ls.addr) != ADDR_OK ||
        (v4 && s->ls.addr.addr.family != ADDR_V4) || (v6 && s->ls.addr.addr.family != ADDR_V6))
        lease_bad(&s->ls, st->line, N_("bad lease address"));
    if (v6) {
        ia_duid(&s->ia_id, &s->ls.id);
        if (s->has_cltt) {
            s->ls.start = s->cltt;
            s->ls.has_start = true;
        }
    }
}

/* A block closes. */
static int isc_close(struct attrib *a, struct attrib_lines *l, struct isc *s, struct verr *err)
{
    int r = 0;
    if (s->in_lease && s->depth == s->lease_depth) {
        s->in_lease = false;
        struct lease *ls = &s->ls;
        if (!ls->active && !ls->ended)
            ls->active = true; /* old files write no binding state */
        if (!ls->has_start && ls->has_end && ls->end != ATTRIB_TIME_MAX && ls->max_life >= 0) {
            ls->start = ls->end - ls->max_life;
            ls->has_start = true;
        }
        r = lease_finish(a, l, ls, err);
    }
    if (s->in_ia && s->depth == s->ia_depth)
        s->in_ia = false;
    s->depth--;
    return r;
}

static void isc_stmt(struct isc *s, const struct stmt *st)
{
    if (s->in_lease && s->depth == s->lease_depth)
        lease_stmt(&s->ls, st);
    else if (s->in_ia && s->depth == s->ia_depth && tok_is(st, 0, "cltt"))
        s->has_cltt = !st->overflow && stmt_time(st, 1, &s->cltt) && s->cltt != ATTRIB_TIME_MAX;
}

int attrib_read_dhcpd(struct attrib *a, struct attrib_lines *l, struct verr *err)
{
    struct isc *s = xcalloc(1, sizeof(*s));
    struct stmt *st = xcalloc(1, sizeof(*st));
    struct lexer x = {.l = l};
    int r = 0;
    for (;;) {
        const char *p = NULL;
        size_t len = 0;
        enum tk t = lex(&x, &p, &len);
        if (t == TK_END)
            break;
        if (st->n == 0 && !st->overflow)
            st->line = l->line;
        switch (t) {
        case TK_WORD:
        case TK_STRING:
            if (st->n < STMT_TOKENS && field_set(&st->t[st->n], p, len))
                st->n++;
            else
                st->overflow = true;
            continue;
        case TK_BAD:
            if (s->in_lease)
                lease_bad(&s->ls, l->line, N_("line too long or string not closed"));
            continue;
        case TK_SEMI:
            isc_stmt(s, st);
            break;
        case TK_LBRACE:
            if (s->depth >= DEPTH_MAX) {
                r = verr_set(err, -EINVAL, N_("%s, line %u: blocks nested too deep"), l->name,
                             l->line);
                goto out;
            }
            isc_open(s, st);
            break;
        case TK_RBRACE:
            if (s->in_lease && st->n)
                lease_bad(&s->ls, st->line, N_("statement without ';'"));
            if (s->depth == 0) {
                a->counters.records++;
                attrib_malformed(a, l, l->line, N_("'}' without a block"), err);
            } else if ((r = isc_close(a, l, s, err)) < 0) {
                goto out;
            }
            break;
        case TK_END:
            break;
        }
        st->n = 0;
        st->overflow = false;
    }
    r = x.err;
    if (r == 0 && s->in_lease) {
        a->counters.records++;
        attrib_malformed(a, l, s->ls.line, N_("lease not closed by '}'"), err);
    }
out:
    free(st);
    free(s);
    return r;
}

/* ---- Kea lease memfile CSV ---------------------------------------------- */

enum kea_col {
    K_ADDRESS,
    K_HWADDR,
    K_CLIENT_ID,
    K_DUID,
    K_VALID,
    K_EXPIRE,
    K_HOSTNAME,
    K_STATE,
    K_TYPE,
    K_PREFIX_LEN,
    N_KEA
};

static const char *const kea_names[N_KEA] = {
    "address", "hwaddr",   "client_id", "duid",       "valid_lifetime",
    "expire",  "hostname", "state",     "lease_type", "prefix_len",
};

#define KEA_FIELDS_MAX 64

struct kea {
    int col[N_KEA]; /* field index, -1 absent */
    bool v6;
    char header[ATTRIB_LINE_MAX];
    size_t header_len;
};

struct view {
    const char *p;
    size_t len;
};

/* Split a line on commas (Kea writes a comma inside a value as "&#x2c").
 * Returns the number of fields, or max + 1 when there are more. */
static size_t csv_split(const char *p, size_t len, struct view *f, size_t max)
{
    size_t n = 0, s = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && p[i] != ',')
            continue;
        if (n == max)
            return max + 1;
        f[n++] = (struct view){p + s, i - s};
        s = i + 1;
    }
    return n;
}

/* Copy a field, turning "&#x2c" back into ','. */
static bool kea_field(const struct view *v, struct field *ret)
{
    size_t o = 0;
    for (size_t i = 0; i < v->len; i++) {
        char c = v->p[i];
        if (c == '&' && v->len - i >= 5 && memcmp(v->p + i, "&#x2c", 5) == 0) {
            c = ',';
            i += 4;
        }
        if (o == ATTRIB_STR_MAX)
            return false;
        ret->s[o++] = c;
    }
    ret->s[o] = '\0';
    ret->len = o;
    return true;
}

static int kea_header(struct kea *k, const char *p, size_t len)
{
    struct view f[KEA_FIELDS_MAX];
    size_t n = csv_split(p, len, f, KEA_FIELDS_MAX);
    if (n > KEA_FIELDS_MAX)
        return -EINVAL;
    for (size_t c = 0; c < N_KEA; c++) {
        k->col[c] = -1;
        for (size_t i = 0; i < n; i++) {
            const char *name = f[i].p;
            size_t name_len = f[i].len;
            str_trim(&name, &name_len);
            if (k->col[c] < 0 && str_ieq(name, name_len, kea_names[c]))
                k->col[c] = (int)i;
        }
    }
    if (k->col[K_ADDRESS] < 0 || k->col[K_VALID] < 0 || k->col[K_EXPIRE] < 0)
        return -EINVAL;
    k->v6 = k->col[K_DUID] >= 0 || k->col[K_TYPE] >= 0;
    memcpy(k->header, p, len);
    k->header_len = len;
    return 0;
}

/* A field as a number in [0, max]; def when the column is absent or empty. */
static bool kea_num(const struct kea *k, const struct view *f, size_t n, enum kea_col c,
                    uint64_t max, uint64_t def, uint64_t *ret)
{
    int i = k->col[c];
    if (i < 0 || (size_t)i >= n || f[i].len == 0) {
        *ret = def;
        return c != K_VALID && c != K_EXPIRE;
    }
    return str_to_u64(f[i].p, f[i].len, max, ret) == 0;
}

static bool kea_str(const struct kea *k, const struct view *f, size_t n, enum kea_col c,
                    struct field *ret)
{
    int i = k->col[c];
    ret->len = 0;
    ret->s[0] = '\0';
    return i < 0 || (size_t)i >= n || kea_field(&f[i], ret);
}

/* One data row into ls; false if malformed. */
static bool kea_row(const struct kea *k, const char *p, size_t len, struct lease *ls)
{
    struct view f[KEA_FIELDS_MAX];
    size_t n = csv_split(p, len, f, KEA_FIELDS_MAX);
    if (n > KEA_FIELDS_MAX || (size_t)k->col[K_ADDRESS] >= n)
        return false;
    uint64_t valid, expire, state, type, plen;
    if (!kea_num(k, f, n, K_VALID, UINT32_MAX, 0, &valid) ||
        !kea_num(k, f, n, K_EXPIRE, 253402300799ULL, 0, &expire) ||
        !kea_num(k, f, n, K_STATE, 2, 0, &state) || !kea_num(k, f, n, K_TYPE, 2, 0, &type) ||
        !kea_num(k, f, n, K_PREFIX_LEN, 128, 128, &plen))
        return false;
    const struct view *addr = &f[k->col[K_ADDRESS]];
    if (prefix_parse(addr->p, addr->len, false, &ls->addr) != ADDR_OK || ls->addr.len == 0 ||
        ls->addr.addr.family != (k->v6 ? ADDR_V6 : ADDR_V4))
        return false;
    if (k->v6 && type == 2)
        ls->addr.len = (uint8_t)plen;
    if (!kea_str(k, f, n, K_HOSTNAME, &ls->host) || !kea_str(k, f, n, K_HWADDR, &ls->hw) ||
        !kea_str(k, f, n, k->v6 ? K_DUID : K_CLIENT_ID, &ls->id))
        return false;
    int64_t cltt = (int64_t)expire - (int64_t)valid;
    ls->has_start = ls->has_end = true;
    ls->start = cltt;
    ls->end = valid == UINT32_MAX ? ATTRIB_TIME_MAX : (int64_t)expire;
    if (state == 0 && valid > 0) {
        ls->active = true;
    } else {
        ls->ended = true;
        if (valid == 0 || state == 1)
            ls->start = ls->end = state == 1 ? cltt : (int64_t)expire;
    }
    return true;
}

int attrib_read_kea(struct attrib *a, struct attrib_lines *l, struct verr *err)
{
    struct kea *k = xcalloc(1, sizeof(*k));
    struct lease *ls = xcalloc(1, sizeof(*ls));
    bool have_header = false;
    const char *p;
    size_t len;
    int r;
    while ((r = attrib_lines_next(l, &p, &len)) > 0) {
        if (len == 0)
            continue;
        if (!have_header) {
            if (l->too_long || kea_header(k, p, len) < 0) {
                r = verr_set(err, -EINVAL,
                             N_("%s, line %u: not a Kea lease file header (it needs the columns "
                                "address, valid_lifetime and expire)"),
                             l->name, l->line);
                break;
            }
            have_header = true;
            continue;
        }
        if (len == k->header_len && memcmp(p, k->header, len) == 0)
            continue;
        memset(ls, 0, sizeof(*ls));
        ls->line = l->line;
        if (l->too_long)
            lease_bad(ls, l->line, N_("line too long"));
        else if (!kea_row(k, p, len, ls))
            lease_bad(ls, l->line, N_("bad Kea lease row"));
        if ((r = lease_finish(a, l, ls, err)) < 0)
            break;
    }
    free(ls);
    free(k);
    return r;
}
