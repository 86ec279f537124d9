#include "fsm.h"
#include "cmd.h"
#include "entry.h"
#include "log.h"
#include <leveldb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A change in the open batch, not yet in LevelDB: reads look here first, so
 * later commands (and later parts of one command: DEL k k) see it. */
typedef struct pend { char *key; size_t klen; char *val; size_t vlen; int deleted; } pend;

struct fsm {
    leveldb_t *db;
    leveldb_options_t *opts;
    leveldb_readoptions_t *ropts;
    leveldb_writeoptions_t *wopts, *wsync;
    leveldb_cache_t *cache;
    leveldb_filterpolicy_t *filter;
    uint64_t applied, keys, synced;
    leveldb_writebatch_t *wb;  /* open batch: entries applied, not yet written */
    size_t batch_bytes;
    pend *pend;
    int npend, pendcap;
    int *slots;                /* open-addressing index into pend, -1 = empty */
    size_t nslots;
    buf kbuf;
};

static const char META_APPLIED[] = "mapplied";
static const char META_KEYS[] = "mkeys";


static uint64_t read_meta(fsm *f, const char *name, char **err) {
    size_t n;
    char *v = leveldb_get(f->db, f->ropts, name, strlen(name), &n, err);
    uint64_t r = (v && n == 8) ? get_u64(v) : 0;
    leveldb_free(v);
    return r;
}

fsm *fsm_open(const char *dir, char **err) {
    fsm *f = xmalloc(sizeof(*f));
    memset(f, 0, sizeof(*f));
    f->opts = leveldb_options_create();
    leveldb_options_set_create_if_missing(f->opts, 1);
    f->cache = leveldb_cache_create_lru(64 << 20);
    leveldb_options_set_cache(f->opts, f->cache);
    f->filter = leveldb_filterpolicy_create_bloom(10);
    leveldb_options_set_filter_policy(f->opts, f->filter);
    leveldb_options_set_write_buffer_size(f->opts, 32 << 20);
    f->ropts = leveldb_readoptions_create();
    f->wopts = leveldb_writeoptions_create();
    f->wsync = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(f->wsync, 1);
    *err = NULL;
    f->db = leveldb_open(f->opts, dir, err);
    if (*err) { fsm_close(f); return NULL; }
    f->applied = f->synced = read_meta(f, META_APPLIED, err);
    if (!*err) f->keys = read_meta(f, META_KEYS, err);
    if (*err) { fsm_close(f); return NULL; }
    return f;
}

void fsm_close(fsm *f) {
    if (!f) return;
    if (f->db) leveldb_close(f->db);
    leveldb_options_destroy(f->opts);
    leveldb_cache_destroy(f->cache);
    leveldb_filterpolicy_destroy(f->filter);
    leveldb_readoptions_destroy(f->ropts);
    leveldb_writeoptions_destroy(f->wopts);
    leveldb_writeoptions_destroy(f->wsync);
    buf_free(&f->kbuf);
    if (f->wb) leveldb_writebatch_destroy(f->wb);
    for (int i = 0; i < f->npend; i++) { free(f->pend[i].key); free(f->pend[i].val); }
    free(f->pend);
    free(f->slots);
    free(f);
}

uint64_t fsm_applied(const fsm *f) { return f->applied; }
uint64_t fsm_keys(const fsm *f) { return f->keys; }

/* FNV-1a with a splitmix64 finish: stable forever, it is on-disk format. */
uint64_t fsm_key_hash(const char *key, size_t klen) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < klen; i++) h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
    h ^= h >> 30; h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27; h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

static void hash_be(char *p, uint64_t h) { for (int i = 0; i < 8; i++) p[i] = (char)(h >> (56 - 8 * i)); }

/* 'k' + big-endian hash + user key, in a reused buffer. */
static const char *dkey(fsm *f, const char *key, size_t klen, size_t *n) {
    char h[9];
    h[0] = 'k';
    hash_be(h + 1, fsm_key_hash(key, klen));
    f->kbuf.len = 0;
    buf_append(&f->kbuf, h, 9);
    buf_append(&f->kbuf, key, klen);
    *n = f->kbuf.len;
    return f->kbuf.data;
}

