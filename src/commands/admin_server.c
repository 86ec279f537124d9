/* admin_server: the connection and server commands (CLIENT, CONFIG,
 * INFO, HELLO, COMMAND, SELECT, QUIT, DBSIZE, DEBUG): the ones that read or
 * steer the server rather than data. They run on the node the client
 * reached, through the front end's accessors (server.h, client.h,
 * dispatch.h). */
#include "blocking.h"
#include "auth.h"
#include "client.h"
#include "crc.h"
#include "dispatch.h"
#include "handlers.h"
#include "idmap.h"
#include "log.h"
#include "multi.h"
#include "node.h"
#include "peer.h"
#include "reads.h"
#include "server.h"
#include "tls.h"
#include "tx.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

static int eq(const rstr *a, const char *s) { return strlen(s) == a->len && strncasecmp(a->p, s, a->len) == 0; }


void dbsize_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc; (void)argv;
    reply_int(x->out, (long long)store_keys(x->f));
}

/* DEBUG DIGEST: a digest of this node's own state machine (never
 * forwarded), so tests can see that replicas at the same applied index
 * hold the same data. 40 hex digits, all zeros when empty, as Redis; the
 * digits themselves are raftkv's (160 bits from two FNV-1a lanes and a
 * CRC-32 over every key and value, in storage order). */
static void debug_digest(cmdctx *x) {
    uint64_t index, term, keys, a = 1469598103934665603ULL, b = 0x84222325cbf29ce4ULL;
    uint32_t crc = 0;
    store_view *v = store_views_behind(x->f) ? NULL : store_view_new(x->f, &index, &term, &keys);
    if (!v) { reply_error(x->out, "ERR cannot read the state machine"); return; }
    const char *k, *val;
    size_t kl, vl;
    store_view_elements(v);  /* a collection's elements follow its key, each digested as a key and value are */
    while (store_view_next(v, &k, &kl, &val, &vl)) {
        const char *part[4];
        size_t len[4];
        char lens[16];
        set_u64(lens, kl);
        set_u64(lens + 8, vl);
        part[0] = lens, len[0] = 8, part[1] = k, len[1] = kl, part[2] = lens + 8, len[2] = 8, part[3] = val, len[3] = vl;
        for (int i = 0; i < 4; i++) {
            for (size_t j = 0; j < len[i]; j++) {
                a = (a ^ (unsigned char)part[i][j]) * 1099511628211ULL;
                b = (b ^ (unsigned char)part[i][j]) * 0x100000001b3ULL + 0x9e37;
            }
            crc = crc_update(crc, part[i], len[i]);
        }
    }
    store_view_free(v);
    char hex[48];
    if (keys) snprintf(hex, sizeof(hex), "%016llx%016llx%08x", (unsigned long long)a, (unsigned long long)b, crc);
    else memset(hex, '0', 40), hex[40] = '\0';
    reply_simple(x->out, hex);
}

/* DEBUG walks the whole data (DIGEST): as in Redis 7 it is refused unless
 * enable-debug-command allows it (yes, or local for loopback clients). It
 * runs on the fetch thread (debug_off_loop), so that the walk, which
 * reads every value, deleted ones included until LevelDB compacts them
 * away, never holds the event loop. */
int debug_allowed(const client *c) {
    const char *mode = server_cfg()->enable_debug_command;
    if (!strcasecmp(mode, "yes")) return 1;
    return !strcasecmp(mode, "local") && client_addr_is_local(c->addr);
}

int debug_off_loop(const struct client *c, int argc, const rstr *argv) {
    return argc == 2 && eq(&argv[1], "digest") && debug_allowed(c);
}

void debug_command(cmdctx *x, int argc, rstr *argv) {
    if (x->c && !debug_allowed(x->c)) {  /* without a client: on the fetch thread, allowed (debug_off_loop) */
        reply_error(x->out, "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
                    "you can run it from a local connection, otherwise you need to set this option in the "
                    "configuration file, and then restart the server.");
        return;
    }
    long long id;
    if (argc == 2 && eq(&argv[1], "digest")) {
        debug_digest(x);
    } else if ((argc == 3 || argc == 4) && eq(&argv[1], "drop-peer-links")) {
        int which = argc == 3 ? PEER_LINK_OUT | PEER_LINK_IN
                  : eq(&argv[3], "outbound") ? PEER_LINK_OUT : eq(&argv[3], "inbound") ? PEER_LINK_IN : 0;
        if (!str2ll(argv[2].p, argv[2].len, &id) || id <= 0) reply_error(x->out, "ERR value is not an integer or out of range");
        else if (!which) reply_error(x->out, "ERR syntax error");
        else reply_int(x->out, node_drop_peer_links((uint64_t)id, which));
    } else if (argc == 2 && eq(&argv[1], "help")) {
        static const char *const help[] = {
            "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DIGEST", "    Output a hex signature representing the current DB content.",
            "DROP-PEER-LINKS <node-id> [INBOUND|OUTBOUND]",
            "    Close this node's connections with that peer, as a network fault would: both, the one that",
            "    peer dialled (INBOUND), or the one this node dialled (OUTBOUND).",
            "HELP", "    Print this help.",
        };
        REPLY_HELP(x->out, help);
    } else {  /* Redis 7.0's DEBUG is no container: one text for both */
        reply_errorf(x->out, "ERR unknown subcommand or wrong number of arguments for '%.128s'. Try DEBUG HELP.",
                     argv[1].p);
    }
}

