#include "store.h"
#include "arena.h"
#include "bloom.h"
#include "keycache.h"
#include "idmap.h"
#include "log.h"
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <leveldb/c.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* A key's last change in the open batch, not yet in LevelDB: reads look
 * here first, so later commands (and later parts of one command: DEL k k)
 * see it. The batch's data reaches LevelDB from here, once per key, in
 * LevelDB's order (store_write). key and val live in the table's arena. */
typedef struct pend { uint64_t hash; char *key; size_t klen; char *val; size_t vlen; int deleted, prev; } pend;

/* The open batch's changes, one pend per key: the user keys' table (key:
 * the user key, hash its store_key_hash) and the element records' (key:
 * the LevelDB key, hash of those bytes). */
typedef struct ovl {
    pend *v;
    int n, cap;
    arena bytes;   /* the pends' keys and values, freed at each write */
    int *slots;    /* open-addressing index into v, -1 = empty */
    size_t nslots;
    /* with plen (the element records'): the records sharing their first
     * plen bytes (one collection's) chained through pend.prev from the
     * last one, which heads[] finds (open addressing by those bytes), so a
     * walk reads its collection's records, not the whole batch's */
    size_t plen, nheads, nchains;
    int *heads;
} ovl;

/* A generation's LevelDB, shared by the state machine and the views open
 * on it: an install that replaces it lets go of it, and it is closed (its
 * directory removed, if retired) once the last view lets go too, so a
 * view never outlives the data it reads. */
typedef struct gen_ref { leveldb_t *db; char *retired_path; int refs; } gen_ref;

struct store {
    struct store *owner;       /* a read handle: the store it reads (NULL: this is the store) */
    const leveldb_snapshot_t *pin;  /* a read handle's point in time (store_reader_pin) ... */
    struct gen_ref *pinref;         /* ... in the generation it was taken in */
    leveldb_t *db;             /* ref->db */
    gen_ref *ref;
    leveldb_options_t *opts;
    leveldb_readoptions_t *ropts;
    leveldb_writeoptions_t *wopts, *wsync;
    leveldb_cache_t *cache;
    leveldb_filterpolicy_t *filter;
    uint64_t applied, applied_term, keys, synced, written;
    uint64_t volatile_keys, time_ms;  /* keys with an expiry; the last entry's cluster time */
    uint64_t expire_sum;       /* their expiry times' sum, in seconds (INFO's avg_ttl; not stored) */
    buf vbuf;                  /* a value's stored form, being written */
    uint64_t dels[STORE_DEL_BUCKETS];  /* store_deleted(): by key hash, the index of the last deletion */
    int dels_dirty;            /* changed since the last write */
    char *dir;                 /* the node's data dir; LevelDB is in fsm-<gen> inside */
    unsigned gen;
    uint64_t installed_at;     /* this generation came from an image of that index */
    leveldb_writebatch_t *wb;  /* open batch: entries applied, not yet written */
    size_t batch_bytes;
    ovl okeys, oelems;         /* the open batch's user keys, and its element records */
    buf ebuf;                  /* an element record's LevelDB key, being made */
    struct ahead *ra;          /* the writer's read-ahead (store_elem_get_run), NULL until a run */
    uint64_t cids;             /* collection ids given out by the entry being applied */
    uint64_t seeds;            /* store_entry_seed() calls in the entry being applied */
    buf wkeys;                 /* keys written since store_take_written() (u32 length, bytes), */
    _Atomic int track_written; /* while asked to (store_track_written) */
    int garbage;               /* LevelDB may hold garbage markers ('g'): reclaim at the next write */
    buf reclaim_at;            /* where the last reclaim pass stopped (reclaim()) */
    int batch_marked;          /* the open batch holds one */
    buf kbuf;
    keycache *kc;              /* the writer's: keys' existence and expiry, noted at every read and write */
    char *conf;                /* configuration of the last CONFIG entry applied (NULL: none yet) */
    int removed;
    char *no_space;            /* LevelDB's error when a write failed for want of space (see store_recover) */
    /* what LevelDB holds, for read handles on another thread */
    _Atomic uint64_t pub_applied, pub_keys, pub_volatile, pub_expire_sum;
    /* the hashes of the keys whose value is STORE_LARGE_VALUE or more
     * (store_is_large), kept by the applying thread, read by others */
    pthread_mutex_t large_mu;
    idmap large;
    /* the ACL users (acl.h text; NULL: none yet), set by the applying
     * thread, copied by the loop when acl_version moves (store_acl_copy) */
    pthread_mutex_t acl_mu;
    char *acl;
    _Atomic uint64_t acl_version;
};

_Static_assert(STORE_META_MAX + STORE_VALUE_HEAD <= KEYCACHE_MAX_VALUE, "a collection's stored form must fit the key cache");

static const char META_APPLIED[] = "mapplied";
static const char META_TERM[] = "mterm";
static const char META_KEYS[] = "mkeys";
static const char META_CONF[] = "mconf";
static const char META_REMOVED[] = "mremoved";
static const char META_ACL[] = "macl";
static const char META_VOLATILE[] = "mvolatile";  /* keys with an expiry */
static const char META_TIME[] = "mtime";          /* cluster time of the last entry applied */
static const char META_FORMAT[] = "mformat";      /* how values are stored: STORE_FORMAT */
static const char META_DELS[] = "mdels";          /* STORE_DEL_BUCKETS u64: the last deletion in each */
/* Format 2: a value is a tag byte, then (VAL_VERSION) the index of the
 * entry that wrote it, then (VAL_TTL) its expiry, then (VAL_TYPE) a type
 * byte other than STORE_STRING, then its bytes. Format 1 (no META_FORMAT)
 * stored the bytes alone. (A type is an addition format 2 reads: a
 * string is stored as before.) */
#define STORE_FORMAT 2
enum { VAL_TTL = 1, VAL_VERSION = 2, VAL_TYPE = 4 };
#define POINTER "fsm-current"


static uint64_t read_meta_at(leveldb_t *db, const leveldb_readoptions_t *ro, const char *name, char **err) {
    size_t n;
    char *v = leveldb_get(db, ro, name, strlen(name), &n, err);
    uint64_t r = (v && n == 8) ? get_u64(v) : 0;
    leveldb_free(v);
    return r;
}

static uint64_t read_meta(store *f, const char *name, char **err) { return read_meta_at(f->db, f->ropts, name, err); }

/* A text meta value, malloc'd and NUL-terminated (NULL if absent). */
static char *read_text_at(leveldb_t *db, const leveldb_readoptions_t *ro, const char *name, char **err) {
    size_t n;
    char *v = leveldb_get(db, ro, name, strlen(name), &n, err);
    char *r = v ? xstrndup(v, n) : NULL;
    leveldb_free(v);
    return r;
}

static char *read_text(store *f, const char *name, char **err) { return read_text_at(f->db, f->ropts, name, err); }

/* The LevelDB a handle reads: its own, or its store's (which replaces it
 * only while nothing else uses the store: see store_reader_new). */
static void ovl_free(ovl *o);
static void ahead_free(store *f);

static leveldb_t *db_of(const store *f) { return f->pinref ? f->pinref->db : f->owner ? f->owner->db : f->db; }

/* ---- values: tag, expiry, bytes ---- */

/* The stored form of a value (in b, reused); version 0: none. */
static void value_encode(buf *b, int type, const char *val, size_t vlen, uint64_t expire, uint64_t version) {
    b->len = 0;
    char h[STORE_VALUE_HEAD];
    size_t n = 1;
    h[0] = (char)((expire ? VAL_TTL : 0) | (version ? VAL_VERSION : 0) | (type ? VAL_TYPE : 0));
    if (version) set_u64(h + n, version), n += 8;
    if (expire) set_u64(h + n, expire), n += 8;
    if (type) h[n++] = (char)type;
    buf_append(b, h, n);
    buf_append(b, val, vlen);
}

int store_value_decode(const char *raw, size_t n, sval *v) {
    unsigned tag = n ? (unsigned char)raw[0] : 0xff;
    size_t t = 1 + (tag & VAL_VERSION ? 8 : 0) + (tag & VAL_TTL ? 8 : 0), h = t + (tag & VAL_TYPE ? 1 : 0);
    if (tag & ~(unsigned)(VAL_TTL | VAL_VERSION | VAL_TYPE) || n < h) return 0;
    v->version = tag & VAL_VERSION ? get_u64(raw + 1) : 0;
    v->expire = tag & VAL_TTL ? get_u64(raw + t - 8) : 0;
    v->type = tag & VAL_TYPE ? (unsigned char)raw[t] : STORE_STRING;
    if ((tag & VAL_TTL && !v->expire) || (tag & VAL_VERSION && !v->version)) return 0;
    if (tag & VAL_TYPE && (v->type < STORE_HASH || v->type > STORE_CHUNKS)) return 0;
    v->p = raw + h;
    v->len = n - h;
    return v->type != STORE_CHUNKS || v->len == STORE_CHUNKS_META;
}

/* A string kept in chunks: its metadata names a length only chunks hold,
 * and as many chunks as that length takes. */
static int chunks_meta_ok(const sval *v) {
    if (v->type != STORE_CHUNKS) return 1;
    uint64_t count = get_u64(v->p + STORE_CID), total = get_u64(v->p + STORE_META);
    return total > STORE_CHUNK && count == total / STORE_CHUNK + (total % STORE_CHUNK != 0);
}

/* A stored value that does not decode is damage LevelDB's checksums did
 * not catch (or a bug): never answer from it. */
static void value_decode(const char *raw, size_t n, sval *v) {
    if (store_value_decode(raw, n, v)) return;
    logmsg(LL_WARNING, "A stored value is malformed (tag %d, %zu bytes). Stopping: never answer wrongly",
           n ? raw[0] : -1, n);
    abort();
}

void sval_free(sval *v) {
    free(v->raw);
    v->raw = NULL;
}

/* ---- deletions, for WATCH: the last one in each bucket of key hashes ---- */

static void read_dels(leveldb_t *db, const leveldb_readoptions_t *ro, uint64_t *dels, char **err) {
    size_t n;
    char *v = leveldb_get(db, ro, META_DELS, strlen(META_DELS), &n, err);
    for (int i = 0; i < STORE_DEL_BUCKETS; i++) dels[i] = v && n == STORE_DELS_BYTES ? get_u64(v + 8 * i) : 0;
    leveldb_free(v);
}

static void put_dels(leveldb_writebatch_t *wb, const uint64_t *dels) {
    char v[STORE_DELS_BYTES];
    for (int i = 0; i < STORE_DEL_BUCKETS; i++) set_u64(v + 8 * i, dels[i]);
    leveldb_writebatch_put(wb, META_DELS, strlen(META_DELS), v, sizeof(v));
}

static void note_deleted(store *f, uint64_t h) {
    f->dels[h % STORE_DEL_BUCKETS] = f->applied + 1;
    f->dels_dirty = 1;
}

uint64_t store_deleted(const store *f, const char *key, size_t klen) {
    assert(!f->owner);  /* the applying thread's */
    return f->dels[store_key_hash(key, klen) % STORE_DEL_BUCKETS];
}

/* ---- the expiry index: 'x' + big-endian expiry + user key, no value ---- */

static const char *index_key(buf *b, uint64_t expire, const char *key, size_t klen, size_t *n) {
    char h[9];
    h[0] = 'x';
    for (int i = 0; i < 8; i++) h[1 + i] = (char)(expire >> (56 - 8 * i));
    b->len = 0;
    buf_append(b, h, 9);
    buf_append(b, key, klen);
    *n = b->len;
    return b->data;
}

/* ---- large values: which keys hold one ---- */

/* A key that held a large value keeps its mark when overwritten or
 * deleted: the old value stays in LevelDB's tables until a compaction
 * drops it, and a read that passes it (an iterator's seek merges every
 * level) reads and checksums its whole block, seconds for hundreds of
 * MB, which the fetch thread may take, the loop may not. */
static void large_note(store *f, uint64_t h, size_t vlen) {
    if (vlen < STORE_LARGE_VALUE) return;
    pthread_mutex_lock(&f->large_mu);
    if (!idmap_get(&f->large, h, 1)) idmap_put(&f->large, h, 1, f);
    pthread_mutex_unlock(&f->large_mu);
}

/* A hash shared by two keys only sends a small one the long way. */
int store_is_large(store *f, const char *key, size_t klen) {
    store *o = f->owner ? f->owner : f;
    uint64_t h = store_key_hash(key, klen);
    pthread_mutex_lock(&o->large_mu);
    int large = idmap_get(&o->large, h, 1) != NULL;
    pthread_mutex_unlock(&o->large_mu);
    return large;
}

static void large_replace(store *f, idmap *with) {
    pthread_mutex_lock(&f->large_mu);
    idmap_free(&f->large);
    if (with) { f->large = *with; memset(with, 0, sizeof(*with)); }
    pthread_mutex_unlock(&f->large_mu);
}

static void publish(store *f) {
    atomic_store(&f->pub_applied, f->applied);
    atomic_store(&f->pub_keys, f->keys);
    atomic_store(&f->pub_volatile, f->volatile_keys);
    atomic_store(&f->pub_expire_sum, f->expire_sum);
}

static int space_error(const char *err) {
    return strstr(err, "No space left on device") || strstr(err, "Disk quota exceeded");
}

static gen_ref *gen_ref_new(leveldb_t *db) {
    gen_ref *r = xmalloc(sizeof(*r));
    r->db = db;
    r->retired_path = NULL;
    r->refs = 1;
    return r;
}

static void remove_tree(const char *path);

static void gen_ref_release(gen_ref *r) {
    if (!r || --r->refs > 0) return;
    leveldb_close(r->db);
    if (r->retired_path) remove_tree(r->retired_path);
    free(r->retired_path);
    free(r);
}

static void set_acl(store *f, const char *text, size_t len) {
    pthread_mutex_lock(&f->acl_mu);
    free(f->acl);
    f->acl = text ? xstrndup(text, len) : NULL;
    pthread_mutex_unlock(&f->acl_mu);
    atomic_fetch_add(&f->acl_version, 1);
}

static void set_conf(store *f, const char *text, size_t len) {
    free(f->conf);
    f->conf = xstrndup(text, len);
}

/* ---- generations: fsm-<gen> directories and the pointer naming the live one ---- */

static char *gen_path(const char *dir, unsigned gen) {
    size_t n = strlen(dir) + 32;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/fsm-%08u", dir, gen);
    return p;
}

/* A LevelDB directory holds plain files only. */
static void remove_tree(const char *path) {
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *f = xmalloc(n);
        snprintf(f, n, "%s/%s", path, e->d_name);
        unlink(f);
        free(f);
    }
    closedir(d);
    rmdir(path);
}

/* Every fsm-* directory but the live one is what an interrupted transfer
 * or install left: it goes, so retries never pile up on disk. */
static void remove_stale(const char *dir, unsigned keep) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        unsigned g;
        char tail;
        if (sscanf(e->d_name, "fsm-%8u%c", &g, &tail) != 1 || g == keep || strlen(e->d_name) != 12) continue;
        char *p = gen_path(dir, g);
        logmsg(LL_NOTICE, "Removing %s, left by an unfinished snapshot transfer", p);
        remove_tree(p);
        free(p);
    }
    closedir(d);
}

/* "fsm-current": "<gen> <installed-at index>\n". 0, 1 if absent, -1 if
 * unreadable or malformed (*why says which). */
