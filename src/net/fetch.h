/* fetch: reads that touch a large value, run on a thread of their own.
 * LevelDB hands a value over whole, so reading a 512 MB one is a second
 * of copying and checksumming: on the event loop that would hold the
 * heartbeats. A read whose keys include one the store marks large
 * (store_is_large) runs here instead, over a read handle pinned at the
 * point the loop chose, and its reply comes back to the loop whole (moved,
 * not copied). The worker touches only what a job carries: the command,
 * its arguments, its read handle and its reply. */
#ifndef RAFTKV_FETCH_H
#define RAFTKV_FETCH_H
#include <ev.h>
#include "buf.h"
#include "cmd.h"
#include "store.h"

typedef struct fetch_job fetch_job;
/* On the loop, once the job ran: reply is the job's (take it by swapping). */
typedef void fetch_done(void *ctx, buf *reply);

void fetch_init(struct ev_loop *loop);
void fetch_free(void);
/* Runs cmd over rd (a pinned read handle; the job frees it) with argv
 * (the job owns it and its strings). */
fetch_job *fetch_start(const command *cmd, int argc, rstr *argv, store *rd, fetch_done *done, void *ctx);
/* The caller is gone: the job ends unreported. */
void fetch_cancel(fetch_job *j);
#endif
