#include "peer.h"
#include "entry.h"
#include "blob.h"
#include "log.h"
#include "tls.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* ---- codec ---- */

size_t peer_frame_begin(buf *b, int type) {
    size_t start = b->len;
    char h[PEER_HEADER] = {0};
    set_u32(h, PEER_MAGIC);
    h[4] = PEER_VERSION;
    h[5] = (char)type;
    buf_append(b, h, sizeof(h));
    return start;
}

void peer_frame_end(buf *b, size_t start) {
    char *h = b->data + start;
    size_t len = b->len - start - PEER_HEADER;
    set_u32(h + 8, (uint32_t)len);
    uLong crc = crc32(0L, (const Bytef *)h, 12);
    crc = crc32(crc, (const Bytef *)h + PEER_HEADER, (uInt)len);
    set_u32(h + 12, (uint32_t)crc);
}

/* The header at h: 0 with its type and payload length, or -1 with err. */
static int header_check(const char *h, int *type, uint32_t *len, char *err, size_t errlen) {
    uint32_t n = get_u32(h + 8);
    if (get_u32(h) != PEER_MAGIC) { snprintf(err, errlen, "bad magic"); return -1; }
    if (h[4] != PEER_VERSION) { snprintf(err, errlen, "unsupported protocol version %d", (unsigned char)h[4]); return -1; }
    if (h[5] < 1 || h[5] > FR_LAST || h[6] || h[7]) { snprintf(err, errlen, "bad frame type %d", (unsigned char)h[5]); return -1; }
    if (n > PEER_MAX_FRAME) { snprintf(err, errlen, "frame of %u bytes is too large", n); return -1; }
    *type = h[5];
    *len = n;
    return 0;
}

int peer_frame_next(buf *in, int *type, const char **payload, size_t *len, char *err, size_t errlen) {
    size_t avail = buf_unread(in);
    if (avail < PEER_HEADER) return 0;
    const char *h = in->data + in->pos;
    int t;
    uint32_t n;
    if (header_check(h, &t, &n, err, errlen) < 0) return -1;
    if (avail < PEER_HEADER + (size_t)n) return 0;
    uLong crc = crc32(0L, (const Bytef *)h, 12);
    crc = crc32(crc, (const Bytef *)h + PEER_HEADER, n);
    if ((uint32_t)crc != get_u32(h + 12)) { snprintf(err, errlen, "bad checksum"); return -1; }
    *type = t;
    *payload = h + PEER_HEADER;
    *len = n;
    in->pos += PEER_HEADER + n;
    return 1;
}

#define RAFT_FIXED (1 + 8 * 10 + 1 + 4)
#define ENTRY_FIXED (8 + 8 + 1 + 4)
/* Any command a client may send travels alone in one frame: as a forward,
 * or as the one entry of an append. */
_Static_assert(ENTRY_MAX_REQUEST + RAFT_FIXED + ENTRY_FIXED + 64 <= PEER_MAX_FRAME, "a command fits a peer frame");

void peer_encode_raft_fixed(buf *b, const raft_msg *m) {
    char t = (char)m->type;
    buf_append(b, &t, 1);
    uint64_t f[10] = {m->from, m->to, m->term, m->index, m->log_term, m->commit, m->hint_index, m->hint_term,
                      m->context, 0};
    for (int i = 0; i < 10; i++) buf_put_u64(b, f[i]);
    t = (char)(m->reject != 0);
    buf_append(b, &t, 1);
    buf_put_u32(b, (uint32_t)m->nentries);
}

void peer_encode_entry_head(buf *b, const raft_entry *e) {
    buf_put_u64(b, e->term);
    buf_put_u64(b, e->index);
    char t = (char)e->type;
    buf_append(b, &t, 1);
    buf_put_u32(b, (uint32_t)e->len);
}

void peer_encode_raft(buf *b, const raft_msg *m) {
    peer_encode_raft_fixed(b, m);
    for (size_t i = 0; i < m->nentries; i++) {
        peer_encode_entry_head(b, &m->entries[i]);
        buf_append(b, m->entries[i].data, m->entries[i].len);
    }
}

static int entry_ok(const raft_entry *e) {
    if (e->type == RAFT_ENTRY_NOOP) return e->len == 0;
    if (e->type == RAFT_ENTRY_CONFIG) {
        members ms;
        char err[160];
        return members_parse(e->data, e->len, &ms, err, sizeof(err)) == 0;
    }
    if (e->type != RAFT_ENTRY_COMMAND) return 0;
    int type;
    uint64_t t;
    return entry_decode(e->data, e->len, &type, &t, NULL) >= 0;
}

int peer_decode_raft(const char *p, size_t n, raft_msg *m) {
    memset(m, 0, sizeof(*m));
    if (n < RAFT_FIXED) return -1;
    m->type = (unsigned char)p[0];
    if (m->type < MSG_PREVOTE || m->type > MSG_TIMEOUT_NOW) return -1;
    uint64_t f[10];
    for (int i = 0; i < 10; i++) f[i] = get_u64(p + 1 + 8 * i);
    m->from = f[0], m->to = f[1], m->term = f[2], m->index = f[3], m->log_term = f[4];
    m->commit = f[5], m->hint_index = f[6], m->hint_term = f[7], m->context = f[8];
    if ((unsigned char)p[81] > 1) return -1;
    m->reject = p[81];
    uint32_t ne = get_u32(p + 82);
    size_t pos = RAFT_FIXED;
    if (ne > (n - pos) / ENTRY_FIXED) return -1;
    if (ne && m->type != MSG_APPEND) return -1;
    m->nentries = ne;
    m->entries = ne ? xmalloc(sizeof(raft_entry) * ne) : NULL;
    for (uint32_t i = 0; i < ne; i++) {
        raft_entry *e = &m->entries[i];
        if (n - pos < ENTRY_FIXED) goto bad;
        e->term = get_u64(p + pos);
        e->index = get_u64(p + pos + 8);
        e->type = (unsigned char)p[pos + 16];
        e->len = get_u32(p + pos + 17);
        pos += ENTRY_FIXED;
        if (e->len > n - pos) goto bad;
        e->data = (char *)p + pos;
        pos += e->len;
        /* entries are consecutive after the consistency-check index */
        if (e->index != m->index + 1 + i || e->term > m->term || !entry_ok(e)) goto bad;
    }
    if (pos != n) goto bad;
    return 0;
bad:
    free(m->entries);
    m->entries = NULL;
    return -1;
}

/* ---- the handshake ---- */

void peer_hs_init(peer_hs *hs, int dialler, uint64_t cluster_id, uint64_t me, uint64_t peer,
                  const unsigned char *secret, size_t secret_len) {
    memset(hs, 0, sizeof(*hs));
    hs->dialler = dialler;
    hs->state = dialler ? HS_WAIT_CHALLENGE : HS_WAIT_HELLO;
    hs->cluster_id = cluster_id;
    hs->me = me;
    hs->peer = dialler ? peer : 0;
    hs->secret = secret_len ? secret : (const unsigned char *)"";
    hs->secret_len = secret_len;
}

/* HMAC-SHA256 over the direction (who proves: 'D' the dialler, 'L' the
 * listener), the cluster id, both ids and both nonces. */
static int proof(const peer_hs *hs, char who, unsigned char out[PEER_PROOF]) {
    static const char label[] = "RKVP-auth-v2";
    char msg[sizeof(label) - 1 + 1 + 24 + 2 * PEER_NONCE];
    size_t at = 0;
    memcpy(msg, label, sizeof(label) - 1);
    at += sizeof(label) - 1;
    msg[at++] = who;
    set_u64(msg + at, hs->cluster_id);
    set_u64(msg + at + 8, hs->dialler ? hs->me : hs->peer);
    set_u64(msg + at + 16, hs->dialler ? hs->peer : hs->me);
    at += 24;
    memcpy(msg + at, hs->nonce_d, PEER_NONCE);
    memcpy(msg + at + PEER_NONCE, hs->nonce_l, PEER_NONCE);
    at += 2 * PEER_NONCE;
    unsigned int len = 0;
    int ok = HMAC(EVP_sha256(), hs->secret, (int)hs->secret_len, (const unsigned char *)msg, at, out, &len) != NULL;
    return ok && len == PEER_PROOF ? 0 : -1;
}

static int proof_ok(const peer_hs *hs, char who, const char *got) {
    unsigned char want[PEER_PROOF];
    return proof(hs, who, want) == 0 && CRYPTO_memcmp(want, got, PEER_PROOF) == 0;
}

