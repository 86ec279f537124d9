#include "replica.h"
#include "blob.h"
#include "log.h"
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A write waiting for the log port, and the messages that must wait for
 * it (votes and acknowledgements, dissertation 3.8 / 10.2.1). */
typedef struct job {
    replica_write w;
    raft_msg *msgs;
    size_t nmsgs, capmsgs;
    struct job *next;
} job;

#define LEASE_ROUNDS 64
typedef struct lease_round { uint64_t round, term, sent_ms; } lease_round;

struct replica {
    raft *r;
    replica_config cfg;
    replica_log_port log;
    replica_transport_port tr;
    replica_sm_port sm;
    replica_clock_port clock;
    replica_events ev;
    uint64_t id;
    char *founding;
    char *where;            /* the data directory, for messages */
    char *noop;             /* what a NOOP entry applies as: a blob, like every entry's data */
    uint64_t time_floor;    /* cluster time: the latest entry's in the log, or the state machine's */
    uint64_t committed_time; /* the latest committed entry's (or the state machine's) */
    uint64_t log_time;      /* the latest in any entry this log held, or the state machine's */
    uint64_t time_term;     /* the leadership whose start moved time_floor past committed_time */
    uint64_t behind_logged; /* the term in which a clock behind it was logged */
    members book;           /* the address of every node any configuration named */
    uint64_t conf_version;  /* the core's, when the links were last matched to it */
    uint64_t link_leader;   /* the leader then */
    uint64_t linked[RAFT_MAX_NODES * 2];
    int nlinked;
    int removed;            /* a configuration without this node was applied */
    job *busy;              /* with the log port */
    job *qhead, *qtail;     /* waiting for it, in order */
    uint64_t applied, durable_last;
    uint64_t lead, term;
    int role;
    uint64_t confirmed_round, commit_seen;
    /* lease: when each recent round was sent (by round % LEASE_ROUNDS), and
     * the lease of term lease_term the latest confirmed one earned */
    lease_round rounds[LEASE_ROUNDS];
    uint64_t lease_until, lease_term, last_round_ms;
    int keep_lease;
    uint64_t unc_bytes, unc_from, unc_to, unc_term;  /* replica_uncommitted_bytes(): entries (from, to] of term */
    int disk_full;          /* errno of a write refused for want of space; retrying */
    int degraded;           /* the log or the state machine lacks space */
    int sm_waiting;         /* the state machine was not durable as far as asked: no snapshot until replica_sm_progress() */
    int sm_poked;           /* ... which came: try again at the next process */
    int retry_left;         /* ticks to the next try (0: none pending) */
    int stopped;            /* fatal: nothing more happens */
    replica_stats st;
};

#define NOOP_ENTRY_LEN 13  /* ENTRY_NOOP, time 0, argc 0: r->noop */

static void fatal(replica *r, const char *why) {
    r->stopped = 1;
    r->ev.fatal(r->ev.ctx, why);
}

/* ---- the log: one write at a time, the rest queued and merged ---- */

static void job_free(job *j) {
    for (size_t i = 0; i < j->w.nents; i++) blob_release(j->w.ents[i].data);
    free(j->w.ents);
    free(j->msgs);
    free(j);
}

static job *new_job(replica *r) {
    job *t = xmalloc(sizeof(*t));
    memset(t, 0, sizeof(*t));
    if (r->qtail) r->qtail->next = t; else r->qhead = t;
    r->qtail = t;
    return t;
}

/* Hands the oldest waiting job to the log if it is idle (a full disk is
 * tried again on the retry tick, not at once). */
static void kick(replica *r) {
    if (r->stopped || r->busy || !r->qhead || (r->disk_full && r->retry_left)) return;
    r->busy = r->qhead;
    r->qhead = r->qhead->next;
    if (!r->qhead) r->qtail = NULL;
    r->busy->next = NULL;
    r->log.write(r->log.ctx, &r->busy->w);
}

/* The write keeps the entries (the log's blobs) until it is done, and
 * encodes them off the loop: a 100 MB entry is not copied here. */
