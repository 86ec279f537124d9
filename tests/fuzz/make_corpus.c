/* make_corpus: writes the fuzzers' seed corpus (tests/fuzz/corpus/<target>/)
 * with raftkv's own encoders, so that every seed is a valid input of the
 * form its target expects (the control bytes the targets take first are
 * documented at the top of each fuzz_<target>.c), plus a few invalid ones
 * and the inputs of the bugs the fuzzers found. Deterministic: running it
 * again writes the same files. Usage: make_corpus <dir> (`make fuzz-corpus`). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "entry.h"
#include "image.h"
#include "peer.h"
#include "wal.h"

static const char *root;

static void die(const char *what) {
    fprintf(stderr, "make_corpus: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void put(const char *target, const char *name, const void *p, size_t n) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", root, target);
    if (mkdir(path, 0755) < 0 && errno != EEXIST) die(path);
    snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f)) die(path);
}

static void put_str(const char *target, const char *name, const char *s) { put(target, name, s, strlen(s)); }

/* A string literal's bytes, NULs included, without its terminating NUL. */
#define LIT(s) s, sizeof(s) - 1

/* Two control bytes, then the body. */
static void put_ctl(const char *target, const char *name, int b0, int b1, const void *p, size_t n) {
    buf b;
    buf_init(&b);
    char ctl[2] = {(char)b0, (char)b1};
    buf_append(&b, ctl, 2);
    buf_append(&b, p, n);
    put(target, name, b.data, b.len);
    buf_free(&b);
}

/* ---- entries ---- */

static void command(buf *out, uint64_t time_ms, int argc, const char *const *args) {
    rstr v[8];
    for (int i = 0; i < argc; i++) v[i] = (rstr){(char *)args[i], strlen(args[i])};
    entry_encode(out, ENTRY_COMMAND, time_ms, argc, v);
}

static const char *const SET_KV[] = {"SET", "key", "value"};
static const char *const INCR[] = {"INCR", "counter"};
static const char *const MSET[] = {"MSET", "a", "1", "b", "2", "c", "3"};
#define MEMBERS_TEXT "1=127.0.0.1:7001@17001,2=127.0.0.1:7002@17002,3=127.0.0.1:7003@17003"

static void corpus_entry(void) {
    buf b;
    buf_init(&b);
    command(&b, 1700000000000ULL, 3, SET_KV);
    put("entry", "set", b.data, b.len);
    b.len = 0;
    command(&b, 42, 7, MSET);
    put("entry", "mset", b.data, b.len);
    b.len = 0;
    rstr bin[2] = {{(char *)"APPEND", 6}, {(char *)"bin\0\r\n\xff", 7}};
    entry_encode(&b, ENTRY_COMMAND, 0, 2, bin);
    put("entry", "binary", b.data, b.len);
    b.len = 0;
    entry_encode(&b, ENTRY_NOOP, 7, 0, NULL);
    put("entry", "noop", b.data, b.len);
    put("entry", "cut", b.data, 12);
    buf_free(&b);
}

/* ---- RESP requests: seed byte, proto-max-bulk-len byte, stream ---- */

static void corpus_resp(void) {
    put_ctl("resp", "set", 1, 64, LIT("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"));
    put_ctl("resp", "pipeline", 2, 64, LIT("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n"
                                           "PING\r\n*2\r\n$3\r\nDEL\r\n$3\r\nkey\r\nECHO hello\n"));
    put_ctl("resp", "inline", 3, 64, LIT("SET \"quoted \\x41\\n\\\"\" 'single \\' quote' plain\r\n"));
    put_ctl("resp", "binary", 4, 64, LIT("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\na\r\n\0b\n\r\n"));
    put_ctl("resp", "over-max-bulk", 5, 16, LIT("*2\r\n$4\r\nECHO\r\n$20\r\n01234567890123456789\r\n"));
    put_ctl("resp", "empty", 6, 64, LIT("*0\r\n*-1\r\n\r\n   \n"));
    put_ctl("resp", "cut", 7, 64, LIT("*3\r\n$3\r\nSET\r\n$3\r\nke"));
    put_ctl("resp", "bad-dollar", 8, 64, LIT("*1\r\n:12\r\n"));
    put_ctl("resp", "unbalanced", 9, 64, LIT("GET \"key\n"));
}

