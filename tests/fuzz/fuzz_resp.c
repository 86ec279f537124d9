/* fuzz_resp: the RESP request parser (resp.c), multibulk and inline, on the
 * bytes a client sends. Input: byte 0 seeds how the stream is cut into
 * reads, byte 1 is proto-max-bulk-len (0-255, small enough to hit), the
 * rest is the stream. It is parsed as the server does (parse until more is
 * needed, skip empty requests, stop at a protocol error, compact the buffer
 * after each read), once in one read and once in random-sized reads.
 * Invariants: the parser never consumes past what it was given, and a
 * protocol error always says why; both feedings give the same requests and
 * the same outcome (a request split at any byte boundary parses the same);
 * the requests, re-encoded as multibulks, parse back to the same arguments. */
#include "fuzzlib.h"
#include "resp.h"

/* Appends the parsed request as a canonical multibulk. */
static void encode_request(buf *o, const resp_parser *p) {
    reply_array(o, p->argc);
    for (int i = 0; i < p->argc; i++) reply_bulk(o, p->argv[i].p, p->argv[i].len);
}

/* Parses what `in` holds, as the server's process_input does; appends each
 * request to reqs. RESP_NEED_MORE once all is used up, or RESP_ERR. */
static int drain(resp_parser *p, buf *in, buf *reqs) {
    while (buf_unread(in)) {
        size_t before = in->pos;
        int r = resp_parse(p, in);
        FUZZ_CHECK(in->pos >= before && in->pos <= in->len);
        if (r == RESP_ERR) FUZZ_CHECK(p->err[0] != '\0');
        if (r != RESP_OK) return r;
        if (p->argc) encode_request(reqs, p);
        resp_args_reset(p);
    }
    return RESP_NEED_MORE;
}

/* Feeds s to a new parser, in one read (pc NULL) or in pieces. */
static int feed(const char *s, size_t n, long long max_bulk, pieces *pc, buf *reqs, char *err, size_t errlen) {
    resp_parser p;
    resp_parser_init(&p, max_bulk, (uint64_t)max_bulk * 3 + 200);  /* small enough to be reached */
    buf in;
    buf_init(&in);
    int r = RESP_NEED_MORE;
    for (size_t at = 0; at < n && r != RESP_ERR;) {
        size_t k = pc ? piece_len(pc, n - at) : n - at;
        buf_append(&in, s + at, k);
        at += k;
        buf_tight(&in);
        r = drain(&p, &in, reqs);
        buf_compact(&in);
    }
    snprintf(err, errlen, "%s", r == RESP_ERR ? p.err : "");
    resp_parser_free(&p);
    buf_free(&in);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    const char *s = (const char *)data + 2;
    size_t n = size - 2;
    pieces pc = pieces_new(data[0]);
    buf whole, split, again;
    buf_init(&whole);
    buf_init(&split);
    buf_init(&again);
    char err1[128], err2[128], err3[128];
    int r1 = feed(s, n, data[1], NULL, &whole, err1, sizeof(err1));
    int r2 = feed(s, n, data[1], &pc, &split, err2, sizeof(err2));
    /* Beyond RESP_INLINE_MAX how much is buffered decides "too big" errors. */
    if (n <= RESP_INLINE_MAX) {
        FUZZ_CHECK(r1 == r2 && strcmp(err1, err2) == 0);
        FUZZ_CHECK(same_bytes(whole.data, whole.len, split.data, split.len));
    }
    int r3 = feed(whole.data, whole.len, 1LL << 40, NULL, &again, err3, sizeof(err3));
    FUZZ_CHECK(r3 == RESP_NEED_MORE);
    FUZZ_CHECK(same_bytes(again.data, again.len, whole.data, whole.len));
    buf_free(&whole);
    buf_free(&split);
    buf_free(&again);
    return 0;
}
