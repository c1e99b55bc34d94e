/*
 * Feed dispatcher (feed.h): whole-document checks, format detection, line
 * splitting, error collection and the error threshold, duplicate dropping.
 * The readers are in feed_*.c (see feed_impl.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/i18n.h"
#include "base/str.h"
#include "intel/domainset.h"
#include "intel/feed_impl.h"

#define DEFAULT_MAX_LINE       65536
#define DEFAULT_MAX_INDICATORS 20000000
#define INTERN_MAX             100000 /* distinct strings shared; more are copied each time */

static const char *const format_names[] = {
    [FEED_AUTO] = "auto",     [FEED_TEXT] = "text",       [FEED_CSV] = "csv",
    [FEED_DROP] = "drop",     [FEED_FEODO] = "feodo",     [FEED_STIX] = "stix",
    [FEED_HASHES] = "hashes", [FEED_DOMAINS] = "domains",
};

int feed_format_parse(const char *s, enum feed_format *ret)
{
    if (!s)
        return -EINVAL;
    if (str_ieq(s, strlen(s), "netset") || str_ieq(s, strlen(s), "firehol")) {
        *ret = FEED_TEXT;
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(format_names); i++) {
        if (str_ieq(s, strlen(s), format_names[i])) {
            *ret = (enum feed_format)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *feed_format_name(enum feed_format f)
{
    if ((unsigned)f < ARRAY_SIZE(format_names))
        return format_names[f];
    return "unknown";
}

const char *ind_type_name(enum ind_type t)
{
    switch (t) {
    case IND_IP:
        return "ip";
    case IND_DOMAIN:
        return "domain";
    case IND_MD5:
        return "md5";
    case IND_SHA1:
        return "sha1";
    case IND_SHA256:
        return "sha256";
    }
    return "unknown";
}

static size_t hash_len(enum ind_type t)
{
    return t == IND_MD5 ? 16 : t == IND_SHA1 ? 20 : t == IND_SHA256 ? 32 : 0;
}

size_t indicator_value(const struct indicator *ind, char out[static IND_VALUE_MAX])
{
    size_t n = 0;
    switch (ind->type) {
    case IND_IP:
        if (ind->ip.len == (ind->ip.addr.family == ADDR_V4 ? 32 : 128))
            n = ip_format(&ind->ip.addr, out);
        else
            n = prefix_format(&ind->ip, out);
        break;
    case IND_DOMAIN:
        n = ind->domain ? strlen(ind->domain) : 0;
        if (n > IND_VALUE_MAX - 1)
            n = IND_VALUE_MAX - 1;
        memcpy(out, ind->domain ? ind->domain : "", n);
        break;
    case IND_MD5:
    case IND_SHA1:
    case IND_SHA256:
        n = hash_len(ind->type);
        hex_encode(ind->hash, n, out);
        n *= 2;
        break;
    }
    out[n] = '\0';
    return n;
}

void feed_opts_init(struct feed_opts *o)
{
    *o = (struct feed_opts){
        .format = FEED_AUTO,
        .max_line = DEFAULT_MAX_LINE,
        .max_indicators = DEFAULT_MAX_INDICATORS,
        .max_errors = 1000,
        .max_error_pct = 1,
        .strict_hostbits = true,
        .max_json_size = (size_t)256 << 20,
        .max_json_depth = 64,
    };
}

void feed_init(struct feed *f)
{
    *f = (struct feed){.format = FEED_AUTO};
    arena_init(&f->arena, 0);
}

void feed_release(struct feed *f)
{
    arena_release(&f->arena);
    VEC_FREE(&f->items);
    VEC_FREE(&f->errors);
    f->n_lines = f->n_data = f->n_errors = f->n_duplicates = 0;
}

/* ---- helpers for the readers ---- */

/* Length of the longest prefix of (p, n) that does not end inside a UTF-8
 * sequence. */
static size_t utf8_cut(const char *p, size_t n)
{
    size_t i = n, back = 0;
    while (i > 0 && back < 4 && ((unsigned char)p[i - 1] & 0xc0) == 0x80) {
        i--;
        back++;
    }
    if (i == 0)
        return back ? 0 : n;
    unsigned char lead = (unsigned char)p[i - 1];
    size_t need = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (lead < 0x80)
        return n;
    return back + 1 >= need ? n : i - 1;
}

const char *feed_quote(const char *p, size_t len, char out[static FEED_QUOTE_MAX])
{
    static const char hex[] = "0123456789abcdef";
    size_t n = len, o = 0;
    bool cut = false;
    if (n > FEED_QUOTE_SRC) {
        n = utf8_cut(p, FEED_QUOTE_SRC);
        cut = true;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x20 || ch == 0x7f || ch == '\\') {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        } else {
            out[o++] = (char)ch;
        }
    }
    if (cut) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

void feed_error_add(struct feed_ctx *c, uint32_t line, const char *field, const char *fmt, ...)
{
    struct feed *f = c->f;
    f->n_errors++;
    if (f->errors.n >= FEED_MAX_KEPT_ERRORS)
        return;
    struct feed_error e;
    e.line = line;
    size_t fl = field ? strlen(field) : 0;
    if (fl > sizeof(e.field) - 1)
        fl = utf8_cut(field, sizeof(e.field) - 1);
    memcpy(e.field, field ? field : "", fl);
    e.field[fl] = '\0';
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(e.reason, sizeof(e.reason), fmt, ap);
    va_end(ap);
    if (r < 0)
        e.reason[0] = '\0';
    else if ((size_t)r >= sizeof(e.reason))
        e.reason[utf8_cut(e.reason, sizeof(e.reason) - 1)] = '\0';
    VEC_PUSH(&f->errors, e);
}

const char *feed_strdup(struct feed_ctx *c, const char *p, size_t len)
{
    if (len == 0)
        return NULL;
    if (len > FEED_STR_MAX)
        len = utf8_cut(p, FEED_STR_MAX);
    char *s = arena_strndup(&c->f->arena, p, len);
    if (!s && !c->fatal)
        c->fatal = verr_set(c->err, -ENOMEM, N_("out of memory for the feed's strings"));
    return s;
}

const char *feed_intern(struct feed_ctx *c, const char *p, size_t len)
{
    if (len == 0)
        return NULL;
    if (len > FEED_STR_MAX)
        len = utf8_cut(p, FEED_STR_MAX);
    const char *s = strmap_get(&c->strings, p, len);
    if (s)
        return s;
    s = feed_strdup(c, p, len);
    if (s && c->strings.n < INTERN_MAX)
        strmap_put(&c->strings, p, len, (void *)s, NULL);
    return s;
}

bool feed_line_blank(const char *p, size_t len, const char *comment_chars)
{
    str_trim(&p, &len);
    return len == 0 || strchr(comment_chars, p[0]) != NULL;
}

bool feed_ip_value(struct feed_ctx *c, uint32_t line, const char *field, const char *p, size_t len,
                   struct indicator *ind)
{
    struct ip_prefix pfx;
    enum addr_err e = prefix_parse(p, len, c->o->strict_hostbits, &pfx);
    if (e != ADDR_OK) {
        char q[FEED_QUOTE_MAX];
        feed_error_add(c, line, field, _("bad address '%s': %s"), feed_quote(p, len, q),
                       addr_strerror(e));
        return false;
    }
    ind->type = IND_IP;
    ind->ip = pfx;
    return true;
}

enum ind_type feed_hash_type(size_t len)
{
    return len == 32 ? IND_MD5 : len == 40 ? IND_SHA1 : len == 64 ? IND_SHA256 : 0;
}

bool feed_hash_value(struct feed_ctx *c, uint32_t line, const char *field, const char *p,
                     size_t len, struct indicator *ind)
{
    enum ind_type t = feed_hash_type(len);
    uint8_t h[32];
    if (!t || hex_decode(p, len, h, len / 2) < 0) {
        char q[FEED_QUOTE_MAX];
        feed_error_add(c, line, field,
                       _("bad hash '%s': expected 32, 40 or 64 hex digits (MD5, SHA-1, SHA-256)"),
                       feed_quote(p, len, q));
        return false;
    }
    ind->type = t;
    memcpy(ind->hash, h, len / 2);
    return true;
}

bool feed_domain_value(struct feed_ctx *c, uint32_t line, const char *field, const char *p,
                       size_t len, struct indicator *ind)
{
    char norm[DOMAIN_MAX + 1];
    size_t n;
    char q[FEED_QUOTE_MAX];
    enum domain_err e = domain_normalize(p, len, norm, &n);
    if (e != DOMAIN_OK) {
        feed_error_add(c, line, field, _("bad domain '%s': %s"), feed_quote(p, len, q),
                       domain_strerror(e));
        return false;
    }
    if (!memchr(norm, '.', n)) {
        feed_error_add(c, line, field, _("bad domain '%s': a single label, not a domain"),
                       feed_quote(p, len, q));
        return false;
    }
    const char *s = arena_strndup(&c->f->arena, norm, n);
    if (!s) {
        if (!c->fatal)
            c->fatal = verr_set(c->err, -ENOMEM, N_("out of memory for the feed's strings"));
        return false;
    }
    ind->type = IND_DOMAIN;
    ind->domain = s;
    return true;
}

/* ---- duplicates ---- */

static uint64_t ind_hash(uint64_t seed, const struct indicator *ind)
{
    switch (ind->type) {
    case IND_IP:
        if (ind->ip.addr.family == ADDR_V4)
            return hash_u64(seed ^ ((uint64_t)ind->ip.addr.v4 << 8 | ind->ip.len));
        return hash_u64(hash_u64(seed ^ ind->ip.addr.v6.hi) ^ ind->ip.addr.v6.lo ^
                        ((uint64_t)ind->ip.len << 1 | 1));
    case IND_DOMAIN:
        return hash_bytes(ind->domain, strlen(ind->domain), seed);
    case IND_MD5:
    case IND_SHA1:
    case IND_SHA256:
        return hash_bytes(ind->hash, hash_len(ind->type), seed ^ ind->type);
    }
    return 0;
}

static bool ind_eq(const struct indicator *a, const struct indicator *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case IND_IP:
        if (a->ip.addr.family != b->ip.addr.family || a->ip.len != b->ip.len)
            return false;
        if (a->ip.addr.family == ADDR_V4)
            return a->ip.addr.v4 == b->ip.addr.v4;
        return a->ip.addr.v6.hi == b->ip.addr.v6.hi && a->ip.addr.v6.lo == b->ip.addr.v6.lo;
    case IND_DOMAIN:
        return strcmp(a->domain, b->domain) == 0;
    case IND_MD5:
    case IND_SHA1:
    case IND_SHA256:
        return memcmp(a->hash, b->hash, hash_len(a->type)) == 0;
    }
    return false;
}

/* Slots hold (upper 32 bits of the hash) << 32 | (item index + 1), so most
 * mismatches are decided without touching the item. */
static inline uint64_t dedup_slot(uint64_t h, size_t idx)
{
    return (h >> 32) << 32 | (uint64_t)(idx + 1);
}

static void dedup_grow(struct feed_ctx *c)
{
    size_t n_slots = c->dedup ? (c->dedup_mask + 1) * 2 : 1024;
    free(c->dedup);
    c->dedup = xcalloc(n_slots, sizeof(*c->dedup));
    c->dedup_mask = n_slots - 1;
    for (size_t k = 0; k < c->f->items.n; k++) {
        uint64_t h = ind_hash(c->seed, &c->f->items.items[k]);
        size_t i = h & c->dedup_mask;
        while (c->dedup[i])
            i = (i + 1) & c->dedup_mask;
        c->dedup[i] = dedup_slot(h, k);
    }
}

void feed_add(struct feed_ctx *c, const struct indicator *ind)
{
    struct feed *f = c->f;
    if (c->fatal)
        return;
    if (!c->dedup || (f->items.n + 1) * 2 > c->dedup_mask + 1)
        dedup_grow(c);
    uint64_t h = ind_hash(c->seed, ind), tag = (h >> 32) << 32;
    size_t i = h & c->dedup_mask;
    for (; c->dedup[i]; i = (i + 1) & c->dedup_mask) {
        uint64_t slot = c->dedup[i];
        if ((slot & 0xffffffff00000000ULL) == tag &&
            ind_eq(&f->items.items[(uint32_t)slot - 1], ind)) {
            f->n_duplicates++;
            return;
        }
    }
    size_t max = c->o->max_indicators ? c->o->max_indicators : DEFAULT_MAX_INDICATORS;
    if (f->items.n >= max || f->items.n >= UINT32_MAX - 1) {
        c->fatal = verr_set(c->err, -E2BIG, N_("more than %zu indicators (the limit)"), f->items.n);
        return;
    }
    VEC_PUSH(&f->items, *ind);
    c->dedup[i] = dedup_slot(h, f->items.n - 1);
}

/* ---- whole-document checks ---- */

static bool is_ascii(const char *p, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ULL)
            return false;
    }
    for (; i < n; i++)
        if ((unsigned char)p[i] & 0x80)
            return false;
    return true;
}

