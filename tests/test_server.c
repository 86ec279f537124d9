/* Integration tests: a real raftkv-server process driven with hiredis.
 * Usage: test_server <raftkv-server binary>
 * Starts its own server on a free port in a fresh directory, checks every
 * command's replies and errors (the texts Redis 7.0 sends), pipelining,
 * binary data, a 100 MB value, 10,000 connections, restart and kill -9. */
#include "testlib.h"
#include <errno.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

static const char *server_bin;
static char dir[256];
static int port;
static pid_t pid;

static void msleep(int ms) { struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L}; nanosleep(&ts, NULL); }

/* A restart replays the whole log (a 100 MB value among it) under ASan:
 * allow it 60 s, but give up at once if the server died. */
static redisContext *connect_srv(void) {
    for (int i = 0; i < 2400; i++) {
        redisContext *c = redisConnect("127.0.0.1", port);
        if (c && !c->err) return c;
        redisFree(c);
        if (pid > 0 && waitpid(pid, NULL, WNOHANG) == pid) {
            fprintf(stderr, "server exited during start-up (see %s/server.log)\n", dir);
            exit(2);
        }
        msleep(25);
    }
    fprintf(stderr, "cannot connect to server on %d\n", port);
    if (pid > 0) kill(pid, SIGKILL);
    exit(2);
}

static void start_server(const char *extra) {
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    pid = fork();
    if (pid == 0) {
        char logf[300];
        snprintf(logf, sizeof(logf), "%s/server.log", dir);
        if (extra)
            execl(server_bin, server_bin, "--port", portstr, "--dir", dir, "--logfile", logf, "--maxclients", extra, (char *)NULL);
        else
            execl(server_bin, server_bin, "--port", portstr, "--dir", dir, "--logfile", logf, (char *)NULL);
        _exit(127);
    }
    redisFree(connect_srv());
}

