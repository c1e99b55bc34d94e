/*
 * CSV feeds: the header names the columns (English or Vietnamese, any case,
 * with or without accents, spaces, '_' or '-'); ',' ';' or TAB separates
 * them; fields may be quoted as in RFC 4180 ("a ""b"", c"), though a quoted
 * field may not span lines. A CSV without a header whose first column is an
 * address is read as a list of addresses. Liberal in names, strict in
 * values: a bad address, time, port or ASN makes its line an error naming
 * the column and the value, and so does a row with the wrong number of
 * fields or an unterminated quote (a truncated file).
 */
#include <string.h>

#include "base/i18n.h"
#include "base/str.h"
#include "base/vtime.h"
#include "intel/feed_impl.h"

/* Header names after normalisation (see norm_name), in order of preference
 * within each role. */
static const struct {
    const char *name;
    uint8_t role;
} column_names[] = {
    {"ip", COL_IP},
    {"ipaddress", COL_IP},
    {"ipaddr", COL_IP},
    {"diachiip", COL_IP},
    {"address", COL_IP},
    {"addr", COL_IP},
    {"diachi", COL_IP},
    {"ipv4", COL_IP},
    {"ipv6", COL_IP},
    {"cidr", COL_IP},
    {"prefix", COL_IP},
    {"subnet", COL_IP},
    {"network", COL_IP},
    {"ipbotnet", COL_IP},
    {"botnetip", COL_IP},
    {"c2ip", COL_IP},
    {"dstip", COL_IP},
    {"destinationip", COL_IP},
    {"ipdich", COL_IP},
    {"srcip", COL_IP},
    {"sourceip", COL_IP},
    {"ipnguon", COL_IP},
    {"domain", COL_DOMAIN},
    {"domainname", COL_DOMAIN},
    {"tenmien", COL_DOMAIN},
    {"fqdn", COL_DOMAIN},
    {"hostname", COL_DOMAIN},
    {"md5", COL_MD5},
    {"md5hash", COL_MD5},
    {"sha1", COL_SHA1},
    {"sha1hash", COL_SHA1},
    {"sha256", COL_SHA256},
    {"sha256hash", COL_SHA256},
    {"firstseen", COL_FIRST_SEEN},
    {"firstseenutc", COL_FIRST_SEEN},
    {"thoigian", COL_FIRST_SEEN},
    {"ngayphathien", COL_FIRST_SEEN},
    {"thoigianphathien", COL_FIRST_SEEN},
    {"time", COL_FIRST_SEEN},
    {"timestamp", COL_FIRST_SEEN},
    {"datetime", COL_FIRST_SEEN},
    {"date", COL_FIRST_SEEN},
    {"dateadded", COL_FIRST_SEEN},
    {"detected", COL_FIRST_SEEN},
    {"ngay", COL_FIRST_SEEN},
    {"lastseen", COL_LAST_SEEN},
    {"lastseenutc", COL_LAST_SEEN},
    {"lastonline", COL_LAST_SEEN},
    {"lancuoi", COL_LAST_SEEN},
    {"malware", COL_MALWARE},
    {"malwarefamily", COL_MALWARE},
    {"family", COL_MALWARE},
    {"homadoc", COL_MALWARE},
    {"tenmadoc", COL_MALWARE},
    {"madoc", COL_MALWARE},
    {"loaimadoc", COL_MALWARE},
    {"botnet", COL_MALWARE},
    {"signature", COL_MALWARE},
    {"threat", COL_MALWARE},
    {"loai", COL_MALWARE},
    {"port", COL_PORT},
    {"dstport", COL_PORT},
    {"destinationport", COL_PORT},
    {"cong", COL_PORT},
    {"congdich", COL_PORT},
    {"srcport", COL_PORT},
    {"asn", COL_ASN},
    {"as", COL_ASN},
    {"asnumber", COL_ASN},
    {"isp", COL_ISP},
    {"nhamang", COL_ISP},
    {"nhacungcap", COL_ISP},
    {"nhacungcapdichvu", COL_ISP},
    {"asname", COL_ISP},
    {"org", COL_ISP},
    {"organization", COL_ISP},
    {"tochuc", COL_ISP},
    {"provider", COL_ISP},
    {"id", COL_REF},
    {"ref", COL_REF},
    {"reference", COL_REF},
    {"sblid", COL_REF},
};