static int check_text(const char *p, size_t len, struct verr *err)
{
    const unsigned char *u = (const unsigned char *)p;
    if (len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff)))
        return verr_set(err, -EILSEQ,
                        N_("the file is UTF-16 (it starts with a UTF-16 byte order mark); "
                           "convert it to UTF-8"));
    /* UTF-16 without a mark: ASCII text with a NUL beside every character. */
    size_t n = MIN(len, (size_t)512) & ~(size_t)1, pairs = n / 2, even0 = 0, odd0 = 0;
    for (size_t i = 0; i < n; i += 2) {
        if (u[i] == 0 && u[i + 1] != 0)
            even0++;
        if (u[i + 1] == 0 && u[i] != 0)
            odd0++;
    }
    if (pairs >= 2 && (even0 * 10 >= pairs * 6 || odd0 * 10 >= pairs * 6))
        return verr_set(err, -EILSEQ,
                        N_("the file is UTF-16 (a NUL byte beside every character); "
                           "convert it to UTF-8"));
    const char *z = memchr(p, '\0', len);
    if (z)
        return verr_set(err, -EILSEQ, N_("binary data at byte %zu (a NUL byte): not a text feed"),
                        (size_t)(z - p));
    size_t m = MIN(len, (size_t)65536), ctl = 0, first = 0;
    for (size_t i = 0; i < m; i++) {
        unsigned char ch = u[i];
        if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f) {
            if (ctl++ == 0)
                first = i;
        }
    }
    if (ctl > 0 && ctl * 100 > m * 2)
        return verr_set(err, -EILSEQ,
                        N_("binary data at byte %zu (%zu control characters in the first %zu "
                           "bytes): not a text feed"),
                        first, ctl, m);
    return 0;
}

