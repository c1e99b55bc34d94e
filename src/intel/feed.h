/*
 * Threat-intelligence feeds: one parsed version of a list of indicators.
 *
 * feed_parse() reads a whole document (never a stream: a version is parsed
 * and validated completely before anything uses it), detects or takes its
 * format, and returns the indicators plus every bad line with its line
 * number and reason. Above the error threshold it fails and the caller must
 * import nothing.
 *
 * Formats:
 *   FEED_TEXT    one IP or CIDR a line; '#' and ';' comments; FireHOL netset
 *   FEED_CSV     header-detected CSV (',' ';' or TAB), English and Vietnamese
 *                column names (ip / địa chỉ ip, first_seen / thời gian,
 *                malware / họ mã độc, port / cổng, asn, isp / nhà mạng ...)
 *   FEED_DROP    Spamhaus DROP/EDROP "CIDR ; SBLnnn"
 *   FEED_FEODO   abuse.ch Feodo Tracker CSV (comment header, quoted fields)
 *   FEED_STIX    STIX 2.1 bundle: indicator patterns for ipv4-addr, ipv6-addr,
 *                domain-name, file hashes (MD5, SHA-1, SHA-256)
 *   FEED_HASHES  one MD5/SHA-1/SHA-256 a line (also MalwareBazaar-style CSV)
 *   FEED_DOMAINS one domain a line
 *
 * Bounds: line length, number of indicators, JSON depth and size are capped
 * by struct feed_opts; violations are errors, never crashes.
 */
#ifndef VIGIL_INTEL_FEED_H
#define VIGIL_INTEL_FEED_H

#include "base/addr.h"
#include "base/arena.h"
#include "base/common.h"
#include "base/err.h"
#include "base/vec.h"

enum feed_format {
    FEED_AUTO = 0,
    FEED_TEXT,
    FEED_CSV,
    FEED_DROP,
    FEED_FEODO,
    FEED_STIX,
    FEED_HASHES,
    FEED_DOMAINS,
};
/* "auto", "text", "netset", "csv", "drop", "feodo", "stix", "hashes",
 * "domains" -> format; -EINVAL for others. */
int feed_format_parse(const char *s, enum feed_format *ret) WUR;
const char *feed_format_name(enum feed_format f);

enum ind_type {
    IND_IP = 1, /* address or prefix, in .ip */
    IND_DOMAIN, /* lower-case, no trailing dot, in .domain */
    IND_MD5,
    IND_SHA1,
    IND_SHA256, /* raw bytes in .hash (16, 20, 32) */
};
const char *ind_type_name(enum ind_type t); /* "ip", "domain", "md5", "sha1", "sha256" */

struct indicator {
    enum ind_type type;
    union {
        struct ip_prefix ip;
        const char *domain;
        uint8_t hash[32];
    };
    int64_t first_seen;  /* Unix seconds; 0 unknown */
    int64_t last_seen;   /* Unix seconds; 0 unknown */
    const char *malware; /* family; NULL unknown (strings live in the feed arena) */
    const char *isp;     /* ISP or AS name; NULL unknown */
    const char *ref;     /* source id: SBL id, STIX id ...; NULL none */
    uint32_t asn;        /* 0 unknown */
    uint16_t port;       /* 0 unknown */
    uint32_t line;       /* 1-based source line (STIX: object index) */
};

struct feed_error {
    uint32_t line;    /* 1-based; 0 for whole-document errors */
    char field[24];   /* column or field name, "" when not applicable */
    char reason[200]; /* translated, names the bad value (truncated) */
};

struct feed_opts {
    enum feed_format format; /* FEED_AUTO to detect */
    size_t max_line;         /* default 65536 bytes */
    size_t max_indicators;   /* default 20,000,000 */
    size_t max_errors;       /* fail if more bad lines than this; default 1000 */
    unsigned max_error_pct;  /* fail if bad lines > this % of data lines; default 1 */
    bool strict_hostbits;    /* 10.0.0.1/8 is an error (default) or is masked */
    size_t max_json_size;    /* STIX: largest document; default 256 MiB */
    unsigned max_json_depth; /* STIX: deepest nesting of [ and {; default 64 */
};
void feed_opts_init(struct feed_opts *o);

#define FEED_MAX_KEPT_ERRORS 1000

struct feed {
    enum feed_format format; /* the detected or given format */
    struct arena arena;      /* strings of the indicators */
    VEC(struct indicator) items;
    VEC(struct feed_error) errors; /* the first FEED_MAX_KEPT_ERRORS */
    size_t n_lines;                /* lines (or objects) read */
    size_t n_data;                 /* lines that held data (not blank or comment) */
    size_t n_errors;               /* bad lines, all of them */
    size_t n_duplicates;           /* indicators seen before in this document (dropped) */
};

void feed_init(struct feed *f);
void feed_release(struct feed *f);

/*
 * Parse (p, len) into f (which must be feed_init'ed). Returns 0 when the
 * document is usable (f->errors may still list lines that were skipped), or
 * a negative code with err naming why it was rejected: not text (binary,
 * UTF-16), empty, no indicators, over the error threshold, over a bound.
 * On failure f still holds the errors found, for reporting.
 *
 * Codes: -ENODATA empty or no indicators; -EILSEQ binary or UTF-16;
 * -EBADMSG over the error threshold; -E2BIG over max_indicators or the
 * STIX size; -EINVAL a document-level format problem (bad JSON, not a STIX
 * bundle, a CSV header naming no indicator column); -ENOMEM. o may be NULL
 * for the defaults; zero max_line / max_indicators / max_json_* also mean
 * the default. Whole-document problems are in err only, not in f->errors
 * (whose entries all have line >= 1).
 */
int feed_parse(const uint8_t *p, size_t len, const struct feed_opts *o, struct feed *f,
               struct verr *err) WUR;

/* Canonical text of an indicator's value: "10.0.0.0/8", "1.2.3.4",
 * "2001:db8::1", "example.com", hex digests. Returns the length. */
#define IND_VALUE_MAX 256
size_t indicator_value(const struct indicator *ind, char out[static IND_VALUE_MAX]);

#endif
