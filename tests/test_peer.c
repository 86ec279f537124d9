/* Unit tests of the peer protocol codec: frames and raft messages survive a
 * round trip, every cut is "need more", every damaged byte is caught, and
 * random garbage is rejected without a crash; and of the handshake: the
 * right secret authenticates both ways, a wrong or missing one is refused
 * on both sides with the reason, a recorded handshake does not replay,
 * and before authentication nothing but the handshake's few bytes passes. */
#include "blob.h"
#include "entry.h"
#include "peer.h"
#include "testlib.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static raft_entry mk_entry(uint64_t term, uint64_t index, const char *cmd) {
    raft_entry e = {term, index, RAFT_ENTRY_COMMAND, NULL, 0};
    buf b;
    buf_init(&b);
    rstr argv[2] = {{(char *)"SET", 3}, {(char *)cmd, strlen(cmd)}};
    entry_encode(&b, 1, 42, 2, argv);
    e.data = b.data;
    e.len = b.len;
    return e;
}

static void sample_msg(raft_msg *m, raft_entry *ents) {
    memset(m, 0, sizeof(*m));
    m->type = MSG_APPEND;
    m->from = 2, m->to = 1, m->term = 7, m->index = 10, m->log_term = 6, m->commit = 9;
    m->hint_index = 3, m->hint_term = 2, m->context = 99, m->reject = 0;
    ents[0] = mk_entry(6, 11, "a");
    ents[1] = (raft_entry){7, 12, RAFT_ENTRY_NOOP, (char *)"", 0};
    ents[2] = mk_entry(7, 13, "binary\r\n\0value");
    m->entries = ents;
    m->nentries = 3;
}

static void encode_frame(buf *b, const raft_msg *m) {
    size_t s = peer_frame_begin(b, FR_RAFT);
    peer_encode_raft(b, m);
    peer_frame_end(b, s);
}

static void test_round_trip(void) {
    raft_entry ents[3];
    raft_msg m, d;
    sample_msg(&m, ents);
    buf b;
    buf_init(&b);
    encode_frame(&b, &m);
    int type;
    const char *p;
    size_t n;
    char err[96];
    CHECK(peer_frame_next(&b, &type, &p, &n, err, sizeof(err)) == 1);
    CHECK(type == FR_RAFT);
    CHECK(buf_unread(&b) == 0);
    CHECK(peer_decode_raft(p, n, &d) == 0);
    CHECK(d.type == m.type && d.from == 2 && d.to == 1 && d.term == 7 && d.index == 10 && d.log_term == 6);
    CHECK(d.commit == 9 && d.hint_index == 3 && d.hint_term == 2 && d.context == 99 && !d.reject);
    CHECK(d.nentries == 3);
    for (size_t i = 0; i < 3 && d.nentries == 3; i++) {
        CHECK(d.entries[i].term == ents[i].term && d.entries[i].index == ents[i].index);
        CHECK(d.entries[i].type == ents[i].type && d.entries[i].len == ents[i].len);
        CHECK(memcmp(d.entries[i].data, ents[i].data, ents[i].len) == 0);
    }
    free(d.entries);
    buf_free(&b);
    free(ents[0].data);
    free(ents[2].data);
}

/* A frame cut anywhere needs more bytes; whole again, it parses. */
static void test_every_cut(void) {
    raft_entry ents[3];
    raft_msg m;
    sample_msg(&m, ents);
    buf full;
    buf_init(&full);
    encode_frame(&full, &m);
    int ok = 1;
    for (size_t cut = 0; cut < full.len; cut++) {
        buf b;
        buf_init(&b);
        buf_append(&b, full.data, cut);
        int type;
        const char *p;
        size_t n;
        char err[96];
        if (peer_frame_next(&b, &type, &p, &n, err, sizeof(err)) != 0) ok = 0;
        buf_append(&b, full.data + cut, full.len - cut);
        if (peer_frame_next(&b, &type, &p, &n, err, sizeof(err)) != 1) ok = 0;
        buf_free(&b);
    }
    CHECKMSG(ok, "a cut frame must ask for more and parse once complete");
    buf_free(&full);
    free(ents[0].data);
    free(ents[2].data);
}

