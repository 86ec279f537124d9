#include "node.h"
#include "entry.h"
#include "join.h"
#include "kv.h"
#include "log.h"
#include "peer.h"
#include "raft.h"
#include "transfer.h"
#include "wal.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_MS 10
/* A learner this close to the leader's log is promoted to voter. */
#define PROMOTE_GAP 8192

/* One unit of group commit: everything the core asked to persist between
 * two hand-offs to the sync thread, and the messages that must wait for it
 * (votes and acknowledgements, dissertation 3.8 / 10.2.1). */
typedef struct job {
    int has_state;
    wal_state st;
    uint64_t reset_next;    /* an installed snapshot: empty the log first */
    uint64_t compact_upto;  /* after the append: drop segments behind a snapshot */
    uint64_t first, last, last_term;
    buf rec;
    raft_msg *msgs;
    size_t nmsgs, capmsgs;
    int err;
    struct job *next;
} job;

static struct {
    struct ev_loop *loop;
    config *cfg;
    store *f;
    raft *r;
    wal *w;
    node_events ev;
    uint64_t id, cluster_id;
    members book;         /* the address of every node any configuration named */
    uint64_t conf_version;  /* the core's, when the peer connections were last matched to it */
    uint64_t peer_leader;   /* the leader then */
    uint64_t peers[RAFT_MAX_NODES * 2];
    int npeers;
    int removed;          /* a configuration without this node was applied */
    ev_timer tick;
    ev_async done_async;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *busy;            /* with the sync thread */
    job *finished;        /* returned by it, not yet handled */
    job *qhead, *qtail;   /* waiting for the thread, in order */
    int stop;
    uint64_t applied;
    uint64_t lead, term;
    int role;
    uint64_t confirmed_round;
    long long fsyncs, sync_entries, elections_seen;
    wal_state st;
    char *members_text;   /* the founding configuration (images fall back to it) */
    uint64_t log_bytes;   /* entry bytes in the in-memory log, roughly */
    long long snapshots;
    long long last_snapshot_time, last_snapshot_ms;
    uint64_t unc_bytes, unc_from, unc_to, unc_term;  /* node_uncommitted_bytes(): entries (from, to] of term */
    int disk_full;        /* the log could not be written for want of space: retrying */
    int disk_full_err;    /* its errno */
    ev_timer disk_retry;
    long long disk_full_since;
} N;

static const char noop_entry[13] = {0};  /* ENTRY_NOOP, time 0, argc 0 */

static uint64_t fnv64(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* ---- the sync thread ---- */

static void *sync_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&N.mu);
    for (;;) {
        while (!N.busy && !N.stop) pthread_cond_wait(&N.cv, &N.mu);
        if (!N.busy) break;
        job *j = N.busy;
        pthread_mutex_unlock(&N.mu);
        if (j->has_state && wal_save_state(N.w, &j->st) < 0) j->err = errno;
        if (!j->err && j->reset_next && wal_reset(N.w, j->reset_next) < 0) j->err = errno;
        if (!j->err && j->rec.len && wal_append(N.w, j->first, j->last, j->rec.data, j->rec.len) < 0) j->err = errno;
        if (!j->err && j->compact_upto && wal_compact(N.w, j->compact_upto) < 0) j->err = errno;
        pthread_mutex_lock(&N.mu);
        N.busy = NULL;
        N.finished = j;
        ev_async_send(N.loop, &N.done_async);
    }
    pthread_mutex_unlock(&N.mu);
    return NULL;
}

static void job_free(job *j) {
    buf_free(&j->rec);
    free(j->msgs);
    free(j);
}

/* Gives the oldest waiting job to the sync thread if it is idle (and the
 * disk is not full: a full one is tried again on a timer). */
static void kick_sync(void) {
    if (N.disk_full && ev_is_active(&N.disk_retry)) return;
    pthread_mutex_lock(&N.mu);
    if (!N.busy && !N.finished && N.qhead) {
        N.busy = N.qhead;
        N.qhead = N.qhead->next;
        if (!N.qhead) N.qtail = NULL;
        pthread_cond_signal(&N.cv);
    }
    pthread_mutex_unlock(&N.mu);
}

static void disk_full(job *j);
static void disk_space_back(void);

static void done_cb(struct ev_loop *loop, ev_async *w, int revents) {
    (void)loop; (void)w; (void)revents;
    pthread_mutex_lock(&N.mu);
    job *j = N.finished;
    N.finished = NULL;
    pthread_mutex_unlock(&N.mu);
    if (!j) return;
    if (j->err && (j->err == ENOSPC || j->err == EDQUOT) && !wal_broken(N.w)) {
        disk_full(j);
        return;
    }
    if (N.disk_full) disk_space_back();
    if (j->err) {
        /* After a failed fsync the file's state is unknown: going on could
         * acknowledge what is not on disk. Stop, as PostgreSQL does. */
        logmsg(LL_WARNING, "Writing the Raft log failed: %s. Stopping this node to protect acknowledged data.",
               strerror(j->err));
        exit(1);
    }
    N.fsyncs++;
    if (j->rec.len) {
        N.sync_entries += (long long)(j->last - j->first + 1);
        raft_persisted(N.r, j->last, j->last_term);
    }
    for (size_t i = 0; i < j->nmsgs; i++) peer_send_raft(&j->msgs[i]);
    job_free(j);
    kick_sync();
}

