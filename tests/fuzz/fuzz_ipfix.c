/* Fuzz target: sequences of IPFIX packets into one template cache (see netflow_fuzz.h). */
#include "netflow_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nf_fuzz_one(data, size, 10, SRC_IPFIX);
    return 0;
}
