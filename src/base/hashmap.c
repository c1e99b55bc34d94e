/* Open-addressing string map (hashmap.h). */
#include <string.h>

#include "base/hashmap.h"

struct strmap_slot {
    char *key; /* NULL: empty; TOMBSTONE: deleted */
    size_t key_len;
    uint64_t hash;
    void *value;
};

static char tombstone_;
#define TOMBSTONE (&tombstone_)

uint64_t hash_bytes(const void *vp, size_t len, uint64_t seed)
{
    const uint8_t *p = vp;
    uint64_t h = seed ^ (0x9e3779b97f4a7c15ULL * (len + 1));
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = hash_u64(h ^ w) * 0x9e3779b97f4a7c15ULL;
        p += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, len);
    return hash_u64(h ^ w ^ ((uint64_t)len << 56));
}

void strmap_init(struct strmap *m)
{
    m->slots = NULL;
    m->n = 0;
    m->alloc = 0;
}

void strmap_release(struct strmap *m)
{
    for (size_t i = 0; i < m->alloc; i++)
        if (m->slots[i].key && m->slots[i].key != TOMBSTONE)
            free(m->slots[i].key);
    free(m->slots);
    strmap_init(m);
}

static struct strmap_slot *find(const struct strmap *m, const void *key, size_t key_len,
                                uint64_t h, struct strmap_slot **ret_free)
{
    struct strmap_slot *first_free = NULL;
    size_t mask = m->alloc - 1;
    for (size_t i = h & mask, probes = 0; probes < m->alloc; i = (i + 1) & mask, probes++) {
        struct strmap_slot *s = &m->slots[i];
        if (!s->key) {
            if (!first_free)
                first_free = s;
            break;
        }
        if (s->key == TOMBSTONE) {
            if (!first_free)
                first_free = s;
            continue;
        }
        if (s->hash == h && s->key_len == key_len && memcmp(s->key, key, key_len) == 0)
            return s;
    }
    if (ret_free)
        *ret_free = first_free;
    return NULL;
}

static void grow(struct strmap *m)
{
    struct strmap_slot *old = m->slots;
    size_t old_alloc = m->alloc;
    m->alloc = old_alloc ? old_alloc * 2 : 16;
    m->slots = xcalloc(m->alloc, sizeof(*m->slots));
    for (size_t i = 0; i < old_alloc; i++) {
        if (!old[i].key || old[i].key == TOMBSTONE)
            continue;
        size_t mask = m->alloc - 1;
        size_t j = old[i].hash & mask;
        while (m->slots[j].key)
            j = (j + 1) & mask;
        m->slots[j] = old[i];
    }
    free(old);
}

int strmap_put(struct strmap *m, const void *key, size_t key_len, void *value, void **ret_old)
{
    /* Grow at 50% load counting tombstones conservatively via n. */
    if ((m->n + 1) * 2 > m->alloc)
        grow(m);
    uint64_t h = hash_bytes(key, key_len, 0);
    struct strmap_slot *free_slot = NULL;
    struct strmap_slot *s = find(m, key, key_len, h, &free_slot);
    if (s) {
        if (ret_old)
            *ret_old = s->value;
        s->value = value;
        return 0;
    }
    if (!free_slot) {
        grow(m);
        find(m, key, key_len, h, &free_slot);
    }
    free_slot->key = xstrndup(key, key_len);
    free_slot->key_len = key_len;
    free_slot->hash = h;
    free_slot->value = value;
    m->n++;
    return 1;
}

void *strmap_get(const struct strmap *m, const void *key, size_t key_len)
{
    if (!m->alloc)
        return NULL;
    struct strmap_slot *s = find(m, key, key_len, hash_bytes(key, key_len, 0), NULL);
    return s ? s->value : NULL;
}

void *strmap_del(struct strmap *m, const void *key, size_t key_len)
{
    if (!m->alloc)
        return NULL;
    struct strmap_slot *s = find(m, key, key_len, hash_bytes(key, key_len, 0), NULL);
    if (!s)
        return NULL;
    void *v = s->value;
    free(s->key);
    s->key = TOMBSTONE;
    s->value = NULL;
    m->n--;
    return v;
}

bool strmap_next(const struct strmap *m, size_t *iter, const char **ret_key, size_t *ret_key_len,
                 void **ret_value)
{
    for (size_t i = *iter; i < m->alloc; i++) {
        struct strmap_slot *s = &m->slots[i];
        if (s->key && s->key != TOMBSTONE) {
            *iter = i + 1;
            if (ret_key)
                *ret_key = s->key;
            if (ret_key_len)
                *ret_key_len = s->key_len;
            if (ret_value)
                *ret_value = s->value;
            return true;
        }
    }
    *iter = m->alloc;
    return false;
}
