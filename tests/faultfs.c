/* faultfs: an LD_PRELOAD shim that makes a process's disk syncs fail, so
 * that tests/diskfault_test.py can check a node whose fsync fails stops
 * instead of going on as if its log were written.
 *
 * Off unless FAULTFS_TRIGGER names a file. Once that file exists, fsync()
 * and fdatasync() of files whose path contains FAULTFS_MATCH (default
 * "/wal-", the Raft log's segments) fail with EIO after FAULTFS_AFTER
 * (default 0) more successful ones, and go on failing, as a dying disk
 * does. The trigger lets a test choose the moment (say, once the node
 * leads) without counting the syncs of its start-up.
 *
 * Under ASan, libasan must come first: LD_PRELOAD="libasan.so faultfs.so". */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int fsync(int fd);
int fdatasync(int fd);

static atomic_long passed;

static int failing(int fd) {
    const char *trigger = getenv("FAULTFS_TRIGGER");
    if (!trigger || access(trigger, F_OK) != 0) return 0;
    const char *match = getenv("FAULTFS_MATCH");
    char link[64], path[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    if (n < 0) return 0;
    path[n] = 0;
    if (!strstr(path, match ? match : "/wal-")) return 0;
    const char *after = getenv("FAULTFS_AFTER");
    return atomic_fetch_add(&passed, 1) >= (after ? atol(after) : 0);
}

/* The real calls go straight to the kernel: no dlsym, nothing to resolve. */
int fsync(int fd) {
    if (failing(fd)) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fsync, fd);
}

int fdatasync(int fd) {
    if (failing(fd)) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fdatasync, fd);
}
