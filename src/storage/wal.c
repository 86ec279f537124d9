/* wal: the durable Raft log (segment files of checksummed records) and the
 * hard state file. Formats and the treatment of damage are in wal.h.
 *
 * Durability rules that the code below keeps:
 *  - a segment is created under a temporary name with its header synced,
 *    then renamed and the directory synced, so a segment never has a torn
 *    header and a crash never leaves a half-made one in the log;
 *  - a new segment is begun only at the start of an append, after the
 *    previous append was fdatasync'ed: only the last segment can be torn;
 *  - truncation unlinks whole segments newest first (a crash leaves a
 *    prefix of the log), then cuts and fsyncs the segment holding the cut
 *    before anything is written over it, so new records never mix with
 *    stale ones on disk;
 *  - compaction unlinks whole segments oldest first (a crash leaves a
 *    suffix), a reset newest first (a crash leaves a prefix) before it
 *    begins the new segment; either syncs the directory after each unlink,
 *    since nothing else orders unlinks on disk and a crash must never leave
 *    a gap.
 *
 * The log holds entries first_index(w)..w->last; w->off is indexed from
 * the first, so memory follows what the log holds, not its history. */
#include "wal.h"
#include "blob.h"
#include "log.h"
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "crc.h"

#define SEG_MAGIC "RKVWAL01"
#define STATE_MAGIC "RKVSTAT1"
#define STATE_FILE "raft-state"
#define STATE_TMP "raft-state.tmp"
#define STATE_SIZE 44            /* magic, 4 x u64, u32 crc */
#define SEG_NAME_LEN 24          /* "wal-" + 16 hex digits + ".log" */
#define READ_CHUNK (4u << 20)    /* segments are read this much at a time */

typedef struct seg {
    uint64_t first;  /* index of its first record: in its name and header */
    uint64_t size;   /* bytes, header included */
    uint64_t nrec;
} seg;

struct wal {
    int dirfd;
    int fd;                /* the last segment, open for writing; -1 if none */
    size_t segment_size;
    seg *segs;
    int nsegs, capsegs;
    uint64_t last, last_term;
    uint64_t *off;         /* off[i - first_index(w)]: offset of entry i in its segment */
    size_t capoff;
    uint64_t disk;
    int broken;            /* a write, unlink or sync failed: the files are in an unknown state */
    _Atomic int nosync;    /* appendfsync no: appends skip fdatasync (set from the loop thread) */
    /* Held while segs, off or last change, and by wal_read() to look them
     * up: the writer may be a sync thread. Never held across I/O. */
    pthread_mutex_t meta;
    /* Copies for other threads (appends may run on a sync thread). */
    _Atomic uint64_t pub_first, pub_last, pub_disk;
    _Atomic int pub_nsegs;
};

/* ---- small helpers ---- */

static uint32_t crc_of(const char *p, uint64_t n) { return crc_update(0, p, n); }

static char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *strf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = xmalloc(n > 0 ? (size_t)n + 1 : 1);
    va_start(ap, fmt);
    vsnprintf(s, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
    va_end(ap);
    return s;
}

static void seg_name(char *out, size_t n, uint64_t first) {
    snprintf(out, n, "wal-%016" PRIx64 ".log", first);
}

