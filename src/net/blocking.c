#include "blocking.h"
#include "node.h"
#include "server.h"
#include "writes.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Where a blocking slot is besides its client's list. */
enum { BQ_NONE, BQ_BLOCKED, BQ_APPLIED };

static slot *head, *tail;        /* blocked, in the order they first blocked (bseq) */
static slot *applied;            /* entries applied, their outcome to look at (qnext) */
static uint64_t next_seq, seen_applied;
static int fresh;                /* a client blocked since the last look */
static long long nclients;

static double timeout_of(int argc, rstr *argv) {
    int from, n;
    long long ms = 0;
    list_block_spec(argc, argv, &from, &n, &ms);
    return ms ? (double)ms / 1000.0 : INFINITY;
}

void blocking_propose(client *c, int argc, rstr *argv) {
    slot *s = writes_propose(c, argc, argv, 0);
    s->blocking = 1;
    s->bseq = ++next_seq;
    s->block_deadline = server_now() + timeout_of(argc, argv);
    s->argc = argc;
    s->argv = xmalloc(sizeof(rstr) * (size_t)argc);
    for (int i = 0; i < argc; i++) {
        s->argv[i].p = xmalloc(argv[i].len + 1);
        memcpy(s->argv[i].p, argv[i].p, argv[i].len);
        s->argv[i].p[argv[i].len] = '\0';
        s->argv[i].len = argv[i].len;
    }
    nclients++;
}

void blocking_forwarded(client *c, int argc, rstr *argv) {
    slot *s = c->stail;
    s->blocking = 1;
    s->deadline += timeout_of(argc, argv);
    nclients++;
}

int blocking_holds(const client *c) {
    for (const slot *s = c->shead; s; s = s->next)
        if (s->blocking && s->state != SLOT_DONE) return 1;
    return 0;
}

void blocking_gone(slot *s) {
    if (s->blocking) nclients--;
}

long long blocking_clients(void) { return nclients; }

/* ---- the queue, in bseq order ---- */

static void unlink_blocked(slot *s) {
    if (s->bprev) s->bprev->bnext = s->bnext; else head = s->bnext;
    if (s->bnext) s->bnext->bprev = s->bprev; else tail = s->bprev;
    s->bprev = s->bnext = NULL;
    s->bq = BQ_NONE;
}

static void enqueue(slot *s) {
    slot *after = tail;
    while (after && after->bseq > s->bseq) after = after->bprev;  /* back in its old place */
    s->bprev = after;
    s->bnext = after ? after->bnext : head;
    if (s->bnext) s->bnext->bprev = s; else tail = s;
    if (after) after->bnext = s; else head = s;
    s->bq = BQ_BLOCKED;
    s->state = SLOT_BLOCKED;
    s->deadline = s->block_deadline;
    fresh = 1;
}

void blocking_applied(slot *s) {
    s->state = SLOT_BLOCKED;
    s->bq = BQ_APPLIED;
    s->qnext = applied;
    applied = s;
}

void blocking_detach(slot *s) {
    if (s->bq == BQ_BLOCKED) unlink_blocked(s);
    if (s->bq == BQ_APPLIED) slot_unqueue(&applied, s);
    s->bq = BQ_NONE;
}

static void answer(slot *s, const char *reply) {
    if (reply) {
        s->reply.len = s->reply.pos = 0;
        buf_appendstr(&s->reply, reply);
    }
    slot_done(s);
}

void blocking_timeout(slot *s) {
    blocking_detach(s);
    answer(s, "*-1\r\n");
}

void blocking_leader_changed(void) {
    while (head) slot_fail(head, ERR_NOT_APPLIED);
}

/* What the entries just applied did: popped (or failed: answered), or
 * found nothing (blocked again, unless its time is up or this node no
 * longer leads). */
static void outcomes(void) {
    while (applied) {
        slot *s = applied;
        applied = s->qnext;
        s->qnext = NULL;
        s->bq = BQ_NONE;
        if (buf_unread(&s->reply)) answer(s, NULL);
        else if (!node_is_leader()) answer(s, "-" ERR_NOT_APPLIED "\r\n");
        else if (server_now() >= s->block_deadline) answer(s, "*-1\r\n");
        else enqueue(s);
    }
}

/* Elements each key waited on may still give in this look (a small table
 * by key; a key read once per look). */
typedef struct avail { const rstr *key; long long left; } avail;

static long long *left_of(avail **t, size_t *n, size_t *cap, const rstr *key) {
    for (size_t i = 0; i < *n; i++)
        if ((*t)[i].key->len == key->len && !memcmp((*t)[i].key->p, key->p, key->len)) return &(*t)[i].left;
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *t = xrealloc(*t, sizeof(avail) * *cap);
    }
    sval v;
    long long len = 0;
    store *rd = server_store();
    if (store_get(rd, key->p, key->len, &v) && v.type == STORE_LIST && v.len >= STORE_CID + 8 &&
        !(v.expire && node_time() > v.expire))
        len = (long long)get_u64(v.p + STORE_CID);
    sval_free(&v);
    (*t)[*n].key = key;
    (*t)[*n].left = len;
    return &(*t)[(*n)++].left;
}

void blocking_serve(void) {
    outcomes();
    if (!head || !node_is_leader() || (node_applied() == seen_applied && !fresh)) return;
    seen_applied = node_applied();
    fresh = 0;
    avail *t = NULL;
    size_t n = 0, cap = 0;
    store_reader_pin(server_store());
    for (slot *s = head, *next; s; s = next) {
        next = s->bnext;
        int from, nkeys;
        long long ms;
        list_block_spec(s->argc, s->argv, &from, &nkeys, &ms);
        for (int k = 0; k < nkeys; k++) {
            long long *left = left_of(&t, &n, &cap, &s->argv[from + k]);
            if (*left <= 0) continue;
            (*left)--;
            unlink_blocked(s);
            s->reply.len = s->reply.pos = 0;
            writes_repropose(s);
            break;
        }
    }
    store_reader_unpin(server_store());
    free(t);
}