/* Any single flipped byte is caught by the header checks or the crc. */
static void test_every_flip(void) {
    raft_entry ents[3];
    raft_msg m;
    sample_msg(&m, ents);
    buf full;
    buf_init(&full);
    encode_frame(&full, &m);
    int caught = 0;
    for (size_t i = 0; i < full.len; i++) {
        if (i >= 8 && i < 12) continue;  /* length: a bigger one waits for more bytes */
        buf b;
        buf_init(&b);
        buf_append(&b, full.data, full.len);
        b.data[i] ^= 0x5a;
        int type;
        const char *p;
        size_t n;
        char err[96];
        caught += peer_frame_next(&b, &type, &p, &n, err, sizeof(err)) == -1;
        buf_free(&b);
    }
    CHECKMSG(caught == (int)full.len - 4, "flips caught: %d of %zu", caught, full.len - 4);
    buf_free(&full);
    free(ents[0].data);
    free(ents[2].data);
}

static void test_header_limits(void) {
    buf b;
    buf_init(&b);
    size_t s = peer_frame_begin(&b, FR_HELLO);
    peer_frame_end(&b, s);
    set_u32(b.data + 8, PEER_MAX_FRAME + 1);
    int type;
    const char *p;
    size_t n;
    char err[96];
    CHECK(peer_frame_next(&b, &type, &p, &n, err, sizeof(err)) == -1);
    CHECK(strstr(err, "too large") != NULL);
    b.len = b.pos = 0;
    s = peer_frame_begin(&b, FR_LAST + 1);
    peer_frame_end(&b, s);
    CHECK(peer_frame_next(&b, &type, &p, &n, err, sizeof(err)) == -1);
    b.len = b.pos = 0;
    buf_appendstr(&b, "*1\r\n$4\r\nPING\r\n\r\n\r\n");  /* a Redis client on the peer port */
    CHECK(peer_frame_next(&b, &type, &p, &n, err, sizeof(err)) == -1);
    CHECK(strstr(err, "magic") != NULL);
    buf_free(&b);
}

/* Messages that frame well but say impossible things are refused. */
static void test_decode_rejects(void) {
    raft_entry ents[3];
    raft_msg m, d;
    sample_msg(&m, ents);
    buf b;
    buf_init(&b);
    peer_encode_raft(&b, &m);
    for (size_t cut = 0; cut < b.len; cut++) CHECK(peer_decode_raft(b.data, cut, &d) == -1);
    buf_append(&b, "x", 1);
    CHECK(peer_decode_raft(b.data, b.len, &d) == -1);  /* trailing garbage */
    raft_msg bad = m;
    bad.type = 42;
    b.len = 0;
    peer_encode_raft(&b, &bad);
    CHECK(peer_decode_raft(b.data, b.len, &d) == -1);
    bad = m;
    bad.index = 11;  /* entries no longer follow the consistency-check index */
    b.len = 0;
    peer_encode_raft(&b, &bad);
    CHECK(peer_decode_raft(b.data, b.len, &d) == -1);
    bad = m;
    bad.term = 6;  /* an entry newer than the message's term */
    b.len = 0;
    peer_encode_raft(&b, &bad);
    CHECK(peer_decode_raft(b.data, b.len, &d) == -1);
    raft_entry junk[1] = {{7, 11, RAFT_ENTRY_COMMAND, (char *)"not an entry", 12}};
    bad = m;
    bad.entries = junk;
    bad.nentries = 1;
    b.len = 0;
    peer_encode_raft(&b, &bad);
    CHECK(peer_decode_raft(b.data, b.len, &d) == -1);
    bad = m;
    bad.type = MSG_VOTE;  /* only appends carry entries */
    b.len = 0;
    peer_encode_raft(&b, &bad);
    CHECK(peer_decode_raft(b.data, b.len, &d) == -1);
    buf_free(&b);
    free(ents[0].data);
    free(ents[2].data);
}

/* Random mutations of valid messages: decode must refuse or succeed, never
 * crash or read out of bounds (ASan watches). */
static void test_garbage(void) {
    raft_entry ents[3];
    raft_msg m, d;
    sample_msg(&m, ents);
    buf b;
    buf_init(&b);
    peer_encode_raft(&b, &m);
    uint64_t x = 88172645463325252ULL;
    int survived = 1;
    for (int round = 0; round < 200000; round++) {
        char *copy = malloc(b.len);
        memcpy(copy, b.data, b.len);
        for (int k = 0; k < 1 + round % 4; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            copy[x % b.len] = (char)(x >> 32);
        }
        size_t len = (size_t)((x >> 40) % (b.len + 1));
        if (peer_decode_raft(copy, len, &d) == 0) free(d.entries);
        free(copy);
    }
    CHECK(survived);
    buf_free(&b);
    free(ents[0].data);
    free(ents[2].data);
}


