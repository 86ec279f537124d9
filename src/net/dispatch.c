#include "dispatch.h"
#include "auth.h"
#include "blocking.h"
#include "forward.h"
#include "multi.h"
#include "node.h"
#include "peer.h"
#include "reads.h"
#include "server.h"
#include "slot.h"
#include "tx.h"
#include "writes.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define ERR_BACKLOG "TRYAGAIN Too much uncommitted on the leader, command not applied"

static client *held;     /* clients whose next request waits, by hnext */
static ev_timer timeouts;
static dispatch_stats stats;

/* A request, resolved against the command table. */
typedef struct request {
    int argc;
    rstr *argv;
    command *cmd;                 /* the table's entry: its statistics */
    const command *run, *parent;  /* what runs: cmd, or its subcommand (parent: cmd) */
    int lead, data, write;        /* CMD_LEADER; needs the leader; a log entry */
} request;

/* What admission decided: run here, sent to the leader, wait, or answered. */
enum { GO_LOCAL, GO_FORWARDED, GO_HELD, GO_ANSWERED };

int dispatch_run_at(client *c, const command *cmd, int argc, rstr *argv, buf *out, uint64_t time_ms) {
    cmdctx x = {server_store(), out, c, time_ms, 0, 0, 0, 0, 0, 0};
    cmd->proc(&x, argc, argv);
    return x.wait_stop;
}

int dispatch_run(client *c, const command *cmd, int argc, rstr *argv, buf *out) {
    return dispatch_run_at(c, cmd, argc, argv, out, node_read_time());
}

/* ---- holding ---- */

static int hold(client *c, int why) {
    c->held = why;
    c->held_since = server_now();
    if (!c->in_held) {
        c->in_held = 1;
        c->hnext = held;
        held = c;
    }
    return GO_HELD;
}

static int leader_reachable(void) {
    uint64_t l = node_leader();
    return node_accepting() || (l && l != node_id() && peer_linked(l));
}

/* Since when no leader has been reachable (0: one is). Noted on every
 * loop iteration: noted only when a request found none, a first outage
 * would stand for every later one, and a request meeting the next short
 * election would fail at once instead of waiting for its outcome. */
static double leaderless_since;

static void note_leader(void) {
    if (leader_reachable()) leaderless_since = 0;
    else if (leaderless_since == 0) leaderless_since = server_now();
}

/* Once no leader has been reachable for cluster-request-timeout, commands
 * that need one fail at once, as on a Redis Cluster that is down: a
 * pipeline must not wait the bound once per command. */
static int leaderless_too_long(void) {
    note_leader();
    return leaderless_since != 0 &&
           server_now() - leaderless_since >= (double)server_cfg()->cluster_request_timeout / 1000.0;
}

/* A leader that cannot commit, or apply, as fast as it is written to
 * takes no more writes past the limit: its clients wait, unread, instead
 * of its memory growing. */
static int backlogged(void) {
    return node_uncommitted_bytes() + node_unapplied_bytes() > (uint64_t)server_cfg()->max_uncommitted_bytes;
}

/* Whether a held client may go on (reachable: leader_reachable(), asked
 * once per pass rather than per client). */
static int hold_over(const client *c, int reachable) {
    switch (c->held) {
    case HOLD_READS: return c->reads_pending == 0;
    case HOLD_PROBE: return c->probing == 0;
    case HOLD_BACKLOG: return !node_accepting() || !backlogged();
    case HOLD_FORWARDS: return c->fwd_bytes <= FORWARD_MAX_BYTES / 2;
    case HOLD_APPLIED: return node_applied() >= c->acked_write;
    case HOLD_STOP: return !c->stop_wait;
    case HOLD_BLOCKED: return !blocking_holds(c);
    default: return reachable;
    }
}

/* Waiting for a leader, or for room on it, is bounded; the others end on
 * their own. */
static int hold_expired(const client *c, double now, double limit) {
    return (c->held == HOLD_LEADER || c->held == HOLD_BACKLOG) && now - c->held_since >= limit;
}

/* c goes on: its request runs, or, when go is 0, fails as not applied. */
static void unhold(client *c, int go) {
    int why = c->held;
    c->in_held = 0;
    c->held = HOLD_NONE;
    if (!go) {  /* nothing proposed within the bound: not applied, say so */
        buf *out = slot_reply_target(c);
        reply_error(out, why == HOLD_BACKLOG ? ERR_BACKLOG : ERR_NO_LEADER);
        slot_reply_end(c, out);
        c->parsed = 0;
        resp_args_reset(&c->parser);
    }
    if (c->fd >= 0 && !c->close_after_reply) client_set_reading(c, 1);
    client_process_input(c);
}

