/* sha256: SHA-256 (FIPS 180-4) of a byte string, in one call. raftkv keeps
 * passwords only as their digests and compares digests, so that checking
 * one takes the same time whatever the guess (auth.c). Pure code. */
#ifndef RAFTKV_SHA256_H
#define RAFTKV_SHA256_H
#include <stddef.h>

#define SHA256_LEN 32

void sha256(const void *data, size_t len, unsigned char out[SHA256_LEN]);
/* 1 if the two digests are equal; its time does not depend on where they
 * differ. */
int sha256_equal(const unsigned char a[SHA256_LEN], const unsigned char b[SHA256_LEN]);
#endif
