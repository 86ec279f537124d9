/* handlers: inside src/commands only. The handlers of the data commands,
 * one family per file, which table.c names; and what every family shares.
 * A new family (expiry, hashes, lists, ...) is one file defining its
 * handlers, a line of declarations here, and its rows in table.c.
 *
 * A write's handler runs twice: first with x->f NULL, before the write is
 * proposed (cmd_validate), where it checks its arguments and returns
 * before reading data, leaving out empty when they are fine; then inside
 * kv_apply, on every replica, with the store. So every check that does not
 * depend on the data comes before the first store_* call, and a handler
 * answers exactly one reply. */
#ifndef RAFTKV_HANDLERS_H
#define RAFTKV_HANDLERS_H
#include "cmd.h"

/* Errors more than one family answers, worded as Redis does. */
#define ERR_NOTINT "ERR value is not an integer or out of range"
#define ERR_SYNTAX "ERR syntax error"
#define ERR_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

/* Whether the argument is the option name (ASCII, any case). */
int arg_is(const rstr *a, const char *name);
/* The argument as a 64-bit integer (Redis's string2ll); 0, with ERR_NOTINT
 * answered, when it is not one. */
int arg_ll(cmdctx *x, const rstr *a, long long *v);
/* The same for a 32-bit int, as Redis's getIntFromObjectOrReply answers. */
int arg_int(cmdctx *x, const rstr *a, long long *v);

/* *v += by, or 0 with Redis's overflow error answered (the INCR family, HINCRBY). */
int incr_ll(cmdctx *x, long long *v, long long by);

/* The keyspace as a command sees it at its time (x->time_ms: the entry's
 * at apply, the read's when served): a key whose expiry that time has
 * passed is gone for every command (Redis: expired once now > when),
 * though its record stays until a write removes it. */
int key_expired(const cmdctx *x, uint64_t expire);
/* 1 and v filled (sval_free() it) when key is live, else 0. */
int key_get(cmdctx *x, const rstr *key, sval *v);
/* The same for what needs its type, expiry or length only: a string the
 * store keeps out of line comes without its bytes (store_get_head). */
int key_head(cmdctx *x, const rstr *key, sval *v);
/* key_head for a command on strings only (as key_get_string): a string
 * with p NULL is kept out of line, read and written by parts
 * (store_read_part, store_write_part). */
int key_head_string(cmdctx *x, const rstr *key, sval *v);
/* As key_get, for a command that works on strings only: 1 with a string,
 * 0 without the key, -1 (WRONGTYPE answered) when it holds another type. */
int key_get_string(cmdctx *x, const rstr *key, sval *v);
/* Writes key's value, with its expiry (0: none). */
void key_set(cmdctx *x, const rstr *key, const char *p, size_t len, uint64_t expire);
/* Redis's name of a type (TYPE, SCAN TYPE). */
const char *type_name(int type);
/* Removes key; 1 if it was live (an expired one goes too, counting 0). */
int key_del(cmdctx *x, const rstr *key);

/* Bound on the string a command may make: this node's proto-max-bulk-len
 * before proposing, the cluster-wide CMD_MAX_STRING at apply (every
 * replica and replay must agree, whatever each node was configured with)
 * and in reads (strings.c). */
long long max_string(const cmdctx *x);

/* strings.c */
cmd_proc get_command, mget_command, strlen_command, getrange_command, set_command, setnx_command, getset_command,
    getdel_command, mset_command, msetnx_command, incr_command, decr_command, incrby_command, decrby_command,
    incrbyfloat_command, append_command, setrange_command, setex_command, psetex_command, getex_command,
    lcs_command;
/* expire.c */
cmd_proc expire_command, pexpire_command, expireat_command, pexpireat_command, persist_command, ttl_command,
    pttl_command, expiretime_command, pexpiretime_command;
/* keyspace.c */
cmd_proc exists_command, type_command, del_command, flushdb_command, keys_command, scan_command, randomkey_command,
    touch_command, object_command, rename_command, renamenx_command, copy_command;
/* bitmaps.c */
cmd_proc setbit_command, getbit_command, bitcount_command, bitpos_command, bitop_command, bitfield_command,
    bitfield_ro_command;
/* hashes.c */
cmd_proc hset_command, hsetnx_command, hmset_command, hget_command, hmget_command, hgetall_command, hkeys_command,
    hvals_command, hlen_command, hexists_command, hdel_command, hincrby_command, hincrbyfloat_command,
    hstrlen_command, hrandfield_command, hscan_command;
/* sets.c */
cmd_proc sadd_command, srem_command, smembers_command, sismember_command, smismember_command, scard_command,
    spop_command, srandmember_command, smove_command, sinter_command, sunion_command, sdiff_command,
    sinterstore_command, sunionstore_command, sdiffstore_command, sintercard_command, sscan_command;
/* lists.c */
cmd_proc lpush_command, rpush_command, lpushx_command, rpushx_command, lpop_command, rpop_command, llen_command,
    lindex_command, lrange_command, lset_command, ltrim_command, lrem_command, linsert_command, lpos_command,
    lmove_command, rpoplpush_command, lmpop_command, blpop_command, brpop_command, blmpop_command,
    brpoplpush_command, blmove_command;
const char *list_encoding(const sval *v);
/* LMPOP's and ZMPOP's arguments from argv[at] (numkeys): the keys, then
 * the word w0 or w1 (*where 0 or 1), then [COUNT count]; 0 with Redis's
 * error answered. */
int mpop_args(cmdctx *x, int argc, rstr *argv, int at, const char *w0, const char *w1, long long *numkeys, int *where,
              long long *count);
/* A blocking command's timeout as Redis 7.0.15 reads it (ms, 0: none); 0 with the error answered. */
int timeout_arg(cmdctx *x, const rstr *a, long long *ms);
/* What a blocking command that finds nothing answers: nil inside a
 * transaction; else nothing, which blocks its client (blocking.h). */
void nothing_yet(cmdctx *x, const char *nil);
/* zsets.c */
cmd_proc zadd_command, zincrby_command, zrem_command, zcard_command, zscore_command, zmscore_command, zrank_command,
    zrevrank_command, zrange_command, zrevrange_command, zrangebyscore_command, zrevrangebyscore_command,
    zrangebylex_command, zrevrangebylex_command, zrangestore_command, zcount_command, zlexcount_command,
    zremrangebyrank_command, zremrangebyscore_command, zremrangebylex_command, zpopmin_command, zpopmax_command,
    zrandmember_command, zscan_command, zmpop_command, bzpopmin_command, bzpopmax_command, bzmpop_command,
    zunion_command, zinter_command, zdiff_command, zunionstore_command, zinterstore_command, zdiffstore_command,
    zintercard_command;
const char *zset_encoding(const sval *v);
/* OBJECT ENCODING's answer for a hash, a set: Redis's, by its metadata. */
const char *hash_encoding(const sval *v);
const char *set_encoding(const sval *v);
/* A SCAN-family cursor as Redis reads it (keyspace.c); 0 with the error answered. */
int scan_cursor_arg(cmdctx *x, const rstr *arg, uint64_t *cursor);
/* A SCAN-family reply: the next cursor, then the n items in body. */
void reply_scan(buf *out, uint64_t next, const buf *body, long long n);
/* connection.c */
cmd_proc ping_command, echo_command, time_command;
#endif
