/* Fuzz target: frame headers and payloads of the agent protocol
 * (src/wire/frame.c), zstd included. The input is used three ways:
 *   1. as a frame on the wire: header, then payload;
 *   2. bytes 4.. as a zstd payload whose raw_length is bytes 0..3 (capped);
 *   3. as a payload to encode (compressed) and decode again: a round trip.
 * A payload that decodes always has exactly raw_length bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/proto.h"

#define FUZZ_MAX_RAW (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_payload(const struct frame_hdr *h, const uint8_t *p, struct buf *out)
{
    int r = frame_payload(h, p, out, NULL);
    if (r == 0 && out->len != h->raw_length)
        abort();
    if (r != 0 && r != -EPROTO && r != -EMSGSIZE && r != -ENOMEM)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf out = BUF_INIT(FUZZ_MAX_RAW);
    struct frame_hdr h;
    /* 1. */
    if (size >= PROTO_HDR_LEN && frame_hdr_parse(data, &h, NULL) == 0 &&
        h.length <= size - PROTO_HDR_LEN)
        check_payload(&h, data + PROTO_HDR_LEN, &out);
    /* 2. */
    if (size >= 4) {
        uint32_t raw = ((uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16) &
                       (FUZZ_MAX_RAW - 1);
        h = (struct frame_hdr){.version = PROTO_VERSION,
                               .type = FRAME_BATCH,
                               .flags = FRAME_F_ZSTD,
                               .length = (uint32_t)(size - 4),
                               .raw_length = data[3] & 1 ? raw : (uint32_t)size};
        check_payload(&h, data + 4, &out);
    }
    /* 3. */
    struct buf wire = BUF_INIT(0);
    if (frame_encode(&wire, FRAME_BATCH, data, size, true) != 0)
        abort();
    if (frame_hdr_parse((const uint8_t *)wire.data, &h, NULL) != 0 ||
        wire.len != PROTO_HDR_LEN + h.length ||
        frame_payload(&h, (const uint8_t *)wire.data + PROTO_HDR_LEN, &out, NULL) != 0 ||
        out.len != size || (size && memcmp(out.data, data, size) != 0))
        abort();
    buf_release(&wire);
    buf_release(&out);
    return 0;
}
