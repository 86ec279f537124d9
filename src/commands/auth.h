/* auth: who a client is and what it may run: the node's live table of ACL
 * users (acl.h), AUTH and HELLO's AUTH, the permission check of every
 * command, the ACL command and its log.
 *
 * The users are replicated state. ACL SETUSER and ACL DELUSER are writes:
 * checked against the live table before they are proposed, applied from
 * the log on every node into the store (store_record_acl), carried by
 * snapshot images. Each node's loop rebuilds its live table when the
 * store's ACL version moves (auth_refresh), so every node enforces the
 * same users after restarts and installs. A user deleted by the log loses
 * its connections on every node, as in Redis.
 *
 * requirepass stays a node option: it is the default user's password
 * until an ACL rule names the default user; from then on the replicated
 * rules decide (the first such change carries requirepass's digest, so
 * it keeps the password). ACL LOG is the node's own, as Redis's is.
 *
 * A forwarded command carries the name of the user its follower
 * authenticated (forward.c); the leader runs it as that user and checks
 * its permissions again against its own table. */
#ifndef RAFTKV_AUTH_H
#define RAFTKV_AUTH_H
#include <stddef.h>
#include "acl.h"
#include "cmd.h"
#include "config.h"

#define ERR_NOAUTH "NOAUTH Authentication required."
#define ERR_WRONGPASS "WRONGPASS invalid username-password pair or user is disabled."

/* At start-up and on CONFIG SET (requirepass). */
void auth_configure(const config *c);
/* Picks up ACL changes applied since the last call (cheap when none), and
 * closes the connections of deleted users: called where no client is
 * being processed (before the loop sleeps, and before listening). */
void auth_refresh(void);
/* CONFIG SET requirepass means something only until a rule defines the
 * default user: after that, 0 (the replicated user decides). */
int auth_requirepass_settable(void);
void auth_shutdown(void);
acl_user *auth_default_user(void);
/* A new connection is let in without AUTH here (the default user needs
 * no password): what a client this node's followers do not vouch for
 * gets on the leader (forward.h). */
int auth_default_open(void);
acl_user *auth_find_user(const char *name, size_t len);
/* A new connection: the default user, authenticated if that user needs no
 * password; auth_client_gone() when it closes. */
void auth_init_client(struct client *c);
void auth_client_gone(struct client *c);
/* Redis's rule: c may run only CMD_NO_AUTH commands while the default
 * user needs a password and c has not authenticated. */
int auth_required(const struct client *c);
/* If the name and password match an enabled user, c becomes that user,
 * authenticated, and 1; else 0, c unchanged, and an ACL LOG entry. */
int auth_login(struct client *c, const rstr *name, const rstr *pass);
/* Without a password: c becomes the user so named (one a follower
 * authenticated, forward.c), authenticated if it exists; an empty or
 * unknown name leaves c the default user, as auth_init_client() does (an
 * unknown one not authenticated). */
void auth_assume(struct client *c, const char *name, size_t len);
/* Whether c's user may run cmd (sub: the subcommand run, or NULL) with
 * argv: 1, or 0 with Redis's NOPERM error in out and an ACL LOG entry. */
int auth_permitted(struct client *c, const command *cmd, const command *sub, int argc, const rstr *argv, buf *out);
/* Before ACL SETUSER default is proposed on a node with a requirepass:
 * acl_requirepass_rule() goes first (*argv then points to storage valid
 * until the next call). */
void auth_prepare_write(int *argc, rstr **argv);
#endif
