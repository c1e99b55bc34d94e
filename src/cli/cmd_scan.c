/*
 * `vigil scan`: walk paths and scan files with YARA rules and hash lists
 * (scan/walk.h), optionally quarantine what is found; scan process memory.
 * `vigil quarantine`: list, restore and purge quarantined files.
 */
#include "cli/cmd_scan.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/i18n.h"
#include "base/str.h"
#include "base/vec.h"
#include "base/vtime.h"
#include "cli/cli.h"
#include "scan/cache.h"
#include "scan/memscan.h"
#include "scan/quarantine.h"
#include "scan/walk.h"

#define MAX_ROOTS 4096

void scan_usage(FILE *f)
{
    fputs(_("Usage: vigil scan PATH... [OPTIONS]\n"
            "Scan files for malware with YARA rules and file-hash lists, offline.\n"
            "\n"
            "  --rules DIR|FILE      YARA rules (*.yar, *.yara below a directory); repeatable\n"
            "  --hashes FILE         MD5/SHA-1/SHA-256 list, MalwareBazaar CSV or STIX; "
            "repeatable\n"
            "  --quarantine          move what is found into the quarantine store\n"
            "  --force               also quarantine outside PATH or in system directories\n"
            "  --quarantine-dir DIR  the store (env VIGIL_QUARANTINE_DIR; default "
            "/var/lib/vigil/quarantine)\n"
            "  --threads N           scanning threads (default: the number of CPUs)\n"
            "  --max-size SIZE       skip larger files (K, M, G suffixes; default 128M, at most "
            "1G)\n"
            "  --exclude GLOB        skip matching paths (a GLOB with '/' matches the whole "
            "path); repeatable\n"
            "  --one-file-system     do not cross into other filesystems\n"
            "  --max-depth N         deepest directory level walked (default 256)\n"
            "  --cache DIR           skip files unchanged since they were found clean\n"
            "  --pid PID             also scan this process's memory; repeatable\n"
            "  --all-processes       also scan the memory of every process (needs root)\n"
            "  --scan-id ID          recorded with quarantined files\n"
            "  --json                one JSON object a line\n"
            "\n"
            "Exit status: 0 nothing found, 1 something found, 2 usage or input error.\n"),
          f);
}

void quarantine_usage(FILE *f)
{
    fputs(_("Usage: vigil quarantine list | restore ID | purge [--older-than DAYS] "
            "[--dir DIR] [--json]\n"
            "Files quarantined by 'vigil scan --quarantine'.\n"
            "\n"
            "  list                  the items, oldest first\n"
            "  restore ID            put the file back exactly (bytes, owner, mode, times)\n"
            "  purge                 delete items older than --older-than DAYS (default 30)\n"
            "  --dir DIR             the store (env VIGIL_QUARANTINE_DIR; default "
            "/var/lib/vigil/quarantine)\n"),
          f);
}

/* ---- options ---- */

struct scan_cmd {
    struct arg_list rules, hashes, exclude, pids;
    const char *threads, *max_size, *max_depth, *cache_dir, *quar_dir, *scan_id;
    bool quarantine, force, one_fs, all_procs;
    bool json, tty;
    const char *roots[MAX_ROOTS];
    size_t n_roots;
    /* results, filled by the callbacks (serialised by the walk) */
    VEC(char *) found_paths;
    VEC(char *) found_names;
    uint64_t start_ns;
    /* the count for the progress bar's ETA */
    pthread_mutex_t total_mu;
    bool total_known;
    struct walk_stats total;
    int progress_width;
};

