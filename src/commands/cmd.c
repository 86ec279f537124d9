#include "handlers.h"
#include "image.h"
#include "tx.h"
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

long long cmd_max_string = CMD_MAX_STRING; /* this node's proto-max-bulk-len: checked before proposing */

/* Every value a command makes fits a snapshot image, stored form and
 * BITFIELD's overhang included: a leader must be able to send any state. */
_Static_assert(CMD_MAX_STRING + 8 + STORE_VALUE_HEAD <= IMG_MAX_LEN, "a value too long for a snapshot image");

int arg_is(const rstr *a, const char *name) {
    return strlen(name) == a->len && strncasecmp(a->p, name, a->len) == 0;
}

int arg_ll(cmdctx *x, const rstr *a, long long *v) {
    if (str2ll(a->p, a->len, v)) return 1;
    reply_error(x->out, ERR_NOTINT);
    return 0;
}

int arg_int(cmdctx *x, const rstr *a, long long *v) {
    if (!arg_ll(x, a, v)) return 0;
    if (*v >= INT_MIN && *v <= INT_MAX) return 1;
    reply_error(x->out, "ERR value is out of range, value must between -2147483648 and 2147483647");
    return 0;
}

void cmd_lower(char *out, size_t cap, const char *s, size_t len) {
    size_t i;
    for (i = 0; i < len && i + 1 < cap; i++) out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = '\0';
}

static _Atomic uint32_t access_s[CMD_ACCESS_SLOTS];  /* 1 + seconds at the last use; 0: none seen */

static size_t access_slot(const rstr *key) { return store_key_hash(key->p, key->len) % CMD_ACCESS_SLOTS; }

/* A probe runs on the event loop: a few members' lookups at most. */
#define PROBE_MAX_ARGS 1024

int cmd_probe_worth(int argc, const rstr *argv) {
    if (argc > PROBE_MAX_ARGS) return 0;
    for (int i = 2; i < argc; i++)
        if (argv[i].len == 4 && !strncasecmp(argv[i].p, "incr", 4)) return 0;  /* ZADD ... INCR always writes */
    return 1;
}

int cmd_keys(const command *cmd, int argc, const rstr *argv, int *pos, int cap) {
    int n = 0, last = cmd->last < 0 ? argc + cmd->last : cmd->last, step = cmd->step > 0 ? cmd->step : 1;
    for (int i = cmd->first; cmd->first > 0 && i <= last && i < argc && n < cap; i += step) pos[n++] = i;
    long long k;
    if (cmd->keynum <= 0 || cmd->keynum >= argc || !str2ll(argv[cmd->keynum].p, argv[cmd->keynum].len, &k) || k <= 0)
        return n;
    if (k > argc - cmd->keynum - 1) return n;  /* more than it holds: Redis names none, and refuses it */
    for (int i = cmd->keynum + 1; i <= cmd->keynum + k && n < cap; i++) pos[n++] = i;
    return n;
}

void cmd_note_access(const command *cmd, int argc, const rstr *argv, uint64_t now_s) {
    if ((cmd->first <= 0 && cmd->keynum <= 0) || cmd->flags & CMD_NO_TOUCH) return;
    int small[16], *pos = argc <= 16 ? small : xmalloc(sizeof(int) * (size_t)argc);
    int n = cmd_keys(cmd, argc, argv, pos, argc);
    for (int i = 0; i < n; i++)
        atomic_store_explicit(&access_s[access_slot(&argv[pos[i]])], (uint32_t)now_s + 1, memory_order_relaxed);
    if (pos != small) free(pos);
}

long long cmd_idle_seconds(const rstr *key, uint64_t now_s) {
    uint32_t at = atomic_load_explicit(&access_s[access_slot(key)], memory_order_relaxed);
    return at && (uint64_t)at - 1 <= now_s ? (long long)(now_s - (at - 1)) : 0;
}

int incr_ll(cmdctx *x, long long *v, long long by) {
    if ((by < 0 && *v < 0 && by < LLONG_MIN - *v) || (by > 0 && *v > 0 && by > LLONG_MAX - *v)) {
        reply_error(x->out, "ERR increment or decrement would overflow");
        return 0;
    }
    *v += by;
    return 1;
}

int key_expired(const cmdctx *x, uint64_t expire) { return expire && x->time_ms > expire; }

int key_get(cmdctx *x, const rstr *key, sval *v) {
    if (store_get(x->f, key->p, key->len, v) && !key_expired(x, v->expire)) return 1;
    sval_free(v);
    return 0;
}

int key_head(cmdctx *x, const rstr *key, sval *v) {
    if (store_get_head(x->f, key->p, key->len, v) && !key_expired(x, v->expire)) return 1;
    sval_free(v);
    return 0;
}

/* key_get_string's answer from what key_get or key_head found. */
static int as_string(cmdctx *x, int found, sval *v) {
    if (!found) return 0;
    if (v->type == STORE_STRING) return 1;
    sval_free(v);
    reply_error(x->out, ERR_WRONGTYPE);
    return -1;
}

int key_head_string(cmdctx *x, const rstr *key, sval *v) { return as_string(x, key_head(x, key, v), v); }
int key_get_string(cmdctx *x, const rstr *key, sval *v) { return as_string(x, key_get(x, key, v), v); }

void key_set(cmdctx *x, const rstr *key, const char *p, size_t len, uint64_t expire) {
    store_put(x->f, key->p, key->len, p, len, expire);
}

const char *type_name(int type) {
    static const char *const names[] = {"string", "hash", "list", "set", "zset"};
    return type >= 0 && type <= STORE_ZSET ? names[type] : "none";
}

