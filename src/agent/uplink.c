/* The network process: TLS 1.3 client relaying frames (see uplink.h). */
#include "agent/uplink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/privsep.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/vtime.h"
#include "wire/proto.h"

#define IO_TIMEOUT_MS  30000
#define BACKOFF_MIN_MS 500
#define STABLE_NS      (10ull * 1000000000ull) /* a connection this old resets the backoff */

struct net {
    int sp;
    const struct uplink_opts *o;
    SSL_CTX *ctx;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char peer[300];
    SSL *ssl;
    int fd;
    uint32_t conn_id;
    struct buf in;  /* bytes from the server not yet relayed */
    struct buf msg; /* a message from the collector */
};

static int pin_index = -1;

/* Accept a chain that verifies against the CA, or a leaf whose SHA-256 is
 * the fingerprint pinned at enrollment. */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    const struct uplink_opts *o = ssl ? SSL_get_ex_data(ssl, pin_index) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(xs);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    if (ok)
        return 1;
    if (!o || !o->have_fingerprint || !leaf)
        return 0;
    if (X509_digest(leaf, EVP_sha256(), md, &md_len) != 1 || md_len != 32)
        return 0;
    if (memcmp(md, o->fingerprint, 32) != 0)
        return 0;
    X509_STORE_CTX_set_error(xs, X509_V_OK);
    return 1;
}

static SSL_CTX *make_ctx(const struct uplink_opts *o)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (!ctx)
        return NULL;
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx, o->cert_path) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, o->key_path, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1 ||
        (SSL_CTX_load_verify_locations(ctx, o->ca_path, NULL) != 1 && !o->have_fingerprint)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    ERR_clear_error();
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
    return ctx;
}

static int resolve(struct net *n)
{
    struct addrinfo hints = {0}, *res = NULL;
    char port[8];
    int rc;

    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    if (snprintf(port, sizeof(port), "%u", n->o->port) < 0)
        return -EINVAL;
    if ((rc = getaddrinfo(n->o->host, port, &hints, &res)) != 0 || !res)
        return -EHOSTUNREACH;
    memcpy(&n->addr, res->ai_addr, res->ai_addrlen);
    n->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    if (snprintf(n->peer, sizeof(n->peer), "%s:%u", n->o->host, n->o->port) < 0)
        n->peer[0] = '\0';
    return 0;
}

/* Wait for fd to be ready for events, up to ms. Returns >0 ready, 0 timeout. */
static int wait_fd(int fd, short events, int ms)
{
    struct pollfd p = {fd, events, 0};
    int r;

    do
        r = poll(&p, 1, ms);
    while (r < 0 && errno == EINTR);
    return r;
}

static void disconnect(struct net *n, const char *why)
{
    if (n->ssl) {
        SSL_free(n->ssl);
        n->ssl = NULL;
    }
    if (n->fd >= 0) {
        close(n->fd);
        n->fd = -1;
        if (psmsg_send(n->sp, PSMSG_DOWN, why, strlen(why)) < 0)
            _exit(1);
    }
    buf_reset(&n->in);
}

/* Drive an SSL call that may want I/O. Returns 1 done, 0 failed. */
static int ssl_wait(struct net *n, int r)
{
    int e = SSL_get_error(n->ssl, r);

    if (e == SSL_ERROR_WANT_READ)
        return wait_fd(n->fd, POLLIN, IO_TIMEOUT_MS) > 0;
    if (e == SSL_ERROR_WANT_WRITE)
        return wait_fd(n->fd, POLLOUT, IO_TIMEOUT_MS) > 0;
    return 0;
}