/* Stops the server; returns its exit status (sanitizer reports make it non-zero). */
static int stop_server(int sig) {
    kill(pid, sig);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Renders a reply as compact text: +OK -ERR.. :1 $v $nil [a,b] */
static void render(redisReply *r, char *out, size_t cap) {
    size_t n = strlen(out);
    switch (r->type) {
    case REDIS_REPLY_STATUS: snprintf(out + n, cap - n, "+%s", r->str); break;
    case REDIS_REPLY_ERROR: snprintf(out + n, cap - n, "-%s", r->str); break;
    case REDIS_REPLY_INTEGER: snprintf(out + n, cap - n, ":%lld", r->integer); break;
    case REDIS_REPLY_NIL: snprintf(out + n, cap - n, "$nil"); break;
    case REDIS_REPLY_STRING: snprintf(out + n, cap - n, "$%.*s", (int)r->len, r->str); break;
    case REDIS_REPLY_ARRAY:
        snprintf(out + n, cap - n, "[");
        for (size_t i = 0; i < r->elements; i++) {
            if (i) strncat(out, ",", cap - strlen(out) - 1);
            render(r->element[i], out, cap);
        }
        strncat(out, "]", cap - strlen(out) - 1);
        break;
    default: snprintf(out + n, cap - n, "?%d", r->type);
    }
}

/* Sends a space-separated command and compares the rendered reply. */
static void expect_at(int line, redisContext *c, const char *cmd, const char *want) {
    char *copy = strdup(cmd), *argv[64], *save;
    int argc = 0;
    for (char *t = strtok_r(copy, " ", &save); t && argc < 64; t = strtok_r(NULL, " ", &save)) argv[argc++] = t;
    redisReply *r = redisCommandArgv(c, argc, (const char **)argv, NULL);
    char got[8192] = "";
    if (r) render(r, got, sizeof(got)); else snprintf(got, sizeof(got), "(connection error: %s)", c->errstr);
    CHECKMSG(strcmp(got, want) == 0, "line %d: %s -> got '%s', want '%s'", line, cmd, got, want);
    freeReplyObject(r);
    free(copy);
}
#define EXPECT(c, cmd, want) expect_at(__LINE__, c, cmd, want)

static void test_strings(redisContext *c) {
    EXPECT(c, "FLUSHALL", "+OK");
    EXPECT(c, "GET nokey", "$nil");
    EXPECT(c, "SET k v", "+OK");
    EXPECT(c, "GET k", "$v");
    EXPECT(c, "SET k v2 NX", "$nil");
    EXPECT(c, "SET k v2 XX", "+OK");
    EXPECT(c, "SET k2 v XX", "$nil");
    EXPECT(c, "SET k v3 GET", "$v2");
    EXPECT(c, "SET new v GET", "$nil");
    EXPECT(c, "SET k v NX XX", "-ERR syntax error");
    EXPECT(c, "SET k v FOO", "-ERR syntax error");
    EXPECT(c, "SET k", "-ERR wrong number of arguments for 'set' command");
    EXPECT(c, "SETNX k x", ":0");
    EXPECT(c, "SETNX k3 x", ":1");
    EXPECT(c, "GETSET k3 y", "$x");
    EXPECT(c, "GETSET nope y", "$nil");
    EXPECT(c, "GETDEL k3", "$y");
    EXPECT(c, "GETDEL k3", "$nil");
    EXPECT(c, "MSET a 1 b 2", "+OK");
    EXPECT(c, "MSET a 1 b", "-ERR wrong number of arguments for 'mset' command");
    EXPECT(c, "MGET a b zz", "[$1,$2,$nil]");
    EXPECT(c, "MSETNX a 1 q 2", ":0");
    EXPECT(c, "MSETNX q 1 r 2", ":1");
    EXPECT(c, "EXISTS a a b zz", ":3");
    EXPECT(c, "DEL a a zz", ":1");
    EXPECT(c, "UNLINK b q", ":2");
    EXPECT(c, "TYPE r", "+string");
    EXPECT(c, "TYPE zz", "+none");
    EXPECT(c, "APPEND ap hello", ":5");
    EXPECT(c, "APPEND ap _world", ":11");
    EXPECT(c, "STRLEN ap", ":11");
    EXPECT(c, "STRLEN zz", ":0");
    EXPECT(c, "GETRANGE ap 0 4", "$hello");
    EXPECT(c, "GETRANGE ap -5 -1", "$world");
    EXPECT(c, "GETRANGE ap 5 1", "$");
    EXPECT(c, "GETRANGE ap -1 -5", "$");
    EXPECT(c, "GETRANGE zz 0 -1", "$");
    EXPECT(c, "GETRANGE ap 0 x", "-ERR value is not an integer or out of range");
    EXPECT(c, "SETRANGE sr 2 ab", ":4");
    EXPECT(c, "SETRANGE sr -1 ab", "-ERR offset is out of range");
    /* checked before proposing: nothing is written, every node stays up */
    EXPECT(c, "SETRANGE sr 9223372036854775807 x", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    EXPECT(c, "SETRANGE sr 536870912 x", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    EXPECT(c, "SETRANGE sr 4294967296 x", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    EXPECT(c, "SETRANGE sr 9223372036854775808 x", "-ERR value is not an integer or out of range");
    EXPECT(c, "STRLEN sr", ":4");
    EXPECT(c, "SETRANGE nosr 3 ", "-ERR wrong number of arguments for 'setrange' command");
    EXPECT(c, "SETRANGE ap 0 J", ":11");
    EXPECT(c, "GET ap", "$Jello_world");
}

static void test_counters(redisContext *c) {
    EXPECT(c, "INCR n", ":1");
    EXPECT(c, "INCRBY n 10", ":11");
    EXPECT(c, "DECR n", ":10");
    EXPECT(c, "DECRBY n 20", ":-10");
    EXPECT(c, "INCRBY n x", "-ERR value is not an integer or out of range");
    EXPECT(c, "INCRBY n +1", "-ERR value is not an integer or out of range");
    EXPECT(c, "INCRBY n 01", "-ERR value is not an integer or out of range");
    EXPECT(c, "SET big 9223372036854775807", "+OK");
    EXPECT(c, "INCR big", "-ERR increment or decrement would overflow");
    EXPECT(c, "SET small -9223372036854775808", "+OK");
    EXPECT(c, "DECR small", "-ERR increment or decrement would overflow");
    EXPECT(c, "DECRBY n -9223372036854775808", "-ERR decrement would overflow");
    EXPECT(c, "SET s abc", "+OK");
    EXPECT(c, "INCR s", "-ERR value is not an integer or out of range");
    EXPECT(c, "SET sp 1_", "+OK");
    EXPECT(c, "INCR sp", "-ERR value is not an integer or out of range");
    EXPECT(c, "INCRBYFLOAT f 10.5", "$10.5");
    EXPECT(c, "INCRBYFLOAT f 0.1", "$10.6");
    EXPECT(c, "INCRBYFLOAT f -10.6", "$0");
    EXPECT(c, "INCRBYFLOAT f 5.0e3", "$5000");
    EXPECT(c, "INCRBYFLOAT f abc", "-ERR value is not a valid float");
    EXPECT(c, "INCRBYFLOAT s 1", "-ERR value is not a valid float");
    EXPECT(c, "INCRBYFLOAT f inf", "-ERR increment would produce NaN or Infinity");
}

static void test_keyspace(redisContext *c) {
    EXPECT(c, "FLUSHDB", "+OK");
    EXPECT(c, "DBSIZE", ":0");
    EXPECT(c, "RANDOMKEY", "$nil");
    EXPECT(c, "KEYS *", "[]");
    for (int i = 0; i < 100; i++) {
        redisReply *r = redisCommand(c, "SET key:%d %d", i, i);
        freeReplyObject(r);
    }
    EXPECT(c, "DBSIZE", ":100");
    EXPECT(c, "SET other x", "+OK");
    EXPECT(c, "KEYS oth*", "[$other]");
    EXPECT(c, "KEYS key:4[2]", "[$key:42]");
    /* SCAN visits every key exactly once, in batches near COUNT. */
    int seen[100] = {0}, total = 0;
    unsigned long long cursor = 0;
    int rounds = 0;
    do {
        redisReply *r = redisCommand(c, "SCAN %llu MATCH key:* COUNT 7", cursor);
        CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
        if (!r || r->type != REDIS_REPLY_ARRAY) break;
        cursor = strtoull(r->element[0]->str, NULL, 10);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            int k = atoi(r->element[1]->element[i]->str + 4);
            if (k >= 0 && k < 100) seen[k]++;
            total++;
        }
        freeReplyObject(r);
    } while (cursor != 0 && ++rounds < 1000);
    int once = 1;
    for (int i = 0; i < 100; i++) once &= seen[i] == 1;
    CHECK(once && total == 100);
    EXPECT(c, "SCAN 0 COUNT 0", "-ERR syntax error");
    EXPECT(c, "SCAN x", "-ERR invalid cursor");
    EXPECT(c, "SCAN 0 COUNT x", "-ERR value is not an integer or out of range");
    EXPECT(c, "SCAN 0 TYPE list COUNT 1000", "[$0,[]]");
    redisReply *r = redisCommand(c, "RANDOMKEY");
    CHECK(r && r->type == REDIS_REPLY_STRING);
    freeReplyObject(r);
    EXPECT(c, "FLUSHALL SYNC", "+OK");
    EXPECT(c, "FLUSHALL NOW", "-ERR syntax error");
    EXPECT(c, "DBSIZE", ":0");
}

static void test_connection(redisContext *c) {
    EXPECT(c, "PING", "+PONG");
    EXPECT(c, "PING hi", "$hi");
    EXPECT(c, "PING a b", "-ERR wrong number of arguments for 'ping' command");
    EXPECT(c, "ECHO hey", "$hey");
    EXPECT(c, "SELECT 0", "+OK");
    EXPECT(c, "SELECT 1", "-ERR SELECT is not allowed in cluster mode");
    EXPECT(c, "HELLO 3", "-NOPROTO unsupported protocol version");
    EXPECT(c, "HELLO x", "-ERR Protocol version is not an integer or out of range");
    EXPECT(c, "NOSUCH a b", "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' ");
    EXPECT(c, "CLIENT NOSUCH", "-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.");
    EXPECT(c, "CLIENT SETNAME a b", "-ERR wrong number of arguments for 'client|setname' command");
    EXPECT(c, "CLIENT GETNAME", "$nil");
    EXPECT(c, "CLIENT SETNAME tester", "+OK");
    EXPECT(c, "CLIENT GETNAME", "$tester");
    EXPECT(c, "CLIENT SETNAME a\nb", "-ERR Client names cannot contain spaces, newlines or special characters.");
    EXPECT(c, "CLIENT KILL 1.2.3.4:5", "-ERR No such client");
    EXPECT(c, "CLIENT KILL ID 0", "-ERR client-id should be greater than 0");
    EXPECT(c, "CLIENT KILL ID 999999", ":0");
    EXPECT(c, "CONFIG GET maxclients", "[$maxclients,$10000]");
    EXPECT(c, "CONFIG SET maxclients 500", "+OK");
    EXPECT(c, "CONFIG GET maxclients", "[$maxclients,$500]");
    EXPECT(c, "CONFIG SET maxclients 10000", "+OK");
    EXPECT(c, "CONFIG SET nosuch 1", "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
    EXPECT(c, "CONFIG SET port 1", "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config");
    EXPECT(c, "COMMAND COUNT", ":167");
    EXPECT(c, "CONFIG SET log-cache-size 1mb", "-ERR CONFIG SET failed (possibly related to argument 'log-cache-size') - can't set immutable config");
    EXPECT(c, "CONFIG GET log-cache-size", "[$log-cache-size,$16777216]");
    /* limits that must hold on every node alike */
    EXPECT(c, "CONFIG SET proto-max-bulk-len 513mb", "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument couldn't be parsed or is out of range");
    EXPECT(c, "CONFIG SET appendfsync everysec", "-ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument couldn't be parsed or is out of range");
    EXPECT(c, "CONFIG SET max-uncommitted-bytes 1mb", "+OK");
    EXPECT(c, "CONFIG GET max-uncommitted-bytes", "[$max-uncommitted-bytes,$1048576]");
    EXPECT(c, "CONFIG SET max-uncommitted-bytes 128mb", "+OK");
    /* the store's memory is set at start */
    EXPECT(c, "CONFIG GET key-cache-size", "[$key-cache-size,$33554432]");
    EXPECT(c, "CONFIG GET leveldb-cache-size", "[$leveldb-cache-size,$67108864]");
    EXPECT(c, "CONFIG SET leveldb-write-buffer-size 8mb", "-ERR CONFIG SET failed (possibly related to argument 'leveldb-write-buffer-size') - can't set immutable config");
    EXPECT(c, "CONFIG GET read-consistency", "[$read-consistency,$linearizable]");
    EXPECT(c, "CONFIG GET follower-reads", "[$follower-reads,$yes]");
    /* off by default, as in Redis 7: DEBUG DIGEST walks every key on the loop */
    EXPECT(c, "DEBUG HELP", "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
    EXPECT(c, "CONFIG GET enable-debug-command", "[$enable-debug-command,$no]");
    EXPECT(c, "CONFIG SET enable-debug-command yes", "-ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set immutable config");
    EXPECT(c, "COMMAND INFO get nosuch", "[[$get,:2,[+readonly,+fast],:1,:1,:1,[+@read,+@string,+@fast],[],[],[]],$nil]");
    EXPECT(c, "COMMAND INFO mset", "[[$mset,:-3,[+write,+denyoom],:1,:-1,:2,[+@write,+@string,+@slow],[],[],[]]]");
    redisReply *r = redisCommand(c, "CLIENT LIST");
    CHECK(r && r->type == REDIS_REPLY_STRING && strstr(r->str, "name=tester") && strstr(r->str, "cmd=client|list"));
    freeReplyObject(r);
    /* an ID named again is listed once: the reply stays bounded by the clients */
    r = redisCommand(c, "CLIENT ID");
    long long me = r ? r->integer : 0;
    freeReplyObject(r);
    r = redisCommand(c, "CLIENT LIST ID %lld 999999 %lld %lld", me, me, me);
    CHECK(r && r->type == REDIS_REPLY_STRING && strstr(r->str, "name=tester") &&
          strchr(r->str, '\n') == r->str + r->len - 1);  /* one line */
    freeReplyObject(r);
    /* at most 1,024 CONFIG GET patterns: each is matched against every option on the loop */
    const char *pats[1027];
    pats[0] = "CONFIG", pats[1] = "GET";
    for (int i = 2; i < 1027; i++) pats[i] = "max*";
    r = redisCommandArgv(c, 1026, pats, NULL);
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements > 0);
    freeReplyObject(r);
    r = redisCommandArgv(c, 1027, pats, NULL);
    CHECK(r && r->type == REDIS_REPLY_ERROR && !strcmp(r->str, "ERR CONFIG GET takes at most 1024 patterns"));
    freeReplyObject(r);
    r = redisCommand(c, "INFO");
    CHECK(r && r->type == REDIS_REPLY_STRING && strstr(r->str, "# Server\r\n") && strstr(r->str, "# Keyspace"));
    freeReplyObject(r);
    r = redisCommand(c, "INFO commandstats");
    CHECK(r && r->type == REDIS_REPLY_STRING && strstr(r->str, "cmdstat_ping:calls="));
    freeReplyObject(r);
    r = redisCommand(c, "TIME");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    freeReplyObject(r);
    r = redisCommand(c, "COMMAND DOCS get");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    freeReplyObject(r);
}

static void test_binary_and_pipeline(redisContext *c) {
    char key[] = "bin\0key\r\n", val[256];
    for (int i = 0; i < 256; i++) val[i] = (char)i;
    redisReply *r = redisCommand(c, "SET %b %b", key, sizeof(key), val, sizeof(val));
    freeReplyObject(r);
    r = redisCommand(c, "GET %b", key, sizeof(key));
    CHECK(r && r->type == REDIS_REPLY_STRING && r->len == sizeof(val) && !memcmp(r->str, val, sizeof(val)));
    freeReplyObject(r);
    /* 10,000 pipelined commands, replies in order. */
    for (int i = 0; i < 10000; i++) redisAppendCommand(c, i % 2 ? "GET p:%d" : "SET p:%d %d", i / 2, i);
    int ok = 1;
    for (int i = 0; i < 10000; i++) {
        void *rep;
        if (redisGetReply(c, &rep) != REDIS_OK) { ok = 0; break; }
        r = rep;
        if (i % 2) ok &= r->type == REDIS_REPLY_STRING && atoi(r->str) == i - 1;
        else ok &= r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
    }
    CHECK(ok);
}

static void test_big_value(redisContext *c) {
    size_t n = 100u << 20;
    char *v = malloc(n);
    for (size_t i = 0; i < n; i++) v[i] = (char)(i * 7);
    redisReply *r = redisCommand(c, "SET bigval %b", v, n);
    CHECK(r && r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = redisCommand(c, "GET bigval");
    CHECK(r && r->type == REDIS_REPLY_STRING && r->len == n && !memcmp(r->str, v, n));
    freeReplyObject(r);
    EXPECT(c, "DEL bigval", ":1");
    free(v);
    /* the limit at apply: a value 11 bytes short of 512 MB, then an APPEND
     * one byte past it (the check that needs the data runs when applied).
     * Minutes on a sanitizer build: make test-long (TEST_LONG=1) only, as
     * is the hostile suite's APPEND past 512 MB on a cluster; make test
     * checks the check before proposing with proto-max-bulk-len at 1mb
     * (hostile, "proto-max-bulk-len 1mb on one node only"). */
    if (!getenv("TEST_LONG")) return;
    EXPECT(c, "SETRANGE big512 536870900 x", ":536870901");
    EXPECT(c, "APPEND big512 0123456789AB", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    EXPECT(c, "APPEND big512 0123456789A", ":536870912");
    EXPECT(c, "SETRANGE big512 536870911 xy", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    EXPECT(c, "STRLEN big512", ":536870912");
    EXPECT(c, "DEL big512", ":1");
}

/* Raw socket helper for malformed input: returns what the server sent before closing. */
static void raw_exchange(const char *send_bytes, size_t n, char *out, size_t cap) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    out[0] = '\0';
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) { close(fd); return; }
    if (write(fd, send_bytes, n) < 0) { close(fd); return; }
    size_t got = 0;
    ssize_t r;
    while (got + 1 < cap && (r = read(fd, out + got, cap - got - 1)) > 0) got += (size_t)r;
    out[got] = '\0';
    close(fd);
}

static void test_protocol_errors(void) {
    char out[512];
    /* a request whose headers alone pass the largest one a node takes:
     * refused before its bytes arrive */
    raw_exchange("*2147483647\r\n", 13, out, sizeof(out));
    CHECK(!strcmp(out, "-ERR Protocol error: request exceeds 537919488 bytes, the largest one node takes\r\n"));
    raw_exchange("*16809985\r\n", 12, out, sizeof(out));  /* one argument more than fits */
    CHECK(!strcmp(out, "-ERR Protocol error: request exceeds 537919488 bytes, the largest one node takes\r\n"));
    raw_exchange("*abc\r\n", 6, out, sizeof(out));
    CHECK(!strcmp(out, "-ERR Protocol error: invalid multibulk length\r\n"));
    raw_exchange("PING\r\n*1\r\nx\r\n", 13, out, sizeof(out));
    CHECK(!strcmp(out, "+PONG\r\n-ERR Protocol error: expected '$', got 'x'\r\n"));
    raw_exchange("*1\r\n$-5\r\n", 9, out, sizeof(out));
    CHECK(!strcmp(out, "-ERR Protocol error: invalid bulk length\r\n"));
    raw_exchange("SET a \"b\r\n", 10, out, sizeof(out));
    CHECK(!strcmp(out, "-ERR Protocol error: unbalanced quotes in request\r\n"));
    raw_exchange("PING\r\nQUIT\r\nPING\r\n", 18, out, sizeof(out));
    CHECK(!strcmp(out, "+PONG\r\n+OK\r\n"));
}

static void test_many_connections(void) {
    int ok = 1;
    for (int round = 0; round < 10; round++) {
        redisContext *cs[1000];
        for (int i = 0; i < 1000; i++) cs[i] = redisConnect("127.0.0.1", port);
        for (int i = 0; i < 1000; i++) {
            redisReply *r = cs[i] && !cs[i]->err ? redisCommand(cs[i], "PING") : NULL;
            ok &= r && r->type == REDIS_REPLY_STATUS;
            freeReplyObject(r);
            redisFree(cs[i]);
        }
    }
    CHECK(ok);
}

static void test_durability(void) {
    redisContext *c = connect_srv();
    EXPECT(c, "SET durable yes", "+OK");
    for (int i = 0; i < 2000; i++) redisAppendCommand(c, "INCR counter");
    long long last = 0;
    for (int i = 0; i < 2000; i++) {
        void *rep;
        if (redisGetReply(c, &rep) != REDIS_OK) break;
        last = ((redisReply *)rep)->integer;
        freeReplyObject(rep);
    }
    CHECK(last == 2000);
    redisFree(c);
    CHECK(stop_server(SIGKILL) == 128 + SIGKILL);
    start_server(NULL);
    c = connect_srv();
    EXPECT(c, "GET durable", "$yes");
    EXPECT(c, "GET counter", "$2000");
    redisFree(c);
    CHECK(stop_server(SIGTERM) == 0);
    start_server(NULL);
    c = connect_srv();
    EXPECT(c, "GET counter", "$2000");
    redisFree(c);
}

/* requirepass, AUTH and HELLO AUTH on one node (every reply is compared
 * with redis-server's by differential_test.py; this is the CONFIG SET side):
 * a password counts for new AUTHs at once, connections already
 * authenticated stay so, one cut short at a NUL is refused, and clearing
 * it opens the node again. */
static void test_auth(void) {
    redisContext *admin = connect_srv(), *c = connect_srv();
    EXPECT(admin, "AUTH x", "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
    EXPECT(admin, "AUTH default x", "+OK");
    EXPECT(admin, "CONFIG SET requirepass pw1", "+OK");
    EXPECT(admin, "CONFIG GET requirepass", "[$requirepass,$pw1]");
    EXPECT(admin, "SET authkey 1", "+OK");
    EXPECT(c, "GET authkey", "$1");  /* connected before the password: stays authenticated */
    redisFree(c);
    c = connect_srv();
    EXPECT(c, "GET authkey", "-NOAUTH Authentication required.");
    EXPECT(c, "ACL WHOAMI", "-NOAUTH Authentication required.");
    EXPECT(c, "AUTH pw2", "-WRONGPASS invalid username-password pair or user is disabled.");
    EXPECT(c, "AUTH nobody pw1", "-WRONGPASS invalid username-password pair or user is disabled.");
    EXPECT(c, "AUTH default pw1", "+OK");
    EXPECT(c, "ACL WHOAMI", "$default");
    EXPECT(c, "ACL USERS", "[$default]");
    redisReply *r = redisCommand(c, "CLIENT INFO");
    CHECK(r && r->type == REDIS_REPLY_STRING && strstr(r->str, " user=default "));
    freeReplyObject(r);
    EXPECT(admin, "CONFIG SET requirepass pw2", "+OK");
    EXPECT(c, "GET authkey", "$1");
    redisFree(c);
    c = connect_srv();
    EXPECT(c, "AUTH pw1", "-WRONGPASS invalid username-password pair or user is disabled.");
    r = redisCommand(c, "HELLO 2 AUTH default pw2 SETNAME authed");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 14);
    freeReplyObject(r);
    EXPECT(c, "CLIENT GETNAME", "$authed");
    r = redisCommand(admin, "CONFIG SET requirepass %b", "\0pw", (size_t)3);
    CHECK(r && r->type == REDIS_REPLY_ERROR && strstr(r->str, "argument couldn't be parsed"));
    freeReplyObject(r);
    EXPECT(admin, "CONFIG GET requirepass", "[$requirepass,$pw2]");
    r = redisCommand(admin, "CONFIG SET requirepass %s", "");
    CHECK(r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK"));
    freeReplyObject(r);
    redisFree(c);
    c = connect_srv();
    EXPECT(c, "GET authkey", "$1");
    EXPECT(c, "CONFIG GET protected-mode", "[$protected-mode,$yes]");
    redisFree(c);
    redisFree(admin);
}

static void test_maxclients(void) {
    redisContext *c = connect_srv();
    EXPECT(c, "CONFIG SET maxclients 2", "+OK");
    redisContext *c2 = connect_srv();
    char out[128];
    raw_exchange("PING\r\n", 6, out, sizeof(out));
    CHECK(!strcmp(out, "-ERR max number of clients reached\r\n"));
    redisFree(c2);
    EXPECT(c, "CONFIG SET maxclients 10000", "+OK");
    redisFree(c);
}

/* A node whose limit on open files cannot be raised (an unprivileged user
 * with ulimit -n 700) lowers maxclients to what it leaves after its own
 * reserve (564), says so, refuses the clients past it, and keeps working:
 * its log and LevelDB always have descriptors. */
static void test_open_files_limit(void) {
    char d[300], logf[340], portstr[16], line[512];
    snprintf(d, sizeof(d), "%s-nofile", dir);
    snprintf(logf, sizeof(logf), "%s/server.log", d);
    snprintf(portstr, sizeof(portstr), "%d", port + 1);
    mkdir(d, 0777);
    if (chown(d, 65534, 65534) != 0) { fprintf(stderr, "open-files test needs root: skipped\n"); return; }
    pid_t p = fork();
    if (p == 0) {
        struct rlimit rl = {700, 700};
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(126);
        execl(server_bin, server_bin, "--port", portstr, "--dir", d, "--logfile", logf, "--enable-debug-command",
              "local", (char *)NULL);
        _exit(127);
    }
    redisContext *c = NULL;
    for (int i = 0; i < 2400 && !c; i++) {
        c = redisConnect("127.0.0.1", port + 1);
        if (c && c->err) { redisFree(c); c = NULL; msleep(25); }
    }
    CHECK(c != NULL);
    if (!c) { kill(p, SIGKILL); waitpid(p, NULL, 0); return; }
    EXPECT(c, "CONFIG GET maxclients", "[$maxclients,$136]");
    EXPECT(c, "CONFIG SET maxclients 1000", "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle the specified number of clients, try with 136");
    redisContext *cs[140];
    int ok = 0, refused = 0;
    for (int i = 0; i < 140; i++) {
        cs[i] = redisConnect("127.0.0.1", port + 1);
        redisReply *r = cs[i] && !cs[i]->err ? redisCommand(cs[i], "PING") : NULL;
        if (r && r->type == REDIS_REPLY_STATUS) ok++;
        else if (r && r->type == REDIS_REPLY_ERROR && !strcmp(r->str, "ERR max number of clients reached")) refused++;
        freeReplyObject(r);
    }
    CHECKMSG(ok == 135 && refused == 5, "with 136 clients allowed: %d answered, %d refused", ok, refused);
    EXPECT(c, "SET afterfull 1", "+OK");  /* the log and LevelDB still have their descriptors */
    /* enable-debug-command local: allowed from loopback */
    EXPECT(c, "DEBUG HELP", "[+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:,+DIGEST,+    Output a hex signature representing the current DB content.,+DROP-PEER-LINKS <node-id> [INBOUND|OUTBOUND],+    Close this node's connections with that peer, as a network fault would: both, the one that,+    peer dialled (INBOUND), or the one this node dialled (OUTBOUND).,+HELP,+    Print this help.]");
    EXPECT(c, "DEBUG DROP-PEER-LINKS 99", ":0");
    EXPECT(c, "DEBUG DROP-PEER-LINKS 0", "-ERR value is not an integer or out of range");
    EXPECT(c, "DEBUG DROP-PEER-LINKS -1", "-ERR value is not an integer or out of range");
    EXPECT(c, "DEBUG DROP-PEER-LINKS x", "-ERR value is not an integer or out of range");
    EXPECT(c, "DEBUG DROP-PEER-LINKS 99 inbound", ":0");
    EXPECT(c, "DEBUG DROP-PEER-LINKS 99 OUTBOUND", ":0");
    EXPECT(c, "DEBUG DROP-PEER-LINKS 99 both", "-ERR syntax error");
    EXPECT(c, "DEBUG DROP-PEER-LINKS x sideways", "-ERR value is not an integer or out of range");
    EXPECT(c, "DEBUG nosuch", "-ERR unknown subcommand or wrong number of arguments for 'nosuch'. Try DEBUG HELP.");
    redisReply *dg = redisCommand(c, "DEBUG DIGEST");
    CHECK(dg && dg->type == REDIS_REPLY_STATUS && strlen(dg->str) == 40 && strspn(dg->str, "0123456789abcdef") == 40 &&
          strcmp(dg->str, "0000000000000000000000000000000000000000") != 0);
    freeReplyObject(dg);
    for (int i = 0; i < 140; i++) redisFree(cs[i]);
    redisFree(c);
    kill(p, SIGTERM);
    int st;
    waitpid(p, &st, 0);
    CHECKMSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "server exit status %d", st);
    FILE *f = fopen(logf, "r");
    int said = 0;
    while (f && fgets(line, sizeof(line), f)) said |= strstr(line, "maxclients is lowered to 136") != NULL;
    if (f) fclose(f);
    CHECK(said);
    char rm[400];
    snprintf(rm, sizeof(rm), "rm -rf %s", d);
    if (t_fail == 0 && system(rm) != 0) fprintf(stderr, "cannot remove %s\n", d);
}

/* Whether 127.0.0.1:p can be bound now. */
static int port_free(int p) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));  /* as the server does */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

/* Client ports p and p + 1 (the open-files test's node) and their peer
 * ports (+ 10000), all free and below Linux's ephemeral range (32768 on),
 * where the many connections of other suites running beside this one
 * could hold them. */
static int pick_port(void) {
    srandom((unsigned)getpid());
    for (int tries = 0; tries < 1000; tries++) {
        int p = 10000 + (int)(random() % 12000);
        if (port_free(p) && port_free(p + 1) && port_free(p + 10000) && port_free(p + 10001)) return p;
    }
    return 10000 + getpid() % 12000;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s raftkv-server\n", argv[0]); return 2; }
    server_bin = argv[1];
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof(dir), "/tmp/raftkv-test-%d", (int)getpid());
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    char mk[600];
    snprintf(mk, sizeof(mk), "rm -rf %s && mkdir -p %s", dir, dir);
    if (system(mk) != 0) return 2;
    port = pick_port();
    start_server(NULL);
    redisContext *c = connect_srv();
    test_strings(c);
    test_counters(c);
    test_keyspace(c);
    test_connection(c);
    test_binary_and_pipeline(c);
    test_big_value(c);
    redisFree(c);
    test_protocol_errors();
    test_many_connections();
    test_auth();
    test_maxclients();
    test_open_files_limit();
    test_durability();
    int st = stop_server(SIGTERM);
    CHECKMSG(st == 0, "server exit status %d (sanitizer report in %s/server.log?)", st, dir);
    if (t_fail == 0 && system(cmd) != 0) return 2;
    return test_summary("server");
}
