#include "blob.h"
#include "buf.h"
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct head {
    alignas(16) atomic_size_t refs;
    void *base;  /* what to free: the head itself, or the buffer it was placed in (blob_adopt) */
} head;

static head *head_of(const char *data) { return (head *)(void *)(data - sizeof(head)); }

char *blob_new(size_t len) {
    head *h = xmalloc(sizeof(head) + (len ? len : 1));
    atomic_init(&h->refs, 1);
    h->base = h;
    return (char *)(h + 1);
}

_Static_assert(sizeof(head) == 16 && BLOB_ADOPT_ROOM >= sizeof(head) + 15, "room for a head and its alignment");

char *blob_adopt(char *base, char *data, size_t len) {
    char *d = (char *)((uintptr_t)data & ~(uintptr_t)15);  /* the head before it must be aligned */
    if (len && d != data) memmove(d, data, len);
    head *h = (head *)(void *)(d - sizeof(head));
    atomic_init(&h->refs, 1);
    h->base = base;
    return d;
}

char *blob_copy(const char *p, size_t len) {
    char *d = blob_new(len);
    if (len) memcpy(d, p, len);
    return d;
}

char *blob_retain(const char *data) {
    atomic_fetch_add_explicit(&head_of(data)->refs, 1, memory_order_relaxed);
    return (char *)data;
}

void blob_release(const char *data) {
    if (!data) return;
    head *h = head_of(data);
    if (atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) == 1) free(h->base);
}
