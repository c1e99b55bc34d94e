/* RPM header blobs written by hand, malformed variants of them, and a
 * SQLite database in the rpm >= 4.16 layout made by the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/rpmdb.h"

/* clang-format off */
/* il=3 dl=17: NAME@0 "bash", VERSION@5 "5.1.8", RELEASE@11 "6.el9" */
static const uint8_t bash_blob[] = {
    0, 0, 0, 3,       0, 0, 0, 17,                         /* il, dl */
    0, 0, 0x03, 0xe8, 0, 0, 0, 6, 0, 0, 0, 0,  0, 0, 0, 1, /* NAME STRING @0 */
    0, 0, 0x03, 0xe9, 0, 0, 0, 6, 0, 0, 0, 5,  0, 0, 0, 1, /* VERSION STRING @5 */
    0, 0, 0x03, 0xea, 0, 0, 0, 6, 0, 0, 0, 11, 0, 0, 0, 1, /* RELEASE STRING @11 */
    'b', 'a', 's', 'h', 0,
    '5', '.', '1', '.', '8', 0,
    '6', '.', 'e', 'l', '9', 0,
};

/* il=6 dl=36: a region tag (63, BIN, ignored), EPOCH@0 = 2, NAME@4
 * "openssl", VERSION@12 "3.0.7", RELEASE@18 "1", ARCH@20 "x86_64",
 * then 9 bytes nothing points at. */
static const uint8_t openssl_blob[] = {
    0, 0, 0, 6,       0, 0, 0, 36,                         /* il, dl */
    0, 0, 0, 63,      0, 0, 0, 7, 0, 0, 0, 27, 0, 0, 0, 1, /* region BIN, ignored */
    0, 0, 0x03, 0xeb, 0, 0, 0, 4, 0, 0, 0, 0,  0, 0, 0, 1, /* EPOCH INT32 @0 */
    0, 0, 0x03, 0xe8, 0, 0, 0, 6, 0, 0, 0, 4,  0, 0, 0, 1, /* NAME STRING @4 */
    0, 0, 0x03, 0xe9, 0, 0, 0, 6, 0, 0, 0, 12, 0, 0, 0, 1, /* VERSION STRING @12 */
    0, 0, 0x03, 0xea, 0, 0, 0, 6, 0, 0, 0, 18, 0, 0, 0, 1, /* RELEASE STRING @18 */
    0, 0, 0x03, 0xfe, 0, 0, 0, 6, 0, 0, 0, 20, 0, 0, 0, 1, /* ARCH STRING @20 */
    0, 0, 0, 2,
    'o', 'p', 'e', 'n', 's', 's', 'l', 0,
    '3', '.', '0', '.', '7', 0,
    '1', 0,
    'x', '8', '6', '_', '6', '4', 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0,
};
/* clang-format on */

