/* wal: the durable Raft log and hard state of one node, in its data dir.
 *
 * Log: segment files "wal-<first index, 16 hex digits>.log". A segment is
 * an 16-byte header ("RKVWAL01" + u64 first index, little-endian) and then
 * records, each
 *     u32 crc | u32 len | u64 term | u64 index | u8 type | len bytes of data
 * (little-endian), crc being zlib's crc32 over everything after the crc
 * field. Indexes are consecutive across records and segments.
 *
 * The log need not start at index 1: its first index F is the first
 * segment's, and the entries before F were compacted away behind a snapshot
 * (wal_compact) or discarded with the whole log (wal_reset). Only the last
 * segment may hold no record; it then has the index the next append must
 * have. A gap between segments is damage; a missing oldest segment is not
 * (it is what a crash during wal_compact leaves).
 *
 * Hard state: "raft-state" holds cluster id, node id, term and vote with a
 * crc; it is replaced atomically (write tmp, fsync, rename, fsync dir).
 *
 * At open, a torn final record of the last segment (cut short, zero-filled,
 * or the very last record with a bad crc) is truncated away with a log line;
 * any other damage (a bad record followed by more data, a gap in indexes, a
 * bad segment header) refuses to open with a message naming file and offset.
 *
 * Threading: wal_encode() is pure; wal_append(), wal_compact(), wal_reset()
 * and wal_save_state() do the I/O and may run on a sync thread, one call at
 * a time, and wal_read() beside them on another; the getters
 * wal_first_index(), wal_last_index(), wal_disk_bytes() and wal_segments()
 * may be called from any thread at any time. */
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
 * = 0 and st zeroed when there is none yet) and every entry the log holds,
 * F..last (so (*entries)[0].index == wal_first_index() when *n > 0), which
 * the caller frees with wal_free_entries(). A directory with no segment is
 * an empty log whose next index is 1. segment_size: roll to a new segment
 * once the current one is at least this big. NULL on failure, with *err a
 * malloc'd message. */
wal *wal_open(const char *dir, size_t segment_size, wal_state *st, int *has_state, raft_entry **entries, size_t *n,
              char **err);
/* The same, with the entries before data_from (the state machine's point
 * and earlier) given without their data (NULL), CONFIG entries excepted:
 * wal_read() reads them back when needed. */
wal *wal_open_from(const char *dir, size_t segment_size, uint64_t data_from, wal_state *st, int *has_state,
                   raft_entry **entries, size_t *n, char **err);
void wal_close(wal *w);
/* Reads back, for every k whose data is NULL, entry e[k].index as a blob
 * (blob.h) in e[k].data, checking its crc and that its term and length are
 * e[k].term and e[k].len. May run on any thread while another writes, for
 * entries a completed append wrote and no later call removed. 0, or -1
 * with errno (ENOENT: not in the log; EIO: not as expected), some entries
 * then filled. */
int wal_read(wal *w, raft_entry *e, size_t n);
void wal_free_entries(raft_entry *e, size_t n);

/* Appends the records of entries e[0..n) to b. */
void wal_encode(buf *b, const raft_entry *e, size_t n);

/* Makes the log hold exactly its entries F..first-1 followed by the encoded
 * records rec (whose indexes run from first to last; last = first - 1 and
 * len = 0 for a pure truncation): truncates anything from first on,
 * appends, fdatasyncs. F being wal_first_index(), first must satisfy
 * F <= first <= wal_last_index() + 1: on an empty log (new, or after
 * wal_reset(next)) first must be exactly F (1, or next); first == F with
 * entries present discards them all but keeps F. Terms must not decrease
 * within rec nor from the entry at first-1 (unchecked when first == F: that
 * entry is compacted). -1 with EINVAL for a first out of that range or
 * records that do not match (the log untouched); -1 with another errno on
 * an I/O failure: the caller must stop (a failed fsync leaves the file in
 * an unknown state). Once a write, unlink or sync has failed, later
 * wal_append(), wal_compact() and wal_reset() calls fail with EIO. One
 * exception: a write refused for want of space (ENOSPC, EDQUOT) before
 * anything was synced is undone, the wal stays usable (wal_broken() 0) and
 * the same append may be tried again, as may a wal_save_state() that
 * failed so (the old state then stands). */
int wal_append(wal *w, uint64_t first, uint64_t last, const char *rec, size_t len);
/* on = 0 (appendfsync no): appends are written but not fdatasync'ed; a
 * power loss can then lose acknowledged writes. */
void wal_set_sync(wal *w, int on);
/* Replaces the hard state durably. 0 or -1 with errno. */
int wal_save_state(wal *w, const wal_state *st);

/* Drops the history up to upto (covered by a snapshot): deletes, oldest
 * first, every segment all of whose entries are <= upto, but never the last
 * segment (so entries <= upto may stay, and upto beyond the last index is
 * fine), then the first index is the oldest remaining segment's. Each
 * unlink is followed by a directory fsync, so a crash leaves a suffix of
 * the segments, a sound log. The number of segments removed (0 when none
 * qualifies), or -1 with errno: an unlink failure leaves the log sound,
 * with the segments removed so far gone (see wal_first_index()); a failed
 * directory fsync counts as a failed write (see wal_append()). */
int wal_compact(wal *w, uint64_t upto);
/* Discards the whole log for a snapshot at next-1 (next >= 1, else EINVAL):
 * unlinks every segment newest first, each followed by a directory fsync
 * (a crash leaves a prefix of the old log, which opens as such; with every
 * segment gone, as a new log: empty, next index 1), then creates an empty
 * segment for next (synced like any new segment). Afterwards, and after a
 * reopen, the log is empty with wal_first_index() == next and
 * wal_last_index() == next - 1, and the next wal_append() must start at
 * next. 0, or -1 with errno: the caller must stop; it counts as a failed
 * write (see wal_append()). */
int wal_reset(wal *w, uint64_t next);

/* The first index the log holds; for an empty log the index the next
 * append must have (wal_last_index() + 1; 1 for a new log). */
uint64_t wal_first_index(const wal *w);
/* The last index the log holds; first index - 1 for an empty log. */
uint64_t wal_last_index(const wal *w);
uint64_t wal_disk_bytes(const wal *w);  /* every segment together */
/* A failure left the files in an unknown state: nothing more is written. */
int wal_broken(const wal *w);
int wal_segments(const wal *w);

/* Verification for raftkv-check-log: scans dir without modifying it unless
 * fix is set (then truncates at the first bad record, dropping later
 * segments). A log starting past index 1 is sound; a gap between segments
 * is damage, repaired by dropping the segments from the gap on. Prints a
 * report to out; returns 0 when the log is sound (or was repaired), 1
 * otherwise. */
int wal_check(const char *dir, int fix, void *out /* FILE * */);
#endif
