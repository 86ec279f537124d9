/* coll: what the collection families share (coll.h). */
#include "coll.h"
#include "glob.h"
#include "log.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static uint64_t meta_count(const char *m) { return get_u64(m + STORE_CID); }

/* c from key's value v (found: it is there), its type's checked. */
static int coll_from(cmdctx *x, sval *v, int found, int type, size_t len, coll *c) {
    memset(c, 0, sizeof(*c));
    c->type = type;
    c->len = len;
    if (type == STORE_ZSET) c->pre[0] = '0', c->prelen = 1;
    if (found && v->type != type) {
        sval_free(v);
        reply_error(x->out, ERR_WRONGTYPE);
        return -1;
    }
    if (found && v->len != len) {  /* the start-up check passed it: a bug, never answer from it */
        logmsg(LL_WARNING, "A %s's metadata is malformed (%zu bytes). Stopping: never answer wrongly",
               type_name(type), v->len);
        abort();
    }
    if (found) {
        memcpy(c->meta, v->p, len);
        c->count = meta_count(v->p);
        c->expire = v->expire;
    }
    sval_free(v);
    return found;
}

int coll_get(cmdctx *x, const rstr *key, int type, size_t len, coll *c) {
    sval v;  /* a string's bytes are not needed: WRONGTYPE */
    int found = key_head(x, key, &v);
    return coll_from(x, &v, found, type, len, c);
}

int coll_get_either(cmdctx *x, const rstr *key, int type, size_t len, int type2, size_t len2, coll *c) {
    sval v;
    int found = key_head(x, key, &v);
    int two = found && v.type == type2;
    return coll_from(x, &v, found, two ? type2 : type, two ? len2 : len, c);
}

void coll_new(cmdctx *x, coll *c, int type, size_t len) {
    memset(c, 0, sizeof(*c));
    c->type = type;
    c->len = len;
    if (type == STORE_ZSET) c->pre[0] = '0', c->prelen = 1;
    store_new_cid(x->f, c->meta);
    c->made = 1;
}

int coll_open(cmdctx *x, const rstr *key, int type, size_t len, coll *c) {
    int r = coll_get(x, key, type, len, c);
    if (!r) coll_new(x, c, type, len);
    return r;
}

void coll_remove(cmdctx *x, int argc, rstr *argv, int type, size_t len) {
    if (!x->f) return;
    coll c;
    int r = coll_get(x, &argv[1], type, len, &c);
    if (r <= 0) {
        if (!r) reply_int(x->out, 0);
        return;
    }
    buf b;
    buf_init(&b);
    if (x->probing) {  /* none of the members there: nothing to write */
        sval v;
        for (int i = 2; r && i < argc; i++)
            if (coll_member_get(x, &c, argv[i].p, argv[i].len, &v)) sval_free(&v), r = 0;
        if (r) reply_int(x->out, 0);
        buf_free(&b);
        return;
    }
    long long n = 0;
    for (int i = 2; i < argc; i++) {
        coll_sub(&c, &b, argv[i].p, argv[i].len);
        n += store_elem_del(x->f, c.meta, b.data, b.len);
    }
    buf_free(&b);
    c.count -= (uint64_t)n;
    if (n) coll_save(x, &argv[1], &c);
    reply_int(x->out, n);
}

void coll_save(cmdctx *x, const rstr *key, coll *c) {
    if (!c->count) {
        if (!c->made) store_del(x->f, key->p, key->len, NULL);
        return;
    }
    set_u64(c->meta + STORE_CID, c->count);
    store_put_typed(x->f, key->p, key->len, c->type, c->meta, c->len, c->expire);
}

void coll_note_size(coll *c, size_t n) {
    if (n >= STORE_LARGE_VALUE) c->meta[STORE_META - 1] |= STORE_COLL_LARGE;
}

int coll_large(const coll *c) { return c->meta[STORE_META - 1] & STORE_COLL_LARGE; }

static void put_be(char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (char)(v >> (56 - 8 * i));
}
static uint64_t get_be(const char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | (unsigned char)p[i];
    return v;
}

void coll_sub(const coll *c, buf *b, const char *p, size_t n) {
    char be[COLL_HASH_BYTES];
    put_be(be, store_key_hash(p, n));
    b->len = 0;
    buf_append(b, c->pre, c->prelen);
    buf_append(b, be, sizeof(be));
    buf_append(b, p, n);
}

