/**
 * Relayed DHCP in namespaces (prefix lbd): perfdhcp acts as a relay (sends
 * from port 67 with giaddr set) and every exchange is answered to it at
 * giaddr:67 from a pool with durable (SQLite) leases; a reserved client
 * behind an emulated relay gets its reservation, answered to the relay.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Lab, type Namespace } from "../support/netns.js";
import type { JsonPolicy } from "../support/dhcp-server-main.js";
import { plainRequest, requestBytes } from "../support/dhcp-builders.js";
import { decode } from "../../src/wire/dhcp4/packet.js";
import { getOption } from "../../src/wire/dhcp4/option-values.js";
import { DhcpOption, MessageType } from "../../src/wire/dhcp4/codes.js";
import { probe, startLaggboot, tempDir, type RunningServer } from "./dhcp-harness.js";
import { parsePerfdhcp } from "./dhcp-perfdhcp.js";
import type { DhcpDataPath } from "../../src/servers/dhcp/native.js";

const SERVER = "198.18.23.1";
const RELAY = "198.18.23.2";
const FAR_RELAY = "198.18.24.1";
const RESERVED = { mac: "02:00:00:00:24:01", ip: "198.18.24.10", host: "far1.lab.example", rootPath: `${SERVER}:/srv/roots/far1` };

const policy: JsonPolicy = {
  mode: "full",
  networks: [
    {
      name: "near", prefix: { network: "198.18.23.0", length: 24 }, relayed: true, serverAddress: SERVER,
      gateway: RELAY, dns: [], domain: undefined, pool: { first: "198.18.23.100", last: "198.18.23.250" }, poolLeaseSeconds: 600,
    },
    {
      name: "far", prefix: { network: "198.18.24.0", length: 24 }, relayed: true, serverAddress: SERVER,
      gateway: FAR_RELAY, dns: [], domain: undefined, pool: undefined, poolLeaseSeconds: 600,
    },
  ],
  reservations: [{ clientName: "far1", hostName: RESERVED.host, ip: RESERVED.ip, macs: [RESERVED.mac], rootPath: RESERVED.rootPath }],
  reservationLeaseSeconds: 3600,
  nextServer: SERVER,
  bootFiles: { byArch: [[0, "pxeboot"]] },
  ipxeScript: undefined,
};

export function dhcpRelaySuite(dataPath: DhcpDataPath): void {
  describe(`relayed requests (${dataPath})`, { timeout: 60_000 }, () => {
    let lab: Lab;
    let relay: Namespace;
    let dir: string;
    let server: RunningServer;

    before(async () => {
      dir = tempDir("relay");
      lab = new Lab("relay");
      const srv = await lab.namespace("srv");
      relay = await lab.namespace("rel");
      await lab.veth(srv, "s0", relay, "r1");
      await srv.addr("s0", `${SERVER}/24`);
      await relay.addr("r1", `${RELAY}/24`);
      // The far network sits behind the relay: its giaddr is on the relay's other side.
      await relay.exec(["ip", "addr", "add", `${FAR_RELAY}/32`, "dev", "lo"]);
      await srv.route(`${FAR_RELAY}/32`, RELAY);
      server = await startLaggboot(srv, dir, { policy, dbPath: join(dir, "leases.db"), quiet: true, dataPath });
      assert.equal((await server.counters())["dataPath"], dataPath);
    });

    after(async () => {
      await lab.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    test("perfdhcp (a relay) completes every exchange, answered at giaddr:67", async () => {
      const out = await relay.exec(["perfdhcp", "-4", "-l", "r1", "-r", "50", "-R", "50", "-n", "100", "-p", "5", "-W", "500000", SERVER], 30_000);
      const report = parsePerfdhcp(out.stdout);
      assert.ok(report.discoverOffer !== undefined && report.requestAck !== undefined, out.stdout);
      assert.equal(report.discoverOffer.sent, 100);
      assert.equal(report.discoverOffer.drops, 0, out.stdout);
      assert.equal(report.requestAck.drops, 0, out.stdout);
      assert.equal(report.requestAck.received, report.requestAck.sent);
      const c = await server.counters();
      assert.equal(c["leases"], 50, "one durable lease per simulated client");
    });

    test("a reserved client behind a relay gets its reservation, answered to the relay", async () => {
      const p = plainRequest({ mac: RESERVED.mac, type: MessageType.Discover, giaddr: FAR_RELAY });
      const got = await probe(relay, { bind: { address: FAR_RELAY, port: 67 }, sends: [{ to: SERVER, port: 67, bytes: requestBytes({ ...p, hops: 1 }) }] });
      assert.equal(got.length, 1);
      assert.equal(got[0]!.from, SERVER);
      assert.equal(got[0]!.port, 67);
      const offer = decode(got[0]!.bytes);
      assert.equal(offer.yiaddr, RESERVED.ip);
      assert.equal(offer.giaddr, FAR_RELAY);
      assert.equal(getOption(offer.options, DhcpOption.Router)?.[0], FAR_RELAY);
      assert.equal(getOption(offer.options, DhcpOption.RootPath), RESERVED.rootPath);
    });

    test("a relay for a network the inventory does not name gets nothing", async () => {
      const stranger = "198.18.25.1";
      await relay.exec(["ip", "addr", "add", `${stranger}/32`, "dev", "lo"]);
      const before = await server.counters();
      const p = plainRequest({ mac: RESERVED.mac, type: MessageType.Discover, giaddr: stranger });
      const got = await probe(relay, { bind: { address: stranger, port: 67 }, sends: [{ to: SERVER, port: 67, bytes: requestBytes(p) }] });
      assert.equal(got.length, 0);
      const after = await server.counters();
      const ignored = (c: Record<string, unknown>): number => (c["ignored"] as Record<string, number>)["no-network"] ?? 0;
      assert.equal(ignored(after) - ignored(before), 1);
    });

    test("a retransmitted DISCOVER gets the same OFFER; a RELEASE frees the pool lease durably", async () => {
      const mac = "02:00:00:00:23:77";
      const discover = requestBytes(plainRequest({ mac, type: MessageType.Discover, giaddr: RELAY, xid: 0x7777 }));
      const send = (bytes: Uint8Array) => probe(relay, { bind: { address: RELAY, port: 67 }, listenMs: 600, sends: [{ to: SERVER, port: 67, bytes }] });
      const first = await send(discover);
      const again = await send(discover);
      assert.equal(first.length, 1);
      assert.deepEqual(again.map((r) => Buffer.from(r.bytes).toString("hex")), first.map((r) => Buffer.from(r.bytes).toString("hex")));
      const ip = decode(first[0]!.bytes).yiaddr;
      assert.match(ip, /^198\.18\.23\.(1\d\d|2[0-4]\d|250)$/);
      const ack = await send(requestBytes(plainRequest({ mac, type: MessageType.Request, giaddr: RELAY, xid: 0x7778, requestedIp: ip, serverId: SERVER })));
      assert.equal(getOption(decode(ack[0]!.bytes).options, DhcpOption.DhcpMessageType), MessageType.Ack);
      const before = await server.counters();
      await send(requestBytes(plainRequest({ mac, type: MessageType.Release, xid: 0x7779, ciaddr: ip, serverId: SERVER })));
      const after = await server.counters();
      assert.equal((after["handled"] as Record<string, number>)["dhcp.release"], 1);
      assert.equal((after["leases"] as number), (before["leases"] as number) - 1);
    });
  });
}
