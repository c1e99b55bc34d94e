/* vigild's agent CA (OpenSSL 3): see ca.h. */
#include "server/ca.h"
#include "server/tls.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/i18n.h"
#include "base/str.h"
#include "base/vtime.h"

#define CA_MAX_HOSTS    32
#define CA_HOST_MAX     253
#define CA_PEM_MAX      (64 * 1024)
#define CA_RENEW_MARGIN (30 * 86400)

struct ca {
    char *dir;
    char *cert_path;
    char *key_path;
    X509 *cert;
    EVP_PKEY *key;
    char **hosts;
    size_t n_hosts;
};

enum cert_kind { KIND_CA, KIND_SERVER, KIND_CLIENT };

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* A random positive 128-bit serial whose first byte is not zero (so its
 * hex form is always 32 characters). */
static int set_serial(X509 *x)
{
    uint8_t raw[16];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -1;
    raw[0] &= 0x7f;
    raw[0] |= 0x01;
    BIGNUM *bn = BN_bin2bn(raw, sizeof(raw), NULL);
    int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

static int serial_hex(X509 *x, char out[static 41])
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    if (!bn)
        return -1;
    uint8_t raw[20];
    int n = BN_num_bytes(bn);
    int r = -1;
    if (n >= 1 && n <= (int)sizeof(raw) && BN_bn2bin(bn, raw) == n) {
        hex_encode(raw, (size_t)n, out);
        r = 0;
    }
    BN_free(bn);
    return r;
}

/*
 * Build and sign a certificate for pub: CN cn, valid from an hour ago until
 * not_after, issued by issuer (NULL: self-signed) with issuer_key. san may
 * be NULL.
 */
static X509 *make_cert(EVP_PKEY *pub, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                       int64_t not_after, enum cert_kind kind, const char *san)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    X509_NAME *name = X509_get_subject_name(x);
    if (set_serial(x) < 0 || !X509_set_version(x, 2) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) ||
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Vigil", -1, -1,
                                    0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                    0) ||
        !X509_set_pubkey(x, pub))
        goto fail;
    if (!X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name))
        goto fail;
    X509 *iss = issuer ? issuer : x;
    int bad = add_ext(x, iss, NID_subject_key_identifier, "hash") < 0 ||
              add_ext(x, iss, NID_authority_key_identifier, "keyid:always") < 0;
    switch (kind) {
    case KIND_CA:
        bad = bad || add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") < 0 ||
              add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign") < 0;
        break;
    case KIND_SERVER:
        bad = bad || add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
              add_ext(x, iss, NID_key_usage, "critical,digitalSignature") < 0 ||
              add_ext(x, iss, NID_ext_key_usage, "serverAuth") < 0;
        break;
    case KIND_CLIENT:
        bad = bad || add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
              add_ext(x, iss, NID_key_usage, "critical,digitalSignature,keyEncipherment") < 0 ||
              add_ext(x, iss, NID_ext_key_usage, "clientAuth") < 0;
        break;
    }
    if (bad || (san && add_ext(x, iss, NID_subject_alt_name, san) < 0))
        goto fail;
    if (!X509_sign(x, issuer_key, EVP_sha256()))
        goto fail;
    return x;
fail:
    X509_free(x);
    return NULL;
}

/* Write a private key (0600) or a certificate (0644) as PEM, atomically. */
static int write_pem(const char *path, EVP_PKEY *key, X509 *cert, struct verr *err)
{
    char ebuf[256];
    BIO *b = BIO_new(BIO_s_mem());
    int ok = b && (key ? PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)
                       : PEM_write_bio_X509(b, cert));
    char *p = NULL;
    long n = ok ? BIO_get_mem_data(b, &p) : 0;
    int r;
    if (n <= 0 || !p)
        r = verr_set(err, -EIO, N_("cannot encode %s: %s"), path, tls_errstr(ebuf, sizeof(ebuf)));
    else if ((r = file_write_atomic(path, p, (size_t)n, key ? 0600 : 0644)) < 0)
        verr_set(err, r, N_("cannot write %s: %s"), path, strerror(-r));
    BIO_free(b);
    return r;
}

