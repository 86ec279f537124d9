#include "members.h"
#include <stdio.h>
#include <string.h>

static int parse_u64(const char *s, size_t n, uint64_t *out) {
    uint64_t v = 0;
    if (!n || n > 19) return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_port(const char *s, size_t n, int *out) {
    uint64_t v;
    if (parse_u64(s, n, &v) < 0 || v < 1 || v > 65535) return -1;
    *out = (int)v;
    return 0;
}

/* A host holds no NUL byte (it would read back as another host, or none)
 * and no bracket but those around a v6 address, which members_format
 * writes only around a host with a ':' (so "[[a]]" would come back "a"). */
static int host_ok(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] == 0 || s[i] == '[' || s[i] == ']') return 0;
    return 1;
}

/* "host:port[@peerport]" (host may be "[v6]"). */
static int parse_addr(const char *h, const char *end, cluster_member *m) {
    const char *at = memchr(h, '@', (size_t)(end - h));
    const char *addr_end = at ? at : end, *colon = NULL;
    for (const char *p = addr_end; p > h; p--)
        if (p[-1] == ':') { colon = p - 1; break; }
    const char *hs = h, *he = colon;
    if (colon && *hs == '[' && he > hs && he[-1] == ']') { hs++; he--; }  /* [::1]:7001 */
    if (!colon || he <= hs || (size_t)(he - hs) >= sizeof(m->host) || !host_ok(hs, (size_t)(he - hs)) ||
        parse_port(colon + 1, (size_t)(addr_end - colon - 1), &m->port) < 0 ||
        (at && parse_port(at + 1, (size_t)(end - at - 1), &m->peer_port) < 0))
        return -1;
    memcpy(m->host, hs, (size_t)(he - hs));
    m->host[he - hs] = 0;
    if (!at) m->peer_port = m->port + 10000 > 65535 ? 0 : m->port + 10000;
    return m->peer_port ? 0 : -2;
}

/* One "id[=host:port[@peerport]][/learner]" item. */
static int parse_item(const char *s, size_t n, cluster_member *m, char *err, size_t errlen) {
    memset(m, 0, sizeof(*m));
    static const char suffix[] = "/learner";
    size_t sl = sizeof(suffix) - 1;
    const char *end = s + n;
    if (n > sl && !memcmp(end - sl, suffix, sl)) {
        m->learner = 1;
        end -= sl;
    }
    const char *eq = memchr(s, '=', (size_t)(end - s));
    if (parse_u64(s, (size_t)((eq ? eq : end) - s), &m->id) < 0 || m->id < 1) {
        snprintf(err, errlen, "cluster member '%.*s' must be written id=host:port", (int)n, s);
        return -1;
    }
    if (!eq) return 0;
    int r = parse_addr(eq + 1, end, m);
    if (r == -2) {
        snprintf(err, errlen, "cluster member %llu: port %d + 10000 is not a valid peer port; write host:port@peerport",
                 (unsigned long long)m->id, m->port);
        return -1;
    }
    if (r < 0) {
        snprintf(err, errlen, "bad address in cluster member '%.*s' (expected host:port or host:port@peerport)",
                 (int)n, s);
        return -1;
    }
    return 0;
}

int members_retire(members *ms, uint64_t id) {
    if (ms->nretired == MEMBERS_MAX_RETIRED || members_is_retired(ms, id)) return -1;
    int i = ms->nretired++;
    for (; i > 0 && ms->retired[i - 1] > id; i--) ms->retired[i] = ms->retired[i - 1];
    ms->retired[i] = id;
    return 0;
}

int members_is_retired(const members *ms, uint64_t id) {
    for (int i = 0; i < ms->nretired; i++)
        if (ms->retired[i] == id) return 1;
    return 0;
}

