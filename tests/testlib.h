/* testlib: a tiny assertion harness. Each failed CHECK prints where and
 * counts; test_summary() prints "N passed, N failed" and sets the exit code. */
#ifndef RAFTKV_TESTLIB_H
#define RAFTKV_TESTLIB_H
#include <stdio.h>
static int t_pass, t_fail;
#define CHECK(cond) do { if (cond) t_pass++; else { t_fail++; \
    fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECKMSG(cond, ...) do { if (cond) t_pass++; else { t_fail++; \
    fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)
static inline int test_summary(const char *suite) {
    printf("%s: %d passed, %d failed\n", suite, t_pass, t_fail);
    return t_fail ? 1 : 0;
}
#endif
