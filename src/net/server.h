/* server: the context every front-end module shares, set once at start-up
 * (server_init): the configuration, the event loop, the state machine and
 * the start time, and the clock deadlines follow. The configuration is
 * main's, at one address for the life of the process (the replica layer
 * keeps a pointer to it too); CONFIG SET replaces it whole. */
#ifndef RAFTKV_SERVER_H
#define RAFTKV_SERVER_H
#include <ev.h>
#include <time.h>
#include "config.h"
#include "store.h"

#define RAFTKV_VERSION "0.1.0"
#define REDIS_COMPAT_VERSION "7.0.15"

/* Start-up, once the node runs: cfg and f stay the caller's. */
void server_init(config *cfg, struct ev_loop *loop, store *f);
const config *server_cfg(void);
/* Replaces the configuration (CONFIG SET: all or nothing) and what is
 * derived from it elsewhere: the log level, the longest string accepted,
 * the default user's password. */
void server_set_cfg(const config *c);
/* The log level, the string bound and the users of a configuration,
 * before or without server_init. */
void server_apply_limits(const config *c);
struct ev_loop *server_loop(void);
store *server_store(void);
time_t server_start_time(void);
/* Seconds of the monotonic clock: a wall-clock step must neither fail
 * every request at once nor let them wait for ever. */
double server_now(void);
/* Stopping (SIGTERM, SIGINT, SHUTDOWN): a leader hands over first, so the
 * others need not wait out an election timeout, and the loop ends once
 * another node leads or after two election timeouts; a follower, now, or
 * a second request ends it at once. */
void server_stop(int now);
/* SHUTDOWN ABORT: calls off a stop waiting for its hand-over (its
 * SHUTDOWN clients get Redis's error); 0 if there is none. */
int server_stop_abort(void);
/* c's SHUTDOWN, whose reply was to go to out (slot_reply_target), waits:
 * answered only if the stop is called off. */
struct client;
void server_await_stop(struct client *c, buf *out);
/* A waiting SHUTDOWN's slot leaves (its client went). */
struct slot;
void server_stop_detach(struct slot *s);
#endif
