/* test_raft: unit tests of the pure Raft core (src/core/raft.c), one named test
 * per rule of the Raft paper and dissertation (Ongaro 2014), then one per
 * rule of our extensions: pre-vote (9.6), check-quorum (6.2), the leader
 * lease on votes (4.2.3), the no-op of a new leader, read-index rounds
 * (6.4), fast log back-off (hints), flow control (inflight windows,
 * probing) and the persistence contract of raft_ready.
 *
 * Each test drives one raft (or a few over a toy network) through the
 * public API only: raft_new/tick/step/propose/persisted/read_index and
 * raft_ready_get. Messages from peers are written out by hand, so a test
 * states exactly the situation the rule talks about. Everything is
 * deterministic: no clock, no threads.
 *
 * Where our design deliberately differs from the paper, the test asserts
 * our behaviour and says so:
 *   - a timed-out follower (or candidate) first becomes PRECANDIDATE and
 *     only bumps its term once a quorum granted the pre-vote;
 *   - a new leader appends a no-op entry of its term;
 *   - heartbeats carry commit = min(follower's match, commit);
 *   - a leader counts itself toward a commit quorum only for entries it has
 *     made durable (raft_persisted).
 *
 * Log compaction and snapshot install (dissertation chapter 5, "Log
 * compaction", and 7 on InstallSnapshot) get their own section: the core
 * never holds the image; it asks its glue for a transfer with MSG_SNAPSHOT
 * and learns the outcome through raft_snapshot_sent/_failed; a follower's
 * glue steps the image in through raft_install_snapshot. Some tests pin a
 * bug once found here (queued acknowledgements, repeated
 * snapshot requests) keep it from coming back.
 *
 * Membership changes (dissertation chapter 4, single-server changes with
 * learners) and leadership transfer (3.10) come last: configurations are
 * members.h text with bare ids in CONFIG entries, in force once in the log;
 * one change at a time, only after the leader committed an entry of its own
 * term; learners never count; a removed leader hands over with TIMEOUT_NOW
 * (sent with its next tick). Two tests pin bugs the simulation and a review
 * found: a cluster of one leading before its vote is durable, and a vouched
 * read on a leader outside its configuration. */
#include "blob.h"
#include "raft.h"
#include "testlib.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define E 10        /* election ticks in every test */
#define MAXN 5      /* nodes in a toy network */

/* ------------------------------------------------------------------ */
/* Building rafts                                                      */
/* ------------------------------------------------------------------ */

static raft_config config(uint64_t id, int n) {
    raft_config c;
    memset(&c, 0, sizeof(c));
    c.id = id;
    c.npeers = n;
    for (int i = 0; i < n; i++) c.peers[i] = (uint64_t)i + 1;
    c.election_ticks = E;
    c.heartbeat_ticks = 1;
    c.max_msg_entries = 64;
    c.max_inflight = 64;
    c.seed = id * 7919 + 1;
    return c;
}

/* The data of the entry at (index, term): equal entries have equal data. */
static size_t entry_data(uint64_t index, uint64_t term, char *buf, size_t cap) {
    return (size_t)snprintf(buf, cap, "e%llu@%llu", (unsigned long long)index, (unsigned long long)term);
}

/* A raft whose log holds terms[0..n) (index i+1 has term terms[i]). */
static raft *make(const raft_config *c, uint64_t term, uint64_t vote, const uint64_t *terms, size_t n) {
    raft_entry *log = n ? calloc(n, sizeof(*log)) : NULL;
    char (*data)[32] = n ? calloc(n, 32) : NULL;
    for (size_t i = 0; i < n; i++) {
        log[i].index = i + 1;
        log[i].term = terms[i];
        log[i].type = RAFT_ENTRY_COMMAND;
        log[i].len = entry_data(i + 1, terms[i], data[i], 32);
        log[i].data = data[i];
    }
    raft *r = raft_new(c, term, vote, log, n);
    free(log);
    free(data);
    return r;
}

static raft *mk(uint64_t id, int n, uint64_t term, const uint64_t *terms, size_t nterms) {
    raft_config c = config(id, n);
    return make(&c, term, 0, terms, nterms);
}

static void step(raft *r, raft_msg m) { raft_step(r, &m); }

/* ------------------------------------------------------------------ */
/* Collecting output                                                   */
/* ------------------------------------------------------------------ */

typedef struct qmsg { raft_msg m; int after; } qmsg;     /* after: came in msgs_after */
typedef struct outq { qmsg *v; size_t n, cap; } outq;

static raft_msg copy_msg(const raft_msg *m) {
    raft_msg c = *m;
    c.entries = NULL;
    if (m->nentries) {
        c.entries = calloc(m->nentries, sizeof(raft_entry));
        for (size_t i = 0; i < m->nentries; i++) {
            c.entries[i] = m->entries[i];
            c.entries[i].data = malloc(m->entries[i].len ? m->entries[i].len : 1);
            memcpy(c.entries[i].data, m->entries[i].data, m->entries[i].len);
        }
    }
    return c;
}

static void outq_push(outq *q, const raft_msg *m, int after) {
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 32;
        q->v = realloc(q->v, sizeof(qmsg) * q->cap);
    }
    q->v[q->n].m = copy_msg(m);
    q->v[q->n++].after = after;
}

static void outq_clear(outq *q) {
    for (size_t i = 0; i < q->n; i++) {
        for (size_t k = 0; k < q->v[i].m.nentries; k++) free(q->v[i].m.entries[k].data);
        free(q->v[i].m.entries);
    }
    q->n = 0;
}

static void outq_free(outq *q) {
    outq_clear(q);
    free(q->v);
    memset(q, 0, sizeof(*q));
}

/* First message of that type to that node (to 0: any), or NULL. */
static const qmsg *find(const outq *q, int type, uint64_t to) {
    for (size_t i = 0; i < q->n; i++)
        if (q->v[i].m.type == type && (!to || q->v[i].m.to == to)) return &q->v[i];
    return NULL;
}

static int count(const outq *q, int type, uint64_t to) {
    int n = 0;
    for (size_t i = 0; i < q->n; i++) n += q->v[i].m.type == type && (!to || q->v[i].m.to == to);
    return n;
}

/* APPENDs to `to` that carry entries. */
static int count_appends_with_entries(const outq *q, uint64_t to) {
    int n = 0;
    for (size_t i = 0; i < q->n; i++) n += q->v[i].m.type == MSG_APPEND && q->v[i].m.to == to && q->v[i].m.nentries > 0;
    return n;
}

#define MAXC 128
typedef struct flushed {
    int hard_state_changed;        /* in any ready */
    uint64_t term, vote;           /* of the last ready */
    size_t nentries;               /* handed out to persist */
    uint64_t first_entry, last_entry;
    size_t ncommitted;             /* handed out to apply */
    uint64_t first_committed, last_committed;
    int committed_in_order;
    uint64_t cterm[MAXC];          /* term and type of the first MAXC committed */
    int ctype[MAXC];
    uint64_t confirmed_round;      /* of the last ready */
} flushed;

/* Drains every ready of r: messages are copied into out (NULL: dropped),
 * entries are made durable at once (raft_persisted), committed entries are
 * summarised. */
static flushed flush(raft *r, outq *out) {
    flushed f;
    memset(&f, 0, sizeof(f));
    f.committed_in_order = 1;
    for (int round = 0; round < 100; round++) {
        raft_ready rd;
        raft_ready_get(r, &rd);
        f.term = rd.term;
        f.vote = rd.vote;
        f.confirmed_round = rd.confirmed_round;
        f.hard_state_changed |= rd.hard_state_changed;
        if (out) {
            for (size_t i = 0; i < rd.nmsgs; i++) outq_push(out, &rd.msgs[i], 0);
            for (size_t i = 0; i < rd.nmsgs_after; i++) outq_push(out, &rd.msgs_after[i], 1);
        }
        for (size_t i = 0; i < rd.ncommitted; i++) {
            const raft_entry *e = &rd.committed[i];
            if (f.ncommitted && e->index != f.last_committed + 1) f.committed_in_order = 0;
            if (!f.ncommitted) f.first_committed = e->index;
            if (f.ncommitted < MAXC) { f.cterm[f.ncommitted] = e->term; f.ctype[f.ncommitted] = e->type; }
            f.last_committed = e->index;
            f.ncommitted++;
        }
        if (rd.nentries) {
            if (!f.nentries) f.first_entry = rd.entries[0].index;
            f.nentries += rd.nentries;
            f.last_entry = rd.entries[rd.nentries - 1].index;
            raft_persisted(r, rd.entries[rd.nentries - 1].index, rd.entries[rd.nentries - 1].term);
        } else if (!rd.nmsgs && !rd.nmsgs_after && !rd.ncommitted && !rd.hard_state_changed) {
            break;
        }
    }
    return f;
}

/* ------------------------------------------------------------------ */
/* Driving one raft into a role with hand-written replies              */
/* ------------------------------------------------------------------ */

static void to_precandidate(raft *r) {
    for (int i = 0; i < 4 * E && raft_role(r) == RAFT_FOLLOWER; i++) raft_tick(r);
}

/* Peers 1..n other than r grant the pre-vote until r is a candidate. */
static void to_candidate(raft *r, int n) {
    to_precandidate(r);
    for (uint64_t p = 1; p <= (uint64_t)n && raft_role(r) == RAFT_PRECANDIDATE; p++)
        if (p != raft_id(r))
            step(r, (raft_msg){.type = MSG_PREVOTE_RESP, .from = p, .to = raft_id(r), .term = raft_term(r) + 1});
}

static void to_leader(raft *r, int n) {
    to_candidate(r, n);
    for (uint64_t p = 1; p <= (uint64_t)n && raft_role(r) == RAFT_CANDIDATE; p++)
        if (p != raft_id(r))
            step(r, (raft_msg){.type = MSG_VOTE_RESP, .from = p, .to = raft_id(r), .term = raft_term(r)});
}

/* Follower `from` acknowledges the leader's log up to index. */
static void ack(raft *r, uint64_t from, uint64_t index) {
    step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = from, .to = raft_id(r), .term = raft_term(r), .index = index});
}

/* A leader of an n-node cluster (id 1) over the log `terms`, elected in
 * term+1, its first output drained and its no-op durable; when replicate,
 * every follower acknowledged the no-op (so all are in replicate state and
 * the no-op is committed). */
static raft *leader(int n, uint64_t term, const uint64_t *terms, size_t nterms, int replicate) {
    raft *r = mk(1, n, term, terms, nterms);
    to_leader(r, n);
    flush(r, NULL);
    if (replicate) {
        for (uint64_t p = 2; p <= (uint64_t)n; p++) ack(r, p, raft_last_index(r));
        flush(r, NULL);
    }
    return r;
}

static int log_is(const raft *r, const uint64_t *terms, size_t n) {
    if (raft_last_index(r) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (raft_entry_at(r, i + 1)->term != terms[i]) return 0;
    return 1;
}

static int same_log(const raft *a, const raft *b) {
    if (raft_last_index(a) != raft_last_index(b)) return 0;
    for (uint64_t i = 1; i <= raft_last_index(a); i++) {
        const raft_entry *x = raft_entry_at(a, i), *y = raft_entry_at(b, i);
        if (x->term != y->term || x->index != y->index || x->type != y->type || x->len != y->len) return 0;
        if (x->len && memcmp(x->data, y->data, x->len)) return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* A toy network: delivers every message at once, drops cut links      */
/* ------------------------------------------------------------------ */

typedef struct net {
    int n;
    raft *r[MAXN + 1];                /* 1-based; NULL: absent */
    int cut[MAXN + 1][MAXN + 1];      /* cut[from][to] drops */
    uint64_t applied[MAXN + 1];
    int apply_order_ok;
    outq q;
} net;

static void net_init(net *nw, int n) {
    memset(nw, 0, sizeof(*nw));
    nw->n = n;
    nw->apply_order_ok = 1;
    for (int i = 1; i <= n; i++) nw->r[i] = mk((uint64_t)i, n, 0, NULL, 0);
}

static void net_free(net *nw) {
    for (int i = 1; i <= nw->n; i++) raft_free(nw->r[i]);
    outq_free(&nw->q);
}

static void net_isolate(net *nw, int id, int cut) {
    for (int j = 1; j <= nw->n; j++) nw->cut[id][j] = nw->cut[j][id] = cut;
}

/* Delivers until no node has anything to say; returns messages delivered. */
static int net_run(net *nw) {
    int delivered = 0;
    for (int round = 0; round < 1000; round++) {
        for (int i = 1; i <= nw->n; i++) {
            if (!nw->r[i]) continue;
            flushed f = flush(nw->r[i], &nw->q);
            if (f.ncommitted) {
                if (f.first_committed != nw->applied[i] + 1 || !f.committed_in_order) nw->apply_order_ok = 0;
                nw->applied[i] = f.last_committed;
            }
        }
        if (!nw->q.n) break;
        outq batch = nw->q;
        memset(&nw->q, 0, sizeof(nw->q));
        for (size_t k = 0; k < batch.n; k++) {
            const raft_msg *m = &batch.v[k].m;
            if (m->to < 1 || m->to > (uint64_t)nw->n || !nw->r[m->to] || nw->cut[m->from][m->to]) continue;
            raft_step(nw->r[m->to], m);
            delivered++;
        }
        outq_free(&batch);
    }
    return delivered;
}

/* One tick everywhere, then the network settles. */
static void net_tick_all(net *nw) {
    for (int i = 1; i <= nw->n; i++)
        if (nw->r[i]) raft_tick(nw->r[i]);
    net_run(nw);
}

/* Node id times out (nobody else ticks) and the network settles. */
static void net_elect(net *nw, int id) {
    for (int i = 0; i < 4 * E && raft_role(nw->r[id]) == RAFT_FOLLOWER; i++) raft_tick(nw->r[id]);
    net_run(nw);
}

/* ------------------------------------------------------------------ */
/* Running a check in a child process                                  */
/* ------------------------------------------------------------------ */

/* Runs fn in a child process, so that a memory error the sanitizers find
 * fails one check instead of ending the suite. Returns 1 when fn returned
 * 1; otherwise 0, with the sanitizer's SUMMARY line (if any) in why. */
static int in_child(int (*fn)(void), char *why, size_t cap) {
    why[0] = 0;
    FILE *log = tmpfile();
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) { snprintf(why, cap, "fork failed"); if (log) fclose(log); return 0; }
    if (pid == 0) {
        if (log) dup2(fileno(log), 2);
        _exit(fn() ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (!ok && log) {
        char line[512];
        rewind(log);
        snprintf(why, cap, "exit status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        while (fgets(line, sizeof(line), log))
            if (strstr(line, "SUMMARY:")) { line[strcspn(line, "\n")] = 0; snprintf(why, cap, "%s", line); break; }
    }
    if (log) fclose(log);
    return ok;
}

/* ================================================================== */
/* Rules of the paper                                                  */
/* ================================================================== */

/* 5.1: a server that sees a higher term adopts it and becomes a follower,
 * whatever its role; an AppendEntries names the new leader. */
static void test_follower_update_term_from_message(void) {
    static const int roles[] = {RAFT_FOLLOWER, RAFT_PRECANDIDATE, RAFT_CANDIDATE, RAFT_LEADER};
    for (int k = 0; k < 4; k++) {
        for (int viaresp = 0; viaresp < 2; viaresp++) {
            raft *r = mk(1, 3, 2, NULL, 0);
            if (roles[k] == RAFT_PRECANDIDATE) to_precandidate(r);
            if (roles[k] == RAFT_CANDIDATE) to_candidate(r, 3);
            if (roles[k] == RAFT_LEADER) to_leader(r, 3);
            CHECK(raft_role(r) == roles[k]);
            flush(r, NULL);
            uint64_t t = raft_term(r) + 1;
            if (viaresp)  /* a reply from a node that has moved on */
                step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = 3, .to = 1, .term = t, .reject = 1});
            else
                step(r, (raft_msg){.type = MSG_APPEND, .from = 2, .to = 1, .term = t});
            CHECKMSG(raft_role(r) == RAFT_FOLLOWER, "role %d: not a follower after a higher term", roles[k]);
            CHECKMSG(raft_term(r) == t, "role %d: term %llu, want %llu", roles[k], (unsigned long long)raft_term(r),
                     (unsigned long long)t);
            CHECK(raft_leader(r) == (viaresp ? 0 : 2));
            flushed f = flush(r, NULL);
            CHECK(f.hard_state_changed && f.term == t && f.vote == 0);
            raft_free(r);
        }
    }
}

/* 5.1: a request with a stale term is rejected: it changes nothing, and an
 * AppendEntries or heartbeat is answered with the current term (so the
 * stale leader learns it); a stale vote request gets no vote. */
static void test_reject_stale_term_message(void) {
    static const uint64_t lg[] = {1, 2};
    raft *r = mk(1, 3, 3, lg, 2);
    outq q = {0};

    step(r, (raft_msg){.type = MSG_APPEND, .from = 2, .to = 1, .term = 2, .index = 2, .log_term = 2, .commit = 3,
                       .entries = &(raft_entry){.term = 2, .index = 3, .data = "x", .len = 1}, .nentries = 1});
    CHECK(raft_last_index(r) == 2 && raft_commit_index(r) == 0 && raft_term(r) == 3);
    CHECK(raft_leader(r) == 0);
    flush(r, &q);
    const qmsg *m = find(&q, MSG_APPEND_RESP, 2);
    CHECK(m && m->m.reject && m->m.term == 3);
    outq_clear(&q);

    step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 2, .to = 1, .term = 2, .commit = 2});
    CHECK(raft_commit_index(r) == 0 && raft_leader(r) == 0);
    flush(r, &q);
    m = find(&q, MSG_APPEND_RESP, 2);
    CHECK(m && m->m.reject && m->m.term == 3);
    CHECK(count(&q, MSG_HEARTBEAT_RESP, 0) == 0);
    outq_clear(&q);

    step(r, (raft_msg){.type = MSG_VOTE, .from = 3, .to = 1, .term = 2, .index = 9, .log_term = 9});
    flushed f = flush(r, &q);
    CHECK(f.vote == 0 && !f.hard_state_changed);
    CHECK(count(&q, MSG_VOTE_RESP, 3) == 0 || find(&q, MSG_VOTE_RESP, 3)->m.reject);
    outq_clear(&q);
    raft_free(r);

    /* a leader ignores stale acknowledgements */
    r = leader(3, 3, lg, 2, 0);
    uint64_t t = raft_term(r);
    step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = 2, .to = 1, .term = t - 1, .index = raft_last_index(r)});
    raft_peer_info pi;
    CHECK(raft_peer(r, 2, &pi) && pi.match == 0);
    CHECK(raft_commit_index(r) == 0 && raft_role(r) == RAFT_LEADER);
    outq_free(&q);
    raft_free(r);
}

/* 5.2: servers start as followers, with the term and log they had. */
static void test_start_as_follower(void) {
    static const uint64_t lg[] = {1, 1, 2};
    raft_config c = config(2, 3);
    raft *r = make(&c, 4, 3, lg, 3);
    CHECK(raft_role(r) == RAFT_FOLLOWER);
    CHECK(raft_term(r) == 4 && raft_leader(r) == 0 && raft_commit_index(r) == 0);
    CHECK(raft_last_index(r) == 3 && raft_id(r) == 2);
    raft_ready rd;
    raft_ready_get(r, &rd);  /* nothing to do before time passes */
    CHECK(!rd.hard_state_changed && rd.nentries == 0 && rd.nmsgs == 0 && rd.nmsgs_after == 0 && rd.ncommitted == 0);
    CHECK(rd.term == 4 && rd.vote == 3);
    raft_free(r);
}

/* 5.2: the leader sends heartbeats to every other server each heartbeat
 * interval. They may go at once (msgs) and carry the commit index, capped
 * at what the follower is known to hold (our design). */
static void test_leader_bcast_beat(void) {
    raft_config c = config(1, 3);
    c.heartbeat_ticks = 2;
    raft *r = make(&c, 1, 0, NULL, 0);
    to_leader(r, 3);
    flush(r, NULL);
    ack(r, 2, raft_last_index(r));  /* 2 holds the no-op, which commits; 3 holds nothing */
    flush(r, NULL);
    CHECK(raft_commit_index(r) == 1);
    outq q = {0};
    raft_tick(r);
    flush(r, &q);
    CHECK(count(&q, MSG_HEARTBEAT, 0) == 0);
    raft_tick(r);
    flush(r, &q);
    CHECK(count(&q, MSG_HEARTBEAT, 0) == 2);
    CHECK(count(&q, MSG_HEARTBEAT, 1) == 0);
    const qmsg *h2 = find(&q, MSG_HEARTBEAT, 2), *h3 = find(&q, MSG_HEARTBEAT, 3);
    CHECK(h2 && h3);
    if (h2 && h3) {
        CHECK(h2->m.from == 1 && h2->m.term == raft_term(r) && !h2->after);
        CHECK(h2->m.commit == 1);
        CHECK(h3->m.commit == 0);  /* never past what 3 holds */
    }
    outq_clear(&q);
    for (int i = 0; i < 2 * 5; i++) raft_tick(r);
    flush(r, &q);
    CHECK(count(&q, MSG_HEARTBEAT, 2) == 5 && count(&q, MSG_HEARTBEAT, 3) == 5);
    outq_free(&q);
    raft_free(r);
}

/* 5.2: a follower (and a candidate) that hears nothing for an election
 * timeout starts an election. Our design: it first becomes PRECANDIDATE at
 * the same term and asks for pre-votes for term+1; only a pre-vote quorum
 * makes it a CANDIDATE, which bumps the term, votes for itself and asks
 * for votes. */
static void test_nonleader_start_election(void) {
    static const uint64_t lg[] = {1, 1};
    for (int from_candidate = 0; from_candidate < 2; from_candidate++) {
        raft *r = mk(1, 3, 1, lg, 2);
        if (from_candidate) { to_candidate(r, 3); CHECK(raft_role(r) == RAFT_CANDIDATE); }
        flush(r, NULL);
        uint64_t t = raft_term(r);
        int ticks = 0;
        int start = raft_role(r);
        outq q = {0};
        for (; ticks < 2 * E; ticks++) {
            raft_tick(r);
            flush(r, &q);
            if (count(&q, MSG_PREVOTE, 0)) break;
        }
        ticks++;
        CHECKMSG(ticks >= E && ticks < 2 * E, "from role %d: election after %d ticks", start, ticks);
        CHECK(raft_role(r) == RAFT_PRECANDIDATE);
        CHECK(raft_term(r) == t);  /* pre-vote: the term is not bumped yet */
        CHECK(count(&q, MSG_PREVOTE, 2) == 1 && count(&q, MSG_PREVOTE, 3) == 1 && count(&q, MSG_PREVOTE, 1) == 0);
        const qmsg *pv = find(&q, MSG_PREVOTE, 2);
        if (pv) CHECK(pv->m.term == t + 1 && pv->m.index == 2 && pv->m.log_term == 1);
        outq_clear(&q);

        step(r, (raft_msg){.type = MSG_PREVOTE_RESP, .from = 3, .to = 1, .term = t + 1});
        CHECK(raft_role(r) == RAFT_CANDIDATE);
        CHECK(raft_term(r) == t + 1);
        flushed f = flush(r, &q);
        CHECK(f.hard_state_changed && f.term == t + 1 && f.vote == 1);
        CHECK(count(&q, MSG_VOTE, 2) == 1 && count(&q, MSG_VOTE, 3) == 1);
        const qmsg *v = find(&q, MSG_VOTE, 3);
        if (v) CHECK(v->m.term == t + 1 && v->m.index == 2 && v->m.log_term == 1 && v->after);
        outq_free(&q);
        raft_free(r);
    }
}

/* Bytes of a large message arriving from the leader keep a follower from
 * campaigning, as a heartbeat would; from any other node they do not. */
static void test_streaming_from_leader(void) {
    static const uint64_t lg[] = {1, 1};
    for (int from_leader = 0; from_leader < 2; from_leader++) {
        raft *r = mk(1, 3, 1, lg, 2);
        step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 2, .to = 1, .term = raft_term(r)});
        flush(r, NULL);
        CHECK(raft_leader(r) == 2);
        outq q = {0};
        int campaigned = 0;
        for (int ticks = 0; ticks < 4 * E && !campaigned; ticks++) {
            raft_peer_streaming(r, from_leader ? 2 : 3);
            raft_tick(r);
            flush(r, &q);
            campaigned = count(&q, MSG_PREVOTE, 0) > 0;
            outq_clear(&q);
        }
        CHECKMSG(campaigned == !from_leader, "streaming from node %d: campaigned %d", from_leader ? 2 : 3, campaigned);
        outq_free(&q);
        raft_free(r);
    }
}

/* 5.2: a candidate wins with votes from a majority, steps down when a
 * majority rejects it, and otherwise keeps waiting. The same table holds
 * for the pre-vote round (win: candidate; lose: follower at the old term). */