static int fresh_nonce(unsigned char *n) { return RAND_bytes(n, PEER_NONCE) == 1 ? 0 : -1; }

static int my_flags(const peer_hs *hs) { return hs->secret_len ? PEER_FLAG_SECRET : 0; }

/* The common head of HELLO and CHALLENGE. */
static void put_intro(const peer_hs *hs, buf *out, uint64_t to, const unsigned char *nonce) {
    buf_put_u64(out, hs->cluster_id);
    buf_put_u64(out, hs->me);
    buf_put_u64(out, to);
    char f = (char)my_flags(hs);
    buf_append(out, &f, 1);
    buf_append(out, nonce, PEER_NONCE);
}

int peer_hs_hello(peer_hs *hs, buf *out) {
    if (fresh_nonce(hs->nonce_d) < 0) return -1;
    size_t s = peer_frame_begin(out, FR_HELLO);
    put_intro(hs, out, hs->peer, hs->nonce_d);
    peer_frame_end(out, s);
    return 0;
}

const char *peer_refusal_text(int reason) {
    switch (reason) {
    case REFUSE_PROTOCOL: return "it received a frame out of the handshake's protocol";
    case REFUSE_CLUSTER: return "it belongs to another cluster";
    case REFUSE_NODE: return "the node ids do not match the ones it expects";
    case REFUSE_NEED_SECRET: return "it has a cluster secret and this node has none "
                                    "(set cluster-secret or cluster-secret-file)";
    case REFUSE_NO_SECRET: return "this node has a cluster secret and it has none";
    case REFUSE_PROOF: return "this node's proof did not check: the cluster secrets differ";
    default: return "for a reason it did not say";
    }
}

