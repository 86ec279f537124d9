/* The live ACL table, logins, permission checks, the ACL command (auth.h). */
#include "auth.h"
#include "client.h"
#include "log.h"
#include "server.h"
#include "image.h"
#include "store.h"
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

static acl_users *live;          /* the loop's table */
static uint64_t live_version;    /* the store's ACL version it shows */
static int live_loaded;
static char requirepass[1024];

/* ---- ACL LOG: the node's own, newest first, as Redis keeps it ---- */

#define LOG_MAX 128            /* Redis's acllog-max-len default */
#define LOG_GROUP_MS 60000     /* a repeat within this long counts in the same entry */

enum { LOG_COMMAND, LOG_KEY, LOG_AUTH };
static const char *const log_reasons[] = {"command", "key", "auth"};

typedef struct log_entry {
    long long count;
    int reason;
    char *object, *username, *cinfo;
    long long ms;
} log_entry;

static log_entry acl_log[LOG_MAX];
static int nlog;

static long long wall_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void log_free(log_entry *e) {
    free(e->object);
    free(e->username);
    free(e->cinfo);
}

static void log_event(client *c, int reason, const char *object, size_t olen, const char *user, size_t ulen) {
    long long now = wall_ms();
    buf info = {0};
    if (c) client_info_line(&info, c);
    if (info.len && info.data[info.len - 1] == '\n') info.len--;
    char *cinfo = xstrndup(info.len ? info.data : "", info.len);
    buf_free(&info);
    for (int i = 0; i < nlog && i < 10; i++) {
        log_entry *e = &acl_log[i];
        if (e->reason == reason && strlen(e->object) == olen && memcmp(e->object, object, olen) == 0 &&
            strlen(e->username) == ulen && memcmp(e->username, user, ulen) == 0 && now - e->ms < LOG_GROUP_MS) {
            log_entry hit = *e;
            memmove(&acl_log[1], &acl_log[0], sizeof(log_entry) * (size_t)i);
            free(hit.cinfo);
            hit.cinfo = cinfo;
            hit.ms = now;
            hit.count++;
            acl_log[0] = hit;
            return;
        }
    }
    if (nlog == LOG_MAX) log_free(&acl_log[--nlog]);
    memmove(&acl_log[1], &acl_log[0], sizeof(log_entry) * (size_t)nlog);
    acl_log[0] = (log_entry){1, reason, xstrndup(object, olen), xstrndup(user, ulen), cinfo, now};
    nlog++;
}

static void log_reset(void) {
    for (int i = 0; i < nlog; i++) log_free(&acl_log[i]);
    nlog = 0;
}

static void log_reply(buf *out, long long count) {
    if (count > nlog) count = nlog;
    if (count < 0) count = 0;
    long long now = wall_ms();
    reply_array(out, count);
    for (long long i = 0; i < count; i++) {
        const log_entry *e = &acl_log[i];
        reply_array(out, 14);
        reply_bulkstr(out, "count");
        reply_int(out, e->count);
        reply_bulkstr(out, "reason");
        reply_bulkstr(out, log_reasons[e->reason]);
        reply_bulkstr(out, "context");
        reply_bulkstr(out, "toplevel");
        reply_bulkstr(out, "object");
        reply_bulkstr(out, e->object);
        reply_bulkstr(out, "username");
        reply_bulkstr(out, e->username);
        reply_bulkstr(out, "age-seconds");
        char age[64];
        int n = snprintf(age, sizeof(age), "%.17g", (double)(now - e->ms) / 1000.0);
        reply_bulk(out, age, (size_t)n);
        reply_bulkstr(out, "client-info");
        reply_bulkstr(out, e->cinfo);
    }
}

/* ---- the live table ---- */

/* Until a rule names the default user, requirepass sets its password. */
static void seed_default(acl_users *t) {
    if (!acl_default_defined(t)) acl_set_default_password(t, requirepass);
}

/* The clients of users the log deleted go, on every node, as in Redis.
 * Runs outside any client's processing (auth_refresh's contract): freeing
 * here frees no client a caller still holds. */
static void drop_dead_users(void) {
    client *next;
    for (int pass = 0; pass < 2; pass++)
        for (client *c = pass ? client_proxy_list() : client_list(); c; c = next) {
            next = c->next;
            if (!c->user || !acl_user_dead(c->user)) continue;
            auth_init_client(c);  /* releases the dead user */
            c->authenticated = 0;
            if (c->proxy) continue;  /* its follower closes its own client */
            c->close_after_reply = 1;
            if (!c->shead) client_free(c);
        }
}