/* ---- a full disk ----
 * A write refused for want of space changed nothing (wal.h): the job goes
 * back to the head of the queue and is tried again every second, while
 * the node takes no new writes (node_disk_full()) and, leading, hands the
 * leadership to a node that can write. Everything else goes on: followers
 * acknowledge heartbeats, reads are served. */

/* A leader short of space hands over, but only when enough followers can
 * write to elect another leader without it: they have all it has (they
 * acknowledge only what they have made durable). With fewer, a hand-over
 * would leave no leader, and no reads: it keeps the role, takes no writes. */
static void maybe_hand_over(void) {
    if (raft_role(N.r) != RAFT_LEADER || raft_transferee(N.r)) return;
    const members *m = raft_members(N.r);
    int healthy = 0;
    for (int i = 0; i < m->n; i++) {
        raft_peer_info p;
        if (m->m[i].id != N.id && !m->m[i].learner && raft_peer(N.r, m->m[i].id, &p) &&
            p.match == raft_last_index(N.r))
            healthy++;
    }
    if (healthy >= members_voters(m) / 2 + 1) node_transfer(0);
}

/* Whichever of the log and the state machine ran out first. */
static void degraded(void) {
    if (N.disk_full_since) return;
    N.disk_full_since = (long long)time(NULL);
    maybe_hand_over();
    ev_timer_start(N.loop, &N.disk_retry);
}

static void disk_full(job *j) {
    if (!N.disk_full)
        logmsg(LL_WARNING, "Writing the Raft log in %s failed: %s. This node takes no writes until there is space; "
               "it tries again every second. Its data is intact.", N.cfg->dir, strerror(j->err));
    degraded();
    N.disk_full = 1;
    N.disk_full_err = j->err;
    j->err = 0;
    pthread_mutex_lock(&N.mu);
    j->next = N.qhead;  /* first again: what came after it waits for it */
    N.qhead = j;
    if (!N.qtail) N.qtail = j;
    pthread_mutex_unlock(&N.mu);
    ev_timer_start(N.loop, &N.disk_retry);
}

static void disk_space_back(void) {
    logmsg(LL_NOTICE, "The Raft log in %s is writable again", N.cfg->dir);
    N.disk_full = 0;
    if (!store_no_space(N.f)) N.disk_full_since = 0;
}

static void disk_retry_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    int again = 0;
    if (store_no_space(N.f)) {
        int r = store_recover(N.f);
        if (r < 0) {
            logmsg(LL_WARNING, "Writing to the state machine failed; stopping");
            exit(1);
        }
        if (r == 0 && !N.disk_full) N.disk_full_since = 0;
        again = r != 0;
    }
    kick_sync();  /* the log's job, if it waits: the timer is not running now */
    if (N.disk_full || again) maybe_hand_over();
    if (again) ev_timer_start(loop, w);
}

int node_disk_full(void) {
    if (N.disk_full) return N.disk_full_err;
    return store_no_space(N.f) ? ENOSPC : 0;
}

static job *new_job(void) {
    job *t = xmalloc(sizeof(*t));
    memset(t, 0, sizeof(*t));
    if (N.qtail) N.qtail->next = t; else N.qhead = t;
    N.qtail = t;
    return t;
}

/* Adds one ready's persistence work to the queue, merging with the last
 * waiting job when the entries continue it (the group in group commit). */
static void queue_persist(const raft_ready *rd) {
    job *t = N.qtail;
    int contiguous = t && (!rd->nentries || !t->rec.len || rd->entries[0].index == t->last + 1);
    if (!contiguous) t = new_job();
    if (rd->hard_state_changed) {
        t->has_state = 1;
        N.st.term = rd->term;
        N.st.vote = rd->vote;
        t->st = N.st;
    }
    if (rd->nentries) {
        if (!t->rec.len) t->first = rd->entries[0].index;
        size_t before = t->rec.len;
        wal_encode(&t->rec, rd->entries, rd->nentries);
        N.log_bytes += t->rec.len - before;
        t->last = rd->entries[rd->nentries - 1].index;
        t->last_term = rd->entries[rd->nentries - 1].term;
    }
    for (size_t i = 0; i < rd->nmsgs_after; i++) {
        if (t->nmsgs == t->capmsgs) {
            t->capmsgs = t->capmsgs ? t->capmsgs * 2 : 8;
            t->msgs = xrealloc(t->msgs, sizeof(raft_msg) * t->capmsgs);
        }
        t->msgs[t->nmsgs] = rd->msgs_after[i];
        t->msgs[t->nmsgs].entries = NULL;  /* acknowledgements carry none */
        t->msgs[t->nmsgs++].nentries = 0;
    }
}

/* ---- applying ---- */

static void note_removed(uint64_t index) {
    if (N.removed) return;
    N.removed = 1;
    logmsg(LL_WARNING, "This node was removed from the cluster by the configuration at index %llu: it no longer "
           "serves. Wipe its data directory before adding it again.", (unsigned long long)index);
}