/* ---- format detection ---- */

enum { K_IP, K_IPSEP, K_HASH, K_DOMAIN, K_OTHER, K__N };

static bool all_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
            return false;
    }
    return true;
}

static bool is_ip_token(const char *p, size_t n)
{
    struct ip_prefix pfx;
    if (prefix_parse(p, n, false, &pfx) == ADDR_OK)
        return true;
    const char *dash = memchr(p, '-', n);
    uint32_t a, b;
    return dash && ip4_parse(p, (size_t)(dash - p), &a) == ADDR_OK &&
           ip4_parse(dash + 1, n - (size_t)(dash - p) - 1, &b) == ADDR_OK;
}

static int classify(const char *p, size_t n)
{
    size_t t = 0;
    while (t < n && p[t] != ' ' && p[t] != '\t' && p[t] != ',' && p[t] != ';')
        t++;
    size_t r = t;
    bool tab = false;
    while (r < n && (p[r] == ' ' || p[r] == '\t')) {
        tab |= p[r] == '\t';
        r++;
    }
    bool ws = r > t;
    bool rest_empty = r == n || (ws && (p[r] == '#' || p[r] == ';'));
    if (is_ip_token(p, t)) {
        if (rest_empty)
            return tab && r < n && p[r] != '#' ? K_IPSEP : K_IP;
        if (!ws && (p[r] == ',' || p[r] == ';'))
            return K_IPSEP;
        if (tab)
            return K_IPSEP;
        /* hosts file: "0.0.0.0 name" */
        char norm[DOMAIN_MAX + 1];
        size_t nl, e = r;
        while (e < n && p[e] != ' ' && p[e] != '\t')
            e++;
        bool sink =
            (t == 7 && memcmp(p, "0.0.0.0", 7) == 0) || (t == 9 && memcmp(p, "127.0.0.1", 9) == 0);
        if (sink && domain_normalize(p + r, e - r, norm, &nl) == DOMAIN_OK)
            return K_DOMAIN;
        return K_OTHER;
    }
    if (!rest_empty)
        return K_OTHER;
    if (feed_hash_type(t) && all_hex(p, t))
        return K_HASH;
    char norm[DOMAIN_MAX + 1];
    size_t nl;
    if (domain_normalize(p, t, norm, &nl) == DOMAIN_OK && memchr(norm, '.', nl))
        return K_DOMAIN;
    return K_OTHER;
}

