/* Deterministic simulation of whole Raft clusters: N nodes of the pure core
 * in one process over a fake network (delay, loss, duplication, reordering,
 * partitions, one-way link failures, process pauses) and fake disks (slow writes, crashes that lose what was not
 * yet durable, restarts). One seeded PRNG drives everything, so a seed
 * replays exactly. After every step it checks Raft's safety properties:
 * election safety, log matching, leader completeness, state machine safety;
 * and after the faults stop, that the cluster commits new entries. Reads
 * are checked too: a read barrier (ReadIndex, and the vouched form a
 * forwarding follower allows) that is confirmed must cover every entry
 * applied anywhere before the read began.
 * Usage: sim_raft [first-seed] [seeds] [steps]; SIM_TRACE=<tick> in the
 * environment prints every delivered message after that tick. */
#include "raft.h"
#include "testlib.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 5
#define MAXMSG 20000
#define MAXIDX 200000

static uint64_t rng;
static uint64_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }
static int chance(int pct) { return (int)(rnd() % 100) < pct; }

typedef struct simmsg { raft_msg m; long at; } simmsg;

/* A node's disk: hard state, the log (from any index on, after
 * compaction) and its durable state machine image: index, term, digest. */
typedef struct disk {
    uint64_t term, vote;
    raft_entry *log;
    size_t n, cap;
    uint64_t snap_index, snap_term, snap_digest;
} disk;

/* A queued disk write: completes at `at`, then releases its messages. */
typedef struct pwrite {
    long at;
    int hs; uint64_t term, vote;
    raft_entry *e; size_t ne;
    raft_msg *msgs; size_t nmsgs;
    int reset;                      /* empty the log first (an installed snapshot) */
    int snap; uint64_t s_index, s_term, s_digest, compact_to;  /* a local snapshot */
} pwrite;

typedef struct node {
    raft *r;
    int up;
    disk d;
    pwrite *q; size_t nq, capq;
    uint64_t applied, digest;   /* digest: chained hash of everything applied */
    int snap_pending;
} node;

static node nodes[MAXN];
static int N;
static simmsg *net;
static size_t nnet;
static long now;
static int part[MAXN];               /* partition group of each node */
static int oneway[MAXN][MAXN];       /* asymmetric faults: from -> to dropped */
static long paused_until[MAXN];      /* SIGSTOP: no ticks, messages wait */
static int loss_pct, dup_pct, reorder_pct, delay_max, slow_disk_pct, crash_pml, part_pml, pause_pml;
static int paused(int i) { return paused_until[i] > now; }
static uint64_t leader_of_term[100000];
/* what was applied at each index anywhere: term and a hash of the data */
static uint64_t applied_term[MAXIDX], applied_hash[MAXIDX], chain_at[MAXIDX];
static int snap_every, snap_tail;    /* compaction: how often, how much log it keeps */
static int snap_failed[MAXN][MAXN];  /* transfer from -> to lost: tell the leader */
static uint64_t snap_sent[MAXN][MAXN];  /* ... or arrived: the image's index */
static uint64_t snaps_taken, snaps_installed;
static uint64_t max_applied;
static long violations;
static uint64_t total_applied, total_terms;
static uint64_t seed;

static uint64_t hash(const char *d, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)d[i]) * 1099511628211ULL;
    return h;
}

static raft_entry copy_entry(const raft_entry *e) {
    raft_entry c = *e;
    c.data = malloc(e->len ? e->len : 1);
    memcpy(c.data, e->data, e->len);
    return c;
}

static raft_msg copy_msg(const raft_msg *m) {
    raft_msg c = *m;
    if (m->nentries) {
        c.entries = malloc(sizeof(raft_entry) * m->nentries);
        for (size_t i = 0; i < m->nentries; i++) c.entries[i] = copy_entry(&m->entries[i]);
    }
    return c;
}

static void free_msg(raft_msg *m) {
    for (size_t i = 0; i < m->nentries; i++) free(m->entries[i].data);
    free(m->entries);
}

/* A linearizable read in flight: asked at `node` (leader) in `term`, or
 * still travelling from a follower (`fwd_at` > 0). inv_max is the highest
 * index applied anywhere when it began: the barrier must cover it. */
