/* Unit tests of the durable Raft log (wal.c) and of raftkv-check-log.
 * Usage: test_wal <path of raftkv-check-log> (the sanitizer build).
 *
 * Every test works in its own directory under one mkdtemp() root, removed
 * at the end. The log's lines go to a file so that tests can check what it
 * said. The expected log is kept in memory (a "model") and compared with
 * what wal_open loads back. */
#include "log.h"
#include "testlib.h"
#include "blob.h"
#include "wal.h"
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIG (64u << 20)  /* a segment size that never rolls in these tests */

static const char *tool;
static char root[64];
static char logpath[128];
static int ndirs;

/* ---- helpers: randomness, entries, the model ---- */

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static raft_entry mk(uint64_t index, uint64_t term, size_t len) {
    raft_entry e = {term, index, (int)(index % 2), NULL, len};
    if (len) {
        e.data = xmalloc(len);
        for (size_t i = 0; i < len; i++) e.data[i] = (char)rnd();
    }
    return e;
}

typedef struct model {
    raft_entry *e;      /* the entries the log holds, from its first index on */
    size_t n, cap;
    uint64_t first;     /* the log's first index (0 stands for 1, a log never compacted) */
} model;

static uint64_t m_first(const model *m) { return m->first ? m->first : 1; }
static uint64_t m_last(const model *m) { return m_first(m) + m->n - 1; }

/* Appends b[0..n) after truncating to b[0].index-1, as wal_append does. */
static void model_put(model *m, const raft_entry *b, size_t n) {
    uint64_t keep = b[0].index - m_first(m);
    for (size_t i = keep; i < m->n; i++) free(m->e[i].data);
    m->n = keep;
    for (size_t i = 0; i < n; i++) {
        if (m->n == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 64;
            m->e = xrealloc(m->e, sizeof(raft_entry) * m->cap);
        }
        raft_entry c = b[i];
        c.data = xmalloc(c.len);
        if (c.len) memcpy(c.data, b[i].data, c.len);
        m->e[m->n++] = c;
    }
}

static void model_cut(model *m, size_t n) {
    for (size_t i = n; i < m->n; i++) free(m->e[i].data);
    if (n < m->n) m->n = n;
}

/* Keeps the entries up to index i. */
static void model_upto(model *m, uint64_t i) { model_cut(m, (size_t)(i + 1 - m_first(m))); }

/* Forgets the entries before f, as compaction does. */
static void model_drop_front(model *m, uint64_t f) {
    size_t k = (size_t)(f - m_first(m));
    if (k > m->n) k = m->n;
    if (k) {  /* m->e may be NULL otherwise */
        for (size_t i = 0; i < k; i++) free(m->e[i].data);
        memmove(m->e, m->e + k, sizeof(raft_entry) * (m->n - k));
        m->n -= k;
    }
    m->first = f;
}

/* Empty, the next entry being next, as wal_reset() makes it. */
static void model_reset(model *m, uint64_t next) {
    model_cut(m, 0);
    m->first = next;
}

static void model_free(model *m) {
    model_cut(m, 0);
    free(m->e);
    memset(m, 0, sizeof(*m));
}

static void free_batch(raft_entry *b, size_t n) {
    for (size_t i = 0; i < n; i++) free(b[i].data);
}

static int same(const raft_entry *a, size_t na, const raft_entry *b, size_t nb) {
    if (na != nb) return 0;
    for (size_t i = 0; i < na; i++) {
        if (a[i].term != b[i].term || a[i].index != b[i].index || a[i].type != b[i].type || a[i].len != b[i].len)
            return 0;
        if (a[i].len && memcmp(a[i].data, b[i].data, a[i].len)) return 0;
    }
    return 1;
}

/* NULL-tolerant accessors: a failed reopen fails checks, not the run. */
static uint64_t last_of(const wal *w) { return w ? wal_last_index(w) : UINT64_MAX; }
static uint64_t first_of(const wal *w) { return w ? wal_first_index(w) : UINT64_MAX; }
static int segs_of(const wal *w) { return w ? wal_segments(w) : -1; }
static uint64_t disk_of(const wal *w) { return w ? wal_disk_bytes(w) : UINT64_MAX; }

/* Encodes and appends b[0..n), mirroring it in m on success. */
static int put(wal *w, model *m, const raft_entry *b, size_t n) {
    if (!w) return -1;
    buf enc;
    buf_init(&enc);
    wal_encode(&enc, b, n);
    int rc = wal_append(w, b[0].index, b[n - 1].index, enc.data, enc.len), e = errno;
    buf_free(&enc);
    if (rc == 0 && m) model_put(m, b, n);
    errno = e;
    return rc;
}

/* Appends n entries first.. of term with data of len bytes. */
static int put_run(wal *w, model *m, uint64_t first, size_t n, uint64_t term, size_t len) {
    raft_entry *b = xmalloc(sizeof(raft_entry) * n);
    for (size_t i = 0; i < n; i++) b[i] = mk(first + i, term, len);
    int rc = put(w, m, b, n);
    free_batch(b, n);
    free(b);
    return rc;
}

/* ---- helpers: files ---- */

static void new_dir(char *out, size_t n) {
    snprintf(out, n, "%s/d%d", root, ndirs++);
    mkdir(out, 0755);
}

static void seg_path(char *out, size_t n, const char *dir, uint64_t first) {
    snprintf(out, n, "%s/wal-%016" PRIx64 ".log", dir, first);
}

static char *read_all(const char *path, size_t *len) {
    *len = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    struct stat sb;
    fstat(fd, &sb);
    char *p = xmalloc((size_t)sb.st_size + 1);
    size_t got = 0;
    while (got < (size_t)sb.st_size) {
        ssize_t k = read(fd, p + got, (size_t)sb.st_size - got);
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd);
    p[got] = '\0';
    *len = got;
    return p;
}

static void write_all(const char *path, const void *p, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { CHECKMSG(0, "cannot write %s: %s", path, strerror(errno)); return; }
    CHECK(write(fd, p, len) == (ssize_t)len);
    close(fd);
}

static void append_bytes(const char *path, const void *p, size_t len) {
    int fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && write(fd, p, len) == (ssize_t)len);
    if (fd >= 0) close(fd);
}

static void xor_byte(const char *path, uint64_t off, unsigned char x) {
    int fd = open(path, O_RDWR);
    unsigned char c = 0;
    CHECK(fd >= 0 && pread(fd, &c, 1, (off_t)off) == 1);
    c ^= x;
    CHECK(pwrite(fd, &c, 1, (off_t)off) == 1);
    if (fd >= 0) close(fd);
}

static long long fsize(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static int exists(const char *path) { return fsize(path) >= 0; }

/* Segments on disk: count and total size. */
static int disk_segments(const char *dir, uint64_t *bytes) {
    DIR *d = opendir(dir);
    int n = 0;
    *bytes = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (strncmp(de->d_name, "wal-", 4) || l < 8 || strcmp(de->d_name + l - 4, ".log")) continue;
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        *bytes += (uint64_t)fsize(p);
        n++;
    }
    if (d) closedir(d);
    return n;
}

static void rm_rf(const char *path) {
    DIR *d = opendir(path);
    if (!d) { unlink(path); return; }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
        rm_rf(p);
    }
    closedir(d);
    rmdir(path);
}

static void clear_log(void) {
    if (truncate(logpath, 0) < 0) perror("truncate log");
}

/* Whether the log said needle since the last call (which clears it). */
static int logged(const char *needle) {
    size_t len;
    char *s = read_all(logpath, &len);
    int found = s && strstr(s, needle) != NULL;
    free(s);
    clear_log();
    return found;
}

/* ---- helpers: opening ---- */

static wal *open_log(const char *dir, size_t segsz, raft_entry **e, size_t *n, char **err) {
    wal_state st;
    int has;
    return wal_open(dir, segsz, &st, &has, e, n, err);
}

/* Opens dir and checks that it loads exactly m. */
static wal *open_check(const char *dir, size_t segsz, const model *m, int line) {
    raft_entry *e;
    size_t n;
    char *err;
    wal *w = open_log(dir, segsz, &e, &n, &err);
    CHECKMSG(w != NULL, "line %d: open failed: %s", line, err ? err : "?");
    if (w) {
        CHECKMSG(same(e, n, m->e, m->n), "line %d: loaded %zu entries, expected %zu (or they differ)", line, n, m->n);
        CHECKMSG(last_of(w) == m_last(m) && first_of(w) == m_first(m),
                 "line %d: indexes %" PRIu64 "..%" PRIu64 ", expected %" PRIu64 "..%" PRIu64, line, first_of(w),
                 last_of(w), m_first(m), m_last(m));
    }
    wal_free_entries(e, n);
    free(err);
    return w;
}

static wal *reopen(wal *w, const char *dir, size_t segsz, const model *m, int line) {
    wal_close(w);
    return open_check(dir, segsz, m, line);
}