/* ---- peer frames and messages ---- */

static raft_entry mk_entry(uint64_t term, uint64_t index, int type, buf *data) {
    return (raft_entry){term, index, type, data ? data->data : NULL, data ? data->len : 0};
}

static raft_msg mk_msg(int type, uint64_t index) {
    raft_msg m;
    memset(&m, 0, sizeof(m));
    m.type = type;
    m.from = 2, m.to = 1, m.term = 7, m.index = index, m.log_term = 6, m.commit = 9;
    return m;
}

static void frame_raft(buf *b, const raft_msg *m) {
    size_t s = peer_frame_begin(b, FR_RAFT);
    peer_encode_raft(b, m);
    peer_frame_end(b, s);
}

static void frame_u64s(buf *b, int type, int n, const uint64_t *v) {
    size_t s = peer_frame_begin(b, type);
    for (int i = 0; i < n; i++) buf_put_u64(b, v[i]);
    peer_frame_end(b, s);
}

static void frame_bytes(buf *b, int type, const void *p, size_t n) {
    size_t s = peer_frame_begin(b, type);
    buf_append(b, p, n);
    peer_frame_end(b, s);
}

/* Seeds of fuzz_peer's handshake modes: a listener given a HELLO and an
 * AUTH (whose proof cannot check), or a frame out of turn; a dialler
 * given a CHALLENGE or a REFUSE. */
static void corpus_handshake(const char *hello, size_t hello_len, const peer_hs *d) {
    buf b;
    buf_init(&b);
    char zero[PEER_PROOF] = {0};
    buf_append(&b, hello, hello_len);
    frame_bytes(&b, FR_AUTH, zero, sizeof(zero));
    put_ctl("peer", "hs-listener", 2, 0, b.data, b.len);
    b.len = 0;
    buf_append(&b, hello, hello_len);
    b.data[PEER_HEADER + 24] = 0;  /* no secret, to a listener without one: it answers */
    peer_frame_end(&b, 0);
    put_ctl("peer", "hs-listener-no-secret", 2, 0x80, b.data, b.len);
    b.len = 0;
    buf_append(&b, hello, hello_len);
    uint64_t closing = 77;
    frame_u64s(&b, FR_FORWARD_CLOSE, 1, &closing);
    put_ctl("peer", "hs-listener-frame-early", 2, 1, b.data, b.len);
    b.len = 0;
    size_t s = peer_frame_begin(&b, FR_CHALLENGE);
    buf_put_u64(&b, d->cluster_id);
    buf_put_u64(&b, 1);
    buf_put_u64(&b, 2);
    buf_append(&b, "\1", 1);
    buf_append(&b, d->nonce_d, PEER_NONCE);  /* any nonce */
    buf_append(&b, zero, sizeof(zero));
    peer_frame_end(&b, s);
    put_ctl("peer", "hs-dialler", 3, 0, b.data, b.len);
    b.len = 0;
    char reason = REFUSE_PROOF;
    frame_bytes(&b, FR_REFUSE, &reason, 1);
    put_ctl("peer", "hs-dialler-refused", 3, 1, b.data, b.len);
    buf_free(&b);
}

