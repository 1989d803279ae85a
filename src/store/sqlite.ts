/**
 * The SQLite store (better-sqlite3). Durability: WAL journal with
 * synchronous=FULL, so a committed transaction is on disk (fsync of the WAL)
 * before `commitLease` resolves; writes close together share one transaction
 * (group commit). By default the writes run on a writer thread, so the
 * fsync never stalls the thread that answers DHCP; reads come from an
 * in-memory index loaded at open (and events from the database plus the
 * ones still in flight).
 */
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
import { LaggbootError } from "../errors.js";
import { EventMacIndex } from "./event-mac-index.js";
import { DEFAULT_EVENT_LIMIT, detailsJson } from "./events.js";
import { GroupCommit } from "./group-commit.js";
import { IndexedReads } from "./index-reads.js";
import { createApplier, migrate, openConnection, packBatch, type PackedBatch, type StoreOp } from "./sqlite-ops.js";
import type { BadAddress, BootEvent, BootEventInput, EventQuery, Lease, Store } from "./types.js";

export interface SqliteStoreOptions {
  /** Database file; ":memory:" for a throwaway database (always written inline). */
  readonly path: string;
  /**
   * Group-commit window: how long a lease write may wait for others to share
   * its transaction and fsync (default DEFAULT_COMMIT_WINDOW_MS); 0 starts a
   * batch at the next event-loop turn. Durability is the same either way: a
   * write's promise resolves only once its batch is committed.
   */
  readonly commitWindowMs?: number;
  /**
   * How long writes nobody is held up by (boot events, an OFFER's hold on a
   * pool address) may wait to ride an urgent batch before they start one of
   * their own. Default 50 ms.
   */
  readonly backgroundWindowMs?: number;
  /** Keep at most this many events (oldest pruned). */
  readonly maxEvents?: number;
  /** Write on a worker thread (default true); false writes on the calling thread. */
  readonly writerThread?: boolean;
}

type EventOp = Extract<StoreOp, { t: "event" }>;

interface LeaseRow {
  ip: string; mac: string; network: string; state: "offered" | "bound";
  start_ms: number; expires_ms: number; client_id: string | null; host_name: string | null;
}
interface BadRow { ip: string; mac: string; network: string; since_ms: number; until_ms: number }
interface EventRow { id: number; at_ms: number; kind: string; mac: string; ip: string | null; details: string }

/** write() returns the writer's prune horizon when the batch pruned events (see createApplier). */
interface BatchWriter {
  write(batch: PackedBatch): number | undefined | Promise<number | undefined>;
  close(): Promise<void>;
}

/** Open (creating and migrating as needed) a SQLite store. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  let db: Database.Database | undefined;
  try {
    db = openConnection(options.path);
    migrate(db, options.path);
    return new SqliteStore(db, options);
  } catch (cause) {
    db?.close();
    if (cause instanceof LaggbootError) throw cause;
    throw new LaggbootError("LB_ERR_STORE", `cannot open lease database ${options.path}: ${String(cause)}`, { cause });
  }
}

class InlineWriter implements BatchWriter {
  private readonly apply: (batch: PackedBatch) => number | undefined;
  constructor(db: Database.Database, maxEvents: number) {
    this.apply = createApplier(db, maxEvents);
  }
  write(batch: PackedBatch): number | undefined {
    return this.apply(batch);
  }
  async close(): Promise<void> {}
}

/** Batches go to src/store/sqlite-writer.ts; the thread keeps the process alive only while a batch is in flight. */
class ThreadWriter implements BatchWriter {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve(pruned: number | undefined): void; reject(e: unknown): void }>();
  private nextId = 1;
  private broken: Error | undefined;
  private readonly exited: Promise<void>;

  constructor(path: string, maxEvents: number) {
    this.worker = new Worker(new URL("./sqlite-writer.js", import.meta.url), { workerData: { path, maxEvents } });
    this.worker.unref();
    this.worker.on("message", (m: { id: number; error?: string; pruned?: number }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (m.error === undefined) w?.resolve(m.pruned);
      else w?.reject(new Error(m.error));
    });
    this.worker.on("error", (e) => this.failAll(e));
    this.exited = new Promise((resolve) => this.worker.once("exit", () => {
      this.failAll(new Error("the writer thread exited"));
      resolve();
    }));
  }

  write(batch: PackedBatch): Promise<number | undefined> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.ref();
      // A few strings cross the thread boundary far cheaper than a structured clone of many values. The
      // details are JSON.stringify output, which never holds a raw U+0000 (it escapes it), so joining with
      // U+0000 is safe to split, and they are not escaped again inside the records' JSON.
      this.worker.postMessage({ id, json: JSON.stringify(batch.records), details: batch.details.join("\u0000") });
    });
  }

  async close(): Promise<void> {
    if (this.broken === undefined) {
      this.worker.ref(); // keep the process alive until the thread has closed the database
      this.worker.postMessage({ close: true });
    }
    await this.exited;
  }

  private failAll(e: Error): void {
    this.broken ??= e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }
}