void auth_refresh(void) {
    store *f = server_store();
    if (!f || (live_loaded && store_acl_version(f) == live_version)) return;
    uint64_t v;
    char *text = store_acl_copy(f, &v);
    if (!live) live = acl_users_new();
    /* written by this code at apply: a malformed line is a bug (a user
     * whose rules do not load is kept, disabled: acl_users_sync) */
    if (acl_users_sync(live, text, text ? strlen(text) : 0) < 0)
        logmsg(LL_WARNING, "The replicated ACL users are malformed; keeping the ones in force");
    free(text);
    seed_default(live);
    live_version = v;
    live_loaded = 1;
    drop_dead_users();
}

void auth_configure(const config *c) {
    snprintf(requirepass, sizeof(requirepass), "%s", c->requirepass);
    if (!live) live = acl_users_new();
    seed_default(live);
}

void auth_shutdown(void) {
    log_reset();
    acl_users_free(live);
    live = NULL;
    live_loaded = 0;
}

acl_user *auth_default_user(void) { return acl_find(live, "default", 7); }
acl_user *auth_find_user(const char *name, size_t len) { return acl_find(live, name, len); }

static void set_user(client *c, acl_user *u) {
    acl_user_hold(u);
    acl_user_release(c->user);
    c->user = u;
}

void auth_init_client(client *c) {
    set_user(c, auth_default_user());
    c->authenticated = acl_user_nopass(c->user) && acl_user_enabled(c->user);
}

void auth_client_gone(client *c) {
    acl_user_release(c->user);
    c->user = NULL;
}

int auth_default_open(void) {
    const acl_user *d = acl_find(live, "default", 7);
    return acl_user_nopass(d) && acl_user_enabled(d);
}

int auth_required(const client *c) {
    const acl_user *d = acl_find(live, "default", 7);
    return !(acl_user_nopass(d) && acl_user_enabled(d)) && !c->authenticated;
}

int auth_login(client *c, const rstr *name, const rstr *pass) {
    acl_user *u = acl_find(live, name->p, name->len);
    /* a guess costs a digest whether or not the user exists */
    int ok = acl_password_ok(u ? u : auth_default_user(), pass->p, pass->len) && u;
    if (!ok || !acl_user_enabled(u)) {
        log_event(c, LOG_AUTH, "AUTH", 4, name->p, name->len);
        return 0;
    }
    set_user(c, u);
    c->authenticated = 1;
    return 1;
}

void auth_assume(client *c, const char *name, size_t len) {
    acl_user *u = len ? acl_find(live, name, len) : NULL;
    if (u) {
        set_user(c, u);
        c->authenticated = 1;
    } else {
        auth_init_client(c);
        if (len) c->authenticated = 0;
    }
}

static int command_id(const command *cmd, const command *sub) {
    char name[128];
    int n = sub ? snprintf(name, sizeof(name), "%s|%s", cmd->name, sub->name) : snprintf(name, sizeof(name), "%s", cmd->name);
    return acl_cmd_id(name, (size_t)n);
}

/* acl_check() for a request; keys on the heap only for many of them. */
static int check(const acl_user *u, const command *cmd, const command *sub, int argc, const rstr *argv, int *pos) {
    const command *run = sub ? sub : cmd;
    int id = command_id(cmd, sub);  /* every command served is in the table (test_acl checks); if not, denied */
    int small[16], *keys = argc <= 16 ? small : xmalloc(sizeof(int) * (size_t)argc);
    int nkeys = cmd_keys(run, argc, argv, keys, argc);
    int r = acl_check(u, id, (run->flags & CMD_NO_AUTH) != 0, argc, argv, keys, nkeys, pos);
    if (keys != small) free(keys);
    return r;
}

int auth_permitted(client *c, const command *cmd, const command *sub, int argc, const rstr *argv, buf *out) {
    if (!c->user || acl_user_unrestricted(c->user)) return 1;
    int pos = 0, r = check(c->user, cmd, sub, argc, argv, &pos);
    if (r == ACL_OK) return 1;
    const char *uname = acl_user_name(c->user);
    if (r == ACL_DENIED_KEY) {
        reply_error(out, "NOPERM this user has no permissions to access one of the keys used as arguments");
        log_event(c, LOG_KEY, argv[pos].p, argv[pos].len, uname, strlen(uname));
        return 0;
    }
    char full[128];
    int n = sub ? snprintf(full, sizeof(full), "%s|%s", cmd->name, sub->name) : snprintf(full, sizeof(full), "%s", cmd->name);
    reply_errorf(out, "NOPERM this user has no permissions to run the '%s' command", full);
    log_event(c, LOG_COMMAND, full, (size_t)n, uname, strlen(uname));
    return 0;
}

