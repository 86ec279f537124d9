/* fuzzlib: what the libFuzzer targets in tests/fuzz share: a check that
 * aborts (so libFuzzer keeps the input that broke an invariant), a splitter
 * that cuts an input into pseudo-random pieces seeded from the input itself
 * (the same input always splits the same way), a scratch directory for the
 * targets that decode files, and the entry codec's round trip, which three
 * targets apply to the entries they find. */
#ifndef RAFTKV_FUZZLIB_H
#define RAFTKV_FUZZLIB_H
#include <dirent.h>
#include <fcntl.h>
#include <sanitizer/common_interface_defs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "buf.h"
#include "entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void scratch_remove(void);

/* ---- checks ---- */

/* A broken invariant aborts, leaving the input to libFuzzer; the scratch
 * directory goes first. */
#define FUZZ_CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    scratch_remove(); abort(); } } while (0)

/* memcmp that takes the NULL data of an empty buf. */
static inline int same_bytes(const void *a, size_t an, const void *b, size_t bn) {
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* Makes b's capacity exactly its length, so that ASan sees a read past
 * what a decoder was given (a buf normally has slack after len). */
static inline void buf_tight(buf *b) {
    if (!b->len) return;
    b->data = xrealloc(b->data, b->len);
    b->cap = b->len;
}

/* ---- random-sized pieces ---- */

typedef struct pieces { uint64_t s; } pieces;

static inline pieces pieces_new(uint8_t seed) { return (pieces){0x9e3779b97f4a7c15ULL * (seed + 1u)}; }

/* The next piece's length, at most left: mostly 1-16 bytes, sometimes up
 * to 256, sometimes all that is left. */
static inline size_t piece_len(pieces *p, size_t left) {
    p->s = p->s * 6364136223846793005ULL + 1442695040888963407ULL;
    uint32_t r = (uint32_t)(p->s >> 33);
    size_t n = r % 8 == 0 ? left : r % 8 < 3 ? r % 256 + 1 : r % 16 + 1;
    return n > left ? left : n;
}

/* ---- scratch directory ---- */

/* Removes every file in dir (the targets make no subdirectories). */
static inline void scratch_clear(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            unlinkat(dirfd(d), de->d_name, 0);
    closedir(d);
}

static inline char *scratch_path(void) {
    static char path[256];
    return path;
}

static inline void scratch_remove(void) {
    if (!scratch_path()[0]) return;
    scratch_clear(scratch_path());
    rmdir(scratch_path());
}

/* A private directory, made once per process and removed at exit (also
 * when a check fails or a sanitizer reports); in /dev/shm when there is
 * one, since the WAL fsyncs. */
static inline const char *scratch_dir(void) {
    char *path = scratch_path();
    if (path[0]) return path;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, 256, "%s/raftkv-fuzz-XXXXXX", base);
    if (!mkdtemp(path)) { perror("mkdtemp"); abort(); }
    atexit(scratch_remove);
    __sanitizer_set_death_callback(scratch_remove);  /* and on a sanitizer report */
    return path;
}

static inline void write_file(const char *path, const void *p, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(n == 0 || write(fd, p, n) == (ssize_t)n);
    close(fd);
}

/* ---- the entry codec ---- */

/* Decodes d as a log entry both ways entry_decode offers (validating only,
 * and with argv) and checks they agree, that every argument lies inside d,
 * and that an accepted entry encodes back to exactly d. Returns argc or -1. */
static inline int check_entry(const char *d, size_t n) {
    int type, type2;
    uint64_t t, t2;
    rstr *argv = (rstr *)1;
    int valid = entry_decode(d, n, &type, &t, NULL);
    int argc = entry_decode(d, n, &type2, &t2, &argv);
    FUZZ_CHECK(valid == argc);
    if (argc < 0) {
        FUZZ_CHECK(argv == NULL);
        return -1;
    }
    FUZZ_CHECK(type == type2 && t == t2 && argv != NULL);
    for (int i = 0; i < argc; i++)
        FUZZ_CHECK(argv[i].p >= d && argv[i].len <= n && argv[i].p + argv[i].len <= d + n);
    buf e;
    buf_init(&e);
    entry_encode(&e, type, t, argc, argv);
    FUZZ_CHECK(same_bytes(e.data, e.len, d, n));
    buf_free(&e);
    free(argv);
    return argc;
}
#endif
