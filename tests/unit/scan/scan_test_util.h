/* Helpers shared by the scan unit tests: temporary trees and file writers. */
#ifndef VIGIL_TEST_SCAN_UTIL_H
#define VIGIL_TEST_SCAN_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The EICAR test string, assembled at run time from its public definition
 * (two halves, so no file in the repository holds it whole). */
static inline void eicar(char out[69])
{
    const char *a = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$";
    const char *b = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    memcpy(out, a, strlen(a));
    memcpy(out + strlen(a), b, strlen(b) + 1);
}

static inline void write_file(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, p, n) != (ssize_t)n) {
        perror(path);
        abort();
    }
    close(fd);
}

static inline void write_str(const char *path, const char *s)
{
    write_file(path, s, strlen(s));
}

/* A fresh directory under TMPDIR (or /tmp); world-traversable so tests
 * that drop to an unprivileged user can walk it. */
static inline char *make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof(tmpl), "%s/vigil-scan-XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    if (!d)
        abort();
    chmod(d, 0755);
    return strdup(d);
}

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    chmod(path, 0700);
    return remove(path) == 0 || errno == ENOENT ? 0 : 0;
}

static inline void rm_rf(const char *path)
{
    nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS);
}

static inline const char *test_data(void)
{
    const char *d = getenv("VIGIL_TEST_DATA");
    return d && *d ? d : ".";
}

#endif
