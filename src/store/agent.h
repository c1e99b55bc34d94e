/*
 * Agents in the store: enrollment tokens, the registry, revocation.
 * (Events, inventory and coverage are in store/event.h.)
 *
 * Identity: vigild's CA signs the agent's CSR at enrollment; the
 * certificate's subject CN is "agent-<id>" and its serial is recorded. An
 * agent is allowed to connect while it is not revoked and its certificate's
 * serial is the one recorded for it.
 */
#ifndef VIGIL_STORE_AGENT_H
#define VIGIL_STORE_AGENT_H

#include <jansson.h>

#include "store/store.h"

/* One-time enrollment token (shown once; only its SHA-256 stored), valid
 * until now + ttl_s. note may be NULL. */
int store_enroll_token_create(struct store *s, const struct actor *who, int64_t ttl_s,
                              const char *note, char ret_secret[static 65], int64_t *ret_id,
                              int64_t *ret_expires, struct verr *err) WUR;
/* Consume a token: 0 if it exists, is unused and unexpired (it is marked
 * used in the same transaction as the agent row is created by
 * store_agent_create); -EACCES otherwise, with err saying expired / used /
 * unknown (for the log, not for the client). */
int store_enroll_token_take(struct store *s, const char *secret, int64_t *ret_token_id,
                            struct verr *err) WUR;
/* {"items":[token...]}; token: {"id","note","created_by","created_at",
 * "expires_at","used_at","agent_id","status":"unused"|"used"|"expired"}
 * (never the secret). */
json_t *store_enroll_token_list(struct store *s);

/* Create the agent row (status active) for a taken token; returns its id.
 * The certificate serial (hex) and fingerprint (SHA-256 hex) are set by
 * store_agent_set_cert once the CA has signed. */
int store_agent_create(struct store *s, int64_t token_id, const char *hostname,
                       const char *addr, int64_t *ret_id, struct verr *err) WUR;
int store_agent_set_cert(struct store *s, int64_t id, const char *serial_hex,
                         const char *fp_hex, int64_t not_after, struct verr *err) WUR;
/* Undo store_agent_create when signing failed: the agent row (still
 * without a certificate) is deleted and its token is unused again. */
int store_agent_uncreate(struct store *s, int64_t id, struct verr *err) WUR;

/* 0 if the agent exists, is not revoked and serial_hex is its current
 * certificate's; -EACCES otherwise. */
int store_agent_check(struct store *s, int64_t id, const char *serial_hex) WUR;
/* Record a connection or heartbeat: last seen, version, peer address, and
 * the clock skew (server - agent, ms). */
int store_agent_seen(struct store *s, int64_t id, const char *version, const char *addr,
                     int64_t skew_ms, struct verr *err) WUR;
int store_agent_revoke(struct store *s, const struct actor *who, int64_t id,
                       struct verr *err) WUR;

/* {"items":[agent...]}; agent: {"id","hostname","status":"active"|"revoked",
 * "version","addr","last_seen","skew_ms","enrolled_at","cert_not_after"} */
json_t *store_agent_list(struct store *s);
json_t *store_agent_get(struct store *s, int64_t id);

#endif
