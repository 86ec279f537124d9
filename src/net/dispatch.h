/* dispatch: what happens to a parsed request. It is looked up and
 * checked (arity, a write's arguments), then routed: forwarded to the
 * leader from a follower, proposed (writes.c), queued behind a read
 * barrier (reads.c), or run at once. A request that cannot go on yet
 * holds its client (not read meanwhile: TCP pushes back) until its reason
 * clears or cluster-request-timeout passes. Also the timer that fails
 * requests past their deadline. */
#ifndef RAFTKV_DISPATCH_H
#define RAFTKV_DISPATCH_H
#include "client.h"
#include "cmd.h"

/* Why a client's next request waits: no leader reachable yet; its reads
 * must be answered before its write goes; the leader has too much
 * uncommitted (backpressure); too much of it is forwarded and unanswered. */
enum { HOLD_NONE, HOLD_LEADER, HOLD_READS, HOLD_BACKLOG, HOLD_FORWARDS, HOLD_APPLIED, HOLD_STOP, HOLD_BLOCKED, HOLD_PROBE };

void dispatch_init(void);
/* Runs the request parsed in c->parser; 0 when it must wait (c is held,
 * the request stays in the parser). */
int dispatch_request(client *c);
/* Runs a command's handler now, its reply appended to out (dispatch_run_at:
 * at a given cluster time, a follower's read: reads.h). 1 when the reply
 * waits for the node to stop (SHUTDOWN: server_await_stop); the callers
 * besides dispatch never run one. */
int dispatch_run_at(client *c, const command *cmd, int argc, rstr *argv, buf *out, uint64_t time_ms);
int dispatch_run(client *c, const command *cmd, int argc, rstr *argv, buf *out);
/* Goes on with the held clients that may; how many did. */
int dispatch_resume_held(void);
/* c is being freed: no longer held. */
void dispatch_client_gone(client *c);

typedef struct dispatch_stats { long long commands, errors; } dispatch_stats;
const dispatch_stats *dispatch_stats_get(void);
void dispatch_stats_reset(void);
#endif
