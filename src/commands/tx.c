#include "tx.h"
#include "client.h"
#include "entry.h"
#include "handlers.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void push(tx *t, const char *p, size_t len) {
    if (t->nargs == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->args = xrealloc(t->args, sizeof(rstr) * (size_t)t->cap);
    }
    t->args[t->nargs].p = xstrndup(p, len);
    t->args[t->nargs].len = len;
    t->nargs++;
    t->bytes += len + RESP_ARG_OVERHEAD;
}

static void drop_from(tx *t, int from) {
    for (int i = from; i < t->nargs; i++) t->bytes -= t->args[i].len + RESP_ARG_OVERHEAD;
    if (from == 0) {  /* the array goes whole: a transaction of 100,000 commands in slices (resp_argv_free) */
        resp_argv_free(t->args, t->nargs, NULL);
        t->args = NULL;
        t->nargs = t->cap = 0;
        return;
    }
    for (int i = from; i < t->nargs; i++) free(t->args[i].p);
    t->nargs = from;
}

tx *tx_of(client *c) {
    if (!c->tx) {
        c->tx = xmalloc(sizeof(tx));
        memset(c->tx, 0, sizeof(tx));
    }
    return c->tx;
}

void tx_free(tx *t) {
    if (!t) return;
    drop_from(t, 0);
    buf_free(&t->watches);
    buf_free(&t->locals);
    free(t);
}

int tx_queue(tx *t, int argc, const rstr *argv) {
    size_t add = RESP_ARG_OVERHEAD + 24;
    for (int i = 0; i < argc; i++) add += argv[i].len + RESP_ARG_OVERHEAD;
    if (t->bytes + add > TX_MAX_BYTES) return 0;
    char n[24];
    push(t, n, (size_t)snprintf(n, sizeof(n), "%d", argc));
    for (int i = 0; i < argc; i++) push(t, argv[i].p, argv[i].len);
    t->ncmds++;
    return 1;
}

void tx_discard(tx *t) {
    drop_from(t, 0);
    t->bytes -= t->locals.len;
    buf_free(&t->locals);
    t->ncmds = 0;
    t->multi = t->dirty = 0;
}

/* The bytes the watches count for: their parts, and each part's overhead. */
static size_t watch_bytes(size_t len, int nwatch) { return len + (size_t)nwatch * 3 * (RESP_ARG_OVERHEAD - 4); }

void tx_unwatch(tx *t) {
    t->bytes -= watch_bytes(t->watches.len, t->nwatch);
    buf_free(&t->watches);
    t->nwatch = 0;
}

void tx_exec_args(tx *t, int *argc, rstr **argv) {
    static char nw[24], n[24];
    rstr *v = xmalloc(sizeof(rstr) * ((size_t)t->nargs + 3 * (size_t)t->nwatch + 4));
    int k = 0;
    v[k++] = (rstr){(char *)"EXEC", 4};
    v[k++] = (rstr){(char *)TX_TAG, strlen(TX_TAG)};
    v[k++] = (rstr){nw, (size_t)snprintf(nw, sizeof(nw), "%d", t->nwatch)};
    for (size_t at = 0; at + 4 <= t->watches.len; at += 4 + get_u32(t->watches.data + at))
        v[k++] = (rstr){t->watches.data + at + 4, get_u32(t->watches.data + at)};
    v[k++] = (rstr){n, (size_t)snprintf(n, sizeof(n), "%d", t->ncmds)};
    for (int i = 0; i < t->nargs; i++) v[k++] = t->args[i];
    *argc = k;
    *argv = v;
}

/* ---- WATCH ---- */

static void put_part(buf *out, const char *p, size_t len) {
    buf_put_u32(out, (uint32_t)len);
    buf_append(out, p, len);
}

void tx_watch_states(cmdctx *x, int argc, rstr *argv, buf *out) {
    char index[24];
    size_t il = (size_t)snprintf(index, sizeof(index), "%llu", (unsigned long long)store_applied(x->f));
    for (int i = 1; i < argc; i++) {
        sval v;
        char state[24];
        if (!store_get_head(x->f, argv[i].p, argv[i].len, &v)) snprintf(state, sizeof(state), "A");
        else if (key_expired(x, v.expire)) snprintf(state, sizeof(state), "S");
        else snprintf(state, sizeof(state), "L%llu", (unsigned long long)v.version);
        sval_free(&v);
        put_part(out, argv[i].p, argv[i].len);
        put_part(out, state, strlen(state));
        put_part(out, index, il);
    }
}

int tx_watch_add(client *c, const char *p, size_t len) {
    tx *t = tx_of(c);
    int parts = 0;
    for (size_t at = 0; len - at >= 4 && get_u32(p + at) <= len - at - 4; at += 4 + get_u32(p + at)) parts++;
    size_t add = watch_bytes(len, parts / 3);
    if (parts % 3 || t->bytes + add > TX_MAX_BYTES) return 0;  /* tx_watch_states writes whole triples */
    buf_append(&t->watches, p, len);  /* one copy: a million keys are not three million allocations */
    t->nwatch += parts / 3;
    t->bytes += add;
    return 1;
}

