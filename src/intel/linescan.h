/*
 * The line scanner: finds IPv4 and IPv6 addresses anywhere in a line of
 * text, by exactly the rules of grepcidr 2.0, so that `vigil match` prints
 * what `grepcidr -f` prints and the sensor's text-log path agrees with it.
 *
 * The rules, position by position from the start of the line:
 *  - IPv4 (when looked for): a digit followed within the next three bytes
 *    by a '.' starts a field of [0-9A-Za-z.]; the field is an address if it
 *    is a strict dotted quad (inet_pton: no leading zeros, octets <= 255).
 *  - IPv6 (when looked for, and the IPv4 rule did not fire here): "::x", or
 *    1-4 hex digits then ':', starts a field of [0-9A-Za-z:.]; the field is
 *    an address if it is strict IPv6 text (an IPv4 tail allowed).
 *  - Either way the whole field is consumed, address or not, and scanning
 *    resumes after it; otherwise it resumes at the next byte.
 * So "x1.2.3.4" and "1234.1.2.3" contain an address (234.1.2.3), while
 * "1.2.3.4.5", "1.2.3.4a" and "a:1.2.3.4" do not. Which families are looked
 * for changes which fields are consumed, as in grepcidr: a family is looked
 * for only when the set holds prefixes of it.
 *
 * Nothing is allocated; the scanner only reads (line, len). A NUL byte is an
 * ordinary non-address byte.
 */
#ifndef VIGIL_INTEL_LINESCAN_H
#define VIGIL_INTEL_LINESCAN_H

#include "base/addr.h"
#include "base/common.h"
#include "intel/ipset.h"

/* Families to look for. */
enum { LINESCAN_V4 = 1, LINESCAN_V6 = 2 };

/* No limit on where an address may start. */
#define LINESCAN_NO_LIMIT SIZE_MAX

/* An address found in a line: its value and where its text is. */
struct linescan_addr {
    struct ip_addr addr;
    size_t off, len;
};

/* Called for each address in order; return non-zero to stop scanning (that
 * value is returned by linescan_each). */
typedef int (*linescan_fn)(void *ctx, const struct linescan_addr *a);

/*
 * Call fn for each address of the given families (LINESCAN_V4 | _V6) in
 * (line, len). Addresses may start only before max_start (grepcidr scans
 * start positions up to its buffer size minus 5; pass LINESCAN_NO_LIMIT
 * otherwise). Returns 0, or the first non-zero value fn returned.
 */
int linescan_each(const char *line, size_t len, size_t max_start, unsigned families, linescan_fn fn,
                  void *ctx);

enum linescan_result {
    LINESCAN_NO_ADDR = 0, /* no address of a family the set holds */
    LINESCAN_NO_MATCH,    /* addresses, none in the set */
    LINESCAN_MATCH,       /* an address in the set */
};

/* The first address of a line found in the set, and the set's value for its
 * most specific prefix. */
struct linescan_hit {
    struct linescan_addr a;
    uint32_t value;
};

/*
 * Scan (line, len) against a built set, stopping at the first address in
 * it (filling *ret_hit when not NULL). Families the set holds no prefix of
 * are not looked for (as grepcidr). max_start as for linescan_each.
 */
enum linescan_result linescan_line(const struct ipset *s, const char *line, size_t len,
                                   size_t max_start, struct linescan_hit *ret_hit);

/* Selected lines of linescan_lines(): the line ('\n' included), its result,
 * and when it is LINESCAN_MATCH the hit. Return non-zero to stop. */
typedef int (*linescan_lines_fn)(void *ctx, const char *line, size_t len, uint64_t line_idx,
                                 enum linescan_result r, const struct linescan_hit *hit);

/*
 * The fast path over whole lines: scan the lines of (text, n) from its
 * start, each as linescan_line(s, line, len, LINESCAN_NO_LIMIT) would (len
 * counting its '\n'), calling fn for each line (line_idx counting from 0
 * in this call) whose result r is in select
 * (a mask of 1u << r). Stops before the first line that holds a NUL byte,
 * is longer than max_len, or has no '\n' within n; also after a line for
 * which fn returned non-zero (that value in *ret_stop, else 0). Returns the
 * bytes of the lines scanned, and their number in *ret_n_lines.
 */
size_t linescan_lines(const struct ipset *s, const char *text, size_t n, size_t max_len,
                      unsigned select, linescan_lines_fn fn, void *ctx, uint64_t *ret_n_lines,
                      int *ret_stop);

/* Let linescan_lines() use AVX-512 when the CPU has it (on, the default),
 * or only SSE2 (off). Results are the same; tests run both. Not thread-safe:
 * call before scanning. */
void linescan_set_simd(bool on);

/* True if some address in (line, len) is in the built set s. */
bool linescan_match(const struct ipset *s, const char *line, size_t len);

#endif
