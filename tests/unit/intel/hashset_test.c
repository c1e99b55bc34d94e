/* Unit tests for intel/hashset: MD5, SHA-1 and SHA-256 exact sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "intel/hashset.h"

/* Digests of "" (well-known values, written out by hand). */
static const char md5_empty[] = "d41d8cd98f00b204e9800998ecf8427e";
static const char sha1_empty[] = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
static const char sha256_empty[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static void test_kinds(void **state)
{
    (void)state;
    struct hashset *s = hashset_new();
    assert_int_equal(hashset_add_hex(s, md5_empty, 32, 1), 0);
    assert_int_equal(hashset_add_hex(s, sha1_empty, 40, 2), 0);
    assert_int_equal(hashset_add_hex(s, sha256_empty, 64, 3), 0);
    assert_int_equal(hashset_add_hex(s, "D41D8CD98F00B204E9800998ECF8427E", 32, 9), 0);
    assert_int_equal(hashset_count(s), 3);
    assert_int_equal(hashset_add_hex(s, "xyz", 3, 1), -EINVAL);
    assert_int_equal(hashset_add_hex(s, "g41d8cd98f00b204e9800998ecf8427e", 32, 1), -EINVAL);
    uint8_t d[32] = {0};
    assert_int_equal(hashset_add(s, d, 17, 1), -EINVAL);

    const uint8_t md5[16] = {0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
                             0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e};
    uint32_t v = 0;
    assert_true(hashset_lookup(s, md5, 16, &v));
    assert_int_equal(v, 1); /* the first value is kept */
    /* the same bytes as a longer kind do not match */
    uint8_t md5_padded[20] = {0};
    memcpy(md5_padded, md5, 16);
    assert_false(hashset_lookup(s, md5_padded, 20, &v));
    const uint8_t sha1[20] = {0xda, 0x39, 0xa3, 0xee, 0x5e, 0x6b, 0x4b, 0x0d, 0x32, 0x55,
                              0xbf, 0xef, 0x95, 0x60, 0x18, 0x90, 0xaf, 0xd8, 0x07, 0x09};
    assert_true(hashset_lookup(s, sha1, 20, &v));
    assert_int_equal(v, 2);
    uint8_t sha256[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
                          0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
                          0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    assert_true(hashset_lookup(s, sha256, 32, NULL));
    sha256[31] ^= 1;
    assert_false(hashset_lookup(s, sha256, 32, &v));
    assert_false(hashset_lookup(s, sha256, 7, &v));
    hashset_free(s);
    hashset_free(NULL);
}

static void test_many(void **state)
{
    (void)state;
    struct hashset *s = hashset_new();
    uint8_t d[32];
    for (uint32_t i = 0; i < 100000; i++) {
        memset(d, 0, sizeof(d));
        memcpy(d + 4, &i, sizeof(i)); /* digests sharing most bytes */
        assert_int_equal(hashset_add(s, d, 32, i), 0);
        assert_int_equal(hashset_add(s, d, 16, i + 1), 0);
    }
    assert_int_equal(hashset_count(s), 200000);
    for (uint32_t i = 0; i < 100000; i += 3) {
        uint32_t v;
        memset(d, 0, sizeof(d));
        memcpy(d + 4, &i, sizeof(i));
        assert_true(hashset_lookup(s, d, 32, &v));
        assert_int_equal(v, i);
        assert_true(hashset_lookup(s, d, 16, &v));
        assert_int_equal(v, i + 1);
        assert_false(hashset_lookup(s, d, 20, &v));
        uint32_t j = i + 100000;
        memcpy(d + 4, &j, sizeof(j));
        assert_false(hashset_lookup(s, d, 32, &v));
    }
    hashset_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
