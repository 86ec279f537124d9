/* main: options, start-up, the step before each loop sleep, signals and
 * shutdown. It wires the node's callbacks to the front-end modules. */
#include "auth.h"
#include "blocking.h"
#include "client.h"
#include "dispatch.h"
#include "expiry.h"
#include "multi.h"
#include "forward.h"
#include "log.h"
#include "node.h"
#include "peer.h"
#include "reads.h"
#include "server.h"
#include "tls.h"
#include "writes.h"
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static config cfg;          /* the one configuration: server.h */
static ev_prepare before_sleep;
static ev_idle again;
static ev_signal sigterm, sigint;

/* Arguments of big requests freed per iteration, besides as many as were
 * parsed (resp_free_deferred): about 6 ms on an ASan build. */
#define FREE_PER_ITERATION 16384

/* Like Redis's beforeSleep: drive the node, answer what is answered.
 * What a pass answers may let a held client go on (its reads done, its
 * write applied), and what that client then proposes must reach the node
 * in this iteration, not at the next tick: passes go on while clients
 * resume, and after four the loop polls once without sleeping. */
static void before_sleep_cb(struct ev_loop *loop, ev_prepare *w, int revents) {
    (void)w; (void)revents;
    auth_refresh();  /* first: it may close clients */
    dispatch_resume_held();
    for (int k = 0;; k++) {
        reads_start();
        blocking_serve();
        node_process();
        writes_answer_committed();
        reads_serve();
        reads_serve_slices();
        writes_serve_transfers();
        if (!dispatch_resume_held()) break;
        if (k == 3) { ev_idle_start(loop, &again); break; }
    }
    client_flush_pending();
    peer_flush();
    if (resp_free_deferred(FREE_PER_ITERATION)) ev_idle_start(loop, &again);  /* more to free: no sleep */
}

/* Only there to keep the loop from sleeping once (before_sleep_cb: more
 * passes are due, or more arguments to free). */
static void again_cb(struct ev_loop *loop, ev_idle *w, int revents) {
    (void)revents;
    ev_idle_stop(loop, w);
}

static void on_leader_changed(void) {
    /* a barrier belongs to one term of one leader: never carry it over */
    reads_fail_all();
    blocking_leader_changed();
    forward_on_leader_changed();
    multi_leader_changed();
}

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents) {
    (void)loop; (void)revents;
    logmsg(LL_WARNING, "Received %s scheduling shutdown...", w->signum == SIGINT ? "SIGINT" : "SIGTERM");
    server_stop(0);
}

static void usage(void) {
    printf("Usage: ./raftkv-server [/path/to/raftkv.conf] [options]\n"
           "       ./raftkv-server -v or --version\n"
           "       ./raftkv-server -h or --help\n\n"
           "Options (also accepted in the config file, without the dashes):\n"
           "  --port N                       client port (default 7001)\n"
           "  --bind ADDR                    listen address (default 127.0.0.1)\n"
           "  --requirepass PASSWORD         clients must AUTH first (the same on every node)\n"
           "  --protected-mode yes|no        without a password, serve only 127.0.0.1 and ::1 (default yes)\n"
           "  --dir PATH                     data directory (default ./data)\n"
           "  --loglevel debug|verbose|notice|warning\n"
           "  --logfile PATH                 log file (default: standard output)\n"
           "  --maxclients N                 (default 10000)\n"
           "  --proto-max-bulk-len BYTES     largest bulk string (default 512mb)\n"
           "  --client-query-buffer-limit BYTES  (default 1gb)\n"
           "  --client-output-buffer-limit BYTES (default 1gb)\n"
           "  --appendfsync always|no        fdatasync the Raft log before acknowledging (default always)\n"
           "  --id N                         this node's id in --cluster (default 1)\n"
           "  --cluster 1=HOST:PORT[@PEERPORT],2=...  every member; peer port defaults to port + 10000\n"
           "  --cluster-request-timeout MS   bound on waiting for a leader or a commit (default 3000)\n"
           "  --election-timeout MS          (default 1000, randomized up to twice that)\n"
           "  --heartbeat-interval MS        (default 100)\n"
           "  --wal-segment-size BYTES       (default 64mb)\n"
           "  --cluster-secret-file PATH     the secret every member proves it knows on the peer port\n"
           "  --cluster-secret SECRET        the same, given here (visible to ps: prefer the file)\n"
           "                                 needed unless --bind is a loopback address\n"
           "  --tls-port N                   TLS clients on N too (port 0: TLS only)\n"
           "  --tls-cluster yes|no           every peer link over TLS, certificates checked both ways\n"
           "  --tls-cert-file, --tls-key-file, --tls-ca-cert-file PATH   as Redis's (CONFIG SET reloads them)\n\n"
           "Examples:\n"
           "  ./raftkv-server --port 7001 --dir ./data\n"
           "  ./raftkv-server --id 2 --dir ./n2 --cluster 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003\n"
           "  ./raftkv-server /etc/raftkv/7001.conf --loglevel verbose\n");
}

/* -v or -h: answered, and the process exits (1). */
static int answer_flags(int argc, char **argv) {
    if (argc != 2) return 0;
    if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version")) {
        printf("raftkv-server v=%s (Redis protocol %s compatible)\n", RAFTKV_VERSION, REDIS_COMPAT_VERSION);
        return 1;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) { usage(); return 1; }
    return 0;
}

