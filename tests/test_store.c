/* Unit tests of the store's contract with other threads: a read handle
 * sees whole written batches only, never the open one; a pin is one point
 * in time that survives an install; a view shows the point LevelDB holds,
 * an entry that changed no key included; the large-value marks follow
 * puts, deletes, FLUSHALL, restarts and installs. (Single-threaded: the
 * contract is about what is visible when, not about locking.) */
#include "log.h"
#include "store.h"
#include "testlib.h"
#include <leveldb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static uint64_t wversion;  /* test_versions' index, checked after a reopen */

static int has(store *f, const char *k, const char *want) {
    sval v;
    int found = store_get(f, k, strlen(k), &v);
    int ok = want ? found && v.len == strlen(want) && !memcmp(v.p, want, v.len) : !found;
    sval_free(&v);
    return ok;
}

static uint64_t expiry_of(store *f, const char *k) {
    sval v;
    uint64_t e = store_get(f, k, strlen(k), &v) ? v.expire : UINT64_MAX;
    sval_free(&v);
    return e;
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
    store_put(f, "a", 1, "1", 1, 0);
    store_set_applied(f, a + 1, 1);
    CHECK(has(f, "a", "1"));       /* the store sees its open batch */
    CHECK(has(r, "a", NULL));      /* a read handle does not */
    CHECK(store_applied(r) == a);
    CHECK(store_write_batch(f) == 0);
    CHECK(has(r, "a", "1"));
    CHECK(store_applied(r) == a + 1 && store_keys(r) == store_keys(f));
    /* pinned: one point in time, whatever is written after it */
    store_reader_pin(r);
    store_put(f, "a", 1, "2", 1, 0);
    store_put(f, "b", 1, "x", 1, 0);
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
    store_put(f, "c", 1, "y", 1, 0);
    store_set_applied(f, a + 2, 1);
    CHECK(view_index(f, NULL) == a + 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(view_index(f, &keys) == a + 2 && keys == store_keys(f));
}

static void test_large(store *f, store *r) {
    size_t big = STORE_LARGE_VALUE;
    char *v = calloc(1, big + 1);
    uint64_t a = store_applied(f);
    store_put(f, "L", 1, v, big, 0);
    store_put(f, "s", 1, v, big - 1, 0);
    store_set_applied(f, ++a, 1);
    CHECK(store_is_large(r, "L", 1) && !store_is_large(r, "s", 1));
    store_put(f, "L", 1, "small", 5, 0);  /* overwritten small: its old value lingers in the tables */
    store_put(f, "s", 1, v, big + 1, 0);  /* and grown */
    store_set_applied(f, ++a, 1);
    CHECK(store_is_large(r, "L", 1) && store_is_large(r, "s", 1));
    store_put(f, "L", 1, v, big, 0);
    store_del(f, "s", 1, NULL);  /* so does a deleted one (until a restart: reopen) */
    store_set_applied(f, ++a, 1);
    CHECK(store_is_large(f, "L", 1) && store_is_large(f, "s", 1) && !store_is_large(f, "never", 5));
    CHECK(store_write_batch(f) == 0);
    free(v);
}

static void collect(void *arg, const char *key, size_t klen) {
    buf *b = arg;
    buf_append(b, key, klen);
    buf_append(b, ",", 1);
}

static int expired_are(store *f, uint64_t now, size_t max, const char *want) {
    buf b;
    buf_init(&b);
    store_expired(f, now, max, collect, &b);
    buf_append(&b, "", 1);
    int ok = !strcmp(b.data, want);
    if (!ok) fprintf(stderr, "expired at %llu: %s, not %s\n", (unsigned long long)now, b.data, want);
    buf_free(&b);
    return ok;
}

/* Expiry travels with the value; the index lists keys soonest first and
 * follows overwrites, deletes and FLUSHALL, in the batch's own write. */
static void test_expiry(store *f) {
    uint64_t a = store_applied(f), vol = store_volatile(f);
    store_put(f, "e1", 2, "v1", 2, 3000);
    store_put(f, "e2", 2, "v2", 2, 1000);
    store_put(f, "e3", 2, "v3", 2, 2000);
    store_put(f, "p", 1, "v", 1, 0);
    CHECK(expiry_of(f, "e1") == 3000 && expiry_of(f, "p") == 0 && has(f, "e2", "v2"));
    CHECK(store_volatile(f) == vol + 3);
    store_set_applied(f, ++a, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(expired_are(f, 1000, 10, ""));  /* expired once the time is past it */
    CHECK(expired_are(f, 2001, 10, "e2,e3,"));
    CHECK(expired_are(f, 9999, 2, "e2,e3,"));
    store_put(f, "e2", 2, "v2", 2, 5000);  /* moved later */
    store_put(f, "e3", 2, "v3", 2, 0);     /* persisted */
    uint64_t was;
    CHECK(store_del(f, "e1", 2, &was) == 1 && was == 3000);
    CHECK(store_del(f, "e1", 2, &was) == 0);
    store_set_applied(f, ++a, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(store_volatile(f) == vol + 1 && expired_are(f, 4000, 10, "") && expired_are(f, 6000, 10, "e2,"));
    CHECK(vol == 0 && store_avg_ttl(f, 0) == 5000 && store_avg_ttl(f, 4000) == 1000 && store_avg_ttl(f, 9000) == 0);
    store_set_time(f, 777);
    CHECK(store_time(f) == 777);
    store_set_time(f, 5);
    CHECK(store_time(f) == 777);  /* never back */
}

/* A write after a read of the same key takes what the read found (no
 * second lookup); any write in between, of that key or another, and a
 * dropped batch make the next write look again: the key count and the
 * expiry index stay exact. */
static void test_read_then_write(store *f) {
    uint64_t keys = store_keys(f), vol = store_volatile(f), a = store_applied(f), was;
    CHECK(has(f, "m1", NULL));
    store_put(f, "m1", 2, "a", 1, 0);  /* new: the read said so */
    store_put(f, "m1", 2, "b", 1, 0);  /* not new, though no read came between */
    CHECK(store_keys(f) == keys + 1);
    CHECK(has(f, "m2", NULL));
    store_put(f, "m2", 2, "a", 1, 4000);
    CHECK(has(f, "m2", "a"));
    store_put(f, "m2", 2, "b", 1, 0);  /* the read saw its expiry: the index loses it */
    CHECK(store_keys(f) == keys + 2 && store_volatile(f) == vol);
    CHECK(has(f, "m3", NULL));
    store_put(f, "m4", 2, "a", 1, 0);  /* another key written after the read... */
    CHECK(store_del(f, "m3", 2, &was) == 0);  /* ...and m3 is still looked up, absent */
    CHECK(has(f, "m1", "b"));
    CHECK(store_del(f, "m1", 2, &was) == 1 && store_del(f, "m1", 2, &was) == 0);
    CHECK(store_keys(f) == keys + 2);
    store_set_applied(f, a + 1, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(has(f, "m2", "b") && store_keys(f) == keys + 2);
    store_put(f, "m2", 2, "c", 1, 0);
    CHECK(store_keys(f) == keys + 2);
}

/* FLUSHALL in the batch that gave a stored key an expiry also removes
 * that expiry's index entry (which is in the batch, not yet in LevelDB);
 * a key written many times in one batch reaches LevelDB as its last
 * write. */
static void test_clear_in_batch(store *f, store *r) {
    uint64_t a = store_applied(f);
    store_put(f, "cb", 2, "1", 1, 0);
    store_set_applied(f, ++a, 1);
    CHECK(store_write_batch(f) == 0);
    store_put(f, "cb", 2, "2", 1, 7000);
    store_put(f, "cn", 2, "3", 1, 8000);  /* new in this batch */
    store_clear(f);
    store_set_applied(f, ++a, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(store_volatile(f) == 0 && store_keys(f) == 0 && expired_are(f, 99999, 10, ""));
    for (int i = 0; i < 100; i++) {
        char v[16];
        snprintf(v, sizeof(v), "%d", i);
        store_put(f, "w", 1, v, strlen(v), 0);
        store_put(f, v, strlen(v), v, strlen(v), 0);
        if (i % 3 == 0) CHECK(store_del(f, v, strlen(v), NULL) == 1);
    }
    store_set_applied(f, ++a, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(has(r, "w", "99") && has(r, "98", "98") && has(r, "99", NULL) && store_keys(r) == 67);
}

static uint64_t version_of(store *f, const char *k) {
    sval v;
    uint64_t e = store_get(f, k, strlen(k), &v) ? v.version : UINT64_MAX;
    sval_free(&v);
    return e;
}

/* For WATCH: a value's version is the index of the entry that wrote it;
 * a deletion marks its key's bucket with its entry's index; both are
 * kept across a reopen (checked there) and FLUSHALL marks every bucket
 * of a key it removes. */
static void test_versions(store *f) {
    uint64_t a = store_applied(f);
    store_put(f, "w1", 2, "x", 1, 0);
    store_set_applied(f, a + 1, 1);
    store_put(f, "w1", 2, "y", 1, 0);
    store_put(f, "w2", 2, "z", 1, 0);
    CHECK(version_of(f, "w1") == a + 2 && version_of(f, "w2") == a + 2);
    CHECK(store_del(f, "w2", 2, NULL) == 1);
    CHECK(store_deleted(f, "w2", 2) == a + 2 && store_deleted(f, "w1", 2) <= a + 2);
    store_set_applied(f, a + 2, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(version_of(f, "w1") == a + 2 && store_deleted(f, "w2", 2) == a + 2);
    wversion = a + 2;
}

static int type_of(store *f, const char *k) {
    sval v;
    int t = store_get(f, k, strlen(k), &v) ? v.type : -1;
    sval_free(&v);
    return t;
}

/* A value's type survives the open batch, a write, an overwrite and (in
 * main) a reopen with its verification; a string stays stored as before
 * types; a type byte that names no type is damage. */
static void test_types(store *f) {
    uint64_t a = store_applied(f), keys = store_keys(f);
    char mh[STORE_META] = {0}, mz[STORE_META] = {0};  /* empty collections: an id and a count of 0 */
    store_new_cid(f, mh);
    store_new_cid(f, mz);
    store_put_typed(f, "ty:h", 4, STORE_HASH, mh, sizeof(mh), 0);
    store_put_typed(f, "ty:z", 4, STORE_ZSET, mz, sizeof(mz), 4102444800000ULL);
    store_put(f, "ty:s", 4, "str", 3, 0);
    sval v;
    CHECK(store_get(f, "ty:h", 4, &v) && v.type == STORE_HASH && v.len == sizeof(mh) && !memcmp(v.p, mh, v.len));
    sval_free(&v);
    CHECK(type_of(f, "ty:s") == STORE_STRING);
    store_set_applied(f, a + 1, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(type_of(f, "ty:z") == STORE_ZSET && expiry_of(f, "ty:z") == 4102444800000ULL);
    CHECK(store_keys(f) == keys + 3 && version_of(f, "ty:h") == a + 1);
    store_put(f, "ty:h", 4, "now a string", 12, 0);
    store_set_applied(f, a + 2, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(type_of(f, "ty:h") == STORE_STRING && has(f, "ty:h", "now a string") && store_keys(f) == keys + 3);
    store_put_typed(f, "ty:z", 4, STORE_ZSET, mz, sizeof(mz), 0);  /* its expiry goes, as reopen() counts them */
    store_set_applied(f, a + 3, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(type_of(f, "ty:z") == STORE_ZSET && expiry_of(f, "ty:z") == 0);
    CHECK(store_value_decode("\x04\x01m", 3, &v) && v.type == STORE_HASH && v.len == 1 && v.p[0] == 'm');
    CHECK(store_value_decode("\x00s", 2, &v) && v.type == STORE_STRING && v.len == 1);
    CHECK(!store_value_decode("\x04\x00m", 3, &v) && !store_value_decode("\x04\x05m", 3, &v));
    CHECK(!store_value_decode("\x04", 1, &v) && !store_value_decode("\x08m", 2, &v));
}

/* The sub-keys of cid an element iterator of f shows from `from`, in its
 * order (checked), "|"-joined with their values as sub=value. */
static void elems_of(store *f, const char *cid, const char *from, buf *out) {
    store_elems *it = store_elems_new(f, cid, from, strlen(from));
    const char *k, *v;
    size_t kl, vl;
    char last[64] = "";
    size_t lastlen = 0;
    int first = 1;
    out->len = 0;
    while (store_elems_next(it, &k, &kl, &v, &vl)) {
        int c = memcmp(last, k, lastlen < kl ? lastlen : kl);
        CHECK(first || c < 0 || (c == 0 && lastlen < kl));
        first = 0;
        lastlen = kl < sizeof(last) ? kl : sizeof(last);
        memcpy(last, k, lastlen);
        buf_append(out, k, kl);
        buf_append(out, "=", 1);
        buf_append(out, v, vl);
        buf_append(out, "|", 1);
    }
    store_elems_free(it);
    buf_append(out, "", 1);  /* NUL: compared as a string */
}

static int elems_are(store *f, const char *cid, const char *from, const char *want) {
    buf b;
    buf_init(&b);
    elems_of(f, cid, from, &b);
    int ok = !strcmp(b.data, want);
    if (!ok) fprintf(stderr, "elements: got \"%s\", wanted \"%s\"\n", b.data, want);
    buf_free(&b);
    return ok;
}

static int elem_is(store *f, const char *cid, const char *sub, const char *want) {
    sval v;
    int found = store_elem_get(f, cid, sub, strlen(sub), &v);
    int ok = want ? found && v.len == strlen(want) && !memcmp(v.p, want, v.len) : !found;
    sval_free(&v);
    return ok;
}

static void put_elems(store *f, const char *cid, int from, int to) {
    char sub[32];
    for (int i = from; i < to; i++) {
        snprintf(sub, sizeof(sub), "m%05d", i);
        store_elem_put(f, cid, sub, strlen(sub), "v", 1);
    }
}

static int count_elems(store *f, const char *cid) {
    store_elems *it = store_elems_new(f, cid, "", 0);
    const char *k, *v;
    size_t kl, vl;
    int n = 0;
    while (store_elems_next(it, &k, &kl, &v, &vl)) n++;
    store_elems_free(it);
    return n;
}

/* One entry's write of n applied entries, each changing key "el:tick". */
static void tick(store *f, int n) {
    for (int i = 0; i < n; i++) {
        store_put(f, "el:tick", 7, "t", 1, 0);
        store_set_applied(f, store_applied(f) + 1, 1);
        CHECK(store_write_batch(f) == 0);
    }
}

/* A collection's metadata: its id and element count. */
static void put_coll(store *f, const char *key, const char *cid, uint64_t n) {
    char m[STORE_META];
    memcpy(m, cid, STORE_CID);
    for (int i = 0; i < 8; i++) m[STORE_CID + i] = (char)(n >> (8 * i));
    store_put_typed(f, key, strlen(key), STORE_HASH, m, sizeof(m), 0);
}

/* The sub-keys of cid below `below`, walking down, "|"-joined as elems_of
 * joins them (so, reversed, they read as a walk up). */
static void elems_down(store *f, const char *cid, const char *below, buf *out) {
    store_elems *it = store_elems_new_rev(f, cid, below, strlen(below));
    const char *k, *v;
    size_t kl, vl;
    buf parts;
    buf_init(&parts);
    out->len = 0;
    while (store_elems_next(it, &k, &kl, &v, &vl)) {  /* each prepended: the walk up's order */
        buf one;
        buf_init(&one);
        buf_append(&one, k, kl);
        buf_append(&one, "=", 1);
        buf_append(&one, v, vl);
        buf_append(&one, "|", 1);
        buf_append(&one, out->data, out->len);
        out->len = 0;
        buf_append(out, one.data, one.len);
        buf_free(&one);
    }
    store_elems_free(it);
    buf_free(&parts);
    buf_append(out, "", 1);
}

/* A walk down shows what a walk up shows, reversed: LevelDB's records,
 * the open batch's new, changed and deleted ones, inside an apply and on
 * a read handle, from the top and from inside the collection. */
static void test_walk_down(store *f, store *r) {
    char cid[STORE_CID];
    store_new_cid(f, cid);
    put_elems(f, cid, 0, 20);
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    buf up, down;
    buf_init(&up);
    buf_init(&down);
    elems_of(r, cid, "", &up);
    elems_down(r, cid, "\xff", &down);
    CHECK(!strcmp(up.data, down.data));
    store_elem_put(f, cid, "m00005", 6, "b", 1);  /* a batch over LevelDB's */
    CHECK(store_elem_del(f, cid, "m00010", 6));
    CHECK(store_elem_del(f, cid, "m00019", 6));
    store_elem_put(f, cid, "a", 1, "first", 5);
    store_elem_put(f, cid, "m00025", 6, "last", 4);
    store_elem_put(f, cid, "m00012x", 7, "mid", 3);
    for (int k = 0; k < 3; k++) {
        const char *below = k == 0 ? "\xff" : k == 1 ? "m00012" : "m00012y";
        elems_of(f, cid, "", &up);
        elems_down(f, cid, below, &down);
        const char *cut = strstr(up.data, below[0] == '\xff' ? "\x01" : below);  /* the walk up, up to below */
        size_t n = cut ? (size_t)(cut - up.data) : strlen(up.data);
        if (k == 2) n = strstr(up.data, "m00013=") - up.data;
        CHECK(strlen(down.data) == n && !memcmp(up.data, down.data, n));
    }
    elems_down(f, cid, "a", &down);
    CHECK(!strcmp(down.data, ""));  /* nothing below the first */
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    elems_of(r, cid, "", &up);
    elems_down(r, cid, "\xff", &down);
    CHECK(!strcmp(up.data, down.data) && strstr(up.data, "a=first|") == up.data && strstr(up.data, "m00025=last|"));
    buf_free(&up);
    buf_free(&down);
}

/* Many collections written in one batch, interleaved (their chains grow
 * the batch's index of collections past its first size): each walk, up
 * and down, sees exactly its own collection's records; the next batch
 * starts with no chains. */
static void test_many_collections(store *f) {
    enum { NC = 300, PER = 4 };
    static char cids[NC][STORE_CID];
    for (int c = 0; c < NC; c++) store_new_cid(f, cids[c]);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < PER; i++)
            for (int c = 0; c < NC; c++) put_elems(f, cids[c], i * 2 + round, i * 2 + round + 1);
        buf up, down;
        buf_init(&up);
        buf_init(&down);
        int ok = 1;
        for (int c = 0; c < NC; c++) {
            elems_of(f, cids[c], "", &up);
            elems_down(f, cids[c], "\xff", &down);
            ok &= (int)(count_elems(f, cids[c])) == PER * (round + 1) && !strcmp(up.data, down.data);
        }
        CHECK(ok);
        buf_free(&up);
        buf_free(&down);
        store_set_applied(f, store_applied(f) + 1, 1);
        CHECK(store_write_batch(f) == 0);
    }
    CHECK(count_elems(f, cids[NC - 1]) == 2 * PER);
}

/* A run of reads from one end (store_elem_get_run, a list's pops) reads
 * ahead; what it answers is always what a plain lookup answers: through
 * pops at both ends, pushes, writes that clear the window, values past
 * its byte bound, reads past the ends, and the collections on either
 * side of it in LevelDB's order. */
/* Sub-keys: positions as 8 big-endian bytes (a list's; a run down walks
 * up to its window), or 9 with a byte after (a run down walks down). */
static size_t sub_len = 8;
static void pos_be(uint64_t p, char *be) {
    for (int k = 0; k < 8; k++) be[k] = (char)(p >> (56 - 8 * k));
    be[8] = 'x';
}

static void val_of(uint64_t p, int big, buf *b) {
    b->len = 0;
    buf_printf(b, "v%llu:", (unsigned long long)p);
    size_t n = !big ? 0 : p == 1990 ? 1200000 : p % 7 == 0 ? 200000 : 0;  /* windows fill by bytes; one is over */
    for (size_t k = 0; k < n; k++) buf_append(b, "x", 1);
}

static int run_read(store *f, const char *cid, int big, uint64_t p, int dir, int expect) {
    char be[9];
    pos_be(p, be);
    sval a, b;
    int ra = store_elem_get_run(f, cid, be, sub_len, dir, &a);
    int rb = store_elem_get(f, cid, be, sub_len, &b);
    buf want;
    buf_init(&want);
    val_of(p, big, &want);
    int ok = ra == expect && rb == expect &&
             (!expect || (a.len == want.len && !memcmp(a.p, want.data, a.len) && b.len == a.len && !memcmp(b.p, a.p, a.len)));
    buf_free(&want);
    sval_free(&a);
    sval_free(&b);
    return ok;
}

static int cid_cmp(const void *a, const void *b) { return memcmp(a, b, STORE_CID); }

static void pop_end(store *f, const char *cid, uint64_t *at, int dir, int *ok) {
    char be[9];
    *ok &= run_read(f, cid, 1, *at, dir, 1);
    pos_be(*at, be);
    store_elem_drop(f, cid, be, sub_len);
    *at += dir;
}

static void read_ahead_with(store *f, store *r) {
    char cids[3][STORE_CID];
    for (int c = 0; c < 3; c++) store_new_cid(f, cids[c]);
    qsort(cids, 3, STORE_CID, cid_cmp);  /* the middle one has neighbours both ways in LevelDB */
    const char *cid = cids[1];
    buf v;
    buf_init(&v);
    uint64_t lo = 1000, hi = 1999;  /* the live positions, [lo, hi] */
    char be[9];
    for (int c = 0; c < 3; c++)
        for (uint64_t p = lo; p <= hi; p++) {
            pos_be(p, be);
            val_of(p, c == 1, &v);
            store_elem_put(f, cids[c], be, sub_len, v.data, v.len);
        }
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    int ok = 1;
    uint64_t fills, hits, rf, rh;
    /* runs within one batch: windows (a read is counted twice: run_read reads with and without a run) */
    uint64_t fills0, hits0;
    store_read_ahead_stats(f, &fills0, &hits0);
    for (int k = 0; k < 300; k++) pop_end(f, cid, &lo, 1, &ok);
    store_read_ahead_stats(f, &fills, &hits);
    CHECK(fills - fills0 >= 5 && hits - hits0 >= 500);
    store_read_ahead_stats(f, &fills0, &hits0);
    for (int k = 0; k < 300; k++) pop_end(f, cid, &hi, -1, &ok);  /* past the 1.2 MB one at 1990 */
    store_read_ahead_stats(f, &fills, &hits);
    CHECK(fills - fills0 >= 5 && hits - hits0 >= 500);
    ok &= run_read(r, cid, 1, lo, 1, 1) && run_read(r, cid, 1, lo + 1, 1, 1);  /* a read handle: lookups only */
    store_read_ahead_stats(r, &rf, &rh);
    CHECK(rf == 0 && rh == 0);
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    uint64_t seed = 12345;
    int writes = 0;
    for (int step = 0; step < 4000 && lo <= hi; step++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned x = (unsigned)(seed >> 33);
        int what = x % 16;
        if (what < 5) {
            pop_end(f, cid, &lo, 1, &ok);
        } else if (what < 10) {
            pop_end(f, cid, &hi, -1, &ok);
        } else if (what < 12) {  /* push at either end */
            uint64_t p = x & 64 ? --lo : ++hi;
            pos_be(p, be);
            val_of(p, 1, &v);
            store_elem_put(f, cid, be, sub_len, v.data, v.len);
        } else if (what == 12) {  /* past the ends, and inside */
            ok &= run_read(f, cid, 1, hi + 1 + x % 3, 1, 0) && run_read(f, cid, 1, lo - 1 - x % 3, -1, 0);
            ok &= run_read(f, cid, 1, lo + (x >> 8) % (hi - lo + 1), x & 1 ? 1 : -1, 1);
        } else if (what == 13) {  /* the neighbours, untouched */
            uint64_t p = 1000 + (x >> 4) % 1000;
            ok &= run_read(f, cids[x & 1 ? 0 : 2], 0, p, x & 2 ? 1 : -1, 1);
        } else {
            store_set_applied(f, store_applied(f) + 1, 1);
            CHECK(store_write_batch(f) == 0);
            writes++;
        }
    }
    CHECK(ok);
    CHECK(writes > 50);
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(run_read(f, cid, 1, lo, 1, lo <= hi));
    CHECK(run_read(f, cid, 1, hi, -1, lo <= hi));
    buf_free(&v);
}

static void test_read_ahead(store *f, store *r) {
    read_ahead_with(f, r);
    sub_len = 9;
    read_ahead_with(f, r);
}

/* Element records: point reads and writes and the ordered walk see the
 * open batch inside an apply, LevelDB alone on a read handle; ids are
 * the entry's index and a count; a collection deleted, replaced,
 * flushed or overwritten in the batch that wrote its elements has them
 * reclaimed by later writes, a budget at a time, and one moved or given
 * new metadata keeps them. */
static void test_elements(store *f, store *r) {
    char c1[STORE_CID], c2[STORE_CID], c3[STORE_CID];
    uint64_t a = store_applied(f);
    store_new_cid(f, c1);
    store_new_cid(f, c2);
    CHECK(memcmp(c1, c2, STORE_CID) < 0 && !memcmp(c1, c2, 8));  /* same entry, next count */
    store_elem_put(f, c1, "b", 1, "2", 1);
    store_elem_put(f, c1, "a", 1, "1", 1);
    store_elem_put(f, c1, "c", 1, "3", 1);
    store_elem_put(f, c2, "a", 1, "other", 5);
    CHECK(elem_is(f, c1, "a", "1") && elem_is(f, c2, "a", "other") && elem_is(f, c1, "zz", NULL));
    CHECK(elem_is(r, c1, "a", NULL) && count_elems(r, c1) == 0);  /* not written yet */
    CHECK(elems_are(f, c1, "", "a=1|b=2|c=3|") && elems_are(f, c1, "b", "b=2|c=3|") && elems_are(f, c2, "", "a=other|"));
    put_coll(f, "el:1", c1, 3);
    put_coll(f, "el:2", c2, 1);
    store_set_applied(f, a + 1, 1);
    CHECK(store_write_batch(f) == 0);
    store_new_cid(f, c3);
    CHECK(memcmp(c3, c1, 8) > 0);  /* a later entry */
    CHECK(elem_is(r, c1, "b", "2") && elems_are(r, c1, "", "a=1|b=2|c=3|"));
    /* LevelDB and the batch merged: one deleted, one overwritten, one new */
    CHECK(store_elem_del(f, c1, "b", 1) == 1 && store_elem_del(f, c1, "b", 1) == 0 && store_elem_del(f, c1, "q", 1) == 0);
    store_elem_put(f, c1, "a", 1, "1b", 2);
    store_elem_put(f, c1, "d", 1, "4", 1);
    CHECK(elems_are(f, c1, "", "a=1b|c=3|d=4|") && elems_are(f, c1, "a\x01", "c=3|d=4|"));
    CHECK(elems_are(r, c1, "", "a=1|b=2|c=3|"));
    put_coll(f, "el:1", c1, 3);  /* new metadata, the same id: the elements stay */
    store_set_applied(f, a + 2, 1);
    CHECK(store_write_batch(f) == 0);
    tick(f, 2);
    CHECK(elems_are(r, c1, "", "a=1b|c=3|d=4|"));
    /* moved: kept; deleted afterwards: reclaimed at the next writes */
    CHECK(store_move(f, "el:1", 4, "el:1m", 5) == 1 && store_move(f, "el:nokey", 8, "el:x", 4) == 0);
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    tick(f, 2);
    CHECK(has(r, "el:1", NULL) && count_elems(r, c1) == 3);
    CHECK(store_del(f, "el:1m", 5, NULL) == 1);
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(count_elems(r, c1) == 3);  /* the marker was in that batch: the next write reclaims */
    tick(f, 1);
    CHECK(count_elems(r, c1) == 0 && count_elems(r, c2) == 1);
    /* made and deleted in one batch; then a big one replaced by a string, a budget at a time */
    char c4[STORE_CID], c5[STORE_CID];
    store_new_cid(f, c4);
    put_elems(f, c4, 0, 10);
    put_coll(f, "el:4", c4, 10);
    CHECK(store_del(f, "el:4", 4, NULL) == 1 && count_elems(f, c4) == 10);
    store_new_cid(f, c5);
    put_elems(f, c5, 0, 2500);
    put_coll(f, "el:5", c5, 2500);
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(count_elems(r, c4) == 10 && count_elems(r, c5) == 2500);
    store_put(f, "el:5", 4, "a string now", 12, 0);
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(count_elems(r, c4) == 0 && count_elems(r, c5) == 2500);  /* c5's marker waits for the next write */
    tick(f, 1);
    CHECK(count_elems(r, c5) == 2500 - 1023);  /* a pass's budget: its marker, then records */
    tick(f, 1);
    CHECK(count_elems(r, c5) == 2500 - 2046);  /* resumed at the record after the last one deleted */
    tick(f, 1);
    CHECK(count_elems(r, c5) == 0 && count_elems(r, c2) == 1 && has(f, "el:5", "a string now"));
    /* FLUSHALL: a collection in LevelDB and one made in the flushing batch */
    char c6[STORE_CID];
    store_new_cid(f, c6);
    put_elems(f, c6, 0, 3);
    put_coll(f, "el:6", c6, 3);
    store_clear(f);
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    tick(f, 1);
    CHECK(count_elems(r, c2) == 0 && count_elems(r, c6) == 0 && store_keys(f) == 1);
    CHECK(store_keys(r) == 1 && has(r, "el:tick", "t"));
}

/* The keys under "it:" an iterator from `from` shows, in its order
 * (checked), as one "|"-joined string, with the expiry of "it:4". */
static void walk(store *f, uint64_t from, buf *out, uint64_t *e4) {
    store_iter *it = store_iter_new(f, from);
    const char *k;
    size_t kl;
    uint64_t h, e, last = 0;
    int n = 0;
    out->len = 0;
    while (store_iter_next(it, &k, &kl, &h, &e)) {
        CHECK(h >= from && h >= last && h == store_key_hash(k, kl));
        last = h;
        if (kl < 3 || memcmp(k, "it:", 3)) continue;
        if (kl == 4 && k[3] == '4') *e4 = e;
        buf_append(out, k, kl);
        buf_append(out, "|", 1);
        n++;
    }
    store_iter_free(it);
}

static int shows(const buf *b, const char *key) {
    char want[32];
    snprintf(want, sizeof(want), "%s|", key);
    size_t n = strlen(want);
    for (size_t i = 0; i + n <= b->len; i++)
        if ((i == 0 || b->data[i - 1] == '|') && !memcmp(b->data + i, want, n)) return 1;
    return 0;
}

/* Inside an apply the store's iterator merges the open batch with
 * LevelDB in LevelDB's order (a transaction's KEYS and SCAN see its own
 * writes); a read handle's shows LevelDB alone. */
static void test_merged_iter(store *f, store *r) {
    uint64_t a = store_applied(f);
    char k[32];
    for (int i = 0; i < 40; i++) store_put(f, k, (size_t)snprintf(k, sizeof(k), "it:%d", i), "v", 1, 0);
    store_set_applied(f, ++a, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(store_del(f, "it:3", 4, NULL) == 1);
    store_put(f, "it:4", 4, "w", 1, 9);
    for (int i = 0; i < 5; i++) store_put(f, k, (size_t)snprintf(k, sizeof(k), "it:new%d", i), "n", 1, 0);
    store_put(f, "it:gone", 7, "g", 1, 0);
    CHECK(store_del(f, "it:gone", 7, NULL) == 1);
    buf b;
    buf_init(&b);
    uint64_t e4 = 0;
    walk(f, 0, &b, &e4);
    CHECK(!shows(&b, "it:3") && shows(&b, "it:4") && e4 == 9 && shows(&b, "it:new4") && !shows(&b, "it:gone"));
    int n = 0;
    for (size_t i = 0; i < b.len; i++) n += b.data[i] == '|';
    CHECK(n == 39 + 5);
    e4 = 0;
    walk(r, 0, &b, &e4);  /* LevelDB alone */
    CHECK(shows(&b, "it:3") && e4 == 0 && !shows(&b, "it:new0"));
    uint64_t mid = store_key_hash("it:new2", 7);
    walk(f, mid, &b, &e4);
    CHECK(shows(&b, "it:new2"));
    for (int i = 0; i < 5; i++) {
        snprintf(k, sizeof(k), "it:new%d", i);
        CHECK(shows(&b, k) == (store_key_hash(k, strlen(k)) >= mid));
    }
    for (int i = 0; i < 40; i++) store_del(f, k, (size_t)snprintf(k, sizeof(k), "it:%d", i), NULL);
    for (int i = 0; i < 5; i++) store_del(f, k, (size_t)snprintf(k, sizeof(k), "it:new%d", i), NULL);
    walk(f, 0, &b, &e4);
    CHECK(b.len == 0);
    store_set_applied(f, ++a, 1);
    CHECK(store_write_batch(f) == 0);
    buf_free(&b);
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
    CHECK(expiry_of(f, "e2") == 5000 && store_volatile(f) == 1 && store_time(f) == 777);
    CHECK(version_of(f, "w1") == wversion && store_deleted(f, "w2", 2) == wversion);
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
    CHECK(store_build_put(f, b, "img", 3, "1", 1, 1, &err) == 0);  /* a plain value, as older images carry */
    CHECK(store_build_put(f, b, "IMG", 3, v, STORE_LARGE_VALUE, 1, &err) == 0);
    /* a stored form with an expiry: indexed as it is built */
    const char ttl[] = {1, 0x10, 0x27, 0, 0, 0, 0, 0, 0, 'z'};  /* expiry 10000, "z" */
    CHECK(store_build_put(f, b, "ttl", 3, ttl, sizeof(ttl), 0, &err) == 0);
    const char bad[] = {7, 'x'};
    CHECK(store_build_put(f, b, "bad", 3, bad, sizeof(bad), 0, &err) == -1 && err);
    free(err);
    err = NULL;
    free(v);
    uint64_t at = store_applied(f) + 100;
    char dels[STORE_DELS_BYTES] = {0};
    dels[8 * 3] = 7;  /* bucket 3: a deletion at index 7 */
    CHECK(store_build_install(f, b, at, 2, 12345, dels, "1=127.0.0.1:1@2", NULL, 0, &err) == 0);
    CHECK(has(r, "a", "2") && has(r, "img", NULL));  /* the old generation, pinned */
    store_reader_unpin(r);
    CHECK(has(r, "a", NULL) && has(r, "img", "1"));  /* the image */
    CHECK(store_applied(r) == at && store_keys(r) == 3 && store_volatile(r) == 1 && store_time(f) >= 12345);
    CHECK(expiry_of(r, "ttl") == 10000 && has(r, "ttl", "z") && expiry_of(r, "img") == 0);
    CHECK(store_is_large(r, "IMG", 3) && !store_is_large(r, "L", 1));
    store_reader_free(r);
    uint64_t a = store_applied(f);
    store_clear(f);
    store_set_applied(f, a + 1, 2);
    CHECK(!store_is_large(f, "IMG", 3) && store_keys(f) == 0 && store_volatile(f) == 0);
    CHECK(store_deleted(f, "IMG", 3) == a + 1 && store_deleted(f, "ttl", 3) == a + 1);
    CHECK(store_write_batch(f) == 0);
}

/* A state machine from before expiry (format 1: values without a tag,
 * no "mformat"), one half-migrated ("mmigrated" names the last key done,
 * its values after that still untagged), are rewritten at open: every
 * value reads back whole, once, with no expiry. */
static void test_migration(void) {
    char d[64];
    snprintf(d, sizeof(d), "/tmp/raftkv-test-migrate-XXXXXX");
    CHECK(mkdtemp(d) != NULL);
    char *err = NULL;
    store *f = store_open(d, &err);
    CHECK(f != NULL);
    uint64_t a = store_applied(f);
    char key[24], val[24];
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof(key), "m%d", i);
        snprintf(val, sizeof(val), "value%d", i);
        store_put(f, key, strlen(key), val, strlen(val), 0);
    }
    store_set_applied(f, a + 1, 1);
    CHECK(store_sync(f) == 0);
    store_close(f);
    for (int half = 0; half < 2; half++) {
        /* strip the tags (format 1); with half, leave a "mmigrated" mark at
         * the 20th key, the ones up to it tagged as a first run left them */
        char path[96];
        snprintf(path, sizeof(path), "%s/fsm-00000001", d);
        leveldb_options_t *o = leveldb_options_create();
        leveldb_t *db = leveldb_open(o, path, &err);
        CHECK(db != NULL);
        leveldb_readoptions_t *ro = leveldb_readoptions_create();
        leveldb_writeoptions_t *wo = leveldb_writeoptions_create();
        leveldb_writebatch_t *wb = leveldb_writebatch_create();
        leveldb_iterator_t *it = leveldb_create_iterator(db, ro);
        int n = 0;
        for (leveldb_iter_seek(it, "k", 1); leveldb_iter_valid(it); leveldb_iter_next(it), n++) {
            size_t kl, vl;
            const char *k = leveldb_iter_key(it, &kl), *v = leveldb_iter_value(it, &vl);
            if (k[0] != 'k') break;
            sval d;
            CHECK(store_value_decode(v, vl, &d));
            if (!half || n >= 20) leveldb_writebatch_put(wb, k, kl, d.p, d.len);
            if (half && n == 19) leveldb_writebatch_put(wb, "mmigrated", 9, k, kl);
        }
        leveldb_iter_destroy(it);
        leveldb_writebatch_delete(wb, "mformat", 7);
        leveldb_write(db, wo, wb, &err);
        CHECK(err == NULL);
        leveldb_writebatch_destroy(wb);
        leveldb_writeoptions_destroy(wo);
        leveldb_readoptions_destroy(ro);
        leveldb_close(db);
        leveldb_options_destroy(o);
        f = store_open(d, &err);
        CHECK(f != NULL && store_keys(f) == 50 && store_volatile(f) == 0);
        int whole = 1;
        for (int i = 0; f && i < 50; i++) {
            snprintf(key, sizeof(key), "m%d", i);
            snprintf(val, sizeof(val), "value%d", i);
            whole &= has(f, key, val) && expiry_of(f, key) == 0;
        }
        CHECK(whole);
        store_close(f);
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", d);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", d);
}

/* After a batch of many keys the overlay shrinks (store.c, clear_pend):
 * small batches after it still see their own writes, over and over. */
static void test_big_then_small(store *f) {
    uint64_t a = store_applied(f);
    char k[32];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(k, sizeof(k), "bs:%d", i);
        store_put(f, k, (size_t)n, "v", 1, 0);
    }
    CHECK(has(f, "bs:19999", "v"));
    store_set_applied(f, ++a, 1);
    CHECK(store_write_batch(f) == 0);
    int ok = 1;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 200; i++) {
            int n = snprintf(k, sizeof(k), "bs:%d", i * 7);
            store_put(f, k, (size_t)n, round == 1 ? "w" : "x", 1, 0);
        }
        ok &= has(f, "bs:0", round == 1 ? "w" : "x") && has(f, "bs:1393", round == 1 ? "w" : "x") &&
              has(f, "bs:1", "v") && has(f, "bs:no", NULL);
        store_set_applied(f, ++a, 1);
        ok &= store_write_batch(f) == 0;
    }
    CHECK(ok);
    CHECK(has(f, "bs:7", "x") && has(f, "bs:19999", "v"));
}

/* A view of f that hands out collections' elements too. */
static store_view *view_elems(store *f, uint64_t *idx, uint64_t *term) {
    uint64_t keys;
    store_view *v = store_view_new(f, idx, term, &keys);
    store_view_elements(v);
    return v;
}

/* f's state through a view with elements into another store's build, as
 * an image carries it: the collection and its 3 elements arrive, and the
 * copy passes the start-up check. */
static void copy_through_view(store *f, const char *c) {
    char d3[64], *err = NULL;
    snprintf(d3, sizeof(d3), "/tmp/raftkv-test-store-XXXXXX");
    if (!mkdtemp(d3)) { CHECK(0); return; }
    store *g = store_open(d3, &err);
    store_build *b = store_build_new(g, &err);
    CHECK(store_build_elem(g, b, "x", 1, "y", 1, &err) == -1 && err);  /* no collection yet */
    free(err);
    err = NULL;
    uint64_t idx, term;
    store_view *v = view_elems(f, &idx, &term);
    const char *k, *val;
    size_t kl, vl;
    int r, nk = 0, ne = 0;
    while ((r = store_view_next(v, &k, &kl, &val, &vl))) {
        nk += r == 1;
        ne += r == 2;
        CHECK((r == 1 ? store_build_put(g, b, k, kl, val, vl, 0, &err) : store_build_elem(g, b, k, kl, val, vl, &err)) == 0);
    }
    store_view_free(v);
    CHECK(nk == 1 && ne == 3);
    CHECK(store_build_install(g, b, idx, term, 0, NULL, "1=127.0.0.1:1@2", NULL, 0, &err) == 0);
    CHECK(count_elems(g, c) == 3 && store_keys(g) == 1);
    store_close(g);
    g = store_open(d3, &err);
    CHECK(g && count_elems(g, c) == 3);
    store_close(g);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", d3);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", d3);
}

/* A store in a new directory (d: 64 bytes), and that directory removed. */
static store *fresh(char *d) {
    char *err = NULL;
    snprintf(d, 64, "/tmp/raftkv-test-store-XXXXXX");
    if (!mkdtemp(d)) return NULL;
    return store_open(d, &err);
}

static void remove_dir(const char *d) {
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", d);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", d);
}

/* Applies what was done to f as the next entry, synced, closes f and opens
 * the store again: NULL (the reason in *err) if the start-up check refuses. */
static store *sync_reopen(store *f, const char *d, char **err) {
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_sync(f) == 0);
    store_close(f);
    *err = NULL;
    return store_open(d, err);
}

/* ---- strings kept out of line, in chunks ---- */

static void fill(char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) p[i] = (char)(seed + i * 131 + (i >> 16));
}