static int read_pointer(const char *dir, unsigned *gen, uint64_t *installed, char *why, size_t whylen) {
    size_t n = strlen(dir) + 16;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/" POINTER, dir);
    FILE *fp = fopen(p, "r");
    free(p);
    if (!fp) {
        if (errno == ENOENT) return 1;
        snprintf(why, whylen, "cannot read it: %s", strerror(errno));
        return -1;
    }
    unsigned long long inst = 0;
    char tail;
    /* the whole line, exactly as write_pointer writes it: a flipped byte anywhere counts */
    int ok = fscanf(fp, "%u %llu%c", gen, &inst, &tail) == 3 && tail == '\n' && *gen > 0 && fgetc(fp) == EOF;
    if (!ok) snprintf(why, whylen, "malformed (expected \"<generation> <index>\")");
    fclose(fp);
    *installed = inst;
    return ok ? 0 : -1;
}

/* Whether the node in dir has saved its Raft state (wal.c's "raft-state"),
 * which it does once, before it first runs. */
static int has_raft_state(const char *dir) {
    size_t n = strlen(dir) + 16;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/raft-state", dir);
    int r = access(p, F_OK) == 0;
    free(p);
    return r;
}

/* The first fsm-<gen> directory in dir, or 0 when there is none. */
static unsigned any_generation(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    unsigned found = 0;
    while ((e = readdir(d)) && !found) {
        unsigned g;
        char tail;
        if (sscanf(e->d_name, "fsm-%8u%c", &g, &tail) == 1 && strlen(e->d_name) == 12) found = g;
    }
    closedir(d);
    return found;
}

static int fsync_path(const char *path, int flags) {
    int fd = open(path, flags);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Replaced atomically and durably: write a temporary, sync, rename, sync the dir. */
static int write_pointer(const char *dir, unsigned gen, uint64_t installed) {
    size_t n = strlen(dir) + 32;
    char *tmp = xmalloc(n), *dst = xmalloc(n);
    snprintf(tmp, n, "%s/" POINTER ".tmp", dir);
    snprintf(dst, n, "%s/" POINTER, dir);
    int rc = -1;
    FILE *fp = fopen(tmp, "w");
    if (fp) {
        int w = fprintf(fp, "%u %llu\n", gen, (unsigned long long)installed) > 0;
        if (fclose(fp) == 0 && w && fsync_path(tmp, O_RDONLY) == 0 && rename(tmp, dst) == 0 &&
            fsync_path(dir, O_RDONLY | O_DIRECTORY) == 0)
            rc = 0;
    }
    free(tmp);
    free(dst);
    return rc;
}

static char *errf(const char *what, const char *path) {
    size_t n = strlen(what) + strlen(path) + strlen(strerror(errno)) + 8;
    char *e = xmalloc(n);
    snprintf(e, n, "%s %s: %s", what, path, strerror(errno));
    return e;
}

/* What a node with a damaged state machine must do: its copy is gone, the
 * others have the data (README, "Disk damage"). */
#define REPLACE_HINT                                                                                           \
    "Refusing to start: this node's copy cannot be trusted. Replace the node: RAFT.NODE REMOVE it on another " \
    "member, wipe this data dir, start it empty with --join under a new id (README, \"Disk damage\")"

static char *damage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *damage(const char *fmt, ...) {
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    size_t n = strlen(what) + sizeof(REPLACE_HINT) + 4;
    char *e = xmalloc(n);
    snprintf(e, n, "%s. %s", what, REPLACE_HINT);
    return e;
}

/* What verify() finds in one part of the keyspace, [from, to) (NULL:
 * the start, the end). */
/* A collection id with a count: a collection's element count by its
 * metadata, a run of element records, or a garbage marker (n 0). */
typedef struct cidn { uint64_t hi, lo, n; } cidn;
typedef struct cidv { cidn *v; size_t n, cap; } cidv;

/* The element records a collection's metadata stands for: a sorted set
 * keeps two per member (docs/collections.md), the others one. */
static uint64_t records_of(int type, const char *meta) {
    uint64_t n = get_u64(meta + STORE_CID);
    return type == STORE_ZSET ? 2 * n : n;
}

static cidn cidn_of(const char *cid, uint64_t n) {
    cidn c = {0, 0, n};
    for (int i = 0; i < 8; i++) c.hi = c.hi << 8 | (unsigned char)cid[i], c.lo = c.lo << 8 | (unsigned char)cid[8 + i];
    return c;
}

static void cidv_push(cidv *a, cidn c) {
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->v = xrealloc(a->v, sizeof(cidn) * a->cap);
    }
    a->v[a->n++] = c;
}

static int cidn_cmp(const void *x, const void *y) {
    const cidn *a = x, *b = y;
    if (a->hi != b->hi) return a->hi < b->hi ? -1 : 1;
    return (a->lo > b->lo) - (a->lo < b->lo);
}

typedef struct vpart {
    store *f;
    const char *from, *to;
    uint64_t keys, bytes, vol, indexed, bad, expire_sum;
    cidv colls, runs, garbage;  /* collections by their metadata; runs of element records; markers */
    char *lerr;  /* LevelDB's error (leveldb_free) */
} vpart;

/* A record outside the user keys that verify() checks: an element record
 * (counted in runs, which come in id order) or a garbage marker. */
static void verify_other(vpart *p, const char *k, size_t kl) {
    if (k[0] == 'e' && kl >= 1 + STORE_CID) {
        cidn c = cidn_of(k + 1, 1);
        cidn *last = p->runs.n ? &p->runs.v[p->runs.n - 1] : NULL;
        if (last && cidn_cmp(last, &c) == 0) last->n++;
        else cidv_push(&p->runs, c);
    } else if (k[0] == 'g' && kl == 1 + STORE_CID) {
        cidv_push(&p->garbage, cidn_of(k + 1, 0));
    } else if (k[0] == 'e' || k[0] == 'g') {
        p->bad++;
    }
}

static void *verify_part(void *arg) {
    vpart *p = arg;
    store *f = p->f;
    leveldb_readoptions_t *ro = leveldb_readoptions_create();
    leveldb_readoptions_set_verify_checksums(ro, 1);
    leveldb_readoptions_set_fill_cache(ro, 0);
    leveldb_iterator_t *it = leveldb_create_iterator(f->db, ro);
    if (p->from) leveldb_iter_seek(it, p->from, strlen(p->from));
    else leveldb_iter_seek_to_first(it);
    size_t tol = p->to ? strlen(p->to) : 0;
    for (; leveldb_iter_valid(it); leveldb_iter_next(it)) {
        size_t kl, vl;
        const char *k = leveldb_iter_key(it, &kl), *val = leveldb_iter_value(it, &vl);
        if (p->to) {
            int c = memcmp(k, p->to, kl < tol ? kl : tol);
            if (c > 0 || (c == 0 && kl >= tol)) break;
        }
        sval v = {0};
        if (kl >= 9 && k[0] == 'k') {
            p->keys++;
            if (!store_value_decode(val, vl, &v) || (v.type != STORE_STRING && v.len < STORE_META) ||
                !chunks_meta_ok(&v)) {
                p->bad++;
            } else {
                if (v.expire) p->vol++, p->expire_sum += v.expire / 1000;
                if (v.type != STORE_STRING) cidv_push(&p->colls, cidn_of(v.p, records_of(v.type, v.p)));
            }
        } else if (kl) {
            verify_other(p, k, kl);
        }
        p->indexed += kl >= 9 && k[0] == 'x';
        p->bytes += kl + vl;
        if (kl >= 9 && k[0] == 'k' && (v.len >= STORE_LARGE_VALUE ||
                                       (v.type != STORE_STRING && v.len >= STORE_META && v.p[STORE_META - 1] & STORE_COLL_LARGE))) {
            uint64_t h = 0;
            for (int b = 1; b < 9; b++) h = h << 8 | (unsigned char)k[b];
            pthread_mutex_lock(&f->large_mu);
            if (!idmap_get(&f->large, h, 1)) idmap_put(&f->large, h, 1, f);
            pthread_mutex_unlock(&f->large_mu);
        }
    }
    leveldb_iter_get_error(it, &p->lerr);
    leveldb_iter_destroy(it);
    leveldb_readoptions_destroy(ro);
    return NULL;
}

/* Reads every block of the live generation, checksums verified, and counts
 * the user keys against the count kept with them. LevelDB verifies a table
 * block only when it reads it: without this a damaged block would lie in
 * wait until a read, a compaction or an image sent to a follower reached it.
 * The cost is one read of the state machine per start, in two halves of
 * the keyspace at once (user keys by the first byte of their hash): a
 * restart answers sooner. */
static const cidn *cid_find(const cidv *a, const cidn *c) {
    return a->n ? bsearch(c, a->v, a->n, sizeof(cidn), cidn_cmp) : NULL;
}

/* Every collection's element count against its element records (runs,
 * which come in id order, as markers do): no two keys share an id, no
 * live collection is marked garbage, each run belongs to a collection
 * that counts exactly it or to one marked garbage, and no collection
 * with elements lacks its run. NULL, or what is wrong (malloc'd). */
static char *check_elements(const char *path, vpart *part) {
    cidv *c = &part[0].colls, *r = &part[0].runs, *g = &part[0].garbage;
    for (size_t i = 0; i < part[1].colls.n; i++) cidv_push(c, part[1].colls.v[i]);
    if (c->n) qsort(c->v, c->n, sizeof(cidn), cidn_cmp);
    for (size_t i = 0; i < c->n; i++) {
        if (i && !cidn_cmp(&c->v[i - 1], &c->v[i]))
            return damage("the state machine in %s has two keys of one collection", path);
        if (cid_find(g, &c->v[i])) return damage("the state machine in %s marks a live collection as garbage", path);
        if (c->v[i].n && !cid_find(r, &c->v[i]))
            return damage("the state machine in %s lacks the %llu elements of a collection", path,
                          (unsigned long long)c->v[i].n);
    }
    for (size_t j = 0; j < r->n; j++) {
        const cidn *owner = cid_find(c, &r->v[j]);
        if (owner && owner->n != r->v[j].n)
            return damage("the state machine in %s holds %llu elements of a collection whose metadata says %llu",
                          path, (unsigned long long)r->v[j].n, (unsigned long long)owner->n);
        if (!owner && !cid_find(g, &r->v[j]))
            return damage("the state machine in %s holds %llu elements of no collection", path,
                          (unsigned long long)r->v[j].n);
    }
    return NULL;
}

/* What the two parts found, held against the metadata: NULL, or the
 * damage (malloc'd). */
static char *verdict(store *f, const char *path, vpart *part, uint64_t *total_keys, uint64_t *total_bytes) {
    uint64_t keys = 0, bytes = 0, vol = 0, indexed = 0, bad = 0;
    char *lerr = NULL;
    for (int i = 0; i < 2; i++) {
        keys += part[i].keys;
        bytes += part[i].bytes;
        vol += part[i].vol;
        indexed += part[i].indexed;
        bad += part[i].bad;
        f->expire_sum += part[i].expire_sum;
        if (part[i].lerr && !lerr) lerr = part[i].lerr;
        else if (part[i].lerr) leveldb_free(part[i].lerr);
    }
    *total_keys = keys;
    *total_bytes = bytes;
    if (lerr) {
        char *why = damage("the state machine in %s is damaged: %s", path, lerr);
        leveldb_free(lerr);
        return why;
    }
    if (bad) return damage("the state machine in %s holds %llu malformed values", path, (unsigned long long)bad);
    if (vol != f->volatile_keys || indexed != vol)
        return damage("the state machine in %s holds %llu keys with an expiry and %llu expiry index entries where "
                      "its metadata says %llu", path, (unsigned long long)vol, (unsigned long long)indexed,
                      (unsigned long long)f->volatile_keys);
    if (keys != f->keys)
        return damage("the state machine in %s holds %llu keys where its metadata says %llu: data is missing or "
                      "left over", path, (unsigned long long)keys, (unsigned long long)f->keys);
    return check_elements(path, part);
}

static int verify(store *f, const char *path, char **err) {
    unsigned long long t0 = mono_ms();
    vpart part[2] = {{.f = f, .to = "k\x80"}, {.f = f, .from = "k\x80"}};
    pthread_t t;
    int threaded = pthread_create(&t, NULL, verify_part, &part[1]) == 0;
    verify_part(&part[0]);
    if (threaded) pthread_join(t, NULL);
    else verify_part(&part[1]);
    uint64_t keys, bytes;
    *err = verdict(f, path, part, &keys, &bytes);
    for (int i = 0; i < 2; i++) free(part[i].colls.v), free(part[i].runs.v), free(part[i].garbage.v);
    if (*err) return -1;
    logmsg(LL_NOTICE, "State machine %s verified: %llu keys, %llu bytes read in %llu ms", path,
           (unsigned long long)keys, (unsigned long long)bytes, mono_ms() - t0);
    return 0;
}

/* A state machine of format 1 (values without a tag) is rewritten in
 * place once, a batch at a time. Each batch also records the last key it
 * rewrote ("mmigrated"), so a crash halfway resumes after it rather than
 * tagging a value twice; the format marker goes with the last batch. */
static const char META_MIGRATED[] = "mmigrated";

static void migrate(store *f, char **lerr) {
    uint64_t fmt = read_meta(f, META_FORMAT, lerr);
    if (*lerr || fmt == STORE_FORMAT) return;
    size_t donelen = 0;
    char *done = leveldb_get(f->db, f->ropts, META_MIGRATED, strlen(META_MIGRATED), &donelen, lerr);
    unsigned long long t0 = mono_ms(), n = 0;
    leveldb_iterator_t *it = leveldb_create_iterator(f->db, f->ropts);
    leveldb_writebatch_t *wb = leveldb_writebatch_create();
    buf v;
    buf_init(&v);
    if (done) {
        leveldb_iter_seek(it, done, donelen);
        if (leveldb_iter_valid(it)) leveldb_iter_next(it);
    } else {
        leveldb_iter_seek(it, "k", 1);
    }
    size_t batch = 0;
    for (; !*lerr && leveldb_iter_valid(it); leveldb_iter_next(it)) {
        size_t kl, vl;
        const char *k = leveldb_iter_key(it, &kl);
        if (!kl || k[0] != 'k') break;
        const char *val = leveldb_iter_value(it, &vl);
        value_encode(&v, STORE_STRING, val, vl, 0, 0);
        leveldb_writebatch_put(wb, k, kl, v.data, v.len);
        batch += kl + v.len;
        n++;
        if (batch >= (4u << 20)) {
            leveldb_writebatch_put(wb, META_MIGRATED, strlen(META_MIGRATED), k, kl);
            leveldb_write(f->db, f->wsync, wb, lerr);
            leveldb_writebatch_clear(wb);
            batch = 0;
        }
    }
    if (!*lerr) leveldb_iter_get_error(it, lerr);
    if (!*lerr) {
        char m[8];
        set_u64(m, STORE_FORMAT);
        leveldb_writebatch_put(wb, META_FORMAT, strlen(META_FORMAT), m, 8);
        leveldb_writebatch_delete(wb, META_MIGRATED, strlen(META_MIGRATED));
        leveldb_write(f->db, f->wsync, wb, lerr);
    }
    leveldb_writebatch_destroy(wb);
    leveldb_iter_destroy(it);
    buf_free(&v);
    leveldb_free(done);
    if (!*lerr && n)
        logmsg(LL_NOTICE, "State machine %s: %llu values rewritten in the format with expiry times (%llu ms)", f->dir,
               n, mono_ms() - t0);
}

static size_t mem_block_cache = STORE_BLOCK_CACHE_BYTES, mem_write_buffer = STORE_WRITE_BUFFER_BYTES,
              mem_key_cache = STORE_KEYCACHE_BYTES;

