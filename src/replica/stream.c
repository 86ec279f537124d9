#include "stream.h"
#include "applier.h"
#include "replica.h"
#include "image.h"
#include "log.h"
#include "peer.h"
#include <stdlib.h>
#include <string.h>

typedef struct outgoing {
    uint64_t to, id, term;     /* to == 0: slot free */
    uint64_t index, img_term, keys;
    store_view *view;
    img_enc enc;
    buf held;                  /* the image's bytes [acked, sent): sent, not yet acknowledged */
    uint64_t sent, acked;      /* encoded (to be sent); acknowledged */
    uint64_t pushed;           /* handed to the link, since the start or the last resume */
    int eof, paused;           /* paused: the link broke; the follower may still hold [0, acked) */
    unsigned long long started, last_ack;
} outgoing;

typedef struct incoming {
    uint64_t from, id, term;   /* from == 0: none */
    uint64_t received;
    unsigned long long last_chunk;
    img_dec *dec;
    store_build *build;
    char *err;                 /* a record could not be written */
    unsigned long long started;
} incoming;

static struct {
    struct ev_loop *loop;
    replica *rep;
    store *f;
    applier *ap;
    uint64_t cluster_id, my_id, next_id;
    char *members;
    outgoing out[RAFT_MAX_NODES * 2];  /* members and departing ones */
    incoming in;
    ev_timer stall;
    ev_idle more;              /* a transfer waits for the next iteration's burst */
    int more_first;            /* the transfer more_cb() serves first */
    unsigned burst_iter;       /* the loop iteration burst_used counts */
    size_t burst_used;
    long long sent_ok, sent_failed, received_ok, received_failed, resumed;
    unsigned long long bytes_sent, bytes_received;
} S;
#define NOUT (int)(sizeof(S.out) / sizeof(S.out[0]))

/* ---- sending ---- */

static void out_end(outgoing *o, int ok, const char *why) {
    if (!o->to) return;
    unsigned long long ms = mono_ms() - o->started;
    if (ok) {
        S.sent_ok++;
        logmsg(LL_NOTICE, "Snapshot at index %llu (%llu keys, %llu bytes) sent to node %llu in %llu ms",
               (unsigned long long)o->index, (unsigned long long)o->keys, (unsigned long long)o->sent,
               (unsigned long long)o->to, ms);
    } else {
        S.sent_failed++;
        logmsg(LL_WARNING, "Snapshot transfer to node %llu stopped after %llu bytes: %s", (unsigned long long)o->to,
               (unsigned long long)o->sent, why);
    }
    store_view_free(o->view);
    buf_free(&o->held);
    memset(o, 0, sizeof(*o));
}

static void out_fail(outgoing *o, const char *why) {
    uint64_t to = o->to;
    out_end(o, 0, why);
    replica_image_failed(S.rep, to);
}

/* The link broke: the core hears the transfer failed and asks for an
 * image again once the follower answers; meanwhile the transfer waits,
 * its view and unacknowledged bytes kept, and stream_start resumes it
 * (unless the stall timeout ends it first). */
static void out_pause(outgoing *o, const char *why) {
    if (o->paused) return;
    logmsg(LL_NOTICE, "Snapshot transfer to node %llu paused after %llu bytes acknowledged: %s",
           (unsigned long long)o->to, (unsigned long long)o->acked, why);
    o->paused = 1;
    replica_image_failed(S.rep, o->to);
}

/* Appends one chunk's worth from the view to held (from start on); the
 * last one carries the trailer. */
static void fill_chunk(outgoing *o, size_t start) {
    const char *k, *v;
    size_t kl, vl;
    while (o->held.len - start < STREAM_CHUNK) {
        int r = store_view_next(o->view, &k, &kl, &v, &vl);
        if (!r) {
            img_enc_end(&o->enc, &o->held);
            o->eof = 1;
            return;
        }
        if ((r == 2 ? img_enc_elem : img_enc_record)(&o->enc, &o->held, k, kl, v, vl) < 0) {
            /* a value over the format's limit cannot exist: writes are capped lower */
            logmsg(LL_WARNING, "Key of %zu bytes with a value of %zu bytes does not fit a snapshot image", kl, vl);
            abort();
        }
    }
}