static void test_leader_election_in_one_round_rpc(void) {
    /* votes[i] for node i+2: 1 granted, -1 rejected, 0 no answer */
    static const struct { int n; int votes[4]; int want; } tab[] = {
        {1, {0}, RAFT_LEADER},
        {3, {1, 1}, RAFT_LEADER},
        {3, {1, 0}, RAFT_LEADER},
        {3, {1, -1}, RAFT_LEADER},
        {3, {-1, -1}, RAFT_FOLLOWER},
        {3, {-1, 0}, RAFT_CANDIDATE},
        {3, {0, 0}, RAFT_CANDIDATE},
        {5, {1, 1, 1, 1}, RAFT_LEADER},
        {5, {1, 1, 0, 0}, RAFT_LEADER},
        {5, {1, -1, 1, -1}, RAFT_LEADER},
        {5, {1, 0, 0, 0}, RAFT_CANDIDATE},
        {5, {1, -1, -1, 0}, RAFT_CANDIDATE},
        {5, {-1, -1, 0, 0}, RAFT_CANDIDATE},
        {5, {-1, -1, -1, 0}, RAFT_FOLLOWER},
        {5, {1, -1, -1, -1}, RAFT_FOLLOWER},
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        int n = tab[k].n;
        /* the vote round */
        raft *r = mk(1, n, 1, NULL, 0);
        to_precandidate(r);
        if (n > 1) {
            for (uint64_t p = 2; p <= (uint64_t)(n / 2 + 1); p++)  /* just a pre-vote quorum */
                step(r, (raft_msg){.type = MSG_PREVOTE_RESP, .from = p, .to = 1, .term = 2});
            CHECK(raft_role(r) == RAFT_CANDIDATE && raft_term(r) == 2);
            for (int i = 0; i < n - 1; i++)
                if (tab[k].votes[i])
                    step(r, (raft_msg){.type = MSG_VOTE_RESP, .from = (uint64_t)i + 2, .to = 1, .term = 2,
                                       .reject = tab[k].votes[i] < 0});
        }
        CHECKMSG(raft_role(r) == tab[k].want, "vote round, case %zu: role %d, want %d", k, raft_role(r), tab[k].want);
        CHECK(raft_term(r) == 2);
        raft_free(r);
        if (n == 1) continue;

        /* the pre-vote round, same answers */
        r = mk(1, n, 1, NULL, 0);
        to_precandidate(r);
        for (int i = 0; i < n - 1; i++)
            if (tab[k].votes[i])
                step(r, (raft_msg){.type = MSG_PREVOTE_RESP, .from = (uint64_t)i + 2, .to = 1,
                                   .term = tab[k].votes[i] > 0 ? 2 : 1, .reject = tab[k].votes[i] < 0});
        int want = tab[k].want == RAFT_LEADER ? RAFT_CANDIDATE : tab[k].want == RAFT_CANDIDATE ? RAFT_PRECANDIDATE
                                                                                               : RAFT_FOLLOWER;
        CHECKMSG(raft_role(r) == want, "pre-vote round, case %zu: role %d, want %d", k, raft_role(r), want);
        CHECK(raft_term(r) == (want == RAFT_CANDIDATE ? 2u : 1u));
        raft_free(r);
    }
}

/* 5.2: each server votes for at most one candidate per term, first come
 * first served; a repeated request from the one it voted for is granted
 * again. The vote given is in the hard state of the ready. */
static void test_follower_vote(void) {
    static const struct { uint64_t vote, from; int reject; } tab[] = {
        {0, 2, 0}, {0, 3, 0}, {2, 2, 0}, {3, 3, 0}, {2, 3, 1}, {3, 2, 1},
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        raft_config c = config(1, 3);
        raft *r = make(&c, 1, tab[k].vote, NULL, 0);
        step(r, (raft_msg){.type = MSG_VOTE, .from = tab[k].from, .to = 1, .term = 1});
        outq q = {0};
        flushed f = flush(r, &q);
        const qmsg *m = find(&q, MSG_VOTE_RESP, tab[k].from);
        CHECKMSG(m && m->m.reject == tab[k].reject, "case %zu: vote %llu, request from %llu", k,
                 (unsigned long long)tab[k].vote, (unsigned long long)tab[k].from);
        CHECK(f.vote == (tab[k].reject ? tab[k].vote : tab[k].from));
        outq_free(&q);
        raft_free(r);
    }
    /* first come first served within one term */
    raft *r = mk(1, 3, 1, NULL, 0);
    outq q = {0};
    step(r, (raft_msg){.type = MSG_VOTE, .from = 3, .to = 1, .term = 2});
    step(r, (raft_msg){.type = MSG_VOTE, .from = 2, .to = 1, .term = 2});
    flushed f = flush(r, &q);
    const qmsg *a = find(&q, MSG_VOTE_RESP, 3), *b = find(&q, MSG_VOTE_RESP, 2);
    CHECK(a && !a->m.reject && b && b->m.reject);
    CHECK(f.term == 2 && f.vote == 3);
    outq_free(&q);
    raft_free(r);
}

/* 5.2: a candidate (and a pre-candidate) that receives AppendEntries from a
 * leader of its own term or newer returns to follower and follows it. */
static void test_candidate_fallback(void) {
    for (int pre = 0; pre < 2; pre++) {
        for (int newer = 0; newer < 2; newer++) {
            for (int hb = 0; hb < 2; hb++) {
                raft *r = mk(1, 3, 1, NULL, 0);
                if (pre) to_precandidate(r); else to_candidate(r, 3);
                CHECK(raft_role(r) == (pre ? RAFT_PRECANDIDATE : RAFT_CANDIDATE));
                flush(r, NULL);
                uint64_t t = raft_term(r) + (uint64_t)newer;
                step(r, (raft_msg){.type = hb ? MSG_HEARTBEAT : MSG_APPEND, .from = 2, .to = 1, .term = t});
                CHECKMSG(raft_role(r) == RAFT_FOLLOWER, "pre %d newer %d heartbeat %d: role %d", pre, newer, hb,
                         raft_role(r));
                CHECK(raft_term(r) == t && raft_leader(r) == 2);
                raft_free(r);
            }
        }
    }
}

/* 5.2: election timeouts are chosen at random from a fixed interval,
 * [election_ticks, 2 * election_ticks) here, for followers and candidates
 * alike, and differ between nodes and between successive elections. */
static void test_election_timeout_randomized(void) {
    int seen[2 * E] = {0}, distinct = 0, bad = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        raft_config c = config(1, 3);
        c.seed = seed * 2654435761u;
        raft *r = make(&c, 1, 0, NULL, 0);
        int ticks = 0;
        while (ticks < 3 * E && raft_role(r) == RAFT_FOLLOWER) { raft_tick(r); ticks++; }
        if (ticks < E || ticks >= 2 * E) bad++;
        else if (!seen[ticks]++) distinct++;
        raft_free(r);
    }
    CHECKMSG(bad == 0, "%d followers timed out outside [%d, %d)", bad, E, 2 * E);
    CHECKMSG(distinct >= E / 2, "only %d distinct timeouts", distinct);

    /* one node, successive elections (as a pre-candidate that gets no answer) */
    raft *r = mk(1, 3, 1, NULL, 0);
    to_precandidate(r);
    flush(r, NULL);
    memset(seen, 0, sizeof(seen));
    distinct = bad = 0;
    for (int e = 0; e < 50; e++) {
        outq q = {0};
        int ticks = 0;
        while (ticks < 3 * E) {
            raft_tick(r);
            ticks++;
            flush(r, &q);
            if (count(&q, MSG_PREVOTE, 0)) break;
        }
        outq_free(&q);
        if (ticks < E || ticks >= 2 * E) bad++;
        else if (!seen[ticks]++) distinct++;
    }
    CHECKMSG(bad == 0, "%d re-elections outside [%d, %d)", bad, E, 2 * E);
    CHECKMSG(distinct >= 3, "only %d distinct timeouts for one node", distinct);
    raft_free(r);

    /* a candidate that gets no answer also retries after a random timeout */
    r = mk(1, 3, 1, NULL, 0);
    to_candidate(r, 3);
    flush(r, NULL);
    int ticks = 0;
    while (ticks < 3 * E && raft_role(r) == RAFT_CANDIDATE) { raft_tick(r); ticks++; }
    CHECK(ticks >= E && ticks < 2 * E);
    raft_free(r);
}

/* 5.3: the leader appends a proposal to its log, hands it out to persist
 * and sends it to every follower in AppendEntries carrying the index and
 * term of the entry before it. The leader may send before its own write
 * is durable (10.2.1), so these go in msgs. */
static void test_leader_start_replication(void) {
    raft *r = leader(3, 1, NULL, 0, 1);
    uint64_t li = raft_last_index(r), t = raft_term(r), commit = raft_commit_index(r);
    uint64_t idx = raft_propose(r, RAFT_ENTRY_COMMAND, "some data", 9);
    CHECK(idx == li + 1 && raft_last_index(r) == li + 1);
    const raft_entry *e = raft_entry_at(r, idx);
    CHECK(e && e->term == t && e->type == RAFT_ENTRY_COMMAND && e->len == 9 && !memcmp(e->data, "some data", 9));
    outq q = {0};
    raft_ready rd;
    raft_ready_get(r, &rd);
    CHECK(rd.nentries == 1 && rd.entries[0].index == idx && rd.entries[0].term == t);
    for (size_t i = 0; i < rd.nmsgs; i++) outq_push(&q, &rd.msgs[i], 0);
    for (size_t i = 0; i < rd.nmsgs_after; i++) outq_push(&q, &rd.msgs_after[i], 1);
    for (uint64_t p = 2; p <= 3; p++) {
        const qmsg *m = find(&q, MSG_APPEND, p);
        CHECKMSG(m != NULL, "no append to %llu", (unsigned long long)p);
        if (!m) continue;
        CHECK(!m->after && m->m.term == t && m->m.index == li && m->m.log_term == t && m->m.commit == commit);
        CHECK(m->m.nentries == 1 && m->m.entries[0].index == idx && m->m.entries[0].term == t);
        CHECK(m->m.entries[0].len == 9 && !memcmp(m->m.entries[0].data, "some data", 9));
    }
    CHECK(count(&q, MSG_APPEND, 1) == 0);
    outq_free(&q);
    raft_free(r);

    /* only a leader takes proposals */
    r = mk(1, 3, 1, NULL, 0);
    CHECK(raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1) == 0 && raft_last_index(r) == 0);
    to_candidate(r, 3);
    CHECK(raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1) == 0 && raft_last_index(r) == 0);
    raft_free(r);
}

/* 5.3: once a majority holds an entry of its term, the leader commits it,
 * hands it out to apply, and tells the followers the new commit index. */
static void test_leader_commit_entry(void) {
    raft *r = leader(3, 1, NULL, 0, 1);
    uint64_t idx = raft_propose(r, RAFT_ENTRY_COMMAND, "v", 1);
    flush(r, NULL);
    CHECK(raft_commit_index(r) == idx - 1);
    ack(r, 2, idx);
    CHECK(raft_commit_index(r) == idx);
    outq q = {0};
    flushed f = flush(r, &q);
    CHECK(f.ncommitted == 1 && f.first_committed == idx && f.cterm[0] == raft_term(r));
    for (uint64_t p = 2; p <= 3; p++) {
        const qmsg *m = NULL;
        for (size_t i = 0; i < q.n; i++)
            if (q.v[i].m.type == MSG_APPEND && q.v[i].m.to == p && q.v[i].m.commit == idx) m = &q.v[i];
        CHECKMSG(m != NULL, "follower %llu not told of commit %llu", (unsigned long long)p, (unsigned long long)idx);
    }
    outq_free(&q);
    raft_free(r);
}

/* 5.3: an entry is committed once the leader's durable copy plus the
 * followers that acknowledged it make a majority, and not before. */
static void test_leader_acknowledge_commit(void) {
    /* acks[i] for node i+2 */
    static const struct { int n; int acks[4]; int committed; } tab[] = {
        {1, {0}, 1},
        {3, {0, 0}, 0},
        {3, {1, 0}, 1},
        {3, {0, 1}, 1},
        {3, {1, 1}, 1},
        {5, {0, 0, 0, 0}, 0},
        {5, {1, 0, 0, 0}, 0},
        {5, {0, 0, 0, 1}, 0},
        {5, {1, 1, 0, 0}, 1},
        {5, {0, 1, 0, 1}, 1},
        {5, {1, 1, 1, 1}, 1},
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        int n = tab[k].n;
        raft *r = leader(n, 1, NULL, 0, 1);
        CHECK(raft_role(r) == RAFT_LEADER);
        uint64_t idx = raft_propose(r, RAFT_ENTRY_COMMAND, "v", 1);
        flushed f1 = flush(r, NULL);  /* the leader's own copy is durable */
        for (int i = 0; i < n - 1; i++)
            if (tab[k].acks[i]) ack(r, (uint64_t)i + 2, idx);
        flushed f2 = flush(r, NULL);
        CHECKMSG((raft_commit_index(r) == idx) == tab[k].committed, "case %zu: commit %llu, entry %llu", k,
                 (unsigned long long)raft_commit_index(r), (unsigned long long)idx);
        int handed = (f1.ncommitted && f1.last_committed == idx) || (f2.ncommitted && f2.last_committed == idx);
        CHECK(handed == tab[k].committed);
        raft_free(r);
    }
}

/* 5.3: committing an entry commits every entry before it, including those
 * of earlier terms; they are handed out to apply in log order. */
static void test_leader_commit_preceding_entries(void) {
    static const struct { uint64_t terms[4]; size_t n; } tab[] = {
        {{0}, 0}, {{2}, 1}, {{1, 1}, 2}, {{1, 2}, 2}, {{1, 1, 2, 2}, 4},
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        size_t n = tab[k].n;
        raft *r = leader(3, 2, tab[k].terms, n, 0);
        uint64_t t = raft_term(r);
        CHECK(t == 3 && raft_last_index(r) == n + 1);
        ack(r, 2, n + 1);
        flushed f = flush(r, NULL);
        CHECKMSG(raft_commit_index(r) == n + 1, "case %zu: commit %llu", k, (unsigned long long)raft_commit_index(r));
        CHECK(f.ncommitted == n + 1 && f.first_committed == 1 && f.committed_in_order);
        for (size_t i = 0; i < n && i < f.ncommitted; i++) CHECK(f.cterm[i] == tab[k].terms[i]);
        if (f.ncommitted == n + 1) CHECK(f.cterm[n] == t && f.ctype[n] == RAFT_ENTRY_NOOP);
        raft_free(r);
    }
}

/* 5.3: a follower learns the commit index from AppendEntries, up to the
 * last entry that message made it hold, and applies in order. Heartbeats
 * carry it too. */
static void test_follower_commit_entry(void) {
    static const struct { size_t nent; uint64_t commit; } tab[] = {
        {1, 1}, {2, 1}, {2, 2}, {3, 2}, {3, 5}, {2, 0},
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        raft *r = mk(1, 3, 1, NULL, 0);
        raft_entry ents[3];
        char data[3][32];
        for (size_t i = 0; i < tab[k].nent; i++) {
            ents[i] = (raft_entry){.term = 1, .index = i + 1, .type = RAFT_ENTRY_COMMAND, .data = data[i]};
            ents[i].len = entry_data(i + 1, 1, data[i], sizeof(data[i]));
        }
        step(r, (raft_msg){.type = MSG_APPEND, .from = 2, .to = 1, .term = 1, .commit = tab[k].commit,
                           .entries = ents, .nentries = tab[k].nent});
        uint64_t want = tab[k].commit < tab[k].nent ? tab[k].commit : tab[k].nent;
        CHECKMSG(raft_commit_index(r) == want, "case %zu: commit %llu want %llu", k,
                 (unsigned long long)raft_commit_index(r), (unsigned long long)want);
        flushed f = flush(r, NULL);
        CHECK(f.ncommitted == want && f.committed_in_order && (!want || f.first_committed == 1));
        raft_free(r);
    }
    /* a heartbeat carries the commit index */
    static const uint64_t lg[] = {1, 1, 1};
    raft *r = mk(1, 3, 1, lg, 3);
    step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 2, .to = 1, .term = 1, .commit = 2});
    CHECK(raft_commit_index(r) == 2 && raft_leader(r) == 2);
    flushed f = flush(r, NULL);
    CHECK(f.ncommitted == 2 && f.last_committed == 2);
    step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 2, .to = 1, .term = 1, .commit = 1});
    CHECK(raft_commit_index(r) == 2);  /* never goes back */
    raft_free(r);
}

/* 5.3: the consistency check: a follower accepts AppendEntries only when it
 * holds an entry at the preceding index with the preceding term; the reply
 * goes after the follower's state is durable. */
static void test_follower_check_append(void) {
    static const uint64_t lg[] = {1, 2};
    static const struct { uint64_t term, index; int reject; uint64_t resp_index; } tab[] = {
        {0, 0, 0, 0}, {1, 1, 0, 1}, {2, 2, 0, 2}, {1, 2, 1, 2}, {2, 1, 1, 1}, {3, 3, 1, 3}, {2, 5, 1, 5},
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        raft *r = mk(1, 3, 2, lg, 2);
        step(r, (raft_msg){.type = MSG_APPEND, .from = 2, .to = 1, .term = 2, .index = tab[k].index,
                           .log_term = tab[k].term});
        outq q = {0};
        flush(r, &q);
        const qmsg *m = find(&q, MSG_APPEND_RESP, 2);
        CHECKMSG(m && m->m.reject == tab[k].reject && m->m.index == tab[k].resp_index && m->after,
                 "case %zu: reject %d index %llu", k, m ? m->m.reject : -1,
                 m ? (unsigned long long)m->m.index : 0ULL);
        CHECK(log_is(r, lg, 2));
        outq_free(&q);
        raft_free(r);
    }
}

/* 5.3: when an entry conflicts with a new one (same index, other term) the
 * follower deletes it and all that follow, then appends the new entries;
 * entries it already holds are kept. The ready tells the caller to truncate
 * from the first index it hands out. */
static void test_follower_append_entries(void) {
    static const struct {
        uint64_t index, log_term;
        uint64_t ents[3]; size_t nents;     /* terms of entries index+1.. */
        uint64_t want[4]; size_t nwant;
        uint64_t first_out; size_t nout;    /* entries handed out to persist */
    } tab[] = {
        {2, 2, {3}, 1, {1, 2, 3}, 3, 3, 1},
        {1, 1, {3, 4}, 2, {1, 3, 4}, 3, 2, 2},
        {0, 0, {1}, 1, {1, 2}, 2, 0, 0},
        {0, 0, {1, 2}, 2, {1, 2}, 2, 0, 0},
        {0, 0, {3}, 1, {3}, 1, 1, 1},
        {1, 1, {2, 3}, 2, {1, 2, 3}, 3, 3, 1},
    };
    static const uint64_t lg[] = {1, 2};
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        raft *r = mk(1, 3, 2, lg, 2);
        raft_entry ents[3];
        char data[3][32];
        for (size_t i = 0; i < tab[k].nents; i++) {
            uint64_t idx = tab[k].index + 1 + i;
            ents[i] = (raft_entry){.term = tab[k].ents[i], .index = idx, .type = RAFT_ENTRY_COMMAND, .data = data[i]};
            ents[i].len = entry_data(idx, tab[k].ents[i], data[i], sizeof(data[i]));
        }
        step(r, (raft_msg){.type = MSG_APPEND, .from = 2, .to = 1, .term = 4, .index = tab[k].index,
                           .log_term = tab[k].log_term, .entries = ents, .nentries = tab[k].nents});
        CHECKMSG(log_is(r, tab[k].want, tab[k].nwant), "case %zu: log of %llu entries", k,
                 (unsigned long long)raft_last_index(r));
        flushed f = flush(r, NULL);
        CHECKMSG(f.nentries == tab[k].nout && (!f.nentries || f.first_entry == tab[k].first_out),
                 "case %zu: %zu entries handed out from %llu", k, f.nentries, (unsigned long long)f.first_entry);
        raft_free(r);
    }
}

/* 5.3, Figure 7: whatever a follower's log looks like, the leader finds the
 * last entry they agree on, overwrites the rest, and both logs end up equal
 * (the no-op of the new leader included). */
static void test_leader_sync_follower_log(void) {
    static const uint64_t lead[] = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
    static const struct { uint64_t terms[12]; size_t n; } fol[] = {
        {{1, 1, 1, 4, 4, 5, 5, 6, 6}, 9},                  /* (a) */
        {{1, 1, 1, 4}, 4},                                 /* (b) */
        {{1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}, 11},           /* (c) */
        {{1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}, 12},        /* (d) */
        {{1, 1, 1, 4, 4, 4, 4}, 7},                        /* (e) */
        {{1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}, 11},           /* (f) */
        {{0}, 0},                                          /* empty */
    };
    for (size_t k = 0; k < sizeof(fol) / sizeof(fol[0]); k++) {
        net nw;
        memset(&nw, 0, sizeof(nw));
        nw.n = 3;
        nw.apply_order_ok = 1;
        nw.r[1] = mk(1, 3, 7, lead, 10);
        nw.r[2] = mk(2, 3, fol[k].n ? fol[k].terms[fol[k].n - 1] : 0, fol[k].terms, fol[k].n);
        /* node 3 is absent; its votes are written by hand */
        to_leader(nw.r[1], 3);
        CHECK(raft_role(nw.r[1]) == RAFT_LEADER && raft_term(nw.r[1]) == 8);
        flush(nw.r[1], NULL);  /* election traffic and first appends are lost */
        raft_tick(nw.r[1]);   /* a heartbeat restarts the exchange */
        net_run(&nw);
        CHECKMSG(same_log(nw.r[1], nw.r[2]), "follower (%c): logs differ (%llu vs %llu entries)", (int)('a' + k),
                 (unsigned long long)raft_last_index(nw.r[1]), (unsigned long long)raft_last_index(nw.r[2]));
        CHECK(raft_last_index(nw.r[1]) == 11);
        CHECK(raft_commit_index(nw.r[1]) == 11 && raft_commit_index(nw.r[2]) == 11);
        CHECK(nw.applied[1] == 11 && nw.applied[2] == 11 && nw.apply_order_ok);
        net_free(&nw);
    }
}

/* 5.2, 5.4.1: a candidate's vote requests carry its term and the index and
 * term of its last entry; so do pre-vote requests, for the next term. */
static void test_vote_request(void) {
    static const struct { uint64_t terms[3]; size_t n; } tab[] = {
        {{0}, 0}, {{1}, 1}, {{1, 2}, 2}, {{1, 1, 3}, 3},
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        uint64_t lt = tab[k].n ? tab[k].terms[tab[k].n - 1] : 0;
        raft *r = mk(1, 3, lt, tab[k].terms, tab[k].n);
        outq q = {0};
        to_precandidate(r);
        flush(r, &q);
        for (uint64_t p = 2; p <= 3; p++) {
            const qmsg *m = find(&q, MSG_PREVOTE, p);
            CHECK(m && m->m.term == lt + 1 && m->m.index == tab[k].n && m->m.log_term == lt);
        }
        outq_clear(&q);
        step(r, (raft_msg){.type = MSG_PREVOTE_RESP, .from = 2, .to = 1, .term = lt + 1});
        flush(r, &q);
        for (uint64_t p = 2; p <= 3; p++) {
            const qmsg *m = find(&q, MSG_VOTE, p);
            CHECKMSG(m && m->m.term == lt + 1 && m->m.index == tab[k].n && m->m.log_term == lt && m->m.from == 1,
                     "case %zu: vote request to %llu", k, (unsigned long long)p);
        }
        outq_free(&q);
        raft_free(r);
    }
}

/* 5.4.1: a voter denies its vote (and its pre-vote) to a candidate whose
 * log is less up-to-date than its own: compare last terms, then lengths. */
static void test_voter(void) {
    static const struct { uint64_t terms[3]; size_t n; uint64_t index, log_term; int reject; } tab[] = {
        /* same last term: the longer log wins ties */
        {{1}, 1, 1, 1, 0},
        {{1}, 1, 2, 1, 0},
        {{1, 1}, 2, 1, 1, 1},
        {{1, 1}, 2, 2, 1, 0},
        {{1, 1}, 2, 3, 1, 0},
        /* a higher last term wins whatever the length */
        {{1}, 1, 1, 2, 0},
        {{1, 1, 1}, 3, 1, 2, 0},
        {{2}, 1, 5, 1, 1},
        {{1, 2}, 2, 1, 1, 1},
        {{1, 2}, 2, 9, 1, 1},
        /* an empty log loses to any */
        {{1}, 1, 0, 0, 1},
        {{0}, 0, 0, 0, 0},
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        for (int pre = 0; pre < 2; pre++) {
            raft *r = mk(1, 3, 2, tab[k].terms, tab[k].n);
            step(r, (raft_msg){.type = pre ? MSG_PREVOTE : MSG_VOTE, .from = 2, .to = 1, .term = 3,
                               .index = tab[k].index, .log_term = tab[k].log_term});
            outq q = {0};
            flushed f = flush(r, &q);
            const qmsg *m = find(&q, pre ? MSG_PREVOTE_RESP : MSG_VOTE_RESP, 2);
            CHECKMSG(m && m->m.reject == tab[k].reject, "case %zu %s: reject %d, want %d", k, pre ? "pre-vote" : "vote",
                     m ? m->m.reject : -1, tab[k].reject);
            if (!pre) CHECK(f.vote == (tab[k].reject ? 0u : 2u));
            outq_free(&q);
            raft_free(r);
        }
    }
}

/* 5.4.2, Figure 8: a leader never commits an entry of an earlier term by
 * counting replicas; it commits it only through an entry of its own term
 * (here its no-op) reaching a majority. */
static void test_leader_only_commits_log_from_current_term(void) {
    static const uint64_t lg[] = {1, 2};
    raft *r = leader(3, 2, lg, 2, 0);
    CHECK(raft_term(r) == 3 && raft_last_index(r) == 3);
    ack(r, 2, 2);  /* a majority (1 and 2) holds entry 2, of term 2 */
    raft_peer_info pi;
    CHECK(raft_peer(r, 2, &pi) && pi.match == 2);
    flushed f = flush(r, NULL);
    CHECKMSG(raft_commit_index(r) == 0, "committed %llu by counting replicas of an older term",
             (unsigned long long)raft_commit_index(r));
    CHECK(f.ncommitted == 0);
    ack(r, 3, 2);  /* even all of them */
    CHECK(raft_commit_index(r) == 0);
    ack(r, 2, 3);  /* the no-op of term 3 reaches a majority */
    CHECK(raft_commit_index(r) == 3);
    f = flush(r, NULL);
    CHECK(f.ncommitted == 3 && f.first_committed == 1 && f.committed_in_order);
    raft_free(r);
}

/* ================================================================== */
/* Extensions                                                          */
/* ================================================================== */

/* 9.6 pre-vote: a node cut off from the cluster keeps timing out but never
 * bumps its term; when it comes back it follows the leader without
 * disturbing it. */
