/*
 * Internals shared by event.c, inventory.c and task.c (not part of the
 * store's contract): inventory application inside a caller's transaction
 * and the addresses of agents, for retention and coverage.
 */
#ifndef VIGIL_STORE_EVENT_INT_H
#define VIGIL_STORE_EVENT_INT_H

#include "base/vec.h"
#include "store/event.h"

#define INVENTORY_SNAPSHOT "inventory.snapshot"
#define INVENTORY_DELTA    "inventory.delta"

/* Apply a snapshot or delta to agent_id's inventory; the caller holds a
 * transaction. -EINVAL (err says why) or -EIO. */
int inventory_apply_locked(struct store *s, int64_t agent_id, json_t *inv, bool delta,
                           struct verr *err) WUR;

/* An address an agent is known by: its connection address (registry) or
 * an interface address from its inventory. */
struct agent_addr {
    int64_t agent_id;
    uint8_t family; /* 4 or 6, as system_addrs.family */
    uint8_t len;    /* 4 or 16 */
    uint8_t b[16];  /* big-endian */
};
struct agent_addrs {
    VEC(struct agent_addr) v;
};
/* Every agent's addresses: agents is the registry's items ({"id", "addr"},
 * may be NULL), plus every inventory's interface addresses; with only > 0,
 * only that agent's inventory addresses. */
int agent_addrs_load(struct store *s, json_t *agents, int64_t only, struct agent_addrs *ret,
                     struct verr *err) WUR;
void agent_addrs_release(struct agent_addrs *aa);
/* The security levels (bit l for level l) of the systems containing one of
 * agent_id's addresses. */
int agent_levels(struct store *s, const struct agent_addrs *aa, int64_t agent_id,
                 unsigned *ret_levels, struct verr *err) WUR;

#endif
