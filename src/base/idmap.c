#include "idmap.h"
#include "buf.h"
#include <stdlib.h>
#include <string.h>

static size_t idmap_home(const idmap *m, uint64_t a, uint64_t b) {
    uint64_t h = (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xc2b2ae3d27d4eb4fULL);
    return (size_t)(h ^ (h >> 29)) & (m->cap - 1);
}

void *idmap_get(const idmap *m, uint64_t a, uint64_t b) {
    if (!m->cap) return NULL;
    for (size_t i = idmap_home(m, a, b);; i = (i + 1) & (m->cap - 1)) {
        if (!m->v[i] && !m->kb[i]) return NULL;  /* never used: end of the chain */
        if (m->v[i] && m->ka[i] == a && m->kb[i] == b) return m->v[i];
    }
}

static void idmap_insert(idmap *m, uint64_t a, uint64_t b, void *v) {
    size_t i = idmap_home(m, a, b);
    while (m->v[i] || m->kb[i]) i = (i + 1) & (m->cap - 1);
    m->ka[i] = a, m->kb[i] = b, m->v[i] = v;
    m->live++;
    m->used++;
}

/* A fresh table of a size that keeps the live keys at most a quarter full. */
static void idmap_rebuild(idmap *m) {
    idmap old = *m;
    size_t cap = 64;
    while (cap < (old.live + 1) * 4) cap *= 2;
    m->cap = cap;
    m->ka = xmalloc(sizeof(uint64_t) * cap);
    m->kb = xmalloc(sizeof(uint64_t) * cap);
    m->v = xmalloc(sizeof(void *) * cap);
    memset(m->kb, 0, sizeof(uint64_t) * cap);
    memset(m->v, 0, sizeof(void *) * cap);
    m->live = m->used = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.v[i]) idmap_insert(m, old.ka[i], old.kb[i], old.v[i]);
    idmap_free(&old);
}

void idmap_put(idmap *m, uint64_t a, uint64_t b, void *v) {
    if ((m->used + 1) * 2 > m->cap) idmap_rebuild(m);
    idmap_insert(m, a, b, v);
}

void idmap_del(idmap *m, uint64_t a, uint64_t b) {
    if (!m->cap) return;
    for (size_t i = idmap_home(m, a, b);; i = (i + 1) & (m->cap - 1)) {
        if (!m->v[i] && !m->kb[i]) return;
        if (m->v[i] && m->ka[i] == a && m->kb[i] == b) {
            m->v[i] = NULL;
            m->live--;
            if (m->cap > 64 && m->live * 16 < m->cap) idmap_rebuild(m);
            return;
        }
    }
}

void idmap_free(idmap *m) {
    free(m->ka), free(m->kb), free(m->v);
    memset(m, 0, sizeof(*m));
}
