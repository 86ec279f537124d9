#include "multi.h"
#include "forward.h"
#include "log.h"
#include "node.h"
#include "slot.h"
#include "tx.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is(const command *cmd, const char *name) { return cmd && !strcmp(cmd->name, name); }

static void answer(client *c, const char *reply) {
    buf *out = slot_reply_target(c);
    buf_appendstr(out, reply);
    slot_reply_end(c, out);
}

static int in_multi(const client *c) { return c->tx && c->tx->multi; }

int multi_bad_exec(client *c, int argc, rstr *argv) {
    if (!in_multi(c) || argc == 1 || argv[0].len != 4 || strncasecmp(argv[0].p, "exec", 4)) return 0;
    answer(c, "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n");
    tx_discard(c->tx);
    tx_unwatch(c->tx);
    return 1;
}

void multi_refused(client *c) {
    if (in_multi(c)) c->tx->dirty = 1;
}

/* What a transaction may carry: a command whose apply reads or writes
 * the data and nothing else (no walk over every key, whose views would
 * miss the entry's own writes), and the pure PING, ECHO and UNWATCH. */
static int allowed(const command *cmd, const command *run) {
    if (is(cmd, "ping") || is(cmd, "echo") || is(cmd, "unwatch")) return 1;
    if (is(cmd, "keys") || is(cmd, "scan") || is(cmd, "randomkey") || is(cmd, "acl")) return 0;
    int f = cmd->flags | run->flags;
    return (f & (CMD_WRITE | CMD_READONLY)) && !(f & CMD_LEADER);
}

int multi_queue(client *c, const command *cmd, const command *run, int argc, rstr *argv) {
    if (!in_multi(c) || is(cmd, "exec") || is(cmd, "discard") || is(cmd, "multi") || is(cmd, "watch") ||
        is(cmd, "quit") || is(cmd, "reset"))
        return 0;
    if (!allowed(cmd, run)) {
        answer(c, "-ERR Command not allowed inside a transaction\r\n");
        c->tx->dirty = 1;
    } else if (!tx_queue(c->tx, argc, argv)) {
        answer(c, "-ERR the transaction is larger than the largest request raftkv takes\r\n");
        c->tx->dirty = 1;
    } else {
        answer(c, "+QUEUED\r\n");
    }
    return 1;
}

int multi_control(client *c, const command *cmd) {
    if (is(cmd, "multi")) {
        if (in_multi(c)) {
            answer(c, "-ERR MULTI calls can not be nested\r\n");
        } else {
            tx_of(c)->multi = 1;
            answer(c, "+OK\r\n");
        }
        return 1;
    }
    if (is(cmd, "discard")) {
        if (!in_multi(c)) {
            answer(c, "-ERR DISCARD without MULTI\r\n");
        } else {
            tx_discard(c->tx);
            tx_unwatch(c->tx);
            answer(c, "+OK\r\n");
        }
        return 1;
    }
    if (is(cmd, "unwatch")) {  /* outside MULTI: inside, it is queued */
        if (c->tx) tx_unwatch(c->tx);
        answer(c, "+OK\r\n");
        return 1;
    }
    if (is(cmd, "watch") && in_multi(c)) {
        answer(c, "-ERR WATCH inside MULTI is not allowed\r\n");
        return 1;
    }
    if (!is(cmd, "exec")) return 0;
    if (!in_multi(c)) {
        answer(c, "-ERR EXEC without MULTI\r\n");
        return 1;
    }
    if (c->tx->dirty) {
        answer(c, "-EXECABORT Transaction discarded because of previous errors.\r\n");
        multi_done(c);
        return 1;
    }
    return 0;  /* to propose */
}

void multi_exec_args(client *c, int *argc, rstr **argv) { tx_exec_args(c->tx, argc, argv); }

void multi_done(client *c) {
    tx_free(c->tx);
    c->tx = NULL;
}

int multi_forwarding(const client *c, const command *cmd) {
    if (is(cmd, "reset") || is(cmd, "quit")) return 0;  /* this node's own (RESET ends the leader's side) */
    if (!cmd) return c->fwd_multi;
    return c->fwd_multi || is(cmd, "multi") ||
           (c->fwd_watch && (cmd->flags & (CMD_WRITE | CMD_READONLY) || is(cmd, "exec") || is(cmd, "discard") ||
                             is(cmd, "unwatch"))) ||
           is(cmd, "watch");
}

void multi_forwarded(client *c, const command *cmd, int argc) {
    int ok = cmd_arity_ok(cmd, argc);
    if (is(cmd, "multi") && ok) c->fwd_multi = 1;
    else if (is(cmd, "watch") && ok) c->fwd_watch = 1;
    else if (is(cmd, "exec") || (is(cmd, "discard") && ok)) c->fwd_multi = c->fwd_watch = 0;  /* a bad EXEC ends it too */
}

static void disconnect(client *c) {
    if (c->close_asap) return;
    logmsg(LL_VERBOSE, "Client id=%llu addr=%s closed: its transaction's leader is gone", (unsigned long long)c->id,
           c->addr);
    c->close_asap = 1;
    client_set_reading(c, 0);
    client_queue_output(c);
}

void multi_session_ended(client *c) {
    if (c->fwd_multi || c->fwd_watch) disconnect(c);
}

void multi_leader_changed(void) {
    if (node_is_leader()) return;
    for (client *c = client_list(); c; c = c->next)
        if (c->tx) disconnect(c);
}

void multi_free(client *c) {
    tx_free(c->tx);
    c->tx = NULL;
    c->fwd_multi = c->fwd_watch = 0;
}

void multi_reset(client *c) {
    int forwarding = c->fwd_multi || c->fwd_watch;
    multi_free(c);
    if (forwarding) forward_end(c);  /* the leader's proxy, and the transaction it holds, go */
}
