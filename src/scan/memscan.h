/*
 * Process memory scanning: the YARA rules over a process's readable
 * memory (libyara's yr_scanner_scan_proc, which reads /proc/PID/mem).
 * The scanning process itself is never scanned: its heap holds the
 * compiled rules, whose strings would match every rule.
 * Reading another user's process needs root (CAP_SYS_PTRACE).
 */
#ifndef VIGIL_SCAN_MEMSCAN_H
#define VIGIL_SCAN_MEMSCAN_H

#include <sys/types.h>

#include "base/common.h"
#include "base/err.h"
#include "scan/rules.h"

#define MEMSCAN_MAX_HITS 64
/* A process with more readable memory than this is counted, not scanned:
 * the bound on one process's scan. Sanitizer builds map terabytes of
 * readable shadow memory, which would take a scanner days. */
#define MEMSCAN_MAX_READABLE ((uint64_t)64 << 30)

struct memscan_result {
    pid_t pid;
    char comm[64];                       /* /proc/PID/comm */
    const char *rules[MEMSCAN_MAX_HITS]; /* matching rules */
    size_t n_rules;
    size_t n_rules_total;
};

struct memscan_stats {
    uint64_t n_procs;    /* processes scanned */
    uint64_t n_detected; /* processes with a match */
    uint64_t n_denied;   /* EPERM/EACCES: not root, or protected */
    uint64_t n_vanished; /* exited before or while scanned */
    uint64_t n_failed;   /* other libyara errors, timeouts */
    uint64_t n_skipped;  /* our own process and its children (they may hold the rules) */
    uint64_t n_too_big;  /* more readable memory than MEMSCAN_MAX_READABLE */
};

/*
 * Scan the processes pids[0..n) (n == 0: every process in /proc) with
 * rules; on_result is called for each process with a match. Returns 0
 * (per-process failures are counted in *ret), or -ENOMEM with e set.
 */
int memscan_run(const struct scan_rules *rules, const pid_t *pids, size_t n, int timeout_s,
                void (*on_result)(const struct memscan_result *r, void *ud), void *ud,
                struct memscan_stats *ret, struct verr *e) WUR;

#endif
