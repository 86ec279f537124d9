#include "server.h"
#include "entry.h"
#include "idmap.h"
#include "log.h"
#include "node.h"
#include "peer.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

server srv;
extern long long cmd_max_string;

#define READ_CHUNK (16 * 1024)

static void read_cb(struct ev_loop *loop, ev_io *w, int revents);
static int pump(client *c);
static void write_cb(struct ev_loop *loop, ev_io *w, int revents);

static void set_reading(client *c, int on) {
    if (on == c->reading) return;
    if (on) ev_io_start(srv.loop, &c->rio); else ev_io_stop(srv.loop, &c->rio);
    c->reading = on;
}

static void set_writing(client *c, int on) {
    if (on == c->writing) return;
    if (on) ev_io_start(srv.loop, &c->wio); else ev_io_stop(srv.loop, &c->wio);
    c->writing = on;
}

static void queue_output(client *c) {
    if (c->pending) return;
    c->pending = 1;
    c->pnext = srv.pending;
    srv.pending = c;
}

/* ---- replies owed ----
 * Every request gets its reply in request order. Requests answered at once
 * write straight to the output buffer unless older ones are still owed;
 * then, and for every write (answered when its entry is applied), read
 * (answered once its ReadIndex barrier is confirmed) or forwarded request
 * (answered by the leader), the reply waits in a slot. */

#define ERR_NO_LEADER "CLUSTERDOWN No leader"
#define ERR_NOT_APPLIED "CLUSTERDOWN Leader changed, command not applied"
#define ERR_UNKNOWN "TIMEOUT outcome unknown"
#define ERR_BACKLOG "TRYAGAIN Too much uncommitted on the leader, command not applied"
/* A client's forwarded requests still unanswered, in bytes, before the
 * follower stops reading from it (the leader answers in order). */
#define FWD_MAX_BYTES (64ULL << 20)

/* Deadlines follow the monotonic clock: a wall-clock step must neither
 * fail every request at once nor let them wait for ever. */
static double now_s(void) { return (double)mono_ms() / 1000.0; }

/* Bytes take time to replicate and sync: a request waits its bound plus a
 * second for every 8 MB it carries (a 512 MB value: about a minute). */
static double size_allowance(size_t bytes) { return (double)bytes / (8 << 20); }

static slot *slot_new(client *c, int state) {
    slot *s = xmalloc(sizeof(*s));
    memset(s, 0, sizeof(*s));
    s->c = c;
    s->state = state;
    s->deadline = now_s() + (double)srv.cfg.cluster_request_timeout / 1000.0;
    if (c->stail) c->stail->next = s; else c->shead = s;
    c->stail = s;
    return s;
}

static void slot_free(slot *s) {
    for (int i = 0; i < s->argc; i++) free(s->argv[i].p);
    free(s->argv);
    buf_free(&s->reply);
    free(s);
}

/* Where the reply to a request answered now goes. */
static buf *reply_target(client *c) {
    if (!c->shead && !c->proxy) return &c->out;
    return &slot_new(c, SLOT_DONE)->reply;
}

/* The apply queue: proposals waiting for their entry, by log index. A
 * ring addressed by sequence number so a slot can leave it in O(1). */
typedef struct waiter { uint64_t index, term; slot *s; } waiter;
static struct { waiter *v; uint64_t head, tail, cap; } aq;

static waiter *aq_at(uint64_t seq) { return &aq.v[seq % aq.cap]; }

static void slot_done(slot *s) {
    s->state = SLOT_DONE;
    if (s->c) queue_output(s->c);
}

static void aq_push(slot *s) {
    /* A new index at or below older waiters means those entries were
     * truncated from our log. That does not prove them lost: another node
     * may still hold one and, elected later, commit it (5 nodes). Only a
     * different entry applied at the index (reply_for) proves it. */
    while (aq.tail > aq.head && aq_at(aq.tail - 1)->index >= s->index) {
        waiter *w = aq_at(--aq.tail);
        if (w->s) { reply_error(&w->s->reply, ERR_UNKNOWN); slot_done(w->s); }
    }
    if (aq.tail - aq.head == aq.cap) {
        uint64_t ncap = aq.cap ? aq.cap * 2 : 1024;
        waiter *nv = xmalloc(sizeof(waiter) * ncap);
        for (uint64_t q = aq.head; q < aq.tail; q++) nv[q % ncap] = *aq_at(q);
        free(aq.v);
        aq.v = nv;
        aq.cap = ncap;
    }
    waiter *w = aq_at(aq.tail);
    w->index = s->index;
    w->term = s->term;
    w->s = s;
    s->aseq = aq.tail++;
}

/* node callback: entry index of term is being applied; its reply goes to
 * the slot that proposed it, if that slot still waits. */
static buf *reply_for(uint64_t index, uint64_t term) {
    /* Waiters below index were skipped: a snapshot image installed over
     * them, which may well hold their effect (a new leader committed them),
     * so their outcome is unknown, never "not applied" (found by the
     * nemesis harness: a leader that lost its quorum, then took an image). */
    while (aq.tail > aq.head && aq_at(aq.head)->index < index) {
        waiter *w = aq_at(aq.head++);
        if (w->s) { reply_error(&w->s->reply, ERR_UNKNOWN); slot_done(w->s); }
    }
    if (aq.tail == aq.head || aq_at(aq.head)->index != index) return NULL;
    waiter *w = aq_at(aq.head++);
    slot *s = w->s;
    if (!s) return NULL;
    slot_done(s);
    if (w->term == term) return &s->reply;
    reply_error(&s->reply, ERR_NOT_APPLIED);
    return NULL;
}

/* Reads waiting for a barrier: read_new have no round yet. Confirmed
 * reads of CMD_SLICED commands run a slice per loop iteration. */
