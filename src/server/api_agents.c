/*
 * Agents: enrollment tokens (admin), the registry, revocation, and
 * POST /api/v1/enroll, where a new agent trades a one-time token and a CSR
 * for a certificate signed by vigild's agent CA (server/ca.h).
 */
#include "server/api.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "base/file.h"
#include "base/i18n.h"
#include "base/log.h"
#include "base/vtime.h"
#include "store/agent.h"

#define ENROLL_BODY_MAX    ((size_t)64 * 1024)
#define ENROLL_TTL_DEFAULT 86400
#define ENROLL_TTL_MAX     (30 * 86400)
#define ENROLL_TOKEN_MAX   128
#define ENROLL_HOST_MAX    253
#define ENROLL_NOTE_MAX    200
#define CA_PEM_FILE_MAX    ((size_t)64 * 1024)

void api_agent_tokens_create(struct req *r)
{
    static const char *const fields[] = {"ttl_seconds", "note", NULL};
    int64_t ttl = ENROLL_TTL_DEFAULT, id = 0, expires = 0;
    const char *note = NULL;
    char secret[65];
    struct verr err;
    json_t *o;

    if (req_json_object(r, &o) < 0)
        return;
    if (req_fields_known(r, o, fields) < 0 ||
        req_field_int(r, o, "ttl_seconds", 1, ENROLL_TTL_MAX, &ttl) < 0 ||
        req_field_str(r, o, "note", ENROLL_NOTE_MAX, &note) < 0)
        goto out;
    verr_init(&err);
    int rc =
        store_enroll_token_create(r->srv->store, &r->actor, ttl, note, secret, &id, &expires, &err);
    if (rc < 0) {
        reply_store_error(r, rc, &err);
        goto out;
    }
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", (long long)id);
    log_kv(LOG_LVL_INFO, "enrollment token created", "id", ids, "actor", r->actor.name, NULL);
    char exp[21];
    vtime_format_utc(expires, exp);
    reply_json(
        r, 201,
        json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "token", secret, "expires_at", exp));
    OPENSSL_cleanse(secret, sizeof(secret));
out:
    json_decref(o);
}

void api_agent_tokens_list(struct req *r)
{
    reply_json(r, 200, api_items(store_enroll_token_list(r->srv->store)));
}

void api_agents_list(struct req *r)
{
    reply_json(r, 200, api_items(store_agent_list(r->srv->store)));
}

void api_agents_get(struct req *r)
{
    json_t *a = store_agent_get(r->srv->store, r->id);
    if (!a) {
        reply_problem(r, 404, NULL, N_("agent %lld does not exist"), (long long)r->id);
        return;
    }
    reply_json(r, 200, a);
}

void api_agents_revoke(struct req *r)
{
    struct verr err;
    verr_init(&err);
    int rc = store_agent_revoke(r->srv->store, &r->actor, r->id, &err);
    if (rc < 0) {
        reply_store_error(r, rc, &err);
        return;
    }
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", (long long)r->id);
    log_kv(LOG_LVL_INFO, "agent revoked", "id", ids, "actor", r->actor.name, NULL);
    json_t *a = store_agent_get(r->srv->store, r->id);
    reply_json(r, 200,
               a ? a : json_pack("{s:I, s:s}", "id", (json_int_t)r->id, "status", "revoked"));
}

/* --- Enrollment. */

/* The peer's address as text ("" if unknown). */
static void peer_addr(struct req *r, char out[static 64])
{
    struct evhttp_connection *con = evhttp_request_get_connection(r->ev);
    char *host = NULL;
    ev_uint16_t port = 0;
    out[0] = '\0';
    if (con)
        evhttp_connection_get_peer(con, &host, &port);
    if (host)
        snprintf(out, 64, "%s", host);
}

/* Count, log and answer a refused enrollment. why is for the log only. */
static void refuse(struct req *r, enum enroll_fail reason, const char *why, const char *hostname,
                   const char *addr)
{
    static const char *const names[ENROLL_FAIL__N] = {
        "bad_request", "token_unknown", "token_used", "token_expired", "csr", "internal"};
    r->srv->metrics.enroll_failures[reason]++;
    log_kv(LOG_LVL_WARN, "enrollment refused", "reason", names[reason], "detail", why, "addr", addr,
           "hostname", hostname ? hostname : "", NULL);
    if (r->status)
        return; /* a request helper has answered already */
    switch (reason) {
    case ENROLL_FAIL_TOKEN_UNKNOWN:
    case ENROLL_FAIL_TOKEN_USED:
    case ENROLL_FAIL_TOKEN_EXPIRED:
        evhttp_add_header(evhttp_request_get_output_headers(r->ev), "WWW-Authenticate",
                          "Vigil-Enroll");
        reply_problem(r, 401, NULL, N_("the enrollment token is unknown, used or expired"));
        break;
    case ENROLL_FAIL_CSR:
        reply_problem(r, 422, NULL, N_("the certificate request was refused: %s"), why);
        break;
    case ENROLL_FAIL_BAD_REQUEST:
        reply_problem(r, 400, NULL,
                      N_("an enrollment needs a JSON body with token, csr and hostname"));
        break;
    case ENROLL_FAIL_INTERNAL:
    case ENROLL_FAIL__N:
        reply_problem(r, 500, NULL, N_("internal error; the server log has the details"));
        break;
    }
}

/* Which refusal a store_enroll_token_take message describes (the store's
 * log messages are English and not translated). */
