/* The keyspace commands, which treat keys whatever their values: EXISTS,
 * TYPE, TOUCH, OBJECT, DEL/UNLINK, RENAME, RENAMENX, COPY, FLUSHDB/FLUSHALL,
 * and the walks over every key: KEYS, SCAN, RANDOMKEY. The long reads (KEYS; MGET and EXISTS of many keys)
 * are read_jobs, which the server runs a slice at a time. */
#include "handlers.h"
#include "glob.h"
#include "log.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_MAX_WORK 100000  /* keys one SCAN call visits at most (more with long patterns) */
/* A walk over every key while a full disk keeps applied changes out of
 * LevelDB (store_views_behind): refused rather than answered without
 * them. */
static const char E_UNREADABLE[] = "MISCONF Errors writing to the state machine: this command cannot be served until "
                                   "there is space on the disk";

/* EXISTS key [key ...] (the server runs a long one as a read_job) */
void exists_command(cmdctx *x, int argc, rstr *argv) { read_job_run(x, argc, argv); }

/* TYPE key */
void type_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    sval v;
    int live = key_head(x, &argv[1], &v);
    reply_simple(x->out, live ? type_name(v.type) : "none");
    sval_free(&v);
}

/* TOUCH key [key ...]: the live keys among them (raftkv keeps no access
 * time to update). */
void touch_command(cmdctx *x, int argc, rstr *argv) {
    long long n = 0;
    for (int i = 1; i < argc; i++) {
        sval v;
        n += key_head(x, &argv[i], &v);
        sval_free(&v);
    }
    reply_int(x->out, n);
}

/* Redis's encoding of a string: an integer it would keep as a long, a
 * short one embedded in its object, a longer one raw. */
static const char *string_encoding(const sval *v) {
    long long n;
    if (v->len <= 20 && str2ll(v->p, v->len, &n)) return "int";
    return v->len <= 44 ? "embstr" : "raw";
}

/* Redis's encoding of a collection, by what its metadata says (hashes.c). */
static const char *coll_encoding(const sval *v) {
    if (v->type == STORE_HASH) return hash_encoding(v);
    if (v->type == STORE_SET) return set_encoding(v);
    if (v->type == STORE_LIST) return list_encoding(v);
    if (v->type == STORE_ZSET) return zset_encoding(v);
    return "unknown";
}

static const char *const object_help[] = {
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
};

/* OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT key ; OBJECT HELP. As Redis
 * under its default policy (noeviction): FREQ is refused; IDLETIME from
 * the node's access times (cmd.h); REFCOUNT is Redis's shared-integer
 * answer for 0..9999, else 1. OBJECT itself marks no access. */
void object_command(cmdctx *x, int argc, rstr *argv) {
    if (arg_is(&argv[1], "help")) {
        REPLY_HELP(x->out, object_help);
        return;
    }
    (void)argc;
    sval v;  /* a string kept in chunks comes without its bytes: more than 44 of them, raw */
    if (!key_head(x, &argv[2], &v)) {
        reply_nil(x->out);
        sval_free(&v);
        return;
    }
    long long n;
    if (arg_is(&argv[1], "encoding")) reply_bulkstr(x->out, v.type == STORE_STRING ? string_encoding(&v) : coll_encoding(&v));
    else if (arg_is(&argv[1], "idletime")) reply_int(x->out, cmd_idle_seconds(&argv[2], (uint64_t)(mono_ms() / 1000)));
    else if (arg_is(&argv[1], "refcount"))
        reply_int(x->out, v.len <= 4 && str2ll(v.p, v.len, &n) && n >= 0 && n < 10000 ? 2147483647 : 1);
    else
        reply_error(x->out, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
                            "that when switching between policies at runtime LRU and LFU data will take some time "
                            "to adjust.");
    sval_free(&v);
}