static slot *read_new, *read_wait, *sliced;
/* RAFT.TRANSFER-LEADER requests waiting for the hand-over. */
static slot *transfer_wait;

static void list_remove(slot **list, slot *s) {
    for (slot **p = list; *p; p = &(*p)->qnext)
        if (*p == s) { *p = s->qnext; return; }
}

/* Takes a waiting slot out of the queues that would answer it. */
static void slot_detach(slot *s) {
    if (s->state == SLOT_APPLY) aq_at(s->aseq)->s = NULL;
    if (s->state == SLOT_READ) {
        list_remove(&read_new, s);
        list_remove(&read_wait, s);
        if (s->c) s->c->reads_pending--;
    }
    if (s->state == SLOT_FWD && s->c) { s->c->fwd_pending--; s->c->fwd_bytes -= s->fwd_bytes; }
    if (s->state == SLOT_SLICED) {
        list_remove(&sliced, s);
        keys_job_free(s->job);
        s->job = NULL;
        if (s->c) s->c->reads_pending--;
    }
    if (s->state == SLOT_TRANSFER) list_remove(&transfer_wait, s);
}

/* A slot that will not be answered the normal way: its client gets err. */
static void slot_fail(slot *s, const char *err) {
    slot_detach(s);
    s->reply.len = s->reply.pos = 0;
    reply_error(&s->reply, err);
    slot_done(s);
}

/* ---- forwarding sessions (follower side) ----
 * A client's requests forwarded to the leader carry a session id; the
 * leader answers them in order. When that order can no longer be trusted
 * (leader changed, link lost, a request timed out) the session ends: its
 * owed replies fail and the next request opens a new one. */

static idmap fwd_sessions, proxies_by_sid;

static void fwd_end(client *c) {
    if (!c->fwd_sid) return;
    idmap_del(&fwd_sessions, 0, c->fwd_sid);
    peer_send_forward_close(c->fwd_to, c->fwd_sid);
    for (slot *s = c->shead; s && c->fwd_pending; s = s->next)
        if (s->state == SLOT_FWD) slot_fail(s, s->write ? ERR_UNKNOWN : ERR_NO_LEADER);
    c->fwd_sid = c->fwd_to = 0;
}

static int forward(client *c, uint64_t leader, int write, int argc, rstr *argv) {
    if (c->fwd_sid && c->fwd_to != leader) fwd_end(c);
    if (!c->fwd_sid) {
        c->fwd_sid = ++srv.next_sid;
        c->fwd_to = leader;
        idmap_put(&fwd_sessions, 0, c->fwd_sid, c);
    }
    /* the term vouches that no newer leader existed once this was asked */
    if (peer_send_forward(leader, c->fwd_sid, node_term(), argc, argv) < 0) return -1;
    slot *s = slot_new(c, SLOT_FWD);
    s->write = write;
    s->fwd_bytes = c->parser.request_bytes;
    s->deadline += size_allowance(s->fwd_bytes);
    c->fwd_pending++;
    c->fwd_bytes += s->fwd_bytes;
    return 0;
}

static void on_forward_reply(uint64_t from, uint64_t sid, const char *r, size_t n) {
    client *c = idmap_get(&fwd_sessions, 0, sid);
    if (!c || c->fwd_to != from) return;
    slot *s = c->shead;
    while (s && s->state != SLOT_FWD) s = s->next;
    if (!s) return;
    c->fwd_pending--;
    c->fwd_bytes -= s->fwd_bytes;
    buf_append(&s->reply, r, n);
    slot_done(s);
}

/* ---- dispatch ---- */

static void hold(client *c, int why) {
    c->held = why;
    c->held_since = now_s();
    if (!c->in_held) {
        c->in_held = 1;
        c->hnext = srv.held;
        srv.held = c;
    }
}

static int leader_reachable(void) {
    uint64_t l = node_leader();
    return node_accepting() || (l && l != node_id() && peer_connected(l));
}

/* Once no leader has been reachable for cluster-request-timeout, commands
 * that need one fail at once, as on a Redis Cluster that is down: a
 * pipeline must not wait the bound once per command. */
static int leaderless_too_long(void) {
    static double since;
    double now = now_s();
    if (leader_reachable()) { since = 0; return 0; }
    if (since == 0) since = now;
    return now - since >= (double)srv.cfg.cluster_request_timeout / 1000.0;
}

static void run_read(client *c, const command *run, int argc, rstr *argv, buf *out) {
    cmdctx x = {srv.f, out, c, 0, 0, 0};
    run->proc(&x, argc, argv);
}

static void propose(client *c, int argc, rstr *argv) {
    static buf entry;
    entry.len = entry.pos = 0;
    entry_encode(&entry, ENTRY_COMMAND, (uint64_t)(ev_now(srv.loop) * 1000), argc, argv);
    slot *s = slot_new(c, SLOT_APPLY);
    s->write = 1;
    s->deadline += size_allowance(entry.len);
    s->index = node_propose(entry.data, entry.len);
    s->term = node_term();
    c->last_write = s->index;
    aq_push(s);
}

/* Keyed reads wait for a barrier; the parsed command moves into the slot. */
static void queue_read(client *c, resp_parser *p) {
    slot *s = slot_new(c, SLOT_READ);
    s->argc = p->argc;
    s->argv = p->argv;
    p->argv = NULL;
    p->argc = p->argcap = 0;
    s->need = c->last_write;
    c->reads_pending++;
    uint64_t ri;
    if (c->proxy && node_read_vouched(c->proxy_peer, c->proxy_term, &ri)) {
        /* confirmed by the forwarding follower's term: no round to wait for */
        if (ri > s->need) s->need = ri;
        s->qnext = read_wait;
        read_wait = s;
        return;
    }
    s->qnext = read_new;
    read_new = s;
}