void select_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    long long db;
    if (!arg_int(x, &argv[1], &db)) return;
    if (db != 0) reply_error(x->out, "ERR SELECT is not allowed in cluster mode");
    else reply_ok(x->out);
}

/* RESET: the connection as a new one has it, as Redis 6.2+ does it: no
 * name, database 0, RESP2, the default user (authenticated if it needs no
 * password). raftkv has no MULTI, WATCH, Pub/Sub or tracking state to drop. */
void reset_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc; (void)argv;
    free(x->c->name);
    x->c->name = NULL;
    auth_init_client(x->c);
    multi_reset(x->c);
    reply_simple(x->out, "RESET");
}

void quit_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc; (void)argv;
    reply_ok(x->out);
    x->c->close_after_reply = 1;
}

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], parsed as Redis 7.0 does.
 * The state machine and the log are on disk already: SAVE and NOSAVE
 * change nothing, FORCE has no error to ignore. A leader hands over
 * first unless NOW (server_stop); the client is answered only if the
 * stop is called off. */
void shutdown_command(cmdctx *x, int argc, rstr *argv) {
    int save = 0, nosave = 0, now = 0, force = 0, abort = 0;
    for (int i = 1; i < argc; i++) {
        if (eq(&argv[i], "nosave")) nosave = 1;
        else if (eq(&argv[i], "save")) save = 1;
        else if (eq(&argv[i], "now")) now = 1;
        else if (eq(&argv[i], "force")) force = 1;
        else if (eq(&argv[i], "abort")) abort = 1;
        else { reply_error(x->out, "ERR syntax error"); return; }
    }
    if ((abort && (save || nosave || now || force)) || (save && nosave)) {
        reply_error(x->out, "ERR syntax error");
        return;
    }
    if (abort) {
        if (server_stop_abort()) reply_ok(x->out);
        else reply_error(x->out, "ERR No shutdown in progress.");
        return;
    }
    if (x->c->proxy) {  /* a follower's client forwarded in MULTI: never the leader's to stop */
        reply_error(x->out, "ERR Command not allowed inside a transaction");
        return;
    }
    logmsg(LL_WARNING, "User requested shutdown...");
    server_stop(now);
    x->wait_stop = 1;
}

/* 0, with the error replied, when the name has characters CLIENT LIST
 * could not show. */
static int name_ok(cmdctx *x, const rstr *name) {
    for (size_t i = 0; i < name->len; i++)
        if (name->p[i] < '!' || name->p[i] > '~') {
            reply_error(x->out, "ERR Client names cannot contain spaces, newlines or special characters.");
            return 0;
        }
    return 1;
}

/* HELLO's and CLIENT SETNAME's: 0, with the error replied, for a name
 * name_ok() refuses. */
static int set_name(cmdctx *x, const rstr *name) {
    if (!name_ok(x, name)) return 0;
    free(x->c->name);
    x->c->name = name->len ? xstrndup(name->p, name->len) : NULL;
    return 1;
}

/* HELLO's options as Redis 7.0 takes them: each in turn, taking effect at
 * once (an AUTH or a name stays even if a later option fails, and a
 * client that has not authenticated may name itself). 0, with the error
 * replied, if one fails. dry: check them only (HELLO 3, refused once they
 * are read). */
static int hello_options(cmdctx *x, int argc, rstr *argv, int dry) {
    for (int i = 2; i < argc; i++) {
        if (eq(&argv[i], "auth") && i + 2 < argc) {
            if (!dry && !auth_login(x->c, &argv[i + 1], &argv[i + 2])) {
                reply_error(x->out, ERR_WRONGPASS);
                return 0;
            }
            i += 2;
        } else if (eq(&argv[i], "setname") && i + 1 < argc) {
            i++;
            if (!(dry ? name_ok(x, &argv[i]) : set_name(x, &argv[i]))) return 0;
        } else {
            reply_errorf(x->out, "ERR Syntax error in HELLO option '%s'", argv[i].p);
            return 0;
        }
    }
    return 1;
}

/* HELLO [protover [AUTH username password] [SETNAME clientname]]: the
 * version, the options, then the client must be authenticated (the flag
 * itself, as Redis checks it, not auth_required()). */
