/* Sets: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP,
 * SRANDMEMBER, SMOVE, SINTER, SUNION, SDIFF and their STORE forms,
 * SINTERCARD, SSCAN, with Redis 7.0's replies and errors. A set is a
 * collection (coll.h, docs/collections.md): its metadata (id, member
 * count, and whether Redis would hold it as a hashtable yet rather than
 * an intset) under its key, one record per member with an empty value,
 * in hash order. SPOP draws from its entry, so every replica pops the
 * same members. */
#include "coll.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Redis keeps a set as an intset while every member is an integer and
 * there are at most 512, and never goes back (SPOP's rebuild aside). */
#define INTSET_ENTRIES 512

static int set_get(cmdctx *x, const rstr *key, coll *s) { return coll_get(x, key, STORE_SET, SET_META, s); }

static int is_int(const char *p, size_t n) {
    long long v;
    return n <= 20 && str2ll(p, n, &v);
}

/* A new set: no members yet, a fresh id, an intset until told otherwise. */
static void set_new(cmdctx *x, coll *s) { coll_new(x, s, STORE_SET, SET_META); }

/* Adds member m (its sub-key made in b) when absent (fresh: known to be);
 * 1 if added. */
static int member_add(cmdctx *x, coll *s, buf *b, const char *m, size_t n, int fresh) {
    coll_sub(s, b, m, n);
    sval v;
    if (!fresh && (!s->made || s->count) && store_elem_get(x->f, s->meta, b->data, b->len, &v)) {
        sval_free(&v);
        return 0;
    }
    store_elem_put(x->f, s->meta, b->data, b->len, "", 0);
    s->count++;
    if (s->count > INTSET_ENTRIES || !is_int(m, n)) s->meta[STORE_META] = 1;
    coll_note_size(s, n);
    return 1;
}

static int has_member(cmdctx *x, const coll *s, const rstr *m) {
    sval v;
    if (!coll_member_get(x, s, m->p, m->len, &v)) return 0;
    sval_free(&v);
    return 1;
}

/* SADD key member [member ...] (a set unchanged is not written: WATCH) */
void sadd_command(cmdctx *x, int argc, rstr *argv) {
    if (!x->f) return;
    coll s;
    int r = set_get(x, &argv[1], &s);
    if (r < 0) return;
    if (x->probing) {  /* every member there already: nothing to write */
        for (int i = 2; r && i < argc; i++) r = has_member(x, &s, &argv[i]);
        if (r) reply_int(x->out, 0);
        return;
    }
    if (!r) set_new(x, &s);
    buf b;
    buf_init(&b);
    long long added = 0;
    for (int i = 2; i < argc; i++) added += member_add(x, &s, &b, argv[i].p, argv[i].len, 0);
    buf_free(&b);
    if (added) coll_save(x, &argv[1], &s);
    reply_int(x->out, added);
}

/* SREM key member [member ...] */
void srem_command(cmdctx *x, int argc, rstr *argv) { coll_remove(x, argc, argv, STORE_SET, SET_META); }

/* SCARD key */
void scard_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    coll s;
    if (set_get(x, &argv[1], &s) >= 0) reply_int(x->out, (long long)s.count);
}


/* SISMEMBER key member */
void sismember_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    coll s;
    int r = set_get(x, &argv[1], &s);
    if (r >= 0) reply_int(x->out, r && has_member(x, &s, &argv[2]));
}

/* SMISMEMBER key member [member ...] */
void smismember_command(cmdctx *x, int argc, rstr *argv) {
    coll s;
    int r = set_get(x, &argv[1], &s);
    if (r < 0) return;
    reply_array(x->out, argc - 2);
    for (int i = 2; i < argc; i++) reply_int(x->out, r && has_member(x, &s, &argv[i]));
}

/* Every member of s replied, as an array. */
static void reply_members(cmdctx *x, const coll *s) {
    reply_array(x->out, (long long)s->count);
    store_elems *it = store_elems_new(x->f, s->meta, "", 0);
    const char *k, *v, *m;
    size_t kl, vl, ml;
    while (store_elems_next(it, &k, &kl, &v, &vl) && (m = coll_member(s, k, kl, &ml))) reply_bulk(x->out, m, ml);
    store_elems_free(it);
}