static void test_prevote_partitioned_node_rejoins_without_new_term(void) {
    net nw;
    net_init(&nw, 3);
    net_elect(&nw, 1);
    CHECK(raft_role(nw.r[1]) == RAFT_LEADER);
    uint64_t t = raft_term(nw.r[1]);
    net_isolate(&nw, 3, 1);
    int campaigned = 0, term_moved = 0;
    for (int i = 0; i < 6 * E; i++) {
        net_tick_all(&nw);
        campaigned |= raft_role(nw.r[3]) == RAFT_PRECANDIDATE;
        term_moved |= raft_term(nw.r[3]) != t || raft_role(nw.r[3]) == RAFT_CANDIDATE;
    }
    CHECK(campaigned);
    CHECKMSG(!term_moved, "an isolated node moved to term %llu (was %llu)", (unsigned long long)raft_term(nw.r[3]),
             (unsigned long long)t);
    net_isolate(&nw, 3, 0);
    for (int i = 0; i < 3 * E; i++) net_tick_all(&nw);
    for (int i = 1; i <= 3; i++) {
        CHECK(raft_term(nw.r[i]) == t);
        CHECK(raft_leader(nw.r[i]) == 1);
    }
    CHECK(raft_role(nw.r[1]) == RAFT_LEADER && raft_role(nw.r[3]) == RAFT_FOLLOWER);
    net_free(&nw);
}

/* 9.6: granting or refusing a pre-vote changes neither term nor vote, and
 * needs nothing persisted. */
static void test_prevote_does_not_change_term_or_vote(void) {
    for (int grantable = 0; grantable < 2; grantable++) {
        static const uint64_t lg[] = {1, 2};
        raft_config c = config(1, 3);
        raft *r = make(&c, 2, 3, lg, 2);
        step(r, (raft_msg){.type = MSG_PREVOTE, .from = 2, .to = 1, .term = 3, .index = grantable ? 2 : 1,
                           .log_term = 2});
        outq q = {0};
        flushed f = flush(r, &q);
        const qmsg *m = find(&q, MSG_PREVOTE_RESP, 2);
        CHECK(m && m->m.reject == !grantable);
        if (m && grantable) CHECK(m->m.term == 3);
        CHECK(raft_term(r) == 2 && raft_role(r) == RAFT_FOLLOWER);
        CHECK(!f.hard_state_changed && f.term == 2 && f.vote == 3);
        outq_free(&q);
        raft_free(r);
    }
    /* and the pre-candidate itself keeps its term and vote */
    raft_config c = config(1, 3);
    raft *r = make(&c, 4, 2, NULL, 0);
    to_precandidate(r);
    flushed f = flush(r, NULL);
    CHECK(raft_role(r) == RAFT_PRECANDIDATE && raft_term(r) == 4);
    CHECK(!f.hard_state_changed && f.vote == 2);
    raft_free(r);
}

/* 6.2 check-quorum: a leader that does not hear from a majority for an
 * election timeout steps down (same term, no leader); one that hears from
 * a majority stays. Our design checks at the end of fixed periods of
 * election_ticks, counting who answered during the period, so a leader
 * that goes quiet steps down at the end of the first whole period without
 * answers: between one and two election timeouts after it last heard a
 * majority (etcd does the same). */
static void test_check_quorum_leader_steps_down(void) {
    net nw;
    net_init(&nw, 3);
    net_elect(&nw, 1);
    CHECK(raft_role(nw.r[1]) == RAFT_LEADER);
    uint64_t t = raft_term(nw.r[1]);
    for (int i = 0; i < 3 * E + 3; i++) net_tick_all(&nw);  /* everybody answering */
    CHECK(raft_role(nw.r[1]) == RAFT_LEADER);
    net_isolate(&nw, 1, 1);
    int ticks = 0;
    while (ticks < 4 * E && raft_role(nw.r[1]) == RAFT_LEADER) {
        raft_tick(nw.r[1]);
        net_run(&nw);
        ticks++;
    }
    CHECKMSG(raft_role(nw.r[1]) == RAFT_FOLLOWER && ticks <= 2 * E,
             "a leader that heard nobody stepped down after %d ticks (role %d)", ticks, raft_role(nw.r[1]));
    CHECK(ticks >= E);
    CHECK(raft_term(nw.r[1]) == t && raft_leader(nw.r[1]) == 0);
    uint64_t ri;
    CHECK(raft_read_index(nw.r[1], &ri) == 0);
    net_free(&nw);

    /* one follower of two answering is a majority */
    net_init(&nw, 3);
    net_elect(&nw, 1);
    net_isolate(&nw, 3, 1);
    for (int i = 0; i < 5 * E; i++) {
        raft_tick(nw.r[1]);
        raft_tick(nw.r[2]);
        net_run(&nw);
    }
    CHECK(raft_role(nw.r[1]) == RAFT_LEADER && raft_term(nw.r[1]) == t);
    net_free(&nw);
}

/* 4.2.3: a server that heard from its leader within the minimum election
 * timeout ignores vote requests (and refuses pre-votes) for a higher term;
 * once that time has passed it votes normally. A leader transfer (context
 * set) is exempt. */
static void test_leader_lease_ignores_vote(void) {
    net nw;
    net_init(&nw, 3);
    net_elect(&nw, 1);
    CHECK(raft_role(nw.r[1]) == RAFT_LEADER);
    uint64_t t = raft_term(nw.r[1]), li = raft_last_index(nw.r[2]);
    raft *f2 = nw.r[2];
    CHECK(raft_leader(f2) == 1);
    outq q = {0};
    uint64_t vote = flush(f2, NULL).vote;
    step(f2, (raft_msg){.type = MSG_VOTE, .from = 3, .to = 2, .term = t + 1, .index = li, .log_term = t});
    flushed f = flush(f2, &q);
    CHECKMSG(raft_term(f2) == t, "a follower with a live leader moved to term %llu", (unsigned long long)raft_term(f2));
    CHECK(count(&q, MSG_VOTE_RESP, 3) == 0 && !f.hard_state_changed && f.vote == vote && raft_leader(f2) == 1);
    step(f2, (raft_msg){.type = MSG_PREVOTE, .from = 3, .to = 2, .term = t + 1, .index = li, .log_term = t});
    flush(f2, &q);
    const qmsg *m = find(&q, MSG_PREVOTE_RESP, 3);
    CHECK(m && m->m.reject);
    CHECK(raft_term(f2) == t);
    outq_clear(&q);

    /* the leader itself, too */
    step(nw.r[1], (raft_msg){.type = MSG_VOTE, .from = 3, .to = 1, .term = t + 1, .index = li, .log_term = t});
    CHECK(raft_role(nw.r[1]) == RAFT_LEADER && raft_term(nw.r[1]) == t);

    /* a leader transfer is not disruptive: it is honoured */
    raft *f3 = nw.r[3];
    step(f3, (raft_msg){.type = MSG_VOTE, .from = 1, .to = 3, .term = t + 1, .index = li, .log_term = t, .context = 1});
    flush(f3, &q);
    m = find(&q, MSG_VOTE_RESP, 1);
    CHECK(m && !m->m.reject && raft_term(f3) == t + 1);
    outq_clear(&q);

    /* the lease runs out after an election timeout without the leader */
    flush(f2, NULL);
    for (int i = 0; i < E; i++) raft_tick(f2);
    flush(f2, NULL);
    step(f2, (raft_msg){.type = MSG_VOTE, .from = 3, .to = 2, .term = t + 1, .index = li, .log_term = t});
    flush(f2, &q);
    m = find(&q, MSG_VOTE_RESP, 3);
    CHECK(m && !m->m.reject && raft_term(f2) == t + 1);
    outq_free(&q);
    net_free(&nw);
}

/* 8 (client interaction): a new leader appends a no-op entry of its term
 * and replicates it at once, so that it can commit what came before. */
static void test_leader_appends_noop_on_election(void) {
    static const uint64_t lg[] = {1, 1};
    raft *r = mk(1, 3, 1, lg, 2);
    to_leader(r, 3);
    CHECK(raft_role(r) == RAFT_LEADER && raft_term(r) == 2);
    const raft_entry *e = raft_entry_at(r, 3);
    CHECK(raft_last_index(r) == 3 && e && e->term == 2 && e->type == RAFT_ENTRY_NOOP && e->len == 0);
    outq q = {0};
    flushed f = flush(r, &q);
    CHECK(f.nentries == 1 && f.first_entry == 3);
    for (uint64_t p = 2; p <= 3; p++) {
        const qmsg *m = find(&q, MSG_APPEND, p);
        CHECK(m && m->m.index == 2 && m->m.log_term == 1 && m->m.nentries == 1 && m->m.entries[0].index == 3 &&
              m->m.entries[0].type == RAFT_ENTRY_NOOP && m->m.entries[0].term == 2);
    }
    outq_free(&q);
    raft_free(r);

    /* a cluster of one: elected on its own, the no-op commits once durable */
    r = mk(1, 1, 5, lg, 2);
    raft_campaign(r);
    CHECK(raft_role(r) == RAFT_LEADER && raft_term(r) == 6 && raft_last_index(r) == 3);
    f = flush(r, NULL);
    CHECK(raft_commit_index(r) == 3 && f.ncommitted == 3 && f.ctype[2] == RAFT_ENTRY_NOOP);
    raft_free(r);
}

/* 6.4 read index: a read round is confirmed only once a quorum (the leader
 * included) answered heartbeats sent after it started, in the current
 * term; older rounds, duplicates and stale terms do not count. The read
 * index is the commit index, but never before the leader's no-op. */
static void test_read_index_confirmed_by_quorum(void) {
    raft *r = leader(5, 1, NULL, 0, 0);
    uint64_t t = raft_term(r), ri = 99;
    uint64_t k0 = raft_read_index(r, &ri);
    CHECK(k0 > 0);
    CHECKMSG(ri == raft_last_index(r), "read index %llu before the no-op (%llu) commits", (unsigned long long)ri,
             (unsigned long long)raft_last_index(r));
    for (uint64_t p = 2; p <= 5; p++) ack(r, p, raft_last_index(r));
    flush(r, NULL);
    CHECK(raft_commit_index(r) == 1);

    uint64_t k1 = raft_read_index(r, &ri);
    CHECK(k1 > k0 && ri == 1);
    uint64_t k2 = raft_read_index(r, &ri);
    CHECK(k2 > k1);
    outq q = {0};
    flushed f = flush(r, &q);
    CHECK(f.confirmed_round < k2);
    CHECK(count(&q, MSG_HEARTBEAT, 0) >= 4);
    const qmsg *hb = NULL;
    for (size_t i = 0; i < q.n; i++)
        if (q.v[i].m.type == MSG_HEARTBEAT && q.v[i].m.to == 2 && q.v[i].m.context == k2) hb = &q.v[i];
    CHECK(hb && !hb->after);
    outq_free(&q);

    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 2, .to = 1, .term = t, .context = k2});
    CHECK(flush(r, NULL).confirmed_round < k2);  /* 2 of 5 */
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 2, .to = 1, .term = t, .context = k2});
    CHECK(flush(r, NULL).confirmed_round < k2);  /* a duplicate */
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = t, .context = k1});
    f = flush(r, NULL);
    CHECK(f.confirmed_round >= k1 && f.confirmed_round < k2);  /* an older round */
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = t, .context = k1});
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = t, .context = k1});
    CHECK(flush(r, NULL).confirmed_round < k2);  /* ... however often it comes */
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 4, .to = 1, .term = t - 1, .context = k2});
    CHECK(flush(r, NULL).confirmed_round < k2);  /* a stale term */
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 5, .to = 1, .term = t, .context = k2});
    CHECK(flush(r, NULL).confirmed_round >= k2);
    raft_free(r);

    /* a cluster of one confirms at once */
    r = mk(1, 1, 0, NULL, 0);
    raft_campaign(r);
    flush(r, NULL);
    uint64_t k = raft_read_index(r, &ri);
    CHECK(k > 0 && ri == 1 && flush(r, NULL).confirmed_round >= k);
    raft_free(r);
}

/* A read forwarded by a voter stamped with the leader's term needs no
 * round when the quorum is two (the voter and the leader rule out a newer
 * leader); never with a larger quorum, a stale or newer term, a
 * non-member, itself, or on a non-leader. The index obeys the no-op rule. */
static void test_read_index_vouched(void) {
    raft *r = leader(3, 1, NULL, 0, 0);
    uint64_t t = raft_term(r), ri = 0;
    CHECK(raft_read_index_vouched(r, 2, t, &ri) == 1 && ri == raft_last_index(r));  /* waits for the no-op */
    for (uint64_t p = 2; p <= 3; p++) ack(r, p, raft_last_index(r));
    flush(r, NULL);
    outq q = {0};
    CHECK(raft_read_index_vouched(r, 3, t, &ri) == 1 && ri == raft_commit_index(r));
    flush(r, &q);
    CHECK(count(&q, MSG_HEARTBEAT, 0) == 0);  /* no round was started */
    outq_free(&q);
    CHECK(raft_read_index_vouched(r, 2, t - 1, &ri) == 0);
    CHECK(raft_read_index_vouched(r, 2, t + 1, &ri) == 0);
    CHECK(raft_read_index_vouched(r, 1, t, &ri) == 0);
    CHECK(raft_read_index_vouched(r, 4, t, &ri) == 0);
    raft_free(r);
    r = leader(5, 1, NULL, 0, 1);
    CHECK(raft_read_index_vouched(r, 2, raft_term(r), &ri) == 0);
    raft_free(r);
    r = mk(1, 3, 1, NULL, 0);
    CHECK(raft_read_index_vouched(r, 2, raft_term(r), &ri) == 0);
    raft_free(r);
}

/* 6.4.1: a leader's lease needs its own conditions only (the caller
 * keeps the clock): leading, and no hand-over begun this term, since a
 * TIMEOUT_NOW lets its target win votes the lease counts on. */
static void test_read_index_lease(void) {
    raft *r = leader(3, 1, NULL, 0, 1);
    uint64_t ri = 0;
    CHECK(raft_read_index_lease(r, &ri) == 1 && ri == raft_commit_index(r));
    outq q = {0};
    flush(r, &q);
    CHECK(count(&q, MSG_HEARTBEAT, 0) == 0);  /* no round was started */
    outq_clear(&q);
    CHECK(raft_transfer_leader(r, 2) == 2);
    CHECK(raft_read_index_lease(r, &ri) == 0);
    for (int i = 0; i < 2 * E; i++) {  /* the transfer gives up; the term goes on */
        raft_tick(r);
        for (uint64_t p = 2; p <= 3; p++)
            step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = p, .to = 1, .term = raft_term(r)});
    }
    flush(r, NULL);
    CHECK(raft_role(r) == RAFT_LEADER && raft_transferee(r) == 0);
    CHECK(raft_read_index_lease(r, &ri) == 0);
    outq_free(&q);
    raft_free(r);
    r = mk(1, 3, 1, NULL, 0);
    CHECK(raft_read_index_lease(r, &ri) == 0);
    raft_free(r);
}

/* r's answer to a vote for `from` in term, whose log ends at (index,
 * log_term): 1 granted, 0 refused, -1 none. */
static int vote_answer(raft *r, uint64_t from, uint64_t term, uint64_t index, uint64_t log_term, int context) {
    outq q = {0};
    flush(r, NULL);
    step(r, (raft_msg){.type = MSG_VOTE, .from = from, .to = raft_id(r), .term = term, .index = index,
                       .log_term = log_term, .context = (uint64_t)context});
    flush(r, &q);
    const qmsg *m = find(&q, MSG_VOTE_RESP, from);
    int a = m ? !m->m.reject : -1;
    outq_free(&q);
    return a;
}

/* 4.2.3 across a term change: a follower that just acknowledged the
 * leader's round is moved to a higher term by a stray answer (a pre-vote
 * rejection); it still refuses a vote in that term for an election
 * timeout, or a candidate could win while the leader's lease runs. */
static void test_heard_leader_survives_term_change(void) {
    net nw;
    net_init(&nw, 3);
    net_elect(&nw, 1);
    uint64_t t = raft_term(nw.r[1]), li = raft_last_index(nw.r[2]);
    raft *f2 = nw.r[2];
    CHECK(raft_leader(f2) == 1);
    step(f2, (raft_msg){.type = MSG_HEARTBEAT, .from = 1, .to = 2, .term = t, .context = 7});
    outq q = {0};
    flush(f2, &q);
    CHECK(find(&q, MSG_HEARTBEAT_RESP, 1) != NULL);  /* it acknowledged a round */
    outq_clear(&q);
    step(f2, (raft_msg){.type = MSG_PREVOTE_RESP, .from = 3, .to = 2, .term = t + 1, .reject = 1});
    flush(f2, &q);
    outq_clear(&q);
    CHECK(raft_term(f2) == t + 1);
    step(f2, (raft_msg){.type = MSG_VOTE, .from = 3, .to = 2, .term = t + 1, .index = li, .log_term = t});
    flush(f2, &q);
    const qmsg *m = find(&q, MSG_VOTE_RESP, 3);
    CHECKMSG(!m || m->m.reject, "a vote granted %d tick(s) after acknowledging the leader", 0);
    outq_free(&q);
    for (int i = 0; i < E; i++) raft_tick(f2);  /* an election timeout later it votes */
    CHECK(vote_answer(f2, 3, raft_term(f2), li, t, 0) == 1);
    net_free(&nw);
}

/* With boot_quiet a node refuses (pre-)votes for its first election
 * timeout, as if it had just heard a leader: it may have acknowledged a
 * lease just before it went down. A hand-over's are honoured. */
static void test_boot_quiet(void) {
    raft_config c = config(2, 3);
    c.boot_quiet = 1;
    raft *r = make(&c, 1, 0, NULL, 0);
    outq q = {0};
    step(r, (raft_msg){.type = MSG_PREVOTE, .from = 3, .to = 2, .term = 2});
    flush(r, &q);
    const qmsg *m = find(&q, MSG_PREVOTE_RESP, 3);
    CHECK(m && m->m.reject);
    outq_free(&q);
    CHECK(vote_answer(r, 3, 2, 0, 0, 0) == -1 && raft_term(r) == 1);
    CHECK(vote_answer(r, 1, 2, 0, 0, 1) == 1 && raft_term(r) == 2);  /* a hand-over's */
    raft_free(r);
    r = make(&c, 1, 0, NULL, 0);
    for (int i = 0; i < E - 1; i++) raft_tick(r);
    CHECK(vote_answer(r, 3, 2, 0, 0, 0) == -1);
    raft_tick(r);
    CHECK(vote_answer(r, 3, 2, 0, 0, 0) == 1);
    raft_free(r);
    c.boot_quiet = 0;  /* without it, at once */
    r = make(&c, 1, 0, NULL, 0);
    CHECK(vote_answer(r, 3, 2, 0, 0, 0) == 1);
    raft_free(r);
}

/* 6.4: only a leader serves read rounds; others report none. */
static void test_read_index_not_on_nonleader(void) {
    static const int roles[] = {RAFT_FOLLOWER, RAFT_PRECANDIDATE, RAFT_CANDIDATE};
    for (int k = 0; k < 3; k++) {
        raft *r = mk(1, 3, 1, NULL, 0);
        if (roles[k] == RAFT_PRECANDIDATE) to_precandidate(r);
        if (roles[k] == RAFT_CANDIDATE) to_candidate(r, 3);
        uint64_t ri = 0;
        CHECK(raft_read_index(r, &ri) == 0);
        outq q = {0};
        flushed f = flush(r, &q);
        CHECK(f.confirmed_round == 0 && count(&q, MSG_HEARTBEAT, 0) == 0);
        /* answers to heartbeats it never sent confirm nothing */
        step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 2, .to = 1, .term = raft_term(r), .context = 1});
        step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = raft_term(r), .context = 1});
        CHECK(flush(r, NULL).confirmed_round == 0);
        outq_free(&q);
        raft_free(r);
    }
    /* a deposed leader stops reporting its rounds */
    raft *r = leader(3, 1, NULL, 0, 1);
    uint64_t ri;
    uint64_t k = raft_read_index(r, &ri);
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 2, .to = 1, .term = raft_term(r), .context = k});
    CHECK(flush(r, NULL).confirmed_round >= k);
    step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 2, .to = 1, .term = raft_term(r) + 1});
    CHECK(raft_role(r) == RAFT_FOLLOWER && flush(r, NULL).confirmed_round == 0);
    raft_free(r);
}

/* 6.4: a leader of a new term starts new rounds: round ids never repeat
 * across terms, and a new round needs answers of the new term. */
static void test_read_index_new_term_new_round(void) {
    raft *r = leader(3, 1, NULL, 0, 1);
    uint64_t t1 = raft_term(r), ri;
    uint64_t a = raft_read_index(r, &ri);
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 2, .to = 1, .term = t1, .context = a});
    uint64_t b = raft_read_index(r, &ri);  /* never confirmed in t1 */
    CHECK(flush(r, NULL).confirmed_round == a);
    step(r, (raft_msg){.type = MSG_APPEND, .from = 2, .to = 1, .term = t1 + 1, .index = raft_last_index(r),
                       .log_term = t1, .commit = raft_commit_index(r)});
    CHECK(raft_role(r) == RAFT_FOLLOWER);
    flush(r, NULL);
    to_leader(r, 3);
    CHECK(raft_role(r) == RAFT_LEADER);
    uint64_t t2 = raft_term(r);
    CHECK(t2 > t1 + 1);
    flush(r, NULL);
    uint64_t c = raft_read_index(r, &ri);
    CHECKMSG(c > b, "round %llu of term %llu reuses an id of term %llu (up to %llu)", (unsigned long long)c,
             (unsigned long long)t2, (unsigned long long)t1, (unsigned long long)b);
    CHECK(ri == raft_last_index(r));  /* the new no-op */
    CHECK(flush(r, NULL).confirmed_round < c);
    /* an answer of the old term does not confirm a new round */
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 2, .to = 1, .term = t1, .context = c});
    CHECK(flush(r, NULL).confirmed_round < c);
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = t2, .context = c});
    CHECK(flush(r, NULL).confirmed_round >= c);
    raft_free(r);
}

/* Fast back-off (3.5): a follower's rejection names the conflicting term
 * and the first index it holds of that term (never inside its committed
 * prefix), or, when its log is too short, its length + 1. */
static void test_fast_backoff_follower_hint(void) {
    static const uint64_t lg[] = {1, 1, 2, 2, 2, 2};
    static const struct { uint64_t index, log_term, commit; uint64_t hint_index, hint_term; } tab[] = {
        {6, 3, 0, 3, 2},
        {4, 3, 0, 3, 2},
        {2, 3, 0, 1, 1},
        {8, 3, 0, 7, 0},
        {7, 2, 0, 7, 0},
        {6, 3, 4, 5, 2},  /* entries up to 4 are committed: the hint stays after them */
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        raft *r = mk(1, 3, 2, lg, 6);
        if (tab[k].commit)
            step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 2, .to = 1, .term = 2, .commit = tab[k].commit});
        CHECK(raft_commit_index(r) == tab[k].commit);
        flush(r, NULL);
        step(r, (raft_msg){.type = MSG_APPEND, .from = 2, .to = 1, .term = 3, .index = tab[k].index,
                           .log_term = tab[k].log_term});
        outq q = {0};
        flush(r, &q);
        const qmsg *m = find(&q, MSG_APPEND_RESP, 2);
        CHECKMSG(m && m->m.reject && m->m.index == tab[k].index && m->m.hint_index == tab[k].hint_index &&
                     m->m.hint_term == tab[k].hint_term,
                 "case %zu: hint %llu/%llu, want %llu/%llu", k, m ? (unsigned long long)m->m.hint_index : 0ULL,
                 m ? (unsigned long long)m->m.hint_term : 0ULL, (unsigned long long)tab[k].hint_index,
                 (unsigned long long)tab[k].hint_term);
        outq_free(&q);
        raft_free(r);
    }
}

/* Fast back-off: the leader skips a whole conflicting term at once: to just
 * after its own last entry of the follower's conflicting term, or, when it
 * has none of that term, to the follower's first index of it. */
static void test_fast_backoff_leader_skips_term(void) {
    static const uint64_t lg[] = {1, 1, 4, 4, 5};
    static const struct { uint64_t hint_index, hint_term; uint64_t next; } tab[] = {
        {3, 3, 3},  /* the leader holds no term 3: back to where the follower's starts */
        {3, 4, 5},  /* it holds term 4 up to 4: resume after it */
        {2, 0, 2},  /* the follower's log ends at 1 */
        {4, 2, 4},
        {1, 1, 3},  /* term 1 ends at 2 on the leader */
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        raft *r = leader(3, 5, lg, 5, 0);  /* term 6, no-op at 6, probing 2 from 6 */
        CHECK(raft_term(r) == 6 && raft_last_index(r) == 6);
        step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = 2, .to = 1, .term = 6, .index = 5, .reject = 1,
                           .hint_index = tab[k].hint_index, .hint_term = tab[k].hint_term});
        raft_peer_info pi;
        CHECK(raft_peer(r, 2, &pi));
        CHECKMSG(pi.next == tab[k].next && pi.probe, "case %zu: next %llu want %llu", k, (unsigned long long)pi.next,
                 (unsigned long long)tab[k].next);
        outq q = {0};
        flush(r, &q);
        const qmsg *m = find(&q, MSG_APPEND, 2);
        CHECK(m && m->m.index == tab[k].next - 1 && m->m.log_term == lg[tab[k].next - 2] &&
              m->m.nentries == 6 - (tab[k].next - 1));
        outq_free(&q);
        raft_free(r);
    }
    /* a rejection of something already matched is stale and ignored */
    raft *r = leader(3, 5, lg, 5, 1);
    step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = 2, .to = 1, .term = 6, .index = 3, .reject = 1,
                       .hint_index = 2, .hint_term = 0});
    raft_peer_info pi;
    CHECK(raft_peer(r, 2, &pi) && pi.match == 6 && pi.next == 7 && !pi.probe);
    raft_free(r);
}

/* Flow control (10.2): in replicate state no more than max_inflight appends
 * with entries are outstanding to a follower, and each acknowledgement
 * frees room; in probe state only one is, until the follower answers. */
