/* Unit tests of the store's contract with other threads: a read handle
 * sees whole written batches only, never the open one; a pin is one point
 * in time that survives an install; a view shows the point LevelDB holds,
 * an entry that changed no key included; the large-value marks follow
 * puts, deletes, FLUSHALL, restarts and installs. (Single-threaded: the
 * contract is about what is visible when, not about locking.) */
#include "log.h"
#include "store.h"
#include "testlib.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static int has(store *f, const char *k, const char *want) {
    size_t n;
    char *v = store_get(f, k, strlen(k), &n);
    int ok = want ? v && n == strlen(want) && !memcmp(v, want, n) : !v;
    free(v);
    return ok;
}

static uint64_t view_index(store *f, uint64_t *keys) {
    uint64_t index, term, k;
    store_view *v = store_view_new(f, &index, &term, &k);
    store_view_free(v);
    if (keys) *keys = k;
    return index;
}

static void test_batches(store *f, store *r) {
    uint64_t a = store_applied(f);
    store_put(f, "a", 1, "1", 1);
    store_set_applied(f, a + 1, 1);
    CHECK(has(f, "a", "1"));       /* the store sees its open batch */
    CHECK(has(r, "a", NULL));      /* a read handle does not */
    CHECK(store_applied(r) == a);
    CHECK(store_write_batch(f) == 0);
    CHECK(has(r, "a", "1"));
    CHECK(store_applied(r) == a + 1 && store_keys(r) == store_keys(f));
    /* pinned: one point in time, whatever is written after it */
    store_reader_pin(r);
    store_put(f, "a", 1, "2", 1);
    store_put(f, "b", 1, "x", 1);
    store_set_applied(f, a + 2, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(has(r, "a", "1") && has(r, "b", NULL));
    store_reader_unpin(r);
    CHECK(has(r, "a", "2") && has(r, "b", "x"));
}

static void test_views(store *f) {
    uint64_t a = store_applied(f), keys;
    CHECK(view_index(f, &keys) == a && keys == store_keys(f));
    /* an entry that changed nothing still moves the point a view shows */
    store_set_applied(f, a + 1, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(view_index(f, NULL) == a + 1);
    /* the open batch is not in a view */
    store_put(f, "c", 1, "y", 1);
    store_set_applied(f, a + 2, 1);
    CHECK(view_index(f, NULL) == a + 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(view_index(f, &keys) == a + 2 && keys == store_keys(f));
}

static void test_large(store *f, store *r) {
    size_t big = STORE_LARGE_VALUE;
    char *v = calloc(1, big + 1);
    uint64_t a = store_applied(f);
    store_put(f, "L", 1, v, big);
    store_put(f, "s", 1, v, big - 1);
    store_set_applied(f, ++a, 1);
    CHECK(store_is_large(r, "L", 1) && !store_is_large(r, "s", 1));
    store_put(f, "L", 1, "small", 5);  /* overwritten small */
    store_put(f, "s", 1, v, big + 1);  /* and grown */
    store_set_applied(f, ++a, 1);
    CHECK(!store_is_large(r, "L", 1) && store_is_large(r, "s", 1));
    store_put(f, "L", 1, v, big);
    store_del(f, "s", 1);
    store_set_applied(f, ++a, 1);
    CHECK(store_is_large(f, "L", 1) && !store_is_large(f, "s", 1));
    CHECK(store_write_batch(f) == 0);
    free(v);
}

/* A store opened again finds its large values; FLUSHALL forgets them. */
static store *reopen(store *f) {
    CHECK(store_sync(f) == 0);
    store_close(f);
    char *err = NULL;
    f = store_open(dir, &err);
    CHECK(f != NULL);
    if (!f) { fprintf(stderr, "%s\n", err); exit(1); }
    CHECK(store_is_large(f, "L", 1) && !store_is_large(f, "s", 1) && has(f, "a", "2"));
    return f;
}

/* An install replaces the generation under a pinned handle, which goes
 * on reading the old one until unpinned; the marks are the image's. */
static void test_install(store *f) {
    store *r = store_reader_new(f);
    store_reader_pin(r);
    char *err = NULL;
    store_build *b = store_build_new(f, &err);
    CHECK(b != NULL);
    char *v = calloc(1, STORE_LARGE_VALUE);
    CHECK(store_build_put(f, b, "img", 3, "1", 1, &err) == 0);
    CHECK(store_build_put(f, b, "IMG", 3, v, STORE_LARGE_VALUE, &err) == 0);
    free(v);
    uint64_t at = store_applied(f) + 100;
    CHECK(store_build_install(f, b, at, 2, "1=127.0.0.1:1@2", NULL, 0, &err) == 0);
    CHECK(has(r, "a", "2") && has(r, "img", NULL));  /* the old generation, pinned */
    store_reader_unpin(r);
    CHECK(has(r, "a", NULL) && has(r, "img", "1"));  /* the image */
    CHECK(store_applied(r) == at && store_keys(r) == 2);
    CHECK(store_is_large(r, "IMG", 3) && !store_is_large(r, "L", 1));
    store_reader_free(r);
    uint64_t a = store_applied(f);
    store_clear(f);
    store_set_applied(f, a + 1, 2);
    CHECK(!store_is_large(f, "IMG", 3) && store_keys(f) == 0);
    CHECK(store_write_batch(f) == 0);
}

int main(void) {
    log_level = LL_WARNING;
    snprintf(dir, sizeof(dir), "/tmp/raftkv-test-store-XXXXXX");
    if (!mkdtemp(dir)) return 2;
    char *err = NULL;
    store *f = store_open(dir, &err);
    if (!f) { fprintf(stderr, "%s\n", err); return 2; }
    store *r = store_reader_new(f);
    test_batches(f, r);
    test_views(f);
    test_large(f, r);
    store_reader_free(r);
    f = reopen(f);
    test_install(f);
    store_close(f);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_summary("store");
}