/* "64M" -> bytes. */
static int parse_size(const char *s, uint64_t *ret)
{
    size_t n = strlen(s);
    uint64_t mult = 1;
    if (n > 0) {
        char c = s[n - 1];
        if (c == 'K' || c == 'k')
            mult = 1ull << 10;
        else if (c == 'M' || c == 'm')
            mult = 1ull << 20;
        else if (c == 'G' || c == 'g')
            mult = 1ull << 30;
        if (mult > 1)
            n--;
    }
    uint64_t v;
    if (n == 0 || str_to_u64(s, n, SCAN_MAX_FILE_SIZE / mult, &v) < 0 || v * mult == 0)
        return -EINVAL;
    *ret = v * mult;
    return 0;
}

/* ---- output ---- */

static void json_line(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
    json_decref(o);
}

static void clear_progress(struct scan_cmd *sc)
{
    if (sc->progress_width > 0) {
        fprintf(stderr, "\r%*s\r", sc->progress_width, "");
        sc->progress_width = 0;
    }
}

static void human_bytes(uint64_t n, char out[static 32])
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
        v /= 1024;
        u++;
    }
    if (snprintf(out, 32, u ? "%.1f %s" : "%.0f %s", v, units[u]) < 0)
        out[0] = '\0';
}

static void on_result(const struct scan_result *r, const struct stat *st, void *ud)
{
    (void)st;
    struct scan_cmd *sc = ud;
    struct buf names = BUF_INIT(1 << 16);
    for (size_t i = 0; i < r->n_rules; i++)
        if (buf_printf(&names, "%s%s", i ? ", " : "", r->rules[i]) < 0)
            break;
    if (r->hash_match && buf_printf(&names, "%s%s", names.len ? ", " : "", r->hash_match) < 0)
        buf_truncate(&names, names.len);
    if (sc->json) {
        json_t *rules = json_array();
        for (size_t i = 0; i < r->n_rules; i++)
            json_array_append_new(rules, json_string(r->rules[i]));
        json_t *o = json_pack("{s:s, s:s, s:I, s:o}", "type", "detection", "path", r->path, "size",
                              (json_int_t)r->size, "rules", rules);
        if (o && r->hash_match)
            json_object_set_new(o, "hash_match", json_string(r->hash_match));
        if (o && r->have_hashes) {
            char hex[65];
            hex_encode(r->md5, 16, hex);
            json_object_set_new(o, "md5", json_string(hex));
            hex_encode(r->sha1, 20, hex);
            json_object_set_new(o, "sha1", json_string(hex));
            hex_encode(r->sha256, 32, hex);
            json_object_set_new(o, "sha256", json_string(hex));
        }
        if (o)
            json_line(o);
    } else {
        clear_progress(sc);
        printf(_("%s: found %s\n"), r->path, buf_str(&names));
    }
    VEC_PUSH(&sc->found_paths, xstrdup(r->path));
    VEC_PUSH(&sc->found_names, buf_detach(&names, NULL));
}

static const char *err_text(enum walk_err k)
{
    static const char *const texts[WALK_ERR_COUNT] = {
        N_("unreadable"),
        N_("vanished during the scan"),
        N_("changed during the scan"),
        N_("larger than --max-size"),
        N_("device, FIFO or socket: skipped"),
        N_("symlink: not followed"),
        N_("symlink loop or directory cycle"),
        N_("deeper than --max-depth"),
        N_("another filesystem: skipped"),
        N_("rules timed out"),
        N_("scan error"),
    };
    return (unsigned)k < WALK_ERR_COUNT ? _(texts[k]) : "?";
}

static void on_error(const char *path, enum walk_err kind, int err, void *ud)
{
    struct scan_cmd *sc = ud;
    if (kind == WALK_ERR_SYMLINK)
        return; /* normal: counted only */
    if (sc->json) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "type", "skipped", "path", path, "reason",
                              walk_err_name(kind));
        if (o && err)
            json_object_set_new(o, "error", json_string(strerror(err)));
        if (o)
            json_line(o);
        return;
    }
    clear_progress(sc);
    if (err && kind != WALK_ERR_TOO_BIG && kind != WALK_ERR_LOOP)
        fprintf(stderr, "vigil scan: %s: %s (%s)\n", path, err_text(kind), strerror(err));
    else
        fprintf(stderr, "vigil scan: %s: %s\n", path, err_text(kind));
}