static void test_inflight_window(void) {
    raft_config c = config(1, 3);
    c.max_inflight = 3;
    c.max_msg_entries = 1;
    raft *r = make(&c, 1, 0, NULL, 0);
    to_leader(r, 3);
    flush(r, NULL);
    ack(r, 2, 1);  /* 2 replicates; 3 is still probing with the no-op outstanding */
    flush(r, NULL);
    outq q = {0};
    for (int i = 0; i < 8; i++) raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1);
    flush(r, &q);
    CHECKMSG(count_appends_with_entries(&q, 2) == 3, "%d appends in flight to a replicating follower, window 3",
             count_appends_with_entries(&q, 2));
    CHECKMSG(count_appends_with_entries(&q, 3) == 0, "%d appends to a follower with a probe outstanding",
             count_appends_with_entries(&q, 3));
    raft_peer_info pi;
    CHECK(raft_peer(r, 2, &pi) && pi.inflight == 3 && !pi.probe);
    CHECK(raft_peer(r, 3, &pi) && pi.probe && pi.inflight <= 1);
    outq_clear(&q);

    ack(r, 2, 2);  /* frees one slot */
    flush(r, &q);
    CHECK(count_appends_with_entries(&q, 2) == 1);
    const qmsg *m = find(&q, MSG_APPEND, 2);
    CHECK(m && m->m.index == 4 && m->m.nentries == 1);
    outq_clear(&q);
    ack(r, 2, 4);  /* one ack covering two appends frees two */
    flush(r, &q);
    CHECK(count_appends_with_entries(&q, 2) >= 1 && count_appends_with_entries(&q, 2) <= 2);
    CHECK(raft_peer(r, 2, &pi) && pi.inflight <= 3);
    outq_clear(&q);

    /* the probe: a heartbeat answer resends one append, never more */
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = raft_term(r)});
    for (int i = 0; i < 3; i++) raft_propose(r, RAFT_ENTRY_COMMAND, "y", 1);
    flush(r, &q);
    CHECK(count_appends_with_entries(&q, 3) == 1);
    outq_clear(&q);
    /* a rejection puts a replicating follower back to probing: one append */
    uint64_t last = raft_last_index(r);
    step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = 2, .to = 1, .term = raft_term(r), .index = last - 1,
                       .reject = 1, .hint_index = 5});
    for (int i = 0; i < 3; i++) raft_propose(r, RAFT_ENTRY_COMMAND, "z", 1);
    flush(r, &q);
    CHECK(raft_peer(r, 2, &pi) && pi.probe);
    CHECK(count_appends_with_entries(&q, 2) == 1);
    outq_free(&q);
    raft_free(r);
}

/* Persistence: what a message vouches for must be durable before it goes
 * out. Replies and requests that rest on the hard state or the log (vote
 * requests and answers, append answers) are in msgs_after; the leader's
 * appends and heartbeats may go at once (10.2.1), and so may heartbeat
 * answers, which vouch for nothing on disk (as etcd's). */
static void test_persist_messages_after_durable_state(void) {
    static const struct { int type; int after; } want[] = {
        {MSG_PREVOTE, 1}, {MSG_VOTE, 1}, {MSG_VOTE_RESP, 1}, {MSG_PREVOTE_RESP, 1},
        {MSG_APPEND_RESP, 1}, {MSG_HEARTBEAT_RESP, 0}, {MSG_APPEND, 0}, {MSG_HEARTBEAT, 0},
    };
    outq q = {0};
    /* a candidate */
    raft *r = mk(1, 3, 1, NULL, 0);
    to_precandidate(r);
    flush(r, &q);
    step(r, (raft_msg){.type = MSG_PREVOTE_RESP, .from = 2, .to = 1, .term = 2});
    flush(r, &q);
    step(r, (raft_msg){.type = MSG_VOTE_RESP, .from = 2, .to = 1, .term = 2});
    raft_tick(r);
    flush(r, &q);
    raft_propose(r, RAFT_ENTRY_COMMAND, "p", 1);
    flush(r, &q);
    raft_free(r);
    /* a voter and a follower */
    r = mk(1, 3, 1, NULL, 0);
    step(r, (raft_msg){.type = MSG_PREVOTE, .from = 2, .to = 1, .term = 2});
    step(r, (raft_msg){.type = MSG_VOTE, .from = 2, .to = 1, .term = 2});
    step(r, (raft_msg){.type = MSG_APPEND, .from = 2, .to = 1, .term = 2,
                       .entries = &(raft_entry){.term = 2, .index = 1, .data = "a", .len = 1}, .nentries = 1});
    step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 2, .to = 1, .term = 2});
    flush(r, &q);
    raft_free(r);
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
        int seen = 0, wrong = 0;
        for (size_t i = 0; i < q.n; i++)
            if (q.v[i].m.type == want[k].type) { seen++; wrong += q.v[i].after != want[k].after; }
        CHECKMSG(seen && !wrong, "message type %d: %d of %d in the wrong list", want[k].type, wrong, seen);
    }
    outq_free(&q);
}

/* Persistence: a vote (and a candidate's own vote, and a new term) is in the
 * hard state of the very ready whose msgs_after carry the messages that
 * rest on it. */
static void test_persist_hard_state_before_vote(void) {
    raft *r = mk(1, 3, 1, NULL, 0);
    step(r, (raft_msg){.type = MSG_VOTE, .from = 3, .to = 1, .term = 2});
    raft_ready rd;
    raft_ready_get(r, &rd);
    int granted = 0;
    for (size_t i = 0; i < rd.nmsgs_after; i++)
        granted |= rd.msgs_after[i].type == MSG_VOTE_RESP && !rd.msgs_after[i].reject;
    CHECK(granted);
    CHECK(rd.hard_state_changed && rd.term == 2 && rd.vote == 3);
    for (size_t i = 0; i < rd.nmsgs; i++) CHECK(rd.msgs[i].type != MSG_VOTE_RESP);
    raft_free(r);

    r = mk(1, 3, 1, NULL, 0);
    to_candidate(r, 3);
    raft_ready_get(r, &rd);
    int votes = 0;
    for (size_t i = 0; i < rd.nmsgs_after; i++) votes += rd.msgs_after[i].type == MSG_VOTE;
    CHECK(votes == 2);
    CHECK(rd.hard_state_changed && rd.term == 2 && rd.vote == 1);
    raft_free(r);

    /* a vote in the term it is already in: only the vote changes */
    r = mk(1, 3, 4, NULL, 0);
    flush(r, NULL);
    step(r, (raft_msg){.type = MSG_VOTE, .from = 2, .to = 1, .term = 4});
    raft_ready_get(r, &rd);
    CHECKMSG(rd.hard_state_changed && rd.term == 4 && rd.vote == 2 && rd.nmsgs_after == 1 &&
                 rd.msgs_after[0].type == MSG_VOTE_RESP && !rd.msgs_after[0].reject,
             "a vote granted within the term is not flagged for persisting (changed %d, vote %llu)",
             rd.hard_state_changed, (unsigned long long)rd.vote);
    raft_free(r);

    /* a follower learning a new term from an append */
    r = mk(1, 3, 1, NULL, 0);
    step(r, (raft_msg){.type = MSG_APPEND, .from = 2, .to = 1, .term = 5});
    raft_ready_get(r, &rd);
    CHECK(rd.hard_state_changed && rd.term == 5 && rd.vote == 0);
    CHECK(rd.nmsgs_after == 1 && rd.nmsgs == 0);
    /* and once taken, it is not reported again */
    raft_ready_get(r, &rd);
    CHECK(!rd.hard_state_changed);
    raft_free(r);
}

/* Persistence: committed entries are handed out to apply only up to the
 * index made durable locally (raft_persisted), on followers and leaders
 * alike, and a stale durability report (for a term since overwritten) is
 * ignored. A leader may commit on its followers' copies alone. */
static void test_persist_commit_only_durable(void) {
    raft *r = mk(1, 3, 1, NULL, 0);
    raft_entry ents[3] = {
        {.term = 1, .index = 1, .data = "a", .len = 1},
        {.term = 1, .index = 2, .data = "b", .len = 1},
        {.term = 1, .index = 3, .data = "c", .len = 1},
    };
    step(r, (raft_msg){.type = MSG_APPEND, .from = 2, .to = 1, .term = 1, .commit = 3, .entries = ents, .nentries = 3});
    CHECK(raft_commit_index(r) == 3);
    raft_ready rd;
    raft_ready_get(r, &rd);
    CHECK(rd.nentries == 3 && rd.ncommitted == 0);
    raft_ready_get(r, &rd);
    CHECK(rd.ncommitted == 0);
    raft_persisted(r, 2, 1);
    raft_ready_get(r, &rd);
    CHECK(rd.ncommitted == 2 && rd.committed[0].index == 1 && rd.committed[1].index == 2);
    raft_persisted(r, 3, 1);
    raft_ready_get(r, &rd);
    CHECK(rd.ncommitted == 1 && rd.committed[0].index == 3);
    raft_free(r);

    /* a write that completes for entries since overwritten counts for nothing */
    r = mk(1, 3, 1, NULL, 0);
    step(r, (raft_msg){.type = MSG_APPEND, .from = 2, .to = 1, .term = 1, .entries = ents, .nentries = 2});
    raft_ready_get(r, &rd);
    CHECK(rd.nentries == 2);
    step(r, (raft_msg){.type = MSG_APPEND, .from = 3, .to = 1, .term = 2, .index = 1, .log_term = 1, .commit = 2,
                       .entries = &(raft_entry){.term = 2, .index = 2, .data = "B", .len = 1}, .nentries = 1});
    CHECK(raft_commit_index(r) == 2 && raft_entry_at(r, 2)->term == 2);
    raft_persisted(r, 2, 1);  /* the old entry 2 */
    raft_ready_get(r, &rd);
    CHECK(rd.nentries == 1 && rd.entries[0].index == 2 && rd.entries[0].term == 2);
    CHECK(rd.ncommitted == 0);
    raft_persisted(r, 2, 2);
    raft_ready_get(r, &rd);
    CHECK(rd.ncommitted == 2 && rd.committed[1].term == 2 && rd.committed[1].data[0] == 'B');
    raft_free(r);

    /* a leader: the followers make a majority, the leader's write is pending */
    r = leader(3, 1, NULL, 0, 1);
    uint64_t idx = raft_propose(r, RAFT_ENTRY_COMMAND, "v", 1);
    raft_ready_get(r, &rd);
    CHECK(rd.nentries == 1);
    ack(r, 2, idx);
    ack(r, 3, idx);
    CHECK(raft_commit_index(r) == idx);
    raft_ready_get(r, &rd);
    CHECK(rd.ncommitted == 0);
    raft_persisted(r, idx, raft_term(r));
    raft_ready_get(r, &rd);
    CHECK(rd.ncommitted == 1 && rd.committed[0].index == idx);
    raft_free(r);

    /* without its own write, one follower is not a majority of three */
    r = leader(3, 1, NULL, 0, 1);
    idx = raft_propose(r, RAFT_ENTRY_COMMAND, "w", 1);
    raft_ready_get(r, &rd);
    ack(r, 2, idx);
    CHECK(raft_commit_index(r) == idx - 1);
    raft_persisted(r, idx, raft_term(r));
    CHECK(raft_commit_index(r) == idx);
    raft_free(r);
}

/* raft_campaign() starts an election at once (a pre-vote round first);
 * a cluster of one needs nobody; a leader ignores it; a follower that
 * heard its leader within an election timeout does not campaign. */
static void test_campaign_at_once(void) {
    raft *r = mk(1, 3, 3, NULL, 0);
    raft_campaign(r);
    CHECK(raft_role(r) == RAFT_PRECANDIDATE && raft_term(r) == 3);
    outq q = {0};
    flush(r, &q);
    CHECK(count(&q, MSG_PREVOTE, 2) == 1 && count(&q, MSG_PREVOTE, 3) == 1);
    outq_free(&q);
    raft_free(r);

    r = mk(1, 1, 3, NULL, 0);
    raft_campaign(r);
    CHECK(raft_role(r) == RAFT_LEADER && raft_term(r) == 4);
    raft_campaign(r);
    CHECK(raft_role(r) == RAFT_LEADER && raft_term(r) == 4);
    raft_free(r);
    /* a follower that heard its leader within an election timeout waits:
     * the leader's lease counts on its vote, its own included */
    r = mk(2, 3, 3, NULL, 0);
    step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 1, .to = 2, .term = 3});
    raft_campaign(r);
    CHECK(raft_role(r) == RAFT_FOLLOWER && raft_term(r) == 3);
    for (int i = 0; i < E; i++) raft_tick(r);  /* its own timer may fire meanwhile, as it should */
    if (raft_role(r) == RAFT_FOLLOWER) raft_campaign(r);
    CHECK(raft_role(r) == RAFT_PRECANDIDATE);
    raft_free(r);

    /* a lone voter just started with boot_quiet leads at once */
    raft_config c = config(1, 1);
    c.boot_quiet = 1;
    r = make(&c, 3, 0, NULL, 0);
    raft_campaign(r);
    CHECK(raft_role(r) == RAFT_LEADER);
    raft_free(r);
}

/* Flow control: appends lost without a report (nothing acknowledged for an
 * election timeout), or a link reported down (raft_peer_down), put the
 * follower back to probing from its match: one append, nothing assumed in
 * flight. */
static void test_lost_appends_reprobe(void) {
    for (int reported = 0; reported < 2; reported++) {
        raft_config c = config(1, 3);
        c.max_msg_entries = 1;
        raft *r = make(&c, 1, 0, NULL, 0);
        to_leader(r, 3);
        flush(r, NULL);
        ack(r, 2, 1);
        ack(r, 3, 1);
        flush(r, NULL);
        for (int i = 0; i < 4; i++) raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1);
        flush(r, NULL);  /* all four appends to 2 are lost */
        raft_peer_info pi;
        CHECK(raft_peer(r, 2, &pi) && pi.inflight == 4 && !pi.probe && pi.next == 6);
        outq q = {0};
        if (reported) {
            raft_peer_down(r, 2);
            flush(r, &q);
        } else {
            for (int i = 0; i < E; i++) {
                raft_tick(r);
                /* 3 keeps acknowledging so the leader keeps its quorum */
                ack(r, 3, raft_last_index(r));
                step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 2, .to = 1, .term = raft_term(r)});
                flush(r, &q);
            }
        }
        CHECK(raft_role(r) == RAFT_LEADER);
        CHECKMSG(raft_peer(r, 2, &pi) && pi.probe && pi.next == 2, "%s: follower 2 not probing again from 2 (next %llu)",
                 reported ? "peer down" : "stalled", (unsigned long long)pi.next);
        int resent = 0;
        for (size_t i = 0; i < q.n; i++)
            resent |= q.v[i].m.type == MSG_APPEND && q.v[i].m.to == 2 && q.v[i].m.index == 1 && q.v[i].m.nentries == 1;
        CHECK(resent);
        outq_free(&q);
        raft_free(r);
    }
}

/* max_msg_bytes caps the data of one APPEND, but at least one entry goes. */
static void test_max_msg_bytes(void) {
    raft_config c = config(1, 3);
    c.max_msg_bytes = 10;
    raft *r = make(&c, 1, 0, NULL, 0);
    to_leader(r, 3);
    flush(r, NULL);
    for (int i = 0; i < 5; i++) raft_propose(r, RAFT_ENTRY_COMMAND, "four", 4);
    raft_propose(r, RAFT_ENTRY_COMMAND, "a much longer entry", 19);
    flush(r, NULL);
    outq q = {0};
    ack(r, 2, 1);  /* 2 leaves probing and is sent what follows the no-op */
    flush(r, &q);
    int sent[8] = {0}, over = 0, big_alone = 0;
    for (int round = 0; round < 10; round++) {
        uint64_t hi = 0;
        for (size_t i = 0; i < q.n; i++) {
            const raft_msg *m = &q.v[i].m;
            if (m->type != MSG_APPEND || m->to != 2 || !m->nentries) continue;
            size_t bytes = 0;
            for (size_t k = 0; k < m->nentries; k++) {
                bytes += m->entries[k].len;
                if (m->entries[k].index < 8) sent[m->entries[k].index]++;
            }
            if (m->nentries > 1 && bytes > 10) over++;
            if (m->entries[0].len == 19 && m->nentries == 1) big_alone = 1;
            if (m->index + m->nentries > hi) hi = m->index + m->nentries;
        }
        outq_clear(&q);
        if (!hi) break;
        ack(r, 2, hi);
        flush(r, &q);
    }
    CHECKMSG(!over, "%d appends of several entries over max_msg_bytes", over);
    CHECK(big_alone);
    for (int i = 2; i <= 7; i++) CHECKMSG(sent[i] >= 1, "entry %d never sent", i);
    CHECK(raft_commit_index(r) == 7);
    outq_free(&q);
    raft_free(r);
}

/* ------------------------------------------------------------------ */
/* Messages stay valid until handed out                                */
/* ------------------------------------------------------------------ */

/* The header promises that a ready's messages "and the entries they carry"
 * are valid until the next call. An APPEND queued by one proposal must
 * still carry its entries after later proposals grew the log (the log
 * array is reallocated as it grows). raft.c once queued APPENDs with a
 * pointer into the log taken at send time, which dangled after a
 * reallocation or a truncation; it now resolves them in raft_ready_get().
 * Run in a child: the failure mode is a use after free. */
static int child_log_growth(void) {
    raft_config c = config(1, 3);
    c.max_inflight = 256;
    c.max_msg_entries = 1;
    raft *r = make(&c, 1, 0, NULL, 0);
    to_leader(r, 3);
    flush(r, NULL);
    ack(r, 2, 1);
    flush(r, NULL);
    char d[32];
    /* fill the log to just under a power of two, draining as we go */
    while (raft_last_index(r) < 1023) {
        uint64_t i = raft_propose(r, RAFT_ENTRY_COMMAND, d, entry_data(raft_last_index(r) + 1, 2, d, sizeof(d)));
        ack(r, 2, i);
        flush(r, NULL);
    }
    /* then a burst between two readies, across the growth */
    for (int k = 0; k < 40; k++) raft_propose(r, RAFT_ENTRY_COMMAND, d, entry_data(raft_last_index(r) + 1, 2, d, sizeof(d)));
    raft_ready rd;
    raft_ready_get(r, &rd);
    int ok = 1, appends = 0;
    for (size_t i = 0; i < rd.nmsgs; i++) {
        const raft_msg *m = &rd.msgs[i];
        if (m->type != MSG_APPEND) continue;
        for (size_t k = 0; k < m->nentries; k++) {
            const raft_entry *e = &m->entries[k];
            char want[32];
            size_t n = entry_data(m->index + 1 + k, 2, want, sizeof(want));
            if (e->index != m->index + 1 + k || e->term != 2 || e->len != n || memcmp(e->data, want, n)) ok = 0;
            appends++;
        }
    }
    return ok && appends >= 40;
}

/* The same when a leader steps down before its queued APPENDs were taken
 * and a new leader's entries overwrite its uncommitted tail: a message of
 * term t must not carry entries it never sent, nor freed ones. */
static int child_step_down_truncation(void) {
    raft *r = leader(3, 1, NULL, 0, 1);  /* term 2, no-op 1 committed */
    uint64_t t = raft_term(r);
    char d[32];
    for (int k = 0; k < 4; k++) raft_propose(r, RAFT_ENTRY_COMMAND, d, entry_data(raft_last_index(r) + 1, t, d, sizeof(d)));
    /* before the caller takes those appends, a leader of t+1 overwrites 2.. */
    char nd[32];
    raft_entry ne = {.term = t + 1, .index = 2, .type = RAFT_ENTRY_COMMAND, .data = nd};
    ne.len = entry_data(2, t + 1, nd, sizeof(nd));
    step(r, (raft_msg){.type = MSG_APPEND, .from = 3, .to = 1, .term = t + 1, .index = 1, .log_term = t, .commit = 1,
                       .entries = &ne, .nentries = 1});
    if (raft_role(r) != RAFT_FOLLOWER || raft_last_index(r) != 2) return 0;
    raft_ready rd;
    raft_ready_get(r, &rd);
    int ok = 1;
    for (size_t i = 0; i < rd.nmsgs; i++) {
        const raft_msg *m = &rd.msgs[i];
        if (m->type != MSG_APPEND) continue;
        for (size_t k = 0; k < m->nentries; k++) {
            const raft_entry *e = &m->entries[k];
            char want[32];
            size_t n = entry_data(m->index + 1 + k, m->term, want, sizeof(want));
            if (e->index != m->index + 1 + k || e->term > m->term) ok = 0;
            else if (e->len != n || memcmp(e->data, want, n)) ok = 0;
        }
    }
    return ok;
}

static void test_append_messages_survive_later_calls(void) {
    char why[512];
    CHECKMSG(in_child(child_log_growth, why, sizeof(why)),
             "APPENDs queued before the log array grew carry dangling entries (%s)", why);
    CHECKMSG(in_child(child_step_down_truncation, why, sizeof(why)),
             "APPENDs queued before a step-down carry overwritten or freed entries (%s)", why);
}

/* ================================================================== */
/* Log compaction and snapshots                                        */
/* ================================================================== */

/* A raft whose state machine holds every entry up to `applied` (of term
 * applied_term), restarted over a log of terms[0..n) from index `first` on. */
static raft *make_at(const raft_config *c, uint64_t term, uint64_t applied, uint64_t applied_term, uint64_t first,
                     const uint64_t *terms, size_t n) {
    raft_entry *log = n ? calloc(n, sizeof(*log)) : NULL;
    char (*data)[32] = n ? calloc(n, 32) : NULL;
    for (size_t i = 0; i < n; i++) {
        log[i].index = first + i;
        log[i].term = terms[i];
        log[i].type = RAFT_ENTRY_COMMAND;
        log[i].len = entry_data(first + i, terms[i], data[i], 32);
        log[i].data = data[i];
    }
    raft *r = raft_new_at(c, term, 0, applied, applied_term, log, n);
    free(log);
    free(data);
    return r;
}

/* Leader `from` of `term` sends r the entries prev+1.. of terms[0..n)
 * after (prev, prev_term), with its commit index. */
static void send_entries(raft *r, uint64_t from, uint64_t term, uint64_t prev, uint64_t prev_term,
                         const uint64_t *terms, size_t n, uint64_t commit) {
    raft_entry ents[16];
    char data[16][32];
    if (n > 16) n = 16;
    for (size_t i = 0; i < n; i++) {
        ents[i] = (raft_entry){.term = terms[i], .index = prev + 1 + i, .type = RAFT_ENTRY_COMMAND, .data = data[i]};
        ents[i].len = entry_data(prev + 1 + i, terms[i], data[i], sizeof(data[i]));
    }
    step(r, (raft_msg){.type = MSG_APPEND, .from = from, .to = raft_id(r), .term = term, .index = prev,
                       .log_term = prev_term, .commit = commit, .entries = n ? ents : NULL, .nentries = n});
}

/* The glue of r steps in a whole image (index, log_term) sent by `from`. */
static int install(raft *r, uint64_t from, uint64_t term, uint64_t index, uint64_t log_term) {
    raft_msg m = {.type = MSG_SNAPSHOT, .from = from, .to = raft_id(r), .term = term, .index = index,
                  .log_term = log_term};
    return raft_install_snapshot(r, &m);
}

static void hb_resp(raft *r, uint64_t from) {
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = from, .to = raft_id(r), .term = raft_term(r)});
}

/* A leader of three (id 1, term 2) over the log 1..3 of term 1, its no-op
 * at 4 and commands up to `last`, all committed with follower 2, applied
 * and durable, then compacted up to `upto`. Follower 3 never answered: it
 * is probing, the append of the no-op (prev 3) outstanding. */
static raft *lagging_leader(uint64_t last, uint64_t upto) {
    static const uint64_t lg[] = {1, 1, 1};
    raft *r = leader(3, 1, lg, 3, 0);
    ack(r, 2, 4);
    while (raft_last_index(r) < last) raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1);
    flush(r, NULL);
    ack(r, 2, last);
    flush(r, NULL);
    raft_compact(r, upto);
    return r;
}

/* raft_new_at: a node restarts with a state machine that holds every entry
 * up to `applied`. Its log may begin right after that point (the point is
 * the snapshot), overlap it (its first entry becomes the boundary, since
 * that entry's term is what the log-matching check needs) or be empty.
 * Entries up to `applied` count as committed and are never handed out to
 * apply again; the last index and term come from the snapshot point when
 * the log is empty, and so do vote decisions (5.4.1) and vote requests. */