/* SMEMBERS key (off the event loop: a set may be large) */
void smembers_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    coll s;
    int r = set_get(x, &argv[1], &s);
    if (r < 0) return;
    if (!r) reply_array(x->out, 0);
    else reply_members(x, &s);
}

/* SRANDMEMBER key [count]: as HRANDFIELD (coll.h), members only. */
void srandmember_command(cmdctx *x, int argc, rstr *argv) {
    coll_randmember(x, argc, argv, STORE_SET, SET_META, NULL, NULL, "members");
}

/* SPOP's count, as Redis reads it; 0 with the error answered. */
static int spop_count(cmdctx *x, int argc, rstr *argv, long long *count) {
    if (argc > 3) { reply_error(x->out, ERR_SYNTAX); return 0; }
    if (!str2ll(argv[2].p, argv[2].len, count) || *count < 0) {
        reply_error(x->out, "ERR value is out of range, must be positive");
        return 0;
    }
    return 1;
}

/* After popping most of a set, Redis builds a new one from the few left
 * (SPOP's count at least five times what remains): an intset again when
 * they are all integers. */
static void spop_rebuilt(cmdctx *x, coll *s) {
    int ints = s->count <= INTSET_ENTRIES;
    store_elems *it = store_elems_new(x->f, s->meta, "", 0);
    const char *k, *v, *m;
    size_t kl, vl, ml;
    while (ints && store_elems_next(it, &k, &kl, &v, &vl) && (m = coll_member(s, k, kl, &ml))) ints = is_int(m, ml);
    store_elems_free(it);
    s->meta[STORE_META] = (char)!ints;
}

/* Pops want (< its count) random members of s, replied as an array, or
 * with single as the one member's bulk. */
static void spop_some(cmdctx *x, coll *s, uint64_t want, int single) {
    coll_rng r;
    coll_rng_init(x, &r);
    buf recs, b;
    buf_init(&recs);
    buf_init(&b);
    size_t *at = xmalloc(sizeof(size_t) * want);
    coll_draw(x, s, &r, want, 1, &recs, at, UINT64_MAX);
    if (!single) reply_array(x->out, (long long)want);
    for (uint64_t i = 0; i < want; i++) {
        const char *m = recs.data + at[i] + 8;
        uint32_t ml = get_u32(recs.data + at[i]);
        reply_bulk(x->out, m, ml);
        coll_sub(s, &b, m, ml);
        s->count -= (uint64_t)store_elem_del(x->f, s->meta, b.data, b.len);
    }
    if (!single && s->count * 5 <= want) spop_rebuilt(x, s);
    free(at);
    buf_free(&b);
    buf_free(&recs);
}

/* SPOP key [count]: members drawn from the entry, the same on every replica. */
void spop_command(cmdctx *x, int argc, rstr *argv) {
    long long count = 1;
    if (argc >= 3 && !spop_count(x, argc, argv, &count)) return;
    if (!x->f) return;
    coll s;
    int r = set_get(x, &argv[1], &s);
    if (r < 0 || (r && count && x->probing)) return;  /* WRONGTYPE; or members to pop: a write */
    if (!r || !count) {
        if (argc == 2) reply_nil(x->out);
        else reply_array(x->out, 0);
        return;
    }
    if ((uint64_t)count >= s.count) {  /* all of it: the key goes */
        if (argc == 2) {
            spop_some(x, &s, 1, 1);
        } else {
            reply_members(x, &s);
            s.count = 0;
        }
    } else {
        spop_some(x, &s, (uint64_t)count, argc == 2);
    }
    coll_save(x, &argv[1], &s);
}

/* SMOVE source destination member */
void smove_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (!x->f) return;
    coll src, dst;
    int rs = set_get(x, &argv[1], &src), rd;
    if (rs <= 0) {  /* a missing source answers 0 whatever the destination holds */
        if (!rs) reply_int(x->out, 0);
        return;
    }
    if ((rd = set_get(x, &argv[2], &dst)) < 0) return;
    if (argv[1].len == argv[2].len && !memcmp(argv[1].p, argv[2].p, argv[1].len)) {
        reply_int(x->out, has_member(x, &src, &argv[3]));
        return;
    }
    buf b;
    buf_init(&b);
    coll_sub(&src, &b, argv[3].p, argv[3].len);
    int moved = store_elem_del(x->f, src.meta, b.data, b.len);
    if (moved) {
        src.count--;
        coll_save(x, &argv[1], &src);
        if (!rd) set_new(x, &dst);
        if (member_add(x, &dst, &b, argv[3].p, argv[3].len, 0)) coll_save(x, &argv[2], &dst);
    }
    buf_free(&b);
    reply_int(x->out, moved);
}

