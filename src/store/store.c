/*
 * The store's handle: opening the database, migrations, the prepared
 * statement cache, transactions, shared helpers and counts.
 */
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/i18n.h"
#include "base/str.h"
#include "base/vtime.h"
#include "store/store_int.h"

int st_dberr(struct store *s, struct verr *err)
{
    return verr_set(err, -EIO, N_("database error: %s"), s && s->db ? sqlite3_errmsg(s->db) : "?");
}

int st_exec(struct store *s, const char *sql, struct verr *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        verr_set(err, -EIO, N_("database error: %s"), msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -EIO;
    }
    return 0;
}

sqlite3_stmt *st_get(struct store *s, const char *sql, struct verr *err)
{
    for (size_t i = 0; i < s->n_stmts; i++) {
        if (s->stmts[i].sql == sql) {
            sqlite3_stmt *st = s->stmts[i].st;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return st;
        }
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        st_dberr(s, err);
        sqlite3_finalize(st);
        return NULL;
    }
    if (s->n_stmts < STORE_MAX_STMTS) {
        s->stmts[s->n_stmts].sql = sql;
        s->stmts[s->n_stmts].st = st;
        s->n_stmts++;
        return st;
    }
    /* The cache is sized for every literal in src/store; running out is a
     * programming error, reported rather than leaked. */
    sqlite3_finalize(st);
    verr_set(err, -EIO, N_("database error: %s"), "statement cache full");
    return NULL;
}

int st_begin(struct store *s, struct verr *err)
{
    /* IMMEDIATE takes the write lock now, so a busy database waits here
     * (busy_timeout) instead of failing half way through. */
    return st_exec(s, "BEGIN IMMEDIATE", err);
}

int st_commit(struct store *s, struct verr *err)
{
    int r = st_exec(s, "COMMIT", err);
    if (r < 0)
        st_rollback(s);
    return r;
}

void st_rollback(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int st_done(struct store *s, sqlite3_stmt *st, struct verr *err)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        int r = st_dberr(s, err);
        sqlite3_reset(st);
        return r;
    }
    sqlite3_reset(st);
    return 0;
}

int64_t st_int(struct store *s, const char *sql, int64_t param, int64_t dflt)
{
    sqlite3_stmt *st = st_get(s, sql, NULL);
    if (!st)
        return dflt;
    if (param >= 0)
        sqlite3_bind_int64(st, 1, param);
    int64_t v = dflt;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return v;
}

int st_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (!v || !*v)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

json_t *col_text(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return json_null();
    const char *t = (const char *)sqlite3_column_text(st, i);
    return json_stringn(t ? t : "", (size_t)sqlite3_column_bytes(st, i));
}

json_t *col_int(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return json_null();
    return json_integer(sqlite3_column_int64(st, i));
}

json_t *json_time(int64_t t)
{
    if (t == 0)
        return json_null();
    char out[21];
    vtime_format_utc(t, out);
    return json_string(out);
}

json_t *col_time(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return json_null();
    return json_time(sqlite3_column_int64(st, i));
}

json_t *col_json(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return json_null();
    const char *t = (const char *)sqlite3_column_text(st, i);
    json_t *j = json_loadb(t ? t : "", (size_t)sqlite3_column_bytes(st, i), 0, NULL);
    return j ? j : json_null();
}

int st_row(struct store *s, sqlite3_stmt **ret, const char *sql, int64_t id, struct verr *err,
           const char *missing, ...)
{
    sqlite3_stmt *st = st_get(s, sql, err);
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        va_list ap;
        va_start(ap, missing);
        verr_vset(err, -ENOENT, missing, ap);
        va_end(ap);
        return -ENOENT;
    }
    *ret = st;
    return 0;
}

int st_run_id(struct store *s, const char *sql, int64_t id, struct verr *err)
{
    sqlite3_stmt *st = st_get(s, sql, err);
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    return st_done(s, st, err);
}

int st_audit_commit(struct store *s, const struct actor *who, const char *action,
                    const char *object, int64_t object_id, json_t *detail, struct verr *err)
{
    int r = audit_add(s, who, action, object, object_id, detail, err);
    if (r < 0) {
        st_rollback(s);
        return r;
    }
    return st_commit(s, err);
}

static json_t *col_set(sqlite3_stmt *st, int i)
{
    return json_boolean(sqlite3_column_type(st, i) != SQLITE_NULL);
}