/* ---- the handshake ---- */

#define CID 0x1122334455667788ULL
static const unsigned char SECRET[] = "correct horse battery staple";
static const unsigned char OTHER[] = "correct horse battery stapler";

typedef struct side {
    peer_hs hs;
    buf in, out;   /* in: what the other side sent */
    int rc;
    char err[256];
} side;

static void side_init(side *x, int dialler, uint64_t me, uint64_t peer, const unsigned char *secret) {
    peer_hs_init(&x->hs, dialler, CID, me, peer, secret, secret ? strlen((const char *)secret) : 0);
    buf_init(&x->in);
    buf_init(&x->out);
    x->rc = 0;
    x->err[0] = 0;
}

static void side_free(side *x) {
    buf_free(&x->in);
    buf_free(&x->out);
}

/* Moves what from wrote to to's input. */
static void carry(side *from, side *to) {
    buf_append(&to->in, from->out.data + from->out.pos, buf_unread(&from->out));
    from->out.pos = from->out.len;
}

static void step(side *x) {
    if (x->rc == 0) x->rc = peer_hs_step(&x->hs, &x->in, &x->out, x->err, sizeof(x->err));
}

/* Node 2 about to dial node 1, each with its secret (NULL: none): the
 * dialler's HELLO is written, not yet carried. */
static void pair_init(side *d, side *l, const unsigned char *ds, const unsigned char *ls) {
    side_init(d, 1, 2, 1, ds);
    side_init(l, 0, 1, 0, ls);
    CHECK(peer_hs_hello(&d->hs, &d->out) == 0);
}

/* Node 2 dials node 1, each with its secret (NULL: none), until both are
 * done or one failed and the other read its refusal. */
static void run_handshake(side *d, side *l, const unsigned char *ds, const unsigned char *ls) {
    pair_init(d, l, ds, ls);
    for (int round = 0; round < 4; round++) {
        carry(d, l);
        step(l);
        carry(l, d);
        step(d);
    }
}

/* The bytes of one REFUSE frame with reason r at the end of out. */
static int ends_with_refusal(const buf *out, int r) {
    if (out->len < PEER_HEADER + 1) return 0;
    const char *h = out->data + out->len - PEER_HEADER - 1;
    return get_u32(h) == PEER_MAGIC && h[5] == FR_REFUSE && get_u32(h + 8) == 1 && h[PEER_HEADER] == r;
}

static void test_hs_right_secret(void) {
    side d, l;
    run_handshake(&d, &l, SECRET, SECRET);
    CHECK(d.rc == 1 && l.rc == 1);
    CHECK(d.hs.state == HS_DONE && l.hs.state == HS_DONE);
    CHECK(l.hs.peer == 2 && d.hs.peer == 1);
    CHECK(memcmp(d.hs.nonce_d, l.hs.nonce_d, PEER_NONCE) == 0 && memcmp(d.hs.nonce_l, l.hs.nonce_l, PEER_NONCE) == 0);
    CHECK(memcmp(d.hs.nonce_d, d.hs.nonce_l, PEER_NONCE) != 0);
    CHECK(d.hs.taken == PEER_HEADER + PEER_CHALLENGE_LEN && l.hs.taken == 2 * PEER_HEADER + PEER_HELLO_LEN + PEER_PROOF);
    CHECK(l.hs.taken <= PEER_HANDSHAKE_BYTES);
    side_free(&d);
    side_free(&l);

    /* frames pipelined behind the AUTH stay for the connection to read */
    pair_init(&d, &l, SECRET, SECRET);
    carry(&d, &l);
    step(&l);
    carry(&l, &d);
    step(&d);
    CHECK(d.rc == 1);
    size_t s = peer_frame_begin(&d.out, FR_FORWARD_CLOSE);
    buf_put_u64(&d.out, 77);
    peer_frame_end(&d.out, s);
    carry(&d, &l);
    step(&l);
    CHECK(l.rc == 1 && buf_unread(&l.in) == PEER_HEADER + 8);
    int type;
    const char *p;
    size_t n;
    char err[96];
    CHECK(peer_frame_next(&l.in, &type, &p, &n, err, sizeof(err)) == 1 && type == FR_FORWARD_CLOSE && get_u64(p) == 77);
    side_free(&d);
    side_free(&l);

    /* no secret on either side (loopback clusters): the same exchange */
    run_handshake(&d, &l, NULL, NULL);
    CHECK(d.rc == 1 && l.rc == 1);
    side_free(&d);
    side_free(&l);
}

