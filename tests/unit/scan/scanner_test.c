/* Unit tests for scan/rules, scan/hashes and scan/scanner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "scan/hashes.h"
#include "scan/rules.h"
#include "scan/scanner.h"
#include "scan_test_util.h"

static struct scan_rules *load_test_rules(void)
{
    char a[4096], b[4096];
    snprintf(a, sizeof(a), "%s/scan/rules", test_data());
    snprintf(b, sizeof(b), "%s/scan/rules_ext", test_data());
    const char *paths[] = {a, b};
    struct scan_rules *r = NULL;
    struct verr e;
    verr_init(&e);
    assert_int_equal(scan_rules_load(paths, 2, &r, &e), 0);
    return r;
}

static bool has_rule(const struct scan_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_rules; i++)
        if (strcmp(r->rules[i], name) == 0)
            return true;
    return false;
}

static void test_rules_load(void **state)
{
    (void)state;
    struct scan_rules *r = load_test_rules();
    assert_int_equal(scan_rules_n_files(r), 2);
    assert_int_equal(scan_rules_n_rules(r), 5); /* 4 + 1, counted by hand */
    uint8_t v1[32];
    memcpy(v1, scan_rules_version(r), 32);
    scan_rules_free(r);
    r = load_test_rules();
    assert_memory_equal(v1, scan_rules_version(r), 32); /* same files, same version */
    scan_rules_free(r);

    /* errors: missing path, syntax error with file and line, no rule files */
    struct verr e;
    verr_init(&e);
    const char *missing[] = {"/nonexistent/rules.yar"};
    assert_int_equal(scan_rules_load(missing, 1, &r, &e), -ENOENT);
    char *dir = make_tmpdir();
    char bad[4200];
    snprintf(bad, sizeof(bad), "%s/bad.yar", dir);
    write_str(bad,
              "rule ok { condition: true }\nrule broken { strings: $a = \"x\" condition: $b }\n");
    const char *badp[] = {bad};
    assert_int_equal(scan_rules_load(badp, 1, &r, &e), -EINVAL);
    assert_non_null(strstr(e.msg, "bad.yar:2"));
    unlink(bad);
    const char *emptyp[] = {dir};
    assert_int_equal(scan_rules_load(emptyp, 1, &r, &e), -ENODATA);
    rm_rf(dir);
    free(dir);
}

/* Public rule sets using the external variables compile (Debian's yara 4.2.3). */
static void test_signature_base_compiles(void **state)
{
    (void)state;
    const char *shared = getenv("VIGIL_SHARED");
    char path[4096];
    snprintf(path, sizeof(path), "%s/data/yara/signature-base",
             shared && *shared ? shared : "../../../shared");
    struct stat st;
    if (stat(path, &st) != 0) {
        skip();
        return;
    }
    const char *paths[] = {path};
    struct scan_rules *r = NULL;
    struct verr e;
    verr_init(&e);
    int rc = scan_rules_load(paths, 1, &r, &e);
    if (rc != 0)
        fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, 0);
    assert_true(scan_rules_n_rules(r) > 1000);
    scan_rules_free(r);
}

static void test_eicar_and_rules(void **state)
{
    (void)state;
    struct scan_rules *rules = load_test_rules();
    struct verr e;
    verr_init(&e);
    struct scanner *s = scanner_new(rules, NULL, 0, &e);
    assert_non_null(s);
    struct scan_result r;
    char ei[69];
    eicar(ei);
    assert_int_equal(scanner_scan_mem(s, (const uint8_t *)ei, strlen(ei), "/x/eicar.com", 0, &r),
                     0);
    assert_true(scan_result_detected(&r));
    assert_true(has_rule(&r, "Vigil_Test_EICAR"));
    /* detected files carry all three digests; EICAR's MD5 is public */
    assert_true(r.have_hashes);
    uint8_t md5[16] = {0x44, 0xd8, 0x86, 0x12, 0xfe, 0xa8, 0xa8, 0xf3,
                       0x6d, 0xe8, 0x2e, 0x12, 0x78, 0xab, 0xb0, 0x2f};
    assert_memory_equal(r.md5, md5, 16);

    const char *clean = "nothing to see here";
    assert_int_equal(scanner_scan_mem(s, (const uint8_t *)clean, strlen(clean), "/x/c", 0, &r), 0);
    assert_false(scan_result_detected(&r));

    const char *two = "xx EVIL_FUNCTION_ONE yy connect_back(10.1.2.3) zz";
    assert_int_equal(scanner_scan_mem(s, (const uint8_t *)two, strlen(two), "/x/t", 0, &r), 0);
    assert_true(has_rule(&r, "Vigil_Test_Two_Strings"));
    assert_int_equal(r.n_rules, 1);

    /* externals: the same bytes match only under the right file name */
    const char *ext = "VIGIL-EXT-MARK";
    assert_int_equal(scanner_scan_mem(s, (const uint8_t *)ext, strlen(ext), "/a/ext_1.sh", 0, &r),
                     0);
    assert_true(has_rule(&r, "Vigil_Test_Ext_Filename"));
    assert_int_equal(
        scanner_scan_mem(s, (const uint8_t *)ext, strlen(ext), "/a/ext_1.SH.txt", 0, &r), 0);
    assert_false(scan_result_detected(&r));
    scanner_free(s);
    scan_rules_free(rules);
}

