/* expiry: the leader's removal of expired keys, the counterpart of Redis's
 * active expire cycle. Commands already treat an expired key as gone
 * (handlers.h); this frees its space. Every EXPIRY_PERIOD the leader reads
 * the keys whose expiry cluster time has passed from the store's expiry
 * index, soonest first, at most EXPIRY_BATCH, and proposes one
 * ENTRY_EXPIRE with them; its apply removes each one that is still expired
 * at the entry's time (a key written again meanwhile stays). One batch is
 * in flight at a time, and a full batch is followed by the next as soon as
 * it applies: the cost follows what expires, never the size of the
 * keyspace. Followers never remove keys by their own clock. */
#ifndef RAFTKV_EXPIRY_H
#define RAFTKV_EXPIRY_H
#include <ev.h>

#define EXPIRY_PERIOD 0.1   /* seconds between looks at the index */
#define EXPIRY_BATCH 4000   /* keys per entry (a few ms of the loop to collect) */

void expiry_init(struct ev_loop *loop);
void expiry_free(void);
#endif