void store_set_memory(size_t block_cache, size_t write_buffer, size_t key_cache) {
    mem_block_cache = block_cache;
    mem_write_buffer = write_buffer;
    mem_key_cache = key_cache;
}

store *store_open(const char *dir, char **err) {
    store *f = xmalloc(sizeof(*f));
    memset(f, 0, sizeof(*f));
    f->oelems.plen = 1 + STORE_CID;  /* an element record's kind byte and collection id */
    pthread_mutex_init(&f->large_mu, NULL);
    pthread_mutex_init(&f->acl_mu, NULL);
    f->dir = xstrndup(dir, strlen(dir));
    f->opts = leveldb_options_create();
    /* LevelDB's own log then fails the open on a damaged record instead of
     * skipping it: skipped, a batch would be gone while the applied index
     * of a later one claimed it (a torn tail is still no error). */
    leveldb_options_set_paranoid_checks(f->opts, 1);
    f->cache = leveldb_cache_create_lru(mem_block_cache);
    f->kc = keycache_new(mem_key_cache);
    f->garbage = 1;  /* whether a marker is left from before: the first write looks */
    leveldb_options_set_cache(f->opts, f->cache);
    f->filter = bloom_policy(STORE_BLOOM_BITS);
    leveldb_options_set_filter_policy(f->opts, f->filter);
    leveldb_options_set_write_buffer_size(f->opts, mem_write_buffer);
    leveldb_options_set_max_open_files(f->opts, STORE_MAX_OPEN_FILES);
    leveldb_options_set_max_file_size(f->opts, STORE_TABLE_FILE_BYTES);
    leveldb_options_set_compression(f->opts, leveldb_no_compression);
    f->ropts = leveldb_readoptions_create();
    leveldb_readoptions_set_verify_checksums(f->ropts, 1);  /* a damaged block is an error, never a wrong answer */
    f->wopts = leveldb_writeoptions_create();
    f->wsync = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(f->wsync, 1);
    *err = NULL;
    char why[128];
    int k = read_pointer(dir, &f->gen, &f->installed_at, why, sizeof(why));
    if (k < 0) {
        *err = damage("%s/" POINTER ", which names the live state machine, is %s", dir, why);
        store_close(f);
        return NULL;
    }
    /* Until the node has saved its first Raft state it has never run: a
     * state machine missing or half made is a first start cut short. After
     * that, a missing one is damage, never a reason to begin again empty. */
    int ran = has_raft_state(dir);
    unsigned other = k == 1 && ran ? any_generation(dir) : 0;
    if (other) {
        *err = damage("%s/" POINTER " is missing, yet %s holds a state machine (fsm-%08u)", dir, dir, other);
        store_close(f);
        return NULL;
    }
    if (k == 1) {  /* a new data dir (or one that lost every generation: the log decides) */
        f->gen = 1;
        f->installed_at = 0;
        if (write_pointer(dir, f->gen, 0) < 0) { *err = errf("Can't write", dir); store_close(f); return NULL; }
    }
    leveldb_options_set_create_if_missing(f->opts, k == 1 || !ran);
    char *path = gen_path(dir, f->gen);
    char *lerr = NULL;
    f->db = leveldb_open(f->opts, path, &lerr);
    if (f->db) f->ref = gen_ref_new(f->db);
    if (!lerr) f->applied = f->synced = f->written = read_meta(f, META_APPLIED, &lerr);
    if (!lerr) f->applied_term = read_meta(f, META_TERM, &lerr);
    if (!lerr) f->keys = read_meta(f, META_KEYS, &lerr);
    if (!lerr) f->conf = read_text(f, META_CONF, &lerr);
    if (!lerr) f->removed = read_meta(f, META_REMOVED, &lerr) != 0;
    if (!lerr) f->acl = read_text(f, META_ACL, &lerr);
    if (!lerr) f->volatile_keys = read_meta(f, META_VOLATILE, &lerr);
    if (!lerr) f->time_ms = read_meta(f, META_TIME, &lerr);
    if (!lerr) read_dels(f->db, f->ropts, f->dels, &lerr);
    if (!lerr) migrate(f, &lerr);
    if (lerr && space_error(lerr)) {  /* nothing is wrong with the data */
        size_t n = strlen(path) + strlen(lerr) + 128;
        *err = xmalloc(n);
        snprintf(*err, n, "the state machine in %s cannot be opened: %s. No space on the disk: free some and start "
                 "the node again (its data is intact)", path, lerr);
        leveldb_free(lerr);
    } else if (lerr) {
        *err = damage("the state machine in %s (named by " POINTER ") cannot be opened: %s", path, lerr);
        leveldb_free(lerr);
    } else {
        verify(f, path, err);
    }
    free(path);
    if (*err) { store_close(f); return NULL; }
    publish(f);
    /* only now: a pointer that names the wrong generation must not cost the right one */
    remove_stale(dir, f->gen);
    return f;
}

store *store_reader_new(store *f) {
    store *r = xmalloc(sizeof(*r));
    memset(r, 0, sizeof(*r));
    r->owner = f->owner ? f->owner : f;
    r->ropts = leveldb_readoptions_create();
    leveldb_readoptions_set_verify_checksums(r->ropts, 1);
    return r;
}

void store_reader_trim(store *r) {
    if (!r) return;
    buf_free(&r->kbuf);
    buf_free(&r->ebuf);
}

void store_reader_free(store *r) {
    if (!r) return;
    store_reader_unpin(r);
    leveldb_readoptions_destroy(r->ropts);
    store_reader_trim(r);
    free(r);
}

/* The pin keeps its generation: an install may replace it meanwhile. */
void store_reader_pin(store *r) {
    if (!r->owner) return;  /* the store itself: nothing to pin */
    assert(!r->pin);
    r->pinref = r->owner->ref;
    r->pinref->refs++;
    r->pin = leveldb_create_snapshot(r->pinref->db);
    leveldb_readoptions_set_snapshot(r->ropts, r->pin);
}

void store_reader_unpin(store *r) {
    if (!r->pin) return;
    leveldb_readoptions_set_snapshot(r->ropts, NULL);
    leveldb_release_snapshot(r->pinref->db, r->pin);
    gen_ref_release(r->pinref);
    r->pin = NULL;
    r->pinref = NULL;
}

void store_close(store *f) {
    if (!f) return;
    gen_ref_release(f->ref);  /* the views are freed first: their owners go before the state machine */
    free(f->dir);
    free(f->conf);
    free(f->acl);
    buf_free(&f->wkeys);
    pthread_mutex_destroy(&f->acl_mu);
    free(f->no_space);
    leveldb_options_destroy(f->opts);
    leveldb_cache_destroy(f->cache);
    leveldb_filterpolicy_destroy(f->filter);
    leveldb_readoptions_destroy(f->ropts);
    leveldb_writeoptions_destroy(f->wopts);
    leveldb_writeoptions_destroy(f->wsync);
    buf_free(&f->kbuf);
    buf_free(&f->ebuf);
    buf_free(&f->reclaim_at);
    ahead_free(f);
    keycache_free(f->kc);
    buf_free(&f->vbuf);
    if (f->wb) leveldb_writebatch_destroy(f->wb);
    ovl_free(&f->okeys);
    ovl_free(&f->oelems);
    idmap_free(&f->large);
    pthread_mutex_destroy(&f->large_mu);
    free(f);
}

uint64_t store_applied(const store *f) { return f->owner ? atomic_load(&f->owner->pub_applied) : f->applied; }
uint64_t store_applied_term(const store *f) { return f->applied_term; }
uint64_t store_installed_at(const store *f) { return f->installed_at; }
const char *store_conf(const store *f) { return f->conf; }
int store_removed(const store *f) { return f->removed; }
uint64_t store_keys(const store *f) { return f->owner ? atomic_load(&f->owner->pub_keys) : f->keys; }
uint64_t store_volatile(const store *f) {
    return f->owner ? atomic_load(&f->owner->pub_volatile) : f->volatile_keys;
}
uint64_t store_time(const store *f) { return f->time_ms; }
uint64_t store_avg_ttl(const store *f, uint64_t now) {
    const store *o = f->owner ? f->owner : f;
    uint64_t vol = atomic_load(&o->pub_volatile), sum = atomic_load(&o->pub_expire_sum);
    if (!vol || sum / vol * 1000 <= now) return 0;
    return sum / vol * 1000 - now;
}
void store_set_time(store *f, uint64_t ms) {
    if (ms > f->time_ms) f->time_ms = ms;
}

/* FNV-1a with a splitmix64 finish: stable forever, it is on-disk format. */
uint64_t store_key_hash(const char *key, size_t klen) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < klen; i++) h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
    h ^= h >> 30; h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27; h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

static void hash_be(char *p, uint64_t h) { for (int i = 0; i < 8; i++) p[i] = (char)(h >> (56 - 8 * i)); }

/* 'k' + big-endian hash (h, the key's) + user key, in the reused buffer b. */
static const char *encode_key(buf *b, uint64_t hash, const char *key, size_t klen, size_t *n) {
    char h[9];
    h[0] = 'k';
    hash_be(h + 1, hash);
    b->len = 0;
    buf_append(b, h, 9);
    buf_append(b, key, klen);
    *n = b->len;
    return b->data;
}

/* The hash in a stored key. */
static uint64_t hash_of(const char *stored) {
    uint64_t h = 0;
    for (int b = 1; b < 9; b++) h = h << 8 | (unsigned char)stored[b];
    return h;
}

static const char *dkey(store *f, uint64_t h, const char *key, size_t klen, size_t *n) {
    return encode_key(&f->kbuf, h, key, klen, n);
}

/* Steps an iterator over user keys: the stored key, or NULL at their end.
 * An iterator also stops at a damaged block: that must not pass for the
 * end, or a SCAN would come up short and an image sent to a follower would
 * silently lack keys. */
static const char *next_user_key(leveldb_iterator_t *it, int *started, size_t *n) {
    if (*started) leveldb_iter_next(it);
    *started = 1;
    if (!leveldb_iter_valid(it)) {
        char *err = NULL;
        leveldb_iter_get_error(it, &err);
        if (err) {
            logmsg(LL_WARNING, "Reading the state machine failed: %s. Stopping: never answer wrongly", err);
            abort();
        }
        return NULL;
    }
    const char *k = leveldb_iter_key(it, n);
    return *n >= 9 && k[0] == 'k' ? k : NULL;
}

/* Slot of key (of hash h) in o's index: where it is, or the empty slot where it goes. */
static size_t pend_slot(const ovl *o, uint64_t h, const char *key, size_t klen) {
    size_t mask = o->nslots - 1, i = (size_t)h & mask;
    for (;; i = (i + 1) & mask) {
        int j = o->slots[i];
        if (j < 0) return i;
        const pend *p = &o->v[j];
        if (p->hash == h && p->klen == klen && memcmp(p->key, key, klen) == 0) return i;
    }
}

static pend *find_pend(const ovl *o, uint64_t h, const char *key, size_t klen) {
    if (!o->n) return NULL;
    int j = o->slots[pend_slot(o, h, key, klen)];
    return j < 0 ? NULL : &o->v[j];
}

static void reindex(ovl *o, size_t nslots) {
    free(o->slots);
    o->nslots = nslots;
    o->slots = xmalloc(sizeof(int) * nslots);
    memset(o->slots, -1, sizeof(int) * nslots);
    for (int j = 0; j < o->n; j++) o->slots[pend_slot(o, o->v[j].hash, o->v[j].key, o->v[j].klen)] = j;
}

/* The index and array keep their size only while batches use a fair part
 * of it: a batch of a million keys (one DEL) must not leave every later
 * batch, a timer's entry alone, clearing megabytes. */
#define PEND_KEEP_SLOTS 1024

/* The heads[] slot of the chain for the records sharing p[0..plen). */
static size_t head_slot(const ovl *o, const char *p) {
    size_t h = (size_t)store_key_hash(p, o->plen) & (o->nheads - 1);
    for (; o->heads[h] >= 0; h = (h + 1) & (o->nheads - 1))
        if (!memcmp(o->v[o->heads[h]].key, p, o->plen)) break;
    return h;
}

/* The last record of o that shares p[0..plen), or -1. */
static int chain_last(const ovl *o, const char *p) { return o->nheads ? o->heads[head_slot(o, p)] : -1; }

/* Links new record j into its collection's chain. */
static void chain(ovl *o, int j) {
    assert(o->v[j].klen >= o->plen);
    if ((o->nchains + 1) * 2 > o->nheads) {  /* grow: re-place each chain's head */
        int *old = o->heads;
        size_t n = o->nheads;
        o->nheads = n ? n * 2 : 64;
        o->heads = xmalloc(sizeof(int) * o->nheads);
        memset(o->heads, -1, sizeof(int) * o->nheads);
        for (size_t i = 0; i < n; i++)
            if (old[i] >= 0) o->heads[head_slot(o, o->v[old[i]].key)] = old[i];
        free(old);
    }
    size_t h = head_slot(o, o->v[j].key);
    o->v[j].prev = o->heads[h];
    if (o->heads[h] < 0) o->nchains++;
    o->heads[h] = j;
}

static void chains_clear(ovl *o) {
    if (o->nheads > PEND_KEEP_SLOTS && o->nchains * 8 < o->nheads) {
        free(o->heads);
        o->heads = NULL;
        o->nheads = 0;
    } else if (o->nheads) {
        memset(o->heads, -1, sizeof(int) * o->nheads);
    }
    o->nchains = 0;
}

/* key's change in o: the value it now has (deleted: none). A value
 * replaced in this batch keeps its room until the write (the batch's
 * bytes bound it). */
static pend *ovl_set(ovl *o, uint64_t h, const char *key, size_t klen, const char *val, size_t vlen, int deleted) {
    pend *p = find_pend(o, h, key, klen);
    if (!p) {
        if (o->n == o->cap) {
            o->cap = o->cap ? o->cap * 2 : 64;
            o->v = xrealloc(o->v, sizeof(pend) * (size_t)o->cap);
        }
        if ((size_t)(o->n + 1) * 2 > o->nslots) reindex(o, o->nslots ? o->nslots * 2 : 128);
        o->slots[pend_slot(o, h, key, klen)] = o->n;
        p = &o->v[o->n++];
        p->hash = h;
        p->key = arena_copy(&o->bytes, key, klen);
        p->klen = klen;
        if (o->plen) chain(o, o->n - 1);
    }
    p->val = deleted ? NULL : arena_copy(&o->bytes, val, vlen);
    p->vlen = vlen;
    p->deleted = deleted;
    return p;
}


static void ovl_clear(ovl *o) {
    arena_reset(&o->bytes);
    chains_clear(o);
    if (o->nslots > PEND_KEEP_SLOTS && (size_t)o->n * 8 < o->nslots) {
        free(o->slots);
        free(o->v);
        o->slots = NULL;
        o->v = NULL;
        o->nslots = 0;
        o->cap = 0;
    } else if (o->nslots) {
        memset(o->slots, -1, sizeof(int) * o->nslots);
    }
    o->n = 0;
}

static void ovl_free(ovl *o) {
    arena_free(&o->bytes);
    free(o->heads);
    free(o->v);
    free(o->slots);
}

/* The stored form of key (malloc'd, NUL-terminated), or NULL; *known
 * when the overlay or the key cache answered (the cache has it already). */
