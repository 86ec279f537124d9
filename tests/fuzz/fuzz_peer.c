/* fuzz_peer: the peer protocol's pure codec (peer.c): peer_frame_next on a
 * connection's bytes, peer_decode_raft on FR_RAFT payloads, and the entry
 * decoder on FR_FORWARD payloads. Only the pure functions are called; the
 * libev connection code is linked, never run.
 * Input: byte 0 even: the rest is a stream of frames, fed in random-sized
 * reads (seeded by byte 1) as read_cb does, compacting after each read;
 * byte 0 odd: the rest is one payload of frame type byte 1 (frames with a
 * good crc are rare under mutation, so payloads are also fuzzed bare).
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

/* Takes every whole frame in; 0, or -1 once a frame is refused. */
static int take_frames(buf *in) {
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
        check_payload(type, p, n);
    }
}

static void stream(const char *s, size_t n, uint8_t seed) {
    pieces pc = pieces_new(seed);
    buf in;
    buf_init(&in);
    for (size_t at = 0; at < n;) {
        size_t k = piece_len(&pc, n - at);
        buf_append(&in, s + at, k);
        at += k;
        buf_tight(&in);
        if (take_frames(&in) < 0) break;
        buf_compact(&in);
    }
    buf_free(&in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    const char *s = (const char *)data + 2;
    if (data[0] & 1) check_payload(data[1], s, size - 2);
    else stream(s, size - 2, data[1]);
    return 0;
}
