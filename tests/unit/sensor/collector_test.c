/* The UDP collector on 127.0.0.1: real sockets, N packets sent, every record received. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sensor/collector.h"

#define N_PACKETS       300
#define RECS_PER_PACKET 3

static uint64_t n_obs;      /* atomic */
static uint64_t sum_sport;  /* atomic: checks every record's content arrived */
static uint64_t n_batches;  /* atomic */
static uint64_t bad_thread; /* atomic */

static void on_obs(const struct obs *o, unsigned thread, void *arg)
{
    (void)arg;
    if (thread >= 2) /* checked on the main thread: no cmocka asserts off it */
        __atomic_add_fetch(&bad_thread, 1, __ATOMIC_RELAXED);
    if (o->source == SRC_NETFLOW5 && o->src.v4 == 0x0a000001 && o->proto == 17)
        __atomic_add_fetch(&sum_sport, o->sport, __ATOMIC_RELAXED);
    __atomic_add_fetch(&n_obs, 1, __ATOMIC_RELAXED);
}

static void on_batch(unsigned thread, void *arg)
{
    (void)thread;
    (void)arg;
    __atomic_add_fetch(&n_batches, 1, __ATOMIC_RELAXED);
}

static size_t v5_packet(uint8_t *b, uint32_t seq, unsigned first_sport)
{
    memset(b, 0, 24 + RECS_PER_PACKET * 48);
    b[1] = 5;
    b[3] = RECS_PER_PACKET;
    b[12] = (uint8_t)(seq >> 24);
    b[13] = (uint8_t)(seq >> 16);
    b[14] = (uint8_t)(seq >> 8);
    b[15] = (uint8_t)seq;
    for (unsigned r = 0; r < RECS_PER_PACKET; r++) {
        uint8_t *p = b + 24 + r * 48;
        p[0] = 10;
        p[3] = 1; /* src 10.0.0.1 */
        unsigned sport = first_sport + r;
        p[32] = (uint8_t)(sport >> 8);
        p[33] = (uint8_t)sport;
        p[38] = 17;
    }
    return 24 + RECS_PER_PACKET * 48;
}

static void wait_for(struct collector *c, struct collector_counters *k, uint64_t packets)
{
    struct timespec ts = {0, 5 * 1000 * 1000};
    for (int i = 0; i < 1000; i++) { /* at most 5 s */
        collector_counters(c, k);
        if (k->nf.packets >= packets)
            return;
        nanosleep(&ts, NULL);
    }
}

static void test_receive_all(void **state)
{
    (void)state;
    struct collector_config cfg;
    collector_config_init(&cfg);
    assert_int_equal(cfg.port, 2055);
    cfg.listen = "127.0.0.1";
    cfg.port = 0;
    cfg.n_threads = 2;
    cfg.batch = 16;
    struct collector_handler h = {.on_obs = on_obs, .on_batch = on_batch};
    struct collector *c = NULL;
    struct verr err;
    verr_init(&err);
    int r = collector_start(&cfg, &h, &c, &err);
    assert_int_equal(r, 0);
    assert_int_equal(collector_threads(c), 2);
    uint16_t port = collector_port(c);
    assert_true(port != 0);

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint8_t b[24 + RECS_PER_PACKET * 48];
    uint64_t want_sum = 0;
    struct timespec pause = {0, 200 * 1000};
    for (unsigned i = 0; i < N_PACKETS; i++) {
        size_t n = v5_packet(b, i * RECS_PER_PACKET, 1000 + i);
        for (unsigned k = 0; k < RECS_PER_PACKET; k++)
            want_sum += 1000 + i + k;
        assert_int_equal(sendto(fd, b, n, 0, (struct sockaddr *)&to, sizeof to), (ssize_t)n);
        if (i % 32 == 31)
            nanosleep(&pause, NULL); /* stay well inside the socket buffer */
    }
    /* One malformed datagram (unknown version) and one truncated v9 header. */
    static const uint8_t junk[24] = {0, 7};
    static const uint8_t v9short[8] = {0, 9};
    assert_int_equal(sendto(fd, junk, sizeof junk, 0, (struct sockaddr *)&to, sizeof to), 24);
    assert_int_equal(sendto(fd, v9short, sizeof v9short, 0, (struct sockaddr *)&to, sizeof to), 8);

    struct collector_counters k;
    wait_for(c, &k, N_PACKETS + 2);
    assert_int_equal(k.nf.packets, N_PACKETS + 2);
    assert_int_equal(k.nf.obs.records, N_PACKETS * RECS_PER_PACKET);
    assert_int_equal(__atomic_load_n(&n_obs, __ATOMIC_RELAXED), N_PACKETS * RECS_PER_PACKET);
    assert_int_equal(__atomic_load_n(&sum_sport, __ATOMIC_RELAXED), want_sum);
    assert_int_equal(k.nf.obs.malformed, 1);
    assert_int_equal(k.nf.bad_version, 1);
    assert_int_equal(k.nf.obs.truncated, 1);
    assert_int_equal(k.nf.obs.seq_gaps, 0);
    assert_int_equal(k.kernel_drops, 0);
    assert_int_equal(k.bytes, (uint64_t)N_PACKETS * sizeof b + 24 + 8);
    assert_true(__atomic_load_n(&n_batches, __ATOMIC_RELAXED) >= 1);
    assert_true(collector_cpu_ns(c) > 0);
    assert_int_equal(__atomic_load_n(&bad_thread, __ATOMIC_RELAXED), 0);
    close(fd);
    collector_stop(c);
}

/* Start a one-thread collector on listen, any free port. */
static int start1(const char *listen, struct collector **ret, struct verr *err)
{
    struct collector_config cfg;
    collector_config_init(&cfg);
    cfg.listen = listen;
    cfg.port = 0;
    cfg.n_threads = 1;
    struct collector_handler h = {.on_obs = on_obs};
    verr_init(err);
    return collector_start(&cfg, &h, ret, err);
}

static void test_bad_listen_address(void **state)
{
    (void)state;
    struct collector *c = NULL;
    struct verr err;
    assert_int_equal(start1("not-an-address", &c, &err), -EINVAL);
    assert_null(c);
    assert_non_null(strstr(err.msg, "not-an-address"));
}

static void test_ipv6_dual_stack(void **state)
{
    (void)state;
    struct collector *c = NULL;
    struct verr err;
    if (start1("::", &c, &err) < 0)
        skip(); /* no IPv6 on this host */
    uint64_t before = __atomic_load_n(&n_obs, __ATOMIC_RELAXED);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(collector_port(c))};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint8_t b[24 + RECS_PER_PACKET * 48];
    size_t n = v5_packet(b, 0, 1);
    assert_int_equal(sendto(fd, b, n, 0, (struct sockaddr *)&to, sizeof to), (ssize_t)n);
    struct collector_counters k;
    wait_for(c, &k, 1);
    assert_int_equal(k.nf.obs.records, RECS_PER_PACKET);
    assert_int_equal(__atomic_load_n(&n_obs, __ATOMIC_RELAXED) - before, RECS_PER_PACKET);
    close(fd);
    collector_stop(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receive_all),
        cmocka_unit_test(test_bad_listen_address),
        cmocka_unit_test(test_ipv6_dual_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