static int holds(store *f, const char *k, const char *want, size_t n) {
    sval v;
    int found = store_get(f, k, strlen(k), &v);
    int ok = want ? found && v.type == STORE_STRING && v.len == n && !memcmp(v.p, want, n) && v.p[n] == '\0' : !found;
    sval_free(&v);
    return ok;
}

/* Through a view: the element records that follow key (its chunks), and
 * its collection id (cid, when it has one). */
static int chunks_in_view(store *f, const char *key, char *cid) {
    uint64_t idx, term;
    store_view *v = view_elems(f, &idx, &term);
    const char *k, *val;
    size_t kl, vl;
    int r, mine = 0, n = 0;
    while ((r = store_view_next(v, &k, &kl, &val, &vl))) {
        if (r == 1) {
            mine = kl == strlen(key) && !memcmp(k, key, kl);
            sval d;
            if (mine && cid && store_value_decode(val, vl, &d) && d.type == STORE_CHUNKS) memcpy(cid, d.p, STORE_CID);
        }
        n += r == 2 && mine;
    }
    store_view_free(v);
    return n;
}

/* Every key's type through an iterator (they are strings here): how many. */
static int strings_iterated(store *f) {
    store_iter *it = store_iter_new(f, 0);
    const char *k;
    size_t kl;
    uint64_t h, e;
    int n = 0;
    while (store_iter_next(it, &k, &kl, &h, &e)) n += store_iter_type(it) == STORE_STRING ? 1 : -1000;
    store_iter_free(it);
    return n;
}