static void hold_entries(replica *r, replica_write *w, const raft_entry *e, size_t n) {
    if (w->nents + n > w->capents) {
        w->capents = (w->nents + n) * 2;
        w->ents = xrealloc(w->ents, sizeof(raft_entry) * w->capents);
    }
    for (size_t i = 0; i < n; i++) {
        w->ents[w->nents] = e[i];
        w->ents[w->nents++].data = blob_retain(e[i].data);
        r->st.log_bytes += e[i].len + r->cfg.rec_overhead;
    }
}

/* Adds one ready's persistence work to the queue, merging with the last
 * waiting job when the entries continue it (the group in group commit). */
static void queue_persist(replica *r, const raft_ready *rd) {
    job *t = r->qtail;
    int contiguous = t && (!rd->nentries || !t->w.nents || rd->entries[0].index == t->w.last + 1);
    if (!contiguous) t = new_job(r);
    if (rd->hard_state_changed) {
        t->w.has_state = 1;
        t->w.term = rd->term;
        t->w.vote = rd->vote;
    }
    if (rd->nentries) {
        if (!t->w.nents) t->w.first = rd->entries[0].index;
        hold_entries(r, &t->w, rd->entries, rd->nentries);
        t->w.last = rd->entries[rd->nentries - 1].index;
        t->w.last_term = rd->entries[rd->nentries - 1].term;
    }
    for (size_t i = 0; i < rd->nmsgs_after; i++) {
        if (t->nmsgs == t->capmsgs) {
            t->capmsgs = t->capmsgs ? t->capmsgs * 2 : 8;
            t->msgs = xrealloc(t->msgs, sizeof(raft_msg) * t->capmsgs);
        }
        t->msgs[t->nmsgs] = rd->msgs_after[i];
        assert(!rd->msgs_after[i].nentries);  /* acknowledgements and votes carry no entries */
        t->msgs[t->nmsgs].entries = NULL;
        t->msgs[t->nmsgs++].nentries = 0;
    }
}

/* ---- a full disk ----
 * A write refused for want of space changed nothing (wal.h): the job goes
 * back to the head of the queue and is tried again every retry_ticks,
 * while the node takes no new writes (replica_disk_full()) and, leading,
 * hands the leadership to a node that can write. Everything else goes on:
 * followers acknowledge heartbeats, reads are served. */

/* A leader short of space hands over, but only when enough followers can
 * write to elect another leader without it: they have all it has (they
 * acknowledge only what they have made durable). With fewer, a hand-over
 * would leave no leader, and no reads: it keeps the role, takes no writes. */
static void maybe_hand_over(replica *r) {
    if (raft_role(r->r) != RAFT_LEADER || raft_transferee(r->r)) return;
    const members *m = raft_members(r->r);
    int healthy = 0;
    for (int i = 0; i < m->n; i++) {
        raft_peer_info p;
        if (m->m[i].id != r->id && !m->m[i].learner && raft_peer(r->r, m->m[i].id, &p) &&
            p.match == raft_last_index(r->r))
            healthy++;
    }
    if (healthy >= members_voters(m) / 2 + 1) replica_transfer_leader(r, 0);
}

/* Whichever of the log and the state machine ran out first. */
static void degrade(replica *r) {
    if (!r->retry_left) r->retry_left = r->cfg.retry_ticks;
    if (r->degraded) return;
    r->degraded = 1;
    maybe_hand_over(r);
}

static void disk_full(replica *r, job *j, int err) {
    if (!r->disk_full)
        logmsg(LL_WARNING, "Writing the Raft log in %s failed: %s. This node takes no writes until there is space; "
               "it tries again every second. Its data is intact.", r->where, strerror(err));
    r->disk_full = err;
    j->next = r->qhead;  /* first again: what came after it waits for it */
    r->qhead = j;
    if (!r->qtail) r->qtail = j;
    r->retry_left = 0;
    degrade(r);
}

static void retry(replica *r) {
    int again = 0;
    if (r->sm.no_space(r->sm.ctx)) {
        int k = r->sm.recover(r->sm.ctx);
        if (k < 0) { fatal(r, "Writing to the state machine failed"); return; }
        again = k != 0;
    }
    if (!r->disk_full && !again) r->degraded = 0;
    kick(r);  /* the log's job, if it waits */
    if (r->disk_full || again) maybe_hand_over(r);
    if (again) r->retry_left = r->cfg.retry_ticks;
}