int coll_member_get(cmdctx *x, const coll *c, const char *p, size_t n, sval *v) {
    buf b;
    buf_init(&b);
    coll_sub(c, &b, p, n);
    int found = store_elem_get(x->f, c->meta, b.data, b.len, v);
    buf_free(&b);
    return found;
}

const char *coll_member(const coll *c, const char *sub, size_t sublen, size_t *n) {
    size_t head = c->prelen + COLL_HASH_BYTES;
    if (sublen < head || memcmp(sub, c->pre, c->prelen)) return NULL;
    *n = sublen - head;
    return sub + head;
}

/* The hashed records of c from hash h on. */
static store_elems *walk_from(cmdctx *x, const coll *c, uint64_t h) {
    char from[1 + COLL_HASH_BYTES];
    memcpy(from, c->pre, c->prelen);
    put_be(from + c->prelen, h);
    return store_elems_new(x->f, c->meta, from, c->prelen + COLL_HASH_BYTES);
}

/* ---- randomness ---- */

static uint64_t mix(uint64_t z) {  /* splitmix64's finalizer */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void coll_rng_init(cmdctx *x, coll_rng *r) {
    if (x->applying) r->s = mix(store_entry_seed(x->f) ^ mix(x->time_ms));
    else r->s = (uint64_t)random() << 33 ^ (uint64_t)random() << 11 ^ (uint64_t)random();
}

uint64_t coll_rng_below(coll_rng *r, uint64_t n) {
    r->s += 0x9e3779b97f4a7c15ULL;
    return n ? mix(r->s) % n : 0;
}

/* ---- draws ---- */

/* A collection whose records disagree with its count: the start-up check
 * refuses such a store, so this is a bug; never answer from it. */
static void count_off(const coll *c) {
    logmsg(LL_WARNING, "A %s holds fewer records than its count (%llu). Stopping: never answer wrongly",
           type_name(c->type), (unsigned long long)c->count);
    abort();
}

static void put_rec(buf *recs, const char *m, size_t ml, const char *v, size_t vl) {
    buf_put_u32(recs, (uint32_t)ml);
    buf_put_u32(recs, (uint32_t)vl);
    buf_append(recs, m, ml);
    buf_append(recs, v, vl);
}

static int u64_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* By position: the record at each drawn position, one walk over the whole
 * collection (O(count)). Distinct draws by selection sampling, in order.
 * 0 once the records pass max_bytes (nothing more is read). */
static int draw_by_position(cmdctx *x, const coll *c, coll_rng *r, uint64_t want, int distinct, buf *recs,
                            size_t *at, uint64_t max_bytes) {
    uint64_t *draws = xmalloc(sizeof(uint64_t) * want), *pos = xmalloc(sizeof(uint64_t) * want);
    uint64_t n = 0;
    for (uint64_t i = 0, left = want; distinct && i < c->count && left; i++)
        if (coll_rng_below(r, c->count - i) < left) draws[n++] = i, left--;
    for (; !distinct && n < want; n++) draws[n] = coll_rng_below(r, c->count);
    memcpy(pos, draws, sizeof(uint64_t) * n);
    qsort(pos, n, sizeof(uint64_t), u64_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || pos[m - 1] != pos[i]) pos[m++] = pos[i];
    size_t *found = xmalloc(sizeof(size_t) * (m ? m : 1)), j = 0;
    store_elems *it = walk_from(x, c, 0);
    const char *k, *v, *mem;
    size_t kl, vl, ml;
    int fits = 1;
    for (uint64_t i = 0; fits && j < m && store_elems_next(it, &k, &kl, &v, &vl) && (mem = coll_member(c, k, kl, &ml));
         i++) {
        if (i != pos[j]) continue;
        found[j++] = recs->len;
        put_rec(recs, mem, ml, v, vl);
        fits = recs->len <= max_bytes;
    }
    store_elems_free(it);
    if (fits && j < m) count_off(c);
    for (size_t i = 0; fits && i < n; i++)
        at[i] = found[(uint64_t *)bsearch(&draws[i], pos, m, sizeof(uint64_t), u64_cmp) - pos];
    free(found);
    free(pos);
    free(draws);
    return fits;
}

/* By window: exactly uniform draws without walking the collection. A
 * window of WIN_LAMBDA * 2^64 / count hashes at a random point holds about
 * WIN_LAMBDA members; a slot drawn below WIN_SLOTS takes the window's
 * member in that slot when it has one, else the draw starts again. So
 * every member is taken with the same chance per try (window / 2^64 /
 * WIN_SLOTS) however its hash lies, as long as no window holds more than
 * WIN_SLOTS members: one that does (rare) gives up, and so does a draw
 * that keeps missing. */
#define WIN_LAMBDA 4
#define WIN_SLOTS 16
#define WIN_TRIES 1000

/* The member in slot j of the window [h, h + w) (wrapping), into recs: 1;
 * 0 when the window has fewer; -1 when it holds more than WIN_SLOTS. */
static int window_member(store_elems *it, const coll *c, uint64_t h, uint64_t w, uint64_t j, buf *recs) {
    uint64_t seen = 0;
    for (int part = 0; part < 2; part++) {
        uint64_t from = part ? 0 : h, end = h + w;  /* the second part only when the window wraps */
        if (part && end >= h) break;
        char be[1 + COLL_HASH_BYTES];
        memcpy(be, c->pre, c->prelen);
        put_be(be + c->prelen, from);
        store_elems_seek(it, be, c->prelen + COLL_HASH_BYTES);
        const char *k, *v, *mem;
        size_t kl, vl, ml;
        while (store_elems_next(it, &k, &kl, &v, &vl) && (mem = coll_member(c, k, kl, &ml))) {
            uint64_t hv = get_be(k + c->prelen);
            if (part ? hv >= end : (end > h && hv >= end)) break;
            if (seen == j) put_rec(recs, mem, ml, v, vl);
            if (++seen > WIN_SLOTS) return -1;
        }
    }
    return seen > j;
}

static int draw_by_window(cmdctx *x, const coll *c, coll_rng *r, uint64_t want, int distinct, buf *recs, size_t *at) {
    uint64_t w = UINT64_MAX / c->count * WIN_LAMBDA;
    store_elems *it = store_elems_new(x->f, c->meta, "", 0);
    memberset taken;
    memberset_init(&taken);
    int ok = 1;
    for (uint64_t i = 0, tries = 0; ok && i < want;) {
        if (++tries > WIN_TRIES * (want + 1)) { ok = 0; break; }
        size_t mark = recs->len;
        uint64_t h = coll_rng_below(r, UINT64_MAX), j = coll_rng_below(r, WIN_SLOTS);
        int got = window_member(it, c, h, w, j, recs);
        if (got < 0) ok = 0;
        if (got <= 0) continue;
        if (distinct && !memberset_add(&taken, recs->data + mark + 8, get_u32(recs->data + mark))) {
            recs->len = mark;  /* drawn already: again, so the draws stay uniform without repeats */
            continue;
        }
        at[i++] = mark;
    }
    memberset_free(&taken);
    store_elems_free(it);
    return ok;
}

/* Collections this small are walked (exactly uniform, and cheap). */
#define DRAW_WALK_MAX 1024

int coll_draw(cmdctx *x, const coll *c, coll_rng *r, uint64_t want, int distinct, buf *recs, size_t *at,
              uint64_t max_bytes) {
    if (!want) return 1;
    if (!c->count) count_off(c);
    size_t mark = recs->len;
    if (c->count > DRAW_WALK_MAX && want <= c->count / 4) {
        if (draw_by_window(x, c, r, want, distinct, recs, at) && recs->len - mark <= max_bytes) return 1;
        if (recs->len - mark > max_bytes) return 0;
        recs->len = mark;
    }
    return draw_by_position(x, c, r, want, distinct, recs, at, max_bytes + mark);
}

void coll_value_bulk(buf *out, const char *v, size_t vl) { reply_bulk(out, v, vl); }

/* A negative count past this, or a reply past this many bytes, is
 * refused: Redis builds such a reply whole, and runs out of memory. */
#define RAND_MAX_DRAWS 10000000LL
#define RAND_MAX_BYTES (1ULL << 30)

/* The count and the option, checked in Redis's order; 0 with the error answered. */
static int rand_args(cmdctx *x, int argc, rstr *argv, const char *opt, long long *count, int *with) {
    if (!arg_ll(x, &argv[2], count)) return 0;
    if (*count == LLONG_MIN) {
        reply_error(x->out, "ERR value is out of range, value must between -9223372036854775807 and "
                            "9223372036854775807");
        return 0;
    }
    if (argc > 4 || (argc == 4 && !(opt && (*with = arg_is(&argv[3], opt))))) {
        reply_error(x->out, ERR_SYNTAX);
        return 0;
    }
    if (*with && (*count < -LLONG_MAX / 2 || *count > LLONG_MAX / 2)) {
        reply_error(x->out, "ERR value is out of range");
        return 0;
    }
    return 1;
}

/* want draws of c, replied: an array (with each value when value is
 * given), or with single the one member's bulk. */
static void rand_reply(cmdctx *x, const coll *c, uint64_t want, int distinct, coll_value_fn *value, int single) {
    buf recs;
    buf_init(&recs);
    size_t *at = xmalloc(sizeof(size_t) * want);
    coll_rng r;
    coll_rng_init(x, &r);
    uint64_t bytes = 0;
    int fits = coll_draw(x, c, &r, want, distinct, &recs, at, RAND_MAX_BYTES);
    for (size_t i = 0; fits && i < want && bytes <= RAND_MAX_BYTES; i++)
        bytes += 32 + get_u32(recs.data + at[i]) + (value ? get_u32(recs.data + at[i] + 4) : 0);
    if (!fits || bytes > RAND_MAX_BYTES) {
        reply_error(x->out, "ERR the reply would be too large");
    } else if (single) {
        reply_bulk(x->out, recs.data + at[0] + 8, get_u32(recs.data + at[0]));
    } else {
        reply_array(x->out, (long long)(want * (value ? 2 : 1)));
        for (size_t i = 0; i < want; i++) {
            const char *e = recs.data + at[i];
            uint32_t ml = get_u32(e), vl = get_u32(e + 4);
            reply_bulk(x->out, e + 8, ml);
            if (value) value(x->out, e + 8 + ml, vl);
        }
    }
    free(at);
    buf_free(&recs);
}

void coll_randmember(cmdctx *x, int argc, rstr *argv, int type, size_t len, const char *opt, coll_value_fn *value,
                     const char *noun) {
    long long count = 0;
    int with = 0;
    if (!opt && argc > 3) {  /* SRANDMEMBER: too many arguments before the count is read, as Redis */
        reply_error(x->out, ERR_SYNTAX);
        return;
    }
    if (argc >= 3 && !rand_args(x, argc, argv, opt, &count, &with)) return;
    coll c;
    int r = coll_get(x, &argv[1], type, len, &c);
    if (r < 0) return;
    if (argc == 2) {
        if (!r) reply_nil(x->out);
        else rand_reply(x, &c, 1, 1, NULL, 1);
        return;
    }
    uint64_t want = count < 0 ? (uint64_t)-count : (uint64_t)count;
    if (!r || !want) { reply_array(x->out, 0); return; }
    if (count < -RAND_MAX_DRAWS) {
        reply_errorf(x->out, "ERR a negative count answers at most %lld %s", RAND_MAX_DRAWS, noun);
        return;
    }
    if (count > 0 && want > c.count) want = c.count;
    rand_reply(x, &c, want, count > 0, with ? value : NULL, 0);
}

/* ---- *SCAN ---- */

#define SCAN_MAX_WORK 100000  /* members one call visits at most */

/* The options, read only for a collection that is there, as Redis does;
 * 0 with the error answered. */
static int scan_args(cmdctx *x, int argc, rstr *argv, long long *count, const rstr **pat) {
    for (int i = 3; i < argc; i += 2) {
        if (i + 1 >= argc) { reply_error(x->out, ERR_SYNTAX); return 0; }
        if (arg_is(&argv[i], "count")) {
            if (!arg_ll(x, &argv[i + 1], count)) return 0;
            if (*count < 1) { reply_error(x->out, ERR_SYNTAX); return 0; }
        } else if (arg_is(&argv[i], "match")) {
            *pat = &argv[i + 1];
        } else {
            reply_error(x->out, ERR_SYNTAX);
            return 0;
        }
    }
    if (*count > SCAN_MAX_WORK) *count = SCAN_MAX_WORK;
    return 1;
}

void coll_scan(cmdctx *x, int argc, rstr *argv, int type, size_t len, coll_value_pick *pick) {
    uint64_t cursor;
    long long count = 10;
    const rstr *pat = NULL;
    if (!scan_cursor_arg(x, &argv[2], &cursor)) return;
    coll c;
    int r = coll_get(x, &argv[1], type, len, &c);
    if (r < 0 || (r && !scan_args(x, argc, argv, &count, &pat))) return;
    coll_value_fn *value = pick && r ? pick(&c) : NULL;
    buf body;
    buf_init(&body);
    long long n = 0, visited = 0;
    uint64_t next = 0, last = 0;
    int all = pat && pat->len == 1 && pat->p[0] == '*';  /* as SCAN: "*" alone matches even an empty member */
    glob_pat g;
    if (pat) glob_prepare(&g, pat->p, pat->len, 0);
    store_elems *it = r ? walk_from(x, &c, cursor) : NULL;
    const char *k, *v, *mem;
    size_t kl, vl, ml;
    while (it && store_elems_next(it, &k, &kl, &v, &vl) && (mem = coll_member(&c, k, kl, &ml))) {
        uint64_t hv = get_be(k + c.prelen);
        if (visited >= count && hv != last) { next = hv; break; }  /* never splits one hash's members */
        visited += 1 + (long long)((pat && !all ? pat->len * ml : 0) >> 12);  /* a long match costs more */
        last = hv;
        if (pat && !all && !glob_match_prepared(&g, mem, ml)) continue;
        reply_bulk(&body, mem, ml);
        if (value) value(&body, v, vl);
        n += value ? 2 : 1;
    }
    store_elems_free(it);
    reply_scan(x->out, next, &body, n);
    buf_free(&body);
}

/* ---- memberset ---- */

void memberset_init(memberset *s) { memset(s, 0, sizeof(*s)); }
void memberset_init_values(memberset *s, size_t vsize) {
    memberset_init(s);
    s->vsize = vsize;
}

static void memberset_grow(memberset *s) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    size_t *slots = xmalloc(cap * sizeof(size_t));
    memset(slots, 0, cap * sizeof(size_t));
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->slots[i]) continue;
        const char *e = s->data.data + s->slots[i] - 1;
        size_t h = (size_t)store_key_hash(e + 4, get_u32(e)) & (cap - 1);
        while (slots[h]) h = (h + 1) & (cap - 1);
        slots[h] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
}

