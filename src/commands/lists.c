/* Lists: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP (with count), LLEN,
 * LINDEX, LRANGE, LSET, LTRIM, LREM, LINSERT, LPOS, LMOVE, RPOPLPUSH,
 * LMPOP, and the apply side of the blocking forms, with Redis 7.0's
 * replies and errors. A list is a collection (coll.h, docs/collections.md)
 * whose records are keyed by position: a big-endian 64-bit number, the
 * metadata holding the first one, the others following without gaps. So
 * an element at any index is one point read, a range one ordered walk,
 * and a push or pop at either end touches one record; an insertion or
 * removal inside moves the elements of the shorter side. */
#include "coll.h"
#include "log.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LIST_META (STORE_META + 8)  /* ... then the first element's position, little-endian */
#define LIST_MID (1ULL << 63)       /* a new list's first position: room both ways */

enum { LEFT = 0, RIGHT = 1 };

static int list_get(cmdctx *x, const rstr *key, coll *l) { return coll_get(x, key, STORE_LIST, LIST_META, l); }
static uint64_t first(const coll *l) { return get_u64(l->meta + STORE_META); }
static void set_first(coll *l, uint64_t p) { set_u64(l->meta + STORE_META, p); }

static void list_new(cmdctx *x, coll *l) {
    coll_new(x, l, STORE_LIST, LIST_META);
    set_first(l, LIST_MID);
}

/* The sub-key of index i (0: the first element). */
static void pos_sub(const coll *l, uint64_t i, char *be) {
    uint64_t p = first(l) + i;
    for (int k = 0; k < 8; k++) be[k] = (char)(p >> (56 - 8 * k));
}

/* A list missing one of its records stops the node: the start-up check
 * refuses such a store, so this is a bug; never answer from it. */
static void lacks(const coll *l, uint64_t i) {
    logmsg(LL_WARNING, "A list lacks its element %llu of %llu. Stopping: never answer wrongly", (unsigned long long)i,
           (unsigned long long)l->count);
    abort();
}

/* Element i into v (sval_free it). */
static void elem_get(cmdctx *x, const coll *l, uint64_t i, sval *v) {
    char be[8];
    pos_sub(l, i, be);
    if (!store_elem_get(x->f, l->meta, be, 8, v)) lacks(l, i);
}

/* The same for a pop at where: pops in a row read ahead (store.h), but
 * not in a list that has held an element of a megabyte or more (a window
 * would read such a one twice: its bound is a megabyte). */
static void end_get(cmdctx *x, const coll *l, uint64_t i, int where, sval *v) {
    if (coll_large(l)) { elem_get(x, l, i, v); return; }
    char be[8];
    pos_sub(l, i, be);
    if (!store_elem_get_run(x->f, l->meta, be, 8, where == LEFT ? 1 : -1, v)) lacks(l, i);
}

static void elem_put(cmdctx *x, coll *l, uint64_t i, const char *p, size_t n) {
    char be[8];
    pos_sub(l, i, be);
    store_elem_put(x->f, l->meta, be, 8, p, n);
    coll_note_size(l, n);
}

static void elem_drop(cmdctx *x, const coll *l, uint64_t i) {
    char be[8];
    pos_sub(l, i, be);
    store_elem_drop(x->f, l->meta, be, 8);
}

/* Elements from index i on, in order. */
static store_elems *walk(cmdctx *x, const coll *l, uint64_t i) {
    char be[8];
    pos_sub(l, i, be);
    return store_elems_new(x->f, l->meta, be, 8);
}

static void push(cmdctx *x, coll *l, int where, const char *p, size_t n) {
    if (where == LEFT) set_first(l, first(l) - 1);
    l->count++;
    elem_put(x, l, where == LEFT ? 0 : l->count - 1, p, n);
}

/* Pops the element at where into v (sval_free it). Its record goes even
 * when the list empties (then its key goes too): LMOVE of a list's only
 * element onto its other end reuses the list. */
static void pop(cmdctx *x, coll *l, int where, sval *v) {
    uint64_t i = where == LEFT ? 0 : l->count - 1;
    end_get(x, l, i, where, v);
    elem_drop(x, l, i);
    if (where == LEFT) set_first(l, first(l) + 1);
    l->count--;
}

