#include "reads.h"
#include "auth.h"
#include "dispatch.h"
#include "forward.h"
#include "node.h"
#include "peer.h"
#include "server.h"
#include "tx.h"
#include "writes.h"
#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Reads waiting for a barrier: read_new have no round yet. Confirmed
 * reads of CMD_SLICED commands run a slice per loop iteration. */
static slot *read_new, *read_wait, *sliced;
static ev_idle slicing;  /* sliced reads under way, or reads left by a pass: the loop must not sleep */
static int left;         /* the last pass left reads it could serve */

/* Bytes of replies one pass of reads_serve makes at most (a few ms of
 * copying): thirty pipelined GETs of a large value take several passes,
 * and heartbeats go out between them. */
#define PASS_BYTES (8u << 20)

/* Only keeps the loop from sleeping: the slices run before it would. */
static void slicing_cb(struct ev_loop *loop, ev_idle *w, int revents) { (void)loop; (void)w; (void)revents; }

void reads_init(void) {
    ev_idle_init(&slicing, slicing_cb);
    fetch_init(server_loop());
}

void reads_free(void) { fetch_free(); }

/* A read slot for the parsed request (the command moves out of the parser). */
static slot *read_slot(client *c) {
    slot *s = slot_new(c, SLOT_READ);
    s->argv = resp_args_take(&c->parser, &s->argc, &s->backing);
    s->need = c->last_write;
    c->reads_pending++;
    return s;
}

static void queue_read(slot *s);

void reads_queue(client *c) { queue_read(read_slot(c)); }

void reads_queue_probe(client *c) {
    slot *s = read_slot(c);
    s->probe = 1;
    s->pnext = NULL;
    if (c->probe_tail) c->probe_tail->pnext = s;
    else c->probe_head = s;
    c->probe_tail = s;
    c->probing++;
    queue_read(s);
}

/* The probe s leaves the read path (answered, proposed, failed, its client
 * gone): out of its client's list. The next, if any, may be served now. */
static void probe_gone(slot *s) {
    if (!s->probe) return;
    s->probe = 0;
    client *c = s->c;
    if (!c) return;
    c->probing--;
    slot *prev = NULL;
    slot *p = c->probe_head;
    for (; p && p != s; p = p->pnext) prev = p;
    assert(p == s);
    if (prev) prev->pnext = s->pnext;
    else c->probe_head = s->pnext;
    if (c->probe_tail == s) c->probe_tail = prev;
    if (c->probe_head) {  /* its turn: a pass may have passed it over */
        left = 1;
        ev_idle_start(server_loop(), &slicing);
    }
}

static void queue_read(slot *s) {
    client *c = s->c;
    uint64_t ri;
    if (c->proxy && !s->probe && node_read_vouched(c->proxy_peer, c->proxy_term, &ri)) {
        /* confirmed by the forwarding follower's term: no round to wait for
         * (not a probe: these go to the head of read_wait, and a client's
         * probes must reach it in their order, as read_new's do) */
        if (ri > s->need) s->need = ri;
        s->qnext = read_wait;
        read_wait = s;
        return;
    }
    s->qnext = read_new;
    read_new = s;
}

/* ---- a follower's reads (see reads.h) ---- */

static uint64_t remote_last;   /* the last read index request this node sent */
static reads_stats stats;

const reads_stats *reads_stats_get(void) { return &stats; }
void reads_stats_reset(void) { memset(&stats, 0, sizeof(stats)); }

static double refused_at;      /* when a request was last refused */
/* After a refusal the next request waits this long: a node that has not
 * yet heard of the new leader would otherwise ask the old one at once,
 * again and again. */
#define REFUSED_WAIT_S 0.01

/* The read at *pp waits in read_wait no more: it asks again. */
static void ask_again(slot **pp) {
    slot *s = *pp;
    *pp = s->qnext;
    s->remote = 0;
    s->qnext = read_new;
    read_new = s;
}

/* One request to the leader for every read queued since the last. They
 * wait in read_new while no leader is known, or it has no link to answer
 * on (their deadline bounds it). */
static void remote_start(void) {
    uint64_t l = node_leader();
    if (!l || l == node_id() || !peer_linked(l) || server_now() - refused_at < REFUSED_WAIT_S ||
        peer_send_read_index(l, remote_last + 1, node_term()) < 0)
        return;
    remote_last++;
    while (read_new) {
        slot *s = read_new;
        read_new = s->qnext;
        s->remote = remote_last;
        s->qnext = read_wait;
        read_wait = s;
    }
}

