/**
 * Golden tests from real clients' packets (test/golden/dhcp4/*.pcap: udhcpc,
 * ISC dhclient, iPXE BIOS, OVMF's own UEFI PXE, iPXE's EFI build and OVMF's
 * own UEFI HTTP Boot (its PXE exchange first, then the HTTPClient one),
 * captured by test/golden/dhcp4/capture.sh in network namespaces): each
 * capture's decoded text form must match its .txt file, and the responder's
 * answers to the captured requests must match responses.txt.
 * Regenerate after an intended change:
 *   LAGGBOOT_UPDATE_GOLDEN=1 node scripts/run-tests.mjs dhcp4-golden
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BootOp, DhcpOption as O, decode, formatPacket, getOption, type DhcpPacket } from "../../src/wire/dhcp4/index.js";
import { createResponder, type DhcpPolicy } from "../../src/protocol/dhcp/index.js";
import { MemoryLeases, ctxFor } from "../support/dhcp-builders.js";

const DIR = "test/golden/dhcp4";
const UPDATE = process.env["LAGGBOOT_UPDATE_GOLDEN"] === "1";

interface Datagram {
  readonly src: string;
  readonly dst: string;
  readonly payload: Uint8Array;
}

/** Reads UDP datagrams from a classic pcap file (Ethernet link type, IPv4). */
function readPcap(file: string): Datagram[] {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  assert.ok(magic === 0xa1b2c3d4 || magic === 0xa1b23c4d, `${file}: not a little-endian pcap`);
  assert.equal(b.readUInt32LE(20), 1, `${file}: link type is not Ethernet`);
  const out: Datagram[] = [];
  let at = 24;
  while (at + 16 <= b.length) {
    const capLen = b.readUInt32LE(at + 8);
    const frame = b.subarray(at + 16, at + 16 + capLen);
    at += 16 + capLen;
    if (frame.readUInt16BE(12) !== 0x0800) continue;
    const ip = frame.subarray(14);
    const ihl = (ip[0]! & 0x0f) * 4;
    if (ip[9] !== 17) continue;
    const udp = ip.subarray(ihl);
    const addr = (o: number): string => Array.from(ip.subarray(o, o + 4)).join(".");
    out.push({
      src: `${addr(12)}:${udp.readUInt16BE(0)}`,
      dst: `${addr(16)}:${udp.readUInt16BE(2)}`,
      payload: Uint8Array.from(udp.subarray(8, udp.readUInt16BE(4))),
    });
  }
  return out;
}

function golden(file: string, actual: string): void {
  const path = join(DIR, file);
  if (UPDATE) writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, "utf8"), `${path} differs (LAGGBOOT_UPDATE_GOLDEN=1 to regenerate)`);
}

const captures = readdirSync(DIR).filter((f) => f.endsWith(".pcap")).sort();

test("every capture is present", () => {
  assert.deepEqual(captures, ["dhclient.pcap", "ipxe-bios.pcap", "ipxe-efi.pcap", "ovmf-http.pcap", "ovmf-pxe.pcap", "udhcpc.pcap"]);
});

for (const pcap of captures) {
  test(`golden decode: ${pcap}`, () => {
    const grams = readPcap(join(DIR, pcap));
    assert.ok(grams.length >= 2, "client and server packets captured");
    const text = grams.map((g, i) => `# packet ${i + 1}: ${g.src} -> ${g.dst}, ${g.payload.length} bytes\n${formatPacket(decode(g.payload))}`).join("\n");
    golden(pcap.replace(/\.pcap$/, ".txt"), text);
  });
}

/** A site where the captured clients' MACs are reserved. */
const policy: DhcpPolicy = {
  mode: "full",
  networks: [{
    name: "lab", prefix: { network: "198.18.40.0", length: 24 }, relayed: false, serverAddress: "198.18.40.1",
    gateway: "198.18.40.254", dns: ["198.18.40.1"], domain: "example.test", pool: undefined, poolLeaseSeconds: 600,
  }],
  reservations: [
    { clientName: "linux", hostName: "linux.example.test", ip: "198.18.40.111", macs: ["02:00:00:00:40:02"], rootPath: "198.18.40.1:/srv/roots/linux" },
    { clientName: "bios", hostName: "bios.example.test", ip: "198.18.40.112", macs: ["02:00:00:00:40:03"], rootPath: "198.18.40.1:/srv/roots/bios" },
    { clientName: "uefi", hostName: "uefi.example.test", ip: "198.18.40.113", macs: ["02:00:00:00:40:04"], rootPath: "198.18.40.1:/srv/roots/uefi" },
    { clientName: "uefi-ipxe", hostName: "uefi-ipxe.example.test", ip: "198.18.40.114", macs: ["02:00:00:00:40:05"] },
    // Boots over UEFI HTTP Boot; the site's default stays TFTP, so the other answers are the same as without HTTP.
    { clientName: "uefi-http", hostName: "uefi-http.example.test", ip: "198.18.40.116", macs: ["02:00:00:00:40:06"], bootProtocol: "http" },
  ],
  reservationLeaseSeconds: 86400,
  nextServer: "198.18.40.1",
  bootFiles: { byArch: new Map([[0, "pxeboot"], [7, "loader.efi"], [9, "loader.efi"]]) },
  ipxeScript: "boot.ipxe",
  httpBoot: { address: undefined, port: 80, protocol: "tftp", protocolByArch: new Map() },
};

