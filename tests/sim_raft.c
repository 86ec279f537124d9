/* Deterministic simulation of whole Raft clusters: N nodes, each the real
 * replica (src/replica/replica.c: the glue that drives the core, with its
 * group commit, durable-before-acknowledge, apply, compaction, image
 * install and full-disk rules) over fake ports, in one process, over a fake
 * network (delay, loss, duplication, reordering, partitions, one-way link
 * failures, process pauses) and fake disks (slow writes, restarts, writes
 * refused for want of space) with the faults of a real disk, as the real
 * node meets them (walsync.c, wal.h):
 *  - a crash loses what was not yet durable, or leaves part of the one
 *    write under way: a prefix of its steps (hard state, log reset,
 *    truncation cut short, records: a torn final record is truncated at
 *    start-up, so the entries after it are gone too); what was synced
 *    always stays;
 *  - a write or fsync that fails stops the node at once (node.c exits):
 *    that write never completes (its acknowledgements and votes are never
 *    sent, raft_persisted is never called), part of it may be on disk, the
 *    writes after it never began; it restarts later like a crashed node;
 *  - a log damaged in the middle: the node refuses to start and stays
 *    down; the operator removes it through a leader and, once a
 *    configuration without it is known committed, wipes its disk and adds
 *    it back under the same id as a new learner (or leaves it a spare). A
 *    disk is lost only while the others are a majority of every
 *    configuration that may come into force, even with it promoted; while
 *    one is lost nobody else is removed, and it is not promoted.
 * One seeded PRNG drives everything, so a seed replays exactly. After
 * every step it checks Raft's safety properties: election safety, log
 * matching, leader completeness, state machine safety; and after the
 * faults stop, that the cluster commits new entries. Reads
 * are checked too: a read barrier (ReadIndex, and the vouched form a
 * forwarding follower allows) that is confirmed must cover every entry
 * applied anywhere before the read began.
 * Membership changes run through it all: spare nodes start with an empty
 * configuration and are added as learners (they learn the configuration
 * from the leader's appends, or from the CONFIG entry an image carries),
 * learners are promoted (by hand, or automatically with promote_gap),
 * followers and leaders are removed (a removed node keeps its disk and may
 * be added back), leadership is transferred. Checked besides: every
 * committed configuration differs from the one before it by one server; a
 * leader's log holds at most one CONFIG entry past the commit index; every
 * node's configuration in force is the last CONFIG entry of its log, with 1
 * to 7 voters; a new leader is a voter of the configuration its log puts in
 * force, or (4.2.2) a voter of the one before while it does not know that
 * the one removing it committed, and then steps down once it does; a node
 * that knows it is no voter never campaigns; a leader sends nothing as
 * leader before its term and vote are durable (election safety counts
 * leaders from then on).
 * Faults that widen the windows where unsafe reads and writes show (each
 * with a rate drawn per seed, some seeds without it): a zombie leader,
 * paused with a minority across a partition or held links and resumed
 * while it still believes it leads, meets reads directly and forwarded
 * with its old term; links that hold what they carry and deliver it much
 * later, and single late messages; skewed clocks (5/8 to 12/8 of the
 * rate, see rate8); leader churn, each new leader cut off soon after it
 * wins while its clients keep writing to it; writes to older leaders that
 * believe they lead; crashes right after a message that makes a node
 * write, restarted within a few steps; stalled disks. Checked besides:
 * committed entries (as any node's commit index covers them, applied or
 * not) never change and are all in every new leader's log; a confirmed
 * read covers what was committed before it began; a node grants one vote
 * a term. tests/mutations.txt lists unsafe changes to the core that the
 * seeds of `make sim` must catch (tests/mutate.sh).
 * Usage: sim_raft [first-seed] [seeds] [steps]; SIM_TRACE=<tick> in the
 * environment prints every delivered message after that tick;
 * SIM_FIRST_FAIL stops after the first seed that fails. */
#include "blob.h"
#include "raft.h"
#include "replica.h"
#include "log.h"
#include "testlib.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 7       /* node slots: ids 1..MAXN; slots past the founders are spares */
#define CONFLEN 160   /* a configuration as text (bare ids) */
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
    uint64_t snap_index, snap_term, snap_digest, snap_time;
    uint64_t installed_at;       /* snap_index came from an installed image (0: a local snapshot) */
    char snap_conf[CONFLEN];     /* the configuration at snap_index */
} disk;

/* The write the replica's log port has under way: done at `at`. */
typedef struct pwrite {
    long at;
    int hs; uint64_t term, vote;
    raft_entry *e; size_t ne;
    int reset;                      /* empty the log first (an installed snapshot) */
    uint64_t compact_to;            /* then drop records up to here (0: none) */
} pwrite;

typedef struct node {
    replica *rep;               /* the real glue (src/replica/replica.c) over the fake ports below */
    raft *r;                    /* its core, for the checks */
    int up;
    disk d;
    pwrite w;                   /* the log port's write under way */
    int writing;
    uint64_t applied, digest;   /* digest: chained hash of everything applied */
    uint64_t sm_time;           /* the cluster time of the state machine (its latest entry's) */
    char conf[CONFLEN];         /* the state machine's: the last applied CONFIG entry, or its image's */
    int provisioned;            /* has a disk: a founder, or a spare once added */
    int enospc;                 /* writes refused for want of space until this tick */
    int sm_behind;              /* a snapshot was refused (EAGAIN): progress is due */
} node;

static node nodes[MAXN];
static int N;                        /* slots in use: always MAXN; founders are 1..N0 */
static simmsg *net;
static size_t nnet;
static long now;
static int part[MAXN];               /* partition group of each node */
static int oneway[MAXN][MAXN];       /* asymmetric faults: from -> to dropped */
static long paused_until[MAXN];      /* SIGSTOP: no ticks, messages wait */
static int loss_pct, dup_pct, reorder_pct, delay_max, slow_disk_pct, crash_pml, part_pml, pause_pml;
static int paused(int i) { return paused_until[i] > now; }
/* ---- faults that widen the windows of unsafe reads and writes ----
 * Each is mixed into a seed by the seeded PRNG (its rate drawn per seed,
 * 0 for some seeds), so a seed still replays exactly.
 * Skewed timers: slot i's clock ticks rate8[i]/8 times per step (a
 * machine's clock, kept across restarts). Reads confirmed by a heartbeat
 * round or vouched for by a follower's term need no clock, and
 * check-quorum and the pre-vote rule that ignores votes while a leader is
 * heard (elapsed < election_ticks) only decide when elections happen.
 * The bound is for liveness: rates 5/8 to 12/8, a ratio of 2.4 at most,
 * keep the slowest leader's heartbeat interval (2 ticks: 3.2 steps) under
 * half the fastest follower's shortest election timeout (10 ticks: 6.7
 * steps). Lease reads (lease_on seeds, as with read-consistency lease)
 * do count on a clock: the leader's lease runs replica_lease_ms of the
 * shared step clock (10 ms a step) from a confirmed round's send, 28.5
 * steps, while a follower ticking 12/8 as fast refuses votes for 60 of its
 * ticks after it heard the leader, 40 steps: lease_step runs its windows
 * with the followers' clocks that fast and the leader's slow. */
static int skewed, rate8[MAXN], tick_acc[MAXN];
static int lease_on;
static int cache_on;                 /* entry caches of a few entries: appends read the disk back */
/* Lease seeds run an election timeout of LEASE_E ticks, so that a lease
 * (replica_lease_ms, as the node sets it, with a tick of 10 ms: a step)
 * lasts longer than the few steps a vote round or a commit takes: a lease
 * stretched past the followers' refusal to vote then shows as a stale
 * read (the lease scenario, lease_step). */
#define LEASE_E 60
#define LEASE_REFRESH_MS 20
/* Held links: what `from` sends to `to` before hold_until[from][to] waits
 * in the network until hold_release[from][to], then arrives all at once
 * (a stalled connection, a congested queue); and single messages that
 * arrive 20 to 200 steps late (per mille of messages). */
static long hold_until[MAXN][MAXN], hold_release[MAXN][MAXN];
static int hold_pml, straggle_pml;
/* A zombie leader (zombie_step): paused with a minority, resumed after
 * the others moved on, reads arrive at it. */
static struct {
    int phase;               /* 0: none; 1: settling; 2: paused, the others move on; 3: resumed, reads arrive */
    int lead, nmin, min[MAXN];
    int held;                /* cut off by held links, else by a partition */
    uint64_t term, last;     /* the old leader's term and log when paused */
    long settle_by, resume_by, window_end;
} zb;
static int zombie_pml;
/* Lease windows (lease_step). */
enum { LS_CUT, LS_TRANSFER, LS_RESTART, LS_KINDS };
static struct {
    int phase;               /* 0: none; 1: settling; 2: the TIMEOUT_NOW going out; 3: the window;
                              * 4: B deaf to the leader before a restart window */
    int kind, lead, a, b;
    int f[MAXN], nf;         /* the leader's followers, B last */
    int rate[MAXN];          /* the clocks' rates before */
    int delay, loss, slow;   /* the network's delay and loss, the disks' slowness before */
    long settle_by, until;
} ls;
static int lease_pml;
static uint64_t st_lease_windows[LS_KINDS];
/* Leader churn (churn_step): each new leader cut off soon after it wins. */
static struct {
    int running, rounds;     /* rounds: new leaders still to cut off */
    int lead;
    uint64_t seen_term;
    long cut_at, end_by;
} ch;
static int churn_pml;
/* Writes to a leader of an older term that believes it still leads (its
 * clients): percent per step. */
static int stale_write_pct;
/* Crashes right after a node handled a message that makes it write (per
 * 10,000 such deliveries), before the write is durable, restarted a few
 * steps later: while messages sent before the crash are still arriving. */
static int crash_after_pdm;
static long restart_at[MAXN];
/* A stalled disk (an fsync that takes seconds): the node runs on, its
 * writes complete only after stall_until; the leader's disk mostly. */
static long stall_until[MAXN];
static int stall_pml;
static uint64_t st_skewed_seeds, st_hold_links, st_held_msgs, st_held_reads, st_stragglers;
static uint64_t st_zombies, st_zombies_leading, st_deposed_reads, st_deposed_fwd_reads;
static uint64_t st_churns, st_churn_cuts, st_stale_writes, st_quick_crashes, st_stalls;
/* Committed entries, as the commit index of any node covers them: term and
 * data hash (an entry may be committed long before it is applied). */
static uint64_t commit_term[MAXIDX], commit_hash[MAXIDX];
static uint64_t committed_max;       /* every index up to here is committed */
static const void *commit_of[MAXN];  /* the core whose commit index was last looked at */
static uint64_t commit_seen[MAXN], led_term[MAXN], max_leader_term;
static uint64_t leader_of_term[100000];
#define MAXTERM 100000
static uint8_t vote_in[MAXN][MAXTERM];  /* the candidate each node granted its vote in each term */
/* what was applied at each index anywhere: term and a hash of the data */
static uint64_t applied_term[MAXIDX], applied_hash[MAXIDX], chain_at[MAXIDX];
static uint64_t time_upto[MAXIDX];  /* the cluster time of the state machine at each index */
static int snap_every, snap_tail;    /* compaction: how often, how much log it keeps */
static int enospc_pml;               /* a write refused for want of space (per mille of writes) */
static uint64_t st_enospc;
static int snap_failed[MAXN][MAXN];  /* transfer from -> to lost: tell the leader */
static uint64_t snap_sent[MAXN][MAXN];  /* ... or arrived: the image's index */
static uint64_t snaps_taken, snaps_installed;
static uint64_t max_applied;
static long violations;
static uint64_t total_applied, total_terms;
static uint64_t seed;
/* membership: the latest committed (applied anywhere) configuration */
static members gconf;
static uint64_t gconf_index;
#define MAXHIST 4096                 /* every committed configuration: index and text */
static struct { uint64_t index; char text[CONFLEN]; } hist[MAXHIST];
static int nhist;
static uint64_t max_commit;          /* highest commit index any node reached: committed up to here */
static members founding_conf;
static uint64_t promote_gap;
static int member_pml;               /* chance of a membership operation per step */
static uint64_t st_nonvoting_leaders, st_nonvoting_after_commit;  /* 4.2.2: led its own removal to commit */
static uint64_t st_joins_by_image;   /* new nodes that learned their configuration from an image */
static int stopping = -1;            /* a node asked to stop (SIGTERM): a leader hands over first */
static long stop_deadline;
static uint64_t st_stops, st_stops_handed_over;
static uint64_t st_adds, st_promotions, st_removals, st_leader_removals, st_ops, st_refused;
static long long st_proposed, st_transfers, st_transfer_elections, st_timeout_elections;
/* disk faults: a write whose fsync fails (per million writes), how often a
 * crash leaves part of what was not synced (percent), and how often a
 * restart finds the log damaged in the middle (percent of restarts) */