static void on_progress(const struct walk_stats *s, bool done, void *ud)
{
    struct scan_cmd *sc = ud;
    if (!sc->tty)
        return;
    if (done) {
        clear_progress(sc);
        return;
    }
    double secs = (double)(vtime_mono_ns() - sc->start_ns) / 1e9;
    double rate = secs > 0 ? (double)s->n_bytes / secs : 0;
    char done_b[32], rate_b[32], eta[32] = "?";
    human_bytes(s->n_bytes, done_b);
    human_bytes((uint64_t)rate, rate_b);
    pthread_mutex_lock(&sc->total_mu);
    bool known = sc->total_known;
    uint64_t total_bytes = sc->total.bytes_found, total_files = sc->total.n_found;
    pthread_mutex_unlock(&sc->total_mu);
    uint64_t handled = s->n_bytes;
    if (known && rate > 0 && total_bytes >= handled) {
        uint64_t left = (uint64_t)((double)(total_bytes - handled) / rate);
        if (snprintf(eta, sizeof(eta), "%" PRIu64 ":%02u", left / 60, (unsigned)(left % 60)) < 0)
            eta[0] = '\0';
    }
    int n;
    fputc('\r', stderr);
    if (known)
        n = fprintf(stderr, _("%llu/%llu files  %s  %s/s  ETA %s  found %llu "),
                    (unsigned long long)(s->n_files + s->n_cached), (unsigned long long)total_files,
                    done_b, rate_b, eta, (unsigned long long)s->n_detected);
    else
        n = fprintf(stderr, _("%llu files  %s  %s/s  ETA %s  found %llu "),
                    (unsigned long long)(s->n_files + s->n_cached), done_b, rate_b, eta,
                    (unsigned long long)s->n_detected);
    n++; /* the '\r' */
    if (n > sc->progress_width)
        sc->progress_width = n;
}

/* ---- the count behind the ETA ---- */

struct count_job {
    struct scan_cmd *sc;
    struct walk_opts o;
};

static void *count_main(void *arg)
{
    struct count_job *j = arg;
    struct walk_stats s;
    struct verr e;
    verr_init(&e);
    if (walk_run(j->sc->roots, j->sc->n_roots, &j->o, &s, &e) == 0) {
        pthread_mutex_lock(&j->sc->total_mu);
        j->sc->total = s;
        j->sc->total_known = true;
        pthread_mutex_unlock(&j->sc->total_mu);
    }
    return NULL;
}

/* ---- loading ---- */

static int load_inputs(struct scan_cmd *sc, struct scan_rules **ret_rules,
                       struct scan_hashes **ret_hashes)
{
    struct verr e;
    verr_init(&e);
    if (sc->rules.n &&
        scan_rules_load_cached(sc->rules.items, sc->rules.n, sc->cache_dir, ret_rules, &e) < 0) {
        cli_err("%s", e.msg);
        return CLI_EXIT_USAGE;
    }
    if (sc->hashes.n) {
        *ret_hashes = scan_hashes_new();
        for (size_t i = 0; i < sc->hashes.n; i++)
            if (scan_hashes_load_file(*ret_hashes, sc->hashes.items[i], &e) < 0) {
                cli_err("%s", e.msg);
                return CLI_EXIT_USAGE;
            }
    }
    return CLI_EXIT_OK;
}

static const char *quar_dir(const char *opt)
{
    if (opt)
        return opt;
    const char *env = getenv("VIGIL_QUARANTINE_DIR");
    return env && *env ? env : QUAR_DEFAULT_DIR;
}

