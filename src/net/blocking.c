#include "blocking.h"
#include "node.h"
#include "server.h"
#include "writes.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Where a blocking slot is besides its client's list. */
enum { BQ_NONE, BQ_BLOCKED, BQ_APPLIED, BQ_SENT };

static slot *head, *tail;        /* blocked, in the order they first blocked (bseq) */
static slot *sent;               /* proposed again, their entries on the way (bnext, bprev) */
static slot *applied;            /* entries applied, their outcome to look at (qnext) */
static uint64_t next_seq, seen_applied;
static int fresh;                /* a client blocked since the last look */
static long long nclients;

static double timeout_of(int argc, rstr *argv) {
    int from, n;
    long long ms = 0, count;
    list_block_spec(argc, argv, &from, &n, &ms, &count);
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
    c->blocking++;
    nclients++;
}

void blocking_forwarded(client *c, int argc, rstr *argv) {
    slot *s = c->stail;
    s->blocking = 1;
    s->deadline += timeout_of(argc, argv);
    c->blocking++;
    nclients++;
}

int blocking_holds(const client *c) {
    if (!c->blocking) return 0;
    for (const slot *s = c->shead; s; s = s->next)
        if (s->blocking && s->state != SLOT_DONE) return 1;
    return 0;
}

void blocking_gone(slot *s) {
    if (!s->blocking) return;
    blocking_detach(s);  /* a slot answered by the writes path (an error) may still be listed as sent */
    nclients--;
    if (s->c) s->c->blocking--;
}

long long blocking_clients(void) { return nclients; }

/* ---- the queue, in bseq order ---- */

static void unlink_blocked(slot *s) {
    if (s->bprev) s->bprev->bnext = s->bnext; else head = s->bnext;
    if (s->bnext) s->bnext->bprev = s->bprev; else tail = s->bprev;
    s->bprev = s->bnext = NULL;
    s->bq = BQ_NONE;
}

static void unlink_sent(slot *s) {
    if (s->bprev) s->bprev->bnext = s->bnext; else sent = s->bnext;
    if (s->bnext) s->bnext->bprev = s->bprev;
    s->bprev = s->bnext = NULL;
    s->bq = BQ_NONE;
}

static void link_sent(slot *s) {
    s->bprev = NULL;
    s->bnext = sent;
    if (sent) sent->bprev = s;
    sent = s;
    s->bq = BQ_SENT;
}

/* s blocks (again: first 0), back in its place. */
static void enqueue(slot *s, int first) {
    slot *after = tail;
    while (after && after->bseq > s->bseq) after = after->bprev;  /* back in its old place */
    s->bprev = after;
    s->bnext = after ? after->bnext : head;
    if (s->bnext) s->bnext->bprev = s; else tail = s;
    if (after) after->bnext = s; else head = s;
    s->bq = BQ_BLOCKED;
    s->state = SLOT_BLOCKED;
    s->deadline = s->block_deadline;
    fresh |= first;  /* one that blocks again changed nothing: applies that may push wake the look */
}

void blocking_applied(slot *s) {
    if (s->bq == BQ_SENT) unlink_sent(s);
    s->state = SLOT_BLOCKED;
    s->deadline = INFINITY;  /* its outcome is looked at first (outcomes), never timed out unseen */
    s->bq = BQ_APPLIED;
    s->qnext = applied;
    applied = s;
}

void blocking_detach(slot *s) {
    if (s->bq == BQ_BLOCKED) unlink_blocked(s);
    if (s->bq == BQ_APPLIED) slot_unqueue(&applied, s);
    if (s->bq == BQ_SENT) unlink_sent(s);
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
    if (s->bq != BQ_BLOCKED) return;  /* an outcome not yet looked at decides */
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
        else enqueue(s, !s->bkey_set);
    }
}

/* Elements each key waited on may still give in this look (a small table
 * by key; a key read once per look), less what entries on their way will
 * take. */
typedef struct avail { const rstr *key; long long left; } avail;

static long long *left_of(store *rd, avail **t, size_t *n, size_t *cap, const rstr *key) {
    for (size_t i = 0; i < *n; i++)
        if ((*t)[i].key->len == key->len && !memcmp((*t)[i].key->p, key->p, key->len)) return &(*t)[i].left;
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *t = xrealloc(*t, sizeof(avail) * *cap);
    }
    sval v;
    long long len = 0;
    if (store_get(rd, key->p, key->len, &v) && v.type == STORE_LIST && v.len >= STORE_CID + 8 &&
        !(v.expire && node_time() > v.expire))
        len = (long long)get_u64(v.p + STORE_CID);
    sval_free(&v);
    for (slot *s = sent; s; s = s->bnext)
        if (s->bkey.len == key->len && !memcmp(s->bkey.p, key->p, key->len)) len -= s->bclaim;
    (*t)[*n].key = key;
    (*t)[*n].left = len;
    return &(*t)[(*n)++].left;
}

/* Proposes s again, claiming up to count of key's left elements; back
 * in the queue if the node takes no proposal now. */
static void send_again(slot *s, const rstr *key, long long *left, long long count) {
    unlink_blocked(s);
    s->reply.len = s->reply.pos = 0;
    if (!writes_repropose(s)) {
        enqueue(s, 0);
        return;
    }
    long long take = count < *left ? count : *left;
    *left -= take;
    s->bkey = *key;
    s->bkey_set = 1;
    s->bclaim = take;
    link_sent(s);
}

void blocking_serve(void) {
    outcomes();
    if (!head || !node_accepting() || node_disk_full() || (node_applied() == seen_applied && !fresh)) return;
    seen_applied = node_applied();
    fresh = 0;
    avail *t = NULL;
    size_t n = 0, cap = 0;
    store *rd = server_store();
    store_reader_pin(rd);
    for (slot *s = head, *next; s; s = next) {
        next = s->bnext;
        int from, nkeys;
        long long ms, count;
        list_block_spec(s->argc, s->argv, &from, &nkeys, &ms, &count);
        for (int k = 0; k < nkeys; k++) {
            long long *left = left_of(rd, &t, &n, &cap, &s->argv[from + k]);
            if (*left <= 0) continue;
            send_again(s, &s->argv[from + k], left, count);
            break;
        }
    }
    store_reader_unpin(rd);
    free(t);
}
