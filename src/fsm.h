/* fsm: the replicated state machine, on LevelDB. The only module that knows
 * LevelDB's API. User keys live under prefix 'k', metadata under 'm'; the
 * applied index and key count are written in the same batch as the data of
 * the entry they cover, so a crash never separates them.
 *
 * Writes happen only through fsm_apply(index, entry): the entry is decoded
 * (see entry.h) and executed into an open write batch shared by all the
 * entries applied until the next fsm_sync() / fsm_flush_batch(), which
 * writes it in one LevelDB write. Reads see the open batch. */
#ifndef RAFTKV_FSM_H
#define RAFTKV_FSM_H
#include <stddef.h>
#include <stdint.h>
#include "buf.h"

typedef struct fsm fsm;

fsm *fsm_open(const char *dir, char **err);
void fsm_close(fsm *f);
uint64_t fsm_applied(const fsm *f);
uint64_t fsm_keys(const fsm *f);
/* Applies one entry at index (must be applied+1); its reply goes to reply
 * (may be NULL when nobody waits). */
void fsm_apply(fsm *f, uint64_t index, const char *entry, size_t len, buf *reply);
/* Durable up to the applied index; 0 on success. */
int fsm_sync(fsm *f);
/* Writes the open batch without syncing (appendfsync no). */
int fsm_flush_batch(fsm *f);

/* Reads, outside or inside an apply. A found value is malloc'd: free() it. */
char *fsm_get(fsm *f, const char *key, size_t klen, size_t *vlen);
int fsm_exists(fsm *f, const char *key, size_t klen);

/* Only inside an apply (the entry's command handlers): */
void fsm_put(fsm *f, const char *key, size_t klen, const char *val, size_t vlen);
int fsm_del(fsm *f, const char *key, size_t klen);  /* 1 if it existed */
void fsm_flush(fsm *f);

/* Keys are stored in the order of a stable 64-bit hash, which makes SCAN
 * cursors stateless (cursor = next hash to visit), valid on every replica
 * and across restarts. Iteration starts at the first key with hash >= from. */
uint64_t fsm_key_hash(const char *key, size_t klen);
typedef struct fsm_iter fsm_iter;
fsm_iter *fsm_iter_new(fsm *f, uint64_t from);
int fsm_iter_next(fsm_iter *it, const char **key, size_t *klen, uint64_t *hash); /* 0 at end */
void fsm_iter_free(fsm_iter *it);
/* Approximate on-disk size of the data, for INFO. */
uint64_t fsm_disk_size(fsm *f);
#endif
