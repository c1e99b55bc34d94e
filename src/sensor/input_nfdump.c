/* `nfdump -o csv` lines: columns mapped by the header line (input.h). */
#include <string.h>

#include "base/str.h"
#include "base/vtime.h"
#include "sensor/input_impl.h"

static const struct {
    const char *name;
    enum nfdump_col col;
} col_names[] = {
    {"ts", NFC_TS},   {"te", NFC_TE},   {"sa", NFC_SA},     {"da", NFC_DA},     {"sp", NFC_SP},
    {"dp", NFC_DP},   {"pr", NFC_PR},   {"ipkt", NFC_IPKT}, {"ibyt", NFC_IBYT}, {"xsa", NFC_XSA},
    {"xda", NFC_XDA}, {"xsp", NFC_XSP}, {"xdp", NFC_XDP},
};

/* Split line at commas into at most INPUT_NFDUMP_COLS trimmed fields;
 * returns the count, or -1 if there are more. */
static int split_csv(const char *line, size_t len, struct span *f)
{
    int n = 0;
    size_t b = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != ',')
            continue;
        if (n == INPUT_NFDUMP_COLS)
            return -1;
        const char *p = line + b;
        size_t l = i - b;
        str_trim(&p, &l);
        f[n++] = (struct span){p, l};
        b = i + 1;
    }
    return n;
}

/* A header names the columns; no data field is "ts" or "sa". */
static bool is_header(const struct span *f, int n)
{
    for (int i = 0; i < n; i++)
        if (str_ieq(f[i].p, f[i].len, "ts") || str_ieq(f[i].p, f[i].len, "sa"))
            return true;
    return false;
}

static void read_header(struct input *in, const struct span *f, int n)
{
    for (size_t k = 0; k < NFC__MAX; k++)
        in->col[k] = -1;
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < ARRAY_SIZE(col_names); k++)
            if (str_ieq(f[i].p, f[i].len, col_names[k].name) && in->col[col_names[k].col] < 0)
                in->col[col_names[k].col] = (int16_t)i;
    in->in_summary = false;
}

/* The field for column k, or NULL when the header has no such column. */
static const struct span *field(const struct input *in, const struct span *f, enum nfdump_col k)
{
    return in->col[k] >= 0 ? &f[in->col[k]] : NULL;
}

static bool u64_field(const struct span *s, uint64_t *ret)
{
    return !s || str_to_u64(s->p, s->len, UINT64_MAX, ret) == 0;
}

static bool port_field(const struct span *s, uint16_t *ret)
{
    return !s || input_port(s->p, s->len, ret);
}

static bool time_field(const struct input *in, const struct span *s, int64_t *ret)
{
    return !s || vtime_parse_ms(s->p, s->len, in->tz_offset_s, ret) == 0;
}

/* An optional address column: absent or empty is fine, "0.0.0.0" is none. */
static bool addr_field(const struct span *s, struct ip_addr *ret)
{
    if (!s || s->len == 0)
        return true;
    if (!input_addr(s->p, s->len, ret))
        return false;
    if (ret->family == ADDR_V4 && ret->v4 == 0)
        ret->family = 0;
    else if (ret->family == ADDR_V6 && ret->v6.hi == 0 && ret->v6.lo == 0)
        ret->family = 0;
    return true;
}

void input_nfdump_line(struct input *in, const char *line, size_t len, struct obs *o,
                       input_emit_fn emit, void *ctx, struct obs_counters *c)
{
    struct span f[INPUT_NFDUMP_COLS];
    int n = split_csv(line, len, f);
    if (n < 0) {
        c->malformed++;
        return;
    }
    if (is_header(f, n)) {
        read_header(in, f, n);
        c->skipped++;
        return;
    }
    if (n == 1 && str_ieq(f[0].p, f[0].len, "Summary"))
        in->in_summary = true;
    if (in->in_summary) {
        c->skipped++;
        return;
    }
    for (size_t k = 0; k < NFC__MAX; k++) {
        if (in->col[k] >= n) { /* shorter than the header */
            c->malformed++;
            return;
        }
    }
    const struct span *sa = field(in, f, NFC_SA), *da = field(in, f, NFC_DA);
    const struct span *pr = field(in, f, NFC_PR);
    o->kind = OBS_FLOW;
    o->source = SRC_NFDUMP_CSV;
    if (!sa || !da || !input_addr(sa->p, sa->len, &o->src) ||
        !input_addr(da->p, da->len, &o->dst) ||
        (pr && input_proto(pr->p, pr->len, &o->proto) < 0) ||
        !time_field(in, field(in, f, NFC_TS), &o->ts_ms) ||
        !time_field(in, field(in, f, NFC_TE), &o->end_ms) ||
        !port_field(field(in, f, NFC_SP), &o->sport) ||
        !port_field(field(in, f, NFC_DP), &o->dport) ||
        !u64_field(field(in, f, NFC_IPKT), &o->packets) ||
        !u64_field(field(in, f, NFC_IBYT), &o->bytes) ||
        !addr_field(field(in, f, NFC_XSA), &o->xsrc) ||
        !addr_field(field(in, f, NFC_XDA), &o->xdst) ||
        !port_field(field(in, f, NFC_XSP), &o->xsport) ||
        !port_field(field(in, f, NFC_XDP), &o->xdport)) {
        c->malformed++;
        return;
    }
    if (o->xsrc.family || o->xdst.family)
        o->nat_event = 1;
    input_emit(o, emit, ctx, c);
}
