/* Unit tests of the tables' filter policy (bloom.h): no key a filter was
 * made of is ever refused; filters of one or two keys (a block holding a
 * large value) let almost no other key pass, which LevelDB's did for
 * about one in a hundred; and tables LevelDB's own policy wrote are still
 * filtered, read its way, with none of their keys refused. */
#include "bloom.h"
#include "testlib.h"
#include <leveldb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *make_keys(int n, const char *fmt, char ***keys, size_t **lens) {
    char *mem = malloc((size_t)n * 32);
    *keys = malloc(sizeof(char *) * (size_t)n);
    *lens = malloc(sizeof(size_t) * (size_t)n);
    for (int i = 0; i < n; i++) {
        (*keys)[i] = mem + 32 * i;
        (*lens)[i] = (size_t)snprintf((*keys)[i], 32, fmt, i);
    }
    return mem;
}

/* Of `tries` keys not in a filter of n keys (of the given version), how
 * many pass it; and whether every one of the n does. */
static int passing_v(int version, int n, int tries, int *all_in) {
    char **keys, **other;
    size_t *lens, *olens, len;
    char *m1 = make_keys(n, "in:%d", &keys, &lens), *m2 = make_keys(tries, "out:%d", &other, &olens);
    char *f = bloom_create_version(version, 10, (const char *const *)keys, lens, n, &len);
    *all_in = 1;
    for (int i = 0; i < n; i++) *all_in &= bloom_may_match(keys[i], lens[i], f, len);
    int pass = 0;
    for (int i = 0; i < tries; i++) pass += bloom_may_match(other[i], olens[i], f, len);
    free(f), free(m1), free(m2), free(keys), free(lens), free(other), free(olens);
    return pass;
}

static int passing(int n, int tries, int *all_in) { return passing_v(2, n, tries, all_in); }

/* A store element's key: 'e', a collection id, a big-endian position
 * (keys that differ only in their last bytes). */
static void elem_key(char *k, uint64_t cid, uint64_t pos) {
    k[0] = 'e';
    for (int i = 0; i < 8; i++) k[1 + i] = (char)(cid >> (56 - 8 * i)), k[9 + i] = (char)(pos >> (56 - 8 * i));
}

/* 100,000 list positions in one filter, 200,000 others (neighbouring
 * positions, another list's) against it: about 1% pass at 10 bits a key,
 * as the bits allow, and none of the 100,000 is refused. */
static void test_element_keys(void) {
    enum { N = 100000, TRIES = 200000 };
    char *mem = malloc((size_t)N * 17), **keys = malloc(sizeof(char *) * N);
    size_t *lens = malloc(sizeof(size_t) * N), len;
    for (int i = 0; i < N; i++) keys[i] = mem + 17 * (size_t)i, lens[i] = 17, elem_key(keys[i], 7, (1ull << 63) + i);
    char *f = bloom_create(10, (const char *const *)keys, lens, N, &len);
    int in = 0, pass = 0;
    for (int i = 0; i < N; i++) in += bloom_may_match(keys[i], 17, f, len);
    char k[17];
    for (int i = 0; i < TRIES; i++) {
        if (i % 2) elem_key(k, 7, (1ull << 63) + N + (uint64_t)i);
        else elem_key(k, 8, (1ull << 63) + (uint64_t)i / 2);
        pass += bloom_may_match(k, 17, f, len);
    }
    CHECKMSG(in == N, "every element key passes its filter (%d of %d)", in, N);
    CHECKMSG(pass < TRIES * 15 / 1000, "element keys not in the filter: %d of %d pass (~1%%)", pass, TRIES);
    free(f), free(mem), free(keys), free(lens);
}

/* Filters the first version wrote (tables of an earlier build) are read
 * its way: none of their keys refused, the others mostly. */
static void test_version_1(void) {
    int all_in;
    int p1 = passing_v(1, 1, 200000, &all_in);
    CHECKMSG(all_in && p1 < 20, "version 1, a filter of 1 key: %d of 200,000 others pass", p1);
    int p1k = passing_v(1, 1000, 200000, &all_in);
    CHECKMSG(all_in && p1k < 4000, "version 1, 1,000 keys: %d of 200,000 others pass (~1%%)", p1k);
}

