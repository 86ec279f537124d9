/* raft: the Raft protocol as a pure state machine (Raft dissertation,
 * Ongaro 2014). No sockets, no clock, no disk: the caller feeds it
 *   raft_step()    a message received from a peer,
 *   raft_tick()    one unit of logical time,
 *   raft_propose() a new entry (leader only),
 *   raft_persisted() the index its log is durable up to,
 * and drains what it asks for with raft_ready(): entries to persist, the
 * hard state (term, vote) to persist first, messages to send, and committed
 * entries to apply. Pre-vote (9.6) and check-quorum (6.2) are always on.
 * Messages are values; the peer module frames and checksums them. */
#ifndef RAFTKV_RAFT_H
#define RAFTKV_RAFT_H
#include <stddef.h>
#include <stdint.h>
#include "members.h"

#define RAFT_MAX_NODES MEMBERS_MAX
#define RAFT_MAX_INFLIGHT 256

enum raft_role { RAFT_FOLLOWER, RAFT_PRECANDIDATE, RAFT_CANDIDATE, RAFT_LEADER };
/* A CONFIG entry's data is a configuration as members.h writes it. It is
 * in force from the moment it is in the log, committed or not (dissertation
 * 4.1): a truncated one gives way to the one before it. */
enum raft_entry_type { RAFT_ENTRY_NOOP = 0, RAFT_ENTRY_COMMAND = 1, RAFT_ENTRY_CONFIG = 2 };
enum raft_msg_type {
    MSG_PREVOTE = 1, MSG_PREVOTE_RESP, MSG_VOTE, MSG_VOTE_RESP,
    MSG_APPEND, MSG_APPEND_RESP, MSG_HEARTBEAT, MSG_HEARTBEAT_RESP, MSG_TIMEOUT_NOW,
    /* Leader to its glue: follower `to` needs entries compacted away; send
     * it an image of the state machine (any applied index will do). The
     * receiving glue steps it back in, with index/log_term naming the
     * image, through raft_install_snapshot, and one CONFIG entry in entries
     * with the image's configuration. */
    MSG_SNAPSHOT,
};

typedef struct raft_entry {
    uint64_t term, index;
    int type;
    char *data;   /* in the core's log a blob (blob.h): a holder that must keep
                   * the bytes past the next call (a send queue, the applier)
                   * takes a reference; elsewhere owned by whoever holds it */
    size_t len;
} raft_entry;

typedef struct raft_msg {
    int type;
    uint64_t from, to, term;
    uint64_t index, log_term;  /* APPEND: prev index/term; VOTE: last index/term; RESP: match or rejected index;
                                * HEARTBEAT_RESP: the point of the follower's state machine image */
    uint64_t commit;
    uint64_t hint_index, hint_term;  /* APPEND_RESP reject: follower's conflict hint */
    uint64_t context;          /* HEARTBEAT(_RESP): read-barrier round */
    int reject;
    raft_entry *entries;       /* APPEND: borrowed, never owned by a message */
    size_t nentries;
    int entry_blobs;           /* APPEND: each entry's data is a blob (blob.h) the core may keep a reference
                                * to instead of a copy; the message's own stays the sender's to release */
} raft_msg;

typedef struct raft_config {
    uint64_t id;
    /* The configuration in force at the state machine's point (`applied`):
     * conf/conf_len as members text, or, when conf is NULL, peers[] (every
     * one a voter). CONFIG entries in the log after it override it. */
    uint64_t peers[RAFT_MAX_NODES];
    int npeers;
    const char *conf;
    size_t conf_len;
    /* Leader: a learner whose log is within this many entries of the
     * leader's is promoted to voter (0: never automatically). */
    uint64_t promote_gap;
    int election_ticks;    /* election timeout, randomized in [e, 2e) */
    int heartbeat_ticks;
    size_t max_msg_entries;   /* entries per APPEND */
    size_t max_msg_bytes;     /* data bytes per APPEND (at least one entry goes) */
    int max_inflight;         /* APPENDs in flight per follower */
    uint64_t seed;            /* for randomized timeouts */
    /* For leader leases (raft_read_index_lease): a node grants no vote
     * for its first election timeout, as if it had just heard a leader.
     * It may have acknowledged a lease just before it went down; without
     * this, a quick restart would let it vote a new leader in while that
     * lease still runs. Set it on every node of a cluster where any node
     * serves lease reads. */
    int boot_quiet;
    /* The entry cache: the log keeps the data of at most this many bytes
     * of entries (0: all of it); older entries that are applied and
     * durable keep only index, term, type and length (CONFIG entries keep
     * their data). An append to a follower that needs them has load() read
     * them back from the durable log: it fills e[k].data with a blob of
     * e[k].len bytes for every k whose data is NULL, checking index and
     * term, and returns 0; or -1 (what it filled is then the caller's to
     * release), and that follower is sent an image instead. */
    size_t cache_bytes;
    int (*load)(void *ctx, raft_entry *e, size_t n);
    void *load_ctx;
    /* 1 when the link to `to` would drop an append now (down, or far
     * behind; NULL: never). Asked once per append that needs a read-back,
     * which such an append is not worth: it is dropped here instead, as a
     * lossy link would, and that follower goes back to probing. It must
     * not call into the core. */
    int (*congested)(void *ctx, uint64_t to);
    void *congested_ctx;
} raft_config;

