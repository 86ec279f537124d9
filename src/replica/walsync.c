#include "walsync.h"
#include "log.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct walsync {
    struct ev_loop *loop;
    wal *w;
    wal_state st;
    replica *rep;
    ev_async done;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const replica_write *job;  /* handed to the thread */
    buf rec;                   /* the thread's: the job's entries as log records */
    int running;               /* it is working on job */
    int finished, err;         /* it is done with job: outcome */
    int stop;
};

/* The steps in the order a crash may cut them short (the simulator knows
 * this order): hard state, log reset, append, compaction. */
static int do_write(walsync *s, const replica_write *j) {
    if (j->has_state) {
        s->st.term = j->term;
        s->st.vote = j->vote;
        if (wal_save_state(s->w, &s->st) < 0) return errno;
    }
    if (j->reset_next && wal_reset(s->w, j->reset_next) < 0) return errno;
    if (j->nents) {
        s->rec.len = s->rec.pos = 0;
        wal_encode(&s->rec, j->ents, j->nents);
        int k = wal_append(s->w, j->first, j->last, s->rec.data, s->rec.len);
        if (s->rec.cap > (8u << 20)) buf_free(&s->rec);  /* a large entry's room is not kept */
        if (k < 0) return errno;
    }
    if (j->compact_upto && wal_compact(s->w, j->compact_upto) < 0) return errno;
    return 0;
}

static void *sync_main(void *arg) {
    walsync *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->running && !s->stop) pthread_cond_wait(&s->cv, &s->mu);
        if (!s->running) break;
        const replica_write *j = s->job;
        pthread_mutex_unlock(&s->mu);
        int err = do_write(s, j);
        pthread_mutex_lock(&s->mu);
        s->running = 0;
        s->finished = 1;
        s->err = err;
        pthread_cond_broadcast(&s->cv);
        ev_async_send(s->loop, &s->done);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* A refusal for want of space that left the log unusable is a failure
 * like any other (wal.h): the replica must not retry it. */
static void report(walsync *s) {
    pthread_mutex_lock(&s->mu);
    int finished = s->finished, err = s->err;
    s->finished = 0;
    pthread_mutex_unlock(&s->mu);
    if (!finished) return;
    if ((err == ENOSPC || err == EDQUOT) && wal_broken(s->w)) {
        logmsg(LL_WARNING, "Writing the Raft log failed: %s, and the log cannot be trusted after it", strerror(err));
        err = EIO;
    }
    replica_write_done(s->rep, err);
}

static void done_cb(struct ev_loop *loop, ev_async *w, int revents) {
    (void)loop; (void)revents;
    report(w->data);
}

static void start(void *ctx, const replica_write *j) {
    walsync *s = ctx;
    pthread_mutex_lock(&s->mu);
    s->job = j;
    s->running = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

walsync *walsync_new(struct ev_loop *loop, wal *w, const wal_state *st) {
    walsync *s = xmalloc(sizeof(*s));
    memset(s, 0, sizeof(*s));
    s->loop = loop;
    s->w = w;
    s->st = *st;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    ev_async_init(&s->done, done_cb);
    s->done.data = s;
    ev_async_start(loop, &s->done);
    pthread_create(&s->thread, NULL, sync_main, s);
    return s;
}

/* On the loop, beside the sync thread's write (wal_read allows it). */
static int read_back(void *ctx, raft_entry *e, size_t n) {
    walsync *s = ctx;
    if (wal_read(s->w, e, n) == 0) return 0;
    logmsg(LL_WARNING, "Reading log entries %llu..%llu back from the log failed (%s): the follower gets an image",
           (unsigned long long)e[0].index, (unsigned long long)e[n - 1].index, strerror(errno));
    return -1;
}

replica_log_port walsync_port(walsync *s) {
    replica_log_port p = {s, start, read_back};
    return p;
}

void walsync_attach(walsync *s, replica *rep) { s->rep = rep; }

int walsync_wait(walsync *s) {
    pthread_mutex_lock(&s->mu);
    int was = s->running || s->finished;
    while (s->running) pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    report(s);
    return was;
}

void walsync_free(walsync *s) {
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    ev_async_stop(s->loop, &s->done);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    buf_free(&s->rec);
    free(s);
}
