/* Tasks for agents: a fixed set of verbs, queued, sent, answered (event.h). */
#include <string.h>

#include "base/i18n.h"
#include "base/vtime.h"
#include "store/event.h"
#include "store/malware_int.h"
#include "store/store_int.h"

#define TASK_ARGS_MAX   65536
#define TASK_RESULT_MAX (1u << 20)

bool task_verb_valid(const char *verb)
{
    return verb && (strcmp(verb, "inventory") == 0 || strcmp(verb, "scan") == 0 ||
                    strcmp(verb, "collect") == 0);
}

/* --- Arguments of "scan" tasks (malware_int.h). */

static int check_mode_args(json_t *args, struct verr *err)
{
    static const char *const modes[] = {"full", "quick", "paths", "memory"};
    const char *key, *mode = "full";
    json_t *v, *paths = NULL;

    json_object_foreach(args, key, v)
    {
        if (strcmp(key, "mode") == 0) {
            mode = json_string_value(v);
            bool known = false;
            for (size_t i = 0; mode && i < ARRAY_SIZE(modes); i++)
                known = known || strcmp(mode, modes[i]) == 0;
            if (!known)
                return verr_set(err, -EINVAL, N_("mode: must be full, quick, paths or memory"));
        } else if (strcmp(key, "paths") == 0) {
            paths = v;
        } else if (strcmp(key, "quarantine") == 0 || strcmp(key, "priority") == 0) {
            if (!json_is_boolean(v))
                return verr_set(err, -EINVAL, N_("%s: must be true or false"), key);
        } else if (strcmp(key, "finding_id") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 1)
                return verr_set(err, -EINVAL, N_("finding_id: must be a positive integer"));
        } else if (strcmp(key, "reason") == 0) {
            if (!json_is_string(v) || json_string_length(v) > SCAN_REASON_MAX ||
                strlen(json_string_value(v)) != json_string_length(v))
                return verr_set(err, -EINVAL, N_("reason: must be text of at most %d bytes"),
                                SCAN_REASON_MAX);
        } else {
            return verr_set(err, -EINVAL, N_("args: unknown member '%.64s' of a scan task"), key);
        }
    }
    if (strcmp(mode, "paths") != 0) {
        if (paths)
            return verr_set(err, -EINVAL, N_("paths: only a scan in mode paths takes paths"));
        return 0;
    }
    if (!json_is_array(paths) || json_array_size(paths) < 1 ||
        json_array_size(paths) > SCAN_TASK_PATHS_MAX)
        return verr_set(err, -EINVAL, N_("paths: a scan in mode paths needs 1 to %d paths"),
                        SCAN_TASK_PATHS_MAX);
    size_t i;
    json_array_foreach(paths, i, v)
    {
        const char *p = json_string_value(v);
        if (!p || p[0] != '/' || json_string_length(v) > SCAN_PATH_MAX ||
            strlen(p) != json_string_length(v))
            return verr_set(err, -EINVAL,
                            N_("paths: path %zu must be absolute, at most %d bytes, without NUL"),
                            i + 1, SCAN_PATH_MAX);
    }
    return 0;
}

