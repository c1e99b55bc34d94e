/* Fuzz target: input_line() with format nfdump (see input_fuzz.h for the checks). */
#include "input_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input_fuzz_lines(data, size, INPUT_NFDUMP_CSV);
    return 0;
}