/* Quarantine what was found. Returns the number that failed. */
static size_t quarantine_found(struct scan_cmd *sc)
{
    if (sc->found_paths.n == 0)
        return 0;
    struct verr e;
    verr_init(&e);
    struct quar_store *q = NULL;
    if (quar_open(quar_dir(sc->quar_dir), &q, &e) < 0) {
        cli_err("%s", e.msg);
        return sc->found_paths.n;
    }
    char scan_id[32];
    if (!sc->scan_id && snprintf(scan_id, sizeof(scan_id), "scan-%" PRId64, vtime_now()) < 0)
        scan_id[0] = '\0';
    struct quar_policy pol = {.roots = sc->roots, .n_roots = sc->n_roots, .force = sc->force};
    size_t failed = 0;
    for (size_t i = 0; i < sc->found_paths.n; i++) {
        struct quar_meta m;
        verr_init(&e);
        if (quar_add(q, sc->found_paths.items[i], sc->found_names.items[i],
                     sc->scan_id ? sc->scan_id : scan_id, &pol, &m, &e) < 0) {
            cli_err("%s", e.msg);
            failed++;
            continue;
        }
        if (sc->json)
            json_line(json_pack("{s:s, s:s, s:s}", "type", "quarantined", "path",
                                sc->found_paths.items[i], "id", m.id));
        else
            printf(_("%s: quarantined as %s\n"), sc->found_paths.items[i], m.id);
        quar_meta_release(&m);
    }
    quar_close(q);
    return failed;
}

static void on_process(const struct memscan_result *r, void *ud)
{
    struct scan_cmd *sc = ud;
    if (sc->json) {
        json_t *rules = json_array();
        for (size_t i = 0; i < r->n_rules; i++)
            json_array_append_new(rules, json_string(r->rules[i]));
        json_line(json_pack("{s:s, s:i, s:s, s:o}", "type", "process", "pid", (int)r->pid, "comm",
                            r->comm, "rules", rules));
        return;
    }
    printf(_("process %d (%s): found"), (int)r->pid, r->comm);
    for (size_t i = 0; i < r->n_rules; i++)
        printf("%s %s", i ? "," : "", r->rules[i]);
    putchar('\n');
}

static int scan_memory(struct scan_cmd *sc, const struct scan_rules *rules,
                       struct memscan_stats *ms)
{
    pid_t pids[ARGS_MAX_MULTI];
    for (size_t i = 0; i < sc->pids.n; i++) {
        uint64_t v;
        if (str_to_u64(sc->pids.items[i], strlen(sc->pids.items[i]), INT32_MAX, &v) < 0 || v == 0) {
            cli_err(_("--pid: not a process id: '%s'"), sc->pids.items[i]);
            return CLI_EXIT_USAGE;
        }
        pids[i] = (pid_t)v;
    }
    if (!rules) {
        cli_err("%s", _("memory scanning needs --rules"));
        return CLI_EXIT_USAGE;
    }
    struct verr e;
    verr_init(&e);
    if (memscan_run(rules, pids, sc->all_procs ? 0 : sc->pids.n, 0, on_process, sc, ms, &e) < 0) {
        cli_err("%s", e.msg);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static void print_summary(struct scan_cmd *sc, const struct walk_stats *s,
                          const struct memscan_stats *ms, double secs, size_t n_quar_failed)
{
    uint64_t n_skipped = 0;
    for (int k = 0; k < WALK_ERR_COUNT; k++)
        n_skipped += s->n_err[k];
    if (sc->json) {
        json_t *errs = json_object();
        for (int k = 0; k < WALK_ERR_COUNT; k++)
            json_object_set_new(errs, walk_err_name(k), json_integer((json_int_t)s->n_err[k]));
        json_t *o =
            json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:o, s:I}", "type", "summary",
                      "files", (json_int_t)s->n_files, "bytes", (json_int_t)s->n_bytes, "cached",
                      (json_int_t)s->n_cached, "detected", (json_int_t)s->n_detected, "dirs",
                      (json_int_t)s->n_dirs, "excluded", (json_int_t)s->n_excluded, "seconds", secs,
                      "skipped", errs, "quarantine_failed", (json_int_t)n_quar_failed);
        if (o && (sc->pids.n || sc->all_procs))
            json_object_set_new(
                o, "processes",
                json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "scanned", (json_int_t)ms->n_procs,
                          "detected", (json_int_t)ms->n_detected, "denied",
                          (json_int_t)ms->n_denied, "vanished", (json_int_t)ms->n_vanished,
                          "failed", (json_int_t)ms->n_failed, "too_big",
                          (json_int_t)ms->n_too_big));
        if (o)
            json_line(o);
        return;
    }
    char bytes[32];
    human_bytes(s->n_bytes, bytes);
    printf(_("Scanned %llu files (%s) in %.1f s; %llu unchanged (cache); %llu found; %llu "
             "skipped.\n"),
           (unsigned long long)s->n_files, bytes, secs, (unsigned long long)s->n_cached,
           (unsigned long long)s->n_detected, (unsigned long long)n_skipped);
    for (int k = 0; k < WALK_ERR_COUNT; k++)
        if (s->n_err[k])
            printf("  %-40s %llu\n", err_text(k), (unsigned long long)s->n_err[k]);
    if (sc->pids.n || sc->all_procs)
        printf(_("Processes: %llu scanned, %llu found, %llu not allowed (needs root), %llu "
                 "exited, %llu failed, %llu too big.\n"),
               (unsigned long long)ms->n_procs, (unsigned long long)ms->n_detected,
               (unsigned long long)ms->n_denied, (unsigned long long)ms->n_vanished,
               (unsigned long long)ms->n_failed, (unsigned long long)ms->n_too_big);
}