/* The bytes one loop iteration encodes plus those it hands to links, at
 * most, for all transfers: filling a 4 MB window at once (a start, a
 * resume, a read of many acknowledgements) held an ASan build's loop
 * 80-175 ms, past a heartbeat. What is left waits for the next iteration
 * (S.more). */
#define STREAM_BURST (1u << 20)

/* Bytes of this iteration's burst left. */
static size_t burst_left(void) {
    unsigned it = ev_iteration(S.loop);
    if (it != S.burst_iter) S.burst_iter = it, S.burst_used = 0;
    return S.burst_used < STREAM_BURST ? STREAM_BURST - S.burst_used : 0;
}

/* Hands held's bytes [pushed, sent) to the link in chunks while the
 * burst lasts: new ones, or after a resume those the broken link may
 * have lost (the follower skips what it has). */
static int push(outgoing *o) {
    while (o->pushed < o->sent && burst_left()) {
        size_t n = o->sent - o->pushed < STREAM_CHUNK ? (size_t)(o->sent - o->pushed) : STREAM_CHUNK;
        const char *p = o->held.data + o->held.pos + (o->pushed - o->acked);
        int last = o->eof && o->pushed + n == o->sent;
        if (peer_send_snap(o->to, o->id, o->term, o->pushed, last, p, n) < 0) return -1;
        o->pushed += n;
        S.bytes_sent += n;
        S.burst_used += n;
    }
    if (o->pushed < o->sent) ev_idle_start(S.loop, &S.more);
    return 0;
}

/* Encodes and sends while the window has room and this iteration's burst lasts. */
static void send_window(outgoing *o) {
    if (!o->to || o->paused || !S.loop) return;
    for (;;) {
        if (push(o) < 0) { out_pause(o, "the link is down"); return; }
        if (o->eof || o->sent - o->acked >= STREAM_WINDOW) return;
        if (!burst_left()) { ev_idle_start(S.loop, &S.more); return; }
        size_t start = o->held.len;
        if (!o->sent) {  /* the header travels with the first records */
            const char *conf = store_view_conf(o->view) ? store_view_conf(o->view) : S.members;
            const char *acl = store_view_acl(o->view);
            char dels[STORE_DELS_BYTES];
            store_view_dels(o->view, dels);
            img_header h = {o->index, o->img_term, S.cluster_id, (char *)conf, strlen(conf), (char *)acl,
                            acl ? strlen(acl) : 0, store_view_time(o->view), dels, sizeof(dels), 0};
            if (img_enc_begin(&o->enc, &o->held, &h) < 0) {  /* over the format's limits: cannot happen (apply caps them) */
                out_fail(o, "the image header is over its limits");
                return;
            }
        }
        fill_chunk(o, start);
        o->sent += o->held.len - start;
        S.burst_used += o->held.len - start;
    }
}

/* The next iteration: transfers the burst stopped go on, each in turn
 * first. */
static void more_cb(struct ev_loop *loop, ev_idle *w, int revents) {
    (void)revents;
    ev_idle_stop(loop, w);
    S.more_first = (S.more_first + 1) % NOUT;
    for (int i = 0; i < NOUT; i++) send_window(&S.out[(S.more_first + i) % NOUT]);
}

/* A paused transfer goes on where the follower's acknowledgements left it. */
static void out_resume(outgoing *o) {
    o->paused = 0;
    o->pushed = o->acked;
    o->last_ack = mono_ms();
    S.resumed++;
    logmsg(LL_NOTICE, "Snapshot transfer to node %llu resumed at byte %llu of the image at index %llu",
           (unsigned long long)o->to, (unsigned long long)o->acked, (unsigned long long)o->index);
    send_window(o);
}

static outgoing *find_out(uint64_t to) {
    for (int i = 0; i < NOUT; i++)
        if (S.out[i].to == to) return &S.out[i];
    return NULL;
}

