/* Digest sets (hashset.h): one open-addressing table per digest length. */
#include <string.h>

#include "base/hashmap.h"
#include "base/str.h"
#include "intel/hashset.h"

struct htab {
    uint8_t *keys; /* key_len bytes per slot */
    uint32_t *values;
    uint8_t *used;
    size_t n, mask; /* mask + 1 slots; 0 slots before the first add */
    size_t key_len;
};

struct hashset {
    struct htab t[3]; /* MD5, SHA-1, SHA-256 */
    uint64_t seed;
};

static struct htab *table(const struct hashset *s, size_t len)
{
    switch (len) {
    case 16:
        return (struct htab *)&s->t[0];
    case 20:
        return (struct htab *)&s->t[1];
    case 32:
        return (struct htab *)&s->t[2];
    default:
        return NULL;
    }
}

struct hashset *hashset_new(void)
{
    struct hashset *s = xcalloc(1, sizeof(*s));
    s->t[0].key_len = 16;
    s->t[1].key_len = 20;
    s->t[2].key_len = 32;
    s->seed = hash_u64((uint64_t)(uintptr_t)s ^ 0x2545f4914f6cdd1dULL);
    return s;
}

static void htab_release(struct htab *t)
{
    free(t->keys);
    free(t->values);
    free(t->used);
}

void hashset_free(struct hashset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < ARRAY_SIZE(s->t); i++)
        htab_release(&s->t[i]);
    free(s);
}

size_t hashset_count(const struct hashset *s)
{
    return s->t[0].n + s->t[1].n + s->t[2].n;
}

/* Slot holding digest d, or the empty slot where it would go. */
static size_t probe(const struct htab *t, uint64_t seed, const uint8_t *d, bool *ret_found)
{
    size_t i = hash_bytes(d, t->key_len, seed) & t->mask;
    while (t->used[i]) {
        if (memcmp(t->keys + i * t->key_len, d, t->key_len) == 0) {
            *ret_found = true;
            return i;
        }
        i = (i + 1) & t->mask;
    }
    *ret_found = false;
    return i;
}

static void grow(struct htab *t, uint64_t seed)
{
    struct htab old = *t;
    size_t n_slots = old.used ? (old.mask + 1) * 2 : 64;
    t->keys = xreallocarray(NULL, n_slots, t->key_len);
    t->values = xreallocarray(NULL, n_slots, sizeof(*t->values));
    t->used = xcalloc(n_slots, 1);
    t->mask = n_slots - 1;
    if (old.used) {
        for (size_t i = 0; i <= old.mask; i++) {
            if (!old.used[i])
                continue;
            bool found;
            size_t j = probe(t, seed, old.keys + i * t->key_len, &found);
            memcpy(t->keys + j * t->key_len, old.keys + i * t->key_len, t->key_len);
            t->values[j] = old.values[i];
            t->used[j] = 1;
        }
    }
    htab_release(&old);
}

int hashset_add(struct hashset *s, const uint8_t *digest, size_t len, uint32_t value)
{
    struct htab *t = table(s, len);
    if (!t)
        return -EINVAL;
    if (t->n >= (size_t)INT32_MAX)
        return -E2BIG;
    if (!t->used || (t->n + 1) * 2 > t->mask + 1)
        grow(t, s->seed);
    bool found;
    size_t i = probe(t, s->seed, digest, &found);
    if (found)
        return 0;
    memcpy(t->keys + i * t->key_len, digest, len);
    t->values[i] = value;
    t->used[i] = 1;
    t->n++;
    return 0;
}

int hashset_add_hex(struct hashset *s, const char *hex, size_t len, uint32_t value)
{
    uint8_t d[32];
    if ((len != 32 && len != 40 && len != 64) || hex_decode(hex, len, d, len / 2) < 0)
        return -EINVAL;
    return hashset_add(s, d, len / 2, value);
}

bool hashset_lookup(const struct hashset *s, const uint8_t *digest, size_t len, uint32_t *ret_value)
{
    const struct htab *t = table(s, len);
    if (!t || t->n == 0)
        return false;
    bool found;
    size_t i = probe(t, s->seed, digest, &found);
    if (found && ret_value)
        *ret_value = t->values[i];
    return found;
}
