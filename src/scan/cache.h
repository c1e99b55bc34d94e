/*
 * struct scan_cache: files found clean, keyed by (device, inode, size,
 * mtime, ctime) under one rules version, so unchanged files are not read
 * again. Kept in one binary file, <dir>/scan-cache.bin (0600):
 *
 *   "VGSCACH1" | rules version (32) | count (u64 LE) | count x entry | SHA-256
 *   entry = dev, ino, size, mtime_ns, ctime_ns (5 x u64 LE)
 *
 * The trailing SHA-256 covers everything before it; a file that fails it,
 * or was written under other rules, is ignored (everything is rescanned).
 * Lookups are read-only and may run from many threads; adding is not
 * thread-safe.
 */
#ifndef VIGIL_SCAN_CACHE_H
#define VIGIL_SCAN_CACHE_H

#include <sys/stat.h>

#include "base/common.h"
#include "base/err.h"
#include "scan/hashes.h"
#include "scan/rules.h"

#define SCAN_CACHE_MAX_ENTRIES ((size_t)4 << 20)
#define SCAN_CACHE_FILE        "scan-cache.bin"

struct scan_cache_key {
    uint64_t dev, ino, size;
    int64_t mtime_ns, ctime_ns;
};

void scan_cache_key_from_stat(const struct stat *st, struct scan_cache_key *ret);

struct scan_cache;

/* The version a cache is kept under: SHA-256 of the rules' and the hash
 * lists' versions (either may be NULL), i.e. of what "clean" was checked
 * with. */
void scan_cache_version_of(const struct scan_rules *rules, const struct scan_hashes *hashes,
                           uint8_t out[static 32]);

/* An empty cache for rules version (32 bytes). */
struct scan_cache *scan_cache_new(const uint8_t version[32]);
/* Accepts NULL. */
void scan_cache_free(struct scan_cache *c);

/* Load entries from a cache file's bytes. Returns 0, -EBADMSG (malformed or
 * a bad checksum: nothing loaded), -ESTALE (another rules version: nothing
 * loaded), -E2BIG (more than SCAN_CACHE_MAX_ENTRIES). */
int scan_cache_parse(struct scan_cache *c, const uint8_t *p, size_t len) WUR;

/* Load dir/scan-cache.bin; a missing file is an empty cache (0). Other
 * returns as scan_cache_parse, or -errno reading the file. */
int scan_cache_load(struct scan_cache *c, const char *dir, struct verr *e) WUR;

/* True if the key is cached. */
bool scan_cache_has(const struct scan_cache *c, const struct scan_cache_key *k);

/* Add a key. Past SCAN_CACHE_MAX_ENTRIES the oldest half is forgotten. */
void scan_cache_add(struct scan_cache *c, const struct scan_cache_key *k);

size_t scan_cache_count(const struct scan_cache *c);

/* Serialise into a malloc'd buffer (the file format above). */
void scan_cache_serialize(const struct scan_cache *c, uint8_t **ret, size_t *ret_len);

/* Write dir/scan-cache.bin atomically, creating dir (0700) if needed.
 * Returns 0 or -errno with e naming the file. */
int scan_cache_save(const struct scan_cache *c, const char *dir, struct verr *e) WUR;

#endif
