/* Unit tests for scan/cache: keys, the file format, stale and corrupt files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "scan/cache.h"
#include "scan_test_util.h"

static const uint8_t v1[32] = {1}, v2[32] = {2};

static struct scan_cache_key key(uint64_t i)
{
    struct scan_cache_key k = {.dev = 2049,
                               .ino = 1000 + i,
                               .size = i * 7,
                               .mtime_ns = 1700000000000000000 + (int64_t)i,
                               .ctime_ns = 5};
    return k;
}

static void test_add_has(void **state)
{
    (void)state;
    struct scan_cache *c = scan_cache_new(v1);
    for (uint64_t i = 0; i < 5000; i++) {
        struct scan_cache_key k = key(i);
        scan_cache_add(c, &k);
    }
    struct scan_cache_key k = key(17);
    scan_cache_add(c, &k); /* a duplicate */
    assert_int_equal(scan_cache_count(c), 5000);
    assert_true(scan_cache_has(c, &k));
    k.mtime_ns++; /* any field differing is a miss */
    assert_false(scan_cache_has(c, &k));
    k = key(17);
    k.ctime_ns = 6;
    assert_false(scan_cache_has(c, &k));
    k = key(5000);
    assert_false(scan_cache_has(c, &k));
    scan_cache_free(c);
}

static void test_roundtrip(void **state)
{
    (void)state;
    struct scan_cache *c = scan_cache_new(v1);
    for (uint64_t i = 0; i < 300; i++) {
        struct scan_cache_key k = key(i);
        scan_cache_add(c, &k);
    }
    uint8_t *p;
    size_t len;
    scan_cache_serialize(c, &p, &len);
    assert_int_equal(len, 8 + 32 + 8 + 300 * 40 + 32); /* the documented layout */
    assert_memory_equal(p, "VGSCACH1", 8);

    struct scan_cache *d = scan_cache_new(v1);
    assert_int_equal(scan_cache_parse(d, p, len), 0);
    assert_int_equal(scan_cache_count(d), 300);
    struct scan_cache_key k = key(299);
    assert_true(scan_cache_has(d, &k));
    scan_cache_free(d);

    /* another rules version: nothing is used */
    d = scan_cache_new(v2);
    assert_int_equal(scan_cache_parse(d, p, len), -ESTALE);
    assert_int_equal(scan_cache_count(d), 0);
    scan_cache_free(d);

    /* one flipped bit, or a cut file: nothing is used */
    d = scan_cache_new(v1);
    p[100] ^= 1;
    assert_int_equal(scan_cache_parse(d, p, len), -EBADMSG);
    p[100] ^= 1;
    assert_int_equal(scan_cache_parse(d, p, len - 1), -EBADMSG);
    assert_int_equal(scan_cache_parse(d, p, 10), -EBADMSG);
    assert_int_equal(scan_cache_count(d), 0);
    scan_cache_free(d);
    free(p);

    /* save and load through a directory, created 0700 */
    char *dir = make_tmpdir();
    char sub[4200];
    snprintf(sub, sizeof(sub), "%s/cache", dir);
    struct verr e;
    verr_init(&e);
    assert_int_equal(scan_cache_save(c, sub, &e), 0);
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    d = scan_cache_new(v1);
    assert_int_equal(scan_cache_load(d, sub, &e), 0);
    assert_int_equal(scan_cache_count(d), 300);
    scan_cache_free(d);
    d = scan_cache_new(v1);
    assert_int_equal(scan_cache_load(d, dir, &e), 0); /* no file: empty */
    assert_int_equal(scan_cache_count(d), 0);
    scan_cache_free(d);
    scan_cache_free(c);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_has),
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
