/* Unit tests of the RESP parser and number helpers: every request split at
 * every byte boundary, every malformed form, the limits. */
#include "resp.h"
#include "testlib.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Feeds s in pieces of `step` bytes; collects requests as "a|b|c;" text. */
static int parse_stepped(const char *s, size_t len, size_t step, char *out, size_t cap, char *err) {
    resp_parser p;
    resp_parser_init(&p, 512 * 1024 * 1024LL, 1ULL << 40);
    buf in;
    buf_init(&in);
    out[0] = '\0';
    err[0] = '\0';
    int rc = 0;
    for (size_t off = 0; off < len && !rc; off += step) {
        size_t n = len - off < step ? len - off : step;
        buf_append(&in, s + off, n);
        for (;;) {
            int r = resp_parse(&p, &in);
            if (r == RESP_NEED_MORE) break;
            if (r == RESP_ERR) { strcpy(err, p.err); rc = -1; break; }
            for (int i = 0; i < p.argc; i++) {
                strncat(out, p.argv[i].p, cap - strlen(out) - 1);
                strncat(out, i + 1 < p.argc ? "|" : "", cap - strlen(out) - 1);
            }
            if (p.argc) strncat(out, ";", cap - strlen(out) - 1);
            resp_args_reset(&p);
        }
        buf_compact(&in);
    }
    buf_free(&in);
    resp_parser_free(&p);
    return rc;
}

static void every_split(const char *s, const char *want) {
    char out[4096], err[256];
    size_t len = strlen(s);
    for (size_t step = 1; step <= len; step++) {
        int rc = parse_stepped(s, len, step, out, sizeof(out), err);
        CHECKMSG(rc == 0 && strcmp(out, want) == 0, "step %zu of %s: got '%s' err '%s', want '%s'", step, s, out, err, want);
    }
}

static void bad(const char *s, const char *want_err) {
    char out[4096], err[256];
    size_t len = strlen(s);
    for (size_t step = 1; step <= len; step++) {
        int rc = parse_stepped(s, len, step, out, sizeof(out), err);
        CHECKMSG(rc == -1 && strcmp(err, want_err) == 0, "step %zu of %s: got '%s', want '%s'", step, s, err, want_err);
    }
}

static void test_requests(void) {
    every_split("*1\r\n$4\r\nPING\r\n", "PING;");
    every_split("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "SET|k|hello;GET|k;");
    every_split("*2\r\n$3\r\nGET\r\n$0\r\n\r\n", "GET|;");
    every_split("PING\r\n", "PING;");
    every_split("set a \"b c\"\r\nget a\n", "set|a|b c;get|a;");
}

static void test_inline_quotes(void) {
    rstr *v;
    int n = resp_split_inline("a \"\\x41\\n\" 'q\\'s'", 17, &v);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(v[0].len == 1 && v[0].p[0] == 'a');
        CHECK(v[1].len == 2 && v[1].p[0] == 'A' && v[1].p[1] == '\n');
        CHECK(v[2].len == 3 && memcmp(v[2].p, "q's", 3) == 0);
        for (int i = 0; i < n; i++) free(v[i].p);
    }
    free(v);
    CHECK(resp_split_inline("\"abc", 4, &v) == -1);
    CHECK(resp_split_inline("\"a\"b", 4, &v) == -1);
    CHECK(resp_split_inline("   ", 3, &v) == 0);
    free(v);
}

static void test_empty_requests(void) {
    every_split("*0\r\n*-1\r\n\r\n*1\r\n$1\r\nx\r\n", "x;");
}

static void test_errors(void) {
    bad("*abc\r\n", "Protocol error: invalid multibulk length");
    bad("*1\r\nfoo\r\n", "Protocol error: expected '$', got 'f'");
    bad("*1\r\n$-1\r\n", "Protocol error: invalid bulk length");
    bad("*1\r\n$x\r\n", "Protocol error: invalid bulk length");
    bad("*1\r\n$600000000\r\n", "Protocol error: invalid bulk length");
    bad("*3000000000\r\n", "Protocol error: invalid multibulk length");
    bad("set \"a\r\n", "Protocol error: unbalanced quotes in request");
    bad("get 'a\r\n", "Protocol error: unbalanced quotes in request");
    bad("set 'it''s' x\r\n", "Protocol error: unbalanced quotes in request");
}

