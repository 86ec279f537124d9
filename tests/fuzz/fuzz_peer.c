/* fuzz_peer: the peer protocol's pure codec and handshake (peer.c):
 * peer_frame_next on a connection's bytes, peer_decode_raft on FR_RAFT
 * payloads, the entry decoder on FR_FORWARD payloads, and peer_hs_step on
 * what a stranger sends before authentication. Only the pure functions are
 * called; the libev connection code is linked, never run.
 * Parts (FR_PART) are joined as a link joins them, and the joined payload
 * is checked like a whole frame's.
 * Input: byte 0 modulo 5 picks what the rest is:
 *   0  a stream of frames, fed in random-sized reads (seeded by byte 1) as
 *      read_cb does, compacting after each read;
 *   1  one payload of frame type byte 1 (frames with a good crc are rare
 *      under mutation, so payloads are also fuzzed bare);
 *   2  what a dialler sends a listener, in random-sized reads (byte 1: bit
 *      7 set, the listener has no secret; the rest seeds the reads);
 *   3  what a listener answers a dialler's real HELLO, the same way;
 *   4  frames after a real handshake: the listener's input is the dialler's
 *      AUTH followed by these bytes, as when frames are pipelined behind
 *      it, then read as mode 0 (the decoding a member's frames reach).
 * Handshake invariants: nobody authenticates without the proof (which the
 * fuzzer cannot compute over the fresh nonce), no more than
 * PEER_HANDSHAKE_BYTES are ever taken, a failure says why and (unless it
 * answers the other side's refusal) leaves a REFUSE to send, a listener's
 * only other answer is one well-formed CHALLENGE; and a real handshake
 * takes exactly its own frames, leaving what follows.
 * Invariants: a frame is taken whole or not at all (pos moves by exactly
 * header + payload, the payload lies inside the buffer; "need more" takes
 * nothing; an error says why), and an accepted frame encodes back to the
 * same bytes; a FR_RAFT payload that decodes has its entries inside it,
 * encodes back to the same bytes but for the reserved field (which the
 * decoder ignores), and the re-encoding decodes to the same message;
 * a forwarded command passes check_entry(). */
#include "fuzzlib.h"
#include "peer.h"

#define RESERVED_AT (1 + 8 * 9)   /* the tenth u64 of the fixed part */

static void same_msg(const raft_msg *a, const raft_msg *b) {
    FUZZ_CHECK(a->type == b->type && a->from == b->from && a->to == b->to && a->term == b->term);
    FUZZ_CHECK(a->index == b->index && a->log_term == b->log_term && a->commit == b->commit);
    FUZZ_CHECK(a->hint_index == b->hint_index && a->hint_term == b->hint_term && a->context == b->context);
    FUZZ_CHECK(a->reject == b->reject && a->nentries == b->nentries);
    for (size_t i = 0; i < a->nentries; i++) {
        const raft_entry *x = &a->entries[i], *y = &b->entries[i];
        FUZZ_CHECK(x->term == y->term && x->index == y->index && x->type == y->type);
        FUZZ_CHECK(same_bytes(x->data, x->len, y->data, y->len));
    }
}

static void check_raft(const char *p, size_t n) {
    raft_msg m, again;
    if (peer_decode_raft(p, n, &m) < 0) {
        FUZZ_CHECK(m.entries == NULL);
        return;
    }
    for (size_t i = 0; i < m.nentries; i++) {
        const raft_entry *e = &m.entries[i];
        FUZZ_CHECK(e->data >= p && e->len <= n && e->data + e->len <= p + n);
        if (e->type == RAFT_ENTRY_COMMAND) FUZZ_CHECK(check_entry(e->data, e->len) >= 0);
    }
    buf b;
    buf_init(&b);
    peer_encode_raft(&b, &m);
    FUZZ_CHECK(b.len == n && memcmp(b.data, p, RESERVED_AT) == 0);
    FUZZ_CHECK(memcmp(b.data + RESERVED_AT + 8, p + RESERVED_AT + 8, n - RESERVED_AT - 8) == 0);
    FUZZ_CHECK(peer_decode_raft(b.data, b.len, &again) == 0);
    same_msg(&m, &again);
    free(again.entries);
    free(m.entries);
    buf_free(&b);
}

