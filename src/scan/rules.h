/*
 * struct scan_rules: YARA rules compiled once (libyara) from rule files and
 * directories, shared read-only by every scanning thread.
 *
 * The external variables public rule sets expect (THOR/LOKI conventions)
 * are defined, empty, at compile time so such sets compile:
 *   filename  "evil.exe"            filepath  "/srv/x/evil.exe"
 *   extension ".exe" (lower case)   filetype  "EXE", "ELF", ... or ""
 *   owner     the owning user's name
 * Scanners set the per-file values (scan/scanner.h).
 */
#ifndef VIGIL_SCAN_RULES_H
#define VIGIL_SCAN_RULES_H

#include "base/common.h"
#include "base/err.h"

#define SCAN_RULES_MAX_FILES     100000      /* rule files in one load */
#define SCAN_RULES_MAX_FILE_SIZE (64u << 20) /* bytes of one rule file */
#define SCAN_RULES_MAX_DEPTH     32          /* directory nesting */

struct scan_rules;
struct YR_RULES;

/* The external variable names, in the order above (NULL-terminated). */
extern const char *const scan_rules_externals[];

/*
 * Compile the rule files named by paths[0..n): a file is compiled as it is,
 * a directory contributes every *.yar and *.yara file below it (sorted by
 * path, symlinks not followed). All rules share the default namespace, as
 * with `yara RULES...`. Returns 0 with *ret (free with scan_rules_free), or
 * -ENOENT/-EACCES (a path), -EINVAL (a compile error: e names file and line),
 * -ENODATA (no rule file found), -E2BIG (a bound above).
 */
int scan_rules_load(const char *const *paths, size_t n, struct scan_rules **ret,
                    struct verr *e) WUR;

/* Same, keeping the compiled rules in cache_dir (created 0700; refused
 * unless ours and not writable by others) as rules-<version>.yarc: an
 * unchanged rule set is loaded from there instead of compiled. cache_dir
 * NULL: no cache. */
int scan_rules_load_cached(const char *const *paths, size_t n, const char *cache_dir,
                           struct scan_rules **ret, struct verr *e) WUR;

/* One rule source held in memory (a bundle file from vigild). */
struct scan_rule_text {
    const char *name; /* named in compile errors: "name:line: ..." */
    const char *text; /* NUL-terminated YARA source */
};

/*
 * Compile files[0..n) in order into one default namespace, as
 * scan_rules_load does with files. `include` is refused (a compile error):
 * every file must be given. The version covers the libyara version and each
 * name and text. Returns 0 with *ret, -EINVAL (a compile error: e names
 * file and line), -ENODATA (n == 0), -E2BIG (more than SCAN_RULES_MAX_FILES
 * files), -ENOMEM. The caller bounds the texts' sizes.
 */
int scan_rules_load_mem(const struct scan_rule_text *files, size_t n, struct scan_rules **ret,
                        struct verr *e) WUR;

/* Accepts NULL. */
void scan_rules_free(struct scan_rules *r);

/* The compiled rules, for yr_scanner_create. */
struct YR_RULES *scan_rules_yara(const struct scan_rules *r);

/* Number of rule files compiled and of rules in them. */
size_t scan_rules_n_files(const struct scan_rules *r);
size_t scan_rules_n_rules(const struct scan_rules *r);

/* SHA-256 over the rule files' names and contents in compile order and the
 * libyara version: changes whenever the rules do. */
const uint8_t *scan_rules_version(const struct scan_rules *r);

/* A file name inside a rule or hash bundle (store/malware.h), as vigild
 * accepts it and the agent writes it under its state directory: 1..255 of
 * [A-Za-z0-9._/-], relative, without empty, "." or ".." components or a
 * trailing '/'. */
#define SCAN_BUNDLE_NAME_MAX 255
bool scan_bundle_name_ok(const char *s, size_t len);

#endif
