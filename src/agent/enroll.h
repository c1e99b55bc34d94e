/*
 * Enrollment: make an EC P-256 key and a CSR, trade them and a one-time
 * token for a certificate at vigild's POST /api/v1/enroll (the API's
 * certificate pinned by its SHA-256 fingerprint), and store key.pem (0600),
 * cert.pem, ca.pem and agent.json in the data directory.
 */
#ifndef VIGIL_AGENT_ENROLL_H
#define VIGIL_AGENT_ENROLL_H

#include "agent/config.h"
#include "base/err.h"

struct enroll_opts {
    const char *server; /* "HOST:PORT" of vigild's HTTPS API */
    const char *token;
    const char *fingerprint; /* "SHA256:HEX" */
    const char *hostname;    /* NULL: this host's name */
};

/* Returns 0 with the new agent id in ret_id, or negative with err. */
int agent_enroll(const struct agent_config *c, const struct enroll_opts *o, char *ret_id,
                 size_t id_size, struct verr *err) WUR;

/* Make a P-256 key and a CSR for cn; both PEM, malloc'd. Returns 0 or -EIO. */
int enroll_make_csr(const char *cn, char **ret_key_pem, char **ret_csr_pem) WUR;

#endif
