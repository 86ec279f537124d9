/* The string commands: GET, SET and their variants (with expiry: SETEX,
 * PSETEX, GETEX), the INCR family, APPEND, GETRANGE, SETRANGE, MGET, MSET.
 * A value is the bytes stored under its key; numbers are their decimal
 * text, as in Redis. Which writes keep a key's expiry is Redis's rule: a
 * new value (SET, GETSET, MSET) drops it, an edit (INCR, APPEND, ...)
 * keeps it. */
#include "handlers.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char E_NOTFLOAT[] = "ERR value is not a valid float";
static const char E_TOOBIG[] = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/* ---- reads ---- */

/* Answers key's value (nil without it): 1 with a string, 0 without the
 * key, -1 with WRONGTYPE. */
static int get_reply(cmdctx *x, const rstr *key) {
    sval v;
    int r = key_get_string(x, key, &v);
    if (r > 0) reply_bulk(x->out, v.p, v.len);
    else if (!r) reply_nil(x->out);
    sval_free(&v);
    return r;
}

/* GET key */
void get_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    get_reply(x, &argv[1]);
}

/* MGET key [key ...] (the server runs a long one as a read_job) */
void mget_command(cmdctx *x, int argc, rstr *argv) { read_job_run(x, argc, argv); }

/* STRLEN key */
void strlen_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    sval v;
    int r = key_head_string(x, &argv[1], &v);
    if (r >= 0) reply_int(x->out, r ? (long long)v.len : 0);
    sval_free(&v);
}

/* GETRANGE key start end */
void getrange_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long start, end;
    if (!arg_ll(x, &argv[2], &start) || !arg_ll(x, &argv[3], &end)) return;
    sval v;
    int found = key_head_string(x, &argv[1], &v);
    if (found < 0) return;
    long long len = found ? (long long)v.len : 0;
    if (!found || (start < 0 && end < 0 && start > end)) goto empty;
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= len) end = len - 1;
    if (start > end || len == 0) goto empty;
    size_t n = (size_t)(end - start + 1);
    if (v.p) {
        reply_bulk(x->out, v.p + start, n);
    } else {  /* kept in chunks: the ones the range covers */
        char *part = xmalloc(n);
        store_read_part(x->f, argv[1].p, argv[1].len, (uint64_t)start, n, part);
        reply_bulk(x->out, part, n);
        free(part);
    }
    sval_free(&v);
    return;
empty:
    sval_free(&v);
    reply_bulk(x->out, "", 0);
}

/* LCS's options; 0 with the error answered. */
static int lcs_options(cmdctx *x, int argc, rstr *argv, int *idx, int *len, int *withlen, long long *minlen) {
    *idx = *len = *withlen = 0;
    *minlen = 0;
    for (int i = 3; i < argc; i++) {
        if (arg_is(&argv[i], "idx")) *idx = 1;
        else if (arg_is(&argv[i], "len")) *len = 1;
        else if (arg_is(&argv[i], "withmatchlen")) *withlen = 1;
        else if (arg_is(&argv[i], "minmatchlen") && i + 1 < argc) {
            if (!arg_ll(x, &argv[++i], minlen)) return 0;
            if (*minlen < 0) *minlen = 0;
        } else {
            reply_error(x->out, ERR_SYNTAX);
            return 0;
        }
    }
    if (*idx && *len) {
        reply_error(x->out, "ERR If you want both the length and indexes, please just use IDX.");
        return 0;
    }
    return 1;
}

/* One match range of LCS ... IDX: [[a0, a1], [b0, b1]] and its length. */
static void lcs_range(buf *o, uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1, int withlen) {
    reply_array(o, 2 + withlen);
    reply_array(o, 2);
    reply_int(o, a0);
    reply_int(o, a1);
    reply_array(o, 2);
    reply_int(o, b0);
    reply_int(o, b1);
    if (withlen) reply_int(o, (long long)(a1 - a0) + 1);
}

/* LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the
 * classic table of common-subsequence lengths, then a walk back from its
 * end collecting the subsequence and the ranges where both strings match
 * (last ones first, as Redis gives them). The server runs it off the loop
 * (CMD_OFF_LOOP): the table may be proto-max-bulk-len bytes. */