/* A CMD_LEADER command, on the leader: answered now, or once its entry
 * applies, or once the leadership transfer it started is under way. */
static void leader_command(client *c, const command *run, int argc, rstr *argv) {
    static buf out;
    out.len = out.pos = 0;
    cmdctx x = {srv.f, &out, c, 0, 0, 0};
    run->proc(&x, argc, argv);
    if (x.wait_index) {
        slot *s = slot_new(c, SLOT_APPLY);
        s->write = 1;
        s->index = x.wait_index;
        s->term = node_term();
        aq_push(s);
        return;
    }
    if (x.wait_transfer) {
        slot *s = slot_new(c, SLOT_TRANSFER);
        s->qnext = transfer_wait;
        transfer_wait = s;
        return;
    }
    buf *o = reply_target(c);
    buf_append(o, out.data, out.len);
    if (out.len && out.data[0] == '-') srv.errors++;
    if (o != &c->out) slot_done(c->stail);
}

/* Transfers either told their target to take over, or gave up. */
static void serve_transfers(void) {
    int st = transfer_wait ? node_transfer_state() : 0;
    while (st && transfer_wait) {
        slot *s = transfer_wait;
        transfer_wait = s->qnext;
        if (st > 0) reply_ok(&s->reply);
        else reply_error(&s->reply, "ERR leadership transfer did not complete: the target did not catch up in time");
        slot_done(s);
    }
}

/* Runs one parsed request; 0 when it must wait (the client is held). */
/* A write's checks that do not need the data, on the node the client
 * reached, before anything is forwarded or proposed (cmd_validate). */
static int validate(client *c, command *cmd, int argc, rstr *argv) {
    static buf err;
    err.len = err.pos = 0;
    if (cmd_validate(cmd, argc, argv, &err)) return 1;
    buf *out = reply_target(c);
    buf_append(out, err.data, err.len);
    if (out != &c->out) slot_done(c->stail);
    cmd->calls++;
    cmd->failed++;
    srv.errors++;
    return 0;
}

/* A leader that cannot commit takes no more writes past the limit: its
 * clients wait, unread, instead of its memory growing. */
static int backlogged(void) { return node_uncommitted_bytes() > (uint64_t)srv.cfg.max_uncommitted_bytes; }

/* Whether a held client may go on. */
static int hold_over(const client *c) {
    switch (c->held) {
    case HOLD_READS: return c->reads_pending == 0;
    case HOLD_BACKLOG: return !node_accepting() || !backlogged();
    case HOLD_FORWARDS: return c->fwd_bytes <= FWD_MAX_BYTES / 2;
    default: return leader_reachable();
    }
}

static int execute(client *c, resp_parser *p) {
    int argc = p->argc;
    rstr *argv = p->argv;
    command *cmd = cmd_lookup(argv[0].p, argv[0].len);
    const command *run = cmd, *parent = NULL;
    if (!cmd) { cmd_reply_unknown(reply_target(c), argc, argv); srv.errors++; return 1; }
    if (!cmd_arity_ok(cmd, argc)) { cmd_reply_arity(reply_target(c), cmd, NULL); srv.errors++; return 1; }
    if (cmd->subs && argc >= 2) {
        const command *sub = cmd_lookup_sub(cmd, argv[1].p, argv[1].len);
        if (!sub && !cmd->proc) { cmd_reply_unknown_sub(reply_target(c), cmd, &argv[1]); srv.errors++; return 1; }
        if (sub) {
            parent = cmd;
            run = sub;
            if (!cmd_arity_ok(sub, argc)) { cmd_reply_arity(reply_target(c), sub, parent); srv.errors++; return 1; }
        }
    }
    int lead = run->flags & CMD_LEADER;
    int data = (cmd->flags & (CMD_WRITE | CMD_READONLY)) || lead, write = cmd->flags & CMD_WRITE;
    if (data && node_removed()) {
        reply_error(reply_target(c), "ERR this node was removed from the cluster");
        srv.errors++;
        return 1;
    }
    if (write && !validate(c, cmd, argc, argv)) return 1;
    if (data && !node_accepting()) {
        uint64_t l = node_leader();
        if (c->proxy) {  /* never forward twice; a hand-over under way may yet fail */
            if (node_is_leader()) { hold(c, HOLD_LEADER); return 0; }
            reply_error(reply_target(c), ERR_NO_LEADER);
            return 1;
        }
        if (!l || l == node_id() || !peer_connected(l)) {
            if (!leaderless_too_long()) { hold(c, HOLD_LEADER); return 0; }
            reply_error(reply_target(c), ERR_NO_LEADER);
            return 1;
        }
        if (c->fwd_bytes > FWD_MAX_BYTES) { hold(c, HOLD_FORWARDS); return 0; }
        if (forward(c, l, write || lead, argc, argv) < 0) { hold(c, HOLD_LEADER); return 0; }
    } else if (write && c->reads_pending) {
        hold(c, HOLD_READS);  /* a write must not overtake this client's reads */
        return 0;
    } else if (write && node_disk_full()) {
        reply_errorf(reply_target(c), "MISCONF Errors writing to the Raft log: %s", strerror(node_disk_full()));
        if (c->stail) slot_done(c->stail);
        srv.errors++;
        return 1;
    } else if (write && backlogged()) {
        hold(c, HOLD_BACKLOG);
        return 0;
    }
    srv.commands++;
    if (parent) snprintf(c->lastcmd, sizeof(c->lastcmd), "%s|%s", parent->name, run->name);
    else snprintf(c->lastcmd, sizeof(c->lastcmd), "%s", cmd->name);
    cmd->calls++;
    if (data && !node_accepting()) return 1;  /* forwarded */
    if (lead) { leader_command(c, run, argc, argv); return 1; }
    if (write) { propose(c, argc, argv); return 1; }
    if (data) { queue_read(c, p); return 1; }
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    buf *out = reply_target(c);
    size_t before = out->len;
    run_read(c, run, argc, argv, out);
    gettimeofday(&t1, NULL);
    cmd->usec += (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_usec - t0.tv_usec);
    if (out->len > before && out->data[before] == '-') { cmd->failed++; srv.errors++; }
    if (out != &c->out) slot_done(c->stail);
    return 1;
}

