/* Unit tests of acl.c: descriptions Redis 7.0 gives for fixed rule sets
 * (the differential test compares the rest against redis-server), the
 * stored form's round trip over seeded random rules, permission checks,
 * and that every command the server serves has its ACL row. */
#include "acl.h"
#include "cmd.h"
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

static rstr *args(const char *const *v, int n) {
    rstr *a = malloc(sizeof(rstr) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) a[i] = (rstr){(char *)v[i], strlen(v[i])};
    return a;
}

static int setuser(acl_users *t, const char *name, const char *const *rules, int n, buf *err) {
    rstr *a = args(rules, n);
    err->len = 0;
    int rc = acl_setuser(t, name, strlen(name), n, a, err);
    free(a);
    return rc;
}

static int described(acl_users *t, const char *name, const char *want) {
    buf b = {0};
    acl_describe(acl_find(t, name, strlen(name)), &b);
    int ok = b.len == strlen(want) && memcmp(b.data, want, b.len) == 0;
    if (!ok) fprintf(stderr, "  %s: got \"%.*s\"\n  want \"%s\"\n", name, (int)b.len, b.data, want);
    buf_free(&b);
    return ok;
}

/* Descriptions read off redis-server 7.0.15 for the same rules. */
static void test_descriptions(void) {
    acl_users *t = acl_users_new();
    buf err = {0};
    CHECK(described(t, "default", "on nopass ~* &* +@all"));
    const char *r1[] = {"on", ">pw", "~app:*", "%R~ro:*", "+@read", "-@dangerous", "&chan"};
    CHECK(setuser(t, "alice", r1, 7, &err) == 0);
    CHECK(described(t, "alice", "on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~app:* "
                                "%R~ro:* resetchannels &chan -@all +@read -keys -sort_ro"));
    const char *r2[] = {"+@all", "-get", "+get", "-@read"};
    CHECK(setuser(t, "bob", r2, 4, &err) == 0);
    CHECK(described(t, "bob", "off resetchannels +@all -@read"));
    const char *r3[] = {"reset"};
    CHECK(setuser(t, "u3", r3, 1, &err) == 0);
    CHECK(described(t, "u3", "off sanitize-payload resetchannels -@all"));
    const char *r4[] = {"-@all", "+config", "-config|get", "+select|0"};
    CHECK(setuser(t, "u5", r4, 4, &err) == 0);
    CHECK(described(t, "u5", "off resetchannels -@all +config -config|get +select|0"));
    const char *r5[] = {"(+get", "~a)", "%W~w*"};
    CHECK(setuser(t, "sel", r5, 3, &err) == 0);
    CHECK(described(t, "sel", "off %W~w* resetchannels -@all (~a resetchannels -@all +get)"));
    buf_free(&err);
    acl_users_free(t);
}

static int error_is(acl_users *t, const char *const *rules, int n, const char *want) {
    buf err = {0};
    int rc = setuser(t, "x", rules, n, &err);
    int ok = rc == -1 && err.len == strlen(want) && memcmp(err.data, want, err.len) == 0;
    if (!ok) fprintf(stderr, "  got \"%.*s\"\n  want \"%s\"\n", (int)err.len, err.len ? err.data : "", want);
    buf_free(&err);
    return ok;
}