static void test_new_at_snapshot_point(void) {
    static const uint64_t tt[] = {0, 1, 1, 2, 2, 3, 3, 4, 4};  /* term of index 1..8 */
    static const struct { uint64_t first; size_t n; uint64_t snap; } tab[] = {
        {6, 3, 5},  /* begins at applied+1 */
        {5, 4, 5},  /* reaches applied exactly */
        {3, 6, 3},  /* overlaps: 3 is the boundary, 4 and 5 stay (applied) */
        {1, 8, 1},
        {0, 0, 5},  /* empty */
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        raft_config c = config(1, 3);
        raft *r = make_at(&c, 4, 5, tt[5], tab[k].first, tab[k].n ? &tt[tab[k].first] : NULL, tab[k].n);
        uint64_t last = tab[k].n ? 8 : 5;
        CHECK(raft_role(r) == RAFT_FOLLOWER && raft_term(r) == 4);
        CHECKMSG(raft_commit_index(r) == 5, "case %zu: commit %llu, want the applied point 5", k,
                 (unsigned long long)raft_commit_index(r));
        CHECKMSG(raft_snapshot_index(r) == tab[k].snap && raft_snapshot_term(r) == tt[tab[k].snap],
                 "case %zu: snapshot point %llu/%llu", k, (unsigned long long)raft_snapshot_index(r),
                 (unsigned long long)raft_snapshot_term(r));
        CHECK(raft_last_index(r) == last && raft_term_at(r, last) == tt[last]);
        CHECK(raft_term_at(r, 5) == tt[5] && raft_term_at(r, tab[k].snap) == tt[tab[k].snap]);
        CHECK(raft_entry_at(r, tab[k].snap) == NULL && raft_entry_at(r, last + 1) == NULL);
        for (uint64_t i = tab[k].snap + 1; i <= last; i++) {
            const raft_entry *e = raft_entry_at(r, i);
            CHECKMSG(e && e->index == i && e->term == tt[i], "case %zu: entry %llu", k, (unsigned long long)i);
        }
        raft_ready rd;
        raft_ready_get(r, &rd);  /* the log is durable already; nothing is applied again */
        CHECK(rd.nentries == 0 && rd.ncommitted == 0 && !rd.hard_state_changed);
        /* a leader commits the rest: only what follows the applied point is handed out */
        step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 2, .to = 1, .term = 4, .commit = 8});
        flushed f = flush(r, NULL);
        CHECK(raft_commit_index(r) == last);
        CHECKMSG(f.ncommitted == last - 5 && (!f.ncommitted || (f.first_committed == 6 && f.last_committed == 8)),
                 "case %zu: %zu entries handed out to apply from %llu", k, f.ncommitted,
                 (unsigned long long)f.first_committed);
        CHECK(f.committed_in_order);
        raft_free(r);
    }

    /* an empty log votes by the snapshot point (5, term 3) */
    static const struct { uint64_t index, log_term; int reject; } vt[] = {
        {4, 3, 1}, {5, 3, 0}, {6, 3, 0}, {9, 2, 1}, {1, 4, 0}, {0, 0, 1},
    };
    for (size_t k = 0; k < sizeof(vt) / sizeof(vt[0]); k++) {
        for (int pre = 0; pre < 2; pre++) {
            raft_config c = config(1, 3);
            raft *r = make_at(&c, 3, 5, 3, 0, NULL, 0);
            step(r, (raft_msg){.type = pre ? MSG_PREVOTE : MSG_VOTE, .from = 2, .to = 1, .term = 4,
                               .index = vt[k].index, .log_term = vt[k].log_term});
            outq q = {0};
            flush(r, &q);
            const qmsg *m = find(&q, pre ? MSG_PREVOTE_RESP : MSG_VOTE_RESP, 2);
            CHECKMSG(m && m->m.reject == vt[k].reject, "snapshot at 5/3, %s for %llu/%llu: reject %d, want %d",
                     pre ? "pre-vote" : "vote", (unsigned long long)vt[k].index, (unsigned long long)vt[k].log_term,
                     m ? m->m.reject : -1, vt[k].reject);
            outq_free(&q);
            raft_free(r);
        }
    }
    /* and asks for votes with it */
    raft_config c = config(1, 3);
    raft *r = make_at(&c, 3, 5, 3, 0, NULL, 0);
    outq q = {0};
    to_precandidate(r);
    flush(r, &q);
    const qmsg *m = find(&q, MSG_PREVOTE, 2);
    CHECK(m && m->m.index == 5 && m->m.log_term == 3);
    outq_free(&q);
    raft_free(r);
}

/* The entry cache: entries applied and durable give up their data once
 * the cache is over cache_bytes (oldest first, CONFIG entries never);
 * an append that needs them has load() read them back, exactly them; when
 * load() fails the follower is sent an image instead, never an entry
 * without its data. The "disk" here is entry_data(), which the log's
 * COMMAND entries were made from. */
static int loads, load_fail;
static int fake_load(void *ctx, raft_entry *e, size_t n) {
    (void)ctx;
    loads++;
    if (load_fail) return -1;
    for (size_t k = 0; k < n; k++) {
        if (e[k].data) continue;
        char b[32];
        size_t len = entry_data(e[k].index, e[k].term, b, sizeof(b));
        if (len != e[k].len || e[k].type != RAFT_ENTRY_COMMAND) return -1;
        e[k].data = blob_copy(b, len);
    }
    return 0;
}

static int congest;
static int fake_congested(void *ctx, uint64_t to) { (void)ctx; return congest && to == 3; }

static void propose_data(raft *r) {
    char b[32];
    size_t len = entry_data(raft_last_index(r) + 1, raft_term(r), b, sizeof(b));
    raft_propose(r, RAFT_ENTRY_COMMAND, b, len);
}

/* Node 1 leads 1..3 with entries 1..21 committed by node 2, their data
 * gone from its cache; node 3 has answered nothing. */
static raft *leader_with_disk_log(const raft_config *c) {
    raft *r = make(c, 1, 0, NULL, 0);
    to_leader(r, 3);
    flush(r, NULL);
    ack(r, 2, raft_last_index(r));
    flush(r, NULL);
    for (int i = 0; i < 20; i++) propose_data(r);
    flush(r, NULL);
    ack(r, 2, 21);
    flush(r, NULL);
    flush(r, NULL);
    return r;
}

static void test_entry_cache(void) {
    raft_config c = config(1, 3);
    c.cache_bytes = 40;
    c.load = fake_load;
    c.congested = fake_congested;
    raft *r = make(&c, 1, 0, NULL, 0);
    to_leader(r, 3);
    flush(r, NULL);
    ack(r, 2, raft_last_index(r));  /* the no-op, 1; node 3 never answers */
    flush(r, NULL);
    for (int i = 0; i < 20; i++) propose_data(r);  /* 2..21, 7-8 bytes each */
    flush(r, NULL);
    ack(r, 2, 21);
    flush(r, NULL);
    flush(r, NULL);  /* what the last ready handed out to apply may go now */
    CHECK(raft_commit_index(r) == 21);
    CHECKMSG(raft_cached_bytes(r) <= 40, "cache holds %zu bytes, bound 40", raft_cached_bytes(r));
    CHECK(raft_entry_at(r, 2)->data == NULL && raft_entry_at(r, 2)->len > 0);
    CHECK(raft_entry_at(r, 21)->data != NULL);
    CHECK(raft_term_at(r, 2) == 2 && raft_entry_at(r, 2)->index == 2);

    /* node 3 turns up with an empty log: the appends read the log back */
    outq q = {0};
    loads = 0;
    step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = 3, .to = 1, .term = 2, .index = 21, .reject = 1,
                       .hint_index = 1});
    flush(r, &q);
    const qmsg *m = find(&q, MSG_APPEND, 3);
    CHECK(m && m->m.index == 0 && m->m.nentries == 21 && loads == 1);
    for (size_t k = 0; m && k < m->m.nentries; k++) {
        char b[32];
        const raft_entry *e = &m->m.entries[k];
        size_t len = entry_data(e->index, e->term, b, sizeof(b));
        CHECKMSG(e->index == k + 1 && (e->type != RAFT_ENTRY_COMMAND || (e->len == len && !memcmp(e->data, b, len))),
                 "append entry %zu: index %llu len %zu", k, (unsigned long long)e->index, e->len);
    }
    CHECK(raft_loaded_entries(r) >= 10 && raft_entry_at(r, 2)->data == NULL);  /* not put back in the cache */
    outq_clear(&q);

    /* a link too far behind: the append is dropped before its read-back
     * (a 100 MB entry read again per heartbeat held the loop for seconds),
     * and sent again once the link drains */
    congest = 1;
    step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = 3, .to = 1, .term = 2, .index = 21, .reject = 1,
                       .hint_index = 1});
    flush(r, &q);
    CHECKMSG(count_appends_with_entries(&q, 3) == 0 && loads == 1 && !find(&q, MSG_SNAPSHOT, 3),
             "congested: %d appends, %d loads", count_appends_with_entries(&q, 3), loads);
    outq_clear(&q);
    congest = 0;
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = 2});
    flush(r, &q);
    m = find(&q, MSG_APPEND, 3);
    CHECKMSG(m && m->m.nentries == 21 && loads == 2, "drained: resent with %zu entries, %d loads",
             m ? m->m.nentries : 0, loads);
    outq_clear(&q);
    /* a backlog of heartbeat answers at once: each resends the probe, but
     * one ready reads the entries back once */
    for (int k = 0; k < 3; k++) step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = 2});
    flush(r, &q);
    CHECKMSG(count_appends_with_entries(&q, 3) == 1 && loads == 3, "3 heartbeat answers: %d appends, %d loads",
             count_appends_with_entries(&q, 3), loads);
    outq_clear(&q);

    /* a log that cannot be read back: an image, no append */
    load_fail = 1;
    step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = 3, .to = 1, .term = 2, .index = 21, .reject = 1,
                       .hint_index = 1});
    flush(r, &q);
    load_fail = 0;
    CHECK(count(&q, MSG_APPEND, 3) == 0 || count_appends_with_entries(&q, 3) == 0);
    CHECK(find(&q, MSG_SNAPSHOT, 3) != NULL);
    raft_peer_info pi;
    CHECK(raft_peer(r, 3, &pi) && pi.snapshot);
    outq_free(&q);
    raft_free(r);

    /* fed from the disk, a follower has at most 4 appends in flight (each
     * is read back on the caller's loop); from the cache, max_inflight */
    c.max_msg_entries = 1;
    r = leader_with_disk_log(&c);
    ack(r, 3, 1);  /* matched at the no-op: replicating, from the disk */
    flush(r, &q);
    CHECKMSG(count_appends_with_entries(&q, 3) == 4, "%d appends to a follower fed from disk",
             count_appends_with_entries(&q, 3));
    outq_clear(&q);
    ack(r, 3, 17);  /* past the disk: the cache feeds the rest */
    flush(r, &q);
    CHECKMSG(count_appends_with_entries(&q, 3) == 4, "%d appends for the last four entries",
             count_appends_with_entries(&q, 3));
    outq_free(&q);
    raft_free(r);

    /* pipelining from the disk onto a congested link: the core drops the
     * appends and the follower goes back to probing, one append at a time */
    r = leader_with_disk_log(&c);
    congest = 1;
    ack(r, 3, 1);
    flush(r, &q);
    congest = 0;
    CHECK(raft_peer(r, 3, &pi) && pi.probe && pi.next == 2 && count_appends_with_entries(&q, 3) == 0);
    outq_clear(&q);
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = 2});
    flush(r, &q);
    m = find(&q, MSG_APPEND, 3);
    CHECKMSG(count_appends_with_entries(&q, 3) == 1 && m && m->m.index == 1, "probing again: %d appends",
             count_appends_with_entries(&q, 3));
    outq_free(&q);
    raft_free(r);
}

/* A log at start-up may come without the data of entries the state
 * machine holds; the node leads and replicates them all the same. */
static void test_start_without_data(void) {
    raft_entry log[6];
    char b[6][32];
    for (int i = 0; i < 6; i++) {
        log[i] = (raft_entry){.index = (uint64_t)i + 1, .term = 1, .type = RAFT_ENTRY_COMMAND};
        log[i].len = entry_data((uint64_t)i + 1, 1, b[i], 32);
        log[i].data = i < 4 ? NULL : b[i];  /* 1..4 applied */
    }
    raft_config c = config(1, 2);
    c.cache_bytes = 1 << 20;
    c.load = fake_load;
    raft *r = raft_new_at(&c, 1, 0, 4, 1, log, 6);
    CHECK(raft_entry_at(r, 2)->data == NULL && raft_entry_at(r, 5)->data != NULL);
    to_leader(r, 2);
    outq q = {0};
    flush(r, &q);
    step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = 2, .to = 1, .term = 2, .index = 6, .reject = 1,
                       .hint_index = 2});
    outq_clear(&q);
    flush(r, &q);
    const qmsg *m = find(&q, MSG_APPEND, 2);
    CHECK(m && m->m.index == 1 && m->m.nentries == 6);  /* 1, the oldest, is the snapshot point */
    for (size_t k = 0; m && k < 5; k++)
        CHECKMSG(m->m.entries[k].len == log[k + 1].len && !memcmp(m->m.entries[k].data, b[k + 1], log[k + 1].len),
                 "entry %zu read back", k + 2);
    outq_free(&q);
    raft_free(r);
}

/* raft_compact: once entries are applied and durable, the log up to there
 * may go. The boundary keeps its term (the consistency check of the next
 * append needs it); entries at or before it are gone; appending and
 * committing go on. Compacting to or below the current point does nothing. */
static void test_compact(void) {
    static const uint64_t lg[] = {1, 1, 1};
    raft *r = leader(3, 1, lg, 3, 1);  /* term 2: 1..3 of term 1, no-op 4 committed */
    for (int i = 0; i < 3; i++) raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1);  /* 5..7 */
    flush(r, NULL);
    ack(r, 2, 7);
    flush(r, NULL);
    CHECK(raft_commit_index(r) == 7 && raft_snapshot_index(r) == 0);

    raft_compact(r, 2);
    CHECK(raft_snapshot_index(r) == 2 && raft_snapshot_term(r) == 1);
    CHECK(raft_entry_at(r, 1) == NULL && raft_entry_at(r, 2) == NULL);
    CHECK(raft_term_at(r, 2) == 1 && raft_term_at(r, 1) == 0);
    const raft_entry *e = raft_entry_at(r, 3);
    CHECK(e && e->index == 3 && e->term == 1);
    CHECK(raft_last_index(r) == 7 && raft_term_at(r, 7) == 2 && raft_commit_index(r) == 7);

    raft_compact(r, 5);
    CHECK(raft_snapshot_index(r) == 5 && raft_snapshot_term(r) == 2);
    for (uint64_t i = 1; i <= 5; i++) CHECKMSG(raft_entry_at(r, i) == NULL, "entry %llu survived compaction to 5",
                                               (unsigned long long)i);
    CHECK(raft_term_at(r, 5) == 2 && raft_term_at(r, 4) == 0);
    e = raft_entry_at(r, 6);
    CHECK(e && e->index == 6 && e->term == 2 && e->len == 1 && e->data[0] == 'x');

    /* to or below the current point: nothing happens */
    raft_compact(r, 5);
    raft_compact(r, 3);
    raft_compact(r, 0);
    CHECK(raft_snapshot_index(r) == 5 && raft_snapshot_term(r) == 2 && raft_entry_at(r, 6) != NULL);
    CHECK(raft_last_index(r) == 7 && raft_term_at(r, 5) == 2);

    /* replication goes on */
    outq q = {0};
    uint64_t idx = raft_propose(r, RAFT_ENTRY_COMMAND, "y", 1);
    flushed f = flush(r, &q);
    CHECK(idx == 8 && f.nentries == 1 && f.first_entry == 8);
    const qmsg *m = find(&q, MSG_APPEND, 2);
    CHECK(m && m->m.index == 7 && m->m.log_term == 2 && m->m.nentries == 1 && m->m.entries[0].index == 8);
    outq_clear(&q);
    ack(r, 2, 8);
    f = flush(r, &q);
    CHECK(raft_commit_index(r) == 8 && f.ncommitted == 1 && f.first_committed == 8);

    /* the whole log: the next entry follows the snapshot point */
    raft_compact(r, 8);
    CHECK(raft_snapshot_index(r) == 8 && raft_last_index(r) == 8 && raft_term_at(r, 8) == 2);
    CHECK(raft_entry_at(r, 8) == NULL);
    outq_clear(&q);
    idx = raft_propose(r, RAFT_ENTRY_COMMAND, "z", 1);
    flush(r, &q);
    m = find(&q, MSG_APPEND, 2);
    CHECK(idx == 9 && m && m->m.index == 8 && m->m.log_term == 2 && m->m.nentries == 1);
    outq_clear(&q);
    ack(r, 2, 9);
    f = flush(r, &q);
    CHECK(raft_commit_index(r) == 9 && f.ncommitted == 1 && f.first_committed == 9 && f.cterm[0] == 2);
    outq_free(&q);
    raft_free(r);

    /* a follower compacts too, and checks appends against the boundary */
    static const uint64_t four[] = {1, 1, 1, 1};
    r = mk(2, 3, 1, NULL, 0);
    send_entries(r, 1, 1, 0, 0, four, 4, 3);
    flush(r, NULL);
    raft_compact(r, 3);
    CHECK(raft_snapshot_index(r) == 3 && raft_snapshot_term(r) == 1 && raft_last_index(r) == 4);
    send_entries(r, 1, 1, 3, 1, four, 2, 5);  /* prev is the boundary: 4 held, 5 new */
    f = flush(r, &q);
    m = find(&q, MSG_APPEND_RESP, 1);
    CHECK(m && !m->m.reject && m->m.index == 5);
    CHECK(raft_last_index(r) == 5 && raft_commit_index(r) == 5 && f.first_committed == 4 && f.last_committed == 5);
    outq_clear(&q);
    send_entries(r, 1, 1, 3, 2, NULL, 0, 5);  /* a boundary of another term... */
    flush(r, &q);
    m = find(&q, MSG_APPEND_RESP, 1);
    CHECK(m && !m->m.reject && m->m.index == 5);  /* ...is below the commit index: answered with it */
    outq_free(&q);
    raft_free(r);
}

/* A leader whose log was compacted past what a follower needs asks its
 * glue for a transfer: exactly one MSG_SNAPSHOT, to that follower, naming
 * the leader's snapshot point, in msgs. While it waits the follower gets
 * heartbeats but no appends (whatever answers, proposals or commits come),
 * and the request is not repeated. */
static void test_leader_requests_snapshot(void) {
    raft *r = lagging_leader(7, 5);
    outq q = {0};
    flush(r, &q);
    CHECK(count(&q, MSG_SNAPSHOT, 0) == 0);  /* nothing until 3 answers */
    outq_clear(&q);

    hb_resp(r, 3);  /* the probe is due again: what 3 needs (4..) is compacted away */
    flush(r, &q);
    CHECKMSG(count(&q, MSG_SNAPSHOT, 0) == 1, "%d snapshot requests, want 1", count(&q, MSG_SNAPSHOT, 0));
    const qmsg *s = find(&q, MSG_SNAPSHOT, 3);
    CHECK(s && !s->after && s->m.from == 1 && s->m.term == raft_term(r));
    CHECK(s && s->m.index == 5 && s->m.log_term == 2);
    CHECK(count(&q, MSG_APPEND, 3) == 0);
    outq_clear(&q);

    uint64_t commit = raft_commit_index(r);
    for (int i = 0; i < 2 * E; i++) {
        raft_tick(r);
        hb_resp(r, 2);
        hb_resp(r, 3);
        ack(r, 3, 0);  /* stale answers to what it had before */
        step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = 3, .to = 1, .term = raft_term(r), .index = 0,
                           .reject = 1, .hint_index = 1});
        if (i % 4 == 0) {
            uint64_t idx = raft_propose(r, RAFT_ENTRY_COMMAND, "w", 1);
            flush(r, &q);
            ack(r, 2, idx);
        }
        flush(r, &q);
    }
    CHECK(raft_role(r) == RAFT_LEADER);
    CHECK(raft_commit_index(r) > commit);  /* 2 and the leader go on committing */
    CHECK(count_appends_with_entries(&q, 2) > 0);
    CHECKMSG(count(&q, MSG_HEARTBEAT, 3) >= 2 * E, "%d heartbeats to the waiting follower",
             count(&q, MSG_HEARTBEAT, 3));
    CHECKMSG(count(&q, MSG_APPEND, 3) == 0, "%d appends to a follower waiting for a snapshot",
             count(&q, MSG_APPEND, 3));
    CHECKMSG(count(&q, MSG_SNAPSHOT, 0) == 0, "%d more snapshot requests while one runs", count(&q, MSG_SNAPSHOT, 0));
    const qmsg *h = find(&q, MSG_HEARTBEAT, 3);
    CHECK(h && h->m.commit == 0);  /* it holds nothing the leader knows of */
    outq_free(&q);
    raft_free(r);
}

/* raft_snapshot_sent(id, index): the follower holds the image at index
 * (maybe newer than the leader's snapshot point: any applied index will
 * do). The leader probes right after it with one append (prev = index and
 * its term) and, once that is acknowledged, pipelines again. An
 * acknowledgement of the install may beat the report: then the report
 * changes nothing. A report for a follower not waiting is ignored. */
static void test_snapshot_sent_resumes_replication(void) {
    /* image index, snapshot point: prev term */
    static const struct { uint64_t index, upto, prev_term; } tab[] = {
        {5, 5, 2},
        {3, 3, 1},
        {6, 3, 2},  /* the image is newer than the leader's snapshot point */
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        raft *r = lagging_leader(8, tab[k].upto);
        /* 3 rejects the no-op's append: its log is empty, all it needs is compacted */
        step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = 3, .to = 1, .term = 2, .index = 3, .reject = 1,
                           .hint_index = 1});
        outq q = {0};
        flush(r, &q);
        CHECK(count(&q, MSG_SNAPSHOT, 3) == 1);
        const qmsg *s = find(&q, MSG_SNAPSHOT, 3);
        CHECK(s && s->m.index == tab[k].upto);
        outq_clear(&q);

        raft_snapshot_sent(r, 3, tab[k].index);
        flush(r, &q);
        CHECK(count(&q, MSG_SNAPSHOT, 0) == 0);
        CHECKMSG(count(&q, MSG_APPEND, 3) == 1, "case %zu: %d appends after the transfer", k, count(&q, MSG_APPEND, 3));
        const qmsg *m = find(&q, MSG_APPEND, 3);
        CHECKMSG(m && m->m.index == tab[k].index && m->m.log_term == tab[k].prev_term,
                 "case %zu: append after %llu/%llu, want %llu/%llu", k, m ? (unsigned long long)m->m.index : 0ULL,
                 m ? (unsigned long long)m->m.log_term : 0ULL, (unsigned long long)tab[k].index,
                 (unsigned long long)tab[k].prev_term);
        CHECK(m && m->m.nentries == 8 - tab[k].index && m->m.nentries && m->m.entries[0].index == tab[k].index + 1);
        raft_peer_info pi;
        CHECK(raft_peer(r, 3, &pi) && pi.probe && pi.next == tab[k].index + 1);
        outq_clear(&q);

        raft_propose(r, RAFT_ENTRY_COMMAND, "p", 1);  /* probing: one append at a time */
        flush(r, &q);
        CHECK(count_appends_with_entries(&q, 3) == 0);
        outq_clear(&q);

        ack(r, 3, 8);
        flush(r, &q);
        CHECK(raft_peer(r, 3, &pi) && !pi.probe && pi.match == 8);
        outq_clear(&q);
        for (int i = 0; i < 3; i++) raft_propose(r, RAFT_ENTRY_COMMAND, "q", 1);
        flush(r, &q);
        CHECKMSG(count_appends_with_entries(&q, 3) == 3, "case %zu: %d appends pipelined after the install", k,
                 count_appends_with_entries(&q, 3));
        outq_free(&q);
        raft_free(r);
    }

    /* the install's acknowledgement arrives before the transfer is reported */
    raft *r = lagging_leader(8, 5);
    hb_resp(r, 3);
    flush(r, NULL);
    ack(r, 3, 5);
    outq q = {0};
    flush(r, &q);
    const qmsg *m = find(&q, MSG_APPEND, 3);
    CHECK(m && m->m.index == 5 && m->m.nentries == 3);
    raft_peer_info pi;
    CHECK(raft_peer(r, 3, &pi) && !pi.probe && pi.match == 5);
    outq_clear(&q);
    raft_snapshot_sent(r, 3, 5);
    flush(r, &q);
    CHECK(count(&q, MSG_APPEND, 3) == 0 && count(&q, MSG_SNAPSHOT, 0) == 0);
    CHECK(raft_peer(r, 3, &pi) && !pi.probe && pi.match == 5);
    outq_clear(&q);

    /* a report about a follower that asked for nothing */
    raft_peer_info before;
    CHECK(raft_peer(r, 2, &before));
    raft_snapshot_sent(r, 2, 5);
    flush(r, &q);
    CHECK(q.n == 0);
    CHECK(raft_peer(r, 2, &pi) && pi.match == before.match && pi.next == before.next && pi.probe == before.probe);
    outq_free(&q);
    raft_free(r);
}

/* raft_snapshot_failed(id): the transfer broke. The leader stops waiting
 * but sends nothing at once; the next heartbeat answer (the follower is
 * there again) brings a new request. A report about a follower not
 * waiting is ignored. */
/* lagging_leader(7, 5) once follower 3 answered: it asked its glue for
 * one transfer to 3, and waits for its end (q left empty). */
static raft *transferring_leader(outq *q) {
    raft *r = lagging_leader(7, 5);
    hb_resp(r, 3);
    flush(r, q);
    CHECK(count(q, MSG_SNAPSHOT, 3) == 1);
    outq_clear(q);
    return r;
}

static void test_snapshot_failed_asks_again(void) {
    outq q = {0};
    raft *r = transferring_leader(&q);

    raft_snapshot_failed(r, 3);
    flush(r, &q);
    CHECK(q.n == 0);
    raft_peer_info pi;
    CHECK(raft_peer(r, 3, &pi) && pi.probe && pi.next == pi.match + 1);

    hb_resp(r, 3);
    flush(r, &q);
    CHECKMSG(count(&q, MSG_SNAPSHOT, 3) == 1, "%d requests after the follower answered, want 1",
             count(&q, MSG_SNAPSHOT, 3));
    const qmsg *s = find(&q, MSG_SNAPSHOT, 3);
    CHECK(s && s->m.index == 5 && s->m.log_term == 2);
    CHECK(count(&q, MSG_APPEND, 3) == 0);
    outq_clear(&q);

    /* waiting again: answers bring nothing more */
    hb_resp(r, 3);
    flush(r, &q);
    CHECK(count(&q, MSG_SNAPSHOT, 0) == 0 && count(&q, MSG_APPEND, 3) == 0);
    outq_clear(&q);

    raft_peer_info before;
    CHECK(raft_peer(r, 2, &before));
    raft_snapshot_failed(r, 2);
    flush(r, &q);
    CHECK(q.n == 0);
    CHECK(raft_peer(r, 2, &pi) && pi.match == before.match && pi.next == before.next && pi.probe == before.probe);
    outq_free(&q);
    raft_free(r);
}

/* The glue's report that a transfer ended can be lost with its link (the
 * follower installed the image, its acknowledgement went out on a link
 * that was down). A heartbeat answer carries the point of the follower's
 * image: one at or past what the leader compacted away means the image
 * landed, and appends resume after it, without waiting for the glue to
 * give up. An older point (the follower's own compaction) changes nothing. */
static void test_heartbeat_shows_image_landed(void) {
    outq q = {0};
    raft *r = transferring_leader(&q);
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 3, .to = raft_id(r), .term = raft_term(r), .index = 4});
    flush(r, &q);
    raft_peer_info pi;
    CHECK(count(&q, MSG_APPEND, 3) == 0 && count(&q, MSG_SNAPSHOT, 0) == 0);  /* 4 < 5: still waiting */
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 3, .to = raft_id(r), .term = raft_term(r), .index = 6});
    flush(r, &q);
    const qmsg *a = find(&q, MSG_APPEND, 3);
    CHECKMSG(a && a->m.index == 6, "an append after the image's point 6 (%s)", a ? "another point" : "none");
    CHECK(count(&q, MSG_SNAPSHOT, 0) == 0);
    CHECK(raft_peer(r, 3, &pi) && pi.probe && pi.next == 7);
    raft_snapshot_sent(r, 3, 6);  /* the glue's late report changes nothing */
    outq_clear(&q);
    flush(r, &q);
    CHECK(q.n == 0);
    outq_free(&q);
    raft_free(r);
}

