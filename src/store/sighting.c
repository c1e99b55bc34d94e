/* Sightings posted by vigil-sensor, and feed values for it to pull (sighting.h). */
#include "store/sighting.h"

#include <string.h>

#include "base/i18n.h"
#include "base/vtime.h"
#include "store/store_int.h"

#define SIGHTING_TEXT_MAX 256
#define SIGHTING_HIT_MAX  16384

static bool valid_type(const char *t)
{
    return t && (strcmp(t, "ipv4-addr") == 0 || strcmp(t, "ipv6-addr") == 0 ||
                 strcmp(t, "domain-name") == 0);
}

static int check_one(const struct sighting *v, size_t i, struct verr *err)
{
    const struct {
        const char *name, *value;
        bool required;
    } f[] = {
        {"threat.feed.name", v->feed, true}, {"threat.indicator", v->indicator, true},
        {"source.ip", v->source_ip, false},  {"destination.ip", v->destination_ip, false},
        {"user.id", v->user_id, false},
    };
    int rc;

    for (size_t k = 0; k < ARRAY_SIZE(f); k++)
        if ((rc = check_text(f[k].name, f[k].value, f[k].required ? 1 : 0, SIGHTING_TEXT_MAX,
                             f[k].required, err)) < 0)
            return verr_prefix(err, N_("hit %zu"), i + 1);
    if (!valid_type(v->indicator_type))
        return verr_set(err, -EINVAL,
                        N_("hit %zu: threat.indicator.type must be ipv4-addr, ipv6-addr or "
                           "domain-name"),
                        i + 1);
    if (v->at <= 0 || !v->hit || strlen(v->hit) > SIGHTING_HIT_MAX)
        return verr_set(err, -EINVAL, N_("hit %zu: a time and the hit's text are required"), i + 1);
    return 0;
}