static void test_limits(void) {
    char out[64], err[256];
    size_t n = RESP_INLINE_MAX + 10;
    char *big = malloc(n);
    memset(big, 'a', n);
    CHECK(parse_stepped(big, n, n, out, sizeof(out), err) == -1 && !strcmp(err, "Protocol error: too big inline request"));
    big[0] = '*';
    CHECK(parse_stepped(big, n, n, out, sizeof(out), err) == -1 && !strcmp(err, "Protocol error: too big mbulk count string"));
    memcpy(big, "*1\r\n$", 5);
    CHECK(parse_stepped(big, n, n, out, sizeof(out), err) == -1 && !strcmp(err, "Protocol error: too big bulk count string"));
    free(big);
    /* A bulk just at the configured limit passes; one byte more fails. */
    resp_parser p;
    resp_parser_init(&p, 5, 1ULL << 40);
    buf in;
    buf_init(&in);
    buf_appendstr(&in, "*1\r\n$5\r\nabcde\r\n*1\r\n$6\r\nabcdef\r\n");
    CHECK(resp_parse(&p, &in) == RESP_OK && p.argc == 1 && p.argv[0].len == 5);
    resp_args_reset(&p);
    CHECK(resp_parse(&p, &in) == RESP_ERR);
    resp_parser_free(&p);
    buf_free(&in);
}

/* Parses what in holds with a fresh parser of the given bounds. */
static int parse_bounded(const char *req, size_t n, long long max_bulk, uint64_t max_request, resp_parser *p, buf *in) {
    resp_parser_init(p, max_bulk, max_request);
    buf_init(in);
    buf_append(in, req, n);
    return resp_parse(p, in);
}

/* The whole request is bounded (RESP_ARG_OVERHEAD per argument), as its
 * headers arrive; room is reserved as bytes come, not on a header's word. */
static void test_request_bound(void) {
    resp_parser p;
    buf in;
    const char *e = "Protocol error: request exceeds 1000 bytes, the largest one node takes";
    /* a count whose arguments alone would pass the bound: refused at once */
    CHECK(parse_bounded("*32\r\n", 5, 1000, 1000, &p, &in) == RESP_ERR && !strcmp(p.err, e));
    resp_parser_free(&p), buf_free(&in);
    CHECK(parse_bounded("*31\r\n", 5, 1000, 1000, &p, &in) == RESP_NEED_MORE);
    resp_parser_free(&p), buf_free(&in);
    CHECK(parse_bounded("*2147483647\r\n", 13, 1000, 1000, &p, &in) == RESP_ERR && !strcmp(p.err, e));
    resp_parser_free(&p), buf_free(&in);
    /* 2 x 32 + 3 + 933 = 1000 passes; a byte more does not */
    char req[2400];
    int n = snprintf(req, sizeof(req), "*2\r\n$3\r\nset\r\n$933\r\n%0933d\r\n", 0);
    CHECK(parse_bounded(req, (size_t)n, 1000, 1000, &p, &in) == RESP_OK && p.argc == 2 && p.argv[1].len == 933);
    resp_args_reset(&p);
    CHECK(p.request_bytes == 0);
    resp_parser_free(&p), buf_free(&in);
    n = snprintf(req, sizeof(req), "*2\r\n$3\r\nset\r\n$934\r\n%0934d\r\n", 0);
    CHECK(parse_bounded(req, (size_t)n, 1000, 1000, &p, &in) == RESP_ERR && !strcmp(p.err, e));
    resp_parser_free(&p), buf_free(&in);
    /* one request's count does not carry into the next */
    n = snprintf(req, sizeof(req), "*2\r\n$3\r\nset\r\n$900\r\n%0900d\r\n*2\r\n$3\r\nset\r\n$900\r\n%0900d\r\n", 0, 0);
    CHECK(parse_bounded(req, (size_t)n, 1000, 1000, &p, &in) == RESP_OK);
    resp_args_reset(&p);
    CHECK(resp_parse(&p, &in) == RESP_OK && p.argc == 2);
    resp_parser_free(&p), buf_free(&in);
    /* a 512 MB bulk announced in 18 bytes reserves no more than a read's worth */
    const char *big = "*1\r\n$536870912\r\n";
    CHECK(parse_bounded(big, strlen(big), 512LL << 20, 1ULL << 30, &p, &in) == RESP_NEED_MORE);
    CHECK(in.cap <= (1u << 20));
    /* and grows with what arrives: 1 MB more, the room at most doubles */
    char *chunk = calloc(1, 1u << 20);
    buf_append(&in, chunk, 1u << 20);
    CHECK(resp_parse(&p, &in) == RESP_NEED_MORE && in.cap <= (4u << 20));
    free(chunk);
    resp_parser_free(&p), buf_free(&in);
}

