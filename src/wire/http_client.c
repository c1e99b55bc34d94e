/* Blocking HTTPS client over OpenSSL (see http_client.h). */
#include "wire/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/buf.h"
#include "base/i18n.h"
#include "base/str.h"

#define IO_CHUNK (64 * 1024)

int http_url_parse(const char *url, struct http_url *ret, struct verr *e)
{
    struct http_url u;
    memset(&u, 0, sizeof(u));
    if (!str_has_prefix(url, "https://") && !str_has_prefix(url, "HTTPS://"))
        return verr_set(e, -EINVAL, "server URL '%s' must start with https://", url);
    const char *p = url + 8;
    const char *host, *host_end;
    if (*p == '[') {
        host = p + 1;
        host_end = strchr(host, ']');
        if (!host_end)
            return verr_set(e, -EINVAL, "server URL '%s': missing ']'", url);
        p = host_end + 1;
    } else {
        host = p;
        host_end = p + strcspn(p, ":/?#");
        p = host_end;
    }
    size_t host_len = (size_t)(host_end - host);
    if (host_len == 0 || host_len >= sizeof(u.host))
        return verr_set(e, -EINVAL, "server URL '%s': bad host", url);
    for (size_t i = 0; i < host_len; i++) {
        unsigned char c = (unsigned char)host[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == ':'))
            return verr_set(e, -EINVAL, "server URL '%s': bad host", url);
    }
    memcpy(u.host, host, host_len);
    u.host[host_len] = '\0';

    memcpy(u.port, "443", 4);
    if (*p == ':') {
        p++;
        size_t n = strspn(p, "0123456789");
        uint64_t port;
        if (n == 0 || str_to_u64(p, n, 65535, &port) < 0 || port == 0)
            return verr_set(e, -EINVAL, "server URL '%s': bad port", url);
        int w = snprintf(u.port, sizeof(u.port), "%u", (unsigned)port);
        if (w < 0 || (size_t)w >= sizeof(u.port))
            return verr_set(e, -EINVAL, "server URL '%s': bad port", url);
        p += n;
    }
    if (*p != '\0' && *p != '/')
        return verr_set(e, -EINVAL, "server URL '%s': unexpected text after the host", url);
    size_t path_len = strlen(p);
    while (path_len > 0 && p[path_len - 1] == '/')
        path_len--;
    if (path_len >= sizeof(u.base_path))
        return verr_set(e, -EINVAL, "server URL '%s': path too long", url);
    for (size_t i = 0; i < path_len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#')
            return verr_set(e, -EINVAL, "server URL '%s': bad path", url);
    }
    memcpy(u.base_path, p, path_len);
    u.base_path[path_len] = '\0';

    unsigned char tmp[16];
    u.host_is_ip = inet_pton(AF_INET, u.host, tmp) == 1 || inet_pton(AF_INET6, u.host, tmp) == 1;
    if (!u.host_is_ip && strchr(u.host, ':'))
        return verr_set(e, -EINVAL, "server URL '%s': bad host", url);
    *ret = u;
    return 0;
}

int http_fingerprint_parse(const char *s, uint8_t ret[32])
{
    if (strncasecmp(s, "sha256:", 7) == 0)
        s += 7;
    char hex[64];
    size_t n = 0;
    for (; *s; s++) {
        if (*s == ':')
            continue;
        if (n == sizeof(hex))
            return -EINVAL;
        hex[n++] = *s;
    }
    uint8_t out[32];
    if (n != sizeof(hex) || hex_decode(hex, n, out, sizeof(out)) < 0)
        return -EINVAL;
    memcpy(ret, out, sizeof(out));
    return 0;
}

/* Wait until fd is readable (want_write false) or writable. */
static int wait_fd(int fd, bool want_write, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = want_write ? POLLOUT : POLLIN};
    for (;;) {
        int r = poll(&pfd, 1, timeout_ms);
        if (r > 0)
            return 0;
        if (r == 0)
            return -ETIMEDOUT;
        if (errno != EINTR)
            return -errno;
    }
}

