/* Scan jobs on the agent (scanjob.h). */
#include "agent/scanjob.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/session.h"
#include "base/file.h"
#include "base/log.h"
#include "base/str.h"
#include "base/vec.h"
#include "base/vtime.h"
#include "scan/cache.h"
#include "scan/hashes.h"
#include "scan/memscan.h"
#include "scan/quarantine.h"
#include "scan/rules.h"
#include "scan/walk.h"

#define STATE_MAX      (4u << 20)
#define PATH_MAX_LEN   4096
#define ID_MAX         48
#define REASON_MAX     200
#define WORKER_NICE    10
#define DEFAULT_PROG_S 30

static const char *const builtin_exclude[] = {"/proc", "/sys", "/dev"};

struct job {
    char id[ID_MAX];  /* the scan id in events */
    int64_t task_id;  /* 0: scheduled */
    char mode[8];     /* full | quick | paths | memory | restore */
    char trigger[10]; /* task | schedule */
    char **paths;
    size_t n_paths;
    bool quarantine, priority;
    int64_t finding_id;
    char quarantine_id[QUAR_ID_LEN + 1];
    bool running, done;
};

struct scanjobs {
    struct scanjob_opts o;
    char dir[PATH_MAX_LEN];  /* <data_dir>/scan */
    char quar[PATH_MAX_LEN]; /* quarantine store */
    VEC(const char *) exclude;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* under mu */
    VEC(struct job *) jobs;
    json_t *out; /* events waiting for the collector */
    int64_t rules_v, hashes_v;
    int64_t last_full, last_quick;
    int64_t next_purge;                 /* Unix seconds; collector thread only */
    int64_t done_ids[SCANJOB_DONE_IDS]; /* finished tasks, a ring */
    size_t n_done, done_at;
    bool stop, dirty;
    atomic_bool cancel;
    int efd;
    /* the worker's own */
    struct scan_rules *rules;
    int64_t rules_loaded;
    struct scan_hashes *hashes;
    int64_t hashes_loaded;
};

/* ---- jobs and state ---- */

static void job_free(struct job *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n_paths; i++)
        free(j->paths[i]);
    free(j->paths);
    free(j);
}

static bool mode_ok(const char *m)
{
    static const char *const modes[] = {"full", "quick", "paths", "memory", "restore"};
    for (size_t i = 0; m && i < ARRAY_SIZE(modes); i++)
        if (strcmp(m, modes[i]) == 0)
            return true;
    return false;
}

static bool abs_path_ok(const char *p, size_t len)
{
    return len > 0 && len < PATH_MAX_LEN && p[0] == '/' && !memchr(p, '\0', len);
}

static json_t *job_json(const struct job *j)
{
    json_t *paths = json_array();
    for (size_t i = 0; i < j->n_paths; i++)
        json_array_append_new(paths, json_string(j->paths[i]));
    return json_pack("{s:s, s:I, s:s, s:s, s:o, s:b, s:b, s:I, s:s}", "id", j->id, "task_id",
                     (json_int_t)j->task_id, "mode", j->mode, "trigger", j->trigger, "paths", paths,
                     "quarantine", j->quarantine, "priority", j->priority, "finding_id",
                     (json_int_t)j->finding_id, "quarantine_id", j->quarantine_id);
}

/* A job from its saved form; NULL if malformed (the state file is ours, but
 * a damaged one must not crash the agent). */
static struct job *job_from_json(json_t *o)
{
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *mode = json_string_value(json_object_get(o, "mode"));
    const char *trig = json_string_value(json_object_get(o, "trigger"));
    const char *qid = json_string_value(json_object_get(o, "quarantine_id"));
    json_t *paths = json_object_get(o, "paths"), *p;
    size_t i;

    if (!id || strlen(id) >= ID_MAX || !mode_ok(mode) || !trig || strlen(trig) >= 10 || !qid ||
        strlen(qid) > QUAR_ID_LEN || !json_is_array(paths) ||
        json_array_size(paths) > SCANJOB_MAX_PATHS)
        return NULL;
    struct job *j = xcalloc(1, sizeof(*j));
    snprintf(j->id, sizeof(j->id), "%s", id);
    snprintf(j->mode, sizeof(j->mode), "%s", mode);
    snprintf(j->trigger, sizeof(j->trigger), "%s", trig);
    snprintf(j->quarantine_id, sizeof(j->quarantine_id), "%s", qid);
    j->task_id = json_integer_value(json_object_get(o, "task_id"));
    j->finding_id = json_integer_value(json_object_get(o, "finding_id"));
    j->quarantine = json_is_true(json_object_get(o, "quarantine"));
    j->priority = json_is_true(json_object_get(o, "priority"));
    j->paths = xcalloc(json_array_size(paths) + 1, sizeof(char *));
    json_array_foreach(paths, i, p)
    {
        if (!json_is_string(p) || !abs_path_ok(json_string_value(p), json_string_length(p))) {
            job_free(j);
            return NULL;
        }
        j->paths[j->n_paths++] = xstrdup(json_string_value(p));
    }
    return j;
}