/* Accepts exactly the names seg_name() makes. */
static int parse_seg_name(const char *name, uint64_t *first) {
    if (strlen(name) != SEG_NAME_LEN || strncmp(name, "wal-", 4) || strcmp(name + 20, ".log")) return -1;
    uint64_t v = 0;
    for (int i = 4; i < 20; i++) {
        char c = name[i];
        if (c >= '0' && c <= '9') v = v << 4 | (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v = v << 4 | (uint64_t)(c - 'a' + 10);
        else return -1;
    }
    *first = v;
    return 0;
}

static int broken(wal *w);

/* Out of space (or quota): a write that fails so, before any sync, can be
 * undone, and tried again once space returns. */
static int out_of_space(int e) { return e == ENOSPC || e == EDQUOT; }

/* All of n bytes at off, through EINTR and short transfers; running into
 * the end of the file means it changed under us: EIO. */
static int io_full(int fd, char *p, size_t n, uint64_t off, int writing) {
    while (n) {
        ssize_t k = writing ? pwrite(fd, p, n, (off_t)off) : pread(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) { errno = EIO; return -1; }
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}
static int write_full(int fd, const char *p, size_t n, uint64_t off) { return io_full(fd, (char *)p, n, off, 1); }
static int read_full(int fd, char *p, size_t n, uint64_t off) { return io_full(fd, p, n, off, 0); }

/* ---- hard state ---- */

/* 1 and *st when present, 0 when absent, -1 with why when unreadable. */
static int read_state(int dirfd, wal_state *st, char *why, size_t whylen) {
    memset(st, 0, sizeof(*st));
    int fd = openat(dirfd, STATE_FILE, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return 0;
    if (fd < 0) { snprintf(why, whylen, "cannot open: %s", strerror(errno)); return -1; }
    struct stat sb;
    char b[STATE_SIZE];
    int rc = -1;
    if (fstat(fd, &sb) < 0) snprintf(why, whylen, "cannot stat: %s", strerror(errno));
    else if (sb.st_size != STATE_SIZE)
        snprintf(why, whylen, "corrupt: %lld bytes, expected %d", (long long)sb.st_size, STATE_SIZE);
    else if (read_full(fd, b, STATE_SIZE, 0) < 0) snprintf(why, whylen, "cannot read: %s", strerror(errno));
    else if (memcmp(b, STATE_MAGIC, 8)) snprintf(why, whylen, "corrupt: bad magic");
    else if (get_u32(b + 40) != crc_of(b, 40)) snprintf(why, whylen, "corrupt: bad crc");
    else rc = 1;
    close(fd);
    if (rc == 1) {
        st->cluster_id = get_u64(b + 8);
        st->node_id = get_u64(b + 16);
        st->term = get_u64(b + 24);
        st->vote = get_u64(b + 32);
    }
    return rc;
}

int wal_save_state(wal *w, const wal_state *st) {
    char b[STATE_SIZE];
    memcpy(b, STATE_MAGIC, 8);
    set_u64(b + 8, st->cluster_id);
    set_u64(b + 16, st->node_id);
    set_u64(b + 24, st->term);
    set_u64(b + 32, st->vote);
    set_u32(b + 40, crc_of(b, 40));
    /* Until the rename the old state stands: a failure before it changes
     * nothing. After it, which state a crash leaves is unknown. */
    int fd = openat(w->dirfd, STATE_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    if (write_full(fd, b, STATE_SIZE, 0) < 0 || fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlinkat(w->dirfd, STATE_TMP, 0);
        errno = e;
        return -1;
    }
    if (close(fd) < 0) return -1;
    if (renameat(w->dirfd, STATE_TMP, w->dirfd, STATE_FILE) < 0) return -1;
    if (fsync(w->dirfd) < 0) return broken(w);
    return 0;
}

/* ---- reading segments ---- */

/* Buffered random access to one segment file, read ahead in big chunks. */
typedef struct reader {
    int fd;
    uint64_t size;
    char *buf;
    size_t cap;
    uint64_t at;  /* file offset of buf[0] */
    size_t n;     /* bytes valid in buf */
} reader;

/* Bytes [off, off+len) of the file, which the caller has checked lie
 * within it; NULL on a read error. */
static const char *rd_at(reader *r, uint64_t off, size_t len) {
    if (off >= r->at && off + len <= r->at + r->n) return r->buf + (off - r->at);
    size_t want = len > READ_CHUNK ? len : READ_CHUNK;
    if (want > r->size - off) want = (size_t)(r->size - off);
    if (want > r->cap) {
        free(r->buf);  /* nothing in it is needed any more */
        r->buf = xmalloc(want);
        r->cap = want;
    }
    r->n = 0;
    if (read_full(r->fd, r->buf, want, off) < 0) return NULL;
    r->at = off;
    r->n = want;
    return r->buf;
}

/* 1 when bytes [off, size) are all zero, 0 if not, -1 on a read error. */
static int all_zero(reader *r, uint64_t off) {
    while (off < r->size) {
        size_t n = r->size - off > READ_CHUNK ? READ_CHUNK : (size_t)(r->size - off);
        const char *p = rd_at(r, off, n);
        if (!p) return -1;
        for (size_t i = 0; i < n; i++)
            if (p[i]) return 0;
        off += n;
    }
    return 1;
}

/* Whether a sound record for index (term at least min_term) starts
 * anywhere in [from, size): 1 and *at, 0, or -1 on a read error. */
static int find_record(reader *r, uint64_t from, uint64_t index, uint64_t min_term, uint64_t *at) {
    for (uint64_t p = from; p + WAL_REC_HEADER <= r->size; p++) {
        const char *h = rd_at(r, p, WAL_REC_HEADER);
        if (!h) return -1;
        if (get_u64(h + 16) != index || get_u64(h + 8) < min_term) continue;
        uint32_t len = get_u32(h + 4);
        if (len > WAL_MAX_RECORD || len > r->size - p - WAL_REC_HEADER) continue;
        if (!(h = rd_at(r, p, WAL_REC_HEADER + (size_t)len))) return -1;
        if (get_u32(h) == crc_of(h + 4, WAL_REC_HEADER - 4 + (uint64_t)len)) {
            *at = p;
            return 1;
        }
    }
    return 0;
}

/* ---- scanning a directory ---- */

enum { SCAN_OK, SCAN_TORN, SCAN_BAD, SCAN_IOERR };

typedef struct scan {
    const char *dir;
    int dirfd;
    int collect;             /* keep entries and offsets (wal_open) */
    uint64_t data_from;      /* entries before it are kept without their data, CONFIG ones excepted */
    seg *segs;               /* every segment found, sorted */
    int nsegs;
    uint64_t base;           /* first index of the log, once the first header is read (else 0) */
    uint64_t last, last_term;
    raft_entry *ents;
    uint64_t *off;           /* parallel to ents */
    size_t nents, capents;
    int status, pseg;        /* first problem, and the segment it is in */
    uint64_t poff;           /* where to cut the log because of it */
    char why[512];
} scan;

static int problem(scan *s, int status, int k, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int problem(scan *s, int status, int k, uint64_t off, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof(s->why), fmt, ap);
    va_end(ap);
    s->status = status;
    s->pseg = k;
    s->poff = off;
    return 1;
}

static int io_problem(scan *s, int k, uint64_t off) {
    return problem(s, SCAN_IOERR, k, off, "read error: %s", strerror(errno));
}

static void scan_free(scan *s) {
    wal_free_entries(s->ents, s->nents);
    free(s->off);
    free(s->segs);
    s->ents = NULL;
    s->off = NULL;
    s->segs = NULL;
    s->nents = 0;
}

static int cmp_seg(const void *a, const void *b) {
    uint64_t x = ((const seg *)a)->first, y = ((const seg *)b)->first;
    return x < y ? -1 : x > y;
}

/* Fills s->segs from the directory listing. Leftover temp files (of a crash
 * during wal_save_state or segment creation) are removed when clean is set,
 * else mentioned on note; stray "wal-" names are mentioned or logged. */
static int list_segments(scan *s, int clean, FILE *note) {
    DIR *d = opendir(s->dir);
    if (!d) return problem(s, SCAN_IOERR, -1, 0, "cannot list: %s", strerror(errno));
    int cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        size_t l = strlen(nm);
        uint64_t first;
        if (!parse_seg_name(nm, &first)) {
            if (s->nsegs == cap) {
                cap = cap ? cap * 2 : 16;
                s->segs = xrealloc(s->segs, sizeof(seg) * (size_t)cap);
            }
            s->segs[s->nsegs++] = (seg){first, 0, 0};
        } else if (!strcmp(nm, STATE_TMP) || (!strncmp(nm, "wal-", 4) && l > 4 && !strcmp(nm + l - 4, ".tmp"))) {
            if (clean) unlinkat(s->dirfd, nm, 0);
            else if (note) fprintf(note, "note: leftover temporary file %s (ignored, removed at start-up)\n", nm);
        } else if (!strncmp(nm, "wal-", 4)) {
            if (note) fprintf(note, "note: %s is not a segment name (ignored)\n", nm);
            else logmsg(LL_WARNING, "wal: ignoring %s/%s: not a segment name", s->dir, nm);
        }
    }
    closedir(d);
    if (s->nsegs) qsort(s->segs, (size_t)s->nsegs, sizeof(seg), cmp_seg);
    return 0;
}

static void keep(scan *s, const char *rec, uint32_t len, uint64_t off) {
    if (s->nents == s->capents) {
        s->capents = s->capents ? s->capents * 2 : 1024;
        s->ents = xrealloc(s->ents, sizeof(raft_entry) * s->capents);
        s->off = xrealloc(s->off, sizeof(uint64_t) * s->capents);
    }
    raft_entry *e = &s->ents[s->nents];
    e->term = get_u64(rec + 8);
    e->index = get_u64(rec + 16);
    e->type = (unsigned char)rec[24];
    e->len = len;
    e->data = NULL;
    if (e->index >= s->data_from || e->type == RAFT_ENTRY_CONFIG) {
        e->data = xmalloc(len);
        memcpy(e->data, rec + WAL_REC_HEADER, len);
    }
    s->off[s->nents++] = off;
}

/* A record at off that cannot be read whole and sound (its frame would end
 * at end). Only the end of the last segment can be torn by a crash: zeros
 * from off on, or a damaged record that is the last thing in the file but
 * zeros (cut short, or with a bad crc). It is not taken for torn when a
 * sound record for the next index follows it: then its length field is
 * what is damaged, and truncating would lose good entries. */
static int damaged(scan *s, reader *r, int k, uint64_t off, uint64_t end, const char *what) {
    if (k != s->nsegs - 1) return problem(s, SCAN_BAD, k, off, "%s, in a segment that is not the last", what);
    int z = all_zero(r, off);
    if (z < 0) return io_problem(s, k, off);
    if (z) return problem(s, SCAN_TORN, k, off, "zero-filled tail");
    if (end < r->size) {
        if ((z = all_zero(r, end)) < 0) return io_problem(s, k, off);
        if (!z) return problem(s, SCAN_BAD, k, off, "%s, followed by %" PRIu64 " more bytes", what, r->size - end);
    }
    uint64_t at;
    if ((z = find_record(r, off + WAL_REC_HEADER, s->last + 2, s->last_term, &at)) < 0) return io_problem(s, k, off);
    if (z)
        return problem(s, SCAN_BAD, k, off, "%s, yet a sound record for index %" PRIu64 " follows at offset %" PRIu64,
                       what, s->last + 2, at);
    return problem(s, SCAN_TORN, k, off, "%s%s", what, end > r->size ? "" : " on the last record");
}

/* One record at *off: 0 and *off moved past it, or 1 on a problem. */
static int scan_record(scan *s, reader *r, int k, uint64_t *offp) {
    uint64_t off = *offp;
    char what[128];
    if (r->size - off < WAL_REC_HEADER)
        return damaged(s, r, k, off, off + WAL_REC_HEADER, "record header cut short");
    const char *h = rd_at(r, off, WAL_REC_HEADER);
    if (!h) return io_problem(s, k, off);
    uint32_t len = get_u32(h + 4);
    uint64_t end = off + WAL_REC_HEADER + len;
    if (len > WAL_MAX_RECORD) {
        snprintf(what, sizeof(what), "record length %" PRIu32 " over the limit", len);
        return damaged(s, r, k, off, end, what);
    }
    if (end > r->size) {
        snprintf(what, sizeof(what), "record cut short (%" PRIu64 " of %" PRIu64 " bytes)", r->size - off, end - off);
        return damaged(s, r, k, off, end, what);
    }
    if (!(h = rd_at(r, off, WAL_REC_HEADER + (size_t)len))) return io_problem(s, k, off);
    if (get_u32(h) != crc_of(h + 4, WAL_REC_HEADER - 4 + (uint64_t)len)) return damaged(s, r, k, off, end, "bad crc");
    uint64_t term = get_u64(h + 8), index = get_u64(h + 16);
    if (index != s->last + 1)
        return problem(s, SCAN_BAD, k, off, "record has index %" PRIu64 ", expected %" PRIu64, index, s->last + 1);
    if (index == UINT64_MAX)  /* the index after it would wrap to 0: wal_append never writes it */
        return problem(s, SCAN_BAD, k, off, "record has index %" PRIu64 ", past the last index a log can hold", index);
    if (term < s->last_term)
        return problem(s, SCAN_BAD, k, off, "term goes back from %" PRIu64 " to %" PRIu64 " at index %" PRIu64,
                       s->last_term, term, index);
    if (s->collect) keep(s, h, len, off);
    s->last = index;
    s->last_term = term;
    s->segs[k].nrec++;
    *offp = end;
    return 0;
}

static int scan_header(scan *s, reader *r, int k) {
    uint64_t first = s->segs[k].first;
    if (r->size < WAL_SEG_HEADER)
        return problem(s, SCAN_BAD, k, 0, "segment header cut short (%" PRIu64 " of %d bytes)", r->size, WAL_SEG_HEADER);
    const char *h = rd_at(r, 0, WAL_SEG_HEADER);
    if (!h) return io_problem(s, k, 0);
    if (memcmp(h, SEG_MAGIC, 8)) return problem(s, SCAN_BAD, k, 0, "bad segment header magic");
    if (get_u64(h + 8) != first)
        return problem(s, SCAN_BAD, k, 0, "segment header says first index %" PRIu64 ", its name %" PRIu64,
                       get_u64(h + 8), first);
    if (k > 0 && first != s->last + 1)
        return problem(s, SCAN_BAD, k, 0, "gap in the log: segment starts at index %" PRIu64 ", expected %" PRIu64,
                       first, s->last + 1);
    if (k == 0 && first == 0) return problem(s, SCAN_BAD, k, 0, "log starts at index 0 (indexes start at 1)");
    if (k == 0) {
        /* The log may start past 1: what came before was compacted away
         * behind a snapshot (or the log was reset to start there). */
        s->base = first;
        s->last = first - 1;
    }
    return 0;
}

static int scan_segment(scan *s, int k) {
    char name[32];
    seg_name(name, sizeof(name), s->segs[k].first);
    reader r = {.fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC)};
    if (r.fd < 0) return problem(s, SCAN_IOERR, k, 0, "cannot open: %s", strerror(errno));
    struct stat sb;
    int rc;
    if (fstat(r.fd, &sb) < 0) {
        rc = problem(s, SCAN_IOERR, k, 0, "cannot stat: %s", strerror(errno));
    } else {
        r.size = s->segs[k].size = (uint64_t)sb.st_size;
        rc = scan_header(s, &r, k);
        for (uint64_t off = WAL_SEG_HEADER; !rc && off < r.size;) rc = scan_record(s, &r, k, &off);
    }
    free(r.buf);
    close(r.fd);
    return rc;
}

/* Reads the whole log up to its first problem (s->status says which). */
static void scan_dir(scan *s, int clean, FILE *note) {
    if (list_segments(s, clean, note)) return;
    for (int k = 0; k < s->nsegs; k++)
        if (scan_segment(s, k)) return;
}

/* "dir/name at offset N": where a problem is, for messages. */
static void where(const scan *s, char *out, size_t n) {
    char name[32];
    if (s->pseg < 0) { snprintf(out, n, "%s", s->dir); return; }
    seg_name(name, sizeof(name), s->segs[s->pseg].first);
    snprintf(out, n, "%s/%s at offset %" PRIu64, s->dir, name, s->poff);
}

/* ---- open and close ---- */

/* The first index the log holds; for an empty log, the next to append. */
static uint64_t first_index(const wal *w) { return w->nsegs ? w->segs[0].first : w->last + 1; }

static void publish(wal *w) {
    atomic_store_explicit(&w->pub_first, first_index(w), memory_order_relaxed);
    atomic_store_explicit(&w->pub_last, w->last, memory_order_relaxed);
    atomic_store_explicit(&w->pub_disk, w->disk, memory_order_relaxed);
    atomic_store_explicit(&w->pub_nsegs, w->nsegs, memory_order_relaxed);
}

static int open_last_segment(wal *w) {
    char name[32];
    seg_name(name, sizeof(name), w->segs[w->nsegs - 1].first);
    w->fd = openat(w->dirfd, name, O_WRONLY | O_CLOEXEC);
    return w->fd < 0 ? -1 : 0;
}

/* The torn end of the last segment goes, durably, before anything is
 * appended after it. */
static int cut_torn_tail(wal *w, const scan *s, const char *at, char **err) {
    seg *g = &w->segs[s->pseg];
    logmsg(LL_WARNING, "wal: %s: %s; truncating %" PRIu64 " bytes (a write cut short by a crash)", at, s->why,
           g->size - s->poff);
    if (ftruncate(w->fd, (off_t)s->poff) < 0 || fsync(w->fd) < 0) {
        *err = strf("%s: cannot truncate the torn tail: %s", at, strerror(errno));
        return -1;
    }
    w->disk -= g->size - s->poff;
    g->size = s->poff;
    return 0;
}

/* What was loaded may have been read from the page cache, written by a
 * process that died before its fsync: make it durable before Raft counts
 * on it. Earlier segments were synced before a later one was begun, and
 * the directory covers segment names and the last raft-state rename. */
static int sync_loaded(wal *w) {
    if (w->fd >= 0 && fsync(w->fd) < 0) return -1;
    return fsync(w->dirfd);
}

/* Moves the scan's results into w. */
static void adopt(wal *w, scan *s) {
    w->segs = s->segs;
    w->nsegs = w->capsegs = s->nsegs;
    w->off = s->off;
    w->capoff = s->capents;
    w->last = s->last;
    w->last_term = s->last_term;
    for (int k = 0; k < w->nsegs; k++) w->disk += w->segs[k].size;
    s->segs = NULL;
    s->off = NULL;
}

/* The directory (made if missing), for fsyncs and *at() calls. */
static int open_dir(const char *dir, char **err) {
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        *err = strf("%s: cannot create: %s", dir, strerror(errno));
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) *err = strf("%s: cannot open: %s", dir, strerror(errno));
    return fd;
}

wal *wal_open(const char *dir, size_t segment_size, wal_state *st, int *has_state, raft_entry **entries, size_t *n,
              char **err) {
    return wal_open_from(dir, segment_size, 0, st, has_state, entries, n, err);
}

wal *wal_open_from(const char *dir, size_t segment_size, uint64_t data_from, wal_state *st, int *has_state,
                   raft_entry **entries, size_t *n, char **err) {
    *entries = NULL;
    *n = 0;
    *has_state = 0;
    *err = NULL;
    memset(st, 0, sizeof(*st));
    int dirfd = open_dir(dir, err);
    if (dirfd < 0) return NULL;
    char why[256];
    int hs = read_state(dirfd, st, why, sizeof(why));
    if (hs < 0) {
        *err = strf("%s/%s: %s; refusing to start without this node's term and vote", dir, STATE_FILE, why);
        close(dirfd);
        return NULL;
    }
    scan s = {.dir = dir, .dirfd = dirfd, .collect = 1, .data_from = data_from};
    scan_dir(&s, 1, NULL);
    char at[600];
    if (s.status != SCAN_OK) where(&s, at, sizeof(at));
    if (s.status == SCAN_BAD || s.status == SCAN_IOERR) {
        /* Not --fix: what follows the damage may hold entries this node
         * acknowledged, which a leader may count on it to keep. */
        *err = strf("%s: %s%s", at, s.why,
                    s.status == SCAN_BAD ? ". Refusing to start: the log is damaged, not just torn at its end. "
                                           "Replace the node: RAFT.NODE REMOVE it on another member, wipe this data "
                                           "dir, start it empty with --join under a new id (README, \"Disk damage\")"
                                         : "");
        scan_free(&s);
        close(dirfd);
        return NULL;
    }
    wal *w = xmalloc(sizeof(*w));
    memset(w, 0, sizeof(*w));
    w->dirfd = dirfd;
    w->fd = -1;
    w->segment_size = segment_size;
    pthread_mutex_init(&w->meta, NULL);
    adopt(w, &s);
    if (w->nsegs && open_last_segment(w) < 0) {
        *err = strf("%s: cannot open the last segment for writing: %s", dir, strerror(errno));
        goto fail;
    }
    if (s.status == SCAN_TORN && cut_torn_tail(w, &s, at, err) < 0) goto fail;
    if (sync_loaded(w) < 0) {
        *err = strf("%s: cannot sync: %s", dir, strerror(errno));
        goto fail;
    }
    publish(w);
    *has_state = hs;
    *entries = s.ents;
    *n = s.nents;
    return w;
fail:
    scan_free(&s);
    wal_close(w);
    memset(st, 0, sizeof(*st));
    return NULL;
}

void wal_close(wal *w) {
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    close(w->dirfd);
    free(w->segs);
    free(w->off);
    pthread_mutex_destroy(&w->meta);
    free(w);
}

void wal_free_entries(raft_entry *e, size_t n) {
    for (size_t i = 0; i < n; i++) free(e[i].data);
    free(e);
}

uint64_t wal_first_index(const wal *w) { return atomic_load_explicit(&w->pub_first, memory_order_relaxed); }
uint64_t wal_last_index(const wal *w) { return atomic_load_explicit(&w->pub_last, memory_order_relaxed); }
uint64_t wal_disk_bytes(const wal *w) { return atomic_load_explicit(&w->pub_disk, memory_order_relaxed); }
int wal_segments(const wal *w) { return atomic_load_explicit(&w->pub_nsegs, memory_order_relaxed); }

/* ---- appending ---- */

void wal_encode(buf *b, const raft_entry *e, size_t n) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += WAL_REC_HEADER + e[i].len;
    buf_reserve(b, total);
    for (size_t i = 0; i < n; i++) {
        size_t start = b->len;
        unsigned char type = (unsigned char)e[i].type;
        buf_put_u32(b, 0);  /* crc, filled in below */
        buf_put_u32(b, (uint32_t)e[i].len);  /* over WAL_MAX_RECORD: wal_append refuses it */
        buf_put_u64(b, e[i].term);
        buf_put_u64(b, e[i].index);
        buf_append(b, &type, 1);
        buf_append(b, e[i].data, e[i].len);
        set_u32(b->data + start, crc_of(b->data + start + 4, b->len - start - 4));
    }
}