void lcs_command(cmdctx *x, int argc, rstr *argv) {
    int idx, len, withlen;
    long long minlen;
    sval va, vb;
    int fa = key_get(x, &argv[1], &va), fb = key_get(x, &argv[2], &vb);
    const char *a = fa ? va.p : "", *b = fb ? vb.p : "";
    uint64_t al = fa ? va.len : 0, bl = fb ? vb.len : 0;
    uint32_t *t = NULL;
    if ((fa && va.type != STORE_STRING) || (fb && vb.type != STORE_STRING)) {
        reply_error(x->out, "ERR The specified keys must contain string values");
        goto done;
    }
    if (!lcs_options(x, argc, argv, &idx, &len, &withlen, &minlen)) goto done;
    if (al >= UINT32_MAX - 1 || bl >= UINT32_MAX - 1) { reply_error(x->out, "ERR String too long for LCS"); goto done; }
    uint64_t cells = (al + 1) * (bl + 1);
    if (cells * sizeof(uint32_t) > (uint64_t)cmd_max_string) {
        reply_error(x->out, "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        goto done;
    }
    t = malloc(cells * sizeof(uint32_t));
    if (!t) { reply_error(x->out, "ERR Insufficient memory, failed allocating transient memory for LCS"); goto done; }
#define T(i, j) t[(uint64_t)(i) * (bl + 1) + (j)]
    for (uint64_t i = 0; i <= al; i++)
        for (uint64_t j = 0; j <= bl; j++)
            T(i, j) = !i || !j ? 0 : a[i - 1] == b[j - 1] ? T(i - 1, j - 1) + 1
                    : T(i - 1, j) > T(i, j - 1) ? T(i - 1, j) : T(i, j - 1);
    uint32_t total = T(al, bl), k = total;
    if (len) { reply_int(x->out, total); goto done; }
    char *res = idx ? NULL : malloc(total ? total : 1);
    buf ranges;
    buf_init(&ranges);
    long long nranges = 0;
    uint32_t i = (uint32_t)al, j = (uint32_t)bl, a0 = (uint32_t)al, a1 = 0, b0 = 0, b1 = 0;  /* a0 == al: no range open */
    while (i > 0 && j > 0) {
        int emit = 0;
        if (a[i - 1] == b[j - 1]) {
            if (res) res[k - 1] = a[i - 1];
            if (a0 == al) a0 = a1 = i - 1, b0 = b1 = j - 1;
            else if (a0 == i && b0 == j) a0--, b0--;
            else emit = 1;
            if (a0 == 0 || b0 == 0) emit = 1;
            k--, i--, j--;
        } else {
            if (T(i - 1, j) > T(i, j - 1)) i--; else j--;
            if (a0 != al) emit = 1;
        }
        if (emit) {
            if (idx && (minlen == 0 || (long long)(a1 - a0) + 1 >= minlen)) {
                lcs_range(&ranges, a0, a1, b0, b1, withlen);
                nranges++;
            }
            a0 = (uint32_t)al;
        }
    }
#undef T
    if (idx) {
        reply_array(x->out, 4);
        reply_bulkstr(x->out, "matches");
        reply_array(x->out, nranges);
        buf_append(x->out, ranges.data, ranges.len);
        reply_bulkstr(x->out, "len");
        reply_int(x->out, total);
    } else {
        reply_bulk(x->out, res, total);
    }
    free(res);
    buf_free(&ranges);
done:
    free(t);
    sval_free(&va);
    sval_free(&vb);
}

/* ---- writes (each runs to validate, then at apply: handlers.h) ---- */

long long max_string(const cmdctx *x) { return x->f ? CMD_MAX_STRING : cmd_max_string; }

/* Redis's checkStringLength: would size + append bytes be too long? */
static int too_long(cmdctx *x, long long size, long long append) {
    if (size <= max_string(x) - append) return 0;
    reply_error(x->out, E_TOOBIG);
    return 1;
}

enum {
    SET_NX = 1, SET_XX = 2, SET_GET = 4, SET_KEEPTTL = 8, SET_PERSIST = 16,
    SET_EX = 32, SET_PX = 64, SET_EXAT = 128, SET_PXAT = 256,
};
#define SET_EXPIRY (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

/* The options of SET (get 0) or GETEX (get 1), as Redis 7.0 reads them:
 * each may come once, against the others it excludes, a time after each
 * expiry; anything else is a syntax error. *when: the time's argument. */
static int string_options(cmdctx *x, int argc, rstr *argv, int first, int get, int *opts, const rstr **when) {
    *opts = 0;
    *when = NULL;
    for (int i = first; i < argc; i++) {
        const rstr *a = &argv[i];
        int next = i + 1 < argc, o = *opts;
        static const struct { const char *name; int flag; } times[] = {
            {"ex", SET_EX}, {"px", SET_PX}, {"exat", SET_EXAT}, {"pxat", SET_PXAT}};
        int t = -1;
        for (int k = 0; k < 4; k++)
            if (arg_is(a, times[k].name)) t = k;
        if (!get && arg_is(a, "nx") && !(o & SET_XX)) *opts |= SET_NX;
        else if (!get && arg_is(a, "xx") && !(o & SET_NX)) *opts |= SET_XX;
        else if (!get && arg_is(a, "get")) *opts |= SET_GET;
        else if (!get && arg_is(a, "keepttl") && !(o & (SET_PERSIST | SET_EXPIRY))) *opts |= SET_KEEPTTL;
        else if (get && arg_is(a, "persist") && !(o & (SET_EXPIRY | SET_KEEPTTL))) *opts |= SET_PERSIST;
        else if (t >= 0 && !(o & (SET_KEEPTTL | SET_PERSIST | (SET_EXPIRY & ~times[t].flag))) && next) {
            *opts |= times[t].flag;
            *when = &argv[++i];
        } else {
            reply_error(x->out, ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

/* The expiry an option asks for, in ms of cluster time, as Redis's
 * getExpireMillisecondsOrReply: a positive integer, relative ones added to
 * the command's time; 0 with the error answered otherwise. Before
 * proposing (no store) the time is not known yet: only the argument. */
static int expiry_ms(cmdctx *x, int opts, const rstr *when, const char *cmd, uint64_t *expire) {
    long long ms;
    if (!arg_ll(x, when, &ms)) return 0;
    int secs = opts & (SET_EX | SET_EXAT), rel = opts & (SET_EX | SET_PX);
    if (ms <= 0 || (secs && ms > LLONG_MAX / 1000)) goto bad;
    if (secs) ms *= 1000;
    if (rel && ms > LLONG_MAX - (long long)x->time_ms) goto bad;
    if (rel && x->f) ms += (long long)x->time_ms;
    *expire = (uint64_t)ms;
    return 1;
bad:
    reply_errorf(x->out, "ERR invalid expire time in '%s' command", cmd);
    return 0;
}

/* SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL];
 * SETEX and PSETEX come here with their time (opts SET_EX or SET_PX). */
static void set_generic(cmdctx *x, const rstr *key, const rstr *val, int opts, const rstr *when, const char *cmd) {
    uint64_t expire = 0;
    if (when && !expiry_ms(x, opts, when, cmd, &expire)) return;
    if (!x->f) return;
    if (!(opts & (SET_NX | SET_XX | SET_GET | SET_KEEPTTL))) {  /* the old value does not matter: no read */
        key_set(x, key, val->p, val->len, expire);
        reply_ok(x->out);
        return;
    }
    sval old;  /* GET needs the old bytes; NX, XX and KEEPTTL its existence and expiry */
    int found = opts & SET_GET ? key_get(x, key, &old) : key_head(x, key, &old);
    if (found && (opts & SET_GET) && old.type != STORE_STRING) {  /* GET needs a string; NX, XX any key */
        sval_free(&old);
        reply_error(x->out, ERR_WRONGTYPE);
        return;
    }
    int doit = !(((opts & SET_NX) && found) || ((opts & SET_XX) && !found));
    if (doit) key_set(x, key, val->p, val->len, (opts & SET_KEEPTTL) && found ? old.expire : expire);
    if (opts & SET_GET) {
        if (found) reply_bulk(x->out, old.p, old.len); else reply_nil(x->out);
    } else if (doit) {
        reply_ok(x->out);
    } else {
        reply_nil(x->out);
    }
    sval_free(&old);
}

void set_command(cmdctx *x, int argc, rstr *argv) {
    int opts;
    const rstr *when;
    if (string_options(x, argc, argv, 3, 0, &opts, &when)) set_generic(x, &argv[1], &argv[2], opts, when, "set");
}

/* SETEX key seconds value ; PSETEX key milliseconds value */
void setex_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    set_generic(x, &argv[1], &argv[3], SET_EX, &argv[2], "setex");
}
void psetex_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    set_generic(x, &argv[1], &argv[3], SET_PX, &argv[2], "psetex");
}

/* GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST] */
void getex_command(cmdctx *x, int argc, rstr *argv) {
    int opts;
    const rstr *when;
    uint64_t expire = 0;
    if (!string_options(x, argc, argv, 2, 1, &opts, &when) || !x->f) return;
    sval v;
    int r = key_get_string(x, &argv[1], &v);
    if (r <= 0) {  /* nil before the time is looked at, as Redis */
        if (!r) reply_nil(x->out);
        sval_free(&v);
        return;
    }
    if (when && !expiry_ms(x, opts, when, "getex", &expire)) {
        sval_free(&v);
        return;
    }
    reply_bulk(x->out, v.p, v.len);
    if (when && expire <= x->time_ms) store_del(x->f, argv[1].p, argv[1].len, NULL);  /* Redis: at or past it */
    else if (when) store_expire(x->f, argv[1].p, argv[1].len, expire);
    else if ((opts & SET_PERSIST) && v.expire) store_expire(x->f, argv[1].p, argv[1].len, 0);
    sval_free(&v);
}

/* SETNX key value */
void setnx_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (!x->f) return;
    sval v;
    int exists = key_head(x, &argv[1], &v);
    sval_free(&v);
    if (!exists) key_set(x, &argv[1], argv[2].p, argv[2].len, 0);
    reply_int(x->out, !exists);
}

/* GETSET key value */
void getset_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (!x->f) return;
    if (get_reply(x, &argv[1]) >= 0) key_set(x, &argv[1], argv[2].p, argv[2].len, 0);
}

/* GETDEL key */
void getdel_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (!x->f) return;
    if (get_reply(x, &argv[1]) > 0) key_del(x, &argv[1]);
}

