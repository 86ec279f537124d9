#include "arena.h"
#include "buf.h"
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
    arena_chunk *next;
    size_t used, cap;
    char data[];
};

static arena_chunk *chunk_new(arena *a, size_t cap) {
    arena_chunk *c = xmalloc(sizeof(*c) + cap);
    c->used = 0;
    c->cap = cap;
    a->bytes += sizeof(*c) + cap;
    return c;
}

static int is_big(size_t n) { return n > ARENA_CHUNK / 4; }

size_t arena_chunk_cost(size_t n) { return sizeof(arena_chunk) + (is_big(n) ? n : ARENA_CHUNK); }

int arena_fits(const arena *a, size_t n) { return !is_big(n) && a->head && a->head->used + n <= a->head->cap; }

char *arena_alloc(arena *a, size_t n) {
    if (is_big(n)) {  /* its own chunk, so the current one keeps serving small requests */
        arena_chunk *c = chunk_new(a, n);
        c->used = n;
        c->next = a->rest;
        a->rest = c;
        return c->data;
    }
    if (!arena_fits(a, n)) {
        if (a->head) a->head->next = a->rest, a->rest = a->head;
        a->head = chunk_new(a, ARENA_CHUNK);
        a->head->next = NULL;
    }
    char *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

char *arena_copy(arena *a, const char *p, size_t n) {
    char *d = arena_alloc(a, n);
    if (n) memcpy(d, p, n);
    return d;
}

size_t arena_bytes(const arena *a) { return a->bytes; }

void arena_reset(arena *a) {
    for (arena_chunk *c = a->rest, *next; c; c = next) {
        next = c->next;
        a->bytes -= sizeof(*c) + c->cap;
        free(c);
    }
    a->rest = NULL;
    if (a->head) a->head->used = 0;
}

void arena_free(arena *a) {
    arena_reset(a);
    free(a->head);
    a->head = NULL;
    a->bytes = 0;
}
