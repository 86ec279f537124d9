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
#include "fsm.h"
#include "resp.h"

#define RAFTKV_VERSION "0.1.0"
#define REDIS_COMPAT_VERSION "7.0.15"

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
    int pending;                 /* queued in server.pending */
    struct client *prev, *next;  /* all clients */
    struct client *pnext;        /* pending-write list */
} client;

typedef struct server {
    config cfg;
    struct ev_loop *loop;
    fsm *f;
    int lfd;
    ev_io accept_io;
    ev_prepare before_sleep;
    ev_signal sigterm, sigint;
    client *clients, *pending;
    long long nclients;
    uint64_t next_client_id;
    int dirty;                   /* applied entries not yet synced */
    time_t start_time;
    /* stats */
    long long conns_received, conns_rejected, commands, net_in, net_out, syncs, errors;
    long long output_limit_disconnections;
} server;

extern server srv;

void client_free(client *c);
void client_write_line(buf *o, client *c);
#endif
