/* peer: the binary protocol between cluster members, and its connections.
 *
 * Every frame is a 16-byte header and a payload (little-endian):
 *     u32 magic "RKVP" | u8 version | u8 type | u16 zero | u32 len | u32 crc
 * crc is zlib's crc32 over the first 12 header bytes and the payload. A
 * frame with a wrong magic, version, type, length or crc, or one that is
 * out of protocol (anything before the handshake, a message not addressed
 * to this node), closes its connection with a log line; nothing else.
 *
 * Each node dials every other member and sends on that connection only;
 * it receives on the connections the others dialled. The dialler opens
 * with a HELLO carrying the cluster id, its own id and the id it expects to
 * reach; the listener drops a connection whose HELLO names another cluster
 * or another node. (It takes any sender id of its cluster: a member just
 * added must be heard before this node learns of the addition.)
 *
 * The codec functions are pure (tested and fuzzed on their own); the rest
 * runs on the libev loop. */
#ifndef RAFTKV_PEER_H
#define RAFTKV_PEER_H
#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "raft.h"
#include "resp.h"

#define PEER_MAGIC 0x50564b52u   /* "RKVP" read as little-endian */
#define PEER_VERSION 1
#define PEER_HEADER 16
#define PEER_MAX_FRAME (1u << 30)
/* Inbound connections a node holds: members' links and a few more. When
 * full, the oldest one that has not said who it is makes room. */
#define PEER_MAX_INBOUND 64

enum peer_frame_type {
    FR_HELLO = 1,          /* u64 cluster id, u64 from, u64 to */
    FR_RAFT = 2,           /* one raft_msg */
    FR_FORWARD = 3,        /* u64 client id, then a command as entry.h encodes it,
                            * its time field holding the sender's term when sent */
    FR_FORWARD_REPLY = 4,  /* u64 client id, then one RESP reply */
    FR_FORWARD_CLOSE = 5,  /* u64 client id: that client is gone */
    FR_SNAP = 6,           /* u64 transfer id, u64 leader term, u64 offset, u8 last, then
                            * the next bytes of a snapshot image (image.h) */
    FR_SNAP_ACK = 7,       /* u64 transfer id, u64 bytes received, u8 status
                            * (snap_status), u64 image index (when done) */
    FR_LAST = 7
};

enum snap_status { SNAP_PROGRESS = 0, SNAP_DONE = 1, SNAP_FAILED = 2 };

/* ---- codec (pure) ---- */
/* Starts a frame in b; returns its offset for peer_frame_end(). */
size_t peer_frame_begin(buf *b, int type);
void peer_frame_end(buf *b, size_t start);
/* One frame from in (from in->pos): 1 and the payload (pointing into in,
 * consumed), 0 when more bytes are needed, -1 with err on a bad frame. */
int peer_frame_next(buf *in, int *type, const char **payload, size_t *len, char *err, size_t errlen);
void peer_encode_raft(buf *b, const raft_msg *m);
/* Decodes a FR_RAFT payload; m->entries is a malloc'd array whose data
 * points into p (free(m->entries) when done). 0, or -1 if malformed. */
int peer_decode_raft(const char *p, size_t n, raft_msg *m);

/* ---- connections ---- */
typedef struct peer_handler {
    void (*raft)(const raft_msg *m);
    /* link: the incoming connection it came on (never 0) */
    void (*forward)(uint64_t from, uint64_t link, uint64_t client_id, uint64_t term, int argc, rstr *argv);
    void (*forward_reply)(uint64_t from, uint64_t client_id, const char *reply, size_t len);
    void (*forward_close)(uint64_t from, uint64_t client_id);
    void (*down)(uint64_t id);  /* the connection to id was lost */
    /* a connection id dialled to us closed; link as forward() gave */
    void (*link_closed)(uint64_t id, uint64_t link);
    void (*snap)(uint64_t from, uint64_t xfer, uint64_t term, uint64_t offset, int last, const char *data, size_t len);
    void (*snap_ack)(uint64_t from, uint64_t xfer, uint64_t offset, int status, uint64_t index);
} peer_handler;

/* -1 when it cannot listen on port (0: do not listen); the module is
 * usable either way: it can still dial. */
int peer_init(struct ev_loop *loop, uint64_t cluster_id, uint64_t my_id, const char *bind, int port,
              const peer_handler *h);
void peer_add(uint64_t id, const char *host, int port);
int peer_known(uint64_t id);  /* added and not removed */
/* A dialled connection that cannot get its bytes (or its SYN) acknowledged
 * for ms is closed and dialled again (0, the default: the kernel's own
 * timeouts, which can take minutes). Set before peer_add(). */
void peer_set_link_timeout(unsigned ms);
/* Stops dialling id and closes the connection to it. */
void peer_remove(uint64_t id);
void peer_shutdown(void);
int peer_connected(uint64_t id);
/* Queue a frame for id; -1 when not connected (nothing was queued). */
int peer_send_raft(const raft_msg *m);
int peer_send_forward(uint64_t to, uint64_t client_id, uint64_t term, int argc, const rstr *argv);
int peer_send_forward_reply(uint64_t to, uint64_t client_id, const char *reply, size_t len);
int peer_send_forward_close(uint64_t to, uint64_t client_id);
int peer_send_snap(uint64_t to, uint64_t xfer, uint64_t term, uint64_t offset, int last, const char *data, size_t len);
int peer_send_snap_ack(uint64_t to, uint64_t xfer, uint64_t offset, int status, uint64_t index);
/* Writes queued frames (once per loop iteration). */
void peer_flush(void);
/* Monotonic ms of the last frame received from id (0: never). */
uint64_t peer_last_rx(uint64_t id);
long long peer_bad_frames(void);
#endif
