/* Unit tests of the key cache: it answers only for keys it was told of,
 * with what it was told last (a value rewritten in place, or moved when
 * it grew); it stays within its bound by forgetting everything at once;
 * keys past KEYCACHE_MAX_KEY and values past KEYCACHE_MAX_VALUE are never
 * kept. Also the arena (arena.h) it keeps its bytes in. */
#include "keycache.h"
#include "arena.h"
#include "store.h"
#include "testlib.h"
#include <stdio.h>
#include <string.h>

static int known(keycache *k, const char *key, keycache_hit *hit) {
    return keycache_get(k, store_key_hash(key, strlen(key)), key, strlen(key), hit);
}

static void put(keycache *k, const char *key, int found, uint64_t expire, const char *val) {
    keycache_put(k, store_key_hash(key, strlen(key)), key, strlen(key), found, expire, val, val ? strlen(val) : 0);
}

static int holds(keycache *k, const char *key, const char *val) {
    keycache_hit h;
    return known(k, key, &h) && h.found && h.raw && h.rawlen == strlen(val) && !memcmp(h.raw, val, h.rawlen);
}

static void test_answers(void) {
    keycache *k = keycache_new(1 << 20);
    keycache_hit h = {-1, 7, NULL, 0};
    CHECK(!known(k, "a", &h) && h.found == -1);
    put(k, "a", 1, 500, NULL);
    put(k, "b", 0, 0, NULL);
    CHECK(known(k, "a", &h) && h.found == 1 && h.expire == 500 && !h.raw);
    CHECK(known(k, "b", &h) && h.found == 0 && h.expire == 0 && !h.raw);
    put(k, "a", 1, 0, "12");
    CHECK(holds(k, "a", "12"));
    put(k, "a", 1, 0, "13");  /* in place */
    CHECK(holds(k, "a", "13"));
    put(k, "a", 1, 0, "a value longer than sixteen bytes");  /* moved */
    CHECK(holds(k, "a", "a value longer than sixteen bytes") && holds(k, "b", "") == 0);
    put(k, "a", 1, 9, NULL);  /* known to exist, value not told: not kept */
    CHECK(known(k, "a", &h) && h.found && h.expire == 9 && !h.raw);
    put(k, "a", 0, 999, "x");  /* deleted: no expiry, no value */
    CHECK(known(k, "a", &h) && h.found == 0 && h.expire == 0 && !h.raw);
    put(k, "", 1, 0, "");  /* the empty key, the empty value */
    CHECK(holds(k, "", ""));
    CHECK(!known(k, "ab", &h));
    keycache_put(k, 42, "x1", 2, 1, 1, NULL, 0);  /* the same hash, another key: not taken for it */
    CHECK(!keycache_get(k, 42, "x2", 2, &h));
    CHECK(keycache_get(k, 42, "x1", 2, &h) && h.expire == 1);
    char big[KEYCACHE_MAX_KEY + 2];
    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    put(k, big, 1, 0, "v");
    CHECK(!known(k, big, &h));
    char bigval[KEYCACHE_MAX_VALUE + 2];
    memset(bigval, 'v', sizeof(bigval) - 1);
    bigval[sizeof(bigval) - 1] = '\0';
    put(k, "c", 1, 3, bigval);
    CHECK(known(k, "c", &h) && h.found && h.expire == 3 && !h.raw);
    bigval[KEYCACHE_MAX_VALUE] = '\0';  /* the longest kept */
    put(k, "c", 1, 3, bigval);
    CHECK(holds(k, "c", bigval));
    keycache_clear(k);
    CHECK(!known(k, "b", &h));
    keycache_free(k);
}

static void test_bound(void) {
    size_t bound = 2u << 20;
    keycache *k = keycache_new(bound);
    char key[32], val[32];
    size_t most = 0;
    for (int i = 0; i < 200000; i++) {
        snprintf(key, sizeof(key), "key:%d", i % 150000);
        snprintf(val, sizeof(val), "%lld", (long long)i * (i % 3 ? 1 : 1000003));  /* some grow */
        put(k, key, 1, (uint64_t)i, val);
        if (keycache_bytes(k) > most) most = keycache_bytes(k);
    }
    CHECK(most <= bound);
    CHECK(keycache_clears(k) > 0);
    int ok = 1;
    keycache_hit h;
    for (int i = 199000; i < 200000; i++) {  /* what is there is the latest */
        snprintf(key, sizeof(key), "key:%d", i % 150000);
        snprintf(val, sizeof(val), "%lld", (long long)i * (i % 3 ? 1 : 1000003));
        if (known(k, key, &h) && (!holds(k, key, val) || h.expire != (uint64_t)i)) ok = 0;
    }
    CHECK(ok);
    CHECK(holds(k, "key:49999", "199999"));
    keycache_free(k);
}

/* The arena under it: small requests share a chunk and stay put while
 * more come; a big one gets a chunk of its own; a reset gives back all
 * but one chunk, and that one serves again. */
static void test_arena(void) {
    arena a = {0};
    CHECK(!arena_fits(&a, 1) && arena_bytes(&a) == 0);
    char *p = arena_copy(&a, "abc", 3);
    size_t one = arena_bytes(&a);
    CHECK(one == arena_chunk_cost(3) && arena_fits(&a, ARENA_CHUNK / 4) && !arena_fits(&a, ARENA_CHUNK / 4 + 1));
    char *big = arena_alloc(&a, ARENA_CHUNK);
    memset(big, 'x', ARENA_CHUNK);
    CHECK(arena_bytes(&a) == one + arena_chunk_cost(ARENA_CHUNK) && arena_fits(&a, 100));
    for (int i = 0; i < 8000; i++) arena_copy(&a, "0123456789012345678901234567890123456789", 40);
    CHECK(!memcmp(p, "abc", 3) && big[ARENA_CHUNK - 1] == 'x');
    CHECK(arena_bytes(&a) == one + arena_chunk_cost(ARENA_CHUNK) + one);  /* 320 kB more: a second chunk */
    arena_reset(&a);
    CHECK(arena_bytes(&a) == one && arena_fits(&a, 1000));
    CHECK(arena_alloc(&a, 0) != NULL);
    arena_free(&a);
    CHECK(arena_bytes(&a) == 0);
}

int main(void) {
    test_answers();
    test_bound();
    test_arena();
    return test_summary("keycache");
}
