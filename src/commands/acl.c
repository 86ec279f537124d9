/* ACL users, rules, descriptions and checks (acl.h). */
#include "acl.h"
#include "glob.h"
#include "log.h"
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the command table ---- */

typedef struct acl_cmd {
    const char *name;
    uint32_t cats;
    int keys;
    int parent;        /* id of the container, or -1 */
    int *subs, nsubs;  /* a container's subcommands */
} acl_cmd;

#define ACL_ROW(n, c, k) {n, c, k, -1, NULL, 0},
static acl_cmd cmds[] = {
#include "acl_table.h"
};
#undef ACL_ROW
#define NCMDS ((int)(sizeof(cmds) / sizeof(cmds[0])))
/* One more bit than there are commands: set by +@all alone, it says the
 * user may run commands the table does not have yet, as Redis's reserved
 * bit does (ACL LIST starts such a user with +@all). */
#define FUTURE NCMDS
#define WORDS ((NCMDS + 1 + 63) / 64)

const char *const acl_categories[] = {"keyspace", "read", "write", "set", "sortedset", "list", "hash",
                                      "string", "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin",
                                      "fast", "slow", "blocking", "dangerous", "connection", "transaction",
                                      "scripting", NULL};

static int by_name(const void *a, const void *b) { return strcmp(*(const char *const *)a, ((const acl_cmd *)b)->name); }

static int find_exact(const char *lower) {
    const acl_cmd *c = bsearch(&lower, cmds, NCMDS, sizeof(cmds[0]), by_name);
    return c ? (int)(c - cmds) : -1;
}

static pthread_once_t table_once = PTHREAD_ONCE_INIT;

/* Links every subcommand to its container: once, whichever thread comes first. */
static void table_init(void) {
    for (int i = 0; i < NCMDS; i++) {
        const char *bar = strchr(cmds[i].name, '|');
        if (!bar) continue;
        char parent[64];
        size_t n = (size_t)(bar - cmds[i].name);
        if (n >= sizeof(parent)) continue;
        memcpy(parent, cmds[i].name, n);
        parent[n] = '\0';
        int p = find_exact(parent);
        if (p < 0) continue;
        cmds[i].parent = p;
        cmds[p].subs = xrealloc(cmds[p].subs, sizeof(int) * (size_t)(cmds[p].nsubs + 1));
        cmds[p].subs[cmds[p].nsubs++] = i;
    }
}

static void table_ready(void) { pthread_once(&table_once, table_init); }

int acl_cmd_id(const char *name, size_t len) {
    char lower[128];
    if (len == 0 || len >= sizeof(lower)) return -1;
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '\0') return -1;
        lower[i] = (char)tolower((unsigned char)name[i]);
    }
    lower[len] = '\0';
    table_ready();
    return find_exact(lower);
}

uint32_t acl_cmd_categories(int id) { return id >= 0 && id < NCMDS ? cmds[id].cats : 0; }

static uint32_t category_flag(const char *name, size_t len) {
    for (int i = 0; acl_categories[i]; i++)
        if (strlen(acl_categories[i]) == len && strncasecmp(acl_categories[i], name, len) == 0) return 1u << i;
    return 0;
}

int acl_reply_category(const char *name, size_t len, buf *out) {
    uint32_t flag = category_flag(name, len);
    if (!flag) return -1;
    long long n = 0;
    for (int i = 0; i < NCMDS; i++) n += (cmds[i].cats & flag) != 0;
    reply_array(out, n);
    for (int i = 0; i < NCMDS; i++)
        if (cmds[i].cats & flag) reply_bulk(out, cmds[i].name, strlen(cmds[i].name));
    return 0;
}

/* ---- users ---- */

enum { SEL_ALLKEYS = 1, SEL_ALLCHANNELS = 2, SEL_ALLCOMMANDS = 4 };
enum { U_ON = 1, U_OFF = 2, U_NOPASS = 4, U_SKIP_SANITIZE = 8, U_SANITIZE = 16 };
/* Redis's flag order, as ACL LIST and GETUSER show them. */
static const struct { int flag; const char *name; } user_flags[] = {
    {U_ON, "on"}, {U_OFF, "off"}, {U_NOPASS, "nopass"}, {U_SKIP_SANITIZE, "skip-sanitize-payload"},
    {U_SANITIZE, "sanitize-payload"}};

typedef struct pattern {
    char *p;
    size_t len;
    int flags;   /* ACL_KEY_R | ACL_KEY_W (keys only) */
} pattern;

typedef struct firstarg {
    int id;
    char *arg;
} firstarg;

typedef struct selector {
    int flags;
    uint64_t bits[WORDS];
    pattern *keys;
    int nkeys;
    pattern *chans;
    int nchans;
    firstarg *fa;   /* +cmd|arg for commands without subcommands */
    int nfa;
} selector;

#define HASH_HEX 64

struct acl_user {
    char *name;
    size_t nlen;
    int flags;
    char (*pass)[HASH_HEX + 1];
    int npass;
    selector *sel;   /* sel[0]: the root selector */
    int nsel;
    int refs;        /* the table's, and each client's */
    int dead;
    char *line;      /* its acl_dump() line as loaded, while unchanged: a dump re-describes only changed users */
    size_t linelen;
    int seen;        /* acl_users_sync: named by the text */
    uint64_t epoch;  /* which creation of this name it is: a user deleted and made again is another user */
};

struct acl_users {
    acl_user **u;    /* by name, memcmp order then length, as Redis's rax */
    int n;
    int default_defined;
    uint64_t next_epoch;  /* the epoch the next user made gets (0: none made yet) */
};

static void *xcalloc_(size_t n, size_t s) {
    size_t bytes = n * s;
    void *p = xmalloc(bytes > 0 ? bytes : 1);
    memset(p, 0, bytes);
    return p;
}
#define xrealloc_ xrealloc
#define dup_bytes xstrndup

static void patterns_free(pattern *p, int n) {
    for (int i = 0; i < n; i++) free(p[i].p);
    free(p);
}

static void firstargs_clear(selector *s) {
    for (int i = 0; i < s->nfa; i++) free(s->fa[i].arg);
    free(s->fa);
    s->fa = NULL;
    s->nfa = 0;
}

static void selector_clear(selector *s) {
    patterns_free(s->keys, s->nkeys);
    patterns_free(s->chans, s->nchans);
    firstargs_clear(s);
    memset(s, 0, sizeof(*s));
}

static pattern *patterns_copy(const pattern *p, int n) {
    pattern *d = xcalloc_((size_t)n, sizeof(*d));
    for (int i = 0; i < n; i++) d[i] = (pattern){dup_bytes(p[i].p, p[i].len), p[i].len, p[i].flags};
    return d;
}

