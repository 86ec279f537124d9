#include "config.h"
#include "glob.h"
#include "log.h"
#include "resp.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum { T_INT, T_MEM, T_STR, T_LOGLEVEL, T_YESNO, T_BOOL, T_CHOICE };

typedef struct option {
    const char *name;
    int type;
    size_t off;
    size_t size;        /* for strings */
    long long min, max;
    int mutable;        /* FIXED, LIVE, LIVE_TLS or LIVE_TLS_FILE */
    int hidden;         /* never shown (CONFIG GET, error messages): the cluster secret */
    const char *const *choices;  /* T_CHOICE: the names of values 0..max */
} option;

/* option.mutable: whether CONFIG SET may change it, and what follows. */
enum {
    FIXED = 0,
    LIVE = 1,
    LIVE_TLS = 2,       /* a change rebuilds the TLS contexts (strings only: compared as such) */
    LIVE_TLS_FILE = 3   /* so does setting it at all: the file it names may have changed */
};

#define OFF(f) offsetof(config, f)
static const char *const tls_auth[] = {"no", "yes", "optional"};  /* by CONFIG_TLS_AUTH_* */
static const char *const read_modes[] = {"linearizable", "lease"};   /* config.read_lease */

static const option options[] = {
    {"port", T_INT, OFF(port), 0, 0, 65535, 0, 0, NULL},
    {"bind", T_STR, OFF(bind), sizeof(((config *)0)->bind), 0, 0, 0, 0, NULL},
    {"dir", T_STR, OFF(dir), sizeof(((config *)0)->dir), 0, 0, 0, 0, NULL},
    {"loglevel", T_LOGLEVEL, OFF(loglevel), 0, 0, 3, 1, 0, NULL},
    {"logfile", T_STR, OFF(logfile), sizeof(((config *)0)->logfile), 0, 0, 0, 0, NULL},
    {"maxclients", T_INT, OFF(maxclients), 0, 1, 1000000, 1, 0, NULL},
    {"proto-max-bulk-len", T_MEM, OFF(proto_max_bulk_len), 0, 1024 * 1024, 512LL << 20, 1, 0, NULL},  /* CMD_MAX_STRING */
    {"client-query-buffer-limit", T_MEM, OFF(client_query_buffer_limit), 0, 1024 * 1024, 1LL << 40, 1, 0, NULL},
    {"client-output-buffer-limit", T_MEM, OFF(client_output_buffer_limit), 0, 1024 * 1024, 1LL << 40, 1, 0, NULL},
    {"appendfsync", T_YESNO, OFF(appendfsync), 0, 0, 1, 1, 0, NULL},
    {"follower-reads", T_BOOL, OFF(follower_reads), 0, 0, 1, 1, 0, NULL},
    {"write-probes", T_BOOL, OFF(write_probes), 0, 0, 1, 1, 0, NULL},
    {"read-consistency", T_CHOICE, OFF(read_lease), 0, 0, 1, 1, 0, read_modes},
    /* Read by tools such as redis-benchmark; fixed for raftkv. */
    {"appendonly", T_STR, OFF(appendonly), sizeof(((config *)0)->appendonly), 0, 0, 0, 0, NULL},
    {"save", T_STR, OFF(save), sizeof(((config *)0)->save), 0, 0, 0, 0, NULL},
    {"enable-debug-command", T_STR, OFF(enable_debug_command), sizeof(((config *)0)->enable_debug_command), 0, 0, 0, 0, NULL},
    {"requirepass", T_STR, OFF(requirepass), sizeof(((config *)0)->requirepass), 0, 0, 1, 0, NULL},
    {"protected-mode", T_BOOL, OFF(protected_mode), 0, 0, 1, 1, 0, NULL},
    {"id", T_INT, OFF(id), 0, 1, 1LL << 40, 0, 0, NULL},
    {"cluster", T_STR, OFF(cluster), sizeof(((config *)0)->cluster), 0, 0, 0, 0, NULL},
    {"join", T_STR, OFF(join), sizeof(((config *)0)->join), 0, 0, 0, 0, NULL},
    {"peer-port", T_INT, OFF(peer_port), 0, 0, 65535, 0, 0, NULL},
    {"cluster-request-timeout", T_INT, OFF(cluster_request_timeout), 0, 10, 3600000, 1, 0, NULL},
    {"election-timeout", T_INT, OFF(election_timeout), 0, 20, 600000, 0, 0, NULL},
    {"heartbeat-interval", T_INT, OFF(heartbeat_interval), 0, 5, 60000, 0, 0, NULL},
    /* Testing only: shifts this node's wall clock, to play a skewed clock. */
    {"clock-offset-ms", T_INT, OFF(clock_offset_ms), 0, -(1LL << 40), 1LL << 40, 0, 0, NULL},
    {"wal-segment-size", T_MEM, OFF(wal_segment_size), 0, 4096, 1LL << 40, 0, 0, NULL},
    {"snapshot-threshold", T_INT, OFF(snapshot_threshold), 0, 4, 1LL << 40, 1, 0, NULL},
    {"snapshot-log-size", T_MEM, OFF(snapshot_log_size), 0, 4096, 1LL << 40, 1, 0, NULL},
    {"max-uncommitted-bytes", T_MEM, OFF(max_uncommitted_bytes), 0, 1024 * 1024, 1LL << 40, 1, 0, NULL},
    {"leveldb-cache-size", T_MEM, OFF(leveldb_cache_size), 0, 1024 * 1024, 1LL << 40, 0, 0, NULL},
    {"leveldb-write-buffer-size", T_MEM, OFF(leveldb_write_buffer_size), 0, 1024 * 1024, 1LL << 30, 0, 0, NULL},
    {"key-cache-size", T_MEM, OFF(key_cache_size), 0, 1024 * 1024, 1LL << 40, 0, 0, NULL},
    {"log-cache-size", T_MEM, OFF(log_cache_size), 0, 0, 1LL << 40, 0, 0, NULL},
    /* Unlike Redis's requirepass and masterauth, which CONFIG GET returns,
     * these are left out of CONFIG GET: any client may ask it, and the
     * secret is what keeps strangers off the peer port. */
    {"cluster-secret", T_STR, OFF(cluster_secret), sizeof(((config *)0)->cluster_secret), 0, 0, 0, 1, NULL},
    {"cluster-secret-file", T_STR, OFF(cluster_secret_file), sizeof(((config *)0)->cluster_secret_file), 0, 0, 0, 1, NULL},
    /* Redis 7.0's TLS options. CONFIG SET of the certificates and
     * protocols builds new contexts for the next connections (tls.h);
     * tls-auth-clients counts for the next connection. The ports and
     * tls-cluster are read once: switching one node's peer links to TLS
     * alone would cut it off from the others. */
    {"tls-port", T_INT, OFF(tls_port), 0, 0, 65535, FIXED, 0, NULL},
    {"tls-cluster", T_BOOL, OFF(tls_cluster), 0, 0, 1, FIXED, 0, NULL},
    {"tls-cert-file", T_STR, OFF(tls_cert_file), sizeof(((config *)0)->tls_cert_file), 0, 0, LIVE_TLS_FILE, 0, NULL},
    {"tls-key-file", T_STR, OFF(tls_key_file), sizeof(((config *)0)->tls_key_file), 0, 0, LIVE_TLS_FILE, 0, NULL},
    {"tls-client-cert-file", T_STR, OFF(tls_client_cert_file), sizeof(((config *)0)->tls_client_cert_file), 0, 0,
     LIVE_TLS_FILE, 0, NULL},
    {"tls-client-key-file", T_STR, OFF(tls_client_key_file), sizeof(((config *)0)->tls_client_key_file), 0, 0,
     LIVE_TLS_FILE, 0, NULL},
    {"tls-ca-cert-file", T_STR, OFF(tls_ca_cert_file), sizeof(((config *)0)->tls_ca_cert_file), 0, 0, LIVE_TLS_FILE,
     0, NULL},
    {"tls-ca-cert-dir", T_STR, OFF(tls_ca_cert_dir), sizeof(((config *)0)->tls_ca_cert_dir), 0, 0, LIVE_TLS_FILE, 0, NULL},
    {"tls-auth-clients", T_CHOICE, OFF(tls_auth_clients), 0, 0, 2, LIVE, 0, tls_auth},
    {"tls-protocols", T_STR, OFF(tls_protocols), sizeof(((config *)0)->tls_protocols), 0, 0, LIVE_TLS, 0, NULL},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static const char *levels[] = {"debug", "verbose", "notice", "warning"};

void config_defaults(config *c) {
    memset(c, 0, sizeof(*c));
    c->port = 7001;
    strcpy(c->bind, "127.0.0.1");
    strcpy(c->dir, "./data");
    c->loglevel = LL_NOTICE;
    c->maxclients = 10000;
    c->proto_max_bulk_len = 512LL * 1024 * 1024;
    c->client_query_buffer_limit = 1024LL * 1024 * 1024;
    c->client_output_buffer_limit = 1024LL * 1024 * 1024;
    c->appendfsync = 1;
    c->follower_reads = 1;
    c->write_probes = 1;
    strcpy(c->appendonly, "yes");
    strcpy(c->enable_debug_command, "no");
    c->protected_mode = 1;
    c->id = 1;
    c->cluster_request_timeout = 3000;
    c->election_timeout = 1000;
    c->heartbeat_interval = 100;
    c->wal_segment_size = 16LL * 1024 * 1024;
    c->snapshot_threshold = 100000;
    c->snapshot_log_size = 64LL * 1024 * 1024;
    c->max_uncommitted_bytes = 128LL * 1024 * 1024;
    c->leveldb_cache_size = 64LL << 20;  /* store.h's defaults */
    c->leveldb_write_buffer_size = 32LL << 20;
    c->key_cache_size = 32LL << 20;
    c->log_cache_size = 16LL << 20;
    c->tls_auth_clients = CONFIG_TLS_AUTH_YES;
}

int config_parse_cluster(const char *s, members *out, char *err, size_t errlen) {
    if (members_parse(s, strlen(s), out, err, errlen) < 0) return -1;
    if (!out->n) { snprintf(err, errlen, "the cluster option lists no member"); return -1; }
    for (int i = 0; i < out->n; i++)
        if (!out->m[i].host[0] || out->m[i].learner) {
            snprintf(err, errlen, "cluster member %llu must be written id=host:port (every member votes)",
                     (unsigned long long)out->m[i].id);
            return -1;
        }
    if (members_voters(out) > MEMBERS_MAX_VOTERS) {
        snprintf(err, errlen, "a cluster has at most %d voting members", MEMBERS_MAX_VOTERS);
        return -1;
    }
    return out->n;
}

/* "512mb", "1gb", "100k", "1024": Redis's memory units. */
static int parse_mem(const char *s, long long *out) {
    size_t n = strlen(s), digits = n;
    long long mul = 1;
    const char *units[] = {"b", "k", "kb", "m", "mb", "g", "gb"};
    const long long muls[] = {1, 1000, 1024, 1000000, 1024 * 1024, 1000000000LL, 1024LL * 1024 * 1024};
    for (size_t i = 0; i < 7; i++) {
        size_t ul = strlen(units[i]);
        if (n > ul && strcasecmp(s + n - ul, units[i]) == 0 && isdigit((unsigned char)s[n - ul - 1])) {
            digits = n - ul;
            mul = muls[i];
        }
    }
    long long v;
    if (!str2ll(s, digits, &v) || v < 0 || v > (1LL << 50)) return 0;
    *out = v * mul;
    return 1;
}

static const option *find(const char *name) {
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strcasecmp(options[i].name, name) == 0) return &options[i];
    return NULL;
}

