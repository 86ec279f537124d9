/* store: the replicated state machine, on LevelDB. The only module that knows
 * LevelDB's API. User keys live under prefix 'k', metadata under 'm'; the
 * applied index, its term and the key count are written in the same batch
 * as the data of the entry they cover, so a crash never separates them.
 *
 * On disk, in the node's data dir: LevelDB in "fsm-<generation>", and the
 * file "fsm-current" ("<generation> <installed-at>") naming the live one,
 * replaced atomically. A snapshot received from the leader is built as the
 * next generation beside the live one and switched to by that one rename;
 * any other fsm-* directory is debris of an interrupted transfer and is
 * removed at open. installed-at is the image's index when the generation
 * came from a transfer (0 otherwise): start-up uses it to tell an install
 * cut short before the log was reset from a lost log.
 *
 * Damage: store_open() reads the whole live generation with checksums
 * verified and checks the key count, and refuses (with a message saying how
 * to replace the node) on any damage, a missing or malformed fsm-current
 * included; it deletes nothing then. Later reads verify checksums too, and
 * a block that fails stops the process: never a wrong answer.
 *
 * Values carry their version (the index of the entry that wrote them) and
 * expiry (ms of cluster time, 0: none): on disk a tag byte, the version,
 * the expiry when there is one, then the bytes; an index under
 * prefix 'x' (expiry, key) lists the keys that have one, soonest first,
 * kept in the same batches as the values. The store never decides that a
 * key has expired: it hands out the expiry, and the commands compare it
 * with their time (cmd.h); keys are removed only by writes.
 *
 * The store knows keys, values and metadata, never commands: the state
 * machine above it (kv.h) executes each entry through store_put/del/clear
 * (and store_record_conf), then calls store_set_applied(). All of it goes
 * into an open write batch shared by the entries applied until the next
 * store_sync() / store_write_batch(), which writes it in one LevelDB write
 * together with the applied index, its term and the key count. Reads
 * through the store see the open batch.
 *
 * Threads: the store itself is used by one thread, the one applying
 * (applier.h). Readers on another thread use a read handle
 * (store_reader_new; one thread at a time), which sees what LevelDB holds -- whole batches
 * only, never half an entry -- and may take iterators and views; their
 * key count and applied index are those of the last batch written. The
 * generation (LevelDB handle) is replaced only by store_build_install()
 * and store_recover(), which the owner calls while no other thread
 * applies or reads. */
#ifndef RAFTKV_STORE_H
#define RAFTKV_STORE_H
#include <stddef.h>
#include <stdint.h>
#include "buf.h"

typedef struct store store;

/* Files one LevelDB may hold open (its table cache). Two can be open at
 * once, the live generation and one being built from an image: the
 * server keeps that many descriptors out of the clients' reach. */
#define STORE_MAX_OPEN_FILES 200
/* LevelDB's table files are written this large (its default is 2 MB), and
 * uncompressed. A lookup in a table the table cache does not hold opens
 * the file and reads its index and filter first: at 2 MB a table, 10 M
 * keys made more tables than the cache holds, and each write's lookup
 * (the key count, the expiry index) paid for that. Uncompressed blocks
 * are read in place from the mapped file, without Snappy or a copy into
 * the block cache. Measured with utils/bench-restart --keys 10000000
 * (SET/s over the keyspace): 9,237 as before, 15,656 with 16 MB tables,
 * 5,238 uncompressed alone (more tables again), 25,794 with both, for
 * about twice the disk (528-779 MB of tables a node against 369-395). */
#define STORE_TABLE_FILE_BYTES (16u << 20)
/* Bits per key of the tables' filters (bloom.h): about one absent key in
 * a hundred reads a block it is not in. */
#define STORE_BLOOM_BITS 10

/* dir: the node's data dir. */
store *store_open(const char *dir, char **err);
void store_close(store *f);
/* A read handle of f (or of f's store, f being one), for another thread
 * (see above): store_get, store_get_head, store_read_part (pinned),
 * iterators, views, store_keys, store_applied, store_disk_size,
 * store_is_large only. */
