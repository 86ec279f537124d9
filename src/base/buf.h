/* buf: a growable byte buffer with a read offset.
 * Bytes are appended at len and consumed from pos; buf_compact() drops the
 * consumed prefix. Allocation failure aborts (like Redis's zmalloc). */
#ifndef RAFTKV_BUF_H
#define RAFTKV_BUF_H
#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    char *data;
    size_t len;   /* bytes written */
    size_t pos;   /* bytes consumed */
    size_t cap;
} buf;

void buf_init(buf *b);
void buf_free(buf *b);
void buf_reserve(buf *b, size_t extra);
void buf_append(buf *b, const void *p, size_t n);
void buf_appendstr(buf *b, const char *s);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_compact(buf *b);
static inline size_t buf_unread(const buf *b) { return b->len - b->pos; }
/* Little-endian fixed-width fields, for every binary format we write. */
void buf_put_u32(buf *b, uint32_t v);
void buf_put_u64(buf *b, uint64_t v);
static inline uint32_t get_u32(const char *p) {
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}
static inline uint64_t get_u64(const char *p) { return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }
static inline void set_u32(char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (char)(v >> (8 * i));
}
static inline void set_u64(char *p, uint64_t v) {
    set_u32(p, (uint32_t)v);
    set_u32(p + 4, (uint32_t)(v >> 32));
}
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrndup(const char *s, size_t n);

#endif