static int where_arg(const rstr *a, int *where) {
    if (arg_is(a, "left")) *where = LEFT;
    else if (arg_is(a, "right")) *where = RIGHT;
    else return 0;
    return 1;
}

/* ---- pushes ---- */

/* LPUSH / RPUSH key element [element ...]; with only, LPUSHX / RPUSHX. */
static void push_generic(cmdctx *x, int argc, rstr *argv, int where, int only) {
    if (!x->f) return;
    coll l;
    int r = list_get(x, &argv[1], &l);
    if (r < 0) return;
    if (!r && only) { reply_int(x->out, 0); return; }
    if (!r) list_new(x, &l);
    for (int i = 2; i < argc; i++) push(x, &l, where, argv[i].p, argv[i].len);
    coll_save(x, &argv[1], &l);
    reply_int(x->out, (long long)l.count);
}
void lpush_command(cmdctx *x, int argc, rstr *argv) { push_generic(x, argc, argv, LEFT, 0); }
void rpush_command(cmdctx *x, int argc, rstr *argv) { push_generic(x, argc, argv, RIGHT, 0); }
void lpushx_command(cmdctx *x, int argc, rstr *argv) { push_generic(x, argc, argv, LEFT, 1); }
void rpushx_command(cmdctx *x, int argc, rstr *argv) { push_generic(x, argc, argv, RIGHT, 1); }

/* ---- pops ---- */

/* Pops up to count (at least 1) elements of l at where, replied as bulks
 * in the order popped. */
static void pop_many(cmdctx *x, coll *l, int where, uint64_t count) {
    if (count > l->count) count = l->count;
    if (where == LEFT && count > 8) {  /* a walk; a few are point reads (an iterator costs more) */
        store_elems *it = walk(x, l, 0);
        const char *k, *v;
        size_t kl, vl;
        for (uint64_t i = 0; i < count; i++) {
            if (!store_elems_next(it, &k, &kl, &v, &vl)) lacks(l, i);
            reply_bulk(x->out, v, vl);
        }
        store_elems_free(it);
        for (uint64_t i = 0; i < count && count < l->count; i++) elem_drop(x, l, i);
        set_first(l, first(l) + count);
    } else {
        for (uint64_t i = 0; i < count; i++) {
            uint64_t at = where == LEFT ? i : l->count - 1 - i;
            sval s;
            end_get(x, l, at, where, &s);
            reply_bulk(x->out, s.p, s.len);
            sval_free(&s);
            if (count < l->count) elem_drop(x, l, at);
        }
        if (where == LEFT) set_first(l, first(l) + count);
    }
    l->count -= count;
}

/* LPOP / RPOP key [count] */
static void pop_generic(cmdctx *x, int argc, rstr *argv, int where) {
    long long count = 1;
    if (argc > 3) {
        reply_errorf(x->out, "ERR wrong number of arguments for '%s' command", where == LEFT ? "lpop" : "rpop");
        return;
    }
    if (argc == 3 && (!str2ll(argv[2].p, argv[2].len, &count) || count < 0)) {
        reply_error(x->out, "ERR value is out of range, must be positive");
        return;
    }
    if (!x->f) return;
    coll l;
    int r = list_get(x, &argv[1], &l);
    if (r < 0) return;
    if (!r) { buf_appendstr(x->out, argc == 3 ? "*-1\r\n" : "$-1\r\n"); return; }
    if (argc == 3) reply_array(x->out, (long long)((uint64_t)count < l.count ? (uint64_t)count : l.count));
    if (!count) return;  /* LPOP key 0: nothing changes */
    pop_many(x, &l, where, (uint64_t)count);
    coll_save(x, &argv[1], &l);
}
void lpop_command(cmdctx *x, int argc, rstr *argv) { pop_generic(x, argc, argv, LEFT); }
void rpop_command(cmdctx *x, int argc, rstr *argv) { pop_generic(x, argc, argv, RIGHT); }

/* Moves the element at from of src (non-empty) to whereto of dst, replied
 * as a bulk; src and dst may be one list (then the same coll). */