static int parse_retired(const char *s, size_t n, members *out, char *err, size_t errlen) {
    uint64_t id;
    if (parse_u64(s + 1, n - 1, &id) < 0 || id < 1) {
        snprintf(err, errlen, "retired id '%.*s' must be written -id", (int)n, s);
        return -1;
    }
    if (members_retire(out, id) < 0) {
        snprintf(err, errlen, "retired id %llu appears twice, or more than %d are retired", (unsigned long long)id,
                 MEMBERS_MAX_RETIRED);
        return -1;
    }
    return 0;
}

int members_parse(const char *s, size_t len, members *out, char *err, size_t errlen) {
    out->n = 0;
    out->nretired = 0;
    const char *end = s + len;
    while (s < end) {
        size_t n = 0;
        while (s + n < end && s[n] != ',' && s[n] != ' ') n++;
        if (n && s[0] == '-') {
            if (parse_retired(s, n, out, err, errlen) < 0) return -1;
        } else if (n) {
            cluster_member m;
            if (out->n == MEMBERS_MAX) {
                snprintf(err, errlen, "a cluster has at most %d members", MEMBERS_MAX);
                return -1;
            }
            if (parse_item(s, n, &m, err, errlen) < 0) return -1;
            if (members_add(out, &m) < 0) {
                snprintf(err, errlen, "cluster member id %llu appears twice", (unsigned long long)m.id);
                return -1;
            }
        }
        s += n;
        while (s < end && (*s == ',' || *s == ' ')) s++;
    }
    for (int i = 0; i < out->n; i++)
        if (members_is_retired(out, out->m[i].id)) {
            snprintf(err, errlen, "node id %llu is both a member and retired", (unsigned long long)out->m[i].id);
            return -1;
        }
    return 0;
}

void members_format_one(const cluster_member *m, buf *out) {
    buf_printf(out, "%llu", (unsigned long long)m->id);
    if (m->host[0])
        buf_printf(out, strchr(m->host, ':') ? "=[%s]:%d@%d" : "=%s:%d@%d", m->host, m->port, m->peer_port);
    if (m->learner) buf_printf(out, "/learner");
}

void members_format(const members *ms, buf *out) {
    for (int i = 0; i < ms->n; i++) {
        if (i) buf_append(out, ",", 1);
        members_format_one(&ms->m[i], out);
    }
    for (int i = 0; i < ms->nretired; i++)
        buf_printf(out, "%s-%llu", ms->n || i ? "," : "", (unsigned long long)ms->retired[i]);
}

const cluster_member *members_get(const members *ms, uint64_t id) {
    for (int i = 0; i < ms->n; i++)
        if (ms->m[i].id == id) return &ms->m[i];
    return NULL;
}

cluster_member *members_find(members *ms, uint64_t id) { return (cluster_member *)members_get(ms, id); }

int members_voters(const members *ms) {
    int v = 0;
    for (int i = 0; i < ms->n; i++) v += !ms->m[i].learner;
    return v;
}

int members_is_voter(const members *ms, uint64_t id) {
    const cluster_member *m = members_get(ms, id);
    return m && !m->learner;
}

int members_removes(const char *before, size_t blen, const char *after, size_t alen, uint64_t id) {
    members b, a;
    char err[160];
    if (members_parse(before, blen, &b, err, sizeof(err)) < 0 || members_parse(after, alen, &a, err, sizeof(err)) < 0)
        return 0;
    return members_get(&b, id) && !members_get(&a, id);
}

int members_add(members *ms, const cluster_member *m) {
    if (ms->n == MEMBERS_MAX || members_get(ms, m->id)) return -1;
    int i = ms->n++;
    for (; i > 0 && ms->m[i - 1].id > m->id; i--) ms->m[i] = ms->m[i - 1];
    ms->m[i] = *m;
    return 0;
}

int members_remove(members *ms, uint64_t id) {
    for (int i = 0; i < ms->n; i++)
        if (ms->m[i].id == id) {
            memmove(&ms->m[i], &ms->m[i + 1], sizeof(ms->m[0]) * (size_t)(ms->n - i - 1));
            ms->n--;
            return 0;
        }
    return -1;
}
