/* server: the libev front end. Accepts clients, reads and parses their
 * requests, runs read commands directly and turns write commands into log
 * entries, and writes every reply once per loop iteration (ev_prepare),
 * after the entries they answer are durable. */
#ifndef RAFTKV_SERVER_H
#define RAFTKV_SERVER_H
#include <ev.h>
#include <stdint.h>
#include <time.h>
#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "store.h"
#include "resp.h"

#define RAFTKV_VERSION "0.1.0"
#define REDIS_COMPAT_VERSION "7.0.15"

/* A reply owed to a client, in request order. A client without any owes
 * nothing and its replies go straight to its output buffer. */
enum { SLOT_DONE, SLOT_APPLY, SLOT_READ, SLOT_FWD, SLOT_TRANSFER, SLOT_SLICED };
typedef struct slot {
    struct slot *next;           /* the client's order */
    struct slot *qnext;          /* the read queue */
    struct client *c;
    int state, write;
    uint64_t index, term;        /* SLOT_APPLY: the entry that answers it */
    uint64_t round, need;        /* SLOT_READ: barrier round, index to wait for */
    int argc;                    /* SLOT_READ: the command, run once confirmed */
    rstr *argv;
    uint64_t aseq;               /* SLOT_APPLY: its place in the apply queue */
    uint64_t fwd_bytes;          /* SLOT_FWD: the request's size */
    keys_job *job;               /* SLOT_SLICED: a confirmed read running in slices */
    double deadline;
    buf reply;
} slot;

/* Why a client's next request waits: no leader reachable yet; its reads
 * must be answered before its write goes; the leader has too much
 * uncommitted (backpressure); too much of it is forwarded and unanswered. */
enum { HOLD_NONE, HOLD_LEADER, HOLD_READS, HOLD_BACKLOG, HOLD_FORWARDS };

typedef struct client {
    uint64_t id;
    int fd;
    ev_io rio, wio;
    int reading, writing;
    buf in, out;
    resp_parser parser;
    char *name;
    char addr[64], laddr[64];
    time_t ctime, atime;
    char lastcmd[48];             /* for CLIENT LIST: "get", "client|list" */
    int close_after_reply;
    int close_asap;              /* over its output limit: freed before the next write */
    int pending;                 /* queued in server.pending */
    slot *shead, *stail;         /* replies owed, oldest first */
    int reads_pending;           /* SLOT_READ among them */
    uint64_t last_write;         /* index of its latest proposal (reads wait for it) */
    int parsed;                  /* a whole request waits in parser */
    int held;                    /* HOLD_*: its next request waits */
    double held_since;
    int in_held;
    struct client *hnext;
    uint64_t fwd_sid, fwd_to;    /* follower: forwarding session with the leader */
    int fwd_pending;
    uint64_t fwd_bytes;          /* of the forwarded requests still unanswered */
    int proxy;                   /* leader: stands for a follower's client */
    uint64_t proxy_peer, proxy_sid;
    uint64_t proxy_term;         /* the follower's term in its latest forward */
    uint64_t proxy_link;         /* the connection its forwards come on */
    struct client *prev, *next;  /* all clients */
    struct client *pnext;        /* pending-write list */
} client;

typedef struct server {
    config cfg;
    struct ev_loop *loop;
    store *f;
    int lfd;
    ev_io accept_io;
    ev_timer accept_pause;       /* accept() ran out of descriptors: again later */
    ev_idle slicing;             /* sliced reads under way: the loop must not sleep */
    ev_prepare before_sleep;
    ev_signal sigterm, sigint;
    client *clients, *pending, *held, *proxies;
    long long nclients;
    long long nproxies;          /* leader: followers' clients replayed here */
    uint64_t next_client_id;
    ev_timer timeouts;
    ev_timer handover;           /* stopping: waits for another node to lead */
    double stop_requested;
    uint64_t next_sid;
    time_t start_time;
    /* stats */
    long long conns_received, conns_rejected, commands, net_in, net_out, errors;
    long long output_limit_disconnections;
} server;

extern server srv;

void client_free(client *c);
/* Raises the limit on open files for maxclients clients if it can; the
 * number of clients it allows (maxclients when all of them). */
long long server_clients_possible(long long maxclients);
void client_write_line(buf *o, client *c);
#endif