static void corpus_peer(void) {
    buf cmd, conf, b, stream;
    buf_init(&cmd);
    buf_init(&conf);
    buf_init(&b);
    buf_init(&stream);
    command(&cmd, 1700000000000ULL, 3, SET_KV);
    buf_appendstr(&conf, MEMBERS_TEXT ",4=127.0.0.1:7004@17004/learner");
    raft_entry ents[3] = {mk_entry(6, 11, RAFT_ENTRY_COMMAND, &cmd), mk_entry(7, 12, RAFT_ENTRY_NOOP, NULL),
                          mk_entry(7, 13, RAFT_ENTRY_CONFIG, &conf)};
    raft_msg app = mk_msg(MSG_APPEND, 10);
    app.entries = ents;
    app.nentries = 3;
    raft_msg vote = mk_msg(MSG_VOTE, 12), resp = mk_msg(MSG_APPEND_RESP, 13), hb = mk_msg(MSG_HEARTBEAT, 0);
    resp.reject = 1, resp.hint_index = 5, resp.hint_term = 3;
    hb.context = 99;

    /* fuzz_peer's ids and secret: node 2 dials node 1 */
    static const unsigned char secret[] = "fuzz cluster secret";
    peer_hs d;
    peer_hs_init(&d, 1, 0x1234567890abcdefULL, 2, 1, secret, sizeof(secret) - 1);
    peer_hs_hello(&d, &stream);
    memset(stream.data + PEER_HEADER + 25, 0x5a, PEER_NONCE);  /* a fixed nonce: the same corpus every time */
    memset(d.nonce_d, 0x5a, PEER_NONCE);
    peer_frame_end(&stream, 0);
    put_ctl("peer", "stream-hello", 0, 1, stream.data, stream.len);
    size_t hello_len = stream.len;
    frame_raft(&b, &app);
    put_ctl("peer", "stream-append", 0, 2, b.data, b.len);
    buf_append(&stream, b.data, b.len);
    frame_raft(&stream, &vote);
    frame_raft(&stream, &resp);
    frame_raft(&stream, &hb);
    size_t s = peer_frame_begin(&stream, FR_FORWARD);
    buf_put_u64(&stream, 77);
    buf_append(&stream, cmd.data, cmd.len);
    peer_frame_end(&stream, s);
    s = peer_frame_begin(&stream, FR_FORWARD_REPLY);
    buf_put_u64(&stream, 77);
    buf_appendstr(&stream, "+OK\r\n");
    peer_frame_end(&stream, s);
    uint64_t closing = 77;
    frame_u64s(&stream, FR_FORWARD_CLOSE, 1, &closing);
    s = peer_frame_begin(&stream, FR_SNAP);
    uint64_t snap[3] = {5, 7, 0};
    for (int i = 0; i < 3; i++) buf_put_u64(&stream, snap[i]);
    buf_append(&stream, "\1" IMG_MAGIC, 9);
    peer_frame_end(&stream, s);
    s = peer_frame_begin(&stream, FR_SNAP_ACK);
    buf_put_u64(&stream, 5);
    buf_put_u64(&stream, 8);
    buf_append(&stream, "\1", 1);
    buf_put_u64(&stream, 13);
    peer_frame_end(&stream, s);
    put_ctl("peer", "stream-all-types", 0, 3, stream.data, stream.len);
    put_ctl("peer", "stream-cut", 0, 4, stream.data, stream.len - 3);
    put_ctl("peer", "after-auth-all-types", 4, 3, stream.data + hello_len, stream.len - hello_len);
    corpus_handshake(stream.data, hello_len, &d);

    b.len = 0;
    peer_encode_raft(&b, &app);
    put_ctl("peer", "payload-append", 1, FR_RAFT, b.data, b.len);
    /* the append in parts (a link sends parts of 256 KB; any size joins) */
    buf parts;
    buf_init(&parts);
    size_t cut[3] = {0, b.len / 3, 2 * b.len / 3};
    for (int i = 0; i < 3; i++) {
        size_t end = i < 2 ? cut[i + 1] : b.len;
        s = peer_frame_begin(&parts, i < 2 ? FR_PART : FR_RAFT);
        if (i < 2) {
            buf_append(&parts, "\0", 1);
            buf_put_u32(&parts, (uint32_t)b.len);
        }
        buf_append(&parts, b.data + cut[i], end - cut[i]);
        peer_frame_end(&parts, s);
    }
    put_ctl("peer", "stream-append-in-parts", 0, 5, parts.data, parts.len);
    buf_free(&parts);
    b.len = 0;
    peer_encode_raft(&b, &resp);
    put_ctl("peer", "payload-append-resp", 1, FR_RAFT, b.data, b.len);
    b.len = 0;
    peer_encode_raft(&b, &hb);
    put_ctl("peer", "payload-heartbeat", 1, FR_RAFT, b.data, b.len);
    b.len = 0;
    buf_put_u64(&b, 77);
    buf_append(&b, cmd.data, cmd.len);
    put_ctl("peer", "payload-forward", 1, FR_FORWARD, b.data, b.len);
    buf_free(&cmd);
    buf_free(&conf);
    buf_free(&b);
    buf_free(&stream);
}