static void selector_copy(selector *d, const selector *s) {
    *d = *s;
    d->keys = patterns_copy(s->keys, s->nkeys);
    d->chans = patterns_copy(s->chans, s->nchans);
    d->fa = xcalloc_((size_t)s->nfa, sizeof(*d->fa));
    for (int i = 0; i < s->nfa; i++) d->fa[i] = (firstarg){s->fa[i].id, dup_bytes(s->fa[i].arg, strlen(s->fa[i].arg))};
}

static void user_clear_rules(acl_user *u) {
    for (int i = 0; i < u->nsel; i++) selector_clear(&u->sel[i]);
    free(u->sel);
    free(u->pass);
    u->sel = NULL;
    u->pass = NULL;
    u->nsel = u->npass = 0;
}

/* A new user as Redis makes one: off, no password, no commands, no keys,
 * no channels (acl-pubsub-default resetchannels). */
static acl_user *user_new(const char *name, size_t nlen) {
    acl_user *u = xcalloc_(1, sizeof(*u));
    u->name = dup_bytes(name, nlen);
    u->nlen = nlen;
    u->flags = U_OFF;
    u->sel = xcalloc_(1, sizeof(selector));
    u->nsel = 1;
    u->refs = 1;
    return u;
}

static void user_free(acl_user *u) {
    user_clear_rules(u);
    free(u->line);
    free(u->name);
    free(u);
}

/* The rules of s copied over d's (names stay). */
static void user_copy_rules(acl_user *d, const acl_user *s) {
    user_clear_rules(d);
    free(d->line);
    d->line = NULL;
    d->flags = s->flags;
    d->npass = s->npass;
    d->pass = xcalloc_((size_t)s->npass, sizeof(*d->pass));
    if (s->npass) memcpy(d->pass, s->pass, sizeof(*d->pass) * (size_t)s->npass);
    d->nsel = s->nsel;
    d->sel = xcalloc_((size_t)s->nsel, sizeof(selector));
    for (int i = 0; i < s->nsel; i++) selector_copy(&d->sel[i], &s->sel[i]);
}

static int is_default(const char *name, size_t nlen) { return nlen == 7 && memcmp(name, "default", 7) == 0; }

const char *acl_user_name(const acl_user *u) { return u->name; }
int acl_user_enabled(const acl_user *u) { return (u->flags & U_ON) != 0; }
int acl_user_nopass(const acl_user *u) { return (u->flags & U_NOPASS) != 0; }
int acl_user_dead(const acl_user *u) { return u->dead; }
void acl_user_hold(acl_user *u) { u->refs++; }
void acl_user_release(acl_user *u) {
    if (u && --u->refs == 0) user_free(u);
}

/* ---- command bits ---- */

static int bit_get(const selector *s, int id) { return (s->bits[id / 64] >> (id % 64)) & 1; }

static void bit_set(selector *s, int id, int on) {
    if (on) s->bits[id / 64] |= 1ULL << (id % 64);
    else {
        s->bits[id / 64] &= ~(1ULL << (id % 64));
        s->flags &= ~SEL_ALLCOMMANDS;
    }
}

static void firstargs_drop(selector *s, int id) {
    int w = 0;
    for (int i = 0; i < s->nfa; i++) {
        if (s->fa[i].id == id) free(s->fa[i].arg);
        else s->fa[w++] = s->fa[i];
    }
    s->nfa = w;
}

/* +cmd / -cmd: a container's subcommands follow it. */
static void change_perm(selector *s, int id, int on) {
    bit_set(s, id, on);
    firstargs_drop(s, id);
    for (int i = 0; i < cmds[id].nsubs; i++) bit_set(s, cmds[id].subs[i], on);
}

static void change_category(selector *s, uint32_t flag, int on) {
    for (int i = 0; i < NCMDS; i++)
        if (cmds[i].cats & flag) change_perm(s, i, on);
}

static void all_commands(selector *s, int on) {
    memset(s->bits, on ? 0xff : 0, sizeof(s->bits));
    if (on) s->flags |= SEL_ALLCOMMANDS;
    else s->flags &= ~SEL_ALLCOMMANDS;
    firstargs_clear(s);
}

static int firstarg_add(selector *s, int id, const char *arg, size_t len) {
    for (int i = 0; i < s->nfa; i++)
        if (s->fa[i].id == id && strlen(s->fa[i].arg) == len && strncasecmp(s->fa[i].arg, arg, len) == 0) return 0;
    if (s->nfa >= ACL_MAX_PATTERNS) return -1;
    s->fa = xrealloc_(s->fa, sizeof(*s->fa) * (size_t)(s->nfa + 1));
    s->fa[s->nfa++] = (firstarg){id, dup_bytes(arg, len)};
    return 0;
}

/* ---- rules ---- */

/* Why a rule failed (Redis's errno cases). */
enum { E_OK = 0, E_SYNTAX, E_UNKNOWN, E_KEYS_AFTER_ALL, E_CHANS_AFTER_ALL, E_NOPASS, E_HASH, E_FIRSTARG_SUB, E_TOO_MANY };

static const char *rule_error(int e) {
    switch (e) {
    case E_UNKNOWN: return "Unknown command or category name in ACL";
    case E_SYNTAX: return "Syntax error";
    case E_KEYS_AFTER_ALL:
        return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any "
               "effect. Try 'resetkeys' to start with an empty list of patterns";
    case E_CHANS_AFTER_ALL:
        return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have "
               "any effect. Try 'resetchannels' to start with an empty list of channels";
    case E_NOPASS: return "The password you are trying to remove from the user does not exist";
    case E_HASH: return "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";
    case E_FIRSTARG_SUB: return "Allowing first-arg of a subcommand is not supported";
    case E_TOO_MANY: return "Too many patterns, first arguments or selectors for one user";
    default: return "Wrong format";
    }
}

static int is(const char *op, size_t len, const char *word) {
    return strlen(word) == len && strncasecmp(op, word, len) == 0;
}

/* Redis refuses whitespace and NUL in names and patterns. */
static int has_spaces(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (isspace((unsigned char)s[i]) || s[i] == '\0') return 1;
    return 0;
}

static int pattern_add(pattern **list, int *n, const char *p, size_t len, int flags) {
    for (int i = 0; i < *n; i++)
        if ((*list)[i].len == len && memcmp((*list)[i].p, p, len) == 0) {
            (*list)[i].flags |= flags;
            return E_OK;
        }
    if (*n >= ACL_MAX_PATTERNS) return E_TOO_MANY;
    *list = xrealloc_(*list, sizeof(**list) * (size_t)(*n + 1));
    (*list)[(*n)++] = (pattern){dup_bytes(p, len), len, flags};
    return E_OK;
}

static void patterns_reset(pattern **list, int *n) {
    patterns_free(*list, *n);
    *list = NULL;
    *n = 0;
}