static void move_one(cmdctx *x, const rstr *skey, coll *src, const rstr *dkey, coll *dst, int dmade, int wherefrom,
                     int whereto) {
    sval v;
    pop(x, src, wherefrom, &v);
    if (dst != src) coll_save(x, skey, src);
    if (!dmade && dst != src) list_new(x, dst);
    push(x, dst, whereto, v.p, v.len);
    coll_save(x, dkey, dst);
    reply_bulk(x->out, v.p, v.len);
    sval_free(&v);
}

static int list_same_key(const rstr *a, const rstr *b) { return a->len == b->len && !memcmp(a->p, b->p, a->len); }

/* LMOVE source destination LEFT|RIGHT LEFT|RIGHT's apply: a missing or
 * empty source answers nil (then the destination's type is not looked at). */
static void list_move(cmdctx *x, rstr *argv, int wherefrom, int whereto, const char *nil) {
    coll src, dst;
    int rs = list_get(x, &argv[1], &src), rd;
    if (rs <= 0) {
        if (!rs) buf_appendstr(x->out, nil);
        return;
    }
    if (list_same_key(&argv[1], &argv[2])) {
        move_one(x, &argv[1], &src, &argv[2], &src, 1, wherefrom, whereto);
        return;
    }
    if ((rd = list_get(x, &argv[2], &dst)) < 0) return;
    move_one(x, &argv[1], &src, &argv[2], &dst, rd, wherefrom, whereto);
}

/* LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
void lmove_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    int from, to;
    if (!where_arg(&argv[3], &from) || !where_arg(&argv[4], &to)) { reply_error(x->out, ERR_SYNTAX); return; }
    if (x->f) list_move(x, argv, from, to, "$-1\r\n");
}

/* RPOPLPUSH source destination */
void rpoplpush_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (x->f) list_move(x, argv, RIGHT, LEFT, "$-1\r\n");
}

int mpop_args(cmdctx *x, int argc, rstr *argv, int at, const char *w0, const char *w1, long long *numkeys, int *where,
              long long *count) {
    if (!str2ll(argv[at].p, argv[at].len, numkeys) || *numkeys <= 0) {
        reply_error(x->out, "ERR numkeys should be greater than 0");
        return 0;
    }
    if (*numkeys >= argc - at - 1) { reply_error(x->out, ERR_SYNTAX); return 0; }  /* LEFT|RIGHT must follow the keys */
    int w = at + 1 + (int)*numkeys;
    if (arg_is(&argv[w], w0)) *where = 0;
    else if (arg_is(&argv[w], w1)) *where = 1;
    else { reply_error(x->out, ERR_SYNTAX); return 0; }
    *count = -1;
    for (int i = w + 1; i < argc; i++) {
        if (*count != -1 || !arg_is(&argv[i], "count") || i + 1 >= argc) { reply_error(x->out, ERR_SYNTAX); return 0; }
        i++;
        if (!str2ll(argv[i].p, argv[i].len, count) || *count <= 0) {
            reply_error(x->out, "ERR count should be greater than 0");
            return 0;
        }
    }
    if (*count == -1) *count = 1;
    return 1;
}

/* The pop of LMPOP (and of BLPOP, BRPOP, BLMPOP): the first of the n keys
 * holding a list gives up to count elements at where, replied as [key,
 * [elements]], or flat as [key, element] (BLPOP); 0, nothing answered,
 * when none does. WRONGTYPE for a key of another type met first. */
static int list_mpop(cmdctx *x, rstr *keys, long long n, int where, long long count, int flat) {
    for (long long i = 0; i < n; i++) {
        coll l;
        int r = list_get(x, &keys[i], &l);
        if (r < 0) return 1;
        if (!r) continue;
        reply_array(x->out, 2);
        reply_bulk(x->out, keys[i].p, keys[i].len);
        if (!flat) reply_array(x->out, (long long)((uint64_t)count < l.count ? (uint64_t)count : l.count));
        pop_many(x, &l, where, (uint64_t)count);
        coll_save(x, &keys[i], &l);
        return 1;
    }
    return 0;
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
void lmpop_command(cmdctx *x, int argc, rstr *argv) {
    long long n, count;
    int where;
    if (!mpop_args(x, argc, argv, 1, "left", "right", &n, &where, &count) || !x->f) return;
    if (!list_mpop(x, &argv[2], n, where, count, 0)) buf_appendstr(x->out, "*-1\r\n");
}

/* ---- reads ---- */

/* LLEN key */
void llen_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    coll l;
    if (list_get(x, &argv[1], &l) >= 0) reply_int(x->out, (long long)l.count);
}

