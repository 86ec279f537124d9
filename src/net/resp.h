/* resp: incremental RESP2 request parser (multibulk and inline) and reply
 * writers. The parser keeps its state between calls, so a request split at
 * any byte boundary parses the same as a whole one, and a large bulk is not
 * rescanned on every read. Pure: no I/O. */
#ifndef RAFTKV_RESP_H
#define RAFTKV_RESP_H
#include <stddef.h>
#include <stdint.h>
#include "buf.h"

#define RESP_INLINE_MAX (64 * 1024)
/* What one argument costs against a parser's max_request: its bytes and
 * the memory that holds it once parsed, so that a million empty arguments
 * count as well as one big one. */
#define RESP_ARG_OVERHEAD 32

/* What a client that must still authenticate may send in one multibulk
 * request, as in Redis 7.0 (CVE-2021-32675): more is a protocol error. */
#define RESP_UNAUTH_ARGS 10
#define RESP_UNAUTH_BULK 16384

typedef struct rstr { char *p; size_t len; } rstr;

/* Bulks this large are not copied: taken with the input buffer they fill
 * exactly (a client's read stops at a big bulk's end: resp_read_bound()).
 * A forwarded request that came in parts keeps all its arguments in its
 * payload (resp_args_adopt()). A 100 MB value copied twice on the event
 * loop held it for a second. */
#define RESP_BIG_ARG (64 * 1024)

typedef struct resp_parser {
    long long multibulk;   /* args still expected; 0 = between requests */
    long long bulklen;     /* -1 = expecting a '$' line */
    int inline_req;
    rstr *argv;
    int argc, argcap;
    buf backing;           /* holds the arguments that lie in it (resp_args_adopt) */
    long long max_bulk;    /* proto-max-bulk-len */
    uint64_t max_request;  /* bound on a whole request (RESP_ARG_OVERHEAD per argument) */
    uint64_t request_bytes;  /* of the request being parsed, counted so */
    int unauthenticated;   /* its client must still authenticate: Redis 7.0's limits for it,
                            * at most RESP_UNAUTH_ARGS arguments of RESP_UNAUTH_BULK bytes */
    char err[128];         /* protocol error text, without "-ERR " */
} resp_parser;

enum { RESP_NEED_MORE = 0, RESP_OK = 1, RESP_ERR = -1 };

void resp_parser_init(resp_parser *p, long long max_bulk, uint64_t max_request);
void resp_parser_free(resp_parser *p);
/* Parse at most one request from in (from in->pos). RESP_OK: p->argv/argc
 * hold it (argc may be 0 for an empty request, which callers skip), to be
 * released with resp_args_reset(). RESP_ERR: p->err says why. A request
 * over max_request is an error as soon as its headers say so, and room for
 * a bulk is reserved as its bytes arrive, never on a header's word. */
int resp_parse(resp_parser *p, buf *in);
/* Frees the request's arguments (a vector of more than RESP_FREE_NOW goes
 * whole to resp_argv_free(), and p starts a new array), and readies p for
 * the next request. */
void resp_args_reset(resp_parser *p);
/* Frees argc arguments and the array: each an allocation of its own but
 * those that lie in *backing (NULL: none; resp_args_take), which goes
 * whole. Freeing a million of them held an ASan build's loop 70 ms: a
 * vector of more than RESP_FREE_NOW is queued instead, and
 * resp_free_deferred() frees a share of the queue once per loop
 * iteration. */
#define RESP_FREE_NOW 4096
void resp_argv_free(rstr *argv, int argc, buf *backing);
/* Frees up to max queued arguments, and as many more as were parsed
 * since the last call (so the queue cannot outgrow what clients send);
 * whether any are left. */
int resp_free_deferred(int max);
/* A request that arrives already split (a forwarded one): p, idle, holds
 * copies of argv as if it had been parsed. */
void resp_args_set(resp_parser *p, int argc, const rstr *argv);
/* The same, but arguments that lie in *backing (NULL: none) are kept in
 * place, each NUL-terminated there (a forwarded WATCH of 300,000 keys
 * copied one by one held the leader's loop 150 ms);
 * if any is, backing's bytes become p's, freed with the arguments.
 * Arguments in it are apart by at least a byte, as in the entry
 * encoding. */
void resp_args_adopt(resp_parser *p, int argc, const rstr *argv, buf *backing);
/* Moves the arguments out of p (which is left empty), each in an
 * allocation of its own as the parser makes them, but those kept in its
 * backing, which moves to *backing (empty if none); *argc gets their
 * count. resp_argv_free() frees them with it. */
rstr *resp_args_take(resp_parser *p, int *argc, buf *backing);
/* The most a read into in should take: the rest of a big bulk being
 * received, so that it fills its buffer exactly and is taken without a
 * copy; 0 for no bound. */
size_t resp_read_bound(const resp_parser *p, const buf *in);

/* Splits an inline line the way redis-cli and Redis do (quotes, escapes).
 * Returns argc, or -1 on unbalanced quotes; *out is malloc'd. */
int resp_split_inline(const char *line, size_t len, rstr **out);
/* The length of the one RESP2 reply value at p (nested arrays and all),
 * or -1 when p[0..n) does not hold a whole well-formed one. */
long long resp_value_len(const char *p, size_t n);

/* Reply writers. */
void reply_simple(buf *o, const char *s);
void reply_error(buf *o, const char *s);          /* s starts with the code, e.g. "ERR ..." */
void reply_errorf(buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_int(buf *o, long long v);
void reply_bulk(buf *o, const void *p, size_t n);
void reply_bulkstr(buf *o, const char *s);
void reply_nil(buf *o);
void reply_array(buf *o, long long n);
void reply_nilarray(buf *o);
void reply_ok(buf *o);

/* Redis's string2ll: exact, no spaces, no '+', no leading zeros. */
int str2ll(const char *s, size_t len, long long *v);
/* Redis's long double parsing for INCRBYFLOAT; 1 on success. */
int str2ld(const char *s, size_t len, long double *v);
/* Human-friendly long double ("10.5", "3"), as INCRBYFLOAT prints. */
int ld2str(char *out, size_t cap, long double v);
int ll2str(char *out, long long v);

#endif
