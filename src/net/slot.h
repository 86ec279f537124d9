/* slot: a reply owed to a client. Every request gets its reply in request
 * order. Requests answered at once write straight to the output buffer
 * unless older ones are still owed; then, and for every write (answered
 * when its entry is applied: writes.c), read (once its barrier is
 * confirmed: reads.c) or forwarded request (by the leader: forward.c), the
 * reply waits in a slot, in the client's list, until done; slot_deliver
 * moves done replies, oldest first, to where they go. A client without
 * slots owes nothing. */
#ifndef RAFTKV_SLOT_H
#define RAFTKV_SLOT_H
#include <stdint.h>
#include "buf.h"
#include "client.h"
#include "cmd.h"
#include "fetch.h"
#include "resp.h"

enum { SLOT_DONE, SLOT_APPLY, SLOT_READ, SLOT_FWD, SLOT_TRANSFER, SLOT_SLICED, SLOT_FETCH, SLOT_STOP, SLOT_BLOCKED };
typedef struct slot {
    struct slot *next;           /* the client's order */
    struct slot *qnext;          /* the queue that will answer it */
    client *c;
    int state, write;
    uint64_t index, term;        /* SLOT_APPLY: the entry that answers it */
    uint64_t round, need;        /* SLOT_READ: barrier round, index to wait for */
    uint64_t remote;             /* SLOT_READ on a follower: the read index request it waits for (reads.h) */
    uint64_t time_ms;            /* SLOT_READ: its cluster time when the leader gave it (0: this node's) */
    int argc;                    /* SLOT_READ: the command, run once confirmed; a blocking one's, proposed again */
    rstr *argv;
    buf backing;                 /* holds those of argv that lie in it (resp_args_take) */
    uint64_t aseq;               /* SLOT_APPLY: its place in the apply queue */
    uint64_t fwd_bytes;          /* SLOT_FWD: the request's size */
    uint64_t fwd_link, fwd_end;  /* SLOT_FWD: the link its frame went on, where it ends there (peer_send_forward) */
    read_job *job;               /* SLOT_SLICED: a confirmed read running in slices */
    fetch_job *fetch;            /* SLOT_FETCH: a confirmed read of a large value, on the fetch thread */
    double deadline;
    buf reply;
    buf *locals;                 /* EXEC: the commands the node runs itself once it applied (multi.h) */
    int blocking, bq, proposed;  /* a blocking command's (blocking.h); where it waits there; proposed here */
    int probe;                   /* SLOT_READ: a CMD_PROBE write tried as a read first (reads.h), */
    struct slot *pnext;          /* its client's next probe */
    uint64_t bseq;               /* its place among the blocked */
    double block_deadline;       /* when it stops waiting (INFINITY: never) */
    struct slot *bprev, *bnext;  /* the blocked, in order; or those proposed again */
    rstr bkey;                   /* proposed again: the key it claimed elements of (in argv), */
    long long bclaim;            /* how many */
} slot;

/* Errors of requests that could not be answered the normal way. */
#define ERR_NO_LEADER "CLUSTERDOWN No leader"
#define ERR_NOT_APPLIED "CLUSTERDOWN Leader changed, command not applied"
#define ERR_UNKNOWN "TIMEOUT outcome unknown"

/* A slot at the end of c's list, due within cluster-request-timeout. */
slot *slot_new(client *c, int state);
/* Bytes take time to replicate and sync: a request carrying them may wait
 * longer. */
void slot_allow_bytes(slot *s, uint64_t bytes);
/* Where the reply to a request answered now goes: the output buffer, or,
 * behind replies still owed (and always for a proxy), a slot done already. */
buf *slot_reply_target(client *c);
/* The reply just made into out, which slot_reply_target(c) gave, is
 * whole: if out is a slot's, c has output to move. */
void slot_reply_end(client *c, buf *out);
/* s is answered: its client has output to move. */
void slot_done(slot *s);
/* A waiting slot that will not be answered the normal way: it gets err. */
void slot_fail(slot *s, const char *err);
/* Moves done replies, oldest first, to where they go; 0 when the client
 * is gone (a proxy whose follower's link closed as it was sent to). */
int slot_deliver(client *c);
/* Takes s out of a queue linked by qnext, if it is there. */
void slot_unqueue(slot **queue, slot *s);
/* Fails every slot of c past its deadline. */
void slot_expire(client *c, double now);
/* Frees every slot of c (being freed), out of the queues that wait. */
void slot_free_all(client *c);
#endif
