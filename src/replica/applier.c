#include "applier.h"
#include "blob.h"
#include "kv.h"
#include "log.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A committed entry handed over, and its outcome. */
typedef struct item { uint64_t index, term; int type, removed; char *data; size_t len; } item;
typedef struct result { uint64_t index, term; buf reply; } result;

/* A batch ends after this many entries or bytes of them, so replies flow
 * while a follower catches up on thousands. */
#define BATCH_ENTRIES 1024
#define BATCH_BYTES (16u << 20)

struct applier {
    struct ev_loop *loop;
    store *f;
    replica *rep;
    buf *(*reply_for)(uint64_t index, uint64_t term);
    ev_async wake;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;      /* to the thread: something to do */
    pthread_cond_t progress;  /* from it: a batch ended, or it went idle */
    /* under mu */
    item *q;                  /* handed over, not taken: q[qhead..qlen) */
    size_t qhead, qlen, qcap;
    result *out;              /* applied, not yet reported to the loop */
    size_t nout, outcap;
    uint64_t visible, synced, sync_want, handed;
    uint64_t pending_bytes;   /* of the entries handed over and not yet applied */
    int err;                  /* the last write's failure (parked until recover) */
    buf written;              /* keys the batches reported wrote (store_take_written) */
    int busy, hold, stop;
    /* the loop's own */
    void (*on_written)(const char *keys, size_t len);
    char *conf;               /* configuration of the last CONFIG entry handed over */
    int reported;             /* err was told to the replica */
    int owned;                /* the thread is parked for want of space: the loop applies, into
                               * the store's batch in memory, and reads through the store */
};

static void lock(applier *a) { pthread_mutex_lock(&a->mu); }
static void unlock(applier *a) { pthread_mutex_unlock(&a->mu); }

static int runnable(const applier *a) {
    return !a->hold && !a->err && (a->qhead < a->qlen || a->sync_want > a->synced);
}

/* Takes the next batch off the queue (under mu). */
static size_t take(applier *a, item **batch, size_t *cap) {
    size_t n = 0, bytes = 0;
    while (a->qhead < a->qlen && n < BATCH_ENTRIES && bytes < BATCH_BYTES) {
        if (n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *batch = xrealloc(*batch, sizeof(item) * *cap);
        }
        bytes += a->q[a->qhead].len;
        (*batch)[n++] = a->q[a->qhead++];
    }
    if (a->qhead == a->qlen) a->qhead = a->qlen = 0;
    return n;
}

static void apply_one(applier *a, const item *it, buf *reply) {
    if (it->type == RAFT_ENTRY_CONFIG)
        kv_apply_conf(a->f, it->index, it->term, it->data, it->len, it->removed, reply);
    else
        kv_apply(a->f, it->index, it->term, it->data, it->len, reply);
}

/* Applies a batch outside mu, writes it, and reports it (under mu again). */
static void run_batch(applier *a, item *batch, size_t n, int sync) {
    unlock(a);
    result *res = n ? xmalloc(sizeof(result) * n) : NULL;
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        res[i].index = batch[i].index;
        res[i].term = batch[i].term;
        buf_init(&res[i].reply);
        apply_one(a, &batch[i], &res[i].reply);
        bytes += batch[i].len;
        blob_release(batch[i].data);
    }
    int rc = sync ? store_sync(a->f) : store_write_batch(a->f);
    uint64_t applied = store_applied(a->f);
    lock(a);
    store_take_written(a->f, &a->written);  /* only this thread writes the store's list */
    a->pending_bytes -= bytes < a->pending_bytes ? bytes : a->pending_bytes;
    if (a->nout + n > a->outcap) {
        a->outcap = (a->nout + n) * 2;
        a->out = xrealloc(a->out, sizeof(result) * a->outcap);
    }
    if (n) memcpy(a->out + a->nout, res, sizeof(result) * n);
    a->nout += n;
    free(res);
    if (rc == 0) {
        a->visible = applied;
        if (sync) a->synced = applied;
    } else {
        a->err = store_no_space(a->f) ? ENOSPC : EIO;
    }
}

static void *apply_main(void *arg) {
    applier *a = arg;
    item *batch = NULL;
    size_t cap = 0;
    lock(a);
    for (;;) {
        while (!runnable(a) && !a->stop) pthread_cond_wait(&a->work, &a->mu);
        if (!runnable(a)) break;  /* stopping, and nothing is left */
        size_t n = take(a, &batch, &cap);
        int sync = a->sync_want > a->synced;
        a->busy = 1;
        run_batch(a, batch, n, sync);
        a->busy = 0;
        pthread_cond_broadcast(&a->progress);
        ev_async_send(a->loop, &a->wake);
    }
    unlock(a);
    free(batch);
    return NULL;
}