void auth_prepare_write(int *argc, rstr **argv) {
    static rstr *with;
    static int cap;
    static char rule[ACL_REQUIREPASS_LEN];
    rstr *a = *argv;
    if (*argc < 3 || a[0].len != 3 || strncasecmp(a[0].p, "acl", 3) || a[1].len != 7 || strncasecmp(a[1].p, "setuser", 7))
        return;
    if (a[2].len != 7 || memcmp(a[2].p, "default", 7) || !requirepass[0]) return;
    /* whether the default user is defined yet is decided at apply (acl.h) */
    if (*argc + 1 > cap) {
        cap = *argc + 1;
        with = xrealloc(with, sizeof(rstr) * (size_t)cap);
    }
    acl_requirepass_rule(requirepass, rule);
    memcpy(with, a, sizeof(rstr) * 3);
    with[3] = (rstr){rule, ACL_REQUIREPASS_LEN};
    memcpy(&with[4], &a[3], sizeof(rstr) * (size_t)(*argc - 3));
    *argc += 1;
    *argv = with;
}

int auth_requirepass_settable(void) { return !acl_default_defined(live); }

/* ---- AUTH ---- */

/* AUTH [username] password */
void auth_command(cmdctx *x, int argc, rstr *argv) {
    if (argc > 3) { reply_error(x->out, "ERR syntax error"); return; }
    rstr dflt = {(char *)"default", 7};
    if (argc == 2 && acl_user_nopass(auth_default_user())) {
        reply_error(x->out, "ERR AUTH <password> called without any password configured for the default user. "
                    "Are you sure your configuration is correct?");
        return;
    }
    if (auth_login(x->c, argc == 2 ? &dflt : &argv[1], &argv[argc - 1])) reply_ok(x->out);
    else reply_error(x->out, ERR_WRONGPASS);
}

/* ---- ACL SETUSER and DELUSER: log entries ---- */

/* Validating (no store): against the live table; applying: against the
 * store's, which the entry then replaces. */
void acl_setuser_command(cmdctx *x, int argc, rstr *argv) {
    buf err = {0};
    if (!x->f) {
        if (acl_rules_check(live, argv[2].p, argv[2].len, argc - 3, argv + 3, &err) < 0) reply_error(x->out, err.data);
        buf_free(&err);
        return;
    }
    const char *text = store_acl(x->f);
    buf next = {0};
    if (acl_text_setuser(text, text ? strlen(text) : 0, argv[2].p, argv[2].len, argc - 3, argv + 3, &next, &err) < 0)
        reply_error(x->out, err.data);
    else if (next.len > IMG_MAX_ACL)  /* what an image carries; the same on every node */
        reply_errorf(x->out, "ERR the ACL users would take more than %u MB", IMG_MAX_ACL >> 20);
    else {
        store_record_acl(x->f, next.data, next.len);
        reply_ok(x->out);
    }
    buf_free(&next);
    buf_free(&err);
}

void acl_deluser_command(cmdctx *x, int argc, rstr *argv) {
    for (int i = 2; i < argc; i++)
        if (argv[i].len == 7 && memcmp(argv[i].p, "default", 7) == 0) {
            reply_error(x->out, "ERR The 'default' user cannot be removed");
            return;
        }
    if (!x->f) return;
    const char *text = store_acl(x->f);
    buf next = {0};
    long long n = acl_text_deluser(text, text ? strlen(text) : 0, argc - 2, argv + 2, &next);
    if (n) store_record_acl(x->f, next.len ? next.data : "", next.len);
    buf_free(&next);
    reply_int(x->out, n);
}

/* ---- the rest of ACL: answered by the node from its live table ---- */

static int sub_is(const rstr *a, const char *s) { return strlen(s) == a->len && strncasecmp(a->p, s, a->len) == 0; }

static void acl_list(cmdctx *x, int names_only) {
    int n = acl_users_count(live);
    reply_array(x->out, n);
    buf line = {0};
    for (int i = 0; i < n; i++) {
        const acl_user *u = acl_users_at(live, i);
        if (names_only) { reply_bulkstr(x->out, acl_user_name(u)); continue; }
        line.len = 0;
        buf_printf(&line, "user %s ", acl_user_name(u));
        acl_describe(u, &line);
        reply_bulk(x->out, line.data, line.len);
    }
    buf_free(&line);
}

static void acl_cat(cmdctx *x, int argc, rstr *argv) {
    if (argc == 2) {
        int n = 0;
        while (acl_categories[n]) n++;
        reply_array(x->out, n);
        for (int i = 0; i < n; i++) reply_bulkstr(x->out, acl_categories[i]);
        return;
    }
    if (acl_reply_category(argv[2].p, argv[2].len, x->out) < 0)
        reply_errorf(x->out, "ERR Unknown category '%.128s'", argv[2].p);
}