static void apply(const raft_entry *e) {
    if (e->index <= N.applied) return;  /* already in the state machine before a restart */
    buf *reply = N.ev.reply_for ? N.ev.reply_for(e->index, e->term) : NULL;
    if (e->type == RAFT_ENTRY_NOOP) {
        kv_apply(N.f, e->index, e->term, noop_entry, sizeof(noop_entry), reply);
    } else if (e->type == RAFT_ENTRY_CONFIG) {
        const char *before = store_conf(N.f) ? store_conf(N.f) : N.members_text;
        int removed = members_removes(before, strlen(before), e->data, e->len, N.id);
        logmsg(LL_NOTICE, "Configuration at index %llu applied: %.*s", (unsigned long long)e->index, (int)e->len,
               e->data);
        kv_apply_conf(N.f, e->index, e->term, e->data, e->len, removed, reply);
        if (removed) note_removed(e->index);
    } else {
        kv_apply(N.f, e->index, e->term, e->data, e->len, reply);
    }
    N.applied = e->index;
}

static int idle_disk(void) {
    pthread_mutex_lock(&N.mu);
    int idle = !N.busy && !N.finished && !N.qhead;
    pthread_mutex_unlock(&N.mu);
    return idle;
}

static void note_leader(void) {
    uint64_t lead = raft_leader(N.r), term = raft_term(N.r);
    int role = raft_role(N.r);
    if (lead == N.lead && term == N.term && role == N.role) return;
    if (lead != N.lead && lead) {
        const char *what = lead == N.id ? "this node is now the leader" : "following node";
        if (lead == N.id) logmsg(LL_NOTICE, "Term %llu: %s", (unsigned long long)term, what);
        else logmsg(LL_NOTICE, "Term %llu: %s %llu", (unsigned long long)term, what, (unsigned long long)lead);
    }
    if (term != N.term) N.elections_seen++;
    if (N.role == RAFT_LEADER && role != RAFT_LEADER) transfer_stop_sending();
    N.lead = lead;
    N.term = term;
    N.role = role;
    if (N.ev.leader_changed) N.ev.leader_changed();
}

/* ---- snapshots ---- */

/* The point to compact to: everything applied, less a tail that lets a
 * follower a little behind catch up from the log instead of by a transfer,
 * and never past an image being sent (its follower continues after it). */
static uint64_t compact_point(int all) {
    uint64_t snap = raft_snapshot_index(N.r), c = N.applied;
    uint64_t keep_n = all ? 0 : (uint64_t)N.cfg->snapshot_threshold / 4, keep_b = (uint64_t)N.cfg->snapshot_log_size / 4;
    uint64_t n = 0, bytes = 0;
    while (c > snap && n < keep_n) {
        size_t len = raft_entry_at(N.r, c)->len;
        if (bytes + len > keep_b) break;
        bytes += len;
        n++;
        c--;
    }
    uint64_t floor = transfer_floor();
    return c < floor ? c : floor;
}

/* Local snapshot: the state machine made durable (one synced LevelDB
 * write), then the log behind it forgotten, in memory now and on disk by
 * the sync thread. all: no tail (RAFT.SNAPSHOT). Returns the new point. */
static uint64_t compact(int all) {
    uint64_t snap = raft_snapshot_index(N.r);
    uint64_t entries = raft_last_index(N.r) - snap;
    if (!all && entries <= (uint64_t)N.cfg->snapshot_threshold && N.log_bytes <= (uint64_t)N.cfg->snapshot_log_size)
        return snap;
    uint64_t c = compact_point(all);
    if (c <= snap && !all) return snap;
    if (store_no_space(N.f)) return snap;  /* nothing can be made durable: the log stays */
    unsigned long long t0 = mono_ms();
    if (store_sync(N.f) != 0) {
        logmsg(LL_WARNING, "Making the state machine durable failed; stopping");
        exit(1);
    }
    if (c > snap) {
        uint64_t dropped = 0;
        for (uint64_t i = snap + 1; i <= c; i++) dropped += raft_entry_at(N.r, i)->len + WAL_REC_HEADER;
        N.log_bytes = N.log_bytes > dropped ? N.log_bytes - dropped : 0;
        raft_compact(N.r, c);
        job *t = N.qtail ? N.qtail : new_job();
        t->compact_upto = c;
        kick_sync();
    }
    N.snapshots++;
    N.last_snapshot_time = (long long)time(NULL);
    N.last_snapshot_ms = (long long)(mono_ms() - t0);
    logmsg(LL_VERBOSE, "Snapshot: state machine durable at index %llu, log compacted up to %llu in %lld ms",
           (unsigned long long)N.applied, (unsigned long long)c, N.last_snapshot_ms);
    return c;
}

uint64_t node_snapshot_now(void) { return compact(1); }

/* A snapshot from the leader is now the state machine (transfer.c). */
static void on_installed(uint64_t index, int how) {
    N.applied = index;
    if (store_removed(N.f)) note_removed(index);
    N.log_bytes = 0;
    if (how == 2) new_job()->reset_next = index + 1;  /* after all that was queued before */
    kick_sync();
    if (N.ev.applied) N.ev.applied();
}

/* Connections follow the core's peer set (members, and departing ones on
 * a leader); addresses come from every configuration seen. */