int dispatch_resume_held(void) {
    int resumed = 0;
    note_leader();
    double now = server_now(), limit = (double)server_cfg()->cluster_request_timeout / 1000.0;
    int reachable = leader_reachable();
    for (client **pp = &held; *pp;) {
        client *c = *pp;
        int go = hold_over(c, reachable);
        if (!go && !hold_expired(c, now, limit)) { pp = &c->hnext; continue; }
        *pp = c->hnext;
        unhold(c, go);
        resumed++;
    }
    return resumed;
}

void dispatch_client_gone(client *c) {
    if (!c->in_held) return;
    for (client **p = &held; *p; p = &(*p)->hnext)
        if (*p == c) { *p = c->hnext; return; }
}

/* ---- one request ---- */

/* The command and the subcommand a request names; 0 with the error
 * replied when there is none, or its arity is wrong. */
static int resolve(client *c, request *r) {
    r->cmd = cmd_lookup(r->argv[0].p, r->argv[0].len);
    r->run = r->cmd;
    r->parent = NULL;
    if (!r->cmd) { cmd_reply_unknown(slot_reply_target(c), r->argc, r->argv); return 0; }
    if (!cmd_arity_ok(r->cmd, r->argc)) { cmd_reply_arity(slot_reply_target(c), r->cmd, NULL); r->cmd->rejected++; return 0; }
    if (r->cmd->subs && r->argc >= 2) {
        const command *sub = cmd_lookup_sub(r->cmd, r->argv[1].p, r->argv[1].len);
        if (!sub && !r->cmd->proc) { cmd_reply_unknown_sub(slot_reply_target(c), r->cmd, &r->argv[1]); return 0; }
        if (sub) {
            r->parent = r->cmd;
            r->run = sub;
            if (!cmd_arity_ok(sub, r->argc)) { cmd_reply_arity(slot_reply_target(c), sub, r->parent); r->cmd->rejected++; return 0; }
        }
    }
    r->lead = r->run->flags & CMD_LEADER;
    r->data = ((r->cmd->flags | r->run->flags) & (CMD_WRITE | CMD_READONLY)) || r->lead;
    r->write = (r->cmd->flags | r->run->flags) & CMD_WRITE;
    return 1;
}

/* A write's checks that do not need the data, on the node the client
 * reached, before anything is forwarded or proposed (cmd_validate). */
static int validate(client *c, const request *r) {
    static buf err;
    err.len = err.pos = 0;
    if (cmd_validate(r->run, node_time(), r->argc, r->argv, &err)) return 1;
    buf *out = slot_reply_target(c);
    buf_append(out, err.data, err.len);
    slot_reply_end(c, out);
    r->cmd->calls++;
    r->cmd->failed++;
    stats.errors++;
    return 0;
}

/* This node does not take proposals: the request goes to the leader, or
 * waits for one, or fails once none has been reachable for too long. */
static int route_to_leader(client *c, const request *r) {
    uint64_t l = node_leader();
    if (c->proxy) {  /* never forward twice; a hand-over under way may yet fail */
        if (node_is_leader()) return hold(c, HOLD_LEADER);
        reply_error(slot_reply_target(c), ERR_NO_LEADER);
        return GO_ANSWERED;
    }
    if (!l || l == node_id() || !peer_linked(l)) {
        if (!leaderless_too_long()) return hold(c, HOLD_LEADER);
        reply_error(slot_reply_target(c), ERR_NO_LEADER);
        return GO_ANSWERED;
    }
    if (c->fwd_bytes > FORWARD_MAX_BYTES) return hold(c, HOLD_FORWARDS);
    if (forward_request(c, l, r->write || r->lead, r->argc, r->argv) < 0) return hold(c, HOLD_LEADER);
    return GO_FORWARDED;
}

/* A read this follower serves itself (reads.h), unless the client must
 * see forwarded requests of its own first, is in a transaction, or asks
 * WATCH (transactions are the leader's). */
static int follower_read(const client *c, const request *r) {
    uint64_t l = node_leader();
    return server_cfg()->follower_reads && !r->write && !r->lead && !c->proxy && !c->fwd_pending && !c->fwd_multi &&
           !c->fwd_watch && r->run->proc != watch_command && l && l != node_id() && peer_linked(l) &&
           !node_disk_full() && node_commit_index() - node_applied() <= FOLLOWER_READ_LAG;
}

/* Whether a write is tried as a read first (CMD_PROBE, reads.h): on the
 * leader, when the client has no write of its own still to apply (then
 * the write is proposed at once, as a pipeline's writes are) and no read
 * but probes waiting (a probe that proposes must not overtake a read). */