void hello_command(cmdctx *x, int argc, rstr *argv) {
    long long ver = 0;
    if (argc >= 2) {
        if (!str2ll(argv[1].p, argv[1].len, &ver)) {
            reply_error(x->out, "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (ver < 2 || ver > 3) { reply_error(x->out, "NOPROTO unsupported protocol version"); return; }
    }
    if (!hello_options(x, argc, argv, ver == 3)) return;
    if (ver == 3) { reply_error(x->out, "NOPROTO unsupported protocol version"); return; }  /* RESP3: not yet */
    if (!x->c->authenticated) {
        reply_error(x->out, "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                    "HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
                    "protocol version at the same time");
        return;
    }
    reply_array(x->out, 14);
    reply_bulkstr(x->out, "server"); reply_bulkstr(x->out, "redis");
    reply_bulkstr(x->out, "version"); reply_bulkstr(x->out, REDIS_COMPAT_VERSION);
    reply_bulkstr(x->out, "proto"); reply_int(x->out, 2);
    reply_bulkstr(x->out, "id"); reply_int(x->out, (long long)x->c->id);
    reply_bulkstr(x->out, "mode"); reply_bulkstr(x->out, "standalone");
    reply_bulkstr(x->out, "role");  /* as INFO replication: a follower that knows its leader is a replica */
    reply_bulkstr(x->out, !node_is_leader() && node_leader() ? "replica" : "master");
    reply_bulkstr(x->out, "modules"); reply_array(x->out, 0);
}

/* ---- CLIENT ---- */

/* CLIENT LIST's flags, those of Redis's that apply, in its order: x in
 * MULTI, b blocked, c closing after its reply, A closing at once; N none. */
static void client_flags(const client *c, char *f) {
    int n = 0;
    if ((c->tx && c->tx->multi) || c->fwd_multi) f[n++] = 'x';
    if (blocking_holds(c)) f[n++] = 'b';
    if (c->close_after_reply) f[n++] = 'c';
    if (c->close_asap) f[n++] = 'A';
    if (!n) f[n++] = 'N';
    f[n] = '\0';
}

/* One line of CLIENT LIST and CLIENT INFO, as Redis 7 writes it. */
void client_info_line(buf *o, const client *c) {
    time_t now = time(NULL);
    char flags[8];
    client_flags(c, flags);
    int multi = c->tx && c->tx->multi ? c->tx->ncmds : c->fwd_multi ? c->fwd_queued : -1;
    buf_printf(o, "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=0 sub=0 psub=0 ssub=0 "
               "multi=%d qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=0 rbs=%zu rbp=0 obl=%zu oll=0 omem=%zu "
               "tot-mem=%zu events=r cmd=%s user=%s redir=-1 resp=2\n",
               (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name : "",
               (long long)(now - c->ctime), (long long)(now - c->atime), flags, multi, buf_unread(&c->in),
               c->in.cap - c->in.len, c->in.cap, buf_unread(&c->out), c->out.cap,
               c->in.cap + c->out.cap + sizeof(*c), c->lastcmd, c->user ? acl_user_name(c->user) : "default");
}

/* The old form, CLIENT KILL addr:port. */
static void client_kill_addr(cmdctx *x, const rstr *addr) {
    for (client *c = client_list(); c; c = c->next)
        if (eq(addr, c->addr)) {
            c->close_after_reply = 1;
            if (c != x->c) { client_free(c); }
            reply_ok(x->out);
            return;
        }
    reply_error(x->out, "ERR No such client");
}

/* CLIENT KILL's filters; a field unset matches every client. */
typedef struct kill_filter {
    unsigned long long id;
    const rstr *addr, *laddr;
    const struct acl_user *user;
    int skipme;
    int nobody;  /* TYPE master, replica, slave or pubsub: no client here is one */
} kill_filter;

/* A client type as Redis names them: 1 normal (every client here), 0 one
 * no client here is, -1 with the error replied. */
static int client_type_arg(cmdctx *x, const rstr *t) {
    if (eq(t, "normal")) return 1;
    if (eq(t, "master") || eq(t, "replica") || eq(t, "slave") || eq(t, "pubsub")) return 0;
    reply_errorf(x->out, "ERR Unknown client type '%s'", t->p);
    return -1;
}

/* 0, with the error replied, if the filters do not parse. */
static int kill_filter_parse(cmdctx *x, int argc, rstr *argv, kill_filter *f) {
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc) { reply_error(x->out, "ERR syntax error"); return 0; }
        const rstr *v = &argv[i + 1];
        long long ll;
        if (eq(&argv[i], "id")) {
            if (!str2ll(v->p, v->len, &ll) || ll <= 0) { reply_error(x->out, "ERR client-id should be greater than 0"); return 0; }
            f->id = (unsigned long long)ll;
        } else if (eq(&argv[i], "type")) {
            int t = client_type_arg(x, v);
            if (t < 0) return 0;
            f->nobody |= !t;
        } else if (eq(&argv[i], "addr")) f->addr = v;
        else if (eq(&argv[i], "laddr")) f->laddr = v;
        else if (eq(&argv[i], "user")) {
            if (!(f->user = auth_find_user(v->p, v->len))) { reply_errorf(x->out, "ERR No such user '%s'", v->p); return 0; }
        }
        else if (eq(&argv[i], "skipme")) {
            if (eq(v, "yes")) f->skipme = 1;
            else if (eq(v, "no")) f->skipme = 0;
            else { reply_error(x->out, "ERR syntax error"); return 0; }
        } else { reply_error(x->out, "ERR syntax error"); return 0; }
    }
    return 1;
}

static void client_kill(cmdctx *x, int argc, rstr *argv) {
    if (argc == 3) { client_kill_addr(x, &argv[2]); return; }
    kill_filter f = {0, NULL, NULL, NULL, 1, 0};
    if (!kill_filter_parse(x, argc, argv, &f)) return;
    long long killed = 0;
    client *next;
    for (client *c = f.nobody ? NULL : client_list(); c; c = next) {
        next = c->next;
        if ((f.id && c->id != f.id) || (f.addr && !eq(f.addr, c->addr)) || (f.laddr && !eq(f.laddr, c->laddr)) ||
            (f.user && c->user != f.user))
            continue;
        if (c == x->c) { if (f.skipme) continue; c->close_after_reply = 1; }
        else client_free(c);
        killed++;
    }
    reply_int(x->out, killed);
}

/* CLIENT LIST [TYPE type] | CLIENT LIST ID id [id ...]: by ID, in the
 * order first named, as Redis answers, save that an ID named again is not
 * listed again (Redis repeats it: a million repeats would be a reply of
 * hundreds of megabytes built in one pass). */
static void client_list_reply(cmdctx *x, int argc, rstr *argv) {
    buf b;
    buf_init(&b);
    if (argc == 4 && eq(&argv[2], "type")) {
        int t = client_type_arg(x, &argv[3]);
        if (t < 0) return;
        for (client *c = t ? client_list() : NULL; c; c = c->next) client_info_line(&b, c);
    } else if (argc > 3 && eq(&argv[2], "id")) {
        idmap by_id = {0};  /* a million IDs against thousands of clients: one lookup each */
        for (client *c = client_list(); c; c = c->next) idmap_put(&by_id, c->id, 1, c);
        for (int i = 3; i < argc; i++) {
            long long id;
            if (!str2ll(argv[i].p, argv[i].len, &id)) {
                idmap_free(&by_id);
                buf_free(&b);
                reply_error(x->out, "ERR Invalid client ID");
                return;
            }
            client *c = idmap_get(&by_id, (uint64_t)id, 1);
            if (c) client_info_line(&b, c), idmap_del(&by_id, c->id, 1);  /* once: a reply bounded by the clients */
        }
        idmap_free(&by_id);
    } else if (argc == 2) {
        for (client *c = client_list(); c; c = c->next) client_info_line(&b, c);
    } else {
        reply_error(x->out, "ERR syntax error");
        return;
    }
    reply_bulk(x->out, b.data ? b.data : "", b.len);
    buf_free(&b);
}

static void client_info_reply(cmdctx *x) {
    buf b;
    buf_init(&b);
    client_info_line(&b, x->c);
    reply_bulk(x->out, b.data, b.len);
    buf_free(&b);
}

void client_command(cmdctx *x, int argc, rstr *argv) {
    client *me = x->c;
    if (eq(&argv[1], "id")) {
        reply_int(x->out, (long long)me->id);
    } else if (eq(&argv[1], "getname")) {
        if (me->name) reply_bulkstr(x->out, me->name); else reply_nil(x->out);
    } else if (eq(&argv[1], "setname")) {
        if (set_name(x, &argv[2])) reply_ok(x->out);
    } else if (eq(&argv[1], "info")) {
        client_info_reply(x);
    } else if (eq(&argv[1], "list")) {
        client_list_reply(x, argc, argv);
    } else if (eq(&argv[1], "kill")) {
        client_kill(x, argc, argv);
    } else {
        static const char *const help[] = {
            "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GETNAME", "    Return the name of the current connection.",
            "ID", "    Return the ID of the current connection.",
            "INFO", "    Return information about the current client connection.",
            "KILL <ip:port>", "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are: ID, ADDR, LADDR, USER, SKIPME.",
            "LIST [ID <id> [<id>...]] [TYPE normal]", "    Return information about client connections.",
            "SETNAME <name>", "    Assign the name <name> to the current connection.",
            "HELP", "    Print this help.",
        };
        REPLY_HELP(x->out, help);
    }
}

/* ---- CONFIG ---- */

/* Each pattern is matched against every option on the loop: a million
 * held it for 1.7 s (release build), so more than this are refused. */
#define CONFIG_GET_MAX_PATTERNS 1024

static void config_get_reply(cmdctx *x, int argc, rstr *argv) {
    if (argc - 2 > CONFIG_GET_MAX_PATTERNS) {
        reply_errorf(x->out, "ERR CONFIG GET takes at most %d patterns", CONFIG_GET_MAX_PATTERNS);
        return;
    }
    buf body;
    buf_init(&body);
    int n = 0;
    const char **pats = xmalloc(sizeof(char *) * (size_t)argc);
    for (int i = 2; i < argc; i++) pats[i - 2] = argv[i].p;
    n = config_get(server_cfg(), argc - 2, pats, &body);  /* an option matched twice is answered once */
    free(pats);
    reply_array(x->out, n * 2);
    buf_append(x->out, body.data, body.len);
    buf_free(&body);
}

/* The effects CONFIG SET must check before anything changes, in the order
 * of the arguments that call for them, as Redis runs its apply functions:
 * the clients maxclients allows, and new TLS contexts (tls.h) when an
 * argument calls for them and the node uses TLS. 0 with the contexts to
 * install (NULL: none), or -1 with the error replied and nothing changed. */
static int config_set_check(cmdctx *x, int argc, rstr *argv, const config *now, tls_contexts **fresh) {
    const config *was = server_cfg();
    int clients_done = 0, tls_done = !tls_wanted(was);
    *fresh = NULL;
    for (int i = 2; i < argc; i += 2) {
        const char *name = argv[i].p;
        if (!clients_done && !strcasecmp(name, "maxclients")) {
            clients_done = 1;
            long long can = now->maxclients > was->maxclients ? client_max_possible(now->maxclients) : now->maxclients;
            if (can >= now->maxclients) continue;
            reply_errorf(x->out, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating "
                         "system is not able to handle the specified number of clients, try with %lld", can);
        } else if (!tls_done && config_rebuilds_tls(name, was, now)) {
            tls_done = 1;
            if ((*fresh = tls_build(now))) continue;
            logmsg(LL_WARNING, "Failed applying new configuration. Possibly related to new %s setting. Restoring "
                   "previous settings.", name);
            reply_errorf(x->out, "ERR CONFIG SET failed (possibly related to argument '%s') - Unable to update TLS "
                         "configuration. Check server logs.", name);
        } else {
            continue;
        }
        tls_discard(*fresh);
        return -1;
    }
    return 0;
}

/* All or nothing, as Redis 7: every pair is set on a copy first. */
static void config_set_reply(cmdctx *x, int argc, rstr *argv) {
    if (argc % 2 != 0) { reply_error(x->out, ERR_SYNTAX); return; }
    for (int i = 2; i < argc; i += 2) {  /* the names first, as Redis: the first unknown, immutable or repeated */
        int r = config_name_check(argv[i].p);
        if (r == -1) {
            reply_errorf(x->out, "ERR Unknown option or number of arguments for CONFIG SET - '%s'", argv[i].p);
            return;
        }
        const char *why = r == -3 ? "can't set immutable config" : NULL;
        for (int j = 2; j < i && !why; j += 2)
            if (!strcasecmp(argv[j].p, argv[i].p)) why = "duplicate parameter";
        if (why) {
            reply_errorf(x->out, "ERR CONFIG SET failed (possibly related to argument '%s') - %s", argv[i].p, why);
            return;
        }
    }
    config tmp = *server_cfg();
    for (int i = 2; i < argc; i += 2) {
        int r = config_set(&tmp, argv[i].p, argv[i + 1].p, 1);
        /* the value was read as a C string: one cut short at a NUL (a
         * password that would silently become "") is refused */
        if (r == 0 && strlen(argv[i + 1].p) != argv[i + 1].len) r = -2;
        if (r == -1) { reply_errorf(x->out, "ERR Unknown option or number of arguments for CONFIG SET - '%s'", argv[i].p); return; }
        if (r == -4) { reply_errorf(x->out, "ERR CONFIG SET failed (possibly related to argument '%s') - argument must be 'yes' or 'no'", argv[i].p); return; }
        if (r == -5) { reply_errorf(x->out, "ERR CONFIG SET failed (possibly related to argument '%s') - argument(s) must be one of the following: %s", argv[i].p, config_choices(argv[i].p)); return; }
        if (r == -3) { reply_errorf(x->out, "ERR CONFIG SET failed (possibly related to argument '%s') - can't set immutable config", argv[i].p); return; }
        if (r < 0) { reply_errorf(x->out, "ERR CONFIG SET failed (possibly related to argument '%s') - argument couldn't be parsed or is out of range", argv[i].p); return; }
        if (!strcasecmp(argv[i].p, "requirepass") && !auth_requirepass_settable()) {
            /* the replicated default user decides now: a node-local password would mean nothing */
            reply_errorf(x->out, "ERR CONFIG SET failed (possibly related to argument 'requirepass') - the default "
                         "user is defined by ACL rules: use ACL SETUSER default");
            return;
        }
    }
    tls_contexts *fresh;
    if (config_set_check(x, argc, argv, &tmp, &fresh) < 0) return;
    if (fresh) tls_install(fresh);
    server_set_cfg(&tmp);
    reply_ok(x->out);
}

static void config_resetstat(cmdctx *x) {
    int n;
    command *t = cmd_table(&n);
    for (int i = 0; i < n; i++) t[i].calls = t[i].usec = t[i].failed = t[i].rejected = 0;
    client_stats_reset();
    dispatch_stats_reset();
    reads_stats_reset();
    reply_ok(x->out);
}

void config_command(cmdctx *x, int argc, rstr *argv) {
    if (eq(&argv[1], "get")) {
        config_get_reply(x, argc, argv);
    } else if (eq(&argv[1], "set")) {
        config_set_reply(x, argc, argv);
    } else if (eq(&argv[1], "resetstat")) {
        config_resetstat(x);
    } else {
        static const char *const help[] = {
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
            "RESETSTAT", "    Reset statistics reported by the INFO command.",
            "HELP", "    Print this help.",
        };
        REPLY_HELP(x->out, help);
    }
}

/* ---- INFO ---- */

static void rusage_secs(double *user, double *sys) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    *sys = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static long long rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long long pages = 0, rss = 0;
    if (f) { if (fscanf(f, "%lld %lld", &pages, &rss) != 2) rss = 0; fclose(f); }
    return rss * sysconf(_SC_PAGESIZE);
}

