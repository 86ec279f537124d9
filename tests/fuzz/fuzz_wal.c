/* fuzz_wal: a node's data directory as wal.c reads it at start-up
 * (wal_open: segment files and the raft-state file) and as raftkv-check-log
 * reads and repairs it (wal_check). Input: the bytes before the first
 * "RKVWAL01" are the raft-state file (none when empty); each "RKVWAL01"
 * begins a segment file, named after the first index its header gives
 * (zero-padded when the header is cut short), up to the next "RKVWAL01".
 * A whole record, or a 44-byte raft-state, whose crc field is 0 gets its
 * right crc, so that mutations reach past the checksums.
 * Invariants: wal_check and wal_open agree on whether the log is usable;
 * an opened log holds consecutive entries from wal_first_index() to
 * wal_last_index() with terms never going back; in the session that opened
 * (and maybe repaired) it, a no-op written at an index the input's last
 * byte picks (replacing the entries from there, or appended) is found after
 * a reopen, behind the entries before it as they were, and the log is then
 * sound; and a log check-log --fix repaired opens (always, when the
 * raft-state file is sound or absent).
 * The entries' data goes through check_entry() and members_parse(), as
 * the node would read it. */
#include "fuzzlib.h"
#include "log.h"
#include "members.h"
#include "wal.h"
#include <inttypes.h>
#include "crc.h"

#define SEG_MAGIC "RKVWAL01"
#define STATE_SIZE 44

typedef struct loaded {
    wal *w;
    uint64_t first, last;
    wal_state st;
    int has_state;
    raft_entry *e;
    size_t n;
} loaded;

static const char *dir;

/* Gives every whole record whose crc field is 0 (and whose header is not
 * all zero, which is how a torn tail looks) its right crc. */
static void fill_crcs(char *p, size_t n) {
    static const char zero[WAL_REC_HEADER - 4];
    for (size_t off = WAL_SEG_HEADER; off <= n && n - off >= WAL_REC_HEADER;) {
        char *h = p + off;
        uint32_t len = get_u32(h + 4);
        if (len > n - off - WAL_REC_HEADER) break;
        if (get_u32(h) == 0 && memcmp(h + 4, zero, sizeof(zero)))
            set_u32(h, crc_update(0, h + 4, WAL_REC_HEADER - 4 + (uint64_t)len));
        off += WAL_REC_HEADER + len;
    }
}

static void write_segment(char *p, size_t n) {
    char h[8] = {0}, path[512];
    if (n > 8) memcpy(h, p + 8, n - 8 < 8 ? n - 8 : 8);
    snprintf(path, sizeof(path), "%s/wal-%016" PRIx64 ".log", dir, get_u64(h));
    fill_crcs(p, n);
    write_file(path, p, n);
}

/* Lays the input out as files (in place: crcs are filled in); returns
 * whether the raft-state file is sound or absent, when only the log can
 * be what is wrong. */
static int write_files(char *s, size_t n) {
    char *end = s + n, *seg = memmem(s, n, SEG_MAGIC, 8);
    if (!seg) seg = end;
    size_t sl = (size_t)(seg - s);
    char path[512];
    snprintf(path, sizeof(path), "%s/raft-state", dir);
    if (sl == STATE_SIZE && get_u32(s + 40) == 0) set_u32(s + 40, crc_update(0, s, 40));
    if (sl) write_file(path, s, sl);
    while (seg < end) {
        char *next = memmem(seg + 8, (size_t)(end - seg - 8), SEG_MAGIC, 8);
        if (!next) next = end;
        write_segment(seg, (size_t)(next - seg));
        seg = next;
    }
    return sl == 0 || (sl == STATE_SIZE && !memcmp(s, "RKVSTAT1", 8) && get_u32(s + 40) == crc_update(0, s, 40));
}

/* wal_check's exit code; *sound when it found nothing to report. */
static int check(int fix, int *sound) {
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    FUZZ_CHECK(f != NULL);
    int rc = wal_check(dir, fix, f);
    fclose(f);
    *sound = strstr(out, "\nlog is sound\n") != NULL;
    free(out);
    return rc;
}

