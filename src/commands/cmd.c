#include "cmd.h"
#include "glob.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

long long cmd_max_string = CMD_MAX_STRING; /* this node's proto-max-bulk-len: checked before proposing */

static const char E_NOTINT[] = "ERR value is not an integer or out of range";
static const char E_SYNTAX[] = "ERR syntax error";
static const char E_NOTFLOAT[] = "ERR value is not a valid float";
static const char E_TOOBIG[] = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
#define SCAN_MAX_WORK 100000  /* keys one SCAN call visits at most (more with long patterns) */
/* A read over the whole keyspace while the state machine cannot write out
 * what was applied (a full disk): refused rather than answered from
 * LevelDB alone, which would miss the latest writes. */
static const char E_UNREADABLE[] = "MISCONF Errors writing to the state machine: this command cannot be served until "
                                   "there is space on the disk";
static const char E_EXPIRY[] = "ERR expiry options (EX, PX, EXAT, PXAT, KEEPTTL) are not supported by raftkv yet";

static int eq(const rstr *a, const char *s) { return strlen(s) == a->len && strncasecmp(a->p, s, a->len) == 0; }

static int arg_ll(cmdctx *x, const rstr *a, long long *v) {
    if (str2ll(a->p, a->len, v)) return 1;
    reply_error(x->out, E_NOTINT);
    return 0;
}

/* ---- GET family (reads) ---- */

/* GET key */
static void get_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    size_t n;
    char *v = store_get(x->f, argv[1].p, argv[1].len, &n);
    if (v) reply_bulk(x->out, v, n); else reply_nil(x->out);
    free(v);
}

/* MGET key [key ...] */
static void mget_command(cmdctx *x, int argc, rstr *argv) {
    reply_array(x->out, argc - 1);
    for (int i = 1; i < argc; i++) get_command(x, 2, argv + i - 1);
}

/* STRLEN key */
static void strlen_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    size_t n = 0;
    char *v = store_get(x->f, argv[1].p, argv[1].len, &n);
    reply_int(x->out, v ? (long long)n : 0);
    free(v);
}

/* EXISTS key [key ...] */
static void exists_command(cmdctx *x, int argc, rstr *argv) {
    long long n = 0;
    for (int i = 1; i < argc; i++) n += store_exists(x->f, argv[i].p, argv[i].len);
    reply_int(x->out, n);
}

/* TYPE key */
static void type_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    reply_simple(x->out, store_exists(x->f, argv[1].p, argv[1].len) ? "string" : "none");
}

/* GETRANGE key start end */
static void getrange_command(cmdctx *x, int argc, rstr *argv) {
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

/* ---- SET family (applied from the log) ----
 * Each handler checks its arguments first; called to validate (x->f NULL)
 * it stops there, so the checks that do not depend on the data run before
 * the command is proposed, by the same code that runs at apply. */

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

/* SET key value [NX | XX] [GET] */
static void set_command(cmdctx *x, int argc, rstr *argv) {
    int nx = 0, xx = 0, get = 0;
    for (int i = 3; i < argc; i++) {
        if (eq(&argv[i], "nx") && !xx) nx = 1;
        else if (eq(&argv[i], "xx") && !nx) xx = 1;
        else if (eq(&argv[i], "get")) get = 1;
        else if (eq(&argv[i], "ex") || eq(&argv[i], "px") || eq(&argv[i], "exat") || eq(&argv[i], "pxat") ||
                 eq(&argv[i], "keepttl")) {
            reply_error(x->out, E_EXPIRY);
            return;
        } else {
            reply_error(x->out, E_SYNTAX);
            return;
        }
    }
    if (!x->f) return;
    size_t n;
    char *old = store_get(x->f, argv[1].p, argv[1].len, &n);
    int doit = !((nx && old) || (xx && !old));
    if (doit) store_put(x->f, argv[1].p, argv[1].len, argv[2].p, argv[2].len);
    if (get) {
        if (old) reply_bulk(x->out, old, n); else reply_nil(x->out);
    } else if (doit) {
        reply_ok(x->out);
    } else {
        reply_nil(x->out);
    }
    free(old);
}

/* SETNX key value */
static void setnx_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (!x->f) return;
    int exists = store_exists(x->f, argv[1].p, argv[1].len);
    if (!exists) store_put(x->f, argv[1].p, argv[1].len, argv[2].p, argv[2].len);
    reply_int(x->out, !exists);
}

