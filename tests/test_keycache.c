/* Unit tests of the key cache: it answers only for keys it was told of,
 * with what it was told last; it stays within its bound by forgetting
 * everything at once; keys past KEYCACHE_MAX_KEY are never kept. */
#include "keycache.h"
#include "store.h"
#include "testlib.h"
#include <stdio.h>
#include <string.h>

static int known(keycache *k, const char *key, int *found, uint64_t *expire) {
    return keycache_get(k, store_key_hash(key, strlen(key)), key, strlen(key), found, expire);
}

static void put(keycache *k, const char *key, int found, uint64_t expire) {
    keycache_put(k, store_key_hash(key, strlen(key)), key, strlen(key), found, expire);
}

static void test_answers(void) {
    keycache *k = keycache_new(1 << 20);
    int found = -1;
    uint64_t expire = 7;
    CHECK(!known(k, "a", &found, &expire) && found == -1);
    put(k, "a", 1, 500);
    put(k, "b", 0, 0);
    CHECK(known(k, "a", &found, &expire) && found == 1 && expire == 500);
    CHECK(known(k, "b", &found, &expire) && found == 0 && expire == 0);
    put(k, "a", 0, 999);  /* deleted: an absent key has no expiry */
    CHECK(known(k, "a", &found, &expire) && found == 0 && expire == 0);
    put(k, "", 1, 0);     /* the empty key is a key */
    CHECK(known(k, "", &found, &expire) && found == 1);
    CHECK(!known(k, "ab", &found, &expire));
    /* the same hash, another key: not taken for it */
    keycache_put(k, 42, "x1", 2, 1, 1);
    CHECK(!keycache_get(k, 42, "x2", 2, &found, &expire));
    CHECK(keycache_get(k, 42, "x1", 2, &found, &expire) && expire == 1);
    char big[KEYCACHE_MAX_KEY + 2];
    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    put(k, big, 1, 0);
    CHECK(!known(k, big, &found, &expire));
    keycache_clear(k);
    CHECK(!known(k, "b", &found, &expire));
    keycache_free(k);
}

static void test_bound(void) {
    size_t bound = 2u << 20;
    keycache *k = keycache_new(bound);
    char key[32];
    size_t most = 0;
    for (int i = 0; i < 200000; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        put(k, key, 1, (uint64_t)i);
        if (keycache_bytes(k) > most) most = keycache_bytes(k);
    }
    CHECK(most <= bound);
    CHECK(keycache_clears(k) > 0);
    int found, ok = 1;
    uint64_t expire;
    for (int i = 199000; i < 200000; i++) {  /* the latest are there, with their values */
        snprintf(key, sizeof(key), "key:%d", i);
        if (known(k, key, &found, &expire) && (!found || expire != (uint64_t)i)) ok = 0;
    }
    CHECK(ok);
    snprintf(key, sizeof(key), "key:%d", 199999);
    CHECK(known(k, key, &found, &expire));
    keycache_free(k);
}

int main(void) {
    test_answers();
    test_bound();
    return test_summary("keycache");
}
