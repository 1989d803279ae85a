/**
 * The servers table: each server's heartbeat (its inventory's hash, its
 * version, when it started) and everyone's rows as of the last one, on the
 * database's clock, so no server's clock judges another's liveness.
 */
import type { ServerRecord } from "../types.js";
import type { Queryable } from "./connect.js";

export class ServerRegistry {
  rows: ServerRecord[] = [];
  dbNowMs: number | undefined;
  inventoryHash: string;

  constructor(private readonly name: string, inventoryHash: string, private readonly version: string, private readonly startedMs: number) {
    this.inventoryHash = inventoryHash;
  }

  /** Register (or refresh) this server's row and read everyone's. */
  async beat(db: Queryable): Promise<void> {
    await db.query(`INSERT INTO servers (name, inventory_hash, laggboot_version, started_ms, last_seen) VALUES ($1, $2, $3, $4, clock_timestamp())
      ON CONFLICT (name) DO UPDATE SET inventory_hash = EXCLUDED.inventory_hash, laggboot_version = EXCLUDED.laggboot_version,
      started_ms = EXCLUDED.started_ms, last_seen = EXCLUDED.last_seen`, [this.name, this.inventoryHash, this.version, this.startedMs]);
    const r = await db.query<{ name: string; inventory_hash: string; laggboot_version: string; started_ms: string; seen: string; now: string }>(
      `SELECT name, inventory_hash, laggboot_version, started_ms, (extract(epoch FROM last_seen) * 1000)::bigint AS seen,
       (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now FROM servers ORDER BY last_seen DESC`);
    this.rows = r.rows.map((s) => ({
      name: s.name, inventoryHash: s.inventory_hash, laggbootVersion: s.laggboot_version, startedMs: Number(s.started_ms), lastSeenMs: Number(s.seen),
    }));
    if (r.rows[0] !== undefined) this.dbNowMs = Number(r.rows[0].now);
  }
}

/**
 * Event ids, taken from the database's sequence a block at a time, so
 * recording an event never waits for the database. Ids of one block
 * increase; blocks of two servers interleave.
 */
export class IdBlocks {
  private ids: number[] = [];
  private pos = 0;

  constructor(private readonly blockSize: number) {}

  take(): number | undefined {
    return this.pos < this.ids.length ? this.ids[this.pos++] : undefined;
  }

  /** Fewer than half a block left: time to fetch the next. */
  get low(): boolean {
    return this.ids.length - this.pos < this.blockSize / 2;
  }

  async fetch(db: Queryable): Promise<void> {
    const r = await db.query<{ id: string }>("SELECT nextval('laggboot_event_id') AS id FROM generate_series(1, $1)", [this.blockSize]);
    this.ids = [...this.ids.slice(this.pos), ...r.rows.map((row) => Number(row.id))];
    this.pos = 0;
  }
}
