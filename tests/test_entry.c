/* Unit tests of the log entry codec: round trip, and every truncation or
 * corruption of the length fields is rejected rather than misread. */
#include "entry.h"
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

int main(void) {
    rstr args[3] = {{"SET", 3}, {"k\0y", 3}, {"", 0}};
    buf b;
    buf_init(&b);
    entry_encode(&b, ENTRY_COMMAND, 1700000000123ULL, 3, args);
    int type;
    uint64_t t;
    rstr *v;
    int n = entry_decode(b.data, b.len, &type, &t, &v);
    CHECK(n == 3 && type == ENTRY_COMMAND && t == 1700000000123ULL);
    if (n == 3) {
        CHECK(v[0].len == 3 && !memcmp(v[0].p, "SET", 3));
        CHECK(v[1].len == 3 && !memcmp(v[1].p, "k\0y", 3));
        CHECK(v[2].len == 0);
    }
    free(v);
    for (size_t cut = 0; cut < b.len; cut++) {
        CHECKMSG(entry_decode(b.data, cut, &type, &t, &v) == -1, "truncated at %zu accepted", cut);
        free(v);
    }
    /* A huge argc or length must fail cleanly, not allocate or overread. */
    char *c = malloc(b.len);
    memcpy(c, b.data, b.len);
    c[9] = c[10] = c[11] = c[12] = (char)0xff;
    CHECK(entry_decode(c, b.len, &type, &t, &v) == -1);
    free(v);
    memcpy(c, b.data, b.len);
    c[13] = (char)0xff;
    CHECK(entry_decode(c, b.len, &type, &t, &v) == -1);
    free(v);
    free(c);
    buf_free(&b);
    return test_summary("entry");
}