/** Events and OFFER holds wait at most this long for an ACK's batch to ride. */
export const DEFAULT_BACKGROUND_WINDOW_MS = 50;

/**
 * An ACK waits at most this long (plus the batch in flight) for others to
 * share its fsync. DHCP clients wait seconds for an answer (RFC 2131 4.1:
 * 4 s before the first retransmission), so 25 ms is invisible to them, and
 * at a few hundred exchanges per second it turns one transaction per ACK
 * into one per ten or more. Measured at 500 exchanges/s (docs/benchmarks.md):
 * the writer thread's CPU was 1.3 s per 4000 exchanges with no window,
 * 0.53 s with 10 ms and 0.32 s with 25 ms.
 */
export const DEFAULT_COMMIT_WINDOW_MS = 25;

export class SqliteStore extends IndexedReads implements Store {
  private readonly commits: GroupCommit<StoreOp>;
  private readonly writer: BatchWriter;
  /**
   * Events not yet durable, oldest first: the very ops queued for the writer
   * (details as their JSON, parsed only when someone reads them; the
   * caller's details object is not kept alive until the batch is written).
   * Batches complete in order, so durable ones leave from the front.
   */
  private inFlightEvents: EventOp[] = [];
  /** MAC -> event ids, for events({ mac }): in flight and in the database (migration 3 dropped the table index). */
  private readonly macEvents = new EventMacIndex();
  private nextEventId: number;
  private closed = false;
  private readonly read: ReturnType<SqliteStore["prepareReads"]>;

  constructor(private readonly db: Database.Database, options: SqliteStoreOptions) {
    super();
    const maxEvents = options.maxEvents ?? 100_000;
    this.read = this.prepareReads();
    this.reload();
    const last = db.prepare("SELECT max(id) AS id FROM events").get() as { id: number | null };
    const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as { seq: number } | undefined;
    this.nextEventId = Math.max(last.id ?? 0, seq?.seq ?? 0) + 1;
    for (const [id, mac] of this.read.eventMacs.all() as [number, string][]) this.macEvents.add(id, mac);
    const threaded = (options.writerThread ?? true) && options.path !== ":memory:";
    this.writer = threaded ? new ThreadWriter(options.path, maxEvents) : new InlineWriter(db, maxEvents);
    const forget = (ops: readonly StoreOp[]): void => {
      let lastId = 0;
      for (const op of ops) if (op.t === "event") lastId = op.id;
      if (lastId === 0) return;
      let n = 0;
      while (n < this.inFlightEvents.length && this.inFlightEvents[n]!.id <= lastId) n++;
      this.inFlightEvents = this.inFlightEvents.slice(n);
    };
    this.commits = new GroupCommit<StoreOp>({
      writeBatch: async (ops) => {
        try {
          const pruned = await this.writer.write(packBatch(ops));
          if (pruned !== undefined) this.macEvents.dropThrough(pruned);
        } catch (cause) {
          throw new LaggbootError("LB_ERR_STORE", `lease database write failed: ${String(cause)}`, { cause });
        }
      },
      windowMs: options.commitWindowMs ?? DEFAULT_COMMIT_WINDOW_MS,
      lazyMs: options.backgroundWindowMs ?? DEFAULT_BACKGROUND_WINDOW_MS,
      onSuccess: forget,
      // The index ran ahead of a transaction that did not happen: the
      // database is the truth again.
      onFailure: (_e, ops) => {
        forget(ops);
        // Its events never reached the database; a batch's events are consecutive ids.
        const ids = ops.flatMap((op) => (op.t === "event" ? [op.id] : []));
        if (ids.length > 0) this.macEvents.removeRange(ids[0]!, ids[ids.length - 1]!);
        this.reload();
        // Writes queued behind the failed batch are still to come: keep them visible.
        for (const op of this.commits.queued) this.applyToIndex(op);
      },
    });
  }

  /** Batches and ops written so far (group-commit efficiency, for metrics). */
  get commitStats(): { batches: number; ops: number } {
    return { batches: this.commits.batches, ops: this.commits.opsWritten };
  }

  commitLease(lease: Lease): Promise<void> {
    const refused = this.closed ? undefined : this.conflictWith(lease);
    if (refused !== undefined) return Promise.reject(refused);
    // Leases are immutable values (readonly fields): the op may hold the caller's, read when its batch is packed.
    return this.write({ t: "lease", lease }, () => this.index.put(lease));
  }

