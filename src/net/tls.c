#include "tls.h"
#include "log.h"
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct tls_conn {
    SSL *ssl;
    int failed;          /* a fatal error: no close_notify may follow */
    char err[200];
};

/* client may be server (one more reference): Redis's rule when no
 * tls-client-cert-file / tls-client-key-file pair is set. */
struct tls_contexts {
    SSL_CTX *server, *client;
};

static tls_contexts live;  /* in use for new connections */

int tls_wanted(const config *cfg) { return cfg->tls_port != 0 || cfg->tls_cluster; }

/* The first OpenSSL error queued, as text, as Redis logs it (the first
 * names the cause: "No such file or directory", "no start line"). */
static void ssl_error_str(char *out, size_t cap) {
    unsigned long e = ERR_peek_error();
    if (e) ERR_error_string_n(e, out, cap);
    else snprintf(out, cap, "%s", "unknown error");
    ERR_clear_error();
}

/* tls-protocols: "TLSv1.2 TLSv1.3" by default, as Redis 7.0. */
static int set_protocols(SSL_CTX *c, const char *spec) {
    static const char *const names[] = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"};
    static const uint64_t off[] = {SSL_OP_NO_TLSv1, SSL_OP_NO_TLSv1_1, SSL_OP_NO_TLSv1_2, SSL_OP_NO_TLSv1_3};
    int on[4] = {0, 0, 1, 1};
    if (spec[0]) {
        memset(on, 0, sizeof(on));
        char tmp[sizeof(((config *)0)->tls_protocols)], *save = NULL;
        snprintf(tmp, sizeof(tmp), "%s", spec);
        for (char *w = strtok_r(tmp, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
            int k = -1;
            for (int i = 0; i < 4; i++)
                if (!strcasecmp(w, names[i])) k = i;
            if (k < 0) return -1;
            on[k] = 1;
        }
        if (!on[0] && !on[1] && !on[2] && !on[3]) return -1;
    }
    uint64_t opts = SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3;
    for (int i = 0; i < 4; i++)
        if (!on[i]) opts |= off[i];
    SSL_CTX_set_options(c, opts);
    return 0;
}

/* What every context of the node has: the protocols, partial writes to a
 * buffer that may move, no compression or renegotiation. */
static SSL_CTX *new_context(const config *cfg) {
    SSL_CTX *c = SSL_CTX_new(TLS_method());
    if (!c) return NULL;
    if (set_protocols(c, cfg->tls_protocols) < 0) {
        logmsg(LL_WARNING, "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' "
               "and 'TLSv1.3'.");
        SSL_CTX_free(c);
        return NULL;
    }
    SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                           SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                        SSL_MODE_RELEASE_BUFFERS);
    return c;
}

/* The certificate (chain) and key a context shows, and the CA it trusts;
 * 0, or -1 after Redis's line. */
static int load_files(SSL_CTX *c, const char *cert, const char *key, const config *cfg) {
    char e[256];
    if (SSL_CTX_use_certificate_chain_file(c, cert) <= 0) {
        ssl_error_str(e, sizeof(e));
        logmsg(LL_WARNING, "Failed to load certificate: %s: %s", cert, e);
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) <= 0 || SSL_CTX_check_private_key(c) <= 0) {
        ssl_error_str(e, sizeof(e));
        logmsg(LL_WARNING, "Failed to load private key: %s: %s", key, e);
        return -1;
    }
    if ((cfg->tls_ca_cert_file[0] || cfg->tls_ca_cert_dir[0]) &&
        SSL_CTX_load_verify_locations(c, cfg->tls_ca_cert_file[0] ? cfg->tls_ca_cert_file : NULL,
                                      cfg->tls_ca_cert_dir[0] ? cfg->tls_ca_cert_dir : NULL) <= 0) {
        ssl_error_str(e, sizeof(e));
        logmsg(LL_WARNING, "Failed to configure CA certificate(s) file/directory: %s", e);
        return -1;
    }
    return 0;
}

/* What the options must hold before any file is read; 0, or -1 after
 * Redis's line. */
static int options_ok(const config *cfg) {
    if (!cfg->tls_cert_file[0]) { logmsg(LL_WARNING, "No tls-cert-file configured!"); return -1; }
    if (!cfg->tls_key_file[0]) { logmsg(LL_WARNING, "No tls-key-file configured!"); return -1; }
    if ((cfg->tls_auth_clients != CONFIG_TLS_AUTH_NO || cfg->tls_cluster) && !cfg->tls_ca_cert_file[0] &&
        !cfg->tls_ca_cert_dir[0]) {
        logmsg(LL_WARNING, "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, "
               "tls-replication or tls-auth-clients are enabled!");
        return -1;
    }
    return 0;
}

static SSL_CTX *server_context(const config *cfg) {
    SSL_CTX *c = new_context(cfg);
    if (!c) return NULL;
    /* session resumption, as Redis's defaults (tls-session-caching yes) */
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(c, 20480);
    SSL_CTX_set_timeout(c, 300);
    SSL_CTX_set_session_id_context(c, (const unsigned char *)"raftkv", 6);
    if (load_files(c, cfg->tls_cert_file, cfg->tls_key_file, cfg) < 0) {
        SSL_CTX_free(c);
        return NULL;
    }
    return c;
}

