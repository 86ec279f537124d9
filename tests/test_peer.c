/* Unit tests of the peer protocol codec: frames and raft messages survive a
 * round trip, every cut is "need more", every damaged byte is caught, and
 * random garbage is rejected without a crash. */
#include "entry.h"
#include "peer.h"
#include "testlib.h"
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
    s = peer_frame_begin(&b, 9);
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

int main(void) {
    test_round_trip();
    test_every_cut();
    test_every_flip();
    test_header_limits();
    test_decode_rejects();
    test_garbage();
    return test_summary("peer");
}
