/* cmd: what the server knows of commands: the table (table.c: name,
 * arity, flags, key positions, handler, docs), looking a command up,
 * checking a write before it is proposed (cmd_validate) and running it
 * once committed (cmd_apply, called by kv_apply). Write commands never
 * touch data when called by a client: the server encodes them as a log
 * entry, and their handler runs inside kv_apply(), identically on every
 * replica. Read and server commands run directly. The handlers live in
 * one file per family (strings.c, keyspace.c, ...; see handlers.h). */
#ifndef RAFTKV_CMD_H
#define RAFTKV_CMD_H
#include <stdatomic.h>
#include <stdint.h>
#include "buf.h"
#include "store.h"
#include "resp.h"

struct client;
typedef struct cmdctx {
    store *f;             /* NULL: validating a write's arguments only (cmd_validate) */
    buf *out;
    struct client *c;   /* NULL inside kv_apply */
    uint64_t time_ms;   /* cluster time: the entry's at apply, the read's when served (handlers.h) */
    /* CMD_LEADER commands that answer later: */
    uint64_t wait_index;  /* once the entry at this index applies */
    int wait_transfer;    /* once the leadership transfer started is under way */
    int wait_stop;        /* SHUTDOWN: no reply unless the stop is called off (server_stop) */
    int applying;         /* inside kv_apply: the store takes writes, randomness comes from the entry */
    int in_tx;            /* inside EXEC: a blocking command answers as if it timed out */
    int probing;          /* a CMD_PROBE write tried as a read: it answers only if it would change nothing */
} cmdctx;

typedef void cmd_proc(cmdctx *x, int argc, rstr *argv);

enum {
    CMD_WRITE = 1 << 0,     /* becomes a log entry */
    CMD_READONLY = 1 << 1,
    CMD_ADMIN = 1 << 2,
    CMD_FAST = 1 << 3,
    CMD_NOSCRIPT = 1 << 4,
    CMD_LOADING = 1 << 5,
    CMD_STALE = 1 << 6,
    CMD_DENYOOM = 1 << 7,
    CMD_NOKEYS = 1 << 8,    /* not a Redis flag: reads no keys (no barrier) */
    CMD_LEADER = 1 << 9,    /* not a Redis flag: runs on the leader (forwarded), not as a log entry */
    CMD_SLICED = 1 << 10,   /* not a Redis flag: may be a long read the server runs in slices (read_job) */
    CMD_NO_AUTH = 1 << 11,  /* may run before the client has authenticated (auth.h) */
    CMD_OFF_LOOP = 1 << 12, /* not a Redis flag: a read whose work may be long (LCS): on the fetch thread */
    CMD_NO_MULTI = 1 << 13, /* refused inside MULTI */
    CMD_BLOCKING = 1 << 14, /* may block its client (BLPOP...): the server's blocking.h serves it */
    CMD_PROBE = 1 << 15,    /* not a Redis flag: a write that often changes nothing (SADD of a member there, a pop
                               of a missing key): the leader may first try it as a read (x->probing), proposing it
                               only if it answered nothing */
    CMD_NO_TOUCH = 1 << 16, /* leaves its keys' OBJECT IDLETIME as it was: Redis's TTL, TYPE, EXISTS (LOOKUP_NOTOUCH), WATCH;
                               DEL and UNLINK, whose keys are gone (and a DEL of a million keys costs no pass) */
};

typedef struct command {
    const char *name;
    int arity;              /* Redis convention: -N means at least N */
    int flags;
    int first, last, step;  /* key positions */
    int keynum;             /* > 0: argv[keynum] counts the keys after it (movablekeys) */
    cmd_proc *proc;
    const struct command *subs;  /* subcommand table, NULL-terminated */
    const char *group, *since, *summary, *complexity;
    /* statistics: failed ran and answered an error; rejected was refused
     * before it ran (arity, NOAUTH, NOPERM, MISCONF), as Redis counts them */
    long long calls, usec, failed, rejected;
} command;

/* The longest string any command may make, the same on every node: what
 * apply checks (Redis's checkStringLength). A node's proto-max-bulk-len,
 * at most this, is checked before proposing only. */
#define CMD_MAX_STRING (512LL << 20)
/* This node's proto-max-bulk-len (the server sets it), at most CMD_MAX_STRING. */
extern long long cmd_max_string;

command *cmd_lookup(const char *name, size_t len);
/* Before a write is proposed: every check that does not depend on the
 * data (syntax, numbers, offsets and lengths against this node's limits,
 * times against this node's cluster time; apply checks those again).
 * 1 if it may be proposed; 0 with its error reply written to out. */
int cmd_validate(const command *cmd, uint64_t time_ms, int argc, rstr *argv, buf *out);
/* Whether a write, once validated, answers +OK whatever the data (SET
 * without options, MSET): its reply is known as soon as it commits. */
int cmd_ok_when_committed(const command *cmd, int argc);
/* For a container command, the subcommand named by argv[1], or NULL. */
const command *cmd_lookup_sub(const command *cmd, const char *name, size_t len);
/* The latest cluster time a command works with (ms, about 146 million
 * years): an entry's time past it counts as it, so that time arithmetic
 * (a relative expiry added to it) never overflows, whatever an entry says. */
