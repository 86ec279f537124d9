/* The commands that read no data and answer at once on any node: PING,
 * ECHO, TIME. */
#include "handlers.h"
#include <stdio.h>
#include <sys/time.h>

/* PING [message] */
void ping_command(cmdctx *x, int argc, rstr *argv) {
    if (argc > 2) { reply_error(x->out, "ERR wrong number of arguments for 'ping' command"); return; }
    if (argc == 2) reply_bulk(x->out, argv[1].p, argv[1].len); else reply_simple(x->out, "PONG");
}

/* ECHO message */
void echo_command(cmdctx *x, int argc, rstr *argv) { (void)argc; reply_bulk(x->out, argv[1].p, argv[1].len); }

/* TIME */
void time_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc; (void)argv;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char tmp[32];
    reply_array(x->out, 2);
    snprintf(tmp, sizeof(tmp), "%lld", (long long)tv.tv_sec);
    reply_bulkstr(x->out, tmp);
    snprintf(tmp, sizeof(tmp), "%lld", (long long)tv.tv_usec);
    reply_bulkstr(x->out, tmp);
}
