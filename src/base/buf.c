#include "buf.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

/* A large allocation asks for transparent huge pages (where THP is
 * "madvise", Debian's default): a 100 MB value copied into fresh memory
 * otherwise takes 25,600 page faults, which on a virtual machine cost more
 * than the copy itself (measured, a 100 MB SET through a follower on the
 * sanitizer build, with the copies of 2026-12-06 removed too: 10-14 s
 * before, 5-8 s after; 3.8 s with THP "always" for every allocation). */
#define HUGE_HINT_MIN (4u << 20)

static void *huge_hint(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
    if (n >= HUGE_HINT_MIN) {
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t from = ((uintptr_t)p + page - 1) & ~(page - 1), to = ((uintptr_t)p + n) & ~(page - 1);
        if (to > from) madvise((void *)from, to - from, MADV_HUGEPAGE);  /* a hint: failure is harmless */
    }
#endif
    return p;
}

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "out of memory allocating %zu bytes\n", n); abort(); }
    return huge_hint(p, n);
}

void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) { fprintf(stderr, "out of memory allocating %zu bytes\n", n); abort(); }
    return huge_hint(p, n);
}

char *xstrndup(const char *s, size_t n) {
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void buf_init(buf *b) { memset(b, 0, sizeof(*b)); }

void buf_free(buf *b) { free(b->data); buf_init(b); }

void buf_reserve(buf *b, size_t extra) {
    if (b->cap - b->len >= extra) return;
    size_t need = b->len + extra, cap = b->cap ? b->cap : 256;
    while (cap < need) cap = cap < (1u << 30) ? cap * 2 : cap + (1u << 30);
    if (b->len >= (1u << 20)) {
        /* only the bytes written move: realloc was measured copying
         * the whole old allocation, pages never written included (64 to
         * 128 MB for a big bulk: 200-400 ms of a release build's loop) */
        char *d = xmalloc(cap);
        memcpy(d, b->data, b->len);
        free(b->data);
        b->data = d;
    } else {
        b->data = xrealloc(b->data, cap);
    }
    b->cap = cap;
}

void buf_append(buf *b, const void *p, size_t n) {
    if (!n) return;
    buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_appendstr(buf *b, const char *s) { buf_append(b, s, strlen(s)); }

void buf_printf(buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0) return;
    buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Drop consumed bytes; cheap when everything was consumed. */
void buf_compact(buf *b) {
    if (b->pos == 0) return;
    if (b->pos == b->len) { b->pos = b->len = 0; return; }
    memmove(b->data, b->data + b->pos, b->len - b->pos);
    b->len -= b->pos;
    b->pos = 0;
}

void buf_put_u32(buf *b, uint32_t v) {
    char t[4];
    set_u32(t, v);
    buf_append(b, t, 4);
}

void buf_put_u64(buf *b, uint64_t v) {
    buf_put_u32(b, (uint32_t)v);
    buf_put_u32(b, (uint32_t)(v >> 32));
}