static int state_path(const struct scanjobs *sj, const char *name, char *out, size_t n)
{
    int k = snprintf(out, n, "%s/%s", sj->dir, name);
    return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

/* Under mu. */
static int save_locked(struct scanjobs *sj)
{
    char path[PATH_MAX_LEN];
    json_t *jobs = json_array();
    int rc;

    for (size_t i = 0; i < sj->jobs.n; i++)
        json_array_append_new(jobs, job_json(sj->jobs.items[i]));
    json_t *done = json_array();
    for (size_t i = 0; i < sj->n_done; i++)
        json_array_append_new(done, json_integer((json_int_t)sj->done_ids[i]));
    json_t *doc = json_pack("{s:o, s:I, s:I, s:I, s:I, s:o}", "jobs", jobs, "last_full",
                            (json_int_t)sj->last_full, "last_quick", (json_int_t)sj->last_quick,
                            "rules_version", (json_int_t)sj->rules_v, "hashes_version",
                            (json_int_t)sj->hashes_v, "done_task_ids", done);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return -ENOMEM;
    if ((rc = state_path(sj, "jobs.json", path, sizeof(path))) == 0)
        rc = file_write_atomic(path, text, strlen(text), 0600);
    free(text);
    if (rc == 0)
        sj->dirty = false;
    return rc;
}

static void load_state(struct scanjobs *sj)
{
    char path[PATH_MAX_LEN], *text = NULL;
    size_t len, i;
    json_t *doc, *j;

    if (state_path(sj, "jobs.json", path, sizeof(path)) < 0 ||
        file_read_all(path, STATE_MAX, &text, &len) < 0)
        return;
    doc = json_loadb(text, len, 0, NULL);
    free(text);
    if (!json_is_object(doc)) {
        log_kv(LOG_LVL_WARN, "scan state unreadable, starting afresh", "file", path, NULL);
        json_decref(doc);
        return;
    }
    sj->last_full = json_integer_value(json_object_get(doc, "last_full"));
    sj->last_quick = json_integer_value(json_object_get(doc, "last_quick"));
    sj->rules_v = MAX(0, json_integer_value(json_object_get(doc, "rules_version")));
    sj->hashes_v = MAX(0, json_integer_value(json_object_get(doc, "hashes_version")));
    json_array_foreach(json_object_get(doc, "done_task_ids"), i, j)
    {
        if (json_is_integer(j) && sj->n_done < SCANJOB_DONE_IDS)
            sj->done_ids[sj->n_done++] = json_integer_value(j);
    }
    sj->done_at = sj->n_done % SCANJOB_DONE_IDS;
    json_array_foreach(json_object_get(doc, "jobs"), i, j)
    {
        struct job *job = job_from_json(j);
        if (job && sj->jobs.n < SCANJOB_MAX_JOBS)
            VEC_PUSH(&sj->jobs, job);
        else
            job_free(job);
    }
    json_decref(doc);
}

/* ---- bundles ---- */

static int rm_entry(const char *path, const struct stat *st UNUSED, int flag UNUSED,
                    struct FTW *ftw UNUSED)
{
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void rm_tree(const char *path)
{
    if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        log_kv(LOG_LVL_WARN, "cannot remove an old bundle", "path", path, "error", strerror(errno),
               NULL);
}

/* Write one kind's bundle {version, files: [{name, text}]} as
 * <dir>/<kind>-<version>/; returns the version (> 0), or -errno with why. */
static int64_t bundle_write(struct scanjobs *sj, const char *kind, json_t *b, const char **why)
{
    json_t *files = json_object_get(b, "files"), *f;
    int64_t v = json_integer_value(json_object_get(b, "version"));
    char tmp[PATH_MAX_LEN], final[PATH_MAX_LEN], path[PATH_MAX_LEN];
    size_t i;
    int rc = 0;

    *why = "malformed bundle";
    if (!json_is_integer(json_object_get(b, "version")) || v < 1 || !json_is_array(files) ||
        json_array_size(files) == 0 || json_array_size(files) > 100000)
        return -EINVAL;
    if (snprintf(tmp, sizeof(tmp), "%s/%s-%lld.tmp", sj->dir, kind, (long long)v) >=
            (int)sizeof(tmp) ||
        snprintf(final, sizeof(final), "%s/%s-%lld", sj->dir, kind, (long long)v) >=
            (int)sizeof(final))
        return -ENAMETOOLONG;
    rm_tree(tmp);
    json_array_foreach(files, i, f)
    {
        json_t *name = json_object_get(f, "name"), *text = json_object_get(f, "text");
        if (!json_is_string(name) || !json_is_string(text) ||
            !scan_bundle_name_ok(json_string_value(name), json_string_length(name))) {
            *why = "bad file name in bundle";
            rc = -EINVAL;
            break;
        }
        if (snprintf(path, sizeof(path), "%s/%s", tmp, json_string_value(name)) >=
            (int)sizeof(path)) {
            rc = -ENAMETOOLONG;
            break;
        }
        char *slash = strrchr(path, '/');
        *slash = '\0';
        rc = mkdir_p(path, 0700);
        *slash = '/';
        if (rc < 0 || (rc = file_write_atomic(path, json_string_value(text),
                                              json_string_length(text), 0600)) < 0) {
            *why = "cannot write the bundle";
            break;
        }
    }
    if (rc == 0) {
        rm_tree(final);
        if (rename(tmp, final) != 0) {
            rc = -errno;
            *why = "cannot write the bundle";
        }
    }
    if (rc < 0) {
        rm_tree(tmp);
        return rc;
    }
    return v;
}

/* Store the bundles a task carries: {"rules": {...}, "hashes": {...}}. */
static int take_bundles(struct scanjobs *sj, json_t *bundle, const char **why)
{
    static const char *const kinds[] = {"rules", "hashes"};
    for (size_t k = 0; k < 2; k++) {
        json_t *b = json_object_get(bundle, kinds[k]);
        if (!b)
            continue;
        int64_t v = bundle_write(sj, kinds[k], b, why);
        if (v < 0)
            return (int)v;
        char old[PATH_MAX_LEN];
        pthread_mutex_lock(&sj->mu);
        int64_t *cur = k == 0 ? &sj->rules_v : &sj->hashes_v;
        int64_t prev = *cur;
        *cur = v;
        sj->dirty = true;
        pthread_mutex_unlock(&sj->mu);
        if (prev > 0 && prev != v &&
            snprintf(old, sizeof(old), "%s/%s-%lld", sj->dir, kinds[k], (long long)prev) <
                (int)sizeof(old))
            rm_tree(old);
        char vs[24];
        snprintf(vs, sizeof(vs), "%lld", (long long)v);
        log_kv(LOG_LVL_INFO, "scan bundle received", "kind", kinds[k], "version", vs, NULL);
    }
    return 0;
}

/* ---- tasks ---- */

static enum msg_task_status refuse(json_t **ret, const char *why)
{
    *ret = json_pack("{s:s}", "reason", why);
    return MSG_TASK_REFUSED;
}

/* The job a task's args describe; NULL with *why. */
static struct job *job_from_task(const struct msg_task *t, const char **why)
{
    json_t *a = t->args, *paths = json_object_get(a, "paths"), *p;
    const char *action = json_string_value(json_object_get(a, "action"));
    const char *mode = json_string_value(json_object_get(a, "mode"));
    size_t i;

    struct job *j = xcalloc(1, sizeof(*j));
    snprintf(j->id, sizeof(j->id), "t%llu", (unsigned long long)t->task_id);
    snprintf(j->trigger, sizeof(j->trigger), "task");
    j->task_id = (int64_t)t->task_id;
    j->quarantine = json_is_true(json_object_get(a, "quarantine"));
    j->priority = json_is_true(json_object_get(a, "priority"));
    if (json_is_integer(json_object_get(a, "finding_id")))
        j->finding_id = json_integer_value(json_object_get(a, "finding_id"));
    *why = NULL;
    if (action) {
        const char *qid = json_string_value(json_object_get(a, "quarantine_id"));
        uint8_t raw[QUAR_ID_LEN / 2];
        if (strcmp(action, "restore") != 0)
            *why = "unknown action";
        else if (!qid || strlen(qid) != QUAR_ID_LEN ||
                 hex_decode(qid, QUAR_ID_LEN, raw, sizeof(raw)) < 0)
            *why = "quarantine_id must be 32 hex digits";
        else {
            snprintf(j->mode, sizeof(j->mode), "restore");
            snprintf(j->quarantine_id, sizeof(j->quarantine_id), "%s", qid);
        }
    } else if (!mode) { /* as vigild: no mode is a full scan */
        snprintf(j->mode, sizeof(j->mode), "full");
        if (paths)
            *why = "paths only with mode paths";
    } else if (!mode_ok(mode) || strcmp(mode, "restore") == 0) {
        *why = "mode must be full, quick, paths or memory";
    } else {
        snprintf(j->mode, sizeof(j->mode), "%s", mode);
        if (strcmp(mode, "paths") == 0) {
            if (!json_is_array(paths) || json_array_size(paths) == 0 ||
                json_array_size(paths) > SCANJOB_MAX_PATHS)
                *why = "paths: 1 to 64 absolute paths";
            else {
                j->paths = xcalloc(json_array_size(paths), sizeof(char *));
                json_array_foreach(paths, i, p)
                {
                    if (!json_is_string(p) ||
                        !abs_path_ok(json_string_value(p), json_string_length(p))) {
                        *why = "paths: 1 to 64 absolute paths";
                        break;
                    }
                    j->paths[j->n_paths++] = xstrdup(json_string_value(p));
                }
            }
        } else if (paths) {
            *why = "paths only with mode paths";
        }
    }
    if (*why) {
        job_free(j);
        return NULL;
    }
    return j;
}

enum msg_task_status scanjobs_task(struct scanjobs *sj, const struct msg_task *t,
                                   json_t **ret_result)
{
    const char *why;
    struct job *j;
    int rc;

    if (t->verb != MSG_VERB_SCAN)
        return refuse(ret_result, "unsupported");
    if (!(j = job_from_task(t, &why)))
        return refuse(ret_result, why);
    pthread_mutex_lock(&sj->mu);
    /* vigild sends unanswered tasks again on a new connection: one held or
     * finished here is not run twice (its events close it). */
    bool seen = false;
    for (size_t i = 0; i < sj->jobs.n; i++)
        seen = seen || sj->jobs.items[i]->task_id == j->task_id;
    for (size_t i = 0; i < sj->n_done; i++)
        seen = seen || sj->done_ids[i] == j->task_id;
    if (seen) {
        pthread_mutex_unlock(&sj->mu);
        job_free(j);
        return SESSION_TASK_DEFERRED;
    }
    bool full = sj->jobs.n >= SCANJOB_MAX_JOBS;
    pthread_mutex_unlock(&sj->mu);
    if (full) {
        job_free(j);
        return refuse(ret_result, "too many scans queued");
    }
    if (json_object_get(t->args, "bundle") &&
        (rc = take_bundles(sj, json_object_get(t->args, "bundle"), &why)) < 0) {
        log_kv(LOG_LVL_WARN, "scan bundle refused", "error", why, NULL);
        job_free(j);
        return refuse(ret_result, why);
    }
    pthread_mutex_lock(&sj->mu);
    size_t at = sj->jobs.n;
    if (j->priority) /* behind the one running, before the rest */
        at = sj->jobs.n > 0 && sj->jobs.items[0]->running ? 1 : 0;
    VEC_PUSH(&sj->jobs, NULL);
    memmove(&sj->jobs.items[at + 1], &sj->jobs.items[at],
            (sj->jobs.n - 1 - at) * sizeof(sj->jobs.items[0]));
    sj->jobs.items[at] = j;
    rc = save_locked(sj);
    pthread_cond_signal(&sj->cv);
    pthread_mutex_unlock(&sj->mu);
    if (rc < 0)
        log_kv(LOG_LVL_WARN, "cannot save the scan state", "error", strerror(-rc), NULL);
    log_kv(LOG_LVL_INFO, "scan queued", "scan", j->id, "mode", j->mode, NULL);
    return SESSION_TASK_DEFERRED;
}

/* ---- the worker ---- */

struct run {
    struct scanjobs *sj;
    struct job *j;
    int64_t rules_v, hashes_v;
    uint64_t n_alerts, n_detected;
    int64_t next_progress_ms;
    VEC(char *) found; /* detected paths, for quarantine */
    VEC(char *) found_names;
};

static void push(struct scanjobs *sj, json_t *ev)
{
    uint64_t one = 1;
    pthread_mutex_lock(&sj->mu);
    json_array_append_new(sj->out, ev);
    pthread_mutex_unlock(&sj->mu);
    if (write(sj->efd, &one, sizeof(one)) != sizeof(one))
        log_kv(LOG_LVL_WARN, "cannot wake the collector", NULL);
}

static json_t *scan_event(const struct run *r, const char *dataset, const char *action)
{
    json_t *ev = agent_event_new(dataset, 0);
    agent_event_set(ev, "event.action", json_string(action));
    agent_event_set(ev, "vigil.scan.id", json_string(r->j->id));
    agent_event_set(ev, "vigil.scan.task_id", json_integer((json_int_t)r->j->task_id));
    agent_event_set(ev, "vigil.scan.mode", json_string(r->j->mode));
    agent_event_set(ev, "vigil.scan.trigger", json_string(r->j->trigger));
    return ev;
}

static void set_counts(json_t *ev, const struct run *r, const struct walk_stats *s)
{
    uint64_t errors = 0;
    for (int k = 0; k < WALK_ERR_COUNT; k++)
        errors += s->n_err[k];
    agent_event_set(ev, "vigil.scan.rules_version", json_integer((json_int_t)r->rules_v));
    agent_event_set(ev, "vigil.scan.hashes_version", json_integer((json_int_t)r->hashes_v));
    agent_event_set(ev, "vigil.scan.files", json_integer((json_int_t)s->n_files));
    agent_event_set(ev, "vigil.scan.bytes", json_integer((json_int_t)s->n_bytes));
    agent_event_set(ev, "vigil.scan.cached", json_integer((json_int_t)s->n_cached));
    agent_event_set(ev, "vigil.scan.detected", json_integer((json_int_t)r->n_detected));
    agent_event_set(ev, "vigil.scan.errors", json_integer((json_int_t)errors));
    agent_event_set(ev, "vigil.scan.found", json_integer((json_int_t)s->n_found));
    agent_event_set(ev, "vigil.scan.bytes_found", json_integer((json_int_t)s->bytes_found));
    json_t *kinds = json_object();
    for (int k = 0; k < WALK_ERR_COUNT; k++)
        if (s->n_err[k])
            json_object_set_new(kinds, walk_err_name(k), json_integer((json_int_t)s->n_err[k]));
    agent_event_set(ev, "vigil.scan.error_kinds", kinds);
}

static void hex_set(json_t *ev, const char *field, const uint8_t *p, size_t n)
{
    char hex[65];
    hex_encode(p, n, hex);
    agent_event_set(ev, field, json_stringn(hex, 2 * n));
}

static void on_result(const struct scan_result *res, const struct stat *st UNUSED, void *ud)
{
    struct run *r = ud;
    json_t *rules = json_array();
    char msg[512];

    if (!scan_result_detected(res))
        return;
    r->n_detected++;
    VEC_PUSH(&r->found, xstrdup(res->path));
    VEC_PUSH(&r->found_names, xstrdup(res->n_rules ? res->rules[0] : res->hash_match));
    if (r->n_alerts >= SCANJOB_MAX_ALERTS)
        return; /* counted in the summary, not sent one by one */
    r->n_alerts++;
    json_t *ev = scan_event(r, "vigil.malware", "malware-detected");
    for (size_t i = 0; i < res->n_rules; i++)
        json_array_append_new(rules, json_string(res->rules[i]));
    agent_event_set(ev, "event.kind", json_string("alert"));
    agent_event_set(ev, "file.path", json_string(res->path));
    agent_event_set(ev, "file.size", json_integer((json_int_t)res->size));
    if (res->have_hashes) {
        hex_set(ev, "file.hash.md5", res->md5, 16);
        hex_set(ev, "file.hash.sha1", res->sha1, 20);
        hex_set(ev, "file.hash.sha256", res->sha256, 32);
    }
    agent_event_set(ev, "vigil.malware.rules", rules);
    if (res->hash_match)
        agent_event_set(ev, "vigil.malware.hash_match", json_string(res->hash_match));
    if (snprintf(msg, sizeof(msg), "malware detected: %s (%s)", res->path,
                 res->n_rules ? res->rules[0] : res->hash_match) < 0)
        msg[0] = '\0';
    agent_event_set(ev, "message", json_string(msg));
    push(r->sj, ev);
}

static void on_error(const char *path UNUSED, enum walk_err kind UNUSED, int err UNUSED,
                     void *ud UNUSED)
{
    /* counted by the walk, reported in the summary's error_kinds */
}

static void on_progress(const struct walk_stats *s, bool done, void *ud)
{
    struct run *r = ud;
    int64_t now = (int64_t)(vtime_mono_ns() / 1000000u);
    unsigned every = r->sj->o.progress_s ? r->sj->o.progress_s : DEFAULT_PROG_S;

    if (done || now < r->next_progress_ms)
        return;
    r->next_progress_ms = now + (int64_t)every * 1000;
    json_t *ev = scan_event(r, "vigil.scan", "scan-progress");
    set_counts(ev, r, s);
    push(r->sj, ev);
}

/* Load the bundles the state names, compiling the rules when they changed. */
static int load_material(struct scanjobs *sj, int64_t rules_v, int64_t hashes_v, struct verr *e)
{
    char path[PATH_MAX_LEN], cache[PATH_MAX_LEN];

    if (rules_v != sj->rules_loaded) {
        scan_rules_free(sj->rules);
        sj->rules = NULL;
        sj->rules_loaded = 0;
        if (rules_v > 0) {
            const char *paths[1] = {path};
            if (snprintf(path, sizeof(path), "%s/rules-%lld", sj->dir, (long long)rules_v) >=
                    (int)sizeof(path) ||
                state_path(sj, "cache", cache, sizeof(cache)) < 0)
                return verr_set(e, -ENAMETOOLONG, "path too long");
            int rc = scan_rules_load_cached(paths, 1, cache, &sj->rules, e);
            if (rc < 0)
                return rc;
            sj->rules_loaded = rules_v;
        }
    }
    if (hashes_v != sj->hashes_loaded) {
        scan_hashes_free(sj->hashes);
        sj->hashes = NULL;
        sj->hashes_loaded = 0;
        if (hashes_v > 0) {
            DIR *d;
            struct dirent *de;
            if (snprintf(path, sizeof(path), "%s/hashes-%lld", sj->dir, (long long)hashes_v) >=
                (int)sizeof(path))
                return verr_set(e, -ENAMETOOLONG, "path too long");
            if (!(d = opendir(path)))
                return verr_set(e, -errno, "%s: %s", path, strerror(errno));
            sj->hashes = scan_hashes_new();
            int rc = 0;
            while (rc == 0 && (de = readdir(d)) != NULL) {
                char file[PATH_MAX_LEN];
                if (de->d_name[0] == '.' ||
                    snprintf(file, sizeof(file), "%s/%s", path, de->d_name) >= (int)sizeof(file))
                    continue;
                rc = scan_hashes_load_file(sj->hashes, file, e);
            }
            closedir(d);
            if (rc < 0)
                return rc;
            sj->hashes_loaded = hashes_v;
        }
    }
    return 0;
}

/* Quarantine what a remediation scan found; events say what happened. */
static void quarantine_found(struct run *r)
{
    struct scanjobs *sj = r->sj;
    struct quar_store *q = NULL;
    struct quar_policy pol = {.roots = sj->o.roots, .n_roots = sj->o.n_roots};
    static const char *const root_all[] = {"/"};
    struct verr e;

    if (pol.n_roots == 0) {
        pol.roots = root_all;
        pol.n_roots = 1;
    }
    verr_init(&e);
    int rc = quar_open(sj->quar, &q, &e);
    for (size_t i = 0; i < r->found.n; i++) {
        struct quar_meta m;
        json_t *ev;
        if (rc == 0 && (rc = quar_add(q, r->found.items[i], r->found_names.items[i], r->j->id, &pol,
                                      &m, &e)) == 0) {
            ev = scan_event(r, "vigil.malware", "malware-quarantined");
            agent_event_set(ev, "file.hash.sha256", json_string(m.sha256));
            agent_event_set(ev, "vigil.quarantine.id", json_string(m.id));
            agent_event_set(ev, "message", json_pack("s", "file quarantined"));
            quar_meta_release(&m);
        } else {
            ev = scan_event(r, "vigil.malware", "malware-remediation-failed");
            agent_event_set(ev, "error.message", json_string(e.msg));
            log_kv(LOG_LVL_WARN, "cannot quarantine", "path", r->found.items[i], "error", e.msg,
                   NULL);
            rc = 0; /* try the next one */
        }
        agent_event_set(ev, "file.path", json_string(r->found.items[i]));
        if (r->j->finding_id > 0)
            agent_event_set(ev, "vigil.malware.finding_id",
                            json_integer((json_int_t)r->j->finding_id));
        push(sj, ev);
    }
    quar_close(q);
}

/* A remediation asked for files that are no longer detected. */
static void remediation_clean(struct run *r)
{
    json_t *ev = scan_event(r, "vigil.malware", "malware-remediation-failed");
    agent_event_set(ev, "error.message", json_string("no longer detected: nothing to quarantine"));
    if (r->j->n_paths)
        agent_event_set(ev, "file.path", json_string(r->j->paths[0]));
    if (r->j->finding_id > 0)
        agent_event_set(ev, "vigil.malware.finding_id", json_integer((json_int_t)r->j->finding_id));
    push(r->sj, ev);
}

static int run_restore(struct run *r, struct verr *e)
{
    struct quar_store *q = NULL;
    json_t *ev;
    int rc = quar_open(r->sj->quar, &q, e);
    char path[PATH_MAX_LEN] = "";
    char sha[65] = "";

    if (rc == 0) {
        /* The item's metadata first: the events name the file. */
        char meta_path[PATH_MAX_LEN], *text = NULL;
        size_t len;
        struct quar_meta m;
        if (snprintf(meta_path, sizeof(meta_path), "%s/%s.json", r->sj->quar, r->j->quarantine_id) <
                (int)sizeof(meta_path) &&
            file_read_all(meta_path, QUAR_META_MAX, &text, &len) == 0 &&
            quar_meta_parse((const uint8_t *)text, len, &m, e) == 0) {
            snprintf(path, sizeof(path), "%s", m.path);
            memcpy(sha, m.sha256, sizeof(sha));
            quar_meta_release(&m);
        }
        free(text);
        verr_init(e);
        rc = quar_restore(q, r->j->quarantine_id, e);
    }
    quar_close(q);
    ev =
        scan_event(r, "vigil.malware", rc == 0 ? "malware-restored" : "malware-remediation-failed");
    if (path[0])
        agent_event_set(ev, "file.path", json_string(path));
    if (sha[0])
        agent_event_set(ev, "file.hash.sha256", json_string(sha));
    agent_event_set(ev, "vigil.quarantine.id", json_string(r->j->quarantine_id));
    if (r->j->finding_id > 0)
        agent_event_set(ev, "vigil.malware.finding_id", json_integer((json_int_t)r->j->finding_id));
    if (rc < 0)
        agent_event_set(ev, "error.message", json_string(e->msg));
    push(r->sj, ev);
    return rc;
}

static void on_process(const struct memscan_result *m, void *ud)
{
    struct run *r = ud;
    char link[64], exe[PATH_MAX_LEN], msg[512];
    json_t *rules = json_array();
    ssize_t n;

    r->n_detected++;
    if (r->n_alerts >= SCANJOB_MAX_ALERTS)
        return;
    r->n_alerts++;
    json_t *ev = scan_event(r, "vigil.malware", "malware-detected");
    agent_event_set(ev, "event.kind", json_string("alert"));
    agent_event_set(ev, "process.pid", json_integer(m->pid));
    agent_event_set(ev, "process.name", json_string(m->comm));
    snprintf(link, sizeof(link), "/proc/%d/exe", (int)m->pid);
    n = readlink(link, exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        agent_event_set(ev, "process.executable", json_string(exe));
        agent_event_set(ev, "file.path", json_string(exe));
    } else {
        snprintf(exe, sizeof(exe), "pid:%d", (int)m->pid);
        agent_event_set(ev, "file.path", json_string(exe));
    }
    /* The executable's digest names what ran (from /proc/PID/exe: the file
     * even if it was deleted on disk). */
    int fd = open(link, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        uint8_t buf[65536], md[32];
        unsigned mdlen = 0;
        ssize_t k;
        bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
        while (ok && (k = read(fd, buf, sizeof(buf))) > 0)
            ok = EVP_DigestUpdate(ctx, buf, (size_t)k) == 1;
        if (ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32)
            hex_set(ev, "file.hash.sha256", md, 32);
        EVP_MD_CTX_free(ctx);
        close(fd);
    }
    for (size_t i = 0; i < m->n_rules; i++)
        json_array_append_new(rules, json_string(m->rules[i]));
    agent_event_set(ev, "vigil.malware.rules", rules);
    if (snprintf(msg, sizeof(msg), "malware in process memory: %d %s (%s)", (int)m->pid, m->comm,
                 m->n_rules ? m->rules[0] : "") < 0)
        msg[0] = '\0';
    agent_event_set(ev, "message", json_string(msg));
    push(r->sj, ev);
}

/* Run j; true when it finished (then j is the collector's to free and must
 * not be touched again), false when stopped midway. */
static bool run_job(struct scanjobs *sj, struct job *j)
{
    struct run r = {.sj = sj, .j = j};
    struct walk_stats st;
    struct verr e;
    int rc = 0;

    memset(&st, 0, sizeof(st));
    verr_init(&e);
    pthread_mutex_lock(&sj->mu);
    r.rules_v = sj->rules_v;
    r.hashes_v = sj->hashes_v;
    pthread_mutex_unlock(&sj->mu);
    json_t *ev = scan_event(&r, "vigil.scan", "scan-started");
    set_counts(ev, &r, &st);
    agent_event_set(ev, "message", json_string("scan started"));
    push(sj, ev);
    log_kv(LOG_LVL_INFO, "scan started", "scan", j->id, "mode", j->mode, NULL);

    if (strcmp(j->mode, "restore") == 0) {
        rc = run_restore(&r, &e);
    } else if ((rc = load_material(sj, r.rules_v, r.hashes_v, &e)) < 0) {
        /* e says which bundle */
    } else if (!sj->rules && !sj->hashes) {
        rc = verr_set(&e, -ENODATA, "no rules or hash lists: vigild has sent none");
    } else if (strcmp(j->mode, "memory") == 0) {
        struct memscan_stats ms;
        if (!sj->rules)
            rc = verr_set(&e, -ENODATA, "memory scans need YARA rules: vigild has sent none");
        else if ((rc = memscan_run(sj->rules, NULL, 0, 0, on_process, &r, &ms, &e)) == 0) {
            st.n_files = ms.n_procs;
            st.n_err[WALK_ERR_UNREADABLE] = ms.n_denied + ms.n_failed;
            st.n_err[WALK_ERR_TOO_BIG] = ms.n_too_big;
            st.n_err[WALK_ERR_VANISHED] = ms.n_vanished;
        }
    } else {
        bool paths = strcmp(j->mode, "paths") == 0, quick = strcmp(j->mode, "quick") == 0;
        static const char *const root_all[] = {"/"};
        uint8_t ver[32];
        char cache_dir[PATH_MAX_LEN];
        struct scan_cache *cache = NULL;
        struct walk_opts o = {
            .rules = sj->rules,
            .hashes = sj->hashes,
            .n_threads = sj->o.threads ? sj->o.threads : 1,
            .max_size = sj->o.max_file_bytes,
            .exclude = sj->exclude.items,
            .n_exclude = sj->exclude.n,
            .one_file_system = sj->o.one_file_system,
            .progress_ms = 500,
            .on_result = on_result,
            .on_error = on_error,
            .on_progress = on_progress,
            .ud = &r,
            .cancel = &sj->cancel,
        };
        r.next_progress_ms = (int64_t)(vtime_mono_ns() / 1000000u) +
                             (int64_t)(sj->o.progress_s ? sj->o.progress_s : DEFAULT_PROG_S) * 1000;
        scan_cache_version_of(sj->rules, sj->hashes, ver);
        if (!paths && state_path(sj, "cache", cache_dir, sizeof(cache_dir)) == 0) {
            /* A full scan reads everything and leaves a fresh cache; a
             * quick one skips what the cache holds. */
            cache = scan_cache_new(ver);
            if (quick && scan_cache_load(cache, cache_dir, &e) < 0)
                verr_init(&e); /* a stale or damaged cache: scan everything */
            o.cache = cache;
        }
        const char *const *roots = paths ? (const char *const *)j->paths : sj->o.roots;
        size_t n_roots = paths ? j->n_paths : sj->o.n_roots;
        if (n_roots == 0) {
            roots = root_all;
            n_roots = 1;
        }
        rc = walk_run(roots, n_roots, &o, &st, &e);
        if (rc == 0 && atomic_load(&sj->cancel))
            rc = verr_set(&e, -ECANCELED, "stopped: the agent is shutting down");
        if (rc == 0 && cache && scan_cache_save(cache, cache_dir, &e) < 0) {
            log_kv(LOG_LVL_WARN, "cannot save the scan cache", "error", e.msg, NULL);
            verr_init(&e);
        }
        scan_cache_free(cache);
        if (rc == 0 && paths && j->quarantine) {
            if (r.found.n)
                quarantine_found(&r);
            else
                remediation_clean(&r);
        }
    }
    for (size_t i = 0; i < r.found.n; i++) {
        free(r.found.items[i]);
        free(r.found_names.items[i]);
    }
    VEC_FREE(&r.found);
    VEC_FREE(&r.found_names);
    if (rc == -ECANCELED)
        return false; /* not finished: it runs again at the next start */

    ev = scan_event(&r, "vigil.scan", "scan-finished");
    set_counts(ev, &r, &st);
    agent_event_set(ev, "vigil.scan.status", json_string(rc == 0 ? "ok" : "failed"));
    if (rc < 0)
        agent_event_set(ev, "error.message", json_string(e.msg));
    agent_event_set(ev, "message", json_string(rc == 0 ? "scan finished" : "scan failed"));
    char nd[24];
    snprintf(nd, sizeof(nd), "%llu", (unsigned long long)r.n_detected);
    log_kv(rc == 0 ? LOG_LVL_INFO : LOG_LVL_WARN, "scan finished", "scan", j->id, "detected", nd,
           "error", rc < 0 ? e.msg : "", NULL);
    pthread_mutex_lock(&sj->mu);
    json_array_append_new(sj->out, ev);
    j->running = false;
    j->done = true; /* after its last event, under the same lock */
    pthread_mutex_unlock(&sj->mu);
    push(sj, json_null()); /* wake the collector; nulls are skipped */
    return true;
}

static void *worker_main(void *arg)
{
    struct scanjobs *sj = arg;

    /* Scans yield to the host's work: a lower CPU priority for this thread
     * and the scanning threads it starts (Linux: nice is per thread and
     * inherited). */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WORKER_NICE) != 0)
        log_kv(LOG_LVL_DEBUG, "cannot lower the scan priority", NULL);
    pthread_mutex_lock(&sj->mu);
    for (;;) {
        struct job *j = NULL;
        while (!sj->stop) {
            for (size_t i = 0; i < sj->jobs.n && !j; i++)
                if (!sj->jobs.items[i]->done)
                    j = sj->jobs.items[i];
            if (j)
                break;
            pthread_cond_wait(&sj->cv, &sj->mu);
        }
        if (sj->stop)
            break;
        j->running = true;
        pthread_mutex_unlock(&sj->mu);
        bool finished = run_job(sj, j);
        pthread_mutex_lock(&sj->mu);
        if (!finished) {
            j->running = false;
            if (sj->stop)
                break;
        }
    }
    pthread_mutex_unlock(&sj->mu);
    return NULL;
}

