/* coll: what the collection families (hashes.c, sets.c) share, inside
 * src/commands only. A collection's metadata read (WRONGTYPE answered),
 * created with a new id, and written back (the key goes with its last
 * member); the hashed sub-key under which hashes and sets keep their
 * members (the member's 64-bit hash, big-endian, then its bytes, after a
 * type's optional prefix), so members come in hash order and a *SCAN
 * cursor is the hash to resume from; random draws, from the entry at
 * apply (the same on every replica) and from this node in a read; the
 * *SCAN walk; and a set of members in memory for the set algebra. */
#ifndef RAFTKV_COLL_H
#define RAFTKV_COLL_H
#include "handlers.h"

#define COLL_HASH_BYTES 8  /* before a member's bytes in its sub-key */
#define SET_META (STORE_META + 1)  /* a set's metadata: ... then a byte, 1 once a hashtable */

typedef struct coll {
    char meta[STORE_META_MAX];
    size_t len;        /* the type's metadata length */
    int type;
    char pre[1];       /* the hashed records' sub-key prefix (a sorted set's), prelen bytes */
    size_t prelen;
    uint64_t count, expire;
    int made;          /* a write made it: it was not there */
} coll;

/* key as a collection of type (len bytes of metadata) into c: 1; 0 when
 * it is not there (c then empty, count 0); -1 with WRONGTYPE answered.
 * Metadata of another length stops the node (never answer from it). */
int coll_get(cmdctx *x, const rstr *key, int type, size_t len, coll *c);
/* As coll_get, for a key that may hold either type (ZUNION's inputs). */
int coll_get_either(cmdctx *x, const rstr *key, int type, size_t len, int type2, size_t len2, coll *c);
/* A new, empty collection of type with a fresh id (inside an apply). */
void coll_new(cmdctx *x, coll *c, int type, size_t len);
/* For a write: as coll_get, a missing collection getting a new id. */
int coll_open(cmdctx *x, const rstr *key, int type, size_t len, coll *c);
/* Writes c's metadata back with its count; without members the key goes. */
void coll_save(cmdctx *x, const rstr *key, coll *c);
/* HDEL / SREM key member [member ...]: the hashed members named go (the
 * key with the last); replied with how many were there. */
void coll_remove(cmdctx *x, int argc, rstr *argv, int type, size_t len);
/* A member or value of n bytes was written: a large one marks c large. */
void coll_note_size(coll *c, size_t n);
/* Whether c has held such an element. */
int coll_large(const coll *c);

/* The hashed sub-key of member p[0..n) into b (replacing its content). */
void coll_sub(const coll *c, buf *b, const char *p, size_t n);
/* 1 and v filled (sval_free it) when c holds the member, else 0. */
int coll_member_get(cmdctx *x, const coll *c, const char *p, size_t n, sval *v);
/* A hashed record's member, from its sub-key (NULL: not one of c's hashed records). */
const char *coll_member(const coll *c, const char *sub, size_t sublen, size_t *n);

/* Randomness: inside an apply drawn from the entry (its index, a count
 * within it and its time), so every replica draws the same; in a read
 * from this node. */
typedef struct coll_rng { uint64_t s; } coll_rng;
void coll_rng_init(cmdctx *x, coll_rng *r);
uint64_t coll_rng_below(coll_rng *r, uint64_t n);

/* Draws want (> 0) of c's hashed records, exactly uniformly (distinct: no
 * repeats, want <= count; else independent draws). Each is appended to
 * recs as member length (u32), value length (u32), member, value; at[i] is
 * where draw i starts. 0, the draws unfinished, once they pass max_bytes.
 * Which records a seed draws is part of what SPOP writes: changing how
 * draws are made changes what replaying a log does (docs/collections.md). */
int coll_draw(cmdctx *x, const coll *c, coll_rng *r, uint64_t want, int distinct, buf *recs, size_t *at,
              uint64_t max_bytes);

/* How a family replies a record's value (NULL: members only). */
typedef void coll_value_fn(buf *out, const char *v, size_t vl);
void coll_value_bulk(buf *out, const char *v, size_t vl);

/* HRANDFIELD / SRANDMEMBER / ZRANDMEMBER after the key: argv[2] the count
 * (argc > 2), argv[3] the WITH... option named opt (NULL: none taken);
 * noun names the members in the error past the draw limit. */
void coll_randmember(cmdctx *x, int argc, rstr *argv, int type, size_t len, const char *opt, coll_value_fn *value,
                     const char *noun);

/* HSCAN / SSCAN / ZSCAN key cursor [MATCH pattern] [COUNT count]: members
 * and, with pick (NULL: members only), each one's value, replied as the
 * function pick chooses for the collection found. */
typedef coll_value_fn *coll_value_pick(const coll *c);
void coll_scan(cmdctx *x, int argc, rstr *argv, int type, size_t len, coll_value_pick *pick);

/* A set of byte strings in memory, in the order they were added, each
 * with vsize bytes of value (0 unless made by memberset_init_values). */
typedef struct memberset {
    buf data;         /* each: u32 length, bytes, value */
    size_t *slots;    /* 1 + offset into data; 0: free */
    size_t cap, n, vsize;
} memberset;
void memberset_init(memberset *s);
void memberset_init_values(memberset *s, size_t vsize);
int memberset_has(const memberset *s, const char *p, size_t n);
/* 1 if p[0..n) is new (added), 0 if it was there. */
int memberset_add(memberset *s, const char *p, size_t n);
/* p[0..n)'s value (vsize bytes, valid until the next add), the member
 * added first (*fresh 1, its value zeroes) if it was not there. */
char *memberset_slot(memberset *s, const char *p, size_t n, int *fresh);
/* Walks the members (a member's value follows its bytes): *at starts at 0; 0 at the end. */
int memberset_next(const memberset *s, size_t *at, const char **p, size_t *n);
void memberset_free(memberset *s);
#endif
