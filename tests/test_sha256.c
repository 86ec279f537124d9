/* Unit tests of SHA-256 (src/base/sha256.c): the FIPS 180-4 example
 * messages, lengths around the block and padding boundaries (checked
 * against Python's hashlib when written), and the digest comparison. */
#include "sha256.h"
#include "testlib.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hex(const unsigned char *d, char *out) {
    for (int i = 0; i < SHA256_LEN; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

static void expect(const void *msg, size_t len, const char *want) {
    unsigned char d[SHA256_LEN];
    char got[2 * SHA256_LEN + 1];
    sha256(msg, len, d);
    hex(d, got);
    CHECKMSG(!strcmp(got, want), "sha256 of %zu bytes: %s, want %s", len, got, want);
}

int main(void) {
    expect("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* 55, 56, 63, 64 and 65 bytes: the padding takes one block or two */
    char a[1000];
    memset(a, 'a', sizeof(a));
    expect(a, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    expect(a, 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    expect(a, 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
    expect(a, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
    expect(a, 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0");
    expect(a, 1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
    char *m = malloc(1000000);
    memset(m, 'a', 1000000);
    expect(m, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(m);

    unsigned char x[SHA256_LEN], y[SHA256_LEN];
    sha256("secret", 6, x);
    sha256("secret", 6, y);
    CHECK(sha256_equal(x, y));
    sha256("secreT", 6, y);
    CHECK(!sha256_equal(x, y));
    memcpy(y, x, SHA256_LEN);
    y[SHA256_LEN - 1] ^= 1;
    CHECK(!sha256_equal(x, y));
    return test_summary("sha256");
}