int config_set(config *c, const char *name, const char *value, int runtime) {
    const option *o = find(name);
    if (!o) return -1;
    if (runtime && !o->mutable) return -3;
    char *f = (char *)c + o->off;
    long long v;
    switch (o->type) {
    case T_INT:
        if (!str2ll(value, strlen(value), &v) || v < o->min || v > o->max) return -2;
        if (o->off == OFF(port) || o->off == OFF(tls_port)) *(int *)f = (int)v; else *(long long *)f = v;
        return 0;
    case T_MEM:
        if (!parse_mem(value, &v) || v < o->min || v > o->max) return -2;
        *(long long *)f = v;
        return 0;
    case T_STR:
        if (strlen(value) >= o->size || (o->hidden && !value[0])) return -2;
        if (o->off == OFF(enable_debug_command) && strcasecmp(value, "no") && strcasecmp(value, "yes") &&
            strcasecmp(value, "local"))
            return -2;
        strcpy(f, value);
        return 0;
    case T_LOGLEVEL:
        for (int i = 0; i < 4; i++)
            if (strcasecmp(value, levels[i]) == 0) { *(int *)f = i; return 0; }
        return -2;
    case T_YESNO:
        if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "always") == 0) { *(int *)f = 1; return 0; }
        /* everysec is refused, not taken for no: Redis's meaning (lose at
         * most a second of writes) is no promise a Raft log can keep */
        if (strcasecmp(value, "no") == 0) { *(int *)f = 0; return 0; }
        return -2;
    case T_BOOL:
        if (strcasecmp(value, "yes") == 0) { *(int *)f = 1; return 0; }
        if (strcasecmp(value, "no") == 0) { *(int *)f = 0; return 0; }
        return -4;
    case T_CHOICE:
        for (int i = 0; i <= o->max; i++)
            if (strcasecmp(value, o->choices[i]) == 0) { *(int *)f = i; return 0; }
        return -5;
    }
    return -2;
}