void replica_write_done(replica *r, int err) {
    job *j = r->busy;
    assert(j);  /* a completion without a write is a host bug */
    r->busy = NULL;
    if (err == ENOSPC || err == EDQUOT) { disk_full(r, j, err); return; }
    if (r->disk_full) {
        logmsg(LL_NOTICE, "The Raft log in %s is writable again", r->where);
        r->disk_full = 0;
        if (!r->sm.no_space(r->sm.ctx)) r->degraded = 0;
    }
    if (err) {
        /* After a failed fsync the file's state is unknown: going on could
         * acknowledge what is not on disk. Stop, as PostgreSQL does. */
        char why[160];
        snprintf(why, sizeof(why), "Writing the Raft log failed: %s", strerror(err));
        job_free(j);
        fatal(r, why);
        return;
    }
    r->st.fsyncs++;
    if (j->w.reset_next) r->durable_last = j->w.reset_next - 1;
    if (j->w.nents) {
        r->st.synced_entries += (long long)(j->w.last - j->w.first + 1);
        r->durable_last = j->w.last;
        raft_persisted(r->r, j->w.last, j->w.last_term);
    }
    for (size_t i = 0; i < j->nmsgs; i++) r->tr.send(r->tr.ctx, &j->msgs[i]);
    job_free(j);
    kick(r);
}

int replica_idle(const replica *r) { return !r->busy && !r->qhead; }
int replica_disk_full(const replica *r) {
    if (r->disk_full) return r->disk_full;
    return r->sm.no_space(r->sm.ctx) ? ENOSPC : 0;
}

/* ---- applying ---- */

static void note_removed(replica *r, uint64_t index) {
    if (r->removed) return;
    r->removed = 1;
    logmsg(LL_WARNING, "This node was removed from the cluster by the configuration at index %llu: it no longer "
           "serves. Wipe its data directory before adding it again.", (unsigned long long)index);
}

static const char *sm_conf(replica *r) {
    const char *c = r->sm.conf(r->sm.ctx);
    return c ? c : r->founding;
}

static void apply(replica *r, const raft_entry *e) {
    if (e->index <= r->applied) return;  /* already in the state machine before a restart */
    assert(e->index == r->applied + 1);
    assert(e->index <= r->durable_last);  /* apply only what is durable here */
    buf *reply = r->ev.reply_for ? r->ev.reply_for(r->ev.ctx, e->index, e->term) : NULL;
    int removed = 0;
    raft_entry x = *e;
    if (e->type == RAFT_ENTRY_NOOP) {
        x.data = r->noop;
        x.len = NOOP_ENTRY_LEN;
    } else if (e->type == RAFT_ENTRY_CONFIG) {
        const char *before = sm_conf(r);
        removed = members_removes(before, strlen(before), e->data, e->len, r->id);
        logmsg(LL_NOTICE, "Configuration at index %llu applied: %.*s", (unsigned long long)e->index, (int)e->len,
               e->data);
    }
    r->sm.apply(r->sm.ctx, &x, removed, reply);
    if (removed) note_removed(r, e->index);
    r->applied = e->index;
}

static void note_leader(replica *r) {
    uint64_t lead = raft_leader(r->r), term = raft_term(r->r);
    int role = raft_role(r->r);
    if (lead == r->lead && term == r->term && role == r->role) return;
    assert(term >= r->term);  /* terms only grow */
    if (lead != r->lead && lead) {
        if (lead == r->id) logmsg(LL_NOTICE, "Term %llu: this node is now the leader", (unsigned long long)term);
        else logmsg(LL_NOTICE, "Term %llu: following node %llu", (unsigned long long)term, (unsigned long long)lead);
    }
    if (term != r->term) r->st.elections_seen++;
    if (r->role == RAFT_LEADER && role != RAFT_LEADER) r->tr.stop_images(r->tr.ctx);
    r->lead = lead;
    r->term = term;
    r->role = role;
    if (r->ev.leader_changed) r->ev.leader_changed(r->ev.ctx);
}