/* ---- the loop's side ---- */

static void deliver(applier *a, result *res, size_t n) {
    for (size_t i = 0; i < n; i++) {
        buf *b = a->reply_for ? a->reply_for(res[i].index, res[i].term) : NULL;
        if (b) buf_append(b, res[i].reply.data, res[i].reply.len);
        buf_free(&res[i].reply);
    }
    free(res);
}

static void apply_here(applier *a, const item *it) {
    buf reply;
    buf_init(&reply);
    apply_one(a, it, &reply);
    buf *b = a->reply_for ? a->reply_for(it->index, it->term) : NULL;
    if (b) buf_append(b, reply.data, reply.len);
    buf_free(&reply);
    buf wk;
    buf_init(&wk);
    store_take_written(a->f, &wk);
    if (a->on_written && wk.len) a->on_written(wk.data, wk.len);
    buf_free(&wk);
    blob_release(it->data);
    lock(a);
    a->visible = it->index;
    unlock(a);
}

/* A full disk parked the thread: until there is space the loop applies,
 * into the batch the store keeps in memory, as it did before the thread:
 * first what was handed over, then each entry as it comes. */
static void take_over(applier *a) {
    lock(a);
    item *arr = a->q, *q = arr ? arr + a->qhead : NULL;
    size_t n = a->qlen - a->qhead;
    a->q = NULL;
    a->qhead = a->qlen = a->qcap = 0;
    a->pending_bytes = 0;
    a->owned = 1;
    a->visible = store_applied(a->f);  /* the batch that failed is applied, in memory */
    unlock(a);
    for (size_t i = 0; i < n; i++) apply_here(a, &q[i]);
    free(arr);
    store_write_batch(a->f);  /* fails at once while there is no space */
}

static void wake_cb(struct ev_loop *loop, ev_async *w, int revents) {
    (void)loop; (void)revents;
    applier *a = w->data;
    lock(a);
    result *res = a->out;
    size_t n = a->nout;
    a->out = NULL;
    a->nout = a->outcap = 0;
    int err = a->err;
    buf wk = a->written;
    buf_init(&a->written);
    unlock(a);
    deliver(a, res, n);
    if (a->on_written && wk.len) a->on_written(wk.data, wk.len);
    buf_free(&wk);
    if (!a->rep) return;
    if (err && !a->reported) {
        a->reported = 1;
        if (err == ENOSPC && !a->owned) take_over(a);
        replica_sm_failed(a->rep, err);
    }
    replica_sm_progress(a->rep);
}

static void sm_apply(void *ctx, const raft_entry *e, int removed, buf *reply) {
    (void)reply;  /* replies go out through reply_for, once applied */
    applier *a = ctx;
    item it = {e->index, e->term, e->type, removed, blob_retain(e->data), e->len};
    if (e->type == RAFT_ENTRY_CONFIG) {
        free(a->conf);
        a->conf = xstrndup(e->data, e->len);
    }
    if (a->owned) {
        apply_here(a, &it);
        return;
    }
    lock(a);
    if (a->qhead && a->qlen == a->qcap && a->qhead >= a->qcap / 2) {
        /* take() rewinds only a queue it empties: under a backlog that
         * never drains, reuse the slots taken instead of growing for ever */
        memmove(a->q, a->q + a->qhead, sizeof(item) * (a->qlen - a->qhead));
        a->qlen -= a->qhead;
        a->qhead = 0;
    }
    if (a->qlen == a->qcap) {
        a->qcap = a->qcap ? a->qcap * 2 : 256;
        a->q = xrealloc(a->q, sizeof(item) * a->qcap);
    }
    a->q[a->qlen++] = it;
    a->handed = e->index;
    a->pending_bytes += e->len;
    unlock(a);
}

static const char *sm_conf(void *ctx) { return ((applier *)ctx)->conf; }

static int sm_end_batch(void *ctx) {
    applier *a = ctx;
    if (a->owned) return 0;  /* the batch stays in memory until store_recover() */
    lock(a);
    pthread_cond_signal(&a->work);
    unlock(a);
    return 0;
}

static int sm_make_durable(void *ctx, uint64_t upto, int wait, uint64_t *durable) {
    applier *a = ctx;
    lock(a);
    if (a->synced < upto && !a->err) {
        if (upto > a->sync_want) a->sync_want = upto;
        pthread_cond_signal(&a->work);
        while (wait && a->synced < upto && !a->err) pthread_cond_wait(&a->progress, &a->mu);
    }
    *durable = a->synced;
    int rc = a->synced >= upto ? 0 : a->err;
    unlock(a);
    return rc;
}