/* Slot of key in the index: where it is, or the empty slot where it goes. */
static size_t pend_slot(fsm *f, const char *key, size_t klen) {
    size_t mask = f->nslots - 1, i = (size_t)fsm_key_hash(key, klen) & mask;
    for (;; i = (i + 1) & mask) {
        int j = f->slots[i];
        if (j < 0 || (f->pend[j].klen == klen && memcmp(f->pend[j].key, key, klen) == 0)) return i;
    }
}

static pend *find_pend(fsm *f, const char *key, size_t klen) {
    if (!f->npend) return NULL;
    int j = f->slots[pend_slot(f, key, klen)];
    return j < 0 ? NULL : &f->pend[j];
}

static void reindex(fsm *f, size_t nslots) {
    free(f->slots);
    f->nslots = nslots;
    f->slots = xmalloc(sizeof(int) * nslots);
    memset(f->slots, -1, sizeof(int) * nslots);
    for (int j = 0; j < f->npend; j++) f->slots[pend_slot(f, f->pend[j].key, f->pend[j].klen)] = j;
}

char *fsm_get(fsm *f, const char *key, size_t klen, size_t *vlen) {
    pend *p = find_pend(f, key, klen);
    if (p) {
        if (p->deleted) return NULL;
        *vlen = p->vlen;
        return xstrndup(p->val, p->vlen);
    }
    size_t n;
    const char *k = dkey(f, key, klen, &n);
    char *err = NULL;
    char *v = leveldb_get(f->db, f->ropts, k, n, vlen, &err);
    if (err) {
        logmsg(LL_WARNING, "LevelDB read failed: %s", err);
        abort(); /* a read error means the store is broken: never answer wrongly */
    }
    if (!v) return NULL;
    char *copy = xstrndup(v, *vlen);
    leveldb_free(v);
    return copy;
}

int fsm_exists(fsm *f, const char *key, size_t klen) {
    size_t n;
    char *v = fsm_get(f, key, klen, &n);
    free(v);
    return v != NULL;
}

static void remember(fsm *f, const char *key, size_t klen, const char *val, size_t vlen, int deleted) {
    pend *p = find_pend(f, key, klen);
    if (!p) {
        if (f->npend == f->pendcap) {
            f->pendcap = f->pendcap ? f->pendcap * 2 : 64;
            f->pend = xrealloc(f->pend, sizeof(pend) * (size_t)f->pendcap);
        }
        if ((size_t)(f->npend + 1) * 2 > f->nslots) reindex(f, f->nslots ? f->nslots * 2 : 128);
        size_t slot = pend_slot(f, key, klen);
        f->slots[slot] = f->npend;
        p = &f->pend[f->npend++];
        p->key = xstrndup(key, klen);
        p->klen = klen;
        p->val = NULL;
    } else {
        free(p->val);
    }
    p->val = deleted ? NULL : xstrndup(val, vlen);
    p->vlen = vlen;
    p->deleted = deleted;
}

static void batch_open(fsm *f) {
    if (!f->wb) f->wb = leveldb_writebatch_create();
}

void fsm_put(fsm *f, const char *key, size_t klen, const char *val, size_t vlen) {
    if (!fsm_exists(f, key, klen)) f->keys++;
    batch_open(f);
    f->batch_bytes += klen + vlen;
    size_t n;
    const char *k = dkey(f, key, klen, &n);
    leveldb_writebatch_put(f->wb, k, n, val, vlen);
    remember(f, key, klen, val, vlen, 0);
}

int fsm_del(fsm *f, const char *key, size_t klen) {
    if (!fsm_exists(f, key, klen)) return 0;
    f->keys--;
    batch_open(f);
    f->batch_bytes += klen;
    size_t n;
    const char *k = dkey(f, key, klen, &n);
    leveldb_writebatch_delete(f->wb, k, n);
    remember(f, key, klen, NULL, 0, 1);
    return 1;
}

/* Deletes every user key. Runs inside the apply's batch, so a huge
 * keyspace makes a huge batch; acceptable until snapshots land. */
void fsm_flush(fsm *f) {
    fsm_iter *it = fsm_iter_new(f, 0);
    const char *k;
    size_t kl;
    uint64_t h;
    while (fsm_iter_next(it, &k, &kl, &h)) {
        size_t n;
        const char *dk = dkey(f, k, kl, &n);
        batch_open(f);
        leveldb_writebatch_delete(f->wb, dk, n);
        remember(f, k, kl, NULL, 0, 1);
    }
    fsm_iter_free(it);
    f->keys = 0;
}

