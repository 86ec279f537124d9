/* Bitmaps on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
 * BITFIELD and BITFIELD_RO, with Redis 7.0's replies and errors. Bit 0 is
 * the most significant bit of the first byte; past the end of a string
 * (or of a missing key) every bit reads 0, and a write past it grows the
 * string with zero bytes. A write keeps the value's expiry. On a string
 * kept in chunks SETBIT writes its byte's chunk, and BITFIELD the bytes of
 * its fields when they lie within BF_SPAN (else the whole value, as a
 * string stored whole is always written). */
#include "handlers.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char E_OFFSET[] = "ERR bit offset is not an integer or out of range";
static const char E_BITTYPE[] =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/* A bit offset; with fields, BITFIELD's "#N" form too: the Nth field of
 * bits (the product wraps as Redis's does, then the range check applies).
 * A byte past the longest string a write may make is out of range. */
static int arg_offset(cmdctx *x, const rstr *a, int fields, int bits, uint64_t *off) {
    int hash = fields && a->len && a->p[0] == '#';
    long long v;
    if (!str2ll(a->p + hash, a->len - (size_t)hash, &v)) goto bad;
    if (hash) v = (long long)((unsigned long long)v * (unsigned long long)bits);
    if (v < 0 || (v >> 3) >= max_string(x)) goto bad;
    *off = (uint64_t)v;
    return 1;
bad:
    reply_error(x->out, E_OFFSET);
    return 0;
}

static int bit_at(const char *p, size_t len, uint64_t off) {
    return off >> 3 < len ? ((unsigned char)p[off >> 3] >> (7 - (off & 7))) & 1 : 0;
}

static void bit_put(char *p, uint64_t off, int bit) {
    unsigned char m = (unsigned char)(0x80 >> (off & 7));
    if (bit) p[off >> 3] = (char)((unsigned char)p[off >> 3] | m);
    else p[off >> 3] = (char)((unsigned char)p[off >> 3] & ~m);
}

/* A string value being edited: key's bytes (had of them; found: the key
 * was live) grown with zero bytes to n, and its expiry. */
typedef struct edit { char *p; size_t n, had; uint64_t expire; int found; } edit;

/* e from v (a string stored whole: found, else none), grown to len. */
static void edit_from(const sval *v, int found, size_t len, edit *e) {
    e->found = found;
    e->had = found ? v->len : 0;
    e->n = e->had > len ? e->had : len;
    e->p = xmalloc(e->n ? e->n : 1);
    if (e->had) memcpy(e->p, v->p, e->had);
    memset(e->p + e->had, 0, e->n - e->had);
    e->expire = found ? v->expire : 0;
}

/* SETBIT key offset value */
void setbit_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    uint64_t off;
    long long bit;
    if (!arg_offset(x, &argv[2], 0, 1, &off)) return;
    if (!str2ll(argv[3].p, argv[3].len, &bit) || (bit != 0 && bit != 1)) {
        reply_error(x->out, "ERR bit is not an integer or out of range");
        return;
    }
    if (!x->f) return;
    sval v;
    int r = key_head_string(x, &argv[1], &v);
    if (r < 0) return;
    int old;
    if (r && !v.p) {  /* kept in chunks: the byte's own */
        char b = 0;
        if ((off >> 3) < v.len) store_read_part(x->f, argv[1].p, argv[1].len, off >> 3, 1, &b);
        old = bit_at(&b, 1, off & 7);
        bit_put(&b, off & 7, (int)bit);
        store_write_part(x->f, argv[1].p, argv[1].len, off >> 3, &b, 1);
    } else {  /* stored whole, or new (an expired one's bytes are not read) */
        edit e;
        edit_from(&v, r, (size_t)(off >> 3) + 1, &e);
        old = bit_at(e.p, e.n, off);
        bit_put(e.p, off, (int)bit);
        key_set(x, &argv[1], e.p, e.n, e.expire);
        free(e.p);
    }
    reply_int(x->out, old);
    sval_free(&v);
}

/* GETBIT key offset */
void getbit_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    uint64_t off;
    if (!arg_offset(x, &argv[2], 0, 1, &off)) return;
    sval v;
    int found = key_head_string(x, &argv[1], &v);
    if (found > 0 && !v.p && (off >> 3) < v.len) {  /* kept in chunks: the byte's own */
        char b;
        store_read_part(x->f, argv[1].p, argv[1].len, off >> 3, 1, &b);
        reply_int(x->out, bit_at(&b, 1, off & 7));
    } else if (found >= 0) {
        reply_int(x->out, found && v.p ? bit_at(v.p, v.len, off) : 0);
    }
    sval_free(&v);
}

