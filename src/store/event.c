/* Events from agents: exactly-once batches, full-text search, retention (event.h). */
#include "store/event.h"

#include <string.h>

#include "base/i18n.h"
#include "base/vec.h"
#include "base/vtime.h"
#include "store/event_int.h"
#include "store/malware.h"
#include "store/store_int.h"

#define DAY_MS         86400000LL
#define RETENTION_STEP 10000

static int check_event(const struct event_in *e, size_t i, struct verr *err)
{
    if (e->seq < 1)
        return verr_set(err, -EINVAL, N_("event %zu: seq must be at least 1"), i + 1);
    if (!e->doc || (e->doc_len ? e->doc_len : strlen(e->doc)) > EVENT_DOC_MAX)
        return verr_set(err, -EINVAL, N_("event %zu: the event's JSON is missing or too large"),
                        i + 1);
    if ((e->dataset && strlen(e->dataset) > EVENT_DATASET_MAX) ||
        (e->host && strlen(e->host) > EVENT_HOST_MAX) ||
        (e->message && strlen(e->message) > EVENT_MESSAGE_MAX))
        return verr_set(err, -EINVAL, N_("event %zu: dataset, host or message too long"), i + 1);
    return 0;
}

/* A delta of one item ({"category", "key", "item"} with event.action
 * added | changed | removed) as the {"added"|"removed": {category: [item]}}
 * form; the "os" category's item holds scalars ({"os", "hostname"}). */
static json_t *item_delta(json_t *event, json_t *inv)
{
    const char *cat = json_string_value(json_object_get(inv, "category"));
    const char *action =
        json_string_value(json_object_get(json_object_get(event, "event"), "action"));
    json_t *item = json_object_get(inv, "item");
    bool removed = action && strcmp(action, "removed") == 0;

    if (!cat || !json_is_object(item))
        return NULL;
    if (strcmp(cat, "os") == 0)
        return removed ? NULL : json_pack("{s:O}", "added", item);
    return json_pack("{s:{s:[O]}}", removed ? "removed" : "added", cat, item);
}

/* An inventory event just stored (doc: its parsed document, may be NULL):
 * apply the document it carries. A document that does not apply leaves the
 * inventory as it was (the event itself is kept): -EINVAL only for the
 * caller to ignore. */
static int apply_inventory_event(struct store *s, int64_t agent_id, bool delta, json_t *doc,
                                 struct verr *err)
{
    json_t *inv = json_object_get(doc, "inventory"), *d = NULL;
    int rc;

    if (delta && json_object_get(inv, "category"))
        inv = d = item_delta(doc, inv);
    rc = json_is_object(inv) ? inventory_apply_locked(s, agent_id, inv, delta, err) : -EINVAL;
    json_decref(d);
    return rc;
}

/* A newly stored event whose dataset the store acts on (inventory, scans,
 * malware): parse its document once and hand it over. */
static int apply_event(struct store *s, int64_t agent_id, const struct event_in *e,
                       struct verr *err)
{
    enum { NONE, SNAPSHOT, DELTA, MALWARE } what = NONE;
    json_t *doc;
    int rc;

    if (!e->dataset)
        return 0;
    if (strcmp(e->dataset, INVENTORY_SNAPSHOT) == 0)
        what = SNAPSHOT;
    else if (strcmp(e->dataset, INVENTORY_DELTA) == 0)
        what = DELTA;
    else if (strcmp(e->dataset, "vigil.scan") == 0 || strcmp(e->dataset, "vigil.malware") == 0)
        what = MALWARE;
    if (what == NONE)
        return 0;
    doc =
        json_loadb(e->doc, e->doc_len ? e->doc_len : strlen(e->doc), JSON_REJECT_DUPLICATES, NULL);
    if (what == MALWARE)
        rc = doc ? st_malware_event(s, agent_id, e->dataset, doc, err) : -EINVAL;
    else
        rc = apply_inventory_event(s, agent_id, what == DELTA, doc, err);
    json_decref(doc);
    return rc;
}

