/**
 * Events other servers write to the shared table, found by a tail query on
 * their insert time and handed to this server's event log and listeners
 * (the status tracker, the live event stream). Ids come in blocks per
 * server, so id order is not insert order across servers: the tail asks by
 * insert time with an overlap and skips ids it has seen.
 */
import type { Queryable } from "./connect.js";
import type { BootEvent } from "../types.js";

export interface EventRowPg {
  id: string | number; at_ms: string | number; kind: string; mac: string; ip: string | null; details: string; server: string;
}

/** An insert committed this long after its insert time is still found. */
const OVERLAP_MS = 10_000;
const PAGE = 5000;

export class PeerEvents {
  private sinceMs = 0;
  /** Peer ids seen within the overlap, with when (database clock). */
  private readonly seen = new Map<number, number>();
  private readonly listeners = new Set<(e: BootEvent) => void>();
  private busy = false;

  constructor(private readonly self: string) {}

  static toEvent(r: EventRowPg): BootEvent {
    let details: Record<string, unknown>;
    try {
      details = JSON.parse(r.details) as Record<string, unknown>;
    } catch {
      details = {};
    }
    return { id: Number(r.id), atMs: Number(r.at_ms), kind: r.kind, mac: r.mac, ...(r.ip === null ? {} : { ip: r.ip }), details, server: r.server };
  }

  subscribe(listener: (e: BootEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands an event to every listener; a listener's failure is its own. */
  emit(e: BootEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // the tail (or the recording server) goes on
      }
    }
  }

  /** Start (again) from the database's clock now: what came before is in the log loaded at open, or lost to the outage's overlap. */
  start(dbNowMs: number): void {
    if (this.sinceMs === 0) this.sinceMs = dbNowMs;
    else this.sinceMs = Math.min(this.sinceMs, dbNowMs);
  }

  /** One tail query; `add` returns false for an event already in the log. */
  async poll(db: Queryable, add: (e: BootEvent) => boolean): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const r = await db.query<EventRowPg & { ins: string; now: string }>(
        `SELECT id, at_ms, kind, mac, ip, details, server, (extract(epoch FROM inserted_at) * 1000)::bigint AS ins,
         (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now
         FROM events WHERE inserted_at > to_timestamp($1::double precision / 1000) AND server <> $2 ORDER BY inserted_at, id LIMIT $3`,
        [this.sinceMs - OVERLAP_MS, this.self, PAGE]);
      let newest = this.sinceMs;
      for (const row of r.rows) {
        const id = Number(row.id);
        newest = Math.max(newest, Number(row.ins));
        if (this.seen.has(id)) continue;
        this.seen.set(id, Number(row.ins));
        const e = PeerEvents.toEvent(row);
        if (add(e)) this.emit(e);
      }
      // A full page: continue from its last insert time; otherwise from now.
      const now = Number(r.rows[0]?.now ?? newest);
      this.sinceMs = r.rows.length === PAGE ? newest : Math.max(newest, now);
      for (const [id, at] of this.seen) if (at < this.sinceMs - 3 * OVERLAP_MS) this.seen.delete(id);
    } finally {
      this.busy = false;
    }
  }
}

/** Did the database go away (as opposed to refusing one statement)? */
export function isConnectionError(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return true;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== "string") return true; // socket errors, timeouts, "Connection terminated"
  if (/^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ENOENT (socket file), ECONNRESET...
  // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, crash, cannot connect now), 53300 (too many connections).
  return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || code === "53300";
}