/* On a copy of exactly n bytes, where ASan sees any read past them. */
static void check_payload(int type, const char *p, size_t n) {
    char *copy = xmalloc(n);
    if (n) memcpy(copy, p, n);
    if (type == FR_RAFT) check_raft(copy, n);
    else if (type == FR_FORWARD && n >= 8) check_entry(copy + 8, n - 8);
    free(copy);
}

/* One frame just taken from in: it must encode back to its own bytes. */
static void check_frame(const buf *in, size_t at, int type, const char *p, size_t n) {
    FUZZ_CHECK(in->pos == at + PEER_HEADER + n && p == in->data + at + PEER_HEADER);
    FUZZ_CHECK(type >= 1 && type <= FR_LAST);
    buf b;
    buf_init(&b);
    size_t s = peer_frame_begin(&b, type);
    buf_append(&b, p, n);
    peer_frame_end(&b, s);
    FUZZ_CHECK(b.len == PEER_HEADER + n && memcmp(b.data, in->data + at, b.len) == 0);
    buf_free(&b);
}

/* Takes every whole frame in, joining parts as a link does (peerq.h);
 * 0, or -1 once a frame or a part is refused. */
static int take_frames(buf *in, peer_parts *pp) {
    for (;;) {
        int type = 0;
        const char *p = NULL;
        size_t n = 0, at = in->pos;
        char err[96] = "";
        int k = peer_frame_next(in, &type, &p, &n, err, sizeof(err));
        if (k == 0) {
            FUZZ_CHECK(in->pos == at);
            return 0;
        }
        if (k < 0) {
            FUZZ_CHECK(in->pos == at && err[0] != '\0');
            return -1;
        }
        FUZZ_CHECK(k == 1);
        check_frame(in, at, type, p, n);
        int part = type == FR_PART;
        k = peer_parts_take(pp, &type, &p, &n, err, sizeof(err));
        if (k < 0) {
            FUZZ_CHECK(err[0] != '\0');
            return -1;
        }
        FUZZ_CHECK(k == 1 || part);
        if (k == 1) check_payload(type, p, n);
    }
}

static void stream(const char *s, size_t n, uint8_t seed) {
    pieces pc = pieces_new(seed);
    buf in;
    buf_init(&in);
    peer_parts pp;
    peer_parts_init(&pp);
    for (size_t at = 0; at < n;) {
        size_t k = piece_len(&pc, n - at);
        buf_append(&in, s + at, k);
        at += k;
        buf_tight(&in);
        if (take_frames(&in, &pp) < 0) break;
        buf_compact(&in);
    }
    peer_parts_free(&pp);
    buf_free(&in);
}

/* ---- the handshake ---- */

#define CID 0x1234567890abcdefULL
static const unsigned char SECRET[] = "fuzz cluster secret";

static void hs_new(peer_hs *hs, int dialler, int secret) {
    peer_hs_init(hs, dialler, CID, dialler ? 2 : 1, dialler ? 1 : 0, secret ? SECRET : NULL,
                 secret ? sizeof(SECRET) - 1 : 0);
}

/* The frames hs answered with since from: what a failure or a listener's
 * first step may write. */
