/* client: a connection and its buffers. Accepts sockets (refusing past
 * maxclients, pausing when out of descriptors), reads and parses requests
 * and hands each to dispatch, holds replies in the output buffer and
 * writes them once per loop iteration (client_flush_pending), enforcing
 * the query and output buffer limits. A proxy is a client without a
 * socket: a follower's client replayed on the leader (forward.c). */
#ifndef RAFTKV_CLIENT_H
#define RAFTKV_CLIENT_H
#include <ev.h>
#include <stdint.h>
#include <time.h>
#include "buf.h"
#include "config.h"
#include "resp.h"

struct slot;
struct acl_user;
struct tls_conn;

typedef struct client {
    uint64_t id;
    int fd;                      /* -1: a proxy */
    ev_io rio, wio;
    int reading, writing;
    buf in, out;
    resp_parser parser;
    char *name;
    struct acl_user *user;       /* auth.h: the user it runs as (held: acl_user_hold) */
    int authenticated;
    char addr[64], laddr[64];
    time_t ctime, atime;
    char lastcmd[48];            /* for CLIENT LIST: "get", "client|list" */
    int close_after_reply;
    int close_asap;              /* over its output limit: freed before the next write */
    int pending;                 /* queued for output (client_queue_output) */
    struct slot *shead, *stail;  /* replies owed, oldest first (slot.h) */
    /* dispatch.c */
    int reads_pending;           /* SLOT_READ among them */
    int probing;                 /* of those, writes tried as reads first (CMD_PROBE): its next requests wait */
    struct slot *probe_head, *probe_tail;  /* its probes in order (slot.pnext): only the first is served */
    uint64_t last_write;         /* index of its latest proposal (reads wait for it) */
    uint64_t acked_write;        /* of its latest write answered once committed (writes.h): applied soon */
    int parsed;                  /* a whole request waits in parser */
    int held;                    /* HOLD_*: its next request waits */
    int blocking;                /* slots of blocking commands it has (blocking.h) */
    int stop_wait;               /* its SHUTDOWN waits (server.h): so do its later requests */
    double held_since;
    int in_held;
    struct client *hnext;
    /* forward.c, follower side: its forwarding session with the leader */
    uint64_t fwd_sid, fwd_to;
    int fwd_pending;
    uint64_t fwd_bytes;          /* of the forwarded requests still unanswered */
    /* forward.c, leader side: a proxy stands for a follower's client */
    int proxy;
    uint64_t proxy_peer, proxy_sid;
    uint64_t proxy_term;         /* the follower's term in its latest forward */
    uint64_t proxy_link;         /* the connection its forwards come on */
    char *proxy_user;            /* the user its latest forward named (NULL: none yet) */
    struct client *prev, *next;  /* client_list() or client_proxy_list() */
    struct client *pnext;        /* pending-output list */
    /* multi.c: its transaction where this node proposes (tx.h; NULL: none),
     * or, on a follower, that its requests go to the leader's proxy */
    struct tx *tx;
    int fwd_multi, fwd_watch;
    int fwd_queued;              /* commands forwarded in MULTI for the leader to queue (CLIENT LIST's multi=) */
    buf fwd_locals;              /* forwarded in MULTI, run here after EXEC (multi.h) */
    /* a client of the TLS port (tls.h); NULL on the plain port */
    struct tls_conn *tls;
    int tls_handshaking;         /* until then rio and wio drive the handshake */
    int tls_read_wants_write;    /* wio started for a read (not c->writing) */
    int tls_write_wants_read;    /* rio started for a write (not c->reading) */
    ev_timer tls_deadline;       /* a handshake not done by then closes it */
} client;

/* Listens on host:port and accepts clients from then on, through TLS
 * when tls (tls_configure() done first); -1 (logged) if it cannot. */
int client_listen(const char *host, int port, int tls);
/* Seconds a TLS client has to finish its handshake. */
#define CLIENT_TLS_HANDSHAKE_TIMEOUT 10.0
/* Shutdown: frees every client and proxy, closes the listening sockets. */
void client_close_all(void);
/* Raises the limit on open files for maxclients clients if it can; the
 * number of clients it allows (maxclients when all of them). */
long long client_max_possible(long long maxclients);
/* At start-up: lowers cfg->maxclients, with a warning, to what the limit
 * on open files allows; -1 (logged) if that is not one client. */
int client_fit_maxclients(config *cfg);

/* A proxy, in client_proxy_list(); forward.c says whom it stands for. */
client *client_new_proxy(void);
void client_free(client *c);
/* The connected clients, and the proxies, linked by next. */
client *client_list(void);
client *client_proxy_list(void);
long long client_count(void);
long long client_proxy_count(void);

/* Parses and dispatches what c sent, until a request must wait. */
void client_process_input(client *c);
void client_set_reading(client *c, int on);
/* c has replies to move and write before the loop sleeps. */
void client_queue_output(client *c);
/* Writes every queued client's finished replies (before the loop sleeps). */
void client_flush_pending(void);
/* 1 if c is past its output limit: then marked to be freed, not read. */
int client_over_output_limit(client *c);
/* Marks c to be freed for its output limit, with the log line and count. */
void client_close_over_limit(client *c);

typedef struct client_stats {
    long long conns_received, conns_rejected, net_in, net_out;
    long long output_limit_disconnections;
} client_stats;
const client_stats *client_stats_get(void);
/* CONFIG RESETSTAT: all but the output limit disconnections. */
void client_stats_reset(void);
/* Whether a client address (ip:port, [ip6]:port) is 127.0.0.1 or ::1, as
 * Redis's protected mode and enable-debug-command local take it. */
int client_addr_is_local(const char *addr);
#endif
