/* raftkv-check-log: verifies a node's Raft log and hard state (what
 * wal_open would load), and with --fix truncates the log at the first bad
 * record, like redis-check-aof. Truncating drops entries this node may have
 * acknowledged, so it is for a lone node or the last copy left; a damaged
 * member is replaced from the others. The work is wal_check() in wal.c.
 * With --image it verifies a snapshot image file instead (img_check_file).
 * The state machine (LevelDB) is not checked here: raftkv-server reads and
 * verifies all of it at start-up. */
#include "image.h"
#include "wal.h"
#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
            "Usage: raftkv-check-log [--fix] <data-dir>\n"
            "       raftkv-check-log --image <file>\n"
            "Checks the Raft log (wal-*.log segments) and hard state (raft-state) in data-dir,\n"
            "or a snapshot image file (the format in src/storage/image.h).\n"
            "  --fix       truncate the log at the first bad record, dropping later segments:\n"
            "              for a torn tail, a lone node, or the last copy left; a damaged\n"
            "              member of a running cluster is replaced instead (README, \"Disk damage\")\n"
            "  --image     the argument is a snapshot image file\n"
            "  -h, --help  show this help\n"
            "Exit status: 0 when the log is sound or was repaired (a torn tail left by a\n"
            "crash counts as sound: the server drops it when it starts), 1 otherwise.\n");
}

int main(int argc, char **argv) {
    const char *dir = NULL;
    int fix = 0, opts = 1, image = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (opts && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
            usage(stdout);
            return 0;
        }
        if (opts && !strcmp(a, "--fix")) {
            fix = 1;
        } else if (opts && !strcmp(a, "--image")) {
            image = 1;
        } else if (opts && !strcmp(a, "--")) {
            opts = 0;
        } else if (opts && a[0] == '-' && a[1]) {
            fprintf(stderr, "raftkv-check-log: unknown option '%s'\n", a);
            usage(stderr);
            return 1;
        } else if (dir) {
            fprintf(stderr, "raftkv-check-log: more than one directory given\n");
            usage(stderr);
            return 1;
        } else {
            dir = a;
        }
    }
    if (!dir || (image && fix)) {
        usage(stderr);
        return 1;
    }
    return image ? img_check_file(dir, stdout) : wal_check(dir, fix, stdout);
}