static const char *sget(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void test_plain(void **state)
{
    struct rpm_header h;
    json_t *o;

    (void)state;
    assert_int_equal(rpm_header_parse(bash_blob, sizeof(bash_blob), &h), 0);
    assert_string_equal(h.name, "bash");
    assert_string_equal(h.version, "5.1.8");
    assert_string_equal(h.release, "6.el9");
    assert_null(h.arch);
    assert_false(h.has_epoch);
    o = rpm_header_json(&h);
    assert_string_equal(sget(o, "name"), "bash");
    assert_string_equal(sget(o, "version"), "5.1.8-6.el9");
    assert_null(json_object_get(o, "arch"));
    assert_string_equal(sget(o, "source"), "rpm");
    json_decref(o);
}

static void test_epoch_arch(void **state)
{
    struct rpm_header h;
    json_t *o;

    (void)state;
    assert_int_equal(sizeof(openssl_blob), 8 + 6 * 16 + 36);
    assert_int_equal(rpm_header_parse(openssl_blob, sizeof(openssl_blob), &h), 0);
    assert_true(h.has_epoch);
    assert_int_equal(h.epoch, 2);
    o = rpm_header_json(&h);
    assert_string_equal(sget(o, "name"), "openssl");
    assert_string_equal(sget(o, "version"), "2:3.0.7-1");
    assert_string_equal(sget(o, "arch"), "x86_64");
    json_decref(o);
}

/* A copy of bash_blob with byte at i set to v. */
static int parse_patched(size_t i, uint8_t v)
{
    uint8_t b[sizeof(bash_blob)];
    struct rpm_header h;

    memcpy(b, bash_blob, sizeof(b));
    b[i] = v;
    return rpm_header_parse(b, sizeof(b), &h);
}

static void test_malformed(void **state)
{
    struct rpm_header h = {.name = "untouched"};

    (void)state;
    /* every truncation is refused and leaves *ret alone */
    for (size_t n = 0; n < sizeof(bash_blob); n++)
        assert_int_equal(rpm_header_parse(bash_blob, n, &h), -EBADMSG);
    assert_string_equal(h.name, "untouched");
    assert_int_equal(parse_patched(3, 0), -EBADMSG);          /* il = 0 */
    assert_int_equal(parse_patched(0, 0x7f), -EBADMSG);       /* il huge */
    assert_int_equal(parse_patched(4, 0x7f), -EBADMSG);       /* dl huge */
    assert_int_equal(parse_patched(7, 18), -EBADMSG);         /* dl past the blob */
    assert_int_equal(parse_patched(19, 17), -EBADMSG);        /* NAME offset = dl */
    assert_int_equal(parse_patched(16, 0xff), -EBADMSG);      /* NAME offset negative */
    assert_int_equal(parse_patched(15, 4), -EBADMSG);         /* NAME typed INT32 */
    assert_int_equal(parse_patched(23, 2), -EBADMSG);         /* NAME count 2 */
    assert_int_equal(parse_patched(11 + 16, 0xe8), -EBADMSG); /* NAME twice */
    assert_int_equal(parse_patched(11 + 32, 0xe8), -EBADMSG);
    assert_int_equal(parse_patched(11 + 32, 0xf0), -ENOENT); /* no RELEASE */
    assert_int_equal(parse_patched(56 + 16, 'x'), -EBADMSG); /* last string unterminated */
    assert_int_equal(parse_patched(56 + 1, 0xc3), -EBADMSG); /* bad UTF-8 in the name */
    assert_int_equal(parse_patched(56 + 0, 0), -ENOENT);     /* empty name */
}

static void test_bad_epoch(void **state)
{
    uint8_t b[sizeof(openssl_blob)];
    struct rpm_header h;
    const size_t epoch_off = 8 + 16 + 11; /* low byte of the EPOCH offset */

    (void)state;
    memcpy(b, openssl_blob, sizeof(b));
    b[epoch_off] = 2; /* misaligned */
    assert_int_equal(rpm_header_parse(b, sizeof(b), &h), -EBADMSG);
    b[epoch_off] = 36; /* at dl: no room */
    assert_int_equal(rpm_header_parse(b, sizeof(b), &h), -EBADMSG);
    b[epoch_off] = 32; /* last 4 bytes: fine, value 0 */
    assert_int_equal(rpm_header_parse(b, sizeof(b), &h), 0);
    assert_int_equal(h.epoch, 0);
    b[8 + 7] = 0xff; /* the region tag is not read: any type, offset, count */
    b[8 + 8] = 0xff;
    b[8 + 15] = 0xff;
    assert_int_equal(rpm_header_parse(b, sizeof(b), &h), 0);
    b[epoch_off - 4] = 6; /* typed STRING */
    assert_int_equal(rpm_header_parse(b, sizeof(b), &h), -EBADMSG);
}

static void make_db(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    const uint8_t junk[] = {0, 0, 0, 1, 0, 0, 0, 0xff};

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB "
                                  "NOT NULL)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO Packages VALUES (?, ?)", -1, &st, NULL),
                     SQLITE_OK);
    const struct {
        int hnum;
        const uint8_t *p;
        size_t len;
    } rows[] = {{7, openssl_blob, sizeof(openssl_blob)},
                {3, bash_blob, sizeof(bash_blob)},
                {5, junk, sizeof(junk)}};
    for (size_t i = 0; i < 3; i++) {
        sqlite3_bind_int(st, 1, rows[i].hnum);
        sqlite3_bind_blob(st, 2, rows[i].p, (int)rows[i].len, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_sqlite(void **state)
{
    char dir[] = "/tmp/vigil-rpmdb-XXXXXX", path[256];
    json_t *arr = json_array();

    (void)state;
    assert_non_null(mkdtemp(dir));
    /* '?', '#' and '%' in the path must not be taken for URI syntax */
    assert_true(snprintf(path, sizeof(path), "%s/rpm?db#1%%20.sqlite", dir) < (int)sizeof(path));
    assert_int_equal(rpmdb_read(path, arr, 10), -ENOENT);
    make_db(path);
    /* by hnum: bash (3), the junk row (5) skipped, openssl (7) */
    assert_int_equal(rpmdb_read(path, arr, 10), 2);
    assert_int_equal(json_array_size(arr), 2);
    assert_string_equal(sget(json_array_get(arr, 0), "name"), "bash");
    assert_string_equal(sget(json_array_get(arr, 0), "version"), "5.1.8-6.el9");
    assert_string_equal(sget(json_array_get(arr, 1), "name"), "openssl");
    assert_string_equal(sget(json_array_get(arr, 1), "version"), "2:3.0.7-1");
    assert_string_equal(sget(json_array_get(arr, 1), "arch"), "x86_64");
    assert_string_equal(sget(json_array_get(arr, 1), "source"), "rpm");
    /* the cap counts what arr already holds */
    assert_int_equal(rpmdb_read(path, arr, 3), 1);
    assert_int_equal(json_array_size(arr), 3);
    json_decref(arr);
    /* a file that is not an rpm database */
    assert_int_equal(unlink(path), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not sqlite\n", f);
    fclose(f);
    arr = json_array();
    assert_int_equal(rpmdb_read(path, arr, 10), -EIO);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),     cmocka_unit_test(test_epoch_arch),
        cmocka_unit_test(test_malformed), cmocka_unit_test(test_bad_epoch),
        cmocka_unit_test(test_sqlite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
