/* Unit tests of the snapshot image codec: round trips, every way of
 * splitting the stream into chunks, every single-byte corruption and every
 * truncation of a small image, the limits, and the file checker. */
#include "crc.h"
#include "image.h"
#include "testlib.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#ifdef __SANITIZE_ADDRESS__        /* gcc */
#define HAVE_ASAN 1
#elif defined(__has_feature)       /* clang */
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
/* Exported by the ASan runtime; lets us see that a promised length was not
 * allocated up front. */
size_t __sanitizer_get_current_allocated_bytes(void);
#define HEAP_BYTES() __sanitizer_get_current_allocated_bytes()
#else
#define HEAP_BYTES() ((size_t)0)
#endif

typedef struct rec {
    const char *k, *v;
    size_t kl, vl;
    int elem;  /* a collection's element ('C'), else a key ('K') */
} rec;

/* What the callbacks saw, checked against what was encoded. */
typedef struct sink {
    const rec *want;
    size_t nwant, got, bad;
    int headers;
    img_header h;
    char members[128];
    long stop_at;      /* on_record fails when got reaches this; -1: never */
    int stop_header;   /* on_header fails */
} sink;

static int on_header(void *ctx, const img_header *h) {
    sink *s = ctx;
    s->headers++;
    s->h = *h;
    snprintf(s->members, sizeof(s->members), "%s", h->members);
    return s->stop_header;
}

static int seen(sink *s, const char *k, size_t kl, const char *v, size_t vl, int elem) {
    if ((long)s->got == s->stop_at) return 1;
    const rec *w = s->got < s->nwant ? &s->want[s->got] : NULL;
    if (!w || w->elem != elem || w->kl != kl || w->vl != vl || memcmp(w->k, k, kl) || memcmp(w->v, v, vl)) s->bad++;
    s->got++;
    return 0;
}

static int on_record(void *ctx, const char *k, size_t kl, const char *v, size_t vl) {
    return seen(ctx, k, kl, v, vl, 0);
}

static int on_elem(void *ctx, const char *k, size_t kl, const char *v, size_t vl) {
    return seen(ctx, k, kl, v, vl, 1);
}

static const img_cb CB = {on_header, on_record, on_elem};

static void sink_init(sink *s, const rec *want, size_t n) {
    memset(s, 0, sizeof(*s));
    s->want = want;
    s->nwant = n;
    s->stop_at = -1;
}

static void encode(buf *out, const img_header *h, const rec *r, size_t n) {
    img_enc e;
    buf_init(out);
    CHECK(img_enc_begin(&e, out, h) == 0);
    for (size_t i = 0; i < n; i++)
        CHECK((r[i].elem ? img_enc_elem : img_enc_record)(&e, out, r[i].k, r[i].kl, r[i].v, r[i].vl) == 0);
    img_enc_end(&e, out);
}

/* Checks that the decoder accepted the whole image and saw exactly it. */
static void check_full(img_dec *d, const sink *s, const img_header *h, size_t n) {
    CHECK(img_dec_done(d));
    CHECKMSG(img_dec_finish(d) == NULL, "finish: %s", img_dec_error(d));
    CHECK(s->headers == 1 && s->bad == 0 && s->got == n && img_dec_count(d) == n);
    CHECK(s->h.index == h->index && s->h.term == h->term && s->h.cluster_id == h->cluster_id);
    CHECK(s->h.mlen == h->mlen && !memcmp(s->members, h->members, h->mlen));
}

/* Decodes p in the chunk sizes that `next` produces; 0 means all went in. */
static int feed_by(img_dec *d, sink *s, const char *p, size_t n,
                   size_t (*next)(unsigned *), unsigned *st) {
    while (n) {
        size_t k = next(st);
        if (k > n) k = n;
        if (img_dec_feed(d, p, k, &CB, s)) return -1;
        p += k;
        n -= k;
    }
    return 0;
}

static size_t one_byte(unsigned *st) { (void)st; return 1; }

/* Mostly small chunks, sometimes large, so units split at every kind of place. */
static size_t random_chunk(unsigned *st) {
    *st = *st * 1103515245u + 12345u;
    unsigned r = *st >> 8;
    return r % 4 ? 1 + r % 97 : 1 + r % 300000;
}

