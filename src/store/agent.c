/*
 * Agents: one-time enrollment tokens and the registry (agent.h). A token
 * secret is 32 random bytes shown once as 64 hex characters; only the
 * SHA-256 of that text is stored, and lookups go by that digest.
 */
#include "store/agent.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/i18n.h"
#include "base/str.h"
#include "base/vtime.h"
#include "store/store_int.h"

#define ENROLL_TTL_MAX    (30 * 86400)
#define AGENT_HOST_MAX    253
#define AGENT_TEXT_MAX    128
#define ENROLL_NOTE_MAX   200
#define SECRET_HEX_LEN    64
#define SECRET_RAW_LEN    32
#define SECRET_SHA256_LEN 32

static int secret_digest(const char *secret, uint8_t out[static SECRET_SHA256_LEN])
{
    unsigned int n = 0;
    if (EVP_Digest(secret, SECRET_HEX_LEN, out, &n, EVP_sha256(), NULL) != 1 ||
        n != SECRET_SHA256_LEN)
        return -EIO;
    return 0;
}

int store_enroll_token_create(struct store *s, const struct actor *who, int64_t ttl_s,
                              const char *note, char ret_secret[static 65], int64_t *ret_id,
                              int64_t *ret_expires, struct verr *err)
{
    if (ttl_s < 1 || ttl_s > ENROLL_TTL_MAX)
        return verr_set(err, -EINVAL, N_("ttl_seconds: must be 1 to %d"), ENROLL_TTL_MAX);
    int r = check_text("note", note, 0, ENROLL_NOTE_MAX, false, err);
    if (r < 0)
        return r;

    uint8_t raw[SECRET_RAW_LEN], dg[SECRET_SHA256_LEN];
    char secret[SECRET_HEX_LEN + 1];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return verr_set(err, -EIO, N_("cannot get random bytes for a token"));
    hex_encode(raw, sizeof(raw), secret);
    OPENSSL_cleanse(raw, sizeof(raw));
    if (secret_digest(secret, dg) < 0) {
        r = verr_set(err, -EIO, N_("cannot get random bytes for a token"));
        goto out;
    }
    int64_t now = vtime_now(), expires = now + ttl_s;
    if ((r = st_begin(s, err)) < 0)
        goto out;
    sqlite3_stmt *st = st_get(s,
                              "INSERT INTO enroll_tokens (secret_sha256, note, created_by,"
                              " created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                              err);
    if (!st) {
        st_rollback(s);
        r = -EIO;
        goto out;
    }
    sqlite3_bind_blob(st, 1, dg, SECRET_SHA256_LEN, SQLITE_TRANSIENT);
    st_bind_text(st, 2, note);
    sqlite3_bind_text(st, 3, actor_name(who), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, expires);
    if ((r = st_done(s, st, err)) < 0) {
        st_rollback(s);
        goto out;
    }
    int64_t id = sqlite3_last_insert_rowid(s->db);
    json_t *detail = json_pack("{s:I}", "expires_at", (json_int_t)expires);
    if (note && *note)
        json_object_set_new(detail, "note", json_string(note));
    if ((r = st_audit_commit(s, who, "enroll_token.create", "enroll_token", id, detail, err)) < 0)
        goto out;
    memcpy(ret_secret, secret, sizeof(secret));
    if (ret_id)
        *ret_id = id;
    if (ret_expires)
        *ret_expires = expires;
out:
    OPENSSL_cleanse(secret, sizeof(secret));
    return r;
}

int store_enroll_token_take(struct store *s, const char *secret, int64_t *ret_token_id,
                            struct verr *err)
{
    uint8_t dg[SECRET_SHA256_LEN];
    if (!secret || strnlen(secret, SECRET_HEX_LEN + 1) != SECRET_HEX_LEN ||
        secret_digest(secret, dg) < 0)
        return verr_set(err, -EACCES, "unknown token");
    /* The digest of a random 256-bit secret is the lookup key: an index
     * search reveals nothing useful about the secret. */
    sqlite3_stmt *st =
        st_get(s, "SELECT id, expires_at, used_at FROM enroll_tokens WHERE secret_sha256 = ?", err);
    if (!st)
        return -EIO;
    sqlite3_bind_blob(st, 1, dg, SECRET_SHA256_LEN, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return st_dberr(s, err);
        return verr_set(err, -EACCES, "unknown token");
    }
    int64_t id = sqlite3_column_int64(st, 0), expires = sqlite3_column_int64(st, 1);
    bool used = sqlite3_column_type(st, 2) != SQLITE_NULL;
    sqlite3_reset(st);
    if (used)
        return verr_set(err, -EACCES, "token %lld already used", (long long)id);
    if (expires <= vtime_now())
        return verr_set(err, -EACCES, "token %lld expired", (long long)id);
    *ret_token_id = id;
    return 0;
}

static const struct col_spec enroll_token_cols[] = {
    {"id", 0, COL_INT},          {"note", 1, COL_TEXT},       {"created_by", 2, COL_TEXT},
    {"created_at", 3, COL_TIME}, {"expires_at", 4, COL_TIME}, {"used_at", 5, COL_TIME},
    {"agent_id", 6, COL_INT},
};

static json_t *enroll_token_row_json(struct store *s, sqlite3_stmt *st)
{
    (void)s;
    json_t *o = cols_json(st, enroll_token_cols, ARRAY_SIZE(enroll_token_cols));
    const char *status = "unused";
    if (sqlite3_column_type(st, 5) != SQLITE_NULL)
        status = "used";
    else if (sqlite3_column_int64(st, 4) <= vtime_now())
        status = "expired";
    json_object_set_new(o, "status", json_string(status));
    return o;
}

json_t *store_enroll_token_list(struct store *s)
{
    sqlite3_stmt *st = st_get(s,
                              "SELECT id, note, created_by, created_at, expires_at, used_at,"
                              " agent_id FROM enroll_tokens ORDER BY id",
                              NULL);
    if (!st)
        return NULL;
    return st_items(s, st, enroll_token_row_json);
}

int store_agent_create(struct store *s, int64_t token_id, const char *hostname, const char *addr,
                       int64_t *ret_id, struct verr *err)
{
    int r;
    if ((r = check_text("hostname", hostname, 1, AGENT_HOST_MAX, true, err)) < 0 ||
        (r = check_text("addr", addr, 0, AGENT_TEXT_MAX, false, err)) < 0)
        return r;
    int64_t now = vtime_now();
    if ((r = st_begin(s, err)) < 0)
        return r;
    sqlite3_stmt *st = st_get(s,
                              "INSERT INTO agents (token_id, hostname, status, enroll_addr, addr,"
                              " enrolled_at) VALUES (?, ?, 'active', ?, ?, ?)",
                              err);
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, token_id);
    sqlite3_bind_text(st, 2, hostname, -1, SQLITE_TRANSIENT);
    st_bind_text(st, 3, addr);
    st_bind_text(st, 4, addr);
    sqlite3_bind_int64(st, 5, now);
    if ((r = st_done(s, st, err)) < 0)
        goto fail;
    int64_t id = sqlite3_last_insert_rowid(s->db);
    /* Marking the token used re-checks it inside this transaction. */
    st = st_get(s,
                "UPDATE enroll_tokens SET used_at = ?, agent_id = ?"
                " WHERE id = ? AND used_at IS NULL AND expires_at > ?",
                err);
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, token_id);
    sqlite3_bind_int64(st, 4, now);
    if ((r = st_done(s, st, err)) < 0)
        goto fail;
    if (sqlite3_changes(s->db) != 1) {
        r = verr_set(err, -EACCES, "token %lld already used or expired", (long long)token_id);
        goto fail;
    }
    if ((r = st_commit(s, err)) < 0)
        goto fail;
    *ret_id = id;
    return 0;
