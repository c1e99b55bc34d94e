/*
 * Handlers of the /api/v1/ resources (docs/api.md). Each is called with an
 * authenticated, routed request whose role is allowed, and answers it once.
 */
#ifndef VIGIL_SERVER_API_H
#define VIGIL_SERVER_API_H

#include "server/http.h"

/* api_units.c */
void api_units_list(struct req *r);
void api_units_create(struct req *r);
void api_units_get(struct req *r);
void api_units_delete(struct req *r);

/* api_systems.c */
void api_systems_list(struct req *r);
void api_systems_create(struct req *r);
void api_systems_get(struct req *r);
void api_systems_delete(struct req *r);

/* api_feeds.c */
void api_feeds_list(struct req *r);
void api_feeds_import(struct req *r);
void api_feeds_versions(struct req *r);
void api_feeds_diff(struct req *r);

/* api_findings.c */
void api_findings_list(struct req *r);
void api_findings_get(struct req *r);
void api_findings_update(struct req *r);

/* api_tokens.c */
void api_tokens_list(struct req *r);
void api_tokens_create(struct req *r);
void api_tokens_delete(struct req *r);

/* api_audit.c */
void api_audit_list(struct req *r);

/* api_sightings.c */
void api_sightings_post(struct req *r);
void api_sightings_list(struct req *r);
void api_feeds_indicators(struct req *r);

/* api_agents.c: enrollment tokens and the agent registry. api_enroll is
 * called without authentication (the enrollment token is in its body),
 * for any method. */
void api_agent_tokens_create(struct req *r);
void api_agent_tokens_list(struct req *r);
void api_agents_list(struct req *r);
void api_agents_get(struct req *r);
void api_agents_revoke(struct req *r);
void api_enroll(struct req *r);

/* api_events.c: events search, host inventory, coverage, agent tasks. */
void api_events_search(struct req *r);
void api_hosts_inventory(struct req *r);
void api_coverage(struct req *r);
void api_agent_tasks_create(struct req *r);
void api_agent_tasks_list(struct req *r);

/* api_malware.c: scan bundles, scans, malware findings, scan coverage. */
void api_scan_bundles_add(struct req *r);
void api_scan_bundles_list(struct req *r);
void api_scans_list(struct req *r);
void api_malware_list(struct req *r);
void api_malware_get(struct req *r);
void api_malware_update(struct req *r);
void api_malware_remove(struct req *r);
void api_malware_restore(struct req *r);
void api_scan_coverage(struct req *r);

/* Wrap a store list as {"items": [...]} (an object is passed through);
 * NULL becomes an empty list. Steals v. */
json_t *api_items(json_t *v);

#endif