#define MEMBERS "1=127.0.0.1:7001@17001,2=127.0.0.1:7002@17002"
#define DELS "0123456789abcdef"
#define HLEN (40 + sizeof(MEMBERS) - 1 + 4 + 8 + 4 + sizeof(DELS) - 1)   /* header size, where records start */
static const img_header HDR = {42, 7, 0x1234abcd5678ef01ULL, MEMBERS, sizeof(MEMBERS) - 1, NULL, 0, 1764979200000ULL,
                               DELS, sizeof(DELS) - 1, 0};

/* printf into a static buffer, for expected messages with offsets. */
static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...) {
    static char s[256];
    va_list ap;
    va_start(ap, f);
    vsnprintf(s, sizeof(s), f, ap);
    va_end(ap);
    return s;
}

static const rec SMALL[] = {{"a", "1", 1, 1, 0}, {"", "", 0, 0, 0}, {"k\0\xff", "v\r\n\0", 3, 4, 0}, {"key", "", 3, 0, 0}};
#define NSMALL (sizeof(SMALL) / sizeof(SMALL[0]))

static void test_empty(void) {
    img_header h = {0, 0, 0, NULL, 0, NULL, 0, 0, NULL, 0, 0};
    buf b;
    encode(&b, &h, NULL, 0);
    CHECK(b.len == 8 + 32 + 4 + 8 + 4 + 1 + 12);
    sink s;
    sink_init(&s, NULL, 0);
    img_dec *d = img_dec_new();
    CHECK(img_dec_feed(d, b.data, b.len, &CB, &s) == 0);
    h.members = "";
    check_full(d, &s, &h, 0);
    CHECK(img_dec_header(d) && img_dec_header(d)->members[0] == '\0');
    img_dec_free(d);
    buf_free(&b);
}

static void test_small_splits(void) {
    buf b;
    encode(&b, &HDR, SMALL, NSMALL);
    for (size_t cut = 0; cut <= b.len; cut++) {
        sink s;
        sink_init(&s, SMALL, NSMALL);
        img_dec *d = img_dec_new();
        CHECK(img_dec_feed(d, b.data, cut, &CB, &s) == 0);
        CHECK(img_dec_feed(d, b.data + cut, b.len - cut, &CB, &s) == 0);
        check_full(d, &s, &HDR, NSMALL);
        img_dec_free(d);
    }
    sink s;
    sink_init(&s, SMALL, NSMALL);
    img_dec *d = img_dec_new();
    CHECK(feed_by(d, &s, b.data, b.len, one_byte, NULL) == 0);
    check_full(d, &s, &HDR, NSMALL);
    img_dec_free(d);
    buf_free(&b);
}

/* Many records: empty, binary, and one of several MB. */
static rec *make_many(size_t n, char **big, size_t biglen) {
    rec *r = xmalloc(n * sizeof(rec));
    static char bytes[256], keys[1000][16];
    for (int i = 0; i < 256; i++) bytes[i] = (char)i;
    *big = xmalloc(biglen);
    for (size_t i = 0; i < biglen; i++) (*big)[i] = (char)(i * 131 + (i >> 12));
    for (size_t i = 0; i < n; i++) {
        int kl = snprintf(keys[i % 1000], 16, "key:%zu", i);
        r[i] = (rec){keys[i % 1000], bytes, (size_t)kl, i % 257, 0};
    }
    r[0] = (rec){"", "", 0, 0, 0};
    r[1] = (rec){bytes, bytes, 256, 256, 0};
    r[n / 2] = (rec){"big", *big, 3, biglen, 0};
    r[n - 1] = (rec){bytes + 200, "", 56, 0, 0};
    return r;
}

