/* reads: the linearizable read path. A keyed read waits in a slot for a
 * ReadIndex barrier: reads queued since the last round share the next
 * one (reads_start), and run once it is confirmed and the index it needs
 * is applied (reads_serve). A proxy's read, vouched for by its follower's
 * term, skips the round. A read of a CMD_SLICED command (KEYS) takes its
 * point-in-time view then and runs a slice per loop iteration
 * (reads_serve_slices), so a large keyspace never holds the loop; one
 * that touches a large value runs on the fetch thread (fetch.h). A
 * barrier belongs to one term of one leader: reads_fail_all drops them. */
#ifndef RAFTKV_READS_H
#define RAFTKV_READS_H
#include "client.h"
#include "slot.h"

void reads_init(void);
void reads_free(void);
/* Queues the parsed read (the command moves out of the parser). */
void reads_queue(client *c);
/* One barrier round for every read queued since the last one. */
void reads_start(void);
/* Runs the reads whose barrier is confirmed and whose index is applied. */
void reads_serve(void);
/* A slice of every sliced read. */
void reads_serve_slices(void);
/* The leader changed: every read waiting for a barrier fails. */
void reads_fail_all(void);
/* A SLOT_READ, SLOT_SLICED or SLOT_FETCH slot no longer waits. */
void reads_detach(slot *s);
#endif
