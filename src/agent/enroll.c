/* Enrollment with vigild (see enroll.h). */
#include "agent/enroll.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/event.h"
#include "base/file.h"
#include "base/i18n.h"
#include "wire/http_client.h"

#define ENROLL_TIMEOUT_MS 30000
#define PEM_MAX           (64u << 10)

static char *bio_text(BIO *b)
{
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    return n > 0 ? xstrndup(p, (size_t)n) : NULL;
}

int enroll_make_csr(const char *cn, char **ret_key_pem, char **ret_csr_pem)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = X509_NAME_new();
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    char *kp = NULL, *cp = NULL;
    int rc = -EIO;

    if (!key || !req || !name || !kb || !cb)
        goto out;
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_REQ_set_version(req, 0) != 1 || X509_REQ_set_subject_name(req, name) != 1 ||
        X509_REQ_set_pubkey(req, key) != 1 || X509_REQ_sign(req, key, EVP_sha256()) <= 0)
        goto out;
    if (PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) != 1 ||
        PEM_write_bio_X509_REQ(cb, req) != 1)
        goto out;
    kp = bio_text(kb);
    cp = bio_text(cb);
    if (!kp || !cp)
        goto out;
    *ret_key_pem = kp;
    *ret_csr_pem = cp;
    kp = cp = NULL;
    rc = 0;
out:
    if (kp)
        OPENSSL_cleanse(kp, strlen(kp));
    free(kp);
    free(cp);
    BIO_free(kb);
    BIO_free(cb);
    X509_NAME_free(name);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    return rc;
}

/* "host:port" or "[v6]:port" -> "https://..." URL text. */
static int server_url(const char *server, char *out, size_t size)
{
    int n = snprintf(out, size, "https://%s", server);
    return n < 0 || (size_t)n >= size ? -EINVAL : 0;
}

static int write_file(const struct agent_config *c, const char *name, const char *text, mode_t mode,
                      struct verr *err)
{
    char path[4096];
    int rc;

    if (agent_path(c, name, path, sizeof(path)) < 0)
        return verr_set(err, -ENAMETOOLONG, "data directory path too long");
    if ((rc = file_write_atomic(path, text, strlen(text), mode)) < 0)
        return verr_set(err, rc, "%s: cannot write: %s", path, strerror(-rc));
    return 0;
}

static int parse_reply(const struct http_parser *p, json_t **ret, struct verr *err)
{
    json_t *doc = json_loadb(p->body.data ? p->body.data : "", p->body.len, 0, NULL);
    json_t *detail = json_object_get(doc, "detail");

    if (p->status != 201) {
        int rc = verr_set(err, p->status == 401 ? -EACCES : -EPROTO,
                          "the server refused the enrollment (HTTP %d): %s", p->status,
                          json_is_string(detail) ? json_string_value(detail) : "");
        json_decref(doc);
        return rc;
    }
    if (!json_is_integer(json_object_get(doc, "agent_id")) ||
        !json_is_string(json_object_get(doc, "certificate")) ||
        !json_is_string(json_object_get(doc, "ca")) ||
        !json_is_integer(json_object_get(doc, "ingest_port")) ||
        json_integer_value(json_object_get(doc, "ingest_port")) < 1 ||
        json_integer_value(json_object_get(doc, "ingest_port")) > 65535 ||
        json_integer_value(json_object_get(doc, "agent_id")) < 1) {
        json_decref(doc);
        return verr_set(err, -EPROTO, "the server's enrollment answer is incomplete");
    }
    *ret = doc;
    return 0;
}

int agent_enroll(const struct agent_config *c, const struct enroll_opts *o, char *ret_id,
                 size_t id_size, struct verr *err)
{
    struct http_client hc;
    struct http_request req;
    struct http_parser resp;
    struct agent_identity id;
    char url[600];
    char *key = NULL, *csr = NULL, *body = NULL;
    const char *host = o->hostname ? o->hostname : agent_hostname();
    json_t *doc = NULL;
    int rc;

    memset(&hc, 0, sizeof(hc));
    memset(&id, 0, sizeof(id));
    if (server_url(o->server, url, sizeof(url)) < 0 || http_url_parse(url, &hc.url, err) < 0)
        return verr_set(err, -EINVAL, "--server: expected HOST:PORT, got '%s'", o->server);
    if (http_fingerprint_parse(o->fingerprint, hc.fingerprint) < 0)
        return verr_set(err, -EINVAL, "--fingerprint: expected SHA256:<64 hex digits>");
    hc.have_fingerprint = true;
    hc.connect_timeout_ms = 10000;
    if ((rc = mkdir_p(c->data_dir, 0700)) < 0)
        return verr_set(err, rc, "%s: cannot create: %s", c->data_dir, strerror(-rc));
    if (enroll_make_csr(host, &key, &csr) < 0)
        return verr_set(err, -EIO, "cannot make a key and certificate request");
    json_t *rq = json_pack("{s:s, s:s, s:s}", "token", o->token, "csr", csr, "hostname", host);
    body = rq ? json_dumps(rq, JSON_COMPACT) : NULL;
    json_decref(rq);
    if (!body) {
        rc = verr_set(err, -EINVAL, "the token or host name is not valid text");
        goto out;
    }
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.target = "/api/v1/enroll";
    req.accept_language = i18n_get() == LANG_EN ? "en" : "vi";
    req.content_type = "application/json";
    req.body = body;
    req.body_len = strlen(body);
    req.body_fd = -1;
    req.timeout_ms = ENROLL_TIMEOUT_MS;
    if ((rc = http_do(&hc, &req, &resp, err)) < 0)
        goto out;
    rc = parse_reply(&resp, &doc, err);
    http_parser_release(&resp);
    if (rc < 0)
        goto out;
    if ((rc = write_file(c, "key.pem", key, 0600, err)) < 0 ||
        (rc = write_file(c, "cert.pem", json_string_value(json_object_get(doc, "certificate")),
                         0644, err)) < 0 ||
        (rc = write_file(c, "ca.pem", json_string_value(json_object_get(doc, "ca")), 0644, err)) <
            0)
        goto out;
    if (snprintf(id.agent_id, sizeof(id.agent_id), "%lld",
                 (long long)json_integer_value(json_object_get(doc, "agent_id"))) < 0 ||
        snprintf(id.server, sizeof(id.server), "%s", hc.url.host) < 0) {
        rc = verr_set(err, -EINVAL, "server name too long");
        goto out;
    }
    id.api_port = (unsigned)strtoul(hc.url.port, NULL, 10);
    id.ingest_port = (unsigned)json_integer_value(json_object_get(doc, "ingest_port"));
    id.have_fingerprint = true;
    memcpy(id.fingerprint, hc.fingerprint, 32);
    if ((rc = agent_identity_save(c, &id)) < 0) {
        rc = verr_set(err, rc, "%s: cannot write agent.json: %s", c->data_dir, strerror(-rc));
        goto out;
    }
    if (snprintf(ret_id, id_size, "%s", id.agent_id) < 0)
        ret_id[0] = '\0';
    rc = 0;
out:
    if (key)
        OPENSSL_cleanse(key, strlen(key));
    free(key);
    free(csr);
    free(body);
    json_decref(doc);
    return rc;
}
