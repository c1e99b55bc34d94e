/*
 * Host inventory per agent (snapshot plus deltas), agents' addresses, and
 * coverage of registered systems by reporting agents (event.h).
 */
#include <string.h>

#include "base/addr.h"
#include "base/i18n.h"
#include "base/vtime.h"
#include "store/event_int.h"
#include "store/store_int.h"

#define INVENTORY_DOC_MAX  (16u << 20)
#define INVENTORY_ADDR_MAX 1024 /* interface addresses kept per agent */
#define COVERAGE_WINDOW_S  86400

/* The list sections and the fields of their natural keys
 * (docs/agent-protocol.md "Inventory"). Other members are scalars. */
static const struct section {
    const char *name;
    const char *keys[6];
} sections[] = {
    {"interfaces", {"name"}},
    {"packages", {"name", "arch"}},
    {"listening", {"proto", "addr", "port"}},
    {"connections", {"proto", "local_addr", "local_port", "remote_addr", "remote_port"}},
    {"users", {"name"}},
    {"groups", {"name"}},
    {"processes", {"pid", "exe"}},
    {"units", {"name"}},
    {"cron", {"file", "schedule", "command"}},
};
static const char *const scalars[] = {"os", "kernel", "hostname"};

static const struct section *section_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
        if (strcmp(sections[i].name, name) == 0)
            return &sections[i];
    return NULL;
}

static bool scalar_known(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(scalars); i++)
        if (strcmp(scalars[i], name) == 0)
            return true;
    return false;
}

/* Two items have the same natural key when every key field is equal
 * (missing fields compare equal to missing). */
static bool same_key(const struct section *sec, json_t *a, json_t *b)
{
    for (size_t k = 0; k < ARRAY_SIZE(sec->keys) && sec->keys[k]; k++) {
        json_t *x = json_object_get(a, sec->keys[k]), *y = json_object_get(b, sec->keys[k]);
        if (!(x == y || (x && y && json_equal(x, y))))
            return false;
    }
    return true;
}

/* Check a snapshot or one half of a delta: the list sections are lists of
 * objects. Other members are kept as they are (a newer agent may add some). */
static int check_sections(json_t *o, const char *what, struct verr *err)
{
    const char *key;
    json_t *v, *item;
    size_t i;

    json_object_foreach(o, key, v)
    {
        if (!section_find(key))
            continue;
        if (!json_is_array(v))
            return verr_set(err, -EINVAL, N_("%s: section '%s' must be a list"), what, key);
        json_array_foreach(v, i, item)
        {
            if (!json_is_object(item))
                return verr_set(err, -EINVAL, N_("%s: %s item %zu must be an object"), what, key,
                                i + 1);
        }
    }
    return 0;
}

static void delta_remove(json_t *doc, json_t *removed)
{
    const char *key;
    json_t *v;

    json_object_foreach(removed, key, v)
    {
        const struct section *sec = section_find(key);
        json_t *list = json_object_get(doc, key);
        size_t i, j;
        json_t *gone;
        if (!sec) {
            json_object_del(doc, key);
            continue;
        }
        if (!json_is_array(list))
            continue;
        json_array_foreach(v, j, gone)
        {
            for (i = json_array_size(list); i-- > 0;)
                if (same_key(sec, json_array_get(list, i), gone))
                    json_array_remove(list, i);
        }
    }
}

static void delta_add(json_t *doc, json_t *added)
{
    const char *key;
    json_t *v;

    json_object_foreach(added, key, v)
    {
        const struct section *sec = section_find(key);
        json_t *list = json_object_get(doc, key);
        size_t i, j;
        json_t *item;
        if (!sec) {
            json_object_set(doc, key, v);
            continue;
        }
        if (!json_is_array(list)) {
            list = json_array();
            json_object_set_new(doc, key, list);
        }
        json_array_foreach(v, j, item)
        {
            bool replaced = false;
            for (i = 0; i < json_array_size(list) && !replaced; i++)
                if (same_key(sec, json_array_get(list, i), item)) {
                    json_array_set(list, i, item);
                    replaced = true;
                }
            if (!replaced)
                json_array_append(list, item);
        }
    }
}

