/* members: a cluster configuration (who votes, who learns, where each
 * listens) and its one text form, used alike by the --cluster option, the
 * log's configuration entries, the snapshot image header and the state
 * machine's metadata:
 *     1=10.0.0.1:7001@17001,2=10.0.0.2:7001@17001,4=10.0.0.4:7001@17001/learner
 * Items are separated by commas (or spaces); "@peerport" defaults to port +
 * 10000; "/learner" marks a non-voting member. A bare id ("3", "3/learner")
 * is a member without an address (the Raft core and its tests need none).
 * "-5" retires id 5: a removed node's id is never a member again, for a
 * wiped node under an old id could give again a vote the old one gave
 * (two leaders in one term). Retired ids follow the members, sorted.
 * Pure: no I/O. */
#ifndef RAFTKV_MEMBERS_H
#define RAFTKV_MEMBERS_H
#include <stddef.h>
#include <stdint.h>
#include "buf.h"

#define MEMBERS_MAX 9      /* voters and learners together */
#define MEMBERS_MAX_VOTERS 7
#define MEMBERS_MAX_RETIRED 64 /* removals over a cluster's life */

typedef struct cluster_member {
    uint64_t id;
    char host[256];        /* "" when given without an address */
    int port, peer_port;   /* client port; peer port */
    int learner;
} cluster_member;

typedef struct members {
    int n;
    cluster_member m[MEMBERS_MAX];
    int nretired;
    uint64_t retired[MEMBERS_MAX_RETIRED];  /* sorted */
} members;

/* Parses len bytes of text (an empty text is an empty configuration).
 * Members come out sorted by id. 0, or -1 with err filled. */
int members_parse(const char *s, size_t len, members *out, char *err, size_t errlen);
/* Appends the canonical text (sorted, every port written out). */
void members_format(const members *ms, buf *out);
/* One member as text, the same way. */
void members_format_one(const cluster_member *m, buf *out);
cluster_member *members_find(members *ms, uint64_t id);
const cluster_member *members_get(const members *ms, uint64_t id);
int members_voters(const members *ms);
int members_is_voter(const members *ms, uint64_t id);
/* The configuration text `after` leaves out node id, which `before`
 * names: a change that removed it (0 if either text does not parse). */
int members_removes(const char *before, size_t blen, const char *after, size_t alen, uint64_t id);
/* Adds (sorted) or removes one member; -1 if full / absent. */
int members_add(members *ms, const cluster_member *m);
int members_remove(members *ms, uint64_t id);
/* Records id as retired; -1 if it already is, or no more can be. */
int members_retire(members *ms, uint64_t id);
int members_is_retired(const members *ms, uint64_t id);
#endif