static int parse_scan_opts(struct scan_cmd *sc, struct cli *c, int argc, char **argv,
                           struct walk_opts *wo)
{
    struct arg_opt opts[] = {
        CLI_COMMON_OPTS(c),
        {"--rules", ARG_MULTI, &sc->rules},
        {"--hashes", ARG_MULTI, &sc->hashes},
        {"--exclude", ARG_MULTI, &sc->exclude},
        {"--pid", ARG_MULTI, &sc->pids},
        {"--threads", ARG_STR, &sc->threads},
        {"--max-size", ARG_STR, &sc->max_size},
        {"--max-depth", ARG_STR, &sc->max_depth},
        {"--cache", ARG_STR, &sc->cache_dir},
        {"--quarantine-dir", ARG_STR, &sc->quar_dir},
        {"--scan-id", ARG_STR, &sc->scan_id},
        {"--quarantine", ARG_FLAG, &sc->quarantine},
        {"--force", ARG_FLAG, &sc->force},
        {"--one-file-system", ARG_FLAG, &sc->one_fs},
        {"--all-processes", ARG_FLAG, &sc->all_procs},
    };
    size_t min_pos = 1;
    /* Scanning only memory needs no PATH. */
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--pid", 5) == 0 || strcmp(argv[i], "--all-processes") == 0)
            min_pos = 0;
    int r = cli_args(c, "scan", scan_usage, argc, argv, opts, ARRAY_SIZE(opts), sc->roots, min_pos,
                     MAX_ROOTS, "PATH");
    if (r != CLI_GO)
        return r;
    struct verr e;
    verr_init(&e);
    uint64_t v;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    wo->n_threads = ncpu > 0 ? (unsigned)MIN(ncpu, 64) : 1;
    if (sc->threads) {
        if (arg_number("--threads", sc->threads, 1, WALK_MAX_THREADS, &v, &e) < 0)
            return cli_usage_error("scan", &e);
        wo->n_threads = (unsigned)v;
    }
    if (sc->max_depth) {
        if (arg_number("--max-depth", sc->max_depth, 1, WALK_MAX_DEPTH, &v, &e) < 0)
            return cli_usage_error("scan", &e);
        wo->max_depth = (unsigned)v;
    }
    if (sc->max_size && parse_size(sc->max_size, &wo->max_size) < 0) {
        verr_set(&e, -EINVAL, N_("--max-size: '%s' is not a size from 1 to 1G (K, M, G)"),
                 sc->max_size);
        return cli_usage_error("scan", &e);
    }
    if (sc->rules.n == 0 && sc->hashes.n == 0) {
        verr_set(&e, -EINVAL, N_("nothing to look for: give --rules or --hashes"));
        return cli_usage_error("scan", &e);
    }
    for (size_t i = 0; i < ARRAY_SIZE(sc->roots) && sc->roots[i]; i++)
        sc->n_roots = i + 1;
    for (size_t i = 0; i < sc->n_roots; i++) {
        struct stat st;
        if (stat(sc->roots[i], &st) != 0) {
            cli_err("%s: %s", sc->roots[i], strerror(errno));
            return CLI_EXIT_USAGE;
        }
    }
    wo->exclude = sc->exclude.items;
    wo->n_exclude = sc->exclude.n;
    wo->one_file_system = sc->one_fs;
    return CLI_GO;
}

