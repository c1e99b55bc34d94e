/*
 * UDP collector for NetFlow/IPFIX (see collector.h): one SO_REUSEPORT socket
 * and one thread per core, recvmmsg batches, per-thread template caches.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/vtime.h"
#include "sensor/collector.h"

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

enum {
    COLL_DEFAULT_PORT = 2055,
    COLL_DEFAULT_RCVBUF = 32 << 20,
    COLL_DEFAULT_BATCH = 64,
    COLL_MAX_BATCH = 1024,
    COLL_DGRAM_MAX = 65536,
    COLL_IDLE_MS = 200,
};

struct coll_thread {
    struct collector *col;
    unsigned idx;
    int fd;
    ino_t ino; /* socket inode, to find its drops in /proc/net/udp */
    pthread_t tid;
    bool started;
    clockid_t cpu_clock;
    struct nf_cache *cache;
    uint64_t bytes, truncated_dgrams;
    uint32_t ovfl; /* last SO_RXQ_OVFL drop count seen */
    pthread_mutex_t mu;
    struct collector_counters pub; /* published after every batch, under mu */
    struct mmsghdr *msgs;
    struct iovec *iov;
    struct sockaddr_storage *names;
    uint8_t *bufs;
    uint8_t *ctl; /* control buffers, one per message */
};

struct collector {
    struct collector_config cfg;
    struct collector_handler h;
    unsigned n;
    uint16_t port;
    int stop_fd; /* eventfd: readable when stopping */
    int stop;    /* atomic flag */
    struct coll_thread th[];
};

#define COLL_CTL_LEN CMSG_SPACE(sizeof(uint32_t))

void collector_config_init(struct collector_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = "0.0.0.0";
    cfg->port = COLL_DEFAULT_PORT;
    cfg->rcvbuf = COLL_DEFAULT_RCVBUF;
    cfg->batch = COLL_DEFAULT_BATCH;
    nf_config_init(&cfg->nf);
}

static void on_flow(const struct obs *o, void *arg)
{
    struct coll_thread *t = arg;
    t->col->h.on_obs(o, t->idx, t->col->h.arg);
}

/* Exporter address of a received datagram; IPv4-mapped IPv6 becomes IPv4. */
static void exporter_addr(const struct sockaddr_storage *ss, struct ip_addr *ret)
{
    memset(ret, 0, sizeof *ret);
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)ss;
        ret->family = ADDR_V4;
        ret->v4 = ntohl(sin->sin_addr.s_addr);
    } else if (ss->ss_family == AF_INET6) {
        const uint8_t *b = ((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr.s6_addr;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        *ret = memcmp(b, mapped, 12) == 0 ? ip4_from_bytes(b + 12) : ip6_from_bytes(b);
    }
}

static void publish(struct coll_thread *t)
{
    pthread_mutex_lock(&t->mu);
    t->pub.nf = *nf_cache_counters(t->cache);
    t->pub.bytes = t->bytes;
    t->pub.truncated_dgrams = t->truncated_dgrams;
    t->pub.kernel_drops = t->ovfl;
    pthread_mutex_unlock(&t->mu);
}

static void reset_msgs(struct coll_thread *t, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        t->msgs[i].msg_hdr.msg_namelen = sizeof t->names[i];
        t->msgs[i].msg_hdr.msg_controllen = COLL_CTL_LEN;
        t->msgs[i].msg_hdr.msg_flags = 0;
    }
}

static void handle_batch(struct coll_thread *t, unsigned n)
{
    int64_t now = vtime_now();
    for (unsigned i = 0; i < n; i++) {
        struct msghdr *mh = &t->msgs[i].msg_hdr;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL &&
                cm->cmsg_len >= CMSG_LEN(sizeof(uint32_t)))
                memcpy(&t->ovfl, CMSG_DATA(cm), sizeof t->ovfl);
        }
        if (mh->msg_flags & MSG_TRUNC) {
            t->truncated_dgrams++;
            continue;
        }
        struct ip_addr exp;
        exporter_addr(&t->names[i], &exp);
        t->bytes += t->msgs[i].msg_len;
        nf_decode(t->cache, &exp, t->bufs + (size_t)i * COLL_DGRAM_MAX, t->msgs[i].msg_len, now,
                  on_flow, t);
    }
}