/* Latin-1 letters U+00C0..U+00FF without their accents, lower case. */
static const char latin1_base[] =
    "aaaaaaaceeeeiiiidnooooo_ouuuuy_saaaaaaaceeeeiiiidnooooo_ouuuuy_y";

/* Base letter of a Vietnamese (or Latin-1) accented letter; 0 to drop the
 * code point (combining marks and anything unknown). */
static char fold(uint32_t cp)
{
    if (cp >= 0xc0 && cp <= 0xff)
        return latin1_base[cp - 0xc0] == '_' ? 0 : latin1_base[cp - 0xc0];
    switch (cp) {
    case 0x102:
    case 0x103:
        return 'a';
    case 0x110:
    case 0x111:
        return 'd';
    case 0x128:
    case 0x129:
        return 'i';
    case 0x168:
    case 0x169:
        return 'u';
    case 0x1a0:
    case 0x1a1:
        return 'o';
    case 0x1af:
    case 0x1b0:
        return 'u';
    default:
        break;
    }
    if (cp >= 0x1ea0 && cp <= 0x1eb7)
        return 'a';
    if (cp >= 0x1eb8 && cp <= 0x1ec7)
        return 'e';
    if (cp >= 0x1ec8 && cp <= 0x1ecb)
        return 'i';
    if (cp >= 0x1ecc && cp <= 0x1ee3)
        return 'o';
    if (cp >= 0x1ee4 && cp <= 0x1ef1)
        return 'u';
    if (cp >= 0x1ef2 && cp <= 0x1ef9)
        return 'y';
    return 0;
}

/* Lower-case ASCII letters and digits of the name, accents folded, the
 * rest dropped: "Địa chỉ IP" -> "diachiip". Returns the length (<= max). */
static size_t norm_name(const char *p, size_t len, char *out, size_t max)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o < max;) {
        unsigned char ch = (unsigned char)p[i];
        char b = 0;
        if (ch < 0x80) {
            i++;
            if (ch >= 'A' && ch <= 'Z')
                b = (char)(ch + 32);
            else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
                b = (char)ch;
        } else {
            size_t n = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc0 ? 2 : 1;
            uint32_t cp = n == 4 ? ch & 0x07u : n == 3 ? ch & 0x0fu : ch & 0x1fu;
            size_t k = 1;
            for (; k < n && i + k < len; k++)
                cp = cp << 6 | ((unsigned char)p[i + k] & 0x3fu);
            i += k;
            if (n > 1)
                b = fold(cp);
        }
        if (b)
            out[o++] = b;
    }
    return o;
}

enum csv_role csv_role_of(const char *p, size_t len, unsigned *ret_rank)
{
    char n[32];
    size_t nl = norm_name(p, len, n, sizeof(n));
    for (size_t i = 0; i < ARRAY_SIZE(column_names); i++) {
        if (strlen(column_names[i].name) == nl && memcmp(column_names[i].name, n, nl) == 0) {
            *ret_rank = (unsigned)i;
            return column_names[i].role;
        }
    }
    return COL_NONE;
}

static bool name_is_utc(const char *p, size_t len)
{
    char n[32];
    size_t nl = norm_name(p, len, n, sizeof(n));
    return nl > 3 && memcmp(n + nl - 3, "utc", 3) == 0;
}

char csv_guess_sep(const char *p, size_t len)
{
    size_t comma = 0, semi = 0, tab = 0;
    bool quoted = false;
    for (size_t i = 0; i < len; i++) {
        char ch = p[i];
        if (ch == '"')
            quoted = !quoted;
        else if (!quoted && ch == ',')
            comma++;
        else if (!quoted && ch == ';')
            semi++;
        else if (!quoted && ch == '\t')
            tab++;
    }
    if (tab > comma && tab > semi)
        return '\t';
    if (semi > comma)
        return ';';
    return ',';
}

