#include "raft.h"
#include "blob.h"
#include "buf.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Per-follower replication state (dissertation 3.5, 10.2): probing sends one
 * AppendEntries at a time until a match is found; replicating pipelines up
 * to max_inflight. */
typedef struct progress {
    uint64_t id, match, next;
    int probe;
    int inflight;         /* non-empty appends outstanding... */
    int infl_head;
    uint64_t infl[RAFT_MAX_INFLIGHT];  /* ...ring of their last indexes */
    int stall;            /* ticks with appends outstanding and none acked */
    int active;           /* heard from in this check-quorum period */
    int recent;           /* ...or in the one before */
    int vote;             /* 0 none, 1 granted, -1 rejected */
    int snap;             /* needs a snapshot: appends wait until it lands */
    uint64_t read_ack;    /* highest read round acknowledged this term */
    int voter;            /* counts in elections and commits; else a learner... */
    int departing;        /* ...or removed, still told so until depart_ticks run out */
    uint64_t depart_index;
    int depart_ticks;
} progress;

/* Appends in flight to a follower whose entries are read back from disk. */
#define DISK_INFLIGHT 4

/* Room for a full configuration and the members it just removed. */
#define MAX_PR (RAFT_MAX_NODES * 2)

typedef struct msgvec { raft_msg *v; size_t n, cap; } msgvec;
/* Arrays of entries (with their blobs) that live until the next ready. */
typedef struct msgvec_ents { raft_entry **v; size_t *len; size_t n, cap; } msgvec_ents;

struct raft {
    raft_config cfg;
    int role;
    uint64_t term, vote, lead;
    raft_entry *log;      /* log[i] has index snap_index+1+i */
    size_t nlog, logcap;
    size_t cached;        /* data bytes the log holds (cache_bytes bounds those evict() may drop) */
    uint64_t evict_next;  /* entries before it that may go have gone (data NULL) */
    uint64_t loaded;      /* entries load() read back */
    msgvec_ents lent;     /* entries loaded for the last ready's appends, released at the next */
    uint64_t snap_index, snap_term;  /* compacted away up to here */
    int installed;        /* raft_install_snapshot: the last step accepted one */
    uint64_t commit;
    uint64_t stable;      /* durable locally */
    uint64_t unstable;    /* first index not yet handed out for persisting */
    uint64_t applied_out; /* last index handed out to apply */
    uint64_t term_start;  /* leader: index of this term's first entry */
    int hard_dirty;
    int elapsed, hb_elapsed, timeout;
    int heard_ticks;      /* ticks since a leader was heard, up to election_ticks; a term change keeps it */
    int handed_over;      /* leader: began a transfer this term, so no lease */
    uint64_t rng;
    uint64_t read_round;
    uint64_t confirmed_round;
    progress pr[MAX_PR];  /* every member, this node included if it is one */
    int npr;
    members conf;         /* in force: the latest configuration in the log */
    uint64_t conf_index;  /* its entry (<= snap_index: from the snapshot) */
    members snap_conf;    /* the configuration at snap_index */
    uint64_t conf_version;
    uint64_t transferee;  /* leader: handing over to it; no proposals meanwhile */
    int unsynced_lead;    /* leader by its own vote alone, not yet durable: silent until it is */
    int transfer_ticks, timeout_now_sent;
    uint64_t timeout_now_to;  /* TIMEOUT_NOW goes to it at the next tick */
    raft_stats stats;
    msgvec now, after;
    msgvec out_now, out_after;   /* handed out by the last raft_ready_get */
};

static uint64_t rnd(raft *r) {
    r->rng ^= r->rng << 13;
    r->rng ^= r->rng >> 7;
    r->rng ^= r->rng << 17;
    return r->rng;
}

static void reset_timeout(raft *r) {
    r->elapsed = 0;
    r->timeout = r->cfg.election_ticks + (int)(rnd(r) % (uint64_t)r->cfg.election_ticks);
}

static int quorum(const raft *r) { return members_voters(&r->conf) / 2 + 1; }
static int self_voter(const raft *r) { return members_is_voter(&r->conf, r->cfg.id); }
uint64_t raft_last_index(const raft *r) { return r->snap_index + r->nlog; }
/* Entry at index i, which must be in (snap_index, last]. */
static raft_entry *at(const raft *r, uint64_t i) { return &r->log[i - r->snap_index - 1]; }
/* 0 when unknown: before the snapshot point or past the end. */
static uint64_t term_at(const raft *r, uint64_t i) {
    if (i == r->snap_index) return r->snap_term;
    return i < r->snap_index || i > raft_last_index(r) ? 0 : at(r, i)->term;
}
static uint64_t last_term(const raft *r) { return term_at(r, raft_last_index(r)); }

static progress *find_pr(raft *r, uint64_t id) {
    for (int i = 0; i < r->npr; i++)
        if (r->pr[i].id == id) return &r->pr[i];
    return NULL;
}

static void push(msgvec *q, const raft_msg *m) {
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 16;
        q->v = xrealloc(q->v, sizeof(raft_msg) * q->cap);
    }
    q->v[q->n++] = *m;
}

static void send(raft *r, raft_msg m, int after) {
    m.from = r->cfg.id;
    if (!m.term) m.term = r->term;
    if (r->unsynced_lead && (m.type == MSG_APPEND || m.type == MSG_HEARTBEAT || m.type == MSG_TIMEOUT_NOW))
        return;  /* not a leader to anyone before its vote is durable: see campaign() */
    push(after ? &r->after : &r->now, &m);
}

/* ---- configuration ---- */

static progress *find_pr(raft *r, uint64_t id);

/* The progress array follows the configuration: kept for members that
 * stay, fresh for new ones. A leader keeps a removed member a while as
 * departing, so that it learns of its removal and stops. */
static void rebuild_progress(raft *r, uint64_t index) {
    progress old[MAX_PR];
    int nold = r->npr;
    memcpy(old, r->pr, sizeof(progress) * (size_t)nold);
    r->npr = 0;
    for (int i = 0; i < r->conf.n; i++) {
        const cluster_member *m = &r->conf.m[i];
        progress *p = &r->pr[r->npr++];
        int k = 0;
        while (k < nold && old[k].id != m->id) k++;
        /* a departing record is of the node as it was: added back, it may
         * be a wiped one, and its old match must not count or promote it */
        if (k < nold && !old[k].departing) {
            *p = old[k];
        } else {
            memset(p, 0, sizeof(*p));
            p->id = m->id;
            p->next = raft_last_index(r) + 1;
            p->probe = 1;
            p->active = 1;
        }
        p->voter = !m->learner;
        p->departing = 0;
    }
    for (int k = 0; r->role == RAFT_LEADER && k < nold && r->npr < MAX_PR; k++) {
        if (old[k].id == r->cfg.id || members_get(&r->conf, old[k].id)) continue;
        progress *p = &r->pr[r->npr++];
        *p = old[k];
        p->voter = 0;
        if (!p->departing) {
            p->departing = 1;
            p->depart_index = index;
            p->depart_ticks = 0;
        }
    }
    r->conf_version++;
}

