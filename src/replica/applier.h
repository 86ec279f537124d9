/* applier: the state machine port (replica.h) on a thread of its own, so
 * that applying an entry, however large its effect (a 512 MB value, a
 * million keys, FLUSHALL), never holds the event loop: heartbeats, votes
 * and the other clients go on meanwhile.
 *
 * The replica hands committed entries over in order (copied: the core
 * frees its own). The thread applies them to the store (kv.h) a batch at
 * a time, writes each batch to LevelDB in one write, then reports back
 * over an ev_async: the replies, which go to the clients waiting
 * (reply_for), and the index now visible. Reads on the loop go through a
 * read handle of the store, which sees LevelDB only: a batch becomes
 * visible whole, so no read sees half an entry, and a read waits for
 * applier_visible() to reach its read index.
 *
 * A durability point (make_durable) is asked of the thread and answered
 * later: replica_sm_progress() says when to ask again. A write that fails
 * for want of space parks the thread, its batch kept in memory, and is
 * reported (replica_sm_failed); until recover() reopens the store (on the
 * loop), the loop applies what comes, into that batch, and reads go
 * through the store (applier_owned_store). An image install holds the thread
 * (applier_hold: what is queued is dropped, the image supersedes it) while
 * the store is replaced. */
#ifndef RAFTKV_APPLIER_H
#define RAFTKV_APPLIER_H
#include <ev.h>
#include <stdint.h>
#include "buf.h"
#include "replica.h"
#include "store.h"

typedef struct applier applier;

/* reply_for: the entry at index of term applied; the buffer its reply
 * goes to, or NULL (nobody waits). */
applier *applier_new(struct ev_loop *loop, store *f, buf *(*reply_for)(uint64_t index, uint64_t term));
replica_sm_port applier_port(applier *a);
void applier_attach(applier *a, replica *r);
/* Every entry handed over applied, the thread stopped; then the store's
 * last batch is written and synced. */
void applier_free(applier *a);
/* cb hears, on the loop after their replies, the keys each batch wrote
 * (store_take_written). */
void applier_on_written(applier *a, void (*cb)(const char *keys, size_t len));
/* Whether the keys are noted at all: on while something waits for them. */
void applier_track_written(applier *a, int on);
/* Applied and written: what reads may count on. */
uint64_t applier_visible(const applier *a);
/* While a full disk parks the thread, the loop applies, into the store's
 * batch in memory: then reads go through the store itself (this), not a
 * read handle, which would miss that batch. NULL otherwise. */
store *applier_owned_store(const applier *a);
/* Entries handed over and not yet visible; bytes (may be NULL): of those
 * not yet applied. */
uint64_t applier_backlog(const applier *a, uint64_t *bytes);
/* Stops applying for an image install: drops what is queued, waits for
 * the batch under way. applier_release() resumes from the store's state. */
void applier_hold(applier *a);
void applier_release(applier *a);
#endif
