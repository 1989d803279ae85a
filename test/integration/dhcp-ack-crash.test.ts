/**
 * A SIGKILL right after an ACK lost that exchange's ACK event: the bound
 * lease survived (it is written before the ACK is sent), but the event was
 * recorded only after the send and rode a later batch, so only the OFFER
 * event was stored. The event is now recorded before the lease write and
 * shares its transaction. A real client (busybox udhcpc) takes a pool
 * address from the real DHCP service in a namespace; the server kills
 * itself the instant the ACK has left.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Lab, waitExit, type Namespace } from "../support/netns.js";
import { setMac, tempDir } from "../interop/dhcp-harness.js";
import { openSqliteStore } from "../../src/store/index.js";

const child = fileURLToPath(new URL("./dhcp-ack-crash-child.js", import.meta.url));
const SERVER = "198.18.33.1";
const MAC = "02:00:00:00:33:01";

let lab: Lab;
let srv: Namespace;
let cli: Namespace;
let dir: string;

before(async () => {
  dir = tempDir("ackcrash");
  lab = new Lab("ackcrash");
  ({ srv, cli } = await lab.serverAndClient(`${SERVER}/24`));
});

after(async () => {
  await lab.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("a SIGKILL right after an ACK keeps the ACK event with the lease it reports", { timeout: 60_000 }, async () => {
  const dbPath = join(dir, "leases.sqlite");
  const inventory = [
    "server:",
    `  address: ${SERVER}`,
    "  networks: [{ name: lan, prefix: 198.18.33.0/24, pool: { first: 198.18.33.100, last: 198.18.33.110 } }]",
    "clients:",
    "  - { name: pc1, kind: pxe, ip: 198.18.33.10, macs: [02:00:00:00:33:99] }",
    "",
  ].join("\n");
  const server = srv.spawn([process.execPath, child, JSON.stringify({ dbPath, inventory })], { stdio: ["ignore", "pipe", "inherit"] });
  server.stdout!.setEncoding("utf8");
  const [ready] = (await Promise.race([once(server.stdout!, "data"), once(server, "exit").then(() => ["EXITED"])])) as string[];
  assert.equal(ready, "READY\n");
  const died = new Promise<NodeJS.Signals | null>((resolve) => server.on("exit", (_c, signal) => resolve(signal)));

  await setMac(cli, "c0", MAC);
  const script = join(dir, "u.sh");
  writeFileSync(script, "#!/bin/sh\nexit 0\n");
  chmodSync(script, 0o755);
  const client = cli.spawn(["busybox", "udhcpc", "-i", "c0", "-f", "-q", "-n", "-t", "3", "-T", "1", "-s", script], { stdio: ["ignore", "ignore", "ignore"] });
  assert.equal(await died, "SIGKILL", "the server must die by its own SIGKILL after the ACK");
  await waitExit(client, 20_000);

  const store = openSqliteStore({ path: dbPath });
  try {
    const leases = store.leasesByMac(MAC);
    assert.equal(leases.length, 1);
    assert.equal(leases[0]!.state, "bound", "the lease the ACK reports is durable");
    const kinds = store.events({ mac: MAC }).map((e) => e.kind).reverse();
    assert.ok(kinds.includes("dhcp.ack"), `the ACK event is lost; stored: ${kinds.join(", ")}`);
    const ack = store.events({ mac: MAC }).find((e) => e.kind === "dhcp.ack")!;
    assert.equal(ack.ip, leases[0]!.ip);
  } finally {
    await store.close();
  }
});