/* The first data line as a CSV header: FEED_CSV / FEED_HASHES, or
 * FEED_AUTO when it names no known column. */
static enum feed_format header_kind(const char *p, size_t n)
{
    char scratch[4096];
    struct csv_field fl[CSV_MAX_COLS];
    if (n >= sizeof(scratch))
        return FEED_AUTO;
    int nf = csv_split(p, n, csv_guess_sep(p, n), fl, CSV_MAX_COLS, scratch);
    bool ind = false, hash = false;
    unsigned known = 0;
    for (int i = 0; i < nf && i < CSV_MAX_COLS; i++) {
        unsigned rank;
        enum csv_role r = csv_role_of(fl[i].p, fl[i].len, &rank);
        if (r == COL_NONE)
            continue;
        known++;
        if (r == COL_MD5 || r == COL_SHA1 || r == COL_SHA256)
            hash = true;
        else if (r == COL_IP || r == COL_DOMAIN)
            ind = true;
    }
    if (hash && !ind)
        return FEED_HASHES;
    if (ind || known >= 2)
        return FEED_CSV;
    return FEED_AUTO;
}

static enum feed_format detect(const char *p, size_t len)
{
    const char *end = p + MIN(len, (size_t)65536);
    const char *q = p;
    while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
        q++;
    if (q < end && (*q == '{' || *q == '[')) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        if (memmem(q, nl ? (size_t)(nl - q) : (size_t)(end - q), "\"cidr\"", 6))
            return FEED_DROP;
        return FEED_STIX;
    }
    unsigned counts[K__N] = {0}, n_data = 0;
    bool first = true;
    while (p < end && n_data < 20) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *l = p;
        size_t n = (nl ? nl : end) - p;
        p = nl ? nl + 1 : end;
        str_trim(&l, &n);
        if (n == 0 || !l)
            continue;
        if (l[0] == '#') {
            if (memmem(l, n, "sha256_hash", 11) || memmem(l, n, "md5_hash", 8))
                return FEED_HASHES;
            if (memmem(l, n, "dst_ip", 6) && memmem(l, n, "first_seen", 10))
                return FEED_FEODO;
            continue;
        }
        if (l[0] == ';')
            continue;
        if (memmem(l, n, "; SBL", 5) || memmem(l, n, ";SBL", 4))
            return FEED_DROP;
        if (first) {
            first = false;
            enum feed_format h = header_kind(l, n);
            if (h != FEED_AUTO)
                return h;
        }
        counts[classify(l, n)]++;
        n_data++;
    }
    static const enum feed_format kind_format[] = {[K_IP] = FEED_TEXT,
                                                   [K_IPSEP] = FEED_CSV,
                                                   [K_HASH] = FEED_HASHES,
                                                   [K_DOMAIN] = FEED_DOMAINS};
    unsigned best = 0;
    int kind = -1;
    for (int k = 0; k < K_OTHER; k++) {
        if (counts[k] > best) {
            best = counts[k];
            kind = k;
        }
    }
    return kind < 0 ? FEED_TEXT : kind_format[kind];
}

