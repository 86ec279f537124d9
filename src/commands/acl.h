/* acl: Redis 7.0's ACL users as data: a table of users, the rules of ACL
 * SETUSER, the description ACL LIST and ACL GETUSER give back, and whether
 * a user may run a command on given keys. Pure code: no client, no store,
 * no clock; auth.c keeps the live table and answers the ACL commands.
 *
 * Contract:
 * - Commands are Redis 7.0's whole table (acl_table.h, generated from
 *   redis-server by utils/gen-acl-table) plus RAFT.*: a rule may name any
 *   of them, whether raftkv serves it or not, so rules written for Redis
 *   load here unchanged. Categories are Redis's.
 * - acl_setuser() applies its rules all or nothing and says why not in
 *   Redis's words; the same table and rules give the same result on every
 *   node (it runs at apply: ACL changes are log entries).
 * - acl_dump() writes a table as ACL LIST lines and acl_load() reads them
 *   back to the same users: a description rebuilds the exact command
 *   bitmap, key patterns in order, passwords as SHA-256 digests.
 * - The default user is in every table. Until a rule names it, its
 *   password is the node's requirepass (auth.c) and acl_dump() leaves it
 *   out, so the replicated table never overrides a node's requirepass by
 *   accident.
 * - Users are reference counted: a client holds the user it authenticated
 *   as (acl_user_hold/release); acl_users_sync() updates users in place,
 *   so a client sees its user's new rules, and marks removed ones dead. */
#ifndef RAFTKV_ACL_H
#define RAFTKV_ACL_H
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "resp.h"

/* Key access a command needs (Redis's key-spec flags, reduced). */
enum { ACL_KEY_R = 1, ACL_KEY_W = 2 };
/* Redis's categories, in the order ACL CAT lists them. */
enum {
    ACL_CAT_KEYSPACE = 1 << 0, ACL_CAT_READ = 1 << 1, ACL_CAT_WRITE = 1 << 2, ACL_CAT_SET = 1 << 3,
    ACL_CAT_SORTEDSET = 1 << 4, ACL_CAT_LIST = 1 << 5, ACL_CAT_HASH = 1 << 6, ACL_CAT_STRING = 1 << 7,
    ACL_CAT_BITMAP = 1 << 8, ACL_CAT_HYPERLOGLOG = 1 << 9, ACL_CAT_GEO = 1 << 10, ACL_CAT_STREAM = 1 << 11,
    ACL_CAT_PUBSUB = 1 << 12, ACL_CAT_ADMIN = 1 << 13, ACL_CAT_FAST = 1 << 14, ACL_CAT_SLOW = 1 << 15,
    ACL_CAT_BLOCKING = 1 << 16, ACL_CAT_DANGEROUS = 1 << 17, ACL_CAT_CONNECTION = 1 << 18,
    ACL_CAT_TRANSACTION = 1 << 19, ACL_CAT_SCRIPTING = 1 << 20,
};
/* A check's answer (Redis's order: a larger one is the more relevant). */
enum { ACL_OK = 0, ACL_DENIED_CMD = 1, ACL_DENIED_KEY = 2 };

typedef struct acl_user acl_user;
typedef struct acl_users acl_users;

/* ---- the command table ---- */
/* The id of a command by its full name ("get", "config|get"), any case; -1 if Redis has none. */
int acl_cmd_id(const char *name, size_t len);
uint32_t acl_cmd_categories(int id);  /* ACL_CAT_* bits; 0 for -1 */
/* The categories' names, NULL-terminated, in ACL CAT's order. */
extern const char *const acl_categories[];
/* Names of the commands in the category so named (any case) into out as
 * a RESP array; -1 (nothing written) if there is no such category. */
int acl_reply_category(const char *name, size_t len, buf *out);

/* ---- tables ---- */
acl_users *acl_users_new(void);   /* the default user alone: on nopass ~* &* +@all */
void acl_users_free(acl_users *t);
/* From acl_dump() text (NULL or empty: a new table); NULL if the text is not valid. */
acl_users *acl_load(const char *text, size_t len);
/* Makes t hold the users of acl_dump() text, parsing only the lines that
 * changed: a user whose line is the same is left as it is, one that
 * changed keeps its object (clients holding it see the new rules), one no
 * line names is unlinked and marked dead (the default user goes back to
 * its first rules). -1, t unchanged, if a line does not load. */