/* ---- leases ---- */

static uint64_t now_ms(replica *r) { return r->clock.mono_ms(r->clock.ctx); }

/* A round a quorum confirmed: the lease runs lease_ms from its send. */
static void note_confirmed(replica *r, uint64_t round) {
    uint64_t term = raft_term(r->r);
    const lease_round *q = &r->rounds[round % LEASE_ROUNDS];
    if (!r->cfg.lease_ms || q->round != round || q->term != term) return;
    uint64_t until = q->sent_ms + r->cfg.lease_ms;
    if (r->lease_term != term) r->lease_until = 0;
    r->lease_term = term;
    if (until > r->lease_until) r->lease_until = until;
}

int replica_read_lease(replica *r, uint64_t *read_index) {
    if (!r->cfg.lease_ms || r->stopped || r->lease_term != raft_term(r->r)) return 0;
    /* the clock is read now, not at the loop's wake-up: a process stopped
     * since then has no lease left */
    if (now_ms(r) >= r->lease_until) return 0;
    return raft_read_index_lease(r->r, read_index);
}

void replica_keep_lease(replica *r, int on) { r->keep_lease = on; }

uint64_t replica_lease_ms(int election_ticks, int tick_ms) {
    return election_ticks < 20 ? 0 : (uint64_t)(election_ticks - 3) * (uint64_t)tick_ms / 2;
}

/* A leader serving lease reads sends a round every lease_refresh_ms, so
 * that its reads need none of their own while the cluster is healthy. */
static void refresh_lease(replica *r) {
    if (!r->keep_lease || !r->cfg.lease_ms || raft_role(r->r) != RAFT_LEADER) return;
    if (now_ms(r) - r->last_round_ms < r->cfg.lease_refresh_ms) return;
    uint64_t ri;
    replica_read_round(r, &ri);
}

/* ---- snapshots ---- */

/* The point to compact to: everything applied, less a tail that lets a
 * follower a little behind catch up from the log instead of by an image,
 * and never past an image being sent (its follower continues after it). */
static uint64_t compact_point(replica *r, int all) {
    uint64_t snap = raft_snapshot_index(r->r), c = r->applied;
    uint64_t keep_n = all ? 0 : r->cfg.keep_entries, keep_b = r->cfg.keep_bytes;
    uint64_t n = 0, bytes = 0;
    while (c > snap && n < keep_n) {
        size_t len = raft_entry_at(r->r, c)->len;
        if (bytes + len > keep_b) break;
        bytes += len;
        n++;
        c--;
    }
    uint64_t floor = r->tr.image_floor(r->tr.ctx);
    return c < floor ? c : floor;
}

/* Local snapshot: the state machine made durable, then the log behind it
 * forgotten, in memory now and on disk by the next write. all: no tail
 * (RAFT.SNAPSHOT). Returns the new snapshot point. */
static uint64_t compact(replica *r, int all) {
    uint64_t snap = raft_snapshot_index(r->r);
    if (r->sm_waiting && !all) return snap;
    uint64_t entries = raft_last_index(r->r) - snap;
    if (!all && entries <= r->cfg.snapshot_entries && r->st.log_bytes <= r->cfg.snapshot_bytes) return snap;
    uint64_t c = compact_point(r, all);
    if (c <= snap && !all) return snap;
    if (r->sm.no_space(r->sm.ctx)) return snap;  /* nothing can be made durable: the log stays */
    uint64_t t0 = r->clock.mono_ms(r->clock.ctx), durable = 0;
    int err = r->sm.make_durable(r->sm.ctx, all ? r->applied : c, all, &durable);
    if (err == ENOSPC || err == EDQUOT) { degrade(r); return snap; }
    if (err) {
        fatal(r, "Making the state machine durable failed");
        return snap;
    }
    if (durable < c) {  /* the state machine is behind: this far now, the rest at replica_sm_progress() */
        r->sm_waiting = 1;
        c = durable;
        if (c <= snap) return snap;
    }
    if (c > snap) {
        uint64_t dropped = 0;
        for (uint64_t i = snap + 1; i <= c; i++) dropped += raft_entry_at(r->r, i)->len + r->cfg.rec_overhead;
        r->st.log_bytes = r->st.log_bytes > dropped ? r->st.log_bytes - dropped : 0;
        raft_compact(r->r, c);
        job *t = r->qtail ? r->qtail : new_job(r);
        t->w.compact_upto = c;
        kick(r);
    }
    r->st.snapshots++;
    r->st.last_snapshot_time = r->clock.wall_s(r->clock.ctx);
    r->st.last_snapshot_ms = (long long)(r->clock.mono_ms(r->clock.ctx) - t0);
    logmsg(LL_VERBOSE, "Snapshot: state machine durable at index %llu, log compacted up to %llu in %lld ms",
           (unsigned long long)r->applied, (unsigned long long)c, r->st.last_snapshot_ms);
    return c;
}