/* Fails the handshake: err says why, and out gets a REFUSE saying it. */
static int hs_refuse(peer_hs *hs, buf *out, int reason, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int hs_refuse(peer_hs *hs, buf *out, int reason, char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    hs->state = HS_FAILED;
    hs->refused = reason;
    size_t s = peer_frame_begin(out, FR_REFUSE);
    char r = (char)reason;
    buf_append(out, &r, 1);
    peer_frame_end(out, s);
    return -1;
}

/* The secret flags of the two sides agree; else a refusal. */
static int hs_flags(peer_hs *hs, int flags, buf *out, char *err, size_t errlen) {
    if (flags & ~PEER_FLAG_SECRET)
        return hs_refuse(hs, out, REFUSE_PROTOCOL, err, errlen, "unknown handshake flags %#x", (unsigned)flags);
    if ((flags & PEER_FLAG_SECRET) && !hs->secret_len)
        return hs_refuse(hs, out, REFUSE_NO_SECRET, err, errlen,
                         "node %llu has a cluster secret and this node has none (set cluster-secret or "
                         "cluster-secret-file, the same on every member)", (unsigned long long)hs->peer);
    if (!(flags & PEER_FLAG_SECRET) && hs->secret_len)
        return hs_refuse(hs, out, REFUSE_NEED_SECRET, err, errlen,
                         "node %llu has no cluster secret and this node requires one", (unsigned long long)hs->peer);
    return 0;
}

/* HELLO, on the listener: who dials, and its nonce; answers CHALLENGE. */
static int hs_hello(peer_hs *hs, const char *p, buf *out, char *err, size_t errlen) {
    uint64_t cid = get_u64(p), from = get_u64(p + 8), to = get_u64(p + 16);
    hs->peer = from;
    if (cid != hs->cluster_id)
        return hs_refuse(hs, out, REFUSE_CLUSTER, err, errlen, "handshake from another cluster (id %016llx, ours %016llx)",
                         (unsigned long long)cid, (unsigned long long)hs->cluster_id);
    if (to != hs->me)
        return hs_refuse(hs, out, REFUSE_NODE, err, errlen, "handshake addressed to node %llu, this is node %llu",
                         (unsigned long long)to, (unsigned long long)hs->me);
    if (!from || from == hs->me)
        return hs_refuse(hs, out, REFUSE_NODE, err, errlen, "handshake from node id %llu", (unsigned long long)from);
    if (hs_flags(hs, (unsigned char)p[24], out, err, errlen) < 0) return -1;
    memcpy(hs->nonce_d, p + 25, PEER_NONCE);
    unsigned char mine[PEER_PROOF];
    if (fresh_nonce(hs->nonce_l) < 0 || proof(hs, 'L', mine) < 0)
        return hs_refuse(hs, out, REFUSE_PROTOCOL, err, errlen, "no random nonce or no HMAC from libcrypto");
    size_t s = peer_frame_begin(out, FR_CHALLENGE);
    put_intro(hs, out, from, hs->nonce_l);
    buf_append(out, mine, PEER_PROOF);
    peer_frame_end(out, s);
    hs->state = HS_WAIT_AUTH;
    return 0;
}

/* CHALLENGE, on the dialler: checks the listener's proof, answers AUTH. */
static int hs_challenge(peer_hs *hs, const char *p, buf *out, char *err, size_t errlen) {
    uint64_t cid = get_u64(p), from = get_u64(p + 8), to = get_u64(p + 16);
    if (cid != hs->cluster_id)
        return hs_refuse(hs, out, REFUSE_CLUSTER, err, errlen, "node at that address belongs to another cluster (id %016llx)",
                         (unsigned long long)cid);
    if (from != hs->peer || to != hs->me)
        return hs_refuse(hs, out, REFUSE_NODE, err, errlen, "the node at that address is node %llu (answering node %llu)",
                         (unsigned long long)from, (unsigned long long)to);
    if (hs_flags(hs, (unsigned char)p[24], out, err, errlen) < 0) return -1;
    memcpy(hs->nonce_l, p + 25, PEER_NONCE);
    if (!proof_ok(hs, 'L', p + 25 + PEER_NONCE))
        return hs_refuse(hs, out, REFUSE_PROOF, err, errlen,
                         "node %llu could not prove it knows the cluster secret: the secrets differ",
                         (unsigned long long)hs->peer);
    unsigned char mine[PEER_PROOF];
    if (proof(hs, 'D', mine) < 0)
        return hs_refuse(hs, out, REFUSE_PROTOCOL, err, errlen, "no HMAC from libcrypto");
    size_t s = peer_frame_begin(out, FR_AUTH);
    buf_append(out, mine, PEER_PROOF);
    peer_frame_end(out, s);
    hs->state = HS_DONE;
    return 1;
}

int peer_hs_step(peer_hs *hs, buf *in, buf *out, char *err, size_t errlen) {
    while (hs->state != HS_DONE) {
        if (hs->state == HS_FAILED) { snprintf(err, errlen, "handshake already failed"); return -1; }
        if (buf_unread(in) < PEER_HEADER) return 0;
        int type;
        uint32_t n;
        char why[96];
        if (header_check(in->data + in->pos, &type, &n, why, sizeof(why)) < 0)
            return hs_refuse(hs, out, REFUSE_PROTOCOL, err, errlen, "%s during the handshake", why);
        int want = hs->state == HS_WAIT_HELLO ? FR_HELLO : hs->state == HS_WAIT_CHALLENGE ? FR_CHALLENGE : FR_AUTH;
        uint32_t want_len = want == FR_HELLO ? PEER_HELLO_LEN : want == FR_CHALLENGE ? PEER_CHALLENGE_LEN : PEER_PROOF;
        if (type == FR_REFUSE) want = FR_REFUSE, want_len = 1;
        if (type != want)
            return hs_refuse(hs, out, REFUSE_PROTOCOL, err, errlen, "a frame of type %d before authentication", type);
        if (hs->taken + PEER_HEADER + n > PEER_HANDSHAKE_BYTES)
            return hs_refuse(hs, out, REFUSE_PROTOCOL, err, errlen, "more than %d bytes before authentication",
                             PEER_HANDSHAKE_BYTES);
        if (n != want_len)
            return hs_refuse(hs, out, REFUSE_PROTOCOL, err, errlen, "malformed handshake frame (%u bytes)", n);
        const char *p;
        size_t len;
        int k = peer_frame_next(in, &type, &p, &len, why, sizeof(why));
        if (k == 0) return 0;
        if (k < 0) return hs_refuse(hs, out, REFUSE_PROTOCOL, err, errlen, "%s during the handshake", why);
        hs->taken += PEER_HEADER + len;
        if (type == FR_REFUSE) {
            hs->state = HS_FAILED;
            hs->refused = (unsigned char)p[0];
            hs->by_peer = 1;
            snprintf(err, errlen, "node %llu refused the handshake: %s", (unsigned long long)hs->peer,
                     peer_refusal_text(hs->refused));
            return -1;
        }
        if (type == FR_HELLO) k = hs_hello(hs, p, out, err, errlen);
        else if (type == FR_CHALLENGE) k = hs_challenge(hs, p, out, err, errlen);
        else if (!proof_ok(hs, 'D', p))
            k = hs_refuse(hs, out, REFUSE_PROOF, err, errlen, "node %llu could not prove it knows the cluster secret: "
                          "the secrets differ", (unsigned long long)hs->peer);
        else hs->state = HS_DONE;
        if (k < 0) return -1;
    }
    return 1;
}

/* ---- connections ---- */

typedef struct conn {
    int fd;
    ev_io rio, wio;
    ev_timer deadline;     /* the handshake's */
    int reading, writing, connecting;
    int authed;            /* the handshake succeeded: frames may flow */
    peer_hs hs;
    buf in, out;
    peerq q;               /* outbound: frames framed into out as it drains */
    peer_parts parts;      /* inbound: frames arriving in parts */
    uint64_t peer;         /* outbound: the member dialled; inbound: once authenticated (0 before) */
    int outbound;
    uint64_t link;         /* unique per connection, never 0 */
    uint64_t stall_since;  /* outbound: when link_check_cb() first saw it wait (0: it does not) */
    uint64_t sent;         /* bytes of out written to the socket, ever */
    int doomed;            /* inbound: to be closed at the next peer_flush(), nothing more read (peer_doom_links_from) */
    char addr[64];         /* inbound: where it came from, for the log */
    /* tls-cluster: the TLS session the frames go through (NULL: plain).
     * Its handshake comes first, under the same deadline as the peer
     * handshake; OpenSSL may need the other direction for a step (a read
     * that must write, a write that must read): that step then waits for
     * the other watcher alone. */
    tls_conn *tls;
    int tls_handshaking;
    int tls_bytes_seen;    /* the other side sent something: it was not a plain handshake */
    int read_wants_write, write_wants_read;
    struct conn *next;
} conn;

/* A host name being resolved by glibc's helper threads (getaddrinfo_a),
 * so that a slow name server never holds the loop. A lookup outlives its
 * member if that one is removed meanwhile (owner 0): it is reaped when
 * done. */
typedef struct lookup {
    struct gaicb cb;
    struct addrinfo hints;
    char host[256], port[16];
    uint64_t owner;
    struct lookup *next;
} lookup;

typedef struct member {
    uint64_t id;
    char host[256];
    int port;
    struct sockaddr_storage sa;  /* the address to dial, once resolved */
    socklen_t salen;             /* 0: not resolved yet */
    lookup *lookup;              /* under way */
    conn *out;             /* our dialled connection, NULL when down */
    uint64_t out_sent, out_link;  /* the last one's bytes written before it closed, and its link id */
    ev_timer retry;
    double backoff;
    uint64_t last_rx;
    uint64_t warned_ms;    /* the last warning about a handshake with it */
} member;

static struct {
    struct ev_loop *loop;
    uint64_t cluster_id, my_id;
    peer_handler h;
    int lfd;
    ev_io accept_io;
    member m[RAFT_MAX_NODES * 2];  /* id 0: a free slot (libev holds pointers into it) */
    int n;
    conn *inbound;
    int ninbound;
    int doomed;                /* some inbound connection is doomed */
    ev_timer accept_pause;     /* out of descriptors: accept again later */
    long long bad_frames;
    long long dropped_appends; /* entries not queued behind a long backlog */
    uint64_t links;
    unsigned link_timeout_ms;  /* see peer_set_link_timeout() */
    ev_timer link_check;       /* link_check_cb(), four times a timeout */
    lookup *lookups;
    ev_timer lookup_poll;
    unsigned char secret[PEER_SECRET_MAX];
    size_t secret_len;
    int nunauth;               /* inbound connections not authenticated yet */
    long long auth_failures;
    long long unauth_closed;   /* closed for PEER_MAX_UNAUTH since the last line about it */
    uint64_t unauth_logged_ms; /* that line (0: none in this burst) */
    uint64_t refusal_logged_ms;
    int tls;                   /* tls-cluster: every link goes through TLS */
} transport;


static member *find_member(uint64_t id) {
    for (int i = 0; id && i < transport.n; i++)
        if (transport.m[i].id == id) return &transport.m[i];
    return NULL;
}

static void set_io(ev_io *w, int *flag, int on) {
    if (on == *flag) return;
    if (on) ev_io_start(transport.loop, w); else ev_io_stop(transport.loop, w);
    *flag = on;
}

static void dial(member *mb);

/* "to node 2", "from node 2 (10.0.0.2:41234)", "from 10.0.0.9:5555 (claims node 2)". */
static const char *who(const conn *c, char *b, size_t n) {
    if (c->outbound) snprintf(b, n, "to node %llu", (unsigned long long)c->peer);
    else if (c->authed) snprintf(b, n, "from node %llu (%s)", (unsigned long long)c->peer, c->addr);
    else if (c->hs.peer) snprintf(b, n, "from %s (claims node %llu)", c->addr, (unsigned long long)c->hs.peer);
    else snprintf(b, n, "from %s", c->addr);
    return b;
}

/* One fewer inbound connection waits to authenticate; when none does,
 * a burst of them is over. */
static void unauth_gone(void) {
    if (--transport.nunauth > 0) return;
    if (transport.unauth_closed)
        logmsg(LL_NOTICE, "%lld more peer connections were closed for want of a handshake slot",
               transport.unauth_closed);
    transport.unauth_closed = 0;
    transport.unauth_logged_ms = 0;
}

static void conn_close(conn *c, const char *why) {
    char w[160];
    /* a working link's loss is news (it costs a reconnect and maybe a
     * forwarded reply); a stranger's or a dial's is not */
    if (why) logmsg(c->authed ? LL_NOTICE : LL_VERBOSE, "Peer connection %s closed: %s", who(c, w, sizeof(w)), why);
    ev_timer_stop(transport.loop, &c->deadline);
    /* stopped whatever the flags say: that also drops an event fed for
     * decrypted bytes (read_input), which must not reach a freed conn */
    ev_io_stop(transport.loop, &c->rio);
    ev_io_stop(transport.loop, &c->wio);
    tls_conn_free(c->tls);  /* close_notify first, if it can go at once */
    close(c->fd);
    buf_free(&c->in);
    buf_free(&c->out);
    peerq_free(&c->q);
    peer_parts_free(&c->parts);
    if (c->outbound) {
        member *mb = find_member(c->peer);
        if (mb && mb->out == c) {
            mb->out = NULL;
            mb->out_sent = c->sent;
            mb->out_link = c->link;
            ev_timer_stop(transport.loop, &mb->retry);  /* maybe its connect deadline */
            ev_timer_set(&mb->retry, mb->backoff, 0.);
            ev_timer_start(transport.loop, &mb->retry);
            mb->backoff = mb->backoff * 2 > 1.0 ? 1.0 : mb->backoff * 2;
            if (transport.h.down) transport.h.down(mb->id);
        }
    } else {
        for (conn **p = &transport.inbound; *p; p = &(*p)->next)
            if (*p == c) { *p = c->next; transport.ninbound--; break; }
        if (!c->authed) unauth_gone();
        else if (transport.h.link_closed) transport.h.link_closed(c->peer, c->link);
    }
    free(c);
}

static void bad_frame(conn *c, const char *why) {
    char w[160];
    transport.bad_frames++;
    logmsg(LL_WARNING, "Closing peer connection %s: %s", who(c, w, sizeof(w)), why);
    conn_close(c, NULL);
}

static int flush_conn(conn *c);

/* A handshake that failed: a warning (for a member dialled, at most one
 * every 30 s; for strangers, at most one a second: the rest at verbose),
 * what it has to say sent if it can be, and the connection closed. */
static void hs_fail(conn *c, const char *why) {
    char w[160];
    uint64_t now = mono_ms();
    uint64_t *last = &transport.refusal_logged_ms, quiet = 1000;
    member *mb = c->outbound ? find_member(c->peer) : NULL;
    if (mb) last = &mb->warned_ms, quiet = 30000;
    int level = LL_VERBOSE;
    if (!*last || now - *last >= quiet) {
        level = LL_WARNING;
        *last = now;
    }
    transport.auth_failures++;
    logmsg(level, "Closing peer connection %s: handshake failed: %s", who(c, w, sizeof(w)), why);
    if (buf_unread(&c->out) && flush_conn(c) < 0) return;
    /* what the other side sent after: read away (a little), so that the
     * close is a FIN after our REFUSE rather than a reset that may lose it */
    char junk[4096];
    for (int i = 0; i < 4 && read(c->fd, junk, sizeof(junk)) > 0; i++) {}
    conn_close(c, NULL);
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop; (void)revents;
    char why[64];
    snprintf(why, sizeof(why), "not completed within %d ms", PEER_HANDSHAKE_MS);
    hs_fail(w->data, why);
}

/* A node dials each member once at a time: an older connection from the
 * same node is one it gave up on, maybe silently (its close lost in a
 * partition). */
static void drop_older_links(conn *c) {
    for (conn *o = transport.inbound, *next; o; o = next) {
        next = o->next;
        if (o != c && o->peer == c->peer) conn_close(o, "replaced by a new connection");
    }
}

static int handle_snap(conn *c, int type, const char *p, size_t n) {
    if (type == FR_SNAP) {
        if (n < 25 || (unsigned char)p[24] > 1) { bad_frame(c, "malformed snapshot chunk"); return -1; }
        if (transport.h.snap) transport.h.snap(c->peer, get_u64(p), get_u64(p + 8), get_u64(p + 16), p[24], p + 25, n - 25);
        return 0;
    }
    if (n != 25 || (unsigned char)p[16] > SNAP_FAILED) { bad_frame(c, "malformed snapshot acknowledgement"); return -1; }
    if (transport.h.snap_ack) transport.h.snap_ack(c->peer, get_u64(p), get_u64(p + 8), p[16], get_u64(p + 17));
    return 0;
}

static int handle_read_index(conn *c, int type, const char *p, size_t n) {
    if (n != (type == FR_READ_INDEX ? 16u : 25u) ||
        (type == FR_READ_INDEX_REPLY && (unsigned char)p[8] > (READ_INDEX_OK | READ_INDEX_OPEN))) {
        bad_frame(c, "malformed read index frame");
        return -1;
    }
    if (type == FR_READ_INDEX) {
        if (transport.h.read_index) transport.h.read_index(c->peer, get_u64(p), get_u64(p + 8));
    } else if (transport.h.read_index_reply) {
        transport.h.read_index_reply(c->peer, get_u64(p), p[8], get_u64(p + 9), get_u64(p + 17));
    }
    return 0;
}

/* A forwarded reply: a joined one goes on without a copy. */
static void reply_frame(conn *c, uint64_t client, const char *p, size_t n) {
    buf r;
    if (peer_parts_take_buf(&c->parts, FR_FORWARD_REPLY, &r)) {
        r.pos = 8;
    } else {
        buf_init(&r);
        buf_append(&r, p, n);
    }
    transport.h.forward_reply(c->peer, client, &r);
    buf_free(&r);
}

/* One frame on an authenticated inbound connection; -1 if the
 * connection was closed. */
static int handle_frame(conn *c, int type, const char *p, size_t n) {
    if (type == FR_HELLO || (type >= FR_CHALLENGE && type <= FR_REFUSE)) {
        bad_frame(c, "handshake frame after the handshake");
        return -1;
    }
    member *mb = find_member(c->peer);
    if (mb) mb->last_rx = mono_ms();
    if (type == FR_RAFT) {
        raft_msg m;
        if (peer_decode_raft(p, n, &m) < 0) { bad_frame(c, "malformed raft message"); return -1; }
        if (m.from != c->peer || m.to != transport.my_id) {
            free(m.entries);
            bad_frame(c, "raft message with wrong addresses");
            return -1;
        }
        /* a large entry that came in parts becomes a blob where it lies:
         * the core keeps it without copying 100 MB on the loop */
        buf joined;
        int own = peer_parts_take_buf(&c->parts, FR_RAFT, &joined);
        if (own && m.nentries == 1 && m.entries[0].data - joined.data >= BLOB_ADOPT_ROOM) {
            m.entries[0].data = blob_adopt(joined.data, m.entries[0].data, m.entries[0].len);
            m.entry_blobs = 1;
            buf_init(&joined);
        }
        transport.h.raft(&m);
        if (m.entry_blobs) blob_release(m.entries[0].data);
        if (own) buf_free(&joined);
        free(m.entries);
        return 0;
    }
    if (type == FR_SNAP || type == FR_SNAP_ACK) return handle_snap(c, type, p, n);
    if (type == FR_READ_INDEX || type == FR_READ_INDEX_REPLY) return handle_read_index(c, type, p, n);
    if (n < 8) { bad_frame(c, "malformed frame"); return -1; }
    uint64_t client = get_u64(p);
    if (type == FR_FORWARD) {
        int etype;
        uint64_t t;
        rstr *argv;
        int argc = entry_decode(p + 8, n - 8, &etype, &t, &argv);
        if (argc <= 0) { free(argc == 0 ? argv : NULL); bad_frame(c, "malformed forwarded command"); return -1; }
        buf joined;  /* p's bytes, when joined from parts: theirs to take */
        int own = peer_parts_take_buf(&c->parts, FR_FORWARD, &joined);
        transport.h.forward(c->peer, c->link, client, t, argc, argv, own ? &joined : NULL);
        if (own) buf_free(&joined);
        free(argv);
    } else if (type == FR_FORWARD_REPLY) {
        if (n == 8) { bad_frame(c, "empty forwarded reply"); return -1; }
        reply_frame(c, client, p + 8, n - 8);
    } else {
        transport.h.forward_close(c->peer, client);
    }
    return 0;
}

/* Node a member: a dialled link is up, or one dialled to us replaces the
 * older ones from that node (which it gave up on, maybe silently). */
static void authenticated(conn *c) {
    char w[160];
    c->authed = 1;
    ev_timer_stop(transport.loop, &c->deadline);
    if (c->outbound) {
        member *mb = find_member(c->peer);
        if (mb) mb->backoff = 0.05, mb->warned_ms = 0;
        logmsg(LL_NOTICE, "Connected to peer node %llu%s", (unsigned long long)c->peer, c->tls ? " over TLS" : "");
        return;
    }
    c->peer = c->hs.peer;
    unauth_gone();
    logmsg(LL_VERBOSE, "Peer connection %s authenticated", who(c, w, sizeof(w)));
    drop_older_links(c);
    if (transport.h.link_up) transport.h.link_up(c->peer);
}

/* Bytes that open a TLS record (a handshake 0x16 or an alert 0x15, then
 * version 3.x): the other side has tls-cluster yes and this one not. */
static int speaks_tls(const buf *in) {
    const unsigned char *p = (const unsigned char *)in->data + in->pos;
    return buf_unread(in) >= 2 && (p[0] == 0x15 || p[0] == 0x16) && p[1] == 3;
}

/* The handshake on what came in: 1 once authenticated, 0 while it goes
 * on, -1 when the connection was closed. */
static int handshake(conn *c) {
    char err[256];
    size_t queued = buf_unread(&c->out);
    int k = peer_hs_step(&c->hs, &c->in, &c->out, err, sizeof(err));
    if (k < 0 && speaks_tls(&c->in)) {
        size_t n = strlen(err);
        snprintf(err + n, sizeof(err) - n, "; it speaks TLS: is tls-cluster yes there and not here?");
    }
    if (k < 0) { hs_fail(c, err); return -1; }
    if (buf_unread(&c->out) > queued && flush_conn(c) < 0) return -1;
    if (k == 1) authenticated(c);
    return k;
}

/* A dialled connection carries nothing back after the handshake but a
 * refusal (the listener took our proof for a bad one). -1 if the
 * connection was closed. */
static int outbound_input(conn *c) {
    int type;
    const char *p;
    size_t n;
    char err[96];
    int k = peer_frame_next(&c->in, &type, &p, &n, err, sizeof(err));
    if (k > 0 && type == FR_REFUSE && n == 1) {
        snprintf(err, sizeof(err), "node %llu refused the handshake: ", (unsigned long long)c->peer);
        char why[256];
        snprintf(why, sizeof(why), "%s%s", err, peer_refusal_text((unsigned char)p[0]));
        hs_fail(c, why);
    } else if (k < 0) {
        bad_frame(c, err);
    } else if (k > 0 || buf_unread(&c->in) > PEER_HEADER + 1) {
        bad_frame(c, "unexpected data on an outgoing connection");
    } else {
        return 0;
    }
    return -1;
}

/* What conn_recv() and conn_send() give when they move no byte. */
enum { IO_AGAIN = -1, IO_CLOSED = -2, IO_FAILED = -3 };

/* Up to cap bytes from the connection, through TLS on a TLS link: how
 * many (> 0), IO_AGAIN (none now; a TLS read that must first write waits
 * for the write watcher), IO_CLOSED, or IO_FAILED with why. */
static ssize_t conn_recv(conn *c, char *p, size_t cap, const char **why) {
    if (!c->tls) {
        ssize_t r = read(c->fd, p, cap);
        if (r > 0) return r;
        if (r == 0) return IO_CLOSED;
        if (errno == EAGAIN || errno == EINTR) return IO_AGAIN;
        *why = strerror(errno);
        return IO_FAILED;
    }
    size_t n = 0;
    switch (tls_read(c->tls, p, cap, &n)) {
    case TLS_OK: return (ssize_t)n;
    case TLS_WANT_READ: return IO_AGAIN;
    case TLS_WANT_WRITE:
        c->read_wants_write = 1;
        set_io(&c->rio, &c->reading, 0);  /* readable again would only ask the same */
        set_io(&c->wio, &c->writing, 1);
        return IO_AGAIN;
    case TLS_CLOSED: return IO_CLOSED;
    default: *why = tls_error(c->tls); return IO_FAILED;
    }
}

/* The frames in c->in: the handshake's first, then (inbound) the
 * messages, or (outbound) a refusal. -1 if the connection was closed. */
static int handle_input(conn *c) {
    if (!c->authed) {
        int k = handshake(c);
        if (k < 0) return -1;
        if (k == 0) { buf_compact(&c->in); return 0; }
    }
    if (c->outbound) return outbound_input(c);
    for (;;) {
        if (c->doomed) return 0;  /* a frame just handled doomed it: nothing after it is read */
        int type;
        const char *p;
        size_t n;
        char err[96];
        int k = peer_frame_next(&c->in, &type, &p, &n, err, sizeof(err));
        if (k == 0) break;
        if (k > 0) k = peer_parts_take(&c->parts, &type, &p, &n, err, sizeof(err));
        if (k < 0) { bad_frame(c, err); return -1; }
        if (k == 0) {  /* a part: its sender is alive */
            if (transport.h.streaming) transport.h.streaming(c->peer);
            continue;
        }
        if (handle_frame(c, type, p, n) < 0) return -1;
    }
    /* a large frame on its way: its sender is alive, though no whole
     * message of it arrives for a while */
    if (buf_unread(&c->in) && transport.h.streaming) transport.h.streaming(c->peer);
    buf_compact(&c->in);
    return 0;
}

/* A TLS link reads on, a record (16 KB) at a time, until the socket is
 * empty or this much came in one wake-up (the others get their turn). */
#define TLS_READ_BUDGET (1u << 20)

/* Reads what came and handles it: one read on a plain link (the loop wakes
 * again while more waits), records up to the budget on a TLS one. -1 if
 * the connection was closed. */
static int read_input(conn *c) {
    size_t got = 0;
    do {
        /* before authentication, never more than the handshake's bytes
         * (it leaves less than that unread: a frame that would pass is
         * refused on its header) */
        size_t room;
        if (c->authed) {
            buf_reserve(&c->in, 64 * 1024);
            room = c->in.cap - c->in.len;
        } else {
            room = PEER_HANDSHAKE_BYTES - buf_unread(&c->in);
            buf_reserve(&c->in, room);
        }
        const char *why = NULL;
        ssize_t r = conn_recv(c, c->in.data + c->in.len, room, &why);
        if (r == IO_AGAIN) break;
        if (r < 0 && !c->authed) {
            hs_fail(c, r == IO_FAILED ? why : speaks_tls(&c->in)
                    ? "it answered in TLS: is tls-cluster yes there and not here?"
                    : "closed by the other side (does it have the same cluster secret and tls-cluster setting?)");
            return -1;
        }
        if (r < 0) { conn_close(c, r == IO_FAILED ? why : "closed by peer"); return -1; }
        c->in.len += (size_t)r;
        got += (size_t)r;
        if (handle_input(c) < 0) return -1;
    } while (c->tls && !c->doomed && got < TLS_READ_BUDGET);
    /* records OpenSSL already decrypted never wake the socket (a read
     * waiting to write is taken up by the write watcher instead) */
    if (c->tls && c->reading && tls_pending(c->tls)) ev_feed_event(transport.loop, &c->rio, EV_READ);
    return 0;
}

static int tls_step(conn *c);

static void read_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop; (void)revents;
    conn *c = w->data;
    if (c->doomed) return;
    if (c->tls_handshaking) { tls_step(c); return; }
    if (c->write_wants_read) {
        c->write_wants_read = 0;
        if (flush_conn(c) < 0) return;
    }
    read_input(c);
}

