/**
 * `laggboot doctor` on a shared store (storage kind postgres): is the
 * database reachable, at the schema this laggboot writes, durable, and are
 * the other servers alive and running the same inventory? Read-only: the
 * doctor never creates or migrates the schema (serve does).
 */
import type { Inventory } from "../config/types.js";
import { connectPg, connectionString, describeConnection, type PgSource } from "../store/pg/connect.js";
import { PG_SCHEMA_VERSION, schemaVersion } from "../store/pg/migrations.js";
import type { ServerRecord } from "../store/index.js";
import { RECENT_MS } from "./cluster.js";
import type { DoctorFinding } from "./doctor.js";

export interface DbInspection {
  /** Where, without a password. */
  readonly where: string;
  /** Why the database could not be asked, when it could not. */
  readonly error: string | undefined;
  readonly schemaVersion: number;
  readonly fsync: string | undefined;
  readonly servers: readonly ServerRecord[];
  readonly dbNowMs: number;
}

export type InspectDatabase = (source: PgSource) => Promise<DbInspection>;

const finding = (check: string, status: DoctorFinding["status"], proves: string, advice?: string): DoctorFinding => ({ check, status, proves, advice });

export async function checkDatabase(inv: Inventory, inspect: InspectDatabase): Promise<DoctorFinding[]> {
  const pg = inv.server.storage.postgres;
  if (inv.server.storage.kind !== "postgres" || pg === undefined) return [];
  const source: PgSource = pg.connectionFile !== undefined ? { connectionFile: pg.connectionFile } : { connection: pg.connection ?? "" };
  const db = await inspect(source);
  if (db.error !== undefined) {
    return [finding("database", "fail", `PostgreSQL at ${db.where} cannot be reached: ${db.error}. laggboot serve would answer reserved clients only, and no pool client.`,
      "Start the database, or correct server.storage.postgres (connection string, its file, pg_hba.conf for this host and user).")];
  }
  const out = [finding("database", "ok", `PostgreSQL at ${db.where} answers.`)];
  const v = db.schemaVersion;
  if (v === PG_SCHEMA_VERSION) out.push(finding("database schema", "ok", `The schema is at version ${v}, the one this laggboot writes.`));
  else if (v > PG_SCHEMA_VERSION) out.push(finding("database schema", "fail", `The schema is at version ${v}, newer than this laggboot knows (${PG_SCHEMA_VERSION}): serve refuses it.`, "Run the same laggboot version on every server."));
  else out.push(finding("database schema", "warn", v === 0 ? "The database holds no laggboot schema yet." : `The schema is at version ${v}; this laggboot writes ${PG_SCHEMA_VERSION}.`, "The next laggboot serve creates or migrates it."));
  if (db.fsync === "off") out.push(finding("database durability", "fail", "The database runs with fsync off: a lease it reports committed can be lost with the machine, and two clients could then hold one address.", "Set fsync = on in postgresql.conf."));
  const byName = new Map(db.servers.map((s) => [s.name, s]));
  const expected = inv.server.instances.length > 0 ? inv.server.instances.map((i) => i.name) : db.servers.map((s) => s.name);
  for (const name of expected) {
    const s = byName.get(name);
    if (s === undefined) {
      out.push(finding(`server ${name}`, "warn", `${name} has never registered in the database.`, `Start laggboot serve on ${name}.`));
      continue;
    }
    const ago = Math.max(0, db.dbNowMs - s.lastSeenMs);
    const same = s.inventoryHash === inv.hash;
    if (ago > RECENT_MS) out.push(finding(`server ${name}`, "warn", `${name} was last seen ${Math.round(ago / 1000)} s ago: it is not serving now.`, `Check laggboot serve on ${name}.`));
    else if (!same) out.push(finding(`server ${name}`, "fail", `${name} is running (seen ${Math.round(ago / 1000)} s ago) with a different inventory (${s.inventoryHash.slice(0, 12)}, this file ${inv.hash.slice(0, 12)}): reserved clients may get different answers from each server.`, "Copy the same inventory to every server and reload them (SIGHUP)."));
    else out.push(finding(`server ${name}`, "ok", `${name} is running (seen ${Math.round(ago / 1000)} s ago) with this inventory.`));
  }
  return out;
}

/** The real database, read-only. */
export const inspectPostgres: InspectDatabase = async (source) => {
  let where = "(connection string unreadable)";
  try {
    const connection = connectionString(source);
    where = describeConnection(connection);
    const client = await connectPg(connection, "laggboot doctor");
    try {
      const version = await schemaVersion(client);
      const fsync = (await client.query<{ fsync: string }>("SHOW fsync")).rows[0]?.fsync;
      const now = Number((await client.query<{ now: string }>("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now")).rows[0]?.now ?? 0);
      const servers = version === 0 ? [] : (await client.query<{ name: string; inventory_hash: string; laggboot_version: string; started_ms: string; seen: string }>(
        "SELECT name, inventory_hash, laggboot_version, started_ms, (extract(epoch FROM last_seen) * 1000)::bigint AS seen FROM servers ORDER BY name")).rows
        .map((r) => ({ name: r.name, inventoryHash: r.inventory_hash, laggbootVersion: r.laggboot_version, startedMs: Number(r.started_ms), lastSeenMs: Number(r.seen) }));
      return { where, error: undefined, schemaVersion: version, fsync, servers, dbNowMs: now };
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (e) {
    return { where, error: e instanceof Error ? e.message : String(e), schemaVersion: 0, fsync: undefined, servers: [], dbNowMs: 0 };
  }
};