typedef struct simread {
    int node, from;
    uint64_t term, from_term, round, ri, inv_max;
    long fwd_at;
} simread;
#define MAXREAD 256
static simread reads[MAXREAD];
static int nreads;
static uint64_t reads_confirmed, reads_vouched;

static long seed_violations;
static void violation(const char *what, int node_i) {
    violations++;
    if (seed_violations++) return;  /* the first one tells the story */
    CHECKMSG(0, "seed %llu tick %ld node %d: %s", (unsigned long long)seed, now, node_i + 1, what);
}

static raft_config cfg_for(int i) {
    raft_config c = {0};
    c.id = (uint64_t)i + 1;
    c.npeers = N;
    for (int k = 0; k < N; k++) c.peers[k] = (uint64_t)k + 1;
    c.election_ticks = 10;
    c.heartbeat_ticks = 2;
    c.max_msg_entries = 1 + (size_t)(rnd() % 8);
    c.max_inflight = 2 + (int)(rnd() % 15);
    c.seed = rnd() | 1;
    return c;
}

static void clear_log(disk *d) {
    while (d->n) free(d->log[--d->n].data);
}

/* The start-up rule of the real node: the state machine image first, then
 * the log after it. A log that stops short of the image, or disagrees with
 * it, is what a crash in the middle of installing a snapshot leaves: the
 * image wins and the log goes. */
static void start_node(int i) {
    node *n = &nodes[i];
    disk *d = &n->d;
    uint64_t si = d->snap_index;
    if (d->n && d->log[0].index > si + 1) violation("log gap after the snapshot point", i);
    if (d->n && si && (d->log[d->n - 1].index < si || (d->log[0].index <= si && d->log[si - d->log[0].index].term != d->snap_term)))
        clear_log(d);
    raft_config c = cfg_for(i);
    n->r = raft_new_at(&c, d->term, d->vote, si, d->snap_term, d->log, d->n);
    n->up = 1;
    n->applied = si;  /* the state machine is its image; the log replays after it */
    n->digest = d->snap_digest;
    n->snap_pending = 0;
    memset(snap_failed[i], 0, sizeof(snap_failed[i]));
    memset(snap_sent[i], 0, sizeof(snap_sent[i]));
}

static void send_net(const raft_msg *m) {
    int from = (int)m->from - 1, to = (int)m->to - 1;
    if (part[from] != part[to] || oneway[from][to] || chance(loss_pct)) {
        if (m->type == MSG_SNAPSHOT) snap_failed[from][to] = 1;  /* the stream broke */
        return;
    }
    int copies = chance(dup_pct) ? 2 : 1;
    for (int k = 0; k < copies && nnet < MAXMSG; k++) {
        net[nnet].m = copy_msg(m);
        net[nnet].at = now + 1 + (delay_max ? (long)(rnd() % (uint64_t)delay_max) : 0);
        nnet++;
    }
}

static void disk_write(node *n, pwrite *w) {
    if (w->hs) { n->d.term = w->term; n->d.vote = w->vote; }
    if (w->reset) clear_log(&n->d);
    if (w->snap && w->s_index > n->d.snap_index) {
        n->d.snap_index = w->s_index;
        n->d.snap_term = w->s_term;
        n->d.snap_digest = w->s_digest;
    }
    if (w->snap) {  /* then whole log records behind the image go */
        size_t k = 0;
        while (k < n->d.n && n->d.log[k].index <= w->compact_to) free(n->d.log[k++].data);
        memmove(n->d.log, n->d.log + k, sizeof(raft_entry) * (n->d.n - k));
        n->d.n -= k;
    }
    if (w->ne) {
        uint64_t first = w->e[0].index;
        while (n->d.n && n->d.log[n->d.n - 1].index >= first) free(n->d.log[--n->d.n].data);
        if (n->d.n && n->d.log[n->d.n - 1].index + 1 != first) violation("disk: append leaves a gap", (int)(n - nodes));
        for (size_t k = 0; k < w->ne; k++) {
            if (n->d.n == n->d.cap) {
                n->d.cap = n->d.cap ? n->d.cap * 2 : 256;
                n->d.log = realloc(n->d.log, sizeof(raft_entry) * n->d.cap);
            }
            n->d.log[n->d.n++] = w->e[k];
        }
        free(w->e);
        w->e = NULL;
    }
}