store *store_reader_new(store *f);
void store_reader_free(store *r);
/* Frees r's scratch memory, on the thread that used r: freed on another,
 * it takes the lock of the arena of glibc that thread allocates from. */
void store_reader_trim(store *r);
/* The reads through r until store_reader_unpin() all see one point in
 * time (a LevelDB snapshot): a command reading several keys sees them
 * as one batch left them (the store itself: nothing to do). Pinning and unpinning are the owner's thread's
 * (as are views); between them r may be used on another thread. */
void store_reader_pin(store *r);
void store_reader_unpin(store *r);
uint64_t store_applied(const store *f);
uint64_t store_applied_term(const store *f);
uint64_t store_installed_at(const store *f);
uint64_t store_keys(const store *f);
/* Keys with an expiry (expired or not: until a write removes them). */
uint64_t store_volatile(const store *f);
/* Their average time to live at now, in ms, to the second (0: none). */
uint64_t store_avg_ttl(const store *f, uint64_t now);
/* The cluster time of the latest entry applied (or image installed);
 * store_set_time() moves it forward inside an apply. The owner's thread. */
uint64_t store_time(const store *f);
void store_set_time(store *f, uint64_t ms);
/* The cluster configuration (members.h text) of the last CONFIG entry
 * applied or image installed, kept with the data so a snapshot carries
 * it; NULL when there was none (the founding one is in force). */
const char *store_conf(const store *f);
/* The ACL users (acl.h's acl_dump text) as the last ACL change applied
 * or image installed left them; NULL while none. The owner's thread. */
const char *store_acl(const store *f);
/* Inside an apply: the table after an ACL change. */
void store_record_acl(store *f, const char *text, size_t len);
/* Any thread, through any handle: a counter that moves with every change
 * of the ACL users, and a copy of them (malloc'd, NULL: none) with the
 * counter it goes with. */
uint64_t store_acl_version(const store *f);
char *store_acl_copy(store *f, uint64_t *version);
/* Records the founding configuration (a new node, before any entry). */
int store_set_conf(store *f, const char *text);
/* A configuration without this node was applied after one with it. */
int store_removed(const store *f);
/* Ends the apply of the entry at index (must be applied+1: anything else
 * is a bug and stops the process) of term: the changes made since the
 * previous one are that entry's, and are written with it as applied. */
void store_set_applied(store *f, uint64_t index, uint64_t term);
/* Inside the apply of a CONFIG entry at index: records its configuration
 * and, the first time one removes this node (removed), that index. */
void store_record_conf(store *f, uint64_t index, const char *text, size_t len, int removed);
/* Durable up to the applied index; 0 on success. */
int store_sync(store *f);
/* Writes the open batch without syncing (appendfsync no). */
int store_write_batch(store *f);
/* A write failed for want of space: LevelDB's error (else NULL). Applies
 * go on into the open batch, in memory (reads through the store see it,
 * read handles do not); store_sync()/store_write_batch() fail, until
 * store_recover() returns 0: it reopens LevelDB once the disk has room and
 * writes the batch (1: not yet; it exits the process if LevelDB cannot
 * be opened again). */
const char *store_no_space(const store *f);
/* The store (never a read handle) holds applied changes that its
 * iterators and views, which read LevelDB only, cannot show: after a
 * write failed for want of space. */
int store_views_behind(const store *f);
int store_recover(store *f);

/* Values this large are fetched off the event loop (fetch.h). Whether key
 * may hold one, or did since this node started (an old value lingers in
 * LevelDB's tables until compacted away): a shared 64-bit hash can make a
 * small one look large, never the reverse once its batch is written;
 * FLUSHALL and an install start the marks afresh. */
#define STORE_LARGE_VALUE (1u << 20)
/* Memory a store opened after this call holds at most, in bytes (the
 * defaults below until it is called): LevelDB's block cache and write
 * buffer (LevelDB may hold two write buffers at once, the one being
 * written out and the next), and the writer's key cache (keycache.h: a
 * SET of a key it knows needs no LevelDB lookup to keep the key count
 * and the expiry index). Each at least 1 MB. */
