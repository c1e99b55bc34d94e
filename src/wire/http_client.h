/*
 * A small blocking HTTPS client: one request per connection (Connection:
 * close), TLS 1.2 or newer, the server verified by a CA file, by the SHA-256
 * fingerprint of its certificate, or by the system CA store.
 */
#ifndef VIGIL_WIRE_HTTP_CLIENT_H
#define VIGIL_WIRE_HTTP_CLIENT_H

#include "base/common.h"
#include "base/err.h"
#include "wire/http_response.h"

#define HTTP_MAX_RESPONSE (64u << 20) /* largest response body accepted */

/* A parsed server address "https://host[:port][/base]". */
struct http_url {
    char host[256];      /* without brackets for IPv6 */
    char port[6];        /* decimal, "443" by default */
    char base_path[512]; /* "" or "/prefix" without a trailing '/' */
    bool host_is_ip;
};

/* Parse url (https only). Returns 0, or -EINVAL with e naming the problem. */
int http_url_parse(const char *url, struct http_url *ret, struct verr *e) WUR;

/* Parse a certificate fingerprint: "SHA256:<64 hex>", optionally with ':'
 * between bytes (as `openssl x509 -fingerprint -sha256` prints it), or the
 * bare hex. Returns 0 or -EINVAL. */
int http_fingerprint_parse(const char *s, uint8_t ret[32]) WUR;

struct http_client {
    struct http_url url;
    const char *cacert;    /* PEM file of the trusted CA/certificate, or NULL */
    bool have_fingerprint; /* pin the server certificate's SHA-256 */
    uint8_t fingerprint[32];
    int connect_timeout_ms;
};

struct http_request {
    const char *method;          /* "GET", "POST", ... */
    const char *target;          /* "/api/v1/units?x=y", appended to url.base_path */
    const char *accept_language; /* "vi" or "en" */
    const char *token;           /* bearer token, or NULL */
    const char *content_type;    /* for a body, else NULL */
    const void *body;            /* in-memory body, or NULL */
    size_t body_len;
    int body_fd; /* >= 0: stream body_fd_len bytes from this file */
    uint64_t body_fd_len;
    int timeout_ms; /* longest wait for any single read or write */
};

/* Result kinds beyond plain errno values. */
#define HTTP_E_CERT (-EKEYREJECTED) /* the server's certificate was not trusted */

/* Send req and read the response into *p (initialised here; release it with
 * http_parser_release). Returns 0 when a complete response was read (any
 * status), or a negative errno with e saying what failed; HTTP_E_CERT when
 * the certificate could not be verified (e carries a hint). */
int http_do(const struct http_client *c, const struct http_request *req, struct http_parser *p,
            struct verr *e) WUR;

#endif
