/* vigild TLS: certificate generation and the server context (OpenSSL 3). */
#include "server/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/i18n.h"

const char *tls_errstr(char *out, size_t n)
{
    unsigned long e = ERR_get_error();
    if (!e)
        return "unknown OpenSSL error";
    ERR_error_string_n(e, out, n);
    ERR_clear_error();
    return out;
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* PEM text of a BIO's contents written atomically to path. */
static int bio_to_file(BIO *b, const char *path, mode_t mode)
{
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    if (n <= 0 || !p)
        return -EIO;
    return file_write_atomic(path, p, (size_t)n, mode);
}

int tls_generate_self_signed(const char *cert_path, const char *key_path, struct verr *err)
{
    EVP_PKEY *pkey = NULL;
    X509 *x = NULL;
    X509_NAME *name;
    BIO *kb = NULL, *cb = NULL;
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    char ebuf[256];
    int rc = -EIO;

    pkey = EVP_EC_gen("P-256");
    x = X509_new();
    if (!pkey || !x)
        goto ssl_fail;
    if (RAND_bytes(serial, sizeof(serial)) != 1)
        goto ssl_fail;
    serial[0] &= 0x7f; /* positive */
    serial[0] |= 0x01; /* and not shortened by leading zeros */
    bn = BN_bin2bn(serial, sizeof(serial), NULL);
    if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
        goto ssl_fail;
    if (!X509_set_version(x, 2) || !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), (long)TLS_SELF_SIGNED_DAYS * 86400))
        goto ssl_fail;
    name = X509_get_subject_name(x);
    if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Vigil", -1, -1,
                                    0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost",
                                    -1, -1, 0) ||
        !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, pkey))
        goto ssl_fail;
    if (add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
        add_ext(x, NID_key_usage, "critical,digitalSignature") < 0 ||
        add_ext(x, NID_ext_key_usage, "serverAuth") < 0 ||
        add_ext(x, NID_subject_key_identifier, "hash") < 0 ||
        add_ext(x, NID_authority_key_identifier, "keyid:always") < 0 ||
        add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") < 0)
        goto ssl_fail;
    if (!X509_sign(x, pkey, EVP_sha256()))
        goto ssl_fail;

    kb = BIO_new(BIO_s_mem());
    cb = BIO_new(BIO_s_mem());
    if (!kb || !cb || !PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL) ||
        !PEM_write_bio_X509(cb, x))
        goto ssl_fail;
    rc = bio_to_file(kb, key_path, 0600);
    if (rc < 0) {
        verr_set(err, rc, "cannot write %s: %s", key_path, strerror(-rc));
        goto out;
    }
    rc = bio_to_file(cb, cert_path, 0644);
    if (rc < 0) {
        verr_set(err, rc, "cannot write %s: %s", cert_path, strerror(-rc));
        goto out;
    }
    rc = 0;
    goto out;

ssl_fail:
    rc = verr_set(err, -EIO, "cannot make a certificate: %s", tls_errstr(ebuf, sizeof(ebuf)));
out:
    BIO_free(kb);
    BIO_free(cb);
    BN_free(bn);
    X509_free(x);
    EVP_PKEY_free(pkey);
    return rc;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int tls_prepare(const char *data_dir, const char *cert, const char *key, char **ret_cert,
                char **ret_key, bool *ret_generated, struct verr *err)
{
    char *dir, *c, *k;
    bool have_c, have_k;
    int rc;

    if (cert && key) {
        *ret_cert = xstrdup(cert);
        *ret_key = xstrdup(key);
        *ret_generated = false;
        return 0;
    }
    dir = path_join(data_dir, "tls");
    c = path_join(dir, "vigild.crt");
    k = path_join(dir, "vigild.key");
    have_c = exists(c);
    have_k = exists(k);
    if (have_c != have_k) {
        rc = verr_set(err, -EINVAL,
                      "%s and %s: one is missing; remove the other to make a new pair", c, k);
        goto fail;
    }
    *ret_generated = false;
    if (!have_c) {
        rc = mkdir_p(dir, 0700);
        if (rc < 0) {
            rc = verr_set(err, rc, "cannot create %s: %s", dir, strerror(-rc));
            goto fail;
        }
        rc = tls_generate_self_signed(c, k, err);
        if (rc < 0)
            goto fail;
        *ret_generated = true;
    }
    free(dir);
    *ret_cert = c;
    *ret_key = k;
    return 0;
fail:
    free(dir);
    free(c);
    free(k);
    return rc;
}

int tls_fingerprint(X509 *x, char out[static TLS_FINGERPRINT_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    static const char hex[] = "0123456789ABCDEF";

    if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32)
        return -EIO;
    for (unsigned i = 0; i < n; i++) {
        out[3 * i] = hex[md[i] >> 4];
        out[3 * i + 1] = hex[md[i] & 15];
        out[3 * i + 2] = i + 1 < n ? ':' : '\0';
    }
    return 0;
}

int tls_ctx_new(const char *cert_path, const char *key_path, SSL_CTX **ret,
                char ret_fingerprint[TLS_FINGERPRINT_LEN], struct verr *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    char ebuf[256];

    if (!ctx)
        return verr_set(err, -ENOMEM, "cannot make a TLS context: %s",
                        tls_errstr(ebuf, sizeof(ebuf)));
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (!SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20")) {
        SSL_CTX_free(ctx);
        return verr_set(err, -EINVAL, "cannot set TLS ciphers: %s", tls_errstr(ebuf, sizeof(ebuf)));
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
        SSL_CTX_free(ctx);
        return verr_set(err, -EINVAL, "cannot load the certificate %s: %s", cert_path,
                        tls_errstr(ebuf, sizeof(ebuf)));
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1) {
        SSL_CTX_free(ctx);
        return verr_set(err, -EINVAL, "cannot load the private key %s: %s", key_path,
                        tls_errstr(ebuf, sizeof(ebuf)));
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        SSL_CTX_free(ctx);
        return verr_set(err, -EINVAL, "the private key %s does not match the certificate %s",
                        key_path, cert_path);
    }
    if (ret_fingerprint && tls_fingerprint(SSL_CTX_get0_certificate(ctx), ret_fingerprint) < 0) {
        SSL_CTX_free(ctx);
        return verr_set(err, -EIO, "cannot hash the certificate %s", cert_path);
    }
    *ret = ctx;
    return 0;
}