uint64_t replica_snapshot_now(replica *r) { return compact(r, 1); }

int replica_install(replica *r, const raft_msg *m, int (*install)(void *ctx, int removed), void *ctx) {
    if (r->stopped) return 0;
    if (m->nentries != 1 || m->entries[0].type != RAFT_ENTRY_CONFIG) return 0;
    /* an image whose configuration leaves out this node, which the one in
     * force here includes, tells it that it was removed while away */
    const char *before = sm_conf(r);
    int removed = members_removes(before, strlen(before), m->entries[0].data, m->entries[0].len, r->id);
    int how = raft_install_snapshot(r->r, m);
    if (!how) return 0;
    assert(m->index > r->applied);  /* the core takes only news */
    r->tr.stop_images(r->tr.ctx);  /* views of the state machine being replaced */
    if (install(ctx, removed) != 0) {
        /* the core already counts on it: going on would serve a state it does not have */
        fatal(r, "Installing the snapshot failed");
        return 0;
    }
    r->applied = m->index;
    if (r->durable_last < m->index) r->durable_last = m->index;
    if (removed) note_removed(r, m->index);
    r->st.log_bytes = 0;
    if (how == 2) new_job(r)->w.reset_next = m->index + 1;  /* after all that was queued before */
    kick(r);
    if (r->ev.applied) r->ev.applied(r->ev.ctx);
    return how;
}

/* ---- links ---- */

static void learn_addresses(replica *r) {
    const members *c = raft_members(r->r);
    for (int i = 0; i < c->n; i++) {
        cluster_member *b = members_find(&r->book, c->m[i].id);
        if (!c->m[i].host[0]) continue;
        if (b) { *b = c->m[i]; continue; }
        if (members_add(&r->book, &c->m[i]) < 0) {  /* full: forget one no longer named */
            for (int k = 0; k < r->book.n; k++)
                if (!members_get(c, r->book.m[k].id)) { members_remove(&r->book, r->book.m[k].id); break; }
            members_add(&r->book, &c->m[i]);
        }
    }
}

/* Links follow the core's peer set (members, and departing ones on a
 * leader); addresses come from every configuration seen. */
static void sync_links(replica *r) {
    if (raft_conf_version(r->r) == r->conf_version && raft_leader(r->r) == r->link_leader) return;
    r->conf_version = raft_conf_version(r->r);
    r->link_leader = raft_leader(r->r);
    learn_addresses(r);
    uint64_t want[RAFT_MAX_NODES * 2 + 1];
    int nwant = raft_peers(r->r, want, RAFT_MAX_NODES * 2);
    int has_leader = !r->link_leader || r->link_leader == r->id;
    for (int k = 0; k < nwant; k++) has_leader |= want[k] == r->link_leader;
    if (!has_leader) want[nwant++] = r->link_leader;  /* a leader this node's configuration does not name yet */
    for (int i = 0; i < r->nlinked; i++) {
        int keep = 0;
        for (int k = 0; k < nwant; k++) keep |= want[k] == r->linked[i];
        if (!keep) r->tr.unlink(r->tr.ctx, r->linked[i]);
    }
    r->nlinked = 0;
    for (int k = 0; k < nwant; k++) {
        const cluster_member *m = members_get(&r->book, want[k]);
        if (!m) continue;  /* no address known: it will dial us */
        r->tr.link(r->tr.ctx, m);
        r->linked[r->nlinked++] = m->id;
    }
}

