/* Hashes: HSET, HSETNX, HMSET, HGET, HMGET, HGETALL, HKEYS, HVALS, HLEN,
 * HEXISTS, HDEL, HINCRBY, HINCRBYFLOAT, HSTRLEN, HRANDFIELD, HSCAN, with
 * Redis 7.0's replies and errors. A hash is a collection (store.h,
 * docs/collections.md): its metadata (id, field count, and whether Redis
 * would hold it as a hashtable yet) under its key, one element record per
 * field, the field's 64-bit hash then its bytes, so fields come in hash
 * order and HSCAN's cursor is the hash to resume from, as SCAN's is. */
#include "coll.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis keeps a hash as a listpack until it has more than 512 fields or a
 * field or value longer than 64 bytes, and never goes back (7.0's
 * defaults, built in and in the redis.conf it ships). */
#define LISTPACK_ENTRIES 512
#define LISTPACK_VALUE 64
#define HASH_META (STORE_META + 1)  /* ... then a byte: 1 once a hashtable */

/* key as a hash into h: 1, or 0 when it is not there (h then an empty
 * one to fill), or -1 with WRONGTYPE answered. */
static int hash_get(cmdctx *x, const rstr *key, coll *h) { return coll_get(x, key, STORE_HASH, HASH_META, h); }
/* For a write: as hash_get, a missing hash getting its id. */
static int hash_open(cmdctx *x, const rstr *key, coll *h) { return coll_open(x, key, STORE_HASH, HASH_META, h); }

/* Writes h's metadata back (the key goes with its last field). */
static void hash_save(cmdctx *x, const rstr *key, coll *h) {
    if (h->count > LISTPACK_ENTRIES) h->meta[STORE_META] = 1;
    coll_save(x, key, h);
}

/* Sets field to val; 1 if the field is new. */
static int field_set(cmdctx *x, coll *h, const char *f, size_t fl, const char *val, size_t vl) {
    buf b;
    buf_init(&b);
    coll_sub(h, &b, f, fl);
    sval old;
    int fresh = !h->made || h->count ? !store_elem_get(x->f, h->meta, b.data, b.len, &old) : 1;
    if (!fresh) sval_free(&old);
    store_elem_put(x->f, h->meta, b.data, b.len, val, vl);
    buf_free(&b);
    h->count += (uint64_t)fresh;
    if (fl > LISTPACK_VALUE || vl > LISTPACK_VALUE) h->meta[STORE_META] = 1;
    coll_note_size(h, fl > vl ? fl : vl);
    return fresh;
}

/* HSET key field value [field value ...] ; HMSET likewise, answering +OK */
static void hset_generic(cmdctx *x, int argc, rstr *argv, int ok) {
    if (argc % 2) {
        reply_errorf(x->out, "ERR wrong number of arguments for '%s' command", ok ? "hmset" : "hset");
        return;
    }
    if (!x->f) return;
    coll h;
    if (hash_open(x, &argv[1], &h) < 0) return;
    long long added = 0;
    for (int i = 2; i < argc; i += 2) added += field_set(x, &h, argv[i].p, argv[i].len, argv[i + 1].p, argv[i + 1].len);
    hash_save(x, &argv[1], &h);
    if (ok) reply_ok(x->out); else reply_int(x->out, added);
}
void hset_command(cmdctx *x, int argc, rstr *argv) { hset_generic(x, argc, argv, 0); }
void hmset_command(cmdctx *x, int argc, rstr *argv) { hset_generic(x, argc, argv, 1); }

/* HSETNX key field value */
void hsetnx_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (!x->f) return;
    coll h;
    sval v;
    int r = hash_open(x, &argv[1], &h);
    if (r < 0) return;
    if (r && coll_member_get(x, &h, argv[2].p, argv[2].len, &v)) {
        sval_free(&v);
        reply_int(x->out, 0);
        return;
    }
    field_set(x, &h, argv[2].p, argv[2].len, argv[3].p, argv[3].len);
    hash_save(x, &argv[1], &h);
    reply_int(x->out, 1);
}

/* HGET key field */
void hget_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    coll h;
    sval v;
    int r = hash_get(x, &argv[1], &h);
    if (r < 0) return;
    if (r && coll_member_get(x, &h, argv[2].p, argv[2].len, &v)) reply_bulk(x->out, v.p, v.len);
    else reply_nil(x->out);
    if (r) sval_free(&v);
}

/* HMGET key field [field ...] */
void hmget_command(cmdctx *x, int argc, rstr *argv) {
    coll h;
    int r = hash_get(x, &argv[1], &h);
    if (r < 0) return;
    reply_array(x->out, argc - 2);
    for (int i = 2; i < argc; i++) {
        sval v;
        if (r && coll_member_get(x, &h, argv[i].p, argv[i].len, &v)) reply_bulk(x->out, v.p, v.len);
        else reply_nil(x->out);
        if (r) sval_free(&v);
    }
}

/* HLEN key */
void hlen_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    coll h;
    if (hash_get(x, &argv[1], &h) >= 0) reply_int(x->out, (long long)h.count);
}

