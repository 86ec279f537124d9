/* Sorted sets: ZADD (NX, XX, GT, LT, CH, INCR), ZINCRBY, ZREM, ZCARD,
 * ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT, ZRANGE (BYSCORE,
 * BYLEX, REV, LIMIT, WITHSCORES) and its older forms, ZRANGESTORE,
 * ZPOPMIN, ZPOPMAX, ZMPOP, ZREMRANGEBYRANK/SCORE/LEX, ZRANDMEMBER, ZSCAN,
 * ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (sets taken as
 * inputs too), with Redis 7.0's replies and errors. A sorted set is a collection
 * (coll.h, docs/collections.md) with two records per member under its
 * id: '0', the member's hash, the member -> its score (the double's 8
 * bytes); and '1', the score in an order-preserving 8-byte form, the
 * member -> nothing: the members in Redis's order (score, then bytes).
 * Ranks are counted by walking that order. */
#include "coll.h"
#include "log.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZSET_META (STORE_META + 1)  /* ... then a byte: 1 once Redis would hold it as a skiplist */
#define LISTPACK_ENTRIES 128
#define LISTPACK_VALUE 64

static int zset_get(cmdctx *x, const rstr *key, coll *z) { return coll_get(x, key, STORE_ZSET, ZSET_META, z); }

/* ---- scores ---- */

/* A score as Redis reads one (strtod, the whole argument, no NaN, no
 * overflow to infinity or underflow to zero); 0 if it is not one. */
static int str2score(const char *p, size_t n, double *d) {
    if (!n || p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r')) return 0;
    char *tmp = xmalloc(n + 1), *end;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    errno = 0;
    double v = strtod(tmp, &end);
    int ok = (size_t)(end - tmp) == n && !isnan(v) &&
             !(errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO));
    free(tmp);
    if (ok) *d = v;
    return ok;
}

/* Redis's reply for a score. */
static void reply_score(buf *out, double d) {
    char tmp[64];
    int n = isinf(d) ? snprintf(tmp, sizeof(tmp), "%s", d > 0 ? "inf" : "-inf") : snprintf(tmp, sizeof(tmp), "%.17g", d);
    reply_bulk(out, tmp, (size_t)n);
}

static void score_value(buf *out, const char *v, size_t vl) {
    double d = 0;
    if (vl == 8) memcpy(&d, v, 8);
    reply_score(out, d);
}

/* The index form of a score: big-endian bytes that sort as the scores do
 * (-0 as 0, as Redis compares them). */