int store_sighting_add(struct store *s, const struct actor *who, const struct sighting *v, size_t n,
                       int64_t *ret_first_id, struct verr *err)
{
    int64_t first = 0, now = vtime_now();
    int rc;

    if (n == 0 || n > SIGHTING_BATCH_MAX)
        return verr_set(err, -EINVAL, N_("a batch holds 1 to %d hits"), SIGHTING_BATCH_MAX);
    for (size_t i = 0; i < n; i++)
        if ((rc = check_one(&v[i], i, err)) < 0)
            return rc;
    if ((rc = st_begin(s, err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = st_get(s,
                                  "INSERT INTO sightings (at, received_at, sensor, feed,"
                                  " indicator_type, indicator, source_ip, destination_ip, user_id,"
                                  " hit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                  err);
        if (!st) {
            st_rollback(s);
            return -EIO;
        }
        sqlite3_bind_int64(st, 1, v[i].at);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_text(st, 3, actor_name(who), -1, SQLITE_TRANSIENT);
        st_bind_text(st, 4, v[i].feed);
        st_bind_text(st, 5, v[i].indicator_type);
        st_bind_text(st, 6, v[i].indicator);
        st_bind_text(st, 7, v[i].source_ip);
        st_bind_text(st, 8, v[i].destination_ip);
        st_bind_text(st, 9, v[i].user_id);
        st_bind_text(st, 10, v[i].hit);
        if ((rc = st_done(s, st, err)) < 0) {
            st_rollback(s);
            return rc;
        }
        if (i == 0)
            first = sqlite3_last_insert_rowid(s->db);
    }
    rc = st_audit_commit(s, who, "sightings.add", "sighting", first,
                         json_pack("{s:I, s:I}", "n", (json_int_t)n, "first_id", (json_int_t)first),
                         err);
    if (rc == 0 && ret_first_id)
        *ret_first_id = first;
    return rc;
}

static const struct col_spec sighting_cols[] = {
    {"id", 0, COL_INT},         {"at", 1, COL_TIME},        {"received_at", 2, COL_TIME},
    {"sensor", 3, COL_TEXT},    {"feed", 4, COL_TEXT},      {"indicator_type", 5, COL_TEXT},
    {"indicator", 6, COL_TEXT}, {"source_ip", 7, COL_TEXT}, {"destination_ip", 8, COL_TEXT},
    {"user_id", 9, COL_TEXT},   {"hit", 10, COL_JSON},
};

#define SIGHTING_WHERE                                                                             \
    " WHERE (?1 IS NULL OR feed = ?1) AND (?2 IS NULL OR indicator = ?2)"                          \
    " AND (?3 IS NULL OR user_id = ?3) AND (?4 = 0 OR at >= ?4) AND (?5 = 0 OR at < ?5)"

static void bind_filter(sqlite3_stmt *st, const struct sighting_filter *f)
{
    st_bind_text(st, 1, f->feed);
    st_bind_text(st, 2, f->indicator);
    st_bind_text(st, 3, f->user_id);
    sqlite3_bind_int64(st, 4, f->from);
    sqlite3_bind_int64(st, 5, f->to);
}

int store_sighting_list(struct store *s, const struct sighting_filter *f, json_t **ret,
                        struct verr *err)
{
    size_t limit = f->limit ? MIN(f->limit, (size_t)10000) : 100;
    sqlite3_stmt *st = st_get(s, "SELECT count(*) FROM sightings" SIGHTING_WHERE, err);
    int64_t total = 0;

    if (!st)
        return -EIO;
    bind_filter(st, f);
    if (sqlite3_step(st) == SQLITE_ROW)
        total = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    st = st_get(s,
                "SELECT id, at, received_at, sensor, feed, indicator_type, indicator, source_ip,"
                " destination_ip, user_id, hit FROM sightings" SIGHTING_WHERE
                " ORDER BY id DESC LIMIT ?6 OFFSET ?7",
                err);
    if (!st)
        return -EIO;
    bind_filter(st, f);
    sqlite3_bind_int64(st, 6, (int64_t)limit);
    sqlite3_bind_int64(st, 7, (int64_t)MIN(f->offset, (size_t)INT64_MAX));
    json_t *items = json_array();
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(items, cols_json(st, sighting_cols, ARRAY_SIZE(sighting_cols)));
    sqlite3_reset(st);
    *ret = json_pack("{s:I, s:o}", "total", (json_int_t)total, "items", items);
    return 0;
}

int store_feed_indicator_values(struct store *s, const char *feed, int64_t version_id,
                                const char *type, int64_t *ret_version, struct buf *out,
                                struct verr *err)
{
    int64_t ver = 0, want_type = 0;
    sqlite3_stmt *st;
    int rc = 0;

    if (type && strcmp(type, "ip") == 0)
        want_type = IND_IP;
    else if (type && strcmp(type, "domain") == 0)
        want_type = IND_DOMAIN;
    else if (type)
        return verr_set(err, -EINVAL, N_("type must be ip or domain"));
    st = st_get(s,
                "SELECT v.id FROM feed_versions v JOIN feeds fe ON fe.id = v.feed_id"
                " WHERE fe.name = ?1 AND (?2 = 0 OR v.id = ?2) ORDER BY v.list_date DESC LIMIT 1",
                err);
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, feed, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, version_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        ver = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (ver == 0)
        return verr_set(err, -ENOENT, N_("no version %lld of feed '%s'"), (long long)version_id,
                        feed);
    st = st_get(s,
                "SELECT value FROM indicators WHERE version_id = ?1 AND (?2 = 0 OR type = ?2)"
                " ORDER BY key",
                err);
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, ver);
    sqlite3_bind_int64(st, 2, want_type);
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        if (v && n > 0 && (rc = buf_append(out, v, (size_t)n)) == 0)
            rc = buf_putc(out, '\n');
    }
    sqlite3_reset(st);
    if (rc < 0)
        return verr_set(err, rc, N_("feed '%s' is too large to list"), feed);
    *ret_version = ver;
    return 0;
}