static void acl_genpass(cmdctx *x, int argc, rstr *argv) {
    long long bits = 256;
    if (argc == 3 && !str2ll(argv[2].p, argv[2].len, &bits)) {
        reply_error(x->out, "ERR value is not an integer or out of range");
        return;
    }
    if (bits <= 0 || bits > 4096) {
        reply_error(x->out, "ERR ACL GENPASS argument must be the number of bits for the output password, a positive "
                    "number up to 4096");
        return;
    }
    unsigned char raw[512];
    char hex[1024];
    size_t chars = (size_t)(bits + 3) / 4;
    if (RAND_bytes(raw, (int)(chars + 1) / 2) != 1) { reply_error(x->out, "ERR no randomness available"); return; }
    for (size_t i = 0; i < chars; i++) hex[i] = "0123456789abcdef"[(raw[i / 2] >> ((i & 1) ? 0 : 4)) & 15];
    reply_bulk(x->out, hex, chars);
}

static void acl_log_command(cmdctx *x, int argc, rstr *argv) {
    long long count = 10;
    if (argc == 3) {
        if (sub_is(&argv[2], "reset")) { log_reset(); reply_ok(x->out); return; }
        if (!str2ll(argv[2].p, argv[2].len, &count)) {
            reply_error(x->out, "ERR value is not an integer or out of range");
            return;
        }
    }
    log_reply(x->out, count);
}

static void acl_dryrun(cmdctx *x, int argc, rstr *argv) {
    acl_user *u = acl_find(live, argv[2].p, argv[2].len);
    if (!u) { reply_errorf(x->out, "ERR User '%s' not found", argv[2].p); return; }
    command *cmd = cmd_lookup(argv[3].p, argv[3].len);
    const command *sub = NULL;
    if (cmd && cmd->subs && argc >= 5) sub = cmd_lookup_sub(cmd, argv[4].p, argv[4].len);
    if (!cmd || (cmd->subs && !sub && !cmd->proc)) { reply_errorf(x->out, "ERR Command '%s' not found", argv[3].p); return; }
    if (!cmd_arity_ok(sub ? sub : cmd, argc - 3)) { cmd_reply_arity(x->out, sub ? sub : cmd, sub ? cmd : NULL); return; }
    int pos = 0, r = check(u, cmd, sub, argc - 3, argv + 3, &pos);
    if (r == ACL_OK) { reply_ok(x->out); return; }
    buf msg = {0};
    if (r == ACL_DENIED_KEY) buf_printf(&msg, "This user has no permissions to access the '%s' key", argv[3 + pos].p);
    else if (sub) buf_printf(&msg, "This user has no permissions to run the '%s|%s' command", cmd->name, sub->name);
    else buf_printf(&msg, "This user has no permissions to run the '%s' command", cmd->name);
    reply_bulk(x->out, msg.data, msg.len);
    buf_free(&msg);
}

static void acl_help(cmdctx *x) {
    static const char *const help[] = {
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
    };
    reply_array(x->out, (long long)(sizeof(help) / sizeof(help[0])));
    for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++) reply_simple(x->out, help[i]);
}

void acl_command(cmdctx *x, int argc, rstr *argv) {
    const rstr *sub = &argv[1];
    if (sub_is(sub, "whoami")) reply_bulkstr(x->out, acl_user_name(x->c->user));
    else if (sub_is(sub, "getuser")) {
        const acl_user *u = acl_find(live, argv[2].p, argv[2].len);
        if (u) acl_reply_getuser(u, x->out);
        else reply_nil(x->out);  /* Redis 7.0 answers nil (later versions an error) */
    } else if (sub_is(sub, "list")) acl_list(x, 0);
    else if (sub_is(sub, "users")) acl_list(x, 1);
    else if (sub_is(sub, "cat") && argc <= 3) acl_cat(x, argc, argv);
    else if (sub_is(sub, "genpass") && argc <= 3) acl_genpass(x, argc, argv);
    else if (sub_is(sub, "log") && argc <= 3) acl_log_command(x, argc, argv);
    else if (sub_is(sub, "dryrun")) acl_dryrun(x, argc, argv);
    else if (sub_is(sub, "load") || sub_is(sub, "save"))
        reply_error(x->out, "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
                    "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
                    "configuration file set) in order to store users in the Redis configuration.");
    else if (sub_is(sub, "help")) acl_help(x);
    else reply_errorf(x->out, "ERR unknown subcommand or wrong number of arguments for '%.128s'. Try ACL HELP.", sub->p);
}
