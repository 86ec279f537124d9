/* image: encoder and incremental decoder of snapshot images (format in
 * image.h), and the file checker built on the decoder.
 *
 * The decoder walks the stream as a sequence of fixed or length-prefixed
 * units (magic, fixed header, membership, tag, record lengths, record
 * body, trailer). A unit that arrives whole inside one fed chunk is
 * handled in place; only a unit split across chunks is copied into the
 * pending buffer, which therefore never holds more than one unit. */
#include "image.h"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "crc.h"

#define MAGIC_LEN 8
#define FIXED_LEN 32     /* version, index, term, cluster id, mlen */
#define ALEN_LEN 4       /* alen (version 2 and 3) */
#define TIME_LEN 12      /* cluster time, dlen (version 3) */
#define KLENS_LEN 8      /* klen, vlen */
#define TRAILER_LEN 12   /* count, crc (after the 'E' tag) */
#define PEND_KEEP (1u << 20)   /* pending space kept between units */
#define CHECK_CHUNK (1u << 20)

/* ---- encoder ---- */

/* Folds the bytes appended since `from` into the running crc. */
static void enc_crc(img_enc *e, const buf *out, size_t from) {
    e->crc = crc_update(e->crc, out->data + from, out->len - from);
}

int img_enc_begin(img_enc *e, buf *out, const img_header *h) {
    if (h->mlen > IMG_MAX_MEMBERS || memchr(h->members ? h->members : "", 0, h->mlen)) return -1;
    if (h->alen > IMG_MAX_ACL || memchr(h->acl ? h->acl : "", 0, h->alen)) return -1;
    if (h->dlen > IMG_MAX_DELS) return -1;
    e->crc = 0;
    e->count = 0;
    size_t from = out->len;
    buf_append(out, IMG_MAGIC, MAGIC_LEN);
    buf_put_u32(out, IMG_VERSION_COLL);
    buf_put_u64(out, h->index);
    buf_put_u64(out, h->term);
    buf_put_u64(out, h->cluster_id);
    buf_put_u32(out, (uint32_t)h->mlen);
    buf_append(out, h->members, h->mlen);
    buf_put_u32(out, (uint32_t)h->alen);
    buf_append(out, h->acl, h->alen);
    buf_put_u64(out, h->time_ms);
    buf_put_u32(out, (uint32_t)h->dlen);
    buf_append(out, h->dels, h->dlen);
    enc_crc(e, out, from);
    return 0;
}

static int enc_record(img_enc *e, buf *out, const char *tag, const char *k, size_t kl, const char *v, size_t vl) {
    if (kl > IMG_MAX_LEN || vl > IMG_MAX_LEN) return -1;
    size_t from = out->len;
    buf_reserve(out, 1 + KLENS_LEN + kl + vl);
    buf_append(out, tag, 1);
    buf_put_u32(out, (uint32_t)kl);
    buf_put_u32(out, (uint32_t)vl);
    buf_append(out, k, kl);
    buf_append(out, v, vl);
    enc_crc(e, out, from);
    e->count++;
    return 0;
}

int img_enc_record(img_enc *e, buf *out, const char *k, size_t kl, const char *v, size_t vl) {
    return enc_record(e, out, "K", k, kl, v, vl);
}

int img_enc_elem(img_enc *e, buf *out, const char *sub, size_t sl, const char *v, size_t vl) {
    return enc_record(e, out, "C", sub, sl, v, vl);
}

void img_enc_end(img_enc *e, buf *out) {
    size_t from = out->len;
    buf_append(out, "E", 1);
    buf_put_u64(out, e->count);
    enc_crc(e, out, from);
    buf_put_u32(out, e->crc);
}

/* ---- decoder ---- */

typedef enum {
    ST_MAGIC, ST_FIXED, ST_MEMBERS, ST_ALEN, ST_ACL, ST_TIME, ST_DELS, ST_TAG, ST_KLENS, ST_BODY, ST_TRAILER, ST_DONE, ST_FAILED
} dec_state;

struct img_dec {
    dec_state st;
    size_t need;          /* size of the current unit */
    uint64_t off;         /* stream offset where the current unit starts */
    uint32_t crc;         /* over every completed unit */
    uint64_t count;
    uint32_t klen, vlen;  /* of the record whose body is the current unit */
    int elem;             /* that record is a 'C' */
    uint64_t keys;        /* 'K' records so far */
    int have_header;
    uint32_t version;
    img_header h;
    char *pend;           /* the current unit, when it spans chunks */
    size_t plen, pcap;
    char err[192];
};