static int key_rule(selector *s, const char *op, size_t len) {
    if (s->flags & SEL_ALLKEYS) return E_KEYS_AFTER_ALL;
    int flags = 0;
    size_t off = 1;
    if (op[0] == '%') {
        for (; off < len; off++) {
            char c = (char)toupper((unsigned char)op[off]);
            if (c == 'R' && !(flags & ACL_KEY_R)) flags |= ACL_KEY_R;
            else if (c == 'W' && !(flags & ACL_KEY_W)) flags |= ACL_KEY_W;
            else if (op[off] == '~') { off++; break; }
            else return E_SYNTAX;
        }
        if (!flags) return E_SYNTAX;
    } else {
        flags = ACL_KEY_R | ACL_KEY_W;
    }
    if (has_spaces(op + off, len - off)) return E_SYNTAX;
    int e = pattern_add(&s->keys, &s->nkeys, op + off, len - off, flags);
    if (e == E_OK) s->flags &= ~SEL_ALLKEYS;
    return e;
}

static int channel_rule(selector *s, const char *op, size_t len) {
    if (s->flags & SEL_ALLCHANNELS) return E_CHANS_AFTER_ALL;
    if (has_spaces(op + 1, len - 1)) return E_SYNTAX;
    return pattern_add(&s->chans, &s->nchans, op + 1, len - 1, 0);
}

/* Set while a stored table loads: its rules were logged when set. */
static _Thread_local int loading;

/* "+name" or "+name|arg": a command, a subcommand, or a first argument
 * of a command without subcommands. */
static int allow_rule(selector *s, const char *op, size_t len) {
    const char *bar = memrchr(op, '|', len);
    if (!bar) {
        int id = acl_cmd_id(op + 1, len - 1);
        if (id < 0) return E_UNKNOWN;
        change_perm(s, id, 1);
        return E_OK;
    }
    int id = acl_cmd_id(op + 1, (size_t)(bar - op - 1));
    if (id < 0) return E_UNKNOWN;
    if (cmds[id].parent >= 0) return E_FIRSTARG_SUB;
    size_t sublen = len - (size_t)(bar - op) - 1;
    if (sublen == 0) return E_SYNTAX;
    if (cmds[id].nsubs) {
        int sub = acl_cmd_id(op + 1, len - 1);
        if (sub < 0) return E_UNKNOWN;
        change_perm(s, sub, 1);
        return E_OK;
    }
    /* whitespace too: the stored form separates rules by it (Redis takes
     * it, and then cannot read back its own ACL file) */
    if (has_spaces(bar + 1, sublen)) return E_SYNTAX;
    if (!loading)
        logmsg(LL_WARNING, "Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL "
           "and may get disabled in the future (offender: %.*s)", (int)len, op);
    return firstarg_add(s, id, bar + 1, sublen) < 0 ? E_TOO_MANY : E_OK;
}

static int selector_rule(selector *s, const char *op, size_t len) {
    if (is(op, len, "allkeys") || is(op, len, "~*")) {
        s->flags |= SEL_ALLKEYS;
        patterns_reset(&s->keys, &s->nkeys);
    } else if (is(op, len, "resetkeys")) {
        s->flags &= ~SEL_ALLKEYS;
        patterns_reset(&s->keys, &s->nkeys);
    } else if (is(op, len, "allchannels") || is(op, len, "&*")) {
        s->flags |= SEL_ALLCHANNELS;
        patterns_reset(&s->chans, &s->nchans);
    } else if (is(op, len, "resetchannels")) {
        s->flags &= ~SEL_ALLCHANNELS;
        patterns_reset(&s->chans, &s->nchans);
    } else if (is(op, len, "allcommands") || is(op, len, "+@all")) {
        all_commands(s, 1);
    } else if (is(op, len, "nocommands") || is(op, len, "-@all")) {
        all_commands(s, 0);
    } else if (op[0] == '~' || op[0] == '%') {
        return key_rule(s, op, len);
    } else if (op[0] == '&') {
        return channel_rule(s, op, len);
    } else if (op[0] == '+' && (len < 2 || op[1] != '@')) {
        return allow_rule(s, op, len);
    } else if (op[0] == '-' && (len < 2 || op[1] != '@')) {
        int id = acl_cmd_id(op + 1, len - 1);
        if (id < 0) return E_UNKNOWN;
        change_perm(s, id, 0);
    } else if ((op[0] == '+' || op[0] == '-') && len >= 2 && op[1] == '@') {
        uint32_t flag = category_flag(op + 2, len - 2);
        if (!flag) return E_UNKNOWN;
        change_category(s, flag, op[0] == '+');
    } else {
        return E_SYNTAX;
    }
    return E_OK;
}

/* Splits "(a b c)" on spaces and applies each rule to a fresh selector. */
static int new_selector(acl_user *u, const char *op, size_t len) {
    selector s;
    memset(&s, 0, sizeof(s));
    size_t i = 1, end = len - 1;
    while (i < end) {
        while (i < end && isspace((unsigned char)op[i])) i++;
        size_t start = i;
        while (i < end && !isspace((unsigned char)op[i])) i++;
        if (i == start) break;
        int e = selector_rule(&s, op + start, i - start);
        if (e) { selector_clear(&s); return e; }
    }
    if (u->nsel - 1 >= ACL_MAX_SELECTORS) { selector_clear(&s); return E_TOO_MANY; }
    u->sel = xrealloc_(u->sel, sizeof(selector) * (size_t)(u->nsel + 1));
    u->sel[u->nsel++] = s;
    return E_OK;
}