/* Refresh inventory_addrs from the document's interfaces. */
static int save_addrs(struct store *s, int64_t agent_id, json_t *doc, struct verr *err)
{
    json_t *ifs = json_object_get(doc, "interfaces"), *itf, *a;
    size_t i, j, n = 0;

    if (st_run_id(s, "DELETE FROM inventory_addrs WHERE agent_id = ?", agent_id, err) < 0)
        return -EIO;
    json_array_foreach(ifs, i, itf)
    {
        json_array_foreach(json_object_get(itf, "addresses"), j, a)
        {
            const char *text = json_string_value(a), *slash;
            struct ip_addr ip;
            uint8_t b[16];
            size_t len;
            sqlite3_stmt *st;

            if (!text || n >= INVENTORY_ADDR_MAX)
                continue;
            slash = strchr(text, '/');
            len = slash ? (size_t)(slash - text) : strlen(text);
            if (ip_parse(text, len, &ip) != ADDR_OK)
                continue;
            len = addr_to_bytes(&ip, b);
            st = st_get(s,
                        "INSERT OR IGNORE INTO inventory_addrs (agent_id, family, addr)"
                        " VALUES (?, ?, ?)",
                        err);
            if (!st)
                return -EIO;
            sqlite3_bind_int64(st, 1, agent_id);
            sqlite3_bind_int(st, 2, ip.family);
            sqlite3_bind_blob(st, 3, b, (int)len, SQLITE_TRANSIENT);
            if (st_done(s, st, err) < 0)
                return -EIO;
            n++;
        }
    }
    return 0;
}

int inventory_apply_locked(struct store *s, int64_t agent_id, json_t *inv, bool delta,
                           struct verr *err)
{
    json_t *doc = NULL;
    sqlite3_stmt *st;
    char *text;
    int rc;

    if (delta) {
        json_t *added = json_object_get(inv, "added"), *removed = json_object_get(inv, "removed");
        if ((added && !json_is_object(added)) || (removed && !json_is_object(removed)))
            return verr_set(err, -EINVAL, N_("a delta's added and removed must be objects"));
        if ((added && (rc = check_sections(added, "added", err)) < 0) ||
            (removed && (rc = check_sections(removed, "removed", err)) < 0))
            return rc;
        st = st_get(s, "SELECT doc FROM inventory WHERE agent_id = ?", err);
        if (!st)
            return -EIO;
        sqlite3_bind_int64(st, 1, agent_id);
        if (sqlite3_step(st) == SQLITE_ROW)
            doc = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
        sqlite3_reset(st);
        if (!json_is_object(doc)) {
            json_decref(doc);
            doc = json_object();
        }
        if (removed)
            delta_remove(doc, removed);
        if (added)
            delta_add(doc, added);
    } else {
        if ((rc = check_sections(inv, "snapshot", err)) < 0)
            return rc;
        doc = json_incref(inv);
    }
    text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text || strlen(text) > INVENTORY_DOC_MAX) {
        free(text);
        json_decref(doc);
        return verr_set(err, -EINVAL, N_("the inventory is larger than %u bytes"),
                        INVENTORY_DOC_MAX);
    }
    st = st_get(s,
                "INSERT INTO inventory (agent_id, doc, updated_at) VALUES (?1, ?2, ?3)"
                " ON CONFLICT (agent_id) DO UPDATE SET doc = ?2, updated_at = ?3",
                err);
    rc = st ? 0 : -EIO;
    if (st) {
        sqlite3_bind_int64(st, 1, agent_id);
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, vtime_now());
        rc = st_done(s, st, err);
        sqlite3_clear_bindings(st);
    }
    if (rc == 0)
        rc = save_addrs(s, agent_id, doc, err);
    free(text);
    json_decref(doc);
    return rc;
}

int store_inventory_apply(struct store *s, int64_t agent_id, json_t *doc, bool is_delta,
                          struct verr *err)
{
    int rc;

    if (!json_is_object(doc))
        return verr_set(err, -EINVAL, N_("an inventory must be a JSON object"));
    if ((rc = st_begin(s, err)) < 0)
        return rc;
    if ((rc = inventory_apply_locked(s, agent_id, doc, is_delta, err)) < 0) {
        st_rollback(s);
        return rc;
    }
    return st_commit(s, err);
}

int store_inventory_get(struct store *s, int64_t agent_id, const char *section, json_t **ret,
                        struct verr *err)
{
    sqlite3_stmt *st;
    json_t *doc, *out;
    int rc;

