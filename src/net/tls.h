/* tls: the TLS transport of client connections on tls-port, as Redis 7.0
 * offers it, over OpenSSL. Only client.c uses it, and only for sockets
 * accepted on the TLS port: a plain client never reaches this code.
 *
 * Contract:
 * - tls_configure() runs once at start-up, before the loop, when
 *   tls-port is set. It builds the one server context from the config's
 *   tls-* options and says, as Redis does, why it cannot ("No
 *   tls-cert-file configured!", "Failed to load certificate: ..."); the
 *   node must then refuse to start.
 * - Every call on a connection is non-blocking and returns one of
 *   TLS_OK, TLS_WANT_READ / TLS_WANT_WRITE (nothing lost: call again, with
 *   the same arguments for a write, once the socket is readable /
 *   writable), TLS_CLOSED (the peer closed) or TLS_ERR (the connection is
 *   unusable: free it). Nothing here blocks, logs per byte or touches the
 *   event loop: the caller owns the watchers.
 * - A read returns the bytes of at most one record; tls_pending() says how
 *   many more are already decrypted inside OpenSSL, where the socket no
 *   longer signals them: the caller reads them before it sleeps.
 * - A write may take part of what it is given (partial writes on), and the
 *   buffer may move between a TLS_WANT_* and the retry, as long as it
 *   starts with the same bytes (client.c's output buffer only grows at
 *   its end until it is all written).
 * - tls-auth-clients is read at each new connection: CONFIG SET counts
 *   for the next handshake. */
#ifndef RAFTKV_TLS_H
#define RAFTKV_TLS_H
#include <stddef.h>
#include "config.h"

enum { TLS_OK = 0, TLS_WANT_READ, TLS_WANT_WRITE, TLS_CLOSED, TLS_ERR };

typedef struct tls_conn tls_conn;

/* 0, or -1 after logging why (Redis's lines). */
int tls_configure(const config *cfg);
/* Shutdown: frees the context. */
void tls_cleanup(void);

/* A server-side connection on an accepted, non-blocking socket; NULL if
 * OpenSSL has no memory. The socket stays the caller's to close. */
tls_conn *tls_conn_new(int fd, int auth_clients);
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