/* An index as Redis reads it (negative: from the end) into i; 0 when out of range. */
static int index_of(const coll *l, long long index, uint64_t *i) {
    if (index < 0) index += (long long)l->count;
    if (index < 0 || (uint64_t)index >= l->count) return 0;
    *i = (uint64_t)index;
    return 1;
}

/* LINDEX key index */
void lindex_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long index;
    coll l;
    uint64_t i;
    int r = list_get(x, &argv[1], &l);  /* the key before the index, as Redis */
    if (r < 0) return;
    if (!r) { reply_nil(x->out); return; }
    if (!arg_ll(x, &argv[2], &index)) return;
    if (!index_of(&l, index, &i)) { reply_nil(x->out); return; }
    sval v;
    elem_get(x, &l, i, &v);
    reply_bulk(x->out, v.p, v.len);
    sval_free(&v);
}

/* A start..stop range as Redis clamps it into [*a, *b]; 0 when empty. */
static int range_of(const coll *l, long long start, long long stop, uint64_t *a, uint64_t *b) {
    long long len = (long long)l->count;
    if (start < 0) start += len;
    if (stop < 0) stop += len;
    if (start < 0) start = 0;
    if (start > stop || start >= len) return 0;
    if (stop >= len) stop = len - 1;
    *a = (uint64_t)start;
    *b = (uint64_t)stop;
    return 1;
}

/* LRANGE key start stop (off the event loop: a range may be long) */
void lrange_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long start, stop;
    if (!arg_ll(x, &argv[2], &start) || !arg_ll(x, &argv[3], &stop)) return;
    coll l;
    uint64_t a, b;
    int r = list_get(x, &argv[1], &l);
    if (r < 0) return;
    if (!r || !range_of(&l, start, stop, &a, &b)) { reply_array(x->out, 0); return; }
    reply_array(x->out, (long long)(b - a + 1));
    store_elems *it = walk(x, &l, a);
    const char *k, *v;
    size_t kl, vl;
    for (uint64_t i = a; i <= b; i++) {
        if (!store_elems_next(it, &k, &kl, &v, &vl)) lacks(&l, i);
        reply_bulk(x->out, v, vl);
    }
    store_elems_free(it);
}

/* ---- changes inside ---- */

/* LSET key index element */
void lset_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long index;
    if (!x->f) return;
    coll l;
    uint64_t i;
    int r = list_get(x, &argv[1], &l);  /* the key before the index, as Redis */
    if (r < 0) return;
    if (!r) { reply_error(x->out, "ERR no such key"); return; }
    if (!arg_ll(x, &argv[2], &index)) return;
    if (!index_of(&l, index, &i)) { reply_error(x->out, "ERR index out of range"); return; }
    elem_put(x, &l, i, argv[3].p, argv[3].len);
    coll_save(x, &argv[1], &l);
    reply_ok(x->out);
}

/* LTRIM key start stop */
void ltrim_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long start, stop;
    if (!arg_ll(x, &argv[2], &start) || !arg_ll(x, &argv[3], &stop) || !x->f) return;
    coll l;
    uint64_t a, b;
    int r = list_get(x, &argv[1], &l);
    if (r < 0) return;
    if (r && !range_of(&l, start, stop, &a, &b)) {
        l.count = 0;  /* all of it: the key goes, its records garbage */
    } else if (r) {
        for (uint64_t i = 0; i < a; i++) elem_drop(x, &l, i);
        for (uint64_t i = b + 1; i < l.count; i++) elem_drop(x, &l, i);
        set_first(&l, first(&l) + a);
        l.count = b - a + 1;
    }
    if (r) coll_save(x, &argv[1], &l);
    reply_ok(x->out);
}

