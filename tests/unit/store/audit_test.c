/* audit.c: every change leaves a row naming its actor; failures leave none. */
#include "helpers.h"

static void test_audit_every_change(void **state)
{
    struct tctx *t = *state;
    struct verr err = {0};
    struct actor bob = {.token_id = 9, .name = "bob", .role = "admin"};

    int64_t u = add_unit(t, "U", 0);                       /* alice: unit.add */
    int64_t sys = add_system(t, u, "S", 3, "10.0.0.0/24"); /* alice: system.add */
    const char *ips[] = {"10.0.0.1", NULL};
    json_decref(import_ips(t, "botnet", "2024-01-15", ips)); /* alice: feed.import */
    assert_int_equal(store_finding_update(t->s, &bob, 1, "in_progress", "looking", &err), 0);
    char secret[65];
    int64_t tok = 0;
    assert_int_equal(store_token_create(t->s, &bob, "ci", "viewer", secret, &tok, &err), 0);
    assert_int_equal(store_token_revoke(t->s, &bob, tok, &err), 0);
    assert_int_equal(store_system_remove(t->s, &bob, sys, &err), 0);
    assert_int_equal(store_unit_remove(t->s, NULL, u, &err), 0); /* vigild itself */

    /* Failures write nothing. */
    assert_int_equal(store_unit_remove(t->s, &bob, u, &err), -ENOENT);
    assert_int_equal(store_unit_add(t->s, &bob, "", NULL, 0, NULL, &err), -EINVAL);

    static const struct {
        const char *action, *actor, *object;
    } want[] = {
        /* newest first */
        {"unit.remove", "system", "unit"},    {"system.remove", "bob", "system"},
        {"token.revoke", "bob", "token"},     {"token.create", "bob", "token"},
        {"finding.update", "bob", "finding"}, {"feed.import", "alice", "feed_version"},
        {"system.add", "alice", "system"},    {"unit.add", "alice", "unit"},
    };
    json_t *l = store_audit_list(t->s, 0, 0);
    json_t *items = json_object_get(l, "items");
    assert_int_equal(json_array_size(items), sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        json_t *a = json_array_get(items, i);
        assert_string_equal(jstr(a, "action"), want[i].action);
        assert_string_equal(jstr(a, "actor"), want[i].actor);
        assert_string_equal(jstr(a, "object"), want[i].object);
        assert_true(json_is_integer(json_object_get(a, "object_id")));
        assert_true(json_is_string(json_object_get(a, "at")));
    }
    /* The token's secret never reaches the log. */
    char *text = json_dumps(l, 0);
    assert_null(strstr(text, secret));
    free(text);
    json_t *upd = json_array_get(items, 4);
    assert_string_equal(jstr(json_object_get(upd, "detail"), "to"), "in_progress");
    assert_string_equal(jstr(json_object_get(upd, "detail"), "comment"), "looking");
    assert_int_equal(jint(upd, "actor_token_id", NULL), 9);
    json_decref(l);

    /* Paging. */
    l = store_audit_list(t->s, 2, 1);
    items = json_object_get(l, "items");
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(jstr(json_array_get(items, 0), "action"), "system.remove");
    json_decref(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_audit_every_change, tctx_setup, tctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
