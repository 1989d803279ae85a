/**
 * The PostgreSQL store: one database shared by several laggboot servers.
 *
 * Reads are synchronous, from a mirror of the lease table kept in step by
 * the change feed (mirror.ts); writes are batched (group commit) into one
 * call of laggboot_apply, one transaction with synchronous_commit on, and a
 * lease write that loses to another server's is refused with
 * LB_ERR_LEASE_CONFLICT (the database decides, see migrations.ts). The
 * store is `shared`: the DHCP server waits for OFFER holds too.
 *
 * When the database is unreachable the store goes offline: lease writes are
 * refused at once (LB_ERR_STORE_OFFLINE: pool clients are not answered
 * rather than risk a duplicate), events wait in a bounded queue (the oldest
 * dropped and counted when it is full), and the store reconnects by itself,
 * reloads the mirror and writes the queued events.
 */
import type pg from "pg";
import { LaggbootError } from "../../errors.js";
import { detailsJson } from "../events.js";
import { GroupCommit } from "../group-commit.js";
import { IndexedReads } from "../index-reads.js";
import type { BadAddress, BootEvent, BootEventInput, ClusterView, EventQuery, Lease, ServerRecord, Store } from "../types.js";
import { connectPg, connectionString, describeConnection, serialized, type PgSource, type Queryable } from "./connect.js";
import { EventLog } from "./event-log.js";
import { migratePg, schemaVersion } from "./migrations.js";
import { Mirror, rowToLease, type LeaseRowPg } from "./mirror.js";
import { isConnectionError, PeerEvents, type EventRowPg } from "./peers.js";
import { IdBlocks, ServerRegistry } from "./servers.js";
import { encodeBatch, type OpResult, type PgOp, type QueuedEvent } from "./batch.js";

