/*
 * FreeRADIUS `detail` files for subscriber attribution (attrib.h).
 *
 * A record is a date line ("Fri Nov 20 10:00:00 2026", local time) and
 * indented `Attribute = value` lines, values bare or "quoted" (with \\, \",
 * \n, \r, \t and \ooo escapes), ended by a blank line or the next date line.
 *
 * The time of a record is its Event-Timestamp (Unix seconds, or text such as
 * "Nov 20 2026 10:00:00 +07"; text without a zone is local time), else its
 * Timestamp (when FreeRADIUS received it) minus Acct-Delay-Time, else its
 * date line minus Acct-Delay-Time.
 *
 * Sessions are named by Acct-Unique-Session-Id, else by the NAS
 * (NAS-IP-Address, else NAS-Identifier) and Acct-Session-Id, else by the NAS,
 * Framed-IP-Address and User-Name. They stay open across files until
 * attrib_build() (load files oldest first).
 */
#include <string.h>

#include "base/hashmap.h"
#include "base/i18n.h"
#include "base/str.h"
#include "sensor/attrib_impl.h"

enum field {
    F_STATUS,
    F_FRAMED_IP,
    F_FRAMED_IP6,
    F_FRAMED_PREFIX6,
    F_DELEGATED_PREFIX6,
    F_USER,
    F_CALLING,
    F_SESSION,
    F_UNIQUE,
    F_EVENT_TS,
    F_SESSION_TIME,
    F_DELAY,
    F_NAS_IP,
    F_NAS_ID,
    F_TIMESTAMP,
    F_INTERIM,
    N_FIELDS
};

static const char *const field_names[N_FIELDS] = {
    "Acct-Status-Type",       "Framed-IP-Address", "Framed-IPv6-Address", "Framed-IPv6-Prefix",
    "Delegated-IPv6-Prefix",  "User-Name",         "Calling-Station-Id",  "Acct-Session-Id",
    "Acct-Unique-Session-Id", "Event-Timestamp",   "Acct-Session-Time",   "Acct-Delay-Time",
    "NAS-IP-Address",         "NAS-Identifier",    "Timestamp",           "Acct-Interim-Interval",
};

/* The address attributes, in the order a session keeps them. */
static const enum field addr_fields[] = {F_FRAMED_IP, F_FRAMED_IP6, F_FRAMED_PREFIX6,
                                         F_DELEGATED_PREFIX6};
#define SESS_ADDRS ARRAY_SIZE(addr_fields)

struct value {
    char s[ATTRIB_STR_MAX + 1];
    size_t len;
    bool set;
};

struct record {
    bool open;
    unsigned line; /* of its first line */
    bool has_date;
    int64_t date; /* the date line, Unix seconds */
    unsigned n_attrs;
    const char *bad; /* the first reason it is malformed (N_()), or NULL */
    unsigned bad_line;
    struct value v[N_FIELDS];
};

enum status { ST_OTHER, ST_START, ST_STOP, ST_INTERIM, ST_ON_OFF };

struct session {
    struct ip_prefix addr[SESS_ADDRS];
    unsigned n_addr;
    uint32_t sub, nas;
    int64_t start, last; /* ms */
    int64_t gap;         /* last interval seen between updates, ms; 0 none */
    int64_t interim;     /* Acct-Interim-Interval, ms; 0 none */
};

struct radius_state {
    struct strmap sessions; /* key -> struct session * */
};

static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* ---- text helpers ------------------------------------------------------- */

struct tok {
    const char *p;
    size_t len;
};

/* Split on blanks into at most max tokens; returns the count, or max + 1
 * when there are more. */