static char *get_raw(store *f, uint64_t h, const char *key, size_t klen, size_t *vlen, int *known) {
    pend *p = find_pend(&f->okeys, h, key, klen);
    *known = 1;
    if (p) {
        if (p->deleted) return NULL;
        *vlen = p->vlen;
        return xstrndup(p->val, p->vlen);
    }
    keycache_hit hit;
    if (f->kc && keycache_get(f->kc, h, key, klen, &hit) && (!hit.found || hit.raw)) {
        if (!hit.found) return NULL;
        *vlen = hit.rawlen;
        return xstrndup(hit.raw, hit.rawlen);
    }
    *known = 0;
    size_t n;
    const char *k = dkey(f, h, key, klen, &n);
    char *err = NULL;
    char *v = leveldb_get(db_of(f), f->ropts, k, n, vlen, &err);
    if (err) {
        logmsg(LL_WARNING, "Reading the state machine in %s failed: %s. Stopping: never answer wrongly", f->dir, err);
        abort();
    }
    if (!v) return NULL;
    /* LevelDB's copy is malloc'd (its C API): ours, NUL-terminated, with no
     * second copy (realloc of a large block remaps it) */
    char *own = xrealloc(v, *vlen + 1);
    own[*vlen] = '\0';
    return own;
}

/* The stored form of key, decoded (a string kept out of line: its
 * metadata, type STORE_CHUNKS). */
static int get_hashed(store *f, uint64_t h, const char *key, size_t klen, sval *v) {
    size_t n = 0;
    int known;
    v->raw = get_raw(f, h, key, klen, &n, &known);
    if (v->raw) value_decode(v->raw, n, v);
    if (f->kc && !known) keycache_put(f->kc, h, key, klen, v->raw != NULL, v->raw ? v->expire : 0, v->raw, n);
    return v->raw != NULL;
}

/* ---- strings kept out of line, in chunks (store.h: STORE_CHUNK) ---- */

static void put_stored(store *f, const char *key, size_t klen, int type, const char *val, size_t vlen,
                       uint64_t expire);

static void chunk_sub(char *sub, uint64_t i) {
    for (int b = 0; b < 4; b++) sub[b] = (char)(i >> (24 - 8 * b));
}

/* Chunk i of a string of total bytes, as read (sub, val) onto out at
 * *off; 0 when it is not that chunk: damage, or a bug. */
static int chunk_take(char *out, uint64_t total, uint64_t i, uint64_t *off, const char *sub, size_t sublen,
                      const char *val, size_t vlen) {
    char want[4];
    chunk_sub(want, i);
    uint64_t len = total - *off < STORE_CHUNK ? total - *off : STORE_CHUNK;
    if (sublen != 4 || memcmp(sub, want, 4) || vlen != len || !len) return 0;
    memcpy(out + *off, val, vlen);
    *off += vlen;
    return 1;
}

static void iter_check(leveldb_iterator_t *it);

/* The next of a string's chunks (records starting with prefix) on a
 * LevelDB iterator: 1, or 0 past them. */
static int chunks_db_next(leveldb_iterator_t *it, const char *prefix, int *started, const char **sub, size_t *sublen,
                          const char **val, size_t *vlen) {
    if (*started) leveldb_iter_next(it);
    *started = 1;
    if (!leveldb_iter_valid(it)) {
        iter_check(it);
        return 0;
    }
    size_t n;
    const char *k = leveldb_iter_key(it, &n);
    if (n < 1 + STORE_CID || memcmp(k, prefix, 1 + STORE_CID)) return 0;
    *sub = k + 1 + STORE_CID;
    *sublen = n - 1 - STORE_CID;
    *val = leveldb_iter_value(it, vlen);
    return 1;
}

/* v (metadata of type STORE_CHUNKS) becomes the string it stands for,
 * its chunks read through f (the writer: with its open batch), or with
 * db and ro from that point in time (a view). The walk stops at the last
 * chunk: stepping past it could walk through the tombstones of other
 * strings' reclaimed chunks (the start-up check counts the chunks). */
static void chunks_join(store *f, leveldb_t *db, const leveldb_readoptions_t *ro, sval *v) {
    char prefix[1 + STORE_CID];
    prefix[0] = 'e';
    memcpy(prefix + 1, v->p, STORE_CID);
    uint64_t count = get_u64(v->p + STORE_CID), total = get_u64(v->p + STORE_META), off = 0, i = 0;
    int bad = count != (total + STORE_CHUNK - 1) / STORE_CHUNK || total >= SIZE_MAX || !count;
    char *out = bad ? NULL : xmalloc((size_t)total + 1);
    const char *sub, *val;
    size_t sublen, vlen;
    if (!bad && db) {
        leveldb_iterator_t *it = leveldb_create_iterator(db, ro);
        leveldb_iter_seek(it, prefix, sizeof(prefix));
        int started = 0;
        while (!bad && i < count && chunks_db_next(it, prefix, &started, &sub, &sublen, &val, &vlen))
            bad = !chunk_take(out, total, i++, &off, sub, sublen, val, vlen);
        leveldb_iter_destroy(it);
    } else if (!bad) {
        store_elems *it = store_elems_new(f, prefix + 1, "", 0);
        while (!bad && i < count && store_elems_next(it, &sub, &sublen, &val, &vlen))
            bad = !chunk_take(out, total, i++, &off, sub, sublen, val, vlen);
        store_elems_free(it);
    }
    if (bad || i != count || off != total) {
        logmsg(LL_WARNING, "A string kept in %llu chunks (%llu bytes) lacks one, or has one of the wrong size. "
               "Stopping: never answer wrongly", (unsigned long long)count, (unsigned long long)total);
        abort();
    }
    out[total] = '\0';
    uint64_t expire = v->expire, version = v->version;
    sval_free(v);
    *v = (sval){out, out, (size_t)total, expire, version, STORE_STRING};
}

/* A read handle that is not pinned reads LevelDB as it is at each call:
 * a string's metadata and its chunks must come from one point in time,
 * or a write between them could have replaced them. */
static int get_whole(store *f, uint64_t h, const char *key, size_t klen, sval *v) {
    if (!get_hashed(f, h, key, klen, v) || v->type != STORE_CHUNKS) return v->raw != NULL;
    if (!f->owner || f->pin) {
        chunks_join(f, NULL, NULL, v);
        return 1;
    }
    sval_free(v);
    const leveldb_snapshot_t *snap = leveldb_create_snapshot(db_of(f));
    leveldb_readoptions_set_snapshot(f->ropts, snap);
    int found = get_hashed(f, h, key, klen, v);
    if (found && v->type == STORE_CHUNKS) chunks_join(f, NULL, NULL, v);
    leveldb_readoptions_set_snapshot(f->ropts, NULL);
    leveldb_release_snapshot(db_of(f), snap);
    return found;
}

int store_get(store *f, const char *key, size_t klen, sval *v) {
    return get_whole(f, store_key_hash(key, klen), key, klen, v);
}

/* key's string kept in chunks: its metadata (STORE_CHUNKS_META bytes)
 * into meta and its expiry; anything else there is a caller's bug. */
static void chunks_meta(store *f, const char *key, size_t klen, char *meta, uint64_t *expire) {
    sval v;
    int found = get_hashed(f, store_key_hash(key, klen), key, klen, &v);
    if (!found || v.type != STORE_CHUNKS) {
        logmsg(LL_WARNING, "A part of a string kept in chunks was asked of a key that holds none. Stopping: a bug");
        abort();
    }
    memcpy(meta, v.p, STORE_CHUNKS_META);
    *expire = v.expire;
    sval_free(&v);
}

/* Chunk i of the string of total bytes under cid, checked. */
static void chunk_get(store *f, const char *cid, uint64_t i, uint64_t total, sval *c) {
    char sub[4];
    chunk_sub(sub, i);
    uint64_t want = total - i * STORE_CHUNK < STORE_CHUNK ? total - i * STORE_CHUNK : STORE_CHUNK;
    if (!store_elem_get(f, cid, sub, 4, c) || c->len != want) {
        logmsg(LL_WARNING, "Chunk %llu of a string of %llu bytes is missing or of the wrong size. Stopping: never "
               "answer wrongly", (unsigned long long)i, (unsigned long long)total);
        abort();
    }
}

void store_read_part(store *f, const char *key, size_t klen, uint64_t off, size_t n, char *out) {
    assert(!f->owner || f->pin);  /* the metadata and its chunks from one point in time */
    char meta[STORE_CHUNKS_META];
    uint64_t expire, total;
    chunks_meta(f, key, klen, meta, &expire);
    total = get_u64(meta + STORE_META);
    assert(off <= total && n <= total - off);
    while (n) {
        sval c;
        chunk_get(f, meta, off / STORE_CHUNK, total, &c);
        size_t at = (size_t)(off % STORE_CHUNK), take = c.len - at < n ? c.len - at : n;
        memcpy(out, c.p + at, take);
        sval_free(&c);
        out += take;
        off += take;
        n -= take;
    }
}

void store_write_part(store *f, const char *key, size_t klen, uint64_t off, const char *p, size_t n) {
    assert(!f->owner);
    char meta[STORE_CHUNKS_META], sub[4];
    uint64_t expire;
    chunks_meta(f, key, klen, meta, &expire);
    uint64_t total = get_u64(meta + STORE_META), end = off + n, nt = end > total ? end : total;
    char *chunk = xmalloc(STORE_CHUNK);
    /* from the chunk the write (or the zeros before it) starts in to the
     * one it ends in: those after it stay as they are */
    for (uint64_t i = (off < total ? off : total) / STORE_CHUNK; n && i <= (end - 1) / STORE_CHUNK; i++) {
        uint64_t start = i * STORE_CHUNK, len = nt - start < STORE_CHUNK ? nt - start : STORE_CHUNK;
        memset(chunk, 0, (size_t)len);
        if (start < total) {
            sval c;
            chunk_get(f, meta, i, total, &c);
            memcpy(chunk, c.p, c.len);
            sval_free(&c);
        }
        uint64_t from = off > start ? off : start, to = end < start + len ? end : start + len;
        if (from < to) memcpy(chunk + (from - start), p + (from - off), (size_t)(to - from));
        chunk_sub(sub, i);
        store_elem_put(f, meta, sub, 4, chunk, (size_t)len);
    }
    free(chunk);
    set_u64(meta + STORE_CID, (nt + STORE_CHUNK - 1) / STORE_CHUNK);
    if (nt >= STORE_LARGE_VALUE) meta[STORE_META - 1] |= STORE_COLL_LARGE;
    set_u64(meta + STORE_META, nt);
    put_stored(f, key, klen, STORE_CHUNKS, meta, sizeof(meta), expire);  /* the same id: a new version */
}

int store_get_head(store *f, const char *key, size_t klen, sval *v) {
    if (!get_hashed(f, store_key_hash(key, klen), key, klen, v)) return 0;
    if (v->type == STORE_CHUNKS) *v = (sval){v->raw, NULL, (size_t)get_u64(v->p + STORE_META), v->expire, v->version,
                                             STORE_STRING};
    return 1;
}

/* Every change of a key comes here: the overlay and the key cache follow it. */
static void remember(store *f, uint64_t h, const char *key, size_t klen, const char *val, size_t vlen, int deleted,
                     uint64_t expire) {
    keycache_put(f->kc, h, key, klen, !deleted, expire, val, vlen);
    if (!deleted && !f->owner && atomic_load_explicit(&f->track_written, memory_order_relaxed)) {
        buf_put_u32(&f->wkeys, (uint32_t)klen);
        buf_append(&f->wkeys, key, klen);
    }
    ovl_set(&f->okeys, h, key, klen, val, vlen, deleted);
}

static void batch_open(store *f) {
    if (!f->wb) f->wb = leveldb_writebatch_create();
}

/* Keeps the expiry index and the count of keys with an expiry as key's
 * expiry goes from was to now (0: none). */
static void index_move(store *f, const char *key, size_t klen, uint64_t was, uint64_t now) {
    if (was == now) return;
    size_t n;
    const char *ik;
    if (was) {
        ik = index_key(&f->kbuf, was, key, klen, &n);
        leveldb_writebatch_delete(f->wb, ik, n);
        f->volatile_keys--;
        f->expire_sum -= was / 1000;
    }
    if (now) {
        ik = index_key(&f->kbuf, now, key, klen, &n);
        leveldb_writebatch_put(f->wb, ik, n, "", 0);
        f->volatile_keys++;
        f->expire_sum += now / 1000;
    }
}

/* The expiry key had (0: none), and whether it existed. */
/* The collection id a stored form holds into cid, followed by its chunk
 * count (8 bytes; 0 but for a string kept in chunks), or 0 for a string
 * stored whole. */
static int cid_of(const char *raw, size_t n, char *cid) {
    sval v;
    value_decode(raw, n, &v);
    if (v.type == STORE_STRING || v.len < STORE_CID) return 0;
    memcpy(cid, v.p, STORE_CID);
    set_u64(cid + STORE_CID, v.type == STORE_CHUNKS ? get_u64(v.p + STORE_CID) : 0);
    return 1;
}

/* Whether key existed, with the expiry it had, and whether it held a
 * collection (its id into cid). The key cache keeps the stored form of
 * every value of at most KEYCACHE_MAX_VALUE bytes, which a collection's
 * metadata always is: a key it knows without one holds a string. */
static int old_value(store *f, uint64_t h, const char *key, size_t klen, uint64_t *expire, char *cid, int *coll) {
    keycache_hit hit;
    *coll = 0;
    if (keycache_get(f->kc, h, key, klen, &hit)) {
        *expire = hit.expire;
        if (hit.found && hit.raw) *coll = cid_of(hit.raw, hit.rawlen, cid);
        return hit.found;
    }
    sval o;
    *expire = 0;
    if (!get_hashed(f, h, key, klen, &o)) return 0;
    *expire = o.expire;
    *coll = o.type != STORE_STRING && o.len >= STORE_CID;
    if (*coll) memcpy(cid, o.p, STORE_CID);
    if (*coll) set_u64(cid + STORE_CID, o.type == STORE_CHUNKS ? get_u64(o.p + STORE_CID) : 0);
    sval_free(&o);
    return 1;
}

/* The elements of collection cid (cid_of's: the id, then a chunk count)
 * are garbage: a marker the writer's later batches reclaim them by
 * (reclaim()). A string's marker holds its chunk count, so their keys
 * are known without reading the chunks. */
static void mark_garbage(store *f, const char *cid) {
    char m[1 + STORE_CID];
    m[0] = 'g';
    memcpy(m + 1, cid, STORE_CID);
    batch_open(f);
    int chunks = get_u64(cid + STORE_CID) != 0;
    leveldb_writebatch_put(f->wb, m, sizeof(m), cid + STORE_CID, chunks ? 8 : 0);
    f->batch_marked = 1;
}

void store_put(store *f, const char *key, size_t klen, const char *val, size_t vlen, uint64_t expire) {
    store_put_typed(f, key, klen, STORE_STRING, val, vlen, expire);
}

/* A string of more than STORE_CHUNK bytes: its chunks, under a new id,
 * then its metadata under the key. */
static void put_chunks(store *f, const char *key, size_t klen, const char *val, size_t vlen, uint64_t expire) {
    char meta[STORE_CHUNKS_META], sub[4];
    uint64_t count = (vlen + STORE_CHUNK - 1) / STORE_CHUNK;
    store_new_cid(f, meta);
    for (uint64_t i = 0; i < count; i++) {
        size_t off = (size_t)i * STORE_CHUNK;
        chunk_sub(sub, i);
        store_elem_put(f, meta, sub, 4, val + off, vlen - off < STORE_CHUNK ? vlen - off : STORE_CHUNK);
    }
    set_u64(meta + STORE_CID, count);
    meta[STORE_META - 1] = vlen >= STORE_LARGE_VALUE ? STORE_COLL_LARGE : 0;
    set_u64(meta + STORE_META, vlen);
    put_stored(f, key, klen, STORE_CHUNKS, meta, sizeof(meta), expire);
}

