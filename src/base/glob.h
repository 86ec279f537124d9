/* glob: the pattern matcher of KEYS, SCAN MATCH and CONFIG GET.
 *
 * glob_match() returns 1 if pat[0..plen) matches all of s[0..slen), else 0;
 * both are byte strings (NUL is an ordinary byte). It answers exactly as
 * Redis 7.0.15's stringmatchlen() does in the build we test against (Debian's,
 * with the CVE-2024-31228 fix), quirks included, since clients compare our
 * replies with Redis's:
 *   '*' any run of bytes (adjacent stars count as one), '?' one byte, '\x'
 *   the byte x, '[set]' / '[^set]' one byte in / not in the set, which holds
 *   bytes, '\x' and ranges 'a-z' in either order; a set left open runs to
 *   the end of the pattern; a lone trailing '\' is a literal.
 * Quirks kept on purpose:
 *   - an empty string matches only the empty pattern, not even "*" (KEYS and
 *     SCAN need Redis's own shortcut for a pattern of exactly "*");
 *   - a pattern never matches if anything but stars follows its
 *     (GLOB_MAX_STAR_RUNS + 1)th run of stars (Redis's recursion limit);
 *   - nocase folds ASCII letters, except a '\x' inside a set; range bounds
 *     compare as signed chars, folded after ordering ([Z-a] is empty under
 *     nocase) by glibc's C-locale tolower().
 * Time is O(plen * slen) at worst, with no recursion and no allocation, so
 * any pattern from any client is safe. */
#ifndef RAFTKV_GLOB_H
#define RAFTKV_GLOB_H
#include <stddef.h>

#define GLOB_MAX_STAR_RUNS 1000

int glob_match(const char *pat, size_t plen, const char *s, size_t slen, int nocase);

/* A pattern matched against many strings (KEYS, SCAN MATCH): what
 * glob_match checks of the pattern alone (one pass over it), done once,
 * so a string the pattern's first byte refuses costs O(1), whatever the
 * pattern's length. pat must outlive g. */
typedef struct glob_pat {
    const char *p;
    size_t len, need;  /* need: the one-byte tokens, each wanting a byte of the string */
    int never, nocase; /* never: past Redis's star-run limit, it matches nothing non-empty */
} glob_pat;
void glob_prepare(glob_pat *g, const char *pat, size_t plen, int nocase);
int glob_match_prepared(const glob_pat *g, const char *s, size_t slen);

#endif
