/* Unit tests for src/server/tls.c: the generated certificate is checked
 * with OpenSSL calls of its own, not through the code under test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/i18n.h"
#include "server/tls.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/vigil-tls-test-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static void rm(const char *name)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    unlink(p);
}

static int teardown(void **state)
{
    (void)state;
    rm("c.pem");
    rm("k.pem");
    rm("tls/vigild.crt");
    rm("tls/vigild.key");
    rm("other.key");
    char p[128];
    snprintf(p, sizeof(p), "%s/tls", dir);
    rmdir(p);
    rmdir(dir);
    return 0;
}

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

static void test_generate(void **state)
{
    char cert[128], key[128];
    struct stat st;
    struct verr err;
    (void)state;

    snprintf(cert, sizeof(cert), "%s/c.pem", dir);
    snprintf(key, sizeof(key), "%s/k.pem", dir);
    verr_init(&err);
    assert_int_equal(tls_generate_self_signed(cert, key, &err), 0);
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(cert, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);

    X509 *x = read_cert(cert);
    /* EC P-256 key */
    EVP_PKEY *pk = X509_get0_pubkey(x);
    assert_int_equal(EVP_PKEY_get_base_id(pk), EVP_PKEY_EC);
    char group[64];
    size_t glen = 0;
    assert_int_equal(EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen), 1);
    assert_string_equal(group, "prime256v1");

    /* SAN: DNS:localhost, IP 127.0.0.1, IP ::1 */
    GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    assert_non_null(san);
    bool dns = false, v4 = false, v6 = false;
    for (int i = 0; i < sk_GENERAL_NAME_num(san); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
        if (g->type == GEN_DNS) {
            dns |= strcmp((const char *)ASN1_STRING_get0_data(g->d.dNSName), "localhost") == 0;
        } else if (g->type == GEN_IPADD) {
            const unsigned char *p = ASN1_STRING_get0_data(g->d.iPAddress);
            int n = ASN1_STRING_length(g->d.iPAddress);
            static const unsigned char lo4[4] = {127, 0, 0, 1};
            static const unsigned char lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
            v4 |= n == 4 && memcmp(p, lo4, 4) == 0;
            v6 |= n == 16 && memcmp(p, lo6, 16) == 0;
        }
    }
    GENERAL_NAMES_free(san);
    assert_true(dns);
    assert_true(v4);
    assert_true(v6);

    /* 825 days of validity, starting about now */
    int days = 0, secs = 0;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)),
                     1);
    int64_t total = (int64_t)days * 86400 + secs;
    assert_true(total >= 825LL * 86400 && total <= 825LL * 86400 + 7200);
    assert_true(X509_cmp_time(X509_get0_notBefore(x), NULL) < 0);

    /* self-signed: verifies with its own key */
    assert_int_equal(X509_verify(x, pk), 1);

    /* the context loads it; the fingerprint is SHA-256 of the DER */
    SSL_CTX *ctx = NULL;
    char fp[TLS_FINGERPRINT_LEN];
    assert_int_equal(tls_ctx_new(cert, key, &ctx, fp, &err), 0);
    assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    unsigned char *der = NULL;
    int dlen = i2d_X509(x, &der);
    unsigned char md[32];
    unsigned int mdlen = 0;
    assert_int_equal(EVP_Digest(der, (size_t)dlen, md, &mdlen, EVP_sha256(), NULL), 1);
    char want[TLS_FINGERPRINT_LEN];
    for (unsigned i = 0; i < 32; i++)
        snprintf(want + 3 * i, 4, i < 31 ? "%02X:" : "%02X", md[i]);
    assert_string_equal(fp, want);
    OPENSSL_free(der);
    SSL_CTX_free(ctx);
    X509_free(x);
}

static void test_prepare_generates_once(void **state)
{
    char *c1 = NULL, *k1 = NULL, *c2 = NULL, *k2 = NULL;
    bool gen = false;
    struct verr err;
    struct stat st;
    (void)state;

    verr_init(&err);
    assert_int_equal(tls_prepare(dir, NULL, NULL, &c1, &k1, &gen, &err), 0);
    assert_true(gen);
    assert_non_null(strstr(c1, "/tls/vigild.crt"));
    assert_int_equal(stat(k1, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    X509 *x1 = read_cert(c1);
    assert_int_equal(tls_prepare(dir, NULL, NULL, &c2, &k2, &gen, &err), 0);
    assert_false(gen);
    X509 *x2 = read_cert(c2);
    assert_int_equal(X509_cmp(x1, x2), 0); /* reused, not remade */
    X509_free(x1);
    X509_free(x2);

    /* one file of the pair missing is an error, not a silent new pair */
    unlink(k1);
    free(c2);
    free(k2);
    c2 = k2 = NULL;
    assert_int_equal(tls_prepare(dir, NULL, NULL, &c2, &k2, &gen, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "vigild.key"));
    free(c1);
    free(k1);
}

static void test_mismatched_key_rejected(void **state)
{
    char cert[128], key[128], other[128], ocert[128];
    struct verr err;
    SSL_CTX *ctx = NULL;
    (void)state;

    snprintf(cert, sizeof(cert), "%s/c.pem", dir);
    snprintf(key, sizeof(key), "%s/k.pem", dir);
    snprintf(other, sizeof(other), "%s/other.key", dir);
    snprintf(ocert, sizeof(ocert), "%s/tls/vigild.crt", dir);
    verr_init(&err);
    assert_int_equal(tls_generate_self_signed(cert, key, &err), 0);
    assert_int_equal(tls_generate_self_signed(ocert, other, &err), 0);
    assert_int_equal(tls_ctx_new(cert, other, &ctx, NULL, &err), -EINVAL);
    assert_null(ctx);
    assert_int_equal(tls_ctx_new("/nonexistent/c.pem", key, &ctx, NULL, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "/nonexistent/c.pem"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate),
        cmocka_unit_test(test_prepare_generates_once),
        cmocka_unit_test(test_mismatched_key_rejected),
    };
    i18n_set(LANG_EN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
