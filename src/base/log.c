#include "log.h"
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int log_level = LL_NOTICE;
char log_role = 'M';
static FILE *log_fp;

int log_open(const char *path) {
    if (!path || !*path) { log_fp = NULL; return 0; }
    FILE *f = fopen(path, "a");
    if (!f) return -1;
    log_fp = f;
    return 0;
}

void log_close(void) {
    if (log_fp) fclose(log_fp);
    log_fp = NULL;
}

void logmsg(int level, const char *fmt, ...) {
    static const char marks[] = ".-*#";
    if (level < log_level) return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char ts[64];
    size_t n = strftime(ts, sizeof(ts), "%d %b %Y %H:%M:%S.", &tm);
    snprintf(ts + n, sizeof(ts) - n, "%03d", (int)(tv.tv_usec / 1000));
    FILE *f = log_fp ? log_fp : stdout;
    fprintf(f, "%d:%c %s %c ", (int)getpid(), log_role, ts, marks[level]);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fflush(f);
}

unsigned long long mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}
