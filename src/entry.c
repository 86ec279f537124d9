#include "entry.h"
#include <stdlib.h>
#include <string.h>

static void put32(buf *b, uint32_t v) {
    unsigned char t[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    buf_append(b, t, 4);
}

static uint32_t get32(const char *p) {
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

void entry_encode(buf *out, int type, uint64_t time_ms, int argc, const rstr *argv) {
    unsigned char t = (unsigned char)type;
    buf_append(out, &t, 1);
    put32(out, (uint32_t)time_ms);
    put32(out, (uint32_t)(time_ms >> 32));
    put32(out, (uint32_t)argc);
    for (int i = 0; i < argc; i++) {
        put32(out, (uint32_t)argv[i].len);
        buf_append(out, argv[i].p, argv[i].len);
    }
}

int entry_decode(const char *d, size_t len, int *type, uint64_t *time_ms, rstr **argv) {
    *argv = NULL;
    if (len < 13) return -1;
    *type = (unsigned char)d[0];
    *time_ms = (uint64_t)get32(d + 1) | (uint64_t)get32(d + 5) << 32;
    uint32_t argc = get32(d + 9);
    size_t pos = 13;
    if (argc > (len - pos) / 4) return -1; /* each arg needs at least its length */
    rstr *v = xmalloc(sizeof(rstr) * (argc ? argc : 1));
    for (uint32_t i = 0; i < argc; i++) {
        if (len - pos < 4) { free(v); return -1; }
        uint32_t n = get32(d + pos);
        pos += 4;
        if (n > len - pos) { free(v); return -1; }
        v[i].p = (char *)d + pos;
        v[i].len = n;
        pos += n;
    }
    if (pos != len) { free(v); return -1; }
    *argv = v;
    return (int)argc;
}