void stream_start(uint64_t to, uint64_t term) {
    outgoing *o = find_out(to);
    if (o && !o->paused) return;  /* one at a time per follower */
    if (o && o->term == term) {
        if (peer_connected(to)) out_resume(o);
        else replica_image_failed(S.rep, to);  /* still down: the core asks again once the follower answers */
        return;
    }
    if (o) out_end(o, 0, "superseded by a transfer in a new term");
    o = find_out(0);
    if (!o) { replica_image_failed(S.rep, to); return; }
    if (!peer_connected(to)) { replica_image_failed(S.rep, to); return; }
    memset(o, 0, sizeof(*o));
    o->view = store_view_new(S.f, &o->index, &o->img_term, &o->keys);
    if (!o->view) { replica_image_failed(S.rep, to); return; }
    store_view_elements(o->view);
    o->to = to;
    o->id = ++S.next_id;
    o->term = term;
    o->started = o->last_ack = mono_ms();
    buf_init(&o->held);
    logmsg(LL_NOTICE, "Node %llu needs entries compacted away: sending it a snapshot at index %llu (%llu keys)",
           (unsigned long long)to, (unsigned long long)o->index, (unsigned long long)o->keys);
    send_window(o);
}

void stream_on_ack(uint64_t from, uint64_t xfer, uint64_t offset, int status, uint64_t index) {
    outgoing *o = find_out(from);
    if (!o || o->id != xfer) return;  /* an earlier transfer's: ignore */
    o->last_ack = mono_ms();
    if (status == SNAP_FAILED) { out_fail(o, "the follower could not take it"); return; }
    if (offset > o->sent) { out_fail(o, "acknowledgement beyond what was sent"); return; }
    if (offset > o->acked) {
        o->held.pos += (size_t)(offset - o->acked);
        o->acked = offset;
        if (o->pushed < o->acked) o->pushed = o->acked;  /* the follower had more than it could acknowledge */
        if (o->held.pos >= STREAM_WINDOW) buf_compact(&o->held);
    }
    if (status == SNAP_DONE) {
        out_end(o, 1, NULL);
        replica_image_sent(S.rep, from, index);
        return;
    }
    send_window(o);
}

void stream_stop_sending(void) {
    for (int i = 0; i < NOUT; i++) out_end(&S.out[i], 0, "this node is no longer the leader");
}

uint64_t stream_floor(void) {
    uint64_t lo = UINT64_MAX;
    for (int i = 0; i < NOUT; i++)
        if (S.out[i].to && S.out[i].index < lo) lo = S.out[i].index;
    return lo;
}

/* ---- receiving ---- */

static void in_end(int ok, const char *why) {
    incoming *in = &S.in;
    if (!in->from) return;
    if (!ok) {
        S.received_failed++;
        logmsg(LL_WARNING, "Snapshot from node %llu abandoned after %llu bytes: %s", (unsigned long long)in->from,
               (unsigned long long)in->received, why);
    }
    store_build_abort(in->build);
    img_dec_free(in->dec);
    free(in->err);
    memset(in, 0, sizeof(*in));
}

static void in_fail(const char *why) {
    incoming *in = &S.in;
    uint64_t from = in->from, id = in->id, got = in->received;
    in_end(0, why);
    peer_send_snap_ack(from, id, got, SNAP_FAILED, 0);
}

static int on_header(void *ctx, const img_header *h) {
    (void)ctx;
    if (h->cluster_id == S.cluster_id && h->index) return 0;
    S.in.err = xstrndup("the image belongs to another cluster", 36);
    return 1;
}

static int on_record(void *ctx, const char *k, size_t kl, const char *v, size_t vl) {
    (void)ctx;
    return store_build_put(S.f, S.in.build, k, kl, v, vl, img_dec_header(S.in.dec)->plain_values, &S.in.err);
}

static int on_elem(void *ctx, const char *sub, size_t sl, const char *v, size_t vl) {
    (void)ctx;
    return store_build_elem(S.f, S.in.build, sub, sl, v, vl, &S.in.err);
}

