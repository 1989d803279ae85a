/**
 * Child process for the crash test: commits leases as fast as the store
 * allows, with a bounded number in flight, and prints each address once its
 * commit resolved (that is, once a server would have sent the ACK). Stops by
 * itself after `maxLeases` or `maxMs`, whichever comes first.
 * argv: dbPath maxLeases maxMs [selfKillAfter]
 * With selfKillAfter the child kills itself with SIGKILL right after printing
 * that many acks: the harshest instant, with other commits in flight.
 */
import { openSqliteStore } from "../../src/store/index.js";

const [path, maxLeasesArg, maxMsArg, selfKillArg] = process.argv.slice(2);
const selfKillAfter = selfKillArg === undefined ? Infinity : Number(selfKillArg);
let acked = 0;
const maxLeases = Number(maxLeasesArg);
const maxMs = Number(maxMsArg);
const store = openSqliteStore({ path: path! });
const started = Date.now();
const inFlightLimit = 64;
let issued = 0;
let inFlight = 0;

function ip(n: number): string {
  return `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
}

function pump(): void {
  while (inFlight < inFlightLimit && issued < maxLeases && Date.now() - started < maxMs) {
    const n = issued++;
    inFlight++;
    const addr = ip(n);
    store.commitLease({
      ip: addr, mac: `02:00:00:${((n >> 16) & 255).toString(16).padStart(2, "0")}:${((n >> 8) & 255).toString(16).padStart(2, "0")}:${(n & 255).toString(16).padStart(2, "0")}`,
      network: "lab", state: "bound", startMs: Date.now(), expiresMs: Date.now() + 3_600_000,
    }).then(() => {
      process.stdout.write(`${addr}\n`); // synchronous on a pipe (Linux): the line is out before the kill
      if (++acked >= selfKillAfter) process.kill(process.pid, "SIGKILL");
      inFlight--;
      pump();
    }, (e: unknown) => {
      process.stderr.write(`commit failed: ${String(e)}\n`);
      process.exit(2);
    });
  }
  if (inFlight === 0) void store.close().then(() => process.exit(0));
}

pump();