/* GETSET key value */
static void getset_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (!x->f) return;
    get_command(x, 2, argv);
    store_put(x->f, argv[1].p, argv[1].len, argv[2].p, argv[2].len);
}

/* GETDEL key */
static void getdel_command(cmdctx *x, int argc, rstr *argv) {
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
static void mset_command(cmdctx *x, int argc, rstr *argv) { mset_generic(x, argc, argv, 0); }
static void msetnx_command(cmdctx *x, int argc, rstr *argv) { mset_generic(x, argc, argv, 1); }

/* DEL key [key ...] ; UNLINK likewise */
static void del_command(cmdctx *x, int argc, rstr *argv) {
    if (!x->f) return;
    long long n = 0;
    for (int i = 1; i < argc; i++) n += store_del(x->f, argv[i].p, argv[i].len);
    reply_int(x->out, n);
}

/* Reads key as a 64-bit integer (0 when missing); 0 and an error if not one. */
static int stored_ll(cmdctx *x, const rstr *key, long long *v) {
    size_t n;
    char *s = store_get(x->f, key->p, key->len, &n);
    int ok = !s || str2ll(s, n, v);
    if (!s) *v = 0;
    free(s);
    if (!ok) reply_error(x->out, E_NOTINT);
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
static void incr_command(cmdctx *x, int argc, rstr *argv) { (void)argc; incr_generic(x, &argv[1], 1); }
static void decr_command(cmdctx *x, int argc, rstr *argv) { (void)argc; incr_generic(x, &argv[1], -1); }
static void incrby_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long by;
    if (arg_ll(x, &argv[2], &by)) incr_generic(x, &argv[1], by);
}
static void decrby_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long by;
    if (!arg_ll(x, &argv[2], &by)) return;
    if (by == LLONG_MIN) { reply_error(x->out, "ERR decrement would overflow"); return; }
    incr_generic(x, &argv[1], -by);
}

