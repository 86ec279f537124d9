/* blob: bytes shared by reference count, so that one large log entry is
 * held once by the Raft log, the peer links that send it, the log writer
 * and the applier, instead of copied by each. The count is atomic: the
 * last holder may be any thread. blob_new's bytes are writable until they
 * are shared; a blob is never resized. */
#ifndef RAFTKV_BLOB_H
#define RAFTKV_BLOB_H
#include <stddef.h>

/* len bytes (len may be 0), with one reference. */
char *blob_new(size_t len);
/* The len bytes at data, which lie in the malloc'd allocation base at
 * least BLOB_ADOPT_ROOM bytes past its start, made a blob with one
 * reference without a copy elsewhere: they move back by up to 15 bytes,
 * over bytes the caller no longer needs, to align the count put before
 * them. base is freed with the last reference: the caller gives it up.
 * Returns the blob's bytes. */
#define BLOB_ADOPT_ROOM 32
char *blob_adopt(char *base, char *data, size_t len);
/* A blob holding a copy of p[0..len). */
char *blob_copy(const char *p, size_t len);
/* One more reference to the blob whose bytes start at data; returns data. */
char *blob_retain(const char *data);
/* Drops one reference; the last frees the blob. NULL is ignored. */
void blob_release(const char *data);

#endif
