/* Fuzz target: pcap_packet(). The first byte picks the link type, the rest
 * is the captured frame (see input_fuzz.h for the checks). */
#include "input_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int linktypes[] = {1 /* EN10MB */, 113 /* LINUX_SLL */, 276 /* SLL2 */,
                                    12 /* RAW */,   0 /* NULL */,        101 /* LINKTYPE_RAW */};
    if (size < 1)
        return 0;
    struct obs_counters c = {0};
    int lt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
    pcap_packet(lt, data + 1, size - 1, size - 1, 0, 1, input_fuzz_check, NULL, &c);
    return 0;
}
