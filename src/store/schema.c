/*
 * The store's schema as versioned migrations. migrations[i] takes a database
 * from PRAGMA user_version i to i+1; store_open() runs each pending one in
 * its own transaction. Never edit a released migration: append a new one.
 *
 * Notes on the design:
 * - Addresses are kept as big-endian blobs (4 bytes IPv4, 16 bytes IPv6) so
 *   that blob order is numeric order and range tests are plain comparisons.
 * - indicators is a WITHOUT ROWID table keyed by (version_id, key), where key
 *   is a class byte plus the address and prefix length (IPs) or the value
 *   text (others). An import inserts a version's rows in key order, so the
 *   one B-tree grows by appending: no second index to maintain per row. The
 *   same order serves diffs (a merge of two sorted scans) and the "which
 *   listed prefixes overlap this range" lookups of a new system. version_id
 *   has no foreign-key clause: versions are never deleted, and the check
 *   would cost a lookup per row of a 500,000-row import.
 * - Identifiers of things people refer to use AUTOINCREMENT so that an id in
 *   the audit log is never reused for another object.
 */
#include "store/store_int.h"

const char *const store_migrations[] = {
    /* 0 -> 1: the foundation. */
    "CREATE TABLE units ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL,"
    "  code TEXT,"
    "  parent_id INTEGER REFERENCES units(id),"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX units_parent ON units(parent_id, name);"

    "CREATE TABLE systems ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  unit_id INTEGER NOT NULL REFERENCES units(id),"
    "  name TEXT NOT NULL,"
    "  level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),"
    "  owner TEXT, operator TEXT, contacts TEXT,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX systems_unit ON systems(unit_id, name);"

    "CREATE TABLE system_addrs ("
    "  id INTEGER PRIMARY KEY,"
    "  system_id INTEGER NOT NULL REFERENCES systems(id) ON DELETE CASCADE,"
    "  family INTEGER NOT NULL CHECK (family IN (4, 6)),"
    "  first BLOB NOT NULL,"
    "  last BLOB NOT NULL,"
    "  prefix_len INTEGER NOT NULL,"
    "  cidr TEXT NOT NULL);"
    "CREATE INDEX system_addrs_system ON system_addrs(system_id);"
    "CREATE INDEX system_addrs_range ON system_addrs(family, first);"

    "CREATE TABLE feeds ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('botnet', 'threat')),"
    "  created_at INTEGER NOT NULL);"

    "CREATE TABLE feed_versions ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  feed_id INTEGER NOT NULL REFERENCES feeds(id),"
    "  list_date TEXT NOT NULL,"
    "  imported_at INTEGER NOT NULL,"
    "  format TEXT NOT NULL,"
    "  source TEXT,"
    "  sha256 TEXT,"
    "  n_indicators INTEGER NOT NULL,"
    "  n_lines INTEGER NOT NULL,"
    "  n_errors INTEGER NOT NULL,"
    "  UNIQUE (feed_id, list_date));"

    "CREATE TABLE indicators ("
    "  version_id INTEGER NOT NULL,"
    "  key BLOB NOT NULL,"
    "  type INTEGER NOT NULL,"
    "  value TEXT NOT NULL,"
    "  first_seen INTEGER,"
    "  malware TEXT,"
    "  port INTEGER,"
    "  asn INTEGER,"
    "  isp TEXT,"
    "  ref TEXT,"
    "  PRIMARY KEY (version_id, key)) WITHOUT ROWID;"

    "CREATE TABLE findings ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind TEXT NOT NULL,"
    "  system_id INTEGER NOT NULL REFERENCES systems(id) ON DELETE CASCADE,"
    "  feed_id INTEGER NOT NULL REFERENCES feeds(id),"
    "  indicator TEXT NOT NULL,"
    "  ip TEXT NOT NULL,"
    "  ip_family INTEGER,"
    "  ip_first BLOB,"
    "  ip_last BLOB,"
    "  status TEXT NOT NULL"
    "    CHECK (status IN ('open', 'in_progress', 'resolved', 'false_positive')),"
    "  priority INTEGER NOT NULL,"
    "  streak INTEGER NOT NULL,"
    "  first_listed INTEGER REFERENCES feed_versions(id),"
    "  last_listed INTEGER REFERENCES feed_versions(id),"
    "  details TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (kind, feed_id, system_id, indicator));"
    "CREATE INDEX findings_rank ON findings(priority DESC, id);"
    "CREATE INDEX findings_status ON findings(status, priority DESC, id);"
    "CREATE INDEX findings_system ON findings(system_id);"

    "CREATE TABLE finding_history ("
    "  id INTEGER PRIMARY KEY,"
    "  finding_id INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL,"
    "  actor_token_id INTEGER,"
    "  actor TEXT NOT NULL,"
    "  from_status TEXT,"
    "  to_status TEXT NOT NULL,"
    "  comment TEXT);"
    "CREATE INDEX finding_history_finding ON finding_history(finding_id, id);"

    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),"
    "  secret_sha256 BLOB NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  revoked_at INTEGER);"

    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at INTEGER NOT NULL,"
    "  actor_token_id INTEGER,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  object_type TEXT NOT NULL,"
    "  object_id INTEGER,"
    "  detail TEXT);",

    /* 1 -> 2: sightings, hits of listed indicators reported by vigil-sensor
     * (one row a hit; `hit` keeps the ECS JSON line as sent). */
    "CREATE TABLE sightings ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at INTEGER NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    "  sensor TEXT NOT NULL,"
    "  feed TEXT NOT NULL,"
    "  indicator_type TEXT NOT NULL,"
    "  indicator TEXT NOT NULL,"
    "  source_ip TEXT,"
    "  destination_ip TEXT,"
    "  user_id TEXT,"
    "  hit TEXT NOT NULL);"
    "CREATE INDEX sightings_at ON sightings(at);"
    "CREATE INDEX sightings_indicator ON sightings(feed, indicator);"
    "CREATE INDEX sightings_user ON sightings(user_id) WHERE user_id IS NOT NULL;",
    /* 2 -> 3: events from agents (exactly once by (agent_id, seq)), their
     * FTS5 index (external content, kept by triggers), each agent's
     * high-water seq, inventory (document per agent plus its interface
     * addresses for coverage and retention) and tasks for agents. */
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  agent_id INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  dataset TEXT,"
    "  host TEXT,"
    "  message TEXT,"
    "  doc TEXT NOT NULL,"
    "  UNIQUE (agent_id, seq));"
    "CREATE INDEX events_ts ON events(ts);"
    "CREATE VIRTUAL TABLE events_fts USING fts5(message, dataset, host,"
    "  content='events', content_rowid='id');"
    "CREATE TRIGGER events_ai AFTER INSERT ON events BEGIN"
    "  INSERT INTO events_fts(rowid, message, dataset, host)"
    "  VALUES (new.id, new.message, new.dataset, new.host); END;"
    "CREATE TRIGGER events_ad AFTER DELETE ON events BEGIN"
    "  INSERT INTO events_fts(events_fts, rowid, message, dataset, host)"
    "  VALUES ('delete', old.id, old.message, old.dataset, old.host); END;"
    "CREATE TABLE agent_seq ("
    "  agent_id INTEGER PRIMARY KEY,"
    "  acked_seq INTEGER NOT NULL);"
    "CREATE TABLE inventory ("
    "  agent_id INTEGER PRIMARY KEY,"
    "  doc TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE TABLE inventory_addrs ("
    "  agent_id INTEGER NOT NULL,"
    "  family INTEGER NOT NULL,"
    "  addr BLOB NOT NULL,"
    "  PRIMARY KEY (agent_id, family, addr)) WITHOUT ROWID;"
    "CREATE TABLE tasks ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  agent_id INTEGER NOT NULL,"
    "  verb TEXT NOT NULL CHECK (verb IN ('inventory', 'scan', 'collect')),"
    "  args TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'done', 'failed')),"
    "  actor TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  sent_at INTEGER,"
    "  done_at INTEGER,"
    "  result TEXT);"
    "CREATE INDEX tasks_agent ON tasks(agent_id, status, id);",
    /* 3 -> 4: agent enrollment: one-time tokens (only their SHA-256 kept)
     * and the agent registry with each agent's current certificate. */
    "CREATE TABLE enroll_tokens ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  secret_sha256 BLOB NOT NULL UNIQUE,"
    "  note TEXT,"
    "  created_by TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  used_at INTEGER,"
    "  agent_id INTEGER);"
    "CREATE TABLE agents ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  token_id INTEGER REFERENCES enroll_tokens(id),"
    "  hostname TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),"
    "  enroll_addr TEXT,"
    "  version TEXT,"
    "  addr TEXT,"
    "  last_seen INTEGER,"
    "  skew_ms INTEGER,"
    "  enrolled_at INTEGER NOT NULL,"
    "  cert_serial TEXT,"
    "  cert_sha256 TEXT,"
    "  cert_not_after INTEGER,"
    "  revoked_at INTEGER);",
    /* 4 -> 5: the FTS5 index of new events is written by store_event_insert
     * with one INSERT ... SELECT over the batch's rowids (in the batch's
     * transaction) instead of a per-row trigger: the same index, built at a
     * third of the cost. Deletes still go through events_ad. */
    "DROP TRIGGER events_ai;",
};

const int store_n_migrations = (int)ARRAY_SIZE(store_migrations);
