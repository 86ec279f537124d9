#include "node.h"
#include "entry.h"
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
    fsm *f;
    raft *r;
    wal *w;
    node_events ev;
    uint64_t id, cluster_id;
    cluster_member members[RAFT_MAX_NODES];
    int nmembers;
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
    char *members_text;   /* canonical membership, for snapshot images */
    uint64_t log_bytes;   /* entry bytes in the in-memory log, roughly */
    long long snapshots;
    long long last_snapshot_time, last_snapshot_ms;
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

/* Gives the oldest waiting job to the sync thread if it is idle. */
static void kick_sync(void) {
    pthread_mutex_lock(&N.mu);
    if (!N.busy && !N.finished && N.qhead) {
        N.busy = N.qhead;
        N.qhead = N.qhead->next;
        if (!N.qhead) N.qtail = NULL;
        pthread_cond_signal(&N.cv);
    }
    pthread_mutex_unlock(&N.mu);
}

static void done_cb(struct ev_loop *loop, ev_async *w, int revents) {
    (void)loop; (void)w; (void)revents;
    pthread_mutex_lock(&N.mu);
    job *j = N.finished;
    N.finished = NULL;
    pthread_mutex_unlock(&N.mu);
    if (!j) return;
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

static void apply(const raft_entry *e) {
    if (e->index <= N.applied) return;  /* already in the state machine before a restart */
    buf *reply = N.ev.reply_for ? N.ev.reply_for(e->index, e->term) : NULL;
    if (e->type == RAFT_ENTRY_NOOP) fsm_apply(N.f, e->index, e->term, noop_entry, sizeof(noop_entry), reply);
    else fsm_apply(N.f, e->index, e->term, e->data, e->len, reply);
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
    unsigned long long t0 = mono_ms();
    if (fsm_sync(N.f) != 0) {
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
    N.log_bytes = 0;
    if (how == 2) new_job()->reset_next = index + 1;  /* after all that was queued before */
    kick_sync();
    if (N.ev.applied) N.ev.applied();
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
        if (!rd.nmsgs && !rd.nentries && !rd.ncommitted && !rd.hard_state_changed && !rd.nmsgs_after) break;
    }
    if (applied_any && fsm_flush_batch(N.f) != 0) {
        logmsg(LL_WARNING, "Writing to the state machine failed; stopping");
        exit(1);
    }
    if (applied_any) compact(0);
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

static int setup_members(config *cfg) {
    char err[512];
    int single = !cfg->cluster[0];
    if (single) snprintf(cfg->cluster, sizeof(cfg->cluster), "%lld=%s:%d@%d", cfg->id, cfg->bind, cfg->port, cfg->port);
    N.nmembers = config_parse_cluster(cfg->cluster, N.members, RAFT_MAX_NODES, err, sizeof(err));
    if (N.nmembers < 0) { logmsg(LL_WARNING, "Bad cluster option: %s", err); return -1; }
    N.id = (uint64_t)cfg->id;
    int self = -1;
    buf canon;
    /* the cluster id names the membership the cluster was created with:
     * members sorted by id, in a canonical form */
    for (int i = 1; i < N.nmembers; i++)
        for (int j = i; j > 0 && N.members[j].id < N.members[j - 1].id; j--) {
            cluster_member t = N.members[j];
            N.members[j] = N.members[j - 1];
            N.members[j - 1] = t;
        }
    buf_init(&canon);
    for (int i = 0; i < N.nmembers; i++) {
        buf_printf(&canon, "%llu=%s:%d@%d,", (unsigned long long)N.members[i].id, N.members[i].host,
                   N.members[i].port, N.members[i].peer_port);
        if (N.members[i].id == N.id) self = i;
    }
    /* a lone node (no cluster option) keeps its identity across port changes */
    N.cluster_id = single ? fnv64("single", 6) ^ N.id : fnv64(canon.data, canon.len);
    if (canon.len) canon.len--;  /* the last comma */
    N.members_text = xstrndup(canon.data ? canon.data : "", canon.len);
    buf_free(&canon);
    if (self < 0) {
        logmsg(LL_WARNING, "This node's id %llu is not in the cluster option '%s'", (unsigned long long)N.id, cfg->cluster);
        return -1;
    }
    cfg->port = N.members[self].port;
    return self;
}

/* The log must continue the state machine: hold its applied entry (same
 * term) or begin right after it. One exception is repaired: an install of
 * a snapshot cut short before the log was reset, which leaves a log that
 * stops short of, or disagrees with, the image it installed. */
static int match_log(raft_entry *log, size_t nlog) {
    uint64_t a = N.applied, ta = fsm_applied_term(N.f);
    uint64_t first = nlog ? log[0].index : wal_first_index(N.w), last = nlog ? log[nlog - 1].index : first - 1;
    int holds = first <= a && a <= last;
    if ((holds && log[a - first].term == ta) || first == a + 1) return 0;
    if (fsm_installed_at(N.f) == a && (last < a || holds)) {
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

int node_init(struct ev_loop *loop, config *cfg, fsm *f, const node_events *ev) {
    memset(&N, 0, sizeof(N));
    N.loop = loop;
    N.cfg = cfg;
    N.f = f;
    N.ev = *ev;
    int self = setup_members(cfg);
    if (self < 0) return -1;
    char *err = NULL;
    raft_entry *log = NULL;
    size_t nlog = 0;
    int has_state = 0;
    N.w = wal_open(cfg->dir, (size_t)cfg->wal_segment_size, &N.st, &has_state, &log, &nlog, &err);
    if (!N.w) { start_error(err); return -1; }
    wal_set_sync(N.w, cfg->appendfsync);
    if (has_state && (N.st.cluster_id != N.cluster_id || N.st.node_id != N.id)) {
        logmsg(LL_WARNING,
               "The data in %s belongs to node %llu of cluster %016llx, not to node %llu of cluster %016llx "
               "(the cluster option differs from the one this data was created with). Refusing to start.",
               cfg->dir, (unsigned long long)N.st.node_id, (unsigned long long)N.st.cluster_id,
               (unsigned long long)N.id, (unsigned long long)N.cluster_id);
        goto fail;
    }
    N.applied = fsm_applied(f);
    int matched = match_log(log, nlog);
    if (matched < 0) goto fail;
    if (matched == 1) {
        wal_free_entries(log, nlog);
        log = NULL;
        nlog = 0;
    }
    if (!has_state) {
        N.st.cluster_id = N.cluster_id;
        N.st.node_id = N.id;
        if (wal_save_state(N.w, &N.st) < 0) {
            logmsg(LL_WARNING, "Cannot write the Raft state in %s: %s", cfg->dir, strerror(errno));
            goto fail;
        }
    }
    raft_config rc = {0};
    rc.id = N.id;
    rc.npeers = N.nmembers;
    for (int i = 0; i < N.nmembers; i++) rc.peers[i] = N.members[i].id;
    rc.election_ticks = (int)(cfg->election_timeout / TICK_MS);
    rc.heartbeat_ticks = (int)(cfg->heartbeat_interval / TICK_MS);
    if (rc.heartbeat_ticks < 1) rc.heartbeat_ticks = 1;
    if (rc.election_ticks <= rc.heartbeat_ticks) rc.election_ticks = rc.heartbeat_ticks * 2;
    rc.max_msg_entries = 4096;
    rc.max_inflight = 64;
    rc.max_msg_bytes = 1 << 20;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    rc.seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ N.id * 0x9e3779b97f4a7c15ULL;
    N.r = raft_new_at(&rc, N.st.term, N.st.vote, N.applied, fsm_applied_term(f), log, nlog);
    for (size_t i = 0; i < nlog; i++) N.log_bytes += log[i].len + WAL_REC_HEADER;
    wal_free_entries(log, nlog);
    logmsg(LL_NOTICE, "Raft node %llu of cluster %016llx (%d members): term %llu, log %llu..%llu, applied %llu",
           (unsigned long long)N.id, (unsigned long long)N.cluster_id, N.nmembers, (unsigned long long)N.st.term,
           (unsigned long long)raft_snapshot_index(N.r) + 1, (unsigned long long)raft_last_index(N.r),
           (unsigned long long)N.applied);
    transfer_init(loop, N.r, f, N.cluster_id, N.id, N.members_text, on_installed);
    peer_handler ph = {on_raft, on_forward, on_forward_reply, on_forward_close, on_down, on_link_closed,
                       transfer_on_chunk, transfer_on_ack};
    /* a lone node has no peers to listen for */
    if (N.nmembers > 1 && peer_init(loop, N.cluster_id, N.id, cfg->bind, N.members[self].peer_port, &ph) < 0) goto fail;
    for (int i = 0; i < N.nmembers; i++)
        if (i != self) peer_add(N.members[i].id, N.members[i].host, N.members[i].peer_port);
    pthread_mutex_init(&N.mu, NULL);
    pthread_cond_init(&N.cv, NULL);
    ev_async_init(&N.done_async, done_cb);
    ev_async_start(loop, &N.done_async);
    pthread_create(&N.thread, NULL, sync_main, NULL);
    ev_timer_init(&N.tick, tick_cb, TICK_MS / 1000., TICK_MS / 1000.);
    ev_timer_start(loop, &N.tick);
    if (N.nmembers == 1) raft_campaign(N.r);  /* nobody to wait for */
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
    /* let the sync thread finish what it has, then drain the queue */
    for (;;) {
        pthread_mutex_lock(&N.mu);
        int idle = !N.busy;
        pthread_mutex_unlock(&N.mu);
        if (idle) {
            done_cb(N.loop, &N.done_async, 0);
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

uint64_t node_read_round(uint64_t *read_index) { return raft_read_index(N.r, read_index); }
int node_read_vouched(uint64_t from, uint64_t term, uint64_t *read_index) {
    return raft_read_index_vouched(N.r, from, term, read_index);
}

static const cluster_member *member(uint64_t id) {
    for (int i = 0; i < N.nmembers; i++)
        if (N.members[i].id == id) return &N.members[i];
    return NULL;
}

static const char *role_name(int role) {
    static const char *names[] = {"follower", "pre-candidate", "candidate", "leader"};
    return names[role];
}

void node_info(buf *b, const char *section) {
    if (!strcmp(section, "persistence")) {
        buf_printf(b, "raft_log_bytes:%llu\r\nraft_log_segments:%d\r\nraft_log_first_index:%llu\r\n"
                   "raft_snapshot_index:%llu\r\n",
                   (unsigned long long)wal_disk_bytes(N.w), wal_segments(N.w),
                   (unsigned long long)wal_first_index(N.w), (unsigned long long)raft_snapshot_index(N.r));
        return;
    }
    uint64_t lead = raft_leader(N.r);
    const cluster_member *lm = member(lead);
    if (!strcmp(section, "replication")) {
        buf_printf(b, "# Replication\r\n");
        if (raft_role(N.r) == RAFT_LEADER || !lm) {
            buf_printf(b, "role:master\r\nconnected_slaves:%d\r\n", raft_role(N.r) == RAFT_LEADER ? N.nmembers - 1 : 0);
            int k = 0;
            for (int i = 0; raft_role(N.r) == RAFT_LEADER && i < N.nmembers; i++) {
                raft_peer_info p;
                if (N.members[i].id == N.id || !raft_peer(N.r, N.members[i].id, &p)) continue;
                buf_printf(b, "slave%d:ip=%s,port=%d,state=%s,offset=%llu,lag=0\r\n", k++, N.members[i].host,
                           N.members[i].port, peer_connected(N.members[i].id) ? "online" : "wait_bgsave",
                           (unsigned long long)p.match);
            }
        } else {
            buf_printf(b, "role:slave\r\nmaster_host:%s\r\nmaster_port:%d\r\nmaster_link_status:%s\r\n", lm->host,
                       lm->port, peer_connected(lead) ? "up" : "down");
            buf_printf(b, "slave_repl_offset:%llu\r\nslave_read_only:0\r\n", (unsigned long long)N.applied);
        }
        buf_printf(b, "master_repl_offset:%llu\r\n\r\n", (unsigned long long)raft_commit_index(N.r));
        return;
    }
    buf_printf(b, "# Raft\r\nraft_node_id:%llu\r\nraft_cluster_id:%016llx\r\nraft_role:%s\r\nraft_term:%llu\r\n",
               (unsigned long long)N.id, (unsigned long long)N.cluster_id, role_name(raft_role(N.r)),
               (unsigned long long)raft_term(N.r));
    buf_printf(b, "raft_leader_id:%llu\r\nraft_leader_addr:%s:%d\r\n", (unsigned long long)lead, lm ? lm->host : "",
               lm ? lm->port : 0);
    buf_printf(b, "raft_commit_index:%llu\r\nraft_applied_index:%llu\r\nraft_last_log_index:%llu\r\n"
               "raft_last_log_term:%llu\r\nraft_members:%d\r\nraft_fsyncs:%lld\r\nraft_fsynced_entries:%lld\r\n"
               "raft_wal_bytes:%llu\r\nraft_wal_segments:%d\r\nraft_bad_peer_frames:%lld\r\n",
               (unsigned long long)raft_commit_index(N.r), (unsigned long long)N.applied,
               (unsigned long long)raft_last_index(N.r), (unsigned long long)raft_term_at(N.r, raft_last_index(N.r)),
               N.nmembers, N.fsyncs, N.sync_entries, (unsigned long long)wal_disk_bytes(N.w), wal_segments(N.w),
               peer_bad_frames());
    buf_printf(b, "raft_first_log_index:%llu\r\nraft_snapshot_index:%llu\r\nraft_snapshot_term:%llu\r\n"
               "raft_snapshots_taken:%lld\r\nraft_last_snapshot_time:%lld\r\nraft_last_snapshot_duration_ms:%lld\r\n",
               (unsigned long long)raft_snapshot_index(N.r) + 1, (unsigned long long)raft_snapshot_index(N.r),
               (unsigned long long)raft_snapshot_term(N.r), N.snapshots, N.last_snapshot_time, N.last_snapshot_ms);
    transfer_info(b);
    uint64_t now = mono_ms();
    for (int i = 0; i < N.nmembers; i++) {
        const cluster_member *m = &N.members[i];
        if (m->id == N.id) continue;
        raft_peer_info p = {0};
        int lead_view = raft_role(N.r) == RAFT_LEADER && raft_peer(N.r, m->id, &p);
        uint64_t rx = peer_last_rx(m->id);
        buf_printf(b, "raft_peer%llu:addr=%s:%d,peer_port=%d,connected=%d,match=%llu,next=%llu,inflight=%d,state=%s,"
                   "last_contact_ms=%lld\r\n",
                   (unsigned long long)m->id, m->host, m->port, m->peer_port, peer_connected(m->id),
                   (unsigned long long)p.match, (unsigned long long)p.next, p.inflight,
                   lead_view ? (p.probe ? "probe" : "replicate") : "-", rx ? (long long)(now - rx) : -1LL);
    }
    buf_printf(b, "\r\n");
}