static void check_apply(int i, const raft_entry *e) {
    node *n = &nodes[i];
    if (e->index != n->applied + 1) violation("applied out of order", i);
    n->applied = e->index;
    if (e->index >= MAXIDX) return;
    uint64_t h = hash(e->data, e->len) ^ (uint64_t)e->type;
    n->digest = (n->digest ^ h ^ e->term) * 0x100000001b3ULL + e->index;
    if (!chain_at[e->index]) chain_at[e->index] = n->digest;
    else if (chain_at[e->index] != n->digest) violation("state machine safety: states differ at one index", i);
    if (applied_term[e->index] == 0) {
        applied_term[e->index] = e->term;
        applied_hash[e->index] = h;
        if (e->index > max_applied) max_applied = e->index;
    } else if (applied_term[e->index] != e->term || applied_hash[e->index] != h) {
        violation("state machine safety: different entries applied at one index", i);
    }
}

static void process(int i);

static void read_confirmed(int i, const simread *q) {
    reads_confirmed++;
    if (q->ri < q->inv_max) violation("stale read: a confirmed read index misses an entry applied before the read", i);
}

/* Rounds belong to one term of one leader: drop the rest (raft.h). */
static void confirm_reads(int i, uint64_t confirmed) {
    raft *r = nodes[i].r;
    for (int k = 0; k < nreads;) {
        simread *q = &reads[k];
        if (q->fwd_at || q->node != i) { k++; continue; }
        if (raft_role(r) != RAFT_LEADER || raft_term(r) != q->term) { reads[k] = reads[--nreads]; continue; }
        if (q->round > confirmed) { k++; continue; }
        read_confirmed(i, q);
        reads[k] = reads[--nreads];
    }
}

static void start_read(int i, simread q) {
    q.node = i;
    q.fwd_at = 0;
    q.term = raft_term(nodes[i].r);
    q.round = raft_read_index(nodes[i].r, &q.ri);
    if (!q.round) return;
    reads[nreads++] = q;
    process(i);
}

/* A read arrives at node i: served by the leader, or forwarded stamped
 * with this follower's term, as the server does. */
static void invoke_read(int i) {
    if (nreads >= MAXREAD || !nodes[i].up || paused(i)) return;
    simread q = {0};
    q.inv_max = max_applied;
    raft *r = nodes[i].r;
    if (raft_role(r) == RAFT_LEADER) { start_read(i, q); return; }
    uint64_t l = raft_leader(r);
    if (!l || raft_role(r) != RAFT_FOLLOWER) return;
    q.from = i;
    q.from_term = raft_term(r);
    q.node = (int)l - 1;
    q.fwd_at = now + 1 + (delay_max ? (long)(rnd() % (uint64_t)delay_max) : 0);
    reads[nreads++] = q;
}

static void deliver_forwards(void) {
    for (int k = 0; k < nreads;) {
        simread q = reads[k];
        if (!q.fwd_at || q.fwd_at > now || paused(q.node)) { k++; continue; }
        reads[k] = reads[--nreads];
        int l = q.node;
        if (!nodes[l].up || part[l] != part[q.from] || oneway[q.from][l]) continue;
        if (raft_read_index_vouched(nodes[l].r, (uint64_t)q.from + 1, q.from_term, &q.ri)) {
            reads_vouched++;
            read_confirmed(l, &q);
        } else {
            start_read(l, q);
        }
    }
}