static void client_frame(buf *b, int type, uint64_t client_id, const char *data, size_t len) {
    size_t s = peer_frame_begin(b, type);
    buf_put_u64(b, client_id);
    buf_append(b, data, len);
    peer_frame_end(b, s);
}

/* Up to len bytes to the connection, through TLS on a TLS link: how many
 * (> 0), IO_AGAIN (none now; a TLS write that must first read waits for
 * the read watcher, which is always on), or IO_FAILED with why. */
static ssize_t conn_send(conn *c, const char *p, size_t len, const char **why) {
    if (!c->tls) {
        ssize_t n;
        do n = write(c->fd, p, len); while (n < 0 && errno == EINTR);
        if (n > 0) return n;
        if (n < 0 && errno == EAGAIN) return IO_AGAIN;
        *why = strerror(errno);
        return IO_FAILED;
    }
    size_t n = 0;
    switch (tls_write(c->tls, p, len, &n)) {
    case TLS_OK: return (ssize_t)n;
    case TLS_WANT_WRITE: return IO_AGAIN;
    case TLS_WANT_READ: c->write_wants_read = 1; return IO_AGAIN;
    case TLS_CLOSED: *why = "closed by peer"; return IO_FAILED;
    default: *why = tls_error(c->tls); return IO_FAILED;
    }
}

