#include "entry.h"
#include "blob.h"
#include "wal.h"
#include <stdlib.h>
#include <string.h>

/* Checked here, not in the WAL, which knows records, not commands. */
_Static_assert(ENTRY_MAX_REQUEST <= WAL_MAX_RECORD, "any command a client may send fits one WAL record");

static size_t entry_size(int argc, const rstr *argv) {
    size_t n = 13;
    for (int i = 0; i < argc; i++) n += 4 + argv[i].len;
    return n;
}

/* Writes the entry at p, which has entry_size() bytes. */
static void entry_write(char *p, int type, uint64_t time_ms, int argc, const rstr *argv) {
    *p = (char)type;
    set_u64(p + 1, time_ms);
    set_u32(p + 9, (uint32_t)argc);
    p += 13;
    for (int i = 0; i < argc; i++) {
        set_u32(p, (uint32_t)argv[i].len);
        if (argv[i].len) memcpy(p + 4, argv[i].p, argv[i].len);
        p += 4 + argv[i].len;
    }
}

void entry_encode(buf *out, int type, uint64_t time_ms, int argc, const rstr *argv) {
    size_t n = entry_size(argc, argv);
    buf_reserve(out, n);
    entry_write(out->data + out->len, type, time_ms, argc, argv);
    out->len += n;
}

char *entry_blob(int type, uint64_t time_ms, int argc, const rstr *argv, size_t *len) {
    *len = entry_size(argc, argv);
    char *b = blob_new(*len);
    entry_write(b, type, time_ms, argc, argv);
    return b;
}

uint64_t entry_time(const char *d, size_t len) {
    return len < 13 ? 0 : (uint64_t)get_u32(d + 1) | (uint64_t)get_u32(d + 5) << 32;
}

int entry_decode(const char *d, size_t len, int *type, uint64_t *time_ms, rstr **argv) {
    if (argv) *argv = NULL;
    if (len < 13) return -1;
    *type = (unsigned char)d[0];
    *time_ms = (uint64_t)get_u32(d + 1) | (uint64_t)get_u32(d + 5) << 32;
    uint32_t argc = get_u32(d + 9);
    size_t pos = 13;
    if (argc > (len - pos) / 4) return -1; /* each arg needs at least its length */
    rstr *v = argv ? xmalloc(sizeof(rstr) * (argc ? argc : 1)) : NULL;
    for (uint32_t i = 0; i < argc; i++) {
        if (len - pos < 4) { free(v); return -1; }
        uint32_t n = get_u32(d + pos);
        pos += 4;
        if (n > len - pos) { free(v); return -1; }
        if (v) {
            v[i].p = (char *)d + pos;
            v[i].len = n;
        }
        pos += n;
    }
    if (pos != len) { free(v); return -1; }
    if (argv) *argv = v;
    return (int)argc;
}
