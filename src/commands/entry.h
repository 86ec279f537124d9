/* entry: the binary form of one log entry, the unit the Raft log carries
 * and kv_apply() executes. Layout (little endian):
 *   u8 type | u64 leader time in ms | u32 argc | argc x (u32 len, bytes)
 * Time travels inside the entry so every replica applies the same data. */
#ifndef RAFTKV_ENTRY_H
#define RAFTKV_ENTRY_H
#include <stdint.h>
#include "buf.h"
#include "resp.h"

/* ENTRY_EXPIRE: keys the leader found expired (its arguments): apply
 * removes those whose expiry the entry's time has passed. */
enum { ENTRY_NOOP = 0, ENTRY_COMMAND = 1, ENTRY_EXPIRE = 2 };

/* The largest command a node takes from a client, counted as the parser
 * counts a request (resp.h, RESP_ARG_OVERHEAD per argument: more than the
 * 4 bytes an argument adds to an entry, so a parsed request always fits):
 * a 512 MB value with room for its key and arguments. Every such command
 * fits one entry, one WAL record and one peer frame (entry.c and peer.c
 * check that at compile time), so nothing a client may send is refused
 * further down the line. */
#define ENTRY_MAX_REQUEST ((512ULL << 20) + (1ULL << 20))
_Static_assert(RESP_ARG_OVERHEAD >= 4, "the parser counts an argument at least as the entry does");

void entry_encode(buf *out, int type, uint64_t time_ms, int argc, const rstr *argv);
/* The same encoding in a new blob (blob.h) of *len bytes, for the log to
 * keep without another copy. */
char *entry_blob(int type, uint64_t time_ms, int argc, const rstr *argv, size_t *len);
/* Decodes without copying: argv points into data. *argv is malloc'd
 * (argv NULL: only validates, allocating nothing).
 * Returns argc (>= 0), or -1 when the bytes are not a valid entry. */
int entry_decode(const char *data, size_t len, int *type, uint64_t *time_ms, rstr **argv);
/* The time an entry carries, without decoding the rest (0: none). */
uint64_t entry_time(const char *data, size_t len);
#endif
