#include "server.h"
#include "auth.h"
#include "cmd.h"
#include "log.h"
#include "node.h"
#include "slot.h"
#include <math.h>

/* cmd.c's bound on strings a client may make (proto-max-bulk-len); cmd.h
 * does not declare it. */

static struct {
    config *cfg;
    struct ev_loop *loop;
    store *f;
    time_t start_time;
    ev_timer handover;      /* stopping: waits for another node to lead */
    double stop_requested;  /* when; 0: not stopping */
    int breaking;           /* the loop ends: too late to call it off */
    slot *stop_wait;        /* SHUTDOWN requests, by qnext */
} S;

void server_init(config *cfg, struct ev_loop *loop, store *f) {
    S.cfg = cfg;
    S.loop = loop;
    S.f = f;
    S.start_time = time(NULL);
}

const config *server_cfg(void) { return S.cfg; }

void server_apply_limits(const config *c) {
    log_level = c->loglevel;
    cmd_max_string = c->proto_max_bulk_len;
    auth_configure(c);
}

void server_set_cfg(const config *c) {
    *S.cfg = *c;
    server_apply_limits(S.cfg);
}

struct ev_loop *server_loop(void) { return S.loop; }
/* The read handle, or the store itself while the loop applies into it
 * (a full disk: applier_owned_store). */
store *server_store(void) {
    store *owned = node_owned_store();
    return owned ? owned : S.f;
}
time_t server_start_time(void) { return S.start_time; }
double server_now(void) { return (double)mono_ms() / 1000.0; }

static void handover_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    double waited = server_now() - S.stop_requested;
    uint64_t l = node_leader();
    int moved = l && l != node_id();
    if (!moved && waited < 2.0 * (double)S.cfg->election_timeout / 1000.0) return;
    if (moved) logmsg(LL_NOTICE, "Leadership handed over to node %llu", (unsigned long long)l);
    else logmsg(LL_WARNING, "Leadership hand-over did not complete; stopping anyway");
    ev_timer_stop(loop, w);
    S.breaking = 1;
    ev_break(loop, EVBREAK_ALL);
}

void server_stop(int now) {
    if (!now && !S.stop_requested && node_is_leader() && node_transfer(0)) {
        S.stop_requested = server_now();
        ev_timer_init(&S.handover, handover_cb, 0.01, 0.01);
        ev_timer_start(S.loop, &S.handover);
        return;
    }
    if (S.stop_requested) ev_timer_stop(S.loop, &S.handover);  /* a second request does not wait */
    S.breaking = 1;
    ev_break(S.loop, EVBREAK_ALL);
}

int server_stop_abort(void) {
    if (!S.stop_requested || S.breaking) return 0;
    ev_timer_stop(S.loop, &S.handover);
    S.stop_requested = 0;
    logmsg(LL_WARNING, "Shutdown manually aborted.");
    while (S.stop_wait) {
        slot *s = S.stop_wait;
        S.stop_wait = s->qnext;
        s->c->stop_wait = 0;  /* its later requests go on (dispatch_resume_held) */
        reply_error(&s->reply, "ERR Errors trying to SHUTDOWN. Check logs.");
        slot_done(s);
    }
    return 1;
}

void server_await_stop(client *c, buf *out) {
    slot *s = out == &c->out ? slot_new(c, SLOT_STOP) : c->stail;  /* stail: the one out belongs to */
    s->state = SLOT_STOP;
    s->deadline = INFINITY;  /* the process ends, or an abort answers it */
    c->stop_wait = 1;
    s->qnext = S.stop_wait;
    S.stop_wait = s;
}

void server_stop_detach(slot *s) { slot_unqueue(&S.stop_wait, s); }
