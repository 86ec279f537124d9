/* Unit tests of the glob matcher: hand-written cases, patterns built to make
 * a backtracking matcher hang or overflow its stack (they must just finish),
 * and every case of tests/glob_cases.txt, whose answers a real redis-server
 * gave (tests/glob_oracle.py writes it). Usage: test_glob [CASES_FILE] */
#include "glob.h"
#include "testlib.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *pat;
    size_t plen;
    const char *s;
    size_t slen;
    int nocase, want;
} gcase;

/* String literals with their sizes, so NUL bytes count. */
#define G(p, s, nocase, want) { p, sizeof(p) - 1, s, sizeof(s) - 1, nocase, want }

static void check_table(const gcase *t, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int got = glob_match(t[i].pat, t[i].plen, t[i].s, t[i].slen, t[i].nocase);
        CHECKMSG(got == t[i].want, "glob_match(\"%.*s\", \"%.*s\", nocase=%d) = %d, want %d",
                 (int)t[i].plen, t[i].pat, (int)t[i].slen, t[i].s, t[i].nocase, got, t[i].want);
    }
}

static void test_table(void) {
    static const gcase t[] = {
        /* Stars and '?'. An empty string matches only the empty pattern,
         * even "*" does not (Redis's KEYS has its own "*" shortcut). */
        G("", "", 0, 1), G("*", "", 0, 0), G("**", "", 0, 0), G("?", "", 0, 0), G("", "a", 0, 0),
        G("*", "abc", 0, 1), G("**", "abc", 0, 1), G("a*", "a", 0, 1), G("*a", "a", 0, 1),
        G("a*b", "ab", 0, 1), G("a*b", "axxb", 0, 1), G("a*b", "axxbc", 0, 0), G("a**b", "ab", 0, 1),
        G("a*b*c", "abxbxc", 0, 1), G("a*b*c", "acb", 0, 0), G("*ab", "aab", 0, 1), G("*aab", "aaab", 0, 1),
        G("?", "a", 0, 1), G("?", "ab", 0, 0), G("??", "a", 0, 0), G("a?c", "abc", 0, 1), G("a?c", "ac", 0, 0),
        G("*?", "a", 0, 1), G("?*?", "a", 0, 0), G("abc", "abd", 0, 0), G("abc", "ab", 0, 0),
        /* Sets: members, negation, ranges either way round. */
        G("h[ae]llo", "hello", 0, 1), G("h[ae]llo", "hillo", 0, 0), G("h[^e]llo", "hello", 0, 0),
        G("h[^e]llo", "hallo", 0, 1), G("h[a-b]llo", "hbllo", 0, 1), G("[a-c]", "d", 0, 0),
        G("[z-a]", "m", 0, 1), G("[z-a]", "A", 0, 0), G("[a-cx]", "x", 0, 1), G("[a-b-d]", "-", 0, 1),
        G("[a-b-d]", "c", 0, 0), G("[-a]", "-", 0, 1), G("[^-]", "-", 0, 0), G("[[]", "[", 0, 1),
        /* ']' first closes an empty set, which matches nothing; negated,
         * everything. */
        G("[]", "]", 0, 0), G("[]]", "]", 0, 0), G("[]]", "]]", 0, 0), G("[^]", "x", 0, 1),
        G("[^]]", "x]", 0, 1), G("[]a]", "a]", 0, 0),
        /* A range's end is taken raw: "[a-]" eats the ']' (']'..'a') and
         * the set goes on to the next ']' or the end. */
        G("[a-]", "]", 0, 1), G("[a-]", "^", 0, 1), G("[a-]", "a", 0, 1), G("[a-]", "b", 0, 0),
        G("[a-]", "-", 0, 0), G("[a-]x]", "x", 0, 1), G("[a-]x]", "b", 0, 0), G("[a-\\]", "\\", 0, 1),
        /* Escapes, outside and inside sets; a lone trailing '\' is literal. */
        G("a\\*b", "a*b", 0, 1), G("a\\*b", "axb", 0, 0), G("\\?", "?", 0, 1), G("\\?", "a", 0, 0),
        G("\\a", "a", 0, 1), G("\\", "\\", 0, 1), G("a\\", "a\\", 0, 1), G("a\\", "a", 0, 0),
        G("\\\\", "\\", 0, 1), G("\\[a]", "[a]", 0, 1), G("*\\*", "ab*", 0, 1), G("*\\*", "ab", 0, 0),
        G("[\\]]", "]", 0, 1), G("[\\-]", "-", 0, 1), G("[\\-]", "\\", 0, 0), G("[a\\-z]", "b", 0, 0),
        G("[a\\-z]", "-", 0, 1), G("[\\^a]", "^", 0, 1), G("[\\\\]", "\\", 0, 1),
        /* An unclosed set runs to the end of the pattern. */
        G("[abc", "b", 0, 1), G("[abc", "[", 0, 0), G("[", "[", 0, 0), G("[", "", 0, 0), G("[^", "x", 0, 1),
        G("[\\", "\\", 0, 1), G("[a-", "-", 0, 1), G("[a-", "b", 0, 0), G("x[ab*", "x*", 0, 1),
        G("x[ab*", "xaa", 0, 0),
        /* Bytes: NUL is ordinary; ranges compare signed chars, so 0x80..0xff
         * sort below 0x00 (checked against redis-server on x86-64). */
        G("k*", "k\0x", 0, 1), G("a\0b", "a\0b", 0, 1), G("a?b", "a\0b", 0, 1), G("[\0]", "\0", 0, 1),
        G("[a-\xff]", "\xff", 0, 1), G("[a-\xff]", "\0", 0, 1), G("[a-\xff]", "a", 0, 1),
        G("[a-\xff]", "\x80", 0, 0), G("[a-\xff]", "b", 0, 0), G("[\x80-\xff]", "\x90", 0, 1),
        /* nocase folds ASCII letters, but not an escaped byte in a set, and
         * ranges fold their bounds after ordering them: [Z-a] becomes z..a,
         * empty, and [Y-z] narrows to y..z. Checked against COMMAND LIST
         * FILTERBY PATTERN, which matches with nocase. */
        G("*max*", "MAXCLIENTS", 1, 1), G("a", "A", 1, 1), G("A", "a", 1, 1), G("a", "A", 0, 0),
        G("[A-C]", "b", 1, 1), G("[a-c]", "B", 1, 1), G("[^a-c]", "B", 1, 0), G("[xB]", "b", 1, 1),
        G("\\A", "a", 1, 1), G("[\\A]", "a", 1, 0), G("[\\A]", "A", 1, 1), G("[\\m]", "m", 1, 1),
        G("[Z-a]", "z", 1, 0), G("[Z-a]", "_", 1, 0), G("[Z-a]", "_", 0, 1), G("[a-Z]", "a", 1, 0),
        G("[Y-z]", "Z", 1, 1), G("[Y-z]", "m", 1, 0), G("[Y-z]", "m", 0, 1), G("[M-a]", "m", 1, 0),
        G("H?LLO*", "hello world", 1, 1), G("\xc3\x89", "\xc3\xa9", 1, 0),
        /* nocase with bytes >= 0x80 in a range: glibc's tolower() maps a
         * negative char (but -1) to its unsigned value, so after folding
         * [a-\xfe] is 254..97, empty, and [\x80-\xff] is 128..-1, empty.
         * No Redis command matches such bytes with nocase; these follow
         * the C library (checked on this machine's glibc). */
        G("[a-\xfe]", "a", 1, 0), G("[a-\xfe]", "a", 0, 1), G("[a-\xff]", "a", 1, 1),
        G("[a-\xff]", "\xff", 1, 1), G("[\x80-\xff]", "\x90", 1, 0), G("[\x80-\xfe]", "\x90", 1, 1),
    };
    check_table(t, sizeof(t) / sizeof(t[0]));
}