static int fsync_fail_ppm, torn_pct, corrupt_pct;
static int faulting;                 /* faults are on (until the cluster heals) */
static int corrupt[MAXN];            /* its log is damaged mid-way: it refuses to start until wiped */
static int retired[MAXN];            /* wiped: its id is never used again (see repair) */
static int repair_removing[MAXN];    /* the operator proposed its removal */
static uint64_t st_fsync_failures, st_torn_crashes, st_torn_writes, st_torn_entries, st_torn_truncations;
static uint64_t st_corrupt, st_corrupt_refusals, st_corrupt_removals, st_wipes;
static int trace_on(void) { return getenv("SIM_TRACE") && now > atol(getenv("SIM_TRACE")); }

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
 * index applied anywhere when it began, inv_commit the highest known
 * committed (a write is done once committed, before any node applies it):
 * the barrier must cover both. */
typedef struct simread {
    int node, from;
    uint64_t term, from_term, round, ri, inv_max, inv_commit;
    uint64_t inv_time;  /* the latest time a read that completed before this one began was served at */
    long fwd_at;
} simread;
#define MAXREAD 256
static simread reads[MAXREAD];
static int nreads;
static uint64_t reads_confirmed, reads_vouched, reads_leased;

static long seed_violations;
static void violation(const char *what, int node_i) {
    violations++;
    if (seed_violations++) return;  /* the first one tells the story */
    CHECKMSG(0, "seed %llu tick %ld node %d: %s", (unsigned long long)seed, now, node_i + 1, what);
}

/* A node starts with the configuration at its state machine's durable
 * point (empty for a spare that never joined); the core adds the CONFIG
 * entries of its log. */
static raft_config cfg_for(int i) {
    raft_config c = {0};
    c.id = (uint64_t)i + 1;
    c.conf = nodes[i].d.snap_conf;
    c.conf_len = strlen(nodes[i].d.snap_conf);
    c.promote_gap = promote_gap;
    c.election_ticks = lease_on ? LEASE_E : 10;
    c.heartbeat_ticks = 2;
    c.max_msg_entries = 1 + (size_t)(rnd() % 8);
    c.max_inflight = 2 + (int)(rnd() % 15);
    c.seed = rnd() | 1;
    c.boot_quiet = lease_on;
    c.cache_bytes = cache_on ? 1 + (size_t)(rnd() % 3000) : 0;
    return c;
}

/* The durable copy of entry x on node i's disk, or NULL. */
static const raft_entry *on_disk(int i, uint64_t x) {
    const disk *d = &nodes[i].d;
    if (!d->n || x < d->log[0].index || x > d->log[d->n - 1].index) return NULL;
    return &d->log[x - d->log[0].index];
}

/* An entry's data, from the disk when the cache let it go: it must be
 * there, as it was. */
static const char *data_of(int i, const raft_entry *e) {
    if (e->data) return e->data;
    const raft_entry *d = on_disk(i, e->index);
    if (!d || d->term != e->term || d->len != e->len) {
        violation("an entry left the cache that the disk does not hold", i);
        return "";
    }
    return d->data;
}

static void clear_log(disk *d) {
    while (d->n) free(d->log[--d->n].data);
}

/* ---- the fake ports: how the simulator plays the real node's adapters ---- */

static void check_apply(int i, const raft_entry *e);
static void process(int i);
static void crash_ex(int i, int how);
enum { LOSE_ALL, POWER_LOSS, FSYNC_FAILED };

/* The log port keeps copies of the entries as they are (the WAL's format
 * is tested on its own; here the order of writes and crashes is what
 * counts). */
static void log_write(void *ctx, const replica_write *rw) {
    node *n = ctx;
    if (n->writing) violation("the log port got a second write while one is under way", (int)(n - nodes));
    pwrite *w = &n->w;
    memset(w, 0, sizeof(*w));
    w->at = now + (chance(slow_disk_pct) ? 1 + (long)(rnd() % 5) : 0);
    w->hs = rw->has_state;
    w->term = rw->term;
    w->vote = rw->vote;
    w->reset = rw->reset_next != 0;
    w->compact_to = rw->compact_upto;
    for (size_t k = 0; k < rw->nents; k++) {
        raft_entry e = rw->ents[k];
        e.data = malloc(e.len ? e.len : 1);
        memcpy(e.data, rw->ents[k].data, e.len);
        w->e = realloc(w->e, sizeof(raft_entry) * (w->ne + 1));
        w->e[w->ne++] = e;
    }
    if (w->ne && (w->e[0].index != rw->first || w->e[w->ne - 1].index != rw->last))
        violation("a write's entries do not match its bounds", (int)(n - nodes));
    n->writing = 1;
}

/* A leader acts (sends as leader) only once its election is durable. */
static void check_leader_send(node *n, const raft_msg *m) {
    int t = m->type, i = (int)(n - nodes);
    if ((t == MSG_APPEND || t == MSG_HEARTBEAT || t == MSG_TIMEOUT_NOW || t == MSG_SNAPSHOT) &&
        (n->d.term != m->term || n->d.vote != (uint64_t)i + 1))
        violation("a leader sends before its term and vote are durable", i);
}

static void send_net(const raft_msg *m);
static void tr_send(void *ctx, const raft_msg *m) {
    node *n = ctx;
    check_leader_send(n, m);
    send_net(m);
}

/* The image is the state machine as it is now, at what it applied, with
 * its configuration. */
static void tr_send_image(void *ctx, uint64_t to, uint64_t term) {
    node *n = ctx;
    raft_msg m = {0};
    m.type = MSG_SNAPSHOT;
    m.from = (uint64_t)(n - nodes) + 1;
    m.to = to;
    m.term = term;
    m.index = n->applied;
    m.log_term = raft_term_at(n->r, n->applied);
    m.context = n->digest;
    raft_entry ce = {.term = m.log_term, .index = m.index, .type = RAFT_ENTRY_CONFIG, .data = n->conf,
                     .len = strlen(n->conf)};
    m.entries = &ce;
    m.nentries = 1;
    check_leader_send(n, &m);
    send_net(&m);
}
static void tr_nothing(void *ctx) { (void)ctx; }
static uint64_t tr_image_floor(void *ctx) { (void)ctx; return UINT64_MAX; }  /* images leave whole, at once */
static void tr_link(void *ctx, const cluster_member *m) { (void)ctx; (void)m; }
static void tr_unlink(void *ctx, uint64_t id) { (void)ctx; (void)id; }
/* now and then a link is too far behind for an append that needs a read-back */
static long congested;
static int tr_congested(void *ctx, uint64_t to) {
    (void)ctx; (void)to;
    if (!chance(3)) return 0;
    congested++;
    return 1;
}

static uint64_t sm_entry_time(void *ctx, const raft_entry *e);
static void sm_apply(void *ctx, const raft_entry *e, int removed, buf *reply) {
    (void)removed; (void)reply;
    node *n = ctx;
    check_apply((int)(n - nodes), e);
    uint64_t t = sm_entry_time(ctx, e);
    if (t > n->sm_time) n->sm_time = t;
}
static const char *sm_conf(void *ctx) { node *n = ctx; return n->conf[0] ? n->conf : NULL; }
static int sm_zero(void *ctx) { (void)ctx; return 0; }
/* A local snapshot: the state machine durable (LevelDB's synced write),
 * its configuration with it. Like the real applier's thread, it may not
 * be there yet: then it answers its last point, and replica_sm_progress()
 * a tick later. */
static int sm_make_durable(void *ctx, uint64_t upto, int wait, uint64_t *durable) {
    node *n = ctx;
    (void)upto;
    *durable = n->d.snap_index;
    if (!wait && rnd() % 3 == 0) {
        n->sm_behind = 1;
        return 0;  /* still at the last snapshot's point */
    }
    if (n->applied > n->d.snap_index) {
        n->d.snap_index = n->applied;
        n->d.snap_term = raft_term_at(n->r, n->applied);
        n->d.snap_digest = n->digest;
        n->d.snap_time = n->sm_time;
        memcpy(n->d.snap_conf, n->conf, CONFLEN);
        snaps_taken++;
    }
    *durable = n->d.snap_index;
    return 0;
}
static uint64_t clock_ms(void *ctx) { (void)ctx; return (uint64_t)now * 10; }
static int64_t clock_s(void *ctx) { (void)ctx; return now / 100; }

/* Wall clocks for cluster time, each node's off by up to 5 s either way in
 * half the seeds (drawn from the seed apart from rnd(), so a seed's run
 * stays what it was). Proposals carry the leader's cluster time ("p<n>@<ms>"). */
static int64_t wall_off[MAXN];
static uint64_t mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
static void draw_wall_offsets(uint64_t s) {
    int on = mix64(s) % 2;
    for (int i = 0; i < MAXN; i++) wall_off[i] = on ? (int64_t)(mix64(s ^ (uint64_t)(i + 1) << 32) % 10001) - 5000 : 0;
}
static uint64_t clock_wall_ms(void *ctx) {
    int64_t t = 1000000 + now * 10 + wall_off[(node *)ctx - nodes];
    return (uint64_t)t;
}
static uint64_t sm_entry_time(void *ctx, const raft_entry *e) {
    (void)ctx;
    const char *at = e->type == RAFT_ENTRY_COMMAND ? memchr(e->data, '@', e->len) : NULL, *end = e->data + e->len;
    uint64_t t = 0;
    for (const char *p = at ? at + 1 : end; p < end && *p >= '0' && *p <= '9'; p++) t = t * 10 + (uint64_t)(*p - '0');
    return t;  /* the data is not NUL-terminated */
}
/* The log port's read-back: from what is on the disk (a write still
 * under way is not); now and then it fails, as a damaged disk would. */
static long loads, load_failures;
static int log_read(void *ctx, raft_entry *e, size_t n) {
    node *nd = ctx;
    int i = (int)(nd - nodes);
    loads++;
    if (chance(3)) { load_failures++; return -1; }
    for (size_t k = 0; k < n; k++) {
        if (e[k].data) continue;
        const raft_entry *d = on_disk(i, e[k].index);
        if (!d || d->term != e[k].term || d->len != e[k].len) {
            violation("the core read back an entry the disk does not hold", i);
            return -1;
        }
        e[k].data = blob_copy(d->data, d->len);
    }
    return 0;
}

static void ev_fatal(void *ctx, const char *why) {
    (void)why;
    violation("the replica stopped the node (no fault the simulator injects should)", (int)((node *)ctx - nodes));
}

/* The start-up rule of the real node (node.c): the state machine image
 * first, then the log after it, which must continue it
 * (replica_log_fits); an install cut short before the log was reset is
 * finished by emptying the log. */
