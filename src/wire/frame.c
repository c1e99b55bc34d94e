/* Frames of the agent/sensor protocol: header, payload, zstd (proto.h). */
#include <string.h>
#include <zstd.h>

#include "base/bytes.h"
#include "wire/proto.h"

/* Below this, compression rarely pays for its header. */
#define FRAME_COMPRESS_MIN 256
#define FRAME_ZSTD_LEVEL   3

const char *frame_type_name(int type)
{
    static const char *const names[] = {
        [FRAME_HELLO] = "hello",
        [FRAME_WELCOME] = "welcome",
        [FRAME_BATCH] = "batch",
        [FRAME_ACK] = "ack",
        [FRAME_HEARTBEAT] = "heartbeat",
        [FRAME_TASK] = "task",
        [FRAME_TASK_RESULT] = "task_result",
        [FRAME_ERROR] = "error",
    };
    if (type <= 0 || (size_t)type >= ARRAY_SIZE(names) || !names[type])
        return "unknown";
    return names[type];
}

static void hdr_write(uint8_t *h, enum frame_type type, uint8_t flags, uint32_t length,
                      uint32_t raw_length)
{
    store_be32(h, PROTO_MAGIC);
    h[4] = PROTO_VERSION;
    h[5] = (uint8_t)type;
    h[6] = flags;
    h[7] = 0;
    store_be32(h + 8, length);
    store_be32(h + 12, raw_length);
}

/* Try to compress (p, len) right after a header slot at the end of out.
 * Returns 1 when the frame was written compressed, 0 when compression does
 * not help (out unchanged), or a negative error. */
static int encode_zstd(struct buf *out, enum frame_type type, const void *p, size_t len)
{
    size_t bound = ZSTD_compressBound(len);
    int r = buf_reserve(out, PROTO_HDR_LEN + bound);
    if (r < 0)
        return r;
    uint8_t *h = (uint8_t *)out->data + out->len;
    size_t n = ZSTD_compress(h + PROTO_HDR_LEN, bound, p, len, FRAME_ZSTD_LEVEL);
    if (ZSTD_isError(n))
        return -EIO;
    if (n >= len)
        return 0;
    if (n > PROTO_MAX_WIRE)
        return -E2BIG;
    hdr_write(h, type, FRAME_F_ZSTD, (uint32_t)n, (uint32_t)len);
    out->len += PROTO_HDR_LEN + n;
    out->data[out->len] = '\0';
    return 1;
}

int frame_encode(struct buf *out, enum frame_type type, const void *p, size_t len, bool compress)
{
    if (len > PROTO_MAX_RAW)
        return -E2BIG;
    if (compress && len >= FRAME_COMPRESS_MIN) {
        int r = encode_zstd(out, type, p, len);
        if (r != 0)
            return r < 0 ? r : 0;
    }
    if (len > PROTO_MAX_WIRE)
        return -E2BIG;
    int r = buf_reserve(out, PROTO_HDR_LEN + len);
    if (r < 0)
        return r;
    uint8_t h[PROTO_HDR_LEN];
    hdr_write(h, type, 0, (uint32_t)len, (uint32_t)len);
    if (buf_append(out, h, sizeof(h)) < 0 || buf_append(out, p, len) < 0)
        return -E2BIG; /* not reached: reserved above */
    return 0;
}

int frame_hdr_parse(const uint8_t *p, struct frame_hdr *ret, struct verr *err)
{
    uint32_t magic = load_be32(p);
    if (magic != PROTO_MAGIC)
        return verr_set(err, -EPROTO, "frame: bad magic 0x%08x", magic);
    if (p[4] != PROTO_VERSION)
        return verr_set(err, -EPROTONOSUPPORT, "frame: unsupported version %u", p[4]);
    if (p[5] < FRAME_HELLO || p[5] > FRAME_ERROR)
        return verr_set(err, -EPROTO, "frame: unknown type %u", p[5]);
    if (p[6] & ~FRAME_F_ZSTD)
        return verr_set(err, -EPROTO, "frame: unknown flags 0x%02x", p[6]);
    if (p[7] != 0)
        return verr_set(err, -EPROTO, "frame: reserved byte is 0x%02x", p[7]);
    uint32_t length = load_be32(p + 8), raw_length = load_be32(p + 12);
    if (length > PROTO_MAX_WIRE)
        return verr_set(err, -EMSGSIZE, "frame: length %u over the limit %u", length,
                        PROTO_MAX_WIRE);
    if (raw_length > PROTO_MAX_RAW)
        return verr_set(err, -EMSGSIZE, "frame: raw_length %u over the limit %u", raw_length,
                        PROTO_MAX_RAW);
    if (!(p[6] & FRAME_F_ZSTD) && raw_length != length)
        return verr_set(err, -EPROTO, "frame: raw_length %u differs from length %u", raw_length,
                        length);
    ret->version = p[4];
    ret->type = p[5];
    ret->flags = p[6];
    ret->length = length;
    ret->raw_length = raw_length;
    return 0;
}

/* Decompress one zstd frame (p, len) into out, which must come to exactly
 * raw bytes. The frame must declare its content size, and that size must be
 * raw: the output buffer is never larger than what the header announced,
 * so a bomb fails with "destination too small" instead of allocating. */
static int payload_zstd(const uint8_t *p, size_t len, uint32_t raw, struct buf *out,
                        struct verr *err)
{
    size_t flen = ZSTD_findFrameCompressedSize(p, len);
    if (ZSTD_isError(flen) || flen != len)
        return verr_set(err, -EPROTO, "frame: payload is not exactly one zstd frame");
    unsigned long long csize = ZSTD_getFrameContentSize(p, len);
    if (csize == ZSTD_CONTENTSIZE_ERROR || csize == ZSTD_CONTENTSIZE_UNKNOWN)
        return verr_set(err, -EPROTO, "frame: zstd frame without a content size");
    if (csize != raw)
        return verr_set(err, -EPROTO, "frame: zstd content size %llu differs from raw_length %u",
                        csize, raw);
    if (buf_reserve(out, raw) < 0)
        return verr_set(err, -EMSGSIZE, "frame: raw_length %u over the buffer limit", raw);
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!dctx)
        return verr_set(err, -ENOMEM, "frame: out of memory for zstd");
    size_t n = ZSTD_decompressDCtx(dctx, out->data, raw, p, len);
    ZSTD_freeDCtx(dctx);
    if (ZSTD_isError(n))
        return verr_set(err, -EPROTO, "frame: zstd: %s", ZSTD_getErrorName(n));
    if (n != raw)
        return verr_set(err, -EPROTO, "frame: zstd gave %zu bytes, raw_length is %u", n, raw);
    out->len = n;
    out->data[n] = '\0';
    return 0;
}

int frame_payload(const struct frame_hdr *h, const uint8_t *p, struct buf *out, struct verr *err)
{
    buf_reset(out);
    if (h->length > PROTO_MAX_WIRE || h->raw_length > PROTO_MAX_RAW)
        return verr_set(err, -EMSGSIZE, "frame: length over the limit");
    if (h->flags & FRAME_F_ZSTD)
        return payload_zstd(p, h->length, h->raw_length, out, err);
    if (h->raw_length != h->length)
        return verr_set(err, -EPROTO, "frame: raw_length %u differs from length %u", h->raw_length,
                        h->length);
    if (buf_append(out, p, h->length) < 0)
        return verr_set(err, -EMSGSIZE, "frame: length %u over the buffer limit", h->length);
    return 0;
}