/* Elements [a, b] of l into recs (u32 length, bytes each). */
static void read_span(cmdctx *x, const coll *l, uint64_t a, uint64_t b, buf *recs) {
    store_elems *it = walk(x, l, a);
    const char *k, *v;
    size_t kl, vl;
    for (uint64_t i = a; i <= b; i++) {
        if (!store_elems_next(it, &k, &kl, &v, &vl)) lacks(l, i);
        buf_put_u32(recs, (uint32_t)vl);
        buf_append(recs, v, vl);
    }
    store_elems_free(it);
}

/* Removes the elements at the sorted indices rm[0..n) of l, moving the
 * elements of the shorter side to close the gaps. */
static void remove_at(cmdctx *x, coll *l, const uint64_t *rm, uint64_t n) {
    if (n == l->count) { l->count = 0; return; }  /* all of it: the key goes */
    uint64_t lo = rm[0], hi = rm[n - 1];
    int tail = l->count - lo <= hi + 1;  /* move what follows the first removed, or what precedes the last */
    uint64_t a = tail ? lo : 0, b = tail ? l->count - 1 : hi;
    buf recs;
    buf_init(&recs);
    read_span(x, l, a, b, &recs);
    uint64_t kept = (b - a + 1) - n, at = tail ? a : hi + 1 - kept, j = 0;
    size_t off = 0;
    for (uint64_t i = a; i <= b; i++) {
        uint32_t len = get_u32(recs.data + off);
        const char *p = recs.data + off + 4;
        off += 4 + len;
        if (j < n && rm[j] == i) { j++; continue; }
        if (at != i) elem_put(x, l, at, p, len);
        at++;
    }
    buf_free(&recs);
    for (uint64_t i = 0; i < n; i++) elem_drop(x, l, tail ? l->count - 1 - i : i);
    if (!tail) set_first(l, first(l) + n);
    l->count -= n;
}

/* The indices in [from, to) of l's elements equal to p[0..n), in order,
 * into out (u64 each), at most max of them; how many. */
static uint64_t matches(cmdctx *x, const coll *l, const char *p, size_t n, uint64_t from, uint64_t to, uint64_t max,
                        buf *out) {
    store_elems *it = walk(x, l, from);
    const char *k, *v;
    size_t kl, vl;
    uint64_t found = 0;
    for (uint64_t i = from; i < to && found < max && store_elems_next(it, &k, &kl, &v, &vl); i++) {
        if (vl != n || memcmp(v, p, n)) continue;
        char be[8];
        memcpy(be, &i, 8);
        buf_append(out, be, 8);
        found++;
    }
    store_elems_free(it);
    return found;
}

static uint64_t match_at(const buf *m, uint64_t k) {
    uint64_t v;
    memcpy(&v, m->data + 8 * k, 8);
    return v;
}

/* LREM key count element */
void lrem_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long count;
    if (!arg_ll(x, &argv[2], &count) || !x->f) return;
    coll l;
    int r = list_get(x, &argv[1], &l);
    if (r <= 0) {
        if (!r) reply_int(x->out, 0);
        return;
    }
    buf m;
    buf_init(&m);
    uint64_t want = count < 0 ? -(uint64_t)count : (uint64_t)count;
    uint64_t found = matches(x, &l, argv[3].p, argv[3].len, 0, l.count, count > 0 ? want : UINT64_MAX, &m);
    uint64_t n = !want || want > found ? found : want;
    uint64_t skip = count < 0 ? found - n : 0;  /* from the tail: the last n */
    if (n) {
        remove_at(x, &l, (const uint64_t *)(void *)(m.data + 8 * skip), n);
        coll_save(x, &argv[1], &l);
    }
    buf_free(&m);
    reply_int(x->out, (long long)n);
}