fail:
    st_rollback(s);
    return r;
}

int store_agent_uncreate(struct store *s, int64_t id, struct verr *err)
{
    int r = st_begin(s, err);
    if (r < 0)
        return r;
    if ((r = st_run_id(s,
                       "UPDATE enroll_tokens SET used_at = NULL, agent_id = NULL"
                       " WHERE agent_id = ?",
                       id, err)) < 0 ||
        (r = st_run_id(s, "DELETE FROM agents WHERE id = ? AND cert_serial IS NULL", id, err)) < 0)
        goto fail;
    return st_commit(s, err);
fail:
    st_rollback(s);
    return r;
}

static bool hex_valid(const char *v, size_t min, size_t max)
{
    size_t n = v ? strnlen(v, max + 1) : 0;
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
            return false;
    return true;
}

int store_agent_set_cert(struct store *s, int64_t id, const char *serial_hex, const char *fp_hex,
                         int64_t not_after, struct verr *err)
{
    if (!hex_valid(serial_hex, 2, 40))
        return verr_set(err, -EINVAL, N_("serial: must be 2 to 40 lower-case hex digits"));
    if (!hex_valid(fp_hex, 64, 64))
        return verr_set(err, -EINVAL, N_("fingerprint: must be 64 lower-case hex digits"));
    sqlite3_stmt *st;
    int r = st_begin(s, err);
    if (r < 0)
        return r;
    if ((r = st_row(s, &st, "SELECT hostname FROM agents WHERE id = ?", id, err,
                    N_("agent %lld does not exist"), (long long)id)) < 0)
        goto fail;
    json_t *detail =
        json_pack("{s:s, s:s, s:s}", "hostname", (const char *)sqlite3_column_text(st, 0), "serial",
                  serial_hex, "sha256", fp_hex);
    sqlite3_reset(st);
    st = st_get(s,
                "UPDATE agents SET cert_serial = ?, cert_sha256 = ?, cert_not_after = ?"
                " WHERE id = ?",
                err);
    if (!st) {
        json_decref(detail);
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_text(st, 1, serial_hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, fp_hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, not_after);
    sqlite3_bind_int64(st, 4, id);
    if ((r = st_done(s, st, err)) < 0) {
        json_decref(detail);
        goto fail;
    }
    return st_audit_commit(s, NULL, "agent.enroll", "agent", id, detail, err);
fail:
    st_rollback(s);
    return r;
}

int store_agent_check(struct store *s, int64_t id, const char *serial_hex)
{
    if (!serial_hex)
        return -EACCES;
    sqlite3_stmt *st = st_get(s, "SELECT status, cert_serial FROM agents WHERE id = ?", NULL);
    if (!st)
        return -EACCES;
    sqlite3_bind_int64(st, 1, id);
    int r = -EACCES;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *status = (const char *)sqlite3_column_text(st, 0);
        const char *serial = (const char *)sqlite3_column_text(st, 1);
        if (status && strcmp(status, "active") == 0 && serial && strcmp(serial, serial_hex) == 0)
            r = 0;
    }
    sqlite3_reset(st);
    return r;
}