/* Drains one node's ready: disk writes (maybe slow), messages, applies. */
static void process(int i) {
    node *n = &nodes[i];
    raft_ready rd;
    raft_ready_get(n->r, &rd);
    for (size_t k = 0; k < rd.nmsgs; k++) {
        if (rd.msgs[k].type != MSG_SNAPSHOT) { send_net(&rd.msgs[k]); continue; }
        /* the image is the state machine as it is now, at what it applied */
        raft_msg m = rd.msgs[k];
        m.index = n->applied;
        m.log_term = raft_term_at(n->r, n->applied);
        m.context = n->digest;
        send_net(&m);
    }
    pwrite w = {0};
    w.at = now + (chance(slow_disk_pct) ? 1 + (long)(rnd() % 5) : 0);
    if (n->nq && n->q[n->nq - 1].at > w.at) w.at = n->q[n->nq - 1].at;  /* a disk completes in order */
    w.hs = rd.hard_state_changed;
    w.term = rd.term;
    w.vote = rd.vote;
    if (rd.nentries) {
        w.e = malloc(sizeof(raft_entry) * rd.nentries);
        for (size_t k = 0; k < rd.nentries; k++) w.e[k] = copy_entry(&rd.entries[k]);
        w.ne = rd.nentries;
    }
    if (rd.nmsgs_after) {
        w.msgs = malloc(sizeof(raft_msg) * rd.nmsgs_after);
        for (size_t k = 0; k < rd.nmsgs_after; k++) w.msgs[k] = copy_msg(&rd.msgs_after[k]);
        w.nmsgs = rd.nmsgs_after;
    }
    for (size_t k = 0; k < rd.ncommitted; k++) check_apply(i, &rd.committed[k]);
    confirm_reads(i, rd.confirmed_round);
    if (snap_every && !n->snap_pending && n->applied >= raft_snapshot_index(n->r) + (uint64_t)snap_every) {
        /* compaction: the image becomes durable (slow disks too), then the
         * log behind it, less a tail kept for slow followers, goes */
        w.snap = 1;
        w.s_index = n->applied;
        w.s_term = raft_term_at(n->r, n->applied);
        w.s_digest = n->digest;
        w.compact_to = n->applied > (uint64_t)snap_tail ? n->applied - (uint64_t)snap_tail : 0;
        n->snap_pending = 1;
    }
    if (w.hs || w.ne || w.nmsgs || w.snap) {
        if (n->nq == n->capq) { n->capq = n->capq ? n->capq * 2 : 16; n->q = realloc(n->q, sizeof(pwrite) * n->capq); }
        n->q[n->nq++] = w;
    }
    if (raft_role(n->r) == RAFT_LEADER) {
        uint64_t t = raft_term(n->r);
        if (t < 100000) {
            if (leader_of_term[t] && leader_of_term[t] != (uint64_t)i + 1) violation("election safety: two leaders in one term", i);
            if (!leader_of_term[t]) {
                leader_of_term[t] = (uint64_t)i + 1;
                /* leader completeness: everything applied anywhere is in its
                 * log, or in the image its log begins after */
                for (uint64_t x = raft_snapshot_index(n->r); x <= max_applied && x < MAXIDX; x++) {
                    if (x && raft_term_at(n->r, x) != applied_term[x]) {
                        violation("leader completeness: new leader lacks a committed entry", i);
                        break;
                    }
                }
            }
        }
    }
}

static void complete_writes(int i) {
    node *n = &nodes[i];
    size_t done = 0;
    while (done < n->nq && n->q[done].at <= now) {
        pwrite *w = &n->q[done];
        uint64_t last = w->ne ? w->e[w->ne - 1].index : 0, lterm = w->ne ? w->e[w->ne - 1].term : 0;
        disk_write(n, w);
        if (last) raft_persisted(n->r, last, lterm);
        if (w->snap) {
            raft_compact(n->r, w->compact_to);
            n->snap_pending = 0;
            snaps_taken++;
        }
        for (size_t k = 0; k < w->nmsgs; k++) { send_net(&w->msgs[k]); free_msg(&w->msgs[k]); }
        free(w->msgs);
        done++;
    }
    if (done) memmove(n->q, n->q + done, sizeof(pwrite) * (n->nq - done));
    n->nq -= done;
}

static void crash(int i) {
    node *n = &nodes[i];
    for (size_t k = 0; k < n->nq; k++) {  /* unsynced writes are lost */
        pwrite *w = &n->q[k];
        for (size_t e = 0; e < w->ne; e++) free(w->e[e].data);
        free(w->e);
        for (size_t m = 0; m < w->nmsgs; m++) free_msg(&w->msgs[m]);
        free(w->msgs);
    }
    n->nq = 0;
    paused_until[i] = 0;
    for (int k = 0; k < nreads;)
        if (reads[k].node == i) reads[k] = reads[--nreads]; else k++;
    raft_free(n->r);
    n->r = NULL;
    n->up = 0;
}

