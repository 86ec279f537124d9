/* auth: who a client is, and the commands that say so (AUTH, ACL WHOAMI;
 * HELLO's AUTH option in admin_server.c).
 *
 * A client holds a user and whether it has authenticated, as Redis 7's
 * clients do. Today there is one user, "default", whose password is the
 * requirepass option; without one ("") it takes any password and every
 * new connection starts authenticated. Whether a command may run is asked
 * of auth_required() (dispatch.c): a client that must still authenticate
 * may run only the CMD_NO_AUTH commands (AUTH, HELLO, QUIT).
 *
 * ACL users slot in here: more rows in the user table, each with its
 * password digests and flags (and later its permissions, checked where
 * auth_required() is); the client already carries its user, and a
 * forwarded command carries its user's name to the leader (forward.c).
 *
 * Passwords are kept only as SHA-256 digests (OpenSSL's libcrypto, which
 * the peer handshake uses too), and a guess is compared digest to digest
 * with CRYPTO_memcmp, so a check takes the same time however close it is. */
#ifndef RAFTKV_AUTH_H
#define RAFTKV_AUTH_H
#include <stddef.h>
#include "cmd.h"
#include "config.h"

#define AUTH_DIGEST_LEN 32            /* SHA-256 */

typedef struct user {
    const char *name;
    int nopass;                            /* any password will do */
    unsigned char pass[AUTH_DIGEST_LEN];   /* its password's SHA-256, unless nopass */
} user;

#define ERR_NOAUTH "NOAUTH Authentication required."
#define ERR_WRONGPASS "WRONGPASS invalid username-password pair or user is disabled."

/* The users, from the configuration (requirepass): at start-up and on
 * CONFIG SET. A changed password counts for the next AUTH; clients
 * already authenticated stay so, as in Redis. */
void auth_configure(const config *c);
const user *auth_default_user(void);
/* The user so named, or NULL. */
const user *auth_find_user(const char *name, size_t len);
/* A new connection: the default user, authenticated if that user needs no
 * password (as Redis decides when a client connects). */
void auth_init_client(struct client *c);
/* Redis's rule: c may run only CMD_NO_AUTH commands while the default
 * user needs a password and c has not authenticated. */
int auth_required(const struct client *c);
/* If the name and password match a user, c becomes that user,
 * authenticated, and 1; else 0 and c is unchanged. */
int auth_login(struct client *c, const rstr *name, const rstr *pass);
/* Without a password: c becomes the user so named (one a follower
 * authenticated, forward.c), authenticated if it exists; an empty or
 * unknown name leaves c the default user, as auth_init_client() does (an
 * unknown one not authenticated). */
void auth_assume(struct client *c, const char *name, size_t len);
#endif
