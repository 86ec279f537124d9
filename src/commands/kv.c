#include "kv.h"
#include "cmd.h"
#include "entry.h"
#include "log.h"
#include <stdlib.h>

void kv_apply(store *f, uint64_t index, uint64_t term, const char *entry, size_t len, buf *reply) {
    int type;
    uint64_t time_ms;
    rstr *argv;
    int argc = entry_decode(entry, len, &type, &time_ms, &argv);
    if (argc < 0) {
        /* Entries are checksummed before they get here; a bad one is a bug. */
        logmsg(LL_WARNING, "kv_apply: undecodable entry at index %llu", (unsigned long long)index);
        abort();
    }
    if (type == ENTRY_COMMAND && argc > 0) cmd_apply(f, time_ms, argc, argv, reply);
    else if (type == ENTRY_EXPIRE) cmd_expire(f, time_ms, argc, argv);
    store_set_time(f, time_ms);
    free(argv);
    store_set_applied(f, index, term);
}

uint64_t kv_entry_time(const char *entry, size_t len) { return entry_time(entry, len); }

void kv_apply_conf(store *f, uint64_t index, uint64_t term, const char *text, size_t len, int removed, buf *reply) {
    store_record_conf(f, index, text, len, removed);
    store_set_applied(f, index, term);
    if (reply) buf_appendstr(reply, "+OK\r\n");
}
