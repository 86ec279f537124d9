#include "client.h"
#include "auth.h"
#include "dispatch.h"
#include "multi.h"
#include "entry.h"
#include "forward.h"
#include "log.h"
#include "peer.h"
#include "server.h"
#include "slot.h"
#include "tls.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK (16 * 1024)
/* The most one read takes but for the rest of a big bulk (which costs the
 * parser nothing): what is read is parsed before the loop goes on, and a
 * buffer grown to 8 MB once let one read hold the loop 100 ms parsing
 * 500,000 small arguments. */
#define READ_MAX (64 * 1024)

static client *clients, *proxies;
static client *pending;          /* replies to move and write, by pnext */
static long long nclients, nproxies;
static uint64_t next_client_id;
/* The plain port and the TLS port, each when set. */
typedef struct listener {
    int fd, tls;
    ev_io io;
} listener;
static listener listeners[2] = {{.fd = -1, .tls = 0}, {.fd = -1, .tls = 1}};
static ev_timer accept_pause;    /* accept() ran out of descriptors: again later */
static client_stats stats;

static void read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void write_cb(struct ev_loop *loop, ev_io *w, int revents);
static void tls_client_gone(client *c);
static int tls_write_out(client *c, int *wait_writable);

client *client_list(void) { return clients; }
client *client_proxy_list(void) { return proxies; }
long long client_count(void) { return nclients; }
long long client_proxy_count(void) { return nproxies; }
const client_stats *client_stats_get(void) { return &stats; }

void client_stats_reset(void) {
    stats.conns_received = stats.conns_rejected = stats.net_in = stats.net_out = 0;
}

void client_set_reading(client *c, int on) {
    if (on == c->reading) return;
    if (on) ev_io_start(server_loop(), &c->rio); else ev_io_stop(server_loop(), &c->rio);
    c->reading = on;
}

static void client_set_writing(client *c, int on) {
    if (on == c->writing) return;
    if (on) ev_io_start(server_loop(), &c->wio); else ev_io_stop(server_loop(), &c->wio);
    c->writing = on;
}

void client_queue_output(client *c) {
    if (c->pending) return;
    c->pending = 1;
    c->pnext = pending;
    pending = c;
}

/* ---- life ---- */

static client *client_alloc(int fd) {
    client *c = xmalloc(sizeof(*c));
    memset(c, 0, sizeof(*c));
    c->id = ++next_client_id;
    c->fd = fd;
    c->ctime = c->atime = time(NULL);
    strcpy(c->lastcmd, "NULL");
    auth_init_client(c);
    resp_parser_init(&c->parser, server_cfg()->proto_max_bulk_len, ENTRY_MAX_REQUEST);
    return c;
}

static void client_link(client **list, client *c) {
    c->next = *list;
    if (*list) (*list)->prev = c;
    *list = c;
}

client *client_new_proxy(void) {
    client *c = client_alloc(-1);
    c->proxy = 1;
    client_link(&proxies, c);
    nproxies++;
    return c;
}

/* Out of its list and of the pending-output list. */
static void client_unlink(client *c) {
    if (c->prev) c->prev->next = c->next;
    else if (c->proxy) proxies = c->next;
    else clients = c->next;
    if (c->next) c->next->prev = c->prev;
    if (c->proxy) nproxies--;
    if (!c->pending) return;
    for (client **p = &pending; *p; p = &(*p)->pnext)
        if (*p == c) { *p = c->pnext; break; }
}

void client_free(client *c) {
    multi_free(c);  /* first: a session it ends must not disconnect it again */
    if (c->fd >= 0) {
        client_set_reading(c, 0);
        client_set_writing(c, 0);
        if (c->tls) tls_client_gone(c);
        close(c->fd);
        nclients--;
    }
    /* first: failing its forwarded requests queues the client for output */
    forward_client_gone(c);
    client_unlink(c);
    dispatch_client_gone(c);
    slot_free_all(c);
    buf_free(&c->in);
    buf_free(&c->out);
    resp_parser_free(&c->parser);
    free(c->name);
    free(c->proxy_user);
    auth_client_gone(c);
    free(c);
}