static int fail(img_dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(img_dec *d, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, sizeof(d->err), fmt, ap);
    va_end(ap);
    d->st = ST_FAILED;
    return -1;
}

img_dec *img_dec_new(void) {
    img_dec *d = xmalloc(sizeof(*d));
    memset(d, 0, sizeof(*d));
    d->st = ST_MAGIC;
    d->need = MAGIC_LEN;
    d->crc = 0;
    return d;
}

void img_dec_free(img_dec *d) {
    if (!d) return;
    free(d->h.members);
    free(d->h.acl);
    free(d->h.dels);
    free(d->pend);
    free(d);
}

static void expect(img_dec *d, dec_state st, size_t need) {
    d->st = st;
    d->need = need;
}

/* Grows the pending buffer only as bytes actually arrive (doubling, capped
 * at the unit size): a length field that promises a huge record costs
 * memory only once the sender really delivers it. */
static void pend_add(img_dec *d, const char *p, size_t n) {
    if (d->pcap - d->plen < n) {
        size_t cap = d->pcap ? d->pcap * 2 : 4096;
        if (cap < d->plen + n) cap = d->plen + n;
        if (cap > d->need) cap = d->need;
        d->pend = xrealloc(d->pend, cap);
        d->pcap = cap;
    }
    memcpy(d->pend + d->plen, p, n);
    d->plen += n;
}

/* After a unit: forget its bytes, and do not let one big record pin its
 * memory for the rest of the transfer. */
static void pend_reset(img_dec *d) {
    d->plen = 0;
    if (d->pcap > PEND_KEEP) {
        free(d->pend);
        d->pend = NULL;
        d->pcap = 0;
    }
}

static int on_magic(img_dec *d, const char *u) {
    if (memcmp(u, IMG_MAGIC, MAGIC_LEN)) return fail(d, "bad magic at offset 0 (not a snapshot image)");
    expect(d, ST_FIXED, FIXED_LEN);
    return 0;
}

static int on_fixed(img_dec *d, const char *u) {
    uint32_t version = get_u32(u);
    if (version < IMG_VERSION || version > IMG_VERSION_COLL)
        return fail(d, "unknown image version %" PRIu32 " at offset %" PRIu64, version, d->off);
    d->version = version;
    d->h.plain_values = version < IMG_VERSION_TTL;
    d->h.index = get_u64(u + 4);
    d->h.term = get_u64(u + 12);
    d->h.cluster_id = get_u64(u + 20);
    uint32_t mlen = get_u32(u + 28);
    if (mlen > IMG_MAX_MEMBERS)
        return fail(d, "membership length %" PRIu32 " over the limit of %u at offset %" PRIu64,
                    mlen, IMG_MAX_MEMBERS, d->off + 28);
    d->h.mlen = mlen;
    expect(d, ST_MEMBERS, mlen);
    return 0;
}

static int header_done(img_dec *d, const img_cb *cb, void *ctx);

static int on_members(img_dec *d, const char *u, const img_cb *cb, void *ctx) {
    if (memchr(u, 0, d->h.mlen)) return fail(d, "NUL byte in membership at offset %" PRIu64, d->off);
    d->h.members = xstrndup(u, d->h.mlen);
    if (d->version >= IMG_VERSION_ACL) {
        expect(d, ST_ALEN, ALEN_LEN);
        return 0;
    }
    return header_done(d, cb, ctx);
}

static int on_alen(img_dec *d, const char *u) {
    uint32_t alen = get_u32(u);
    if (alen > IMG_MAX_ACL)
        return fail(d, "ACL length %" PRIu32 " over the limit of %u at offset %" PRIu64, alen, IMG_MAX_ACL, d->off);
    d->h.alen = alen;
    expect(d, ST_ACL, alen);
    return 0;
}

static int on_acl(img_dec *d, const char *u, const img_cb *cb, void *ctx) {
    if (memchr(u, 0, d->h.alen)) return fail(d, "NUL byte in the ACL users at offset %" PRIu64, d->off);
    d->h.acl = d->h.alen ? xstrndup(u, d->h.alen) : NULL;
    if (d->version >= IMG_VERSION_TTL) {
        expect(d, ST_TIME, TIME_LEN);
        return 0;
    }
    return header_done(d, cb, ctx);
}