static void test_binary(void) {
    const char req[] = "*2\r\n$3\r\na\0b\r\n$2\r\n\r\n\r\n";
    resp_parser p;
    resp_parser_init(&p, 1000, 1ULL << 40);
    buf in;
    buf_init(&in);
    buf_append(&in, req, sizeof(req) - 1);
    CHECK(resp_parse(&p, &in) == RESP_OK);
    CHECK(p.argc == 2 && p.argv[0].len == 3 && p.argv[0].p[1] == '\0' && p.argv[1].len == 2 && p.argv[1].p[0] == '\r');
    resp_parser_free(&p);
    buf_free(&in);
}

static void test_numbers(void) {
    long long v;
    CHECK(str2ll("0", 1, &v) && v == 0);
    CHECK(str2ll("-1", 2, &v) && v == -1);
    CHECK(str2ll("9223372036854775807", 19, &v) && v == LLONG_MAX);
    CHECK(str2ll("-9223372036854775808", 20, &v) && v == LLONG_MIN);
    CHECK(!str2ll("9223372036854775808", 19, &v));
    CHECK(!str2ll("+1", 2, &v));
    CHECK(!str2ll(" 1", 2, &v));
    CHECK(!str2ll("01", 2, &v));
    CHECK(!str2ll("-0", 2, &v));
    CHECK(!str2ll("1 ", 2, &v));
    CHECK(!str2ll("", 0, &v));
    CHECK(!str2ll("-", 1, &v));
    char tmp[64];
    CHECK(ll2str(tmp, LLONG_MIN) == 20 && !strcmp(tmp, "-9223372036854775808"));
    long double d;
    CHECK(str2ld("10.5", 4, &d) && d == 10.5L);
    CHECK(!str2ld(" 1", 2, &d));
    CHECK(!str2ld("1x", 2, &d));
    CHECK(!str2ld("nan", 3, &d));
    CHECK(ld2str(tmp, sizeof(tmp), 10.6L) && !strcmp(tmp, "10.6"));
    CHECK(ld2str(tmp, sizeof(tmp), 3.0L) && !strcmp(tmp, "3"));
    CHECK(ld2str(tmp, sizeof(tmp), -0.0L) && !strcmp(tmp, "0"));
}

/* One request through a parser of a client that must still authenticate:
 * RESP_OK, or RESP_ERR with the text in err. */
static int parse_unauth(const char *s, size_t len, char *err) {
    resp_parser p;
    resp_parser_init(&p, 512 * 1024 * 1024LL, 1ULL << 40);
    p.unauthenticated = 1;
    buf in;
    buf_init(&in);
    buf_append(&in, s, len);
    int r = resp_parse(&p, &in);
    strcpy(err, r == RESP_ERR ? p.err : "");
    buf_free(&in);
    resp_parser_free(&p);
    return r;
}