static void check_answers(const peer_hs *hs, int rc, const buf *out, size_t from, int *challenges) {
    buf b;
    buf_init(&b);
    if (out->len > from) buf_append(&b, out->data + from, out->len - from);
    int type, last = 0;
    const char *p;
    size_t n;
    char err[96];
    while (peer_frame_next(&b, &type, &p, &n, err, sizeof(err)) == 1) {
        FUZZ_CHECK(type == FR_CHALLENGE || type == FR_REFUSE);
        if (type == FR_CHALLENGE) {
            FUZZ_CHECK(!hs->dialler && n == PEER_CHALLENGE_LEN && get_u64(p) == CID && get_u64(p + 8) == 1);
            FUZZ_CHECK(++*challenges == 1);
        } else {
            FUZZ_CHECK(rc == -1 && n == 1 && (unsigned char)p[0] == hs->refused);
        }
        last = type;
    }
    FUZZ_CHECK(buf_unread(&b) == 0);  /* only whole frames */
    if (rc == -1 && !hs->by_peer) FUZZ_CHECK(last == FR_REFUSE);
    buf_free(&b);
}

/* Feeds a stranger's bytes to hs in random-sized reads. */
static void handshake(peer_hs *hs, const char *s, size_t n, uint8_t seed) {
    pieces pc = pieces_new(seed);
    buf in, out;
    buf_init(&in);
    buf_init(&out);
    if (hs->dialler) FUZZ_CHECK(peer_hs_hello(hs, &out) == 0);
    int challenges = 0;
    for (size_t at = 0; at < n;) {
        size_t k = piece_len(&pc, n - at), from = out.len;
        buf_append(&in, s + at, k);
        at += k;
        buf_tight(&in);
        char err[256] = "";
        int rc = peer_hs_step(hs, &in, &out, err, sizeof(err));
        FUZZ_CHECK(rc == 0 || rc == -1);  /* no proof, no authentication */
        FUZZ_CHECK(hs->taken <= PEER_HANDSHAKE_BYTES);
        check_answers(hs, rc, &out, from, &challenges);
        if (rc < 0) {
            FUZZ_CHECK(err[0] != '\0' && hs->state == HS_FAILED && hs->refused);
            break;
        }
        FUZZ_CHECK(hs->state != HS_DONE && hs->state != HS_FAILED);
        buf_compact(&in);
    }
    buf_free(&in);
    buf_free(&out);
}

/* A real handshake, the listener's input being the AUTH and then s. */
static void after_handshake(const char *s, size_t n, uint8_t seed) {
    peer_hs d, l;
    hs_new(&d, 1, 1);
    hs_new(&l, 0, 1);
    buf dout, lout, lin;
    buf_init(&dout);
    buf_init(&lout);
    buf_init(&lin);
    char err[256];
    FUZZ_CHECK(peer_hs_hello(&d, &dout) == 0);
    FUZZ_CHECK(peer_hs_step(&l, &dout, &lout, err, sizeof(err)) == 0);
    dout.len = dout.pos = 0;
    FUZZ_CHECK(peer_hs_step(&d, &lout, &dout, err, sizeof(err)) == 1);
    size_t auth = dout.len;
    buf_append(&lin, dout.data, dout.len);
    buf_append(&lin, s, n);
    buf_tight(&lin);
    FUZZ_CHECK(peer_hs_step(&l, &lin, &lout, err, sizeof(err)) == 1);
    FUZZ_CHECK(l.state == HS_DONE && l.peer == 2 && lin.pos == auth);
    stream(lin.data + lin.pos, n, seed);
    buf_free(&dout);
    buf_free(&lout);
    buf_free(&lin);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    const char *s = (const char *)data + 2;
    peer_hs hs;
    switch (data[0] % 5) {
    case 0: stream(s, size - 2, data[1]); break;
    case 1: check_payload(data[1], s, size - 2); break;
    case 2:
        hs_new(&hs, 0, !(data[1] & 0x80));
        handshake(&hs, s, size - 2, data[1] & 0x7f);
        break;
    case 3:
        hs_new(&hs, 1, !(data[1] & 0x80));
        handshake(&hs, s, size - 2, data[1] & 0x7f);
        break;
    default: after_handshake(s, size - 2, data[1]); break;
    }
    return 0;
}
