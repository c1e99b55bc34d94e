/* The audit log: one row for every change, written in the change's transaction. */
#include <string.h>

#include "base/vtime.h"
#include "store/store_int.h"

const char *actor_name(const struct actor *who)
{
    return who && who->name[0] ? who->name : "system";
}

int audit_add(struct store *s, const struct actor *who, const char *action, const char *object,
              int64_t object_id, json_t *detail, struct verr *err)
{
    sqlite3_stmt *st = st_get(s,
                              "INSERT INTO audit (at, actor_token_id, actor, action, object_type,"
                              " object_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                              err);
    if (!st) {
        json_decref(detail);
        return -EIO;
    }
    char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    sqlite3_bind_int64(st, 1, vtime_now());
    if (who && who->token_id > 0)
        sqlite3_bind_int64(st, 2, who->token_id);
    sqlite3_bind_text(st, 3, actor_name(who), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, object, -1, SQLITE_STATIC);
    if (object_id > 0)
        sqlite3_bind_int64(st, 6, object_id);
    if (text)
        sqlite3_bind_text(st, 7, text, -1, free);
    return st_done(s, st, err);
}

static const struct col_spec audit_cols[] = {
    {"id", 0, COL_INT},        {"at", 1, COL_TIME},
    {"actor", 2, COL_TEXT},    {"actor_token_id", 7, COL_INT},
    {"action", 3, COL_TEXT},   {"object", 4, COL_TEXT},
    {"object_id", 5, COL_INT}, {"detail", 6, COL_JSON},
};

static json_t *audit_row_json(struct store *s, sqlite3_stmt *st)
{
    (void)s;
    return cols_json(st, audit_cols, ARRAY_SIZE(audit_cols));
}

json_t *store_audit_list(struct store *s, size_t limit, size_t offset)
{
    if (limit == 0)
        limit = 100;
    if (limit > 10000)
        limit = 10000;
    sqlite3_stmt *st = st_get(s,
                              "SELECT id, at, actor, action, object_type, object_id, detail,"
                              " actor_token_id FROM audit ORDER BY id DESC LIMIT ? OFFSET ?",
                              NULL);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, (int64_t)limit);
    sqlite3_bind_int64(st, 2, (int64_t)MIN(offset, (size_t)INT64_MAX));
    return st_items(s, st, audit_row_json);
}
