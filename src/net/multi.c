#include "multi.h"
#include "auth.h"
#include "dispatch.h"
#include "forward.h"
#include "log.h"
#include "node.h"
#include "server.h"
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

/* Commands that act on a transaction rather than go into it. */
static int controls(const command *cmd) {
    return is(cmd, "exec") || is(cmd, "discard") || is(cmd, "multi") || is(cmd, "watch") || is(cmd, "quit") ||
           is(cmd, "reset");
}

/* A transaction takes every command but those that answer later on the
 * leader (RAFT.NODE, RAFT.TRANSFER-LEADER): their outcome is not known
 * when the entry applies. */
static int allowed(const command *cmd, const command *run) { return !((cmd->flags | run->flags) & (CMD_LEADER | CMD_NO_MULTI)); }

/* Server and connection commands (tx_in_entry) stay out of the entry:
 * nothing in its apply may depend on them (every replica would answer its
 * own). The node the client is connected to runs them once the entry has
 * applied, their replies in their places in EXEC's (multi_splice); as
 * Redis runs everything after the WATCH check, nothing runs when it
 * fails. */
static int local(const command *cmd, const command *run) { return !tx_in_entry(cmd, run); }

/* A list of commands in one buf: u32 argc, then u32 length and the
 * bytes of each argument. */
static size_t list_size(int argc, const rstr *argv) {
    size_t n = 4;
    for (int i = 0; i < argc; i++) n += 4 + argv[i].len;
    return n;
}

static void list_push(buf *l, int argc, const rstr *argv) {
    buf_put_u32(l, (uint32_t)argc);
    for (int i = 0; i < argc; i++) {
        buf_put_u32(l, (uint32_t)argv[i].len);
        buf_append(l, argv[i].p, argv[i].len);
    }
}

/* The next command of l from *at: its argc (0 at the end) and *argv,
 * each argument NUL-terminated as the parser leaves them (resp_argv_free). */
static int list_next(const buf *l, size_t *at, rstr **argv) {
    if (*at + 4 > l->len) return 0;
    int argc = (int)get_u32(l->data + *at);
    *at += 4;
    *argv = xmalloc(sizeof(rstr) * (size_t)(argc ? argc : 1));
    for (int i = 0; i < argc; i++) {
        size_t n = get_u32(l->data + *at);
        (*argv)[i] = (rstr){xstrndup(l->data + *at + 4, n), n};
        *at += 4 + n;
    }
    return argc;
}

static int queue_local(tx *t, int argc, const rstr *argv) {
    size_t add = list_size(argc, argv);
    rstr ph = {(char *)TX_LOCAL, strlen(TX_LOCAL)};
    if (t->bytes + add > TX_MAX_BYTES || !tx_queue(t, 1, &ph)) return 0;
    list_push(&t->locals, argc, argv);
    t->bytes += add;
    return 1;
}

static int queue(tx *t, const command *cmd, const command *run, int argc, rstr *argv) {
    if (local(cmd, run)) return queue_local(t, argc, argv);
    auth_prepare_write(&argc, &argv);  /* as it would be proposed alone (ACL SETUSER default) */
    return tx_queue(t, argc, argv);
}

int multi_queue(client *c, const command *cmd, const command *run, int argc, rstr *argv) {
    if (!in_multi(c) || controls(cmd)) return 0;
    if (!allowed(cmd, run)) {
        answer(c, "-ERR Command not allowed inside a transaction\r\n");
        c->tx->dirty = 1;
    } else if (!queue(c->tx, cmd, run, argc, argv)) {
        answer(c, "-ERR the transaction is larger than the largest request raftkv takes\r\n");
        c->tx->dirty = 1;
    } else {
        cmd_note_access(cmd, argc, argv, (uint64_t)server_now());  /* its keys count as used when queued */
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

void multi_exec_proposed(client *c, slot *s) {
    /* a proxy's: the follower its client is connected to runs them */
    if (c->tx->locals.len && !c->proxy) {
        s->locals = xmalloc(sizeof(buf));
        *s->locals = c->tx->locals;
        buf_init(&c->tx->locals);
    }
    multi_done(c);
}

/* Runs one command of a list for c, its reply into out. */
static void run_local(client *c, int argc, rstr *argv, buf *out) {
    const command *cmd = cmd_lookup(argv[0].p, argv[0].len), *sub;
    if (cmd && cmd->subs && argc >= 2 && (sub = cmd_lookup_sub(cmd, argv[1].p, argv[1].len))) cmd = sub;
    if (!cmd || !cmd->proc) reply_error(out, "ERR not a command a transaction runs");  /* checked when queued */
    else dispatch_run(c, cmd, argc, argv, out);
}

void multi_splice(client *c, buf *reply, const buf *locals) {
    const char *p = reply->data + reply->pos;
    size_t n = buf_unread(reply), at, placeholder = strlen(TX_LOCAL_REPLY), from = 0;
    long long count;
    const char *eol = n ? memchr(p, '\r', n) : NULL;
    if (!eol || p[0] != '*' || !str2ll(p + 1, (size_t)(eol - p - 1), &count) || count <= 0) return;  /* nil: WATCH failed */
    buf out;
    buf_init(&out);
    at = (size_t)(eol - p) + 2;
    buf_append(&out, p, at);
    for (long long i = 0; i < count; i++) {
        long long len = resp_value_len(p + at, n - at);
        if (len < 0) break;
        rstr *argv;
        int argc;
        if ((size_t)len == placeholder && !memcmp(p + at, TX_LOCAL_REPLY, placeholder) &&
            (argc = list_next(locals, &from, &argv)) > 0) {
            run_local(c, argc, argv, &out);
            resp_argv_free(argv, argc, NULL);
        } else {
            buf_append(&out, p + at, (size_t)len);
        }
        at += (size_t)len;
    }
    buf_append(&out, p + at, n - at);
    buf_free(reply);
    *reply = out;
}

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

void multi_forwarded(client *c, const command *cmd, int argc, rstr *argv) {
    int ok = cmd_arity_ok(cmd, argc);
    if (is(cmd, "multi") && ok && !c->fwd_multi) {
        c->fwd_multi = 1;
        c->fwd_queued = 0;
        buf_free(&c->fwd_locals);
    } else if (is(cmd, "watch") && ok) {
        c->fwd_watch = 1;
    } else if (is(cmd, "exec") || (is(cmd, "discard") && ok)) {  /* a bad EXEC ends it too */
        if (is(cmd, "exec") && c->fwd_locals.len && c->stail && c->stail->state == SLOT_FWD) {
            c->stail->locals = xmalloc(sizeof(buf));  /* the slot forward_request() just made */
            *c->stail->locals = c->fwd_locals;
            buf_init(&c->fwd_locals);
        }
        buf_free(&c->fwd_locals);
        c->fwd_multi = c->fwd_watch = 0;
    } else if (c->fwd_multi && ok && !controls(cmd)) {
        /* the leader queues it as this node would: a local one is this node's to run */
        const command *run = cmd->subs && argc >= 2 ? cmd_lookup_sub(cmd, argv[1].p, argv[1].len) : NULL;
        if (!run) run = cmd;
        int queued = cmd_arity_ok(run, argc) && allowed(cmd, run);
        c->fwd_queued += queued;
        if (queued && local(cmd, run)) list_push(&c->fwd_locals, argc, argv);
    }
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
    buf_free(&c->fwd_locals);
}

void multi_reset(client *c) {
    int forwarding = c->fwd_multi || c->fwd_watch;
    multi_free(c);
    if (forwarding) forward_end(c);  /* the leader's proxy, and the transaction it holds, go */
}