/* MSET key value [key value ...] ; MSETNX likewise */
static void mset_generic(cmdctx *x, int argc, rstr *argv, int nx) {
    if (argc % 2 == 0) {
        reply_errorf(x->out, "ERR wrong number of arguments for '%s' command", nx ? "msetnx" : "mset");
        return;
    }
    if (!x->f) return;
    if (nx)
        for (int i = 1; i < argc; i += 2) {
            sval v;
            int exists = key_head(x, &argv[i], &v);
            sval_free(&v);
            if (exists) { reply_int(x->out, 0); return; }
        }
    for (int i = 1; i < argc; i += 2) key_set(x, &argv[i], argv[i + 1].p, argv[i + 1].len, 0);
    if (nx) reply_int(x->out, 1); else reply_ok(x->out);
}
void mset_command(cmdctx *x, int argc, rstr *argv) { mset_generic(x, argc, argv, 0); }
void msetnx_command(cmdctx *x, int argc, rstr *argv) { mset_generic(x, argc, argv, 1); }

/* Reads key as a 64-bit integer (0 when missing), and its expiry, which
 * the INCR family keeps; 0 and an error if not one. */
static int stored_ll(cmdctx *x, const rstr *key, long long *v, uint64_t *expire) {
    sval s;
    int found = key_get_string(x, key, &s);
    if (found < 0) return 0;
    int ok = !found || str2ll(s.p, s.len, v);
    if (!found) *v = 0;
    *expire = found ? s.expire : 0;
    sval_free(&s);
    if (!ok) reply_error(x->out, ERR_NOTINT);
    return ok;
}