static void test_hs_wrong_secret(void) {
    side d, l;
    run_handshake(&d, &l, OTHER, SECRET);
    CHECK(d.rc == -1 && l.rc == -1);
    CHECKMSG(strstr(d.err, "secrets differ") != NULL, "dialler says: %s", d.err);
    CHECKMSG(strstr(l.err, "refused") && strstr(l.err, "secrets differ"), "listener says: %s", l.err);
    CHECK(d.hs.refused == REFUSE_PROOF && !d.hs.by_peer && l.hs.refused == REFUSE_PROOF && l.hs.by_peer);
    CHECK(ends_with_refusal(&d.out, REFUSE_PROOF));
    side_free(&d);
    side_free(&l);

    /* the listener's own proof sent back as the dialler's: the direction differs */
    pair_init(&d, &l, SECRET, SECRET);
    carry(&d, &l);
    step(&l);
    CHECK(l.rc == 0 && buf_unread(&l.out) == PEER_HEADER + PEER_CHALLENGE_LEN);
    const char *lproof = l.out.data + l.out.pos + PEER_HEADER + PEER_CHALLENGE_LEN - PEER_PROOF;
    buf forged;
    buf_init(&forged);
    size_t s = peer_frame_begin(&forged, FR_AUTH);
    buf_append(&forged, lproof, PEER_PROOF);
    peer_frame_end(&forged, s);
    buf_append(&l.in, forged.data, forged.len);
    step(&l);
    CHECK(l.rc == -1 && l.hs.refused == REFUSE_PROOF && ends_with_refusal(&l.out, REFUSE_PROOF));
    buf_free(&forged);
    side_free(&d);
    side_free(&l);
}

static void test_hs_missing_secret(void) {
    side d, l;
    run_handshake(&d, &l, NULL, SECRET);  /* the dialler has none */
    CHECK(d.rc == -1 && l.rc == -1);
    CHECK(l.hs.refused == REFUSE_NEED_SECRET && !l.hs.by_peer && d.hs.by_peer);
    CHECKMSG(strstr(l.err, "has no cluster secret"), "listener says: %s", l.err);
    CHECKMSG(strstr(d.err, "cluster-secret"), "dialler is told to set one: %s", d.err);
    side_free(&d);
    side_free(&l);
    run_handshake(&d, &l, SECRET, NULL);  /* the listener has none */
    CHECK(d.rc == -1 && l.rc == -1);
    CHECK(l.hs.refused == REFUSE_NO_SECRET && d.hs.by_peer);
    CHECKMSG(strstr(l.err, "this node has none"), "listener says: %s", l.err);
    side_free(&d);
    side_free(&l);
}

/* Another cluster, another node, an impossible id. */
static void test_hs_identity(void) {
    side d, l;
    side_init(&d, 1, 2, 1, SECRET);
    d.hs.cluster_id = CID + 1;
    side_init(&l, 0, 1, 0, SECRET);
    CHECK(peer_hs_hello(&d.hs, &d.out) == 0);
    carry(&d, &l);
    step(&l);
    CHECK(l.rc == -1 && l.hs.refused == REFUSE_CLUSTER && strstr(l.err, "another cluster"));
    side_free(&d);
    side_free(&l);
    uint64_t tos[] = {3, 1, 1}, froms[] = {2, 0, 1};
    for (int i = 0; i < 3; i++) {
        side_init(&d, 1, froms[i], tos[i], SECRET);
        side_init(&l, 0, 1, 0, SECRET);
        CHECK(peer_hs_hello(&d.hs, &d.out) == 0);
        carry(&d, &l);
        step(&l);
        CHECK(l.rc == -1 && l.hs.refused == REFUSE_NODE);
        side_free(&d);
        side_free(&l);
    }
    /* the node at the address dialled is another one (same secret) */
    side_init(&d, 1, 2, 3, SECRET);
    side_init(&l, 0, 3, 0, SECRET);
    CHECK(peer_hs_hello(&d.hs, &d.out) == 0);
    d.hs.peer = 1;  /* it meant to reach node 1 */
    carry(&d, &l);
    step(&l);
    carry(&l, &d);
    step(&d);
    CHECK(d.rc == -1 && d.hs.refused == REFUSE_NODE);
    side_free(&d);
    side_free(&l);
}