static void score_key(double d, char *be) {
    if (d == 0) d = 0;
    uint64_t u;
    memcpy(&u, &d, 8);
    u = u >> 63 ? ~u : u | (1ULL << 63);
    for (int i = 0; i < 8; i++) be[i] = (char)(u >> (56 - 8 * i));
}
static double score_of_key(const char *be) {
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u = u << 8 | (unsigned char)be[i];
    u = u >> 63 ? u & ~(1ULL << 63) : ~u;
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* ---- members ---- */

/* 1 and its score in *d when z holds member m; a score that is not 8
 * bytes stops the node (never answer, or write, from it). */
static int member_score(cmdctx *x, const coll *z, const char *m, size_t n, double *d) {
    sval v;
    if (!coll_member_get(x, z, m, n, &v)) return 0;
    if (v.len != 8) {
        logmsg(LL_WARNING, "A sorted set's score is malformed (%zu bytes). Stopping: never answer wrongly", v.len);
        abort();
    }
    memcpy(d, v.p, 8);
    sval_free(&v);
    return 1;
}

static void index_sub(buf *b, double d, const char *m, size_t n) {
    char be[8];
    score_key(d, be);
    b->len = 0;
    buf_append(b, "1", 1);
    buf_append(b, be, 8);
    buf_append(b, m, n);
}

/* Sets m's score to d (old: its score, when had). Redis keeps -0 as 0 in
 * a small sorted set (a listpack), as -0 in a skiplist (its INCR reply
 * says -0 either way); the index orders both as 0. */
static void member_put(cmdctx *x, coll *z, const char *m, size_t n, double d, int had, double old) {
    if ((!had && z->count + 1 > LISTPACK_ENTRIES) || n > LISTPACK_VALUE) z->meta[STORE_META] = 1;
    if (d == 0 && !z->meta[STORE_META]) d = 0;
    buf b;
    buf_init(&b);
    if (had) {
        index_sub(&b, old, m, n);
        store_elem_drop(x->f, z->meta, b.data, b.len);
    }
    index_sub(&b, d, m, n);
    store_elem_put(x->f, z->meta, b.data, b.len, "", 0);
    coll_sub(z, &b, m, n);
    store_elem_put(x->f, z->meta, b.data, b.len, (const char *)&d, 8);
    buf_free(&b);
    if (!had) z->count++;
    coll_note_size(z, n);
}

/* Removes m (its score d). */
static void member_drop(cmdctx *x, coll *z, const char *m, size_t n, double d) {
    buf b;
    buf_init(&b);
    index_sub(&b, d, m, n);
    store_elem_drop(x->f, z->meta, b.data, b.len);
    coll_sub(z, &b, m, n);
    store_elem_drop(x->f, z->meta, b.data, b.len);
    buf_free(&b);
    z->count--;
}

/* The members in order (score, then bytes) from the first at or after
 * score d on. */
static store_elems *by_score(cmdctx *x, const coll *z, double d) {
    char from[9] = "1";
    score_key(d, from + 1);
    return store_elems_new(x->f, z->meta, from, isinf(d) && d < 0 ? 1 : 9);
}

/* The members in order from the highest down. */
static store_elems *by_score_down(cmdctx *x, const coll *z) { return store_elems_new_rev(x->f, z->meta, "2", 1); }

/* The next member of an ordered walk: 0 at the end. */
static int next_ordered(store_elems *it, const char **m, size_t *n, double *d) {
    const char *k, *v;
    size_t kl, vl;
    if (!store_elems_next(it, &k, &kl, &v, &vl) || kl < 9 || k[0] != '1') return 0;
    *d = score_of_key(k + 1);
    *m = k + 9;
    *n = kl - 9;
    return 1;
}

/* ---- ZADD, ZINCRBY ---- */

enum { Z_NX = 1, Z_XX = 2, Z_GT = 4, Z_LT = 8, Z_CH = 16, Z_INCR = 32 };

static int zadd_flags(const rstr *a, int *f) {
    static const struct { const char *n; int f; } names[] = {
        {"nx", Z_NX}, {"xx", Z_XX}, {"gt", Z_GT}, {"lt", Z_LT}, {"ch", Z_CH}, {"incr", Z_INCR}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (arg_is(a, names[i].n)) { *f |= names[i].f; return 1; }
    return 0;
}

/* ZADD's arguments, checked in Redis's order; the first score's index in
 * *at, 0 with the error answered. */
static int zadd_args(cmdctx *x, int argc, rstr *argv, int *flags, int *at) {
    int i = 2;
    while (i < argc && zadd_flags(&argv[i], flags)) i++;
    int n = argc - i, f = *flags;
    if (n % 2 || !n) { reply_error(x->out, ERR_SYNTAX); return 0; }
    if ((f & Z_NX) && (f & Z_XX)) {
        reply_error(x->out, "ERR XX and NX options at the same time are not compatible");
        return 0;
    }
    if (((f & Z_GT) && (f & Z_NX)) || ((f & Z_LT) && (f & Z_NX)) || ((f & Z_GT) && (f & Z_LT))) {
        reply_error(x->out, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return 0;
    }
    if ((f & Z_INCR) && n > 2) {
        reply_error(x->out, "ERR INCR option supports a single increment-element pair");
        return 0;
    }
    for (int k = i; k < argc; k += 2) {
        double d;
        if (!str2score(argv[k].p, argv[k].len, &d)) { reply_error(x->out, "ERR value is not a valid float"); return 0; }
    }
    *at = i;
    return 1;
}

/* One ZADD element; 0 (and the error answered) when INCR makes NaN. */
static int zadd_one(cmdctx *x, coll *z, int f, double d, const rstr *m, int *added, int *updated, int *done,
                    double *out) {
    double cur;
    int had = (!z->made || z->count) && member_score(x, z, m->p, m->len, &cur);
    *done = 0;
    if (had) {
        if (f & Z_NX) return 1;
        if (f & Z_INCR) {
            d += cur;
            if (isnan(d)) { reply_error(x->out, "ERR resulting score is not a number (NaN)"); return 0; }
        }
        if (((f & Z_LT) && d >= cur) || ((f & Z_GT) && d <= cur)) return 1;
        *done = 1;
        *out = d;
        if (d != cur) {
            member_put(x, z, m->p, m->len, d, 1, cur);
            (*updated)++;
        }
        return 1;
    }
    if (f & Z_XX) return 1;
    member_put(x, z, m->p, m->len, d, 0, 0);
    (*added)++;
    *done = 1;
    *out = d;
    return 1;
}

/* Whether ZADD (no INCR) would leave z (got: it is there) as it is. */
static int zadd_unchanged(cmdctx *x, const coll *z, int got, int flags, int argc, rstr *argv, int at) {
    if (flags & Z_INCR) return 0;
    for (int k = at; k < argc; k += 2) {
        double d, cur;
        str2score(argv[k].p, argv[k].len, &d);
        int had = got && member_score(x, z, argv[k + 1].p, argv[k + 1].len, &cur);
        if (!had && !(flags & Z_XX)) return 0;
        if (!had || (flags & Z_NX)) continue;
        if ((flags & Z_GT) ? d > cur : (flags & Z_LT) ? d < cur : d != cur) return 0;
    }
    return 1;
}

static void zadd_generic(cmdctx *x, int argc, rstr *argv, int flags) {
    int at;
    if (!zadd_args(x, argc, argv, &flags, &at) || !x->f) return;
    coll z;
    int r = zset_get(x, &argv[1], &z);
    if (r < 0 || (x->probing && !zadd_unchanged(x, &z, r, flags, argc, argv, at))) return;
    if (x->probing) {
        reply_int(x->out, 0);
        return;
    }
    if (!r && (flags & Z_XX)) {
        if (flags & Z_INCR) reply_nil(x->out);
        else reply_int(x->out, 0);
        return;
    }
    if (!r) {  /* a listpack, as Redis 7.0 makes it, unless the first member is too long for one */
        coll_new(x, &z, STORE_ZSET, ZSET_META);
        if (argv[at + 1].len > LISTPACK_VALUE) z.meta[STORE_META] = 1;
    }
    int added = 0, updated = 0, processed = 0, done = 1;
    double score = 0;
    for (int k = at; k < argc; k += 2) {
        double d;
        str2score(argv[k].p, argv[k].len, &d);
        if (!zadd_one(x, &z, flags, d, &argv[k + 1], &added, &updated, &done, &score)) {
            if (added || updated) coll_save(x, &argv[1], &z);
            return;
        }
        processed += done;
    }
    if (added || updated) coll_save(x, &argv[1], &z);
    if (flags & Z_INCR) {
        if (processed) reply_score(x->out, score);
        else reply_nil(x->out);
    } else {
        reply_int(x->out, (flags & Z_CH) ? added + updated : added);
    }
}

/* ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] */
void zadd_command(cmdctx *x, int argc, rstr *argv) { zadd_generic(x, argc, argv, 0); }

/* ZINCRBY key increment member */
void zincrby_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    rstr a[4] = {argv[0], argv[1], argv[2], argv[3]};
    zadd_generic(x, 4, a, Z_INCR);
}

/* ZREM key member [member ...] */
void zrem_command(cmdctx *x, int argc, rstr *argv) {
    if (!x->f) return;
    coll z;
    int r = zset_get(x, &argv[1], &z);
    if (r <= 0) {
        if (!r) reply_int(x->out, 0);
        return;
    }
    long long n = 0;
    for (int i = 2; i < argc; i++) {
        double d;
        if (!member_score(x, &z, argv[i].p, argv[i].len, &d)) continue;
        if (x->probing) return;  /* one to remove: a write */
        member_drop(x, &z, argv[i].p, argv[i].len, d);
        n++;
    }
    if (n) coll_save(x, &argv[1], &z);
    reply_int(x->out, n);
}

/* ---- reads of members ---- */

/* ZCARD key */
void zcard_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    coll z;
    if (zset_get(x, &argv[1], &z) >= 0) reply_int(x->out, (long long)z.count);
}

/* ZSCORE key member */
void zscore_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    coll z;
    double d;
    int r = zset_get(x, &argv[1], &z);
    if (r < 0) return;
    if (r && member_score(x, &z, argv[2].p, argv[2].len, &d)) reply_score(x->out, d);
    else reply_nil(x->out);
}

/* ZMSCORE key member [member ...] */
void zmscore_command(cmdctx *x, int argc, rstr *argv) {
    coll z;
    int r = zset_get(x, &argv[1], &z);
    if (r < 0) return;
    reply_array(x->out, argc - 2);
    for (int i = 2; i < argc; i++) {
        double d;
        if (r && member_score(x, &z, argv[i].p, argv[i].len, &d)) reply_score(x->out, d);
        else reply_nil(x->out);
    }
}

/* The rank of m (scoring d) from the lowest (rev: the highest): the
 * members walked before it. */
static uint64_t rank_of(cmdctx *x, const coll *z, const char *m, size_t n, double d, int rev) {
    store_elems *it = rev ? by_score_down(x, z) : by_score(x, z, -INFINITY);
    const char *p;
    size_t pl;
    double s;
    uint64_t rank = 0;
    while (next_ordered(it, &p, &pl, &s) && !(s == d && pl == n && !memcmp(p, m, n))) rank++;
    store_elems_free(it);
    return rank;
}

