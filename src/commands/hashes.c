/* Hashes: HSET, HSETNX, HMSET, HGET, HMGET, HGETALL, HKEYS, HVALS, HLEN,
 * HEXISTS, HDEL, HINCRBY, HINCRBYFLOAT, HSTRLEN, HRANDFIELD, HSCAN, with
 * Redis 7.0's replies and errors. A hash is a collection (store.h,
 * docs/collections.md): its metadata (id, field count, and whether Redis
 * would hold it as a hashtable yet) under its key, one element record per
 * field, the field's 64-bit hash then its bytes, so fields come in hash
 * order and HSCAN's cursor is the hash to resume from, as SCAN's is. */
#include "handlers.h"
#include "glob.h"
#include "log.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis keeps a hash as a listpack until it has more than 128 fields or a
 * field or value longer than 64 bytes, and never goes back. */
#define LISTPACK_ENTRIES 128
#define LISTPACK_VALUE 64
#define HASH_META (STORE_META + 1)  /* ... then a byte: 1 once a hashtable */

typedef struct hash {
    char meta[HASH_META];
    uint64_t count, expire;
    int made;  /* a write made it (it was not there) */
} hash;

static uint64_t meta_count(const char *m) { return get_u64(m + STORE_CID); }

/* key as a hash into h: 1, or 0 when it is not there (h then an empty
 * one to fill, with a new id if x writes), or -1 with WRONGTYPE answered. */
static int hash_get(cmdctx *x, const rstr *key, hash *h) {
    sval v;
    memset(h, 0, sizeof(*h));
    int found = key_get(x, key, &v);
    if (found && v.type != STORE_HASH) {
        sval_free(&v);
        reply_error(x->out, ERR_WRONGTYPE);
        return -1;
    }
    if (found && v.len != HASH_META) {  /* the start-up check passed it: a bug, never answer from it */
        logmsg(LL_WARNING, "A hash's metadata is malformed (%zu bytes). Stopping: never answer wrongly", v.len);
        abort();
    }
    if (found) {
        memcpy(h->meta, v.p, HASH_META);
        h->count = meta_count(v.p);
        h->expire = v.expire;
    }
    sval_free(&v);
    return found;
}

/* For a write: as hash_get, a missing hash getting its id. */
static int hash_open(cmdctx *x, const rstr *key, hash *h) {
    int r = hash_get(x, key, h);
    if (!r) {
        store_new_cid(x->f, h->meta);
        h->made = 1;
    }
    return r;
}

/* Writes h's metadata back (the key goes with its last field). */
static void hash_save(cmdctx *x, const rstr *key, hash *h) {
    if (!h->count) {
        if (!h->made) store_del(x->f, key->p, key->len, NULL);
        return;
    }
    set_u64(h->meta + STORE_CID, h->count);
    if (h->count > LISTPACK_ENTRIES) h->meta[STORE_META] = 1;
    store_put_typed(x->f, key->p, key->len, STORE_HASH, h->meta, HASH_META, h->expire);
}

/* A field's sub-key: its hash, big-endian, then its bytes (in b). */
static void field_sub(buf *b, const char *f, size_t n) {
    uint64_t hv = store_key_hash(f, n);
    char be[8];
    for (int i = 0; i < 8; i++) be[i] = (char)(hv >> (56 - 8 * i));
    b->len = 0;
    buf_append(b, be, 8);
    buf_append(b, f, n);
}

/* 1 and v filled (sval_free it) when h has field, else 0. */
static int field_get(cmdctx *x, const hash *h, const rstr *field, sval *v) {
    buf b;
    buf_init(&b);
    field_sub(&b, field->p, field->len);
    int found = store_elem_get(x->f, h->meta, b.data, b.len, v);
    buf_free(&b);
    return found;
}

/* Sets field to val; 1 if the field is new. */
static int field_set(cmdctx *x, hash *h, const char *f, size_t fl, const char *val, size_t vl) {
    buf b;
    buf_init(&b);
    field_sub(&b, f, fl);
    sval old;
    int fresh = !h->made || h->count ? !store_elem_get(x->f, h->meta, b.data, b.len, &old) : 1;
    if (!fresh) sval_free(&old);
    store_elem_put(x->f, h->meta, b.data, b.len, val, vl);
    buf_free(&b);
    h->count += (uint64_t)fresh;
    if (fl > LISTPACK_VALUE || vl > LISTPACK_VALUE) h->meta[STORE_META] = 1;
    if (fl >= STORE_LARGE_VALUE || vl >= STORE_LARGE_VALUE) h->meta[STORE_META - 1] |= STORE_COLL_LARGE;
    return fresh;
}

