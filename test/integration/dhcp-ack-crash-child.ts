/**
 * Child for dhcp-ack-crash.test.ts: the real DHCP service (engine,
 * responder, SQLite store) inside a test namespace, which kills itself with
 * SIGKILL the instant an ACK has been sent: the harshest moment for the
 * ACK's boot event. argv[2]: JSON { dbPath, inventory }. Prints READY once
 * bound; exits by itself after 60 s in any case (bounded).
 */
import { dhcpPolicyFromInventory } from "../../src/app/dhcp-policy.js";
import { loadInventoryText } from "../../src/config/load.js";
import { createDhcpService } from "../../src/servers/dhcp/index.js";
import { openSqliteStore } from "../../src/store/index.js";
import { fakeProbe } from "../support/probe.js";

const { dbPath, inventory } = JSON.parse(process.argv[2]!) as { dbPath: string; inventory: string };
const inv = loadInventoryText(inventory, "crash.yaml", fakeProbe()).inventory;
if (!inv) throw new Error("the test inventory is invalid");
const store = openSqliteStore({ path: dbPath });
const dhcp = createDhcpService({
  policy: dhcpPolicyFromInventory(inv),
  store,
  onEvent: (e) => {
    if (e.type === "reply" && e.messageType === "ACK") process.kill(process.pid, "SIGKILL");
  },
});
await dhcp.start();
setTimeout(() => process.exit(3), 60_000).unref();
process.stdout.write("READY\n");