static void start_node(int i) {
    node *n = &nodes[i];
    disk *d = &n->d;
    uint64_t si = d->snap_index;
    uint64_t first = d->n ? d->log[0].index : si + 1, last = d->n ? d->log[d->n - 1].index : si;
    uint64_t term_at = d->n && first <= si && si <= last ? d->log[si - first].term : 0;
    int fit = replica_log_fits(si, d->snap_term, d->installed_at, first, last, term_at);
    if (fit == REPLICA_LOG_RESET) clear_log(d);
    else if (fit != REPLICA_LOG_OK) violation("the log does not continue the state machine: the node refuses to start", i);
    if (trace_on()) printf("t%ld node %d starts: term %llu vote %llu, log %zu entries, image %llu, conf %s\n", now, i + 1,
                           (unsigned long long)d->term, (unsigned long long)d->vote, d->n,
                           (unsigned long long)si, d->snap_conf);
    replica_config rc = {0};
    rc.core = cfg_for(i);
    rc.founding = "";
    rc.where = "sim";
    rc.snapshot_entries = snap_every ? (uint64_t)snap_every : UINT64_MAX;
    rc.snapshot_bytes = UINT64_MAX;
    rc.keep_entries = (uint64_t)snap_tail;
    rc.keep_bytes = UINT64_MAX;
    rc.retry_ticks = 5;
    rc.time_floor = d->snap_time;
    rc.time_margin = 500;  /* as the node has it (TIME_MARGIN_MS) */
    rc.lease_ms = lease_on ? replica_lease_ms(LEASE_E, 10) : 0;
    rc.lease_refresh_ms = LEASE_REFRESH_MS;
    replica_log_port lp = {n, log_write, log_read};
    replica_transport_port tp = {n,       tr_send,   tr_send_image, tr_nothing, tr_image_floor,
                                 tr_link, tr_unlink, tr_nothing,    tr_congested};
    replica_sm_port sp = {n, sm_apply, sm_conf, sm_zero, sm_make_durable, sm_zero, sm_zero, sm_entry_time};
    replica_clock_port cp = {n, clock_ms, clock_s, clock_wall_ms};
    replica_events ep = {n, NULL, NULL, NULL, ev_fatal};
    n->writing = 0;
    n->enospc = 0;
    /* as node.c opens the log with a cache: what the image holds without its data */
    raft_entry *boot = malloc(sizeof(raft_entry) * (d->n ? d->n : 1));
    for (size_t k = 0; k < d->n; k++) {
        boot[k] = d->log[k];
        if (rc.core.cache_bytes && boot[k].index <= si && boot[k].type != RAFT_ENTRY_CONFIG) boot[k].data = NULL;
    }
    n->rep = replica_new(&rc, &lp, &tp, &sp, &cp, &ep, d->term, d->vote, si, d->snap_term, boot, d->n);
    free(boot);
    n->r = (raft *)replica_core(n->rep);
    replica_keep_lease(n->rep, lease_on);
    n->up = 1;
    n->applied = si;  /* the state machine is its image; the log replays after it */
    n->sm_time = d->snap_time;
    n->digest = d->snap_digest;
    memcpy(n->conf, d->snap_conf, CONFLEN);
    memset(snap_failed[i], 0, sizeof(snap_failed[i]));
    memset(snap_sent[i], 0, sizeof(snap_sent[i]));
}

/* A slot gets a disk: a founder with the founding configuration, a spare
 * with an empty one (it learns it from a leader). */
static void provision(int i, const char *conf) {
    node *n = &nodes[i];
    memset(&n->d, 0, sizeof(n->d));
    snprintf(n->d.snap_conf, CONFLEN, "%s", conf);
    n->provisioned = 1;
}

static void set_text(char *dst, const char *src, size_t len) {
    if (len >= CONFLEN) { violation("configuration text too long", -1); len = CONFLEN - 1; }
    memcpy(dst, src, len);
    dst[len] = 0;
}

static void send_net(const raft_msg *m) {
    int from = (int)m->from - 1, to = (int)m->to - 1;
    /* a node grants one vote a term, crashes or not: the vote is durable
     * before the grant goes out */
    if (m->type == MSG_VOTE_RESP && !m->reject && m->term < MAXTERM) {
        if (vote_in[from][m->term] && vote_in[from][m->term] != m->to)
            violation("a node granted votes to two candidates in one term", from);
        vote_in[from][m->term] = (uint8_t)m->to;
    }
    if (part[from] != part[to] || oneway[from][to] || chance(loss_pct)) {
        if (m->type == MSG_SNAPSHOT) snap_failed[from][to] = 1;  /* the stream broke */
        return;
    }
    int copies = chance(dup_pct) ? 2 : 1;
    for (int k = 0; k < copies && nnet < MAXMSG; k++) {
        net[nnet].m = copy_msg(m);
        net[nnet].at = now + 1 + (delay_max ? (long)(rnd() % (uint64_t)delay_max) : 0);
        if (now < hold_until[from][to]) {  /* held back: released much later */
            net[nnet].at = hold_release[from][to] + (long)(rnd() % 3);
            st_held_msgs++;
        } else if (straggle_pml && (int)(rnd() % 1000) < straggle_pml) {  /* one message, much later */
            net[nnet].at = now + 20 + (long)(rnd() % 180);
            st_stragglers++;
        }
        nnet++;
    }
}

/* A write reaches the disk: in the order of walsync.c. */
static void disk_write(node *n, pwrite *w) {
    if (w->hs) { n->d.term = w->term; n->d.vote = w->vote; }
    if (w->reset) clear_log(&n->d);
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
        w->ne = 0;  /* the disk owns them now */
    }
    if (w->compact_to) {  /* whole records behind the image go */
        if (w->compact_to > n->d.snap_index) violation("the log compacted past the durable state machine", (int)(n - nodes));
        size_t k = 0;
        while (k < n->d.n && n->d.log[k].index <= w->compact_to) free(n->d.log[k++].data);
        memmove(n->d.log, n->d.log + k, sizeof(raft_entry) * (n->d.n - k));
        n->d.n -= k;
    }
}

static int parse(const char *s, size_t len, members *out) {
    char err[160];
    return members_parse(s, len, out, err, sizeof(err));
}

/* A configuration committed (applied for the first time anywhere, which
 * happens in index order): it must differ from the one before by one
 * server, added as a learner, promoted, or removed. */
static void conf_committed(int i, const raft_entry *e) {
    members c;
    if (parse(e->data, e->len, &c) < 0) { violation("CONFIG entry does not parse", i); return; }
    int added = 0, promoted = 0, removed = 0, other = 0;
    uint64_t gone = 0;
    for (int k = 0; k < c.n; k++) {
        const cluster_member *was = members_get(&gconf, c.m[k].id);
        if (!was) { added++; other += !c.m[k].learner; }
        else if (was->learner && !c.m[k].learner) promoted++;
        else if (!was->learner && c.m[k].learner) other++;
    }
    for (int k = 0; k < gconf.n; k++)
        if (!members_get(&c, gconf.m[k].id)) { removed++; gone = gconf.m[k].id; }
    if (other || added + promoted + removed != 1) violation("a committed configuration changes more than one server", i);
    st_adds += added > 0;
    st_promotions += promoted > 0;
    st_removals += removed > 0;
    if (removed && e->term < 100000 && leader_of_term[e->term] == gone) st_leader_removals++;
    if (members_voters(&c) < 1 || members_voters(&c) > MEMBERS_MAX_VOTERS) violation("committed configuration: voters out of range", i);
    gconf = c;
    gconf_index = e->index;
    if (nhist < MAXHIST) {
        hist[nhist].index = e->index;
        set_text(hist[nhist++].text, e->data, e->len);
    }
}

static uint64_t last_time;  /* the latest cluster time committed entries carried */

static void check_apply(int i, const raft_entry *e) {
    node *n = &nodes[i];
    if (e->index != n->applied + 1) violation("applied out of order", i);
    n->applied = e->index;
    if (e->type == RAFT_ENTRY_CONFIG) set_text(n->conf, e->data, e->len);
    if (e->index >= MAXIDX) return;
    if (e->type == RAFT_ENTRY_CONFIG && applied_term[e->index] == 0) conf_committed(i, e);
    uint64_t h = hash(e->data, e->len) ^ (uint64_t)e->type;
    n->digest = (n->digest ^ h ^ e->term) * 0x100000001b3ULL + e->index;
    if (!chain_at[e->index]) chain_at[e->index] = n->digest;
    else if (chain_at[e->index] != n->digest) violation("state machine safety: states differ at one index", i);
    if (applied_term[e->index] == 0) {
        applied_term[e->index] = e->term;
        applied_hash[e->index] = h;
        if (e->index > max_applied) max_applied = e->index;
        /* cluster time never goes back along the committed log, across
         * leaders whose clocks disagree (each new one goes on from its log) */
        uint64_t t = sm_entry_time(NULL, e);
        if (t && t < last_time) violation("cluster time went back", i);
        if (t > last_time) last_time = t;
        time_upto[e->index] = last_time;
    } else if (applied_term[e->index] != e->term || applied_hash[e->index] != h) {
        violation("state machine safety: different entries applied at one index", i);
    }
}

static void process(int i);
static void check_new_leader(int i);
static int leader(void);

/* Committed entries never change, and every leader holds all of them when
 * elected: checked on the commit index of every node, so an entry counts
 * from the moment any node knows it committed, applied or not (state
 * machine safety and leader completeness above see only applied ones).
 * Called after every step of a node; a core seen for the first time (a
 * restart: a node is always seen down in between) is looked at from its
 * snapshot point. */
static void check_commits(void) {
    for (int i = 0; i < N; i++) {
        if (!nodes[i].up) { commit_of[i] = NULL; continue; }  /* seen down: looked at afresh once up */
        raft *r = nodes[i].r;
        uint64_t c = raft_commit_index(r), si = raft_snapshot_index(r);
        if (commit_of[i] != (const void *)r || c < commit_seen[i]) {
            commit_of[i] = r;
            commit_seen[i] = si;
            led_term[i] = 0;
        }
        for (uint64_t x = (commit_seen[i] > si ? commit_seen[i] : si) + 1; x <= c && x < MAXIDX; x++) {
            const raft_entry *e = raft_entry_at(r, x);
            if (!e) break;
            uint64_t h = hash(data_of(i, e), e->len) ^ (uint64_t)e->type;
            if (!commit_term[x]) {
                commit_term[x] = e->term;
                commit_hash[x] = h;
            } else if (commit_term[x] != e->term || commit_hash[x] != h) {
                violation("committed entries differ at one index", i);
                break;
            }
        }
        commit_seen[i] = c;
        if (c > committed_max) committed_max = c;
    }
    for (int i = 0; i < N; i++) {
        if (!nodes[i].up || raft_role(nodes[i].r) != RAFT_LEADER || led_term[i] == raft_term(nodes[i].r)) continue;
        raft *r = nodes[i].r;
        led_term[i] = raft_term(r);
        if (led_term[i] > max_leader_term) max_leader_term = led_term[i];
        for (uint64_t x = raft_snapshot_index(r) + 1; x <= committed_max && x < MAXIDX; x++)
            if (commit_term[x] && raft_term_at(r, x) != commit_term[x]) {
                violation("leader completeness: a new leader lacks a committed entry (applied nowhere yet)", i);
                break;
            }
    }
}

/* A leader of a term older than one some other node led in. */
static int deposed(int i) {
    return nodes[i].up && raft_role(nodes[i].r) == RAFT_LEADER && raft_term(nodes[i].r) < max_leader_term;
}

static uint64_t last_read_time;  /* the latest time a confirmed read was served at */

static void read_confirmed(int i, const simread *q) {
    reads_confirmed++;
    /* the time it is served at: never before one served earlier, on any
     * leader whatever its clock, nor before an entry it may see applied */
    if (trace_on())
        printf("t%ld node %d read: term %llu (read's %llu) ri %llu inv_max %llu inv_commit %llu applied %llu\n", now,
               i + 1, (unsigned long long)raft_term(nodes[i].r), (unsigned long long)q->term,
               (unsigned long long)q->ri, (unsigned long long)q->inv_max, (unsigned long long)q->inv_commit,
               (unsigned long long)nodes[i].applied);
    if (nodes[i].applied < q->ri) return;  /* served later, once applied: not modelled */
    uint64_t t = replica_read_time(nodes[i].rep);
    if (t < q->inv_time) violation("a read served at a time before that of a read that completed before it began", i);
    if (t > last_read_time) last_read_time = t;
    if (q->ri < MAXIDX && t < time_upto[q->ri]) violation("a read's time is behind its read index's", i);
    if (q->ri < q->inv_max) violation("stale read: a confirmed read index misses an entry applied before the read", i);
    else if (q->ri < q->inv_commit)
        violation("stale read: a confirmed read index misses an entry committed before the read", i);
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
    if (replica_read_lease(nodes[i].rep, &q.ri)) {  /* no round: the lease vouches */
        reads_leased++;
        read_confirmed(i, &q);
        return;
    }
    q.round = replica_read_round(nodes[i].rep, &q.ri);
    if (!q.round) return;
    reads[nreads++] = q;
    process(i);
}

/* A read arrives at node i: served by the leader, or forwarded stamped
 * with this follower's term, as the server does. */
static void invoke_read(int i) {
    if (nreads >= MAXREAD || !nodes[i].up || paused(i)) return;
    check_commits();
    simread q = {0};
    q.inv_max = max_applied;
    q.inv_time = last_read_time;
    q.inv_commit = committed_max;
    raft *r = nodes[i].r;
    if (raft_role(r) == RAFT_LEADER) {
        st_deposed_reads += deposed(i);
        start_read(i, q);
        return;
    }
    uint64_t l = raft_leader(r);
    if (!l || raft_role(r) != RAFT_FOLLOWER) return;
    q.from = i;
    q.from_term = raft_term(r);
    q.node = (int)l - 1;
    q.fwd_at = now + 1 + (delay_max ? (long)(rnd() % (uint64_t)delay_max) : 0);
    if (now < hold_until[i][q.node]) {  /* the forwarding connection is held too */
        q.fwd_at = hold_release[i][q.node] + (long)(rnd() % 3);
        st_held_reads++;
    }
    reads[nreads++] = q;
}

