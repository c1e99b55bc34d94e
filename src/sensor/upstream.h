/*
 * The sensor's link to vigild over its HTTPS API: pull a feed's latest
 * version (polling the small versions list, fetching the values only when
 * the version id changed) and post hits as JSON lines to /api/v1/sightings.
 * Blocking calls, made from the sensor's main thread only.
 */
#ifndef VIGIL_SENSOR_UPSTREAM_H
#define VIGIL_SENSOR_UPSTREAM_H

#include "base/buf.h"
#include "base/common.h"
#include "base/err.h"
#include "sensor/config.h"

struct upstream;

/* From the vigild section of the config (url, token_file, cacert,
 * fingerprint). Returns 0 or a negative code with err set. */
int upstream_open(const struct sensor_config *c, struct upstream **ret, struct verr *err) WUR;
void upstream_close(struct upstream *u);

/* If feed's latest version id differs from *version, fetch its values
 * (one a line) into body, set *version and return 1; 0 when unchanged;
 * negative with err on failure. */
int upstream_pull(struct upstream *u, const char *feed, int64_t *version, struct buf *body,
                  struct verr *err) WUR;

/* POST the JSON lines (p, n) (at most SIGHTING_BATCH_MAX lines). Returns 0
 * when vigild stored them, negative with err otherwise. */
int upstream_post(struct upstream *u, const char *p, size_t n, struct verr *err) WUR;

#endif
