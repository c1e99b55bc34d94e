/* agent.c: enrollment tokens (one-time, expiry), the registry, revocation. */
#include <sqlite3.h>

#include "helpers.h"
#include "store/agent.h"

static const char FP[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/* Move a token's expiry by hand, as time passing would. */
static void set_expiry(struct tctx *t, int64_t id, int64_t expires_at)
{
    char db[128], sql[128];
    sqlite3 *raw = NULL;
    snprintf(db, sizeof(db), "%s/vigil.db", t->dir);
    snprintf(sql, sizeof(sql), "UPDATE enroll_tokens SET expires_at = %lld WHERE id = %lld",
             (long long)expires_at, (long long)id);
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_changes(raw), 1);
    sqlite3_close(raw);
}

static int64_t enroll(struct tctx *t, const char *secret, const char *serial)
{
    struct verr err = {0};
    int64_t tok = 0, id = 0;
    assert_int_equal(store_enroll_token_take(t->s, secret, &tok, &err), 0);
    assert_int_equal(store_agent_create(t->s, tok, "web-01", "192.0.2.5", &id, &err), 0);
    assert_int_equal(store_agent_set_cert(t->s, id, serial, FP, 2000000000, &err), 0);
    return id;
}

static void test_token_one_time(void **state)
{
    struct tctx *t = *state;
    struct verr err = {0};
    char secret[65];
    int64_t id = 0, exp = 0, tok = 0;
    assert_int_equal(
        store_enroll_token_create(t->s, &t->alice, 3600, "rack 4", secret, &id, &exp, &err), 0);
    assert_int_equal(strlen(secret), 64);
    assert_true(id > 0);

    int64_t agent = enroll(t, secret, "0a1b");
    assert_true(agent > 0);
    /* Used once: refused now, the reason says so. */
    assert_int_equal(store_enroll_token_take(t->s, secret, &tok, &err), -EACCES);
    assert_non_null(strstr(err.msg, "used"));

    json_t *l = store_enroll_token_list(t->s);
    json_t *it = json_array_get(json_object_get(l, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(it, "status")), "used");
    assert_int_equal(json_integer_value(json_object_get(it, "agent_id")), agent);
    assert_string_equal(json_string_value(json_object_get(it, "note")), "rack 4");
    /* No secret nor digest in the listing. */
    char *dump = json_dumps(l, 0);
    assert_null(strstr(dump, secret));
    assert_null(strstr(dump, "sha256"));
    free(dump);
    json_decref(l);
}

static void test_token_expired_unknown(void **state)
{
    struct tctx *t = *state;
    struct verr err = {0};
    char secret[65];
    int64_t id = 0, exp = 0, tok = -1;
    assert_int_equal(store_enroll_token_create(t->s, NULL, 60, NULL, secret, &id, &exp, &err), 0);
    set_expiry(t, id, 1000);
    assert_int_equal(store_enroll_token_take(t->s, secret, &tok, &err), -EACCES);
    assert_non_null(strstr(err.msg, "expired"));
    assert_int_equal(tok, -1);

    /* A token taken in time but expired before the agent row is made. */
    char s2[65];
    int64_t id2 = 0;
    assert_int_equal(store_enroll_token_create(t->s, NULL, 60, NULL, s2, &id2, &exp, &err), 0);
    assert_int_equal(store_enroll_token_take(t->s, s2, &tok, &err), 0);
    set_expiry(t, id2, 1000);
    int64_t agent = 0;
    assert_int_equal(store_agent_create(t->s, tok, "h", NULL, &agent, &err), -EACCES);

    char unknown[65];
    memset(unknown, 'a', 64);
    unknown[64] = '\0';
    assert_int_equal(store_enroll_token_take(t->s, unknown, &tok, &err), -EACCES);
    assert_non_null(strstr(err.msg, "unknown"));
    assert_int_equal(store_enroll_token_take(t->s, "short", &tok, &err), -EACCES);
    assert_int_equal(store_enroll_token_take(t->s, NULL, &tok, &err), -EACCES);

    /* ttl bounds: 0 and more than 30 days are refused. */
    assert_int_equal(store_enroll_token_create(t->s, NULL, 0, NULL, s2, &id2, &exp, &err), -EINVAL);
    assert_int_equal(
        store_enroll_token_create(t->s, NULL, 30 * 86400 + 1, NULL, s2, &id2, &exp, &err), -EINVAL);
}