/* A string of more than STORE_CHUNK bytes reads back whole (with its open
 * batch, from a read handle pinned or not, a view, after a restart and
 * through an image), is a string to TYPE and SCAN, has its length without
 * its bytes (store_get_head), keeps its chunks through EXPIRE and RENAME,
 * copies, and leaves its chunks to be reclaimed once overwritten or
 * deleted. The start-up check counts its chunks. */
static void test_chunks(void) {
    char d[64], *err = NULL, c1[STORE_CID], c2[STORE_CID];
    store *f = fresh(d), *r = store_reader_new(f);
    const size_t sz[] = {STORE_CHUNK, STORE_CHUNK + 1, 3 * STORE_CHUNK, STORE_LARGE_VALUE + 7};
    const char *names[] = {"c0", "c1", "c2", "c3"};
    const int chunks[] = {0, 2, 3, 17};
    char *val[4];
    for (int i = 0; i < 4; i++) {
        val[i] = malloc(sz[i]);
        fill(val[i], sz[i], (unsigned)i);
        store_put(f, names[i], 2, val[i], sz[i], 0);
    }
    int ok = 1;
    for (int i = 0; i < 4; i++) ok &= holds(f, names[i], val[i], sz[i]) && holds(r, names[i], NULL, 0);
    CHECK(ok);  /* the writer's open batch; a read handle sees none of it */
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    store_reader_pin(r);
    for (int i = 0; i < 4; i++) {
        sval h;
        CHECK(holds(f, names[i], val[i], sz[i]) && holds(r, names[i], val[i], sz[i]));
        CHECK(chunks_in_view(f, names[i], NULL) == chunks[i]);
        CHECK(store_get_head(r, names[i], 2, &h) && h.type == STORE_STRING && h.len == sz[i] &&
              (chunks[i] ? h.p == NULL : h.p != NULL));
        sval_free(&h);
    }
    store_reader_unpin(r);
    CHECK(holds(r, "c3", val[3], sz[3]) && strings_iterated(f) == 4 && strings_iterated(r) == 4);
    CHECK(store_is_large(r, "c3", 2) && !store_is_large(r, "c2", 2));
    uint64_t idx, term, keys;
    store_view *v = store_view_new(f, &idx, &term, &keys);
    sval got;
    CHECK(store_view_get(v, "c2", 2, &got) && got.len == sz[2] && !memcmp(got.p, val[2], sz[2]));
    sval_free(&got);
    /* a pinned handle keeps its point in time while the writer overwrites */
    store_reader_pin(r);
    chunks_in_view(f, "c2", c2);
    store_expire(f, "c2", 2, 9000);  /* the same chunks, another expiry */
    store_put(f, "c3", 2, val[2], sz[2], 0);
    store_put(f, "c3", 2, val[1], sz[1], 0);  /* twice in one batch */
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(holds(r, "c3", val[3], sz[3]) && store_view_get(v, "c3", 2, &got) && got.len == sz[3]);
    sval_free(&got);
    store_view_free(v);
    store_reader_unpin(r);
    CHECK(holds(r, "c3", val[1], sz[1]) && holds(f, "c2", val[2], sz[2]) && expiry_of(f, "c2") == 9000);
    CHECK(chunks_in_view(f, "c2", c1) == 3 && !memcmp(c1, c2, STORE_CID));  /* EXPIRE wrote no chunk */
    /* RENAME moves the metadata only; COPY copies the chunks */
    CHECK(store_move(f, "c2", 2, "m2", 2) == 1 && store_copy(f, "m2", 2, "k2", 2) == 1);
    CHECK(holds(f, "c2", NULL, 0) && holds(f, "m2", val[2], sz[2]) && holds(f, "k2", val[2], sz[2]));
    CHECK(expiry_of(f, "m2") == 9000 && expiry_of(f, "k2") == 9000);
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    chunks_in_view(f, "m2", c1);
    CHECK(!memcmp(c1, c2, STORE_CID) && chunks_in_view(f, "k2", NULL) == 3);
    /* overwritten small, then deleted: the chunks go once reclaimed */
    store_put(f, "m2", 2, "s", 1, 0);
    CHECK(store_del(f, "c1", 2, NULL) == 1 && holds(f, "m2", "s", 1) && holds(f, "c1", NULL, 0));
    chunks_in_view(f, "c1", c1);
    store_reader_free(r);
    f = sync_reopen(f, d, &err);  /* the start-up check: markers, chunks not yet reclaimed */
    CHECK(f != NULL);
    if (!f) { fprintf(stderr, "%s\n", err); exit(1); }
    CHECK(count_elems(f, c2) == 3 && count_elems(f, c1) == 2);
    tick(f, 2);
    CHECK(count_elems(f, c2) == 0 && count_elems(f, c1) == 0);
    CHECK(holds(f, "c0", val[0], sz[0]) && holds(f, "k2", val[2], sz[2]) && holds(f, "c3", val[1], sz[1]));
    CHECK(store_keys(f) == 5);  /* c0, c3, k2, m2 and tick's key */
    CHECK(store_is_large(f, "c3", 2) == 0);
    /* through an image, into another store */
    char d2[64];
    store *g = fresh(d2);
    store_build *b = store_build_new(g, &err);
    v = view_elems(f, &idx, &term);
    const char *k, *vv;
    size_t kl, vl;
    int rr, built = 1;
    while ((rr = store_view_next(v, &k, &kl, &vv, &vl)))
        built &= (rr == 1 ? store_build_put(g, b, k, kl, vv, vl, 0, &err) : store_build_elem(g, b, k, kl, vv, vl, &err)) == 0;
    store_view_free(v);
    CHECK(built && store_build_install(g, b, idx, term, 0, NULL, "1=127.0.0.1:1@2", NULL, 0, &err) == 0);
    CHECK(holds(g, "k2", val[2], sz[2]) && holds(g, "c3", val[1], sz[1]));
    CHECK(store_keys(g) == 5);
    store_close(g);
    remove_dir(d2);
    store_close(f);
    remove_dir(d);
    for (int i = 0; i < 4; i++) free(val[i]);

    /* metadata counting more chunks than there are */
    f = fresh(d);
    char m[STORE_CHUNKS_META] = {0};
    store_new_cid(f, m);
    store_elem_put(f, m, "\0\0\0\0", 4, "x", 1);
    m[STORE_CID] = 2;
    m[STORE_META] = 1;
    m[STORE_META + 2] = 1;  /* 64 KB + 1 bytes: two chunks */
    store_put_typed(f, "bad", 3, STORE_CHUNKS, m, sizeof(m), 0);
    CHECK(sync_reopen(f, d, &err) == NULL && err && strstr(err, "holds 1 elements of a collection whose metadata says 2"));
    free(err);
    remove_dir(d);

    /* a length that does not take that many chunks */
    f = fresh(d);
    memset(m, 0, sizeof(m));
    store_new_cid(f, m);
    store_elem_put(f, m, "\0\0\0\0", 4, "x", 1);
    m[STORE_CID] = 1;
    m[STORE_META] = 1;
    store_put_typed(f, "bad", 3, STORE_CHUNKS, m, sizeof(m), 0);
    CHECK(sync_reopen(f, d, &err) == NULL && err && strstr(err, "malformed values"));
    free(err);
    remove_dir(d);
}