int config_rebuilds_tls(const char *name, const config *was, const config *now) {
    const option *o = find(name);
    if (!o || o->mutable < LIVE_TLS) return 0;
    return o->mutable == LIVE_TLS_FILE || strcmp((const char *)was + o->off, (const char *)now + o->off) != 0;
}

static void value_str(const config *c, const option *o, char *out, size_t cap) {
    const char *f = (const char *)c + o->off;
    switch (o->type) {
    case T_INT:
        snprintf(out, cap, "%lld", o->off == OFF(port) || o->off == OFF(tls_port) ? (long long)*(const int *)f
                                                                                  : *(const long long *)f);
        break;
    case T_MEM: snprintf(out, cap, "%lld", *(const long long *)f); break;
    case T_STR: snprintf(out, cap, "%s", f); break;
    case T_LOGLEVEL: snprintf(out, cap, "%s", levels[*(const int *)f]); break;
    case T_YESNO: snprintf(out, cap, "%s", *(const int *)f ? "always" : "no"); break;
    case T_BOOL: snprintf(out, cap, "%s", *(const int *)f ? "yes" : "no"); break;
    case T_CHOICE: snprintf(out, cap, "%s", o->choices[*(const int *)f]); break;
    }
}

int config_name_check(const char *name) {
    const option *o = find(name);
    return !o ? -1 : !o->mutable ? -3 : 0;
}