    if (section && !section_find(section) && !scalar_known(section))
        return verr_set(err, -EINVAL, N_("unknown inventory section '%s'"), section);
    rc = st_row(s, &st, "SELECT doc, updated_at FROM inventory WHERE agent_id = ?", agent_id, err,
                N_("no inventory for agent %lld"), (long long)agent_id);
    if (rc < 0)
        return rc;
    doc = col_json(st, 0);
    out = json_pack("{s:I, s:o}", "agent_id", (json_int_t)agent_id, "updated_at", col_time(st, 1));
    sqlite3_reset(st);
    if (section) {
        json_t *v = json_object_get(doc, section);
        json_object_set_new(out, "section", json_string(section));
        json_object_set(out, "items", v ? v : (section_find(section) ? json_array() : json_null()));
        json_decref(doc);
    } else {
        json_object_set_new(out, "inventory", doc);
    }
    *ret = out;
    return 0;
}

/* --- Agents' addresses. */

static bool addr_from_text(const char *text, struct agent_addr *ret)
{
    struct ip_addr ip;
    size_t len;

    if (!text)
        return false;
    len = strlen(text);
    if (ip_parse(text, len, &ip) != ADDR_OK) {
        /* "a.b.c.d:port" or "[v6]:port" */
        const char *colon = strrchr(text, ':');
        if (text[0] == '[') {
            const char *close = strchr(text, ']');
            if (!close || ip_parse(text + 1, (size_t)(close - text - 1), &ip) != ADDR_OK)
                return false;
        } else if (!colon || ip_parse(text, (size_t)(colon - text), &ip) != ADDR_OK) {
            return false;
        }
    }
    ret->family = ip.family;
    ret->len = (uint8_t)addr_to_bytes(&ip, ret->b);
    return true;
}

int agent_addrs_load(struct store *s, json_t *agents, int64_t only, struct agent_addrs *ret,
                     struct verr *err)
{
    struct agent_addrs aa = {VEC_INIT};
    size_t i;
    json_t *a;
    sqlite3_stmt *st;

    json_array_foreach(agents, i, a)
    {
        struct agent_addr x = {0};
        x.agent_id = (int64_t)json_integer_value(json_object_get(a, "id"));
        if (x.agent_id > 0 && addr_from_text(json_string_value(json_object_get(a, "addr")), &x))
            VEC_PUSH(&aa.v, x);
    }
    st = st_get(
        s, "SELECT agent_id, family, addr FROM inventory_addrs WHERE ?1 = 0 OR agent_id = ?1", err);
    if (!st) {
        VEC_FREE(&aa.v);
        return -EIO;
    }
    sqlite3_bind_int64(st, 1, only);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct agent_addr x = {0};
        int n = sqlite3_column_bytes(st, 2);
        if (n != 4 && n != 16)
            continue;
        x.agent_id = sqlite3_column_int64(st, 0);
        x.family = (uint8_t)sqlite3_column_int(st, 1);
        x.len = (uint8_t)n;
        memcpy(x.b, sqlite3_column_blob(st, 2), (size_t)n);
        VEC_PUSH(&aa.v, x);
    }
    sqlite3_reset(st);
    *ret = aa;
    return 0;
}

void agent_addrs_release(struct agent_addrs *aa)
{
    VEC_FREE(&aa->v);
}

int agent_levels(struct store *s, const struct agent_addrs *aa, int64_t agent_id,
                 unsigned *ret_levels, struct verr *err)
{
    unsigned levels = 0;

    for (size_t i = 0; i < aa->v.n; i++) {
        const struct agent_addr *x = &aa->v.items[i];
        sqlite3_stmt *st;
        if (x->agent_id != agent_id)
            continue;
        st = st_get(s,
                    "SELECT sy.level FROM system_addrs sa JOIN systems sy ON sy.id = sa.system_id"
                    " WHERE sa.family = ?1 AND sa.first <= ?2 AND sa.last >= ?2",
                    err);
        if (!st)
            return -EIO;
        sqlite3_bind_int(st, 1, x->family);
        sqlite3_bind_blob(st, 2, x->b, x->len, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            int l = sqlite3_column_int(st, 0);
            if (l >= 1 && l <= 5)
                levels |= 1u << l;
        }
        sqlite3_reset(st);
    }
    *ret_levels = levels;
    return 0;
}

