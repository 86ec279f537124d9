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

/* Of `tries` keys not in a filter of n keys, how many pass it; and
 * whether every one of the n does. */
static int passing(int n, int tries, int *all_in) {
    char **keys, **other;
    size_t *lens, *olens, len;
    char *m1 = make_keys(n, "in:%d", &keys, &lens), *m2 = make_keys(tries, "out:%d", &other, &olens);
    char *f = bloom_create(10, (const char *const *)keys, lens, n, &len);
    *all_in = 1;
    for (int i = 0; i < n; i++) *all_in &= bloom_may_match(keys[i], lens[i], f, len);
    int pass = 0;
    for (int i = 0; i < tries; i++) pass += bloom_may_match(other[i], olens[i], f, len);
    free(f), free(m1), free(m2), free(keys), free(lens), free(other), free(olens);
    return pass;
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
    test_legacy_tables();
    return test_summary("bloom");
}