/* LINSERT key BEFORE|AFTER pivot element */
void linsert_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    int after = arg_is(&argv[2], "after");
    if (!after && !arg_is(&argv[2], "before")) { reply_error(x->out, ERR_SYNTAX); return; }
    if (!x->f) return;
    coll l;
    int r = list_get(x, &argv[1], &l);
    if (r <= 0) {
        if (!r) reply_int(x->out, 0);
        return;
    }
    store_elems *it = walk(x, &l, 0);
    const char *k, *v;
    size_t kl, vl;
    uint64_t at = UINT64_MAX;
    for (uint64_t i = 0; at == UINT64_MAX && i < l.count && store_elems_next(it, &k, &kl, &v, &vl); i++)
        if (vl == argv[3].len && !memcmp(v, argv[3].p, vl)) at = i + (uint64_t)after;
    store_elems_free(it);
    if (at == UINT64_MAX) { reply_int(x->out, -1); return; }
    buf recs;
    buf_init(&recs);
    int head = at <= l.count - at;  /* move the elements before the new one down, or those after it up */
    if (head && at) read_span(x, &l, 0, at - 1, &recs);
    if (!head) read_span(x, &l, at, l.count - 1, &recs);
    if (head) set_first(&l, first(&l) - 1);
    size_t off = 0;
    uint64_t from = head ? 0 : at + 1, n = head ? at : l.count - at;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t len = get_u32(recs.data + off);
        elem_put(x, &l, from + i, recs.data + off + 4, len);
        off += 4 + len;
    }
    buf_free(&recs);
    l.count++;
    elem_put(x, &l, at, argv[4].p, argv[4].len);
    coll_save(x, &argv[1], &l);
    reply_int(x->out, (long long)l.count);
}