/* ---- the loop ---- */

static void send_now(replica *r, const raft_ready *rd) {
    for (size_t i = 0; i < rd->nmsgs; i++) {
        const raft_msg *m = &rd->msgs[i];
        if (m->type == MSG_SNAPSHOT) r->tr.send_image(r->tr.ctx, m->to, m->term);
        else r->tr.send(r->tr.ctx, m);
    }
}

/* Cluster time never falls behind an entry this node holds (replica_time).
 * An entry without its data (at start-up, at or before the state
 * machine's point) is behind time_floor already. */
static void note_entries(replica *r, const raft_entry *e, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!e[i].data) continue;
        uint64_t t = r->sm.entry_time ? r->sm.entry_time(r->sm.ctx, &e[i]) : 0;
        if (t > r->time_floor) r->time_floor = t;
        if (t > r->log_time) r->log_time = t;
    }
}

/* One ready: messages, persistence (or, when nothing of it or before it
 * waits for the disk, its answers at once), applies. 0 when it was empty. */
static int process_one(replica *r, int *applied_any) {
    raft_ready rd;
    raft_ready_get(r->r, &rd);
    send_now(r, &rd);
    note_entries(r, rd.entries, rd.nentries);
    if (!rd.hard_state_changed && !rd.nentries && rd.nmsgs_after && replica_idle(r)) {
        for (size_t i = 0; i < rd.nmsgs_after; i++) r->tr.send(r->tr.ctx, &rd.msgs_after[i]);
    } else if (rd.hard_state_changed || rd.nentries || rd.nmsgs_after) {
        queue_persist(r, &rd);
    }
    for (size_t i = 0; i < rd.ncommitted; i++) {
        uint64_t t = r->sm.entry_time ? r->sm.entry_time(r->sm.ctx, &rd.committed[i]) : 0;
        if (t > r->committed_time) r->committed_time = t;
        /* the core hands out only what a majority holds; this node applies
         * an entry only once it is durable here too, or compacted (durable
         * in the state machine), or known committed from an image */
        apply(r, &rd.committed[i]);
    }
    *applied_any |= rd.ncommitted > 0;
    if (rd.confirmed_round > r->confirmed_round) r->confirmed_round = rd.confirmed_round;
    if (rd.confirmed_round) note_confirmed(r, rd.confirmed_round);
    assert(raft_commit_index(r->r) >= r->commit_seen);  /* commit never goes back */
    r->commit_seen = raft_commit_index(r->r);
    note_leader(r);
    sync_links(r);
    return rd.nmsgs || rd.nentries || rd.ncommitted || rd.hard_state_changed || rd.nmsgs_after;
}

void replica_process(replica *r) {
    if (r->stopped) return;
    int applied_any = 0;
    for (int rounds = 0; rounds < 4 && process_one(r, &applied_any); rounds++) {}
    int err = applied_any ? r->sm.end_batch(r->sm.ctx) : 0;
    if (err == ENOSPC || err == EDQUOT) degrade(r);
    else if (err) { fatal(r, "Writing to the state machine failed"); return; }
    if (!err && (applied_any || r->sm_poked)) compact(r, 0);
    r->sm_poked = 0;
    if (r->stopped) return;
    if (r->ev.applied) r->ev.applied(r->ev.ctx);
    kick(r);
    r->tr.flush(r->tr.ctx);
}

void replica_tick(replica *r) {
    if (r->stopped) return;
    raft_tick(r->r);
    refresh_lease(r);
    if (r->retry_left && --r->retry_left == 0) retry(r);
}

void replica_flush(replica *r) {
    raft_flush(r->r);
    replica_process(r);
}

