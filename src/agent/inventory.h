/*
 * Host inventory: OS release, kernel, hostname, interfaces, installed
 * packages, listening sockets and connections with their processes, users
 * and groups, running processes, systemd units and cron entries.
 * docs/agent-protocol.md ("Inventory") defines the JSON; the agent sends a
 * snapshot ("inventory.snapshot", {"inventory": {...}}) at start and on
 * request, then deltas ("inventory.delta", {"inventory": {"added": ...,
 * "removed": ...}}) of items added, removed or changed by natural key.
 *
 * The parsers take text so that tests can feed them samples; the root
 * (normally "/") lets tests point the collector at a fake tree.
 */
#ifndef VIGIL_AGENT_INVENTORY_H
#define VIGIL_AGENT_INVENTORY_H

#include <jansson.h>

#include "agent/event.h"
#include "base/common.h"

#define INV_MAX_ITEMS 100000      /* per category */
#define INV_MAX_FILE  (64u << 20) /* largest status/passwd/... file read */
#define INV_MAX_EXE   (64u << 20) /* larger executables are not hashed */

/* dpkg status text -> array of {"name","version","arch","source":"dpkg"}
 * (only packages whose status is "install ok installed"). */
json_t *inv_parse_dpkg(const char *text, size_t len);
/* /etc/os-release -> {"id","version_id","name","pretty_name"} */
json_t *inv_parse_os_release(const char *text, size_t len);
/* /etc/passwd -> [{"name","uid","gid","home","shell"}] */
json_t *inv_parse_passwd(const char *text, size_t len);
/* /etc/group -> [{"name","gid","members":[...]}] */
json_t *inv_parse_group(const char *text, size_t len);
/* /proc/net/{tcp,tcp6,udp,udp6} text: listening sockets (tcp LISTEN, udp
 * unconnected) appended to listening as {"proto","addr","port","inode"},
 * established ones to connections as {"proto","local_addr","local_port",
 * "remote_addr","remote_port","inode"}. proto is "tcp" or "udp"; v6
 * selects the address format. */
void inv_parse_proc_net(const char *text, size_t len, const char *proto, bool v6, json_t *listening,
                        json_t *connections);
/* crontab text (system format when system is set: with a user column)
 * -> {"file","line","schedule","command"[,"user"]} appended to arr. */
void inv_parse_crontab(const char *text, size_t len, const char *file, bool system, json_t *arr);

/* The delta from old to now: {"added": {section: [items added or
 * changed], scalar: value}, "removed": {section: [items]}}, or NULL when
 * nothing changed. */
json_t *inventory_delta(json_t *old, json_t *now);

/* Collect the whole inventory under root ("/" normally). Never NULL. */
json_t *inventory_collect(const char *root);

struct inventory;
struct inventory *inventory_new(const char *root);
void inventory_free(struct inventory *inv);
/* Collect now and emit: a snapshot the first time or when full is set,
 * else one delta event when something changed. Returns events emitted
 * (0 or 1) or negative (from emit). */
int inventory_run(struct inventory *inv, bool full, agent_emit_fn emit, void *ctx) WUR;

#endif
