/* Events: exactly-once batches, FTS search, retention, inventory, coverage, tasks. */
#include "helpers.h"

#include "store/event.h"

#define DAY_MS 86400000LL
#define NOW_MS 1800000000000LL /* 2027-01-15 */

static void insert(struct tctx *t, int64_t agent, const struct event_in *ev, size_t n,
                   size_t want_new)
{
    struct verr err = {0};
    size_t n_new = 99;
    int r = store_event_insert(t->s, agent, ev, n, &n_new, &err);
    if (r < 0)
        fprintf(stderr, "insert: %s\n", err.msg);
    assert_int_equal(r, 0);
    assert_int_equal(n_new, want_new);
}

static json_t *search(struct tctx *t, const char *q, int64_t agent)
{
    struct event_filter f = {.q = q, .agent_id = agent};
    struct verr err = {0};
    json_t *res = NULL;
    assert_int_equal(store_event_search(t->s, &f, &res, &err), 0);
    return res;
}

static void test_exactly_once(void **state)
{
    struct tctx *t = *state;
    struct event_in ev[3] = {
        {.seq = 1, .ts_ms = NOW_MS, .message = "sshd accepted password for root", .doc = "{}"},
        {.seq = 2, .ts_ms = NOW_MS, .message = "cron job started", .doc = "{}"},
        {.seq = 3, .ts_ms = NOW_MS, .message = "kernel oom killer", .doc = "{}"},
    };
    insert(t, 5, ev, 3, 3);
    assert_int_equal(store_event_acked_seq(t->s, 5), 3);
    /* The same batch again: nothing new, nothing doubled. */
    insert(t, 5, ev, 3, 0);
    /* Overlapping: only seq 4 is new. */
    struct event_in more[2] = {ev[2], {.seq = 4, .message = "four", .doc = "{}"}};
    insert(t, 5, more, 2, 1);
    json_t *all = search(t, NULL, 5);
    assert_int_equal(jint(all, "total", NULL), 4);
    json_decref(all);
    assert_int_equal(store_event_acked_seq(t->s, 5), 4);
    /* Another agent has its own sequence space. */
    insert(t, 6, ev, 1, 1);
    assert_int_equal(store_event_acked_seq(t->s, 6), 1);
    assert_int_equal(store_event_acked_seq(t->s, 7), 0);
    /* seq 0 is refused and nothing of the batch is stored. */
    struct event_in bad[2] = {{.seq = 9, .doc = "{}"}, {.seq = 0, .doc = "{}"}};
    struct verr err = {0};
    assert_int_equal(store_event_insert(t->s, 5, bad, 2, NULL, &err), -EINVAL);
    assert_int_equal(store_event_acked_seq(t->s, 5), 4);
}

static void test_search(void **state)
{
    struct tctx *t = *state;
    struct event_in ev[3] = {
        {.seq = 1,
         .ts_ms = NOW_MS,
         .dataset = "system.auth",
         .host = "web1",
         .message = "Accepted password for root from 10.0.0.9",
         .doc = "{\"a\":1}"},
        {.seq = 2,
         .ts_ms = NOW_MS + 1,
         .dataset = "system.syslog",
         .host = "web1",
         .message = "nginx reloaded",
         .doc = "{\"a\":2}"},
        {.seq = 3,
         .ts_ms = NOW_MS + 2,
         .dataset = "system.auth",
         .host = "db1",
         .message = "Failed password for admin",
         .doc = "{\"a\":3}"},
    };
    insert(t, 1, ev, 3, 3);
    json_t *r = search(t, "password", 0);
    assert_int_equal(jint(r, "total", NULL), 2);
    /* Newest first. */
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(json_object_get(r, "items"), 0), "seq")),
        3);
    json_decref(r);
    r = search(t, "nginx", 0);
    assert_int_equal(jint(r, "total", NULL), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(r, "items"), 0), "dataset")),
                        "system.syslog");
    json_decref(r);
    r = search(t, "host:db1", 0);
    assert_int_equal(jint(r, "total", NULL), 1);
    json_decref(r);
    r = search(t, "password", 2);
    assert_int_equal(jint(r, "total", NULL), 0);
    json_decref(r);
    /* A dataset filter and a time window. */
    struct event_filter f = {.dataset = "system.auth", .from_ms = NOW_MS + 1};
    struct verr err = {0};
    assert_int_equal(store_event_search(t->s, &f, &r, &err), 0);
    assert_int_equal(jint(r, "total", NULL), 1);
    json_decref(r);
    /* FTS5 syntax errors are the caller's. */
    f = (struct event_filter){.q = "password AND"};
    assert_int_equal(store_event_search(t->s, &f, &r, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "syntax error"));
}

