/* replica: the one driver of the Raft core (raft.c). It decides what the
 * glue rules are -- persist before acknowledging, apply only what is
 * committed, group commit, when a snapshot is taken and how far the log is
 * compacted, the order of an image install, the hand-over on a full disk,
 * which peers to keep links to -- and meets the world only through ports:
 *   log        writes to the durable log, one at a time, completed later
 *              with replica_write_done() (the WAL and its sync thread);
 *   transport  messages, image streams, links (the peer protocol);
 *   sm         the state machine: apply, make durable, no-space recovery;
 *   clock      milliseconds and seconds, for statistics, and the wall
 *              clock in ms that cluster time (replica_time) follows.
 * Time passes by replica_tick(); work is handed out by replica_process().
 * Nothing here blocks, reads a clock directly or touches a socket or file,
 * so the simulator (tests/sim_raft.c) runs this very code over fake ports. */
#ifndef RAFTKV_REPLICA_H
#define RAFTKV_REPLICA_H
#include <stdint.h>
#include "buf.h"
#include "members.h"
#include "raft.h"

/* One unit of group commit, done in this order: hard state, log reset (an
 * installed image), append of entries first..last (rec, as the log port's
 * encode made it), compaction of the log up to compact_upto. */
typedef struct replica_write {
    int has_state;
    uint64_t term, vote;
    uint64_t reset_next;
    uint64_t first, last, last_term;
    raft_entry *ents;    /* entries first..last, their data blobs this write holds */
    size_t nents, capents;
    uint64_t compact_upto;
} replica_write;

typedef struct replica_log_port {
    void *ctx;
    /* Starts a write; at most one is outstanding. Its end, whatever the
     * outcome, is replica_write_done(). The entries are the write's until
     * then: the port may encode them on a thread of its own. */
    void (*write)(void *ctx, const replica_write *w);
    /* Reads entries a completed write made durable back into the entry
     * cache's gaps, as raft_config.load (NULL: the cache never drops). */
    int (*read)(void *ctx, raft_entry *e, size_t n);
} replica_log_port;

typedef struct replica_transport_port {
    void *ctx;
    void (*send)(void *ctx, const raft_msg *m);
    /* Stream an image of the state machine to `to`; its end is
     * replica_image_sent() or replica_image_failed(). */
    void (*send_image)(void *ctx, uint64_t to, uint64_t term);
    void (*stop_images)(void *ctx);        /* leadership lost, or an install */
    uint64_t (*image_floor)(void *ctx);    /* lowest index being sent, or UINT64_MAX */
    void (*link)(void *ctx, const cluster_member *m);  /* keep a link to m */
    void (*unlink)(void *ctx, uint64_t id);
    void (*flush)(void *ctx);              /* end of a round of sends */
    int (*congested)(void *ctx, uint64_t to);  /* as raft_config.congested (NULL: never) */
} replica_transport_port;

typedef struct replica_sm_port {
    void *ctx;
    /* Applies a committed entry (NOOP, COMMAND or CONFIG; removed: that
     * CONFIG removes this node); the reply goes to reply (may be NULL).
     * e->data is a blob (blob.h): blob_retain() it to keep it. */
    void (*apply)(void *ctx, const raft_entry *e, int removed, buf *reply);
    /* The configuration the state machine holds (NULL: the founding one). */
    const char *(*conf)(void *ctx);
    /* End of a batch of applies: 0, or an errno (ENOSPC and EDQUOT mean a
     * full disk; anything else is fatal). A state machine that applies
     * later, on a thread, reports its failures by replica_sm_failed(). */
    int (*end_batch)(void *ctx);
    /* Every entry up to upto applied and durable: 0 and *durable, the
     * index the state machine is durable at, which may be short of upto
     * (it gets there later and calls replica_sm_progress(); wait: block
     * until it is there); else an errno. */
    int (*make_durable)(void *ctx, uint64_t upto, int wait, uint64_t *durable);
    int (*no_space)(void *ctx);
    /* After a full disk: 0 recovered, 1 not yet, -1 fatal. */
    int (*recover)(void *ctx);
    /* The cluster time an entry carries (0: none). */
    uint64_t (*entry_time)(void *ctx, const raft_entry *e);
} replica_sm_port;

