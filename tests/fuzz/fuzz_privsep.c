/* Fuzz target: the privilege-separation message decoder (src/agent/
 * privsep.c). The input is the byte stream on the socketpair; it is read
 * back with psmsg_recv from a memory file until the first error. Every
 * message accepted must have a known type, a payload within PSMSG_MAX_LEN
 * equal to the bytes that followed its header, and encode back to exactly
 * the bytes it was read from. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/privsep.h"
#include "base/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf payload = BUF_INIT(0), again = BUF_INIT(0);
    enum psmsg_type type;
    size_t at = 0;
    int fd = memfd_create("fuzz_privsep", MFD_CLOEXEC);

    if (fd < 0)
        return 0;
    if (write_all(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return 0;
    }
    while (psmsg_recv(fd, &type, &payload) == 0) {
        enum psmsg_type t2;
        uint32_t len2;

        if (type < PSMSG_SEND || type > PSMSG_FRAME || payload.len > PSMSG_MAX_LEN ||
            at + PSMSG_HDR_LEN + payload.len > size)
            abort();
        if (psmsg_hdr_parse(data + at, &t2, &len2) != 0 || t2 != type || len2 != payload.len)
            abort();
        if (payload.len && memcmp(payload.data, data + at + PSMSG_HDR_LEN, payload.len) != 0)
            abort();
        buf_reset(&again);
        if (psmsg_encode(&again, type, payload.data, payload.len) != 0 ||
            again.len != PSMSG_HDR_LEN + payload.len || memcmp(again.data, data + at, again.len))
            abort();
        at += again.len;
    }
    buf_release(&payload);
    buf_release(&again);
    close(fd);
    return 0;
}