/* What a dialler sent in one handshake, sent again on a new connection,
 * is refused: the listener's nonce is new. So is a listener's CHALLENGE
 * shown to a new dialler. */
static void test_hs_replay(void) {
    side d, l, l2, d2;
    side_init(&d, 1, 2, 1, SECRET);
    side_init(&l, 0, 1, 0, SECRET);
    buf sent, answered;
    buf_init(&sent);
    buf_init(&answered);
    CHECK(peer_hs_hello(&d.hs, &d.out) == 0);
    buf_append(&sent, d.out.data, d.out.len);
    carry(&d, &l);
    step(&l);
    buf_append(&answered, l.out.data, l.out.len);
    carry(&l, &d);
    size_t before = d.out.len;
    step(&d);
    buf_append(&sent, d.out.data + before, d.out.len - before);
    carry(&d, &l);
    step(&l);
    CHECK(d.rc == 1 && l.rc == 1);

    side_init(&l2, 0, 1, 0, SECRET);
    buf_append(&l2.in, sent.data, sent.len);  /* HELLO and AUTH at once */
    step(&l2);
    CHECK(l2.rc == -1 && l2.hs.refused == REFUSE_PROOF && ends_with_refusal(&l2.out, REFUSE_PROOF));
    side_init(&d2, 1, 2, 1, SECRET);
    CHECK(peer_hs_hello(&d2.hs, &d2.out) == 0);
    buf_append(&d2.in, answered.data, answered.len);
    step(&d2);
    CHECK(d2.rc == -1 && d2.hs.refused == REFUSE_PROOF);
    buf_free(&sent);
    buf_free(&answered);
    side_free(&d);
    side_free(&l);
    side_free(&d2);
    side_free(&l2);
}

/* Before authentication every other frame type is refused at once, on
 * its header, before its payload has come. */
static void test_hs_frames_before_auth(void) {
    for (int t = 1; t <= FR_LAST; t++) {
        if (t == FR_HELLO || t == FR_REFUSE) continue;
        side l;
        side_init(&l, 0, 1, 0, SECRET);
        size_t s = peer_frame_begin(&l.in, t);
        buf_append(&l.in, "0123456789abcdefghijklmnopqrstuvwxyz", 36);
        peer_frame_end(&l.in, s);
        l.in.len = PEER_HEADER;  /* only the header has come */
        step(&l);
        CHECKMSG(l.rc == -1 && l.hs.refused == REFUSE_PROTOCOL && strstr(l.err, "before authentication"),
                 "type %d first: %d %s", t, l.rc, l.err);
        side_free(&l);
    }
    /* a HELLO, then anything but an AUTH */
    int after[] = {FR_RAFT, FR_FORWARD, FR_SNAP, FR_HELLO, FR_CHALLENGE};
    for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
        side d, l;
        pair_init(&d, &l, SECRET, SECRET);
        size_t s = peer_frame_begin(&d.out, after[i]);
        buf_append(&d.out, "01234567890123456789012345678901", 32);
        peer_frame_end(&d.out, s);
        carry(&d, &l);
        step(&l);
        CHECKMSG(l.rc == -1 && l.hs.refused == REFUSE_PROTOCOL, "type %d after HELLO: %d %s", after[i], l.rc, l.err);
        side_free(&d);
        side_free(&l);
    }
    /* a dialler takes nothing but a CHALLENGE (or a REFUSE) */
    side d;
    side_init(&d, 1, 2, 1, SECRET);
    CHECK(peer_hs_hello(&d.hs, &d.out) == 0);
    size_t s = peer_frame_begin(&d.in, FR_RAFT);
    peer_frame_end(&d.in, s);
    step(&d);
    CHECK(d.rc == -1 && d.hs.refused == REFUSE_PROTOCOL);
    side_free(&d);
}

