/* The string commands: GET, SET and their variants, the INCR family,
 * APPEND, GETRANGE, SETRANGE, MGET, MSET. A value is the bytes stored
 * under its key; numbers are their decimal text, as in Redis. */
#include "handlers.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char E_NOTFLOAT[] = "ERR value is not a valid float";
static const char E_TOOBIG[] = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
static const char E_EXPIRY[] = "ERR expiry options (EX, PX, EXAT, PXAT, KEEPTTL) are not supported by raftkv yet";

/* ---- reads ---- */

/* GET key */
void get_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    size_t n;
    char *v = store_get(x->f, argv[1].p, argv[1].len, &n);
    if (v) reply_bulk(x->out, v, n); else reply_nil(x->out);
    free(v);
}

/* MGET key [key ...] (the server runs a long one as a read_job) */
void mget_command(cmdctx *x, int argc, rstr *argv) { read_job_run(x, argc, argv); }

/* STRLEN key */
void strlen_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    size_t n = 0;
    char *v = store_get(x->f, argv[1].p, argv[1].len, &n);
    reply_int(x->out, v ? (long long)n : 0);
    free(v);
}

/* GETRANGE key start end */
void getrange_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long start, end;
    if (!arg_ll(x, &argv[2], &start) || !arg_ll(x, &argv[3], &end)) return;
    size_t n = 0;
    char *v = store_get(x->f, argv[1].p, argv[1].len, &n);
    long long len = (long long)n;
    if (!v || (start < 0 && end < 0 && start > end)) goto empty;
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= len) end = len - 1;
    if (start > end || len == 0) goto empty;
    reply_bulk(x->out, v + start, (size_t)(end - start + 1));
    free(v);
    return;
empty:
    free(v);
    reply_bulk(x->out, "", 0);
}

/* ---- writes (each runs to validate, then at apply: handlers.h) ---- */

/* Bound on the string a command may make: this node's proto-max-bulk-len
 * before proposing, the cluster-wide CMD_MAX_STRING at apply (every
 * replica and replay must agree, whatever each node was configured with). */
static long long max_string(const cmdctx *x) { return x->f ? CMD_MAX_STRING : cmd_max_string; }

/* Redis's checkStringLength: would size + append bytes be too long? */
static int too_long(cmdctx *x, long long size, long long append) {
    if (size <= max_string(x) - append) return 0;
    reply_error(x->out, E_TOOBIG);
    return 1;
}

enum { SET_NX = 1, SET_XX = 2, SET_GET = 4 };

static int expiry_option(const rstr *a) {
    return arg_is(a, "ex") || arg_is(a, "px") || arg_is(a, "exat") || arg_is(a, "pxat") || arg_is(a, "keepttl");
}

/* SET's options; 0, with the error answered, when one is not valid. NX
 * after XX (or XX after NX) is a syntax error, as in Redis. */