/* RENAME key newkey ; RENAMENX likewise: the value moves with its expiry. */
static void rename_generic(cmdctx *x, rstr *argv, int nx) {
    if (!x->f) return;
    sval v, d;
    if (!key_head(x, &argv[1], &v)) {
        reply_error(x->out, "ERR no such key");
        sval_free(&v);
        return;
    }
    int same = argv[1].len == argv[2].len && !memcmp(argv[1].p, argv[2].p, argv[1].len);
    int taken = !same && nx && key_head(x, &argv[2], &d);
    if (taken) sval_free(&d);
    if (!same && !taken) store_move(x->f, argv[1].p, argv[1].len, argv[2].p, argv[2].len);
    sval_free(&v);
    if (nx) reply_int(x->out, !same && !taken);
    else reply_ok(x->out);
}
void rename_command(cmdctx *x, int argc, rstr *argv) { (void)argc; rename_generic(x, argv, 0); }
void renamenx_command(cmdctx *x, int argc, rstr *argv) { (void)argc; rename_generic(x, argv, 1); }

/* COPY source destination [DB destination-db] [REPLACE]: one database, as
 * on a Redis Cluster node. */
void copy_command(cmdctx *x, int argc, rstr *argv) {
    int replace = 0;
    long long db = 0;  /* the last DB named counts, as in Redis */
    for (int i = 3; i < argc; i++) {
        if (arg_is(&argv[i], "replace")) {
            replace = 1;
        } else if (arg_is(&argv[i], "db") && i + 1 < argc) {
            if (!arg_int(x, &argv[++i], &db)) return;
            if (db < 0 || db > 15) { reply_error(x->out, "ERR DB index is out of range"); return; }
        } else {
            reply_error(x->out, ERR_SYNTAX);
            return;
        }
    }
    if (db) { reply_error(x->out, "ERR Copying to another database is not allowed in cluster mode"); return; }
    if (argv[1].len == argv[2].len && !memcmp(argv[1].p, argv[2].p, argv[1].len)) {
        reply_error(x->out, "ERR source and destination objects are the same");
        return;
    }
    if (!x->f) return;
    sval v, d;
    int found = key_head(x, &argv[1], &v), taken = found && key_head(x, &argv[2], &d);
    if (taken) sval_free(&d);
    if (found && (!taken || replace)) store_copy(x->f, argv[1].p, argv[1].len, argv[2].p, argv[2].len);
    reply_int(x->out, found && (!taken || replace));
    sval_free(&v);
}

/* DEL key [key ...] ; UNLINK likewise */
void del_command(cmdctx *x, int argc, rstr *argv) {
    if (!x->f) return;
    long long n = 0;
    for (int i = 1; i < argc; i++) n += key_del(x, &argv[i]);
    reply_int(x->out, n);
}

/* FLUSHDB [ASYNC | SYNC] ; FLUSHALL likewise */
void flushdb_command(cmdctx *x, int argc, rstr *argv) {
    if (argc > 2 || (argc == 2 && !arg_is(&argv[1], "async") && !arg_is(&argv[1], "sync"))) {
        reply_error(x->out, ERR_SYNTAX);
        return;
    }
    if (!x->f) return;
    store_clear(x->f);
    reply_ok(x->out);
}

/* ---- long reads: KEYS, and MGET and EXISTS of many keys ---- */

/* Lookups of MGET and EXISTS below this many keys run whole: a slice is
 * worth its view only for more. */
#define READ_JOB_MIN_KEYS 1024

enum { JOB_KEYS, JOB_MGET, JOB_EXISTS };

struct read_job {
    int kind;
    store *f;            /* for store_is_large */
    int off_loop;        /* runs on the fetch thread: large values are no reason to stop */
    store_view *v;       /* the point in time the whole read sees */
    cmdctx x;            /* its time, for expiry (and the store without a view) */
    rstr pat;            /* KEYS */
    glob_pat g;          /* pat, prepared */
    int all;
    int argc, next;      /* MGET, EXISTS: argv[next..argc) are left */
    const rstr *argv;
    buf body;
    long long n;
    unsigned long long until;  /* this step's end (mono_ms; 0: none) */
    unsigned ticks;
};

