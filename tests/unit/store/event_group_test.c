/* Events: group commit (store_event_insert_batches) and the per-batch FTS index. */
#include "helpers.h"

#include "store/event.h"

#define NOW_MS 1800000000000LL /* 2027-01-15 */

static int64_t count(struct tctx *t, const char *q, int64_t agent)
{
    struct event_filter f = {.q = q, .agent_id = agent};
    struct verr err = {0};
    json_t *res = NULL;
    assert_int_equal(store_event_search(t->s, &f, &res, &err), 0);
    int64_t n = jint(res, "total", NULL);
    json_decref(res);
    return n;
}

static void test_group(void **state)
{
    struct tctx *t = *state;
    struct event_in a[2] = {
        {.seq = 1, .ts_ms = NOW_MS, .message = "sshd accepted password", .doc = "{}"},
        {.seq = 2, .ts_ms = NOW_MS, .message = "cron started", .doc = "{}"},
    };
    struct event_in again[2] = {a[1], {.seq = 3, .message = "sshd closed", .doc = "{}"}};
    struct event_in bad[1] = {{.seq = 0, .message = "never stored", .doc = "{}"}};
    struct event_in b[1] = {
        {.seq = 7, .dataset = "system.auth", .host = "web-1", .message = "sudo", .doc = "{}"}};
    struct event_batch g[4] = {
        {.agent_id = 5, .ev = a, .n = 2},
        {.agent_id = 6, .ev = bad, .n = 1},
        {.agent_id = 5, .ev = again, .n = 2}, /* seq 2 twice in one transaction */
        {.agent_id = 6, .ev = b, .n = 1},
    };
    struct verr err = {0};

    assert_int_equal(store_event_insert_batches(t->s, g, 4, &err), 0);
    assert_int_equal(g[0].rc, 0);
    assert_int_equal(g[0].n_new, 2);
    assert_int_equal(g[1].rc, -EINVAL);
    assert_non_null(strstr(g[1].err.msg, "event 1"));
    assert_int_equal(g[2].rc, 0);
    assert_int_equal(g[2].n_new, 1);
    assert_int_equal(g[3].rc, 0);
    assert_int_equal(g[3].n_new, 1);
    assert_int_equal(store_event_acked_seq(t->s, 5), 3);
    assert_int_equal(store_event_acked_seq(t->s, 6), 7);
    assert_int_equal(count(t, NULL, 0), 4);
    /* Every stored event is in the index, over all three columns. */
    assert_int_equal(count(t, "sshd", 0), 2);
    assert_int_equal(count(t, "cron", 5), 1);
    assert_int_equal(count(t, "host:web", 0), 1);
    assert_int_equal(count(t, "dataset:auth", 6), 1);
    assert_int_equal(count(t, "never", 0), 0);

    /* The whole group again: nothing new, nothing indexed twice. */
    assert_int_equal(store_event_insert_batches(t->s, g, 4, &err), 0);
    assert_int_equal(g[0].n_new + g[2].n_new + g[3].n_new, 0);
    assert_int_equal(count(t, NULL, 0), 4);
    assert_int_equal(count(t, "sshd", 0), 2);

    /* Only invalid batches: nothing to do. */
    assert_int_equal(store_event_insert_batches(t->s, &g[1], 1, &err), 0);
    assert_int_equal(g[1].rc, -EINVAL);
    assert_int_equal(count(t, NULL, 0), 4);
}

/* Retention's deletes still leave the index in step (the delete trigger). */
static void test_index_after_retention(void **state)
{
    struct tctx *t = *state;
    struct event_in ev[2] = {
        {.seq = 1, .ts_ms = 1000, .message = "ancient sshd", .doc = "{}"},
        {.seq = 2, .ts_ms = NOW_MS, .message = "recent sshd", .doc = "{}"},
    };
    struct event_batch g = {.agent_id = 3, .ev = ev, .n = 2};
    const int days[6] = {30, 30, 30, 90, 90, 90};
    struct verr err = {0};
    int64_t n = 0;

    assert_int_equal(store_event_insert_batches(t->s, &g, 1, &err), 0);
    assert_int_equal(count(t, "sshd", 0), 2);
    assert_int_equal(store_event_retention(t->s, days, NULL, NOW_MS, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(count(t, "sshd", 0), 1);
    assert_int_equal(count(t, "ancient", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_group, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_index_after_retention, tctx_setup, tctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