static void in_begin(uint64_t from, uint64_t xfer, uint64_t term) {
    in_end(0, "a new transfer began");
    incoming *in = &S.in;
    char *err = NULL;
    in->build = store_build_new(S.f, &err);
    if (!in->build) {
        logmsg(LL_WARNING, "Cannot start receiving a snapshot: %s", err);
        free(err);
        peer_send_snap_ack(from, xfer, 0, SNAP_FAILED, 0);
        return;
    }
    in->dec = img_dec_new();
    in->from = from;
    in->id = xfer;
    in->term = term;
    in->started = in->last_chunk = mono_ms();
    logmsg(LL_NOTICE, "Receiving a snapshot from node %llu", (unsigned long long)from);
}

/* The replica has decided to take the image: it becomes the state machine. */
static int switch_to_image(void *ctx, int removed) {
    const img_header *h = ctx;
    char *err = NULL;
    store_build *b = S.in.build;
    S.in.build = NULL;
    applier_hold(S.ap);  /* the image supersedes what waits to be applied */
    const char *dels = h->dlen == STORE_DELS_BYTES ? h->dels : NULL;
    int rc = store_build_install(S.f, b, h->index, h->term, h->time_ms, dels, h->members, h->alen ? h->acl : NULL,
                                 removed, &err);
    applier_release(S.ap);
    if (rc < 0) {
        logmsg(LL_WARNING, "Installing the snapshot failed: %s", err);
        free(err);
        return -1;
    }
    return 0;
}

/* The whole image is here and sound: the replica decides, then the switch. */
static void in_finish(void) {
    incoming *in = &S.in;
    const img_header *h = img_dec_header(in->dec);
    raft_msg m = {0};
    m.type = MSG_SNAPSHOT;
    m.from = in->from;
    m.to = S.my_id;
    m.term = in->term;
    m.index = h->index;
    m.log_term = h->term;
    raft_entry conf = {h->term, h->index, RAFT_ENTRY_CONFIG, h->members, h->mlen};
    m.entries = &conf;
    m.nentries = 1;
    uint64_t from = in->from, id = in->id, got = in->received, keys = store_build_count(in->build);
    unsigned long long ms = mono_ms() - in->started;
    if (replica_install(S.rep, &m, switch_to_image, (void *)h)) {
        S.received_ok++;
        replica_note_time(S.rep, h->time_ms);
        logmsg(LL_NOTICE, "Installed a snapshot at index %llu, term %llu (%llu keys, %llu bytes) from node %llu in %llu ms",
               (unsigned long long)m.index, (unsigned long long)m.log_term, (unsigned long long)keys,
               (unsigned long long)got, (unsigned long long)from, ms);
    } else {
        logmsg(LL_NOTICE, "Snapshot at index %llu from node %llu not needed (stale or already covered)",
               (unsigned long long)m.index, (unsigned long long)from);
    }
    in_end(1, NULL);
    peer_send_snap_ack(from, id, got, SNAP_DONE, m.index);
}

void stream_on_chunk(uint64_t from, uint64_t xfer, uint64_t term, uint64_t offset, int last, const char *data,
                       size_t len) {
    incoming *in = &S.in;
    /* transfer ids restart with the sender's process: (from, term, id) names one,
     * as a node leads a term once */
    int ours = in->from == from && in->id == xfer && in->term == term;
    if (offset == 0 && !ours) {
        in_begin(from, xfer, term);
        if (!in->from) return;  /* could not start: in_begin answered */
        ours = 1;
    }
    if (!ours) {  /* not the transfer under way: end it at the sender */
        peer_send_snap_ack(from, xfer, offset, SNAP_FAILED, 0);
        return;
    }
    if (offset > in->received) { in_fail("a chunk is missing"); return; }
    in->last_chunk = mono_ms();
    /* a resumed transfer sends again from the last acknowledged byte: skip what is here */
    size_t have = (size_t)(in->received - offset);
    if (have >= len) {
        peer_send_snap_ack(from, xfer, in->received, SNAP_PROGRESS, 0);
        return;
    }
    data += have;
    len -= have;
    img_cb cb = {on_header, on_record, on_elem};
    S.bytes_received += len;
    in->received += len;
    if (img_dec_feed(in->dec, data, len, &cb, NULL) < 0) {
        in_fail(in->err ? in->err : img_dec_error(in->dec));
        return;
    }
    if (!last) { peer_send_snap_ack(from, xfer, in->received, SNAP_PROGRESS, 0); return; }
    const char *why = img_dec_finish(in->dec);
    if (why) { in_fail(why); return; }
    in_finish();
}