/* A link writes at most this much per wake-up, then lets the loop go
 * round: a fast reader (loopback) would otherwise take a 100 MB frame in
 * one go, parts and all. */
#define PEER_WRITE_BUDGET (4u << 20)

/* Writes what it can; -1 when the connection failed (and is closed). On a
 * TLS link a write that could not finish is retried from the same first
 * byte (out only grows at its end until all of it is written: tls.h). */
static int flush_conn(conn *c) {
    if (c->tls_handshaking || c->write_wants_read) return 0;  /* the read watcher calls again */
    size_t sent = 0;
    while (sent < PEER_WRITE_BUDGET && (peerq_feed(&c->q, &c->out, PEER_PART), buf_unread(&c->out))) {
        const char *why = NULL;
        ssize_t n = conn_send(c, c->out.data + c->out.pos, buf_unread(&c->out), &why);
        if (n == IO_AGAIN) break;
        if (n < 0) { conn_close(c, why); return -1; }
        c->out.pos += (size_t)n;
        c->sent += (size_t)n;
        sent += (size_t)n;
    }
    if (buf_unread(&c->out) == 0) {
        c->out.pos = c->out.len = 0;
        if (c->out.cap > (8 << 20)) buf_free(&c->out);
    }
    int more = buf_unread(&c->out) > 0 || peerq_bytes(&c->q) > 0;
    set_io(&c->wio, &c->writing, (more && !c->write_wants_read) || c->read_wants_write);
    return 0;
}

/* A plain peer handshake ('R' of "RKVP", which never opens a TLS record:
 * its first byte is a content type, 20 to 24) where TLS should come: a
 * member without tls-cluster, told apart from garbage for the log. */
static int plain_peer(conn *c) {
    char b;
    if (c->tls_bytes_seen || recv(c->fd, &b, 1, MSG_PEEK) != 1) return 0;
    c->tls_bytes_seen = 1;
    return b == 'R';
}

/* One step of the TLS handshake, when the socket is ready for it; once
 * done, the peer handshake goes through TLS (the dialler's HELLO is
 * already queued). -1 if the connection was closed. */
