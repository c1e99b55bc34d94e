/*
 * Blocklist export: a feed's addresses as an nftables script (one IPv4 and
 * one IPv6 interval set), an `ipset restore` file (hash:net sets, family
 * inet and inet6), and its domains as a DNS RPZ zone ("name CNAME ." and
 * "*.name CNAME ."). Prefixes inside another listed prefix are dropped
 * (interval sets reject overlaps); the output is sorted.
 */
#ifndef VIGIL_SENSOR_EXPORT_H
#define VIGIL_SENSOR_EXPORT_H

#include "base/buf.h"
#include "base/common.h"
#include "base/err.h"
#include "intel/feed.h"

enum export_format { EXPORT_NFT = 1, EXPORT_IPSET, EXPORT_RPZ };

/* Longest set name accepted (ipset allows 31 bytes with the "4"/"6"). */
#define EXPORT_SET_NAME_MAX 28

struct export_stats {
    size_t n_v4, n_v6; /* prefixes written */
    size_t n_domains;  /* names written */
    size_t n_covered;  /* prefixes dropped: inside another listed one */
    size_t n_skipped;  /* indicators the format cannot hold (/0 for ipset,
                          names for nft/ipset, addresses for rpz, hashes) */
};

/* "nft", "ipset", "rpz" -> format; -EINVAL otherwise. */
int export_format_parse(const char *s, enum export_format *ret) WUR;

/* True for a set name: [A-Za-z0-9_-]{1,EXPORT_SET_NAME_MAX}, starting with a letter. */
bool export_set_name_ok(const char *s);

/*
 * Write f's indicators in format fmt to out. set_name names the sets
 * (set_name + "4" / "6") or, for rpz, is unused; serial is the RPZ SOA
 * serial. Returns 0 or -E2BIG (out's cap).
 */
int export_write(const struct feed *f, enum export_format fmt, const char *set_name,
                 uint32_t serial, struct buf *out, struct export_stats *ret_stats) WUR;

/* `vigil-sensor export --list FILE --format nft|ipset|rpz [--set-name N]
 * [--list-format F] [-o OUT]`; returns the exit code. */
int sensor_cmd_export(int argc, char **argv);

#endif
