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
 * it receives on the connections the others dialled. A connection starts
 * with a mutual challenge-response on the cluster secret:
 *
 *   dialler  -> HELLO      cluster id, its id, the id it dials, flags, nonce D
 *   listener -> CHALLENGE  cluster id, its id, the dialler's id, flags, nonce L,
 *                          proof L = HMAC-SHA256(secret, "RKVP-auth-v2" 'L' ids nonces)
 *   dialler  -> AUTH       proof D = HMAC-SHA256(secret, "RKVP-auth-v2" 'D' ids nonces)
 *
 * Both nonces are fresh random bytes, so a recorded handshake replays to
 * nothing; the direction byte keeps one side's proof from serving as the
 * other's. Each side checks the other's proof in constant time. The
 * listener drops a HELLO naming another cluster or another node (it takes
 * any sender id of its cluster: a member just added must be heard before
 * this node learns of the addition); the dialler drops a CHALLENGE from a
 * node other than the one it dialled. Either side that refuses says why in
 * a REFUSE frame, then closes. After the AUTH the dialler sends its frames;
 * nothing else ever comes back on a dialled connection but a REFUSE.
 *
 * The cluster id is an identifier (INFO raft shows it), never a credential.
 * Flags bit 0 says that the sender has a secret: two nodes without one (on
 * loopback only, see config_finish) still run the exchange with an empty
 * key; one with a secret and one without refuse each other, saying so.
 *
 * Before authentication a connection may carry the handshake only: at most
 * PEER_HANDSHAKE_BYTES, within PEER_HANDSHAKE_MS; a node holds at most
 * PEER_MAX_UNAUTH such inbound connections at once. A handshake that fails
 * for id X never touches the authenticated links of X.
 *
 * With tls-cluster (peer_set_tls) every connection is first a TLS session
 * (tls.h) with a certificate the CA signed on both sides, its handshake
 * under the same deadline and cap; all of the above then runs inside it,
 * unchanged.
 *
 * The codec and handshake functions are pure but for the nonces (tested and
 * fuzzed on their own); the rest runs on the libev loop. */
#ifndef RAFTKV_PEER_H
#define RAFTKV_PEER_H
#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "peerq.h"
#include "raft.h"
#include "resp.h"

#define PEER_MAGIC 0x50564b52u   /* "RKVP" read as little-endian */
#define PEER_VERSION 3   /* 2: the authenticated handshake; 3: frames in parts (peerq.h) */
#define PEER_HEADER 16
#define PEER_MAX_FRAME (1u << 30)
/* Inbound connections a node holds: members' links and a few more. When
 * full, the oldest one that has not authenticated makes room. */
#define PEER_MAX_INBOUND 64
/* Inbound connections not yet authenticated that a node holds at once;
 * newer ones are closed at once. */
#define PEER_MAX_UNAUTH 8
/* What a connection may send before it is authenticated, and how long it
 * has to complete the handshake. */
#define PEER_HANDSHAKE_BYTES 256
#define PEER_HANDSHAKE_MS 3000
#define PEER_NONCE 32
#define PEER_PROOF 32    /* HMAC-SHA256 */
#define PEER_SECRET_MAX 512

enum peer_frame_type {
    FR_HELLO = 1,          /* u64 cluster id, u64 from, u64 to, u8 flags, nonce */
    FR_RAFT = 2,           /* one raft_msg */
    FR_FORWARD = 3,        /* u64 client id, then a command as entry.h encodes it,
                            * its time field holding the sender's term when sent */
    FR_FORWARD_REPLY = 4,  /* u64 client id, then one RESP reply */
    FR_FORWARD_CLOSE = 5,  /* u64 client id: that client is gone */
    FR_SNAP = 6,           /* u64 transfer id, u64 leader term, u64 offset, u8 last, then
                            * the next bytes of a snapshot image (image.h) */
    FR_SNAP_ACK = 7,       /* u64 transfer id, u64 bytes received, u8 status
                            * (snap_status), u64 image index (when done) */
    FR_CHALLENGE = 8,      /* u64 cluster id, u64 from, u64 to, u8 flags, nonce, proof */
    FR_AUTH = 9,           /* proof */
    FR_REFUSE = 10,        /* u8 peer_refusal: the handshake is refused, and why */
    FR_PART = 11,          /* u8 lane, u32 length, then the next bytes of a larger frame
                            * (peerq.h) */
    FR_READ_INDEX = 12,    /* u64 request id, u64 the sender's term when sent: a follower
                            * asks the leader for a read index (reads.h) */
    FR_READ_INDEX_REPLY = 13,  /* u64 request id, u8 flags (READ_INDEX_*), u64 read index,
                                * u64 read time (ms) */
    FR_LAST = 13
};