static void deliver_forwards(void) {
    for (int k = 0; k < nreads;) {
        simread q = reads[k];
        if (!q.fwd_at || q.fwd_at > now || paused(q.node)) { k++; continue; }
        reads[k] = reads[--nreads];
        int l = q.node;
        if (!nodes[l].up || part[l] != part[q.from] || oneway[q.from][l]) continue;
        /* stamped with an old term, at a leader of that term that was deposed */
        st_deposed_fwd_reads += deposed(l) && raft_term(nodes[l].r) == q.from_term;
        if (replica_read_vouched(nodes[l].rep, (uint64_t)q.from + 1, q.from_term, &q.ri)) {
            reads_vouched++;
            read_confirmed(l, &q);
        } else {
            start_read(l, q);
        }
    }
}

/* The checks after a node handed out its work. */
static void after_process(int i) {
    node *n = &nodes[i];
    confirm_reads(i, replica_confirmed_round(n->rep));
    if (raft_commit_index(n->r) > max_commit) max_commit = raft_commit_index(n->r);
    /* A leader counts from when its election is durable (its term and own
     * vote on disk): a cluster of one leads at once, but says, commits and
     * confirms nothing before (checked in check_leader_send); crashed
     * before that, it was never leader to anyone. */
    if (raft_role(n->r) != RAFT_LEADER || n->d.term != raft_term(n->r) || n->d.vote != (uint64_t)i + 1) return;
    uint64_t t = raft_term(n->r);
    if (t >= 100000) return;
    if (leader_of_term[t] && leader_of_term[t] != (uint64_t)i + 1) violation("election safety: two leaders in one term", i);
    if (leader_of_term[t]) return;
    leader_of_term[t] = (uint64_t)i + 1;
    if (trace_on()) {
        buf tx;
        buf_init(&tx);
        members_format(raft_members(n->r), &tx);
        printf("t%ld node %d leads term %llu, log %llu, commit %llu, conf %.*s (at %llu)\n", now, i + 1,
               (unsigned long long)t, (unsigned long long)raft_last_index(n->r),
               (unsigned long long)raft_commit_index(n->r), (int)tx.len, tx.data ? tx.data : "",
               (unsigned long long)raft_conf_index(n->r));
        buf_free(&tx);
    }
    check_new_leader(i);
    /* leader completeness: everything applied anywhere is in its log, or
     * in the image its log begins after */
    for (uint64_t x = raft_snapshot_index(n->r); x <= max_applied && x < MAXIDX; x++) {
        if (x && raft_term_at(n->r, x) != applied_term[x]) {
            violation("leader completeness: new leader lacks a committed entry", i);
            break;
        }
    }
}

/* The real glue hands out the core's work (replica_process). */
static void process(int i) {
    if (!nodes[i].up) return;
    replica_process(nodes[i].rep);
    after_process(i);
}

/* The configuration node i's log puts in force at `upto`, worked out here:
 * its last CONFIG entry up to there, else the committed one in force at its
 * snapshot point (history); *at gets the entry's index (0: the founding
 * one). Only for a node whose log holds every committed entry: a leader. */
static members conf_at(int i, uint64_t upto, uint64_t *at) {
    raft *r = nodes[i].r;
    members c;
    for (uint64_t x = upto; x > raft_snapshot_index(r); x--) {
        const raft_entry *e = raft_entry_at(r, x);
        if (e->type != RAFT_ENTRY_CONFIG) continue;
        if (parse(e->data, e->len, &c) < 0) violation("CONFIG entry does not parse", i);
        *at = x;
        return c;
    }
    uint64_t lim = upto < raft_snapshot_index(r) ? upto : raft_snapshot_index(r);
    int k = nhist - 1;
    while (k >= 0 && hist[k].index > lim) k--;
    if (k >= 0) {
        parse(hist[k].text, strlen(hist[k].text), &c);
        *at = hist[k].index;
    } else {
        c = founding_conf;
        *at = 0;
    }
    return c;
}

static int same_members(const members *a, const members *b) {
    if (a->n != b->n) return 0;
    for (int k = 0; k < a->n; k++)
        if (a->m[k].id != b->m[k].id || a->m[k].learner != b->m[k].learner) return 0;
    return 1;
}

/* A new leader is a voter of the configuration its log puts in force; or
 * (dissertation 4.2.2) a voter of the one before, which that configuration
 * removes, while it does not know the removal committed: it may hold the
 * only copy of the change, which it then commits and hands over (checked in
 * check_configs). So a node leads after its removal committed only if a
 * later configuration added it back, or as that non-voting leader when it
 * did not know of the commit (it restarted since, with the commit index of
 * its state machine). */
static void check_new_leader(int i) {
    raft *r = nodes[i].r;
    uint64_t id = (uint64_t)i + 1, ci = 0, cp = 0;
    members c = conf_at(i, raft_last_index(r), &ci);
    if (!same_members(&c, raft_members(r))) violation("a new leader's configuration is not its log's", i);
    if (members_is_voter(&c, id)) return;
    members prev = conf_at(i, ci ? ci - 1 : 0, &cp);
    if (!ci || members_get(&c, id) || !members_is_voter(&prev, id) || ci <= raft_commit_index(r)) {
        violation(members_get(&c, id) ? "a leader that is no voter of its configuration"
                                      : "a node whose removal committed became leader", i);
        return;
    }
    st_nonvoting_leaders++;
    if (ci <= max_commit) st_nonvoting_after_commit++;
}


/* A write that does I/O (a write of messages alone touches no file). */
static int does_io(const pwrite *w) { return w->hs || w->reset || w->ne || w->compact_to; }

static void free_write(pwrite *w) {
    for (size_t e = 0; e < w->ne; e++) free(w->e[e].data);
    free(w->e);
    w->e = NULL;
    w->ne = 0;
}

/* The write under way ends when due (and the replica may start the next
 * at once: it too ends in this tick if the disk is quick). A refusal for
 * want of space changes nothing on disk (wal.h); a failed fsync stops the
 * node (the real one exits). */
static void complete_writes(int i) {
    node *n = &nodes[i];
    while (n->up && n->writing && n->w.at <= now) {
        pwrite *w = &n->w;
        if (faulting && does_io(w) && fsync_fail_ppm && (int)(rnd() % 1000000) < fsync_fail_ppm) {
            st_fsync_failures++;
            crash_ex(i, FSYNC_FAILED);
            return;
        }
        if (faulting && does_io(w) && (n->enospc > now || (enospc_pml && (int)(rnd() % 1000) < enospc_pml))) {
            if (n->enospc <= now) n->enospc = now + 1 + (long)(rnd() % 30);
            st_enospc++;
            free_write(w);
            n->writing = 0;
            replica_write_done(n->rep, ENOSPC);
            continue;
        }
        disk_write(n, w);
        n->writing = 0;
        replica_write_done(n->rep, 0);
    }
}

/* The steps of a write, in the order walsync.c does them: the hard state
 * (replaced atomically), a log reset, truncation of a conflicting tail,
 * each record, then compaction. */
static size_t write_ops(const pwrite *w) {
    return (size_t)(w->hs + w->reset + (w->ne ? 1 : 0) + (w->compact_to ? 1 : 0)) + w->ne;
}

/* What an interrupted write leaves: its first `ops` steps happened. A
 * truncation cut short leaves a longer prefix of the old log (whole
 * segments go newest first); a record cut short is a torn final record,
 * which start-up truncates away, and the records after it were never
 * written. Nothing of the write was acknowledged, so any of it may stay. */
static void disk_write_part(node *n, pwrite *w, size_t ops) {
    if (ops >= write_ops(w)) {
        st_torn_entries += w->ne;
        disk_write(n, w);
        return;
    }
    size_t pos = 0;
    pwrite p = *w;
    p.hs = w->hs && pos++ < ops;
    p.reset = w->reset && pos++ < ops;
    p.compact_to = 0;
    p.ne = 0;
    p.e = NULL;
    disk_write(n, &p);
    if (!w->ne) return;
    uint64_t first = w->e[0].index;
    size_t keep = 0;
    if (pos++ < ops) {
        keep = ops - pos < w->ne ? ops - pos : w->ne;
        if (!keep)
            while (n->d.n && n->d.log[n->d.n - 1].index >= first) free(n->d.log[--n->d.n].data);
    } else if (n->d.n && n->d.log[n->d.n - 1].index >= first) {
        uint64_t last = n->d.log[n->d.n - 1].index, to = first - 1 + rnd() % (last - first + 2);
        while (n->d.n && n->d.log[n->d.n - 1].index > to) free(n->d.log[--n->d.n].data);
        st_torn_truncations++;
    }
    for (size_t k = keep; k < w->ne; k++) free(w->e[k].data);
    if (keep) {
        p = *w;
        p.hs = p.reset = 0;
        p.compact_to = 0;
        p.ne = keep;
        disk_write(n, &p);  /* takes the kept entries and the array */
        st_torn_entries += keep;
    } else {
        free(w->e);
    }
    st_torn_writes++;
    w->e = NULL;
    w->ne = 0;
}

/* The process is gone. The one write under way (none of it acknowledged:
 * its messages wait in the replica) may be on disk in part after a power
 * loss or kill -9, and is in part after a failed fsync; what waited
 * behind it in the replica was never begun. */
static void crash_ex(int i, int how) {
    node *n = &nodes[i];
    if (trace_on()) printf("t%ld node %d %s (durable term %llu vote %llu, a write under way: %d)\n", now, i + 1,
                           how == FSYNC_FAILED ? "stops: a write failed" : "crashes", (unsigned long long)n->d.term,
                           (unsigned long long)n->d.vote, n->writing);
    if (n->writing && (how == FSYNC_FAILED || (how == POWER_LOSS && chance(torn_pct)))) {
        if (how == POWER_LOSS) st_torn_crashes++;
        disk_write_part(n, &n->w, (size_t)(rnd() % (write_ops(&n->w) + 1)));
    }
    free_write(&n->w);
    n->writing = 0;
    paused_until[i] = 0;
    for (int k = 0; k < nreads;)
        if (reads[k].node == i) reads[k] = reads[--nreads]; else k++;
    const raft_stats *st = raft_get_stats(n->r);
    st_proposed += st->conf_changes;
    st_transfers += st->transfers;
    st_transfer_elections += st->transfer_elections;
    st_timeout_elections += st->timeout_elections;
    replica_free(n->rep);
    n->rep = NULL;
    n->r = NULL;
    n->up = 0;
}

static void crash(int i) { crash_ex(i, POWER_LOSS); }

/* SIGTERM, as the server does it: a leader transfers leadership and
 * stops once another node leads, or after two election timeouts; the
 * stop itself sends what waits for a tick (replica_flush), lets the log
 * finish what it has (node_shutdown), then the process is gone. */
static void graceful_stop(int i) {
    node *n = &nodes[i];
    replica_flush(n->rep);
    after_process(i);
    while (n->up && !replica_idle(n->rep)) {
        if (!n->writing) break;  /* a full disk: what waits was never acknowledged */
        n->w.at = now;
        complete_writes(i);
        if (n->up && n->writing && n->enospc > now) break;
    }
    if (!n->up) return;  /* a write failed: it stopped there */
    st_stops++;
    crash_ex(i, LOSE_ALL);
}

static void ask_to_stop(int i) {
    if (stopping >= 0 || !nodes[i].up || paused(i)) return;
    if (raft_role(nodes[i].r) == RAFT_LEADER && replica_transfer_leader(nodes[i].rep, 0)) {
        stopping = i;
        stop_deadline = now + 2 * 10;
        process(i);
        return;
    }
    graceful_stop(i);
}

static void check_stopping(void) {
    if (stopping < 0) return;
    int i = stopping;
    if (!nodes[i].up) { stopping = -1; return; }
    int l = leader();
    int moved = l >= 0 && l != i;
    if (!moved && now < stop_deadline) return;
    st_stops_handed_over += moved;
    stopping = -1;
    graceful_stop(i);
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
                if (ea->term != eb->term || ea->len != eb->len || memcmp(data_of(a, ea), data_of(b, eb), ea->len)) {
                    violation("log matching", a);
                    return;
                }
            }
        }
}

/* The image becomes the state machine durably, as the store's switch to
 * a new generation does (called by the replica once the core took it). */
