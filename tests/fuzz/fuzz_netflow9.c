/* Fuzz target: sequences of NetFlow v9 packets into one template cache (see netflow_fuzz.h). */
#include "netflow_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nf_fuzz_one(data, size, 9, SRC_NETFLOW9);
    return 0;
}
