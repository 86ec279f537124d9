/* tx: a transaction's data, and its commands' handlers. MULTI's queue and
 * the keys WATCHed (each with what the leader's state machine held when
 * WATCH was served) make EXEC's entry:
 *   EXEC @tx <nwatch> (<key> <state> <index>) x nwatch <n> (<argc> <args>...) x n
 * where state is L<version> (live, that version), A (absent) or S (there
 * but expired), and index the applied index WATCH was served at.
 * exec_command applies it: nil if a watched key was touched since (a
 * live one rewritten, deleted or expired; an absent one written, or
 * deleted again; a stale one written), else every command in order, each
 * reply in one array; all in one entry, so atomically on every replica.
 * The front end (net/multi.c) owns the client side. */
#ifndef RAFTKV_TX_H
#define RAFTKV_TX_H
#include "cmd.h"
#include "entry.h"

typedef struct tx {
    int multi;            /* between MULTI and EXEC / DISCARD */
    int dirty;            /* a command was refused while queuing: EXECABORT */
    buf watches;          /* key, state, index of each watch: u32 length, bytes (one block, however many) */
    int nwatch;
    rstr *args;           /* owned: the queued commands, in entry form */
    int nargs, cap, ncmds;
    size_t bytes;         /* of both, as the parser counts a request (RESP_ARG_OVERHEAD each) */
    buf locals;           /* the queued commands the node runs itself (net/multi.c) */
} tx;

#define TX_TAG "@tx"
/* In EXEC's entry, in the place of a command the node runs itself after
 * the entry applies (server and connection commands: net/multi.c); its
 * apply answers TX_LOCAL_REPLY, which the node replaces. */
#define TX_LOCAL "@local"
#define TX_LOCAL_REPLY "+@local\r\n"
/* The largest transaction, counted as a request: it and its header fit one entry. */
#define TX_MAX_BYTES (ENTRY_MAX_REQUEST - (1ULL << 20))

/* Whether a queued command (cmd, run its subcommand or cmd itself) goes
 * in EXEC's entry: the data commands and the pure PING, ECHO and UNWATCH.
 * Server and connection commands (INFO, CLIENT, CONFIG, SHUTDOWN...) read
 * or change the node or the connection, never the data: a TX_LOCAL takes
 * their place, and an entry naming one is refused at apply. */
int tx_in_entry(const command *cmd, const command *run);

/* c's transaction, made empty when it has none. */
struct client;
tx *tx_of(struct client *c);
void tx_free(tx *t);
/* Queues a command (copied); 0 when that would pass TX_MAX_BYTES. */
int tx_queue(tx *t, int argc, const rstr *argv);
/* Forgets the queued commands (the watches stay). */
void tx_discard(tx *t);
void tx_unwatch(tx *t);
/* EXEC's entry arguments (pointing into t, and into scratch, which must
 * live as long; *argv malloc'd). */
void tx_exec_args(tx *t, int *argc, rstr **argv);

/* WATCH's record of keys argv[1..] (each one's state, and the index the
 * read stands at), appended to out; tx_watch_add() puts it into c's tx,
 * or nothing and 0 if the watches would pass TX_MAX_BYTES (all of it
 * counted as EXEC's entry will carry it). */
void tx_watch_states(cmdctx *x, int argc, rstr *argv, buf *out);
int tx_watch_add(struct client *c, const char *states, size_t len);
/* What WATCH answers, adding nothing, when the watches would pass TX_MAX_BYTES. */
#define TX_ERR_WATCHES "ERR the watched keys are larger than the largest request raftkv takes"

/* Handlers (table.c): WATCH (a read: records into the client's tx),
 * UNWATCH inside a transaction, EXEC's entry (apply). */
cmd_proc watch_command, unwatch_command, exec_command, tx_front_command;
#endif