/* The client context: its own certificate when both client files are
 * set, else the server context itself (one more reference). */
static SSL_CTX *client_context(const config *cfg, SSL_CTX *server) {
    if (!cfg->tls_client_cert_file[0] || !cfg->tls_client_key_file[0]) {
        SSL_CTX_up_ref(server);
        return server;
    }
    SSL_CTX *c = new_context(cfg);
    if (c && load_files(c, cfg->tls_client_cert_file, cfg->tls_client_key_file, cfg) < 0) {
        SSL_CTX_free(c);
        return NULL;
    }
    return c;
}

tls_contexts *tls_build(const config *cfg) {
    if (options_ok(cfg) < 0) return NULL;
    SSL_CTX *server = server_context(cfg);
    SSL_CTX *client = server ? client_context(cfg, server) : NULL;
    if (!client) {
        SSL_CTX_free(server);
        ERR_clear_error();
        return NULL;
    }
    tls_contexts *t = xmalloc(sizeof(*t));
    t->server = server;
    t->client = client;
    return t;
}

void tls_discard(tls_contexts *t) {
    if (!t) return;
    SSL_CTX_free(t->client);
    SSL_CTX_free(t->server);
    free(t);
}

void tls_install(tls_contexts *t) {
    SSL_CTX_free(live.client);
    SSL_CTX_free(live.server);
    live = *t;
    free(t);
}

int tls_configure(const config *cfg) {
    tls_contexts *t = tls_build(cfg);
    if (!t) return -1;
    tls_install(t);
    return 0;
}

void tls_cleanup(void) {
    SSL_CTX_free(live.client);
    SSL_CTX_free(live.server);
    memset(&live, 0, sizeof(live));
}

static tls_conn *conn_new(SSL_CTX *ctx, int fd, int verify, int server) {
    SSL *ssl = ctx ? SSL_new(ctx) : NULL;
    if (!ssl) { ERR_clear_error(); return NULL; }
    if (!SSL_set_fd(ssl, fd)) { ERR_clear_error(); SSL_free(ssl); return NULL; }
    SSL_set_verify(ssl, verify, NULL);
    if (server) SSL_set_accept_state(ssl);
    else SSL_set_connect_state(ssl);
    tls_conn *t = calloc(1, sizeof(*t));
    if (!t) { SSL_free(ssl); return NULL; }
    t->ssl = ssl;
    return t;
}

tls_conn *tls_conn_new(int fd, int auth_clients) {
    int mode = auth_clients == CONFIG_TLS_AUTH_YES ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
             : auth_clients == CONFIG_TLS_AUTH_OPTIONAL ? SSL_VERIFY_PEER : SSL_VERIFY_NONE;
    return conn_new(live.server, fd, mode, 1);
}

tls_conn *tls_conn_dial(int fd) { return conn_new(live.client, fd, SSL_VERIFY_PEER, 0); }

void tls_conn_free(tls_conn *t) {
    if (!t) return;
    if (!t->failed && SSL_is_init_finished(t->ssl)) SSL_shutdown(t->ssl);  /* one try: never waits */
    ERR_clear_error();
    SSL_free(t->ssl);
    free(t);
}

/* OpenSSL's reason, and for a certificate that did not check, why not
 * ("unable to get local issuer certificate": another CA signed it). */
static void describe_failure(tls_conn *t) {
    ssl_error_str(t->err, sizeof(t->err));
    long v = SSL_get_verify_result(t->ssl);
    size_t n = strlen(t->err);
    if (v != X509_V_OK && n < sizeof(t->err))
        snprintf(t->err + n, sizeof(t->err) - n, " (%s)", X509_verify_cert_error_string(v));
}

/* What an SSL call's return r means. */
static int outcome(tls_conn *t, int r) {
    int e = SSL_get_error(t->ssl, r);
    switch (e) {
    case SSL_ERROR_NONE: return TLS_OK;
    case SSL_ERROR_WANT_READ: return TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: ERR_clear_error(); return TLS_CLOSED;
    case SSL_ERROR_SYSCALL:
        t->failed = 1;
        if (!ERR_peek_error()) { snprintf(t->err, sizeof(t->err), "connection reset or closed"); return TLS_CLOSED; }
        describe_failure(t);
        return TLS_ERR;
    default:
        t->failed = 1;
        describe_failure(t);
        return TLS_ERR;
    }
}

int tls_handshake(tls_conn *t) {
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    return r == 1 ? TLS_OK : outcome(t, r);
}

int tls_read(tls_conn *t, char *p, size_t cap, size_t *n) {
    ERR_clear_error();
    size_t got = 0;
    int r = SSL_read_ex(t->ssl, p, cap, &got);
    *n = got;
    return r == 1 ? TLS_OK : outcome(t, r);
}

int tls_write(tls_conn *t, const char *p, size_t len, size_t *n) {
    ERR_clear_error();
    size_t put = 0;
    int r = SSL_write_ex(t->ssl, p, len, &put);
    *n = put;
    return r == 1 ? TLS_OK : outcome(t, r);
}

size_t tls_pending(tls_conn *t) {
    int n = SSL_pending(t->ssl);
    return n > 0 ? (size_t)n : 0;
}

const char *tls_error(tls_conn *t) { return t->err[0] ? t->err : "unknown error"; }
