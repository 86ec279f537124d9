#include "join.h"
#include "buf.h"
#include "peer.h"
#include "tls.h"
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int dial(const char *hostport, char *err, size_t errlen) {
    char host[256];
    const char *colon = strrchr(hostport, ':');
    size_t hl = colon ? (size_t)(colon - hostport) : 0;
    if (!colon || !hl || hl >= sizeof(host) || !colon[1]) {
        snprintf(err, errlen, "--join wants host:port, not '%s'", hostport);
        return -1;
    }
    memcpy(host, hostport, hl);
    host[hl] = 0;
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {  /* [::1]:7001 */
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
    }
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai) {
        snprintf(err, errlen, "cannot resolve %s", hostport);
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    struct timeval tv = {10, 0};
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        snprintf(err, errlen, "cannot connect to %s: %s", hostport, strerror(errno));
        if (fd >= 0) close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* A connection to a member, blocking with dial()'s timeouts: its client
 * port or its peer port, through TLS with tls-cluster (tls.h on a blocking
 * socket: a TLS_WANT_* is a timeout). */
typedef struct member_conn {
    int fd;
    tls_conn *tls;
    const char *where;
} member_conn;

/* All of len bytes, or -1 with err. */
static int link_send(member_conn *l, const char *p, size_t len, char *err, size_t errlen) {
    while (len) {
        size_t n = 0;
        ssize_t w = !l->tls ? write(l->fd, p, len) : tls_write(l->tls, p, len, &n) == TLS_OK ? (ssize_t)n : -1;
        if (w <= 0) {
            snprintf(err, errlen, "cannot send to %s", l->where);
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Some bytes (> 0), or -1 with why (a static text or the TLS error). */
static ssize_t link_recv(member_conn *l, char *p, size_t cap, const char **why) {
    *why = "connection closed";
    if (!l->tls) {
        ssize_t r = read(l->fd, p, cap);
        if (r > 0) return r;
        if (r < 0) *why = errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno);
    } else {
        size_t n = 0;
        int r = tls_read(l->tls, p, cap, &n);
        if (r == TLS_OK) return (ssize_t)n;
        if (r == TLS_ERR) *why = tls_error(l->tls);  /* a refused certificate shows here with TLS 1.3 */
        else if (r != TLS_CLOSED) *why = "timed out";
    }
    return -1;
}

/* A connection to hostport, inside TLS when tls (as a dialled peer link
 * runs it: this node's client certificate, the other's signed by the CA).
 * 0, or -1 with err (and nothing left open). */
static int link_open(member_conn *l, const char *hostport, int tls, char *err, size_t errlen) {
    *l = (member_conn){dial(hostport, err, errlen), NULL, hostport};
    if (l->fd < 0) return -1;
    if (!tls) return 0;
    l->tls = tls_conn_dial(l->fd);
    int r = l->tls ? tls_handshake(l->tls) : TLS_ERR;
    if (r == TLS_OK) return 0;
    const char *why = !l->tls ? "no memory" : r == TLS_ERR ? tls_error(l->tls)
                    : r == TLS_CLOSED ? "closed by the other side (does it speak TLS there?)" : "timed out";
    snprintf(err, errlen, "TLS handshake with %s: %s", hostport, why);
    tls_conn_free(l->tls);
    close(l->fd);
    return -1;
}

static void link_close(member_conn *l) {
    tls_conn_free(l->tls);
    close(l->fd);
}

/* Reads one reply: a status, an error or a bulk string (its body goes to
 * out, status and error lines without the CRLF). Returns the type byte. */
static int read_reply(member_conn *l, buf *out, char *err, size_t errlen) {
    buf in;
    buf_init(&in);
    int type = -1;
    for (;;) {
        char *crlf = in.len ? memmem(in.data, in.len, "\r\n", 2) : NULL;
        if (crlf) {
            size_t line = (size_t)(crlf - in.data);
            if (in.data[0] == '+' || in.data[0] == '-') {
                buf_append(out, in.data + 1, line - 1);
                type = in.data[0];
                break;
            }
            if (in.data[0] == '$') {
                long long n = strtoll(in.data + 1, NULL, 10);
                if (n < 0) { type = '$'; break; }
                if (in.len >= line + 2 + (size_t)n + 2) {
                    buf_append(out, crlf + 2, (size_t)n);
                    type = '$';
                    break;
                }
            } else {
                snprintf(err, errlen, "unexpected reply");
                break;
            }
        }
        char tmp[16384];
        const char *why;
        ssize_t r = link_recv(l, tmp, sizeof(tmp), &why);
        if (r < 0) {
            snprintf(err, errlen, "no reply from %s: %s", l->where, why);
            break;
        }
        buf_append(&in, tmp, (size_t)r);
    }
    buf_free(&in);
    return type;
}

static char password[1024];  /* join_setup(): sent with AUTH before each request */
static int over_tls;         /* join_setup(): requests go through TLS */

void join_setup(const char *pass, int tls) {
    snprintf(password, sizeof(password), "%s", pass ? pass : "");
    over_tls = tls;
}

/* Sends argv as a RESP array and reads the reply. */
static int exchange(member_conn *l, int argc, const char **argv, buf *out, char *err, size_t errlen) {
    buf req;
    buf_init(&req);
    buf_printf(&req, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) buf_printf(&req, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    int type = link_send(l, req.data, req.len, err, errlen) < 0 ? -1 : read_reply(l, out, err, errlen);
    buf_free(&req);
    return type;
}

/* One request on a fresh connection, after AUTH when there is a password
 * (a refused AUTH is the reply then). */
static int call(const char *hostport, int argc, const char **argv, buf *out, char *err, size_t errlen) {
    member_conn l;
    if (link_open(&l, hostport, over_tls, err, errlen) < 0) return -1;
    const char *auth[] = {"AUTH", password};
    int type = password[0] ? exchange(&l, 2, auth, out, err, errlen) : '+';
    if (type == '+') {
        out->len = 0;
        type = exchange(&l, argc, argv, out, err, errlen);
    }
    link_close(&l);
    return type;
}

/* "raft_node<id>:addr=<host>:<port>,peer_port=<p>,..." lines of INFO raft. */
static void parse_nodes(const char *info, members *known) {
    known->n = known->nretired = 0;
    for (const char *l = strstr(info, "raft_node"); l; l = strstr(l + 1, "\nraft_node")) {
        if (*l == '\n') l++;
        unsigned long long id;
        char host[256];
        int port, peer_port;
        if (sscanf(l, "raft_node%llu:addr=%255[^,],peer_port=%d", &id, host, &peer_port) != 3) continue;
        char *colon = strrchr(host, ':');
        if (!colon) continue;
        *colon = 0;
        port = atoi(colon + 1);
        cluster_member m = {0};
        m.id = id;
        snprintf(m.host, sizeof(m.host), "%s", host);
        m.port = port;
        m.peer_port = peer_port;
        if (id && port > 0 && peer_port > 0) members_add(known, &m);
    }
}

int join_cluster(const char *hostport, uint64_t *cluster_id, uint64_t *member_id, members *known, char *err,
                 size_t errlen) {
    const char *argv[] = {"INFO", "raft"};
    buf out;
    buf_init(&out);
    int type = call(hostport, 2, argv, &out, err, errlen);
    buf_append(&out, "", 1);
    const char *f = type == '$' ? strstr(out.data, "raft_cluster_id:") : NULL;
    if (f) {
        *cluster_id = strtoull(f + 16, NULL, 16);
        const char *me = strstr(out.data, "raft_node_id:");
        *member_id = me ? strtoull(me + 13, NULL, 10) : 0;
        parse_nodes(out.data, known);
    } else if (type == '-') {
        snprintf(err, errlen, "%s refused: %s", hostport, out.data);
    } else if (type >= 0) {
        snprintf(err, errlen, "%s did not report a cluster id", hostport);
    }
    buf_free(&out);
    return f && *cluster_id ? 0 : -1;
}

/* The handshake's frames both ways until it ends: 1 once authenticated,
 * -1 with err. */
static int exchange_hs(member_conn *l, peer_hs *hs, char *err, size_t errlen) {
    buf in, out;
    buf_init(&in);
    buf_init(&out);
    int k = peer_hs_hello(hs, &out);
    if (k < 0) snprintf(err, errlen, "no random bytes for a handshake nonce");
    while (k == 0) {
        if (out.len && link_send(l, out.data, out.len, err, errlen) < 0) { k = -1; break; }
        out.len = out.pos = 0;
        char tmp[PEER_HANDSHAKE_BYTES];
        const char *why;
        ssize_t r = link_recv(l, tmp, sizeof(tmp), &why);
        if (r < 0) {
            if (!strcmp(why, "connection closed"))
                why = "are its cluster secret and tls-cluster setting the same as this node's?";
            snprintf(err, errlen, "node %llu at %s closed the handshake (%s)", (unsigned long long)hs->peer,
                     l->where, why);
            k = -1;
            break;
        }
        buf_append(&in, tmp, (size_t)r);
        k = peer_hs_step(hs, &in, &out, err, errlen);
    }
    /* the AUTH, or this side's refusal: the member logs what it was */
    char ignored[64];
    if (out.len && link_send(l, out.data, out.len, k > 0 ? err : ignored, k > 0 ? errlen : sizeof(ignored)) < 0)
        k = -1;
    buf_free(&in);
    buf_free(&out);
    return k;
}

int join_check_secret(const members *known, uint64_t member_id, uint64_t cluster_id, uint64_t my_id,
                      const char *secret, int tls, char *err, size_t errlen) {
    const cluster_member *m = members_get(known, member_id);
    if (!m) {
        snprintf(err, errlen, "the member does not say where its peer port is");
        return -1;
    }
    char hostport[300];
    snprintf(hostport, sizeof(hostport), strchr(m->host, ':') ? "[%s]:%d" : "%s:%d", m->host, m->peer_port);
    member_conn l;
    if (link_open(&l, hostport, tls, err, errlen) < 0) return -1;
    peer_hs hs;
    peer_hs_init(&hs, 1, cluster_id, my_id, member_id, (const unsigned char *)secret, strlen(secret));
    int k = exchange_hs(&l, &hs, err, errlen);
    link_close(&l);
    return k > 0 ? 0 : -1;
}

static int retriable(const char *e) {
    return !strncmp(e, "CLUSTERDOWN", 11) || !strncmp(e, "TIMEOUT", 7) || !strncmp(e, "TRYAGAIN", 8);
}

int join_request(const char *hostport, uint64_t id, const char *addr, int timeout_ms, char *err, size_t errlen) {
    char ids[32];
    snprintf(ids, sizeof(ids), "%llu", (unsigned long long)id);
    const char *argv[] = {"RAFT.NODE", "ADD", ids, addr};
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        buf out;
        buf_init(&out);
        int type = call(hostport, 4, argv, &out, err, errlen);
        buf_append(&out, "", 1);
        int done = type == '+' || (type == '-' && strstr(out.data, "already a member"));
        int again = type < 0 || (type == '-' && retriable(out.data));
        if (type == '-' && !done) snprintf(err, errlen, "%s refused: %s", hostport, out.data);
        buf_free(&out);
        if (done) return 0;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (!again || ms > timeout_ms) return -1;
        struct timespec nap = {0, 200 * 1000000};
        nanosleep(&nap, NULL);
    }
}
