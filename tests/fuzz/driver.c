/*
 * Standalone fuzz driver: replays every file of a corpus directory through
 * LLVMFuzzerTestOneInput, then a fixed number of deterministic mutations of
 * each (bit flips, byte insertions and deletions, truncations, splices), so
 * that gcc builds and `make check` exercise each target without libFuzzer.
 * Usage: fuzzdrv_NAME CORPUS_DIR [ITERATIONS_PER_FILE]
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "base/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

#define FUZZ_MAX_INPUT (1u << 20)

static void run_one(const uint8_t *p, size_t n)
{
    /* Copy into an exact-size heap block so ASan sees overreads. */
    uint8_t *copy = xmalloc(n ? n : 1);
    memcpy(copy, p, n);
    LLVMFuzzerTestOneInput(copy, n);
    free(copy);
}

static void mutate_and_run(const uint8_t *seed, size_t n, unsigned iters)
{
    uint8_t *buf = xmalloc(FUZZ_MAX_INPUT);
    static const char *tokens[] = {"\n", "\r\n", ",", ";", "\"", "/", ":", "::", ".", "255",
                                   "256", "/33", "0x", "{", "}", "[", "]", "'", "\\", "\0"};
    for (unsigned it = 0; it < iters; it++) {
        size_t len = MIN(n, FUZZ_MAX_INPUT / 2);
        memcpy(buf, seed, len);
        unsigned k = 1 + (unsigned)(rnd() % 8);
        for (unsigned j = 0; j < k; j++) {
            switch (rnd() % 6) {
            case 0: /* flip a bit */
                if (len)
                    buf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
                break;
            case 1: /* random byte */
                if (len)
                    buf[rnd() % len] = (uint8_t)rnd();
                break;
            case 2: { /* insert a token */
                const char *t = tokens[rnd() % ARRAY_SIZE(tokens)];
                size_t tl = t[0] ? strlen(t) : 1;
                if (len + tl < FUZZ_MAX_INPUT) {
                    size_t at = len ? rnd() % (len + 1) : 0;
                    memmove(buf + at + tl, buf + at, len - at);
                    memcpy(buf + at, t, tl);
                    len += tl;
                }
                break;
            }
            case 3: /* delete a run */
                if (len) {
                    size_t at = rnd() % len, del = 1 + rnd() % MIN(len - at, (size_t)16);
                    memmove(buf + at, buf + at + del, len - at - del);
                    len -= del;
                }
                break;
            case 4: /* truncate */
                if (len)
                    len = rnd() % len;
                break;
            case 5: { /* duplicate a block */
                if (len && len * 2 < FUZZ_MAX_INPUT) {
                    size_t at = rnd() % len, bl = 1 + rnd() % MIN(len - at, (size_t)64);
                    memmove(buf + at + bl, buf + at, len - at);
                    len += bl;
                }
                break;
            }
            }
        }
        run_one(buf, len);
    }
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS]\n", argv[0]);
        return 2;
    }
    unsigned iters = 2000;
    if (argc > 2) {
        char *end;
        unsigned long v = strtoul(argv[2], &end, 10);
        if (*end || v > 10000000) {
            fprintf(stderr, "bad iteration count\n");
            return 2;
        }
        iters = (unsigned)v;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        fprintf(stderr, "cannot open corpus %s\n", argv[1]);
        return 2;
    }
    unsigned files = 0;
    struct dirent *e;
    run_one((const uint8_t *)"", 0);
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
        char *data;
        size_t n;
        if (file_read_all(path, FUZZ_MAX_INPUT, &data, &n) < 0)
            continue;
        run_one((const uint8_t *)data, n);
        mutate_and_run((const uint8_t *)data, n, iters);
        free(data);
        files++;
    }
    closedir(d);
    if (files == 0) {
        fprintf(stderr, "empty corpus %s\n", argv[1]);
        return 2;
    }
    printf("%u corpus files, %u mutations each: ok\n", files, iters);
    return 0;
}
