/*
 * File-hash feeds: one MD5, SHA-1 or SHA-256 (32, 40 or 64 hex digits) a
 * line with '#' comments; or MalwareBazaar-style CSV, whose header (often
 * commented out with '#') names sha256_hash, md5_hash, sha1_hash and
 * signature (the malware family) columns. Each hash in a row is one
 * indicator.
 */
#include <string.h>

#include "base/i18n.h"
#include "base/str.h"
#include "intel/feed_impl.h"

struct hashes_state {
    struct csv_state csv;
    bool decided; /* plain list or CSV */
    bool csv_mode;
};

size_t feed_hashes_state_size(void)
{
    return sizeof(struct hashes_state);
}

static bool names_hash_column(const char *p, size_t len)
{
    return memmem(p, len, "sha256", 6) || memmem(p, len, "md5", 3) || memmem(p, len, "sha1", 4) ||
           memmem(p, len, "SHA256", 6) || memmem(p, len, "MD5", 3) || memmem(p, len, "SHA1", 4);
}

void feed_hashes_line(struct feed_ctx *c, uint32_t line, const char *p, size_t len)
{
    struct hashes_state *h = c->reader;
    const char *q = p;
    size_t n = len;
    str_trim(&q, &n);
    if (n == 0)
        return;
    if (q[0] == '#') {
        q++;
        n--;
        str_trim(&q, &n);
        if (!h->decided && n > 0 && (q[0] == '"' || memchr(q, ',', n)) && names_hash_column(q, n)) {
            csv_state_init(&h->csv);
            if (csv_header(c, &h->csv, q, n)) {
                h->decided = true;
                h->csv_mode = true;
            }
        }
        return;
    }
    if (h->csv_mode) {
        csv_row(c, &h->csv, line, p, len);
        return;
    }
    if (!h->decided) {
        h->decided = true;
        if (names_hash_column(q, n)) {
            csv_state_init(&h->csv);
            if (csv_header(c, &h->csv, q, n)) {
                h->csv_mode = true;
                return;
            }
        }
    }
    c->f->n_data++;
    for (size_t i = 1; i < n; i++) {
        if (q[i] == '#' && (q[i - 1] == ' ' || q[i - 1] == '\t')) {
            n = i;
            str_trim(&q, &n);
            break;
        }
    }
    size_t t = 0;
    while (t < n && q[t] != ' ' && q[t] != '\t')
        t++;
    if (t < n) {
        char qb[FEED_QUOTE_MAX];
        feed_error_add(c, line, "", _("unexpected text after the hash: '%s'"),
                       feed_quote(q + t, n - t, qb));
        return;
    }
    struct indicator ind = {.line = line};
    if (feed_hash_value(c, line, "", q, t, &ind))
        feed_add(c, &ind);
}
