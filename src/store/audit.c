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
    json_t *items = json_array();
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *a = json_object();
        json_object_set_new(a, "id", json_integer(sqlite3_column_int64(st, 0)));
        json_object_set_new(a, "at", col_time(st, 1));
        json_object_set_new(a, "actor", col_text(st, 2));
        json_object_set_new(a, "actor_token_id", col_int(st, 7));
        json_object_set_new(a, "action", col_text(st, 3));
        json_object_set_new(a, "object", col_text(st, 4));
        json_object_set_new(a, "object_id", col_int(st, 5));
        json_object_set_new(a, "detail", col_json(st, 6));
        json_array_append_new(items, a);
    }
    sqlite3_reset(st);
    json_t *o = json_object();
    json_object_set_new(o, "items", items);
    return o;
}