static void test_many(void) {
    size_t n = 1000, biglen = 5u << 20;
    char *big;
    rec *r = make_many(n, &big, biglen);
    buf b;
    encode(&b, &HDR, r, n);
    sink s;
    sink_init(&s, r, n);
    img_dec *d = img_dec_new();
    CHECK(img_dec_feed(d, b.data, b.len, &CB, &s) == 0);
    check_full(d, &s, &HDR, n);
    CHECK(img_dec_offset(d) == b.len);
    img_dec_free(d);
    for (unsigned seed = 1; seed <= 5; seed++) {
        unsigned st = seed;
        sink_init(&s, r, n);
        d = img_dec_new();
        CHECK(feed_by(d, &s, b.data, b.len, random_chunk, &st) == 0);
        check_full(d, &s, &HDR, n);
        img_dec_free(d);
    }
    buf_free(&b);
    free(big);
    free(r);
}

/* Every flip of every byte must stop the image from counting as done. */
static void test_corruption(void) {
    buf b;
    encode(&b, &HDR, SMALL, NSMALL);
    char *c = xmalloc(b.len);
    static const unsigned char masks[] = {0x01, 0x80, 0xff};
    for (size_t i = 0; i < b.len; i++) {
        for (size_t m = 0; m < sizeof(masks); m++) {
            memcpy(c, b.data, b.len);
            c[i] ^= (char)masks[m];
            sink s;
            sink_init(&s, SMALL, NSMALL);
            img_dec *d = img_dec_new();
            int rc = img_dec_feed(d, c, b.len, &CB, &s);
            CHECKMSG(rc == -1 || !img_dec_done(d), "flip %02x at %zu accepted", masks[m], i);
            CHECKMSG(img_dec_finish(d) != NULL, "flip %02x at %zu finished clean", masks[m], i);
            img_dec_free(d);
        }
    }
    free(c);
    buf_free(&b);
}

static void test_truncation(void) {
    buf b;
    encode(&b, &HDR, SMALL, NSMALL);
    for (size_t cut = 0; cut < b.len; cut++) {
        sink s;
        sink_init(&s, SMALL, NSMALL);
        img_dec *d = img_dec_new();
        CHECK(img_dec_feed(d, b.data, cut, &CB, &s) == 0);
        CHECK(!img_dec_done(d));
        const char *why = img_dec_finish(d);
        CHECKMSG(why && strstr(why, "truncated"), "cut %zu: %s", cut, why ? why : "(accepted)");
        CHECK(img_dec_feed(d, b.data + cut, b.len - cut, &CB, &s) == -1); /* finish is final */
        img_dec_free(d);
    }
    buf_free(&b);
}

/* Feeds a whole stream and expects an error that mentions `what`, and
 * that it sticks. */
static void expect_error(const char *p, size_t n, const char *what) {
    sink s;
    sink_init(&s, NULL, 0);
    img_dec *d = img_dec_new();
    CHECK(img_dec_feed(d, p, n, &CB, &s) == -1);
    CHECKMSG(strstr(img_dec_error(d), what), "wanted \"%s\", got \"%s\"", what, img_dec_error(d));
    CHECK(!img_dec_done(d));
    CHECK(img_dec_feed(d, "", 0, &CB, &s) == -1);  /* an error sticks */
    CHECK(img_dec_finish(d) == img_dec_error(d));
    img_dec_free(d);
}

/* Header of HDR followed by a record head with the given lengths. */
static void record_head(buf *b, uint32_t kl, uint32_t vl) {
    img_enc e;
    buf_init(b);
    img_enc_begin(&e, b, &HDR);
    buf_append(b, "K", 1);
    buf_put_u32(b, kl);
    buf_put_u32(b, vl);
}

