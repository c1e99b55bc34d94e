/*
 * The sensor's hits as JSON lines with ECS field names (docs/en/sensor.md
 * lists them), one object a line, dotted keys at the top level:
 *
 *   {"@timestamp":"2024-05-01T10:00:00.000Z","event.kind":"enrichment",
 *    "event.category":"network","observer.type":"sensor",
 *    "source.ip":"100.64.0.7","destination.ip":"198.51.100.9",...,
 *    "threat.indicator.type":"ipv4-addr","threat.indicator.ip":"198.51.100.9",
 *    "threat.feed.name":"ais-botnet","user.id":"alice",...}
 *
 * Formatting appends to a caller's buffer (no allocation beyond its
 * growth). struct output is the sink: a file or stdout, plus a capped queue
 * of lines waiting to be posted to vigild. Many threads may write.
 */
#ifndef VIGIL_SENSOR_OUTPUT_H
#define VIGIL_SENSOR_OUTPUT_H

#include <pthread.h>

#include "base/buf.h"
#include "base/common.h"
#include "base/err.h"
#include "sensor/engine.h"

/* Append one hit as a JSON line ending in '\n'. path and line name the
 * text input (path NULL for other inputs). Returns 0 or -E2BIG (b's cap;
 * b is then unchanged). */
int output_format_hit(struct buf *b, const struct iset *s, const struct hit *h, const char *path,
                      uint64_t line) WUR;

/* Append (p, n) as a JSON string with quotes: escapes, control characters
 * as \u00XX, invalid UTF-8 bytes as U+FFFD. Returns 0 or -E2BIG. */
int json_put_str(struct buf *b, const char *p, size_t n) WUR;

/* "2024-05-01T10:00:00.123Z" for Unix milliseconds; out >= 25 bytes. */
void format_ts_ms(int64_t ms, char out[static 25]);

struct output_counters {
    uint64_t lines;         /* hit lines written to the file */
    uint64_t write_errors;  /* failed writes (lines lost to the file) */
    uint64_t queued;        /* lines queued for vigild */
    uint64_t queue_dropped; /* lines dropped because the queue was full */
};

struct output {
    int fd;    /* -1: no file output */
    bool own;  /* close fd at the end */
    bool post; /* queue lines for vigild */
    pthread_mutex_t lock;
    struct buf queue; /* JSON lines for vigild, capped */
    struct output_counters c;
};

/* path: a file to append to, "-" for stdout, NULL for none. post: keep a
 * queue of at most queue_cap bytes for vigild. Returns 0 or a negative
 * errno with err naming the file. */
int output_open(struct output *o, const char *path, bool post, size_t queue_cap,
                struct verr *err) WUR;
void output_close(struct output *o);

/* Write whole lines (p, n) to the file and the queue. A queue too full for
 * them drops them, counted. */
void output_write(struct output *o, const char *p, size_t n);

/* Move the queued lines into b (replacing its contents); returns how many
 * bytes. The queue is empty afterwards. */
size_t output_take_queue(struct output *o, struct buf *b);

void output_counters_get(struct output *o, struct output_counters *ret);

#endif
