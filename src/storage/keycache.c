#include "keycache.h"
#include "arena.h"
#include "buf.h"
#include <stdlib.h>
#include <string.h>

/* Open addressing, linear probing; keys' and values' bytes live in an
 * arena, only ever freed all together (at a clear), so an entry costs no
 * malloc. A value is rewritten in place while it fits the room
 * it had; a longer one takes new room (the old is lost until a clear). */
typedef struct entry {
    uint64_t hash, expire;
    char *key, *val;
    uint32_t klen, vlen, vcap;
    uint8_t used, found, has_val;
} entry;

struct keycache {
    entry *slots;
    size_t nslots, n, max_bytes;
    arena mem;
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

void keycache_free(keycache *k) {
    if (!k) return;
    arena_free(&k->mem);
    free(k->slots);
    free(k);
}

void keycache_clear(keycache *k) {
    arena_reset(&k->mem);
    memset(k->slots, 0, sizeof(entry) * k->nslots);
    k->n = 0;
}

size_t keycache_bytes(const keycache *k) { return k->nslots * sizeof(entry) + arena_bytes(&k->mem); }
uint64_t keycache_clears(const keycache *k) { return k->clears; }

/* The slot of key: where it is, or the empty one where it goes. */
static entry *find(const keycache *k, uint64_t h, const char *key, size_t klen) {
    size_t mask = k->nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        entry *e = &k->slots[i];
        if (!e->used || (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)) return e;
    }
}

int keycache_get(const keycache *k, uint64_t h, const char *key, size_t klen, keycache_hit *hit) {
    if (klen > KEYCACHE_MAX_KEY) return 0;
    const entry *e = find(k, h, key, klen);
    if (!e->used) return 0;
    *hit = (keycache_hit){e->found, e->expire, e->has_val ? e->val : NULL, e->vlen};
    return 1;
}

/* Room for bytes more in the arena, and (a new entry) a table that
 * takes one more: grown while the bound allows, else everything
 * forgotten, after which the arena's chunk has room for any key and
 * value. */
static void make_room(keycache *k, size_t bytes, int new_entry) {
    size_t more = arena_fits(&k->mem, bytes) ? 0 : arena_chunk_cost(bytes);
    int grow = new_entry && (k->n + 1) * 2 > k->nslots;
    size_t table = k->nslots * sizeof(entry) * (grow ? 2 : 1);
    if (table + arena_bytes(&k->mem) + more > k->max_bytes) {
        k->clears++;
        keycache_clear(k);
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
}

/* Whether e's value room takes n bytes. */
static int fits(const entry *e, size_t n) { return e->vcap && e->vcap >= n; }

void keycache_put(keycache *k, uint64_t h, const char *key, size_t klen, int found, uint64_t expire,
                  const char *raw, size_t rawlen) {
    if (klen > KEYCACHE_MAX_KEY) return;
    int keep = found && raw && rawlen <= KEYCACHE_MAX_VALUE;
    size_t cap = keep ? (rawlen | 15) + 1 : 0;  /* room to grow a little in place (and never none) */
    entry *e = find(k, h, key, klen);
    if (!e->used || (keep && !fits(e, rawlen))) {
        make_room(k, (e->used ? 0 : klen) + cap, !e->used);
        e = find(k, h, key, klen);  /* the table may have been grown, or cleared */
        if (!e->used) {
            *e = (entry){.hash = h, .key = arena_alloc(&k->mem, klen), .klen = (uint32_t)klen, .used = 1};
            memcpy(e->key, key, klen);
            k->n++;
        }
        if (keep && !fits(e, rawlen)) {
            e->val = arena_alloc(&k->mem, cap);
            e->vcap = (uint32_t)cap;
        }
    }
    e->found = (uint8_t)(found != 0);
    e->expire = found ? expire : 0;
    e->has_val = (uint8_t)keep;
    if (keep) {
        memcpy(e->val, raw, rawlen);
        e->vlen = (uint32_t)rawlen;
    }
}