static int probe_first(const client *c, const request *r) {
    return r->write && (r->run->flags & CMD_PROBE) && server_cfg()->write_probes && node_accepting() &&
           c->last_write <= node_applied() && c->reads_pending == c->probing && cmd_probe_worth(r->argc, r->argv);
}

/* Whether, and where, the request may go on now (GO_*). */
static int admit(client *c, const request *r) {
    if (r->data && node_removed()) {
        reply_error(slot_reply_target(c), "ERR this node was removed from the cluster");
        stats.errors++;
        r->cmd->rejected++;
        return GO_ANSWERED;
    }
    /* a write may be answered once committed (writes.h): a command the
     * node answers itself (INFO, DEBUG DIGEST, ...) waits until it has
     * applied here (it will: it is committed), as reads do */
    if (!r->data && c->acked_write > node_applied()) return hold(c, HOLD_APPLIED);
    if (r->write && !validate(c, r)) return GO_ANSWERED;
    /* a request after a probe waits to learn whether it wrote, unless a probe itself (reads_probe_serve) */
    if (r->data && c->probing && !probe_first(c, r)) return hold(c, HOLD_PROBE);
    if (r->write && c->reads_pending && !probe_first(c, r)) return hold(c, HOLD_READS);  /* nor overtake its reads */
    if (r->data && !node_accepting() && follower_read(c, r)) return GO_LOCAL;
    if (r->data && !node_accepting()) return route_to_leader(c, r);
    if (!r->write) return GO_LOCAL;
    if (node_disk_full()) {
        buf *out = slot_reply_target(c);
        reply_errorf(out, "MISCONF Errors writing to the Raft log: %s", strerror(node_disk_full()));
        slot_reply_end(c, out);
        stats.errors++;
        r->cmd->rejected++;
        return GO_ANSWERED;
    }
    if (backlogged()) return hold(c, HOLD_BACKLOG);
    return GO_LOCAL;
}

/* CLIENT LIST's cmd=, set once the command is known, as Redis does (an
 * ACL LOG entry for a refused command shows it). */
static void name_last(client *c, const request *r) {
    if (r->parent) snprintf(c->lastcmd, sizeof(c->lastcmd), "%s|%s", r->parent->name, r->run->name);
    else snprintf(c->lastcmd, sizeof(c->lastcmd), "%s", r->cmd->name);
}

/* For INFO commandstats. */
static void count(const request *r) {
    stats.commands++;
    r->cmd->calls++;
}

/* A CMD_LEADER command, on the leader: answered now, or once its entry
 * applies, or once the leadership transfer it started is under way. */
static void run_leader_command(client *c, const request *r) {
    static buf out;
    out.len = out.pos = 0;
    cmdctx x = {server_store(), &out, c, 0, 0, 0, 0, 0, 0, 0};
    r->run->proc(&x, r->argc, r->argv);
    if (x.wait_index) { writes_await_index(c, x.wait_index); return; }
    if (x.wait_transfer) { writes_await_transfer(c); return; }
    buf *o = slot_reply_target(c);
    buf_append(o, out.data, out.len);
    if (out.len && out.data[0] == '-') stats.errors++;
    slot_reply_end(c, o);
}

/* A command that reads no keys (server and connection commands): run at
 * once, timed for INFO commandstats. */
static void run_now(client *c, const request *r) {
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    buf *out = slot_reply_target(c);
    size_t before = out->len;
    int stop = dispatch_run(c, r->run, r->argc, r->argv, out);
    gettimeofday(&t1, NULL);
    r->cmd->usec += (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_usec - t0.tv_usec);
    if (stop) { server_await_stop(c, out); return; }
    if (out->len > before && out->data[before] == '-') { r->cmd->failed++; stats.errors++; }
    slot_reply_end(c, out);
}

/* Redis's order: a command must be known and well-formed (resolve)
 * before a client that has not authenticated is told NOAUTH, then its
 * user's permissions (ACL) decide. On the leader a forwarded command is
 * checked again, as the user its follower vouched for. */
static int authorized(client *c, const request *r) {
    static buf err;
    err.len = err.pos = 0;
    if (r->cmd->proc == debug_command && !debug_allowed(c)) return 1;  /* its handler refuses it */
    if (auth_required(c) && !(r->run->flags & CMD_NO_AUTH)) reply_error(&err, ERR_NOAUTH);
    else if (auth_permitted(c, r->cmd, r->parent ? r->run : NULL, r->argc, r->argv, &err)) return 1;
    buf *out = slot_reply_target(c);
    buf_append(out, err.data, err.len);
    slot_reply_end(c, out);
    stats.errors++;
    r->cmd->rejected++;
    return 0;
}