static int want(int argc, rstr *argv, const char *sec, int dflt) {
    if (argc < 2) return dflt;
    for (int i = 1; i < argc; i++)
        if (eq(&argv[i], sec) || eq(&argv[i], "all") || eq(&argv[i], "everything") || (dflt && eq(&argv[i], "default")))
            return 1;
    return 0;
}

/* Each section appends itself to b: f is the state machine, name the
 * section's. */
typedef void info_add(buf *b, store *f, const char *name);

static void info_server(buf *b, store *f, const char *name) {
    (void)f; (void)name;
    time_t up = time(NULL) - server_start_time();
    buf_printf(b, "# Server\r\nredis_version:%s\r\nraftkv_version:%s\r\nredis_mode:standalone\r\n"
               "os:linux\r\narch_bits:%d\r\nmultiplexing_api:libev\r\nprocess_id:%d\r\ntcp_port:%d\r\n"
               "uptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\nconfig_file:%s\r\n\r\n",
               REDIS_COMPAT_VERSION, RAFTKV_VERSION, (int)(sizeof(void *) * 8), (int)getpid(),
               server_cfg()->port, (long long)up, (long long)up / 86400, server_cfg()->config_file);
}

static void info_clients(buf *b, store *f, const char *name) {
    (void)f; (void)name;
    buf_printf(b, "# Clients\r\nconnected_clients:%lld\r\nforwarded_clients:%lld\r\nmaxclients:%lld\r\n"
                  "blocked_clients:%lld\r\n\r\n",
               client_count(), client_proxy_count(), server_cfg()->maxclients, blocking_clients());
}

