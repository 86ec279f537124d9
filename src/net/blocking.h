/* blocking: BLPOP, BRPOP, BLMPOP, BRPOPLPUSH, BLMOVE, BZPOPMIN, BZPOPMAX
 * and BZMPOP.
 *
 * On the leader such a command is proposed as any write. Applied, it pops
 * when one of its keys holds an element (on every replica alike), else
 * answers nothing (lists.c, zsets.c), and here its client blocks: held (Redis
 * reads nothing more from a blocked client), its slot queued in the order
 * clients blocked. Once entries have applied, each blocked client whose
 * keys now hold elements of the type it pops, in that order and as many
 * per key as the key holds, has its command proposed again, narrowed to
 * that key; applied, it pops, or, when another pop got there first,
 * blocks again in its old place. So an
 * element is popped by an entry, the same on every replica, and answered
 * to the one client whose entry popped it.
 *
 * Timeouts run on the leader's clock: a client blocked past its timeout
 * is answered nil, never while an entry of its is on its way (that entry
 * decides). A leader that steps down answers its blocked clients
 * CLUSTERDOWN (nothing was popped for them: they may retry); an entry on
 * its way answers as every write does (writes.h). A follower forwards the
 * command, and its client waits, for the timeout and the usual request
 * bound, for the leader's answer. */
#ifndef RAFTKV_BLOCKING_H
#define RAFTKV_BLOCKING_H
#include "client.h"
#include "slot.h"

/* Leader: proposes the validated blocking command for c. */
void blocking_propose(client *c, int argc, rstr *argv);
/* Follower: c's blocking command was forwarded (its slot, c's last):
 * it may wait as long as the command may block. */
void blocking_forwarded(client *c, int argc, rstr *argv);
/* Whether c waits for a blocking command (then it is held). */
int blocking_holds(const client *c);
/* writes: a blocking slot's entry applied here; its reply follows. */
void blocking_applied(slot *s);
/* node: the keys applied entries wrote (store_take_written), after their
 * replies: lists that may now hold elements. */
void blocking_written(const char *keys, size_t len);
/* Each loop pass, before the node runs: sees what applied entries did,
 * and proposes the blocked commands whose keys were written, in the
 * order they blocked, as many per key as it holds. */
void blocking_serve(void);
/* slot_expire: a blocked slot's time is up. */
void blocking_timeout(slot *s);
/* A blocked slot no longer waits (its client goes, or it failed). */
void blocking_detach(slot *s);
/* A slot of a blocking command is freed. */
void blocking_gone(slot *s);
/* This node stopped leading: its blocked clients are answered. */
void blocking_leader_changed(void);
/* Clients waiting for a blocking command on this node (INFO). */
long long blocking_clients(void);
#endif
