/*
 * Domain lists: one name a line, '#' comments; hosts-file lines
 * "0.0.0.0 name" / "127.0.0.1 name" are accepted too. Names are checked
 * (labels of [a-z0-9-], 1-63 each, 253 in all, punycode for international
 * names), lower-cased, trailing dot removed.
 */
#include <string.h>

#include "base/i18n.h"
#include "base/str.h"
#include "intel/feed_impl.h"

static bool sink_address(const char *p, size_t len)
{
    return str_ieq(p, len, "0.0.0.0") || str_ieq(p, len, "127.0.0.1") || str_ieq(p, len, "::") ||
           str_ieq(p, len, "::1");
}

void feed_domains_line(struct feed_ctx *c, uint32_t line, const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '#' && (i == 0 || p[i - 1] == ' ' || p[i - 1] == '\t')) {
            len = i;
            break;
        }
    }
    str_trim(&p, &len);
    if (len == 0)
        return;
    c->f->n_data++;
    size_t t = 0;
    while (t < len && p[t] != ' ' && p[t] != '\t')
        t++;
    const char *name = p;
    size_t nl = t;
    if (t < len && sink_address(p, t)) {
        name = p + t;
        nl = len - t;
        str_trim(&name, &nl);
        t = 0;
        while (t < nl && name[t] != ' ' && name[t] != '\t')
            t++;
        if (t < nl) {
            char q[FEED_QUOTE_MAX];
            feed_error_add(c, line, "", _("unexpected text after the name: '%s'"),
                           feed_quote(name + t, nl - t, q));
            return;
        }
    } else if (t < len) {
        char q[FEED_QUOTE_MAX];
        feed_error_add(c, line, "", _("unexpected text after the name: '%s'"),
                       feed_quote(p + t, len - t, q));
        return;
    }
    struct indicator ind = {.line = line};
    if (feed_domain_value(c, line, "", name, nl, &ind))
        feed_add(c, &ind);
}
