/* glob: Redis-compatible glob matching in O(plen * slen) time (see glob.h).
 *
 * A pattern is a sequence of tokens: '*', or a token that matches exactly
 * one byte ('?', a literal, '\x', a set). Where each token ends depends on
 * the pattern alone, never on the string. With one-byte tokens, a failed
 * attempt after a star only ever needs to be retried from the most recent
 * star, one byte further on: an earlier star could only push the rest of
 * the pattern further right, which the latest star already covers. So we
 * remember one (pattern, string) restart point instead of recursing. */
#include "glob.h"
#include <stdint.h>

/* Redis reads range bounds and the tested byte as plain char, which is
 * signed on x86-64 (the platform our Redis answers come from): 0x80..0xff
 * sort below 0x00. */
static int signed_byte(unsigned char b) {
    return b < 128 ? b : b - 256;
}

/* glibc's tolower() in the "C" locale (Redis never sets LC_CTYPE): letters
 * fold, and a negative char other than -1 (EOF) comes back as its unsigned
 * value. Only range bounds under nocase can see the difference. */
static int c_locale_tolower(int v) {
    if (v >= 'A' && v <= 'Z') return v + ('a' - 'A');
    if (v < -1) return v + 256;
    return v;
}

static unsigned char fold(unsigned char b, int nocase) {
    return nocase && b >= 'A' && b <= 'Z' ? (unsigned char)(b + ('a' - 'A')) : b;
}

/* Whether byte c falls in the range lo-hi of a set. */
static int in_range(unsigned char lo, unsigned char hi, unsigned char c, int nocase) {
    int a = signed_byte(lo), b = signed_byte(hi), v = signed_byte(c);
    if (a > b) { int t = a; a = b; b = t; }
    /* Folded after ordering, as Redis does: [Z-a] under nocase becomes
     * z..a, an empty range. */
    if (nocase) { a = c_locale_tolower(a); b = c_locale_tolower(b); v = c_locale_tolower(v); }
    return v >= a && v <= b;
}

/* The set whose '[' is at pat[i]: stores in *hit whether it matches c and
 * returns the index just past it. Order of the tests matters: an escape
 * wins over ']' and over a range, and ']' right after '[' or '[^' closes an
 * empty set. A range's bounds are taken raw, so "[a-]" eats the ']' and
 * the set goes on. */
static size_t match_set(const char *pat, size_t plen, size_t i, unsigned char c, int nocase, int *hit) {
    size_t j = i + 1;
    int negate = j < plen && pat[j] == '^';
    if (negate) j++;
    int in = 0;
    for (;;) {
        if (j >= plen) break;                            /* unclosed: runs to the end */
        unsigned char p = (unsigned char)pat[j];
        if (p == '\\' && plen - j >= 2) {
            j++;
            if ((unsigned char)pat[j] == c) in = 1;      /* escapes ignore nocase */
        } else if (p == ']') {
            j++;
            break;
        } else if (plen - j >= 3 && pat[j + 1] == '-') {
            if (in_range(p, (unsigned char)pat[j + 2], c, nocase)) in = 1;
            j += 2;
        } else if (fold(p, nocase) == fold(c, nocase)) {
            in = 1;
        }
        j++;
    }
    *hit = in != negate;
    return j;
}

/* The one-byte token at pat[i] (not a star): stores in *hit whether it
 * matches c and returns the index just past it. */
static size_t match_token(const char *pat, size_t plen, size_t i, unsigned char c, int nocase, int *hit) {
    unsigned char p = (unsigned char)pat[i];
    if (p == '?') { *hit = 1; return i + 1; }
    if (p == '[') return match_set(pat, plen, i, c, nocase, hit);
    if (p == '\\' && i + 1 < plen) p = (unsigned char)pat[++i];
    *hit = fold(p, nocase) == fold(c, nocase);
    return i + 1;
}

/* One linear pass decides the cheap refusals: each one-byte token needs
 * a byte of the string, and past the star-run limit Redis says no. */
void glob_prepare(glob_pat *g, const char *pat, size_t plen, int nocase) {
    size_t runs = 0;
    int after_star = 0;
    g->p = pat;
    g->len = plen;
    g->nocase = nocase;
    g->need = 0;
    g->never = 0;
    for (size_t i = 0; i < plen;) {
        if (pat[i] == '*') {
            if (!after_star) runs++;
            after_star = 1;
            i++;
            continue;
        }
        if (runs > GLOB_MAX_STAR_RUNS) {
            g->never = 1;
            return;
        }
        after_star = 0;
        g->need++;
        int hit;
        i = match_token(pat, plen, i, 0, nocase, &hit);
    }
}

int glob_match(const char *pat, size_t plen, const char *s, size_t slen, int nocase) {
    glob_pat g;
    glob_prepare(&g, pat, plen, nocase);
    return glob_match_prepared(&g, s, slen);
}

int glob_match_prepared(const glob_pat *g, const char *s, size_t slen) {
    const char *pat = g->p;
    size_t plen = g->len;
    int nocase = g->nocase;
    /* Redis matches nothing against an empty string, not even "*". */
    if (slen == 0) return plen == 0;
    if (g->never || g->need > slen) return 0;

    size_t pi = 0, si = 0;
    size_t star_pi = SIZE_MAX, star_si = 0;   /* restart point after the last star */
    while (si < slen) {
        if (pi < plen && pat[pi] == '*') {
            while (pi < plen && pat[pi] == '*') pi++;
            if (pi == plen) return 1;          /* a final star takes the rest */
            star_pi = pi;
            star_si = si;
            continue;
        }
        if (pi < plen) {
            int hit;
            size_t next = match_token(pat, plen, pi, (unsigned char)s[si], nocase, &hit);
            if (hit) { pi = next; si++; continue; }
        }
        if (star_pi == SIZE_MAX) return 0;
        pi = star_pi;                          /* let the last star take one more byte */
        si = ++star_si;
    }
    while (pi < plen && pat[pi] == '*') pi++;
    return pi == plen;
}