void client_close_all(void) {
    while (clients) client_free(clients);
    while (proxies) client_free(proxies);
    for (int i = 0; i < 2; i++)
        if (listeners[i].fd >= 0) close(listeners[i].fd);
}

/* ---- output ---- */

void client_close_over_limit(client *c) {
    logmsg(LL_WARNING, "Client id=%llu addr=%s closed for overcoming of output buffer limits.",
           (unsigned long long)c->id, c->addr);
    stats.output_limit_disconnections++;
    c->close_asap = 1;
}

/* The output limit holds as replies are made, as in Redis, not only once
 * a write fails: a pipeline of big replies to a client that never reads
 * must not all be built first. */
int client_over_output_limit(client *c) {
    if (c->close_asap) return 1;
    if (c->proxy || (long long)buf_unread(&c->out) <= server_cfg()->client_output_buffer_limit) return 0;
    client_close_over_limit(c);
    client_set_reading(c, 0);
    client_queue_output(c);
    return 1;
}

/* Writes what it can; 0 if the client was freed. */
static int client_write(client *c) {
    int wait_writable = 1;
    if (c->tls) {
        if (!tls_write_out(c, &wait_writable)) return 0;
    } else {
        while (buf_unread(&c->out)) {
            ssize_t n = write(c->fd, c->out.data + c->out.pos, buf_unread(&c->out));
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) { client_free(c); return 0; }
            c->out.pos += (size_t)n;
            stats.net_out += n;
        }
    }
    if (buf_unread(&c->out) == 0) {
        c->out.pos = c->out.len = 0;
        if (c->out.cap > (1 << 20)) buf_free(&c->out);  /* give back a big reply's memory */
        client_set_writing(c, 0);
        if (c->close_after_reply && !c->shead) { client_free(c); return 0; }
        return 1;
    }
    if (client_over_output_limit(c)) { client_free(c); return 0; }
    client_set_writing(c, wait_writable);
    return 1;
}

static void write_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop; (void)revents;
    client_write(w->data);
}

void client_flush_pending(void) {
    while (pending) {
        client *c = pending;
        pending = c->pnext;
        c->pending = 0;
        if (!slot_deliver(c)) continue;
        if (client_over_output_limit(c)) {
            client_free(c);
        } else if (c->proxy) {
            if (c->close_after_reply && !c->shead) client_free(c);
        } else if (!c->writing) {
            client_write(c);
        }
    }
}

/* ---- input ---- */

static void client_protocol_error(client *c) {
    char msg[160];
    snprintf(msg, sizeof(msg), "ERR %s", c->parser.err);
    buf *out = slot_reply_target(c);
    reply_error(out, msg);
    slot_reply_end(c, out);
    logmsg(LL_VERBOSE, "Protocol error (%s) from client: id=%llu addr=%s", c->parser.err,
           (unsigned long long)c->id, c->addr);
    c->close_after_reply = 1;
    if (c->fd >= 0) client_set_reading(c, 0);
    c->in.len = c->in.pos = 0;
}

/* Parses the next request into c->parser: 1 when one is whole, 0 when
 * more must come (or what came is not RESP: answered, and c closes). */
static int client_parse(client *c) {
    if (!buf_unread(&c->in)) return 0;
    /* a proxy's requests are not RESP: its follower parsed and checked
     * them (its bulks against its own limit, as a Redis replica obeys its
     * master), and they came in the entry encoding */
    if (c->proxy) return forward_take_request(c);
    c->parser.max_bulk = server_cfg()->proto_max_bulk_len;
    /* a client that must authenticate first may send only small requests */
    c->parser.unauthenticated = auth_required(c);
    int r = resp_parse(&c->parser, &c->in);
    if (r == RESP_ERR) client_protocol_error(c);
    return r == RESP_OK;
}