static void set_conf(raft *r, const members *c, uint64_t index) {
    r->conf = *c;
    r->conf_index = index;
    rebuild_progress(r, index);
    if (r->transferee && !members_is_voter(c, r->transferee)) r->transferee = 0;
}

static int parse_conf(const raft_entry *e, members *out) {
    char err[160];
    return members_parse(e->data, e->len, out, err, sizeof(err));
}

static void conf_from_entry(raft *r, const raft_entry *e) {
    members c;
    if (parse_conf(e, &c) == 0) set_conf(r, &c, e->index);
}

/* Appends an entry whose data is a blob the log now holds a reference to. */
static void append_blob(raft *r, uint64_t term, int type, char *data, size_t len) {
    if (r->nlog == r->logcap) {
        r->logcap = r->logcap ? r->logcap * 2 : 16;
        r->log = xrealloc(r->log, sizeof(raft_entry) * r->logcap);
    }
    raft_entry *e = &r->log[r->nlog++];
    e->term = term;
    e->index = raft_last_index(r);
    e->type = type;
    e->len = len;
    e->data = data;
    if (data) r->cached += len;
    if (type == RAFT_ENTRY_CONFIG) conf_from_entry(r, e);
}

static void append_entry(raft *r, uint64_t term, int type, const char *data, size_t len) {
    append_blob(r, term, type, blob_copy(data, len), len);
}

/* The log gives up an entry's data. */
static void drop_data(raft *r, raft_entry *e) {
    if (!e->data) return;
    r->cached -= e->len;
    blob_release(e->data);
    e->data = NULL;
}

/* The configuration in force: the last CONFIG entry in the log, else the
 * snapshot's. */
static void latest_conf(raft *r) {
    for (uint64_t i = raft_last_index(r); i > r->snap_index; i--) {
        members c;
        if (at(r, i)->type == RAFT_ENTRY_CONFIG && parse_conf(at(r, i), &c) == 0) {
            set_conf(r, &c, i);
            return;
        }
    }
    set_conf(r, &r->snap_conf, r->snap_index);
}

/* Drops entries from index on; only uncommitted ones may go (3.5). */
static void truncate_from(raft *r, uint64_t index) {
    assert(index > r->commit);
    while (raft_last_index(r) >= index) drop_data(r, &r->log[--r->nlog]);
    if (r->unstable > index) r->unstable = index;
    if (r->stable >= index) r->stable = index - 1;
    if (r->conf_index >= index) latest_conf(r);
}

raft *raft_new(const raft_config *cfg, uint64_t term, uint64_t vote, const raft_entry *log, size_t nlog) {
    return raft_new_at(cfg, term, vote, 0, 0, log, nlog);
}

raft *raft_new_at(const raft_config *cfg, uint64_t term, uint64_t vote, uint64_t applied, uint64_t applied_term,
                  const raft_entry *log, size_t nlog) {
    raft *r = xmalloc(sizeof(*r));
    memset(r, 0, sizeof(*r));
    r->cfg = *cfg;
    if (r->cfg.election_ticks < 2) r->cfg.election_ticks = 10;
    if (r->cfg.heartbeat_ticks < 1) r->cfg.heartbeat_ticks = 1;
    if (!r->cfg.max_msg_entries) r->cfg.max_msg_entries = 256;
    if (!r->cfg.max_msg_bytes) r->cfg.max_msg_bytes = 1 << 20;
    if (r->cfg.max_inflight < 1) r->cfg.max_inflight = 64;
    if (r->cfg.max_inflight > RAFT_MAX_INFLIGHT) r->cfg.max_inflight = RAFT_MAX_INFLIGHT;
    r->rng = cfg->seed ? cfg->seed : 0x9e3779b97f4a7c15ULL ^ cfg->id;
    r->term = term;
    r->vote = vote;
    /* boot_quiet: as if a leader had just been heard */
    r->heard_ticks = cfg->boot_quiet ? 0 : r->cfg.election_ticks;
    r->cfg.conf = NULL;  /* not kept: the caller's */
    char err[160];
    if (!cfg->conf || members_parse(cfg->conf, cfg->conf_len, &r->snap_conf, err, sizeof(err)) < 0) {
        r->snap_conf.n = r->snap_conf.nretired = 0;
        for (int i = 0; i < cfg->npeers; i++) {
            cluster_member m = {0};
            m.id = cfg->peers[i];
            members_add(&r->snap_conf, &m);
        }
    }
    /* The log begins after the state machine's point, or overlaps it: then
     * its first entry becomes the boundary (its term is what matters). */
    size_t skip = 0;
    assert(!nlog || log[0].index <= applied + 1);
    if (nlog && log[0].index <= applied) {
        r->snap_index = log[0].index;
        r->snap_term = log[0].term;
        skip = 1;
    } else {
        r->snap_index = applied;
        r->snap_term = applied_term;
    }
    for (size_t i = skip; i < nlog; i++) {
        assert(log[i].index == r->snap_index + 1 + (i - skip));
        assert(log[i].data || !log[i].len || log[i].index <= applied);  /* what is to apply comes whole */
        /* without its data: the cache let it go (appends read it back) */
        int gone = !log[i].data && log[i].len;
        append_blob(r, log[i].term, log[i].type, gone ? NULL : blob_copy(log[i].data, log[i].len), log[i].len);
        if (gone) r->evict_next = log[i].index + 1;
    }
    assert(applied <= raft_last_index(r) && term_at(r, applied) == applied_term);
    r->commit = r->applied_out = applied;
    r->stable = raft_last_index(r);
    r->unstable = raft_last_index(r) + 1;
    r->role = RAFT_FOLLOWER;
    latest_conf(r);
    reset_timeout(r);
    return r;
}

static void release_loaded(raft *r);

void raft_free(raft *r) {
    if (!r) return;
    for (size_t i = 0; i < r->nlog; i++) blob_release(r->log[i].data);
    free(r->log);
    release_loaded(r);
    free(r->lent.v);
    free(r->lent.len);
    free(r->now.v);
    free(r->after.v);
    free(r->out_now.v);
    free(r->out_after.v);
    free(r);
}

/* Only a leader tells removed members of their removal. */
static void forget_departing(raft *r) {
    int keep = 0;
    for (int i = 0; i < r->npr; i++)
        if (!r->pr[i].departing) r->pr[keep++] = r->pr[i];
    if (keep != r->npr) r->conf_version++;
    r->npr = keep;
}

static void become_follower(raft *r, uint64_t term, uint64_t lead) {
    if (term != r->term) {
        r->timeout_now_to = 0;  /* a hand-over belongs to its term */
        r->term = term;
        r->vote = 0;
        r->hard_dirty = 1;
    }
    r->role = RAFT_FOLLOWER;
    r->lead = lead;
    r->transferee = 0;
    r->unsynced_lead = 0;
    forget_departing(r);
    reset_timeout(r);
}

