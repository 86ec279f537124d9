#include "server.h"
#include "entry.h"
#include "log.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

server srv;
extern long long cmd_max_string;

#define READ_CHUNK (16 * 1024)

static void read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void write_cb(struct ev_loop *loop, ev_io *w, int revents);

static void set_reading(client *c, int on) {
    if (on == c->reading) return;
    if (on) ev_io_start(srv.loop, &c->rio); else ev_io_stop(srv.loop, &c->rio);
    c->reading = on;
}

static void set_writing(client *c, int on) {
    if (on == c->writing) return;
    if (on) ev_io_start(srv.loop, &c->wio); else ev_io_stop(srv.loop, &c->wio);
    c->writing = on;
}

static void queue_output(client *c) {
    if (c->pending) return;
    c->pending = 1;
    c->pnext = srv.pending;
    srv.pending = c;
}

void client_free(client *c) {
    set_reading(c, 0);
    set_writing(c, 0);
    close(c->fd);
    if (c->prev) c->prev->next = c->next; else srv.clients = c->next;
    if (c->next) c->next->prev = c->prev;
    if (c->pending)
        for (client **p = &srv.pending; *p; p = &(*p)->pnext)
            if (*p == c) { *p = c->pnext; break; }
    buf_free(&c->in);
    buf_free(&c->out);
    resp_parser_free(&c->parser);
    free(c->name);
    free(c);
    srv.nclients--;
}

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
    snprintf(out, cap, "%s:%d", ip, port);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop; (void)revents;
    for (int i = 0; i < 256; i++) {
        int fd = accept(w->fd, NULL, NULL);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                logmsg(LL_WARNING, "Accepting client connection: %s", strerror(errno));
            return;
        }
        srv.conns_received++;
        if (srv.nclients >= srv.cfg.maxclients) {
            static const char msg[] = "-ERR max number of clients reached\r\n";
            if (write(fd, msg, sizeof(msg) - 1) < 0) { /* best effort, as Redis */ }
            close(fd);
            srv.conns_rejected++;
            continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        client *c = xmalloc(sizeof(*c));
        memset(c, 0, sizeof(*c));
        c->id = ++srv.next_client_id;
        c->fd = fd;
        c->ctime = c->atime = time(NULL);
        strcpy(c->lastcmd, "NULL");
        addr_str(fd, 1, c->addr, sizeof(c->addr));
        addr_str(fd, 0, c->laddr, sizeof(c->laddr));
        resp_parser_init(&c->parser, srv.cfg.proto_max_bulk_len);
        ev_io_init(&c->rio, read_cb, fd, EV_READ);
        ev_io_init(&c->wio, write_cb, fd, EV_WRITE);
        c->rio.data = c->wio.data = c;
        c->next = srv.clients;
        if (srv.clients) srv.clients->prev = c;
        srv.clients = c;
        srv.nclients++;
        set_reading(c, 1);
    }
}

/* Runs one parsed request. */
static void execute(client *c, int argc, rstr *argv) {
    srv.commands++;
    command *cmd = cmd_lookup(argv[0].p, argv[0].len);
    const command *run = cmd, *parent = NULL;
    cmdctx x = {srv.f, &c->out, c, 0};
    if (!cmd) { cmd_reply_unknown(&c->out, argc, argv); srv.errors++; return; }
    if (!cmd_arity_ok(cmd, argc)) { cmd_reply_arity(&c->out, cmd, NULL); srv.errors++; return; }
    if (cmd->subs && argc >= 2) {
        const command *sub = cmd_lookup_sub(cmd, argv[1].p, argv[1].len);
        if (!sub && cmd->proc) sub = NULL;           /* COMMAND has its own bare form */
        else if (!sub) { cmd_reply_unknown_sub(&c->out, cmd, &argv[1]); srv.errors++; return; }
        if (sub) {
            parent = cmd;
            run = sub;
            if (!cmd_arity_ok(sub, argc)) { cmd_reply_arity(&c->out, sub, parent); srv.errors++; return; }
        }
    }
    if (parent) snprintf(c->lastcmd, sizeof(c->lastcmd), "%s|%s", parent->name, run->name);
    else snprintf(c->lastcmd, sizeof(c->lastcmd), "%s", cmd->name);
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    size_t before = c->out.len;
    if (cmd->flags & CMD_WRITE) {
        /* The single path to data: encode, then apply as the log will. */
        static buf entry;
        entry.len = entry.pos = 0;
        entry_encode(&entry, ENTRY_COMMAND, (uint64_t)t0.tv_sec * 1000 + (uint64_t)t0.tv_usec / 1000, argc, argv);
        fsm_apply(srv.f, fsm_applied(srv.f) + 1, entry.data, entry.len, &c->out);
        srv.dirty = 1;
    } else {
        run->proc(&x, argc, argv);
    }
    gettimeofday(&t1, NULL);
    cmd->calls++;
    cmd->usec += (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_usec - t0.tv_usec);
    if (c->out.len > before && c->out.data[before] == '-') { cmd->failed++; srv.errors++; }
}

