#include "resp.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void resp_parser_init(resp_parser *p, long long max_bulk, uint64_t max_request) {
    memset(p, 0, sizeof(*p));
    p->bulklen = -1;
    p->max_bulk = max_bulk;
    p->max_request = max_request;
}

/* n bytes at a, and the byte after them, lie in b's memory */
static int lies_in(const buf *b, const char *a, size_t n) {
    uintptr_t at = (uintptr_t)a, base = (uintptr_t)(b ? b->data : NULL);
    return base && at >= base && n < b->cap && at - base < b->cap - n;
}

/* Vectors queued by resp_argv_free(), the oldest first; the head's
 * arguments below done are already freed. */
typedef struct dead_argv { struct dead_argv *next; rstr *argv; int argc, done; buf backing; } dead_argv;
static dead_argv *dead_head, **dead_tail = &dead_head;
/* Arguments parsed or adopted since the last resp_free_deferred(): each
 * pass frees as many more, so that a flood of requests is freed as fast
 * as it is parsed, and one huge request as slowly. */
static long long parsed_new;

static void free_args(rstr *argv, int from, int to, const buf *backing) {
    for (int i = from; i < to; i++)
        if (!lies_in(backing, argv[i].p, 0)) free(argv[i].p);
}

void resp_argv_free(rstr *argv, int argc, buf *backing) {
    if (argc <= RESP_FREE_NOW) {
        free_args(argv, 0, argc, backing);
        if (backing) buf_free(backing);
        free(argv);
        return;
    }
    dead_argv *d = xmalloc(sizeof(*d));
    *d = (dead_argv){NULL, argv, argc, 0, {0}};
    if (backing) d->backing = *backing, buf_init(backing);
    *dead_tail = d;
    dead_tail = &d->next;
}

int resp_free_deferred(int max) {
    long long left = max + parsed_new;
    parsed_new = 0;
    while (dead_head && left > 0) {
        dead_argv *d = dead_head;
        int to = (long long)(d->argc - d->done) < left ? d->argc : d->done + (int)left;
        free_args(d->argv, d->done, to, &d->backing);
        left -= to - d->done;
        d->done = to;
        if (d->done < d->argc) break;
        dead_head = d->next;
        if (!dead_head) dead_tail = &dead_head;
        buf_free(&d->backing);
        free(d->argv);
        free(d);
    }
    return dead_head != NULL;
}

void resp_args_reset(resp_parser *p) {
    if (p->argc > RESP_FREE_NOW) {  /* the vector goes whole: the parser starts a new one */
        resp_argv_free(p->argv, p->argc, &p->backing);
        p->argv = NULL;
        p->argc = p->argcap = 0;
    }
    free_args(p->argv, 0, p->argc, &p->backing);
    buf_free(&p->backing);
    p->argc = 0;
    p->multibulk = 0;
    p->bulklen = -1;
    p->inline_req = 0;
    p->request_bytes = 0;
}

static void push_arg(resp_parser *p, const char *s, size_t n);
static void push_owned(resp_parser *p, char *s, size_t n);

void resp_args_set(resp_parser *p, int argc, const rstr *argv) { resp_args_adopt(p, argc, argv, NULL); }

void resp_args_adopt(resp_parser *p, int argc, const rstr *argv, buf *backing) {
    resp_args_reset(p);
    int kept = 0;
    for (int i = 0; i < argc; i++) {
        if (lies_in(backing, argv[i].p, argv[i].len)) {
            push_owned(p, argv[i].p, argv[i].len);
            kept = 1;
        } else {
            push_arg(p, argv[i].p, argv[i].len);
        }
    }
    if (!kept) return;
    /* after every copy: the NUL lands on the next argument's length */
    for (int i = 0; i < p->argc; i++)
        if (lies_in(backing, p->argv[i].p, p->argv[i].len)) p->argv[i].p[p->argv[i].len] = '\0';
    p->backing = *backing;
    buf_init(backing);
}

rstr *resp_args_take(resp_parser *p, int *argc, buf *backing) {
    rstr *argv = p->argv;
    *argc = p->argc;
    *backing = p->backing;
    buf_init(&p->backing);
    p->argv = NULL;
    p->argc = p->argcap = 0;
    return argv;
}

void resp_parser_free(resp_parser *p) {
    resp_args_reset(p);
    free(p->argv);
    p->argv = NULL;
    p->argcap = 0;
}

static void push_owned(resp_parser *p, char *s, size_t n) {
    if (p->argc == p->argcap) {
        p->argcap = p->argcap ? p->argcap * 2 : 8;
        p->argv = xrealloc(p->argv, sizeof(rstr) * (size_t)p->argcap);
    }
    p->argv[p->argc].p = s;
    p->argv[p->argc].len = n;
    p->argc++;
    parsed_new++;
}