/* Opening must fail with a message containing each of the needles. */
static void open_fails(const char *dir, const char *n1, const char *n2, int line) {
    raft_entry *e;
    size_t n;
    char *err = NULL;
    wal *w = open_log(dir, BIG, &e, &n, &err);
    CHECKMSG(w == NULL && n == 0 && e == NULL, "line %d: open succeeded on a damaged log", line);
    CHECKMSG(err && strstr(err, n1) && (!n2 || strstr(err, n2)), "line %d: message '%s' lacks '%s' / '%s'", line,
             err ? err : "(none)", n1, n2 ? n2 : "");
    wal_close(w);
    wal_free_entries(e, n);
    free(err);
}

static void check_disk(wal *w, const char *dir, int line) {
    uint64_t bytes;
    if (!w) return;
    int n = disk_segments(dir, &bytes);
    CHECKMSG(n == segs_of(w), "line %d: %d segment files, wal says %d", line, n, segs_of(w));
    CHECKMSG(bytes == disk_of(w), "line %d: %" PRIu64 " bytes on disk, wal says %" PRIu64, line, bytes,
             disk_of(w));
}

/* Offset of entry i (1-based) in a single-segment log holding m. */
static uint64_t rec_off(const model *m, uint64_t i) {
    uint64_t off = WAL_SEG_HEADER;
    for (uint64_t j = 1; j < i; j++) off += WAL_REC_HEADER + m->e[j - 1].len;
    return off;
}

/* ---- helpers: the check tool ---- */

static char tool_out[1 << 16], tool_err[1 << 16];

static void slurp(const char *path, char *out, size_t cap) {
    size_t len;
    char *s = read_all(path, &len);
    snprintf(out, cap, "%s", s ? s : "");
    free(s);
}

