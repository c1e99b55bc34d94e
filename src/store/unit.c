/* Units (đơn vị): the organisation as a tree. */
#include <string.h>

#include "base/i18n.h"
#include "base/vtime.h"
#include "store/store_int.h"

#define UNIT_COLS "id, name, code, parent_id, created_at"

static const struct col_spec unit_cols[] = {
    {"id", 0, COL_INT},        {"name", 1, COL_TEXT},       {"code", 2, COL_TEXT},
    {"parent_id", 3, COL_INT}, {"created_at", 4, COL_TIME},
};

static json_t *unit_row_json(struct store *s, sqlite3_stmt *st)
{
    (void)s;
    return cols_json(st, unit_cols, ARRAY_SIZE(unit_cols));
}

int store_unit_add(struct store *s, const struct actor *who, const char *name, const char *code,
                   int64_t parent_id, int64_t *ret_id, struct verr *err)
{
    int r;
    if ((r = check_text("name", name, 1, 200, true, err)) < 0 ||
        (r = check_text("code", code, 0, 64, false, err)) < 0)
        return r;
    if (parent_id < 0)
        return verr_set(err, -EINVAL, N_("parent_id: unit %lld does not exist"),
                        (long long)parent_id);

    if ((r = st_begin(s, err)) < 0)
        return r;
    if (parent_id > 0 && st_int(s, "SELECT 1 FROM units WHERE id = ?", parent_id, 0) != 1) {
        r = verr_set(err, -EINVAL, N_("parent_id: unit %lld does not exist"), (long long)parent_id);
        goto fail;
    }
    sqlite3_stmt *st = st_get(s, "SELECT 1 FROM units WHERE name = ? AND parent_id IS ?", err);
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    if (parent_id > 0)
        sqlite3_bind_int64(st, 2, parent_id);
    bool dup = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    if (dup) {
        r = verr_set(err, -EEXIST, N_("name: a unit named '%.200s' already exists there"), name);
        goto fail;
    }
    st =
        st_get(s, "INSERT INTO units (name, code, parent_id, created_at) VALUES (?, ?, ?, ?)", err);
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    st_bind_text(st, 2, code);
    if (parent_id > 0)
        sqlite3_bind_int64(st, 3, parent_id);
    sqlite3_bind_int64(st, 4, vtime_now());
    if ((r = st_done(s, st, err)) < 0)
        goto fail;
    int64_t id = sqlite3_last_insert_rowid(s->db);
    json_t *detail =
        json_pack("{s:s, s:s?, s:o}", "name", name, "code", code && *code ? code : NULL,
                  "parent_id", parent_id > 0 ? json_integer(parent_id) : json_null());
    if ((r = st_audit_commit(s, who, "unit.add", "unit", id, detail, err)) < 0)
        return r;
    if (ret_id)
        *ret_id = id;
    return 0;
fail:
    st_rollback(s);
    return r;
}

json_t *store_unit_list(struct store *s)
{
    sqlite3_stmt *st = st_get(s, "SELECT " UNIT_COLS " FROM units ORDER BY id", NULL);
    if (!st)
        return NULL;
    return st_items(s, st, unit_row_json);
}

json_t *store_unit_get(struct store *s, int64_t id)
{
    sqlite3_stmt *st = st_get(s, "SELECT " UNIT_COLS " FROM units WHERE id = ?", NULL);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    json_t *u = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        u = unit_row_json(s, st);
    sqlite3_reset(st);
    return u;
}

int store_unit_remove(struct store *s, const struct actor *who, int64_t id, struct verr *err)
{
    sqlite3_stmt *st;
    int r = st_begin(s, err);
    if (r < 0)
        return r;
    if ((r = st_row(s, &st, "SELECT name FROM units WHERE id = ?", id, err,
                    N_("unit %lld does not exist"), (long long)id)) < 0)
        goto fail;
    json_t *detail = json_pack("{s:s}", "name", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (st_int(s, "SELECT COUNT(*) FROM units WHERE parent_id = ?", id, 0) > 0)
        r = verr_set(err, -EBUSY, N_("unit %lld still has sub-units"), (long long)id);
    else if (st_int(s, "SELECT COUNT(*) FROM systems WHERE unit_id = ?", id, 0) > 0)
        r = verr_set(err, -EBUSY, N_("unit %lld still has information systems"), (long long)id);
    else
        r = st_run_id(s, "DELETE FROM units WHERE id = ?", id, err);
    if (r < 0) {
        json_decref(detail);
        goto fail;
    }
    return st_audit_commit(s, who, "unit.remove", "unit", id, detail, err);
fail:
    st_rollback(s);
    return r;
}
