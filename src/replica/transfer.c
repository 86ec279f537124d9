#include "transfer.h"
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
    buf chunk;
    uint64_t sent, acked;
    int eof;
    unsigned long long started, last_ack;
} outgoing;

typedef struct incoming {
    uint64_t from, id, term;   /* from == 0: none */
    uint64_t received;
    img_dec *dec;
    store_build *build;
    char *err;                 /* a record could not be written */
    unsigned long long started;
} incoming;

static struct {
    struct ev_loop *loop;
    raft *r;
    store *f;
    uint64_t cluster_id, my_id, next_id;
    char *members;
    transfer_installed_fn installed;
    outgoing out[RAFT_MAX_NODES * 2];  /* members and departing ones */
    incoming in;
    ev_timer stall;
    long long sent_ok, sent_failed, received_ok, received_failed;
    unsigned long long bytes_sent, bytes_received;
} T;
#define NOUT (int)(sizeof(T.out) / sizeof(T.out[0]))

/* ---- sending ---- */

static void out_end(outgoing *o, int ok, const char *why) {
    if (!o->to) return;
    unsigned long long ms = mono_ms() - o->started;
    if (ok) {
        T.sent_ok++;
        logmsg(LL_NOTICE, "Snapshot at index %llu (%llu keys, %llu bytes) sent to node %llu in %llu ms",
               (unsigned long long)o->index, (unsigned long long)o->keys, (unsigned long long)o->sent,
               (unsigned long long)o->to, ms);
    } else {
        T.sent_failed++;
        logmsg(LL_WARNING, "Snapshot transfer to node %llu stopped after %llu bytes: %s", (unsigned long long)o->to,
               (unsigned long long)o->sent, why);
    }
    store_view_free(o->view);
    buf_free(&o->chunk);
    memset(o, 0, sizeof(*o));
}

static void out_fail(outgoing *o, const char *why) {
    uint64_t to = o->to;
    out_end(o, 0, why);
    raft_snapshot_failed(T.r, to);
}

/* Fills one chunk from the view; the last one carries the trailer. */
static void fill_chunk(outgoing *o) {
    const char *k, *v;
    size_t kl, vl;
    while (o->chunk.len < TRANSFER_CHUNK) {
        if (!store_view_next(o->view, &k, &kl, &v, &vl)) {
            img_enc_end(&o->enc, &o->chunk);
            o->eof = 1;
            return;
        }
        if (img_enc_record(&o->enc, &o->chunk, k, kl, v, vl) < 0) {
            /* a value over the format's limit cannot exist: writes are capped lower */
            logmsg(LL_WARNING, "Key of %zu bytes with a value of %zu bytes does not fit a snapshot image", kl, vl);
            abort();
        }
    }
}

/* Sends while the window has room. */
static void pump(outgoing *o) {
    while (o->to && !o->eof && o->sent - o->acked < TRANSFER_WINDOW) {
        o->chunk.len = 0;
        if (!o->sent) {  /* the header travels with the first records */
            const char *conf = store_view_conf(o->view) ? store_view_conf(o->view) : T.members;
            img_header h = {o->index, o->img_term, T.cluster_id, (char *)conf, strlen(conf)};
            img_enc_begin(&o->enc, &o->chunk, &h);
        }
        fill_chunk(o);
        if (peer_send_snap(o->to, o->id, o->term, o->sent, o->eof, o->chunk.data, o->chunk.len) < 0) {
            out_fail(o, "the link is down");
            return;
        }
        o->sent += o->chunk.len;
        T.bytes_sent += o->chunk.len;
    }
}

static outgoing *find_out(uint64_t to) {
    for (int i = 0; i < NOUT; i++)
        if (T.out[i].to == to) return &T.out[i];
    return NULL;
}