/* raft.h says of raft_snapshot_failed "probe it again once it
 * answers", and raft.c "not at once: the next heartbeat answer shows the
 * peer is there". But raft_snapshot_failed leaves the follower probing
 * with nothing in flight, so the very next send_append (any proposal, any
 * commit advance) asks for a new transfer before the follower answered:
 * with a steady write load a down follower is asked for an image (which
 * the glue may build each time) once per proposal. Only a heartbeat
 * answer should bring the new request. */
static void test_snapshot_failed_waits_for_answer(void) {
    raft *r = lagging_leader(7, 5);
    hb_resp(r, 3);
    flush(r, NULL);
    raft_snapshot_failed(r, 3);
    outq q = {0};
    uint64_t idx = raft_propose(r, RAFT_ENTRY_COMMAND, "w", 1);  /* a write: appends go out */
    flush(r, &q);
    ack(r, 2, idx);  /* and commit: the commit index goes out */
    flush(r, &q);
    raft_tick(r);  /* a heartbeat, which 3 does not answer */
    flush(r, &q);
    CHECKMSG(count(&q, MSG_SNAPSHOT, 3) == 0,
             "%d snapshot requests after a failed transfer before the follower answered",
             count(&q, MSG_SNAPSHOT, 3));
    CHECK(count(&q, MSG_APPEND, 3) == 0);
    hb_resp(r, 3);
    flush(r, &q);
    CHECK(count(&q, MSG_SNAPSHOT, 3) == 1);  /* by the time it answered, one new request in all */
    outq_free(&q);
    raft_free(r);
}

/* while a transfer runs, the leader's appends are stopped, so a
 * rejection that arrives then answers an append sent before the request:
 * it is old news (etcd ignores such rejections in its snapshot state).
 * raft.c's handle_append_resp clears the waiting state on any rejection
 * above match and asks for a second transfer at once, so a follower with a
 * window of appends in flight gets one request per rejected append. */
static void test_snapshot_wait_ignores_older_rejects(void) {
    static const uint64_t lg[] = {1, 1, 1};
    raft *r = leader(3, 1, lg, 3, 1);  /* term 2, both followers replicate from the no-op at 4 */
    for (int i = 0; i < 3; i++) raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1);  /* appends of 5, 6, 7 to each */
    flush(r, NULL);
    ack(r, 2, 7);
    flush(r, NULL);
    raft_compact(r, 7);
    /* 3 lost the append of 5, rejects those of 6 and 7 (its log ends at 4) */
    outq q = {0};
    step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = 3, .to = 1, .term = 2, .index = 5, .reject = 1,
                       .hint_index = 5});
    flush(r, &q);
    CHECK(count(&q, MSG_SNAPSHOT, 3) == 1);
    step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = 3, .to = 1, .term = 2, .index = 6, .reject = 1,
                       .hint_index = 5});
    flush(r, &q);
    CHECKMSG(count(&q, MSG_SNAPSHOT, 3) == 1, "%d snapshot requests for one follower after older rejections",
             count(&q, MSG_SNAPSHOT, 3));
    CHECK(count(&q, MSG_APPEND, 3) == 0);
    outq_free(&q);
    raft_free(r);
}

/* A follower whose log is shorter than the image, or conflicts with it,
 * installs it from the leader of its term and empties its log (returns
 * 2). The image is committed state: commit, snapshot point and last index
 * move to it; the acknowledgement (not a rejection) goes in msgs_after,
 * once the durable log was reset; nothing up to the image is handed out
 * to apply; the next append after the image is accepted. */
static void test_follower_install_snapshot_discards_log(void) {
    static const struct { uint64_t terms[8]; size_t n; uint64_t commit; } tab[] = {
        {{0}, 0, 0},
        {{1, 1}, 2, 0},          /* shorter */
        {{1, 1, 1}, 3, 2},       /* shorter, partly applied */
        {{1, 1, 1, 1, 1, 1, 1}, 7, 1},  /* 5 conflicts (term 1, the image's is 2), and all after it */
        {{1, 1, 2, 2, 3}, 5, 0},  /* 5 conflicts: term 3 */
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        raft *r = mk(2, 3, 3, tab[k].terms, tab[k].n);
        if (tab[k].commit) step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 1, .to = 2, .term = 3, .commit = tab[k].commit});
        flushed f = flush(r, NULL);
        CHECK(raft_commit_index(r) == tab[k].commit && f.ncommitted == tab[k].commit);

        int got = install(r, 1, 3, 5, 2);
        CHECKMSG(got == 2, "case %zu: install returned %d, want 2 (log emptied)", k, got);
        CHECK(raft_role(r) == RAFT_FOLLOWER && raft_term(r) == 3 && raft_leader(r) == 1);
        CHECK(raft_commit_index(r) == 5);
        CHECK(raft_snapshot_index(r) == 5 && raft_snapshot_term(r) == 2);
        CHECKMSG(raft_last_index(r) == 5, "case %zu: last index %llu after the install", k,
                 (unsigned long long)raft_last_index(r));
        CHECK(raft_term_at(r, 5) == 2);
        for (uint64_t i = 1; i <= 7; i++) CHECK(raft_entry_at(r, i) == NULL);
        outq q = {0};
        f = flush(r, &q);
        CHECK(f.nentries == 0);
        CHECKMSG(f.ncommitted == 0, "case %zu: %zu entries up to the image handed out to apply", k, f.ncommitted);
        const qmsg *m = find(&q, MSG_APPEND_RESP, 1);
        CHECK(m && m->after && !m->m.reject && m->m.index == 5 && m->m.term == 3);
        outq_clear(&q);

        static const uint64_t more[] = {3, 3};
        send_entries(r, 1, 3, 5, 2, more, 2, 7);
        f = flush(r, &q);
        m = find(&q, MSG_APPEND_RESP, 1);
        CHECK(m && !m->m.reject && m->m.index == 7);
        CHECK(raft_last_index(r) == 7 && raft_commit_index(r) == 7);
        CHECK(f.nentries == 2 && f.first_entry == 6);
        CHECK(f.ncommitted == 2 && f.first_committed == 6 && f.committed_in_order);
        outq_free(&q);
        raft_free(r);
    }
}

/* A follower that already holds the image's last entry (same index and
 * term), handed out for persisting in an earlier ready, keeps what follows
 * it (returns 1): entries up to the image go, the suffix stays, and is
 * neither handed out to persist again nor to apply before it commits.
 * That holds whether the earlier write is durable yet or not. */
static void test_follower_install_snapshot_keeps_suffix(void) {
    static const uint64_t lg[] = {2, 2, 2, 2, 2, 2, 2, 2};
    for (int durable = 0; durable < 2; durable++) {
        raft *r = mk(2, 3, 2, NULL, 0);
        send_entries(r, 1, 2, 0, 0, lg, 8, 1);
        raft_ready rd;
        raft_ready_get(r, &rd);
        CHECK(rd.nentries == 8);
        if (durable) raft_persisted(r, 8, 2);
        flush(r, NULL);  /* with durable == 0, flush finds nothing new to persist */

        int got = install(r, 1, 2, 5, 2);
        CHECKMSG(got == 1, "durable %d: install returned %d, want 1 (suffix kept)", durable, got);
        CHECK(raft_commit_index(r) == 5 && raft_snapshot_index(r) == 5 && raft_snapshot_term(r) == 2);
        CHECKMSG(raft_last_index(r) == 8, "durable %d: last index %llu, want 8", durable,
                 (unsigned long long)raft_last_index(r));
        for (uint64_t i = 1; i <= 5; i++) CHECK(raft_entry_at(r, i) == NULL);
        for (uint64_t i = 6; i <= 8; i++) {
            const raft_entry *e = raft_entry_at(r, i);
            char want[32];
            size_t n = entry_data(i, 2, want, sizeof(want));
            CHECK(e && e->index == i && e->term == 2 && e->len == n && !memcmp(e->data, want, n));
        }
        outq q = {0};
        flushed f = flush(r, &q);
        CHECK(f.nentries == 0 && f.ncommitted == 0);
        const qmsg *m = find(&q, MSG_APPEND_RESP, 1);
        CHECK(m && m->after && !m->m.reject && m->m.index == 5);
        outq_clear(&q);

        if (!durable) raft_persisted(r, 8, 2);  /* the earlier write lands */
        step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 1, .to = 2, .term = 2, .commit = 8});
        f = flush(r, &q);
        CHECK(raft_commit_index(r) == 8);
        CHECK(f.ncommitted == 3 && f.first_committed == 6 && f.last_committed == 8);
        outq_free(&q);
        raft_free(r);
    }

    /* the matching entry never handed out: the log may not be kept */
    raft *r = mk(2, 3, 2, NULL, 0);
    send_entries(r, 1, 2, 0, 0, lg, 8, 1);
    int got = install(r, 1, 2, 5, 2);
    CHECK(got == 2 || got == 1);
    if (got == 2) CHECK(raft_last_index(r) == 5 && raft_entry_at(r, 6) == NULL);
    if (got == 1) CHECK(raft_last_index(r) == 8);
    CHECK(raft_commit_index(r) == 5 && raft_snapshot_index(r) == 5);
    raft_free(r);
}

/* Safety: an acknowledgement queued before the install must not
 * claim entries the install dropped. The follower steps an append of 1..8
 * from its leader (the answer "I hold 8" is queued for the next ready's
 * msgs_after) and, before the glue took that ready, a whole image of 5
 * from the same leader. raft.c empties the log (return 2, the entries were
 * never handed out) but leaves the queued answer: the ready then carries
 * "APPEND_RESP index 8" in msgs_after with nothing past 5 to persist. The
 * leader takes match = 8 and may commit 6..8 on a copy that exists only on
 * itself; a leader elected later without them loses committed entries.
 * Either the suffix must be kept (and handed out) or the stale answer
 * dropped: whatever the follower claims must be in its log. */
static void test_install_snapshot_drops_unsent_acks(void) {
    static const uint64_t lg[] = {2, 2, 2, 2, 2, 2, 2, 2};
    raft *r = mk(2, 3, 2, NULL, 0);
    send_entries(r, 1, 2, 0, 0, lg, 8, 0);
    int got = install(r, 1, 2, 5, 2);
    CHECK(got == 1 || got == 2);
    outq q = {0};
    flush(r, &q);
    int claims5 = 0;
    for (size_t i = 0; i < q.n; i++) {
        const raft_msg *m = &q.v[i].m;
        if (m->type != MSG_APPEND_RESP || m->reject) continue;
        claims5 |= m->index == 5;
        CHECKMSG(m->index <= raft_last_index(r),
                 "install returned %d, log ends at %llu, yet msgs_after acknowledges index %llu", got,
                 (unsigned long long)raft_last_index(r), (unsigned long long)m->index);
    }
    CHECK(claims5 || raft_last_index(r) > 5);
    outq_free(&q);
    raft_free(r);
}

/* An image the follower need not take is refused (returns 0) and changes
 * nothing: one at or below its commit index is answered with that index
 * (it has all of it); one from a stale term is answered with a rejection
 * carrying the newer term; a leader ignores one of its own term. */
static void test_install_snapshot_refused(void) {
    static const uint64_t lg[] = {1, 1, 1, 1, 1};
    for (uint64_t index = 2; index <= 4; index++) {
        raft *r = mk(2, 3, 1, lg, 5);
        step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 1, .to = 2, .term = 1, .commit = 4});
        flush(r, NULL);
        CHECK(raft_commit_index(r) == 4);
        int got = install(r, 1, 1, index, 1);
        CHECKMSG(got == 0, "image at %llu, commit 4: install returned %d", (unsigned long long)index, got);
        CHECK(raft_snapshot_index(r) == 0 && raft_last_index(r) == 5 && raft_commit_index(r) == 4);
        CHECK(raft_entry_at(r, 1) != NULL);
        outq q = {0};
        flushed f = flush(r, &q);
        CHECK(f.ncommitted == 0 && f.nentries == 0);
        const qmsg *m = find(&q, MSG_APPEND_RESP, 1);
        CHECK(m && !m->m.reject && m->m.index == 4);
        outq_free(&q);
        raft_free(r);
    }

    /* a stale term */
    raft *r = mk(2, 3, 3, lg, 5);
    step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 3, .to = 2, .term = 3, .commit = 2});
    flush(r, NULL);
    int got = install(r, 1, 2, 9, 2);
    CHECK(got == 0);
    CHECK(raft_term(r) == 3 && raft_leader(r) == 3 && raft_role(r) == RAFT_FOLLOWER);
    CHECK(raft_snapshot_index(r) == 0 && raft_last_index(r) == 5 && raft_commit_index(r) == 2);
    outq q = {0};
    flushed f = flush(r, &q);
    CHECK(!f.hard_state_changed && f.ncommitted == 0);
    const qmsg *m = find(&q, MSG_APPEND_RESP, 1);
    CHECK(m && m->m.reject && m->m.term == 3);
    outq_free(&q);
    raft_free(r);

    /* a leader, same term */
    r = leader(3, 1, lg, 5, 1);
    uint64_t last = raft_last_index(r), commit = raft_commit_index(r);
    got = install(r, 2, raft_term(r), last + 5, raft_term(r));
    CHECK(got == 0);
    CHECK(raft_role(r) == RAFT_LEADER && raft_leader(r) == 1);
    CHECK(raft_snapshot_index(r) == 0 && raft_last_index(r) == last && raft_commit_index(r) == commit);
    memset(&q, 0, sizeof(q));
    flush(r, &q);
    CHECK(count(&q, MSG_APPEND_RESP, 0) == 0);
    outq_free(&q);
    raft_free(r);
}

/* 5.1 for images: MSG_SNAPSHOT from a leader of a newer term makes any node
 * adopt that term (vote cleared, hard state to persist) and follow the
 * sender, as an append would; then the image installs. A candidate of the
 * same term falls back to follower the same way. */
static void test_install_snapshot_newer_term(void) {
    static const int roles[] = {RAFT_FOLLOWER, RAFT_PRECANDIDATE, RAFT_CANDIDATE, RAFT_LEADER};
    static const uint64_t lg[] = {1, 1};
    for (int k = 0; k < 4; k++) {
        for (int same = 0; same < 2; same++) {
            if (same && roles[k] != RAFT_PRECANDIDATE && roles[k] != RAFT_CANDIDATE) continue;
            raft *r = mk(1, 3, 2, lg, 2);
            step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 3, .to = 1, .term = 2});
            if (roles[k] == RAFT_PRECANDIDATE) to_precandidate(r);
            if (roles[k] == RAFT_CANDIDATE) to_candidate(r, 3);
            if (roles[k] == RAFT_LEADER) to_leader(r, 3);
            CHECK(raft_role(r) == roles[k]);
            flush(r, NULL);
            uint64_t t = same ? raft_term(r) : raft_term(r) + 2;
            int got = install(r, 2, t, 9, t - 1);
            CHECKMSG(raft_role(r) == RAFT_FOLLOWER && raft_term(r) == t && raft_leader(r) == 2,
                     "role %d, %s term: role %d term %llu leader %llu", roles[k], same ? "same" : "newer", raft_role(r),
                     (unsigned long long)raft_term(r), (unsigned long long)raft_leader(r));
            CHECK(got == 2 && raft_commit_index(r) == 9 && raft_snapshot_index(r) == 9 && raft_last_index(r) == 9);
            outq q = {0};
            flushed f = flush(r, &q);
            if (!same) CHECK(f.hard_state_changed && f.term == t && f.vote == 0);
            const qmsg *m = find(&q, MSG_APPEND_RESP, 2);
            CHECK(m && m->after && !m->m.reject && m->m.index == 9 && m->m.term == t);
            outq_free(&q);
            raft_free(r);
        }
    }
}

/* Fast back-off meets compaction: when a follower's rejection points the
 * leader below its snapshot point (by a short log, or by a conflicting
 * term the leader can no longer look for), the leader asks for a snapshot
 * instead of sending entries it does not have; a hint above the point
 * still gets an append, whose prev term may be the snapshot term. */
static void test_reject_below_snapshot_asks_snapshot(void) {
    static const uint64_t lg[] = {1, 1, 2, 2, 3, 3};
    static const struct { uint64_t upto, hint_index, hint_term; int snap; uint64_t prev, prev_term; } tab[] = {
        {8, 4, 0, 1, 0, 0},  /* its log ends at 3 */
        {8, 3, 2, 1, 0, 0},  /* its term 2 from 3 on: the leader's term 2 is compacted */
        {5, 3, 2, 1, 0, 0},  /* the leader's last term-2 entry (4) just went */
        {5, 6, 0, 0, 5, 3},  /* needs 6: held */
        {4, 5, 0, 0, 4, 2},  /* needs 5: prev is the snapshot point */
        {4, 3, 2, 0, 4, 2},  /* the snapshot point is its last term-2 entry */
        {6, 6, 0, 1, 0, 0},  /* needs 6, compacted just now */
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
        raft *r = leader(3, 3, lg, 6, 0);  /* term 4, no-op at 7; 3 probes with prev 6 outstanding */
        ack(r, 2, 7);
        for (int i = 0; i < 3; i++) raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1);  /* 8..10 */
        flush(r, NULL);
        ack(r, 2, 10);
        flush(r, NULL);
        raft_compact(r, tab[k].upto);
        CHECK(raft_snapshot_index(r) == tab[k].upto);
        step(r, (raft_msg){.type = MSG_APPEND_RESP, .from = 3, .to = 1, .term = 4, .index = 6, .reject = 1,
                           .hint_index = tab[k].hint_index, .hint_term = tab[k].hint_term});
        outq q = {0};
        flush(r, &q);
        if (tab[k].snap) {
            const qmsg *s = find(&q, MSG_SNAPSHOT, 3);
            CHECKMSG(s && count(&q, MSG_SNAPSHOT, 0) == 1, "case %zu: no snapshot request", k);
            CHECK(s && s->m.index == tab[k].upto && s->m.log_term == raft_term_at(r, tab[k].upto));
            CHECKMSG(count(&q, MSG_APPEND, 3) == 0, "case %zu: append to a follower that needs a snapshot", k);
        } else {
            const qmsg *m = find(&q, MSG_APPEND, 3);
            CHECK(count(&q, MSG_SNAPSHOT, 0) == 0);
            CHECKMSG(m && m->m.index == tab[k].prev && m->m.log_term == tab[k].prev_term &&
                         m->m.nentries == 10 - tab[k].prev,
                     "case %zu: append after %llu/%llu", k, m ? (unsigned long long)m->m.index : 0ULL,
                     m ? (unsigned long long)m->m.log_term : 0ULL);
        }
        outq_free(&q);
        raft_free(r);
    }
}

/* ================================================================== */
/* Membership changes and leadership transfer                          */
/* ================================================================== */

/* Configurations are members.h text with bare ids ("1,2,3,4/learner"),
 * carried by CONFIG entries and in force from the moment they are in the
 * log (dissertation 4.1); one server changes at a time (4.2-4.3). */

static raft_config config_conf(uint64_t id, const char *conf) {
    raft_config c = config(id, 0);
    c.conf = conf;
    c.conf_len = strlen(conf);
    return c;
}

/* The configuration in force, as text. */
static int conf_is(const raft *r, const char *want) {
    buf t;
    buf_init(&t);
    members_format(raft_members(r), &t);
    int ok = t.len == strlen(want) && (!t.len || !memcmp(t.data, want, t.len));
    if (!ok) fprintf(stderr, "  node %llu: configuration '%.*s', want '%s'\n", (unsigned long long)raft_id(r), (int)t.len,
                     t.data ? t.data : "", want);
    buf_free(&t);
    return ok;
}

/* A log entry by term and type; CONFIG entries carry their text,
 * commands the usual data of their index and term. */
typedef struct lent { uint64_t term; int type; const char *conf; } lent;
#define C(t) {t, RAFT_ENTRY_COMMAND, NULL}
#define CF(t, s) {t, RAFT_ENTRY_CONFIG, s}

static void fill(raft_entry *e, char (*data)[32], uint64_t first, const lent *l, size_t n) {
    for (size_t i = 0; i < n; i++) {
        e[i] = (raft_entry){.term = l[i].term, .index = first + i, .type = l[i].type};
        if (l[i].type == RAFT_ENTRY_CONFIG) {
            e[i].data = (char *)l[i].conf;
            e[i].len = strlen(l[i].conf);
        } else {
            e[i].data = data[i];
            e[i].len = entry_data(first + i, l[i].term, data[i], 32);
        }
    }
}

/* A raft over the log l[0..n) from index `first` on, whose state machine
 * holds everything up to `applied` (cfg carries its configuration). */
static raft *make_typed(const raft_config *c, uint64_t term, uint64_t applied, uint64_t applied_term, uint64_t first,
                        const lent *l, size_t n) {
    raft_entry e[16];
    char data[16][32];
    fill(e, data, first, l, n);
    return raft_new_at(c, term, 0, applied, applied_term, n ? e : NULL, n);
}

/* Leader `from` of `term` sends entries prev+1.. after (prev, prev_term). */
static void send_typed(raft *r, uint64_t from, uint64_t term, uint64_t prev, uint64_t prev_term, const lent *l, size_t n,
                       uint64_t commit) {
    raft_entry e[16];
    char data[16][32];
    fill(e, data, prev + 1, l, n);
    step(r, (raft_msg){.type = MSG_APPEND, .from = from, .to = raft_id(r), .term = term, .index = prev,
                       .log_term = prev_term, .commit = commit, .entries = n ? e : NULL, .nentries = n});
}

/* The glue steps in an image (index, log_term) with its configuration. */
static int install_conf(raft *r, uint64_t from, uint64_t term, uint64_t index, uint64_t log_term, const char *conf) {
    raft_entry ce = {.term = log_term, .index = index, .type = RAFT_ENTRY_CONFIG, .data = (char *)conf,
                     .len = strlen(conf)};
    raft_msg m = {.type = MSG_SNAPSHOT, .from = from, .to = raft_id(r), .term = term, .index = index,
                  .log_term = log_term, .entries = &ce, .nentries = 1};
    return raft_install_snapshot(r, &m);
}

/* Node 1 elected (term 1) over an empty log with configuration conf; every
 * other member answered (learners' answers count for nothing); its no-op
 * committed when `replicate` (every member acknowledged it). */
static raft *leader_conf(const char *conf, int maxid, int replicate) {
    raft_config c = config_conf(1, conf);
    raft *r = raft_new(&c, 0, 0, NULL, 0);
    to_leader(r, maxid);
    flush(r, NULL);
    if (replicate) {
        for (uint64_t p = 2; p <= (uint64_t)maxid; p++) ack(r, p, raft_last_index(r));
        flush(r, NULL);
    }
    return r;
}

/* A toy network of n nodes: 1..founders start with conf, the others with
 * an empty configuration (machines that are to join). */
static void net_init_conf(net *nw, int n, int founders, const char *conf, uint64_t promote_gap) {
    memset(nw, 0, sizeof(*nw));
    nw->n = n;
    nw->apply_order_ok = 1;
    for (int i = 1; i <= n; i++) {
        raft_config c = config_conf((uint64_t)i, i <= founders ? conf : "");
        c.promote_gap = promote_gap;
        nw->r[i] = raft_new(&c, 0, 0, NULL, 0);
    }
}

static int64_t change(raft *r, int op, uint64_t id) {
    cluster_member m = {0};
    m.id = id;
    return raft_change(r, op, &m);
}

static int the_leader(const net *nw) {
    int l = 0;
    for (int i = 1; i <= nw->n; i++)
        if (nw->r[i] && raft_role(nw->r[i]) == RAFT_LEADER) l = l ? -1 : i;
    return l;
}

/* 4.2.1: a new server joins as a learner knowing nothing (an empty
 * configuration): it takes entries from the leader (it learns the
 * configuration from the log) but never campaigns, votes or counts. Once
 * its log is within promote_gap of the leader's, the leader promotes it on
 * its own; not before (a learner still catching up would stall commits). */
static void test_conf_add_learner_auto_promote(void) {
    net nw;
    net_init_conf(&nw, 4, 3, "1,2,3", 2);
    CHECK(conf_is(nw.r[4], "") && !raft_is_voter(nw.r[4], 4));
    net_elect(&nw, 1);
    CHECK(the_leader(&nw) == 1);
    raft *l = nw.r[1];
    for (int i = 0; i < 6; i++) raft_propose(l, RAFT_ENTRY_COMMAND, "x", 1);
    net_run(&nw);
    uint64_t term = raft_term(l);

    net_isolate(&nw, 4, 1);  /* the new machine is not reachable yet */
    int64_t idx = change(l, RAFT_ADD_LEARNER, 4);
    CHECK(idx == (int64_t)raft_last_index(l));
    CHECK(conf_is(l, "1,2,3,4/learner") && raft_conf_index(l) == (uint64_t)idx);  /* in force at once */
    raft_peer_info p;
    CHECK(raft_peer(l, 4, &p) && !p.voter && !p.departing && p.match == 0);
    net_run(&nw);
    CHECK(raft_commit_index(l) == (uint64_t)idx);  /* the voters commit it without the learner */
    for (int i = 2; i <= 3; i++) CHECK(conf_is(nw.r[i], "1,2,3,4/learner"));
    for (int k = 0; k < 4 * E; k++) net_tick_all(&nw);  /* nowhere near: no promotion; 4 never campaigns */
    CHECK(conf_is(l, "1,2,3,4/learner") && raft_get_stats(l)->conf_changes == 1);
    CHECK(raft_role(nw.r[4]) == RAFT_FOLLOWER && raft_term(nw.r[4]) == 0);
    CHECK(raft_role(l) == RAFT_LEADER && raft_term(l) == term);

    net_isolate(&nw, 4, 0);
    for (int k = 0; k < 4 * E && !raft_is_voter(l, 4); k++) net_tick_all(&nw);
    net_run(&nw);
    CHECKMSG(raft_is_voter(l, 4), "the learner was not promoted once caught up");
    CHECK(raft_get_stats(l)->conf_changes == 2);
    for (int i = 1; i <= 4; i++) {
        CHECK(conf_is(nw.r[i], "1,2,3,4"));
        CHECK(raft_commit_index(nw.r[i]) == raft_commit_index(l) && raft_conf_index(nw.r[i]) <= raft_commit_index(l));
        CHECK(same_log(nw.r[i], l));
    }
    CHECK(raft_term(l) == term && nw.apply_order_ok);
    /* a voter now: the quorum is 3 of 4 */
    net_isolate(&nw, 2, 1);
    net_isolate(&nw, 3, 1);
    uint64_t before = raft_commit_index(l);
    raft_propose(l, RAFT_ENTRY_COMMAND, "y", 1);
    net_run(&nw);
    CHECK(raft_commit_index(l) == before);
    net_isolate(&nw, 3, 0);
    for (int k = 0; k < 2 * E && raft_commit_index(l) == before; k++) net_tick_all(&nw);  /* 3 is probed again */
    CHECK(raft_commit_index(l) == before + 1);
    net_free(&nw);
}