static int connect_one(const struct addrinfo *ai, int timeout_ms)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -errno;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;
    int r = -errno;
    if (r == -EINPROGRESS) {
        r = wait_fd(fd, true, timeout_ms);
        if (r == 0) {
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
                r = -errno;
            else if (soerr != 0)
                r = -soerr;
            else
                return fd;
        }
    }
    close(fd);
    return r;
}

static int tcp_connect(const struct http_client *c, struct verr *e)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(c->url.host, c->url.port, &hints, &res);
    if (g != 0)
        return verr_set(e, -EHOSTUNREACH, "cannot resolve server host '%s': %s", c->url.host,
                        gai_strerror(g));
    int r = -EHOSTUNREACH;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        r = connect_one(ai, c->connect_timeout_ms);
        if (r >= 0)
            break;
    }
    freeaddrinfo(res);
    if (r < 0)
        return verr_set(e, r, "cannot connect to %s port %s: %s", c->url.host, c->url.port,
                        strerror(-r));
    return r;
}

static void tls_error_text(char *out, size_t n)
{
    unsigned long err = ERR_peek_last_error();
    if (err == 0) {
        snprintf(out, n, "%s", _("the server closed the connection"));
        return;
    }
    ERR_error_string_n(err, out, n);
    ERR_clear_error();
}

/* Drive one SSL call to completion on the non-blocking socket. op returns
 * what SSL_read/SSL_write/SSL_connect return. */
enum tls_op { TLS_CONNECT, TLS_READ, TLS_WRITE };

static int tls_io(SSL *ssl, int fd, enum tls_op op, void *p, size_t n, size_t *ret_done,
                  int timeout_ms)
{
    for (;;) {
        int r;
        size_t done = 0;
        ERR_clear_error();
        if (op == TLS_CONNECT)
            r = SSL_connect(ssl);
        else if (op == TLS_READ)
            r = SSL_read_ex(ssl, p, n, &done);
        else
            r = SSL_write_ex(ssl, p, n, &done);
        if (r == 1) {
            if (ret_done)
                *ret_done = done;
            return 0;
        }
        int err = SSL_get_error(ssl, r);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            int w = wait_fd(fd, err == SSL_ERROR_WANT_WRITE, timeout_ms);
            if (w < 0)
                return w;
            continue;
        }
        if (err == SSL_ERROR_ZERO_RETURN)
            return -ENODATA; /* orderly close */
        if (err == SSL_ERROR_SYSCALL && errno != 0)
            return -errno;
        return -EPROTO;
    }
}

static int tls_write_all(SSL *ssl, int fd, const void *p, size_t n, int timeout_ms)
{
    const char *q = p;
    while (n > 0) {
        size_t done = 0;
        int r = tls_io(ssl, fd, TLS_WRITE, (void *)q, MIN(n, (size_t)IO_CHUNK), &done, timeout_ms);
        if (r < 0)
            return r;
        q += done;
        n -= done;
    }
    return 0;
}

static int check_fingerprint(const struct http_client *c, SSL *ssl, struct verr *e)
{
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (!cert)
        return verr_set(e, HTTP_E_CERT, "the server sent no certificate");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    int ok = X509_digest(cert, EVP_sha256(), md, &md_len);
    X509_free(cert);
    if (!ok || md_len != 32)
        return verr_set(e, HTTP_E_CERT, "cannot compute the server certificate's fingerprint");
    if (CRYPTO_memcmp(md, c->fingerprint, 32) != 0) {
        char hex[65];
        hex_encode(md, 32, hex);
        return verr_set(e, HTTP_E_CERT,
                        "the server certificate's fingerprint SHA256:%s does not match "
                        "--fingerprint",
                        hex);
    }
    return 0;
}