static void test_retention(void **state)
{
    struct tctx *t = *state;
    int64_t u = add_unit(t, "U", 0);
    add_system(t, u, "Critical", 4, "10.4.0.0/16");
    add_system(t, u, "Minor", 1, "10.1.0.0/16");
    int days[6] = {60, 30, 30, 90, 90, 90};
    /* Agent 1 in the level-4 system, 2 in the level-1 one, 3 in none. */
    json_t *agents = json_pack("[{s:i, s:s}, {s:i, s:s}, {s:i, s:s}]", "id", 1, "addr", "10.4.0.5",
                               "id", 2, "addr", "10.1.2.3:40000", "id", 3, "addr", "192.0.2.1");
    for (int64_t a = 1; a <= 3; a++) {
        struct event_in ev[4] = {
            {.seq = 1, .ts_ms = NOW_MS - 100 * DAY_MS, .doc = "{}"},
            {.seq = 2, .ts_ms = NOW_MS - 70 * DAY_MS, .doc = "{}"},
            {.seq = 3, .ts_ms = NOW_MS - 40 * DAY_MS, .doc = "{}"},
            {.seq = 4, .ts_ms = NOW_MS - 1 * DAY_MS, .doc = "{}"},
        };
        insert(t, a, ev, 4, 4);
    }
    struct verr err = {0};
    int64_t n = 0;
    assert_int_equal(store_event_retention(t->s, days, agents, NOW_MS, &n, &err), 0);
    /* 90 days keeps 3 of agent 1's; 30 keeps 1 of agent 2's; 60 keeps 2 of 3's. */
    assert_int_equal(n, 1 + 3 + 2);
    json_t *r;
    r = search(t, NULL, 1);
    assert_int_equal(jint(r, "total", NULL), 3);
    json_decref(r);
    r = search(t, NULL, 2);
    assert_int_equal(jint(r, "total", NULL), 1);
    json_decref(r);
    r = search(t, NULL, 3);
    assert_int_equal(jint(r, "total", NULL), 2);
    json_decref(r);
    /* The high-water mark survives retention. */
    assert_int_equal(store_event_acked_seq(t->s, 2), 4);
    /* The FTS index forgot the deleted rows too. */
    json_decref(agents);
}

static const char snapshot[] =
    "{\"event\":{\"dataset\":\"inventory.snapshot\"},\"inventory\":{\"hostname\":\"web1\","
    "\"kernel\":\"6.1.0\",\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"52:54:00:00:00:01\","
    "\"addresses\":[\"10.4.0.7/24\",\"fe80::1/64\"]}],"
    "\"packages\":[{\"name\":\"openssl\",\"version\":\"3.0.11\",\"arch\":\"amd64\","
    "\"source\":\"dpkg\"},{\"name\":\"bash\",\"version\":\"5.2\",\"arch\":\"amd64\","
    "\"source\":\"dpkg\"}]}}";
static const char delta[] =
    "{\"event\":{\"dataset\":\"inventory.delta\"},\"inventory\":{\"added\":{\"packages\":"
    "[{\"name\":\"openssl\",\"version\":\"3.0.13\",\"arch\":\"amd64\",\"source\":\"dpkg\"},"
    "{\"name\":\"curl\",\"version\":\"7.88\",\"arch\":\"amd64\",\"source\":\"dpkg\"}],"
    "\"kernel\":\"6.1.1\"},\"removed\":{\"packages\":[{\"name\":\"bash\",\"arch\":\"amd64\","
    "\"source\":\"dpkg\"}]}}}";