static size_t split(const char *p, size_t len, struct tok *t, size_t max)
{
    size_t n = 0, i = 0;
    while (i < len) {
        while (i < len && (p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i == len)
            break;
        size_t s = i;
        while (i < len && p[i] != ' ' && p[i] != '\t')
            i++;
        if (n == max)
            return max + 1;
        t[n++] = (struct tok){p + s, i - s};
    }
    return n;
}

static unsigned month_of(const struct tok *t)
{
    for (unsigned m = 0; m < 12; m++)
        if (str_ieq(t->p, t->len, months[m]))
            return m + 1;
    return 0;
}

/* Unix seconds from month, day, "HH:MM:SS" and year tokens, local time at
 * offset seconds east; -1 if malformed. */
static int64_t civil_tokens(const struct tok *mon, const struct tok *day, const struct tok *hms,
                            const struct tok *year, int64_t offset)
{
    uint64_t d, y;
    unsigned m = month_of(mon);
    int64_t secs = attrib_hms(hms->p, hms->len);
    if (!m || secs < 0 || str_to_u64(day->p, day->len, 31, &d) < 0 ||
        str_to_u64(year->p, year->len, 9999, &y) < 0)
        return -1;
    int64_t t = attrib_civil((int64_t)y, m, (unsigned)d, 0, 0, 0);
    return t < 0 ? -1 : t + secs - offset;
}

/* A zone: "UTC", "GMT", "Z", "+07", "+0700", "-05:30"; anything else is
 * local time. Returns seconds east. */
static int64_t zone_offset(const struct tok *z, int64_t local)
{
    if (str_ieq(z->p, z->len, "UTC") || str_ieq(z->p, z->len, "GMT") || str_ieq(z->p, z->len, "Z"))
        return 0;
    if (z->len < 3 || (z->p[0] != '+' && z->p[0] != '-'))
        return local;
    uint64_t h, m = 0;
    const char *p = z->p + 1;
    size_t len = z->len - 1;
    if (str_to_u64(p, 2, 14, &h) < 0)
        return local;
    if (len == 5 && p[2] == ':')
        p++, len--;
    if (len == 4 && str_to_u64(p + 2, 2, 59, &m) < 0)
        return local;
    if (len != 2 && len != 4)
        return local;
    int64_t off = (int64_t)(h * 3600 + m * 60);
    return z->p[0] == '-' ? -off : off;
}

/* "Fri Nov 20 10:00:00 2026" (local time). */
static int64_t parse_date_line(const char *p, size_t len, int64_t offset)
{
    struct tok t[6];
    if (split(p, len, t, 5) != 5 || t[0].len != 3)
        return -1;
    return civil_tokens(&t[1], &t[2], &t[3], &t[4], offset);
}

/* Event-Timestamp: Unix seconds or "Nov 20 2026 10:00:00 [zone]". */
static int64_t parse_event_ts(const char *p, size_t len, int64_t offset)
{
    uint64_t u;
    if (str_to_u64(p, len, 253402300799ULL, &u) == 0)
        return (int64_t)u;
    struct tok t[6];
    size_t n = split(p, len, t, 5);
    if (n != 4 && n != 5)
        return -1;
    int64_t off = n == 5 ? zone_offset(&t[4], offset) : offset;
    return civil_tokens(&t[0], &t[1], &t[3], &t[2], off);
}

/* Decode a bare or quoted value into v; false if malformed or too long. */
static bool value_decode(const char *p, size_t len, struct value *v)
{
    size_t o = 0;
    if (len == 0 || p[0] != '"') {
        if (len > ATTRIB_STR_MAX)
            return false;
        memcpy(v->s, p, len);
        o = len;
    } else {
        size_t i = 1;
        for (;; i++) {
            if (i >= len)
                return false;
            char c = p[i];
            if (c == '"')
                break;
            if (c == '\\') {
                if (++i >= len)
                    return false;
                c = p[i];
                if (c == 'n')
                    c = '\n';
                else if (c == 'r')
                    c = '\r';
                else if (c == 't')
                    c = '\t';
                else if (c >= '0' && c <= '7' && i + 2 < len && p[i + 1] >= '0' &&
                         p[i + 1] <= '7' && p[i + 2] >= '0' && p[i + 2] <= '7') {
                    c = (char)(((p[i] - '0') << 6) | ((p[i + 1] - '0') << 3) | (p[i + 2] - '0'));
                    i += 2;
                }
            }
            if (o == ATTRIB_STR_MAX)
                return false;
            v->s[o++] = c;
        }
    }
    v->s[o] = '\0';
    v->len = o;
    v->set = true;
    return true;
}

/* ---- records ------------------------------------------------------------ */

static void rec_bad(struct record *rec, unsigned line, const char *reason)
{
    if (!rec->bad) {
        rec->bad = reason;
        rec->bad_line = line;
    }
}

static void rec_begin(struct record *rec, unsigned line)
{
    rec->open = true;
    rec->line = line;
    rec->has_date = false;
    rec->n_attrs = 0;
    rec->bad = NULL;
    for (size_t i = 0; i < N_FIELDS; i++)
        rec->v[i].set = false;
}

/* An indented "Name = value" line. */
static void rec_attr(struct record *rec, const char *p, size_t len, unsigned line)
{
    if (++rec->n_attrs > ATTRIB_ATTRS_MAX) {
        rec_bad(rec, line, N_("too many attributes in a record"));
        return;
    }
    const char *eq = memchr(p, '=', len);
    if (!eq) {
        rec_bad(rec, line, N_("not an 'Attribute = value' line"));
        return;
    }
    const char *name = p;
    size_t name_len = (size_t)(eq - p);
    str_trim(&name, &name_len);
    const char *val = eq + 1;
    size_t val_len = len - (size_t)(val - p);
    str_trim(&val, &val_len);
    for (size_t f = 0; f < N_FIELDS; f++) {
        if (!str_ieq(name, name_len, field_names[f]))
            continue;
        if (!rec->v[f].set && !value_decode(val, val_len, &rec->v[f]))
            rec_bad(rec, line, N_("attribute value badly quoted or too long"));
        return;
    }
}

static bool num_field(const struct record *rec, enum field f, uint64_t *ret)
{
    *ret = 0;
    return !rec->v[f].set || str_to_u64(rec->v[f].s, rec->v[f].len, UINT32_MAX, ret) == 0;
}

static enum status status_of(const struct value *v)
{
    static const struct {
        const char *name;
        enum status st;
    } names[] = {
        {"Start", ST_START},
        {"1", ST_START},
        {"Stop", ST_STOP},
        {"2", ST_STOP},
        {"Interim-Update", ST_INTERIM},
        {"Alive", ST_INTERIM},
        {"3", ST_INTERIM},
        {"Accounting-On", ST_ON_OFF},
        {"7", ST_ON_OFF},
        {"Accounting-Off", ST_ON_OFF},
        {"8", ST_ON_OFF},
    };
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (str_ieq(v->s, v->len, names[i].name))
            return names[i].st;
    return ST_OTHER;
}

/* The record's time in Unix seconds, or -1 (*ret_bad set when the reason
 * is not the default one). */
static int64_t rec_time(const struct record *rec, int64_t offset, const char **ret_bad)
{
    uint64_t delay;
    if (!num_field(rec, F_DELAY, &delay)) {
        *ret_bad = N_("bad Acct-Delay-Time");
        return -1;
    }
    if (rec->v[F_EVENT_TS].set) {
        int64_t t = parse_event_ts(rec->v[F_EVENT_TS].s, rec->v[F_EVENT_TS].len, offset);
        if (t < 0)
            *ret_bad = N_("bad Event-Timestamp");
        return t;
    }
    uint64_t ts;
    if (rec->v[F_TIMESTAMP].set &&
        str_to_u64(rec->v[F_TIMESTAMP].s, rec->v[F_TIMESTAMP].len, 253402300799ULL, &ts) == 0)
        return (int64_t)ts - (int64_t)delay;
    return rec->has_date ? rec->date - (int64_t)delay : -1;
}

/* ---- sessions ----------------------------------------------------------- */

static struct radius_state *state_of(struct attrib *a)
{
    if (!a->radius) {
        a->radius = xcalloc(1, sizeof(*a->radius));
        strmap_init(&a->radius->sessions);
    }
    return a->radius;
}

static int sess_emit(struct attrib *a, const struct session *s, int64_t end)
{
    for (unsigned i = 0; i < s->n_addr; i++) {
        int r = attrib_item(a, &s->addr[i], s->start, end, s->sub);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The addresses of a record; false if one is malformed. */
static bool rec_addrs(const struct record *rec, struct ip_prefix *addr, unsigned *ret_n)
{
    unsigned n = 0;
    for (size_t i = 0; i < SESS_ADDRS; i++) {
        const struct value *v = &rec->v[addr_fields[i]];
        if (!v->set)
            continue;
        struct ip_prefix p;
        if (prefix_parse(v->s, v->len, false, &p) != ADDR_OK)
            return false;
        if ((addr_fields[i] == F_FRAMED_IP) != (p.addr.family == ADDR_V4))
            return false;
        addr[n++] = p;
    }
    *ret_n = n;
    return true;
}

struct keycopy {
    char *p;
    size_t len;
};

/* Close the sessions of a NAS open before t (Accounting-On/Off). */
static int close_nas(struct attrib *a, uint32_t nas, int64_t t)
{
    struct strmap *m = &state_of(a)->sessions;
    VEC(struct keycopy) gone = VEC_INIT;
    const char *k;
    size_t kl;
    void *v;
    int r = 0;
    for (size_t it = 0; strmap_next(m, &it, &k, &kl, &v);) {
        struct session *s = v;
        if (s->nas != nas || s->start >= t)
            continue;
        if (r == 0)
            r = sess_emit(a, s, t);
        struct keycopy c = {xmalloc(kl + 1), kl};
        memcpy(c.p, k, kl);
        VEC_PUSH(&gone, c);
    }
    for (size_t i = 0; i < gone.n; i++) {
        free(strmap_del(m, gone.items[i].p, gone.items[i].len));
        free(gone.items[i].p);
    }
    VEC_FREE(&gone);
    return r;
}

/* The session key of a record (see the top of the file) into key. */
static size_t sess_key(const struct record *rec, const struct value *nas, char *key)
{
    size_t n = 0;
    const struct value *parts[3];
    size_t n_parts = 0;
    if (rec->v[F_UNIQUE].set) {
        key[n++] = 'u';
        parts[n_parts++] = &rec->v[F_UNIQUE];
    } else if (rec->v[F_SESSION].set) {
        key[n++] = 's';
        parts[n_parts++] = nas;
        parts[n_parts++] = &rec->v[F_SESSION];
    } else {
        key[n++] = 'a';
        parts[n_parts++] = nas;
        parts[n_parts++] = &rec->v[F_FRAMED_IP];
        parts[n_parts++] = &rec->v[F_USER];
    }
    for (size_t i = 0; i < n_parts; i++) {
        size_t len = parts[i]->set ? parts[i]->len : 0;
        memcpy(key + n, parts[i]->s, len);
        n += len;
        key[n++] = '\0';
    }
    return n;
}

static const struct value *first_set(const struct value *x, const struct value *y)
{
    return x->set ? x : y;
}

static uint32_t intern_value(struct attrib *a, const struct value *v)
{
    return v->set ? attrib_intern(a, v->s, v->len) : 0;
}

/* The subscriber of a record; UINT32_MAX past the limits. */
static uint32_t rec_sub(struct attrib *a, const struct record *rec)
{
    struct attrib_sub sub = {
        .user = intern_value(a, first_set(&rec->v[F_USER], &rec->v[F_CALLING])),
        .calling = intern_value(a, &rec->v[F_CALLING]),
        .session = intern_value(a, first_set(&rec->v[F_SESSION], &rec->v[F_UNIQUE])),
        .source = attrib_intern(a, "radius", 6),
    };
    if (sub.user == UINT32_MAX || sub.calling == UINT32_MAX || sub.session == UINT32_MAX ||
        sub.source == UINT32_MAX)
        return UINT32_MAX;
    return attrib_sub_id(a, &sub);
}

/* Apply a Start, Interim-Update or Stop at t (ms). */
static int rec_apply(struct attrib *a, const struct record *rec, enum status st, int64_t t,
                     uint32_t nas, const struct value *nas_v)
{
    struct ip_prefix addr[SESS_ADDRS];
    unsigned n_addr;
    if (!rec_addrs(rec, addr, &n_addr))
        return -EINVAL;
    uint64_t st_secs, interim;
    if (!num_field(rec, F_SESSION_TIME, &st_secs) || !num_field(rec, F_INTERIM, &interim))
        return -EINVAL;
    char key[3 * (ATTRIB_STR_MAX + 1) + 1];
    size_t key_len = sess_key(rec, nas_v, key);
    struct strmap *m = &state_of(a)->sessions;
    struct session *s = strmap_get(m, key, key_len);
    if (!s) {
        uint32_t sub = rec_sub(a, rec);
        if (sub == UINT32_MAX || m->n >= ATTRIB_SESSIONS_MAX)
            return -E2BIG;
        int64_t start = st == ST_START ? t : t - (int64_t)st_secs * 1000;
        if (st == ST_STOP) {
            /* A Stop for a session never seen: its Acct-Session-Time tells
             * when it started. */
            struct session once = {.n_addr = n_addr, .sub = sub, .start = start};
            memcpy(once.addr, addr, sizeof(addr));
            return st_secs ? sess_emit(a, &once, t) : 0;
        }
        s = xcalloc(1, sizeof(*s));
        s->sub = sub;
        s->nas = nas;
        s->start = s->last = start;
        strmap_put(m, key, key_len, s, NULL);
    } else if (t > s->last) {
        if (st != ST_STOP)
            s->gap = t - s->last;
        s->last = t;
    }
    if (s->n_addr == 0) {
        memcpy(s->addr, addr, sizeof(addr));
        s->n_addr = n_addr;
    }
    if (interim)
        s->interim = (int64_t)interim * 1000;
    if (st != ST_STOP)
        return 0;
    int r = sess_emit(a, s, t);
    free(strmap_del(m, key, key_len));
    return r;
}

/* A record is complete: count it and apply it. Returns 0 or -E2BIG. */
static int rec_finish(struct attrib *a, struct attrib_lines *l, struct record *rec,
                      struct verr *err)
{
    if (!rec->open)
        return 0;
    rec->open = false;
    a->counters.records++;
    if (rec->bad) {
        attrib_malformed(a, l, rec->bad_line, rec->bad, err);
        return 0;
    }
    if (!rec->v[F_STATUS].set) {
        attrib_malformed(a, l, rec->line, N_("the record has no Acct-Status-Type"), err);
        return 0;
    }
    enum status st = status_of(&rec->v[F_STATUS]);
    if (st == ST_OTHER)
        return 0;
    const char *bad = N_("the record has no usable time");
    int64_t t = rec_time(rec, a->utc_offset, &bad);
    if (t < 0) {
        attrib_malformed(a, l, rec->line, bad, err);
        return 0;
    }
    t *= 1000;
    const struct value *nas_v = first_set(&rec->v[F_NAS_IP], &rec->v[F_NAS_ID]);
    uint32_t nas = intern_value(a, nas_v);
    int r = nas == UINT32_MAX ? -E2BIG
            : st == ST_ON_OFF ? close_nas(a, nas, t)
                              : rec_apply(a, rec, st, t, nas, nas_v);
    if (r == -EINVAL) {
        attrib_malformed(a, l, rec->line, N_("bad address or number in the record"), err);
        return 0;
    }
    if (r < 0)
        return verr_set(err, r, N_("%s, line %u: more sessions or intervals than the limit"),
                        l->name, rec->line);
    return 0;
}

static bool blank(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != ' ' && p[i] != '\t')
            return false;
    return true;
}

int attrib_read_radius(struct attrib *a, struct attrib_lines *l, struct verr *err)
{
    struct record *rec = xcalloc(1, sizeof(*rec));
    const char *p;
    size_t len;
    int r;
    while ((r = attrib_lines_next(l, &p, &len)) > 0) {
        if (blank(p, len)) {
            if ((r = rec_finish(a, l, rec, err)) < 0)
                break;
            continue;
        }
        if (p[0] != ' ' && p[0] != '\t') {
            if ((r = rec_finish(a, l, rec, err)) < 0)
                break;
            rec_begin(rec, l->line);
            rec->date = l->too_long ? -1 : parse_date_line(p, len, a->utc_offset);
            rec->has_date = rec->date >= 0;
            if (!rec->has_date)
                rec_bad(rec, l->line, N_("bad date line"));
            continue;
        }
        if (!rec->open) {
            rec_begin(rec, l->line);
            rec_bad(rec, l->line, N_("attribute line before a date line"));
        }
        if (l->too_long)
            rec_bad(rec, l->line, N_("line too long"));
        else
            rec_attr(rec, p, len, l->line);
    }
    if (r == 0)
        r = rec_finish(a, l, rec, err);
    free(rec);
    return r;
}

int attrib_radius_finish(struct attrib *a)
{
    if (!a->radius)
        return 0;
    struct strmap *m = &a->radius->sessions;
    const char *k;
    size_t kl;
    void *v;
    int r = 0;
    for (size_t it = 0; r == 0 && strmap_next(m, &it, &k, &kl, &v);) {
        const struct session *s = v;
        int64_t every = s->gap ? s->gap : s->interim;
        int64_t grace = a->grace_default_ms;
        if (every)
            grace = every > INT64_MAX / (a->grace_multiple + 1) ? ATTRIB_TIME_MAX
                                                                : every * a->grace_multiple;
        int64_t end =
            s->last > 0 && grace > ATTRIB_TIME_MAX - s->last ? ATTRIB_TIME_MAX : s->last + grace;
        r = sess_emit(a, s, end);
    }
    attrib_radius_free(a);
    return r;
}

void attrib_radius_free(struct attrib *a)
{
    if (!a->radius)
        return;
    struct strmap *m = &a->radius->sessions;
    const char *k;
    size_t kl;
    void *v;
    for (size_t it = 0; strmap_next(m, &it, &k, &kl, &v);)
        free(v);
    strmap_release(m);
    free(a->radius);
    a->radius = NULL;
}