/* Segments of 64 bytes: a write after two records begins a new one. */
static int open_log(loaded *l) {
    char *err = NULL;
    l->w = wal_open(dir, 64, &l->st, &l->has_state, &l->e, &l->n, &err);
    FUZZ_CHECK((l->w == NULL) == (err != NULL));
    free(err);
    if (!l->w) return -1;
    l->first = wal_first_index(l->w);
    l->last = wal_last_index(l->w);
    return 0;
}

static void close_log(loaded *l) {
    wal_close(l->w);
    wal_free_entries(l->e, l->n);
}

/* What the node does with what it loaded: reads every entry's data. */
static void check_loaded(const loaded *l) {
    uint64_t first = l->first, last = l->last;
    FUZZ_CHECK(first >= 1 && last + 1 >= first && l->n == last + 1 - first);
    for (size_t i = 0; i < l->n; i++) {
        const raft_entry *e = &l->e[i];
        FUZZ_CHECK(e->index == first + i && (i == 0 || e->term >= e[-1].term));
        members ms;
        char err[160];
        if (e->type == RAFT_ENTRY_COMMAND) check_entry(e->data, e->len);
        else if (e->type == RAFT_ENTRY_CONFIG) members_parse(e->data, e->len, &ms, err, sizeof(err));
    }
}

static void same_loaded(const loaded *a, const loaded *b) {
    FUZZ_CHECK(a->has_state == b->has_state && !memcmp(&a->st, &b->st, sizeof(a->st)));
    FUZZ_CHECK(a->first == b->first && a->last == b->last && a->n == b->n);
    for (size_t i = 0; i < a->n; i++) {
        const raft_entry *x = &a->e[i], *y = &b->e[i];
        FUZZ_CHECK(x->index == y->index && x->term == y->term && x->type == y->type);
        FUZZ_CHECK(same_bytes(x->data, x->len, y->data, y->len));
    }
}

/* Writes a no-op at index `at` (first..last + 1: replacing the entries
 * from there on, or appending) in the session that opened, and maybe
 * repaired, the log; closes it; reopens and finds the entries before `at`
 * as they were, then the no-op. Frees l. */
static void write_one(loaded *l, uint64_t at) {
    if (at == 0 || at == UINT64_MAX) {  /* wal_append's range ends below UINT64_MAX */
        close_log(l);
        return;
    }
    size_t keep = (size_t)(at - l->first), total = l->n;
    raft_entry e = {keep ? l->e[keep - 1].term : 0, at, RAFT_ENTRY_NOOP, NULL, 0};
    buf rec;
    buf_init(&rec);
    wal_encode(&rec, &e, 1);
    wal_set_sync(l->w, 0);
    FUZZ_CHECK(wal_append(l->w, at, at, rec.data, rec.len) == 0);
    buf_free(&rec);
    wal_close(l->w);
    loaded after;
    FUZZ_CHECK(open_log(&after) == 0);
    FUZZ_CHECK(after.first == l->first && after.last == at && after.n == keep + 1);
    const raft_entry *got = &after.e[keep];
    FUZZ_CHECK(got->index == at && got->term == e.term && got->type == e.type && got->len == 0);
    l->n = keep, l->last = at - 1;  /* what is left of l: compare, then free it all */
    after.n--, after.last--;
    same_loaded(l, &after);
    after.n++;
    wal_free_entries(l->e, total);
    close_log(&after);
}

static void run(char *s, size_t n) {
    uint8_t pick = n ? (uint8_t)s[n - 1] : 0;
    int state_ok = write_files(s, n), sound;
    int rc = check(0, &sound);
    loaded a, b;
    if (open_log(&a) < 0) {
        FUZZ_CHECK(rc != 0);
        rc = check(1, &sound);
        FUZZ_CHECK(rc != 0 || open_log(&b) == 0);
        FUZZ_CHECK(!state_ok || rc == 0);
        if (rc == 0) close_log(&b);
        return;
    }
    FUZZ_CHECK(rc == 0);
    check_loaded(&a);
    write_one(&a, a.first + pick % (a.n + 1));
    FUZZ_CHECK(check(0, &sound) == 0 && sound);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!dir) {
        dir = scratch_dir();
        log_level = LL_WARNING + 1;  /* torn tails are logged; not here */
    }
    char *copy = xmalloc(size);
    if (size) memcpy(copy, data, size);
    run(copy, size);
    free(copy);
    scratch_clear(dir);
    return 0;
}