export type PgLog = (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;

export interface PostgresStoreOptions {
  readonly source: PgSource;
  /** This server's name in the servers table and on its events. */
  readonly serverName: string;
  /** sha256 of the validated inventory, stored with the server's heartbeat. */
  readonly inventoryHash: string;
  readonly laggbootVersion?: string;
  /** Group-commit window (ms) for lease writes; default DEFAULT_PG_COMMIT_WINDOW_MS. */
  readonly commitWindowMs?: number;
  /** Events kept waiting while the database is unreachable (default 10,000; the oldest are dropped beyond). */
  readonly maxQueuedEvents?: number;
  /** Events kept in the database (default 1,000,000; the oldest pruned) and in memory for the status API (default 10,000). */
  readonly maxEvents?: number;
  readonly cachedEvents?: number;
  /** Heartbeat (servers table) and peer-event tail intervals, and the longest wait between reconnect attempts (ms). */
  readonly heartbeatMs?: number;
  readonly tailMs?: number;
  readonly reconnectMaxMs?: number;
  /** This server's share of each pool: free-address searches start at index/count of the range, so servers seldom race. */
  readonly allocationSlot?: { readonly index: number; readonly count: number };
  readonly log?: PgLog;
}

/** A lease write waits at most this long for company; PostgreSQL's fsync is the cost shared. */
export const DEFAULT_PG_COMMIT_WINDOW_MS = 4;

const ID_BLOCK = 512;

/** Open the store; an unreachable database is not fatal (the store starts offline and reconnects), a newer schema is. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const store = new PostgresStore(options);
  await store.connect(true);
  return store;
}

export class PostgresStore extends IndexedReads implements Store, ClusterView {
  readonly shared = true;
  private readonly mirror: Mirror;
  private readonly commits: GroupCommit<PgOp>;
  private readonly eventLog: EventLog;
  private readonly peers: PeerEvents;
  private writer: pg.Client | undefined;
  /** The writer, one query at a time. */
  private db: Queryable | undefined;
  private listener: pg.Client | undefined;
  private isOnline = false;
  private closed = false;
  private queue: QueuedEvent[] = [];
  private readonly ids = new IdBlocks(ID_BLOCK);
  private refilling = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs = 250;
  private timers: NodeJS.Timeout[] = [];
  private readonly registry: ServerRegistry;
  private lastError: string | undefined;
  schemaVersion: number | undefined;
  droppedEvents = 0;
  conflicts = 0;


  constructor(private readonly options: PostgresStoreOptions) {
    super();
    this.registry = new ServerRegistry(options.serverName, options.inventoryHash, options.laggbootVersion ?? "", Date.now());
    this.mirror = new Mirror(this.index);
    this.eventLog = new EventLog(options.cachedEvents ?? 10_000);
    this.peers = new PeerEvents(options.serverName);
    this.commits = new GroupCommit<PgOp>({
      writeBatch: (ops) => this.writeBatch(ops),
      windowMs: options.commitWindowMs ?? DEFAULT_PG_COMMIT_WINDOW_MS,
      lazyMs: 50,
      onFailure: (_e, ops) => {
        // Their events are not lost: back to the front of the queue, ids kept (the insert ignores ids already in).
        const events = ops.flatMap((op) => (op.t === "event" ? [op.event] : []));
        this.queue = [...events, ...this.queue];
        this.trimQueue();
      },
    });
  }

  get cluster(): ClusterView {
    return this;
  }

  get serverName(): string {
    return this.options.serverName;
  }

  online(): boolean {
    return this.isOnline;
  }

  servers(): readonly ServerRecord[] {
    return this.registry.rows;
  }

  get queuedEvents(): number {
    return this.queue.length;
  }

  /** Why the database is unreachable, while it is. */
  get offlineReason(): string | undefined {
    return this.isOnline ? undefined : this.lastError;
  }

  get dbNowMs(): number | undefined {
    return this.registry.dbNowMs;
  }

  setInventoryHash(hash: string): void {
    this.registry.inventoryHash = hash;
  }

  onEvent(listener: (event: BootEvent) => void): () => void {
    return this.peers.subscribe(listener);
  }

  commitLease(lease: Lease): Promise<void> {
    const refused = this.refusal() ?? this.conflictWith(lease);
    if (refused !== undefined) return Promise.reject(refused);
    this.index.put(lease);
    const op: PgOp = { t: "lease", lease };
    return this.commits.submit(op).then(() => {
      if (op.refused !== undefined) {
        this.conflicts++;
        throw op.refused;
      }
    });
  }

  removeLease(ip: string, mac?: string): Promise<void> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    if (!this.removes(ip, mac)) return Promise.resolve();
    // With a MAC, only the very row this server saw goes (see laggboot_apply).
    const expect = mac === undefined ? undefined : this.index.get(ip);
    this.index.remove(ip);
    return this.commits.submit({ t: "remove", ip, expect });
  }

  markBadAddress(bad: BadAddress): Promise<void> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    this.index.putBad(bad);
    return this.commits.submit({ t: "bad", bad });
  }

  async pruneExpired(nowMs: number): Promise<number> {
    if (!this.isOnline || this.closed) return 0;
    const gone = this.index.expired(nowMs);
    for (const ip of gone.leases) this.index.remove(ip);
    for (const ip of gone.bad) this.index.removeBad(ip);
    const op: PgOp = { t: "prune", nowMs };
    await this.commits.submit(op);
    const keep = this.options.maxEvents ?? 1_000_000;
    await this.db?.query("DELETE FROM events WHERE id < (SELECT id FROM events ORDER BY id DESC OFFSET $1 LIMIT 1)", [keep]);
    return op.removed ?? 0;
  }

  recordEvent(event: BootEventInput): void {
    if (this.closed) return;
    const e: QueuedEvent = { atMs: event.atMs, kind: event.kind, mac: event.mac, ip: event.ip ?? null, json: detailsJson(event.details) };
    const id = this.isOnline && this.queue.length === 0 ? this.ids.take() : undefined;
    if (id !== undefined) this.send(e, id);
    else {
      this.queue.push(e);
      this.trimQueue();
    }
    if (this.isOnline && this.ids.low) this.refillIds();
  }

  events(query: EventQuery = {}): readonly BootEvent[] {
    return this.eventLog.select(query);
  }

  override freeAddress(first: string, last: string, nowMs: number, usable: (ip: string) => boolean): string | undefined {
    const slot = this.options.allocationSlot;
    if (slot !== undefined && slot.count > 1) this.index.seedCursor(first, last, slot.index / slot.count);
    return super.freeAddress(first, last, nowMs, usable);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    for (const t of this.timers) clearInterval(t);
    if (this.isOnline) await this.commits.flush().catch(() => undefined);
    if (this.queue.length > 0) this.log("warn", "closing with boot events not written to PostgreSQL", { events: this.queue.length });
    this.isOnline = false;
    await this.disconnect();
  }

  /** Connect, migrate, load the mirror, register; on failure go (or stay) offline and retry. Throws only a schema-version error on the first try. */
  async connect(first: boolean): Promise<void> {
    if (this.closed) return;
    try {
      const connection = connectionString(this.options.source);
      const writer = await connectPg(connection, `laggboot ${this.options.serverName}`);
      this.writer = writer;
      const db = serialized(writer);
      this.db = db;
      writer.on("end", () => this.lost(writer, "the connection ended"));
      await migratePg(writer, `PostgreSQL database ${describeConnection(connection)}`);
      this.schemaVersion = await schemaVersion(writer);
      const listener = await connectPg(connection, `laggboot ${this.options.serverName} changes`);
      this.listener = listener;
      listener.on("end", () => this.lost(listener, "the change feed ended"));
      listener.on("notification", (m) => {
        // Our own changes are in the mirror already, from the batch results (with their versions).
        if (m.channel === "laggboot_changes" && m.payload !== undefined) this.mirror.applyPayload(m.payload, this.options.serverName);
      });
      await listener.query("LISTEN laggboot_changes");
      // After LISTEN, so no change between the load and the feed is missed (older ones lose on version).
      await this.reload(db);
      if (first) await this.loadEvents(db);
      await this.registry.beat(db);
      this.peers.start(this.registry.dbNowMs ?? Date.now());
      await this.ids.fetch(db);
      this.isOnline = true;
      this.reconnectDelayMs = 250;
      if (!first) this.log("info", "PostgreSQL reachable again: pool requests are answered again", { queuedEvents: this.queue.length });
      this.lastError = undefined;
      this.startTimers();
      this.drainQueue();
    } catch (e) {
      if (e instanceof LaggbootError && e.code === "LB_ERR_STORE_VERSION") {
        await this.disconnect();
        throw e;
      }
      await this.goOffline(e);
    }
  }

  private refusal(): LaggbootError | undefined {
    if (this.closed) return new LaggbootError("LB_ERR_STORE", "the store is closed");
    if (!this.isOnline) return new LaggbootError("LB_ERR_STORE_OFFLINE", `PostgreSQL is unreachable (${this.lastError ?? "connecting"}): no lease is written`);
    return undefined;
  }

  private send(e: QueuedEvent, id: number): void {
    const event: BootEvent = {
      id, atMs: e.atMs, kind: e.kind, mac: e.mac, ...(e.ip === null ? {} : { ip: e.ip }),
      details: JSON.parse(e.json) as Record<string, unknown>, server: this.options.serverName,
    };
    if (this.eventLog.add(event)) this.peers.emit(event);
    this.commits.enqueue({ t: "event", event: { ...e, id } });
  }

  private trimQueue(): void {
    const max = this.options.maxQueuedEvents ?? 10_000;
    if (this.queue.length <= max) return;
    const drop = this.queue.length - max;
    this.queue.splice(0, drop);
    this.droppedEvents += drop;
  }

  private drainQueue(): void {
    while (this.isOnline && this.queue.length > 0) {
      const e = this.queue[0]!;
      const id = e.id ?? this.ids.take();
      if (id === undefined) {
        this.refillIds();
        return;
      }
      this.queue.shift();
      this.send(e, id);
    }
  }

  private refillIds(): void {
    if (this.refilling || !this.isOnline || this.db === undefined) return;
    this.refilling = true;
    this.ids.fetch(this.db).then(() => this.drainQueue(), (e: unknown) => this.failed(e)).finally(() => {
      this.refilling = false;
    });
  }

  private async writeBatch(ops: readonly PgOp[]): Promise<void> {
    const db = this.db;
    if (!this.isOnline || db === undefined) throw new LaggbootError("LB_ERR_STORE_OFFLINE", "PostgreSQL is unreachable: the batch was not written");
    const { writes, events } = encodeBatch(ops);
    let results: OpResult[];
    try {
      const r = await db.query<{ r: OpResult[] }>("SELECT laggboot_apply($1, $2::jsonb, $3::jsonb) AS r",
        [this.options.serverName, JSON.stringify(writes), JSON.stringify(events)]);
      results = r.rows[0]!.r;
    } catch (e) {
      this.failed(e);
      const code = isConnectionError(e) ? "LB_ERR_STORE_OFFLINE" : "LB_ERR_STORE";
      throw new LaggbootError(code, `PostgreSQL write failed: ${errorText(e)}`, { cause: e });
    }
    let i = 0;
    for (const op of ops) {
      if (op.t === "event") continue;
      const res = results[i++];
      if (res === undefined) continue;
      this.settle(op, res);
    }
  }

  /** Bring the mirror in line with what the database did with one op. */
  private settle(op: Exclude<PgOp, { t: "event" }>, res: OpResult): void {
    if (op.t === "lease") {
      if (res.ok) this.mirror.put(op.lease, res.v ?? 0);
      else {
        this.mirror.settle(op.lease.ip, res.row ?? undefined);
        const holder = res.row === null ? undefined : rowToLease(res.row);
        op.refused = new LaggbootError("LB_ERR_LEASE_CONFLICT",
          `${op.lease.ip} is held by ${holder?.mac ?? "another client"} (${holder?.state ?? "?"}, committed by another server)`);
      }
    } else if (op.t === "remove") {
      if (res.ok) this.mirror.remove(op.ip, res.v ?? 0);
      else this.mirror.settle(op.ip, res.row ?? undefined);
    } else if (op.t === "prune" && res.ok) op.removed = res.n ?? 0;
  }

  private async reload(db: Queryable): Promise<void> {
    const leases = await db.query<LeaseRowPg>("SELECT * FROM leases");
    const bad = await db.query<{ ip: string; mac: string; network: string; since_ms: string; until_ms: string }>("SELECT * FROM bad_addresses");
    this.mirror.clear();
    for (const r of leases.rows) this.mirror.put(rowToLease(r), Number(r.version));
    for (const r of bad.rows) this.index.putBad({ ip: r.ip, mac: r.mac, network: r.network, sinceMs: Number(r.since_ms), untilMs: Number(r.until_ms) });
    // Writes queued behind a failed batch are still to come: keep them visible.
    for (const op of this.commits.queued) if (op.t === "lease") this.index.put(op.lease);
  }

  private async loadEvents(db: Queryable): Promise<void> {
    const r = await db.query<EventRowPg>("SELECT id, at_ms, kind, mac, ip, details, server FROM events ORDER BY id DESC LIMIT $1",
      [this.options.cachedEvents ?? 10_000]);
    for (const row of r.rows.reverse()) this.eventLog.add(PeerEvents.toEvent(row));
  }

  private startTimers(): void {
    for (const t of this.timers) clearInterval(t);
    const beat = setInterval(() => {
      const db = this.db;
      if (this.isOnline && db !== undefined) this.registry.beat(db).catch((e: unknown) => this.failed(e));
    }, this.options.heartbeatMs ?? 5000);
    const tail = setInterval(() => {
      const db = this.db;
      if (!this.isOnline || db === undefined) return;
      this.peers.poll(db, (e) => this.eventLog.add(e)).catch((e: unknown) => this.failed(e));
    }, this.options.tailMs ?? 1000);
    beat.unref();
    tail.unref();
    this.timers = [beat, tail];
  }

  /** A query failed: if the database is gone, go offline. */
  private failed(e: unknown): void {
    if (isConnectionError(e)) void this.goOffline(e);
    else this.log("error", "PostgreSQL query failed", { error: errorText(e) });
  }

  private lost(client: pg.Client, why: string): void {
    if (client === this.writer || client === this.listener) void this.goOffline(new Error(why));
  }

  private async goOffline(cause: unknown): Promise<void> {
    const was = this.isOnline;
    this.isOnline = false;
    this.lastError = errorText(cause);
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.disconnect();
    if (this.closed || this.reconnectTimer !== undefined) return;
    if (was) this.log("error", "PostgreSQL unreachable: reserved clients are still answered, pool requests are not, events are queued", { error: this.lastError });
    else this.log("warn", "PostgreSQL not reachable; retrying", { error: this.lastError, retryMs: this.reconnectDelayMs });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect(false);
    }, this.reconnectDelayMs);
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, this.options.reconnectMaxMs ?? 5000);
  }

  private async disconnect(): Promise<void> {
    const clients = [this.writer, this.listener];
    this.writer = undefined;
    this.db = undefined;
    this.listener = undefined;
    await Promise.all(clients.map((c) => c?.end().catch(() => undefined)));
  }

  private log(level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>): void {
    this.options.log?.(level, message, fields);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export { rowToLease };