/* Read a PEM key (want_key) or certificate from path. */
static int read_pem(const char *path, bool want_key, EVP_PKEY **ret_key, X509 **ret_cert,
                    struct verr *err)
{
    char *text = NULL;
    size_t len = 0;
    int r = file_read_all(path, CA_PEM_MAX, &text, &len);
    if (r < 0)
        return verr_set(err, r, N_("cannot read %s: %s"), path, strerror(-r));
    BIO *b = BIO_new_mem_buf(text, (int)len);
    EVP_PKEY *k = NULL;
    X509 *x = NULL;
    if (b && want_key)
        k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    else if (b)
        x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    OPENSSL_cleanse(text, len);
    free(text);
    if (!k && !x) {
        char ebuf[256];
        return verr_set(err, -EINVAL, N_("%s: not a PEM %s: %s"), path,
                        want_key ? "private key" : "certificate", tls_errstr(ebuf, sizeof(ebuf)));
    }
    if (want_key)
        *ret_key = k;
    else
        *ret_cert = x;
    return 0;
}

/* Unix time of an ASN1_TIME, or 0. */
static int64_t asn1_time_unix(const ASN1_TIME *t)
{
    int days = 0, secs = 0;
    if (!ASN1_TIME_diff(&days, &secs, NULL, t))
        return 0;
    return vtime_now() + (int64_t)days * 86400 + secs;
}

static int generate_ca(struct ca *ca, struct verr *err)
{
    char ebuf[256];
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = key ? make_cert(key, "Vigil agent CA", NULL, key,
                              vtime_now() + (int64_t)CA_DAYS * 86400, KIND_CA, NULL)
                  : NULL;
    int r;
    if (!x) {
        r = verr_set(err, -EIO, N_("cannot make the agent CA: %s"), tls_errstr(ebuf, sizeof(ebuf)));
        goto fail;
    }
    if ((r = write_pem(ca->key_path, key, NULL, err)) < 0 ||
        (r = write_pem(ca->cert_path, NULL, x, err)) < 0)
        goto fail;
    ca->key = key;
    ca->cert = x;
    return 0;
fail:
    X509_free(x);
    EVP_PKEY_free(key);
    return r;
}

static int load_ca(struct ca *ca, struct verr *err)
{
    int r;
    if ((r = read_pem(ca->key_path, true, &ca->key, NULL, err)) < 0 ||
        (r = read_pem(ca->cert_path, false, NULL, &ca->cert, err)) < 0)
        return r;
    if (X509_check_private_key(ca->cert, ca->key) != 1) {
        ERR_clear_error();
        return verr_set(err, -EINVAL, N_("%s does not match %s"), ca->cert_path, ca->key_path);
    }
    if (X509_cmp_current_time(X509_get0_notAfter(ca->cert)) <= 0)
        return verr_set(err, -EINVAL, N_("%s has expired"), ca->cert_path);
    return 0;
}

int ca_open(const char *data_dir, struct ca **ret, struct verr *err)
{
    struct ca *ca = xcalloc(1, sizeof(*ca));
    ca->dir = path_join(data_dir, "ca");
    ca->cert_path = path_join(ca->dir, "ca.crt");
    ca->key_path = path_join(ca->dir, "ca.key");
    int r = mkdir_p(ca->dir, 0700);
    if (r < 0) {
        verr_set(err, r, N_("cannot create %s: %s"), ca->dir, strerror(-r));
        goto fail;
    }
    if (chmod(ca->dir, 0700) < 0) {
        r = verr_set(err, -errno, N_("cannot create %s: %s"), ca->dir, strerror(errno));
        goto fail;
    }
    bool have_c = exists(ca->cert_path), have_k = exists(ca->key_path);
    if (have_c != have_k) {
        r = verr_set(err, -EINVAL,
                     N_("%s and %s: one is missing; remove the other to make a new CA"),
                     ca->cert_path, ca->key_path);
        goto fail;
    }
    r = have_c ? load_ca(ca, err) : generate_ca(ca, err);
    if (r < 0)
        goto fail;
    *ret = ca;
    return 0;
fail:
    ca_free(ca);
    return r;
}

void ca_free(struct ca *ca)
{
    if (!ca)
        return;
    for (size_t i = 0; i < ca->n_hosts; i++)
        free(ca->hosts[i]);
    free(ca->hosts);
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    free(ca->dir);
    free(ca->cert_path);
    free(ca->key_path);
    free(ca);
}

const char *ca_cert_path(const struct ca *ca)
{
    return ca->cert_path;
}

X509 *ca_cert(const struct ca *ca)
{
    return ca->cert;
}