/* Oversized or malformed handshake frames, and garbage. */
static void test_hs_oversized(void) {
    uint32_t lens[] = {PEER_HELLO_LEN + 1, PEER_HELLO_LEN - 1, PEER_HANDSHAKE_BYTES, 100000, PEER_MAX_FRAME};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        side l;
        side_init(&l, 0, 1, 0, SECRET);
        size_t s = peer_frame_begin(&l.in, FR_HELLO);
        peer_frame_end(&l.in, s);
        set_u32(l.in.data + 8, lens[i]);  /* the header alone: the length is judged before the payload */
        step(&l);
        CHECKMSG(l.rc == -1 && l.hs.refused == REFUSE_PROTOCOL, "HELLO of %u bytes: %d %s", lens[i], l.rc, l.err);
        side_free(&l);
    }
    /* a handshake that stops after the HELLO's header waits (the deadline
     * is the connection's), a byte at a time until whole */
    side d, l;
    pair_init(&d, &l, SECRET, SECRET);
    int waited = 1;
    for (size_t k = 0; k + 1 < d.out.len; k++) {
        buf_append(&l.in, d.out.data + k, 1);
        step(&l);
        waited &= l.rc == 0 && buf_unread(&l.out) == 0;
    }
    CHECK(waited);
    buf_append(&l.in, d.out.data + d.out.len - 1, 1);
    step(&l);
    CHECK(l.rc == 0 && l.hs.state == HS_WAIT_AUTH && buf_unread(&l.out) == PEER_HEADER + PEER_CHALLENGE_LEN);
    side_free(&d);
    side_free(&l);
    /* garbage: a Redis client, an HTTP request, a bad checksum */
    const char *junk[] = {"*1\r\n$4\r\nPING\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"};
    for (int i = 0; i < 2; i++) {
        side_init(&l, 0, 1, 0, SECRET);
        buf_appendstr(&l.in, junk[i]);
        step(&l);
        CHECK(l.rc == -1 && l.hs.refused == REFUSE_PROTOCOL);
        side_free(&l);
    }
    pair_init(&d, &l, SECRET, SECRET);
    d.out.data[PEER_HEADER + 3] ^= 1;
    carry(&d, &l);
    step(&l);
    CHECK(l.rc == -1 && strstr(l.err, "checksum"));
    side_free(&d);
    side_free(&l);
    /* unknown flags */
    pair_init(&d, &l, SECRET, SECRET);
    d.out.data[PEER_HEADER + 24] = 3;
    peer_frame_end(&d.out, 0);
    carry(&d, &l);
    step(&l);
    CHECK(l.rc == -1 && l.hs.refused == REFUSE_PROTOCOL);
    side_free(&d);
    side_free(&l);
}

/* ---- frames in parts (peerq.h) ---- */

/* Every frame in b, joined from its parts: the types and payloads in
 * order, into types[] and pays[] (copied); the count, or -1 on an error. */
static int drain(buf *b, peer_parts *pp, int *types, buf *pays, int max, char *err, size_t errlen) {
    int got = 0;
    for (;;) {
        int type;
        const char *p;
        size_t n;
        int k = peer_frame_next(b, &type, &p, &n, err, errlen);
        if (k < 0) return -1;
        if (k == 0) return got;
        k = peer_parts_take(pp, &type, &p, &n, err, errlen);
        if (k < 0) return -1;
        if (k == 0 || got == max) continue;
        types[got] = type;
        buf_init(&pays[got]);
        buf_append(&pays[got++], p, n);
    }
}