static void sha256_hex(const char *p, size_t n, char out[HASH_HEX + 1]) {
    unsigned char d[32];
    unsigned int len;
    if (!EVP_Digest(p, n, d, &len, EVP_sha256(), NULL) || len != 32) {
        logmsg(LL_WARNING, "SHA-256 failed: out of memory?");
        abort();
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[HASH_HEX] = '\0';
}

static int hash_ok(const char *h, size_t len) {
    if (len != HASH_HEX) return 0;
    for (size_t i = 0; i < len; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f'))) return 0;
    return 1;
}

static int find_pass(const acl_user *u, const char *h) {
    for (int i = 0; i < u->npass; i++)
        if (memcmp(u->pass[i], h, HASH_HEX) == 0) return i;
    return -1;
}

static int password_rule(acl_user *u, const char *op, size_t len) {
    char h[HASH_HEX + 1];
    if (op[0] == '>' || op[0] == '<') sha256_hex(op + 1, len - 1, h);
    else if (!hash_ok(op + 1, len - 1)) return E_HASH;
    else { memcpy(h, op + 1, HASH_HEX); h[HASH_HEX] = '\0'; }
    int at = find_pass(u, h);
    if (op[0] == '<' || op[0] == '!') {
        if (at < 0) return E_NOPASS;
        memmove(&u->pass[at], &u->pass[at + 1], sizeof(*u->pass) * (size_t)(u->npass - at - 1));
        u->npass--;
        return E_OK;
    }
    if (at < 0) {
        u->pass = xrealloc_(u->pass, sizeof(*u->pass) * (size_t)(u->npass + 1));
        memcpy(u->pass[u->npass++], h, HASH_HEX + 1);
    }
    u->flags &= ~U_NOPASS;
    return E_OK;
}

static void set_flag(acl_user *u, int on, int off) { u->flags = (u->flags | on) & ~off; }

static void clear_selectors(acl_user *u) {
    for (int i = 1; i < u->nsel; i++) selector_clear(&u->sel[i]);
    u->nsel = 1;
}

static int user_rule(acl_user *u, const char *op, size_t len);

/* reset: back to a new user's state (channels: acl-pubsub-default, resetchannels). */
static void user_reset(acl_user *u) {
    user_rule(u, "resetpass", 9);
    user_rule(u, "resetkeys", 9);
    user_rule(u, "resetchannels", 13);
    user_rule(u, "off", 3);
    user_rule(u, "sanitize-payload", 16);
    clear_selectors(u);
    user_rule(u, "-@all", 5);
}

static int user_rule(acl_user *u, const char *op, size_t len) {
    if (len == 0) return E_OK;
    if (is(op, len, "on")) set_flag(u, U_ON, U_OFF);
    else if (is(op, len, "off")) set_flag(u, U_OFF, U_ON);
    else if (is(op, len, "skip-sanitize-payload")) set_flag(u, U_SKIP_SANITIZE, U_SANITIZE);
    else if (is(op, len, "sanitize-payload")) set_flag(u, U_SANITIZE, U_SKIP_SANITIZE);
    else if (is(op, len, "nopass")) { set_flag(u, U_NOPASS, 0); u->npass = 0; }
    else if (is(op, len, "resetpass")) { set_flag(u, 0, U_NOPASS); u->npass = 0; }
    else if (op[0] == '>' || op[0] == '#' || op[0] == '<' || op[0] == '!') return password_rule(u, op, len);
    else if (op[0] == '(' && op[len - 1] == ')') return new_selector(u, op, len);
    else if (is(op, len, "clearselectors")) clear_selectors(u);
    else if (is(op, len, "reset")) user_reset(u);
    else return selector_rule(&u->sel[0], op, len);
    return E_OK;
}

/* ACL SETUSER's arguments with "(a" ... "z)" spread over several merged
 * into one rule each; NULL (and *bad the opening one) if one never closes. */
static rstr *merge_selectors(int argc, const rstr *argv, int *outc, int *bad) {
    rstr *out = xcalloc_((size_t)argc, sizeof(rstr));
    int n = 0, open = -1;
    buf acc = {0};
    for (int i = 0; i < argc; i++) {
        const rstr *a = &argv[i];
        if (open < 0 && a->len && a->p[0] == '(' && a->p[a->len - 1] != ')') {
            open = i;
            acc.len = 0;
            buf_append(&acc, a->p, a->len);
            continue;
        }
        if (open >= 0) {
            buf_append(&acc, " ", 1);
            buf_append(&acc, a->p, a->len);
            if (a->len && a->p[a->len - 1] == ')') {
                out[n++] = (rstr){dup_bytes(acc.data, acc.len), acc.len};
                open = -1;
            }
            continue;
        }
        out[n++] = (rstr){dup_bytes(a->p, a->len), a->len};
    }
    buf_free(&acc);
    if (open >= 0) {
        for (int i = 0; i < n; i++) free(out[i].p);
        free(out);
        *bad = open;
        return NULL;
    }
    *outc = n;
    return out;
}

static rstr *copy_rules(int argc, const rstr *argv) {
    rstr *out = xcalloc_((size_t)argc, sizeof(rstr));
    for (int i = 0; i < argc; i++) out[i] = (rstr){dup_bytes(argv[i].p, argv[i].len), argv[i].len};
    return out;
}

static void rstrs_free(rstr *a, int n) {
    for (int i = 0; i < n; i++) free(a[i].p);
    free(a);
}

/* Applies rules to u: E_OK, or why the first failed (E_SYNTAX for a bad
 * name or parenthesis), with Redis's error in err. */
static int apply_rules(acl_user *u, const char *name, size_t nlen, int argc, const rstr *argv, int merge, buf *err) {
    if (has_spaces(name, nlen)) {
        buf_printf(err, "ERR Usernames can't contain spaces or null characters");
        return E_SYNTAX;
    }
    if (argc > ACL_MAX_RULES) {
        buf_printf(err, "ERR Too many rules in one ACL SETUSER (at most %d)", ACL_MAX_RULES);
        return E_TOO_MANY;
    }
    int n = argc, bad = 0;
    rstr *rules = merge ? merge_selectors(argc, argv, &n, &bad) : copy_rules(argc, argv);
    if (!rules) {
        buf_printf(err, "ERR Unmatched parenthesis in acl selector starting at '%.*s'.",
                   (int)strnlen(argv[bad].p, argv[bad].len), argv[bad].p);
        return E_SYNTAX;
    }
    int e = E_OK;
    for (int i = 0; i < n && e == E_OK; i++) {
        e = user_rule(u, rules[i].p, rules[i].len);
        if (e)
            buf_printf(err, "ERR Error in ACL SETUSER modifier '%.*s': %s", (int)strnlen(rules[i].p, rules[i].len),
                       rules[i].p, rule_error(e));
    }
    rstrs_free(rules, n);
    return e;
}

/* ---- tables ---- */

static int name_cmp(const acl_user *u, const char *name, size_t nlen) {
    size_t n = u->nlen < nlen ? u->nlen : nlen;
    int c = memcmp(u->name, name, n);
    if (c) return c;
    return u->nlen < nlen ? -1 : u->nlen > nlen;
}

/* The index of name, or -(insertion point) - 1. */
static int locate(const acl_users *t, const char *name, size_t nlen) {
    int lo = 0, hi = t->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2, c = name_cmp(t->u[mid], name, nlen);
        if (c == 0) return mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -lo - 1;
}

static void insert_user(acl_users *t, acl_user *u) {
    int at = -locate(t, u->name, u->nlen) - 1;
    t->u = xrealloc_(t->u, sizeof(*t->u) * (size_t)(t->n + 1));
    memmove(&t->u[at + 1], &t->u[at], sizeof(*t->u) * (size_t)(t->n - at));
    t->u[at] = u;
    t->n++;
}

acl_users *acl_users_new(void) {
    table_ready();
    acl_users *t = xcalloc_(1, sizeof(*t));
    acl_user *d = user_new("default", 7);
    static const char *const rules[] = {"+@all", "~*", "&*", "on", "nopass"};
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) user_rule(d, rules[i], strlen(rules[i]));
    insert_user(t, d);
    return t;
}

void acl_users_free(acl_users *t) {
    if (!t) return;
    for (int i = 0; i < t->n; i++) {
        t->u[i]->dead = 1;
        acl_user_release(t->u[i]);
    }
    free(t->u);
    free(t);
}

int acl_users_count(const acl_users *t) { return t->n; }
acl_user *acl_users_at(const acl_users *t, int i) { return t->u[i]; }
int acl_default_defined(const acl_users *t) { return t->default_defined; }

acl_user *acl_find(const acl_users *t, const char *name, size_t nlen) {
    int at = locate(t, name, nlen);
    return at >= 0 ? t->u[at] : NULL;
}

int acl_setuser(acl_users *t, const char *name, size_t nlen, int argc, const rstr *rules, buf *err) {
    acl_user *tmp = user_new(name, nlen);
    acl_user *u = acl_find(t, name, nlen);
    int dflt = is_default(name, nlen), fresh = !u || (dflt && !t->default_defined);
    if (u) user_copy_rules(tmp, u);
    if (apply_rules(tmp, name, nlen, argc, rules, 1, err) != E_OK) { user_free(tmp); return -1; }
    if (fresh) tmp->epoch = t->next_epoch ? t->next_epoch++ : (t->next_epoch = 2, 1);
    if (u) {
        uint64_t e = fresh ? tmp->epoch : u->epoch;
        user_copy_rules(u, tmp);
        u->epoch = e;
        user_free(tmp);
    } else {
        insert_user(t, tmp);
    }
    if (dflt) t->default_defined = 1;
    return 0;
}

int acl_rules_check(const acl_users *t, const char *name, size_t nlen, int argc, const rstr *rules, buf *err) {
    acl_user *tmp = user_new(name, nlen);
    const acl_user *u = acl_find(t, name, nlen);
    if (u) user_copy_rules(tmp, u);
    size_t mark = err->len;
    int e = apply_rules(tmp, name, nlen, argc, rules, 1, err);
    user_free(tmp);
    if (e == E_NOPASS || e == E_KEYS_AFTER_ALL || e == E_CHANS_AFTER_ALL) {
        err->len = mark;  /* the user may differ by the time the entry applies: apply decides */
        return 0;
    }
    return e == E_OK ? 0 : -1;
}

static int acl_deluser_any(acl_users *t, const char *name, size_t nlen) {
    int at = locate(t, name, nlen);
    if (at < 0) return 0;
    acl_user *u = t->u[at];
    memmove(&t->u[at], &t->u[at + 1], sizeof(*t->u) * (size_t)(t->n - at - 1));
    t->n--;
    u->dead = 1;
    acl_user_release(u);
    return 1;
}

int acl_deluser(acl_users *t, const char *name, size_t nlen) {
    if (nlen == 7 && memcmp(name, "default", 7) == 0) return 0;
    return acl_deluser_any(t, name, nlen);
}

void acl_set_default_password(acl_users *t, const char *pass) {
    acl_user *d = acl_find(t, "default", 7);
    free(d->line);
    d->line = NULL;
    user_rule(d, "resetpass", 9);
    if (!pass[0]) { user_rule(d, "nopass", 6); return; }
    buf op = {0};
    buf_append(&op, ">", 1);
    buf_append(&op, pass, strlen(pass));
    user_rule(d, op.data, op.len);
    buf_free(&op);
}


/* ---- descriptions ---- */

static void user_line(const acl_user *u, buf *out);
static size_t line_rules_at(const char *line, size_t len, size_t nlen);

static void count_category(const selector *s, uint32_t flag, unsigned long *on, unsigned long *off) {
    *on = *off = 0;
    for (int i = 0; i < NCMDS; i++)
        if (cmds[i].cats & flag) {
            if (bit_get(s, i)) (*on)++;
            else (*off)++;
        }
}

/* The commands whose bit still differs, one rule each, and first args:
 * containers before their subcommands, as Redis walks them. */
static void single_commands(const selector *s, selector *fake, int id, buf *out) {
    int user = bit_get(s, id);
    if (user != bit_get(fake, id)) {
        buf_printf(out, "%c%s ", user ? '+' : '-', cmds[id].name);
        change_perm(fake, id, user);
    }
    for (int i = 0; i < cmds[id].nsubs; i++) single_commands(s, fake, cmds[id].subs[i], out);
    if (user) return;
    for (int i = 0; i < s->nfa; i++)
        if (s->fa[i].id == id) buf_printf(out, "+%s|%s ", cmds[id].name, s->fa[i].arg);
}

/* Redis 7.0's description: +@all or -@all, then the categories that fit
 * best, greedily, then single commands until the bitmap is exact. */
static void describe_commands(const selector *s, buf *out) {
    selector fake, temp;
    memset(&fake, 0, sizeof(fake));
    memset(&temp, 0, sizeof(temp));
    int additive = !bit_get(s, FUTURE);
    buf_printf(out, additive ? "-@all " : "+@all ");
    all_commands(&fake, !additive);
    memcpy(temp.bits, s->bits, sizeof(s->bits));
    char applied[32] = {0};
    for (;;) {
        int best = -1;
        unsigned long mindiff = (unsigned long)-1, maxsame = 0;
        for (int j = 0; acl_categories[j]; j++) {
            if (applied[j]) continue;
            unsigned long on, off;
            count_category(&temp, 1u << j, &on, &off);
            unsigned long diff = additive ? off : on, same = additive ? on : off;
            if (same > diff && (diff < mindiff || (diff == mindiff && same > maxsame))) {
                best = j;
                mindiff = diff;
                maxsame = same;
            }
        }
        if (best < 0) break;
        change_category(&fake, 1u << best, additive);
        change_category(&temp, 1u << best, !additive);
        buf_printf(out, "%c@%s ", additive ? '+' : '-', acl_categories[best]);
        applied[best] = 1;
    }
    for (int i = 0; i < NCMDS; i++)
        if (cmds[i].parent < 0) single_commands(s, &fake, i, out);
    out->len--;  /* the last space */
    if (memcmp(fake.bits, s->bits, sizeof(fake.bits)) != 0) {
        logmsg(LL_WARNING, "ACL description does not rebuild the user's commands: %.*s", (int)out->len, out->data);
        abort();  /* Redis stops too: a description that grants other commands is a security hole */
    }
    selector_clear(&fake);
    selector_clear(&temp);
}

static void pattern_text(const pattern *p, buf *out) {
    if (p->flags == (ACL_KEY_R | ACL_KEY_W)) buf_append(out, "~", 1);
    else if (p->flags == ACL_KEY_R) buf_append(out, "%R~", 3);
    else if (p->flags == ACL_KEY_W) buf_append(out, "%W~", 3);
    else buf_append(out, "%~", 2);
    buf_append(out, p->p, p->len);
}

/* A selector's rules, each followed by sep; the command rules last,
 * space separated (they name commands only). */
static void describe_selector(const selector *s, char sep, buf *out) {
    if (s->flags & SEL_ALLKEYS) buf_printf(out, "~*%c", sep);
    else
        for (int i = 0; i < s->nkeys; i++) { pattern_text(&s->keys[i], out); buf_append(out, &sep, 1); }
    if (s->flags & SEL_ALLCHANNELS) buf_printf(out, "&*%c", sep);
    else {
        buf_printf(out, "resetchannels%c", sep);
        for (int i = 0; i < s->nchans; i++) {
            buf_append(out, "&", 1);
            buf_append(out, s->chans[i].p, s->chans[i].len);
            buf_append(out, &sep, 1);
        }
    }
    size_t from = out->len;
    describe_commands(s, out);
    for (size_t i = from; i < out->len; i++)
        if (out->data[i] == ' ') out->data[i] = sep;
}

/* Rules separated by sep; a selector is one rule, "(...)", its own rules
 * separated by spaces inside. */
static void describe_user(const acl_user *u, char sep, buf *out) {
    for (size_t j = 0; j < sizeof(user_flags) / sizeof(user_flags[0]); j++)
        if (u->flags & user_flags[j].flag) buf_printf(out, "%s%c", user_flags[j].name, sep);
    for (int i = 0; i < u->npass; i++) buf_printf(out, "#%s%c", u->pass[i], sep);
    describe_selector(&u->sel[0], sep, out);
    for (int i = 1; i < u->nsel; i++) {
        buf_printf(out, "%c(", sep);
        describe_selector(&u->sel[i], ' ', out);
        buf_append(out, ")", 1);
    }
}

void acl_describe(const acl_user *u, buf *out) {
    if (!u->line) { describe_user(u, ' ', out); return; }
    size_t skip = line_rules_at(u->line, u->linelen, u->nlen), from = out->len;
    if (u->linelen > skip) buf_append(out, u->line + skip, u->linelen - skip);
    for (size_t i = from; i < out->len; i++)
        if (out->data[i] == '\t') out->data[i] = ' ';
}

/* The stored form: a first line "epoch N" (the epoch the next user made
 * gets), then one line per user, by name, "user NAME =EPOCH RULE ...",
 * tab separated: names and patterns hold no whitespace, and a selector,
 * which holds spaces, stays one rule (ACL LIST's spaces would not tell
 * "(~a) +get)" apart). A user loaded and unchanged keeps its line: only
 * changed users are described. */
void acl_dump(const acl_users *t, buf *out) {
    if (t->next_epoch) buf_printf(out, "epoch\t%llu\n", (unsigned long long)t->next_epoch);
    for (int i = 0; i < t->n; i++) {
        const acl_user *u = t->u[i];
        if (!t->default_defined && is_default(u->name, u->nlen)) continue;
        if (u->line) buf_append(out, u->line, u->linelen);
        else user_line(u, out);
        buf_append(out, "\n", 1);
    }
}

/* ---- the stored form: acl_dump() lines ---- */

typedef struct line_ref {
    const char *p, *name;
    size_t len, nlen;
} line_ref;

/* The next non-empty line of text from *at: 1 with its name, 0 at the end,
 * -1 for a line that is not "user<TAB>NAME...". */
static int next_line(const char *text, size_t len, size_t *at, line_ref *l) {
    const char *p;
    size_t n;
    do {
        while (*at < len && text[*at] == '\n') (*at)++;
        if (*at >= len) return 0;
        p = text + *at;
        const char *nl = memchr(p, '\n', len - *at);
        n = nl ? (size_t)(nl - p) : len - *at;
        *at += n;
    } while (n >= 6 && memcmp(p, "epoch\t", 6) == 0);
    if (n < 6 || memcmp(p, "user\t", 5) != 0) return -1;
    const char *name = p + 5, *tab = memchr(name, '\t', n - 5);
    *l = (line_ref){p, name, n, tab ? (size_t)(tab - name) : n - 5};
    return l->nlen ? 1 : -1;
}


/* The epoch in a text's first line (0: none). */
static uint64_t text_epoch(const char *text, size_t len) {
    if (!text || len < 7 || memcmp(text, "epoch\t", 6) != 0) return 0;
    uint64_t e = 0;
    for (size_t i = 6; i < len && text[i] >= '0' && text[i] <= '9'; i++) e = e * 10 + (uint64_t)(text[i] - '0');
    return e;
}

/* Where a user line's rules start: after "user<TAB>NAME<TAB>" and its
 * "=EPOCH<TAB>" field. */
static size_t line_rules_at(const char *line, size_t len, size_t nlen) {
    size_t at = 5 + nlen + 1;
    if (at < len && line[at] == '=') {
        const char *tab = memchr(line + at, '\t', len - at);
        at = tab ? (size_t)(tab - line) + 1 : len;
    }
    return at;
}

static uint64_t line_epoch(const line_ref *l) {
    size_t at = 5 + l->nlen + 1;
    uint64_t e = 0;
    if (at < l->len && l->p[at] == '=')
        for (at++; at < l->len && l->p[at] >= '0' && l->p[at] <= '9'; at++) e = e * 10 + (uint64_t)(l->p[at] - '0');
    return e;
}

/* The user a line describes, built from a new user rule by rule (the
 * rules are tab separated); NULL if one fails. */
static acl_user *parse_line(const line_ref *l) {
    int argc = 0, cap = 16;
    rstr *argv = xcalloc_((size_t)cap, sizeof(rstr));
    const char *r = l->p + line_rules_at(l->p, l->len, l->nlen) - 1, *end = l->p + l->len;
    while (r < end) {
        r++;  /* the tab */
        const char *tab = memchr(r, '\t', (size_t)(end - r));
        const char *e = tab ? tab : end;
        if (argc == cap) { cap *= 2; argv = xrealloc_(argv, sizeof(rstr) * (size_t)cap); }
        argv[argc++] = (rstr){(char *)r, (size_t)(e - r)};
        r = e;
    }
    acl_user *u = user_new(l->name, l->nlen);
    buf err = {0};
    loading = 1;
    int e = apply_rules(u, l->name, l->nlen, argc, argv, 0, &err);
    loading = 0;
    if (e != E_OK) {  /* fail closed: the user stays, off and with no rights */
        logmsg(LL_WARNING, "ACL user '%.*s' does not load (%.*s): it is disabled", (int)l->nlen, l->name,
               (int)err.len, err.len ? err.data : "");
        user_free(u);
        u = user_new(l->name, l->nlen);
    }
    u->line = dup_bytes(l->p, l->len);
    u->linelen = l->len;
    u->epoch = line_epoch(l);
    buf_free(&err);
    free(argv);
    return u;
}

/* The default user as a new table has it. */
static void default_rules(acl_user *d) {
    static const char *const rules[] = {"+@all", "~*", "&*", "on", "nopass"};
    user_clear_rules(d);
    free(d->line);
    d->line = NULL;
    d->flags = U_OFF;
    d->sel = xcalloc_(1, sizeof(selector));
    d->nsel = 1;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) user_rule(d, rules[i], strlen(rules[i]));
}

