/*
 * The sensor's observation records: what every input (NetFlow v5/v9, IPFIX,
 * nfdump CSV, Suricata EVE, firewall/NAT logs, DNS logs, pcap) is decoded
 * into before matching and attribution. Plain structs, no allocation: a
 * decoder fills records in a caller-provided array (a batch) and strings
 * point into the input buffer or a per-batch arena, valid until the next
 * batch.
 */
#ifndef VIGIL_SENSOR_FLOW_H
#define VIGIL_SENSOR_FLOW_H

#include "base/addr.h"
#include "base/common.h"

enum obs_kind {
    OBS_FLOW = 1, /* a flow or connection (NetFlow, IPFIX, nfdump, EVE flow, firewall log) */
    OBS_DNS,      /* a DNS query (BIND, Unbound, EVE dns) */
    OBS_TLS,      /* a TLS handshake with SNI (EVE tls, pcap) */
    OBS_ALERT,    /* an IDS alert (EVE alert) */
};

enum obs_source {
    SRC_NETFLOW5 = 1,
    SRC_NETFLOW9,
    SRC_IPFIX,
    SRC_NFDUMP_CSV,
    SRC_EVE,
    SRC_FIREWALL,
    SRC_DNSLOG,
    SRC_PCAP,
};

/* One observation. Unknown numeric fields are 0; unknown strings NULL. */
struct obs {
    enum obs_kind kind;
    enum obs_source source;
    int64_t ts_ms;           /* start (or only) time, Unix milliseconds */
    int64_t end_ms;          /* end time for flows; 0 unknown */
    struct ip_addr src, dst; /* family 0 when absent */
    uint16_t sport, dport;
    uint8_t proto;           /* IANA protocol number: 6 tcp, 17 udp, 1 icmp ... */
    uint64_t packets, bytes;
    /* CGNAT / NAT translation (NetFlow v9/IPFIX IE 225-228, 230, 361-364;
     * firewall NAT logs): the post-NAT (outside) addresses. nat_event 0 none. */
    struct ip_addr xsrc, xdst;
    uint16_t xsport, xdport;
    uint8_t nat_event;
    uint16_t port_range_start, port_range_end; /* IE 361/362 port block */
    const char *qname;   /* DNS query name or TLS SNI, lower-case, no trailing dot */
    size_t qname_len;
    const char *rule;    /* alert signature or firewall rule/action; NULL none */
    size_t rule_len;
    uint32_t exporter;   /* collector: exporter IPv4 (or hash of IPv6) and */
    uint32_t domain;     /* observation domain / source id */
    uint64_t line;       /* 1-based line number for text inputs, else record index */
};

/* Per-input counters; every skipped or malformed unit is counted, never fatal. */
struct obs_counters {
    uint64_t records;        /* observations produced */
    uint64_t malformed;      /* lines/packets/records rejected as malformed */
    uint64_t truncated;      /* lengths past the end of the packet or line */
    uint64_t unknown_template;
    uint64_t template_evicted; /* templates dropped by the bound or expiry */
    uint64_t seq_gaps;       /* missing export packets by sequence number */
    uint64_t seq_lost;       /* records (v5/v9) or packets (IPFIX: records) lost in gaps */
    uint64_t skipped;        /* well-formed but not of interest */
};

#endif
