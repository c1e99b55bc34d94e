/*
 * NetFlow v9 / IPFIX benchmark: generates export packets (a 14-field
 * template with NAT fields, 28 records a packet, the template re-sent every
 * 64 packets) and
 *   nf_bench decode v9|ipfix PACKETS            decodes them from memory on one core;
 *   nf_bench replay v9|ipfix PACKETS THREADS    runs the collector on 127.0.0.1 and a
 *                                               forked sender blasting the packets over
 *                                               loopback (sendmmsg), then reports flows
 *                                               per CPU-second of the collector threads
 *                                               and the drops the collector counted;
 *   nf_bench send v9|ipfix PACKETS PORT         only sends (to a peer such as nfcapd).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/str.h"
#include "base/vtime.h"
#include "sensor/collector.h"

enum { POOL = 256, RECS = 28, REC_LEN = 48, SENDERS = 4, TPL_EVERY = 64 };

struct pkt {
    uint8_t b[1500];
    size_t len;
};

static struct pkt pool[POOL];
static bool ipfix;

static uint8_t *put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    return put16(p + 2, v & 0xffff);
}

static const unsigned tpl_fields[][2] = {{8, 4},  {12, 4}, {7, 2},   {11, 2}, {4, 1},
                                         {1, 8},  {2, 8},  {22, 4},  {21, 4}, {6, 1},
                                         {10, 2}, {14, 2}, {225, 4}, {227, 2}};

/* Packet i of the pool: header (seq patched at send time), the template
 * set on every TPL_EVERY-th packet, then one data set of RECS records. */
static void gen(unsigned i, uint32_t domain)
{
    uint8_t *b = pool[i].b, *p = b;
    p = put16(p, ipfix ? 10 : 9);
    p = put16(p, 0); /* count or length, patched below */
    if (!ipfix)
        p = put32(p, 3600000); /* sysUptime */
    p = put32(p, 1700000000);
    p = put32(p, 0); /* sequence */
    p = put32(p, domain);
    unsigned n_sets = 1;
    if (i % TPL_EVERY == 0) {
        uint8_t *s = p;
        p = put16(p, ipfix ? 2 : 0);
        p = put16(p, 0);
        p = put16(p, 256);
        p = put16(p, ARRAY_SIZE(tpl_fields));
        for (size_t f = 0; f < ARRAY_SIZE(tpl_fields); f++) {
            p = put16(p, tpl_fields[f][0]);
            p = put16(p, tpl_fields[f][1]);
        }
        put16(s + 2, (unsigned)(p - s));
        n_sets++;
    }
    uint8_t *s = p;
    p = put16(p, 256);
    p = put16(p, 0);
    for (unsigned r = 0; r < RECS; r++) {
        uint32_t k = i * RECS + r;
        p = put32(p, 0x64400000 | (k & 0xffff)); /* 100.64.x.x */
        p = put32(p, 0xcb007100 | (k % 251));    /* 203.0.113.x */
        p = put16(p, 1024 + k % 60000);
        p = put16(p, r % 2 ? 443 : 53);
        *p++ = r % 2 ? 6 : 17;
        p = put32(p, 0);
        p = put32(p, 1000 + k);
        p = put32(p, 0);
        p = put32(p, 10 + r);
        p = put32(p, 3590000);
        p = put32(p, 3599000);
        *p++ = 0x18;
        p = put16(p, 1);
        p = put16(p, 2);
        p = put32(p, 0xc6336400 | (k & 0xff)); /* 198.51.100.x */
        p = put16(p, 10000 + k % 50000);
    }
    put16(s + 2, (unsigned)(p - s));
    pool[i].len = (size_t)(p - b);
    put16(b + 2, ipfix ? (unsigned)pool[i].len : n_sets + RECS);
}

static void gen_all(uint32_t domain)
{
    for (unsigned i = 0; i < POOL; i++)
        gen(i, domain);
}

/* Sequence number of the n-th packet sent: packets (v9) or records (IPFIX). */
static void set_seq(uint8_t *b, uint64_t n)
{
    put32(b + (ipfix ? 8 : 12), (uint32_t)(ipfix ? n * RECS : n));
}

static uint64_t flows_seen;

static void count_obs(const struct obs *o, void *arg)
{
    (void)arg;
    flows_seen += o->bytes != 0;
}