static void test_hashes(void **state)
{
    (void)state;
    struct scan_hashes *h = scan_hashes_new();
    struct verr e;
    verr_init(&e);
    char path[4096];
    snprintf(path, sizeof(path), "%s/scan/hashes.txt", test_data());
    assert_int_equal(scan_hashes_load_file(h, path, &e), 0);
    assert_int_equal(scan_hashes_count(h), 2);
    assert_int_equal(scan_hashes_kinds(h), SCAN_HASH_MD5 | SCAN_HASH_SHA256);
    struct scanner *s = scanner_new(NULL, h, 0, &e);
    struct scan_result r;
    const char *a = "vigil hash ioc sample\n", *b = "vigil md5 sample\n", *c = "other\n";
    assert_int_equal(scanner_scan_mem(s, (const uint8_t *)a, strlen(a), "/a", 0, &r), 0);
    assert_string_equal(r.hash_match, "hash:hashes.txt");
    assert_int_equal(scanner_scan_mem(s, (const uint8_t *)b, strlen(b), "/b", 0, &r), 0);
    assert_string_equal(r.hash_match, "hash:hashes.txt");
    assert_int_equal(scanner_scan_mem(s, (const uint8_t *)c, strlen(c), "/c", 0, &r), 0);
    assert_null(r.hash_match);
    scanner_free(s);
    scan_hashes_free(h);

    /* MalwareBazaar CSV: the signature column names the detection */
    h = scan_hashes_new();
    snprintf(path, sizeof(path), "%s/scan/hashes_bazaar.csv", test_data());
    assert_int_equal(scan_hashes_load_file(h, path, &e), 0);
    s = scanner_new(NULL, h, 0, &e);
    assert_int_equal(scanner_scan_mem(s, (const uint8_t *)a, strlen(a), "/a", 0, &r), 0);
    assert_string_equal(r.hash_match, "VigilTestFamily");
    scanner_free(s);

    /* a list with no hashes is refused */
    const char *ips = "10.0.0.1\n10.0.0.2\n";
    assert_int_equal(scan_hashes_load_mem(h, (const uint8_t *)ips, strlen(ips), "x", &e), -ENODATA);
    scan_hashes_free(h);
}

/* A file that shrinks or grows between stat and read is flagged; it is read once. */
static void test_changed_file(void **state)
{
    (void)state;
    struct scan_rules *rules = load_test_rules();
    struct verr e;
    verr_init(&e);
    struct scanner *s = scanner_new(rules, NULL, 0, &e);
    char *dir = make_tmpdir();
    char path[4200];
    snprintf(path, sizeof(path), "%s/f", dir);
    write_str(path, "0123456789 VIGIL-TEST-MALWARE-MARKER");
    int fd = open(path, O_RDONLY);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    struct stat bigger = st;
    bigger.st_size += 100; /* as if it shrank by 100 bytes since the walk saw it */
    struct scan_result r;
    assert_int_equal(scanner_scan_fd(s, fd, path, &bigger, &r), 0);
    assert_true(r.changed);
    assert_int_equal(r.size, (uint64_t)st.st_size);
    assert_int_equal(scanner_bytes_read(s), (uint64_t)st.st_size);
    assert_true(has_rule(&r, "Vigil_Test_Marker"));
    lseek(fd, 0, SEEK_SET);
    struct stat smaller = st;
    smaller.st_size = 5; /* as if it grew */
    assert_int_equal(scanner_scan_fd(s, fd, path, &smaller, &r), 0);
    assert_true(r.changed);
    assert_int_equal(r.size, 5);
    close(fd);
    scanner_free(s);
    scan_rules_free(rules);
    rm_rf(dir);
    free(dir);
}

static void test_filetype(void **state)
{
    (void)state;
    assert_string_equal(scan_filetype((const uint8_t *)"MZ\x90", 3), "EXE");
    assert_string_equal(scan_filetype((const uint8_t *)"\x7f"
                                                       "ELF\x02",
                                      5),
                        "ELF");
    assert_string_equal(scan_filetype((const uint8_t *)"%PDF-1.7", 8), "PDF");
    assert_string_equal(scan_filetype((const uint8_t *)"M", 1), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_load),      cmocka_unit_test(test_signature_base_compiles),
        cmocka_unit_test(test_eicar_and_rules), cmocka_unit_test(test_hashes),
        cmocka_unit_test(test_changed_file),    cmocka_unit_test(test_filetype),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