/* ---- WAL directories: raft-state, then the segments in order ---- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void slurp(const char *dir, const char *name, buf *out) {
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return;
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) buf_append(out, tmp, n);
    fclose(f);
}

/* The directory as one fuzz_wal input; removes its files. */
static void dir_input(const char *dir, buf *out) {
    out->len = 0;
    slurp(dir, "raft-state", out);
    char *names[64];
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (!strncmp(de->d_name, "wal-", 4) && n < 64) names[n++] = strdup(de->d_name);
    if (d) closedir(d);
    qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
    for (int i = 0; i < n; i++) {
        slurp(dir, names[i], out);
        free(names[i]);
    }
    d = opendir(dir);
    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.') unlinkat(dirfd(d), de->d_name, 0);
    if (d) closedir(d);
}

/* Entries 1..n: commands, with a configuration at 1 and a no-op at 2. */
static void append_run(wal *w, uint64_t first, uint64_t n, uint64_t term) {
    buf rec, data;
    buf_init(&rec);
    buf_init(&data);
    for (uint64_t i = first; i < first + n; i++) {
        data.len = 0;
        int type = i == 1 ? RAFT_ENTRY_CONFIG : i == 2 ? RAFT_ENTRY_NOOP : RAFT_ENTRY_COMMAND;
        if (type == RAFT_ENTRY_CONFIG) buf_appendstr(&data, MEMBERS_TEXT);
        else if (type == RAFT_ENTRY_COMMAND) command(&data, 1000 + i, i % 2 ? 3 : 2, i % 2 ? SET_KV : INCR);
        raft_entry e = {term + i / 8, i, type, data.data, data.len};
        rec.len = 0;
        wal_encode(&rec, &e, 1);
        if (wal_append(w, i, i, rec.data, rec.len) < 0) die("wal_append");
    }
    buf_free(&rec);
    buf_free(&data);
}

static wal *open_wal(const char *dir, size_t segsz) {
    wal_state st;
    int has;
    raft_entry *e;
    size_t n;
    char *err;
    wal *w = wal_open(dir, segsz, &st, &has, &e, &n, &err);
    if (!w) {
        fprintf(stderr, "make_corpus: %s\n", err);
        exit(1);
    }
    wal_free_entries(e, n);
    return w;
}