static int set_options(cmdctx *x, int argc, rstr *argv, int *opts) {
    *opts = 0;
    for (int i = 3; i < argc; i++) {
        const rstr *a = &argv[i];
        if (arg_is(a, "nx") && !(*opts & SET_XX)) *opts |= SET_NX;
        else if (arg_is(a, "xx") && !(*opts & SET_NX)) *opts |= SET_XX;
        else if (arg_is(a, "get")) *opts |= SET_GET;
        else {
            reply_error(x->out, expiry_option(a) ? E_EXPIRY : ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

/* SET key value [NX | XX] [GET] */
void set_command(cmdctx *x, int argc, rstr *argv) {
    int opts;
    if (!set_options(x, argc, argv, &opts) || !x->f) return;
    size_t n;
    char *old = store_get(x->f, argv[1].p, argv[1].len, &n);
    int doit = !(((opts & SET_NX) && old) || ((opts & SET_XX) && !old));
    if (doit) store_put(x->f, argv[1].p, argv[1].len, argv[2].p, argv[2].len);
    if (opts & SET_GET) {
        if (old) reply_bulk(x->out, old, n); else reply_nil(x->out);
    } else if (doit) {
        reply_ok(x->out);
    } else {
        reply_nil(x->out);
    }
    free(old);
}

/* SETNX key value */
void setnx_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (!x->f) return;
    int exists = store_exists(x->f, argv[1].p, argv[1].len);
    if (!exists) store_put(x->f, argv[1].p, argv[1].len, argv[2].p, argv[2].len);
    reply_int(x->out, !exists);
}

/* GETSET key value */
void getset_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (!x->f) return;
    get_command(x, 2, argv);
    store_put(x->f, argv[1].p, argv[1].len, argv[2].p, argv[2].len);
}

/* GETDEL key */
void getdel_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (!x->f) return;
    get_command(x, 2, argv);
    store_del(x->f, argv[1].p, argv[1].len);
}

/* MSET key value [key value ...] ; MSETNX likewise */
static void mset_generic(cmdctx *x, int argc, rstr *argv, int nx) {
    if (argc % 2 == 0) {
        reply_errorf(x->out, "ERR wrong number of arguments for '%s' command", nx ? "msetnx" : "mset");
        return;
    }
    if (!x->f) return;
    if (nx)
        for (int i = 1; i < argc; i += 2)
            if (store_exists(x->f, argv[i].p, argv[i].len)) { reply_int(x->out, 0); return; }
    for (int i = 1; i < argc; i += 2) store_put(x->f, argv[i].p, argv[i].len, argv[i + 1].p, argv[i + 1].len);
    if (nx) reply_int(x->out, 1); else reply_ok(x->out);
}
void mset_command(cmdctx *x, int argc, rstr *argv) { mset_generic(x, argc, argv, 0); }
void msetnx_command(cmdctx *x, int argc, rstr *argv) { mset_generic(x, argc, argv, 1); }

/* Reads key as a 64-bit integer (0 when missing); 0 and an error if not one. */
static int stored_ll(cmdctx *x, const rstr *key, long long *v) {
    size_t n;
    char *s = store_get(x->f, key->p, key->len, &n);
    int ok = !s || str2ll(s, n, v);
    if (!s) *v = 0;
    free(s);
    if (!ok) reply_error(x->out, ERR_NOTINT);
    return ok;
}

static void incr_generic(cmdctx *x, const rstr *key, long long by) {
    if (!x->f) return;
    long long v;
    if (!stored_ll(x, key, &v)) return;
    if ((by < 0 && v < 0 && by < LLONG_MIN - v) || (by > 0 && v > 0 && by > LLONG_MAX - v)) {
        reply_error(x->out, "ERR increment or decrement would overflow");
        return;
    }
    v += by;
    char tmp[24];
    int n = ll2str(tmp, v);
    store_put(x->f, key->p, key->len, tmp, (size_t)n);
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
    size_t n;
    if (!str2ld(argv[2].p, argv[2].len, &by)) { reply_error(x->out, E_NOTFLOAT); return; }
    if (!x->f) return;
    char *s = store_get(x->f, argv[1].p, argv[1].len, &n);
    int ok = !s || str2ld(s, n, &v);
    free(s);
    if (!ok) { reply_error(x->out, E_NOTFLOAT); return; }
    v += by;
    if (isnan(v) || isinf(v)) { reply_error(x->out, "ERR increment would produce NaN or Infinity"); return; }
    char tmp[5200];
    int len = ld2str(tmp, sizeof(tmp), v);
    store_put(x->f, argv[1].p, argv[1].len, tmp, (size_t)len);
    reply_bulk(x->out, tmp, (size_t)len);
}

/* APPEND key value */
void append_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (!x->f) return;  /* how long the result gets depends on the data */
    size_t n = 0;
    char *v = store_get(x->f, argv[1].p, argv[1].len, &n);
    if (v && too_long(x, (long long)n, (long long)argv[2].len)) { free(v); return; }
    buf b;
    buf_init(&b);
    buf_append(&b, v, n);
    buf_append(&b, argv[2].p, argv[2].len);
    store_put(x->f, argv[1].p, argv[1].len, b.data ? b.data : "", b.len);
    reply_int(x->out, (long long)b.len);
    buf_free(&b);
    free(v);
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
    size_t n = 0;
    char *v = store_get(x->f, argv[1].p, argv[1].len, &n);
    if (argv[3].len == 0) { reply_int(x->out, (long long)n); free(v); return; }
    size_t need = (size_t)off + argv[3].len, len = n > need ? n : need;
    char *nv = xmalloc(len);
    memset(nv, 0, len);
    if (v) memcpy(nv, v, n);
    memcpy(nv + off, argv[3].p, argv[3].len);
    store_put(x->f, argv[1].p, argv[1].len, nv, len);
    reply_int(x->out, (long long)len);
    free(nv);
    free(v);
}
