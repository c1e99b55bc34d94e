/*
 * struct hashset: exact sets of file digests (MD5, SHA-1, SHA-256), each
 * with a caller-chosen uint32 value. The digest length (16, 20 or 32 bytes)
 * says which kind it is. Lookups do not modify the set and may run from any
 * number of threads once adding is done.
 */
#ifndef VIGIL_INTEL_HASHSET_H
#define VIGIL_INTEL_HASHSET_H

#include "base/common.h"

struct hashset;

struct hashset *hashset_new(void);
/* Accepts NULL. */
void hashset_free(struct hashset *s);

/* Add a raw digest of len 16, 20 or 32 bytes. Adding the same digest again
 * keeps the first value. Returns 0, -EINVAL for another length, -E2BIG past
 * 2^31 digests of one kind. */
int hashset_add(struct hashset *s, const uint8_t *digest, size_t len, uint32_t value) WUR;
/* Add a digest written as 32, 40 or 64 hex digits (any case). Returns 0 or
 * -EINVAL (not a digest), -E2BIG. */
int hashset_add_hex(struct hashset *s, const char *hex, size_t len, uint32_t value) WUR;

/* True if the digest is in the set; sets *ret_value (if not NULL). */
bool hashset_lookup(const struct hashset *s, const uint8_t *digest, size_t len,
                    uint32_t *ret_value);

/* Digests stored, all kinds together. */
size_t hashset_count(const struct hashset *s);

#endif