static void sync_peers(void) {
    if (raft_conf_version(N.r) == N.conf_version && raft_leader(N.r) == N.peer_leader) return;
    N.conf_version = raft_conf_version(N.r);
    N.peer_leader = raft_leader(N.r);
    const members *c = raft_members(N.r);
    for (int i = 0; i < c->n; i++) {
        cluster_member *b = members_find(&N.book, c->m[i].id);
        if (!c->m[i].host[0]) continue;
        if (b) { *b = c->m[i]; continue; }
        if (members_add(&N.book, &c->m[i]) < 0) {  /* full: forget one no longer named */
            for (int k = 0; k < N.book.n; k++)
                if (!members_get(c, N.book.m[k].id)) { members_remove(&N.book, N.book.m[k].id); break; }
            members_add(&N.book, &c->m[i]);
        }
    }
    uint64_t want[RAFT_MAX_NODES * 2 + 1];
    int nwant = raft_peers(N.r, want, RAFT_MAX_NODES * 2);
    int has_leader = !N.peer_leader || N.peer_leader == N.id;
    for (int k = 0; k < nwant; k++) has_leader |= want[k] == N.peer_leader;
    if (!has_leader) want[nwant++] = N.peer_leader;  /* a leader this node's configuration does not name yet */
    for (int i = 0; i < N.npeers; i++) {
        int keep = 0;
        for (int k = 0; k < nwant; k++) keep |= want[k] == N.peers[i];
        if (!keep) {
            logmsg(LL_NOTICE, "Node %llu is no longer a peer", (unsigned long long)N.peers[i]);
            peer_remove(N.peers[i]);
        }
    }
    N.npeers = 0;
    for (int k = 0; k < nwant; k++) {
        const cluster_member *m = members_get(&N.book, want[k]);
        if (!m) continue;  /* no address known: it will dial us */
        if (!peer_known(want[k])) logmsg(LL_NOTICE, "Connecting to node %llu at %s:%d", (unsigned long long)m->id,
                                         m->host, m->peer_port);
        peer_add(m->id, m->host, m->peer_port);
        N.peers[N.npeers++] = m->id;
    }
}

void node_process(void) {
    int applied_any = 0;
    wal_set_sync(N.w, N.cfg->appendfsync);  /* CONFIG SET may change it */
    for (int rounds = 0; rounds < 4; rounds++) {
        raft_ready rd;
        raft_ready_get(N.r, &rd);
        for (size_t i = 0; i < rd.nmsgs; i++) {
            if (rd.msgs[i].type == MSG_SNAPSHOT) transfer_start(rd.msgs[i].to, rd.msgs[i].term);
            else peer_send_raft(&rd.msgs[i]);
        }
        if (!rd.hard_state_changed && !rd.nentries && rd.nmsgs_after && idle_disk()) {
            /* nothing of this ready or before it waits for the disk: the
             * answers (heartbeat acks, mostly) may go at once */
            for (size_t i = 0; i < rd.nmsgs_after; i++) peer_send_raft(&rd.msgs_after[i]);
        } else if (rd.hard_state_changed || rd.nentries || rd.nmsgs_after) {
            queue_persist(&rd);
        }
        for (size_t i = 0; i < rd.ncommitted; i++) apply(&rd.committed[i]);
        applied_any |= rd.ncommitted > 0;
        if (rd.confirmed_round > N.confirmed_round) N.confirmed_round = rd.confirmed_round;
        note_leader();
        sync_peers();
        if (!rd.nmsgs && !rd.nentries && !rd.ncommitted && !rd.hard_state_changed && !rd.nmsgs_after) break;
    }
    if (applied_any && store_write_batch(N.f) != 0) {
        if (!store_no_space(N.f)) {
            logmsg(LL_WARNING, "Writing to the state machine failed; stopping");
            exit(1);
        }
        degraded();
    }
    if (applied_any && !store_no_space(N.f)) compact(0);
    if (N.ev.applied) N.ev.applied();
    kick_sync();
    peer_flush();
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop; (void)w; (void)revents;
    raft_tick(N.r);
}

/* ---- peers ---- */

static void on_raft(const raft_msg *m) { raft_step(N.r, m); }
static void on_forward(uint64_t from, uint64_t link, uint64_t sid, uint64_t term, int argc, rstr *argv) {
    N.ev.forward(from, link, sid, term, argc, argv);
}
static void on_forward_reply(uint64_t from, uint64_t sid, const char *r, size_t n) { N.ev.forward_reply(from, sid, r, n); }
static void on_forward_close(uint64_t from, uint64_t sid) { N.ev.forward_close(from, sid); }
static void on_link_closed(uint64_t id, uint64_t link) {
    if (N.ev.link_closed) N.ev.link_closed(id, link);
}
static void on_down(uint64_t id) {
    transfer_peer_down(id);
    raft_peer_down(N.r, id);
    if (N.ev.peer_down) N.ev.peer_down(id);
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
        const cluster_member *me = members_get(boot, N.id);
        if (!me) {
            logmsg(LL_WARNING, "This node's id %llu is not in the cluster option '%s'", (unsigned long long)N.id,
                   cfg->cluster);
            return -1;
        }
        cfg->port = me->port;
    } else if (!cfg->join[0]) {
        cluster_member me = {0};
        me.id = N.id;
        snprintf(me.host, sizeof(me.host), "%s", cfg->bind);
        me.port = cfg->port;
        me.peer_port = my_peer_port(cfg);
        members_add(boot, &me);
    }
    buf t;
    buf_init(&t);
    members_format(boot, &t);
    N.members_text = xstrndup(t.data ? t.data : "", t.len);
    buf_free(&t);
    if (cfg->cluster[0]) N.cluster_id = fnv64(N.members_text, strlen(N.members_text));
    else if (!cfg->join[0]) N.cluster_id = fnv64("single", 6) ^ N.id;  /* keeps its identity across port changes */
    return 0;
}