/* ---- both ---- */

/* Transfers with id wait for the link to come back (or time out): the
 * sender's resume picks up where the receiver's acknowledgements were. */
void stream_peer_down(uint64_t id) {
    outgoing *o = find_out(id);
    if (o) out_pause(o, "the link broke");
}

/* The core stopped waiting for o's image: a heartbeat showed the
 * follower holds it (its final acknowledgement was lost), or leadership
 * moved on. Its view need not pin the state machine any longer. A paused
 * transfer is wanted until the follower is known to be past its image
 * (the core asks for it again only once the follower answers). */
static int out_unwanted(const outgoing *o) {
    raft_peer_info pi;
    const raft *core = replica_core(S.rep);
    if (raft_role(core) != RAFT_LEADER) return 0;
    if (!raft_peer(core, o->to, &pi)) return 1;
    return o->paused ? pi.match >= o->index : !pi.snapshot;
}

static void stall_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop; (void)w; (void)revents;
    unsigned long long now = mono_ms();
    for (int i = 0; i < NOUT; i++) {
        if (!S.out[i].to) continue;
        if (out_unwanted(&S.out[i])) out_end(&S.out[i], 0, "the follower holds an image already");
        else if (now - S.out[i].last_ack > STREAM_STALL_MS) out_fail(&S.out[i], "no progress for 30 s");
    }
    if (S.in.from && now - S.in.last_chunk > STREAM_STALL_MS) in_end(0, "no chunk for 30 s");
}

void stream_init(struct ev_loop *loop, store *f, applier *ap, uint64_t cluster_id, uint64_t my_id,
                 const char *members) {
    memset(&S, 0, sizeof(S));
    S.loop = loop;
    S.f = f;
    S.ap = ap;
    S.cluster_id = cluster_id;
    S.my_id = my_id;
    S.members = xstrndup(members, strlen(members));
    ev_timer_init(&S.stall, stall_cb, 1., 1.);
    ev_timer_start(loop, &S.stall);
    ev_idle_init(&S.more, more_cb);
    /* an idle watcher runs only when nothing of its priority or above is
     * pending: on a busy leader, at the default priority, never; and a
     * transfer with nothing in flight has no acknowledgement to wake it */
    ev_set_priority(&S.more, EV_MAXPRI);
}

void stream_attach(replica *rep) { S.rep = rep; }

void stream_shutdown(void) {
    if (!S.loop) return;
    stream_stop_sending();
    in_end(0, "shutting down");
    ev_timer_stop(S.loop, &S.stall);
    ev_idle_stop(S.loop, &S.more);
    free(S.members);
    S.loop = NULL;
}

void stream_info(buf *b) {
    uint64_t inflight = 0;
    int sending = 0;
    for (int i = 0; i < NOUT; i++)
        if (S.out[i].to) { sending++; inflight += S.out[i].sent - S.out[i].acked; }
    buf_printf(b, "raft_snapshots_sent:%lld\r\nraft_snapshots_send_failed:%lld\r\nraft_snapshots_resumed:%lld\r\n"
               "raft_snapshots_received:%lld\r\n"
               "raft_snapshots_receive_failed:%lld\r\nraft_snapshot_sending:%d\r\nraft_snapshot_receiving:%d\r\n"
               "raft_snapshot_bytes_in_flight:%llu\r\nraft_snapshot_bytes_sent:%llu\r\nraft_snapshot_bytes_received:%llu\r\n",
               S.sent_ok, S.sent_failed, S.resumed, S.received_ok, S.received_failed, sending, S.in.from != 0,
               (unsigned long long)inflight, S.bytes_sent, S.bytes_received);
}