  removeLease(ip: string, mac?: string): Promise<void> {
    if (!this.closed && !this.removes(ip, mac)) return Promise.resolve();
    return this.write({ t: "remove", ip }, () => void this.index.remove(ip));
  }

  markBadAddress(bad: BadAddress): Promise<void> {
    return this.write({ t: "bad", bad }, () => this.index.putBad(bad));
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
    const op: EventOp = {
      t: "event", id: this.nextEventId, atMs: event.atMs, kind: event.kind, mac: event.mac, ip: event.ip ?? null,
      json: detailsJson(event.details),
    };
    this.nextEventId++;
    this.inFlightEvents.push(op);
    this.macEvents.add(op.id, op.mac);
    this.commits.enqueue(op);
  }

  events(query: EventQuery = {}): readonly BootEvent[] {
    if (this.closed) return [];
    const limit = query.limit ?? DEFAULT_EVENT_LIMIT;
    // In-flight events are the newest: take them first, newest first, then the database.
    const out: BootEvent[] = [];
    for (let i = this.inFlightEvents.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.inFlightEvents[i]!;
      if (query.afterId !== undefined && e.id <= query.afterId) break;
      if (query.mac !== undefined && e.mac !== query.mac) continue;
      out.push({
        id: e.id, atMs: e.atMs, kind: e.kind, mac: e.mac, ...(e.ip === null ? {} : { ip: e.ip }),
        details: JSON.parse(e.json) as Record<string, unknown>,
      });
    }
    if (out.length >= limit) return out;
    // A batch may be committed before its events leave the in-flight list: skip ids already taken.
    const firstInFlight = this.inFlightEvents[0]?.id ?? Infinity;
    if (query.mac !== undefined) {
      this.readMacEvents(query.mac, query.afterId ?? 0, firstInFlight, limit, out);
      return out;
    }
    for (const r of this.read.eventsAll.all(query.afterId ?? 0, limit) as EventRow[]) {
      if (out.length >= limit) break;
      if (r.id >= firstInFlight) continue;
      out.push(rowToEvent(r));
    }
    return out;
  }

  /**
   * The MAC's durable events (ids below the in-flight ones) by primary key,
   * newest first, until `out` holds `limit`. One read transaction, so the
   * rows come from one snapshot even if the writer thread commits meanwhile.
   * An id whose row is gone (pruned by a batch whose reply is still on its
   * way) is skipped, as the database would.
   */
  private readMacEvents(mac: string, afterId: number, below: number, limit: number, out: BootEvent[]): void {
    this.read.snapshot(() => {
      for (const id of this.macEvents.newestFirst(mac, afterId)) {
        if (out.length >= limit) return;
        if (id >= below) continue;
        const r = this.read.eventById.get(id) as EventRow | undefined;
        if (r !== undefined) out.push(rowToEvent(r));
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.commits.flush();
    await this.writer.close();
    this.db.close();
  }

  private write(op: StoreOp, applyToIndex: () => void): Promise<void> {
    if (this.closed) return Promise.reject(new LaggbootError("LB_ERR_STORE", "the store is closed"));
    applyToIndex();
    // An OFFER's hold is not waited for by anyone (the server sends the OFFER at once): it rides the next batch.
    return this.commits.submit(op, !(op.t === "lease" && op.lease.state === "offered"));
  }

  private applyToIndex(op: StoreOp): void {
    switch (op.t) {
      case "lease": this.index.put(op.lease); return;
      case "remove": this.index.remove(op.ip); return;
      case "bad": this.index.putBad(op.bad); return;
      case "unbad": this.index.removeBad(op.ip); return;
      case "event": return;
    }
  }

  private reload(): void {
    this.index.clear();
    for (const r of this.read.allLeases.all() as LeaseRow[]) {
      this.index.put({
        ip: r.ip, mac: r.mac, network: r.network, state: r.state, startMs: r.start_ms, expiresMs: r.expires_ms,
        ...(r.client_id === null ? {} : { clientId: r.client_id }),
        ...(r.host_name === null ? {} : { hostName: r.host_name }),
      });
    }
    for (const r of this.read.allBad.all() as BadRow[]) {
      this.index.putBad({ ip: r.ip, mac: r.mac, network: r.network, sinceMs: r.since_ms, untilMs: r.until_ms });
    }
  }

  private prepareReads() {
    const db = this.db;
    return {
      allLeases: db.prepare("SELECT * FROM leases"),
      allBad: db.prepare("SELECT * FROM bad_addresses"),
      eventsAll: db.prepare("SELECT * FROM events WHERE id > ? ORDER BY id DESC LIMIT ?"),
      eventById: db.prepare("SELECT * FROM events WHERE id = ?"),
      eventMacs: db.prepare("SELECT id, mac FROM events ORDER BY id").raw(),
      snapshot: db.transaction((read: () => void) => read()),
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