static void corpus_wal(void) {
    char dir[] = "/tmp/raftkv-corpus-XXXXXX";
    if (!mkdtemp(dir)) die("mkdtemp");
    buf in;
    buf_init(&in);
    wal_state st = {0x1234567890abcdefULL, 1, 3, 2};

    wal *w = open_wal(dir, 256);
    if (wal_save_state(w, &st) < 0) die("wal_save_state");
    append_run(w, 1, 12, 1);
    wal_close(w);
    dir_input(dir, &in);
    put("wal", "log-3-segments", in.data, in.len);
    put("wal", "torn-tail", in.data, in.len - 5);
    buf_append(&in, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32);
    put("wal", "zero-tail", in.data, in.len);

    w = open_wal(dir, 1 << 20);
    append_run(w, 1, 4, 1);
    wal_close(w);
    dir_input(dir, &in);
    put("wal", "no-state", in.data, in.len);

    w = open_wal(dir, 200);
    append_run(w, 1, 12, 2);
    if (wal_compact(w, 6) < 0) die("wal_compact");
    wal_close(w);
    dir_input(dir, &in);
    put("wal", "compacted", in.data, in.len);

    w = open_wal(dir, 200);
    if (wal_save_state(w, &st) < 0 || wal_reset(w, 100) < 0) die("wal_reset");
    wal_close(w);
    dir_input(dir, &in);
    put("wal", "reset", in.data, in.len);
    put("wal", "state-only", in.data, 44);

    /* Found by fuzz_wal: a record for index UINT64_MAX was loaded, though
     * the index after it wraps to 0 and wal_append never writes it. */
    in.len = 0;
    buf_append(&in, "RKVWAL01", 8);
    buf_put_u64(&in, UINT64_MAX);
    raft_entry last = {1, UINT64_MAX, RAFT_ENTRY_NOOP, NULL, 0};
    wal_encode(&in, &last, 1);
    put("wal", "index-max", in.data, in.len);
    rmdir(dir);
    buf_free(&in);
}

/* ---- snapshot images: seed byte, stop byte, image ---- */

static void image(buf *out, const char *members, int nrec) {
    img_header h = {42, 7, 0x1234567890abcdefULL, (char *)members, strlen(members), NULL, 0, 1764979200000ULL, NULL, 0, 0};
    img_enc e;
    img_enc_begin(&e, out, &h);
    for (int i = 0; i < nrec; i++) {
        char k[16], v[32] = "value \r\n\0x";
        int kl = snprintf(k, sizeof(k), "key:%d", i);
        v[5] = (char)('0' + i % 10);  /* "value<i>\r\n\0x": binary values too */
        img_enc_record(&e, out, k, (size_t)kl, v, 10);
    }
    img_enc_end(&e, out);
}

/* A hash (its stored form: tag, type, id and count) with two elements, then a string. */
static void image_collection(buf *out) {
    img_header h = {42, 7, 0x1234567890abcdefULL, (char *)MEMBERS_TEXT, strlen(MEMBERS_TEXT), NULL, 0, 1764979200000ULL,
                    NULL, 0, 0};
    static const char meta[] = "\x04\x01" "0123456789abcdef" "\x02\0\0\0\0\0\0\0";
    img_enc e;
    img_enc_begin(&e, out, &h);
    img_enc_record(&e, out, "h", 1, meta, sizeof(meta) - 1);
    img_enc_elem(&e, out, "field1", 6, "v1", 2);
    img_enc_elem(&e, out, "f\0", 2, "", 0);
    img_enc_record(&e, out, "s", 1, "\0x", 2);
    img_enc_end(&e, out);
}

static void corpus_image(void) {
    buf b;
    buf_init(&b);
    image(&b, MEMBERS_TEXT, 3);
    put_ctl("image", "three-records", 1, 0, b.data, b.len);
    put_ctl("image", "stop-at-record", 2, 3, b.data, b.len);
    put_ctl("image", "truncated", 3, 0, b.data, b.len - 7);
    memset(b.data + b.len - 4, 0, 4);  /* fuzz_image fills a zero crc in */
    put_ctl("image", "crc-filled-in", 4, 0, b.data, b.len);
    b.len = 0;
    image(&b, "", 0);
    put_ctl("image", "empty", 5, 0, b.data, b.len);
    b.len = 0;
    image_collection(&b);
    put_ctl("image", "collection", 6, 0, b.data, b.len);
    put_ctl("image", "stop-at-element", 7, 3, b.data, b.len);
    buf_free(&b);
}

/* ---- config files and membership texts ---- */