static int matches_any(const option *o, int npat, const char *const *patterns) {
    for (int k = 0; k < npat; k++)
        if (glob_match(patterns[k], strlen(patterns[k]), o->name, strlen(o->name), 1)) return 1;
    return 0;
}

int config_get(const config *c, int npat, const char *const *patterns, buf *out) {
    int n = 0;
    char val[sizeof(((config *)0)->cluster)];  /* the longest value an option holds */
    for (size_t i = 0; i < NOPTIONS; i++) {
        const option *o = &options[i];
        if (o->hidden || !matches_any(o, npat, patterns)) continue;
        value_str(c, o, val, sizeof(val));
        reply_bulkstr(out, o->name);
        reply_bulkstr(out, val);
        n++;
    }
    return n;
}

const char *config_choices(const char *name) {
    static char list[128];
    const option *o = find(name);
    list[0] = 0;
    for (int i = 0; o && o->type == T_CHOICE && i <= o->max; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", o->choices[i]);
    return list;
}

static int set_reporting(config *c, const char *name, const char *value, const char *where,
                         char *err, size_t errlen) {
    int r = config_set(c, name, value, 0);
    const option *o = find(name);
    if (r == -1) snprintf(err, errlen, "%sBad directive or wrong number of arguments: '%s'", where, name);
    else if (r < 0 && o->hidden) snprintf(err, errlen, "%sInvalid argument for option '%s' (empty, or over %zu bytes)",
                                          where, name, o->size - 1);
    else if (r == -5)
        snprintf(err, errlen, "%sInvalid argument '%s' for option '%s': argument(s) must be one of the following: "
                 "%s", where, value, name, config_choices(name));
    else if (r < 0)  /* a password stays out of the message */
        snprintf(err, errlen, "%sInvalid argument '%s' for option '%s'", where,
                 strcasecmp(name, "requirepass") ? value : "(hidden)", name);
    return r < 0 ? -1 : 0;
}

static int load_file(config *c, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) { snprintf(err, errlen, "Fatal error, can't open config file '%s'", path); return -1; }
    char line[4096], where[128];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        lineno++;
        rstr *v;
        size_t len = strcspn(line, "\r\n");
        int argc = resp_split_inline(line, len, &v);
        snprintf(where, sizeof(where), "config file line %d: ", lineno);
        if (argc < 0) { snprintf(err, errlen, "%sunbalanced quotes", where); rc = -1; }
        else if (argc > 0 && v[0].p[0] != '#') {
            if (argc != 2) { snprintf(err, errlen, "%sBad directive or wrong number of arguments: '%s'", where, v[0].p); rc = -1; }
            else rc = set_reporting(c, v[0].p, v[1].p, where, err, errlen);
        }
        for (int i = 0; i < argc; i++) free(v[i].p);
        free(v);
    }
    fclose(f);
    return rc;
}