static void protocol_error(client *c) {
    char msg[160];
    snprintf(msg, sizeof(msg), "ERR %s", c->parser.err);
    reply_error(&c->out, msg);
    logmsg(LL_VERBOSE, "Protocol error (%s) from client: id=%llu addr=%s", c->parser.err,
           (unsigned long long)c->id, c->addr);
    c->close_after_reply = 1;
    set_reading(c, 0);
    c->in.len = c->in.pos = 0;
}

static void process_input(client *c) {
    while (!c->close_after_reply && buf_unread(&c->in)) {
        c->parser.max_bulk = srv.cfg.proto_max_bulk_len;
        int r = resp_parse(&c->parser, &c->in);
        if (r == RESP_NEED_MORE) break;
        if (r == RESP_ERR) { protocol_error(c); break; }
        if (c->parser.argc > 0) execute(c, c->parser.argc, c->parser.argv);
        resp_args_reset(&c->parser);
    }
    buf_compact(&c->in);
    if (buf_unread(&c->out) || c->close_after_reply) queue_output(c);
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop; (void)revents;
    client *c = w->data;
    buf_reserve(&c->in, READ_CHUNK);
    ssize_t n = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) { client_free(c); return; }
    c->in.len += (size_t)n;
    c->atime = time(NULL);
    srv.net_in += n;
    if ((long long)buf_unread(&c->in) > srv.cfg.client_query_buffer_limit) {
        logmsg(LL_WARNING, "Closing client that reached max query buffer length: id=%llu addr=%s (qbuf=%zu)",
               (unsigned long long)c->id, c->addr, buf_unread(&c->in));
        client_free(c);
        return;
    }
    process_input(c);
}

/* Writes what it can; 0 if the client was freed. */
static int flush_client(client *c) {
    while (buf_unread(&c->out)) {
        ssize_t n = write(c->fd, c->out.data + c->out.pos, buf_unread(&c->out));
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { client_free(c); return 0; }
        c->out.pos += (size_t)n;
        srv.net_out += n;
    }
    if (buf_unread(&c->out) == 0) {
        c->out.pos = c->out.len = 0;
        if (c->out.cap > (1 << 20)) buf_free(&c->out);  /* give back a big reply's memory */
        set_writing(c, 0);
        if (c->close_after_reply) { client_free(c); return 0; }
        return 1;
    }
    if ((long long)buf_unread(&c->out) > srv.cfg.client_output_buffer_limit) {
        logmsg(LL_WARNING, "Client id=%llu addr=%s closed for overcoming of output buffer limits.",
               (unsigned long long)c->id, c->addr);
        srv.output_limit_disconnections++;
        client_free(c);
        return 0;
    }
    set_writing(c, 1);
    return 1;
}

static void write_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop; (void)revents;
    flush_client(w->data);
}

/* Like Redis's beforeSleep: make applied entries durable, then answer. */
static void before_sleep_cb(struct ev_loop *loop, ev_prepare *w, int revents) {
    (void)loop; (void)w; (void)revents;
    if (srv.dirty) {
        if ((srv.cfg.appendfsync ? fsm_sync(srv.f) : fsm_flush_batch(srv.f)) != 0) {
            logmsg(LL_WARNING, "Cannot make writes durable; exiting rather than acknowledge them");
            exit(1);
        }
        srv.syncs++;
        srv.dirty = 0;
    }
    while (srv.pending) {
        client *c = srv.pending;
        srv.pending = c->pnext;
        c->pending = 0;
        if (!c->writing) flush_client(c);
    }
}

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents) {
    (void)revents;
    logmsg(LL_WARNING, "Received %s scheduling shutdown...", w->signum == SIGINT ? "SIGINT" : "SIGTERM");
    ev_break(loop, EVBREAK_ALL);
}

