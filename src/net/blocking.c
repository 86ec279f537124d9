#include "blocking.h"
#include "node.h"
#include "server.h"
#include "writes.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Where a blocking slot is besides its client's list. */
enum { BQ_NONE, BQ_BLOCKED, BQ_APPLIED, BQ_SENT };

static slot *head, *tail;        /* blocked, in the order they first blocked (bseq) */
static slot *sent;               /* proposed again, their entries on the way (bnext, bprev) */
static slot *applied;            /* entries applied, their outcome to look at (qnext) */
static uint64_t next_seq;
static long long nclients, nproposed;  /* slots of blocking commands; of those proposed here */

/* Each key a blocked client waits on, with those clients in the order
 * they blocked; the keys written since the last look that some client
 * waits on are "ready" (in the order written). A chained table. */
typedef struct waitkey {
    struct waitkey *next;          /* its bucket's */
    struct waitkey *rnext, *rprev; /* the ready ones', in the order they became ready */
    uint64_t hash;
    char *key;
    size_t len;
    slot **v;                      /* blocked on it, by bseq: v[off..n) */
    size_t off, n, cap;
    int ready;
} waitkey;
static waitkey **buckets, *ready_head, *ready_last;
static size_t nbuckets, nkeys;
static buf written;              /* keys written by applied entries, not yet looked at */

static waitkey **bucket_of(uint64_t h) { return &buckets[h & (nbuckets - 1)]; }

static waitkey *key_find(const char *k, size_t len, uint64_t h) {
    if (!nbuckets) return NULL;
    for (waitkey *w = *bucket_of(h); w; w = w->next)
        if (w->hash == h && w->len == len && !memcmp(w->key, k, len)) return w;
    return NULL;
}

static void grow(void) {
    size_t n = nbuckets ? nbuckets * 2 : 64;
    waitkey **b = xmalloc(sizeof(waitkey *) * n);
    memset(b, 0, sizeof(waitkey *) * n);
    for (size_t i = 0; i < nbuckets; i++)
        for (waitkey *w = buckets[i], *next; w; w = next) {
            next = w->next;
            w->next = b[w->hash & (n - 1)];
            b[w->hash & (n - 1)] = w;
        }
    free(buckets);
    buckets = b;
    nbuckets = n;
}

/* s waits on key: in the key's list, in bseq order. */
static void key_add(const rstr *key, slot *s) {
    uint64_t h = store_key_hash(key->p, key->len);
    waitkey *w = key_find(key->p, key->len, h);
    if (!w) {
        if (nkeys >= nbuckets) grow();
        w = xmalloc(sizeof(*w));
        memset(w, 0, sizeof(*w));
        w->hash = h;
        w->key = xstrndup(key->p, key->len);
        w->len = key->len;
        w->next = *bucket_of(h);
        *bucket_of(h) = w;
        nkeys++;
    }
    if (w->off && w->n == w->cap) {  /* room at the front first */
        memmove(w->v, w->v + w->off, sizeof(slot *) * (w->n - w->off));
        w->n -= w->off;
        w->off = 0;
    }
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4;
        w->v = xrealloc(w->v, sizeof(slot *) * w->cap);
    }
    size_t at = w->n;
    while (at > w->off && w->v[at - 1]->bseq > s->bseq) at--;
    if (at > w->off && w->v[at - 1] == s) return;  /* a key named twice */
    memmove(w->v + at + 1, w->v + at, sizeof(slot *) * (w->n - at));
    w->v[at] = s;
    w->n++;
}

static void unready(waitkey *w) {
    if (!w->ready) return;
    if (w->rprev) w->rprev->rnext = w->rnext; else ready_head = w->rnext;
    if (w->rnext) w->rnext->rprev = w->rprev; else ready_last = w->rprev;
    w->rnext = w->rprev = NULL;
    w->ready = 0;
}