void transfer_start(uint64_t to, uint64_t term) {
    if (find_out(to)) return;  /* one at a time per follower */
    outgoing *o = find_out(0);
    if (!o) { raft_snapshot_failed(T.r, to); return; }
    if (!peer_connected(to)) { raft_snapshot_failed(T.r, to); return; }
    memset(o, 0, sizeof(*o));
    o->view = store_view_new(T.f, &o->index, &o->img_term, &o->keys);
    if (!o->view) { raft_snapshot_failed(T.r, to); return; }
    o->to = to;
    o->id = ++T.next_id;
    o->term = term;
    o->started = o->last_ack = mono_ms();
    buf_init(&o->chunk);
    logmsg(LL_NOTICE, "Node %llu needs entries compacted away: sending it a snapshot at index %llu (%llu keys)",
           (unsigned long long)to, (unsigned long long)o->index, (unsigned long long)o->keys);
    pump(o);
}

void transfer_on_ack(uint64_t from, uint64_t xfer, uint64_t offset, int status, uint64_t index) {
    outgoing *o = find_out(from);
    if (!o || o->id != xfer) return;  /* an earlier transfer's: ignore */
    o->last_ack = mono_ms();
    if (status == SNAP_FAILED) { out_fail(o, "the follower could not take it"); return; }
    if (offset > o->sent) { out_fail(o, "acknowledgement beyond what was sent"); return; }
    if (offset > o->acked) o->acked = offset;
    if (status == SNAP_DONE) {
        out_end(o, 1, NULL);
        raft_snapshot_sent(T.r, from, index);
        return;
    }
    pump(o);
}

void transfer_stop_sending(void) {
    for (int i = 0; i < NOUT; i++) out_end(&T.out[i], 0, "this node is no longer the leader");
}

uint64_t transfer_floor(void) {
    uint64_t lo = UINT64_MAX;
    for (int i = 0; i < NOUT; i++)
        if (T.out[i].to && T.out[i].index < lo) lo = T.out[i].index;
    return lo;
}

/* ---- receiving ---- */

static void in_end(int ok, const char *why) {
    incoming *in = &T.in;
    if (!in->from) return;
    if (!ok) {
        T.received_failed++;
        logmsg(LL_WARNING, "Snapshot from node %llu abandoned after %llu bytes: %s", (unsigned long long)in->from,
               (unsigned long long)in->received, why);
    }
    store_build_abort(in->build);
    img_dec_free(in->dec);
    free(in->err);
    memset(in, 0, sizeof(*in));
}

static void in_fail(const char *why) {
    incoming *in = &T.in;
    uint64_t from = in->from, id = in->id, got = in->received;
    in_end(0, why);
    peer_send_snap_ack(from, id, got, SNAP_FAILED, 0);
}

static int on_header(void *ctx, const img_header *h) {
    (void)ctx;
    if (h->cluster_id == T.cluster_id && h->index) return 0;
    T.in.err = xstrndup("the image belongs to another cluster", 36);
    return 1;
}

static int on_record(void *ctx, const char *k, size_t kl, const char *v, size_t vl) {
    (void)ctx;
    return store_build_put(T.f, T.in.build, k, kl, v, vl, &T.in.err);
}

static void in_begin(uint64_t from, uint64_t xfer, uint64_t term) {
    in_end(0, "a new transfer began");
    incoming *in = &T.in;
    char *err = NULL;
    in->build = store_build_new(T.f, &err);
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
    in->started = mono_ms();
    logmsg(LL_NOTICE, "Receiving a snapshot from node %llu", (unsigned long long)from);
}

/* An image whose configuration leaves out this node, which the one in
 * force here includes, tells it that it was removed while away. */
static int removes_me(const char *image_conf) {
    const char *cur = store_conf(T.f) ? store_conf(T.f) : T.members;
    return members_removes(cur, strlen(cur), image_conf, strlen(image_conf), T.my_id);
}

