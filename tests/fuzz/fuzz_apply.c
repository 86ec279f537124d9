/* fuzz_apply: the whole path of a write, as a node runs it: the bytes a
 * client sends are parsed (resp.c, with the server's limits), each request
 * is looked up and checked (cmd_lookup, cmd_arity_ok, cmd_validate: what
 * the receiving node does before proposing), and each accepted write is
 * encoded as a log entry (entry.c) and applied (kv_apply, the command
 * handlers) at the next index on two independent state machines, A and B,
 * each LevelDB in a directory of its own. A keeps its entries in the open
 * batch (reads go through the overlay) until store.c writes it; B writes its
 * batch after every entry (reads go to LevelDB), as a replica that syncs
 * at other points would.
 * Input: the client's bytes, no control bytes. Reads and server commands
 * run nothing (the server-level handlers below are stubs never called).
 * Each input starts with a FLUSHALL entry on both, so inputs are
 * independent; the state machines stay open across inputs, but are made
 * anew every REOPEN_EVERY inputs: LevelDB keeps every overwritten and
 * deleted version in its memtable until it fills (32 MB), and iterating
 * (FLUSHALL, the views) steps over all of them, so executions got slower
 * and slower (0.6 ms each over 1000 runs of one input, 8 ms over 16000).
 * Invariants: applying never aborts; every reply, of apply, of a rejected
 * validation, of an unknown command or a wrong arity, is exactly one
 * well-formed RESP reply; a rejected validation answers an error; a write
 * that validation accepted is taken as a write at apply; A and B answer
 * every entry byte for byte the same; at the end of the input they hold the
 * same keys with the same values, in the same order, as many as store_keys()
 * says; the encoded entry decodes back to the command (check_entry).
 * Bound: SETRANGE may make a 512 MB value from a few bytes, which is
 * allowed (CMD_MAX_STRING) and only makes executions slow and big here
 * (every later command on the key copies the value several times: a 16 MB
 * one costs about a second an execution). The offsets and lengths near the
 * limits still go through cmd_validate, but a SETRANGE that would reach
 * past max_end (64 KB), or past budget (1 MB) summed over the input, is not
 * applied; the hostile-client integration suite applies the big ones on a
 * real cluster. FUZZ_APPLY_MAX_END=<bytes> raises both, for a slower run
 * that also reaches store.c's 8 MB bound on the open batch (9000000 does).
 * The directories live in $TMPDIR (or /tmp), named after the process; a run
 * killed before it could remove its own has them removed by the next one.
 * EXEC with any arguments is applied as a transaction's entry (EXEC @tx
 * ...), so malformed ones reach its parser, and queued commands its run.
 * FUZZ_APPLY_TRACE=1 prints every applied command and its reply, to read a
 * reproducer: FUZZ_APPLY_TRACE=1 build/fuzz/fuzz_apply <input>. */
#include "fuzzlib.h"
#include "cmd.h"
#include "kv.h"
#include "store.h"
#include "log.h"
#include "tx.h"
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>

static long long max_end = 64 << 10, budget_per_input = 1 << 20;
#define REOPEN_EVERY 256

/* ---- the server-level commands (admin_server.c, admin_cluster.c, auth.c): never called for a write ---- */

#define STUB(name) \
    void name(cmdctx *x, int argc, rstr *argv) { (void)argc; (void)argv; reply_error(x->out, "ERR not in fuzz_apply"); }
STUB(client_command)
STUB(config_command)
STUB(info_command)
STUB(hello_command)
STUB(quit_command)
STUB(select_command)
STUB(command_command)
STUB(dbsize_command)
STUB(raft_snapshot_command)
STUB(raft_node_add_command)
STUB(raft_node_remove_command)
STUB(raft_transfer_leader_command)
STUB(raft_info_command)
STUB(debug_command)
STUB(shutdown_command)
STUB(auth_command)
STUB(acl_command)
STUB(reset_command)
/* ACL SETUSER / DELUSER are writes, but their apply needs auth.c's live
 * table to validate: the ACL text they apply is fuzzed by test_acl's
 * seeded rule sets instead. */
STUB(acl_setuser_command)
STUB(acl_deluser_command)

/* ---- the two state machines, each in its own directory ---- */

static char base[256];
static store *A, *B;
static int trace;  /* FUZZ_APPLY_TRACE set: prints each applied command and its reply */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

static void dirs_remove(void) {
    if (base[0]) nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    base[0] = '\0';
}

static void close_all(void) {
    store_close(A);
    store_close(B);
    A = B = NULL;
    dirs_remove();
}

