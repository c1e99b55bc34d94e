/*
 * struct spool: the sender's durable, bounded queue (ARCHITECTURE.md,
 * "Reliability model"). Records are appended with increasing sequence
 * numbers (1, 2, 3, ... for the life of the spool directory, persisted),
 * kept on disk until acknowledged, and survive kill -9 of the process:
 * an append returns only after the record is written; spool_sync() makes
 * it durable across power loss (group commit: the caller syncs per batch).
 *
 * Layout: a directory of segment files (each a run of records: seq, length,
 * CRC-32C, payload) plus an ack file. A torn record at the tail of the last
 * segment (crash mid-write) is detected by length/CRC and cut off at open.
 * When the spool would exceed max_bytes, the oldest unacknowledged segments
 * are dropped: counted in dropped_records/dropped_bytes and reported by the
 * caller as an alert, never silently.
 */
#ifndef VIGIL_WIRE_SPOOL_H
#define VIGIL_WIRE_SPOOL_H

#include "base/common.h"
#include "base/err.h"

struct spool;

struct spool_stats {
    uint64_t next_seq;      /* the seq the next append gets */
    uint64_t acked_seq;     /* highest acknowledged seq */
    uint64_t n_pending;     /* records appended and not acknowledged */
    uint64_t bytes;         /* bytes on disk */
    uint64_t dropped_records; /* dropped because the spool was full (lifetime) */
    uint64_t dropped_bytes;
    uint64_t truncated_tail;  /* torn records cut off at open */
};

/* Open or create the spool in dir (created 0700). max_bytes bounds the disk
 * use (minimum 1 MiB); segment_bytes the size of one segment file. */
int spool_open(const char *dir, uint64_t max_bytes, uint64_t segment_bytes, struct spool **ret,
               struct verr *err) WUR;
/* Accepts NULL. */
void spool_close(struct spool *s);

/* Append one record; returns 0 and its seq in *ret_seq. -E2BIG if len is
 * larger than a segment. */
int spool_append(struct spool *s, const void *p, size_t len, uint64_t *ret_seq) WUR;
/* fdatasync the current segment (and directory when a segment was added). */
int spool_sync(struct spool *s) WUR;

/* Read pending records with seq >= from, in order, up to max_records or
 * max_bytes of payload, calling fn for each (p valid during the call).
 * Returns the number of records passed, or a negative error. fn returning
 * non-zero stops early. */
typedef int (*spool_read_fn)(void *ctx, uint64_t seq, const void *p, size_t len);
int spool_read(struct spool *s, uint64_t from, size_t max_records, size_t max_bytes,
               spool_read_fn fn, void *ctx) WUR;

/* Everything <= seq is acknowledged: persisted (atomic write of the ack
 * file), and whole segments below it are deleted. Acks below the current
 * one are ignored; acks above next_seq - 1 are -EINVAL. */
int spool_ack(struct spool *s, uint64_t seq) WUR;
/* The receiver already holds everything <= seq (WELCOME's acked_seq), which
 * may be beyond next_seq - 1 when records were lost with the disk cache
 * (power loss before spool_sync): acknowledge up to seq and make the next
 * append get a seq above it, so that vigild never takes a new record for a
 * duplicate. Returns 0 or a negative error. */
int spool_advance(struct spool *s, uint64_t seq) WUR;

void spool_stats(const struct spool *s, struct spool_stats *ret);

#endif