/* Redis 7.0's limits on a client that has not authenticated: at most 10
 * arguments of at most 16384 bytes, checked as the headers arrive;
 * inline requests keep their own limit. */
static void test_unauthenticated(void) {
    char err[256], *big = malloc(20000);
    CHECK(parse_unauth("*10\r\n", 5, err) == RESP_NEED_MORE);
    CHECK(parse_unauth("*11\r\n", 5, err) == RESP_ERR && !strcmp(err, "Protocol error: unauthenticated multibulk length"));
    CHECK(parse_unauth("*16809985\r\n", 11, err) == RESP_ERR && !strcmp(err, "Protocol error: unauthenticated multibulk length"));
    CHECK(parse_unauth("*x\r\n", 4, err) == RESP_ERR && !strcmp(err, "Protocol error: invalid multibulk length"));
    CHECK(parse_unauth("*1\r\n$16384\r\n", 13, err) == RESP_NEED_MORE);
    CHECK(parse_unauth("*1\r\n$16385\r\n", 13, err) == RESP_ERR && !strcmp(err, "Protocol error: unauthenticated bulk length"));
    CHECK(parse_unauth("*1\r\n$600000000\r\n", 17, err) == RESP_ERR && !strcmp(err, "Protocol error: invalid bulk length"));
    int n = snprintf(big, 20000, "GET ");
    memset(big + n, 'a', 17000);
    memcpy(big + n + 17000, "\r\n", 2);
    CHECK(parse_unauth(big, (size_t)n + 17002, err) == RESP_OK);
    free(big);
}

/* The length of one reply value, nested arrays and all; -1 for a cut
 * or malformed one. */
