/*
 * YARA rules: collect rule files, compile them once with the external
 * variables defined, and fingerprint them for the clean-result cache.
 */
#include "scan/rules.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <yara.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/i18n.h"
#include "base/str.h"
#include "base/vec.h"

const char *const scan_rules_externals[] = {"filename", "filepath", "extension",
                                            "filetype", "owner",    NULL};

struct scan_rules {
    YR_RULES *rules;
    size_t n_files;
    size_t n_rules;
    uint8_t version[32];
};

typedef VEC(char *) path_vec;

struct compile_ctx {
    struct verr *e;
    const char *name; /* the source being compiled, when libyara has no file name */
    bool failed;
};

static bool is_rule_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && strcmp(name + n - 4, ".yar") == 0) ||
           (n > 5 && strcmp(name + n - 5, ".yara") == 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the rule files below dir (a directory) to out. */
static int collect_dir(const char *dir, unsigned depth, path_vec *out, struct verr *e)
{
    if (depth > SCAN_RULES_MAX_DEPTH)
        return verr_set(e, -E2BIG, N_("%s: rule directories nested too deep"), dir);
    DIR *d = opendir(dir);
    if (!d)
        return verr_set(e, -errno, N_("%s: cannot open rule directory: %s"), dir, strerror(errno));
    path_vec local = VEC_INIT;
    int r = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        struct buf p = BUF_INIT(0);
        if (buf_printf(&p, "%s/%s", dir, de->d_name) < 0) {
            buf_release(&p);
            r = verr_set(e, -E2BIG, N_("%s: path too long"), dir);
            break;
        }
        VEC_PUSH(&local, buf_detach(&p, NULL));
    }
    closedir(d);
    if (local.n)
        qsort(local.items, local.n, sizeof(local.items[0]), cmp_str);
    for (size_t i = 0; i < local.n; i++) {
        char *p = local.items[i];
        local.items[i] = NULL;
        struct stat st;
        if (r < 0 || lstat(p, &st) != 0 || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))) {
            free(p);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            r = collect_dir(p, depth + 1, out, e);
            free(p);
        } else if (is_rule_name(p) && out->n < SCAN_RULES_MAX_FILES) {
            VEC_PUSH(out, p);
        } else if (is_rule_name(p)) {
            free(p);
            r = verr_set(e, -E2BIG, N_("more than %u rule files"), (unsigned)SCAN_RULES_MAX_FILES);
        } else {
            free(p);
        }
    }
    VEC_FREE(&local);
    return r;
}

static void compile_cb(int level, const char *file, int line, const YR_RULE *rule,
                       const char *message, void *ud)
{
    (void)rule;
    struct compile_ctx *c = ud;
    if (level != YARA_ERROR_LEVEL_ERROR || c->failed)
        return;
    c->failed = true;
    verr_set(c->e, -EINVAL, N_("%s:%d: rule compile error: %s"),
             file      ? file
             : c->name ? c->name
                       : "?",
             line, message);
}

static void free_paths(path_vec *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->items[i]);
    VEC_FREE(v);
}

/* Feed each file's name and bytes to the version digest. */
static int digest_files(const path_vec *files, uint8_t out[32], struct verr *e)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return verr_set(e, -ENOMEM, N_("out of memory"));
    }
    EVP_DigestUpdate(md, YR_VERSION, strlen(YR_VERSION));
    int r = 0;
    for (size_t i = 0; i < files->n && r == 0; i++) {
        const char *path = files->items[i];
        char *text = NULL;
        size_t len = 0;
        r = file_read_all(path, SCAN_RULES_MAX_FILE_SIZE, &text, &len);
        if (r < 0) {
            verr_set(e, r, N_("%s: cannot read rule file: %s"), path, strerror(-r));
            break;
        }
        EVP_DigestUpdate(md, path, strlen(path) + 1);
        EVP_DigestUpdate(md, text, len);
        free(text);
    }
    unsigned int n = 0;
    EVP_DigestFinal_ex(md, out, &n);
    EVP_MD_CTX_free(md);
    return r;
}

