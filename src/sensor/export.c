/* Blocklist export: nftables, ipset, RPZ (export.h). */
#include "sensor/export.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/file.h"
#include "base/i18n.h"
#include "base/vec.h"
#include "base/vtime.h"
#include "intel/domainset.h"

#define ELEMENTS_PER_LINE 1000
#define LIST_FILE_MAX     ((size_t)1 << 31)
#define EXPORT_OUT_MAX    ((size_t)1 << 32)

int export_format_parse(const char *s, enum export_format *ret)
{
    if (strcmp(s, "nft") == 0 || strcmp(s, "nftables") == 0)
        *ret = EXPORT_NFT;
    else if (strcmp(s, "ipset") == 0)
        *ret = EXPORT_IPSET;
    else if (strcmp(s, "rpz") == 0)
        *ret = EXPORT_RPZ;
    else
        return -EINVAL;
    return 0;
}

bool export_set_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > EXPORT_SET_NAME_MAX ||
        !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int cmp_prefix(const void *a, const void *b)
{
    const struct ip_prefix *x = a, *y = b;
    int c = ip_cmp(&x->addr, &y->addr);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

struct prefix_vec {
    struct ip_prefix *items;
    size_t n, alloc;
};

/* The listed prefixes, sorted, without those inside another. */
static void collect(const struct feed *f, struct prefix_vec *out, struct export_stats *st)
{
    VEC(struct ip_prefix) all = VEC_INIT;

    for (size_t i = 0; i < f->items.n; i++)
        if (f->items.items[i].type == IND_IP)
            VEC_PUSH(&all, f->items.items[i].ip);
    if (all.n)
        qsort(all.items, all.n, sizeof(struct ip_prefix), cmp_prefix);
    for (size_t i = 0; i < all.n; i++) {
        const struct ip_prefix *last = out->n ? &out->items[out->n - 1] : NULL;
        if (last && last->addr.family == all.items[i].addr.family &&
            prefix_contains(last, &all.items[i].addr)) {
            st->n_covered++;
            continue;
        }
        VEC_PUSH(out, all.items[i]);
    }
    VEC_FREE(&all);
}

/* "1.2.3.4" for a host prefix, "10.0.0.0/8" otherwise. */
static size_t prefix_text(const struct ip_prefix *p, char out[static IP_PREFIX_STRLEN])
{
    bool host = p->len == (p->addr.family == ADDR_V4 ? 32 : 128);
    return host ? ip_format(&p->addr, out) : prefix_format(p, out);
}

static int write_nft(const struct ip_prefix *v, size_t n, const char *name, struct buf *out,
                     struct export_stats *st)
{
    int rc = buf_printf(out,
                        "add table inet vigil\n"
                        "add set inet vigil %s4 { type ipv4_addr; flags interval; auto-merge; }\n"
                        "add set inet vigil %s6 { type ipv6_addr; flags interval; auto-merge; }\n"
                        "flush set inet vigil %s4\n"
                        "flush set inet vigil %s6\n",
                        name, name, name, name);

    for (int fam = ADDR_V4; rc == 0 && fam <= ADDR_V6; fam += ADDR_V6 - ADDR_V4) {
        size_t on_line = 0;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            char t[IP_PREFIX_STRLEN];
            if (v[i].addr.family != fam)
                continue;
            size_t len = prefix_text(&v[i], t);
            if (on_line == 0)
                rc = buf_printf(out, "add element inet vigil %s%c { ", name,
                                fam == ADDR_V4 ? '4' : '6');
            else
                rc = buf_puts(out, ", ");
            if (rc == 0)
                rc = buf_append(out, t, len);
            if (fam == ADDR_V4)
                st->n_v4++;
            else
                st->n_v6++;
            if (++on_line == ELEMENTS_PER_LINE && rc == 0) {
                rc = buf_puts(out, " }\n");
                on_line = 0;
            }
        }
        if (on_line && rc == 0)
            rc = buf_puts(out, " }\n");
    }
    return rc;
}

static int write_ipset(const struct ip_prefix *v, size_t n, const char *name, struct buf *out,
                       struct export_stats *st)
{
    size_t count[2] = {0, 0};
    int rc = 0;

    for (size_t i = 0; i < n; i++)
        count[v[i].addr.family == ADDR_V6]++;
    for (int k = 0; rc == 0 && k < 2; k++) {
        int fam = k ? ADDR_V6 : ADDR_V4;
        char set[EXPORT_SET_NAME_MAX + 2];
        snprintf(set, sizeof(set), "%s%c", name, k ? '6' : '4');
        rc = buf_printf(out,
                        "create %s hash:net family %s hashsize 1024 maxelem %zu -exist\n"
                        "flush %s\n",
                        set, k ? "inet6" : "inet", MAX(count[k], (size_t)65536), set);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            char t[IP_PREFIX_STRLEN];
            if (v[i].addr.family != fam)
                continue;
            if (v[i].len == 0) { /* hash:net holds /1 to /32 (/128) */
                st->n_skipped++;
                continue;
            }
            size_t len = prefix_text(&v[i], t);
            rc = buf_printf(out, "add %s %.*s\n", set, (int)len, t);
            if (k)
                st->n_v6++;
            else
                st->n_v4++;
        }
    }
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int write_rpz(const struct feed *f, uint32_t serial, struct buf *out,
                     struct export_stats *st)
{
    VEC(const char *) names = VEC_INIT;
    int rc;

