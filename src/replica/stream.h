/* stream: moving a snapshot image (image.h) from the leader to a follower
 * that needs entries the leader compacted away (Raft's InstallSnapshot);
 * the image side of the replica's transport port.
 *
 * Sender: when the core asks (MSG_SNAPSHOT), a point-in-time view of the
 * state machine (a LevelDB snapshot: applies go on meanwhile) is encoded
 * and streamed in FR_SNAP chunks of STREAM_CHUNK bytes, at most
 * STREAM_WINDOW bytes unacknowledged, so neither side holds more than
 * that much of the image (plus one record) in memory; at most
 * STREAM_BURST (stream.c) encoded and sent per loop iteration, shared by
 * every transfer, so a start or resume never holds the loop. One transfer per
 * follower. A broken link pauses it (the core hears it failed, and probes):
 * the view and the unacknowledged bytes are kept, and when the core asks
 * for an image for that follower again in the same term, the transfer
 * resumes from the last acknowledged byte. A stall (no acknowledgement
 * for STREAM_STALL_MS, paused or not), a refusal or a new term ends it;
 * the next one starts from the beginning.
 * One the core no longer waits for (a heartbeat showed the image landed,
 * its final acknowledgement lost) ends within a second, freeing its view.
 *
 * Receiver: builds the next state machine generation beside the live one
 * as chunks arrive, checks the image (crc, record count, cluster id) at the
 * end, lets the replica decide (replica_install), which has it switched
 * to durably. It keeps a transfer across a broken link, skipping resent
 * bytes it has, until STREAM_STALL_MS pass without a chunk. A transfer
 * that ends unfinished leaves only a directory the next attempt, or the
 * next start, deletes. */
#ifndef RAFTKV_STREAM_H
#define RAFTKV_STREAM_H
#include <ev.h>
#include <stdint.h>
#include "buf.h"
#include "replica.h"
#include "store.h"

#define STREAM_CHUNK (256u << 10)
#define STREAM_WINDOW (4u << 20)
#define STREAM_STALL_MS 30000

typedef struct applier applier;
/* f: the store (its views are sent, images are built beside it); ap
 * applies to it, and is held while an image replaces it. */
void stream_init(struct ev_loop *loop, store *f, applier *ap, uint64_t cluster_id, uint64_t my_id,
                 const char *members);
/* The replica told of outcomes and asked about images. */
void stream_attach(replica *rep);
void stream_shutdown(void);
/* Leader: the core asked for an image for `to` (a running one goes on). */
void stream_start(uint64_t to, uint64_t term);
/* Ends every outgoing transfer (leadership lost). */
void stream_stop_sending(void);
/* The link to id broke: transfers both ways with it end. */
void stream_peer_down(uint64_t id);
/* Lowest image index being sent (the leader keeps the log after it), or UINT64_MAX. */
uint64_t stream_floor(void);
/* Frames from peer.c. */
void stream_on_chunk(uint64_t from, uint64_t xfer, uint64_t term, uint64_t offset, int last, const char *data,
                     size_t len);
void stream_on_ack(uint64_t from, uint64_t xfer, uint64_t offset, int status, uint64_t index);
/* INFO raft fields. */
void stream_info(buf *b);
#endif