/* Learners take entries but never count: not for commits, not for
 * check-quorum, not in elections (they are not asked, their answers do not
 * count); a learner never campaigns, even on TIMEOUT_NOW. */
static void test_conf_learners_do_not_count(void) {
    const char *conf = "1,2,3,4/learner,5/learner";
    raft_config c = config_conf(1, conf);
    raft *r = raft_new(&c, 0, 0, NULL, 0);
    to_precandidate(r);
    outq q = {0};
    flush(r, &q);
    CHECK(count(&q, MSG_PREVOTE, 2) == 1 && count(&q, MSG_PREVOTE, 3) == 1);
    CHECK(count(&q, MSG_PREVOTE, 4) == 0 && count(&q, MSG_PREVOTE, 5) == 0);
    outq_clear(&q);
    for (uint64_t p = 4; p <= 5; p++)
        step(r, (raft_msg){.type = MSG_PREVOTE_RESP, .from = p, .to = 1, .term = 1});
    CHECKMSG(raft_role(r) == RAFT_PRECANDIDATE, "learners' pre-votes made it a candidate");
    step(r, (raft_msg){.type = MSG_PREVOTE_RESP, .from = 2, .to = 1, .term = 1});
    CHECK(raft_role(r) == RAFT_CANDIDATE && raft_term(r) == 1);
    flush(r, &q);
    CHECK(count(&q, MSG_VOTE, 2) == 1 && count(&q, MSG_VOTE, 3) == 1 && count(&q, MSG_VOTE, 4) == 0 &&
          count(&q, MSG_VOTE, 5) == 0);
    outq_clear(&q);
    for (uint64_t p = 4; p <= 5; p++) step(r, (raft_msg){.type = MSG_VOTE_RESP, .from = p, .to = 1, .term = 1});
    CHECKMSG(raft_role(r) == RAFT_CANDIDATE, "learners' votes elected it");
    step(r, (raft_msg){.type = MSG_VOTE_RESP, .from = 3, .to = 1, .term = 1});
    CHECK(raft_role(r) == RAFT_LEADER);
    flush(r, &q);
    CHECK(count(&q, MSG_APPEND, 4) == 1 && count(&q, MSG_APPEND, 5) == 1);  /* learners get entries */
    outq_clear(&q);

    /* commits: the learners' acknowledgements do not make a quorum */
    uint64_t noop = raft_last_index(r);
    ack(r, 4, noop);
    ack(r, 5, noop);
    flush(r, NULL);
    CHECKMSG(raft_commit_index(r) == 0, "committed by learners: commit %llu", (unsigned long long)raft_commit_index(r));
    ack(r, 2, noop);
    flushed f = flush(r, NULL);
    CHECK(raft_commit_index(r) == noop && f.ncommitted == 1);

    /* check-quorum: hearing only from learners, it steps down */
    for (int k = 0; k < 3 * E && raft_role(r) == RAFT_LEADER; k++) {
        raft_tick(r);
        hb_resp(r, 4);
        hb_resp(r, 5);
        flush(r, NULL);
    }
    CHECKMSG(raft_role(r) == RAFT_FOLLOWER, "a leader kept alive by learners alone");
    outq_free(&q);
    raft_free(r);

    /* ... while one voter is enough with it */
    r = leader_conf(conf, 5, 1);
    for (int k = 0; k < 3 * E; k++) {
        raft_tick(r);
        hb_resp(r, 3);
        flush(r, NULL);
    }
    CHECK(raft_role(r) == RAFT_LEADER);
    raft_free(r);

    /* the learner itself */
    c = config_conf(4, conf);
    r = raft_new(&c, 0, 0, NULL, 0);
    for (int k = 0; k < 10 * E; k++) raft_tick(r);
    raft_campaign(r);
    f = flush(r, &q);
    CHECK(raft_role(r) == RAFT_FOLLOWER && raft_term(r) == 0 && q.n == 0 && !f.hard_state_changed);
    step(r, (raft_msg){.type = MSG_HEARTBEAT, .from = 1, .to = 4, .term = 2});
    step(r, (raft_msg){.type = MSG_TIMEOUT_NOW, .from = 1, .to = 4, .term = 2});
    CHECK(raft_role(r) == RAFT_FOLLOWER && raft_term(r) == 2 && raft_leader(r) == 1);
    outq_free(&q);
    raft_free(r);
}

/* One change at a time (4.2): while a configuration is uncommitted every
 * other change is refused (BUSY) and nothing is appended; followers refuse
 * (NOT_LEADER). */
static void test_conf_one_at_a_time(void) {
    raft *r = leader(3, 0, NULL, 0, 1);
    uint64_t last = raft_last_index(r);
    int64_t idx = change(r, RAFT_ADD_LEARNER, 4);
    CHECK(idx == (int64_t)last + 1);
    CHECK(change(r, RAFT_ADD_LEARNER, 5) == RAFT_CONF_BUSY);
    CHECK(change(r, RAFT_PROMOTE, 4) == RAFT_CONF_BUSY);
    CHECK(change(r, RAFT_REMOVE, 3) == RAFT_CONF_BUSY);
    CHECK(change(r, RAFT_REMOVE, 4) == RAFT_CONF_BUSY);
    CHECK(raft_last_index(r) == last + 1 && raft_get_stats(r)->conf_changes == 1);
    flush(r, NULL);
    ack(r, 3, (uint64_t)idx);  /* a quorum: 1 and 3 */
    flush(r, NULL);
    CHECK(raft_commit_index(r) == (uint64_t)idx);
    int64_t idx2 = change(r, RAFT_PROMOTE, 4);
    CHECK(idx2 == idx + 1 && conf_is(r, "1,2,3,4"));
    CHECK(change(r, RAFT_ADD_LEARNER, 5) == RAFT_CONF_BUSY);
    flush(r, NULL);
    ack(r, 3, (uint64_t)idx2);  /* 2 of 4: not yet */
    flush(r, NULL);
    CHECK(raft_commit_index(r) == (uint64_t)idx && change(r, RAFT_REMOVE, 2) == RAFT_CONF_BUSY);
    ack(r, 4, (uint64_t)idx2);
    flush(r, NULL);
    CHECK(raft_commit_index(r) == (uint64_t)idx2 && change(r, RAFT_REMOVE, 2) == idx2 + 1);
    CHECK(raft_get_stats(r)->conf_changes == 3);
    raft_free(r);

    r = mk(2, 3, 1, NULL, 0);
    CHECK(change(r, RAFT_ADD_LEARNER, 4) == RAFT_CONF_NOT_LEADER && raft_last_index(r) == 0);
    raft_free(r);
}

/* The fix to single-server changes (4.3, the errata of 2015): a new leader
 * changes the configuration only once it has committed an entry of its own
 * term, even if the configuration in its log is committed already. */
static void test_conf_own_term_rule(void) {
    static const lent lg[] = {C(1), CF(1, "1,2,3,4/learner")};
    for (int committed = 0; committed < 2; committed++) {
        raft_config c = config_conf(1, "1,2,3");
        raft *r = make_typed(&c, 1, committed ? 2 : 0, committed ? 1 : 0, 1, lg, 2);
        CHECK(conf_is(r, "1,2,3,4/learner") && raft_conf_index(r) == 2);
        to_leader(r, 3);
        CHECK(raft_role(r) == RAFT_LEADER && raft_term(r) == 2 && raft_last_index(r) == 3);
        flush(r, NULL);
        CHECKMSG(change(r, RAFT_PROMOTE, 4) == RAFT_CONF_BUSY, "committed %d: a change before the no-op committed",
                 committed);
        CHECK(change(r, RAFT_ADD_LEARNER, 5) == RAFT_CONF_BUSY && change(r, RAFT_REMOVE, 3) == RAFT_CONF_BUSY);
        ack(r, 2, 2);  /* entries of term 1 are not committed by counting (5.4.2) */
        flush(r, NULL);
        CHECK(raft_commit_index(r) == (committed ? 2u : 0u) && change(r, RAFT_PROMOTE, 4) == RAFT_CONF_BUSY);
        ack(r, 2, 3);
        flush(r, NULL);
        CHECK(raft_commit_index(r) == 3);
        CHECK(change(r, RAFT_PROMOTE, 4) == 4 && conf_is(r, "1,2,3,4"));
        raft_free(r);
    }
}

/* Removing a follower: in force at once, so the removed node's
 * acknowledgement no longer counts, not even for the removal; the rest
 * commit without it. It stays "departing" on the leader for now. */
static void test_conf_remove_follower(void) {
    raft *r = leader(3, 0, NULL, 0, 1);
    int64_t idx = change(r, RAFT_REMOVE, 3);
    CHECK(idx > 0 && conf_is(r, "1,2,-3") && !raft_is_voter(r, 3));
    raft_peer_info p;
    CHECK(raft_peer(r, 3, &p) && p.departing && !p.voter);
    outq q = {0};
    flush(r, &q);
    const qmsg *m = find(&q, MSG_APPEND, 3);  /* the departing node is told */
    CHECK(m && m->m.nentries == 1 && m->m.entries[0].type == RAFT_ENTRY_CONFIG);
    outq_free(&q);
    ack(r, 3, (uint64_t)idx);
    flush(r, NULL);
    CHECKMSG(raft_commit_index(r) < (uint64_t)idx, "the removed node's acknowledgement committed its removal");
    ack(r, 2, (uint64_t)idx);
    flush(r, NULL);
    CHECK(raft_commit_index(r) == (uint64_t)idx);
    uint64_t i2 = raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1);
    flush(r, NULL);
    ack(r, 2, i2);
    flush(r, NULL);
    CHECK(raft_commit_index(r) == i2 && raft_role(r) == RAFT_LEADER);
    raft_free(r);
}

/* A removed id is retired for good: adding it back is refused, even while
 * the leader still tells the old node of its removal (a wiped node under
 * that id could vote again in a term the old one voted in; the simulation
 * found two leaders in one term that way). The retired id travels in the
 * configuration text. */
static void test_conf_readd_departing_fresh(void) {
    raft *r = leader(3, 0, NULL, 0, 1);
    uint64_t i1 = raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1);
    flush(r, NULL);
    ack(r, 3, i1);
    flush(r, NULL);
    int64_t idx = change(r, RAFT_REMOVE, 3);
    flush(r, NULL);
    ack(r, 3, (uint64_t)idx);
    ack(r, 2, (uint64_t)idx);
    flush(r, NULL);
    CHECK(raft_commit_index(r) == (uint64_t)idx);
    raft_peer_info p;
    CHECK(raft_peer(r, 3, &p) && p.departing && p.match == (uint64_t)idx);
    CHECK(change(r, RAFT_ADD_LEARNER, 3) == RAFT_CONF_RETIRED && conf_is(r, "1,2,-3"));
    CHECK(raft_peer(r, 3, &p) && p.departing);
    int64_t a = change(r, RAFT_ADD_LEARNER, 4);
    CHECK(a > 0 && conf_is(r, "1,2,4/learner,-3"));
    raft_free(r);
}

/* Removing the leader (4.2.2): it leads a configuration without itself
 * (not counting itself) until the change commits, then steps down and
 * hands over with TIMEOUT_NOW (sent with its next tick, or raft_flush) to
 * the most up-to-date voter. That voter wins at once, without an election
 * timeout anywhere (the old leader ticks once, nobody else); the old
 * leader never campaigns again. */
static void test_conf_remove_leader(void) {
    net nw;
    net_init(&nw, 3);
    net_elect(&nw, 1);
    raft *l = nw.r[1];
    CHECK(the_leader(&nw) == 1);
    for (int i = 0; i < 3; i++) raft_propose(l, RAFT_ENTRY_COMMAND, "x", 1);
    net_run(&nw);
    uint64_t term = raft_term(l);
    int64_t idx = change(l, RAFT_REMOVE, 1);
    CHECK(idx > 0 && conf_is(l, "2,3,-1") && raft_role(l) == RAFT_LEADER);
    CHECK(raft_propose(l, RAFT_ENTRY_COMMAND, "y", 1) == (uint64_t)idx + 1);  /* still leads meanwhile */
    net_run(&nw);
    CHECK(raft_role(l) == RAFT_FOLLOWER && raft_transfer_sent(l));  /* committed: stepped down */
    raft_tick(l);  /* its TIMEOUT_NOW goes with its next tick (nobody else ticks) */
    net_run(&nw);
    int nl = the_leader(&nw);
    CHECKMSG(nl == 2 || nl == 3, "no new leader without a timeout (leader %d)", nl);
    CHECK(raft_role(l) == RAFT_FOLLOWER && !raft_is_voter(l, 1));
    CHECK(raft_commit_index(l) >= (uint64_t)idx);  /* it stepped down on committing the change */
    if (nl > 0) {
        raft *n = nw.r[nl];
        CHECK(raft_term(n) == term + 1 && conf_is(n, "2,3,-1"));
        CHECK(raft_get_stats(n)->transfer_elections == 1 && raft_get_stats(n)->timeout_elections == 0);
        CHECK(raft_get_stats(nw.r[5 - nl])->transfer_elections == 0 && raft_get_stats(nw.r[5 - nl])->timeout_elections == 0);
        CHECK(raft_get_stats(l)->timeout_elections == 1 && raft_get_stats(l)->transfer_elections == 0);
        /* the two go on without it */
        net_isolate(&nw, 1, 1);
        uint64_t i2 = raft_propose(n, RAFT_ENTRY_COMMAND, "z", 1);
        net_run(&nw);
        CHECK(i2 && raft_commit_index(n) == i2);
    }
    net_isolate(&nw, 1, 1);
    for (int k = 0; k < 10 * E; k++) raft_tick(l);
    CHECK(raft_role(l) == RAFT_FOLLOWER && raft_term(l) == term);  /* nobody asks it any more */
    net_free(&nw);
}

/* A removed member learns of its removal: the leader keeps it as
 * departing (heartbeats, appends) for an election timeout after the removal
 * commits, then forgets it. The node, holding the removal, never
 * campaigns. */
static void test_conf_departing_told_then_dropped(void) {
    raft *r = leader(3, 0, NULL, 0, 1);
    uint64_t v0 = raft_conf_version(r);
    int64_t idx = change(r, RAFT_REMOVE, 3);
    outq q = {0};
    flush(r, &q);
    const qmsg *m = find(&q, MSG_APPEND, 3);
    CHECK(m && m->m.nentries == 1 && m->m.entries[0].index == (uint64_t)idx);
    outq_clear(&q);

    for (int k = 0; k < E; k++) {  /* not counted while the removal is uncommitted */
        raft_tick(r);
        hb_resp(r, 2);
    }
    raft_peer_info p;
    CHECK(raft_peer(r, 3, &p) && p.departing);
    ack(r, 2, (uint64_t)idx);
    flush(r, NULL);
    CHECK(raft_commit_index(r) == (uint64_t)idx);
    uint64_t ids[8];
    for (int k = 0; k < E - 1; k++) {
        raft_tick(r);
        hb_resp(r, 2);
        flush(r, &q);
    }
    CHECK(raft_peer(r, 3, &p) && p.departing && !p.voter);
    CHECK(raft_peers(r, ids, 8) == 2);
    CHECKMSG(count(&q, MSG_HEARTBEAT, 3) >= E - 1, "%d heartbeats to the departing node", count(&q, MSG_HEARTBEAT, 3));
    uint64_t v1 = raft_conf_version(r);
    CHECK(v1 != v0);
    raft_tick(r);
    CHECK(!raft_peer(r, 3, &p) && raft_peers(r, ids, 8) == 1 && ids[0] == 2);
    CHECK(raft_conf_version(r) != v1);  /* the glue drops the link */
    outq_clear(&q);
    flush(r, NULL);  /* what that tick sent before it forgot 3 */
    raft_tick(r);
    flush(r, &q);
    int to3 = 0;
    for (size_t i = 0; i < q.n; i++) to3 += q.v[i].m.to == 3;
    CHECK(to3 == 0);
    outq_free(&q);

    /* the node itself, told (the entries, then the commit in a heartbeat),
     * never campaigns again */
    raft_config c3 = config(3, 3);
    raft *n3 = raft_new(&c3, raft_term(r), 0, NULL, 0);
    raft_entry all[2] = {*raft_entry_at(r, 1), *raft_entry_at(r, 2)};
    CHECK(idx == 2 && all[1].type == RAFT_ENTRY_CONFIG);
    step(n3, (raft_msg){.type = MSG_APPEND, .from = 1, .to = 3, .term = raft_term(r), .entries = all, .nentries = 2,
                        .commit = 1});
    CHECK(conf_is(n3, "1,2,-3") && !raft_is_voter(n3, 3));
    step(n3, (raft_msg){.type = MSG_HEARTBEAT, .from = 1, .to = 3, .term = raft_term(r), .commit = 2});
    CHECK(raft_commit_index(n3) == 2);
    for (int k = 0; k < 10 * E; k++) raft_tick(n3);
    CHECK(raft_role(n3) == RAFT_FOLLOWER && raft_term(n3) == raft_term(r));
    raft_free(n3);
    raft_free(r);
}

/* A configuration in force but not committed goes with the entry: a
 * truncated CONFIG entry gives way to the one before it (an earlier entry,
 * or the one the node started with). */
static void test_conf_truncation_reverts(void) {
    static const lent one[] = {C(1), CF(1, "1,2,3,4/learner")};
    raft_config c = config_conf(2, "1,2,3");
    raft *r = raft_new(&c, 1, 0, NULL, 0);
    send_typed(r, 1, 1, 0, 0, one, 2, 1);
    CHECK(conf_is(r, "1,2,3,4/learner") && raft_conf_index(r) == 2);
    uint64_t v = raft_conf_version(r);
    static const lent other[] = {C(2)};
    send_typed(r, 3, 2, 1, 1, other, 1, 1);  /* a new leader's entry at 2 */
    CHECK(raft_last_index(r) == 2 && raft_term_at(r, 2) == 2);
    CHECK(conf_is(r, "1,2,3") && raft_conf_index(r) == 0 && raft_conf_version(r) != v);
    raft_free(r);

    static const lent two[] = {C(1), CF(1, "1,2,3,4/learner"), CF(1, "1,2,3,4"), C(1)};
    r = raft_new(&c, 1, 0, NULL, 0);
    send_typed(r, 1, 1, 0, 0, two, 4, 2);
    CHECK(conf_is(r, "1,2,3,4") && raft_conf_index(r) == 3 && raft_commit_index(r) == 2);
    send_typed(r, 3, 2, 2, 1, other, 1, 2);  /* replaces 3 and 4 */
    CHECK(raft_last_index(r) == 3 && conf_is(r, "1,2,3,4/learner") && raft_conf_index(r) == 2);
    raft_free(r);

    /* a leader that finds a configuration in its log counts by it */
    r = make_typed(&c, 1, 0, 0, 1, two, 3);
    CHECK(conf_is(r, "1,2,3,4") && raft_is_voter(r, 4));
    raft_free(r);
}

/* An image carries its configuration (MSG_SNAPSHOT, entries[0]): a node
 * that knew nothing learns it, a log it keeps after the image still rules,
 * and the image's configuration is what a later truncation falls back to. */
static void test_conf_snapshot_install(void) {
    raft_config c = config_conf(4, "");
    raft *r = raft_new(&c, 0, 0, NULL, 0);
    CHECK(install_conf(r, 1, 2, 10, 2, "1,2,3,4/learner") == 2);
    CHECK(conf_is(r, "1,2,3,4/learner") && raft_conf_index(r) == 10 && raft_snapshot_index(r) == 10);
    for (int k = 0; k < 10 * E; k++) raft_tick(r);
    CHECK(raft_role(r) == RAFT_FOLLOWER && raft_term(r) == 2);
    static const lent promote[] = {CF(2, "1,2,3,4")};
    send_typed(r, 1, 2, 10, 2, promote, 1, 11);
    CHECK(conf_is(r, "1,2,3,4") && raft_conf_index(r) == 11 && raft_is_voter(r, 4));
    for (int k = 0; k < 4 * E && raft_role(r) == RAFT_FOLLOWER; k++) raft_tick(r);
    CHECK(raft_role(r) == RAFT_PRECANDIDATE);  /* now a voter */
    raft_free(r);

    /* the suffix after the image is kept: its configuration stays in force */
    static const lent lg[] = {C(1), C(1), CF(1, "1,2,3,4/learner"), C(1), C(1), C(1), CF(1, "1,2,3,4"), C(1)};
    c = config_conf(2, "1,2,3");
    r = raft_new(&c, 1, 0, NULL, 0);
    send_typed(r, 1, 1, 0, 0, lg, 8, 0);
    flush(r, NULL);
    CHECK(conf_is(r, "1,2,3,4") && raft_conf_index(r) == 7);
    CHECK(install_conf(r, 1, 1, 5, 1, "1,2,3,4/learner") == 1);
    CHECK(raft_snapshot_index(r) == 5 && raft_last_index(r) == 8 && conf_is(r, "1,2,3,4") && raft_conf_index(r) == 7);
    static const lent other[] = {C(2)};
    send_typed(r, 3, 2, 5, 1, other, 1, 5);  /* 6.. replaced: back to the image's configuration */
    CHECK(raft_last_index(r) == 6 && conf_is(r, "1,2,3,4/learner") && raft_conf_index(r) <= 5);
    raft_free(r);

    /* an image past the log: its configuration replaces the log's */
    r = raft_new(&c, 1, 0, NULL, 0);
    send_typed(r, 1, 1, 0, 0, lg, 8, 0);
    flush(r, NULL);
    CHECK(install_conf(r, 1, 2, 20, 2, "1,2,5") == 2);
    CHECK(raft_last_index(r) == 20 && conf_is(r, "1,2,5") && raft_conf_index(r) == 20);
    raft_free(r);
}

/* Compaction keeps the configuration at the snapshot point: the last
 * CONFIG entry compacted away, else the one before. A truncation after the
 * point falls back to it; a node restarted at the point starts with it
 * (the glue passes it) and the CONFIG entries of its log after it. */
static void test_conf_compaction_keeps_snap_conf(void) {
    static const lent other[] = {C(2)};
    /* compacted past a CONFIG entry: it is the point's configuration */
    static const lent lg[] = {C(1), CF(1, "1,2,3,4/learner"), C(1), CF(1, "1,2,3,4"), C(1)};
    raft_config c = config_conf(2, "1,2,3");
    raft *r = raft_new(&c, 1, 0, NULL, 0);
    send_typed(r, 1, 1, 0, 0, lg, 5, 3);
    flush(r, NULL);
    raft_compact(r, 3);
    CHECK(raft_snapshot_index(r) == 3 && conf_is(r, "1,2,3,4") && raft_conf_index(r) == 4);
    send_typed(r, 3, 2, 3, 1, other, 1, 3);  /* 4 and 5 replaced */
    CHECK(raft_last_index(r) == 4 && conf_is(r, "1,2,3,4/learner") && raft_conf_index(r) <= 3);
    raft_free(r);
    /* compacted short of it: the one before stays the point's */
    static const lent lg2[] = {C(1), C(1), CF(1, "1,2,3,4/learner"), C(1)};
    r = raft_new(&c, 1, 0, NULL, 0);
    send_typed(r, 1, 1, 0, 0, lg2, 4, 2);
    flush(r, NULL);
    raft_compact(r, 2);
    CHECK(raft_snapshot_index(r) == 2 && conf_is(r, "1,2,3,4/learner") && raft_conf_index(r) == 3);
    send_typed(r, 3, 2, 2, 1, other, 1, 2);
    CHECK(raft_last_index(r) == 3 && conf_is(r, "1,2,3") && raft_conf_index(r) <= 2);
    raft_free(r);

    /* a leader compacting past the configuration in force keeps it */
    raft *l = leader_conf("1,2,3", 3, 1);
    CHECK(change(l, RAFT_ADD_LEARNER, 4) > 0);
    flush(l, NULL);
    ack(l, 2, raft_last_index(l));
    flush(l, NULL);
    uint64_t ci = raft_conf_index(l);
    raft_propose(l, RAFT_ENTRY_COMMAND, "x", 1);
    flush(l, NULL);
    ack(l, 2, raft_last_index(l));
    flush(l, NULL);
    raft_compact(l, raft_last_index(l));
    CHECK(conf_is(l, "1,2,3,4/learner") && raft_conf_index(l) == ci && raft_snapshot_index(l) > ci);
    CHECK(change(l, RAFT_PROMOTE, 4) > 0 && conf_is(l, "1,2,3,4"));
    raft_free(l);

    /* restarted at the point with the configuration there, and a log after it */
    c = config_conf(2, "1,2,3,4/learner");
    static const lent tail[] = {C(1), CF(1, "1,2,3,4"), C(1)};
    r = make_typed(&c, 1, 3, 1, 3, tail, 3);  /* applied 3; the log 3..5 */
    CHECK(raft_snapshot_index(r) == 3 && conf_is(r, "1,2,3,4") && raft_conf_index(r) == 4);
    send_typed(r, 3, 2, 3, 1, other, 1, 3);
    CHECK(conf_is(r, "1,2,3,4/learner"));
    raft_free(r);
    r = make_typed(&c, 1, 3, 1, 4, NULL, 0);
    CHECK(conf_is(r, "1,2,3,4/learner") && raft_conf_index(r) == 3);
    raft_free(r);
}