static int log_ok(const raft *r, uint64_t idx, uint64_t trm) {
    /* 5.4.1: the candidate's log is at least as up to date as ours */
    return trm > last_term(r) || (trm == last_term(r) && idx >= raft_last_index(r));
}

/* ---- replication (leader) ---- */

/* Asks the glue for a transfer of the state machine's image to p;
 * appends to it wait until that lands. */
static void send_image(raft *r, progress *p) {
    raft_msg m = {0};
    m.type = MSG_SNAPSHOT;
    m.to = p->id;
    m.index = r->snap_index;
    m.log_term = r->snap_term;
    send(r, m, 0);
    p->snap = 1;
    p->inflight = 0;
}

/* Sends the next batch to p; 1 if it sent entries. */
static int send_append(raft *r, progress *p, int even_empty) {
    /* a leader before its vote is durable sends nothing (see send()), and
     * counts nothing in flight: raft_persisted() probes everyone afresh */
    if (p->id == r->cfg.id || p->snap || r->unsynced_lead) return 0;
    /* fed from the disk, a follower gets few appends in flight: each read
     * back is work on the caller's loop */
    int window = p->next < r->evict_next ? DISK_INFLIGHT : r->cfg.max_inflight;
    if (p->probe ? p->inflight > 0 : p->inflight >= window) return 0;
    uint64_t last = raft_last_index(r);
    if (p->next > last + 1) p->next = last + 1;
    if (p->next <= r->snap_index) {  /* what it needs was compacted away */
        send_image(r, p);
        return 0;
    }
    size_t n = (size_t)(last + 1 - p->next), bytes = 0;
    if (n > r->cfg.max_msg_entries) n = r->cfg.max_msg_entries;
    for (size_t k = 0; k < n; k++) {
        bytes += at(r, p->next + k)->len;
        if (bytes > r->cfg.max_msg_bytes && k > 0) { n = k; break; }
    }
    if (!n && !even_empty) return 0;
    raft_msg m = {0};
    m.type = MSG_APPEND;
    m.to = p->id;
    m.index = p->next - 1;
    m.log_term = term_at(r, m.index);
    m.commit = r->commit;
    m.entries = NULL;  /* resolved in raft_ready_get(): the log may move */
    m.nentries = n;
    send(r, m, 0);
    if (n) {
        p->infl[(p->infl_head + p->inflight++) % RAFT_MAX_INFLIGHT] = p->next + n - 1;
        if (!p->probe) p->next += n;  /* optimistic: pipeline the next batch */
    }
    return n > 0;
}

/* An ack up to index retires every append ending at or before it; counting
 * by index keeps duplicated and stale acks from skewing the window. */
static void free_inflight(progress *p, uint64_t index) {
    while (p->inflight && p->infl[p->infl_head] <= index) {
        p->infl_head = (p->infl_head + 1) % RAFT_MAX_INFLIGHT;
        p->inflight--;
    }
}

static void probe_again(raft *r, progress *p) {
    p->probe = 1;
    p->snap = 0;
    p->inflight = 0;
    p->stall = 0;
    p->next = p->match + 1;
    send_append(r, p, 1);
}

static void broadcast_append(raft *r, int even_empty) {
    for (int i = 0; i < r->npr; i++) send_append(r, &r->pr[i], even_empty);
}

static void broadcast_heartbeat(raft *r) {
    for (int i = 0; i < r->npr; i++) {
        progress *p = &r->pr[i];
        if (p->id == r->cfg.id) continue;
        raft_msg m = {0};
        m.type = MSG_HEARTBEAT;
        m.to = p->id;
        m.commit = p->match < r->commit ? p->match : r->commit;  /* never past what it holds */
        m.context = r->read_round;
        send(r, m, 0);
    }
}

/* The value a quorum of voters has reached: the quorum-th highest. */
static uint64_t quorum_value(raft *r, uint64_t self_value, int reads) {
    uint64_t v[MAX_PR];
    int n = 0;
    for (int i = 0; i < r->npr; i++) {
        const progress *p = &r->pr[i];
        if (!p->voter) continue;
        v[n++] = p->id == r->cfg.id ? self_value : reads ? p->read_ack : p->match;
    }
    for (int i = 1; i < n; i++)  /* insertion sort, descending */
        for (int j = i; j > 0 && v[j] > v[j - 1]; j--) { uint64_t t = v[j]; v[j] = v[j - 1]; v[j - 1] = t; }
    return n >= quorum(r) ? v[quorum(r) - 1] : 0;
}

/* TIMEOUT_NOW waits for the next tick: whatever this step produced
 * (replies to the requests that caused the hand-over) goes out before the
 * election it starts. */
static void send_timeout_now(raft *r, progress *p) {
    r->handed_over = 1;
    r->timeout_now_to = p->id;
    r->timeout_now_sent = 1;
}

static void flush_timeout_now(raft *r) {
    if (!r->timeout_now_to) return;
    raft_msg m = {0};
    m.type = MSG_TIMEOUT_NOW;
    m.to = r->timeout_now_to;
    send(r, m, 0);
    r->timeout_now_to = 0;
}

/* The most up-to-date other voter (NULL if none), among those heard from
 * in the last two check-quorum periods if any is. */
static progress *best_voter(raft *r) {
    progress *best = NULL;
    for (int i = 0; i < r->npr; i++) {
        progress *p = &r->pr[i];
        if (!p->voter || p->id == r->cfg.id) continue;
        /* one heard from in this check-quorum period or the one before
         * first: a node that is down would never get the TIMEOUT_NOW */
        int live = p->active || p->recent, best_live = best && (best->active || best->recent);
        if (!best || live > best_live || (live == best_live && p->match > best->match)) best = p;
    }
    return best;
}

static void maybe_commit(raft *r) {
    uint64_t q = quorum_value(r, r->stable, 0);
    /* 5.4.2: only entries of the current term are committed by counting */
    if (q > r->commit && term_at(r, q) == r->term) {
        r->commit = q;
        broadcast_append(r, 1);
        if (r->commit >= r->conf_index && !self_voter(r)) {
            /* 4.2.2: a leader removed from the configuration steps down
             * once that is committed; it hands over rather than leave the
             * others to wait out an election timeout */
            progress *p = best_voter(r);
            if (p) send_timeout_now(r, p);
            become_follower(r, r->term, 0);
        }
    }
}

static void maybe_confirm_reads(raft *r) {
    uint64_t q = quorum_value(r, r->read_round, 1);
    if (q > r->confirmed_round) r->confirmed_round = q;
}

static void become_leader(raft *r) {
    assert(r->vote == r->cfg.id);  /* one leader per term: it won with its own vote, given once */
    r->role = RAFT_LEADER;
    r->lead = r->cfg.id;
    r->elapsed = r->hb_elapsed = 0;
    r->transferee = 0;
    r->handed_over = 0;
    for (int i = 0; i < r->npr; i++) {
        progress *p = &r->pr[i];
        p->next = raft_last_index(r) + 1;
        p->match = 0;
        p->probe = 1;
        p->snap = 0;
        p->inflight = 0;
        p->stall = 0;
        p->active = 1;
        p->read_ack = 0;
    }
    /* A no-op of the new term commits everything before it (8, "read-only"). */
    append_entry(r, r->term, RAFT_ENTRY_NOOP, NULL, 0);
    r->term_start = raft_last_index(r);
    broadcast_append(r, 1);
    maybe_commit(r);
}