/* HSET key field value [field value ...] ; HMSET likewise, answering +OK */
static void hset_generic(cmdctx *x, int argc, rstr *argv, int ok) {
    if (argc % 2) {
        reply_errorf(x->out, "ERR wrong number of arguments for '%s' command", ok ? "hmset" : "hset");
        return;
    }
    if (!x->f) return;
    hash h;
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
    hash h;
    sval v;
    int r = hash_open(x, &argv[1], &h);
    if (r < 0) return;
    if (r && field_get(x, &h, &argv[2], &v)) {
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
    hash h;
    sval v;
    int r = hash_get(x, &argv[1], &h);
    if (r < 0) return;
    if (r && field_get(x, &h, &argv[2], &v)) reply_bulk(x->out, v.p, v.len);
    else reply_nil(x->out);
    if (r) sval_free(&v);
}

/* HMGET key field [field ...] */
void hmget_command(cmdctx *x, int argc, rstr *argv) {
    hash h;
    int r = hash_get(x, &argv[1], &h);
    if (r < 0) return;
    reply_array(x->out, argc - 2);
    for (int i = 2; i < argc; i++) {
        sval v;
        if (r && field_get(x, &h, &argv[i], &v)) reply_bulk(x->out, v.p, v.len);
        else reply_nil(x->out);
        if (r) sval_free(&v);
    }
}

/* HLEN key */
void hlen_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    hash h;
    if (hash_get(x, &argv[1], &h) >= 0) reply_int(x->out, (long long)h.count);
}

/* HEXISTS key field ; HSTRLEN key field */
static void field_probe(cmdctx *x, rstr *argv, int len) {
    hash h;
    sval v;
    int r = hash_get(x, &argv[1], &h);
    if (r < 0) return;
    int found = r && field_get(x, &h, &argv[2], &v);
    reply_int(x->out, !found ? 0 : len ? (long long)v.len : 1);
    if (found) sval_free(&v);
}
void hexists_command(cmdctx *x, int argc, rstr *argv) { (void)argc; field_probe(x, argv, 0); }
void hstrlen_command(cmdctx *x, int argc, rstr *argv) { (void)argc; field_probe(x, argv, 1); }

enum { WANT_FIELDS = 1, WANT_VALUES = 2 };

/* HGETALL key ; HKEYS key ; HVALS key (the server runs them off the
 * event loop: a hash may be large) */
static void hash_all(cmdctx *x, rstr *argv, int want) {
    hash h;
    int r = hash_get(x, &argv[1], &h);
    if (r < 0) return;
    reply_array(x->out, (long long)h.count * (want == (WANT_FIELDS | WANT_VALUES) ? 2 : 1));
    if (!r) return;
    store_elems *it = store_elems_new(x->f, h.meta, "", 0);
    const char *k, *v;
    size_t kl, vl;
    while (store_elems_next(it, &k, &kl, &v, &vl)) {
        if (want & WANT_FIELDS) reply_bulk(x->out, k + 8, kl - 8);
        if (want & WANT_VALUES) reply_bulk(x->out, v, vl);
    }
    store_elems_free(it);
}
void hgetall_command(cmdctx *x, int argc, rstr *argv) { (void)argc; hash_all(x, argv, WANT_FIELDS | WANT_VALUES); }
void hkeys_command(cmdctx *x, int argc, rstr *argv) { (void)argc; hash_all(x, argv, WANT_FIELDS); }
void hvals_command(cmdctx *x, int argc, rstr *argv) { (void)argc; hash_all(x, argv, WANT_VALUES); }

/* HDEL key field [field ...] */
void hdel_command(cmdctx *x, int argc, rstr *argv) {
    if (!x->f) return;
    hash h;
    int r = hash_get(x, &argv[1], &h);
    if (r <= 0) {
        if (!r) reply_int(x->out, 0);
        return;
    }
    long long n = 0;
    buf b;
    buf_init(&b);
    for (int i = 2; i < argc; i++) {
        field_sub(&b, argv[i].p, argv[i].len);
        n += store_elem_del(x->f, h.meta, b.data, b.len);
    }
    buf_free(&b);
    h.count -= (uint64_t)n;
    if (n) hash_save(x, &argv[1], &h);
    reply_int(x->out, n);
}

