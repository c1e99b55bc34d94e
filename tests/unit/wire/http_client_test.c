/* Unit tests for src/wire/http_client.c: URL and fingerprint parsing, and
 * real requests against a TLS server on loopback run in a thread, with a
 * certificate made here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/i18n.h"
#include "base/str.h"
#include "wire/http_client.h"

static void test_url_parse(void **state)
{
    (void)state;
    struct http_url u;
    struct verr e;
    verr_init(&e);
    assert_int_equal(http_url_parse("https://127.0.0.1:8443", &u, &e), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_string_equal(u.port, "8443");
    assert_string_equal(u.base_path, "");
    assert_true(u.host_is_ip);

    assert_int_equal(http_url_parse("https://vigil.example.vn/", &u, &e), 0);
    assert_string_equal(u.host, "vigil.example.vn");
    assert_string_equal(u.port, "443");
    assert_false(u.host_is_ip);

    assert_int_equal(http_url_parse("https://[::1]:9443/soc/", &u, &e), 0);
    assert_string_equal(u.host, "::1");
    assert_string_equal(u.port, "9443");
    assert_string_equal(u.base_path, "/soc");
    assert_true(u.host_is_ip);

    const char *bad[] = {"http://127.0.0.1", "https://",          "https://a:0",  "https://a:65536",
                         "https://a:80x",    "https://user@host", "https://[::1", "https://a/b c",
                         "https://a?x=1",    "https://a:b:c"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        verr_init(&e);
        assert_int_equal(http_url_parse(bad[i], &u, &e), -EINVAL);
        assert_true(e.msg[0] != '\0');
    }
}

static void test_fingerprint_parse(void **state)
{
    (void)state;
    uint8_t fp[32], want[32];
    for (int i = 0; i < 32; i++)
        want[i] = (uint8_t)(i * 7 + 1);
    char hex[65], colons[200] = "SHA256:";
    hex_encode(want, 32, hex);
    for (int i = 0; i < 32; i++) {
        char two[4];
        snprintf(two, sizeof(two), "%.2s%s", hex + 2 * i, i < 31 ? ":" : "");
        size_t n = strlen(colons);
        memcpy(colons + n, two, strlen(two) + 1);
    }
    char prefixed[80];
    snprintf(prefixed, sizeof(prefixed), "sha256:%s", hex);
    assert_int_equal(http_fingerprint_parse(hex, fp), 0);
    assert_memory_equal(fp, want, 32);
    memset(fp, 0, 32);
    assert_int_equal(http_fingerprint_parse(prefixed, fp), 0);
    assert_memory_equal(fp, want, 32);
    memset(fp, 0, 32);
    assert_int_equal(http_fingerprint_parse(colons, fp), 0);
    assert_memory_equal(fp, want, 32);
    assert_int_equal(http_fingerprint_parse("SHA256:abcd", fp), -EINVAL);
    hex[10] = 'g';
    assert_int_equal(http_fingerprint_parse(hex, fp), -EINVAL);
}

/* A one-connection TLS server. */
struct server {
    SSL_CTX *ctx;
    int lfd;
    int port;
    const char *response; /* sent after the whole request was read */
    char *request;        /* what arrived (head and body) */
    size_t request_len;
    pthread_t thread;
};

static X509 *g_cert;
static EVP_PKEY *g_key;
static char g_cert_path[64];
static uint8_t g_fp[32];