void reads_on_index_reply(uint64_t from, uint64_t id, int flags, uint64_t index, uint64_t time_ms) {
    (void)from;
    for (slot **pp = &read_wait; *pp;) {
        slot *s = *pp;
        if (s->remote != id) { pp = &s->qnext; continue; }
        s->remote = 0;
        if ((flags & READ_INDEX_OK) && !(flags & READ_INDEX_OPEN) && !forward_vouched_user(s->c)[0]) {
            slot_fail(s, ERR_NOAUTH);  /* as the leader answers a client no one vouches for (unqueues it) */
            continue;
        }
        if (!(flags & READ_INDEX_OK)) {  /* that node no longer leads */
            refused_at = server_now();
            ask_again(pp);
            continue;
        }
        stats.follower_reads++;
        if (index > s->need) s->need = index;
        s->time_ms = time_ms ? time_ms : 1;  /* non-zero: it has its index (slot.c) */
        pp = &s->qnext;
    }
}

static int index_flags(void) { return READ_INDEX_OK | (auth_default_open() ? READ_INDEX_OPEN : 0); }

/* The leader's side: requests waiting for their barrier round. */
typedef struct remote_req { uint64_t from, id, round, index; } remote_req;
static remote_req *reqs;
static size_t nreqs, capreqs;
/* Requests one leader holds at once; past it they are refused (and asked again). */
#define MAX_REMOTE_REQS 4096

void reads_on_index_request(uint64_t from, uint64_t id, uint64_t term) {
    uint64_t ri = 0, round = 0;
    stats.index_requests++;
    if (node_read_vouched(from, term, &ri) || node_read_lease(&ri)) {  /* no round needed (raft.h) */
        peer_send_read_index_reply(from, id, index_flags(), ri, node_read_time());
        return;
    }
    if (nreqs == MAX_REMOTE_REQS || !(round = node_read_round(&ri))) {
        peer_send_read_index_reply(from, id, 0, 0, 0);
        return;
    }
    if (nreqs == capreqs) {
        capreqs = capreqs ? capreqs * 2 : 16;
        reqs = xrealloc(reqs, sizeof(remote_req) * capreqs);
    }
    reqs[nreqs++] = (remote_req){from, id, round, ri};
}

/* Answers the requests whose round is confirmed: at this moment's read
 * time, which is past every write they must see. */
static void answer_requests(void) {
    uint64_t confirmed = node_confirmed_round();
    size_t keep = 0;
    for (size_t i = 0; i < nreqs; i++) {
        if (reqs[i].round <= confirmed) peer_send_read_index_reply(reqs[i].from, reqs[i].id, index_flags(),
                                                                   reqs[i].index, node_read_time());
        else reqs[keep++] = reqs[i];
    }
    nreqs = keep;
}

/* Leadership moved: the requests held here are refused (their followers
 * ask the new leader), and this node's own remote reads ask again. */
static void remote_leader_changed(void) {
    for (size_t i = 0; i < nreqs; i++) peer_send_read_index_reply(reqs[i].from, reqs[i].id, 0, 0, 0);
    nreqs = 0;
    for (slot **pp = &read_wait; *pp;) {
        if ((*pp)->remote) ask_again(pp);
        else pp = &(*pp)->qnext;
    }
}

/* The cluster time a read runs at: a follower's, the leader's time when
 * it gave the read index, or the latest committed entry's here if later
 * (it may have applied more since); else this node's read time. */
static uint64_t read_time(const slot *s) {
    if (!s->time_ms) return node_read_time();
    uint64_t t = node_committed_time();
    return s->time_ms > t ? s->time_ms : t;
}

/* A request whose answer is lost (the link dropped under it, the
 * leader's reply failed to send) must not leave its reads waiting out
 * their deadline: requests still unanswered at one look, REASK_S after
 * the last, are asked again (an old id's late answer finds no read). */
#define REASK_S 0.25
static uint64_t asked_before;  /* the last request id sent before the last look */
static double last_look;

static void reask_lost(void) {
    double now = server_now();
    if (now - last_look < REASK_S) return;
    last_look = now;
    for (slot **pp = &read_wait; *pp;) {
        if ((*pp)->remote && (*pp)->remote <= asked_before) ask_again(pp);
        else pp = &(*pp)->qnext;
    }
    asked_before = remote_last;
}