/* Parts of a string kept in chunks, read and written against a copy of
 * it held here: across chunk boundaries, at its end, past it (zeros
 * between), inside the batch that wrote it and after, through a pinned
 * read handle; expiry kept; and a restart's start-up count agrees. */
static void test_chunk_parts(void) {
    char d[64], *err = NULL;
    store *f = fresh(d), *r = store_reader_new(f);
    size_t len = 3 * STORE_CHUNK + 5, cap = 8 * STORE_CHUNK;
    char *ref = calloc(1, cap), *got = malloc(cap), *src = malloc(cap);
    fill(ref, len, 7);
    fill(src, cap, 99);
    store_put(f, "p", 1, ref, len, 4242);
    const struct { uint64_t off; size_t n; } w[] = {
        {10, 5}, {STORE_CHUNK - 3, 7}, {2 * STORE_CHUNK, STORE_CHUNK}, {len, 11},  /* an APPEND */
        {len + 11 + STORE_CHUNK + 9, 3},  /* past the end: zeros between */
        {0, 1}, {5 * STORE_CHUNK - 1, 1}, {STORE_CHUNK, 2 * STORE_CHUNK + 1},
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
        store_write_part(f, "p", 1, w[i].off, src + i * 1000, w[i].n);
        memcpy(ref + w[i].off, src + i * 1000, w[i].n);
        if (w[i].off + w[i].n > len) len = w[i].off + w[i].n;
        ok &= holds(f, "p", ref, len);
        for (uint64_t at = 0; at < len; at += STORE_CHUNK / 3) {  /* parts that cross boundaries */
            size_t n = len - at < STORE_CHUNK ? len - at : STORE_CHUNK;
            store_read_part(f, "p", 1, at, n, got);
            ok &= !memcmp(got, ref + at, n);
        }
        if (i == 3) {  /* the rest in later batches */
            store_set_applied(f, store_applied(f) + 1, 1);
            ok &= store_write_batch(f) == 0;
        }
    }
    CHECK(ok);
    CHECK(expiry_of(f, "p") == 4242);
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    CHECK(chunks_in_view(f, "p", NULL) == (int)((len + STORE_CHUNK - 1) / STORE_CHUNK));
    store_reader_pin(r);
    sval h;
    CHECK(store_get_head(r, "p", 1, &h) && h.len == len && !h.p);
    sval_free(&h);
    store_read_part(r, "p", 1, STORE_CHUNK - 2, 5, got);
    CHECK(!memcmp(got, ref + STORE_CHUNK - 2, 5) && holds(r, "p", ref, len));
    store_reader_unpin(r);
    store_reader_free(r);
    f = sync_reopen(f, d, &err);
    CHECK(f && holds(f, "p", ref, len) && expiry_of(f, "p") == 4242);
    store_close(f);
    remove_dir(d);
    free(ref);
    free(got);
    free(src);
}

