#include "slot.h"
#include "blocking.h"
#include "forward.h"
#include "multi.h"
#include "node.h"
#include "reads.h"
#include "server.h"
#include "writes.h"
#include <stdlib.h>
#include <string.h>

slot *slot_new(client *c, int state) {
    slot *s = xmalloc(sizeof(*s));
    memset(s, 0, sizeof(*s));
    s->c = c;
    s->state = state;
    s->deadline = server_now() + (double)server_cfg()->cluster_request_timeout / 1000.0;
    if (c->stail) c->stail->next = s; else c->shead = s;
    c->stail = s;
    return s;
}

/* A second for every 8 MB (a 512 MB value: about a minute). */
void slot_allow_bytes(slot *s, uint64_t bytes) { s->deadline += (double)bytes / (8 << 20); }

static void slot_free(slot *s) {
    blocking_gone(s);
    resp_argv_free(s->argv, s->argc, &s->backing);
    buf_free(&s->reply);
    if (s->locals) buf_free(s->locals);
    free(s->locals);
    free(s);
}

buf *slot_reply_target(client *c) {
    if (!c->shead && !c->proxy) return &c->out;
    return &slot_new(c, SLOT_DONE)->reply;
}

void slot_done(slot *s) {
    s->state = SLOT_DONE;
    if (s->c) client_queue_output(s->c);
}

void slot_reply_end(client *c, buf *out) {
    if (out != &c->out) slot_done(c->stail);
}

void slot_unqueue(slot **queue, slot *s) {
    for (slot **p = queue; *p; p = &(*p)->qnext)
        if (*p == s) { *p = s->qnext; return; }
}

/* Takes a waiting slot out of the queue that would answer it. */
static void slot_detach(slot *s) {
    switch (s->state) {
    case SLOT_APPLY: case SLOT_TRANSFER: writes_detach(s); break;
    case SLOT_READ: case SLOT_SLICED: case SLOT_FETCH: reads_detach(s); break;
    case SLOT_FWD: forward_detach(s); break;
    case SLOT_STOP: server_stop_detach(s); break;
    case SLOT_BLOCKED: blocking_detach(s); break;
    }
}

void slot_fail(slot *s, const char *err) {
    slot_detach(s);
    s->reply.len = s->reply.pos = 0;
    reply_error(&s->reply, err);
    slot_done(s);
}

int slot_deliver(client *c) {
    while (c->shead && c->shead->state == SLOT_DONE) {
        slot *s = c->shead;
        c->shead = s->next;
        if (!c->shead) c->stail = NULL;
        int alive = 1;
        if (s->locals) multi_splice(c, &s->reply, s->locals);
        if (c->proxy) {
            alive = forward_proxy_reply(c, &s->reply);
        } else if (!buf_unread(&c->out) && buf_unread(&s->reply) > (64u << 10)) {
            buf t = c->out;  /* a large reply to an idle client: handed over, not copied */
            c->out = s->reply;
            s->reply = t;
        } else {
            buf_append(&c->out, s->reply.data + s->reply.pos, buf_unread(&s->reply));
        }
        slot_free(s);  /* no longer the client's: freed here either way */
        if (!alive) return 0;  /* c is not read: it may be gone */
    }
    return 1;
}

/* Every expired slot, not just the oldest: a long pipeline must not be
 * answered one timer tick per command. Deadlines grow along the list. */
/* Committed, or confirmed: only this node's apply is awaited, which comes
 * however long a large entry takes (applier.h), so the outcome is known.
 * (Not on a full disk: the applier waits for space then.) */
static int only_apply_awaited(const slot *s) {
    if (s->state == SLOT_FETCH || s->state == SLOT_SLICED) return 1;  /* confirmed and running: its reply comes */
    if (node_disk_full()) return 0;
    if (s->state == SLOT_APPLY) return s->index <= node_commit_index() && s->term == node_term();
    /* need: the client's last write may be an entry truncated away (its
     * leader lost the term), which this log may never reach again */
    if (s->state == SLOT_READ && s->time_ms && !s->remote) return s->need <= node_commit_index();  /* a follower's, given its index */
    return s->state == SLOT_READ && s->round && s->round <= node_confirmed_round() &&
           s->need <= node_commit_index();
}

void slot_expire(client *c, double now) {
    for (slot *s = c->shead; s; s = s->next) {
        if (s->state == SLOT_DONE) continue;
        if (s->deadline > now) return;  /* before the costlier check: most slots stop here */
        if (s->state == SLOT_BLOCKED) { blocking_timeout(s); continue; }  /* queued: its own time is up */
        if (only_apply_awaited(s)) continue;
        if (s->state == SLOT_FWD) forward_end(c);
        else slot_fail(s, s->state == SLOT_APPLY ? ERR_UNKNOWN : ERR_NO_LEADER);
    }
}

void slot_free_all(client *c) {
    while (c->shead) {
        slot *s = c->shead;
        c->shead = s->next;
        if (s->state != SLOT_DONE) slot_detach(s);
        slot_free(s);
    }
}
