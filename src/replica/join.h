/* join: how a new, empty node gets itself admitted (--join host:port).
 * Before its event loop starts, it talks RESP over a blocking socket to any
 * member's client port: INFO raft names the cluster, RAFT.NODE ADD asks
 * for admission (forwarded to the leader by a follower). Retriable
 * refusals (a change in progress, no leader yet) are retried for a while.
 * In between, it runs the peer handshake with that member (peer.h), inside
 * TLS with tls-cluster: a node without the cluster's secret (or without a
 * certificate the members' CA signed) would be admitted as a member it can
 * never talk to, so it stops first, saying why.
 *
 * RAFT.NODE ADD is a client command: with a password set (requirepass,
 * the same on every node), each request goes after an AUTH with it. With
 * tls-cluster, the requests go through TLS too (host:port is then the
 * member's tls-port), so that neither the password nor the cluster's
 * layout crosses the network in plain text. */
#ifndef RAFTKV_JOIN_H
#define RAFTKV_JOIN_H
#include <stddef.h>
#include <stdint.h>
#include "members.h"

/* The password to AUTH with ("": none), and whether the requests to the
 * member's client port go through TLS (the contexts must be configured). */
void join_setup(const char *pass, int tls);
/* The cluster id the member at hostport reports, and the nodes it knows
 * of (addresses to answer the leader at before the configuration arrives);
 * 0, or -1 with err. */
int join_cluster(const char *hostport, uint64_t *cluster_id, uint64_t *member_id, members *known, char *err,
                 size_t errlen);
/* The peer handshake as node my_id with member_id (an address in known),
 * with this node's secret ("": none), inside TLS when tls (tls-cluster:
 * the TLS contexts must be configured): 0 once each side has proved it
 * holds the same one (and, with TLS, a certificate the CA signed), or -1
 * with err (the member's refusal, or ours). */
int join_check_secret(const members *known, uint64_t member_id, uint64_t cluster_id, uint64_t my_id,
                      const char *secret, int tls, char *err, size_t errlen);
/* RAFT.NODE ADD id addr until admitted (or already a member); 0, or -1 with err. */
int join_request(const char *hostport, uint64_t id, const char *addr, int timeout_ms, char *err, size_t errlen);
#endif
