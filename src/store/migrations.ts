/**
 * The database schema as an ordered list of migrations. PRAGMA user_version
 * holds how many have run; opening a database runs the missing ones, each in
 * its own transaction. Never edit a published entry: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: leases, declined addresses, boot events.
  `
  CREATE TABLE leases (
    ip         TEXT PRIMARY KEY,
    mac        TEXT NOT NULL,
    network    TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('offered', 'bound')),
    start_ms   INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    client_id  TEXT,
    host_name  TEXT
  ) WITHOUT ROWID;
  CREATE INDEX leases_by_mac ON leases (mac);
  CREATE TABLE bad_addresses (
    ip       TEXT PRIMARY KEY,
    mac      TEXT NOT NULL,
    network  TEXT NOT NULL,
    since_ms INTEGER NOT NULL,
    until_ms INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms   INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    mac     TEXT NOT NULL,
    ip      TEXT,
    details TEXT NOT NULL
  );
  CREATE INDEX events_by_mac ON events (mac, id);
  `,
  // 2: leases are read whole into memory at open and looked up there; no query
  // reads leases by MAC, and this index cost a random page write per lease.
  `
  DROP INDEX leases_by_mac;
  `,
  // 3: events are written with random MACs, so this index cost a random leaf
  // page (a 4 KiB WAL frame) per event on the writer thread, for a query
  // only the status API makes. The store now keeps MAC -> event ids in memory
  // (src/store/event-mac-index.ts) and reads those events by primary key.
  `
  DROP INDEX events_by_mac;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