/* A compiler reporting to cc with the external variables defined. */
static int compiler_open(struct compile_ctx *cc, YR_COMPILER **ret, struct verr *e)
{
    YR_COMPILER *c = NULL;
    if (yr_compiler_create(&c) != ERROR_SUCCESS)
        return verr_set(e, -ENOMEM, N_("out of memory"));
    yr_compiler_set_callback(c, compile_cb, cc);
    for (size_t i = 0; scan_rules_externals[i]; i++)
        if (yr_compiler_define_string_variable(c, scan_rules_externals[i], "") != ERROR_SUCCESS) {
            yr_compiler_destroy(c);
            return verr_set(e, -ENOMEM, N_("out of memory"));
        }
    *ret = c;
    return 0;
}

static int compile_all(const path_vec *files, struct scan_rules *sr, struct verr *e)
{
    YR_COMPILER *c = NULL;
    struct compile_ctx cc = {.e = e};
    int r = compiler_open(&cc, &c, e);
    if (r < 0)
        return r;
    for (size_t i = 0; i < files->n && r == 0; i++) {
        const char *path = files->items[i];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            r = verr_set(e, -errno, N_("%s: cannot open rule file: %s"), path, strerror(errno));
            break;
        }
        int n_err = yr_compiler_add_fd(c, fd, NULL, path);
        close(fd);
        if (n_err > 0 || cc.failed) {
            if (!cc.failed)
                verr_set(e, -EINVAL, N_("%s: rule compile error"), path);
            r = -EINVAL;
        }
    }
    if (r == 0 && yr_compiler_get_rules(c, &sr->rules) != ERROR_SUCCESS)
        r = verr_set(e, -ENOMEM, N_("out of memory"));
    yr_compiler_destroy(c);
    return r;
}

/* The compiled-rules file for version in cache_dir, which must be ours
 * and closed to others (compiled rules are trusted like code). */
static int compiled_path(const char *cache_dir, const uint8_t version[32], struct buf *out)
{
    if (mkdir_p(cache_dir, 0700) < 0)
        return -EACCES;
    struct stat st;
    if (stat(cache_dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 022))
        return -EPERM;
    char hex[65];
    hex_encode(version, 32, hex);
    return buf_printf(out, "%s/rules-%s.yarc", cache_dir, hex);
}

/* The end of a load: count the rules and hand sr over, or drop it on r < 0. */
static int load_done(struct scan_rules *sr, int r, struct scan_rules **ret)
{
    if (r < 0) {
        free(sr);
        yr_finalize();
        return r;
    }
    YR_RULE *rule;
    yr_rules_foreach(sr->rules, rule) sr->n_rules++;
    *ret = sr;
    return 0;
}

int scan_rules_load_cached(const char *const *paths, size_t n, const char *cache_dir,
                           struct scan_rules **ret, struct verr *e)
{
    path_vec files = VEC_INIT;
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0)
            r = verr_set(e, -errno, "%s: %s", paths[i], strerror(errno));
        else if (S_ISDIR(st.st_mode))
            r = collect_dir(paths[i], 0, &files, e);
        else if (files.n >= SCAN_RULES_MAX_FILES)
            r = verr_set(e, -E2BIG, N_("more than %u rule files"), (unsigned)SCAN_RULES_MAX_FILES);
        else
            VEC_PUSH(&files, xstrdup(paths[i]));
    }
    if (r == 0 && files.n == 0)
        r = verr_set(e, -ENODATA, N_("no rule files (*.yar, *.yara) found"));
    if (r < 0) {
        free_paths(&files);
        return r;
    }
    if (yr_initialize() != ERROR_SUCCESS) {
        free_paths(&files);
        return verr_set(e, -ENOMEM, N_("cannot initialise libyara"));
    }
    struct scan_rules *sr = xcalloc(1, sizeof(*sr));
    sr->n_files = files.n;
    r = digest_files(&files, sr->version, e);
    struct buf cpath = BUF_INIT(0);
    bool cached = false;
    if (r == 0 && cache_dir && compiled_path(cache_dir, sr->version, &cpath) == 0)
        cached = yr_rules_load(buf_str(&cpath), &sr->rules) == ERROR_SUCCESS;
    if (r == 0 && !cached) {
        r = compile_all(&files, sr, e);
        /* Best effort: a failed save only costs the next run a compile. */
        if (r == 0 && cpath.len) {
            struct buf tmp = BUF_INIT(0);
            if (buf_printf(&tmp, "%s.%d.tmp", buf_str(&cpath), (int)getpid()) == 0 &&
                yr_rules_save(sr->rules, buf_str(&tmp)) == ERROR_SUCCESS &&
                chmod(buf_str(&tmp), 0600) == 0 && rename(buf_str(&tmp), buf_str(&cpath)) == 0)
                cached = true;
            else
                unlink(buf_str(&tmp));
            buf_release(&tmp);
        }
    }
    buf_release(&cpath);
    free_paths(&files);
    return load_done(sr, r, ret);
}

