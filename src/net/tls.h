/* tls: the TLS transport over OpenSSL, as Redis 7.0 offers it: clients
 * accepted on tls-port (client.c), and with tls-cluster yes every peer
 * link, both the one a node dials and the one it accepts (peer.c), and
 * --join's handshake with a member (join.c). A plain client or a plain
 * peer link never reaches this code.
 *
 * Contract:
 * - Two contexts, built from the config's tls-* options: the server one
 *   (tls-cert-file, tls-key-file) for connections this node accepts, and
 *   the client one for connections it dials, which shows
 *   tls-client-cert-file / tls-client-key-file when both are set and the
 *   server certificate otherwise (Redis's rule). Both trust
 *   tls-ca-cert-file / tls-ca-cert-dir.
 * - tls_build() makes a new pair without touching the pair in use, and
 *   says, as Redis does, why it cannot ("No tls-cert-file configured!",
 *   "Failed to load certificate: ..."); tls_install() then puts it in
 *   use. Connections already open keep the context they were made with
 *   (OpenSSL counts its references): CONFIG SET of a certificate counts
 *   for the next connection, and a failed one changes nothing.
 * - Every call on a connection is non-blocking on a non-blocking socket
 *   and returns one of TLS_OK, TLS_WANT_READ / TLS_WANT_WRITE (nothing
 *   lost: call again, with the same arguments for a write, once the
 *   socket is readable / writable), TLS_CLOSED (the other side closed) or
 *   TLS_ERR (the connection is unusable: free it). Nothing here logs per
 *   byte or touches the event loop: the caller owns the watchers. On a
 *   blocking socket with SO_RCVTIMEO / SO_SNDTIMEO (join.c, before the
 *   loop runs) a TLS_WANT_* means that time passed.
 * - A read returns the bytes of at most one record; tls_pending() says how
 *   many more are already decrypted inside OpenSSL, where the socket no
 *   longer signals them: the caller reads them before it sleeps.
 * - A write may take part of what it is given (partial writes on), and the
 *   buffer may move between a TLS_WANT_* and the retry, as long as it
 *   starts with the same bytes and is no shorter (client.c's and peer.c's
 *   output buffers only grow at their end until all is written).
 * - tls-auth-clients is read at each new client connection: CONFIG SET
 *   counts for the next handshake. A peer link always requires a
 *   certificate the CA signed, both ways; like Redis, no host name is
 *   checked (the peer handshake on top proves the node's id). */
#ifndef RAFTKV_TLS_H
#define RAFTKV_TLS_H
#include <stddef.h>
#include "config.h"

enum { TLS_OK = 0, TLS_WANT_READ, TLS_WANT_WRITE, TLS_CLOSED, TLS_ERR };

typedef struct tls_conn tls_conn;
typedef struct tls_contexts tls_contexts;

/* 1 when the node needs the contexts: a tls-port, or tls-cluster yes. */
int tls_wanted(const config *cfg);
/* A new pair of contexts from cfg, or NULL after logging why (Redis's lines). */
tls_contexts *tls_build(const config *cfg);
/* Puts t in use for new connections (t is taken); the old pair goes once
 * the connections made with it are gone. */
void tls_install(tls_contexts *t);
/* Frees a pair that was built and not installed (NULL: nothing). */
void tls_discard(tls_contexts *t);
/* Start-up: build and install. 0, or -1 after logging why. */
int tls_configure(const config *cfg);
/* Shutdown: lets the contexts go. */
void tls_cleanup(void);

/* A server-side connection on an accepted, non-blocking socket; NULL if
 * OpenSSL has no memory. auth_clients (CONFIG_TLS_AUTH_*): must the other
 * side show a certificate. The socket stays the caller's to close. */
tls_conn *tls_conn_new(int fd, int auth_clients);
/* A client-side connection on a connected socket: it shows this node's
 * client certificate and requires one the CA signed from the other side. */
tls_conn *tls_conn_dial(int fd);
/* Sends close_notify if it can without waiting, and frees. */
void tls_conn_free(tls_conn *t);
/* The handshake, one step: TLS_OK once done. */
int tls_handshake(tls_conn *t);
/* Up to cap bytes into p; *n is how many on TLS_OK. */
int tls_read(tls_conn *t, char *p, size_t cap, size_t *n);
/* Writes from p (len > 0); *n is how many were taken on TLS_OK. */
int tls_write(tls_conn *t, const char *p, size_t len, size_t *n);
size_t tls_pending(tls_conn *t);
/* Why the latest TLS_ERR happened, for a log line. */
const char *tls_error(tls_conn *t);
#endif
