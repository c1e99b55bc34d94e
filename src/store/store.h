/*
 * The store: Vigil's state in SQLite (WAL, versioned migrations) under a data
 * directory. One struct store per process thread; calls are synchronous.
 *
 * Reads return jansson objects (new references, the caller json_decref()s)
 * whose field names are the API's (docs/api.md): the store owns the data
 * model and its JSON shape, the server only routes and serialises. List
 * functions return the whole API body ({"items": [...]}, {"feed", "items"},
 * {"total", "items"}); they return NULL only on a database error.
 *
 * Writes validate their input (naming the field in err), run in one
 * transaction together with their audit record, and either happen whole or
 * not at all. Errors: -EINVAL bad input (err says which field), -ENOENT no
 * such object, -EEXIST duplicate, -EBUSY still referenced, -EIO database.
 */
#ifndef VIGIL_STORE_STORE_H
#define VIGIL_STORE_STORE_H

#include <jansson.h>

#include "base/common.h"
#include "base/err.h"
#include "intel/feed.h"

struct store;

/* Who makes a change, for the audit log. */
struct actor {
    int64_t token_id; /* 0 for vigild itself ("system") */
    char name[64];    /* token name, or "system" */
    char role[16];    /* "admin", "analyst", "viewer" */
};

/* Open or create <dir>/vigil.db (the directory is created 0700), apply
 * pending migrations. */
int store_open(const char *dir, struct store **ret, struct verr *err) WUR;
/* Accepts NULL. */
void store_close(struct store *s);
int store_schema_version(struct store *s);

/* --- API tokens. The secret is shown once; only its SHA-256 is stored. */
/* role: admin | analyst | viewer. ret_secret receives 64 hex chars + NUL. */
int store_token_create(struct store *s, const struct actor *who, const char *name, const char *role,
                       char ret_secret[static 65], int64_t *ret_id, struct verr *err) WUR;
/* 0 and *ret filled if secret names a live token; -EACCES otherwise.
 * Constant-time comparison of the digests. */
int store_token_check(struct store *s, const char *secret, struct actor *ret) WUR;
json_t *store_token_list(struct store *s);
int store_token_revoke(struct store *s, const struct actor *who, int64_t id, struct verr *err) WUR;
/* Number of live tokens (vigild creates the first admin token when 0). */
int store_token_count(struct store *s);

/* --- Units (đơn vị): a tree. parent_id 0 for a root. */
int store_unit_add(struct store *s, const struct actor *who, const char *name, const char *code,
                   int64_t parent_id, int64_t *ret_id, struct verr *err) WUR;
json_t *store_unit_list(struct store *s);
json_t *store_unit_get(struct store *s, int64_t id); /* NULL if none */
/* -EBUSY if it has child units or systems. */
int store_unit_remove(struct store *s, const struct actor *who, int64_t id, struct verr *err) WUR;

/* --- Information systems (hệ thống thông tin). */
struct system_spec {
    const char *name;
    int64_t unit_id;
    int level; /* security level (cấp độ) 1..5 */
    const char *owner;
    const char *operator_name;
    const char *contacts;
    const char *const *addrs; /* CIDRs or single addresses, strict */
    size_t n_addrs;
};
/* Registers the system and matches it at once against the latest version of
 * every botnet feed (new findings are created in the same transaction). */
int store_system_add(struct store *s, const struct actor *who, const struct system_spec *spec,
                     int64_t *ret_id, struct verr *err) WUR;
/* Same, also giving the number of findings the registration created (the
 * API's "findings_created"); ret_n_findings may be NULL. */
int store_system_add_ex(struct store *s, const struct actor *who, const struct system_spec *spec,
                        int64_t *ret_id, int64_t *ret_n_findings, struct verr *err) WUR;
json_t *store_system_list(struct store *s, int64_t unit_id /* 0: all */);
json_t *store_system_get(struct store *s, int64_t id);
int store_system_remove(struct store *s, const struct actor *who, int64_t id, struct verr *err) WUR;

/* --- Feeds and versions. */
struct import_spec {
    const char *feed;          /* name, [a-z0-9._-]{1,64}, e.g. "ais-botnet" */
    const char *kind;          /* "botnet" (matched, makes findings) or "threat" */
    const char *list_date;     /* YYYY-MM-DD the list is dated */
    const char *source_name;   /* file name, for the record */
    const struct feed *parsed; /* a successful feed_parse() */
    const uint8_t *doc;        /* optional: the raw document, for its SHA-256 */
    size_t doc_len;
};
/*
 * Store a parsed document as a new version of the feed (created on first
 * import), atomically. For a botnet feed, match it against all registered
 * address space: new findings, persisting ones (streak+1, priority up),
 * reopened (resolved earlier, listed again), resolved (no longer listed).
 * A list_date not after the feed's latest version is -EEXIST (same date) or
 * -EINVAL (older). ret_result: {feed, version_id, list_date, n_indicators,
 * findings: {new, persisting, reopened, resolved}}.
 */
int store_feed_import(struct store *s, const struct actor *who, const struct import_spec *spec,
                      json_t **ret_result, struct verr *err) WUR;
json_t *store_feed_list(struct store *s);
json_t *store_feed_versions(struct store *s, const char *feed); /* NULL if no such feed */
/* Indicators new in `to`, persisting, and removed since `from` (dates;
 * NULL from = the version before `to`; NULL to = latest). limit caps the
 * listed values per class (counts are always complete). */
int store_feed_diff(struct store *s, const char *feed, const char *from, const char *to,
                    size_t limit, json_t **ret, struct verr *err) WUR;

/* --- Findings. */
struct finding_filter {
    const char *status; /* NULL any; or open|in_progress|resolved|false_positive */
    const char *kind;   /* NULL any; "botnet" */
    int64_t system_id;  /* 0 any */
    int64_t unit_id;    /* 0 any (includes sub-units) */
    const char *feed;   /* NULL any */
    const char *ip;     /* NULL any; an address or CIDR containing the finding's address */
    int min_level;      /* 0 any */
    size_t limit;       /* 0: 100; at most 10000 */
    size_t offset;
};
/* {total, items: [...]} ordered by priority desc, then id. */
int store_finding_list(struct store *s, const struct finding_filter *f, json_t **ret,
                       struct verr *err) WUR;
json_t *store_finding_get(struct store *s, int64_t id); /* with history */
/* Lifecycle: open -> in_progress -> resolved | false_positive (also open ->
 * resolved | false_positive; resolved|false_positive -> open to reopen).
 * Other moves are -EINVAL. comment may be NULL except for false_positive. */
int store_finding_update(struct store *s, const struct actor *who, int64_t id, const char *status,
                         const char *comment, struct verr *err) WUR;

/* --- Audit log, newest first. */
json_t *store_audit_list(struct store *s, size_t limit, size_t offset);

/* --- Counts for /metrics: {units, systems, feeds, versions, indicators,
 * findings_open, findings_in_progress, findings_resolved, findings_false_positive,
 * tokens}. */
json_t *store_stats(struct store *s);

#endif