void reads_start(void) {
    reask_lost();
    if (!read_new) return;
    if (!node_is_leader()) {
        remote_start();
        return;
    }
    uint64_t ri = 0, round;
    if (node_read_lease(&ri) && (round = node_confirmed_round())) {  /* met already: they wait for the apply only */
        for (slot *s = read_new; s; s = s->qnext) stats.lease_reads++;
    } else if (!(round = node_read_round(&ri))) {
        return;  /* reads_fail_all() fails them */
    }
    while (read_new) {
        slot *s = read_new;
        read_new = s->qnext;
        s->round = round;
        if (ri > s->need) s->need = ri;
        s->qnext = read_wait;
        read_wait = s;
    }
}

/* s is answered. Its reply goes into the output buffer now, where its
 * limit is checked (s may be gone); a proxy's goes out in
 * client_flush_pending, never here: sending can fail, free the proxy and
 * the other slots of the list being served. */
static void reads_answered(slot *s) {
    client *c = s->c;
    c->reads_pending--;
    probe_gone(s);
    slot_done(s);
    if (!c->proxy) {
        slot_deliver(c);
        client_over_output_limit(c);
    }
}

/* A confirmed read of a CMD_SLICED command: its view is taken now, the
 * read's point in time. 0 if it cannot be (then it runs whole). */
static int reads_slice(slot *s, const command *cmd) {
    if (!(cmd->flags & CMD_SLICED) || s->c->close_asap ||
        !(s->job = read_job_new(server_store(), read_time(s), s->argc, s->argv)))
        return 0;
    s->state = SLOT_SLICED;
    s->qnext = sliced;
    sliced = s;
    ev_idle_start(server_loop(), &slicing);
    return 1;
}

/* Whether a keyed read touches a key that may hold a large value. */
static int touches_large(const command *cmd, int argc, const rstr *argv) {
    if (!cmd || !(cmd->flags & CMD_READONLY || cmd->proc == watch_command)) return 0;
    int small[16], *pos = argc <= 16 ? small : xmalloc(sizeof(int) * (size_t)argc);
    int n = cmd_keys(cmd, argc, argv, pos, argc), large = 0;
    for (int i = 0; i < n && !large; i++) large = store_is_large(server_store(), argv[pos[i]].p, argv[pos[i]].len);
    if (pos != small) free(pos);
    return large;
}

/* What a read on the fetch thread carries: the command (moved from its
 * slot, which may go meanwhile), and a read handle pinned at the pass's
 * point in time or a long read's own view. */
typedef struct fetch_arg {
    const command *cmd;
    int argc;
    rstr *argv;
    buf backing;       /* the slot's (resp_args_take) */
    store *rd;
    read_job *job;
    uint64_t time_ms;  /* the read's cluster time */
} fetch_arg;

static void fetch_run(void *arg, buf *reply) {
    fetch_arg *a = arg;
    if (a->job) {
        read_job_step(a->job, LONG_MAX, reply);
        return;
    }
    cmdctx x = {a->rd, reply, NULL, a->time_ms, 0, 0, 0, 0, 0, 0};
    a->cmd->proc(&x, a->argc, a->argv);
    store_reader_trim(a->rd);
}

/* A reply up to this size is copied on the loop, and its buffer freed
 * on the fetch thread (fetch.h); a longer one moves. */
#define FETCH_COPY_MAX (64u << 10)

/* A client's WATCH is kept where its EXEC is checked: a proxy's on the
 * leader it came to, a local client's on this node only while it leads
 * (a follower forwards EXEC to the leader's session, which has not seen
 * this WATCH). A WATCH answered once this node has stepped down (it was
 * waiting for its barrier, or on the fetch thread, when the leadership
 * moved) is refused: added, it would be lost, and its EXEC would run
 * whatever was written in between. */
static int watch_orphaned(const slot *s) { return !s->c->proxy && !node_is_leader(); }

