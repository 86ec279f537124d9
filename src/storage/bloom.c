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

/* The bits key sets (k of them): each from the key's 64-bit hash mixed
 * with the probe's number (splitmix64's finish), so that even in a
 * filter of 64 bits no two keys share all their probes unless their
 * hashes do: a step derived from the hash leaves a 64-bit filter only
 * 4,096 distinct probe sequences, one key in 4,096 matching any other. */
static void probes(const char *key, size_t n, size_t bits, int k, size_t *at) {
    uint64_t h = store_key_hash(key, n);
    for (int i = 0; i < k; i++) {
        uint64_t x = h + (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL;
        x = (x ^ x >> 30) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ x >> 27) * 0x94d049bb133111ebULL;
        at[i] = (size_t)((x ^ x >> 31) % bits);
    }
}

char *bloom_create(int bits_per_key, const char *const *keys, const size_t *lens, int n, size_t *len) {
    int k = bits_per_key * 69 / 100;  /* ln 2 bits per key: the fewest false matches */
    k = k < 1 ? 1 : k > 30 ? 30 : k;
    size_t bits = (size_t)(n > 0 ? n : 0) * (size_t)bits_per_key;
    bits = bits < 64 ? 64 : (bits + 7) / 8 * 8;
    unsigned char *f = xmalloc(bits / 8 + 1);
    memset(f, 0, bits / 8);
    size_t at[30];
    for (int j = 0; j < n; j++) {
        probes(keys[j], lens[j], bits, k, at);
        for (int i = 0; i < k; i++) f[at[i] / 8] |= (unsigned char)(1u << (at[i] % 8));
    }
    f[bits / 8] = (unsigned char)(BLOOM_TAG | k);
    *len = bits / 8 + 1;
    return (char *)f;
}

int bloom_may_match(const char *key, size_t n, const char *filter, size_t len) {
    const unsigned char *f = (const unsigned char *)filter;
    if (len < 2) return 0;  /* what LevelDB's reads as empty */
    size_t bits = (len - 1) * 8;
    int tag = f[len - 1];
    if (tag <= 30) return ldb_may_match(key, n, f, bits, tag);
    if ((tag & BLOOM_TAG) == 0 || (tag & ~BLOOM_TAG) < 1 || (tag & ~BLOOM_TAG) > 30) return 1;  /* unknown: pass */
    size_t at[30];
    int k = tag & ~BLOOM_TAG;
    probes(key, n, bits, k, at);
    for (int i = 0; i < k; i++)
        if (!(f[at[i] / 8] & (1u << (at[i] % 8)))) return 0;
    return 1;
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