static void key_drop(waitkey *w) {
    unready(w);
    for (waitkey **p = bucket_of(w->hash); *p; p = &(*p)->next)
        if (*p == w) { *p = w->next; break; }
    nkeys--;
    free(w->key);
    free(w->v);
    free(w);
}

static void key_remove(const rstr *key, slot *s) {
    waitkey *w = key_find(key->p, key->len, store_key_hash(key->p, key->len));
    if (!w) return;
    if (w->off < w->n && w->v[w->off] == s) {
        w->off++;  /* the first: served, most often */
    } else {
        for (size_t i = w->off; i < w->n; i++)
            if (w->v[i] == s) {
                memmove(w->v + i, w->v + i + 1, sizeof(slot *) * (w->n - i - 1));
                w->n--;
                break;
            }
    }
    if (w->off == w->n) key_drop(w);
}

static void mark_ready(waitkey *w) {
    if (w->ready) return;
    w->ready = 1;
    w->rnext = NULL;
    w->rprev = ready_last;
    if (ready_last) ready_last->rnext = w; else ready_head = w;
    ready_last = w;
}

/* The keys of s's command (blocking.h: cmd_block_spec). */
static void keys_of(const slot *s, int *from, int *n, long long *count) {
    long long ms;
    cmd_block_spec(s->argc, s->argv, from, n, &ms, count);
}

static double timeout_of(int argc, rstr *argv) {
    int from, n;
    long long ms = 0, count;
    cmd_block_spec(argc, argv, &from, &n, &ms, &count);
    return ms ? (double)ms / 1000.0 : INFINITY;
}

void blocking_propose(client *c, int argc, rstr *argv) {
    if (!nproposed++) node_track_written(1);  /* before the entry: every write after it is noted */
    slot *s = writes_propose(c, argc, argv, 0);
    s->blocking = 1;
    s->proposed = 1;
    s->bseq = ++next_seq;
    s->block_deadline = server_now() + timeout_of(argc, argv);
    s->argc = argc;
    s->argv = xmalloc(sizeof(rstr) * (size_t)argc);
    for (int i = 0; i < argc; i++) {
        s->argv[i].p = xmalloc(argv[i].len + 1);
        memcpy(s->argv[i].p, argv[i].p, argv[i].len);
        s->argv[i].p[argv[i].len] = '\0';
        s->argv[i].len = argv[i].len;
    }
    c->blocking++;
    nclients++;
}

void blocking_forwarded(client *c, int argc, rstr *argv) {
    slot *s = c->stail;
    s->blocking = 1;
    s->deadline += timeout_of(argc, argv);
    c->blocking++;
    nclients++;
}

int blocking_holds(const client *c) {
    if (!c->blocking) return 0;
    for (const slot *s = c->shead; s; s = s->next)
        if (s->blocking && s->state != SLOT_DONE) return 1;
    return 0;
}

void blocking_gone(slot *s) {
    if (!s->blocking) return;
    blocking_detach(s);  /* a slot answered by the writes path (an error) may still be listed as sent */
    nclients--;
    if (s->c) s->c->blocking--;
    if (s->proposed && !--nproposed) node_track_written(0);
}

long long blocking_clients(void) { return nclients; }

/* ---- the queue, in bseq order ---- */

static void unlink_blocked(slot *s) {
    if (s->bprev) s->bprev->bnext = s->bnext; else head = s->bnext;
    if (s->bnext) s->bnext->bprev = s->bprev; else tail = s->bprev;
    s->bprev = s->bnext = NULL;
    s->bq = BQ_NONE;
    int from, n;
    long long count;
    keys_of(s, &from, &n, &count);
    for (int k = 0; k < n; k++) key_remove(&s->argv[from + k], s);
}

/* s's entry is no longer on its way: what it claimed of its key is
 * free again (it popped it, or popped another key, or never will), so the
 * key is looked at again in this pass, for the clients after it. */