/* HINCRBY key field increment */
void hincrby_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long by, v = 0;
    if (!arg_ll(x, &argv[3], &by) || !x->f) return;
    hash h;
    sval s;
    if (hash_open(x, &argv[1], &h) < 0) return;
    int found = !h.made && field_get(x, &h, &argv[2], &s), ok = !found || str2ll(s.p, s.len, &v);
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
    hash h;
    sval s;
    if (hash_open(x, &argv[1], &h) < 0) return;
    int found = !h.made && field_get(x, &h, &argv[2], &s), ok = !found || str2ld(s.p, s.len, &v);
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

static uint64_t draw(uint64_t n) { return n ? ((uint64_t)random() << 31 ^ (uint64_t)random()) % n : 0; }

/* A negative HRANDFIELD count past this, or a reply past this many bytes,
 * is refused: Redis builds such a reply whole, and runs out of memory. */
#define HRANDFIELD_MAX_DRAWS 10000000LL
#define HRANDFIELD_MAX_BYTES (1ULL << 30)

/* HRANDFIELD's count and WITHVALUES, checked in Redis's order; 0 with the
 * error answered. */
static int hrandfield_args(cmdctx *x, int argc, rstr *argv, long long *count, int *withvalues) {
    if (!arg_ll(x, &argv[2], count)) return 0;
    if (*count == LLONG_MIN) {
        reply_error(x->out, "ERR value is out of range, value must between -9223372036854775807 and "
                            "9223372036854775807");
        return 0;
    }
    if (argc > 4 || (argc == 4 && !(*withvalues = arg_is(&argv[3], "withvalues")))) {
        reply_error(x->out, ERR_SYNTAX);
        return 0;
    }
    if (*withvalues && (*count < -LLONG_MAX / 2 || *count > LLONG_MAX / 2)) {
        reply_error(x->out, "ERR value is out of range");
        return 0;
    }
    return 1;
}

static int u64_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The fields of h at the sorted, distinct positions pos[0..n) (hash
 * order), each as field length, value length, field, value, into out;
 * at[i] where the one of pos[i] starts. */
static void fields_at(cmdctx *x, const hash *h, const uint64_t *pos, size_t n, buf *out, size_t *at) {
    store_elems *it = store_elems_new(x->f, h->meta, "", 0);
    const char *k, *v;
    size_t kl, vl, j = 0;
    for (uint64_t i = 0; j < n && store_elems_next(it, &k, &kl, &v, &vl); i++) {
        if (i != pos[j]) continue;
        at[j++] = out->len;
        buf_put_u32(out, (uint32_t)(kl - 8));
        buf_put_u32(out, (uint32_t)vl);
        buf_append(out, k + 8, kl - 8);
        buf_append(out, v, vl);
    }
    store_elems_free(it);
    for (; j < n; j++) at[j] = SIZE_MAX;  /* fewer fields than the count said: a bug, never answered */
}

/* want positions: distinct ones (positive count), taken in hash order, or
 * independent draws (negative). The fields once each, then the reply: an
 * array, or with single the one field's bulk. */
static void hrandfield_reply(cmdctx *x, const hash *h, uint64_t want, int distinct, int withvalues, int single) {
    uint64_t *draws = xmalloc(sizeof(uint64_t) * want), *pos = xmalloc(sizeof(uint64_t) * want);
    uint64_t n = 0;
    for (uint64_t i = 0, left = want; i < h->count && distinct && left; i++)
        if (draw(h->count - i) < left) draws[n++] = i, left--;  /* selection sampling: in order */
    for (uint64_t i = 0; i < want && !distinct; i++) draws[i] = draw(h->count);
    if (!distinct) n = want;
    memcpy(pos, draws, sizeof(uint64_t) * n);
    qsort(pos, n, sizeof(uint64_t), u64_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || pos[m - 1] != pos[i]) pos[m++] = pos[i];
    buf recs;
    buf_init(&recs);
    size_t *at = xmalloc(sizeof(size_t) * (m ? m : 1));
    fields_at(x, h, pos, m, &recs, at);
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        size_t a = at[(uint64_t *)bsearch(&draws[i], pos, m, sizeof(uint64_t), u64_cmp) - pos];
        if (a == SIZE_MAX) { bytes = UINT64_MAX; break; }
        bytes += 32 + get_u32(recs.data + a) + (withvalues ? get_u32(recs.data + a + 4) : 0);
    }
    if (bytes > HRANDFIELD_MAX_BYTES) {
        reply_error(x->out, "ERR the reply would be too large");
    } else if (single && n == 1) {
        const char *e = recs.data + at[0];
        reply_bulk(x->out, e + 8, get_u32(e));
    } else {
        reply_array(x->out, (long long)(n * (withvalues ? 2 : 1)));
        for (size_t i = 0; i < n; i++) {
            const char *e = recs.data + at[(uint64_t *)bsearch(&draws[i], pos, m, sizeof(uint64_t), u64_cmp) - pos];
            uint32_t fl = get_u32(e), vl = get_u32(e + 4);
            reply_bulk(x->out, e + 8, fl);
            if (withvalues) reply_bulk(x->out, e + 8 + fl, vl);
        }
    }
    free(at);
    buf_free(&recs);
    free(pos);
    free(draws);
}

