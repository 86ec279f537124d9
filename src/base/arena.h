/* arena: bytes handed out from large chunks and taken back all at once,
 * so that many small keys and values cost no malloc and no free each.
 * A request larger than a quarter of a chunk gets a chunk of its own.
 * What arena_alloc() returns stays put until arena_reset(), which keeps
 * one chunk for the next round. One thread. */
#ifndef RAFTKV_ARENA_H
#define RAFTKV_ARENA_H
#include <stddef.h>

#define ARENA_CHUNK (256u << 10)

typedef struct arena_chunk arena_chunk;
typedef struct arena {
    arena_chunk *head;  /* the newest chunk of ARENA_CHUNK bytes: small requests come from it */
    arena_chunk *rest;  /* every other chunk */
    size_t bytes;       /* held, chunk headers included */
} arena;

/* A zeroed arena is an empty one. */
char *arena_alloc(arena *a, size_t n);
/* n bytes copied in. */
char *arena_copy(arena *a, const char *p, size_t n);
/* Whether n bytes would come from the current chunk, with no new one. */
int arena_fits(const arena *a, size_t n);
/* The bytes a new chunk for n adds to arena_bytes(). */
size_t arena_chunk_cost(size_t n);
size_t arena_bytes(const arena *a);
void arena_reset(arena *a);
void arena_free(arena *a);
#endif