/* ---- lines ---- */

static void run_lines(struct feed_ctx *c, feed_line_fn *fn, const char *p, size_t len)
{
    const char *end = p + len;
    size_t max_line = c->o->max_line ? c->o->max_line : DEFAULT_MAX_LINE;
    struct feed *f = c->f;
    uint32_t line = 0;
    while (p < end && !c->fatal) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (line == UINT32_MAX - 1) {
            c->fatal = verr_set(c->err, -E2BIG, N_("more than %u lines"), line);
            break;
        }
        line++;
        f->n_lines++;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n > max_line) {
            f->n_data++;
            feed_error_add(c, line, "", _("line longer than %zu bytes (%zu bytes); skipped"),
                           max_line, n);
        } else if (!is_ascii(p, n) && !str_valid_utf8(p, n)) {
            f->n_data++;
            feed_error_add(c, line, "", "%s", _("not valid UTF-8 text; convert the file to UTF-8"));
        } else {
            fn(c, line, p, n);
        }
        p = nl ? nl + 1 : end;
    }
}

static bool all_space(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char ch = p[i];
        if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n' && ch != '\f' && ch != '\v')
            return false;
    }
    return true;
}

static int check_threshold(const struct feed_opts *o, const struct feed *f, struct verr *err)
{
    bool over_count = f->n_errors > o->max_errors;
    bool over_pct = (uint64_t)f->n_errors * 100 > (uint64_t)f->n_data * o->max_error_pct;
    if (!over_count && !over_pct)
        return 0;
    char first[320] = "";
    if (f->errors.n > 0) {
        const struct feed_error *e = &f->errors.items[0];
        int r;
        if (e->field[0])
            r = snprintf(first, sizeof(first), _("line %u, field %s: %s"), e->line, e->field,
                         e->reason);
        else
            r = snprintf(first, sizeof(first), _("line %u: %s"), e->line, e->reason);
        if (r < 0)
            first[0] = '\0';
    }
    if (over_count)
        return verr_set(err, -EBADMSG,
                        N_("%zu of %zu lines are bad (more than the %zu allowed); first: %s"),
                        f->n_errors, f->n_data, o->max_errors, first);
    return verr_set(err, -EBADMSG, N_("%zu of %zu lines are bad (over %u%%); first: %s"),
                    f->n_errors, f->n_data, o->max_error_pct, first);
}