static const char sample_conf[] =
    "# raftkv sample configuration\n"
    "port 7001\n"
    "bind 127.0.0.1\n"
    "dir \"./data dir\"\n"
    "loglevel verbose\n"
    "logfile ''\n"
    "maxclients 10000\n"
    "proto-max-bulk-len 512mb\n"
    "client-query-buffer-limit 1gb\n"
    "client-output-buffer-limit 1048576\n"
    "appendfsync no\n"
    "appendonly yes\n"
    "save \"\"\n"
    "id 2\n"
    "cluster 1=127.0.0.1:7001,2=127.0.0.1:7002@17002,3=[::1]:7003\n"
    "peer-port 0\n"
    "cluster-request-timeout 3000\n"
    "election-timeout 1000\n"
    "heartbeat-interval 100\n"
    "wal-segment-size 16mb\n"
    "snapshot-threshold 100000\n"
    "snapshot-log-size 64MB\n";

static void corpus_config(void) {
    put_str("config", "sample", sample_conf);
    put_str("config", "crlf-comments", "# comment\r\n\r\n  port 7005\r\n\"#quoted\" comment\r\njoin 10.0.0.1:7001\r\n");
    put_str("config", "bad-value", "port 70000\n");
    put_str("config", "unbalanced", "dir \"/tmp\n");
    /* CONFIG GET cut values at 1099 bytes: a cluster of long host names. */
    buf b;
    buf_init(&b);
    buf_appendstr(&b, "cluster ");
    for (int i = 1; i <= 5; i++) {
        buf_printf(&b, "%s%d=", i > 1 ? "," : "", i);
        for (int k = 0; k < 24; k++) buf_appendstr(&b, "node-name.");
        buf_printf(&b, "example:%d", 7000 + i);
    }
    buf_appendstr(&b, "\n");
    put("config", "long-cluster", b.data, b.len);
    buf_free(&b);
}

static void corpus_members(void) {
    put_str("members", "three", MEMBERS_TEXT);
    put_str("members", "learner-v6", "1=10.0.0.1:7001,2=[::1]:7002@17002 4=host.example:7004/learner");
    put_str("members", "bare-ids", "1,2,3/learner");
    put_str("members", "empty", "");
    put_str("members", "bad-port", "1=h:65535");
    /* Found by fuzz_members: a host of NUL bytes read back as no address. */
    put("members", "nul-host", LIT("1=\0\0\0\0:7002@1,002,3/learner"));
    /* A bracketed host inside brackets came back without them. */
    put_str("members", "double-brackets", "1=[[a]]:7001");
    put_str("members", "retired-ids", "1=10.0.0.1:7001@17001,3/learner,-2,-5");
}

/* ---- client pipelines for fuzz_apply: extreme integers, offsets, lengths ---- */

/* Each line is a command as redis-cli takes it ("\x00" escapes inside
 * double quotes); the seed is the lines as multibulk requests. */
static void pipeline(const char *name, const char *const *lines) {
    buf b;
    buf_init(&b);
    for (; *lines; lines++) {
        rstr *v;
        int argc = resp_split_inline(*lines, strlen(*lines), &v);
        if (argc <= 0) {
            fprintf(stderr, "make_corpus: bad seed line: %s\n", *lines);
            exit(1);
        }
        reply_array(&b, argc);
        for (int i = 0; i < argc; i++) {
            reply_bulk(&b, v[i].p, v[i].len);
            free(v[i].p);
        }
        free(v);
    }
    put("apply", name, b.data, b.len);
    buf_free(&b);
}

static const char *const AP_SET[] = {
    "SET k v", "SET k v2 NX", "SET k v3 XX", "SET k v4 GET", "SET k v5 NX GET", "SET k v6 XX GET",
    "SET new v NX GET", "SET new2 v XX GET", "SET k v NX XX", "SET k v XX NX", "SET k v GET GET", "SET k v nx",
    "SET k v get xx", "SET k v EX 10", "SET k v PX 1", "SET k v EXAT 1", "SET k v PXAT 1", "SET k v KEEPTTL",
    "SET k v NX NX", "SET k v BOGUS", "SET \"\" \"\"", "SET \"\" \"\" GET", "SET \"k\\x00\" \"\\x00\\r\\n\"",
    "SET k", NULL};