static int tls_step(conn *c) {
    if (plain_peer(c)) {
        hs_fail(c, c->outbound ? "it answered in plain text: is tls-cluster yes here and not there?"
                               : "a plain peer handshake on a TLS peer port: is tls-cluster yes here and not there?");
        return -1;
    }
    int r = tls_handshake(c->tls);
    if (r == TLS_WANT_READ || r == TLS_WANT_WRITE) {
        set_io(&c->rio, &c->reading, r == TLS_WANT_READ);
        set_io(&c->wio, &c->writing, r == TLS_WANT_WRITE);
        return 0;
    }
    if (r != TLS_OK) {
        char why[256];
        snprintf(why, sizeof(why), "TLS: %s", r == TLS_CLOSED ? "closed by the other side" : tls_error(c->tls));
        hs_fail(c, why);
        return -1;
    }
    c->tls_handshaking = 0;
    set_io(&c->rio, &c->reading, 1);
    set_io(&c->wio, &c->writing, 0);
    if (flush_conn(c) < 0) return -1;
    if (tls_pending(c->tls)) ev_feed_event(transport.loop, &c->rio, EV_READ);
    return 0;
}

/* Puts a TLS session under a connection, the handshake to come first.
 * -1 if the connection was closed (OpenSSL has no memory). */
static int tls_start(conn *c) {
    c->tls = c->outbound ? tls_conn_dial(c->fd) : tls_conn_new(c->fd, CONFIG_TLS_AUTH_YES);
    if (!c->tls) { conn_close(c, "no memory for a TLS session"); return -1; }
    c->tls_handshaking = 1;
    return 0;
}

/* A dialled connection is up (or failed): its handshakes start, under
 * their deadline. */
static void connected(conn *c) {
    int err = 0;
    socklen_t l = sizeof(err);
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
    if (err) { conn_close(c, strerror(err)); return; }
    c->connecting = 0;
    member *mb = find_member(c->peer);
    if (mb) ev_timer_stop(transport.loop, &mb->retry);  /* the connect deadline */
    ev_timer_start(transport.loop, &c->deadline);
    if (transport.tls) {
        if (tls_start(c) == 0) tls_step(c);
        return;
    }
    set_io(&c->rio, &c->reading, 1);  /* the handshake's answer, then to notice the peer closing */
    flush_conn(c);
}

static void write_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop; (void)revents;
    conn *c = w->data;
    if (c->connecting) { connected(c); return; }
    if (c->tls_handshaking) { tls_step(c); return; }
    if (c->read_wants_write) {
        c->read_wants_write = 0;
        set_io(&c->rio, &c->reading, 1);
        if (read_input(c) < 0) return;
    }
    flush_conn(c);
}

/* The kernel's own deadline for bytes a dialled link cannot deliver. */
#define PEER_BACKSTOP_MS 30000u

static conn *conn_new(int fd, uint64_t peer, int outbound) {
    conn *c = xmalloc(sizeof(*c));
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    c->peer = peer;
    c->outbound = outbound;
    c->link = ++transport.links;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* Only a backstop: link_check_cb() gives up a silent link sooner, but
     * not one whose peer is alive and reads slowly, which this would. */
    unsigned ut = transport.link_timeout_ms > PEER_BACKSTOP_MS ? transport.link_timeout_ms : PEER_BACKSTOP_MS;
    if (outbound && transport.link_timeout_ms) setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
    ev_io_init(&c->rio, read_cb, fd, EV_READ);
    ev_io_init(&c->wio, write_cb, fd, EV_WRITE);
    ev_timer_init(&c->deadline, deadline_cb, PEER_HANDSHAKE_MS / 1000., 0.);
    c->rio.data = c->wio.data = c->deadline.data = c;
    peer_hs_init(&c->hs, outbound, transport.cluster_id, transport.my_id, peer, transport.secret, transport.secret_len);
    return c;
}

static void retry_later(member *mb) {
    ev_timer_set(&mb->retry, mb->backoff, 0.);
    ev_timer_start(transport.loop, &mb->retry);
    mb->backoff = mb->backoff * 2 > 1.0 ? 1.0 : mb->backoff * 2;
}

/* An address literal needs no name server: taken at once. */
static int numeric_host(member *mb) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&mb->sa;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&mb->sa;
    memset(&mb->sa, 0, sizeof(mb->sa));
    if (inet_pton(AF_INET, mb->host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)mb->port);
        mb->salen = sizeof(*s4);
    } else if (inet_pton(AF_INET6, mb->host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)mb->port);
        mb->salen = sizeof(*s6);
    }
    return mb->salen != 0;
}

static void start_lookup(member *mb) {
    lookup *l = xmalloc(sizeof(*l));
    memset(l, 0, sizeof(*l));
    snprintf(l->host, sizeof(l->host), "%s", mb->host);
    snprintf(l->port, sizeof(l->port), "%d", mb->port);
    l->hints.ai_socktype = SOCK_STREAM;
    l->cb.ar_name = l->host;
    l->cb.ar_service = l->port;
    l->cb.ar_request = &l->hints;
    l->owner = mb->id;
    struct gaicb *list[1] = {&l->cb};
    if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL) != 0) {
        logmsg(LL_WARNING, "Cannot look up %s for node %llu", mb->host, (unsigned long long)mb->id);
        free(l);
        retry_later(mb);
        return;
    }
    l->next = transport.lookups;
    transport.lookups = l;
    mb->lookup = l;
    ev_timer_start(transport.loop, &transport.lookup_poll);
}

/* Lookups that finished: their members dial (or try again later). */
static void lookup_poll_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    for (lookup **pp = &transport.lookups; *pp;) {
        lookup *l = *pp;
        int rc = gai_error(&l->cb);
        if (rc == EAI_INPROGRESS) { pp = &l->next; continue; }
        *pp = l->next;
        member *mb = find_member(l->owner);
        if (mb && mb->lookup == l) {
            mb->lookup = NULL;
            struct addrinfo *ai = l->cb.ar_result;
            if (rc == 0 && ai && ai->ai_addrlen <= sizeof(mb->sa)) {
                memcpy(&mb->sa, ai->ai_addr, ai->ai_addrlen);
                mb->salen = ai->ai_addrlen;
                dial(mb);
            } else {
                logmsg(LL_VERBOSE, "Looking up %s for node %llu: %s", mb->host, (unsigned long long)mb->id,
                       gai_strerror(rc));
                retry_later(mb);
            }
        }
        if (l->cb.ar_result) freeaddrinfo(l->cb.ar_result);
        free(l);
    }
    if (!transport.lookups) ev_timer_stop(loop, w);
}

static void dial(member *mb) {
    if (!mb->salen && !numeric_host(mb)) {
        if (!mb->lookup) start_lookup(mb);
        return;
    }
    int fd = socket(mb->sa.ss_family, SOCK_STREAM, 0);
    if (fd >= 0) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (connect(fd, (struct sockaddr *)&mb->sa, mb->salen) < 0 && errno != EINPROGRESS) { close(fd); fd = -1; }
    }
    if (fd < 0) {
        mb->salen = 0;  /* a name may resolve elsewhere next time */
        retry_later(mb);
        return;
    }
    conn *c = conn_new(fd, mb->id, 1);
    c->connecting = 1;
    mb->out = c;
    if (peer_hs_hello(&c->hs, &c->out) < 0) {
        logmsg(LL_WARNING, "No random bytes for a handshake nonce");
        conn_close(c, NULL);
        return;
    }
    set_io(&c->wio, &c->writing, 1);
    /* a lost SYN is retried only a second later, then 3 s, 7 s...: give
     * the attempt a deadline and dial again rather than wait */
    if (transport.link_timeout_ms) {
        ev_timer_set(&mb->retry, transport.link_timeout_ms / 1000., 0.);
        ev_timer_start(transport.loop, &mb->retry);
    }
}

/* Dials a member that is down, or ends an attempt past its deadline. */
static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop; (void)revents;
    member *mb = w->data;
    if (!mb->out) dial(mb);
    else if (mb->out->connecting) conn_close(mb->out, "connection timed out");
}

/* The oldest inbound connection that has not authenticated, or NULL. */
static conn *oldest_anonymous(void) {
    conn *found = NULL;
    for (conn *c = transport.inbound; c; c = c->next)
        if (!c->authed) found = c;  /* the list is newest first */
    return found;
}

/* A connection over PEER_MAX_UNAUTH: closed, with a line at the start of
 * a burst (and once a minute while it lasts). */
static void too_many_unauth(int fd) {
    close(fd);
    transport.auth_failures++;
    transport.unauth_closed++;
    uint64_t now = mono_ms();
    if (transport.unauth_logged_ms && now - transport.unauth_logged_ms < 60000) return;
    logmsg(LL_WARNING, "%d peer connections are waiting to authenticate: closing new ones until they are done "
           "(%lld so far)", transport.nunauth, transport.unauth_closed);
    transport.unauth_logged_ms = now ? now : 1;
}

static void describe_addr(const struct sockaddr_storage *sa, char *out, size_t n) {
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        port = ntohs(s4->sin_port);
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        port = ntohs(s6->sin6_port);
    }
    snprintf(out, n, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
}