static void fetched(void *ctx, void *arg, buf *reply) {
    fetch_arg *a = arg;
    slot *s = ctx;
    if (s && a->cmd && a->cmd->proc == watch_command) {  /* the keys' states: into the client's transaction */
        int orphaned = watch_orphaned(s), added = !orphaned && tx_watch_add(s->c, reply->data, reply->len);
        reply->len = reply->pos = 0;
        if (added) buf_appendstr(reply, "+OK\r\n");
        else reply_error(reply, orphaned ? ERR_NOT_APPLIED : TX_ERR_WATCHES);
    }
    read_job_free(a->job);
    store_reader_free(a->rd);
    resp_argv_free(a->argv, a->argc, &a->backing);
    free(a);
    if (!s) return;  /* its client went */
    s->fetch = NULL;
    if (reply->len <= FETCH_COPY_MAX) {
        s->reply.len = s->reply.pos = 0;
        buf_append(&s->reply, reply->data, reply->len);
    } else {
        buf t = s->reply;
        s->reply = *reply;
        *reply = t;
    }
    reads_answered(s);
}

static void to_fetch(slot *s, const command *cmd, store *rd, read_job *job) {
    fetch_arg *a = xmalloc(sizeof(*a));
    *a = (fetch_arg){cmd, s->argc, s->argv, s->backing, rd, job, read_time(s)};
    s->argv = NULL;
    s->argc = 0;
    buf_init(&s->backing);
    s->state = SLOT_FETCH;
    s->fetch = fetch_start(fetch_run, a, fetched, s);
}

/* s runs on the fetch thread over a handle pinned at this moment. */
static void fetch_pinned(slot *s, const command *cmd) {
    store *rd = store_reader_new(server_store());
    store_reader_pin(rd);
    to_fetch(s, cmd, rd, NULL);
}

/* A WATCH of more keys reads them on the fetch thread (each lookup is a
 * LevelDB read: a million would hold the loop for seconds). */
#define WATCH_ON_LOOP_KEYS 1024

/* A read of a large value, an OFF_LOOP one, or a WATCH of many keys runs
 * on the fetch thread, at the point in time of this pass. */
static int reads_fetch(slot *s, const command *cmd) {
    int many = cmd && cmd->proc == watch_command && s->argc > WATCH_ON_LOOP_KEYS;
    if (s->c->close_asap || node_owned_store() ||
        !(touches_large(cmd, s->argc, s->argv) || (cmd && cmd->flags & CMD_OFF_LOOP) || many))
        return 0;
    fetch_pinned(s, cmd);
    return 1;
}

int reads_fetch_now(client *c) {
    if (node_owned_store()) return 0;
    slot *s = read_slot(c);
    fetch_pinned(s, cmd_lookup(s->argv[0].p, s->argv[0].len));
    return 1;
}

/* A probe (reads_queue_probe) served: answered, or proposed as the write
 * it is -- here only while this node leads (a probe that waited through a
 * change of leader and must write is not applied: the client may retry). */
static void probe_serve(slot *s, const command *cmd, uint64_t applied) {
    client *c = s->c;
    /* after an earlier probe of the client proposed its write, this one is
     * a write too: answered here, over the pass's view (applied: what it
     * holds), it would not see that write. And a key that may hold a large
     * value is read on the fetch thread, never on the loop: such a write is
     * proposed untried. */
    if (!c->close_asap && c->last_write <= applied && !store_is_large(server_store(), s->argv[1].p, s->argv[1].len)) {
        cmdctx x = {server_store(), &s->reply, c, read_time(s), 0, 0, 0, 0, 0, 1};
        cmd->proc(&x, s->argc, s->argv);
    }
    if (s->reply.len || c->close_asap) {
        stats.probes_answered += !c->close_asap;
        reads_answered(s);
        return;
    }
    c->reads_pending--;
    probe_gone(s);
    s->write = 1;
    if (node_disk_full()) {  /* as admit() answers a write then */
        reply_errorf(&s->reply, "MISCONF Errors writing to the Raft log: %s", strerror(node_disk_full()));
    } else if (node_is_leader() && writes_repropose(s, s->argc, s->argv)) {
        stats.probes_proposed++;
        return;
    } else {
        reply_error(&s->reply, ERR_NOT_APPLIED);
    }
    slot_done(s);
    if (!c->proxy) slot_deliver(c);
}

/* Every read served in one pass sees one point in time, at or after the
 * applied index they wait for. */