/* ---- the collector's side ---- */

int scanjobs_fd(const struct scanjobs *sj)
{
    return sj->efd;
}

static void schedule(struct scanjobs *sj, int64_t now, const char *mode, unsigned every,
                     int64_t *last)
{
    if (every == 0 || (sj->rules_v == 0 && sj->hashes_v == 0))
        return;
    if (*last == 0) /* first start: the first scheduled scan a while after it */
        *last = now - every + MIN(every, 600u);
    if (now - *last < every || sj->jobs.n >= SCANJOB_MAX_JOBS)
        return;
    for (size_t i = 0; i < sj->jobs.n; i++)
        if (strcmp(sj->jobs.items[i]->trigger, "schedule") == 0 &&
            strcmp(sj->jobs.items[i]->mode, mode) == 0)
            return; /* the last one has not run yet */
    struct job *j = xcalloc(1, sizeof(*j));
    snprintf(j->id, sizeof(j->id), "s%s-%lld", mode, (long long)now);
    snprintf(j->mode, sizeof(j->mode), "%s", mode);
    snprintf(j->trigger, sizeof(j->trigger), "schedule");
    VEC_PUSH(&sj->jobs, j);
    *last = now;
    sj->dirty = true;
    pthread_cond_signal(&sj->cv);
}