static void info_memory(buf *b, store *f, const char *name) {
    (void)f; (void)name;
    long long rss = rss_bytes();
    buf_printf(b, "# Memory\r\nused_memory_rss:%lld\r\nused_memory_rss_human:%.2fM\r\n"
               "maxmemory:0\r\nmaxmemory_policy:noeviction\r\n\r\n", rss, rss / 1048576.0);
}

static void info_persistence(buf *b, store *f, const char *name) {
    buf_printf(b, "# Persistence\r\nloading:0\r\naof_enabled:1\r\nappendfsync:%s\r\n"
               "aof_last_write_status:%s\r\napplied_index:%llu\r\ndata_disk_size:%llu\r\n",
               server_cfg()->appendfsync ? "always" : "no", node_disk_full() ? "err" : "ok",
               (unsigned long long)node_applied(), (unsigned long long)store_disk_size(f));
    node_info(b, name);
    buf_printf(b, "\r\n");
}

static void info_stats(buf *b, store *f, const char *name) {
    (void)f; (void)name;
    const client_stats *cs = client_stats_get();
    const dispatch_stats *ds = dispatch_stats_get();
    buf_printf(b, "# Stats\r\ntotal_connections_received:%lld\r\ntotal_commands_processed:%lld\r\n"
               "total_net_input_bytes:%lld\r\ntotal_net_output_bytes:%lld\r\nrejected_connections:%lld\r\n"
               "expired_keys:%lld\r\nclient_output_buffer_limit_disconnections:%lld\r\ntotal_error_replies:%lld\r\n"
               "follower_reads:%lld\r\nread_index_requests:%lld\r\nlease_reads:%lld\r\n"
               "write_probes_answered:%lld\r\nwrite_probes_proposed:%lld\r\n"
               "\r\n", cs->conns_received, ds->commands, cs->net_in, cs->net_out, cs->conns_rejected,
               (long long)cmd_expired_keys, cs->output_limit_disconnections, ds->errors, reads_stats_get()->follower_reads,
               reads_stats_get()->index_requests, reads_stats_get()->lease_reads, reads_stats_get()->probes_answered,
               reads_stats_get()->probes_proposed);
}