#define STORE_BLOCK_CACHE_BYTES (64u << 20)
#define STORE_WRITE_BUFFER_BYTES (32u << 20)
#define STORE_KEYCACHE_BYTES (32u << 20)
void store_set_memory(size_t block_cache, size_t write_buffer, size_t key_cache);
int store_is_large(store *f, const char *key, size_t klen);

/* A value's stored form is at most this many bytes longer than the value:
 * a tag, its version, its expiry and its type. */
#define STORE_VALUE_HEAD 18

/* What a key holds. A string's stored form carries no type (as before
 * types existed); any other's bytes are the collection's metadata
 * (docs/collections.md). */
enum { STORE_STRING = 0, STORE_HASH = 1, STORE_LIST = 2, STORE_SET = 3, STORE_ZSET = 4, STORE_CHUNKS = 5 };
/* A string longer than STORE_CHUNK is kept out of line: its key's record
 * is metadata of type STORE_CHUNKS (STORE_META, then the string's length,
 * 8 bytes little-endian), and its bytes are element records of
 * STORE_CHUNK bytes (sub-key: the chunk's number, 4 bytes big-endian).
 * A LevelDB block then never holds more than one chunk beside the small
 * records around it: a lookup that lands on a small key's block reads
 * kilobytes, not the whole of a large value (docs/performance.md). The
 * store's own: store_get() and store_iter_type() hand such a key out as
 * a STORE_STRING with all its bytes; images carry it as a collection. */
#define STORE_CHUNK (64u << 10)
#define STORE_CHUNKS_META (STORE_META + 8)

/* A value read: its bytes (p, len: inside raw, NUL-terminated), expiry
 * (0: none), version: the index of the entry that last wrote it (0:
 * written before versions were kept), which WATCH compares, and type
 * (STORE_STRING, ...); sval_free() lets raw go. */
typedef struct sval { char *raw; const char *p; size_t len; uint64_t expire, version; int type; } sval;
void sval_free(sval *v);
/* A stored value's parts into v (not raw); 0 when it is not well-formed. */
int store_value_decode(const char *raw, size_t n, sval *v);

/* Reads, outside or inside an apply, or through a read handle: 1 and v
 * filled when key is stored (whatever its expiry), else 0. */
int store_get(store *f, const char *key, size_t klen, sval *v);

/* The same without a string's bytes when it is kept out of line (p NULL,
 * len its length): for what needs a key's type, expiry or length only. */
int store_get_head(store *f, const char *key, size_t klen, sval *v);

/* A string kept out of line (store_get_head: p NULL), by parts. Reads
 * through the store or a pinned read handle: n bytes from off, which
 * must lie inside it, into out. */
void store_read_part(store *f, const char *key, size_t klen, uint64_t off, size_t n, char *out);
/* Inside an apply: n bytes written at off, zeros between its end and off
 * when off lies past it; its expiry kept. Only the chunks the write
 * touches are written again. */
void store_write_part(store *f, const char *key, size_t klen, uint64_t off, const char *p, size_t n);

/* Only inside an apply, before its store_set_applied(). Iterators and
 * views read LevelDB only, never the open batch. */
void store_put(store *f, const char *key, size_t klen, const char *val, size_t vlen, uint64_t expire);
/* The same for a value of any type (store_put: a string). */
void store_put_typed(store *f, const char *key, size_t klen, int type, const char *val, size_t vlen,
                     uint64_t expire);
/* Gives key (which must be stored) the expiry expire (0: none), its
 * value unchanged: a string kept out of line has only its metadata
 * written again (one stored whole, all of it, staying whole). */
void store_expire(store *f, const char *key, size_t klen, uint64_t expire);
/* 1 if it was stored, with its expiry in *expire (may be NULL). */
int store_del(store *f, const char *key, size_t klen, uint64_t *expire);
void store_clear(store *f);
/* Moves src's value, whatever its type, with its expiry, to dst (whose
 * value, if any, goes): 1, or 0 when src is absent. A collection keeps
 * its elements. Inside an apply. */
int store_move(store *f, const char *src, size_t slen, const char *dst, size_t dlen);
/* The same, src staying: a collection's elements are copied under a new id. */
int store_copy(store *f, const char *src, size_t slen, const char *dst, size_t dlen);

