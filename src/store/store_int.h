/*
 * Internals shared by the files of src/store (not part of the store's
 * contract): the struct, the prepared-statement cache, transactions, the
 * audit writer, JSON column helpers and value validation.
 */
#ifndef VIGIL_STORE_STORE_INT_H
#define VIGIL_STORE_STORE_INT_H

#include <sqlite3.h>

#include "base/addr.h"
#include "store/store.h"

#define STORE_MAX_STMTS 192

struct store_stmt {
    const char *sql; /* a string literal: the cache key is its address */
    sqlite3_stmt *st;
};

struct store {
    sqlite3 *db;
    struct store_stmt stmts[STORE_MAX_STMTS];
    size_t n_stmts;
};

/* Migrations (schema.c): migrations[i] takes the schema from version i to i+1. */
extern const char *const store_migrations[];
extern const int store_n_migrations;

/* The cached statement for sql (a string literal), reset and with its
 * bindings cleared; NULL (and err filled) if it does not prepare. */
sqlite3_stmt *st_get(struct store *s, const char *sql, struct verr *err);
/* -EIO with the database's message in err. */
int st_dberr(struct store *s, struct verr *err);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int st_begin(struct store *s, struct verr *err) WUR;
int st_commit(struct store *s, struct verr *err) WUR;
void st_rollback(struct store *s);
/* Run a statement without results. */
int st_exec(struct store *s, const char *sql, struct verr *err) WUR;
/* Step a statement expected to finish (INSERT/UPDATE/DELETE): 0 or -EIO. */
int st_done(struct store *s, sqlite3_stmt *st, struct verr *err) WUR;
/* One integer from `sql` with an optional int64 parameter (-1: none);
 * dflt when no row. */
int64_t st_int(struct store *s, const char *sql, int64_t param, int64_t dflt);

/* Bind helpers: NULL or "" binds SQL NULL. */
int st_bind_text(sqlite3_stmt *st, int i, const char *v);

/* Step sql (a string literal with one parameter, bound to id) onto its
 * first row. Returns 0 with *ret on that row (the caller reads it and
 * resets it), -ENOENT with err set from missing and what follows it when
 * there is no row, or -EIO. */
int st_row(struct store *s, sqlite3_stmt **ret, const char *sql, int64_t id, struct verr *err,
           const char *missing, ...) PRINTF(6, 7) WUR;
/* Run sql (a string literal with one parameter, bound to id) to its end:
 * 0 or -EIO. */
int st_run_id(struct store *s, const char *sql, int64_t id, struct verr *err) WUR;
/* End a change inside st_begin(): write its audit row (as audit_add;
 * detail is stolen) and commit. On failure everything is rolled back. */
int st_audit_commit(struct store *s, const struct actor *who, const char *action,
                    const char *object, int64_t object_id, json_t *detail, struct verr *err) WUR;

/* A row's JSON from a list of columns: each names its member, the column
 * it reads and how (see col_text and friends; COL_SET is true when the
 * column is not NULL). */
enum col_type { COL_INT, COL_TEXT, COL_TIME, COL_JSON, COL_SET };
struct col_spec {
    const char *name;
    int col;
    enum col_type type;
};
/* Add the members of cols to o from the current row of st. */
void cols_add(json_t *o, sqlite3_stmt *st, const struct col_spec *cols, size_t n_cols);
/* A new object with the members of cols. */
json_t *cols_json(sqlite3_stmt *st, const struct col_spec *cols, size_t n_cols);
/* {"items": [row(s, st) for every row of st]}; st is reset at the end. */
json_t *st_items(struct store *s, sqlite3_stmt *st, json_t *(*row)(struct store *, sqlite3_stmt *));

/* Record an audit row (inside the caller's transaction). detail is stolen
 * (may be NULL). who NULL means vigild itself. */
int audit_add(struct store *s, const struct actor *who, const char *action, const char *object,
              int64_t object_id, json_t *detail, struct verr *err) WUR;
/* "system" when who is NULL. */
const char *actor_name(const struct actor *who);

/* JSON from columns: NULL column -> json null. */
json_t *col_text(sqlite3_stmt *st, int i);
json_t *col_int(sqlite3_stmt *st, int i);
json_t *col_time(sqlite3_stmt *st, int i); /* Unix seconds -> RFC 3339 UTC */
json_t *json_time(int64_t t);              /* 0 -> null */
/* Parse a JSON text column; null when NULL or not JSON. */
json_t *col_json(sqlite3_stmt *st, int i);

/* Validation. Each fills err naming field and returns -EINVAL, or 0. */
int check_text(const char *field, const char *v, size_t min_chars, size_t max_chars, bool required,
               struct verr *err) WUR;
int check_date(const char *field, const char *v, struct verr *err) WUR;
int check_status(const char *v, struct verr *err) WUR;
bool status_valid(const char *v);

/* Addresses as sortable big-endian bytes: 4 for IPv4, 16 for IPv6. */
size_t addr_to_bytes(const struct ip_addr *a, uint8_t out[static 16]);

/* The sort key of an indicator (see feedstore.c): class byte, then the
 * address and prefix length for IPs, the value text for the others. */
#define IND_KEY_MAX (IND_VALUE_MAX + 2)
size_t indicator_key(const struct indicator *ind, const char *value, size_t value_len,
                     uint8_t out[static IND_KEY_MAX]);
enum { KEY_V4 = 1, KEY_V6 = 2, KEY_OTHER = 0x10 };

/* The details object of a finding from an indicator's fields. */
json_t *details_json(int64_t first_seen, const char *malware, int port, int64_t asn,
                     const char *isp, const char *ref);

/* finding.c: matching a new version of a botnet feed (inside the import's
 * transaction). counts receives new, persisting, reopened, resolved. */
struct match_counts {
    int64_t n_new, n_persisting, n_reopened, n_resolved;
};
int finding_match_version(struct store *s, int64_t feed_id, const char *feed_name,
                          int64_t version_id, int64_t prev_version_id, const char *list_date,
                          const struct feed *parsed, struct match_counts *ret,
                          struct verr *err) WUR;
/* finding.c: match one new system against the latest version of every
 * botnet feed; *ret_n gets the number of findings made. */
int finding_match_system(struct store *s, int64_t system_id, int level, struct verr *err,
                         int64_t *ret_n) WUR;
/* finding.c: a finding's JSON from the row of FINDING_SELECT. */
#define FINDING_COLS                                                                               \
    "f.id, f.kind, f.status, f.priority, f.streak, f.system_id, sy.name, sy.unit_id, sy.level, "   \
    "fe.name, f.indicator, f.ip, v1.list_date, v2.list_date, f.details, f.created_at, "            \
    "f.updated_at"
#define FINDING_FROM                                                                               \
    " FROM findings f JOIN systems sy ON sy.id = f.system_id JOIN feeds fe ON fe.id = f.feed_id"   \
    " LEFT JOIN feed_versions v1 ON v1.id = f.first_listed"                                        \
    " LEFT JOIN feed_versions v2 ON v2.id = f.last_listed"
json_t *finding_row_json(sqlite3_stmt *st);

/* feedstore.c: a version's JSON from the row of VERSION_COLS. */
#define VERSION_COLS                                                                               \
    "v.id, fe.name, v.list_date, v.imported_at, v.format, v.source, v.sha256, v.n_indicators, "    \
    "v.n_lines, v.n_errors"
json_t *version_row_json(sqlite3_stmt *st);

#endif