int store_agent_seen(struct store *s, int64_t id, const char *version, const char *addr,
                     int64_t skew_ms, struct verr *err)
{
    int r;
    if ((r = check_text("version", version, 0, AGENT_TEXT_MAX, false, err)) < 0 ||
        (r = check_text("addr", addr, 0, AGENT_TEXT_MAX, false, err)) < 0)
        return r;
    sqlite3_stmt *st = st_get(s,
                              "UPDATE agents SET last_seen = ?, version = coalesce(?, version),"
                              " addr = coalesce(?, addr), skew_ms = ? WHERE id = ?",
                              err);
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, vtime_now());
    st_bind_text(st, 2, version);
    st_bind_text(st, 3, addr);
    sqlite3_bind_int64(st, 4, skew_ms);
    sqlite3_bind_int64(st, 5, id);
    if ((r = st_done(s, st, err)) < 0)
        return r;
    if (sqlite3_changes(s->db) != 1)
        return verr_set(err, -ENOENT, N_("agent %lld does not exist"), (long long)id);
    return 0;
}

int store_agent_revoke(struct store *s, const struct actor *who, int64_t id, struct verr *err)
{
    sqlite3_stmt *st;
    int r = st_begin(s, err);
    if (r < 0)
        return r;
    if ((r = st_row(s, &st, "SELECT hostname, status, cert_serial FROM agents WHERE id = ?", id,
                    err, N_("agent %lld does not exist"), (long long)id)) < 0)
        goto fail;
    bool revoked = strcmp((const char *)sqlite3_column_text(st, 1), "revoked") == 0;
    json_t *detail = json_pack("{s:s, s:o}", "hostname", (const char *)sqlite3_column_text(st, 0),
                               "serial", col_text(st, 2));
    sqlite3_reset(st);
    if (revoked) {
        /* Revoking twice changes nothing. */
        json_decref(detail);
        st_rollback(s);
        return 0;
    }
    if ((r = st_run_id(s,
                       "UPDATE agents SET status = 'revoked',"
                       " revoked_at = CAST(strftime('%s', 'now') AS INTEGER) WHERE id = ?",
                       id, err)) < 0) {
        json_decref(detail);
        goto fail;
    }
    return st_audit_commit(s, who, "agent.revoke", "agent", id, detail, err);
fail:
    st_rollback(s);
    return r;
}

#define AGENT_COLS                                                                                 \
    "id, hostname, status, version, addr, last_seen, skew_ms, enrolled_at, cert_not_after,"        \
    " cert_serial, cert_sha256, revoked_at, enroll_addr"

static const struct col_spec agent_cols[] = {
    {"id", 0, COL_INT},
    {"hostname", 1, COL_TEXT},
    {"status", 2, COL_TEXT},
    {"version", 3, COL_TEXT},
    {"addr", 4, COL_TEXT},
    {"last_seen", 5, COL_TIME},
    {"skew_ms", 6, COL_INT},
    {"enrolled_at", 7, COL_TIME},
    {"cert_not_after", 8, COL_TIME},
    {"cert_serial", 9, COL_TEXT},
    {"cert_sha256", 10, COL_TEXT},
    {"revoked_at", 11, COL_TIME},
    {"enroll_addr", 12, COL_TEXT},
};

static json_t *agent_row_json(struct store *s, sqlite3_stmt *st)
{
    (void)s;
    return cols_json(st, agent_cols, ARRAY_SIZE(agent_cols));
}

json_t *store_agent_list(struct store *s)
{
    /* Rows without a certificate are enrollments still in progress. */
    sqlite3_stmt *st = st_get(
        s, "SELECT " AGENT_COLS " FROM agents WHERE cert_serial IS NOT NULL ORDER BY id", NULL);
    if (!st)
        return NULL;
    return st_items(s, st, agent_row_json);
}

json_t *store_agent_get(struct store *s, int64_t id)
{
    sqlite3_stmt *st = st_get(
        s, "SELECT " AGENT_COLS " FROM agents WHERE id = ? AND cert_serial IS NOT NULL", NULL);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    json_t *o = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        o = agent_row_json(s, st);
    sqlite3_reset(st);
    return o;
}