/* The output limit holds as replies are made, as in Redis, not only once
 * a write fails: a pipeline of big replies to a client that never reads
 * must not all be built first. Marks the client to be freed. */
static int over_output_limit(client *c) {
    if (c->close_asap) return 1;
    if (c->proxy || (long long)buf_unread(&c->out) <= srv.cfg.client_output_buffer_limit) return 0;
    logmsg(LL_WARNING, "Client id=%llu addr=%s closed for overcoming of output buffer limits.",
           (unsigned long long)c->id, c->addr);
    srv.output_limit_disconnections++;
    c->close_asap = 1;
    set_reading(c, 0);
    queue_output(c);
    return 1;
}

static void protocol_error(client *c) {
    char msg[160];
    snprintf(msg, sizeof(msg), "ERR %s", c->parser.err);
    reply_error(reply_target(c), msg);
    if (c->stail) slot_done(c->stail);
    logmsg(LL_VERBOSE, "Protocol error (%s) from client: id=%llu addr=%s", c->parser.err,
           (unsigned long long)c->id, c->addr);
    c->close_after_reply = 1;
    if (c->fd >= 0) set_reading(c, 0);
    c->in.len = c->in.pos = 0;
}

static void process_input(client *c) {
    if (c->held) return;
    while (!c->close_after_reply && !over_output_limit(c)) {
        if (!c->parsed) {  /* else a held request waits in the parser */
            if (!buf_unread(&c->in)) break;
            /* a follower checked its client's bulks already (as a Redis
             * replica obeys its master): this node's setting is not that one */
            c->parser.max_bulk = c->proxy ? (long long)ENTRY_MAX_REQUEST : srv.cfg.proto_max_bulk_len;
            int r = resp_parse(&c->parser, &c->in);
            if (r == RESP_NEED_MORE) break;
            if (r == RESP_ERR) { protocol_error(c); break; }
            if (c->parser.argc == 0) { resp_args_reset(&c->parser); continue; }
            c->parsed = 1;
        }
        if (!execute(c, &c->parser)) break;
        c->parsed = 0;
        resp_args_reset(&c->parser);
    }
    buf_compact(&c->in);
    if (c->fd >= 0 && c->reading && c->held) set_reading(c, 0);  /* TCP pushes back while it waits */
    queue_output(c);
}

/* Clients whose held request may go on now. */
static int resume_held(void) {
    int resumed = 0;
    double now = now_s(), limit = (double)srv.cfg.cluster_request_timeout / 1000.0;
    for (client **pp = &srv.held; *pp;) {
        client *c = *pp;
        int go = hold_over(c);
        int expired = (c->held == HOLD_LEADER || c->held == HOLD_BACKLOG) && now - c->held_since >= limit;
        if (!go && !expired) { pp = &c->hnext; continue; }
        *pp = c->hnext;
        c->in_held = 0;
        int why = c->held;
        c->held = HOLD_NONE;
        if (!go) {  /* nothing proposed within the bound: not applied, say so */
            reply_error(reply_target(c), why == HOLD_BACKLOG ? ERR_BACKLOG : ERR_NO_LEADER);
            if (c->stail) slot_done(c->stail);
            c->parsed = 0;
            resp_args_reset(&c->parser);
        }
        if (c->fd >= 0 && !c->close_after_reply) set_reading(c, 1);
        process_input(c);
        resumed++;
    }
    return resumed;
}

/* Reads whose barrier is confirmed and whose index is applied. */
static void serve_reads(void) {
    uint64_t confirmed = node_confirmed_round(), applied = node_applied();
    for (slot **pp = &read_wait; *pp;) {
        slot *s = *pp;
        if (s->round > confirmed || s->need > applied) { pp = &s->qnext; continue; }
        *pp = s->qnext;
        command *cmd = cmd_lookup(s->argv[0].p, s->argv[0].len);
        if ((cmd->flags & CMD_SLICED) && !s->c->close_asap && (s->job = keys_job_new(srv.f, &s->argv[1]))) {
            s->state = SLOT_SLICED;  /* the view is taken now: the read's point in time */
            s->qnext = sliced;
            sliced = s;
            ev_idle_start(srv.loop, &srv.slicing);
            continue;
        }
        client *c = s->c;
        if (!c->close_asap) run_read(c, cmd, s->argc, s->argv, &s->reply);
        c->reads_pending--;
        slot_done(s);
        /* into the output buffer now, where its limit is checked (s may be
         * gone); a proxy's goes out in flush_pending, never here: sending
         * can fail, free the proxy and the other slots of this list */
        if (!c->proxy) {
            pump(c);
            over_output_limit(c);
        }
    }
}

/* A slice of every sliced read: about SLICE_BUDGET keys each per loop
 * iteration (a few ms), so heartbeats and other clients go on. */
