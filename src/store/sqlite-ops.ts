/**
 * The write side of the SQLite store, shared by the inline writer and the
 * writer thread: opening a connection with the durability settings, the
 * migrations, and applying one batch of ops as one transaction.
 */
import Database from "better-sqlite3";
import { LaggbootError } from "../errors.js";
import { MIGRATIONS } from "./migrations.js";
import type { BadAddress, Lease } from "./types.js";

/** One write. Plain data: it crosses to the writer thread by structured clone. */
export type StoreOp =
  | { readonly t: "lease"; readonly lease: Lease }
  | { readonly t: "remove"; readonly ip: string }
  | { readonly t: "bad"; readonly bad: BadAddress }
  | { readonly t: "unbad"; readonly ip: string }
  | {
    readonly t: "event"; readonly id: number; readonly atMs: number; readonly kind: string; readonly mac: string;
    readonly ip: string | null; readonly json: string;
  };

/**
 * WAL with synchronous=FULL: a commit returns after the WAL is fsynced, so
 * a committed lease survives power loss, not only a killed process.
 */
export function openConnection(path: string): Database.Database {
  const db = new Database(path);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 5000");
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

export function migrate(db: Database.Database, path: string): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new LaggbootError("LB_ERR_STORE_VERSION",
      `${path} has schema version ${version}; this laggboot knows up to ${MIGRATIONS.length}`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

const EVENT_PRUNE_EVERY = 1000;

/** A function that writes one batch in one transaction (throws on failure, nothing written). */
export function createApplier(db: Database.Database, maxEvents: number): (ops: readonly StoreOp[]) => void {
  const s = {
    putLease: db.prepare(`INSERT OR REPLACE INTO leases
      (ip, mac, network, state, start_ms, expires_ms, client_id, host_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    removeLease: db.prepare("DELETE FROM leases WHERE ip = ?"),
    putBad: db.prepare("INSERT OR REPLACE INTO bad_addresses (ip, mac, network, since_ms, until_ms) VALUES (?, ?, ?, ?, ?)"),
    removeBad: db.prepare("DELETE FROM bad_addresses WHERE ip = ?"),
    putEvent: db.prepare("INSERT INTO events (id, at_ms, kind, mac, ip, details) VALUES (?, ?, ?, ?, ?, ?)"),
    pruneEvents: db.prepare("DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - ?"),
  };
  let eventsSincePrune = 0;
  const apply = (op: StoreOp): void => {
    switch (op.t) {
      case "lease": {
        const l = op.lease;
        s.putLease.run(l.ip, l.mac, l.network, l.state, l.startMs, l.expiresMs, l.clientId ?? null, l.hostName ?? null);
        return;
      }
      case "remove":
        s.removeLease.run(op.ip);
        return;
      case "bad": {
        const b = op.bad;
        s.putBad.run(b.ip, b.mac, b.network, b.sinceMs, b.untilMs);
        return;
      }
      case "unbad":
        s.removeBad.run(op.ip);
        return;
      case "event":
        s.putEvent.run(op.id, op.atMs, op.kind, op.mac, op.ip, op.json);
        eventsSincePrune++;
        return;
    }
  };
  const batch = db.transaction((ops: readonly StoreOp[]) => {
    for (const op of ops) apply(op);
    if (eventsSincePrune >= Math.min(EVENT_PRUNE_EVERY, maxEvents)) {
      eventsSincePrune = 0;
      s.pruneEvents.run(maxEvents);
    }
  });
  return (ops) => batch.immediate(ops);
}