/* The node's own sections: replication and raft. */
static void info_node(buf *b, store *f, const char *name) {
    (void)f;
    node_info(b, name);
}

static void info_cpu(buf *b, store *f, const char *name) {
    (void)f; (void)name;
    double u, s;
    rusage_secs(&u, &s);
    buf_printf(b, "# CPU\r\nused_cpu_sys:%.6f\r\nused_cpu_user:%.6f\r\n\r\n", s, u);
}

static void info_commandstats(buf *b, store *f, const char *name) {
    (void)f; (void)name;
    buf_printf(b, "# Commandstats\r\n");
    int n;
    command *t = cmd_table(&n);
    for (int i = 0; i < n; i++)
        if (t[i].calls || t[i].rejected || t[i].failed)
            buf_printf(b, "cmdstat_%s:calls=%lld,usec=%lld,usec_per_call=%.2f,rejected_calls=%lld,failed_calls=%lld\r\n",
                       t[i].name, t[i].calls, t[i].usec, t[i].calls ? (double)t[i].usec / (double)t[i].calls : 0.0,
                       t[i].rejected, t[i].failed);
    buf_printf(b, "\r\n");
}

static void info_keyspace(buf *b, store *f, const char *name) {
    (void)name;
    buf_printf(b, "# Keyspace\r\n");
    if (store_keys(f))
        buf_printf(b, "db0:keys=%llu,expires=%llu,avg_ttl=%llu\r\n", (unsigned long long)store_keys(f),
                   (unsigned long long)store_volatile(f), (unsigned long long)store_avg_ttl(f, node_read_time()));
    buf_printf(b, "\r\n");
}

