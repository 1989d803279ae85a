/**
 * PXE and FreeBSD-loader clients against laggboot in namespaces (prefix lbd).
 * The clients are emulated byte for byte with test/support/dhcp-builders.ts
 * and sent from a real socket on the link:
 * - full mode: the loader's three forms (current, newest, 2011) get address,
 *   root-path and host-name in the OFFER and the ACK, with no PAD between
 *   options and the reservation's lease time (not the loader's 300 s);
 * - ProxyDHCP beside dnsmasq (the site's address server, same link): a PXE
 *   client gets its address from dnsmasq and its boot file from laggboot
 *   (proxy offer on 67, then the boot-server exchange on 4011); the loader's
 *   bare "PXEClient" DISCOVER gets no proxy offer.
 * The emulated client has a link address outside every range only so the
 * probe can send; its packets carry ciaddr 0.0.0.0 like the real thing.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Lab, type Namespace } from "../support/netns.js";
import type { JsonPolicy } from "../support/dhcp-server-main.js";
import { LOADER_PACKET_BYTES, loaderDiscover, loaderRequest, pxeRequest, requestBytes } from "../support/dhcp-builders.js";
import { decode } from "../../src/wire/dhcp4/packet.js";
import { getOption } from "../../src/wire/dhcp4/option-values.js";
import { BROADCAST_FLAG, DhcpOption, MessageType } from "../../src/wire/dhcp4/codes.js";
import type { DhcpPacket } from "../../src/wire/dhcp4/types.js";
import { probe, setMac, startLaggboot, tempDir, type Received, type RunningServer } from "./dhcp-harness.js";

const BCAST = "255.255.255.255";

/** Option codes in wire order from a raw reply, failing on any PAD before END (the loader cannot skip PAD). */
function rawOptionCodes(bytes: Uint8Array): number[] {
  const codes: number[] = [];
  let i = 240;
  while (i < bytes.length) {
    const code = bytes[i]!;
    if (code === 255) return codes;
    assert.notEqual(code, 0, `PAD at byte ${i} between options`);
    codes.push(code);
    i += 2 + bytes[i + 1]!;
  }
  assert.fail("no END option");
}

function messageType(p: DhcpPacket): number | undefined {
  return getOption(p.options, DhcpOption.DhcpMessageType);
}

function decodeAll(rs: readonly Received[]): { r: Received; p: DhcpPacket }[] {
  return rs.map((r) => ({ r, p: decode(r.bytes) }));
}