#define SLICE_BUDGET 20000
static void serve_slices(void) {
    for (slot **pp = &sliced; *pp;) {
        slot *s = *pp;
        client *c = s->c;
        int done = keys_job_step(s->job, SLICE_BUDGET, &s->reply);
        uint64_t limit = c->proxy ? PEER_MAX_FRAME - 64 : (uint64_t)srv.cfg.client_output_buffer_limit;
        if (!done && keys_job_bytes(s->job) <= limit) {
            pp = &s->qnext;
            continue;
        }
        *pp = s->qnext;
        size_t made = keys_job_bytes(s->job);
        keys_job_free(s->job);
        s->job = NULL;
        c->reads_pending--;
        if (!done && c->proxy) {  /* it could never be forwarded */
            reply_errorf(&s->reply, "ERR the reply (over %zu bytes) is too large to forward: send this command to "
                         "the leader", made);
        } else if (!done) {  /* the reply alone passes the client's limit: as when one did */
            logmsg(LL_WARNING, "Client id=%llu addr=%s closed for overcoming of output buffer limits.",
                   (unsigned long long)c->id, c->addr);
            srv.output_limit_disconnections++;
            c->close_asap = 1;
        }
        slot_done(s);
        if (!c->proxy) {  /* as in serve_reads */
            pump(c);
            over_output_limit(c);
        }
    }
    if (!sliced) ev_idle_stop(srv.loop, &srv.slicing);
}

/* One barrier round for every read queued since the last one. */
static void start_reads(void) {
    if (!read_new) return;
    uint64_t ri = 0, round = node_read_round(&ri);
    if (!round) return;  /* leader_changed() fails them */
    while (read_new) {
        slot *s = read_new;
        read_new = s->qnext;
        s->round = round;
        if (ri > s->need) s->need = ri;
        s->qnext = read_wait;
        read_wait = s;
    }
}

static void on_leader_changed(void) {
    /* a barrier belongs to one term of one leader: never carry it over */
    while (read_new) slot_fail(read_new, ERR_NO_LEADER);
    while (read_wait) slot_fail(read_wait, ERR_NO_LEADER);
    uint64_t l = node_leader();
    for (client *c = srv.clients; c; c = c->next)
        if (c->fwd_sid && c->fwd_to != l) fwd_end(c);
}

/* Frees the proxies of follower id: those that came on `link`, or all (0). */
static void free_proxies(uint64_t id, uint64_t link) {
    for (client *c = srv.proxies, *next; c; c = next) {
        next = c->next;
        if (c->proxy_peer == id && (!link || c->proxy_link == link)) client_free(c);
    }
}

/* The follower's sessions on that connection ended with it (it starts new
 * ones on its next connection), even if our link to it is still up. */
static void on_link_closed(uint64_t id, uint64_t link) { free_proxies(id, link); }

static void on_peer_down(uint64_t id) {
    for (client *c = srv.clients; c; c = c->next)
        if (c->fwd_sid && c->fwd_to == id) fwd_end(c);
    free_proxies(id, 0);
}

/* ---- proxies (leader side): a follower's client, replayed here ---- */

static client *client_alloc(int fd) {
    client *c = xmalloc(sizeof(*c));
    memset(c, 0, sizeof(*c));
    c->id = ++srv.next_client_id;
    c->fd = fd;
    c->ctime = c->atime = time(NULL);
    strcpy(c->lastcmd, "NULL");
    resp_parser_init(&c->parser, srv.cfg.proto_max_bulk_len, ENTRY_MAX_REQUEST);
    return c;
}

static void on_forward(uint64_t from, uint64_t link, uint64_t sid, uint64_t term, int argc, rstr *argv) {
    client *c = idmap_get(&proxies_by_sid, from, sid);
    if (!c) {
        c = client_alloc(-1);
        c->proxy = 1;
        c->proxy_peer = from;
        c->proxy_sid = sid;
        snprintf(c->addr, sizeof(c->addr), "node%llu:%llu", (unsigned long long)from, (unsigned long long)sid);
        c->next = srv.proxies;
        if (srv.proxies) srv.proxies->prev = c;
        srv.proxies = c;
        idmap_put(&proxies_by_sid, from, sid, c);
        srv.nproxies++;
    }
    c->proxy_link = link;
    /* every request still buffered was asked before this one was sent */
    if (term > c->proxy_term) c->proxy_term = term;
    /* re-encoded as RESP so it takes the path of every other request */
    buf_printf(&c->in, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        buf_printf(&c->in, "$%zu\r\n", argv[i].len);
        buf_append(&c->in, argv[i].p, argv[i].len);
        buf_append(&c->in, "\r\n", 2);
    }
    process_input(c);
}

static void on_forward_close(uint64_t from, uint64_t sid) {
    client *c = idmap_get(&proxies_by_sid, from, sid);
    if (c) client_free(c);
}

/* Moves finished replies, oldest first, to where they go; 0 when the
 * client is gone: a proxy is freed if sending to its follower closes the
 * link (its send buffer full), which frees that follower's proxies. */
static int pump(client *c) {
    while (c->shead && c->shead->state == SLOT_DONE) {
        slot *s = c->shead;
        c->shead = s->next;
        if (!c->shead) c->stail = NULL;
        int proxy = c->proxy;
        uint64_t peer = c->proxy_peer, sid = c->proxy_sid;
        if (c->proxy && s->reply.len > PEER_MAX_FRAME - 64) {  /* one frame carries one reply */
            char e[160];
            snprintf(e, sizeof(e), "-ERR the reply (%zu bytes) is too large to forward: send this command to the "
                     "leader\r\n", s->reply.len);
            peer_send_forward_reply(c->proxy_peer, c->proxy_sid, e, strlen(e));
        } else if (c->proxy) {
            peer_send_forward_reply(c->proxy_peer, c->proxy_sid, s->reply.data, s->reply.len);
        } else {
            buf_append(&c->out, s->reply.data + s->reply.pos, buf_unread(&s->reply));
        }
        slot_free(s);  /* no longer the client's: freed here either way */
        if (proxy && idmap_get(&proxies_by_sid, peer, sid) != c) return 0;  /* c is not read: it may be gone */
    }
    return 1;
}

