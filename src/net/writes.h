/* writes: requests answered by the log. A proposed write, or a leader
 * command (RAFT.NODE) whose entry must apply, waits in the apply queue
 * until its entry is applied (the node calls writes_reply_for); a
 * RAFT.TRANSFER-LEADER waits until the hand-over is under way. An entry
 * that another replaced, or that a snapshot image covered, answers its
 * waiter with an error saying whether it may have been applied. */
#ifndef RAFTKV_WRITES_H
#define RAFTKV_WRITES_H
#include <stdint.h>
#include "client.h"
#include "slot.h"

/* Leader only: the request (a write command) as a log entry. ok: its
 * reply is +OK whatever the data (cmd_ok_when_committed), given as soon
 * as the entry commits, without waiting for the apply. */
slot *writes_propose(client *c, int argc, rstr *argv, int ok);
/* Answers the waiters whose reply is known once their entry commits
 * (while the applier is not behind by more than a little):
 * every read that could see the write waits for its apply anyway (a
 * read index is at least the commit index; the client's own reads wait
 * for its last write). */
void writes_answer_committed(void);
/* A slot s that waited (a blocked command, a write probe) proposed as the
 * command argv (its own, or blocking.h's narrowed to one key); 0 when the
 * node takes no proposal now (s is left as it was). */
int writes_repropose(slot *s, int argc, rstr *argv);
/* Answered once the entry at index, of this term, applies. */
void writes_await_index(client *c, uint64_t index);
/* Answered once the leadership transfer started is under way. */
void writes_await_transfer(client *c);
/* node callback: the entry index of term is being applied; where its
 * reply goes (NULL: nobody waits). */
buf *writes_reply_for(uint64_t index, uint64_t term);
/* Answers the transfers that told their target to take over, or gave up. */
void writes_serve_transfers(void);
/* A SLOT_APPLY or SLOT_TRANSFER slot no longer waits. */
void writes_detach(slot *s);
/* Shutdown. */
void writes_free(void);
#endif
