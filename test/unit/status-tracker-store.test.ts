/** Another server's events (a shared store) move a client's status as this server's own answers do, saying who answered. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInventoryText } from "../../src/config/load.js";
import { StatusTracker } from "../../src/app/status-tracker.js";
import { siteProbe } from "../support/probe.js";

const INVENTORY = [
  "server:", "  address: 198.18.0.1", "  networks:", "    - { name: lan, prefix: 198.18.0.0/24 }",
  "clients:", "  - { name: r1, kind: pxe, ip: 198.18.0.10, macs: [\"02:17:00:00:00:01\"], bootFile: r1.efi }", "",
].join("\n");

test("a peer's offer, ack and transfer events give the client its stages and name the answering server", () => {
  const t = new StatusTracker(loadInventoryText(INVENTORY, "t.yaml", siteProbe).inventory!);
  const mac = "02:17:00:00:00:01";
  const details = { to: "255.255.255.255:68", bootFile: "r1.efi", vendorClass: "PXEClient:Arch:00007:UNDI:003000" };
  t.onStoreEvent({ id: 1, atMs: 1000, kind: "dhcp.offer", mac, ip: "198.18.0.10", details, server: "boot2" });
  t.onStoreEvent({ id: 2, atMs: 1001, kind: "dhcp.ack", mac, ip: "198.18.0.10", details, server: "boot2" });
  t.onStoreEvent({ id: 3, atMs: 1500, kind: "tftp.sent", mac, ip: "198.18.0.10", details: { file: "r1.efi", bytes: 10, durationMs: 3 }, server: "boot2" });
  t.onStoreEvent({ id: 4, atMs: 1600, kind: "dhcp.ignored", mac, details: { reason: "x" }, server: "boot2" });
  const [c] = t.clients();
  assert.deepEqual(c!.stages.map((s) => s.stage), ["dhcp-offered", "dhcp-acked", "boot-file-sent"]);
  assert.equal(c!.lastDhcp?.messageType, "ACK");
  assert.equal(c!.lastDhcp?.server, "boot2");
  assert.equal(c!.lastDhcp?.clientKind, "pxe-firmware");
  assert.equal(c!.lastSeenMs, 1500);
});
