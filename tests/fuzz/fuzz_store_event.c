/* Fuzz target: one agent event, as vigild's ingest stores it
 * (src/store/event.c), whose document is the fuzz input. Inventory
 * snapshots and deltas, scan progress and malware reports are applied in
 * the event's transaction (store/malware.h): a malformed document must be
 * stored as an event or refused whole, never crash or break the store; the
 * store stays readable (scan and malware lists answer). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "store/event.h"
#include "store/malware.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;
static int64_t seq;

static void close_store(void)
{
    store_close(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct verr err;
    json_t *doc;

    if (size > EVENT_DOC_MAX)
        return 0;
    verr_init(&err);
    if (!st) {
        char dir[64] = "/tmp/vigil-fuzz-store-XXXXXX";
        if (!mkdtemp(dir) || store_open(dir, &st, &err) < 0)
            abort();
        atexit(close_store);
    }
    /* The listener stores only lines that are JSON objects, and takes the
     * dataset, host and message from them. */
    doc = json_loadb((const char *)data, size, 0, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return 0;
    }
    json_t *ev = json_object_get(doc, "event");
    struct event_in e = {
        .seq = ++seq,
        .dataset = json_string_value(json_object_get(ev, "dataset")),
        .host = json_string_value(json_object_get(json_object_get(doc, "host"), "name")),
        .message = json_string_value(json_object_get(doc, "message")),
        .doc = (const char *)data,
        .doc_len = size,
    };
    size_t n_new = 0;
    int rc = store_event_insert(st, 1, &e, 1, &n_new, &err);
    if (rc < 0 && rc != -EINVAL)
        abort();
    json_t *scans = store_scan_list(st, 0, 10);
    struct malware_filter f = {0};
    json_t *mw = NULL;
    if (!scans || store_malware_list(st, &f, &mw, &err) < 0)
        abort();
    json_decref(scans);
    json_decref(mw);
    json_decref(doc);
    return 0;
}