static void test_errors(void) {
    acl_users *t = acl_users_new();
    const char *a[] = {"foo"}, *b[] = {"+nosuch"}, *c[] = {"allkeys", "~b"}, *d[] = {"<nopw"}, *e[] = {"#abc"},
               *f[] = {"+acl|whoami|x"}, *g[] = {"(+get", "~a"}, *h[] = {"%~a"}, *i[] = {"+get|"};
    CHECK(error_is(t, a, 1, "ERR Error in ACL SETUSER modifier 'foo': Syntax error"));
    CHECK(error_is(t, b, 1, "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"));
    CHECK(error_is(t, c, 2, "ERR Error in ACL SETUSER modifier '~b': Adding a pattern after the * pattern (or the "
                            "'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with "
                            "an empty list of patterns"));
    CHECK(error_is(t, d, 1, "ERR Error in ACL SETUSER modifier '<nopw': The password you are trying to remove from "
                            "the user does not exist"));
    CHECK(error_is(t, e, 1, "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 "
                            "characters and contain only lowercase hexadecimal characters"));
    CHECK(error_is(t, f, 1, "ERR Error in ACL SETUSER modifier '+acl|whoami|x': Allowing first-arg of a subcommand "
                            "is not supported"));
    CHECK(error_is(t, g, 2, "ERR Unmatched parenthesis in acl selector starting at '(+get'."));
    CHECK(error_is(t, h, 1, "ERR Error in ACL SETUSER modifier '%~a': Syntax error"));
    CHECK(error_is(t, i, 1, "ERR Error in ACL SETUSER modifier '+get|': Syntax error"));
    const char *ws[] = {"+select|a b"}, *ws2[] = {"+select|a\nb"};
    CHECK(error_is(t, ws, 1, "ERR Error in ACL SETUSER modifier '+select|a b': Syntax error"));
    CHECK(error_is(t, ws2, 1, "ERR Error in ACL SETUSER modifier '+select|a\nb': Syntax error"));
    /* limits per user */
    static char pats[ACL_MAX_PATTERNS + 1][16];
    const char *many[ACL_MAX_PATTERNS + 1];
    for (int k = 0; k <= ACL_MAX_PATTERNS; k++) { snprintf(pats[k], sizeof(pats[k]), "~k%d", k); many[k] = pats[k]; }
    buf e2 = {0};
    CHECK(setuser(t, "x", many, ACL_MAX_PATTERNS, &e2) == 0);
    CHECK(setuser(t, "y", many, ACL_MAX_PATTERNS + 1, &e2) == -1 && strstr(e2.data, "Too many patterns"));
    buf_free(&e2);
    acl_deluser(t, "x", 1);
    CHECK(acl_find(t, "x", 1) == NULL);  /* all or nothing: no user made */
    /* before proposing: a rule that depends on the user passes to apply */
    rstr rm = {(char *)"<nopw", 5}, bad = {(char *)"+nosuch", 7};
    buf err = {0};
    CHECK(acl_rules_check(t, "x", 1, 1, &rm, &err) == 0 && err.len == 0);
    CHECK(acl_rules_check(t, "x", 1, 1, &bad, &err) == -1 && err.len > 0);
    buf_free(&err);
    acl_users_free(t);
}

static const char *rand_rule(unsigned *s) {
    static const char *const pool[] = {
        "+@all", "-@all", "+@read", "-@write", "+@admin", "-@dangerous", "+@string", "-@keyspace", "+@hash", "-@fast",
        "+get", "-get", "+set", "-config|get", "+config", "+client|list", "-client", "+select|1", "+debug|object",
        "~a*", "%R~r*", "%W~w*", "%RW~b", "allkeys", "resetkeys", "&c*", "allchannels", "resetchannels", "on", "off",
        "nopass", ">p1", ">p2", "resetpass", "(+get ~s*)", "(-@all +@read %R~q*)", "clearselectors", "reset",
        "sanitize-payload", "skip-sanitize-payload", "nocommands", "allcommands"};
    *s = *s * 1103515245u + 12345u;
    return pool[(*s >> 8) % (sizeof(pool) / sizeof(pool[0]))];
}

/* acl_load(acl_dump(t)) dumps the same text, and users describe the same,
 * over seeded random rule sets (rules that fail are skipped, as SETUSER
 * refuses them). */