void store_put_typed(store *f, const char *key, size_t klen, int type, const char *val, size_t vlen,
                     uint64_t expire) {
    if (type == STORE_STRING && vlen > STORE_CHUNK) put_chunks(f, key, klen, val, vlen, expire);
    else put_stored(f, key, klen, type, val, vlen, expire);
}

/* key's stored form as given: a string stored whole (one written before
 * strings were kept in chunks, moved or given another expiry) stays so. */
static void put_stored(store *f, const char *key, size_t klen, int type, const char *val, size_t vlen,
                       uint64_t expire) {
    assert(!f->owner);  /* a read handle never writes */
    assert(type == STORE_STRING || (vlen >= STORE_META && vlen <= STORE_META_MAX));
    uint64_t was, h = store_key_hash(key, klen);
    char cid[STORE_CID + 8];  /* and its chunk count (cid_of) */
    int coll;
    if (!old_value(f, h, key, klen, &was, cid, &coll)) f->keys++;
    /* a collection replaced by anything but itself (its metadata rewritten) */
    if (coll && (type == STORE_STRING || vlen < STORE_CID || memcmp(val, cid, STORE_CID))) mark_garbage(f, cid);
    value_encode(&f->vbuf, type, val, vlen, expire, f->applied + 1);  /* the entry being applied wrote it */
    large_note(f, h, type != STORE_STRING && val[STORE_META - 1] & STORE_COLL_LARGE ? STORE_LARGE_VALUE : vlen);
    batch_open(f);
    f->batch_bytes += klen + f->vbuf.len;
    index_move(f, key, klen, was, expire);
    remember(f, h, key, klen, f->vbuf.data, f->vbuf.len, 0, expire);
    if (f->vbuf.cap > (1u << 20)) buf_free(&f->vbuf);  /* a large value's buffer is not kept */
}

/* Deletes key; its collection's elements become garbage unless keep
 * (they moved to another key with its metadata). */
static int del_key(store *f, const char *key, size_t klen, uint64_t *expire, int keep) {
    assert(!f->owner);
    uint64_t was, h = store_key_hash(key, klen);
    char cid[STORE_CID + 8];
    int coll;
    if (!old_value(f, h, key, klen, &was, cid, &coll)) return 0;
    if (coll && !keep) mark_garbage(f, cid);
    if (expire) *expire = was;
    f->keys--;
    note_deleted(f, h);
    batch_open(f);
    f->batch_bytes += klen;
    index_move(f, key, klen, was, 0);
    remember(f, h, key, klen, NULL, 0, 1, 0);
    return 1;
}

int store_del(store *f, const char *key, size_t klen, uint64_t *expire) { return del_key(f, key, klen, expire, 0); }

void store_expire(store *f, const char *key, size_t klen, uint64_t expire) {
    sval v;
    int found = get_hashed(f, store_key_hash(key, klen), key, klen, &v);
    assert(found);
    (void)found;
    put_stored(f, key, klen, v.type, v.p, v.len, expire);
    sval_free(&v);
}

int store_copy(store *f, const char *src, size_t slen, const char *dst, size_t dlen) {
    sval v;  /* a string kept in chunks is copied as a collection is */
    if (!get_hashed(f, store_key_hash(src, slen), src, slen, &v)) return 0;
    if (v.type == STORE_STRING) {
        put_stored(f, dst, dlen, STORE_STRING, v.p, v.len, v.expire);
        sval_free(&v);
        return 1;
    }
    /* the elements under a new id, as the walk goes: the walk holds the
     * batch's records it started with (by index) and LevelDB's, so the
     * copies, under another id, never show in it */
    char meta[STORE_META_MAX];
    memcpy(meta, v.p, v.len);
    store_new_cid(f, meta);
    store_elems *it = store_elems_new(f, v.p, "", 0);
    const char *k, *val;
    size_t kl, vl;
    uint64_t left = v.type == STORE_CHUNKS ? get_u64(v.p + STORE_CID) : UINT64_MAX;  /* not past a string's last */
    while (left-- && store_elems_next(it, &k, &kl, &val, &vl)) store_elem_put(f, meta, k, kl, val, vl);
    store_elems_free(it);
    store_put_typed(f, dst, dlen, v.type, meta, v.len, v.expire);
    sval_free(&v);
    return 1;
}

int store_move(store *f, const char *src, size_t slen, const char *dst, size_t dlen) {
    sval v;  /* a string kept in chunks moves with its metadata, its chunks staying */
    if (!get_hashed(f, store_key_hash(src, slen), src, slen, &v)) return 0;
    del_key(f, src, slen, NULL, 1);
    put_stored(f, dst, dlen, v.type, v.p, v.len, v.expire);
    sval_free(&v);
    return 1;
}

/* ---- collections' element records (docs/collections.md) ---- */

void store_new_cid(store *f, char *cid) {
    hash_be(cid, f->applied + 1);  /* the entry being applied */
    hash_be(cid + 8, f->cids++);
}

/* 'e', the collection id, the sub-key: an element record's LevelDB key,
 * in the store's reused buffer. */
static const char *elem_key(store *f, const char *cid, const char *sub, size_t sublen, size_t *n) {
    f->ebuf.len = 0;
    buf_append(&f->ebuf, "e", 1);
    buf_append(&f->ebuf, cid, STORE_CID);
    buf_append(&f->ebuf, sub, sublen);
    *n = f->ebuf.len;
    return f->ebuf.data;
}

/* ---- read-ahead: a run of point reads at one end of a collection ---- */

/* One collection's element records as LevelDB holds them, read by one
 * walk from a point read on (up or down): a run of pops at one end of a
 * list then costs a LevelDB walk per window, not a lookup per pop. The
 * writer's only, and valid while LevelDB is unchanged: every write clears
 * it (the open batch's records are looked up before it anyway). */
static int raw_cmp(const char *a, size_t al, const char *b, size_t bl);
#define AHEAD_MAX_RUN 5             /* a window grows 8, 16, ... 128 records over a run */
#define AHEAD_BYTES (1 << 20)       /* and stops past this many bytes of values */
typedef struct ahead {
    char cid[STORE_CID];
    int dir;             /* 0: empty; 1: the records go up from `from`; -1: down */
    int bounded;         /* it covers from..to; else from on to the collection's end */
    buf from, to;        /* sub-keys */
    buf recs;            /* u32 sublen, sub, u32 vlen, val: in that order */
    size_t *at, n, cap;  /* where each record starts in recs */
    char run_cid[STORE_CID];  /* the run being watched: its collection, */
    int run_dir;              /* direction */
    unsigned run;             /* and misses so far; */
    int run_down;             /* its windows below the pops are over the byte bound: walk down */
    uint64_t fills, hits;     /* windows read, and reads they answered (store_read_ahead_stats) */
} ahead;

static void ahead_clear(store *f) {
    ahead *a = f->ra;
    if (!a) return;
    a->dir = 0;
    a->n = 0;
    a->recs.len = 0;
    if (a->recs.cap > 4 * AHEAD_BYTES) { buf_free(&a->recs); buf_init(&a->recs); }
}

/* LevelDB changed: the window goes, and a run starts again (a pop per
 * batch then stays a lookup: the window would not outlive the batch). */
static void ahead_written(store *f) {
    ahead_clear(f);
    if (f->ra) f->ra->run_dir = 0;
}

static void ahead_free(store *f) {
    if (!f->ra) return;
    buf_free(&f->ra->from);
    buf_free(&f->ra->to);
    buf_free(&f->ra->recs);
    free(f->ra->at);
    free(f->ra);
}

static void ahead_rec(const ahead *a, size_t j, const char **sub, size_t *sublen, const char **val, size_t *vlen) {
    const char *p = a->recs.data + a->at[j];
    *sublen = get_u32(p);
    *sub = p + 4;
    *vlen = get_u32(p + 4 + *sublen);
    *val = p + 8 + *sublen;
}

/* -1: the window does not cover sub; 0: LevelDB has no such record; 1:
 * it does, into v. */
static int ahead_find(store *f, const char *cid, const char *sub, size_t sublen, sval *v) {
    ahead *a = f->ra;
    if (!a || !a->dir || memcmp(a->cid, cid, STORE_CID)) return -1;
    const char *s, *val;
    size_t sl, vl;
    if (a->dir * raw_cmp(sub, sublen, a->from.data, a->from.len) < 0) return -1;
    if (a->bounded && a->dir * raw_cmp(sub, sublen, a->to.data, a->to.len) > 0) return -1;
    a->hits++;
    size_t lo = 0, hi = a->n;  /* binary search in walk order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        ahead_rec(a, mid, &s, &sl, &val, &vl);
        int c = a->dir * raw_cmp(s, sl, sub, sublen);
        if (!c) {
            v->raw = xstrndup(val, vl);
            v->len = vl;
            return 1;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

static void ahead_push(ahead *a, const char *sub, size_t sublen, const char *val, size_t vlen) {
    if (a->n == a->cap) a->at = xrealloc(a->at, sizeof(*a->at) * (a->cap = a->cap ? a->cap * 2 : 16));
    a->at[a->n++] = a->recs.len;
    buf_put_u32(&a->recs, (uint32_t)sublen);
    buf_append(&a->recs, sub, sublen);
    buf_put_u32(&a->recs, (uint32_t)vlen);
    buf_append(&a->recs, val, vlen);
}

/* The sub-key 8 bytes at p as a big-endian number, less d (not below 0). */
static void be_minus(const char *p, uint64_t d, char *out) {
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) x = x << 8 | (unsigned char)p[i];
    x = x > d ? x - d : 0;
    for (int i = 0; i < 8; i++) out[i] = (char)(x >> (56 - 8 * i));
}

/* Reads up to want records of the collection from element key k (n bytes,
 * its sub-key from 1 + STORE_CID) on, in direction dir, into the window.
 * A run down over 8-byte sub-keys (a list's positions) walks up to k from
 * want - 1 positions below it: LevelDB steps up much faster than down. */
static void ahead_fill(store *f, const char *k, size_t n, int dir, unsigned want) {
    ahead *a = f->ra;
    ahead_clear(f);
    const char *sub = k + 1 + STORE_CID;
    size_t sublen = n - 1 - STORE_CID;
    int up_to_k = dir < 0 && sublen == 8 && !a->run_down;
    char start[1 + STORE_CID + 8];
    memcpy(start, k, 1 + STORE_CID);
    if (up_to_k) {
        be_minus(sub, want - 1, start + 1 + STORE_CID);
        dir = 1;
    }
    memcpy(a->cid, k + 1, STORE_CID);
    a->from.len = a->to.len = 0;
    buf_append(&a->from, up_to_k ? start + 1 + STORE_CID : sub, sublen);
    a->dir = dir;
    a->bounded = 0;
    const char *prefix = k;  /* 1 + STORE_CID bytes */
    leveldb_iterator_t *it = leveldb_create_iterator(db_of(f), f->ropts);
    leveldb_iter_seek(it, up_to_k ? start : k, n);  /* the first record at or past it */
    if (dir < 0) {  /* down: the last at or before k */
        size_t kl = 0;
        const char *at = leveldb_iter_valid(it) ? leveldb_iter_key(it, &kl) : NULL;
        if (!at) leveldb_iter_seek_to_last(it);
        else if (raw_cmp(at, kl, k, n) > 0) leveldb_iter_prev(it);
    }
    int last = 0;  /* stopped short of the collection's end: it covers up to the last record read */
    for (; leveldb_iter_valid(it); dir > 0 ? leveldb_iter_next(it) : leveldb_iter_prev(it)) {
        size_t kl, vl;
        const char *key = leveldb_iter_key(it, &kl);
        if (kl < 1 + STORE_CID || memcmp(key, prefix, 1 + STORE_CID)) break;
        if (up_to_k && raw_cmp(key, kl, k, n) > 0) {  /* past k: it covers up to k */
            a->bounded = 1;
            buf_append(&a->to, sub, sublen);
            break;
        }
        const char *val = leveldb_iter_value(it, &vl);
        if (a->recs.len + kl + vl > AHEAD_BYTES) {  /* a large first one: a plain lookup reads it */
            if (!a->n) a->dir = 0;
            last = 1;
            a->run_down = up_to_k;  /* short of k: this run's windows walk down from their pop */
            break;
        }
        ahead_push(a, key + 1 + STORE_CID, kl - 1 - STORE_CID, val, vl);
        a->fills += a->n == 1;
        if (a->n == want) { last = 1; break; }  /* not past it: the next may be large */
    }
    iter_check(it);
    leveldb_iter_destroy(it);
    if (a->run_down && up_to_k) {
        ahead_fill(f, k, n, -1, want);
        return;
    }
    if (last && a->n) {
        const char *ls, *lv;
        size_t lsl, lvl;
        ahead_rec(a, a->n - 1, &ls, &lsl, &lv, &lvl);
        a->bounded = 1;
        buf_append(&a->to, ls, lsl);
    }
}

/* A miss in direction dir (0: not part of a run): whether to read ahead,
 * and how far (0: a lookup). */
static unsigned ahead_want(store *f, const char *cid, int dir) {
    if (!dir || f->owner) return 0;
    if (!f->ra) {
        f->ra = xmalloc(sizeof(ahead));
        memset(f->ra, 0, sizeof(ahead));
    }
    ahead *a = f->ra;
    if (a->run_dir == dir && !memcmp(a->run_cid, cid, STORE_CID)) {
        if (a->run < AHEAD_MAX_RUN) a->run++;
    } else {
        memcpy(a->run_cid, cid, STORE_CID);
        a->run_dir = dir;
        a->run = 0;
        a->run_down = 0;
    }
    return a->run ? 4u << a->run : 0;
}

static int elem_read(store *f, const char *cid, const char *sub, size_t sublen, int dir, sval *v) {
    size_t n;
    const char *k = elem_key(f, cid, sub, sublen, &n);
    memset(v, 0, sizeof(*v));
    pend *p = find_pend(&f->oelems, store_key_hash(k, n), k, n);
    int got = -1;
    if (p) {
        if (p->deleted) return 0;
        v->raw = xstrndup(p->val, p->vlen);
        v->len = p->vlen;
        got = 1;
    }
    if (got < 0 && !f->owner) got = ahead_find(f, cid, sub, sublen, v);
    unsigned want = got < 0 ? ahead_want(f, cid, dir) : 0;
    if (want) {
        ahead_fill(f, k, n, dir, want);
        got = ahead_find(f, cid, sub, sublen, v);  /* -1 if it stopped short of sub: a lookup then */
    }
    if (got < 0) {
        char *err = NULL;
        char *raw = leveldb_get(db_of(f), f->ropts, k, n, &v->len, &err);
        if (err) {
            logmsg(LL_WARNING, "Reading the state machine in %s failed: %s. Stopping: never answer wrongly", f->dir,
                   err);
            abort();
        }
        if (!raw) return 0;
        v->raw = xrealloc(raw, v->len + 1);
        v->raw[v->len] = '\0';
    }
    if (!got) return 0;
    v->p = v->raw;
    return 1;
}

void store_read_ahead_stats(const store *f, uint64_t *fills, uint64_t *hits) {
    *fills = f->ra ? f->ra->fills : 0;
    *hits = f->ra ? f->ra->hits : 0;
}

int store_elem_get(store *f, const char *cid, const char *sub, size_t sublen, sval *v) {
    return elem_read(f, cid, sub, sublen, 0, v);
}