static void accept_resume_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)w; (void)revents;
    ev_io_start(loop, &transport.accept_io);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)revents;
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage sa;
        socklen_t sl = sizeof(sa);
        memset(&sa, 0, sizeof(sa));
        int fd = accept(w->fd, (struct sockaddr *)&sa, &sl);
        if (fd < 0) {
            /* the pending connection stays pending: without a pause the
             * loop would wake for it again at once, for ever */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                logmsg(LL_WARNING, "Accepting a peer connection: %s; pausing accepts for 100 ms", strerror(errno));
                ev_io_stop(loop, w);
                ev_timer_start(loop, &transport.accept_pause);
            }
            return;
        }
        if (transport.nunauth >= PEER_MAX_UNAUTH) { too_many_unauth(fd); continue; }
        if (transport.ninbound >= PEER_MAX_INBOUND) {
            conn *old = oldest_anonymous();
            if (!old) { close(fd); continue; }
            conn_close(old, "too many inbound connections: the oldest one that has not authenticated goes");
        }
        conn *c = conn_new(fd, 0, 0);
        describe_addr(&sa, c->addr, sizeof(c->addr));
        c->next = transport.inbound;
        transport.inbound = c;
        transport.ninbound++;
        transport.nunauth++;
        if (transport.tls && tls_start(c) < 0) continue;
        set_io(&c->rio, &c->reading, 1);  /* the HELLO, or under TLS the dialler's first flight */
        ev_timer_start(loop, &c->deadline);
    }
}

int peer_init(struct ev_loop *loop, uint64_t cluster_id, uint64_t my_id, const char *bind_addr, int port,
              const char *secret, const peer_handler *h) {
    memset(&transport, 0, sizeof(transport));
    transport.secret_len = secret ? strlen(secret) : 0;
    if (transport.secret_len > PEER_SECRET_MAX) transport.secret_len = PEER_SECRET_MAX;  /* config.h's bound */
    if (transport.secret_len) memcpy(transport.secret, secret, transport.secret_len);
    transport.loop = loop;
    transport.cluster_id = cluster_id;
    transport.my_id = my_id;
    transport.h = *h;
    transport.lfd = -1;
    ev_timer_init(&transport.lookup_poll, lookup_poll_cb, 0.02, 0.02);
    if (!port) return -1;
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", port);
    if (getaddrinfo(bind_addr, ps, &hints, &ai) != 0 || !ai) {
        logmsg(LL_WARNING, "Invalid peer bind address '%s'", bind_addr);
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM, 0), one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
        logmsg(LL_WARNING, "Could not listen for peers on %s:%d: %s", bind_addr, port, strerror(errno));
        if (fd >= 0) close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    transport.lfd = fd;
    ev_io_init(&transport.accept_io, accept_cb, fd, EV_READ);
    ev_timer_init(&transport.accept_pause, accept_resume_cb, 0.1, 0.);
    ev_io_start(loop, &transport.accept_io);
    return 0;
}

void peer_add(uint64_t id, const char *host, int port) {
    if (!id || id == transport.my_id || find_member(id)) return;
    member *mb = NULL;
    for (int i = 0; i < transport.n && !mb; i++)
        if (!transport.m[i].id) mb = &transport.m[i];
    if (!mb) {
        if (transport.n == (int)(sizeof(transport.m) / sizeof(transport.m[0]))) return;
        mb = &transport.m[transport.n++];
    }
    memset(mb, 0, sizeof(*mb));
    mb->id = id;
    snprintf(mb->host, sizeof(mb->host), "%s", host);
    mb->port = port;
    mb->backoff = 0.05;
    ev_timer_init(&mb->retry, retry_cb, 0., 0.);
    mb->retry.data = mb;
    dial(mb);
}

/* A link that dropped packets for a while backs its retransmissions off
 * to seconds apart, and stays silent that long after it heals: one whose
 * peer's host has answered nothing for the link timeout while ours waits
 * on it (bytes sent again and still unacknowledged, or window probes
 * unanswered) is given up and dialled afresh. A peer busy for a while (an
 * ASan node applying a 100 MB entry) has its kernel answer the probes of
 * its closed window: its link, and the forwarded replies on it, stay.
 * (Probes are counted after they are sent: on loopback the answer can
 * come first and leave a count of 1; 2 is one truly unanswered.) */
static void link_check_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop; (void)w; (void)revents;
    for (int i = 0; i < transport.n; i++) {
        conn *c = transport.m[i].out;
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        if (!c || c->connecting || getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) continue;
        int waits = (ti.tcpi_unacked && ti.tcpi_retransmits) || ti.tcpi_probes >= 2;
        /* counted from the wait seen, not from the last ack: that may be
         * old on a link that was idle, whose first send after lost one
         * segment (TCP recovers that in a retransmission) */
        uint64_t now = mono_ms();
        if (!waits) { c->stall_since = 0; continue; }
        if (!c->stall_since) c->stall_since = now;
        if (now - c->stall_since >= transport.link_timeout_ms && ti.tcpi_last_ack_recv >= transport.link_timeout_ms)
            conn_close(c, "its host answered nothing within the link timeout");
    }
}

void peer_set_link_timeout(unsigned ms) {
    transport.link_timeout_ms = ms;
    ev_timer_stop(transport.loop, &transport.link_check);
    if (!ms) return;
    ev_timer_init(&transport.link_check, link_check_cb, ms / 4000., ms / 4000.);
    ev_timer_start(transport.loop, &transport.link_check);
}

void peer_set_tls(int on) { transport.tls = on; }

int peer_known(uint64_t id) { return find_member(id) != NULL; }

void peer_remove(uint64_t id) {
    member *mb = find_member(id);
    if (!mb) return;
    ev_timer_stop(transport.loop, &mb->retry);
    if (mb->lookup) mb->lookup->owner = 0;  /* reaped when done */
    mb->lookup = NULL;
    conn *c = mb->out;
    mb->out = NULL;
    mb->id = 0;  /* before the close, so nothing dials it again */
    if (c && flush_conn(c) == 0) conn_close(c, "no longer a peer");
}

void peer_shutdown(void) {
    transport.h.down = NULL;  /* nobody to tell any more */
    for (int i = 0; i < transport.n; i++) {
        if (transport.m[i].out) flush_conn(transport.m[i].out);
        if (transport.m[i].out) conn_close(transport.m[i].out, NULL);
        ev_timer_stop(transport.loop, &transport.m[i].retry);
    }
    while (transport.inbound) conn_close(transport.inbound, NULL);
    ev_timer_stop(transport.loop, &transport.link_check);
    /* lookups still running hold their requests: let them end (briefly) */
    ev_timer_stop(transport.loop, &transport.lookup_poll);
    for (lookup *l = transport.lookups; l; l = l->next) gai_cancel(&l->cb);
    for (int tries = 0; transport.lookups && tries < 100; tries++) {
        lookup_poll_cb(transport.loop, &transport.lookup_poll, 0);
        if (transport.lookups) { struct timespec ts = {0, 10000000}; nanosleep(&ts, NULL); }
    }
    if (transport.lfd >= 0) {
        ev_io_stop(transport.loop, &transport.accept_io);
        ev_timer_stop(transport.loop, &transport.accept_pause);
        close(transport.lfd);
    }
}

int peer_connected(uint64_t id) {
    member *mb = find_member(id);
    return mb && mb->out && mb->out->authed;
}

int peer_linked(uint64_t id) {
    if (!peer_connected(id)) return 0;
    for (conn *c = transport.inbound; c; c = c->next)
        if (c->authed && c->peer == id) return 1;
    return 0;
}

int peer_drop_links(uint64_t id, int which) {
    int n = 0;
    member *mb = find_member(id);
    if ((which & PEER_LINK_OUT) && mb && mb->out && mb->out->authed)
        conn_close(mb->out, "dropped (DEBUG DROP-PEER-LINKS)"), n++;
    for (conn *c = (which & PEER_LINK_IN) ? transport.inbound : NULL, *next; c; c = next) {
        next = c->next;
        if (c->authed && c->peer == id) conn_close(c, "dropped (DEBUG DROP-PEER-LINKS)"), n++;
    }
    return n;
}

/* The send buffer of a connection that does not drain is bounded: a peer
 * that stopped reading is dropped and dialled again. */
#define PEER_MAX_QUEUED (1ULL << 30)

