/*
 * STIX 2.1 bundles: {"type": "bundle", "objects": [...]}. Each indicator
 * object with pattern_type "stix" (or none) gives one indicator for each
 * comparison in its pattern, which may join comparisons and observation
 * expressions with OR:
 *   [ipv4-addr:value = '203.0.113.5'] OR [ipv6-addr:value = '2001:db8::/32']
 *   [domain-name:value = 'evil.example']
 *   [file:hashes.MD5 = '...' OR file:hashes.'SHA-256' = '...']
 * valid_from is the first-seen time, the id the reference; the malware
 * family comes from an "indicates" relationship to a malware object, else
 * from a label that is not a generic STIX term. Anything else in a pattern
 * (AND, other operators or objects, qualifiers) makes that object an error
 * naming its index (1-based) in "objects". Size and nesting depth are
 * bounded before parsing.
 */
#include <jansson.h>
#include <string.h>

#include "base/i18n.h"
#include "base/str.h"
#include "base/vtime.h"
#include "intel/feed_impl.h"

#define MAX_COMPARISONS 64
#define MAX_VALUE       1024

struct pat {
    const char *p, *end;
    struct feed_ctx *c;
    uint32_t line;
    const char *whole; /* for messages */
    size_t whole_len;
    struct indicator out[MAX_COMPARISONS];
    unsigned n;
};

static void skip_ws(struct pat *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
        s->p++;
}

static bool keyword(struct pat *s, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
        return false;
    if (s->p + n < s->end) {
        char ch = s->p[n];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '_')
            return false;
    }
    s->p += n;
    return true;
}

static bool unsupported(struct pat *s, const char *what)
{
    char q[FEED_QUOTE_MAX];
    feed_error_add(s->c, s->line, "pattern", _("unsupported pattern (%s): '%s'"), what,
                   feed_quote(s->whole, s->whole_len, q));
    return false;
}

static bool syntax(struct pat *s)
{
    char q[FEED_QUOTE_MAX];
    feed_error_add(s->c, s->line, "pattern", _("bad pattern syntax at character %zu: '%s'"),
                   (size_t)(s->p - s->whole) + 1, feed_quote(s->whole, s->whole_len, q));
    return false;
}

enum target { T_NONE, T_IP4, T_IP6, T_DOMAIN, T_MD5, T_SHA1, T_SHA256 };

static enum target path_target(const char *p, size_t n)
{
    if (str_ieq(p, n, "ipv4-addr:value"))
        return T_IP4;
    if (str_ieq(p, n, "ipv6-addr:value"))
        return T_IP6;
    if (str_ieq(p, n, "domain-name:value"))
        return T_DOMAIN;
    static const char prefix[] = "file:hashes.";
    size_t pl = sizeof(prefix) - 1;
    if (n <= pl || !str_ieq(p, pl, prefix))
        return T_NONE;
    p += pl;
    n -= pl;
    if (n >= 2 && p[0] == '\'' && p[n - 1] == '\'') {
        p++;
        n -= 2;
    }
    if (str_ieq(p, n, "MD5"))
        return T_MD5;
    if (str_ieq(p, n, "SHA-1") || str_ieq(p, n, "SHA1"))
        return T_SHA1;
    if (str_ieq(p, n, "SHA-256") || str_ieq(p, n, "SHA256"))
        return T_SHA256;
    return T_NONE;
}

static bool add_value(struct pat *s, enum target t, const char *v, size_t vl)
{
    if (s->n >= MAX_COMPARISONS)
        return unsupported(s, _("more than 64 comparisons"));
    struct indicator *ind = &s->out[s->n];
    *ind = (struct indicator){.line = s->line};
    bool ok;
    switch (t) {
    case T_IP4:
    case T_IP6:
        ok = feed_ip_value(s->c, s->line, "pattern", v, vl, ind);
        if (ok && ind->ip.addr.family != (t == T_IP4 ? ADDR_V4 : ADDR_V6)) {
            char q[FEED_QUOTE_MAX];
            feed_error_add(s->c, s->line, "pattern",
                           t == T_IP4 ? _("'%s' is not an IPv4 address")
                                      : _("'%s' is not an IPv6 address"),
                           feed_quote(v, vl, q));
            ok = false;
        }
        break;
    case T_DOMAIN:
        ok = feed_domain_value(s->c, s->line, "pattern", v, vl, ind);
        break;
    default:
        ok = feed_hash_value(s->c, s->line, "pattern", v, vl, ind);
        if (ok && ind->type != (t == T_MD5 ? IND_MD5 : t == T_SHA1 ? IND_SHA1 : IND_SHA256)) {
            char q[FEED_QUOTE_MAX];
            feed_error_add(s->c, s->line, "pattern",
                           _("bad hash '%s': wrong length for its algorithm"),
                           feed_quote(v, vl, q));
            ok = false;
        }
        break;
    }
    if (ok)
        s->n++;
    return ok;
}

