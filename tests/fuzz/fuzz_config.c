/* fuzz_config: the options parser (config.c): a redis.conf-style file
 * through config_load_args, the same settings given as --name value flags,
 * CONFIG SET's config_set at run time, and the cluster option as the server
 * reads it (config_parse_cluster). Input: the config file's text.
 * Invariants: a file that loads gives the same configuration as its lines
 * given as flags (lines read as load_file reads them: fgets-sized, cut at
 * CR, LF or NUL); a loaded configuration is a fixed point of CONFIG GET
 * then CONFIG SET of every option (what is shown can be set back, to the
 * same effect), also after the file's settings are replayed as CONFIG SET
 * at run time (each answered 0, -1, -2 or -3); a cluster option that
 * parses formats and parses back to the same members. */
#include "fuzzlib.h"
#include "config.h"
#include "resp.h"

#define LINE_MAX_LOAD 4096   /* load_file's fgets buffer */

/* One line as load_file sees it: fgets takes up to LINE_MAX_LOAD - 1 bytes
 * or through a newline, then the line is cut at its first CR, LF or NUL.
 * Returns the bytes taken from s; *len is the line's length. */
static size_t next_line(const char *s, size_t n, size_t *len) {
    size_t take = 0;
    while (take < n && take < LINE_MAX_LOAD - 1)
        if (s[take++] == '\n') break;
    for (*len = 0; *len < take && s[*len] != '\r' && s[*len] != '\n' && s[*len]; (*len)++) {}
    return take;
}

typedef struct flags {
    char **argv;
    int argc, cap;
} flags;

static void push(flags *f, const char *prefix, const char *s) {
    if (f->argc == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->argv = xrealloc(f->argv, sizeof(char *) * (size_t)f->cap);
    }
    size_t pl = strlen(prefix), sl = strlen(s);
    char *a = xmalloc(pl + sl + 1);
    memcpy(a, prefix, pl);
    memcpy(a + pl, s, sl + 1);
    f->argv[f->argc++] = a;
}

static void free_flags(flags *f) {
    for (int i = 0; i < f->argc; i++) free(f->argv[i]);
    free(f->argv);
}

/* The file's settings as "--name", "value", ... (comments and blank lines
 * left out); -1 when a line is not a setting (then the file cannot load). */
static int lines_as_flags(const char *s, size_t n, flags *f) {
    memset(f, 0, sizeof(*f));
    int rc = 0;
    for (size_t at = 0, len; at < n && rc == 0;) {
        const char *line = s + at;
        at += next_line(line, n - at, &len);
        rstr *v;
        int argc = resp_split_inline(line, len, &v);
        if (argc < 0 || (argc > 0 && v[0].p[0] != '#' && argc != 2)) rc = -1;
        else if (argc == 2 && v[0].p[0] != '#') {
            push(f, "--", v[0].p);
            push(f, "", v[1].p);
        }
        for (int i = 0; i < argc; i++) free(v[i].p);
        free(v);
    }
    return rc;
}

/* Every option, as CONFIG GET * shows it; the count. */
static int snapshot(const config *c, buf *out) {
    out->len = out->pos = 0;
    static const char *const all[] = {"*"};
    return config_get(c, 1, all, out);
}

/* CONFIG GET * then CONFIG SET of each pair changes nothing. */
static void check_fixed_point(const config *c) {
    buf shown, again, req;
    buf_init(&shown);
    buf_init(&again);
    buf_init(&req);
    int n = snapshot(c, &shown);
    reply_array(&req, 2LL * n);  /* the pairs as one multibulk, to split them */
    buf_append(&req, shown.data, shown.len);
    resp_parser p;
    resp_parser_init(&p, 1LL << 40, 1ULL << 40);
    FUZZ_CHECK(resp_parse(&p, &req) == RESP_OK && p.argc == 2 * n && buf_unread(&req) == 0);
    config c2 = *c;
    for (int i = 0; i < n; i++) {
        int r = config_set(&c2, p.argv[2 * i].p, p.argv[2 * i + 1].p, 0);
        if (r) fprintf(stderr, "CONFIG SET %s '%s' refused (%d)\n", p.argv[2 * i].p, p.argv[2 * i + 1].p, r);
        FUZZ_CHECK(r == 0);
    }
    snapshot(&c2, &again);
    FUZZ_CHECK(same_bytes(shown.data, shown.len, again.data, again.len));
    FUZZ_CHECK(memcmp(&c2, c, sizeof(c2)) == 0);  /* shown whole: nothing was cut */
    resp_parser_free(&p);
    buf_free(&shown);
    buf_free(&again);
    buf_free(&req);
}

/* The settings again, as CONFIG SET at run time. */
static void replay_runtime(config *c, const flags *f) {
    for (int i = 0; i + 1 < f->argc; i += 2) {
        int r = config_set(c, f->argv[i] + 2, f->argv[i + 1], 1);
        FUZZ_CHECK(r >= -3 && r <= 0);
    }
}

/* The cluster option as the server reads it, and its canonical form. */
static void check_cluster(const config *c) {
    members ms, again;
    char err[300];
    if (!c->cluster[0] || config_parse_cluster(c->cluster, &ms, err, sizeof(err)) < 0) return;
    FUZZ_CHECK(ms.n >= 1 && members_voters(&ms) == ms.n && ms.n <= MEMBERS_MAX_VOTERS);
    buf text;
    buf_init(&text);
    members_format(&ms, &text);
    buf_append(&text, "", 1);
    FUZZ_CHECK(config_parse_cluster(text.data, &again, err, sizeof(err)) == ms.n);
    for (int i = 0; i < ms.n; i++) {
        const cluster_member *x = &ms.m[i], *y = &again.m[i];
        FUZZ_CHECK(x->id == y->id && !strcmp(x->host, y->host) && x->port == y->port && x->peer_port == y->peer_port);
    }
    buf_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    char path[512], err[512], err2[512];
    snprintf(path, sizeof(path), "%s/fuzz.conf", scratch_dir());
    write_file(path, s, size);
    config byfile, byflags;
    config_defaults(&byfile);
    config_defaults(&byflags);
    char *args[1] = {path};
    int rc = config_load_args(&byfile, 1, args, err, sizeof(err));
    flags f;
    if (lines_as_flags(s, size, &f) == 0) {
        int rc2 = config_load_args(&byflags, f.argc, f.argv, err2, sizeof(err2));
        FUZZ_CHECK(rc == rc2);
        if (rc == 0) {
            buf a, b;
            buf_init(&a);
            buf_init(&b);
            snapshot(&byfile, &a);
            snapshot(&byflags, &b);
            FUZZ_CHECK(same_bytes(a.data, a.len, b.data, b.len));
            buf_free(&a);
            buf_free(&b);
        }
    } else {
        FUZZ_CHECK(rc < 0);
    }
    if (rc == 0) {
        check_fixed_point(&byfile);
        check_cluster(&byfile);
        replay_runtime(&byfile, &f);
        check_fixed_point(&byfile);
    } else {
        FUZZ_CHECK(err[0] != '\0');
    }
    free_flags(&f);
    return 0;
}