describe("FreeBSD loader emulation against laggboot (full mode)", { timeout: 60_000 }, () => {
  const SERVER = "198.18.21.1";
  const CLIENT_LINK = "198.18.21.250";
  const policy: JsonPolicy = {
    mode: "full",
    networks: [{
      name: "lab", prefix: { network: "198.18.21.0", length: 24 }, relayed: false, serverAddress: SERVER,
      gateway: "198.18.21.254", dns: [], domain: undefined, pool: undefined, poolLeaseSeconds: 600,
    }],
    reservations: [
      { clientName: "bsd1", hostName: "bsd1.lab.example", ip: "198.18.21.11", macs: ["02:00:00:00:21:01"], rootPath: `${SERVER}:/srv/roots/bsd1` },
      { clientName: "bsd2", hostName: "bsd2.lab.example", ip: "198.18.21.12", macs: ["02:00:00:00:21:02"], rootPath: `${SERVER}:/srv/roots/bsd2` },
      { clientName: "bsd3", hostName: "bsd3.lab.example", ip: "198.18.21.13", macs: ["02:00:00:00:21:03"], rootPath: `${SERVER}:/srv/roots/bsd3` },
    ],
    reservationLeaseSeconds: 86_400,
    nextServer: SERVER,
    bootFiles: { byArch: [[0, "pxeboot"], [7, "loader.efi"]] },
    ipxeScript: undefined,
  };
  let lab: Lab;
  let srv: Namespace;
  let cli: Namespace;
  let dir: string;
  let server: RunningServer;

  before(async () => {
    dir = tempDir("loader");
    lab = new Lab("loader");
    ({ srv, cli } = await lab.serverAndClient(`${SERVER}/24`));
    await cli.addr("c0", `${CLIENT_LINK}/24`);
    server = await startLaggboot(srv, dir, { policy, dbPath: join(dir, "leases.db") });
  });

  after(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const forms = [
    { form: "current", n: 1 },
    { form: "newest", n: 2, arch: 7 },
    { form: "2011", n: 3 },
  ] as const;

  for (const f of forms) {
    test(`the ${f.form} loader gets address, root-path and host-name in OFFER and ACK`, async () => {
      const r = policy.reservations[f.n - 1]!;
      const mac = r.macs[0]!;
      await setMac(cli, "c0", mac);
      const spec = { mac, form: f.form, ...("arch" in f ? { arch: f.arch } : {}) };
      const send = (p: DhcpPacket): Promise<Received[]> => probe(cli, {
        bind: { address: "0.0.0.0", port: 68 }, sendFrom: CLIENT_LINK, listenMs: 700,
        sends: [{ to: BCAST, port: 67, bytes: requestBytes(p, LOADER_PACKET_BYTES) }],
      });
      const offers = decodeAll(await send(loaderDiscover(spec)));
      assert.equal(offers.length, 1);
      const offer = offers[0]!;
      assert.equal(messageType(offer.p), MessageType.Offer);
      assert.equal(offer.p.yiaddr, r.ip);
      assert.equal(offer.p.xid, 1, "FreeBSD 13/14 UEFI loaders use xid 1");
      assert.equal(getOption(offer.p.options, DhcpOption.RootPath), r.rootPath);
      assert.equal(getOption(offer.p.options, DhcpOption.HostName), r.hostName);
      rawOptionCodes(offer.r.bytes);
      const acks = decodeAll(await send(loaderRequest({ ...spec, serverId: SERVER, requestedIp: r.ip })));
      assert.equal(acks.length, 1);
      const ack = acks[0]!;
      assert.equal(messageType(ack.p), MessageType.Ack);
      assert.equal(ack.p.yiaddr, r.ip);
      assert.equal(getOption(ack.p.options, DhcpOption.RootPath), r.rootPath);
      assert.equal(getOption(ack.p.options, DhcpOption.HostName), r.hostName);
      assert.equal(getOption(ack.p.options, DhcpOption.SubnetMask), "255.255.255.0");
      assert.equal(getOption(ack.p.options, DhcpOption.IpAddressLeaseTime), 86_400, "the loader's 300 s never shortens a reservation");
      rawOptionCodes(ack.r.bytes);
      assert.ok(ack.r.bytes.length <= LOADER_PACKET_BYTES);
    });
  }

  test("the server saw no malformed packet", async () => {
    const c = await server.counters();
    assert.equal(c["malformed"], 0);
    assert.equal((c["sent"] as Record<string, number>)["ACK"], 3);
  });
});

describe("ProxyDHCP beside dnsmasq", { timeout: 60_000 }, () => {
  const DNSMASQ = "198.18.22.1";
  const LAGGBOOT = "198.18.22.2";
  const CLIENT_LINK = "198.18.22.250";
  const PXE_MAC = "02:00:00:00:22:01";
  const LOADER_MAC = "02:00:00:00:22:02";
  const policy: JsonPolicy = {
    mode: "proxy",
    networks: [{
      name: "site", prefix: { network: "198.18.22.0", length: 24 }, relayed: false, serverAddress: LAGGBOOT,
      gateway: undefined, dns: [], domain: undefined, pool: undefined, poolLeaseSeconds: 600,
    }],
    reservations: [
      { clientName: "pxe1", hostName: "pxe1.site.example", ip: "198.18.22.31", macs: [PXE_MAC], rootPath: `${LAGGBOOT}:/srv/roots/pxe1` },
      { clientName: "bsd1", hostName: "bsd1.site.example", ip: "198.18.22.32", macs: [LOADER_MAC], rootPath: `${LAGGBOOT}:/srv/roots/bsd1` },
    ],
    reservationLeaseSeconds: 86_400,
    nextServer: LAGGBOOT,
    bootFiles: { byArch: [[0, "pxeboot"], [7, "loader.efi"]] },
    ipxeScript: undefined,
  };
  let lab: Lab;
  let cli: Namespace;
  let dir: string;
  let server: RunningServer;

  before(async () => {
    dir = tempDir("proxy");
    lab = new Lab("proxy");
    const sw = await lab.namespace("sw");
    const lg = await lab.namespace("lg");
    const dm = await lab.namespace("dm");
    cli = await lab.namespace("cli");
    await lab.bridge(sw, "br0");
    await lab.plug(sw, "br0", "p1", lg, "l0");
    await lab.plug(sw, "br0", "p2", dm, "d0");
    await lab.plug(sw, "br0", "p3", cli, "c0");
    await lg.addr("l0", `${LAGGBOOT}/24`);
    await dm.addr("d0", `${DNSMASQ}/24`);
    await cli.addr("c0", `${CLIENT_LINK}/24`);
    dm.spawn(["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0", "--interface=d0", "--bind-interfaces",
      "--dhcp-range=198.18.22.100,198.18.22.150,255.255.255.0,1h", "--no-ping", "--dhcp-authoritative", "--user=root",
      `--dhcp-leasefile=${join(dir, "dnsmasq.leases")}`, `--pid-file=${join(dir, "dnsmasq.pid")}`], { stdio: ["ignore", "ignore", "inherit"] });
    server = await startLaggboot(lg, dir, { policy });
    await new Promise((r) => setTimeout(r, 500)); // dnsmasq binds
  });

  after(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a PXE client gets its address from dnsmasq and its boot file from laggboot", async () => {
    await setMac(cli, "c0", PXE_MAC);
    // The broadcast bit makes dnsmasq broadcast its answers (the emulated client has no pool address yet).
    const discover = { ...pxeRequest({ mac: PXE_MAC, arch: 7 }), flags: BROADCAST_FLAG };
    const offers = decodeAll(await probe(cli, {
      bind: { address: "0.0.0.0", port: 68 }, sendFrom: CLIENT_LINK, listenMs: 1500,
      sends: [{ to: BCAST, port: 67, bytes: requestBytes(discover) }],
    }));
    const fromDnsmasq = offers.filter((o) => o.r.from === DNSMASQ);
    const fromLaggboot = offers.filter((o) => o.r.from === LAGGBOOT);
    assert.equal(fromDnsmasq.length, 1, "dnsmasq offers an address");
    assert.equal(fromLaggboot.length, 1, "laggboot sends one proxy offer");
    const addr = fromDnsmasq[0]!.p.yiaddr;
    assert.match(addr, /^198\.18\.22\.1[0-5]\d$/);
    const proxy = fromLaggboot[0]!.p;
    assert.equal(messageType(proxy), MessageType.Offer);
    assert.equal(proxy.yiaddr, "0.0.0.0", "a proxy offer carries no address");
    assert.equal(getOption(proxy.options, DhcpOption.VendorClassIdentifier), "PXEClient");
    // Take dnsmasq's address.
    const request = {
      ...pxeRequest({ mac: PXE_MAC, arch: 7, type: MessageType.Request, requestedIp: addr, serverId: DNSMASQ }), flags: BROADCAST_FLAG,
    };
    const acks = decodeAll(await probe(cli, {
      bind: { address: "0.0.0.0", port: 68 }, sendFrom: CLIENT_LINK, listenMs: 1000,
      sends: [{ to: BCAST, port: 67, bytes: requestBytes(request) }],
    }));
    const ack = acks.find((a) => a.r.from === DNSMASQ && messageType(a.p) === MessageType.Ack);
    assert.ok(ack !== undefined, "dnsmasq ACKs its address");
    assert.equal(acks.filter((a) => a.r.from === LAGGBOOT).length, 0, "laggboot stays out of the address exchange");
    // PXE 2.1: the boot-server request goes to laggboot's port 4011 from the new address.
    await cli.addr("c0", `${addr}/24`);
    const bootReq = pxeRequest({ mac: PXE_MAC, arch: 7, type: MessageType.Request, ciaddr: addr });
    const boot = decodeAll(await probe(cli, {
      bind: { address: addr, port: 68 }, listenMs: 1000,
      sends: [{ to: LAGGBOOT, port: 4011, bytes: requestBytes(bootReq) }],
    }));
    assert.equal(boot.length, 1, "laggboot answers the boot-server request");
    assert.equal(boot[0]!.r.port, 4011);
    assert.equal(messageType(boot[0]!.p), MessageType.Ack);
    const file = boot[0]!.p.file !== "" ? boot[0]!.p.file : getOption(boot[0]!.p.options, DhcpOption.BootFileName);
    assert.equal(file, "loader.efi");
    assert.equal(boot[0]!.p.siaddr, LAGGBOOT);
    await cli.exec(["ip", "addr", "del", `${addr}/24`, "dev", "c0"]);
  });

  test("the FreeBSD loader's bare PXEClient DISCOVER gets no proxy offer", async () => {
    await setMac(cli, "c0", LOADER_MAC);
    const discover = { ...loaderDiscover({ mac: LOADER_MAC }), flags: BROADCAST_FLAG };
    const offers = decodeAll(await probe(cli, {
      bind: { address: "0.0.0.0", port: 68 }, sendFrom: CLIENT_LINK, listenMs: 1500,
      sends: [{ to: BCAST, port: 67, bytes: requestBytes(discover, LOADER_PACKET_BYTES) }],
    }));
    assert.equal(offers.filter((o) => o.r.from === DNSMASQ).length, 1, "the site's server still offers");
    assert.equal(offers.filter((o) => o.r.from === LAGGBOOT).length, 0, "laggboot must not race the site's offer");
    const c = await server.counters();
    assert.ok(((c["ignored"] as Record<string, number>)["freebsd-loader-in-proxy-mode"] ?? 0) >= 1);
  });
});
