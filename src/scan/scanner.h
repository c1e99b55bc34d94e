/*
 * struct scanner: one thread's file scanner. A file is read once into the
 * scanner's buffer; that one copy is hashed (OpenSSL EVP: the digest kinds
 * the hash lists hold, all three when a file is detected) and matched
 * against the YARA rules (yr_scanner_scan_mem) with the external variables
 * set for the file. Create one scanner per thread over shared rules.
 */
#ifndef VIGIL_SCAN_SCANNER_H
#define VIGIL_SCAN_SCANNER_H

#include <sys/stat.h>

#include "base/common.h"
#include "base/err.h"
#include "scan/hashes.h"
#include "scan/rules.h"

#define SCAN_MAX_FILE_SIZE     ((uint64_t)1 << 30) /* largest file ever read */
#define SCAN_DEFAULT_FILE_SIZE ((uint64_t)128 << 20)
#define SCAN_MAX_HITS          64 /* rule names kept per file */

struct scan_result {
    const char *path;
    uint64_t size; /* bytes scanned */
    bool have_hashes;
    uint8_t md5[16], sha1[20], sha256[32]; /* when have_hashes */
    const char *rules[SCAN_MAX_HITS];      /* matching rules (live as long as the rules) */
    size_t n_rules;
    size_t n_rules_total;   /* rules matched, counting those past SCAN_MAX_HITS */
    const char *hash_match; /* detection name from the hash lists, or NULL */
    bool changed;           /* the file's size changed while it was read */
    bool timeout;           /* the rules timed out on this file */
};

static inline bool scan_result_detected(const struct scan_result *r)
{
    return r->n_rules_total > 0 || r->hash_match != NULL;
}

struct scanner;

/* A scanner over rules and hashes (either may be NULL; both outlive the
 * scanner). timeout_s bounds the rules' time on one file (0: 60 s).
 * Returns NULL with e set on failure. */
struct scanner *scanner_new(const struct scan_rules *rules, const struct scan_hashes *hashes,
                            int timeout_s, struct verr *e);
/* Accepts NULL. */
void scanner_free(struct scanner *s);

/*
 * Scan the open regular file fd, whose fstat is st, as path (used for the
 * externals and in the result). Reads at most SCAN_MAX_FILE_SIZE bytes.
 * Fills *ret (valid until the next call). Returns 0 (clean or detected: see
 * scan_result_detected), -EIO on a read error, -EFBIG if the file is larger
 * than SCAN_MAX_FILE_SIZE, -ENOMEM, -EPROTO on a libyara error.
 */
int scanner_scan_fd(struct scanner *s, int fd, const char *path, const struct stat *st,
                    struct scan_result *ret) WUR;

/* Scan a buffer as if it were the file path owned by uid. Same returns. */
int scanner_scan_mem(struct scanner *s, const uint8_t *p, size_t len, const char *path, uid_t uid,
                     struct scan_result *ret) WUR;

/* Bytes this scanner has read from files, in total. */
uint64_t scanner_bytes_read(const struct scanner *s);

/* The filetype external for a buffer: "EXE", "ELF", "PDF", "RTF", "ZIP",
 * "Java" or "". */
const char *scan_filetype(const uint8_t *p, size_t len);

#endif