int cmd_scan(int argc, char **argv)
{
    struct cli c = {.lang = i18n_get()};
    struct scan_cmd sc = {0};
    struct walk_opts wo = {0};
    int r = parse_scan_opts(&sc, &c, argc, argv, &wo);
    if (r != CLI_GO)
        return r;
    sc.json = c.json;
    sc.tty = isatty(2) == 1;
    pthread_mutex_init(&sc.total_mu, NULL);

    struct scan_rules *rules = NULL;
    struct scan_hashes *hashes = NULL;
    struct scan_cache *cache = NULL;
    struct walk_stats ws = {0};
    struct memscan_stats ms = {0};
    size_t n_quar_failed = 0;
    r = load_inputs(&sc, &rules, &hashes);
    if (r == CLI_EXIT_OK && sc.cache_dir) {
        uint8_t ver[32];
        scan_cache_version_of(rules, hashes, ver);
        cache = scan_cache_new(ver);
        struct verr e;
        verr_init(&e);
        int cr = scan_cache_load(cache, sc.cache_dir, &e);
        if (cr < 0 && cr != -ESTALE && cr != -EBADMSG)
            cli_err("%s", e.msg); /* rescan everything */
    }
    sc.start_ns = vtime_mono_ns();
    if (r == CLI_EXIT_OK && sc.n_roots) {
        wo.rules = rules;
        wo.hashes = hashes;
        wo.cache = cache;
        wo.on_result = on_result;
        wo.on_error = on_error;
        wo.on_progress = on_progress;
        wo.ud = &sc;
        pthread_t counter;
        struct count_job job = {.sc = &sc, .o = wo};
        job.o.count_only = true;
        job.o.on_result = NULL;
        job.o.on_error = NULL;
        job.o.on_progress = NULL;
        job.o.cache = NULL;
        bool counting = sc.tty && pthread_create(&counter, NULL, count_main, &job) == 0;
        struct verr e;
        verr_init(&e);
        if (walk_run(sc.roots, sc.n_roots, &wo, &ws, &e) < 0) {
            cli_err("%s", e.msg);
            r = CLI_EXIT_USAGE;
        }
        if (counting)
            pthread_join(counter, NULL);
    }
    if (r == CLI_EXIT_OK && (sc.pids.n || sc.all_procs))
        r = scan_memory(&sc, rules, &ms);
    double secs = (double)(vtime_mono_ns() - sc.start_ns) / 1e9;
    if (r == CLI_EXIT_OK && sc.quarantine)
        n_quar_failed = quarantine_found(&sc);
    if (r == CLI_EXIT_OK && cache) {
        struct verr e;
        verr_init(&e);
        if (scan_cache_save(cache, sc.cache_dir, &e) < 0)
            cli_err("%s", e.msg);
    }
    if (r == CLI_EXIT_OK) {
        print_summary(&sc, &ws, &ms, secs, n_quar_failed);
        r = ws.n_detected || ms.n_detected ? CLI_EXIT_FOUND : CLI_EXIT_OK;
    }
    fflush(stdout);
    for (size_t i = 0; i < sc.found_paths.n; i++) {
        free(sc.found_paths.items[i]);
        free(sc.found_names.items[i]);
    }
    VEC_FREE(&sc.found_paths);
    VEC_FREE(&sc.found_names);
    scan_cache_free(cache);
    scan_hashes_free(hashes);
    scan_rules_free(rules);
    pthread_mutex_destroy(&sc.total_mu);
    return r;
}

