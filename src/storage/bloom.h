/* bloom: the filter policy of the state machine's LevelDB tables.
 *
 * LevelDB keeps a filter per 2 KB of a table's data, over the keys of the
 * blocks that start there; a point lookup reads a block only when that
 * filter lets its key pass. LevelDB's own bloom filter derives all its
 * probes from one 32-bit hash and a step taken from it, modulo the
 * filter's size. A block that holds a large value has one or two keys,
 * so its filter is 64 bits, where that leaves only 4,096 distinct probe
 * sequences: about one absent key in a hundred passed it (whatever the
 * bits per key), and its lookup read and checksummed the whole block,
 * 100 ms for a 100 MB value. Here each probe mixes the key's 64-bit hash
 * with its own number, so a key passes a small filter only as rarely as
 * the filter's bits allow.
 *
 * Compatibility: the policy keeps LevelDB's name, so tables written
 * before it keep their filters; the filter's last byte tells the kinds
 * apart (LevelDB's: k, at most 30; this policy's first version:
 * BLOOM_TAG | k; its second, with a faster hash and range reduction:
 * BLOOM_TAG2 | k), and each is read its own way. A filter none of them
 * knows lets every key pass, as LevelDB does. */
#ifndef RAFTKV_BLOOM_H
#define RAFTKV_BLOOM_H
#include <leveldb/c.h>
#include <stddef.h>

#define BLOOM_TAG 0x80   /* version 1: BLOOM_TAG | k, read only */
#define BLOOM_TAG2 0xc0  /* version 2, written: BLOOM_TAG2 | k */

/* The policy, for leveldb_options_set_filter_policy (destroyed with
 * leveldb_filterpolicy_destroy). */
leveldb_filterpolicy_t *bloom_policy(int bits_per_key);

/* What the policy does, for tests: a filter of keys (malloc'd, *len
 * bytes), and whether a key may be among those a filter was made of. */
char *bloom_create(int bits_per_key, const char *const *keys, const size_t *lens, int n, size_t *len);
/* The same in a given version (1 or 2; bloom_create writes 2): tests of
 * the tables an earlier build wrote. */
char *bloom_create_version(int version, int bits_per_key, const char *const *keys, const size_t *lens, int n,
                           size_t *len);
int bloom_may_match(const char *key, size_t n, const char *filter, size_t len);
#endif
