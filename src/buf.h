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
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrndup(const char *s, size_t n);

#endif
