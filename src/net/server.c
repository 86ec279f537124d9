#include "server.h"
#include "auth.h"
#include "cmd.h"
#include "log.h"
#include "node.h"

/* cmd.c's bound on strings a client may make (proto-max-bulk-len); cmd.h
 * does not declare it. */

static struct {
    config *cfg;
    struct ev_loop *loop;
    store *f;
    time_t start_time;
} S;

void server_init(config *cfg, struct ev_loop *loop, store *f) {
    S.cfg = cfg;
    S.loop = loop;
    S.f = f;
    S.start_time = time(NULL);
}

const config *server_cfg(void) { return S.cfg; }

void server_apply_limits(const config *c) {
    log_level = c->loglevel;
    cmd_max_string = c->proto_max_bulk_len;
    auth_configure(c);
}

void server_set_cfg(const config *c) {
    *S.cfg = *c;
    server_apply_limits(S.cfg);
}

struct ev_loop *server_loop(void) { return S.loop; }
/* The read handle, or the store itself while the loop applies into it
 * (a full disk: applier_owned_store). */
store *server_store(void) {
    store *owned = node_owned_store();
    return owned ? owned : S.f;
}
time_t server_start_time(void) { return S.start_time; }
double server_now(void) { return (double)mono_ms() / 1000.0; }
