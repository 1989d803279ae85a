/**
 * Several servers, one inventory: server.storage kind postgres and
 * server.instances, as `check` validates them and as each instance serves.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInventoryText } from "../../src/config/load.js";
import { forInstance, pickInstance } from "../../src/config/instance.js";
import { LaggbootError } from "../../src/errors.js";
import { fakeProbe, siteProbe } from "../support/probe.js";
import { dhcpPolicyFromInventory } from "../../src/app/dhcp-policy.js";

const BASE = [
  "server:",
  "  address: 198.18.0.1",
  "  networks:",
  "    - name: lan",
  "      prefix: 198.18.0.0/24",
  "      pool: { first: 198.18.0.100, last: 198.18.0.199 }",
  "  storage:",
  "    kind: postgres",
  "    postgres: { connection: \"postgresql://laggboot@db1/laggboot\" }",
  "  instances:",
  "    - { name: boot1, addresses: [198.18.0.1] }",
  "    - { name: boot2, addresses: [198.18.0.2] }",
  "clients:",
  "  - { name: a, kind: pxe, ip: 198.18.0.10, macs: [\"00:1e:68:aa:bb:cc\"] }",
  "",
];

function load(edit: (lines: string[]) => void = () => undefined, probe = siteProbe) {
  const lines = [...BASE];
  edit(lines);
  return loadInventoryText(lines.join("\n"), "t.yaml", probe);
}

const codes = (r: ReturnType<typeof load>): string[] => r.findings.filter((f) => f.severity === "error").map((f) => `${f.code} ${f.path}`);

test("two instances on a postgres store: clean, one hash for both", () => {
  const r = load();
  assert.deepEqual(codes(r), []);
  const inv = r.inventory!;
  assert.equal(inv.server.storage.kind, "postgres");
  assert.deepEqual(inv.server.instances.map((i) => i.name), ["boot1", "boot2"]);
  assert.match(inv.hash, /^[0-9a-f]{64}$/);
  assert.equal(load().inventory!.hash, inv.hash, "the same text hashes the same");
  assert.notEqual(load((l) => (l[13] = l[13]!.replace("198.18.0.10", "198.18.0.11"))).inventory!.hash, inv.hash);
});

test("each instance serves with its own addresses; the clients' answers are otherwise the same", () => {
  const inv = load().inventory!;
  const one = forInstance(inv, "boot1");
  const two = forInstance(inv, "boot2");
  assert.equal(two.server.address, "198.18.0.2");
  assert.equal(two.server.networks[0]!.serverAddress, "198.18.0.2");
  assert.equal(two.server.tftp.address, "198.18.0.2");
  assert.equal(two.server.nfs.server, inv.server.nfs.server, "NFS is shared, not per instance");
  assert.equal(two.server.instance, "boot2");
  assert.equal(two.hash, one.hash);
  const p1 = dhcpPolicyFromInventory(one), p2 = dhcpPolicyFromInventory(two);
  assert.deepEqual(p1.reservations, p2.reservations);
  assert.deepEqual(p1.networks[0]!.pool, p2.networks[0]!.pool);
  assert.throws(() => forInstance(inv, "boot3"), (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_USAGE");
});

test("the instance is the named one, else the only one with an address on the host", () => {
  const inv = load().inventory!;
  assert.equal(pickInstance(inv, "boot2", []), "boot2");
  assert.equal(pickInstance(inv, undefined, ["127.0.0.1", "198.18.0.2"]), "boot2");
  assert.throws(() => pickInstance(inv, undefined, ["127.0.0.1"]), /give --instance/);
  assert.throws(() => pickInstance(inv, undefined, ["198.18.0.1", "198.18.0.2"]), /several instances/);
});

test("instance and storage mistakes are reported with their key paths", () => {
  assert.deepEqual(codes(load((l) => (l[11] = "    - { name: boot2, addresses: [198.18.1.2] }"))),
    ["LB_ERR_NETWORK server.instances[1].addresses"]);
  assert.deepEqual(codes(load((l) => (l[11] = "    - { name: boot1, addresses: [198.18.0.150] }"))),
    ["LB_ERR_DUPLICATE server.instances[1].name", "LB_ERR_NETWORK server.instances[1].addresses[0]"]);
  assert.deepEqual(codes(load((l) => (l[13] = l[13]!.replace("198.18.0.10", "198.18.0.2")))), ["LB_ERR_ADDRESS_RESERVED clients[0].ip"]);
  assert.deepEqual(codes(load((l) => (l[7] = "    kind: sqlite"))), ["LB_ERR_SCHEMA server.storage.postgres", "LB_ERR_SCHEMA server.instances"]);
  assert.deepEqual(codes(load((l) => (l[8] = "    postgres: { connection: \"postgresql://laggboot:secret@db1/laggboot\" }"))),
    ["LB_ERR_SCHEMA server.storage.postgres.connection"]);
  assert.deepEqual(codes(load((l) => (l[8] = "    postgres: { connectionFile: /etc/laggboot/pg.conn }"), fakeProbe())),
    ["LB_ERR_REFERENCE server.storage.postgres.connectionFile"]);
  assert.deepEqual(codes(load((l) => (l[8] = "    postgres: { eventQueue: 500 }"))), ["LB_ERR_SCHEMA server.storage.postgres"]);
});
