/* reads: the linearizable read path. A keyed read waits in a slot for a
 * ReadIndex barrier: reads queued since the last round share the next
 * one (reads_start), and run once it is confirmed and the index it needs
 * is applied (reads_serve). A proxy's read, vouched for by its follower's
 * term, skips the round.
 *
 * A follower (with follower-reads, the default) serves reads itself: the
 * reads queued since its last request share one FR_READ_INDEX to the
 * leader, stamped with the follower's term. The leader answers with a
 * read index -- at once when the vouched rule holds (raft.h: the quorum is
 * two), else once a barrier round confirms its leadership -- and its read
 * time. The follower runs the reads once it has applied that index, at
 * the later of that time and its latest committed entry's: never behind
 * an entry it applied, never past a time the leader may serve later. So
 * the leader does one small exchange per batch of a follower's reads
 * instead of running them. A refused request, or a new leader, makes the
 * reads ask again; an answered one keeps its index (the leader confirmed
 * it then). A client this node does not vouch for to the leader (no
 * password here: forward.h) is refused as the leader would refuse it,
 * NOAUTH unless the leader lets such clients in (READ_INDEX_OPEN). A
 * client's reads go to the leader instead, as before, while any of its
 * requests is forwarded (it must see their effects), or while this node
 * lags (a full disk, or more than FOLLOWER_READ_LAG entries committed and
 * not applied); its writes wait for its reads (dispatch.c).
 *
 * A read of a CMD_SLICED command (KEYS) takes its point-in-time view then and runs a slice per loop iteration
 * (reads_serve_slices), so a large keyspace never holds the loop; one
 * that touches a large value runs on the fetch thread (fetch.h). A
 * barrier belongs to one term of one leader: reads_fail_all drops them. */
#ifndef RAFTKV_READS_H
#define RAFTKV_READS_H
#include "client.h"
#include "slot.h"

#define FOLLOWER_READ_LAG 10000

void reads_init(void);
void reads_free(void);
/* Queues the parsed read (the command moves out of the parser). */
void reads_queue(client *c);
/* Queues the parsed write (a CMD_PROBE command, on the leader) as a read:
 * served at a confirmed point in time, its handler (x->probing) answers
 * if the write would change nothing there -- a write that changes
 * nothing is a read, linearizable at that point -- and else the slot is
 * proposed as the write, in its place in the client's order (the client's
 * later requests wait for the probe: client.probing). Redis likewise
 * logs nothing for such a write. */
void reads_queue_probe(client *c);
/* Runs the parsed request on the fetch thread now, over this node's state
 * as it is, no barrier (DEBUG DIGEST); 0 when it cannot (this node's
 * applier is parked: the loop owns the store), and nothing is taken. */
int reads_fetch_now(client *c);
/* One barrier round for every read queued since the last one. */
void reads_start(void);
/* Runs the reads whose barrier is confirmed and whose index is applied. */
void reads_serve(void);
/* A slice of every sliced read. */
void reads_serve_slices(void);
/* The leader changed: the reads waiting for a barrier round, and the
 * proxies', fail; a follower's ask again. */
void reads_fail_all(void);
typedef struct reads_stats {
    long long follower_reads;       /* reads this node served with a read index from the leader */
    long long index_requests;       /* FR_READ_INDEX requests this node answered as leader */
    long long lease_reads;          /* reads this node served as leader under its lease, no round */
    long long probes_answered;      /* writes tried as reads that changed nothing: no log entry (write-probes) */
    long long probes_proposed;      /* ... that would change something: proposed */
} reads_stats;
const reads_stats *reads_stats_get(void);
void reads_stats_reset(void);
/* FR_READ_INDEX from a follower; the leader's answer to this node's. */
void reads_on_index_request(uint64_t from, uint64_t id, uint64_t term);
void reads_on_index_reply(uint64_t from, uint64_t id, int flags, uint64_t index, uint64_t time_ms);
/* A SLOT_READ, SLOT_SLICED or SLOT_FETCH slot no longer waits. */
void reads_detach(slot *s);
#endif
