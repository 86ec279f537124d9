/* fuzz_entry: raftkv's command entry codec (entry.c): the data of every
 * COMMAND entry in the WAL and in appends, and of every forwarded command,
 * which kv_apply and the leader decode. Input: one encoded entry.
 * Invariants (check_entry in fuzzlib.h): validating and decoding agree,
 * every argument lies inside the input, a rejected entry allocates nothing,
 * and an accepted entry encodes back to exactly the input. */
#include "fuzzlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_entry((const char *)data, size);
    return 0;
}