int store_elem_get_run(store *f, const char *cid, const char *sub, size_t sublen, int dir, sval *v) {
    return elem_read(f, cid, sub, sublen, dir, v);
}

static void elem_set(store *f, const char *cid, const char *sub, size_t sublen, const char *val, size_t vlen,
                     int deleted) {
    assert(!f->owner);
    size_t n;
    const char *k = elem_key(f, cid, sub, sublen, &n);
    batch_open(f);
    f->batch_bytes += n + vlen;
    ovl_set(&f->oelems, store_key_hash(k, n), k, n, val, vlen, deleted);
}

void store_elem_put(store *f, const char *cid, const char *sub, size_t sublen, const char *val, size_t vlen) {
    elem_set(f, cid, sub, sublen, val, vlen, 0);
}

void store_elem_drop(store *f, const char *cid, const char *sub, size_t sublen) {
    elem_set(f, cid, sub, sublen, NULL, 0, 1);
}

int store_elem_del(store *f, const char *cid, const char *sub, size_t sublen) {
    sval v;
    if (!store_elem_get(f, cid, sub, sublen, &v)) return 0;
    sval_free(&v);
    elem_set(f, cid, sub, sublen, NULL, 0, 1);
    return 1;
}

/* An iterator's LevelDB side stopped: at the end, or at damage, which must
 * not pass for the end (an element missing from a reply or an image). */
static void iter_check(leveldb_iterator_t *it) {
    char *err = NULL;
    leveldb_iter_get_error(it, &err);
    if (!err) return;
    logmsg(LL_WARNING, "Reading the state machine failed: %s. Stopping: never answer wrongly", err);
    abort();
}

static int raw_cmp(const char *a, size_t al, const char *b, size_t bl) {
    size_t m = al < bl ? al : bl;
    int c = m ? memcmp(a, b, m) : 0;
    return c ? (c > 0) - (c < 0) : al < bl ? -1 : al > bl;
}

static int pend_raw_cmp(const void *x, const void *y) {
    const pend *a = *(const pend *const *)x, *b = *(const pend *const *)y;
    return raw_cmp(a->key, a->klen, b->key, b->klen);
}

/* The open batch's element records from key [k, k+n) on that share its
 * first plen bytes, in LevelDB's order (malloc'd). */
static const pend **sorted_elems(const store *f, const char *k, size_t n, size_t plen, size_t *cnt) {
    const ovl *o = &f->oelems;
    const pend **v;
    *cnt = 0;
    if (plen == o->plen) {  /* one collection's: its chain */
        size_t cap = 16;
        v = xmalloc(sizeof(*v) * cap);
        for (int j = chain_last(o, k); j >= 0; j = o->v[j].prev) {
            const pend *p = &o->v[j];
            if (raw_cmp(p->key, p->klen, k, n) < 0) continue;
            if (*cnt == cap) v = xrealloc(v, sizeof(*v) * (cap *= 2));
            v[(*cnt)++] = p;
        }
    } else {
        v = xmalloc(sizeof(*v) * (size_t)(o->n ? o->n : 1));
        for (int j = 0; j < o->n; j++) {
            const pend *p = &o->v[j];
            if (p->klen >= plen && !memcmp(p->key, k, plen) && raw_cmp(p->key, p->klen, k, n) >= 0) v[(*cnt)++] = p;
        }
    }
    qsort(v, *cnt, sizeof(*v), pend_raw_cmp);
    return v;
}

/* A collection's elements in sub-key order: LevelDB's merged, inside an
 * apply, with the open batch's (as store_iter does for keys). The batch's
 * by their index in its table, which element writes meanwhile may move
 * (a write after the walk began shows if it changes a record the walk has
 * still to reach and that was in the batch already). */
struct store_elems {
    store *f;
    leveldb_iterator_t *it;
    char prefix[1 + STORE_CID];
    int step;              /* LevelDB's current record was handed out: step past it at the next call */
    int rev;               /* walking down (store_elems_new_rev): at counts the batch's records left */
    int *pv;
    size_t npv, at;
};

/* The open batch's records of the collection at or past k, in order (inside
 * an apply; the walk merges them with LevelDB's). */
static void batch_elems(store_elems *i, const char *k, size_t n) {
    store *f = i->f;
    if (f->owner || !f->oelems.n) return;
    const pend **pv = sorted_elems(f, k, n, sizeof(i->prefix), &i->npv);
    i->pv = xmalloc(sizeof(int) * (i->npv ? i->npv : 1));
    for (size_t j = 0; j < i->npv; j++) i->pv[j] = (int)(pv[j] - f->oelems.v);
    free(pv);
}

store_elems *store_elems_new(store *f, const char *cid, const char *from, size_t fromlen) {
    store_elems *i = xmalloc(sizeof(*i));
    memset(i, 0, sizeof(*i));
    size_t n;
    const char *k = elem_key(f, cid, from, fromlen, &n);
    memcpy(i->prefix, k, sizeof(i->prefix));
    i->f = f;
    i->it = leveldb_create_iterator(db_of(f), f->ropts);
    leveldb_iter_seek(i->it, k, n);
    batch_elems(i, k, n);
    return i;
}

/* LevelDB's current record if it belongs to the collection, else NULL. */
static const char *elems_db(store_elems *i, size_t *n) {
    if (!leveldb_iter_valid(i->it)) {
        iter_check(i->it);
        return NULL;
    }
    const char *k = leveldb_iter_key(i->it, n);
    return *n >= sizeof(i->prefix) && !memcmp(k, i->prefix, sizeof(i->prefix)) ? k : NULL;
}

store_elems *store_elems_new_rev(store *f, const char *cid, const char *below, size_t belowlen) {
    store_elems *i = xmalloc(sizeof(*i));
    memset(i, 0, sizeof(*i));
    size_t n;
    const char *k = elem_key(f, cid, "", 0, &n);
    memcpy(i->prefix, k, sizeof(i->prefix));
    i->f = f;
    i->rev = 1;
    batch_elems(i, k, n);  /* the batch's records of the whole collection */
    k = elem_key(f, cid, below, belowlen, &n);
    i->it = leveldb_create_iterator(db_of(f), f->ropts);
    leveldb_iter_seek(i->it, k, n);  /* the first at or past below: the one before it is the first wanted */
    if (leveldb_iter_valid(i->it)) leveldb_iter_prev(i->it);
    else leveldb_iter_seek_to_last(i->it);
    size_t lo = 0, hi = i->npv;  /* the batch's below k */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const pend *q = &f->oelems.v[i->pv[mid]];
        if (raw_cmp(q->key, q->klen, k, n) < 0) lo = mid + 1;
        else hi = mid;
    }
    i->at = lo;
    return i;
}

/* store_elems_next walking down. */
static int elems_prev(store_elems *i, const char **sub, size_t *sublen, const char **val, size_t *vlen) {
    const size_t pl = sizeof(i->prefix);
    if (i->step) leveldb_iter_prev(i->it), i->step = 0;
    for (;;) {
        size_t dn;
        const char *dk = elems_db(i, &dn);
        const pend *q = i->at ? &i->f->oelems.v[i->pv[i->at - 1]] : NULL;
        if (!dk && !q) return 0;
        int c = !q ? 1 : !dk ? -1 : raw_cmp(dk, dn, q->key, q->klen);
        if (c > 0) {  /* LevelDB's, untouched by the batch */
            *sub = dk + pl;
            *sublen = dn - pl;
            *val = leveldb_iter_value(i->it, vlen);
            i->step = 1;
            return 1;
        }
        if (c == 0) leveldb_iter_prev(i->it);  /* the batch's version replaces LevelDB's */
        i->at--;
        if (q->deleted) continue;
        *sub = q->key + pl;
        *sublen = q->klen - pl;
        *val = q->val;
        *vlen = q->vlen;
        return 1;
    }
}

int store_elems_next(store_elems *i, const char **sub, size_t *sublen, const char **val, size_t *vlen) {
    const size_t pl = sizeof(i->prefix);
    if (i->rev) return elems_prev(i, sub, sublen, val, vlen);
    if (i->step) leveldb_iter_next(i->it), i->step = 0;
    for (;;) {
        size_t dn;
        const char *dk = elems_db(i, &dn);
        const pend *q = i->at < i->npv ? &i->f->oelems.v[i->pv[i->at]] : NULL;
        if (!dk && !q) return 0;
        int c = !q ? -1 : !dk ? 1 : raw_cmp(dk, dn, q->key, q->klen);
        if (c < 0) {  /* LevelDB's, untouched by the batch */
            *sub = dk + pl;
            *sublen = dn - pl;
            *val = leveldb_iter_value(i->it, vlen);
            i->step = 1;
            return 1;
        }
        if (c == 0) leveldb_iter_next(i->it);  /* the batch's version replaces LevelDB's */
        i->at++;
        if (q->deleted) continue;
        *sub = q->key + pl;
        *sublen = q->klen - pl;
        *val = q->val;
        *vlen = q->vlen;
        return 1;
    }
}

void store_elems_seek(store_elems *i, const char *from, size_t fromlen) {
    size_t n;
    const char *k = elem_key(i->f, i->prefix + 1, from, fromlen, &n);
    leveldb_iter_seek(i->it, k, n);
    i->step = 0;
    size_t lo = 0, hi = i->npv;  /* the batch's: the first at or after k (pv is in order) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const pend *q = &i->f->oelems.v[i->pv[mid]];
        if (raw_cmp(q->key, q->klen, k, n) < 0) lo = mid + 1;
        else hi = mid;
    }
    i->at = lo;
}

void store_track_written(store *f, int on) { atomic_store(&f->track_written, on); }

void store_take_written(store *f, buf *out) {
    buf_append(out, f->wkeys.data, f->wkeys.len);
    f->wkeys.len = f->wkeys.pos = 0;
    if (f->wkeys.cap > (1u << 20)) buf_free(&f->wkeys);  /* one huge batch does not keep its memory */
}

uint64_t store_entry_seed(store *f) { return (f->applied + 1) * 0x9e3779b97f4a7c15ULL ^ f->seeds++; }

void store_elems_free(store_elems *i) {
    if (!i) return;
    leveldb_iter_destroy(i->it);
    free(i->pv);
    free(i);
}

/* Deletes up to RECLAIM_BUDGET element records of collections marked
 * garbage (each marker costs one too), and the markers whose collections
 * are gone, into the batch being written: the writer's own local work,
 * which changes no key, count or applied index. Reads LevelDB only, so a
 * marker of this batch waits for the next write (with any elements this
 * batch still writes for it). A pass resumes where the last one stopped
 * (reclaim_at: the marker it deleted last, or the record it would have
 * deleted next), not through the tombstones of what it deleted, and goes
 * round to the first marker once. Whether LevelDB may hold markers still. */
#define RECLAIM_BUDGET 1024

enum { RECLAIM_DONE, RECLAIM_MORE, RECLAIM_ERROR };

/* The records of the collection whose records start with p (1 +
 * STORE_CID bytes), from key from on. */
static int reclaim_one(store *f, leveldb_iterator_t *e, const char *p, const char *from, size_t fromlen,
                       size_t *budget) {
    size_t n;
    for (leveldb_iter_seek(e, from, fromlen); leveldb_iter_valid(e); leveldb_iter_next(e)) {
        const char *k = leveldb_iter_key(e, &n);
        if (n < 1 + STORE_CID || memcmp(k, p, 1 + STORE_CID)) return RECLAIM_DONE;
        if (!*budget) {
            f->reclaim_at.len = 0;
            buf_append(&f->reclaim_at, k, n);
            return RECLAIM_MORE;
        }
        leveldb_writebatch_delete(f->wb, k, n);
        (*budget)--;
    }
    char *err = NULL;
    leveldb_iter_get_error(e, &err);
    if (!err) return RECLAIM_DONE;
    leveldb_free(err);  /* a read will stop on the damage; never drop a marker over it */
    return RECLAIM_ERROR;
}

/* A string's chunks (prefix p), count of them, from chunk `from` on:
 * deleted by their keys, without reading them. */
static int reclaim_chunks(store *f, const char *p, uint64_t count, uint64_t from, size_t *budget) {
    char k[1 + STORE_CID + 4];
    memcpy(k, p, 1 + STORE_CID);
    for (uint64_t i = from; i < count; i++) {
        chunk_sub(k + 1 + STORE_CID, i);
        if (!*budget) {
            f->reclaim_at.len = 0;
            buf_append(&f->reclaim_at, k, sizeof(k));
            return RECLAIM_MORE;
        }
        leveldb_writebatch_delete(f->wb, k, sizeof(k));
        (*budget)--;
    }
    return RECLAIM_DONE;
}

/* The marker at g's position: 1 with it in m ('g' + id) and the chunk
 * count it holds in *chunks (0: a collection's), or 0 past the markers. */
static int marker_at(leveldb_iterator_t *g, char *m, uint64_t *chunks) {
    size_t n, vl;
    if (!leveldb_iter_valid(g)) return 0;
    const char *k = leveldb_iter_key(g, &n), *v = leveldb_iter_value(g, &vl);
    if (n != 1 + STORE_CID || k[0] != 'g') return 0;
    memcpy(m, k, n);
    *chunks = vl == 8 && get_u64(v) <= (uint64_t)UINT32_MAX + 1 ? get_u64(v) : 0;  /* else walked, as a collection's */
    return 1;
}

static int reclaim(store *f) {
    leveldb_iterator_t *g = leveldb_create_iterator(f->db, f->ropts);
    leveldb_iterator_t *e = leveldb_create_iterator(f->db, f->ropts);
    size_t budget = RECLAIM_BUDGET;
    int left = 0, wrapped = !f->reclaim_at.len;
    char m[1 + STORE_CID], at[1 + STORE_CID];
    uint64_t chunks;
    if (f->reclaim_at.len) {  /* the marker of where the last pass stopped */
        at[0] = 'g';
        memcpy(at + 1, f->reclaim_at.data + 1, STORE_CID);
        leveldb_iter_seek(g, at, sizeof(at));
    } else {
        leveldb_iter_seek(g, "g", 1);
    }
    for (;;) {
        if (!marker_at(g, m, &chunks)) {
            char *err = NULL;
            leveldb_iter_get_error(g, &err);
            if (err) { leveldb_free(err); left = 1; break; }
            if (wrapped) break;
            wrapped = 1;
            f->reclaim_at.len = 0;
            leveldb_iter_seek(g, "g", 1);
            continue;
        }
        if (!budget) { left = 1; break; }
        budget--;
        char p[1 + STORE_CID];
        p[0] = 'e';
        memcpy(p + 1, m + 1, STORE_CID);
        int inside = f->reclaim_at.len > sizeof(p) && f->reclaim_at.data[0] == 'e' &&
                     !memcmp(f->reclaim_at.data, p, sizeof(p));
        int r;
        if (chunks) {
            uint64_t i = 0;
            if (inside && f->reclaim_at.len == sizeof(p) + 4)
                for (int b = 0; b < 4; b++) i = i << 8 | (unsigned char)f->reclaim_at.data[sizeof(p) + b];
            r = reclaim_chunks(f, p, chunks, i, &budget);
        } else {
            r = inside ? reclaim_one(f, e, p, f->reclaim_at.data, f->reclaim_at.len, &budget)
                       : reclaim_one(f, e, p, p, sizeof(p), &budget);
        }
        if (r != RECLAIM_DONE) { left = 1; break; }
        leveldb_writebatch_delete(f->wb, m, sizeof(m));
        f->reclaim_at.len = 0;
        buf_append(&f->reclaim_at, m, sizeof(m));
        leveldb_iter_next(g);
    }
    leveldb_iter_destroy(e);
    leveldb_iter_destroy(g);
    return left;
}