static void check_log_matching(void) {
    for (int a = 0; a < N; a++)
        for (int b = a + 1; b < N; b++) {
            if (!nodes[a].up || !nodes[b].up) continue;
            uint64_t la = raft_last_index(nodes[a].r), lb = raft_last_index(nodes[b].r);
            uint64_t m = la < lb ? la : lb;
            /* find the highest index where terms agree; all below must agree too */
            uint64_t sa = raft_snapshot_index(nodes[a].r), sb = raft_snapshot_index(nodes[b].r);
            uint64_t lo = sa > sb ? sa : sb, x = m;
            if (m <= lo) continue;  /* nothing left in common to compare */
            while (x > lo && raft_term_at(nodes[a].r, x) != raft_term_at(nodes[b].r, x)) x--;
            for (uint64_t y = x; y > lo; y--) {
                const raft_entry *ea = raft_entry_at(nodes[a].r, y), *eb = raft_entry_at(nodes[b].r, y);
                if (ea->term != eb->term || ea->len != eb->len || memcmp(ea->data, eb->data, ea->len)) {
                    violation("log matching", a);
                    return;
                }
            }
        }
}

/* A whole image arrived: the core decides; the image becomes the state
 * machine durably at once, and an emptied log is reset on disk before the
 * acknowledgement (queued after it) goes out. */
static void install(int i, const raft_msg *m) {
    node *n = &nodes[i];
    int k = raft_install_snapshot(n->r, m);
    if (!k) return;
    snaps_installed++;
    if (m->index < MAXIDX && chain_at[m->index] != m->context) violation("installed image differs from the applied state", i);
    if (m->index <= n->applied) violation("installed an image older than the state machine", i);
    n->applied = m->index;
    n->digest = m->context;
    n->d.snap_index = m->index;
    n->d.snap_term = m->log_term;
    n->d.snap_digest = m->context;
    if (k == 2) {
        pwrite w = {0};
        w.at = now + (chance(slow_disk_pct) ? 1 + (long)(rnd() % 5) : 0);
        if (n->nq && n->q[n->nq - 1].at > w.at) w.at = n->q[n->nq - 1].at;
        w.reset = 1;
        if (n->nq == n->capq) { n->capq = n->capq ? n->capq * 2 : 16; n->q = realloc(n->q, sizeof(pwrite) * n->capq); }
        n->q[n->nq++] = w;
    }
}

static void deliver(void) {
    /* deliver due messages in random order (reordering) */
    for (size_t k = 0; k < nnet;) {
        if (net[k].at > now || paused((int)net[k].m.to - 1) || (nnet > 1 && chance(reorder_pct))) { k++; continue; }
        simmsg s = net[k];
        net[k] = net[--nnet];
        int to = (int)s.m.to - 1;
        if (getenv("SIM_TRACE") && now > atol(getenv("SIM_TRACE")))
            printf("t%ld %llu->%llu type %d term %llu idx %llu lt %llu commit %llu n %zu rej %d hint %llu/%llu\n", now,
                   (unsigned long long)s.m.from, (unsigned long long)s.m.to, s.m.type, (unsigned long long)s.m.term,
                   (unsigned long long)s.m.index, (unsigned long long)s.m.log_term, (unsigned long long)s.m.commit,
                   s.m.nentries, s.m.reject, (unsigned long long)s.m.hint_index, (unsigned long long)s.m.hint_term);
        if (nodes[to].up && part[to] == part[s.m.from - 1] && !oneway[s.m.from - 1][to]) {
            if (s.m.type == MSG_SNAPSHOT) { install(to, &s.m); snap_sent[s.m.from - 1][to] = s.m.index; }
            else raft_step(nodes[to].r, &s.m);
            process(to);
        } else if (s.m.type == MSG_SNAPSHOT) {
            snap_failed[s.m.from - 1][to] = 1;
        }
        free_msg(&s.m);
    }
}

static int leader(void) {
    int l = -1;
    uint64_t best = 0;
    for (int i = 0; i < N; i++)
        if (nodes[i].up && raft_role(nodes[i].r) == RAFT_LEADER && raft_term(nodes[i].r) >= best) { best = raft_term(nodes[i].r); l = i; }
    return l;
}

