/*
 * Installed RPM packages from the rpm >= 4.16 database, which keeps one
 * header blob per package in SQLite (/var/lib/rpm/rpmdb.sqlite, table
 * Packages(hnum INTEGER PRIMARY KEY, blob BLOB)). The older Berkeley DB
 * "Packages" file and the ndb backend are not read.
 *
 * A header blob (no lead, no magic) is, all integers big-endian:
 *   int32 il (index entries)   int32 dl (bytes of data)
 *   il x {int32 tag, int32 type, int32 offset, int32 count}
 *   dl bytes of data; an entry's value starts at data + offset.
 * Only NAME (1000), VERSION (1001), RELEASE (1002) and ARCH (1022), all
 * STRING, and EPOCH (1003, INT32) are read; every offset and length is
 * checked against dl and the blob length, so a hostile blob is rejected
 * rather than read out of bounds.
 */
#ifndef VIGIL_AGENT_RPMDB_H
#define VIGIL_AGENT_RPMDB_H

#include <jansson.h>

#include "base/common.h"

#define RPM_MAX_INDEX  65535u      /* index entries in one header */
#define RPM_MAX_BLOB   (64u << 20) /* larger header blobs are skipped */
#define RPM_MAX_STRING 1024u       /* longest name/version/release/arch */

enum {
    RPMTAG_NAME = 1000,
    RPMTAG_VERSION = 1001,
    RPMTAG_RELEASE = 1002,
    RPMTAG_EPOCH = 1003,
    RPMTAG_ARCH = 1022,
};

enum {
    RPM_TYPE_INT32 = 4,
    RPM_TYPE_STRING = 6,
};

/* The fields of one header. The strings point into the parsed blob (valid
 * while it is), are NUL-terminated inside it and valid UTF-8; arch is NULL
 * when the header has none (gpg-pubkey). */
struct rpm_header {
    const char *name, *version, *release, *arch;
    bool has_epoch;
    uint32_t epoch;
};

/* Parse one header blob. Returns 0 and fills *ret, -EBADMSG for a
 * malformed blob (bad counts, an offset or string outside the data, a
 * wanted tag of the wrong type, bad UTF-8) or -ENOENT when NAME, VERSION
 * or RELEASE is missing. *ret is untouched on failure. */
int rpm_header_parse(const uint8_t *p, size_t len, struct rpm_header *ret) WUR;

/* {"name","version":"[epoch:]version-release","arch","source":"rpm"}
 * ("arch" only when known). Never NULL. */
json_t *rpm_header_json(const struct rpm_header *h);

/* Append the packages of the SQLite rpm database at path to arr (at most
 * max items in arr), opened read-only and immutable so that a running rpm
 * is not disturbed. Blobs that do not parse are skipped. Returns the
 * number appended, -ENOENT when there is no database, or -EIO (arr keeps
 * what was appended before the error). */
int rpmdb_read(const char *path, json_t *arr, size_t max) WUR;

#endif