static void *coll_main(void *arg)
{
    struct coll_thread *t = arg;
    struct collector *col = t->col;
    unsigned batch = col->cfg.batch;
    struct pollfd pfd[2] = {{.fd = t->fd, .events = POLLIN},
                            {.fd = col->stop_fd, .events = POLLIN}};

    while (!__atomic_load_n(&col->stop, __ATOMIC_ACQUIRE)) {
        reset_msgs(t, batch);
        int n = recvmmsg(t->fd, t->msgs, batch, MSG_DONTWAIT, NULL);
        if (n > 0) {
            handle_batch(t, (unsigned)n);
            publish(t);
            if (col->h.on_batch)
                col->h.on_batch(t->idx, col->h.arg);
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            /* A transient socket error (ICMP-induced, ENOMEM): wait, then retry. */
            poll(pfd + 1, 1, 10);
            continue;
        }
        int r = poll(pfd, 2, COLL_IDLE_MS);
        if (r == 0) {
            nf_cache_expire(t->cache, vtime_now());
            publish(t);
            if (col->h.on_batch)
                col->h.on_batch(t->idx, col->h.arg);
        }
    }
    publish(t);
    return NULL;
}

static int open_socket(const struct collector_config *cfg, uint16_t port, int *ret_fd,
                       uint16_t *ret_port, struct verr *err)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&ss;
    if (inet_pton(AF_INET, cfg->listen, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        sl = sizeof *sin;
    } else if (inet_pton(AF_INET6, cfg->listen, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        sl = sizeof *sin6;
    } else {
        return verr_set(err, -EINVAL, _("bad listen address '%s'"), cfg->listen);
    }
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return verr_set(err, -errno, _("socket: %s"), strerror(errno));
    int one = 1, zero = 0, rb = cfg->rcvbuf;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
        int e = errno;
        close(fd);
        return verr_set(err, -e, _("SO_REUSEPORT: %s"), strerror(e));
    }
    if (ss.ss_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    /* The buffer is best effort: FORCE needs CAP_NET_ADMIN, plain is capped
     * by net.core.rmem_max. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof rb) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
    (void)setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
        int e = errno;
        close(fd);
        return verr_set(err, -e, _("bind %s port %u: %s"), cfg->listen, (unsigned)port,
                        strerror(e));
    }
    struct sockaddr_storage got;
    socklen_t gl = sizeof got;
    if (getsockname(fd, (struct sockaddr *)&got, &gl) < 0) {
        int e = errno;
        close(fd);
        return verr_set(err, -e, _("socket: %s"), strerror(e));
    }
    *ret_port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)(void *)&got)->sin6_port
                                                : ((struct sockaddr_in *)(void *)&got)->sin_port);
    *ret_fd = fd;
    return 0;
}

static void thread_buffers(struct coll_thread *t, unsigned batch)
{
    t->msgs = xcalloc(batch, sizeof *t->msgs);
    t->iov = xcalloc(batch, sizeof *t->iov);
    t->names = xcalloc(batch, sizeof *t->names);
    t->bufs = xmalloc((size_t)batch * COLL_DGRAM_MAX);
    t->ctl = xcalloc(batch, COLL_CTL_LEN);
    for (unsigned i = 0; i < batch; i++) {
        t->iov[i].iov_base = t->bufs + (size_t)i * COLL_DGRAM_MAX;
        t->iov[i].iov_len = COLL_DGRAM_MAX;
        struct msghdr *mh = &t->msgs[i].msg_hdr;
        mh->msg_name = &t->names[i];
        mh->msg_iov = &t->iov[i];
        mh->msg_iovlen = 1;
        mh->msg_control = t->ctl + (size_t)i * COLL_CTL_LEN;
    }
}

static void thread_release(struct coll_thread *t)
{
    if (t->fd >= 0)
        close(t->fd);
    nf_cache_free(t->cache);
    free(t->msgs);
    free(t->iov);
    free(t->names);
    free(t->bufs);
    free(t->ctl);
    pthread_mutex_destroy(&t->mu);
}

void collector_stop(struct collector *c)
{
    if (!c)
        return;
    __atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
    uint64_t one = 1;
    if (write(c->stop_fd, &one, sizeof one) < 0) {
        /* The eventfd cannot be full here; threads also see the flag within COLL_IDLE_MS. */
    }
    for (unsigned i = 0; i < c->n; i++) {
        if (c->th[i].started)
            pthread_join(c->th[i].tid, NULL);
        thread_release(&c->th[i]);
    }
    close(c->stop_fd);
    free(c);
}