void client_process_input(client *c) {
    if (c->held) return;
    while (!c->close_after_reply && !c->close_asap && !client_over_output_limit(c)) {
        if (!c->parsed) {  /* else a held request waits in the parser */
            if (!client_parse(c)) break;
            if (c->parser.argc == 0) { resp_args_reset(&c->parser); continue; }  /* empty: skipped */
            c->parsed = 1;
        }
        if (!dispatch_request(c)) break;
        c->parsed = 0;
        resp_args_reset(&c->parser);
    }
    buf_compact(&c->in);
    if (c->fd >= 0 && c->reading && c->held) client_set_reading(c, 0);  /* TCP pushes back while it waits */
    client_queue_output(c);
}

/* n bytes more in c->in, from either transport: counted, and held to the
 * query buffer limit. 0 if c was freed for it. */
static int client_took_input(client *c, size_t n) {
    c->in.len += n;
    c->atime = time(NULL);
    stats.net_in += (long long)n;
    if ((long long)buf_unread(&c->in) <= server_cfg()->client_query_buffer_limit) return 1;
    logmsg(LL_WARNING, "Closing client that reached max query buffer length: id=%llu addr=%s (qbuf=%zu)",
           (unsigned long long)c->id, c->addr, buf_unread(&c->in));
    client_free(c);
    return 0;
}

/* Room for the next read, reserved: a big bulk's last read stops at its
 * end, so that the parser takes the buffer as the argument (resp.h);
 * *ends says whether a read of all of it would end that bulk. */
static size_t read_room(client *c, int *ends) {
    size_t bound = c->proxy ? 0 : resp_read_bound(&c->parser, &c->in);
    buf_reserve(&c->in, bound && bound < READ_CHUNK ? bound : READ_CHUNK);
    size_t room = c->in.cap - c->in.len;
    *ends = bound && bound <= room;
    if (*ends) return bound;
    return !bound && room > READ_MAX ? READ_MAX : room;
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop; (void)revents;
    client *c = w->data;
    int ends;
    ssize_t n = read(c->fd, c->in.data + c->in.len, read_room(c, &ends));
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) { client_free(c); return; }
    if (client_took_input(c, (size_t)n)) client_process_input(c);
}

/* ---- accepting ---- */

static void addr_str(int fd, int peer, char *out, size_t cap) {
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    int r = peer ? getpeername(fd, (struct sockaddr *)&sa, &len) : getsockname(fd, (struct sockaddr *)&sa, &len);
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (r == 0 && sa.ss_family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)&sa;
        inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
        port = ntohs(s->sin_port);
    } else if (r == 0 && sa.ss_family == AF_INET6) {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&sa;
        inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
        port = ntohs(s->sin6_port);
    }
    snprintf(out, cap, strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);  /* as Redis writes an IPv6 one */
}

/* Whether a peer address (addr_str's "ip:port" or "[ip6]:port") is one
 * protected mode lets in: Redis 7.0 compares the address with 127.0.0.1
 * and ::1 exactly, so 127.0.0.2 is turned away like any other. On a
 * socket bound to "::", 127.0.0.1 arrives as ::ffff:127.0.0.1, the same
 * client. */
int client_addr_is_local(const char *addr) {
    static const char *const local[] = {"127.0.0.1", "::1", "::ffff:127.0.0.1"};
    const char *colon = strrchr(addr, ':');
    size_t n = colon ? (size_t)(colon - addr) : strlen(addr);
    if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') addr++, n -= 2;
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
        if (strlen(local[i]) == n && !memcmp(addr, local[i], n)) return 1;
    return 0;
}

/* Protected mode, as Redis 7.0: while it is on and the default user has
 * no password, a client from any address but 127.0.0.1 and ::1 is told
 * why, and closed, whatever bind says. */
static int protected_mode_on(void) {
    return server_cfg()->protected_mode && acl_user_nopass(auth_default_user());
}

static const char denied_msg[] =
        "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for "
        "the default user. In this mode connections are only accepted from the loopback interface. If you want to "
        "connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable "
        "protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by "
        "connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly "
        "accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
        "you can just disable the protected mode by editing the Redis configuration file, and setting the "
        "protected mode option to 'no', and then restarting the server. 3) If you started the server manually "
        "just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication "
        "password for the default user. NOTE: You only need to do one of the above things in order for the "
        "server to start accepting connections from the outside.\r\n";