/* Add the events with rowids first..last, all inserted by the caller's
 * transaction, to the full-text index in one statement: FTS5 tokenizes
 * and buffers them together, a third of the cost of a trigger's insert per
 * row (bench/README.md "Agent ingest"). */
static int index_new(struct store *s, int64_t first, int64_t last, struct verr *err)
{
    sqlite3_stmt *st = st_get(s,
                              "INSERT INTO events_fts (rowid, message, dataset, host)"
                              " SELECT id, message, dataset, host FROM events"
                              " WHERE id BETWEEN ?1 AND ?2",
                              err);
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, first);
    sqlite3_bind_int64(st, 2, last);
    return st_done(s, st, err);
}

/* Rowids of the events inserted by one transaction: SQLite gives each new
 * row max(rowid) + 1, so with the write lock held they are first..last. */
struct new_ids {
    int64_t first, last;
};

/* As st_bind_text, without the copy: v outlives the statement's step. */
static void bind_static(sqlite3_stmt *st, int i, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Insert one validated batch inside the caller's transaction. */
static int insert_locked(struct store *s, struct event_batch *b, int64_t now_ms,
                         struct new_ids *ids, struct verr *err)
{
    int64_t high = 0;

    for (size_t i = 0; i < b->n; i++) {
        const struct event_in *e = &b->ev[i];
        sqlite3_stmt *st = st_get(s,
                                  "INSERT OR IGNORE INTO events (agent_id, seq, ts, dataset, host,"
                                  " message, doc) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  err);
        if (!st)
            return -EIO;
        high = MAX(high, e->seq);
        sqlite3_bind_int64(st, 1, b->agent_id);
        sqlite3_bind_int64(st, 2, e->seq);
        sqlite3_bind_int64(st, 3, e->ts_ms > 0 ? e->ts_ms : now_ms);
        bind_static(st, 4, e->dataset);
        bind_static(st, 5, e->host);
        bind_static(st, 6, e->message);
        sqlite3_bind_text(st, 7, e->doc, e->doc_len ? (int)e->doc_len : -1, SQLITE_STATIC);
        if (st_done(s, st, err) < 0)
            return -EIO;
        if (sqlite3_changes(s->db) == 0)
            continue; /* stored before: at-least-once transport, exactly-once storage */
        ids->last = sqlite3_last_insert_rowid(s->db);
        if (ids->first == 0)
            ids->first = ids->last;
        b->n_new++;
        if (apply_event(s, b->agent_id, e, err) == -EIO)
            return -EIO;
    }
    if (b->n > 0) {
        sqlite3_stmt *st = st_get(s,
                                  "INSERT INTO agent_seq (agent_id, acked_seq) VALUES (?1, ?2)"
                                  " ON CONFLICT (agent_id) DO UPDATE"
                                  " SET acked_seq = max(acked_seq, excluded.acked_seq)",
                                  err);
        if (!st)
            return -EIO;
        sqlite3_bind_int64(st, 1, b->agent_id);
        sqlite3_bind_int64(st, 2, high);
        if (st_done(s, st, err) < 0)
            return -EIO;
    }
    return 0;
}

int store_event_insert_batches(struct store *s, struct event_batch *b, size_t n_b, struct verr *err)
{
    int64_t now_ms = vtime_now_ms();
    struct new_ids ids = {0, 0};
    size_t n_valid = 0;
    int rc;

    for (size_t k = 0; k < n_b; k++) {
        verr_init(&b[k].err);
        b[k].n_new = 0;
        b[k].rc =
            b[k].agent_id < 1 ? verr_set(&b[k].err, -EINVAL, N_("agent id must be positive")) : 0;
        for (size_t i = 0; i < b[k].n && b[k].rc == 0; i++)
            b[k].rc = check_event(&b[k].ev[i], i, &b[k].err);
        n_valid += b[k].rc == 0;
    }
    if (n_valid == 0)
        return 0;
    if ((rc = st_begin(s, err)) < 0)
        return rc;
    for (size_t k = 0; k < n_b; k++)
        if (b[k].rc == 0 && insert_locked(s, &b[k], now_ms, &ids, err) < 0)
            goto fail;
    if (ids.first > 0 && index_new(s, ids.first, ids.last, err) < 0)
        goto fail;
    if ((rc = st_commit(s, err)) < 0)
        return rc;
    return 0;
fail:
    st_rollback(s);
    return -EIO;
}

int store_event_insert(struct store *s, int64_t agent_id, const struct event_in *ev, size_t n,
                       size_t *ret_n_new, struct verr *err)
{
    struct event_batch b = {.agent_id = agent_id, .ev = ev, .n = n};
    int rc = store_event_insert_batches(s, &b, 1, err);

    if (rc < 0)
        return rc;
    if (b.rc < 0) {
        *err = b.err;
        return b.rc;
    }
    if (ret_n_new)
        *ret_n_new = b.n_new;
    return 0;
}

int64_t store_event_acked_seq(struct store *s, int64_t agent_id)
{
    return st_int(s, "SELECT acked_seq FROM agent_seq WHERE agent_id = ?", agent_id, 0);
}

/* --- Search. */

#define EVENT_COLS "e.id, e.agent_id, e.seq, e.ts, e.dataset, e.host, e.message, e.doc"
#define EVENT_WHERE                                                                                \
    " (?2 = 0 OR e.agent_id = ?2) AND (?3 IS NULL OR e.dataset = ?3)"                              \
    " AND (?4 = 0 OR e.ts >= ?4) AND (?5 = 0 OR e.ts < ?5)"
#define FTS_FROM                                                                                   \
    " FROM events_fts JOIN events e ON e.id = events_fts.rowid WHERE events_fts MATCH ?1 AND"
#define ALL_FROM " FROM events e WHERE ?1 IS NULL AND"

static json_t *event_row(sqlite3_stmt *st)
{
    static const struct col_spec cols[] = {
        {"id", 0, COL_INT},       {"agent_id", 1, COL_INT}, {"seq", 2, COL_INT},
        {"dataset", 4, COL_TEXT}, {"host", 5, COL_TEXT},    {"message", 6, COL_TEXT},
        {"event", 7, COL_JSON},
    };
    json_t *o = cols_json(st, cols, ARRAY_SIZE(cols));
    char t[32];
    int64_t ms = sqlite3_column_int64(st, 3);
    char day[21];

    vtime_format_utc(ms / 1000, day);
    /* "2026-11-21T20:25:15Z" -> with milliseconds */
    if (snprintf(t, sizeof(t), "%.19s.%03lldZ", day, (long long)(ms % 1000)) > 0)
        json_object_set_new(o, "@timestamp", json_string(t));
    return o;
}

/* Map a failed step: with an FTS5 query, a plain SQLITE_ERROR (not I/O,
 * corruption or locking) comes from the query text and is the caller's. */
static int search_error(struct store *s, bool fts, struct verr *err)
{
    if (fts && sqlite3_extended_errcode(s->db) == SQLITE_ERROR)
        return verr_set(err, -EINVAL, N_("bad search query: %s"), sqlite3_errmsg(s->db));
    return st_dberr(s, err);
}

static void bind_filter(sqlite3_stmt *st, const struct event_filter *f)
{
    st_bind_text(st, 1, f->q);
    sqlite3_bind_int64(st, 2, f->agent_id);
    st_bind_text(st, 3, f->dataset);
    sqlite3_bind_int64(st, 4, f->from_ms);
    sqlite3_bind_int64(st, 5, f->to_ms);
}

int store_event_search(struct store *s, const struct event_filter *f, json_t **ret,
                       struct verr *err)
{
    bool fts = f->q && f->q[0];
    size_t limit = f->limit ? MIN(f->limit, (size_t)10000) : 100;
    sqlite3_stmt *st;
    int64_t total = 0;
    json_t *items;
    int r;

    st = fts ? st_get(s, "SELECT count(*)" FTS_FROM EVENT_WHERE, err)
             : st_get(s, "SELECT count(*)" ALL_FROM EVENT_WHERE, err);
    if (!st)
        return -EIO;
    bind_filter(st, f);
    if (!fts)
        sqlite3_bind_null(st, 1);
    r = sqlite3_step(st);
    if (r != SQLITE_ROW) {
        r = search_error(s, fts, err);
        sqlite3_reset(st);
        return r;
    }
    total = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    st = fts ? st_get(s,
                      "SELECT " EVENT_COLS FTS_FROM EVENT_WHERE
                      " ORDER BY e.ts DESC, e.id DESC LIMIT ?6 OFFSET ?7",
                      err)
             : st_get(s,
                      "SELECT " EVENT_COLS ALL_FROM EVENT_WHERE
                      " ORDER BY e.ts DESC, e.id DESC LIMIT ?6 OFFSET ?7",
                      err);
    if (!st)
        return -EIO;
    bind_filter(st, f);
    if (!fts)
        sqlite3_bind_null(st, 1);
    sqlite3_bind_int64(st, 6, (int64_t)limit);
    sqlite3_bind_int64(st, 7, (int64_t)MIN(f->offset, (size_t)INT64_MAX));
    items = json_array();
    while ((r = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(items, event_row(st));
    if (r != SQLITE_DONE) {
        r = search_error(s, fts, err);
        sqlite3_reset(st);
        json_decref(items);
        return r;
    }
    sqlite3_reset(st);
    *ret = json_pack("{s:I, s:o}", "total", (json_int_t)total, "items", items);
    return 0;
}

/* --- Retention. */

/* Delete agent_id's events older than cutoff_ms, RETENTION_STEP rows a
 * statement so the event loop stays responsive. */
static int delete_older(struct store *s, int64_t agent_id, int64_t cutoff_ms, int64_t *n_deleted,
                        struct verr *err)
{
    for (;;) {
        sqlite3_stmt *st = st_get(s,
                                  "DELETE FROM events WHERE id IN (SELECT id FROM events"
                                  " WHERE agent_id = ?1 AND ts < ?2 LIMIT ?3)",
                                  err);
        if (!st)
            return -EIO;
        sqlite3_bind_int64(st, 1, agent_id);
        sqlite3_bind_int64(st, 2, cutoff_ms);
        sqlite3_bind_int64(st, 3, RETENTION_STEP);
        if (st_done(s, st, err) < 0)
            return -EIO;
        int ch = sqlite3_changes(s->db);
        *n_deleted += ch;
        if (ch < RETENTION_STEP)
            return 0;
    }
}

int store_event_retention(struct store *s, const int days[6], json_t *agents, int64_t now_ms,
                          int64_t *ret_n_deleted, struct verr *err)
{
    struct agent_addrs aa;
    int64_t n_deleted = 0;
    sqlite3_stmt *st;
    int rc = 0;

    if ((rc = agent_addrs_load(s, agents, 0, &aa, err)) < 0)
        return rc;
    st = st_get(s, "SELECT agent_id FROM agent_seq ORDER BY agent_id", err);
    if (!st) {
        agent_addrs_release(&aa);
        return -EIO;
    }
    /* The agents with events, collected first: deleting while the select
     * is open would work in SQLite but reads poorly. */
    VEC(int64_t) ids = VEC_INIT;
    while (sqlite3_step(st) == SQLITE_ROW)
        VEC_PUSH(&ids, sqlite3_column_int64(st, 0));
    sqlite3_reset(st);
    for (size_t i = 0; i < ids.n && rc == 0; i++) {
        unsigned levels = 0;
        int keep = 0;
        rc = agent_levels(s, &aa, ids.items[i], &levels, err);
        if (rc < 0)
            break;
        for (int l = 1; l <= 5; l++)
            if (levels & (1u << l))
                keep = MAX(keep, days[l]);
        if (levels == 0)
            keep = days[0];
        rc = delete_older(s, ids.items[i], now_ms - (int64_t)keep * DAY_MS, &n_deleted, err);
    }
    VEC_FREE(&ids);
    agent_addrs_release(&aa);
    if (rc == 0 && ret_n_deleted)
        *ret_n_deleted = n_deleted;
    return rc;
}