/* INCRBYFLOAT key increment */
static void incrbyfloat_command(cmdctx *x, int argc, rstr *argv) {
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
static void append_command(cmdctx *x, int argc, rstr *argv) {
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
static void setrange_command(cmdctx *x, int argc, rstr *argv) {
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

/* FLUSHDB [ASYNC | SYNC] ; FLUSHALL likewise */
static void flushdb_command(cmdctx *x, int argc, rstr *argv) {
    if (argc > 2 || (argc == 2 && !eq(&argv[1], "async") && !eq(&argv[1], "sync"))) {
        reply_error(x->out, E_SYNTAX);
        return;
    }
    if (!x->f) return;
    store_clear(x->f);
    reply_ok(x->out);
}

/* ---- keyspace reads ---- */

struct keys_job {
    store_view *v;
    rstr pat;
    int all;
    buf body;
    long long n;
};

keys_job *keys_job_new(store *f, const rstr *pattern) {
    uint64_t index, term, keys;
    store_view *v = store_view_new(f, &index, &term, &keys);
    if (!v) return NULL;
    keys_job *j = xmalloc(sizeof(*j));
    memset(j, 0, sizeof(*j));
    j->v = v;
    j->pat.p = xstrndup(pattern->p, pattern->len);
    j->pat.len = pattern->len;
    j->all = pattern->len == 1 && pattern->p[0] == '*';
    return j;
}

/* A key costs one unit, and more when matching it against a long pattern
 * could take long (the matcher is O(pattern x key) at worst). */
int keys_job_step(keys_job *j, long budget, buf *out) {
    const char *k, *val;
    size_t kl, vl;
    while (budget > 0) {
        if (!store_view_next(j->v, &k, &kl, &val, &vl)) {
            reply_array(out, j->n);
            buf_append(out, j->body.data, j->body.len);
            return 1;
        }
        budget -= 1 + (long)((j->all ? 0 : j->pat.len * kl) >> 12);
        if (j->all || glob_match(j->pat.p, j->pat.len, k, kl, 0)) { reply_bulk(&j->body, k, kl); j->n++; }
    }
    return 0;
}

size_t keys_job_bytes(const keys_job *j) { return j->body.len; }

void keys_job_free(keys_job *j) {
    if (!j) return;
    store_view_free(j->v);
    free(j->pat.p);
    buf_free(&j->body);
    free(j);
}

/* KEYS pattern (all at once here; the server runs it in slices) */
static void keys_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    keys_job *j = keys_job_new(x->f, &argv[1]);
    if (!j) { reply_error(x->out, E_UNREADABLE); return; }
    keys_job_step(j, LONG_MAX, x->out);
    keys_job_free(j);
}

/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
static void scan_command(cmdctx *x, int argc, rstr *argv) {
    /* As Redis reads it: strtoul over the C string (arguments are
     * NUL-terminated), so "" is 0, "-1" wraps, and only a leading space,
     * trailing junk or a value past 64 bits is invalid. */
    char tmp[32], *end;
    errno = 0;
    unsigned long long cursor = strtoull(argv[1].p, &end, 10);
    if (isspace((unsigned char)argv[1].p[0]) || *end || errno == ERANGE) {
        reply_error(x->out, "ERR invalid cursor");
        return;
    }
    long long count = 10;
    const rstr *pat = NULL;
    int type_none = 0;
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc) { reply_error(x->out, E_SYNTAX); return; }
        if (eq(&argv[i], "count")) {
            if (!arg_ll(x, &argv[i + 1], &count)) return;
            if (count < 1) { reply_error(x->out, E_SYNTAX); return; }
        } else if (eq(&argv[i], "match")) {
            pat = &argv[i + 1];
        } else if (eq(&argv[i], "type")) {
            type_none = !eq(&argv[i + 1], "string");
        } else {
            reply_error(x->out, E_SYNTAX);
            return;
        }
    }
    /* Visit whole hash groups, so a cursor never splits keys of one hash.
     * COUNT is a hint: one call does a bounded amount of work whatever it
     * asks (the loop must not stall), and the cursor goes on from there. */
    if (count > SCAN_MAX_WORK) count = SCAN_MAX_WORK;
    int all = pat && pat->len == 1 && pat->p[0] == '*';  /* as KEYS: "*" alone matches even an empty key */
    buf body;
    buf_init(&body);
    long long n = 0, visited = 0;
    uint64_t next = 0, last = 0;
    const char *k;
    size_t kl;
    uint64_t h;
    store_iter *it = store_iter_new(x->f, cursor);
    if (!it) { buf_free(&body); reply_error(x->out, E_UNREADABLE); return; }
    while (store_iter_next(it, &k, &kl, &h)) {
        if (visited >= count && h != last) { next = h; break; }
        visited += 1 + (long long)((pat && !all ? pat->len * kl : 0) >> 12);
        last = h;
        if (type_none || (pat && !all && !glob_match(pat->p, pat->len, k, kl, 0))) continue;
        reply_bulk(&body, k, kl);
        n++;
    }
    store_iter_free(it);
    reply_array(x->out, 2);
    snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)next);
    reply_bulkstr(x->out, tmp);
    reply_array(x->out, n);
    buf_append(x->out, body.data, body.len);
    buf_free(&body);
}

/* RANDOMKEY */
static void randomkey_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc; (void)argv;
    uint64_t r = ((uint64_t)random() << 33) ^ ((uint64_t)random() << 11) ^ (uint64_t)random();
    const char *k;
    size_t kl;
    uint64_t h;
    for (int pass = 0; pass < 2; pass++) {
        store_iter *it = store_iter_new(x->f, pass ? 0 : r);
        if (!it) { reply_error(x->out, E_UNREADABLE); return; }
        if (store_iter_next(it, &k, &kl, &h)) {
            reply_bulk(x->out, k, kl);
            store_iter_free(it);
            return;
        }
        store_iter_free(it);
    }
    reply_nil(x->out);
}