static bool is_blank(char ch, char sep)
{
    return ch == ' ' || (ch == '\t' && sep != '\t');
}

int csv_split(const char *p, size_t len, char sep, struct csv_field *out, size_t max, char *scratch)
{
    size_t i = 0, n = 0;
    char *w = scratch;
    for (;;) {
        while (i < len && is_blank(p[i], sep))
            i++;
        const char *fp;
        size_t fl;
        if (i < len && p[i] == '"') {
            i++;
            const char *start = p + i;
            char *wstart = w;
            bool copied = false;
            for (;;) {
                const char *q = memchr(p + i, '"', len - i);
                if (!q)
                    return -1;
                size_t k = (size_t)(q - (p + i));
                if ((size_t)(q - p) + 1 < len && q[1] == '"') {
                    memcpy(w, p + i, k);
                    w += k;
                    *w++ = '"';
                    copied = true;
                    i += k + 2;
                    continue;
                }
                if (copied) {
                    memcpy(w, p + i, k);
                    w += k;
                    fp = wstart;
                    fl = (size_t)(w - wstart);
                } else {
                    fp = start;
                    fl = k;
                }
                i += k + 1;
                break;
            }
            while (i < len && is_blank(p[i], sep))
                i++;
            if (i < len && p[i] != sep)
                return -2;
        } else {
            const char *q = memchr(p + i, sep, len - i);
            size_t e = q ? (size_t)(q - p) : len;
            fp = p + i;
            fl = e - i;
            while (fl > 0 && is_blank(fp[fl - 1], sep))
                fl--;
            i = e;
        }
        if (n < max)
            out[n] = (struct csv_field){fp, fl};
        n++;
        if (i >= len)
            break;
        i++; /* the separator */
    }
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

void csv_state_init(struct csv_state *s)
{
    memset(s, 0, sizeof(*s));
}

static void set_name(struct csv_state *s, unsigned i, const char *p, size_t len)
{
    size_t max = sizeof(s->name[i]) - 1;
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)p[len] & 0xc0) == 0x80)
            len--;
    }
    memcpy(s->name[i], p, len);
    s->name[i][len] = '\0';
}

static bool is_indicator_role(unsigned r)
{
    return r == COL_IP || r == COL_DOMAIN || r == COL_MD5 || r == COL_SHA1 || r == COL_SHA256;
}

/* Give each role to its best-ranked column. */
static bool assign_roles(struct csv_state *s, const struct csv_field *fl, unsigned n)
{
    unsigned best_rank[COL__MAX];
    int best_col[COL__MAX];
    for (unsigned r = 0; r < COL__MAX; r++) {
        best_rank[r] = UINT32_MAX;
        best_col[r] = -1;
    }
    unsigned lim = MIN(n, (unsigned)CSV_MAX_COLS);
    for (unsigned i = 0; i < lim; i++) {
        unsigned rank;
        enum csv_role r = csv_role_of(fl[i].p, fl[i].len, &rank);
        set_name(s, i, fl[i].p, fl[i].len);
        s->utc[i] = name_is_utc(fl[i].p, fl[i].len);
        if (r != COL_NONE && rank < best_rank[r]) {
            best_rank[r] = rank;
            best_col[r] = (int)i;
        }
    }
    memset(s->role, 0, sizeof(s->role));
    bool any = false;
    for (unsigned r = 1; r < COL__MAX; r++) {
        if (best_col[r] >= 0) {
            s->role[best_col[r]] = (uint8_t)r;
            any |= is_indicator_role(r);
        }
    }
    s->n_cols = n;
    s->have_header = true;
    return any;
}