static void test_value_len(void) {
    struct { const char *s; long long want; } cases[] = {
        {"+OK\r\n", 5}, {"-ERR x\r\n", 8}, {":12\r\n", 5}, {"$-1\r\n", 5}, {"*-1\r\n", 5}, {"*0\r\n", 4},
        {"$3\r\nabc\r\n", 9}, {"$0\r\n\r\n", 6}, {"*2\r\n$1\r\na\r\n*1\r\n:1\r\n", 19},
        {"+OK\r\n+NEXT\r\n", 5}, {"*2\r\n$1\r\n0\r\n*0\r\n", 15},
        {"+OK\r", -1}, {"$3\r\nab\r\n", -1}, {"$3\r\nabcd\r\n", -1}, {"*2\r\n:1\r\n", -1}, {"?x\r\n", -1},
        {"$x\r\n", -1}, {"*99999999999\r\n", -1}, {"", -1}, {"\r\n", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK(resp_value_len(cases[i].s, strlen(cases[i].s)) == cases[i].want);
}

/* A big bulk read as a client reads (never past resp_read_bound(), the
 * input compacted after each parse) becomes its argument without a copy:
 * the input buffer is taken, and what follows parses as usual. */
static void test_big_bulk_taken(void) {
    size_t n = 3 * RESP_BIG_ARG + 17;
    buf req;
    buf_init(&req);
    buf_printf(&req, "*5\r\n$4\r\nMSET\r\n$1\r\nk\r\n$%zu\r\n", n);
    for (size_t i = 0; i < n; i++) buf_append(&req, &(char){(char)('a' + i % 26)}, 1);
    buf_printf(&req, "\r\n$2\r\nk2\r\n$1\r\nv\r\n*1\r\n$4\r\nPING\r\n");
    resp_parser p;
    resp_parser_init(&p, 1 << 30, 1ULL << 40);
    buf in;
    buf_init(&in);
    size_t off = 0;
    int taken = 0, pings = 0;
    while (off < req.len) {
        size_t room = 4096, bound = resp_read_bound(&p, &in);
        if (bound && bound < room) room = bound;
        if (room > req.len - off) room = req.len - off;
        buf_append(&in, req.data + off, room);
        off += room;
        for (;;) {
            int r = resp_parse(&p, &in);
            if (r == RESP_NEED_MORE && !in.data && p.argc == 3) taken = 1;  /* the big bulk took the input */
            if (r != RESP_OK) {
                CHECK(r == RESP_NEED_MORE);
                break;
            }
            if (p.argc == 5) {  /* a bulk after the big one parses from an input that was taken */
                CHECK(p.argv[2].len == n && p.argv[2].p[n] == '\0' && p.argv[2].p[n - 1] == (char)('a' + (n - 1) % 26));
                CHECK(!strcmp(p.argv[3].p, "k2") && !strcmp(p.argv[4].p, "v"));
            } else {
                pings += p.argc == 1 && !strcmp(p.argv[0].p, "PING");
            }
            resp_args_reset(&p);
        }
        buf_compact(&in);
    }
    CHECK(taken && pings == 1);
    CHECK(resp_read_bound(&p, &in) == 0);
    /* all of it in one buffer: the bulk is copied, the rest stays */
    buf_free(&in);
    buf_append(&in, req.data, req.len);
    CHECK(resp_parse(&p, &in) == RESP_OK && p.argc == 5 && p.argv[2].len == n && in.data != NULL);
    resp_args_reset(&p);
    CHECK(resp_parse(&p, &in) == RESP_OK && p.argc == 1);
    resp_args_reset(&p);
    resp_parser_free(&p);
    buf_free(&in);
    buf_free(&req);
}

/* Small bulks are never bounded; a big one is, to its last byte. */
static void test_read_bound(void) {
    resp_parser p;
    resp_parser_init(&p, 1 << 30, 1ULL << 40);
    buf in;
    buf_init(&in);
    buf_printf(&in, "*2\r\n$3\r\nGET\r\n$5\r\nab");
    CHECK(resp_parse(&p, &in) == RESP_NEED_MORE && resp_read_bound(&p, &in) == 0);
    resp_args_reset(&p);
    buf_free(&in);
    buf_printf(&in, "*1\r\n$%d\r\nxyz", RESP_BIG_ARG);
    CHECK(resp_parse(&p, &in) == RESP_NEED_MORE && resp_read_bound(&p, &in) == (size_t)RESP_BIG_ARG + 2 - 3);
    resp_parser_free(&p);
    buf_free(&in);
}

/* Arguments as the entry encoding lays them out (a u32 length before
 * each), in a buffer of cap bytes. */
static void lay_out(buf *b, size_t cap, int argc, const size_t *lens) {
    buf_init(b);
    b->data = malloc(cap);
    b->cap = cap;
    for (int i = 0; i < argc; i++) {
        memset(b->data + b->len, 0xff, 4);
        b->len += 4;
        for (size_t k = 0; k < lens[i]; k++) b->data[b->len++] = (char)('A' + (i + k) % 26);
    }
}

static int args_match(const resp_parser *p, int argc, const size_t *lens) {
    if (p->argc != argc) return 0;
    for (int i = 0; i < argc; i++) {
        if (p->argv[i].len != lens[i] || p->argv[i].p[lens[i]] != '\0') return 0;
        for (size_t k = 0; k < lens[i]; k++)
            if (p->argv[i].p[k] != (char)('A' + (i + k) % 26)) return 0;
    }
    return 1;
}

static void adopt(size_t extra, int argc, const size_t *lens, int want_taken) {
    size_t total = 0;
    for (int i = 0; i < argc; i++) total += 4 + lens[i];
    buf b;
    lay_out(&b, total + extra, argc, lens);
    rstr argv[8];
    for (int i = 0, at = 4; i < argc; at += 4 + (int)lens[i], i++) argv[i] = (rstr){b.data + at, lens[i]};
    resp_parser p;
    resp_parser_init(&p, 1 << 30, 1ULL << 40);
    resp_args_adopt(&p, argc, argv, &b);
    CHECKMSG(args_match(&p, argc, lens), "adopted arguments (%d, extra %zu)", argc, extra);
    CHECKMSG((b.data == NULL) == want_taken, "backing taken: %d, want %d", b.data == NULL, want_taken);
    int n;
    buf kept;
    rstr *took = resp_args_take(&p, &n, &kept);  /* the backing moves with them */
    CHECK(n == argc && p.argc == 0 && p.backing.data == NULL && (kept.data != NULL) == want_taken);
    for (int i = 0; i < n; i++) CHECK(took[i].len == lens[i] && took[i].p[lens[i]] == '\0');
    resp_argv_free(took, n, &kept);
    CHECK(kept.data == NULL);
    resp_parser_free(&p);
    buf_free(&b);
}

static void test_args_adopt(void) {
    size_t big = RESP_BIG_ARG, small = 5;
    adopt(1, 3, (size_t[]){small, big, big + 3}, 1);   /* all in place */
    adopt(0, 3, (size_t[]){small, big, big + 3}, 1);   /* no byte after the last: it is copied */
    adopt(0, 2, (size_t[]){small, big}, 1);            /* the small one stays in place */
    adopt(0, 1, (size_t[]){big}, 0);                   /* nothing left to keep in place */
    adopt(1, 3, (size_t[]){small, 0, small}, 1);       /* small and empty ones in place too */
    adopt(1, 2, (size_t[]){big, 0}, 1);                /* the NUL lands on the next length */
}

static rstr *argv_of(int argc) {
    rstr *v = malloc(sizeof(rstr) * (size_t)argc);
    for (int i = 0; i < argc; i++) v[i] = (rstr){strdup("k"), 1};
    return v;
}

/* Small vectors go at once; big ones (a parser's too) are queued and freed
 * a share at a time, in order, the queue emptying exactly. ASan checks
 * that each argument is freed once. */
static void test_argv_free(void) {
    resp_free_deferred(0);  /* forgets what earlier tests parsed */
    CHECK(!resp_free_deferred(1 << 30));
    resp_argv_free(argv_of(RESP_FREE_NOW), RESP_FREE_NOW, NULL);
    CHECK(!resp_free_deferred(1));
    resp_argv_free(argv_of(RESP_FREE_NOW + 1), RESP_FREE_NOW + 1, NULL);
    resp_argv_free(argv_of(3 * RESP_FREE_NOW), 3 * RESP_FREE_NOW, NULL);
    int rounds = 0;
    while (resp_free_deferred(RESP_FREE_NOW)) rounds++;
    CHECKMSG(rounds == 4, "four rounds of %d for %d arguments (%d)", RESP_FREE_NOW, 4 * RESP_FREE_NOW + 1, rounds);
    resp_parser p;
    resp_parser_init(&p, 1 << 30, 1ULL << 40);
    buf in;
    buf_init(&in);
    buf_printf(&in, "*%d\r\n", RESP_FREE_NOW + 1);
    for (int i = 0; i <= RESP_FREE_NOW; i++) buf_printf(&in, "$1\r\nk\r\n");
    buf_printf(&in, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    CHECK(resp_parse(&p, &in) == RESP_OK && p.argc == RESP_FREE_NOW + 1);
    resp_args_reset(&p);
    CHECK(p.argc == 0 && p.argv == NULL);
    CHECK(resp_free_deferred(0) == 0);  /* as many freed as were parsed: all of them */
    resp_args_reset(&p);
    CHECK(resp_parse(&p, &in) == RESP_OK && p.argc == 2 && !memcmp(p.argv[0].p, "GET", 4));
    CHECK(!resp_free_deferred(1 << 30));
    resp_parser_free(&p);
    buf_free(&in);
}

int main(void) {
    test_argv_free();
    test_requests();
    test_inline_quotes();
    test_empty_requests();
    test_errors();
    test_limits();
    test_request_bound();
    test_binary();
    test_numbers();
    test_unauthenticated();
    test_value_len();
    test_big_bulk_taken();
    test_read_bound();
    test_args_adopt();
    return test_summary("resp");
}