int collector_start(const struct collector_config *cfg, const struct collector_handler *h,
                    struct collector **ret, struct verr *err)
{
    if (!h || !h->on_obs)
        return verr_set(err, -EINVAL, "%s", _("collector: no handler"));
    unsigned n = cfg->n_threads;
    if (n == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus > 0 ? (unsigned)cpus : 1;
    }
    n = MIN(n, COLLECTOR_MAX_THREADS);
    struct collector *c = xcalloc(1, sizeof *c + (size_t)n * sizeof c->th[0]);
    c->cfg = *cfg;
    c->h = *h;
    c->n = n;
    if (c->cfg.batch == 0)
        c->cfg.batch = COLL_DEFAULT_BATCH;
    c->cfg.batch = MIN(c->cfg.batch, (unsigned)COLL_MAX_BATCH);
    if (c->cfg.rcvbuf <= 0)
        c->cfg.rcvbuf = COLL_DEFAULT_RCVBUF;
    if (!c->cfg.listen)
        c->cfg.listen = "0.0.0.0";
    c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (c->stop_fd < 0) {
        int e = errno;
        free(c);
        return verr_set(err, -e, _("eventfd: %s"), strerror(e));
    }
    for (unsigned i = 0; i < n; i++) {
        c->th[i].fd = -1;
        pthread_mutex_init(&c->th[i].mu, NULL);
    }
    c->port = cfg->port;
    int r = 0;
    for (unsigned i = 0; i < n && r == 0; i++) {
        struct coll_thread *t = &c->th[i];
        t->col = c;
        t->idx = i;
        r = open_socket(&c->cfg, c->port, &t->fd, &c->port, err);
        if (r < 0)
            break;
        struct stat st;
        if (fstat(t->fd, &st) == 0)
            t->ino = st.st_ino;
        t->cache = nf_cache_new(&c->cfg.nf);
        thread_buffers(t, c->cfg.batch);
    }
    for (unsigned i = 0; i < n && r == 0; i++) {
        struct coll_thread *t = &c->th[i];
        int e = pthread_create(&t->tid, NULL, coll_main, t);
        if (e) {
            r = verr_set(err, -e, _("thread: %s"), strerror(e));
            break;
        }
        t->started = true;
        if (pthread_getcpuclockid(t->tid, &t->cpu_clock) != 0)
            t->cpu_clock = (clockid_t)-1;
    }
    if (r < 0) {
        collector_stop(c);
        return r;
    }
    *ret = c;
    return 0;
}

uint16_t collector_port(const struct collector *c)
{
    return c->port;
}

unsigned collector_threads(const struct collector *c)
{
    return c->n;
}

/* Drops of our sockets from /proc/net/udp and udp6 (the "drops" column),
 * matched by socket inode: current even when no datagram came after them. */
static uint64_t proc_drops(const struct collector *c)
{
    static const char *const files[] = {"/proc/net/udp", "/proc/net/udp6"};
    uint64_t total = 0;
    for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
        FILE *fp = fopen(files[f], "re");
        if (!fp)
            continue;
        char line[512];
        while (fgets(line, sizeof line, fp)) {
            unsigned long inode = 0;
            unsigned long long drops = 0;
            /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops */
            if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %lu %*s %*s %llu", &inode,
                       &drops) != 2)
                continue;
            for (unsigned i = 0; i < c->n; i++)
                if (c->th[i].fd >= 0 && (unsigned long)c->th[i].ino == inode)
                    total += drops;
        }
        fclose(fp);
    }
    return total;
}

void collector_counters(struct collector *c, struct collector_counters *ret)
{
    struct collector_counters sum;
    memset(&sum, 0, sizeof sum);
    for (unsigned i = 0; i < c->n; i++) {
        struct coll_thread *t = &c->th[i];
        pthread_mutex_lock(&t->mu);
        nf_counters_add(&sum.nf, &t->pub.nf);
        sum.bytes += t->pub.bytes;
        sum.kernel_drops += t->pub.kernel_drops;
        sum.truncated_dgrams += t->pub.truncated_dgrams;
        pthread_mutex_unlock(&t->mu);
    }
    sum.kernel_drops = MAX(sum.kernel_drops, proc_drops(c));
    *ret = sum;
}

uint64_t collector_cpu_ns(struct collector *c)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < c->n; i++) {
        struct timespec ts;
        if (c->th[i].started && c->th[i].cpu_clock != (clockid_t)-1 &&
            clock_gettime(c->th[i].cpu_clock, &ts) == 0)
            total += (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    }
    return total;
}