static enum enroll_fail token_reason(const struct verr *err)
{
    if (strstr(err->msg, "expired"))
        return ENROLL_FAIL_TOKEN_EXPIRED;
    if (strstr(err->msg, "used"))
        return ENROLL_FAIL_TOKEN_USED;
    return ENROLL_FAIL_TOKEN_UNKNOWN;
}

/* Sign the CSR for a new agent row and record the certificate; on any
 * failure the row is removed and the token is usable again. */
static int enroll_sign(struct req *r, int64_t token_id, const char *csr, const char *hostname,
                       const char *addr, int64_t *ret_id, char **ret_pem, struct verr *err,
                       enum enroll_fail *ret_reason)
{
    char serial[41], fp[65];
    int64_t id = 0, not_after = 0;
    char *pem = NULL;
    struct verr undo_err;
    int rc = store_agent_create(r->srv->store, token_id, hostname, addr, &id, err);
    if (rc < 0) {
        *ret_reason = rc == -EACCES   ? token_reason(err)
                      : rc == -EINVAL ? ENROLL_FAIL_BAD_REQUEST
                                      : ENROLL_FAIL_INTERNAL;
        return rc;
    }
    rc = ca_sign_csr(r->srv->ca, csr, strlen(csr), id, CA_AGENT_DAYS, &pem, serial, fp, &not_after,
                     err);
    if (rc < 0)
        *ret_reason = rc == -EINVAL ? ENROLL_FAIL_CSR : ENROLL_FAIL_INTERNAL;
    else if ((rc = store_agent_set_cert(r->srv->store, id, serial, fp, not_after, err)) < 0)
        *ret_reason = ENROLL_FAIL_INTERNAL;
    if (rc < 0) {
        free(pem);
        verr_init(&undo_err);
        if (store_agent_uncreate(r->srv->store, id, &undo_err) < 0)
            log_kv(LOG_LVL_ERROR, "cannot undo a failed enrollment", "error", undo_err.msg, NULL);
        return rc;
    }
    *ret_id = id;
    *ret_pem = pem;
    return 0;
}

void api_enroll(struct req *r)
{
    static const char *const fields[] = {"token", "csr", "hostname", NULL};
    const char *token = NULL, *csr = NULL, *hostname = NULL;
    char addr[64], *pem = NULL, *ca_pem = NULL;
    size_t ca_len = 0;
    int64_t token_id = 0, id = 0;
    enum enroll_fail reason = ENROLL_FAIL_INTERNAL;
    struct verr err;
    json_t *o = NULL;

    peer_addr(r, addr);
    if (r->method != EVHTTP_REQ_POST) {
        evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Allow", "POST");
        reply_problem(r, 405, NULL, N_("method %s is not allowed here"),
                      r->method == EVHTTP_REQ_GET ? "GET" : "this");
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
    size_t len = evbuffer_get_length(in);
    if (len > ENROLL_BODY_MAX) {
        reply_problem(r, 413, NULL, N_("request body larger than %zu bytes"), ENROLL_BODY_MAX);
        refuse(r, ENROLL_FAIL_BAD_REQUEST, "body too large", NULL, addr);
        return;
    }
    r->body = len ? evbuffer_pullup(in, -1) : (const uint8_t *)"";
    r->body_len = len;
    if (!r->body || req_json_object(r, &o) < 0) {
        refuse(r, ENROLL_FAIL_BAD_REQUEST, "body is not a JSON object", NULL, addr);
        return;
    }
    if (req_fields_known(r, o, fields) < 0 ||
        req_field_str(r, o, "token", ENROLL_TOKEN_MAX, &token) < 0 ||
        req_field_str(r, o, "csr", CA_CSR_MAX, &csr) < 0 ||
        req_field_str(r, o, "hostname", ENROLL_HOST_MAX, &hostname) < 0) {
        refuse(r, ENROLL_FAIL_BAD_REQUEST, "bad field", hostname, addr);
        goto out;
    }
    if (!token || !csr || !hostname || !*hostname) {
        (void)req_missing(r, !token ? "token" : !csr ? "csr" : "hostname");
        refuse(r, ENROLL_FAIL_BAD_REQUEST, "missing field", hostname, addr);
        goto out;
    }
    /* Read before anything is consumed: the agent needs the CA to check the
     * ingest listener. */
    int rc = file_read_all(ca_cert_path(r->srv->ca), CA_PEM_FILE_MAX, &ca_pem, &ca_len);
    if (rc < 0) {
        refuse(r, ENROLL_FAIL_INTERNAL, "cannot read the CA certificate", hostname, addr);
        goto out;
    }
    verr_init(&err);
    rc = store_enroll_token_take(r->srv->store, token, &token_id, &err);
    if (rc < 0) {
        refuse(r, rc == -EACCES ? token_reason(&err) : ENROLL_FAIL_INTERNAL, err.msg, hostname,
               addr);
        goto out;
    }
    rc = enroll_sign(r, token_id, csr, hostname, addr, &id, &pem, &err, &reason);
    if (rc < 0) {
        refuse(r, reason, err.msg, hostname, addr);
        goto out;
    }
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", (long long)id);
    log_kv(LOG_LVL_INFO, "agent enrolled", "id", ids, "hostname", hostname, "addr", addr, NULL);
    reply_json(r, 201,
               json_pack("{s:I, s:s, s:s, s:i}", "agent_id", (json_int_t)id, "certificate", pem,
                         "ca", ca_pem, "ingest_port", (int)r->srv->cfg->ingest_port));
out:
    free(pem);
    free(ca_pem);
    json_decref(o);
}