    for (size_t i = 0; i < f->items.n; i++) {
        const struct indicator *ind = &f->items.items[i];
        char norm[DOMAIN_MAX + 1];
        size_t len;
        /* "*." plus the name must fit a DNS name too */
        if (ind->type == IND_DOMAIN &&
            domain_normalize(ind->domain, strlen(ind->domain), norm, &len) == DOMAIN_OK &&
            len + 2 <= DOMAIN_MAX)
            VEC_PUSH(&names, ind->domain);
        else
            st->n_skipped++;
    }
    if (names.n)
        qsort(names.items, names.n, sizeof(char *), cmp_str);
    rc = buf_printf(out,
                    "$TTL 300\n"
                    "@ IN SOA localhost. hostmaster.localhost. %u 3600 600 604800 300\n"
                    "@ IN NS localhost.\n",
                    (unsigned)serial);
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        if (i && strcmp(names.items[i], names.items[i - 1]) == 0)
            continue;
        rc = buf_printf(out, "%s CNAME .\n*.%s CNAME .\n", names.items[i], names.items[i]);
        st->n_domains++;
    }
    VEC_FREE(&names);
    return rc;
}

int export_write(const struct feed *f, enum export_format fmt, const char *set_name,
                 uint32_t serial, struct buf *out, struct export_stats *ret_stats)
{
    struct prefix_vec v = VEC_INIT;
    struct export_stats st = {0};
    int rc;

    if (fmt == EXPORT_RPZ) {
        rc = write_rpz(f, serial, out, &st);
    } else {
        for (size_t i = 0; i < f->items.n; i++)
            if (f->items.items[i].type != IND_IP)
                st.n_skipped++;
        collect(f, &v, &st);
        rc = fmt == EXPORT_NFT ? write_nft(v.items, v.n, set_name, out, &st)
                               : write_ipset(v.items, v.n, set_name, out, &st);
        VEC_FREE(&v);
    }
    if (ret_stats)
        *ret_stats = st;
    return rc;
}

static void export_usage(FILE *f)
{
    fprintf(f, "%s",
            _("Usage: vigil-sensor export --list FILE --format nft|ipset|rpz "
              "[--set-name NAME] [--list-format FORMAT] [-o OUT]\n"));
}

int sensor_cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"list", required_argument, NULL, 'l'},
        {"format", required_argument, NULL, 'f'},
        {"set-name", required_argument, NULL, 's'},
        {"list-format", required_argument, NULL, 'F'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *list = NULL, *fmt_s = NULL, *set_name = "vigil", *out_path = NULL;
    struct feed_opts fo;
    enum export_format fmt;
    struct export_stats st;
    struct feed f;
    struct verr err;
    struct buf out;
    char *doc = NULL;
    size_t len;
    int c, rc;

    feed_opts_init(&fo);
    optind = 1;
    while ((c = getopt_long(argc, argv, "l:f:s:F:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            list = optarg;
            break;
        case 'f':
            fmt_s = optarg;
            break;
        case 's':
            set_name = optarg;
            break;
        case 'F':
            if (feed_format_parse(optarg, &fo.format) < 0) {
                fprintf(stderr, "vigil-sensor export: %s: %s\n", _("unknown list format"), optarg);
                return 2;
            }
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'h':
            export_usage(stdout);
            return 0;
        default:
            export_usage(stderr);
            return 2;
        }
    }
    if (!list || !fmt_s || optind != argc) {
        export_usage(stderr);
        return 2;
    }
    if (export_format_parse(fmt_s, &fmt) < 0) {
        fprintf(stderr, "vigil-sensor export: %s: %s\n", _("format must be nft, ipset or rpz"),
                fmt_s);
        return 2;
    }
    if (!export_set_name_ok(set_name)) {
        fprintf(stderr, "vigil-sensor export: %s: %s\n",
                _("a set name is a letter then up to 27 letters, digits, '_' or '-'"), set_name);
        return 2;
    }
    if ((rc = file_read_all(list, LIST_FILE_MAX, &doc, &len)) < 0) {
        fprintf(stderr, "vigil-sensor export: %s: %s\n", list, strerror(-rc));
        return 2;
    }
    feed_init(&f);
    verr_init(&err);
    rc = feed_parse((const uint8_t *)doc, len, &fo, &f, &err);
    free(doc);
    if (rc < 0) {
        fprintf(stderr, "vigil-sensor export: %s: %s\n", list, err.msg);
        feed_release(&f);
        return 2;
    }
    buf_init(&out, EXPORT_OUT_MAX);
    rc = export_write(&f, fmt, set_name, (uint32_t)vtime_now(), &out, &st);
    feed_release(&f);
    if (rc == 0)
        rc = out_path ? file_write_atomic(out_path, out.data ? out.data : "", out.len, 0644)
                      : write_all(1, buf_str(&out), out.len);
    buf_release(&out);
    if (rc < 0) {
        fprintf(stderr, "vigil-sensor export: %s: %s\n", out_path ? out_path : "-", strerror(-rc));
        return 2;
    }
    fprintf(stderr, "vigil-sensor export: ipv4=%zu ipv6=%zu domains=%zu covered=%zu skipped=%zu\n",
            st.n_v4, st.n_v6, st.n_domains, st.n_covered, st.n_skipped);
    return 0;
}