/* HEXISTS key field ; HSTRLEN key field */
static void field_probe(cmdctx *x, rstr *argv, int len) {
    coll h;
    sval v;
    int r = hash_get(x, &argv[1], &h);
    if (r < 0) return;
    int found = r && coll_member_get(x, &h, argv[2].p, argv[2].len, &v);
    reply_int(x->out, !found ? 0 : len ? (long long)v.len : 1);
    if (found) sval_free(&v);
}
void hexists_command(cmdctx *x, int argc, rstr *argv) { (void)argc; field_probe(x, argv, 0); }
void hstrlen_command(cmdctx *x, int argc, rstr *argv) { (void)argc; field_probe(x, argv, 1); }

enum { WANT_FIELDS = 1, WANT_VALUES = 2 };

/* HGETALL key ; HKEYS key ; HVALS key (the server runs them off the
 * event loop: a hash may be large) */
static void hash_all(cmdctx *x, rstr *argv, int want) {
    coll h;
    int r = hash_get(x, &argv[1], &h);
    if (r < 0) return;
    reply_array(x->out, (long long)h.count * (want == (WANT_FIELDS | WANT_VALUES) ? 2 : 1));
    if (!r) return;
    store_elems *it = store_elems_new(x->f, h.meta, "", 0);
    const char *k, *v, *f;
    size_t kl, vl, fl;
    while (store_elems_next(it, &k, &kl, &v, &vl) && (f = coll_member(&h, k, kl, &fl))) {
        if (want & WANT_FIELDS) reply_bulk(x->out, f, fl);
        if (want & WANT_VALUES) reply_bulk(x->out, v, vl);
    }
    store_elems_free(it);
}
void hgetall_command(cmdctx *x, int argc, rstr *argv) { (void)argc; hash_all(x, argv, WANT_FIELDS | WANT_VALUES); }
void hkeys_command(cmdctx *x, int argc, rstr *argv) { (void)argc; hash_all(x, argv, WANT_FIELDS); }
void hvals_command(cmdctx *x, int argc, rstr *argv) { (void)argc; hash_all(x, argv, WANT_VALUES); }

/* HDEL key field [field ...] (a hashtable stays one: coll_save keeps the byte) */
void hdel_command(cmdctx *x, int argc, rstr *argv) { coll_remove(x, argc, argv, STORE_HASH, HASH_META); }

/* HINCRBY key field increment */
void hincrby_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long by, v = 0;
    if (!arg_ll(x, &argv[3], &by) || !x->f) return;
    coll h;
    sval s;
    if (hash_open(x, &argv[1], &h) < 0) return;
    int found = !h.made && coll_member_get(x, &h, argv[2].p, argv[2].len, &s), ok = !found || str2ll(s.p, s.len, &v);
    if (found) sval_free(&s);
    if (!ok) { reply_error(x->out, "ERR hash value is not an integer"); return; }
    if (!incr_ll(x, &v, by)) return;
    char tmp[24];
    int n = ll2str(tmp, v);
    field_set(x, &h, argv[2].p, argv[2].len, tmp, (size_t)n);
    hash_save(x, &argv[1], &h);
    reply_int(x->out, v);
}

/* HINCRBYFLOAT key field increment */
void hincrbyfloat_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long double by, v = 0;
    if (!str2ld(argv[3].p, argv[3].len, &by)) { reply_error(x->out, "ERR value is not a valid float"); return; }
    if (isnan(by) || isinf(by)) { reply_error(x->out, "ERR value is NaN or Infinity"); return; }
    if (!x->f) return;
    coll h;
    sval s;
    if (hash_open(x, &argv[1], &h) < 0) return;
    int found = !h.made && coll_member_get(x, &h, argv[2].p, argv[2].len, &s), ok = !found || str2ld(s.p, s.len, &v);
    if (found) sval_free(&s);
    if (!ok) { reply_error(x->out, "ERR hash value is not a float"); return; }
    v += by;
    if (isnan(v) || isinf(v)) { reply_error(x->out, "ERR increment would produce NaN or Infinity"); return; }
    char tmp[5200];
    int n = ld2str(tmp, sizeof(tmp), v);
    field_set(x, &h, argv[2].p, argv[2].len, tmp, (size_t)n);
    hash_save(x, &argv[1], &h);
    reply_bulk(x->out, tmp, (size_t)n);
}

/* HRANDFIELD key [count [WITHVALUES]]: random fields (coll.h: drawn from
 * the entry inside a transaction, else on the node that serves the read;
 * Redis's answer is random too). A positive count gives distinct fields,
 * at most all of them; a negative one |count| fields that may repeat. */
void hrandfield_command(cmdctx *x, int argc, rstr *argv) {
    coll_randmember(x, argc, argv, STORE_HASH, HASH_META, "withvalues", coll_value_bulk, "fields");
}

static coll_value_fn *hash_values(const coll *c) { (void)c; return coll_value_bulk; }

/* HSCAN key cursor [MATCH pattern] [COUNT count]: the cursor is the hash
 * of the next field to visit (fields come in hash order), valid on every
 * node; a field is returned once per full iteration. */
void hscan_command(cmdctx *x, int argc, rstr *argv) {
    coll_scan(x, argc, argv, STORE_HASH, HASH_META, hash_values);
}

const char *hash_encoding(const sval *v) {
    return v->len == HASH_META && !v->p[STORE_META] ? "listpack" : "hashtable";
}