static int on_time(img_dec *d, const char *u, const img_cb *cb, void *ctx) {
    d->h.time_ms = get_u64(u);
    uint32_t dlen = get_u32(u + 8);
    if (dlen > IMG_MAX_DELS)
        return fail(d, "deletions length %" PRIu32 " over the limit of %u at offset %" PRIu64, dlen, IMG_MAX_DELS,
                    d->off + 8);
    d->h.dlen = dlen;
    if (!dlen) return header_done(d, cb, ctx);
    expect(d, ST_DELS, dlen);
    return 0;
}

static int on_dels(img_dec *d, const char *u, const img_cb *cb, void *ctx) {
    d->h.dels = xstrndup(u, d->h.dlen);
    return header_done(d, cb, ctx);
}

static int header_done(img_dec *d, const img_cb *cb, void *ctx) {
    d->have_header = 1;
    if (cb && cb->on_header && cb->on_header(ctx, &d->h))
        return fail(d, "stopped by the header callback at offset %" PRIu64, d->off);
    expect(d, ST_TAG, 1);
    return 0;
}

static int on_tag(img_dec *d, const char *u) {
    d->elem = *u == 'C';
    if (*u == 'K') expect(d, ST_KLENS, KLENS_LEN);
    else if (*u == 'C' && d->version >= IMG_VERSION_COLL && d->keys) expect(d, ST_KLENS, KLENS_LEN);
    else if (*u == 'E') expect(d, ST_TRAILER, TRAILER_LEN);
    else if (*u == 'C')
        return fail(d, "element record before any key record, or in a version %" PRIu32 " image, at offset %" PRIu64,
                    d->version, d->off);
    else return fail(d, "bad record tag 0x%02x at offset %" PRIu64, (unsigned char)*u, d->off);
    return 0;
}

static int on_klens(img_dec *d, const char *u) {
    d->klen = get_u32(u);
    d->vlen = get_u32(u + 4);
    if (d->klen > IMG_MAX_LEN)
        return fail(d, "key length %" PRIu32 " over the limit at offset %" PRIu64, d->klen, d->off);
    if (d->vlen > IMG_MAX_LEN)
        return fail(d, "value length %" PRIu32 " over the limit at offset %" PRIu64, d->vlen, d->off + 4);
    expect(d, ST_BODY, (size_t)d->klen + d->vlen);
    return 0;
}

static int on_body(img_dec *d, const char *u, const img_cb *cb, void *ctx) {
    int (*fn)(void *, const char *, size_t, const char *, size_t) = !cb ? NULL : d->elem ? cb->on_elem : cb->on_record;
    if (fn && fn(ctx, u, d->klen, u + d->klen, d->vlen))
        return fail(d, "stopped by the record callback at offset %" PRIu64, d->off);
    d->keys += !d->elem;
    d->count++;
    expect(d, ST_TAG, 1);
    return 0;
}

/* The crc comes first: a count that disagrees under a bad crc is just
 * damage, while one that disagrees under a good crc is an encoder bug. */
static int on_trailer(img_dec *d, const char *u) {
    uint64_t count = get_u64(u);
    uint32_t crc = get_u32(u + 8);
    if (crc != d->crc)
        return fail(d, "crc mismatch at offset %" PRIu64 ": image says %08" PRIx32 ", data gives %08" PRIx32,
                    d->off + 8, crc, d->crc);
    if (count != d->count)
        return fail(d, "record count mismatch at offset %" PRIu64 ": trailer says %" PRIu64
                    ", image has %" PRIu64, d->off, count, d->count);
    expect(d, ST_DONE, 0);
    return 0;
}