/* In INFO's order; dflt: part of INFO without arguments, or "default". */
static const struct { const char *name; int dflt; info_add *add; } info_sections[] = {
    {"server", 1, info_server}, {"clients", 1, info_clients}, {"memory", 1, info_memory},
    {"persistence", 1, info_persistence}, {"stats", 1, info_stats}, {"replication", 1, info_node},
    {"raft", 1, info_node}, {"cpu", 1, info_cpu}, {"commandstats", 0, info_commandstats},
    {"keyspace", 1, info_keyspace},
};

void info_command(cmdctx *x, int argc, rstr *argv) {
    buf b;
    buf_init(&b);
    for (size_t i = 0; i < sizeof(info_sections) / sizeof(info_sections[0]); i++)
        if (want(argc, argv, info_sections[i].name, info_sections[i].dflt))
            info_sections[i].add(&b, x->f, info_sections[i].name);
    if (b.len >= 2) b.len -= 2;  /* no blank line after the last section */
    reply_bulk(x->out, b.data ? b.data : "", b.len);
    buf_free(&b);
}

/* ---- COMMAND ---- */

static void flag_names(const command *c, buf *o) {
    static const struct { int f; const char *n; } names[] = {
        {CMD_WRITE, "write"}, {CMD_READONLY, "readonly"}, {CMD_DENYOOM, "denyoom"}, {CMD_ADMIN, "admin"},
        {CMD_NOSCRIPT, "noscript"}, {CMD_BLOCKING, "blocking"}, {CMD_LOADING, "loading"}, {CMD_STALE, "stale"}, {CMD_FAST, "fast"},
        {CMD_NO_AUTH, "no_auth"}, {CMD_NO_MULTI, "no_multi"},
    };
    int n = c->keynum > 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) n += (c->flags & names[i].f) != 0;
    reply_array(o, n);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (c->flags & names[i].f) reply_simple(o, names[i].n);
    if (c->keynum > 0) reply_simple(o, "movablekeys");
}

/* The categories ACL rules know the command by (acl.h's table, Redis's). */
static void reply_categories(const command *c, const command *parent, buf *o) {
    char name[128];
    int len = parent ? snprintf(name, sizeof(name), "%s|%s", parent->name, c->name) : snprintf(name, sizeof(name), "%s", c->name);
    uint32_t cats = acl_cmd_categories(acl_cmd_id(name, (size_t)len));
    int n = 0;
    for (int i = 0; acl_categories[i]; i++) n += (cats >> i) & 1;
    reply_array(o, n);
    for (int i = 0; acl_categories[i]; i++)
        if ((cats >> i) & 1) {
            char cat[32];
            snprintf(cat, sizeof(cat), "@%s", acl_categories[i]);
            reply_simple(o, cat);
        }
}