/* path = 'value' */
static bool comparison(struct pat *s)
{
    skip_ws(s);
    const char *path = s->p;
    while (s->p < s->end && !strchr(" \t\r\n=!<>]", *s->p))
        s->p++;
    size_t path_len = (size_t)(s->p - path);
    if (path_len == 0)
        return syntax(s);
    skip_ws(s);
    if (s->p >= s->end)
        return syntax(s);
    if (*s->p != '=' || (s->p + 1 < s->end && s->p[1] == '='))
        return unsupported(s, _("only the = operator is supported"));
    s->p++;
    skip_ws(s);
    if (s->p >= s->end || *s->p != '\'')
        return syntax(s);
    s->p++;
    char v[MAX_VALUE];
    size_t vl = 0;
    for (;;) {
        if (s->p >= s->end)
            return syntax(s);
        char ch = *s->p++;
        if (ch == '\'')
            break;
        if (ch == '\\') {
            if (s->p >= s->end)
                return syntax(s);
            ch = *s->p++;
        }
        if (vl >= sizeof(v))
            return unsupported(s, _("value longer than 1024 bytes"));
        v[vl++] = ch;
    }
    enum target t = path_target(path, path_len);
    if (t == T_NONE) {
        char what[FEED_QUOTE_MAX + 64], q[FEED_QUOTE_MAX];
        int r = snprintf(what, sizeof(what), _("object path %s"), feed_quote(path, path_len, q));
        return unsupported(s, r < 0 ? "" : what);
    }
    return add_value(s, t, v, vl);
}

/* [cmp OR cmp ...] OR [...] */
static bool parse_pattern(struct pat *s)
{
    for (;;) {
        skip_ws(s);
        if (s->p >= s->end || *s->p != '[')
            return syntax(s);
        s->p++;
        for (;;) {
            if (!comparison(s))
                return false;
            skip_ws(s);
            if (s->p < s->end && *s->p == ']') {
                s->p++;
                break;
            }
            if (keyword(s, "OR"))
                continue;
            if (keyword(s, "AND"))
                return unsupported(s, "AND");
            return syntax(s);
        }
        skip_ws(s);
        if (s->p >= s->end)
            return true;
        if (keyword(s, "OR"))
            continue;
        return unsupported(s, _("only OR between observations; no AND, FOLLOWEDBY or qualifiers"));
    }
}

static bool generic_label(const char *l)
{
    static const char *const generic[] = {"malicious-activity", "anomalous-activity", "benign",
                                          "compromised",        "attribution",        "unknown"};
    for (size_t i = 0; i < ARRAY_SIZE(generic); i++)
        if (strcmp(l, generic[i]) == 0)
            return true;
    return false;
}

static void indicator(struct feed_ctx *c, uint32_t line, json_t *o, const struct strmap *families)
{
    char q[FEED_QUOTE_MAX];
    const char *pt = json_string_value(json_object_get(o, "pattern_type"));
    if (pt && strcmp(pt, "stix") != 0) {
        feed_error_add(c, line, "pattern_type", _("unsupported pattern type '%s'"),
                       feed_quote(pt, strlen(pt), q));
        return;
    }
    json_t *pj = json_object_get(o, "pattern");
    if (!json_is_string(pj)) {
        feed_error_add(c, line, "pattern", "%s", _("indicator without a pattern string"));
        return;
    }
    int64_t first_seen = 0;
    json_t *vf = json_object_get(o, "valid_from");
    if (vf) {
        const char *t = json_string_value(vf);
        if (!t || vtime_parse(t, strlen(t), &first_seen) < 0) {
            feed_error_add(c, line, "valid_from", _("bad time '%s'"),
                           t ? feed_quote(t, strlen(t), q) : "?");
            return;
        }
    }
    struct pat *s = xcalloc(1, sizeof(*s));
    s->p = s->whole = json_string_value(pj);
    s->whole_len = json_string_length(pj);
    s->end = s->p + s->whole_len;
    s->c = c;
    s->line = line;
    if (parse_pattern(s)) {
        const char *id = json_string_value(json_object_get(o, "id"));
        const char *family = id ? strmap_get(families, id, strlen(id)) : NULL;
        if (!family) {
            json_t *labels = json_object_get(o, "labels");
            size_t i;
            json_t *l;
            json_array_foreach(labels, i, l)
            {
                if (json_is_string(l) && !generic_label(json_string_value(l))) {
                    family = json_string_value(l);
                    break;
                }
            }
        }
        const char *ref = id ? feed_strdup(c, id, strlen(id)) : NULL;
        const char *mw = family ? feed_intern(c, family, strlen(family)) : NULL;
        for (unsigned k = 0; k < s->n; k++) {
            s->out[k].first_seen = first_seen;
            s->out[k].ref = ref;
            s->out[k].malware = mw;
            feed_add(c, &s->out[k]);
        }
    }
    free(s);
}