/* Once a day: delete quarantined files older than quarantine_days (an
 * absent store is not created). */
static void purge(struct scanjobs *sj, int64_t now)
{
    struct quar_store *q = NULL;
    struct stat st;
    struct verr e;
    size_t n = 0;

    if (sj->o.quarantine_days == 0 || now < sj->next_purge)
        return;
    sj->next_purge = now + 86400;
    if (stat(sj->quar, &st) != 0)
        return;
    verr_init(&e);
    if (quar_open(sj->quar, &q, &e) < 0 ||
        quar_purge(q, (int64_t)sj->o.quarantine_days * 86400, &n, &e) < 0) {
        log_kv(LOG_LVL_WARN, "cannot purge the quarantine", "error", e.msg, NULL);
    } else if (n > 0) {
        char k[24];
        snprintf(k, sizeof(k), "%zu", n);
        log_kv(LOG_LVL_INFO, "old quarantined files deleted", "n", k, NULL);
    }
    quar_close(q);
}

int scanjobs_poll(struct scanjobs *sj, int64_t now, agent_emit_fn emit, void *ctx)
{
    uint64_t n;
    json_t *out, *ev;
    size_t i;
    int rc = 0;

    if (read(sj->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        return -errno;
    pthread_mutex_lock(&sj->mu);
    out = sj->out;
    sj->out = json_array();
    /* Every event of a done job is in out: drop the job (saved after the
     * spool's sync, scanjobs_save). */
    for (i = 0; i < sj->jobs.n;) {
        struct job *j = sj->jobs.items[i];
        if (j->done) {
            if (j->task_id > 0) {
                sj->done_ids[sj->done_at] = j->task_id;
                sj->done_at = (sj->done_at + 1) % SCANJOB_DONE_IDS;
                sj->n_done = MIN(sj->n_done + 1, (size_t)SCANJOB_DONE_IDS);
            }
            job_free(j);
            memmove(&sj->jobs.items[i], &sj->jobs.items[i + 1],
                    (sj->jobs.n - i - 1) * sizeof(sj->jobs.items[0]));
            sj->jobs.n--;
            sj->dirty = true;
        } else {
            i++;
        }
    }
    schedule(sj, now, "full", sj->o.full_every_s, &sj->last_full);
    schedule(sj, now, "quick", sj->o.quick_every_s, &sj->last_quick);
    pthread_mutex_unlock(&sj->mu);
    purge(sj, now);
    json_array_foreach(out, i, ev)
    {
        if (json_is_null(ev) || rc < 0)
            continue;
        rc = emit(ctx, json_incref(ev));
    }
    json_decref(out);
    return rc;
}

int scanjobs_save(struct scanjobs *sj)
{
    int rc = 0;
    pthread_mutex_lock(&sj->mu);
    if (sj->dirty)
        rc = save_locked(sj);
    pthread_mutex_unlock(&sj->mu);
    return rc;
}

void scanjobs_versions(struct scanjobs *sj, int64_t *ret_rules, int64_t *ret_hashes)
{
    pthread_mutex_lock(&sj->mu);
    *ret_rules = sj->rules_v;
    *ret_hashes = sj->hashes_v;
    pthread_mutex_unlock(&sj->mu);
}

int scanjobs_open(const struct scanjob_opts *o, struct scanjobs **ret, struct verr *err)
{
    struct scanjobs *sj = xcalloc(1, sizeof(*sj));
    int rc;

    sj->o = *o;
    sj->efd = -1;
    pthread_mutex_init(&sj->mu, NULL);
    pthread_cond_init(&sj->cv, NULL);
    sj->out = json_array();
    atomic_init(&sj->cancel, false);
    if (snprintf(sj->dir, sizeof(sj->dir), "%s/scan", o->data_dir) >= (int)sizeof(sj->dir) ||
        snprintf(sj->quar, sizeof(sj->quar), "%s", o->quarantine_dir ? o->quarantine_dir : "") >=
            (int)sizeof(sj->quar) ||
        (!o->quarantine_dir && snprintf(sj->quar, sizeof(sj->quar), "%s/quarantine", o->data_dir) >=
                                   (int)sizeof(sj->quar))) {
        scanjobs_free(sj);
        return verr_set(err, -ENAMETOOLONG, "scan: data directory path too long");
    }
    if ((rc = mkdir_p(sj->dir, 0700)) < 0) {
        scanjobs_free(sj);
        return verr_set(err, rc, "%s: %s", "scan state", strerror(-rc));
    }
    for (size_t i = 0; i < ARRAY_SIZE(builtin_exclude); i++)
        VEC_PUSH(&sj->exclude, builtin_exclude[i]);
    VEC_PUSH(&sj->exclude, sj->quar);
    VEC_PUSH(&sj->exclude, sj->dir);
    for (size_t i = 0; i < o->n_exclude; i++)
        VEC_PUSH(&sj->exclude, o->exclude[i]);
    load_state(sj);
    (void)agent_hostname(); /* cached before the worker makes events */
    sj->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (sj->efd < 0) {
        rc = -errno;
        scanjobs_free(sj);
        return verr_set(err, rc, "scan: eventfd: %s", strerror(-rc));
    }
    if ((rc = pthread_create(&sj->thread, NULL, worker_main, sj)) != 0) {
        scanjobs_free(sj);
        return verr_set(err, -rc, "scan: cannot start the worker: %s", strerror(rc));
    }
    sj->started = true;
    *ret = sj;
    return 0;
}

void scanjobs_free(struct scanjobs *sj)
{
    if (!sj)
        return;
    if (sj->started) {
        pthread_mutex_lock(&sj->mu);
        sj->stop = true;
        atomic_store(&sj->cancel, true);
        pthread_cond_signal(&sj->cv);
        pthread_mutex_unlock(&sj->mu);
        pthread_join(sj->thread, NULL);
    }
    for (size_t i = 0; i < sj->jobs.n; i++)
        job_free(sj->jobs.items[i]);
    VEC_FREE(&sj->jobs);
    VEC_FREE(&sj->exclude);
    json_decref(sj->out);
    scan_rules_free(sj->rules);
    scan_hashes_free(sj->hashes);
    if (sj->efd >= 0)
        close(sj->efd);
    pthread_mutex_destroy(&sj->mu);
    pthread_cond_destroy(&sj->cv);
    free(sj);
}