/* Part writes that grow a string, followed in the same batch by its
 * deletion, by FLUSHALL, or by nothing: the garbage markers count every
 * chunk written (the start-up check passes, and reclaiming leaves none);
 * a write at a length that is a multiple of the chunk size; an empty
 * one; an image whose chunk is of the wrong size is refused. */
static void test_chunk_parts_batches(void) {
    char d[64], *err = NULL, c1[STORE_CID], c2[STORE_CID];
    store *f = fresh(d);
    size_t len = 2 * STORE_CHUNK;
    char *v = malloc(4 * STORE_CHUNK);
    fill(v, 4 * STORE_CHUNK, 5);
    store_put(f, "g1", 2, v, len, 0);
    store_put(f, "g2", 2, v, len, 0);
    store_put(f, "g3", 2, v, len, 0);
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    chunks_in_view(f, "g1", c1);
    chunks_in_view(f, "g2", c2);
    store_write_part(f, "g3", 2, len, "tail", 4);  /* at a multiple of the chunk size: a third chunk */
    store_write_part(f, "g3", 2, 0, "", 0);        /* empty: the length stays */
    memcpy(v + len, "tail", 4);
    CHECK(holds(f, "g3", v, len + 4));
    store_write_part(f, "g1", 2, 3 * STORE_CHUNK + 10, "x", 1);  /* grown to 4 chunks, then deleted */
    CHECK(store_del(f, "g1", 2, NULL) == 1);
    store_write_part(f, "g2", 2, 3 * STORE_CHUNK, "y", 1);  /* grown: FLUSHALL below takes it */
    f = sync_reopen(f, d, &err);
    CHECK(f != NULL);
    if (!f) { fprintf(stderr, "%s\n", err); exit(1); }
    CHECK(count_elems(f, c1) == 4 && holds(f, "g3", v, len + 4) && holds(f, "g1", NULL, 0));
    char c3[STORE_CID];
    chunks_in_view(f, "g3", c3);
    store_write_part(f, "g3", 2, 5 * STORE_CHUNK, "z", 1);  /* in LevelDB, grown in this batch, then flushed */
    store_clear(f);
    f = sync_reopen(f, d, &err);
    CHECK(f != NULL);
    if (!f) { fprintf(stderr, "%s\n", err); exit(1); }
    tick(f, 2);
    CHECK(count_elems(f, c1) == 0 && count_elems(f, c2) == 0 && count_elems(f, c3) == 0);
    CHECK(store_keys(f) == 1);  /* tick's key */
    /* an image's chunk of the wrong size */
    char d2[64];
    store *g = fresh(d2);
    store_build *b = store_build_new(g, &err);
    char stored[2 + STORE_CHUNKS_META] = {0};  /* tag (a type), type, then a string of 64 KB + 1 in two chunks */
    stored[0] = 4;
    stored[1] = STORE_CHUNKS;
    memset(stored + 2, 1, STORE_CID);
    stored[2 + STORE_CID] = 2;
    stored[2 + STORE_META] = 1;
    stored[2 + STORE_META + 2] = 1;
    CHECK(store_build_put(g, b, "s", 1, stored, sizeof(stored), 0, &err) == 0);
    CHECK(store_build_elem(g, b, "\0\0\0\0", 4, v, STORE_CHUNK, &err) == 0);
    CHECK(store_build_elem(g, b, "\0\0\0\1", 4, v, 2, &err) == -1 && err && strstr(err, "wrong size"));
    free(err);
    store_build_abort(b);
    store_close(g);
    remove_dir(d2);
    store_close(f);
    remove_dir(d);
    free(v);
}