static void log_protected_refusal(const char *addr) {
    logmsg(LL_VERBOSE, "Refused client %s: protected mode, no password set", addr);
}

static int protected_refused(int fd) {
    if (!protected_mode_on()) return 0;
    char addr[64];
    addr_str(fd, 1, addr, sizeof(addr));
    if (client_addr_is_local(addr)) return 0;
    if (write(fd, denied_msg, sizeof(denied_msg) - 1) < 0) { /* best effort, as Redis */ }
    log_protected_refusal(addr);
    return 1;
}

/* A connection accepted: refused past maxclients or by protected mode,
 * else a client. */
static int tls_client_start(client *c);

/* On the TLS port, Redis's refusal for maxclients goes through a connection
 * not yet handshaken, so nothing reaches the client: it is closed; protected
 * mode answers once the handshake is done (tls_client_ready). */
static void client_accepted(int fd, int tls) {
    stats.conns_received++;
    if (nclients >= server_cfg()->maxclients) {
        static const char msg[] = "-ERR max number of clients reached\r\n";
        if (!tls && write(fd, msg, sizeof(msg) - 1) < 0) { /* best effort, as Redis */ }
        close(fd);
        stats.conns_rejected++;
        return;
    }
    if (!tls && protected_refused(fd)) {
        close(fd);
        stats.conns_rejected++;
        return;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    client *c = client_alloc(fd);
    addr_str(fd, 1, c->addr, sizeof(c->addr));
    addr_str(fd, 0, c->laddr, sizeof(c->laddr));
    ev_io_init(&c->rio, read_cb, fd, EV_READ);
    ev_io_init(&c->wio, write_cb, fd, EV_WRITE);
    c->rio.data = c->wio.data = c;
    client_link(&clients, c);
    nclients++;
    if (tls && tls_client_start(c) < 0) return;
    client_set_reading(c, 1);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)revents;
    listener *l = w->data;
    for (int i = 0; i < 256; i++) {
        int fd = accept(w->fd, NULL, NULL);
        if (fd >= 0) { client_accepted(fd, l->tls); continue; }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) return;
        logmsg(LL_WARNING, "Accepting client connection: %s", strerror(errno));
        /* out of descriptors or memory: the connection stays pending
         * and would wake the loop at once, for ever; try again later */
        for (int k = 0; k < 2; k++) ev_io_stop(loop, &listeners[k].io);
        ev_timer_start(loop, &accept_pause);
        return;
    }
}

static void accept_resume_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)w; (void)revents;
    for (int k = 0; k < 2; k++)
        if (listeners[k].fd >= 0) ev_io_start(loop, &listeners[k].io);
}

