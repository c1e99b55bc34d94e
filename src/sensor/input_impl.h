/* Internals shared by the line decoders (input_*.c); not a public API. */
#ifndef VIGIL_SENSOR_INPUT_IMPL_H
#define VIGIL_SENSOR_INPUT_IMPL_H

#include "sensor/input.h"

/* A (pointer, length) view of part of a line. */
struct span {
    const char *p;
    size_t len;
};

/* Count o and pass it on. */
static inline void input_emit(const struct obs *o, input_emit_fn emit, void *ctx,
                              struct obs_counters *c)
{
    c->records++;
    emit(o, ctx);
}

/* IANA protocol number of a name ("TCP", "udp", "ICMP6", "IPv6-ICMP", ...)
 * or a decimal 0..255. Returns 0 or -EINVAL. */
int input_proto(const char *p, size_t len, uint8_t *ret) WUR;
/* Parse an address, allowing surrounding brackets ("[2001:db8::1]"). */
bool input_addr(const char *p, size_t len, struct ip_addr *ret);
/* Parse a decimal port 0..65535. */
bool input_port(const char *p, size_t len, uint16_t *ret);
/* Normalise a DNS name into buf and point o at it. Returns false for a
 * name that is not a valid host name (see domain_normalize()). */
bool input_name(char buf[static DOMAIN_MAX + 1], struct obs *o, const char *p, size_t len);
static inline bool input_set_qname(struct input *in, struct obs *o, const char *p, size_t len)
{
    return input_name(in->qname, o, p, len);
}
/* The next space-delimited token at *i (skipping spaces first); false at
 * the end. */
bool input_token(const char *line, size_t len, size_t *i, struct span *ret);
/* Copy at most sizeof(in->rule) - 1 bytes of text into in->rule (control
 * bytes become '?') and point o at it. */
void input_set_rule(struct input *in, struct obs *o, const char *p, size_t len);
/* The reference time for year inference: in->ref_ms or the wall clock. */
int64_t input_ref_ms(const struct input *in);

/*
 * Syslog framing. Recognises, at the start of (line, len):
 *   RFC 5424  "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG"
 *   RFC 3164  "<PRI>Mmm dd hh:mm:ss HOST MSG" (PRI optional, as files
 *             written by syslog daemons), year inferred from the reference
 *   RFC 3339  "<PRI>2026-11-21T10:00:00+07:00 HOST MSG" (PRI optional)
 *   "<PRI>MSG" otherwise, with time 0 (unknown)
 * On a match sets *ret_ts_ms and *ret_msg (the rest after HOST, or MSG) and
 * returns true; otherwise returns false and leaves them alone.
 */
bool syslog_frame(const struct input *in, const char *line, size_t len, int64_t *ret_ts_ms,
                  struct span *ret_msg);
/* "Mmm dd hh:mm:ss" at p (exactly 15 bytes, day may be space-padded), local
 * time, year inferred. Returns 0 or -EINVAL. */
int syslog_time_3164(const struct input *in, const char *p, size_t len, int64_t *ret_ms) WUR;
/* Month number 1..12 of an English abbreviation "Jan".."Dec", or 0. */
unsigned syslog_month(const char *p);

/* Decoders, one per format; line is bounded and has no newline. */
void input_nfdump_line(struct input *in, const char *line, size_t len, struct obs *o,
                       input_emit_fn emit, void *ctx, struct obs_counters *c);
void input_eve_line(struct input *in, const char *line, size_t len, struct obs *o,
                    input_emit_fn emit, void *ctx, struct obs_counters *c);
void input_firewall_line(struct input *in, const char *line, size_t len, struct obs *o,
                         input_emit_fn emit, void *ctx, struct obs_counters *c);
void input_bind_line(struct input *in, const char *line, size_t len, struct obs *o,
                     input_emit_fn emit, void *ctx, struct obs_counters *c);
void input_unbound_line(struct input *in, const char *line, size_t len, struct obs *o,
                        input_emit_fn emit, void *ctx, struct obs_counters *c);

#endif