/* A broken invariant removes the directories, then fails as FUZZ_CHECK does. */
#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    dirs_remove(); abort(); } } while (0)

/* Directories of fuzz_apply processes that are gone (killed: libFuzzer
 * exits without atexit then). */
static void remove_stale(const char *tmp) {
    DIR *d = opendir(tmp);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        int pid;
        if (sscanf(de->d_name, "raftkv-fuzz-apply-%d-", &pid) != 1 || pid == getpid() ||
            kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(base, sizeof(base), "%s/%s", tmp, de->d_name);
        dirs_remove();
    }
    if (d) closedir(d);
}

static store *open_one(const char *name) {
    char path[300], *err = NULL;
    snprintf(path, sizeof(path), "%s/%s", base, name);
    if (mkdir(path, 0755) < 0) { perror(path); abort(); }
    store *f = store_open(path, &err);
    if (!f) { fprintf(stderr, "store_open %s: %s\n", path, err); dirs_remove(); abort(); }
    return f;
}

/* Opens A and B in a new directory, the first time and every REOPEN_EVERY calls. */
static void init(void) {
    static unsigned calls;
    static const char *tmp;
    if (A && ++calls % REOPEN_EVERY) return;
    if (!tmp) {
        log_level = LL_WARNING;
        trace = getenv("FUZZ_APPLY_TRACE") != NULL;
        if (getenv("FUZZ_APPLY_MAX_END")) budget_per_input = max_end = atoll(getenv("FUZZ_APPLY_MAX_END"));
        tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        remove_stale(tmp);
        atexit(close_all);
        __sanitizer_set_death_callback(dirs_remove);
    }
    close_all();
    snprintf(base, sizeof(base), "%s/raftkv-fuzz-apply-%d-XXXXXX", tmp, (int)getpid());
    if (!mkdtemp(base)) { perror("mkdtemp"); abort(); }
    A = open_one("a");
    B = open_one("b");
}

/* ---- replies ---- */

/* Bytes of the one RESP2 reply at the start of s, or 0 if s does not
 * start with a whole, well-formed one. */
static size_t reply_len(const char *s, size_t n, int depth) {
    const char *cr = n ? memchr(s, '\r', n) : NULL;
    if (!cr || depth > 8 || (size_t)(cr - s) + 1 >= n || cr[1] != '\n') return 0;
    size_t line = (size_t)(cr - s), head = line + 2;
    long long v;
    switch (s[0]) {
    case '+':
        return memchr(s, '\n', line) ? 0 : head;
    case '-':  /* "-CODE message" */
        return line < 2 || s[1] == ' ' || memchr(s, '\n', line) ? 0 : head;
    case ':':
        return str2ll(s + 1, line - 1, &v) ? head : 0;
    case '$':
        if (!str2ll(s + 1, line - 1, &v) || v < -1) return 0;
        if (v == -1) return head;
        if ((uint64_t)v > n - head || n - head - (size_t)v < 2) return 0;
        return s[head + v] == '\r' && s[head + v + 1] == '\n' ? head + (size_t)v + 2 : 0;
    case '*':
        if (!str2ll(s + 1, line - 1, &v) || v < -1) return 0;
        for (long long i = 0; i < v; i++) {
            size_t k = reply_len(s + head, n - head, depth + 1);
            if (!k) return 0;
            head += k;
        }
        return head;
    default:
        return 0;
    }
}

static int one_reply(const buf *r) { return r->len && reply_len(r->data, r->len, 0) == r->len; }

/* ---- applying ---- */

static buf entry, ra, rb;

static void print_escaped(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 32 && c < 127 && c != '"' && c != '\\') fputc(c, stderr);
        else fprintf(stderr, "\\x%02x", c);
    }
}

/* Applies the command on A and B at their next index; checks the replies. */
static void apply_both(uint64_t time_ms, int argc, rstr *argv) {
    entry.len = entry.pos = 0;
    entry_encode(&entry, ENTRY_COMMAND, time_ms, argc, argv);
    buf_tight(&entry);
    CHECK(check_entry(entry.data, entry.len) == argc);
    ra.len = rb.len = 0;
    kv_apply(A, store_applied(A) + 1, 1, entry.data, entry.len, &ra);
    kv_apply(B, store_applied(B) + 1, 1, entry.data, entry.len, &rb);
    CHECK(store_write_batch(B) == 0);
    if (trace) {
        for (int i = 0; i < argc; i++) {
            fputs(i ? " \"" : "\"", stderr);
            print_escaped(argv[i].p, argv[i].len);
            fputc('"', stderr);
        }
        fputs(" -> ", stderr);
        print_escaped(ra.data, ra.len < 200 ? ra.len : 200);
        fputc('\n', stderr);
    }
    CHECK(one_reply(&ra));
    CHECK(same_bytes(ra.data, ra.len, rb.data, rb.len));
    static const char not_write[] = "-ERR not a write command";
    CHECK(ra.len < sizeof(not_write) - 1 || memcmp(ra.data, not_write, sizeof(not_write) - 1));
    CHECK(store_keys(A) == store_keys(B));
}