test("golden answers: the responder's replies to every captured request", () => {
  const responder = createResponder(policy);
  const lines: string[] = [];
  const requests: [string, DhcpPacket][] = [];
  for (const pcap of captures) {
    for (const g of readPcap(join(DIR, pcap))) {
      const p = decode(g.payload);
      if (p.op !== BootOp.BootRequest) continue;
      requests.push([pcap, p]);
      const d = responder.respondToBytes(g.payload, ctxFor(new MemoryLeases(), 1_700_000_000_000));
      lines.push(`# ${pcap}: ${g.src} -> ${g.dst}`);
      if (d.kind === "reply") {
        lines.push(`reply to ${d.destination.address}:${d.destination.port} from ${d.sourceAddress}:${d.sourcePort}, ${d.bytes.length} bytes`);
        lines.push(formatPacket(decode(d.bytes)));
      } else lines.push(`${d.kind} ${d.kind === "ignore" ? d.reason : d.event.kind}\n`);
    }
  }
  golden("responses.txt", lines.join("\n"));
  // Facts the golden file must keep, checked directly too.
  const ipxe = requests.find(([f]) => f === "ipxe-bios.pcap")![1];
  assert.equal(getOption(ipxe.options, O.VendorClassIdentifier), "PXEClient:Arch:00000:UNDI:002001");
  assert.deepEqual(getOption(ipxe.options, O.UserClass), ["iPXE"]);
  assert.ok(getOption(ipxe.options, O.IpxeEncapsulated)!.size > 0);
  const ipxeReply = responder.respond(ipxe, ctxFor(new MemoryLeases()));
  assert.ok(ipxeReply.kind === "reply");
  assert.equal(decode(ipxeReply.bytes).file, "boot.ipxe");
  const ipxeEfi = requests.find(([f]) => f === "ipxe-efi.pcap")![1];
  assert.equal(getOption(ipxeEfi.options, O.VendorClassIdentifier), "PXEClient:Arch:00007:UNDI:003010");
  const ipxeEfiReply = responder.respond(ipxeEfi, ctxFor(new MemoryLeases()));
  assert.ok(ipxeEfiReply.kind === "reply");
  assert.equal(decode(ipxeEfiReply.bytes).file, "boot.ipxe");
  const ovmf = requests.find(([f]) => f === "ovmf-pxe.pcap")![1];
  assert.deepEqual(getOption(ovmf.options, O.ClientSystemArchitecture), [7]);
  const ovmfReply = responder.respond(ovmf, ctxFor(new MemoryLeases()));
  assert.ok(ovmfReply.kind === "reply");
  assert.equal(decode(ovmfReply.bytes).file, "loader.efi");
  // OVMF's HTTP Boot: HTTPClient:Arch:00016 and option 93 = 16 (x64 UEFI HTTP); answered with 60 HTTPClient and a URL.
  const http = requests.filter(([f, p]) => f === "ovmf-http.pcap" && getOption(p.options, O.VendorClassIdentifier)?.startsWith("HTTPClient"));
  assert.equal(http.length, 2, "its DISCOVER and REQUEST");
  assert.equal(getOption(http[0]![1].options, O.VendorClassIdentifier), "HTTPClient:Arch:00016:UNDI:003000");
  assert.deepEqual(getOption(http[0]![1].options, O.ClientSystemArchitecture), [16]);
  // Its REQUEST asks for the address the capture's dnsmasq offered, which is not this reservation's: NAK. The DISCOVER:
  const d = responder.respond(http[0]![1], ctxFor(new MemoryLeases()));
  assert.ok(d.kind === "reply");
  const out = decode(d.bytes);
  assert.equal(out.yiaddr, "198.18.40.116");
  assert.equal(getOption(out.options, O.VendorClassIdentifier), "HTTPClient");
  assert.equal(out.file, "http://198.18.40.1/loader.efi");
  assert.equal(getOption(out.options, O.BootFileName), "http://198.18.40.1/loader.efi");
});