/* A step also ends after READ_STEP_MS, whatever its budget: a lookup
 * costs more than its units when LevelDB must pass over many deletions
 * (after a DEL of a million keys), and the loop must not stall. */
#define READ_STEP_MS 10

static int out_of_time(read_job *j) { return j->until && (++j->ticks & 63) == 0 && mono_ms() >= j->until; }

/* direct: MGET and EXISTS look up through the store, not a view (inside
 * an apply, where a view would miss the entry's own writes, or through a
 * read handle already pinned at its point in time). */
static read_job *job_new(store *f, uint64_t time_ms, int kind, int argc, const rstr *argv, int direct) {
    uint64_t index, term, keys;
    read_job *j = xmalloc(sizeof(*j));
    memset(j, 0, sizeof(*j));
    j->kind = kind;
    j->f = f;
    j->x.f = f;
    j->x.time_ms = time_ms;
    /* no view while one would miss applied changes: lookups go through the store */
    j->v = store_views_behind(f) || (direct && kind != JOB_KEYS) ? NULL : store_view_new(f, &index, &term, &keys);
    j->argc = argc;
    j->argv = argv;
    j->next = 1;
    if (kind == JOB_KEYS) {
        j->pat.p = xstrndup(argv[1].p, argv[1].len);
        j->pat.len = argv[1].len;
        glob_prepare(&j->g, j->pat.p, j->pat.len, 0);
        j->all = argv[1].len == 1 && argv[1].p[0] == '*';
    }
    return j;
}

read_job *read_job_new(store *f, uint64_t time_ms, int argc, const rstr *argv) {
    if (store_views_behind(f)) return NULL;  /* runs whole, through the store */
    if (arg_is(&argv[0], "keys")) return job_new(f, time_ms, JOB_KEYS, argc, argv, 0);
    if (argc - 1 < READ_JOB_MIN_KEYS) return NULL;
    if (arg_is(&argv[0], "mget")) return job_new(f, time_ms, JOB_MGET, argc, argv, 0);
    if (arg_is(&argv[0], "exists")) return job_new(f, time_ms, JOB_EXISTS, argc, argv, 0);
    return NULL;
}

/* A key costs one unit, and more when matching it against a long pattern
 * could take long (the matcher is O(pattern x key) at worst). */
static int keys_step(read_job *j, long budget, buf *out) {
    const char *k, *val;
    size_t kl, vl;
    sval v;
    while (budget > 0 && !out_of_time(j)) {
        if (!store_view_next(j->v, &k, &kl, &val, &vl)) {
            reply_array(out, j->n);
            buf_append(out, j->body.data, j->body.len);
            return 1;
        }
        budget -= 1 + (long)((j->all ? 0 : j->pat.len * kl) >> 12);
        if (!store_value_decode(val, vl, &v) || key_expired(&j->x, v.expire)) continue;
        if (j->all || glob_match_prepared(&j->g, k, kl)) { reply_bulk(&j->body, k, kl); j->n++; }
    }
    return 0;
}

/* A lookup costs what visiting a few keys does. */
static int lookups_step(read_job *j, long budget, buf *out) {
    for (; j->next < j->argc && budget > 0 && !out_of_time(j); j->next++, budget -= 4) {
        if (!j->off_loop && store_is_large(j->f, j->argv[j->next].p, j->argv[j->next].len)) return 2;
        const rstr *k = &j->argv[j->next];
        sval v;
        int head = j->kind == JOB_EXISTS, found = j->v ? (head ? store_view_get_head : store_view_get)(j->v, k->p, k->len, &v)
                                                       : (head ? store_get_head : store_get)(j->f, k->p, k->len, &v);
        found = found && !key_expired(&j->x, v.expire);
        if (j->kind == JOB_EXISTS) j->n += found;
        else if (found && v.type == STORE_STRING) reply_bulk(&j->body, v.p, v.len);  /* MGET: nil for another type */
        else reply_nil(&j->body);
        sval_free(&v);
    }
    if (j->next < j->argc) return 0;
    if (j->kind == JOB_EXISTS) {
        reply_int(out, j->n);
        return 1;
    }
    reply_array(out, j->argc - 1);
    buf_append(out, j->body.data, j->body.len);
    return 1;
}