/* Takes u's rules and line into live's user of that name (or u itself). */
static void take_user(acl_users *live, acl_user *u) {
    acl_user *old = acl_find(live, u->name, u->nlen);
    if (old && old->epoch != u->epoch && !is_default(u->name, u->nlen)) {
        acl_deluser_any(live, u->name, u->nlen);  /* deleted and made again: its clients go */
        old = NULL;
    }
    if (!old) { insert_user(live, u); return; }
    old->seen = u->seen;
    old->epoch = u->epoch;
    user_copy_rules(old, u);
    old->line = u->line;
    old->linelen = u->linelen;
    u->line = NULL;
    user_free(u);
}

int acl_users_sync(acl_users *t, const char *text, size_t len) {
    table_ready();
    acl_user **changed = NULL;
    int nchanged = 0, has_default = 0, rc = 0;
    size_t at = 0;
    line_ref l;
    int k;
    /* first every changed line parses, or nothing changes */
    while ((k = next_line(text, text ? len : 0, &at, &l)) != 0) {
        if (k < 0) { rc = -1; break; }
        has_default |= is_default(l.name, l.nlen);
        acl_user *u = acl_find(t, l.name, l.nlen);
        if (u) u->seen = 1;
        if (u && u->line && u->linelen == l.len && memcmp(u->line, l.p, l.len) == 0) continue;
        acl_user *nu = parse_line(&l);
        changed = xrealloc_(changed, sizeof(*changed) * (size_t)(nchanged + 1));
        changed[nchanged++] = nu;
    }
    if (rc < 0) {
        for (int i = 0; i < nchanged; i++) user_free(changed[i]);
        for (int i = 0; i < t->n; i++) t->u[i]->seen = 0;
        free(changed);
        return -1;
    }
    for (int i = 0; i < nchanged; i++) {
        changed[i]->seen = 1;
        take_user(t, changed[i]);
    }
    free(changed);
    /* then the users no line names go (the default user back to its start) */
    for (int i = 0; i < t->n;) {
        acl_user *u = t->u[i];
        int named = u->seen;
        u->seen = 0;
        if (named) { i++; continue; }
        if (is_default(u->name, u->nlen)) { if (u->line) default_rules(u); i++; continue; }
        acl_deluser_any(t, u->name, u->nlen);
    }
    t->default_defined = has_default;
    t->next_epoch = text_epoch(text, text ? len : 0);
    return 0;
}