typedef struct raft raft;

/* Storage as found at start-up: hard state and the log (entries are copied;
 * an entry at or before the state machine's point may come without its
 * data, NULL, which load() reads back when needed). */
raft *raft_new(const raft_config *cfg, uint64_t term, uint64_t vote, const raft_entry *log, size_t nlog);
/* The same with a state machine that already holds every entry up to
 * `applied` (whose term is applied_term): the log must begin at or before
 * applied+1 and, if it reaches applied, hold that entry with that term.
 * Entries up to `applied` are known committed and are not applied again. */
raft *raft_new_at(const raft_config *cfg, uint64_t term, uint64_t vote, uint64_t applied, uint64_t applied_term,
                  const raft_entry *log, size_t nlog);
void raft_free(raft *r);

void raft_tick(raft *r);
void raft_step(raft *r, const raft_msg *m);  /* copies what it keeps */
/* Appends a new entry; returns its index, or 0 when not leader. */
uint64_t raft_propose(raft *r, int type, const char *data, size_t len);
/* The same with data a blob (blob.h) whose reference it takes, whatever
 * the outcome: the log keeps it without a copy. */
uint64_t raft_propose_blob(raft *r, int type, char *data, size_t len);
/* Membership change, one server at a time (dissertation 4.2-4.3): the
 * leader appends the new configuration at once. Refused while another is
 * uncommitted, before the leader has committed an entry of its own term
 * (the fix to the single-server algorithm, 4.3 errata) and during a
 * leadership transfer. A leader that removes itself leads until the change
 * commits, then hands over with TIMEOUT_NOW to the most up-to-date voter.
 * Returns the entry's index, or a negative RAFT_CONF_* code. */
enum raft_conf_op { RAFT_ADD_LEARNER, RAFT_PROMOTE, RAFT_REMOVE };
enum {
    RAFT_CONF_NOT_LEADER = -1, RAFT_CONF_BUSY = -2, RAFT_CONF_EXISTS = -3, RAFT_CONF_UNKNOWN = -4,
    RAFT_CONF_FULL = -5, RAFT_CONF_LAST_VOTER = -6, RAFT_CONF_NOT_LEARNER = -7,
    RAFT_CONF_RETIRED = -8,      /* adding a removed id, or no room to retire one more */
};
int64_t raft_change(raft *r, int op, const cluster_member *m);
/* Leadership transfer (3.10): stops taking proposals, brings `id` (0: the
 * most up-to-date voter) up to date and sends it TIMEOUT_NOW. Gives up
 * after an election timeout. Returns the target, 0 if none or not leader. */
uint64_t raft_transfer_leader(raft *r, uint64_t id);
uint64_t raft_transferee(const raft *r);
/* The last transfer (or hand-over on self-removal) sent its TIMEOUT_NOW. */
int raft_transfer_sent(const raft *r);
/* Sends now what waits for the next tick (a hand-over's TIMEOUT_NOW): for
 * a node about to stop. */
void raft_flush(raft *r);
/* Starts an election at once (a one-voter cluster need not wait); not
 * while a leader was heard within an election timeout, save by a lone
 * voter (a leader's lease counts on this node's own vote too). */
void raft_campaign(raft *r);
/* The link to a peer broke: what was in flight to it is lost. */
void raft_peer_down(raft *r, uint64_t id);
/* Part of a large message from id arrived (see raft.c). */
void raft_peer_streaming(raft *r, uint64_t id);
/* The transfer of a snapshot to `id` failed: probe it again once it answers. */
void raft_snapshot_failed(raft *r, uint64_t id);
/* `id` received the whole image of `index` (and installed it or found it
 * had no news): replicate from there. */
void raft_snapshot_sent(raft *r, uint64_t id, uint64_t index);
/* The state machine is durable up to `upto` (<= what was handed out to
 * apply): forget the log up to there. Followers that need it get a snapshot. */
void raft_compact(raft *r, uint64_t upto);
/* Follower: steps a MSG_SNAPSHOT whose image the glue holds, verified.
 * Returns 0: not taken (stale, or nothing new): discard the image. 1: the
 * glue must now make the image its state machine (applied = m->index); the
 * log after it was kept. 2: the same, and the log was emptied: the durable
 * log must be reset to start at m->index+1 before anything queued after
 * this call is written. The acknowledgement goes out in msgs_after. */
