/* Information systems (hệ thống thông tin): unit, level, people, address space. */
#include <string.h>

#include "base/i18n.h"
#include "base/vtime.h"
#include "store/store_int.h"

#define SYSTEM_MAX_ADDRS 4096

#define SYSTEM_SELECT                                                                              \
    "SELECT sy.id, sy.unit_id, u.name, sy.name, sy.level, sy.owner, sy.operator, sy.contacts,"     \
    " sy.created_at, (SELECT COUNT(*) FROM findings f WHERE f.system_id = sy.id"                   \
    " AND f.status IN ('open', 'in_progress'))"                                                    \
    " FROM systems sy JOIN units u ON u.id = sy.unit_id"

static const struct col_spec system_cols[] = {
    {"id", 0, COL_INT},        {"unit_id", 1, COL_INT},   {"unit_name", 2, COL_TEXT},
    {"name", 3, COL_TEXT},     {"level", 4, COL_INT},     {"owner", 5, COL_TEXT},
    {"operator", 6, COL_TEXT}, {"contacts", 7, COL_TEXT},
};
static const struct col_spec system_counts[] = {
    {"created_at", 8, COL_TIME},
    {"open_findings", 9, COL_INT},
};

static json_t *system_row_json(struct store *s, sqlite3_stmt *st)
{
    json_t *o = cols_json(st, system_cols, ARRAY_SIZE(system_cols));
    json_t *addrs = json_array();
    sqlite3_stmt *a =
        st_get(s, "SELECT cidr FROM system_addrs WHERE system_id = ? ORDER BY id", NULL);
    if (a) {
        sqlite3_bind_int64(a, 1, sqlite3_column_int64(st, 0));
        while (sqlite3_step(a) == SQLITE_ROW)
            json_array_append_new(addrs, col_text(a, 0));
        sqlite3_reset(a);
    }
    json_object_set_new(o, "addresses", addrs);
    cols_add(o, st, system_counts, ARRAY_SIZE(system_counts));
    return o;
}

static int parse_addrs(const struct system_spec *spec, struct ip_prefix *out, struct verr *err)
{
    if (spec->n_addrs > SYSTEM_MAX_ADDRS)
        return verr_set(err, -EINVAL, N_("addresses: at most %d addresses per system (got %zu)"),
                        SYSTEM_MAX_ADDRS, spec->n_addrs);
    for (size_t i = 0; i < spec->n_addrs; i++) {
        const char *a = spec->addrs[i] ? spec->addrs[i] : "";
        enum addr_err e = prefix_parse(a, strlen(a), true, &out[i]);
        if (e != ADDR_OK)
            return verr_set(err, -EINVAL, N_("addresses[%zu]: '%.64s' is not a valid address: %s"),
                            i, a, addr_strerror(e));
        for (size_t j = 0; j < i; j++) {
            if (out[j].len == out[i].len && ip_cmp(&out[j].addr, &out[i].addr) == 0)
                return verr_set(err, -EINVAL, N_("addresses[%zu]: '%.64s' is listed twice"), i, a);
        }
    }
    return 0;
}