/* --- Coverage. */

/* Active and seen within the window. */
static bool agent_reporting(json_t *a, int64_t now)
{
    json_t *seen = json_object_get(a, "last_seen");
    const char *status = json_string_value(json_object_get(a, "status"));
    int64_t t = 0;

    if (status && strcmp(status, "active") != 0)
        return false;
    if (json_is_integer(seen))
        t = (int64_t)json_integer_value(seen);
    else if (json_is_string(seen) &&
             vtime_parse(json_string_value(seen), json_string_length(seen), &t) < 0)
        return false;
    return t > 0 && now - t <= COVERAGE_WINDOW_S;
}

static bool id_in(json_t *ids, int64_t id)
{
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        if ((int64_t)json_integer_value(v) == id)
            return true;
    }
    return false;
}

/* The coverage entry of one row of system_addrs (cidr, prefix_len, family,
 * first, last) against the reporting agents' addresses. */
static json_t *coverage_entry(sqlite3_stmt *st, const struct agent_addrs *aa, json_t *reporting)
{
    int fam = sqlite3_column_int(st, 2), plen = sqlite3_column_int(st, 1);
    const void *first = sqlite3_column_blob(st, 3), *last = sqlite3_column_blob(st, 4);
    int n = sqlite3_column_bytes(st, 3);
    bool single = plen == (fam == 4 ? 32 : 128);
    json_t *ids = json_array();

    for (size_t i = 0; i < aa->v.n; i++) {
        const struct agent_addr *x = &aa->v.items[i];
        if (x->family != fam || x->len != n || !id_in(reporting, x->agent_id) ||
            id_in(ids, x->agent_id))
            continue;
        if (memcmp(x->b, first, (size_t)n) >= 0 && memcmp(x->b, last, (size_t)n) <= 0)
            json_array_append_new(ids, json_integer(x->agent_id));
    }
    return json_pack("{s:o, s:b, s:I, s:b, s:o}", "cidr", col_text(st, 0), "single", single,
                     "n_agents", (json_int_t)json_array_size(ids), "covered",
                     json_array_size(ids) > 0, "agents", ids);
}

int store_coverage(struct store *s, json_t *agents, int64_t now, json_t **ret, struct verr *err)
{
    struct agent_addrs aa;
    json_t *reporting = json_array(), *items = json_array(), *a;
    sqlite3_stmt *st;
    size_t i;
    int rc = 0;

    json_array_foreach(agents, i, a)
    {
        if (agent_reporting(a, now))
            json_array_append(reporting, json_object_get(a, "id"));
    }
    if ((rc = agent_addrs_load(s, agents, 0, &aa, err)) < 0)
        goto out;
    st = st_get(s, "SELECT id, name, level, unit_id FROM systems ORDER BY id", err);
    if (!st) {
        rc = -EIO;
        goto out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        static const struct col_spec cols[] = {{"id", 0, COL_INT},
                                               {"name", 1, COL_TEXT},
                                               {"level", 2, COL_INT},
                                               {"unit_id", 3, COL_INT}};
        json_array_append_new(items, cols_json(st, cols, ARRAY_SIZE(cols)));
    }
    sqlite3_reset(st);
    json_array_foreach(items, i, a)
    {
        json_t *addrs = json_array();
        int64_t uncovered = 0;
        st = st_get(s,
                    "SELECT cidr, prefix_len, family, first, last FROM system_addrs"
                    " WHERE system_id = ? ORDER BY id",
                    err);
        if (!st) {
            json_decref(addrs);
            rc = -EIO;
            break;
        }
        sqlite3_bind_int64(st, 1, (int64_t)json_integer_value(json_object_get(a, "id")));
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *e = coverage_entry(st, &aa, reporting);
            if (json_is_true(json_object_get(e, "single")) &&
                !json_is_true(json_object_get(e, "covered")))
                uncovered++;
            json_array_append_new(addrs, e);
        }
        sqlite3_reset(st);
        json_object_set_new(a, "addrs", addrs);
        json_object_set_new(a, "n_hosts_uncovered", json_integer(uncovered));
    }
    agent_addrs_release(&aa);
out:
    json_decref(reporting);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *ret = json_pack("{s:o}", "items", items);
    return 0;
}