/* Chunks go by their keys once their string is deleted, flushed (from
 * the open batch and from LevelDB) or overwritten, a pass at a time for
 * a string of more chunks than one pass deletes; the start-up check
 * passes in between. */
static void test_chunks_reclaimed(void) {
    char d[64], *err = NULL, ca[STORE_CID], cb[STORE_CID], cc[STORE_CID];
    store *f = fresh(d);
    size_t big = 1030 * (size_t)STORE_CHUNK;  /* more chunks than a pass deletes (1,024 records) */
    char *v = malloc(big);
    fill(v, big, 3);
    store_put(f, "ra", 2, v, 3 * STORE_CHUNK, 0);
    store_put(f, "rc", 2, v, big, 0);
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    store_put(f, "rb", 2, v + 1, 2 * STORE_CHUNK + 1, 0);  /* in the open batch only */
    chunks_in_view(f, "ra", ca);
    chunks_in_view(f, "rc", cc);
    store_clear(f);
    f = sync_reopen(f, d, &err);  /* markers written, nothing reclaimed yet */
    CHECK(f != NULL);
    if (!f) { fprintf(stderr, "%s\n", err); exit(1); }
    CHECK(count_elems(f, ca) == 3 && count_elems(f, cc) == 1030 && store_keys(f) == 0);
    tick(f, 1);
    CHECK(count_elems(f, ca) + count_elems(f, cc) > 0);  /* one pass: not all of them */
    tick(f, 2);
    CHECK(count_elems(f, ca) == 0 && count_elems(f, cc) == 0);
    store_put(f, "rb", 2, v, 2 * STORE_CHUNK + 1, 0);
    store_set_applied(f, store_applied(f) + 1, 1);
    CHECK(store_write_batch(f) == 0);
    chunks_in_view(f, "rb", cb);
    store_put(f, "rb", 2, "short", 5, 0);  /* overwritten: its chunks go */
    f = sync_reopen(f, d, &err);
    CHECK(f && count_elems(f, cb) == 3 && holds(f, "rb", "short", 5));
    if (f) tick(f, 1);
    CHECK(f && count_elems(f, cb) == 0);
    store_close(f);
    remove_dir(d);
    free(v);
}