/* A range of BITCOUNT or BITPOS over a string of len bytes, in bits
 * [*from, *to]: start and end count bytes, or bits with isbit, from the
 * end when negative, clamped to the string. 0 when it is empty. */
static int bit_range(long long start, long long end, int isbit, size_t len, uint64_t *from, uint64_t *to) {
    long long total = isbit ? (long long)len * 8 : (long long)len;
    if (start < 0) start = total + start;
    if (end < 0) end = total + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= total) end = total - 1;
    if (start > end) return 0;
    *from = isbit ? (uint64_t)start : (uint64_t)start * 8;
    *to = isbit ? (uint64_t)end : (uint64_t)end * 8 + 7;
    return 1;
}

/* Set bits in bits [from, to] of p (bit: unused, as over_bits() passes it). */
static long long count_bits(const unsigned char *p, uint64_t from, uint64_t to, int bit) {
    (void)bit;
    uint64_t a = from >> 3, b = to >> 3;
    unsigned head = 0xffu >> (from & 7), tail = (0xff00u >> ((to & 7) + 1)) & 0xffu;
    if (a == b) return __builtin_popcount(p[a] & head & tail);
    long long n = __builtin_popcount(p[a] & head) + __builtin_popcount(p[b] & tail);
    uint64_t i = a + 1;
    for (; i + 8 <= b; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        n += __builtin_popcountll(w);
    }
    for (; i < b; i++) n += __builtin_popcount(p[i]);
    return n;
}

/* The first bit equal to bit in bits [from, to] of p, or -1; whole
 * 8-byte words that hold none are skipped at once. */
static long long find_bit(const unsigned char *p, uint64_t from, uint64_t to, int bit) {
    uint64_t skip = bit ? 0 : ~0ULL;
    for (uint64_t i = from; i <= to;) {
        if ((i & 63) == 0 && i + 63 <= to) {
            uint64_t w;
            memcpy(&w, p + (i >> 3), 8);
            if (w == skip) { i += 64; continue; }
        }
        if ((int)((p[i >> 3] >> (7 - (i & 7))) & 1) == bit) return (long long)i;
        i++;
    }
    return -1;
}

/* What a string kept in chunks is read by at a time for BITCOUNT and
 * BITPOS: a range reads only the chunks it covers, and a whole 512 MB
 * string is never joined in memory. */
#define BIT_PIECE (1u << 20)

typedef long long (*bits_fn)(const unsigned char *p, uint64_t from, uint64_t to, int bit);

/* fn over bits [from, to] of key's string (v its head, key_head_string):
 * at once when it is stored whole, else a piece at a time. The sum of
 * fn's answers (BITCOUNT), or with first the first one that is not -1,
 * counted from the string's start (BITPOS). */
static long long over_bits(cmdctx *x, const rstr *key, const sval *v, uint64_t from, uint64_t to, bits_fn fn,
                           int bit, int first) {
    if (v->p) return fn((const unsigned char *)v->p, from, to, bit);
    long long got = first ? -1 : 0;
    uint64_t span = (to >> 3) - (from >> 3) + 1;
    unsigned char *piece = xmalloc(span < BIT_PIECE ? (size_t)span : BIT_PIECE);
    for (uint64_t s = from >> 3; s <= to >> 3; s += BIT_PIECE) {
        uint64_t e = (to >> 3) - s < BIT_PIECE ? to >> 3 : s + BIT_PIECE - 1;
        store_read_part(x->f, key->p, key->len, s, (size_t)(e - s + 1), (char *)piece);
        long long r = fn(piece, from > s * 8 ? from - s * 8 : 0, (to < e * 8 + 7 ? to : e * 8 + 7) - s * 8, bit);
        if (!first) got += r;
        else if (r >= 0) { got = r + (long long)(s * 8); break; }
    }
    free(piece);
    return got;
}

/* "BIT" or "BYTE": 1, 0; -1 (a syntax error answered) otherwise. */
static int arg_unit(cmdctx *x, const rstr *a) {
    if (arg_is(a, "bit")) return 1;
    if (arg_is(a, "byte")) return 0;
    reply_error(x->out, ERR_SYNTAX);
    return -1;
}