void reads_serve(void) {
    answer_requests();  /* after node_process(): the rounds it confirmed */
    uint64_t confirmed = node_confirmed_round(), applied = node_applied();
    size_t made = 0;
    left = 0;
    if (!read_wait) return;
    store_reader_pin(server_store());
    for (slot **pp = &read_wait; *pp;) {
        slot *s = *pp;
        if (s->remote || s->round > confirmed || s->need > applied) { pp = &s->qnext; continue; }
        if (s->probe && s != s->c->probe_head) {  /* an earlier probe of its client first (probe_gone) */
            pp = &s->qnext;
            continue;
        }
        if (made >= PASS_BYTES) {
            left = 1;
            ev_idle_start(server_loop(), &slicing);
            break;
        }
        *pp = s->qnext;
        const command *cmd = cmd_lookup(s->argv[0].p, s->argv[0].len), *sub;
        if (cmd && cmd->subs && s->argc >= 2 && (sub = cmd_lookup_sub(cmd, s->argv[1].p, s->argv[1].len)))
            cmd = sub;  /* OBJECT ENCODING key: the subcommand runs, and names the keys */
        if (s->probe) {
            probe_serve(s, cmd, applied);
            continue;
        }
        if (cmd && cmd->proc == watch_command && watch_orphaned(s)) reply_error(&s->reply, ERR_NOT_APPLIED);
        else if (reads_slice(s, cmd) || reads_fetch(s, cmd)) continue;
        else if (!s->c->close_asap) dispatch_run_at(s->c, cmd, s->argc, s->argv, &s->reply, read_time(s));
        made += s->reply.len;
        reads_answered(s);
    }
    store_reader_unpin(server_store());
}

/* About SLICE_BUDGET keys each per loop iteration (a few ms), so
 * heartbeats and other clients go on. */
#define SLICE_BUDGET 20000

/* A sliced read that ends without its whole reply: too large to forward,
 * or alone past the client's output limit (as when one did). */
static void reads_slice_too_large(slot *s, size_t made) {
    if (s->c->proxy)
        reply_errorf(&s->reply, "ERR the reply (over %zu bytes) is too large to forward: send this command to "
                     "the leader", made);
    else
        client_close_over_limit(s->c);
}

void reads_serve_slices(void) {
    for (slot **pp = &sliced; *pp;) {
        slot *s = *pp;
        client *c = s->c;
        int done = read_job_step(s->job, SLICE_BUDGET, &s->reply);
        if (done == 2) {  /* a large value next: the rest on the fetch thread, over the job's view */
            *pp = s->qnext;
            read_job *j = s->job;
            s->job = NULL;
            read_job_off_loop(j);
            to_fetch(s, NULL, NULL, j);
            continue;
        }
        uint64_t limit = c->proxy ? FORWARD_MAX_REPLY : (uint64_t)server_cfg()->client_output_buffer_limit;
        if (!done && read_job_bytes(s->job) <= limit) {
            pp = &s->qnext;
            continue;
        }
        *pp = s->qnext;
        size_t made = read_job_bytes(s->job);
        read_job_free(s->job);
        s->job = NULL;
        if (!done) reads_slice_too_large(s, made);
        reads_answered(s);
    }
    if (!sliced && !left) ev_idle_stop(server_loop(), &slicing);
}

/* A barrier round belongs to one leadership, and so do the proxies of
 * followers' clients: their reads fail. A read not yet in a round, or
 * waiting for a read index request, asks again (of this node's new
 * role); one that has its read index keeps it: the leader that gave it
 * confirmed it then, so serving it once applied is still linearizable. */
void reads_fail_all(void) {
    remote_leader_changed();
    for (slot **pp = &read_new; *pp;) {
        if ((*pp)->c->proxy) slot_fail(*pp, ERR_NO_LEADER);  /* unqueues it */
        else pp = &(*pp)->qnext;
    }
    for (slot **pp = &read_wait; *pp;) {
        if ((*pp)->round || (*pp)->c->proxy) slot_fail(*pp, ERR_NO_LEADER);
        else pp = &(*pp)->qnext;
    }
}

void reads_detach(slot *s) {
    if (s->state == SLOT_READ) {
        slot_unqueue(&read_new, s);
        slot_unqueue(&read_wait, s);
    }
    if (s->state == SLOT_FETCH) {
        fetch_cancel(s->fetch);
        s->fetch = NULL;
    }
    if (s->state == SLOT_SLICED) {
        slot_unqueue(&sliced, s);
        read_job_free(s->job);
        s->job = NULL;
    }
    if (s->c) s->c->reads_pending--;
    probe_gone(s);
}