/* What the start-up check refuses, and what it lets through: elements of
 * no collection; two keys of one collection, and then a live collection
 * marked garbage; a collection deleted with its elements still there
 * (they wait for reclaiming, across the restart). An image whose
 * collection has more or fewer elements than its metadata says is
 * refused as it is built. */
static void test_elements_refused(void) {
    char d[64], c[STORE_CID], *err;
    store *f = fresh(d);
    store_new_cid(f, c);
    put_elems(f, c, 0, 2);  /* no key names c */
    CHECK(sync_reopen(f, d, &err) == NULL && strstr(err, "holds 2 elements of no collection"));
    free(err);
    remove_dir(d);

    f = fresh(d);
    store_new_cid(f, c);
    put_elems(f, c, 0, 1);
    put_coll(f, "k1", c, 1);
    put_coll(f, "k2", c, 1);
    CHECK(sync_reopen(f, d, &err) == NULL && strstr(err, "two keys of one collection"));
    free(err);
    remove_dir(d);

    f = fresh(d);
    store_new_cid(f, c);
    put_elems(f, c, 0, 1);
    put_coll(f, "k1", c, 1);
    put_coll(f, "k2", c, 1);
    CHECK(store_del(f, "k2", 2, NULL) == 1);  /* marks c, which k1 still holds */
    CHECK(sync_reopen(f, d, &err) == NULL && strstr(err, "marks a live collection as garbage"));
    free(err);
    remove_dir(d);

    f = fresh(d);
    store_new_cid(f, c);
    put_elems(f, c, 0, 5);
    put_coll(f, "k1", c, 5);
    f = sync_reopen(f, d, &err);
    CHECK(f && store_del(f, "k1", 2, NULL) == 1);
    f = sync_reopen(f, d, &err);  /* the marker and the elements both written, not yet reclaimed */
    CHECK(f && count_elems(f, c) == 5);
    if (f) tick(f, 1);
    CHECK(f && count_elems(f, c) == 0);
    store_close(f);
    remove_dir(d);

    f = fresh(d);
    store_build *b = store_build_new(f, &err);
    char m[STORE_META] = {0};
    store_new_cid(f, m);
    m[STORE_CID] = 2;  /* two elements, says the metadata */
    char typed[1 + 1 + STORE_META] = {4, STORE_HASH};
    memcpy(typed + 2, m, STORE_META);
    CHECK(store_build_put(f, b, "h", 1, typed, sizeof(typed), 0, &err) == 0);
    CHECK(store_build_elem(f, b, "a", 1, "1", 1, &err) == 0);
    CHECK(store_build_put(f, b, "s", 1, "\0x", 2, 0, &err) == -1 && strstr(err, "1 elements where its metadata says 2"));
    free(err);
    store_build_abort(b);
    b = store_build_new(f, &err);
    CHECK(store_build_put(f, b, "h", 1, typed, sizeof(typed), 0, &err) == 0);
    CHECK(store_build_install(f, b, 10, 1, 0, NULL, "1=127.0.0.1:1@2", NULL, 0, &err) == -1 &&
          strstr(err, "0 elements where its metadata says 2"));
    free(err);
    CHECK(store_build_put(f, b = store_build_new(f, &err), "h", 1, typed, 2 + STORE_CID, 0, &err) == -1 &&
          strstr(err, "malformed metadata"));
    free(err);
    store_build_abort(b);
    store_close(f);
    remove_dir(d);
}