static conn *sendable(uint64_t id) {
    member *mb = find_member(id);
    if (!mb || !mb->out || !mb->out->authed) return NULL;  /* nothing goes before the handshake's end */
    if (buf_unread(&mb->out->out) + peerq_bytes(&mb->out->q) > PEER_MAX_QUEUED) {
        conn_close(mb->out, "send queue over its limit");
        return NULL;
    }
    return mb->out;
}

/* A frame of one of the payloads below goes straight into out, unless
 * frames of its lane wait (it goes behind them) or it is too large to
 * frame at once (peerq.h). */
static int direct(conn *c, int type, size_t payload) {
    return payload <= PEER_PART && !peerq_busy(&c->q, peer_lane(type));
}

/* A frame whose payload is head then data: straight into out, or a copy
 * queued behind its lane's frames (framed in parts if large). */
static int send_frame(uint64_t to, int type, const char *head, size_t hlen, const char *data, size_t len) {
    conn *c = sendable(to);
    if (!c) return -1;
    if (direct(c, type, hlen + len)) {
        size_t s = peer_frame_begin(&c->out, type);
        buf_append(&c->out, head, hlen);
        buf_append(&c->out, data, len);
        peer_frame_end(&c->out, s);
        return 0;
    }
    buf tmp;
    buf_init(&tmp);
    buf_append(&tmp, head, hlen);
    buf_append(&tmp, data, len);
    peerq_push(&c->q, type, NULL, 0, &tmp, NULL, 0);
    peerq_feed(&c->q, &c->out, PEER_PART);
    return 0;
}

/* Entries for a peer whose Raft lane already holds this much unsent are
 * dropped, as a lossy link would: Raft sends them again when it learns
 * they did not land. Without it a slow link to a follower piled up a copy
 * of a large unacknowledged entry per resend (each election timeout, or
 * heartbeat answer while probing) until the queue passed PEER_MAX_QUEUED and the link (and every forwarded reply
 * on it) was lost. Above what the replication window (64 appends of about
 * 1 MB, an entry larger than that alone) puts in flight on a healthy link. */
#define PEER_RAFT_BACKLOG (96ULL << 20)

static int raft_backlogged(const conn *c) {
    if (c->q.lane_bytes[LANE_RAFT] < PEER_RAFT_BACKLOG) return 0;
    transport.dropped_appends++;
    return 1;
}

/* Side-effect free but for the count: the core asks in the middle of a
 * ready, where a link closed under it would call back into the core. */
int peer_raft_congested(uint64_t id) {
    member *mb = find_member(id);
    conn *c = mb ? mb->out : NULL;
    if (!c || !c->authed) return 1;  /* peer_send_raft would drop it, uncounted */
    if (buf_unread(&c->out) + peerq_bytes(&c->q) > PEER_MAX_QUEUED) return 1;  /* sendable() will close it */
    return raft_backlogged(c);
}

int peer_send_raft(const raft_msg *m) {
    conn *c = sendable(m->to);
    if (!c) return -1;
    if (m->nentries && raft_backlogged(c)) return -1;
    size_t payload = RAFT_FIXED;
    for (size_t i = 0; i < m->nentries; i++) payload += ENTRY_FIXED + m->entries[i].len;
    if (direct(c, FR_RAFT, payload)) {
        size_t s = peer_frame_begin(&c->out, FR_RAFT);
        peer_encode_raft(&c->out, m);
        peer_frame_end(&c->out, s);
        return 0;
    }
    peerq_push_raft(&c->q, m);
    peerq_feed(&c->q, &c->out, PEER_PART);
    return 0;
}

int peer_send_forward(uint64_t to, uint64_t client_id, uint64_t term, int argc, const rstr *argv, uint64_t *link,
                      uint64_t *end) {
    conn *c = sendable(to);
    if (!c) return -1;
    *link = c->link;
    size_t payload = 8 + 13;
    for (int i = 0; i < argc; i++) payload += 4 + argv[i].len;
    if (direct(c, FR_FORWARD, payload)) {
        size_t s = peer_frame_begin(&c->out, FR_FORWARD);
        buf_put_u64(&c->out, client_id);
        entry_encode(&c->out, 1, term, argc, argv);
        peer_frame_end(&c->out, s);
        /* not over TLS: a write that hands a whole record to the kernel
         * and blocks on the next one reports nothing, so c->sent can lag
         * what the leader may decrypt */
        *end = c->tls ? 0 : c->sent + buf_unread(&c->out);
        return 0;
    }
    *end = 0;  /* framed later, in parts: not known */
    char id[8];
    set_u64(id, client_id);
    size_t len;
    char *e = entry_blob(1, term, argc, argv, &len);
    peerq_push(&c->q, FR_FORWARD, id, 8, NULL, e, len);
    peerq_feed(&c->q, &c->out, PEER_PART);
    return 0;
}

/* A client's replies and its close keep their order (one lane). */
int peer_send_forward_reply(uint64_t to, uint64_t client_id, buf *reply) {
    conn *c = sendable(to);
    if (!c) return -1;
    if (direct(c, FR_FORWARD_REPLY, 8 + buf_unread(reply))) {
        client_frame(&c->out, FR_FORWARD_REPLY, client_id, reply->data + reply->pos, buf_unread(reply));
        return 0;
    }
    char id[8];
    set_u64(id, client_id);
    peerq_push(&c->q, FR_FORWARD_REPLY, id, 8, reply, NULL, 0);
    peerq_feed(&c->q, &c->out, PEER_PART);
    return 0;
}

int peer_send_forward_close(uint64_t to, uint64_t client_id) {
    char id[8];
    set_u64(id, client_id);
    return send_frame(to, FR_FORWARD_CLOSE, id, sizeof(id), NULL, 0);
}

int peer_send_snap(uint64_t to, uint64_t xfer, uint64_t term, uint64_t offset, int last, const char *data, size_t len) {
    char h[25];
    set_u64(h, xfer);
    set_u64(h + 8, term);
    set_u64(h + 16, offset);
    h[24] = (char)(last != 0);
    return send_frame(to, FR_SNAP, h, sizeof(h), data, len);
}

int peer_send_snap_ack(uint64_t to, uint64_t xfer, uint64_t offset, int status, uint64_t index) {
    char p[25];
    set_u64(p, xfer);
    set_u64(p + 8, offset);
    p[16] = (char)status;
    set_u64(p + 17, index);
    return send_frame(to, FR_SNAP_ACK, p, sizeof(p), NULL, 0);
}

int peer_send_read_index(uint64_t to, uint64_t id, uint64_t term) {
    char p[16];
    set_u64(p, id);
    set_u64(p + 8, term);
    return send_frame(to, FR_READ_INDEX, p, sizeof(p), NULL, 0);
}

int peer_send_read_index_reply(uint64_t to, uint64_t id, int flags, uint64_t index, uint64_t time_ms) {
    char p[25];
    set_u64(p, id);
    p[8] = (char)flags;
    set_u64(p + 9, index);
    set_u64(p + 17, time_ms);
    return send_frame(to, FR_READ_INDEX_REPLY, p, sizeof(p), NULL, 0);
}

void peer_doom_links_from(uint64_t id) {
    for (conn *c = transport.inbound; c; c = c->next) {
        if (!c->authed || c->peer != id) continue;
        c->doomed = transport.doomed = 1;
        set_io(&c->rio, &c->reading, 0);  /* unread bytes must not wake the loop until it closes */
    }
}

void peer_flush(void) {
    int doomed = transport.doomed;
    transport.doomed = 0;  /* first: a close below may doom another */
    for (conn *c = doomed ? transport.inbound : NULL, *next; c; c = next) {
        next = c->next;
        if (c->doomed) conn_close(c, "the sessions it carried were ended here (our link to that node closed)");
    }
    for (int i = 0; i < transport.n; i++) {
        conn *c = transport.m[i].out;
        if (c && c->authed && !c->writing && (buf_unread(&c->out) || peerq_bytes(&c->q))) flush_conn(c);
    }
}

uint64_t peer_sent_before_down(uint64_t id, uint64_t *link) {
    member *mb = find_member(id);
    *link = mb ? mb->out_link : 0;
    return mb ? mb->out_sent : UINT64_MAX;
}

uint64_t peer_last_rx(uint64_t id) {
    member *mb = find_member(id);
    return mb ? mb->last_rx : 0;
}

long long peer_bad_frames(void) { return transport.bad_frames; }
long long peer_dropped_appends(void) { return transport.dropped_appends; }
void peer_count_dropped_append(void) { transport.dropped_appends++; }

long long peer_auth_failures(void) { return transport.auth_failures; }
