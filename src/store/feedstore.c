/*
 * Feeds, their dated versions and the indicators of each version; diffs
 * between versions.
 *
 * An import is one transaction: the version row, every indicator, the
 * matching of a botnet list against registered address space and the audit
 * row commit together or not at all. Indicators are sorted in memory by
 * their key first, so the WITHOUT ROWID table grows by appending (see
 * schema.c).
 */
#include <string.h>

#include <openssl/evp.h>

#include "base/i18n.h"
#include "base/str.h"
#include "base/vtime.h"
#include "store/store_int.h"

#define IMPORT_MAX_ERRORS_SHOWN 100
#define DIFF_MAX_LIMIT          100000

size_t indicator_key(const struct indicator *ind, const char *value, size_t value_len,
                     uint8_t out[static IND_KEY_MAX])
{
    if (ind->type == IND_IP) {
        out[0] = ind->ip.addr.family == ADDR_V4 ? KEY_V4 : KEY_V6;
        size_t n = addr_to_bytes(&ind->ip.addr, out + 1);
        out[1 + n] = ind->ip.len;
        return n + 2;
    }
    out[0] = (uint8_t)(KEY_OTHER + ind->type);
    size_t n = MIN(value_len, (size_t)IND_KEY_MAX - 1);
    memcpy(out + 1, value, n);
    return n + 1;
}

static int key_class(const struct indicator *ind)
{
    if (ind->type == IND_IP)
        return ind->ip.addr.family == ADDR_V4 ? KEY_V4 : KEY_V6;
    return KEY_OTHER + ind->type;
}

static size_t hash_len(enum ind_type t)
{
    return t == IND_MD5 ? 16 : t == IND_SHA1 ? 20 : 32;
}

/* The same order as memcmp() of indicator_key() (SQLite's BLOB order). */
static int ind_cmp(const void *pa, const void *pb)
{
    const struct indicator *a = *(const struct indicator *const *)pa;
    const struct indicator *b = *(const struct indicator *const *)pb;
    int ca = key_class(a), cb = key_class(b);
    if (ca != cb)
        return ca < cb ? -1 : 1;
    if (a->type == IND_IP) {
        int c = ip_cmp(&a->ip.addr, &b->ip.addr);
        if (c)
            return c;
        return (int)a->ip.len - (int)b->ip.len;
    }
    if (a->type == IND_DOMAIN)
        return strcmp(a->domain, b->domain);
    /* Hex text sorts as the raw bytes do. */
    return memcmp(a->hash, b->hash, hash_len(a->type));
}

struct sort_item {
    uint64_t k; /* class << 48, then for IPv4 address << 8 | length */
    const struct indicator *ind;
};

static int sort_item_cmp(const void *pa, const void *pb)
{
    const struct sort_item *a = pa, *b = pb;
    if (a->k != b->k)
        return a->k < b->k ? -1 : 1;
    if ((a->k >> 48) == KEY_V4)
        return 0;
    return ind_cmp(&a->ind, &b->ind);
}

static const struct col_spec version_cols[] = {
    {"id", 0, COL_INT},           {"feed", 1, COL_TEXT},        {"list_date", 2, COL_TEXT},
    {"imported_at", 3, COL_TIME}, {"format", 4, COL_TEXT},      {"source", 5, COL_TEXT},
    {"sha256", 6, COL_TEXT},      {"n_indicators", 7, COL_INT}, {"n_lines", 8, COL_INT},
    {"n_errors", 9, COL_INT},
};

json_t *version_row_json(sqlite3_stmt *st)
{
    return cols_json(st, version_cols, ARRAY_SIZE(version_cols));
}

static int check_feed_name(const char *name, struct verr *err)
{
    size_t len = name ? strlen(name) : 0;
    bool ok = len >= 1 && len <= 64;
    for (size_t i = 0; ok && i < len; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    }
    if (!ok)
        return verr_set(err, -EINVAL,
                        N_("feed: '%.64s' is not a valid feed name (1 to 64 of a-z 0-9 . _ -)"),
                        name ? name : "");
    return 0;
}

