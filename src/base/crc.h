/* crc: zlib's crc32 over spans of any length (zlib takes a uInt length,
 * so big spans go in pieces). Callers link -lz. */
#ifndef RAFTKV_CRC_H
#define RAFTKV_CRC_H
#include <stdint.h>
#include <zlib.h>

/* Continues crc (0 to start) over n bytes at p. */
static inline uint32_t crc_update(uint32_t crc, const char *p, uint64_t n) {
    uLong c = crc;
    while (n) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, (const Bytef *)p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}
#endif
