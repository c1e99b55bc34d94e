/*
 * Malware scans on the host (docs/agent-protocol.md "Scanning"): "scan"
 * tasks from vigild and scheduled scans, run one at a time on a worker
 * thread at low CPU priority with src/scan; what they find and how far they
 * got become events (store/malware.h lists them), which is also how vigild
 * learns a task's outcome: the session sends no TASK_RESULT for a scan.
 *
 * Modes: "full" (the configured roots, every file read), "quick" (the same
 * roots, skipping files unchanged since they were found clean: the clean
 * cache), "paths" (the task's paths; with quarantine, detected files are
 * quarantined: vigild's "remove"), "memory" (every process's memory with
 * the YARA rules), and the task action "restore" (put a quarantined file
 * back).
 *
 * State under <data_dir>/scan/ (0700):
 *   jobs.json      accepted jobs not yet finished, the times of the last
 *                  scheduled scans and the bundle versions held. A job
 *                  leaves it only after its "scan-finished" event is in the
 *                  spool (scanjobs_save after the spool's sync), so an
 *                  agent restarted mid-scan runs the scan again.
 *   rules-<v>/     YARA bundle v from vigild, as files
 *   hashes-<v>/    hash bundle v
 *   cache/         compiled rules and the clean cache
 * Quarantined files go to scan.quarantine_dir (<data_dir>/quarantine).
 */
#ifndef VIGIL_AGENT_SCANJOB_H
#define VIGIL_AGENT_SCANJOB_H

#include <jansson.h>

#include "agent/event.h"
#include "base/common.h"
#include "base/err.h"
#include "wire/msg.h"

#define SCANJOB_MAX_JOBS   64    /* accepted and not finished */
#define SCANJOB_MAX_ALERTS 10000 /* detection events from one scan */
#define SCANJOB_MAX_PATHS  64    /* paths in one task */
#define SCANJOB_DONE_IDS   256   /* finished task ids remembered (vigild may resend) */

struct scanjob_opts {
    const char *data_dir;
    const char *quarantine_dir; /* NULL: <data_dir>/quarantine */
    const char *const *roots;   /* full and quick scans; none: "/" */
    size_t n_roots;
    const char *const *exclude; /* added to the built-in /proc, /sys, /dev */
    size_t n_exclude;
    uint64_t max_file_bytes; /* 0: SCAN_DEFAULT_FILE_SIZE */
    unsigned threads;        /* 0: 1 */
    bool one_file_system;
    unsigned full_every_s;    /* scheduled full scans; 0 off */
    unsigned quick_every_s;   /* scheduled quick scans; 0 off */
    unsigned progress_s;      /* progress events; 0: 30 */
    unsigned quarantine_days; /* purge older quarantined files; 0: keep */
};

struct scanjobs;

/* Load the state (creating <data_dir>/scan) and start the worker, which
 * resumes unfinished jobs. Returns 0 or -errno with err. */
int scanjobs_open(const struct scanjob_opts *o, struct scanjobs **ret, struct verr *err) WUR;
/* Stop the worker (a running scan stops listing files; it runs again at
 * the next start) and free. Accepts NULL. */
void scanjobs_free(struct scanjobs *sj);

/* A "scan" task (collector thread). Validates the args, stores a bundle
 * the task carries, queues the job and saves the state; returns
 * SESSION_TASK_DEFERRED, or MSG_TASK_REFUSED with *ret_result saying why. */
enum msg_task_status scanjobs_task(struct scanjobs *sj, const struct msg_task *t,
                                   json_t **ret_result);

/* Readable when the worker has events waiting (an eventfd). */
int scanjobs_fd(const struct scanjobs *sj);

/* Collector thread: hand the worker's events to emit (in order), queue
 * scheduled scans that are due (now: Unix seconds). Returns 0 or emit's
 * error. */
int scanjobs_poll(struct scanjobs *sj, int64_t now, agent_emit_fn emit, void *ctx) WUR;

/* Save the state if it changed; call after the spool is synced. */
int scanjobs_save(struct scanjobs *sj) WUR;

/* The bundle versions held (0: none). */
void scanjobs_versions(struct scanjobs *sj, int64_t *ret_rules, int64_t *ret_hashes);

#endif