void cols_add(json_t *o, sqlite3_stmt *st, const struct col_spec *cols, size_t n_cols)
{
    static json_t *(*const get[])(sqlite3_stmt *, int) = {
        [COL_INT] = col_int,   [COL_TEXT] = col_text, [COL_TIME] = col_time,
        [COL_JSON] = col_json, [COL_SET] = col_set,
    };
    for (size_t i = 0; i < n_cols; i++)
        json_object_set_new(o, cols[i].name, get[cols[i].type](st, cols[i].col));
}

json_t *cols_json(sqlite3_stmt *st, const struct col_spec *cols, size_t n_cols)
{
    json_t *o = json_object();
    cols_add(o, st, cols, n_cols);
    return o;
}

json_t *st_items(struct store *s, sqlite3_stmt *st, json_t *(*row)(struct store *, sqlite3_stmt *))
{
    json_t *items = json_array();
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(items, row(s, st));
    sqlite3_reset(st);
    json_t *o = json_object();
    json_object_set_new(o, "items", items);
    return o;
}

int check_text(const char *field, const char *v, size_t min_chars, size_t max_chars, bool required,
               struct verr *err)
{
    if (!v || !*v) {
        if (required || min_chars > 0)
            return verr_set(err, -EINVAL, N_("%s: a value is required"), field);
        return 0;
    }
    size_t len = strlen(v);
    if (!str_valid_utf8(v, len))
        return verr_set(err, -EINVAL, N_("%s: not valid UTF-8 text"), field);
    size_t n_chars = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f)
            return verr_set(err, -EINVAL, N_("%s: control characters are not allowed"), field);
        if ((c & 0xc0) != 0x80)
            n_chars++;
    }
    if (n_chars < min_chars || n_chars > max_chars)
        return verr_set(err, -EINVAL, N_("%s: length must be %zu to %zu characters (got %zu)"),
                        field, min_chars, max_chars, n_chars);
    return 0;
}

int check_date(const char *field, const char *v, struct verr *err)
{
    int64_t days;
    if (!v || !*v)
        return verr_set(err, -EINVAL, N_("%s: a value is required"), field);
    size_t len = strlen(v);
    if (len != 10 || vtime_parse_date(v, len, &days) < 0)
        return verr_set(err, -EINVAL, N_("%s: '%.40s' is not a real date in the form YYYY-MM-DD"),
                        field, v);
    return 0;
}

bool status_valid(const char *v)
{
    static const char *const ok[] = {"open", "in_progress", "resolved", "false_positive"};
    if (!v)
        return false;
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
        if (strcmp(v, ok[i]) == 0)
            return true;
    return false;
}

int check_status(const char *v, struct verr *err)
{
    if (!status_valid(v))
        return verr_set(err, -EINVAL,
                        N_("status: '%.40s' is not one of open, in_progress, resolved, "
                           "false_positive"),
                        v ? v : "");
    return 0;
}

size_t addr_to_bytes(const struct ip_addr *a, uint8_t out[static 16])
{
    if (a->family == ADDR_V4) {
        for (int i = 0; i < 4; i++)
            out[i] = (uint8_t)(a->v4 >> (24 - 8 * i));
        return 4;
    }
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(a->v6.hi >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(a->v6.lo >> (56 - 8 * i));
    }
    return 16;
}

json_t *details_json(int64_t first_seen, const char *malware, int port, int64_t asn,
                     const char *isp, const char *ref)
{
    json_t *d = json_object();
    json_object_set_new(d, "first_seen", json_time(first_seen));
    json_object_set_new(d, "malware", malware && *malware ? json_string(malware) : json_null());
    json_object_set_new(d, "port", port > 0 ? json_integer(port) : json_null());
    json_object_set_new(d, "asn", asn > 0 ? json_integer(asn) : json_null());
    json_object_set_new(d, "isp", isp && *isp ? json_string(isp) : json_null());
    json_object_set_new(d, "ref", ref && *ref ? json_string(ref) : json_null());
    return d;
}

static int migrate(struct store *s, struct verr *err)
{
    int64_t have = st_int(s, "PRAGMA user_version", -1, 0);
    if (have > store_n_migrations)
        return verr_set(err, -ENOTSUP,
                        N_("the database has schema version %lld, newer than this program "
                           "supports (%d); use a newer Vigil or restore a backup"),
                        (long long)have, store_n_migrations);
    for (int v = (int)have; v < store_n_migrations; v++) {
        int r = st_begin(s, err);
        if (r < 0)
            return r;
        char pragma[48];
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
        if ((r = st_exec(s, store_migrations[v], err)) < 0 || (r = st_exec(s, pragma, err)) < 0) {
            st_rollback(s);
            return verr_prefix(err, N_("migration to schema version %d"), v + 1);
        }
        if ((r = st_commit(s, err)) < 0)
            return r;
    }
    return 0;
}