static void test_parts_round_trip(void) {
    size_t vlen = 3 * PEER_PART + 123, big;
    char *val = xmalloc(vlen);
    for (size_t i = 0; i < vlen; i++) val[i] = (char)(i * 7);
    rstr argv[3] = {{(char *)"SET", 3}, {(char *)"k", 1}, {val, vlen}};
    char *blob = entry_blob(1, 42, 3, argv, &big);
    free(val);
    raft_entry ents[2] = {{3, 11, RAFT_ENTRY_COMMAND, blob, big}, {3, 12, RAFT_ENTRY_NOOP, blob_new(0), 0}};
    raft_msg m;
    memset(&m, 0, sizeof(m));
    m.type = MSG_APPEND, m.from = 2, m.to = 1, m.term = 3, m.index = 10, m.log_term = 3;
    m.entries = ents, m.nentries = 2;
    buf want;
    buf_init(&want);
    peer_encode_raft(&want, &m);
    peerq q;
    peerq_init(&q);
    peerq_push_raft(&q, &m);
    blob_release(ents[1].data);  /* the queue holds its own references */
    buf reply;
    buf_init(&reply);
    for (size_t i = 0; i < 2 * PEER_PART + 5; i++) buf_append(&reply, i % 2 ? "r" : "R", 1);
    char id[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    peerq_push(&q, FR_FORWARD_REPLY, id, 8, &reply, NULL, 0);
    CHECK(reply.len == 0 && reply.data == NULL);  /* taken */
    buf small;
    buf_init(&small);
    buf_append(&small, "hb", 2);
    peerq_push(&q, FR_RAFT, NULL, 0, &small, NULL, 0);
    CHECK(peerq_busy(&q, LANE_RAFT) && peerq_busy(&q, LANE_CLIENT));
    /* each lane's backlog is counted apart (peer.c drops appends behind a long Raft one) */
    CHECK(q.lane_bytes[LANE_CLIENT] == 8 + 2 * PEER_PART + 5);
    CHECK(q.lane_bytes[LANE_RAFT] == want.len + 2 && peerq_bytes(&q) == want.len + 2 + 8 + 2 * PEER_PART + 5);
    buf out;
    buf_init(&out);
    int rounds = 0;
    while (peerq_feed(&q, &out, PEER_PART)) {
        CHECK(out.len <= 2 * PEER_PART + 64);  /* a part at a time, never the whole */
        rounds++;
        out.len = out.pos = 0;  /* "sent" */
    }
    CHECK(rounds >= 4 && peerq_bytes(&q) == 0 && q.lane_bytes[LANE_RAFT] == 0);
    buf_free(&out);
    /* again, read back: interleaved on the wire, each lane joined in order */
    ents[1].data = blob_new(0);
    peerq_push_raft(&q, &m);
    blob_release(ents[1].data);
    buf_init(&reply);
    for (size_t i = 0; i < 2 * PEER_PART + 5; i++) buf_append(&reply, i % 2 ? "r" : "R", 1);
    buf copy;
    buf_init(&copy);
    buf_append(&copy, reply.data, reply.len);
    peerq_push(&q, FR_FORWARD_REPLY, id, 8, &reply, NULL, 0);
    buf_init(&small);
    buf_append(&small, "hb", 2);
    peerq_push(&q, FR_RAFT, NULL, 0, &small, NULL, 0);
    buf_init(&out);
    while (peerq_feed(&q, &out, 1u << 30)) {}
    peer_parts pp;
    peer_parts_init(&pp);
    int types[8];
    buf pays[8];
    char err[96];
    int n = drain(&out, &pp, types, pays, 8, err, sizeof(err));
    CHECK(n == 3);
    if (n == 3) {
        int ai = -1, hi = -1, ri = -1;
        for (int i = 0; i < 3; i++) {
            if (types[i] == FR_FORWARD_REPLY) ri = i;
            else if (ai < 0) ai = i;
            else hi = i;
        }
        CHECK(ai >= 0 && hi > ai && ri >= 0);
        if (ai >= 0 && hi > ai && ri >= 0) {
            CHECK(pays[ai].len == want.len && !memcmp(pays[ai].data, want.data, want.len));
            CHECK(pays[hi].len == 2 && !memcmp(pays[hi].data, "hb", 2));
            CHECK(pays[ri].len == 8 + copy.len && !memcmp(pays[ri].data, id, 8) &&
                  !memcmp(pays[ri].data + 8, copy.data, copy.len));
            raft_msg d;
            CHECK(peer_decode_raft(pays[ai].data, pays[ai].len, &d) == 0 && d.nentries == 2 && d.entries[0].len == big &&
                  !memcmp(d.entries[0].data, blob, big));
            free(d.entries);
        }
    }
    for (int i = 0; i < n; i++) buf_free(&pays[i]);
    peer_parts_free(&pp);
    buf_free(&out);
    buf_free(&copy);
    buf_free(&want);
    peerq_free(&q);
    blob_release(blob);
}

/* A joined reply is handed over without a copy. */
static void test_parts_take_buf(void) {
    peerq q;
    peerq_init(&q);
    buf reply;
    buf_init(&reply);
    for (size_t i = 0; i < PEER_PART + 1; i++) buf_append(&reply, "x", 1);
    char id[8] = {0};
    peerq_push(&q, FR_FORWARD_REPLY, id, 8, &reply, NULL, 0);
    buf out;
    buf_init(&out);
    while (peerq_feed(&q, &out, 1u << 30)) {}
    peer_parts pp;
    peer_parts_init(&pp);
    int type, k = 0;
    const char *p;
    size_t n;
    char err[96];
    while (peer_frame_next(&out, &type, &p, &n, err, sizeof(err)) == 1 &&
           (k = peer_parts_take(&pp, &type, &p, &n, err, sizeof(err))) == 0) {}
    CHECK(k == 1 && type == FR_FORWARD_REPLY && n == 8 + PEER_PART + 1);
    buf got;
    CHECK(peer_parts_take_buf(&pp, FR_FORWARD_REPLY, &got) == 1 && got.len == 8 + PEER_PART + 1 && got.data[8] == 'x');
    buf_free(&got);
    CHECK(peer_parts_take_buf(&pp, FR_FORWARD_REPLY, &got) == 0);
    peer_parts_free(&pp);
    buf_free(&out);
    peerq_free(&q);
}

/* Parts that break the rules are refused, never joined. */
static void test_parts_rejects(void) {
    char err[96];
    struct { const char *p; size_t n; } bad[] = {
        {"\x02\x10\x00\x00\x00" "abc", 8},      /* no such lane */
        {"\x00\x10\x00\x00\x00", 5},         /* no bytes */
        {"\x00\x03\x00\x00\x00" "abc", 8},      /* as long as the whole: the end frame has none */
        {"\x00\xff\xff\xff\x7f" "abc", 8},   /* over the largest frame */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        peer_parts pp;
        peer_parts_init(&pp);
        int type = FR_PART;
        const char *p = bad[i].p;
        size_t n = bad[i].n;
        CHECK(peer_parts_take(&pp, &type, &p, &n, err, sizeof(err)) == -1);
        peer_parts_free(&pp);
    }
    peer_parts pp;
    peer_parts_init(&pp);
    int type = FR_PART;
    const char *p = "\x00\x10\x00\x00\x00" "abcd";
    size_t n = 9;
    CHECK(peer_parts_take(&pp, &type, &p, &n, err, sizeof(err)) == 0);
    p = "\x00\x11\x00\x00\x00" "abcd";  /* another length */
    type = FR_PART;
    CHECK(peer_parts_take(&pp, &type, &p, &n, err, sizeof(err)) == -1);
    peer_parts_free(&pp);
    peer_parts_init(&pp);
    type = FR_PART;
    p = "\x00\x10\x00\x00\x00" "abcd";
    CHECK(peer_parts_take(&pp, &type, &p, &n, err, sizeof(err)) == 0);
    type = FR_RAFT;  /* ends them with the wrong count of bytes */
    p = "xyz";
    n = 3;
    CHECK(peer_parts_take(&pp, &type, &p, &n, err, sizeof(err)) == -1);
    type = FR_FORWARD;  /* the other lane: whole in itself */
    n = 3;
    CHECK(peer_parts_take(&pp, &type, &p, &n, err, sizeof(err)) == 1 && n == 3);
    peer_parts_free(&pp);
}

/* blob_adopt: bytes inside a buffer become a blob where they lie, at
 * every alignment; the buffer is freed with the last reference (ASan
 * reports a leak or a bad free otherwise). */
static void test_blob_adopt(void) {
    for (size_t off = BLOB_ADOPT_ROOM; off < BLOB_ADOPT_ROOM + 32; off++) {
        for (size_t len = 0; len < 40; len += 13) {
            char *base = malloc(off + len + 1);
            memset(base, 0x5a, off);
            for (size_t i = 0; i < len; i++) base[off + i] = (char)('a' + i % 26);
            char *b = blob_adopt(base, base + off, len);
            CHECKMSG(((uintptr_t)b & 15) == 0 && b <= base + off && b >= base + off - 15,
                     "offset %zu: the blob at %td", off, b - base);
            int same = 1;
            for (size_t i = 0; i < len; i++) same &= b[i] == (char)('a' + i % 26);
            CHECKMSG(same, "offset %zu, %zu bytes: the bytes kept", off, len);
            blob_retain(b);
            blob_release(b);
            blob_release(b);
        }
    }
}

int main(void) {
    test_blob_adopt();
    test_round_trip();
    test_every_cut();
    test_every_flip();
    test_header_limits();
    test_decode_rejects();
    test_garbage();
    test_hs_right_secret();
    test_hs_wrong_secret();
    test_hs_missing_secret();
    test_hs_identity();
    test_hs_replay();
    test_hs_frames_before_auth();
    test_hs_oversized();
    test_parts_round_trip();
    test_parts_take_buf();
    test_parts_rejects();
    return test_summary("peer");
}