/* ---- connection ---- */

/* PING [message] */
static void ping_command(cmdctx *x, int argc, rstr *argv) {
    if (argc > 2) { reply_error(x->out, "ERR wrong number of arguments for 'ping' command"); return; }
    if (argc == 2) reply_bulk(x->out, argv[1].p, argv[1].len); else reply_simple(x->out, "PONG");
}

/* ECHO message */
static void echo_command(cmdctx *x, int argc, rstr *argv) { (void)argc; reply_bulk(x->out, argv[1].p, argv[1].len); }

/* TIME */
static void time_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc; (void)argv;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char tmp[32];
    reply_array(x->out, 2);
    snprintf(tmp, sizeof(tmp), "%lld", (long long)tv.tv_sec);
    reply_bulkstr(x->out, tmp);
    snprintf(tmp, sizeof(tmp), "%lld", (long long)tv.tv_usec);
    reply_bulkstr(x->out, tmp);
}

/* ---- the table ---- */

#define W (CMD_WRITE)
#define R (CMD_READONLY)
#define F (CMD_FAST)
#define D (CMD_DENYOOM)
#define S "string"
#define K "generic"
#define C "connection"
#define V "server"

static const command client_subs[] = {
    {"id", 2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, client_command, NULL, C, "5.0.0", "Returns the unique client ID of the connection.", "O(1)", 0, 0, 0},
    {"setname", 3, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, client_command, NULL, C, "2.6.9", "Sets the connection name.", "O(1)", 0, 0, 0},
    {"getname", 2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, client_command, NULL, C, "2.6.9", "Returns the name of the connection.", "O(1)", 0, 0, 0},
    {"list", -2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, client_command, NULL, C, "2.4.0", "Lists open connections.", "O(N) where N is the number of client connections", 0, 0, 0},
    {"info", 2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, client_command, NULL, C, "6.2.0", "Returns information about the connection.", "O(1)", 0, 0, 0},
    {"kill", -3, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, client_command, NULL, C, "2.4.0", "Terminates open connections.", "O(N) where N is the number of client connections", 0, 0, 0},
    {"help", 2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, client_command, NULL, C, "5.0.0", "Returns helpful text about the different subcommands.", "O(1)", 0, 0, 0},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0},
};

static const command config_subs[] = {
    {"get", -3, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, config_command, NULL, V, "2.0.0", "Returns the effective values of configuration parameters.", "O(N) when N is the number of configuration parameters provided", 0, 0, 0},
    {"set", -4, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, config_command, NULL, V, "2.0.0", "Sets configuration parameters in-flight.", "O(N) when N is the number of configuration parameters provided", 0, 0, 0},
    {"resetstat", 2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, config_command, NULL, V, "2.0.0", "Resets the server's statistics.", "O(1)", 0, 0, 0},
    {"help", 2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, config_command, NULL, V, "5.0.0", "Returns helpful text about the different subcommands.", "O(1)", 0, 0, 0},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0},
};

static const command raft_node_subs[] = {
    {"add", 4, CMD_LEADER | CMD_ADMIN | CMD_NOSCRIPT | CMD_NOKEYS, 0, 0, 0, raft_node_add_command, NULL, "server", "0.5.0", "Adds a node to the cluster as a learner; it becomes a voter once it has caught up.", "O(1)", 0, 0, 0},
    {"remove", 3, CMD_LEADER | CMD_ADMIN | CMD_NOSCRIPT | CMD_NOKEYS, 0, 0, 0, raft_node_remove_command, NULL, "server", "0.5.0", "Removes a node (voter, learner or the leader) from the cluster.", "O(1)", 0, 0, 0},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0},
};