typedef struct image_at { node *n; const raft_msg *m; } image_at;
static int switch_to_image(void *ctx, int removed) {
    image_at *a = ctx;
    node *n = a->n;
    const raft_msg *m = a->m;
    int i = (int)(n - nodes);
    (void)removed;
    set_text(n->conf, m->entries[0].data, m->entries[0].len);
    memcpy(n->d.snap_conf, n->conf, CONFLEN);
    if (m->index < MAXIDX && chain_at[m->index] != m->context) violation("installed image differs from the applied state", i);
    if (m->index <= n->applied) violation("installed an image older than the state machine", i);
    n->applied = m->index;
    n->digest = m->context;
    n->d.snap_index = m->index;
    n->d.snap_term = m->log_term;
    n->d.snap_digest = m->context;
    n->d.installed_at = m->index;
    n->sm_time = n->d.snap_time = m->index < MAXIDX ? time_upto[m->index] : 0;
    return 0;
}

/* A whole image arrived: the replica decides, has it switched to, and
 * queues the log's reset behind what was queued before. */
static void install(int i, const raft_msg *m) {
    node *n = &nodes[i];
    if (m->nentries != 1 || m->entries[0].type != RAFT_ENTRY_CONFIG) violation("an image without its configuration", i);
    int knew = raft_members(n->r)->n > 0;
    image_at a = {n, m};
    if (!replica_install(n->rep, m, switch_to_image, &a)) return;
    replica_note_time(n->rep, n->sm_time);  /* as stream.c does with the image's time */
    snaps_installed++;
    if (!knew) st_joins_by_image++;  /* a new node learned its configuration from the image */
}

static void deliver(void) {
    /* deliver due messages in random order (reordering); without
     * reordering (a healed network: TCP links) in the order sent */
    for (size_t k = 0; k < nnet;) {
        if (net[k].at > now || paused((int)net[k].m.to - 1) || (nnet > 1 && chance(reorder_pct))) { k++; continue; }
        simmsg s = net[k];
        if (reorder_pct) net[k] = net[--nnet];
        else memmove(net + k, net + k + 1, sizeof(simmsg) * (--nnet - k));
        int to = (int)s.m.to - 1;
        if (trace_on())
            printf("t%ld %llu->%llu type %d term %llu idx %llu lt %llu commit %llu n %zu rej %d hint %llu/%llu\n", now,
                   (unsigned long long)s.m.from, (unsigned long long)s.m.to, s.m.type, (unsigned long long)s.m.term,
                   (unsigned long long)s.m.index, (unsigned long long)s.m.log_term, (unsigned long long)s.m.commit,
                   s.m.nentries, s.m.reject, (unsigned long long)s.m.hint_index, (unsigned long long)s.m.hint_term);
        if (nodes[to].up && part[to] == part[s.m.from - 1] && !oneway[s.m.from - 1][to]) {
            if (s.m.type == MSG_SNAPSHOT) { install(to, &s.m); snap_sent[s.m.from - 1][to] = s.m.index; }
            else replica_step(nodes[to].rep, &s.m);
            process(to);
            check_commits();
            /* a message that makes the node write (votes, entries, images) or
             * lets a leader commit: it may crash before the write is durable */
            int writes = s.m.type == MSG_VOTE || s.m.type == MSG_VOTE_RESP || s.m.type == MSG_APPEND ||
                         s.m.type == MSG_APPEND_RESP || s.m.type == MSG_SNAPSHOT || s.m.type == MSG_TIMEOUT_NOW;
            if (writes && faulting && crash_after_pdm && !zb.phase && ls.phase < 2 && nodes[to].up &&
                (int)(rnd() % 10000) < crash_after_pdm) {
                crash(to);
                restart_at[to] = now + (chance(50) ? 1 : 1 + (long)(rnd() % 10));
                st_quick_crashes++;
            }
        } else if (s.m.type == MSG_SNAPSHOT) {
            snap_failed[s.m.from - 1][to] = 1;
        }
        free_msg(&s.m);
    }
}

/* Every node: the configuration in force is the last CONFIG entry of its
 * log (checked over the uncommitted tail, where it can change), with 1 to 7
 * voters unless empty (a spare that has not joined); a leader's log holds
 * at most one CONFIG entry past what is committed. */
static void check_configs(void) {
    for (int i = 0; i < N; i++) {
        if (!nodes[i].up) continue;
        raft *r = nodes[i].r;
        const members *c = raft_members(r);
        if (c->n && (members_voters(c) < 1 || members_voters(c) > MEMBERS_MAX_VOTERS))
            violation("a configuration with no voter or more than 7", i);
        uint64_t lo = raft_commit_index(r) > raft_snapshot_index(r) ? raft_commit_index(r) : raft_snapshot_index(r);
        if (raft_role(r) == RAFT_LEADER && max_commit > lo) lo = max_commit;
        int nconf = 0;
        uint64_t latest = 0;
        for (uint64_t x = raft_last_index(r); x > lo; x--) {
            const raft_entry *e = raft_entry_at(r, x);
            if (e->type != RAFT_ENTRY_CONFIG) continue;
            nconf++;
            if (latest) continue;
            latest = x;
            members m;
            if (parse(e->data, e->len, &m) < 0 || !same_members(&m, c) || raft_conf_index(r) != x)
                violation("the configuration in force is not the last in the log", i);
        }
        if (!latest && raft_conf_index(r) > lo) violation("a configuration in force from an entry no longer in the log", i);
        if (raft_role(r) == RAFT_LEADER && nconf > 1)
            violation("a leader's log holds two CONFIG entries past the commit index", i);
        /* removed (or a learner, or not yet joined), and knows it: never campaigns; a leader that is
         * no voter steps down once its removal commits */
        if (!raft_is_voter(r, (uint64_t)i + 1) && raft_conf_index(r) <= raft_commit_index(r) &&
            raft_role(r) != RAFT_FOLLOWER)
            violation(raft_role(r) == RAFT_LEADER ? "a removed leader still leads after its removal committed"
                                                  : "a node that is no voter campaigns", i);
    }
}

/* Could the cluster do without node i's disk for good? Only if no other
 * disk is lost, and in the committed configuration, if i is a member, at
 * least 2 others are voters: the others are then a majority of it, also
 * once i is promoted (a leader promotes a learner that was close behind by
 * itself, down or not). While a disk is lost, the operator removes nobody
 * else and never promotes it (membership_op).
 * And no change may be in flight (a CONFIG entry past the committed one in
 * any log): Raft cannot always elect then. Seeds 34 and 921: voters 1,2,6
 * committed, learner 7 being promoted in 6's log only; 1's disk is lost;
 * 6 needs 7's vote, which 7 refuses (it holds a newer term's entry that
 * never committed), 7 cannot campaign (a learner in its own log), and 2
 * cannot win 6's vote (6's log is longer): no leader, ever. */
static int may_lose(int i) {
    uint64_t id = (uint64_t)i + 1;
    for (int k = 0; k < N; k++)
        if (corrupt[k]) return 0;
    if (members_get(&gconf, id) && members_voters(&gconf) - members_is_voter(&gconf, id) < 2) return 0;
    for (int k = 0; k < N; k++) {
        if (nodes[k].up) {
            raft *r = nodes[k].r;
            uint64_t x = raft_snapshot_index(r) > gconf_index ? raft_snapshot_index(r) : gconf_index;
            for (x++; x <= raft_last_index(r); x++) {
                const raft_entry *e = raft_entry_at(r, x);
                if (e->type == RAFT_ENTRY_CONFIG) return 0;  /* a change in flight */
            }
        } else if (nodes[k].provisioned) {
            for (size_t j = 0; j < nodes[k].d.n; j++) {
                const raft_entry *e = &nodes[k].d.log[j];
                if (e->index > gconf_index && e->type == RAFT_ENTRY_CONFIG) return 0;
            }
        }
    }
    return 1;
}

/* Node i starts again, unless its log is found damaged in the middle (a
 * bad record with more after it): the real node then refuses to start,
 * naming file and offset (wal.h), and stays down until the operator wipes
 * it (repair). Damage comes only with faults, to a log of 2 records or more. */
static void restart(int i, int faults) {
    if (corrupt[i]) { st_corrupt_refusals++; return; }
    if (faults && chance(corrupt_pct) && nodes[i].d.n >= 2 && may_lose(i)) {
        corrupt[i] = 1;
        st_corrupt++;
        st_corrupt_refusals++;
        if (trace_on()) printf("t%ld node %d refuses to start: its log is damaged in the middle\n", now, i + 1);
        return;
    }
    start_node(i);
}

/* The operator's recovery from a damaged log (README, Disk damage): remove
 * it through a leader; once the leader knows a configuration without it
 * committed, wipe its disk and retire its id: the machine would come back
 * under a new one. Adding the wiped node back under its old id is unsafe:
 * a stale member that still lists the id could get from the empty node a
 * vote the old one had already given in that term (two leaders in one
 * term: seeds 10035 and 16743 of the version that did). Runs with or
 * without faults. */
static void repair(void) {
    int x = -1;
    for (int k = 0; k < N; k++)
        if (corrupt[k]) x = k;
    if (x < 0 || !chance(10)) return;
    int l = leader();
    if (l < 0 || paused(l)) return;
    raft *r = nodes[l].r;
    cluster_member m = {0};
    m.id = (uint64_t)x + 1;
    if (members_get(raft_members(r), m.id)) {
        int64_t res = replica_change(nodes[l].rep, RAFT_REMOVE, &m);
        if (res > 0) repair_removing[x] = 1;
        if (trace_on()) printf("t%ld operator removes damaged node %d at leader %d: %lld\n", now, x + 1, l + 1, (long long)res);
        process(l);
        return;
    }
    /* settled: its configuration committed, and an entry of its own term,
     * so an older uncommitted CONFIG entry that adds it back can never win */
    uint64_t ci = raft_commit_index(r);
    if (raft_conf_index(r) > ci || raft_term_at(r, ci) != raft_term(r)) return;
    node *n = &nodes[x];
    clear_log(&n->d);
    free(n->d.log);
    memset(&n->d, 0, sizeof(n->d));
    n->provisioned = 0;
    corrupt[x] = 0;
    st_corrupt_removals += repair_removing[x];
    repair_removing[x] = 0;
    st_wipes++;
    retired[x] = 1;
    if (trace_on()) printf("t%ld operator wipes node %d and retires its id\n", now, x + 1);
}

/* The operator: add a node (a spare, started with an empty configuration,
 * or a removed one, which kept its disk), promote a learner, remove a
 * member (the leader too), or transfer leadership. Refusals are fine. */
static void membership_op(void) {
    int l = leader();
    if (l < 0 || paused(l)) return;
    raft *r = nodes[l].r;
    const members c = *raft_members(r);
    int voters = members_voters(&c), learners = c.n - voters;
    int k = (int)(rnd() % 100);
    /* lean towards 3 to 5 voters */
    int add = voters <= 2 ? 45 : voters >= 5 ? 15 : 30, promote = learners ? 20 : 0, remove = voters >= 5 ? 45 : 30;
    cluster_member m = {0};
    int64_t res = 0;
    const char *what;
    if (k < add) {
        int cand[MAXN], nc = 0;
        for (int i = 0; i < N; i++)
            if (!members_get(&c, (uint64_t)i + 1) && !members_is_retired(&c, (uint64_t)i + 1) && !corrupt[i] &&
                !retired[i])
                cand[nc++] = i;
        if (!nc) return;
        int x = cand[rnd() % (uint64_t)nc];
        if (!nodes[x].provisioned) {
            provision(x, "");  /* a new machine: joins knowing nothing */
            if (chance(80)) start_node(x);
        }
        m.id = (uint64_t)x + 1;
        res = replica_change(nodes[l].rep, RAFT_ADD_LEARNER, &m);
        what = "add";
    } else if (k < add + promote) {
        int pick = (int)(rnd() % (uint64_t)learners);
        for (int i = 0; i < c.n; i++)
            if (c.m[i].learner && pick-- == 0) m.id = c.m[i].id;
        if (corrupt[m.id - 1]) return;  /* not a lost disk */
        res = replica_change(nodes[l].rep, RAFT_PROMOTE, &m);
        what = "promote";
    } else if (k < add + promote + remove) {
        for (int i = 0; i < N; i++)
            if (corrupt[i]) return;  /* a disk is lost: remove nobody else (may_lose) */
        m.id = chance(25) ? (uint64_t)l + 1 : c.m[rnd() % (uint64_t)c.n].id;
        res = replica_change(nodes[l].rep, RAFT_REMOVE, &m);
        what = "remove";
    } else {
        m.id = chance(30) ? 0 : c.m[rnd() % (uint64_t)c.n].id;
        res = (int64_t)replica_transfer_leader(nodes[l].rep, m.id);
        what = "transfer";
        if (!res) res = -100;
    }
    st_ops++;
    if (res < 0) st_refused++;
    if (trace_on())
        printf("t%ld op %s %llu at leader %d: %lld\n", now, what, (unsigned long long)m.id, l + 1, (long long)res);
    process(l);
}