/* Deletes every user key. Runs inside the apply's batch, so a huge
 * keyspace makes a huge batch; acceptable until snapshots land. */
/* Every key in LevelDB, and every key the open batch holds (which need
 * not be in LevelDB yet: a flush must not depend on having written it). */
void store_clear(store *f) {
    assert(!f->owner);
    leveldb_iterator_t *it = leveldb_create_iterator(f->db, f->ropts);
    leveldb_iter_seek(it, "k", 1);
    int started = 0;
    size_t n;
    const char *stored;
    batch_open(f);
    /* the batch's own keys first: their expiry index entries are in the
     * batch, not in LevelDB's index, whether or not LevelDB has the key */
    for (int i = 0; i < f->okeys.n; i++) {
        pend *p = &f->okeys.v[i];
        if (p->deleted) continue;
        note_deleted(f, p->hash);
        sval v;
        value_decode(p->val, p->vlen, &v);
        if (v.expire) {
            const char *ik = index_key(&f->kbuf, v.expire, p->key, p->klen, &n);
            leveldb_writebatch_delete(f->wb, ik, n);
        }
        char cid[STORE_CID + 8];
        if (cid_of(p->val, p->vlen, cid)) mark_garbage(f, cid);
        p->val = NULL;
        p->deleted = 1;
    }
    /* LevelDB's keys (a collection there may differ from the batch's
     * version of its key: a marker twice is one marker; a string's, written
     * again here, counts LevelDB's chunks, which is right because the
     * batch's own element records are dropped below) */
    while ((stored = next_user_key(it, &started, &n))) {
        uint64_t h = hash_of(stored);
        size_t vl;
        const char *val = leveldb_iter_value(it, &vl);
        char cid[STORE_CID + 8];
        if (cid_of(val, vl, cid)) mark_garbage(f, cid);
        note_deleted(f, h);
        ovl_set(&f->okeys, h, stored + 9, n - 9, NULL, 0, 1);  /* the key cache is cleared at the end */
    }
    leveldb_iter_seek(it, "x", 1);  /* the expiry index */
    for (; leveldb_iter_valid(it); leveldb_iter_next(it)) {
        const char *ik = leveldb_iter_key(it, &n);
        if (!n || ik[0] != 'x') break;
        leveldb_writebatch_delete(f->wb, ik, n);
    }
    leveldb_iter_destroy(it);
    ovl_clear(&f->oelems);  /* every element the batch made belongs to a collection marked above */
    f->keys = 0;
    f->volatile_keys = 0;
    f->expire_sum = 0;
    large_replace(f, NULL);
    keycache_clear(f->kc);  /* every key went without remember() */
}

static void write_meta(leveldb_writebatch_t *wb, uint64_t applied, uint64_t term, uint64_t keys, uint64_t vol,
                       uint64_t time_ms) {
    char v[8];
    set_u64(v, vol);
    leveldb_writebatch_put(wb, META_VOLATILE, strlen(META_VOLATILE), v, 8);
    set_u64(v, time_ms);
    leveldb_writebatch_put(wb, META_TIME, strlen(META_TIME), v, 8);
    set_u64(v, applied);
    leveldb_writebatch_put(wb, META_APPLIED, strlen(META_APPLIED), v, 8);
    set_u64(v, term);
    leveldb_writebatch_put(wb, META_TERM, strlen(META_TERM), v, 8);
    set_u64(v, keys);
    leveldb_writebatch_put(wb, META_KEYS, strlen(META_KEYS), v, 8);
}

/* LevelDB's order of user keys: hash, then key bytes. */
static int key_cmp(uint64_t ha, const char *a, size_t al, uint64_t hb, const char *b, size_t bl) {
    if (ha != hb) return ha < hb ? -1 : 1;
    return raw_cmp(a, al, b, bl);
}

static int pend_cmp(const void *x, const void *y) {
    const pend *a = *(const pend *const *)x, *b = *(const pend *const *)y;
    return key_cmp(a->hash, a->key, a->klen, b->hash, b->key, b->klen);
}

/* The open batch's keys of hash from on, in LevelDB's order (malloc'd). */
static const pend **sorted_pend(const store *f, uint64_t from, size_t *n) {
    const ovl *o = &f->okeys;
    const pend **v = xmalloc(sizeof(*v) * (size_t)(o->n ? o->n : 1));
    *n = 0;
    for (int j = 0; j < o->n; j++)
        if (o->v[j].hash >= from) v[(*n)++] = &o->v[j];
    qsort(v, *n, sizeof(*v), pend_cmp);
    return v;
}

/* The batch's data, one change per key, in LevelDB's order: a memtable
 * takes keys in order for less than the same keys scattered (each search
 * of its skip list walks much the path of the one before, in cache). */
static leveldb_writebatch_t *data_batch(store *f) {
    leveldb_writebatch_t *wb = leveldb_writebatch_create();
    size_t n;
    const pend **e = sorted_elems(f, "e", 1, 1, &n);  /* element records first: 'e' < 'k' */
    for (size_t i = 0; i < n; i++) {
        if (e[i]->deleted) leveldb_writebatch_delete(wb, e[i]->key, e[i]->klen);
        else leveldb_writebatch_put(wb, e[i]->key, e[i]->klen, e[i]->val, e[i]->vlen);
    }
    free(e);
    const pend **v = sorted_pend(f, 0, &n);
    for (size_t i = 0; i < n; i++) {
        size_t kn;
        const char *k = dkey(f, v[i]->hash, v[i]->key, v[i]->klen, &kn);
        if (v[i]->deleted)
            leveldb_writebatch_delete(wb, k, kn);
        else
            leveldb_writebatch_put(wb, k, kn, v[i]->val, v[i]->vlen);
    }
    free(v);
    return wb;
}

/* Writes the open batch, with the applied index and key count it reaches.
 * sync makes it, and every earlier unsynced write, durable. A write that
 * fails for want of space keeps the batch (reads still see it) and puts
 * the state machine out of service until store_recover(). */
static int store_write(store *f, int sync) {
    if (f->no_space) return -1;
    /* an entry that changed no key still moves the applied index: a view
     * must show the point the store reached */
    if (!f->wb && f->written == f->applied && (!sync || f->synced == f->applied)) return 0;
    batch_open(f);
    write_meta(f->wb, f->applied, f->applied_term, f->keys, f->volatile_keys, f->time_ms);
    if (f->dels_dirty) put_dels(f->wb, f->dels);
    int garbage_left = f->garbage && reclaim(f);
    /* the data first, then the rest (the expiry index, metadata): no key is in both */
    leveldb_writebatch_t *out = data_batch(f);
    leveldb_writebatch_append(out, f->wb);
    char *err = NULL;
    leveldb_write(f->db, sync ? f->wsync : f->wopts, out, &err);
    leveldb_writebatch_destroy(out);
    ahead_written(f);  /* LevelDB changed (or, failing, may have) */
    if (err && space_error(err)) {
        logmsg(LL_WARNING, "Writing the state machine in %s failed: %s. It takes no writes until there is space; "
               "what was applied meanwhile is kept in memory. Its data is intact.", f->dir, err);
        f->no_space = xstrndup(err, strlen(err));
        leveldb_free(err);
        return -1;
    }
    leveldb_writebatch_destroy(f->wb);
    f->wb = NULL;
    f->batch_bytes = 0;
    f->dels_dirty = 0;
    if (!err) {
        f->garbage = garbage_left || f->batch_marked;
        f->batch_marked = 0;
    }
    ovl_clear(&f->okeys);
    ovl_clear(&f->oelems);
    if (err) {
        keycache_clear(f->kc);  /* it knew of the batch just lost */
        logmsg(LL_WARNING, "LevelDB write failed: %s", err);
        leveldb_free(err);
        return -1;
    }
    if (sync) f->synced = f->applied;
    f->written = f->applied;
    publish(f);
    return 0;
}

const char *store_no_space(const store *f) { return f->no_space; }
int store_views_behind(const store *f) { return !f->owner && f->no_space && (f->wb || f->written != f->applied); }

/* After a failed write LevelDB's handle is never written again (its log
 * may end in a torn record, and what followed it would be unreadable):
 * once the disk has room, close it, open it again (LevelDB drops the torn
 * tail) and write the batch kept meanwhile. Waits while views hold the
 * old handle. */