int scan_rules_load(const char *const *paths, size_t n, struct scan_rules **ret, struct verr *e)
{
    return scan_rules_load_cached(paths, n, NULL, ret, e);
}

/* libyara asks for an include's text: refused, a bundle carries every file. */
static const char *refuse_include(const char *name UNUSED, const char *from UNUSED,
                                  const char *ns UNUSED, void *ud UNUSED)
{
    return NULL;
}

int scan_rules_load_mem(const struct scan_rule_text *files, size_t n, struct scan_rules **ret,
                        struct verr *e)
{
    if (n == 0)
        return verr_set(e, -ENODATA, N_("no rule files (*.yar, *.yara) found"));
    if (n > SCAN_RULES_MAX_FILES)
        return verr_set(e, -E2BIG, N_("more than %u rule files"), (unsigned)SCAN_RULES_MAX_FILES);
    if (yr_initialize() != ERROR_SUCCESS)
        return verr_set(e, -ENOMEM, N_("cannot initialise libyara"));
    struct scan_rules *sr = xcalloc(1, sizeof(*sr));
    sr->n_files = n;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        free(sr);
        yr_finalize();
        return verr_set(e, -ENOMEM, N_("out of memory"));
    }
    EVP_DigestUpdate(md, YR_VERSION, strlen(YR_VERSION));
    YR_COMPILER *c = NULL;
    struct compile_ctx cc = {.e = e};
    int r = compiler_open(&cc, &c, e);
    if (r == 0)
        yr_compiler_set_include_callback(c, refuse_include, NULL, NULL);
    for (size_t i = 0; i < n && r == 0; i++) {
        EVP_DigestUpdate(md, files[i].name, strlen(files[i].name) + 1);
        EVP_DigestUpdate(md, files[i].text, strlen(files[i].text));
        cc.name = files[i].name;
        if (yr_compiler_add_string(c, files[i].text, NULL) > 0 || cc.failed) {
            if (!cc.failed)
                verr_set(e, -EINVAL, N_("%s: rule compile error"), files[i].name);
            r = -EINVAL;
        }
    }
    if (r == 0 && yr_compiler_get_rules(c, &sr->rules) != ERROR_SUCCESS)
        r = verr_set(e, -ENOMEM, N_("out of memory"));
    if (c)
        yr_compiler_destroy(c);
    unsigned int md_len = 0;
    EVP_DigestFinal_ex(md, sr->version, &md_len);
    EVP_MD_CTX_free(md);
    return load_done(sr, r, ret);
}

void scan_rules_free(struct scan_rules *r)
{
    if (!r)
        return;
    yr_rules_destroy(r->rules);
    free(r);
    yr_finalize();
}

struct YR_RULES *scan_rules_yara(const struct scan_rules *r)
{
    return r->rules;
}

size_t scan_rules_n_files(const struct scan_rules *r)
{
    return r->n_files;
}

size_t scan_rules_n_rules(const struct scan_rules *r)
{
    return r->n_rules;
}

const uint8_t *scan_rules_version(const struct scan_rules *r)
{
    return r->version;
}

bool scan_bundle_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > SCAN_BUNDLE_NAME_MAX || s[0] == '/')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '/'))
            return false;
    }
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && s[e] != '/')
            e++;
        if (e == i || (e - i == 1 && s[i] == '.') || (e - i == 2 && s[i] == '.' && s[i + 1] == '.'))
            return false;
        i = e + 1;
        if (e == len - 1)
            return false; /* trailing '/' */
    }
    return true;
}