char *memberset_slot(memberset *s, const char *p, size_t n, int *fresh) {
    if (2 * (s->n + 1) > s->cap) memberset_grow(s);
    size_t h = (size_t)store_key_hash(p, n) & (s->cap - 1);
    for (; s->slots[h]; h = (h + 1) & (s->cap - 1)) {
        char *e = s->data.data + s->slots[h] - 1;
        if (get_u32(e) == n && !memcmp(e + 4, p, n)) {
            *fresh = 0;
            return e + 4 + n;
        }
    }
    s->slots[h] = s->data.len + 1;
    buf_put_u32(&s->data, (uint32_t)n);
    buf_append(&s->data, p, n);
    size_t at = s->data.len;
    for (size_t i = 0; i < s->vsize; i++) buf_append(&s->data, "", 1);
    s->n++;
    *fresh = 1;
    return s->data.data + at;
}

int memberset_has(const memberset *s, const char *p, size_t n) {
    if (!s->n) return 0;
    for (size_t h = (size_t)store_key_hash(p, n) & (s->cap - 1); s->slots[h]; h = (h + 1) & (s->cap - 1)) {
        const char *e = s->data.data + s->slots[h] - 1;
        if (get_u32(e) == n && !memcmp(e + 4, p, n)) return 1;
    }
    return 0;
}

int memberset_add(memberset *s, const char *p, size_t n) {
    int fresh;
    memberset_slot(s, p, n, &fresh);
    return fresh;
}

int memberset_next(const memberset *s, size_t *at, const char **p, size_t *n) {
    if (*at >= s->data.len) return 0;
    *n = get_u32(s->data.data + *at);
    *p = s->data.data + *at + 4;
    *at += 4 + *n + s->vsize;
    return 1;
}

void memberset_free(memberset *s) {
    buf_free(&s->data);
    free(s->slots);
}