/* ---- the algebra ---- */

enum { OP_INTER, OP_UNION, OP_DIFF };

/* The n sets named by keys into sets (a missing one: count 0, present 0);
 * 0 with WRONGTYPE answered for the first key of another type. */
static int open_sets(cmdctx *x, const rstr *keys, int n, coll *sets, int *present) {
    for (int i = 0; i < n; i++) {
        int r = set_get(x, &keys[i], &sets[i]);
        if (r < 0) return 0;
        present[i] = r;
    }
    return 1;
}

/* Whether sub-key k is a member of every set in sets but skip (want 1),
 * or of none of them (want 0). */
static int in_sets(cmdctx *x, const coll *sets, const int *present, int n, int skip, const char *k, size_t kl,
                   int want) {
    for (int i = 0; i < n; i++) {
        if (i == skip || !present[i]) {
            if (i != skip && want) return 0;
            continue;
        }
        sval v;
        int has = store_elem_get(x->f, sets[i].meta, k, kl, &v);
        if (has) sval_free(&v);
        if (has != want) return 0;
    }
    return 1;
}

/* Where op's members go: counted only (up to limit when it is not 0),
 * gathered for a reply (distinct ones: a union's may repeat), or added
 * to a set being built. */
typedef struct sink {
    uint64_t n, limit;
    memberset *reply;
    coll *dst;
    buf b;
    int lead_ints;  /* every member of the walked set was an integer */
} sink;

/* 1 once the sink wants no more. */
static int sink_put(cmdctx *x, int op, sink *k, const char *m, size_t ml) {
    if (k->reply) k->n += (uint64_t)memberset_add(k->reply, m, ml);
    else if (k->dst) k->n += (uint64_t)member_add(x, k->dst, &k->b, m, ml, op != OP_UNION);
    else k->n++;
    return k->limit && k->n >= k->limit;
}

/* op over the n sets into k: an intersection walks the smallest set and
 * looks its members up in the others, a difference the first, a union
 * all of them. */
static void algebra(cmdctx *x, int op, const coll *sets, const int *present, int n, sink *k) {
    int lead = 0;
    for (int i = 1; op == OP_INTER && i < n; i++)
        if (sets[i].count < sets[lead].count) lead = i;
    k->lead_ints = 1;
    int done = 0;
    for (int i = 0; i < n && !done; i++) {
        if ((op != OP_UNION && i != lead) || !present[i] || (op == OP_INTER && !sets[lead].count)) continue;
        store_elems *it = store_elems_new(x->f, sets[i].meta, "", 0);
        const char *key, *v, *m;
        size_t kl, vl, ml;
        while (!done && store_elems_next(it, &key, &kl, &v, &vl) && (m = coll_member(&sets[i], key, kl, &ml))) {
            k->lead_ints &= is_int(m, ml);
            if (op == OP_UNION || in_sets(x, sets, present, n, i, key, kl, op == OP_INTER)) done = sink_put(x, op, k, m, ml);
        }
        store_elems_free(it);
    }
}

/* SINTER / SUNION / SDIFF key [key ...] (off the event loop: sets may be large) */
static void algebra_reply(cmdctx *x, int op, int n, rstr *keys) {
    coll *sets = xmalloc(sizeof(coll) * (size_t)n);
    int *present = xmalloc(sizeof(int) * (size_t)n);
    if (open_sets(x, keys, n, sets, present)) {
        memberset out;
        memberset_init(&out);
        sink k = {0, 0, &out, NULL, {0}, 0};
        algebra(x, op, sets, present, n, &k);
        reply_array(x->out, (long long)out.n);
        const char *m;
        size_t ml, at = 0;
        while (memberset_next(&out, &at, &m, &ml)) reply_bulk(x->out, m, ml);
        memberset_free(&out);
    }
    free(present);
    free(sets);
}
void sinter_command(cmdctx *x, int argc, rstr *argv) { algebra_reply(x, OP_INTER, argc - 1, &argv[1]); }
void sunion_command(cmdctx *x, int argc, rstr *argv) { algebra_reply(x, OP_UNION, argc - 1, &argv[1]); }
void sdiff_command(cmdctx *x, int argc, rstr *argv) { algebra_reply(x, OP_DIFF, argc - 1, &argv[1]); }