static const char *const AP_SETNX[] = {
    "SETNX k a", "SETNX k b", "GETSET k c", "GETSET fresh d", "GETDEL k", "GETDEL k", "GETDEL missing",
    "GETSET k \"\"", "SETNX \"\" x", "GETDEL \"\"", "GETSET k", NULL};
static const char *const AP_MSET[] = {
    "MSET a 1 b 2 a 3", "MSET a", "MSET a 1 b", "MSETNX a 1 a 2", "MSETNX x 1 y 2 x 3", "MSETNX a 9 q 1",
    "MSETNX z 1 z 2", "MSET k1 v k2 v k3 v k1 w k2 w", "DEL a a b zz", "UNLINK x y x", "DEL", "UNLINK k1 k1 k2 k3",
    NULL};
static const char *const AP_INCR[] = {
    "SET n 9223372036854775806", "INCR n", "INCR n", "DECRBY n -1", "DECRBY n 1", "INCRBY n 1", "INCRBY n 2",
    "SET m -9223372036854775807", "DECR m", "DECR m", "INCRBY m -1", "DECRBY m 1", "INCRBY m 0",
    "INCRBY p 9223372036854775807", "INCRBY p 1", "INCRBY q 9223372036854775808", "INCRBY q -9223372036854775808",
    "INCRBY q -9223372036854775809", "DECRBY q -9223372036854775808", "DECRBY q -9223372036854775807",
    "DECRBY q 9223372036854775807", "DECRBY q 1", "INCRBY r 18446744073709551616", "INCRBY r 01", "INCRBY r +1",
    "INCRBY r \" 1\"", "INCRBY r \"1 \"", "INCRBY r \"\"", "INCRBY r -0", "INCRBY r \"1\\x00\"",
    "SET s \"1\\x002\"", "INCR s", "SET s \" 1\"", "INCR s", "SET s 01", "DECR s", "SET s -0", "INCR s",
    "SET s 99999999999999999999", "INCR s", NULL};
static const char *const AP_FLOAT[] = {
    "INCRBYFLOAT f 1e308", "INCRBYFLOAT f 1e308", "INCRBYFLOAT f inf", "INCRBYFLOAT f -inf", "INCRBYFLOAT f nan",
    "INCRBYFLOAT f -0", "INCRBYFLOAT f 5e-324", "INCRBYFLOAT f -5e-324", "INCRBYFLOAT g 1e4932",
    "INCRBYFLOAT g 1.18e4932", "INCRBYFLOAT g 1.18e4932", "INCRBYFLOAT g -1e4932", "INCRBYFLOAT h 1e99999",
    "INCRBYFLOAT h 1e-99999", "INCRBYFLOAT h 0x1p-16445", "INCRBYFLOAT h 0x1.fffffffffffffffep16383",
    "INCRBYFLOAT h \"1\\x002\"", "INCRBYFLOAT h \" 1\"", "INCRBYFLOAT h \"1 \"", "INCRBYFLOAT h \"\"",
    "INCRBYFLOAT h 1e", "INCRBYFLOAT h .5", "INCRBYFLOAT h 5.", "INCRBYFLOAT h -.0e-0",
    "SET i \"1.5\\x00\"", "INCRBYFLOAT i 1", "SET i inf", "INCRBYFLOAT i 1", "SET i 1e4931", "INCRBYFLOAT i 1e4931",
    "INCRBYFLOAT i 1", "SET i 9223372036854775807", "INCRBYFLOAT i 1", "INCR i", "SET i 0.1", "INCRBYFLOAT i 0.2",
    "INCR i", NULL};