static int try_connect(struct net *n)
{
    int fd, r, one = 1, soerr = 0;
    socklen_t sl = sizeof(soerr);

    fd = socket(n->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    n->fd = -1;
    if (connect(fd, (struct sockaddr *)&n->addr, n->addr_len) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -ECONNREFUSED;
    }
    if (wait_fd(fd, POLLOUT, 10000) <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 ||
        soerr != 0) {
        close(fd);
        return -ECONNREFUSED;
    }
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    n->ssl = SSL_new(n->ctx);
    if (!n->ssl) {
        close(fd);
        return -ENOMEM;
    }
    SSL_set_ex_data(n->ssl, pin_index, (void *)n->o);
    /* The ingest certificate must name the host the agent dialled. */
    {
        X509_VERIFY_PARAM *vp = SSL_get0_param(n->ssl);
        struct in6_addr tmp;
        bool ip =
            inet_pton(AF_INET, n->o->host, &tmp) == 1 || inet_pton(AF_INET6, n->o->host, &tmp) == 1;
        if ((ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, n->o->host)
                : X509_VERIFY_PARAM_set1_host(vp, n->o->host, 0)) != 1) {
            SSL_free(n->ssl);
            n->ssl = NULL;
            close(fd);
            return -EINVAL;
        }
    }
    SSL_set_fd(n->ssl, fd);
    n->fd = fd;
    while ((r = SSL_connect(n->ssl)) != 1) {
        if (!ssl_wait(n, r)) {
            unsigned long e = ERR_get_error();
            char why[256];
            ERR_error_string_n(e, why, sizeof(why));
            log_kv(LOG_LVL_WARN, "tls handshake failed", "peer", n->peer, "error",
                   e ? why : "closed", NULL);
            ERR_clear_error();
            SSL_free(n->ssl);
            n->ssl = NULL;
            close(fd);
            n->fd = -1;
            return -ECONNABORTED;
        }
    }
    n->conn_id++;
    {
        struct buf up = BUF_INIT(0);
        int rc = buf_append(&up, &n->conn_id, sizeof(n->conn_id));
        if (rc == 0)
            rc = buf_puts(&up, n->peer);
        if (rc == 0)
            rc = psmsg_send(n->sp, PSMSG_UP, up.data, up.len);
        buf_release(&up);
        if (rc < 0)
            _exit(1);
    }
    log_kv(LOG_LVL_INFO, "connected", "peer", n->peer, NULL);
    return 0;
}

static int ssl_write_all(struct net *n, const void *p, size_t len)
{
    size_t done = 0;

    while (done < len) {
        int r = SSL_write(n->ssl, (const char *)p + done, (int)MIN(len - done, 1u << 30));
        if (r > 0)
            done += (size_t)r;
        else if (!ssl_wait(n, r))
            return -EIO;
    }
    return 0;
}

/* Relay complete frames in n->in to the collector. */
static int relay_frames(struct net *n)
{
    size_t pos = 0;
    int rc = 0;

    while (n->in.len - pos >= PROTO_HDR_LEN) {
        struct frame_hdr h;
        struct verr e;
        verr_init(&e);
        if (frame_hdr_parse((const uint8_t *)n->in.data + pos, &h, &e) < 0) {
            log_kv(LOG_LVL_WARN, "bad frame from server", "peer", n->peer, "error", e.msg, NULL);
            rc = -EPROTO;
            break;
        }
        if (n->in.len - pos < PROTO_HDR_LEN + (size_t)h.length)
            break;
        if (psmsg_send(n->sp, PSMSG_FRAME, n->in.data + pos, PROTO_HDR_LEN + h.length) < 0)
            _exit(1);
        pos += PROTO_HDR_LEN + h.length;
    }
    if (pos) {
        memmove(n->in.data, n->in.data + pos, n->in.len - pos);
        buf_truncate(&n->in, n->in.len - pos);
    }
    return rc;
}

static int read_server(struct net *n)
{
    char tmp[16384];

    for (;;) {
        int r = SSL_read(n->ssl, tmp, sizeof(tmp));
        if (r > 0) {
            if (buf_append(&n->in, tmp, (size_t)r) < 0)
                return -EMSGSIZE;
            if (relay_frames(n) < 0)
                return -EPROTO;
            continue;
        }
        int e = SSL_get_error(n->ssl, r);
        if (e == SSL_ERROR_WANT_READ)
            return 0;
        if (e == SSL_ERROR_WANT_WRITE)
            return wait_fd(n->fd, POLLOUT, IO_TIMEOUT_MS) > 0 ? 0 : -EIO;
        ERR_clear_error();
        return -ECONNRESET;
    }
}

/* A message from the collector. Returns -EPIPE when it is gone. */
static int from_collector(struct net *n)
{
    enum psmsg_type type;
    uint32_t id;
    int rc = psmsg_recv(n->sp, &type, &n->msg);

    if (rc < 0)
        return -EPIPE;
    switch (type) {
    case PSMSG_SEND:
        if (n->msg.len < sizeof(id) || !n->ssl)
            return 0;
        memcpy(&id, n->msg.data, sizeof(id));
        if (id != n->conn_id)
            return 0;
        if (ssl_write_all(n, n->msg.data + sizeof(id), n->msg.len - sizeof(id)) < 0)
            disconnect(n, "write failed");
        return 0;
    case PSMSG_RESET:
        disconnect(n, "reset by collector");
        return 0;
    default:
        return -EPIPE; /* the collector never sends the other types */
    }
}