/* ---- elections ---- */

static int count_votes(raft *r, int *rejected) {
    int yes = 0, no = 0;
    for (int i = 0; i < r->npr; i++) {
        if (!r->pr[i].voter) continue;
        yes += r->pr[i].vote == 1;
        no += r->pr[i].vote == -1;
    }
    *rejected = no;
    return yes;
}

static void campaign(raft *r, int pre, int transfer) {
    r->role = pre ? RAFT_PRECANDIDATE : RAFT_CANDIDATE;
    r->lead = 0;
    reset_timeout(r);
    if (!pre) {
        r->term++;
        r->vote = r->cfg.id;
        r->hard_dirty = 1;
        if (transfer) r->stats.transfer_elections++; else r->stats.timeout_elections++;
    }
    for (int i = 0; i < r->npr; i++) r->pr[i].vote = r->pr[i].id == r->cfg.id ? 1 : 0;
    int no;
    if (count_votes(r, &no) >= quorum(r)) {
        /* Its own vote is a quorum (one voter). Other candidates win with
         * answers to requests sent only once their vote was durable; this
         * one leads before. Until that vote is on disk (with its no-op, in
         * the same write) it sends nothing as leader: a crash could let it
         * vote again in this term, for another leader, and learners or
         * departing members would hold entries of one term from two. */
        if (pre) campaign(r, 0, transfer);
        else { r->unsynced_lead = 1; become_leader(r); }
        return;
    }
    for (int i = 0; i < r->npr; i++) {
        if (r->pr[i].id == r->cfg.id || !r->pr[i].voter) continue;
        raft_msg m = {0};
        m.type = pre ? MSG_PREVOTE : MSG_VOTE;
        m.to = r->pr[i].id;
        m.term = pre ? r->term + 1 : r->term;
        m.index = raft_last_index(r);
        m.log_term = last_term(r);
        m.context = (uint64_t)transfer;
        send(r, m, 1);  /* the candidate's own vote must be durable first */
    }
}

/* Departing members are told of their removal for an election timeout
 * after it commits, then forgotten. */
static void drop_departed(raft *r) {
    int keep = 0, dropped = 0;
    for (int i = 0; i < r->npr; i++) {
        progress *p = &r->pr[i];
        if (p->departing && r->commit >= p->depart_index && ++p->depart_ticks >= r->cfg.election_ticks) {
            dropped = 1;
            continue;
        }
        r->pr[keep++] = *p;
    }
    r->npr = keep;
    if (dropped) r->conf_version++;
}

/* One change at a time, and only once this leader committed an entry of
 * its own term: an uncommitted configuration from an earlier leader could
 * otherwise overlap with the new one without a common majority. */
static int conf_busy(const raft *r) {
    return r->conf_index > r->commit || r->commit < r->term_start || r->transferee;
}

static uint64_t propose_conf(raft *r, const members *next) {
    buf text;
    buf_init(&text);
    members_format(next, &text);
    append_entry(r, r->term, RAFT_ENTRY_CONFIG, text.data ? text.data : "", text.len);
    buf_free(&text);
    r->stats.conf_changes++;
    broadcast_append(r, 0);
    maybe_commit(r);
    return raft_last_index(r);
}

int64_t raft_change(raft *r, int op, const cluster_member *m) {
    if (r->role != RAFT_LEADER) return RAFT_CONF_NOT_LEADER;
    if (conf_busy(r)) return RAFT_CONF_BUSY;
    members next = r->conf;
    cluster_member *cur = members_find(&next, m->id);
    if (op == RAFT_ADD_LEARNER) {
        if (cur) return RAFT_CONF_EXISTS;
        if (members_is_retired(&next, m->id)) return RAFT_CONF_RETIRED;
        if (next.n >= MEMBERS_MAX_VOTERS) return RAFT_CONF_FULL;  /* each learner is to vote */
        cluster_member add = *m;
        add.learner = 1;
        members_add(&next, &add);
    } else if (op == RAFT_PROMOTE) {
        if (!cur) return RAFT_CONF_UNKNOWN;
        if (!cur->learner) return RAFT_CONF_NOT_LEARNER;
        if (members_voters(&next) >= MEMBERS_MAX_VOTERS) return RAFT_CONF_FULL;
        cur->learner = 0;
    } else {
        if (!cur) return RAFT_CONF_UNKNOWN;
        if (!cur->learner && members_voters(&next) == 1) return RAFT_CONF_LAST_VOTER;
        if (members_retire(&next, m->id) < 0) return RAFT_CONF_RETIRED;
        members_remove(&next, m->id);
    }
    return (int64_t)propose_conf(r, &next);
}

/* A learner close enough behind becomes a voter: adding it never stalls
 * commits, since it holds (nearly) everything a quorum must hold. */
static void maybe_promote(raft *r) {
    if (!r->cfg.promote_gap || conf_busy(r)) return;
    for (int i = 0; i < r->npr; i++) {
        progress *p = &r->pr[i];
        if (p->voter || p->departing || p->match == 0 || p->match + r->cfg.promote_gap < raft_last_index(r)) continue;
        cluster_member m = {0};
        m.id = p->id;
        if (raft_change(r, RAFT_PROMOTE, &m) > 0) return;
    }
}

uint64_t raft_transfer_leader(raft *r, uint64_t id) {
    if (r->role != RAFT_LEADER) return 0;
    progress *p = id ? find_pr(r, id) : best_voter(r);
    if (!p || p->id == r->cfg.id || !p->voter) return 0;
    r->transferee = p->id;
    r->handed_over = 1;
    r->transfer_ticks = 0;
    r->timeout_now_sent = 0;
    r->stats.transfers++;
    if (p->match == raft_last_index(r)) send_timeout_now(r, p);
    else send_append(r, p, 1);
    return p->id;
}

uint64_t raft_transferee(const raft *r) { return r->transferee; }

/* Who may campaign: a voter of the latest configuration; and (4.2.2) a
 * voter of the one before while the latest, which removed it, is not known
 * committed: it may hold the only copy of that entry a majority of the old
 * configuration needs (a leader that removed itself from two voters, cut
 * off from the other before the change committed, would otherwise leave
 * both waiting for ever). Its own vote does not count (it has no
 * progress entry); elected, it steps down once the change commits. */
static int electable(const raft *r) {
    if (self_voter(r)) return 1;
    if (r->conf_index <= r->commit || members_get(&r->conf, r->cfg.id)) return 0;
    for (uint64_t i = r->conf_index - 1; i > r->snap_index; i--) {
        members c;
        if (at(r, i)->type == RAFT_ENTRY_CONFIG && parse_conf(at(r, i), &c) == 0)
            return members_is_voter(&c, r->cfg.id);
    }
    return members_is_voter(&r->snap_conf, r->cfg.id);
}
int raft_transfer_sent(const raft *r) { return r->timeout_now_sent; }