static SSL_CTX *make_ctx(const struct http_client *c, struct verr *e)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        verr_set(e, -ENOMEM, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (c->have_fingerprint) {
        /* The pin replaces chain and name checks: it names one certificate. */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        return ctx;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (c->cacert) {
        if (SSL_CTX_load_verify_locations(ctx, c->cacert, NULL) != 1) {
            char why[256];
            tls_error_text(why, sizeof(why));
            verr_set(e, -EINVAL, "cannot read CA certificate file '%s': %s", c->cacert, why);
            SSL_CTX_free(ctx);
            return NULL;
        }
        /* Trust the file's certificates themselves, so that the server's own
         * self-signed or leaf certificate can be given as the CA file. */
        X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_PARTIAL_CHAIN);
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        verr_set(e, -EINVAL, "cannot load the system CA certificates");
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int tls_start(const struct http_client *c, SSL_CTX *ctx, int fd, int timeout_ms, SSL **ret,
                     struct verr *e)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return verr_set(e, -ENOMEM, "cannot create a TLS connection");
    }
    if (!c->url.host_is_ip)
        SSL_set_tlsext_host_name(ssl, c->url.host);
    if (!c->have_fingerprint) {
        int ok = c->url.host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), c->url.host)
                                   : SSL_set1_host(ssl, c->url.host);
        if (ok != 1) {
            SSL_free(ssl);
            return verr_set(e, -EINVAL, "cannot set the expected server name '%s'", c->url.host);
        }
    }
    int r = tls_io(ssl, fd, TLS_CONNECT, NULL, 0, NULL, timeout_ms);
    if (r < 0) {
        long vr = SSL_get_verify_result(ssl);
        char why[256];
        tls_error_text(why, sizeof(why));
        SSL_free(ssl);
        if (!c->have_fingerprint && vr != X509_V_OK)
            return verr_set(e, HTTP_E_CERT,
                            "cannot verify the server certificate (%s). If the server uses "
                            "its self-signed certificate, pass --cacert "
                            "<data_dir>/tls/vigild.crt or --fingerprint SHA256:<hex>",
                            X509_verify_cert_error_string(vr));
        if (r == -ETIMEDOUT)
            return verr_set(e, r, "TLS handshake with %s timed out", c->url.host);
        return verr_set(e, r, "TLS handshake with %s failed: %s", c->url.host, why);
    }
    if (c->have_fingerprint) {
        r = check_fingerprint(c, ssl, e);
        if (r < 0) {
            SSL_free(ssl);
            return r;
        }
    }
    *ret = ssl;
    return 0;
}

static bool header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static int build_head(const struct http_client *c, const struct http_request *req, struct buf *h,
                      struct verr *e)
{
    if (!header_safe(req->target) || strchr(req->target, ' ') ||
        (req->token && !header_safe(req->token)) ||
        (req->content_type && !header_safe(req->content_type)))
        return verr_set(e, -EINVAL, "request contains a control character");
    bool v6 = strchr(c->url.host, ':') != NULL;
    bool default_port = strcmp(c->url.port, "443") == 0;
    int r = buf_printf(h, "%s %s%s HTTP/1.1\r\nHost: %s%s%s%s%s\r\n", req->method, c->url.base_path,
                       req->target, v6 ? "[" : "", c->url.host, v6 ? "]" : "",
                       default_port ? "" : ":", default_port ? "" : c->url.port);
    if (r == 0)
        r = buf_printf(h,
                       "User-Agent: vigil/%s\r\nAccept: application/json, "
                       "application/problem+json\r\nAccept-Language: %s\r\nConnection: close\r\n",
                       VIGIL_VERSION, req->accept_language ? req->accept_language : "vi");
    if (r == 0 && req->token)
        r = buf_printf(h, "Authorization: Bearer %s\r\n", req->token);
    bool has_body = req->body || req->body_fd >= 0;
    if (r == 0 && has_body && req->content_type)
        r = buf_printf(h, "Content-Type: %s\r\n", req->content_type);
    uint64_t len = req->body_fd >= 0 ? req->body_fd_len : req->body_len;
    if (r == 0 && (has_body || strcmp(req->method, "POST") == 0 ||
                   strcmp(req->method, "PATCH") == 0 || strcmp(req->method, "PUT") == 0))
        r = buf_printf(h, "Content-Length: %llu\r\n", (unsigned long long)len);
    if (r == 0)
        r = buf_puts(h, "\r\n");
    if (r < 0)
        return verr_set(e, r, "request headers too large");
    return 0;
}