int raft_install_snapshot(raft *r, const raft_msg *m);
/* The local log is durable up to index (for entries of the given term). */
void raft_persisted(raft *r, uint64_t index, uint64_t term);
/* Read barrier (dissertation 6.4): returns a round id, 0 if not leader.
 * When a ready's confirmed_round reaches that round, reads may be served
 * once the applied index reaches the read index returned here. Rounds
 * belong to one leadership: the caller must drop every round still waiting
 * when the leader or term changes (a new term's first heartbeats can carry
 * an old round number). */
uint64_t raft_read_index(raft *r, uint64_t *read_index);
/* A read forwarded by voter `from`, which was in `term` at some moment
 * after the read was invoked (it stamped the forwarded request with its
 * term): when this node is leader of that term and the quorum is two, the
 * two together rule out a newer leader, so no heartbeat round is needed.
 * Returns 1 and the read index (serve once applied reaches it), or 0: then
 * use raft_read_index. */
int raft_read_index_vouched(raft *r, uint64_t from, uint64_t term, uint64_t *read_index);

/* Leader lease (dissertation 6.4.1): when this node leads and has not
 * begun a hand-over this term (a TIMEOUT_NOW lets its target campaign
 * past the followers' lease), returns 1 and the index a read may be
 * served at once applied, with no round. The caller owns the clock: the
 * lease holds only until an election timeout, less a margin for clock
 * rates, after the send of a round a quorum confirmed, because each of
 * that quorum then refuses votes for an election timeout (4.2.3). */
int raft_read_index_lease(const raft *r, uint64_t *read_index);

typedef struct raft_ready {
    int hard_state_changed;       /* persist term and vote before sending */
    uint64_t term, vote;
    raft_entry *entries;          /* to append to the durable log, in order; truncate after entries[0].index-1 first */
    size_t nentries;
    raft_msg *msgs;               /* may be sent at once (leader's appends and heartbeats) */
    size_t nmsgs;
    raft_msg *msgs_after;         /* send only after this ready's hard state and entries are durable */
    size_t nmsgs_after;
    raft_entry *committed;        /* to apply, in order */
    size_t ncommitted;
    uint64_t confirmed_round;     /* highest read round confirmed by a quorum this term */
} raft_ready;

/* Fills rd with pointers (entries, messages and the entries they carry)
 * valid until the next call into r; marks it all taken. */
void raft_ready_get(raft *r, raft_ready *rd);

/* Introspection. */
int raft_role(const raft *r);
uint64_t raft_term(const raft *r);
uint64_t raft_leader(const raft *r);
uint64_t raft_commit_index(const raft *r);
uint64_t raft_last_index(const raft *r);
uint64_t raft_id(const raft *r);
/* Leader's view of a follower, for INFO raft; 0 if id is unknown. */
typedef struct raft_peer_info {
    uint64_t match, next;
    int inflight, probe, active;
    int voter;      /* else a learner, or departing */
    int departing;  /* removed; still told of its removal for a while */
    int snapshot;   /* appends wait for an image to land there */
} raft_peer_info;
int raft_peer(const raft *r, uint64_t id, raft_peer_info *out);
/* Every other node this one exchanges messages with (members, and on a
 * leader the departing ones); returns the count. */
int raft_peers(const raft *r, uint64_t *ids, int max);
/* The configuration in force (the latest in the log) and its entry's
 * index; conf_version changes whenever it or the peer set changes. */
const members *raft_members(const raft *r);
uint64_t raft_conf_index(const raft *r);
uint64_t raft_conf_version(const raft *r);
int raft_is_voter(const raft *r, uint64_t id);
typedef struct raft_stats {
    long long timeout_elections;   /* became candidate after an election timeout */
    long long transfer_elections;  /* became candidate on TIMEOUT_NOW */
    long long transfers;           /* leadership transfers started here */
    long long conf_changes;        /* configurations proposed here */
} raft_stats;
const raft_stats *raft_get_stats(const raft *r);
/* Entry at index (NULL if outside the log or compacted away); its data is
 * NULL when the cache let it go (see cache_bytes). */
const raft_entry *raft_entry_at(const raft *r, uint64_t index);
/* The entry cache: data bytes held, and entries read back by load(). */
size_t raft_cached_bytes(const raft *r);
uint64_t raft_loaded_entries(const raft *r);
/* The log holds entries after this point; its term. */
uint64_t raft_snapshot_index(const raft *r);
uint64_t raft_snapshot_term(const raft *r);
/* Term of index, 0 when unknown (compacted past or beyond the end). */
uint64_t raft_term_at(const raft *r, uint64_t index);
#endif