static void test_uncreate_gives_token_back(void **state)
{
    struct tctx *t = *state;
    struct verr err = {0};
    char secret[65];
    int64_t id = 0, exp = 0, tok = 0, agent = 0;
    assert_int_equal(store_enroll_token_create(t->s, NULL, 600, NULL, secret, &id, &exp, &err), 0);
    assert_int_equal(store_enroll_token_take(t->s, secret, &tok, &err), 0);
    assert_int_equal(store_agent_create(t->s, tok, "h", NULL, &agent, &err), 0);
    /* Not listed until it has a certificate. */
    assert_null(store_agent_get(t->s, agent));
    assert_int_equal(store_agent_uncreate(t->s, agent, &err), 0);
    assert_int_equal(store_enroll_token_take(t->s, secret, &tok, &err), 0);
    assert_int_equal(tok, id);
}

static void test_check_and_revoke(void **state)
{
    struct tctx *t = *state;
    struct verr err = {0};
    char secret[65];
    int64_t id = 0, exp = 0;
    assert_int_equal(store_enroll_token_create(t->s, NULL, 600, NULL, secret, &id, &exp, &err), 0);
    int64_t agent = enroll(t, secret, "7f00aa");

    assert_int_equal(store_agent_check(t->s, agent, "7f00aa"), 0);
    assert_int_equal(store_agent_check(t->s, agent, "7f00ab"), -EACCES);
    assert_int_equal(store_agent_check(t->s, agent + 1, "7f00aa"), -EACCES);
    assert_int_equal(store_agent_check(t->s, agent, NULL), -EACCES);

    assert_int_equal(store_agent_seen(t->s, agent, "0.1.0", "192.0.2.9", -250, &err), 0);
    json_t *a = store_agent_get(t->s, agent);
    assert_string_equal(json_string_value(json_object_get(a, "status")), "active");
    assert_string_equal(json_string_value(json_object_get(a, "version")), "0.1.0");
    assert_string_equal(json_string_value(json_object_get(a, "addr")), "192.0.2.9");
    assert_int_equal(json_integer_value(json_object_get(a, "skew_ms")), -250);
    assert_string_equal(json_string_value(json_object_get(a, "hostname")), "web-01");
    json_decref(a);

    assert_int_equal(store_agent_revoke(t->s, &t->alice, agent, &err), 0);
    assert_int_equal(store_agent_check(t->s, agent, "7f00aa"), -EACCES);
    /* Twice is fine; an unknown agent is -ENOENT. */
    assert_int_equal(store_agent_revoke(t->s, &t->alice, agent, &err), 0);
    assert_int_equal(store_agent_revoke(t->s, &t->alice, 999, &err), -ENOENT);

    json_t *l = store_agent_list(t->s);
    json_t *it = json_array_get(json_object_get(l, "items"), 0);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 1);
    assert_string_equal(json_string_value(json_object_get(it, "status")), "revoked");
    json_decref(l);

    /* Audit: token create, enroll, one revoke (the second changed nothing). */
    json_t *au = store_audit_list(t->s, 100, 0);
    size_t n_revoke = 0, n_enroll = 0, i;
    json_t *row;
    json_array_foreach(json_object_get(au, "items"), i, row)
    {
        const char *act = json_string_value(json_object_get(row, "action"));
        n_revoke += act && strcmp(act, "agent.revoke") == 0;
        n_enroll += act && strcmp(act, "agent.enroll") == 0;
    }
    assert_int_equal(n_revoke, 1);
    assert_int_equal(n_enroll, 1);
    json_decref(au);

    /* Bad certificate fields are refused. */
    assert_int_equal(store_agent_set_cert(t->s, agent, "XYZ", FP, 1, &err), -EINVAL);
    assert_int_equal(store_agent_set_cert(t->s, agent, "ab", "00", 1, &err), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_token_one_time, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_token_expired_unknown, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_uncreate_gives_token_back, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_check_and_revoke, tctx_setup, tctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