void replica_step(replica *r, const raft_msg *m) {
    if (!r->stopped) raft_step(r->r, m);
}
void replica_peer_down(replica *r, uint64_t id) { raft_peer_down(r->r, id); }
void replica_peer_streaming(replica *r, uint64_t id) {
    if (!r->stopped) raft_peer_streaming(r->r, id);
}
void replica_image_sent(replica *r, uint64_t to, uint64_t index) { raft_snapshot_sent(r->r, to, index); }
void replica_image_failed(replica *r, uint64_t to) { raft_snapshot_failed(r->r, to); }
void replica_campaign(replica *r) { raft_campaign(r->r); }
void replica_sm_progress(replica *r) {
    r->sm_waiting = 0;
    r->sm_poked = 1;
}
void replica_sm_failed(replica *r, int err) {
    if (r->stopped) return;
    if (err == ENOSPC || err == EDQUOT) degrade(r);
    else fatal(r, "Writing to the state machine failed");
}

/* ---- start-up ---- */

int replica_log_fits(uint64_t applied, uint64_t applied_term, uint64_t installed_at, uint64_t log_first,
                     uint64_t log_last, uint64_t term_at_applied) {
    int holds = log_first <= applied && applied <= log_last;
    if ((holds && term_at_applied == applied_term) || log_first == applied + 1) return REPLICA_LOG_OK;
    if (installed_at == applied && (log_last < applied || holds)) return REPLICA_LOG_RESET;
    return holds ? REPLICA_LOG_DISAGREES : REPLICA_LOG_LOST;
}

uint64_t replica_time(replica *r) {
    if (raft_role(r->r) != RAFT_LEADER) return r->time_floor;
    if (r->time_term != raft_term(r->r)) {
        /* a new leadership: past any read a leader before served, which was
         * at most the margin past an entry committed then, which this log
         * holds (the commit it may not know of yet) */
        r->time_term = raft_term(r->r);
        if (r->log_time + r->cfg.time_margin > r->time_floor) r->time_floor = r->log_time + r->cfg.time_margin;
    }
    uint64_t wall = r->clock.wall_ms ? r->clock.wall_ms(r->clock.ctx) : 0;
    if (wall + 1000 < r->time_floor && r->behind_logged != r->term) {
        r->behind_logged = r->term;
        logmsg(LL_WARNING, "This node's clock is %llu ms behind the cluster time: cluster time goes on from the "
               "latest entry's until the clock catches up", (unsigned long long)(r->time_floor - wall));
    }
    if (wall > r->time_floor) r->time_floor = wall;
    return r->time_floor;
}

uint64_t replica_read_time(replica *r) {
    uint64_t t = replica_time(r), cap = r->committed_time + r->cfg.time_margin;
    return t < cap ? t : cap;
}

uint64_t replica_committed_time(const replica *r) { return r->committed_time; }

void replica_note_time(replica *r, uint64_t t) {
    if (t > r->time_floor) r->time_floor = t;
    if (t > r->log_time) r->log_time = t;
    if (t > r->committed_time) r->committed_time = t;
}

replica *replica_new(const replica_config *cfg, const replica_log_port *log, const replica_transport_port *tr,
                     const replica_sm_port *sm, const replica_clock_port *clock, const replica_events *ev,
                     uint64_t term, uint64_t vote, uint64_t applied, uint64_t applied_term, const raft_entry *entries,
                     size_t n) {
    replica *r = xmalloc(sizeof(*r));
    memset(r, 0, sizeof(*r));
    r->cfg = *cfg;
    r->log = *log;
    r->tr = *tr;
    r->sm = *sm;
    r->clock = *clock;
    r->ev = *ev;
    r->id = cfg->core.id;
    r->founding = xstrndup(cfg->founding, strlen(cfg->founding));
    r->cfg.founding = r->founding;
    r->where = xstrndup(cfg->where ? cfg->where : "", strlen(cfg->where ? cfg->where : ""));
    r->noop = blob_new(NOOP_ENTRY_LEN);
    memset(r->noop, 0, NOOP_ENTRY_LEN);
    r->applied = applied;
    r->durable_last = n ? entries[n - 1].index : applied;
    r->book = cfg->book;
    r->removed = cfg->removed;
    raft_config core = cfg->core;
    core.load = log->read;
    core.load_ctx = log->ctx;
    core.congested = tr->congested;
    core.congested_ctx = tr->ctx;
    if (!core.load) core.cache_bytes = 0;
    r->r = raft_new_at(&core, term, vote, applied, applied_term, entries, n);
    r->time_floor = r->committed_time = r->log_time = cfg->time_floor;
    note_entries(r, entries, n);
    for (size_t i = 0; i < n; i++) r->st.log_bytes += entries[i].len + cfg->rec_overhead;
    return r;
}