static void test_limits(void) {
    buf b;
    record_head(&b, IMG_MAX_LEN + 1, 0);
    size_t before = HEAP_BYTES();
    expect_error(b.data, b.len, fmt("key length %u over the limit at offset %zu", IMG_MAX_LEN + 1, HLEN + 1));
    buf_free(&b);
    record_head(&b, 1, 0xffffffffu);
    expect_error(b.data, b.len, fmt("value length 4294967295 over the limit at offset %zu", HLEN + 5));
    buf_free(&b);
    /* At the limit the lengths are legal, yet memory follows the data. */
    record_head(&b, IMG_MAX_LEN, IMG_MAX_LEN);
    buf_append(&b, "some of the key", 15);
    img_dec *d = img_dec_new();
    CHECK(img_dec_feed(d, b.data, b.len, NULL, NULL) == 0);
    CHECKMSG(HEAP_BYTES() - before < (1u << 20), "heap grew by %zu", HEAP_BYTES() - before);
    CHECK(strstr(img_dec_finish(d),
                 fmt("truncated at offset %zu (inside the record starting at offset %zu)", HLEN + 24, HLEN + 9)));
    img_dec_free(d);
    buf_free(&b);
    /* Membership too long, then the encoder's own refusals. */
    img_enc e;
    buf_init(&b);
    img_enc_begin(&e, &b, &HDR);
    set_u32(b.data + 36, IMG_MAX_MEMBERS + 1);
    expect_error(b.data, b.len, "membership length 65537 over the limit");
    char nul[] = "1=a\0b";
    img_header h = {1, 1, 1, nul, 5, NULL, 0, 0, NULL, 0, 0}, big = {1, 1, 1, NULL, IMG_MAX_MEMBERS + 1, NULL, 0, 0, NULL, 0, 0};
    size_t len = b.len;
    CHECK(img_enc_begin(&e, &b, &h) == -1 && img_enc_begin(&e, &b, &big) == -1);
    CHECK(img_enc_record(&e, &b, "k", (size_t)IMG_MAX_LEN + 1, "", 0) == -1);
    CHECK(img_enc_record(&e, &b, "k", 1, "", (size_t)IMG_MAX_LEN + 1) == -1);
    CHECK(b.len == len);
    set_u32(b.data + 36, 5);
    b.len = 40;
    buf_append(&b, nul, 5);
    expect_error(b.data, b.len, "NUL byte in membership at offset 40");
    buf_free(&b);
}

/* A big record split across feeds is held only until it is complete. */
static void test_memory(void) {
    size_t vl = 4u << 20, before = HEAP_BYTES();
    char *v = xmalloc(vl);
    memset(v, 'v', vl);
    rec r[2] = {{"big", v, 3, vl, 0}, {"small", "x", 5, 1, 0}};
    buf b;
    encode(&b, &HDR, r, 2);
    sink s;
    sink_init(&s, r, 2);
    img_dec *d = img_dec_new();
    size_t half = HLEN + 9 + vl / 2, base = HEAP_BYTES();
    CHECK(img_dec_feed(d, b.data, half, &CB, &s) == 0 && s.got == 0);
    CHECK(img_dec_feed(d, b.data + half, b.len - half, &CB, &s) == 0);
    check_full(d, &s, &HDR, 2);
    CHECKMSG(HEAP_BYTES() - base < (64u << 10), "decoder kept %zu bytes", HEAP_BYTES() - base);
    img_dec_free(d);
    buf_free(&b);
    free(v);
    CHECK(HEAP_BYTES() == before);
}

static void test_bad_fields(void) {
    buf b;
    encode(&b, &HDR, SMALL, NSMALL);
    char *c = xmalloc(b.len + 1);
    memcpy(c, b.data, b.len);
    c[3] = 'x';
    expect_error(c, b.len, "bad magic at offset 0");
    memcpy(c, b.data, b.len);
    set_u32(c + 8, 5);
    expect_error(c, b.len, "unknown image version 5 at offset 8");
    memcpy(c, b.data, b.len);
    c[HLEN] = 'X';  /* the first record tag */
    expect_error(c, b.len, fmt("bad record tag 0x58 at offset %zu", HLEN));
    memcpy(c, b.data, b.len);
    c[b.len - 1] ^= 1;
    expect_error(c, b.len, "crc mismatch");
    /* A wrong count under a right crc. */
    memcpy(c, b.data, b.len);
    set_u64(c + b.len - 12, NSMALL + 1);
    set_u32(c + b.len - 4, (uint32_t)crc32(0, (const unsigned char *)c, (unsigned)b.len - 4));
    expect_error(c, b.len, "record count mismatch");
    memcpy(c, b.data, b.len);
    c[b.len] = '!';
    expect_error(c, b.len + 1, "1 trailing bytes after the trailer");
    free(c);
    buf_free(&b);
}