/* The whole image is here and sound: the core decides, then the switch. */
static void in_finish(void) {
    incoming *in = &T.in;
    const img_header *h = img_dec_header(in->dec);
    raft_msg m = {0};
    m.type = MSG_SNAPSHOT;
    m.from = in->from;
    m.to = T.my_id;
    m.term = in->term;
    m.index = h->index;
    m.log_term = h->term;
    raft_entry conf = {h->term, h->index, RAFT_ENTRY_CONFIG, h->members, h->mlen};
    m.entries = &conf;
    m.nentries = 1;
    int removed = removes_me(h->members);
    uint64_t from = in->from, id = in->id, got = in->received, keys = store_build_count(in->build);
    unsigned long long ms = mono_ms() - in->started;
    int how = raft_install_snapshot(T.r, &m);
    if (how) {
        char *err = NULL;
        transfer_stop_sending();  /* views of the state machine being replaced */
        store_build *b = in->build;
        in->build = NULL;
        if (store_build_install(T.f, b, m.index, m.log_term, h->members, removed, &err) < 0) {
            /* the core already counts on it: going on would serve a state it does not have */
            logmsg(LL_WARNING, "Installing the snapshot failed: %s. Stopping.", err);
            exit(1);
        }
        T.received_ok++;
        logmsg(LL_NOTICE, "Installed a snapshot at index %llu, term %llu (%llu keys, %llu bytes) from node %llu in %llu ms",
               (unsigned long long)m.index, (unsigned long long)m.log_term, (unsigned long long)keys,
               (unsigned long long)got, (unsigned long long)from, ms);
        T.installed(m.index, how);
    } else {
        logmsg(LL_NOTICE, "Snapshot at index %llu from node %llu not needed (stale or already covered)",
               (unsigned long long)m.index, (unsigned long long)from);
    }
    in_end(1, NULL);
    peer_send_snap_ack(from, id, got, SNAP_DONE, m.index);
}

void transfer_on_chunk(uint64_t from, uint64_t xfer, uint64_t term, uint64_t offset, int last, const char *data,
                       size_t len) {
    incoming *in = &T.in;
    if (offset == 0) in_begin(from, xfer, term);
    if (in->from != from || in->id != xfer) {  /* not the transfer under way: end it at the sender */
        peer_send_snap_ack(from, xfer, offset, SNAP_FAILED, 0);
        return;
    }
    if (in->received != offset) { in_fail("a chunk is missing"); return; }
    img_cb cb = {on_header, on_record};
    T.bytes_received += len;
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

void transfer_peer_down(uint64_t id) {
    outgoing *o = find_out(id);
    if (o) out_fail(o, "the link broke");
    if (T.in.from == id) in_end(0, "the link broke");
}

static void stall_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop; (void)w; (void)revents;
    unsigned long long now = mono_ms();
    for (int i = 0; i < NOUT; i++)
        if (T.out[i].to && now - T.out[i].last_ack > TRANSFER_STALL_MS) out_fail(&T.out[i], "no progress for 30 s");
}

void transfer_init(struct ev_loop *loop, raft *r, store *f, uint64_t cluster_id, uint64_t my_id, const char *members,
                   transfer_installed_fn installed) {
    memset(&T, 0, sizeof(T));
    T.loop = loop;
    T.r = r;
    T.f = f;
    T.cluster_id = cluster_id;
    T.my_id = my_id;
    T.members = xstrndup(members, strlen(members));
    T.installed = installed;
    ev_timer_init(&T.stall, stall_cb, 1., 1.);
    ev_timer_start(loop, &T.stall);
}

void transfer_shutdown(void) {
    if (!T.loop) return;
    transfer_stop_sending();
    in_end(0, "shutting down");
    ev_timer_stop(T.loop, &T.stall);
    free(T.members);
    T.loop = NULL;
}

void transfer_info(buf *b) {
    uint64_t inflight = 0;
    int sending = 0;
    for (int i = 0; i < NOUT; i++)
        if (T.out[i].to) { sending++; inflight += T.out[i].sent - T.out[i].acked; }
    buf_printf(b, "raft_snapshots_sent:%lld\r\nraft_snapshots_send_failed:%lld\r\nraft_snapshots_received:%lld\r\n"
               "raft_snapshots_receive_failed:%lld\r\nraft_snapshot_sending:%d\r\nraft_snapshot_receiving:%d\r\n"
               "raft_snapshot_bytes_in_flight:%llu\r\nraft_snapshot_bytes_sent:%llu\r\nraft_snapshot_bytes_received:%llu\r\n",
               T.sent_ok, T.sent_failed, T.received_ok, T.received_failed, sending, T.in.from != 0,
               (unsigned long long)inflight, T.bytes_sent, T.bytes_received);
}
