/* keycache: what the applying thread last knew of recently written or
 * read keys: whether each exists, its expiry and, when small, its stored
 * form. A write whose result does not depend on the old value (SET) then
 * keeps the key count and the expiry index without a LevelDB lookup, a
 * search of the memtable's skip list and of the tables' filters, and a
 * read-modify-write of a small value (INCR) reads it from here. Bounded
 * by bytes: when the next key would pass the bound, everything is
 * forgotten at once (a hot set smaller than the bound stays; a scan over
 * more keys costs one clear per bound's worth). The owner keeps it exact:
 * every change of a key is noted here, or the whole cache cleared. One
 * thread only. */
#ifndef RAFTKV_KEYCACHE_H
#define RAFTKV_KEYCACHE_H
#include <stddef.h>
#include <stdint.h>

typedef struct keycache keycache;

/* Keys longer than this are not kept (looked up each time), nor values
 * (stored forms) longer than KEYCACHE_MAX_VALUE (their key is). */
#define KEYCACHE_MAX_KEY 512
#define KEYCACHE_MAX_VALUE 128

typedef struct keycache_hit {
    int found;
    uint64_t expire;
    const char *raw;  /* the stored form (valid until the next put or clear), or NULL: not kept */
    size_t rawlen;
} keycache_hit;

keycache *keycache_new(size_t max_bytes);
void keycache_free(keycache *k);
/* 1, with *hit filled, when key (of hash h) is known; else 0. */
int keycache_get(const keycache *k, uint64_t h, const char *key, size_t klen, keycache_hit *hit);
/* Records what key now is: found, with its expiry and stored form (raw
 * NULL: not known), or absent. raw must not point into the cache. */
void keycache_put(keycache *k, uint64_t h, const char *key, size_t klen, int found, uint64_t expire,
                  const char *raw, size_t rawlen);
void keycache_clear(keycache *k);
/* Bytes held (table, keys and values), and how many times it was cleared for want of room. */
size_t keycache_bytes(const keycache *k);
uint64_t keycache_clears(const keycache *k);
#endif