bool quarantine_id_valid(const char *v)
{
    size_t n = v ? strlen(v) : 0;
    if (n < 1 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int check_restore_args(json_t *args, struct verr *err)
{
    const char *key;
    json_t *v;

    json_object_foreach(args, key, v)
    {
        if (strcmp(key, "action") == 0) {
            const char *a = json_string_value(v);
            if (!a || strcmp(a, "restore") != 0)
                return verr_set(err, -EINVAL, N_("action: the only action is restore"));
        } else if (strcmp(key, "quarantine_id") == 0) {
            if (!quarantine_id_valid(json_string_value(v)))
                return verr_set(err, -EINVAL,
                                N_("quarantine_id: must be 1 to 128 of A-Z a-z 0-9 . _ -"));
        } else if (strcmp(key, "finding_id") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 1)
                return verr_set(err, -EINVAL, N_("finding_id: must be a positive integer"));
        } else {
            return verr_set(err, -EINVAL, N_("args: unknown member '%.64s' of a restore task"),
                            key);
        }
    }
    if (!json_object_get(args, "quarantine_id"))
        return verr_set(err, -EINVAL, N_("quarantine_id: a restore needs the quarantine id"));
    return 0;
}

int scan_args_check(json_t *args, struct verr *err)
{
    if (!args)
        return 0;
    if (!json_is_object(args))
        return verr_set(err, -EINVAL, N_("args must be an object"));
    if (json_object_get(args, "action"))
        return check_restore_args(args, err);
    return check_mode_args(args, err);
}

/* --- Tasks. */

int task_add_locked(struct store *s, const struct actor *who, int64_t agent_id, const char *verb,
                    json_t *args, int64_t *ret_id, struct verr *err)
{
    sqlite3_stmt *st;
    char *text;
    int64_t id;
    int rc;

    if (!task_verb_valid(verb))
        return verr_set(err, -EINVAL, N_("verb must be inventory, scan or collect"));
    if (args && !json_is_object(args))
        return verr_set(err, -EINVAL, N_("args must be an object"));
    if (strcmp(verb, "scan") == 0 && (rc = scan_args_check(args, err)) < 0)
        return rc;
    text = args ? json_dumps(args, JSON_COMPACT) : strdup("{}");
    if (!text || strlen(text) > TASK_ARGS_MAX) {
        free(text);
        return verr_set(err, -EINVAL, N_("args must be at most %d bytes"), TASK_ARGS_MAX);
    }
    st = st_get(s,
                "INSERT INTO tasks (agent_id, verb, args, status, actor, created_at)"
                " VALUES (?, ?, ?, 'queued', ?, ?)",
                err);
    if (!st) {
        free(text);
        return -EIO;
    }
    sqlite3_bind_int64(st, 1, agent_id);
    sqlite3_bind_text(st, 2, verb, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, actor_name(who), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, vtime_now());
    free(text);
    if ((rc = st_done(s, st, err)) < 0)
        return rc;
    id = sqlite3_last_insert_rowid(s->db);
    rc = audit_add(s, who, "task.add", "agent", agent_id,
                   json_pack("{s:I, s:s}", "task_id", (json_int_t)id, "verb", verb), err);
    if (rc == 0 && ret_id)
        *ret_id = id;
    return rc;
}

int store_task_add(struct store *s, const struct actor *who, int64_t agent_id, const char *verb,
                   json_t *args, int64_t *ret_id, struct verr *err)
{
    int rc;

    if (!task_verb_valid(verb))
        return verr_set(err, -EINVAL, N_("verb must be inventory, scan or collect"));
    if ((rc = st_begin(s, err)) < 0)
        return rc;
    if ((rc = task_add_locked(s, who, agent_id, verb, args, ret_id, err)) < 0) {
        st_rollback(s);
        return rc;
    }
    return st_commit(s, err);
}

static json_t *task_row(struct store *s UNUSED, sqlite3_stmt *st)
{
    static const struct col_spec cols[] = {
        {"id", 0, COL_INT},          {"agent_id", 1, COL_INT}, {"verb", 2, COL_TEXT},
        {"args", 3, COL_JSON},       {"status", 4, COL_TEXT},  {"actor", 5, COL_TEXT},
        {"created_at", 6, COL_TIME}, {"sent_at", 7, COL_TIME}, {"done_at", 8, COL_TIME},
        {"result", 9, COL_JSON},
    };
    return cols_json(st, cols, ARRAY_SIZE(cols));
}

json_t *store_task_list(struct store *s, int64_t agent_id)
{
    struct verr err;
    sqlite3_stmt *st = st_get(s,
                              "SELECT id, agent_id, verb, args, status, actor, created_at, sent_at,"
                              " done_at, result FROM tasks WHERE agent_id = ? ORDER BY id DESC",
                              &err);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, agent_id);
    return st_items(s, st, task_row);
}

json_t *store_task_queued(struct store *s, int64_t agent_id, bool with_sent, size_t max)
{
    struct verr err;
    sqlite3_stmt *st = st_get(s,
                              "SELECT id, verb, args FROM tasks WHERE agent_id = ?1"
                              " AND (status = 'queued' OR (?3 AND status = 'sent'))"
                              " ORDER BY json_extract(args, '$.priority') IS 1 DESC, id LIMIT ?2",
                              &err);
    json_t *out;

    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, agent_id);
    sqlite3_bind_int64(st, 2, (int64_t)max);
    sqlite3_bind_int(st, 3, with_sent);
    out = json_array();
    while (sqlite3_step(st) == SQLITE_ROW) {
        static const struct col_spec cols[] = {
            {"task_id", 0, COL_INT}, {"verb", 1, COL_TEXT}, {"args", 2, COL_JSON}};
        json_array_append_new(out, cols_json(st, cols, ARRAY_SIZE(cols)));
    }
    sqlite3_reset(st);
    return out;
}

int store_task_mark_sent(struct store *s, int64_t task_id, struct verr *err)
{
    sqlite3_stmt *st = st_get(
        s, "UPDATE tasks SET status = 'sent', sent_at = ? WHERE id = ? AND status = 'queued'", err);
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, vtime_now());
    sqlite3_bind_int64(st, 2, task_id);
    return st_done(s, st, err);
}

int store_task_result(struct store *s, int64_t agent_id, int64_t task_id, const char *status,
                      json_t *result, struct verr *err)
{
    sqlite3_stmt *st;
    char *text;
    int rc;

    if (!status || (strcmp(status, "done") != 0 && strcmp(status, "failed") != 0))
        return verr_set(err, -EINVAL, N_("a task's status must be done or failed"));
    text = result ? json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (text && strlen(text) > TASK_RESULT_MAX) {
        free(text);
        return verr_set(err, -EINVAL, N_("a task's result must be at most %u bytes"),
                        TASK_RESULT_MAX);
    }
    st = st_get(s,
                "UPDATE tasks SET status = ?, result = ?, done_at = ? WHERE id = ? AND agent_id = ?"
                " AND status IN ('queued', 'sent')",
                err);
    if (!st) {
        free(text);
        return -EIO;
    }
    sqlite3_bind_text(st, 1, status, -1, SQLITE_TRANSIENT);
    st_bind_text(st, 2, text);
    sqlite3_bind_int64(st, 3, vtime_now());
    sqlite3_bind_int64(st, 4, task_id);
    sqlite3_bind_int64(st, 5, agent_id);
    rc = st_done(s, st, err);
    free(text);
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        return verr_set(err, -ENOENT, N_("agent %lld has no open task %lld"), (long long)agent_id,
                        (long long)task_id);
    return rc;
}