bool csv_header(struct feed_ctx *c, struct csv_state *s, const char *p, size_t len)
{
    if (!s->sep)
        s->sep = csv_guess_sep(p, len);
    struct csv_field fl[CSV_MAX_COLS];
    int n = csv_split(p, len, s->sep, fl, CSV_MAX_COLS, c->scratch);
    if (n < 0)
        return false;
    return assign_roles(s, fl, (unsigned)n);
}

void csv_header_fixed(struct feed_ctx *c, struct csv_state *s, const char *const *names, size_t n,
                      char sep)
{
    (void)c;
    struct csv_field fl[CSV_MAX_COLS];
    n = MIN(n, (size_t)CSV_MAX_COLS);
    for (size_t i = 0; i < n; i++)
        fl[i] = (struct csv_field){names[i], strlen(names[i])};
    s->sep = sep;
    assign_roles(s, fl, (unsigned)n);
}

static bool parse_time(const char *p, size_t len, bool utc, int64_t *ret)
{
    size_t d = 0;
    while (d < len && p[d] >= '0' && p[d] <= '9')
        d++;
    if (d == len && len >= 9 && len <= 11) /* Unix seconds */
        return str_to_i64(p, len, 0, INT64_MAX / 2, ret) == 0;
    if (utc && len < 64) {
        char b[65];
        memcpy(b, p, len);
        b[len] = 'Z';
        if (vtime_parse(b, len + 1, ret) == 0)
            return true;
    }
    return vtime_parse(p, len, ret) == 0;
}

static bool is_null_value(const char *p, size_t len)
{
    if (len == 0)
        return true;
    if (len > 4)
        return false;
    return str_ieq(p, len, "n/a") || str_ieq(p, len, "null") || str_ieq(p, len, "none") ||
           str_ieq(p, len, "-");
}

static enum ind_type role_hash_type(unsigned r)
{
    return r == COL_MD5 ? IND_MD5 : r == COL_SHA1 ? IND_SHA1 : IND_SHA256;
}

