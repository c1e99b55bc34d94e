/* Fuzz target: every message decoder of the agent protocol (src/wire/msg.c).
 * The first byte picks the decoder, the rest is the payload. Whatever a
 * decoder accepts, the matching encoder must accept and the decoder must
 * read back the same (hello, welcome, ack, heartbeat, error); a batch is
 * read to the end and its seqs must be first_seq, first_seq + 1, ... */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode (p, len) as type T; if that works, encode it, decode it again and
 * abort unless the encoder accepted it and `same` (over m and back) holds.
 * release(x) frees what a decode handed over. */
#define ROUND(T, dec, enc, same, release)                                                          \
    do {                                                                                           \
        struct T m, back;                                                                          \
        if (dec(p, len, &m, NULL) != 0)                                                            \
            break;                                                                                 \
        struct buf b_ = BUF_INIT(0);                                                               \
        if (enc(&b_, &m) != 0 || dec(b_.data, b_.len, &back, NULL) != 0 || !(same))                \
            abort();                                                                               \
        buf_release(&b_);                                                                          \
        release(&m);                                                                               \
        release(&back);                                                                            \
    } while (0)

#define NOTHING(x) (void)(x)

static void batch(const uint8_t *p, size_t len)
{
    struct msg_batch_reader r;
    struct msg_event ev;
    if (msg_batch_reader_open(&r, p, len, NULL) != 0) {
        msg_batch_reader_release(&r);
        return;
    }
    if (r.n < 1 || r.n > PROTO_MAX_EVENTS || r.last_seq - r.first_seq + 1 != r.n)
        abort();
    uint64_t want = r.first_seq;
    int k;
    while ((k = msg_batch_reader_next(&r, &ev, NULL)) == 1) {
        if (ev.seq != want++ || !json_is_object(ev.obj))
            abort();
    }
    if (k == 0 && want != r.last_seq + 1)
        abort();
    msg_batch_reader_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t *p = data + 1;
    size_t len = size - 1;
    switch (data[0] % 8) {
    case 0:
        ROUND(msg_hello, msg_hello_decode, msg_hello_encode,
              !strcmp(m.agent_id, back.agent_id) && !strcmp(m.version, back.version) &&
                  !strcmp(m.hostname, back.hostname) && m.time_ms == back.time_ms,
              NOTHING);
        break;
    case 1:
        ROUND(msg_welcome, msg_welcome_decode, msg_welcome_encode,
              m.acked_seq == back.acked_seq && m.time_ms == back.time_ms &&
                  m.heartbeat_s == back.heartbeat_s,
              NOTHING);
        break;
    case 2:
        ROUND(msg_ack, msg_ack_decode, msg_ack_encode, m.seq == back.seq, NOTHING);
        break;
    case 3:
        ROUND(msg_heartbeat, msg_heartbeat_decode, msg_heartbeat_encode, m.time_ms == back.time_ms,
              NOTHING);
        break;
    case 4:
        ROUND(msg_task, msg_task_decode, msg_task_encode,
              m.task_id == back.task_id && m.verb == back.verb && json_equal(m.args, back.args),
              msg_task_release);
        break;
    case 5:
        ROUND(msg_task_result, msg_task_result_decode, msg_task_result_encode,
              m.task_id == back.task_id && m.status == back.status &&
                  json_equal(m.result, back.result),
              msg_task_result_release);
        break;
    case 6:
        ROUND(msg_error, msg_error_decode, msg_error_encode,
              m.code == back.code && !strcmp(m.message, back.message), NOTHING);
        break;
    default:
        batch(p, len);
        break;
    }
    return 0;
}