static int sha256_hex(const uint8_t *p, size_t len, char out[static 65])
{
    uint8_t d[32];
    unsigned int n = 0;
    if (EVP_Digest(p, len, d, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return -EIO;
    hex_encode(d, 32, out);
    return 0;
}

/* The feed's id and kind, creating it when kind allows; *ret_id 0 if absent
 * and create is false. */
static int feed_lookup(struct store *s, const char *name, int64_t *ret_id, char ret_kind[static 8],
                       struct verr *err)
{
    sqlite3_stmt *st = st_get(s, "SELECT id, kind FROM feeds WHERE name = ?", err);
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    *ret_id = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *ret_id = sqlite3_column_int64(st, 0);
        snprintf(ret_kind, 8, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_reset(st);
    return 0;
}

/* Step st, a query of "id, list_date": the first row's id and date ("" and
 * 0 when none). */
static int64_t version_of(sqlite3_stmt *st, char ret_date[static 11])
{
    int64_t id = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        snprintf(ret_date, 11, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_reset(st);
    return id;
}

/* The latest version of a feed: id and date ("" and 0 when none). */
static int64_t latest_version(struct store *s, int64_t feed_id, char ret_date[static 11])
{
    ret_date[0] = '\0';
    sqlite3_stmt *st = st_get(s,
                              "SELECT id, list_date FROM feed_versions WHERE feed_id = ?"
                              " ORDER BY list_date DESC LIMIT 1",
                              NULL);
    if (!st)
        return 0;
    sqlite3_bind_int64(st, 1, feed_id);
    return version_of(st, ret_date);
}

static void bind_static(sqlite3_stmt *st, int i, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static int insert_indicators(struct store *s, int64_t version_id,
                             const struct indicator *const *sorted, size_t n, int64_t *ret_n,
                             struct verr *err)
{
    sqlite3_stmt *st =
        st_get(s,
               "INSERT INTO indicators (version_id, key, type, value, first_seen,"
               " malware, port, asn, isp, ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               err);
    if (!st)
        return -EIO;
    int64_t n_done = 0;
    uint8_t prev_key[IND_KEY_MAX];
    size_t prev_len = 0;
    for (size_t i = 0; i < n; i++) {
        const struct indicator *ind = sorted[i];
        char value[IND_VALUE_MAX];
        uint8_t key[IND_KEY_MAX];
        size_t vlen = indicator_value(ind, value);
        size_t klen = indicator_key(ind, ind->type == IND_DOMAIN ? ind->domain : value,
                                    ind->type == IND_DOMAIN ? strlen(ind->domain) : vlen, key);
        /* The parser drops duplicates; a key seen twice is skipped all the same. */
        if (klen == prev_len && memcmp(key, prev_key, klen) == 0)
            continue;
        memcpy(prev_key, key, klen);
        prev_len = klen;

        sqlite3_bind_int64(st, 1, version_id);
        sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, ind->type);
        sqlite3_bind_text(st, 4, value, (int)vlen, SQLITE_STATIC);
        if (ind->first_seen)
            sqlite3_bind_int64(st, 5, ind->first_seen);
        else
            sqlite3_bind_null(st, 5);
        /* The strings live in the feed's arena until the caller releases
         * it, so SQLite need not copy them. */
        bind_static(st, 6, ind->malware);
        if (ind->port)
            sqlite3_bind_int(st, 7, ind->port);
        else
            sqlite3_bind_null(st, 7);
        if (ind->asn)
            sqlite3_bind_int64(st, 8, ind->asn);
        else
            sqlite3_bind_null(st, 8);
        bind_static(st, 9, ind->isp);
        bind_static(st, 10, ind->ref);
        if (sqlite3_step(st) != SQLITE_DONE) {
            int r = st_dberr(s, err);
            sqlite3_reset(st);
            return r;
        }
        sqlite3_reset(st);
        n_done++;
    }
    *ret_n = n_done;
    return 0;
}

static json_t *import_errors_json(const struct feed *f)
{
    json_t *a = json_array();
    for (size_t i = 0; i < f->errors.n && i < IMPORT_MAX_ERRORS_SHOWN; i++) {
        const struct feed_error *e = &f->errors.items[i];
        json_array_append_new(a, json_pack("{s:I, s:s, s:s}", "line", (json_int_t)e->line, "field",
                                           e->field, "reason", e->reason));
    }
    return a;
}

int store_feed_import(struct store *s, const struct actor *who, const struct import_spec *spec,
                      json_t **ret_result, struct verr *err)
{
    int r;
    if (!spec || !spec->parsed)
        return verr_set(err, -EINVAL, N_("%s: a value is required"), "feed");
    if ((r = check_feed_name(spec->feed, err)) < 0 ||
        (r = check_date("date", spec->list_date, err)) < 0 ||
        (r = check_text("source", spec->source_name, 0, 255, false, err)) < 0)
        return r;
    if (spec->kind && strcmp(spec->kind, "botnet") != 0 && strcmp(spec->kind, "threat") != 0)
        return verr_set(err, -EINVAL, N_("kind: '%.40s' is not one of botnet, threat"), spec->kind);
    const struct feed *f = spec->parsed;
    if (f->items.n > INT32_MAX)
        return verr_set(err, -E2BIG, N_("feed: too many indicators (%zu)"), f->items.n);

    char sha[65] = "";
    if (spec->doc && sha256_hex(spec->doc, spec->doc_len, sha) < 0)
        return verr_set(err, -EIO, N_("cannot compute the SHA-256 of the document"));

    /* Sort before taking the write lock. IPv4 indicators (nearly all of a
     * botnet list) sort on one integer; the rest fall back to ind_cmp(). */
    struct sort_item *items = xreallocarray(NULL, f->items.n ? f->items.n : 1, sizeof(*items));
    for (size_t i = 0; i < f->items.n; i++) {
        const struct indicator *ind = &f->items.items[i];
        uint64_t k = (uint64_t)key_class(ind) << 48;
        if (ind->type == IND_IP && ind->ip.addr.family == ADDR_V4)
            k |= (uint64_t)ind->ip.addr.v4 << 8 | ind->ip.len;
        items[i] = (struct sort_item){k, ind};
    }
    qsort(items, f->items.n, sizeof(*items), sort_item_cmp);
    const struct indicator **sorted = (const struct indicator **)items;
    for (size_t i = 0; i < f->items.n; i++)
        sorted[i] = items[i].ind; /* in place: slot i is read before it is written */

    json_t *result = NULL;
    int64_t feed_id = 0, version_id = 0, n_stored = 0;
    char kind[8] = "";
    char latest_date[11];
    struct match_counts mc = {0};

    if ((r = st_begin(s, err)) < 0)
        goto out;
    if ((r = feed_lookup(s, spec->feed, &feed_id, kind, err)) < 0)
        goto fail;
    if (feed_id == 0) {
        snprintf(kind, sizeof(kind), "%s", spec->kind ? spec->kind : "botnet");
        sqlite3_stmt *st =
            st_get(s, "INSERT INTO feeds (name, kind, created_at) VALUES (?, ?, ?)", err);
        if (!st) {
            r = -EIO;
            goto fail;
        }
        sqlite3_bind_text(st, 1, spec->feed, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, vtime_now());
        if ((r = st_done(s, st, err)) < 0)
            goto fail;
        feed_id = sqlite3_last_insert_rowid(s->db);
    } else if (spec->kind && strcmp(spec->kind, kind) != 0) {
        r = verr_set(err, -EINVAL, N_("kind: feed %s is a %s feed, not %s"), spec->feed, kind,
                     spec->kind);
        goto fail;
    }

    int64_t prev_id = latest_version(s, feed_id, latest_date);
    if (prev_id) {
        int c = strcmp(spec->list_date, latest_date);
        if (c == 0) {
            r = verr_set(err, -EEXIST, N_("date: feed %s already has a version dated %s"),
                         spec->feed, latest_date);
            goto fail;
        }
        if (c < 0) {
            r = verr_set(err, -EINVAL,
                         N_("date: %s is before %s, the date of the latest version of feed %s"),
                         spec->list_date, latest_date, spec->feed);
            goto fail;
        }
    }

    sqlite3_stmt *st = st_get(s,
                              "INSERT INTO feed_versions (feed_id, list_date, imported_at, format,"
                              " source, sha256, n_indicators, n_lines, n_errors)"
                              " VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                              err);
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, feed_id);
    sqlite3_bind_text(st, 2, spec->list_date, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, vtime_now());
    sqlite3_bind_text(st, 4, feed_format_name(f->format), -1, SQLITE_STATIC);
    st_bind_text(st, 5, spec->source_name);
    st_bind_text(st, 6, sha);
    sqlite3_bind_int64(st, 7, (int64_t)f->n_lines);
    sqlite3_bind_int64(st, 8, (int64_t)f->n_errors);
    if ((r = st_done(s, st, err)) < 0)
        goto fail;
    version_id = sqlite3_last_insert_rowid(s->db);

    if ((r = insert_indicators(s, version_id, sorted, f->items.n, &n_stored, err)) < 0)
        goto fail;
    st = st_get(s, "UPDATE feed_versions SET n_indicators = ? WHERE id = ?", err);
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, n_stored);
    sqlite3_bind_int64(st, 2, version_id);
    if ((r = st_done(s, st, err)) < 0)
        goto fail;

    if (strcmp(kind, "botnet") == 0 &&
        (r = finding_match_version(s, feed_id, spec->feed, version_id, prev_id, spec->list_date, f,
                                   &mc, err)) < 0)
        goto fail;

    json_t *counts = json_pack("{s:I, s:I, s:I, s:I}", "new", (json_int_t)mc.n_new, "persisting",
                               (json_int_t)mc.n_persisting, "reopened", (json_int_t)mc.n_reopened,
                               "resolved", (json_int_t)mc.n_resolved);
    json_t *detail = json_pack("{s:s, s:s, s:I, s:s?, s:O}", "feed", spec->feed, "list_date",
                               spec->list_date, "n_indicators", (json_int_t)n_stored, "source",
                               spec->source_name, "findings", counts);
    if ((r = audit_add(s, who, "feed.import", "feed_version", version_id, detail, err)) < 0) {
        json_decref(counts);
        goto fail;
    }
    if ((r = st_commit(s, err)) < 0) {
        json_decref(counts);
        goto out;
    }
    result = json_object();
    json_object_set_new(result, "feed", json_string(spec->feed));
    json_object_set_new(result, "kind", json_string(kind));
    json_object_set_new(result, "version_id", json_integer(version_id));
    json_object_set_new(result, "list_date", json_string(spec->list_date));
    json_object_set_new(result, "format", json_string(feed_format_name(f->format)));
    json_object_set_new(result, "n_indicators", json_integer(n_stored));
    json_object_set_new(result, "n_lines", json_integer((json_int_t)f->n_lines));
    json_object_set_new(result, "n_errors", json_integer((json_int_t)f->n_errors));
    json_object_set_new(result, "n_duplicates", json_integer((json_int_t)f->n_duplicates));
    json_object_set_new(result, "errors", import_errors_json(f));
    json_object_set_new(result, "findings", counts);
    if (ret_result)
        *ret_result = result;
    else
        json_decref(result);
    goto out;
fail:
    st_rollback(s);
out:
    free(sorted);
    return r;
}

static const struct col_spec feed_cols[] = {
    {"id", 0, COL_INT},
    {"name", 1, COL_TEXT},
    {"kind", 2, COL_TEXT},
    {"created_at", 3, COL_TIME},
};

static json_t *feed_row_json(struct store *s, sqlite3_stmt *st)
{
    json_t *o = cols_json(st, feed_cols, ARRAY_SIZE(feed_cols));
    json_t *latest = json_null();
    sqlite3_stmt *v = st_get(s,
                             "SELECT " VERSION_COLS " FROM feed_versions v JOIN feeds fe"
                             " ON fe.id = v.feed_id WHERE v.feed_id = ?"
                             " ORDER BY v.list_date DESC LIMIT 1",
                             NULL);
    if (v) {
        sqlite3_bind_int64(v, 1, sqlite3_column_int64(st, 0));
        if (sqlite3_step(v) == SQLITE_ROW) {
            json_decref(latest);
            latest = version_row_json(v);
        }
        sqlite3_reset(v);
    }
    json_object_set_new(o, "latest", latest);
    json_object_set_new(o, "n_versions", col_int(st, 4));
    return o;
}

json_t *store_feed_list(struct store *s)
{
    sqlite3_stmt *st = st_get(s,
                              "SELECT fe.id, fe.name, fe.kind, fe.created_at,"
                              " (SELECT COUNT(*) FROM feed_versions v WHERE v.feed_id = fe.id)"
                              " FROM feeds fe ORDER BY fe.name",
                              NULL);
    if (!st)
        return NULL;
    return st_items(s, st, feed_row_json);
}

json_t *store_feed_versions(struct store *s, const char *feed)
{
    if (!feed)
        return NULL;
    sqlite3_stmt *st = st_get(s,
                              "SELECT " VERSION_COLS " FROM feed_versions v JOIN feeds fe"
                              " ON fe.id = v.feed_id WHERE fe.name = ? ORDER BY v.list_date DESC",
                              NULL);
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, feed, -1, SQLITE_TRANSIENT);
    json_t *items = json_array();
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(items, version_row_json(st));
    sqlite3_reset(st);
    if (json_array_size(items) == 0) {
        /* A feed is created with its first version; still, tell "no such
         * feed" (NULL) from "no versions" by asking. */
        sqlite3_stmt *e = st_get(s, "SELECT 1 FROM feeds WHERE name = ?", NULL);
        bool exists = false;
        if (e) {
            sqlite3_bind_text(e, 1, feed, -1, SQLITE_TRANSIENT);
            exists = sqlite3_step(e) == SQLITE_ROW;
            sqlite3_reset(e);
        }
        if (!exists) {
            json_decref(items);
            return NULL;
        }
    }
    json_t *o = json_object();
    json_object_set_new(o, "feed", json_string(feed));
    json_object_set_new(o, "items", items);
    return o;
}

/* Version id by date, or the latest (date NULL); before_of != 0 gives the
 * version just before that one. 0 when there is none. */
static int64_t version_find(struct store *s, int64_t feed_id, const char *date,
                            const char *before_date, char ret_date[static 11])
{
    sqlite3_stmt *st;
    ret_date[0] = '\0';
    if (date) {
        st = st_get(
            s, "SELECT id, list_date FROM feed_versions WHERE feed_id = ? AND list_date = ?", NULL);
        if (!st)
            return 0;
        sqlite3_bind_int64(st, 1, feed_id);
        sqlite3_bind_text(st, 2, date, -1, SQLITE_TRANSIENT);
    } else if (before_date) {
        st = st_get(s,
                    "SELECT id, list_date FROM feed_versions WHERE feed_id = ? AND list_date < ?"
                    " ORDER BY list_date DESC LIMIT 1",
                    NULL);
        if (!st)
            return 0;
        sqlite3_bind_int64(st, 1, feed_id);
        sqlite3_bind_text(st, 2, before_date, -1, SQLITE_TRANSIENT);
    } else {
        return latest_version(s, feed_id, ret_date);
    }
    return version_of(st, ret_date);
}

/* Two distinct literals: the cache keys statements by address, and the
 * merge steps both at once. */
static const char sql_scan_a[] =
    "SELECT key, value FROM indicators WHERE version_id = ? ORDER BY key";
static const char sql_scan_b[] =
    "SELECT key, value FROM indicators WHERE version_id = ? ORDER BY key ASC";

int store_feed_diff(struct store *s, const char *feed, const char *from, const char *to,
                    size_t limit, json_t **ret, struct verr *err)
{
    int r;
    if ((r = check_feed_name(feed, err)) < 0)
        return r;
    if ((from && (r = check_date("from", from, err)) < 0) ||
        (to && (r = check_date("to", to, err)) < 0))
        return r;
    if (limit > DIFF_MAX_LIMIT)
        limit = DIFF_MAX_LIMIT;
    int64_t feed_id = 0;
    char kind[8];
    if ((r = feed_lookup(s, feed, &feed_id, kind, err)) < 0)
        return r;
    if (!feed_id)
        return verr_set(err, -ENOENT, N_("no feed named %s"), feed);

    char to_date[11], from_date[11];
    int64_t to_id = version_find(s, feed_id, to, NULL, to_date);
    if (!to_id)
        return verr_set(err, -ENOENT, N_("to: feed %s has no version dated %s"), feed,
                        to ? to : "-");
    int64_t from_id = version_find(s, feed_id, from, from ? NULL : to_date, from_date);
    if (from && !from_id)
        return verr_set(err, -ENOENT, N_("from: feed %s has no version dated %s"), feed, from);
    if (from_id && strcmp(from_date, to_date) >= 0)
        return verr_set(err, -EINVAL, N_("from: %s is not before %s"), from_date, to_date);

    /* Merge the two versions in key order. */
    sqlite3_stmt *a = st_get(s, sql_scan_a, err); /* from */
    if (!a)
        return -EIO;
    sqlite3_stmt *b = st_get(s, sql_scan_b, err); /* to */
    if (!b)
        return -EIO;
    sqlite3_bind_int64(a, 1, from_id);
    sqlite3_bind_int64(b, 1, to_id);
    int64_t n_new = 0, n_persisting = 0, n_removed = 0;
    json_t *new_vals = json_array(), *removed_vals = json_array();
    int ra = from_id ? sqlite3_step(a) : SQLITE_DONE;
    int rb = sqlite3_step(b);
    while (ra == SQLITE_ROW || rb == SQLITE_ROW) {
        int c;
        if (ra != SQLITE_ROW) {
            c = 1;
        } else if (rb != SQLITE_ROW) {
            c = -1;
        } else {
            int la = sqlite3_column_bytes(a, 0), lb = sqlite3_column_bytes(b, 0);
            const void *ka = sqlite3_column_blob(a, 0), *kb = sqlite3_column_blob(b, 0);
            c = memcmp(ka, kb, (size_t)MIN(la, lb));
            if (c == 0)
                c = la - lb;
        }
        if (c < 0) {
            if ((size_t)n_removed < limit)
                json_array_append_new(removed_vals, col_text(a, 1));
            n_removed++;
            ra = sqlite3_step(a);
        } else if (c > 0) {
            if ((size_t)n_new < limit)
                json_array_append_new(new_vals, col_text(b, 1));
            n_new++;
            rb = sqlite3_step(b);
        } else {
            n_persisting++;
            ra = sqlite3_step(a);
            rb = sqlite3_step(b);
        }
    }
    bool failed =
        (ra != SQLITE_DONE && ra != SQLITE_ROW) || (rb != SQLITE_DONE && rb != SQLITE_ROW);
    if (failed)
        r = st_dberr(s, err);
    sqlite3_reset(a);
    sqlite3_reset(b);
    if (failed) {
        json_decref(new_vals);
        json_decref(removed_vals);
        return r;
    }
    json_t *o = json_object();
    json_object_set_new(o, "feed", json_string(feed));
    json_object_set_new(o, "from", from_id ? json_string(from_date) : json_null());
    json_object_set_new(o, "to", json_string(to_date));
    json_object_set_new(o, "counts",
                        json_pack("{s:I, s:I, s:I}", "new", (json_int_t)n_new, "persisting",
                                  (json_int_t)n_persisting, "removed", (json_int_t)n_removed));
    json_object_set_new(o, "new", new_vals);
    json_object_set_new(o, "removed", removed_vals);
    *ret = o;
    return 0;
}