typedef struct replica_clock_port {
    void *ctx;
    uint64_t (*mono_ms)(void *ctx);
    int64_t (*wall_s)(void *ctx);
    uint64_t (*wall_ms)(void *ctx);
} replica_clock_port;

/* What the replica tells its host. */
typedef struct replica_events {
    void *ctx;
    /* The entry index of term applies; the buffer its reply goes to (NULL:
     * nobody waits). */
    buf *(*reply_for)(void *ctx, uint64_t index, uint64_t term);
    void (*applied)(void *ctx);
    void (*leader_changed)(void *ctx);
    /* A write or the state machine failed in a way that leaves the disk's
     * state unknown: the host must stop the node without acting further. */
    void (*fatal)(void *ctx, const char *why);
} replica_events;

typedef struct replica_config {
    raft_config core;
    const char *founding;      /* the founding configuration's text */
    const char *where;         /* the data directory, for messages */
    members book;              /* addresses known at start (the founding ones, or a join's) */
    int removed;               /* the state machine says a configuration removed this node */
    uint64_t snapshot_entries; /* a snapshot once the log holds more ... */
    uint64_t snapshot_bytes;   /* ... or more bytes than this */
    uint64_t keep_entries;     /* entries of tail a snapshot leaves for slow followers */
    uint64_t keep_bytes;       /* ... within so many bytes */
    int retry_ticks;           /* a full disk is tried again this often */
    size_t rec_overhead;       /* bytes a log record adds to its entry */
    uint64_t time_floor;       /* the state machine's cluster time (its last entry's) */
    uint64_t time_margin;      /* ms a read's time may run past the latest committed entry's */
    /* Leader lease (replica_read_lease): how long after a confirmed
     * round's send the lease holds (0: never), and how often a leader
     * serving lease reads sends a round of its own to keep it. The mono
     * clock must count time a process or machine is stopped. */
    uint64_t lease_ms, lease_refresh_ms;
} replica_config;

typedef struct replica_stats {
    long long fsyncs, synced_entries, elections_seen, snapshots;
    long long last_snapshot_time, last_snapshot_ms;
    uint64_t log_bytes;        /* entry bytes of the in-memory log, roughly */
} replica_stats;

typedef struct replica replica;

/* Start-up from storage: hard state, the log after the state machine's
 * point applied/applied_term (the entries are copied). */
replica *replica_new(const replica_config *cfg, const replica_log_port *log, const replica_transport_port *tr,
                     const replica_sm_port *sm, const replica_clock_port *clock, const replica_events *ev,
                     uint64_t term, uint64_t vote, uint64_t applied, uint64_t applied_term, const raft_entry *entries,
                     size_t n);
void replica_free(replica *r);

/* The start-up rule: the log must continue the state machine (hold its
 * applied entry with that term, or begin right after it). The one case
 * repaired is an image install cut short before the log was reset.
 * log_first..log_last (last < first: empty); term_at_applied 0 when the
 * log does not hold `applied`. */
enum { REPLICA_LOG_OK, REPLICA_LOG_RESET, REPLICA_LOG_LOST, REPLICA_LOG_DISAGREES };
int replica_log_fits(uint64_t applied, uint64_t applied_term, uint64_t installed_at, uint64_t log_first,
                     uint64_t log_last, uint64_t term_at_applied);

/* Inputs. */
void replica_tick(replica *r);
void replica_step(replica *r, const raft_msg *m);
void replica_peer_down(replica *r, uint64_t id);
/* Bytes of a large message from id are arriving (raft_peer_streaming). */
void replica_peer_streaming(replica *r, uint64_t id);
/* The write started last ended: 0, or its errno. */
void replica_write_done(replica *r, int err);
void replica_image_sent(replica *r, uint64_t to, uint64_t index);
void replica_image_failed(replica *r, uint64_t to);
/* The state machine made progress: a durability point asked for may be
 * reached (make_durable). */
