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
/* A blob holding a copy of p[0..len). */
char *blob_copy(const char *p, size_t len);
/* One more reference to the blob whose bytes start at data; returns data. */
char *blob_retain(const char *data);
/* Drops one reference; the last frees the blob. NULL is ignored. */
void blob_release(const char *data);

#endif
