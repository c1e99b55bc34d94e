/* Quarantine sidecar parser: no crash; what parses re-encodes to an equal record. */
#include <string.h>

#include "scan/quarantine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct quar_meta m, back;
    struct verr e;
    verr_init(&e);
    if (quar_meta_parse(data, size, &m, &e) != 0)
        return 0;
    if (m.path[0] != '/' || strlen(m.id) != QUAR_ID_LEN || m.mode > 07777)
        __builtin_trap();
    char *doc = quar_meta_encode(&m);
    if (!doc || quar_meta_parse((const uint8_t *)doc, strlen(doc), &back, &e) != 0)
        __builtin_trap();
    if (strcmp(back.path, m.path) != 0 || strcmp(back.sha256, m.sha256) != 0 ||
        back.mtime_ns != m.mtime_ns || back.uid != m.uid || back.mode != m.mode)
        __builtin_trap();
    free(doc);
    quar_meta_release(&back);
    quar_meta_release(&m);
    return 0;
}