#define CMD_TIME_MAX (1ULL << 62)

/* Runs a committed write (at apply, from kv.c); a command that is not a
 * write is answered an error, the same on every replica. */
void cmd_apply(store *f, uint64_t time_ms, int argc, rstr *argv, buf *reply);
/* Applies an ENTRY_EXPIRE: removes each key whose expiry time_ms has
 * passed (a key written again since is left alone). */
void cmd_expire(store *f, uint64_t time_ms, int argc, rstr *argv);
/* Keys removed because they expired, on this node (INFO stats). */
extern _Atomic long long cmd_expired_keys;
int cmd_arity_ok(const command *cmd, int argc);
/* A HELP reply: n lines as simple strings. */
void cmd_reply_help(buf *o, const char *const *lines, int n);
#define REPLY_HELP(o, lines) cmd_reply_help(o, lines, (int)(sizeof(lines) / sizeof(lines[0])))
void cmd_reply_arity(buf *out, const command *cmd, const command *parent);
void cmd_reply_unknown(buf *out, int argc, rstr *argv);
void cmd_reply_unknown_sub(buf *out, const command *parent, const rstr *sub);
/* Access times, for OBJECT IDLETIME: a command that names keys marks
 * them used on the node that runs it (the leader), in a table of
 * CMD_ACCESS_SLOTS by key hash, as Redis's LRU clock does per object
 * (a slot shared with a busier key makes the idle time shorter, never
 * longer). Seconds of this node's monotonic clock; not replicated: a new
 * leader knows no access before it led (idle 0 then). Any thread.
 * A CMD_NO_TOUCH command marks nothing. */
#define CMD_ACCESS_SLOTS (1u << 20)
void cmd_note_access(const command *cmd, int argc, const rstr *argv, uint64_t now_s);
long long cmd_idle_seconds(const rstr *key, uint64_t now_s);
/* Whether a CMD_PROBE write is worth trying as a read first (reads.h):
 * not with many arguments (a probe's lookups run on the event loop), nor
 * a ZADD with INCR (it always writes). */
int cmd_probe_worth(int argc, const rstr *argv);
/* The positions in argv of the keys a command names, at most cap: first..last
 * by step, then for a command with keynum the keys its count names (as many
 * as argv holds; a count that is not a positive number names none). */
int cmd_keys(const command *cmd, int argc, const rstr *argv, int *pos, int cap);

/* A CMD_BLOCKING command (valid) waits on the keys argv[*from .. *from +
 * *n) for timeout_ms (0: for ever), and pops up to *count elements; 0 if
 * its arguments are not valid (lists.c, for the lists' and sorted sets'). */
int cmd_block_spec(int argc, rstr *argv, int *from, int *n, long long *timeout_ms, long long *count);
/* Iteration over the table for COMMAND and INFO commandstats. */
command *cmd_table(int *n);
/* Lowercase copy of a command name into out (cap bytes). */
void cmd_lower(char *out, size_t cap, const char *s, size_t len);

/* Long reads (keyspace.c): KEYS, and MGET and EXISTS of many keys, over a
 * point-in-time view, in slices so that they never hold the event loop:
 * each step does about budget units of work (a key visited, a fraction of
 * a lookup), and stops after 10 ms whatever is left of it (LONG_MAX: the
 * whole read, no time bound); 1 when done, with the whole reply appended to out; 2 when a
 * key that may hold a large value comes next (store_is_large): the rest
 * is for another thread, after read_job_off_loop(). NULL: the command is
 * no long read (argv[0] names it; argv must outlive the job). */
typedef struct read_job read_job;
read_job *read_job_new(store *f, uint64_t time_ms, int argc, const rstr *argv);
int read_job_step(read_job *j, long budget, buf *out);
size_t read_job_bytes(const read_job *j);  /* of the reply so far */
void read_job_off_loop(read_job *j);
void read_job_free(read_job *j);
/* Runs such a command whole, as its handler. */
void read_job_run(cmdctx *x, int argc, rstr *argv);

/* Server and connection commands (admin_server.c) and the RAFT.* commands (admin_cluster.c). */
cmd_proc client_command, config_command, info_command, hello_command, quit_command,
    select_command, reset_command, command_command, dbsize_command, raft_snapshot_command, raft_node_add_command,
    raft_node_remove_command, raft_transfer_leader_command, raft_info_command, debug_command, shutdown_command;
/* Whether enable-debug-command lets c run DEBUG (admin_server.c). Like
 * Redis, dispatch asks before authentication and ACL: a refused DEBUG gets
 * DEBUG's own error whoever asks. */
int debug_allowed(const struct client *c);
/* Whether the request is a DEBUG that c may run and that walks the data:
 * it runs on the fetch thread, over this node's state as it is now. */
int debug_off_loop(const struct client *c, int argc, const rstr *argv);
/* One line of CLIENT LIST / CLIENT INFO, as Redis 7 writes it (admin_server.c). */
void client_info_line(buf *o, const struct client *c);
/* AUTH and ACL (auth.c). */
cmd_proc auth_command, acl_command, acl_setuser_command, acl_deluser_command;
#endif
