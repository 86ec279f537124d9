#include "writes.h"
#include "blocking.h"
#include "entry.h"
#include "node.h"
#include "server.h"
#include <stdlib.h>

/* The apply queue: proposals waiting for their entry, by log index. A
 * ring addressed by sequence number so a slot can leave it in O(1). */
typedef struct waiter { uint64_t index, term; slot *s; int ok; } waiter;
/* early: the first waiter writes_answer_committed() has not looked at */
static struct { waiter *v; uint64_t head, tail, cap, early; } aq;
/* RAFT.TRANSFER-LEADER requests waiting for the hand-over. */
static slot *transfer_wait;

static waiter *aq_at(uint64_t seq) { return &aq.v[seq % aq.cap]; }

static void aq_grow(void) {
    uint64_t ncap = aq.cap ? aq.cap * 2 : 1024;
    waiter *nv = xmalloc(sizeof(waiter) * ncap);
    for (uint64_t q = aq.head; q < aq.tail; q++) nv[q % ncap] = *aq_at(q);
    free(aq.v);
    aq.v = nv;
    aq.cap = ncap;
}

/* The waiter leaves the queue unanswered: whether its entry applied is
 * unknown. */
static void aq_unknown(waiter *w) {
    if (w->s) { reply_error(&w->s->reply, ERR_UNKNOWN); slot_done(w->s); }
}

static void aq_push(slot *s) {
    /* A new index at or below older waiters means those entries were
     * truncated from our log. That does not prove them lost: another node
     * may still hold one and, elected later, commit it (5 nodes). Only a
     * different entry applied at the index (writes_reply_for) proves it. */
    while (aq.tail > aq.head && aq_at(aq.tail - 1)->index >= s->index) aq_unknown(aq_at(--aq.tail));
    if (aq.tail - aq.head == aq.cap) aq_grow();
    waiter *w = aq_at(aq.tail);
    w->index = s->index;
    w->term = s->term;
    w->s = s;
    w->ok = 0;
    s->aseq = aq.tail++;
}

buf *writes_reply_for(uint64_t index, uint64_t term) {
    /* Waiters below index were skipped: a snapshot image installed over
     * them, which may well hold their effect (a new leader committed them),
     * so their outcome is unknown, never "not applied" (found by the
     * nemesis harness: a leader that lost its quorum, then took an image). */
    while (aq.tail > aq.head && aq_at(aq.head)->index < index) aq_unknown(aq_at(aq.head++));
    if (aq.tail == aq.head || aq_at(aq.head)->index != index) return NULL;
    waiter *w = aq_at(aq.head++);
    slot *s = w->s;
    if (!s) return NULL;
    if (w->term == term && s->blocking) {  /* popped, or blocks: blocking_serve() looks */
        blocking_applied(s);
        return &s->reply;
    }
    slot_done(s);
    if (w->term == term) return &s->reply;
    reply_error(&s->reply, ERR_NOT_APPLIED);
    return NULL;
}

static slot *await_index(client *c, uint64_t index) {
    slot *s = slot_new(c, SLOT_APPLY);
    s->write = 1;
    s->index = index;
    s->term = node_term();
    aq_push(s);
    return s;
}

void writes_await_index(client *c, uint64_t index) { await_index(c, index); }

int writes_repropose(slot *s, int argc, rstr *argv) {
    size_t len;
    char *entry = entry_blob(ENTRY_COMMAND, node_time(), argc, argv, &len);
    uint64_t index = node_propose_blob(entry, len);
    if (!index) return 0;
    s->state = SLOT_APPLY;
    s->index = index;
    s->term = node_term();
    s->deadline = server_now() + (double)server_cfg()->cluster_request_timeout / 1000.0;
    slot_allow_bytes(s, len);
    aq_push(s);
    if (s->c) s->c->last_write = s->index;
    return 1;
}

slot *writes_propose(client *c, int argc, rstr *argv, int ok) {
    size_t len;
    char *entry = entry_blob(ENTRY_COMMAND, node_time(), argc, argv, &len);
    slot *s = await_index(c, node_propose_blob(entry, len));
    aq_at(s->aseq)->ok = ok;
    slot_allow_bytes(s, len);
    c->last_write = s->index;
    return s;
}

/* Past this much committed and not yet applied, the waiters wait for
 * their apply: the replies are then what holds clients back from
 * writing faster than the applier goes (else the apply could lag by
 * seconds, reads behind it, and the log could not be compacted). */
#define EARLY_MAX_UNAPPLIED (256u << 10)

void writes_answer_committed(void) {
    if (aq.early < aq.head || aq.early > aq.tail) aq.early = aq.head;
    if (!node_is_leader()) {  /* what this node proposed is answered by its apply, or not at all */
        aq.early = aq.tail;
        return;
    }
    if (aq.early == aq.tail || node_unapplied_bytes() > EARLY_MAX_UNAPPLIED) return;
    uint64_t commit = node_commit_index(), term = node_term();
    for (; aq.early < aq.tail && aq_at(aq.early)->index <= commit; aq.early++) {
        waiter *w = aq_at(aq.early);
        if (!w->s || !w->ok || w->term != term) continue;  /* a leader never loses an entry of its own term */
        reply_ok(&w->s->reply);
        if (w->s->c) w->s->c->acked_write = w->index;
        slot_done(w->s);
        w->s = NULL;  /* the apply's reply finds nobody waiting */
    }
}

void writes_await_transfer(client *c) {
    slot *s = slot_new(c, SLOT_TRANSFER);
    s->qnext = transfer_wait;
    transfer_wait = s;
}

void writes_serve_transfers(void) {
    int st = transfer_wait ? node_transfer_state() : 0;
    while (st && transfer_wait) {
        slot *s = transfer_wait;
        transfer_wait = s->qnext;
        if (st > 0) reply_ok(&s->reply);
        else reply_error(&s->reply, "ERR leadership transfer did not complete: the target did not catch up in time");
        slot_done(s);
    }
}

void writes_detach(slot *s) {
    if (s->state == SLOT_APPLY) aq_at(s->aseq)->s = NULL;
    if (s->state == SLOT_TRANSFER) slot_unqueue(&transfer_wait, s);
}

void writes_free(void) { free(aq.v); }
