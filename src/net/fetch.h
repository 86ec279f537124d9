/* fetch: reads that touch a large value, run on a thread of their own.
 * LevelDB hands a value over whole, so reading a 512 MB one is a second
 * of copying and checksumming: on the event loop that would hold the
 * heartbeats. A read whose keys include one the store marks large
 * (store_is_large) runs here instead, over a read handle or a view taken
 * at the point the loop chose, and its reply comes back to the loop whole
 * (copied when small, else moved). */
#ifndef RAFTKV_FETCH_H
#define RAFTKV_FETCH_H
#include <ev.h>
#include "buf.h"

typedef struct fetch_job fetch_job;
/* The work, on the fetch thread: touches only what arg carries. */
typedef void fetch_fn(void *arg, buf *reply);
/* On the loop, once it ran: ctx NULL when cancelled; reply is the job's
 * (copy it, or take it by swapping in an empty buffer: what is left in it
 * is freed on the fetch thread, which allocated it); arg is the caller's
 * to free. */
typedef void fetch_done(void *ctx, void *arg, buf *reply);

void fetch_init(struct ev_loop *loop);
void fetch_free(void);
fetch_job *fetch_start(fetch_fn *run, void *arg, fetch_done *done, void *ctx);
/* The caller is gone: the job ends unreported. */
void fetch_cancel(fetch_job *j);
#endif