/* WATCH key [key ...]: a read, on the leader. With a client, the keys'
 * states go into its transaction; without (on the fetch thread, for a key
 * that may hold a large value) they are the reply, which the front end
 * hands to tx_watch_add. */
void watch_command(cmdctx *x, int argc, rstr *argv) {
    if (!x->c) {
        tx_watch_states(x, argc, argv, x->out);
        return;
    }
    buf states;
    buf_init(&states);
    tx_watch_states(x, argc, argv, &states);
    if (tx_watch_add(x->c, states.data, states.len)) reply_ok(x->out);
    else reply_error(x->out, TX_ERR_WATCHES);
    buf_free(&states);
}

/* MULTI and DISCARD: the front end answers them (net/multi.c). */
void tx_front_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    reply_errorf(x->out, "ERR %.*s is answered by the server, not run", (int)argv[0].len, argv[0].p);
}

/* UNWATCH, queued in a transaction: EXEC unwatches anyway. */
void unwatch_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc; (void)argv;
    reply_ok(x->out);
}

/* ---- EXEC's entry ---- */

/* A decimal count in [0, max], or -1. */
static long long count_arg(const rstr *a, long long max) {
    long long n;
    return str2ll(a->p, a->len, &n) && n >= 0 && n <= max ? n : -1;
}

/* Whether the watched key (its state at WATCH, at index at) was touched. */
static int touched(cmdctx *x, const rstr *key, const rstr *state, uint64_t at) {
    sval v;
    int present = store_get_head(x->f, key->p, key->len, &v);
    uint64_t version = present ? v.version : 0, expire = present ? v.expire : 0;
    sval_free(&v);
    if (state->len && state->p[0] == 'L') {
        long long was;
        if (!str2ll(state->p + 1, state->len - 1, &was)) return 1;
        return !present || version != (uint64_t)was || key_expired(x, expire);
    }
    if (present) return version > at;                          /* written since */
    return state->p[0] == 'A' && store_deleted(x->f, key->p, key->len) > at;  /* made and deleted since */
}

/* The entry's layout, checked before proposing (x->f NULL) and at apply. */
static int parse(cmdctx *x, int argc, rstr *argv, int *nwatch, int *first_cmd, int *ncmds) {
    int k = 2;
    long long nw = argc > k ? count_arg(&argv[k++], (argc - 3) / 3) : -1;
    if (nw < 0 || argc < k + 3 * nw + 1) goto bad;
    *nwatch = (int)nw;
    k += 3 * (int)nw;
    long long n = count_arg(&argv[k++], argc);
    if (n < 0) goto bad;
    *first_cmd = k;
    *ncmds = (int)n;
    for (long long i = 0; i < n; i++) {
        long long a = k < argc ? count_arg(&argv[k], argc - k - 1) : -1;
        if (a < 1) goto bad;
        k += 1 + (int)a;
    }
    if (k == argc) return 1;
bad:
    reply_error(x->out, "ERR malformed transaction");
    return 0;
}

int tx_in_entry(const command *cmd, const command *run) {
    if (!strcmp(cmd->name, "ping") || !strcmp(cmd->name, "echo") || !strcmp(cmd->name, "unwatch")) return 1;
    return ((cmd->flags | run->flags) & (CMD_WRITE | CMD_READONLY)) != 0;
}

/* One queued command, at apply: its reply goes to x->out. */
static void run_one(cmdctx *x, int argc, rstr *argv) {
    if (argc == 1 && arg_is(&argv[0], TX_LOCAL)) {
        buf_appendstr(x->out, TX_LOCAL_REPLY);
        return;
    }
    const command *cmd = cmd_lookup(argv[0].p, argv[0].len), *run = cmd, *sub;
    if (cmd && cmd->subs && argc >= 2 && (sub = cmd_lookup_sub(cmd, argv[1].p, argv[1].len))) run = sub;
    if (!cmd || !run->proc || !cmd_arity_ok(run, argc) || !tx_in_entry(cmd, run)) {
        reply_error(x->out, "ERR not a command a transaction runs");  /* the queue checked these */
        return;
    }
    run->proc(x, argc, argv);
}

/* EXEC @tx ...: the whole transaction, atomically. */
void exec_command(cmdctx *x, int argc, rstr *argv) {
    int nwatch, first, n;
    if (argc < 2 || !arg_is(&argv[1], TX_TAG)) {
        reply_error(x->out, "ERR EXEC without MULTI");
        return;
    }
    if (!parse(x, argc, argv, &nwatch, &first, &n) || !x->f) return;
    for (int i = 0; i < nwatch; i++) {
        const rstr *w = &argv[3 + 3 * i];
        long long at = count_arg(&w[2], LLONG_MAX);
        if (at < 0 || touched(x, &w[0], &w[1], (uint64_t)at)) {
            buf_appendstr(x->out, "*-1\r\n");
            return;
        }
    }
    reply_array(x->out, n);
    x->in_tx = 1;
    for (int i = 0, k = first; i < n; i++) {
        int a = (int)count_arg(&argv[k], argc);
        run_one(x, a, &argv[k + 1]);
        k += 1 + a;
    }
    x->in_tx = 0;
}