static void step_world(int faults, uint64_t *proposals, int propose) {
    now++;
    for (int i = 0; i < N; i++) {
        if (!nodes[i].up || paused(i)) continue;
        for (int k = 0; k < N; k++)
            if (snap_failed[i][k]) { snap_failed[i][k] = 0; raft_snapshot_failed(nodes[i].r, (uint64_t)k + 1); }
            else if (snap_sent[i][k]) { raft_snapshot_sent(nodes[i].r, (uint64_t)k + 1, snap_sent[i][k]); snap_sent[i][k] = 0; }
        complete_writes(i);
        raft_tick(nodes[i].r);
        process(i);
    }
    /* forwarded reads and raft messages race, as on two TCP connections */
    int fwd_first = chance(50);
    if (fwd_first) deliver_forwards();
    deliver();
    if (!fwd_first) deliver_forwards();
    if (chance(20)) invoke_read((int)(rnd() % (uint64_t)N));
    int l = leader();
    if (l >= 0 && !paused(l) && propose && chance(15)) {
        /* a burst, as a leader gets from many clients in one loop iteration */
        for (int b = 1 + (int)(rnd() % 4); b > 0; b--) {
            char data[32];
            int len = snprintf(data, sizeof(data), "p%llu", (unsigned long long)++*proposals);
            raft_propose(nodes[l].r, RAFT_ENTRY_COMMAND, data, (size_t)len);
        }
        process(l);
    }
    if (!faults) return;
    int x = (int)(rnd() % (uint64_t)N);
    int l2 = leader();
    if (l2 >= 0 && (int)(rnd() % 1000) < crash_pml) crash(l2);                  /* leaders die most */
    else if (l2 >= 0 && (int)(rnd() % 1000) < pause_pml) paused_until[l2] = now + 1 + (long)(rnd() % 40);
    else if ((int)(rnd() % 1000) < crash_pml && nodes[x].up) crash(x);
    else if (chance(5) && !nodes[x].up) start_node(x);
    else if ((int)(rnd() % 1000) < part_pml) { for (int i = 0; i < N; i++) part[i] = (int)(rnd() % 3); }
    else if ((int)(rnd() % 1000) < part_pml) { for (int i = 0; i < N; i++) part[i] = 0; }
    else if ((int)(rnd() % 1000) < part_pml) {
        /* asymmetric: a node that can send but not hear, or hear but not send */
        int a = (int)(rnd() % (uint64_t)N), in = chance(50);
        for (int b = 0; b < N; b++)
            if (b != a) { if (in) oneway[b][a] = 1; else oneway[a][b] = 1; }
    } else if ((int)(rnd() % 1000) < part_pml) memset(oneway, 0, sizeof(oneway));
    check_log_matching();
}

static void dump(void) {
    for (int i = 0; i < N; i++) {
        raft *r = nodes[i].r;
        printf("node %d: role %d term %llu lead %llu commit %llu last %llu applied %llu nq %zu\n", i + 1, raft_role(r),
               (unsigned long long)raft_term(r), (unsigned long long)raft_leader(r),
               (unsigned long long)raft_commit_index(r), (unsigned long long)raft_last_index(r),
               (unsigned long long)nodes[i].applied, nodes[i].nq);
        for (size_t k = 0; k < nodes[i].nq; k++) printf("  write at %ld (now %ld) ne %zu msgs %zu\n", nodes[i].q[k].at, now, nodes[i].q[k].ne, nodes[i].q[k].nmsgs);
        if (raft_role(r) != RAFT_LEADER) continue;
        for (int k = 0; k < N; k++) {
            raft_peer_info p;
            if (raft_peer(r, (uint64_t)k + 1, &p))
                printf("  peer %d: match %llu next %llu inflight %d probe %d\n", k + 1, (unsigned long long)p.match,
                       (unsigned long long)p.next, p.inflight, p.probe);
        }
    }
}

