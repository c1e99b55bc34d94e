/* Fuzz target: opening a spool (src/wire/spool.c) whose one segment file
 * holds the fuzz input, as after a crash or disk damage. The spool must
 * open, cut off what is damaged, and then read back exactly the records
 * 1 .. next_seq - 1, contiguous; a further append gets next_seq. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "wire/spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void clean(void)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    char path[512];
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') {
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            unlink(path);
        }
    closedir(d);
}

static void remove_dir(void)
{
    clean();
    rmdir(dir);
}

static int check(void *ctx, uint64_t seq, const void *p, size_t len)
{
    uint64_t *want = ctx;
    (void)p;
    (void)len;
    if (seq != *want)
        abort();
    (*want)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        /* tmpfs when there is one: the spool's fsyncs cost nothing there. */
        snprintf(dir, sizeof(dir), "%s/vigil-fuzz-spool-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_dir);
    }
    clean();
    char path[512];
    snprintf(path, sizeof(path), "%s/seg-00000000000000000001.log", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write_all(fd, data, size) != 0)
        abort();
    close(fd);
    struct spool *s = NULL;
    if (spool_open(dir, 1u << 20, 64 * 1024, &s, NULL) != 0)
        abort();
    struct spool_stats st;
    spool_stats(s, &st);
    uint64_t want = 1;
    int n = spool_read(s, 1, SIZE_MAX, SIZE_MAX, check, &want);
    if (n < 0 || want != st.next_seq || (uint64_t)n != st.n_pending)
        abort();
    uint64_t seq;
    if (spool_append(s, "x", 1, &seq) != 0 || seq != st.next_seq)
        abort();
    spool_close(s);
    return 0;
}