void raft_flush(raft *r) { flush_timeout_now(r); }

void raft_tick(raft *r) {
    flush_timeout_now(r);
    if (r->role != RAFT_LEADER && r->heard_ticks < r->cfg.election_ticks) r->heard_ticks++;
    if (r->role == RAFT_LEADER) {
        if (++r->hb_elapsed >= r->cfg.heartbeat_ticks) {
            r->hb_elapsed = 0;
            broadcast_heartbeat(r);
        }
        for (int i = 0; i < r->npr; i++) {
            progress *p = &r->pr[i];
            /* Appends lost (or a connection dropped without a report):
             * nothing acked for an election timeout: probe again. */
            if (p->id != r->cfg.id && p->inflight && ++p->stall >= r->cfg.election_ticks) probe_again(r, p);
        }
        if (r->transferee && ++r->transfer_ticks >= r->cfg.election_ticks) r->transferee = 0;  /* gave up */
        drop_departed(r);
        maybe_promote(r);
        if (++r->elapsed >= r->cfg.election_ticks) {
            /* 6.2 check-quorum: step down when a majority went quiet */
            r->elapsed = 0;
            int active = 0;
            for (int i = 0; i < r->npr; i++) {
                if (r->pr[i].voter) active += r->pr[i].id == r->cfg.id || r->pr[i].active;
                r->pr[i].recent = r->pr[i].active;
                r->pr[i].active = 0;
            }
            if (active < quorum(r)) become_follower(r, r->term, 0);
        }
        return;
    }
    if (++r->elapsed >= r->timeout && electable(r)) campaign(r, 1, 0);
}

static int leader_heard(const raft *r);
/* Not while a leader was heard within an election timeout, save by a lone
 * voter: this node's own vote is one a leader's lease counts on it to
 * withhold (4.2.3), as it withholds it from others. */
void raft_campaign(raft *r) {
    if (r->role != RAFT_LEADER && electable(r) && ((members_voters(&r->conf) == 1 && self_voter(r)) || !leader_heard(r)))
        campaign(r, 1, 0);
}

/* A 100 MB entry takes a while to cross a link, and the heartbeats sent
 * after it wait behind it: its bytes arriving are as good a sign of life
 * as a heartbeat, for a follower from its leader and for a leader from a
 * follower (check-quorum). Liveness only: nothing here touches a term,
 * a vote or the log. */
void raft_peer_streaming(raft *r, uint64_t id) {
    if (r->role == RAFT_FOLLOWER && r->lead && id == r->lead) r->elapsed = r->heard_ticks = 0;
    progress *p = r->role == RAFT_LEADER ? find_pr(r, id) : NULL;
    if (p && id != r->cfg.id) p->active = 1;
}

void raft_peer_down(raft *r, uint64_t id) {
    progress *p = find_pr(r, id);
    if (r->role == RAFT_LEADER && p && id != r->cfg.id && !p->probe) probe_again(r, p);
}

void raft_snapshot_failed(raft *r, uint64_t id) {
    progress *p = find_pr(r, id);
    if (r->role != RAFT_LEADER || !p || !p->snap) return;
    /* not at once: the next heartbeat answer shows the peer is there */
    p->snap = 0;
    p->probe = 1;
    p->inflight = 1;  /* a heartbeat answer clears it and probes */
    p->next = p->match + 1;
}

static void drop_prefix(raft *r, uint64_t upto) {
    size_t drop = (size_t)(upto - r->snap_index);
    for (uint64_t i = upto; i > r->snap_index; i--) {  /* the configuration at upto */
        members c;
        if (at(r, i)->type == RAFT_ENTRY_CONFIG && parse_conf(at(r, i), &c) == 0) {
            r->snap_conf = c;
            break;
        }
    }
    r->snap_term = at(r, upto)->term;
    for (size_t i = 0; i < drop; i++) drop_data(r, &r->log[i]);
    memmove(r->log, r->log + drop, sizeof(raft_entry) * (r->nlog - drop));
    r->nlog -= drop;
    r->snap_index = upto;
}

/* p holds the state up to index at least (an image, or more): appends
 * resume right after it. */
static void snapshot_landed(raft *r, progress *p, uint64_t index) {
    p->snap = 0;
    p->probe = 1;
    p->inflight = 0;
    p->next = (index > p->match ? index : p->match) + 1;
    send_append(r, p, 1);
}

void raft_snapshot_sent(raft *r, uint64_t id, uint64_t index) {
    progress *p = find_pr(r, id);
    if (r->role != RAFT_LEADER || !p || !p->snap) return;
    snapshot_landed(r, p, index);
}

void raft_compact(raft *r, uint64_t upto) {
    if (upto <= r->snap_index) return;
    assert(upto <= r->applied_out && upto <= r->stable);
    drop_prefix(r, upto);
}

/* Follower: a leader's image of the state machine at m->index replaces
 * what this node has. Committed state only, so it is safe in any term. */
static void handle_snapshot(raft *r, const raft_msg *m) {
    raft_msg resp = {0};
    resp.type = MSG_APPEND_RESP;
    resp.to = m->from;
    if (m->index <= r->commit) {
        resp.index = r->commit;  /* nothing new in it */
        send(r, resp, 1);
        return;
    }
    /* 7: keep the suffix after the same entry, else drop all. Kept only
     * when that entry was handed out for persisting: the durable log then
     * reaches it without a gap, and an acknowledgement still in flight for
     * the suffix stays true. Dropped entries were never acknowledged past
     * the image, or conflict with it and could never commit. */
    assert(m->index > r->commit);  /* an image is taken only when it brings news: commit never goes back */
    r->installed = 1;
    members image_conf;
    int has_conf = m->nentries == 1 && m->entries[0].type == RAFT_ENTRY_CONFIG && parse_conf(&m->entries[0], &image_conf) == 0;
    if (term_at(r, m->index) == m->log_term && r->unstable > m->index) {
        drop_prefix(r, m->index);
        if (r->stable < m->index) r->stable = m->index;
        if (has_conf) r->snap_conf = image_conf;
        if (r->conf_index <= m->index) latest_conf(r);
    } else {
        /* acknowledgements still queued for entries this drops must not go */
        size_t keep = 0;
        for (size_t i = 0; i < r->after.n; i++) {
            const raft_msg *q = &r->after.v[i];
            if (q->type == MSG_APPEND_RESP && !q->reject && q->index > m->index) continue;
            r->after.v[keep++] = *q;
        }
        r->after.n = keep;
        for (size_t i = 0; i < r->nlog; i++) drop_data(r, &r->log[i]);
        r->nlog = 0;
        r->snap_index = m->index;
        r->snap_term = m->log_term;
        r->stable = m->index;
        r->unstable = m->index + 1;
        r->installed = 2;
        if (has_conf) r->snap_conf = image_conf;
        latest_conf(r);
    }
    r->commit = r->applied_out = m->index;
    resp.index = m->index;
    send(r, resp, 1);
}