/* Every expired slot, not just the oldest: a long pipeline must not be
 * answered one timer tick per command. Deadlines grow along the list. */
static void expire_slots(client *c, double now) {
    for (slot *s = c->shead; s; s = s->next) {
        if (s->state == SLOT_DONE) continue;
        if (s->deadline > now) return;
        if (s->state == SLOT_FWD) fwd_end(c);
        else slot_fail(s, s->state == SLOT_APPLY ? ERR_UNKNOWN : ERR_NO_LEADER);
    }
}

static void timeouts_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop; (void)w; (void)revents;
    double now = now_s();
    leaderless_too_long();  /* keeps its clock running between commands */
    for (client *c = srv.clients; c; c = c->next) expire_slots(c, now);
    for (client *c = srv.proxies; c; c = c->next) expire_slots(c, now);
}

void client_free(client *c) {
    if (c->fd >= 0) {
        set_reading(c, 0);
        set_writing(c, 0);
        close(c->fd);
        srv.nclients--;
    }
    /* first: failing its forwarded requests queues the client for output */
    fwd_end(c);
    if (c->prev) c->prev->next = c->next;
    else if (c->proxy) srv.proxies = c->next;
    else srv.clients = c->next;
    if (c->next) c->next->prev = c->prev;
    if (c->pending)
        for (client **p = &srv.pending; *p; p = &(*p)->pnext)
            if (*p == c) { *p = c->pnext; break; }
    if (c->in_held)
        for (client **p = &srv.held; *p; p = &(*p)->hnext)
            if (*p == c) { *p = c->hnext; break; }
    if (c->proxy) {
        idmap_del(&proxies_by_sid, c->proxy_peer, c->proxy_sid);
        srv.nproxies--;
    }
    while (c->shead) {
        slot *s = c->shead;
        c->shead = s->next;
        if (s->state != SLOT_DONE) slot_detach(s);
        slot_free(s);
    }
    buf_free(&c->in);
    buf_free(&c->out);
    resp_parser_free(&c->parser);
    free(c->name);
    free(c);
}

static void addr_str(int fd, int peer, char *out, size_t cap) {
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    int r = peer ? getpeername(fd, (struct sockaddr *)&sa, &len) : getsockname(fd, (struct sockaddr *)&sa, &len);
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (r == 0 && sa.ss_family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)&sa;
        inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
        port = ntohs(s->sin_port);
    } else if (r == 0 && sa.ss_family == AF_INET6) {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&sa;
        inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
        port = ntohs(s->sin6_port);
    }
    snprintf(out, cap, "%s:%d", ip, port);
}

/* ---- file descriptors ----
 * Descriptors the node keeps for itself, out of its clients' reach: two
 * LevelDBs (the live one and one built from an image), peers in and out,
 * the log, image transfers, listening sockets, libev and the log file. */
#define RESERVED_FDS (2 * STORE_MAX_OPEN_FILES + PEER_MAX_INBOUND + 4 * RAFT_MAX_NODES + 64)

/* Raises RLIMIT_NOFILE towards maxclients + RESERVED_FDS, as far as the
 * system lets it; returns how many clients the limit then allows. */
long long server_clients_possible(long long maxclients) {
    struct rlimit rl;
    rlim_t want = (rlim_t)maxclients + RESERVED_FDS;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return maxclients;  /* nothing better to go by */
    if (rl.rlim_cur < want) {
        struct rlimit up = {want, rl.rlim_max > want ? rl.rlim_max : want};
        if (setrlimit(RLIMIT_NOFILE, &up) < 0) {  /* not root: as far as the hard limit */
            up.rlim_cur = up.rlim_max = rl.rlim_max;
            if (rl.rlim_max > rl.rlim_cur) setrlimit(RLIMIT_NOFILE, &up);
        }
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur >= want) return maxclients;
    return rl.rlim_cur > RESERVED_FDS ? (long long)(rl.rlim_cur - RESERVED_FDS) : 0;
}

/* At start-up: maxclients is lowered, with a warning, to what the limit
 * on open files allows. */
static int adjust_open_files(void) {
    long long can = server_clients_possible(srv.cfg.maxclients);
    if (can >= srv.cfg.maxclients) return 0;
    if (can < 1) {
        logmsg(LL_WARNING, "The limit on open files (ulimit -n) is too low to start: this node needs %d descriptors "
               "for itself plus one per client. Raise it (ulimit -n %lld).", RESERVED_FDS,
               srv.cfg.maxclients + RESERVED_FDS);
        return -1;
    }
    logmsg(LL_WARNING, "maxclients %lld needs %lld open files, and the limit (ulimit -n) could not be raised past "
           "%lld: maxclients is lowered to %lld. To serve more clients, raise 'ulimit -n'.", srv.cfg.maxclients,
           srv.cfg.maxclients + RESERVED_FDS, can + RESERVED_FDS, can);
    srv.cfg.maxclients = can;
    return 0;
}

