/*
 * The sensor's log and capture inputs: decoders that turn text lines
 * (nfdump CSV, Suricata EVE JSON, firewall/NAT logs, DNS query logs) and
 * captured packets (pcap files, live capture) into struct obs (flow.h).
 *
 * Line inputs keep a small per-stream state (struct input: the nfdump CSV
 * header mapping, the reference time for syslog year inference, scratch
 * space for normalised names). The caller splits the stream into lines and
 * hands them over one at a time; every observation is passed to an emit
 * callback, synchronously. The struct obs and the strings it points to
 * (qname, rule) are valid only during that callback: copy what you keep.
 *
 * Everything from outside is bounded: line length (INPUT_LINE_MAX), field
 * counts, JSON depth, DNS name length (255) and labels (63), compression
 * pointer hops. A malformed line or packet is counted (obs_counters) and
 * skipped; well-formed lines of no interest count as skipped. Nothing here
 * allocates per line except the EVE decoder (jansson).
 */
#ifndef VIGIL_SENSOR_INPUT_H
#define VIGIL_SENSOR_INPUT_H

#include <signal.h>

#include "base/common.h"
#include "base/err.h"
#include "intel/domainset.h"
#include "sensor/flow.h"

enum input_format {
    INPUT_NFDUMP_CSV = 1, /* `nfdump -o csv` output, columns mapped by the header line */
    INPUT_EVE,            /* Suricata EVE JSON lines: flow, alert, dns, tls */
    INPUT_FIREWALL,       /* iptables/nftables LOG lines, key=value (FortiGate ...) */
    INPUT_DNS_BIND,       /* BIND query log */
    INPUT_DNS_UNBOUND,    /* Unbound query log (log-queries: yes) */
};

/* Longest line accepted; longer lines are counted as truncated and skipped. */
#define INPUT_LINE_MAX 65536
/* Deepest JSON nesting accepted in an EVE line. */
#define INPUT_JSON_DEPTH 32
/* Most columns read from an nfdump CSV header or data line. */
#define INPUT_NFDUMP_COLS 128

/* Receives each observation; o and its strings are valid only during the call. */
typedef void (*input_emit_fn)(const struct obs *o, void *ctx);

/* Columns of an nfdump CSV line the decoder reads (index into col[]). */
enum nfdump_col {
    NFC_TS,
    NFC_TE,
    NFC_SA,
    NFC_DA,
    NFC_SP,
    NFC_DP,
    NFC_PR,
    NFC_IPKT,
    NFC_IBYT,
    NFC_XSA, /* NAT: post-NAT source address and port (nsa/nsp or xsa/xsp) */
    NFC_XDA,
    NFC_XSP,
    NFC_XDP,
    NFC__MAX,
};

/* Per-stream decoder state. Fill with input_init(); the fields marked
 * "settable" may be changed after that. */
struct input {
    enum input_format format;
    /* settable: the time RFC 3164 / Unbound-ascii timestamps (no year) are
     * placed near: a timestamp more than 7 days ahead of it is taken as
     * last year. 0 means the wall clock at each line. */
    int64_t ref_ms;
    /* settable: seconds east of UTC for local times without a zone (RFC
     * 3164, BIND, nfdump); default Asia/Ho_Chi_Minh, 7 * 3600. */
    int32_t tz_offset_s;
    /* nfdump: column of each field in the current header (-1 if absent;
     * nfdump 1.7's default order until a header is seen), and whether the
     * trailing summary block has begun. */
    bool in_summary;
    int16_t col[NFC__MAX];
    /* scratch for the current line's normalised name and rule text */
    char qname[DOMAIN_MAX + 1];
    char rule[256];
};

/* Parse a format name: "nfdump-csv" (or "nfdump"), "eve", "firewall",
 * "bind", "unbound". Returns 0 and sets *ret, or -EINVAL. */
int input_format_parse(const char *name, enum input_format *ret) WUR;
/* The canonical name of a format, as input_format_parse() accepts it. */
const char *input_format_name(enum input_format f);

/* Initialise state for one stream of the given format. No allocation;
 * nothing to release. */
void input_init(struct input *in, enum input_format f);

/*
 * Decode one line (without its newline; a trailing '\r' is ignored) of
 * in->format. Calls emit 0..n times, in order, with obs.line = lineno.
 * Counts in c: records per observation, malformed for lines that do not
 * parse, truncated for lines longer than INPUT_LINE_MAX, skipped for
 * well-formed lines of no interest (blank lines, nfdump summaries, EVE
 * event types not decoded, log lines of other programs).
 */
void input_line(struct input *in, const char *line, size_t len, uint64_t lineno, input_emit_fn emit,
                void *ctx, struct obs_counters *c);

/*
 * Decode one captured frame of a pcap link type (DLT_EN10MB with 802.1Q/ad
 * VLAN tags, DLT_LINUX_SLL, DLT_RAW / LINKTYPE_RAW, DLT_NULL) carrying
 * IPv4 or IPv6 and TCP, UDP or another protocol. Emits one OBS_FLOW
 * (packets 1, bytes wire_len), plus OBS_DNS for a UDP/53 query's question
 * name and OBS_TLS for the SNI of a TLS ClientHello wholly in this TCP
 * segment. ts_ms is the capture time; index goes to obs.line. Malformed or
 * truncated frames are counted and skipped; other link types and non-IP
 * frames are counted as skipped.
 */
void pcap_packet(int linktype, const uint8_t *p, size_t caplen, size_t wire_len, int64_t ts_ms,
                 uint64_t index, input_emit_fn emit, void *ctx, struct obs_counters *c);

/* Read a pcap (or pcapng) file and decode every frame as pcap_packet().
 * Returns 0, or a negative errno with e filled (cannot open, bad file). */
int pcap_input_file(const char *path, input_emit_fn emit, void *ctx, struct obs_counters *c,
                    struct verr *e) WUR;

/* Capture live on ifname with an optional BPF filter (NULL or "" for all)
 * until *stop becomes non-zero (checked at least every 200 ms), decoding
 * every frame as pcap_packet(). Returns 0 when stopped, or a negative errno
 * with e filled (no such interface, no permission, bad filter). */
int pcap_input_live(const char *ifname, const char *bpf_filter, volatile sig_atomic_t *stop,
                    input_emit_fn emit, void *ctx, struct obs_counters *c, struct verr *e) WUR;

#endif
