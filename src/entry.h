/* entry: the binary form of one log entry, the unit the Raft log carries
 * and fsm_apply() executes. Layout (little endian):
 *   u8 type | u64 leader time in ms | u32 argc | argc x (u32 len, bytes)
 * Time travels inside the entry so every replica applies the same data. */
#ifndef RAFTKV_ENTRY_H
#define RAFTKV_ENTRY_H
#include <stdint.h>
#include "buf.h"
#include "resp.h"

enum { ENTRY_NOOP = 0, ENTRY_COMMAND = 1 };

void entry_encode(buf *out, int type, uint64_t time_ms, int argc, const rstr *argv);
/* Decodes without copying: argv points into data. *argv is malloc'd
 * (argv NULL: only validates, allocating nothing).
 * Returns argc (>= 0), or -1 when the bytes are not a valid entry. */
int entry_decode(const char *data, size_t len, int *type, uint64_t *time_ms, rstr **argv);
#endif
