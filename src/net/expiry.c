#include "expiry.h"
#include "entry.h"
#include "node.h"
#include "server.h"
#include "store.h"
#include <stdlib.h>
#include <string.h>

static struct {
    ev_timer timer;
    uint64_t inflight;  /* the index of the batch proposed last (0: none) */
    uint64_t tick;      /* the index of the last time_tick() entry (0: none) */
    int more;           /* the last batch was full: look again soon */
    rstr keys[EXPIRY_BATCH];
    int n;
    buf entry;
} E;

static void collect(void *arg, const char *key, size_t klen) {
    (void)arg;
    E.keys[E.n].p = xstrndup(key, klen);
    E.keys[E.n].len = klen;
    E.n++;
}

static void drop_keys(void) {
    for (int i = 0; i < E.n; i++) free(E.keys[i].p);
    E.n = 0;
}

/* Keeps the committed time within half the margin of cluster time, so
 * that reads are served at the time they are asked (node_read_time), with
 * an entry carrying just the time when no other entry did. Needed only
 * while some key has an expiry: no other answer depends on the time. */
static void time_tick(uint64_t now) {
    if (E.tick && node_applied() < E.tick) return;
    E.tick = 0;
    if (now < node_committed_time() + TIME_MARGIN_MS / 2) return;
    E.entry.len = E.entry.pos = 0;
    entry_encode(&E.entry, ENTRY_NOOP, now, 0, NULL);
    E.tick = node_propose(E.entry.data, E.entry.len);
}

/* One look; 1 while more keys may be waiting (the last batch was full):
 * look again soon, as soon as it has applied. */
static int expire_some(void) {
    if (!node_is_leader() || !node_accepting()) {
        E.inflight = E.tick = 0;
        return E.more = 0;
    }
    store *f = server_store();
    if (!store_volatile(f) || store_views_behind(f)) return E.more = 0;
    uint64_t now = node_time();
    time_tick(now);
    if (E.inflight && node_applied() < E.inflight) return E.more;  /* the last batch first */
    E.inflight = 0;
    store_expired(f, now, EXPIRY_BATCH, collect, NULL);
    if (!E.n) return E.more = 0;
    E.more = E.n == EXPIRY_BATCH;
    E.entry.len = E.entry.pos = 0;
    entry_encode(&E.entry, ENTRY_EXPIRE, now, E.n, E.keys);
    E.inflight = node_propose(E.entry.data, E.entry.len);
    drop_keys();
    return E.more;
}

static void tick(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    w->repeat = expire_some() ? EXPIRY_PERIOD / 10 : EXPIRY_PERIOD;
    ev_timer_again(loop, w);
}

void expiry_init(struct ev_loop *loop) {
    ev_init(&E.timer, tick);
    E.timer.repeat = EXPIRY_PERIOD;
    ev_timer_again(loop, &E.timer);
}

void expiry_free(void) {
    ev_timer_stop(server_loop(), &E.timer);
    buf_free(&E.entry);
}
