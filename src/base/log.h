/* log: Redis-format log lines, "pid:role dd Mon yyyy hh:mm:ss.mmm <level> msg". */
#ifndef RAFTKV_LOG_H
#define RAFTKV_LOG_H
enum { LL_DEBUG, LL_VERBOSE, LL_NOTICE, LL_WARNING };
extern int log_level;
extern char log_role;
int log_open(const char *path); /* "" = stdout; 0 on success */
void log_close(void);
void logmsg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Milliseconds of the monotonic clock, for intervals and timeouts. */
unsigned long long mono_ms(void);
#endif
