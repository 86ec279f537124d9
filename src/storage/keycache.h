/* keycache: what the applying thread last knew of recently written or
 * read keys (whether each exists, and its expiry), so that a write whose
 * result does not depend on the old value (SET) keeps the key count and
 * the expiry index without a LevelDB lookup, each a search of the
 * memtable's skip list and the tables' filters. Bounded by bytes: when
 * the next key would pass the bound, everything is forgotten at once (a
 * hot set smaller than the bound stays; a scan over more keys costs one
 * clear per bound's worth). The owner keeps it exact: every change of a
 * key is noted here, or the whole cache cleared. One thread only. */
#ifndef RAFTKV_KEYCACHE_H
#define RAFTKV_KEYCACHE_H
#include <stddef.h>
#include <stdint.h>

typedef struct keycache keycache;

/* Keys longer than this are not kept (looked up each time). */
#define KEYCACHE_MAX_KEY 512

keycache *keycache_new(size_t max_bytes);
void keycache_free(keycache *k);
/* 1, with *found and *expire, when key (of hash h) is known; else 0. */
int keycache_get(const keycache *k, uint64_t h, const char *key, size_t klen, int *found, uint64_t *expire);
/* Records what key now is: found (and its expiry), or absent. */
void keycache_put(keycache *k, uint64_t h, const char *key, size_t klen, int found, uint64_t expire);
void keycache_clear(keycache *k);
/* Bytes held (table and keys), and how many times it was cleared for want of room. */
size_t keycache_bytes(const keycache *k);
uint64_t keycache_clears(const keycache *k);
#endif
