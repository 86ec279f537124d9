/* join: how a new, empty node gets itself admitted (--join host:port).
 * Before its event loop starts, it talks RESP over a blocking socket to any
 * member's client port: INFO raft names the cluster, RAFT.NODE ADD asks
 * for admission (forwarded to the leader by a follower). Retriable
 * refusals (a change in progress, no leader yet) are retried for a while. */
#ifndef RAFTKV_JOIN_H
#define RAFTKV_JOIN_H
#include <stddef.h>
#include <stdint.h>
#include "members.h"

/* The cluster id the member at hostport reports, and the nodes it knows
 * of (addresses to answer the leader at before the configuration arrives);
 * 0, or -1 with err. */
int join_cluster(const char *hostport, uint64_t *cluster_id, members *known, char *err, size_t errlen);
/* RAFT.NODE ADD id addr until admitted (or already a member); 0, or -1 with err. */
int join_request(const char *hostport, uint64_t id, const char *addr, int timeout_ms, char *err, size_t errlen);
#endif
