/*
 * The agent daemon: the collector loop (logs, journal, file integrity,
 * inventory -> spool) and its network process (privsep.h).
 */
#ifndef VIGIL_AGENT_AGENT_H
#define VIGIL_AGENT_AGENT_H

#include "agent/config.h"
#include "base/err.h"

/* What enrollment left in the data directory (agent.json). */
struct agent_identity {
    char agent_id[64];
    char server[256]; /* host vigild was enrolled from */
    unsigned api_port;
    unsigned ingest_port;
    bool have_fingerprint; /* the API certificate pinned at enrollment */
    uint8_t fingerprint[32];
};

/* Read <data_dir>/agent.json. Returns 0, -ENOENT (not enrolled) or -EINVAL. */
int agent_identity_load(const struct agent_config *c, struct agent_identity *ret,
                        struct verr *err) WUR;
/* Write it (0600, atomically). */
int agent_identity_save(const struct agent_config *c, const struct agent_identity *id) WUR;

/* Run until SIGTERM/SIGINT. Returns the process exit status. */
int agent_run(const struct agent_config *c);

#endif