/* LPOS's options, in Redis's order and words; 0 with the error answered. */
static int lpos_args(cmdctx *x, int argc, rstr *argv, long long *rank, long long *count, long long *maxlen) {
    for (int i = 3; i < argc; i++) {
        int more = i + 1 < argc;
        if (arg_is(&argv[i], "rank") && more) {
            if (!arg_ll(x, &argv[++i], rank)) return 0;
            if (!*rank) {
                reply_error(x->out, "ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                                    "second ... or use negative to start from the end of the list");
                return 0;
            }
        } else if (arg_is(&argv[i], "count") && more) {
            if (!str2ll(argv[i + 1].p, argv[i + 1].len, count) || *count < 0) {
                reply_error(x->out, "ERR COUNT can't be negative");
                return 0;
            }
            i++;
        } else if (arg_is(&argv[i], "maxlen") && more) {
            if (!str2ll(argv[i + 1].p, argv[i + 1].len, maxlen) || *maxlen < 0) {
                reply_error(x->out, "ERR MAXLEN can't be negative");
                return 0;
            }
            i++;
        } else {
            reply_error(x->out, ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

/* LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] (off the
 * event loop: it walks the list). A negative rank counts from the tail,
 * where MAXLEN then bounds the elements looked at. */
void lpos_command(cmdctx *x, int argc, rstr *argv) {
    long long rank = 1, count = -1, maxlen = 0;
    if (!lpos_args(x, argc, argv, &rank, &count, &maxlen)) return;
    coll l;
    int r = list_get(x, &argv[1], &l);
    if (r < 0) return;
    if (!r) { buf_appendstr(x->out, count != -1 ? "*0\r\n" : "$-1\r\n"); return; }
    int back = rank < 0;
    uint64_t skip = back ? (rank == LLONG_MIN ? 0 : (uint64_t)-rank - 1) : (uint64_t)rank - 1;  /* matches passed over */
    uint64_t look = maxlen && (uint64_t)maxlen < l.count ? (uint64_t)maxlen : l.count;
    /* answers wanted: one without COUNT; all with COUNT 0, and with the
     * most negative rank (Redis's count check overflows there) */
    uint64_t lim = count == -1 ? 1 : !count || rank == LLONG_MIN ? UINT64_MAX : (uint64_t)count;
    uint64_t max = back || lim == UINT64_MAX || skip > UINT64_MAX - lim ? UINT64_MAX : skip + lim;
    buf m;
    buf_init(&m);
    uint64_t found = matches(x, &l, argv[2].p, argv[2].len, back ? l.count - look : 0, back ? l.count : look, max, &m);
    uint64_t n = 0;
    buf body;
    buf_init(&body);
    for (uint64_t k = skip; k < found && n < lim; k++, n++)
        reply_int(&body, (long long)match_at(&m, back ? found - 1 - k : k));
    if (count != -1) reply_array(x->out, (long long)n);
    if (n || count != -1) buf_append(x->out, body.data, body.len);
    else reply_nil(x->out);
    buf_free(&body);
    buf_free(&m);
}

/* ---- the blocking forms, as applied ---- */

/* A blocking command's timeout (seconds, a float) as Redis 7.0.15 reads it
 * into ms (0: none): made milliseconds, rounded up, and made a 64-bit
 * integer, where anything past that range comes out negative, as it does
 * on x86. 0 with the error answered. */
int timeout_arg(cmdctx *x, const rstr *a, long long *ms) {
    long double t;
    if (!str2ld(a->p, a->len, &t)) {
        reply_error(x->out, "ERR timeout is not a float or out of range");
        return 0;
    }
    t = ceill(t * 1000.0L);
    *ms = t >= -9223372036854775808.0L && t < 9223372036854775808.0L ? (long long)t : LLONG_MIN;
    if (*ms < 0) {
        reply_error(x->out, "ERR timeout is negative");
        return 0;
    }
    return 1;
}

/* What a blocking command that finds nothing answers: inside a
 * transaction, nil as if it timed out (nil of its kind); else nothing at
 * all, which tells the node that proposed it to block its client
 * (blocking.h). */
void nothing_yet(cmdctx *x, const char *nil) {
    if (x->in_tx) buf_appendstr(x->out, nil);
}

/* BLPOP / BRPOP key [key ...] timeout */
static void bpop_generic(cmdctx *x, int argc, rstr *argv, int where) {
    long long ms;
    if (!timeout_arg(x, &argv[argc - 1], &ms) || !x->f) return;
    if (!list_mpop(x, &argv[1], argc - 2, where, 1, 1)) nothing_yet(x, "*-1\r\n");
}
void blpop_command(cmdctx *x, int argc, rstr *argv) { bpop_generic(x, argc, argv, LEFT); }
void brpop_command(cmdctx *x, int argc, rstr *argv) { bpop_generic(x, argc, argv, RIGHT); }

/* BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] (the
 * timeout read last, as Redis does) */
void blmpop_command(cmdctx *x, int argc, rstr *argv) {
    long long ms, n, count;
    int where;
    if (!mpop_args(x, argc, argv, 2, "left", "right", &n, &where, &count) || !timeout_arg(x, &argv[1], &ms) || !x->f) return;
    if (!list_mpop(x, &argv[3], n, where, count, 0)) nothing_yet(x, "*-1\r\n");
}

/* BRPOPLPUSH source destination timeout ; BLMOVE source destination
 * LEFT|RIGHT LEFT|RIGHT timeout */
void brpoplpush_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long ms;
    if (!timeout_arg(x, &argv[3], &ms) || !x->f) return;
    list_move(x, argv, RIGHT, LEFT, x->in_tx ? "$-1\r\n" : "");
}
void blmove_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long ms;
    int from, to;
    if (!where_arg(&argv[3], &from) || !where_arg(&argv[4], &to)) { reply_error(x->out, ERR_SYNTAX); return; }
    if (!timeout_arg(x, &argv[5], &ms) || !x->f) return;
    list_move(x, argv, from, to, x->in_tx ? "$-1\r\n" : "");
}

int cmd_block_spec(int argc, rstr *argv, int *from, int *n, long long *timeout_ms, long long *count) {
    cmdctx x = {NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, 0};
    buf scratch;
    buf_init(&scratch);
    x.out = &scratch;
    int ok, zm = arg_is(&argv[0], "bzmpop");
    if (zm || arg_is(&argv[0], "blmpop")) {
        long long k, c;
        int where;
        ok = mpop_args(&x, argc, argv, 2, zm ? "min" : "left", zm ? "max" : "right", &k, &where, &c) &&
             timeout_arg(&x, &argv[1], timeout_ms);
        *from = 3;
        *n = ok ? (int)k : 0;
        *count = ok ? c : 1;
    } else {
        int single = arg_is(&argv[0], "blmove") || arg_is(&argv[0], "brpoplpush");
        ok = timeout_arg(&x, &argv[argc - 1], timeout_ms);
        *from = 1;
        *n = single ? 1 : argc - 2;
        *count = 1;
    }
    buf_free(&scratch);
    return ok;
}

const char *list_encoding(const sval *v) {
    (void)v;
    return "quicklist";  /* Redis 7.0 keeps every list as one */
}