int key_del(cmdctx *x, const rstr *key) {
    uint64_t expire;
    return store_del(x->f, key->p, key->len, &expire) && !key_expired(x, expire);
}

/* Every dispatch and every apply looks its command up: an index by the
 * name's case-folded hash, built once (from whichever thread asks first). */
#define CMD_SLOTS 1024  /* a power of two, several times the commands */
static command *cmd_index[CMD_SLOTS];
static pthread_once_t cmd_index_once = PTHREAD_ONCE_INIT;

static size_t name_slot(const char *name, size_t len) {
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)tolower((unsigned char)name[i])) * 1099511628211ULL;
    return (size_t)(h ^ h >> 29) & (CMD_SLOTS - 1);
}

static void cmd_index_build(void) {
    int n;
    command *table = cmd_table(&n);
    if (n > CMD_SLOTS / 2) abort();  /* CMD_SLOTS too small for the table */
    for (int i = 0; i < n; i++) {
        size_t s = name_slot(table[i].name, strlen(table[i].name));
        while (cmd_index[s]) s = (s + 1) & (CMD_SLOTS - 1);
        cmd_index[s] = &table[i];
    }
}

command *cmd_lookup(const char *name, size_t len) {
    pthread_once(&cmd_index_once, cmd_index_build);
    for (size_t s = name_slot(name, len); cmd_index[s]; s = (s + 1) & (CMD_SLOTS - 1))
        if (strlen(cmd_index[s]->name) == len && strncasecmp(cmd_index[s]->name, name, len) == 0) return cmd_index[s];
    return NULL;
}

const command *cmd_lookup_sub(const command *cmd, const char *name, size_t len) {
    for (const command *s = cmd->subs; s && s->name; s++)
        if (strlen(s->name) == len && strncasecmp(s->name, name, len) == 0) return s;
    return NULL;
}

void cmd_reply_help(buf *o, const char *const *lines, int n) {
    reply_array(o, n);
    for (int i = 0; i < n; i++) reply_simple(o, lines[i]);
}

int cmd_arity_ok(const command *cmd, int argc) {
    return cmd->arity >= 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

void cmd_reply_arity(buf *out, const command *cmd, const command *parent) {
    if (parent) reply_errorf(out, "ERR wrong number of arguments for '%s|%s' command", parent->name, cmd->name);
    else reply_errorf(out, "ERR wrong number of arguments for '%s' command", cmd->name);
}

/* Redis quotes the name (up to 128 bytes) and the first arguments, up to
 * 128 bytes of them, and stops at a NUL as C strings do. */
void cmd_reply_unknown(buf *out, int argc, rstr *argv) {
    buf b;
    buf_init(&b);
    buf_printf(&b, "ERR unknown command '%.128s', with args beginning with: ", argv[0].p);
    size_t args = 0;
    for (int i = 1; i < argc && args < 128; i++) {
        size_t before = b.len;
        buf_printf(&b, "'%.*s' ", (int)(128 - args), argv[i].p);
        args += b.len - before;
    }
    buf_append(&b, "", 1);
    reply_error(out, b.data);
    buf_free(&b);
}

void cmd_reply_unknown_sub(buf *out, const command *parent, const rstr *sub) {
    char up[32];
    size_t i;
    for (i = 0; parent->name[i] && i + 1 < sizeof(up); i++) up[i] = (char)toupper((unsigned char)parent->name[i]);
    up[i] = '\0';
    reply_errorf(out, "ERR unknown subcommand '%.128s'. Try %s HELP.", sub->p, up);
}

static uint64_t bounded(uint64_t time_ms) { return time_ms < CMD_TIME_MAX ? time_ms : CMD_TIME_MAX; }

int cmd_ok_when_committed(const command *cmd, int argc) {
    return (cmd->proc == set_command && argc == 3) || cmd->proc == mset_command;
}

int cmd_validate(const command *cmd, uint64_t time_ms, int argc, rstr *argv, buf *out) {
    if (!(cmd->flags & CMD_WRITE)) return 1;
    size_t before = out->len;
    cmdctx x = {NULL, out, NULL, bounded(time_ms), 0, 0, 0, 0, 0, 0};
    cmd->proc(&x, argc, argv);
    return out->len == before;
}

_Atomic long long cmd_expired_keys;

void cmd_expire(store *f, uint64_t time_ms, int argc, rstr *argv) {
    cmdctx x = {f, NULL, NULL, bounded(time_ms), 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < argc; i++) {
        sval v;
        int expired = store_get_head(f, argv[i].p, argv[i].len, &v) && key_expired(&x, v.expire);
        sval_free(&v);
        if (expired && store_del(f, argv[i].p, argv[i].len, NULL)) cmd_expired_keys++;
    }
}

void cmd_apply(store *f, uint64_t time_ms, int argc, rstr *argv, buf *reply) {
    buf scratch;  /* nobody waits for the reply, but the handler writes one */
    buf_init(&scratch);
    cmdctx x = {f, reply ? reply : &scratch, NULL, bounded(time_ms), 0, 0, 0, 1, 0, 0};
    const command *cmd = cmd_lookup(argv[0].p, argv[0].len);
    if (cmd && cmd->subs && argc >= 2) cmd = cmd_lookup_sub(cmd, argv[1].p, argv[1].len);  /* ACL SETUSER */
    if (cmd && ((cmd->flags & CMD_WRITE) && cmd_arity_ok(cmd, argc))) cmd->proc(&x, argc, argv);
    else if (cmd && cmd->proc == exec_command) exec_command(&x, argc, argv);  /* a transaction (tx.h) */
    else reply_error(x.out, "ERR not a write command");
    buf_free(&scratch);
}