void replica_free(replica *r) {
    if (!r) return;
    if (r->busy) job_free(r->busy);
    while (r->qhead) {
        job *j = r->qhead;
        r->qhead = j->next;
        job_free(j);
    }
    raft_free(r->r);
    free(r->founding);
    free(r->where);
    blob_release(r->noop);
    free(r);
}

/* ---- leader work and state ---- */

uint64_t replica_propose(replica *r, const char *data, size_t len) {
    return raft_propose(r->r, RAFT_ENTRY_COMMAND, data, len);
}
uint64_t replica_propose_blob(replica *r, char *data, size_t len) {
    return raft_propose_blob(r->r, RAFT_ENTRY_COMMAND, data, len);
}
uint64_t replica_read_round(replica *r, uint64_t *read_index) {
    uint64_t round = raft_read_index(r->r, read_index);
    if (round) {
        r->last_round_ms = now_ms(r);
        r->rounds[round % LEASE_ROUNDS] = (lease_round){round, raft_term(r->r), r->last_round_ms};
    }
    return round;
}
int replica_read_vouched(replica *r, uint64_t from, uint64_t term, uint64_t *read_index) {
    return raft_read_index_vouched(r->r, from, term, read_index);
}

int64_t replica_change(replica *r, int op, const cluster_member *m) {
    int64_t k = raft_change(r->r, op, m);
    if (k > 0) {
        buf t;
        buf_init(&t);
        members_format_one(m, &t);
        logmsg(LL_NOTICE, "Proposed at index %lld: %s node %.*s", (long long)k,
               op == RAFT_ADD_LEARNER ? "add learner" : op == RAFT_PROMOTE ? "promote" : "remove", (int)t.len, t.data);
        buf_free(&t);
    }
    return k;
}

uint64_t replica_transfer_leader(replica *r, uint64_t id) {
    uint64_t to = raft_transfer_leader(r->r, id);
    if (to) logmsg(LL_NOTICE, "Transferring leadership to node %llu", (unsigned long long)to);
    return to;
}

int replica_transfer_state(const replica *r) {
    if (raft_transfer_sent(r->r)) return 1;
    return raft_transferee(r->r) ? 0 : -1;
}

/* Counted as entries come and commit; counted afresh when the term
 * changed (a log can be cut back then) or the count's start left memory. */
uint64_t replica_uncommitted_bytes(replica *r) {
    uint64_t commit = raft_commit_index(r->r), last = raft_last_index(r->r), term = raft_term(r->r);
    if (term != r->unc_term || r->unc_to > last || commit < r->unc_from || r->unc_from < raft_snapshot_index(r->r) ||
        commit > r->unc_to) {
        r->unc_term = term;
        r->unc_from = r->unc_to = commit;
        r->unc_bytes = 0;
    }
    for (; r->unc_from < commit; r->unc_from++) r->unc_bytes -= raft_entry_at(r->r, r->unc_from + 1)->len;
    for (; r->unc_to < last; r->unc_to++) r->unc_bytes += raft_entry_at(r->r, r->unc_to + 1)->len;
    return r->unc_bytes;
}

const raft *replica_core(const replica *r) { return r->r; }
uint64_t replica_applied(const replica *r) { return r->applied; }
uint64_t replica_confirmed_round(const replica *r) { return r->confirmed_round; }
int replica_removed(const replica *r) { return r->removed; }
int replica_accepting(const replica *r) { return raft_role(r->r) == RAFT_LEADER && !raft_transferee(r->r); }
const replica_stats *replica_get_stats(const replica *r) { return &r->st; }
const members *replica_address_book(const replica *r) { return &r->book; }
