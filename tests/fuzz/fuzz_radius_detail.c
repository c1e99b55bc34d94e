/* Fuzz target: attrib_load_radius_detail_mem() (see attrib_fuzz.h for the checks). */
#include "attrib_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    attrib_fuzz_one(data, size, attrib_load_radius_detail_mem);
    return 0;
}