/* Overwrites the value of --cluster-secret on the command line, so that ps
 * and /proc/PID/cmdline no longer show it (they did until now: the file
 * form never shows it). */
static void hide_secret_arg(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i++)
        if (!strcasecmp(argv[i], "--cluster-secret")) memset(argv[i + 1], '*', strlen(argv[i + 1]));
}

/* The options, the log, the limits: 0, or -1 after saying why. */
static int configure(int argc, char **argv) {
    char err[512];
    config_defaults(&cfg);
    int rc = config_load_args(&cfg, argc - 1, argv + 1, err, sizeof(err));
    hide_secret_arg(argc, argv);
    if (rc < 0) {
        fprintf(stderr, "\n*** FATAL CONFIG ERROR ***\n%s\n", err);
        return -1;
    }
    server_apply_limits(&cfg);
    if (log_open(cfg.logfile) < 0) {
        fprintf(stderr, "Can't open the log file %s: %s\n", cfg.logfile, strerror(errno));
        return -1;
    }
    if (config_finish(&cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "\n*** FATAL CONFIG ERROR ***\n%s\n", err);
        if (cfg.logfile[0]) logmsg(LL_WARNING, "%s", err);
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    srandom((unsigned)time(NULL) ^ (unsigned)getpid());
    logmsg(LL_NOTICE, "raftkv %s starting, pid=%d", RAFTKV_VERSION, (int)getpid());
    return client_fit_maxclients(&cfg);
}

static store *open_data(void) {
    if (mkdir(cfg.dir, 0755) < 0 && errno != EEXIST) {
        logmsg(LL_WARNING, "Can't create data directory %s: %s", cfg.dir, strerror(errno));
        return NULL;
    }
    char *dberr = NULL;
    store_set_memory((size_t)cfg.leveldb_cache_size, (size_t)cfg.leveldb_write_buffer_size, (size_t)cfg.key_cache_size);
    store *f = store_open(cfg.dir, &dberr);
    if (!f) {
        logmsg(LL_WARNING, "Can't open the data in %s: %s", cfg.dir, dberr);
        free(dberr);
        return NULL;
    }
    logmsg(LL_NOTICE, "Data loaded: %llu keys, applied index %llu", (unsigned long long)store_keys(f),
           (unsigned long long)store_applied(f));
    return f;
}

/* The front end's watchers, once the node runs and clients may come. */
static void start_front_end(struct ev_loop *loop) {
    forward_init();
    dispatch_init();
    reads_init();
    expiry_init(loop);
    ev_prepare_init(&before_sleep, before_sleep_cb);
    ev_prepare_start(loop, &before_sleep);
    ev_idle_init(&again, again_cb);
    ev_signal_init(&sigterm, stop_cb, SIGTERM);
    ev_signal_start(loop, &sigterm);
    ev_signal_init(&sigint, stop_cb, SIGINT);
    ev_signal_start(loop, &sigint);
}

/* Everything applied is made durable (node_shutdown), then closed. */
static void shut_down(struct ev_loop *loop, store *f, store *reader) {
    client_close_all();
    reads_free();
    expiry_free();
    node_shutdown();
    tls_cleanup();  /* after the peer links, which may hold TLS */
    writes_free();
    forward_free();
    auth_shutdown();
    store_reader_free(reader);
    store_close(f);
    resp_free_deferred(INT_MAX);
    ev_loop_destroy(loop);
    logmsg(LL_NOTICE, "raftkv is now ready to exit, bye bye...");
    log_close();
}

int main(int argc, char **argv) {
    if (answer_flags(argc, argv)) return 0;
    if (configure(argc, argv) < 0) return 1;
    int plain = cfg.port != 0;
    if (tls_wanted(&cfg) && tls_configure(&cfg) < 0) {
        logmsg(LL_WARNING, "Failed to configure TLS. Check logs for more info.");
        return 1;
    }
    store *f = open_data();
    if (!f) return 1;
    struct ev_loop *loop = ev_default_loop(0);
    node_events nev = {writes_reply_for, NULL, on_leader_changed, forward_on_request, forward_on_reply,
                       forward_on_close, forward_on_peer_down, forward_on_link_closed, forward_on_link_up,
                       reads_on_index_request, reads_on_index_reply};
    if (node_init(loop, &cfg, f, &nev) < 0) { store_close(f); return 1; }
    store *reader = store_reader_new(f);  /* the clients' reads: the store is the applier's */
    server_init(&cfg, loop, reader);
    auth_refresh();  /* the stored users before the first connection */
    if (!plain) cfg.port = 0;  /* --cluster named this node's port: "port 0" still means none */
    if ((plain && client_listen(cfg.bind, cfg.port, 0) < 0) ||
        (cfg.tls_port && client_listen(cfg.bind, cfg.tls_port, 1) < 0)) {
        client_close_all();
        node_shutdown();
        auth_shutdown();
        store_reader_free(reader);
        store_close(f);
        return 1;
    }
    start_front_end(loop);
    node_on_written(blocking_written);
    if (plain) logmsg(LL_NOTICE, "Ready to accept connections tcp on %s:%d", cfg.bind, cfg.port);
    if (cfg.tls_port) logmsg(LL_NOTICE, "Ready to accept connections tls on %s:%d", cfg.bind, cfg.tls_port);
    ev_run(loop, 0);
    shut_down(loop, f, reader);
    return 0;
}
