/* feedstore.c: versions, dates, diffs, atomic imports (also across SIGKILL). */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "helpers.h"

static void test_import_and_versions(void **state)
{
    struct tctx *t = *state;
    const char *ips[] = {"10.0.0.1", "10.0.0.0/24", "2001:db8::1", "192.0.2.1", NULL};
    struct feed f;
    feed_of(&f, ips);
    f.n_lines = 6;
    f.n_errors = 1;
    static const char doc[] = "abc";
    struct import_spec spec = {.feed = "ais-botnet",
                               .kind = "botnet",
                               .list_date = "2024-01-15",
                               .source_name = "jan.csv",
                               .parsed = &f,
                               .doc = (const uint8_t *)doc,
                               .doc_len = 3};
    json_t *res = NULL;
    struct verr err = {0};
    assert_int_equal(store_feed_import(t->s, &t->alice, &spec, &res, &err), 0);
    assert_string_equal(jstr(res, "feed"), "ais-botnet");
    assert_string_equal(jstr(res, "list_date"), "2024-01-15");
    assert_string_equal(jstr(res, "format"), "text");
    assert_int_equal(jint(res, "n_indicators", NULL), 4);
    assert_int_equal(jint(res, "n_lines", NULL), 6);
    assert_int_equal(jint(res, "n_errors", NULL), 1);
    assert_true(json_is_array(json_object_get(res, "errors")));
    assert_int_equal(jint(res, "findings", "new"), 0);
    int64_t vid = jint(res, "version_id", NULL);
    json_decref(res);
    feed_release(&f);

    json_t *v = store_feed_versions(t->s, "ais-botnet");
    assert_non_null(v);
    assert_string_equal(jstr(v, "feed"), "ais-botnet");
    json_t *it = json_array_get(json_object_get(v, "items"), 0);
    assert_int_equal(jint(it, "id", NULL), vid);
    assert_string_equal(jstr(it, "list_date"), "2024-01-15");
    assert_string_equal(jstr(it, "source"), "jan.csv");
    /* SHA-256("abc"), FIPS 180-2 appendix B.1. */
    assert_string_equal(jstr(it, "sha256"),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(jint(it, "n_indicators", NULL), 4);
    json_decref(v);
    assert_null(store_feed_versions(t->s, "nope"));

    json_t *fl = store_feed_list(t->s);
    json_t *fe = json_array_get(json_object_get(fl, "items"), 0);
    assert_string_equal(jstr(fe, "name"), "ais-botnet");
    assert_string_equal(jstr(fe, "kind"), "botnet");
    assert_int_equal(jint(fe, "n_versions", NULL), 1);
    assert_string_equal(jstr(json_object_get(fe, "latest"), "list_date"), "2024-01-15");
    json_decref(fl);
}

static void test_import_dates_and_names(void **state)
{
    struct tctx *t = *state;
    int64_t u = add_unit(t, "U", 0);
    add_system(t, u, "S", 2, "10.0.0.0/24");
    const char *ips[] = {"10.0.0.1", "10.0.0.2", NULL};
    json_decref(import_ips(t, "botnet", "2024-02-15", ips));
    assert_int_equal(stat_of(t, "findings_open"), 2);

    struct feed f;
    const char *other[] = {"10.0.0.3", NULL};
    feed_of(&f, other);
    struct verr err = {0};
    json_t *res = NULL;
    assert_int_equal(import_feed(t, "botnet", "2024-02-15", &f, &res, &err), -EEXIST);
    assert_non_null(strstr(err.msg, "2024-02-15"));
    assert_int_equal(import_feed(t, "botnet", "2024-01-15", &f, &res, &err), -EINVAL);
    assert_true(strncmp(err.msg, "date:", 5) == 0);
    assert_non_null(strstr(err.msg, "2024-02-15"));
    assert_int_equal(import_feed(t, "botnet", "2024-02-30", &f, &res, &err), -EINVAL);
    assert_true(strncmp(err.msg, "date:", 5) == 0);
    assert_int_equal(import_feed(t, "botnet", "15/03/2024", &f, &res, &err), -EINVAL);
    assert_int_equal(import_feed(t, "Bad Name", "2024-03-15", &f, &res, &err), -EINVAL);
    assert_true(strncmp(err.msg, "feed:", 5) == 0);
    struct import_spec spec = {
        .feed = "botnet", .kind = "threat", .list_date = "2024-03-15", .parsed = &f};
    assert_int_equal(store_feed_import(t->s, &t->alice, &spec, &res, &err), -EINVAL);
    assert_true(strncmp(err.msg, "kind:", 5) == 0);
    spec.kind = "worm";
    assert_int_equal(store_feed_import(t->s, &t->alice, &spec, &res, &err), -EINVAL);

    /* None of the failures changed anything. */
    assert_int_equal(stat_of(t, "versions"), 1);
    assert_int_equal(stat_of(t, "indicators"), 2);
    assert_int_equal(stat_of(t, "findings_open"), 2);
    assert_int_equal(stat_of(t, "findings_resolved"), 0);

    /* A threat feed stores indicators and makes no findings. */
    spec.feed = "threat-ips";
    spec.kind = "threat";
    assert_int_equal(store_feed_import(t->s, &t->alice, &spec, &res, &err), 0);
    assert_string_equal(jstr(res, "kind"), "threat");
    json_decref(res);
    assert_int_equal(stat_of(t, "findings_open"), 2);
    feed_release(&f);
}

static void test_diff(void **state)
{
    struct tctx *t = *state;
    const char *v1[] = {"10.0.0.1", "10.0.0.2", "10.0.0.0/24", NULL};
    const char *v2[] = {"10.0.0.2", "10.0.0.0/24", "2001:db8::5", "192.0.2.9", NULL};
    const char *v3[] = {"192.0.2.9", NULL};
    json_decref(import_ips(t, "f", "2024-01-15", v1));
    json_decref(import_ips(t, "f", "2024-02-15", v2));
    json_decref(import_ips(t, "f", "2024-03-15", v3));

    json_t *d = NULL;
    struct verr err = {0};
    assert_int_equal(store_feed_diff(t->s, "f", "2024-01-15", "2024-02-15", 10, &d, &err), 0);
    assert_string_equal(jstr(d, "from"), "2024-01-15");
    assert_string_equal(jstr(d, "to"), "2024-02-15");
    assert_int_equal(jint(d, "counts", "new"), 2);
    assert_int_equal(jint(d, "counts", "persisting"), 2);
    assert_int_equal(jint(d, "counts", "removed"), 1);
    json_t *nv = json_object_get(d, "new");
    assert_int_equal(json_array_size(nv), 2);
    /* IPv4 sorts before IPv6. */
    assert_string_equal(json_string_value(json_array_get(nv, 0)), "192.0.2.9");
    assert_string_equal(json_string_value(json_array_get(nv, 1)), "2001:db8::5");
    assert_string_equal(json_string_value(json_array_get(json_object_get(d, "removed"), 0)),
                        "10.0.0.1");
    json_decref(d);

    /* Defaults: latest against the one before; limit caps lists, not counts. */
    assert_int_equal(store_feed_diff(t->s, "f", NULL, NULL, 1, &d, &err), 0);
    assert_string_equal(jstr(d, "from"), "2024-02-15");
    assert_string_equal(jstr(d, "to"), "2024-03-15");
    assert_int_equal(jint(d, "counts", "new"), 0);
    assert_int_equal(jint(d, "counts", "persisting"), 1);
    assert_int_equal(jint(d, "counts", "removed"), 3);
    assert_int_equal(json_array_size(json_object_get(d, "removed")), 1);
    json_decref(d);

    /* The first version: everything is new. */
    assert_int_equal(store_feed_diff(t->s, "f", NULL, "2024-01-15", 10, &d, &err), 0);
    assert_true(json_is_null(json_object_get(d, "from")));
    assert_int_equal(jint(d, "counts", "new"), 3);
    json_decref(d);

    assert_int_equal(store_feed_diff(t->s, "f", "2024-03-15", "2024-01-15", 10, &d, &err), -EINVAL);
    assert_int_equal(store_feed_diff(t->s, "f", "2024-01-16", NULL, 10, &d, &err), -ENOENT);
    assert_int_equal(store_feed_diff(t->s, "nope", NULL, NULL, 10, &d, &err), -ENOENT);
}

/* A big import in a child that is killed at some point: afterwards the
 * store opens, and holds either the previous state or the whole import. */
static void test_sigkill_during_import(void **state)
{
    struct tctx *t = *state;
    int64_t u = add_unit(t, "U", 0);
    add_system(t, u, "S", 3, "10.0.0.0/16");
    const char *ips[] = {"10.0.0.1", "10.0.0.2", NULL};
    json_decref(import_ips(t, "botnet", "2024-01-15", ips));
    store_close(t->s);
    t->s = NULL;

    const long delays_us[] = {20000, 80000, 150000, 300000, 2000000};
    int64_t prev = 1;
    int n_killed = 0, n_done = 0;
    for (size_t k = 0; k < sizeof(delays_us) / sizeof(delays_us[0]); k++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            struct store *s = NULL;
            struct verr err = {0};
            if (store_open(t->dir, &s, &err) < 0)
                _exit(3);
            struct feed f;
            feed_init(&f);
            f.format = FEED_TEXT;
            for (uint32_t i = 0; i < 200000; i++) {
                struct indicator ind;
                memset(&ind, 0, sizeof(ind));
                ind.type = IND_IP;
                ind.ip.addr.family = ADDR_V4;
                ind.ip.addr.v4 = 0x0a000000u + i * 7u; /* 10.0.0.0 + 7i */
                ind.ip.len = 32;
                VEC_PUSH(&f.items, ind);
            }
            char date[16];
            snprintf(date, sizeof(date), "2024-0%zu-15", k + 2);
            struct import_spec spec = {
                .feed = "botnet", .kind = "botnet", .list_date = date, .parsed = &f};
            json_t *res = NULL;
            int r = store_feed_import(s, NULL, &spec, &res, &err);
            _exit(r == 0 ? 0 : 4);
        }
        struct timespec ts = {0, delays_us[k] * 1000};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);

        struct verr err = {0};
        assert_int_equal(store_open(t->dir, &t->s, &err), 0);
        int64_t versions = stat_of(t, "versions");
        json_t *fl = findings_all(t, NULL);
        int64_t total = jint(fl, "total", NULL);
        json_decref(fl);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            /* It finished first: all of it is there. */
            assert_int_equal(versions, prev + 1);
            /* 10.0.0.0 + 7i inside 10.0.0.0/16: i = 0 .. 9362 */
            assert_int_equal(stat_of(t, "findings_open"), 9363);
            n_done++;
        } else {
            /* Killed: exactly the previous state. */
            assert_true(WIFSIGNALED(status));
            assert_int_equal(versions, prev);
            if (prev == 1) {
                assert_int_equal(total, 2);
                assert_int_equal(stat_of(t, "findings_open"), 2);
                assert_int_equal(stat_of(t, "indicators"), 2);
            }
            n_killed++;
        }
        prev = versions;
        /* And the database is sound. */
        json_t *v = store_feed_versions(t->s, "botnet");
        assert_int_equal((int64_t)json_array_size(json_object_get(v, "items")), versions);
        json_decref(v);
        store_close(t->s);
        t->s = NULL;
    }
    /* The earliest kill must have hit the import in flight. */
    assert_true(n_killed >= 1);
    fprintf(stderr, "sigkill: %d killed, %d finished\n", n_killed, n_done);
    struct verr err = {0};
    assert_int_equal(store_open(t->dir, &t->s, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_import_and_versions, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_import_dates_and_names, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_diff, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_sigkill_during_import, tctx_setup, tctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
