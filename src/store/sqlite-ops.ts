/**
 * The write side of the SQLite store, shared by the inline writer and the
 * writer thread: opening a connection with the durability settings, the
 * migrations, and applying one batch of ops as one transaction.
 */
import Database from "better-sqlite3";
import { LaggbootError } from "../errors.js";
import { MIGRATIONS } from "./migrations.js";
import type { BadAddress, Lease } from "./types.js";

/** One write, as the store queues it; packBatch turns a batch of them into what the writer applies. */
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

/**
 * A batch as it crosses to the writer: `records`, one flat array of numbers,
 * strings and nulls, each record a tag then its fields in a fixed order
 * (flat primitives serialise and parse far cheaper than an array of small
 * objects: no property names, no object shapes to build on the other side);
 * and `details`, each event's details JSON in event order, kept out of
 * `records` so that the writer thread's JSON round trip of `records` does
 * not encode (escape every quote of) and parse those strings a second time.
 */
export interface PackedBatch {
  readonly records: (string | number | null)[];
  readonly details: string[];
}

const enum Tag { Lease = 0, Remove = 1, Bad = 2, Unbad = 3, Event = 4 }

/**
 * Packs a batch for `applyPacked`. Writes to the same row are coalesced:
 * only the last write per address in the leases table (an OFFER's hold and
 * the ACK's bound lease of one exchange usually share a batch) and per
 * address in the declined table goes out, so the transaction ends in the
 * same state with fewer statements. Events are all kept, in order.
 */
export function packBatch(ops: readonly StoreOp[]): PackedBatch {
  let superseded: Set<number> | undefined;
  if (ops.length > 1) {
    const leaseSeen = new Set<string>();
    const badSeen = new Set<string>();
    for (let i = ops.length - 1; i >= 0; i--) {
      const op = ops[i]!;
      let seen: Set<string>;
      let ip: string;
      switch (op.t) {
        case "lease": seen = leaseSeen; ip = op.lease.ip; break;
        case "remove": seen = leaseSeen; ip = op.ip; break;
        case "bad": seen = badSeen; ip = op.bad.ip; break;
        case "unbad": seen = badSeen; ip = op.ip; break;
        case "event": continue;
      }
      if (seen.has(ip)) (superseded ??= new Set()).add(i);
      else seen.add(ip);
    }
  }
  const out: (string | number | null)[] = [];
  const details: string[] = [];
  for (let i = 0; i < ops.length; i++) {
    if (superseded?.has(i) === true) continue;
    const op = ops[i]!;
    switch (op.t) {
      case "lease": {
        const l = op.lease;
        out.push(Tag.Lease, l.ip, l.mac, l.network, l.state, l.startMs, l.expiresMs, l.clientId ?? null, l.hostName ?? null);
        break;
      }
      case "remove": out.push(Tag.Remove, op.ip); break;
      case "bad": {
        const b = op.bad;
        out.push(Tag.Bad, b.ip, b.mac, b.network, b.sinceMs, b.untilMs);
        break;
      }
      case "unbad": out.push(Tag.Unbad, op.ip); break;
      case "event":
        out.push(Tag.Event, op.id, op.atMs, op.kind, op.mac, op.ip);
        details.push(op.json);
        break;
    }
  }
  return { records: out, details };
}

/**
 * A function that writes one packed batch in one transaction (throws on
 * failure, nothing written). It returns the prune horizon when the batch
 * pruned old events (every id <= it is gone), so the main thread's
 * MAC -> event ids index can forget exactly what the database forgot.
 */
export function createApplier(db: Database.Database, maxEvents: number): (batch: PackedBatch) => number | undefined {
  const s = {
    putLease: db.prepare(`INSERT OR REPLACE INTO leases
      (ip, mac, network, state, start_ms, expires_ms, client_id, host_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    removeLease: db.prepare("DELETE FROM leases WHERE ip = ?"),
    putBad: db.prepare("INSERT OR REPLACE INTO bad_addresses (ip, mac, network, since_ms, until_ms) VALUES (?, ?, ?, ?, ?)"),
    removeBad: db.prepare("DELETE FROM bad_addresses WHERE ip = ?"),
    putEvent: db.prepare("INSERT INTO events (id, at_ms, kind, mac, ip, details) VALUES (?, ?, ?, ?, ?, ?)"),
    lastEventId: db.prepare("SELECT max(id) FROM events").pluck(),
    pruneEvents: db.prepare("DELETE FROM events WHERE id <= ?"),
  };
  let eventsSincePrune = 0;
  const batch = db.transaction(({ records: b, details }: PackedBatch): number | undefined => {
    let i = 0;
    let e = 0;
    while (i < b.length) {
      const tag = b[i] as Tag;
      switch (tag) {
        case Tag.Lease:
          s.putLease.run(b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6], b[i + 7], b[i + 8]);
          i += 9;
          break;
        case Tag.Remove:
          s.removeLease.run(b[i + 1]);
          i += 2;
          break;
        case Tag.Bad:
          s.putBad.run(b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5]);
          i += 6;
          break;
        case Tag.Unbad:
          s.removeBad.run(b[i + 1]);
          i += 2;
          break;
        case Tag.Event:
          s.putEvent.run(b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], details[e++]);
          eventsSincePrune++;
          i += 6;
          break;
        default:
          throw new Error(`packed batch: unknown record tag ${String(tag)} at ${i}`);
      }
    }
    if (eventsSincePrune >= Math.min(EVENT_PRUNE_EVERY, maxEvents)) {
      eventsSincePrune = 0;
      const horizon = (s.lastEventId.get() as number | null ?? 0) - maxEvents;
      s.pruneEvents.run(horizon);
      return horizon;
    }
    return undefined;
  });
  return (b) => batch.immediate(b);
}