int acl_users_sync(acl_users *t, const char *text, size_t len);
/* At apply, on the stored text itself: ACL SETUSER of one user (parsing
 * only its line) and ACL DELUSER, the new text into out. The cost is the
 * text's length plus the one user, however many users there are. */
int acl_text_setuser(const char *text, size_t len, const char *name, size_t nlen, int argc, const rstr *rules,
                     buf *out, buf *err);
int acl_text_deluser(const char *text, size_t len, int argc, const rstr *names, buf *out);
/* "user NAME DESCRIPTION\n" for every user, by name (the default user only once a rule named it). */
void acl_dump(const acl_users *t, buf *out);
int acl_users_count(const acl_users *t);
acl_user *acl_users_at(const acl_users *t, int i);  /* by name, in Redis's order */
acl_user *acl_find(const acl_users *t, const char *name, size_t len);
int acl_default_defined(const acl_users *t);

/* ---- changes ---- */
/* ACL SETUSER name rules...: 0, or -1 with Redis's error (no '-') in err
 * and t unchanged. */
int acl_setuser(acl_users *t, const char *name, size_t nlen, int argc, const rstr *rules, buf *err);
/* 1 if the user existed (and is gone). The default user is never removed. */
int acl_deluser(acl_users *t, const char *name, size_t nlen);
/* Before proposing: the rules tried on a copy of t's user. -1 with the
 * error when one fails for a reason the user cannot change (unknown
 * command, syntax, a malformed hash); 0 otherwise: a rule that fails only
 * for what the user holds (removing a password it lacks, a pattern after
 * '*') is judged at apply, against the user as the log has it then.
 * Errors (here and from acl_setuser) are whole RESP error texts without the '-'. */
int acl_rules_check(const acl_users *t, const char *name, size_t nlen, int argc, const rstr *rules, buf *err);
/* The default user's password, as requirepass sets it ("": nopass). */
void acl_set_default_password(acl_users *t, const char *pass);
/* A rule only the server writes (it starts with a NUL byte, which no rule
 * a client sends may): put first in an ACL SETUSER default entry, it
 * stands for "resetpass #<pass's digest>" if the stored users do not
 * define the default user yet when the entry applies, and for nothing
 * otherwise, so requirepass's password survives the first rule for the
 * default user, decided at apply, the same on every node. */
#define ACL_REQUIREPASS_LEN 76
void acl_requirepass_rule(const char *pass, char out[ACL_REQUIREPASS_LEN]);
/* Limits per user, checked by SETUSER (Redis has none; these keep every
 * rule's cost bounded): selectors, key and channel patterns, first
 * arguments; and rules in one ACL SETUSER. */
#define ACL_MAX_SELECTORS 256
#define ACL_MAX_PATTERNS 4096
#define ACL_MAX_RULES 16384

/* ---- users ---- */
const char *acl_user_name(const acl_user *u);
int acl_user_enabled(const acl_user *u);
int acl_user_nopass(const acl_user *u);
int acl_user_dead(const acl_user *u);
/* Whether pass is one of u's passwords (or u takes any): digests compared
 * in constant time. Does not look at on/off. */
int acl_password_ok(const acl_user *u, const char *pass, size_t len);
void acl_user_hold(acl_user *u);
void acl_user_release(acl_user *u);
/* What ACL LIST says after "user NAME ". */
void acl_describe(const acl_user *u, buf *out);
/* ACL GETUSER's reply. */
void acl_reply_getuser(const acl_user *u, buf *out);
/* Whether u may run command id with argv; keys: the positions of its key
 * arguments. no_auth: the command runs before authentication (AUTH,
 * HELLO), which no rule can deny. On denial, *pos is the argument to blame
 * (a key's index, or 0). */
int acl_check(const acl_user *u, int id, int no_auth, int argc, const rstr *argv, const int *keys, int nkeys,
              int *pos);
/* Whether every key of every command is allowed to u without checking
 * each (the default user's common case: skip key extraction). */
int acl_user_unrestricted(const acl_user *u);
#endif
