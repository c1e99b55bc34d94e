/* token.c: create, check, revoke; only digests stored. */
#include <openssl/evp.h>
#include <sqlite3.h>

#include "helpers.h"

static void test_token_lifecycle(void **state)
{
    struct tctx *t = *state;
    struct verr err = {0};
    char secret[65];
    int64_t id = 0;
    assert_int_equal(store_token_count(t->s), 0);
    assert_int_equal(store_token_create(t->s, NULL, "admin", "admin", secret, &id, &err), 0);
    assert_int_equal(strlen(secret), 64);
    for (int i = 0; i < 64; i++)
        assert_non_null(strchr("0123456789abcdef", secret[i]));
    assert_int_equal(store_token_count(t->s), 1);

    struct actor who = {0};
    assert_int_equal(store_token_check(t->s, secret, &who), 0);
    assert_int_equal(who.token_id, id);
    assert_string_equal(who.name, "admin");
    assert_string_equal(who.role, "admin");

    /* A wrong secret (one digit changed), a short one, none. */
    char wrong[65];
    memcpy(wrong, secret, 65);
    wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
    assert_int_equal(store_token_check(t->s, wrong, &who), -EACCES);
    assert_int_equal(store_token_check(t->s, "abc", &who), -EACCES);
    assert_int_equal(store_token_check(t->s, "", &who), -EACCES);
    assert_int_equal(store_token_check(t->s, NULL, &who), -EACCES);

    /* Two tokens are distinct and each finds itself. */
    char secret2[65];
    int64_t id2 = 0;
    assert_int_equal(store_token_create(t->s, &who, "ci", "viewer", secret2, &id2, &err), 0);
    assert_true(strcmp(secret, secret2) != 0);
    struct actor who2 = {0};
    assert_int_equal(store_token_check(t->s, secret2, &who2), 0);
    assert_int_equal(who2.token_id, id2);
    assert_string_equal(who2.role, "viewer");

    assert_int_equal(store_token_revoke(t->s, &who, id2, &err), 0);
    assert_int_equal(store_token_check(t->s, secret2, &who2), -EACCES);
    assert_int_equal(store_token_check(t->s, secret, &who2), 0);
    assert_int_equal(store_token_count(t->s), 1);
    assert_int_equal(store_token_revoke(t->s, &who, 9999, &err), -ENOENT);

    json_t *l = store_token_list(t->s);
    json_t *items = json_object_get(l, "items");
    assert_int_equal(json_array_size(items), 2);
    assert_true(json_is_false(json_object_get(json_array_get(items, 0), "revoked")));
    assert_true(json_is_true(json_object_get(json_array_get(items, 1), "revoked")));
    assert_string_equal(jstr(json_array_get(items, 1), "name"), "ci");
    /* No secret and no digest in the listing. */
    char *text = json_dumps(l, 0);
    assert_null(strstr(text, secret));
    assert_null(strstr(text, secret2));
    free(text);
    json_decref(l);
}

static void test_token_stored_as_digest(void **state)
{
    struct tctx *t = *state;
    struct verr err = {0};
    char secret[65];
    int64_t id = 0;
    assert_int_equal(store_token_create(t->s, NULL, "admin", "admin", secret, &id, &err), 0);

    uint8_t d[32];
    unsigned int n = 0;
    assert_int_equal(EVP_Digest(secret, 64, d, &n, EVP_sha256(), NULL), 1);

    char db[128];
    snprintf(db, sizeof(db), "%s/vigil.db", t->dir);
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(raw, "SELECT * FROM tokens", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    bool digest_found = false;
    for (int c = 0; c < sqlite3_column_count(st); c++) {
        const void *b = sqlite3_column_blob(st, c);
        int len = sqlite3_column_bytes(st, c);
        if (len == 32 && memcmp(b, d, 32) == 0)
            digest_found = true;
        if (len >= 64)
            assert_true(memcmp(b, secret, 64) != 0);
    }
    assert_true(digest_found);
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

static void test_token_validation(void **state)
{
    struct tctx *t = *state;
    struct verr err = {0};
    char secret[65];
    int64_t id = 0;
    assert_int_equal(store_token_create(t->s, NULL, "x", "root", secret, &id, &err), -EINVAL);
    assert_true(strncmp(err.msg, "role:", 5) == 0);
    assert_int_equal(store_token_create(t->s, NULL, "", "admin", secret, &id, &err), -EINVAL);
    assert_true(strncmp(err.msg, "name:", 5) == 0);
    char longname[80];
    memset(longname, 'n', 70);
    longname[70] = '\0';
    assert_int_equal(store_token_create(t->s, NULL, longname, "admin", secret, &id, &err), -EINVAL);
    assert_int_equal(store_token_count(t->s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_token_lifecycle, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_token_stored_as_digest, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_token_validation, tctx_setup, tctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