/* ZRANK / ZREVRANK key member (a walk to the member from its end: O(rank)) */
static void zrank_generic(cmdctx *x, rstr *argv, int rev) {
    coll z;
    double d;
    int r = zset_get(x, &argv[1], &z);
    if (r < 0) return;
    if (!r || !member_score(x, &z, argv[2].p, argv[2].len, &d)) { reply_nil(x->out); return; }
    reply_int(x->out, (long long)rank_of(x, &z, argv[2].p, argv[2].len, d, rev));
}
void zrank_command(cmdctx *x, int argc, rstr *argv) { (void)argc; zrank_generic(x, argv, 0); }
void zrevrank_command(cmdctx *x, int argc, rstr *argv) { (void)argc; zrank_generic(x, argv, 1); }

/* ---- ranges ---- */

typedef struct zrange {
    int kind;                /* Z_RANK, Z_SCORE, Z_LEX */
    long long start, stop;   /* ranks */
    double min, max;         /* scores */
    int minex, maxex;
    rstr lmin, lmax;         /* lex: after the '[' or '(' */
    int lminf, lmaxf;        /* lex: -1 "-", 1 "+", 0 a string */
} zrange;
enum { Z_RANK, Z_SCORE, Z_LEX };

/* A score range's bound as Redis reads it: strtod up to the first NUL
 * ("" and "(" are 0). An argument from a log entry is not NUL-terminated:
 * it is copied first. */
static int parse_score_bound(const rstr *a, double *d, int *ex) {
    char *tmp = xmalloc(a->len + 1), *end;
    memcpy(tmp, a->p, a->len);
    tmp[a->len] = '\0';
    *ex = tmp[0] == '(';
    *d = strtod(tmp + *ex, &end);
    int ok = *end == '\0' && !isnan(*d);
    free(tmp);
    return ok;
}

static int parse_lex_bound(const rstr *a, rstr *s, int *inf, int *ex) {
    *inf = 0;
    *ex = 0;
    if (a->len == 1 && a->p[0] == '+') { *inf = 1; return 1; }
    if (a->len == 1 && a->p[0] == '-') { *inf = -1; return 1; }
    if (!a->len || (a->p[0] != '(' && a->p[0] != '[')) return 0;
    *ex = a->p[0] == '(';
    s->p = a->p + 1;
    s->len = a->len - 1;
    return 1;
}

