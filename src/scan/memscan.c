/* Process memory scanning through libyara. */
#include "scan/memscan.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <yara.h>

#include "base/i18n.h"
#include "base/str.h"

struct ctx {
    struct memscan_result *cur;
};

static int proc_cb(YR_SCAN_CONTEXT *yctx, int message, void *data, void *ud)
{
    (void)yctx;
    struct ctx *c = ud;
    if (message == CALLBACK_MSG_RULE_MATCHING) {
        const YR_RULE *rule = data;
        if (c->cur->n_rules < MEMSCAN_MAX_HITS)
            c->cur->rules[c->cur->n_rules++] = rule->identifier;
        c->cur->n_rules_total++;
    }
    return CALLBACK_CONTINUE;
}

static void read_comm(pid_t pid, char out[static 64])
{
    char path[64];
    out[0] = '\0';
    if (snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid) >= (int)sizeof(path))
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, out, 63);
    close(fd);
    if (n <= 0)
        return;
    out[n] = '\0';
    if (out[n - 1] == '\n')
        out[n - 1] = '\0';
}

/* The parent of pid from /proc/PID/stat (after the ")" that ends the
 * command name, which may itself hold spaces and parentheses); 0 unknown. */
static pid_t parent_of(pid_t pid)
{
    char path[64], buf[512];
    if (snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid) >= (int)sizeof(path))
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    int ppid = 0;
    if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
        return 0;
    return (pid_t)ppid;
}

/* Bytes in pid's readable mappings (what libyara would read), from
 * /proc/PID/maps; stops counting past cap. */
static uint64_t readable_bytes(pid_t pid, uint64_t cap)
{
    char path[64], line[512];
    uint64_t total = 0;
    if (snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid) >= (int)sizeof(path))
        return 0;
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    while (total <= cap && fgets(line, sizeof(line), f)) {
        unsigned long long lo, hi;
        char perms[8];
        if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) == 3 && perms[0] == 'r' && hi > lo)
            total += hi - lo;
        if (!strchr(line, '\n')) { /* a long line (a path): skip its rest */
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n')
                ;
        }
    }
    fclose(f);
    return total;
}

static void scan_one(YR_SCANNER *s, struct ctx *c, pid_t pid, struct memscan_stats *st,
                     void (*on_result)(const struct memscan_result *, void *), void *ud)
{
    if (pid == getpid() || parent_of(pid) == getpid()) {
        st->n_skipped++;
        return;
    }
    if (readable_bytes(pid, MEMSCAN_MAX_READABLE) > MEMSCAN_MAX_READABLE) {
        st->n_too_big++;
        return;
    }
    struct memscan_result r = {.pid = pid};
    read_comm(pid, r.comm);
    c->cur = &r;
    int yr = yr_scanner_scan_proc(s, (int)pid);
    c->cur = NULL;
    if (yr == ERROR_SUCCESS) {
        st->n_procs++;
        if (r.n_rules_total) {
            st->n_detected++;
            if (on_result)
                on_result(&r, ud);
        }
    } else if (yr == ERROR_COULD_NOT_ATTACH_TO_PROCESS) {
        /* libyara reports both "no such process" and "not allowed" so. */
        char path[64];
        if (snprintf(path, sizeof(path), "/proc/%d", (int)pid) < (int)sizeof(path) &&
            access(path, F_OK) != 0)
            st->n_vanished++;
        else
            st->n_denied++;
    } else if (yr == ERROR_COULD_NOT_READ_PROCESS_MEMORY || yr == ERROR_COULD_NOT_OPEN_FILE) {
        st->n_denied++;
    } else {
        st->n_failed++;
    }
}

int memscan_run(const struct scan_rules *rules, const pid_t *pids, size_t n, int timeout_s,
                void (*on_result)(const struct memscan_result *r, void *ud), void *ud,
                struct memscan_stats *ret, struct verr *e)
{
    YR_SCANNER *s = NULL;
    if (yr_scanner_create(scan_rules_yara(rules), &s) != ERROR_SUCCESS)
        return verr_set(e, -ENOMEM, N_("out of memory"));
    struct ctx c = {0};
    yr_scanner_set_callback(s, proc_cb, &c);
    yr_scanner_set_timeout(s, timeout_s > 0 ? timeout_s : 60);
    struct memscan_stats st = {0};
    if (n > 0) {
        for (size_t i = 0; i < n; i++)
            scan_one(s, &c, pids[i], &st, on_result, ud);
    } else {
        DIR *d = opendir("/proc");
        if (!d) {
            yr_scanner_destroy(s);
            return verr_set(e, -errno, "/proc: %s", strerror(errno));
        }
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            uint64_t pid;
            if (str_to_u64(de->d_name, strlen(de->d_name), INT32_MAX, &pid) == 0 && pid > 0)
                scan_one(s, &c, (pid_t)pid, &st, on_result, ud);
        }
        closedir(d);
    }
    yr_scanner_destroy(s);
    *ret = st;
    return 0;
}