/* Collections (docs/collections.md). A collection's value (its metadata)
 * starts with its id, STORE_CID bytes, under which its element records
 * live: sub-key -> value, in sub-key order. Deleting or replacing the key
 * (store_del, store_put_typed with another id, store_clear) makes its
 * elements garbage, which later writes reclaim in the background, on this
 * node only (never seen by reads: no key names that id any more).
 * store_move keeps them. Element writes only inside an apply. */
#define STORE_CID 16
/* ... then its element count (8 bytes, little-endian), which the start-up
 * check holds against its records, then a byte of flags (STORE_COLL_*);
 * what follows is its type's. */
#define STORE_META (STORE_CID + 8 + 1)
/* The collection has held an element of STORE_LARGE_VALUE bytes or more:
 * its key counts as large (store_is_large), so reads of it go off the
 * event loop. Set by the type's code, never cleared. */
#define STORE_COLL_LARGE 1
/* The most metadata a collection has: its stored form always fits the
 * writer's key cache (keycache.h), which is how the writer knows a key it
 * caches without one holds a string. */
#define STORE_META_MAX 64
/* A new id into cid: the index of the entry being applied and a count
 * within it, the same on every replica and never given out twice. */
void store_new_cid(store *f, char *cid);
/* 1 and v filled (p, len; type string, no expiry or version), or 0. */
int store_elem_get(store *f, const char *cid, const char *sub, size_t sublen, sval *v);
/* The same, for one of a run of reads walking from one end (dir 1: up the
 * sub-keys, -1: down), such as a list's pops: from the second read of a
 * run on, the writer reads LevelDB's next records with it, a window at a
 * time, until its next write. */
int store_elem_get_run(store *f, const char *cid, const char *sub, size_t sublen, int dir, sval *v);
/* Windows read so far, and the reads they answered (for tests). */
void store_read_ahead_stats(const store *f, uint64_t *fills, uint64_t *hits);
void store_elem_put(store *f, const char *cid, const char *sub, size_t sublen, const char *val, size_t vlen);
/* 1 if it was there. */
int store_elem_del(store *f, const char *cid, const char *sub, size_t sublen);
/* The same for a record the caller knows is there (no read). */
void store_elem_drop(store *f, const char *cid, const char *sub, size_t sublen);
/* The collection's elements from sub-key from on, in sub-key order: inside
 * an apply LevelDB merged with the open batch, on a read handle LevelDB
 * at its point in time. Each record stays valid until the next call. */
typedef struct store_elems store_elems;
store_elems *store_elems_new(store *f, const char *cid, const char *from, size_t fromlen);
int store_elems_next(store_elems *it, const char **sub, size_t *sublen, const char **val, size_t *vlen);
void store_elems_free(store_elems *it);
/* The same, walking down: the elements whose sub-key sorts before below,
 * from the highest. */
store_elems *store_elems_new_rev(store *f, const char *cid, const char *below, size_t belowlen);
/* Moves it (made from the collection's start, walking up) to sub-key from on. */
void store_elems_seek(store_elems *it, const char *from, size_t fromlen);
/* The keys written (not deleted) since the last call, appended to out (a
 * u32 length and the bytes each, repeats kept): the applying thread's,
 * for what waits on keys (blocking pops). */
void store_take_written(store *f, buf *out);
/* Whether writes note their keys at all (off by default); any thread. An
 * entry applied after the call that set it on is noted. */
void store_track_written(store *f, int on);
/* Inside an apply: a number drawn from the entry being applied (its index
 * and how many were drawn before in it), the same on every replica. */
uint64_t store_entry_seed(store *f);

/* Deletions, for WATCH: keys are put in STORE_DEL_BUCKETS buckets by hash,
 * and each keeps the index of the last entry that deleted a key of it
 * (FLUSHALL included). A key absent now was not deleted since index i if
 * store_deleted() <= i (a bucket shared with another key may say it was:
 * WATCH then fails the transaction, never the reverse). Kept with the
 * data, and in images. The store's own (applying) thread. */
