/*
 * vigild's TLS: the server certificate (configured, or self-signed and made
 * on first start) and the OpenSSL context the HTTP server uses.
 */
#ifndef VIGIL_SERVER_TLS_H
#define VIGIL_SERVER_TLS_H

#include <openssl/ssl.h>

#include "base/common.h"
#include "base/err.h"

/* The oldest queued OpenSSL error as text in out (n bytes), clearing the
 * queue; a fixed text when there is none. */
const char *tls_errstr(char *out, size_t n);

/* "AB:CD:...": 32 bytes as 95 characters plus NUL. */
#define TLS_FINGERPRINT_LEN 96
/* Validity of a generated certificate, in days. */
#define TLS_SELF_SIGNED_DAYS 825

/*
 * Make a self-signed EC P-256 certificate for localhost (SAN DNS:localhost,
 * IP:127.0.0.1, IP:::1), valid TLS_SELF_SIGNED_DAYS days. The private key
 * is written to key_path with mode 0600, the certificate to cert_path with
 * mode 0644, each atomically. Returns 0 or a negative code (err says why).
 */
int tls_generate_self_signed(const char *cert_path, const char *key_path, struct verr *err) WUR;

/*
 * Choose the certificate files: the configured pair when cert and key are
 * given, else <data_dir>/tls/vigild.crt and vigild.key, generated when both
 * are missing (*ret_generated true). The returned paths are malloc'd.
 */
int tls_prepare(const char *data_dir, const char *cert, const char *key, char **ret_cert,
                char **ret_key, bool *ret_generated, struct verr *err) WUR;

/*
 * A server context: TLS 1.2 minimum (1.3 preferred by negotiation), forward-
 * secret AEAD ciphers for 1.2, no renegotiation or compression. Loads and
 * checks the pair. ret_fingerprint (may be NULL) receives the certificate's
 * SHA-256 fingerprint. The caller SSL_CTX_free()s the result.
 */
int tls_ctx_new(const char *cert_path, const char *key_path, SSL_CTX **ret,
                char ret_fingerprint[TLS_FINGERPRINT_LEN], struct verr *err) WUR;

/* SHA-256 fingerprint of a certificate as colon-separated upper-case hex. */
int tls_fingerprint(X509 *x, char out[static TLS_FINGERPRINT_LEN]) WUR;

#endif