/* BITCOUNT key [start end [BYTE|BIT]]: a missing key counts 0 before its
 * arguments are looked at, as in Redis. */
void bitcount_command(cmdctx *x, int argc, rstr *argv) {
    sval v;
    int r = key_head_string(x, &argv[1], &v);
    if (r <= 0) {
        if (!r) reply_int(x->out, 0);
        return;
    }
    long long start = 0, end = -1;
    int isbit = 0;
    if (argc == 4 || argc == 5) {
        if (!arg_ll(x, &argv[2], &start) || !arg_ll(x, &argv[3], &end)) goto done;
        /* both from the end, the wrong way round: 0 before the unit is read */
        if (start < 0 && end < 0 && start > end) { reply_int(x->out, 0); goto done; }
        if (argc == 5 && (isbit = arg_unit(x, &argv[4])) < 0) goto done;
    } else if (argc != 2) {
        reply_error(x->out, ERR_SYNTAX);
        goto done;
    }
    uint64_t from, to;
    if (!bit_range(start, end, isbit, v.len, &from, &to))
        reply_int(x->out, 0);
    else
        reply_int(x->out, over_bits(x, &argv[1], &v, from, to, count_bits, 0, 0));
done:
    sval_free(&v);
}

/* BITPOS key bit [start [end [BYTE|BIT]]]: without an end, a clear bit
 * sought past the string's last set one is found just after it (the
 * string reads as padded with zeros); a missing key reads all zeros. */
void bitpos_command(cmdctx *x, int argc, rstr *argv) {
    long long bit, start = 0, end = -1;
    if (!arg_ll(x, &argv[2], &bit)) return;
    if (bit != 0 && bit != 1) { reply_error(x->out, "ERR The bit argument must be 1 or 0."); return; }
    sval v;
    int r = key_head_string(x, &argv[1], &v);
    if (r <= 0) {
        if (!r) reply_int(x->out, bit ? -1 : 0);
        return;
    }
    int isbit = 0, end_given = argc >= 5;
    if (argc >= 4 && argc <= 6) {
        if (!arg_ll(x, &argv[3], &start)) goto done;
        if (argc == 6 && (isbit = arg_unit(x, &argv[5])) < 0) goto done;
        if (argc >= 5 && !arg_ll(x, &argv[4], &end)) goto done;
    } else if (argc != 3) {
        reply_error(x->out, ERR_SYNTAX);
        goto done;
    }
    uint64_t from, to;
    if (!bit_range(start, end, isbit, v.len, &from, &to)) { reply_int(x->out, -1); goto done; }
    long long at = over_bits(x, &argv[1], &v, from, to, find_bit, (int)bit, 1);
    if (at < 0 && bit == 0 && !end_given) at = (long long)to + 1;
    reply_int(x->out, at);
done:
    sval_free(&v);
}

enum { OP_AND, OP_OR, OP_XOR, OP_NOT };