uint64_t raft_propose(raft *r, int type, const char *data, size_t len) {
    return raft_propose_blob(r, type, blob_copy(data, len), len);
}

uint64_t raft_propose_blob(raft *r, int type, char *data, size_t len) {
    if (r->role != RAFT_LEADER || r->transferee || type == RAFT_ENTRY_CONFIG) {  /* CONFIG: raft_change() only */
        blob_release(data);
        return 0;
    }
    append_blob(r, r->term, type, data, len);
    broadcast_append(r, 0);
    return raft_last_index(r);
}

void raft_persisted(raft *r, uint64_t index, uint64_t term) {
    if (index > raft_last_index(r) || term_at(r, index) != term || index <= r->stable) return;
    r->stable = index;
    if (r->unsynced_lead && r->stable >= r->term_start) {
        r->unsynced_lead = 0;  /* its vote is durable: now it may lead (probe everyone afresh) */
        for (int i = 0; i < r->npr; i++)
            if (r->pr[i].id != r->cfg.id && !r->pr[i].snap) { r->pr[i].inflight = 0; send_append(r, &r->pr[i], 1); }
    }
    if (r->role == RAFT_LEADER) maybe_commit(r);
}

/* A read may be served once this is applied: never before the term's no-op. */
static uint64_t read_floor(const raft *r) { return r->commit > r->term_start ? r->commit : r->term_start; }

uint64_t raft_read_index(raft *r, uint64_t *read_index) {
    if (r->role != RAFT_LEADER) return 0;
    *read_index = read_floor(r);
    r->read_round++;
    broadcast_heartbeat(r);
    maybe_confirm_reads(r);
    return r->read_round;
}

int raft_read_index_lease(const raft *r, uint64_t *read_index) {
    if (r->role != RAFT_LEADER || r->handed_over || r->unsynced_lead) return 0;
    *read_index = read_floor(r);
    return 1;
}

int raft_read_index_vouched(raft *r, uint64_t from, uint64_t term, uint64_t *read_index) {
    /* from was a voter in this term after the read began: it had voted for
     * no later leader then, and this node is one now. Any newer leader
     * needs a majority, which meets {this node, from} when the quorum is
     * two, so it was elected after the read began and the commit index
     * here covers every write finished before it. */
    /* ...and this node must be a voter: a leader that removed itself from
     * four voters leads three (quorum two) until that commits, and the two
     * others may meanwhile have elected a leader of those three */
    if (r->role != RAFT_LEADER || term != r->term || from == r->cfg.id || !members_is_voter(&r->conf, from) ||
        !self_voter(r) || quorum(r) > 2)
        return 0;
    *read_index = read_floor(r);
    return 1;
}

/* ---- receiving ---- */

static void handle_append(raft *r, const raft_msg *m) {
    raft_msg resp = {0};
    resp.type = MSG_APPEND_RESP;
    resp.to = m->from;
    if (m->index < r->commit) {
        resp.index = r->commit;  /* already have (and committed) that prefix */
        send(r, resp, 1);
        return;
    }
    if (m->index > raft_last_index(r) || term_at(r, m->index) != m->log_term) {
        resp.reject = 1;
        resp.index = m->index;
        if (m->index > raft_last_index(r)) {
            resp.hint_index = raft_last_index(r) + 1;
        } else {
            uint64_t t = term_at(r, m->index), i = m->index;
            while (i > r->commit + 1 && term_at(r, i - 1) == t) i--;
            resp.hint_index = i;
            resp.hint_term = t;
        }
        send(r, resp, 1);
        return;
    }
    for (size_t k = 0; k < m->nentries; k++) {
        const raft_entry *e = &m->entries[k];
        if (e->index <= raft_last_index(r)) {
            if (term_at(r, e->index) == e->term) continue;
            truncate_from(r, e->index);  /* 5.3: a conflict removes it and all after */
        }
        if (m->entry_blobs)
            append_blob(r, e->term, e->type, blob_retain(e->data), e->len);
        else
            append_entry(r, e->term, e->type, e->data, e->len);
    }
    uint64_t last_new = m->index + m->nentries;
    uint64_t c = m->commit < last_new ? m->commit : last_new;
    if (c > r->commit) r->commit = c;
    resp.index = last_new;
    send(r, resp, 1);
}

static void handle_append_resp(raft *r, progress *p, const raft_msg *m) {
    p->active = 1;
    if (m->reject) {
        if (m->index <= p->match) return;  /* stale: that prefix matched since */
        if (p->snap) return;  /* answers an append sent before the transfer began */
        uint64_t next;
        if (m->hint_term == 0) {
            next = m->hint_index;
        } else {
            uint64_t i = m->index < raft_last_index(r) ? m->index : raft_last_index(r);
            while (i > 0 && term_at(r, i) > m->hint_term) i--;
            next = term_at(r, i) == m->hint_term ? i + 1 : m->hint_index;
        }
        if (next <= p->match) next = p->match + 1;
        if (next < 1) next = 1;
        p->next = next;
        p->probe = 1;
        p->inflight = 0;
        send_append(r, p, 1);
        return;
    }
    p->stall = 0;
    if (m->index > p->match) {
        p->match = m->index;
        if (p->snap) { p->snap = 0; p->probe = 1; }  /* installed: replicate after it */
        if (p->next <= p->match) p->next = p->match + 1;
        if (p->probe) { p->probe = 0; p->inflight = 0; p->next = p->match + 1; }
        maybe_commit(r);
    }
    free_inflight(p, m->index);
    if (p->id == r->transferee && !r->timeout_now_sent && p->match == raft_last_index(r)) {
        send_timeout_now(r, p);  /* caught up: it may campaign at once */
        return;
    }
    while (send_append(r, p, 0) && !p->probe) {}  /* fill the window */
}

/* 4.2.3: a leader was heard within an election timeout (or, with
 * boot_quiet, this node started less than one ago and may have heard one
 * just before): (pre-)votes are refused, save a hand-over's. A term
 * change does not end it: a stray answer of a higher term must not let a
 * node vote while the leader it just acknowledged holds a lease. */
static int leader_heard(const raft *r) {
    return r->role == RAFT_LEADER || r->heard_ticks < r->cfg.election_ticks;
}

static void handle_vote(raft *r, const raft_msg *m, int pre) {
    raft_msg resp = {0};
    resp.type = pre ? MSG_PREVOTE_RESP : MSG_VOTE_RESP;
    resp.to = m->from;
    int grant;
    if (pre) {
        /* 9.6: grant only if we would vote, and have no live leader */
        grant = m->term > r->term && log_ok(r, m->index, m->log_term) && (!leader_heard(r) || m->context);
        resp.term = grant ? m->term : r->term;
    } else {
        /* a vote not yet given in this term is refused as a term change
         * would be (a node moved to it by another message) */
        grant = (r->vote == m->from || (r->vote == 0 && (!leader_heard(r) || m->context))) &&
                log_ok(r, m->index, m->log_term);
        if (grant) {
            r->vote = m->from;
            r->hard_dirty = 1;
            reset_timeout(r);
        }
    }
    resp.reject = !grant;
    send(r, resp, 1);
}