static void push_arg(resp_parser *p, const char *s, size_t n) { push_owned(p, xstrndup(s, n), n); }

static int perr(resp_parser *p, const char *msg) {
    snprintf(p->err, sizeof(p->err), "Protocol error: %s", msg);
    return RESP_ERR;
}

/* Counts n more bytes of the request against its bound. */
static int charge(resp_parser *p, uint64_t n) {
    if (n > p->max_request - p->request_bytes) {
        snprintf(p->err, sizeof(p->err), "Protocol error: request exceeds %llu bytes, the largest one node takes",
                 (unsigned long long)p->max_request);
        return 0;
    }
    p->request_bytes += n;
    return 1;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* One argument of an inline line; advances *i. Returns 0 on unbalanced quotes. */
static int split_one(const char *s, size_t len, size_t *i, buf *arg) {
    int inq = 0, insq = 0;
    for (;;) {
        if (*i >= len) return !(inq || insq);
        char c = s[*i];
        if (inq) {
            if (c == '\\' && *i + 3 < len && s[*i + 1] == 'x' && hexval(s[*i + 2]) >= 0 &&
                hexval(s[*i + 3]) >= 0) {
                char b = (char)(hexval(s[*i + 2]) * 16 + hexval(s[*i + 3]));
                buf_append(arg, &b, 1);
                *i += 3;
            } else if (c == '\\' && *i + 1 < len) {
                char e = s[++*i];
                e = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e == 'b' ? '\b' : e == 'a' ? '\a' : e;
                buf_append(arg, &e, 1);
            } else if (c == '"') {
                /* closing quote must be followed by a space or the end */
                if (*i + 1 < len && !isspace((unsigned char)s[*i + 1])) return 0;
                (*i)++;
                return 1;
            } else {
                buf_append(arg, &c, 1);
            }
        } else if (insq) {
            if (c == '\\' && *i + 1 < len && s[*i + 1] == '\'') {
                (*i)++;
                buf_append(arg, "'", 1);
            } else if (c == '\'') {
                if (*i + 1 < len && !isspace((unsigned char)s[*i + 1])) return 0;
                (*i)++;
                return 1;
            } else {
                buf_append(arg, &c, 1);
            }
        } else {
            if (isspace((unsigned char)c) || c == '\0') return 1;
            if (c == '"') inq = 1;
            else if (c == '\'') insq = 1;
            else buf_append(arg, &c, 1);
        }
        (*i)++;
    }
}

long long resp_value_len(const char *p, size_t n) {
    size_t at = 0;
    long long left = 1;  /* values still to pass over */
    while (left > 0) {
        const char *eol = at < n ? memchr(p + at, '\r', n - at) : NULL;
        if (!eol || (size_t)(eol - p) + 1 >= n || eol[1] != '\n' || eol == p + at) return -1;
        char t = p[at];
        long long v = 0;
        if ((t == '*' || t == '$') && !str2ll(p + at + 1, (size_t)(eol - p - at - 1), &v)) return -1;
        at = (size_t)(eol - p) + 2;
        left--;
        if (t == '*' && v > 0) {
            if (v > (long long)(n - at) / 4) return -1;  /* each element takes 4 bytes at least */
            left += v;
        } else if (t == '$' && v >= 0) {
            if ((unsigned long long)v > n - at || n - at - (size_t)v < 2) return -1;
            at += (size_t)v;
            if (p[at] != '\r' || p[at + 1] != '\n') return -1;
            at += 2;
        } else if (t != '*' && t != '$' && t != '+' && t != '-' && t != ':') {
            return -1;
        }
    }
    return (long long)at;
}

int resp_split_inline(const char *s, size_t len, rstr **out) {
    int argc = 0, cap = 0;
    rstr *v = NULL;
    size_t i = 0;
    buf arg;
    buf_init(&arg);
    for (;;) {
        while (i < len && (isspace((unsigned char)s[i]) || s[i] == '\0')) i++;
        if (i >= len) break;
        arg.len = 0;
        if (!split_one(s, len, &i, &arg)) {
            for (int k = 0; k < argc; k++) free(v[k].p);
            free(v);
            buf_free(&arg);
            *out = NULL;
            return -1;
        }
        if (argc == cap) { cap = cap ? cap * 2 : 8; v = xrealloc(v, sizeof(rstr) * (size_t)cap); }
        v[argc].p = xstrndup(arg.data ? arg.data : "", arg.len);
        v[argc].len = arg.len;
        argc++;
    }
    buf_free(&arg);
    *out = v;
    return argc;
}

static int parse_inline(resp_parser *p, buf *in) {
    const char *s = in->data + in->pos;
    size_t n = buf_unread(in);
    const char *nl = memchr(s, '\n', n);
    if (!nl) {
        if (n > RESP_INLINE_MAX) return perr(p, "too big inline request");
        return RESP_NEED_MORE;
    }
    size_t linelen = (size_t)(nl - s);
    in->pos += linelen + 1;
    if (linelen && s[linelen - 1] == '\r') linelen--;
    rstr *v;
    int argc = resp_split_inline(s, linelen, &v);
    if (argc < 0) return perr(p, "unbalanced quotes in request");
    for (int i = 0; i < argc; i++) {
        if (p->argc == p->argcap) {
            p->argcap = p->argcap ? p->argcap * 2 : 8;
            p->argv = xrealloc(p->argv, sizeof(rstr) * (size_t)p->argcap);
        }
        p->argv[p->argc++] = v[i];
    }
    free(v);
    return RESP_OK;
}

/* A "\r\n"-terminated header line starting at in->pos; NULL if incomplete. */
static const char *header_line(buf *in, size_t *linelen) {
    if (!buf_unread(in)) return NULL;  /* maybe taken with a big bulk: no data at all */
    const char *s = in->data + in->pos;
    const char *cr = memchr(s, '\r', buf_unread(in));
    if (!cr || (size_t)(cr - s) + 1 >= buf_unread(in)) return NULL;
    *linelen = (size_t)(cr - s);
    return s;
}

static int parse_multibulk(resp_parser *p, buf *in) {
    size_t linelen;
    const char *s;
    long long ll;
    if (p->multibulk == 0) {
        if (!(s = header_line(in, &linelen))) {
            if (buf_unread(in) > RESP_INLINE_MAX) return perr(p, "too big mbulk count string");
            return RESP_NEED_MORE;
        }
        if (!str2ll(s + 1, linelen - 1, &ll) || ll > INT_MAX) return perr(p, "invalid multibulk length");
        if (p->unauthenticated && ll > RESP_UNAUTH_ARGS) return perr(p, "unauthenticated multibulk length");
        in->pos += linelen + 2;
        if (ll <= 0) return RESP_OK; /* empty request: ignored */
        if (!charge(p, (uint64_t)ll * RESP_ARG_OVERHEAD)) return RESP_ERR;
        p->multibulk = ll;
    }
    while (p->multibulk > 0) {
        if (p->bulklen == -1) {
            if (!(s = header_line(in, &linelen))) {
                if (buf_unread(in) > RESP_INLINE_MAX) return perr(p, "too big bulk count string");
                return RESP_NEED_MORE;
            }
            if (s[0] != '$') {
                snprintf(p->err, sizeof(p->err), "Protocol error: expected '$', got '%c'", s[0]);
                return RESP_ERR;
            }
            if (!str2ll(s + 1, linelen - 1, &ll) || ll < 0 || ll > p->max_bulk)
                return perr(p, "invalid bulk length");
            if (p->unauthenticated && ll > RESP_UNAUTH_BULK) return perr(p, "unauthenticated bulk length");
            if (!charge(p, (uint64_t)ll)) return RESP_ERR;  /* its overhead was counted with the header */
            in->pos += linelen + 2;
            p->bulklen = ll;
        }
        if (buf_unread(in) < (size_t)p->bulklen + 2) {
            /* Room for the rest of a big bulk, so it is read in large
             * pieces and never moved again; but no more than the bytes
             * already here (doubling as they come): a header alone is
             * cheap to send, and must stay cheap to receive. */
            size_t missing = (size_t)p->bulklen + 2 - buf_unread(in), grow = in->len > 65536 ? in->len : 65536;
            buf_reserve(in, missing < grow ? missing : grow);
            return RESP_NEED_MORE;
        }
        if (p->bulklen >= RESP_BIG_ARG && in->pos == 0 && in->len == (size_t)p->bulklen + 2) {
            in->data[p->bulklen] = '\0';  /* the buffer becomes the argument */
            push_owned(p, in->data, (size_t)p->bulklen);
            buf_init(in);
        } else {
            push_arg(p, in->data + in->pos, (size_t)p->bulklen);
            in->pos += (size_t)p->bulklen + 2;
        }
        p->bulklen = -1;
        p->multibulk--;
    }
    return RESP_OK;
}

size_t resp_read_bound(const resp_parser *p, const buf *in) {
    if (p->inline_req || p->multibulk <= 0 || p->bulklen < RESP_BIG_ARG) return 0;
    size_t want = (size_t)p->bulklen + 2;
    return buf_unread(in) < want ? want - buf_unread(in) : 0;
}

int resp_parse(resp_parser *p, buf *in) {
    if (buf_unread(in) == 0) return RESP_NEED_MORE;
    if (p->multibulk == 0 && p->argc == 0)
        p->inline_req = in->data[in->pos] != '*';
    return p->inline_req ? parse_inline(p, in) : parse_multibulk(p, in);
}

/* ---- replies ---- */

void reply_simple(buf *o, const char *s) {
    buf_append(o, "+", 1);
    buf_appendstr(o, s);
    buf_append(o, "\r\n", 2);
}

void reply_ok(buf *o) { buf_append(o, "+OK\r\n", 5); }

/* Newlines would break the protocol: Redis replaces them with spaces. */
void reply_error(buf *o, const char *s) {
    buf_append(o, "-", 1);
    size_t start = o->len;
    buf_appendstr(o, s);
    for (size_t i = start; i < o->len; i++)
        if (o->data[i] == '\r' || o->data[i] == '\n') o->data[i] = ' ';
    buf_append(o, "\r\n", 2);
}

/* Whole however long (an argument may be in it), with newlines at either
 * end trimmed as Redis's formatted errors are, and the rest spaces. */
void reply_errorf(buf *o, const char *fmt, ...) {
    char small[512], *tmp = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof(small)) {
        tmp = xmalloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(tmp, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    char *p = tmp, *e = tmp + n;
    while (p < e && (*p == '\r' || *p == '\n')) p++;
    while (e > p && (e[-1] == '\r' || e[-1] == '\n')) e--;
    *e = '\0';
    reply_error(o, p);
    if (tmp != small) free(tmp);
}

static void reply_prefixed(buf *o, char c, long long v) {
    char tmp[32];
    tmp[0] = c;
    int n = ll2str(tmp + 1, v);
    tmp[n + 1] = '\r';
    tmp[n + 2] = '\n';
    buf_append(o, tmp, (size_t)n + 3);
}

void reply_int(buf *o, long long v) { reply_prefixed(o, ':', v); }
void reply_array(buf *o, long long n) { reply_prefixed(o, '*', n); }
void reply_nil(buf *o) { buf_append(o, "$-1\r\n", 5); }
void reply_nilarray(buf *o) { buf_append(o, "*-1\r\n", 5); }

void reply_bulk(buf *o, const void *p, size_t n) {
    buf_reserve(o, n + 32);
    reply_prefixed(o, '$', (long long)n);
    buf_append(o, p, n);
    buf_append(o, "\r\n", 2);
}

void reply_bulkstr(buf *o, const char *s) { reply_bulk(o, s, strlen(s)); }

/* ---- numbers ---- */

int ll2str(char *out, long long v) {
    char tmp[24];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int n = 0;
    do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    int len = 0;
    if (v < 0) out[len++] = '-';
    while (n) out[len++] = tmp[--n];
    out[len] = '\0';
    return len;
}

int str2ll(const char *s, size_t len, long long *v) {
    if (len == 0 || len > 20) return 0;
    if (len == 1 && s[0] == '0') { *v = 0; return 1; }
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-') { neg = 1; i = 1; if (len == 1) return 0; }
    if (s[i] < '1' || s[i] > '9') return 0;
    unsigned long long u = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (u > (ULLONG_MAX - d) / 10) return 0;
        u = u * 10 + d;
    }
    if (neg) {
        if (u > (unsigned long long)LLONG_MAX + 1) return 0;
        *v = (long long)(0ULL - u);
    } else {
        if (u > LLONG_MAX) return 0;
        *v = (long long)u;
    }
    return 1;
}

#define LD_MAX_CHARS 5120

int str2ld(const char *s, size_t len, long double *v) {
    char tmp[LD_MAX_CHARS];
    if (len == 0 || len >= sizeof(tmp)) return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (isspace((unsigned char)tmp[0])) return 0;
    char *end;
    errno = 0;
    long double d = strtold(tmp, &end);
    if (*end != '\0' || (size_t)(end - tmp) != len || isnan(d)) return 0;
    if (errno == ERANGE && (d == HUGE_VALL || d == -HUGE_VALL || fpclassify(d) == FP_ZERO)) return 0;
    *v = d;
    return 1;
}

int ld2str(char *out, size_t cap, long double v) {
    if (isinf(v)) return snprintf(out, cap, v > 0 ? "inf" : "-inf");
    int n = snprintf(out, cap, "%.17Lf", v);
    if (n < 0 || (size_t)n + 1 > cap) return 0;
    if (strchr(out, '.')) {
        while (n > 0 && out[n - 1] == '0') n--;
        if (n > 0 && out[n - 1] == '.') n--;
        out[n] = '\0';
    }
    if (n == 2 && out[0] == '-' && out[1] == '0') { out[0] = '0'; out[1] = '\0'; n = 1; }
    return n;
}