/* The start-up check counts each collection's element records against
 * its metadata: a store that agrees opens (its elements read back), one
 * whose count is off, or with elements of no collection, is refused. */
static void test_elements_verified(void) {
    char d2[64];
    snprintf(d2, sizeof(d2), "/tmp/raftkv-test-store-XXXXXX");
    if (!mkdtemp(d2)) { CHECK(0); return; }
    char *err = NULL, c[STORE_CID], o[STORE_CID];
    store *f = store_open(d2, &err);
    store_new_cid(f, c);
    store_new_cid(f, o);
    put_elems(f, c, 0, 3);
    put_coll(f, "v:1", c, 3);
    store_set_applied(f, 1, 1);
    CHECK(store_sync(f) == 0);
    store_close(f);
    f = store_open(d2, &err);
    CHECK(f && count_elems(f, c) == 3 && elem_is(f, c, "m00001", "v"));
    if (!f) return;
    copy_through_view(f, c);
    put_coll(f, "v:1", c, 4);  /* wrong */
    store_set_applied(f, 2, 1);
    CHECK(store_sync(f) == 0);
    store_close(f);
    CHECK(store_open(d2, &err) == NULL && strstr(err, "holds 3 elements of a collection whose metadata says 4"));
    free(err);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", d2);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", d2);
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
    test_expiry(f);
    test_read_then_write(f);
    test_versions(f);
    test_types(f);
    test_merged_iter(f, r);
    test_big_then_small(f);
    store_reader_free(r);
    f = reopen(f);
    CHECK(type_of(f, "ty:z") == STORE_ZSET && type_of(f, "ty:s") == STORE_STRING);  /* verified at open */
    test_install(f);
    r = store_reader_new(f);
    test_clear_in_batch(f, r);
    test_elements(f, r);
    test_walk_down(f, r);
    test_many_collections(f);
    test_read_ahead(f, r);
    store_reader_free(r);
    store_close(f);
    test_migration();
    test_elements_verified();
    test_elements_refused();
    test_chunks();
    test_chunk_parts();
    test_chunks_reclaimed();
    test_chunk_parts_batches();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_summary("store");
}
