/* Fuzz target: input_line() with the BIND and Unbound formats, the same data
 * through both (see input_fuzz.h for the checks). */
#include "input_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input_fuzz_lines(data, size, INPUT_DNS_BIND);
    input_fuzz_lines(data, size, INPUT_DNS_UNBOUND);
    return 0;
}
