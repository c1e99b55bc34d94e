/* ca.c: the agent CA on disk, signing CSRs, the ingest certificate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/i18n.h"
#include "server/ca.h"

struct cactx {
    char dir[64];
    struct ca *ca;
};

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    return remove(p);
}

static int setup(void **state)
{
    i18n_set(LANG_EN);
    struct cactx *t = calloc(1, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/vigil-ca-XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    struct verr err = {0};
    if (ca_open(t->dir, &t->ca, &err) < 0) {
        fprintf(stderr, "ca_open: %s\n", err.msg);
        return -1;
    }
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct cactx *t = *state;
    ca_free(t->ca);
    nftw(t->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(t);
    return 0;
}

static mode_t mode_of(const char *dir, const char *name)
{
    char p[128];
    struct stat sb;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    assert_int_equal(stat(p, &sb), 0);
    return sb.st_mode & 0777;
}

/* A PEM CSR for key; with corrupt set, one byte of the signature flipped. */
static char *make_csr(EVP_PKEY *key, bool corrupt, size_t *ret_len)
{
    X509_REQ *req = X509_REQ_new();
    assert_non_null(req);
    X509_NAME *n = X509_REQ_get_subject_name(req);
    assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"root", -1,
                                           -1, 0));
    assert_true(X509_REQ_set_pubkey(req, key));
    assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
    if (corrupt) {
        const ASN1_BIT_STRING *sig = NULL;
        X509_REQ_get0_signature(req, &sig, NULL);
        ((ASN1_BIT_STRING *)sig)->data[10] ^= 0x40;
    }
    BIO *b = BIO_new(BIO_s_mem());
    assert_true(PEM_write_bio_X509_REQ(b, req));
    char *p = NULL;
    long len = BIO_get_mem_data(b, &p);
    char *out = calloc(1, (size_t)len + 1);
    memcpy(out, p, (size_t)len);
    *ret_len = (size_t)len;
    BIO_free(b);
    X509_REQ_free(req);
    return out;
}

static X509 *pem_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(x);
    return x;
}

static X509 *file_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

/* X509_verify_cert of leaf against the CA file, for purpose. */
static int chain_ok(const char *ca_path, X509 *leaf, int purpose)
{
    X509_STORE *st = X509_STORE_new();
    X509 *ca = file_cert(ca_path);
    X509_STORE_add_cert(st, ca);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, st, leaf, NULL);
    X509_STORE_CTX_set_purpose(ctx, purpose);
    int ok = X509_verify_cert(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    X509_free(ca);
    return ok;
}

static void test_open_creates_files_with_modes(void **state)
{
    struct cactx *t = *state;
    char cadir[96];
    snprintf(cadir, sizeof(cadir), "%s/ca", t->dir);
    assert_int_equal(mode_of(t->dir, "ca"), 0700);
    assert_int_equal(mode_of(cadir, "ca.key"), 0600);
    X509 *x = file_cert(ca_cert_path(t->ca));
    char cn[64];
    assert_true(
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)) > 0);
    assert_string_equal(cn, "Vigil agent CA");
    assert_int_equal(X509_check_ca(x), 1);
    /* About ten years: more than 9 years left. */
    int days = 0, secs = 0;
    assert_true(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)));
    assert_true(days > 9 * 365 && days <= 3651);

    /* Opening again loads the same CA. */
    struct ca *again = NULL;
    struct verr err = {0};
    assert_int_equal(ca_open(t->dir, &again, &err), 0);
    assert_int_equal(X509_cmp(ca_cert(again), x), 0);
    ca_free(again);
    X509_free(x);
}

static void test_sign_csr(void **state)
{
    struct cactx *t = *state;
    struct verr err = {0};
    EVP_PKEY *key = EVP_EC_gen("P-384");
    size_t len;
    char *csr = make_csr(key, false, &len);
    char *pem = NULL, serial[41], fp[65];
    int64_t not_after = 0;
    assert_int_equal(ca_sign_csr(t->ca, csr, len, 42, 30, &pem, serial, fp, &not_after, &err), 0);
    X509 *x = pem_cert(pem);

    assert_int_equal(chain_ok(ca_cert_path(t->ca), x, X509_PURPOSE_SSL_CLIENT), 1);
    /* Not usable as a server certificate. */
    assert_int_equal(chain_ok(ca_cert_path(t->ca), x, X509_PURPOSE_SSL_SERVER), 0);
    char cn[64];
    assert_true(
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)) > 0);
    assert_string_equal(cn, "agent-42"); /* not the CSR's "root" */
    assert_true(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
    assert_false(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
    assert_int_equal(X509_check_ca(x), 0);

    /* The serial: 128 bits as 32 hex digits, the certificate's own. */
    assert_int_equal(strlen(serial), 32);
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = BN_bn2hex(bn);
    assert_int_equal(strcasecmp(hex, serial), 0);
    OPENSSL_free(hex);
    BN_free(bn);
    /* The fingerprint is the SHA-256 of the DER certificate. */
    unsigned char md[32];
    unsigned n = 0;
    assert_true(X509_digest(x, EVP_sha256(), md, &n));
    char mdhex[65];
    for (unsigned i = 0; i < 32; i++)
        snprintf(mdhex + 2 * i, 3, "%02x", md[i]);
    assert_string_equal(fp, mdhex);
    /* The certificate's key is the CSR's. */
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), key), 1);
    int days = 0, secs = 0;
    assert_true(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)));
    assert_true(days == 29 || days == 30);

    /* ca_agent_id_from_cert gives back the id and serial. */
    int64_t id = 0;
    char serial2[41];
    assert_int_equal(ca_agent_id_from_cert(x, &id, serial2), 0);
    assert_int_equal(id, 42);
    assert_string_equal(serial2, serial);
    /* The CA's own certificate names no agent. */
    assert_int_equal(ca_agent_id_from_cert(ca_cert(t->ca), &id, serial2), -EINVAL);

    X509_free(x);
    free(pem);
    free(csr);
    EVP_PKEY_free(key);
}