static void handle_vote_resp(raft *r, const raft_msg *m) {
    progress *p = find_pr(r, m->from);
    if (!p) return;
    int pre = m->type == MSG_PREVOTE_RESP;
    if ((pre && r->role != RAFT_PRECANDIDATE) || (!pre && r->role != RAFT_CANDIDATE)) return;
    if (p->vote == 0) p->vote = m->reject ? -1 : 1;
    int no, yes = count_votes(r, &no);
    if (yes >= quorum(r)) {
        if (pre) campaign(r, 0, 0); else become_leader(r);
    } else if (no >= quorum(r)) {
        become_follower(r, r->term, 0);
    }
}

void raft_step(raft *r, const raft_msg *m) {
    if (m->to != r->cfg.id || m->from == r->cfg.id) return;
    /* 4.2.1: requests are served whatever our configuration says (a new
     * member learns it from the leader); answers only count from members */
    progress *from = find_pr(r, m->from);
    int answer = m->type == MSG_APPEND_RESP || m->type == MSG_HEARTBEAT_RESP || m->type == MSG_PREVOTE_RESP ||
                 m->type == MSG_VOTE_RESP;
    if (!from && answer) return;
    if (m->term > r->term) {
        int vote_req = m->type == MSG_PREVOTE || m->type == MSG_VOTE;
        /* 4.2.3: a node that hears its leader ignores disruptive votes */
        if (vote_req && leader_heard(r) && !m->context) {
            if (m->type == MSG_PREVOTE) handle_vote(r, m, 1);  /* answers reject */
            return;
        }
        if (m->type == MSG_PREVOTE) { handle_vote(r, m, 1); return; }
        if (m->type == MSG_PREVOTE_RESP && !m->reject) { handle_vote_resp(r, m); return; }
        int from_leader = m->type == MSG_APPEND || m->type == MSG_HEARTBEAT || m->type == MSG_TIMEOUT_NOW ||
                          m->type == MSG_SNAPSHOT;
        become_follower(r, m->term, from_leader ? m->from : 0);
    } else if (m->term < r->term) {
        if (m->type == MSG_APPEND || m->type == MSG_HEARTBEAT || m->type == MSG_SNAPSHOT) {
            /* tell a stale leader about the newer term */
            raft_msg resp = {0};
            resp.type = MSG_APPEND_RESP;
            resp.to = m->from;
            resp.reject = 1;
            send(r, resp, 0);
        } else if (m->type == MSG_PREVOTE) {
            handle_vote(r, m, 1);
        }
        return;
    }
    switch (m->type) {
    case MSG_PREVOTE: handle_vote(r, m, 1); break;
    case MSG_VOTE: handle_vote(r, m, 0); break;
    case MSG_PREVOTE_RESP:
    case MSG_VOTE_RESP: handle_vote_resp(r, m); break;
    case MSG_APPEND:
    case MSG_HEARTBEAT:
        if (r->role == RAFT_LEADER) break;  /* impossible: one leader per term */
        if (r->role != RAFT_FOLLOWER) become_follower(r, r->term, m->from);
        r->lead = m->from;
        r->elapsed = r->heard_ticks = 0;
        if (m->type == MSG_APPEND) { handle_append(r, m); break; }
        if (m->commit > r->commit && m->commit <= raft_last_index(r)) r->commit = m->commit;
        {
            /* claims nothing about our log: need not wait for the disk,
             * and read barriers should not wait behind an fsync */
            raft_msg resp = {0};
            resp.type = MSG_HEARTBEAT_RESP;
            resp.to = m->from;
            resp.context = m->context;
            resp.index = r->snap_index;  /* the point of its state machine's image: durable, committed */
            send(r, resp, 0);
        }
        break;
    case MSG_APPEND_RESP:
        if (r->role == RAFT_LEADER) handle_append_resp(r, from, m);
        break;
    case MSG_HEARTBEAT_RESP:
        if (r->role != RAFT_LEADER) break;
        from->active = 1;
        if (m->context > from->read_ack) from->read_ack = m->context;
        maybe_confirm_reads(r);
        /* a probe outstanding is resent once per heartbeat round trip */
        /* a transfer runs: the glue reports its end, unless the answer
         * shows an image landed that needs nothing compacted away here
         * (the report was lost with its link) */
        if (from->snap) {
            if (m->index >= r->snap_index && m->index > from->match) snapshot_landed(r, from, m->index);
        }
        else if (from->probe) { from->inflight = 0; send_append(r, from, 1); }
        else if (from->match < raft_last_index(r)) send_append(r, from, 0);
        break;
    case MSG_SNAPSHOT:
        if (r->role == RAFT_LEADER) break;
        if (r->role != RAFT_FOLLOWER) become_follower(r, r->term, m->from);
        r->lead = m->from;
        r->elapsed = r->heard_ticks = 0;
        handle_snapshot(r, m);
        break;
    case MSG_TIMEOUT_NOW:
        if (r->role == RAFT_FOLLOWER && m->from == r->lead && self_voter(r)) campaign(r, 0, 1);
        break;
    }
}

/* ---- the entry cache ---- */

static void release_loaded(raft *r) {
    for (size_t i = 0; i < r->lent.n; i++) {
        for (size_t k = 0; k < r->lent.len[i]; k++) blob_release(r->lent.v[i][k].data);
        free(r->lent.v[i]);
    }
    r->lent.n = 0;
}

/* Entries handed out by an earlier ready are the glue's by now (it took
 * references to what it keeps): the oldest of those that are applied and
 * durable give up their data while the cache is over its bound. CONFIG
 * entries keep theirs: membership is read from them. */
static void evict(raft *r) {
    if (!r->cfg.cache_bytes) return;
    if (r->evict_next <= r->snap_index) r->evict_next = r->snap_index + 1;
    uint64_t upto = r->applied_out < r->stable ? r->applied_out : r->stable;
    while (r->cached > r->cfg.cache_bytes && r->evict_next <= upto) {
        raft_entry *e = at(r, r->evict_next++);
        if (e->type != RAFT_ENTRY_CONFIG && e->len) drop_data(r, e);
    }
}

/* An append's entries, with what the cache let go read back from the
 * durable log into an array that lives until the next ready. 0 when
 * load() failed. */