/* Asks the cluster at --join to admit this node; fills N.cluster_id. */
static int join(config *cfg) {
    char err[512], addr[320];
    if (!strcmp(cfg->bind, "0.0.0.0") || !strcmp(cfg->bind, "::")) {
        logmsg(LL_WARNING, "--join needs --bind set to the address the other nodes reach this one at");
        return -1;
    }
    snprintf(addr, sizeof(addr), strchr(cfg->bind, ':') ? "[%s]:%d@%d" : "%s:%d@%d", cfg->bind, cfg->port,
             my_peer_port(cfg));
    logmsg(LL_NOTICE, "Asking the cluster at %s to admit node %llu at %s", cfg->join, (unsigned long long)N.id, addr);
    if (join_cluster(cfg->join, &N.cluster_id, &N.book, err, sizeof(err)) < 0 ||
        join_request(cfg->join, N.id, addr, 60000, err, sizeof(err)) < 0) {
        logmsg(LL_WARNING, "Cannot join the cluster at %s: %s", cfg->join, err);
        return -1;
    }
    logmsg(LL_NOTICE, "Admitted as a learner into cluster %016llx", (unsigned long long)N.cluster_id);
    return 0;
}

/* Which cluster the data in the directory belongs to, checked against the
 * options: a --cluster naming another cluster is refused. */
static int check_identity(const config *cfg, int has_state) {
    if (!has_state) return 0;
    if (N.st.node_id != N.id ||
        ((cfg->cluster[0] || !store_conf(N.f)) && N.st.cluster_id != N.cluster_id && !cfg->join[0])) {
        logmsg(LL_WARNING,
               "The data in %s belongs to node %llu of cluster %016llx, not to node %llu of cluster %016llx "
               "(the cluster option differs from the one this data was created with). Refusing to start.",
               cfg->dir, (unsigned long long)N.st.node_id, (unsigned long long)N.st.cluster_id,
               (unsigned long long)N.id, (unsigned long long)N.cluster_id);
        return -1;
    }
    if (cfg->join[0]) logmsg(LL_NOTICE, "This node already belongs to a cluster: --join is ignored");
    N.cluster_id = N.st.cluster_id;  /* it may have joined, or grown from one node */
    return 0;
}

/* The log must continue the state machine: hold its applied entry (same
 * term) or begin right after it. One exception is repaired: an install of
 * a snapshot cut short before the log was reset, which leaves a log that
 * stops short of, or disagrees with, the image it installed. */
static int match_log(raft_entry *log, size_t nlog) {
    uint64_t a = N.applied, ta = store_applied_term(N.f);
    uint64_t first = nlog ? log[0].index : wal_first_index(N.w), last = nlog ? log[nlog - 1].index : first - 1;
    int holds = first <= a && a <= last;
    if ((holds && log[a - first].term == ta) || first == a + 1) return 0;
    if (store_installed_at(N.f) == a && (last < a || holds)) {
        logmsg(LL_NOTICE, "Finishing the install of the snapshot at index %llu: the log it replaces goes",
               (unsigned long long)a);
        if (wal_reset(N.w, a + 1) == 0) return 1;
        logmsg(LL_WARNING, "Cannot reset the Raft log in %s: %s", N.cfg->dir, strerror(errno));
        return -1;
    }
    if (holds)
        logmsg(LL_WARNING, "The Raft log in %s has term %llu at index %llu, where the state machine applied term %llu. "
               "Refusing to start.", N.cfg->dir, (unsigned long long)log[a - first].term, (unsigned long long)a,
               (unsigned long long)ta);
    else
        logmsg(LL_WARNING, "The state machine in %s has applied index %llu but the Raft log holds %llu..%llu: "
               "the log was lost or truncated. Refusing to start.", N.cfg->dir, (unsigned long long)a,
               (unsigned long long)first, (unsigned long long)last);
    return -1;
}

static void *start_error(char *msg) {
    logmsg(LL_WARNING, "%s", msg);
    free(msg);
    return NULL;
}

static int listen_peers(struct ev_loop *loop, const config *cfg, const members *boot) {
    peer_handler ph = {on_raft, on_forward, on_forward_reply, on_forward_close, on_down, on_link_closed,
                       transfer_on_chunk, transfer_on_ack};
    const cluster_member *me = members_get(raft_members(N.r), N.id);
    if (!me || !me->host[0]) me = members_get(boot, N.id);
    int port = me ? me->peer_port : my_peer_port(cfg);
    int rc = peer_init(loop, N.cluster_id, N.id, cfg->bind, port, &ph);
    /* two election timeouts (at least a second, past a few of TCP's
     * 200 ms retransmissions): a link stuck that long has cost a leader its
     * followers anyway, and a fresh one is up at once when the path heals */
    long long lt = 2 * (long long)cfg->election_timeout;
    peer_set_link_timeout((unsigned)(lt < 1000 ? 1000 : lt));
    if (rc == 0) return 0;
    /* a lone node needs peers only once it grows */
    return raft_members(N.r)->n > 1 || !me ? -1 : 0;
}

