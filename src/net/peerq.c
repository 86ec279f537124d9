#include "peerq.h"
#include "blob.h"
#include "peer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int peer_lane(int type) {
    switch (type) {
    case FR_RAFT: case FR_SNAP: case FR_SNAP_ACK: case FR_READ_INDEX: case FR_READ_INDEX_REPLY: return LANE_RAFT;
    case FR_FORWARD: case FR_FORWARD_REPLY: case FR_FORWARD_CLOSE: return LANE_CLIENT;
    default: return -1;
    }
}

void peerq_init(peerq *q) { memset(q, 0, sizeof(*q)); }

static void frame_free(peerq_frame *f) {
    for (int i = 0; i < f->nblobs; i++) blob_release(f->blobs[i]);
    free(f->blobs);
    free(f->segs);
    free(f->data);
    buf_free(&f->own);
    free(f);
}

void peerq_free(peerq *q) {
    for (int l = 0; l < PEER_LANES; l++)
        while (q->head[l]) {
            peerq_frame *f = q->head[l];
            q->head[l] = f->next;
            frame_free(f);
        }
    peerq_init(q);
}

int peerq_busy(const peerq *q, int lane) { return lane >= 0 && q->head[lane] != NULL; }

static peerq_frame *frame_new(int type, int nsegs) {
    peerq_frame *f = xmalloc(sizeof(*f));
    memset(f, 0, sizeof(*f));
    f->type = type;
    f->segs = xmalloc(sizeof(peerq_seg) * (size_t)nsegs);
    return f;
}

static void seg_add(peerq_frame *f, const char *p, size_t len) {
    if (!len) return;
    f->segs[f->nsegs++] = (peerq_seg){p, len};
    f->total += len;
}

static void enqueue(peerq *q, peerq_frame *f) {
    int l = peer_lane(f->type);
    if (q->tail[l]) q->tail[l]->next = f;
    else q->head[l] = f;
    q->tail[l] = f;
    q->lane_bytes[l] += f->total;
}

void peerq_push_raft(peerq *q, const raft_msg *m) {
    peerq_frame *f = frame_new(FR_RAFT, 2 * (int)m->nentries + 1);
    /* the headers first, all in own, so that its bytes no longer move */
    size_t *ends = xmalloc(sizeof(size_t) * (m->nentries + 1));
    peer_encode_raft_fixed(&f->own, m);
    ends[0] = f->own.len;
    for (size_t i = 0; i < m->nentries; i++) {
        peer_encode_entry_head(&f->own, &m->entries[i]);
        ends[i + 1] = f->own.len;
    }
    f->blobs = xmalloc(sizeof(char *) * (m->nentries ? m->nentries : 1));
    seg_add(f, f->own.data, ends[0]);
    for (size_t i = 0; i < m->nentries; i++) {
        seg_add(f, f->own.data + ends[i], ends[i + 1] - ends[i]);
        if (!m->entries[i].len) continue;
        f->blobs[f->nblobs++] = blob_retain(m->entries[i].data);
        seg_add(f, m->entries[i].data, m->entries[i].len);
    }
    free(ends);
    enqueue(q, f);
}

void peerq_push(peerq *q, int type, const char *head, size_t hlen, buf *body, char *blob, size_t bloblen) {
    peerq_frame *f = frame_new(type, 3);
    buf_append(&f->own, head, hlen);
    seg_add(f, f->own.data, hlen);
    if (body && buf_unread(body)) {
        f->data = body->data;
        seg_add(f, body->data + body->pos, buf_unread(body));
        buf_init(body);
    } else if (body) {
        buf_free(body);
    }
    if (blob) {
        f->blobs = xmalloc(sizeof(char *));
        f->blobs[f->nblobs++] = blob;
        seg_add(f, blob, bloblen);
    }
    enqueue(q, f);
}

