/* walsync: the replica's log port on the WAL (wal.h). A write runs on one
 * sync thread (its appends fdatasync'ed there, so the loop never waits for
 * the disk) and its end is reported on the loop through an ev_async, to
 * replica_write_done(). One write at a time: the replica merges what
 * comes meanwhile into the next one (group commit). */
#ifndef RAFTKV_WALSYNC_H
#define RAFTKV_WALSYNC_H
#include <ev.h>
#include "replica.h"
#include "wal.h"

typedef struct walsync walsync;

/* st: the hard state on disk (its ids are kept, term and vote replaced by
 * each write that carries them). */
walsync *walsync_new(struct ev_loop *loop, wal *w, const wal_state *st);
/* The port, reporting to rep (set once the replica exists). */
replica_log_port walsync_port(walsync *s);
void walsync_attach(walsync *s, replica *rep);
/* Blocks until the write under way, if any, ends, and reports it: for a
 * node that stops. 0 when no write was under way. */
int walsync_wait(walsync *s);
void walsync_free(walsync *s);
#endif