static void test_round_trip(void) {
    unsigned seed = 12345;
    acl_users *t = acl_users_new(), *live = acl_users_new();
    buf text = {0};  /* the same changes made on the stored text, as apply does */
    for (int step = 0; step < 3000; step++) {
        const char *rules[6];
        int n = 1 + (int)(seed % 6);
        for (int i = 0; i < n; i++) rules[i] = rand_rule(&seed);
        char name[8];
        snprintf(name, sizeof(name), "u%u", (seed >> 4) % 5);
        const char *who = step % 97 == 0 ? "default" : name;
        buf err = {0}, next = {0}, err2 = {0};
        rstr *ra = args(rules, n);
        if (step % 41 == 0) {  /* now and then a user goes */
            rstr victim = {(char *)who, strlen(who)};
            CHECK(acl_text_deluser(text.data, text.len, 1, &victim, &next) == acl_deluser(t, who, strlen(who)));
        } else {
            int r1 = setuser(t, who, rules, n, &err);
            int r2 = acl_text_setuser(text.data, text.len, who, strlen(who), n, ra, &next, &err2);
            CHECKMSG(r1 == r2 && err.len == err2.len, "step %d: %d vs %d", step, r1, r2);
            if (r2 < 0) { next.len = 0; buf_append(&next, text.data ? text.data : "", text.len); }
        }
        free(ra);
        buf_free(&text);
        text = next;
        buf_free(&err);
        buf_free(&err2);
        buf d = {0};
        acl_dump(t, &d);
        CHECKMSG(d.len == text.len && (!d.len || memcmp(d.data, text.data, d.len) == 0),
                 "step %d: table\n%.*s\ntext\n%.*s", step, (int)d.len, d.data, (int)text.len, text.data);
        buf_free(&d);
        /* a live table follows the text line by line */
        CHECK(acl_users_sync(live, text.data, text.len) == 0);
        acl_dump(live, &d);
        CHECK(d.len == text.len && (!d.len || memcmp(d.data, text.data, d.len) == 0));
        CHECK(acl_users_count(live) == acl_users_count(t));
        buf_free(&d);
        if (step % 50) continue;
        buf a = {0}, b = {0};
        acl_dump(t, &a);
        acl_users *u = acl_load(a.data, a.len);
        CHECK(u != NULL);
        if (!u) { buf_free(&a); continue; }
        acl_dump(u, &b);
        CHECKMSG(a.len == b.len && (!a.len || memcmp(a.data, b.data, a.len) == 0), "step %d:\n%.*s\nvs\n%.*s", step, (int)a.len,
                 a.data, (int)b.len, b.data);
        CHECK(acl_users_count(u) == acl_users_count(t));
        acl_users_free(u);
        buf_free(&a);
        buf_free(&b);
    }
    acl_users_free(t);
    acl_users_free(live);
    buf_free(&text);
}

static int allowed(acl_users *t, const char *user, const char *cmd, const char *const *argv, int argc,
                   const int *keys, int nkeys) {
    rstr *a = args(argv, argc);
    int pos = 0, r = acl_check(acl_find(t, user, strlen(user)), acl_cmd_id(cmd, strlen(cmd)), 0, argc, a, keys, nkeys,
                               &pos);
    free(a);
    return r;
}

static void test_checks(void) {
    acl_users *t = acl_users_new();
    buf err = {0};
    const char *r[] = {"on", "nopass", "~app:*", "%R~ro:*", "%W~wo:*", "+@read", "+set", "+select|0", "(+incr ~n*)"};
    CHECK(setuser(t, "a", r, 9, &err) == 0);
    int k1[] = {1}, k13[] = {1, 2, 3};
    const char *get_app[] = {"get", "app:1"}, *get_wo[] = {"get", "wo:1"}, *set_wo[] = {"set", "wo:1", "v"},
               *set_wo_get[] = {"set", "wo:1", "v", "GET"}, *set_ro[] = {"set", "ro:1", "v"},
               *mget[] = {"mget", "app:1", "ro:1", "x"}, *incr_n[] = {"incr", "n1"}, *incr_app[] = {"incr", "app:1"},
               *sel0[] = {"select", "0"}, *sel1[] = {"select", "1"}, *del[] = {"del", "app:1"};
    CHECK(allowed(t, "a", "get", get_app, 2, k1, 1) == ACL_OK);
    CHECK(allowed(t, "a", "get", get_wo, 2, k1, 1) == ACL_DENIED_KEY);
    CHECK(allowed(t, "a", "set", set_wo, 3, k1, 1) == ACL_OK);
    CHECK(allowed(t, "a", "set", set_wo_get, 4, k1, 1) == ACL_DENIED_KEY);
    CHECK(allowed(t, "a", "set", set_ro, 3, k1, 1) == ACL_DENIED_KEY);
    CHECK(allowed(t, "a", "mget", mget, 4, k13, 3) == ACL_DENIED_KEY);
    CHECK(allowed(t, "a", "incr", incr_n, 2, k1, 1) == ACL_OK);          /* through the selector */
    CHECK(allowed(t, "a", "incr", incr_app, 2, k1, 1) == ACL_DENIED_KEY);
    CHECK(allowed(t, "a", "select", sel0, 2, NULL, 0) == ACL_OK);        /* first arg */
    CHECK(allowed(t, "a", "select", sel1, 2, NULL, 0) == ACL_DENIED_CMD);
    CHECK(allowed(t, "a", "del", del, 2, k1, 1) == ACL_DENIED_CMD);
    CHECK(acl_user_unrestricted(acl_find(t, "default", 7)) && !acl_user_unrestricted(acl_find(t, "a", 1)));
    CHECK(acl_password_ok(acl_find(t, "a", 1), "anything", 8));
    buf_free(&err);
    acl_users_free(t);
}

