/*
 * Quarantine: detected files move into a root-only store (0700), encrypted
 * with a per-host key (AES-256-GCM; key file 0600, created on first use),
 * each with a JSON sidecar of what is needed to put it back exactly.
 *
 *   <dir>/host.key     32 random bytes
 *   <dir>/<id>.vq      "VGQ1" | nonce (12) | ciphertext | GCM tag (16);
 *                      the additional data is "VGQ1" and the id
 *   <dir>/<id>.json    struct quar_meta
 *
 * Adding renames the file into the store when it can (same filesystem),
 * else copies it (encrypting) with fsync and unlinks the original; either
 * way the plaintext is never left readable outside the store. Restoring
 * writes a temporary file beside the destination with the original owner,
 * group, mode and times, checks its SHA-256, and renames it into place
 * without replacing anything: it refuses when the destination exists (a
 * symlink or any other file). Nothing is ever deleted except by purge.
 */
#ifndef VIGIL_SCAN_QUARANTINE_H
#define VIGIL_SCAN_QUARANTINE_H

#include <sys/types.h>

#include "base/common.h"
#include "base/err.h"

#define QUAR_ID_LEN      32 /* hex digits */
#define QUAR_META_MAX    (64u << 10)
#define QUAR_TEXT_MAX    4096 /* path, detection, scan id */
#define QUAR_DEFAULT_DIR "/var/lib/vigil/quarantine"

struct quar_meta {
    char id[QUAR_ID_LEN + 1];
    char *path;              /* the original absolute path */
    uint32_t uid, gid, mode; /* mode: permission bits (07777) */
    int64_t atime_ns, mtime_ns;
    uint64_t size;
    char md5[33], sha1[41], sha256[65]; /* lower-case hex of the plaintext */
    char *detection;                    /* rule or hash list name; may be "" */
    char *scan_id;                      /* may be "" */
    int64_t time;                       /* quarantined at, Unix seconds */
};

/* Free the strings of m. */
void quar_meta_release(struct quar_meta *m);

/* Parse a sidecar document (at most QUAR_META_MAX bytes). Every field is
 * required and checked (id and digests hex of the right length, path
 * absolute, texts at most QUAR_TEXT_MAX bytes, mode within 07777). Returns 0
 * with *ret filled (release with quar_meta_release), or -EINVAL with e. */
int quar_meta_parse(const uint8_t *p, size_t len, struct quar_meta *ret, struct verr *e) WUR;

/* Encode m as a JSON document (malloc'd, NUL-terminated). */
char *quar_meta_encode(const struct quar_meta *m);

/* Where quarantine may act: under one of roots (after resolving symlinks)
 * and outside the critical system directories (/bin, /sbin, /usr, /lib*,
 * /etc, /boot, /proc, /sys, /dev), unless force. */
struct quar_policy {
    const char *const *roots;
    size_t n_roots;
    bool force;
};

/* 0 if path may be quarantined under p, else -EPERM with e saying why, or
 * -errno resolving it. */
int quar_check_path(const char *path, const struct quar_policy *p, struct verr *e) WUR;

struct quar_store;

/* Open (creating, 0700) the store at dir and load or create its key.
 * Refuses (-EPERM) a store directory or key readable by group or others.
 * Returns 0 with *ret, or -errno with e. */
int quar_open(const char *dir, struct quar_store **ret, struct verr *e) WUR;
/* Accepts NULL. */
void quar_close(struct quar_store *q);

/* Quarantine the regular file path (not a symlink) under policy p.
 * detection and scan_id may be NULL. On success fills *ret_meta when not
 * NULL (release it) and returns 0; else -errno with e, and the file is
 * where it was. */
int quar_add(struct quar_store *q, const char *path, const char *detection, const char *scan_id,
             const struct quar_policy *p, struct quar_meta *ret_meta, struct verr *e) WUR;

/* Put item id back where it came from, exactly, and remove it from the
 * store. Returns 0; -ENOENT (no such item), -EEXIST (the destination
 * exists), -ELOOP (it is a symlink), -EBADMSG (the item fails
 * authentication or its digest), -errno, with e set. */
int quar_restore(struct quar_store *q, const char *id, struct verr *e) WUR;

/* Call fn for every item, oldest first. Unreadable sidecars are skipped
 * and counted in *ret_bad (if not NULL). Returns 0 or -errno. */
int quar_list(struct quar_store *q, void (*fn)(const struct quar_meta *m, void *ud), void *ud,
              size_t *ret_bad, struct verr *e) WUR;

/* Delete items quarantined before now - older_than_s seconds. Sets
 * *ret_n to the number deleted. Returns 0 or -errno. */
int quar_purge(struct quar_store *q, int64_t older_than_s, size_t *ret_n, struct verr *e) WUR;

#endif
