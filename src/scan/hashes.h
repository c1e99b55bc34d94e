/*
 * struct scan_hashes: file-hash IOCs (MD5, SHA-1, SHA-256) loaded from
 * intel feeds (intel/feed.h: plain hash lists, MalwareBazaar-style CSV,
 * STIX 2.1 bundles with file hash patterns), each with the name reported
 * when a file matches (the malware family, else "hash:<list file name>").
 * Read-only after loading; lookups may run from any number of threads.
 */
#ifndef VIGIL_SCAN_HASHES_H
#define VIGIL_SCAN_HASHES_H

#include "base/common.h"
#include "base/err.h"

#define SCAN_HASHES_MAX_FILE ((size_t)1 << 31) /* bytes of one list */

struct scan_hashes;

struct scan_hashes *scan_hashes_new(void);
/* Accepts NULL. */
void scan_hashes_free(struct scan_hashes *h);

/*
 * Add the hash indicators of the feed file at path (format detected:
 * FEED_HASHES, FEED_CSV or FEED_STIX); other indicator kinds are ignored.
 * Returns 0, or a negative code with e naming the file (and line): -ENOENT,
 * -EFBIG, the codes of feed_parse, -ENODATA when the file holds no hashes.
 */
int scan_hashes_load_file(struct scan_hashes *h, const char *path, struct verr *e) WUR;

/* Add the hash indicators of a feed document (p, len); name_if_none is
 * reported for hashes without a family. Same returns as above. */
int scan_hashes_load_mem(struct scan_hashes *h, const uint8_t *p, size_t len,
                         const char *name_if_none, struct verr *e) WUR;

/* Look up the three digests of one file; returns the detection name of the
 * first that is listed (SHA-256, then SHA-1, then MD5), or NULL. A digest
 * pointer may be NULL (not computed). The name lives as long as h. */
const char *scan_hashes_match(const struct scan_hashes *h, const uint8_t md5[16],
                              const uint8_t sha1[20], const uint8_t sha256[32]);

enum { SCAN_HASH_MD5 = 1, SCAN_HASH_SHA1 = 2, SCAN_HASH_SHA256 = 4 };
/* Which kinds of digest the lists hold (SCAN_HASH_* bits): the scanner
 * computes only those while scanning. */
unsigned scan_hashes_kinds(const struct scan_hashes *h);

/* Digests held. */
size_t scan_hashes_count(const struct scan_hashes *h);

/* SHA-256 over every document loaded, in order. */
const uint8_t *scan_hashes_version(const struct scan_hashes *h);

#endif