static int listen_on(const char *host, int port) {
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

static void usage(void) {
    printf("Usage: ./raftkv-server [/path/to/raftkv.conf] [options]\n"
           "       ./raftkv-server -v or --version\n"
           "       ./raftkv-server -h or --help\n\n"
           "Options (also accepted in the config file, without the dashes):\n"
           "  --port N                       client port (default 7001)\n"
           "  --bind ADDR                    listen address (default 127.0.0.1)\n"
           "  --dir PATH                     data directory (default ./data)\n"
           "  --loglevel debug|verbose|notice|warning\n"
           "  --logfile PATH                 log file (default: standard output)\n"
           "  --maxclients N                 (default 10000)\n"
           "  --proto-max-bulk-len BYTES     largest bulk string (default 512mb)\n"
           "  --client-query-buffer-limit BYTES  (default 1gb)\n"
           "  --client-output-buffer-limit BYTES (default 1gb)\n"
           "  --appendfsync always|no        fdatasync before acknowledging writes (default always)\n\n"
           "Examples:\n"
           "  ./raftkv-server --port 7001 --dir ./data\n"
           "  ./raftkv-server /etc/raftkv/7001.conf --loglevel verbose\n");
}

int main(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version"))) {
        printf("raftkv-server v=%s (Redis protocol %s compatible)\n", RAFTKV_VERSION, REDIS_COMPAT_VERSION);
        return 0;
    }
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) { usage(); return 0; }
    char err[512];
    config_defaults(&srv.cfg);
    if (config_load_args(&srv.cfg, argc - 1, argv + 1, err, sizeof(err)) < 0) {
        fprintf(stderr, "\n*** FATAL CONFIG ERROR ***\n%s\n", err);
        return 1;
    }
    log_level = srv.cfg.loglevel;
    if (log_open(srv.cfg.logfile) < 0) {
        fprintf(stderr, "Can't open the log file %s: %s\n", srv.cfg.logfile, strerror(errno));
        return 1;
    }
    cmd_max_string = srv.cfg.proto_max_bulk_len;
    signal(SIGPIPE, SIG_IGN);
    srandom((unsigned)time(NULL) ^ (unsigned)getpid());
    logmsg(LL_NOTICE, "raftkv %s starting, pid=%d", RAFTKV_VERSION, (int)getpid());
    if (mkdir(srv.cfg.dir, 0755) < 0 && errno != EEXIST) {
        logmsg(LL_WARNING, "Can't create data directory %s: %s", srv.cfg.dir, strerror(errno));
        return 1;
    }
    char *dberr = NULL;
    srv.f = fsm_open(srv.cfg.dir, &dberr);
    if (!srv.f) {
        logmsg(LL_WARNING, "Can't open the data in %s: %s", srv.cfg.dir, dberr);
        free(dberr);
        return 1;
    }
    logmsg(LL_NOTICE, "Data loaded: %llu keys, applied index %llu", (unsigned long long)fsm_keys(srv.f),
           (unsigned long long)fsm_applied(srv.f));
    srv.lfd = listen_on(srv.cfg.bind, srv.cfg.port);
    if (srv.lfd < 0) { fsm_close(srv.f); return 1; }
    srv.start_time = time(NULL);
    srv.loop = ev_default_loop(0);
    ev_io_init(&srv.accept_io, accept_cb, srv.lfd, EV_READ);
    ev_io_start(srv.loop, &srv.accept_io);
    ev_prepare_init(&srv.before_sleep, before_sleep_cb);
    ev_prepare_start(srv.loop, &srv.before_sleep);
    ev_signal_init(&srv.sigterm, stop_cb, SIGTERM);
    ev_signal_start(srv.loop, &srv.sigterm);
    ev_signal_init(&srv.sigint, stop_cb, SIGINT);
    ev_signal_start(srv.loop, &srv.sigint);
    logmsg(LL_NOTICE, "Ready to accept connections tcp on %s:%d", srv.cfg.bind, srv.cfg.port);
    ev_run(srv.loop, 0);
    /* Shutdown: everything applied is made durable, then closed. */
    while (srv.clients) client_free(srv.clients);
    close(srv.lfd);
    if (fsm_sync(srv.f) != 0) logmsg(LL_WARNING, "Final sync failed");
    fsm_close(srv.f);
    ev_loop_destroy(srv.loop);
    logmsg(LL_NOTICE, "raftkv is now ready to exit, bye bye...");
    log_close();
    return 0;
}
