/* unit.c: the unit tree, validation naming fields, removal rules. */
#include "helpers.h"

static void test_unit_add_get(void **state)
{
    struct tctx *t = *state;
    struct verr err = {0};
    int64_t root = 0, child = 0;
    assert_int_equal(store_unit_add(t->s, &t->alice, "Bộ Tài chính", "BTC", 0, &root, &err), 0);
    assert_int_equal(store_unit_add(t->s, &t->alice, "Cục Tin học", NULL, root, &child, &err), 0);
    assert_true(child > root);

    json_t *u = store_unit_get(t->s, root);
    assert_non_null(u);
    assert_string_equal(jstr(u, "name"), "Bộ Tài chính");
    assert_string_equal(jstr(u, "code"), "BTC");
    assert_true(json_is_null(json_object_get(u, "parent_id")));
    assert_true(json_is_string(json_object_get(u, "created_at")));
    assert_int_equal(strlen(jstr(u, "created_at")), 20); /* 2026-11-21T12:00:00Z */
    assert_int_equal(jstr(u, "created_at")[19], 'Z');
    json_decref(u);

    u = store_unit_get(t->s, child);
    assert_int_equal(jint(u, "parent_id", NULL), root);
    assert_true(json_is_null(json_object_get(u, "code")));
    json_decref(u);

    assert_null(store_unit_get(t->s, 999));
    json_t *list = store_unit_list(t->s);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 2);
    json_decref(list);
}

static void test_unit_validation(void **state)
{
    struct tctx *t = *state;
    struct verr err = {0};
    int64_t id = 0;
    assert_int_equal(store_unit_add(t->s, &t->alice, "", NULL, 0, &id, &err), -EINVAL);
    assert_true(strncmp(err.msg, "name:", 5) == 0);

    /* 200 characters of two bytes each is fine; 201 is not. */
    char name[512] = "";
    for (int i = 0; i < 200; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2); /* é */
    name[400] = '\0';
    assert_int_equal(store_unit_add(t->s, &t->alice, name, NULL, 0, &id, &err), 0);
    memcpy(name + 400, "x", 2);
    assert_int_equal(store_unit_add(t->s, &t->alice, name, NULL, 0, &id, &err), -EINVAL);
    assert_true(strncmp(err.msg, "name:", 5) == 0);
    assert_non_null(strstr(err.msg, "201"));

    assert_int_equal(store_unit_add(t->s, &t->alice, "Bad\xff", NULL, 0, &id, &err), -EINVAL);
    assert_true(strncmp(err.msg, "name:", 5) == 0);

    assert_int_equal(store_unit_add(t->s, &t->alice, "Orphan", NULL, 4242, &id, &err), -EINVAL);
    assert_true(strncmp(err.msg, "parent_id:", 10) == 0);

    assert_int_equal(store_unit_add(t->s, &t->alice, "Twice", NULL, 0, &id, &err), 0);
    assert_int_equal(store_unit_add(t->s, &t->alice, "Twice", NULL, 0, &id, &err), -EEXIST);
    /* The same name under another parent is a different unit. */
    assert_int_equal(store_unit_add(t->s, &t->alice, "Twice", NULL, id, &id, &err), 0);
    assert_int_equal(stat_of(t, "units"), 3);
}

static void test_unit_remove(void **state)
{
    struct tctx *t = *state;
    struct verr err = {0};
    int64_t root = add_unit(t, "Root", 0);
    int64_t child = add_unit(t, "Child", root);
    int64_t other = add_unit(t, "Other", 0);
    add_system(t, other, "Web", 2, "192.0.2.0/28");

    assert_int_equal(store_unit_remove(t->s, &t->alice, root, &err), -EBUSY);
    assert_int_equal(store_unit_remove(t->s, &t->alice, other, &err), -EBUSY);
    assert_int_equal(store_unit_remove(t->s, &t->alice, child, &err), 0);
    assert_null(store_unit_get(t->s, child));
    assert_int_equal(store_unit_remove(t->s, &t->alice, root, &err), 0);
    assert_int_equal(store_unit_remove(t->s, &t->alice, root, &err), -ENOENT);
    assert_int_equal(stat_of(t, "units"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unit_add_get, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_unit_validation, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_unit_remove, tctx_setup, tctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
