/**
 * The SQLite store (better-sqlite3). Durability: WAL journal with
 * synchronous=FULL, so a committed transaction is on disk (fsync of the WAL)
 * before `commitLease` resolves; writes close together share one transaction
 * (group commit). Reads come from an in-memory index loaded at open.
 */
import Database from "better-sqlite3";
import { LaggbootError } from "../errors.js";
import { detailsJson, selectEvents, DEFAULT_EVENT_LIMIT } from "./events.js";
import { GroupCommit } from "./group-commit.js";
import { LeaseIndex } from "./lease-index.js";
import { MIGRATIONS } from "./migrations.js";
import type { BadAddress, BootEvent, BootEventInput, EventQuery, Lease, Store } from "./types.js";

export interface SqliteStoreOptions {
  /** Database file; ":memory:" for a throwaway database. */
  readonly path: string;
  /** Group-commit window; 0 gathers what arrives within one event-loop turn. */
  readonly commitWindowMs?: number;
  /** Keep at most this many events (oldest pruned). */
  readonly maxEvents?: number;
}

type Op =
  | { readonly t: "lease"; readonly lease: Lease }
  | { readonly t: "remove"; readonly ip: string }
  | { readonly t: "bad"; readonly bad: BadAddress }
  | { readonly t: "unbad"; readonly ip: string }
  | { readonly t: "event"; readonly event: BootEventInput; readonly json: string };

interface LeaseRow {
  ip: string; mac: string; network: string; state: "offered" | "bound";
  start_ms: number; expires_ms: number; client_id: string | null; host_name: string | null;
}
interface BadRow { ip: string; mac: string; network: string; since_ms: number; until_ms: number }
interface EventRow { id: number; at_ms: number; kind: string; mac: string; ip: string | null; details: string }

const EVENT_PRUNE_EVERY = 1000;

