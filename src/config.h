/* config: server options from a redis.conf-style file and --name value
 * flags (flags win). A bad name or value is an error naming it. */
#ifndef RAFTKV_CONFIG_H
#define RAFTKV_CONFIG_H
#include "buf.h"

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
    char appendonly[8], save[64];
    char config_file[1024];
} config;

void config_defaults(config *c);
/* Parses argv (argv[0] excluded). 0 on success, -1 with err filled. */
int config_load_args(config *c, int argc, char **argv, char *err, size_t errlen);
/* Sets one option by name; runtime=1 refuses options that cannot change live.
 * Returns 0, -1 for unknown name, -2 bad value, -3 immutable. */
int config_set(config *c, const char *name, const char *value, int runtime);
/* Appends name/value pairs matching pattern to out (as a RESP array body); returns count. */
int config_get(const config *c, const char *pattern, buf *out);
#endif