/* Deepest nesting of [ and { outside strings; false past max. */
static bool depth_ok(const char *p, size_t len, unsigned max, size_t *ret_at)
{
    unsigned d = 0;
    bool str = false;
    for (size_t i = 0; i < len; i++) {
        char ch = p[i];
        if (str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                str = false;
        } else if (ch == '"') {
            str = true;
        } else if (ch == '{' || ch == '[') {
            if (++d > max) {
                *ret_at = i;
                return false;
            }
        } else if ((ch == '}' || ch == ']') && d > 0) {
            d--;
        }
    }
    return true;
}

void feed_stix_parse(struct feed_ctx *c, const char *p, size_t len)
{
    const struct feed_opts *o = c->o;
    size_t at;
    if (o->max_json_size && len > o->max_json_size) {
        c->fatal =
            verr_set(c->err, -E2BIG, N_("STIX document larger than %zu bytes"), o->max_json_size);
        return;
    }
    unsigned max_depth = o->max_json_depth ? o->max_json_depth : 64;
    if (!depth_ok(p, len, max_depth, &at)) {
        c->fatal = verr_set(c->err, -EINVAL, N_("JSON nested deeper than %u levels at byte %zu"),
                            max_depth, at);
        return;
    }
    json_error_t jerr;
    json_t *root = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        c->fatal = verr_set(c->err, -EINVAL, N_("not valid JSON: line %d, column %d: %s"),
                            jerr.line, jerr.column, jerr.text);
        return;
    }
    const char *type = json_string_value(json_object_get(root, "type"));
    json_t *objects = json_object_get(root, "objects");
    if (!type || strcmp(type, "bundle") != 0) {
        c->fatal = verr_set(c->err, -EINVAL, N_("not a STIX bundle (no \"type\": \"bundle\")"));
        json_decref(root);
        return;
    }
    if (!json_is_array(objects)) {
        c->fatal = verr_set(c->err, -EINVAL, N_("the STIX bundle has no \"objects\" array"));
        json_decref(root);
        return;
    }
    /* Malware families: indicator id -> name, through "indicates"
     * relationships to malware objects. */
    struct strmap malware, families;
    strmap_init(&malware);
    strmap_init(&families);
    size_t i;
    json_t *obj;
    json_array_foreach(objects, i, obj)
    {
        const char *t = json_string_value(json_object_get(obj, "type"));
        const char *id = json_string_value(json_object_get(obj, "id"));
        const char *name = json_string_value(json_object_get(obj, "name"));
        if (t && id && name && strcmp(t, "malware") == 0)
            strmap_put(&malware, id, strlen(id), (void *)name, NULL);
    }
    json_array_foreach(objects, i, obj)
    {
        const char *t = json_string_value(json_object_get(obj, "type"));
        const char *rt = json_string_value(json_object_get(obj, "relationship_type"));
        const char *src = json_string_value(json_object_get(obj, "source_ref"));
        const char *dst = json_string_value(json_object_get(obj, "target_ref"));
        if (!t || !rt || !src || !dst || strcmp(t, "relationship") != 0 ||
            strcmp(rt, "indicates") != 0)
            continue;
        const char *name = strmap_get(&malware, dst, strlen(dst));
        if (name)
            strmap_put(&families, src, strlen(src), (void *)name, NULL);
    }
    json_array_foreach(objects, i, obj)
    {
        if (c->fatal)
            break;
        if (i >= UINT32_MAX - 1) {
            c->fatal = verr_set(c->err, -E2BIG, N_("more than %u STIX objects"), UINT32_MAX - 1);
            break;
        }
        uint32_t line = (uint32_t)i + 1;
        c->f->n_lines++;
        const char *t = json_string_value(json_object_get(obj, "type"));
        if (!json_is_object(obj) || !t) {
            c->f->n_data++;
            feed_error_add(c, line, "type", "%s", _("not a STIX object (no \"type\")"));
            continue;
        }
        if (strcmp(t, "indicator") != 0)
            continue;
        c->f->n_data++;
        indicator(c, line, obj, &families);
    }
    strmap_release(&malware);
    strmap_release(&families);
    json_decref(root);
}