#define PEER_HELLO_LEN (24 + 1 + PEER_NONCE)
#define PEER_CHALLENGE_LEN (24 + 1 + PEER_NONCE + PEER_PROOF)
#define PEER_FLAG_SECRET 1   /* the sender has a cluster secret */

/* Why a handshake was refused, as a REFUSE frame says it. */
enum peer_refusal {
    REFUSE_PROTOCOL = 1,   /* a frame out of the handshake's protocol */
    REFUSE_CLUSTER,        /* another cluster id */
    REFUSE_NODE,           /* not the node dialled, or an impossible id */
    REFUSE_NEED_SECRET,    /* the refuser has a secret; the other has none */
    REFUSE_NO_SECRET,      /* the refuser has no secret; the other has one */
    REFUSE_PROOF,          /* a proof that does not check: the secrets differ */
    REFUSE_LAST = REFUSE_PROOF
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
/* Its pieces: the fixed part, and an entry's header (its data follows). */
void peer_encode_raft_fixed(buf *b, const raft_msg *m);
void peer_encode_entry_head(buf *b, const raft_entry *e);
/* Decodes a FR_RAFT payload; m->entries is a malloc'd array whose data
 * points into p (free(m->entries) when done). 0, or -1 if malformed. */
int peer_decode_raft(const char *p, size_t n, raft_msg *m);

/* ---- the handshake (pure but for the nonces) ---- */
enum { HS_WAIT_HELLO = 1, HS_WAIT_CHALLENGE, HS_WAIT_AUTH, HS_DONE, HS_FAILED };

typedef struct peer_hs {
    int dialler;                 /* 1: this side dialled */
    int state;                   /* HS_* */
    uint64_t cluster_id, me;
    uint64_t peer;               /* dialler: the id dialled; listener: the id claimed (0 before the HELLO) */
    const unsigned char *secret; /* not owned; empty: none */
    size_t secret_len;
    unsigned char nonce_d[PEER_NONCE], nonce_l[PEER_NONCE];
    size_t taken;                /* handshake bytes taken so far */
    int refused;                 /* the peer_refusal this side sent or received (0: none) */
    int by_peer;                 /* 1: the other side refused */
} peer_hs;

/* A handshake about to start; dialler: peer is the id dialled. */
void peer_hs_init(peer_hs *hs, int dialler, uint64_t cluster_id, uint64_t me, uint64_t peer,
                  const unsigned char *secret, size_t secret_len);
/* The dialler's HELLO into out: 0, or -1 when no random bytes could be had. */
int peer_hs_hello(peer_hs *hs, buf *out);
/* Takes handshake frames from in (from in->pos), appending the answers
 * to out: 1 once authenticated (the bytes after the last handshake frame
 * stay in in), 0 when more bytes are needed, -1 with err when refused or
 * broken (out may then end with a REFUSE frame to send before closing).
 * Anything but the next handshake frame, or more than
 * PEER_HANDSHAKE_BYTES in all, fails it. */
int peer_hs_step(peer_hs *hs, buf *in, buf *out, char *err, size_t errlen);
/* What a REFUSE with this reason tells the side that receives it. */
const char *peer_refusal_text(int reason);

/* ---- connections ---- */
typedef struct peer_handler {
    void (*raft)(const raft_msg *m);
    /* link: the incoming connection it came on (never 0); payload: the
     * frame's joined parts argv lies in, whose bytes it may take (NULL for
     * a frame that came whole) */
    void (*forward)(uint64_t from, uint64_t link, uint64_t client_id, uint64_t term, int argc, rstr *argv,
                    buf *payload);
    void (*forward_reply)(uint64_t from, uint64_t client_id, buf *reply);  /* may take reply's bytes */
    void (*forward_close)(uint64_t from, uint64_t client_id);
    void (*down)(uint64_t id);  /* the connection to id was lost */
    /* a connection id dialled to us closed; link as forward() gave */
    void (*link_closed)(uint64_t id, uint64_t link);
    /* one authenticated (after any older one from id closed, before any
     * of its frames is handled) */
    void (*link_up)(uint64_t id);
    void (*snap)(uint64_t from, uint64_t xfer, uint64_t term, uint64_t offset, int last, const char *data, size_t len);
    void (*snap_ack)(uint64_t from, uint64_t xfer, uint64_t offset, int status, uint64_t index);
    /* bytes of a frame from `from` arrived, the frame not yet whole */
    void (*streaming)(uint64_t from);
    void (*read_index)(uint64_t from, uint64_t id, uint64_t term);
    void (*read_index_reply)(uint64_t from, uint64_t id, int flags, uint64_t index, uint64_t time_ms);
} peer_handler;

/* -1 when it cannot listen on port (0: do not listen); the module is
 * usable either way: it can still dial. secret: the cluster secret ("":
 * none), copied. */
int peer_init(struct ev_loop *loop, uint64_t cluster_id, uint64_t my_id, const char *bind, int port,
              const char *secret, const peer_handler *h);
void peer_add(uint64_t id, const char *host, int port);
int peer_known(uint64_t id);  /* added and not removed */
/* A dialled connection whose peer's host answers nothing (its bytes, its
 * window probes or its SYN unacknowledged) for ms is closed and dialled
 * again; one whose peer is alive but does not read keeps going, up to 30 s
 * with a closed window (0, the default: the kernel's own timeouts, which
 * can take minutes). Set after peer_init(), before peer_add(). */
void peer_set_link_timeout(unsigned ms);
/* tls-cluster: every connection, dialled or accepted, runs over TLS
 * (tls.h, whose contexts must be configured) with a certificate the CA
 * signed required of both sides; the handshake below runs inside it, as
 * on a plain link. Set before peer_add(). */
void peer_set_tls(int on);
/* Stops dialling id and closes the connection to it. */
void peer_remove(uint64_t id);
void peer_shutdown(void);
/* Our link to id is up (we can send to it). */
int peer_connected(uint64_t id);
/* Links both ways are up: id can also answer us (it answers on the link
 * it dialled, so a request sent without that link may never be). */
int peer_linked(uint64_t id);
/* Closes the authenticated connections with id, as a network fault would
 * (DEBUG DROP-PEER-LINKS, for tests): the one this node dialled
 * (PEER_LINK_OUT), those id dialled (PEER_LINK_IN), or both; they are
 * dialled again as after any break. How many were closed. */
enum { PEER_LINK_OUT = 1, PEER_LINK_IN = 2 };
int peer_drop_links(uint64_t id, int which);
/* Queue a frame for id; -1 when not connected (nothing was queued). */
int peer_send_raft(const raft_msg *m);
/* 1 when the link to id would drop an append now: none is up, or its
 * Raft lane is far behind (the append the caller then drops counts as
 * dropped: ask once per append). Never closes a link. */
int peer_raft_congested(uint64_t id);
/* *link: the link it went on; *end: where the frame ends in the bytes
 * ever queued on that link (0: not known, as for a frame framed in parts
 * or a TLS link). Once the link is down, a frame past
 * peer_sent_before_down() never left this node. */
int peer_send_forward(uint64_t to, uint64_t client_id, uint64_t term, int argc, const rstr *argv, uint64_t *link,
                      uint64_t *end);
/* The connections id dialled to us are closed at the next peer_flush(),
 * and nothing more is read from them meanwhile: frames still on their
 * way there (in a partition, sent before id knew of it) are never
 * handled. */
void peer_doom_links_from(uint64_t id);
/* The bytes our last dialled link to id (*link) wrote to its socket
 * before it closed (UINT64_MAX: not known). */
uint64_t peer_sent_before_down(uint64_t id, uint64_t *link);
/* Takes reply's bytes (reply is left empty when they were queued). */
int peer_send_forward_reply(uint64_t to, uint64_t client_id, buf *reply);
int peer_send_forward_close(uint64_t to, uint64_t client_id);
int peer_send_snap(uint64_t to, uint64_t xfer, uint64_t term, uint64_t offset, int last, const char *data, size_t len);
int peer_send_snap_ack(uint64_t to, uint64_t xfer, uint64_t offset, int status, uint64_t index);
int peer_send_read_index(uint64_t to, uint64_t id, uint64_t term);
/* flags: READ_INDEX_OK (else refused: ask again), READ_INDEX_OPEN (the
 * leader lets a client in without AUTH: auth_default_open) */
enum { READ_INDEX_OK = 1, READ_INDEX_OPEN = 2 };
int peer_send_read_index_reply(uint64_t to, uint64_t id, int flags, uint64_t index, uint64_t time_ms);
/* Writes queued frames (once per loop iteration). */
void peer_flush(void);
/* Monotonic ms of the last frame received from id (0: never). */
uint64_t peer_last_rx(uint64_t id);
long long peer_bad_frames(void);
/* Appends with entries not queued to a peer whose Raft lane was far
 * behind, and those the core dropped before reading them back. */
long long peer_dropped_appends(void);
/* An append the Raft core dropped itself, the link being congested (peer_raft_congested). */
void peer_count_dropped_append(void);
/* Connections closed before they authenticated: handshakes refused (either
 * way), broken or too slow, and connections over PEER_MAX_UNAUTH. */
long long peer_auth_failures(void);
#endif