static void test_after_done(void) {
    buf b;
    encode(&b, &HDR, SMALL, NSMALL);
    img_dec *d = img_dec_new();
    CHECK(img_dec_feed(d, b.data, b.len, NULL, NULL) == 0 && img_dec_done(d));
    CHECK(img_dec_feed(d, "", 0, NULL, NULL) == 0 && img_dec_done(d));
    CHECK(img_dec_feed(d, "xy", 2, NULL, NULL) == -1 && !img_dec_done(d));
    CHECK(strstr(img_dec_error(d), "trailing") != NULL);
    img_dec_free(d);
    buf_free(&b);
}

static void test_callback_stop(void) {
    buf b;
    encode(&b, &HDR, SMALL, NSMALL);
    sink s;
    sink_init(&s, SMALL, NSMALL);
    s.stop_at = 2;
    img_dec *d = img_dec_new();
    CHECK(img_dec_feed(d, b.data, b.len, &CB, &s) == -1);
    CHECK(s.got == 2 && s.bad == 0 && img_dec_count(d) == 2);
    CHECK(strstr(img_dec_error(d), "stopped by the record callback") != NULL);
    img_dec_free(d);
    sink_init(&s, SMALL, NSMALL);
    s.stop_header = 1;
    d = img_dec_new();
    CHECK(img_dec_feed(d, b.data, b.len, &CB, &s) == -1 && s.got == 0);
    CHECK(strstr(img_dec_error(d), "stopped by the header callback") != NULL);
    img_dec_free(d);
    buf_free(&b);
}

/* Runs the checker on bytes p, returning its status and report. */
static int check_bytes(const char *p, size_t n, char *report, size_t rlen) {
    char path[] = "/tmp/test_image.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, p, n) == (ssize_t)n);
    close(fd);
    FILE *out = fmemopen(report, rlen, "w");
    int rc = img_check_file(path, out);
    fclose(out);
    unlink(path);
    return rc;
}

static void test_check_file(void) {
    size_t n = 1000;
    char *big, report[4096];
    rec *r = make_many(n, &big, 3u << 20);  /* bigger than one read chunk */
    buf b;
    encode(&b, &HDR, r, n);
    CHECK(check_bytes(b.data, b.len, report, sizeof(report)) == 0);
    CHECKMSG(strstr(report, "image OK") && strstr(report, "records: 1000,"), "%s", report);
    CHECK(strstr(report, "index 42, term 7, cluster id 1234abcd5678ef01") != NULL);
    CHECK(strstr(report, HDR.members) != NULL);
    b.data[b.len / 2] ^= 0x10;  /* inside the big value: only the crc notices */
    CHECK(check_bytes(b.data, b.len, report, sizeof(report)) == 1);
    CHECKMSG(strstr(report, "image BAD: crc mismatch"), "%s", report);
    CHECK(check_bytes(b.data, 100, report, sizeof(report)) == 1);
    CHECKMSG(strstr(report, "image BAD: truncated at offset 100"), "%s", report);
    FILE *out = fmemopen(report, sizeof(report), "w");
    CHECK(img_check_file("/nonexistent/image", out) == 1);
    fclose(out);
    CHECK(strstr(report, "cannot open") != NULL);
    buf_free(&b);
    free(big);
    free(r);
}

/* Every image is written as version 4, its header carrying the ACL users
 * (if any) and the cluster time, split anywhere; versions 1 (no users)
 * and 2 are still read, their values marked plain. */
