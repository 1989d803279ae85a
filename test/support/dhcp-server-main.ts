/**
 * A laggboot DHCP server for interop tests and benchmarks, run inside a test
 * namespace: `node dist/test/support/dhcp-server-main.js CONFIG.json`.
 * CONFIG: { policy: DhcpPolicy in JSON form (Maps as [key, value] arrays),
 *           dbPath?: string (SQLite; in-memory store when absent),
 *           postgres?: string (a PostgreSQL connection string: the shared store instead),
 *           maxRunMs?: number (exits by itself; default 120 s),
 *           quiet?: boolean (no per-packet event lines),
 *           commitWindowMs?: number (SQLite group-commit window),
 *           dataPath?: "native" | "node" (else LAGGBOOT_DHCP_DATAPATH, else auto) }.
 * stdout: "READY", then one JSON line per server event (unless quiet);
 * stdin: "counters" prints the counters as one JSON line; "stop" stops
 * gracefully, prints the counters and exits 0. SIGTERM does the same.
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { createDhcpService, type DhcpCounters, type DhcpDataPath } from "../../src/servers/dhcp/index.js";
import type { DhcpPolicy, DhcpReservation } from "../../src/protocol/dhcp/index.js";
import { MemoryStore, openPostgresStore, openSqliteStore, type Store } from "../../src/store/index.js";

type Entries = readonly (readonly [number, string])[];
type JsonReservation = Omit<DhcpReservation, "bootFiles"> & { bootFiles?: Entries };
export type JsonPolicy = Omit<DhcpPolicy, "bootFiles" | "reservations"> & {
  bootFiles: { byArch: Entries; default?: string };
  reservations: readonly JsonReservation[];
};

export interface ServerMainConfig {
  policy: JsonPolicy;
  dbPath?: string;
  postgres?: string;
  maxRunMs?: number;
  quiet?: boolean;
  /** Group-commit window for the SQLite store (ms). */
  commitWindowMs?: number;
  recvBufferBytes?: number;
  dataPath?: DhcpDataPath;
}

export function policyFromJson(p: JsonPolicy): DhcpPolicy {
  return {
    ...p,
    bootFiles: { ...p.bootFiles, byArch: new Map(p.bootFiles.byArch) },
    reservations: p.reservations.map((r) => ({ ...r, bootFiles: r.bootFiles === undefined ? undefined : new Map(r.bootFiles) })),
  };
}

function countersJson(c: DhcpCounters, store: Store, dataPath: DhcpDataPath | undefined): string {
  return JSON.stringify({
    ...c, ignored: Object.fromEntries(c.ignored), sent: Object.fromEntries(c.sent), handled: Object.fromEntries(c.handled),
    leases: store.listLeases().length, cpuUs: process.cpuUsage(), dataPath,
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as ServerMainConfig;
  const store: Store = config.postgres !== undefined
    ? await openPostgresStore({ source: { connection: config.postgres }, serverName: "bench", inventoryHash: "bench", commitWindowMs: config.commitWindowMs })
    : config.dbPath === undefined ? new MemoryStore() : openSqliteStore({ path: config.dbPath, commitWindowMs: config.commitWindowMs });
  const service = createDhcpService({
    policy: policyFromJson(config.policy),
    store,
    recvBufferBytes: config.recvBufferBytes,
    dataPath: config.dataPath,
    onEvent: config.quiet === true ? undefined : (e) => process.stdout.write(`${JSON.stringify(e)}\n`),
  });
  await service.start();
  const dataPath = service.server.dataPath;
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await service.stop();
    process.stdout.write(`${countersJson(service.server.counters, store, dataPath)}\n`);
    await store.close();
    process.exit(0);
  };
  setTimeout(() => void stop(), config.maxRunMs ?? 120_000).unref();
  process.on("SIGTERM", () => void stop());
  createInterface({ input: process.stdin }).on("line", (line) => {
    if (line === "counters") process.stdout.write(`${countersJson(service.server.counters, store, dataPath)}\n`);
    if (line === "stop") void stop();
  });
  process.stdout.write("READY\n");
}

// Run only as an entry point, so tests and benchmarks can import the helpers above.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