static void test_refused_csrs(void **state)
{
    struct cactx *t = *state;
    struct verr err = {0};
    char *pem = NULL, serial[41] = "", fp[65] = "";
    int64_t not_after = 0;
    size_t len;

    /* A bad self-signature. */
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    char *csr = make_csr(ec, true, &len);
    assert_int_equal(ca_sign_csr(t->ca, csr, len, 1, 30, &pem, serial, fp, &not_after, &err),
                     -EINVAL);
    assert_non_null(strstr(err.msg, "signature"));
    assert_null(pem);
    free(csr);
    EVP_PKEY_free(ec);

    /* A 1024-bit RSA key. */
    EVP_PKEY *rsa = EVP_RSA_gen(1024);
    assert_non_null(rsa);
    csr = make_csr(rsa, false, &len);
    assert_int_equal(ca_sign_csr(t->ca, csr, len, 1, 30, &pem, serial, fp, &not_after, &err),
                     -EINVAL);
    assert_non_null(strstr(err.msg, "1024"));
    free(csr);
    EVP_PKEY_free(rsa);

    /* A curve other than P-256/P-384. */
    EVP_PKEY *k1 = EVP_EC_gen("secp256k1");
    assert_non_null(k1);
    csr = make_csr(k1, false, &len);
    assert_int_equal(ca_sign_csr(t->ca, csr, len, 1, 30, &pem, serial, fp, &not_after, &err),
                     -EINVAL);
    free(csr);
    EVP_PKEY_free(k1);

    /* Not PEM at all; too long. */
    assert_int_equal(ca_sign_csr(t->ca, "hello", 5, 1, 30, &pem, serial, fp, &not_after, &err),
                     -EINVAL);
    assert_int_equal(
        ca_sign_csr(t->ca, "x", CA_CSR_MAX + 1, 1, 30, &pem, serial, fp, &not_after, &err),
        -EINVAL);
    assert_null(pem);
    assert_string_equal(serial, "");

    /* RSA 2048 is accepted. */
    rsa = EVP_RSA_gen(2048);
    csr = make_csr(rsa, false, &len);
    assert_int_equal(ca_sign_csr(t->ca, csr, len, 7, 30, &pem, serial, fp, &not_after, &err), 0);
    free(pem);
    free(csr);
    EVP_PKEY_free(rsa);
}

static void test_ingest_cert(void **state)
{
    struct cactx *t = *state;
    struct verr err = {0};
    const char *names[] = {"vigil.example.vn", "192.0.2.10"};
    assert_int_equal(ca_set_ingest_hostnames(t->ca, names, 2, &err), 0);
    char *c = NULL, *k = NULL;
    assert_int_equal(ca_ingest_cert(t->ca, t->dir, &c, &k, &err), 0);
    X509 *x = file_cert(c);
    assert_int_equal(chain_ok(ca_cert_path(t->ca), x, X509_PURPOSE_SSL_SERVER), 1);
    assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(x, "vigil.example.vn", 0, 0, NULL), 1);
    assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "::1", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "192.0.2.10", 0), 1);
    assert_int_equal(X509_check_host(x, "other.example.vn", 0, 0, NULL), 0);
    struct stat sb;
    assert_int_equal(stat(k, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    /* Reused on the next start with the same names. */
    char *c2 = NULL, *k2 = NULL;
    assert_int_equal(ca_ingest_cert(t->ca, t->dir, &c2, &k2, &err), 0);
    X509 *x2 = file_cert(c2);
    assert_int_equal(X509_cmp(x, x2), 0);
    X509_free(x2);
    free(c2);
    free(k2);

    /* A new name makes a new certificate. */
    const char *more[] = {"vigil.example.vn", "192.0.2.10", "siem.example.vn"};
    assert_int_equal(ca_set_ingest_hostnames(t->ca, more, 3, &err), 0);
    assert_int_equal(ca_ingest_cert(t->ca, t->dir, &c2, &k2, &err), 0);
    x2 = file_cert(c2);
    assert_int_not_equal(X509_cmp(x, x2), 0);
    assert_int_equal(X509_check_host(x2, "siem.example.vn", 0, 0, NULL), 1);
    X509_free(x2);
    free(c2);
    free(k2);

    /* Names that could change the extension text are refused. */
    const char *bad[] = {"a,DNS:evil"};
    assert_int_equal(ca_set_ingest_hostnames(t->ca, bad, 1, &err), -EINVAL);
    X509_free(x);
    free(c);
    free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_files_with_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_csr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_csrs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_cert, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