static int leader(void) {
    int l = -1;
    uint64_t best = 0;
    for (int i = 0; i < N; i++)
        if (nodes[i].up && raft_role(nodes[i].r) == RAFT_LEADER && raft_term(nodes[i].r) >= best) { best = raft_term(nodes[i].r); l = i; }
    return l;
}

/* ---- scenarios that widen the windows of unsafe reads ----
 * A zombie leader. The cluster is first let settle (partitions healed,
 * nodes restarted) until a leader has committed in its term; then the
 * leader, with as many followers of its term as still leaves a majority
 * outside, is paused (SIGSTOP) and cut off, by a partition or by holding
 * every link into them; the others elect a new leader and commit past the
 * old leader's log. Then the paused ones resume while the old leader still
 * believes it leads (check-quorum has not run: it had no ticks), still cut
 * off for a few steps, and reads arrive at it, directly and forwarded by
 * its followers stamped with the old term: none may be confirmed. Then the
 * partition heals, or the held links deliver much later. While it runs, the
 * scenario holds the other faults of the world (crashes, stops, pauses,
 * partitions, membership changes); the network still loses, duplicates,
 * delays and reorders, and disks fail as before. */

static int in_minority(int i) {
    for (int k = 0; k < zb.nmin; k++)
        if (zb.min[k] == i) return 1;
    return 0;
}

/* Every partition healed, every node running, before a scenario. */
static void heal_all(void) {
    for (int i = 0; i < N; i++) {
        part[i] = 0;
        paused_until[i] = 0;
        if (!nodes[i].up && nodes[i].provisioned) restart(i, 0);
    }
    memset(oneway, 0, sizeof(oneway));
}

static void zombie_settle(void) {
    heal_all();
    zb.settle_by = now + 150;
    zb.phase = 1;
}

/* Pauses and cuts off the leader with its minority: 1 if it did. */
static int zombie_begin(void) {
    int l = leader();
    if (l < 0 || paused(l) || stopping >= 0) return 0;
    raft *r = nodes[l].r;
    int voters = members_voters(raft_members(r));
    if (voters < 3 || !raft_is_voter(r, (uint64_t)l + 1) || raft_term_at(r, raft_commit_index(r)) != raft_term(r))
        return 0;
    int q = voters / 2 + 1, cand[MAXN], nc = 0;
    for (int i = 0; i < N; i++)
        if (i != l && nodes[i].up && !paused(i) && raft_role(nodes[i].r) == RAFT_FOLLOWER &&
            raft_leader(nodes[i].r) == (uint64_t)l + 1 && raft_term(nodes[i].r) == raft_term(r) &&
            raft_is_voter(r, (uint64_t)i + 1))
            cand[nc++] = i;
    /* mostly the largest minority: a deposed leader that still hears q-1 voters */
    int want = chance(75) ? q - 2 : (int)(rnd() % (uint64_t)(q - 1));
    if (want > nc) return 0;  /* not all followers are with it yet */
    zb.nmin = 0;
    zb.min[zb.nmin++] = l;
    for (; want > 0; want--) {
        int k = (int)(rnd() % (uint64_t)nc);
        zb.min[zb.nmin++] = cand[k];
        cand[k] = cand[--nc];
    }
    zb.lead = l;
    zb.term = raft_term(r);
    zb.last = raft_last_index(r);
    zb.held = chance(50);
    /* mostly until the others have committed past its log, else a while */
    zb.resume_by = now + (chance(70) ? 250 : 5 + (long)(rnd() % 80));
    for (int k = 0; k < zb.nmin; k++) paused_until[zb.min[k]] = now + 1000000;
    if (!zb.held)
        for (int i = 0; i < N; i++) part[i] = in_minority(i);
    zb.phase = 2;
    st_zombies++;
    if (trace_on()) printf("t%ld zombie: leader %d of term %llu paused with %d followers (%s)\n", now, l + 1,
                           (unsigned long long)zb.term, zb.nmin - 1, zb.held ? "held links" : "partition");
    return 1;
}

static void zombie_end(void) {
    for (int k = 0; k < zb.nmin; k++)
        if (paused_until[zb.min[k]] > now + 100000) paused_until[zb.min[k]] = 0;
    if (zb.phase >= 2 && !zb.held)
        for (int i = 0; i < N; i++) part[i] = 0;
    zb.phase = 0;
    zb.nmin = 0;
}

static void zombie_resume(void) {
    int l = zb.lead;
    st_zombies_leading += raft_role(nodes[l].r) == RAFT_LEADER && raft_term(nodes[l].r) == zb.term;
    for (int k = 0; k < zb.nmin; k++)
        if (paused_until[zb.min[k]] > now + 100000) paused_until[zb.min[k]] = 0;
    zb.window_end = now + 3 + (long)(rnd() % 20);
    if (zb.held) {
        /* what the others sent them meanwhile, and send until the window
         * ends, arrives much later */
        long release = zb.window_end + 10 + (long)(rnd() % 100);
        for (int a = 0; a < N; a++)
            for (int b = 0; b < N; b++)
                if (!in_minority(a) && in_minority(b)) {
                    hold_until[a][b] = zb.window_end;
                    hold_release[a][b] = release;
                }
        for (size_t k = 0; k < nnet; k++)
            if (!in_minority((int)net[k].m.from - 1) && in_minority((int)net[k].m.to - 1) && net[k].at < release) {
                net[k].at = release + (long)(rnd() % 3);
                st_held_msgs++;
            }
    }
    zb.phase = 3;
    if (trace_on()) printf("t%ld zombie: node %d resumes, role %d term %llu (others committed %llu, its log %llu)\n", now,
                           l + 1, raft_role(nodes[l].r), (unsigned long long)raft_term(nodes[l].r),
                           (unsigned long long)committed_max, (unsigned long long)zb.last);
}

/* One step of the scenario; 1 while it runs (the world's other faults wait). */
static int zombie_step(void) {
    if (zb.phase >= 2 && !nodes[zb.lead].up) zombie_end();  /* crashed meanwhile (a failed write) */
    switch (zb.phase) {
    case 0:
        if (!ls.phase && zombie_pml && (int)(rnd() % 1000) < zombie_pml) zombie_settle();
        break;
    case 1:
        if (!zombie_begin() && now >= zb.settle_by) zombie_end();
        break;
    case 2:
        if (now >= zb.resume_by || (committed_max > zb.last && max_leader_term > zb.term)) zombie_resume();
        break;
    case 3:
        if (now >= zb.window_end) { zombie_end(); break; }
        for (int k = 0; k < zb.nmin; k++)
            if (chance(60)) invoke_read(zb.min[k]);
        break;
    }
    return zb.phase != 0;
}

/* Leader churn: for a few rounds, every new leader is cut off alone by a
 * partition 0 to 15 steps after it is elected (the one cut off before
 * rejoins), while its clients keep writing to it. Leaders of successive
 * terms thus leave uncommitted tails of different terms at the same
 * indexes, and a new leader is often cut off while it brings followers up
 * through an older term's tail, before an entry of its own term is on a
 * majority: the ground of figure 8 (dissertation 3.6.2). Holds the other
 * faults of the world while it runs, as the zombie does. */
static int churn_step(void) {
    if (!ch.running) {
        if (zb.phase || ls.phase || !churn_pml || (int)(rnd() % 1000) >= churn_pml) return 0;
        memset(&ch, 0, sizeof(ch));
        ch.running = 1;
        ch.rounds = 2 + (int)(rnd() % 6);
        ch.end_by = now + 400;
        for (int i = 0; i < N; i++) {
            part[i] = 0;
            paused_until[i] = 0;
        }
        memset(oneway, 0, sizeof(oneway));
        st_churns++;
    }
    if (now >= ch.end_by) {  /* the last one cut off rejoins */
        for (int i = 0; i < N; i++) part[i] = 0;
        ch.running = 0;
        return 0;
    }
    int l = leader();
    if (ch.rounds && l >= 0 && raft_term(nodes[l].r) > ch.seen_term) {
        ch.seen_term = raft_term(nodes[l].r);
        ch.lead = l;
        ch.cut_at = now + (long)(rnd() % 16);
    }
    if (ch.cut_at && now >= ch.cut_at) {
        ch.cut_at = 0;
        if (nodes[ch.lead].up && raft_role(nodes[ch.lead].r) == RAFT_LEADER) {
            for (int i = 0; i < N; i++) part[i] = i == ch.lead;  /* the one cut off before rejoins */
            st_churn_cuts++;
            if (trace_on()) printf("t%ld churn: leader %d of term %llu cut off\n", now, ch.lead + 1,
                                   (unsigned long long)raft_term(nodes[ch.lead].r));
        }
        if (--ch.rounds == 0) ch.end_by = now + 30;  /* the last one stays cut off a while */
    }
    return 1;
}

/* ---- lease windows (lease_on seeds) ----
 * A leader holding a lease is made to lose its leadership in each of the
 * three ways a lease must survive, with the followers' clocks ticking 12/8
 * as fast as the step clock (the lease's own) and the leader's 5/8 (its
 * check-quorum steps down late), on a network that loses nothing and
 * delivers the next step and disks that sync at once, while reads keep
 * arriving at it:
 *   LS_CUT       it is cut off alone, and a follower (B) campaigns every
 *                step: it wins once the others stop refusing votes, an
 *                election timeout after they last heard the leader;
 *   LS_TRANSFER  it hands over: once its TIMEOUT_NOW is out it hears
 *                nothing more, and the target wins votes past the
 *                followers' refusal (handed_over ends the lease);
 *   LS_RESTART   B stops hearing it first, for longer than B's own
 *                refusal (the others' acks keep the lease); then it is
 *                cut off, as many followers as B needs for a majority,
 *                whose acks earned the lease, restart at once, and B
 *                campaigns every step (boot_quiet keeps them from
 *                voting: B itself may).
 * The read checks (read_confirmed) catch a lease read that misses what
 * the new leader committed. Each hop takes a step, so a new leader
 * commits some 46 steps after the cut at the earliest: a lease stretched
 * to under 1.6 times its length goes unseen here; twice is caught
 * (tests/mutations.txt). */

static void lease_end(void) {
    if (ls.phase >= 2) {
        memcpy(rate8, ls.rate, sizeof(ls.rate));
        delay_max = ls.delay;
        loss_pct = ls.loss;
        slow_disk_pct = ls.slow;
        for (int i = 0; i < N; i++) part[i] = 0;
        memset(oneway, 0, sizeof(oneway));
    }
    ls.phase = 0;
}

/* The leader, if it holds a lease and every other voter follows it in its
 * term: its followers into f (their count). */
static int lease_holder(int *f, int *nf) {
    int l = leader();
    uint64_t ri;
    if (l < 0 || paused(l) || stopping >= 0 || !replica_read_lease(nodes[l].rep, &ri)) return -1;
    raft *r = nodes[l].r;
    int voters = members_voters(raft_members(r));
    *nf = 0;
    for (int i = 0; i < N; i++)
        if (i != l && nodes[i].up && !paused(i) && raft_is_voter(r, (uint64_t)i + 1) &&
            raft_role(nodes[i].r) == RAFT_FOLLOWER && raft_leader(nodes[i].r) == (uint64_t)l + 1 &&
            raft_term(nodes[i].r) == raft_term(r))
            f[(*nf)++] = i;
    return voters >= 3 && raft_is_voter(r, (uint64_t)l + 1) && *nf == voters - 1 ? l : -1;
}