static int cmd_decode(uint64_t n_packets)
{
    gen_all(1);
    struct nf_cache *c = nf_cache_new(NULL);
    struct ip_addr e = {.family = ADDR_V4, .v4 = 0x7f000001};
    uint64_t t0 = vtime_mono_ns();
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    uint64_t flows = 0;
    for (uint64_t i = 0; i < n_packets; i++) {
        struct pkt *pk = &pool[i % POOL];
        set_seq(pk->b, i);
        flows += nf_decode(c, &e, pk->b, pk->len, 1700000000, count_obs, NULL);
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    double wall = (double)(vtime_mono_ns() - t0) / 1e9;
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    const struct nf_counters *k = nf_cache_counters(c);
    printf("decode %s: %llu packets, %llu flows, wall %.3f s, cpu %.3f s, %.2f M flows/s per "
           "core, seq_gaps %llu, unknown_template %llu\n",
           ipfix ? "ipfix" : "v9", (unsigned long long)n_packets, (unsigned long long)flows, wall,
           cpu, (double)flows / cpu / 1e6, (unsigned long long)k->obs.seq_gaps,
           (unsigned long long)k->obs.unknown_template);
    nf_cache_free(c);
    return flows == n_packets * RECS && flows_seen == flows ? 0 : 1;
}

/* Send n_packets round-robin from SENDERS sockets (one domain each, so each
 * is its own exporter stream) to 127.0.0.1:port with sendmmsg. */
static void send_all(uint64_t n_packets, uint16_t port)
{
    int fds[SENDERS];
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    static struct pkt copies[SENDERS][64];
    struct mmsghdr mm[64];
    struct iovec iov[64];
    for (int s = 0; s < SENDERS; s++) {
        fds[s] = socket(AF_INET, SOCK_DGRAM, 0);
        int sb = 4 << 20;
        (void)setsockopt(fds[s], SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
        if (connect(fds[s], (struct sockaddr *)&to, sizeof to) < 0) {
            perror("connect");
            _exit(1);
        }
    }
    uint64_t per = n_packets / SENDERS, seq[SENDERS] = {0};
    for (uint64_t done = 0; done < per;) {
        unsigned batch = (unsigned)MIN((uint64_t)64, per - done);
        for (int s = 0; s < SENDERS; s++) {
            for (unsigned j = 0; j < batch; j++) {
                struct pkt *src = &pool[(seq[s] + j) % POOL], *cp = &copies[s][j];
                memcpy(cp->b, src->b, src->len);
                cp->len = src->len;
                put32(cp->b + (ipfix ? 12 : 16), (uint32_t)s + 1); /* domain */
                set_seq(cp->b, seq[s] + j);
                iov[j] = (struct iovec){.iov_base = cp->b, .iov_len = cp->len};
                memset(&mm[j], 0, sizeof mm[j]);
                mm[j].msg_hdr.msg_iov = &iov[j];
                mm[j].msg_hdr.msg_iovlen = 1;
            }
            for (unsigned sent = 0; sent < batch;) {
                int r = sendmmsg(fds[s], mm + sent, batch - sent, 0);
                if (r <= 0)
                    continue; /* ENOBUFS on loopback: retry */
                sent += (unsigned)r;
            }
            seq[s] += batch;
        }
        done += batch;
    }
}

static void on_obs(const struct obs *o, unsigned thread, void *arg)
{
    (void)o;
    (void)thread;
    (void)arg;
}

static int cmd_replay(uint64_t n_packets, unsigned threads)
{
    gen_all(1);
    struct collector_config cfg;
    collector_config_init(&cfg);
    cfg.listen = "127.0.0.1";
    cfg.port = 0;
    cfg.n_threads = threads;
    struct collector_handler h = {.on_obs = on_obs};
    struct collector *c;
    struct verr err;
    verr_init(&err);
    if (collector_start(&cfg, &h, &c, &err) < 0) {
        fprintf(stderr, "collector: %s\n", err.msg);
        return 2;
    }
    n_packets -= n_packets % SENDERS;
    uint64_t t0 = vtime_mono_ns();
    pid_t pid = fork();
    if (pid == 0) {
        send_all(n_packets, collector_port(c));
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    struct collector_counters k;
    uint64_t last = UINT64_MAX;
    for (int i = 0; i < 400; i++) { /* until quiet for 50 ms, at most 20 s */
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        collector_counters(c, &k);
        if (k.nf.packets + k.kernel_drops >= n_packets || k.nf.packets == last)
            break;
        last = k.nf.packets;
    }
    double wall = (double)(vtime_mono_ns() - t0) / 1e9;
    double cpu = (double)collector_cpu_ns(c) / 1e9;
    collector_counters(c, &k);
    printf("replay %s: %u threads, sent %llu packets (%llu flows); received %llu packets, %llu "
           "flows; kernel drops %llu; seq gaps %llu (lost %llu); wall %.3f s; collector cpu "
           "%.3f s; %.2f M flows/s per core\n",
           ipfix ? "ipfix" : "v9", collector_threads(c), (unsigned long long)n_packets,
           (unsigned long long)(n_packets * RECS), (unsigned long long)k.nf.packets,
           (unsigned long long)k.nf.obs.records, (unsigned long long)k.kernel_drops,
           (unsigned long long)k.nf.obs.seq_gaps, (unsigned long long)k.nf.obs.seq_lost, wall, cpu,
           (double)k.nf.obs.records / cpu / 1e6);
    collector_stop(c);
    return 0;
}

static uint64_t arg_u64(const char *s)
{
    uint64_t v;
    if (str_to_u64(s, strlen(s), UINT64_MAX, &v) < 0 || v == 0) {
        fprintf(stderr, "nf_bench: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[2], "v9") != 0 && strcmp(argv[2], "ipfix") != 0)) {
        fprintf(stderr, "usage: nf_bench decode|replay|send v9|ipfix PACKETS [THREADS|PORT]\n");
        return 2;
    }
    ipfix = strcmp(argv[2], "ipfix") == 0;
    uint64_t n = arg_u64(argv[3]);
    if (strcmp(argv[1], "decode") == 0)
        return cmd_decode(n);
    if (strcmp(argv[1], "replay") == 0)
        return cmd_replay(n, argc > 4 ? (unsigned)arg_u64(argv[4]) : 1);
    if (strcmp(argv[1], "send") == 0 && argc > 4) {
        gen_all(1);
        send_all(n - n % SENDERS, (uint16_t)arg_u64(argv[4]));
        return 0;
    }
    fprintf(stderr, "nf_bench: unknown command '%s'\n", argv[1]);
    return 2;
}
