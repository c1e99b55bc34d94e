/*
 * API tokens. A secret is 32 random bytes shown once as 64 hex characters;
 * the store keeps only the SHA-256 of that text and compares digests in
 * constant time.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/i18n.h"
#include "base/str.h"
#include "base/vtime.h"
#include "store/store_int.h"

#define DIGEST_LEN 32

static int digest(const char *secret, size_t len, uint8_t out[static DIGEST_LEN])
{
    unsigned int n = 0;
    if (EVP_Digest(secret, len, out, &n, EVP_sha256(), NULL) != 1 || n != DIGEST_LEN)
        return -EIO;
    return 0;
}

static bool role_valid(const char *role)
{
    return role && (strcmp(role, "admin") == 0 || strcmp(role, "analyst") == 0 ||
                    strcmp(role, "viewer") == 0);
}

int store_token_create(struct store *s, const struct actor *who, const char *name, const char *role,
                       char ret_secret[static 65], int64_t *ret_id, struct verr *err)
{
    int r = check_text("name", name, 1, 63, true, err);
    if (r < 0)
        return r;
    if (strlen(name) >= sizeof(((struct actor *)0)->name))
        return verr_set(err, -EINVAL, N_("%s: length must be %zu to %zu characters (got %zu)"),
                        "name", (size_t)1, sizeof(((struct actor *)0)->name) - 1, strlen(name));
    if (!role_valid(role))
        return verr_set(err, -EINVAL, N_("role: '%.40s' is not one of admin, analyst, viewer"),
                        role ? role : "");

    uint8_t raw[32], dg[DIGEST_LEN];
    char secret[65];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return verr_set(err, -EIO, N_("cannot get random bytes for a token"));
    hex_encode(raw, sizeof(raw), secret);
    OPENSSL_cleanse(raw, sizeof(raw));
    if (digest(secret, 64, dg) < 0)
        return verr_set(err, -EIO, N_("cannot get random bytes for a token"));

    if ((r = st_begin(s, err)) < 0)
        return r;
    sqlite3_stmt *st = st_get(s,
                              "INSERT INTO tokens (name, role, secret_sha256, created_at)"
                              " VALUES (?, ?, ?, ?)",
                              err);
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, role, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, dg, DIGEST_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, vtime_now());
    if ((r = st_done(s, st, err)) < 0)
        goto fail;
    int64_t id = sqlite3_last_insert_rowid(s->db);
    if ((r = st_audit_commit(s, who, "token.create", "token", id,
                             json_pack("{s:s, s:s}", "name", name, "role", role), err)) < 0)
        goto out;
    memcpy(ret_secret, secret, sizeof(secret));
    if (ret_id)
        *ret_id = id;
    goto out;
fail:
    st_rollback(s);
out:
    OPENSSL_cleanse(secret, sizeof(secret));
    return r;
}

int store_token_check(struct store *s, const char *secret, struct actor *ret)
{
    if (!secret)
        return -EACCES;
    size_t len = strnlen(secret, 65);
    if (len != 64)
        return -EACCES;
    uint8_t dg[DIGEST_LEN];
    if (digest(secret, len, dg) < 0)
        return -EACCES;
    /* Every live token is compared (they are few), each in constant time, so
     * the time taken says nothing about how close a guess came. */
    sqlite3_stmt *st = st_get(
        s, "SELECT id, name, role, secret_sha256 FROM tokens WHERE revoked_at IS NULL", NULL);
    if (!st)
        return -EACCES;
    int r = -EACCES;
    struct actor found = {0};
    while (sqlite3_step(st) == SQLITE_ROW) {
        const void *h = sqlite3_column_blob(st, 3);
        if (sqlite3_column_bytes(st, 3) != DIGEST_LEN || !h)
            continue;
        if (CRYPTO_memcmp(h, dg, DIGEST_LEN) == 0 && r < 0) {
            found.token_id = sqlite3_column_int64(st, 0);
            snprintf(found.name, sizeof(found.name), "%s",
                     (const char *)sqlite3_column_text(st, 1));
            snprintf(found.role, sizeof(found.role), "%s",
                     (const char *)sqlite3_column_text(st, 2));
            r = 0;
        }
    }
    sqlite3_reset(st);
    if (r == 0 && ret)
        *ret = found;
    return r;
}

static const struct col_spec token_cols[] = {
    {"id", 0, COL_INT},          {"name", 1, COL_TEXT},   {"role", 2, COL_TEXT},
    {"created_at", 3, COL_TIME}, {"revoked", 4, COL_SET}, {"revoked_at", 4, COL_TIME},
};

static json_t *token_row_json(struct store *s, sqlite3_stmt *st)
{
    (void)s;
    return cols_json(st, token_cols, ARRAY_SIZE(token_cols));
}

json_t *store_token_list(struct store *s)
{
    sqlite3_stmt *st =
        st_get(s, "SELECT id, name, role, created_at, revoked_at FROM tokens ORDER BY id", NULL);
    if (!st)
        return NULL;
    return st_items(s, st, token_row_json);
}

int store_token_revoke(struct store *s, const struct actor *who, int64_t id, struct verr *err)
{
    sqlite3_stmt *st;
    int r = st_begin(s, err);
    if (r < 0)
        return r;
    if ((r = st_row(s, &st, "SELECT name, revoked_at FROM tokens WHERE id = ?", id, err,
                    N_("token %lld does not exist"), (long long)id)) < 0)
        goto fail;
    bool revoked = sqlite3_column_type(st, 1) != SQLITE_NULL;
    json_t *detail = json_pack("{s:s}", "name", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (revoked) {
        /* Revoking twice changes nothing. */
        json_decref(detail);
        st_rollback(s);
        return 0;
    }
    st = st_get(s, "UPDATE tokens SET revoked_at = ? WHERE id = ?", err);
    if (!st) {
        json_decref(detail);
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, vtime_now());
    sqlite3_bind_int64(st, 2, id);
    if ((r = st_done(s, st, err)) < 0) {
        json_decref(detail);
        goto fail;
    }
    return st_audit_commit(s, who, "token.revoke", "token", id, detail, err);
fail:
    st_rollback(s);
    return r;
}

int store_token_count(struct store *s)
{
    return (int)st_int(s, "SELECT COUNT(*) FROM tokens WHERE revoked_at IS NULL", -1, 0);
}