/* Appends the next n bytes of f's payload to b. */
static void copy_next(peerq_frame *f, buf *b, size_t n) {
    while (n) {
        const peerq_seg *s = &f->segs[f->cur];
        size_t k = s->len - f->off < n ? s->len - f->off : n;
        buf_append(b, s->p + f->off, k);
        f->off += k;
        f->sent += k;
        n -= k;
        if (f->off == s->len) f->cur++, f->off = 0;
    }
}

/* One more frame of the lane's first into out: a part, or its end. */
static void feed_one(peerq *q, int l, buf *out) {
    peerq_frame *f = q->head[l];
    size_t left = f->total - f->sent;
    size_t s;
    if (left > PEER_PART) {
        s = peer_frame_begin(out, FR_PART);
        char lane = (char)l;
        buf_append(out, &lane, 1);
        buf_put_u32(out, (uint32_t)f->total);
        copy_next(f, out, PEER_PART);
        peer_frame_end(out, s);
        q->lane_bytes[l] -= PEER_PART;
        return;
    }
    s = peer_frame_begin(out, f->type);
    copy_next(f, out, left);
    peer_frame_end(out, s);
    q->lane_bytes[l] -= left;
    q->head[l] = f->next;
    if (!q->head[l]) q->tail[l] = NULL;
    frame_free(f);
}

int peerq_feed(peerq *q, buf *out, size_t upto) {
    while (buf_unread(out) < upto && (q->head[0] || q->head[1])) {
        int l = q->head[q->turn] ? q->turn : !q->turn;
        feed_one(q, l, out);
        q->turn = !l;
    }
    return q->head[0] || q->head[1];
}

/* ---- receiving ---- */

void peer_parts_init(peer_parts *pp) { memset(pp, 0, sizeof(*pp)); }

void peer_parts_free(peer_parts *pp) {
    for (int l = 0; l < PEER_LANES; l++) buf_free(&pp->b[l]);
    peer_parts_init(pp);
}

#define PART_HEAD 5  /* u8 lane, u32 total */

static int part(peer_parts *pp, const char *p, size_t n, char *err, size_t errlen) {
    if (n <= PART_HEAD || (unsigned char)p[0] >= PEER_LANES) { snprintf(err, errlen, "malformed part frame"); return -1; }
    int l = p[0];
    size_t total = get_u32(p + 1);
    buf *b = &pp->b[l];
    if (!b->len) {
        if (total > PEER_MAX_FRAME) { snprintf(err, errlen, "parts of a frame too large"); return -1; }
        buf_reserve(b, total + 1);  /* a byte after the payload: resp_args_adopt() */
        pp->total[l] = total;
    }
    if (total != pp->total[l] || n - PART_HEAD >= total - b->len) {
        snprintf(err, errlen, "parts that disagree on their frame's length");
        return -1;
    }
    buf_append(b, p + PART_HEAD, n - PART_HEAD);
    return 0;
}

int peer_parts_take(peer_parts *pp, int *type, const char **p, size_t *n, char *err, size_t errlen) {
    for (int l = 0; l < PEER_LANES; l++)  /* the last joined payload was handled */
        if (pp->joined[l]) buf_free(&pp->b[l]), pp->joined[l] = 0;
    if (*type == FR_PART) return part(pp, *p, *n, err, errlen);
    int l = peer_lane(*type);
    if (l < 0 || !pp->b[l].len) return 1;  /* whole in itself */
    buf *b = &pp->b[l];
    if (*n != pp->total[l] - b->len) { snprintf(err, errlen, "a frame ends parts of another length"); return -1; }
    buf_append(b, *p, *n);
    pp->joined[l] = 1;
    *p = b->data;
    *n = b->len;
    return 1;
}

int peer_parts_take_buf(peer_parts *pp, int type, buf *out) {
    int l = peer_lane(type);
    if (l < 0 || !pp->joined[l]) return 0;
    *out = pp->b[l];
    buf_init(&pp->b[l]);
    pp->joined[l] = 0;
    return 1;
}
