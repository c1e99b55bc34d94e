/*
 * Subscriber attribution benchmark (bench/README.md, "Subscriber
 * attribution"): N addresses with K leases each through attrib_add() (a
 * lease of 12 hours every 8 hours, so each overlaps the next; the client
 * changes every second lease, so there are renewals and reassignments),
 * attrib_build(), plus an ipset of M addresses; then timed lookups.
 * Prints build time, lookups/s, CPU time and peak RSS.
 *
 *   attrib_bench [ADDRESSES [LEASES_PER_ADDRESS [IPSET_ENTRIES [LOOKUPS]]]]
 *   defaults: 2000000 5 1000000 5000000
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "base/str.h"
#include "base/vtime.h"
#include "intel/ipset.h"
#include "sensor/attrib.h"

#define T0   1795046400000LL /* 2026-11-19 00:00 UTC, ms */
#define HOUR 3600000LL

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t arg(int argc, char **argv, int i, uint64_t def)
{
    uint64_t v;
    if (argc <= i)
        return def;
    if (str_to_u64(argv[i], strlen(argv[i]), UINT32_MAX, &v) < 0) {
        fprintf(stderr, "attrib_bench: bad number '%s'\n", argv[i]);
        exit(2);
    }
    return v;
}

static double secs(uint64_t ns)
{
    return (double)ns / 1e9;
}

static double cpu_secs(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static uint32_t addr_of(uint64_t i)
{
    return 0x64400000u + (uint32_t)i; /* from 100.64.0.0 (CGNAT space) up */
}

int main(int argc, char **argv)
{
    uint64_t n_addr = arg(argc, argv, 1, 2000000), per = arg(argc, argv, 2, 5);
    uint64_t n_set = arg(argc, argv, 3, 1000000), n_look = arg(argc, argv, 4, 5000000);

    uint64_t t0 = vtime_mono_ns();
    double c0 = cpu_secs();
    struct attrib *a = attrib_new();
    /* In time order, as logs are: each round of leases across all addresses. */
    for (uint64_t k = 0; k < per; k++) {
        for (uint64_t i = 0; i < n_addr; i++) {
            struct ip_prefix p = {.addr = {.family = ADDR_V4, .v4 = addr_of(i)}, .len = 32};
            char mac[18], host[32];
            uint64_t client = (i * 2654435761u + k / 2) % (n_addr + n_addr / 4 + 1);
            snprintf(mac, sizeof(mac), "02:%02x:%02x:%02x:%02x:%02x",
                     (unsigned)(client >> 32) & 255, (unsigned)(client >> 24) & 255,
                     (unsigned)(client >> 16) & 255, (unsigned)(client >> 8) & 255,
                     (unsigned)client & 255);
            snprintf(host, sizeof(host), "host-%llu", (unsigned long long)client);
            struct subscriber s = {.user = host, .calling_id = mac, .source = "dhcp"};
            int64_t start = T0 + (int64_t)k * 8 * HOUR;
            if (attrib_add(a, &p, start, start + 12 * HOUR, &s) != 0) {
                fprintf(stderr, "attrib_bench: attrib_add failed\n");
                return 1;
            }
        }
    }
    uint64_t t1 = vtime_mono_ns();
    if (attrib_build(a) != 0) {
        fprintf(stderr, "attrib_bench: attrib_build failed\n");
        return 1;
    }
    uint64_t t2 = vtime_mono_ns();
    double c2 = cpu_secs();

    struct ipset *set = ipset_new();
    for (uint64_t i = 0; i < n_set; i++) {
        struct ip_prefix p = {.addr = {.family = ADDR_V4, .v4 = (uint32_t)rnd()}, .len = 32};
        if (i % 10 == 0) {
            p.addr.family = ADDR_V6;
            p.addr.v6.hi = 0x20010db800000000ULL | (rnd() & 0xffffffffULL);
            p.addr.v6.lo = rnd();
            p.len = 128;
        }
        if (ipset_add(set, &p, (uint32_t)i) != 0) {
            fprintf(stderr, "attrib_bench: ipset_add failed\n");
            return 1;
        }
    }
    if (ipset_build(set) != 0) {
        fprintf(stderr, "attrib_bench: ipset_build failed\n");
        return 1;
    }
    uint64_t t3 = vtime_mono_ns();

    /* Lookups: 3 in 4 at an address of the index, at times across the leases. */
    uint64_t hits = 0;
    double c3 = cpu_secs();
    uint64_t t4 = vtime_mono_ns();
    for (uint64_t q = 0; q < n_look; q++) {
        uint64_t r = rnd();
        struct ip_addr ip = {.family = ADDR_V4,
                             .v4 = r % 4 ? addr_of((r >> 8) % n_addr) : (uint32_t)(r >> 16)};
        int64_t t =
            T0 - HOUR + (int64_t)((r >> 24) % (uint64_t)((int64_t)per * 8 * HOUR + 6 * HOUR));
        struct subscriber s;
        hits += attrib_lookup(a, &ip, t, &s);
    }
    uint64_t t5 = vtime_mono_ns();
    double c5 = cpu_secs();

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const struct attrib_counters *c = attrib_counters(a);
    printf("addresses %llu, leases added %llu, intervals after build %llu\n",
           (unsigned long long)n_addr, (unsigned long long)c->records,
           (unsigned long long)c->intervals);
    printf("add %.2f s, build %.2f s (wall), add+build CPU %.2f s\n", secs(t1 - t0), secs(t2 - t1),
           c2 - c0);
    printf("ipset %llu entries built in %.2f s, %zu MB\n", (unsigned long long)ipset_count(set),
           secs(t3 - t2), ipset_memory(set) >> 20);
    printf("index memory %zu MB\n", attrib_memory(a) >> 20);
    printf("lookups %llu in %.2f s wall, %.2f s CPU: %.2f M/s (%llu hits)\n",
           (unsigned long long)n_look, secs(t5 - t4), c5 - c3, (double)n_look / secs(t5 - t4) / 1e6,
           (unsigned long long)hits);
    printf("peak RSS %ld MB\n", ru.ru_maxrss / 1024);
    ipset_free(set);
    attrib_free(a);
    return 0;
}