static const char *pkg_version(json_t *items, const char *name)
{
    size_t i;
    json_t *p;
    json_array_foreach(items, i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0)
            return json_string_value(json_object_get(p, "version"));
    }
    return NULL;
}

static void test_inventory(void **state)
{
    struct tctx *t = *state;
    struct event_in ev[2] = {
        {.seq = 1, .dataset = "inventory.snapshot", .doc = snapshot},
        {.seq = 2, .dataset = "inventory.delta", .doc = delta},
    };
    struct verr err = {0};
    json_t *r = NULL;

    insert(t, 9, ev, 1, 1);
    assert_int_equal(store_inventory_get(t->s, 9, "packages", &r, &err), 0);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
    json_decref(r);
    insert(t, 9, ev + 1, 1, 1);
    /* Re-sent: the delta is not applied twice (curl once). */
    insert(t, 9, ev, 2, 0);
    assert_int_equal(store_inventory_get(t->s, 9, "packages", &r, &err), 0);
    json_t *items = json_object_get(r, "items");
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(pkg_version(items, "openssl"), "3.0.13");
    assert_string_equal(pkg_version(items, "curl"), "7.88");
    assert_null(pkg_version(items, "bash"));
    json_decref(r);
    assert_int_equal(store_inventory_get(t->s, 9, NULL, &r, &err), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "inventory"), "kernel")), "6.1.1");
    json_decref(r);
    assert_int_equal(store_inventory_get(t->s, 9, "nonsense", &r, &err), -EINVAL);
    assert_int_equal(store_inventory_get(t->s, 10, NULL, &r, &err), -ENOENT);
    /* A list section that is not a list is refused. */
    json_t *bad = json_pack("{s:s}", "packages", "openssl");
    assert_int_equal(store_inventory_apply(t->s, 9, bad, false, &err), -EINVAL);
    json_decref(bad);
    /* In a batch, such a document is stored as an event but changes nothing. */
    struct event_in odd = {
        .seq = 3, .dataset = "inventory.snapshot", .doc = "{\"inventory\":{\"packages\":7}}"};
    insert(t, 9, &odd, 1, 1);
    assert_int_equal(store_inventory_get(t->s, 9, "packages", &r, &err), 0);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
    json_decref(r);
    /* The one-item delta form: {"category", "key", "item"} and event.action. */
    struct event_in upd[2] = {
        {.seq = 4,
         .dataset = "inventory.delta",
         .doc = "{\"event\":{\"action\":\"removed\"},\"inventory\":{\"category\":"
                "\"packages\",\"key\":\"curl|amd64\",\"item\":{\"name\":\"curl\","
                "\"arch\":\"amd64\"}}}"},
        {.seq = 5,
         .dataset = "inventory.delta",
         .doc = "{\"event\":{\"action\":\"added\"},\"inventory\":{\"category\":"
                "\"users\",\"key\":\"root\",\"item\":{\"name\":\"root\",\"uid\":0}}}"},
    };
    insert(t, 9, upd, 2, 2);
    assert_int_equal(store_inventory_get(t->s, 9, "packages", &r, &err), 0);
    assert_null(pkg_version(json_object_get(r, "items"), "curl"));
    assert_string_equal(pkg_version(json_object_get(r, "items"), "openssl"), "3.0.13");
    json_decref(r);
    assert_int_equal(store_inventory_get(t->s, 9, "users", &r, &err), 0);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
    json_decref(r);
}

static json_t *entry(json_t *cov, size_t sys, size_t addr)
{
    return json_array_get(
        json_object_get(json_array_get(json_object_get(cov, "items"), sys), "addrs"), addr);
}

