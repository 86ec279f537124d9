/* admin_cluster: the RAFT.* commands, which read or steer the cluster
 * rather than data. RAFT.NODE and RAFT.TRANSFER-LEADER run on the leader
 * (CMD_LEADER: forwarded there) and answer later through cmdctx's
 * wait_index or wait_transfer; RAFT.SNAPSHOT and RAFT.INFO are local. */
#include "cmd.h"
#include "node.h"
#include <stdio.h>
#include <string.h>

/* RAFT.SNAPSHOT: this node's state machine durable now, its log compacted
 * behind it; answers the snapshot index. Local, like BGSAVE. */
void raft_snapshot_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc; (void)argv;
    reply_int(x->out, (long long)node_snapshot_now());
}

/* ---- membership and leadership (run on the leader: CMD_LEADER) ---- */

static int parse_id(const rstr *a, uint64_t *id) {
    long long v;
    if (!str2ll(a->p, a->len, &v) || v < 1 || v > (1LL << 40)) return -1;
    *id = (uint64_t)v;
    return 0;
}

static void reply_change(cmdctx *x, int64_t r, uint64_t id, int op) {
    char msg[160];
    switch (r) {
    case RAFT_CONF_BUSY:
        reply_error(x->out, "TRYAGAIN a membership change or leadership transfer is in progress");
        return;
    case RAFT_CONF_EXISTS: snprintf(msg, sizeof(msg), "ERR node %llu is already a member", (unsigned long long)id); break;
    case RAFT_CONF_UNKNOWN: snprintf(msg, sizeof(msg), "ERR node %llu is not a member", (unsigned long long)id); break;
    case RAFT_CONF_FULL:
        snprintf(msg, sizeof(msg), "ERR a cluster has at most %d voting members", MEMBERS_MAX_VOTERS);
        break;
    case RAFT_CONF_LAST_VOTER: snprintf(msg, sizeof(msg), "ERR cannot remove the last voting member"); break;
    case RAFT_CONF_RETIRED:
        if (op == RAFT_REMOVE)
            snprintf(msg, sizeof(msg), "ERR this cluster has retired %d removed ids, the most it keeps",
                     MEMBERS_MAX_RETIRED);
        else
            snprintf(msg, sizeof(msg), "ERR node id %llu was removed from this cluster and is never reused: use a new id",
                     (unsigned long long)id);
        break;
    case RAFT_CONF_NOT_LEADER: snprintf(msg, sizeof(msg), "CLUSTERDOWN No leader"); break;
    default: x->wait_index = (uint64_t)r; return;  /* answered once applied */
    }
    reply_error(x->out, msg);
}

/* RAFT.NODE ADD <id> <host:port[@peerport]>: joins as a learner. */
void raft_node_add_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    cluster_member m;
    members one;
    char text[400], err[300];
    uint64_t id;
    if (parse_id(&argv[2], &id) < 0) { reply_error(x->out, "ERR invalid node id"); return; }
    int n = snprintf(text, sizeof(text), "%llu=%.*s", (unsigned long long)id, (int)argv[3].len, argv[3].p);
    if (argv[3].len > 300 || memchr(argv[3].p, ',', argv[3].len) || memchr(argv[3].p, ' ', argv[3].len) ||
        memchr(argv[3].p, '/', argv[3].len) || members_parse(text, (size_t)n, &one, err, sizeof(err)) < 0 ||
        one.n != 1 || !one.m[0].host[0]) {
        snprintf(err, sizeof(err), "ERR invalid address '%.*s' (expected host:port or host:port@peerport)",
                 (int)(argv[3].len > 100 ? 100 : argv[3].len), argv[3].p);
        reply_error(x->out, err);
        return;
    }
    m = one.m[0];
    reply_change(x, node_change(RAFT_ADD_LEARNER, &m), id, RAFT_ADD_LEARNER);
}

/* RAFT.NODE REMOVE <id>: a voter or a learner; the leader too. */
void raft_node_remove_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    cluster_member m = {0};
    if (parse_id(&argv[2], &m.id) < 0) { reply_error(x->out, "ERR invalid node id"); return; }
    reply_change(x, node_change(RAFT_REMOVE, &m), m.id, RAFT_REMOVE);
}

/* RAFT.TRANSFER-LEADER [<id>]: answered once the target was told to take over. */
void raft_transfer_leader_command(cmdctx *x, int argc, rstr *argv) {
    uint64_t id = 0;
    if (argc > 2) { reply_error(x->out, "ERR wrong number of arguments for 'raft.transfer-leader' command"); return; }
    if (argc == 2 && parse_id(&argv[1], &id) < 0) { reply_error(x->out, "ERR invalid node id"); return; }
    if (id == node_id()) { reply_ok(x->out); return; }  /* already there */
    if (!node_accepting()) {
        reply_error(x->out, "TRYAGAIN a membership change or leadership transfer is in progress");
        return;
    }
    if (!node_transfer(id)) {
        if (id) reply_error(x->out, "ERR the target is not a voting member");
        else reply_error(x->out, "ERR no other voting member to transfer leadership to");
        return;
    }
    x->wait_transfer = 1;
}

/* RAFT.INFO: INFO raft, on any node. */
void raft_info_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc; (void)argv;
    buf b;
    buf_init(&b);
    node_info(&b, "raft");
    reply_bulk(x->out, b.data ? b.data : "", b.len);
    buf_free(&b);
}
