/* idmap: a hash table from a pair of ids (a, b) to a pointer, b never 0.
 * Open addressing; a deleted entry keeps its key as a tombstone so later
 * chains stay intact. Built for keys that come and go for ever (forwarding
 * sessions): rebuilt without tombstones when they and the live keys fill
 * half of it, shrunk when few are live. A zeroed idmap is empty. */
#ifndef RAFTKV_IDMAP_H
#define RAFTKV_IDMAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct idmap { uint64_t *ka, *kb; void **v; size_t cap, live, used; } idmap;

void *idmap_get(const idmap *m, uint64_t a, uint64_t b);  /* NULL if absent */
void idmap_put(idmap *m, uint64_t a, uint64_t b, void *v);  /* (a, b) must be absent */
void idmap_del(idmap *m, uint64_t a, uint64_t b);
void idmap_free(idmap *m);
#endif
