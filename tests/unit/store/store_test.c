/* store.c: opening, directory mode, WAL, migrations, refusing newer schemas. */
#include <sqlite3.h>
#include <sys/stat.h>

#include "helpers.h"

static void test_open_creates_dir_0700_and_wal(void **state)
{
    (void)state;
    char base[64], dir[96], db[128];
    snprintf(base, sizeof(base), "/tmp/vigil-store-XXXXXX");
    assert_non_null(mkdtemp(base));
    snprintf(dir, sizeof(dir), "%s/data/sub", base);
    snprintf(db, sizeof(db), "%s/vigil.db", dir);

    struct store *s = NULL;
    struct verr err = {0};
    assert_int_equal(store_open(dir, &s, &err), 0);
    struct stat sb;
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_int_equal(stat(db, &sb), 0);
    assert_int_equal(sb.st_mode & 077, 0);
    /* Schema 1: the foundation; 2: sightings from vigil-sensor; 3: agent
     * events; 4: enrollment; 5: the events FTS index written per batch;
     * 6: malware scanning. */
    assert_int_equal(store_schema_version(s), 6);
    store_close(s);

    /* The file itself says WAL, independently of the store. */
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(raw);
    tmp_rmrf(base);
}

static void test_reopen_is_idempotent(void **state)
{
    struct tctx *t = *state;
    int64_t u = add_unit(t, "Sở Thông tin và Truyền thông", 0);
    add_system(t, u, "Cổng dịch vụ công", 3, "10.0.0.0/24");
    store_close(t->s);
    t->s = NULL;
    struct verr err = {0};
    assert_int_equal(store_open(t->dir, &t->s, &err), 0);
    assert_int_equal(store_schema_version(t->s), 6);
    assert_int_equal(stat_of(t, "units"), 1);
    assert_int_equal(stat_of(t, "systems"), 1);
    /* A third open changes nothing either. */
    store_close(t->s);
    assert_int_equal(store_open(t->dir, &t->s, &err), 0);
    json_t *sys = store_system_get(t->s, 1);
    assert_non_null(sys);
    assert_string_equal(jstr(sys, "name"), "Cổng dịch vụ công");
    json_decref(sys);
}

static void test_newer_schema_refused(void **state)
{
    struct tctx *t = *state;
    store_close(t->s);
    t->s = NULL;
    char db[128];
    snprintf(db, sizeof(db), "%s/vigil.db", t->dir);
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);

    struct verr err = {0};
    struct store *s = NULL;
    assert_int_equal(store_open(t->dir, &s, &err), -ENOTSUP);
    assert_null(s);
    assert_non_null(strstr(err.msg, "99"));
    assert_non_null(strstr(err.msg, "newer"));

    /* Put it back so teardown can close a real store. */
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "PRAGMA user_version = 6", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    assert_int_equal(store_open(t->dir, &t->s, &err), 0);
}

static void test_open_bad_dir(void **state)
{
    (void)state;
    struct store *s = NULL;
    struct verr err = {0};
    assert_true(store_open("/proc/vigil-cannot-exist/x", &s, &err) < 0);
    assert_null(s);
    assert_non_null(strstr(err.msg, "/proc/vigil-cannot-exist/x"));
    assert_int_equal(store_open("", &s, &err), -EINVAL);
}

static void test_stats_empty(void **state)
{
    struct tctx *t = *state;
    const char *keys[] = {"units",
                          "systems",
                          "feeds",
                          "versions",
                          "indicators",
                          "findings_open",
                          "findings_in_progress",
                          "findings_resolved",
                          "findings_false_positive",
                          "tokens"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_int_equal(stat_of(t, keys[i]), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_creates_dir_0700_and_wal),
        cmocka_unit_test_setup_teardown(test_reopen_is_idempotent, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, tctx_setup, tctx_teardown),
        cmocka_unit_test(test_open_bad_dir),
        cmocka_unit_test_setup_teardown(test_stats_empty, tctx_setup, tctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