static int lex_cmp(const char *a, size_t al, const char *b, size_t bl) {
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

/* Whether member m scoring d is inside the range's lower / upper bound. */
static int above_min(const zrange *r, const char *m, size_t n, double d) {
    if (r->kind == Z_SCORE) return r->minex ? d > r->min : d >= r->min;
    if (r->lminf) return r->lminf < 0;
    int c = lex_cmp(m, n, r->lmin.p, r->lmin.len);
    return r->minex ? c > 0 : c >= 0;
}
static int below_max(const zrange *r, const char *m, size_t n, double d) {
    if (r->kind == Z_SCORE) return r->maxex ? d < r->max : d <= r->max;
    if (r->lmaxf) return r->lmaxf > 0;
    int c = lex_cmp(m, n, r->lmax.p, r->lmax.len);
    return r->maxex ? c < 0 : c <= 0;
}

/* A score or lex range's bounds into r (its kind set); 0 with Redis's
 * error answered. */
static int parse_bounds(cmdctx *x, const rstr *lo, const rstr *hi, zrange *r) {
    if (r->kind == Z_SCORE && !(parse_score_bound(lo, &r->min, &r->minex) && parse_score_bound(hi, &r->max, &r->maxex))) {
        reply_error(x->out, "ERR min or max is not a float");
        return 0;
    }
    if (r->kind == Z_LEX && !(parse_lex_bound(lo, &r->lmin, &r->lminf, &r->minex) &&
                              parse_lex_bound(hi, &r->lmax, &r->lmaxf, &r->maxex))) {
        reply_error(x->out, "ERR min or max not valid string range item");
        return 0;
    }
    return 1;
}

/* Whether a lex range may hold anything, checked as Redis checks it
 * first: the range is not empty, the lowest member is not past its
 * maximum, and the highest is not before its minimum. With one score for
 * all this is only a shortcut; with several it decides, as in Redis. */
static int lex_possible(cmdctx *x, const coll *z, const zrange *r) {
    if (r->lminf > 0 || r->lmaxf < 0) return 0;
    if (!r->lminf && !r->lmaxf) {
        int c = lex_cmp(r->lmin.p, r->lmin.len, r->lmax.p, r->lmax.len);
        if (c > 0 || (c == 0 && (r->minex || r->maxex))) return 0;
    }
    const char *m;
    size_t n;
    double d;
    store_elems *it = by_score(x, z, -INFINITY);
    int ok = next_ordered(it, &m, &n, &d) && below_max(r, m, n, d);
    store_elems_free(it);
    it = by_score_down(x, z);
    ok = ok && next_ordered(it, &m, &n, &d) && above_min(r, m, n, d);
    store_elems_free(it);
    return ok;
}

/* What a range walk found: members (u32 length, bytes, 8-byte score each). */
typedef struct found { buf recs; uint64_t n; } found;

static void found_put(found *f, const char *m, size_t n, double d) {
    buf_put_u32(&f->recs, (uint32_t)n);
    buf_append(&f->recs, m, n);
    buf_append(&f->recs, (const char *)&d, 8);
    f->n++;
}

/* The members of z in range r, in order (rev: from the highest), skipping
 * offset and taking at most limit (negative: all) of those in it: one walk
 * in that direction, from the range's start (a rank's: walked to). */
static void range_collect(cmdctx *x, const coll *z, const zrange *r, int rev, long long offset, long long limit,
                          found *out) {
    buf_init(&out->recs);
    out->n = 0;
    uint64_t a = 0, b = 0;
    if (r->kind == Z_RANK) {
        long long len = (long long)z->count, s = r->start, e = r->stop;
        if (s < 0) s += len;
        if (e < 0) e += len;
        if (s < 0) s = 0;
        if (s > e || s >= len) return;
        if (e >= len) e = len - 1;
        a = (uint64_t)s;  /* ranks in the walk's direction */
        b = (uint64_t)e;
        offset = 0;  /* a rank range takes no LIMIT (Redis ignores LIMIT x -1 there) */
        limit = -1;
    }
    if (offset < 0 || (r->kind == Z_LEX && !lex_possible(x, z, r))) return;  /* Redis skips everything then */
    store_elems *it = rev ? by_score_down(x, z) : by_score(x, z, r->kind == Z_SCORE ? r->min : -INFINITY);
    const char *m;
    size_t n;
    double d;
    int inside = 0;
    uint64_t skipped = 0;
    for (uint64_t i = 0; (limit < 0 || out->n < (uint64_t)limit) && next_ordered(it, &m, &n, &d); i++) {
        if (r->kind == Z_RANK) {
            if (i < a) continue;
            if (i > b) break;
        } else {
            /* from the first member past the minimum (REV: under the
             * maximum), if it is in the range at all, past the offset
             * unchecked, then while under the maximum (past the minimum):
             * a lex range assumes one score for all, and Redis walks it so
             * whatever the scores */
            int (*from)(const zrange *, const char *, size_t, double) = rev ? below_max : above_min;
            int (*to)(const zrange *, const char *, size_t, double) = rev ? above_min : below_max;
            if (!inside) {
                if (!from(r, m, n, d)) continue;
                inside = 1;
                if (!to(r, m, n, d)) break;
            }
            if (skipped < (uint64_t)offset) { skipped++; continue; }
            if (!to(r, m, n, d)) break;
        }
        if (d == 0 && z->meta[STORE_META]) member_score(x, z, m, n, &d);  /* a skiplist's -0 */
        found_put(out, m, n, d);
    }
    store_elems_free(it);
}

static void reply_found(cmdctx *x, const found *f, int withscores) {
    reply_array(x->out, (long long)(f->n * (withscores ? 2 : 1)));
    size_t off = 0;
    for (uint64_t i = 0; i < f->n; i++) {
        uint32_t ml = get_u32(f->recs.data + off);
        double d;
        memcpy(&d, f->recs.data + off + 4 + ml, 8);
        reply_bulk(x->out, f->recs.data + off + 4, ml);
        if (withscores) reply_score(x->out, d);
        off += 4 + ml + 8;
    }
}

/* ZRANGE's options and range, read as Redis reads them (fixed: the kind
 * and direction an older command names); 0 with the error answered. */
static int zrange_args(cmdctx *x, int argc, rstr *argv, int first, int store, int fixed, int fkind, int frev,
                       zrange *r, int *rev, int *withscores, long long *offset, long long *limit) {
    int kind = fixed ? fkind : -1, dir = fixed ? frev : -1;
    *withscores = 0;
    *offset = 0;
    *limit = -1;
    int have_limit = 0;
    for (int j = first + 3; j < argc; j++) {
        int left = argc - j - 1;
        if (!store && arg_is(&argv[j], "withscores")) {
            *withscores = 1;
        } else if (arg_is(&argv[j], "limit") && left >= 2) {
            if (!arg_ll(x, &argv[j + 1], offset) || !arg_ll(x, &argv[j + 2], limit)) return 0;
            have_limit = 1;
            j += 2;
        } else if (dir == -1 && arg_is(&argv[j], "rev")) {
            dir = 1;
        } else if (kind == -1 && arg_is(&argv[j], "bylex")) {
            kind = Z_LEX;
        } else if (kind == -1 && arg_is(&argv[j], "byscore")) {
            kind = Z_SCORE;
        } else {
            reply_error(x->out, ERR_SYNTAX);
            return 0;
        }
    }
    if (dir == -1) dir = 0;
    if (kind == -1) kind = Z_RANK;
    if (have_limit && *limit != -1 && kind == Z_RANK) {  /* LIMIT x -1 passes, as in Redis */
        reply_error(x->out, "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
        return 0;
    }
    if (*withscores && kind == Z_LEX) {
        reply_error(x->out, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return 0;
    }
    const rstr *lo = &argv[first + 1], *hi = &argv[first + 2];
    if (dir && kind != Z_RANK) lo = &argv[first + 2], hi = &argv[first + 1];
    r->kind = kind;
    *rev = dir;
    if (kind == Z_RANK) return arg_ll(x, lo, &r->start) && arg_ll(x, hi, &r->stop);
    return parse_bounds(x, lo, hi, r);
}

static void zrange_generic(cmdctx *x, int argc, rstr *argv, int fixed, int kind, int rev) {
    zrange r;
    int withscores;
    long long offset, limit;
    if (!zrange_args(x, argc, argv, 1, 0, fixed, kind, rev, &r, &rev, &withscores, &offset, &limit)) return;
    coll z;
    int got = zset_get(x, &argv[1], &z);
    if (got < 0) return;
    if (!got) { reply_array(x->out, 0); return; }
    found f;
    range_collect(x, &z, &r, rev, offset, limit, &f);
    reply_found(x, &f, withscores);
    buf_free(&f.recs);
}

/* ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES] */
void zrange_command(cmdctx *x, int argc, rstr *argv) { zrange_generic(x, argc, argv, 0, 0, 0); }
void zrevrange_command(cmdctx *x, int argc, rstr *argv) { zrange_generic(x, argc, argv, 1, Z_RANK, 1); }
void zrangebyscore_command(cmdctx *x, int argc, rstr *argv) { zrange_generic(x, argc, argv, 1, Z_SCORE, 0); }
void zrevrangebyscore_command(cmdctx *x, int argc, rstr *argv) { zrange_generic(x, argc, argv, 1, Z_SCORE, 1); }
void zrangebylex_command(cmdctx *x, int argc, rstr *argv) { zrange_generic(x, argc, argv, 1, Z_LEX, 0); }
void zrevrangebylex_command(cmdctx *x, int argc, rstr *argv) { zrange_generic(x, argc, argv, 1, Z_LEX, 1); }

/* ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]:
 * the range replaces dst (or, empty, deletes it). */
void zrangestore_command(cmdctx *x, int argc, rstr *argv) {
    zrange r;
    int rev, withscores;
    long long offset, limit;
    if (!zrange_args(x, argc, argv, 2, 1, 0, 0, 0, &r, &rev, &withscores, &offset, &limit) || !x->f) return;
    coll z, d;
    int got = zset_get(x, &argv[2], &z);
    if (got < 0) return;
    found f = {{0}, 0};
    if (got) range_collect(x, &z, &r, rev, offset, limit, &f);
    coll_new(x, &d, STORE_ZSET, ZSET_META);
    if (r.kind == Z_RANK && f.n > LISTPACK_ENTRIES) d.meta[STORE_META] = 1;  /* Redis: its length known, a skiplist */
    size_t off = 0;
    for (uint64_t i = 0; i < f.n; i++) {
        uint32_t ml = get_u32(f.recs.data + off);
        double s;
        memcpy(&s, f.recs.data + off + 4 + ml, 8);
        member_put(x, &d, f.recs.data + off + 4, ml, s, 0, 0);
        off += 4 + ml + 8;
    }
    buf_free(&f.recs);
    if (d.count) coll_save(x, &argv[1], &d);
    else key_del(x, &argv[1]);
    reply_int(x->out, (long long)d.count);
}

/* ZCOUNT key min max ; ZLEXCOUNT key min max */
static void zcount_generic(cmdctx *x, rstr *argv, int kind) {
    zrange r;
    r.kind = kind;
    if (kind != Z_RANK && !parse_bounds(x, &argv[2], &argv[3], &r)) return;
    coll z;
    int got = zset_get(x, &argv[1], &z);
    if (got < 0) return;
    long long n = 0;
    store_elems *it = got && (kind != Z_LEX || lex_possible(x, &z, &r)) ? by_score(x, &z, kind == Z_SCORE ? r.min : -INFINITY)
                                                                      : NULL;
    const char *m;
    size_t ml;
    double d;
    int inside = 0;
    while (it && next_ordered(it, &m, &ml, &d)) {
        if (!inside && !above_min(&r, m, ml, d)) continue;  /* as range_collect */
        inside = 1;
        if (!below_max(&r, m, ml, d)) break;
        n++;
    }
    store_elems_free(it);
    reply_int(x->out, n);
}
void zcount_command(cmdctx *x, int argc, rstr *argv) { (void)argc; zcount_generic(x, argv, Z_SCORE); }
void zlexcount_command(cmdctx *x, int argc, rstr *argv) { (void)argc; zcount_generic(x, argv, Z_LEX); }

/* ---- removal by range, pops ---- */

/* ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX key min max */
static void zremrange_generic(cmdctx *x, rstr *argv, int kind) {
    zrange r;
    r.kind = kind;
    if (kind == Z_RANK && (!arg_ll(x, &argv[2], &r.start) || !arg_ll(x, &argv[3], &r.stop))) return;
    if (kind != Z_RANK && !parse_bounds(x, &argv[2], &argv[3], &r)) return;
    if (!x->f) return;
    coll z;
    int got = zset_get(x, &argv[1], &z);
    if (got <= 0) {
        if (!got) reply_int(x->out, 0);
        return;
    }
    found f;
    range_collect(x, &z, &r, 0, 0, -1, &f);
    size_t off = 0;
    for (uint64_t i = 0; i < f.n; i++) {
        uint32_t ml = get_u32(f.recs.data + off);
        double d;
        memcpy(&d, f.recs.data + off + 4 + ml, 8);
        member_drop(x, &z, f.recs.data + off + 4, ml, d);
        off += 4 + ml + 8;
    }
    buf_free(&f.recs);
    if (f.n) coll_save(x, &argv[1], &z);
    reply_int(x->out, (long long)f.n);
}
void zremrangebyrank_command(cmdctx *x, int argc, rstr *argv) { (void)argc; zremrange_generic(x, argv, Z_RANK); }
void zremrangebyscore_command(cmdctx *x, int argc, rstr *argv) { (void)argc; zremrange_generic(x, argv, Z_SCORE); }
void zremrangebylex_command(cmdctx *x, int argc, rstr *argv) { (void)argc; zremrange_generic(x, argv, Z_LEX); }

/* How popped members are replied: pairs flat in an array (ZPOPMIN), each
 * pair an array (ZMPOP), or flat with no array of their own (BZPOPMIN's,
 * after its key). */
enum { POP_FLAT, POP_NESTED, POP_BARE };

/* Pops up to count members of z from its lowest (max: highest), replied
 * as member, score pairs as mode says. */
static void zpop_some(cmdctx *x, coll *z, int max, uint64_t count, int mode) {
    zrange r;
    r.kind = Z_RANK;
    r.start = 0;
    r.stop = count - 1 > (uint64_t)LLONG_MAX ? LLONG_MAX : (long long)(count - 1);
    found f;
    range_collect(x, z, &r, max, 0, -1, &f);
    if (mode != POP_BARE) reply_array(x->out, (long long)(f.n * (mode == POP_NESTED ? 1 : 2)));
    size_t off = 0;
    for (uint64_t i = 0; i < f.n; i++) {
        uint32_t ml = get_u32(f.recs.data + off);
        double d;
        memcpy(&d, f.recs.data + off + 4 + ml, 8);
        if (mode == POP_NESTED) reply_array(x->out, 2);
        reply_bulk(x->out, f.recs.data + off + 4, ml);
        reply_score(x->out, d);
        member_drop(x, z, f.recs.data + off + 4, ml, d);
        off += 4 + ml + 8;
    }
    buf_free(&f.recs);
}

/* ZPOPMIN / ZPOPMAX key [count] */
static void zpop_generic(cmdctx *x, int argc, rstr *argv, int max) {
    long long count = 1;
    if (argc > 3) { reply_error(x->out, ERR_SYNTAX); return; }
    if (argc == 3 && (!str2ll(argv[2].p, argv[2].len, &count) || count < 0)) {
        reply_error(x->out, "ERR value is out of range, must be positive");
        return;
    }
    if (!x->f) return;
    coll z;
    int got = zset_get(x, &argv[1], &z);
    if (got < 0 || (got && count && x->probing)) return;  /* WRONGTYPE; or members to pop: a write */
    if (!got || !count) { reply_array(x->out, 0); return; }  /* a count of 0 after the type, as Redis */
    zpop_some(x, &z, max, (uint64_t)count, POP_FLAT);
    coll_save(x, &argv[1], &z);
}
void zpopmin_command(cmdctx *x, int argc, rstr *argv) { zpop_generic(x, argc, argv, 0); }
void zpopmax_command(cmdctx *x, int argc, rstr *argv) { zpop_generic(x, argc, argv, 1); }

/* The pop of ZMPOP (and of BZPOPMIN, BZPOPMAX, BZMPOP): the first of the
 * n keys holding a sorted set gives up to count members from its lowest
 * (max: highest), replied as [key, [[member, score], ...]], or flat as
 * [key, member, score] (BZPOPMIN); 0, nothing answered, when none does.
 * WRONGTYPE for a key of another type met first. */
static int zset_mpop(cmdctx *x, rstr *keys, long long n, int max, long long count, int flat) {
    for (long long i = 0; i < n; i++) {
        coll z;
        int r = zset_get(x, &keys[i], &z);
        if (r < 0) return 1;
        if (!r) continue;
        reply_array(x->out, flat ? 3 : 2);
        reply_bulk(x->out, keys[i].p, keys[i].len);
        zpop_some(x, &z, max, flat ? 1 : (uint64_t)count, flat ? POP_BARE : POP_NESTED);
        coll_save(x, &keys[i], &z);
        return 1;
    }
    return 0;
}

/* ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] */
void zmpop_command(cmdctx *x, int argc, rstr *argv) {
    long long n, count;
    int max;
    if (!mpop_args(x, argc, argv, 1, "min", "max", &n, &max, &count) || !x->f) return;
    if (!zset_mpop(x, &argv[2], n, max, count, 0)) buf_appendstr(x->out, "*-1\r\n");
}

/* BZPOPMIN / BZPOPMAX key [key ...] timeout */
static void bzpop_generic(cmdctx *x, int argc, rstr *argv, int max) {
    long long ms;
    if (!timeout_arg(x, &argv[argc - 1], &ms) || !x->f) return;
    if (!zset_mpop(x, &argv[1], argc - 2, max, 1, 1)) nothing_yet(x, "*-1\r\n");
}
void bzpopmin_command(cmdctx *x, int argc, rstr *argv) { bzpop_generic(x, argc, argv, 0); }
void bzpopmax_command(cmdctx *x, int argc, rstr *argv) { bzpop_generic(x, argc, argv, 1); }

/* BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] (the timeout
 * read last, as Redis does) */
void bzmpop_command(cmdctx *x, int argc, rstr *argv) {
    long long ms, n, count;
    int max;
    if (!mpop_args(x, argc, argv, 2, "min", "max", &n, &max, &count) || !timeout_arg(x, &argv[1], &ms) || !x->f) return;
    if (!zset_mpop(x, &argv[3], n, max, count, 0)) nothing_yet(x, "*-1\r\n");
}

/* ---- union, intersection, difference ---- */

enum { ZOP_UNION, ZOP_INTER, ZOP_DIFF };
enum { AGG_SUM, AGG_MIN, AGG_MAX };

/* An input: a sorted set, or a set (each member scored 1), or missing. */
typedef struct zsrc {
    coll c;
    int present, at;  /* at: its place among the keys named */
    long long same;   /* an earlier input holding the same collection (the first), or -1 */
    double weight;
} zsrc;

typedef struct zalg {
    int op, agg, withscores;
    long long n, limit;  /* limit: ZINTERCARD's, 0 for none */
    zsrc *src;
    double *val;       /* an intersection's: the member's score in each input looked at */
    memberset *others; /* a difference's: the members of the inputs after the first, when gathered */
} zalg;

/* Where results go: fn(member, score) returns 1 once it wants no more. */
typedef int zemit_fn(cmdctx *x, void *arg, const char *m, size_t n, double d);

/* 1 and its score in *d when src holds m. */
static int src_score(cmdctx *x, const zsrc *s, const char *m, size_t n, double *d) {
    if (!s->present) return 0;
    if (s->c.type == STORE_ZSET) return member_score(x, &s->c, m, n, d);
    sval v;
    if (!coll_member_get(x, &s->c, m, n, &v)) return 0;
    sval_free(&v);
    *d = 1.0;
    return 1;
}

/* Redis's aggregation, its conventions kept: a sum that is not a number is 0. */
static void aggregate(int agg, double *to, double v) {
    if (agg == AGG_SUM) {
        *to += v;
        if (isnan(*to)) *to = 0;
    } else if (agg == AGG_MIN) {
        *to = v < *to ? v : *to;
    } else {
        *to = v > *to ? v : *to;
    }
}

/* The score m (scored d in src[0]) gets in an intersection; 0 when an
 * input lacks it. An input named again is not looked up again. */
static int inter_score(cmdctx *x, const zalg *a, const char *m, size_t n, double *d) {
    a->val[0] = *d;
    *d *= a->src[0].weight;
    if (isnan(*d)) *d = 0;
    for (long long j = 1; j < a->n; j++) {
        const zsrc *s = &a->src[j];
        if (s->same >= 0) a->val[j] = a->val[s->same];
        else if (!src_score(x, s, m, n, &a->val[j])) return 0;
        aggregate(a->agg, d, a->val[j] * s->weight);
    }
    return 1;
}

static int diff_keeps(cmdctx *x, const zalg *a, const char *m, size_t n) {
    double v;
    if (a->others) return !memberset_has(a->others, m, n);
    for (long long j = 1; j < a->n; j++)  /* the first input named again never comes here (diff_of_itself) */
        if (a->src[j].same < 0 && src_score(x, &a->src[j], m, n, &v)) return 0;
    return 1;
}

/* A sorted set's score record: 8 bytes, else the node stops (never answer, or write, from it). */
static double record_score(const zsrc *s, const char *v, size_t vl) {
    double d = 1.0;
    if (s->c.type != STORE_ZSET) return d;
    if (vl != 8) {
        logmsg(LL_WARNING, "A sorted set's score is malformed (%zu bytes). Stopping: never answer wrongly", vl);
        abort();
    }
    memcpy(&d, v, 8);
    return d;
}

/* Walks src[i]'s members (an intersection's first input, a difference's),
 * emitting those the operation keeps with their scores. */
static void walk_src(cmdctx *x, const zalg *a, long long i, zemit_fn *emit, void *arg) {
    const zsrc *s = &a->src[i];
    store_elems *it = store_elems_new(x->f, s->c.meta, s->c.pre, s->c.prelen);
    const char *key, *v, *m;
    size_t kl, vl, ml;
    int done = 0;
    while (!done && store_elems_next(it, &key, &kl, &v, &vl) && (m = coll_member(&s->c, key, kl, &ml))) {
        double d = record_score(s, v, vl);
        if (a->op == ZOP_INTER ? inter_score(x, a, m, ml, &d) : diff_keeps(x, a, m, ml)) done = emit(x, arg, m, ml, d);
    }
    store_elems_free(it);
}

/* Adds a member's score d in inputs i..e (one collection) to the union's table. */
static void union_add(const zalg *a, memberset *acc, long long i, long long e, const char *m, size_t n, double d) {
    for (long long k = i; k <= e; k++) {
        double w = d * a->src[k].weight, t;
        if (isnan(w)) w = 0;
        int fresh;
        char *slot = memberset_slot(acc, m, n, &fresh);
        if (!fresh) {
            memcpy(&t, slot, 8);
            aggregate(a->agg, &t, w);
            w = t;
        }
        memcpy(slot, &w, 8);
    }
}

/* A union: each input walked once (one named several times in a row,
 * once for all), each member's weighted score aggregated in memory (as
 * Redis does: the result is held whole either way, by the reply or by
 * the batch), then emitted. */
static void union_run(cmdctx *x, const zalg *a, zemit_fn *emit, void *arg) {
    memberset acc;
    memberset_init_values(&acc, 8);
    for (long long i = 0, e; i < a->n; i = e + 1) {
        const zsrc *s = &a->src[i];
        for (e = i; e + 1 < a->n && a->src[e + 1].same >= 0 && a->src[e + 1].same == (s->same >= 0 ? s->same : i); e++) {}
        if (!s->c.count) continue;
        store_elems *it = store_elems_new(x->f, s->c.meta, s->c.pre, s->c.prelen);
        const char *key, *v, *m;
        size_t kl, vl, ml;
        while (store_elems_next(it, &key, &kl, &v, &vl) && (m = coll_member(&s->c, key, kl, &ml))) {
            union_add(a, &acc, i, e, m, ml, record_score(s, v, vl));
        }
        store_elems_free(it);
    }
    const char *m;
    size_t ml, at = 0;
    while (memberset_next(&acc, &at, &m, &ml)) {
        double d;
        memcpy(&d, m + ml, 8);
        emit(x, arg, m, ml, d);
    }
    memberset_free(&acc);
}

/* Notes each input that holds the same collection as an earlier one. */
static void mark_same(zalg *a) {
    memberset ids;
    memberset_init_values(&ids, sizeof(long long));
    for (long long j = 0; j < a->n; j++) {
        zsrc *s = &a->src[j];
        s->same = -1;
        if (!s->present) continue;
        int fresh;
        char *slot = memberset_slot(&ids, s->c.meta, STORE_CID, &fresh);
        if (fresh) memcpy(slot, &j, sizeof(j));
        else memcpy(&s->same, slot, sizeof(s->same));
    }
    memberset_free(&ids);
}

/* Whether a difference had better gather the other inputs' members in
 * memory than look each of the first's up in each of them (Redis's choice
 * between its two ways, by the same estimate of their work). */
static int diff_gathers(const zalg *a) {
    uint64_t lookups = 0, others = 0;
    for (long long j = 0; j < a->n; j++) {
        lookups += a->src[0].c.count;
        others += a->src[j].c.count;
    }
    return lookups / 2 > others;
}

/* Whether a difference names its first input again (nothing is left). */
static int diff_of_itself(const zalg *a) {
    for (long long j = 1; j < a->n; j++)
        if (a->src[j].same == 0) return 1;
    return 0;
}

static void gather_others(cmdctx *x, const zalg *a, memberset *to) {
    for (long long j = 1; j < a->n; j++) {
        const zsrc *s = &a->src[j];
        if (!s->c.count || s->same >= 0) continue;
        store_elems *it = store_elems_new(x->f, s->c.meta, s->c.pre, s->c.prelen);
        const char *key, *v, *m;
        size_t kl, vl, ml;
        while (store_elems_next(it, &key, &kl, &v, &vl) && (m = coll_member(&s->c, key, kl, &ml))) memberset_add(to, m, ml);
        store_elems_free(it);
    }
}

static int by_count(const void *p, const void *q) {
    const zsrc *a = p, *b = q;
    if (a->c.count != b->c.count) return a->c.count < b->c.count ? -1 : 1;
    return a->at - b->at;
}

/* Runs the operation: a union and an intersection take their inputs from
 * the smallest up, as Redis does (the order in which scores are summed
 * decides a sum's rounding, and whether inf and -inf meet); a difference
 * keeps the first input's members that no other holds. */
static void zalg_run(cmdctx *x, zalg *a, zemit_fn *emit, void *arg) {
    if (a->op != ZOP_DIFF) qsort(a->src, (size_t)a->n, sizeof(zsrc), by_count);
    mark_same(a);
    a->val = xmalloc(sizeof(double) * (size_t)a->n);
    memberset others;
    if (a->op == ZOP_DIFF && diff_of_itself(a)) {
        free(a->val);
        return;
    }
    if (a->op == ZOP_DIFF && a->src[0].c.count && diff_gathers(a)) {
        memberset_init(&others);
        gather_others(x, a, &others);
        a->others = &others;
    }
    if (a->op == ZOP_UNION) union_run(x, a, emit, arg);
    else if (a->src[0].c.count) walk_src(x, a, 0, emit, arg);
    if (a->others) memberset_free(a->others);
    free(a->val);
}

/* The options after the keys, as Redis reads them (store: a STORE form,
 * card: ZINTERCARD); 0 with the error answered. */
static int zalg_options(cmdctx *x, int argc, rstr *argv, int j, int store, int card, zalg *a) {
    while (j < argc) {
        int rem = argc - j;
        if (a->op != ZOP_DIFF && !card && rem >= a->n + 1 && arg_is(&argv[j], "weights")) {
            j++;
            for (long long i = 0; i < a->n; i++, j++)
                if (!str2score(argv[j].p, argv[j].len, &a->src[i].weight)) {
                    reply_error(x->out, "ERR weight value is not a float");
                    return 0;
                }
        } else if (a->op != ZOP_DIFF && !card && rem >= 2 && arg_is(&argv[j], "aggregate")) {
            const rstr *w = &argv[j + 1];
            if (arg_is(w, "sum")) a->agg = AGG_SUM;
            else if (arg_is(w, "min")) a->agg = AGG_MIN;
            else if (arg_is(w, "max")) a->agg = AGG_MAX;
            else break;
            j += 2;
        } else if (!store && !card && arg_is(&argv[j], "withscores")) {
            a->withscores = 1;
            j++;
        } else if (card && rem >= 2 && arg_is(&argv[j], "limit")) {
            if (!str2ll(argv[j + 1].p, argv[j + 1].len, &a->limit) || a->limit < 0) {
                reply_error(x->out, "ERR LIMIT can't be negative");
                return 0;
            }
            j += 2;
        } else {
            break;
        }
    }
    if (j < argc) reply_error(x->out, ERR_SYNTAX);
    return j >= argc;
}

/* The arguments from argv[at] (numkeys) on, in Redis's order: the count,
 * then each key's type (with the store: before a write is proposed the
 * types are not known, so there its options are checked first: a bad one
 * is refused before it is proposed), then the options. 0 with the error
 * answered; else a->src to free. */
static int zalg_args(cmdctx *x, int argc, rstr *argv, int at, int op, int store, int card, zalg *a) {
    memset(a, 0, sizeof(*a));
    a->op = op;
    if (!arg_ll(x, &argv[at], &a->n)) return 0;
    if (a->n < 1) {
        char name[32];
        cmd_lower(name, sizeof(name), argv[0].p, argv[0].len);
        reply_errorf(x->out, "ERR at least 1 input key is needed for '%s' command", name);
        return 0;
    }
    if (a->n > argc - at - 1) {
        reply_error(x->out, ERR_SYNTAX);
        return 0;
    }
    a->src = xmalloc(sizeof(zsrc) * (size_t)a->n);
    memset(a->src, 0, sizeof(zsrc) * (size_t)a->n);
    memberset named;  /* key -> its first input: a key named again is read once */
    memberset_init_values(&named, sizeof(long long));
    int typed = 1;
    for (long long i = 0; i < a->n && typed; i++) {
        zsrc *s = &a->src[i];
        const rstr *key = &argv[at + 1 + i];
        int fresh;
        char *first = memberset_slot(&named, key->p, key->len, &fresh);
        if (fresh) memcpy(first, &i, sizeof(i));
        long long j;
        memcpy(&j, first, sizeof(j));
        if (!fresh) *s = a->src[j];
        else if (x->f) s->present = coll_get_either(x, key, STORE_ZSET, ZSET_META, STORE_SET, SET_META, &s->c);
        s->weight = 1.0;
        s->at = (int)i;
        typed = s->present >= 0;
    }
    memberset_free(&named);
    if (typed && zalg_options(x, argc, argv, at + 1 + (int)a->n, store, card, a)) return 1;
    free(a->src);
    return 0;
}

/* ZUNION / ZINTER / ZDIFF's reply: the results sorted as a sorted set's members. */
static int found_emit(cmdctx *x, void *arg, const char *m, size_t n, double d) {
    (void)x;
    found_put(arg, m, n, d);
    return 0;
}

typedef struct zres { const char *m; size_t n; double d; } zres;

static int zres_cmp(const void *p, const void *q) {
    const zres *a = p, *b = q;
    if (a->d != b->d) return a->d < b->d ? -1 : 1;
    return lex_cmp(a->m, a->n, b->m, b->n);
}

static void reply_sorted(cmdctx *x, const found *f, int withscores) {
    zres *v = xmalloc(sizeof(zres) * (f->n ? f->n : 1));
    size_t off = 0;
    for (uint64_t i = 0; i < f->n; i++) {
        v[i].n = get_u32(f->recs.data + off);
        v[i].m = f->recs.data + off + 4;
        memcpy(&v[i].d, v[i].m + v[i].n, 8);
        off += 4 + v[i].n + 8;
    }
    qsort(v, f->n, sizeof(zres), zres_cmp);
    reply_array(x->out, (long long)(f->n * (withscores ? 2 : 1)));
    for (uint64_t i = 0; i < f->n; i++) {
        reply_bulk(x->out, v[i].m, v[i].n);
        if (withscores) reply_score(x->out, v[i].d);
    }
    free(v);
}

static void zalg_reply(cmdctx *x, int argc, rstr *argv, int op) {
    zalg a;
    if (!zalg_args(x, argc, argv, 1, op, 0, 0, &a)) return;
    found f = {{0}, 0};
    buf_init(&f.recs);
    zalg_run(x, &a, found_emit, &f);
    reply_sorted(x, &f, a.withscores);
    buf_free(&f.recs);
    free(a.src);
}
void zunion_command(cmdctx *x, int argc, rstr *argv) { zalg_reply(x, argc, argv, ZOP_UNION); }
void zinter_command(cmdctx *x, int argc, rstr *argv) { zalg_reply(x, argc, argv, ZOP_INTER); }
void zdiff_command(cmdctx *x, int argc, rstr *argv) { zalg_reply(x, argc, argv, ZOP_DIFF); }

/* The STORE forms' result, written as it is found under a new id. Redis
 * builds it as a skiplist and makes it a listpack if it is small enough,
 * which turns -0 into 0: the few members scored -0 are noted to mend then. */
typedef struct zbuild {
    coll d;
    size_t maxlen;
    memberset negzero;
} zbuild;

static int build_emit(cmdctx *x, void *arg, const char *m, size_t n, double d) {
    zbuild *b = arg;
    member_put(x, &b->d, m, n, d, 0, 0);
    if (n > b->maxlen) b->maxlen = n;
    if (d == 0 && signbit(d) && b->negzero.n <= LISTPACK_ENTRIES) memberset_add(&b->negzero, m, n);
    return 0;
}

/* ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE destination numkeys key [key ...] [options] */
static void zalg_store(cmdctx *x, int argc, rstr *argv, int op) {
    zalg a;
    if (!zalg_args(x, argc, argv, 2, op, 1, 0, &a)) return;
    if (!x->f) {
        free(a.src);
        return;
    }
    zbuild b;
    memset(&b, 0, sizeof(b));
    coll_new(x, &b.d, STORE_ZSET, ZSET_META);
    b.d.meta[STORE_META] = 1;
    memberset_init(&b.negzero);
    zalg_run(x, &a, build_emit, &b);
    if (b.d.count <= LISTPACK_ENTRIES && b.maxlen <= LISTPACK_VALUE) {
        b.d.meta[STORE_META] = 0;
        const char *m;
        size_t ml, at = 0;
        while (memberset_next(&b.negzero, &at, &m, &ml)) member_put(x, &b.d, m, ml, 0.0, 1, -0.0);
    }
    memberset_free(&b.negzero);
    if (b.d.count) coll_save(x, &argv[1], &b.d);
    else key_del(x, &argv[1]);
    reply_int(x->out, (long long)b.d.count);
    free(a.src);
}
void zunionstore_command(cmdctx *x, int argc, rstr *argv) { zalg_store(x, argc, argv, ZOP_UNION); }
void zinterstore_command(cmdctx *x, int argc, rstr *argv) { zalg_store(x, argc, argv, ZOP_INTER); }
void zdiffstore_command(cmdctx *x, int argc, rstr *argv) { zalg_store(x, argc, argv, ZOP_DIFF); }

static int count_emit(cmdctx *x, void *arg, const char *m, size_t n, double d) {
    (void)x, (void)m, (void)n, (void)d;
    long long *c = arg;
    c[0]++;
    return c[1] && c[0] >= c[1];
}

/* ZINTERCARD numkeys key [key ...] [LIMIT limit] */
void zintercard_command(cmdctx *x, int argc, rstr *argv) {
    zalg a;
    if (!zalg_args(x, argc, argv, 1, ZOP_INTER, 0, 1, &a)) return;
    long long c[2] = {0, a.limit};
    zalg_run(x, &a, count_emit, c);
    reply_int(x->out, c[0]);
    free(a.src);
}

/* ---- draws and scans ---- */

/* ZRANDMEMBER key [count [WITHSCORES]] (coll.h) */
void zrandmember_command(cmdctx *x, int argc, rstr *argv) {
    coll_randmember(x, argc, argv, STORE_ZSET, ZSET_META, "withscores", score_value, "members");
}

/* A score as a listpack holds it, which ZSCAN of a small sorted set
 * answers as is: a whole number within 2^62 either way as an integer
 * (Redis's double2ll), else as any reply of a score. */
static void score_value_listpack(buf *out, const char *v, size_t vl) {
    double d = 0;
    if (vl == 8) memcpy(&d, v, 8);
    if (d >= -0x1p62 && d <= 0x1p62 && d == (double)(long long)d) {
        char tmp[32];
        reply_bulk(out, tmp, (size_t)snprintf(tmp, sizeof(tmp), "%lld", (long long)d));
    } else {
        reply_score(out, d);
    }
}

/* How ZSCAN replies z's scores: a small one's as its listpack holds them. */
static coll_value_fn *zscan_scores(const coll *z) { return z->meta[STORE_META] ? score_value : score_value_listpack; }

/* ZSCAN key cursor [MATCH pattern] [COUNT count]: members and scores, in
 * hash order (coll.h). */
void zscan_command(cmdctx *x, int argc, rstr *argv) { coll_scan(x, argc, argv, STORE_ZSET, ZSET_META, zscan_scores); }

const char *zset_encoding(const sval *v) { return v->len == ZSET_META && !v->p[STORE_META] ? "listpack" : "skiplist"; }
