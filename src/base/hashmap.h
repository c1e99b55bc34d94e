/*
 * struct strmap: open-addressing hash map from byte-string keys to void *
 * values. Keys are copied into the map; values are owned by the caller.
 * Used for modest tables (column names, templates, config); the intel sets
 * have their own specialised tables.
 */
#ifndef VIGIL_BASE_HASHMAP_H
#define VIGIL_BASE_HASHMAP_H

#include "base/common.h"

struct strmap_slot;

struct strmap {
    struct strmap_slot *slots;
    size_t n;     /* entries */
    size_t alloc; /* slots, a power of two */
};

void strmap_init(struct strmap *m);
/* Free the map's keys and slots (not the values). */
void strmap_release(struct strmap *m);
/* Insert or replace. Returns 1 if added, 0 if replaced (old value in
 * *ret_old when ret_old is not NULL). */
int strmap_put(struct strmap *m, const void *key, size_t key_len, void *value, void **ret_old);
/* Value for key, or NULL. */
void *strmap_get(const struct strmap *m, const void *key, size_t key_len);
/* Remove; returns the value or NULL. */
void *strmap_del(struct strmap *m, const void *key, size_t key_len);

/* Iterate: for (size_t it = 0; strmap_next(m, &it, &k, &kl, &v);) */
bool strmap_next(const struct strmap *m, size_t *iter, const char **ret_key, size_t *ret_key_len,
                 void **ret_value);

/* 64-bit hash of bytes (wyhash-style mixing; not for adversarial keys unless
 * seeded). */
uint64_t hash_bytes(const void *p, size_t len, uint64_t seed);
static inline uint64_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

#endif
