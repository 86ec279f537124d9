/* node: one raftkv node on libev. It hosts the replica (replica.h) and
 * gives it its ports -- the WAL on a sync thread (walsync.h), the peer
 * protocol and image streams (peer.h, stream.h), the LevelDB state
 * machine (store.h), the clocks -- and a tick timer; it starts the node
 * from its data directory (or founds or joins a cluster) and answers INFO. */
#include "node.h"
#include "applier.h"
#include "join.h"
#include "log.h"
#include "peer.h"
#include "raft.h"
#include "replica.h"
#include "stream.h"
#include "wal.h"
#include "walsync.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_MS 10
/* A learner this close to the leader's log is promoted to voter. */
#define PROMOTE_GAP 8192

static struct {
    struct ev_loop *loop;
    config *cfg;
    store *f;
    wal *w;
    walsync *ws;
    applier *ap;
    replica *rep;
    node_events ev;
    uint64_t id, cluster_id;
    members book;         /* addresses known at start */
    wal_state st;
    char *members_text;   /* the founding configuration (images fall back to it) */
    ev_timer tick;
    uint64_t last_tick;
    long long loop_held;  /* ticks late by more than a heartbeat interval */
} self;

static const raft *core(void) { return replica_core(self.rep); }

static uint64_t fnv64(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* ---- the transport port: peer links and image streams ---- */

static void tr_send(void *ctx, const raft_msg *m) { (void)ctx; peer_send_raft(m); }
static void tr_send_image(void *ctx, uint64_t to, uint64_t term) { (void)ctx; stream_start(to, term); }
static void tr_stop_images(void *ctx) { (void)ctx; stream_stop_sending(); }
static uint64_t tr_image_floor(void *ctx) { (void)ctx; return stream_floor(); }
static void tr_flush(void *ctx) { (void)ctx; peer_flush(); }
/* The core asks only before dropping an append that needs a read-back:
 * a yes is a dropped append, counted with the transport's own. */
static int tr_congested(void *ctx, uint64_t to) {
    (void)ctx;
    int yes = peer_raft_congested(to);
    if (yes) peer_count_dropped_append();
    return yes;
}
static void tr_link(void *ctx, const cluster_member *m) {
    (void)ctx;
    if (!peer_known(m->id))
        logmsg(LL_NOTICE, "Connecting to node %llu at %s:%d", (unsigned long long)m->id, m->host, m->peer_port);
    peer_add(m->id, m->host, m->peer_port);
}
static void tr_unlink(void *ctx, uint64_t id) {
    (void)ctx;
    logmsg(LL_NOTICE, "Node %llu is no longer a peer", (unsigned long long)id);
    peer_remove(id);
}

/* ---- the clock port, and what the replica tells the server ---- */

/* CLOCK_BOOTTIME: monotonic, and counting a suspended machine's time,
 * which a lease must (replica_read_lease). */
static uint64_t clock_mono(void *ctx) {
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
static int64_t clock_wall(void *ctx) { (void)ctx; return (int64_t)time(NULL); }
static uint64_t clock_wall_ms(void *ctx) {
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + self.cfg->clock_offset_ms;
    return ms > 0 ? (uint64_t)ms : 1;
}

static void ev_applied(void *ctx) { (void)ctx; if (self.ev.applied) self.ev.applied(); }
static void ev_leader_changed(void *ctx) { (void)ctx; if (self.ev.leader_changed) self.ev.leader_changed(); }
static void ev_fatal(void *ctx, const char *why) {
    (void)ctx;
    logmsg(LL_WARNING, "%s. Stopping this node to protect acknowledged data.", why);
    exit(1);
}

void node_process(void) {
    wal_set_sync(self.w, self.cfg->appendfsync);  /* CONFIG SET may change it */
    replica_keep_lease(self.rep, self.cfg->read_lease);
    replica_process(self.rep);
}

/* A tick late by more than a heartbeat interval means the loop was held
 * (a bug to report: nothing on it should take that long). */
static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop; (void)w; (void)revents;
    uint64_t now = mono_ms();
    if (self.last_tick && now - self.last_tick > TICK_MS + (uint64_t)self.cfg->heartbeat_interval) {
        self.loop_held++;
        logmsg(LL_WARNING, "The event loop was held for %llu ms (a tick is due every %d ms)",
               (unsigned long long)(now - self.last_tick), TICK_MS);
    }
    self.last_tick = now;
    replica_tick(self.rep);
}

/* ---- peers ---- */

static void on_raft(const raft_msg *m) { replica_step(self.rep, m); }
static void on_forward(uint64_t from, uint64_t link, uint64_t sid, uint64_t term, int argc, rstr *argv,
                       buf *payload) {
    self.ev.forward(from, link, sid, term, argc, argv, payload);
}
static void on_forward_reply(uint64_t from, uint64_t sid, buf *reply) { self.ev.forward_reply(from, sid, reply); }
static void on_forward_close(uint64_t from, uint64_t sid) { self.ev.forward_close(from, sid); }
static void on_link_closed(uint64_t id, uint64_t link) {
    if (self.ev.link_closed) self.ev.link_closed(id, link);
}
static void on_link_up(uint64_t id) {
    if (self.ev.link_up) self.ev.link_up(id);
}
static void on_streaming(uint64_t from) { replica_peer_streaming(self.rep, from); }
static void on_read_index(uint64_t from, uint64_t id, uint64_t term) {
    if (self.ev.read_index) self.ev.read_index(from, id, term);
}
static void on_read_index_reply(uint64_t from, uint64_t id, int flags, uint64_t index, uint64_t time_ms) {
    if (self.ev.read_index_reply) self.ev.read_index_reply(from, id, flags, index, time_ms);
}
static void on_down(uint64_t id) {
    stream_peer_down(id);
    replica_peer_down(self.rep, id);
    if (self.ev.peer_down) self.ev.peer_down(id);
}

/* ---- start-up ---- */

/* Default peer port: the client port + 10000 (- 10000 where that would
 * not be a port). */
static int my_peer_port(const config *cfg) {
    if (cfg->peer_port) return (int)cfg->peer_port;
    return cfg->port + 10000 <= 65535 ? cfg->port + 10000 : cfg->port - 10000;
}

/* The founding configuration: the --cluster option, this node alone, or
 * (joining) none. Its canonical text names the cluster. */
static int founding(config *cfg, members *boot) {
    char err[512];
    boot->n = boot->nretired = 0;
    if (cfg->cluster[0]) {
        if (config_parse_cluster(cfg->cluster, boot, err, sizeof(err)) < 0) {
            logmsg(LL_WARNING, "Bad cluster option: %s", err);
            return -1;
        }
        const cluster_member *me = members_get(boot, self.id);
        if (!me) {
            logmsg(LL_WARNING, "This node's id %llu is not in the cluster option '%s'", (unsigned long long)self.id,
                   cfg->cluster);
            return -1;
        }
        cfg->port = me->port;
    } else if (!cfg->join[0]) {
        cluster_member me = {0};
        me.id = self.id;
        snprintf(me.host, sizeof(me.host), "%s", cfg->bind);
        me.port = cfg->port;
        me.peer_port = my_peer_port(cfg);
        members_add(boot, &me);
    }
    buf t;
    buf_init(&t);
    members_format(boot, &t);
    self.members_text = xstrndup(t.data ? t.data : "", t.len);
    buf_free(&t);
    if (cfg->cluster[0]) self.cluster_id = fnv64(self.members_text, strlen(self.members_text));
    else if (!cfg->join[0]) self.cluster_id = fnv64("single", 6) ^ self.id;  /* keeps its identity across port changes */
    return 0;
}

/* Asks the cluster at --join to admit this node; fills self.cluster_id. */
static int join(config *cfg) {
    char err[512], addr[320];
    if (!strcmp(cfg->bind, "0.0.0.0") || !strcmp(cfg->bind, "::")) {
        logmsg(LL_WARNING, "--join needs --bind set to the address the other nodes reach this one at");
        return -1;
    }
    snprintf(addr, sizeof(addr), strchr(cfg->bind, ':') ? "[%s]:%d@%d" : "%s:%d@%d", cfg->bind, cfg->port,
             my_peer_port(cfg));
    logmsg(LL_NOTICE, "Asking the cluster at %s to admit node %llu at %s", cfg->join, (unsigned long long)self.id, addr);
    uint64_t via = 0;
    join_setup(cfg->requirepass, cfg->tls_cluster);  /* every node has the same password */
    if (join_cluster(cfg->join, &self.cluster_id, &via, &self.book, err, sizeof(err)) < 0 ||
        join_check_secret(&self.book, via, self.cluster_id, self.id, cfg->cluster_secret, cfg->tls_cluster, err,
                          sizeof(err)) < 0 ||
        join_request(cfg->join, self.id, addr, 60000, err, sizeof(err)) < 0) {
        logmsg(LL_WARNING, "Cannot join the cluster at %s: %s", cfg->join, err);
        return -1;
    }
    logmsg(LL_NOTICE, "Admitted as a learner into cluster %016llx", (unsigned long long)self.cluster_id);
    return 0;
}

/* Which cluster the data in the directory belongs to, checked against the
 * options: a --cluster naming another cluster is refused. */
static int check_identity(const config *cfg, int has_state) {
    if (!has_state) return 0;
    if (self.st.node_id != self.id ||
        ((cfg->cluster[0] || !store_conf(self.f)) && self.st.cluster_id != self.cluster_id && !cfg->join[0])) {
        logmsg(LL_WARNING,
               "The data in %s belongs to node %llu of cluster %016llx, not to node %llu of cluster %016llx "
               "(the cluster option differs from the one this data was created with). Refusing to start.",
               cfg->dir, (unsigned long long)self.st.node_id, (unsigned long long)self.st.cluster_id,
               (unsigned long long)self.id, (unsigned long long)self.cluster_id);
        return -1;
    }
    if (cfg->join[0]) logmsg(LL_NOTICE, "This node already belongs to a cluster: --join is ignored");
    self.cluster_id = self.st.cluster_id;  /* it may have joined, or grown from one node */
    return 0;
}

/* The log must continue the state machine (replica_log_fits); an image
 * install cut short before the log was reset is finished here. 0: fits,
 * 1: the log was reset, -1: refuse to start. */
static int match_log(raft_entry *log, size_t nlog) {
    uint64_t a = store_applied(self.f), ta = store_applied_term(self.f);
    uint64_t first = nlog ? log[0].index : wal_first_index(self.w), last = nlog ? log[nlog - 1].index : first - 1;
    int holds = first <= a && a <= last;
    uint64_t term_at = holds ? log[a - first].term : 0;
    switch (replica_log_fits(a, ta, store_installed_at(self.f), first, last, term_at)) {
    case REPLICA_LOG_OK:
        return 0;
    case REPLICA_LOG_RESET:
        logmsg(LL_NOTICE, "Finishing the install of the snapshot at index %llu: the log it replaces goes",
               (unsigned long long)a);
        if (wal_reset(self.w, a + 1) == 0) return 1;
        logmsg(LL_WARNING, "Cannot reset the Raft log in %s: %s", self.cfg->dir, strerror(errno));
        return -1;
    case REPLICA_LOG_DISAGREES:
        logmsg(LL_WARNING, "The Raft log in %s has term %llu at index %llu, where the state machine applied term %llu. "
               "Refusing to start.", self.cfg->dir, (unsigned long long)term_at, (unsigned long long)a,
               (unsigned long long)ta);
        return -1;
    default:
        logmsg(LL_WARNING, "The state machine in %s has applied index %llu but the Raft log holds %llu..%llu: "
               "the log was lost or truncated. Refusing to start.", self.cfg->dir, (unsigned long long)a,
               (unsigned long long)first, (unsigned long long)last);
        return -1;
    }
}

static void *start_error(char *msg) {
    logmsg(LL_WARNING, "%s", msg);
    free(msg);
    return NULL;
}

static int listen_peers(struct ev_loop *loop, const config *cfg, const members *boot) {
    peer_handler ph = {on_raft, on_forward, on_forward_reply, on_forward_close, on_down, on_link_closed, on_link_up,
                       stream_on_chunk, stream_on_ack, on_streaming, on_read_index, on_read_index_reply};
    const cluster_member *me = members_get(raft_members(replica_core(self.rep)), self.id);
    if (!me || !me->host[0]) me = members_get(boot, self.id);
    int port = me ? me->peer_port : my_peer_port(cfg);
    int rc = peer_init(loop, self.cluster_id, self.id, cfg->bind, port, cfg->cluster_secret, &ph);
    /* two election timeouts (at least a second, past a few of TCP's
     * 200 ms retransmissions): a link stuck that long has cost a leader its
     * followers anyway, and a fresh one is up at once when the path heals */
    long long lt = 2 * (long long)cfg->election_timeout;
    peer_set_link_timeout((unsigned)(lt < 1000 ? 1000 : lt));
    peer_set_tls(cfg->tls_cluster);
    if (rc == 0) return 0;
    /* a lone node needs peers only once it grows */
    return raft_members(replica_core(self.rep))->n > 1 || !me ? -1 : 0;
}

static raft_config core_config(const config *cfg) {
    raft_config rc = {0};
    rc.id = self.id;
    rc.conf = store_conf(self.f) ? store_conf(self.f) : self.members_text;
    rc.conf_len = strlen(rc.conf);
    rc.election_ticks = (int)(cfg->election_timeout / TICK_MS);
    rc.heartbeat_ticks = (int)(cfg->heartbeat_interval / TICK_MS);
    if (rc.heartbeat_ticks < 1) rc.heartbeat_ticks = 1;
    if (rc.election_ticks <= rc.heartbeat_ticks) rc.election_ticks = rc.heartbeat_ticks * 2;
    rc.max_msg_entries = 4096;
    rc.max_inflight = 64;
    rc.max_msg_bytes = 1 << 20;
    rc.promote_gap = PROMOTE_GAP;
    rc.cache_bytes = (size_t)cfg->log_cache_size;
    rc.boot_quiet = 1;  /* whatever this node's read-consistency: another's lease may count on it */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    rc.seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ self.id * 0x9e3779b97f4a7c15ULL;
    return rc;
}

static replica *start_replica(const config *cfg, raft_entry *log, size_t nlog) {
    replica_config rc = {0};
    rc.core = core_config(cfg);
    rc.founding = self.members_text;
    rc.where = cfg->dir;
    rc.book = self.book;
    rc.removed = store_removed(self.f);
    rc.snapshot_entries = (uint64_t)cfg->snapshot_threshold;
    rc.snapshot_bytes = (uint64_t)cfg->snapshot_log_size;
    rc.keep_entries = (uint64_t)cfg->snapshot_threshold / 4;
    rc.keep_bytes = (uint64_t)cfg->snapshot_log_size / 4;
    rc.retry_ticks = 1000 / TICK_MS;
    rc.rec_overhead = WAL_REC_HEADER;
    rc.time_floor = store_time(self.f);
    rc.time_margin = TIME_MARGIN_MS;
    rc.lease_ms = replica_lease_ms(rc.core.election_ticks, TICK_MS);
    rc.lease_refresh_ms = (uint64_t)rc.core.heartbeat_ticks * TICK_MS;
    replica_log_port lp = walsync_port(self.ws);
    replica_transport_port tp = {NULL, tr_send, tr_send_image, tr_stop_images, tr_image_floor, tr_link, tr_unlink,
                                 tr_flush, tr_congested};
    replica_sm_port sp = applier_port(self.ap);
    replica_clock_port cp = {NULL, clock_mono, clock_wall, clock_wall_ms};
    replica_events ep = {NULL, NULL, ev_applied, ev_leader_changed, ev_fatal};  /* replies: the applier's */
    return replica_new(&rc, &lp, &tp, &sp, &cp, &ep, self.st.term, self.st.vote, store_applied(self.f),
                       store_applied_term(self.f), log, nlog);
}

/* A new node's data directory: its configuration and identity, durably. */
static int first_start(config *cfg) {
    if (cfg->join[0] && join(cfg) < 0) return -1;
    /* the configuration is kept with the data from the start: a restart needs no options */
    if (!store_conf(self.f) && store_set_conf(self.f, self.members_text) < 0) {
        logmsg(LL_WARNING, "Cannot write the configuration in %s", cfg->dir);
        return -1;
    }
    self.st.cluster_id = self.cluster_id;
    self.st.node_id = self.id;
    if (wal_save_state(self.w, &self.st) < 0) {
        logmsg(LL_WARNING, "Cannot write the Raft state in %s: %s", cfg->dir, strerror(errno));
        return -1;
    }
    return 0;
}

int node_init(struct ev_loop *loop, config *cfg, store *f, const node_events *ev) {
    memset(&self, 0, sizeof(self));
    self.loop = loop;
    self.cfg = cfg;
    self.f = f;
    self.ev = *ev;
    self.id = (uint64_t)cfg->id;
    members boot;
    if (founding(cfg, &boot) < 0) return -1;
    self.book = boot;
    char *err = NULL;
    raft_entry *log = NULL;
    size_t nlog = 0;
    int has_state = 0;
    /* what the state machine holds stays on disk until a follower needs it */
    uint64_t data_from = cfg->log_cache_size ? store_applied(f) + 1 : 0;
    self.w = wal_open_from(cfg->dir, (size_t)cfg->wal_segment_size, data_from, &self.st, &has_state, &log, &nlog,
                           &err);
    if (!self.w) { start_error(err); return -1; }
    wal_set_sync(self.w, cfg->appendfsync);
    if (check_identity(cfg, has_state) < 0) goto fail;
    int matched = match_log(log, nlog);
    if (matched < 0) goto fail;
    if (matched == 1) {
        wal_free_entries(log, nlog);
        log = NULL;
        nlog = 0;
    }
    if (!has_state && first_start(cfg) < 0) goto fail;
    self.ws = walsync_new(loop, self.w, &self.st);
    self.ap = applier_new(loop, f, self.ev.reply_for);
    stream_init(loop, f, self.ap, self.cluster_id, self.id, self.members_text);
    self.rep = start_replica(cfg, log, nlog);
    applier_attach(self.ap, self.rep);
    wal_free_entries(log, nlog);
    log = NULL;
    nlog = 0;
    walsync_attach(self.ws, self.rep);
    stream_attach(self.rep);
    if (listen_peers(loop, cfg, &boot) < 0) goto fail;
    const raft *r = core();
    logmsg(LL_NOTICE, "Raft node %llu of cluster %016llx (%d members): term %llu, log %llu..%llu, applied %llu",
           (unsigned long long)self.id, (unsigned long long)self.cluster_id, raft_members(r)->n,
           (unsigned long long)self.st.term, (unsigned long long)raft_snapshot_index(r) + 1,
           (unsigned long long)raft_last_index(r), (unsigned long long)node_applied());
    if (replica_removed(self.rep)) logmsg(LL_WARNING, "This node was removed from the cluster: it does not serve");
    ev_timer_init(&self.tick, tick_cb, TICK_MS / 1000., TICK_MS / 1000.);
    ev_timer_start(loop, &self.tick);
    if (members_voters(raft_members(r)) == 1 && raft_is_voter(r, self.id)) replica_campaign(self.rep);  /* nobody to wait for */
    return 0;
fail:
    wal_free_entries(log, nlog);
    stream_shutdown();
    peer_shutdown();
    walsync_free(self.ws);
    self.ws = NULL;
    applier_free(self.ap);
    self.ap = NULL;
    replica_free(self.rep);
    self.rep = NULL;
    wal_close(self.w);
    self.w = NULL;
    return -1;
}

/* A removed leader's hand-over must not wait for a tick that never comes;
 * then the log finishes what it has and what waits (unless the disk is
 * full: nothing waiting was ever acknowledged, so it may go). */
void node_shutdown(void) {
    if (!self.rep) return;
    ev_timer_stop(self.loop, &self.tick);
    replica_flush(self.rep);
    while (!replica_idle(self.rep)) {
        if (replica_disk_full(self.rep) && !walsync_wait(self.ws)) {
            logmsg(LL_WARNING, "Stopping with log entries unwritten for want of space: any acknowledged one is "
                   "on a majority, and comes back from the leader");
            break;
        }
        walsync_wait(self.ws);
    }
    walsync_free(self.ws);
    applier_free(self.ap);  /* what the replica handed over is applied and synced */
    stream_shutdown();
    peer_shutdown();
    replica_free(self.rep);
    self.rep = NULL;
    free(self.members_text);
    wal_close(self.w);
}

int node_is_leader(void) { return raft_role(core()) == RAFT_LEADER; }
uint64_t node_id(void) { return self.id; }
uint64_t node_leader(void) { return raft_leader(core()); }
uint64_t node_term(void) { return raft_term(core()); }
uint64_t node_applied(void) { return applier_visible(self.ap); }
void node_on_written(void (*cb)(const char *keys, size_t len)) { applier_on_written(self.ap, cb); }
void node_track_written(int on) { applier_track_written(self.ap, on); }
uint64_t node_commit_index(void) { return raft_commit_index(core()); }
store *node_owned_store(void) { return self.ap ? applier_owned_store(self.ap) : NULL; }
uint64_t node_confirmed_round(void) { return replica_confirmed_round(self.rep); }
uint64_t node_propose(const char *data, size_t len) { return replica_propose(self.rep, data, len); }
uint64_t node_propose_blob(char *data, size_t len) { return replica_propose_blob(self.rep, data, len); }
uint64_t node_uncommitted_bytes(void) { return replica_uncommitted_bytes(self.rep); }
uint64_t node_unapplied_bytes(void) {
    uint64_t bytes;
    applier_backlog(self.ap, &bytes);
    return bytes;
}
uint64_t node_read_round(uint64_t *read_index) { return replica_read_round(self.rep, read_index); }
uint64_t node_time(void) { return replica_time(self.rep); }
uint64_t node_read_time(void) { return replica_read_time(self.rep); }
uint64_t node_committed_time(void) { return replica_committed_time(self.rep); }
int node_read_vouched(uint64_t from, uint64_t term, uint64_t *read_index) {
    return replica_read_vouched(self.rep, from, term, read_index);
}
int node_read_lease(uint64_t *read_index) { return self.cfg->read_lease && replica_read_lease(self.rep, read_index); }
int node_removed(void) { return replica_removed(self.rep); }
int node_accepting(void) { return replica_accepting(self.rep); }
int node_disk_full(void) { return replica_disk_full(self.rep); }
int64_t node_change(int op, const cluster_member *m) { return replica_change(self.rep, op, m); }
uint64_t node_transfer(uint64_t id) { return replica_transfer_leader(self.rep, id); }
int node_transfer_state(void) { return replica_transfer_state(self.rep); }
uint64_t node_snapshot_now(void) { return replica_snapshot_now(self.rep); }
int node_drop_peer_links(uint64_t id, int which) { return peer_drop_links(id, which); }

static const cluster_member *member(uint64_t id) { return members_get(replica_address_book(self.rep), id); }

static const char *role_name(int role) {
    static const char *names[] = {"follower", "pre-candidate", "candidate", "leader"};
    return names[role];
}

static void info_replication(buf *b) {
    uint64_t lead = raft_leader(core());
    const cluster_member *lm = member(lead);
    const members *c = raft_members(core());
    int leader = raft_role(core()) == RAFT_LEADER;
    buf_printf(b, "# Replication\r\n");
    if (leader || !lm) {
        int k = 0;
        buf body;
        buf_init(&body);
        for (int i = 0; leader && i < c->n; i++) {
            raft_peer_info p;
            const cluster_member *m = &c->m[i];
            if (m->id == self.id || !raft_peer(core(), m->id, &p)) continue;
            buf_printf(&body, "slave%d:ip=%s,port=%d,state=%s,offset=%llu,lag=0\r\n", k++, m->host, m->port,
                       peer_connected(m->id) ? "online" : "wait_bgsave", (unsigned long long)p.match);
        }
        buf_printf(b, "role:master\r\nconnected_slaves:%d\r\n", k);
        if (body.len) buf_append(b, body.data, body.len);
        buf_free(&body);
    } else {
        buf_printf(b, "role:slave\r\nmaster_host:%s\r\nmaster_port:%d\r\nmaster_link_status:%s\r\n", lm->host,
                   lm->port, peer_linked(lead) ? "up" : "down");
        buf_printf(b, "slave_repl_offset:%llu\r\nslave_read_only:0\r\n", (unsigned long long)node_applied());
    }
    buf_printf(b, "master_repl_offset:%llu\r\n\r\n", (unsigned long long)raft_commit_index(core()));
}

/* One line per node this one knows of: members, and departing ones. */
static void info_node(buf *b, uint64_t id, uint64_t now) {
    const cluster_member *m = member(id);
    const members *c = raft_members(core());
    const cluster_member *cm = members_get(c, id);
    raft_peer_info p = {0};
    int lead_view = raft_role(core()) == RAFT_LEADER && raft_peer(core(), id, &p);
    const char *kind = !cm ? "departing" : cm->learner ? "learner" : "voter";
    const char *state = id == raft_leader(core()) ? "leader" : id == self.id ? role_name(raft_role(core())) : "follower";
    buf_printf(b, "raft_node%llu:addr=%s:%d,peer_port=%d,kind=%s,state=%s", (unsigned long long)id, m ? m->host : "",
               m ? m->port : 0, m ? m->peer_port : 0, kind, state);
    if (id != self.id) {
        uint64_t rx = peer_last_rx(id);
        buf_printf(b, ",connected=%d,match=%llu,next=%llu,inflight=%d,repl=%s,last_contact_ms=%lld",
                   peer_connected(id), (unsigned long long)p.match, (unsigned long long)p.next, p.inflight,
                   lead_view ? (p.probe ? "probe" : "replicate") : "-", rx ? (long long)(now - rx) : -1LL);
    }
    buf_printf(b, "\r\n");
}

void node_info(buf *b, const char *section) {
    if (!strcmp(section, "persistence")) {
        buf_printf(b, "raft_log_bytes:%llu\r\nraft_log_segments:%d\r\nraft_log_first_index:%llu\r\n"
                   "raft_snapshot_index:%llu\r\n",
                   (unsigned long long)wal_disk_bytes(self.w), wal_segments(self.w),
                   (unsigned long long)wal_first_index(self.w), (unsigned long long)raft_snapshot_index(core()));
        return;
    }
    if (!strcmp(section, "replication")) { info_replication(b); return; }
    uint64_t lead = raft_leader(core());
    const cluster_member *lm = member(lead);
    const members *c = raft_members(core());
    const raft_stats *st = raft_get_stats(core());
    const replica_stats *rs = replica_get_stats(self.rep);
    buf_printf(b, "# Raft\r\nraft_node_id:%llu\r\nraft_cluster_id:%016llx\r\nraft_role:%s\r\nraft_term:%llu\r\n",
               (unsigned long long)self.id, (unsigned long long)self.cluster_id,
               replica_removed(self.rep) ? "removed" : role_name(raft_role(core())), (unsigned long long)raft_term(core()));
    buf_printf(b, "raft_leader_id:%llu\r\nraft_leader_addr:%s:%d\r\n", (unsigned long long)lead, lm ? lm->host : "",
               lm ? lm->port : 0);
    buf_printf(b, "raft_commit_index:%llu\r\nraft_applied_index:%llu\r\nraft_last_log_index:%llu\r\n"
               "raft_last_log_term:%llu\r\nraft_members:%d\r\nraft_voters:%d\r\nraft_learners:%d\r\n"
               "raft_voter:%d\r\nraft_removed:%d\r\nraft_config_index:%llu\r\nraft_config_pending:%d\r\n"
               "raft_transfer_to:%llu\r\nraft_elections_timeout:%lld\r\nraft_elections_transfer:%lld\r\n"
               "raft_transfers:%lld\r\nraft_config_changes:%lld\r\n",
               (unsigned long long)raft_commit_index(core()), (unsigned long long)node_applied(),
               (unsigned long long)raft_last_index(core()), (unsigned long long)raft_term_at(core(), raft_last_index(core())),
               c->n, members_voters(c), c->n - members_voters(c), raft_is_voter(core(), self.id), replica_removed(self.rep),
               (unsigned long long)raft_conf_index(core()), raft_conf_index(core()) > raft_commit_index(core()),
               (unsigned long long)raft_transferee(core()), st->timeout_elections, st->transfer_elections, st->transfers,
               st->conf_changes);
    uint64_t backlog_bytes, backlog = applier_backlog(self.ap, &backlog_bytes);
    buf_printf(b, "raft_uncommitted_bytes:%llu\r\nraft_apply_backlog:%llu\r\nraft_apply_backlog_bytes:%llu\r\n",
               (unsigned long long)node_uncommitted_bytes(), (unsigned long long)backlog,
               (unsigned long long)backlog_bytes);
    buf_printf(b, "raft_fsyncs:%lld\r\nraft_fsynced_entries:%lld\r\n"
               "raft_wal_bytes:%llu\r\nraft_wal_segments:%d\r\nraft_bad_peer_frames:%lld\r\n"
               "raft_peer_auth_failures:%lld\r\nraft_peer_dropped_appends:%lld\r\n",
               rs->fsyncs, rs->synced_entries, (unsigned long long)wal_disk_bytes(self.w), wal_segments(self.w),
               peer_bad_frames(), peer_auth_failures(), peer_dropped_appends());
    buf_printf(b, "raft_first_log_index:%llu\r\nraft_snapshot_index:%llu\r\nraft_snapshot_term:%llu\r\n"
               "raft_snapshots_taken:%lld\r\nraft_last_snapshot_time:%lld\r\nraft_last_snapshot_duration_ms:%lld\r\n",
               (unsigned long long)raft_snapshot_index(core()) + 1, (unsigned long long)raft_snapshot_index(core()),
               (unsigned long long)raft_snapshot_term(core()), rs->snapshots, rs->last_snapshot_time, rs->last_snapshot_ms);
    buf_printf(b, "raft_log_cache_bytes:%llu\r\nraft_log_entries_read:%llu\r\n",
               (unsigned long long)raft_cached_bytes(core()), (unsigned long long)raft_loaded_entries(core()));
    stream_info(b);
    buf_printf(b, "raft_retired_ids:");
    for (int i = 0; i < c->nretired; i++) buf_printf(b, "%s%llu", i ? "," : "", (unsigned long long)c->retired[i]);
    buf_printf(b, "\r\n");
    uint64_t now = mono_ms();
    for (int i = 0; i < c->n; i++) info_node(b, c->m[i].id, now);
    uint64_t ids[RAFT_MAX_NODES * 2];
    int n = raft_peers(core(), ids, RAFT_MAX_NODES * 2);
    for (int i = 0; i < n; i++)
        if (!members_get(c, ids[i])) info_node(b, ids[i], now);
    buf_printf(b, "\r\n");
}

