/* The expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX, XX,
 * GT, LT), PERSIST, and the reads TTL, PTTL, EXPIRETIME, PEXPIRETIME.
 * Times are ms of cluster time (the command's: handlers.h), so every
 * replica, and every replay of the log, sets and sees the same expiry. */
#include "handlers.h"
#include <string.h>
#include <limits.h>
#include <stdlib.h>

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

/* Redis's parseExtendedExpireArgumentsOrReply. */
static int expire_flags(cmdctx *x, int argc, rstr *argv, int *flags) {
    *flags = 0;
    for (int i = 3; i < argc; i++) {
        if (arg_is(&argv[i], "nx")) *flags |= EXP_NX;
        else if (arg_is(&argv[i], "xx")) *flags |= EXP_XX;
        else if (arg_is(&argv[i], "gt")) *flags |= EXP_GT;
        else if (arg_is(&argv[i], "lt")) *flags |= EXP_LT;
        else {
            /* at apply arguments are not NUL-terminated: print up to the
             * first NUL, as Redis prints its C string */
            reply_errorf(x->out, "ERR Unsupported option %.*s", (int)strnlen(argv[i].p, argv[i].len), argv[i].p);
            return 0;
        }
    }
    if ((*flags & EXP_NX) && (*flags & (EXP_XX | EXP_GT | EXP_LT))) {
        reply_error(x->out, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return 0;
    }
    if ((*flags & EXP_GT) && (*flags & EXP_LT)) {
        reply_error(x->out, "ERR GT and LT options at the same time are not compatible");
        return 0;
    }
    return 1;
}

/* Whether the options let the expiry go from cur (0: none) to when. */
static int expire_allowed(int flags, uint64_t cur, long long when) {
    if ((flags & EXP_NX) && cur) return 0;
    if ((flags & EXP_XX) && !cur) return 0;
    if ((flags & EXP_GT) && (!cur || when <= (long long)cur)) return 0;  /* none counts as forever */
    if ((flags & EXP_LT) && cur && when >= (long long)cur) return 0;
    return 1;
}

/* EXPIRE key seconds [NX|XX|GT|LT] and its three siblings: the time in
 * ms (a negative one allowed), relative ones from the command's time. A
 * time already past deletes the key, as on a Redis master. */
static void expire_generic(cmdctx *x, int argc, rstr *argv, int secs, int rel, const char *cmd) {
    int flags;
    long long when;
    if (!expire_flags(x, argc, argv, &flags) || !arg_ll(x, &argv[2], &when)) return;
    long long base = rel ? (long long)x->time_ms : 0;
    if ((secs && (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)) ||
        (secs ? when * 1000 : when) > LLONG_MAX - base) {
        reply_errorf(x->out, "ERR invalid expire time in '%s' command", cmd);
        return;
    }
    if (!x->f) return;  /* the time is the entry's: checked again at apply */
    when = (secs ? when * 1000 : when) + base;
    sval v;
    if (!key_head(x, &argv[1], &v) || !expire_allowed(flags, v.expire, when)) {
        reply_int(x->out, 0);
        sval_free(&v);
        return;
    }
    if (when <= (long long)x->time_ms) store_del(x->f, argv[1].p, argv[1].len, NULL);
    else store_expire(x->f, argv[1].p, argv[1].len, (uint64_t)when);
    sval_free(&v);
    reply_int(x->out, 1);
}

void expire_command(cmdctx *x, int argc, rstr *argv) { expire_generic(x, argc, argv, 1, 1, "expire"); }
void pexpire_command(cmdctx *x, int argc, rstr *argv) { expire_generic(x, argc, argv, 0, 1, "pexpire"); }
void expireat_command(cmdctx *x, int argc, rstr *argv) { expire_generic(x, argc, argv, 1, 0, "expireat"); }
void pexpireat_command(cmdctx *x, int argc, rstr *argv) { expire_generic(x, argc, argv, 0, 0, "pexpireat"); }

/* PERSIST key */
void persist_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (!x->f) return;
    sval v;
    int had = key_head(x, &argv[1], &v) && v.expire;
    if (had) store_expire(x->f, argv[1].p, argv[1].len, 0);
    sval_free(&v);
    reply_int(x->out, had);
}

/* TTL and its siblings: -2 without the key, -1 without an expiry, else
 * the time left (or the expiry itself), rounded to seconds as Redis does. */
static void ttl_generic(cmdctx *x, rstr *argv, int ms, int absolute) {
    sval v;
    long long t = -2;
    if (key_head(x, &argv[1], &v)) {
        t = -1;
        if (v.expire) {
            t = absolute ? (long long)v.expire : (long long)v.expire - (long long)x->time_ms;
            if (t < 0) t = 0;
            if (!ms) t = t / 1000 + (t % 1000 >= 500);  /* Redis's (t + 500) / 1000, without its overflow */
        }
    }
    sval_free(&v);
    reply_int(x->out, t);
}

void ttl_command(cmdctx *x, int argc, rstr *argv) { (void)argc; ttl_generic(x, argv, 0, 0); }
void pttl_command(cmdctx *x, int argc, rstr *argv) { (void)argc; ttl_generic(x, argv, 1, 0); }
void expiretime_command(cmdctx *x, int argc, rstr *argv) { (void)argc; ttl_generic(x, argv, 0, 1); }
void pexpiretime_command(cmdctx *x, int argc, rstr *argv) { (void)argc; ttl_generic(x, argv, 1, 1); }