static void unlink_sent(slot *s) {
    if (s->bprev) s->bprev->bnext = s->bnext; else sent = s->bnext;
    if (s->bnext) s->bnext->bprev = s->bprev;
    s->bprev = s->bnext = NULL;
    s->bq = BQ_NONE;
    if (s->bclaim > 0) {
        buf_put_u32(&written, (uint32_t)s->bkey.len);
        buf_append(&written, s->bkey.p, s->bkey.len);
    }
    s->bclaim = 0;
}

static void link_sent(slot *s) {
    s->bprev = NULL;
    s->bnext = sent;
    if (sent) sent->bprev = s;
    sent = s;
    s->bq = BQ_SENT;
}

/* s blocks (again), back in its place, waiting on its keys. */
static void enqueue(slot *s) {
    slot *after = tail;
    while (after && after->bseq > s->bseq) after = after->bprev;  /* back in its old place */
    s->bprev = after;
    s->bnext = after ? after->bnext : head;
    if (s->bnext) s->bnext->bprev = s; else tail = s;
    if (after) after->bnext = s; else head = s;
    s->bq = BQ_BLOCKED;
    s->state = SLOT_BLOCKED;
    s->deadline = s->block_deadline;
    int from, n;
    long long count;
    keys_of(s, &from, &n, &count);
    for (int k = 0; k < n; k++) key_add(&s->argv[from + k], s);
}

void blocking_applied(slot *s) {
    if (s->bq == BQ_SENT) unlink_sent(s);
    s->state = SLOT_BLOCKED;
    s->deadline = INFINITY;  /* its outcome is looked at first (outcomes), never timed out unseen */
    s->bq = BQ_APPLIED;
    s->qnext = applied;
    applied = s;
}

void blocking_detach(slot *s) {
    if (s->bq == BQ_BLOCKED) unlink_blocked(s);
    if (s->bq == BQ_APPLIED) slot_unqueue(&applied, s);
    if (s->bq == BQ_SENT) unlink_sent(s);
    s->bq = BQ_NONE;
}

static void answer(slot *s, const char *reply) {
    if (reply) {
        s->reply.len = s->reply.pos = 0;
        buf_appendstr(&s->reply, reply);
    }
    slot_done(s);
}

void blocking_timeout(slot *s) {
    if (s->bq != BQ_BLOCKED) return;  /* an outcome not yet looked at decides */
    blocking_detach(s);
    answer(s, "*-1\r\n");
}

void blocking_leader_changed(void) {
    while (head) slot_fail(head, ERR_NOT_APPLIED);
}

/* What the entries just applied did: popped (or failed: answered), or
 * found nothing (blocked again, unless its time is up or this node no
 * longer leads). */
static void outcomes(void) {
    while (applied) {
        slot *s = applied;
        applied = s->qnext;
        s->qnext = NULL;
        s->bq = BQ_NONE;
        if (buf_unread(&s->reply)) answer(s, NULL);
        else if (!node_is_leader()) answer(s, "-" ERR_NOT_APPLIED "\r\n");
        else if (server_now() >= s->block_deadline) answer(s, "*-1\r\n");
        else enqueue(s);
    }
}

void blocking_written(const char *keys, size_t len) {
    if (nkeys || applied) buf_append(&written, keys, len);  /* else nobody waits: nothing to look at */
}

/* The keys written since the last look that clients wait on, ready. */
static void note_ready(void) {
    for (size_t at = 0; at + 4 <= written.len;) {
        uint32_t n = get_u32(written.data + at);
        waitkey *w = key_find(written.data + at + 4, n, store_key_hash(written.data + at + 4, n));
        if (w) mark_ready(w);
        at += 4 + n;
    }
    written.len = written.pos = 0;
    if (written.cap > (1u << 20)) buf_free(&written);
}

/* The type of value s's command pops: BZPOPMIN, BZPOPMAX and BZMPOP a
 * sorted set's members, the others a list's elements. */
static int pops_type(const slot *s) {
    return s->argv[0].len >= 2 && (s->argv[0].p[0] | 0x20) == 'b' && (s->argv[0].p[1] | 0x20) == 'z' ? STORE_ZSET
                                                                                                     : STORE_LIST;
}