int config_load_args(config *c, int argc, char **argv, char *err, size_t errlen) {
    int i = 0;
    if (argc > 0 && strncmp(argv[0], "--", 2) != 0) {
        snprintf(c->config_file, sizeof(c->config_file), "%s", argv[0]);
        if (load_file(c, argv[0], err, errlen) < 0) return -1;
        i = 1;
    }
    for (; i < argc; i += 2) {
        if (strncmp(argv[i], "--", 2) != 0) {
            snprintf(err, errlen, "Unexpected argument '%s' (options are written --name value)", argv[i]);
            return -1;
        }
        if (i + 1 >= argc) {
            snprintf(err, errlen, "Option '%s' needs a value", argv[i]);
            return -1;
        }
        if (set_reporting(c, argv[i] + 2, argv[i + 1], "", err, errlen) < 0) return -1;
    }
    return 0;
}

int config_is_loopback(const char *addr) {
    struct in_addr a4;
    struct in6_addr a6;
    if (strcasecmp(addr, "localhost") == 0) return 1;
    if (inet_pton(AF_INET, addr, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    return 0;
}

/* The secret from the file cluster-secret-file names: its bytes without
 * the trailing newline (CR LF too). */
static int read_secret_file(config *c, char *err, size_t errlen) {
    const char *path = c->cluster_secret_file;
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "Can't read cluster-secret-file '%s': %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "cluster-secret-file '%s' is not a regular file", path);
        close(fd);
        return -1;
    }
    char tmp[CONFIG_SECRET_MAX + 3];
    size_t n = 0;
    while (n < sizeof(tmp)) {
        ssize_t r = read(fd, tmp + n, sizeof(tmp) - n);
        if (r == 0) break;
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            snprintf(err, errlen, "Can't read cluster-secret-file '%s': %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        n += (size_t)r;
    }
    close(fd);
    while (n && (tmp[n - 1] == '\n' || tmp[n - 1] == '\r')) n--;
    if (!n || n > CONFIG_SECRET_MAX || memchr(tmp, 0, n)) {
        snprintf(err, errlen, "cluster-secret-file '%s' must hold one line of 1 to %d bytes (no NUL byte)", path,
                 CONFIG_SECRET_MAX);
        return -1;
    }
    memcpy(c->cluster_secret, tmp, n);
    c->cluster_secret[n] = 0;
    if (st.st_mode & 077)
        logmsg(LL_WARNING, "cluster-secret-file '%s' can be read by other users (mode %03o): chmod 600 it", path,
               (unsigned)(st.st_mode & 0777));
    return 0;
}

int config_finish(config *c, char *err, size_t errlen) {
    if (c->cluster_secret[0] && c->cluster_secret_file[0]) {
        snprintf(err, errlen, "Set cluster-secret or cluster-secret-file, not both");
        return -1;
    }
    if (c->cluster_secret_file[0] && read_secret_file(c, err, errlen) < 0) return -1;
    if (!c->cluster_secret[0] && !config_is_loopback(c->bind)) {
        snprintf(err, errlen,
                 "bind %s is not a loopback address and no cluster secret is set: anyone who can reach the peer "
                 "port could take over the cluster. Set cluster-secret or cluster-secret-file (the same secret on "
                 "every member), or bind a loopback address such as 127.0.0.1.", c->bind);
        return -1;
    }
    if (c->cluster_secret[0] && strlen(c->cluster_secret) < 16)
        logmsg(LL_WARNING, "The cluster secret is only %zu bytes long: use at least 32 random characters "
               "(openssl rand -hex 32)", strlen(c->cluster_secret));
    return 0;
}