static void lease_begin(void) {
    int f[MAXN], nf, l = lease_holder(f, &nf);
    if (l < 0) {
        if (now >= ls.settle_by) lease_end();
        return;
    }
    ls.kind = (int)(rnd() % LS_KINDS);
    ls.lead = l;
    /* B, the most up-to-date follower (others' votes need it), goes last */
    for (int k = 0; k < nf - 1; k++)
        if (raft_last_index(nodes[f[k]].r) > raft_last_index(nodes[f[nf - 1]].r)) {
            int t = f[k];
            f[k] = f[nf - 1];
            f[nf - 1] = t;
        }
    ls.a = f[0];
    ls.b = f[nf - 1];
    memcpy(ls.rate, rate8, sizeof(ls.rate));
    for (int i = 0; i < N; i++) rate8[i] = i == l ? 5 : 12;
    /* a fast network and fast disks: a new leader as early as the rules allow */
    ls.delay = delay_max;
    ls.loss = loss_pct;
    ls.slow = slow_disk_pct;
    delay_max = loss_pct = slow_disk_pct = 0;
    ls.phase = 3;
    ls.until = now + 60;
    if (ls.kind == LS_TRANSFER) {
        if (!replica_transfer_leader(nodes[l].rep, (uint64_t)ls.a + 1)) { lease_end(); return; }
        ls.phase = 2;
        ls.until = now + 40;
    } else if (ls.kind == LS_RESTART) {
        memcpy(ls.f, f, sizeof(f));
        ls.nf = nf;
        oneway[l][ls.b] = oneway[ls.b][l] = 1;
        ls.phase = 4;
        ls.until = now + 50;  /* B's 60 ticks at 12/8, and some */
    } else {
        for (int i = 0; i < N; i++) part[i] = i == l;
    }
    if (ls.kind != LS_RESTART) st_lease_windows[ls.kind]++;  /* that one counts once it restarts them */
    if (trace_on()) printf("t%ld lease: leader %d of term %llu, window kind %d\n", now, l + 1,
                           (unsigned long long)raft_term(nodes[l].r), ls.kind);
}

/* B has not heard the leader for longer than it refuses votes: the leader
 * is cut off, and as many as B needs besides itself restart (without
 * them, the others still hear the leader and refuse); they acked the
 * lease, and boot_quiet must keep them from voting. */
static void lease_restart(void) {
    if (now < ls.until) return;
    int l = ls.lead;
    uint64_t ri;
    int ready = raft_role(nodes[l].r) == RAFT_LEADER && replica_read_lease(nodes[l].rep, &ri) && nodes[ls.b].up;
    for (int k = 0; k < (ls.nf + 1) / 2; k++) ready &= nodes[ls.f[k]].up;
    if (!ready) { lease_end(); return; }
    for (int i = 0; i < N; i++) part[i] = i == l;
    for (int k = 0; k < (ls.nf + 1) / 2; k++) {
        crash(ls.f[k]);
        restart(ls.f[k], 0);
    }
    st_lease_windows[LS_RESTART]++;
    ls.phase = 3;
    ls.until = now + 60;
}

/* The hand-over's TIMEOUT_NOW is out: from now the leader hears nothing. */
static void lease_transferred(void) {
    int l = ls.lead;
    if (!raft_transfer_sent(nodes[l].r)) {
        if (now >= ls.until) lease_end();
        return;
    }
    for (int i = 0; i < N; i++)
        if (i != l) oneway[i][l] = 1;  /* its TIMEOUT_NOW still goes out */
    ls.phase = 3;
    ls.until = now + 60;
}

/* One step of the scenario; 1 while it runs (the world's other faults wait). */
static int lease_step(void) {
    if (ls.phase >= 2 && !nodes[ls.lead].up) lease_end();
    switch (ls.phase) {
    case 0:
        if (lease_on && !zb.phase && !ch.running && lease_pml && (int)(rnd() % 1000) < lease_pml) {
            heal_all();
            ls.settle_by = now + 200;
            ls.phase = 1;
        }
        break;
    case 1: lease_begin(); break;
    case 4: lease_restart(); break;
    case 2: lease_transferred(); break;
    case 3:
        if (now >= ls.until) { lease_end(); break; }
        /* B campaigns as early as the others let it (its timer at its
         * shortest), a pre-vote round every few steps until one wins */
        if (ls.kind != LS_TRANSFER && nodes[ls.b].up &&
            (raft_role(nodes[ls.b].r) == RAFT_FOLLOWER || (raft_role(nodes[ls.b].r) == RAFT_PRECANDIDATE && now % 8 == 0)))
            replica_campaign(nodes[ls.b].rep);
        if (chance(80)) invoke_read(ls.lead);
        break;
    }
    return ls.phase != 0;
}

/* Held links: one link, or all links out of or into one node, hold what
 * they carry for up to 30 steps and deliver it 20 to 200 steps later. */
static void hold_links(void) {
    if (!hold_pml || (int)(rnd() % 1000) >= hold_pml) return;
    int a = (int)(rnd() % (uint64_t)N), b = (int)(rnd() % (uint64_t)N), kind = (int)(rnd() % 3);
    long until = now + 1 + (long)(rnd() % 30), release = until + 20 + (long)(rnd() % 180);
    for (int x = 0; x < N; x++)
        for (int y = 0; y < N; y++) {
            if (x == y || hold_until[x][y] > now) continue;
            if (kind == 0 ? x != a || y != b : kind == 1 ? x != a : y != a) continue;
            hold_until[x][y] = until;
            hold_release[x][y] = release;
        }
    st_hold_links++;
}

/* Ticks due to slot i this step: rate8[i]/8 on average. */
static int ticks_due(int i) {
    tick_acc[i] += rate8[i];
    int t = tick_acc[i] / 8;
    tick_acc[i] %= 8;
    return t;
}

static void step_world(int faults, uint64_t *proposals, int propose) {
    now++;
    faulting = faults;
    for (int i = 0; i < N; i++)
        if (restart_at[i] && restart_at[i] <= now) {
            restart_at[i] = 0;
            if (!nodes[i].up && nodes[i].provisioned) restart(i, faults);
        }
    for (int i = 0; i < N; i++) {
        if (!nodes[i].up || paused(i)) continue;
        for (int k = 0; k < N; k++)
            if (snap_failed[i][k]) { snap_failed[i][k] = 0; replica_image_failed(nodes[i].rep, (uint64_t)k + 1); }
            else if (snap_sent[i][k]) { replica_image_sent(nodes[i].rep, (uint64_t)k + 1, snap_sent[i][k]); snap_sent[i][k] = 0; }
        if (now >= stall_until[i]) complete_writes(i);  /* a stalled disk completes nothing */
        if (!nodes[i].up) continue;  /* its write failed */
        if (nodes[i].sm_behind) {
            nodes[i].sm_behind = 0;
            replica_sm_progress(nodes[i].rep);
            process(i);
        }
        for (int t = ticks_due(i); t > 0 && nodes[i].up; t--) {
            replica_tick(nodes[i].rep);
            process(i);
        }
        check_commits();
    }
    /* forwarded reads and raft messages race, as on two TCP connections */
    int fwd_first = chance(50);
    if (fwd_first) deliver_forwards();
    deliver();
    if (!fwd_first) deliver_forwards();
    if (chance(20)) invoke_read((int)(rnd() % (uint64_t)N));
    int l = leader();
    for (int i = -1; i < N; i++) {
        /* the leader of the latest term; and, as their clients keep
         * writing to them until they step down, older leaders that believe
         * they still lead: their logs grow tails that must never commit */
        int w = i < 0 ? l : i;
        if (w < 0 || (i >= 0 && (i == l || !faults || !nodes[i].up || raft_role(nodes[i].r) != RAFT_LEADER)))
            continue;
        int pct = i < 0 ? 15 : ch.running ? 30 : stale_write_pct;
        if (paused(w) || !propose || !pct || !chance(pct)) continue;
        st_stale_writes += i >= 0;
        /* a burst, as a leader gets from many clients in one loop iteration */
        for (int b = 1 + (int)(rnd() % 4); b > 0; b--) {
            char data[48];
            int len = snprintf(data, sizeof(data), "p%llu@%llu", (unsigned long long)++*proposals,
                               (unsigned long long)replica_time(nodes[w].rep));
            replica_propose(nodes[w].rep, data, (size_t)len);
        }
        process(w);
    }
    check_commits();
    check_configs();
    repair();
    if (!faults) return;
    hold_links();
    if (stall_pml && (int)(rnd() % 1000) < stall_pml) {
        int x = leader();
        if (x < 0 || chance(40)) x = (int)(rnd() % (uint64_t)N);
        stall_until[x] = now + 3 + (long)(rnd() % 40);
        st_stalls++;
    }
    if (zombie_step() || churn_step() || lease_step()) {
        check_stopping();
        check_log_matching();
        return;
    }
    if ((int)(rnd() % 1000) < member_pml) membership_op();
    check_stopping();
    if ((int)(rnd() % 1000) < crash_pml / 3) {  /* SIGTERM rather than kill -9: the leader mostly */
        int l3 = leader();
        ask_to_stop(l3 >= 0 && chance(70) ? l3 : (int)(rnd() % (uint64_t)N));
    }
    int x = (int)(rnd() % (uint64_t)N);
    int l2 = leader();
    if (l2 >= 0 && (int)(rnd() % 1000) < crash_pml) crash(l2);                  /* leaders die most */
    else if (l2 >= 0 && (int)(rnd() % 1000) < pause_pml) paused_until[l2] = now + 1 + (long)(rnd() % 40);
    else if ((int)(rnd() % 1000) < crash_pml && nodes[x].up) crash(x);
    else if (chance(5) && !nodes[x].up && nodes[x].provisioned) restart(x, 1);
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
    buf t;
    buf_init(&t);
    members_format(&gconf, &t);
    printf("committed configuration (index %llu): %.*s\n", (unsigned long long)gconf_index, (int)t.len, t.data ? t.data : "");
    for (int i = 0; i < N; i++) {
        raft *r = nodes[i].r;
        if (!r) { printf("node %d: %s\n", i + 1, nodes[i].provisioned ? "down" : "spare"); continue; }
        t.len = 0;
        members_format(raft_members(r), &t);
        printf("node %d: role %d term %llu lead %llu commit %llu last %llu applied %llu writing %d idle %d full %d conf %.*s (at %llu)\n",
               i + 1, raft_role(r), (unsigned long long)raft_term(r), (unsigned long long)raft_leader(r),
               (unsigned long long)raft_commit_index(r), (unsigned long long)raft_last_index(r),
               (unsigned long long)nodes[i].applied, nodes[i].writing, replica_idle(nodes[i].rep), replica_disk_full(nodes[i].rep), (int)t.len, t.data ? t.data : "",
               (unsigned long long)raft_conf_index(r));
        if (nodes[i].writing) printf("  write at %ld (now %ld) ne %zu\n", nodes[i].w.at, now, nodes[i].w.ne);
        if (raft_role(r) != RAFT_LEADER) continue;
        for (int k = 0; k < N; k++) {
            raft_peer_info p;
            if (raft_peer(r, (uint64_t)k + 1, &p))
                printf("  peer %d: match %llu next %llu inflight %d probe %d voter %d departing %d\n", k + 1,
                       (unsigned long long)p.match, (unsigned long long)p.next, p.inflight, p.probe, p.voter,
                       p.departing);
        }
    }
    buf_free(&t);
}