/* Leadership transfer (3.10), the happy path: a caught-up target gets
 * TIMEOUT_NOW at once and wins the next term without waiting for a
 * timeout (its vote requests override the others' leader lease). */
static void test_transfer_happy_path(void) {
    net nw;
    net_init(&nw, 3);
    net_elect(&nw, 1);
    raft *l = nw.r[1];
    raft_propose(l, RAFT_ENTRY_COMMAND, "x", 1);
    net_run(&nw);
    uint64_t term = raft_term(l), last = raft_last_index(l);
    CHECK(raft_transfer_leader(l, 2) == 2 && raft_transferee(l) == 2);
    raft_tick(l);  /* TIMEOUT_NOW goes with the next tick */
    net_run(&nw);
    CHECK(the_leader(&nw) == 2 && raft_term(nw.r[2]) == term + 1);
    CHECK(raft_role(l) == RAFT_FOLLOWER && raft_leader(l) == 2 && raft_transferee(l) == 0);
    CHECK(raft_get_stats(l)->transfers == 1);
    CHECK(raft_get_stats(nw.r[2])->transfer_elections == 1 && raft_get_stats(nw.r[2])->timeout_elections == 0);
    CHECK(raft_get_stats(nw.r[3])->transfer_elections == 0 && raft_get_stats(nw.r[3])->timeout_elections == 0);
    CHECK(raft_commit_index(nw.r[2]) == last + 1);  /* its no-op */
    /* and back, to whoever is most up to date (0) */
    CHECK(raft_transfer_leader(nw.r[2], 0) != 0);
    raft_flush(nw.r[2]);  /* or at once */
    net_run(&nw);
    CHECK(the_leader(&nw) != 2 && the_leader(&nw) > 0 && raft_term(nw.r[the_leader(&nw)]) == term + 2);
    net_free(&nw);

    /* 0 picks the most up-to-date voter */
    raft *r = leader(3, 0, NULL, 0, 1);
    uint64_t i1 = raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1);
    flush(r, NULL);
    ack(r, 3, i1);
    flush(r, NULL);
    outq q = {0};
    CHECK(raft_transfer_leader(r, 0) == 3);
    flush(r, &q);
    CHECK(count(&q, MSG_TIMEOUT_NOW, 0) == 0 && raft_transfer_sent(r));  /* decided; goes with the tick */
    raft_tick(r);
    flush(r, &q);
    CHECK(count(&q, MSG_TIMEOUT_NOW, 3) == 1 && count(&q, MSG_TIMEOUT_NOW, 2) == 0);
    outq_free(&q);
    raft_free(r);
    /* ...among those heard from in this check-quorum period: a voter gone
     * quiet (down, say) would never get its TIMEOUT_NOW */
    r = leader(3, 0, NULL, 0, 1);
    i1 = raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1);
    flush(r, NULL);
    ack(r, 3, i1);  /* 3 is the most up to date... */
    for (int i = 0; i < E; i++) raft_tick(r);  /* ...the period ends: both count as heard lately */
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 2, .to = 1, .term = raft_term(r)});  /* only 2 answers */
    flush(r, NULL);
    CHECK(raft_role(r) == RAFT_LEADER && raft_transfer_leader(r, 0) == 3);
    for (int i = 0; i < E; i++) raft_tick(r);  /* the transfer gives up; another period ends: 3 quiet for two */
    step(r, (raft_msg){.type = MSG_HEARTBEAT_RESP, .from = 2, .to = 1, .term = raft_term(r)});
    flush(r, NULL);
    CHECK(raft_role(r) == RAFT_LEADER && raft_transfer_leader(r, 0) == 2);
    raft_free(r);
}

/* A lagging target is caught up first: TIMEOUT_NOW goes (once, with the
 * next tick) when its log matches the leader's; meanwhile proposals and
 * changes are refused. */
static void test_transfer_lagging_target(void) {
    raft *r = leader(3, 0, NULL, 0, 1);
    for (int i = 0; i < 3; i++) raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1);
    flush(r, NULL);
    uint64_t last = raft_last_index(r);
    ack(r, 3, last);
    flush(r, NULL);
    outq q = {0};
    CHECK(raft_transfer_leader(r, 2) == 2);
    flush(r, &q);
    CHECK(count(&q, MSG_TIMEOUT_NOW, 0) == 0);
    outq_clear(&q);
    CHECK(raft_propose(r, RAFT_ENTRY_COMMAND, "y", 1) == 0 && raft_last_index(r) == last);
    CHECK(change(r, RAFT_ADD_LEARNER, 4) == RAFT_CONF_BUSY);
    ack(r, 2, last - 1);
    flush(r, &q);
    CHECK(count(&q, MSG_TIMEOUT_NOW, 0) == 0);
    CHECK(!raft_transfer_sent(r));
    ack(r, 2, last);
    raft_tick(r);
    flush(r, &q);
    CHECK(count(&q, MSG_TIMEOUT_NOW, 2) == 1 && count(&q, MSG_TIMEOUT_NOW, 0) == 1);
    ack(r, 2, last);
    hb_resp(r, 2);
    raft_tick(r);
    flush(r, &q);
    CHECK(count(&q, MSG_TIMEOUT_NOW, 0) == 1);  /* not again */
    CHECK(raft_role(r) == RAFT_LEADER);  /* until the target's vote request arrives */
    step(r, (raft_msg){.type = MSG_VOTE, .from = 2, .to = 1, .term = raft_term(r) + 1, .index = last,
                       .log_term = raft_term(r), .context = 1});
    CHECK(raft_role(r) == RAFT_FOLLOWER && raft_transferee(r) == 0);
    outq_clear(&q);
    flush(r, &q);
    const qmsg *v = find(&q, MSG_VOTE_RESP, 2);
    CHECK(v && !v->m.reject);
    outq_free(&q);
    raft_free(r);
}

/* A transfer that does not complete within an election timeout is given
 * up: the leader takes proposals and changes again. */
static void test_transfer_timeout(void) {
    raft *r = leader(3, 0, NULL, 0, 1);
    uint64_t i1 = raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1);
    flush(r, NULL);
    ack(r, 3, i1);
    flush(r, NULL);
    CHECK(raft_transfer_leader(r, 2) == 2);
    for (int k = 0; k < E - 1; k++) {
        raft_tick(r);
        hb_resp(r, 2);
        hb_resp(r, 3);
        flush(r, NULL);
        CHECK(raft_transferee(r) == 2 && raft_propose(r, RAFT_ENTRY_COMMAND, "y", 1) == 0);
    }
    raft_tick(r);
    CHECK(raft_transferee(r) == 0 && raft_role(r) == RAFT_LEADER);
    uint64_t i2 = raft_propose(r, RAFT_ENTRY_COMMAND, "z", 1);
    CHECK(i2 == i1 + 1);
    flush(r, NULL);
    ack(r, 3, i2);
    flush(r, NULL);
    CHECK(raft_commit_index(r) == i2 && change(r, RAFT_ADD_LEARNER, 4) > 0);
    raft_free(r);
}

/* Transfers that cannot be: to itself, a learner, a stranger, from a
 * follower, or with no other voter. */
static void test_transfer_refused(void) {
    raft *r = leader_conf("1,2,3,4/learner", 4, 1);
    CHECK(raft_transfer_leader(r, 1) == 0 && raft_transfer_leader(r, 4) == 0 && raft_transfer_leader(r, 9) == 0);
    CHECK(raft_transferee(r) == 0 && raft_get_stats(r)->transfers == 0);
    CHECK(raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1) > 0);
    raft_free(r);
    r = mk(2, 3, 1, NULL, 0);
    CHECK(raft_transfer_leader(r, 3) == 0 && raft_transfer_leader(r, 0) == 0);
    raft_free(r);
    r = leader_conf("1,2/learner", 2, 1);
    CHECK(raft_transfer_leader(r, 0) == 0);
    raft_free(r);
}

/* A node with an empty configuration (a new machine) never campaigns but
 * takes entries from a leader (any node id is served) and learns its
 * configuration from them. */
static void test_conf_empty_node(void) {
    raft_config c = config_conf(4, "");
    raft *r = raft_new(&c, 0, 0, NULL, 0);
    CHECK(raft_members(r)->n == 0);
    outq q = {0};
    for (int k = 0; k < 10 * E; k++) raft_tick(r);
    raft_campaign(r);
    flushed f = flush(r, &q);
    CHECK(raft_role(r) == RAFT_FOLLOWER && raft_term(r) == 0 && q.n == 0 && !f.hard_state_changed);
    static const lent lg[] = {C(1), C(1), CF(2, "1,2,3,4/learner")};
    send_typed(r, 1, 2, 0, 0, lg, 3, 3);
    f = flush(r, &q);
    const qmsg *m = find(&q, MSG_APPEND_RESP, 1);
    CHECK(m && !m->m.reject && m->m.index == 3 && raft_leader(r) == 1);
    CHECK(f.ncommitted == 3 && conf_is(r, "1,2,3,4/learner"));
    outq_clear(&q);
    for (int k = 0; k < 10 * E; k++) raft_tick(r);
    step(r, (raft_msg){.type = MSG_TIMEOUT_NOW, .from = 1, .to = 4, .term = 2});
    flush(r, &q);
    CHECK(raft_role(r) == RAFT_FOLLOWER && raft_term(r) == 2 && q.n == 0);
    outq_free(&q);
    raft_free(r);
}

/* The refusals, none of which appends anything. */
static void test_conf_codes(void) {
    raft *r = leader_conf("1", 1, 1);
    CHECK(raft_role(r) == RAFT_LEADER && raft_commit_index(r) == 1);
    CHECK(change(r, RAFT_REMOVE, 1) == RAFT_CONF_LAST_VOTER);
    CHECK(change(r, RAFT_REMOVE, 9) == RAFT_CONF_UNKNOWN);
    CHECK(change(r, RAFT_PROMOTE, 9) == RAFT_CONF_UNKNOWN);
    CHECK(change(r, RAFT_PROMOTE, 1) == RAFT_CONF_NOT_LEARNER);
    CHECK(change(r, RAFT_ADD_LEARNER, 1) == RAFT_CONF_EXISTS);
    CHECK(raft_last_index(r) == 1 && raft_get_stats(r)->conf_changes == 0);
    raft_free(r);

    r = leader_conf("1,2/learner", 2, 1);
    CHECK(change(r, RAFT_REMOVE, 1) == RAFT_CONF_LAST_VOTER);
    CHECK(change(r, RAFT_ADD_LEARNER, 2) == RAFT_CONF_EXISTS);
    CHECK(change(r, RAFT_REMOVE, 2) == 2 && conf_is(r, "1,-2"));  /* a learner may go */
    raft_free(r);

    r = leader_conf("1,2,3,4,5,6,7", 7, 1);
    CHECK(raft_commit_index(r) == 1);
    CHECK(change(r, RAFT_ADD_LEARNER, 8) == RAFT_CONF_FULL);
    CHECK(change(r, RAFT_PROMOTE, 7) == RAFT_CONF_NOT_LEARNER);
    CHECK(raft_last_index(r) == 1);
    raft_free(r);

    r = leader_conf("1,2,3,4,5,6,7/learner", 7, 1);  /* seven members: a learner counts, it is to vote */
    CHECK(change(r, RAFT_ADD_LEARNER, 8) == RAFT_CONF_FULL);
    CHECK(raft_last_index(r) == 1);
    CHECK(change(r, RAFT_PROMOTE, 7) == 2 && conf_is(r, "1,2,3,4,5,6,7"));
    raft_free(r);

    r = leader_conf("1,2,3,4,5,6,7,8/learner", 8, 1);  /* seven voters already */
    CHECK(change(r, RAFT_PROMOTE, 8) == RAFT_CONF_FULL);
    CHECK(raft_last_index(r) == 1);
    raft_free(r);
}

/* 4.2.2: a leader that removed itself from two voters, cut off from the
 * other before the change committed, steps down (check-quorum). It alone
 * holds the change, so the other cannot win without its vote, which its
 * longer log refuses: it must campaign itself, without counting its own
 * vote, commit the change and hand over. Once it knows the change
 * committed it never campaigns; nor does a learner whose removal is
 * pending, nor a node that was never a voter. */
static void test_conf_removed_leader_campaigns_until_committed(void) {
    raft *r = leader(2, 0, NULL, 0, 1);
    uint64_t i1 = raft_propose(r, RAFT_ENTRY_COMMAND, "x", 1);
    flush(r, NULL);
    int64_t idx = change(r, RAFT_REMOVE, 1);
    CHECK(idx == (int64_t)i1 + 1 && conf_is(r, "2,-1"));
    flush(r, NULL);
    for (int k = 0; k < 3 * E && raft_role(r) == RAFT_LEADER; k++) raft_tick(r);
    CHECK(raft_role(r) == RAFT_FOLLOWER);
    uint64_t term = raft_term(r);
    /* 2 asks with its shorter log: refused */
    step(r, (raft_msg){.type = MSG_PREVOTE, .from = 2, .to = 1, .term = term + 1, .index = i1 - 1, .log_term = term});
    outq q = {0};
    flush(r, &q);
    const qmsg *m = find(&q, MSG_PREVOTE_RESP, 2);
    CHECK(m && m->m.reject);
    outq_clear(&q);
    for (int k = 0; k < 4 * E && raft_role(r) == RAFT_FOLLOWER; k++) raft_tick(r);
    CHECKMSG(raft_role(r) == RAFT_PRECANDIDATE, "the only holder of its own removal does not campaign");
    flush(r, &q);
    CHECK(count(&q, MSG_PREVOTE, 2) == 1 && count(&q, MSG_PREVOTE, 1) == 0);
    outq_clear(&q);
    step(r, (raft_msg){.type = MSG_PREVOTE_RESP, .from = 2, .to = 1, .term = term + 1});
    CHECK(raft_role(r) == RAFT_CANDIDATE);  /* its own vote does not count: 2's is the quorum */
    flush(r, &q);
    CHECK(count(&q, MSG_VOTE, 2) == 1);
    outq_clear(&q);
    step(r, (raft_msg){.type = MSG_VOTE_RESP, .from = 2, .to = 1, .term = term + 1});
    CHECK(raft_role(r) == RAFT_LEADER && raft_term(r) == term + 1);
    flush(r, &q);
    outq_clear(&q);
    ack(r, 2, raft_last_index(r));
    raft_tick(r);
    flush(r, &q);
    CHECK(raft_commit_index(r) == raft_last_index(r) && raft_role(r) == RAFT_FOLLOWER);
    CHECK(count(&q, MSG_TIMEOUT_NOW, 2) == 1);
    outq_clear(&q);
    for (int k = 0; k < 10 * E; k++) raft_tick(r);
    flush(r, &q);
    CHECK(raft_role(r) == RAFT_FOLLOWER && raft_term(r) == term + 1 && count(&q, MSG_PREVOTE, 0) == 0);
    outq_free(&q);
    raft_free(r);

    /* at the point 1 the configuration was "1,2,3,4/learner"; the
     * uncommitted entry 2 removes 4 (a learner): 4 does not campaign, nor
     * does 5 (never a member); 3, a voter that 2 would remove, does */
    static const lent rm4[] = {CF(1, "1,2,3")}, rm3[] = {CF(1, "1,2,4/learner")};
    static const struct { uint64_t id; const lent *l; int campaigns; } tab[] = {{4, rm4, 0}, {5, rm4, 0}, {3, rm3, 1}};
    for (size_t k = 0; k < 3; k++) {
        raft_config c = config_conf(tab[k].id, "1,2,3,4/learner");
        r = make_typed(&c, 1, 1, 1, 2, tab[k].l, 1);
        CHECK(raft_conf_index(r) == 2 && raft_commit_index(r) == 1 && !raft_is_voter(r, tab[k].id));
        for (int t = 0; t < 10 * E && raft_role(r) == RAFT_FOLLOWER; t++) raft_tick(r);
        CHECKMSG((raft_role(r) != RAFT_FOLLOWER) == tab[k].campaigns, "node %llu: role %d",
                 (unsigned long long)tab[k].id, raft_role(r));
        raft_free(r);
    }
}

/* A cluster of one leads at once on its own vote, before that vote is on
 * disk. Until it is (with the no-op, in the same write) it sends nothing as
 * leader: crashed before that, it may vote again in the same term, and what
 * it had sent (to learners, departing members) would meet another leader's
 * entries of the same term. Found by the simulation (seed 1180 before the
 * fix: two leaders of term 5). */
static void test_single_voter_leads_silently_until_durable(void) {
    raft_config c = config_conf(1, "1,2/learner");
    raft *r = raft_new(&c, 4, 0, NULL, 0);
    raft_campaign(r);
    CHECK(raft_role(r) == RAFT_LEADER && raft_term(r) == 5);
    raft_tick(r);
    raft_tick(r);
    raft_ready rd;
    raft_ready_get(r, &rd);
    CHECK(rd.hard_state_changed && rd.term == 5 && rd.vote == 1 && rd.nentries == 1);
    int leaderish = 0;
    for (size_t i = 0; i < rd.nmsgs; i++) leaderish += rd.msgs[i].type == MSG_APPEND || rd.msgs[i].type == MSG_HEARTBEAT;
    for (size_t i = 0; i < rd.nmsgs_after; i++)
        leaderish += rd.msgs_after[i].type == MSG_APPEND || rd.msgs_after[i].type == MSG_HEARTBEAT;
    CHECKMSG(leaderish == 0, "%d leader messages before its vote is durable", leaderish);
    uint64_t noop = rd.entries[0].index, nterm = rd.entries[0].term;
    raft_persisted(r, noop, nterm);  /* the write with the vote and the no-op landed */
    outq q = {0};
    flush(r, &q);
    CHECK(raft_commit_index(r) == noop);
    const qmsg *m = find(&q, MSG_APPEND, 2);
    CHECK(m && !m->after && m->m.term == 5);
    outq_free(&q);
    raft_free(r);
}

/* ... however long that write takes. Its append to the learner, never
 * sent, went unanswered for an election timeout, so it probed again from
 * the learner's match: behind its compacted log, that asked the glue for a
 * snapshot transfer, sent as leader of the new term before the vote was
 * durable. Found by the simulation with stalled disks (seed 506 of the
 * version that added them). */
static void test_single_voter_silent_through_a_slow_write(void) {
    raft_config c = config_conf(1, "1,2/learner");
    raft_entry img = {.term = 4, .index = 10, .type = RAFT_ENTRY_NOOP, .data = NULL, .len = 0};
    raft *r = raft_new_at(&c, 4, 1, 10, 4, &img, 1);  /* compacted up to 10 */
    raft_campaign(r);
    CHECK(raft_role(r) == RAFT_LEADER && raft_term(r) == 5);
    int leaderish = 0;
    uint64_t noop = 0, nterm = 0;
    for (int t = 0; t < 3 * E; t++) {
        raft_tick(r);
        raft_ready rd;
        raft_ready_get(r, &rd);
        if (rd.nentries) { noop = rd.entries[0].index; nterm = rd.entries[0].term; }
        for (size_t i = 0; i < rd.nmsgs; i++)
            leaderish += rd.msgs[i].type == MSG_APPEND || rd.msgs[i].type == MSG_HEARTBEAT || rd.msgs[i].type == MSG_SNAPSHOT;
        for (size_t i = 0; i < rd.nmsgs_after; i++)
            leaderish += rd.msgs_after[i].type == MSG_APPEND || rd.msgs_after[i].type == MSG_HEARTBEAT ||
                         rd.msgs_after[i].type == MSG_SNAPSHOT;
    }
    CHECKMSG(leaderish == 0, "%d leader messages in %d ticks before its vote is durable", leaderish, 3 * E);
    CHECK(noop == 11 && nterm == 5);
    raft_persisted(r, noop, nterm);  /* the write landed at last: now it leads */
    outq q = {0};
    flush(r, &q);
    CHECK(raft_role(r) == RAFT_LEADER && raft_commit_index(r) == noop);
    const qmsg *m = find(&q, MSG_APPEND, 2);
    CHECK(m && m->m.term == 5 && m->m.index == 10);
    outq_free(&q);
    raft_free(r);
}

/* 6.4 with the leader outside its configuration: a leader that removed
 * itself from four voters leads three (quorum two) until that commits, but
 * a read vouched by one follower is no proof there: the other two may
 * already have elected a leader of the new configuration between
 * themselves. The vouched read needs the leader to be a voter. */
static void test_read_index_vouched_needs_voting_leader(void) {
    raft *r = leader(4, 0, NULL, 0, 1);
    uint64_t ri = 0;
    CHECK(raft_read_index_vouched(r, 2, raft_term(r), &ri) == 0);  /* quorum 3 */
    CHECK(change(r, RAFT_REMOVE, 1) > 0 && conf_is(r, "2,3,4,-1") && raft_role(r) == RAFT_LEADER);
    CHECKMSG(raft_read_index_vouched(r, 2, raft_term(r), &ri) == 0,
             "a leader outside its configuration vouched for a read with one follower");
    raft_free(r);
    r = leader(4, 0, NULL, 0, 1);
    CHECK(change(r, RAFT_REMOVE, 4) > 0 && conf_is(r, "1,2,3,-4"));
    CHECK(raft_read_index_vouched(r, 2, raft_term(r), &ri) == 1);  /* a voter of three: still fine */
    raft_free(r);
}

/* The configuration text carries retired ids ("-5") after the members,
 * sorted; a member cannot be retired too; removing retires. */
static void test_members_retired_text(void) {
    members ms;
    char err[160];
    CHECK(members_parse("3/learner,-5,1=h:7001@7002,-2", 29, &ms, err, sizeof(err)) == 0);
    buf b = {0};
    members_format(&ms, &b);
    CHECKMSG(b.len == 29 && !memcmp(b.data, "1=h:7001@7002,3/learner,-2,-5", 29), "%.*s", (int)b.len, b.data);
    CHECK(members_is_retired(&ms, 2) && members_is_retired(&ms, 5) && !members_is_retired(&ms, 3));
    CHECK(members_retire(&ms, 3) == 0 && members_remove(&ms, 3) == 0 && members_is_retired(&ms, 3) && ms.nretired == 3);
    b.len = 0;
    members_format(&ms, &b);
    CHECKMSG(b.len == 22 && !memcmp(b.data, "1=h:7001@7002,-2,-3,-5", 22), "%.*s", (int)b.len, b.data);
    buf_free(&b);
    CHECK(members_parse("-4", 2, &ms, err, sizeof(err)) == 0 && ms.n == 0 && ms.nretired == 1);
    CHECK(members_parse("1,-1", 4, &ms, err, sizeof(err)) < 0 && strstr(err, "both a member and retired"));
    CHECK(members_parse("1,-2,-2", 7, &ms, err, sizeof(err)) < 0);
    CHECK(members_parse("1,-0", 4, &ms, err, sizeof(err)) < 0);
    CHECK(members_parse("1,-x", 4, &ms, err, sizeof(err)) < 0);
}

int main(void) {
    /* the paper */
    test_follower_update_term_from_message();
    test_reject_stale_term_message();
    test_start_as_follower();
    test_leader_bcast_beat();
    test_streaming_from_leader();
    test_nonleader_start_election();
    test_leader_election_in_one_round_rpc();
    test_follower_vote();
    test_candidate_fallback();
    test_election_timeout_randomized();
    test_leader_start_replication();
    test_leader_commit_entry();
    test_leader_acknowledge_commit();
    test_leader_commit_preceding_entries();
    test_follower_commit_entry();
    test_follower_check_append();
    test_follower_append_entries();
    test_leader_sync_follower_log();
    test_vote_request();
    test_voter();
    test_leader_only_commits_log_from_current_term();
    /* extensions */
    test_prevote_partitioned_node_rejoins_without_new_term();
    test_prevote_does_not_change_term_or_vote();
    test_check_quorum_leader_steps_down();
    test_leader_lease_ignores_vote();
    test_leader_appends_noop_on_election();
    test_read_index_confirmed_by_quorum();
    test_read_index_not_on_nonleader();
    test_read_index_vouched();
    test_read_index_lease();
    test_boot_quiet();
    test_heard_leader_survives_term_change();
    test_read_index_new_term_new_round();
    test_fast_backoff_follower_hint();
    test_fast_backoff_leader_skips_term();
    test_inflight_window();
    test_persist_messages_after_durable_state();
    test_persist_hard_state_before_vote();
    test_persist_commit_only_durable();
    test_campaign_at_once();
    test_lost_appends_reprobe();
    test_max_msg_bytes();
    test_append_messages_survive_later_calls();
    /* log compaction and snapshots */
    test_new_at_snapshot_point();
    test_entry_cache();
    test_start_without_data();
    test_compact();
    test_leader_requests_snapshot();
    test_snapshot_sent_resumes_replication();
    test_snapshot_failed_asks_again();
    test_heartbeat_shows_image_landed();
    test_snapshot_failed_waits_for_answer();
    test_snapshot_wait_ignores_older_rejects();
    test_follower_install_snapshot_discards_log();
    test_follower_install_snapshot_keeps_suffix();
    test_install_snapshot_drops_unsent_acks();
    test_install_snapshot_refused();
    test_install_snapshot_newer_term();
    test_reject_below_snapshot_asks_snapshot();
    /* membership changes and leadership transfer */
    test_conf_add_learner_auto_promote();
    test_conf_learners_do_not_count();
    test_conf_one_at_a_time();
    test_conf_own_term_rule();
    test_conf_remove_follower();
    test_conf_remove_leader();
    test_conf_departing_told_then_dropped();
    test_conf_readd_departing_fresh();
    test_members_retired_text();
    test_conf_truncation_reverts();
    test_conf_snapshot_install();
    test_conf_compaction_keeps_snap_conf();
    test_conf_empty_node();
    test_conf_codes();
    test_conf_removed_leader_campaigns_until_committed();
    test_single_voter_leads_silently_until_durable();
    test_single_voter_silent_through_a_slow_write();
    test_read_index_vouched_needs_voting_leader();
    test_transfer_happy_path();
    test_transfer_lagging_target();
    test_transfer_timeout();
    test_transfer_refused();
    return test_summary("raft");
}