static void test_filters(void) {
    int all_in;
    int p1 = passing(1, 200000, &all_in);
    CHECKMSG(all_in && p1 < 20, "a filter of 1 key: %d of 200,000 others pass (LevelDB's: about 2,000)", p1);
    int p2 = passing(2, 200000, &all_in);
    CHECKMSG(all_in && p2 < 200, "a filter of 2 keys: %d of 200,000 others pass", p2);
    int p1k = passing(1000, 200000, &all_in);
    CHECKMSG(all_in && p1k < 4000, "a filter of 1,000 keys at 10 bits each: %d of 200,000 others pass (~1%%)", p1k);
    size_t len;
    CHECK(!bloom_may_match("a", 1, "", 0));  /* empty: nothing was in it */
    char *f = bloom_create(10, NULL, NULL, 0, &len);
    CHECK(len == 9 && !bloom_may_match("a", 1, f, len));
    f[len - 1] = 31;  /* a kind of filter neither policy writes: everything passes */
    CHECK(bloom_may_match("a", 1, f, len));
    free(f);
}

/* The test's own policy around bloom.c's, counting refusals. */
static int refused, asked;
static char *t_create(void *s, const char *const *k, const size_t *l, int n, size_t *len) {
    (void)s;
    return bloom_create(10, k, l, n, len);
}
static unsigned char t_match(void *s, const char *k, size_t n, const char *f, size_t len) {
    (void)s;
    int m = bloom_may_match(k, n, f, len);
    refused += !m;
    asked++;
    return (unsigned char)m;
}
static const char *t_name(void *s) { (void)s; return "leveldb.BuiltinBloomFilter2"; }
static void t_destroy(void *s) { (void)s; }

/* A key whose last one to three bytes (LevelDB's hash reads the tail of a
 * key byte by byte) are often 0x80 or more, as in the store's keys. */
static size_t legacy_key(char *k, int i) {
    size_t n = (size_t)snprintf(k, 32, "key:%d", i);
    for (int j = 0; j < i % 4; j++) k[n++] = (char)(0x80 + (i * 37 + j) % 128);
    return n;
}

static leveldb_t *open_db(const char *dir, leveldb_filterpolicy_t *fp, leveldb_options_t **o) {
    *o = leveldb_options_create();
    leveldb_options_set_create_if_missing(*o, 1);
    leveldb_options_set_filter_policy(*o, fp);
    char *err = NULL;
    leveldb_t *db = leveldb_open(*o, dir, &err);
    if (err) fprintf(stderr, "%s\n", err), exit(2);
    return db;
}

static void test_legacy_tables(void) {
    char dir[] = "/tmp/raftkv-test-bloom-XXXXXX";
    if (!mkdtemp(dir)) exit(2);
    leveldb_options_t *o;
    leveldb_filterpolicy_t *builtin = leveldb_filterpolicy_create_bloom(10);
    leveldb_t *db = open_db(dir, builtin, &o);
    leveldb_writeoptions_t *wo = leveldb_writeoptions_create();
    char k[32], *err = NULL;
    for (int i = 0; i < 20000; i++) leveldb_put(db, wo, k, legacy_key(k, i), "v", 1, &err);
    leveldb_compact_range(db, NULL, 0, NULL, 0);  /* tables, with LevelDB's filters */
    leveldb_close(db);
    leveldb_options_destroy(o);
    leveldb_filterpolicy_destroy(builtin);

    leveldb_filterpolicy_t *ours = leveldb_filterpolicy_create(NULL, t_destroy, t_create, t_match, t_name);
    db = open_db(dir, ours, &o);
    leveldb_readoptions_t *ro = leveldb_readoptions_create();
    int found = 0;
    size_t vl;
    for (int i = 0; i < 20000; i++) {
        char *v = leveldb_get(db, ro, k, legacy_key(k, i), &vl, &err);
        found += v != NULL;
        leveldb_free(v);
    }
    CHECKMSG(found == 20000 && refused == 0, "LevelDB's filters refuse none of their keys (%d found, %d refused)",
             found, refused);
    int absent = 0;
    for (int i = 0; i < 20000; i++) {
        char *v = leveldb_get(db, ro, k, (size_t)snprintf(k, sizeof(k), "key:%d:absent", i), &vl, &err);
        absent += v == NULL;
        leveldb_free(v);
    }
    CHECK(absent == 20000);
    CHECKMSG(refused > 19000, "LevelDB's filters still refuse absent keys (%d of 20,000, %d asked)", refused, asked);
    leveldb_readoptions_destroy(ro);
    leveldb_writeoptions_destroy(wo);
    leveldb_close(db);
    leveldb_options_destroy(o);
    leveldb_filterpolicy_destroy(ours);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

int main(void) {
    test_filters();
    test_element_keys();
    test_version_1();
    test_legacy_tables();
    return test_summary("bloom");
}
