/* fuzz_image: the snapshot image decoder (image.c), which a follower runs
 * on the image chunks a leader streams to it. Input: byte 0 seeds how the
 * stream is cut into chunks; byte 1, when not 0, makes a callback stop
 * the decoder (1: the header's, k: the (k-1)th record's); the rest is the
 * stream. When its last 4 bytes are zero they are replaced by the crc of
 * what precedes them, so that mutations reach past the trailer's check.
 * Invariants: the stream decodes the same in one chunk and in
 * random-sized chunks (same header, records, outcome and error text, which
 * names stream offsets, but for the count of trailing bytes, which is the
 * chunk's); the decoder never reports having taken more bytes than it was
 * given, and all of them once done; once failed it stays failed; a stream
 * it accepts encodes back to exactly the same bytes (when it is of the
 * version the encoder writes: it reads the older ones, never writes them). */
#include "fuzzlib.h"
#include "image.h"
#include "crc.h"

typedef struct sink {
    buf recs;           /* kind ('K' or 'C'), klen, vlen, key, value of each record */
    buf header;         /* index, term, cluster id, time, mlen, members, alen, acl, dlen, dels */
    long stop_at;       /* -1: never; 0: at the header; k: at record k-1 */
    long got;
} sink;

static int on_header(void *ctx, const img_header *h) {
    sink *s = ctx;
    FUZZ_CHECK(s->header.len == 0 && strlen(h->members) == h->mlen);
    buf_put_u64(&s->header, h->index);
    buf_put_u64(&s->header, h->term);
    buf_put_u64(&s->header, h->cluster_id);
    buf_put_u64(&s->header, h->time_ms);
    buf_put_u32(&s->header, (uint32_t)h->mlen);
    buf_append(&s->header, h->members, h->mlen);
    buf_put_u32(&s->header, (uint32_t)h->alen);
    buf_append(&s->header, h->acl, h->alen);
    buf_put_u32(&s->header, (uint32_t)h->dlen);
    buf_append(&s->header, h->dels, h->dlen);
    return s->stop_at == 0;
}

static int seen(sink *s, const char *kind, const char *k, size_t kl, const char *v, size_t vl) {
    FUZZ_CHECK(s->header.len > 0);
    if (++s->got == s->stop_at) return 1;
    buf_append(&s->recs, kind, 1);
    buf_put_u32(&s->recs, (uint32_t)kl);
    buf_put_u32(&s->recs, (uint32_t)vl);
    buf_append(&s->recs, k, kl);
    buf_append(&s->recs, v, vl);
    return 0;
}

static int on_record(void *ctx, const char *k, size_t kl, const char *v, size_t vl) {
    return seen(ctx, "K", k, kl, v, vl);
}

static int on_elem(void *ctx, const char *k, size_t kl, const char *v, size_t vl) {
    return seen(ctx, "C", k, kl, v, vl);
}

typedef struct result {
    sink s;
    int ok;
    char err[192];
} result;

/* Decodes s (in one chunk when pc is NULL); fills r. */
static void decode(const char *s, size_t n, pieces *pc, long stop_at, result *r) {
    memset(r, 0, sizeof(*r));
    r->s.stop_at = stop_at;
    img_cb cb = {on_header, on_record, on_elem};
    img_dec *d = img_dec_new();
    int failed = 0;
    size_t at = 0;
    do {
        size_t k = pc ? piece_len(pc, n - at) : n - at;
        char *chunk = xmalloc(k);  /* exactly k bytes: ASan sees a read past them */
        if (k) memcpy(chunk, s + at, k);
        int rc = img_dec_feed(d, chunk, k, &cb, &r->s);
        free(chunk);
        at += k;
        FUZZ_CHECK(rc == 0 || rc == -1);
        FUZZ_CHECK(img_dec_offset(d) <= at);
        if (failed) FUZZ_CHECK(rc == -1);
        failed = rc < 0;
    } while (at < n);
    const char *why = img_dec_finish(d);
    FUZZ_CHECK(!failed || why != NULL);
    r->ok = why == NULL;
    FUZZ_CHECK(r->ok == img_dec_done(d));
    if (r->ok) FUZZ_CHECK(img_dec_offset(d) == n && (uint64_t)r->s.got == img_dec_count(d));
    snprintf(r->err, sizeof(r->err), "%s", why ? why : "");
    img_dec_free(d);
}

static void free_result(result *r) {
    buf_free(&r->s.recs);
    buf_free(&r->s.header);
}

/* An accepted image, encoded again from what the callbacks saw. */
static void reencode(const result *r, buf *out) {
    const char *h = r->s.header.data, *p = r->s.recs.data, *end = p ? p + r->s.recs.len : p;
    uint32_t ml = get_u32(h + 32), al = get_u32(h + 36 + ml), dl = get_u32(h + 40 + ml + al);
    img_header hd = {get_u64(h), get_u64(h + 8), get_u64(h + 16), (char *)h + 36, ml, (char *)h + 40 + ml, al,
                     get_u64(h + 24), (char *)h + 44 + ml + al, dl, 0};
    img_enc e;
    FUZZ_CHECK(img_enc_begin(&e, out, &hd) == 0);
    while (p < end) {
        uint32_t kl = get_u32(p + 1), vl = get_u32(p + 5);
        FUZZ_CHECK((*p == 'C' ? img_enc_elem : img_enc_record)(&e, out, p + 9, kl, p + 9 + kl, vl) == 0);
        p += 9 + kl + vl;
    }
    img_enc_end(&e, out);
}

/* Error texts must match; but "N trailing bytes" counts those of the
 * chunk that brought them, so there only what follows the count must. */
static int same_error(const char *a, const char *b) {
    const char *ta = strstr(a, " trailing bytes after"), *tb = strstr(b, " trailing bytes after");
    return ta && tb ? strcmp(ta, tb) == 0 : strcmp(a, b) == 0;
}

static void run(const char *s, size_t n, uint8_t seed, long stop_at) {
    pieces pc = pieces_new(seed);
    result whole, split;
    decode(s, n, NULL, stop_at, &whole);
    decode(s, n, &pc, stop_at, &split);
    FUZZ_CHECK(whole.ok == split.ok && same_error(whole.err, split.err));
    FUZZ_CHECK(same_bytes(whole.s.header.data, whole.s.header.len, split.s.header.data, split.s.header.len));
    FUZZ_CHECK(same_bytes(whole.s.recs.data, whole.s.recs.len, split.s.recs.data, split.s.recs.len));
    if (whole.ok && get_u32(s + 8) == IMG_VERSION_COLL) {  /* an accepted image has its header */
        buf again;
        buf_init(&again);
        reencode(&whole, &again);
        FUZZ_CHECK(same_bytes(again.data, again.len, s, n));
        buf_free(&again);
    }
    free_result(&whole);
    free_result(&split);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t n = size - 2;
    char *s = xmalloc(n);
    if (n) memcpy(s, data + 2, n);
    if (n >= 4 && get_u32(s + n - 4) == 0) set_u32(s + n - 4, crc_update(0, s, n - 4));
    run(s, n, data[0], data[1] ? (long)data[1] - 1 : -1);
    free(s);
    return 0;
}
