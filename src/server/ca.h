/*
 * vigild's agent CA: an EC P-256 key and a self-signed certificate ("Vigil
 * agent CA", 10 years) under <data_dir>/ca/, made on first start. It signs
 * the CSRs of enrolling agents (subject CN "agent-<id>", clientAuth) and the
 * server certificate of the ingest listener, so both ends of the agents'
 * mutual TLS chain to it.
 *
 * Files: <data_dir>/ca/ (0700) ca.key (0600), ca.crt (0644), ingest.key
 * (0600), ingest.crt (0644).
 */
#ifndef VIGIL_SERVER_CA_H
#define VIGIL_SERVER_CA_H

#include <openssl/x509.h>

#include "base/common.h"
#include "base/err.h"

struct ca;

/* Validity of the CA certificate and of the ingest server certificate. */
#define CA_DAYS        3650
#define CA_INGEST_DAYS 825
/* Validity of an agent certificate unless the caller asks otherwise. */
#define CA_AGENT_DAYS 825
/* Largest CSR accepted, in bytes of PEM. */
#define CA_CSR_MAX 16384

/*
 * Open the CA under <data_dir>/ca/, creating the directory (0700), the key
 * (0600) and the certificate on first start; an existing pair is loaded and
 * checked (key matches, still valid). *ret is the caller's (ca_free).
 * Returns 0 or a negative code with err set.
 */
int ca_open(const char *data_dir, struct ca **ret, struct verr *err) WUR;
/* Accepts NULL. */
void ca_free(struct ca *ca);
/* Path of the CA certificate (PEM), owned by ca. */
const char *ca_cert_path(const struct ca *ca);
/* The CA certificate (owned by ca), for verification stores. */
X509 *ca_cert(const struct ca *ca);

/*
 * Sign an agent's CSR (PEM, csr_len bytes, at most CA_CSR_MAX). The CSR's
 * self-signature is verified and its key must be EC P-256/P-384 or RSA of
 * at least 2048 bits; its subject and extensions are ignored. The
 * certificate has subject CN "agent-<agent_id>", clientAuth extended key
 * usage, a random 128-bit serial and is valid `days` days from now.
 * On success *ret_cert_pem (malloc'd, NUL-terminated) holds the
 * certificate, ret_serial_hex the serial as lower-case hex, ret_fp_hex the
 * SHA-256 of the DER certificate as lower-case hex and *ret_not_after its
 * expiry (Unix seconds). -EINVAL for an unacceptable CSR (err says why),
 * -EIO for a signing failure; outputs untouched on failure.
 */
int ca_sign_csr(struct ca *ca, const char *csr_pem, size_t csr_len, int64_t agent_id, int days,
                char **ret_cert_pem, char ret_serial_hex[static 41], char ret_fp_hex[static 65],
                int64_t *ret_not_after, struct verr *err) WUR;

/*
 * Host names (DNS names or IP literals) to put in the ingest certificate
 * besides localhost, 127.0.0.1 and ::1. Call before ca_ingest_cert; names
 * are copied. At most 32 names of at most 253 characters.
 */
int ca_set_ingest_hostnames(struct ca *ca, const char *const *names, size_t n_names,
                            struct verr *err) WUR;

/*
 * The ingest listener's server certificate, signed by the CA: made on first
 * start under <data_dir>/ca/ and reused while it is valid for at least 30
 * more days and names every configured host (otherwise made again). The
 * returned paths are malloc'd (the caller frees them).
 */
int ca_ingest_cert(struct ca *ca, const char *data_dir, char **ret_cert_path, char **ret_key_path,
                   struct verr *err) WUR;

/*
 * The agent id and serial of a client certificate issued by ca_sign_csr
 * (subject CN "agent-<id>"). The caller has verified the chain. Returns 0,
 * or -EINVAL when the certificate does not name an agent.
 */
int ca_agent_id_from_cert(X509 *cert, int64_t *ret_id, char ret_serial_hex[static 41]) WUR;

#endif