static void write_meta(fsm *f, leveldb_writebatch_t *wb) {
    char v[8];
    set_u64(v, f->applied);
    leveldb_writebatch_put(wb, META_APPLIED, strlen(META_APPLIED), v, 8);
    set_u64(v, f->keys);
    leveldb_writebatch_put(wb, META_KEYS, strlen(META_KEYS), v, 8);
}

static void clear_pend(fsm *f) {
    for (int i = 0; i < f->npend; i++) { free(f->pend[i].key); free(f->pend[i].val); }
    f->npend = 0;
    if (f->nslots) memset(f->slots, -1, sizeof(int) * f->nslots);
}

/* Writes the open batch, with the applied index and key count it reaches.
 * sync makes it, and every earlier unsynced write, durable. */
static int fsm_write(fsm *f, int sync) {
    if (!f->wb && (!sync || f->synced == f->applied)) return 0;
    batch_open(f);
    write_meta(f, f->wb);
    char *err = NULL;
    leveldb_write(f->db, sync ? f->wsync : f->wopts, f->wb, &err);
    leveldb_writebatch_destroy(f->wb);
    f->wb = NULL;
    f->batch_bytes = 0;
    clear_pend(f);
    if (err) {
        logmsg(LL_WARNING, "LevelDB write failed: %s", err);
        leveldb_free(err);
        return -1;
    }
    if (sync) f->synced = f->applied;
    return 0;
}

#define BATCH_MAX_BYTES (8u << 20)

void fsm_apply(fsm *f, uint64_t index, const char *entry, size_t len, buf *reply) {
    if (index != f->applied + 1) {
        logmsg(LL_WARNING, "fsm_apply: index %llu after applied %llu", (unsigned long long)index,
               (unsigned long long)f->applied);
        abort();
    }
    int type, argc;
    uint64_t time_ms;
    rstr *argv;
    argc = entry_decode(entry, len, &type, &time_ms, &argv);
    if (argc < 0) {
        /* Entries are checksummed before they get here; a bad one is a bug. */
        logmsg(LL_WARNING, "fsm_apply: undecodable entry at index %llu", (unsigned long long)index);
        abort();
    }
    if (type == ENTRY_COMMAND && argc > 0) cmd_apply(f, time_ms, argc, argv, reply);
    free(argv);
    f->applied = index;
    /* Bound the memory of the overlay: big batches go out early, unsynced. */
    if (f->batch_bytes > BATCH_MAX_BYTES && fsm_write(f, 0) != 0) abort();
}

int fsm_sync(fsm *f) { return fsm_write(f, 1); }
int fsm_flush_batch(fsm *f) { return fsm_write(f, 0); }

struct fsm_iter { leveldb_iterator_t *it; int started; };

fsm_iter *fsm_iter_new(fsm *f, uint64_t from) {
    /* Iterators read LevelDB only: write the open batch out first. */
    if (fsm_write(f, 0) != 0) abort();
    fsm_iter *i = xmalloc(sizeof(*i));
    i->it = leveldb_create_iterator(f->db, f->ropts);
    char k[9];
    k[0] = 'k';
    hash_be(k + 1, from);
    leveldb_iter_seek(i->it, k, 9);
    i->started = 0;
    return i;
}

int fsm_iter_next(fsm_iter *i, const char **key, size_t *klen, uint64_t *hash) {
    if (i->started) leveldb_iter_next(i->it);
    i->started = 1;
    if (!leveldb_iter_valid(i->it)) return 0;
    size_t n;
    const char *k = leveldb_iter_key(i->it, &n);
    if (n < 9 || k[0] != 'k') return 0;
    *hash = 0;
    for (int b = 1; b < 9; b++) *hash = *hash << 8 | (unsigned char)k[b];
    *key = k + 9;
    *klen = n - 9;
    return 1;
}

void fsm_iter_free(fsm_iter *i) {
    leveldb_iter_destroy(i->it);
    free(i);
}

uint64_t fsm_disk_size(fsm *f) {
    const char *start = "", *limit = "\xff";
    size_t sl = 0, ll = 1;
    uint64_t size = 0;
    leveldb_approximate_sizes(f->db, 1, &start, &sl, &limit, &ll, &size);
    return size;
}
