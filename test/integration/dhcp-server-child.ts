/**
 * Runs the DHCP adapter with the scripted engine inside a test namespace.
 * argv[2]: JSON { serverAddresses, proxy, dbPath?, ports?, rateLimit?, dataPath? }.
 * Prints "READY" once bound; on a "counters" line on stdin prints the
 * counters as JSON; on "stop" stops gracefully, prints the final counters
 * and exits. Exits by itself after 60 s in any case (bounded).
 */
import { createInterface } from "node:readline";
import { DhcpServer } from "../../src/servers/dhcp/server.js";
import type { DhcpCounters, DhcpServerEvent } from "../../src/servers/dhcp/types.js";
import type { RateLimitOptions } from "../../src/servers/dhcp/rate-limit.js";
import type { DhcpDataPath } from "../../src/servers/dhcp/native.js";
import { MemoryStore, openSqliteStore, type Store } from "../../src/store/index.js";
import { fakeEngine } from "./dhcp-fake-engine.js";

interface ChildConfig {
  serverAddresses: string[];
  proxy: boolean;
  dbPath?: string;
  closedStore?: boolean;
  ports?: { server: number; proxy: number };
  rateLimit?: RateLimitOptions;
  dataPath?: DhcpDataPath;
}

const config = JSON.parse(process.argv[2]!) as ChildConfig;
const store: Store = config.dbPath !== undefined ? openSqliteStore({ path: config.dbPath }) : new MemoryStore();
if (config.closedStore === true) await store.close();
const events: DhcpServerEvent[] = [];
const server = new DhcpServer({
  engine: fakeEngine, store, policy: "lab", serverAddresses: config.serverAddresses, proxy: config.proxy,
  ports: config.ports, rateLimit: config.rateLimit, dataPath: config.dataPath, onEvent: (e) => events.push(e), unknownClientLogMs: 60_000,
});
await server.start();
const dataPath = server.dataPath;
setTimeout(() => process.exit(3), 60_000).unref();

function dump(c: DhcpCounters): string {
  return JSON.stringify({
    ...c, ignored: Object.fromEntries(c.ignored), sent: Object.fromEntries(c.sent),
    events: events.map((e) => e.type), leases: store.listLeases().length, dataPath,
  });
}

process.stdout.write("READY\n");
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  if (line === "counters") process.stdout.write(`${dump(server.counters)}\n`);
  if (line === "stop") {
    void server.stop().then(async () => {
      process.stdout.write(`${dump(server.counters)}\n`);
      await store.close();
      process.exit(0);
    });
  }
});