acl_users *acl_load(const char *text, size_t len) {
    acl_users *t = acl_users_new();
    if (acl_users_sync(t, text, len) < 0) { acl_users_free(t); return NULL; }
    return t;
}

/* The stored line of the user so named, if any. */
static int find_line(const char *text, size_t len, const char *name, size_t nlen, line_ref *out) {
    size_t at = 0;
    int k;
    while ((k = next_line(text, text ? len : 0, &at, out)) != 0)
        if (k > 0 && out->nlen == nlen && memcmp(out->name, name, nlen) == 0) return 1;
    return 0;
}

/* text with the line of name replaced by (or, sorted by name, joined by)
 * repl, into out. */
static void splice(const char *text, size_t len, const char *name, size_t nlen, const buf *repl, buf *out) {
    size_t at = 0, from = 0;
    line_ref l;
    int placed = 0, k;
    while ((k = next_line(text, text ? len : 0, &at, &l)) != 0) {
        if (k < 0) continue;
        size_t n = l.nlen < nlen ? l.nlen : nlen;
        int c = memcmp(l.name, name, n);
        if (!c) c = l.nlen < nlen ? -1 : l.nlen > nlen;
        if (c < 0) continue;
        buf_append(out, text + from, (size_t)(l.p - text) - from);
        from = (size_t)(l.p - text);
        if (!placed) { buf_append(out, repl->data, repl->len); buf_append(out, "\n", 1); placed = 1; }
        if (c == 0) from = at < len ? at + 1 : at;  /* drop the old line and its newline */
        break;
    }
    buf_append(out, text ? text + from : "", text ? len - from : 0);
    if (!placed) {
        if (out->len && out->data[out->len - 1] != '\n') buf_append(out, "\n", 1);
        buf_append(out, repl->data, repl->len);
        buf_append(out, "\n", 1);
    }
}