static void command_info(const command *c, const command *parent, buf *o) {
    char name[80];
    if (parent) snprintf(name, sizeof(name), "%s|%s", parent->name, c->name);
    else snprintf(name, sizeof(name), "%s", c->name);
    reply_array(o, 10);
    reply_bulkstr(o, name);
    reply_int(o, c->arity);
    flag_names(c, o);
    reply_int(o, c->first);
    reply_int(o, c->last);
    reply_int(o, c->step);
    reply_categories(c, parent, o);
    reply_array(o, 0); /* tips */
    reply_array(o, 0); /* key specs: see redis-compat.md */
    int nsub = 0;
    for (const command *s = c->subs; s && s->name; s++) nsub++;
    reply_array(o, nsub);
    for (const command *s = c->subs; s && s->name; s++) command_info(s, c, o);
}

static void command_docs(const command *c, const command *parent, buf *o) {
    char name[80];
    if (parent) snprintf(name, sizeof(name), "%s|%s", parent->name, c->name);
    else snprintf(name, sizeof(name), "%s", c->name);
    int nsub = 0;
    for (const command *s = c->subs; s && s->name; s++) nsub++;
    reply_bulkstr(o, name);
    reply_array(o, nsub ? 10 : 8);
    reply_bulkstr(o, "summary"); reply_bulkstr(o, c->summary);
    reply_bulkstr(o, "since"); reply_bulkstr(o, c->since);
    reply_bulkstr(o, "group"); reply_bulkstr(o, c->group);
    reply_bulkstr(o, "complexity"); reply_bulkstr(o, c->complexity);
    if (nsub) {
        reply_bulkstr(o, "subcommands");
        reply_array(o, nsub * 2);
        for (const command *s = c->subs; s && s->name; s++) command_docs(s, c, o);
    }
}

/* A name, or "container|sub", from the table. */
static const command *find_named(const rstr *a, const command **parent) {
    const char *bar = memchr(a->p, '|', a->len);
    *parent = NULL;
    if (!bar) return cmd_lookup(a->p, a->len);
    const command *c = cmd_lookup(a->p, (size_t)(bar - a->p));
    if (!c) return NULL;
    *parent = c;
    return cmd_lookup_sub(c, bar + 1, a->len - (size_t)(bar - a->p) - 1);
}

/* COMMAND INFO [name ...]; COMMAND alone: every command's. */
static void command_info_reply(cmdctx *x, int argc, rstr *argv) {
    int n;
    command *t = cmd_table(&n);
    const command *parent;
    if (argc <= 2) {
        reply_array(x->out, n);
        for (int i = 0; i < n; i++) command_info(&t[i], NULL, x->out);
        return;
    }
    reply_array(x->out, argc - 2);
    for (int i = 2; i < argc; i++) {
        const command *c = find_named(&argv[i], &parent);
        if (c) command_info(c, parent, x->out); else reply_nil(x->out);
    }
}

/* COMMAND DOCS [name ...]: names not found are left out. */
static void command_docs_reply(cmdctx *x, int argc, rstr *argv) {
    int n;
    command *t = cmd_table(&n);
    const command *parent;
    buf body;
    buf_init(&body);
    int found = 0;
    if (argc == 2) {
        for (int i = 0; i < n; i++, found++) command_docs(&t[i], NULL, &body);
    } else {
        for (int i = 2; i < argc; i++) {
            const command *c = find_named(&argv[i], &parent);
            if (c) { command_docs(c, parent, &body); found++; }
        }
    }
    reply_array(x->out, found * 2);
    buf_append(x->out, body.data, body.len);
    buf_free(&body);
}

void command_command(cmdctx *x, int argc, rstr *argv) {
    int n;
    command *t = cmd_table(&n);
    if (argc == 1 || eq(&argv[1], "info")) {
        command_info_reply(x, argc, argv);
    } else if (eq(&argv[1], "count")) {
        reply_int(x->out, n);
    } else if (eq(&argv[1], "list")) {
        if (argc != 2) { reply_error(x->out, "ERR syntax error"); return; }
        reply_array(x->out, n);
        for (int i = 0; i < n; i++) reply_bulkstr(x->out, t[i].name);
    } else if (eq(&argv[1], "docs")) {
        command_docs_reply(x, argc, argv);
    } else if (eq(&argv[1], "help")) {
        static const char *const help[] = {
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)", "    Return details about all Redis commands.",
            "COUNT", "    Return the total number of commands in this Redis server.",
            "LIST", "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
            "DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
            "HELP", "    Print this help.",
        };
        REPLY_HELP(x->out, help);
    } else {
        cmd_reply_unknown_sub(x->out, cmd_lookup("command", 7), &argv[1]);
    }
}