int read_job_step(read_job *j, long budget, buf *out) {
    j->until = budget == LONG_MAX ? 0 : mono_ms() + READ_STEP_MS;
    return j->kind == JOB_KEYS ? keys_step(j, budget, out) : lookups_step(j, budget, out);
}

size_t read_job_bytes(const read_job *j) { return j->body.len; }
void read_job_off_loop(read_job *j) { j->off_loop = 1; }

void read_job_free(read_job *j) {
    if (!j) return;
    store_view_free(j->v);
    free(j->pat.p);
    buf_free(&j->body);
    free(j);
}

/* KEYS inside an apply (a transaction's): through the store's iterator,
 * which sees the open batch, so the commands before it in the
 * transaction count. */
static void keys_applying(cmdctx *x, const rstr *pat) {
    int all = pat->len == 1 && pat->p[0] == '*';
    glob_pat g;
    glob_prepare(&g, pat->p, pat->len, 0);
    store_iter *it = store_iter_new(x->f, 0);
    buf body;
    buf_init(&body);
    long long n = 0;
    const char *k;
    size_t kl;
    uint64_t h, expire;
    while (store_iter_next(it, &k, &kl, &h, &expire)) {
        if (key_expired(x, expire) || !(all || glob_match_prepared(&g, k, kl))) continue;
        reply_bulk(&body, k, kl);
        n++;
    }
    store_iter_free(it);
    reply_array(x->out, n);
    buf_append(x->out, body.data, body.len);
    buf_free(&body);
}

/* A read_job's command all at once (the server runs it in slices). */
void read_job_run(cmdctx *x, int argc, rstr *argv) {
    if (arg_is(&argv[0], "keys") && !x->c) {
        keys_applying(x, &argv[1]);
        return;
    }
    if (arg_is(&argv[0], "keys") && store_views_behind(x->f)) {
        reply_error(x->out, E_UNREADABLE);
        return;
    }
    int kind = arg_is(&argv[0], "keys") ? JOB_KEYS : arg_is(&argv[0], "mget") ? JOB_MGET : JOB_EXISTS;
    read_job *j = job_new(x->f, x->time_ms, kind, argc, argv, x->c == NULL);
    j->off_loop = 1;  /* whole, wherever it runs */
    read_job_step(j, LONG_MAX, x->out);
    read_job_free(j);
}

/* KEYS pattern */
void keys_command(cmdctx *x, int argc, rstr *argv) { read_job_run(x, argc, argv); }

typedef struct scan_args {
    uint64_t cursor;
    long long count;
    const rstr *pat;  /* NULL: no MATCH */
    int type;         /* TYPE: only keys of this type (-1: any; 5: a type no key has) */
} scan_args;

/* The cursor as Redis reads it: strtoul over the C string, so "" is 0,
 * "-1" wraps, and only a leading space, trailing junk or a value past 64
 * bits is invalid. (A copy: in an entry's apply arguments are not
 * NUL-terminated.) */
int scan_cursor_arg(cmdctx *x, const rstr *arg, uint64_t *cursor) {
    char *s = xstrndup(arg->p, arg->len), *end;
    errno = 0;
    *cursor = strtoull(s, &end, 10);
    int ok = !isspace((unsigned char)s[0]) && !*end && errno != ERANGE;
    free(s);
    if (ok) return 1;
    reply_error(x->out, "ERR invalid cursor");
    return 0;
}