/* The CSR's key is one we accept: EC P-256/P-384 or RSA >= 2048 bits. */
static int check_key(EVP_PKEY *pub, struct verr *err)
{
    int id = EVP_PKEY_get_base_id(pub);
    if (id == EVP_PKEY_RSA) {
        int bits = EVP_PKEY_get_bits(pub);
        if (bits < 2048)
            return verr_set(err, -EINVAL, N_("csr: RSA key of %d bits (at least 2048 needed)"),
                            bits);
        return 0;
    }
    if (id == EVP_PKEY_EC) {
        char group[64];
        size_t n = 0;
        if (EVP_PKEY_get_group_name(pub, group, sizeof(group), &n) == 1) {
            int nid = OBJ_sn2nid(group);
            if (nid == NID_undef)
                nid = EC_curve_nist2nid(group);
            if (nid == NID_X9_62_prime256v1 || nid == NID_secp384r1)
                return 0;
        }
        return verr_set(err, -EINVAL, N_("csr: EC key on a curve other than P-256 or P-384"));
    }
    return verr_set(err, -EINVAL, N_("csr: key type not accepted (EC P-256/P-384 or RSA)"));
}

static int fingerprint_hex(X509 *x, char out[static 65])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32)
        return -1;
    hex_encode(md, n, out);
    return 0;
}

int ca_sign_csr(struct ca *ca, const char *csr_pem, size_t csr_len, int64_t agent_id, int days,
                char **ret_cert_pem, char ret_serial_hex[static 41], char ret_fp_hex[static 65],
                int64_t *ret_not_after, struct verr *err)
{
    char ebuf[256];
    if (!csr_pem || csr_len == 0 || csr_len > CA_CSR_MAX)
        return verr_set(err, -EINVAL, N_("csr: must be 1 to %d bytes of PEM"), CA_CSR_MAX);
    if (agent_id <= 0 || days <= 0 || days > CA_DAYS)
        return verr_set(err, -EINVAL, N_("csr: bad agent id or validity"));

    BIO *in = BIO_new_mem_buf(csr_pem, (int)csr_len);
    X509_REQ *req = in ? PEM_read_bio_X509_REQ(in, NULL, NULL, NULL) : NULL;
    BIO_free(in);
    X509 *x = NULL;
    BIO *out = NULL;
    int r;
    if (!req) {
        r = verr_set(err, -EINVAL, N_("csr: not a PEM certificate request: %s"),
                     tls_errstr(ebuf, sizeof(ebuf)));
        goto out;
    }
    EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
    if (!pub) {
        r = verr_set(err, -EINVAL, N_("csr: no usable public key"));
        goto out;
    }
    if ((r = check_key(pub, err)) < 0)
        goto out;
    if (X509_REQ_verify(req, pub) != 1) {
        ERR_clear_error();
        r = verr_set(err, -EINVAL, N_("csr: its signature does not verify"));
        goto out;
    }

    char cn[32];
    if (snprintf(cn, sizeof(cn), "agent-%lld", (long long)agent_id) >= (int)sizeof(cn)) {
        r = verr_set(err, -EINVAL, N_("csr: bad agent id or validity"));
        goto out;
    }
    int64_t not_after = vtime_now() + (int64_t)days * 86400;
    char serial[41], fp[65];
    x = make_cert(pub, cn, ca->cert, ca->key, not_after, KIND_CLIENT, NULL);
    out = BIO_new(BIO_s_mem());
    char *p = NULL;
    long n = 0;
    if (!x || !out || !PEM_write_bio_X509(out, x) || (n = BIO_get_mem_data(out, &p)) <= 0 || !p ||
        serial_hex(x, serial) < 0 || fingerprint_hex(x, fp) < 0) {
        r = verr_set(err, -EIO, N_("cannot sign the certificate: %s"),
                     tls_errstr(ebuf, sizeof(ebuf)));
        goto out;
    }
    char *pem = xmalloc((size_t)n + 1);
    memcpy(pem, p, (size_t)n);
    pem[n] = '\0';
    *ret_cert_pem = pem;
    memcpy(ret_serial_hex, serial, sizeof(serial));
    memcpy(ret_fp_hex, fp, sizeof(fp));
    *ret_not_after = not_after;
    r = 0;
out:
    BIO_free(out);
    X509_free(x);
    X509_REQ_free(req);
    return r;
}

static bool is_ip(const char *s)
{
    uint8_t a[16];
    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* Letters, digits, '-', '.', and ':' for IPv6 literals: nothing that could
 * change the meaning of an OpenSSL extension string. */
static bool host_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CA_HOST_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == ':'))
            return false;
    }
    return !strchr(s, ':') || is_ip(s);
}