static void test_coverage(void **state)
{
    struct tctx *t = *state;
    int64_t u = add_unit(t, "U", 0);
    const char *a1[] = {"10.4.0.0/24", "10.9.9.9", "10.9.9.10", NULL};
    add_system_n(t, u, "Portal", 3, a1, NULL);
    add_system(t, u, "Empty", 2, "172.16.0.0/16");
    int64_t now = NOW_MS / 1000;
    /* Agent 9 has 10.4.0.7 in its inventory; agent 11 connects from
     * 10.9.9.9; agent 12 (10.4.0.8) was last seen two days ago; agent 13
     * is revoked. */
    struct event_in ev = {.seq = 1, .dataset = "inventory.snapshot", .doc = snapshot};
    insert(t, 9, &ev, 1, 1);
    json_t *agents = json_pack(
        "[{s:i, s:s, s:I}, {s:i, s:s, s:s, s:I}, {s:i, s:s, s:s, s:I}, {s:i, s:s, s:s, s:I}]", "id",
        9, "status", "active", "last_seen", (json_int_t)(now - 60), "id", 11, "status", "active",
        "addr", "10.9.9.9", "last_seen", (json_int_t)(now - 3600), "id", 12, "status", "active",
        "addr", "10.4.0.8", "last_seen", (json_int_t)(now - 2 * 86400), "id", 13, "status",
        "revoked", "addr", "10.9.9.10", "last_seen", (json_int_t)now);
    json_t *cov = NULL;
    struct verr err = {0};
    assert_int_equal(store_coverage(t->s, agents, now, &cov, &err), 0);
    /* 10.4.0.0/24: agent 9 only (12 is stale). */
    assert_int_equal(jint(entry(cov, 0, 0), "n_agents", NULL), 1);
    assert_true(json_is_true(json_object_get(entry(cov, 0, 0), "covered")));
    assert_false(json_is_true(json_object_get(entry(cov, 0, 0), "single")));
    /* 10.9.9.9 has agent 11; 10.9.9.10 only a revoked one. */
    assert_true(json_is_true(json_object_get(entry(cov, 0, 1), "covered")));
    assert_true(json_is_true(json_object_get(entry(cov, 0, 1), "single")));
    assert_false(json_is_true(json_object_get(entry(cov, 0, 2), "covered")));
    assert_int_equal(
        jint(json_array_get(json_object_get(cov, "items"), 0), "n_hosts_uncovered", NULL), 1);
    /* The second system has no agent. */
    assert_int_equal(jint(entry(cov, 1, 0), "n_agents", NULL), 0);
    json_decref(cov);
    json_decref(agents);
}

static void test_tasks(void **state)
{
    struct tctx *t = *state;
    struct verr err = {0};
    int64_t id = 0, id2 = 0;
    assert_int_equal(store_task_add(t->s, &t->alice, 4, "rm", NULL, &id, &err), -EINVAL);
    assert_int_equal(store_task_add(t->s, &t->alice, 4, "scan", NULL, &id, &err), 0);
    assert_int_equal(store_task_add(t->s, &t->alice, 4, "inventory", NULL, &id2, &err), 0);
    json_t *q = store_task_queued(t->s, 4, false, 10);
    assert_int_equal(json_array_size(q), 2);
    json_decref(q);
    assert_int_equal(store_task_mark_sent(t->s, id, &err), 0);
    q = store_task_queued(t->s, 4, false, 10);
    assert_int_equal(json_array_size(q), 1);
    json_decref(q);
    /* A new connection gets the sent, unanswered one again. */
    q = store_task_queued(t->s, 4, true, 10);
    assert_int_equal(json_array_size(q), 2);
    json_decref(q);
    /* Another agent cannot answer agent 4's task. */
    assert_int_equal(store_task_result(t->s, 5, id, "done", NULL, &err), -ENOENT);
    json_t *res = json_pack("{s:i}", "files", 10);
    assert_int_equal(store_task_result(t->s, 4, id, "done", res, &err), 0);
    json_decref(res);
    json_t *list = store_task_list(t->s, 4);
    json_t *first = json_array_get(json_object_get(list, "items"), 1);
    assert_string_equal(json_string_value(json_object_get(first, "status")), "done");
    assert_int_equal(jint(json_object_get(first, "result"), "files", NULL), 10);
    json_decref(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exactly_once, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_search, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_retention, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_inventory, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_coverage, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_tasks, tctx_setup, tctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