int store_open(const char *dir, struct store **ret, struct verr *err)
{
    if (!dir || !*dir)
        return verr_set(err, -EINVAL, N_("data directory: a value is required"));
    int r = mkdir_p(dir, 0700);
    if (r < 0)
        return verr_set(err, r, N_("data directory %s: cannot create it: %s"), dir, strerror(-r));

    struct buf path = BUF_INIT(4096);
    if (buf_printf(&path, "%s/vigil.db", dir) < 0) {
        buf_release(&path);
        return verr_set(err, -ENAMETOOLONG, N_("data directory %s: path too long"), dir);
    }

    struct store *s = xcalloc(1, sizeof(*s));
    int rc =
        sqlite3_open_v2(buf_str(&path), &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        verr_set(err, -EIO, N_("database %s: cannot open: %s"), buf_str(&path),
                 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        buf_release(&path);
        store_close(s);
        return -EIO;
    }
    chmod(buf_str(&path), 0600);
    buf_release(&path);

    sqlite3_busy_timeout(s->db, 5000);
    sqlite3_extended_result_codes(s->db, 1);
    /*
     * WAL with synchronous=NORMAL: a commit appends its pages and a commit
     * frame to the WAL with write(); the WAL is fsync'ed at checkpoints, not
     * at every commit. A committed transaction is therefore in the operating
     * system's page cache the moment COMMIT returns, and survives the
     * process being killed (SIGKILL, crash) at any point. Only a power loss
     * or kernel crash can lose the last few commits, and even then the
     * database stays consistent (never a half transaction). An import that
     * is killed before its COMMIT leaves no commit frame, so readers and the
     * next start see the previous state.
     */
    if ((r = st_exec(s, "PRAGMA journal_mode = WAL", err)) < 0 ||
        (r = st_exec(s, "PRAGMA synchronous = NORMAL", err)) < 0 ||
        (r = st_exec(s, "PRAGMA foreign_keys = ON", err)) < 0 ||
        (r = st_exec(s, "PRAGMA temp_store = MEMORY", err)) < 0 ||
        (r = st_exec(s, "PRAGMA cache_size = -32768", err)) < 0) {
        store_close(s);
        return r;
    }
    char mode[16] = "";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        snprintf(mode, sizeof(mode), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (strcmp(mode, "wal") != 0) {
        verr_set(err, -EIO, N_("database in %s: cannot use write-ahead logging (mode %s)"), dir,
                 mode);
        store_close(s);
        return -EIO;
    }

    if ((r = migrate(s, err)) < 0) {
        store_close(s);
        return r;
    }
    *ret = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_stmts; i++)
        sqlite3_finalize(s->stmts[i].st);
    if (s->db)
        sqlite3_close(s->db);
    free(s);
}

int store_schema_version(struct store *s)
{
    return (int)st_int(s, "PRAGMA user_version", -1, -1);
}

json_t *store_stats(struct store *s)
{
    static const struct {
        const char *name, *sql;
    } q[] = {
        {"units", "SELECT COUNT(*) FROM units"},
        {"systems", "SELECT COUNT(*) FROM systems"},
        {"feeds", "SELECT COUNT(*) FROM feeds"},
        {"versions", "SELECT COUNT(*) FROM feed_versions"},
        {"indicators", "SELECT COALESCE(SUM(n_indicators), 0) FROM feed_versions"},
        {"findings_open", "SELECT COUNT(*) FROM findings WHERE status = 'open'"},
        {"findings_in_progress", "SELECT COUNT(*) FROM findings WHERE status = 'in_progress'"},
        {"findings_resolved", "SELECT COUNT(*) FROM findings WHERE status = 'resolved'"},
        {"findings_false_positive",
         "SELECT COUNT(*) FROM findings WHERE status = 'false_positive'"},
        {"tokens", "SELECT COUNT(*) FROM tokens WHERE revoked_at IS NULL"},
    };
    json_t *o = json_object();
    for (size_t i = 0; i < ARRAY_SIZE(q); i++)
        json_object_set_new(o, q[i].name, json_integer(st_int(s, q[i].sql, -1, 0)));
    return o;
}
