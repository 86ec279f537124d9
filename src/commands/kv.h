/* kv: the replicated key-value state machine. The replica layer hands it
 * each committed log entry, in index order; it decodes the entry (entry.h)
 * and runs the write it carries (cmd_apply) against the store, or records
 * a configuration, then marks the entry applied in the store, so that the
 * entry's data, its index, its term and the key count are written in one
 * LevelDB batch (store.h). Deterministic: the same entries give the same
 * data and replies on every replica and at every replay. */
#ifndef RAFTKV_KV_H
#define RAFTKV_KV_H
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "store.h"

/* Applies the entry (entry.h bytes) at index (store_applied() + 1) of
 * term; its reply goes to reply (NULL when nobody waits). A NOOP entry
 * changes nothing but the applied index. */
void kv_apply(store *f, uint64_t index, uint64_t term, const char *entry, size_t len, buf *reply);
/* Applies a CONFIG entry: records the configuration text (members.h) and,
 * once, that it removed this node (removed); replies +OK. */
/* The cluster time an entry carries (0: none). */
uint64_t kv_entry_time(const char *entry, size_t len);
void kv_apply_conf(store *f, uint64_t index, uint64_t term, const char *text, size_t len, int removed, buf *reply);
#endif