static int listen_socket(const char *host, int port) {
    struct sockaddr_storage sa;
    socklen_t len;
    memset(&sa, 0, sizeof(sa));
    struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        len = sizeof(*s4);
    } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        len = sizeof(*s6);
    } else {
        logmsg(LL_WARNING, "Invalid bind address '%s'", host);
        return -1;
    }
    int fd = socket(sa.ss_family, SOCK_STREAM, 0), one = 1;
    if (fd < 0) return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 511) < 0) {
        logmsg(LL_WARNING, "Could not create server TCP listening socket %s:%d: %s", host, port, strerror(errno));
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

int client_listen(const char *host, int port, int tls) {
    listener *l = &listeners[tls ? 1 : 0];
    l->fd = listen_socket(host, port);
    if (l->fd < 0) return -1;
    ev_io_init(&l->io, accept_cb, l->fd, EV_READ);
    l->io.data = l;
    ev_timer_init(&accept_pause, accept_resume_cb, 0.1, 0.);
    ev_io_start(server_loop(), &l->io);
    return 0;
}

/* ---- TLS clients ----
 * A client of the TLS port has the same buffers, limits and life as any
 * other; only its bytes go through tls.h. Its watchers first drive the
 * handshake (under a deadline), then reads and writes. OpenSSL may need
 * the other direction for a step (a read that must write, a write that
 * must read): the other watcher is then started for it alone, outside
 * c->reading / c->writing, and stopped again once that step is done. */

static void tls_read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void tls_write_cb(struct ev_loop *loop, ev_io *w, int revents);

static void tls_client_gone(client *c) {
    ev_io_stop(server_loop(), &c->rio);
    ev_io_stop(server_loop(), &c->wio);
    ev_timer_stop(server_loop(), &c->tls_deadline);
    tls_conn_free(c->tls);
    c->tls = NULL;
}

static void tls_drop(client *c, const char *what, const char *why) {
    logmsg(LL_VERBOSE, "%s: %s (id=%llu addr=%s laddr=%s)", what, why, (unsigned long long)c->id, c->addr, c->laddr);
    client_free(c);
}

/* The handshake is done: the client reads and writes like any other, or
 * is told protected mode refuses it (through TLS, as Redis does). */
static void tls_client_ready(client *c) {
    ev_timer_stop(server_loop(), &c->tls_deadline);
    client_set_reading(c, 0);
    client_set_writing(c, 0);
    c->tls_handshaking = 0;
    ev_set_cb(&c->rio, tls_read_cb);
    ev_set_cb(&c->wio, tls_write_cb);
    if (protected_mode_on() && !client_addr_is_local(c->addr)) {
        stats.conns_rejected++;
        log_protected_refusal(c->addr);
        buf_append(&c->out, denied_msg, sizeof(denied_msg) - 1);
        c->close_after_reply = 1;
        client_write(c);
        return;
    }
    client_set_reading(c, 1);
    /* records already decrypted would not wake the socket */
    if (tls_pending(c->tls)) ev_feed_event(server_loop(), &c->rio, EV_READ);
}

static void tls_handshake_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop; (void)revents;
    client *c = w->data;
    switch (tls_handshake(c->tls)) {
    case TLS_OK: tls_client_ready(c); return;
    case TLS_WANT_READ: client_set_writing(c, 0); client_set_reading(c, 1); return;
    case TLS_WANT_WRITE: client_set_reading(c, 0); client_set_writing(c, 1); return;
    default: tls_drop(c, "Error accepting a client connection", tls_error(c->tls));
    }
}

static void tls_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop; (void)revents;
    tls_drop(w->data, "Error accepting a client connection", "the TLS handshake took too long");
}

/* After client_accepted: the handshake starts. -1 if c was freed. */
static int tls_client_start(client *c) {
    c->tls = tls_conn_new(c->fd, server_cfg()->tls_auth_clients);
    if (!c->tls) { tls_drop(c, "Error accepting a client connection", "out of memory"); return -1; }
    c->tls_handshaking = 1;
    ev_set_cb(&c->rio, tls_handshake_cb);
    ev_set_cb(&c->wio, tls_handshake_cb);
    ev_timer_init(&c->tls_deadline, tls_deadline_cb, CLIENT_TLS_HANDSHAKE_TIMEOUT, 0.);
    c->tls_deadline.data = c;
    ev_timer_start(server_loop(), &c->tls_deadline);
    return 0;
}

/* Reads what came, with the records OpenSSL holds decrypted (the socket
 * no longer signals those), then parses. 0 if c was freed. */
static int tls_read_in(client *c) {
    size_t got = 0;
    int ends = 0;
    do {
        size_t n = 0, room = read_room(c, &ends);
        int r = tls_read(c->tls, c->in.data + c->in.len, room, &n);
        if (r == TLS_WANT_READ) break;
        if (r == TLS_WANT_WRITE) {
            c->tls_read_wants_write = 1;
            ev_io_start(server_loop(), &c->wio);
            break;
        }
        if (r == TLS_CLOSED) { client_free(c); return 0; }
        if (r != TLS_OK) { tls_drop(c, "Error reading from client", tls_error(c->tls)); return 0; }
        if (!client_took_input(c, n)) return 0;
        got += n;
        ends = ends && n == room;
    } while (!ends && tls_pending(c->tls));
    if (got) client_process_input(c);
    /* a big bulk ended: parsed first, so the rest goes in a buffer of its own */
    if (ends && c->reading && tls_pending(c->tls)) ev_feed_event(server_loop(), &c->rio, EV_READ);
    return 1;
}