/* Redis 7.0's SDIFFSTORE, when the first set is large next to the rest,
 * copies it whole and then removes the others' members: the result is a
 * hashtable if the first set held more than an intset takes. */
static int diff_copies_first(const coll *sets, const int *present, int n) {
    uint64_t one = 0, two = 0;
    for (int i = 0; i < n; i++)
        if (present[i]) one += sets[0].count, two += sets[i].count;
    return one / 2 > two;
}

/* SINTERSTORE / SUNIONSTORE / SDIFFSTORE destination key [key ...]: the
 * result, written as it is found under a new id, replaces destination
 * (whatever it held), or, empty, deletes it. */
static void algebra_store(cmdctx *x, int op, int argc, rstr *argv) {
    if (!x->f) return;
    int n = argc - 2;
    coll *sets = xmalloc(sizeof(coll) * (size_t)n), dst;
    int *present = xmalloc(sizeof(int) * (size_t)n);
    if (open_sets(x, &argv[2], n, sets, present)) {
        set_new(x, &dst);
        sink k = {0, 0, NULL, &dst, {0}, 0};
        buf_init(&k.b);
        algebra(x, op, sets, present, n, &k);
        buf_free(&k.b);
        if (op == OP_DIFF && diff_copies_first(sets, present, n) && (!k.lead_ints || sets[0].count > INTSET_ENTRIES))
            dst.meta[STORE_META] = 1;
        if (dst.count) coll_save(x, &argv[1], &dst);
        else key_del(x, &argv[1]);
        reply_int(x->out, (long long)dst.count);
    }
    free(present);
    free(sets);
}
void sinterstore_command(cmdctx *x, int argc, rstr *argv) { algebra_store(x, OP_INTER, argc, argv); }
void sunionstore_command(cmdctx *x, int argc, rstr *argv) { algebra_store(x, OP_UNION, argc, argv); }
void sdiffstore_command(cmdctx *x, int argc, rstr *argv) { algebra_store(x, OP_DIFF, argc, argv); }

/* SINTERCARD numkeys key [key ...] [LIMIT limit]: the arguments checked
 * before any key is read, as Redis does; LIMIT 0 means none. */
void sintercard_command(cmdctx *x, int argc, rstr *argv) {
    long long n, limit = 0;
    if (!str2ll(argv[1].p, argv[1].len, &n) || n <= 0) {
        reply_error(x->out, "ERR numkeys should be greater than 0");
        return;
    }
    if (n > argc - 2) {
        reply_error(x->out, "ERR Number of keys can't be greater than number of args");
        return;
    }
    for (int i = 2 + (int)n; i < argc; i += 2) {
        if (!arg_is(&argv[i], "limit") || i + 1 >= argc) { reply_error(x->out, ERR_SYNTAX); return; }
        if (!str2ll(argv[i + 1].p, argv[i + 1].len, &limit) || limit < 0) {
            reply_error(x->out, "ERR LIMIT can't be negative");
            return;
        }
    }
    coll *sets = xmalloc(sizeof(coll) * (size_t)n);
    int *present = xmalloc(sizeof(int) * (size_t)n), all = 1;
    if (open_sets(x, &argv[2], (int)n, sets, present)) {
        sink k = {0, (uint64_t)limit, NULL, NULL, {0}, 0};
        for (int i = 0; i < n; i++) all &= present[i];
        if (all) algebra(x, OP_INTER, sets, present, (int)n, &k);
        reply_int(x->out, (long long)k.n);
    }
    free(present);
    free(sets);
}

/* SSCAN key cursor [MATCH pattern] [COUNT count] (coll.h) */
void sscan_command(cmdctx *x, int argc, rstr *argv) { coll_scan(x, argc, argv, STORE_SET, SET_META, NULL); }

const char *set_encoding(const sval *v) { return v->len == SET_META && !v->p[STORE_META] ? "intset" : "hashtable"; }