#define STORE_DEL_BUCKETS 256
#define STORE_DELS_BYTES (8 * STORE_DEL_BUCKETS)
uint64_t store_deleted(const store *f, const char *key, size_t klen);

/* Up to max keys whose expiry is before now, soonest first (the index in
 * LevelDB: not the open batch), each handed to cb; how many. */
size_t store_expired(store *f, uint64_t now, size_t max, void (*cb)(void *arg, const char *key, size_t klen),
                     void *arg);

/* Keys are stored in the order of a stable 64-bit hash, which makes SCAN
 * cursors stateless (cursor = next hash to visit), valid on every replica
 * and across restarts. Iteration starts at the first key with hash >= from. */
uint64_t store_key_hash(const char *key, size_t klen);
typedef struct store_iter store_iter;
/* On a read handle LevelDB only; on the store itself (inside an apply)
 * LevelDB merged with the open batch, in the same order. */
store_iter *store_iter_new(store *f, uint64_t from);
/* 0 at the end; expire: the key's expiry (0: none). */
int store_iter_next(store_iter *it, const char **key, size_t *klen, uint64_t *hash, uint64_t *expire);
/* The type of the key store_iter_next() handed out last. */
int store_iter_type(const store_iter *it);
void store_iter_free(store_iter *it);
/* Approximate on-disk size of the data, for INFO. */
uint64_t store_disk_size(store *f);

/* A point-in-time view of every user key (a LevelDB snapshot), for sending
 * an image while applies go on. Fills index, term and keys: the point it
 * shows, read from the snapshot (the open batch is not in it). */
typedef struct store_view store_view;
store_view *store_view_new(store *f, uint64_t *index, uint64_t *term, uint64_t *keys);
/* The configuration at the view's point (NULL: the founding one). */
const char *store_view_conf(const store_view *v);
/* The ACL users at the view's point (NULL: none). */
const char *store_view_acl(const store_view *v);
/* The cluster time at the view's point, and its deletion buckets
 * (STORE_DELS_BYTES into out, little-endian). */
uint64_t store_view_time(const store_view *v);
void store_view_dels(const store_view *v, char *out);
/* A key's value at the view's point: 1 and out filled, or 0. */
int store_view_get(store_view *v, const char *key, size_t klen, sval *out);
/* The same as store_get_head does (a long string without its bytes). */
int store_view_get_head(store_view *v, const char *key, size_t klen, sval *out);
/* Next key and its stored form (store_value_decode; valid until the next
 * call): 1; after a collection's key, with store_view_elements() called,
 * its elements (sub-key and value): 2 each; 0 at the end. */
void store_view_elements(store_view *v);
int store_view_next(store_view *v, const char **k, size_t *kl, const char **val, size_t *vl);
/* A view keeps the generation it reads: an install may replace the state
 * machine under it (the old data goes once the last view is freed). All
 * views must be freed before store_close(). */
void store_view_free(store_view *v);

/* Building the next generation from a received image, beside the live
 * one. Errors are malloc'd messages. */
typedef struct store_build store_build;
store_build *store_build_new(store *f, char **err);
/* v is a stored form, or with plain the bytes of a value without expiry
 * (an image from a node that predates expiry). */
int store_build_put(store *f, store_build *b, const char *k, size_t kl, const char *v, size_t vl, int plain,
                    char **err);
/* An element of the collection put last (2s of store_view_next). */
int store_build_elem(store *f, store_build *b, const char *sub, size_t sl, const char *v, size_t vl, char **err);
uint64_t store_build_count(const store_build *b);
/* Deletes what was built. */
void store_build_abort(store_build *b);
/* Makes the build, as the state at index/term (cluster time time_ms,
 * deletion buckets dels: STORE_DELS_BYTES, NULL: an image without them,
 * every bucket then at index) with configuration conf
 * and ACL users acl (NULL: none), the live state machine durably (sync,
 * then the pointer's rename); frees b either way. removed: that
 * configuration removed this node. */
int store_build_install(store *f, store_build *b, uint64_t index, uint64_t term, uint64_t time_ms, const char *dels,
                        const char *conf, const char *acl, int removed, char **err);
#endif