static const char *const AP_SETRANGE[] = {
    "SETRANGE k 0 \"\"", "SETRANGE k 0 abc", "SETRANGE k -1 x", "SETRANGE k -1 \"\"", "SETRANGE k 2147483648 x",
    "SETRANGE k 2147483647 x", "SETRANGE k 4294967296 x", "SETRANGE k 4294967295 x", "SETRANGE k 9223372036854775807 x",
    "SETRANGE k 9223372036854775807 \"\"", "SETRANGE k 9223372036854775806 xy", "SETRANGE k 536870911 x",
    "SETRANGE k 536870911 xy", "SETRANGE k 536870912 x", "SETRANGE k 536870911 \"\"", "SETRANGE k 536870912 \"\"",
    "SETRANGE k 9223372036854775808 x", "SETRANGE k 18446744073709551615 x", "SETRANGE k -9223372036854775808 x",
    "SETRANGE k 1 \"\\x00\"", "SETRANGE k 10 z", "SETRANGE k 3 \"\"", "SETRANGE e 0 \"\"", "SETRANGE e 100 \"\"",
    "SETRANGE k 01 x", "SETRANGE k \" 1\" x", "SETRANGE k 1", "SETRANGE k 65536 y", "SETRANGE k 8388608 z",
    "SETRANGE k 16777215 w", NULL};
static const char *const AP_APPEND[] = {
    "APPEND k \"\"", "APPEND k \"a\\x00b\"", "APPEND k \"\\r\\n\"", "APPEND e \"\"", "APPEND e \"\"",
    "SETRANGE k 536870909 x", "APPEND k xyz", "SETRANGE big 1048575 x", "APPEND big y", "APPEND big \"\"",
    "GETSET big small", "APPEND big tail", "INCR big", "APPEND", NULL};
static const char *const AP_FLUSH[] = {
    "SET a 1", "FLUSHDB", "SET a 1", "FLUSHDB ASYNC", "SET a 1", "FLUSHDB SYNC", "FLUSHDB BOGUS", "FLUSHALL async",
    "FLUSHALL ASYNC SYNC", "FLUSHALL sync sync", "FLUSHDB \"\"", "FLUSHALL \"SYNC\\x00\"", "GET a", "MSET a 1 b 2",
    "FLUSHALL", "FLUSHALL", "SET a 2", NULL};
static const char *const AP_MIXED[] = {
    "GET k", "FOO bar \"baz\\r\\nqux\"", "SET", "MGET", "CONFIG SET proto-max-bulk-len 1", "DEBUG SLEEP 0",
    "SET k v", "PING", "INCR k", "STRLEN k", "KEYS *", "DEL k", "\"\\x00\" \"\\x00\"", "set K V", "GETDEL K",
    NULL};

static void corpus_apply(void) {
    pipeline("set-options", AP_SET);
    pipeline("setnx-getset-getdel", AP_SETNX);
    pipeline("mset-del", AP_MSET);
    pipeline("incr-extremes", AP_INCR);
    pipeline("incrbyfloat-extremes", AP_FLOAT);
    pipeline("setrange-offsets", AP_SETRANGE);
    pipeline("append", AP_APPEND);
    pipeline("flush", AP_FLUSH);
    pipeline("mixed", AP_MIXED);
    /* the inline form: the server takes it too */
    put_str("apply", "inline", "SET k v\r\nINCRBY n 9223372036854775807\r\nINCR n\r\nSETRANGE k 3 \"\\x00\"\r\n"
                               "INCRBYFLOAT f 1e308\r\nAPPEND k \"\\xff\"\r\nMSETNX k 1 j 2\r\n");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus <dir>\n");
        return 2;
    }
    root = argv[1];
    if (mkdir(root, 0755) < 0 && errno != EEXIST) die(root);
    corpus_entry();
    corpus_resp();
    corpus_peer();
    corpus_wal();
    corpus_image();
    corpus_config();
    corpus_members();
    corpus_apply();
    return 0;
}
