/* system.c: registration, strict addresses, JSON shape, removal. */
#include "helpers.h"

static int add_raw(struct tctx *t, int64_t unit, const char *name, int level, const char *addr,
                   struct verr *err)
{
    const char *addrs[] = {addr};
    struct system_spec spec = {
        .name = name, .unit_id = unit, .level = level, .addrs = addrs, .n_addrs = addr ? 1 : 0};
    int64_t id = 0;
    return store_system_add(t->s, &t->alice, &spec, &id, err);
}

static void test_system_add_get(void **state)
{
    struct tctx *t = *state;
    int64_t u = add_unit(t, "UBND tỉnh", 0);
    const char *addrs[] = {"10.1.0.0/16", "2001:db8:1::/48", "192.0.2.7", NULL};
    struct system_spec spec = {.name = "Hệ thống một cửa",
                               .unit_id = u,
                               .level = 4,
                               .owner = "Văn phòng UBND",
                               .operator_name = "Trung tâm CNTT",
                               .contacts = "soc@example.vn",
                               .addrs = addrs,
                               .n_addrs = 3};
    struct verr err = {0};
    int64_t id = 0;
    assert_int_equal(store_system_add(t->s, &t->alice, &spec, &id, &err), 0);

    json_t *o = store_system_get(t->s, id);
    assert_non_null(o);
    assert_int_equal(jint(o, "unit_id", NULL), u);
    assert_string_equal(jstr(o, "unit_name"), "UBND tỉnh");
    assert_string_equal(jstr(o, "name"), "Hệ thống một cửa");
    assert_int_equal(jint(o, "level", NULL), 4);
    assert_string_equal(jstr(o, "owner"), "Văn phòng UBND");
    assert_string_equal(jstr(o, "operator"), "Trung tâm CNTT");
    assert_string_equal(jstr(o, "contacts"), "soc@example.vn");
    assert_int_equal(jint(o, "open_findings", NULL), 0);
    json_t *a = json_object_get(o, "addresses");
    assert_int_equal(json_array_size(a), 3);
    assert_string_equal(json_string_value(json_array_get(a, 0)), "10.1.0.0/16");
    assert_string_equal(json_string_value(json_array_get(a, 1)), "2001:db8:1::/48");
    assert_string_equal(json_string_value(json_array_get(a, 2)), "192.0.2.7");
    json_decref(o);

    /* Optional text left out is null, not "". */
    int64_t id2 = add_system(t, u, "Mail", 2, "10.2.0.0/24");
    o = store_system_get(t->s, id2);
    assert_true(json_is_null(json_object_get(o, "owner")));
    json_decref(o);

    int64_t u2 = add_unit(t, "Other", 0);
    add_system(t, u2, "DNS", 1, "10.3.0.0/24");
    json_t *l = store_system_list(t->s, u);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
    json_decref(l);
    l = store_system_list(t->s, 0);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 3);
    json_decref(l);
}

static void test_system_validation(void **state)
{
    struct tctx *t = *state;
    int64_t u = add_unit(t, "U", 0);
    struct verr err = {0};

    assert_int_equal(add_raw(t, u, "S", 0, "10.0.0.0/8", &err), -EINVAL);
    assert_true(strncmp(err.msg, "level:", 6) == 0);
    assert_int_equal(add_raw(t, u, "S", 6, "10.0.0.0/8", &err), -EINVAL);
    assert_true(strncmp(err.msg, "level:", 6) == 0);
    assert_int_equal(add_raw(t, u, "", 3, "10.0.0.0/8", &err), -EINVAL);
    assert_true(strncmp(err.msg, "name:", 5) == 0);
    assert_int_equal(add_raw(t, 999, "S", 3, "10.0.0.0/8", &err), -EINVAL);
    assert_true(strncmp(err.msg, "unit_id:", 8) == 0);

    static const char *const bad[] = {
        "300.1.1.1", "10.0.0.0/33", "10.0.0.1/24", "010.1.1.1", "10.0.0.0/24x", "2001:db8::g", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(add_raw(t, u, "S", 3, bad[i], &err), -EINVAL);
        assert_true(strncmp(err.msg, "addresses[0]:", 13) == 0);
        assert_non_null(strstr(err.msg, bad[i]));
    }
    const char *twice[] = {"10.0.0.0/24", "10.0.0.0/24"};
    struct system_spec spec = {.name = "S", .unit_id = u, .level = 3, .addrs = twice, .n_addrs = 2};
    int64_t id;
    assert_int_equal(store_system_add(t->s, &t->alice, &spec, &id, &err), -EINVAL);
    assert_true(strncmp(err.msg, "addresses[1]:", 13) == 0);

    /* Nothing of the failures was stored. */
    assert_int_equal(stat_of(t, "systems"), 0);
    assert_int_equal(add_raw(t, u, "S", 3, "10.0.0.0/24", &err), 0);
    assert_int_equal(add_raw(t, u, "S", 3, "10.9.0.0/24", &err), -EEXIST);
}

static void test_system_remove(void **state)
{
    struct tctx *t = *state;
    int64_t u = add_unit(t, "U", 0);
    int64_t id = add_system(t, u, "S", 3, "10.0.0.0/24");
    const char *ips[] = {"10.0.0.9", NULL};
    json_decref(import_ips(t, "botnet", "2024-01-15", ips));
    assert_int_equal(stat_of(t, "findings_open"), 1);
    struct verr err = {0};
    assert_int_equal(store_system_remove(t->s, &t->alice, id, &err), 0);
    assert_null(store_system_get(t->s, id));
    assert_int_equal(stat_of(t, "findings_open"), 0);
    assert_int_equal(store_system_remove(t->s, &t->alice, id, &err), -ENOENT);
    /* Its unit is free again. */
    assert_int_equal(store_unit_remove(t->s, &t->alice, u, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_system_add_get, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_system_validation, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_system_remove, tctx_setup, tctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