/* HRANDFIELD key [count [WITHVALUES]]: random fields, drawn on the node
 * that serves the read (Redis's answer is random too). A positive count
 * gives distinct fields, at most all of them; a negative one |count|
 * fields that may repeat. */
void hrandfield_command(cmdctx *x, int argc, rstr *argv) {
    long long count = 0;
    int withvalues = 0;
    if (argc >= 3 && !hrandfield_args(x, argc, argv, &count, &withvalues)) return;
    hash h;
    int r = hash_get(x, &argv[1], &h);
    if (r < 0) return;
    if (argc == 2) {
        if (!r) { reply_nil(x->out); return; }
        hrandfield_reply(x, &h, 1, 1, 0, 1);
        return;
    }
    uint64_t want = count < 0 ? (uint64_t)-count : (uint64_t)count;
    if (!r || !want) { reply_array(x->out, 0); return; }
    if (count < -HRANDFIELD_MAX_DRAWS) {
        reply_errorf(x->out, "ERR a negative count answers at most %lld fields", HRANDFIELD_MAX_DRAWS);
        return;
    }
    if (count > 0 && want > h.count) want = h.count;
    hrandfield_reply(x, &h, want, count > 0, withvalues, 0);
}

#define HSCAN_MAX_WORK 100000  /* fields one HSCAN call visits at most */

/* HSCAN key cursor [MATCH pattern] [COUNT count]: the cursor is the hash
 * of the next field to visit (fields come in hash order), valid on every
 * node; a field is returned once per full iteration. */
void hscan_command(cmdctx *x, int argc, rstr *argv) {
    uint64_t cursor;
    long long count = 10;
    const rstr *pat = NULL;
    if (!scan_cursor_arg(x, &argv[2], &cursor)) return;
    hash h;
    int r = hash_get(x, &argv[1], &h);
    if (r < 0) return;
    for (int i = 3; r && i < argc; i += 2) {  /* options are read only for a hash there, as Redis does */
        if (i + 1 >= argc) { reply_error(x->out, ERR_SYNTAX); return; }
        if (arg_is(&argv[i], "count")) {
            if (!arg_ll(x, &argv[i + 1], &count)) return;
            if (count < 1) { reply_error(x->out, ERR_SYNTAX); return; }
        } else if (arg_is(&argv[i], "match")) {
            pat = &argv[i + 1];
        } else {
            reply_error(x->out, ERR_SYNTAX);
            return;
        }
    }
    if (count > HSCAN_MAX_WORK) count = HSCAN_MAX_WORK;
    buf body;
    buf_init(&body);
    long long n = 0, visited = 0;
    uint64_t next = 0, last = 0;
    int all = pat && pat->len == 1 && pat->p[0] == '*';  /* as SCAN: "*" alone matches even an empty field */
    if (r) {
        char from[8];
        for (int i = 0; i < 8; i++) from[i] = (char)(cursor >> (56 - 8 * i));
        store_elems *it = store_elems_new(x->f, h.meta, from, 8);
        const char *k, *v;
        size_t kl, vl;
        while (store_elems_next(it, &k, &kl, &v, &vl)) {
            uint64_t hv = 0;
            for (int i = 0; i < 8; i++) hv = hv << 8 | (unsigned char)k[i];
            if (visited >= count && hv != last) { next = hv; break; }  /* never splits one hash's fields */
            visited += 1 + (long long)((pat && !all ? pat->len * (kl - 8) : 0) >> 12);  /* a long match costs more */
            last = hv;
            if (pat && !all && !glob_match(pat->p, pat->len, k + 8, kl - 8, 0)) continue;
            reply_bulk(&body, k + 8, kl - 8);
            reply_bulk(&body, v, vl);
            n += 2;
        }
        store_elems_free(it);
    }
    reply_scan(x->out, next, &body, n);
    buf_free(&body);
}

const char *hash_encoding(const sval *v) {
    return v->len == HASH_META && !v->p[STORE_META] ? "listpack" : "hashtable";
}