static void incr_generic(cmdctx *x, const rstr *key, long long by) {
    if (!x->f) return;
    long long v;
    uint64_t expire;
    if (!stored_ll(x, key, &v, &expire) || !incr_ll(x, &v, by)) return;
    char tmp[24];
    int n = ll2str(tmp, v);
    key_set(x, key, tmp, (size_t)n, expire);
    reply_int(x->out, v);
}

/* INCR key ; DECR key ; INCRBY key increment ; DECRBY key decrement */
void incr_command(cmdctx *x, int argc, rstr *argv) { (void)argc; incr_generic(x, &argv[1], 1); }
void decr_command(cmdctx *x, int argc, rstr *argv) { (void)argc; incr_generic(x, &argv[1], -1); }
void incrby_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long by;
    if (arg_ll(x, &argv[2], &by)) incr_generic(x, &argv[1], by);
}
void decrby_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long by;
    if (!arg_ll(x, &argv[2], &by)) return;
    if (by == LLONG_MIN) { reply_error(x->out, "ERR decrement would overflow"); return; }
    incr_generic(x, &argv[1], -by);
}

/* INCRBYFLOAT key increment */
void incrbyfloat_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long double by, v = 0;
    if (!x->f) return;  /* the increment is read at apply, after the type, as Redis reads it */
    sval s;
    int found = key_get_string(x, &argv[1], &s);
    if (found < 0) return;
    int ok = (!found || str2ld(s.p, s.len, &v)) && str2ld(argv[2].p, argv[2].len, &by);
    uint64_t expire = found ? s.expire : 0;
    sval_free(&s);
    if (!ok) { reply_error(x->out, E_NOTFLOAT); return; }
    v += by;
    if (isnan(v) || isinf(v)) { reply_error(x->out, "ERR increment would produce NaN or Infinity"); return; }
    char tmp[5200];
    int len = ld2str(tmp, sizeof(tmp), v);
    key_set(x, &argv[1], tmp, (size_t)len, expire);
    reply_bulk(x->out, tmp, (size_t)len);
}