static int sm_no_space(void *ctx) {
    applier *a = ctx;
    lock(a);
    int full = a->err == ENOSPC;
    unlock(a);
    return full;
}

/* The thread is parked (err set, so not runnable, and not busy once the
 * failure was reported): the store is the loop's to reopen. */
static int sm_recover(void *ctx) {
    applier *a = ctx;
    lock(a);
    int parked = a->err != 0 && !a->busy;
    unlock(a);
    if (!parked) return 0;
    int k = store_recover(a->f);
    if (k != 0) return k;
    lock(a);
    a->err = 0;
    a->visible = store_applied(a->f);
    pthread_cond_signal(&a->work);
    unlock(a);
    a->reported = 0;
    a->owned = 0;  /* the thread again: all that was handed over is applied */
    return 0;
}

void applier_on_written(applier *a, void (*cb)(const char *keys, size_t len)) { a->on_written = cb; }
void applier_track_written(applier *a, int on) { store_track_written(a->f, on); }

applier *applier_new(struct ev_loop *loop, store *f, buf *(*reply_for)(uint64_t index, uint64_t term)) {
    applier *a = xmalloc(sizeof(*a));
    memset(a, 0, sizeof(*a));
    a->loop = loop;
    a->f = f;
    a->reply_for = reply_for;
    a->visible = a->synced = a->handed = store_applied(f);
    a->conf = store_conf(f) ? xstrndup(store_conf(f), strlen(store_conf(f))) : NULL;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->work, NULL);
    pthread_cond_init(&a->progress, NULL);
    ev_async_init(&a->wake, wake_cb);
    a->wake.data = a;
    ev_async_start(loop, &a->wake);
    pthread_create(&a->thread, NULL, apply_main, a);
    return a;
}

static uint64_t sm_entry_time(void *ctx, const raft_entry *e) {
    (void)ctx;
    return e->type == RAFT_ENTRY_COMMAND ? kv_entry_time(e->data, e->len) : 0;
}

replica_sm_port applier_port(applier *a) {
    replica_sm_port p = {a, sm_apply, sm_conf, sm_end_batch, sm_make_durable, sm_no_space, sm_recover, sm_entry_time};
    return p;
}

void applier_attach(applier *a, replica *r) { a->rep = r; }

store *applier_owned_store(const applier *a) { return a->owned ? a->f : NULL; }

uint64_t applier_visible(const applier *a) {
    applier *m = (applier *)a;
    lock(m);
    uint64_t v = a->visible;
    unlock(m);
    return v;
}

uint64_t applier_backlog(const applier *a, uint64_t *bytes) {
    applier *m = (applier *)a;
    lock(m);
    uint64_t b = a->handed > a->visible ? a->handed - a->visible : 0;
    if (bytes) *bytes = a->pending_bytes;
    unlock(m);
    return b;
}

void applier_hold(applier *a) {
    lock(a);
    a->hold = 1;
    for (size_t i = a->qhead; i < a->qlen; i++) blob_release(a->q[i].data);
    a->qhead = a->qlen = 0;
    while (a->busy) pthread_cond_wait(&a->progress, &a->mu);
    a->pending_bytes = 0;
    unlock(a);
}

void applier_release(applier *a) {
    lock(a);
    a->hold = 0;
    a->err = 0;
    a->visible = a->synced = a->handed = store_applied(a->f);
    a->sync_want = 0;
    unlock(a);
    a->reported = 0;
    a->owned = 0;
    free(a->conf);
    a->conf = store_conf(a->f) ? xstrndup(store_conf(a->f), strlen(store_conf(a->f))) : NULL;
}

void applier_free(applier *a) {
    if (!a) return;
    lock(a);
    a->stop = 1;
    pthread_cond_signal(&a->work);
    unlock(a);
    pthread_join(a->thread, NULL);
    ev_async_stop(a->loop, &a->wake);
    for (size_t i = a->qhead; i < a->qlen; i++) blob_release(a->q[i].data);  /* left by a failed write */
    free(a->q);
    for (size_t i = 0; i < a->nout; i++) buf_free(&a->out[i].reply);  /* the clients are gone */
    free(a->out);
    if (store_sync(a->f) != 0) logmsg(LL_WARNING, "Final sync of the state machine failed");
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->work);
    pthread_cond_destroy(&a->progress);
    free(a->conf);
    buf_free(&a->written);
    free(a);
}