static void tls_read_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)revents;
    client *c = w->data;
    if (c->tls_write_wants_read) {
        c->tls_write_wants_read = 0;
        if (!c->reading) ev_io_stop(loop, w);
        if (!client_write(c)) return;
    }
    if (c->reading) tls_read_in(c);
}

static void tls_write_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)revents;
    client *c = w->data;
    if (c->tls_read_wants_write) {
        c->tls_read_wants_write = 0;
        if (!c->writing) ev_io_stop(loop, w);
        if (!tls_read_in(c)) return;
    }
    if (c->writing) client_write(c);
}

/* client_write's loop for a TLS client. 0 if c was freed; *wait_writable
 * 0 when OpenSSL waits to read first (rio is started for it). */
static int tls_write_out(client *c, int *wait_writable) {
    while (buf_unread(&c->out)) {
        size_t n = 0;
        int r = tls_write(c->tls, c->out.data + c->out.pos, buf_unread(&c->out), &n);
        if (r == TLS_WANT_WRITE) break;
        if (r == TLS_WANT_READ) {
            c->tls_write_wants_read = 1;
            ev_io_start(server_loop(), &c->rio);
            *wait_writable = 0;
            break;
        }
        if (r == TLS_CLOSED) { client_free(c); return 0; }
        if (r != TLS_OK) { tls_drop(c, "Error writing to client", tls_error(c->tls)); return 0; }
        c->out.pos += n;
        stats.net_out += (long long)n;
    }
    return 1;
}

/* ---- file descriptors ----
 * Descriptors the node keeps for itself, out of its clients' reach: two
 * LevelDBs (the live one and one built from an image), peers in and out,
 * the log, image transfers, listening sockets, libev and the log file. */
#define RESERVED_FDS (2 * STORE_MAX_OPEN_FILES + PEER_MAX_INBOUND + 4 * RAFT_MAX_NODES + 64)

/* Raises RLIMIT_NOFILE towards maxclients + RESERVED_FDS, as far as the
 * system lets it. */
long long client_max_possible(long long maxclients) {
    struct rlimit rl;
    rlim_t want = (rlim_t)maxclients + RESERVED_FDS;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return maxclients;  /* nothing better to go by */
    if (rl.rlim_cur < want) {
        struct rlimit up = {want, rl.rlim_max > want ? rl.rlim_max : want};
        if (setrlimit(RLIMIT_NOFILE, &up) < 0) {  /* not root: as far as the hard limit */
            up.rlim_cur = up.rlim_max = rl.rlim_max;
            if (rl.rlim_max > rl.rlim_cur) setrlimit(RLIMIT_NOFILE, &up);
        }
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur >= want) return maxclients;
    return rl.rlim_cur > RESERVED_FDS ? (long long)(rl.rlim_cur - RESERVED_FDS) : 0;
}

int client_fit_maxclients(config *cfg) {
    long long can = client_max_possible(cfg->maxclients);
    if (can >= cfg->maxclients) return 0;
    if (can < 1) {
        logmsg(LL_WARNING, "The limit on open files (ulimit -n) is too low to start: this node needs %d descriptors "
               "for itself plus one per client. Raise it (ulimit -n %lld).", RESERVED_FDS,
               cfg->maxclients + RESERVED_FDS);
        return -1;
    }
    logmsg(LL_WARNING, "maxclients %lld needs %lld open files, and the limit (ulimit -n) could not be raised past "
           "%lld: maxclients is lowered to %lld. To serve more clients, raise 'ulimit -n'.", cfg->maxclients,
           cfg->maxclients + RESERVED_FDS, can + RESERVED_FDS, can);
    cfg->maxclients = can;
    return 0;
}