/* The segment holding index i (which is in the log). */
static int seg_of(const wal *w, uint64_t i) {
    int lo = 0, hi = w->nsegs - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (w->segs[mid].first <= i) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

/* Term of entry i, read back from disk unless it is the last; 0 before
 * the first index (index 0, or compacted: that term is the snapshot's,
 * which the log does not know). */
static int term_at(const wal *w, uint64_t i, uint64_t *term) {
    if (i < first_index(w) || i == w->last) {
        *term = i < first_index(w) ? 0 : w->last_term;
        return 0;
    }
    char name[32], h[WAL_REC_HEADER];
    seg_name(name, sizeof(name), w->segs[seg_of(w, i)].first);
    int fd = openat(w->dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = read_full(fd, h, WAL_REC_HEADER, w->off[i - first_index(w)]);
    close(fd);
    if (rc < 0) return -1;
    if (get_u64(h + 16) != i) { errno = EIO; return -1; }
    *term = get_u64(h + 8);
    return 0;
}

/* rec must hold exactly the records first..last, lengths in bounds, terms
 * never below prev_term: a log we would refuse to read is never written. */
static int check_batch(const char *rec, size_t len, uint64_t first, uint64_t last, uint64_t prev_term) {
    size_t pos = 0;
    uint64_t i = first;
    while (pos < len) {
        if (len - pos < WAL_REC_HEADER || i > last) return -1;
        const char *h = rec + pos;
        uint32_t n = get_u32(h + 4);
        if (n > WAL_MAX_RECORD || n > len - pos - WAL_REC_HEADER) return -1;
        if (get_u64(h + 16) != i || get_u64(h + 8) < prev_term) return -1;
        prev_term = get_u64(h + 8);
        pos += WAL_REC_HEADER + n;
        i++;
    }
    return i == last + 1 ? 0 : -1;
}

/* Records the offsets of a batch written at base in the last segment. */
static void note_batch(wal *w, const char *rec, uint64_t first, uint64_t last, uint64_t base) {
    uint64_t from = first_index(w), need = last - from + 1;
    if (w->capoff < need) {
        size_t cap = w->capoff ? w->capoff : 1024;
        while (cap < need) cap *= 2;
        w->off = xrealloc(w->off, sizeof(uint64_t) * cap);
        w->capoff = cap;
    }
    size_t pos = 0;
    for (uint64_t i = first; i <= last; i++) {
        w->off[i - from] = base + pos;
        w->last_term = get_u64(rec + pos + 8);
        pos += WAL_REC_HEADER + get_u32(rec + pos + 4);
    }
}

static int drop_last_segment(wal *w) {
    char name[32];
    seg *g = &w->segs[w->nsegs - 1];
    seg_name(name, sizeof(name), g->first);
    if (w->fd >= 0) close(w->fd);
    w->fd = -1;
    if (unlinkat(w->dirfd, name, 0) < 0 || fsync(w->dirfd) < 0) return -1;
    pthread_mutex_lock(&w->meta);
    w->disk -= g->size;
    w->nsegs--;
    pthread_mutex_unlock(&w->meta);
    return 0;
}

/* Drops entries first.. (see the rules at the top of the file). */
static int truncate_from(wal *w, uint64_t first, uint64_t term_before) {
    int k = seg_of(w, first);
    while (w->nsegs - 1 > k)
        if (drop_last_segment(w) < 0) return -1;
    if (w->fd < 0 && open_last_segment(w) < 0) return -1;
    seg *g = &w->segs[k];
    uint64_t at = w->off[first - first_index(w)];
    if (ftruncate(w->fd, (off_t)at) < 0 || fsync(w->fd) < 0) return -1;
    pthread_mutex_lock(&w->meta);
    w->disk -= g->size - at;
    g->size = at;
    w->last = first - 1;
    w->last_term = term_before;
    pthread_mutex_unlock(&w->meta);
    return 0;
}

/* Begins segment first: header synced under a temporary name, renamed,
 * directory synced. A failure before the directory sync leaves no trace. */
static int new_segment(wal *w, uint64_t first, int *untouched) {
    char name[32], tmp[40], h[WAL_SEG_HEADER];
    seg_name(name, sizeof(name), first);
    snprintf(tmp, sizeof(tmp), "%s.tmp", name);
    memcpy(h, SEG_MAGIC, 8);
    set_u64(h + 8, first);
    *untouched = 1;
    int fd = openat(w->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    if (write_full(fd, h, WAL_SEG_HEADER, 0) < 0 || fdatasync(fd) < 0 ||
        renameat(w->dirfd, tmp, w->dirfd, name) < 0 || (*untouched = 0, fsync(w->dirfd) < 0)) {
        int e = errno;
        close(fd);
        unlinkat(w->dirfd, tmp, 0);
        errno = e;
        return -1;
    }
    if (w->fd >= 0) close(w->fd);
    w->fd = fd;
    pthread_mutex_lock(&w->meta);
    if (w->nsegs == w->capsegs) {
        w->capsegs = w->capsegs ? w->capsegs * 2 : 16;
        w->segs = xrealloc(w->segs, sizeof(seg) * (size_t)w->capsegs);
    }
    w->segs[w->nsegs++] = (seg){first, WAL_SEG_HEADER, 0};
    w->disk += WAL_SEG_HEADER;
    pthread_mutex_unlock(&w->meta);
    return 0;
}

/* A segment with no record is never rolled: the next one would have its name. */
static int need_new_segment(const wal *w) {
    if (!w->nsegs) return 1;
    const seg *g = &w->segs[w->nsegs - 1];
    return g->size >= w->segment_size && g->size > WAL_SEG_HEADER;
}

/* A write failed: the files are in an unknown state from now on. Keeps
 * errno; returns -1. */
/* A failure that changed nothing the log promises, for want of space: the
 * wal stays usable and the caller may try again. Anything else breaks it. */
static int failed(wal *w, int untouched) {
    if (!untouched || !out_of_space(errno)) return broken(w);
    int e = errno;
    publish(w);  /* a truncation before the failure did change the log */
    errno = e;
    return -1;
}

static int broken(wal *w) {
    int e = errno;
    w->broken = 1;
    publish(w);
    errno = e;
    return -1;
}

int wal_append(wal *w, uint64_t first, uint64_t last, const char *rec, size_t len) {
    if (w->broken) { errno = EIO; return -1; }
    if (first == 0 || first < first_index(w) || first > w->last + 1 || last + 1 < first) {
        errno = EINVAL;
        return -1;
    }
    uint64_t prev_term;
    if (term_at(w, first - 1, &prev_term) < 0) return -1;
    if (check_batch(rec, len, first, last, prev_term) < 0) { errno = EINVAL; return -1; }
    if (first <= w->last && truncate_from(w, first, prev_term) < 0) goto fail;
    if (len) {
        int untouched;
        if (need_new_segment(w) && new_segment(w, first, &untouched) < 0) return failed(w, untouched);
        seg *g = &w->segs[w->nsegs - 1];
        if (write_full(w->fd, rec, len, g->size) < 0) {  /* never synced: cut back what got in */
            int e = errno;
            untouched = ftruncate(w->fd, (off_t)g->size) == 0;
            errno = e;
            return failed(w, untouched);
        }
        if (!w->nosync && fdatasync(w->fd) < 0) goto fail;
        pthread_mutex_lock(&w->meta);
        note_batch(w, rec, first, last, g->size);
        g->size += len;
        w->disk += len;
        w->last = last;
        pthread_mutex_unlock(&w->meta);
    }
    publish(w);
    return 0;
fail:
    return broken(w);
}

/* ---- reading back ---- */

/* Where entry e->index lies: its segment's first index and its offset
 * there, or -1 when the log does not hold it. Under meta. */
static int locate(wal *w, uint64_t i, uint64_t *segfirst, uint64_t *off) {
    if (i < first_index(w) || i > w->last) return -1;
    *segfirst = w->segs[seg_of(w, i)].first;
    *off = w->off[i - first_index(w)];
    return 0;
}

/* Whether the record whose header is h and data d is entry e as the
 * caller knows it (index, term, type, length), its crc sound. */
static int record_is(const char *h, const char *d, const raft_entry *e) {
    return get_u32(h + 4) == e->len && get_u64(h + 8) == e->term && get_u64(h + 16) == e->index &&
           (unsigned char)h[24] == (unsigned char)e->type &&
           get_u32(h) == crc_update(crc_of(h + 4, WAL_REC_HEADER - 4), d, e->len);
}

/* A record read back alone, its data straight into its blob: a large
 * value is not held twice. */
#define WAL_READ_ALONE (1u << 20)

/* Records e[0..n), consecutive in one segment at off, read in one go
 * (one large one alone) and checked (record_is). */
static int read_run(wal *w, uint64_t segfirst, uint64_t off, raft_entry *e, size_t n) {
    size_t span = 0;
    for (size_t k = 0; k < n; k++) span += WAL_REC_HEADER + e[k].len;
    char name[32];
    seg_name(name, sizeof(name), segfirst);
    int fd = openat(w->dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc;
    if (n == 1 && e[0].len >= WAL_READ_ALONE) {
        char h[WAL_REC_HEADER], *d = blob_new(e[0].len);
        rc = read_full(fd, h, WAL_REC_HEADER, off) < 0 || read_full(fd, d, e[0].len, off + WAL_REC_HEADER) < 0 ? -1 : 0;
        if (rc == 0 && !record_is(h, d, &e[0])) { errno = EIO; rc = -1; }
        if (rc == 0) e[0].data = d; else blob_release(d);
        close(fd);
        return rc;
    }
    char *b = xmalloc(span);
    rc = read_full(fd, b, span, off);
    close(fd);
    for (size_t k = 0, pos = 0; rc == 0 && k < n; k++) {
        const char *h = b + pos;
        if (!record_is(h, h + WAL_REC_HEADER, &e[k])) {
            errno = EIO;
            rc = -1;
            break;
        }
        e[k].data = blob_copy(h + WAL_REC_HEADER, e[k].len);
        pos += WAL_REC_HEADER + e[k].len;
    }
    free(b);
    return rc;
}

int wal_read(wal *w, raft_entry *e, size_t n) {
    uint64_t *segf = xmalloc(sizeof(uint64_t) * 2 * (n ? n : 1)), *off = segf + n;
    int rc = 0;
    pthread_mutex_lock(&w->meta);
    for (size_t k = 0; k < n && rc == 0; k++)
        if (!e[k].data && locate(w, e[k].index, &segf[k], &off[k]) < 0) rc = -1;
    pthread_mutex_unlock(&w->meta);
    if (rc < 0) errno = ENOENT;
    for (size_t k = 0; k < n && rc == 0;) {
        if (e[k].data) { k++; continue; }
        size_t j = k + 1;  /* a run: missing, same segment, back to back, small */
        while (e[k].len < WAL_READ_ALONE && j < n && !e[j].data && e[j].len < WAL_READ_ALONE && segf[j] == segf[k] &&
               off[j] == off[j - 1] + WAL_REC_HEADER + e[j - 1].len && j - k < 4096)
            j++;
        rc = read_run(w, segf[k], off[k], e + k, j - k);
        k = j;
    }
    free(segf);
    return rc;
}

/* ---- compaction and reset ---- */

/* After compaction: memory that only the dropped history needed goes back. */
static void shrink_off(wal *w, uint64_t held) {
    if (w->capoff <= 1024 || held > w->capoff / 4) return;
    size_t cap = held * 2 > 1024 ? (size_t)held * 2 : 1024;
    w->off = xrealloc(w->off, sizeof(uint64_t) * cap);
    w->capoff = cap;
}

/* Forgets segments [0, n), already unlinked; offsets move down with the
 * first index. */
static void forget_oldest(wal *w, int n) {
    if (!n) return;
    pthread_mutex_lock(&w->meta);
    uint64_t drop = w->segs[n].first - w->segs[0].first, held = w->last + 1 - w->segs[n].first;
    for (int k = 0; k < n; k++) w->disk -= w->segs[k].size;
    memmove(w->segs, w->segs + n, sizeof(seg) * (size_t)(w->nsegs - n));
    w->nsegs -= n;
    if (held) memmove(w->off, w->off + drop, sizeof(uint64_t) * held);
    shrink_off(w, held);
    pthread_mutex_unlock(&w->meta);
}

int wal_compact(wal *w, uint64_t upto) {
    if (w->broken) { errno = EIO; return -1; }
    int n = 0, rc = 0;
    char name[32];
    /* Segment n holds segs[n].first .. segs[n + 1].first - 1; the last one
     * stays, being the one appends go to. */
    while (n < w->nsegs - 1 && w->segs[n + 1].first - 1 <= upto) {
        seg_name(name, sizeof(name), w->segs[n].first);
        if (unlinkat(w->dirfd, name, 0) < 0) { rc = -1; break; }  /* nothing changed: still a sound log */
        n++;
        if (fsync(w->dirfd) < 0) {  /* which unlinks are durable is unknown: like a failed append */
            rc = -1;
            w->broken = 1;
            break;
        }
    }
    int e = errno;
    forget_oldest(w, n);
    publish(w);
    errno = e;
    return rc < 0 ? -1 : n;
}

int wal_reset(wal *w, uint64_t next) {
    if (w->broken) { errno = EIO; return -1; }
    if (next == 0) { errno = EINVAL; return -1; }
    while (w->nsegs)
        if (drop_last_segment(w) < 0) goto fail;
    pthread_mutex_lock(&w->meta);
    w->last = next - 1;
    w->last_term = 0;  /* the snapshot's, unknown here: see term_at() */
    free(w->off);
    w->off = NULL;
    w->capoff = 0;
    pthread_mutex_unlock(&w->meta);
    /* The empty segment records next: without it a reopen would start at 1. */
    int untouched;
    if (new_segment(w, next, &untouched) < 0) goto fail;
    publish(w);
    return 0;
fail:
    return broken(w);
}

/* ---- verification (raftkv-check-log) ---- */

/* Records a repair at the problem drops in segment k from off on: whole
 * frames, the damaged one included when its frame fits, following length
 * fields; stops at a frame running off the end or an all-zero header.
 * Damage can hide record boundaries, so this is a best count. */
static uint64_t count_frames(reader *r, uint64_t off) {
    static const char zero[WAL_REC_HEADER];
    uint64_t n = 0;
    while (off <= r->size && r->size - off >= WAL_REC_HEADER) {
        const char *h = rd_at(r, off, WAL_REC_HEADER);
        if (!h || !memcmp(h, zero, WAL_REC_HEADER)) break;
        uint64_t end = off + WAL_REC_HEADER + get_u32(h + 4);
        if (end > r->size) break;
        n++;
        off = end;
    }
    return n;
}

/* What a cut at the problem loses: entries (best count) and bytes. */
static void loss(const scan *s, uint64_t *entries, uint64_t *bytes) {
    *entries = *bytes = 0;
    for (int k = s->pseg; k < s->nsegs; k++) {
        char name[32];
        seg_name(name, sizeof(name), s->segs[k].first);
        reader r = {.fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC)};
        struct stat sb;
        if (r.fd < 0) continue;
        if (fstat(r.fd, &sb) == 0) {
            r.size = (uint64_t)sb.st_size;
            uint64_t from = k == s->pseg ? s->poff : 0;
            if (from > r.size) from = r.size;
            *bytes += r.size - from;
            *entries += count_frames(&r, from < WAL_SEG_HEADER ? WAL_SEG_HEADER : from);
        }
        free(r.buf);
        close(r.fd);
    }
}

/* Cuts the log at the problem: later segments go newest first, then the
 * damaged segment is truncated (or removed, when its header is the problem). */
static int repair(const scan *s, FILE *f) {
    char name[32];
    for (int k = s->nsegs - 1; k >= s->pseg; k--) {
        seg_name(name, sizeof(name), s->segs[k].first);
        if (k == s->pseg && s->poff >= WAL_SEG_HEADER) break;
        if (unlinkat(s->dirfd, name, 0) < 0 || fsync(s->dirfd) < 0) {
            fprintf(f, "error: cannot remove %s/%s: %s\n", s->dir, name, strerror(errno));
            return -1;
        }
        fprintf(f, "removed %s\n", name);
    }
    if (s->poff < WAL_SEG_HEADER) return 0;
    int fd = openat(s->dirfd, name, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)s->poff) < 0 || fsync(fd) < 0) {
        fprintf(f, "error: cannot truncate %s/%s: %s\n", s->dir, name, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    close(fd);
    fprintf(f, "truncated %s at offset %" PRIu64 "\n", name, s->poff);
    return 0;
}

static int check_state(int dirfd, const char *dir, FILE *f) {
    wal_state st;
    char why[256];
    int hs = read_state(dirfd, &st, why, sizeof(why));
    if (hs > 0)
        fprintf(f, "hard state: term %" PRIu64 ", vote %" PRIu64 ", cluster id %" PRIu64 ", node id %" PRIu64 "\n",
                st.term, st.vote, st.cluster_id, st.node_id);
    else if (hs == 0)
        fprintf(f, "hard state: none (no %s yet)\n", STATE_FILE);
    else
        fprintf(f, "error: %s/%s: %s (not repairable: without it this node could vote twice in a term)\n", dir,
                STATE_FILE, why);
    return hs < 0;
}

/* Entries, first and last index: a log past 1 was compacted or reset. */
static void report_range(const scan *s, FILE *f) {
    uint64_t n = s->base ? s->last + 1 - s->base : 0;
    fprintf(f, "entries: %" PRIu64 "%s\n", n, s->status == SCAN_OK ? "" : " (before the problem)");
    if (n)
        fprintf(f, "first index: %" PRIu64 "%s\nlast index: %" PRIu64 "\nlast term: %" PRIu64 "\n", s->base,
                s->base > 1 ? " (earlier entries compacted away)" : "", s->last, s->last_term);
    else if (s->base > 1)
        fprintf(f, "first index: - (empty; the next entry is %" PRIu64 ")\nlast index: %" PRIu64 "\nlast term: -\n",
                s->base, s->last);
    else
        fprintf(f, "first index: -\nlast index: 0\nlast term: 0\n");
}

static void report_segments(const scan *s, FILE *f) {
    int upto = s->status == SCAN_OK ? s->nsegs - 1 : s->pseg;
    for (int k = 0; k < s->nsegs; k++) {
        char name[32];
        const seg *g = &s->segs[k];
        seg_name(name, sizeof(name), g->first);
        if (k > upto) {
            struct stat sb;
            long long size = fstatat(s->dirfd, name, &sb, 0) == 0 ? (long long)sb.st_size : -1;
            fprintf(f, "segment %s: %lld bytes, not read (after the damage)\n", name, size);
        } else if (g->nrec) {
            fprintf(f, "segment %s: %" PRIu64 " bytes, entries %" PRIu64 "..%" PRIu64 "\n", name, g->size, g->first,
                    g->first + g->nrec - 1);
        } else {
            fprintf(f, "segment %s: %" PRIu64 " bytes, no entries\n", name, g->size);
        }
    }
    fprintf(f, "segments: %d\n", s->nsegs);
    report_range(s, f);
}

/* Scans again after a repair, to show (and make sure) the log is sound. */
static int recheck(const char *dir, int dirfd, FILE *f) {
    scan s = {.dir = dir, .dirfd = dirfd};
    scan_dir(&s, 0, NULL);
    int ok = s.status == SCAN_OK;
    if (ok) fprintf(f, "log is now sound: %d segments, last index %" PRIu64 ", last term %" PRIu64 "\n", s.nsegs, s.last,
                    s.last_term);
    else fprintf(f, "error: the log is still not sound: %s\n", s.why);
    scan_free(&s);
    return ok ? 0 : 1;
}

/* 0 when the log can be used (now), 1 otherwise. */
static int report_problem(const scan *s, int dirfd, int fix, FILE *f) {
    char at[600];
    where(s, at, sizeof(at));
    if (s->status == SCAN_IOERR) {
        fprintf(f, "error: %s: %s\n", at, s->why);
        return 1;
    }
    uint64_t n, bytes;
    loss(s, &n, &bytes);
    if (s->status == SCAN_TORN)
        fprintf(f, "torn tail: %s: %s; %" PRIu64 " bytes and %" PRIu64 " entries to drop\n", at, s->why, bytes, n);
    else
        fprintf(f, "error: %s: %s\n", at, s->why);
    if (!fix) {
        if (s->status == SCAN_TORN)
            fprintf(f, "log is usable: a write cut short by a crash, never acknowledged; the server truncates it "
                       "when it starts (--fix does it now)\n");
        else
            fprintf(f, "log is damaged: the server refuses to start; --fix truncates the log there, dropping %" PRIu64
                       " entries (%" PRIu64 " bytes)\n"
                       "only for a lone node or the last copy left: a member of a cluster may have acknowledged "
                       "entries that --fix drops; replace it instead (RAFT.NODE REMOVE, wipe, --join)\n", n, bytes);
        return s->status == SCAN_TORN ? 0 : 1;
    }
    if (repair(s, f) < 0) return 1;
    fprintf(f, "fixed: dropped %" PRIu64 " entries (%" PRIu64 " bytes)\n", n, bytes);
    return recheck(s->dir, dirfd, f);
}

int wal_check(const char *dir, int fix, void *out) {
    FILE *f = out;
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        fprintf(f, "error: %s: cannot open: %s\n", dir, strerror(errno));
        return 1;
    }
    fprintf(f, "checking %s\n", dir);
    int rc = check_state(dirfd, dir, f);
    scan s = {.dir = dir, .dirfd = dirfd};
    scan_dir(&s, 0, f);
    report_segments(&s, f);
    if (s.status == SCAN_OK) fprintf(f, "log is sound\n");
    else rc |= report_problem(&s, dirfd, fix, f);
    scan_free(&s);
    close(dirfd);
    return rc;
}

void wal_set_sync(wal *w, int on) { w->nosync = !on; }

int wal_broken(const wal *w) { return w->broken; }
