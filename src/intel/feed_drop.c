/*
 * Spamhaus DROP / EDROP: "CIDR ; SBLnnn" a line, ';' comments; and the
 * JSON-lines variant {"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}
 * whose {"type":"metadata",...} line is not data.
 */
#include <jansson.h>
#include <string.h>

#include "base/i18n.h"
#include "base/str.h"
#include "intel/feed_impl.h"

static void json_line(struct feed_ctx *c, uint32_t line, const char *p, size_t len)
{
    json_error_t jerr;
    json_t *o = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o || !json_is_object(o)) {
        c->f->n_data++;
        feed_error_add(c, line, "", _("bad JSON: %s"), o ? _("not an object") : jerr.text);
        json_decref(o);
        return;
    }
    const char *type = json_string_value(json_object_get(o, "type"));
    if (type && strcmp(type, "metadata") == 0) {
        json_decref(o);
        return;
    }
    c->f->n_data++;
    json_t *cidr = json_object_get(o, "cidr");
    if (!json_is_string(cidr)) {
        feed_error_add(c, line, "cidr", "%s", _("no \"cidr\" string in the object"));
        json_decref(o);
        return;
    }
    struct indicator ind = {.line = line};
    if (feed_ip_value(c, line, "cidr", json_string_value(cidr), json_string_length(cidr), &ind)) {
        json_t *sbl = json_object_get(o, "sblid");
        if (json_is_string(sbl))
            ind.ref = feed_strdup(c, json_string_value(sbl), json_string_length(sbl));
        feed_add(c, &ind);
    }
    json_decref(o);
}

void feed_drop_line(struct feed_ctx *c, uint32_t line, const char *p, size_t len)
{
    str_trim(&p, &len);
    if (len == 0 || p[0] == ';' || p[0] == '#')
        return;
    if (p[0] == '{') {
        json_line(c, line, p, len);
        return;
    }
    c->f->n_data++;
    const char *semi = memchr(p, ';', len);
    const char *v = p, *ref = NULL;
    size_t vl = semi ? (size_t)(semi - p) : len, rl = 0;
    if (semi) {
        ref = semi + 1;
        rl = len - vl - 1;
        str_trim(&ref, &rl);
    }
    str_trim(&v, &vl);
    struct indicator ind = {.line = line};
    if (!feed_ip_value(c, line, "cidr", v, vl, &ind))
        return;
    if (rl > 0) {
        size_t e = 0;
        while (e < rl && ref[e] != ' ' && ref[e] != '\t')
            e++;
        ind.ref = feed_strdup(c, ref, e);
    }
    feed_add(c, &ind);
}