static int rstr_cmp(const void *a, const void *b) {
    const rstr *x = *(const rstr *const *)a, *y = *(const rstr *const *)b;
    int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The source keys once each, sorted (malloc'd), with how often each was
 * named (*times): a key named twice changes nothing under AND and OR, and
 * cancels out under XOR, so BITOP reads each value once whatever the
 * request repeats. */
static const rstr **distinct_keys(int n, const rstr *keys, int **times, int *nd) {
    const rstr **v = xmalloc(sizeof(*v) * (size_t)n);
    for (int i = 0; i < n; i++) v[i] = &keys[i];
    qsort(v, (size_t)n, sizeof(*v), rstr_cmp);
    *times = xmalloc(sizeof(int) * (size_t)n);
    *nd = 0;
    for (int i = 0; i < n; i++) {
        if (*nd && rstr_cmp(&v[*nd - 1], &v[i]) == 0) { (*times)[*nd - 1]++; continue; }
        v[*nd] = v[i];
        (*times)[(*nd)++] = 1;
    }
    return v;
}

/* Grows the result r to len bytes with zeros (missing bytes read as zeros). */
static void grow(unsigned char **r, size_t *rlen, size_t len) {
    if (len <= *rlen) return;
    *r = xrealloc(*r, len);
    memset(*r + *rlen, 0, len - *rlen);
    *rlen = len;
}

/* Folds one source (len bytes at p) into the result r, whose bytes from
 * *live on are all zero: the first is copied, later ones combined by op.
 * Under AND the live part only shrinks, so the work is the sources' bytes
 * however many there are. */
static void fold(int op, int first, unsigned char **r, size_t *rlen, size_t *live, const unsigned char *p,
                 size_t len) {
    grow(r, rlen, len);
    if (first) {
        memcpy(*r, p, len);
        *live = len;
        return;
    }
    if (op == OP_AND) {
        size_t n = len < *live ? len : *live;
        for (size_t j = 0; j < n; j++) (*r)[j] &= p[j];
        memset(*r + n, 0, *live - n);
        *live = n;
        return;
    }
    for (size_t j = 0; j < len; j++) {
        if (op == OP_OR) (*r)[j] |= p[j];
        else (*r)[j] ^= p[j];
    }
    if (len > *live) *live = len;
}

/* BITOP operation destkey key [key ...]: the result is as long as the
 * longest source (missing bytes read as zeros); an empty one deletes
 * destkey. Each distinct source is read once and let go. */
void bitop_command(cmdctx *x, int argc, rstr *argv) {
    int op;
    if (arg_is(&argv[1], "and")) op = OP_AND;
    else if (arg_is(&argv[1], "or")) op = OP_OR;
    else if (arg_is(&argv[1], "xor")) op = OP_XOR;
    else if (arg_is(&argv[1], "not")) op = OP_NOT;
    else { reply_error(x->out, ERR_SYNTAX); return; }
    if (op == OP_NOT && argc != 4) {
        reply_error(x->out, "ERR BITOP NOT must be called with a single source key.");
        return;
    }
    if (!x->f) return;
    int *times, nd, first = 1;
    const rstr **keys = distinct_keys(argc - 3, argv + 3, &times, &nd);
    unsigned char *r = xmalloc(1);
    size_t rlen = 0, live = 0, longest = 0;
    for (int i = 0; i < nd; i++) {
        sval v;
        int found = key_get_string(x, keys[i], &v);
        if (found < 0) goto done;  /* WRONGTYPE: nothing written */
        size_t len = found ? v.len : 0;
        if (len > longest) longest = len;
        if (op != OP_XOR || times[i] % 2) {  /* an even count under XOR cancels out */
            fold(op, first, &r, &rlen, &live, len ? (const unsigned char *)v.p : (const unsigned char *)"", len);
            first = 0;
        }
        sval_free(&v);
    }
    grow(&r, &rlen, longest);
    if (op == OP_NOT)
        for (size_t j = 0; j < rlen; j++) r[j] = (unsigned char)~r[j];
    if (rlen) key_set(x, &argv[2], (const char *)r, rlen, 0);
    else key_del(x, &argv[2]);
    reply_int(x->out, (long long)rlen);
done:
    free(r);
    free(times);
    free(keys);
}

/* ---- BITFIELD ---- */

enum { BF_GET, BF_SET, BF_INCRBY };
enum { OW_WRAP, OW_SAT, OW_FAIL };

typedef struct bf_op {
    int kind, sign, bits, overflow;
    uint64_t off;
    long long arg;  /* SET's value, INCRBY's increment */
} bf_op;

/* i1..i64 or u1..u63 (lowercase only, as Redis 7.0 reads it). */
static int arg_bftype(cmdctx *x, const rstr *a, int *sign, int *bits) {
    long long n;
    if (a->len < 2 || (a->p[0] != 'i' && a->p[0] != 'u') || !str2ll(a->p + 1, a->len - 1, &n) || n < 1 ||
        n > (a->p[0] == 'i' ? 64 : 63)) {
        reply_error(x->out, E_BITTYPE);
        return 0;
    }
    *sign = a->p[0] == 'i';
    *bits = (int)n;
    return 1;
}

/* BITFIELD's operations (OVERFLOW applies to those after it), all read
 * before any runs; NULL with the error answered. *writes: whether any
 * sets or increments, *top: the highest bit one touches. */
static bf_op *bf_parse(cmdctx *x, int argc, rstr *argv, int *nops, int *writes, uint64_t *top) {
    bf_op *ops = xmalloc(sizeof(bf_op) * (size_t)(argc / 3 + 1));
    int ow = OW_WRAP;
    *nops = *writes = 0;
    *top = 0;
    for (int j = 2; j < argc;) {
        int left = argc - j - 1, kind;
        if (arg_is(&argv[j], "get") && left >= 2) kind = BF_GET;
        else if (arg_is(&argv[j], "set") && left >= 3) kind = BF_SET;
        else if (arg_is(&argv[j], "incrby") && left >= 3) kind = BF_INCRBY;
        else if (arg_is(&argv[j], "overflow") && left >= 1) {
            const rstr *o = &argv[j + 1];
            if (arg_is(o, "wrap")) ow = OW_WRAP;
            else if (arg_is(o, "sat")) ow = OW_SAT;
            else if (arg_is(o, "fail")) ow = OW_FAIL;
            else { reply_error(x->out, "ERR Invalid OVERFLOW type specified"); goto bad; }
            j += 2;
            continue;
        } else {
            reply_error(x->out, ERR_SYNTAX);
            goto bad;
        }
        bf_op *op = &ops[*nops];
        op->kind = kind;
        op->overflow = ow;
        if (!arg_bftype(x, &argv[j + 1], &op->sign, &op->bits)) goto bad;
        if (!arg_offset(x, &argv[j + 2], 1, op->bits, &op->off)) goto bad;
        if (kind != BF_GET) {
            if (!arg_ll(x, &argv[j + 3], &op->arg)) goto bad;
            *writes = 1;
            uint64_t last = op->off + (uint64_t)op->bits - 1;
            if (last > *top) *top = last;
        }
        (*nops)++;
        j += kind == BF_GET ? 3 : 4;
    }
    return ops;
bad:
    free(ops);
    return NULL;
}

static uint64_t field_get(const char *p, size_t len, uint64_t off, int bits) {
    uint64_t v = 0;
    for (int i = 0; i < bits; i++) v = v << 1 | (uint64_t)bit_at(p, len, off + (uint64_t)i);
    return v;
}

static void field_put(char *p, uint64_t off, int bits, uint64_t v) {
    for (int i = 0; i < bits; i++) bit_put(p, off + (uint64_t)i, (int)(v >> (bits - 1 - i)) & 1);
}

/* The field's bits as a number of its type. */
static long long field_value(uint64_t raw, int sign, int bits) {
    if (sign && bits < 64 && (raw >> (bits - 1)) & 1) raw |= ~0ULL << bits;  /* sign-extend */
    return (long long)raw;
}

/* value + incr stored in a field of the op's type, by its overflow rule:
 * 1 and *out, or 0 when it fails. Which way it overflowed is decided as
 * Redis 7.0 decides it, bounds computed in wrapping 64-bit arithmetic:
 * so a signed SET far below the field's minimum counts as above its
 * maximum (SAT stores the maximum), and an unsigned SET reads its argument
 * as unsigned, a negative one being too large. A SET is value plus 0. */
static int field_add(const bf_op *op, uint64_t value, long long incr, uint64_t *out) {
    int bits = op->bits, dir = 0;
    uint64_t mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1, lim_hi, lim_lo;
    if (op->sign) {
        long long v = (long long)value;
        uint64_t max = bits == 64 ? (uint64_t)INT64_MAX : (1ULL << (bits - 1)) - 1, min = ~max;
        long long maxincr = (long long)(max - value), minincr = (long long)(min - value);
        if (v > (long long)max || (bits != 64 && incr > maxincr) || (v >= 0 && incr > 0 && incr > maxincr)) dir = 1;
        else if (v < (long long)min || (bits != 64 && incr < minincr) || (v < 0 && incr < 0 && incr < minincr))
            dir = -1;
        lim_hi = max & mask;
        lim_lo = min & mask;
    } else {
        long long maxincr = (long long)(mask - value), minincr = (long long)(0 - value);
        if (value > mask || (incr > 0 && incr > maxincr)) dir = 1;
        else if (incr < 0 && incr < minincr) dir = -1;
        lim_hi = mask;
        lim_lo = 0;
    }
    if (dir && op->overflow == OW_FAIL) return 0;
    *out = !dir || op->overflow == OW_WRAP ? (value + (uint64_t)incr) & mask : dir > 0 ? lim_hi : lim_lo;
    return 1;
}

/* Runs the operations over p (n bytes, grown to hold every write),
 * answering one reply each; whether any wrote. */
static int bf_run(cmdctx *x, const bf_op *ops, int nops, char *p, size_t n) {
    int changed = 0;
    reply_array(x->out, nops);
    for (int i = 0; i < nops; i++) {
        const bf_op *op = &ops[i];
        uint64_t raw = field_get(p, n, op->off, op->bits), now;
        if (op->kind == BF_GET) { reply_int(x->out, field_value(raw, op->sign, op->bits)); continue; }
        int set = op->kind == BF_SET;
        uint64_t base = set ? (uint64_t)op->arg : (uint64_t)field_value(raw, op->sign, op->bits);
        if (!field_add(op, base, set ? 0 : op->arg, &now)) { reply_nil(x->out); continue; }
        field_put(p, op->off, op->bits, now);
        changed = 1;
        reply_int(x->out, field_value(set ? raw : now, op->sign, op->bits));
    }
    return changed;
}

/* The most bytes BITFIELD reads and writes of a string kept in chunks,
 * from its first field to its last; fields further apart join the string. */
#define BF_SPAN (1u << 20)

/* BITFIELD over a string kept in chunks (v its head) whose fields lie
 * within BF_SPAN bytes: only those bytes are read (zeros past its end),
 * the operations run on them, and they are written back when any write
 * was made or the string must grow to the furthest one. 0 when the
 * fields are further apart. */
static int bitfield_span(cmdctx *x, const rstr *key, const sval *v, const bf_op *ops, int nops, int writes,
                         uint64_t top) {
    if (!nops) { reply_array(x->out, 0); return 1; }
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < nops; i++) {
        uint64_t a = ops[i].off >> 3, b = (ops[i].off + (uint64_t)ops[i].bits - 1) >> 3;
        if (a < lo) lo = a;
        if (b > hi) hi = b;
    }
    if (hi - lo >= BF_SPAN) return 0;
    size_t n = (size_t)(hi - lo + 1), have = lo < v->len ? (size_t)(v->len - lo < n ? v->len - lo : n) : 0;
    char *p = xmalloc(n);
    if (have) store_read_part(x->f, key->p, key->len, lo, have, p);
    memset(p + have, 0, n - have);
    bf_op *local = xmalloc(sizeof(bf_op) * (size_t)nops);
    for (int i = 0; i < nops; i++) local[i] = ops[i], local[i].off -= lo * 8;
    /* what lies in the string, and with a write up to its furthest field
     * (a GET past both reads zeros, and grows nothing) */
    uint64_t end = writes && (top >> 3) >= v->len ? (top >> 3) + 1 : v->len;
    if ((bf_run(x, local, nops, p, n) || end > v->len) && end > lo)
        store_write_part(x->f, key->p, key->len, lo, p, (size_t)(end - lo < n ? end - lo : n));
    free(local);
    free(p);
    return 1;
}

static void bitfield(cmdctx *x, int argc, rstr *argv, int readonly) {
    int nops, writes;
    uint64_t top;
    bf_op *ops = bf_parse(x, argc, argv, &nops, &writes, &top);
    if (!ops) return;
    if (writes && readonly) reply_error(x->out, "ERR BITFIELD_RO only supports the GET subcommand");
    if (!x->f || (writes && readonly)) { free(ops); return; }
    sval v;
    int r = key_head_string(x, &argv[1], &v);
    if (r > 0 && !v.p) {  /* kept in chunks: the fields' bytes, or if they lie far apart the whole string */
        if (bitfield_span(x, &argv[1], &v, ops, nops, writes, top)) goto done;
        sval_free(&v);
        r = key_get_string(x, &argv[1], &v);
    }
    if (r >= 0) {
        /* a write makes the key as long as its furthest field, even if
         * every write then fails (Redis does the same) */
        edit e;
        edit_from(&v, r, writes ? (size_t)(top >> 3) + 1 : 0, &e);
        if (bf_run(x, ops, nops, e.p, e.n) || (writes && (!e.found || e.n > e.had)))
            key_set(x, &argv[1], e.p, e.n, e.expire);
        free(e.p);
    }
done:
    sval_free(&v);
    free(ops);
}

/* BITFIELD key [GET type offset | SET type offset value | INCRBY type offset increment | OVERFLOW WRAP|SAT|FAIL] ... */
void bitfield_command(cmdctx *x, int argc, rstr *argv) { bitfield(x, argc, argv, 0); }

/* BITFIELD_RO key [GET type offset] ... */
void bitfield_ro_command(cmdctx *x, int argc, rstr *argv) { bitfield(x, argc, argv, 1); }