int feed_parse(const uint8_t *data, size_t len, const struct feed_opts *o, struct feed *f,
               struct verr *err)
{
    struct feed_opts defaults;
    if (!o) {
        feed_opts_init(&defaults);
        o = &defaults;
    }
    if (err)
        verr_init(err);
    const char *p = (const char *)data;
    if (len == 0)
        return verr_set(err, -ENODATA, N_("empty feed: the file has no data"));
    int r = check_text(p, len, err);
    if (r < 0)
        return r;
    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
        p += 3;
        len -= 3;
    }
    if (all_space(p, len))
        return verr_set(err, -ENODATA, N_("empty feed: the file holds only white space"));
    enum feed_format fmt = o->format == FEED_AUTO ? detect(p, len) : o->format;
    if ((unsigned)fmt >= ARRAY_SIZE(format_names) || fmt == FEED_AUTO)
        return verr_set(err, -EINVAL, N_("unknown feed format %d"), (int)fmt);
    f->format = fmt;

    size_t max_line = o->max_line ? o->max_line : DEFAULT_MAX_LINE;
    struct feed_ctx c = {
        .o = o,
        .f = f,
        .err = err,
        .seed = hash_u64((uint64_t)(uintptr_t)f ^ len ^ 0x51ed27a3b4c5d6e7ULL),
        .scratch = xmalloc(MIN(max_line, len) + 1),
    };
    strmap_init(&c.strings);
    switch (fmt) {
    case FEED_TEXT:
        run_lines(&c, feed_text_line, p, len);
        break;
    case FEED_DROP:
        run_lines(&c, feed_drop_line, p, len);
        break;
    case FEED_DOMAINS:
        run_lines(&c, feed_domains_line, p, len);
        break;
    case FEED_CSV:
    case FEED_FEODO:
        c.reader = xcalloc(1, feed_csv_state_size());
        run_lines(&c, fmt == FEED_CSV ? feed_csv_line : feed_feodo_line, p, len);
        break;
    case FEED_HASHES:
        c.reader = xcalloc(1, feed_hashes_state_size());
        run_lines(&c, feed_hashes_line, p, len);
        break;
    case FEED_STIX:
        feed_stix_parse(&c, p, len);
        break;
    case FEED_AUTO:
        break;
    }
    free(c.reader);
    free(c.scratch);
    free(c.dedup);
    strmap_release(&c.strings);
    if (c.fatal)
        return c.fatal;
    r = check_threshold(o, f, err);
    if (r < 0)
        return r;
    if (f->items.n == 0)
        return verr_set(err, -ENODATA, N_("no indicators found in the feed (%zu lines read)"),
                        f->n_lines);
    return 0;
}
