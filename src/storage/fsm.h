/* fsm: the replicated state machine, on LevelDB. The only module that knows
 * LevelDB's API. User keys live under prefix 'k', metadata under 'm'; the
 * applied index, its term and the key count are written in the same batch
 * as the data of the entry they cover, so a crash never separates them.
 *
 * On disk, in the node's data dir: LevelDB in "fsm-<generation>", and the
 * file "fsm-current" ("<generation> <installed-at>") naming the live one,
 * replaced atomically. A snapshot received from the leader is built as the
 * next generation beside the live one and switched to by that one rename;
 * any other fsm-* directory is debris of an interrupted transfer and is
 * removed at open. installed-at is the image's index when the generation
 * came from a transfer (0 otherwise): start-up uses it to tell an install
 * cut short before the log was reset from a lost log.
 *
 * Damage: fsm_open() reads the whole live generation with checksums
 * verified and checks the key count, and refuses (with a message saying how
 * to replace the node) on any damage, a missing or malformed fsm-current
 * included; it deletes nothing then. Later reads verify checksums too, and
 * a block that fails stops the process: never a wrong answer.
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

/* Files one LevelDB may hold open (its table cache). Two can be open at
 * once, the live generation and one being built from an image: the
 * server keeps that many descriptors out of the clients' reach. */
#define FSM_MAX_OPEN_FILES 200

/* dir: the node's data dir. */
fsm *fsm_open(const char *dir, char **err);
void fsm_close(fsm *f);
uint64_t fsm_applied(const fsm *f);
uint64_t fsm_applied_term(const fsm *f);
uint64_t fsm_installed_at(const fsm *f);
uint64_t fsm_keys(const fsm *f);
/* The cluster configuration (members.h text) of the last CONFIG entry
 * applied or image installed, kept with the data so a snapshot carries
 * it; NULL when there was none (the founding one is in force). */
const char *fsm_conf(const fsm *f);
/* Records the founding configuration (a new node, before any entry). */
int fsm_set_conf(fsm *f, const char *text);
/* A configuration without this node was applied after one with it. */
int fsm_removed(const fsm *f);
/* Applies one entry at index (must be applied+1) of term; its reply goes
 * to reply (may be NULL when nobody waits). */
void fsm_apply(fsm *f, uint64_t index, uint64_t term, const char *entry, size_t len, buf *reply);
/* Applies a CONFIG entry: records the configuration (and, once, that this
 * node was removed by it); replies +OK. */
void fsm_apply_conf(fsm *f, uint64_t index, uint64_t term, const char *text, size_t len, int removed, buf *reply);
/* Durable up to the applied index; 0 on success. */
int fsm_sync(fsm *f);
/* Writes the open batch without syncing (appendfsync no). */
int fsm_flush_batch(fsm *f);
/* A write failed for want of space: LevelDB's error (else NULL). Applies
 * go on into the open batch, in memory; reads see it; iterators and views
 * cannot be had (NULL) and fsm_sync()/fsm_flush_batch() fail, until
 * fsm_recover() returns 0: it reopens LevelDB once the disk has room and
 * writes the batch (1: not yet; it exits the process if LevelDB cannot
 * be opened again). */
const char *fsm_no_space(const fsm *f);
int fsm_recover(fsm *f);

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

/* A point-in-time view of every user key (a LevelDB snapshot), for sending
 * an image while applies go on. Fills index, term and keys: the point it shows. */
typedef struct fsm_view fsm_view;
fsm_view *fsm_view_new(fsm *f, uint64_t *index, uint64_t *term, uint64_t *keys);
/* The configuration at the view's point (NULL: the founding one). */
const char *fsm_view_conf(const fsm_view *v);
/* Next key and value (valid until the next call); 0 at the end. */
int fsm_view_next(fsm_view *v, const char **k, size_t *kl, const char **val, size_t *vl);
/* A view keeps the generation it reads: an install may replace the state
 * machine under it (the old data goes once the last view is freed). All
 * views must be freed before fsm_close(). */
void fsm_view_free(fsm_view *v);

/* Building the next generation from a received image, beside the live
 * one. Errors are malloc'd messages. */
typedef struct fsm_build fsm_build;
fsm_build *fsm_build_new(fsm *f, char **err);
int fsm_build_put(fsm *f, fsm_build *b, const char *k, size_t kl, const char *v, size_t vl, char **err);
uint64_t fsm_build_count(const fsm_build *b);
/* Deletes what was built. */
void fsm_build_abort(fsm_build *b);
/* Makes the build, as the state at index/term with configuration conf,
 * the live state machine durably (sync, then the pointer's rename); frees
 * b either way. removed: that configuration removed this node. */
int fsm_build_install(fsm *f, fsm_build *b, uint64_t index, uint64_t term, const char *conf, int removed,
                      char **err);
#endif