/* Handles one complete unit u of d->need bytes. */
static int on_unit(img_dec *d, const char *u, const img_cb *cb, void *ctx) {
    /* The trailer's own crc field is the one part the crc does not cover. */
    size_t covered = d->st == ST_TRAILER ? TRAILER_LEN - 4 : d->need;
    d->crc = crc_update(d->crc, u, covered);
    switch (d->st) {
    case ST_MAGIC: return on_magic(d, u);
    case ST_FIXED: return on_fixed(d, u);
    case ST_MEMBERS: return on_members(d, u, cb, ctx);
    case ST_ALEN: return on_alen(d, u);
    case ST_ACL: return on_acl(d, u, cb, ctx);
    case ST_TIME: return on_time(d, u, cb, ctx);
    case ST_DELS: return on_dels(d, u, cb, ctx);
    case ST_TAG: return on_tag(d, u);
    case ST_KLENS: return on_klens(d, u);
    case ST_BODY: return on_body(d, u, cb, ctx);
    case ST_TRAILER: return on_trailer(d, u);
    default: return fail(d, "internal error: decoder in state %d", (int)d->st);
    }
}

int img_dec_feed(img_dec *d, const char *data, size_t len, const img_cb *cb, void *ctx) {
    while (d->st != ST_DONE && d->st != ST_FAILED) {
        const char *u;
        size_t size = d->need;
        if (d->plen == 0 && len >= size) {
            /* Whole unit in this chunk (always so for empty ones). */
            u = data;
            data += size;
            len -= size;
        } else {
            if (len == 0) break;
            size_t take = size - d->plen < len ? size - d->plen : len;
            pend_add(d, data, take);
            data += take;
            len -= take;
            if (d->plen < size) break;
            u = d->pend;
        }
        if (on_unit(d, u, cb, ctx)) return -1;
        d->off += size;
        pend_reset(d);
    }
    if (d->st == ST_FAILED) return -1;
    if (len) return fail(d, "%zu trailing bytes after the trailer at offset %" PRIu64, len, d->off);
    return 0;
}

int img_dec_done(const img_dec *d) { return d->st == ST_DONE; }

const char *img_dec_error(const img_dec *d) { return d->err; }

const img_header *img_dec_header(const img_dec *d) { return d->have_header ? &d->h : NULL; }

uint64_t img_dec_count(const img_dec *d) { return d->count; }

uint64_t img_dec_offset(const img_dec *d) { return d->off + d->plen; }

static const char *unit_name(dec_state st) {
    switch (st) {
    case ST_MAGIC: case ST_FIXED: case ST_MEMBERS: case ST_ALEN: case ST_ACL: case ST_TIME: case ST_DELS: return "header";
    case ST_TAG: return "record tag";
    case ST_KLENS: case ST_BODY: return "record";
    default: return "trailer";
    }
}

const char *img_dec_finish(img_dec *d) {
    if (d->st == ST_DONE) return NULL;
    if (d->st != ST_FAILED)
        fail(d, "truncated at offset %" PRIu64 " (inside the %s starting at offset %" PRIu64 ")",
             img_dec_offset(d), unit_name(d->st), d->off);
    return d->err;
}

/* ---- file check ---- */

static void report(FILE *out, const char *path, const img_dec *d, uint64_t bytes, const char *why) {
    if (!out) return;
    fprintf(out, "image %s\n", path);
    const img_header *h = img_dec_header(d);
    if (h) {
        fprintf(out, "index %" PRIu64 ", term %" PRIu64 ", cluster id %016" PRIx64 "\n",
                h->index, h->term, h->cluster_id);
        fprintf(out, "members: %s\n", h->members);
    }
    fprintf(out, "records: %" PRIu64 ", bytes: %" PRIu64 "\n", img_dec_count(d), bytes);
    if (why) fprintf(out, "image BAD: %s\n", why);
    else fprintf(out, "image OK\n");
}

int img_check_file(const char *path, FILE *out) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (out) fprintf(out, "image %s: cannot open: %s\n", path, strerror(errno));
        return 1;
    }
    img_dec *d = img_dec_new();
    char *chunk = xmalloc(CHECK_CHUNK);
    const char *why = NULL;
    uint64_t bytes = 0;
    size_t n;
    while (!why && (n = fread(chunk, 1, CHECK_CHUNK, f)) > 0) {
        bytes += n;
        if (img_dec_feed(d, chunk, n, NULL, NULL)) why = img_dec_error(d);
    }
    if (!why && ferror(f)) {
        fail(d, "read error after %" PRIu64 " bytes: %s", bytes, strerror(errno));
        why = img_dec_error(d);
    }
    if (!why) why = img_dec_finish(d);
    report(out, path, d, bytes, why);
    int rc = why ? 1 : 0;
    free(chunk);
    img_dec_free(d);
    fclose(f);
    return rc;
}
