/* multi: transactions (MULTI, EXEC, DISCARD, WATCH, UNWATCH). A
 * transaction's state lives where its commands will be proposed: on the
 * leader, in the client itself, or in the leader's proxy of a follower's
 * client. A follower forwards every request of a client from its MULTI (or
 * WATCH) on; if that forwarding session ends (the leader changed), or the
 * node holding the state stops leading, the client is disconnected, so no
 * command queued for a transaction ever runs outside it.
 *
 * MULTI queues commands (+QUEUED); a command that is unknown, of the wrong
 * arity, refused by ACL, or not allowed in a transaction (one that answers
 * later on the leader: RAFT.NODE, RAFT.TRANSFER-LEADER) answers its error
 * and makes EXEC answer EXECABORT, as in Redis. EXEC proposes the whole
 * transaction as one write:
 *   EXEC @tx <watches> <n> (<argc> <args>...) x n
 * which commands/tx.c applies atomically; KEYS, SCAN and RANDOMKEY in it
 * see the writes before them. Server and connection commands stay out of
 * the entry: the node the client is connected to runs them once it
 * applied, and splices their replies into EXEC's (multi_splice). WATCH is a read served on the
 * leader (tx.c records each key's state into the client's tx); EXEC
 * carries the watches, and the apply fails the transaction (a nil array)
 * if one of them was touched. */
#ifndef RAFTKV_MULTI_H
#define RAFTKV_MULTI_H
#include "client.h"
#include "cmd.h"

/* Whether request argv of c is EXEC with arguments while c is in MULTI:
 * then answered (Redis's EXECABORT for it) and the transaction discarded. */
int multi_bad_exec(client *c, int argc, rstr *argv);
/* A request of c was refused before it could run or be queued. */
void multi_refused(client *c);
/* 1 when c's request (cmd, resolved to run) is queued, or refused for the
 * transaction: answered either way. */
int multi_queue(client *c, const command *cmd, const command *run, int argc, rstr *argv);
/* MULTI, DISCARD, UNWATCH, and EXEC's refusals, on the node that holds the
 * transaction: 1 if answered. */
int multi_control(client *c, const command *cmd);
/* EXEC to propose: the entry's arguments (valid until multi_done). */
void multi_exec_args(client *c, int *argc, rstr **argv);
/* EXEC was proposed: the transaction and its watches are done. */
void multi_done(client *c);
/* EXEC was proposed, answered by slot s: s takes the commands the node
 * runs itself; then multi_done(). */
struct slot;
void multi_exec_proposed(client *c, struct slot *s);
/* EXEC's reply from its entry: each TX_LOCAL_REPLY in it becomes the
 * reply of the next command of locals, run now for c. A nil reply (a
 * WATCH failed) or an error stays as it is: nothing runs. */
void multi_splice(client *c, buf *reply, const buf *locals);
/* A follower forwards c's request (cmd: NULL if unknown) to the leader
 * while this says so. */
int multi_forwarding(const client *c, const command *cmd);
/* A follower forwarded cmd (argv, argc) for c: inside MULTI it keeps the
 * commands it will run itself once EXEC's reply comes back. */
void multi_forwarded(client *c, const command *cmd, int argc, rstr *argv);
/* A follower's forwarding session of c ended: if c is in a transaction,
 * it is disconnected. */
void multi_session_ended(client *c);
/* Leadership moved: if not the leader, the clients holding a transaction
 * here are disconnected. */
void multi_leader_changed(void);
/* c is freed: its transaction goes (no disconnection). */
void multi_free(client *c);
/* RESET: c's transaction and watches go, here or on the leader. */
void multi_reset(client *c);
#endif