/* 0, with the error answered, when an argument is not valid. */
static int scan_parse(cmdctx *x, int argc, rstr *argv, scan_args *a) {
    a->count = 10;
    a->pat = NULL;
    a->type = -1;
    if (!scan_cursor_arg(x, &argv[1], &a->cursor)) return 0;
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc) { reply_error(x->out, ERR_SYNTAX); return 0; }
        if (arg_is(&argv[i], "count")) {
            if (!arg_ll(x, &argv[i + 1], &a->count)) return 0;
            if (a->count < 1) { reply_error(x->out, ERR_SYNTAX); return 0; }
        } else if (arg_is(&argv[i], "match")) {
            a->pat = &argv[i + 1];
        } else if (arg_is(&argv[i], "type")) {
            for (a->type = 0; a->type <= STORE_ZSET && !arg_is(&argv[i + 1], type_name(a->type)); a->type++) {}
        } else {
            reply_error(x->out, ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

/* Appends the matching keys from the cursor on to body, counting them in
 * *n; the next cursor (0: the end). Visits whole hash groups, so a cursor
 * never splits keys of one hash. COUNT is a hint: one call does a bounded
 * amount of work whatever it asks (the loop must not stall), and the
 * cursor goes on from there. */
static uint64_t scan_walk(const cmdctx *x, store_iter *it, const scan_args *a, buf *body, long long *n) {
    long long count = a->count > SCAN_MAX_WORK ? SCAN_MAX_WORK : a->count, visited = 0;
    const rstr *pat = a->pat;
    int all = pat && pat->len == 1 && pat->p[0] == '*';  /* as KEYS: "*" alone matches even an empty key */
    glob_pat g;
    if (pat) glob_prepare(&g, pat->p, pat->len, 0);
    uint64_t last = 0, h, expire;
    const char *k;
    size_t kl;
    while (store_iter_next(it, &k, &kl, &h, &expire)) {
        if (visited >= count && h != last) return h;
        visited += 1 + (long long)((pat && !all ? pat->len * kl : 0) >> 12);
        last = h;
        if ((a->type >= 0 && store_iter_type(it) != a->type) || key_expired(x, expire) || (pat && !all && !glob_match_prepared(&g, k, kl))) continue;
        reply_bulk(body, k, kl);
        (*n)++;
    }
    return 0;
}

/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
void scan_command(cmdctx *x, int argc, rstr *argv) {
    scan_args a;
    if (!scan_parse(x, argc, argv, &a)) return;
    if (x->c && store_views_behind(x->f)) { reply_error(x->out, E_UNREADABLE); return; }  /* apply: merged */
    store_iter *it = store_iter_new(x->f, a.cursor);
    buf body;
    buf_init(&body);
    long long n = 0;
    uint64_t next = scan_walk(x, it, &a, &body, &n);
    store_iter_free(it);
    reply_scan(x->out, next, &body, n);
    buf_free(&body);
}

void reply_scan(buf *out, uint64_t next, const buf *body, long long n) {
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)next);
    reply_array(out, 2);
    reply_bulkstr(out, tmp);
    reply_array(out, n);
    buf_append(out, body->data, body->len);
}

/* Keys RANDOMKEY passes over at most looking for a live one, as Redis
 * gives up after 100 tries when (nearly) every key has expired. */
#define RANDOMKEY_TRIES 100

/* RANDOMKEY: the first live key from a random hash on, around once. */
void randomkey_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc; (void)argv;
    uint64_t r = ((uint64_t)random() << 33) ^ ((uint64_t)random() << 11) ^ (uint64_t)random(), h, expire;
    const char *k;
    size_t kl;
    if (x->c && store_views_behind(x->f)) { reply_error(x->out, E_UNREADABLE); return; }
    int tries = 0;
    for (int pass = 0; pass < 2 && tries < RANDOMKEY_TRIES; pass++) {
        store_iter *it = store_iter_new(x->f, pass ? 0 : r);
        while (tries < RANDOMKEY_TRIES && store_iter_next(it, &k, &kl, &h, &expire) && (pass == 0 || h < r)) {
            tries++;
            if (key_expired(x, expire)) continue;
            reply_bulk(x->out, k, kl);
            store_iter_free(it);
            return;
        }
        store_iter_free(it);
    }
    reply_nil(x->out);
}