/* A follower sends every request of a client in a transaction to the
 * leader, which holds the transaction (multi.h); inside MULTI even one
 * this node would refuse (unknown, wrong arity), which the leader refuses
 * in its stead, so that EXEC answers EXECABORT. */
static int forward_tx(client *c, request *r) {
    const command *cmd = r->cmd ? r->cmd : cmd_lookup(r->argv[0].p, r->argv[0].len);
    r->data = 1;
    r->write = r->write || (cmd && !strcmp(cmd->name, "exec"));
    int go = route_to_leader(c, r);
    if (go == GO_HELD) return 0;
    if (go == GO_FORWARDED && cmd) {
        if (r->cmd) count(r);
        cmd_note_access(cmd, r->argc, r->argv, (uint64_t)server_now());  /* as the leader queues it */
        multi_forwarded(c, cmd, r->argc, r->argv);
    }
    return 1;
}

/* EXEC, on the node that holds the transaction: its entry is proposed
 * once admitted (GO_LOCAL). */
static void propose_exec(client *c) {
    int argc;
    rstr *argv;
    multi_exec_args(c, &argc, &argv);
    slot *s = writes_propose(c, argc, argv, 0);
    free(argv);
    multi_exec_proposed(c, s);
}

int dispatch_request(client *c) {
    request r = {c->parser.argc, c->parser.argv, NULL, NULL, NULL, 0, 0, 0};
    if (c->stop_wait) { hold(c, HOLD_STOP); return 0; }  /* as Redis blocks a SHUTDOWN's client */
    if (blocking_holds(c)) { hold(c, HOLD_BLOCKED); return 0; }  /* Redis reads nothing more from a blocked client */
    if (c->proxy && forward_proxy_user(c)) return 1;
    if (!c->proxy && c->fwd_multi && !node_accepting() && multi_forwarding(c, cmd_lookup(r.argv[0].p, r.argv[0].len)))
        return forward_tx(c, &r);
    if (multi_bad_exec(c, r.argc, r.argv)) { stats.errors++; return 1; }
    if (!resolve(c, &r)) { stats.errors++; multi_refused(c); return 1; }
    name_last(c, &r);
    if (!authorized(c, &r)) { multi_refused(c); return 1; }
    if (!c->proxy && !node_accepting() && multi_forwarding(c, r.cmd)) return forward_tx(c, &r);
    if (multi_queue(c, r.cmd, r.run, r.argc, r.argv) || multi_control(c, r.cmd)) { count(&r); return 1; }
    int exec = !strcmp(r.cmd->name, "exec");
    if (exec) r.data = r.write = 1;
    if (!strcmp(r.cmd->name, "watch")) r.data = 1;  /* a read, on the leader */
    int go = admit(c, &r);
    if (go == GO_HELD) return 0;
    if (go == GO_ANSWERED) return 1;
    count(&r);
    /* OBJECT names its key at 2: a sub; a forwarded command counts here too (reads are served here) */
    cmd_note_access(r.cmd, r.argc, r.argv, (uint64_t)server_now());
    if (go == GO_FORWARDED) {
        if (r.run->flags & CMD_BLOCKING) blocking_forwarded(c, r.argc, r.argv);
        return 1;
    }
    if (r.lead) run_leader_command(c, &r);
    else if (exec) propose_exec(c);
    else if (r.write) {
        auth_prepare_write(&r.argc, &r.argv);
        if (r.run->flags & CMD_BLOCKING) blocking_propose(c, r.argc, r.argv);
        else if (probe_first(c, &r)) reads_queue_probe(c);
        else writes_propose(c, r.argc, r.argv, cmd_ok_when_committed(r.run, r.argc));
    }
    else if (r.data) reads_queue(c);
    else if (!(debug_off_loop(c, r.argc, r.argv) && reads_fetch_now(c))) run_now(c, &r);
    return 1;
}

/* ---- deadlines ---- */

static void timeouts_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop; (void)w; (void)revents;
    double now = server_now();
    leaderless_too_long();  /* keeps its clock running between commands */
    for (client *c = client_list(); c; c = c->next) slot_expire(c, now);
    for (client *c = client_proxy_list(); c; c = c->next) slot_expire(c, now);
}

void dispatch_init(void) {
    ev_timer_init(&timeouts, timeouts_cb, 0.05, 0.05);
    ev_timer_start(server_loop(), &timeouts);
}

const dispatch_stats *dispatch_stats_get(void) { return &stats; }
void dispatch_stats_reset(void) { stats.commands = stats.errors = 0; }