static void user_line(const acl_user *u, buf *out) {
    buf_append(out, "user\t", 5);
    buf_append(out, u->name, u->nlen);
    buf_printf(out, "\t=%llu\t", (unsigned long long)u->epoch);
    describe_user(u, '\t', out);
    while (out->len && out->data[out->len - 1] == '\t') out->len--;
}

/* The rules, with a leading acl_requirepass_rule() turned into
 * "resetpass #digest" when the user has no line yet, dropped otherwise. */
static rstr *with_requirepass(int argc, const rstr *rules, int fresh, int *outc, char *hash) {
    rstr *r = xcalloc_((size_t)argc + 1, sizeof(rstr));
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (i == 0 && rules[0].len == ACL_REQUIREPASS_LEN && rules[0].p[0] == '\0') {
            if (!fresh) continue;
            hash[0] = '#';
            memcpy(hash + 1, rules[0].p + ACL_REQUIREPASS_LEN - HASH_HEX, HASH_HEX);
            r[n++] = (rstr){(char *)"resetpass", 9};
            r[n++] = (rstr){hash, HASH_HEX + 1};
            continue;
        }
        r[n++] = rules[i];
    }
    *outc = n;
    return r;
}

int acl_text_setuser(const char *text, size_t len, const char *name, size_t nlen, int argc, const rstr *rules,
                     buf *out, buf *err) {
    table_ready();
    line_ref l;
    int had = find_line(text, len, name, nlen, &l);
    acl_user *u = had ? parse_line(&l) : user_new(name, nlen);
    uint64_t next = text_epoch(text, len);
    if (!had) {
        if (is_default(name, nlen)) default_rules(u);
        u->epoch = next ? next : 1;
        next = u->epoch + 1;
    }
    char hash[HASH_HEX + 2];
    int n;
    rstr *r = with_requirepass(argc, rules, !had, &n, hash);
    int e = apply_rules(u, name, nlen, n, r, 1, err);
    free(r);
    if (e != E_OK) { user_free(u); return -1; }
    buf line = {0}, body = {0};
    user_line(u, &line);
    splice(text, len, name, nlen, &line, &body);
    buf_printf(out, "epoch\t%llu\n", (unsigned long long)next);
    size_t skip = text_epoch(body.data, body.len) ? (size_t)((char *)memchr(body.data, '\n', body.len) - body.data) + 1 : 0;
    buf_append(out, body.data + skip, body.len - skip);
    buf_free(&line);
    buf_free(&body);
    user_free(u);
    return 0;
}

void acl_requirepass_rule(const char *pass, char out[ACL_REQUIREPASS_LEN]) {
    memset(out, 0, ACL_REQUIREPASS_LEN);
    memcpy(out + 1, "requirepass", 11);
    char h[HASH_HEX + 1];
    sha256_hex(pass, strlen(pass), h);
    memcpy(out + ACL_REQUIREPASS_LEN - HASH_HEX, h, HASH_HEX);
}

