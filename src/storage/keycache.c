#include "keycache.h"
#include "buf.h"
#include <stdlib.h>
#include <string.h>

/* Open addressing, linear probing; a key's bytes live in chunks that are
 * only ever freed all together (at a clear), so an entry costs no malloc. */
typedef struct entry {
    uint64_t hash, expire;
    const char *key;
    uint32_t klen;
    uint8_t used, found;
} entry;

#define CHUNK (256u << 10)

typedef struct chunk {
    struct chunk *next;
    size_t used;
    char data[];
} chunk;

struct keycache {
    entry *slots;
    size_t nslots, n, max_bytes, chunk_bytes;
    chunk *chunks;  /* the newest first: keys go into it */
    uint64_t clears;
};

keycache *keycache_new(size_t max_bytes) {
    keycache *k = xmalloc(sizeof(*k));
    memset(k, 0, sizeof(*k));
    k->max_bytes = max_bytes;
    k->nslots = 1024;
    k->slots = xmalloc(sizeof(entry) * k->nslots);
    memset(k->slots, 0, sizeof(entry) * k->nslots);
    return k;
}

static void free_chunks(keycache *k) {
    for (chunk *c = k->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    k->chunks = NULL;
    k->chunk_bytes = 0;
}

void keycache_free(keycache *k) {
    if (!k) return;
    free_chunks(k);
    free(k->slots);
    free(k);
}

void keycache_clear(keycache *k) {
    free_chunks(k);
    memset(k->slots, 0, sizeof(entry) * k->nslots);
    k->n = 0;
}

size_t keycache_bytes(const keycache *k) { return k->nslots * sizeof(entry) + k->chunk_bytes; }
uint64_t keycache_clears(const keycache *k) { return k->clears; }

/* The slot of key: where it is, or the empty one where it goes. */
static entry *find(const keycache *k, uint64_t h, const char *key, size_t klen) {
    size_t mask = k->nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        entry *e = &k->slots[i];
        if (!e->used || (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)) return e;
    }
}

int keycache_get(const keycache *k, uint64_t h, const char *key, size_t klen, int *found, uint64_t *expire) {
    if (klen > KEYCACHE_MAX_KEY) return 0;
    const entry *e = find(k, h, key, klen);
    if (!e->used) return 0;
    *found = e->found;
    *expire = e->expire;
    return 1;
}

/* Room for klen more bytes of key, and a table that takes one more
 * entry: grown while the bound allows, else everything forgotten. */
static void make_room(keycache *k, size_t klen) {
    size_t more = k->chunks && k->chunks->used + klen <= CHUNK ? 0 : sizeof(chunk) + CHUNK;
    int grow = (k->n + 1) * 2 > k->nslots;
    size_t table = k->nslots * sizeof(entry) * (grow ? 2 : 1);
    if (table + k->chunk_bytes + more > k->max_bytes) {
        k->clears++;
        keycache_clear(k);
        more = sizeof(chunk) + CHUNK;
        grow = 0;
    }
    if (grow) {
        entry *old = k->slots;
        size_t nold = k->nslots;
        k->nslots *= 2;
        k->slots = xmalloc(sizeof(entry) * k->nslots);
        memset(k->slots, 0, sizeof(entry) * k->nslots);
        for (size_t i = 0; i < nold; i++)
            if (old[i].used) *find(k, old[i].hash, old[i].key, old[i].klen) = old[i];
        free(old);
    }
    if (more) {
        chunk *c = xmalloc(sizeof(chunk) + CHUNK);
        c->used = 0;
        c->next = k->chunks;
        k->chunks = c;
        k->chunk_bytes += sizeof(chunk) + CHUNK;
    }
}

void keycache_put(keycache *k, uint64_t h, const char *key, size_t klen, int found, uint64_t expire) {
    if (klen > KEYCACHE_MAX_KEY) return;
    entry *e = find(k, h, key, klen);
    if (!e->used) {
        make_room(k, klen);
        e = find(k, h, key, klen);  /* the table may have changed */
        chunk *c = k->chunks;
        memcpy(c->data + c->used, key, klen);
        *e = (entry){h, 0, c->data + c->used, (uint32_t)klen, 1, 0};
        c->used += klen;
        k->n++;
    }
    e->found = (uint8_t)(found != 0);
    e->expire = found ? expire : 0;
}
