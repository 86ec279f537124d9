/* peerq: peer frames too large to copy at once, sent and received in
 * parts (pure: no sockets, no clock).
 *
 * A frame whose payload passes PEER_PART bytes travels as FR_PART frames
 *     u8 lane | u32 the whole payload's length | its next bytes
 * followed by the frame of its own type with the last bytes; the receiver
 * joins them into the one payload. A frame waiting in the queue holds its
 * bytes by reference where it can (the Raft log's blobs, a moved reply),
 * so a 100 MB entry is neither copied nor checksummed in one go: the
 * sender frames a part at a time as the link drains (peerq_feed), each
 * part checksummed on its own.
 *
 * Two lanes, each in order: the Raft lane (FR_RAFT, FR_SNAP, FR_SNAP_ACK,
 * the read index's two)
 * and the client lane (forwarded commands, replies and closes). Their
 * parts interleave, so a heartbeat never waits behind a large forwarded
 * reply, only behind a part of it; within a lane nothing passes a frame
 * that is under way. */
#ifndef RAFTKV_PEERQ_H
#define RAFTKV_PEERQ_H
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "raft.h"

#define PEER_PART (256u << 10)
enum { LANE_RAFT = 0, LANE_CLIENT = 1, PEER_LANES = 2 };
/* The lane of a frame type; -1 for the handshake's. */
int peer_lane(int type);

typedef struct peerq_seg {
    const char *p;
    size_t len;
} peerq_seg;

typedef struct peerq_frame {
    int type;
    size_t total, sent;      /* the payload's length, and how much of it went */
    buf own;                 /* bytes the frame owns (segments may point into it) */
    char *data;              /* a moved reply's allocation, freed with the frame */
    const char **blobs;      /* references held (blob.h) */
    int nblobs;
    peerq_seg *segs;
    int nsegs, cur;          /* the segment being sent ... */
    size_t off;              /* ... and how far into it */
    struct peerq_frame *next;
} peerq_frame;

typedef struct peerq {
    peerq_frame *head[PEER_LANES], *tail[PEER_LANES];
    uint64_t lane_bytes[PEER_LANES];  /* each lane's payload bytes not yet framed */
    int turn;                /* the lane the next part comes from when both wait */
} peerq;

void peerq_init(peerq *q);
/* Payload bytes not yet framed, of both lanes. */
static inline uint64_t peerq_bytes(const peerq *q) { return q->lane_bytes[LANE_RAFT] + q->lane_bytes[LANE_CLIENT]; }
void peerq_free(peerq *q);
/* Frames of this lane wait: a new one must queue behind them. */
int peerq_busy(const peerq *q, int lane);
/* Queues an FR_RAFT frame of m, holding a reference to each entry's data,
 * which must be blobs (the core's log). */
void peerq_push_raft(peerq *q, const raft_msg *m);
/* Queues a frame whose payload is head[0..hlen) (copied), then body's
 * unread bytes (taken: body is left empty; may be NULL), then blob[0..
 * bloblen) (its reference taken; may be NULL). */
void peerq_push(peerq *q, int type, const char *head, size_t hlen, buf *body, char *blob, size_t bloblen);
/* Frames what waits into out, a part at a time, while out holds less
 * than upto bytes; 1 if frames still wait. */
int peerq_feed(peerq *q, buf *out, size_t upto);

/* The receiving side: one payload being joined per lane. */
typedef struct peer_parts {
    buf b[PEER_LANES];
    size_t total[PEER_LANES];
    int joined[PEER_LANES];  /* b holds a joined payload, freed at the next take */
} peer_parts;

void peer_parts_init(peer_parts *pp);
void peer_parts_free(peer_parts *pp);
/* Takes a frame as peer_frame_next() gave it. 0: a part, kept (more to
 * come); 1: *p and *n are a whole payload of type *type: the frame itself,
 * or the parts it ends, joined (then in pp, valid until the next call;
 * peer_parts_take_buf() may take them); -1 with err when the parts break
 * the rules (a lane that is not, lengths that disagree, a frame of
 * another lane's type ending them). */
int peer_parts_take(peer_parts *pp, int *type, const char **p, size_t *n, char *err, size_t errlen);
/* After a 1 from peer_parts_take() that joined parts: moves the joined
 * payload into out (a buf whose unread bytes are the payload), so a large
 * reply goes on without a copy; 0 if the last payload was not joined. */
int peer_parts_take_buf(peer_parts *pp, int type, buf *out);
#endif