int ca_set_ingest_hostnames(struct ca *ca, const char *const *names, size_t n_names,
                            struct verr *err)
{
    if (n_names > CA_MAX_HOSTS)
        return verr_set(err, -EINVAL, N_("ingest.hostnames: at most %d names"), CA_MAX_HOSTS);
    for (size_t i = 0; i < n_names; i++)
        if (!host_valid(names[i]))
            return verr_set(err, -EINVAL,
                            N_("ingest.hostnames: '%.64s' is not a host name or address"),
                            names[i]);
    for (size_t i = 0; i < ca->n_hosts; i++)
        free(ca->hosts[i]);
    free(ca->hosts);
    ca->hosts = n_names ? xcalloc(n_names, sizeof(*ca->hosts)) : NULL;
    for (size_t i = 0; i < n_names; i++)
        ca->hosts[i] = xstrdup(names[i]);
    ca->n_hosts = n_names;
    return 0;
}

/* The existing ingest pair is signed by this CA, valid long enough, matches
 * its key and names every configured host. */
static bool ingest_reusable(struct ca *ca, const char *cert_path, const char *key_path)
{
    if (!exists(cert_path) || !exists(key_path))
        return false;
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    bool ok = read_pem(key_path, true, &key, NULL, NULL) == 0 &&
              read_pem(cert_path, false, NULL, &x, NULL) == 0 && X509_verify(x, ca->key) == 1 &&
              X509_check_private_key(x, key) == 1 &&
              asn1_time_unix(X509_get0_notAfter(x)) > vtime_now() + CA_RENEW_MARGIN;
    for (size_t i = 0; ok && i < ca->n_hosts; i++) {
        const char *h = ca->hosts[i];
        ok = is_ip(h) ? X509_check_ip_asc(x, h, 0) == 1
                      : X509_check_host(x, h, strlen(h), 0, NULL) == 1;
    }
    ERR_clear_error();
    X509_free(x);
    EVP_PKEY_free(key);
    return ok;
}

static int generate_ingest(struct ca *ca, const char *cert_path, const char *key_path,
                           struct verr *err)
{
    char ebuf[256];
    struct buf san = BUF_INIT(0);
    if (buf_puts(&san, "DNS:localhost,IP:127.0.0.1,IP:::1") < 0)
        abort();
    for (size_t i = 0; i < ca->n_hosts; i++)
        if (buf_printf(&san, ",%s:%s", is_ip(ca->hosts[i]) ? "IP" : "DNS", ca->hosts[i]) < 0)
            abort();
    const char *cn = ca->n_hosts ? ca->hosts[0] : "localhost";
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x =
        key ? make_cert(key, cn, ca->cert, ca->key, vtime_now() + (int64_t)CA_INGEST_DAYS * 86400,
                        KIND_SERVER, buf_str(&san))
            : NULL;
    int r;
    if (!x)
        r = verr_set(err, -EIO, N_("cannot make the ingest certificate: %s"),
                     tls_errstr(ebuf, sizeof(ebuf)));
    else if ((r = write_pem(key_path, key, NULL, err)) == 0)
        r = write_pem(cert_path, NULL, x, err);
    X509_free(x);
    EVP_PKEY_free(key);
    buf_release(&san);
    return r;
}

int ca_ingest_cert(struct ca *ca, const char *data_dir, char **ret_cert_path, char **ret_key_path,
                   struct verr *err)
{
    char *dir = path_join(data_dir, "ca");
    char *c = path_join(dir, "ingest.crt"), *k = path_join(dir, "ingest.key");
    free(dir);
    int r = 0;
    if (!ingest_reusable(ca, c, k))
        r = generate_ingest(ca, c, k, err);
    if (r < 0) {
        free(c);
        free(k);
        return r;
    }
    *ret_cert_path = c;
    *ret_key_path = k;
    return 0;
}

int ca_agent_id_from_cert(X509 *cert, int64_t *ret_id, char ret_serial_hex[static 41])
{
    if (!cert)
        return -EINVAL;
    char cn[64];
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
    if (n <= 6 || n >= (int)sizeof(cn) - 1 || !str_has_prefix(cn, "agent-"))
        return -EINVAL;
    int64_t id;
    char serial[41];
    if (str_to_i64(cn + 6, (size_t)n - 6, 1, INT64_MAX, &id) < 0 || cn[6] == '+' || cn[6] == '0' ||
        serial_hex(cert, serial) < 0)
        return -EINVAL;
    *ret_id = id;
    memcpy(ret_serial_hex, serial, sizeof(serial));
    return 0;
}