/* The view of A (its open batch written first) and the view of B hold the
 * same keys and values, as many as store_keys() says, at the same index. */
static void compare_state(void) {
    uint64_t ia, ta, ka, ib, tb, kb;
    CHECK(store_write_batch(A) == 0);  /* views read LevelDB only */
    store_view *va = store_view_new(A, &ia, &ta, &ka), *vb = store_view_new(B, &ib, &tb, &kb);
    CHECK(va && vb);
    CHECK(ia == ib && ka == kb && ka == store_keys(A));
    uint64_t n = 0;
    for (;;) {
        const char *k1, *v1, *k2, *v2;
        size_t kl1, vl1, kl2, vl2;
        int more1 = store_view_next(va, &k1, &kl1, &v1, &vl1), more2 = store_view_next(vb, &k2, &kl2, &v2, &vl2);
        CHECK(more1 == more2);
        if (!more1) break;
        CHECK(same_bytes(k1, kl1, k2, kl2));
        CHECK(same_bytes(v1, vl1, v2, vl2));
        n++;
    }
    CHECK(n == ka);
    store_view_free(va);
    store_view_free(vb);
}

/* One request, as the server's execute() takes it. budget: what SETRANGE
 * may still make in this input. */
static void request(uint64_t time_ms, int argc, rstr *argv, long long *budget) {
    static buf out;
    out.len = out.pos = 0;
    command *cmd = cmd_lookup(argv[0].p, argv[0].len);
    if (cmd && cmd->proc == exec_command) {  /* as a transaction's entry, whatever its arguments (tx.h) */
        apply_both(time_ms, argc, argv);
        return;
    }
    if (!cmd) {
        cmd_reply_unknown(&out, argc, argv);
        CHECK(one_reply(&out) && out.data[0] == '-');
        return;
    }
    if (!cmd_arity_ok(cmd, argc)) {
        cmd_reply_arity(&out, cmd, NULL);
        CHECK(one_reply(&out) && out.data[0] == '-');
        return;
    }
    if (!(cmd->flags & CMD_WRITE)) return;
    if (!cmd_validate(cmd, time_ms, argc, argv, &out)) {
        CHECK(one_reply(&out) && out.data[0] == '-');
        return;
    }
    CHECK(out.len == 0);
    if (!strcmp(cmd->name, "setrange") && argv[3].len) {
        long long off;
        CHECK(str2ll(argv[2].p, argv[2].len, &off) && off >= 0);  /* validated */
        long long end = off + (long long)argv[3].len;  /* no overflow: validated against CMD_MAX_STRING */
        if (end > max_end || end > *budget) return;
        *budget -= end;
    }
    apply_both(time_ms, argc, argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    init();
    /* the leader's clock, from the input: entries carry it to every replica */
    uint64_t t = 1469598103934665603ULL;
    for (size_t i = 0; i < size; i++) t = (t ^ data[i]) * 1099511628211ULL;
    /* a clock's time, mostly; sometimes one far off (the apply clamps it) */
    if (t % 8) t = 1700000000000ULL + t % 100000000000ULL;
    rstr flush = {(char *)"FLUSHALL", 8};
    apply_both(t, 1, &flush);
    CHECK(ra.len == 5 && !memcmp(ra.data, "+OK\r\n", 5) && store_keys(A) == 0);

    resp_parser p;
    resp_parser_init(&p, CMD_MAX_STRING, ENTRY_MAX_REQUEST);
    buf in;
    buf_init(&in);
    buf_append(&in, data, size);
    buf_tight(&in);
    long long budget = budget_per_input;
    while (buf_unread(&in) && resp_parse(&p, &in) == RESP_OK) {
        if (p.argc) request(++t, p.argc, p.argv, &budget);
        resp_args_reset(&p);
    }
    resp_parser_free(&p);
    buf_free(&in);
    compare_state();
    return 0;
}