static void test_acl(void) {
    static const char acl[] = "user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~a* "
                              "resetchannels -@all +get\n";
    img_header h = HDR;
    h.acl = (char *)acl;
    h.alen = sizeof(acl) - 1;
    buf b;
    encode(&b, &h, SMALL, NSMALL);
    CHECK(get_u32(b.data + 8) == IMG_VERSION_COLL);
    for (size_t cut = 1; cut < b.len; cut += 7) {
        sink s;
        sink_init(&s, SMALL, NSMALL);
        img_dec *d = img_dec_new();
        CHECK(img_dec_feed(d, b.data, cut, &CB, &s) == 0);
        CHECK(img_dec_feed(d, b.data + cut, b.len - cut, &CB, &s) == 0);
        CHECK(img_dec_done(d) && s.got == NSMALL && s.bad == 0 && s.headers == 1);
        const img_header *got = img_dec_header(d);
        CHECK(got->alen == h.alen && strcmp(got->acl, acl) == 0);
        CHECK(got->time_ms == HDR.time_ms && !got->plain_values && got->dlen == HDR.dlen &&
              !memcmp(got->dels, DELS, HDR.dlen));
        img_dec_free(d);
    }
    buf_free(&b);
    encode(&b, &HDR, SMALL, NSMALL);
    CHECK(get_u32(b.data + 8) == IMG_VERSION_COLL);
    /* a version 1 image: no ACL length, no time (as a node before them wrote it) */
    buf old;
    buf_init(&old);
    buf_append(&old, b.data, 40 + sizeof(MEMBERS) - 1);
    set_u32(old.data + 8, IMG_VERSION);
    img_enc e1 = {crc_update(0, old.data, old.len), 0};
    for (size_t i = 0; i < NSMALL; i++)
        img_enc_record(&e1, &old, SMALL[i].k, SMALL[i].kl, SMALL[i].v, SMALL[i].vl);
    img_enc_end(&e1, &old);
    sink s1;
    sink_init(&s1, SMALL, NSMALL);
    img_dec *d1 = img_dec_new();
    CHECK(img_dec_feed(d1, old.data, old.len, &CB, &s1) == 0 && img_dec_done(d1) && s1.got == NSMALL);
    CHECK(img_dec_header(d1)->plain_values && img_dec_header(d1)->time_ms == 0 && !img_dec_header(d1)->acl);
    img_dec_free(d1);
    buf_free(&old);
    buf_free(&b);
    /* a NUL in the ACL text is refused by both ends */
    h.acl = (char *)"a\0b";
    h.alen = 3;
    img_enc e;
    buf_init(&b);
    CHECK(img_enc_begin(&e, &b, &h) == -1 && b.len == 0);
    buf_free(&b);
}

/* Version 4: a collection's elements follow its key record, split
 * anywhere; an element record before any key, or in an image of an older
 * version, is refused. */
static void test_elements(void) {
    static const rec R[] = {{"h", "\x04\x01meta", 1, 7, 0}, {"f1", "v1", 2, 2, 1}, {"", "", 0, 0, 1},
                            {"s", "x", 1, 1, 0}, {"z", "\x04\x04m", 1, 3, 0}, {"m\0", "1.5", 2, 3, 1}};
    const size_t n = sizeof(R) / sizeof(R[0]);
    buf b;
    encode(&b, &HDR, R, n);
    for (size_t cut = 0; cut <= b.len; cut++) {
        sink s;
        sink_init(&s, R, n);
        img_dec *d = img_dec_new();
        CHECK(img_dec_feed(d, b.data, cut, &CB, &s) == 0 && img_dec_feed(d, b.data + cut, b.len - cut, &CB, &s) == 0);
        CHECK(img_dec_done(d) && s.got == n && s.bad == 0 && img_dec_count(d) == n);
        img_dec_free(d);
    }
    buf_free(&b);
    static const rec first[] = {{"f1", "v1", 2, 2, 1}};
    encode(&b, &HDR, first, 1);
    expect_error(b.data, b.len,
                 fmt("element record before any key record, or in a version 4 image, at offset %zu", HLEN));
    buf_free(&b);
    encode(&b, &HDR, R, n);
    set_u32(b.data + 8, IMG_VERSION_TTL);  /* the crc no longer matches, but the tag is refused first */
    expect_error(b.data, b.len, "element record before any key record, or in a version 3 image");
    buf_free(&b);
}

int main(void) {
    test_empty();
    test_acl();
    test_elements();
    test_small_splits();
    test_many();
    test_corruption();
    test_truncation();
    test_limits();
    test_memory();
    test_bad_fields();
    test_after_done();
    test_callback_stop();
    test_check_file();
    return test_summary("image");
}