static void run_seed(uint64_t s, int steps) {
    seed = s;
    rng = s * 0x9e3779b97f4a7c15ULL | 1;
    N = chance(50) ? 3 : 5;
    memset(nodes, 0, sizeof(nodes));
    memset(part, 0, sizeof(part));
    memset(oneway, 0, sizeof(oneway));
    memset(paused_until, 0, sizeof(paused_until));
    memset(leader_of_term, 0, sizeof(leader_of_term));
    memset(applied_term, 0, sizeof(applied_term));
    memset(chain_at, 0, sizeof(chain_at));
    memset(snap_failed, 0, sizeof(snap_failed));
    memset(snap_sent, 0, sizeof(snap_sent));
    max_applied = 0;
    nreads = 0;
    now = 0;
    loss_pct = (int)(rnd() % 20);
    reorder_pct = 30;
    dup_pct = (int)(rnd() % 10);
    delay_max = (int)(rnd() % 4);
    slow_disk_pct = (int)(rnd() % 30);
    crash_pml = (int)(rnd() % 30);
    part_pml = (int)(rnd() % 30);
    pause_pml = (int)(rnd() % 30);
    snap_every = chance(25) ? 0 : 2 + (int)(rnd() % 40);
    snap_tail = (int)(rnd() % 12);
    for (int i = 0; i < N; i++) start_node(i);
    uint64_t proposals = 0;
    long before = violations;
    seed_violations = 0;
    for (int k = 0; k < steps && violations == before; k++) step_world(1, &proposals, 1);
    /* heal everything and require progress */
    for (int i = 0; i < N; i++) { part[i] = 0; if (!nodes[i].up) start_node(i); }
    memset(oneway, 0, sizeof(oneway));
    memset(paused_until, 0, sizeof(paused_until));
    /* a healed network behaves like the TCP links of a real cluster */
    loss_pct = dup_pct = reorder_pct = delay_max = 0;
    uint64_t before_heal = max_applied;
    /* the bound allows a follower with a tiny window to work off a backlog */
    for (int k = 0; k < 1500 && max_applied <= before_heal; k++) step_world(0, &proposals, 1);
    if (max_applied <= before_heal) dump();
    CHECKMSG(max_applied > before_heal, "seed %llu: nothing committed within 1500 ticks of healing", (unsigned long long)s);
    for (int k = 0; k < 100; k++) step_world(0, &proposals, 1);
    /* then quiesce: every node must catch up with everything committed */
    int all = 0;
    for (int k = 0; k < 2000 && !all; k++) {
        step_world(0, &proposals, 0);
        all = 1;
        for (int i = 0; i < N; i++) all &= nodes[i].applied == max_applied;
    }
    if (!all) dump();
    CHECKMSG(all, "seed %llu: a node did not catch up after healing (committed %llu)", (unsigned long long)s,
             (unsigned long long)max_applied);
    uint64_t terms = 0;
    for (int i = 0; i < N; i++) if (raft_term(nodes[i].r) > terms) terms = raft_term(nodes[i].r);
    total_applied += max_applied;
    total_terms += terms;
    CHECKMSG(violations == before, "seed %llu: %ld safety violations", (unsigned long long)s, violations - before);
    if (!all || violations != before)
        printf("replay: build/sim_raft %llu 1 %d   (SIM_TRACE=<tick> prints every message after that tick)\n",
               (unsigned long long)s, steps);
    for (int i = 0; i < N; i++) {
        if (nodes[i].up) crash(i);
        for (size_t k = 0; k < nodes[i].d.n; k++) free(nodes[i].d.log[k].data);
        free(nodes[i].d.log);
        free(nodes[i].q);
    }
    for (size_t k = 0; k < nnet; k++) free_msg(&net[k].m);
    nnet = 0;
}

int main(int argc, char **argv) {
    uint64_t first = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    int seeds = argc > 2 ? atoi(argv[2]) : 200;
    int steps = argc > 3 ? atoi(argv[3]) : 2000;
    net = malloc(sizeof(simmsg) * MAXMSG);
    for (int s = 0; s < seeds; s++) run_seed(first + (uint64_t)s, steps);
    free(net);
    printf("sim seeds %llu..%llu, %d steps each: %llu entries applied, %llu terms, %llu reads confirmed (%llu vouched), "
           "%llu snapshots taken, %llu installed\n",
           (unsigned long long)first, (unsigned long long)(first + (uint64_t)seeds - 1), steps,
           (unsigned long long)total_applied, (unsigned long long)total_terms, (unsigned long long)reads_confirmed,
           (unsigned long long)reads_vouched, (unsigned long long)snaps_taken, (unsigned long long)snaps_installed);
    CHECKMSG(reads_confirmed > 0 && reads_vouched > 0, "reads were exercised");
    CHECKMSG(snaps_taken > 0 && snaps_installed > 0, "snapshots were taken and installed");
    return test_summary("sim");
}
