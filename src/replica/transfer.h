/* transfer: moving a snapshot image (image.h) from the leader to a follower
 * that needs entries the leader compacted away (Raft's InstallSnapshot).
 *
 * Sender: when the core asks (MSG_SNAPSHOT), a point-in-time view of the
 * state machine (a LevelDB snapshot: applies go on meanwhile) is encoded
 * and streamed in FR_SNAP chunks of TRANSFER_CHUNK bytes, at most
 * TRANSFER_WINDOW bytes unacknowledged, so neither side holds more than
 * that much of the image (plus one record) in memory. One transfer per
 * follower; a broken link, a stall or a refusal ends it and the core
 * probes the follower again later, which restarts it from the beginning.
 *
 * Receiver: builds the next state machine generation beside the live one
 * as chunks arrive, checks the image (crc, record count, cluster id) at the
 * end, lets the core decide (raft_install_snapshot), then switches to it
 * durably. A transfer that breaks off leaves only a directory the next
 * attempt, or the next start, deletes. */
#ifndef RAFTKV_TRANSFER_H
#define RAFTKV_TRANSFER_H
#include <ev.h>
#include <stdint.h>
#include "buf.h"
#include "store.h"
#include "raft.h"

#define TRANSFER_CHUNK (256u << 10)
#define TRANSFER_WINDOW (4u << 20)
#define TRANSFER_STALL_MS 30000

/* how: what raft_install_snapshot returned (1 or 2). */
typedef void (*transfer_installed_fn)(uint64_t index, int how);

void transfer_init(struct ev_loop *loop, raft *r, store *f, uint64_t cluster_id, uint64_t my_id, const char *members,
                   transfer_installed_fn installed);
void transfer_shutdown(void);
/* Leader: the core asked for an image for `to` (a running one goes on). */
void transfer_start(uint64_t to, uint64_t term);
/* Ends every outgoing transfer (leadership lost). */
void transfer_stop_sending(void);
/* The link to id broke: transfers both ways with it end. */
void transfer_peer_down(uint64_t id);
/* Lowest image index being sent (the leader keeps the log after it), or UINT64_MAX. */
uint64_t transfer_floor(void);
/* Frames from peer.c. */
void transfer_on_chunk(uint64_t from, uint64_t xfer, uint64_t term, uint64_t offset, int last, const char *data,
                       size_t len);
void transfer_on_ack(uint64_t from, uint64_t xfer, uint64_t offset, int status, uint64_t index);
/* INFO raft fields. */
void transfer_info(buf *b);
#endif
