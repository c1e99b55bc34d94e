/* Fuzz target: feed_parse() with format stix (see feed_fuzz.h for the checks). */
#include "feed_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    feed_fuzz_one(data, size, FEED_STIX);
    return 0;
}