/* Every command and subcommand served has an ACL row, and RAFT.* are
 * @admin and @dangerous. */
static void test_table(void) {
    int n;
    command *tab = cmd_table(&n);
    for (int i = 0; i < n; i++) {
        CHECKMSG(acl_cmd_id(tab[i].name, strlen(tab[i].name)) >= 0, "no ACL row for %s", tab[i].name);
        for (const command *s = tab[i].subs; s && s->name; s++) {
            char full[128];
            int len = snprintf(full, sizeof(full), "%s|%s", tab[i].name, s->name);
            CHECKMSG(acl_cmd_id(full, (size_t)len) >= 0, "no ACL row for %s", full);
        }
    }
    uint32_t c = acl_cmd_categories(acl_cmd_id("raft.node|add", 13));
    CHECK((c & ACL_CAT_ADMIN) && (c & ACL_CAT_DANGEROUS));
    CHECK(acl_cmd_id("GET", 3) == acl_cmd_id("get", 3) && acl_cmd_id("nosuch", 6) == -1);
}

/* At apply, the requirepass rule counts only while the default user has
 * no line: a second SETUSER default with it keeps the password set by the
 * first. */
static void test_requirepass_rule(void) {
    char rule[ACL_REQUIREPASS_LEN];
    acl_requirepass_rule("old pw", rule);
    rstr r1[] = {{rule, ACL_REQUIREPASS_LEN}, {(char *)"-flushall", 9}};
    buf t1 = {0}, t2 = {0}, err = {0};
    CHECK(acl_text_setuser(NULL, 0, "default", 7, 2, r1, &t1, &err) == 0);
    acl_users *t = acl_load(t1.data, t1.len);
    acl_user *d = acl_find(t, "default", 7);
    CHECK(acl_password_ok(d, "old pw", 6) && !acl_password_ok(d, "other", 5) && !acl_user_nopass(d));
    acl_users_free(t);
    rstr r2[] = {{(char *)"resetpass", 9}, {(char *)">new", 4}};
    CHECK(acl_text_setuser(t1.data, t1.len, "default", 7, 2, r2, &t2, &err) == 0);
    t1.len = 0;
    CHECK(acl_text_setuser(t2.data, t2.len, "default", 7, 2, r1, &t1, &err) == 0);
    t = acl_load(t1.data, t1.len);
    d = acl_find(t, "default", 7);
    CHECK(acl_password_ok(d, "new", 3) && !acl_password_ok(d, "old pw", 6));
    acl_users_free(t);
    buf_free(&t1);
    buf_free(&t2);
    buf_free(&err);
}

/* A user deleted and made again between two syncs is another user: the
 * object a client holds is marked dead, not given the new rules. */
static void test_epochs(void) {
    buf a = {0}, b = {0}, c = {0}, err = {0};
    rstr on[] = {{(char *)"on", 2}, {(char *)">pw", 3}, {(char *)"+@all", 5}}, name = {(char *)"alice", 5};
    CHECK(acl_text_setuser(NULL, 0, "alice", 5, 3, on, &a, &err) == 0);
    acl_users *live = acl_users_new();
    CHECK(acl_users_sync(live, a.data, a.len) == 0);
    acl_user *held = acl_find(live, "alice", 5);
    acl_user_hold(held);
    CHECK(acl_text_deluser(a.data, a.len, 1, &name, &b) == 1);
    CHECK(acl_text_setuser(b.data, b.len, "alice", 5, 3, on, &c, &err) == 0);
    CHECK(acl_users_sync(live, c.data, c.len) == 0);
    CHECK(acl_user_dead(held) && acl_find(live, "alice", 5) != held && acl_find(live, "alice", 5) != NULL);
    acl_user_release(held);
    /* a line that does not load leaves its user disabled, not gone, not open */
    const char *bad = "epoch\t3\nuser\tbob\t=2\ton\tnopass\t+nosuchcommand\n";
    CHECK(acl_users_sync(live, bad, strlen(bad)) == 0);
    acl_user *bob = acl_find(live, "bob", 3);
    CHECK(bob && !acl_user_enabled(bob) && !acl_user_nopass(bob));
    acl_users_free(live);
    buf_free(&a);
    buf_free(&b);
    buf_free(&c);
    buf_free(&err);
}

int main(void) {
    test_requirepass_rule();
    test_epochs();
    test_descriptions();
    test_errors();
    test_round_trip();
    test_checks();
    test_table();
    return test_summary("acl");
}