static int rstr_cmp(const void *a, const void *b) {
    const rstr *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* One pass over the text whatever the number of names (a DELUSER of a
 * million names costs their sort, not a million passes). */
int acl_text_deluser(const char *text, size_t len, int argc, const rstr *names, buf *out) {
    rstr *sorted = xcalloc_((size_t)argc, sizeof(rstr));
    memcpy(sorted, names, sizeof(rstr) * (size_t)argc);
    qsort(sorted, (size_t)argc, sizeof(rstr), rstr_cmp);
    size_t at = 0, from = 0;
    line_ref l;
    int n = 0, k;
    while ((k = next_line(text, text ? len : 0, &at, &l)) != 0) {
        rstr key = {(char *)l.name, l.nlen};
        if (k < 0 || is_default(l.name, l.nlen) || !bsearch(&key, sorted, (size_t)argc, sizeof(rstr), rstr_cmp)) continue;
        buf_append(out, text + from, (size_t)(l.p - text) - from);
        from = at < len ? at + 1 : at;  /* the line and its newline go */
        n++;
    }
    if (text) buf_append(out, text + from, len - from);
    free(sorted);
    return n;
}

static void reply_selector(const selector *s, buf *out) {
    buf tmp = {0};
    reply_bulkstr(out, "commands");
    describe_commands(s, &tmp);
    reply_bulk(out, tmp.data, tmp.len);
    reply_bulkstr(out, "keys");
    tmp.len = 0;
    if (s->flags & SEL_ALLKEYS) buf_append(&tmp, "~*", 2);
    else
        for (int i = 0; i < s->nkeys; i++) {
            if (i) buf_append(&tmp, " ", 1);
            pattern_text(&s->keys[i], &tmp);
        }
    reply_bulk(out, tmp.data ? tmp.data : "", tmp.len);
    reply_bulkstr(out, "channels");
    tmp.len = 0;
    if (s->flags & SEL_ALLCHANNELS) buf_append(&tmp, "&*", 2);
    else
        for (int i = 0; i < s->nchans; i++) {
            if (i) buf_append(&tmp, " ", 1);
            buf_append(&tmp, "&", 1);
            buf_append(&tmp, s->chans[i].p, s->chans[i].len);
        }
    reply_bulk(out, tmp.data ? tmp.data : "", tmp.len);
    buf_free(&tmp);
}

void acl_reply_getuser(const acl_user *u, buf *out) {
    reply_array(out, 12);
    reply_bulkstr(out, "flags");
    long long nflags = 0;
    for (size_t j = 0; j < sizeof(user_flags) / sizeof(user_flags[0]); j++) nflags += (u->flags & user_flags[j].flag) != 0;
    reply_array(out, nflags);
    for (size_t j = 0; j < sizeof(user_flags) / sizeof(user_flags[0]); j++)
        if (u->flags & user_flags[j].flag) reply_bulkstr(out, user_flags[j].name);
    reply_bulkstr(out, "passwords");
    reply_array(out, u->npass);
    for (int i = 0; i < u->npass; i++) reply_bulk(out, u->pass[i], HASH_HEX);
    reply_selector(&u->sel[0], out);
    reply_bulkstr(out, "selectors");
    reply_array(out, u->nsel - 1);
    for (int i = 1; i < u->nsel; i++) {
        reply_array(out, 6);
        reply_selector(&u->sel[i], out);
    }
}

/* ---- checks ---- */

int acl_password_ok(const acl_user *u, const char *pass, size_t len) {
    char h[HASH_HEX + 1];
    sha256_hex(pass, len, h);
    int ok = 0;
    for (int i = 0; i < u->npass; i++) ok |= CRYPTO_memcmp(h, u->pass[i], HASH_HEX) == 0;
    return ok || (u->flags & U_NOPASS);
}

int acl_user_unrestricted(const acl_user *u) {
    for (int i = 0; i < u->nsel; i++) {
        const selector *s = &u->sel[i];
        if ((s->flags & SEL_ALLCOMMANDS) && (s->flags & SEL_ALLKEYS)) return 1;
    }
    return 0;
}

/* What a command does to its keys: SET reads its key only with GET
 * (Redis works that out from the arguments; its key spec says both). */
static int key_access(int id, int argc, const rstr *argv) {
    if (id < 0) return ACL_KEY_R | ACL_KEY_W;
    if (strcmp(cmds[id].name, "set") != 0) return cmds[id].keys;
    for (int i = 3; i < argc; i++)
        if (argv[i].len == 3 && strncasecmp(argv[i].p, "get", 3) == 0) return ACL_KEY_R | ACL_KEY_W;
    return ACL_KEY_W;
}

static int key_ok(const selector *s, const rstr *key, int need) {
    for (int i = 0; i < s->nkeys; i++) {
        const pattern *p = &s->keys[i];
        if ((p->flags & need) != need) continue;
        if (glob_match(p->p, p->len, key->p, key->len, 0)) return 1;
    }
    return 0;
}

static int selector_check(const selector *s, int id, int no_auth, int argc, const rstr *argv, const int *keys,
                          int nkeys, int need, int *pos) {
    if (id < 0) return (s->flags & SEL_ALLCOMMANDS) || no_auth ? ACL_OK : ACL_DENIED_CMD;  /* not in the table: fail closed */
    if (!(s->flags & SEL_ALLCOMMANDS) && !no_auth && !bit_get(s, id)) {
        int idx = cmds[id].parent >= 0 ? 2 : 1, found = 0;
        for (int i = 0; i < s->nfa && !found && argc > idx; i++)
            found = s->fa[i].id == id && strlen(s->fa[i].arg) == argv[idx].len &&
                    strncasecmp(s->fa[i].arg, argv[idx].p, argv[idx].len) == 0;
        if (!found) return ACL_DENIED_CMD;
    }
    if (s->flags & SEL_ALLKEYS) return ACL_OK;
    for (int i = 0; i < nkeys; i++)
        if (!key_ok(s, &argv[keys[i]], need)) {
            *pos = keys[i];
            return ACL_DENIED_KEY;
        }
    return ACL_OK;
}

int acl_check(const acl_user *u, int id, int no_auth, int argc, const rstr *argv, const int *keys, int nkeys,
              int *pos) {
    int need = key_access(id, argc, argv), worst = ACL_DENIED_CMD, last = 0;
    for (int i = 0; i < u->nsel; i++) {
        int p = 0, r = selector_check(&u->sel[i], id, no_auth, argc, argv, keys, nkeys, need, &p);
        if (r == ACL_OK) return ACL_OK;
        if (r > worst || (r == worst && p > last)) { worst = r; last = p; }
    }
    *pos = last;
    return worst;
}