static const command command_subs[] = {
    {"count", 2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, command_command, NULL, V, "2.8.13", "Returns a count of commands.", "O(1)", 0, 0, 0},
    {"info", -2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, command_command, NULL, V, "2.8.13", "Returns information about one, multiple or all commands.", "O(N) where N is the number of commands to look up", 0, 0, 0},
    {"docs", -2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, command_command, NULL, V, "7.0.0", "Returns documentary information about one, multiple or all commands.", "O(N) where N is the number of commands to look up", 0, 0, 0},
    {"list", -2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, command_command, NULL, V, "7.0.0", "Returns a list of command names.", "O(N) where N is the total number of Redis commands", 0, 0, 0},
    {"help", 2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, command_command, NULL, V, "5.0.0", "Returns helpful text about the different subcommands.", "O(1)", 0, 0, 0},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0},
};

static command table[] = {
    {"get", 2, R | F, 1, 1, 1, get_command, NULL, S, "1.0.0", "Returns the string value of a key.", "O(1)", 0, 0, 0},
    {"set", -3, W | D, 1, 1, 1, set_command, NULL, S, "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "O(1)", 0, 0, 0},
    {"setnx", 3, W | D | F, 1, 1, 1, setnx_command, NULL, S, "1.0.0", "Set the string value of a key only when the key doesn't exist.", "O(1)", 0, 0, 0},
    {"getset", 3, W | D | F, 1, 1, 1, getset_command, NULL, S, "1.0.0", "Returns the previous string value of a key after setting it to a new value.", "O(1)", 0, 0, 0},
    {"getdel", 2, W | F, 1, 1, 1, getdel_command, NULL, S, "6.2.0", "Returns the string value of a key after deleting the key.", "O(1)", 0, 0, 0},
    {"mget", -2, R | F, 1, -1, 1, mget_command, NULL, S, "1.0.0", "Atomically returns the string values of one or more keys.", "O(N) where N is the number of keys to retrieve.", 0, 0, 0},
    {"mset", -3, W | D, 1, -1, 2, mset_command, NULL, S, "1.0.1", "Atomically creates or modifies the string values of one or more keys.", "O(N) where N is the number of keys to set.", 0, 0, 0},
    {"msetnx", -3, W | D, 1, -1, 2, msetnx_command, NULL, S, "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist.", "O(N) where N is the number of keys to set.", 0, 0, 0},
    {"del", -2, W, 1, -1, 1, del_command, NULL, K, "1.0.0", "Deletes one or more keys.", "O(N) where N is the number of keys that will be removed.", 0, 0, 0},
    {"unlink", -2, W | F, 1, -1, 1, del_command, NULL, K, "4.0.0", "Asynchronously deletes one or more keys.", "O(1) for each key removed regardless of its size.", 0, 0, 0},
    {"exists", -2, R | F, 1, -1, 1, exists_command, NULL, K, "1.0.0", "Determines whether one or more keys exist.", "O(N) where N is the number of keys to check.", 0, 0, 0},
    {"incr", 2, W | D | F, 1, 1, 1, incr_command, NULL, S, "1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "O(1)", 0, 0, 0},
    {"decr", 2, W | D | F, 1, 1, 1, decr_command, NULL, S, "1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "O(1)", 0, 0, 0},
    {"incrby", 3, W | D | F, 1, 1, 1, incrby_command, NULL, S, "1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "O(1)", 0, 0, 0},
    {"decrby", 3, W | D | F, 1, 1, 1, decrby_command, NULL, S, "1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", "O(1)", 0, 0, 0},
    {"incrbyfloat", 3, W | D | F, 1, 1, 1, incrbyfloat_command, NULL, S, "2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "O(1)", 0, 0, 0},
    {"append", 3, W | D | F, 1, 1, 1, append_command, NULL, S, "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist.", "O(1)", 0, 0, 0},
    {"strlen", 2, R | F, 1, 1, 1, strlen_command, NULL, S, "2.2.0", "Returns the length of a string value.", "O(1)", 0, 0, 0},
    {"getrange", 4, R, 1, 1, 1, getrange_command, NULL, S, "2.4.0", "Returns a substring of the string stored at a key.", "O(N) where N is the length of the returned string.", 0, 0, 0},
    {"substr", 4, R, 1, 1, 1, getrange_command, NULL, S, "1.0.0", "Returns a substring from a string value.", "O(N) where N is the length of the returned string.", 0, 0, 0},
    {"setrange", 4, W | D, 1, 1, 1, setrange_command, NULL, S, "2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", "O(1)", 0, 0, 0},
    {"type", 2, R | F, 1, 1, 1, type_command, NULL, K, "1.0.0", "Determines the type of value stored at a key.", "O(1)", 0, 0, 0},
    {"dbsize", 1, R | F | CMD_NOKEYS, 0, 0, 0, dbsize_command, NULL, V, "1.0.0", "Returns the number of keys in the database.", "O(1)", 0, 0, 0},
    {"keys", 2, R | CMD_NOKEYS | CMD_SLICED, 0, 0, 0, keys_command, NULL, K, "1.0.0", "Returns all key names that match a pattern.", "O(N) with N being the number of keys in the database", 0, 0, 0},
    {"scan", -2, R | CMD_NOKEYS, 0, 0, 0, scan_command, NULL, K, "2.8.0", "Iterates over the key names in the database.", "O(1) for every call. O(N) for a complete iteration.", 0, 0, 0},
    {"randomkey", 1, R | CMD_NOKEYS, 0, 0, 0, randomkey_command, NULL, K, "1.0.0", "Returns a random key name from the database.", "O(1)", 0, 0, 0},
    {"flushdb", -1, W | CMD_NOKEYS, 0, 0, 0, flushdb_command, NULL, V, "1.0.0", "Removes all keys from the current database.", "O(N) where N is the number of keys in the selected database", 0, 0, 0},
    {"flushall", -1, W | CMD_NOKEYS, 0, 0, 0, flushdb_command, NULL, V, "1.0.0", "Removes all keys from all databases.", "O(N) where N is the total number of keys in all databases", 0, 0, 0},
    {"ping", -1, F | CMD_STALE | CMD_NOKEYS, 0, 0, 0, ping_command, NULL, C, "1.0.0", "Returns the server's liveliness response.", "O(1)", 0, 0, 0},
    {"echo", 2, F | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, echo_command, NULL, C, "1.0.0", "Returns the given string.", "O(1)", 0, 0, 0},
    {"time", 1, F | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, time_command, NULL, V, "2.6.0", "Returns the server time.", "O(1)", 0, 0, 0},
    {"select", 2, F | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, select_command, NULL, C, "1.0.0", "Changes the selected database.", "O(1)", 0, 0, 0},
    {"quit", -1, F | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, quit_command, NULL, C, "1.0.0", "Closes the connection.", "O(1)", 0, 0, 0},
    {"hello", -1, F | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, hello_command, NULL, C, "6.0.0", "Handshakes with the Redis server.", "O(1)", 0, 0, 0},
    {"client", -2, CMD_NOKEYS, 0, 0, 0, NULL, client_subs, C, "2.4.0", "A container for client connection commands.", "Depends on subcommand.", 0, 0, 0},
    {"config", -2, CMD_NOKEYS, 0, 0, 0, NULL, config_subs, V, "2.0.0", "A container for server configuration commands.", "Depends on subcommand.", 0, 0, 0},
    {"command", -1, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, command_command, command_subs, V, "2.8.13", "Returns detailed information about all commands.", "O(N) where N is the total number of Redis commands", 0, 0, 0},
    {"raft.snapshot", 1, CMD_ADMIN | CMD_NOSCRIPT | CMD_NOKEYS, 0, 0, 0, raft_snapshot_command, NULL, V, "0.4.0", "Makes this node's state machine durable and compacts its Raft log behind it.", "O(1), plus one synced write", 0, 0, 0},
    {"raft.node", -2, CMD_ADMIN | CMD_NOSCRIPT | CMD_NOKEYS, 0, 0, 0, NULL, raft_node_subs, V, "0.5.0", "A container for cluster membership commands.", "Depends on subcommand.", 0, 0, 0},
    {"raft.transfer-leader", -1, CMD_LEADER | CMD_ADMIN | CMD_NOSCRIPT | CMD_NOKEYS, 0, 0, 0, raft_transfer_leader_command, NULL, V, "0.5.0", "Hands the leadership over to another voter (the most up-to-date one by default).", "O(1)", 0, 0, 0},
    {"raft.info", 1, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, raft_info_command, NULL, V, "0.5.0", "Returns this node's view of the Raft cluster: role, term, indexes and members.", "O(1)", 0, 0, 0},
    {"debug", -2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, debug_command, NULL, V, "1.0.0", "A container for debugging commands.", "Depends on subcommand.", 0, 0, 0},
    {"info", -1, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, info_command, NULL, V, "1.0.0", "Returns information and statistics about the server.", "O(1)", 0, 0, 0},
};
#define NCOMMANDS ((int)(sizeof(table) / sizeof(table[0])))

command *cmd_table(int *n) { *n = NCOMMANDS; return table; }

void cmd_lower(char *out, size_t cap, const char *s, size_t len) {
    size_t i;
    for (i = 0; i < len && i + 1 < cap; i++) out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = '\0';
}

/* Linear scan with a first-letter check: the table is small. */
command *cmd_lookup(const char *name, size_t len) {
    for (int i = 0; i < NCOMMANDS; i++)
        if (strlen(table[i].name) == len && strncasecmp(table[i].name, name, len) == 0) return &table[i];
    return NULL;
}

const command *cmd_lookup_sub(const command *cmd, const char *name, size_t len) {
    for (const command *s = cmd->subs; s && s->name; s++)
        if (strlen(s->name) == len && strncasecmp(s->name, name, len) == 0) return s;
    return NULL;
}

int cmd_arity_ok(const command *cmd, int argc) {
    return cmd->arity >= 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

void cmd_reply_arity(buf *out, const command *cmd, const command *parent) {
    if (parent) reply_errorf(out, "ERR wrong number of arguments for '%s|%s' command", parent->name, cmd->name);
    else reply_errorf(out, "ERR wrong number of arguments for '%s' command", cmd->name);
}

/* Redis quotes the name (up to 128 bytes) and the first arguments, up to
 * 128 bytes of them, and stops at a NUL as C strings do. */
void cmd_reply_unknown(buf *out, int argc, rstr *argv) {
    buf b;
    buf_init(&b);
    buf_printf(&b, "ERR unknown command '%.128s', with args beginning with: ", argv[0].p);
    size_t args = 0;
    for (int i = 1; i < argc && args < 128; i++) {
        size_t before = b.len;
        buf_printf(&b, "'%.*s' ", (int)(128 - args), argv[i].p);
        args += b.len - before;
    }
    buf_append(&b, "", 1);
    reply_error(out, b.data);
    buf_free(&b);
}

void cmd_reply_unknown_sub(buf *out, const command *parent, const rstr *sub) {
    char up[32];
    size_t i;
    for (i = 0; parent->name[i] && i + 1 < sizeof(up); i++) up[i] = (char)toupper((unsigned char)parent->name[i]);
    up[i] = '\0';
    reply_errorf(out, "ERR unknown subcommand '%.128s'. Try %s HELP.", sub->p, up);
}

int cmd_validate(const command *cmd, int argc, rstr *argv, buf *out) {
    if (!(cmd->flags & CMD_WRITE)) return 1;
    size_t before = out->len;
    cmdctx x = {NULL, out, NULL, 0, 0, 0};
    cmd->proc(&x, argc, argv);
    return out->len == before;
}

void cmd_apply(store *f, uint64_t time_ms, int argc, rstr *argv, buf *reply) {
    buf scratch;
    buf_init(&scratch);
    cmdctx x = {f, reply ? reply : &scratch, NULL, time_ms, 0, 0};
    command *cmd = cmd_lookup(argv[0].p, argv[0].len);
    if (cmd && (cmd->flags & CMD_WRITE) && cmd_arity_ok(cmd, argc)) cmd->proc(&x, argc, argv);
    else reply_error(x.out, "ERR not a write command");
    buf_free(&scratch);
}
