/* image: the snapshot image format, a point-in-time copy of the whole key
 * space plus the Raft position it stands for. A leader produces it in
 * pieces and streams it to a lagging follower; the follower decodes the
 * pieces as they come, however they were split, and loads the records into
 * a fresh LevelDB. The same bytes saved to a file are an image file that
 * img_check_file() verifies. Pure code: no sockets, no LevelDB.
 *
 * Stream, integers little-endian:
 *   header   "RKVSNAP1"              8 bytes of magic
 *            u32 version             4 (1 to 3 are still read)
 *            u64 index, u64 term     last log entry the image includes
 *            u64 cluster_id          refuses an image from another cluster
 *            u32 mlen, mlen bytes    membership as text, e.g.
 *                                    "1=127.0.0.1:7001@17001,2=..."
 *            versions 2 and 3:
 *            u32 alen, alen bytes    the ACL users (acl.h's acl_dump text)
 *            versions 3 and 4:
 *            u64 time                cluster time at index, in ms
 *            u32 dlen, dlen bytes    the deletion buckets (store.h), or none
 *   records  u8 'K' | u32 klen | u32 vlen | key bytes | value bytes
 *            one per user key; keys are unique, in no particular order.
 *            From version 3 a value is in its stored form (store.h:
 *            a tag, the expiry if any, the bytes); before, the bytes.
 *            version 4: after the 'K' record of a collection, its
 *            elements: u8 'C' | u32 sublen | u32 vlen | sub-key | value
 *            (the receiver checks that a 'K' of a collection comes first).
 *   trailer  u8 'E' | u64 number of records
 *            u32 zlib crc32 of every byte before this field
 * klen and vlen are at most IMG_MAX_LEN each (Redis's largest bulk
 * string, stored), mlen at most IMG_MAX_MEMBERS, alen at most IMG_MAX_ACL; neither
 * the membership nor the ACL text holds a NUL byte. An image without ACL
 * users is still read; every image is written as version 4. The record
 * count in the trailer counts 'K' and 'C' records.
 * Nothing may follow the trailer.
 *
 * The crc sits at the end so the encoder can run in one pass. The price is
 * that records reach the decoder's callback before anything vouches for
 * them: a receiver must treat what it wrote as scratch until
 * img_dec_done() says the trailer matched, and throw it away otherwise.
 * Key uniqueness is the encoder's promise; the decoder does not check it
 * (that would mean remembering every key). */
#ifndef RAFTKV_IMAGE_H
#define RAFTKV_IMAGE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "buf.h"

#define IMG_MAGIC "RKVSNAP1"
#define IMG_VERSION 1
#define IMG_VERSION_ACL 2
#define IMG_VERSION_TTL 3
#define IMG_VERSION_COLL 4
#define IMG_MAX_ACL (64u << 20)
/* The longest value a command makes (512 MB, and the 8 bytes BITFIELD
 * may write past it, as Redis's does) in its stored form (store.h:
 * STORE_VALUE_HEAD more), with room to spare; cmd.c checks it. */
#define IMG_MAX_LEN ((512u << 20) + 64)
#define IMG_MAX_MEMBERS (64u << 10)
#define IMG_MAX_DELS (64u << 10)

typedef struct img_header {
    uint64_t index, term, cluster_id;
    char *members;   /* mlen bytes; NUL-terminated when it comes from the decoder */
    size_t mlen;
    char *acl;       /* alen bytes (NULL, 0: none); NUL-terminated from the decoder */
    size_t alen;
    uint64_t time_ms;   /* cluster time at index (0 before version 3) */
    char *dels;         /* dlen bytes (NULL, 0: none) */
    size_t dlen;
    int plain_values;   /* decoder: values are bare bytes (versions 1 and 2) */
} img_header;

/* ---- encoder: appends to a buf, never fails on I/O because it does none ---- */

typedef struct img_enc {
    uint32_t crc;    /* crc32 of all bytes emitted so far */
    uint64_t count;  /* records emitted so far */
} img_enc;

/* Each returns 0, or -1 (appending nothing) when a length is over its
 * limit, so the encoder never writes what the decoder would refuse. */
int img_enc_begin(img_enc *e, buf *out, const img_header *h);
int img_enc_record(img_enc *e, buf *out, const char *k, size_t kl, const char *v, size_t vl);
/* An element of the collection whose record came last. */
int img_enc_elem(img_enc *e, buf *out, const char *sub, size_t sl, const char *v, size_t vl);
void img_enc_end(img_enc *e, buf *out);

/* ---- decoder: incremental ---- */

/* Callbacks; either may be NULL. Pointers are valid only during the call.
 * Returning nonzero stops decoding with an error. */
typedef struct img_cb {
    int (*on_header)(void *ctx, const img_header *h);
    int (*on_record)(void *ctx, const char *k, size_t kl, const char *v, size_t vl);
    int (*on_elem)(void *ctx, const char *sub, size_t sl, const char *v, size_t vl);
} img_cb;

typedef struct img_dec img_dec;

img_dec *img_dec_new(void);
void img_dec_free(img_dec *d);
/* Consumes len bytes, calling back for the header and each complete
 * record. It keeps at most one unfinished record (or header) between
 * calls. 0: fine so far (more may be needed, or the image is done);
 * -1: the stream is bad, see img_dec_error(). Once failed, always -1. */
int img_dec_feed(img_dec *d, const char *data, size_t len, const img_cb *cb, void *ctx);
/* 1 once a trailer with a matching crc and record count was consumed. */
int img_dec_done(const img_dec *d);
/* The stream has ended: NULL if it was a complete, valid image, else why
 * not (an earlier error, or where it was cut short). */
const char *img_dec_finish(img_dec *d);
/* What went wrong and at which stream offset; "" while nothing has. */
const char *img_dec_error(const img_dec *d);
/* The decoded header (members NUL-terminated), NULL until it is complete. */
const img_header *img_dec_header(const img_dec *d);
uint64_t img_dec_count(const img_dec *d);    /* records delivered so far */
uint64_t img_dec_offset(const img_dec *d);   /* stream bytes taken in so far */

/* Decodes the image file at path, writes a short report to out (which may
 * be NULL) and returns 0 if it is a valid image, 1 otherwise. */
int img_check_file(const char *path, FILE *out);

#endif
