/* Unit tests for the pure parts of src/server/http.c: routing, the JSON
 * depth bound, problem details, roles. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "server/api.h"
#include "server/http.h"

static void test_routes(void **state)
{
    struct route_match m;
    (void)state;

    assert_int_equal(route_find("/api/v1/units", EVHTTP_REQ_GET, &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->fn, api_units_list);
    assert_int_equal(m.route->role, ROLE_VIEWER);

    assert_int_equal(route_find("/api/v1/units", EVHTTP_REQ_POST, &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->fn, api_units_create);
    assert_int_equal(m.route->role, ROLE_ANALYST);

    assert_int_equal(route_find("/api/v1/units/42", EVHTTP_REQ_DELETE, &m), ROUTE_FOUND);
    assert_int_equal(m.id, 42);
    assert_ptr_equal(m.route->fn, api_units_delete);

    assert_int_equal(route_find("/api/v1/feeds/ais-botnet/versions", EVHTTP_REQ_POST, &m),
                     ROUTE_FOUND);
    assert_string_equal(m.name, "ais-botnet");
    assert_ptr_equal(m.route->fn, api_feeds_import);
    assert_int_equal(route_find("/api/v1/feeds/ais-botnet/diff", EVHTTP_REQ_GET, &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->fn, api_feeds_diff);

    assert_int_equal(route_find("/api/v1/findings/7", EVHTTP_REQ_PATCH, &m), ROUTE_FOUND);
    assert_int_equal(m.route->role, ROLE_ANALYST);
    assert_int_equal(route_find("/api/v1/tokens", EVHTTP_REQ_GET, &m), ROUTE_FOUND);
    assert_int_equal(m.route->role, ROLE_ADMIN);
    assert_int_equal(route_find("/api/v1/audit", EVHTTP_REQ_GET, &m), ROUTE_FOUND);
    assert_int_equal(m.route->role, ROLE_ADMIN);

    /* wrong method: 405 with the allowed set */
    assert_int_equal(route_find("/api/v1/units/3", EVHTTP_REQ_PATCH, &m), ROUTE_NO_METHOD);
    assert_int_equal(m.allow, EVHTTP_REQ_GET | EVHTTP_REQ_DELETE);
    assert_int_equal(route_find("/api/v1/audit", EVHTTP_REQ_DELETE, &m), ROUTE_NO_METHOD);

    /* not paths */
    static const char *const bad[] = {
        "/api/v1/units/",
        "/api/v1/units/0",
        "/api/v1/units/-1",
        "/api/v1/units/01x",
        "/api/v1/units/1/2",
        "/api/v1/unit",
        "/api/v1/",
        "/api/v2/units",
        "/units",
        "/api/v1/feeds//versions",
        "/api/v1/feeds/a%2fb/versions",
        "/api/v1/units/99999999999999999999",
        "/api/v1/feeds/x/versions/extra",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (route_find(bad[i], EVHTTP_REQ_GET, &m) != ROUTE_NO_PATH)
            fail_msg("%s routed", bad[i]);
    /* a name longer than 64 characters */
    char longname[128] = "/api/v1/feeds/";
    size_t n = strlen(longname);
    memset(longname + n, 'a', 65);
    memcpy(longname + n + 65, "/versions", sizeof("/versions"));
    assert_int_equal(route_find(longname, EVHTTP_REQ_GET, &m), ROUTE_NO_PATH);
}

static void test_json_depth(void **state)
{
    (void)state;
    assert_true(json_depth_ok("{\"a\":[1,2,{\"b\":3}]}", 19, 3));
    assert_false(json_depth_ok("{\"a\":[1,2,{\"b\":3}]}", 19, 2));
    /* brackets inside strings and escaped quotes do not count */
    const char *s = "{\"a\":\"[[[[\\\"[[[[\"}";
    assert_true(json_depth_ok(s, strlen(s), 1));
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_false(json_depth_ok(deep, 200, 32));
    assert_true(json_depth_ok(deep, 200, 100));
}

static void test_problem(void **state)
{
    (void)state;
    json_t *extra = json_pack("{s:[i]}", "errors", 3);
    json_t *p = problem_new(422, "dòng 3", extra);
    assert_string_equal(json_string_value(json_object_get(p, "type")), "about:blank");
    assert_string_equal(json_string_value(json_object_get(p, "title")), "Unprocessable Content");
    assert_int_equal(json_integer_value(json_object_get(p, "status")), 422);
    assert_string_equal(json_string_value(json_object_get(p, "detail")), "dòng 3");
    assert_int_equal(json_array_size(json_object_get(p, "errors")), 1);
    json_decref(p);
    /* extra cannot overwrite the standard members */
    p = problem_new(404, "x", json_pack("{s:i}", "status", 200));
    assert_int_equal(json_integer_value(json_object_get(p, "status")), 404);
    json_decref(p);
    assert_string_equal(http_reason(401), "Unauthorized");
    assert_string_equal(http_reason(413), "Content Too Large");
}

static void test_roles(void **state)
{
    (void)state;
    assert_int_equal(role_parse("admin"), ROLE_ADMIN);
    assert_int_equal(role_parse("analyst"), ROLE_ANALYST);
    assert_int_equal(role_parse("viewer"), ROLE_VIEWER);
    assert_int_equal(role_parse("Admin"), ROLE_NONE);
    assert_int_equal(role_parse(""), ROLE_NONE);
    assert_int_equal(role_parse(NULL), ROLE_NONE);
    assert_true(ROLE_VIEWER < ROLE_ANALYST && ROLE_ANALYST < ROLE_ADMIN);
}

static void test_items(void **state)
{
    (void)state;
    json_t *v = api_items(json_pack("[i,i]", 1, 2));
    assert_int_equal(json_array_size(json_object_get(v, "items")), 2);
    json_decref(v);
    v = api_items(NULL);
    assert_int_equal(json_array_size(json_object_get(v, "items")), 0);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),  cmocka_unit_test(test_json_depth),
        cmocka_unit_test(test_problem), cmocka_unit_test(test_roles),
        cmocka_unit_test(test_items),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