/* Runs the tool with up to two arguments; its exit code (-1 if it died). */
static int run_tool(const char *a1, const char *a2) {
    char outp[128], errp[128];
    snprintf(outp, sizeof(outp), "%s/tool.out", root);
    snprintf(errp, sizeof(errp), "%s/tool.err", root);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        char *argv[] = {(char *)tool, (char *)a1, (char *)a2, NULL};
        execv(tool, argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    slurp(outp, tool_out, sizeof(tool_out));
    slurp(errp, tool_err, sizeof(tool_err));
    CHECKMSG(!strstr(tool_err, "Sanitizer") && !strstr(tool_err, "runtime error"), "tool sanitizer report:\n%s",
             tool_err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- tests ---- */

static void test_empty(void) {
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/fresh", root);  /* does not exist yet */
    wal_state st = {1, 2, 3, 4};
    int has = -1;
    raft_entry dummy, *e = &dummy;
    size_t n = 99;
    char *err = NULL;
    wal *w = wal_open(dir, BIG, &st, &has, &e, &n, &err);
    CHECKMSG(w != NULL, "open of an empty dir failed: %s", err ? err : "?");
    if (!w) return;
    CHECK(has == 0 && n == 0 && e == NULL && err == NULL);
    CHECK(st.cluster_id == 0 && st.node_id == 0 && st.term == 0 && st.vote == 0);
    CHECK(last_of(w) == 0 && segs_of(w) == 0 && disk_of(w) == 0);
    model m = {0};
    CHECK(put_run(w, &m, 1, 1, 1, 5) == 0);
    CHECK(segs_of(w) == 1 && last_of(w) == 1);
    check_disk(w, dir, __LINE__);
    w = reopen(w, dir, BIG, &m, __LINE__);
    wal_close(w);
    /* Opening again, twice, changes nothing. */
    w = open_check(dir, BIG, &m, __LINE__);
    wal_close(w);
    model_free(&m);
}

static void test_round_trip(void) {
    char dir[256];
    new_dir(dir, sizeof(dir));
    model m = {0};
    raft_entry *e;
    size_t n;
    char *err;
    wal *w = open_log(dir, BIG, &e, &n, &err);
    CHECK(w && n == 0);
    if (!w) return;
    raft_entry b[4];
    b[0] = (raft_entry){1, 1, RAFT_ENTRY_NOOP, NULL, 0};        /* empty, NULL data */
    b[1] = (raft_entry){1, 2, RAFT_ENTRY_COMMAND, xmalloc(1), 0}; /* empty, non-NULL data */
    b[2] = mk(3, 2, 256);
    for (int i = 0; i < 256; i++) b[2].data[i] = (char)i;       /* every byte value */
    b[3] = mk(4, 2, (5u << 20) + 3);                              /* more than one read chunk */
    CHECK(put(w, &m, b, 1) == 0);
    CHECK(put(w, &m, b + 1, 3) == 0);
    free_batch(b, 4);
    /* Many small entries: records straddle the read chunks. */
    for (int k = 0; k < 30; k++) CHECK(put_run(w, &m, m.n + 1, 1000, 3, (size_t)(k * 7) % 300) == 0);
    CHECK(last_of(w) == m.n && segs_of(w) == 1);
    check_disk(w, dir, __LINE__);
    w = reopen(w, dir, BIG, &m, __LINE__);
    if (!w) { model_free(&m); return; }
    /* Appending after reopen, then reopening again. */
    CHECK(put_run(w, &m, m.n + 1, 3, 4, 10) == 0);
    w = reopen(w, dir, BIG, &m, __LINE__);
    check_disk(w, dir, __LINE__);
    wal_close(w);
    CHECK(!logged("torn"));
    model_free(&m);
}

static void test_state(void) {
    char dir[256], p[512], tmp[512];
    new_dir(dir, sizeof(dir));
    snprintf(p, sizeof(p), "%s/raft-state", dir);
    snprintf(tmp, sizeof(tmp), "%s/raft-state.tmp", dir);
    raft_entry *e;
    size_t n;
    char *err;
    wal_state st, a = {11, 2, 7, 3}, b = {UINT64_MAX, UINT64_MAX - 1, UINT64_MAX - 2, UINT64_MAX - 3};
    int has;
    wal *w = wal_open(dir, BIG, &st, &has, &e, &n, &err);
    CHECK(w && has == 0);
    if (!w) return;
    CHECK(wal_save_state(w, &a) == 0);
    CHECK(fsize(p) == 44 && !exists(tmp));
    wal_close(w);
    w = wal_open(dir, BIG, &st, &has, &e, &n, &err);
    CHECK(w && has == 1 && !memcmp(&st, &a, sizeof(st)));
    CHECK(w && wal_save_state(w, &b) == 0);  /* replaces */
    wal_close(w);
    w = wal_open(dir, BIG, &st, &has, &e, &n, &err);
    CHECK(w && has == 1 && !memcmp(&st, &b, sizeof(st)));
    if (!w) return;
    CHECK(wal_save_state(w, &a) == 0);
    wal_close(w);

    /* A crash before the rename leaves a tmp file, garbage or a whole newer
     * state: either way the state is still the old one, and the tmp goes. */
    write_all(tmp, "garbage", 7);
    w = wal_open(dir, BIG, &st, &has, &e, &n, &err);
    CHECK(w && has == 1 && !memcmp(&st, &a, sizeof(st)) && !exists(tmp));
    wal_close(w);
    size_t len;
    char *good = read_all(p, &len);
    w = wal_open(dir, BIG, &st, &has, &e, &n, &err);
    CHECK(w && wal_save_state(w, &b) == 0);
    wal_close(w);
    CHECK(rename(p, tmp) == 0);
    write_all(p, good, len);  /* raft-state = a, raft-state.tmp = b */
    w = wal_open(dir, BIG, &st, &has, &e, &n, &err);
    CHECK(w && has == 1 && !memcmp(&st, &a, sizeof(st)) && !exists(tmp));
    wal_close(w);

    /* A corrupt state refuses to open, for any damage. */
    for (size_t i = 0; i < len; i++) {
        good[i] ^= 0x10;
        write_all(p, good, len);
        good[i] ^= 0x10;
        err = NULL;
        w = wal_open(dir, BIG, &st, &has, &e, &n, &err);
        CHECKMSG(!w && err && strstr(err, "raft-state"), "state with byte %zu flipped: %s", i, err ? err : "opened");
        wal_close(w);
        free(err);
    }
    write_all(p, good, 10);
    open_fails(dir, "raft-state", "corrupt", __LINE__);
    write_all(p, "", 0);
    open_fails(dir, "raft-state", NULL, __LINE__);
    CHECK(run_tool(dir, NULL) == 1 && strstr(tool_out, "raft-state"));
    CHECK(run_tool("--fix", dir) == 1);
    write_all(p, good, len);
    CHECK(run_tool(dir, NULL) == 0 && strstr(tool_out, "term 7, vote 3, cluster id 11, node id 2"));
    free(good);
}

static void test_truncate_within(void) {
    char dir[256];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = open_check(dir, BIG, &m, __LINE__);
    if (!w) return;
    CHECK(put_run(w, &m, 1, 10, 1, 20) == 0);
    CHECK(put_run(w, &m, 6, 3, 2, 33) == 0);  /* replaces 6..10 with 6..8 */
    CHECK(last_of(w) == 8 && m.n == 8);
    check_disk(w, dir, __LINE__);
    w = reopen(w, dir, BIG, &m, __LINE__);
    CHECK(put_run(w, &m, 8, 1, 3, 0) == 0);   /* replaces only the last */
    CHECK(put_run(w, &m, 9, 2, 3, 5) == 0);
    CHECK(put_run(w, &m, 1, 2, 4, 7) == 0);   /* replaces everything */
    CHECK(last_of(w) == 2);
    check_disk(w, dir, __LINE__);
    w = reopen(w, dir, BIG, &m, __LINE__);
    /* A pure truncation: no records. */
    CHECK(put_run(w, &m, 3, 5, 4, 9) == 0);
    CHECK(w && wal_append(w, 4, 3, NULL, 0) == 0 && last_of(w) == 3);
    model_cut(&m, 3);
    w = reopen(w, dir, BIG, &m, __LINE__);
    check_disk(w, dir, __LINE__);
    wal_close(w);
    model_free(&m);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* First indexes of the segment files in dir, sorted (up to max). */
static int seg_firsts(const char *dir, uint64_t *out, int max) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) && n < max) {
        uint64_t v;
        char tail[8];
        if (strlen(de->d_name) == 24 && sscanf(de->d_name, "wal-%16" SCNx64 "%4s", &v, tail) == 2 && !strcmp(tail, ".log"))
            out[n++] = v;
    }
    if (d) closedir(d);
    qsort(out, (size_t)n, sizeof(uint64_t), cmp_u64);
    return n;
}

static void test_truncate_across(void) {
    char dir[256];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = open_check(dir, 100, &m, __LINE__);
    if (!w) return;
    for (uint64_t i = 1; i <= 40; i++) CHECK(put_run(w, &m, i, 1, 1, 30) == 0);  /* 55-byte records: 2 a segment */
    CHECK(segs_of(w) == 20);
    check_disk(w, dir, __LINE__);
    uint64_t f[64];
    int nf = seg_firsts(dir, f, 64);
    CHECK(nf == 20 && f[0] == 1 && f[1] == 3 && f[19] == 39);
    /* Into the middle of a segment: later ones go. */
    CHECK(put_run(w, &m, 16, 1, 2, 30) == 0);
    nf = seg_firsts(dir, f, 64);
    CHECK(nf == 8 && f[7] == 15 && segs_of(w) == 8 && last_of(w) == 16);
    check_disk(w, dir, __LINE__);
    w = reopen(w, dir, 100, &m, __LINE__);
    if (!w) { model_free(&m); return; }
    /* At the first index of a segment: it is kept with its header alone, and refilled. */
    CHECK(put_run(w, &m, 7, 3, 3, 30) == 0);
    nf = seg_firsts(dir, f, 64);
    CHECK(nf == 4 && f[3] == 7 && segs_of(w) == 4 && last_of(w) == 9);
    check_disk(w, dir, __LINE__);
    w = reopen(w, dir, 100, &m, __LINE__);
    /* A pure truncation to the start of a segment leaves a header-only
     * segment, which opens and is appended to. */
    CHECK(w && wal_append(w, 7, 6, NULL, 0) == 0);
    model_cut(&m, 6);
    w = reopen(w, dir, 100, &m, __LINE__);
    CHECK(segs_of(w) == 4);
    CHECK(put_run(w, &m, 7, 1, 3, 30) == 0);
    w = reopen(w, dir, 100, &m, __LINE__);
    check_disk(w, dir, __LINE__);
    /* Back to nothing at all but index 1. */
    CHECK(put_run(w, &m, 1, 1, 4, 1) == 0);
    CHECK(segs_of(w) == 1 && seg_firsts(dir, f, 64) == 1);
    w = reopen(w, dir, 100, &m, __LINE__);
    wal_close(w);
    model_free(&m);
}

/* Random appends and truncations against the model, with tiny and odd
 * segment sizes, reopening now and then. */
static void test_random_model(void) {
    static const size_t sizes[] = {0, 1, 60, 200, 1000, BIG};
    for (int round = 0; round < 6; round++) {
        char dir[256];
        new_dir(dir, sizeof(dir));
        size_t segsz = sizes[round];
        model m = {0};
        wal *w = open_check(dir, segsz, &m, __LINE__);
        uint64_t term = 1;
        for (int op = 0; op < 150 && w; op++) {
            if (rnd() % 4 == 0) term++;
            uint64_t back = m.n < 8 ? m.n : 8;
            uint64_t first = m.n + 1 - rnd() % (back + 1);
            size_t cnt = 1 + rnd() % 5;
            CHECKMSG(put_run(w, &m, first, cnt, term, rnd() % 80) == 0, "round %d op %d: append failed", round, op);
            if (op % 25 == 24) w = reopen(w, dir, segsz, &m, __LINE__);
        }
        if (w) check_disk(w, dir, __LINE__);
        w = reopen(w, dir, segsz, &m, __LINE__);
        wal_close(w);
        model_free(&m);
    }
}

static void test_rolling(void) {
    char dir[256], p[512];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = open_check(dir, 1000, &m, __LINE__);
    if (!w) return;
    CHECK(put_run(w, &m, 1, 10, 1, 50) == 0);   /* 16 + 750 bytes */
    CHECK(segs_of(w) == 1);
    CHECK(put_run(w, &m, 11, 10, 1, 50) == 0);  /* 1516: past the size, but a batch is never split */
    CHECK(segs_of(w) == 1);
    CHECK(put_run(w, &m, 21, 10, 1, 50) == 0);  /* rolls: segment named for 21 */
    CHECK(segs_of(w) == 2);
    seg_path(p, sizeof(p), dir, 21);
    CHECK(fsize(p) == 16 + 750);
    seg_path(p, sizeof(p), dir, 1);
    CHECK(fsize(p) == 16 + 1500);
    CHECK(put_run(w, &m, 31, 1, 1, 5000) == 0);  /* one big record */
    CHECK(put_run(w, &m, 32, 1, 1, 1) == 0);     /* rolls again */
    CHECK(segs_of(w) == 3);
    seg_path(p, sizeof(p), dir, 32);
    CHECK(exists(p));
    char tmp[520];
    snprintf(tmp, sizeof(tmp), "%s.tmp", p);
    CHECK(!exists(tmp));
    check_disk(w, dir, __LINE__);
    w = reopen(w, dir, 1000, &m, __LINE__);
    /* Reopened with another size: the new size applies from now on. */
    w = reopen(w, dir, 0, &m, __LINE__);
    CHECK(put_run(w, &m, 33, 1, 1, 1) == 0 && put_run(w, &m, 34, 1, 1, 1) == 0);
    CHECK(segs_of(w) == 5);
    check_disk(w, dir, __LINE__);
    w = reopen(w, dir, 0, &m, __LINE__);
    wal_close(w);
    /* A leftover half-made segment (crash before its rename) is ignored and removed. */
    seg_path(p, sizeof(p), dir, 35);
    snprintf(tmp, sizeof(tmp), "%s.tmp", p);
    write_all(tmp, "RKVWAL", 6);
    w = open_check(dir, 0, &m, __LINE__);
    CHECK(!exists(tmp));
    wal_close(w);
    model_free(&m);
}

static void test_einval(void) {
    char dir[256];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = open_check(dir, BIG, &m, __LINE__);
    if (!w) return;
    CHECK(put_run(w, &m, 1, 5, 2, 10) == 0);
    raft_entry b[3] = {mk(7, 2, 3), mk(8, 2, 3), mk(9, 2, 3)};
    buf enc;
    buf_init(&enc);
    wal_encode(&enc, b, 3);
    errno = 0;
    CHECK(wal_append(w, 7, 9, enc.data, enc.len) == -1 && errno == EINVAL);  /* leaves a gap */
    errno = 0;
    CHECK(wal_append(w, 0, 2, enc.data, enc.len) == -1 && errno == EINVAL);
    CHECK(wal_append(w, 3, 1, NULL, 0) == -1 && errno == EINVAL);
    buf_free(&enc);
    /* Records that do not match first..last, or are cut short. */
    b[0].index = 6, b[1].index = 7, b[2].index = 9;
    buf_init(&enc);
    wal_encode(&enc, b, 3);
    CHECK(wal_append(w, 6, 8, enc.data, enc.len) == -1 && errno == EINVAL);
    CHECK(wal_append(w, 6, 9, enc.data, enc.len) == -1 && errno == EINVAL);
    buf_free(&enc);
    b[2].index = 8;
    buf_init(&enc);
    wal_encode(&enc, b, 3);
    CHECK(wal_append(w, 6, 7, enc.data, enc.len) == -1 && errno == EINVAL);   /* one record too many */
    CHECK(wal_append(w, 6, 9, enc.data, enc.len) == -1 && errno == EINVAL);   /* one too few */
    CHECK(wal_append(w, 6, 8, enc.data, enc.len - 1) == -1 && errno == EINVAL);
    CHECK(wal_append(w, 6, 8, enc.data, 10) == -1 && errno == EINVAL);
    buf_free(&enc);
    /* Terms may not go backwards, against the entry before first too. */
    b[0].term = 1;
    CHECK(put(w, &m, b, 3) == -1 && errno == EINVAL);
    b[0].index = 3;
    CHECK(put(w, &m, b, 1) == -1 && errno == EINVAL);
    free_batch(b, 3);
    /* None of that touched the log, and it still works. */
    CHECK(last_of(w) == 5);
    w = reopen(w, dir, BIG, &m, __LINE__);
    CHECK(put_run(w, &m, 6, 3, 2, 3) == 0);
    w = reopen(w, dir, BIG, &m, __LINE__);
    wal_close(w);
    model_free(&m);
}

/* Cut the last record short at every byte: the log opens with the earlier
 * entries, says so, and takes appends; segment_size decides whether the
 * last record is alone in its segment. */
static void torn_every_cut(size_t segsz) {
    char dir[256], p[512];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = open_check(dir, segsz, &m, __LINE__);
    if (!w) return;
    for (uint64_t i = 1; i <= 6; i++) CHECK(put_run(w, &m, i, 1, 1 + i / 3, 17 + i * 9) == 0);
    int nseg = segs_of(w);
    wal_close(w);
    seg_path(p, sizeof(p), dir, segsz ? 1 : 6);
    size_t len;
    char *full = read_all(p, &len);
    size_t reclen = WAL_REC_HEADER + m.e[5].len, start = len - reclen;
    model full_m = {0};
    model_put(&full_m, m.e, m.n);
    model_cut(&m, 5);
    for (size_t cut = 0; cut < reclen; cut++) {
        write_all(p, full, start + cut);
        clear_log();
        w = open_check(dir, segsz, &m, __LINE__);
        if (!w) break;
        CHECKMSG((fsize(p) == (long long)start), "cut %zu: file is %lld bytes, expected %zu", cut, fsize(p), start);
        CHECKMSG(logged("truncating") == (cut > 0), "cut %zu: log line %s", cut, cut ? "missing" : "unexpected");
        CHECK(segs_of(w) == nseg);
        check_disk(w, dir, __LINE__);
        /* The next append lands right after the good entries. */
        CHECK(put_run(w, &m, 6, 1, 9, 4) == 0);
        w = reopen(w, dir, segsz, &m, __LINE__);
        wal_close(w);
        model_cut(&m, 5);
    }
    write_all(p, full, len);
    w = open_check(dir, segsz, &full_m, __LINE__);
    wal_close(w);
    free(full);
    model_free(&m);
    model_free(&full_m);
}

static void test_torn_tail(void) {
    torn_every_cut(BIG);  /* one segment */
    torn_every_cut(0);    /* one record a segment: the last is alone in its own */
}

static void test_zero_tail(void) {
    char dir[256], p[512];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = open_check(dir, BIG, &m, __LINE__);
    if (!w) return;
    CHECK(put_run(w, &m, 1, 8, 1, 40) == 0);
    wal_close(w);
    seg_path(p, sizeof(p), dir, 1);
    long long size = fsize(p);
    char zeros[8192] = {0};
    /* Zeros after the last record (the file grew, the data did not land). */
    size_t zl[] = {1, 10, 24, 25, 26, 65, 4096, 8192};
    for (size_t i = 0; i < sizeof(zl) / sizeof(zl[0]); i++) {
        append_bytes(p, zeros, zl[i]);
        w = open_check(dir, BIG, &m, __LINE__);
        CHECKMSG(fsize(p) == size && logged("zero-filled"), "zero tail of %zu", zl[i]);
        wal_close(w);
    }
    /* The last record itself zeroed, with or without zeros after it. */
    size_t rec = WAL_REC_HEADER + 40;
    CHECK(truncate(p, size - (long long)rec) == 0);
    append_bytes(p, zeros, rec);
    model_cut(&m, 7);
    w = open_check(dir, BIG, &m, __LINE__);
    CHECK(fsize(p) == size - (long long)rec && logged("zero-filled"));
    CHECK(w && put_run(w, &m, 8, 1, 1, 40) == 0);
    wal_close(w);
    append_bytes(p, zeros, 3);
    w = open_check(dir, BIG, &m, __LINE__);
    wal_close(w);
    /* A byte of the last record changed: a bad crc on the last record. */
    xor_byte(p, (uint64_t)size - 3, 0x55);
    model_cut(&m, 7);
    w = open_check(dir, BIG, &m, __LINE__);
    CHECK(logged("bad crc"));
    wal_close(w);
    model_free(&m);
}

/* Damage to the last record, anywhere in it: a bad crc, truncated away. */
static void test_bad_crc_last(void) {
    char dir[256], p[512];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = open_check(dir, BIG, &m, __LINE__);
    if (!w) return;
    CHECK(put_run(w, &m, 1, 5, 1, 30) == 0);
    wal_close(w);
    seg_path(p, sizeof(p), dir, 1);
    size_t len;
    char *full = read_all(p, &len);
    uint64_t last = rec_off(&m, 5);
    model_cut(&m, 4);
    /* Every byte except the length field (bytes 4..7), which would make the
     * record run past the end or stop short of it: tested elsewhere. */
    for (uint64_t off = last; off < len; off++) {
        if (off >= last + 4 && off < last + 8) continue;
        write_all(p, full, len);
        xor_byte(p, off, 0x01);
        w = open_check(dir, BIG, &m, __LINE__);
        CHECKMSG(fsize(p) == (long long)last && logged("bad crc"), "flip at %" PRIu64, off);
        wal_close(w);
    }
    /* The length made smaller: the frame ends early and its crc fails. */
    write_all(p, full, len);
    xor_byte(p, last + 4, 0x02);  /* 30 -> 28 */
    open_fails(dir, "wal-0000000000000001.log", "bad crc, followed by", __LINE__);
    /* The length made larger: it runs past the end of the file: torn. */
    write_all(p, full, len);
    xor_byte(p, last + 5, 0x01);
    w = open_check(dir, BIG, &m, __LINE__);
    CHECK(logged("cut short"));
    wal_close(w);
    free(full);
    model_free(&m);
}

static void test_bad_middle(void) {
    char dir[256], p[512], want[64];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = open_check(dir, BIG, &m, __LINE__);
    if (!w) return;
    CHECK(put_run(w, &m, 1, 5, 1, 30) == 0);
    wal_close(w);
    seg_path(p, sizeof(p), dir, 1);
    long long size = fsize(p);
    uint64_t third = rec_off(&m, 3);
    snprintf(want, sizeof(want), "offset %" PRIu64 ":", third);
    /* Any byte of a middle record, header or data. */
    for (uint64_t off = third; off < rec_off(&m, 4); off++) {
        xor_byte(p, off, 0x40);
        open_fails(dir, "wal-0000000000000001.log", want, __LINE__);
        CHECK(fsize(p) == size);  /* refused: nothing touched */
        xor_byte(p, off, 0x40);
    }
    w = open_check(dir, BIG, &m, __LINE__);  /* repaired by hand: fine again */
    wal_close(w);
    /* A length that runs past the end of the file, while sound records
     * follow: damage, not a torn write. */
    xor_byte(p, third + 7, 0x01);
    open_fails(dir, "sound record for index 4", want, __LINE__);
    xor_byte(p, third + 7, 0x01);
    /* A bad record at the end of a segment that is not the last. */
    new_dir(dir, sizeof(dir));
    model_free(&m);
    w = open_check(dir, 1, &m, __LINE__);
    if (!w) return;
    CHECK(put_run(w, &m, 1, 2, 1, 10) == 0 && put_run(w, &m, 3, 2, 1, 10) == 0 && put_run(w, &m, 5, 1, 1, 10) == 0);
    CHECK(segs_of(w) == 3);
    wal_close(w);
    seg_path(p, sizeof(p), dir, 3);
    xor_byte(p, (uint64_t)fsize(p) - 1, 0x01);
    open_fails(dir, "wal-0000000000000003.log", "not the last", __LINE__);
    xor_byte(p, (uint64_t)fsize(p) - 1, 0x01);
    CHECK(truncate(p, fsize(p) - 1) == 0);  /* cut short, not the last: damage too */
    open_fails(dir, "wal-0000000000000003.log", "cut short", __LINE__);
    model_free(&m);
}

static void test_bad_header(void) {
    char dir[256], p1[512], p3[512];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = open_check(dir, 1, &m, __LINE__);
    if (!w) return;
    CHECK(put_run(w, &m, 1, 2, 1, 10) == 0 && put_run(w, &m, 3, 2, 1, 10) == 0);
    wal_close(w);
    seg_path(p1, sizeof(p1), dir, 1);
    seg_path(p3, sizeof(p3), dir, 3);
    for (int i = 0; i < WAL_SEG_HEADER; i++) {
        const char *p = i % 2 ? p1 : p3;  /* the first and the last segment */
        xor_byte(p, (uint64_t)i, 0x08);
        open_fails(dir, p + strlen(dir) + 1, i < 8 ? "magic" : "header says first index", __LINE__);
        xor_byte(p, (uint64_t)i, 0x08);
    }
    size_t len;
    char *full = read_all(p3, &len);
    for (size_t cut = 0; cut < WAL_SEG_HEADER; cut++) {
        write_all(p3, full, cut);
        open_fails(dir, "wal-0000000000000003.log", "header cut short", __LINE__);
    }
    write_all(p3, full, len);
    free(full);
    w = open_check(dir, 1, &m, __LINE__);
    wal_close(w);
    model_free(&m);
}

/* Raw segment: header for first, then the given entries, encoded as is. */
static void write_segment(const char *dir, uint64_t first, const raft_entry *e, size_t n) {
    char p[512];
    buf b;
    buf_init(&b);
    buf_append(&b, "RKVWAL01", 8);
    buf_put_u64(&b, first);
    wal_encode(&b, e, n);
    seg_path(p, sizeof(p), dir, first);
    write_all(p, b.data, b.len);
    buf_free(&b);
}

static void test_gap(void) {
    char dir[256], p[512];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = open_check(dir, 1, &m, __LINE__);
    if (!w) return;
    for (uint64_t i = 1; i <= 7; i += 2) CHECK(put_run(w, &m, i, 2, 1, 10) == 0);
    wal_close(w);
    seg_path(p, sizeof(p), dir, 3);
    char tmp[520];
    snprintf(tmp, sizeof(tmp), "%s.moved", p);
    rename(p, tmp);
    open_fails(dir, "wal-0000000000000005.log", "gap in the log", __LINE__);
    rename(tmp, p);
    /* The oldest segment missing is no gap: a compacted log (or a crash
     * during wal_compact) starts past 1. */
    seg_path(p, sizeof(p), dir, 1);
    snprintf(tmp, sizeof(tmp), "%s.moved", p);
    rename(p, tmp);
    model short_m = {0};
    model_put(&short_m, m.e, m.n);
    model_drop_front(&short_m, 3);
    w = open_check(dir, 1, &short_m, __LINE__);
    wal_close(w);
    model_free(&short_m);
    rename(tmp, p);
    w = open_check(dir, 1, &m, __LINE__);
    wal_close(w);
    model_free(&m);

    /* Index 0 never exists. */
    raft_entry z = mk(0, 1, 4);
    new_dir(dir, sizeof(dir));
    write_segment(dir, 0, &z, 1);
    open_fails(dir, "wal-0000000000000000.log", "starts at index 0", __LINE__);
    free_batch(&z, 1);

    /* Inside a segment: an index skipped, repeated, or a term going back. */
    raft_entry e[3] = {mk(1, 1, 4), mk(2, 1, 4), mk(4, 1, 4)};
    new_dir(dir, sizeof(dir));
    write_segment(dir, 1, e, 3);
    open_fails(dir, "wal-0000000000000001.log", "index 4, expected 3", __LINE__);
    e[2].index = 2;
    write_segment(dir, 1, e, 3);
    open_fails(dir, "offset 74:", "index 2, expected 3", __LINE__);
    e[2].index = 3;
    e[1].term = 2;
    write_segment(dir, 1, e, 3);
    open_fails(dir, "wal-0000000000000001.log", "term goes back", __LINE__);
    e[2].term = 2;
    write_segment(dir, 1, e, 3);
    model_put(&m, e, 3);
    w = open_check(dir, BIG, &m, __LINE__);
    wal_close(w);
    free_batch(e, 3);
    model_free(&m);
}

/* ---- compaction and reset ---- */

/* Appends 1..n one at a time, 55-byte records in 100-byte segments: two
 * entries a segment, named 1, 3, 5, ... */
static wal *two_a_segment(const char *dir, model *m, uint64_t n) {
    wal *w = open_check(dir, 100, m, __LINE__);
    for (uint64_t i = 1; w && i <= n; i++) CHECK(put_run(w, m, i, 1, 1 + i / 8, 30) == 0);
    return w;
}

static void test_compact(void) {
    char dir[256];
    uint64_t f[64];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = two_a_segment(dir, &m, 20);
    if (!w) { model_free(&m); return; }
    CHECK(segs_of(w) == 10 && first_of(w) == 1);
    /* Nothing qualifies: the oldest segment holds an entry past upto. */
    CHECK(wal_compact(w, 0) == 0 && wal_compact(w, 1) == 0);
    CHECK(first_of(w) == 1 && segs_of(w) == 10 && seg_firsts(dir, f, 64) == 10);
    /* Whole segments only, oldest first. */
    CHECK(wal_compact(w, 2) == 1 && first_of(w) == 3);
    CHECK(wal_compact(w, 7) == 2 && first_of(w) == 7 && last_of(w) == 20);
    model_drop_front(&m, 7);
    CHECK(segs_of(w) == 7 && seg_firsts(dir, f, 64) == 7 && f[0] == 7);
    check_disk(w, dir, __LINE__);
    w = reopen(w, dir, 100, &m, __LINE__);
    if (!w) { model_free(&m); return; }
    /* Appends go on; a suffix is still truncated. */
    CHECK(put_run(w, &m, 21, 2, 3, 30) == 0);
    CHECK(put_run(w, &m, 10, 1, 4, 30) == 0 && last_of(w) == 10 && segs_of(w) == 2);
    check_disk(w, dir, __LINE__);
    w = reopen(w, dir, 100, &m, __LINE__);
    if (!w) { model_free(&m); return; }
    /* Below the first index: a caller bug, refused, the log untouched. */
    errno = 0;
    CHECK(put_run(w, &m, 6, 2, 4, 30) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(wal_append(w, 6, 5, NULL, 0) == -1 && errno == EINVAL);
    CHECK(wal_append(w, 0, 0, NULL, 0) == -1 && errno == EINVAL);
    CHECK(first_of(w) == 7 && last_of(w) == 10);
    /* At the first index: every entry goes, the first index stays, and the
     * term before it is not checked (it was compacted). */
    CHECK(put_run(w, &m, 7, 1, 1, 30) == 0 && segs_of(w) == 1 && first_of(w) == 7);
    w = reopen(w, dir, 100, &m, __LINE__);
    /* Up to beyond the last entry: all but the last segment go. */
    for (uint64_t i = 8; i <= 16; i++) CHECK(put_run(w, &m, i, 1, 4, 30) == 0);
    CHECK(segs_of(w) == 5);
    CHECK(w && wal_compact(w, UINT64_MAX) == 4 && segs_of(w) == 1 && first_of(w) == 15 && last_of(w) == 16);
    model_drop_front(&m, 15);
    check_disk(w, dir, __LINE__);
    CHECK(w && wal_compact(w, UINT64_MAX) == 0);
    w = reopen(w, dir, 100, &m, __LINE__);
    /* A last segment emptied by a truncation: compaction leaves an empty
     * log that still knows its next index. */
    for (uint64_t i = 17; i <= 20; i++) CHECK(put_run(w, &m, i, 1, 4, 30) == 0);
    CHECK(w && wal_append(w, 19, 18, NULL, 0) == 0);
    model_upto(&m, 18);
    CHECK(w && wal_compact(w, 18) == 2 && first_of(w) == 19 && last_of(w) == 18 && segs_of(w) == 1);
    model_drop_front(&m, 19);
    check_disk(w, dir, __LINE__);
    w = reopen(w, dir, 100, &m, __LINE__);
    errno = 0;
    CHECK(put_run(w, &m, 20, 1, 5, 30) == -1 && errno == EINVAL);
    CHECK(put_run(w, &m, 19, 1, 5, 30) == 0);
    w = reopen(w, dir, 100, &m, __LINE__);
    wal_close(w);
    model_free(&m);
}

/* A long history compacted to a short tail: the offsets left are right
 * (the sanitizer watches the moved and shrunk array). */
static void test_compact_memory(void) {
    char dir[256];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = open_check(dir, 2000, &m, __LINE__);
    for (uint64_t i = 1; w && i <= 5000; i += 10) CHECK(put_run(w, &m, i, 10, 1, i % 7) == 0);
    CHECK(w && wal_compact(w, 4950) > 0);
    model_drop_front(&m, first_of(w));
    CHECK(m.n < 200 && m.n > 0);
    CHECK(put_run(w, &m, m_last(&m) - 5, 3, 2, 4) == 0);          /* truncates within the tail */
    CHECK(put_run(w, &m, m_first(&m) + 1, 2, 2, 4) == 0);         /* and near its start */
    CHECK(put_run(w, &m, m_last(&m) + 1, 3000, 3, 1) == 0);       /* grows again */
    check_disk(w, dir, __LINE__);
    w = reopen(w, dir, 2000, &m, __LINE__);
    wal_close(w);
    model_free(&m);
}

static void test_reset(void) {
    char dir[256];
    uint64_t f[64];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = two_a_segment(dir, &m, 20);
    if (!w) { model_free(&m); return; }
    errno = 0;
    CHECK(wal_reset(w, 0) == -1 && errno == EINVAL && last_of(w) == 20 && segs_of(w) == 10);
    CHECK(wal_reset(w, 50) == 0);
    model_reset(&m, 50);
    CHECK(first_of(w) == 50 && last_of(w) == 49 && segs_of(w) == 1 && disk_of(w) == WAL_SEG_HEADER);
    CHECK(seg_firsts(dir, f, 64) == 1 && f[0] == 50);
    check_disk(w, dir, __LINE__);
    CHECK(wal_compact(w, 100) == 0);
    w = reopen(w, dir, 100, &m, __LINE__);
    /* The next append is at next, exactly. */
    errno = 0;
    CHECK(put_run(w, &m, 51, 1, 2, 30) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(put_run(w, &m, 49, 2, 2, 30) == -1 && errno == EINVAL);
    CHECK(put_run(w, &m, 1, 1, 2, 30) == -1 && errno == EINVAL);
    for (uint64_t i = 50; i <= 55; i++) CHECK(put_run(w, &m, i, 1, 2, 30) == 0);
    CHECK(segs_of(w) == 3);
    check_disk(w, dir, __LINE__);
    w = reopen(w, dir, 100, &m, __LINE__);
    /* To below the old first index, and twice to the same index. */
    CHECK(w && wal_reset(w, 3) == 0);
    model_reset(&m, 3);
    CHECK(put_run(w, &m, 3, 2, 1, 30) == 0);
    w = reopen(w, dir, 100, &m, __LINE__);
    CHECK(w && wal_reset(w, 3) == 0 && wal_reset(w, 3) == 0);
    model_reset(&m, 3);
    CHECK(seg_firsts(dir, f, 64) == 1 && f[0] == 3);
    w = reopen(w, dir, 100, &m, __LINE__);
    wal_close(w);
    model_free(&m);

    /* On a new directory, with no segment yet. */
    new_dir(dir, sizeof(dir));
    w = open_check(dir, 100, &m, __LINE__);
    CHECK(w && wal_reset(w, 7) == 0);
    model_reset(&m, 7);
    check_disk(w, dir, __LINE__);
    w = reopen(w, dir, 100, &m, __LINE__);
    CHECK(put_run(w, &m, 7, 1, 1, 30) == 0);
    w = reopen(w, dir, 100, &m, __LINE__);
    wal_close(w);
    model_free(&m);
}

/* What a crash during wal_reset leaves: the newest segments unlinked (a
 * prefix of the log, here of a compacted one), perhaps all of them, perhaps
 * then the new segment half made under its temporary name. Each opens as
 * that prefix. */
static void test_reset_crash(void) {
    char dir[256], p[512], tmp[520];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = two_a_segment(dir, &m, 20);
    if (!w) { model_free(&m); return; }
    CHECK(wal_compact(w, 4) == 2);  /* segments 5, 7, ..., 19 */
    model_drop_front(&m, 5);
    wal_close(w);
    for (uint64_t gone = 1; gone < 8; gone++) {
        seg_path(p, sizeof(p), dir, 21 - 2 * gone);
        CHECK(unlink(p) == 0);
        model_upto(&m, 20 - 2 * gone);
        w = open_check(dir, 100, &m, __LINE__);
        check_disk(w, dir, __LINE__);
        wal_close(w);
    }
    /* All gone: an empty log at 1 (the caller resets it again). */
    seg_path(p, sizeof(p), dir, 5);
    CHECK(unlink(p) == 0);
    seg_path(p, sizeof(p), dir, 50);
    snprintf(tmp, sizeof(tmp), "%s.tmp", p);
    write_all(tmp, "RKVWAL01", 8);
    model_reset(&m, 1);
    w = open_check(dir, 100, &m, __LINE__);
    CHECK(!exists(tmp) && segs_of(w) == 0);
    CHECK(put_run(w, NULL, 50, 1, 1, 30) == -1 && errno == EINVAL);
    CHECK(w && wal_reset(w, 50) == 0);
    model_reset(&m, 50);
    CHECK(put_run(w, &m, 50, 1, 1, 30) == 0);
    w = reopen(w, dir, 100, &m, __LINE__);
    wal_close(w);
    model_free(&m);
}

/* Random appends, truncations, compactions and resets against the model,
 * reopening now and then. */
/* wal_read of up to n model entries from first, some already with their
 * data (kept as they are): each read back as the model has it. */
static void read_back_check(wal *w, const model *m, uint64_t first, size_t n, int line) {
    if (!w) return;
    if (first + n - 1 > m_last(m)) n = (size_t)(m_last(m) - first + 1);
    raft_entry *e = xmalloc(sizeof(raft_entry) * n);
    for (size_t k = 0; k < n; k++) {
        e[k] = m->e[first + k - m_first(m)];
        e[k].data = k % 3 == 1 ? blob_copy(e[k].data, e[k].len) : NULL;
    }
    int rc = wal_read(w, e, n);
    CHECKMSG(rc == 0, "line %d: reading %zu entries from %" PRIu64 " failed: %s", line, n, first, strerror(errno));
    for (size_t k = 0; rc == 0 && k < n; k++) {
        const raft_entry *x = &m->e[first + k - m_first(m)];
        CHECKMSG(e[k].data && (!x->len || !memcmp(e[k].data, x->data, x->len)), "line %d: entry %" PRIu64 " read back wrong",
                 line, x->index);
    }
    for (size_t k = 0; k < n; k++) blob_release(e[k].data);
    free(e);
}

/* Reading back: what is not in the log (ENOENT), or not as the caller
 * knows it (EIO: another term, another length, a damaged record), is
 * refused; a log opened with data_from gives the entries before it without
 * their data, CONFIG ones excepted; and reads beside a writer thread that
 * appends, rolls segments and compacts see only sound entries. */
static raft_entry det(uint64_t i) {  /* no rnd(): two threads make these */
    raft_entry e = {2, i, RAFT_ENTRY_COMMAND, NULL, 1 + i % 50};
    e.data = xmalloc(e.len);
    for (size_t k = 0; k < e.len; k++) e.data[k] = (char)(i * 31 + k);
    return e;
}

static _Atomic int appender_done;
static void *appender(void *arg) {
    wal *w = arg;
    for (uint64_t i = 1; i <= 1200; i++) {
        raft_entry e = det(i);
        buf enc;
        buf_init(&enc);
        wal_encode(&enc, &e, 1);
        if (wal_append(w, i, i, enc.data, enc.len) < 0) abort();
        buf_free(&enc);
        free(e.data);
        if (i % 100 == 0 && i > 150 && wal_compact(w, i - 150) < 0) abort();
    }
    appender_done = 1;
    return NULL;
}

static void test_read_back(void) {
    char dir[256];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = open_check(dir, 300, &m, __LINE__);
    CHECK(put_run(w, &m, 1, 200, 1, 40) == 0);
    read_back_check(w, &m, 1, 200, __LINE__);
    raft_entry e = m.e[9];
    e.data = NULL;
    e.index = 201;
    errno = 0;
    CHECK(wal_read(w, &e, 1) == -1 && errno == ENOENT && !e.data);
    e.index = 10;
    e.term = 2;
    errno = 0;
    CHECK(wal_read(w, &e, 1) == -1 && errno == EIO && !e.data);
    e.term = 1;
    e.len = 39;
    errno = 0;
    CHECK(wal_read(w, &e, 1) == -1 && errno == EIO && !e.data);
    e.len = 40;
    CHECK(wal_read(w, &e, 1) == 0 && e.data && !memcmp(e.data, m.e[9].data, 40));
    blob_release(e.data);
    wal_close(w);

    /* data_from, with a CONFIG entry before it */
    raft_entry c = mk(201, 1, 12);
    c.type = RAFT_ENTRY_CONFIG;
    w = open_check(dir, 300, &m, __LINE__);
    CHECK(put(w, &m, &c, 1) == 0);
    free(c.data);
    CHECK(put_run(w, &m, 202, 10, 1, 40) == 0);
    wal_close(w);
    wal_state st;
    int has;
    raft_entry *le = NULL;
    size_t ln = 0;
    char *err = NULL;
    w = wal_open_from(dir, 300, 205, &st, &has, &le, &ln, &err);
    CHECK(w && ln == 211);
    for (size_t k = 0; k < ln; k++)
        CHECKMSG(!le[k].data == (le[k].index < 205 && le[k].type != RAFT_ENTRY_CONFIG) && le[k].len == m.e[k].len,
                 "data_from 205: entry %" PRIu64 " %s its data", le[k].index, le[k].data ? "has" : "lacks");
    wal_free_entries(le, ln);
    free(err);
    read_back_check(w, &m, 150, 60, __LINE__);

    /* a damaged record reads as EIO */
    char seg[512];
    seg_path(seg, sizeof(seg), dir, 1);
    xor_byte(seg, WAL_SEG_HEADER + WAL_REC_HEADER + 5, 0x40);  /* entry 1's data */
    e = m.e[0];
    e.data = NULL;
    errno = 0;
    CHECK(wal_read(w, &e, 1) == -1 && errno == EIO);
    xor_byte(seg, WAL_SEG_HEADER + WAL_REC_HEADER + 5, 0x40);
    wal_close(w);
    model_free(&m);

    /* a large record is read alone, straight into its blob; damage in it is EIO */
    new_dir(dir, sizeof(dir));
    m = (model){0};
    w = open_check(dir, BIG, &m, __LINE__);
    CHECK(put_run(w, &m, 1, 2, 1, 30) == 0 && put_run(w, &m, 3, 1, 1, 3 << 20) == 0 && put_run(w, &m, 4, 2, 1, 30) == 0);
    read_back_check(w, &m, 1, 5, __LINE__);
    seg_path(seg, sizeof(seg), dir, 1);
    uint64_t at = WAL_SEG_HEADER + 2 * (WAL_REC_HEADER + 30) + WAL_REC_HEADER + (2 << 20);
    xor_byte(seg, at, 0x01);
    e = m.e[2];
    e.data = NULL;
    errno = 0;
    CHECK(wal_read(w, &e, 1) == -1 && errno == EIO && !e.data);
    xor_byte(seg, at, 0x01);
    CHECK(wal_read(w, &e, 1) == 0 && e.data && !memcmp(e.data, m.e[2].data, 3 << 20));
    blob_release(e.data);
    wal_close(w);
    model_free(&m);

    /* beside a writer */
    new_dir(dir, sizeof(dir));
    m = (model){0};
    w = open_check(dir, 2000, &m, __LINE__);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, appender, w) == 0);
    long reads = 0, bad = 0;
    while (!appender_done) {
        uint64_t last = wal_last_index(w), first = wal_first_index(w);
        if (last == UINT64_MAX || last < first + 60) continue;
        uint64_t i = last - (uint64_t)(rnd() % 40);  /* recent: compaction stays 150 behind */
        raft_entry x = det(i);
        char *want = x.data;
        x.data = NULL;
        if (wal_read(w, &x, 1) == 0) {
            reads++;
            bad += memcmp(x.data, want, x.len) != 0;
            blob_release(x.data);
        } else {
            bad++;
        }
        free(want);
    }
    pthread_join(t, NULL);
    CHECKMSG(reads > 100 && bad == 0, "reads beside a writer: %ld read, %ld wrong or failed", reads, bad);
    wal_close(w);
    model_free(&m);
}

static void test_random_compact(void) {
    static const size_t sizes[] = {0, 60, 200, 1000};
    static uint64_t f[4096];
    for (int round = 0; round < 4; round++) {
        char dir[256];
        new_dir(dir, sizeof(dir));
        size_t segsz = sizes[round];
        model m = {0};
        wal *w = open_check(dir, segsz, &m, __LINE__);
        uint64_t term = 1;
        for (int op = 0; op < 400 && w; op++) {
            uint64_t r = rnd() % 25;
            if (r == 0) {
                uint64_t next = 1 + rnd() % (m_last(&m) + 40);
                CHECK(wal_reset(w, next) == 0);
                model_reset(&m, next);
            } else if (r < 5) {
                uint64_t before = first_of(w), upto = m_first(&m) - 1 + rnd() % (m.n + 3);
                int k = wal_compact(w, upto), nf = seg_firsts(dir, f, 4096);
                uint64_t after = first_of(w);
                CHECKMSG(k >= 0 && (k == 0) == (after == before) && (k == 0 || after - 1 <= upto) && nf == segs_of(w) &&
                             (nf == 0 ? k == 0 : f[0] == after) && (nf < 2 || f[1] - 1 > upto),
                         "round %d op %d: compact(%" PRIu64 ") removed %d, first %" PRIu64 " -> %" PRIu64, round, op,
                         upto, k, before, after);
                model_drop_front(&m, after);
            } else {
                if (rnd() % 4 == 0) term++;
                uint64_t back = m.n < 8 ? m.n : 8;
                CHECKMSG(put_run(w, &m, m_last(&m) + 1 - rnd() % (back + 1), 1 + rnd() % 5, term, rnd() % 80) == 0,
                         "round %d op %d: append failed", round, op);
            }
            if (op % 10 == 9) check_disk(w, dir, __LINE__);
            if (m.n) read_back_check(w, &m, m_first(&m) + rnd() % m.n, 1 + rnd() % 20, __LINE__);
            if (op % 30 == 29) w = reopen(w, dir, segsz, &m, __LINE__);
        }
        w = reopen(w, dir, segsz, &m, __LINE__);
        wal_close(w);
        model_free(&m);
    }
}

static void test_check_tool(void) {
    char dir[256], p[512], want[128];
    CHECK(run_tool(NULL, NULL) == 1 && strstr(tool_err, "Usage") && !*tool_out);
    CHECK(run_tool("-h", NULL) == 0 && strstr(tool_out, "Usage"));
    CHECK(run_tool("--help", NULL) == 0 && strstr(tool_out, "--fix"));
    CHECK(run_tool("--bogus", root) == 1 && strstr(tool_err, "Usage") && strstr(tool_err, "--bogus"));
    CHECK(run_tool(root, root) == 1 && strstr(tool_err, "Usage"));
    CHECK(run_tool("--fix", NULL) == 1 && strstr(tool_err, "Usage"));
    snprintf(p, sizeof(p), "%s/no-such-dir", root);
    CHECK(run_tool(p, NULL) == 1 && strstr(tool_out, "no-such-dir"));
    CHECK(!exists(p));

    /* A sound log. */
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = open_check(dir, 200, &m, __LINE__);
    if (!w) return;
    for (uint64_t i = 1; i <= 20; i += 4) CHECK(put_run(w, &m, i, 4, 1 + i / 5, 20) == 0);
    wal_state st = {77, 3, 5, 2};
    CHECK(w && wal_save_state(w, &st) == 0);
    int nseg = segs_of(w);
    wal_close(w);
    CHECK(run_tool(dir, NULL) == 0);
    snprintf(want, sizeof(want), "segments: %d\n", nseg);
    CHECKMSG(strstr(tool_out, "log is sound") && strstr(tool_out, want) && strstr(tool_out, "entries: 20\n") &&
                 strstr(tool_out, "first index: 1\n") && strstr(tool_out, "last index: 20\n") &&
                 strstr(tool_out, "last term: 4\n") &&
                 strstr(tool_out, "term 5, vote 2, cluster id 77, node id 3") &&
                 strstr(tool_out, "wal-0000000000000011.log: 196 bytes, entries 17..20"),
             "sound report:\n%s", tool_out);
    CHECK(run_tool("--fix", dir) == 0 && strstr(tool_out, "log is sound") && !strstr(tool_out, "fixed"));

    /* A torn tail: reported, usable, left alone without --fix. */
    seg_path(p, sizeof(p), dir, 17);
    long long size = fsize(p);
    CHECK(truncate(p, size - 3) == 0);
    snprintf(want, sizeof(want), "wal-0000000000000011.log at offset %lld", size - 45);
    CHECK(run_tool(dir, NULL) == 0);
    CHECKMSG(strstr(tool_out, "torn tail") && strstr(tool_out, want) && strstr(tool_out, "entries: 19"),
             "torn report:\n%s", tool_out);
    CHECK(fsize(p) == size - 3);
    CHECK(run_tool(dir, "--fix") == 0 && strstr(tool_out, "fixed: dropped 0 entries (42 bytes)"));
    CHECK(fsize(p) == size - 45);
    model_cut(&m, 19);
    w = open_check(dir, 200, &m, __LINE__);
    CHECK(!logged("truncating"));  /* nothing left for open to do */
    CHECK(w && put_run(w, &m, 20, 1, 4, 20) == 0);
    wal_close(w);

    /* Damage in the middle: exit 1, file and offset named, nothing changed. */
    seg_path(p, sizeof(p), dir, 9);
    xor_byte(p, 16 + 45 + 30, 0x20);  /* in the data of entry 10 */
    uint64_t before;
    int nbefore = disk_segments(dir, &before);
    CHECK(run_tool(dir, NULL) == 1);
    CHECKMSG(strstr(tool_out, "error: ") && strstr(tool_out, "wal-0000000000000009.log at offset 61: bad crc") &&
                 strstr(tool_out, "entries: 9 (before the problem)") && strstr(tool_out, "not read") &&
                 strstr(tool_out, "--fix") && strstr(tool_out, "dropping 11 entries"),
             "damage report:\n%s", tool_out);
    uint64_t after;
    CHECK(disk_segments(dir, &after) == nbefore && after == before);
    CHECK(run_tool("--fix", dir) == 0);
    CHECKMSG(strstr(tool_out, "fixed: dropped 11 entries") && strstr(tool_out, "truncated wal-0000000000000009.log") &&
                 strstr(tool_out, "removed wal-0000000000000011.log") && strstr(tool_out, "log is now sound"),
             "fix report:\n%s", tool_out);
    model_cut(&m, 9);
    w = open_check(dir, 200, &m, __LINE__);
    CHECK(w && segs_of(w) == 2);
    wal_close(w);
    CHECK(run_tool(dir, NULL) == 0 && strstr(tool_out, "log is sound") && strstr(tool_out, "last index: 9\n"));

    /* A bad header: the segment goes whole. */
    for (uint64_t i = 10; i <= 20; i += 2) {
        w = open_check(dir, 1, &m, __LINE__);
        CHECK(w && put_run(w, &m, i, 2, 4, 20) == 0);
        wal_close(w);
    }
    seg_path(p, sizeof(p), dir, 14);
    xor_byte(p, 0, 0x01);
    CHECK(run_tool(dir, NULL) == 1 && strstr(tool_out, "wal-000000000000000e.log at offset 0: bad segment header"));
    CHECK(run_tool(dir, "--fix") == 0 && strstr(tool_out, "removed wal-000000000000000e.log") &&
          strstr(tool_out, "dropped 8 entries"));
    CHECK(!exists(p));
    model_cut(&m, 13);
    w = open_check(dir, 1, &m, __LINE__);
    wal_close(w);

    /* A gap: from the missing segment on, the log goes. */
    seg_path(p, sizeof(p), dir, 10);
    CHECK(unlink(p) == 0);
    CHECK(run_tool(dir, NULL) == 1 && strstr(tool_out, "gap in the log"));
    CHECK(run_tool(dir, "--fix") == 0 && strstr(tool_out, "dropped 2 entries"));
    model_cut(&m, 9);
    w = open_check(dir, 1, &m, __LINE__);
    wal_close(w);
    CHECK(run_tool(dir, NULL) == 0 && strstr(tool_out, "log is sound"));
    model_free(&m);

    /* An empty directory is a sound, empty log. */
    new_dir(dir, sizeof(dir));
    CHECK(run_tool(dir, NULL) == 0 && strstr(tool_out, "entries: 0") && strstr(tool_out, "hard state: none"));
}

/* raftkv-check-log on compacted and reset logs. */
static void test_check_compacted(void) {
    char dir[256], p[512];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = two_a_segment(dir, &m, 20);
    if (!w) { model_free(&m); return; }
    CHECK(wal_compact(w, 6) == 3);
    model_drop_front(&m, 7);
    wal_close(w);
    CHECK(run_tool(dir, NULL) == 0);
    CHECKMSG(strstr(tool_out, "log is sound") && strstr(tool_out, "segments: 7\n") &&
                 strstr(tool_out, "entries: 14\n") &&
                 strstr(tool_out, "first index: 7 (earlier entries compacted away)\n") &&
                 strstr(tool_out, "last index: 20\n") &&
                 strstr(tool_out, "wal-0000000000000007.log: 126 bytes, entries 7..8\n"),
             "compacted report:\n%s", tool_out);
    CHECK(run_tool("--fix", dir) == 0 && !strstr(tool_out, "fixed"));

    /* A missing middle segment is a gap, damage; --fix drops from it on. */
    seg_path(p, sizeof(p), dir, 11);
    CHECK(unlink(p) == 0);
    open_fails(dir, "wal-000000000000000d.log", "gap in the log", __LINE__);
    CHECK(run_tool(dir, NULL) == 1);
    CHECKMSG(strstr(tool_out, "wal-000000000000000d.log at offset 0: gap in the log: segment starts at index 13, "
                              "expected 11") &&
                 strstr(tool_out, "entries: 4 (before the problem)") && strstr(tool_out, "dropping 8 entries"),
             "gap report:\n%s", tool_out);
    CHECK(run_tool("--fix", dir) == 0);
    CHECKMSG(strstr(tool_out, "fixed: dropped 8 entries") && strstr(tool_out, "removed wal-000000000000000d.log") &&
                 strstr(tool_out, "log is now sound"),
             "gap fix report:\n%s", tool_out);
    model_upto(&m, 10);
    w = open_check(dir, 100, &m, __LINE__);
    CHECK(w && put_run(w, &m, 11, 1, 9, 30) == 0);
    wal_close(w);
    CHECK(run_tool(dir, NULL) == 0 && strstr(tool_out, "first index: 7 ") && strstr(tool_out, "last index: 11\n"));

    /* Damage in the oldest segment left: cut there. */
    seg_path(p, sizeof(p), dir, 7);
    xor_byte(p, 16 + 55 + 30, 0x20);  /* in the data of entry 8 */
    CHECK(run_tool(dir, NULL) == 1);
    CHECKMSG(strstr(tool_out, "wal-0000000000000007.log at offset 71: bad crc") &&
                 strstr(tool_out, "entries: 1 (before the problem)") && strstr(tool_out, "dropping 4 entries"),
             "damage report:\n%s", tool_out);
    CHECK(run_tool(dir, "--fix") == 0);
    CHECKMSG(strstr(tool_out, "truncated wal-0000000000000007.log at offset 71") &&
                 strstr(tool_out, "log is now sound: 1 segments, last index 7"),
             "damage fix report:\n%s", tool_out);
    model_upto(&m, 7);
    w = open_check(dir, 100, &m, __LINE__);

    /* A reset log: empty and sound, its next index told. */
    CHECK(w && wal_reset(w, 300) == 0);
    wal_close(w);
    CHECK(run_tool(dir, NULL) == 0);
    CHECKMSG(strstr(tool_out, "log is sound") && strstr(tool_out, "entries: 0\n") &&
                 strstr(tool_out, "the next entry is 300") && strstr(tool_out, "last index: 299\n") &&
                 strstr(tool_out, "wal-000000000000012c.log: 16 bytes, no entries"),
             "reset report:\n%s", tool_out);
    model_free(&m);
}

/* One byte flipped anywhere in a multi-segment log: opening succeeds, with
 * the last entry dropped, exactly when the byte is in the last record;
 * otherwise it refuses. wal_check agrees, and --fix always leaves a log
 * that opens with a prefix of the entries. */
static void test_fuzz(void) {
    char dir[256];
    new_dir(dir, sizeof(dir));
    model m = {0};
    wal *w = open_check(dir, 150, &m, __LINE__);
    if (!w) return;
    for (uint64_t i = 1; i <= 24;) {
        size_t c = 1 + i % 2;
        CHECK(put_run(w, &m, i, c, 1 + i / 4, rnd() % 60) == 0);
        i += c;
    }
    int nseg = segs_of(w);
    wal_close(w);
    size_t total = m.n;
    uint64_t firsts[64];
    int nf = seg_firsts(dir, firsts, 64);
    CHECK(nf == nseg && nseg > 3);
    char *files[64];
    size_t lens[64];
    char paths[64][512];
    for (int k = 0; k < nf; k++) {
        seg_path(paths[k], sizeof(paths[k]), dir, firsts[k]);
        files[k] = read_all(paths[k], &lens[k]);
    }
    FILE *devnull = fopen("/dev/null", "w");
    uint64_t last_rec = lens[nf - 1] - (WAL_REC_HEADER + m.e[total - 1].len);
    for (int iter = 0; iter < 600; iter++) {
        for (int k = 0; k < nf; k++) write_all(paths[k], files[k], lens[k]);
        int k = (int)(rnd() % (uint64_t)nf);
        uint64_t off = rnd() % lens[k];
        unsigned char x = (unsigned char)(1 + rnd() % 255);
        xor_byte(paths[k], off, x);
        int in_last = k == nf - 1 && off >= last_rec;
        int len_field = in_last && off >= last_rec + 4 && off < last_rec + 8;
        int chk = wal_check(dir, 0, devnull);
        raft_entry *e;
        size_t n;
        char *err = NULL;
        w = open_log(dir, 150, &e, &n, &err);
        if (!len_field) {
            CHECKMSG((w != NULL) == in_last, "seg %d off %" PRIu64 " ^%02x: open %s (%s)", k, off, x,
                     w ? "succeeded" : "failed", err ? err : "");
        }
        CHECKMSG((w != NULL) == (chk == 0), "seg %d off %" PRIu64 ": check says %d, open %s", k, off, chk,
                 w ? "succeeded" : "failed");
        if (w) CHECK(n == total - 1 && same(e, n, m.e, n));
        else CHECK(err && strstr(err, "wal-") && strstr(err, "offset"));
        wal_close(w);
        wal_free_entries(e, n);
        free(err);
        if (!w) {
            CHECK(wal_check(dir, 1, devnull) == 0);
            err = NULL;
            w = open_log(dir, 150, &e, &n, &err);
            CHECKMSG(w && n < total && same(e, n, m.e, n), "after --fix: %s", err ? err : "wrong entries");
            wal_close(w);
            wal_free_entries(e, n);
            free(err);
        }
    }
    clear_log();
    fclose(devnull);
    for (int k = 0; k < nf; k++) free(files[k]);
    model_free(&m);
}

/* Arbitrary bytes as a segment: never a crash, and what opens is sound. */
static void test_garbage(void) {
    char dir[256], p[512];
    new_dir(dir, sizeof(dir));
    seg_path(p, sizeof(p), dir, 1);
    FILE *devnull = fopen("/dev/null", "w");
    for (int iter = 0; iter < 300; iter++) {
        size_t len = rnd() % 300;
        char b[300];
        for (size_t i = 0; i < len; i++) b[i] = (char)(rnd() % 4 ? rnd() : 0);
        if (iter % 2 && len >= 16) memcpy(b, "RKVWAL01\1\0\0\0\0\0\0\0", 16);
        if (iter % 4 == 1 && len >= 20) memset(b + 16, 0xff, 4);  /* a huge length */
        write_all(p, b, len);
        wal_check(dir, 0, devnull);
        raft_entry *e;
        size_t n;
        char *err = NULL;
        wal *w = open_log(dir, 150, &e, &n, &err);
        CHECK(w || err);
        if (w) CHECK(put_run(w, NULL, n + 1, 1, 1, 3) == 0);
        wal_close(w);
        wal_free_entries(e, n);
        free(err);
    }
    clear_log();
    fclose(devnull);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <raftkv-check-log>\n", argv[0]);
        return 2;
    }
    tool = argv[1];
    snprintf(root, sizeof(root), "/tmp/raftkv-test-wal-XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(logpath, sizeof(logpath), "%s/log", root);
    log_open(logpath);
    test_empty();
    test_round_trip();
    test_state();
    test_truncate_within();
    test_truncate_across();
    test_random_model();
    test_rolling();
    test_einval();
    test_torn_tail();
    test_zero_tail();
    test_bad_crc_last();
    test_bad_middle();
    test_bad_header();
    test_gap();
    test_compact();
    test_compact_memory();
    test_reset();
    test_reset_crash();
    test_random_compact();
    test_read_back();
    test_check_tool();
    test_check_compacted();
    test_fuzz();
    test_garbage();
    log_close();
    rm_rf(root);
    return test_summary("wal");
}