static char *repeat(const char *unit, size_t times, const char *tail) {
    size_t u = strlen(unit), tl = strlen(tail);
    char *p = malloc(u * times + tl + 1);
    for (size_t i = 0; i < times; i++) memcpy(p + i * u, unit, u);
    memcpy(p + u * times, tail, tl + 1);
    return p;
}

/* Answers checked against redis-server 7.0.15 with the CVE-2024-31228 fix:
 * it refuses to go deeper than 1000 runs of stars. */
static void test_star_limit(void) {
    static const struct { size_t pairs; const char *tail; size_t slen; int want; } t[] = {
        { 1000, "", 1000, 1 }, { 1001, "", 1001, 0 }, { 1001, "", 2000, 0 },
        { 1000, "*", 1000, 1 }, { 1000, "*", 1001, 1 }, { 1001, "*", 1001, 0 }, { 999, "", 999, 1 },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char *p = repeat("*a", t[i].pairs, t[i].tail), *s = repeat("a", t[i].slen, "");
        int got = glob_match(p, strlen(p), s, t[i].slen, 0);
        CHECKMSG(got == t[i].want, "(*a)x%zu%s vs a x %zu: got %d, want %d", t[i].pairs, t[i].tail, t[i].slen, got, t[i].want);
        free(p);
        free(s);
    }
    /* Adjacent stars are one run, however many. */
    char *p = repeat("**", 5000, "a"), *s = repeat("b", 999, "a");
    CHECK(glob_match(p, strlen(p), s, strlen(s), 0));
    free(p);
    free(s);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Each case must simply finish; the time is printed, not asserted. */
static void slow(const char *what, const char *p, const char *s, int want) {
    double t0 = now();
    int got = glob_match(p, strlen(p), s, strlen(s), 0);
    printf("  %-44s %8.3f ms\n", what, (now() - t0) * 1e3);
    CHECKMSG(got == want, "%s: got %d, want %d", what, got, want);
}

static void test_pathological(void) {
    printf("pathological patterns:\n");
    char *p = repeat("*a", 12, "*b"), *s = repeat("a", 60, "");
    slow("(*a)x12 *b vs a x 60", p, s, 0);
    free(s);
    s = repeat("a", 10000, "");
    slow("(*a)x12 *b vs a x 10,000", p, s, 0);
    free(p);
    p = repeat("*a", 999, "*b");                 /* 1000 runs: under the limit */
    slow("(*a)x999 *b vs a x 10,000", p, s, 0);
    free(p);
    p = repeat("a", 1000, "b");
    p[0] = '*';                                   /* every restart rescans 1000 bytes */
    slow("*a x 999 b vs a x 10,000", p, s, 0);
    free(p);
    free(s);

    p = repeat("*x", 100000, "");
    s = repeat("x", 1000, "");
    slow("(*x)x100,000 vs x x 1000", p, s, 0);
    free(s);
    s = repeat("y", 1000, "");
    slow("(*x)x100,000 vs y x 1000", p, s, 0);
    free(p);
    p = repeat("*?", 1000, "");
    slow("(*?)x1000 vs y x 1000", p, s, 1);
    free(p);

    p = repeat("[", 100000, "");                  /* one unclosed set of '[' */
    slow("[ x 100,000 vs [", p, "[", 1);
    slow("[ x 100,000 vs y x 1000", p, s, 0);
    free(p);
    free(s);
    p = repeat("[", 100000, "");
    p[0] = '*';                                   /* a 100 KB set tried at every byte */
    s = repeat("y", 200, "");
    slow("* [ x 99,999 vs y x 200", p, s, 0);
    free(p);
    free(s);

    p = repeat("[", 50000, "");                   /* "[[[...]]]": a set, then ']'s */
    char *q = repeat("]", 50000, "");
    char *pq = malloc(100001);
    memcpy(pq, p, 50000);
    memcpy(pq + 50000, q, 50001);
    s = repeat("]", 49999, "");
    char *s2 = malloc(50001);
    s2[0] = '[';
    memcpy(s2 + 1, s, 50000);
    slow("[ x 50,000 ] x 50,000 vs [ ] x 49,999", pq, s2, 1);
    free(p);
    free(q);
    free(pq);
    free(s);
    free(s2);

    p = repeat("[^*", 30000, "]");                /* nested-looking negated sets */
    s = repeat("a", 1000, "");
    slow("([^*)x30,000 ] vs a x 1000", p, s, 0);
    free(p);
    p = repeat("\\", 100001, "");                 /* 50,000 escaped '\' and a lone one */
    free(s);
    s = repeat("\\", 50001, "");
    slow("\\ x 100,001 vs \\ x 50,001", p, s, 1);
    free(p);
    free(s);
    p = repeat("*", 100000, "?");
    s = repeat("a", 100000, "");
    slow("* x 100,000 ? vs a x 100,000", p, s, 1);
    free(p);
    free(s);
}

static int unhex(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Reads a "quoted" field with %HH escapes at *pp into out; returns its
 * length, or -1 if malformed. */
static long field(char **pp, char *out) {
    char *p = *pp;
    while (*p == ' ') p++;
    if (*p++ != '"') return -1;
    long n = 0;
    for (; *p != '"'; p++) {
        if (!*p || *p == '\n') return -1;
        if (*p == '%') {
            int hi = unhex(p[1]), lo = hi < 0 ? -1 : unhex(p[2]);
            if (lo < 0) return -1;
            out[n++] = (char)(hi * 16 + lo);
            p += 2;
        } else {
            out[n++] = *p;
        }
    }
    *pp = p + 1;
    return n;
}

/* Every line "expected nocase "pattern" "string"" of the oracle's file. */
static void test_oracle_cases(const char *path) {
    FILE *f = fopen(path, "r");
    CHECKMSG(f != NULL, "cannot open %s (run from the repository root)", path);
    if (!f) return;
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0, cases = 0, matches = 0;
    while (getline(&line, &cap, f) != -1) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') continue;
        char *pat = malloc(cap), *str = malloc(cap), *p = strchr(line, '"');
        int want = -1, nocase = -1;
        long plen = -1, slen = -1;
        if (sscanf(line, "%d %d", &want, &nocase) == 2 && p && (plen = field(&p, pat)) >= 0)
            slen = field(&p, str);
        if (slen < 0) {
            CHECKMSG(0, "%s:%ld: malformed case", path, lineno);
        } else {
            int got = glob_match(pat, (size_t)plen, str, (size_t)slen, nocase);
            CHECKMSG(got == want, "%s:%ld: got %d, want %d: %s", path, lineno, got, want, line);
            cases++;
            matches += want;
        }
        free(pat);
        free(str);
    }
    free(line);
    fclose(f);
    CHECKMSG(cases >= 1000, "%s: only %ld cases", path, cases);
    printf("%s: %ld cases checked (%ld match, %ld do not)\n", path, cases, matches, cases - matches);
}

int main(int argc, char **argv) {
    test_table();
    test_star_limit();
    test_pathological();
    test_oracle_cases(argc > 1 ? argv[1] : "tests/glob_cases.txt");
    return test_summary("glob");
}