/* ---- vigil quarantine ---- */

static void print_item(const struct quar_meta *m, void *ud)
{
    bool json = *(bool *)ud;
    char when[26];
    vtime_format_local(m->time, when);
    if (json) {
        char *doc = quar_meta_encode(m);
        json_t *o = doc ? json_loads(doc, 0, NULL) : NULL;
        free(doc);
        if (o)
            json_line(o);
        return;
    }
    printf("%s  %s  %-24s  %s\n", m->id, when, m->detection, m->path);
}

int cmd_quarantine(int argc, char **argv)
{
    struct cli c = {.lang = i18n_get()};
    const char *dir = NULL, *older = NULL;
    struct arg_opt opts[] = {
        CLI_COMMON_OPTS(&c), {"--dir", ARG_STR, &dir}, {"--older-than", ARG_STR, &older}};
    const char *pos[3] = {0};
    int r = cli_args(&c, "quarantine", quarantine_usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 1,
                     2, "VERB ID");
    if (r != CLI_GO)
        return r;
    struct verr e;
    verr_init(&e);
    const char *verb = pos[0];
    uint64_t days = 30;
    if (strcmp(verb, "list") != 0 && strcmp(verb, "restore") != 0 && strcmp(verb, "purge") != 0) {
        verr_set(&e, -EINVAL, N_("quarantine: unknown verb '%s' (list, restore, purge)"), verb);
        return cli_usage_error("quarantine", &e);
    }
    if ((strcmp(verb, "restore") == 0) != (pos[1] != NULL)) {
        verr_set(&e, -EINVAL, N_("quarantine: 'restore' takes one ID, the others none"));
        return cli_usage_error("quarantine", &e);
    }
    if (older && arg_number("--older-than", older, 0, 100000, &days, &e) < 0)
        return cli_usage_error("quarantine", &e);
    struct quar_store *q = NULL;
    if (quar_open(quar_dir(dir), &q, &e) < 0) {
        cli_err("%s", e.msg);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(verb, "list") == 0) {
        size_t bad = 0;
        if (quar_list(q, print_item, &c.json, &bad, &e) < 0) {
            cli_err("%s", e.msg);
            r = CLI_EXIT_USAGE;
        } else if (bad) {
            cli_err(_("%zu unreadable quarantine records skipped"), bad);
        }
    } else if (strcmp(verb, "restore") == 0) {
        if (quar_restore(q, pos[1], &e) < 0) {
            cli_err("%s", e.msg);
            r = CLI_EXIT_USAGE;
        } else if (c.json) {
            json_line(json_pack("{s:s, s:s}", "type", "restored", "id", pos[1]));
        } else {
            printf(_("Restored %s.\n"), pos[1]);
        }
    } else {
        size_t n = 0;
        if (quar_purge(q, (int64_t)days * 86400, &n, &e) < 0) {
            cli_err("%s", e.msg);
            r = CLI_EXIT_USAGE;
        }
        if (c.json)
            json_line(json_pack("{s:s, s:I}", "type", "purged", "count", (json_int_t)n));
        else
            printf(_("Purged %zu items.\n"), n);
    }
    quar_close(q);
    return r == CLI_GO ? CLI_EXIT_OK : r;
}