static void run_seed(uint64_t s, int steps) {
    seed = s;
    rng = s * 0x9e3779b97f4a7c15ULL | 1;
    N = MAXN;
    int k0 = (int)(rnd() % 20), founders = k0 < 2 ? 1 : k0 < 11 ? 3 : 5;
    memset(nodes, 0, sizeof(nodes));
    memset(part, 0, sizeof(part));
    memset(oneway, 0, sizeof(oneway));
    memset(paused_until, 0, sizeof(paused_until));
    memset(leader_of_term, 0, sizeof(leader_of_term));
    memset(vote_in, 0, sizeof(vote_in));
    memset(applied_term, 0, sizeof(applied_term));
    memset(time_upto, 0, sizeof(time_upto));
    memset(chain_at, 0, sizeof(chain_at));
    memset(snap_failed, 0, sizeof(snap_failed));
    memset(snap_sent, 0, sizeof(snap_sent));
    memset(corrupt, 0, sizeof(corrupt));
    memset(retired, 0, sizeof(retired));
    memset(repair_removing, 0, sizeof(repair_removing));
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
    enospc_pml = chance(60) ? 0 : (int)(rnd() % 20);
    member_pml = chance(15) ? 0 : 10 + (int)(rnd() % 30);
    promote_gap = chance(50) ? 0 : 1 + rnd() % 20;
    fsync_fail_ppm = chance(40) ? 0 : (int)(rnd() % 20000);
    torn_pct = chance(20) ? 0 : (int)(rnd() % 101);
    corrupt_pct = chance(40) ? 0 : 1 + (int)(rnd() % 15);
    /* the scenarios that widen the windows of unsafe reads */
    draw_wall_offsets(seed);
    last_time = last_read_time = 0;
    skewed = chance(40);
    lease_on = chance(50);
    cache_on = chance(50);
    st_skewed_seeds += skewed;
    for (int i = 0; i < MAXN; i++) {
        rate8[i] = skewed ? 5 + (int)(rnd() % 8) : 8;
        tick_acc[i] = skewed ? (int)(rnd() % 8) : 0;
    }
    hold_pml = chance(40) ? 0 : 3 + (int)(rnd() % 15);
    straggle_pml = chance(50) ? 0 : 1 + (int)(rnd() % 40);
    stall_pml = chance(40) ? 0 : 2 + (int)(rnd() % 20);
    memset(stall_until, 0, sizeof(stall_until));
    zombie_pml = chance(30) ? 0 : 2 + (int)(rnd() % 10);
    crash_after_pdm = chance(40) ? 0 : 20 + (int)(rnd() % 1000);
    stale_write_pct = chance(50) ? 0 : 15;
    churn_pml = chance(30) ? 0 : 2 + (int)(rnd() % 8);
    lease_pml = chance(20) ? 0 : 3 + (int)(rnd() % 10);
    memset(&ch, 0, sizeof(ch));
    memset(&ls, 0, sizeof(ls));
    memset(restart_at, 0, sizeof(restart_at));
    memset(hold_until, 0, sizeof(hold_until));
    memset(hold_release, 0, sizeof(hold_release));
    memset(&zb, 0, sizeof(zb));
    memset(commit_term, 0, sizeof(commit_term));
    memset(commit_of, 0, sizeof(commit_of));
    memset(commit_seen, 0, sizeof(commit_seen));
    memset(led_term, 0, sizeof(led_term));
    committed_max = max_leader_term = 0;
    /* the founders start with their configuration; spares wait to be added */
    char founding[CONFLEN] = "";
    for (int i = 0; i < founders; i++)
        snprintf(founding + strlen(founding), CONFLEN - strlen(founding), "%s%d", i ? "," : "", i + 1);
    parse(founding, strlen(founding), &gconf);
    founding_conf = gconf;
    gconf_index = 0;
    nhist = 0;
    max_commit = 0;
    for (int i = 0; i < founders; i++) {
        provision(i, founding);
        start_node(i);
    }
    uint64_t proposals = 0;
    long before = violations;
    seed_violations = 0;
    for (int k = 0; k < steps && violations == before; k++) step_world(1, &proposals, 1);
    stopping = -1;
    faulting = 0;
    /* heal everything (every node that has a disk runs) and require progress */
    for (int i = 0; i < N; i++) { part[i] = 0; if (!nodes[i].up && nodes[i].provisioned) restart(i, 0); }
    memset(oneway, 0, sizeof(oneway));
    memset(paused_until, 0, sizeof(paused_until));
    memset(hold_until, 0, sizeof(hold_until));  /* what is held still arrives, late */
    memset(stall_until, 0, sizeof(stall_until));
    straggle_pml = 0;
    memset(&zb, 0, sizeof(zb));
    memset(&ch, 0, sizeof(ch));
    /* a healed network behaves like the TCP links of a real cluster */
    loss_pct = dup_pct = reorder_pct = delay_max = 0;
    uint64_t before_heal = max_applied;
    /* the bound allows a follower with a tiny window to work off a backlog:
     * in a long run a leader cut off for long may hold thousands of
     * uncommitted entries a follower must take before anything of the new
     * term commits (4 ticks an entry is slower than the slowest window) */
    uint64_t backlog = 0;
    for (int i = 0; i < N; i++)
        if (nodes[i].up && raft_last_index(nodes[i].r) > max_applied + backlog)
            backlog = raft_last_index(nodes[i].r) - max_applied;
    long bound = 1500 + 4 * (long)backlog;
    for (long k = 0; k < bound && max_applied <= before_heal; k++) step_world(0, &proposals, 1);
    if (max_applied <= before_heal) dump();
    CHECKMSG(max_applied > before_heal, "seed %llu: nothing committed within %ld ticks of healing",
             (unsigned long long)s, bound);
    for (int k = 0; k < 100; k++) step_world(0, &proposals, 1);
    /* then quiesce: every member must catch up with everything committed
     * (removed nodes stop where their removal left them) */
    int all = 0;
    uint64_t behind = 0;  /* the furthest behind takes it all by appends if no image is made */
    for (int i = 0; i < N; i++)
        if (nodes[i].up && max_applied - nodes[i].applied > behind) behind = max_applied - nodes[i].applied;
    long qbound = 2000 + 4 * (long)behind;
    for (long k = 0; k < qbound && !all; k++) {
        step_world(0, &proposals, 0);
        int l = leader();
        const members *fin = l >= 0 ? raft_members(nodes[l].r) : &gconf;
        all = 1;
        for (int j = 0; j < fin->n; j++) {
            int i = (int)fin->m[j].id - 1;
            all &= nodes[i].up && nodes[i].applied == max_applied;
        }
    }
    if (!all) dump();
    CHECKMSG(all, "seed %llu: a node did not catch up within %ld ticks after healing (committed %llu)",
             (unsigned long long)s, qbound, (unsigned long long)max_applied);
    uint64_t terms = 0;
    for (int i = 0; i < N; i++) if (nodes[i].up && raft_term(nodes[i].r) > terms) terms = raft_term(nodes[i].r);
    total_applied += max_applied;
    total_terms += terms;
    CHECKMSG(violations == before, "seed %llu: %ld safety violations", (unsigned long long)s, violations - before);
    if (!all || violations != before)
        printf("replay: build/sim_raft %llu 1 %d   (SIM_TRACE=<tick> prints every message after that tick)\n",
               (unsigned long long)s, steps);
    for (int i = 0; i < N; i++) {
        if (nodes[i].up) crash_ex(i, LOSE_ALL);
        for (size_t k = 0; k < nodes[i].d.n; k++) free(nodes[i].d.log[k].data);
        free(nodes[i].d.log);
    }
    for (size_t k = 0; k < nnet; k++) free_msg(&net[k].m);
    nnet = 0;
}

int main(int argc, char **argv) {
    uint64_t first = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    int seeds = argc > 2 ? atoi(argv[2]) : 200;
    int steps = argc > 3 ? atoi(argv[3]) : 2000;
    /* SIM_FIRST_FAIL (tests/mutate.sh): name each seed as it starts (a
     * crash then says where) and stop after the first that fails */
    int first_fail = getenv("SIM_FIRST_FAIL") != NULL;
    net = malloc(sizeof(simmsg) * MAXMSG);
    log_level = LL_WARNING + 1;  /* the replica's own log lines: SIM_TRACE tells the story */
    for (int s = 0; s < seeds; s++) {
        if (first_fail) fprintf(stderr, "sim: seed %llu\n", (unsigned long long)(first + (uint64_t)s));
        run_seed(first + (uint64_t)s, steps);
        if (first_fail && t_fail) break;
    }
    free(net);
    printf("sim seeds %llu..%llu, %d steps each: %llu entries applied, %llu terms, %llu reads confirmed (%llu vouched, %llu by a lease), "
           "%llu snapshots taken, %llu installed; membership: %llu operations (%llu refused), %lld configurations "
           "proposed, committed: %llu adds, %llu promotions, %llu removals (%llu of the leader); %lld transfers, "
           "%lld elections by TIMEOUT_NOW, %lld by timeout\n",
           (unsigned long long)first, (unsigned long long)(first + (uint64_t)seeds - 1), steps,
           (unsigned long long)total_applied, (unsigned long long)total_terms, (unsigned long long)reads_confirmed,
           (unsigned long long)reads_vouched, (unsigned long long)reads_leased, (unsigned long long)snaps_taken, (unsigned long long)snaps_installed,
           (unsigned long long)st_ops, (unsigned long long)st_refused, st_proposed, (unsigned long long)st_adds,
           (unsigned long long)st_promotions, (unsigned long long)st_removals, (unsigned long long)st_leader_removals,
           st_transfers, st_transfer_elections, st_timeout_elections);
    printf("sim: %llu graceful stops (%llu leaders handed over first); %llu new nodes joined by an image; %llu leaders elected while their own removal was pending (4.2.2), "
           "%llu of them after it had committed\n", (unsigned long long)st_stops, (unsigned long long)st_stops_handed_over,
           (unsigned long long)st_joins_by_image,
           (unsigned long long)st_nonvoting_leaders, (unsigned long long)st_nonvoting_after_commit);
    printf("sim: disk faults: %llu failed fsyncs (the node stopped, nothing acknowledged); %llu crashes left part of "
           "what was not synced (%llu writes cut short, %llu truncations cut short, %llu unsynced entries survived); "
           "%llu logs damaged mid-way (%llu refused starts), %llu of those nodes removed, %llu wiped (their ids retired)\n",
           (unsigned long long)st_fsync_failures, (unsigned long long)st_torn_crashes, (unsigned long long)st_torn_writes,
           (unsigned long long)st_torn_truncations, (unsigned long long)st_torn_entries, (unsigned long long)st_corrupt,
           (unsigned long long)st_corrupt_refusals, (unsigned long long)st_corrupt_removals, (unsigned long long)st_wipes);
    printf("sim: the real glue: %llu log writes refused for want of space (retried)\n", (unsigned long long)st_enospc);
    printf("sim: read windows: %llu zombie leaders paused across a partition or held links (%llu resumed still leading), "
           "%llu reads at a deposed leader, %llu forwarded to one with its old term; %llu links held "
           "(%llu messages and %llu forwarded reads released late), %llu single messages late; "
           "%llu seeds with skewed timers\n",
           (unsigned long long)st_zombies, (unsigned long long)st_zombies_leading, (unsigned long long)st_deposed_reads,
           (unsigned long long)st_deposed_fwd_reads, (unsigned long long)st_hold_links, (unsigned long long)st_held_msgs,
           (unsigned long long)st_held_reads, (unsigned long long)st_stragglers, (unsigned long long)st_skewed_seeds);
    printf("sim: write windows: %llu leader churns (%llu new leaders cut off), %llu write bursts to a leader of an older "
           "term; %llu crashes right after a message that makes a node write (restarted soon); %llu disk stalls\n",
           (unsigned long long)st_churns, (unsigned long long)st_churn_cuts, (unsigned long long)st_stale_writes,
           (unsigned long long)st_quick_crashes, (unsigned long long)st_stalls);
    CHECKMSG(reads_confirmed > 0 && reads_vouched > 0, "reads were exercised");
    printf("sim: lease windows: %llu leaders cut off, %llu hand-overs, %llu followers restarted under a lease\n",
           (unsigned long long)st_lease_windows[LS_CUT], (unsigned long long)st_lease_windows[LS_TRANSFER],
           (unsigned long long)st_lease_windows[LS_RESTART]);
    if (seeds >= 20) CHECKMSG(reads_leased > 0, "lease reads were exercised");
    if (seeds >= 50)
        CHECKMSG(st_lease_windows[LS_CUT] && st_lease_windows[LS_TRANSFER] && st_lease_windows[LS_RESTART],
                 "every lease window was exercised");
    CHECKMSG(snaps_taken > 0 && snaps_installed > 0, "snapshots were taken and installed");
    printf("sim: entry caches: %ld appends read entries back from the disk (%ld read-backs failed: images sent; "
           "%ld dropped on a congested link instead)\n", loads, load_failures, congested);
    if (seeds >= 20)
        CHECKMSG(loads > load_failures && load_failures > 0 && congested > 0, "appends read evicted entries back");
    if (seeds >= 50)
        CHECKMSG(st_adds && st_promotions && st_removals && st_leader_removals && st_transfer_elections && st_joins_by_image,
                 "membership changes and transfers were exercised");
    if (seeds >= 50)
        CHECKMSG(st_fsync_failures && st_torn_writes && st_torn_entries && st_corrupt && st_corrupt_removals && st_wipes &&
                     st_enospc,
                 "disk faults were exercised");
    if (seeds >= 50)
        CHECKMSG(st_zombies && st_zombies_leading && st_deposed_reads && st_deposed_fwd_reads && st_hold_links &&
                 st_held_msgs && st_held_reads && st_stragglers && st_skewed_seeds,
                 "zombie leaders, held links and skewed timers were exercised");
    if (seeds >= 50)
        CHECKMSG(st_churn_cuts && st_stale_writes && st_quick_crashes && st_stalls,
                 "leader churn, stale writes, crashes after a message and disk stalls were exercised");
    return test_summary("sim");
}