/* What key can give now to the clients that pop its type (*type; 0: none
 * to give): its length, less what entries on their way will take. */
static long long available(store *rd, const waitkey *w, int *type) {
    sval v;
    long long len = 0;
    *type = 0;
    if (store_get_head(rd, w->key, w->len, &v) && (v.type == STORE_LIST || v.type == STORE_ZSET) && v.len >= STORE_CID + 8 &&
        !(v.expire && node_time() > v.expire)) {
        len = (long long)get_u64(v.p + STORE_CID);
        *type = v.type;
    }
    sval_free(&v);
    for (slot *s = sent; s; s = s->bnext)
        if (s->bkey.len == w->len && !memcmp(s->bkey.p, w->key, w->len)) len -= s->bclaim;
    return len;
}

/* Proposes s again, narrowed to the one key it is served from, claiming up
 * to count of what key gives; 0 (s blocked as it was) when the node takes
 * no proposal now. Narrowed, its entry pops that key or nothing: a client
 * waiting on a and b, served by a push to b, pops b even if a was filled
 * meanwhile (another client waiting on a is served a's), and a key before
 * it holding a value of another type answers no WRONGTYPE, as in Redis. */
static int send_again(slot *s, const char *key, size_t len, long long *left, int from, int n, long long count) {
    int at = 0;
    for (int k = from; k < from + n && !at; k++)  /* the key, as its command names it (keys_of: from, n) */
        if (s->argv[k].len == len && !memcmp(s->argv[k].p, key, len)) at = k;
    if (!at) return 0;
    rstr *one = xmalloc(sizeof(rstr) * (size_t)(s->argc - n + 1));
    int m = 0;
    for (int k = 0; k < from; k++) one[m++] = s->argv[k];
    if (from == 3) one[2] = (rstr){"1", 1};  /* BLMPOP and BZMPOP: numkeys */
    one[m++] = s->argv[at];
    for (int k = from + n; k < s->argc; k++) one[m++] = s->argv[k];
    s->reply.len = s->reply.pos = 0;
    int ok = writes_repropose(s, m, one);
    free(one);
    if (!ok) return 0;  /* still blocked, in every key's list */
    unlink_blocked(s);
    long long take = count < *left ? count : *left;
    *left -= take;
    s->bkey = s->argv[at];
    s->bclaim = take;
    link_sent(s);
    return 1;
}

/* The first client waiting on w that pops type, or NULL. */
static slot *first_of_type(const waitkey *w, int type) {
    for (size_t i = w->off; i < w->n; i++)
        if (pops_type(w->v[i]) == type) return w->v[i];
    return NULL;
}

/* One ready key: its first clients that pop its type (Redis leaves the
 * others waiting), as many as it gives, proposed again. */
static int serve_key(store *rd, waitkey *w) {
    int type;
    long long left = available(rd, w, &type);
    char *key = xstrndup(w->key, w->len);  /* w goes once its last client leaves it */
    size_t len = w->len;
    int ok = 1;
    slot *s;
    while (ok && left > 0) {
        w = key_find(key, len, store_key_hash(key, len));
        if (!w || !(s = first_of_type(w, type))) break;
        int from, n;
        long long count;
        keys_of(s, &from, &n, &count);
        ok = send_again(s, key, len, &left, from, n, count);
    }
    if (!ok && (w = key_find(key, len, store_key_hash(key, len)))) mark_ready(w);  /* again once proposals are taken */
    free(key);
    return ok;
}

void blocking_serve(void) {
    outcomes();
    note_ready();
    if (!ready_head || !node_accepting() || node_disk_full()) return;  /* ready keys wait for a node that proposes */
    store *rd = server_store();
    store_reader_pin(rd);
    while (ready_head) {
        waitkey *w = ready_head;
        unready(w);
        if (!serve_key(rd, w)) break;  /* the node stopped taking proposals: the rest wait */
    }
    store_reader_unpin(rd);
}
