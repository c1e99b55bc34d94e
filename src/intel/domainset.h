/*
 * Domain names: strict normalisation, and struct domainset, a set of names
 * matched exactly or by suffix ("evil.com" listed as a suffix matches
 * "evil.com" and "a.b.evil.com", but not "notevil.com").
 *
 * Names are ASCII (IDNA punycode "xn--..." for international names), lower
 * case, without the trailing dot. Each name carries a caller-chosen uint32
 * value. Build with domainset_add(), then query with domainset_lookup()
 * from any number of threads (lookups do not modify the set).
 */
#ifndef VIGIL_INTEL_DOMAINSET_H
#define VIGIL_INTEL_DOMAINSET_H

#include "base/common.h"

#define DOMAIN_MAX 253

enum domain_err {
    DOMAIN_OK = 0,
    DOMAIN_E_EMPTY,
    DOMAIN_E_LONG,     /* more than 253 bytes */
    DOMAIN_E_LABEL,    /* empty label or a label longer than 63 */
    DOMAIN_E_CHAR,     /* a character outside [a-z0-9-] */
    DOMAIN_E_HYPHEN,   /* a label starting or ending with '-' */
    DOMAIN_E_NUMERIC,  /* all-digit last label: an address, not a name */
    DOMAIN_E_NONASCII, /* non-ASCII: write it as punycode (xn--) */
};
/* Translated reason. */
const char *domain_strerror(enum domain_err e);

/* Check (p, len) as a host name and write its canonical form (lower case,
 * one trailing dot removed) to out, NUL-terminated, its length in
 * *ret_len. Labels are 1-63 characters of [a-z0-9-] not starting or ending
 * with '-'; at most 253 bytes. A single label is accepted. out and
 * *ret_len are untouched on failure. */
enum domain_err domain_normalize(const char *p, size_t len, char out[static DOMAIN_MAX + 1],
                                 size_t *ret_len);

enum domainset_match {
    DOMAINSET_EXACT = 1,  /* only the name itself */
    DOMAINSET_SUFFIX = 2, /* the name and every name below it */
};

struct domainset;

struct domainset *domainset_new(void);
/* Accepts NULL. */
void domainset_free(struct domainset *s);

/* Add name (normalised as above) with its value. Adding the same name with
 * the same match kind again keeps the first value. Returns 0, -EINVAL for a
 * name domain_normalize() rejects, -E2BIG past 2^31 names. */
int domainset_add(struct domainset *s, const char *name, size_t len, enum domainset_match m,
                  uint32_t value) WUR;

/* Most specific match for name (any case, trailing dot allowed): the name
 * itself (exact or suffix entry, exact preferred), then each parent
 * domain's suffix entry, longest first. Returns true and sets *ret_value
 * (if not NULL). Names that are not valid never match. */
bool domainset_lookup(const struct domainset *s, const char *name, size_t len, uint32_t *ret_value);

/* Distinct names stored. */
size_t domainset_count(const struct domainset *s);

#endif