void csv_row(struct feed_ctx *c, struct csv_state *s, uint32_t line, const char *p, size_t len)
{
    struct feed *f = c->f;
    f->n_data++;
    struct csv_field fl[CSV_MAX_COLS];
    int n = csv_split(p, len, s->sep, fl, CSV_MAX_COLS, c->scratch);
    if (n == -1) {
        feed_error_add(c, line, "", "%s", _("unterminated quote (is the file truncated?)"));
        return;
    }
    if (n == -2) {
        feed_error_add(c, line, "", "%s", _("text after a closing quote"));
        return;
    }
    if (!s->headerless && (unsigned)n != s->n_cols) {
        feed_error_add(c, line, "", _("expected %u fields, found %d (is the file truncated?)"),
                       s->n_cols, n);
        return;
    }
    struct indicator base = {.line = line};
    struct indicator inds[8];
    unsigned n_ind = 0;
    const char *first_ind_col = NULL;
    unsigned lim = MIN((unsigned)n, (unsigned)CSV_MAX_COLS);
    char q[FEED_QUOTE_MAX];
    for (unsigned i = 0; i < lim; i++) {
        unsigned role = s->headerless ? (i == 0 ? COL_IP : COL_NONE) : s->role[i];
        if (role == COL_NONE)
            continue;
        const char *v = fl[i].p, *name = s->headerless ? "ip" : s->name[i];
        size_t vl = fl[i].len;
        uint64_t u;
        switch (role) {
        case COL_IP:
        case COL_DOMAIN:
        case COL_MD5:
        case COL_SHA1:
        case COL_SHA256:
            if (!first_ind_col)
                first_ind_col = name;
            if (is_null_value(v, vl))
                break;
            inds[n_ind] = base;
            if (role == COL_IP) {
                if (!feed_ip_value(c, line, name, v, vl, &inds[n_ind]))
                    return;
            } else if (role == COL_DOMAIN) {
                if (!feed_domain_value(c, line, name, v, vl, &inds[n_ind]))
                    return;
            } else {
                if (!feed_hash_value(c, line, name, v, vl, &inds[n_ind]))
                    return;
                if (inds[n_ind].type != role_hash_type(role)) {
                    feed_error_add(c, line, name, _("bad hash '%s': wrong length for this column"),
                                   feed_quote(v, vl, q));
                    return;
                }
            }
            n_ind++;
            break;
        case COL_FIRST_SEEN:
        case COL_LAST_SEEN: {
            if (is_null_value(v, vl))
                break;
            int64_t t;
            if (!parse_time(v, vl, s->utc[i], &t)) {
                feed_error_add(c, line, name,
                               _("bad time '%s': expected a date like 2024-01-15, "
                                 "2024-01-15 10:00:00 or 15/01/2024"),
                               feed_quote(v, vl, q));
                return;
            }
            if (role == COL_FIRST_SEEN)
                base.first_seen = t;
            else
                base.last_seen = t;
            break;
        }
        case COL_PORT:
            if (vl == 0)
                break;
            if (str_to_u64(v, vl, 65535, &u) < 0) {
                feed_error_add(c, line, name, _("bad port '%s': expected 0-65535"),
                               feed_quote(v, vl, q));
                return;
            }
            base.port = (uint16_t)u;
            break;
        case COL_ASN: {
            if (is_null_value(v, vl))
                break;
            const char *a = v;
            size_t al = vl;
            if (al > 2 && (a[0] == 'A' || a[0] == 'a') && (a[1] == 'S' || a[1] == 's')) {
                a += 2;
                al -= 2;
            }
            if (str_to_u64(a, al, UINT32_MAX, &u) < 0) {
                feed_error_add(c, line, name, _("bad AS number '%s'"), feed_quote(v, vl, q));
                return;
            }
            base.asn = (uint32_t)u;
            break;
        }
        case COL_MALWARE:
            if (!is_null_value(v, vl))
                base.malware = feed_intern(c, v, vl);
            break;
        case COL_ISP:
            if (!is_null_value(v, vl))
                base.isp = feed_intern(c, v, vl);
            break;
        case COL_REF:
            if (!is_null_value(v, vl))
                base.ref = feed_strdup(c, v, vl);
            break;
        default:
            break;
        }
    }
    if (n_ind == 0) {
        feed_error_add(c, line, first_ind_col ? first_ind_col : "", "%s",
                       _("no indicator in this row (the column is empty)"));
        return;
    }
    for (unsigned k = 0; k < n_ind; k++) {
        inds[k].first_seen = base.first_seen;
        inds[k].last_seen = base.last_seen;
        inds[k].malware = base.malware;
        inds[k].isp = base.isp;
        inds[k].ref = base.ref;
        inds[k].asn = base.asn;
        inds[k].port = base.port;
        feed_add(c, &inds[k]);
    }
}

size_t feed_csv_state_size(void)
{
    return sizeof(struct csv_state);
}

void feed_csv_line(struct feed_ctx *c, uint32_t line, const char *p, size_t len)
{
    struct csv_state *s = c->reader;
    if (feed_line_blank(p, len, "#"))
        return;
    if (s->have_header) {
        csv_row(c, s, line, p, len);
        return;
    }
    s->sep = csv_guess_sep(p, len);
    if (csv_header(c, s, p, len))
        return;
    /* No header: accepted when the first field is an address. */
    struct csv_field fl[1];
    struct ip_prefix pfx;
    int n = csv_split(p, len, s->sep, fl, 1, c->scratch);
    if (n >= 1 && prefix_parse(fl[0].p, fl[0].len, false, &pfx) == ADDR_OK) {
        s->headerless = true;
        s->have_header = true;
        csv_row(c, s, line, p, len);
        return;
    }
    char q[FEED_QUOTE_MAX];
    c->fatal = verr_set(c->err, -EINVAL,
                        N_("line %u: the CSV header names no indicator column (ip, domain or "
                           "hash) and its first field is not an address: '%s'"),
                        line, feed_quote(p, len, q));
}