static int send_file(SSL *ssl, int fd, const struct http_request *req)
{
    char *chunk = xmalloc(IO_CHUNK);
    uint64_t off = 0;
    int r = 0;
    while (off < req->body_fd_len) {
        size_t want = (size_t)MIN((uint64_t)IO_CHUNK, req->body_fd_len - off);
        ssize_t n = pread(req->body_fd, chunk, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            break;
        }
        if (n == 0) {
            r = -ENODATA; /* the file shrank while we sent it */
            break;
        }
        r = tls_write_all(ssl, fd, chunk, (size_t)n, req->timeout_ms);
        if (r < 0) {
            r = r == -ENODATA ? -EPIPE : r;
            break;
        }
        off += (uint64_t)n;
    }
    free(chunk);
    return r;
}

static int read_response(SSL *ssl, int fd, struct http_parser *p, int timeout_ms)
{
    char *chunk = xmalloc(IO_CHUNK);
    int r;
    for (;;) {
        size_t n = 0;
        r = tls_io(ssl, fd, TLS_READ, chunk, IO_CHUNK, &n, timeout_ms);
        if (r == -ENODATA) {
            r = http_parser_eof(p);
            break;
        }
        if (r < 0)
            break;
        r = http_parser_feed(p, (const uint8_t *)chunk, n);
        if (r != 0)
            break;
    }
    free(chunk);
    return r;
}

int http_do(const struct http_client *c, const struct http_request *req, struct http_parser *p,
            struct verr *e)
{
    http_parser_init(p, HTTP_MAX_RESPONSE);
    struct buf head;
    buf_init(&head, 64 * 1024);
    int r = build_head(c, req, &head, e);
    if (r < 0) {
        buf_release(&head);
        return r;
    }
    SSL_CTX *ctx = make_ctx(c, e);
    if (!ctx) {
        buf_release(&head);
        return e && e->code ? e->code : -EINVAL;
    }
    SSL *ssl = NULL;
    int fd = tcp_connect(c, e);
    if (fd < 0) {
        r = fd;
        goto out;
    }
    r = tls_start(c, ctx, fd, c->connect_timeout_ms, &ssl, e);
    if (r < 0)
        goto out;

    r = tls_write_all(ssl, fd, head.data, head.len, req->timeout_ms);
    if (r == 0 && req->body_fd >= 0)
        r = send_file(ssl, fd, req);
    else if (r == 0 && req->body)
        r = tls_write_all(ssl, fd, req->body, req->body_len, req->timeout_ms);
    int write_err = r;
    if (write_err == -ETIMEDOUT) {
        verr_set(e, r, "timed out sending the request to %s", c->url.host);
        goto out;
    }
    /* Even when sending failed the server may have answered (413, 401)
     * before closing: read what it said. */
    r = read_response(ssl, fd, p, req->timeout_ms);
    if (r == 1) {
        r = 0;
    } else if (write_err < 0) {
        r = verr_set(e, write_err, "sending the request to %s failed: %s", c->url.host,
                     strerror(-write_err));
    } else if (r == -ETIMEDOUT) {
        verr_set(e, r, "timed out waiting for %s to answer", c->url.host);
    } else if (p->why) {
        verr_set(e, r, "bad response from %s: %s", c->url.host, _(p->why));
    } else {
        verr_set(e, r, "reading the response from %s failed: %s", c->url.host, strerror(-r));
    }
out:
    if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    if (fd >= 0)
        close(fd);
    SSL_CTX_free(ctx);
    buf_release(&head);
    return r;
}
