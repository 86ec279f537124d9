/* AUTH, ACL WHOAMI and the user table (auth.h). */
#include "auth.h"
#include "client.h"
#include "log.h"
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The user table: "default" alone until ACL users come. */
static user users[] = {{"default", 1, {0}}};
#define NUSERS (sizeof(users) / sizeof(users[0]))

/* SHA-256 of a password. It fails only without memory: then the process
 * stops, as on any allocation failure (buf.h), rather than compare
 * digests that were never made. */
static void digest(const void *p, size_t n, unsigned char out[AUTH_DIGEST_LEN]) {
    unsigned int len;
    if (!EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) || len != AUTH_DIGEST_LEN) {
        logmsg(LL_WARNING, "SHA-256 failed: out of memory?");
        abort();
    }
}

void auth_configure(const config *c) {
    user *d = &users[0];
    d->nopass = c->requirepass[0] == '\0';
    if (d->nopass) memset(d->pass, 0, sizeof(d->pass));
    else digest(c->requirepass, strlen(c->requirepass), d->pass);
}

const user *auth_default_user(void) { return &users[0]; }

const user *auth_find_user(const char *name, size_t len) {
    for (size_t i = 0; i < NUSERS; i++)
        if (strlen(users[i].name) == len && memcmp(users[i].name, name, len) == 0) return &users[i];
    return NULL;
}

void auth_init_client(client *c) {
    c->user = auth_default_user();
    c->authenticated = c->user->nopass;
}

int auth_required(const client *c) { return !auth_default_user()->nopass && !c->authenticated; }

/* Redis's check: a user with nopass takes any password; otherwise the
 * guess's digest must be the password's. Both digests are computed and
 * compared in full whatever the guess. */
static int password_ok(const user *u, const rstr *pass) {
    unsigned char guess[AUTH_DIGEST_LEN];
    digest(pass->p, pass->len, guess);
    int same = CRYPTO_memcmp(guess, u->pass, AUTH_DIGEST_LEN) == 0;
    return u->nopass || same;
}

int auth_login(client *c, const rstr *name, const rstr *pass) {
    const user *u = auth_find_user(name->p, name->len);
    if (!u || !password_ok(u, pass)) return 0;
    c->user = u;
    c->authenticated = 1;
    return 1;
}

void auth_assume(client *c, const char *name, size_t len) {
    const user *u = len ? auth_find_user(name, len) : NULL;
    if (u) {
        c->user = u;
        c->authenticated = 1;
    } else {
        auth_init_client(c);
        if (len) c->authenticated = 0;
    }
}

/* AUTH [username] password */
void auth_command(cmdctx *x, int argc, rstr *argv) {
    if (argc > 3) { reply_error(x->out, "ERR syntax error"); return; }
    rstr dflt = {(char *)"default", 7};
    if (argc == 2 && auth_default_user()->nopass) {
        reply_error(x->out, "ERR AUTH <password> called without any password configured for the default user. "
                    "Are you sure your configuration is correct?");
        return;
    }
    if (auth_login(x->c, argc == 2 ? &dflt : &argv[1], &argv[argc - 1])) reply_ok(x->out);
    else reply_error(x->out, ERR_WRONGPASS);
}

/* ACL WHOAMI | HELP: the rest of ACL comes with ACL users (auth.h). */
void acl_command(cmdctx *x, int argc, rstr *argv) {
    (void)argc;
    if (strcasecmp(argv[1].p, "whoami") == 0) {
        reply_bulkstr(x->out, x->c->user->name);
        return;
    }
    static const char *const help[] = {
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "WHOAMI", "    Return the current connection username.",
        "HELP", "    Print this help.",
    };
    reply_array(x->out, (long long)(sizeof(help) / sizeof(help[0])));
    for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++) reply_simple(x->out, help[i]);
}