/* APPEND key value */
void append_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (!x->f) return;  /* how long the result gets depends on the data */
    sval v;
    int found = key_head_string(x, &argv[1], &v);
    if (found < 0) return;
    size_t n = found ? v.len : 0;
    if (found && too_long(x, (long long)n, (long long)argv[2].len)) { sval_free(&v); return; }
    if (found && !v.p) {  /* kept in chunks: the last one and those after it */
        store_write_part(x->f, argv[1].p, argv[1].len, n, argv[2].p, argv[2].len);
        reply_int(x->out, (long long)(n + argv[2].len));
        sval_free(&v);
        return;
    }
    buf b;
    buf_init(&b);
    buf_append(&b, found ? v.p : "", n);
    buf_append(&b, argv[2].p, argv[2].len);
    key_set(x, &argv[1], b.data ? b.data : "", b.len, found ? v.expire : 0);
    reply_int(x->out, (long long)b.len);
    buf_free(&b);
    sval_free(&v);
}

/* SETRANGE key offset value */
void setrange_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long off;
    if (!arg_ll(x, &argv[2], &off)) return;
    if (off < 0) { reply_error(x->out, "ERR offset is out of range"); return; }
    /* an empty value sets nothing, and answers the length, whatever the offset */
    if (argv[3].len && too_long(x, off, (long long)argv[3].len)) return;
    if (!x->f) return;
    sval v;
    int found = key_head_string(x, &argv[1], &v);
    if (found < 0) return;
    size_t n = found ? v.len : 0;
    if (argv[3].len == 0) { reply_int(x->out, (long long)n); sval_free(&v); return; }
    size_t need = (size_t)off + argv[3].len, len = n > need ? n : need;
    if (found && !v.p) {  /* kept in chunks: the ones the range covers */
        store_write_part(x->f, argv[1].p, argv[1].len, (uint64_t)off, argv[3].p, argv[3].len);
        reply_int(x->out, (long long)len);
        sval_free(&v);
        return;
    }
    char *nv = xmalloc(len);
    memset(nv, 0, len);
    if (found) memcpy(nv, v.p, n);
    memcpy(nv + off, argv[3].p, argv[3].len);
    key_set(x, &argv[1], nv, len, found ? v.expire : 0);
    reply_int(x->out, (long long)len);
    free(nv);
    sval_free(&v);
}