/** Open (creating and migrating as needed) a SQLite store. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  let db: Database.Database | undefined;
  try {
    db = new Database(options.path);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 5000");
    migrate(db, options.path);
    return new SqliteStore(db, options);
  } catch (cause) {
    db?.close();
    if (cause instanceof LaggbootError) throw cause;
    throw new LaggbootError("LB_ERR_STORE", `cannot open lease database ${options.path}: ${String(cause)}`, { cause });
  }
}

function migrate(db: Database.Database, path: string): void {
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

export class SqliteStore implements Store {
  private readonly index = new LeaseIndex();
  private readonly commits: GroupCommit<Op>;
  private readonly maxEvents: number;
  private eventsSincePrune = 0;
  private closed = false;
  private readonly stmt: ReturnType<SqliteStore["prepare"]>;

  constructor(private readonly db: Database.Database, options: SqliteStoreOptions) {
    this.maxEvents = options.maxEvents ?? 100_000;
    this.stmt = this.prepare();
    this.reload();
    const write = db.transaction((ops: readonly Op[]) => { for (const op of ops) this.apply(op); });
    this.commits = new GroupCommit<Op>({
      writeBatch: (ops) => {
        try {
          write.immediate(ops);
        } catch (cause) {
          throw new LaggbootError("LB_ERR_STORE", `lease database write failed: ${String(cause)}`, { cause });
        }
        this.pruneEventsIfDue(ops);
      },
      windowMs: options.commitWindowMs ?? 0,
      // The index ran ahead of a transaction that did not happen: the
      // database is the truth again.
      onFailure: () => this.reload(),
    });
  }

  /** Batches and ops written so far (group-commit efficiency, for metrics). */
  get commitStats(): { batches: number; ops: number } {
    return { batches: this.commits.batches, ops: this.commits.opsWritten };
  }

  commitLease(lease: Lease): Promise<void> {
    return this.write({ t: "lease", lease: { ...lease } }, () => this.index.put(lease));
  }

  removeLease(ip: string): Promise<void> {
    return this.write({ t: "remove", ip }, () => void this.index.remove(ip));
  }

  markBadAddress(bad: BadAddress): Promise<void> {
    return this.write({ t: "bad", bad: { ...bad } }, () => this.index.putBad(bad));
  }

  leaseByIp(ip: string): Lease | undefined {
    return this.index.get(ip);
  }

  leasesByMac(mac: string): readonly Lease[] {
    return this.index.byMacAddress(mac);
  }

  listLeases(): readonly Lease[] {
    return this.index.all();
  }

  freeAddress(first: string, last: string, _nowMs: number, usable: (ip: string) => boolean): string | undefined {
    return this.index.freeAddress(first, last, usable);
  }

  isBadAddress(ip: string, nowMs: number): boolean {
    return this.index.isBad(ip, nowMs);
  }

  listBadAddresses(nowMs: number): readonly BadAddress[] {
    return this.index.badAt(nowMs);
  }

  async pruneExpired(nowMs: number): Promise<number> {
    const gone = this.index.expired(nowMs);
    const writes = [
      ...gone.leases.map((ip) => this.write({ t: "remove", ip }, () => void this.index.remove(ip))),
      ...gone.bad.map((ip) => this.write({ t: "unbad", ip }, () => this.index.removeBad(ip))),
    ];
    await Promise.all(writes);
    return gone.leases.length;
  }

  recordEvent(event: BootEventInput): void {
    if (this.closed) return;
    this.commits.enqueue({ t: "event", event, json: detailsJson(event.details) });
  }

  events(query: EventQuery = {}): readonly BootEvent[] {
    if (!this.closed) this.commits.flush();
    const limit = query.limit ?? DEFAULT_EVENT_LIMIT;
    const rows = (query.mac === undefined
      ? this.stmt.eventsAll.all(query.afterId ?? 0, limit)
      : this.stmt.eventsByMac.all(query.mac, query.afterId ?? 0, limit)) as EventRow[];
    return selectEvents(rows.reverse().map(rowToEvent), query);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.commits.flush();
    this.db.close();
  }

  private write(op: Op, applyToIndex: () => void): Promise<void> {
    if (this.closed) return Promise.reject(new LaggbootError("LB_ERR_STORE", "the store is closed"));
    applyToIndex();
    return this.commits.submit(op);
  }

  private apply(op: Op): void {
    switch (op.t) {
      case "lease": {
        const l = op.lease;
        this.stmt.putLease.run(l.ip, l.mac, l.network, l.state, l.startMs, l.expiresMs, l.clientId ?? null, l.hostName ?? null);
        return;
      }
      case "remove":
        this.stmt.removeLease.run(op.ip);
        return;
      case "bad": {
        const b = op.bad;
        this.stmt.putBad.run(b.ip, b.mac, b.network, b.sinceMs, b.untilMs);
        return;
      }
      case "unbad":
        this.stmt.removeBad.run(op.ip);
        return;
      case "event": {
        const e = op.event;
        this.stmt.putEvent.run(e.atMs, e.kind, e.mac, e.ip ?? null, op.json);
        this.eventsSincePrune++;
        return;
      }
    }
  }

  private pruneEventsIfDue(_ops: readonly Op[]): void {
    if (this.eventsSincePrune < Math.min(EVENT_PRUNE_EVERY, this.maxEvents)) return;
    this.eventsSincePrune = 0;
    this.stmt.pruneEvents.run(this.maxEvents);
  }

  private reload(): void {
    this.index.clear();
    for (const r of this.stmt.allLeases.all() as LeaseRow[]) {
      this.index.put({
        ip: r.ip, mac: r.mac, network: r.network, state: r.state, startMs: r.start_ms, expiresMs: r.expires_ms,
        ...(r.client_id === null ? {} : { clientId: r.client_id }),
        ...(r.host_name === null ? {} : { hostName: r.host_name }),
      });
    }
    for (const r of this.stmt.allBad.all() as BadRow[]) {
      this.index.putBad({ ip: r.ip, mac: r.mac, network: r.network, sinceMs: r.since_ms, untilMs: r.until_ms });
    }
  }

  private prepare() {
    const db = this.db;
    return {
      putLease: db.prepare(`INSERT OR REPLACE INTO leases
        (ip, mac, network, state, start_ms, expires_ms, client_id, host_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      removeLease: db.prepare("DELETE FROM leases WHERE ip = ?"),
      putBad: db.prepare("INSERT OR REPLACE INTO bad_addresses (ip, mac, network, since_ms, until_ms) VALUES (?, ?, ?, ?, ?)"),
      removeBad: db.prepare("DELETE FROM bad_addresses WHERE ip = ?"),
      putEvent: db.prepare("INSERT INTO events (at_ms, kind, mac, ip, details) VALUES (?, ?, ?, ?, ?)"),
      pruneEvents: db.prepare("DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - ?"),
      allLeases: db.prepare("SELECT * FROM leases"),
      allBad: db.prepare("SELECT * FROM bad_addresses"),
      eventsAll: db.prepare("SELECT * FROM events WHERE id > ? ORDER BY id DESC LIMIT ?"),
      eventsByMac: db.prepare("SELECT * FROM events WHERE mac = ? AND id > ? ORDER BY id DESC LIMIT ?"),
    };
  }
}

function rowToEvent(r: EventRow): BootEvent {
  return {
    id: r.id, atMs: r.at_ms, kind: r.kind, mac: r.mac,
    ...(r.ip === null ? {} : { ip: r.ip }),
    details: JSON.parse(r.details) as Record<string, unknown>,
  };
}
