/* wal: the durable Raft log and hard state of one node, in its data dir.
 *
 * Log: segment files "wal-<first index, 16 hex digits>.log". A segment is
 * an 16-byte header ("RKVWAL01" + u64 first index, little-endian) and then
 * records, each
 *     u32 crc | u32 len | u64 term | u64 index | u8 type | len bytes of data
 * (little-endian), crc being zlib's crc32 over everything after the crc
 * field. Indexes are consecutive across records and segments.
 *
 * Hard state: "raft-state" holds cluster id, node id, term and vote with a
 * crc; it is replaced atomically (write tmp, fsync, rename, fsync dir).
 *
 * At open, a torn final record of the last segment (cut short, zero-filled,
 * or the very last record with a bad crc) is truncated away with a log line;
 * any other damage (a bad record followed by more data, a gap in indexes, a
 * bad segment header) refuses to open with a message naming file and offset.
 *
 * Threading: wal_encode() is pure; wal_append() and wal_save_state() do the
 * I/O and may run on a sync thread, one call at a time. */
#ifndef RAFTKV_WAL_H
#define RAFTKV_WAL_H
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "raft.h"

#define WAL_REC_HEADER 25   /* crc, len, term, index, type */
#define WAL_SEG_HEADER 16
#define WAL_MAX_RECORD (1u << 30)

typedef struct wal wal;

typedef struct wal_state {
    uint64_t cluster_id, node_id, term, vote;
} wal_state;

/* Opens (creating dir files as needed) and loads the hard state (*has_state
 * = 0 and st zeroed when there is none yet) and every entry, which the
 * caller frees with wal_free_entries(). segment_size: roll to a new segment
 * once the current one is at least this big. NULL on failure, with *err a
 * malloc'd message. */
wal *wal_open(const char *dir, size_t segment_size, wal_state *st, int *has_state, raft_entry **entries, size_t *n,
              char **err);
void wal_close(wal *w);
void wal_free_entries(raft_entry *e, size_t n);

/* Appends the records of entries e[0..n) to b. */
void wal_encode(buf *b, const raft_entry *e, size_t n);

/* Makes the log hold exactly entries 1..first-1 followed by the encoded
 * records rec (whose indexes run from first to last): truncates anything
 * from first on, appends, fdatasyncs. 0, or -1 with errno set (the caller
 * must stop: a failed fsync leaves the file in an unknown state). */
int wal_append(wal *w, uint64_t first, uint64_t last, const char *rec, size_t len);
/* on = 0 (appendfsync no): appends are written but not fdatasync'ed; a
 * power loss can then lose acknowledged writes. */
void wal_set_sync(wal *w, int on);
/* Replaces the hard state durably. 0 or -1 with errno. */
int wal_save_state(wal *w, const wal_state *st);

uint64_t wal_last_index(const wal *w);
uint64_t wal_disk_bytes(const wal *w);  /* every segment together */
int wal_segments(const wal *w);

/* Verification for raftkv-check-log: scans dir without modifying it unless
 * fix is set (then truncates at the first bad record, dropping later
 * segments). Prints a report to out; returns 0 when the log is sound (or was
 * repaired), 1 otherwise. */
int wal_check(const char *dir, int fix, void *out /* FILE * */);
#endif