/* Backoff with +-50 % jitter, so agents do not reconnect in lockstep. */
static uint32_t jitter(uint32_t ms)
{
    uint32_t r = 0;

    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = (uint32_t)vtime_mono_ns();
    return ms / 2 + (ms ? r % ms : 0);
}

/* Wait up to ms, still serving the collector. Returns -EPIPE when it left. */
static int idle(struct net *n, int ms)
{
    uint64_t end = vtime_mono_ns() + (uint64_t)ms * 1000000u;

    for (;;) {
        uint64_t now = vtime_mono_ns();
        if (now >= end)
            return 0;
        int r = wait_fd(n->sp, POLLIN, (int)((end - now) / 1000000u) + 1);
        if (r > 0 && from_collector(n) < 0)
            return -EPIPE;
    }
}

static int loop(struct net *n)
{
    uint32_t backoff = BACKOFF_MIN_MS;
    uint64_t up_since = 0;

    for (;;) {
        if (!n->ssl) {
            /* Back off after every failure, and after a connection that
             * did not last: a server that accepts and then closes (or
             * refuses the session) is not hammered. */
            if (up_since && idle(n, (int)jitter(backoff)) < 0)
                return 0;
            if (up_since)
                backoff = MIN(backoff * 2, n->o->backoff_max_ms);
            up_since = 0;
            if (try_connect(n) < 0) {
                if (idle(n, (int)jitter(backoff)) < 0)
                    return 0;
                backoff = MIN(backoff * 2, n->o->backoff_max_ms);
                continue;
            }
            up_since = vtime_mono_ns();
        }
        if (backoff > BACKOFF_MIN_MS && vtime_mono_ns() - up_since >= STABLE_NS)
            backoff = BACKOFF_MIN_MS;
        struct pollfd p[2] = {{n->sp, POLLIN, 0}, {n->fd, POLLIN, 0}};
        if (SSL_pending(n->ssl) == 0 && poll(p, 2, backoff > BACKOFF_MIN_MS ? 1000 : -1) < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && from_collector(n) < 0)
            return 0;
        if (n->ssl && (SSL_pending(n->ssl) || (p[1].revents & (POLLIN | POLLHUP | POLLERR)))) {
            int rc = read_server(n);
            if (rc < 0)
                disconnect(n, rc == -EPROTO || rc == -EMSGSIZE ? "bad frame" : "connection closed");
        }
    }
}

int uplink_run(int sp, const struct uplink_opts *o)
{
    struct net n = {0};
    int rc;

    n.sp = sp;
    n.o = o;
    n.fd = -1;
    buf_init(&n.in, PROTO_HDR_LEN + PROTO_MAX_WIRE + 16384);
    buf_init(&n.msg, PSMSG_MAX_LEN);
    pin_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    if (!(n.ctx = make_ctx(o))) {
        log_kv(LOG_LVL_ERROR, "cannot load the agent certificate or key", "cert", o->cert_path,
               "key", o->key_path, NULL);
        return 1;
    }
    /* Load what libc and OpenSSL would otherwise open later (the time zone
     * for certificate dates), and resolve while files (resolv.conf, hosts)
     * can still be read. */
    tzset();
    while (resolve(&n) < 0) {
        log_kv(LOG_LVL_WARN, "cannot resolve the server", "host", o->host, NULL);
        if (idle(&n, (int)jitter(o->backoff_max_ms)) < 0)
            return 0;
    }
    if ((rc = privsep_drop(o->user)) < 0) {
        log_kv(LOG_LVL_ERROR, "cannot drop privileges", "user", o->user ? o->user : "", "error",
               strerror(-rc), NULL);
        return 1;
    }
    if (o->seccomp && (rc = privsep_seccomp()) < 0) {
        log_kv(LOG_LVL_ERROR, "cannot install the seccomp filter", "error", strerror(-rc), NULL);
        return 1;
    }
    rc = loop(&n);
    if (n.ssl)
        SSL_free(n.ssl);
    if (n.fd >= 0)
        close(n.fd);
    SSL_CTX_free(n.ctx);
    buf_release(&n.in);
    buf_release(&n.msg);
    return rc;
}