static void accept_resume_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)w; (void)revents;
    ev_io_start(loop, &srv.accept_io);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)revents;
    for (int i = 0; i < 256; i++) {
        int fd = accept(w->fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) return;
            logmsg(LL_WARNING, "Accepting client connection: %s", strerror(errno));
            /* out of descriptors or memory: the connection stays pending
             * and would wake the loop at once, for ever; try again later */
            ev_io_stop(loop, w);
            ev_timer_start(loop, &srv.accept_pause);
            return;
        }
        srv.conns_received++;
        if (srv.nclients >= srv.cfg.maxclients) {
            static const char msg[] = "-ERR max number of clients reached\r\n";
            if (write(fd, msg, sizeof(msg) - 1) < 0) { /* best effort, as Redis */ }
            close(fd);
            srv.conns_rejected++;
            continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        client *c = client_alloc(fd);
        addr_str(fd, 1, c->addr, sizeof(c->addr));
        addr_str(fd, 0, c->laddr, sizeof(c->laddr));
        ev_io_init(&c->rio, read_cb, fd, EV_READ);
        ev_io_init(&c->wio, write_cb, fd, EV_WRITE);
        c->rio.data = c->wio.data = c;
        c->next = srv.clients;
        if (srv.clients) srv.clients->prev = c;
        srv.clients = c;
        srv.nclients++;
        set_reading(c, 1);
    }
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop; (void)revents;
    client *c = w->data;
    buf_reserve(&c->in, READ_CHUNK);
    ssize_t n = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) { client_free(c); return; }
    c->in.len += (size_t)n;
    c->atime = time(NULL);
    srv.net_in += n;
    if ((long long)buf_unread(&c->in) > srv.cfg.client_query_buffer_limit) {
        logmsg(LL_WARNING, "Closing client that reached max query buffer length: id=%llu addr=%s (qbuf=%zu)",
               (unsigned long long)c->id, c->addr, buf_unread(&c->in));
        client_free(c);
        return;
    }
    process_input(c);
}

/* Writes what it can; 0 if the client was freed. */
static int flush_client(client *c) {
    while (buf_unread(&c->out)) {
        ssize_t n = write(c->fd, c->out.data + c->out.pos, buf_unread(&c->out));
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { client_free(c); return 0; }
        c->out.pos += (size_t)n;
        srv.net_out += n;
    }
    if (buf_unread(&c->out) == 0) {
        c->out.pos = c->out.len = 0;
        if (c->out.cap > (1 << 20)) buf_free(&c->out);  /* give back a big reply's memory */
        set_writing(c, 0);
        if (c->close_after_reply && !c->shead) { client_free(c); return 0; }
        return 1;
    }
    if (over_output_limit(c)) { client_free(c); return 0; }
    set_writing(c, 1);
    return 1;
}

static void write_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop; (void)revents;
    flush_client(w->data);
}

static void flush_pending(void) {
    while (srv.pending) {
        client *c = srv.pending;
        srv.pending = c->pnext;
        c->pending = 0;
        if (!pump(c)) continue;
        if (over_output_limit(c)) {
            client_free(c);
        } else if (c->proxy) {
            if (c->close_after_reply && !c->shead) client_free(c);
        } else if (!c->writing) {
            flush_client(c);
        }
    }
}

/* Only keeps the loop from sleeping: the slices run in before_sleep_cb. */
static void slicing_cb(struct ev_loop *loop, ev_idle *w, int revents) { (void)loop; (void)w; (void)revents; }

/* Like Redis's beforeSleep: drive the node, answer what is answered. */
static void before_sleep_cb(struct ev_loop *loop, ev_prepare *w, int revents) {
    (void)loop; (void)w; (void)revents;
    for (int k = 0; k < 4; k++) {
        int resumed = srv.held ? resume_held() : 0;
        start_reads();
        node_process();
        serve_reads();
        serve_slices();
        serve_transfers();
        if (!resumed) break;
    }
    flush_pending();
    peer_flush();
}

/* A leader that is asked to stop hands over first, so the others need
 * not wait out an election timeout; it stops once another node leads, or
 * after two election timeouts. */
static void handover_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    double waited = now_s() - srv.stop_requested;
    uint64_t l = node_leader();
    int moved = l && l != node_id();
    if (!moved && waited < 2.0 * (double)srv.cfg.election_timeout / 1000.0) return;
    if (moved) logmsg(LL_NOTICE, "Leadership handed over to node %llu", (unsigned long long)l);
    else logmsg(LL_WARNING, "Leadership hand-over did not complete; stopping anyway");
    ev_timer_stop(loop, w);
    ev_break(loop, EVBREAK_ALL);
}

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents) {
    (void)revents;
    logmsg(LL_WARNING, "Received %s scheduling shutdown...", w->signum == SIGINT ? "SIGINT" : "SIGTERM");
    if (!srv.stop_requested && node_is_leader() && node_transfer(0)) {
        srv.stop_requested = now_s();
        ev_timer_init(&srv.handover, handover_cb, 0.01, 0.01);
        ev_timer_start(loop, &srv.handover);
        return;
    }
    ev_break(loop, EVBREAK_ALL);
}

