/* config: server options from a redis.conf-style file and --name value
 * flags (flags win). A bad name or value is an error naming it. */
#ifndef RAFTKV_CONFIG_H
#define RAFTKV_CONFIG_H
#include <stdint.h>
#include "buf.h"
#include "members.h"

/* The longest cluster secret, in bytes. */
#define CONFIG_SECRET_MAX 512

typedef struct config {
    int port;
    char bind[256];
    char dir[1024];
    int loglevel;
    char logfile[1024];
    long long maxclients;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    long long client_output_buffer_limit;
    int appendfsync;   /* 1: fdatasync before acknowledging (default) */
    int read_lease;      /* read-consistency lease: the leader serves reads under its lease, no round */
    int follower_reads;  /* 1: a follower serves reads itself, with a read index from the leader (default) */
    int write_probes;    /* 1: the leader tries a CMD_PROBE write as a read first (default; reads.h) */
    char appendonly[8], save[64];
    char enable_debug_command[8];    /* no | yes | local (loopback clients only), as Redis 7 */
    char requirepass[1024];          /* the default user's password; "": none (auth.h) */
    int protected_mode;              /* 1: without a password, only 127.0.0.1 and ::1 may connect */
    long long id;                    /* this node's id in cluster */
    char cluster[4096];              /* "1=host:port[@peerport],2=...": the founding members */
    char join[512];                  /* host:port of a member to ask for admission */
    long long peer_port;             /* this node's peer port when not in cluster (0: port + 10000) */
    long long cluster_request_timeout;   /* ms a request may wait for a leader or a commit */
    long long election_timeout;      /* ms, randomized in [t, 2t) */
    long long heartbeat_interval;    /* ms */
    long long clock_offset_ms;       /* added to the wall clock (testing: a skewed clock) */
    long long wal_segment_size;
    long long snapshot_threshold;  /* compact once the log holds this many entries... */
    long long snapshot_log_size;   /* ...or this many bytes */
    long long max_uncommitted_bytes;  /* a leader takes no new write past this many uncommitted bytes */
    long long log_cache_size;      /* entry data of the Raft log kept in memory (0: all) */
    long long leveldb_cache_size, leveldb_write_buffer_size, key_cache_size;  /* the store's memory (store_set_memory) */
    /* The secret every member proves it knows on the peer port (peer.h).
     * Set by cluster-secret, or by config_finish() from the file that
     * cluster-secret-file names; never shown by CONFIG GET, never set by
     * CONFIG SET. Empty: none (then the node binds loopback only). */
    char cluster_secret[CONFIG_SECRET_MAX + 1];
    char cluster_secret_file[1024];
    char config_file[1024];
    /* TLS, as Redis 7.0 (tls.h): on a client port of its own (tls_port 0:
     * none), and on every peer link with tls_cluster */
    int tls_port;
    int tls_cluster;
    char tls_cert_file[1024], tls_key_file[1024];
    char tls_client_cert_file[1024], tls_client_key_file[1024];  /* dialled links; "": the two above */
    char tls_ca_cert_file[1024], tls_ca_cert_dir[1024];
    int tls_auth_clients;            /* CONFIG_TLS_AUTH_*: must a client show a certificate */
    char tls_protocols[64];          /* "TLSv1.2 TLSv1.3"; "": that default */
} config;

/* tls-auth-clients */
enum { CONFIG_TLS_AUTH_NO, CONFIG_TLS_AUTH_YES, CONFIG_TLS_AUTH_OPTIONAL };

/* Parses the cluster option: "1=127.0.0.1:7001,2=127.0.0.1:7002@17002",
 * every member a voter with an address. Returns the member count, or -1
 * with err filled. */
int config_parse_cluster(const char *s, members *out, char *err, size_t errlen);

void config_defaults(config *c);
/* Parses argv (argv[0] excluded). 0 on success, -1 with err filled. */
int config_load_args(config *c, int argc, char **argv, char *err, size_t errlen);
/* After the options are loaded: reads the secret file, and refuses a node
 * that would listen on a non-loopback address without a cluster secret
 * (anyone reaching its peer port could take the cluster over). 0, or -1
 * with err filled. */
int config_finish(config *c, char *err, size_t errlen);
/* 1 when addr (a bind address) is loopback: 127.0.0.0/8, ::1, localhost. */
int config_is_loopback(const char *addr);
/* Sets one option by name; runtime=1 refuses options that cannot change live.
 * Returns 0, -1 for unknown name, -2 bad value, -3 immutable, -4 a yes/no
 * option given something else, -5 tls-auth-clients given something but
 * yes, no or optional. */
int config_set(config *c, const char *name, const char *value, int runtime);
/* 1 when CONFIG SET of option name, from was to now, must build the TLS
 * contexts anew (tls.h), as Redis's applyTlsCfg: always for an option
 * naming a file (the file may have changed under the same name: Redis
 * 7.0's volatile options, so setting the same path reloads it), and for
 * tls-protocols when its value changed. */
/* A T_CHOICE option's values, as Redis lists them in its errors ("a, b"). */
const char *config_choices(const char *name);
int config_rebuilds_tls(const char *name, const config *was, const config *now);
/* Appends name/value pairs matching pattern to out (as a RESP array body);
 * returns count. The cluster secret options are never shown. */
int config_get(const config *c, int npat, const char *const *patterns, buf *out);
/* CONFIG SET's first look at a name: 0, or -1 unknown, -3 immutable (as config_set). */
int config_name_check(const char *name);
#endif