static void make_cert(void)
{
    g_key = EVP_EC_gen("P-256");
    assert_non_null(g_key);
    g_cert = X509_new();
    X509_set_version(g_cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(g_cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(g_cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(g_cert), 3600);
    X509_NAME *name = X509_get_subject_name(g_cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"vigil-test", -1,
                               -1, 0);
    X509_set_issuer_name(g_cert, name);
    X509_set_pubkey(g_cert, g_key);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, g_cert, g_cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
    assert_non_null(ext);
    X509_add_ext(g_cert, ext, -1);
    X509_EXTENSION_free(ext);
    assert_true(X509_sign(g_cert, g_key, EVP_sha256()) > 0);
    unsigned int n = 0;
    X509_digest(g_cert, EVP_sha256(), g_fp, &n);
    assert_int_equal(n, 32);

    snprintf(g_cert_path, sizeof(g_cert_path), "/tmp/vigil-cli-test-XXXXXX");
    int fd = mkstemp(g_cert_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    PEM_write_X509(f, g_cert);
    fclose(f);
}

static void *serve(void *arg)
{
    struct server *s = arg;
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    SSL *ssl = SSL_new(s->ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
        size_t cap = 1 << 20, len = 0, want = SIZE_MAX;
        char *buf = xmalloc(cap);
        if (!buf)
            abort();
        while (len < want && len < cap) {
            int n = SSL_read(ssl, buf + len, (int)(cap - len));
            if (n <= 0)
                break;
            len += (size_t)n;
            char *end = memmem(buf, len, "\r\n\r\n", 4);
            if (end && want == SIZE_MAX) {
                size_t head = (size_t)(end - buf) + 4;
                const char *cl = memmem(buf, head, "Content-Length: ", 16);
                want = head + (cl ? strtoull(cl + 16, NULL, 10) : 0);
            }
        }
        s->request = buf;
        s->request_len = len;
        SSL_write(ssl, s->response, (int)strlen(s->response));
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    close(fd);
    return NULL;
}

static void server_start(struct server *s, const char *response)
{
    memset(s, 0, sizeof(*s));
    s->ctx = SSL_CTX_new(TLS_server_method());
    assert_int_equal(SSL_CTX_use_certificate(s->ctx, g_cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(s->ctx, g_key), 1);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(s->lfd, 1), 0);
    socklen_t sl = sizeof(sa);
    getsockname(s->lfd, (struct sockaddr *)&sa, &sl);
    s->port = ntohs(sa.sin_port);
    s->response = response;
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
    shutdown(s->lfd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->lfd);
    SSL_CTX_free(s->ctx);
    free(s->request);
}

static void client_for(struct http_client *c, const struct server *s)
{
    memset(c, 0, sizeof(*c));
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", s->port);
    struct verr e;
    verr_init(&e);
    assert_int_equal(http_url_parse(url, &c->url, &e), 0);
    c->connect_timeout_ms = 5000;
}

static struct http_request get_req(void)
{
    struct http_request r = {.method = "GET",
                             .target = "/api/v1/units",
                             .accept_language = "en",
                             .token = "tok123",
                             .body_fd = -1,
                             .timeout_ms = 5000};
    return r;
}

static void test_cacert(void **state)
{
    (void)state;
    struct server s;
    server_start(&s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
    struct http_client c;
    client_for(&c, &s);
    c.cacert = g_cert_path;
    struct http_request req = get_req();
    struct http_parser p;
    struct verr e;
    verr_init(&e);
    assert_int_equal(http_do(&c, &req, &p, &e), 0);
    assert_int_equal(p.status, 200);
    assert_int_equal(p.body.len, 2);
    assert_memory_equal(p.body.data, "{}", 2);
    http_parser_release(&p);
    server_stop(&s);
}

static void test_request_head_and_file_body(void **state)
{
    (void)state;
    /* A 300 KB body streamed from a file arrives byte for byte. */
    size_t n = 300 * 1024;
    char *data = xmalloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    char path[] = "/tmp/vigil-cli-body-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);

    struct server s;
    server_start(&s, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    struct http_client c;
    client_for(&c, &s);
    c.have_fingerprint = true;
    memcpy(c.fingerprint, g_fp, 32);
    struct http_request req = get_req();
    req.method = "POST";
    req.target = "/api/v1/feeds/ais/versions?date=2024-01-15";
    req.content_type = "application/octet-stream";
    req.body_fd = fd;
    req.body_fd_len = n;
    struct http_parser p;
    struct verr e;
    verr_init(&e);
    assert_int_equal(http_do(&c, &req, &p, &e), 0);
    assert_int_equal(p.status, 201);
    http_parser_release(&p);
    pthread_join(s.thread, NULL);

    char want_head[512];
    snprintf(want_head, sizeof(want_head),
             "POST /api/v1/feeds/ais/versions?date=2024-01-15 HTTP/1.1\r\n"
             "Host: 127.0.0.1:%d\r\n",
             s.port);
    assert_true(s.request_len > strlen(want_head));
    assert_memory_equal(s.request, want_head, strlen(want_head));
    assert_non_null(memmem(s.request, s.request_len, "\r\nAuthorization: Bearer tok123\r\n", 32));
    assert_non_null(memmem(s.request, s.request_len, "\r\nAccept-Language: en\r\n", 23));
    assert_non_null(memmem(s.request, s.request_len, "\r\nContent-Length: 307200\r\n", 26));
    char *body = memmem(s.request, s.request_len, "\r\n\r\n", 4);
    assert_non_null(body);
    body += 4;
    assert_int_equal(s.request_len - (size_t)(body - s.request), n);
    assert_memory_equal(body, data, n);
    close(s.lfd);
    SSL_CTX_free(s.ctx);
    free(s.request);
    close(fd);
    unlink(path);
    free(data);
}

static void test_fingerprint_mismatch(void **state)
{
    (void)state;
    struct server s;
    server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    struct http_client c;
    client_for(&c, &s);
    c.have_fingerprint = true;
    memcpy(c.fingerprint, g_fp, 32);
    c.fingerprint[0] ^= 1;
    struct http_request req = get_req();
    struct http_parser p;
    struct verr e;
    verr_init(&e);
    assert_int_equal(http_do(&c, &req, &p, &e), HTTP_E_CERT);
    assert_non_null(strstr(e.msg, "--fingerprint"));
    http_parser_release(&p);
    server_stop(&s);
}

static void test_untrusted_suggests_cacert(void **state)
{
    (void)state;
    struct server s;
    server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    struct http_client c;
    client_for(&c, &s); /* no cacert, no pin: the system store does not know our cert */
    struct http_request req = get_req();
    struct http_parser p;
    struct verr e;
    verr_init(&e);
    assert_int_equal(http_do(&c, &req, &p, &e), HTTP_E_CERT);
    assert_non_null(strstr(e.msg, "--cacert"));
    http_parser_release(&p);
    server_stop(&s);
}

static void test_wrong_name(void **state)
{
    (void)state;
    /* The certificate names 127.0.0.1 only; asking for localhost must fail
     * even with the right CA file. */
    struct server s;
    server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    struct http_client c;
    client_for(&c, &s);
    char url[64];
    snprintf(url, sizeof(url), "https://localhost:%d", s.port);
    struct verr e;
    verr_init(&e);
    assert_int_equal(http_url_parse(url, &c.url, &e), 0);
    c.cacert = g_cert_path;
    struct http_request req = get_req();
    struct http_parser p;
    int r = http_do(&c, &req, &p, &e);
    http_parser_release(&p);
    server_stop(&s);
    if (r == -ECONNREFUSED || r == -EHOSTUNREACH)
        skip(); /* localhost resolved to ::1 first and nothing listens there, or the
                   system has no name for localhost at all (no /etc/hosts entry) */
    assert_int_equal(r, HTTP_E_CERT);
}

static void test_connection_refused(void **state)
{
    (void)state;
    struct server s;
    server_start(&s, "");
    struct http_client c;
    client_for(&c, &s);
    server_stop(&s); /* nothing listens on the port any more */
    struct http_request req = get_req();
    struct http_parser p;
    struct verr e;
    verr_init(&e);
    assert_int_equal(http_do(&c, &req, &p, &e), -ECONNREFUSED);
    assert_non_null(strstr(e.msg, "127.0.0.1"));
    http_parser_release(&p);
}

int main(void)
{
    i18n_set(LANG_EN);
    signal(SIGPIPE, SIG_IGN);
    make_cert();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_fingerprint_parse),
        cmocka_unit_test(test_cacert),
        cmocka_unit_test(test_request_head_and_file_body),
        cmocka_unit_test(test_fingerprint_mismatch),
        cmocka_unit_test(test_untrusted_suggests_cacert),
        cmocka_unit_test(test_wrong_name),
        cmocka_unit_test(test_connection_refused),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(g_cert_path);
    X509_free(g_cert);
    EVP_PKEY_free(g_key);
    return r;
}