int node_init(struct ev_loop *loop, config *cfg, store *f, const node_events *ev) {
    memset(&N, 0, sizeof(N));
    N.loop = loop;
    N.cfg = cfg;
    N.f = f;
    N.ev = *ev;
    N.id = (uint64_t)cfg->id;
    members boot;
    if (founding(cfg, &boot) < 0) return -1;
    N.book = boot;
    char *err = NULL;
    raft_entry *log = NULL;
    size_t nlog = 0;
    int has_state = 0;
    N.w = wal_open(cfg->dir, (size_t)cfg->wal_segment_size, &N.st, &has_state, &log, &nlog, &err);
    if (!N.w) { start_error(err); return -1; }
    wal_set_sync(N.w, cfg->appendfsync);
    if (check_identity(cfg, has_state) < 0) goto fail;
    N.applied = store_applied(f);
    int matched = match_log(log, nlog);
    if (matched < 0) goto fail;
    if (matched == 1) {
        wal_free_entries(log, nlog);
        log = NULL;
        nlog = 0;
    }
    if (!has_state) {
        if (cfg->join[0] && join(cfg) < 0) goto fail;
        /* the configuration is kept with the data from the start: a restart needs no options */
        if (!store_conf(f) && store_set_conf(f, N.members_text) < 0) {
            logmsg(LL_WARNING, "Cannot write the configuration in %s", cfg->dir);
            goto fail;
        }
        N.st.cluster_id = N.cluster_id;
        N.st.node_id = N.id;
        if (wal_save_state(N.w, &N.st) < 0) {
            logmsg(LL_WARNING, "Cannot write the Raft state in %s: %s", cfg->dir, strerror(errno));
            goto fail;
        }
    }
    N.removed = store_removed(f);
    raft_config rc = {0};
    rc.id = N.id;
    rc.conf = store_conf(f) ? store_conf(f) : N.members_text;
    rc.conf_len = strlen(rc.conf);
    rc.election_ticks = (int)(cfg->election_timeout / TICK_MS);
    rc.heartbeat_ticks = (int)(cfg->heartbeat_interval / TICK_MS);
    if (rc.heartbeat_ticks < 1) rc.heartbeat_ticks = 1;
    if (rc.election_ticks <= rc.heartbeat_ticks) rc.election_ticks = rc.heartbeat_ticks * 2;
    rc.max_msg_entries = 4096;
    rc.max_inflight = 64;
    rc.max_msg_bytes = 1 << 20;
    rc.promote_gap = PROMOTE_GAP;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    rc.seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ N.id * 0x9e3779b97f4a7c15ULL;
    N.r = raft_new_at(&rc, N.st.term, N.st.vote, N.applied, store_applied_term(f), log, nlog);
    for (size_t i = 0; i < nlog; i++) N.log_bytes += log[i].len + WAL_REC_HEADER;
    wal_free_entries(log, nlog);
    logmsg(LL_NOTICE, "Raft node %llu of cluster %016llx (%d members): term %llu, log %llu..%llu, applied %llu",
           (unsigned long long)N.id, (unsigned long long)N.cluster_id, raft_members(N.r)->n,
           (unsigned long long)N.st.term, (unsigned long long)raft_snapshot_index(N.r) + 1,
           (unsigned long long)raft_last_index(N.r), (unsigned long long)N.applied);
    if (N.removed) logmsg(LL_WARNING, "This node was removed from the cluster: it does not serve");
    transfer_init(loop, N.r, f, N.cluster_id, N.id, N.members_text, on_installed);
    if (listen_peers(loop, cfg, &boot) < 0) goto fail;
    sync_peers();
    pthread_mutex_init(&N.mu, NULL);
    pthread_cond_init(&N.cv, NULL);
    ev_timer_init(&N.disk_retry, disk_retry_cb, 1.0, 0.);
    ev_async_init(&N.done_async, done_cb);
    ev_async_start(loop, &N.done_async);
    pthread_create(&N.thread, NULL, sync_main, NULL);
    ev_timer_init(&N.tick, tick_cb, TICK_MS / 1000., TICK_MS / 1000.);
    ev_timer_start(loop, &N.tick);
    if (members_voters(raft_members(N.r)) == 1 && raft_is_voter(N.r, N.id)) raft_campaign(N.r);  /* nobody to wait for */
    return 0;
fail:
    wal_free_entries(log, nlog);
    wal_close(N.w);
    N.w = NULL;
    return -1;
}