int store_recover(store *f) {
    if (!f->no_space) return 0;
    if (f->ref->refs > 1) return 1;
    struct statvfs vfs;
    uint64_t need = 2 * (uint64_t)mem_write_buffer + 2 * f->batch_bytes + (1 << 20);  /* a memtable's table, the batch, margin */
    if (statvfs(f->dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < need) return 1;
    char *path = gen_path(f->dir, f->gen), *err = NULL;
    gen_ref_release(f->ref);
    f->db = leveldb_open(f->opts, path, &err);
    free(path);
    if (err) {
        logmsg(LL_WARNING, "Opening the state machine in %s again failed: %s. Stopping; its data is intact: start "
               "the node again once the disk has room.", f->dir, err);
        leveldb_free(err);
        exit(1);
    }
    f->ref = gen_ref_new(f->db);
    ahead_written(f);
    free(f->no_space);
    f->no_space = NULL;
    if (store_write(f, 0) != 0) return f->no_space ? 1 : -1;
    logmsg(LL_NOTICE, "The state machine in %s is writable again", f->dir);
    return 0;
}

#define BATCH_MAX_BYTES (8u << 20)

/* The applied index, its term and the key count reach LevelDB only in
 * store_write(), with the open batch: whatever the entry changed before
 * this call is written with it or not at all. */
void store_set_applied(store *f, uint64_t index, uint64_t term) {
    if (index != f->applied + 1) {
        logmsg(LL_WARNING, "store_set_applied: index %llu after applied %llu", (unsigned long long)index,
               (unsigned long long)f->applied);
        abort();
    }
    f->applied = index;
    f->applied_term = term;
    f->cids = 0;
    f->seeds = 0;
    /* Bound the memory of the overlay: big batches go out early, unsynced. */
    if (f->batch_bytes > BATCH_MAX_BYTES && store_write(f, 0) != 0 && !f->no_space) abort();
}

void store_record_conf(store *f, uint64_t index, const char *text, size_t len, int removed) {
    batch_open(f);
    leveldb_writebatch_put(f->wb, META_CONF, strlen(META_CONF), text, len);
    set_conf(f, text, len);
    if (removed && !f->removed) {
        char v[8];
        set_u64(v, index);
        leveldb_writebatch_put(f->wb, META_REMOVED, strlen(META_REMOVED), v, 8);
        f->removed = 1;
    }
}

void store_record_acl(store *f, const char *text, size_t len) {
    batch_open(f);
    leveldb_writebatch_put(f->wb, META_ACL, strlen(META_ACL), text, len);
    set_acl(f, text, len);
}

const char *store_acl(const store *f) { return f->acl; }

uint64_t store_acl_version(const store *f) {
    const store *o = f->owner ? f->owner : f;
    return atomic_load(&o->acl_version);
}

char *store_acl_copy(store *f, uint64_t *version) {
    store *o = f->owner ? f->owner : f;
    pthread_mutex_lock(&o->acl_mu);
    *version = atomic_load(&o->acl_version);
    char *copy = o->acl ? xstrndup(o->acl, strlen(o->acl)) : NULL;
    pthread_mutex_unlock(&o->acl_mu);
    return copy;
}

int store_set_conf(store *f, const char *text) {
    char *err = NULL;
    leveldb_put(f->db, f->wsync, META_CONF, strlen(META_CONF), text, strlen(text), &err);
    if (err) {
        logmsg(LL_WARNING, "LevelDB write failed: %s", err);
        leveldb_free(err);
        return -1;
    }
    set_conf(f, text, strlen(text));
    return 0;
}

int store_sync(store *f) { return store_write(f, 1); }
int store_write_batch(store *f) { return store_write(f, 0); }

/* On the store itself (inside an apply) the iterator merges LevelDB's
 * keys with the open batch's, which it sorts once into LevelDB's order
 * (hash, then key bytes): a command of a transaction sees what the ones
 * before it wrote. On a read handle, LevelDB alone. */
struct store_iter {
    leveldb_iterator_t *it;
    int started;
    const char *dk;        /* LevelDB's next user key (stored form), looked ahead; NULL at the end */
    size_t dn;
    uint64_t dhash;
    int step;              /* dk was handed out: step past it at the next call */
    const pend **pv;       /* the open batch's keys from the start hash on, sorted */
    size_t npv, at;
    int type;              /* of the key handed out last */
};

static void iter_db_step(store_iter *i) {
    i->dk = next_user_key(i->it, &i->started, &i->dn);
    if (i->dk) i->dhash = hash_of(i->dk);
}

store_iter *store_iter_new(store *f, uint64_t from) {
    store_iter *i = xmalloc(sizeof(*i));
    memset(i, 0, sizeof(*i));
    i->it = leveldb_create_iterator(db_of(f), f->ropts);
    char k[9];
    k[0] = 'k';
    hash_be(k + 1, from);
    leveldb_iter_seek(i->it, k, 9);
    if (!f->owner && f->okeys.n) i->pv = sorted_pend(f, from, &i->npv);
    iter_db_step(i);
    return i;
}

int store_iter_next(store_iter *i, const char **key, size_t *klen, uint64_t *hash, uint64_t *expire) {
    if (i->step) iter_db_step(i), i->step = 0;
    for (;;) {
        const pend *q = i->at < i->npv ? i->pv[i->at] : NULL;
        int c = !q ? -1 : !i->dk ? 1 : key_cmp(i->dhash, i->dk + 9, i->dn - 9, q->hash, q->key, q->klen);
        if (!q && !i->dk) return 0;
        sval v;
        if (c < 0) {  /* LevelDB's, untouched by the batch */
            size_t vl;
            const char *raw = leveldb_iter_value(i->it, &vl);
            value_decode(raw, vl, &v);
            *key = i->dk + 9;
            *klen = i->dn - 9;
            *hash = i->dhash;
            *expire = v.expire;
            i->type = v.type == STORE_CHUNKS ? STORE_STRING : v.type;
            i->step = 1;  /* at the next call: the key stays valid until then */
            return 1;
        }
        if (c == 0) iter_db_step(i);  /* the batch's version replaces LevelDB's */
        i->at++;
        if (q->deleted) continue;
        value_decode(q->val, q->vlen, &v);
        *key = q->key;
        *klen = q->klen;
        *hash = q->hash;
        *expire = v.expire;
        i->type = v.type == STORE_CHUNKS ? STORE_STRING : v.type;
        return 1;
    }
}

int store_iter_type(const store_iter *i) { return i->type; }

void store_iter_free(store_iter *i) {
    leveldb_iter_destroy(i->it);
    free(i->pv);
    free(i);
}

size_t store_expired(store *f, uint64_t now, size_t max, void (*cb)(void *arg, const char *key, size_t klen),
                     void *arg) {
    leveldb_iterator_t *it = leveldb_create_iterator(db_of(f), f->ropts);
    leveldb_iter_seek(it, "x", 1);
    size_t n = 0;
    for (; n < max && leveldb_iter_valid(it); leveldb_iter_next(it)) {
        size_t kl;
        const char *k = leveldb_iter_key(it, &kl);
        if (kl < 9 || k[0] != 'x') break;
        uint64_t expire = 0;
        for (int b = 1; b < 9; b++) expire = expire << 8 | (unsigned char)k[b];
        if (expire >= now) break;  /* expired once the time is past it (Redis: now > when) */
        cb(arg, k + 9, kl - 9);
        n++;
    }
    leveldb_iter_destroy(it);
    return n;
}

uint64_t store_disk_size(store *f) {
    const char *start = "", *limit = "\xff";
    size_t sl = 0, ll = 1;
    uint64_t size = 0;
    leveldb_approximate_sizes(db_of(f), 1, &start, &sl, &limit, &ll, &size);
    return size;
}

/* ---- images: reading a point-in-time view, building a new generation ---- */

struct store_view {
    buf kbuf;
    gen_ref *ref;
    const leveldb_snapshot_t *snap;
    leveldb_readoptions_t *ro;
    leveldb_iterator_t *it;
    int started;
    int elems;                 /* hand out collections' elements (store_view_elements) */
    leveldb_iterator_t *eit;   /* the elements of the collection handed out last, or NULL */
    char eprefix[1 + STORE_CID];
    int estarted;
    uint64_t eleft;            /* a string's chunks still to hand out (else UINT64_MAX) */
    char *conf;
    char *acl;
    uint64_t time_ms;
    uint64_t dels[STORE_DEL_BUCKETS];
};

store_view *store_view_new(store *f, uint64_t *index, uint64_t *term, uint64_t *keys) {
    store *o = f->owner ? f->owner : f;
    store_view *v = xmalloc(sizeof(*v));
    memset(v, 0, sizeof(*v));
    buf_init(&v->kbuf);
    v->ref = o->ref;
    v->ref->refs++;
    v->snap = leveldb_create_snapshot(o->db);
    v->ro = leveldb_readoptions_create();
    leveldb_readoptions_set_snapshot(v->ro, v->snap);
    leveldb_readoptions_set_fill_cache(v->ro, 0);  /* a full scan would evict the hot set */
    leveldb_readoptions_set_verify_checksums(v->ro, 1);
    /* the point the snapshot shows, from the snapshot: the store's own
     * fields may be ahead of it (an open batch, another thread's apply) */
    char *err = NULL;
    *index = read_meta_at(o->db, v->ro, META_APPLIED, &err);
    if (!err) *term = read_meta_at(o->db, v->ro, META_TERM, &err);
    if (!err) *keys = read_meta_at(o->db, v->ro, META_KEYS, &err);
    if (!err) v->time_ms = read_meta_at(o->db, v->ro, META_TIME, &err);
    if (!err) read_dels(o->db, v->ro, v->dels, &err);
    v->conf = err ? NULL : read_text_at(o->db, v->ro, META_CONF, &err);
    v->acl = err ? NULL : read_text_at(o->db, v->ro, META_ACL, &err);
    if (err) {
        logmsg(LL_WARNING, "Reading the state machine in %s failed: %s. Stopping: never answer wrongly", o->dir, err);
        abort();
    }
    v->it = leveldb_create_iterator(o->db, v->ro);
    leveldb_iter_seek(v->it, "k", 1);
    v->started = 0;
    return v;
}

void store_view_elements(store_view *v) { v->elems = 1; }

/* The next element of the collection handed out last: 1, or 0 past them. */
static int view_elem(store_view *v, const char **k, size_t *kl, const char **val, size_t *vl) {
    const size_t pl = sizeof(v->eprefix);
    if (v->estarted && v->eleft) leveldb_iter_next(v->eit);
    v->estarted = 1;
    size_t n;
    if (v->eleft && leveldb_iter_valid(v->eit)) {
        const char *ek = leveldb_iter_key(v->eit, &n);
        if (n >= pl && !memcmp(ek, v->eprefix, pl)) {
            *k = ek + pl;
            *kl = n - pl;
            *val = leveldb_iter_value(v->eit, vl);
            v->eleft--;
            return 1;
        }
    } else if (v->eleft) {
        iter_check(v->eit);
    }
    leveldb_iter_destroy(v->eit);
    v->eit = NULL;
    return 0;
}

int store_view_next(store_view *v, const char **k, size_t *kl, const char **val, size_t *vl) {
    if (v->eit && view_elem(v, k, kl, val, vl)) return 2;
    size_t n;
    const char *key = next_user_key(v->it, &v->started, &n);
    if (!key) return 0;
    *k = key + 9;
    *kl = n - 9;
    *val = leveldb_iter_value(v->it, vl);
    char cid[STORE_CID + 8];
    if (v->elems && cid_of(*val, *vl, cid)) {  /* its elements come next, from the same point in time */
        v->eprefix[0] = 'e';
        memcpy(v->eprefix + 1, cid, STORE_CID);
        v->eit = leveldb_create_iterator(v->ref->db, v->ro);
        leveldb_iter_seek(v->eit, v->eprefix, sizeof(v->eprefix));
        v->estarted = 0;
        /* a string's walk stops at its last chunk, not past it through
         * the tombstones of other strings' reclaimed chunks */
        v->eleft = get_u64(cid + STORE_CID) ? get_u64(cid + STORE_CID) : UINT64_MAX;
    }
    return 1;
}

static int view_get(store_view *v, const char *key, size_t klen, sval *out, int whole);

int store_view_get(store_view *v, const char *key, size_t klen, sval *out) { return view_get(v, key, klen, out, 1); }

int store_view_get_head(store_view *v, const char *key, size_t klen, sval *out) {
    if (!view_get(v, key, klen, out, 0)) return 0;
    if (out->type == STORE_CHUNKS) *out = (sval){out->raw, NULL, (size_t)get_u64(out->p + STORE_META), out->expire,
                                                 out->version, STORE_STRING};
    return 1;
}

static int view_get(store_view *v, const char *key, size_t klen, sval *out, int whole) {
    size_t n, vlen;
    const char *k = encode_key(&v->kbuf, store_key_hash(key, klen), key, klen, &n);
    char *err = NULL;
    char *val = leveldb_get(v->ref->db, v->ro, k, n, &vlen, &err);
    if (err) {
        logmsg(LL_WARNING, "Reading the state machine failed: %s. Stopping: never answer wrongly", err);
        abort();
    }
    out->raw = NULL;
    if (!val) return 0;
    out->raw = xstrndup(val, vlen);
    leveldb_free(val);
    value_decode(out->raw, vlen, out);
    if (whole && out->type == STORE_CHUNKS) chunks_join(NULL, v->ref->db, v->ro, out);
    return 1;
}

void store_view_free(store_view *v) {
    if (!v) return;
    buf_free(&v->kbuf);
    if (v->eit) leveldb_iter_destroy(v->eit);
    leveldb_iter_destroy(v->it);
    leveldb_readoptions_destroy(v->ro);
    leveldb_release_snapshot(v->ref->db, v->snap);
    gen_ref_release(v->ref);
    free(v->conf);
    free(v->acl);
    free(v);
}

const char *store_view_conf(const store_view *v) { return v->conf; }
const char *store_view_acl(const store_view *v) { return v->acl; }
uint64_t store_view_time(const store_view *v) { return v->time_ms; }
void store_view_dels(const store_view *v, char *out) {
    for (int i = 0; i < STORE_DEL_BUCKETS; i++) set_u64(out + 8 * i, v->dels[i]);
}

struct store_build {
    idmap large;
    leveldb_t *db;
    leveldb_writebatch_t *wb;
    size_t bytes;
    uint64_t count, vol, expire_sum;
    unsigned gen;
    buf vbuf;
    char *path;
    buf kbuf;
    char cid[STORE_CID];  /* the collection whose key came last */
    int in_coll;
    uint64_t want, elems;  /* its element count by its metadata; its elements so far */
    uint64_t chunked;      /* it is a string kept in chunks: its length (else 0) */
};

/* A collection of the image came with more or fewer elements than its
 * metadata counts: the image is refused (as the start-up check would). */
static int build_count_error(store_build *b, char **err) {
    char m[128];
    int n = snprintf(m, sizeof(m), "a collection with %llu elements where its metadata says %llu",
                     (unsigned long long)b->elems, (unsigned long long)b->want);
    *err = xstrndup(m, (size_t)n);
    return -1;
}

#define BUILD_BATCH (4u << 20)

store_build *store_build_new(store *f, char **err) {
    store_build *b = xmalloc(sizeof(*b));
    memset(b, 0, sizeof(*b));
    b->gen = f->gen + 1;
    b->path = gen_path(f->dir, b->gen);
    remove_tree(b->path);  /* an earlier attempt's leftovers */
    *err = NULL;
    leveldb_options_set_create_if_missing(f->opts, 1);
    b->db = leveldb_open(f->opts, b->path, err);
    if (*err) { free(b->path); free(b); return NULL; }
    b->wb = leveldb_writebatch_create();
    return b;
}

static int build_write(store_build *b, leveldb_writeoptions_t *wo, char **err) {
    *err = NULL;
    leveldb_write(b->db, wo, b->wb, err);
    leveldb_writebatch_clear(b->wb);
    b->bytes = 0;
    return *err ? -1 : 0;
}

int store_build_put(store *f, store_build *b, const char *k, size_t kl, const char *v, size_t vl, int plain,
                    char **err) {
    size_t n;
    sval d = {NULL, v, vl, 0, 0, STORE_STRING};
    if (plain) {
        value_encode(&b->vbuf, STORE_STRING, v, vl, 0, 0);
        v = b->vbuf.data;
        vl = b->vbuf.len;
    } else if (!store_value_decode(v, vl, &d)) {
        *err = xstrndup("a malformed value", 17);
        return -1;
    }
    if (d.expire) {
        const char *ik = index_key(&b->kbuf, d.expire, k, kl, &n);
        leveldb_writebatch_put(b->wb, ik, n, "", 0);
        b->vol++;
        b->expire_sum += d.expire / 1000;
    }
    uint64_t h = store_key_hash(k, kl);
    const char *key = encode_key(&b->kbuf, h, k, kl, &n);
    leveldb_writebatch_put(b->wb, key, n, v, vl);
    b->count++;
    if (b->in_coll && b->elems != b->want) return build_count_error(b, err);
    b->in_coll = d.type != STORE_STRING;
    if (b->in_coll && (d.len < STORE_META || d.len > STORE_META_MAX || !chunks_meta_ok(&d))) {
        *err = xstrndup("a collection with malformed metadata", 36);
        return -1;
    }
    if (b->in_coll) {
        memcpy(b->cid, d.p, STORE_CID);
        b->want = records_of(d.type, d.p);
        b->elems = 0;
        b->chunked = d.type == STORE_CHUNKS ? get_u64(d.p + STORE_META) : 0;
    }
    int large = d.len >= STORE_LARGE_VALUE || (b->in_coll && d.p[STORE_META - 1] & STORE_COLL_LARGE);
    if (large && !idmap_get(&b->large, h, 1)) idmap_put(&b->large, h, 1, b);
    b->bytes += kl + vl + 16;
    return b->bytes >= BUILD_BATCH ? build_write(b, f->wopts, err) : 0;
}

int store_build_elem(store *f, store_build *b, const char *sub, size_t sl, const char *v, size_t vl, char **err) {
    if (!b->in_coll) {
        *err = xstrndup("an element without its collection", 33);
        return -1;
    }
    char want[4];
    chunk_sub(want, b->elems);
    uint64_t at = b->elems * STORE_CHUNK;
    if (b->chunked && (sl != 4 || memcmp(sub, want, 4) || at >= b->chunked ||
                       vl != (b->chunked - at < STORE_CHUNK ? b->chunked - at : STORE_CHUNK))) {
        *err = xstrndup("a string's chunk out of place or of the wrong size", 50);
        return -1;
    }
    b->elems++;
    b->kbuf.len = 0;
    buf_append(&b->kbuf, "e", 1);
    buf_append(&b->kbuf, b->cid, STORE_CID);
    buf_append(&b->kbuf, sub, sl);
    leveldb_writebatch_put(b->wb, b->kbuf.data, b->kbuf.len, v, vl);
    b->bytes += b->kbuf.len + vl + 16;
    return b->bytes >= BUILD_BATCH ? build_write(b, f->wopts, err) : 0;
}

uint64_t store_build_count(const store_build *b) { return b->count; }

void store_build_abort(store_build *b) {
    if (!b) return;
    idmap_free(&b->large);
    leveldb_writebatch_destroy(b->wb);
    leveldb_close(b->db);
    remove_tree(b->path);
    free(b->path);
    buf_free(&b->kbuf);
    buf_free(&b->vbuf);
    free(b);
}

/* Sync the new generation, then switch the pointer to it: a crash before
 * the rename keeps the old state, after it the new one. */
int store_build_install(store *f, store_build *b, uint64_t index, uint64_t term, uint64_t time_ms, const char *dels,
                        const char *conf, const char *acl, int removed, char **err) {
    if (b->in_coll && b->elems != b->want) {
        build_count_error(b, err);
        store_build_abort(b);
        return -1;
    }
    write_meta(b->wb, index, term, b->count, b->vol, time_ms);
    uint64_t d[STORE_DEL_BUCKETS];
    for (int i = 0; i < STORE_DEL_BUCKETS; i++) d[i] = dels ? get_u64(dels + 8 * i) : index;  /* none: every key maybe */
    put_dels(b->wb, d);
    char m[8];
    set_u64(m, STORE_FORMAT);
    leveldb_writebatch_put(b->wb, META_FORMAT, strlen(META_FORMAT), m, 8);
    leveldb_writebatch_put(b->wb, META_CONF, strlen(META_CONF), conf, strlen(conf));
    if (acl) leveldb_writebatch_put(b->wb, META_ACL, strlen(META_ACL), acl, strlen(acl));
    if (removed || f->removed) {
        char v[8];
        set_u64(v, index);
        leveldb_writebatch_put(b->wb, META_REMOVED, strlen(META_REMOVED), v, 8);
        f->removed = 1;
    }
    if (build_write(b, f->wsync, err) < 0) { store_build_abort(b); return -1; }
    if (write_pointer(f->dir, b->gen, index) < 0) {
        *err = errf("Can't switch the state machine pointer in", f->dir);
        store_build_abort(b);
        return -1;
    }
    /* what the old generation had pending is superseded by the image */
    if (f->wb) { leveldb_writebatch_destroy(f->wb); f->wb = NULL; }
    f->batch_bytes = 0;
    f->batch_marked = 0;
    f->garbage = 0;  /* an image holds live collections only */
    f->reclaim_at.len = 0;
    f->cids = 0;
    f->seeds = 0;
    ovl_clear(&f->okeys);
    ovl_clear(&f->oelems);
    ahead_written(f);
    keycache_clear(f->kc);
    f->ref->retired_path = gen_path(f->dir, f->gen);
    gen_ref_release(f->ref);  /* closed and removed now, or when its last view is freed */
    f->db = b->db;
    f->ref = gen_ref_new(b->db);
    f->gen = b->gen;
    f->applied = f->synced = f->written = index;
    f->applied_term = term;
    f->keys = b->count;
    f->volatile_keys = b->vol;
    f->expire_sum = b->expire_sum;
    memcpy(f->dels, d, sizeof(d));
    f->dels_dirty = 0;
    if (time_ms > f->time_ms) f->time_ms = time_ms;
    f->installed_at = index;
    large_replace(f, &b->large);
    free(f->no_space);  /* the handle that failed is gone */
    f->no_space = NULL;
    set_conf(f, conf, strlen(conf));
    set_acl(f, acl, acl ? strlen(acl) : 0);
    publish(f);
    leveldb_writebatch_destroy(b->wb);
    free(b->path);
    buf_free(&b->kbuf);
    buf_free(&b->vbuf);
    free(b);
    return 0;
}