static int load_append(raft *r, raft_msg *m) {
    raft_entry *src = at(r, m->index + 1);
    size_t missing = 0;
    for (size_t k = 0; k < m->nentries; k++) missing += !src[k].data;
    if (!missing) return 1;
    raft_entry *e = xmalloc(sizeof(raft_entry) * m->nentries);
    for (size_t k = 0; k < m->nentries; k++) {
        e[k] = src[k];
        if (e[k].data) blob_retain(e[k].data);
    }
    if (!r->cfg.load || r->cfg.load(r->cfg.load_ctx, e, m->nentries) < 0) {
        for (size_t k = 0; k < m->nentries; k++) blob_release(e[k].data);
        free(e);
        return 0;
    }
    if (r->lent.n == r->lent.cap) {
        r->lent.cap = r->lent.cap ? r->lent.cap * 2 : 8;
        r->lent.v = xrealloc(r->lent.v, sizeof(*r->lent.v) * r->lent.cap);
        r->lent.len = xrealloc(r->lent.len, sizeof(*r->lent.len) * r->lent.cap);
    }
    r->lent.v[r->lent.n] = e;
    r->lent.len[r->lent.n++] = m->nentries;
    r->loaded += missing;
    m->entries = e;
    return 1;
}

/* Whether the first keep messages of this ready hold an append just like
 * m (which then carries m's commit, the later): a probe is resent at each
 * heartbeat answer, and a follower that answers a backlog of heartbeats
 * at once would otherwise have the same entries read back once per answer. */
static int queued_twice(raft *r, size_t keep, const raft_msg *m) {
    for (size_t k = 0; k < keep; k++) {
        raft_msg *o = &r->now.v[k];
        if (o->type == MSG_APPEND && o->to == m->to && o->index == m->index && o->nentries == m->nentries) {
            if (m->commit > o->commit) o->commit = m->commit;
            return 1;
        }
    }
    return 0;
}

/* An append the core dropped on a congested link: the follower goes back
 * to probing (the entries after it, if any were sent, would be refused),
 * its next answer or the stall timer sending again, as after a failed
 * image. Nothing is sent here: a ready is being resolved. */
static void dropped_append(progress *p) {
    p->probe = 1;
    p->inflight = 1;
    p->stall = 0;
    p->next = p->match + 1;
}

/* Appends were queued with their range only: the log array may have moved
 * since, and the cache may have let their entries go. One from a
 * leadership that ended is dropped; one whose entries cannot be read back
 * gives way to an image (its request goes out in this ready); one that
 * needs a read-back is dropped if the link is congested or this ready
 * sends the same entries already. */
static void resolve_appends(raft *r) {
    size_t n = r->now.n, keep = 0;
    for (size_t i = 0; i < n; i++) {
        raft_msg m = r->now.v[i];
        if (m.type == MSG_APPEND && m.nentries) {
            progress *p = find_pr(r, m.to);
            if (r->role != RAFT_LEADER || m.term != r->term || m.index < r->snap_index ||
                m.index + m.nentries > raft_last_index(r) || (p && p->snap))  /* an image goes there instead */
                continue;
            m.entries = at(r, m.index + 1);
            int from_disk = m.index + 1 < r->evict_next;
            if (from_disk && queued_twice(r, keep, &m)) continue;
            if (from_disk && r->cfg.congested && r->cfg.congested(r->cfg.congested_ctx, m.to)) {
                if (p) dropped_append(p);
                continue;
            }
            if (from_disk && !load_append(r, &m)) {
                if (p) send_image(r, p);  /* queued after n */
                continue;
            }
        }
        r->now.v[keep++] = m;
    }
    if (r->now.n > n) memmove(r->now.v + keep, r->now.v + n, sizeof(raft_msg) * (r->now.n - n));
    r->now.n = keep + (r->now.n - n);
}

void raft_ready_get(raft *r, raft_ready *rd) {
    memset(rd, 0, sizeof(*rd));
    release_loaded(r);
    evict(r);
    resolve_appends(r);
    /* hand out the queued messages; recycle last round's arrays */
    msgvec t = r->out_now; r->out_now = r->now; r->now = t; r->now.n = 0;
    t = r->out_after; r->out_after = r->after; r->after = t; r->after.n = 0;
    rd->msgs = r->out_now.v;
    rd->nmsgs = r->out_now.n;
    rd->msgs_after = r->out_after.v;
    rd->nmsgs_after = r->out_after.n;
    rd->hard_state_changed = r->hard_dirty;
    rd->term = r->term;
    rd->vote = r->vote;
    r->hard_dirty = 0;
    if (r->unstable <= raft_last_index(r)) {
        rd->entries = at(r, r->unstable);
        rd->nentries = (size_t)(raft_last_index(r) - r->unstable + 1);
        r->unstable = raft_last_index(r) + 1;
    }
    uint64_t upto = r->commit < r->stable ? r->commit : r->stable;
    if (upto > r->applied_out) {
        rd->committed = at(r, r->applied_out + 1);
        rd->ncommitted = (size_t)(upto - r->applied_out);
        r->applied_out = upto;
    }
    rd->confirmed_round = r->role == RAFT_LEADER ? r->confirmed_round : 0;
}

int raft_role(const raft *r) { return r->role; }
uint64_t raft_term(const raft *r) { return r->term; }
uint64_t raft_leader(const raft *r) { return r->lead; }
uint64_t raft_commit_index(const raft *r) { return r->commit; }
uint64_t raft_id(const raft *r) { return r->cfg.id; }
const raft_entry *raft_entry_at(const raft *r, uint64_t index) {
    return index <= r->snap_index || index > raft_last_index(r) ? NULL : at(r, index);
}
uint64_t raft_snapshot_index(const raft *r) { return r->snap_index; }
uint64_t raft_snapshot_term(const raft *r) { return r->snap_term; }
uint64_t raft_term_at(const raft *r, uint64_t index) { return term_at(r, index); }
size_t raft_cached_bytes(const raft *r) { return r->cached; }
uint64_t raft_loaded_entries(const raft *r) { return r->loaded; }

int raft_install_snapshot(raft *r, const raft_msg *m) {
    r->installed = 0;
    raft_step(r, m);
    int k = r->installed;
    r->installed = 0;
    return k;
}

int raft_peer(const raft *r, uint64_t id, raft_peer_info *out) {
    for (int i = 0; i < r->npr; i++) {
        const progress *p = &r->pr[i];
        if (p->id != id) continue;
        out->match = p->match;
        out->next = p->next;
        out->inflight = p->inflight;
        out->probe = p->probe;
        out->active = p->active;
        out->voter = p->voter;
        out->departing = p->departing;
        out->snapshot = p->snap;
        return 1;
    }
    return 0;
}

int raft_peers(const raft *r, uint64_t *ids, int max) {
    int n = 0;
    for (int i = 0; i < r->npr && n < max; i++)
        if (r->pr[i].id != r->cfg.id) ids[n++] = r->pr[i].id;
    return n;
}

const members *raft_members(const raft *r) { return &r->conf; }
uint64_t raft_conf_index(const raft *r) { return r->conf_index; }
uint64_t raft_conf_version(const raft *r) { return r->conf_version; }
int raft_is_voter(const raft *r, uint64_t id) { return members_is_voter(&r->conf, id); }
const raft_stats *raft_get_stats(const raft *r) { return &r->stats; }