void node_shutdown(void) {
    if (!N.r) return;
    ev_timer_stop(N.loop, &N.tick);
    raft_flush(N.r);  /* a removed leader's hand-over must not wait for a tick that never comes */
    node_process();
    /* let the sync thread finish what it has, then drain the queue */
    for (;;) {
        pthread_mutex_lock(&N.mu);
        int idle = !N.busy;
        pthread_mutex_unlock(&N.mu);
        if (idle) {
            done_cb(N.loop, &N.done_async, 0);
            if (N.disk_full) {  /* nothing waiting was ever acknowledged: it may go */
                logmsg(LL_WARNING, "Stopping with log entries unwritten for want of space: any acknowledged one is "
                       "on a majority, and comes back from the leader");
                break;
            }
            pthread_mutex_lock(&N.mu);
            int more = N.busy || N.qhead;
            pthread_mutex_unlock(&N.mu);
            if (!more) break;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&N.mu);
    N.stop = 1;
    pthread_cond_signal(&N.cv);
    pthread_mutex_unlock(&N.mu);
    pthread_join(N.thread, NULL);
    while (N.qhead) {  /* left by a full disk */
        job *j = N.qhead;
        N.qhead = j->next;
        job_free(j);
    }
    ev_timer_stop(N.loop, &N.disk_retry);
    ev_async_stop(N.loop, &N.done_async);
    transfer_shutdown();
    peer_shutdown();
    raft_free(N.r);
    free(N.members_text);
    N.r = NULL;
    wal_close(N.w);
}

int node_is_leader(void) { return raft_role(N.r) == RAFT_LEADER; }
uint64_t node_id(void) { return N.id; }
uint64_t node_leader(void) { return raft_leader(N.r); }
uint64_t node_term(void) { return raft_term(N.r); }
uint64_t node_applied(void) { return N.applied; }
uint64_t node_confirmed_round(void) { return N.confirmed_round; }

uint64_t node_propose(const char *data, size_t len) {
    return raft_propose(N.r, RAFT_ENTRY_COMMAND, data, len);
}

/* Counted as entries come and commit; counted afresh when the term
 * changed (a log can be cut back then) or the count's start left memory. */
uint64_t node_uncommitted_bytes(void) {
    uint64_t commit = raft_commit_index(N.r), last = raft_last_index(N.r), term = raft_term(N.r);
    if (term != N.unc_term || N.unc_to > last || commit < N.unc_from || N.unc_from < raft_snapshot_index(N.r) ||
        commit > N.unc_to) {
        N.unc_term = term;
        N.unc_from = N.unc_to = commit;
        N.unc_bytes = 0;
    }
    for (; N.unc_from < commit; N.unc_from++) N.unc_bytes -= raft_entry_at(N.r, N.unc_from + 1)->len;
    for (; N.unc_to < last; N.unc_to++) N.unc_bytes += raft_entry_at(N.r, N.unc_to + 1)->len;
    return N.unc_bytes;
}

uint64_t node_read_round(uint64_t *read_index) { return raft_read_index(N.r, read_index); }
int node_read_vouched(uint64_t from, uint64_t term, uint64_t *read_index) {
    return raft_read_index_vouched(N.r, from, term, read_index);
}

static const cluster_member *member(uint64_t id) { return members_get(&N.book, id); }

static const char *role_name(int role) {
    static const char *names[] = {"follower", "pre-candidate", "candidate", "leader"};
    return names[role];
}

static void info_replication(buf *b) {
    uint64_t lead = raft_leader(N.r);
    const cluster_member *lm = member(lead);
    const members *c = raft_members(N.r);
    int leader = raft_role(N.r) == RAFT_LEADER;
    buf_printf(b, "# Replication\r\n");
    if (leader || !lm) {
        int k = 0;
        buf body;
        buf_init(&body);
        for (int i = 0; leader && i < c->n; i++) {
            raft_peer_info p;
            const cluster_member *m = &c->m[i];
            if (m->id == N.id || !raft_peer(N.r, m->id, &p)) continue;
            buf_printf(&body, "slave%d:ip=%s,port=%d,state=%s,offset=%llu,lag=0\r\n", k++, m->host, m->port,
                       peer_connected(m->id) ? "online" : "wait_bgsave", (unsigned long long)p.match);
        }
        buf_printf(b, "role:master\r\nconnected_slaves:%d\r\n", k);
        if (body.len) buf_append(b, body.data, body.len);
        buf_free(&body);
    } else {
        buf_printf(b, "role:slave\r\nmaster_host:%s\r\nmaster_port:%d\r\nmaster_link_status:%s\r\n", lm->host,
                   lm->port, peer_connected(lead) ? "up" : "down");
        buf_printf(b, "slave_repl_offset:%llu\r\nslave_read_only:0\r\n", (unsigned long long)N.applied);
    }
    buf_printf(b, "master_repl_offset:%llu\r\n\r\n", (unsigned long long)raft_commit_index(N.r));
}

/* One line per node this one knows of: members, and departing ones. */
static void info_node(buf *b, uint64_t id, uint64_t now) {
    const cluster_member *m = member(id);
    const members *c = raft_members(N.r);
    const cluster_member *cm = members_get(c, id);
    raft_peer_info p = {0};
    int lead_view = raft_role(N.r) == RAFT_LEADER && raft_peer(N.r, id, &p);
    const char *kind = !cm ? "departing" : cm->learner ? "learner" : "voter";
    const char *state = id == raft_leader(N.r) ? "leader" : id == N.id ? role_name(raft_role(N.r)) : "follower";
    buf_printf(b, "raft_node%llu:addr=%s:%d,peer_port=%d,kind=%s,state=%s", (unsigned long long)id, m ? m->host : "",
               m ? m->port : 0, m ? m->peer_port : 0, kind, state);
    if (id != N.id) {
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
                   (unsigned long long)wal_disk_bytes(N.w), wal_segments(N.w),
                   (unsigned long long)wal_first_index(N.w), (unsigned long long)raft_snapshot_index(N.r));
        return;
    }
    if (!strcmp(section, "replication")) { info_replication(b); return; }
    uint64_t lead = raft_leader(N.r);
    const cluster_member *lm = member(lead);
    const members *c = raft_members(N.r);
    const raft_stats *st = raft_get_stats(N.r);
    buf_printf(b, "# Raft\r\nraft_node_id:%llu\r\nraft_cluster_id:%016llx\r\nraft_role:%s\r\nraft_term:%llu\r\n",
               (unsigned long long)N.id, (unsigned long long)N.cluster_id,
               N.removed ? "removed" : role_name(raft_role(N.r)), (unsigned long long)raft_term(N.r));
    buf_printf(b, "raft_leader_id:%llu\r\nraft_leader_addr:%s:%d\r\n", (unsigned long long)lead, lm ? lm->host : "",
               lm ? lm->port : 0);
    buf_printf(b, "raft_commit_index:%llu\r\nraft_applied_index:%llu\r\nraft_last_log_index:%llu\r\n"
               "raft_last_log_term:%llu\r\nraft_members:%d\r\nraft_voters:%d\r\nraft_learners:%d\r\n"
               "raft_voter:%d\r\nraft_removed:%d\r\nraft_config_index:%llu\r\nraft_config_pending:%d\r\n"
               "raft_transfer_to:%llu\r\nraft_elections_timeout:%lld\r\nraft_elections_transfer:%lld\r\n"
               "raft_transfers:%lld\r\nraft_config_changes:%lld\r\n",
               (unsigned long long)raft_commit_index(N.r), (unsigned long long)N.applied,
               (unsigned long long)raft_last_index(N.r), (unsigned long long)raft_term_at(N.r, raft_last_index(N.r)),
               c->n, members_voters(c), c->n - members_voters(c), raft_is_voter(N.r, N.id), N.removed,
               (unsigned long long)raft_conf_index(N.r), raft_conf_index(N.r) > raft_commit_index(N.r),
               (unsigned long long)raft_transferee(N.r), st->timeout_elections, st->transfer_elections, st->transfers,
               st->conf_changes);
    buf_printf(b, "raft_uncommitted_bytes:%llu\r\n", (unsigned long long)node_uncommitted_bytes());
    buf_printf(b, "raft_fsyncs:%lld\r\nraft_fsynced_entries:%lld\r\n"
               "raft_wal_bytes:%llu\r\nraft_wal_segments:%d\r\nraft_bad_peer_frames:%lld\r\n",
               N.fsyncs, N.sync_entries, (unsigned long long)wal_disk_bytes(N.w), wal_segments(N.w),
               peer_bad_frames());
    buf_printf(b, "raft_first_log_index:%llu\r\nraft_snapshot_index:%llu\r\nraft_snapshot_term:%llu\r\n"
               "raft_snapshots_taken:%lld\r\nraft_last_snapshot_time:%lld\r\nraft_last_snapshot_duration_ms:%lld\r\n",
               (unsigned long long)raft_snapshot_index(N.r) + 1, (unsigned long long)raft_snapshot_index(N.r),
               (unsigned long long)raft_snapshot_term(N.r), N.snapshots, N.last_snapshot_time, N.last_snapshot_ms);
    transfer_info(b);
    buf_printf(b, "raft_retired_ids:");
    for (int i = 0; i < c->nretired; i++) buf_printf(b, "%s%llu", i ? "," : "", (unsigned long long)c->retired[i]);
    buf_printf(b, "\r\n");
    uint64_t now = mono_ms();
    for (int i = 0; i < c->n; i++) info_node(b, c->m[i].id, now);
    uint64_t ids[RAFT_MAX_NODES * 2];
    int n = raft_peers(N.r, ids, RAFT_MAX_NODES * 2);
    for (int i = 0; i < n; i++)
        if (!members_get(c, ids[i])) info_node(b, ids[i], now);
    buf_printf(b, "\r\n");
}

/* ---- membership and leadership ---- */

int node_removed(void) { return N.removed; }
int node_accepting(void) { return raft_role(N.r) == RAFT_LEADER && !raft_transferee(N.r); }

int64_t node_change(int op, const cluster_member *m) {
    int64_t r = raft_change(N.r, op, m);
    if (r > 0) {
        buf t;
        buf_init(&t);
        members_format_one(m, &t);
        logmsg(LL_NOTICE, "Proposed at index %lld: %s node %.*s", (long long)r,
               op == RAFT_ADD_LEARNER ? "add learner" : op == RAFT_PROMOTE ? "promote" : "remove", (int)t.len, t.data);
        buf_free(&t);
    }
    return r;
}

uint64_t node_transfer(uint64_t id) {
    uint64_t to = raft_transfer_leader(N.r, id);
    if (to) logmsg(LL_NOTICE, "Transferring leadership to node %llu", (unsigned long long)to);
    return to;
}

int node_transfer_state(void) {
    if (raft_transfer_sent(N.r)) return 1;
    return raft_transferee(N.r) ? 0 : -1;
}
