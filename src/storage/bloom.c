#include "bloom.h"
#include "buf.h"
#include "store.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- LevelDB's filters (tables written before this policy) ---- */

/* LevelDB's Hash() (util/hash.cc), which its filters are built on. */
static uint32_t ldb_hash(const unsigned char *p, size_t n, uint32_t seed) {
    const uint32_t m = 0xc6a4a793;
    uint32_t h = seed ^ (uint32_t)(n * m);
    for (; n >= 4; p += 4, n -= 4) {
        h += (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        h *= m;
        h ^= h >> 16;
    }
    switch (n) {
    case 3: h += (uint32_t)p[2] << 16; /* fall through */
    case 2: h += (uint32_t)p[1] << 8;  /* fall through */
    case 1:
        h += p[0];
        h *= m;
        h ^= h >> 24;
    }
    return h;
}

static int ldb_may_match(const char *key, size_t n, const unsigned char *f, size_t bits, int k) {
    uint32_t h = ldb_hash((const unsigned char *)key, n, 0xbc9f1d34), delta = h >> 17 | h << 15;
    for (int j = 0; j < k; j++, h += delta) {
        size_t b = h % bits;  /* as LevelDB: h widened to bits' type */
        if (!(f[b / 8] & (1u << (b % 8)))) return 0;
    }
    return 1;
}

/* ---- these filters ---- */

/* Version 1 (BLOOM_TAG | k), still read: the bits a key sets (k of
 * them), each from the key's 64-bit hash mixed with the probe's number
 * (splitmix64's finish), so that even in a filter of 64 bits no two keys
 * share all their probes unless their hashes do: a step derived from the
 * hash leaves a 64-bit filter only 4,096 distinct probe sequences, one
 * key in 4,096 matching any other. */
static void probes_v1(const char *key, size_t n, size_t bits, int k, size_t *at) {
    uint64_t h = store_key_hash(key, n);
    for (int i = 0; i < k; i++) {
        uint64_t x = h + (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL;
        x = (x ^ x >> 30) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ x >> 27) * 0x94d049bb133111ebULL;
        at[i] = (size_t)((x ^ x >> 31) % bits);
    }
}

static uint64_t mix64(uint64_t x) {
    x = (x ^ x >> 30) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ x >> 27) * 0x94d049bb133111ebULL;
    return x ^ x >> 31;
}

static uint64_t rotl(uint64_t x, int r) { return x << r | x >> (64 - r); }

/* Version 2's key hash: eight bytes a step (the store's key hash, which
 * keys are ordered by, takes a multiply per byte: a table's filter hashes
 * every key of the table, and that was most of a follower's filter cost
 * under pushes). Fixed forever: tables keep the filters made with it. */
static uint64_t key_hash_v2(const char *key, size_t n) {
    const unsigned char *p = (const unsigned char *)key;
    uint64_t h = 0x243f6a8885a308d3ULL ^ n * 0x9e3779b97f4a7c15ULL, w;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = rotl(h ^ rotl(w * 0x87c37b91114253d5ULL, 31) * 0x4cf5ad432745937fULL, 27) * 5 + 0x52dce729;
    }
    w = 0;
    for (size_t i = 0; i < n; i++) w |= (uint64_t)p[i] << (8 * i);
    h ^= rotl(w * 0x87c37b91114253d5ULL, 31) * 0x4cf5ad432745937fULL;
    return mix64(h);
}

/* Version 2 (BLOOM_TAG2 | k): as version 1, each probe mixed with its
 * number, but from key_hash_v2, and brought into range by a multiply
 * (the high half of x * bits) instead of a 64-bit division. */
static void probes_v2(const char *key, size_t n, size_t bits, int k, size_t *at) {
    uint64_t h = key_hash_v2(key, n);
    for (int i = 0; i < k; i++)
        at[i] = (size_t)(((unsigned __int128)mix64(h + (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL) * bits) >> 64);
}

typedef void probes_fn(const char *key, size_t n, size_t bits, int k, size_t *at);

static int probed(const char *key, size_t n, const unsigned char *f, size_t bits, int k, probes_fn *probes) {
    size_t at[30];
    probes(key, n, bits, k, at);
    for (int i = 0; i < k; i++)
        if (!(f[at[i] / 8] & (1u << (at[i] % 8)))) return 0;
    return 1;
}

char *bloom_create_version(int version, int bits_per_key, const char *const *keys, const size_t *lens, int n,
                           size_t *len) {
    int k = bits_per_key * 69 / 100;  /* ln 2 bits per key: the fewest false matches */
    k = k < 1 ? 1 : k > 30 ? 30 : k;
    size_t bits = (size_t)(n > 0 ? n : 0) * (size_t)bits_per_key;
    bits = bits < 64 ? 64 : (bits + 7) / 8 * 8;
    unsigned char *f = xmalloc(bits / 8 + 1);
    memset(f, 0, bits / 8);
    size_t at[30];
    for (int j = 0; j < n; j++) {
        (version == 1 ? probes_v1 : probes_v2)(keys[j], lens[j], bits, k, at);
        for (int i = 0; i < k; i++) f[at[i] / 8] |= (unsigned char)(1u << (at[i] % 8));
    }
    f[bits / 8] = (unsigned char)((version == 1 ? BLOOM_TAG : BLOOM_TAG2) | k);
    *len = bits / 8 + 1;
    return (char *)f;
}

char *bloom_create(int bits_per_key, const char *const *keys, const size_t *lens, int n, size_t *len) {
    return bloom_create_version(2, bits_per_key, keys, lens, n, len);
}

int bloom_may_match(const char *key, size_t n, const char *filter, size_t len) {
    const unsigned char *f = (const unsigned char *)filter;
    if (len < 2) return 0;  /* what LevelDB's reads as empty */
    size_t bits = (len - 1) * 8;
    int tag = f[len - 1], k = tag & ~BLOOM_TAG2;
    if (tag <= 30) return ldb_may_match(key, n, f, bits, tag);
    if ((tag & BLOOM_TAG2) == BLOOM_TAG2 && k >= 1 && k <= 30) return probed(key, n, f, bits, k, probes_v2);
    if ((tag & BLOOM_TAG2) == BLOOM_TAG && k >= 1 && k <= 30) return probed(key, n, f, bits, k, probes_v1);
    return 1;  /* unknown: pass */
}

/* ---- the policy ---- */

static char *create_cb(void *state, const char *const *keys, const size_t *lens, int n, size_t *len) {
    return bloom_create((int)(intptr_t)state, keys, lens, n, len);
}

static unsigned char match_cb(void *state, const char *key, size_t n, const char *filter, size_t len) {
    (void)state;
    return (unsigned char)bloom_may_match(key, n, filter, len);
}

/* LevelDB's name: a table's filter is found by it (see bloom.h). */
static const char *name_cb(void *state) {
    (void)state;
    return "leveldb.BuiltinBloomFilter2";
}

static void destroy_cb(void *state) { (void)state; }

leveldb_filterpolicy_t *bloom_policy(int bits_per_key) {
    return leveldb_filterpolicy_create((void *)(intptr_t)bits_per_key, destroy_cb, create_cb, match_cb, name_cb);
}