void replica_sm_progress(replica *r);
/* Applying failed later, on the state machine's own thread: ENOSPC or
 * EDQUOT (a full disk: no writes here until recover() succeeds), or
 * another errno (fatal). */
void replica_sm_failed(replica *r, int err);
/* A whole, verified image arrived (m: MSG_SNAPSHOT with its CONFIG entry).
 * If the core takes it, images being sent stop, install() makes it the
 * state machine durably (0, else fatal; removed: its configuration leaves
 * this node out), and the log is reset after what was queued before. Returns raft_install_snapshot's answer. */
int replica_install(replica *r, const raft_msg *m, int (*install)(void *ctx, int removed), void *ctx);
/* Hands out what the core produced: sends, writes, applies, snapshots. */
void replica_process(replica *r);
/* Sends what waits for a tick (a node about to stop) and processes. */
void replica_flush(replica *r);
/* Nothing written or waiting to be. */
int replica_idle(const replica *r);

/* Cluster time in ms: on the leader its wall clock, but never behind an
 * entry this node has in its log or has seen applied, and never going
 * back (a clock behind holds it still, and is logged once a term);
 * elsewhere the latest such entry's time. Entries carry it, so apply
 * never reads a clock. A leader starts at least time_margin past the
 * latest committed entry's time. */
uint64_t replica_time(replica *r);
/* The time a read is served at: cluster time, but at most time_margin
 * past the latest committed entry's. A later leader starts past that
 * (it holds every committed entry), so no read anywhere is ever served
 * at a time earlier than one served before it: nothing that expired
 * comes back, no TTL grows. The host keeps the committed time close (an
 * entry with the time, replica_committed_time) so the cap rarely bites. */
uint64_t replica_read_time(replica *r);
uint64_t replica_committed_time(const replica *r);
/* An image installed: the time it stands for (committed). */
void replica_note_time(replica *r, uint64_t t);

/* Leader work. */
uint64_t replica_propose(replica *r, const char *data, size_t len);
uint64_t replica_propose_blob(replica *r, char *data, size_t len);  /* takes data's reference (blob.h) */
uint64_t replica_read_round(replica *r, uint64_t *read_index);
int replica_read_vouched(replica *r, uint64_t from, uint64_t term, uint64_t *read_index);
/* A read the leader may serve at *read_index with no round: 1 while it
 * holds a lease (raft_read_index_lease) earned by a round a quorum
 * confirmed less than lease_ms after it was sent. */
int replica_read_lease(replica *r, uint64_t *read_index);
/* Whether this node, leading, sends rounds to keep its lease (lease reads on). */
void replica_keep_lease(replica *r, int on);
/* The lease for an election timeout of election_ticks ticks of tick_ms:
 * a follower that heard the leader refuses votes for election_ticks of
 * its ticks, at least (election_ticks - 3) tick_ms of real time (a timer
 * that fired late fires again at once: two ticks can come together, and
 * one may fall just after the heartbeat); half that leaves room for
 * clock rates apart by up to 1.8x. 0 (no lease) under 20 ticks, where
 * the margin would be too thin. */
uint64_t replica_lease_ms(int election_ticks, int tick_ms);
int64_t replica_change(replica *r, int op, const cluster_member *m);
uint64_t replica_transfer_leader(replica *r, uint64_t id);
int replica_transfer_state(const replica *r);  /* 1 TIMEOUT_NOW sent, 0 running, -1 gave up */
uint64_t replica_snapshot_now(replica *r);
/* Campaign at once (a lone voter need not wait). */
void replica_campaign(replica *r);

/* State. */
const raft *replica_core(const replica *r);
uint64_t replica_applied(const replica *r);
uint64_t replica_confirmed_round(const replica *r);
uint64_t replica_uncommitted_bytes(replica *r);
int replica_removed(const replica *r);
int replica_accepting(const replica *r);
/* The errno that keeps the log from being written (0: none). */
int replica_disk_full(const replica *r);
const replica_stats *replica_get_stats(const replica *r);
const members *replica_address_book(const replica *r);
#endif
