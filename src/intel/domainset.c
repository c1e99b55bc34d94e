/* Domain names and domain sets (domainset.h). */
#include <string.h>

#include "base/arena.h"
#include "base/hashmap.h"
#include "base/i18n.h"
#include "intel/domainset.h"

const char *domain_strerror(enum domain_err e)
{
    switch (e) {
    case DOMAIN_OK:
        return _("valid");
    case DOMAIN_E_EMPTY:
        return _("empty name");
    case DOMAIN_E_LONG:
        return _("name longer than 253 characters");
    case DOMAIN_E_LABEL:
        return _("empty label or label longer than 63 characters");
    case DOMAIN_E_CHAR:
        return _("character outside a-z, 0-9 and '-'");
    case DOMAIN_E_HYPHEN:
        return _("label starts or ends with '-'");
    case DOMAIN_E_NUMERIC:
        return _("last label is all digits (an address, not a name)");
    case DOMAIN_E_NONASCII:
        return _("non-ASCII name: write it as punycode (xn--)");
    }
    return _("invalid name");
}

enum domain_err domain_normalize(const char *p, size_t len, char out[static DOMAIN_MAX + 1],
                                 size_t *ret_len)
{
    if (len > 0 && p[len - 1] == '.')
        len--;
    if (len == 0)
        return DOMAIN_E_EMPTY;
    if (len > DOMAIN_MAX)
        return DOMAIN_E_LONG;
    char tmp[DOMAIN_MAX + 1];
    size_t label = 0;
    bool all_digits = true;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || p[i] == '.') {
            if (label == 0 || label > 63)
                return DOMAIN_E_LABEL;
            if (tmp[i - 1] == '-' || tmp[i - label] == '-')
                return DOMAIN_E_HYPHEN;
            if (i < len) {
                tmp[i] = '.';
                label = 0;
                all_digits = true;
            }
            continue;
        }
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x80)
            return DOMAIN_E_NONASCII;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return DOMAIN_E_CHAR;
        if (c < '0' || c > '9')
            all_digits = false;
        tmp[i] = (char)c;
        label++;
    }
    if (all_digits)
        return DOMAIN_E_NUMERIC;
    memcpy(out, tmp, len);
    out[len] = '\0';
    *ret_len = len;
    return DOMAIN_OK;
}

/* ---- the set ---- */

enum { F_EXACT = 1, F_SUFFIX = 2 };

struct ds_entry {
    const char *name;
    uint64_t hash;
    uint32_t len;
    uint32_t value_exact;
    uint32_t value_suffix;
    uint8_t flags;
};

struct domainset {
    struct ds_entry *e;
    size_t n, alloc;
    uint32_t *slots; /* entry index + 1; 0 empty */
    size_t mask;
    struct arena names;
    uint64_t seed;
};

#define STEP_PRIME 0x100000001b3ULL

/* Names are hashed from their last character backwards, so the hash of
 * every suffix falls out of one pass over a looked-up name. */
static inline uint64_t step(uint64_t h, unsigned char c)
{
    return (h ^ c) * STEP_PRIME;
}

static inline uint64_t finish(uint64_t h, size_t suffix_len)
{
    return hash_u64(h ^ ((uint64_t)suffix_len << 32));
}

static uint64_t name_hash(const struct domainset *s, const char *p, size_t len)
{
    uint64_t h = s->seed;
    for (size_t i = len; i-- > 0;)
        h = step(h, (unsigned char)p[i]);
    return finish(h, len);
}

struct domainset *domainset_new(void)
{
    struct domainset *s = xcalloc(1, sizeof(*s));
    arena_init(&s->names, 0);
    s->seed = hash_u64((uint64_t)(uintptr_t)s ^ 0x9e3779b97f4a7c15ULL);
    return s;
}

void domainset_free(struct domainset *s)
{
    if (!s)
        return;
    free(s->e);
    free(s->slots);
    arena_release(&s->names);
    free(s);
}

size_t domainset_count(const struct domainset *s)
{
    return s->n;
}

static struct ds_entry *find(const struct domainset *s, const char *p, size_t len, uint64_t h)
{
    if (!s->slots)
        return NULL;
    for (size_t i = h & s->mask;; i = (i + 1) & s->mask) {
        uint32_t v = s->slots[i];
        if (v == 0)
            return NULL;
        struct ds_entry *e = &s->e[v - 1];
        if (e->hash == h && e->len == len && memcmp(e->name, p, len) == 0)
            return e;
    }
}

static void rehash(struct domainset *s, size_t n_slots)
{
    free(s->slots);
    s->slots = xcalloc(n_slots, sizeof(*s->slots));
    s->mask = n_slots - 1;
    for (size_t k = 0; k < s->n; k++) {
        size_t i = s->e[k].hash & s->mask;
        while (s->slots[i])
            i = (i + 1) & s->mask;
        s->slots[i] = (uint32_t)(k + 1);
    }
}

int domainset_add(struct domainset *s, const char *name, size_t len, enum domainset_match m,
                  uint32_t value)
{
    char norm[DOMAIN_MAX + 1];
    size_t n;
    if (domain_normalize(name, len, norm, &n) != DOMAIN_OK)
        return -EINVAL;
    if (m != DOMAINSET_EXACT && m != DOMAINSET_SUFFIX)
        return -EINVAL;
    uint8_t flag = m == DOMAINSET_EXACT ? F_EXACT : F_SUFFIX;
    uint64_t h = name_hash(s, norm, n);
    struct ds_entry *e = find(s, norm, n, h);
    if (!e) {
        if (s->n >= (size_t)INT32_MAX)
            return -E2BIG;
        if ((s->n + 1) * 2 > s->mask + 1 || !s->slots)
            rehash(s, s->slots ? (s->mask + 1) * 2 : 64);
        const char *copy = arena_strndup(&s->names, norm, n);
        if (!copy)
            return -ENOMEM;
        if (s->n == s->alloc) {
            s->alloc = s->alloc ? s->alloc * 2 : 32;
            s->e = xreallocarray(s->e, s->alloc, sizeof(*s->e));
        }
        e = &s->e[s->n++];
        *e = (struct ds_entry){.name = copy, .hash = h, .len = (uint32_t)n};
        size_t i = h & s->mask;
        while (s->slots[i])
            i = (i + 1) & s->mask;
        s->slots[i] = (uint32_t)s->n;
    }
    if (!(e->flags & flag)) {
        e->flags |= flag;
        if (flag == F_EXACT)
            e->value_exact = value;
        else
            e->value_suffix = value;
    }
    return 0;
}

bool domainset_lookup(const struct domainset *s, const char *name, size_t len, uint32_t *ret_value)
{
    char norm[DOMAIN_MAX + 1];
    size_t n;
    if (s->n == 0 || domain_normalize(name, len, norm, &n) != DOMAIN_OK)
        return false;
    /* Hash every suffix that starts a label, from the shortest; keep the
     * longest hit. */
    bool found = false;
    uint32_t best = 0;
    uint64_t h = s->seed;
    for (size_t i = n; i-- > 0;) {
        h = step(h, (unsigned char)norm[i]);
        if (i > 0 && norm[i - 1] != '.')
            continue;
        size_t sl = n - i;
        struct ds_entry *e = find(s, norm + i, sl, finish(h, sl));
        if (!e)
            continue;
        if (i == 0 && (e->flags & F_EXACT)) {
            best = e->value_exact;
            found = true;
        } else if (e->flags & F_SUFFIX) {
            best = e->value_suffix;
            found = true;
        }
    }
    if (found && ret_value)
        *ret_value = best;
    return found;
}
