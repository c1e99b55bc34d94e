/*
 * IPv4 and IPv6 addresses and CIDR prefixes: strict parsing and formatting.
 *
 * Strict means: IPv4 is exactly four decimal octets 0..255 with no leading
 * zeros ("010.1.1.1" is rejected: octal or decimal is ambiguous), no
 * trailing junk; IPv6 is RFC 4291 text (one "::" at most, 1-4 hex digits a
 * group, an embedded dotted IPv4 tail allowed, no zone id); prefix lengths
 * are decimal without leading zeros, <= 32 / <= 128.
 *
 * IPv4 is kept as a host-order uint32; IPv6 as two host-order uint64 halves
 * (hi = first 8 bytes), so comparisons and masks are integer operations.
 */
#ifndef VIGIL_BASE_ADDR_H
#define VIGIL_BASE_ADDR_H

#include "base/bytes.h"
#include "base/common.h"

enum { ADDR_V4 = 4, ADDR_V6 = 6 };

struct ip_addr {
    uint8_t family; /* ADDR_V4 or ADDR_V6 */
    union {
        uint32_t v4;
        struct {
            uint64_t hi, lo;
        } v6;
    };
};

struct ip_prefix {
    struct ip_addr addr; /* host bits are zero */
    uint8_t len;         /* 0..32 or 0..128 */
};

/* Longest text forms, including NUL. */
#define IP_ADDR_STRLEN 46
#define IP_PREFIX_STRLEN 50

/* Why a parse failed; ip_strerror() names it (translated). */
enum addr_err {
    ADDR_OK = 0,
    ADDR_E_EMPTY,
    ADDR_E_SYNTAX,     /* not an address at all */
    ADDR_E_OCTET,      /* IPv4 octet > 255 */
    ADDR_E_LEADZERO,   /* IPv4 octet with a leading zero */
    ADDR_E_V6GROUP,    /* IPv6 group too long / bad "::" */
    ADDR_E_PREFIXLEN,  /* /33, /129, /-1, /08 */
    ADDR_E_HOSTBITS,   /* 10.0.0.1/8: bits set beyond the prefix (strict mode) */
    ADDR_E_TRAILING,   /* junk after a valid address */
};
const char *addr_strerror(enum addr_err e);

/* Parse all of (p, len) as an address. Returns ADDR_OK or the reason. */
enum addr_err ip_parse(const char *p, size_t len, struct ip_addr *ret);
enum addr_err ip4_parse(const char *p, size_t len, uint32_t *ret);
enum addr_err ip6_parse(const char *p, size_t len, struct ip_addr *ret);

/* Parse "addr/len" or a bare address (a host prefix /32 or /128).
 * With strict, host bits set beyond len are ADDR_E_HOSTBITS; without, they
 * are cleared. */
enum addr_err prefix_parse(const char *p, size_t len, bool strict, struct ip_prefix *ret);

/* Canonical text (RFC 5952 for IPv6: lower case, longest zero run as "::",
 * IPv4-mapped as ::ffff:a.b.c.d). Returns the length written (no NUL). */
size_t ip_format(const struct ip_addr *a, char out[static IP_ADDR_STRLEN]);
/* "a.b.c.d/n"; a host prefix is printed with its length too. */
size_t prefix_format(const struct ip_prefix *p, char out[static IP_PREFIX_STRLEN]);

/* True if prefix contains a (same family). */
bool prefix_contains(const struct ip_prefix *p, const struct ip_addr *a);
/* -1, 0, 1 ordering: v4 before v6, then numeric. */
int ip_cmp(const struct ip_addr *a, const struct ip_addr *b);
/* First and last address of a prefix. */
void prefix_range(const struct ip_prefix *p, struct ip_addr *ret_first, struct ip_addr *ret_last);

/* An address from its 4 or 16 bytes in network order (packets, sockaddrs, blobs). */
static inline struct ip_addr ip4_from_bytes(const uint8_t *p)
{
    struct ip_addr a = {.family = ADDR_V4, .v6 = {0, 0}}; /* the whole union zeroed */
    a.v4 = load_be32(p);
    return a;
}

static inline struct ip_addr ip6_from_bytes(const uint8_t *p)
{
    struct ip_addr a = {.family = ADDR_V6};
    a.v6.hi = load_be64(p);
    a.v6.lo = load_be64(p + 8);
    return a;
}

/* Mask helpers. */
static inline uint32_t ip4_mask(unsigned len)
{
    return len == 0 ? 0 : ~(uint32_t)0 << (32 - len);
}

#endif
