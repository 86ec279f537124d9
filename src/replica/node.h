/* node: drives the pure Raft core (raft.c) from libev. It owns the log
 * (wal.c, written and fdatasync'ed by one sync thread, completion back via
 * ev_async: group commit), the peer connections (peer.c), the tick timer,
 * and applies committed entries to the state machine (store.c) in order.
 *
 * The server hands it proposals and read barriers and hears back through
 * the node_events callbacks: an entry applied (with its reply), reads
 * confirmed, leadership changed, a forwarded command from a follower. */
#ifndef RAFTKV_NODE_H
#define RAFTKV_NODE_H
#include <ev.h>
#include <stdint.h>
#include "buf.h"
#include "config.h"
#include "store.h"
#include "raft.h"
#include "resp.h"

typedef struct node_events {
    /* Entry index of term was applied; returns the buffer its reply goes to
     * (NULL: nobody waits). done() is called once the reply is written. */
    buf *(*reply_for)(uint64_t index, uint64_t term);
    void (*applied)(void);
    /* Leader or term changed (reads in flight must be dropped). */
    void (*leader_changed)(void);
    void (*forward)(uint64_t from, uint64_t link, uint64_t sid, uint64_t term, int argc, rstr *argv, buf *payload);
    void (*forward_reply)(uint64_t from, uint64_t sid, buf *reply);  /* may take reply's bytes */
    void (*forward_close)(uint64_t from, uint64_t sid);
    void (*peer_down)(uint64_t id);
    void (*link_closed)(uint64_t id, uint64_t link);  /* see peer.h */
    void (*link_up)(uint64_t id);                     /* see peer.h */
    /* a follower asks for a read index; the leader's answer (reads.h) */
    void (*read_index)(uint64_t from, uint64_t id, uint64_t term);
    void (*read_index_reply)(uint64_t from, uint64_t id, int flags, uint64_t index, uint64_t time_ms);
} node_events;

int node_init(struct ev_loop *loop, config *cfg, store *f, const node_events *ev);
void node_shutdown(void);
/* Before the loop sleeps: hand out what the core produced. */
void node_process(void);

int node_is_leader(void);
uint64_t node_id(void);
uint64_t node_leader(void);   /* 0 when unknown */
uint64_t node_term(void);
uint64_t node_applied(void);    /* applied and visible to reads */
/* cb hears the keys applied entries wrote, once their replies are out. */
void node_on_written(void (*cb)(const char *keys, size_t len));
/* Whether applied entries note the keys they write (off: nobody waits). */
void node_track_written(int on);
uint64_t node_commit_index(void);
/* The store, while a full disk has the loop apply into it (applier.h). */
store *node_owned_store(void);
/* Leader only: appends an entry; returns its index (0 if not leader). */
uint64_t node_propose(const char *data, size_t len);
/* The same, taking the reference of a blob (blob.h): no copy. */
uint64_t node_propose_blob(char *data, size_t len);
/* Bytes of the entries past the commit index (a leader that cannot
 * commit holds them for its clients). */
uint64_t node_uncommitted_bytes(void);
/* Bytes of the committed entries not yet applied (applier.h). */
uint64_t node_unapplied_bytes(void);
/* Leader only: starts a read barrier round; returns it (0 if not leader)
 * and the index reads must wait for. */
uint64_t node_read_round(uint64_t *read_index);
/* Cluster time in ms (replica_time): what a proposal carries; a read is
 * served at node_read_time() (replica_read_time), at most TIME_MARGIN_MS
 * past the latest committed entry's time (node_committed_time). */
#define TIME_MARGIN_MS 500
uint64_t node_time(void);
uint64_t node_read_time(void);
uint64_t node_committed_time(void);
uint64_t node_confirmed_round(void);
/* Leader only: a read forwarded by voter `from` stamped with `term` may
 * skip the round (raft_read_index_vouched); 1 and the index if so. */
int node_read_vouched(uint64_t from, uint64_t term, uint64_t *read_index);
/* Leader with read-consistency lease: a read may skip the round while
 * the lease holds (replica_read_lease); 1 and the index if so. */
int node_read_lease(uint64_t *read_index);
/* INFO sections "raft" and "replication"; "persistence" gives fields to
 * add to that section. */
void node_info(buf *b, const char *section);
/* Membership (raft_change): the entry's index, or a negative RAFT_CONF_*. */
int64_t node_change(int op, const cluster_member *m);
/* A configuration without this node was applied: it serves no more. */
int node_removed(void);
/* The log could not be written for want of space (its errno, ENOSPC or
 * EDQUOT; 0 when it can): the node takes no new writes meanwhile. */
int node_disk_full(void);
/* Leader and not handing over: takes proposals. */
int node_accepting(void);
/* Starts a leadership transfer to id (0: the best voter); the target or 0. */
uint64_t node_transfer(uint64_t id);
/* The transfer started last: 1 TIMEOUT_NOW sent, 0 still running, -1 gave up. */
int node_transfer_state(void);
/* RAFT.SNAPSHOT: the state machine durable now and the log behind it
 * compacted (short of an image being sent); returns the snapshot index. */
uint64_t node_snapshot_now(void);
/* DEBUG DROP-PEER-LINKS: breaks the links with peer id (peer_drop_links;
 * which: PEER_LINK_OUT and/or PEER_LINK_IN, of peer.h). */
int node_drop_peer_links(uint64_t id, int which);
#endif