static int listen_on(const char *host, int port) {
    struct sockaddr_storage sa;
    socklen_t len;
    memset(&sa, 0, sizeof(sa));
    struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        len = sizeof(*s4);
    } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        len = sizeof(*s6);
    } else {
        logmsg(LL_WARNING, "Invalid bind address '%s'", host);
        return -1;
    }
    int fd = socket(sa.ss_family, SOCK_STREAM, 0), one = 1;
    if (fd < 0) return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 511) < 0) {
        logmsg(LL_WARNING, "Could not create server TCP listening socket %s:%d: %s", host, port, strerror(errno));
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void usage(void) {
    printf("Usage: ./raftkv-server [/path/to/raftkv.conf] [options]\n"
           "       ./raftkv-server -v or --version\n"
           "       ./raftkv-server -h or --help\n\n"
           "Options (also accepted in the config file, without the dashes):\n"
           "  --port N                       client port (default 7001)\n"
           "  --bind ADDR                    listen address (default 127.0.0.1)\n"
           "  --dir PATH                     data directory (default ./data)\n"
           "  --loglevel debug|verbose|notice|warning\n"
           "  --logfile PATH                 log file (default: standard output)\n"
           "  --maxclients N                 (default 10000)\n"
           "  --proto-max-bulk-len BYTES     largest bulk string (default 512mb)\n"
           "  --client-query-buffer-limit BYTES  (default 1gb)\n"
           "  --client-output-buffer-limit BYTES (default 1gb)\n"
           "  --appendfsync always|no        fdatasync the Raft log before acknowledging (default always)\n"
           "  --id N                         this node's id in --cluster (default 1)\n"
           "  --cluster 1=HOST:PORT[@PEERPORT],2=...  every member; peer port defaults to port + 10000\n"
           "  --cluster-request-timeout MS   bound on waiting for a leader or a commit (default 3000)\n"
           "  --election-timeout MS          (default 1000, randomized up to twice that)\n"
           "  --heartbeat-interval MS        (default 100)\n"
           "  --wal-segment-size BYTES       (default 64mb)\n\n"
           "Examples:\n"
           "  ./raftkv-server --port 7001 --dir ./data\n"
           "  ./raftkv-server --id 2 --dir ./n2 --cluster 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003\n"
           "  ./raftkv-server /etc/raftkv/7001.conf --loglevel verbose\n");
}

int main(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version"))) {
        printf("raftkv-server v=%s (Redis protocol %s compatible)\n", RAFTKV_VERSION, REDIS_COMPAT_VERSION);
        return 0;
    }
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) { usage(); return 0; }
    char err[512];
    config_defaults(&srv.cfg);
    if (config_load_args(&srv.cfg, argc - 1, argv + 1, err, sizeof(err)) < 0) {
        fprintf(stderr, "\n*** FATAL CONFIG ERROR ***\n%s\n", err);
        return 1;
    }
    log_level = srv.cfg.loglevel;
    if (log_open(srv.cfg.logfile) < 0) {
        fprintf(stderr, "Can't open the log file %s: %s\n", srv.cfg.logfile, strerror(errno));
        return 1;
    }
    cmd_max_string = srv.cfg.proto_max_bulk_len;
    signal(SIGPIPE, SIG_IGN);
    srandom((unsigned)time(NULL) ^ (unsigned)getpid());
    logmsg(LL_NOTICE, "raftkv %s starting, pid=%d", RAFTKV_VERSION, (int)getpid());
    if (adjust_open_files() < 0) return 1;
    if (mkdir(srv.cfg.dir, 0755) < 0 && errno != EEXIST) {
        logmsg(LL_WARNING, "Can't create data directory %s: %s", srv.cfg.dir, strerror(errno));
        return 1;
    }
    char *dberr = NULL;
    srv.f = store_open(srv.cfg.dir, &dberr);
    if (!srv.f) {
        logmsg(LL_WARNING, "Can't open the data in %s: %s", srv.cfg.dir, dberr);
        free(dberr);
        return 1;
    }
    logmsg(LL_NOTICE, "Data loaded: %llu keys, applied index %llu", (unsigned long long)store_keys(srv.f),
           (unsigned long long)store_applied(srv.f));
    srv.loop = ev_default_loop(0);
    node_events nev = {reply_for, NULL, on_leader_changed, on_forward, on_forward_reply, on_forward_close, on_peer_down,
                       on_link_closed};
    if (node_init(srv.loop, &srv.cfg, srv.f, &nev) < 0) { store_close(srv.f); return 1; }
    srv.lfd = listen_on(srv.cfg.bind, srv.cfg.port);
    if (srv.lfd < 0) { node_shutdown(); store_close(srv.f); return 1; }
    srv.start_time = time(NULL);
    /* Session ids start at a random point: a restarted follower must not
     * reuse an id the leader may still hold a proxy for. */
    if (getrandom(&srv.next_sid, sizeof(srv.next_sid), 0) != sizeof(srv.next_sid)) srv.next_sid = (uint64_t)time(NULL);
    srv.next_sid = (srv.next_sid | 1) << 20;
    ev_timer_init(&srv.timeouts, timeouts_cb, 0.05, 0.05);
    ev_timer_start(srv.loop, &srv.timeouts);
    ev_io_init(&srv.accept_io, accept_cb, srv.lfd, EV_READ);
    ev_timer_init(&srv.accept_pause, accept_resume_cb, 0.1, 0.);
    ev_io_start(srv.loop, &srv.accept_io);
    ev_idle_init(&srv.slicing, slicing_cb);
    ev_prepare_init(&srv.before_sleep, before_sleep_cb);
    ev_prepare_start(srv.loop, &srv.before_sleep);
    ev_signal_init(&srv.sigterm, stop_cb, SIGTERM);
    ev_signal_start(srv.loop, &srv.sigterm);
    ev_signal_init(&srv.sigint, stop_cb, SIGINT);
    ev_signal_start(srv.loop, &srv.sigint);
    logmsg(LL_NOTICE, "Ready to accept connections tcp on %s:%d", srv.cfg.bind, srv.cfg.port);
    ev_run(srv.loop, 0);
    /* Shutdown: everything applied is made durable, then closed. */
    while (srv.clients) client_free(srv.clients);
    while (srv.proxies) client_free(srv.proxies);
    close(srv.lfd);
    node_shutdown();
    if (store_sync(srv.f) != 0) logmsg(LL_WARNING, "Final sync failed");
    free(aq.v);
    idmap_free(&fwd_sessions);
    idmap_free(&proxies_by_sid);
    store_close(srv.f);
    ev_loop_destroy(srv.loop);
    logmsg(LL_NOTICE, "raftkv is now ready to exit, bye bye...");
    log_close();
    return 0;
}