int store_system_add_ex(struct store *s, const struct actor *who, const struct system_spec *spec,
                        int64_t *ret_id, int64_t *ret_n_findings, struct verr *err)
{
    int r;
    if (!spec)
        return verr_set(err, -EINVAL, N_("%s: a value is required"), "system");
    if ((r = check_text("name", spec->name, 1, 200, true, err)) < 0 ||
        (r = check_text("owner", spec->owner, 0, 200, false, err)) < 0 ||
        (r = check_text("operator", spec->operator_name, 0, 200, false, err)) < 0 ||
        (r = check_text("contacts", spec->contacts, 0, 1000, false, err)) < 0)
        return r;
    if (spec->level < 1 || spec->level > 5)
        return verr_set(err, -EINVAL, N_("level: must be 1 to 5 (got %d)"), spec->level);
    if (spec->n_addrs > 0 && !spec->addrs)
        return verr_set(err, -EINVAL, N_("%s: a value is required"), "addresses");
    struct ip_prefix *pfx = xcalloc(spec->n_addrs ? spec->n_addrs : 1, sizeof(*pfx));
    if ((r = parse_addrs(spec, pfx, err)) < 0) {
        free(pfx);
        return r;
    }

    int64_t n_found = 0, id = 0;
    if ((r = st_begin(s, err)) < 0) {
        free(pfx);
        return r;
    }
    if (st_int(s, "SELECT 1 FROM units WHERE id = ?", spec->unit_id, 0) != 1) {
        r = verr_set(err, -EINVAL, N_("unit_id: unit %lld does not exist"),
                     (long long)spec->unit_id);
        goto fail;
    }
    sqlite3_stmt *st = st_get(s, "SELECT 1 FROM systems WHERE unit_id = ? AND name = ?", err);
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, spec->unit_id);
    sqlite3_bind_text(st, 2, spec->name, -1, SQLITE_TRANSIENT);
    bool dup = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    if (dup) {
        r = verr_set(err, -EEXIST, N_("name: the unit already has a system named '%.200s'"),
                     spec->name);
        goto fail;
    }
    st = st_get(s,
                "INSERT INTO systems (unit_id, name, level, owner, operator, contacts,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                err);
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, spec->unit_id);
    sqlite3_bind_text(st, 2, spec->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, spec->level);
    st_bind_text(st, 4, spec->owner);
    st_bind_text(st, 5, spec->operator_name);
    st_bind_text(st, 6, spec->contacts);
    sqlite3_bind_int64(st, 7, vtime_now());
    if ((r = st_done(s, st, err)) < 0)
        goto fail;
    id = sqlite3_last_insert_rowid(s->db);

    json_t *addrs = json_array();
    for (size_t i = 0; i < spec->n_addrs; i++) {
        struct ip_addr first, last;
        uint8_t fb[16], lb[16];
        char text[IP_PREFIX_STRLEN];
        prefix_range(&pfx[i], &first, &last);
        size_t n = addr_to_bytes(&first, fb);
        addr_to_bytes(&last, lb);
        /* A single host reads as it was given: "192.0.2.7", not "/32". */
        if (pfx[i].len == (pfx[i].addr.family == ADDR_V4 ? 32 : 128))
            ip_format(&pfx[i].addr, text);
        else
            prefix_format(&pfx[i], text);
        st = st_get(s,
                    "INSERT INTO system_addrs (system_id, family, first, last, prefix_len, cidr)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    err);
        if (!st) {
            json_decref(addrs);
            r = -EIO;
            goto fail;
        }
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, pfx[i].addr.family);
        sqlite3_bind_blob(st, 3, fb, (int)n, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, lb, (int)n, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, pfx[i].len);
        sqlite3_bind_text(st, 6, text, -1, SQLITE_STATIC);
        if ((r = st_done(s, st, err)) < 0) {
            json_decref(addrs);
            goto fail;
        }
        json_array_append_new(addrs, json_string(text));
    }
    if ((r = finding_match_system(s, id, spec->level, err, &n_found)) < 0) {
        json_decref(addrs);
        goto fail;
    }
    json_t *detail = json_pack("{s:s, s:I, s:i, s:o, s:I}", "name", spec->name, "unit_id",
                               (json_int_t)spec->unit_id, "level", spec->level, "addresses", addrs,
                               "findings_created", (json_int_t)n_found);
    if ((r = st_audit_commit(s, who, "system.add", "system", id, detail, err)) < 0)
        goto out;
    if (ret_id)
        *ret_id = id;
    if (ret_n_findings)
        *ret_n_findings = n_found;
    goto out;
fail:
    st_rollback(s);
out:
    free(pfx);
    return r;
}

int store_system_add(struct store *s, const struct actor *who, const struct system_spec *spec,
                     int64_t *ret_id, struct verr *err)
{
    return store_system_add_ex(s, who, spec, ret_id, NULL, err);
}

json_t *store_system_list(struct store *s, int64_t unit_id)
{
    sqlite3_stmt *st =
        st_get(s, SYSTEM_SELECT " WHERE ?1 = 0 OR sy.unit_id = ?1 ORDER BY sy.id", NULL);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, unit_id);
    /* The address statement is another cached statement, so rows can be
     * turned into JSON while this one is still stepping. */
    return st_items(s, st, system_row_json);
}

json_t *store_system_get(struct store *s, int64_t id)
{
    sqlite3_stmt *st = st_get(s, SYSTEM_SELECT " WHERE sy.id = ?", NULL);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    json_t *o = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        o = system_row_json(s, st);
    sqlite3_reset(st);
    return o;
}

int store_system_remove(struct store *s, const struct actor *who, int64_t id, struct verr *err)
{
    sqlite3_stmt *st;
    int r = st_begin(s, err);
    if (r < 0)
        return r;
    if ((r = st_row(s, &st, "SELECT name, unit_id FROM systems WHERE id = ?", id, err,
                    N_("information system %lld does not exist"), (long long)id)) < 0)
        goto fail;
    json_t *detail = json_pack("{s:s, s:I}", "name", (const char *)sqlite3_column_text(st, 0),
                               "unit_id", (json_int_t)sqlite3_column_int64(st, 1));
    sqlite3_reset(st);
    /* Its addresses, findings and their history go with it (ON DELETE
     * CASCADE); the audit log keeps the record of both. */
    json_object_set_new(
        detail, "findings_removed",
        json_integer(st_int(s, "SELECT COUNT(*) FROM findings WHERE system_id = ?", id, 0)));
    if ((r = st_run_id(s, "DELETE FROM systems WHERE id = ?", id, err)) < 0) {
        json_decref(detail);
        goto fail;
    }
    return st_audit_commit(s, who, "system.remove", "system", id, detail, err);
fail:
    st_rollback(s);
    return r;
}
